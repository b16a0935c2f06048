/* SPDX-License-Identifier: MIT */
/*
 * check_publish.c - validated publish, batches, host transitions and the
 * producer/consumer interfaces. Every refusal must leave the ring
 * byte-identical.
 */
#include "suite.h"
#include "internal.h" /* mkrt__slot_reset_owned */

#define SLOTS 8u
#define WORDS (SLOTS * MKRT_SLOT_WORDS)

static uint32_t ring[WORDS], before[WORDS];

static void ring_reset(void)
{
	memset(ring, 0, sizeof(ring));
}

static void snapshot(void)
{
	memcpy(before, ring, sizeof(ring));
}

static void assert_unchanged(void)
{
	ck_assert_mem_eq(ring, before, sizeof(ring));
}

static uint32_t *slot_words(uint32_t s)
{
	return ring + s * MKRT_SLOT_WORDS;
}

static struct mkrt_slot req(uint32_t opcode, uint32_t a0, uint32_t a1, uint32_t a2)
{
	struct mkrt_slot r = { .opcode = opcode, .args = { a0, a1, a2 } };
	return r;
}

/* ---- mkrt_publish ---------------------------------------------------------- */

START_TEST(publish_writes_payload_then_status)
{
	struct mkrt_slot r = req(MKRT_OP_STORE_U32, 5, 170, 0);

	ring_reset();
	r.tenant = 2;
	r.priority = 1;
	ck_assert_err(mkrt_publish(ring, WORDS, 3, &r, 2), 0);
	ck_assert_uint_eq(slot_words(3)[0], MKRT_STATUS_PUBLISHED);
	ck_assert_uint_eq(slot_words(3)[1], MKRT_OP_STORE_U32);
	ck_assert_uint_eq(slot_words(3)[2], 2);
	ck_assert_uint_eq(slot_words(3)[3], 1);
	ck_assert_uint_eq(slot_words(3)[4], 5);
	ck_assert_uint_eq(slot_words(3)[5], 170);
	/* neighbours untouched */
	ck_assert_uint_eq(slot_words(2)[15], 0);
	ck_assert_uint_eq(slot_words(4)[0], 0);
}
END_TEST

START_TEST(publish_into_done_clears_stale_args)
{
	struct mkrt_slot r = req(MKRT_OP_NOP, 1, 2, 3);

	ring_reset();
	for (uint32_t i = 0; i < MKRT_SLOT_WORDS; i++)
		slot_words(1)[i] = 0xCAFE0000u + i;
	slot_words(1)[0] = MKRT_STATUS_DONE;
	r.args[5] = 99; /* beyond nargs: must not appear */
	ck_assert_err(mkrt_publish(ring, WORDS, 1, &r, 2), 0);
	ck_assert_uint_eq(slot_words(1)[4], 1);
	ck_assert_uint_eq(slot_words(1)[5], 2);
	for (uint32_t i = 6; i < MKRT_SLOT_WORDS; i++)
		ck_assert_uint_eq(slot_words(1)[i], 0);
}
END_TEST

START_TEST(publish_refuses_busy_slots)
{
	static const uint32_t busy[] = { MKRT_STATUS_PUBLISHED, MKRT_STATUS_CLAIMED,
					 MKRT_STATUS_WAIT_IO,   MKRT_STATUS_YIELD,
					 MKRT_STATUS_REQUEUE,   MKRT_STATUS_FAULT, 0x1234 };
	struct mkrt_slot r = req(MKRT_OP_NOP, 1, 2, 3);

	for (size_t i = 0; i < sizeof(busy) / sizeof(busy[0]); i++) {
		ring_reset();
		slot_words(0)[0] = busy[i];
		slot_words(0)[7] = 0xBEEF;
		snapshot();
		ck_assert_err(mkrt_publish(ring, WORDS, 0, &r, 3), MKRT_ESTATE);
		assert_unchanged();
	}
}
END_TEST

