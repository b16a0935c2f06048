/* SPDX-License-Identifier: MIT */
/*
 * cuda.c - the "cuda" backend: the megakernel resident on an NVIDIA GPU.
 *
 * NVIDIA's OpenCL cannot show host stores to a running kernel (DESIGN §9),
 * but its driver can: the same cl/ sources, compiled to PTX by clang and
 * libclc at build time (cl/cuda_megakernel.cl, embedded into the library),
 * are loaded through the driver API, which is opened at run time
 * (runtime/cuda/driver.h), so mkrt builds without the CUDA toolkit and runs
 * without a driver. Every word the host and the lanes share lives in
 * pinned host memory the GPU maps (cuMemHostAlloc PORTABLE | DEVICEMAP),
 * but the lanes' claim table and the load-miss arena, in device memory:
 * the host addresses it like the host backend's memory (words.c), the
 * lanes reach it over the bus with .sys-scope loads, stores and atomics
 * (cl/mkrt_atomics.h, where a lane batches the loads of each step, as a
 * load it waits for costs a bus round trip). Each publish rings a doorbell,
 * two words after the withdrawal words: lanes watch it rather than the ring,
 * so an idle ring costs the link a few loads a microsecond, not one per
 * slot; the ring itself is therefore not offered for raw publishes
 * (mkrt_runtime_ring() says EUNAVAILABLE), which would ring no bell.
 *
 * Over PCIe a host read-modify-write and a lane's are not atomic with each
 * other (DESIGN §3), so the host never read-modify-writes a word the lanes
 * do: it withdraws a slot through withdrawal words (withdraw.h) instead
 * of a CAS, the lanes pick and
 * evict load-miss frames themselves (io/frames.c, the lanes' port), and it
 * never runs slots itself while the kernel is cold (no assist).
 *
 * The resident layer (resident.c) launches, yields, relaunches and parks the
 * kernel as for svm; its launcher here is cuLaunchKernel on a stream of our
 * own, with a host function on the stream to say when a launch returned.
 */
#include "words.h"
#include "withdraw.h"
#include "driver.h"
#include "ptx.h"

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MKRT__CUDA_BLOCK     32u   /* lanes per block: one warp (see geometry) */
#define MKRT__CUDA_MIN_CC    80    /* the PTX's target: sm_80 (.sys scope needs sm_70) */
#define MKRT__CUDA_PROBE_MS  5000u /* the handshake's watchdog */

struct mkrt__cuda_rt {
	struct mkrt__words w;        /* first: the shared word hooks take the state */
	struct mkrt__resident r;
	struct mkrt__cuda cu;
	CUdevice dev;
	CUcontext ctx;               /* the device's primary context, retained */
	bool ctx_retained;
	CUmodule mod;
	CUfunction fn;
	CUstream stream;
	CUfunction ping;             /* mkrt_ping: the floor and the launch baseline */
	char failed[160];            /* how the last launch ended, when it failed */
	unsigned blocks, block;
	CUdeviceptr ptr[MKRT_KARG_COUNT_BUS];
	uint32_t count[MKRT_KARG_COUNT_BUS];
	void *params[MKRT_KARG_COUNT_BUS];
	CUdeviceptr claims;          /* the lanes' claim table, in device memory */
	CUdeviceptr arena;           /* the load-miss arena the lanes read (below) */
	struct mkrt__io_port port;   /* the servicer's: the lanes' port, and a copy */
	/* cancel: withdrawal words in pinned memory, the doorbell after them */
	struct mkrt__withdrawals wd;
};

static int mkrt__cuda_fail(const struct mkrt__cuda *cu, const char *call, CUresult rc)
{
	char buf[64];

	mkrt__detail("cuda: %s failed: %s", call, mkrt__cuda_error(cu, rc, buf, sizeof(buf)));
	return MKRT_ECUDA;
}

/* ---- memory ------------------------------------------------------------------------------- */

