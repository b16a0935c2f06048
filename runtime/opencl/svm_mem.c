/* SPDX-License-Identifier: MIT */
/*
 * svm_mem.c - the svm backend's memory in each of its modes (cl.h): memory
 * host and lanes address alike, from clSVMAlloc or, for Intel's GPU driver,
 * cl_intel_unified_shared_memory host allocations (clHostMemAllocINTEL),
 * which a running kernel reaches and which need no map.
 */
#include "cl.h"

#include <stdio.h>

static const struct {
	const char *name;
	cl_svm_mem_flags flags; /* clSVMAlloc's; usm-host: none */
} mkrt__svm_modes[MKRT__SVM_MODES] = {
	[MKRT__SVM_FINE_ATOMICS] = { "fine+atomics", CL_MEM_SVM_FINE_GRAIN_BUFFER | CL_MEM_SVM_ATOMICS },
	[MKRT__SVM_FINE] = { "fine", CL_MEM_SVM_FINE_GRAIN_BUFFER },
	[MKRT__SVM_USM_HOST] = { "usm-host", 0 },
};

const char *mkrt__svm_mode_name(enum mkrt__svm_mode m)
{
	return m < MKRT__SVM_MODES ? mkrt__svm_modes[m].name : "?";
}

const char *mkrt__svm_mem_call(const struct mkrt__svm_mem *m)
{
	return m->mode == MKRT__SVM_USM_HOST ? "clHostMemAllocINTEL" : "clSVMAlloc";
}

bool mkrt__svm_mode_host_rmw(enum mkrt__svm_mode m)
{
	return m == MKRT__SVM_FINE_ATOMICS;
}

int mkrt__svm_mem_init(struct mkrt__svm_mem *m, cl_context ctx, cl_platform_id platform,
		       enum mkrt__svm_mode mode)
{
	memset(m, 0, sizeof(*m));
	m->ctx = ctx;
	m->mode = mode;
	if (mode != MKRT__SVM_USM_HOST)
		return 0;
	/* how an extension's entry points are reached: a void * to cast */
	m->usm_alloc = (clHostMemAllocINTEL_fn)clGetExtensionFunctionAddressForPlatform(
		platform, "clHostMemAllocINTEL");
	m->usm_free = (clMemBlockingFreeINTEL_fn)clGetExtensionFunctionAddressForPlatform(
		platform, "clMemBlockingFreeINTEL");
	m->usm_set_arg = (clSetKernelArgMemPointerINTEL_fn)clGetExtensionFunctionAddressForPlatform(
		platform, "clSetKernelArgMemPointerINTEL");
	if (m->usm_alloc && m->usm_free && m->usm_set_arg)
		return 0;
	mkrt__detail("the platform offers no clHostMemAllocINTEL, clMemBlockingFreeINTEL and "
		     "clSetKernelArgMemPointerINTEL (cl_intel_unified_shared_memory)");
	return MKRT_ENOTSUP;
}

/* ---- fault injection --------------------------------------------------------------------------- */

uint32_t mkrt__inject_svm_alloc;

void *mkrt__svm_mem_alloc(const struct mkrt__svm_mem *m, size_t bytes, cl_uint align)
{
	uint32_t left = mkrt__load_relaxed(&mkrt__inject_svm_alloc);
	void *p;

	if (left == 1)
		return NULL; /* stays 1: every later allocation fails too */
	if (left > 1)
		mkrt__store_relaxed(&mkrt__inject_svm_alloc, left - 1);
	if (m->mode == MKRT__SVM_USM_HOST) {
		cl_int rc;
		p = m->usm_alloc(m->ctx, NULL, bytes, align, &rc);
	} else {
		p = clSVMAlloc(m->ctx, CL_MEM_READ_WRITE | mkrt__svm_modes[m->mode].flags, bytes, align);
	}
	if (p && !mkrt__svm_mode_host_rmw(m->mode))
		mkrt__audit_share(p, bytes);
	return p;
}

void mkrt__svm_mem_free(const struct mkrt__svm_mem *m, void *p)
{
	if (!p)
		return;
	if (!mkrt__svm_mode_host_rmw(m->mode))
		mkrt__audit_unshare(p);
	if (m->mode == MKRT__SVM_USM_HOST)
		m->usm_free(m->ctx, p);
	else
		clSVMFree(m->ctx, p);
}

cl_int mkrt__svm_mem_set_arg(const struct mkrt__svm_mem *m, cl_kernel k, cl_uint index, const void *p)
{
	if (m->mode == MKRT__SVM_USM_HOST)
		return m->usm_set_arg(k, index, p);
	return clSetKernelArgSVMPointer(k, index, p);
}
