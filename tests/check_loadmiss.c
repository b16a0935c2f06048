/* SPDX-License-Identifier: MIT */
/*
 * check_loadmiss.c - the load-miss round trip end to end on host and svm:
 * real bytes from a real file reach the executor, which checksums them;
 * the IO-slot reservation under every lane at once; injected errors, each a
 * FAULT with its code while later slots are still served; both read engines.
 */
#include "helpers.h"
#include "device.h"
#include "iodata.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>

#define WINDOW 32u

/* shm forwards to the best of the others (svm on PoCL, host without OpenCL) */
static const char *const backend_list[] = { "host", "shm", "svm", "copy" };
static const char *backends[8]; /* backend_list, or MKRT_TEST_BACKENDS (tests/device.h) */

static struct mkrt_runtime *open_io(const char *backend, struct mkrt_io_config *io, uint32_t lanes)
{
	struct mkrt_config cfg;

	mkrt_config_init(&cfg);
	cfg.backend = backend;
	cfg.lanes = lanes;
	cfg.io = io;
	return mkrt_test_open(&cfg);
}

struct tally {
	uint32_t hits, misses, prefetches, faults, bad;
};

/* Check one collected result against the file. */
static void check_result(const struct iodata *d, int err, const struct mkrt_slot *r, struct tally *t)
{
	uint32_t out = r->args[MKRT_LM_OUTCOME];

	if (err) {
		t->faults++;
		return;
	}
	if (out == MKRT_LM_PREFETCH || out == MKRT_LM_PREFETCH_HIT) {
		t->prefetches++;
		return;
	}
	t->hits += out == MKRT_LM_HIT;
	t->misses += out == MKRT_LM_MISS;
	t->bad += (out != MKRT_LM_HIT && out != MKRT_LM_MISS) || r->args[MKRT_LM_BYTES] != d->record_bytes ||
		  r->args[MKRT_LM_CHECKSUM] != d->checksum[r->args[0]];
}

/* Run @n requests (a mix of hot, cold and prefetched ids) with WINDOW in flight. */
static void run_mix(struct mkrt_runtime *rt, const struct iodata *d, uint32_t n, uint64_t seed,
		    struct tally *t)
{
	struct mkrt_ticket tk[WINDOW];
	struct mkrt_slot res;
	uint64_t x = seed;

	memset(t, 0, sizeof(*t));
	for (uint32_t i = 0; i < n + WINDOW; i++) {
		uint32_t w = i % WINDOW;
		if (i >= WINDOW) {
			int err = mkrt_wait(rt, tk[w], WAIT_MS, &res);
			ck_assert_msg(err == 0 || err == MKRT_ESLOTFAULT, "wait: %s", mkrt_err_name(err));
			check_result(d, err, &res, t);
		}
		if (i >= n)
			continue;
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		uint32_t r = (uint32_t)(x >> 33);
		uint32_t rid = r % 10 < 7 ? r % 40 : r % d->records; /* 70% from a hot set */
		ck_assert_err(mkrt_submit(rt, &(struct mkrt_slot){ .opcode = MKRT_OP_LOAD_MISS,
								   .args = { rid, r % 10 == 9 } },
					  WAIT_MS, &tk[w]), 0);
	}
}

START_TEST(ten_thousand_mixed_requests)
{
	struct iodata d;
	struct tally t;
	struct mkrt_stats st;
	struct mkrt_io_config io = { .resources = 1000, .frames = 64, .frame_bytes = 4096 };

	iodata_make(&d, 1000, 4096, 0);
	io.path = d.path;
	struct mkrt_runtime *rt = open_io(backends[_i], &io, 0);
	run_mix(rt, &d, 10000, 42, &t);
	ck_assert_err(mkrt_runtime_stats(rt, &st), 0);
	printf("%s: 10000 requests over 1000 resources, 64 frames: %u hits, %u misses, "
	       "%u prefetches, %u faults, %u bad; %llu IO requests, %llu evictions\n",
	       backends[_i], t.hits, t.misses, t.prefetches, t.faults, t.bad,
	       (unsigned long long)st.io_requests, (unsigned long long)st.evictions);
	ck_assert_uint_eq(t.faults, 0);
	ck_assert_uint_eq(t.bad, 0);
	ck_assert_uint_eq(t.hits + t.misses + t.prefetches, 10000);
	ck_assert_uint_gt(t.hits, 1000);
	ck_assert_uint_gt(t.misses, 1000);
	ck_assert_uint_gt(t.prefetches, 500);
	ck_assert_uint_gt(st.evictions, 100);
	ck_assert_uint_eq(st.io_errors, 0);
	mkrt_runtime_close(rt);
	iodata_free(&d);
}
END_TEST

