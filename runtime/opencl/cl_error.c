/* SPDX-License-Identifier: MIT */
/* cl_error.c - OpenCL error codes: the single place they become MKRT_ECL. */
#include "cl.h"
#include "atomics.h"

const char *mkrt__cl_name(cl_int code)
{
	switch (code) {
#define MKRT__CL(name) \
	case name:     \
		return #name;
		MKRT__CL(CL_SUCCESS)
		MKRT__CL(CL_DEVICE_NOT_FOUND)
		MKRT__CL(CL_DEVICE_NOT_AVAILABLE)
		MKRT__CL(CL_COMPILER_NOT_AVAILABLE)
		MKRT__CL(CL_MEM_OBJECT_ALLOCATION_FAILURE)
		MKRT__CL(CL_OUT_OF_RESOURCES)
		MKRT__CL(CL_OUT_OF_HOST_MEMORY)
		MKRT__CL(CL_BUILD_PROGRAM_FAILURE)
		MKRT__CL(CL_INVALID_VALUE)
		MKRT__CL(CL_INVALID_DEVICE_TYPE)
		MKRT__CL(CL_INVALID_PLATFORM)
		MKRT__CL(CL_INVALID_DEVICE)
		MKRT__CL(CL_INVALID_CONTEXT)
		MKRT__CL(CL_INVALID_QUEUE_PROPERTIES)
		MKRT__CL(CL_INVALID_COMMAND_QUEUE)
		MKRT__CL(CL_INVALID_MEM_OBJECT)
		MKRT__CL(CL_INVALID_BINARY)
		MKRT__CL(CL_INVALID_BUILD_OPTIONS)
		MKRT__CL(CL_INVALID_PROGRAM)
		MKRT__CL(CL_INVALID_PROGRAM_EXECUTABLE)
		MKRT__CL(CL_INVALID_KERNEL_NAME)
		MKRT__CL(CL_INVALID_KERNEL)
		MKRT__CL(CL_INVALID_ARG_INDEX)
		MKRT__CL(CL_INVALID_ARG_VALUE)
		MKRT__CL(CL_INVALID_ARG_SIZE)
		MKRT__CL(CL_INVALID_KERNEL_ARGS)
		MKRT__CL(CL_INVALID_WORK_DIMENSION)
		MKRT__CL(CL_INVALID_WORK_GROUP_SIZE)
		MKRT__CL(CL_INVALID_WORK_ITEM_SIZE)
		MKRT__CL(CL_INVALID_EVENT)
		MKRT__CL(CL_INVALID_OPERATION)
		MKRT__CL(CL_INVALID_BUFFER_SIZE)
		MKRT__CL(CL_INVALID_GLOBAL_WORK_SIZE)
		MKRT__CL(CL_PLATFORM_NOT_FOUND_KHR)
#undef MKRT__CL
	}
	return "CL_?";
}

int mkrt__cl_fail(const char *call, cl_int code)
{
	mkrt__detail("%s failed: %s (%d)", call, mkrt__cl_name(code), (int)code);
	return MKRT_ECL;
}

/* ---- fault injection ------------------------------------------------------------------ */

uint32_t mkrt__inject_svm_alloc;

void *mkrt__svm_alloc_bytes(cl_context ctx, cl_svm_mem_flags flags, size_t bytes, cl_uint align)
{
	uint32_t left = mkrt__load_relaxed(&mkrt__inject_svm_alloc);

	if (left == 1)
		return NULL; /* stays 1: every later allocation fails too */
	if (left > 1)
		mkrt__store_relaxed(&mkrt__inject_svm_alloc, left - 1);
	return clSVMAlloc(ctx, flags, bytes, align);
}
