/* SPDX-License-Identifier: MIT */
/*
 * cuda_ops.c - runs tests/repro/cuda_ops.cl (built as PTX: make
 * tests/repro/cuda_ops.ptx) on GPU 0 through the driver API and prints what
 * each memory operation costs one lane, on pinned host memory and on device
 * memory; then the ping ladder: a ping's round trip with the parts of the
 * megakernel's round trip added one at a time (cuda_ops.cl, mkrt_ladder).
 * Built on request:
 *   make tests/repro/cuda_ops tests/repro/cuda_ops.ptx
 *   tests/repro/cuda_ops [PTX [N]]
 */
#include "cuda_ladder.h"
#include "driver.h"
#include "internal.h"

#include <mkrt/barrier.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	"sum 4 KiB, load16 x 2 blocks (dev)",
	"sum 4 KiB, load16 x 8 blocks (dev)",
};
#define NOPS (sizeof(ops) / sizeof(ops[0]))

/* @n copies of 4 KiB from @src to @dst, each waited for: ns per copy. */
static void time_copies(const char *what, CUdeviceptr dst, const void *src, unsigned n)
{
	uint64_t t0 = mkrt__now_ns();

	for (unsigned i = 0; i < n; i++)
		check(cu.cuMemcpyHtoD_v2(dst, src, 4096), "cuMemcpyHtoD");
	printf("  %-32s %6.0f\n", what, (double)(mkrt__now_ns() - t0) / n);
}

static int by_value(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* The ladder's rungs (cuda_ladder.h's LADDER_* bits) and their names. */
static const struct {
	unsigned mode;
	const char *what;
} rungs[] = {
	{ 0, "ping (acquire word 0; answer apart)" },
	{ LADDER_SAME, "+ answer in the slot's line" },
	{ LADDER_ROUND, "ping polled with a round's loads" },
	{ LADDER_ROUND | LADDER_SAME, "round's loads + answer in line" },
	{ LADDER_ROUND | LADDER_SAME | LADDER_RING, "... + slot i % 64" },
	{ LADDER_ROUND | LADDER_SAME | LADDER_RING | LADDER_CLAIM, "... + claim in device memory" },
	{ LADDER_ROUND | LADDER_SAME | LADDER_RING | LADDER_CLAIM | LADDER_REDS,
	  "... + two reds (the megakernel)" },
	{ LADDER_ROUND | LADDER_SAME | LADDER_RING | LADDER_REDS, "the megakernel without the claim" },
};

/* @n pings through kernel @fn in mode @mode: the round trip's p50 and p99
 * in ns into @p; false when the kernel stopped answering (5 s watchdog). */
static bool ladder_rung(CUfunction fn, CUstream stream, uint32_t *q, CUdeviceptr d_q,
			CUdeviceptr d_claims, unsigned n, unsigned mode, double p[2])
{
	static uint32_t zero[LADDER_SLOTS];
	uint64_t *lat = malloc(sizeof(*lat) * n);
	bool same = mode & LADDER_SAME, ring = mode & LADDER_RING, ok = true;

	memset(q, 0, LADDER_WORDS * 4);
	check(cu.cuMemcpyHtoD_v2(d_claims, zero, sizeof(zero)), "cuMemcpyHtoD");
	void *params[] = { &d_q, &d_claims, &n, &mode };
	check(cu.cuLaunchKernel(fn, 1, 1, 1, 1, 1, 1, 0, stream, params, NULL), "cuLaunchKernel");
	for (unsigned i = 1; i <= n && ok; i++) {
		uint32_t slot = ring ? i % LADDER_SLOTS : 0, *s = q + 16 * slot;
		uint32_t *answer = same ? s : q + LADDER_ANSWER_LINE + 16 * slot;
		uint64_t a = mkrt__now_ns();
		for (unsigned k = 1; k < 16; k++)
			mkrt_store_relaxed(&s[k], i);
		mkrt_store_release(&s[0], 2 * i + 1);
		__atomic_store_n((uint64_t *)(void *)&q[LADDER_BELL], (uint64_t)i, __ATOMIC_RELEASE);
		while (mkrt_load_acquire(answer) != 2 * i + 2)
			if (mkrt__now_ns() - a > 5000000000ull) {
				fprintf(stderr, "cuda_ops: ladder mode %u: ping %u unanswered after 5 s\n",
					mode, i);
				mkrt_store_release(&s[0], 0xFFFFFFFFu);
				ok = false;
				break;
			}
		lat[i - 1] = mkrt__now_ns() - a;
	}
	check(cu.cuStreamSynchronize(stream), "cuStreamSynchronize");
	if (ok) {
		qsort(lat, n, sizeof(*lat), by_value);
		p[0] = lat[n / 2];
		p[1] = lat[n * 99 / 100];
	}
	free(lat);
	return ok;
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

	/* the ladder: each rung twice, interleaved, 5000 pings a run */
	CUfunction ladder;
	CUstream stream;
	CUdeviceptr d_q;
	void *q;
	check(cu.cuModuleGetFunction(&ladder, mod, "mkrt_ladder"), "cuModuleGetFunction");
	check(cu.cuStreamCreate(&stream, 1 /* CU_STREAM_NON_BLOCKING */), "cuStreamCreate");
	check(cu.cuMemHostAlloc(&q, LADDER_WORDS * 4, CU_MEMHOSTALLOC_PORTABLE | CU_MEMHOSTALLOC_DEVICEMAP),
	      "cuMemHostAlloc");
	check(cu.cuMemHostGetDevicePointer_v2(&d_q, q, 0), "cuMemHostGetDevicePointer");
	printf("ping ladder: host round trip, p50 / p99 in us, 5000 pings a run\n");
	for (int run = 1; run <= 2; run++)
		for (unsigned k = 0; k < sizeof(rungs) / sizeof(rungs[0]); k++) {
			double p[2];
			if (!ladder_rung(ladder, stream, q, d_q, d_dev, 5000, rungs[k].mode, p))
				return 1;
			/* as each finishes: a rung that hangs leaves the others' */
			printf("  run %d  %-40s %6.2f / %6.2f\n", run, rungs[k].what, p[0] / 1e3, p[1] / 1e3);
			fflush(stdout);
		}
	return 0;
}