/* Every lane misses at once, 64 requests in flight over 64 IO slots, all
 * distinct resources: each must be served exactly once, with its own bytes. */
START_TEST(io_slot_reservation_under_all_lanes)
{
	struct iodata d;
	struct mkrt_stats st;
	struct mkrt_io_config io = { .resources = 4096, .frames = 64, .frame_bytes = 256 };
	const uint32_t rounds = 40, inflight = 64;
	struct mkrt_ticket tk[64];
	struct mkrt_slot res;
	struct tally t = { 0 };

	iodata_make(&d, 4096, 256, 0);
	io.path = d.path;
	struct mkrt_runtime *rt = open_io(backends[_i], &io, _i ? 2 : 8); /* every lane */
	for (uint32_t round = 0; round < rounds; round++) {
		for (uint32_t k = 0; k < inflight; k++)
			ck_assert_err(mkrt_submit(rt, &(struct mkrt_slot){ .opcode = MKRT_OP_LOAD_MISS,
				.args = { (round * inflight + k) % 4096 } }, WAIT_MS, &tk[k]), 0);
		for (uint32_t k = 0; k < inflight; k++) {
			int err = mkrt_wait(rt, tk[k], WAIT_MS, &res);
			ck_assert_msg(err == 0, "round %u: %s", round, mkrt_err_name(err));
			ck_assert_uint_eq(res.args[0], (round * inflight + k) % 4096);
			check_result(&d, err, &res, &t);
		}
	}
	ck_assert_err(mkrt_runtime_stats(rt, &st), 0);
	ck_assert_uint_eq(t.bad, 0);
	ck_assert_uint_eq(t.misses, rounds * inflight); /* all distinct: every one a miss */
	ck_assert_uint_eq(st.io_requests, rounds * inflight); /* none served twice, none lost */
	mkrt_runtime_close(rt);
	iodata_free(&d);
}
END_TEST

/* One request that must FAULT with @code, then proof that later slots are served. */
static void expect_fault_then_service(struct mkrt_runtime *rt, uint32_t rid, uint32_t code,
				      int good_rid, const struct iodata *d)
{
	struct mkrt_ticket tk;
	struct mkrt_slot res;

	ck_assert_err(mkrt_submit(rt, &(struct mkrt_slot){ .opcode = MKRT_OP_LOAD_MISS, .args = { rid } },
				  WAIT_MS, &tk), 0);
	ck_assert_err(mkrt_wait(rt, tk, WAIT_MS, &res), MKRT_ESLOTFAULT);
	ck_assert_uint_eq(res.args[11], MKRT_FAULT_IO);
	ck_assert_msg(res.args[MKRT_LM_ERROR] == code, "error code %u, want %u", res.args[MKRT_LM_ERROR], code);
	ck_assert_err(mkrt_submit(rt, &(struct mkrt_slot){ .opcode = MKRT_OP_ATOMIC_ADD,
							   .args = { 1, MKRT_CTL_OBS } }, WAIT_MS, &tk), 0);
	ck_assert_err(mkrt_wait(rt, tk, WAIT_MS, NULL), 0);
	if (good_rid >= 0) {
		ck_assert_err(mkrt_submit(rt, &(struct mkrt_slot){ .opcode = MKRT_OP_LOAD_MISS,
								   .args = { (uint32_t)good_rid } }, WAIT_MS, &tk), 0);
		ck_assert_err(mkrt_wait(rt, tk, WAIT_MS, &res), 0);
		ck_assert_uint_eq(res.args[MKRT_LM_CHECKSUM], d->checksum[good_rid]);
	}
}

