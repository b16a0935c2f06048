/* SPDX-License-Identifier: MIT */
/*
 * shm_producer - a producer in its own process: it submits load misses to a
 * running `mkrt serve` through the shm client API and checks every returned
 * checksum against the data file the server reads.
 *
 *   mkrt serve --name /mkrt-demo --data FILE &
 *   shm_producer /mkrt-demo FILE [COUNT]
 *
 * Records are 4096 bytes, as mkrt serve reads them by default.
 */
#include <mkrt.h>

#include <stdio.h>
#include <stdlib.h>

#define RECORD_BYTES 4096u
#define WAIT_MS      10000u

/* Every record's checksum, computed here from the file itself. */
static uint32_t *file_checksums(const char *path, uint32_t *records)
{
	static uint8_t rec[RECORD_BYTES];
	FILE *f = fopen(path, "rb");
	uint32_t *sums = NULL, n = 0;

	if (!f)
		return NULL;
	while (fread(rec, 1, RECORD_BYTES, f) == RECORD_BYTES) {
		uint32_t *grown = realloc(sums, (n + 1) * sizeof(*sums));
		if (!grown)
			break;
		sums = grown;
		sums[n++] = mkrt_checksum(rec, RECORD_BYTES);
	}
	fclose(f);
	*records = n;
	return sums;
}

int main(int argc, char **argv)
{
	struct mkrt_shm_client *c;
	uint32_t records = 0, count = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 10) : 1000;
	uint32_t ok = 0, wrong = 0, faults = 0;

	if (argc < 3 || count == 0) {
		fprintf(stderr, "usage: %s /SEGMENT DATA_FILE [COUNT]\n", argv[0]);
		return 2;
	}
	uint32_t *sums = file_checksums(argv[2], &records);
	if (!sums || records == 0) {
		fprintf(stderr, "shm_producer: %s holds no %u-byte record\n", argv[2], RECORD_BYTES);
		return 1;
	}
	int err = mkrt_shm_client_open(argv[1], &c);
	if (err) {
		fprintf(stderr, "shm_producer: %s: %s\n  %s\n", argv[1], mkrt_strerror(err), mkrt_last_detail());
		return 1;
	}
	for (uint32_t i = 0; i < count; i++) {
		uint32_t id = (uint32_t)((i * 2654435761u) % records), slot;
		struct mkrt_slot req = { .opcode = MKRT_OP_LOAD_MISS, .args = { id, 0 } }, res;
		err = mkrt_shm_client_submit(c, &req, 2, WAIT_MS, &slot);
		err = err ? err : mkrt_shm_client_wait(c, slot, WAIT_MS, &res);
		if (err == MKRT_ESLOTFAULT) {
			faults++;
			continue;
		}
		if (err) {
			fprintf(stderr, "shm_producer: request %u: %s\n", i, mkrt_strerror(err));
			break;
		}
		if (res.args[MKRT_LM_CHECKSUM] == sums[id] && res.args[MKRT_LM_BYTES] == RECORD_BYTES)
			ok++;
		else
			wrong++;
	}
	mkrt_shm_client_close(c);
	free(sums);
	printf("shm_producer: %u load misses through %s: %u verified, %u wrong, %u faults\n", count, argv[1],
	       ok, wrong, faults);
	return ok == count ? 0 : 1;
}
