/* SPDX-License-Identifier: MIT */
/*
 * mkrt/runtime.h - backend registry, runtime lifecycle and the submission API.
 *
 * Call order: mkrt_config_init(), adjust, mkrt_runtime_open() (selects a
 * backend, opens and starts it), then any number of threads call
 * mkrt_submit() / mkrt_wait() / mkrt_poll() / mkrt_cancel(); finally
 * mkrt_runtime_stop() (optional) and mkrt_runtime_close() from one thread
 * once the others are done.
 */
#ifndef MKRT_RUNTIME_H
#define MKRT_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "common.h"
#include "exec.h"
#include "io.h"
#include "ring.h"

MKRT_BEGIN_DECLS

#define MKRT_DEFAULT_SLOTS       256u
#define MKRT_DEFAULT_OBSERVABLE  64u
#define MKRT_DEFAULT_STOP_MS     2000u
#define MKRT_DEFAULT_EPOCH_MS    500u
#define MKRT_DEFAULT_PARK_US     2000u
#define MKRT_PARK_NEVER          0xFFFFFFFFu

/* A user opcode implemented in OpenCL C for the device backends:
 * uint FUNCTION(uint opcode, __private uint *args, const struct mkrt_ctx *ctx)
 * (args: the 12 argument words, in and out; ctx: for the resource calls of
 * cl/load_miss.cl; return 0 for DONE or a non-zero fault reason), defined in
 * mkrt_config.cl_source and compiled into the megakernel, as in README.md
 * and examples/device_opcode. */
struct mkrt_cl_handler {
	uint32_t opcode;            /* a user opcode (mkrt_user_opcode()) */
	const char *function;       /* an OpenCL C identifier */
};

struct mkrt_config {
	const char *backend;        /* NULL: $MKRT_BACKEND, else the best probe */
	const char *device;         /* NULL: $MKRT_DEVICE; unused by "host" */
	uint32_t slots;             /* ring slots (default 256) */
	uint32_t observable;        /* control words after OBS (default 64) */
	uint32_t debug_records;     /* debug-log records (default 64) */
	uint32_t lanes;             /* executor lanes; 0: the backend's default
	                               (host: 1; svm on a CPU: compute units - 1,
	                               at most 4, at least 1; copy on a CPU: 2
	                               with more than 3 compute units, else 1;
	                               svm on a GPU: a 64-lane group per compute
	                               unit; copy on a GPU: 4; cuda: 1, since
	                               every warp polls across the bus; more
	                               go in 32-lane blocks) */
	const struct mkrt_control_config *control;  /* NULL: default tenants */
	const uint32_t *dfa;        /* DFA_STEP table, copied at open */
	uint32_t dfa_words;
	const struct mkrt_handler *handlers;        /* user opcodes in C (host), copied */
	uint32_t handler_count;
	const char *cl_source;                      /* user opcodes in OpenCL C (svm) */
	const struct mkrt_cl_handler *cl_handlers;
	uint32_t cl_handler_count;
	/* Bounded residency (device backends): a launch returns after this many
	 * slots per lane (0: no slot budget) or when the host asks it to after
	 * epoch_ms (0: MKRT_DEFAULT_EPOCH_MS); the host relaunches at once. */
	uint32_t epoch_slots;
	uint32_t epoch_ms;
	/* Idle parking (device backends): after park_us microseconds without a
	 * finished slot the kernel exits so an idle ring burns no core; the next
	 * publish relaunches it. 0: MKRT_DEFAULT_PARK_US; MKRT_PARK_NEVER: off. */
	uint32_t park_us;
	/* Load misses: NULL leaves LOAD_MISS without a servicer (it faults
	 * MKRT_FAULT_NO_IO). Copied at open. */
	const struct mkrt_io_config *io;
	/* The shm backend (include/mkrt/shm.h): the segment's name (NULL:
	 * $MKRT_SHM_NAME, else "/mkrt-<pid>") and the backend it forwards to
	 * (NULL: $MKRT_SHM_BACKEND, else the best probe but shm). */
	const char *shm_name;
	const char *shm_backend;
};