START_TEST(missing_file_faults_open)
{
	struct mkrt_io_config io = { .resources = 10, .path = "/nonexistent/mkrt-data.bin" };
	struct mkrt_runtime *rt = open_io(backends[_i], &io, 0);

	expect_fault_then_service(rt, 3, MKRT_IOERR_OPEN, -1, NULL);
	expect_fault_then_service(rt, 4, MKRT_IOERR_OPEN, -1, NULL);
	mkrt_runtime_close(rt);
}
END_TEST

START_TEST(short_read_and_range)
{
	struct iodata d;
	struct mkrt_io_config io = { .resources = 16, .frames = 4, .frame_bytes = 512 };

	iodata_make(&d, 16, 512, 100); /* the last record is 100 bytes short */
	io.path = d.path;
	struct mkrt_runtime *rt = open_io(backends[_i], &io, 0);
	expect_fault_then_service(rt, 15, MKRT_IOERR_SHORT, 0, &d);
	expect_fault_then_service(rt, 16, MKRT_IOERR_RANGE, 1, &d);
	expect_fault_then_service(rt, 0xFFFFFFFFu, MKRT_IOERR_RANGE, 2, &d);
	mkrt_runtime_close(rt);
	iodata_free(&d);
}
END_TEST

static int64_t picky_resolver(void *user, uint32_t id, void *dst, size_t cap)
{
	const struct iodata *d = user;
	if (id == 7)
		return -1; /* any failure of the user's own */
	if (cap < d->record_bytes)
		return -(int64_t)MKRT_IOERR_TOO_BIG;
	for (uint32_t i = 0; i < d->record_bytes; i++)
		((uint8_t *)dst)[i] = iodata_byte(id, i);
	return d->record_bytes;
}

START_TEST(resolver_error)
{
	struct iodata d;
	struct mkrt_io_config io = { .resources = 16, .frames = 4, .frame_bytes = 512 };

	iodata_make(&d, 16, 512, 0);
	io.resolve = picky_resolver;
	io.user = &d;
	struct mkrt_runtime *rt = open_io(backends[_i], &io, 0);
	expect_fault_then_service(rt, 7, MKRT_IOERR_RESOLVER, 8, &d);
	mkrt_runtime_close(rt);
	iodata_free(&d);
}
END_TEST

/* A resolver that counts where it runs and whether two calls ever overlap. */
struct witness {
	const struct iodata *d;
	_Atomic uint32_t inside, overlaps, on_waiters, calls;
};
static _Thread_local bool is_waiter;

static int64_t witness_resolver(void *user, uint32_t id, void *dst, size_t cap)
{
	struct witness *w = user;

	if (atomic_fetch_add(&w->inside, 1) != 0)
		atomic_fetch_add(&w->overlaps, 1);
	atomic_fetch_add(&w->calls, 1);
	if (is_waiter)
		atomic_fetch_add(&w->on_waiters, 1);
	int64_t n = picky_resolver((void *)(uintptr_t)w->d, id, dst, cap);
	atomic_fetch_sub(&w->inside, 1);
	return n;
}

struct waiter_arg {
	struct mkrt_runtime *rt;
	const struct iodata *d;
	uint32_t first, wrong;
	int err;
};

static void *waiter(void *p)
{
	struct waiter_arg *a = p;

	is_waiter = true;
	for (uint32_t i = 0; i < 400 && !a->err; i++) {
		struct mkrt_ticket t;
		struct mkrt_slot res;
		uint32_t rid = 8 + (a->first + i * 2) % 56; /* past picky's failing id */
		a->err = mkrt_submit(a->rt, &(struct mkrt_slot){ .opcode = MKRT_OP_LOAD_MISS, .args = { rid } },
				     WAIT_MS, &t);
		if (!a->err)
			a->err = mkrt_wait(a->rt, t, WAIT_MS, &res);
		if (!a->err && res.args[MKRT_LM_CHECKSUM] != a->d->checksum[rid])
			a->wrong++;
	}
	return NULL;
}

