/* SPDX-License-Identifier: MIT */
/*
 * svm_probe.c - the handshake probe: evidence, not capability bits, decides
 * whether the svm backend may use a device (DESIGN §3).
 *
 * For each allocation mode in order (fine-grained with atomics, then
 * fine-grained without the atomics flag), a one-lane kernel signals that it
 * runs, waits (bounded) for a host release-store in that memory and answers
 * through it. The first mode that answers within the timeout is accepted;
 * every refusal keeps its reason. Verdicts are cached per process and device,
 * except a refusal for want of memory or a context, which may pass next time.
 */
#include "backend.h"
#include "cl.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define MKRT__PROBE_TIMEOUT_MS 2000u
#define MKRT__PROBE_FINISH_MS  10000u
#define MKRT__PROBE_SPINS      (1u << 26)
#define MKRT__PROBE_CACHE      16

struct mkrt__probe_ctx {
	const struct mkrt__device *dev;
	cl_context ctx;
	cl_command_queue queue;
	cl_kernel kernel;
};

static pthread_mutex_t mkrt__probe_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char key[3 * MKRT_NAME_LEN];
	struct mkrt__svm_verdict verdict;
} mkrt__probe_cache[MKRT__PROBE_CACHE];
static int mkrt__probe_cached;

/* Append "@mode: @why; " to a verdict's reason. */
static void mkrt__append(char *buf, size_t len, const char *mode, const char *why)
{
	size_t used = strlen(buf);
	if (used < len)
		snprintf(buf + used, len - used, "%s: %s; ", mode, why);
}

/* Wait until *@w holds @want (or @alt), acquire; false on timeout. */
static bool mkrt__wait_word(const uint32_t *w, uint32_t want, uint32_t alt, uint32_t ms)
{
	struct mkrt__backoff backoff = { 0 };
	uint64_t deadline = mkrt__now_ns() + (uint64_t)ms * 1000000u;

	for (;;) {
		/* acquire: pairs with the probe kernel's release */
		uint32_t v = mkrt__load_acquire(w);
		if (v == want || v == alt)
			return true;
		if (mkrt__now_ns() >= deadline)
			return false;
		mkrt__backoff_pause(&backoff);
	}
}

static bool mkrt__event_done(cl_event ev, uint32_t ms)
{
	struct mkrt__backoff backoff = { 0 };
	uint64_t deadline = mkrt__now_ns() + (uint64_t)ms * 1000000u;
	cl_int st;

	for (;;) {
		if (clGetEventInfo(ev, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof(st), &st, NULL) != CL_SUCCESS ||
		    st <= CL_COMPLETE)
			return true; /* complete, or failed: either way it is not running */
		if (mkrt__now_ns() >= deadline)
			return false;
		mkrt__backoff_pause(&backoff);
	}
}

/* Run the handshake in @w; returns NULL when it passed, else why not. On
 * *@stuck the kernel may still run: @w must not be freed. */
static const char *mkrt__handshake(struct mkrt__probe_ctx *pc, uint32_t *w, bool *stuck)
{
	const size_t one = 1;
	const cl_uint spins = MKRT__PROBE_SPINS;
	cl_event ev = NULL;
	const char *why = NULL;

	*stuck = false;
	memset(w, 0, 4 * sizeof(uint32_t));
	if (clSetKernelArgSVMPointer(pc->kernel, 0, w) != CL_SUCCESS ||
	    clSetKernelArg(pc->kernel, 1, sizeof(spins), &spins) != CL_SUCCESS)
		return "clSetKernelArg* refused the SVM pointer";
	if (clEnqueueNDRangeKernel(pc->queue, pc->kernel, 1, NULL, &one, &one, 0, NULL, &ev) != CL_SUCCESS)
		return "clEnqueueNDRangeKernel failed";
	clFlush(pc->queue);
	if (!mkrt__wait_word(&w[0], MKRT_PROBE_RUNNING, MKRT_PROBE_RUNNING, MKRT__PROBE_TIMEOUT_MS))
		why = "the probe kernel never signalled it was running within 2000 ms";
	/* release: the store the running kernel must see */
	mkrt__store_release(&w[1], MKRT_PROBE_GO);
	if (!why && !mkrt__wait_word(&w[2], MKRT_PROBE_ANSWER, MKRT_PROBE_GAVE_UP, MKRT__PROBE_TIMEOUT_MS))
		why = "the running kernel did not answer within 2000 ms";
	if (!why && mkrt__load_acquire(&w[2]) != MKRT_PROBE_ANSWER)
		why = "the running kernel never saw the host's store (it gave up)";
	if (!mkrt__event_done(ev, MKRT__PROBE_FINISH_MS)) {
		*stuck = true;
		why = why ? why : "the probe kernel did not finish";
	}
	clReleaseEvent(ev);
	return why;
}

