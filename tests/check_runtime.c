/* SPDX-License-Identifier: MIT */
/*
 * check_runtime.c - the runtime on the real host backend (executor threads):
 * submission, completion, faults, tenants, cancel, backpressure, shutdown,
 * the raw ring interfaces, and a million slots from several producers.
 */
#include "helpers.h"

#include <pthread.h>
#include <unistd.h>

#define OBS MKRT_CTL_OBS

static struct mkrt_runtime *open_host(uint32_t slots, uint32_t lanes)
{
	struct mkrt_config cfg;

	mkrt_config_init(&cfg);
	cfg.backend = "host";
	cfg.slots = slots;
	cfg.lanes = lanes;
	return mkrt_test_open(&cfg);
}

static struct mkrt_slot op(uint32_t opcode, uint32_t a0, uint32_t a1, uint32_t a2)
{
	struct mkrt_slot r = { .opcode = opcode, .args = { a0, a1, a2 } };
	return r;
}

START_TEST(submit_and_wait)
{
	struct mkrt_runtime *rt = open_host(16, 1);
	struct mkrt_slot res;

	ck_assert_str_eq(mkrt_runtime_backend(rt), "host");
	ck_assert_uint_eq(mkrt_runtime_slot_count(rt), 16);
	ck_assert_err(mkrt_test_roundtrip(rt, op(MKRT_OP_NOP, 0, 0, 0), &res), 0);
	ck_assert_uint_eq(res.status, MKRT_STATUS_DONE);
	ck_assert_err(mkrt_test_roundtrip(rt, op(MKRT_OP_STORE_U32, 0xAB, OBS + 1, 0), NULL), 0);
	ck_assert_uint_eq(mkrt_test_ctl(rt, OBS + 1), 0xAB);
	ck_assert_err(mkrt_test_roundtrip(rt, op(MKRT_OP_LOAD_U32, OBS + 1, 2, 0), NULL), 0);
	ck_assert_uint_eq(mkrt_test_ctl(rt, OBS + 2), 0xAB);
	ck_assert_uint_eq(mkrt_test_ctl(rt, MKRT_CTL_DONE_COUNT), 3);
	uint32_t done = 0;
	ck_assert_err(mkrt_runtime_done_count(rt, &done), 0);
	ck_assert_uint_eq(done, 3);
	ck_assert_err(mkrt_runtime_done_count(rt, NULL), MKRT_EINVAL);
	ck_assert_uint_eq(mkrt_test_ctl(rt, MKRT_CTL_VERSION), MKRT_PROTOCOL_VERSION);

	uint32_t words[2] = { 7, 7 };
	uint32_t last = MKRT_CTL_OBS + MKRT_DEFAULT_OBSERVABLE;
	ck_assert_err(mkrt_runtime_read_control(rt, last - 2, 2, words), 0);
	ck_assert_err(mkrt_runtime_read_control(rt, last - 1, 2, words), MKRT_ERANGE);
	ck_assert_err(mkrt_runtime_read_control(rt, UINT32_MAX, 2, words), MKRT_ERANGE);
	ck_assert_err(mkrt_runtime_read_control(rt, 0, 1, NULL), MKRT_EINVAL);
	ck_assert_err(mkrt_runtime_read_control(NULL, 0, 1, words), MKRT_EINVAL);
	mkrt_runtime_close(rt);
}
END_TEST

START_TEST(faults_are_reported_and_slots_reused)
{
	struct mkrt_runtime *rt = open_host(4, 1);
	struct mkrt_slot res;

	/* more faults than slots: each FAULT slot must be reset for reuse */
	for (int i = 0; i < 10; i++) {
		ck_assert_err(mkrt_test_roundtrip(rt, op(MKRT_OP_STORE_U32, 1, 0xFFFFFF, 0), &res),
			      MKRT_ESLOTFAULT);
		ck_assert_uint_eq(res.status, MKRT_STATUS_FAULT);
		ck_assert_uint_eq(res.args[11], MKRT_FAULT_OUT_OF_RANGE);
	}
	ck_assert_err(mkrt_test_roundtrip(rt, op(MKRT_OP_LOAD_MISS, 5, 0, 0), &res), MKRT_ESLOTFAULT);
	ck_assert_uint_eq(res.args[11], MKRT_FAULT_NO_IO);
	ck_assert_err(mkrt_test_roundtrip(rt, op(MKRT_OP_NOP, 0, 0, 0), &res), 0);
	ck_assert_uint_eq(mkrt_test_ctl(rt, MKRT_CTL_FAULT_COUNT), 11);
	ck_assert_uint_eq(mkrt_test_ctl(rt, MKRT_CTL_DONE_COUNT), 12);
	mkrt_runtime_close(rt);
}
END_TEST

