/* SPDX-License-Identifier: MIT */
/*
 * mkrt/io.h - the load-miss round trip (DESIGN §6): a resource arena in
 * device-visible memory, a residency table, and the host IO servicer that
 * resolves LOAD_MISS requests while the executors keep running.
 */
#ifndef MKRT_IO_H
#define MKRT_IO_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

MKRT_BEGIN_DECLS

#define MKRT_DEFAULT_FRAMES      64u
#define MKRT_DEFAULT_FRAME_BYTES 4096u

/*
 * A resolver: copy resource @id into @dst (at most @cap bytes) and return the
 * byte count, or a negative value on failure, which the slot reports as
 * MKRT_IOERR_RESOLVER (more than @cap bytes: MKRT_IOERR_TOO_BIG). Called on
 * the IO servicer's thread or on a thread waiting in mkrt_wait(), which
 * serves requests rather than idle; never on two threads at once.
 */
typedef int64_t (*mkrt_resolve_fn)(void *user, uint32_t id, void *dst, size_t cap);

struct mkrt_io_config {
	uint32_t resources;       /* ids 0 .. resources-1; others fault MKRT_IOERR_RANGE */
	uint32_t frames;          /* arena frames (0: 64) */
	uint32_t frame_bytes;     /* bytes per frame, a multiple of 4 (0: 4096) */
	/* The default resolver: resource i is bytes [i * record_bytes,
	 * (i + 1) * record_bytes) of the file at @path (record_bytes 0:
	 * frame_bytes). Opened lazily, so a missing file faults its requests. */
	const char *path;
	uint32_t record_bytes;
	const char *engine;       /* "uring", "pread", or NULL: uring where built in */
	mkrt_resolve_fn resolve;  /* a custom resolver instead of @path */
	void *user;
};

/* mkrt_checksum - the checksum a LOAD_MISS slot returns for @n bytes. */
MKRT_API uint32_t mkrt_checksum(const void *bytes, size_t n);

/* mkrt_io_engines - the read engines built in, e.g. "pread uring". */
MKRT_API const char *mkrt_io_engines(void);

MKRT_END_DECLS

#endif /* MKRT_IO_H */
