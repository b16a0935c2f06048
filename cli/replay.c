/* SPDX-License-Identifier: MIT */
/*
 * replay.c - `mkrt replay [--backend NAME] [--serial] IN OUT`: load a capture,
 * run it on a backend until quiescent, write the final state as a capture.
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define REPLAY_TIMEOUT_MS 60000u
#define CAPTURE_MAX_BYTES (1u << 30)

static int read_file(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "mkrt: replay: cannot open %s: %s\n", path, strerror(errno));
		return CLI_FAIL;
	}
	size_t cap = 1 << 16, n = 0;
	uint8_t *b = malloc(cap);
	while (b) {
		n += fread(b + n, 1, cap - n, f);
		if (n < cap || cap >= CAPTURE_MAX_BYTES)
			break;
		uint8_t *nb = realloc(b, cap * 2);
		if (!nb) {
			free(b);
			b = NULL;
			break;
		}
		b = nb;
		cap *= 2;
	}
	bool bad = ferror(f);
	fclose(f);
	if (!b || bad) {
		free(b);
		fprintf(stderr, "mkrt: replay: cannot read %s\n", path);
		return CLI_FAIL;
	}
	*buf = b;
	*len = n;
	return CLI_OK;
}

static int write_file(const char *path, const uint8_t *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	bool ok = f && fwrite(buf, 1, len, f) == len;
	if (f)
		ok &= fclose(f) == 0;
	if (!ok)
		fprintf(stderr, "mkrt: replay: cannot write %s: %s\n", path, strerror(errno));
	return ok ? CLI_OK : CLI_FAIL;
}

int cli_replay(int argc, char **argv)
{
	const char *backend = NULL, *paths[2] = { NULL, NULL };
	bool serial = false;
	int npaths = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--serial") == 0)
			serial = true;
		else if (strcmp(argv[i], "--backend") == 0 && i + 1 < argc)
			backend = argv[++i];
		else if (argv[i][0] != '-' && npaths < 2)
			paths[npaths++] = argv[i];
		else
			npaths = 3;
	}
	if (npaths != 2) {
		fprintf(stderr, "usage: mkrt replay [--backend NAME] [--serial] IN OUT\n");
		return CLI_USAGE;
	}

	uint8_t *in_bytes = NULL, *out_bytes = NULL;
	size_t in_len = 0, out_len = 0;
	struct mkrt_capture in, out;
	int rc = read_file(paths[0], &in_bytes, &in_len);
	if (rc)
		return rc;
	int err = mkrt_capture_decode(in_bytes, in_len, &in);
	free(in_bytes);
	if (err)
		return cli_fail(paths[0], err);
	err = mkrt_replay(backend, serial, &in, REPLAY_TIMEOUT_MS, &out);
	mkrt_capture_free(&in);
	if (err)
		return cli_fail("replay", err);
	err = mkrt_capture_encode(&out, &out_bytes, &out_len);
	mkrt_capture_free(&out);
	if (err)
		return cli_fail("replay", err);
	rc = write_file(paths[1], out_bytes, out_len);
	free(out_bytes);
	return rc;
}