START_TEST(publish_refuses_bad_requests)
{
	static const uint32_t reserved[] = { 0xFFF0u, 0xFFFCu, 0x80000000u, 0x80000002u,
					     0xFFFFFFFEu };
	struct mkrt_slot r = req(MKRT_OP_NOP, 0, 0, 0);

	ring_reset();
	slot_words(5)[9] = 0x5555;
	snapshot();
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		r.opcode = reserved[i];
		ck_assert_err(mkrt_publish(ring, WORDS, 5, &r, 0), MKRT_EOPCODE);
	}
	r.opcode = MKRT_OP_NOP;
	ck_assert_err(mkrt_publish(ring, WORDS, 5, &r, 13), MKRT_EARGS);
	ck_assert_err(mkrt_publish(ring, WORDS, SLOTS, &r, 0), MKRT_ERANGE);
	ck_assert_err(mkrt_publish(ring, WORDS, UINT32_MAX, &r, 0), MKRT_ERANGE);
	ck_assert_err(mkrt_publish(ring, WORDS - 1, 0, &r, 0), MKRT_EALIGN);
	ck_assert_err(mkrt_publish(ring, 0, 0, &r, 0), MKRT_EINVAL);
	ck_assert_err(mkrt_publish(NULL, WORDS, 0, &r, 0), MKRT_EINVAL);
	ck_assert_err(mkrt_publish(ring, WORDS, 0, NULL, 0), MKRT_EINVAL);

	r.opcode = MKRT_OP_PACKED_SLOT; /* op count 9 */
	r.args[0] = 9u | 3u << 8;
	ck_assert_err(mkrt_publish(ring, WORDS, 5, &r, 12), MKRT_EPACKED);
	r.args[0] = 1u | 3u << 8 | 9u << 16; /* inner opcode 9: not a builtin */
	ck_assert_err(mkrt_publish(ring, WORDS, 5, &r, 12), MKRT_EPACKED);
	r.args[0] = 1u | 3u << 8; /* well formed, but its metadata is cut by nargs = 0 */
	ck_assert_err(mkrt_publish(ring, WORDS, 5, &r, 0), MKRT_EPACKED);
	assert_unchanged();
}
END_TEST

START_TEST(publishable_opcodes)
{
	ck_assert(mkrt_opcode_publishable(MKRT_OP_NOP));
	ck_assert(mkrt_opcode_publishable(MKRT_OP_BATCH_FENCE));
	ck_assert(mkrt_opcode_publishable(MKRT_OP_LOAD_MISS));
	ck_assert(mkrt_opcode_publishable(MKRT_OP_PRINTF));
	ck_assert(mkrt_opcode_publishable(MKRT_OP_PACKED_SLOT));
	ck_assert(mkrt_opcode_publishable(MKRT_OP_SHUTDOWN));
	ck_assert(mkrt_opcode_publishable(8));
	ck_assert(mkrt_opcode_publishable(0xFFEF));
	ck_assert(mkrt_opcode_publishable(0x10000));
	ck_assert(!mkrt_opcode_publishable(0xFFF0));
	ck_assert(!mkrt_opcode_publishable(0x80000000u));
	ck_assert(mkrt_user_opcode(8));
	ck_assert(!mkrt_user_opcode(7));
	ck_assert(!mkrt_user_opcode(MKRT_OP_LOAD_MISS));
	ck_assert(!mkrt_user_opcode(MKRT_OP_PACKED_SLOT));
}
END_TEST

/* ---- batches ----------------------------------------------------------------- */

START_TEST(batch_publishes_requests_and_fence)
{
	struct mkrt_slot r[3] = { req(MKRT_OP_STORE_U32, 1, 160, 0),
				  req(MKRT_OP_ATOMIC_ADD, 2, 161, 0),
				  req(MKRT_OP_NOP, 0, 0, 0) };

	ring_reset();
	/* starts at slot 6 of 8: wraps to 0, 1 (fence in 1) */
	ck_assert_err(mkrt_publish_batch(ring, WORDS, 6, r, 3, 0xF00D), 1);
	ck_assert_uint_eq(slot_words(6)[1], MKRT_OP_STORE_U32);
	ck_assert_uint_eq(slot_words(7)[1], MKRT_OP_ATOMIC_ADD);
	ck_assert_uint_eq(slot_words(0)[1], MKRT_OP_NOP);
	ck_assert_uint_eq(slot_words(1)[1], MKRT_OP_BATCH_FENCE);
	ck_assert_uint_eq(slot_words(1)[5], 0xF00D);
	for (uint32_t s = 0; s < SLOTS; s++) {
		bool in_batch = s >= 6 || s <= 1;
		ck_assert_uint_eq(slot_words(s)[0], in_batch ? MKRT_STATUS_PUBLISHED : 0);
	}
}
END_TEST

