/* SPDX-License-Identifier: MIT */
/*
 * backend_svm.c - the "svm" backend: the megakernel resident on an OpenCL
 * device, ring and control in fine-grained SVM.
 *
 * The device is the best one whose handshake probe passed (svm_probe.c), or
 * the one MKRT_DEVICE names. A watcher thread owns the launches: it enqueues
 * the megakernel, asks it to yield once the epoch's time budget is spent
 * (C[MKRT_CTL_YIELD]), and relaunches it as soon as it returns, until
 * SHUTDOWN. Lanes return only between slots, so no slot is lost or run twice
 * across a relaunch. The host side touches the SVM words exactly like the
 * host backend's memory (words.c).
 */
#include "backend.h"
#include "cl.h"

#include <errno.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MKRT__GPU_GROUP 64u

struct mkrt__svm {
	struct mkrt__words w;        /* first: the shared word hooks take the state */
	struct mkrt__device dev;
	cl_svm_mem_flags flags;
	cl_context ctx;
	cl_command_queue queue;
	cl_program prog;
	cl_kernel kernel;
	size_t global, local;
	uint32_t epoch_ms;
	uint32_t park_us;
	uint32_t parked;             /* atomic: the kernel parked; a publish rings */
	uint32_t handshake;          /* atomic: the park/publish handshake word */
	bool asymmetric;             /* the handshake uses membarrier(2) */
	uint64_t parks;              /* atomic */
	pthread_t watcher;
	bool watcher_joinable;
	bool stuck;                  /* a kernel may still run: never free its memory */
	uint32_t live;               /* atomic: the watcher may still launch */
	uint32_t stopping;           /* atomic: stop() was asked */
	uint64_t launches;           /* atomic */
	/* completion of the current launch, signalled by the event callback */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
};

/* ---- device choice ---------------------------------------------------------- */

/* The svm verdict of one device, as a device-pick score. */
static int mkrt__svm_score(const struct mkrt__device *dev, void *verdict, char *why, size_t len)
{
	struct mkrt__verdict *v = verdict;

	mkrt__svm_verdict(dev, v);
	if (!v->score)
		snprintf(why, len, "%s", v->reason);
	return v->score;
}

static int mkrt__svm_pick(const struct mkrt_config *cfg, struct mkrt__device *dev,
			  struct mkrt__verdict *verdict, char *why, size_t why_len)
{
	return mkrt__device_pick(cfg, mkrt__svm_score, verdict, sizeof(*verdict), dev, why, why_len);
}

static int mkrt__svm_probe(const struct mkrt_config *cfg, char *reason, size_t len)
{
	struct mkrt__device dev;
	struct mkrt__verdict v;
	char why[1024];
	int score = mkrt__svm_pick(cfg, &dev, &v, why, sizeof(why));

	if (!score && len)
		snprintf(reason, len, "%s", why);
	return score;
}

/* ---- buffers ------------------------------------------------------------------- */

static uint32_t *mkrt__svm_alloc(void *ctx, size_t words)
{
	struct mkrt__svm *s = ctx;
	size_t bytes = (words * sizeof(uint32_t) + MKRT_SLOT_BYTES - 1) / MKRT_SLOT_BYTES * MKRT_SLOT_BYTES;
	uint32_t *p = mkrt__svm_alloc_bytes(s->ctx, CL_MEM_READ_WRITE | s->flags, bytes,
					    MKRT_SLOT_BYTES);

	if (!p) {
		mkrt__detail("clSVMAlloc(%zu B, align %u, %s) returned NULL on %s", bytes,
			     MKRT_SLOT_BYTES, s->flags & CL_MEM_SVM_ATOMICS ? "fine+atomics" : "fine",
			     s->dev.info.name);
		return NULL;
	}
	memset(p, 0, bytes); /* no kernel runs yet: plain stores are fine */
	return p;
}

static void mkrt__svm_release(void *ctx, uint32_t *p)
{
	clSVMFree(((struct mkrt__svm *)ctx)->ctx, p);
}

/* ---- program --------------------------------------------------------------------- */

static int mkrt__svm_build(struct mkrt__svm *s, const struct mkrt_config *cfg)
{
	return mkrt__megakernel_build(s->ctx, &s->dev, cfg, mkrt__device_cl_std(&s->dev.info), &s->prog,
				      &s->kernel);
}

