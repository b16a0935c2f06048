/* SPDX-License-Identifier: MIT */
/*
 * driver.c - libcuda.so.1 opened at run time (driver.h).
 */
#include "driver.h"
#include "internal.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#define MKRT__CUDA_LIB "libcuda.so.1"

int mkrt__cuda_open(struct mkrt__cuda *cu)
{
	char buf[64];

	memset(cu, 0, sizeof(*cu));
	cu->lib = dlopen(MKRT__CUDA_LIB, RTLD_NOW | RTLD_LOCAL);
	if (!cu->lib) {
		mkrt__detail("cuda: %s. Fix: install the NVIDIA driver, or put the folder holding "
			     MKRT__CUDA_LIB " on LD_LIBRARY_PATH", dlerror());
		return MKRT_EUNAVAILABLE;
	}
#define MKRT__CUDA_FIND(name, ret, args)                                                           \
	*(void **)&cu->name = dlsym(cu->lib, #name);                                               \
	if (!cu->name) {                                                                           \
		mkrt__detail("cuda: " MKRT__CUDA_LIB " has no %s: the driver is too old. Fix: "    \
			     "install a newer NVIDIA driver", #name);                              \
		mkrt__cuda_close(cu);                                                              \
		return MKRT_EUNAVAILABLE;                                                          \
	}
	MKRT__CUDA_CALLS(MKRT__CUDA_FIND)
#undef MKRT__CUDA_FIND
	CUresult rc = cu->cuInit(0);
	if (rc != CUDA_SUCCESS) {
		mkrt__detail("cuda: cuInit failed: %s. Fix: check that an NVIDIA GPU is visible "
			     "(nvidia-smi) and its driver loaded",
			     mkrt__cuda_error(cu, rc, buf, sizeof(buf)));
		mkrt__cuda_close(cu);
		return MKRT_EUNAVAILABLE;
	}
	return 0;
}

void mkrt__cuda_close(struct mkrt__cuda *cu)
{
	if (cu->lib)
		dlclose(cu->lib);
	memset(cu, 0, sizeof(*cu));
}

const char *mkrt__cuda_error(const struct mkrt__cuda *cu, CUresult err, char *buf, size_t n)
{
	const char *name = NULL;

	if (cu->cuGetErrorName && cu->cuGetErrorName(err, &name) == CUDA_SUCCESS && name)
		return name;
	snprintf(buf, n, "CUresult %d", err);
	return buf;
}
