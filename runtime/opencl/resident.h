/* SPDX-License-Identifier: MIT */
/*
 * resident.h - what every resident-kernel backend shares (internal): the
 * device's context and kernel queue, the megakernel and its arguments set
 * from one table, and the watcher thread that launches it, asks it to yield
 * when the epoch's time budget is spent, relaunches it, parks it while the
 * ring idles, and stops it under a watchdog (DESIGN §4).
 *
 * A backend embeds a struct mkrt__resident and reaches its memory through
 * the hooks below: svm with loads and stores on fine-grained SVM, copy with
 * transfers on a second queue. The layer never touches the ring itself.
 */
#ifndef MKRT_RESIDENT_H
#define MKRT_RESIDENT_H

#include "backend.h" /* first: config.h before any system header */
#include "cl.h"
#include "io.h"
#include "mkrt_kernel_abi.h" /* the argument indices, shared with cl/ */

#include <pthread.h>

/* Values for every argument: buffers as pointers into svm's memory or
 * cl_mem handles (copy), counts as words. */
struct mkrt__kargs {
	const struct mkrt__svm_mem *svm; /* buffers are pointers into it, else cl_mem */
	const void *svm_ptr[MKRT_KARG_COUNT_BUS];
	cl_mem mem[MKRT_KARG_COUNT_BUS];
	cl_uint count[MKRT_KARG_COUNT_BUS];
	uint32_t nargs;              /* MKRT_KARG_COUNT_CL20 (svm), MKRT_KARG_COUNT (copy;
	                                svm without host RMWs), or MKRT_KARG_COUNT_BUS (svm's
	                                bus lanes) */
};

/* How the watcher reaches the device's control words. */
struct mkrt__resident_hooks {
	/* Store @value in C[YIELD] (release); non-zero when the device failed. */
	int (*set_yield)(void *owner, uint32_t value);
	/* Whether C[SHUTDOWN] is set (acquire); true when it cannot be read. */
	bool (*shutdown_set)(void *owner);
	/* Set C[SHUTDOWN] without blocking on a wedged device. */
	void (*ask_shutdown)(void *owner);
	/* Parking (NULL: the kernel never parks): C[DONE_COUNT], and whether a
	 * PUBLISHED slot of an authorized tenant waits. */
	uint64_t (*progress)(void *owner);
	bool (*work_waiting)(void *owner);
	/* Optional: run on the host, once, what is published and never blocks;
	 * returns the slots run. The watcher calls it after a park while the
	 * launch starts. */
	uint32_t (*assist)(void *owner);
};

struct mkrt__resident;

/* How the watcher launches the megakernel: on the OpenCL device's queue
 * (mkrt__resident_init), or another way (cuda: the driver API). */
struct mkrt__launcher {
	/* Start one launch, with its arguments as set; once it has returned,
	 * mkrt__resident_returned() must run (on any thread). */
	int (*start)(struct mkrt__resident *r);
	/* Whether the launch has begun to run (the host stops assisting). */
	bool (*running)(struct mkrt__resident *r);
	/* After it returned: release it; 0, or the error it ended with. */
	int (*end)(struct mkrt__resident *r);
	/* Optional: whether it has returned, for a launch that may end without
	 * the call above (a device fault): the watcher then looks every
	 * MKRT__RETURN_LOOK_MS even while it only waits for the return. */
	bool (*returned)(struct mkrt__resident *r);
};
#define MKRT__RETURN_LOOK_MS 10u

struct mkrt__resident {
	const char *backend;         /* "svm", "copy": for messages */
	const struct mkrt__launcher *launcher;
	cl_event launch;             /* the OpenCL launcher's current launch */
	struct mkrt__device dev;
	cl_context ctx;
	cl_command_queue kq;         /* the megakernel's queue */
	cl_program prog;
	cl_kernel kernel;
	size_t global, local;
	uint32_t epoch_ms, park_us;

	const struct mkrt__resident_hooks *hooks;
	void *owner;
	struct mkrt__servicer *io;   /* the backend's IO servicer or NULL: it starts
	                                before the kernel and stops after it */

	/* the watcher */
	pthread_t watcher;
	bool watcher_joinable;
	bool stuck;                  /* a kernel may still run: never free its memory */
	uint32_t live;               /* atomic: the watcher may still launch */
	uint32_t stopping;           /* atomic: stop() was asked */
	uint64_t launches, parks;    /* atomic */
	pthread_mutex_t lock;        /* completion of the current launch, and parking */
	pthread_cond_t cond;
	bool done;
	uint32_t cold;               /* atomic: parked, or the launch after a park
	                                not running yet: waiters assist */

	/* the park handshake (resident.c) */
	uint32_t parked;             /* atomic: the kernel parked; a publish rings */
	uint32_t handshake;          /* atomic: the symmetric handshake's word */
	bool asymmetric;             /* the handshake uses membarrier(2) */
};

/* Context and kernel queue on @dev, the megakernel built with @cl_std, the
 * epoch and park settings from @cfg (park_us MKRT_PARK_NEVER when @hooks
 * cannot park). On error everything made so far is released by
 * mkrt__resident_fini(). Errors: ECL, EBUILD, ENOMEM. */
int mkrt__resident_init(struct mkrt__resident *r, const char *backend, const struct mkrt__device *dev,
			const struct mkrt_config *cfg, const char *cl_std,
			const struct mkrt__resident_hooks *hooks, void *owner);
/* The watcher's part of init alone, for a backend that launches the
 * megakernel with @launcher and fills r->dev.info (name, gpu) and
 * r->global/r->local itself. */
void mkrt__resident_init_watch(struct mkrt__resident *r, const char *backend,
			       const struct mkrt_config *cfg, const struct mkrt__resident_hooks *hooks,
			       void *owner, const struct mkrt__launcher *launcher);
/* For a launcher: the current launch has returned. */
void mkrt__resident_returned(struct mkrt__resident *r);
/* Release what init made; the backend frees its buffers first. */
void mkrt__resident_fini(struct mkrt__resident *r);
/* Set every kernel argument from @a. Errors: ECL. */
int mkrt__resident_set_args(struct mkrt__resident *r, const struct mkrt__kargs *a);

/* Start the watcher. Errors: ETHREAD. */
int mkrt__resident_start(struct mkrt__resident *r);
/* Ask SHUTDOWN and wait up to @timeout_ms for the watcher to end: 0, or
 * ETIMEDOUT with r->stuck set (the kernel may still use its memory). */
int mkrt__resident_stop(struct mkrt__resident *r, uint32_t timeout_ms);
/* Whether the watcher may still launch (acquire). */
int mkrt__resident_live(struct mkrt__resident *r);
/* After a publish: wake a parked kernel (the publisher's half of the park
 * handshake). */
void mkrt__resident_ring_bell(struct mkrt__resident *r);
/* For a waiter: while no launch runs after a park, the assist hook's pass
 * (else nothing); returns the slots it ran. */
uint32_t mkrt__resident_assist(struct mkrt__resident *r);
/* Launches, parks and lanes into @out. */
void mkrt__resident_stats(struct mkrt__resident *r, struct mkrt_stats *out);

#endif /* MKRT_RESIDENT_H */
