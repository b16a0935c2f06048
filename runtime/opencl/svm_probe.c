/* SPDX-License-Identifier: MIT */
/*
 * svm_probe.c - the handshake probe: evidence, not capability bits, decides
 * whether the svm backend may use a device (DESIGN §3).
 *
 * For each allocation mode in order (fine-grained with atomics, then
 * fine-grained without the atomics flag), a one-lane kernel signals that it
 * runs, waits (a bounded number of spins) for a host release-store in that
 * memory and answers through it. The host's waits end when the word arrives
 * or the kernel has returned without it, so a loaded machine slows a probe
 * but does not fail it. The first mode that answers is accepted; every
 * refusal keeps its reason. probe.c caches the verdict.
 */
#include "cl.h"

#include <stdio.h>
#include <stdlib.h>

struct mkrt__probe_ctx {
	const struct mkrt__device *dev;
	cl_context ctx;
	cl_command_queue queue;
	cl_kernel kernel;
};

/* Wait until *@w holds @want or @alt (acquire): NULL, or @returned when the
 * probe kernel (@ev) returned without storing either, or why not when it
 * never started. */
static const char *mkrt__wait_word(const uint32_t *w, uint32_t want, uint32_t alt, cl_event ev,
				   const char *returned)
{
	struct mkrt__backoff backoff = { 0 };
	uint64_t deadline = mkrt__now_ns() + (uint64_t)MKRT__PROBE_STEP_MS * 1000000u;

	for (;;) {
		bool ended = mkrt__event_settles(ev, 0); /* before the load: then the load is final */
		/* acquire: pairs with the probe kernel's release */
		uint32_t v = mkrt__load_acquire(w);
		if (v == want || v == alt)
			return NULL;
		if (ended)
			return returned;
		if (mkrt__now_ns() >= deadline)
			return "the probe kernel did not start within " MKRT__PROBE_STEP_TEXT;
		mkrt__backoff_pause(&backoff);
	}
}

static const char mkrt__gave_up[] = "the running kernel never saw the host's store (it gave up)";

/* Run the handshake in @w with a kernel that spins @spins times; returns
 * NULL when it passed, else why not (mkrt__gave_up when the kernel ran out
 * of spins first). On *@stuck the kernel may still run: @w must not be
 * freed. */
static const char *mkrt__handshake(struct mkrt__probe_ctx *pc, uint32_t *w, cl_uint spins, bool *stuck)
{
	const size_t one = 1;
	cl_event ev = NULL;
	const char *why;

	*stuck = false;
	memset(w, 0, 4 * sizeof(uint32_t));
	if (clSetKernelArgSVMPointer(pc->kernel, 0, w) != CL_SUCCESS ||
	    clSetKernelArg(pc->kernel, 1, sizeof(spins), &spins) != CL_SUCCESS)
		return "clSetKernelArg* refused the SVM pointer";
	if (clEnqueueNDRangeKernel(pc->queue, pc->kernel, 1, NULL, &one, &one, 0, NULL, &ev) != CL_SUCCESS)
		return "clEnqueueNDRangeKernel failed";
	clFlush(pc->queue);
	why = mkrt__wait_word(&w[0], MKRT_PROBE_RUNNING, MKRT_PROBE_RUNNING, ev,
			      "the probe kernel returned but never signalled it was running");
	/* release: the store the running kernel must see (even after a failure,
	 * so a kernel that starts late returns at once) */
	mkrt__store_release(&w[1], MKRT_PROBE_GO);
	if (!why)
		why = mkrt__wait_word(&w[2], MKRT_PROBE_ANSWER, MKRT_PROBE_GAVE_UP, ev,
				      "the running kernel returned without answering");
	if (!why && mkrt__load_acquire(&w[2]) != MKRT_PROBE_ANSWER)
		why = mkrt__gave_up;
	if (!mkrt__event_settles(ev, MKRT__PROBE_FINISH_MS)) {
		*stuck = true;
		why = why ? why : "the probe kernel did not finish";
	}
	clReleaseEvent(ev);
	return why;
}

/* The handshake in @w, tried again while a CPU kernel gave up first. */
static const char *mkrt__handshakes(struct mkrt__probe_ctx *pc, uint32_t *w, bool *stuck)
{
	const char *why = NULL;
	cl_uint spins;

	for (int attempt = 0; (spins = mkrt__probe_spins(&pc->dev->info, attempt)) != 0; attempt++) {
		why = mkrt__handshake(pc, w, spins, stuck);
		if (why != mkrt__gave_up || *stuck)
			break;
	}
	return why;
}

static const struct {
	cl_svm_mem_flags flags;
	const char *name;
} mkrt__modes[] = {
	{ CL_MEM_SVM_FINE_GRAIN_BUFFER | CL_MEM_SVM_ATOMICS, "fine+atomics" },
	{ CL_MEM_SVM_FINE_GRAIN_BUFFER, "fine" },
};

static void mkrt__try_modes(struct mkrt__probe_ctx *pc, struct mkrt__verdict *v)
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
			mkrt__verdict_append(v, mkrt__modes[m].name, why);
			v->transient = true;
			continue;
		}
		bool stuck;
		const char *why = mkrt__handshakes(pc, w, &stuck);
		if (!stuck)
			clSVMFree(pc->ctx, w);
		if (!why) {
			v->flags = mkrt__modes[m].flags;
			snprintf(v->mode, sizeof(v->mode), "%s", mkrt__modes[m].name);
			v->score = info->gpu ? 100 : info->cpu ? 50 : 75;
			return;
		}
		mkrt__verdict_append(v, mkrt__modes[m].name, why);
		if (stuck)
			return; /* never reuse a context a kernel may still run in */
	}
}

/* Refusals that need no kernel: the driver cannot host a resident kernel, or
 * lacks what the megakernel needs. */
static bool mkrt__static_refusal(const struct mkrt_device_info *info, struct mkrt__verdict *v)
{
	if (mkrt__verdict_inside_enqueue(info, v))
		return true;
	if (!info->svm_fine_buffer)
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

static void mkrt__svm_probe_device(const struct mkrt__device *dev, struct mkrt__verdict *v)
{
	struct mkrt__probe_ctx pc = { .dev = dev };
	cl_program prog = NULL;
	cl_int rc;

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
	if (!pc.queue) {
		snprintf(v->reason, sizeof(v->reason), "clCreateCommandQueue: %s", mkrt__cl_name(rc));
		v->transient = true;
		goto out_release_context;
	}
	pc.kernel = mkrt__probe_kernel(pc.ctx, dev, mkrt__device_cl_std(&dev->info), &prog, v);
	if (pc.kernel) {
		mkrt__try_modes(&pc, v);
		clReleaseKernel(pc.kernel);
		clReleaseProgram(prog);
	}
	clReleaseCommandQueue(pc.queue);
out_release_context:
	clReleaseContext(pc.ctx);
}

void mkrt__svm_verdict(const struct mkrt__device *dev, struct mkrt__verdict *out)
{
	mkrt__verdict_of("svm", dev, mkrt__svm_probe_device, out);
}

int mkrt_device_probe_svm(uint32_t index, char *reason, size_t reason_len, char *mode,
			  size_t mode_len)
{
	return mkrt__device_probe(index, mkrt__svm_verdict, reason, reason_len, mode, mode_len);
}
