/* SPDX-License-Identifier: MIT */
/*
 * roundtrip.c - `mkrt roundtrip`: the load-miss round trip end to end.
 *
 * Writes a data file of R resources (4 KiB records whose bytes are a function
 * of their index), opens a runtime with an IO servicer over it, and publishes
 * N LOAD_MISS slots one at a time: 70% from a hot set that stays resident
 * (hits), the rest spread over all R (misses), every tenth a prefetch. Every
 * returned checksum is compared with the file's; round-trip latency is timed
 * per slot.
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RECORD_BYTES 4096u
#define WAIT_MS 10000u

struct opts {
	const char *backend;
	uint32_t count, resources, frames;
	bool json;
};

struct report {
	uint32_t hits, misses, prefetches, faults, verified;
	double p50_us, p99_us;
};

static uint8_t data_byte(uint32_t rec, uint32_t i)
{
	return (uint8_t)(rec * 2654435761u >> 13 ^ i * 31u ^ i >> 7);
}

/* Write the data file; *@sums gets each record's checksum. */
static int make_data(char *path, size_t len, uint32_t records, uint32_t **sums)
{
	uint8_t buf[RECORD_BYTES];
	int fd = cli_temp_create("roundtrip", path, len);
	FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
	*sums = calloc(records, sizeof(uint32_t));
	if (!f || !*sums) {
		fprintf(stderr, "mkrt: roundtrip: cannot create %s: %s\n", path, strerror(errno));
		return CLI_FAIL;
	}
	for (uint32_t r = 0; r < records; r++) {
		for (uint32_t i = 0; i < RECORD_BYTES; i++)
			buf[i] = data_byte(r, i);
		(*sums)[r] = mkrt_checksum(buf, RECORD_BYTES);
		if (fwrite(buf, 1, RECORD_BYTES, f) != RECORD_BYTES)
			break;
	}
	if (fclose(f) != 0) {
		fprintf(stderr, "mkrt: roundtrip: cannot write %s\n", path);
		return CLI_FAIL;
	}
	return CLI_OK;
}

/* Check one result; returns true when its bytes are the file's. */
static bool verify(const struct mkrt_slot *r, const uint32_t *sums, uint32_t frames,
		   struct report *rep)
{
	switch (r->args[MKRT_LM_OUTCOME]) {
	case MKRT_LM_PREFETCH:
		rep->prefetches++;
		return r->args[MKRT_LM_FRAME] == MKRT_LM_NO_FRAME; /* queued, nothing to check yet */
	case MKRT_LM_PREFETCH_HIT:
		rep->prefetches++;
		return r->args[MKRT_LM_FRAME] < frames; /* resident in a real frame */
	case MKRT_LM_HIT:
		rep->hits++;
		break;
	case MKRT_LM_MISS:
		rep->misses++;
		break;
	default:
		return false;
	}
	return r->args[MKRT_LM_BYTES] == RECORD_BYTES && r->args[MKRT_LM_CHECKSUM] == sums[r->args[0]];
}

static int run(struct mkrt_runtime *rt, const struct opts *o, const uint32_t *sums,
	       struct report *rep, double *lat)
{
	uint64_t x = 0x5EED;

	for (uint32_t i = 0; i < o->count; i++) {
		struct mkrt_ticket t;
		struct mkrt_slot res;
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		uint32_t r = (uint32_t)(x >> 33);
		/* the hot set: half the frames, and never past the resources */
		uint32_t hot = o->frames / 2 < o->resources ? o->frames / 2 : o->resources;
		hot = hot ? hot : 1;
		uint32_t rid = r % 10 < 7 ? r % hot : r % o->resources;
		struct mkrt_slot req = { .opcode = MKRT_OP_LOAD_MISS, .args = { rid, r % 10 == 9 } };
		double t0 = cli_now_ns();
		int err = mkrt_submit(rt, &req, WAIT_MS, &t);
		if (!err)
			err = mkrt_wait(rt, t, WAIT_MS, &res);
		lat[i] = (cli_now_ns() - t0) / 1000.0;
		if (err == MKRT_ESLOTFAULT) {
			rep->faults++;
			continue;
		}
		if (err)
			return cli_fail("roundtrip", err);
		rep->verified += verify(&res, sums, o->frames, rep);
	}
	rep->p99_us = cli_percentile(lat, o->count, 99);
	rep->p50_us = cli_percentile(lat, o->count, 50);
	return CLI_OK;
}

