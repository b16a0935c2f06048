/* SPDX-License-Identifier: MIT */
/*
 * replay.c - `mkrt replay [--backend NAME] [--serial] [--json] IN OUT`: load
 * a capture, run it on a backend until quiescent, write the final state as a
 * capture, and say what the slots ended as.
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

static const char *const status_names[MKRT_STATUS_COUNT] = {
	"EMPTY", "PUBLISHED", "CLAIMED", "DONE", "WAIT_IO", "YIELD", "REQUEUE", "FAULT",
};

static const char *const fault_names[CLI_FAULT_KINDS] = {
	"NONE", "UNKNOWN_OPCODE", "OUT_OF_RANGE", "PACKED", "HANDLER", "IO", "NO_IO", "REJECTED",
};

void cli_count_slots(const struct mkrt_capture *c, uint32_t *by_status, uint32_t *by_fault)
{
	memset(by_status, 0, (MKRT_STATUS_COUNT + 1) * sizeof(uint32_t));
	memset(by_fault, 0, (CLI_FAULT_KINDS + 1) * sizeof(uint32_t));
	for (uint32_t s = 0; s < c->slot_count; s++) {
		const uint32_t *w = &c->ring[(size_t)s * MKRT_SLOT_WORDS];
		uint32_t st = w[MKRT_SLOT_STATUS] < MKRT_STATUS_COUNT ? w[MKRT_SLOT_STATUS] : MKRT_STATUS_COUNT;
		by_status[st]++;
		if (st == MKRT_STATUS_FAULT)
			by_fault[w[MKRT_SLOT_FAULT_REASON] < CLI_FAULT_KINDS ? w[MKRT_SLOT_FAULT_REASON]
									   : CLI_FAULT_KINDS]++;
	}
}

/* "NAME": N, ... over the non-zero of @counts[0..n] (n: OTHER). */
static void print_json_counts(const uint32_t *counts, const char *const *names, uint32_t n)
{
	const char *sep = "";

	for (uint32_t k = 0; k <= n; k++)
		if (counts[k]) {
			printf("%s\"%s\": %u", sep, k < n ? names[k] : "OTHER", counts[k]);
			sep = ", ";
		}
}

void cli_print_counts(const uint32_t *by_status, const uint32_t *by_fault)
{
	const char *sep = "";

	for (uint32_t k = 0; k <= MKRT_STATUS_COUNT; k++)
		if (by_status[k]) {
			printf("%s %u %s", sep, by_status[k], k < MKRT_STATUS_COUNT ? status_names[k] : "OTHER");
			sep = ",";
		}
	printf("\n");
	for (uint32_t k = 0; k <= CLI_FAULT_KINDS; k++)
		if (by_fault[k])
			printf("  FAULT %-15s %u\n", k < CLI_FAULT_KINDS ? fault_names[k] : "OTHER", by_fault[k]);
}

void cli_print_counts_json(const uint32_t *by_status, const uint32_t *by_fault)
{
	printf("\"status\": {");
	print_json_counts(by_status, status_names, MKRT_STATUS_COUNT);
	printf("}, \"faults\": {");
	print_json_counts(by_fault, fault_names, CLI_FAULT_KINDS);
	printf("}");
}

int cli_read_capture(const char *path, struct mkrt_capture *c)
{
	uint8_t *bytes = NULL;
	size_t len = 0;
	int rc = read_file(path, &bytes, &len);

	if (rc)
		return rc;
	int err = mkrt_capture_decode(bytes, len, c);
	free(bytes);
	return err ? cli_fail(path, err) : CLI_OK;
}

/* What the replay left: slots by status, FAULT slots by reason. */
static void summary(const struct mkrt_capture *out, const char *in, const char *to, bool json)
{
	uint32_t by_status[MKRT_STATUS_COUNT + 1], by_fault[CLI_FAULT_KINDS + 1];

	cli_count_slots(out, by_status, by_fault);
	if (json) {
		printf("{\"in\": ");
		cli_json_str(stdout, in);
		printf(", \"out\": ");
		cli_json_str(stdout, to);
		printf(", \"slots\": %u, ", out->slot_count);
		cli_print_counts_json(by_status, by_fault);
		printf(", \"done_count\": %u}\n", out->control[MKRT_CTL_DONE_COUNT]);
		return;
	}
	printf("replayed %s into %s: DONE_COUNT %u; %u slots:", in, to, out->control[MKRT_CTL_DONE_COUNT],
	       out->slot_count);
	cli_print_counts(by_status, by_fault);
}

int cli_replay(int argc, char **argv)
{
	const char *backend = NULL;
	char *paths[2] = { NULL, NULL };
	bool serial = false, json = false;
	const struct cli_opt opts[] = {
		{ "--backend", CLI_BACKEND, &backend, "NAME", 0, 0, "$MKRT_BACKEND, else the best probe",
		  "the backend to run the capture on" },
		{ "--serial", CLI_FLAG, &serial, NULL, 0, 0, NULL,
		  "run one slot at a time, in slot order (a deterministic replay)" },
		{ "--json", CLI_FLAG, &json, NULL, 0, 0, NULL, "the summary as one JSON object" },
	};
	const struct cli_cmd cmd = {
		"replay", "IN OUT", 2,
		"Load the capture IN (mkrt/capture.h), run it on a backend until no slot it\n"
		"holds can move, write the final state to OUT as a capture, and print what the\n"
		"slots ended as: how many DONE, and FAULT by reason.",
		opts, CLI_NOPTS(opts), NULL,
	};
	int rc = cli_parse(&cmd, argc, argv, paths, 2, NULL);

	if (rc >= 0)
		return rc;

	uint8_t *out_bytes = NULL;
	size_t out_len = 0;
	struct mkrt_capture in, out;
	rc = cli_read_capture(paths[0], &in);
	if (rc)
		return rc;
	int err = mkrt_replay(backend, serial, &in, REPLAY_TIMEOUT_MS, &out);
	mkrt_capture_free(&in);
	if (err)
		return cli_fail("replay", err);
	err = mkrt_capture_encode(&out, &out_bytes, &out_len);
	if (err) {
		mkrt_capture_free(&out);
		return cli_fail("replay", err);
	}
	rc = write_file(paths[1], out_bytes, out_len);
	free(out_bytes);
	if (!rc)
		summary(&out, paths[0], paths[1], json);
	mkrt_capture_free(&out);
	return rc;
}