START_TEST(denied_tenant_times_out_and_cancels)
{
	struct mkrt_runtime *rt = open_host(8, 1);
	struct mkrt_slot r = op(MKRT_OP_STORE_U32, 7, OBS, 0), res;
	struct mkrt_ticket t;

	r.tenant = 3;
	ck_assert_err(mkrt_submit(rt, &r, 0, &t), 0);
	ck_assert_err(mkrt_wait(rt, t, 50, &res), MKRT_ETIMEDOUT);
	ck_assert_err(mkrt_poll(rt, t, &res), MKRT_EAGAIN);
	ck_assert_err(mkrt_cancel(rt, t), 0);
	ck_assert_err(mkrt_wait(rt, t, 50, &res), MKRT_ESTALE);
	ck_assert_err(mkrt_cancel(rt, t), MKRT_ESTALE);
	ck_assert_uint_eq(mkrt_test_ctl(rt, OBS), 0);
	mkrt_runtime_close(rt);
}
END_TEST

static uint32_t gate; /* atomic: the blocking handler runs until it is set */

static uint32_t blocking_handler(void *user, uint32_t opcode, uint32_t args[12], struct mkrt_ctx *ctx)
{
	(void)ctx;
	(void)opcode;
	(void)args;
	__atomic_store_n((uint32_t *)user, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&gate, __ATOMIC_ACQUIRE)) /* the suite's timeout is the watchdog */
		usleep(1000);
	return 0;
}

START_TEST(claimed_slot_cannot_be_cancelled)
{
	uint32_t entered = 0;
	struct mkrt_handler h = { 0x300, blocking_handler, &entered };
	struct mkrt_config cfg;
	struct mkrt_runtime *rt = NULL;
	struct mkrt_ticket t;

	mkrt_config_init(&cfg);
	cfg.backend = "host";
	cfg.handlers = &h;
	cfg.handler_count = 1;
	ck_assert_err(mkrt_runtime_open(&cfg, &rt), 0);
	ck_assert_err(mkrt_submit(rt, &(struct mkrt_slot){ .opcode = 0x300 }, 0, &t), 0);
	while (!__atomic_load_n(&entered, __ATOMIC_ACQUIRE))
		usleep(100);
	ck_assert_err(mkrt_cancel(rt, t), MKRT_EBUSY);
	ck_assert_err(mkrt_poll(rt, t, NULL), MKRT_EAGAIN);
	__atomic_store_n(&gate, 1, __ATOMIC_RELEASE);
	ck_assert_err(mkrt_wait(rt, t, WAIT_MS, NULL), 0);
	mkrt_runtime_close(rt);
}
END_TEST

/* A lane inside a slot while SHUTDOWN runs goes on through its pass once
 * back: the slots published after SHUTDOWN that it passes stay unrun and
 * are reported (check_faults: the megakernel's lanes). */