/* Threads in mkrt_wait may serve load misses themselves (one handoff less
 * each way), beside the servicer thread: whichever thread serves, every
 * result is right and the resolver never runs on two threads at once. How
 * many the waiters serve is up to the scheduler: printed, not asserted. */
START_TEST(waiters_serve_misses)
{
	struct iodata d;
	struct mkrt_io_config io = { .resources = 64, .frames = 4, .frame_bytes = 512 };
	struct witness w = { .d = &d };
	struct waiter_arg args[2];
	pthread_t th[2];

	iodata_make(&d, 64, 512, 0);
	io.resolve = witness_resolver;
	io.user = &w;
	struct mkrt_runtime *rt = open_io(backends[_i], &io, 0);
	for (uint32_t k = 0; k < 2; k++) {
		args[k] = (struct waiter_arg){ .rt = rt, .d = &d, .first = k };
		ck_assert_int_eq(pthread_create(&th[k], NULL, waiter, &args[k]), 0);
	}
	for (uint32_t k = 0; k < 2; k++) {
		pthread_join(th[k], NULL);
		ck_assert_err(args[k].err, 0);
		ck_assert_uint_eq(args[k].wrong, 0);
	}
	printf("%s: %u resolver calls, %u on waiting threads, %u overlapping\n", backends[_i],
	       atomic_load(&w.calls), atomic_load(&w.on_waiters), atomic_load(&w.overlaps));
	ck_assert_uint_gt(atomic_load(&w.calls), 400); /* 4 frames for 56 ids: mostly misses */
	ck_assert_uint_eq(atomic_load(&w.overlaps), 0);
	mkrt_runtime_close(rt);
	iodata_free(&d);
}
END_TEST

/* A resolver that holds resource 0's load until the test opens the gate. */
struct gate {
	const struct iodata *d;
	_Atomic uint32_t entered, open;
};

static int64_t gated_resolver(void *user, uint32_t id, void *dst, size_t cap)
{
	struct gate *g = user;

	if (id == 0) {
		atomic_store(&g->entered, 1);
		while (!atomic_load(&g->open))
			usleep(1000); /* the test's watchdog catches a gate never opened */
	}
	return picky_resolver((void *)(uintptr_t)g->d, id, dst, cap);
}

/* C[MKRT_CTL_BUSY_LANES], as a slot reads it (LOAD_U32 into OBS + 1): the
 * lanes inside a slot that may block. */
static uint32_t busy_lanes(struct mkrt_runtime *rt)
{
	struct mkrt_slot load = { .opcode = MKRT_OP_LOAD_U32, .args = { MKRT_CTL_BUSY_LANES, 1 } };

	ck_assert_err(mkrt_test_roundtrip(rt, load, NULL), 0);
	return mkrt_test_ctl(rt, MKRT_CTL_OBS + 1);
}

/* DESIGN §4: one running lane drains the whole ring. Two lanes; one takes
 * a LOAD_MISS whose load the resolver holds, so it waits for as long as the
 * test likes; 1000 slots submitted meanwhile all complete on the other
 * lane, whichever of the ring's slots they land in. Then the held load
 * finishes with the right bytes. Meanwhile the lanes count exactly one lane
 * inside a slot that may block (on a device, what wakes the spare lane). Epochs are long: a lane asked to yield
 * would leave the ring to a launch that cannot end while the held lane
 * waits. (copy on a 2-CU CPU runs one lane: nothing to show, said so.) */
