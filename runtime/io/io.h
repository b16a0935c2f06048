/* SPDX-License-Identifier: MIT */
/*
 * io.h - the IO servicer (DESIGN §6) and what it loads through: the
 * resolver and its read engines (internal).
 */
#ifndef MKRT_IO_PRIV_H
#define MKRT_IO_PRIV_H

#include "internal.h"

/* file.c: the servicer's resolver: the user's, or fixed-size records of
 * a file read through an engine (pread, io_uring). Either way, resolve()
 * returns the byte count or -MKRT_IOERR_* (a user's own failures are mapped
 * to MKRT_IOERR_RESOLVER on the way out). The struct must not move after
 * init: a user resolver's adapter points back at it. */
struct mkrt__file;
struct mkrt__resolver {
	int64_t (*resolve)(void *self, uint32_t id, void *dst, size_t cap);
	void *self;
	mkrt_resolve_fn user_fn;     /* a user resolver and its argument, or NULL */
	void *user;
	struct mkrt__file *file;     /* the default resolver's state, or NULL */
};
int mkrt__resolver_init(const struct mkrt_io_config *io, struct mkrt__resolver *out);
void mkrt__resolver_fini(struct mkrt__resolver *r);

/* A read engine: @read returns bytes read (short only at end of file) or -errno. */
struct mkrt__io_engine {
	const char *name;
	int (*open)(struct mkrt__file *f);            /* optional */
	int64_t (*read)(struct mkrt__file *f, void *dst, size_t n, uint64_t off);
	void (*close)(struct mkrt__file *f);          /* optional */
};
extern const struct mkrt__io_engine mkrt__engine_pread;
extern const struct mkrt__io_engine mkrt__engine_uring;  /* only with liburing */
struct mkrt__file {
	int fd;                      /* -1 until the file opened */
	char *path;
	uint32_t record_bytes;
	const struct mkrt__io_engine *engine;
	void *engine_state;
};

/* servicer.c: the host IO servicer thread over a backend's words. */
struct mkrt__servicer;
int mkrt__servicer_new(const struct mkrt_io_config *io, struct mkrt_exec_buffers *b,
		       struct mkrt__servicer **out);
int mkrt__servicer_start(struct mkrt__servicer *s);
void mkrt__servicer_stop(struct mkrt__servicer *s);
void mkrt__servicer_free(struct mkrt__servicer *s);
void mkrt__servicer_stats(const struct mkrt__servicer *s, struct mkrt_stats *out);
/* One pass over the IO queue on the calling thread, unless another thread
 * is in one; returns how many requests it served. */
uint32_t mkrt__servicer_help(struct mkrt__servicer *s);

#endif /* MKRT_IO_PRIV_H */