START_TEST(batch_is_all_or_nothing)
{
	struct mkrt_slot r[3] = { req(MKRT_OP_NOP, 0, 0, 0), req(0xFFF1, 0, 0, 0),
				  req(MKRT_OP_NOP, 0, 0, 0) };

	ring_reset();
	snapshot();
	ck_assert_err(mkrt_publish_batch(ring, WORDS, 0, r, 3, 1), MKRT_EOPCODE);
	assert_unchanged();

	r[1].opcode = MKRT_OP_NOP;
	slot_words(3)[0] = MKRT_STATUS_CLAIMED; /* the fence's slot is busy */
	snapshot();
	ck_assert_err(mkrt_publish_batch(ring, WORDS, 0, r, 3, 1), MKRT_ESTATE);
	assert_unchanged();
	ck_assert_err(mkrt_publish_batch(ring, WORDS, 0, r, SLOTS, 1), MKRT_ERANGE);
	ck_assert_err(mkrt_publish_batch(ring, WORDS, SLOTS, r, 1, 1), MKRT_ERANGE);
	ck_assert_err(mkrt_publish_batch(ring, WORDS, 0, NULL, 1, 1), MKRT_EINVAL);
	assert_unchanged();
	/* an empty batch is just its fence */
	ck_assert_err(mkrt_publish_batch(ring, WORDS, 4, NULL, 0, 9), 4);
	ck_assert_uint_eq(slot_words(4)[1], MKRT_OP_BATCH_FENCE);
}
END_TEST

/* ---- transitions --------------------------------------------------------------- */

START_TEST(edge_table)
{
	int legal = 0;

	for (uint32_t from = 0; from < 9; from++)
		for (uint32_t to = 0; to < 9; to++)
			legal += mkrt_slot_edge_legal(from, to);
	ck_assert_int_eq(legal, 8);
	ck_assert(mkrt_slot_edge_legal(MKRT_STATUS_EMPTY, MKRT_STATUS_PUBLISHED));
	ck_assert(mkrt_slot_edge_legal(MKRT_STATUS_DONE, MKRT_STATUS_PUBLISHED));
	ck_assert(mkrt_slot_edge_legal(MKRT_STATUS_PUBLISHED, MKRT_STATUS_CLAIMED));
	ck_assert(mkrt_slot_edge_legal(MKRT_STATUS_PUBLISHED, MKRT_STATUS_EMPTY));
	ck_assert(mkrt_slot_edge_legal(MKRT_STATUS_CLAIMED, MKRT_STATUS_DONE));
	ck_assert(mkrt_slot_edge_legal(MKRT_STATUS_CLAIMED, MKRT_STATUS_FAULT));
	ck_assert(mkrt_slot_edge_legal(MKRT_STATUS_DONE, MKRT_STATUS_EMPTY));
	ck_assert(mkrt_slot_edge_legal(MKRT_STATUS_FAULT, MKRT_STATUS_EMPTY));
	ck_assert(!mkrt_slot_edge_legal(MKRT_STATUS_FAULT, MKRT_STATUS_PUBLISHED));
	ck_assert(!mkrt_slot_edge_legal(MKRT_STATUS_EMPTY, MKRT_STATUS_DONE));
}
END_TEST

typedef int (*transition_fn)(uint32_t *, size_t, uint32_t);

