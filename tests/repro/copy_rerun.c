/* SPDX-License-Identifier: MIT */
/*
 * copy_rerun.c - does a resident OpenCL kernel ever run a slot twice when
 * the host feeds it through transfers on a second in-order queue?
 *
 * The copy backend's pattern with nothing of mkrt in it: a ring of 64
 * 16-word slots in an ordinary device buffer; an OpenCL C 1.2 kernel whose
 * lanes scan the ring, claim a PUBLISHED slot with atomic_cmpxchg, count
 * the run of the serial it carries (runs[serial] += 1), and store DONE; the
 * host, on its own in-order queue, writes a slot's payload and then its
 * STATUS without blocking, reads the whole ring back (blocking) to collect,
 * and asks the kernel to return every epoch (a YIELD word) and relaunches
 * it. Every serial is published exactly once, so every runs[] entry must
 * be 1 at the end.
 *
 *   copy_rerun write|fill [SERIALS [EPOCH_MS [ROUNDS]]]  (default 100000 500 5)
 *
 * "write" sends STATUS with clEnqueueWriteBuffer (4 bytes), "fill" with
 * clEnqueueFillBuffer (a 4-byte pattern, once). Prints, per round, the
 * serials that ran more than once, and exits 1 if any did. No mkrt header
 * or library: only OpenCL (link -lOpenCL). What it showed, and why, is in
 * tests/repro/README.md.
 */
#define _GNU_SOURCE
#define CL_TARGET_OPENCL_VERSION 300
#include <CL/cl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { SLOTS = 64, WORDS = 16, LANES = 1, PUBLISHED = 1, CLAIMED = 2, DONE = 3 };

static const char kernel_src[] =
	"__kernel void ring(volatile __global uint *ring, volatile __global uint *ctl,\n"
	"                   volatile __global uint *runs, uint slots)\n"
	"{\n"
	"	uint lanes = get_global_size(0), lane = get_global_id(0);\n"
	"	while (!ctl[0]) {                     /* ctl[0]: YIELD */\n"
	"		for (uint i = 0; i < slots; i++) {\n"
	"			uint s = (lane * slots / lanes + i) % slots;\n"
	"			volatile __global uint *w = &ring[s * 16];\n"
	"			if (w[0] != 1u)\n"
	"				continue;\n"
	"			mem_fence(CLK_GLOBAL_MEM_FENCE);\n"
	"			if (atomic_cmpxchg(&w[0], 1u, 2u) != 1u)\n"
	"				continue;\n"
	"			mem_fence(CLK_GLOBAL_MEM_FENCE);\n"
	"			atomic_inc(&runs[w[1]]);          /* word 1: the serial */\n"
	"			mem_fence(CLK_GLOBAL_MEM_FENCE);\n"
	"			w[0] = 3u;                         /* DONE */\n"
	"			atomic_inc(&ctl[1]);               /* done count */\n"
	"		}\n"
	"	}\n"
	"}\n";

