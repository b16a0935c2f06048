/* SPDX-License-Identifier: MIT */
/*
 * bench.c - `mkrt bench [--backend NAME] [--lanes N|N,N,...] [--work-us N] [--json]`: every
 * figure measured side by side in one run, so ratios hold on a noisy
 * machine; a list of lane counts measures each in turn and prints one table
 * with each figure beside the first row's.
 *
 *  floor   two host threads ping-pong one 64-byte slot (acquire/release);
 *          on a backend with a kernel of its own to ping (cuda), that kernel
 *          answering the host through the ring's memory (mkrt_runtime_measure)
 *  rtt     one slot through the ring: raw (mkrt_publish + poll STATUS) and
 *          through the submission API; NOP and LOAD_MISS hit
 *  launch  one kernel launch per request (clEnqueueNDRangeKernel + clFinish),
 *          and through the backend's own driver where it has one (cuda:
 *          cuLaunchKernel + cuStreamSynchronize)
 *  stream  slots/s with the ring kept full through the submission API, through
 *          mkrt_publish alone (raw), and two host threads streaming
 *  miss    LOAD_MISS of a 4 KiB record from the page cache, next to pread
 *  idle    CPU used by an idle runtime over 1 s, parked and spinning, and the
 *          first round trip after a park (the median of 5 parks)
 * Latencies are timed one request at a time; p50 of several thousand.
 */
#include "cli.h"

#define CL_TARGET_OPENCL_VERSION 300
#include <CL/cl.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define SAMPLES 20000u
#define STREAM_SLOTS 2000000u
#define RECORD 4096u
/* Every wait's bound: a watchdog against a hang, never a judgement of speed
 * (a loaded machine may take seconds a slot; the figures then say so). */
#define WAIT_MS 60000u

struct figures {
	uint32_t lanes;              /* asked for (0: the backend's default) */
	uint64_t lanes_run;          /* what the runtime runs (mkrt_stats.lanes) */
	double floor_p50, rtt_p50, rtt_p99, rtt_api_p50, hit_p50, hit_p99, launch_p50;
	double launch_drv_p50;       /* the backend's own launch (cuda), or -1 */
	bool gpu_floor;              /* floor_p50 is the backend's ping kernel's */
	double stream, stream_raw, stream_batched, stream_floor, miss_p50, pread_p50, idle_parked, idle_spinning, wake_us;
	double stream_work;          /* --work-us: slots/s of slots that take work_us each */
	uint32_t work_iters;         /* the work opcode's iterations for work_us, as calibrated */
	char device[MKRT_NAME_LEN], backend[16];
	double q[5][CLI_QUANTILES];  /* distributions, us: enum series (--plot) */
};

/* The latency distributions a bench keeps (--plot). */
enum series { S_FLOOR, S_RTT, S_HIT, S_MISS, S_LAUNCH, S_COUNT };

static void keep(struct figures *f, enum series s, double *lat, uint32_t n)
{
	cli_quantiles(lat, n, 1000.0, f->q[s]);
}

/* A percentile of nanosecond samples, in microseconds. */
static double pct(double *v, uint32_t n, uint32_t p)
{
	return cli_percentile(v, n, p) / 1000.0;
}

/* ---- the physical floor: two threads, one slot --------------------------------- */

struct pingpong {
	_Alignas(64) _Atomic uint32_t status;
	_Atomic uint32_t stop;
};

static void *pong(void *arg)
{
	struct pingpong *p = arg;
	while (!atomic_load_explicit(&p->stop, memory_order_relaxed)) {
		if (atomic_load_explicit(&p->status, memory_order_acquire) == MKRT_STATUS_PUBLISHED)
			atomic_store_explicit(&p->status, MKRT_STATUS_DONE, memory_order_release);
	}
	return NULL;
}

static double floor_p50(double *lat)
{
	static struct pingpong p;
	pthread_t t;

	atomic_store(&p.status, MKRT_STATUS_EMPTY);
	atomic_store(&p.stop, 0);
	pthread_create(&t, NULL, pong, &p);
	for (uint32_t i = 0; i < SAMPLES; i++) {
		double t0 = cli_now_ns();
		atomic_store_explicit(&p.status, MKRT_STATUS_PUBLISHED, memory_order_release);
		while (atomic_load_explicit(&p.status, memory_order_acquire) != MKRT_STATUS_DONE)
			;
		lat[i] = cli_now_ns() - t0;
	}
	atomic_store(&p.stop, 1);
	pthread_join(t, NULL);
	return pct(lat, SAMPLES, 50);
}

/* The streaming floor: a producer and a consumer thread running the ring's
 * protocol over 256 slots: the producer writes a slot's 16 words and
 * release-publishes it; the consumer acquires it, claims it by CAS, reads the
 * payload, release-stores DONE and adds to a done counter; the producer
 * reuses a slot once it sees DONE. */
struct stream_ring {
	_Alignas(64) _Atomic uint32_t w[256 * 16];
	_Alignas(64) _Atomic uint32_t done;
	_Atomic uint32_t stop;
};

static void *stream_consumer(void *arg)
{
	struct stream_ring *r = arg;
	uint32_t sink = 0;
	for (uint32_t i = 0; !atomic_load_explicit(&r->stop, memory_order_relaxed);) {
		_Atomic uint32_t *slot = &r->w[(i % 256) * 16];
		uint32_t st = MKRT_STATUS_PUBLISHED;
		if (atomic_load_explicit(&slot[0], memory_order_acquire) != MKRT_STATUS_PUBLISHED ||
		    !atomic_compare_exchange_strong_explicit(&slot[0], &st, MKRT_STATUS_CLAIMED,
							     memory_order_acq_rel, memory_order_acquire))
			continue;
		for (uint32_t k = 1; k < 16; k++)
			sink += atomic_load_explicit(&slot[k], memory_order_relaxed);
		atomic_store_explicit(&slot[0], MKRT_STATUS_DONE, memory_order_release);
		atomic_fetch_add_explicit(&r->done, 1, memory_order_release);
		i++;
	}
	return (void *)(uintptr_t)sink;
}