static uint32_t *mkrt__cuda_alloc(void *ctx, size_t words)
{
	struct mkrt__cuda_rt *c = ctx;
	size_t bytes = (words * sizeof(uint32_t) + MKRT_SLOT_BYTES - 1) / MKRT_SLOT_BYTES * MKRT_SLOT_BYTES;
	void *p = NULL;
	CUresult rc = c->cu.cuMemHostAlloc(&p, bytes, CU_MEMHOSTALLOC_PORTABLE | CU_MEMHOSTALLOC_DEVICEMAP);

	if (rc != CUDA_SUCCESS) {
		char buf[64];
		mkrt__detail("cuda: cuMemHostAlloc(%zu B) failed: %s", bytes,
			     mkrt__cuda_error(&c->cu, rc, buf, sizeof(buf)));
		return NULL;
	}
	memset(p, 0, bytes); /* no kernel runs yet: plain stores are fine */
	return p;
}

static void mkrt__cuda_release(void *ctx, uint32_t *p)
{
	((struct mkrt__cuda_rt *)ctx)->cu.cuMemFreeHost(p);
}

/* The claim table: a word per slot in device memory, all 0 (unclaimed). */
static int mkrt__cuda_claims(struct mkrt__cuda_rt *c, uint32_t slots)
{
	uint32_t *zero = calloc(slots, sizeof(*zero));
	CUresult rc;

	if (!zero)
		return MKRT_ENOMEM;
	rc = c->cu.cuMemAlloc_v2(&c->claims, (size_t)slots * sizeof(*zero));
	if (rc == CUDA_SUCCESS)
		rc = c->cu.cuMemcpyHtoD_v2(c->claims, zero, (size_t)slots * sizeof(*zero));
	free(zero);
	return rc == CUDA_SUCCESS ? 0 : mkrt__cuda_fail(&c->cu, "cuMemAlloc(claim table)", rc);
}

/*
 * The load-miss arena the lanes read is in device memory: the servicer
 * loads a frame into the pinned arena (the lanes' port, io/frames.c) and
 * copies it on with one cuMemcpyHtoD before the request completes. By
 * measurement (docs/PERFORMANCE.md, H100): a 4 KiB miss took 61 us this
 * way against 217 us with the lanes reading the pinned arena over the bus
 * (1.8 ms before their loads were batched); a 4 KiB copy costs the host
 * 7.5 us.
 */
static struct mkrt__cuda_rt *mkrt__cuda_of_frames(void *frames)
{
	return (struct mkrt__cuda_rt *)((char *)frames - offsetof(struct mkrt__cuda_rt, w.frames));
}

/* The lanes' port (io/frames.c), but a loaded frame goes on into device
 * memory before the request completes. */
static int mkrt__cuda_io_complete(void *ctx, uint32_t q, const uint32_t *req, int64_t frame,
				  bool loaded, int64_t res)
{
	struct mkrt__cuda_rt *c = mkrt__cuda_of_frames(ctx);
	const struct mkrt_exec_buffers *b = &c->w.b;
	uint32_t f = mkrt__load_relaxed(&req[MKRT_IO_DST]);

	if (res > 0 && f < b->frame_count) {
		size_t at = (size_t)f * b->frame_words;
		CUresult rc = c->cu.cuCtxSetCurrent(c->ctx);
		if (rc == CUDA_SUCCESS)
			rc = c->cu.cuMemcpyHtoD_v2(c->arena + at * 4u, b->arena + at,
						   ((size_t)res + 3u) & ~(size_t)3u);
		if (rc != CUDA_SUCCESS)
			return mkrt__cuda_fail(&c->cu, "cuMemcpyHtoD(a loaded frame)", rc);
	}
	return mkrt__lane_frames_port.complete(ctx, q, req, frame, loaded, res);
}

static int mkrt__cuda_device_arena(struct mkrt__cuda_rt *c, const struct mkrt_config *cfg)
{
	c->port = mkrt__lane_frames_port; /* the host never CASes what lanes do */
	c->w.io_port = &c->port;
	if (!cfg->io || !cfg->io->frames)
		return 0;
	CUresult rc = c->cu.cuMemAlloc_v2(&c->arena, (size_t)cfg->io->frames * cfg->io->frame_bytes);
	if (rc != CUDA_SUCCESS)
		return mkrt__cuda_fail(&c->cu, "cuMemAlloc(load-miss arena)", rc);
	c->port.complete = mkrt__cuda_io_complete; /* only with an arena to fill */
	return 0;
}

