/* SPDX-License-Identifier: MIT */
/*
 * cuda_ping.c - the megakernel's round trip through the driver API alone,
 * without the library (issue 17): the PTX as the build makes it loaded
 * through runtime/cuda/driver.h, its ring, control and withdrawal words in
 * cuMemHostAlloc(PORTABLE | DEVICEMAP) memory and its claim table in device
 * memory, as the cuda backend lays them out, one block of LANES lanes. It
 * times COUNT NOP round trips through the running kernel (publish, ring the
 * doorbell, poll STATUS for DONE), then sets SHUTDOWN and times a launch of
 * the same kernel per request (it returns at once), as the baseline. Given
 * the traced PTX (make tests/repro/mkrt_trace.ptx: -DMKRT_TRACE), it also
 * says where a round trip's time went on the GPU's clock: from the DONE
 * before to the round that ran the slot, within that round, and how the
 * lane came to the slot. Every wait has a 5 s watchdog. Built on request:
 * With "flush" the host writes the slot's and the doorbell's lines back out
 * of its cache after each publish (an experiment: is the lane's read of a
 * line the host just wrote what costs?).
 *   make tests/repro/cuda_ping tests/repro/mkrt_trace.ptx
 *   tests/repro/cuda_ping [PTX [LANES [COUNT [flush]]]]
 */
#include "driver.h"
#include "internal.h"
#include "mkrt_kernel_abi.h"

#include <mkrt/barrier.h>
#include <mkrt/codec.h>
#include <mkrt/ring.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS     64u
#define CTL_WORDS (MKRT_CTL_OBS + 64u)
#define WATCHDOG  5000000000ull

static struct mkrt__cuda cu;

static void check(CUresult rc, const char *call)
{
	char buf[64];
	if (rc == CUDA_SUCCESS)
		return;
	fprintf(stderr, "cuda_ping: %s: %s\n", call, mkrt__cuda_error(&cu, rc, buf, sizeof(buf)));
	exit(1);
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(1);
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	char *s = malloc((size_t)n + 1);
	if (!s || fread(s, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "cuda_ping: cannot read %s\n", path);
		exit(1);
	}
	s[n] = 0;
	fclose(f);
	return s;
}

/* Pinned host memory the GPU maps: its host pointer; *@dp the device's. */
static uint32_t *host_words(size_t words, CUdeviceptr *dp)
{
	void *p;
	check(cu.cuMemHostAlloc(&p, words * 4, CU_MEMHOSTALLOC_PORTABLE | CU_MEMHOSTALLOC_DEVICEMAP),
	      "cuMemHostAlloc");
	memset(p, 0, words * 4);
	check(cu.cuMemHostGetDevicePointer_v2(dp, p, 0), "cuMemHostGetDevicePointer");
	return p;
}

static void report(const char *what, double *lat, unsigned n)
{
	qsort(lat, n, sizeof(*lat), by_value);
	printf("%-28s p50 %8.2f us   p99 %8.2f us   min %8.2f us   (%u)\n", what, lat[n / 2] / 1e3,
	       lat[n * 99 / 100] / 1e3, lat[0] / 1e3, n);
}

/* The doorbell after the withdrawal words (mkrt_kernel_abi.h): count and
 * slot, one 64-bit store (this program is the only publisher). */
static void ring_doorbell(uint32_t *withdraw, uint32_t count, uint32_t slot)
{
	uint64_t *bell = (uint64_t *)(void *)&withdraw[MKRT_DOORBELL(SLOTS)];
	__atomic_store_n(bell, (uint64_t)count << 32 | slot, __ATOMIC_RELEASE);
}

/* Write the slot's line and the doorbell's back out of this core's cache
 * (clflush), so that a GPU read of them is not a snoop of a modified line:
 * whether that is what a round that sees a publish waits for. */
static void flush_lines(const uint32_t *slot, const uint32_t *bell)
{
#if defined(__x86_64__)
	__asm__ volatile("mfence\n\tclflush (%0)\n\tclflush (%1)\n\tmfence"
			 : : "r"(slot), "r"(bell) : "memory");
#else
	(void)slot;
	(void)bell;
	fprintf(stderr, "cuda_ping: flush is for x86-64 hosts; ignored\n");
#endif
}