static const struct {
	cl_svm_mem_flags flags;
	const char *name;
} mkrt__modes[] = {
	{ CL_MEM_SVM_FINE_GRAIN_BUFFER | CL_MEM_SVM_ATOMICS, "fine+atomics" },
	{ CL_MEM_SVM_FINE_GRAIN_BUFFER, "fine" },
};

static void mkrt__try_modes(struct mkrt__probe_ctx *pc, struct mkrt__svm_verdict *v)
{
	const struct mkrt_device_info *info = &pc->dev->info;

	for (size_t m = 0; m < MKRT__ARRAY_SIZE(mkrt__modes); m++) {
		char caps[160];
		snprintf(caps, sizeof(caps), "caps: fine_buffer=%d atomics=%d coarse=%d",
			 info->svm_fine_buffer, info->svm_atomics, info->svm_coarse);
		uint32_t *w = mkrt__svm_alloc_bytes(pc->ctx, CL_MEM_READ_WRITE | mkrt__modes[m].flags, 64, 64);
		if (!w) {
			char why[224];
			snprintf(why, sizeof(why), "clSVMAlloc(64 B, align 64) returned NULL (%s)", caps);
			mkrt__append(v->reason, sizeof(v->reason), mkrt__modes[m].name, why);
			v->transient = true;
			continue;
		}
		bool stuck;
		const char *why = mkrt__handshake(pc, w, &stuck);
		if (!stuck)
			clSVMFree(pc->ctx, w);
		if (!why) {
			v->flags = mkrt__modes[m].flags;
			snprintf(v->mode, sizeof(v->mode), "%s", mkrt__modes[m].name);
			v->score = info->gpu ? 100 : info->cpu ? 50 : 75;
			return;
		}
		mkrt__append(v->reason, sizeof(v->reason), mkrt__modes[m].name, why);
		if (stuck)
			return; /* never reuse a context a kernel may still run in */
	}
}

/* Refusals that need no kernel: the driver cannot host a resident kernel, or
 * lacks what the megakernel needs. */
static bool mkrt__static_refusal(const struct mkrt_device_info *info, struct mkrt__svm_verdict *v)
{
	if (info->runs_inside_enqueue)
		snprintf(v->reason, sizeof(v->reason),
			 "PoCL's '%s' driver runs a kernel inside clEnqueueNDRangeKernel, so a "
			 "resident kernel would block forever (use PoCL's pthread device)",
			 info->name);
	else if (!info->svm_fine_buffer)
		snprintf(v->reason, sizeof(v->reason),
			 "no fine-grained SVM buffers (coarse=%d fine_system=%d atomics=%d)",
			 info->svm_coarse, info->svm_fine_system, info->svm_atomics);
	else if (!mkrt__device_cl_std(info))
		snprintf(v->reason, sizeof(v->reason),
			 "needs OpenCL C 2.0, or 3.0 with acq_rel atomics (device offers OpenCL C %u.%u)",
			 info->cl_c_major, info->cl_c_minor);
	else
		return false;
	snprintf(v->mode, sizeof(v->mode), "not probed");
	return true;
}