/* ---- the launcher ------------------------------------------------------------------------- */

static void mkrt__cuda_returned(void *arg)
{
	mkrt__resident_returned(arg);
}

static int mkrt__cuda_start_launch(struct mkrt__resident *r)
{
	struct mkrt__cuda_rt *c = r->owner;
	CUresult rc = c->cu.cuCtxSetCurrent(c->ctx);

	if (rc == CUDA_SUCCESS)
		rc = c->cu.cuLaunchKernel(c->fn, c->blocks, 1, 1, c->block, 1, 1, 0, c->stream, c->params,
					  NULL);
	if (rc != CUDA_SUCCESS)
		return mkrt__cuda_fail(&c->cu, "cuLaunchKernel(mkrt_megakernel)", rc);
	rc = c->cu.cuLaunchHostFunc(c->stream, mkrt__cuda_returned, r);
	if (rc != CUDA_SUCCESS)
		return mkrt__cuda_fail(&c->cu, "cuLaunchHostFunc", rc);
	return 0;
}

static bool mkrt__cuda_running(struct mkrt__resident *r)
{
	(void)r;
	return true; /* never asked: cuda has no assist hook */
}

static bool mkrt__cuda_launch_returned(struct mkrt__resident *r)
{
	struct mkrt__cuda_rt *c = r->owner;

	/* a fault ends the launch without running the host function */
	return c->cu.cuStreamQuery(c->stream) != CUDA_ERROR_NOT_READY;
}

static int mkrt__cuda_end_launch(struct mkrt__resident *r)
{
	struct mkrt__cuda_rt *c = r->owner;
	/* the host function too has run when this returns */
	CUresult rc = c->cu.cuStreamSynchronize(c->stream);

	if (rc == CUDA_SUCCESS)
		return 0;
	int err = mkrt__cuda_fail(&c->cu, "mkrt_megakernel execution", rc);
	snprintf(c->failed, sizeof(c->failed), "%s", mkrt_last_detail());
	return err;
}

static const struct mkrt__launcher mkrt__cuda_launcher = {
	.start = mkrt__cuda_start_launch,
	.running = mkrt__cuda_running,
	.end = mkrt__cuda_end_launch,
	.returned = mkrt__cuda_launch_returned,
};

/* Is a PUBLISHED slot waiting for a lane: to run it, or to withdraw it? */
static bool mkrt__cuda_work_waiting(void *owner)
{
	struct mkrt__cuda_rt *c = owner;
	const struct mkrt_exec_buffers *b = &c->w.b;

	return mkrt__words_work_waiting(owner) || mkrt__withdrawals_waiting(&c->wd, b->ring);
}

static const struct mkrt__resident_hooks mkrt__cuda_hooks = {
	MKRT__WORDS_RESIDENT_HOOKS,
	.work_waiting = mkrt__cuda_work_waiting,
};

/* ---- open ------------------------------------------------------------------------------------- */

/* The device: ordinal 0, with the features the PTX needs. */
static int mkrt__cuda_device(struct mkrt__cuda_rt *c)
{
	int n = 0, major = 0, minor = 0, maps = 0, sms = 0;
	CUresult rc = c->cu.cuDeviceGetCount(&n);

	if (rc != CUDA_SUCCESS)
		return mkrt__cuda_fail(&c->cu, "cuDeviceGetCount", rc);
	if (n < 1) {
		mkrt__detail("cuda: the driver sees no GPU. Fix: check nvidia-smi and "
			     "CUDA_VISIBLE_DEVICES");
		return MKRT_EUNAVAILABLE;
	}
	if ((rc = c->cu.cuDeviceGet(&c->dev, 0)) != CUDA_SUCCESS ||
	    (rc = c->cu.cuDeviceGetName(c->r.dev.info.name, sizeof(c->r.dev.info.name), c->dev)) !=
		    CUDA_SUCCESS ||
	    (rc = c->cu.cuDeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
					     c->dev)) != CUDA_SUCCESS ||
	    (rc = c->cu.cuDeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
					     c->dev)) != CUDA_SUCCESS ||
	    (rc = c->cu.cuDeviceGetAttribute(&maps, CU_DEVICE_ATTRIBUTE_CAN_MAP_HOST_MEMORY, c->dev)) !=
		    CUDA_SUCCESS ||
	    (rc = c->cu.cuDeviceGetAttribute(&sms, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, c->dev)) !=
		    CUDA_SUCCESS)
		return mkrt__cuda_fail(&c->cu, "cuDeviceGet*", rc);
	if (major * 10 + minor < MKRT__CUDA_MIN_CC || !maps) {
		mkrt__detail("cuda: %s (compute capability %d.%d%s) cannot run the megakernel's "
			     "PTX: it needs 8.0 or later and host memory the GPU maps. Fix: pick "
			     "another backend (MKRT_BACKEND=svm or copy)",
			     c->r.dev.info.name, major, minor, maps ? "" : ", no mapped host memory");
		return MKRT_EUNAVAILABLE;
	}
	c->r.dev.info.gpu = true;
	c->r.dev.info.compute_units = (uint32_t)sms;
	return 0;
}

