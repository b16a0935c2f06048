/* SPDX-License-Identifier: MIT */
/*
 * cuda_ops.c - runs tests/repro/cuda_ops.cl (built as PTX: make
 * tests/repro/cuda_ops.ptx) on GPU 0 through the driver API and prints what
 * each memory operation costs one lane, on pinned host memory and on device
 * memory. Built on request:
 *   make tests/repro/cuda_ops tests/repro/cuda_ops.ptx
 *   tests/repro/cuda_ops [PTX [N]]
 */
#include "driver.h"
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct mkrt__cuda cu;

static void check(CUresult rc, const char *call)
{
	char buf[64];
	if (rc == CUDA_SUCCESS)
		return;
	fprintf(stderr, "cuda_ops: %s: %s\n", call, mkrt__cuda_error(&cu, rc, buf, sizeof(buf)));
	exit(1);
}

static const char *const ops[] = {
	"ld.relaxed.sys (host)",
	"ld.acquire.sys (host)",
	"atom.relaxed.sys.add (host)",
	"atom.acquire.sys.cas (host)",
	"atom.acq_rel.sys.cas (host)",
	"st.relaxed.sys (host)",
	"st.release.sys (host)",
	"red.add + st.release (host)",
	"fence.acq_rel.sys",
	"fence.sc.sys",
	"st.relaxed + fence.acq_rel",
	"4 x ld.v4 (a slot, host)",
	"ld.relaxed.gpu (device)",
	"atom.relaxed.gpu.add (device)",
	"atom.acquire.gpu.cas (device)",
	"red.add + st.relaxed (host)",
	"atom.acquire.sys.cas (device)",
	"st.release.sys (device)",
	"ld.acquire.sys.u64 (host)",
	"a bus lane's idle round",
	"sum 4 KiB, 32-load blocks (host)",
	"sum 4 KiB, 32-load blocks (dev)",
	"sum 4 KiB, 32 x ld.v4 (host)",
	"sum 4 KiB, mkrt_arena_load16 (dev)",
	"peek 32 slots, mkrt_peek8 (host)",
	"slot's end, 2 reds, idle round",
	"slot's end, no reds, idle round",
};
#define NOPS (sizeof(ops) / sizeof(ops[0]))

/* @n copies of 4 KiB from @src to @dst, each waited for: ns per copy. */
static void time_copies(const char *what, CUdeviceptr dst, const void *src, unsigned n)
{
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned i = 0; i < n; i++)
		check(cu.cuMemcpyHtoD_v2(dst, src, 4096), "cuMemcpyHtoD");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("  %-32s %6.0f\n", what, ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / n);
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "tests/repro/cuda_ops.ptx";
	unsigned n = argc > 2 ? (unsigned)atoi(argv[2]) : 2000, zero = 0;
	CUdevice dev;
	CUcontext ctx;
	CUmodule mod;
	CUfunction fn;
	CUdeviceptr d_host, d_dev;
	void *host;
	char name[128];

	if (mkrt__cuda_open(&cu)) {
		fprintf(stderr, "cuda_ops: %s\n", mkrt_last_detail());
		return 1;
	}
	check(cu.cuDeviceGet(&dev, 0), "cuDeviceGet");
	check(cu.cuDeviceGetName(name, sizeof(name), dev), "cuDeviceGetName");
	check(cu.cuDevicePrimaryCtxRetain(&ctx, dev), "cuDevicePrimaryCtxRetain");
	check(cu.cuCtxSetCurrent(ctx), "cuCtxSetCurrent");
	FILE *f = fopen(path, "rb");
	static char ptx[1 << 20];
	size_t len = f ? fread(ptx, 1, sizeof(ptx) - 1, f) : 0;
	if (!f || !len) {
		perror(path);
		return 1;
	}
	fclose(f);
	check(cu.cuModuleLoadDataEx(&mod, ptx, 0, NULL, NULL), "cuModuleLoadDataEx");
	check(cu.cuModuleGetFunction(&fn, mod, "mkrt_ops"), "cuModuleGetFunction");
	check(cu.cuMemHostAlloc(&host, 8192, CU_MEMHOSTALLOC_PORTABLE | CU_MEMHOSTALLOC_DEVICEMAP),
	      "cuMemHostAlloc");
	memset(host, 0, 8192);
	check(cu.cuMemHostGetDevicePointer_v2(&d_host, host, 0), "cuMemHostGetDevicePointer");
	check(cu.cuMemAlloc_v2(&d_dev, 8192), "cuMemAlloc");
	check(cu.cuMemcpyHtoD_v2(d_dev, host, 8192), "cuMemcpyHtoD");
	uint32_t *out = (uint32_t *)host + 512;
	CUdeviceptr d_out = d_host + 512 * 4;
	void *params[] = { &d_host, &d_dev, &d_out, &n, &zero };
	for (int run = 0; run < 2; run++) { /* the first warms up */
		check(cu.cuLaunchKernel(fn, 1, 1, 1, 1, 1, 1, 0, NULL, params, NULL), "cuLaunchKernel");
		check(cu.cuCtxSynchronize(), "cuCtxSynchronize");
	}
	printf("%s: ns per operation, one lane, %u of each\n", name, n);
	for (unsigned k = 0; k < NOPS; k++)
		printf("  %-32s %6u\n", ops[k], out[k]);
	/* what the host pays to put a 4 KiB frame into device memory */
	static uint8_t page[4096];
	time_copies("cuMemcpyHtoD 4 KiB (host, ns)", d_dev + 4096, page, n);
	time_copies("... from pinned memory (ns)", d_dev + 4096, host, n);
	return 0;
}