/* For each status, @fn must succeed exactly from the statuses in @legal_from. */
static void check_transition(transition_fn fn, uint32_t legal_from_mask, uint32_t to)
{
	for (uint32_t from = 0; from < MKRT_STATUS_COUNT + 1; from++) {
		ring_reset();
		slot_words(2)[0] = from;
		slot_words(2)[15] = 0x77;
		snapshot();
		int err = fn(ring, WORDS, 2);
		if (from < MKRT_STATUS_COUNT && legal_from_mask & (1u << from)) {
			ck_assert_err(err, 0);
			ck_assert_uint_eq(slot_words(2)[0], to);
			ck_assert_uint_eq(slot_words(2)[15], 0x77);
		} else {
			ck_assert_err(err, MKRT_ESTATE);
			assert_unchanged();
		}
	}
	ck_assert_err(fn(ring, WORDS, SLOTS), MKRT_ERANGE);
	ck_assert_err(fn(NULL, WORDS, 0), MKRT_EINVAL);
}

START_TEST(transitions_follow_table)
{
	check_transition(mkrt_slot_claim, 1u << MKRT_STATUS_PUBLISHED, MKRT_STATUS_CLAIMED);
	check_transition(mkrt_slot_done, 1u << MKRT_STATUS_CLAIMED, MKRT_STATUS_DONE);
	check_transition(mkrt_slot_cancel, 1u << MKRT_STATUS_PUBLISHED, MKRT_STATUS_EMPTY);
	check_transition(mkrt_slot_reset, 1u << MKRT_STATUS_DONE | 1u << MKRT_STATUS_FAULT,
			 MKRT_STATUS_EMPTY);
	/* the store-based reset of backends without host RMWs: the same edge */
	check_transition(mkrt__slot_reset_owned, 1u << MKRT_STATUS_DONE | 1u << MKRT_STATUS_FAULT,
			 MKRT_STATUS_EMPTY);
}
END_TEST

START_TEST(fault_writes_reason_only_when_legal)
{
	for (uint32_t from = 0; from < MKRT_STATUS_COUNT; from++) {
		ring_reset();
		slot_words(2)[0] = from;
		slot_words(2)[15] = 0x77;
		snapshot();
		int err = mkrt_slot_fault(ring, WORDS, 2, MKRT_FAULT_HANDLER);
		if (from == MKRT_STATUS_CLAIMED) {
			ck_assert_err(err, 0);
			ck_assert_uint_eq(slot_words(2)[0], MKRT_STATUS_FAULT);
			ck_assert_uint_eq(slot_words(2)[15], MKRT_FAULT_HANDLER);
		} else {
			ck_assert_err(err, MKRT_ESTATE);
			assert_unchanged();
		}
	}
	ck_assert_err(mkrt_slot_fault(ring, WORDS, SLOTS, 1), MKRT_ERANGE);
}
END_TEST

START_TEST(read_slot_copies_words)
{
	struct mkrt_slot s;

	ring_reset();
	for (uint32_t i = 0; i < MKRT_SLOT_WORDS; i++)
		slot_words(7)[i] = 100 + i;
	ck_assert_err(mkrt_ring_read_slot(ring, WORDS, 7, &s), 0);
	ck_assert_uint_eq(s.status, 100);
	ck_assert_uint_eq(s.args[11], 115);
	ck_assert_err(mkrt_ring_read_slot(ring, WORDS, 8, &s), MKRT_ERANGE);
	ck_assert_err(mkrt_ring_read_slot(ring, WORDS, 0, NULL), MKRT_EINVAL);
}
END_TEST

/* ---- producer / consumer ---------------------------------------------------------- */