/* The context, the module (the PTX, JIT-compiled by the driver) and a
 * stream of our own. */
static int mkrt__cuda_module(struct mkrt__cuda_rt *c, const struct mkrt_config *cfg)
{
	const char *ptx;
	char *owned;
	CUresult rc;
	int err = mkrt__cuda_ptx(cfg, &ptx, &owned);

	if (err)
		return err;
	if ((rc = c->cu.cuDevicePrimaryCtxRetain(&c->ctx, c->dev)) == CUDA_SUCCESS)
		c->ctx_retained = true;
	if (rc == CUDA_SUCCESS)
		rc = c->cu.cuCtxSetCurrent(c->ctx);
	if (rc == CUDA_SUCCESS)
		rc = c->cu.cuModuleLoadDataEx(&c->mod, ptx, 0, NULL, NULL);
	free(owned);
	if (rc != CUDA_SUCCESS)
		return mkrt__cuda_fail(&c->cu, "cuDevicePrimaryCtxRetain / cuModuleLoadDataEx(PTX)", rc);
	if ((rc = c->cu.cuModuleGetFunction(&c->fn, c->mod, "mkrt_megakernel")) != CUDA_SUCCESS)
		return mkrt__cuda_fail(&c->cu, "cuModuleGetFunction(mkrt_megakernel)", rc);
	if ((rc = c->cu.cuModuleGetFunction(&c->ping, c->mod, "mkrt_ping")) != CUDA_SUCCESS)
		return mkrt__cuda_fail(&c->cu, "cuModuleGetFunction(mkrt_ping)", rc);
	if ((rc = c->cu.cuStreamCreate(&c->stream, CU_STREAM_NON_BLOCKING)) != CUDA_SUCCESS)
		return mkrt__cuda_fail(&c->cu, "cuStreamCreate", rc);
	return 0;
}

/*
 * One lane by default, as many as asked otherwise, in blocks of one warp;
 * every block must be resident at once (DESIGN §4), so at most one per
 * multiprocessor. By measurement (docs/PERFORMANCE.md, H200): what costs is
 * the number of warps that poll host memory, not the lanes. A warp's lanes
 * load the same words at once, so a warp polls like one lane, while every
 * further warp slows every round trip: a NOP took 7.0-9.2 us with one lane,
 * 40 us with 64 lanes in two warps, and 54 us and 388 us with 8 and 64
 * lanes in warps of one. One lane polling also served a 4 KiB miss sooner
 * (1.7-2.3 ms against 3.1-3.9 ms), and streamed 0.14 against 0.24 M slots/s.
 */
static void mkrt__cuda_geometry(struct mkrt__cuda_rt *c, uint32_t lanes)
{
	uint32_t sms = c->r.dev.info.compute_units ? c->r.dev.info.compute_units : 1;

	if (!lanes)
		lanes = 1;
	c->block = lanes < MKRT__CUDA_BLOCK ? lanes : MKRT__CUDA_BLOCK;
	c->blocks = (lanes + c->block - 1) / c->block;
	if (c->blocks > sms)
		c->blocks = sms;
	c->r.local = c->block;
	c->r.global = (size_t)c->block * c->blocks;
}

/* The arguments in MKRT_KARG_* order: device addresses of the pinned words,
 * and counts. */
