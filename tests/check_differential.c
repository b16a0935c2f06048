/* SPDX-License-Identifier: MIT */
/*
 * check_differential.c - the megakernel against the reference executor.
 *
 * Seeded streams of 100,000 random slots (COUNT) run through the host backend (the
 * reference executor on threads) and through svm and copy (the megakernel on
 * PoCL, in fine-grained SVM and in device buffers behind transfers), through
 * the same public API with only the backend name changed. Every
 * result slot, the final ring, control buffer and debug log must be
 * identical word for word; then again with an epoch budget of one slot, so
 * the megakernel is relaunched for nearly every slot.
 */
#include "helpers.h"
#include "device.h"
#include "stream.h"

#define SLOTS   64u
/*
 * The svm modes' own builds (fine, bus) replay the stream a quarter as
 * long: their lanes leave every slot to the kernel (no host assist after a
 * park), so each park costs a cold launch, and CI's make check ran a
 * full-length stream of each past its 600 s watchdog while the rest of the
 * suite shared the cores. A quarter still runs each mode through thousands
 * of faults, withdrawals and parks against the reference.
 */
#if defined(MKRT_AUDIT_SHARED_RMW) || defined(MKRT_TEST_BUS_LANES)
#define COUNT   25000u
#else
#define COUNT   100000u
#endif
#define PARKED_COUNT (COUNT / 8u) /* a park and a cold launch per wave: slow under TSan */
/* a launch per slot: copy's ran past its 600 s watchdog at COUNT under ASan
 * and a CPU hog (CI), slow but not stuck; a quarter still relaunches ~25,000 times */
#define RELAUNCH_COUNT (COUNT / 4u)

struct outcome {
	uint64_t results_hash;        /* every collected result slot, in order */
	uint32_t collected, faults, denied;
	uint32_t control[STREAM_W];
	uint8_t ring[SLOTS * MKRT_SLOT_BYTES];
	struct mkrt_debug_record log[MKRT_LOG_DEFAULT_RECORDS];
	uint32_t log_count, log_overflow;
	uint64_t launches;
};

