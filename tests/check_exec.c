/* SPDX-License-Identifier: MIT */
/*
 * check_exec.c - the reference executor, one opcode at a time: effects,
 * metrics, DONE_COUNT, FAULT reasons, tenants, packed slots, debug log.
 */
#include "suite.h"
#include "internal.h"

#include <pthread.h>

#define SLOTS 8u
#define OBSW 16u
#define W (MKRT_CTL_OBS + OBSW) /* 176 control words */
#define OBS MKRT_CTL_OBS
#define LOG_RECORDS 4u

static uint32_t ring[SLOTS * MKRT_SLOT_WORDS];
static uint32_t ctl[W];
static uint32_t dbg[1 + LOG_RECORDS * 4];
static uint32_t dfa[2 * 256];
static struct mkrt_exec_buffers b;

static void fixture(void)
{
	memset(ring, 0, sizeof(ring));
	memset(dbg, 0, sizeof(dbg));
	ck_assert_err(mkrt_encode_control_into(NULL, (uint8_t *)ctl, sizeof(ctl)), 0);
	for (uint32_t i = 0; i < 2 * 256; i++)
		dfa[i] = 0xD0000000u + i;
	b = (struct mkrt_exec_buffers){
		.ring = ring, .slot_count = SLOTS, .control = ctl, .control_words = W,
		.debug_log = dbg, .debug_words = sizeof(dbg) / 4, .dfa = dfa, .dfa_words = 2 * 256,
	};
}

static uint32_t *sw(uint32_t s)
{
	return ring + s * MKRT_SLOT_WORDS;
}

static void put(uint32_t s, uint32_t op, uint32_t a0, uint32_t a1, uint32_t a2)
{
	struct mkrt_slot r = { .opcode = op, .args = { a0, a1, a2 } };
	if (sw(s)[0] == MKRT_STATUS_FAULT) /* terminal until the host resets it */
		ck_assert_err(mkrt_slot_reset(ring, SLOTS * MKRT_SLOT_WORDS, s), 0);
	ck_assert_err(mkrt_publish(ring, SLOTS * MKRT_SLOT_WORDS, s, &r, 3), 0);
}

/* Publish one op in slot 0, run it, return its final status. */
static uint32_t run1(uint32_t op, uint32_t a0, uint32_t a1, uint32_t a2)
{
	put(0, op, a0, a1, a2);
	ck_assert_err(mkrt_reference_drain(&b), 1);
	return sw(0)[0];
}

static void assert_fault(uint32_t reason)
{
	ck_assert_uint_eq(sw(0)[0], MKRT_STATUS_FAULT);
	ck_assert_uint_eq(sw(0)[MKRT_SLOT_FAULT_REASON], reason);
}

START_TEST(nop_counts)
{
	fixture();
	ck_assert_uint_eq(run1(MKRT_OP_NOP, 0, 0, 0), MKRT_STATUS_DONE);
	ck_assert_uint_eq(ctl[MKRT_CTL_METRICS + MKRT_OP_NOP], 1);
	ck_assert_uint_eq(ctl[MKRT_CTL_DONE_COUNT], 1);
	ck_assert_uint_eq(ctl[MKRT_CTL_FAULT_COUNT], 0);
	ck_assert_err(mkrt_reference_drain(&b), 0); /* nothing left */
}
END_TEST

START_TEST(store_u32)
{
	fixture();
	ck_assert_uint_eq(run1(MKRT_OP_STORE_U32, 0x55, OBS + 3, 0), MKRT_STATUS_DONE);
	ck_assert_uint_eq(ctl[OBS + 3], 0x55);
	ck_assert_uint_eq(ctl[MKRT_CTL_METRICS + 1], 1);
	ck_assert_uint_eq(run1(MKRT_OP_STORE_U32, 0x66, W - 1, 0), MKRT_STATUS_DONE);
	ck_assert_uint_eq(ctl[W - 1], 0x66);

	uint32_t before[W];
	memcpy(before, ctl, sizeof(ctl));
	run1(MKRT_OP_STORE_U32, 0x77, W, 0);
	assert_fault(MKRT_FAULT_OUT_OF_RANGE);
	/* only the counters moved */
	before[MKRT_CTL_METRICS + 1]++;
	before[MKRT_CTL_DONE_COUNT]++;
	before[MKRT_CTL_FAULT_COUNT]++;
	ck_assert_mem_eq(ctl, before, sizeof(ctl));
	ck_assert_uint_eq(ctl[MKRT_CTL_DONE_COUNT], 3); /* DONE and FAULT both count */
}
END_TEST