static int mkrt__cuda_args(struct mkrt__cuda_rt *c, const struct mkrt_config *cfg)
{
	const struct mkrt_exec_buffers *b = &c->w.b;
	const void *buf[MKRT_KARG_COUNT_BUS] = {
		[MKRT_KARG_RING] = b->ring,           [MKRT_KARG_CONTROL] = b->control,
		[MKRT_KARG_DEBUG] = b->debug_log,     [MKRT_KARG_DFA] = b->dfa,
		[MKRT_KARG_IO] = b->io,               [MKRT_KARG_RESIDENCY] = b->residency,
		[MKRT_KARG_FRAMES] = b->frames,       [MKRT_KARG_ARENA] = b->arena,
		[MKRT_KARG_WITHDRAW] = c->wd.words,
	};

	c->count[MKRT_KARG_SLOTS] = b->slot_count;
	c->count[MKRT_KARG_CONTROL_WORDS] = b->control_words;
	c->count[MKRT_KARG_DEBUG_WORDS] = b->debug_words;
	c->count[MKRT_KARG_DFA_WORDS] = b->dfa_words;
	c->count[MKRT_KARG_EPOCH_SLOTS] = cfg->epoch_slots;
	c->count[MKRT_KARG_RESOURCES] = b->resources;
	c->count[MKRT_KARG_FRAME_COUNT] = b->frame_count;
	c->count[MKRT_KARG_FRAME_WORDS] = b->frame_words;
	c->ptr[MKRT_KARG_CLAIMS] = c->claims;
	c->ptr[MKRT_KARG_ARENA] = c->arena;
	for (uint32_t k = 0; k < MKRT_KARG_COUNT_BUS; k++) {
		if (k == MKRT_KARG_CLAIMS || (k == MKRT_KARG_ARENA && c->arena)) { /* device memory */
			c->params[k] = &c->ptr[k];
			continue;
		}
		if (!buf[k]) {
			c->params[k] = &c->count[k];
			continue;
		}
		CUresult rc = c->cu.cuMemHostGetDevicePointer_v2(&c->ptr[k], (void *)(uintptr_t)buf[k], 0);
		if (rc != CUDA_SUCCESS)
			return mkrt__cuda_fail(&c->cu, "cuMemHostGetDevicePointer", rc);
		c->params[k] = &c->ptr[k];
	}
	return 0;
}

static void mkrt__cuda_free(struct mkrt__cuda_rt *c)
{
	if (c->cu.lib) {
		if (c->ctx_retained)
			c->cu.cuCtxSetCurrent(c->ctx);
		mkrt__words_free(&c->w, mkrt__cuda_release, c);
		if (c->wd.words)
			c->cu.cuMemFreeHost(c->wd.words);
		if (c->claims)
			c->cu.cuMemFree_v2(c->claims);
		if (c->arena)
			c->cu.cuMemFree_v2(c->arena);
		if (c->stream)
			c->cu.cuStreamDestroy_v2(c->stream);
		if (c->mod)
			c->cu.cuModuleUnload(c->mod);
		if (c->ctx_retained)
			c->cu.cuDevicePrimaryCtxRelease_v2(c->dev);
		mkrt__cuda_close(&c->cu);
	}
	mkrt__resident_fini(&c->r);
	mkrt__withdrawals_fini(&c->wd);
	free(c);
}

static int mkrt__cuda_rt_open(const struct mkrt_config *cfg, void **state)
{
	struct mkrt__cuda_rt *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return MKRT_ENOMEM;
	mkrt__withdrawals_init(&c->wd);
	mkrt__resident_init_watch(&c->r, "cuda", cfg, &mkrt__cuda_hooks, c, &mkrt__cuda_launcher);
	err = mkrt__cuda_open(&c->cu);
	if (!err)
		err = mkrt__cuda_device(c);
	if (!err)
		err = mkrt__cuda_module(c, cfg);
	if (err)
		goto out_free;
	err = mkrt__cuda_device_arena(c, cfg);
	if (!err)
		err = mkrt__words_init(&c->w, cfg, mkrt__cuda_alloc, c);
	if (err)
		goto out_free;
	c->wd.words = mkrt__cuda_alloc(c, MKRT_WITHDRAW_WORDS(cfg->slots));
	c->wd.slots = cfg->slots;
	c->wd.doorbell = true;
	if (!c->wd.words) {
		err = MKRT_ENOMEM;
		goto out_free;
	}
	err = mkrt__cuda_claims(c, cfg->slots);
	if (err)
		goto out_free;
	c->r.io = c->w.servicer;
	err = mkrt__cuda_args(c, cfg);
	if (err)
		goto out_free;
	mkrt__cuda_geometry(c, cfg->lanes);
	*state = c;
	return 0;

out_free:
	mkrt__cuda_free(c);
	return err;
}

