/* SPDX-License-Identifier: MIT */
/*
 * resident.c - the resident-kernel layer (resident.h): context, queue and
 * megakernel, its arguments from one table, and the watcher.
 *
 * The watcher owns the launches: it enqueues the megakernel, asks it to
 * yield once the epoch's time budget is spent (C[MKRT_CTL_YIELD]), and
 * relaunches it as soon as it returns, until SHUTDOWN. Lanes return only
 * between slots, so no slot is lost or run twice across a relaunch. After
 * park_us without a finished slot it asks the kernel to yield and does not
 * relaunch until a publish rings the bell.
 */
#include "resident.h"

#include <errno.h>
#include <linux/membarrier.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/*
 * The park handshake is Dekker's: the watcher stores PARKED then looks at
 * the ring; a publisher stores PUBLISHED then looks at PARKED; with a full
 * barrier between on each side, at least one of them sees the other, so a
 * slot is never left without a kernel.
 *
 * Publishes are frequent and parks rare, so where the kernel offers it the
 * barrier is asymmetric: a publisher needs only a compiler barrier, and the
 * parking watcher calls membarrier(2), which runs a full barrier on every
 * thread of the process that is running, so a publisher's store either is
 * seen by the watcher's look at the ring or its look at PARKED sees the
 * watcher's. Elsewhere (and under ThreadSanitizer, which does not model
 * membarrier) both sides do an acq_rel RMW of one word, which costs a
 * locked instruction per publish.
 */
static bool mkrt__membarrier(int cmd)
{
#if defined(__SANITIZE_THREAD__) || !defined(SYS_membarrier)
	(void)cmd;
	return false;
#else
	return syscall(SYS_membarrier, cmd, 0u, 0) == 0;
#endif
}

/* The watcher's half: true when the barrier ran (parking is safe). */
static bool mkrt__park_barrier(struct mkrt__resident *r)
{
	if (!r->asymmetric) {
		mkrt__dekker_rmw(&r->handshake);
		return true;
	}
	return mkrt__membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED);
}

static const struct mkrt__launcher mkrt__cl_launcher;

void mkrt__resident_init_watch(struct mkrt__resident *r, const char *backend,
			       const struct mkrt_config *cfg, const struct mkrt__resident_hooks *hooks,
			       void *owner, const struct mkrt__launcher *launcher)
{
	r->backend = backend;
	r->launcher = launcher;
	r->hooks = hooks;
	r->owner = owner;
	r->epoch_ms = cfg->epoch_ms;
	r->park_us = hooks->progress && hooks->work_waiting ? cfg->park_us : MKRT_PARK_NEVER;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	r->asymmetric = r->park_us != MKRT_PARK_NEVER &&
			mkrt__membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED);
}

int mkrt__resident_init(struct mkrt__resident *r, const char *backend, const struct mkrt__device *dev,
			const struct mkrt_config *cfg, const char *cl_std,
			const struct mkrt__resident_hooks *hooks, void *owner)
{
	cl_int rc;

	mkrt__resident_init_watch(r, backend, cfg, hooks, owner, &mkrt__cl_launcher);
	r->dev = *dev;
	cl_context_properties props[] = { CL_CONTEXT_PLATFORM, (cl_context_properties)dev->platform, 0 };
	r->ctx = clCreateContext(props, 1, &dev->id, NULL, NULL, &rc);
	if (!r->ctx)
		return mkrt__cl_fail("clCreateContext", rc);
	r->kq = clCreateCommandQueueWithProperties(r->ctx, dev->id, NULL, &rc);
	if (!r->kq)
		return mkrt__cl_fail("clCreateCommandQueueWithProperties(megakernel)", rc);
	return mkrt__megakernel_build(r->ctx, dev, cfg, cl_std, &r->prog, &r->kernel);
}

void mkrt__resident_fini(struct mkrt__resident *r)
{
	if (!r->backend)
		return; /* init never ran */
	if (r->kernel)
		clReleaseKernel(r->kernel);
	if (r->prog)
		clReleaseProgram(r->prog);
	if (r->kq)
		clReleaseCommandQueue(r->kq);
	if (r->ctx)
		clReleaseContext(r->ctx);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
}