#define CHECK(call)                                                                  \
	do {                                                                         \
		cl_int rc_ = (call);                                                 \
		if (rc_ != CL_SUCCESS) {                                             \
			fprintf(stderr, "%s:%d: %s: %d\n", __FILE__, __LINE__, #call, rc_); \
			exit(2);                                                     \
		}                                                                    \
	} while (0)

struct rig {
	cl_context ctx;
	cl_command_queue kq, hq;  /* the kernel's queue; the host's transfers (in order) */
	cl_kernel kernel;
	cl_mem ring, ctl, runs;
	cl_event running;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void write_words(struct rig *r, cl_mem b, size_t first, size_t n, const void *src, cl_bool block)
{
	CHECK(clEnqueueWriteBuffer(r->hq, b, block, first * 4, n * 4, src, 0, NULL, NULL));
}

/* STATUS = PUBLISHED for @slot, the way the command line asked */
static void publish_status(struct rig *r, cl_uint slot, int fill)
{
	static const uint32_t published = PUBLISHED;

	if (fill)
		CHECK(clEnqueueFillBuffer(r->hq, r->ring, &published, 4, (size_t)slot * WORDS * 4, 4, 0, NULL,
					  NULL));
	else
		write_words(r, r->ring, (size_t)slot * WORDS, 1, &published, CL_FALSE);
}

static void launch(struct rig *r)
{
	static const cl_uint zero = 0;
	size_t global = LANES, local = 1;

	write_words(r, r->ctl, 0, 1, &zero, CL_TRUE);
	CHECK(clEnqueueNDRangeKernel(r->kq, r->kernel, 1, NULL, &global, &local, 0, NULL, &r->running));
	CHECK(clFlush(r->kq));
}

static void yield_and_wait(struct rig *r)
{
	static const cl_uint one = 1;

	write_words(r, r->ctl, 0, 1, &one, CL_TRUE);
	CHECK(clWaitForEvents(1, &r->running));
	CHECK(clReleaseEvent(r->running));
}

static void setup(struct rig *r, cl_uint serials)
{
	cl_platform_id platform;
	cl_device_id dev;
	cl_int rc;

	CHECK(clGetPlatformIDs(1, &platform, NULL));
	CHECK(clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 1, &dev, NULL));
	r->ctx = clCreateContext(NULL, 1, &dev, NULL, NULL, &rc);
	CHECK(rc);
	r->kq = clCreateCommandQueueWithProperties(r->ctx, dev, NULL, &rc);
	CHECK(rc);
	r->hq = clCreateCommandQueueWithProperties(r->ctx, dev, NULL, &rc);
	CHECK(rc);
	const char *src = kernel_src;
	cl_program prog = clCreateProgramWithSource(r->ctx, 1, &src, NULL, &rc);
	CHECK(rc);
	CHECK(clBuildProgram(prog, 1, &dev, "-cl-std=CL1.2", NULL, NULL));
	r->kernel = clCreateKernel(prog, "ring", &rc);
	CHECK(rc);
	clReleaseProgram(prog);
	uint32_t *zeros = calloc(serials > SLOTS * WORDS ? serials : SLOTS * WORDS, 4);
	r->ring = clCreateBuffer(r->ctx, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, SLOTS * WORDS * 4, zeros, &rc);
	CHECK(rc);
	r->ctl = clCreateBuffer(r->ctx, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, 2 * 4, zeros, &rc);
	CHECK(rc);
	r->runs = clCreateBuffer(r->ctx, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, (size_t)serials * 4, zeros, &rc);
	CHECK(rc);
	free(zeros);
	cl_uint slots = SLOTS;
	CHECK(clSetKernelArg(r->kernel, 0, sizeof(cl_mem), &r->ring));
	CHECK(clSetKernelArg(r->kernel, 1, sizeof(cl_mem), &r->ctl));
	CHECK(clSetKernelArg(r->kernel, 2, sizeof(cl_mem), &r->runs));
	CHECK(clSetKernelArg(r->kernel, 3, sizeof(slots), &slots));
	printf("device: ");
	char name[256];
	CHECK(clGetDeviceInfo(dev, CL_DEVICE_NAME, sizeof(name), name, NULL));
	printf("%s\n", name);
}

/*
 * One round: publish serials 0..n-1 in waves of 1-64 slots, each wave
 * collected before the next; the kernel relaunched every @epoch_ms.
 * Returns how many serials ran more than once.
 */
static unsigned round_trip(struct rig *r, cl_uint n, unsigned epoch_ms, unsigned seed, int fill)
{
	static uint32_t stage[SLOTS * WORDS], view[SLOTS * WORDS];
	uint32_t *runs = calloc(n, 4);
	uint64_t x = seed;
	double epoch_end = now_s() + epoch_ms / 1e3;
	unsigned launches = 1, twice = 0;

	write_words(r, r->runs, 0, n, runs, CL_TRUE);
	launch(r);
	for (cl_uint next = 0; next < n;) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		cl_uint wave = 1 + (cl_uint)(x >> 33) % SLOTS;
		if (wave > n - next)
			wave = n - next;
		for (cl_uint s = 0; s < wave; s++) { /* payload, then STATUS */
			stage[s * WORDS + 1] = next + s;
			write_words(r, r->ring, s * WORDS + 1, WORDS - 1, &stage[s * WORDS + 1], CL_FALSE);
			publish_status(r, s, fill);
		}
		CHECK(clFlush(r->hq));
		for (;;) { /* collect: every slot of the wave DONE */
			CHECK(clEnqueueReadBuffer(r->hq, r->ring, CL_TRUE, 0, sizeof(view), view, 0, NULL, NULL));
			cl_uint done = 0;
			for (cl_uint s = 0; s < wave; s++)
				done += view[s * WORDS] == DONE;
			if (done == wave)
				break;
			if (now_s() >= epoch_end) {
				yield_and_wait(r);
				launch(r);
				launches++;
				epoch_end = now_s() + epoch_ms / 1e3;
			}
		}
		next += wave;
	}
	yield_and_wait(r);
	CHECK(clEnqueueReadBuffer(r->hq, r->runs, CL_TRUE, 0, (size_t)n * 4, runs, 0, NULL, NULL));
	cl_uint ctl[2];
	CHECK(clEnqueueReadBuffer(r->hq, r->ctl, CL_TRUE, 0, sizeof(ctl), ctl, 0, NULL, NULL));
	for (cl_uint i = 0; i < n; i++) {
		if (runs[i] > 1) {
			printf("  serial %u ran %u times\n", i, runs[i]);
			twice++;
		} else if (runs[i] == 0) {
			printf("  serial %u never ran\n", i);
		}
	}
	printf("round %u: %u serials, %u launches, done count %u, %u ran more than once\n", seed, n, launches,
	       ctl[1], twice);
	/* the ring and the done count start over */
	memset(view, 0, sizeof(view));
	write_words(r, r->ring, 0, SLOTS * WORDS, view, CL_TRUE);
	write_words(r, r->ctl, 0, 2, view, CL_TRUE);
	free(runs);
	return twice;
}

int main(int argc, char **argv)
{
	if (argc < 2 || (strcmp(argv[1], "write") && strcmp(argv[1], "fill"))) {
		fprintf(stderr, "usage: copy_rerun write|fill [SERIALS [EPOCH_MS [ROUNDS]]]\n");
		return 2;
	}
	int fill = strcmp(argv[1], "fill") == 0;
	cl_uint n = argc > 2 ? (cl_uint)strtoul(argv[2], NULL, 10) : 100000;
	unsigned epoch_ms = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 500;
	unsigned rounds = argc > 4 ? (unsigned)strtoul(argv[4], NULL, 10) : 5, bad = 0;
	struct rig r;

	if (n == 0 || n > (1u << 28) || rounds == 0) {
		fprintf(stderr, "copy_rerun: SERIALS 1..2^28, ROUNDS >= 1\n");
		return 2;
	}
	setup(&r, n);
	printf("STATUS by %s\n", fill ? "clEnqueueFillBuffer" : "clEnqueueWriteBuffer");
	for (unsigned k = 1; k <= rounds; k++)
		bad += round_trip(&r, n, epoch_ms, k, fill) != 0;
	printf("%u of %u rounds ran a serial more than once\n", bad, rounds);
	return bad ? 1 : 0;
}