START_TEST(atomic_add_wraps)
{
	fixture();
	ctl[OBS + 1] = 0xFFFFFFFFu;
	ck_assert_uint_eq(run1(MKRT_OP_ATOMIC_ADD, 2, OBS + 1, 0), MKRT_STATUS_DONE);
	ck_assert_uint_eq(ctl[OBS + 1], 1);
	run1(MKRT_OP_ATOMIC_ADD, 1, UINT32_MAX, 0);
	assert_fault(MKRT_FAULT_OUT_OF_RANGE);
}
END_TEST

START_TEST(load_u32)
{
	fixture();
	ctl[OBS + 9] = 0xABC;
	ck_assert_uint_eq(run1(MKRT_OP_LOAD_U32, OBS + 9, 2, 0), MKRT_STATUS_DONE);
	ck_assert_uint_eq(ctl[OBS + 2], 0xABC);
	ck_assert_uint_eq(run1(MKRT_OP_LOAD_U32, MKRT_CTL_TENANT_BASE, OBSW - 1, 0), MKRT_STATUS_DONE);
	ck_assert_uint_eq(ctl[W - 1], 3);
	run1(MKRT_OP_LOAD_U32, W, 0, 0);
	assert_fault(MKRT_FAULT_OUT_OF_RANGE);
	run1(MKRT_OP_LOAD_U32, 0, OBSW, 0);
	assert_fault(MKRT_FAULT_OUT_OF_RANGE);
	run1(MKRT_OP_LOAD_U32, 0, UINT32_MAX, 0); /* OBS + a1 must not wrap */
	assert_fault(MKRT_FAULT_OUT_OF_RANGE);
}
END_TEST

START_TEST(compare_swap)
{
	fixture();
	/* a0 = 5: CAS on C[5], previous value into C[OBS + 5] */
	ctl[5] = 0;
	ck_assert_uint_eq(run1(MKRT_OP_COMPARE_SWAP, 5, 0, 9), MKRT_STATUS_DONE);
	ck_assert_uint_eq(ctl[5], 9);
	ck_assert_uint_eq(ctl[OBS + 5], 0);
	ck_assert_uint_eq(run1(MKRT_OP_COMPARE_SWAP, 5, 1, 7), MKRT_STATUS_DONE);
	ck_assert_uint_eq(ctl[5], 9); /* expected 1 != 9: unchanged */
	ck_assert_uint_eq(ctl[OBS + 5], 9);
	run1(MKRT_OP_COMPARE_SWAP, OBSW, 0, 1); /* OBS + a0 == W */
	assert_fault(MKRT_FAULT_OUT_OF_RANGE);
	run1(MKRT_OP_COMPARE_SWAP, UINT32_MAX, 0, 1);
	assert_fault(MKRT_FAULT_OUT_OF_RANGE);
	ck_assert_uint_eq(ctl[MKRT_CTL_METRICS + 4], 4);
}
END_TEST

START_TEST(memcpy_ascending)
{
	fixture();
	for (uint32_t i = 0; i < 4; i++)
		ctl[OBS + i] = i + 1;
	/* overlapping, ascending word by word: smears the first word */
	ck_assert_uint_eq(run1(MKRT_OP_MEMCPY, OBS, OBS + 1, 3), MKRT_STATUS_DONE);
	for (uint32_t i = 0; i < 4; i++)
		ck_assert_uint_eq(ctl[OBS + i], 1);
	ck_assert_uint_eq(run1(MKRT_OP_MEMCPY, MKRT_CTL_TENANT_BASE, OBS + 8, 2), MKRT_STATUS_DONE);
	ck_assert_uint_eq(ctl[OBS + 8], 3);
	ck_assert_uint_eq(ctl[OBS + 9], 1);
	ck_assert_uint_eq(run1(MKRT_OP_MEMCPY, W, W, 0), MKRT_STATUS_DONE); /* empty */

	uint32_t before[W];
	memcpy(before, ctl, sizeof(ctl));
	run1(MKRT_OP_MEMCPY, OBS, W - 2, 3); /* destination overruns: nothing written */
	assert_fault(MKRT_FAULT_OUT_OF_RANGE);
	run1(MKRT_OP_MEMCPY, W - 1, OBS, 2); /* source overruns */
	assert_fault(MKRT_FAULT_OUT_OF_RANGE);
	run1(MKRT_OP_MEMCPY, 1, OBS, UINT32_MAX); /* length must not wrap */
	assert_fault(MKRT_FAULT_OUT_OF_RANGE);
	for (uint32_t i = MKRT_CTL_OBS; i < W; i++)
		ck_assert_uint_eq(ctl[i], before[i]);
}
END_TEST