/* ---- ops ---------------------------------------------------------------------------------------- */

static int mkrt__cuda_publish(void *state, uint32_t slot, const struct mkrt_slot *req, uint32_t nargs)
{
	struct mkrt__cuda_rt *c = state;
	int got = mkrt__withdrawals_publish(&c->wd, &c->r, state, &slot, req, 1, nargs);

	return got < 0 ? got : 0;
}

/* A batch rings the doorbell once a run of consecutive slots, so lanes
 * see it whole: one window, one peek. */
static int mkrt__cuda_publish_many(void *state, const uint32_t *slots, const struct mkrt_slot *reqs,
				   uint32_t n)
{
	struct mkrt__cuda_rt *c = state;

	return mkrt__withdrawals_publish(&c->wd, &c->r, state, slots, reqs, n, MKRT_SLOT_ARGS);
}

/* Withdraw a PUBLISHED slot (withdraw.h): the lanes learn of it by the bell. */
static int mkrt__cuda_cancel_slot(void *state, uint32_t slot)
{
	struct mkrt__cuda_rt *c = state;

	return mkrt__withdrawals_cancel(&c->wd, c->w.b.ring, slot, &c->r);
}

static int mkrt__cuda_start(void *state)
{
	return mkrt__resident_start(&((struct mkrt__cuda_rt *)state)->r);
}

static int mkrt__cuda_stop(void *state, uint32_t timeout_ms)
{
	return mkrt__resident_stop(&((struct mkrt__cuda_rt *)state)->r, timeout_ms);
}

static void mkrt__cuda_close_state(void *state)
{
	struct mkrt__cuda_rt *c = state;

	if (c->r.stuck || c->r.watcher_joinable)
		return; /* a kernel may still use the pinned words: leak, do not corrupt */
	mkrt__cuda_free(c);
}

static int mkrt__cuda_executors_live(void *state)
{
	return mkrt__resident_live(&((struct mkrt__cuda_rt *)state)->r);
}

static const char *mkrt__cuda_device_name(void *state)
{
	return ((struct mkrt__cuda_rt *)state)->r.dev.info.name;
}

/* Region writes can publish slots too (replay): wake a parked kernel after. */
static int mkrt__cuda_write_region(void *state, enum mkrt__region r, uint32_t first, uint32_t n,
				   const uint32_t *in)
{
	struct mkrt__cuda_rt *c = state;
	int err;

	if (r == MKRT__REGION_RING)
		mkrt__withdrawals_clear_words(&c->wd, first, n);
	err = mkrt__words_write_region(state, r, first, n, in);
	if (!err && r == MKRT__REGION_RING)
		mkrt__withdrawals_ring_doorbell(&c->wd, first / MKRT_SLOT_WORDS, 2);
	if (!err)
		mkrt__resident_ring_bell(&c->r);
	return err;
}

/* A waiter serves a load miss (the kernel is never assisted: see above). */
static uint32_t mkrt__cuda_serve_io(void *state)
{
	return mkrt__words_serve_io(state);
}

static void mkrt__cuda_stats(void *state, struct mkrt_stats *out)
{
	struct mkrt__cuda_rt *c = state;

	memset(out, 0, sizeof(*out));
	mkrt__resident_stats(&c->r, out);
	mkrt__words_io_stats(&c->w, out);
}

/* ---- the floor and the launch baseline (mkrt_runtime_measure) --------------------------------- */

#define MKRT__PING_WATCHDOG_NS 1000000000ull

/* @n pings through pinned words @w (device address @dw) with mkrt_ping
 * running on @s; ETIMEDOUT when one is not answered within a second. */