static double stream_floor(void)
{
	static struct stream_ring r;
	pthread_t t;

	memset(&r, 0, sizeof(r));
	pthread_create(&t, NULL, stream_consumer, &r);
	double t0 = cli_now_ns();
	for (uint32_t i = 0; i < STREAM_SLOTS; i++) {
		_Atomic uint32_t *slot = &r.w[(i % 256) * 16];
		while (i >= 256 && atomic_load_explicit(&slot[0], memory_order_acquire) != MKRT_STATUS_DONE)
			;
		for (uint32_t k = 1; k < 16; k++)
			atomic_store_explicit(&slot[k], i + k, memory_order_relaxed);
		atomic_store_explicit(&slot[0], MKRT_STATUS_PUBLISHED, memory_order_release);
	}
	while (atomic_load_explicit(&r.done, memory_order_acquire) != STREAM_SLOTS)
		;
	double secs = (cli_now_ns() - t0) / 1e9;
	atomic_store(&r.stop, 1);
	pthread_join(t, NULL);
	return STREAM_SLOTS / secs;
}

/* ---- the runtime ------------------------------------------------------------------- */

/* --work-us: a user opcode that takes ARG0 iterations of an LCG (seeded
 * and answered in ARG1, so no compiler drops it), on the device and in C
 * for the host backend; calibrated to work_us per slot on each runtime. */
#define WORK_OPCODE 0x100u
static uint32_t bench_work_us;
static const char work_cl[] =
	"uint mkrt_bench_work(uint op, __private uint *args, const struct mkrt_ctx *ctx)\n"
	"{\n"
	"\tuint x = args[1];\n"
	"\tfor (uint i = 0; i < args[0]; i++)\n"
	"\t\tx = x * 1664525u + 1013904223u;\n"
	"\targs[1] = x;\n"
	"\treturn 0;\n"
	"}\n";
static const struct mkrt_cl_handler work_cl_handler = { WORK_OPCODE, "mkrt_bench_work" };

static uint32_t work_c(void *user, uint32_t opcode, uint32_t args[MKRT_SLOT_ARGS], struct mkrt_ctx *ctx)
{
	uint32_t x = args[1];

	(void)user;
	(void)opcode;
	(void)ctx;
	for (uint32_t i = 0; i < args[0]; i++)
		x = x * 1664525u + 1013904223u;
	args[1] = x;
	return 0;
}
static const struct mkrt_handler work_handler = { WORK_OPCODE, work_c, NULL };

static uint32_t bench_lanes; /* --lanes: 0 is the backend's default */
static uint32_t bench_slots; /* --slots: 0 is the default ring */

/* A runtime for one measurement, in *@rt; mkrt_runtime_open's error. */
static int open_rt(const char *backend, uint32_t park_us, const struct mkrt_io_config *io,
		   struct mkrt_runtime **rt)
{
	struct mkrt_config cfg;

	mkrt_config_init(&cfg);
	cfg.lanes = bench_lanes;
	cfg.slots = bench_slots;
	cfg.backend = backend;
	cfg.park_us = park_us;
	cfg.io = io;
	if (bench_work_us) {
		cfg.handlers = &work_handler;
		cfg.handler_count = 1;
		cfg.cl_source = work_cl;
		cfg.cl_handlers = &work_cl_handler;
		cfg.cl_handler_count = 1;
	}
	return mkrt_runtime_open(&cfg, rt);
}

static int api_rtt(struct mkrt_runtime *rt, const struct mkrt_slot *req, double *lat, double *p50,
		   double *p99);

/* Raw single-slot round trips on slot 0: publish, poll STATUS. A backend
 * whose ring the host cannot address (copy) is timed through the API. */
static int raw_rtt(struct mkrt_runtime *rt, const struct mkrt_slot *req, double *lat, double *p50,
		   double *p99)
{
	uint32_t *ring;
	size_t n;
	int err = mkrt_runtime_ring(rt, &ring, &n);
	if (err == MKRT_EUNAVAILABLE)
		return api_rtt(rt, req, lat, p50, p99);
	if (err)
		return err;
	for (uint32_t i = 0; i < SAMPLES; i++) {
		double t0 = cli_now_ns();
		if ((err = mkrt_publish(ring, n, 0, req, MKRT_SLOT_ARGS)))
			return err;
		while (mkrt_load_acquire(&ring[0]) != MKRT_STATUS_DONE)
			;
		lat[i] = cli_now_ns() - t0;
	}
	*p99 = pct(lat, SAMPLES, 99);
	*p50 = pct(lat, SAMPLES, 50);
	return 0;
}

static int api_rtt(struct mkrt_runtime *rt, const struct mkrt_slot *req, double *lat, double *p50,
		   double *p99)
{
	for (uint32_t i = 0; i < SAMPLES; i++) {
		struct mkrt_ticket t;
		double t0 = cli_now_ns();
		int err = mkrt_submit(rt, req, WAIT_MS, &t);
		err = err ? err : mkrt_wait(rt, t, WAIT_MS, NULL);
		if (err)
			return err;
		lat[i] = cli_now_ns() - t0;
	}
	*p50 = pct(lat, SAMPLES, 50);
	if (p99)
		*p99 = pct(lat, SAMPLES, 99);
	return 0;
}

/* Slots per stream: fewer where each look at the ring is a transfer (copy). */
static uint32_t stream_n(struct mkrt_runtime *rt)
{
	uint32_t *ring;
	size_t n;

	return mkrt_runtime_ring(rt, &ring, &n) == 0 ? STREAM_SLOTS / 4 : 20000u;
}

/* The ring kept full of @req through the submission API: submit i,
 * collect i - window. */