START_TEST(dfa_step)
{
	fixture();
	ck_assert_uint_eq(run1(MKRT_OP_DFA_STEP, 1, 7, 4), MKRT_STATUS_DONE);
	ck_assert_uint_eq(ctl[OBS + 4], 0xD0000000u + 256 + 7);
	run1(MKRT_OP_DFA_STEP, 0, 256, 0);
	assert_fault(MKRT_FAULT_OUT_OF_RANGE);
	run1(MKRT_OP_DFA_STEP, 2, 0, 0); /* 512 >= D */
	assert_fault(MKRT_FAULT_OUT_OF_RANGE);
	run1(MKRT_OP_DFA_STEP, 0x01000000u, 0, 0); /* a0 * 256 must not wrap to 0 */
	assert_fault(MKRT_FAULT_OUT_OF_RANGE);
	run1(MKRT_OP_DFA_STEP, 0, 0, OBSW);
	assert_fault(MKRT_FAULT_OUT_OF_RANGE);
	b.dfa = NULL;
	b.dfa_words = 0;
	run1(MKRT_OP_DFA_STEP, 0, 0, 0);
	assert_fault(MKRT_FAULT_OUT_OF_RANGE);
}
END_TEST

START_TEST(batch_fence)
{
	fixture();
	ck_assert_uint_eq(run1(MKRT_OP_BATCH_FENCE, 0, 0xF00D, 0), MKRT_STATUS_DONE);
	ck_assert_uint_eq(ctl[MKRT_CTL_EPOCH], 1);
	ck_assert_uint_eq(ctl[OBS], 0xF00D);
	struct mkrt_slot r[2] = { { .opcode = MKRT_OP_STORE_U32, .args = { 4, OBS + 1 } },
				  { .opcode = MKRT_OP_ATOMIC_ADD, .args = { 1, OBS + 1 } } };
	ck_assert_err(mkrt_publish_batch(ring, SLOTS * MKRT_SLOT_WORDS, 1, r, 2, 0xBEE), 3);
	ck_assert_err(mkrt_reference_drain(&b), 3);
	ck_assert_uint_eq(ctl[OBS + 1], 5);
	ck_assert_uint_eq(ctl[MKRT_CTL_EPOCH], 2);
	ck_assert_uint_eq(ctl[OBS], 0xBEE);
}
END_TEST

START_TEST(printf_and_log_overflow)
{
	struct mkrt_debug_record rec[LOG_RECORDS];
	uint32_t count, overflow;

	fixture();
	for (uint32_t round = 0; round < 6; round++) {
		put(round % SLOTS, MKRT_OP_PRINTF, 100 + round, round, 7);
		ck_assert_err(mkrt_reference_drain(&b), 1);
		ck_assert_uint_eq(sw(round % SLOTS)[0], MKRT_STATUS_DONE);
	}
	ck_assert_err(mkrt_read_debug_log((uint8_t *)dbg, sizeof(dbg), rec, LOG_RECORDS, &count,
					  &overflow),
		      LOG_RECORDS);
	ck_assert_uint_eq(count, LOG_RECORDS);
	ck_assert_uint_eq(overflow, 2);
	ck_assert_uint_eq(rec[0].fmt_id, 100);
	ck_assert_uint_eq(rec[3].fmt_id, 103);
	ck_assert_uint_eq(rec[3].a1, 3);
	ck_assert_uint_eq(rec[3].a2, 7);
	ck_assert_uint_eq(rec[3].slot_word, 3 * 16);
	ck_assert_uint_eq(ctl[MKRT_CTL_FAULT_COUNT], 0);

	/* a saturated cursor stays put and never writes */
	dbg[0] = UINT32_MAX - 1;
	run1(MKRT_OP_PRINTF, 1, 2, 3);
	ck_assert_uint_eq(dbg[0], UINT32_MAX - 1);
	ck_assert_uint_eq(sw(0)[0], MKRT_STATUS_DONE);
}
END_TEST