START_TEST(one_running_lane_drains_the_ring)
{
	struct iodata d;
	struct gate g = { .d = &d };
	struct mkrt_io_config io = { .resources = 16, .frames = 4, .frame_bytes = 512,
				     .resolve = gated_resolver, .user = &g };
	struct mkrt_config cfg;
	struct mkrt_stats st;
	struct mkrt_ticket held, t;
	struct mkrt_slot res;

	iodata_make(&d, 16, 512, 0);
	mkrt_config_init(&cfg);
	cfg.backend = backends[_i];
	cfg.lanes = 2;
	cfg.io = &io;
	cfg.epoch_ms = 3600000u;
	struct mkrt_runtime *rt = mkrt_test_open(&cfg);
	ck_assert_err(mkrt_runtime_stats(rt, &st), 0);
	if (st.lanes < 2) {
		printf("%s: %llu lane on this device: no second lane to drain the ring\n", backends[_i],
		       (unsigned long long)st.lanes);
		goto out;
	}
	ck_assert_err(mkrt_submit(rt, &(struct mkrt_slot){ .opcode = MKRT_OP_LOAD_MISS, .args = { 0 } },
				  WAIT_MS, &held), 0);
	for (uint32_t ms = 0; !atomic_load(&g.entered) && ms < WAIT_MS; ms++)
		usleep(1000);
	ck_assert_uint_eq(atomic_load(&g.entered), 1); /* a lane waits on the held load */
	for (uint32_t i = 0; i < 1000; i++) {
		struct mkrt_slot add = { .opcode = MKRT_OP_ATOMIC_ADD, .args = { 1, MKRT_CTL_OBS } };
		ck_assert_err(mkrt_submit(rt, &add, WAIT_MS, &t), 0);
		ck_assert_err(mkrt_wait(rt, t, WAIT_MS, NULL), 0);
	}
	ck_assert_uint_eq(mkrt_test_ctl(rt, MKRT_CTL_OBS), 1000);
	ck_assert_err(mkrt_poll(rt, held, &res), MKRT_EAGAIN); /* still held */
	ck_assert_uint_eq(busy_lanes(rt), 1); /* the held lane, and only it */
	atomic_store(&g.open, 1);
	ck_assert_err(mkrt_wait(rt, held, WAIT_MS, &res), 0);
	ck_assert_uint_eq(res.args[MKRT_LM_CHECKSUM], d.checksum[0]);
	ck_assert_uint_eq(busy_lanes(rt), 0);
	printf("%s: 1000 slots drained by one lane while the other waited on a held load\n", backends[_i]);
out:
	mkrt_runtime_close(rt);
	iodata_free(&d);
}
END_TEST

/* One 1 MiB frame, four misses at once, more lanes than frames: a miss that
 * finds every frame pinned faults NO_FRAME, every served miss is verified,
 * and service goes on. Whether two lanes' misses ever overlap is up to the
 * scheduler: printed, not asserted. With a single lane (copy on a 2-CU CPU
 * leaves the other to the transfers) misses come one at a time and every
 * one is served. */
START_TEST(arena_smaller_than_waiting_lanes)
{
	struct iodata d;
	struct mkrt_io_config io = { .resources = 8, .frames = 1, .frame_bytes = 1u << 20 };
	struct mkrt_ticket tk[4];
	struct mkrt_slot res;
	uint32_t noframe = 0, ok = 0;
	struct mkrt_stats st;

	iodata_make(&d, 8, 1u << 20, 0);
	io.path = d.path;
	struct mkrt_runtime *rt = open_io(backends[_i], &io, _i ? 2 : 4); /* more lanes than frames */
	for (int round = 0; round < 20; round++) {
		for (uint32_t k = 0; k < 4; k++)
			ck_assert_err(mkrt_submit(rt, &(struct mkrt_slot){ .opcode = MKRT_OP_LOAD_MISS,
				.args = { (round * 4 + k) % 8 } }, WAIT_MS, &tk[k]), 0);
		for (uint32_t k = 0; k < 4; k++) {
			int err = mkrt_wait(rt, tk[k], WAIT_MS, &res);
			if (err == MKRT_ESLOTFAULT) {
				ck_assert_uint_eq(res.args[MKRT_LM_ERROR], MKRT_IOERR_NO_FRAME);
				noframe++;
			} else {
				ck_assert_err(err, 0);
				ck_assert_uint_eq(res.args[MKRT_LM_CHECKSUM], d.checksum[res.args[0]]);
				ok++;
			}
		}
	}
	ck_assert_err(mkrt_runtime_stats(rt, &st), 0);
	printf("%s: 1 frame, %llu lanes, 4 misses at once: %u served, %u NO_FRAME\n", backends[_i],
	       (unsigned long long)st.lanes, ok, noframe);
	if (st.lanes == 1)
		ck_assert_uint_eq(noframe, 0);
	ck_assert_uint_gt(ok, 0);
	expect_fault_then_service(rt, 99, MKRT_IOERR_RANGE, 5, &d);
	mkrt_runtime_close(rt);
	iodata_free(&d);
}
END_TEST

