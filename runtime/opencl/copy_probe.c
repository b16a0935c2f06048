/* SPDX-License-Identifier: MIT */
/*
 * copy_probe.c - the copy backend's handshake probe (DESIGN §5, §9).
 *
 * The copy backend needs two things no capability bit promises: that reads
 * and writes enqueued on a second command queue complete while a kernel runs
 * on the first, and that the running kernel sees what they wrote into its
 * device buffer. A driver that runs one queue's commands only after the
 * other's kernel returns would leave every request waiting out its timeout.
 * So a one-lane kernel (cl/probe.cl, built as OpenCL C 1.2) signals that it
 * runs, the host sees that through a read on the second queue, writes GO
 * through it, and the kernel must answer before its spins run out. A step
 * ends when its word arrives or the kernel has returned without it (a long
 * backstop catches a kernel that never starts), so load slows the probe but
 * does not fail it. A device that fails is refused with the step that
 * failed, and the automatic choice moves on (to host).
 */
#include "cl.h"

#include <stdio.h>
#include <stdlib.h>

struct mkrt__copy_probe {
	cl_context ctx;
	cl_command_queue kq;  /* the probe kernel's */
	cl_command_queue hq;  /* the host's transfers */
	cl_program prog;
	cl_kernel kernel;
	cl_mem buf;           /* w[0] running, w[1] go, w[2] answer */
	uint32_t *words;      /* where reads of w land: kept alive if one never completes */
	bool stuck;           /* a kernel or a transfer may still use buf and words */
};

/* Read w[0..2] into p->words, waiting at most @ms. False, and p->stuck,
 * when the read has not completed by then. */
static bool mkrt__copy_probe_read(struct mkrt__copy_probe *p, uint32_t ms)
{
	cl_event ev = NULL;

	if (clEnqueueReadBuffer(p->hq, p->buf, CL_FALSE, 0, 3 * sizeof(uint32_t), p->words, 0, NULL, &ev) !=
	    CL_SUCCESS)
		return true; /* nothing in flight; the caller's deadline ends the wait */
	clFlush(p->hq);
	bool done = mkrt__event_settles(ev, ms);
	clReleaseEvent(ev);
	p->stuck |= !done;
	return done;
}

/* Poll w[@i] until it holds @want or @alt: NULL, or @returned when the
 * probe kernel (@ev) returned without storing either, or why not. */
static const char *mkrt__copy_probe_wait(struct mkrt__copy_probe *p, int i, uint32_t want, uint32_t alt,
					 cl_event ev, const char *returned)
{
	struct mkrt__backoff backoff = { 0 };
	uint64_t deadline = mkrt__now_ns() + (uint64_t)MKRT__PROBE_STEP_MS * 1000000u;

	for (;;) {
		bool ended = mkrt__event_settles(ev, 0); /* before the read: then the read is final */
		uint64_t now = mkrt__now_ns();
		uint32_t left = now < deadline ? (uint32_t)((deadline - now) / 1000000u) + 1u : 1u;
		if (!mkrt__copy_probe_read(p, left))
			return "a read on a second command queue did not complete within " MKRT__PROBE_STEP_TEXT
			       " (the driver runs one queue at a time)";
		if (p->words[i] == want || p->words[i] == alt)
			return NULL;
		if (ended)
			return returned;
		if (now >= deadline)
			return "the probe kernel did not start within " MKRT__PROBE_STEP_TEXT;
		mkrt__backoff_pause(&backoff);
	}
}

static const char mkrt__copy_gave_up[] =
	"the running kernel never saw a write made through a second command queue (it gave up)";

/* One handshake with a kernel that spins @spins times: NULL when it passed,
 * else why not (mkrt__copy_gave_up when the kernel ran out of spins first). */
static const char *mkrt__copy_handshake(struct mkrt__copy_probe *p, cl_uint spins)
{
	static const uint32_t go = MKRT_PROBE_GO; /* static: the write may land after a failure */
	static const uint32_t zero[3];
	const size_t one = 1;
	cl_event ev = NULL;
	const char *why;

	if (clEnqueueWriteBuffer(p->hq, p->buf, CL_TRUE, 0, sizeof(zero), zero, 0, NULL, NULL) != CL_SUCCESS)
		return "clEnqueueWriteBuffer on a second command queue failed";
	if (clSetKernelArg(p->kernel, 0, sizeof(cl_mem), &p->buf) != CL_SUCCESS ||
	    clSetKernelArg(p->kernel, 1, sizeof(spins), &spins) != CL_SUCCESS)
		return "clSetKernelArg refused the probe's buffer";
	if (clEnqueueNDRangeKernel(p->kq, p->kernel, 1, NULL, &one, &one, 0, NULL, &ev) != CL_SUCCESS)
		return "clEnqueueNDRangeKernel failed";
	clFlush(p->kq);
	why = mkrt__copy_probe_wait(p, 0, MKRT_PROBE_RUNNING, MKRT_PROBE_RUNNING, ev,
				    "the probe kernel returned but never signalled it was running");
	/* GO even after a failure, so a kernel that starts late returns at once */
	if (!p->stuck && clEnqueueWriteBuffer(p->hq, p->buf, CL_FALSE, sizeof(uint32_t), sizeof(uint32_t), &go,
					      0, NULL, NULL) == CL_SUCCESS)
		clFlush(p->hq);
	else
		why = why ? why : "clEnqueueWriteBuffer on a second command queue failed";
	if (!why)
		why = mkrt__copy_probe_wait(p, 2, MKRT_PROBE_ANSWER, MKRT_PROBE_GAVE_UP, ev,
					    "the running kernel returned without answering");
	if (!why && p->words[2] != MKRT_PROBE_ANSWER)
		why = mkrt__copy_gave_up;
	if (!mkrt__event_settles(ev, MKRT__PROBE_FINISH_MS)) {
		p->stuck = true;
		why = why ? why : "the probe kernel did not finish";
	}
	clReleaseEvent(ev);
	return why;
}