/* Forward-progress-safe geometry (DESIGN §4): work-groups of one on CPUs, at
 * most one lane per compute unit; GPUs one group per compute unit. */
static void mkrt__svm_geometry(struct mkrt__svm *s, uint32_t lanes)
{
	const struct mkrt_device_info *info = &s->dev.info;
	uint32_t cu = info->compute_units ? info->compute_units : 1;

	if (info->gpu) {
		s->local = info->max_work_group < MKRT__GPU_GROUP ? info->max_work_group : MKRT__GPU_GROUP;
		s->global = lanes ? (lanes + s->local - 1) / s->local * s->local : cu * s->local;
		return;
	}
	/* CPU: the host's own threads (submitters, the IO servicer, the watcher)
	 * share these cores, so by default one is left to them; and at most two
	 * lanes, since every lane scans every slot and more of them contend for
	 * the same lines (docs/PERFORMANCE.md: on 16 cores the NOP round trip is
	 * 0.46 us with one lane, 0.60 with two, 2.1 with sixteen) */
	s->local = 1;
	s->global = lanes ? (lanes < cu ? lanes : cu) : cu > 2 ? 2 : 1;
}

static int mkrt__svm_args(struct mkrt__svm *s, const struct mkrt_config *cfg)
{
	const struct mkrt_exec_buffers *b = &s->w.b;
	cl_uint slots = b->slot_count, ctl = b->control_words, dbg = b->debug_words;
	cl_uint dfa = b->dfa_words, epoch_slots = cfg->epoch_slots;
	cl_uint resources = b->resources, frames = b->frame_count, frame_words = b->frame_words;
	cl_int rc = CL_SUCCESS;

	rc |= clSetKernelArgSVMPointer(s->kernel, 0, b->ring);
	rc |= clSetKernelArg(s->kernel, 1, sizeof(slots), &slots);
	rc |= clSetKernelArgSVMPointer(s->kernel, 2, b->control);
	rc |= clSetKernelArg(s->kernel, 3, sizeof(ctl), &ctl);
	rc |= clSetKernelArgSVMPointer(s->kernel, 4, b->debug_log);
	rc |= clSetKernelArg(s->kernel, 5, sizeof(dbg), &dbg);
	rc |= clSetKernelArgSVMPointer(s->kernel, 6, b->dfa);
	rc |= clSetKernelArg(s->kernel, 7, sizeof(dfa), &dfa);
	rc |= clSetKernelArg(s->kernel, 8, sizeof(epoch_slots), &epoch_slots);
	rc |= clSetKernelArgSVMPointer(s->kernel, 9, b->io);
	rc |= clSetKernelArgSVMPointer(s->kernel, 10, b->residency);
	rc |= clSetKernelArg(s->kernel, 11, sizeof(resources), &resources);
	rc |= clSetKernelArgSVMPointer(s->kernel, 12, b->frames);
	rc |= clSetKernelArg(s->kernel, 13, sizeof(frames), &frames);
	rc |= clSetKernelArgSVMPointer(s->kernel, 14, b->arena);
	rc |= clSetKernelArg(s->kernel, 15, sizeof(frame_words), &frame_words);
	return rc == CL_SUCCESS ? 0 : mkrt__cl_fail("clSetKernelArg(mkrt_megakernel)", rc);
}

static void mkrt__svm_free(struct mkrt__svm *s)
{
	if (s->ctx)
		mkrt__words_free(&s->w, mkrt__svm_release, s);
	if (s->kernel)
		clReleaseKernel(s->kernel);
	if (s->prog)
		clReleaseProgram(s->prog);
	if (s->queue)
		clReleaseCommandQueue(s->queue);
	if (s->ctx)
		clReleaseContext(s->ctx);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/*
 * The park handshake is Dekker's: we store PARKED then look at the ring; a
 * publisher stores PUBLISHED then looks at PARKED; with a full barrier
 * between on each side, at least one of us sees the other, so a slot is
 * never left without a kernel.
 *
 * Publishes are frequent and parks rare, so where the kernel offers it the
 * barrier is asymmetric: a publisher needs only a compiler barrier, and the
 * parking watcher calls membarrier(2), which runs a full barrier on every
 * thread of the process that is running, so a publisher's store either is
 * seen by our look at the ring or its look at PARKED sees ours. Elsewhere
 * (and under ThreadSanitizer, which does not model membarrier) both sides
 * do an acq_rel RMW of one word, which costs a locked instruction per
 * publish.
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

static void mkrt__svm_handshake_init(struct mkrt__svm *s)
{
	s->asymmetric = s->park_us != MKRT_PARK_NEVER &&
			mkrt__membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED);
}

/* Our half: true when the barrier ran (parking is safe). */
static bool mkrt__svm_park_barrier(struct mkrt__svm *s)
{
	if (!s->asymmetric) {
		mkrt__dekker_rmw(&s->handshake);
		return true;
	}
	return mkrt__membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED);
}