static void put_packed(const struct mkrt_packed_op *ops, uint32_t n)
{
	struct mkrt_slot r = { .opcode = MKRT_OP_PACKED_SLOT };
	ck_assert_err(mkrt_encode_packed(ops, n, r.args), 0);
	ck_assert_err(mkrt_publish(ring, SLOTS * MKRT_SLOT_WORDS, 0, &r, 12), 0);
	ck_assert_err(mkrt_reference_drain(&b), 1);
}

START_TEST(packed_runs_in_order)
{
	struct mkrt_packed_op ops[3] = {
		{ MKRT_OP_STORE_U32, { 10, OBS + 2, 0 } },
		{ MKRT_OP_ATOMIC_ADD, { 5, OBS + 2, 0 } },
		{ MKRT_OP_LOAD_U32, { OBS + 2, 3, 0 } },
	};

	fixture();
	put_packed(ops, 3);
	ck_assert_uint_eq(sw(0)[0], MKRT_STATUS_DONE);
	ck_assert_uint_eq(ctl[OBS + 2], 15);
	ck_assert_uint_eq(ctl[OBS + 3], 15);
	ck_assert_uint_eq(ctl[MKRT_CTL_METRICS + 1], 1); /* inner ops count */
	ck_assert_uint_eq(ctl[MKRT_CTL_METRICS + 2], 1);
	ck_assert_uint_eq(ctl[MKRT_CTL_METRICS + 3], 1);
	ck_assert_uint_eq(ctl[MKRT_CTL_DONE_COUNT], 1);   /* the slot counts once */
}
END_TEST

START_TEST(packed_fault_keeps_earlier_effects)
{
	struct mkrt_packed_op ops[3] = {
		{ MKRT_OP_STORE_U32, { 10, OBS + 2, 0 } },
		{ MKRT_OP_STORE_U32, { 11, W, 0 } },      /* out of range */
		{ MKRT_OP_STORE_U32, { 12, OBS + 3, 0 } }, /* never runs */
	};

	fixture();
	put_packed(ops, 3);
	assert_fault(MKRT_FAULT_OUT_OF_RANGE);
	ck_assert_uint_eq(ctl[OBS + 2], 10);
	ck_assert_uint_eq(ctl[OBS + 3], 0);
	ck_assert_uint_eq(ctl[MKRT_CTL_METRICS + 1], 2);
	ck_assert_uint_eq(ctl[MKRT_CTL_FAULT_COUNT], 1);
}
END_TEST

START_TEST(packed_malformed_and_limits)
{
	fixture();
	/* raw ring words: bypass the host's validated publish, as a device would see them */
	uint32_t *s = sw(0);
	s[1] = MKRT_OP_PACKED_SLOT;
	s[4] = (MKRT_PACKED_MAX_OPS + 1) | 3u << 8;
	s[0] = MKRT_STATUS_PUBLISHED;
	ck_assert_err(mkrt_reference_drain(&b), 1);
	assert_fault(MKRT_FAULT_PACKED);
	for (uint32_t i = 0; i < 32; i++)
		ck_assert_uint_eq(ctl[MKRT_CTL_METRICS + i], 0); /* nothing ran */

	/* the limit itself: 8 inner ops sharing one argument triple */
	memset(s, 0, 64);
	s[1] = MKRT_OP_PACKED_SLOT;
	s[4] = MKRT_PACKED_MAX_OPS | 3u << 8 | (uint32_t)MKRT_OP_ATOMIC_ADD << 16;
	for (uint32_t k = 1; k < MKRT_PACKED_MAX_OPS; k++) /* opcode bytes at 2 + 2k */
		s[4 + (2 + 2 * k) / 4] |= (uint32_t)MKRT_OP_ATOMIC_ADD << (8 * ((2 + 2 * k) % 4));
	uint32_t meta = MKRT_PACKED_META_WORDS(MKRT_PACKED_MAX_OPS);
	s[4 + meta] = 1;
	s[4 + meta + 1] = OBS + 6;
	s[0] = MKRT_STATUS_PUBLISHED;
	ck_assert_err(mkrt_reference_drain(&b), 1);
	ck_assert_uint_eq(s[0], MKRT_STATUS_DONE);
	ck_assert_uint_eq(ctl[OBS + 6], MKRT_PACKED_MAX_OPS);

	/* unknown inner opcode: counted, then FAULT */
	memset(s, 0, 64);
	s[1] = MKRT_OP_PACKED_SLOT;
	s[4] = 1u | 3u << 8 | 9u << 16;
	s[0] = MKRT_STATUS_PUBLISHED;
	ck_assert_err(mkrt_reference_drain(&b), 1);
	assert_fault(MKRT_FAULT_UNKNOWN_OPCODE);
	ck_assert_uint_eq(ctl[MKRT_CTL_METRICS + 9], 1);
}
END_TEST