struct mkrt_stats {
	uint64_t launches;          /* kernel launches (device backends; host: 0) */
	uint64_t io_requests;       /* IO requests the servicer completed */
	uint64_t io_errors;         /* ... of which with an error */
	uint64_t evictions;         /* frames reloaded with another resource */
	uint64_t parks;             /* times the kernel parked (device backends) */
	uint64_t lanes;             /* executors that run slots at once (lanes, threads) */
};

/* mkrt_config_init - defaults (every field 0/NULL means "default"). */
MKRT_API void mkrt_config_init(struct mkrt_config *cfg);

/* ---- registry ----------------------------------------------------------------- */

/* mkrt_version - the library's version, "MAJOR.MINOR.PATCH".
 * mkrt_protocol_version - the wire protocol the library speaks: the
 * MKRT_PROTOCOL_VERSION it was built with, which a program built against
 * another mkrt/protocol.h can compare with its own. */
MKRT_API const char *mkrt_version(void);
MKRT_API uint32_t mkrt_protocol_version(void);

/* mkrt_backend_count / mkrt_backend_name - the registry, in preference order.
 * mkrt_backend_name returns NULL past the end. */
MKRT_API int mkrt_backend_count(void);
MKRT_API const char *mkrt_backend_name(int index);

/*
 * mkrt_backend_probe - ask backend @name whether it can run with @cfg.
 * Returns its score (> 0) or 0 when unavailable, with the reason in @reason.
 * Errors: EINVAL, NOBACKEND.
 */
MKRT_API int mkrt_backend_probe(const char *name, const struct mkrt_config *cfg, char *reason,
				size_t reason_len);

/*
 * mkrt_backend_select - the backend mkrt_runtime_open would take: @cfg's
 * backend, else $MKRT_BACKEND, else the highest score. Returns its registry
 * index. On NOBACKEND or UNAVAILABLE, @why names the problem and lists the
 * available backends with the reasons of the others.
 */
MKRT_API int mkrt_backend_select(const struct mkrt_config *cfg, char *why, size_t why_len);

/* One backend on one device (or on none), as the selection saw it. */
struct mkrt_choice {
	char backend[16];
	int32_t device;             /* device index; -1: the backend uses no OpenCL device */
	int32_t score;              /* > 0 usable (higher is preferred); 0 refused */
	char mode[64];              /* what its handshake probe accepted (device backends) */
	char reason[320];           /* why it was refused; "" when usable */
};

/* What the choice saw and took. */
struct mkrt_selection {
	char requested[32];         /* cfg->backend, else $MKRT_BACKEND; "" for automatic */
	char device_spec[64];       /* cfg->device, else $MKRT_DEVICE; "" for any device */
	int32_t chosen;             /* the row taken, or -1 (then @why says why) */
	int32_t backend_index;      /* its registry index, or -1 */
	uint32_t count;             /* rows */
	struct mkrt_choice *rows;   /* registry order; a device backend once per device */
	char why[1024];             /* how the choice was made, or why there is none */
};

/*
 * mkrt_selection_report - the choice mkrt_runtime_open makes for @cfg (may
 * be NULL), with everything it weighed: every backend of the registry, a
 * device backend (svm, copy) once per device that $MKRT_DEVICE / cfg->device
 * leaves in play, each with its score, mode and reason. The environment is
 * read once and devices are enumerated once per process; probe verdicts are
 * cached. Returns the chosen backend's registry index, or NOBACKEND,
 * UNAVAILABLE, NODEVICE, ENOMEM, EINVAL; @out is filled in either case
 * (but on EINVAL and ENOMEM) and must be released with mkrt_selection_free().
 */