static void mkrt__probe(const struct mkrt__device *dev, struct mkrt__svm_verdict *v)
{
	struct mkrt__probe_ctx pc = { .dev = dev };
	const char *parts[3], *names[3] = { "protocol.h", "mkrt_atomics.h", "probe.cl" };
	char *owned[3] = { NULL, NULL, NULL };
	cl_program prog = NULL;
	cl_int rc;

	memset(v, 0, sizeof(*v));
	if (mkrt__static_refusal(&dev->info, v))
		return;
	snprintf(v->mode, sizeof(v->mode), "probe failed");
	cl_context_properties props[] = { CL_CONTEXT_PLATFORM, (cl_context_properties)dev->platform, 0 };
	pc.ctx = clCreateContext(props, 1, &dev->id, NULL, NULL, &rc);
	if (!pc.ctx) {
		snprintf(v->reason, sizeof(v->reason), "clCreateContext: %s", mkrt__cl_name(rc));
		v->transient = true;
		return;
	}
	pc.queue = clCreateCommandQueueWithProperties(pc.ctx, dev->id, NULL, &rc);
	for (int i = 0; i < 3 && pc.queue; i++)
		if (mkrt__cl_source(names[i], &parts[i], &owned[i]))
			goto out;
	if (pc.queue && mkrt__program_build(pc.ctx, dev, parts, 3, mkrt__device_cl_std(&dev->info),
					    &prog) == 0)
		pc.kernel = clCreateKernel(prog, "mkrt_probe", &rc);
	if (!pc.kernel) {
		snprintf(v->reason, sizeof(v->reason), "probe kernel unavailable: %.250s",
			 mkrt_last_detail());
		v->transient = true; /* out of memory, or MKRT_CL_DIR being edited */
		goto out;
	}
	mkrt__try_modes(&pc, v);
	clReleaseKernel(pc.kernel);
out:
	if (prog)
		clReleaseProgram(prog);
	for (int i = 0; i < 3; i++)
		free(owned[i]);
	if (pc.queue)
		clReleaseCommandQueue(pc.queue);
	clReleaseContext(pc.ctx);
	size_t n = strlen(v->reason);
	if (n >= 2 && v->reason[n - 2] == ';')
		v->reason[n - 2] = '\0';
}

int mkrt__svm_verdict(const struct mkrt__device *dev, struct mkrt__svm_verdict *out)
{
	char key[3 * MKRT_NAME_LEN];

	snprintf(key, sizeof(key), "%s|%s|%s", dev->info.platform, dev->info.name, dev->info.driver);
	pthread_mutex_lock(&mkrt__probe_lock);
	for (int i = 0; i < mkrt__probe_cached; i++) {
		if (strcmp(mkrt__probe_cache[i].key, key) == 0) {
			*out = mkrt__probe_cache[i].verdict;
			pthread_mutex_unlock(&mkrt__probe_lock);
			return 0;
		}
	}
	mkrt__probe(dev, out);
	if (!out->transient && mkrt__probe_cached < MKRT__PROBE_CACHE) {
		snprintf(mkrt__probe_cache[mkrt__probe_cached].key, sizeof(key), "%s", key);
		mkrt__probe_cache[mkrt__probe_cached++].verdict = *out;
	}
	pthread_mutex_unlock(&mkrt__probe_lock);
	return 0;
}

int mkrt_device_probe_svm(uint32_t index, char *reason, size_t reason_len, char *mode,
			  size_t mode_len)
{
	struct mkrt__device dev;
	struct mkrt__svm_verdict v;
	int err;

	if ((!reason && reason_len) || (!mode && mode_len))
		return MKRT_EINVAL;
	err = mkrt__device_at(index, &dev);
	if (err)
		return err;
	mkrt__svm_verdict(&dev, &v);
	if (reason_len)
		snprintf(reason, reason_len, "%s", v.reason);
	if (mode_len)
		snprintf(mode, mode_len, "%s", v.mode);
	return v.score;
}