START_TEST(shutdown_stops_the_drain)
{
	fixture();
	put(0, MKRT_OP_SHUTDOWN, 0, 0, 0);
	put(1, MKRT_OP_NOP, 0, 0, 0);
	ck_assert_err(mkrt_reference_drain(&b), 1);
	ck_assert_uint_eq(ctl[MKRT_CTL_SHUTDOWN], 1);
	ck_assert_uint_eq(sw(0)[0], MKRT_STATUS_DONE);
	ck_assert_uint_eq(sw(1)[0], MKRT_STATUS_PUBLISHED);
	ck_assert_err(mkrt_reference_drain(&b), 0);
	/* a lane whose round looked before SHUTDOWN: its claim finds it set and
	 * gives the slot back untouched */
	ck_assert_err(mkrt__exec_slot(&b, 1), 0);
	ck_assert_uint_eq(sw(1)[0], MKRT_STATUS_PUBLISHED);
	ck_assert_uint_eq(mkrt__exec_pass_nonblocking(&b), 0);
	ck_assert_uint_eq(sw(1)[0], MKRT_STATUS_PUBLISHED);
	/* a single execute still runs a slot: shutdown is the lanes' business */
	ck_assert_err(mkrt_reference_execute(&b, 1), 1);
	ck_assert_uint_eq(sw(1)[0], MKRT_STATUS_DONE);
}
END_TEST

START_TEST(load_miss_without_servicer_faults)
{
	fixture();
	run1(MKRT_OP_LOAD_MISS, 123, 1, 0);
	assert_fault(MKRT_FAULT_NO_IO);
	ck_assert_uint_eq(sw(0)[4], 123);
}
END_TEST

START_TEST(unknown_opcodes_fault)
{
	fixture();
	run1(8, 0, 0, 0);
	assert_fault(MKRT_FAULT_UNKNOWN_OPCODE);
	ck_assert_uint_eq(ctl[MKRT_CTL_METRICS + 8], 1);
	/* raw: a reserved opcode the host would refuse to publish */
	sw(0)[1] = 0xFFF3;
	sw(0)[0] = MKRT_STATUS_PUBLISHED;
	ck_assert_err(mkrt_reference_drain(&b), 1);
	assert_fault(MKRT_FAULT_UNKNOWN_OPCODE);
	ck_assert_uint_eq(ctl[MKRT_CTL_DONE_COUNT], 2);
	ck_assert_uint_eq(ctl[MKRT_CTL_FAULT_COUNT], 2);
}
END_TEST

static uint32_t double_it(void *user, uint32_t opcode, uint32_t args[12], struct mkrt_ctx *ctx)
{
	(void)ctx;
	(*(int *)user)++;
	if (args[0] == 0xBAD)
		return 42;
	args[1] = args[0] * 2;
	args[2] = opcode;
	return 0;
}

