/* SPDX-License-Identifier: MIT */
/* iodata.h - resource files for the load-miss tests: R records of B bytes,
 * each record's bytes a function of its index, and their checksums. */
#ifndef MKRT_TEST_IODATA_H
#define MKRT_TEST_IODATA_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "mkrt.h"

struct iodata {
	char path[64];
	uint32_t records, record_bytes;
	uint32_t *checksum;        /* [records] */
};

static inline uint8_t iodata_byte(uint32_t rec, uint32_t i)
{
	return (uint8_t)(rec * 131u + i * 7u + (i >> 8) * 3u + 1u);
}

/* Write @records records of @bytes bytes (the last @cut bytes missing). */
static inline void iodata_make(struct iodata *d, uint32_t records, uint32_t bytes, uint32_t cut)
{
	uint8_t *buf = malloc(bytes);
	snprintf(d->path, sizeof(d->path), "/tmp/mkrt-io-XXXXXX");
	int fd = mkstemp(d->path);
	FILE *f = fdopen(fd, "wb");
	d->records = records;
	d->record_bytes = bytes;
	d->checksum = calloc(records, sizeof(uint32_t));
	for (uint32_t r = 0; r < records; r++) {
		for (uint32_t i = 0; i < bytes; i++)
			buf[i] = iodata_byte(r, i);
		d->checksum[r] = mkrt_checksum(buf, bytes);
		size_t n = r + 1 == records ? bytes - cut : bytes;
		if (fwrite(buf, 1, n, f) != n)
			abort();
	}
	fclose(f);
	free(buf);
}

static inline void iodata_free(struct iodata *d)
{
	unlink(d->path);
	free(d->checksum);
}

#endif /* MKRT_TEST_IODATA_H */