static bool mkrt__karg_is_buffer(uint32_t k)
{
	switch (k) {
	case MKRT_KARG_RING:
	case MKRT_KARG_CONTROL:
	case MKRT_KARG_DEBUG:
	case MKRT_KARG_DFA:
	case MKRT_KARG_IO:
	case MKRT_KARG_RESIDENCY:
	case MKRT_KARG_FRAMES:
	case MKRT_KARG_ARENA:
	case MKRT_KARG_WITHDRAW:
	case MKRT_KARG_CLAIMS:
		return true;
	default:
		return false;
	}
}

int mkrt__resident_set_args(struct mkrt__resident *r, const struct mkrt__kargs *a)
{
	cl_uint declared = 0;

	/* a megakernel.cl out of step with mkrt_kernel_abi.h (MKRT_CL_DIR) */
	if (clGetKernelInfo(r->kernel, CL_KERNEL_NUM_ARGS, sizeof(declared), &declared, NULL) ==
		    CL_SUCCESS &&
	    declared != a->nargs) {
		mkrt__detail("mkrt_megakernel declares %u arguments; mkrt_kernel_abi.h says %u", declared,
			     a->nargs);
		return MKRT_EBUILD;
	}
	for (uint32_t k = 0; k < a->nargs; k++) {
		cl_int rc;
		if (!mkrt__karg_is_buffer(k))
			rc = clSetKernelArg(r->kernel, k, sizeof(cl_uint), &a->count[k]);
		else if (a->svm)
			rc = mkrt__svm_mem_set_arg(a->svm, r->kernel, k, a->svm_ptr[k]);
		else
			rc = clSetKernelArg(r->kernel, k, sizeof(cl_mem), &a->mem[k]);
		if (rc != CL_SUCCESS) {
			char call[64];
			snprintf(call, sizeof(call), "clSetKernelArg(mkrt_megakernel, %u)", k);
			return mkrt__cl_fail(call, rc);
		}
	}
	return 0;
}

/* ---- the OpenCL launcher ------------------------------------------------------------------ */

static void CL_CALLBACK mkrt__cl_complete(cl_event ev, cl_int status, void *arg)
{
	(void)ev;
	(void)status;
	mkrt__resident_returned(arg);
}

static int mkrt__cl_start(struct mkrt__resident *r)
{
	cl_int rc = clEnqueueNDRangeKernel(r->kq, r->kernel, 1, NULL, &r->global, &r->local, 0, NULL,
					   &r->launch);

	if (rc == CL_SUCCESS)
		rc = clSetEventCallback(r->launch, CL_COMPLETE, mkrt__cl_complete, r);
	if (rc != CL_SUCCESS) {
		if (r->launch)
			clReleaseEvent(r->launch);
		r->launch = NULL;
		return mkrt__cl_fail("clEnqueueNDRangeKernel(mkrt_megakernel)", rc);
	}
	clFlush(r->kq);
	return 0;
}

static cl_int mkrt__cl_status(struct mkrt__resident *r)
{
	cl_int status = CL_COMPLETE;

	if (clGetEventInfo(r->launch, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof(status), &status,
			   NULL) != CL_SUCCESS)
		return CL_COMPLETE; /* nothing more to learn from it */
	return status;
}

static bool mkrt__cl_running(struct mkrt__resident *r)
{
	return mkrt__cl_status(r) <= CL_RUNNING;
}

static int mkrt__cl_end(struct mkrt__resident *r)
{
	cl_int status = mkrt__cl_status(r);

	clReleaseEvent(r->launch);
	r->launch = NULL;
	return status < 0 ? mkrt__cl_fail("mkrt_megakernel execution", status) : 0;
}

static const struct mkrt__launcher mkrt__cl_launcher = {
	.start = mkrt__cl_start,
	.running = mkrt__cl_running,
	.end = mkrt__cl_end,
};

/* ---- the watcher ----------------------------------------------------------------------------- */