START_TEST(user_handlers)
{
	int calls = 0;
	struct mkrt_handler h[2] = { { 0x100, double_it, &calls }, { 0x20, double_it, &calls } };

	fixture();
	b.handlers = h;
	b.handler_count = 2;
	ck_assert_uint_eq(run1(0x100, 21, 0, 0), MKRT_STATUS_DONE);
	ck_assert_uint_eq(sw(0)[5], 42);
	ck_assert_uint_eq(sw(0)[6], 0x100);
	run1(0x20, 0xBAD, 0, 0);
	assert_fault(42);
	ck_assert_int_eq(calls, 2);
	run1(0x101, 0, 0, 0);
	assert_fault(MKRT_FAULT_UNKNOWN_OPCODE);

	h[1].opcode = 0x100; /* registered twice */
	ck_assert_err(mkrt_reference_drain(&b), MKRT_EHANDLER);
	h[1].opcode = MKRT_OP_NOP; /* a builtin */
	ck_assert_err(mkrt_reference_drain(&b), MKRT_EHANDLER);
	h[1].opcode = 0x21;
	h[1].fn = NULL;
	ck_assert_err(mkrt_reference_drain(&b), MKRT_EHANDLER);
}
END_TEST

/* The pass a host thread makes for a cold kernel (resident.c) runs what
 * never blocks and leaves a load miss and a user opcode, untouched, to the
 * lanes; a drain then runs them. */
START_TEST(nonblocking_pass_leaves_what_may_block)
{
	int calls = 0;
	struct mkrt_handler h = { 0x100, double_it, &calls };
	uint32_t miss[MKRT_SLOT_WORDS], user[MKRT_SLOT_WORDS];

	fixture();
	b.handlers = &h;
	b.handler_count = 1;
	put(0, MKRT_OP_NOP, 0, 0, 0);
	put(1, MKRT_OP_LOAD_MISS, 0, 0, 0);
	put(2, 0x100, 21, 0, 0);
	put(3, MKRT_OP_STORE_U32, 7, OBS, 0);
	memcpy(miss, sw(1), sizeof(miss));
	memcpy(user, sw(2), sizeof(user));
	ck_assert_uint_eq(mkrt__exec_pass_nonblocking(&b), 2);
	ck_assert_uint_eq(sw(0)[0], MKRT_STATUS_DONE);
	ck_assert_uint_eq(sw(3)[0], MKRT_STATUS_DONE);
	ck_assert_uint_eq(ctl[OBS], 7);
	ck_assert_mem_eq(sw(1), miss, sizeof(miss));
	ck_assert_mem_eq(sw(2), user, sizeof(user));
	ck_assert_int_eq(calls, 0);
	ck_assert_uint_eq(mkrt__exec_pass_nonblocking(&b), 0);

	ck_assert_err(mkrt_reference_drain(&b), 2);
	ck_assert_uint_eq(sw(1)[0], MKRT_STATUS_FAULT); /* no IO servicer attached */
	ck_assert_uint_eq(sw(2)[0], MKRT_STATUS_DONE);
	ck_assert_uint_eq(sw(2)[5], 42);
	ck_assert_uint_eq(ctl[MKRT_CTL_BUSY_LANES], 0);
}
END_TEST

START_TEST(denied_tenant_left_untouched)
{
	uint32_t copy[MKRT_SLOT_WORDS];
	struct mkrt_slot r = { .opcode = MKRT_OP_STORE_U32, .tenant = 1, .args = { 1, OBS } };

	fixture();
	ck_assert_err(mkrt_publish(ring, SLOTS * MKRT_SLOT_WORDS, 0, &r, 3), 0);
	memcpy(copy, sw(0), sizeof(copy));
	ck_assert_err(mkrt_reference_drain(&b), 0);
	ck_assert_mem_eq(sw(0), copy, sizeof(copy)); /* still PUBLISHED, untouched */
	ck_assert_uint_eq(ctl[OBS], 0);
	ck_assert_uint_eq(ctl[MKRT_CTL_DONE_COUNT], 0);

	ctl[4] = 1; /* authorize tenant 1 (C[3 + 1]) */
	ck_assert_err(mkrt_reference_drain(&b), 1);
	ck_assert_uint_eq(ctl[OBS], 1);

	/* indirection: base 20, tenant 12 lands on word 32 -> outside -> denied */
	ctl[MKRT_CTL_TENANT_BASE] = 20;
	ctl[32] = 1;
	r.tenant = 12;
	ck_assert_err(mkrt_publish(ring, SLOTS * MKRT_SLOT_WORDS, 1, &r, 3), 0);
	r.tenant = UINT32_MAX; /* must not wrap onto a mask */
	ck_assert_err(mkrt_publish(ring, SLOTS * MKRT_SLOT_WORDS, 2, &r, 3), 0);
	ck_assert_err(mkrt_reference_drain(&b), 0);
	ctl[31] = 1; /* tenant 11 through base 20 */
	r.tenant = 11;
	ck_assert_err(mkrt_publish(ring, SLOTS * MKRT_SLOT_WORDS, 3, &r, 3), 0);
	ck_assert_err(mkrt_reference_drain(&b), 1);
	ck_assert_uint_eq(sw(3)[0], MKRT_STATUS_DONE);
	ck_assert_uint_eq(sw(1)[0], MKRT_STATUS_PUBLISHED);
}
END_TEST