static uint64_t fold(uint64_t h, const struct mkrt_slot *s)
{
	const uint32_t *w = (const uint32_t *)s;
	for (uint32_t i = 0; i < MKRT_SLOT_WORDS; i++) {
		h ^= w[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* A denied slot (still PUBLISHED, untouched) is withdrawn, at once or, on
 * copy with no lane free to answer, later (EINPROGRESS): either way its
 * ticket ends exactly once, cancelled, and it never ran. */
static void withdraw(struct mkrt_runtime *rt, struct mkrt_ticket t, uint64_t seed)
{
	ck_assert_msg(mkrt_poll(rt, t, NULL) == MKRT_EAGAIN, "seed %llu: denied slot ran",
		      (unsigned long long)seed);
	int err = mkrt_cancel(rt, t);
	if (err == MKRT_EINPROGRESS)
		err = mkrt_wait(rt, t, WAIT_MS, NULL) == MKRT_ECANCELED ? 0 : MKRT_EINPROGRESS;
	ck_assert_msg(err == 0, "seed %llu: denied slot not withdrawn: %s", (unsigned long long)seed,
		      mkrt_err_name(err));
	ck_assert_err(mkrt_poll(rt, t, NULL), MKRT_ESTALE);
}

/* Finish the current wave: collect every authorized ticket, withdraw the
 * denied ones. */
static void finish_wave(struct mkrt_runtime *rt, struct mkrt_ticket *t, bool *denied,
			uint32_t n, struct outcome *o, uint64_t seed)
{
	for (uint32_t i = 0; i < n; i++) {
		struct mkrt_slot res;
		if (denied[i]) {
			withdraw(rt, t[i], seed);
			o->denied++;
			continue;
		}
		int err = mkrt_wait(rt, t[i], WAIT_MS, &res);
		ck_assert_msg(err == 0 || err == MKRT_ESLOTFAULT, "seed %llu: wait: %s",
			      (unsigned long long)seed, mkrt_err_name(err));
		o->faults += err == MKRT_ESLOTFAULT;
		o->collected++;
		o->results_hash = fold(o->results_hash, &res);
	}
}

/* Wait until @rt has parked more than @parks times; the new count. */
static uint64_t await_park(struct mkrt_runtime *rt, uint64_t parks)
{
	struct mkrt_stats st;

	for (uint32_t ms = 0;; ms++) {
		ck_assert_err(mkrt_runtime_stats(rt, &st), 0);
		if (st.parks > parks)
			return st.parks;
		ck_assert_msg(ms < WAIT_MS, "no park in %u ms", WAIT_MS); /* a watchdog only */
		usleep(1000);
	}
}

/* The first @count slots of the stream of @seed on @backend into @o: with
 * @epoch_slots (0: none); when
 * @park_us is not 0, the kernel parks after every wave (park_us idle), so
 * each wave begins on a cold kernel. */
static void run_stream(const char *backend, uint64_t seed, uint32_t epoch_slots, uint32_t park_us,
		       uint32_t count, struct outcome *o)
{
	static uint32_t dfa[STREAM_DFA_WORDS];
	struct mkrt_control_config ctl;
	struct mkrt_config cfg;
	struct mkrt_runtime *rt = NULL;
	struct mkrt_ticket t[SLOTS];
	bool denied[SLOTS];
	struct stream s;
	uint32_t n = 0;
	uint64_t parks = 0;

	memset(o, 0, sizeof(*o));
	o->results_hash = 0xcbf29ce484222325ull;
	stream_init(&s, seed, SLOTS);
	stream_control(&ctl);
	stream_dfa(dfa);
	mkrt_config_init(&cfg);
	cfg.backend = backend;
	cfg.slots = SLOTS;
	cfg.observable = STREAM_OBS;
	cfg.lanes = 2;
	cfg.control = &ctl;
	cfg.dfa = dfa;
	cfg.dfa_words = STREAM_DFA_WORDS;
	cfg.epoch_slots = epoch_slots;
	cfg.park_us = park_us;
	rt = mkrt_test_open(&cfg);

	for (uint32_t i = 0; i < count; i++) {
		struct mkrt_slot r;
		if (stream_next(&s, &r) && n) {
			finish_wave(rt, t, denied, n, o, seed);
			n = 0;
			if (park_us)
				parks = await_park(rt, parks);
		}
		denied[n] = r.tenant == STREAM_DENIED;
		int err = mkrt_submit(rt, &r, WAIT_MS, &t[n]);
		ck_assert_msg(err == 0, "seed %llu slot %u: submit: %s", (unsigned long long)seed, i,
			      mkrt_err_name(err));
		n++;
	}
	finish_wave(rt, t, denied, n, o, seed);

	/* the final state, once the executors are gone: mkrt's scheduling word
	 * (YIELD) may be raised while a kernel is being parked */
	ck_assert_err(mkrt_runtime_stop(rt, WAIT_MS), 0);
	ck_assert_err(mkrt_runtime_read_control(rt, 0, STREAM_W, o->control), 0);
	struct mkrt_consumer c = mkrt_runtime_consumer(rt);
	for (uint32_t i = 0; i < SLOTS; i++)
		ck_assert_err(mkrt_consumer_read_slot(&c, i, o->ring + i * MKRT_SLOT_BYTES), 0);
	mkrt_runtime_read_debug_log(rt, o->log, MKRT_LOG_DEFAULT_RECORDS, &o->log_count,
				    &o->log_overflow);
	struct mkrt_stats st;
	ck_assert_err(mkrt_runtime_stats(rt, &st), 0);
	o->launches = st.launches;
	mkrt_runtime_close(rt);

	/* DONE_COUNT counts exactly the slots that finished, DONE or FAULT */
	ck_assert_uint_eq(o->control[MKRT_CTL_DONE_COUNT], o->collected);
	ck_assert_uint_eq(o->control[MKRT_CTL_FAULT_COUNT], o->faults);
	ck_assert_uint_eq(o->collected + o->denied, count);
}

static void assert_same(const struct outcome *a, const struct outcome *b, uint64_t seed)
{
	ck_assert_msg(a->results_hash == b->results_hash, "seed %llu: result slots differ",
		      (unsigned long long)seed);
	for (uint32_t i = 0; i < STREAM_W; i++)
		ck_assert_msg(a->control[i] == b->control[i], "seed %llu: control word %u: %u vs %u",
			      (unsigned long long)seed, i, a->control[i], b->control[i]);
	ck_assert_msg(memcmp(a->ring, b->ring, sizeof(a->ring)) == 0, "seed %llu: final ring differs",
		      (unsigned long long)seed);
	ck_assert_msg(a->log_count == b->log_count && a->log_overflow == b->log_overflow &&
			      memcmp(a->log, b->log, sizeof(a->log)) == 0,
		      "seed %llu: debug log differs", (unsigned long long)seed);
	ck_assert_uint_eq(a->collected, b->collected);
}

static const uint64_t seeds[] = { 1, 0xC0FFEE };
static const char *const device_list[] = { "svm", "shm", "copy" };
static const char *devices[8]; /* device_list, or MKRT_TEST_BACKENDS (tests/device.h) */
#define SEED (seeds[_i % 2])
#define DEVICE (devices[_i / 2])

START_TEST(stream_host_vs_device)
{
	struct outcome *host = malloc(sizeof(*host)), *dev = malloc(sizeof(*dev));

	run_stream("host", SEED, 0, 0, COUNT, host);
	run_stream(DEVICE, SEED, 0, 0, COUNT, dev);
	assert_same(host, dev, SEED);
	/* the stream exercised what it should (about 12% faults, 2% denied) */
	ck_assert_uint_gt(host->faults, COUNT / 100u);
	ck_assert_uint_gt(host->denied, COUNT / 100u);
	ck_assert_uint_gt(host->log_overflow, 0);
	for (uint32_t op = 0; op <= MKRT_OP_BATCH_FENCE; op++)
		ck_assert_uint_gt(host->control[MKRT_CTL_METRICS + op], COUNT / 200u);
	printf("%s, seed %llu: %u slots, %u faults, %u denied, %llu launches: identical\n", DEVICE,
	       (unsigned long long)SEED, host->collected, host->faults, host->denied,
	       (unsigned long long)dev->launches);
	free(host);
	free(dev);
}
END_TEST

START_TEST(stream_with_relaunch_every_slot)
{
	struct outcome *host = malloc(sizeof(*host)), *dev = malloc(sizeof(*dev));

	run_stream("host", SEED, 0, 0, RELAUNCH_COUNT, host);
	run_stream(DEVICE, SEED, 1, 0, RELAUNCH_COUNT, dev);
	assert_same(host, dev, SEED);
	ck_assert_msg(dev->launches > 1000, "only %llu launches", (unsigned long long)dev->launches);
	printf("%s, seed %llu with epoch_slots=1: %llu launches: identical\n", DEVICE,
	       (unsigned long long)SEED, (unsigned long long)dev->launches);
	free(host);
	free(dev);
}
END_TEST

/* After a park the host runs what never blocks until the launch runs
 * (runtime/opencl/resident.c): the same results as the reference, with
 * every wave begun on a parked kernel. */
START_TEST(stream_across_parks)
{
	struct outcome *host = malloc(sizeof(*host)), *dev = malloc(sizeof(*dev));

	run_stream("host", SEED, 0, 0, PARKED_COUNT, host);
	run_stream(devices[0], SEED, 0, 100, PARKED_COUNT, dev);
	assert_same(host, dev, SEED);
	printf("%s, seed %llu parked before every wave: %llu launches: identical\n", devices[0],
	       (unsigned long long)SEED, (unsigned long long)dev->launches);
	free(host);
	free(dev);
}
END_TEST

int main(void)
{
	mkrt_require_opencl_or_skip();
	Suite *s = suite_create("differential");
	TCase *tc = mkrt_tcase(s, "streams", 600);

	/*
	 * copy's resident stream is what caught a PoCL lane running a slot
	 * twice (DONE_COUNT 1-3 above the slots collected, in one run of
	 * three): the host's 4-byte STATUS write stored its word twice
	 * (tests/repro/README.md). Single words now go out as fills; these
	 * streams keep checking that nothing runs twice.
	 */
#ifdef MKRT_AUDIT_SHARED_RMW
	mkrt_test_audit_fine(s, tc);
#endif
#ifdef MKRT_TEST_BUS_LANES
	mkrt_test_bus_lanes();
#endif
	int n = mkrt_test_backends(device_list, 3, devices, 8);
	tcase_add_loop_test(tc, stream_host_vs_device, 0, 2 * n);
	tcase_add_loop_test(tc, stream_with_relaunch_every_slot, 0, 2 * n);
	tcase_add_loop_test(tc, stream_across_parks, 0, 2);
	return mkrt_run_suite(s);
}