START_TEST(held_lane_starts_nothing_after_shutdown)
{
	uint32_t entered = 0;
	struct mkrt_handler h = { 0x300, blocking_handler, &entered };
	struct mkrt_config cfg;
	struct mkrt_ticket held, late[8];

	mkrt_config_init(&cfg);
	cfg.backend = "host";
	cfg.slots = 16;
	cfg.lanes = 2;
	cfg.handlers = &h;
	cfg.handler_count = 1;
	struct mkrt_runtime *rt = mkrt_test_open(&cfg);
	ck_assert_err(mkrt_submit(rt, &(struct mkrt_slot){ .opcode = 0x300 }, 0, &held), 0);
	while (!__atomic_load_n(&entered, __ATOMIC_ACQUIRE))
		usleep(100);
	ck_assert_err(mkrt_test_roundtrip(rt, op(MKRT_OP_SHUTDOWN, 0, 0, 0), NULL), 0);
	for (int i = 0; i < 8; i++) /* the held lane is live: published */
		ck_assert_err(mkrt_submit(rt, &(struct mkrt_slot){ .opcode = MKRT_OP_ATOMIC_ADD,
								 .args = { 1, OBS } },
					  0, &late[i]), 0);
	__atomic_store_n(&gate, 1, __ATOMIC_RELEASE);
	ck_assert_err(mkrt_wait(rt, held, WAIT_MS, NULL), 0);
	for (int i = 0; i < 8; i++)
		ck_assert_err(mkrt_wait(rt, late[i], WAIT_MS, NULL), MKRT_ESHUTDOWN);
	ck_assert_err(mkrt_runtime_stop(rt, WAIT_MS), 0);
	ck_assert_uint_eq(mkrt_test_ctl(rt, OBS), 0);
	mkrt_runtime_close(rt);
}
END_TEST

START_TEST(stale_and_forged_tickets)
{
	struct mkrt_runtime *rt = open_host(8, 1);
	struct mkrt_ticket t;

	ck_assert_err(mkrt_submit(rt, &(struct mkrt_slot){ .opcode = MKRT_OP_NOP }, 0, &t), 0);
	ck_assert_err(mkrt_wait(rt, t, WAIT_MS, NULL), 0);
	ck_assert_err(mkrt_wait(rt, t, WAIT_MS, NULL), MKRT_ESTALE);
	ck_assert_err(mkrt_poll(rt, (struct mkrt_ticket){ 8, 1 }, NULL), MKRT_ESTALE);
	ck_assert_err(mkrt_poll(rt, (struct mkrt_ticket){ 0, 0xFFFFFFFF }, NULL), MKRT_ESTALE);
	ck_assert_err(mkrt_wait(NULL, t, 1, NULL), MKRT_EINVAL);
	ck_assert_err(mkrt_submit(rt, NULL, 0, &t), MKRT_EINVAL);
	ck_assert_err(mkrt_submit(rt, &(struct mkrt_slot){ .opcode = 0xFFF1 }, 0, &t), MKRT_EOPCODE);
	struct mkrt_slot bad = { .opcode = MKRT_OP_PACKED_SLOT, .args = { 9u | 3u << 8 } };
	ck_assert_err(mkrt_submit(rt, &bad, 0, &t), MKRT_EPACKED);
	/* refused submissions do not leak slots */
	for (int i = 0; i < 20; i++)
		ck_assert_err(mkrt_test_roundtrip(rt, op(MKRT_OP_NOP, 0, 0, 0), NULL), 0);
	mkrt_runtime_close(rt);
}
END_TEST

/* A batch: as many as the ring has free, in order, each with its ticket; a
 * bad opcode anywhere refuses the whole call before anything is published. */
START_TEST(submit_many_takes_what_is_free)
{
	struct mkrt_runtime *rt = open_host(8, 1);
	struct mkrt_slot reqs[12], res;
	struct mkrt_ticket t[12];

	for (uint32_t i = 0; i < 12; i++)
		reqs[i] = op(MKRT_OP_ATOMIC_ADD, i + 1, MKRT_CTL_OBS, 0);
	reqs[5].opcode = 0xFFF0u; /* reserved for the system */
	ck_assert_err(mkrt_submit_many(rt, reqs, 12, WAIT_MS, t), MKRT_EOPCODE);
	ck_assert_err(mkrt_submit_many(rt, reqs, 0, WAIT_MS, t), MKRT_EINVAL);
	ck_assert_err(mkrt_submit_many(NULL, reqs, 1, WAIT_MS, t), MKRT_EINVAL);
	ck_assert_uint_eq(mkrt_test_ctl(rt, MKRT_CTL_DONE_COUNT), 0);
	reqs[5].opcode = MKRT_OP_ATOMIC_ADD;
	int got = mkrt_submit_many(rt, reqs, 12, WAIT_MS, t);
	ck_assert_int_eq(got, 8); /* an 8-slot ring */
	for (int i = 0; i < got; i++)
		ck_assert_err(mkrt_wait(rt, t[i], WAIT_MS, &res), 0);
	ck_assert_int_eq(mkrt_submit_many(rt, reqs + 8, 4, WAIT_MS, t + 8), 4);
	for (int i = 8; i < 12; i++)
		ck_assert_err(mkrt_wait(rt, t[i], WAIT_MS, &res), 0);
	ck_assert_uint_eq(mkrt_test_ctl(rt, MKRT_CTL_OBS), 78); /* 1 + 2 + ... + 12 */
	ck_assert_uint_eq(mkrt_test_ctl(rt, MKRT_CTL_DONE_COUNT), 12);
	mkrt_runtime_close(rt);
}
END_TEST