static int mkrt__svm_open(const struct mkrt_config *cfg, void **state)
{
	struct mkrt__svm *s = calloc(1, sizeof(*s));
	struct mkrt__verdict v;
	char why[1024];
	cl_int rc;
	int err;

	if (!s)
		return MKRT_ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	if (!mkrt__svm_pick(cfg, &s->dev, &v, why, sizeof(why))) {
		mkrt__detail("svm backend unavailable: %s", why);
		err = MKRT_EUNAVAILABLE;
		goto out_free;
	}
	s->flags = v.flags;
	s->epoch_ms = cfg->epoch_ms;
	s->park_us = cfg->park_us;
	cl_context_properties props[] = { CL_CONTEXT_PLATFORM, (cl_context_properties)s->dev.platform, 0 };
	s->ctx = clCreateContext(props, 1, &s->dev.id, NULL, NULL, &rc);
	err = s->ctx ? 0 : mkrt__cl_fail("clCreateContext", rc);
	if (!err && !(s->queue = clCreateCommandQueueWithProperties(s->ctx, s->dev.id, NULL, &rc)))
		err = mkrt__cl_fail("clCreateCommandQueueWithProperties", rc);
	if (!err)
		err = mkrt__svm_build(s, cfg);
	if (!err)
		err = mkrt__words_init(&s->w, cfg, mkrt__svm_alloc, s);
	if (!err)
		err = mkrt__svm_args(s, cfg);
	if (err)
		goto out_free;
	mkrt__svm_geometry(s, cfg->lanes);
	mkrt__svm_handshake_init(s);
	*state = s;
	return 0;

out_free:
	mkrt__svm_free(s);
	return err;
}

/* ---- the watcher: launch, yield on the time budget, relaunch ---------------------- */

