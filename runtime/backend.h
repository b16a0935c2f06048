/* SPDX-License-Identifier: MIT */
/*
 * backend.h - the backend ops table and the registry (internal).
 *
 * A backend is one ops table. Required hooks must be non-NULL; optional ones
 * may be NULL and get a default from mkrt__backend_bind(), so the runtime
 * never calls through NULL. "state" is whatever open() returned.
 */
#ifndef MKRT_BACKEND_H
#define MKRT_BACKEND_H

#include "internal.h"

/* The word buffers a backend shares with its executors. */
enum mkrt__region {
	MKRT__REGION_RING,
	MKRT__REGION_CONTROL,
	MKRT__REGION_DEBUG,
	MKRT__REGION_IO,
	MKRT__REGION_DFA,
	MKRT__REGION_COUNT
};

struct mkrt__backend_ops {
	const char *name;        /* stable, lower case: "host", "svm", ... */
	const char *summary;     /* one line for listings */

	/* Required. May this backend run with @cfg? Returns a score > 0 (higher
	 * is preferred) or 0 with a reason. No side effects; any thread. */
	int (*probe)(const struct mkrt_config *cfg, char *reason, size_t reason_len);
	/* Required. Allocate ring, control and log (cfg already resolved). */
	int (*open)(const struct mkrt_config *cfg, void **state);
	/* Optional (default: nothing to start). Begin executing slots. */
	int (*start)(void *state);
	/* Optional (default: 0). Set SHUTDOWN and wait up to @timeout_ms for the
	 * executors to exit; idempotent; ETIMEDOUT if they did not. */
	int (*stop)(void *state, uint32_t timeout_ms);
	/* Required. Free everything; called once, after stop() succeeded or
	 * timed out (then it must not free memory a live executor uses). */
	void (*close)(void *state);

	/* Optional (default: 1, "unknown"). Executors still running (lanes,
	 * kernels); 0 means no slot will change any more, so waiters stop
	 * waiting and submitters are refused. Any thread. */
	int (*executors_live)(void *state);
	/* Optional (default: EUNAVAILABLE). The ring's words, when the host can
	 * address them directly. */
	int (*ring_words)(void *state, uint32_t **words, size_t *nwords);
	/* Optional (default: "host CPU"). What runs the slots, for reports. */
	const char *(*device_name)(void *state);
	/* Optional (default: zeros). Counters; any thread. */
	void (*stats)(void *state, struct mkrt_stats *out);
	/* Optional (default: 0). Serve IO requests that are waiting, on the
	 * calling thread, unless someone else is serving them now; returns how
	 * many it served. Waiters call it instead of idling. Any thread. */
	uint32_t (*serve_io)(void *state);

	/* Required. mkrt_publish semantics into slot @slot; one writer per slot. */
	int (*publish)(void *state, uint32_t slot, const struct mkrt_slot *req, uint32_t nargs);
	/* Optional, the one hook left NULL when absent: the runtime then calls
	 * publish() in turn (submit.c). Publish @reqs[i] into @slots[i]
	 * for i in order, all 12 args each, at less cost than one at a time;
	 * returns how many were published (a prefix), or an error when none. */
	int (*publish_many)(void *state, const uint32_t *slots, const struct mkrt_slot *reqs, uint32_t n);
	/* Required. Acquire-read slot @slot. Any thread. */
	int (*read_slot)(void *state, uint32_t slot, struct mkrt_slot *out);
	/* Optional (default: EUNAVAILABLE). DONE|FAULT -> EMPTY. */
	int (*reset_slot)(void *state, uint32_t slot);
	/* Optional (default: EBUSY, nothing cancellable). PUBLISHED -> EMPTY:
	 * 0 when withdrawn, ESTATE when claimed first, EINPROGRESS when the
	 * withdrawal is posted for a lane that has not answered (the slot then
	 * reads EMPTY once withdrawn, or finishes as it would have). */
	int (*cancel_slot)(void *state, uint32_t slot);
	/* Required. Words in region @r (0 when the backend has none). */
	uint32_t (*region_words)(void *state, enum mkrt__region r);
	/* Required. Copy words [first, first + n) of region @r out (acquire
	 * loads) or in (release stores); the range is pre-checked. */
	int (*read_region)(void *state, enum mkrt__region r, uint32_t first, uint32_t n,
			   uint32_t *out);
	int (*write_region)(void *state, enum mkrt__region r, uint32_t first, uint32_t n,
			    const uint32_t *in);
};