START_TEST(buffer_checks)
{
	fixture();
	ck_assert_err(mkrt_reference_drain(NULL), MKRT_EINVAL);
	ck_assert_err(mkrt_reference_execute(&b, SLOTS), MKRT_ERANGE);
	b.control_words = MKRT_CTL_OBS;
	ck_assert_err(mkrt_reference_drain(&b), MKRT_ESHORT);
	b.control_words = W;
	b.slot_count = MKRT_MAX_ENTRIES + 1;
	ck_assert_err(mkrt_reference_drain(&b), MKRT_ETOOBIG);
	b.slot_count = SLOTS;
	b.ring = NULL;
	ck_assert_err(mkrt_reference_drain(&b), MKRT_EINVAL);
}
END_TEST

/* Two executors race over the same ring: every slot runs exactly once. */
#define RACE_SLOTS 4096u
static uint32_t race_ring[RACE_SLOTS * MKRT_SLOT_WORDS];

static void *race_lane(void *arg)
{
	const struct mkrt_exec_buffers *rb = arg;
	for (uint32_t i = 0; i < RACE_SLOTS; i++)
		mkrt_reference_execute(rb, i);
	return NULL;
}

START_TEST(concurrent_executors_claim_once)
{
	pthread_t t[2];

	fixture();
	b.ring = race_ring;
	b.slot_count = RACE_SLOTS;
	for (uint32_t i = 0; i < RACE_SLOTS; i++) {
		struct mkrt_slot r = { .opcode = MKRT_OP_ATOMIC_ADD, .args = { 1, OBS } };
		ck_assert_err(mkrt_publish(race_ring, RACE_SLOTS * MKRT_SLOT_WORDS, i, &r, 2), 0);
	}
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, race_lane, &b), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	ck_assert_uint_eq(ctl[OBS], RACE_SLOTS);
	ck_assert_uint_eq(ctl[MKRT_CTL_DONE_COUNT], RACE_SLOTS);
	ck_assert_uint_eq(ctl[MKRT_CTL_METRICS + 2], RACE_SLOTS);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("exec");
	TCase *ops = mkrt_tcase(s, "opcodes", 10);
	TCase *sys = mkrt_tcase(s, "system", 10);
	TCase *race = mkrt_tcase(s, "race", 30);

	tcase_add_test(ops, nop_counts);
	tcase_add_test(ops, store_u32);
	tcase_add_test(ops, atomic_add_wraps);
	tcase_add_test(ops, load_u32);
	tcase_add_test(ops, compare_swap);
	tcase_add_test(ops, memcpy_ascending);
	tcase_add_test(ops, dfa_step);
	tcase_add_test(ops, batch_fence);
	tcase_add_test(ops, printf_and_log_overflow);
	tcase_add_test(ops, packed_runs_in_order);
	tcase_add_test(ops, packed_fault_keeps_earlier_effects);
	tcase_add_test(ops, packed_malformed_and_limits);
	tcase_add_test(sys, shutdown_stops_the_drain);
	tcase_add_test(sys, load_miss_without_servicer_faults);
	tcase_add_test(sys, unknown_opcodes_fault);
	tcase_add_test(sys, user_handlers);
	tcase_add_test(sys, nonblocking_pass_leaves_what_may_block);
	tcase_add_test(sys, denied_tenant_left_untouched);
	tcase_add_test(sys, buffer_checks);
	tcase_add_test(race, concurrent_executors_claim_once);
	return mkrt_run_suite(s);
}