START_TEST(full_ring_is_backpressure)
{
	struct mkrt_runtime *rt = open_host(4, 1);
	struct mkrt_slot r = op(MKRT_OP_NOP, 0, 0, 0);
	struct mkrt_ticket t[5];

	r.tenant = 2; /* denied: they stay PUBLISHED and hold their slots */
	for (int i = 0; i < 4; i++)
		ck_assert_err(mkrt_submit(rt, &r, 0, &t[i]), 0);
	ck_assert_err(mkrt_submit(rt, &r, 0, &t[4]), MKRT_ERINGFULL);
	ck_assert_err(mkrt_submit(rt, &r, 30, &t[4]), MKRT_ERINGFULL);
	ck_assert_err(mkrt_cancel(rt, t[1]), 0);
	r.tenant = 0;
	ck_assert_err(mkrt_submit(rt, &r, 0, &t[4]), 0);
	ck_assert_uint_eq(t[4].slot, t[1].slot);
	ck_assert_err(mkrt_wait(rt, t[4], WAIT_MS, NULL), 0);
	mkrt_runtime_close(rt);
}
END_TEST

START_TEST(shutdown_opcode_and_stop)
{
	struct mkrt_runtime *rt = open_host(8, 2);
	struct mkrt_slot r = op(MKRT_OP_NOP, 0, 0, 0);
	struct mkrt_ticket t;

	ck_assert_err(mkrt_test_roundtrip(rt, op(MKRT_OP_SHUTDOWN, 0, 0, 0), NULL), 0);
	ck_assert_uint_eq(mkrt_test_ctl(rt, MKRT_CTL_SHUTDOWN), 1);
	/* a slot submitted now is refused, or, if it slips in before the other
	 * lane has returned, reported by its wait: never run (the lane looks at
	 * SHUTDOWN again once it has claimed a slot), never left hanging */
	int err = mkrt_submit(rt, &r, 0, &t);
	if (err == 0)
		err = mkrt_wait(rt, t, WAIT_MS, NULL);
	ck_assert_err(err, MKRT_ESHUTDOWN);
	ck_assert_err(mkrt_runtime_stop(rt, WAIT_MS), 0);
	ck_assert_err(mkrt_runtime_stop(rt, WAIT_MS), 0); /* idempotent */
	mkrt_runtime_close(rt);

	/* stop with a slot in flight: its waiter is told, not left hanging */
	rt = open_host(8, 1);
	r.tenant = 5;
	ck_assert_err(mkrt_submit(rt, &r, 0, &t), 0);
	ck_assert_err(mkrt_runtime_stop(rt, WAIT_MS), 0);
	ck_assert_err(mkrt_wait(rt, t, WAIT_MS, NULL), MKRT_ESHUTDOWN);
	mkrt_runtime_close(rt);
}
END_TEST

START_TEST(printf_reaches_debug_log)
{
	struct mkrt_runtime *rt = open_host(8, 1);
	struct mkrt_debug_record rec[4];
	uint32_t count, overflow;

	ck_assert_err(mkrt_test_roundtrip(rt, op(MKRT_OP_PRINTF, 11, 22, 33), NULL), 0);
	ck_assert_err(mkrt_runtime_read_debug_log(rt, rec, 4, &count, &overflow), 1);
	ck_assert_uint_eq(count, 1);
	ck_assert_uint_eq(overflow, 0);
	ck_assert_uint_eq(rec[0].fmt_id, 11);
	ck_assert_uint_eq(rec[0].a2, 33);
	ck_assert_uint_eq(rec[0].slot_word % 16, 0);
	mkrt_runtime_close(rt);
}
END_TEST