/* The trace a -DMKRT_TRACE build leaves in a NOP's last words, in ns. */
struct trace {
	double gap;     /* from the DONE before to the round that ran this one */
	double loaded;  /* that round's loads back */
	double done;    /* this DONE issued, from the round's start */
};

static void report_trace(struct trace *t, const uint32_t *path, unsigned n)
{
	double *v = malloc(sizeof(double) * n);
	unsigned guessed = 0;
	const char *what[] = { "DONE before -> its round", "round -> loads back", "round -> DONE issued" };

	for (unsigned i = 0; i < n; i++)
		guessed += path[i] == 1;
	for (unsigned k = 0; k < 3; k++) {
		for (unsigned i = 0; i < n; i++)
			v[i] = k == 0 ? t[i].gap : k == 1 ? t[i].loaded : t[i].done;
		report(what[k], v, n);
	}
	printf("ran by the round's guess: %u of %u\n", guessed, n);
	free(v);
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "cl/mkrt_megakernel.ptx";
	unsigned lanes = argc > 2 ? (unsigned)atoi(argv[2]) : 1, count = argc > 3 ? (unsigned)atoi(argv[3]) : 20000;
	bool flush = argc > 4 && strcmp(argv[4], "flush") == 0;
	CUdevice dev;
	CUcontext ctx;
	CUmodule mod;
	CUfunction fn;
	CUstream stream;
	char name[128];
	int sms = 0;

	if (mkrt__cuda_open(&cu)) {
		fprintf(stderr, "cuda_ping: %s\n", mkrt_last_detail());
		return 1;
	}
	check(cu.cuDeviceGet(&dev, 0), "cuDeviceGet");
	check(cu.cuDeviceGetName(name, sizeof(name), dev), "cuDeviceGetName");
	check(cu.cuDeviceGetAttribute(&sms, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, dev), "cuDeviceGetAttribute");
	check(cu.cuDevicePrimaryCtxRetain(&ctx, dev), "cuDevicePrimaryCtxRetain");
	check(cu.cuCtxSetCurrent(ctx), "cuCtxSetCurrent");
	char *ptx = read_file(path);
	bool traced = strstr(ptx, "globaltimer") != NULL;
	uint64_t t0 = mkrt__now_ns();
	check(cu.cuModuleLoadDataEx(&mod, ptx, 0, NULL, NULL), "cuModuleLoadDataEx");
	double jit_ms = (mkrt__now_ns() - t0) / 1e6;
	check(cu.cuModuleGetFunction(&fn, mod, "mkrt_megakernel"), "cuModuleGetFunction");
	check(cu.cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
	printf("%s, %d SMs: %s JIT-loaded in %.0f ms; %u lane(s) in one block%s%s\n", name, sms,
	       path, jit_ms, lanes, traced ? "; traced" : "", flush ? "; lines flushed after a publish" : "");

	/* the arguments in MKRT_KARG_* order; no IO servicer (resources 0) */
	CUdeviceptr d_ring, d_ctl, d_dbg, d_dfa, d_io, d_res, d_frames, d_arena, d_withdraw, d_claims;
	uint32_t *ring = host_words(SLOTS * MKRT_SLOT_WORDS, &d_ring);
	uint32_t *ctl = host_words(CTL_WORDS, &d_ctl);
	host_words(1 + 4 * 16, &d_dbg);
	host_words(MKRT_DFA_COLUMNS, &d_dfa);
	host_words(MKRT_IO_SLOTS * MKRT_IO_WORDS, &d_io);
	host_words(1, &d_res);
	host_words(MKRT_FRAME_WORDS, &d_frames);
	host_words(1, &d_arena);
	uint32_t *withdraw = host_words(MKRT_WITHDRAW_WORDS(SLOTS), &d_withdraw);
	static uint32_t zero[SLOTS];
	check(cu.cuMemAlloc_v2(&d_claims, sizeof(zero)), "cuMemAlloc");
	check(cu.cuMemcpyHtoD_v2(d_claims, zero, sizeof(zero)), "cuMemcpyHtoD");
	if (mkrt_encode_control_into(NULL, (uint8_t *)ctl, CTL_WORDS * 4)) {
		fprintf(stderr, "cuda_ping: control: %s\n", mkrt_last_detail());
		return 1;
	}
	uint32_t slots = SLOTS, ctl_words = CTL_WORDS, dbg_words = 1 + 4 * 16, dfa_words = MKRT_DFA_COLUMNS;
	uint32_t epoch = 0, resources = 0, frame_count = 0, frame_words = 0;
	void *params[] = { &d_ring, &slots, &d_ctl, &ctl_words, &d_dbg, &dbg_words, &d_dfa, &dfa_words,
			   &epoch, &d_io, &d_res, &resources, &d_frames, &frame_count, &d_arena, &frame_words,
			   &d_withdraw, &d_claims };
	check(cu.cuLaunchKernel(fn, 1, 1, 1, lanes, 1, 1, 0, stream, params, NULL), "cuLaunchKernel");

	double *lat = malloc(sizeof(double) * count);
	struct trace *tr = calloc(count, sizeof(*tr));
	uint32_t *how = calloc(count, sizeof(*how)), done_before = 0;
	struct mkrt_slot nop = { .opcode = MKRT_OP_NOP };
	for (unsigned i = 0; i < count + 100; i++) {
		uint32_t s = i % SLOTS, *w = &ring[s * MKRT_SLOT_WORDS];
		uint64_t a = mkrt__now_ns();
		if (mkrt_publish(ring, SLOTS * MKRT_SLOT_WORDS, s, &nop, 0)) {
			fprintf(stderr, "cuda_ping: publish: %s\n", mkrt_last_detail());
			return 1;
		}
		ring_doorbell(withdraw, i + 1, s);
		if (flush) /* the lane's reads then find the lines in memory, not in our cache */
			flush_lines(w, &withdraw[MKRT_DOORBELL(SLOTS)]);
		while (mkrt_load_acquire(&w[MKRT_SLOT_STATUS]) != MKRT_STATUS_DONE)
			if (mkrt__now_ns() - a > WATCHDOG) {
				fprintf(stderr, "cuda_ping: slot %u not DONE after 5 s (status %u): the "
					"kernel does not see host stores\n", s, mkrt_load_acquire(&w[0]));
				return 1;
			}
		uint64_t b = mkrt__now_ns();
		if (i >= 100) { /* after 100 to warm up */
			unsigned k = i - 100;
			lat[k] = (double)(b - a);
			tr[k] = (struct trace){ (double)(uint32_t)(w[11] - done_before), w[12], w[13] };
			how[k] = w[14];
		}
		done_before = w[15];
	}
	report("round trip (resident)", lat, count);
	if (traced)
		report_trace(tr, how, count);
	printf("DONE_COUNT %u (want %u)\n", mkrt_load_acquire(&ctl[MKRT_CTL_DONE_COUNT]), count + 100);
	mkrt_store_release(&ctl[MKRT_CTL_SHUTDOWN], 1);
	uint64_t a = mkrt__now_ns();
	CUresult rc;
	while ((rc = cu.cuStreamQuery(stream)) == CUDA_ERROR_NOT_READY)
		if (mkrt__now_ns() - a > WATCHDOG) {
			fprintf(stderr, "cuda_ping: the kernel did not return within 5 s of SHUTDOWN\n");
			return 1;
		}
	check(rc, "the megakernel");
	/* the baseline: one launch per request, the same kernel returning at once */
	unsigned launches = count < 2000 ? count : 2000;
	for (unsigned i = 0; i < launches + 50; i++) {
		a = mkrt__now_ns();
		check(cu.cuLaunchKernel(fn, 1, 1, 1, lanes, 1, 1, 0, stream, params, NULL), "cuLaunchKernel");
		check(cu.cuStreamSynchronize(stream), "cuStreamSynchronize");
		if (i >= 50)
			lat[i - 50] = (double)(mkrt__now_ns() - a);
	}
	report("launch + synchronize", lat, launches);
	check(cu.cuStreamDestroy_v2(stream), "cuStreamDestroy");
	check(cu.cuModuleUnload(mod), "cuModuleUnload");
	cu.cuDevicePrimaryCtxRelease_v2(dev);
	mkrt__cuda_close(&cu);
	free(lat);
	free(tr);
	free(how);
	free(ptx);
	return 0;
}