static int stream(struct mkrt_runtime *rt, const struct mkrt_slot *req, uint32_t n, double *rate)
{
	enum { MAX_WINDOW = 192 };
	static struct mkrt_ticket t[MAX_WINDOW];
	uint32_t slots = mkrt_runtime_slot_count(rt);
	const uint32_t WINDOW = slots * 3 / 4 < MAX_WINDOW ? slots * 3 / 4 : MAX_WINDOW;
	double t0 = cli_now_ns();

	for (uint32_t i = 0; i < n + WINDOW; i++) {
		int err = i >= WINDOW ? mkrt_wait(rt, t[i % WINDOW], WAIT_MS, NULL) : 0;
		if (!err && i < n)
			err = mkrt_submit(rt, req, WAIT_MS, &t[i % WINDOW]);
		if (err)
			return err;
	}
	*rate = n / ((cli_now_ns() - t0) / 1e9);
	return 0;
}

/* --work-us: the iterations that take work_us on one lane, from a stream
 * (the ring kept full, so the host's scheduling is spread over many slots)
 * grown until it takes 50 ms; the same for every row of a sweep. */
static int work_calibrate(const char *backend, uint32_t *iters_out)
{
	struct mkrt_runtime *rt;
	uint32_t lanes = bench_lanes, iters = 1u << 10;
	double rate = 0, nop_rate = 0;
	int err;

	bench_lanes = 1;
	err = open_rt(backend, MKRT_PARK_NEVER, NULL, &rt);
	bench_lanes = lanes;
	if (err)
		return err;
	struct mkrt_slot nop = { .opcode = MKRT_OP_NOP };
	err = stream(rt, &nop, 2000, &nop_rate);
	while (!err && iters < (1u << 30)) {
		struct mkrt_slot req = { .opcode = WORK_OPCODE, .args = { iters, 1 } };
		err = stream(rt, &req, 200, &rate);
		if (err || 200 / rate >= 0.05)
			break;
		iters *= 4;
	}
	mkrt_runtime_close(rt);
	if (err)
		return err;
	double slot_us = 1e6 / rate - 1e6 / nop_rate; /* the work alone */
	*iters_out = (uint32_t)(iters / (slot_us > 0.001 ? slot_us : 0.001) * bench_work_us + 0.5);
	return 0;
}

static uint32_t bench_work_iters; /* set by work_calibrate() */

/* Stream slots of work_us each on @rt. */
static int work(struct mkrt_runtime *rt, struct figures *f)
{
	if (!bench_work_us)
		return 0;
	f->work_iters = bench_work_iters;
	struct mkrt_slot req = { .opcode = WORK_OPCODE, .args = { f->work_iters, 1 } };
	uint32_t n = (uint32_t)(2e5 / bench_work_us); /* about 0.2 s of one lane's work */
	return stream(rt, &req, n < 200 ? 200 : n > 20000 ? 20000 : n, &f->stream_work);
}

/* The ring kept full through mkrt_submit_many(), BATCH requests per call:
 * submit a batch, collect the oldest once the window is full. */
static int stream_batched(struct mkrt_runtime *rt, uint32_t total, double *rate)
{
	enum { MAX_WINDOW = 192, BATCH = 32 };
	static struct mkrt_ticket t[MAX_WINDOW];
	static struct mkrt_slot reqs[BATCH];
	uint32_t slots = mkrt_runtime_slot_count(rt);
	const uint32_t window = slots * 3 / 4 < MAX_WINDOW ? slots * 3 / 4 : MAX_WINDOW;
	const uint32_t batch = BATCH < window ? BATCH : window; /* a small ring: its window */
	uint32_t submitted = 0, collected = 0;
	double t0 = cli_now_ns();

	for (uint32_t i = 0; i < BATCH; i++)
		reqs[i] = (struct mkrt_slot){ .opcode = MKRT_OP_NOP };
	while (collected < total) {
		uint32_t room = window - (submitted - collected), want = total - submitted;
		want = want < room ? want : room;
		want = want < batch ? want : batch;
		/* submit into a ring of tickets: never past its end in one call */
		uint32_t at = submitted % window;
		want = want < window - at ? want : window - at;
		if (want && (room >= batch || submitted + want == total)) {
			int got = mkrt_submit_many(rt, reqs, want, WAIT_MS, &t[at]);
			if (got < 0)
				return got;
			submitted += (uint32_t)got;
			continue;
		}
		int err = mkrt_wait(rt, t[collected % window], WAIT_MS, NULL);
		if (err)
			return err;
		collected++;
	}
	*rate = total / ((cli_now_ns() - t0) / 1e9);
	return 0;
}

/* The ring kept full without the submission API: mkrt_publish into
 * consecutive slots, each reused once it reads DONE. What the lanes sustain
 * when the host side costs next to nothing. */
static int stream_raw(struct mkrt_runtime *rt, double *rate)
{
	struct mkrt_slot nop = { .opcode = MKRT_OP_NOP };
	uint32_t *ring, slots = mkrt_runtime_slot_count(rt);
	size_t n;
	int err = mkrt_runtime_ring(rt, &ring, &n);
	double t0 = cli_now_ns();

	if (err == MKRT_EUNAVAILABLE) {
		*rate = -1; /* no raw ring (copy, cuda) */
		return 0;
	}
	for (uint32_t i = 0; i < STREAM_SLOTS + slots && !err; i++) {
		uint32_t s = i % slots;
		const uint32_t *status = &ring[s * MKRT_SLOT_WORDS];
		if (i >= slots) {
			double spin0 = 0;
			while (mkrt_load_acquire(status) != MKRT_STATUS_DONE) {
				if (!spin0)
					spin0 = cli_now_ns();
				else if (cli_now_ns() - spin0 > WAIT_MS * 1e6)
					return MKRT_ETIMEDOUT;
			}
		}
		if (i < STREAM_SLOTS)
			err = mkrt_publish(ring, n, s, &nop, MKRT_SLOT_ARGS);
	}
	*rate = STREAM_SLOTS / ((cli_now_ns() - t0) / 1e9);
	return err;
}

