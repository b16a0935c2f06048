/* SPDX-License-Identifier: MIT */
/*
 * io.h - the IO servicer (DESIGN §6), the ports it reaches a backend's
 * queue through, and what it loads with: the resolver and its read
 * engines (internal).
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

/*
 * servicer.c: one IO servicer (DESIGN §6) for every backend: a thread, and
 * waiters that help, take PUBLISHED READ requests off the IO queue, load
 * each resource through the resolver and complete it. How the queue and the
 * frames are reached is the backend's, through a port:
 */
struct mkrt__io_port {
	/* The queue's MKRT_IO_SLOTS * MKRT_IO_WORDS words: the live ones, or a
	 * copy read back now; NULL when the device failed (the pass ends). */
	const uint32_t *(*queue)(void *ctx);
	/* Optional: take request @q, seen PUBLISHED, before another thread does;
	 * false when one did. NULL: only the servicer moves a request on. */
	bool (*claim)(void *ctx, uint32_t q);
	/* The frame for request @req's resource @rid (in range): one to load
	 * into, with *@dst where its bytes go (frame_bytes, a multiple of 4),
	 * or one that holds @rid already (*@dst NULL); or -MKRT_IOERR_*. */
	int64_t (*frame)(void *ctx, const uint32_t *req, uint32_t rid, uint8_t **dst);
	/* Complete request @q: @res bytes were loaded into @frame (@loaded), or
	 * @frame already held them (@res 0), or it failed (@res -MKRT_IOERR_*;
	 * @frame is the one to give back, or -1). Non-zero: the device failed. */
	int (*complete)(void *ctx, uint32_t q, const uint32_t *req, int64_t frame, bool loaded,
			int64_t res);
	/* The lanes pick and evict frames, and count evictions in the control
	 * words (C[MKRT_CTL_EVICTIONS]); else the host does, in its frames. */
	bool lanes_evict;
};
struct mkrt__servicer;
/* Serves @io (resolved) over @port; @ctx is the port's. */
int mkrt__servicer_new(const struct mkrt_io_config *io, const struct mkrt__io_port *port, void *ctx,
		       struct mkrt__servicer **out);
int mkrt__servicer_start(struct mkrt__servicer *s);
void mkrt__servicer_stop(struct mkrt__servicer *s);
void mkrt__servicer_free(struct mkrt__servicer *s);
/* io_requests and io_errors. */
void mkrt__servicer_stats(const struct mkrt__servicer *s, struct mkrt_stats *out);
/* One pass over the IO queue on the calling thread, unless another thread
 * is in one; returns how many requests it served. */
uint32_t mkrt__servicer_help(struct mkrt__servicer *s);

/* frames.c: the port for a queue and frames in memory the host addresses
 * (host, svm): the servicer picks each frame and evicts, by clock. */
struct mkrt__host_frames {
	struct mkrt_exec_buffers *b;
	uint32_t hand;               /* clock hand (one pass at a time) */
	uint64_t evictions;          /* atomic */
};
extern const struct mkrt__io_port mkrt__host_frames_port;
/* The port for the same memory where the host must not read-modify-write
 * what the lanes do (cuda): the lanes pick and evict frames, the host only
 * loads and stores. Its context is a struct mkrt__host_frames too. */
extern const struct mkrt__io_port mkrt__lane_frames_port;

#endif /* MKRT_IO_PRIV_H */
