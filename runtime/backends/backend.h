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

	/* Required, unless probe_device is given. May this backend run with
	 * @cfg (the environment applied: mkrt__config_env)? Returns a score > 0
	 * (higher is preferred) or 0 with a reason. No side effects; any thread. */
	int (*probe)(const struct mkrt_config *cfg, char *reason, size_t reason_len);
	/* A backend that runs on an OpenCL device: probe(), for device @device.
	 * The selection weighs every device in play and open() gets the one it
	 * chose in cfg->device (its index). @mode: what the probe accepted. */
	int (*probe_device)(const struct mkrt_config *cfg, uint32_t device, char *mode, size_t mode_len,
			    char *reason, size_t reason_len);
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

	/* Optional (NULL: mkrt_runtime_measure says NOTSUP). @n samples of
	 * MKRT_MEASURE_* @what in ns, on the backend's device. */
	int (*measure)(void *state, int what, uint32_t n, double *ns);

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
extern const struct mkrt__backend_ops mkrt__backend_cuda;
extern const struct mkrt__backend_ops mkrt__backend_copy;
extern const struct mkrt__backend_ops mkrt__backend_shm;

/* registry.c: the registry, in preference order */
void mkrt__backend_bind(const struct mkrt__backend_ops *src, struct mkrt__backend_ops *dst);
const struct mkrt__backend_ops *mkrt__backend_at(int index);
/* The selection (mkrt_selection_report()) for @cfg (mkrt__config_env
 * applied) among backend @only (NULL: all), never @except (may be NULL). */
int mkrt__select(const struct mkrt_config *cfg, const char *only, const char *except,
		 struct mkrt_selection *sel);
/* Choose for @cfg (mkrt__config_env applied), never @except: the registry
 * index, with cfg->device set to the chosen device's index (kept in
 * @device) when the backend runs on one; or the error mkrt__select gave. */
#define MKRT__DEVICE_ARG_LEN 16
int mkrt__choose(struct mkrt_config *cfg, const char *except, char device[MKRT__DEVICE_ARG_LEN]);
/* Replace the registry (tests only; NULL restores the built-in one). */
void mkrt__registry_override(const struct mkrt__backend_ops *const *table, int n);
#endif /* MKRT_BACKEND_H */