/* ---- the launch-per-request baseline -------------------------------------------------- */

static double launch_p50(const char *device, double *lat)
{
	static const char *src = "__kernel void k(__global uint *p) { p[0] += 1; }";
	cl_platform_id plats[8];
	cl_device_id dev = NULL;
	cl_uint np = 0;
	char name[256];

	clGetPlatformIDs(8, plats, &np);
	for (cl_uint p = 0; p < np && !dev; p++) {
		cl_device_id ids[16];
		cl_uint nd = 0;
		clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, 16, ids, &nd);
		for (cl_uint i = 0; i < nd && !dev; i++)
			if (clGetDeviceInfo(ids[i], CL_DEVICE_NAME, sizeof(name), name, NULL) == CL_SUCCESS &&
			    strcmp(name, device) == 0)
				dev = ids[i];
	}
	if (!dev)
		return -1;
	cl_int rc;
	cl_context ctx = clCreateContext(NULL, 1, &dev, NULL, NULL, &rc);
	cl_command_queue q = clCreateCommandQueueWithProperties(ctx, dev, NULL, &rc);
	cl_program prog = clCreateProgramWithSource(ctx, 1, &src, NULL, &rc);
	clBuildProgram(prog, 1, &dev, NULL, NULL, NULL);
	cl_kernel k = clCreateKernel(prog, "k", &rc);
	cl_mem buf = clCreateBuffer(ctx, CL_MEM_READ_WRITE, 64, NULL, &rc);
	clSetKernelArg(k, 0, sizeof(buf), &buf);
	size_t one = 1;
	uint32_t n = 2000;
	for (uint32_t i = 0; i < n + 50; i++) { /* the first 50 warm up (PoCL builds lazily) */
		double t0 = cli_now_ns();
		clEnqueueNDRangeKernel(q, k, 1, NULL, &one, &one, 0, NULL, NULL);
		clFinish(q);
		if (i >= 50)
			lat[i - 50] = cli_now_ns() - t0;
	}
	clReleaseMemObject(buf);
	clReleaseKernel(k);
	clReleaseProgram(prog);
	clReleaseCommandQueue(q);
	clReleaseContext(ctx);
	return pct(lat, n, 50);
}

/* ---- load misses next to pread ---------------------------------------------------- */

