/* SPDX-License-Identifier: MIT */
/*
 * svm_probe.c - the handshake probe: evidence, not capability bits, decides
 * whether the svm backend may use a device (DESIGN §3).
 *
 * For each memory mode in order (cl.h: fine-grained SVM with atomics, then
 * without the atomics flag, then Intel's USM host allocations), or the one
 * MKRT_SVM_MODE names, a one-lane kernel signals that it runs, waits (a
 * bounded number of spins) for a host release-store in that memory and
 * answers through it. The host's waits end when the word arrives
 * or the kernel has returned without it, so a loaded machine slows a probe
 * but does not fail it. The first mode that answers is accepted; every
 * refusal keeps its reason. probe.c caches the verdict.
 */
#include "cl.h"

#include <stdio.h>
#include <stdlib.h>

struct mkrt__probe_ctx {
	const struct mkrt__device *dev;
	struct mkrt__svm_mem mem;
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
	if (mkrt__svm_mem_set_arg(&pc->mem, pc->kernel, 0, w) != CL_SUCCESS ||
	    clSetKernelArg(pc->kernel, 1, sizeof(spins), &spins) != CL_SUCCESS)
		return "clSetKernelArg* refused the pointer";
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

/* The mode MKRT_SVM_MODE names, MKRT__SVM_MODES when it names none (try
 * every mode), or -1 when it names no mode. */
static int mkrt__svm_forced(void)
{
	const char *v = getenv("MKRT_SVM_MODE");

	if (!v || !v[0])
		return MKRT__SVM_MODES;
	for (int m = 0; m < MKRT__SVM_MODES; m++)
		if (strcmp(v, mkrt__svm_mode_name((enum mkrt__svm_mode)m)) == 0)
			return m;
	return -1;
}

/* Why @info cannot offer mode @m at all, or NULL. */
static const char *mkrt__mode_absent(const struct mkrt__device *dev, enum mkrt__svm_mode m, char *why,
				     size_t len)
{
	const struct mkrt_device_info *info = &dev->info;
	cl_device_unified_shared_memory_capabilities_intel caps = 0;

	if (m != MKRT__SVM_USM_HOST) {
		if (info->svm_fine_buffer)
			return NULL;
		snprintf(why, len, "no fine-grained SVM buffers (coarse=%d fine_system=%d atomics=%d)",
			 info->svm_coarse, info->svm_fine_system, info->svm_atomics);
		return why;
	}
	/* fails (caps stay 0) where the extension is absent. Access is all we
	 * ask of the bits: whether a running kernel sees host stores there is
	 * the handshake's to prove (PoCL 5.0 says 0x3, no concurrent access,
	 * and passes it) */
	clGetDeviceInfo(dev->id, CL_DEVICE_HOST_MEM_CAPABILITIES_INTEL, sizeof(caps), &caps, NULL);
	if (caps & CL_UNIFIED_SHARED_MEMORY_ACCESS_INTEL)
		return NULL;
	snprintf(why, len, "no cl_intel_unified_shared_memory host allocations the device may access "
		 "(host capabilities 0x%llx)", (unsigned long long)caps);
	return why;
}

/* What a device offers of the modes MKRT_SVM_MODE leaves in play: each is
 * present (to be tried), or absent with its reason (why[m] empty for a mode
 * out of play). Read once per probe. */
struct mkrt__offers {
	int forced; /* mkrt__svm_forced() */
	bool present[MKRT__SVM_MODES];
	char why[MKRT__SVM_MODES][192];
};

static bool mkrt__offers_of(const struct mkrt__device *dev, struct mkrt__offers *o)
{
	bool any = false;

	o->forced = mkrt__svm_forced();
	for (int m = 0; m < MKRT__SVM_MODES; m++) {
		bool in_play = o->forced == MKRT__SVM_MODES || m == o->forced;
		o->why[m][0] = '\0';
		o->present[m] = in_play &&
				!mkrt__mode_absent(dev, (enum mkrt__svm_mode)m, o->why[m], sizeof(o->why[m]));
		any |= o->present[m];
	}
	return any;
}

/* Why each mode in play is absent, appended to @v's reason. */
static void mkrt__append_absent(const struct mkrt__offers *o, struct mkrt__verdict *v)
{
	bool all = o->forced == MKRT__SVM_MODES;

	for (int m = 0; m < MKRT__SVM_MODES; m++) {
		/* the fine modes lack the same thing: said once */
		if (o->present[m] || !o->why[m][0] || (all && m == MKRT__SVM_FINE))
			continue;
		mkrt__verdict_append(v, all && m == MKRT__SVM_FINE_ATOMICS
						? "fine+atomics, fine"
						: mkrt__svm_mode_name((enum mkrt__svm_mode)m),
				     o->why[m]);
	}
}

/* The handshake in mode @m; true when it passed. */
static bool mkrt__try_mode(struct mkrt__probe_ctx *pc, enum mkrt__svm_mode m, struct mkrt__verdict *v,
			   bool *stuck)
{
	const char *name = mkrt__svm_mode_name(m);
	char why[256];

	*stuck = false;
	if (mkrt__svm_mem_init(&pc->mem, pc->ctx, pc->dev->platform, m)) {
		mkrt__verdict_append(v, name, mkrt_last_detail());
		return false;
	}
	uint32_t *w = mkrt__svm_mem_alloc(&pc->mem, 64, 64);
	if (!w) {
		snprintf(why, sizeof(why), "%s(64 B, align 64) returned NULL", mkrt__svm_mem_call(&pc->mem));
		mkrt__verdict_append(v, name, why);
		v->transient = true;
		return false;
	}
	const char *failed = mkrt__handshakes(pc, w, stuck);
	if (!*stuck)
		mkrt__svm_mem_free(&pc->mem, w);
	if (failed)
		mkrt__verdict_append(v, name, failed);
	return !failed;
}

/* Try the modes @o offers in order; the first whose handshake passes is
 * accepted. The reason says why each mode was not. */
static void mkrt__try_modes(struct mkrt__probe_ctx *pc, const struct mkrt__offers *o,
			    struct mkrt__verdict *v)
{
	const struct mkrt_device_info *info = &pc->dev->info;