static void CL_CALLBACK mkrt__svm_complete(cl_event ev, cl_int status, void *arg)
{
	struct mkrt__svm *s = arg;

	(void)ev;
	(void)status;
	pthread_mutex_lock(&s->lock);
	s->done = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

/* Is there a PUBLISHED slot a lane would take (tenant authorized)? */
static bool mkrt__svm_work_waiting(struct mkrt__svm *s)
{
	const struct mkrt_exec_buffers *b = &s->w.b;

	for (uint32_t i = 0; i < b->slot_count; i++) {
		const uint32_t *w = b->ring + (size_t)i * MKRT_SLOT_WORDS;
		if (mkrt__load_relaxed(&w[MKRT_SLOT_STATUS]) == MKRT_STATUS_PUBLISHED &&
		    mkrt__tenant_authorized(b->control, mkrt__load_relaxed(&w[MKRT_SLOT_TENANT])))
			return true;
	}
	return false;
}

static uint64_t mkrt__svm_progress(struct mkrt__svm *s)
{
	/* acquire: a count that moved means the lanes are busy */
	return mkrt__load_acquire(&s->w.b.control[MKRT_CTL_DONE_COUNT]);
}

/* Wait for the launch to return. Past the epoch's time budget, or after
 * park_us without a finished slot, ask it to yield; returns true when it
 * was asked to because it idled (it parks). */
static bool mkrt__svm_wait_launch(struct mkrt__svm *s)
{
	uint64_t start = mkrt__now_ns(), idle_since = start, done = mkrt__svm_progress(s);
	uint64_t epoch_ns = (uint64_t)s->epoch_ms * 1000000u;
	bool parking = s->park_us != MKRT_PARK_NEVER, yielded = false, idle = false;
	uint32_t step_us = parking ? (s->park_us / 4 > 50 ? s->park_us / 4 : 50) : 0;

	pthread_mutex_lock(&s->lock);
	while (!s->done) {
		struct timespec deadline;
		if (yielded) {
			pthread_cond_wait(&s->cond, &s->lock);
			continue;
		}
		uint64_t now = mkrt__now_ns();
		uint64_t left_us = now - start < epoch_ns ? (epoch_ns - (now - start)) / 1000u + 1 : 0;
		mkrt__realtime_deadline_us(&deadline, step_us && step_us < left_us ? step_us : left_us);
		if (pthread_cond_timedwait(&s->cond, &s->lock, &deadline) != ETIMEDOUT)
			continue;
		now = mkrt__now_ns();
		uint64_t d = mkrt__svm_progress(s);
		if (d != done || mkrt__svm_work_waiting(s)) {
			done = d;
			idle_since = now;
		}
		idle = parking && now - idle_since >= (uint64_t)s->park_us * 1000u;
		if (idle || now - start >= epoch_ns) {
			/* release: lanes acquire it and return between slots */
			mkrt__store_release(&s->w.b.control[MKRT_CTL_YIELD], 1);
			yielded = true;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return idle;
}

/* Park: no relaunch until a publish rings (or stop). */
static void mkrt__svm_park(struct mkrt__svm *s)
{
	mkrt__store_relaxed(&s->parked, 1);
	if (!mkrt__svm_park_barrier(s) || mkrt__svm_work_waiting(s)) {
		mkrt__store_relaxed(&s->parked, 0);
		return;
	}
	mkrt__add64_relaxed(&s->parks, 1);
	pthread_mutex_lock(&s->lock);
	while (mkrt__load_relaxed(&s->parked) && !mkrt__load_acquire(&s->stopping))
		pthread_cond_wait(&s->cond, &s->lock);
	pthread_mutex_unlock(&s->lock);
}

/* After a publish: wake a parked kernel (the publisher's half of the park
 * handshake: our PUBLISHED store, the barrier, then our look at PARKED). */
static void mkrt__svm_ring_bell(struct mkrt__svm *s)
{
	if (s->park_us == MKRT_PARK_NEVER)
		return; /* nothing ever parks: keep the RMW off the publish path */
	if (s->asymmetric)
		mkrt__compiler_barrier();
	else
		mkrt__dekker_rmw(&s->handshake);
	if (!mkrt__load_relaxed(&s->parked))
		return;
	pthread_mutex_lock(&s->lock);
	mkrt__store_relaxed(&s->parked, 0);
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

static int mkrt__svm_publish(void *state, uint32_t slot, const struct mkrt_slot *req, uint32_t nargs)
{
	int err = mkrt__words_publish(state, slot, req, nargs);

	if (!err)
		mkrt__svm_ring_bell(state);
	return err;
}

static bool mkrt__svm_should_stop(struct mkrt__svm *s)
{
	/* acquire: pairs with stop()'s release, or the SHUTDOWN opcode's */
	return mkrt__load_acquire(&s->stopping) ||
	       mkrt__load_acquire(&s->w.b.control[MKRT_CTL_SHUTDOWN]);
}

static int mkrt__svm_launch(struct mkrt__svm *s)
{
	cl_event ev = NULL;
	cl_int rc, status = CL_COMPLETE;

	s->done = false;
	rc = clEnqueueNDRangeKernel(s->queue, s->kernel, 1, NULL, &s->global, &s->local, 0, NULL, &ev);
	if (rc == CL_SUCCESS)
		rc = clSetEventCallback(ev, CL_COMPLETE, mkrt__svm_complete, s);
	if (rc != CL_SUCCESS) {
		if (ev)
			clReleaseEvent(ev);
		return mkrt__cl_fail("clEnqueueNDRangeKernel(mkrt_megakernel)", rc);
	}
	clFlush(s->queue);
	mkrt__add64_relaxed(&s->launches, 1);
	bool idle = mkrt__svm_wait_launch(s);
	/* no kernel runs now: YIELD reads 0 whenever the host is not asking */
	mkrt__store_release(&s->w.b.control[MKRT_CTL_YIELD], 0);
	clGetEventInfo(ev, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof(status), &status, NULL);
	clReleaseEvent(ev);
	if (status < 0)
		return mkrt__cl_fail("mkrt_megakernel execution", status);
	if (idle && !mkrt__svm_should_stop(s))
		mkrt__svm_park(s);
	return 0;
}

static void *mkrt__svm_watch(void *arg)
{
	struct mkrt__svm *s = arg;

	mkrt__thread_precise_timers();
	while (!mkrt__svm_should_stop(s)) {
		/* release: the next launch starts with YIELD clear (launch orders it too) */
		mkrt__store_release(&s->w.b.control[MKRT_CTL_YIELD], 0);
		if (mkrt__svm_launch(s))
			break; /* the device failed: waiters see no executor and give up */
	}
	/* release: a waiter that sees no executor also sees every finished slot */
	mkrt__sub_release(&s->live, 1);
	return NULL;
}

static int mkrt__svm_start(void *state)
{
	struct mkrt__svm *s = state;

	if (mkrt__words_start_io(&s->w))
		return MKRT_ETHREAD;
	mkrt__store_release(&s->live, 1);
	if (pthread_create(&s->watcher, NULL, mkrt__svm_watch, s)) {
		mkrt__store_release(&s->live, 0);
		return MKRT_ETHREAD;
	}
	s->watcher_joinable = true;
	return 0;
}

static int mkrt__svm_stop(void *state, uint32_t timeout_ms)
{
	struct mkrt__svm *s = state;
	struct timespec deadline;

	mkrt__store_release(&s->stopping, 1);
	/* release: running lanes acquire it and return after their current slot */
	mkrt__store_release(&s->w.b.control[MKRT_CTL_SHUTDOWN], 1);
	pthread_mutex_lock(&s->lock); /* wake a parked watcher */
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	if (!s->watcher_joinable)
		return 0;
	mkrt__realtime_deadline(&deadline, timeout_ms);
	if (pthread_timedjoin_np(s->watcher, NULL, &deadline) == ETIMEDOUT) {
		s->stuck = true; /* the watchdog: report, never hang */
		mkrt__detail("svm: the megakernel on %s did not return within %u ms of SHUTDOWN",
			     s->dev.info.name, timeout_ms);
		return MKRT_ETIMEDOUT;
	}
	s->watcher_joinable = false;
	s->stuck = false;
	mkrt__words_stop_io(&s->w); /* the kernel is gone: nothing waits on IO */
	return 0;
}

static void mkrt__svm_close(void *state)
{
	struct mkrt__svm *s = state;

	if (s->stuck || s->watcher_joinable)
		return; /* a kernel may still use the SVM buffers: leak, do not corrupt */
	mkrt__svm_free(s);
}

static int mkrt__svm_executors_live(void *state)
{
	/* acquire: pairs with the watcher's release when it ends */
	return (int)mkrt__load_acquire(&((struct mkrt__svm *)state)->live);
}

static const char *mkrt__svm_device_name(void *state)
{
	return ((struct mkrt__svm *)state)->dev.info.name;
}

/* Region writes can publish slots too (replay): wake a parked kernel after. */
static int mkrt__svm_write_region(void *state, enum mkrt__region r, uint32_t first, uint32_t n,
				  const uint32_t *in)
{
	int err = mkrt__words_write_region(state, r, first, n, in);

	if (!err)
		mkrt__svm_ring_bell(state);
	return err;
}

static void mkrt__svm_stats(void *state, struct mkrt_stats *out)
{
	struct mkrt__svm *s = state;

	memset(out, 0, sizeof(*out));
	out->launches = mkrt__load64_relaxed(&s->launches);
	out->parks = mkrt__load64_relaxed(&s->parks);
	out->lanes = s->global;
	mkrt__servicer_stats(s->w.servicer, out);
}

const struct mkrt__backend_ops mkrt__backend_svm = {
	.name = "svm",
	.summary = "megakernel resident on an OpenCL device, ring in fine-grained SVM",
	.probe = mkrt__svm_probe,
	.open = mkrt__svm_open,
	.start = mkrt__svm_start,
	.stop = mkrt__svm_stop,
	.close = mkrt__svm_close,
	.executors_live = mkrt__svm_executors_live,
	.serve_io = mkrt__words_serve_io,
	.stats = mkrt__svm_stats,
	.device_name = mkrt__svm_device_name,
	.publish = mkrt__svm_publish,
	.read_slot = mkrt__words_read_slot,
	.ring_words = mkrt__words_ring,
	.reset_slot = mkrt__words_reset_slot,
	.cancel_slot = mkrt__words_cancel_slot,
	.region_words = mkrt__words_region_words,
	.read_region = mkrt__words_read_region,
	.write_region = mkrt__svm_write_region,
};