static uint32_t add_handler(void *user, uint32_t opcode, uint32_t args[12], struct mkrt_ctx *ctx)
{
	(void)ctx;
	(void)user;
	(void)opcode;
	args[2] = args[0] + args[1];
	return 0;
}

START_TEST(user_handlers_and_dfa_from_config)
{
	struct mkrt_handler h = { 0x1000, add_handler, NULL };
	uint32_t dfa[256];
	struct mkrt_config cfg;
	struct mkrt_runtime *rt = NULL;
	struct mkrt_slot res;

	for (uint32_t i = 0; i < 256; i++)
		dfa[i] = i * 3;
	mkrt_config_init(&cfg);
	cfg.backend = "host";
	cfg.handlers = &h;
	cfg.handler_count = 1;
	cfg.dfa = dfa;
	cfg.dfa_words = 256;
	ck_assert_err(mkrt_runtime_open(&cfg, &rt), 0);
	memset(dfa, 0, sizeof(dfa)); /* the runtime keeps its own copy */
	ck_assert_err(mkrt_test_roundtrip(rt, op(0x1000, 40, 2, 0), &res), 0);
	ck_assert_uint_eq(res.args[2], 42);
	ck_assert_err(mkrt_test_roundtrip(rt, op(MKRT_OP_DFA_STEP, 0, 100, 1), NULL), 0);
	ck_assert_uint_eq(mkrt_test_ctl(rt, OBS + 1), 300);
	mkrt_runtime_close(rt);

	h.opcode = MKRT_OP_SHUTDOWN;
	ck_assert_err(mkrt_runtime_open(&cfg, &rt), MKRT_EHANDLER);
	cfg.handler_count = 0;
	cfg.slots = MKRT_MAX_ENTRIES + 1;
	ck_assert_err(mkrt_runtime_open(&cfg, &rt), MKRT_ETOOBIG);
	cfg.slots = 0;
	cfg.lanes = 1000;
	ck_assert_err(mkrt_runtime_open(&cfg, &rt), MKRT_EINVAL);
	ck_assert_err(mkrt_runtime_open(&cfg, NULL), MKRT_EINVAL);
}
END_TEST

START_TEST(raw_producer_consumer)
{
	struct mkrt_runtime *rt = open_host(4, 1);
	struct mkrt_producer p = mkrt_runtime_producer(rt);
	struct mkrt_consumer c = mkrt_runtime_consumer(rt);
	uint8_t bytes[64], back[64];
	uint32_t id = 0;
	bool pf = false;

	ck_assert_str_eq(mkrt_producer_name(&p), "host");
	ck_assert_err(mkrt_encode_load_miss(77, true, bytes), 0);
	ck_assert_err(mkrt_producer_publish(&p, 1, bytes), 0);
	/* no IO servicer yet: the executor faults it, the request stays readable */
	for (;;) { /* the suite's timeout is the watchdog */
		ck_assert_err(mkrt_consumer_read_slot(&c, 1, back), 0);
		if (back[0] == MKRT_STATUS_FAULT)
			break;
		ck_assert_uint_ne(back[0], MKRT_STATUS_DONE);
		usleep(1000);
	}
	ck_assert_err(mkrt_decode_load_miss(back, 64, 0, &id, &pf), 0);
	ck_assert_uint_eq(id, 77);
	ck_assert(pf);
	ck_assert_err(mkrt_producer_publish(&p, 9, bytes), MKRT_ERANGE);
	mkrt_runtime_close(rt);
}
END_TEST

START_TEST(open_close_cycles)
{
	for (int i = 0; i < 100; i++) {
		struct mkrt_runtime *rt = open_host(8, 2);
		ck_assert_err(mkrt_test_roundtrip(rt, op(MKRT_OP_NOP, 0, 0, 0), NULL), 0);
		mkrt_runtime_close(rt);
	}
	mkrt_runtime_close(NULL);
}
END_TEST

/* ---- a million slots from several producers ---------------------------------------- */

#define PRODUCERS 4u
#define TOTAL 1000000u
#define WINDOW 24u

