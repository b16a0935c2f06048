/* SPDX-License-Identifier: MIT */
/*
 * load_miss_roundtrip - a device asks for resources it does not hold.
 *
 * Writes a file of R records, opens a runtime whose IO servicer serves
 * LOAD_MISS requests from it, publishes N load misses (hits, misses and
 * prefetches) and checks every returned checksum against the file. Prints
 * the counts and the round-trip latency p50 / p99.
 *
 * usage: load_miss_roundtrip [N [R]]   (defaults 10000 and 1000)
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, mkstemp */

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <mkrt.h>

#define RECORD 4096u

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* R records; record r's bytes are (r + i) * 37. Returns their checksums. */
static uint32_t *write_file(const char *path, uint32_t R)
{
	static uint8_t rec[RECORD];
	uint32_t *sums = malloc(R * sizeof(uint32_t));
	FILE *f = fopen(path, "wb");

	for (uint32_t r = 0; f && sums && r < R; r++) {
		for (uint32_t i = 0; i < RECORD; i++)
			rec[i] = (uint8_t)((r + i) * 37u);
		sums[r] = mkrt_checksum(rec, RECORD);
		fwrite(rec, 1, RECORD, f);
	}
	if (!f || fclose(f) || !sums)
		exit(fprintf(stderr, "cannot write %s\n", path) > 0);
	return sums;
}

/* Argument @i as a whole number in [1, @max], else @def when absent; 0 when
 * it is neither (the caller says so). */
static uint32_t arg(int argc, char **argv, int i, uint32_t def, uint32_t max)
{
	char *end;
	unsigned long v;

	if (argc <= i)
		return def;
	v = strtoul(argv[i], &end, 10);
	return argv[i][0] >= '0' && argv[i][0] <= '9' && !*end && v >= 1 && v <= max ? (uint32_t)v : 0;
}

int main(int argc, char **argv)
{
	uint32_t N = arg(argc, argv, 1, 10000, 1u << 24), R = arg(argc, argv, 2, 1000, 1u << 18);
	if (argc > 3 || !N || !R) {
		fprintf(stderr, "usage: load_miss_roundtrip [N [R]]: N requests (1 to 16777216, default "
				"10000) over R resources (1 to 262144, default 1000)\n");
		return 2;
	}
	char path[] = "/tmp/mkrt-example-XXXXXX";
	close(mkstemp(path));
	uint32_t *sums = write_file(path, R);
	double *lat = malloc(N * sizeof(double));
	uint32_t hits = 0, misses = 0, prefetches = 0, faults = 0, bad = 0;

	struct mkrt_io_config io = { .resources = R, .frames = 64, .frame_bytes = RECORD, .path = path };
	struct mkrt_config cfg;
	struct mkrt_runtime *rt;
	mkrt_config_init(&cfg);
	cfg.io = &io;
	int err = mkrt_runtime_open(&cfg, &rt);
	if (err || !lat) {
		fprintf(stderr, "%s\n%s\n", mkrt_strerror(err), mkrt_last_detail());
		unlink(path);
		return 1;
	}
	uint32_t hot = R < 32 ? R : 32;

	for (uint32_t i = 0; i < N; i++) {
		uint32_t r = (uint32_t)rand(), id = r % 4 ? r % hot : r % R; /* 3/4 from 32 hot ones */
		struct mkrt_slot req = { .opcode = MKRT_OP_LOAD_MISS, .args = { id, i % 10 == 9 } }, res;
		struct mkrt_ticket t;
		double t0 = now_us();
		err = mkrt_submit(rt, &req, 1000, &t);
		err = err ? err : mkrt_wait(rt, t, 10000, &res);
		lat[i] = now_us() - t0;
		uint32_t out = res.args[MKRT_LM_OUTCOME];
		if (err) {
			faults++;
		} else if (out == MKRT_LM_PREFETCH || out == MKRT_LM_PREFETCH_HIT) {
			prefetches++;
		} else {
			hits += out == MKRT_LM_HIT;
			misses += out == MKRT_LM_MISS;
			bad += res.args[MKRT_LM_CHECKSUM] != sums[id];
		}
	}
	qsort(lat, N, sizeof(double), by_value);
	printf("%s on %s: %u load misses over %u resources\n", mkrt_runtime_backend(rt),
	       mkrt_runtime_device(rt), N, R);
	printf("hits %u, misses %u, prefetches %u, faults %u, checksum mismatches %u\n", hits, misses,
	       prefetches, faults, bad);
	printf("round trip p50 %.2f us, p99 %.2f us\n", lat[N / 2], lat[(uint64_t)N * 99 / 100]);
	mkrt_runtime_close(rt);
	unlink(path);
	free(sums);
	free(lat);
	return faults || bad;
}