static int make_file(char *path, uint32_t records)
{
	static uint8_t rec[RECORD];
	int fd = cli_temp_create("bench", path, 256);
	for (uint32_t r = 0; fd >= 0 && r < records; r++) {
		memset(rec, (int)r, sizeof(rec));
		if (write(fd, rec, RECORD) != (ssize_t)RECORD) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

static int miss_vs_pread(const char *backend, struct figures *f, double *lat)
{
	char path[256];
	const uint32_t records = 2048, n = 4000;
	static uint8_t buf[RECORD];
	int fd = make_file(path, records);
	bool read_ok = fd >= 0;
	for (uint32_t i = 0; read_ok && i < records; i++) /* into the page cache */
		read_ok = pread(fd, buf, RECORD, (off_t)i * RECORD) == (ssize_t)RECORD;
	for (uint32_t i = 0; read_ok && i < n; i++) {
		double t0 = cli_now_ns();
		read_ok = pread(fd, buf, RECORD, (off_t)(i % records) * RECORD) == (ssize_t)RECORD;
		lat[i] = cli_now_ns() - t0;
	}
	if (!read_ok) {
		fprintf(stderr, "mkrt bench: cannot write and read back %s\n", path);
		if (fd >= 0)
			close(fd);
		cli_temp_remove(path);
		return MKRT_EINVAL;
	}
	f->pread_p50 = pct(lat, n, 50);
	close(fd);

	/* 8 frames, ids walking all 2048: every request is a miss */
	struct mkrt_io_config io = { .resources = records, .frames = 8, .frame_bytes = RECORD, .path = path };
	struct mkrt_runtime *rt;
	int err = open_rt(backend, MKRT_PARK_NEVER, &io, &rt);
	for (uint32_t i = 0; i < n && !err; i++) {
		struct mkrt_slot req = { .opcode = MKRT_OP_LOAD_MISS, .args = { (i * 17u) % records } }, res;
		struct mkrt_ticket t;
		double t0 = cli_now_ns();
		err = mkrt_submit(rt, &req, WAIT_MS, &t);
		err = err ? err : mkrt_wait(rt, t, WAIT_MS, &res);
		lat[i] = cli_now_ns() - t0;
		if (!err && res.args[MKRT_LM_OUTCOME] != MKRT_LM_MISS)
			err = MKRT_EINVAL;
	}
	if (!err) {
		f->miss_p50 = pct(lat, n, 50);
		keep(f, S_MISS, lat, n);
	}
	/* hits: one resident resource, over and over, raw */
	struct mkrt_slot hit = { .opcode = MKRT_OP_LOAD_MISS, .args = { 5 } };
	if (!err)
		err = raw_rtt(rt, &hit, lat, &f->hit_p50, &f->hit_p99);
	if (!err)
		keep(f, S_HIT, lat, SAMPLES);
	mkrt_runtime_close(rt);
	cli_temp_remove(path);
	return err;
}

/* ---- idle ----------------------------------------------------------------------------- */

static double cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

/* Wait until @rt has parked more than @parks times: a GPU behind transfers
 * takes tens of ms, so at most 2 s. */
static void await_park(struct mkrt_runtime *rt, uint64_t parks)
{
	struct mkrt_stats st = { 0 };

	for (int i = 0; i < 2000 && st.parks <= parks; i++) {
		usleep(1000);
		mkrt_runtime_stats(rt, &st);
	}
}

#define WAKES 5 /* first round trips after a park, for their median */

/* CPU of an idle runtime in % of a core, into *@core_pct; with @wake_us, the
 * median first round trip after a park (the first after a quiet second, then
 * after short parks). */
static int idle(const char *backend, uint32_t park_us, double *core_pct, double *wake_us)
{
	struct mkrt_runtime *rt;
	struct mkrt_slot nop = { .opcode = MKRT_OP_NOP };
	struct mkrt_ticket t;
	double wake[WAKES];
	int err = open_rt(backend, park_us, NULL, &rt);
	if (err)
		return err;
	err = mkrt_submit(rt, &nop, WAIT_MS, &t);
	err = err ? err : mkrt_wait(rt, t, WAIT_MS, NULL);
	/* let it park, then settle: on the H200 the first second after a copy
	 * park cost 14% of a core, the steady state 1.5% (a driver thread
	 * winding down) */
	if (park_us != MKRT_PARK_NEVER) {
		await_park(rt, 0);
		usleep(500000);
	}
	double c0 = cpu_seconds(), w0 = cli_now_ns();
	usleep(1000000);
	*core_pct = 100.0 * (cpu_seconds() - c0) / ((cli_now_ns() - w0) / 1e9);
	uint64_t parks = 0; /* before the last wake */
	for (uint32_t i = 0; wake_us && !err && i < WAKES; i++) {
		struct mkrt_stats st;
		if (i)
			await_park(rt, parks);
		mkrt_runtime_stats(rt, &st);
		parks = st.parks;
		double t0 = cli_now_ns();
		err = mkrt_submit(rt, &nop, WAIT_MS, &t);
		err = err ? err : mkrt_wait(rt, t, WAIT_MS, NULL);
		wake[i] = cli_now_ns() - t0;
	}
	if (wake_us && !err)
		*wake_us = pct(wake, WAKES, 50);
	mkrt_runtime_close(rt);
	return err;
}

/* ---- report ------------------------------------------------------------------------------ */

static void print(const struct figures *f, bool json)
{
	double rtt_over_floor = f->rtt_p50 / f->floor_p50, launch_over_rtt = f->launch_p50 / f->rtt_p50;
	double stream_over_floor = f->stream / f->stream_floor;
	bool rtt_api = f->stream_raw < 0; /* no raw ring (copy, cuda): raw_rtt() used the API */

	if (json) {
		printf("{\"backend\": \"%s\", \"lanes\": %u, \"lanes_run\": %llu, \"device\": ", f->backend,
		       f->lanes, (unsigned long long)f->lanes_run);
		cli_json_str(stdout, f->device);
		printf(", \"floor\": \"%s\", \"launch_driver_p50_us\": %.3f", f->gpu_floor ? "ping kernel" : "two host threads",
		       f->launch_drv_p50);
		printf(", \"rtt_nop_path\": \"%s\"", rtt_api ? "api" : "raw");
		printf(", \"floor_p50_us\": %.4f, \"rtt_nop_p50_us\": %.4f, \"rtt_nop_p99_us\": %.4f, "
		       "\"rtt_api_p50_us\": %.4f, \"rtt_hit_p50_us\": %.4f, \"rtt_hit_p99_us\": %.4f, "
		       "\"launch_p50_us\": %.3f, \"stream_slots_per_s\": %.0f, \"stream_raw_slots_per_s\": %.0f, "
		       "\"stream_batched_slots_per_s\": %.0f, "
		       "\"stream_floor_slots_per_s\": %.0f, "
		       "\"miss_p50_us\": %.3f, \"pread_4k_p50_us\": %.3f, \"idle_parked_core_pct\": %.2f, "
		       "\"idle_spinning_core_pct\": %.2f, \"first_rtt_after_park_us\": %.2f, "
		       "\"rtt_over_floor\": %.3f, \"launch_over_rtt\": %.1f, \"stream_over_floor\": %.3f, "
		       "\"stream_raw_over_floor\": %.3f, \"hit_over_nop\": %.3f, \"miss_over_pread_plus_nop\": %.3f, "
		       "\"work_us\": %u, \"work_iters\": %u, \"stream_work_slots_per_s\": %.0f",
		       f->floor_p50, f->rtt_p50, f->rtt_p99, f->rtt_api_p50, f->hit_p50, f->hit_p99,
		       f->launch_p50, f->stream, f->stream_raw, f->stream_batched, f->stream_floor, f->miss_p50, f->pread_p50, f->idle_parked,
		       f->idle_spinning, f->wake_us, rtt_over_floor, launch_over_rtt, stream_over_floor,
		       f->stream_raw / f->stream_floor, f->hit_p50 / f->rtt_p50, f->miss_p50 / (f->pread_p50 + f->rtt_p50),
		       bench_work_us, f->work_iters, f->stream_work);
		return; /* the caller closes the object */
	}
	printf("mkrt bench on %s (%s)\n", f->backend, f->device);
	if (f->gpu_floor)
		printf("  floor   ping kernel, same memory p50  %9.3f us\n", f->floor_p50);
	else
		printf("  floor   two-thread ping-pong p50      %9.3f us\n", f->floor_p50);
	printf("  rtt     NOP %s p50 / p99           %9.3f / %.3f us   (%.2fx floor)\n",
	       rtt_api ? "(API)" : "raw  ", f->rtt_p50, f->rtt_p99, rtt_over_floor);
	printf("          NOP submit/wait API p50       %9.3f us\n", f->rtt_api_p50);
	printf("          LOAD_MISS hit p50 / p99       %9.3f / %.3f us   (%.2fx NOP)\n", f->hit_p50,
	       f->hit_p99, f->hit_p50 / f->rtt_p50);
	if (f->launch_p50 > 0)
		printf("  launch  enqueue+finish per request p50 %8.3f us   (%.1fx rtt)\n", f->launch_p50,
		       launch_over_rtt);
	else
		printf("  launch  enqueue+finish per request        n/a (no OpenCL device named %s)\n",
		       f->device);
	if (f->launch_drv_p50 > 0)
		printf("          cuLaunchKernel+sync p50       %9.3f us   (%.1fx rtt)\n", f->launch_drv_p50,
		       f->launch_drv_p50 / f->rtt_p50);
	printf("  stream  ring kept full                %9.2f M slots/s (floor %.2f M/s, %.2fx)\n",
	       f->stream / 1e6, f->stream_floor / 1e6, stream_over_floor);
	printf("          batched (mkrt_submit_many, 32) %8.2f M slots/s\n", f->stream_batched / 1e6);
	if (f->stream_raw > 0)
		printf("          raw (mkrt_publish, no API)    %9.2f M slots/s (%.2fx floor)\n",
		       f->stream_raw / 1e6, f->stream_raw / f->stream_floor);
	else
		printf("          raw (mkrt_publish, no API)          n/a (%s offers no raw ring)\n", f->backend);
	if (bench_work_us)
		printf("          %u us of work per slot         %8.2f M slots/s (%u LCG steps a slot)\n",
		       bench_work_us, f->stream_work / 1e6, f->work_iters);
	printf("  miss    4 KiB LOAD_MISS p50           %9.3f us   (pread %.3f us; %.2fx pread+NOP)\n",
	       f->miss_p50, f->pread_p50, f->miss_p50 / (f->pread_p50 + f->rtt_p50));
	printf("  idle    one core used, parked / spinning %6.2f%% / %.2f%%; first rtt after park %.1f us (p50 of 5)\n",
	       f->idle_parked, f->idle_spinning, f->wake_us);
}

/* Every figure for @backend with bench_lanes lanes, into @f. */
static const char *bench_step = "open"; /* the step measure() is in, for errors */

/* Enter step @name: named in errors, and on a terminal as it starts, so a
 * bench of many seconds is not silent. */
static void bench_at(const char *name)
{
	bench_step = name;
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "mkrt bench: %s (lanes %u)\n", name, bench_lanes);
}

/* Every figure for @backend with bench_lanes lanes, into @f. */
static int measure(const char *backend, struct figures *f, double *lat)
{
	struct mkrt_slot nop = { .opcode = MKRT_OP_NOP };
	struct mkrt_stats st;

	f->lanes = bench_lanes;
	struct mkrt_runtime *rt;
	bench_at("open");
	int err = open_rt(backend, MKRT_PARK_NEVER, NULL, &rt);
	if (err)
		return err;
	snprintf(f->backend, sizeof(f->backend), "%s", mkrt_runtime_backend(rt));
	snprintf(f->device, sizeof(f->device), "%s", mkrt_runtime_device(rt));
	err = mkrt_runtime_stats(rt, &st);
	f->lanes_run = st.lanes;
	bench_at("raw round trips");
	err = err ? err : raw_rtt(rt, &nop, lat, &f->rtt_p50, &f->rtt_p99); /* also the warm-up */
	err = err ? err : raw_rtt(rt, &nop, lat, &f->rtt_p50, &f->rtt_p99);
	if (!err)
		keep(f, S_RTT, lat, SAMPLES);
	f->launch_drv_p50 = -1;
	bench_at("floor");
	if (!err && mkrt_runtime_measure(rt, MKRT_MEASURE_FLOOR, SAMPLES, lat) == 0) {
		f->gpu_floor = true;
		f->floor_p50 = pct(lat, SAMPLES, 50);
		if (mkrt_runtime_measure(rt, MKRT_MEASURE_LAUNCH, 2000, lat) == 0)
			f->launch_drv_p50 = pct(lat, 2000, 50);
	}
	mkrt_runtime_close(rt);
	if (!f->gpu_floor)
		f->floor_p50 = floor_p50(lat);
	keep(f, S_FLOOR, lat, SAMPLES);
	if (err)
		return err;
	bench_at("open");
	err = open_rt(backend, MKRT_PARK_NEVER, NULL, &rt);
	if (err)
		return err;
	bench_at("API round trips");
	err = api_rtt(rt, &nop, lat, &f->rtt_api_p50, NULL);
	bench_at("stream");
	err = err ? err : stream(rt, &nop, stream_n(rt), &f->stream);
	bench_at("work stream");
	err = err ? err : work(rt, f);
	bench_at("raw stream");
	err = err ? err : stream_raw(rt, &f->stream_raw);
	bench_at("batched stream");
	err = err ? err : stream_batched(rt, stream_n(rt), &f->stream_batched);
	mkrt_runtime_close(rt);
	f->stream_floor = stream_floor();
	if (!err)
		bench_at("load misses");
	err = err ? err : miss_vs_pread(f->backend, f, lat);
	f->launch_p50 = strcmp(f->backend, "host") != 0 ? launch_p50(f->device, lat) : -1;
	if (f->launch_p50 > 0)
		keep(f, S_LAUNCH, lat, 2000);
	if (!err)
		bench_at("idle");
	err = err ? err : idle(f->backend, MKRT_PARK_NEVER, &f->idle_spinning, NULL);
	err = err ? err : idle(f->backend, 0, &f->idle_parked, &f->wake_us);
	return err;
}

/* The sweep's table: one row per lane count, each figure beside the
 * one-lane row's (the first) as a ratio. */
static void print_sweep(const struct figures *f, int n)
{
	printf("mkrt bench on %s (%s), lanes swept\n", f[0].backend, f[0].device);
	printf("  lanes (run)   NOP raw p50   API p50   hit p50   stream M/s   batched M/s   miss p50   "
	       "first rtt after park%s\n", bench_work_us ? "   work stream M/s" : "");
	for (int i = 0; i < n; i++) {
		printf("  %5u (%3llu) %9.3f us %7.3f us %7.3f us %8.2f (%4.2fx) %8.2f (%4.2fx) %7.2f us "
		       "%9.1f us",
		       f[i].lanes, (unsigned long long)f[i].lanes_run, f[i].rtt_p50, f[i].rtt_api_p50, f[i].hit_p50,
		       f[i].stream / 1e6, f[i].stream / f[0].stream, f[i].stream_batched / 1e6,
		       f[i].stream_batched / f[0].stream_batched, f[i].miss_p50, f[i].wake_us);
		if (bench_work_us)
			printf("   %8.4f (%4.2fx)", f[i].stream_work / 1e6, f[i].stream_work / f[0].stream_work);
		printf("\n");
	}
	if (bench_work_us)
		printf("  (work: %u us of LCG steps per slot, %u steps, calibrated once on one lane)\n",
		       bench_work_us, bench_work_iters);
	printf("  (ratios against the first row; floor %.3f us, launch p50 %.3f us in the first run)\n",
	       f[0].floor_p50, f[0].launch_p50);
}

/* ---- several runs, and the other formats ------------------------------------------ */

/* The figures a run reports, by name: what --runs takes the median, min and
 * max of, and what --format md|csv prints. */
static const struct {
	const char *name;
	size_t at;
} fields[] = {
	{ "floor_p50_us", offsetof(struct figures, floor_p50) },
	{ "rtt_nop_p50_us", offsetof(struct figures, rtt_p50) },
	{ "rtt_nop_p99_us", offsetof(struct figures, rtt_p99) },
	{ "rtt_api_p50_us", offsetof(struct figures, rtt_api_p50) },
	{ "rtt_hit_p50_us", offsetof(struct figures, hit_p50) },
	{ "rtt_hit_p99_us", offsetof(struct figures, hit_p99) },
	{ "launch_p50_us", offsetof(struct figures, launch_p50) },
	{ "launch_driver_p50_us", offsetof(struct figures, launch_drv_p50) },
	{ "stream_slots_per_s", offsetof(struct figures, stream) },
	{ "stream_batched_slots_per_s", offsetof(struct figures, stream_batched) },
	{ "stream_raw_slots_per_s", offsetof(struct figures, stream_raw) },
	{ "stream_floor_slots_per_s", offsetof(struct figures, stream_floor) },
	{ "miss_p50_us", offsetof(struct figures, miss_p50) },
	{ "pread_4k_p50_us", offsetof(struct figures, pread_p50) },
	{ "idle_parked_core_pct", offsetof(struct figures, idle_parked) },
	{ "idle_spinning_core_pct", offsetof(struct figures, idle_spinning) },
	{ "first_rtt_after_park_us", offsetof(struct figures, wake_us) },
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))
#define MAX_RUNS 100