static int mkrt__cuda_pings(struct mkrt__cuda_rt *c, CUstream s, uint32_t *w, CUdeviceptr dw,
			    uint32_t n, double *ns)
{
	void *params[] = { &dw, &n };
	CUresult rc = c->cu.cuLaunchKernel(c->ping, 1, 1, 1, 1, 1, 1, 0, s, params, NULL);
	int err = 0;

	if (rc != CUDA_SUCCESS)
		return mkrt__cuda_fail(&c->cu, "cuLaunchKernel(mkrt_ping)", rc);
	for (uint32_t i = 1; i <= n && !err; i++) {
		uint64_t t0 = mkrt__now_ns();
		mkrt__store_release(&w[0], i); /* release/acquire: as a slot's STATUS */
		while (mkrt__load_acquire(&w[16]) != i)
			if (mkrt__now_ns() - t0 > MKRT__PING_WATCHDOG_NS) {
				mkrt__detail("cuda: mkrt_ping on %s did not answer ping %u within 1 s",
					     c->r.dev.info.name, i);
				err = MKRT_ETIMEDOUT;
				mkrt__store_release(&w[0], 0xFFFFFFFFu); /* it returns */
				break;
			}
		ns[i - 1] = (double)(mkrt__now_ns() - t0);
	}
	rc = c->cu.cuStreamSynchronize(s);
	return err ? err : rc == CUDA_SUCCESS ? 0 : mkrt__cuda_fail(&c->cu, "mkrt_ping", rc);
}

/* @n launches of mkrt_ping with nothing to answer, each synchronized. */
static int mkrt__cuda_launches(struct mkrt__cuda_rt *c, CUstream s, CUdeviceptr dw, uint32_t n,
			       double *ns)
{
	uint32_t none = 0;
	void *params[] = { &dw, &none };

	for (uint32_t i = 0; i < n; i++) {
		uint64_t t0 = mkrt__now_ns();
		CUresult rc = c->cu.cuLaunchKernel(c->ping, 1, 1, 1, 1, 1, 1, 0, s, params, NULL);
		if (rc == CUDA_SUCCESS)
			rc = c->cu.cuStreamSynchronize(s);
		if (rc != CUDA_SUCCESS)
			return mkrt__cuda_fail(&c->cu, "cuLaunchKernel(mkrt_ping) + cuStreamSynchronize", rc);
		ns[i] = (double)(mkrt__now_ns() - t0);
	}
	return 0;
}

/* On a stream of its own, beside the resident megakernel. */
static int mkrt__cuda_measure(void *state, int what, uint32_t n, double *ns)
{
	struct mkrt__cuda_rt *c = state;
	CUdeviceptr dw;
	CUstream s = NULL;
	CUresult rc = c->cu.cuCtxSetCurrent(c->ctx);
	uint32_t *w = rc == CUDA_SUCCESS ? mkrt__cuda_alloc(c, 32) : NULL;
	int err;

	if (rc != CUDA_SUCCESS)
		return mkrt__cuda_fail(&c->cu, "cuCtxSetCurrent", rc);
	if (!w)
		return MKRT_ENOMEM;
	if ((rc = c->cu.cuMemHostGetDevicePointer_v2(&dw, w, 0)) != CUDA_SUCCESS ||
	    (rc = c->cu.cuStreamCreate(&s, CU_STREAM_NON_BLOCKING)) != CUDA_SUCCESS)
		err = mkrt__cuda_fail(&c->cu, "cuMemHostGetDevicePointer / cuStreamCreate", rc);
	else if (what == MKRT_MEASURE_FLOOR)
		err = mkrt__cuda_pings(c, s, w, dw, n, ns);
	else
		err = mkrt__cuda_launches(c, s, dw, n, ns);
	if (s)
		c->cu.cuStreamDestroy_v2(s);
	c->cu.cuMemFreeHost(w);
	return err;
}

/* ---- the probe: a handshake with a running kernel ------------------------------------------- */

/*
 * Whether a running megakernel on the GPU sees host stores and the host
 * sees its: the backend opened on a small ring, one NOP published, its DONE
 * awaited under a watchdog. Run once per process; later probes repeat the
 * verdict.
 */
