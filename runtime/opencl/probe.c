/* SPDX-License-Identifier: MIT */
/*
 * probe.c - what the resident backends' handshake probes share: the probe
 * kernel (cl/probe.cl) and its spin budgets, waits on its event, and the
 * per-process cache of their verdicts (DESIGN §3, §5).
 *
 * A probe proves, on the device itself, that a running kernel sees a host
 * store made the backend's way: in fine-grained SVM (svm_probe.c), or
 * through a second command queue into a device buffer (copy_probe.c).
 * Verdicts are cached per backend and device, so a process probes each pair
 * once; a refusal for want of memory or a context is not, since it may pass
 * next time.
 */
#include "cl.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define MKRT__VERDICT_CACHE 32

static pthread_mutex_t mkrt__verdict_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char key[3 * MKRT_NAME_LEN + 16];
	struct mkrt__verdict verdict;
} mkrt__verdict_cache[MKRT__VERDICT_CACHE];
static int mkrt__verdict_cached;

void mkrt__verdict_append(struct mkrt__verdict *v, const char *mode, const char *why)
{
	size_t used = strlen(v->reason);

	if (used < sizeof(v->reason))
		snprintf(v->reason + used, sizeof(v->reason) - used, "%s: %s; ", mode, why);
}

bool mkrt__verdict_inside_enqueue(const struct mkrt_device_info *info, struct mkrt__verdict *v)
{
	if (!info->runs_inside_enqueue)
		return false;
	snprintf(v->reason, sizeof(v->reason),
		 "PoCL's '%s' driver runs a kernel inside clEnqueueNDRangeKernel, so a resident "
		 "kernel would block forever (use PoCL's pthread device)",
		 info->name);
	snprintf(v->mode, sizeof(v->mode), "not probed");
	return true;
}

bool mkrt__event_settles(cl_event ev, uint32_t ms)
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

uint32_t mkrt__probe_spins(const struct mkrt_device_info *info, int attempt)
{
	if (!info->cpu)
		return attempt == 0 ? 1u << 23 : 0;
	return attempt < 3 ? 1u << (27 + 2 * attempt) : 0;
}

cl_kernel mkrt__probe_kernel(cl_context ctx, const struct mkrt__device *dev, const char *cl_std,
			     cl_program *prog, struct mkrt__verdict *v)
{
	char *text = NULL;
	cl_kernel kernel = NULL;
	cl_int rc;
	int err = mkrt__cl_text("probe.cl", &text);

	*prog = NULL;
	if (!err)
		err = mkrt__program_build(ctx, dev, (const char *const *)&text, 1, cl_std, prog);
	if (!err && !(kernel = clCreateKernel(*prog, "mkrt_probe", &rc)))
		mkrt__cl_fail("clCreateKernel(mkrt_probe)", rc);
	free(text);
	if (!kernel) {
		snprintf(v->reason, sizeof(v->reason), "probe kernel unavailable: %.250s", mkrt_last_detail());
		v->transient = true; /* out of memory, or MKRT_CL_DIR being edited */
		if (*prog)
			clReleaseProgram(*prog);
		*prog = NULL;
	}
	return kernel;
}

void mkrt__verdict_of(const char *backend, const struct mkrt__device *dev, mkrt__probe_fn probe,
		      struct mkrt__verdict *out)
{
	char key[sizeof(mkrt__verdict_cache[0].key)];

	snprintf(key, sizeof(key), "%s|%s|%s|%s", backend, dev->info.platform, dev->info.name,
		 dev->info.driver);
	pthread_mutex_lock(&mkrt__verdict_lock);
	for (int i = 0; i < mkrt__verdict_cached; i++) {
		if (strcmp(mkrt__verdict_cache[i].key, key) == 0) {
			*out = mkrt__verdict_cache[i].verdict;
			pthread_mutex_unlock(&mkrt__verdict_lock);
			return;
		}
	}
	memset(out, 0, sizeof(*out));
	probe(dev, out);
	size_t n = strlen(out->reason);
	if (n >= 2 && out->reason[n - 2] == ';')
		out->reason[n - 2] = '\0';
	if (!out->transient && mkrt__verdict_cached < MKRT__VERDICT_CACHE) {
		snprintf(mkrt__verdict_cache[mkrt__verdict_cached].key, sizeof(key), "%s", key);
		mkrt__verdict_cache[mkrt__verdict_cached++].verdict = *out;
	}
	pthread_mutex_unlock(&mkrt__verdict_lock);
}

int mkrt__device_probe(uint32_t index, mkrt__probe_fn verdict, char *reason, size_t reason_len, char *mode,
		       size_t mode_len)
{
	struct mkrt__device dev;
	struct mkrt__verdict v;
	int err;

	if ((!reason && reason_len) || (!mode && mode_len))
		return MKRT_EINVAL;
	err = mkrt__device_at(index, &dev);
	if (err)
		return err;
	verdict(&dev, &v);
	if (reason_len)
		snprintf(reason, reason_len, "%s", v.reason);
	if (mode_len)
		snprintf(mode, mode_len, "%s", v.mode);
	return v.score;
}