static double *field(struct figures *f, size_t k)
{
	return (double *)(void *)((char *)f + fields[k].at);
}

static int by_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The median of @n runs @r into @med (every field, and each point of each
 * distribution), their least and greatest into @lo and @hi. */
static void aggregate(struct figures *r, int n, struct figures *med, struct figures *lo, struct figures *hi)
{
	double v[MAX_RUNS];

	*med = *lo = *hi = r[0];
	for (size_t k = 0; k < NFIELDS; k++) {
		for (int i = 0; i < n; i++)
			v[i] = *field(&r[i], k);
		qsort(v, (size_t)n, sizeof(double), by_double);
		*field(med, k) = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
		*field(lo, k) = v[0];
		*field(hi, k) = v[n - 1];
	}
	for (int s = 0; s < S_COUNT; s++)
		for (int q = 0; q < CLI_QUANTILES; q++) {
			for (int i = 0; i < n; i++)
				v[i] = r[i].q[s][q];
			qsort(v, (size_t)n, sizeof(double), by_double);
			med->q[s][q] = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
		}
}

/* --format md: one column per lane count; with several runs, each figure
 * as median (min..max). */
static void print_md(struct figures *med, struct figures *lo, struct figures *hi, int n, int runs)
{
	printf("mkrt bench on %s (%s)%s\n\n| figure |", med[0].backend, med[0].device,
	       runs > 1 ? ", median (min..max) of the runs" : "");
	for (int i = 0; i < n; i++)
		printf(" lanes %u (%llu) |", med[i].lanes, (unsigned long long)med[i].lanes_run);
	printf("\n| --- |");
	for (int i = 0; i < n; i++)
		printf(" ---: |");
	printf("\n");
	for (size_t k = 0; k < NFIELDS; k++) {
		printf("| %s |", fields[k].name);
		for (int i = 0; i < n; i++) {
			printf(" %.4g", *field(&med[i], k));
			if (runs > 1)
				printf(" (%.4g..%.4g)", *field(&lo[i], k), *field(&hi[i], k));
			printf(" |");
		}
		printf("\n");
	}
	printf("\n(%d run%s each; a negative figure was not measured here)\n", runs, runs > 1 ? "s" : "");
}