/* The handshake, tried again while a CPU kernel gave up first. */
static const char *mkrt__copy_handshakes(struct mkrt__copy_probe *p, const struct mkrt_device_info *info)
{
	const char *why = NULL;
	cl_uint spins;

	for (int attempt = 0; (spins = mkrt__probe_spins(info, attempt)) != 0; attempt++) {
		why = mkrt__copy_handshake(p, spins);
		if (why != mkrt__copy_gave_up || p->stuck)
			break;
	}
	return why;
}

/* Refusals that need no kernel: the driver cannot host a resident kernel
 * beside transfers. */
static bool mkrt__copy_static_refusal(const struct mkrt_device_info *info, struct mkrt__verdict *v)
{
	if (mkrt__verdict_inside_enqueue(info, v))
		return true;
	if (info->gpu || info->compute_units >= 2)
		return false;
	snprintf(v->reason, sizeof(v->reason),
		 "one compute unit: its driver runs transfers on the worker a resident kernel would "
		 "hold, so none would ever run");
	snprintf(v->mode, sizeof(v->mode), "not probed");
	return true;
}

/* Context, queues, probe kernel and buffer; false with the reason in @v. */
static bool mkrt__copy_probe_setup(struct mkrt__copy_probe *p, const struct mkrt__device *dev,
				   struct mkrt__verdict *v)
{
	static const uint32_t zero[4];
	cl_context_properties props[] = { CL_CONTEXT_PLATFORM, (cl_context_properties)dev->platform, 0 };
	const char *call = NULL;
	cl_int rc = CL_SUCCESS;

	p->ctx = clCreateContext(props, 1, &dev->id, NULL, NULL, &rc);
	if (!p->ctx)
		call = "clCreateContext";
	else if (!(p->kq = clCreateCommandQueueWithProperties(p->ctx, dev->id, NULL, &rc)) ||
		 !(p->hq = clCreateCommandQueueWithProperties(p->ctx, dev->id, NULL, &rc)))
		call = "clCreateCommandQueue";
	else if (!(p->buf = clCreateBuffer(p->ctx, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof(zero),
					   (void *)zero, &rc)))
		call = "clCreateBuffer";
	else if (!(p->words = calloc(4, sizeof(uint32_t))))
		call = "calloc";
	if (call) {
		snprintf(v->reason, sizeof(v->reason), "%s: %s", call,
			 rc != CL_SUCCESS ? mkrt__cl_name(rc) : "out of host memory");
		v->transient = true;
		return false;
	}
	p->kernel = mkrt__probe_kernel(p->ctx, dev, "-cl-std=CL1.2", &p->prog, v);
	return p->kernel != NULL;
}

static void mkrt__copy_probe_release(struct mkrt__copy_probe *p)
{
	if (p->stuck)
		return; /* a kernel or a transfer may still use them: leak, do not corrupt */
	if (p->kernel)
		clReleaseKernel(p->kernel);
	if (p->prog)
		clReleaseProgram(p->prog);
	if (p->buf)
		clReleaseMemObject(p->buf);
	if (p->hq)
		clReleaseCommandQueue(p->hq);
	if (p->kq)
		clReleaseCommandQueue(p->kq);
	if (p->ctx)
		clReleaseContext(p->ctx);
	free(p->words);
}

static void mkrt__copy_probe_device(const struct mkrt__device *dev, struct mkrt__verdict *v)
{
	struct mkrt__copy_probe p = { 0 };
	const struct mkrt_device_info *info = &dev->info;

	if (mkrt__copy_static_refusal(info, v))
		return;
	snprintf(v->mode, sizeof(v->mode), "probe failed");
	if (mkrt__copy_probe_setup(&p, dev, v)) {
		const char *why = mkrt__copy_handshakes(&p, info);
		if (why) {
			mkrt__verdict_append(v, "second queue", why);
		} else {
			snprintf(v->mode, sizeof(v->mode), "second queue");
			/* below any svm verdict: copy is for devices svm cannot use */
			v->score = info->gpu ? 25 : info->cpu ? 10 : 15;
		}
	}
	mkrt__copy_probe_release(&p);
}

void mkrt__copy_verdict(const struct mkrt__device *dev, struct mkrt__verdict *out)
{
	mkrt__verdict_of("copy", dev, mkrt__copy_probe_device, out);
}

int mkrt_device_probe_copy(uint32_t index, char *reason, size_t reason_len, char *mode, size_t mode_len)
{
	return mkrt__device_probe(index, mkrt__copy_verdict, reason, reason_len, mode, mode_len);
}