void mkrt__resident_returned(struct mkrt__resident *r)
{
	pthread_mutex_lock(&r->lock);
	r->done = true;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

static bool mkrt__should_stop(struct mkrt__resident *r)
{
	/* acquire: pairs with stop()'s release, or the SHUTDOWN opcode's */
	return mkrt__load_acquire(&r->stopping) || r->hooks->shutdown_set(r->owner);
}

/* Wait for the launch to return. Past the epoch's time budget, or after
 * park_us without a finished slot, ask it to yield. Sets *@idle when it was
 * asked to because it idled (it parks); returns non-zero when the yield
 * could not be asked (the device failed). */
static int mkrt__wait_launch(struct mkrt__resident *r, bool *yielded, bool *idle)
{
	uint64_t start = mkrt__now_ns(), idle_since = start, done = 0;
	uint64_t epoch_ns = (uint64_t)r->epoch_ms * 1000000u;
	bool parking = r->park_us != MKRT_PARK_NEVER, counted = false;
	uint32_t step_us = parking ? (r->park_us / 4 > 50 ? r->park_us / 4 : 50) : 0;
	int err = 0;

	pthread_mutex_lock(&r->lock);
	while (!r->done) {
		struct timespec deadline;
		if (r->launcher->returned) {
			pthread_mutex_unlock(&r->lock);
			bool ended = r->launcher->returned(r);
			pthread_mutex_lock(&r->lock);
			if (ended)
				break;
		}
		if (*yielded) {
			if (!r->launcher->returned) {
				pthread_cond_wait(&r->cond, &r->lock);
				continue;
			}
			mkrt__realtime_deadline(&deadline, MKRT__RETURN_LOOK_MS);
			pthread_cond_timedwait(&r->cond, &r->lock, &deadline);
			continue;
		}
		uint64_t now = mkrt__now_ns();
		uint64_t left_us = now - start < epoch_ns ? (epoch_ns - (now - start)) / 1000u + 1 : 0;
		uint64_t wait_us = step_us && step_us < left_us ? step_us : left_us;
		if (r->launcher->returned && wait_us > MKRT__RETURN_LOOK_MS * 1000u)
			wait_us = MKRT__RETURN_LOOK_MS * 1000u;
		mkrt__realtime_deadline_us(&deadline, wait_us);
		if (pthread_cond_timedwait(&r->cond, &r->lock, &deadline) != ETIMEDOUT)
			continue;
		now = mkrt__now_ns();
		/* progress is first read at the first step, not at the launch: a
		 * launch that returns sooner (epoch_slots) costs no read; idleness
		 * is counted from that first read. The hooks run without the lock:
		 * copy's are transfers, and the driver thread that completes them
		 * may be the one whose completion callback takes the lock. */
		if (parking) {
			pthread_mutex_unlock(&r->lock);
			uint64_t d = r->hooks->progress(r->owner);
			if (!counted || d != done || r->hooks->work_waiting(r->owner))
				idle_since = now; /* the lanes moved, or work waits for them */
			done = d;
			counted = true;
			pthread_mutex_lock(&r->lock);
		}
		*idle = parking && now - idle_since >= (uint64_t)r->park_us * 1000u;
		if (*idle || now - start >= epoch_ns) {
			pthread_mutex_unlock(&r->lock);
			/* lanes read YIELD between slots and return; we relaunch */
			err = r->hooks->set_yield(r->owner, 1);
			pthread_mutex_lock(&r->lock);
			*yielded = true;
		}
	}
	pthread_mutex_unlock(&r->lock);
	return err;
}

/* Park: no relaunch until a publish rings (or stop). */
static void mkrt__park(struct mkrt__resident *r)
{
	mkrt__store_relaxed(&r->parked, 1);
	if (!mkrt__park_barrier(r) || r->hooks->work_waiting(r->owner)) {
		mkrt__store_relaxed(&r->parked, 0);
		return;
	}
	mkrt__add64_relaxed(&r->parks, 1);
	if (r->hooks->assist)
		mkrt__store_relaxed(&r->cold, 1);
	pthread_mutex_lock(&r->lock);
	while (mkrt__load_relaxed(&r->parked) && !mkrt__load_acquire(&r->stopping))
		pthread_cond_wait(&r->cond, &r->lock);
	pthread_mutex_unlock(&r->lock);
}

/*
 * The launch after a park is a cold one: 80-150 us on this machine's PoCL
 * before a lane runs, against 40 us for a launch right after another
 * (docs/PERFORMANCE.md), and the publish that rang waits for it. So until
 * the launch runs (or for MKRT__ASSIST_NS, should it never start) the host
 * runs what never blocks itself, through the assist hook (the same claim by
 * CAS as the lanes'): the watcher, awake anyway, and every waiter in
 * mkrt_wait (mkrt__resident_assist), which then need not wait for a thread
 * to wake.
 */
#define MKRT__ASSIST_NS      100000000u
#define MKRT__ASSIST_STEP_NS 10000L /* the watcher's look, between sleeps */

static void mkrt__assist(struct mkrt__resident *r)
{
	uint64_t until = mkrt__now_ns() + MKRT__ASSIST_NS;

	do {
		mkrt__resident_assist(r);
		nanosleep(&(struct timespec){ .tv_nsec = MKRT__ASSIST_STEP_NS }, NULL);
	} while (!r->launcher->running(r) && mkrt__now_ns() < until);
	mkrt__store_relaxed(&r->cold, 0);
}

uint32_t mkrt__resident_assist(struct mkrt__resident *r)
{
	/* after SHUTDOWN no slot starts, on the host either */
	if (!r->hooks->assist || !mkrt__load_relaxed(&r->cold) || mkrt__should_stop(r))
		return 0;
	return r->hooks->assist(r->owner);
}

void mkrt__resident_ring_bell(struct mkrt__resident *r)
{
	if (r->park_us == MKRT_PARK_NEVER)
		return; /* nothing ever parks: keep the RMW off the publish path */
	if (r->asymmetric)
		mkrt__compiler_barrier();
	else
		mkrt__dekker_rmw(&r->handshake);
	if (!mkrt__load_relaxed(&r->parked))
		return;
	pthread_mutex_lock(&r->lock);
	mkrt__store_relaxed(&r->parked, 0);
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

/* One launch, to its return; then park if it idled. */
static int mkrt__launch(struct mkrt__resident *r)
{
	bool yielded = false, idle = false;
	bool assist = mkrt__load_relaxed(&r->cold); /* the launch after a park */

	if (assist)
		mkrt__resident_assist(r); /* the publish that rang, at once */
	/* YIELD reads 0 whenever the host is not asking */
	int err = r->hooks->set_yield(r->owner, 0);
	if (err)
		return err;
	r->done = false;
	err = r->launcher->start(r);
	if (err)
		return err;
	mkrt__add64_relaxed(&r->launches, 1);
	if (assist)
		mkrt__assist(r);
	err = mkrt__wait_launch(r, &yielded, &idle);
	if (yielded && !err)
		err = r->hooks->set_yield(r->owner, 0);
	int ended = r->launcher->end(r);
	if (ended)
		return ended;
	if (!err && idle && !mkrt__should_stop(r))
		mkrt__park(r);
	return err;
}

static void *mkrt__watch(void *arg)
{
	struct mkrt__resident *r = arg;

	mkrt__thread_precise_timers();
	while (!mkrt__should_stop(r))
		if (mkrt__launch(r))
			break; /* the device failed: waiters see no executor and give up */
	mkrt__store_relaxed(&r->cold, 0); /* and run nothing themselves */
	/* release: a waiter that sees no executor also sees every finished slot */
	mkrt__sub_release(&r->live, 1);
	return NULL;
}

int mkrt__resident_start(struct mkrt__resident *r)
{
	if (r->io && mkrt__servicer_start(r->io))
		return MKRT_ETHREAD;
	mkrt__store_release(&r->live, 1);
	if (pthread_create(&r->watcher, NULL, mkrt__watch, r)) {
		mkrt__store_release(&r->live, 0);
		mkrt__servicer_stop(r->io);
		return MKRT_ETHREAD;
	}
	r->watcher_joinable = true;
	return 0;
}

int mkrt__resident_stop(struct mkrt__resident *r, uint32_t timeout_ms)
{
	struct timespec deadline;

	mkrt__store_release(&r->stopping, 1);
	/* running lanes see SHUTDOWN and return after their current slot */
	r->hooks->ask_shutdown(r->owner);
	pthread_mutex_lock(&r->lock); /* wake a parked watcher */
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	if (r->watcher_joinable) {
		mkrt__realtime_deadline(&deadline, timeout_ms);
		if (pthread_timedjoin_np(r->watcher, NULL, &deadline) == ETIMEDOUT) {
			r->stuck = true; /* the watchdog: report, never hang */
			mkrt__detail("%s: the megakernel on %s did not return within %u ms of SHUTDOWN",
				     r->backend, r->dev.info.name, timeout_ms);
			return MKRT_ETIMEDOUT;
		}
		r->watcher_joinable = false;
		r->stuck = false;
	}
	mkrt__servicer_stop(r->io); /* the kernel is gone: nothing waits on IO */
	return 0;
}

int mkrt__resident_live(struct mkrt__resident *r)
{
	/* acquire: pairs with the watcher's release when it ends */
	return (int)mkrt__load_acquire(&r->live);
}

void mkrt__resident_stats(struct mkrt__resident *r, struct mkrt_stats *out)
{
	out->launches = mkrt__load64_relaxed(&r->launches);
	out->parks = mkrt__load64_relaxed(&r->parks);
	out->lanes = r->global;
}