static int mkrt__cuda_handshake(char *reason, size_t reason_len)
{
	struct mkrt_config want, cfg;
	struct mkrt_io_config io;
	void *state = NULL;
	int err;

	mkrt_config_init(&want);
	want.slots = 4;
	want.lanes = 4;
	want.park_us = MKRT_PARK_NEVER;
	err = mkrt__config_resolve(&want, &cfg, &io);
	if (!err)
		err = mkrt__cuda_rt_open(&cfg, &state);
	if (err) {
		snprintf(reason, reason_len, "%s", mkrt_last_detail());
		return 0;
	}
	struct mkrt__cuda_rt *c = state;
	const uint32_t *st = &c->w.b.ring[MKRT_SLOT_STATUS];
	uint64_t deadline = mkrt__now_ns() + (uint64_t)MKRT__CUDA_PROBE_MS * 1000000u;
	struct mkrt__backoff backoff = { 0 };
	int score = 0;

	err = mkrt__cuda_start(c);
	if (!err)
		err = mkrt__cuda_publish(c, 0, &(struct mkrt_slot){ .opcode = MKRT_OP_NOP }, 0);
	while (!err && mkrt__load_acquire(st) == MKRT_STATUS_PUBLISHED && mkrt__now_ns() < deadline &&
	       mkrt__resident_live(&c->r))
		mkrt__backoff_pause(&backoff);
	if (err)
		snprintf(reason, reason_len, "%s", mkrt_last_detail());
	else if (!mkrt__resident_live(&c->r))
		snprintf(reason, reason_len, "cuda: the megakernel on %s stopped before it answered a "
			 "NOP (%s). Fix: pick another backend (MKRT_BACKEND=svm or copy)",
			 c->r.dev.info.name, c->failed[0] ? c->failed : "no error reported");
	else if (mkrt__load_acquire(st) != MKRT_STATUS_DONE)
		snprintf(reason, reason_len,
			 "cuda: the megakernel on %s did not answer a NOP within %u ms (status %u, "
			 "%llu launches, %u done): the GPU does not see host stores to mapped memory. "
			 "Fix: pick another backend (MKRT_BACKEND=svm or copy)",
			 c->r.dev.info.name, MKRT__CUDA_PROBE_MS, mkrt__load_acquire(st),
			 (unsigned long long)mkrt__load64_relaxed(&c->r.launches),
			 mkrt__load_acquire(&c->w.b.control[MKRT_CTL_DONE_COUNT]));
	else
		score = 100; /* a GPU resident backend, as svm on a GPU */
	if (mkrt__cuda_stop(c, MKRT__CUDA_PROBE_MS) == 0)
		mkrt__cuda_close_state(c);
	return score;
}

static int mkrt__cuda_probe(const struct mkrt_config *cfg, char *reason, size_t reason_len)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static bool probed;
	static int score;
	static char why[512];

	(void)cfg;
	pthread_mutex_lock(&lock);
	if (!probed) {
		score = mkrt__cuda_handshake(why, sizeof(why));
		probed = true;
	}
	if (!score)
		snprintf(reason, reason_len, "%s", why);
	pthread_mutex_unlock(&lock);
	return score;
}

const struct mkrt__backend_ops mkrt__backend_cuda = {
	.name = "cuda",
	.summary = "megakernel resident on an NVIDIA GPU (PTX via the driver API), words in pinned host memory",
	.probe = mkrt__cuda_probe,
	.open = mkrt__cuda_rt_open,
	.start = mkrt__cuda_start,
	.stop = mkrt__cuda_stop,
	.close = mkrt__cuda_close_state,
	.read_slot = mkrt__words_read_slot,
	/* no ring_words: a raw publish would ring no doorbell */
	.reset_slot = mkrt__words_reset_slot,
	.cancel_slot = mkrt__cuda_cancel_slot,
	.region_words = mkrt__words_region_words,
	.read_region = mkrt__words_read_region,
	.serve_io = mkrt__cuda_serve_io,
	.executors_live = mkrt__cuda_executors_live,
	.stats = mkrt__cuda_stats,
	.device_name = mkrt__cuda_device_name,
	.measure = mkrt__cuda_measure,
	.publish = mkrt__cuda_publish,
	.publish_many = mkrt__cuda_publish_many,
	.write_region = mkrt__cuda_write_region,
};