/* --format csv: a header, then a row per lane count (min and max columns
 * with several runs). */
static void print_csv(struct figures *med, struct figures *lo, struct figures *hi, int n, int runs)
{
	printf("backend,device,lanes,lanes_run,runs");
	for (size_t k = 0; k < NFIELDS; k++)
		printf(runs > 1 ? ",%s,%s_min,%s_max" : ",%s", fields[k].name, fields[k].name, fields[k].name);
	printf("\n");
	for (int i = 0; i < n; i++) {
		printf("%s,\"", med[i].backend);
		for (const char *c = med[i].device; *c; c++)
			printf(*c == '"' ? "\"\"" : "%c", *c);
		printf("\",%u,%llu,%d", med[i].lanes, (unsigned long long)med[i].lanes_run, runs);
		for (size_t k = 0; k < NFIELDS; k++) {
			printf(",%.6g", *field(&med[i], k));
			if (runs > 1)
				printf(",%.6g,%.6g", *field(&lo[i], k), *field(&hi[i], k));
		}
		printf("\n");
	}
}

/* The rest of a row's JSON object (print() left it open): the runs, and
 * with several, each figure's min and max. */
static void print_json_tail(struct figures *lo, struct figures *hi, int runs)
{
	printf(", \"runs\": %d", runs);
	for (int m = 0; runs > 1 && m < 2; m++) {
		printf(", \"%s\": {", m ? "max" : "min");
		for (size_t k = 0; k < NFIELDS; k++)
			printf("%s\"%s\": %.6g", k ? ", " : "", fields[k].name, *field(m ? hi : lo, k));
		printf("}");
	}
	printf("}\n");
}