extern const struct mkrt__backend_ops mkrt__backend_host;
extern const struct mkrt__backend_ops mkrt__backend_svm;
extern const struct mkrt__backend_ops mkrt__backend_copy;
extern const struct mkrt__backend_ops mkrt__backend_shm;

/*
 * words.c: hooks shared by backends whose buffers the host addresses directly
 * (host memory, fine-grained SVM). Such a backend's state starts with a
 * struct mkrt__words, so these hooks can take its state as is.
 */
struct mkrt__words {
	struct mkrt_exec_buffers b;     /* ring, control, log, DFA, IO queue, arena */
	struct mkrt__servicer *servicer; /* NULL without cfg->io */
};
int mkrt__words_ring(void *state, uint32_t **words, size_t *nwords);
int mkrt__words_publish(void *state, uint32_t slot, const struct mkrt_slot *req, uint32_t nargs);
int mkrt__words_read_slot(void *state, uint32_t slot, struct mkrt_slot *out);
int mkrt__words_reset_slot(void *state, uint32_t slot);
int mkrt__words_cancel_slot(void *state, uint32_t slot);
uint32_t mkrt__words_region_words(void *state, enum mkrt__region r);
int mkrt__words_read_region(void *state, enum mkrt__region r, uint32_t first, uint32_t n,
			    uint32_t *out);
int mkrt__words_write_region(void *state, enum mkrt__region r, uint32_t first, uint32_t n,
			     const uint32_t *in);
/* Sizes every buffer from @cfg (resolved) and encodes control and log.
 * @alloc returns zeroed, 64-byte aligned words or NULL. */
int mkrt__words_init(struct mkrt__words *w, const struct mkrt_config *cfg,
		     uint32_t *(*alloc)(void *ctx, size_t words), void *ctx);
void mkrt__words_free(struct mkrt__words *w, void (*release)(void *ctx, uint32_t *p), void *ctx);
uint32_t mkrt__words_serve_io(void *state);

/* io_file.c: the servicer's resolver: the user's, or fixed-size records of
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

/* io_servicer.c: the host IO servicer thread over a backend's words. */
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
/* Starts / stops the words' servicer if there is one (backend hooks). */
int mkrt__words_start_io(struct mkrt__words *w);
void mkrt__words_stop_io(struct mkrt__words *w);

/* registry.c */
void mkrt__backend_bind(const struct mkrt__backend_ops *src, struct mkrt__backend_ops *dst);
const struct mkrt__backend_ops *mkrt__backend_at(int index);
/* mkrt_backend_select() with @requested (NULL or "": the best probe) and
 * never @except (may be NULL); the index or an error, explained in @why. */
int mkrt__backend_choose(const struct mkrt_config *cfg, const char *requested, const char *except,
			 char *why, size_t why_len);
/* Replace the registry (tests only; NULL restores the built-in one). */
void mkrt__registry_override(const struct mkrt__backend_ops *const *table, int n);
/* Format into the calling thread's detail buffer (mkrt_last_detail()). */
void mkrt__detail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* config.c: fill defaults and validate sizes; @io holds the resolved IO
 * config that out->io then points to. EINVAL, TOOBIG, HANDLER, UNAVAILABLE. */
int mkrt__config_resolve(const struct mkrt_config *in, struct mkrt_config *out,
			 struct mkrt_io_config *io);

#endif /* MKRT_BACKEND_H */