	mkrt__append_absent(o, v);
	for (int m = 0; m < MKRT__SVM_MODES; m++) {
		bool stuck;
		if (!o->present[m])
			continue;
		if (mkrt__try_mode(pc, (enum mkrt__svm_mode)m, v, &stuck)) {
			v->svm_mode = (enum mkrt__svm_mode)m;
			snprintf(v->mode, sizeof(v->mode), "%s", mkrt__svm_mode_name(v->svm_mode));
			v->score = info->gpu ? 100 : info->cpu ? 50 : 75;
			return;
		}
		if (stuck)
			return; /* never reuse a context a kernel may still run in */
	}
}

/* Refusals that need no kernel: the driver cannot host a resident kernel,
 * lacks what the megakernel needs, or offers none of the modes to try
 * (@o: what it offers). */
static bool mkrt__static_refusal(const struct mkrt__device *dev, struct mkrt__offers *o,
				 struct mkrt__verdict *v)
{
	const struct mkrt_device_info *info = &dev->info;

	if (mkrt__verdict_inside_enqueue(info, v))
		return true;
	snprintf(v->mode, sizeof(v->mode), "not probed");
	if (!mkrt__offers_of(dev, o)) {
		if (o->forced < 0)
			snprintf(v->reason, sizeof(v->reason),
				 "MKRT_SVM_MODE='%.32s' names no mode (fine+atomics, fine, usm-host)",
				 getenv("MKRT_SVM_MODE"));
		else
			mkrt__append_absent(o, v);
		return true;
	}
	if (!mkrt__device_cl_std(info)) {
		snprintf(v->reason, sizeof(v->reason),
			 "needs OpenCL C 2.0, or 3.0 with acq_rel atomics (device offers OpenCL C %u.%u)",
			 info->cl_c_major, info->cl_c_minor);
		return true;
	}
	return false;
}

static void mkrt__svm_probe_device(const struct mkrt__device *dev, struct mkrt__verdict *v)
{
	struct mkrt__probe_ctx pc = { .dev = dev };
	struct mkrt__offers offers;
	cl_program prog = NULL;
	cl_int rc;

	if (mkrt__static_refusal(dev, &offers, v))
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
		mkrt__try_modes(&pc, &offers, v);
		clReleaseKernel(pc.kernel);
		clReleaseProgram(prog);
	}
	clReleaseCommandQueue(pc.queue);
out_release_context:
	clReleaseContext(pc.ctx);
}

void mkrt__svm_verdict(const struct mkrt__device *dev, struct mkrt__verdict *out)
{
	const char *forced = getenv("MKRT_SVM_MODE");
	char backend[48];

	/* a verdict under a forced mode is cached apart */
	snprintf(backend, sizeof(backend), "svm%s%.40s", forced && forced[0] ? ":" : "",
		 forced ? forced : "");
	mkrt__verdict_of(backend, dev, mkrt__svm_probe_device, out);
}

int mkrt_device_probe_svm(uint32_t index, char *reason, size_t reason_len, char *mode,
			  size_t mode_len)
{
	return mkrt__device_probe(index, mkrt__svm_verdict, reason, reason_len, mode, mode_len);
}