MKRT_API int mkrt_selection_report(const struct mkrt_config *cfg, struct mkrt_selection *out);
MKRT_API void mkrt_selection_free(struct mkrt_selection *sel);

/* ---- runtime ------------------------------------------------------------------ */

struct mkrt_runtime;

struct mkrt_ticket {
	uint32_t slot;
	uint32_t gen;
};

/* mkrt_runtime_open - select, open and start a backend. On error *@out is
 * NULL. Errors: EINVAL, NOBACKEND, NODEVICE, UNAVAILABLE, BUILD, TOOBIG,
 * NOMEM, HANDLER, THREAD. */
MKRT_API int mkrt_runtime_open(const struct mkrt_config *cfg, struct mkrt_runtime **out);

/* The selected backend's name (never NULL for an open runtime). */
MKRT_API const char *mkrt_runtime_backend(const struct mkrt_runtime *rt);
MKRT_API uint32_t mkrt_runtime_slot_count(const struct mkrt_runtime *rt);
/* The device that runs the slots ("host CPU" for the host backend). */
MKRT_API const char *mkrt_runtime_device(struct mkrt_runtime *rt);

/* The backend's raw ring interfaces. Do not mix raw publishes with
 * mkrt_submit() on one runtime: the submission API owns slot allocation. */
MKRT_API struct mkrt_producer mkrt_runtime_producer(struct mkrt_runtime *rt);
MKRT_API struct mkrt_consumer mkrt_runtime_consumer(struct mkrt_runtime *rt);

/*
 * mkrt_submit - publish @req (status ignored, all 12 args used) into a free
 * slot. Safe from many threads at once. Waits up to @timeout_ms for a free
 * slot (0: do not wait). Errors: EINVAL, OPCODE, PACKED, RINGFULL, SHUTDOWN.
 */
MKRT_API int mkrt_submit(struct mkrt_runtime *rt, const struct mkrt_slot *req,
			 uint32_t timeout_ms, struct mkrt_ticket *ticket);

/*
 * mkrt_submit_many - mkrt_submit() for up to @n requests at once, in order:
 * waits up to @timeout_ms for the first free slot, takes as many more as are
 * free now, and publishes them together (on the copy backend, one payload
 * and one status transfer per run of consecutive slots). Returns how many
 * were submitted (1..n; ticket i is @reqs[i]'s), or an error with none
 * submitted. Every opcode is checked before anything is published.
 * Errors: EINVAL, OPCODE, PACKED, RINGFULL, SHUTDOWN.
 */
MKRT_API int mkrt_submit_many(struct mkrt_runtime *rt, const struct mkrt_slot *reqs, uint32_t n,
			      uint32_t timeout_ms, struct mkrt_ticket *tickets);

/*
 * mkrt_wait - block until @ticket's slot is DONE or FAULT, copy it into
 * @result (may be NULL) and free the slot. Returns 0 for DONE, ESLOTFAULT for
 * FAULT, ECANCELED for a ticket whose mkrt_cancel() returned EINPROGRESS and
 * was then withdrawn (@result untouched). ETIMEDOUT leaves the ticket valid;
 * ESHUTDOWN when the runtime stopped first; ESTALE for a ticket already
 * collected or never issued.
 */
MKRT_API int mkrt_wait(struct mkrt_runtime *rt, struct mkrt_ticket ticket, uint32_t timeout_ms,
		       struct mkrt_slot *result);

/* mkrt_poll - mkrt_wait without waiting: EAGAIN when not finished. */
MKRT_API int mkrt_poll(struct mkrt_runtime *rt, struct mkrt_ticket ticket,
		       struct mkrt_slot *result);