static void print(const struct opts *o, struct mkrt_runtime *rt, const struct report *r,
		  const struct mkrt_stats *st)
{
	if (!o->json) {
		printf("load-miss round trip on %s (%s): %u requests over %u resources, %u frames\n",
		       mkrt_runtime_backend(rt), mkrt_runtime_device(rt), o->count, o->resources, o->frames);
		printf("  hits %u, misses %u, prefetches %u, faults %u; verified %u of %u against the file\n",
		       r->hits, r->misses, r->prefetches, r->faults, r->verified, o->count);
		printf("  round trip p50 %.2f us, p99 %.2f us; IO requests %llu, evictions %llu\n", r->p50_us,
		       r->p99_us, (unsigned long long)st->io_requests, (unsigned long long)st->evictions);
		return;
	}
	printf("{\"backend\": \"%s\", \"device\": ", mkrt_runtime_backend(rt));
	cli_json_str(stdout, mkrt_runtime_device(rt));
	printf(", \"count\": %u, \"resources\": %u, \"frames\": %u, \"hits\": %u, \"misses\": %u, "
	       "\"prefetches\": %u, \"faults\": %u, \"verified\": %u, \"p50_us\": %.3f, \"p99_us\": %.3f, "
	       "\"io_requests\": %llu, \"evictions\": %llu}\n",
	       o->count, o->resources, o->frames, r->hits, r->misses, r->prefetches, r->faults, r->verified,
	       r->p50_us, r->p99_us, (unsigned long long)st->io_requests, (unsigned long long)st->evictions);
}

int cli_roundtrip(int argc, char **argv)
{
	struct opts o = { NULL, 10000, 1000, 64, false };
	const struct cli_opt opts[] = {
		{ "--backend", CLI_BACKEND, &o.backend, "NAME", 0, 0, "$MKRT_BACKEND, else the best probe",
		  "the backend to run on" },
		{ "--count", CLI_NUM, &o.count, "N", 1, CLI_COUNT_MAX, "10000", "LOAD_MISS requests to send" },
		{ "--resources", CLI_NUM, &o.resources, "R", 1, 1u << 18, "1000",
		  "4 KiB records in the data file (a temporary file, removed on exit)" },
		{ "--frames", CLI_NUM, &o.frames, "F", 1, 65536, "64", "device frames that hold records" },
		{ "--json", CLI_FLAG, &o.json, NULL, 0, 0, NULL, "one JSON object instead of text" },
	};
	const struct cli_cmd cmd = {
		"roundtrip", NULL, 0,
		"The load-miss round trip end to end: R records in a file, N LOAD_MISS requests\n"
		"(70% from a hot set that stays resident, every tenth a prefetch), every\n"
		"returned checksum compared with the file's. Exit 1 if any is not.",
		opts, CLI_NOPTS(opts), "environment: MKRT_BACKEND, MKRT_DEVICE, MKRT_IO_ENGINE, TMPDIR",
	};
	struct report rep = { 0 };
	struct mkrt_stats st = { 0 };
	uint32_t *sums = NULL;
	int rc = cli_parse(&cmd, argc, argv, NULL, 0, NULL);

	if (rc >= 0)
		return rc;
	char path[512] = "";
	rc = make_data(path, sizeof(path), o.resources, &sums);
	double *lat = malloc(o.count * sizeof(double));
	if (rc || !lat) {
		cli_temp_remove(path);
		free(sums);
		free(lat);
		return rc ? rc : cli_fail("roundtrip", MKRT_ENOMEM);
	}
	struct mkrt_io_config io = { .resources = o.resources, .frames = o.frames,
				     .frame_bytes = RECORD_BYTES, .path = path };
	struct mkrt_config cfg;
	struct mkrt_runtime *rt = NULL;
	mkrt_config_init(&cfg);
	cfg.backend = o.backend;
	cfg.io = &io;
	int err = mkrt_runtime_open(&cfg, &rt);
	if (err) {
		rc = cli_fail("roundtrip", err);
	} else {
		rc = run(rt, &o, sums, &rep, lat);
		mkrt_runtime_stats(rt, &st);
		if (!rc)
			print(&o, rt, &rep, &st);
		mkrt_runtime_close(rt);
	}
	cli_temp_remove(path);
	free(sums);
	free(lat);
	if (!rc && (rep.faults || rep.verified != o.count))
		rc = CLI_FAIL;
	return rc;
}