struct producer {
	struct mkrt_runtime *rt;
	uint32_t index;
	uint32_t sent;
	uint32_t bad;      /* results that did not match their request */
	int err;
};

/* Keep WINDOW requests in flight; each adds 1 to this producer's counter and
 * carries a unique serial that must come back in the same ticket's result. */
static void *produce(void *arg)
{
	struct producer *p = arg;
	struct mkrt_ticket t[WINDOW];
	uint32_t serial[WINDOW];
	uint32_t n = TOTAL / PRODUCERS;
	struct mkrt_slot res;

	for (uint32_t i = 0; i < n + WINDOW; i++) {
		uint32_t w = i % WINDOW;
		if (i >= WINDOW) {
			int err = mkrt_wait(p->rt, t[w], WAIT_MS, &res);
			if (err) {
				p->err = err;
				return NULL;
			}
			p->bad += res.args[3] != serial[w] || res.args[1] != OBS + p->index;
		}
		if (i >= n)
			continue;
		struct mkrt_slot r = op(MKRT_OP_ATOMIC_ADD, 1, OBS + p->index, 0);
		serial[w] = r.args[3] = p->index << 24 | i;
		int err = mkrt_submit(p->rt, &r, WAIT_MS, &t[w]);
		if (err) {
			p->err = err;
			return NULL;
		}
		p->sent++;
	}
	return NULL;
}

START_TEST(million_slots_many_producers)
{
	/* every producer's window fits the ring at once, or they would starve
	 * each other of slots while holding unfinished tickets */
	struct mkrt_runtime *rt = open_host(PRODUCERS * WINDOW, 2);
	struct producer p[PRODUCERS];
	pthread_t th[PRODUCERS];

	for (uint32_t i = 0; i < PRODUCERS; i++) {
		p[i] = (struct producer){ .rt = rt, .index = i };
		ck_assert_int_eq(pthread_create(&th[i], NULL, produce, &p[i]), 0);
	}
	for (uint32_t i = 0; i < PRODUCERS; i++)
		pthread_join(th[i], NULL);
	for (uint32_t i = 0; i < PRODUCERS; i++) {
		ck_assert_err(p[i].err, 0);
		ck_assert_uint_eq(p[i].sent, TOTAL / PRODUCERS);
		ck_assert_uint_eq(p[i].bad, 0);
		/* exactly once: a lost slot leaves it short, a duplicate over */
		ck_assert_uint_eq(mkrt_test_ctl(rt, OBS + i), TOTAL / PRODUCERS);
	}
	ck_assert_uint_eq(mkrt_test_ctl(rt, MKRT_CTL_DONE_COUNT), TOTAL);
	ck_assert_uint_eq(mkrt_test_ctl(rt, MKRT_CTL_METRICS + MKRT_OP_ATOMIC_ADD), TOTAL);
	ck_assert_uint_eq(mkrt_test_ctl(rt, MKRT_CTL_FAULT_COUNT), 0);
	mkrt_runtime_close(rt);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("runtime");
	TCase *api = mkrt_tcase(s, "api", 30);
	TCase *life = mkrt_tcase(s, "lifecycle", 60);
	TCase *stress = mkrt_tcase(s, "stress", 300);

	tcase_add_test(api, submit_and_wait);
	tcase_add_test(api, faults_are_reported_and_slots_reused);
	tcase_add_test(api, denied_tenant_times_out_and_cancels);
	tcase_add_test(api, claimed_slot_cannot_be_cancelled);
	tcase_add_test(api, held_lane_starts_nothing_after_shutdown);
	tcase_add_test(api, stale_and_forged_tickets);
	tcase_add_test(api, full_ring_is_backpressure);
	tcase_add_test(api, submit_many_takes_what_is_free);
	tcase_add_test(api, printf_reaches_debug_log);
	tcase_add_test(api, user_handlers_and_dfa_from_config);
	tcase_add_test(api, raw_producer_consumer);
	tcase_add_test(life, shutdown_opcode_and_stop);
	tcase_add_test(life, open_close_cycles);
	tcase_add_test(stress, million_slots_many_producers);
	return mkrt_run_suite(s);
}
