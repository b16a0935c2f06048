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

	/* Optional (default: 0). Executors still running (lanes, kernels). After
	 * SHUTDOWN, 0 means no slot will change any more. Any thread. */
	int (*executors_live)(void *state);

	/* Required. mkrt_publish semantics into slot @slot; one writer per slot. */
	int (*publish)(void *state, uint32_t slot, const struct mkrt_slot *req, uint32_t nargs);
	/* Required. Acquire-read slot @slot. Any thread. */
	int (*read_slot)(void *state, uint32_t slot, struct mkrt_slot *out);
	/* Optional (default: EUNAVAILABLE). DONE|FAULT -> EMPTY. */
	int (*reset_slot)(void *state, uint32_t slot);
	/* Optional (default: EBUSY, nothing cancellable). PUBLISHED -> EMPTY. */
	int (*cancel_slot)(void *state, uint32_t slot);
	/* Required. Slots in the ring. */
	uint32_t (*slot_count)(void *state);
	/* Required. Copy control words [first, first + n); range pre-checked. */
	int (*read_control)(void *state, uint32_t first, uint32_t n, uint32_t *out);
	/* Required. Control words in the buffer. */
	uint32_t (*control_words)(void *state);
	/* Optional (default: EUNAVAILABLE). Copy the debug log's bytes into a
	 * buffer of @len bytes; returns the bytes copied. With @buf NULL,
	 * returns the log's size in bytes. */
	int (*read_debug_log)(void *state, uint8_t *buf, size_t len);
};

extern const struct mkrt__backend_ops mkrt__backend_host;

/* registry.c */
void mkrt__backend_bind(const struct mkrt__backend_ops *src, struct mkrt__backend_ops *dst);
const struct mkrt__backend_ops *mkrt__backend_at(int index);
/* Replace the registry (tests only; NULL restores the built-in one). */
void mkrt__registry_override(const struct mkrt__backend_ops *const *table, int n);
/* Format into the calling thread's detail buffer (mkrt_last_detail()). */
void mkrt__detail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* config.c: fill defaults and validate sizes. EINVAL, TOOBIG, HANDLER. */
int mkrt__config_resolve(const struct mkrt_config *in, struct mkrt_config *out);

#endif /* MKRT_BACKEND_H */
