/* SPDX-License-Identifier: MIT */
/*
 * driver.h - the few CUDA driver API entry points the cuda backend uses,
 * declared here and found in libcuda.so.1 at run time, so that mkrt builds
 * without the CUDA toolkit and runs without a driver (the backend then
 * refuses, saying why). Types and constants are the driver API's.
 */
#ifndef MKRT_CUDA_DRIVER_H
#define MKRT_CUDA_DRIVER_H

#include <stddef.h>

typedef int CUresult;                    /* CUDA_SUCCESS or an error */
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
typedef struct CUctx_st *CUcontext;
typedef struct CUmod_st *CUmodule;
typedef struct CUfunc_st *CUfunction;
typedef struct CUstream_st *CUstream;
typedef void (*CUhostFn)(void *user);

#define CUDA_SUCCESS                    0
#define CUDA_ERROR_NOT_READY            600

#define CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT      16
#define CU_DEVICE_ATTRIBUTE_CAN_MAP_HOST_MEMORY       19
#define CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR  75
#define CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR  76

#define CU_MEMHOSTALLOC_PORTABLE        0x01u
#define CU_MEMHOSTALLOC_DEVICEMAP       0x02u

#define CU_STREAM_NON_BLOCKING          0x1u

/* The entry points, by the names libcuda.so.1 exports them under. */
#define MKRT__CUDA_CALLS(X)                                                                       \
	X(cuInit, CUresult, (unsigned flags))                                                     \
	X(cuGetErrorName, CUresult, (CUresult err, const char **name))                            \
	X(cuDeviceGetCount, CUresult, (int *count))                                               \
	X(cuDeviceGet, CUresult, (CUdevice *dev, int ordinal))                                    \
	X(cuDeviceGetName, CUresult, (char *name, int len, CUdevice dev))                         \
	X(cuDeviceGetAttribute, CUresult, (int *value, int attribute, CUdevice dev))             \
	X(cuDevicePrimaryCtxRetain, CUresult, (CUcontext *ctx, CUdevice dev))                     \
	X(cuDevicePrimaryCtxRelease_v2, CUresult, (CUdevice dev))                                 \
	X(cuCtxSetCurrent, CUresult, (CUcontext ctx))                                             \
	X(cuCtxSynchronize, CUresult, (void))                                                     \
	X(cuMemHostAlloc, CUresult, (void **p, size_t bytes, unsigned flags))                     \
	X(cuMemHostGetDevicePointer_v2, CUresult, (CUdeviceptr *dp, void *p, unsigned flags))     \
	X(cuMemFreeHost, CUresult, (void *p))                                                     \
	X(cuMemAlloc_v2, CUresult, (CUdeviceptr *dp, size_t bytes))                               \
	X(cuMemFree_v2, CUresult, (CUdeviceptr dp))                                               \
	X(cuMemcpyHtoD_v2, CUresult, (CUdeviceptr dst, const void *src, size_t bytes))           \
	X(cuMemcpyDtoH_v2, CUresult, (void *dst, CUdeviceptr src, size_t bytes))                 \
	X(cuModuleLoadDataEx, CUresult,                                                           \
	  (CUmodule *mod, const void *image, unsigned n, int *options, void **values))            \
	X(cuModuleUnload, CUresult, (CUmodule mod))                                               \
	X(cuModuleGetFunction, CUresult, (CUfunction *fn, CUmodule mod, const char *name))        \
	X(cuStreamCreate, CUresult, (CUstream *stream, unsigned flags))                           \
	X(cuStreamDestroy_v2, CUresult, (CUstream stream))                                        \
	X(cuStreamQuery, CUresult, (CUstream stream))                                             \
	X(cuStreamSynchronize, CUresult, (CUstream stream))                                       \
	X(cuLaunchHostFunc, CUresult, (CUstream stream, CUhostFn fn, void *user))                 \
	X(cuLaunchKernel, CUresult,                                                               \
	  (CUfunction fn, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,        \
	   unsigned bz, unsigned shared_bytes, CUstream stream, void **params, void **extra))

#define MKRT__CUDA_MEMBER(name, ret, args) ret (*name) args;
struct mkrt__cuda {
	void *lib;
	MKRT__CUDA_CALLS(MKRT__CUDA_MEMBER)
};
#undef MKRT__CUDA_MEMBER

/*
 * Open libcuda.so.1 and find every entry point, then cuInit(0). 0, or
 * MKRT_EUNAVAILABLE with the reason (no driver, a driver too old for an
 * entry point, cuInit's error) in the error detail, with a Fix.
 */
int mkrt__cuda_open(struct mkrt__cuda *cu);
void mkrt__cuda_close(struct mkrt__cuda *cu);
/* "CUDA_ERROR_..." for @err, or its number when the driver does not say. */
const char *mkrt__cuda_error(const struct mkrt__cuda *cu, CUresult err, char *buf, size_t n);

#endif /* MKRT_CUDA_DRIVER_H */