/*
 * mkrt_cancel - withdraw a ticket whose slot was not claimed yet (e.g. a
 * denied tenant). Exactly one of:
 *   0           withdrawn: it never ran, and the ticket is spent;
 *   EBUSY       a lane claimed it first: it will complete, mkrt_wait() for it;
 *   EINPROGRESS the withdrawal is posted but no lane has answered yet (copy,
 *               cuda, and svm in its modes without SVM atomics: only a lane
 *               can withdraw a slot there, and a starved or busy lane may
 *               not look for seconds). The ticket stays live and ends
 *               exactly once: mkrt_wait() returns ECANCELED if the slot was
 *               withdrawn, or the slot's own result if a lane ran it first.
 * Other errors: STALE, SHUTDOWN, and the backend's (CL, TIMEDOUT for a
 * wedged device). The host backend, and svm with SVM atomics, withdraw at
 * once, never EINPROGRESS. Thread-safe, like mkrt_wait().
 */
MKRT_API int mkrt_cancel(struct mkrt_runtime *rt, struct mkrt_ticket ticket);

/*
 * mkrt_runtime_ring - the live ring's words, for callers that publish with
 * mkrt_publish() and poll STATUS themselves (the lowest-overhead path, as
 * with liburing's rings). Only for backends whose ring the host addresses
 * directly (host, svm); EUNAVAILABLE otherwise. Never mix it with
 * mkrt_submit() on one runtime.
 */
MKRT_API int mkrt_runtime_ring(struct mkrt_runtime *rt, uint32_t **words, size_t *nwords);

/* mkrt_runtime_read_control - copy control words [@first, @first + @n).
 * Errors: EINVAL, RANGE. */
MKRT_API int mkrt_runtime_read_control(struct mkrt_runtime *rt, uint32_t first, uint32_t n,
				       uint32_t *out);

/* mkrt_runtime_read_debug_log - as mkrt_read_debug_log, on the live log. */
MKRT_API int mkrt_runtime_read_debug_log(struct mkrt_runtime *rt, struct mkrt_debug_record *out,
					 size_t cap, uint32_t *count, uint32_t *overflow);

/* mkrt_runtime_done_count - C[DONE_COUNT], read with acquire: when it is n,
 * n slots have finished (DONE or FAULT) and their effects are visible.
 * Errors: EINVAL. */
MKRT_API int mkrt_runtime_done_count(struct mkrt_runtime *rt, uint32_t *count);

/* mkrt_runtime_stats - counters of the running backend. EINVAL on NULL. */
MKRT_API int mkrt_runtime_stats(struct mkrt_runtime *rt, struct mkrt_stats *out);

/* What mkrt_runtime_measure() times. */
enum mkrt_measure {
	MKRT_MEASURE_FLOOR = 1,  /* a ping-pong between the host and a minimal kernel on the
	                            runtime's device, through the memory its ring lives in */
	MKRT_MEASURE_LAUNCH = 2, /* one launch of an empty kernel, waited for */
};

/*
 * mkrt_runtime_measure - for benchmarks: @n samples of @what on the
 * runtime's device, each in nanoseconds into @ns[0..n), measured beside the
 * runtime's own round trip (mkrt bench). One call at a time per runtime.
 * Errors: EINVAL (NULL, n 0 or over MKRT_MAX_ENTRIES, unknown @what),
 * NOTSUP (the backend has no such kernel: host, shm, svm and copy, whose
 * floor mkrt bench times on two host threads and whose launch through
 * OpenCL), CUDA, TIMEDOUT (the ping kernel did not answer within a second).
 */
MKRT_API int mkrt_runtime_measure(struct mkrt_runtime *rt, enum mkrt_measure what, uint32_t n,
				  double *ns);

/* mkrt_runtime_stop - set SHUTDOWN and wait up to @timeout_ms for the
 * executors to exit. Idempotent. ETIMEDOUT when they did not. */
MKRT_API int mkrt_runtime_stop(struct mkrt_runtime *rt, uint32_t timeout_ms);

/* mkrt_runtime_close - stop (default timeout) and free everything. NULL ok. */
MKRT_API void mkrt_runtime_close(struct mkrt_runtime *rt);

MKRT_END_DECLS

#endif /* MKRT_RUNTIME_H */