START_TEST(both_read_engines)
{
	struct iodata d;
	struct tally t;
	const char *engines[] = { "pread", "uring" };

	iodata_make(&d, 200, 4096, 0);
	for (int e = 0; e < 2; e++) {
		if (e == 1 && !strstr(mkrt_io_engines(), "uring")) {
			printf("io_uring not built in (liburing-dev missing): pread only\n");
			continue;
		}
		struct mkrt_io_config io = { .resources = 200, .frames = 16, .frame_bytes = 4096,
					     .path = d.path, .engine = engines[e] };
		struct mkrt_runtime *rt = open_io("host", &io, 2);
		run_mix(rt, &d, 2000, 7, &t);
		ck_assert_uint_eq(t.faults, 0);
		ck_assert_uint_eq(t.bad, 0);
		ck_assert_uint_gt(t.misses, 100);
		mkrt_runtime_close(rt);
	}
	struct mkrt_io_config bad = { .resources = 1, .path = d.path, .engine = "aio" };
	struct mkrt_runtime *rt = NULL;
	ck_assert_err(mkrt_runtime_open(&(struct mkrt_config){ .backend = "host", .io = &bad }, &rt),
		      MKRT_EUNAVAILABLE);
	bad.engine = NULL;
	bad.resources = 0;
	ck_assert_err(mkrt_runtime_open(&(struct mkrt_config){ .backend = "host", .io = &bad }, &rt),
		      MKRT_EINVAL);
	iodata_free(&d);
}
END_TEST

static bool have_opencl(void)
{
	pid_t pid = fork();
	int status = 0;
	if (pid == 0)
		_exit(mkrt_device_count() > 0 ? 0 : 1);
	return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(void)
{
	Suite *s = suite_create("loadmiss");
	TCase *tc = mkrt_tcase(s, "roundtrip", 300);
#ifdef MKRT_AUDIT_SHARED_RMW
	mkrt_test_audit_fine(s, tc);
#endif
#ifdef MKRT_TEST_BUS_LANES
	mkrt_test_bus_lanes();
#endif
	int nb = mkrt_test_backends(backend_list, have_opencl() ? 4 : 2, backends, 8);

	if (nb == 2 && !getenv("MKRT_TEST_BACKENDS"))
		printf("no OpenCL platform: the svm and copy parts of this suite do not run\n");
	tcase_add_loop_test(tc, ten_thousand_mixed_requests, 0, nb);
	tcase_add_loop_test(tc, io_slot_reservation_under_all_lanes, 0, nb);
	tcase_add_loop_test(tc, missing_file_faults_open, 0, nb);
	tcase_add_loop_test(tc, short_read_and_range, 0, nb);
	tcase_add_loop_test(tc, resolver_error, 0, nb);
	tcase_add_loop_test(tc, waiters_serve_misses, 0, nb);
	tcase_add_loop_test(tc, arena_smaller_than_waiting_lanes, 0, nb);
	tcase_add_loop_test(tc, one_running_lane_drains_the_ring, 0, nb);
	tcase_add_test(tc, both_read_engines);
	return mkrt_run_suite(s);
}