/* --plot: the distributions of the first row, on one log axis. */
static int plot(const char *path, const struct figures *f, int runs)
{
	static const char *const names[S_COUNT] = { "floor", "NOP round trip", "LOAD_MISS hit",
						    "4 KiB miss", "kernel launch" };
	static const char *const colors[S_COUNT] = { "#cfe8cf", "#9ecae1", "#c6dbef", "#fdd0a2", "#fcbba1" };
	struct cli_series s[S_COUNT];
	char title[256], note[256];

	for (int k = 0; k < S_COUNT; k++) {
		s[k].name = names[k];
		s[k].color = colors[k];
		memcpy(s[k].q, f->q[k], sizeof(s[k].q));
	}
	snprintf(title, sizeof(title), "mkrt bench: %s on %s", f->backend, f->device);
	snprintf(note, sizeof(note), "%llu lane%s; floor: %s; launch: enqueue + finish; %s",
		 (unsigned long long)f->lanes_run, f->lanes_run == 1 ? "" : "s",
		 f->gpu_floor ? "a ping kernel through the same memory" : "two host threads",
		 runs > 1 ? "each point the median of the runs" : "one run");
	return cli_plot_svg(path, title, note, s, S_COUNT);
}

int cli_bench(int argc, char **argv)
{
	const char *backend = NULL, *format = "text", *plot_path = NULL;
	bool json = false;
	uint32_t runs = 1;
	struct figures med[CLI_LIST_MAX], lo[CLI_LIST_MAX], hi[CLI_LIST_MAX];
	struct cli_list lanes = { { 0 }, 1 };
	const struct cli_opt opts[] = {
		{ "--backend", CLI_BACKEND, &backend, "NAME", 0, 0, "$MKRT_BACKEND, else the best probe",
		  "the backend to measure" },
		{ "--lanes", CLI_LIST, &lanes, "N|N,N,...", 0, 64, "0",
		  "lanes (0: the backend's default); a list sweeps them, one row each" },
		{ "--slots", CLI_NUM, &bench_slots, "N", 4, 65536, "256", "ring slots" },
		{ "--work-us", CLI_NUM, &bench_work_us, "N", 1, 100000, "none",
		  "also stream slots of N us of device work (calibrated on one lane)" },
		{ "--runs", CLI_NUM, &runs, "N", 1, MAX_RUNS, "1",
		  "measure N times: every figure the median, with its min and max" },
		{ "--format", CLI_TEXT, &format, "text|md|csv|json", 0, 0, "text",
		  "a report, a Markdown table, CSV rows, or JSON" },
		{ "--json", CLI_FLAG, &json, NULL, 0, 0, NULL, "the same as --format json" },
		{ "--plot", CLI_TEXT, &plot_path, "FILE.svg", 0, 0, "none",
		  "also draw the latency distributions (floor, round trip, hit, miss, launch)" },
	};
	const struct cli_cmd cmd = {
		"bench", NULL, 0,
		"Measure a backend side by side with what bounds it, in one run: the floor (two\n"
		"threads, or a ping kernel on a GPU, through the same memory), the NOP and\n"
		"LOAD_MISS round trips, a kernel launch per request, the stream, a 4 KiB miss\n"
		"against pread, and the idle cost. Ratios are printed beside the figures.",
		opts, CLI_NOPTS(opts), "environment: MKRT_BACKEND, MKRT_DEVICE (index or name substring)",
	};
	int rc = cli_parse(&cmd, argc, argv, NULL, 0, NULL), n = (int)lanes.n;

	if (rc >= 0)
		return rc;
	if (json)
		format = "json";
	if (strcmp(format, "text") && strcmp(format, "md") && strcmp(format, "csv") && strcmp(format, "json")) {
		fprintf(stderr, "mkrt bench: --format takes text, md, csv or json, not '%s'\n"
				"Try 'mkrt bench --help'.\n", format);
		return CLI_USAGE;
	}
	double *lat = malloc(SAMPLES * sizeof(double));
	struct figures *r = calloc(runs, sizeof(*r));
	if (!lat || !r) {
		free(lat);
		free(r);
		return cli_fail("bench", MKRT_ENOMEM);
	}
	int err = bench_work_us ? work_calibrate(backend, &bench_work_iters) : 0;
	for (int k = 0; k < n && !err; k++) {
		bench_lanes = lanes.v[k];
		for (uint32_t i = 0; i < runs && !err; i++)
			err = measure(backend, &r[i], lat);
		if (!err)
			aggregate(r, (int)runs, &med[k], &lo[k], &hi[k]);
	}
	free(lat);
	free(r);
	if (err) {
		char what[64];
		snprintf(what, sizeof(what), "bench (%s)", bench_step);
		return cli_fail(what, err);
	}
	if (!strcmp(format, "md")) {
		print_md(med, lo, hi, n, (int)runs);
	} else if (!strcmp(format, "csv")) {
		print_csv(med, lo, hi, n, (int)runs);
	} else if (n == 1 || !strcmp(format, "json")) {
		bool js = !strcmp(format, "json");
		if (js && n > 1)
			printf("{\"sweep\": [\n");
		for (int k = 0; k < n; k++) {
			if (js && n > 1 && k)
				printf(",\n");
			print(&med[k], js);
			if (js)
				print_json_tail(&lo[k], &hi[k], (int)runs);
		}
		if (js && n > 1)
			printf("]}\n");
		if (!js && runs > 1) {
			printf("  over %u runs, min .. max:\n", runs);
			for (size_t k = 0; k < NFIELDS; k++)
				printf("    %-28s %.4g .. %.4g\n", fields[k].name, *field(&lo[0], k), *field(&hi[0], k));
		}
	} else {
		print_sweep(med, n);
	}
	return plot_path ? plot(plot_path, &med[0], (int)runs) : CLI_OK;
}