START_TEST(host_ring_producer_consumer)
{
	struct mkrt_host_ring *hr;
	uint8_t bytes[64], back[64];
	uint32_t done = 99, id;
	bool pf;

	ck_assert_err(mkrt_host_ring_new(4, &hr), 0);
	struct mkrt_producer p = mkrt_host_ring_producer(hr);
	struct mkrt_consumer c = mkrt_host_ring_consumer(hr);
	ck_assert_str_eq(mkrt_producer_name(&p), "host-ring");
	ck_assert_uint_eq(mkrt_producer_slot_count(&p), 4);
	ck_assert_uint_eq(mkrt_consumer_slot_count(&c), 4);

	ck_assert_err(mkrt_encode_load_miss(123, true, bytes), 0);
	ck_assert_err(mkrt_producer_publish(&p, 2, bytes), 0);
	ck_assert_err(mkrt_consumer_read_slot(&c, 2, back), 0);
	ck_assert_mem_eq(bytes, back, 64); /* vyre's bytes, exactly */
	ck_assert_err(mkrt_decode_load_miss(back, 64, 0, &id, &pf), 0);
	ck_assert_uint_eq(id, 123);
	ck_assert(pf);

	/* the slot is now PUBLISHED: a second publish is refused */
	ck_assert_err(mkrt_producer_publish(&p, 2, bytes), MKRT_ESTATE);
	ck_assert_err(mkrt_producer_publish(&p, 4, bytes), MKRT_ERANGE);
	ck_assert_err(mkrt_producer_publish(&p, 0, NULL), MKRT_EINVAL);
	ck_assert_err(mkrt_producer_publish(NULL, 0, bytes), MKRT_EINVAL);
	ck_assert_err(mkrt_consumer_read_slot(&c, 4, back), MKRT_ERANGE);

	uint32_t *w = mkrt_host_ring_words(hr);
	ck_assert_uint_eq(mkrt_host_ring_word_count(hr), 64);
	ck_assert_err(mkrt_consumer_done_count(&c, &done), 0);
	ck_assert_uint_eq(done, 0);
	ck_assert_err(mkrt_slot_claim(w, 64, 2), 0);
	ck_assert_err(mkrt_slot_done(w, 64, 2), 0);
	ck_assert_err(mkrt_consumer_done_count(&c, &done), 0);
	ck_assert_uint_eq(done, 1);
	ck_assert_err(mkrt_consumer_done_count(&c, NULL), MKRT_EINVAL);
	mkrt_host_ring_free(hr);
	ck_assert_err(mkrt_host_ring_new(0, &hr), MKRT_EINVAL);
	ck_assert_err(mkrt_host_ring_new(MKRT_MAX_ENTRIES + 1, &hr), MKRT_ETOOBIG);
}
END_TEST

/* A consumer with its own done_count hook: the dispatcher must use it. */
static int fixed_read(void *self, uint32_t slot, uint8_t out[64])
{
	(void)self;
	(void)slot;
	memset(out, 0, 64);
	return 0;
}

static int fixed_done(void *self, uint32_t *count)
{
	*count = *(uint32_t *)self;
	return 0;
}

static uint32_t fixed_slots(void *self)
{
	(void)self;
	return 16;
}

START_TEST(consumer_done_count_hook_and_default)
{
	uint32_t value = 42, done = 0;
	struct mkrt_consumer_ops ops = { "fixed", fixed_read, fixed_done, fixed_slots };
	struct mkrt_consumer c = { &ops, &value };

	ck_assert_err(mkrt_consumer_done_count(&c, &done), 0);
	ck_assert_uint_eq(done, 42);
	ops.done_count = NULL; /* the default walks: all EMPTY */
	ck_assert_err(mkrt_consumer_done_count(&c, &done), 0);
	ck_assert_uint_eq(done, 0);
	ops.read_slot = NULL; /* a required hook missing */
	ck_assert_err(mkrt_consumer_done_count(&c, &done), MKRT_EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("publish");
	TCase *pub = mkrt_tcase(s, "publish", 10);
	TCase *batch = mkrt_tcase(s, "batch", 10);
	TCase *tr = mkrt_tcase(s, "transitions", 10);
	TCase *iface = mkrt_tcase(s, "interfaces", 10);

	tcase_add_test(pub, publish_writes_payload_then_status);
	tcase_add_test(pub, publish_into_done_clears_stale_args);
	tcase_add_test(pub, publish_refuses_busy_slots);
	tcase_add_test(pub, publish_refuses_bad_requests);
	tcase_add_test(pub, publishable_opcodes);
	tcase_add_test(batch, batch_publishes_requests_and_fence);
	tcase_add_test(batch, batch_is_all_or_nothing);
	tcase_add_test(tr, edge_table);
	tcase_add_test(tr, transitions_follow_table);
	tcase_add_test(tr, fault_writes_reason_only_when_legal);
	tcase_add_test(tr, read_slot_copies_words);
	tcase_add_test(iface, host_ring_producer_consumer);
	tcase_add_test(iface, consumer_done_count_hook_and_default);
	return mkrt_run_suite(s);
}
