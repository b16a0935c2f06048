/* SPDX-License-Identifier: MIT */
/*
 * megakernel.cl - the resident megakernel: DESIGN §2's opcode semantics on
 * the device, slot for slot the same as runtime/exec/exec.c (the reference
 * executor the tests compare it with).
 *
 * It compiles alone (-Icl -Iinclude). The host builds it with the user's
 * OpenCL C source and the user-opcode dispatcher (mkrt_user_dispatch, which
 * the runtime writes from the registered handlers) appended.
 *
 * Forward progress and scaling (DESIGN §4): each lane owns a share of the
 * slots, and steals from the rest of the ring when its own share is idle (and
 * every MKRT_STEAL_EVERY passes even when it is not), claiming by CAS, so one
 * running lane drains the whole ring and no lane ever waits for another.
 * Lanes beyond the first are spares while no lane is inside a slot that may
 * block (C[MKRT_CTL_BUSY_LANES]: a load miss waiting for its load, a user
 * opcode): a spare watches that one word instead of the ring, so idle lanes
 * do not contend with the working one for the status lines, and wakes as
 * lanes block; now and then it makes one pass over the ring anyway, so it
 * never relies on lane 0 running.
 * Over a bus (cuda's PTX: MKRT_BUS, cl/mkrt_atomics.h) there are no spares;
 * lanes claim slots in a claim table in device memory instead of by CAS on
 * the ring, watch a doorbell instead of the ring, and the lane that owns
 * the slot a producer filling the ring in order publishes next claims it
 * ahead, so that one bus round trip both sees the bell and reads the slot
 * (mkrt_bus_round).
 * A lane returns when it acquires SHUTDOWN, or when the host asks it to yield
 * (C[MKRT_CTL_YIELD]: the host's time budget, or idle parking) or it has run
 * epoch_slots slots, once no sibling is inside a slot (mkrt_may_return); the
 * host then relaunches it.
 */
#include "mkrt/protocol.h"
#include "mkrt_atomics.h"
#include "mkrt_kernel_abi.h"
#include "load_miss.cl"

/* Runs user opcode @op (defined after this file: see above). */
uint mkrt_user_dispatch(uint op, __private uint *args, const struct mkrt_ctx *ctx);

#define MKRT_STEAL_EVERY      8u     /* a lane with a busy share still steals */
#define MKRT_SPARE_SPINS      16384u /* a spare's looks at BUSY_LANES per round */
#define MKRT_SPARE_PASS_EVERY 64u    /* a spare's rounds between passes */
#ifdef MKRT_BUS
/* Over a bus every look costs a round trip, and every lane's looks share
 * one link: lanes watch the doorbell (mkrt_kernel_abi.h) and look at their
 * share of the ring only when it says to, or every MKRT_BUS_SCAN_EVERY
 * rounds; a pass over the rest of the ring costs a round trip per
 * MKRT_BUS_PEEK slots and one per slot found, all that while the lane's
 * own share waits, so a lane steals much more rarely; and the round's
 * guess (mkrt_bus_round) stands for the looks that a pass makes elsewhere
 * at the slots a producer fills next. */
#define MKRT_BUS_SCAN_EVERY   32u
#define MKRT_BUS_STEAL_EVERY  256u
#define MKRT_BUS_PEEK         32u    /* STATUS words a pass loads at once */
#else
#define MKRT_HOT_EVERY        4u     /* a power of two */
#endif

uint mkrt_next(uint s, uint n)
{
	return s + 1 == n ? 0 : s + 1;
}

/* True when the whole access [first, first + count) lies in @words words. */
bool mkrt_in_range(ulong first, ulong count, ulong words)
{
	return first <= words && count <= words - first;
}

struct mkrt_env {
	mkrt_word_t *ctl;
	uint ctl_words;
	mkrt_word_t *dbg;
	uint dbg_words;
	__global const uint *dfa;
	uint dfa_words;
	struct mkrt_io_env io;
#ifdef MKRT_HOST_NO_RMW
	/* the withdrawal words (mkrt_kernel_abi.h) of a host that never
	 * read-modify-writes a ring word (MKRT_HOST_NO_RMW): the host
	 * sets a slot's to 1 to withdraw it while PUBLISHED (mkrt_withdrawn);
	 * looked at only while MKRT_WITHDRAW_ANY, read once per pass, is set */
	mkrt_word_t *withdraw;
	uint withdrawals;
#endif
#ifdef MKRT_BUS
	/* the claim table, in device memory (mkrt_claim_take) */
	mkrt_word_t *claims;
#endif
#ifdef MKRT_TRACE
	/* tests/repro/cuda_ping's trace: when this lane's round began and its
	 * loads came back (%globaltimer), and how it came to the slot it runs */
	ulong t_round, t_loaded;
	uint path;
#endif
};

/* Run builtin @op with arguments @a; returns a fault reason or 0. */
uint mkrt_run_builtin(const struct mkrt_env *e, uint op, uint a0, uint a1, uint a2)
{
	const ulong W = e->ctl_words, OBS = MKRT_CTL_OBS;
	mkrt_word_t *C = e->ctl;

	switch (op) {
	case MKRT_OP_NOP:
		return 0;
	case MKRT_OP_STORE_U32:
		if (a1 >= W)
			return MKRT_FAULT_OUT_OF_RANGE;
		mkrt_store_relaxed(&C[a1], a0);
		return 0;
	case MKRT_OP_ATOMIC_ADD:
		if (a1 >= W)
			return MKRT_FAULT_OUT_OF_RANGE;
		mkrt_red_relaxed(&C[a1], a0);
		return 0;
	case MKRT_OP_LOAD_U32:
		if (a0 >= W || OBS + a1 >= W)
			return MKRT_FAULT_OUT_OF_RANGE;
		mkrt_store_relaxed(&C[OBS + a1], mkrt_load_relaxed(&C[a0]));
		return 0;
	case MKRT_OP_COMPARE_SWAP: {
		if (a0 >= W || OBS + a0 >= W)
			return MKRT_FAULT_OUT_OF_RANGE;
		uint prev = a1; /* on failure the CAS leaves the current value here */
		mkrt_cas_relaxed(&C[a0], &prev, a2);
		mkrt_store_relaxed(&C[OBS + a0], prev);
		return 0;
	}
	case MKRT_OP_MEMCPY:
		if (!mkrt_in_range(a0, a2, W) || !mkrt_in_range(a1, a2, W))
			return MKRT_FAULT_OUT_OF_RANGE;
		for (uint i = 0; i < a2; i++)
			mkrt_store_relaxed(&C[a1 + i], mkrt_load_relaxed(&C[a0 + i]));
		return 0;
	case MKRT_OP_DFA_STEP: {
		ulong t = (ulong)a0 * MKRT_DFA_COLUMNS + a1;
		if (a1 >= MKRT_DFA_COLUMNS || t >= e->dfa_words || OBS + a2 >= W)
			return MKRT_FAULT_OUT_OF_RANGE;
		mkrt_store_relaxed(&C[OBS + a2], e->dfa[t]);
		return 0;
	}
	case MKRT_OP_BATCH_FENCE:
		mkrt_red_relaxed(&C[MKRT_CTL_EPOCH], 1);
		mkrt_store_relaxed(&C[OBS], a1);
		return 0;
	}
	return MKRT_FAULT_UNKNOWN_OPCODE;
}

/* Count opcode @op run (@delta 1), or take back a count (@delta -1). */
void mkrt_count_metric(const struct mkrt_env *e, uint op, uint delta)
{
	if (op < MKRT_OP_METRIC_LIMIT)
		mkrt_red_relaxed(&e->ctl[MKRT_CTL_METRICS + op], delta);
}

/* Reserve a record by advancing the saturating cursor; write it if it fits. */
void mkrt_log_append(const struct mkrt_env *e, uint fmt, uint a1, uint a2, uint slot_word)
{
	if (e->dbg_words < MKRT_LOG_FIRST)
		return;
	uint cur = mkrt_load_relaxed(&e->dbg[MKRT_LOG_CURSOR]);
	do {
		if (cur > 0xFFFFFFFFu - MKRT_LOG_RECORD_WORDS)
			return; /* saturated: still counted as overflow */
	} while (!mkrt_cas_relaxed(&e->dbg[MKRT_LOG_CURSOR], &cur, cur + MKRT_LOG_RECORD_WORDS));

	ulong room = (ulong)e->dbg_words - MKRT_LOG_FIRST;
	room -= room % MKRT_LOG_RECORD_WORDS;
	if ((ulong)cur + MKRT_LOG_RECORD_WORDS > room)
		return; /* past the end: dropped, and the cursor counts it */
	mkrt_word_t *r = &e->dbg[MKRT_LOG_FIRST + cur];
	mkrt_store_relaxed(&r[0], fmt);
	mkrt_store_relaxed(&r[1], a1);
	mkrt_store_relaxed(&r[2], a2);
	mkrt_store_relaxed(&r[3], slot_word);
}

uint mkrt_arg_byte(__private const uint *args, uint i)
{
	return (args[i / 4u] >> (8u * (i % 4u))) & 0xffu;
}

/* The whole PACKED_SLOT layout is checked before any inner op runs. */
uint mkrt_run_packed(const struct mkrt_env *e, __private const uint *args)
{
	uint n = mkrt_arg_byte(args, 0), packed_words = mkrt_arg_byte(args, 1);

	if (n == 0 || n > MKRT_PACKED_MAX_OPS)
		return MKRT_FAULT_PACKED;
	uint meta = MKRT_PACKED_META_WORDS(n);
	if (meta + packed_words > MKRT_SLOT_ARGS)
		return MKRT_FAULT_PACKED;
	for (uint k = 0; k < n; k++)
		if (mkrt_arg_byte(args, 3u + 2u * k) + MKRT_PACKED_OP_ARGS > packed_words)
			return MKRT_FAULT_PACKED;
	for (uint k = 0; k < n; k++) {
		uint op = mkrt_arg_byte(args, 2u + 2u * k);
		uint a = meta + mkrt_arg_byte(args, 3u + 2u * k);
		mkrt_count_metric(e, op, 1);
		uint reason = op <= MKRT_OP_BUILTIN_LAST
				      ? mkrt_run_builtin(e, op, args[a], args[a + 1], args[a + 2])
				      : MKRT_FAULT_UNKNOWN_OPCODE;
		if (reason)
			return reason; /* earlier inner ops keep their effect */
	}
	return 0;
}

/* Execute a claimed slot held in @w (a private copy; its opcode is counted
 * already); returns the fault reason or 0, with result words left in @w. */
uint mkrt_run_slot(const struct mkrt_env *e, uint slot, __private uint *w)
{
	uint op = w[MKRT_SLOT_OPCODE];
	__private uint *args = w + MKRT_SLOT_ARG0;

	if (op <= MKRT_OP_BUILTIN_LAST)
		return mkrt_run_builtin(e, op, args[0], args[1], args[2]);
	switch (op) {
	case MKRT_OP_PACKED_SLOT:
		return mkrt_run_packed(e, args);
	case MKRT_OP_PRINTF:
		mkrt_log_append(e, args[0], args[1], args[2], slot * MKRT_SLOT_WORDS);
		return 0;
	case MKRT_OP_SHUTDOWN:
		/* release: lanes that acquire SHUTDOWN see everything before it */
		mkrt_store_release(&e->ctl[MKRT_CTL_SHUTDOWN], 1);
		return 0;
	case MKRT_OP_LOAD_MISS:
		return mkrt_load_miss(&e->io, slot, args); /* busy while it waits */
	}
	/* a user opcode may keep this lane for long: count it, so that a spare
	 * lane stands in for it meanwhile (over a bus the slot is counted whole
	 * already: mkrt_exec_claimed) */
	const struct mkrt_ctx ctx = { &e->io, slot };
#ifdef MKRT_BUS
	uint reason = mkrt_user_dispatch(op, args, &ctx);
#else
	mkrt_add_relaxed(e->io.busy, 1);
	uint reason = mkrt_user_dispatch(op, args, &ctx);
	mkrt_add_relaxed(e->io.busy, 0xFFFFFFFFu);
#endif
	return reason;
}

/* Whether @tenant may run, by control words 0..7 in @c (read with the slot)
 * and, for a mask past them, one more load. */
bool mkrt_authorized(const struct mkrt_env *e, __private const uint *c, uint tenant)
{
	ulong w = (ulong)c[MKRT_CTL_TENANT_BASE] + tenant;

	if (w < MKRT_CTL_TENANT_FIRST || w > MKRT_CTL_TENANT_LAST)
		return false;
	return (w < 8u ? c[w] : mkrt_load_relaxed(&e->ctl[w])) != 0;
}

#if defined(MKRT_HOST_NO_RMW) && !defined(MKRT_BUS)
/*
 * A host that never read-modify-writes a ring word (copy's transfers, svm
 * without SVM atomics: MKRT_HOST_NO_RMW) withdraws a slot by setting its
 * withdrawal word (after the publish); the first lane to find the slot
 * PUBLISHED with it set moves it to EMPTY, and the host reads that back.
 * 1 when @slot is withdrawn (by this lane or another): leave it alone. The
 * host clears the word before it publishes into the slot again. (Over a bus
 * the claim makes a store enough: mkrt_exec_claimed.)
 */
bool mkrt_withdrawn(const struct mkrt_env *e, mkrt_word_t *s, uint slot)
{
	uint st = MKRT_STATUS_PUBLISHED;

	if (!e->withdrawals || !mkrt_load_relaxed(&e->withdraw[slot]))
		return false;
	/* acq_rel: exactly one lane withdraws it, and none claims it after */
	mkrt_cas_acq_rel(&s[MKRT_SLOT_STATUS], &st, MKRT_STATUS_EMPTY);
	return true;
}
#endif

/* Whether a slot other than @mine (slot_count: none) is CLAIMED: a sibling
 * is inside a slot. Over a bus, one load rather than a look at every slot:
 * whether a lane is inside a slot that may block, by BUSY_LANES, which such
 * a lane raises before it looks at YIELD again (mkrt_exec_claimed); the
 * fence between this lane's load of YIELD and this one pairs with it. */
bool mkrt_sibling_inside(const struct mkrt_env *e, mkrt_word_t *ring, uint slot_count, uint mine)
{
#ifdef MKRT_BUS
	(void)ring;
	(void)slot_count;
	(void)mine;
	mkrt_fence_sc();
	return mkrt_load_relaxed(e->io.busy) != 0;
#else
	(void)e;
	for (uint s = 0; s < slot_count; s++)
		if (s != mine &&
		    mkrt_load_relaxed(&ring[s * MKRT_SLOT_WORDS + MKRT_SLOT_STATUS]) == MKRT_STATUS_CLAIMED)
			return true;
	return false;
#endif
}

/* Whether a lane between slots may return at a yield or a spent epoch: not
 * while a sibling is inside a slot (CLAIMED; this lane holds none). The
 * launch cannot end before that sibling does, a load miss waiting on a slow
 * resource say, so until then this lane keeps the ring drained: returning
 * would leave every later slot to wait for that one. Looked at only when a
 * lane would return, never on the way to a slot. */
bool mkrt_may_return(const struct mkrt_env *e, mkrt_word_t *ring, uint slot_count)
{
	return !mkrt_sibling_inside(e, ring, slot_count, slot_count);
}

/* The end of a run slot @s: the words the run changed in @w (from @in), and
 * DONE, or FAULT with @reason (counted), after them. */
void mkrt_finish_slot(const struct mkrt_env *e, mkrt_word_t *s, __private const uint *w,
		      __private const uint *in, uint reason)
{
	for (uint i = MKRT_SLOT_ARG0; i < MKRT_SLOT_WORDS; i++)
		if (w[i] != in[i])
			mkrt_store_relaxed(&s[i], w[i]);
	if (reason) {
		mkrt_store_relaxed(&s[MKRT_SLOT_FAULT_REASON], reason);
		mkrt_red_relaxed(&e->ctl[MKRT_CTL_FAULT_COUNT], 1);
	}
	/* release: results and control effects before DONE/FAULT */
	mkrt_store_release(&s[MKRT_SLOT_STATUS], reason ? MKRT_STATUS_FAULT : MKRT_STATUS_DONE);
}

/* After DONE/FAULT: DONE_COUNT == n means n finished (release) */
void mkrt_count_done(const struct mkrt_env *e)
{
	mkrt_red_release(&e->ctl[MKRT_CTL_DONE_COUNT], 1);
}

#ifdef MKRT_BUS
/* Whether opcode @op may keep its lane: a load miss, a user opcode. */
bool mkrt_may_block(uint op)
{
	return op > MKRT_OP_BUILTIN_LAST && op != MKRT_OP_PRINTF && op != MKRT_OP_PACKED_SLOT &&
	       op != MKRT_OP_SHUTDOWN;
}

/*
 * Over a bus a lane takes a slot's word in the claim table (device memory)
 * before it looks at the slot, and the look, one bus round trip, is then
 * the claimed read: no read-modify-write crosses the bus, and no second
 * look follows the claim. A slot stays PUBLISHED until it is DONE; a lane
 * writes CLAIMED only into a slot that may keep it (a load miss, a user
 * opcode), for the host's eyes. The opcode is counted after DONE and before
 * DONE_COUNT, so the count never holds DONE back.
 */

#ifdef MKRT_TRACE
ulong mkrt_trace_now(void)
{
	ulong t;
	__asm__ volatile("mov.u64 %0, %%globaltimer;" : "=l"(t) : : "memory");
	return t;
}

/* A NOP's last five words: its round's start (low 32 bits, ns), the loads'
 * return and the DONE's issue after it, the path (1: the round's guess, 2:
 * a window or pass), and the DONE's issue (low 32 bits). */
void mkrt_trace(const struct mkrt_env *e, __private uint *w)
{
	ulong now = mkrt_trace_now();

	w[11] = (uint)e->t_round;
	w[12] = (uint)(e->t_loaded - e->t_round);
	w[13] = (uint)(now - e->t_round);
	w[14] = e->path;
	w[15] = (uint)now;
}
#endif

/* Run slot @slot, claimed and looked at (its words in @w, control words
 * 0..7 in @c, YIELD in @yield), if it is PUBLISHED and authorized; drop the
 * claim; 1 if it ran. */
uint mkrt_exec_claimed(const struct mkrt_env *e, mkrt_word_t *ring, uint slot, uint slot_count,
		       __private uint *w, __private const uint *c, uint yield)
{
	mkrt_word_t *s = &ring[slot * MKRT_SLOT_WORDS];
	mkrt_word_t *claim = &e->claims[slot];
	uint in[MKRT_SLOT_WORDS], op = w[MKRT_SLOT_OPCODE];

	(void)slot_count;
	(void)yield; /* looked at again below, where it matters */
	if (w[MKRT_SLOT_STATUS] != MKRT_STATUS_PUBLISHED) {
		mkrt_claim_drop(claim, false);
		return 0;
	}
	/* withdrawn (mkrt_withdrawn): the claim makes a store enough. Before
	 * the tenant's check, as there: a slot of a denied tenant waits
	 * PUBLISHED until it is withdrawn, which only a lane can do */
	if (e->withdrawals && mkrt_load_relaxed(&e->withdraw[slot])) {
		mkrt_store_release(&s[MKRT_SLOT_STATUS], MKRT_STATUS_EMPTY);
		mkrt_claim_drop(claim, true);
		return 0;
	}
	/* Nor a slot after SHUTDOWN (as below, without the bus). Over the bus
	 * the look's words are one batch of relaxed loads, so a slot published
	 * within that round trip of SHUTDOWN may still be seen beside a SHUTDOWN
	 * of 0: it runs, and its waiter sees it DONE. */
	if (!mkrt_authorized(e, c, w[MKRT_SLOT_TENANT]) || c[MKRT_CTL_SHUTDOWN]) {
		mkrt_claim_drop(claim, false);
		return 0;
	}
	/* A slot that may keep this lane: counted in BUSY_LANES for all of
	 * it, before YIELD is looked at again (seq_cst, against a returning
	 * sibling's look at YIELD, then at BUSY_LANES). A yield is asked and no
	 * sibling is inside such a slot, so siblings may have returned
	 * already: keeping the slot, this lane could be left alone in a launch
	 * that cannot end before it does, with nobody serving the ring. Not
	 * run, it is the next launch's. */
	bool blocks = mkrt_may_block(op);
	if (blocks) {
		uint others = mkrt_add_relaxed(e->io.busy, 1);
		mkrt_fence_sc();
		if (others == 0 && mkrt_load_relaxed(&e->ctl[MKRT_CTL_YIELD])) {
			mkrt_red_relaxed(e->io.busy, 0xFFFFFFFFu);
			mkrt_claim_drop(claim, false);
			return 0;
		}
		mkrt_store_relaxed(&s[MKRT_SLOT_STATUS], MKRT_STATUS_CLAIMED);
	}
	for (uint i = 0; i < MKRT_SLOT_WORDS; i++)
		in[i] = w[i];
	uint reason = mkrt_run_slot(e, slot, w);
#ifdef MKRT_TRACE
	if (op == MKRT_OP_NOP)
		mkrt_trace(e, w);
#endif
	mkrt_finish_slot(e, s, w, in, reason);
	/* release: DONE before the next holder's look; a whole fence, so also
	 * before the counts below, which are relaxed for that (a red.release
	 * would wait a bus round trip for the metric's red, in front of the
	 * lane's next round) */
	mkrt_claim_drop(claim, true);
	if (blocks)
		mkrt_red_relaxed(e->io.busy, 0xFFFFFFFFu);
	mkrt_count_metric(e, op, 1);
	mkrt_red_relaxed(&e->ctl[MKRT_CTL_DONE_COUNT], 1); /* DONE_COUNT, as mkrt_count_done */
	return 1;
}

/* Claim, look at and run slot @slot; 1 if it ran. */
uint mkrt_exec_slot(const struct mkrt_env *e, mkrt_word_t *ring, uint slot, uint slot_count)
{
	uint w[MKRT_SLOT_WORDS], c[8], yield;

	if (!mkrt_claim_take(&e->claims[slot]))
		return 0;
	mkrt_load_claimed(&ring[slot * MKRT_SLOT_WORDS], e->ctl, w, c, &yield);
	return mkrt_exec_claimed(e, ring, slot, slot_count, w, c, yield);
}
#else
/* Claim and run slot @slot if it is PUBLISHED and authorized; 1 if it ran. */
uint mkrt_exec_slot(const struct mkrt_env *e, mkrt_word_t *ring, uint slot, uint slot_count)
{
	mkrt_word_t *s = &ring[slot * MKRT_SLOT_WORDS];
	uint w[MKRT_SLOT_WORDS], in[MKRT_SLOT_WORDS], h[4], c[8], yield;

	/* acquire (or the claim's, over a bus): pairs with the publisher's
	 * release of STATUS */
	mkrt_load_look(s, e->ctl, h, c);
	uint st = h[MKRT_SLOT_STATUS];
	if (st != MKRT_STATUS_PUBLISHED)
		return 0;
#ifdef MKRT_HOST_NO_RMW
	if (mkrt_withdrawn(e, s, slot))
		return 0;
#endif
	if (!mkrt_authorized(e, c, h[MKRT_SLOT_TENANT]))
		return 0;
	/* acquire: exactly one lane wins; it acquires the payload */
	if (!mkrt_cas_acquire(&s[MKRT_SLOT_STATUS], &st, MKRT_STATUS_CLAIMED))
		return 0;
	/* The opcode is counted by the one the look saw, so that over a bus
	 * the count travels while the payload is read, not before DONE; in
	 * the rare slot republished between look and claim, or given back
	 * below, the count is corrected (a reader racing the lane may see it
	 * off by one meanwhile). */
	mkrt_count_metric(e, h[MKRT_SLOT_OPCODE], 1);
	mkrt_load_claimed(s, e->ctl, w, c, &yield);
	for (uint i = 0; i < MKRT_SLOT_WORDS; i++)
		in[i] = w[i];
	/* Republished between check and claim: give it back untouched. Or
	 * published after SHUTDOWN, which this lane's round looked at before
	 * the slot was there (the claim acquired the publish, and with it the
	 * publisher's view of SHUTDOWN): no slot starts after SHUTDOWN. Or a
	 * yield is asked and no sibling is inside a slot, so siblings may have
	 * returned already (mkrt_may_return looked before this claim): keeping
	 * the slot, this lane could be left alone in a launch that cannot end
	 * before it does, a held load miss say, with nobody serving the ring.
	 * Given back, it is the next launch's. */
	if (!mkrt_authorized(e, c, w[MKRT_SLOT_TENANT]) || c[MKRT_CTL_SHUTDOWN] ||
	    (yield && !mkrt_sibling_inside(e, ring, slot_count, slot))) {
		mkrt_count_metric(e, h[MKRT_SLOT_OPCODE], 0xFFFFFFFFu);
		mkrt_store_release(&s[MKRT_SLOT_STATUS], MKRT_STATUS_PUBLISHED);
		return 0;
	}
	if (w[MKRT_SLOT_OPCODE] != h[MKRT_SLOT_OPCODE]) {
		mkrt_count_metric(e, h[MKRT_SLOT_OPCODE], 0xFFFFFFFFu);
		mkrt_count_metric(e, w[MKRT_SLOT_OPCODE], 1);
	}

	mkrt_finish_slot(e, s, w, in, mkrt_run_slot(e, slot, w));
	mkrt_count_done(e);
	return 1;
}
#endif /* !MKRT_BUS */


#ifdef MKRT_BUS
/* Which of the @n (at most MKRT_BUS_PEEK) slots from @s (wrapping) are
 * PUBLISHED, bit k for slot s + k: their STATUS words loaded eight to a
 * statement (mkrt_peek8), waited for once. */
uint mkrt_peek_published(mkrt_word_t *ring, uint s, uint n, uint slot_count)
{
	uint st[MKRT_BUS_PEEK], mask = 0;

#pragma unroll
	for (uint k = 0; k < MKRT_BUS_PEEK; k += 8)
		if (k < n)
			mkrt_peek8(ring, (s + k) % slot_count, slot_count, &st[k]);
#pragma unroll
	for (uint k = 0; k < MKRT_BUS_PEEK; k++)
		mask |= (uint)(k < n && st[k] == MKRT_STATUS_PUBLISHED) << k;
	return mask;
}
#endif

/* A lane's place in the ring and its count of slots this launch. */
struct mkrt_lane {
	uint first, count; /* its own share: count slots from first */
	uint last;         /* the slot it ran last */
	uint ran;          /* slots run this launch */
	uint epoch_slots;  /* return after this many (0: never) */
};

/* Count one slot (or a spare's round) toward the lane's epoch; true when the
 * epoch is spent and the lane may return (the host relaunches at once). */
bool mkrt_epoch_spent(const struct mkrt_env *e, struct mkrt_lane *l, mkrt_word_t *ring,
		      uint slot_count)
{
	return l->epoch_slots && ++l->ran >= l->epoch_slots && mkrt_may_return(e, ring, slot_count);
}

#ifdef MKRT_BUS
/* Run the slots of @mask, bit k for slot @base + k (wrapping), each lane
 * its own in turn, so that the lanes of a warp run their first slots
 * together, then their second; returns the slots run, and sets *@spent as
 * mkrt_pass does. */
uint mkrt_run_mask(const struct mkrt_env *e, mkrt_word_t *ring, uint slot_count, struct mkrt_lane *l,
		   uint base, uint mask, bool *spent)
{
	uint ran = 0;

	while (mask && !*spent) {
		uint k = 31u - clz(mask & (0u - mask)), s = (base + k) % slot_count;
		mask &= mask - 1u;
		if (!mkrt_exec_slot(e, ring, s, slot_count))
			continue;
		l->last = s;
		ran++;
		*spent = mkrt_epoch_spent(e, l, ring, slot_count);
	}
	return ran;
}

/*
 * Over a bus a claimed look costs a round trip a slot: a pass loads the
 * STATUS words of MKRT_BUS_PEEK slots together first (one round trip,
 * relaxed: only a hint) and claims and looks at only those PUBLISHED. A
 * slot published after its peek rings the bell, which the next round
 * answers. A pass over one slot looks at it at once.
 */
uint mkrt_pass(const struct mkrt_env *e, mkrt_word_t *ring, uint slot_count, struct mkrt_lane *l,
	       uint first, uint count, bool *spent)
{
	uint ran = 0;

	for (uint i = 0; i < count && !*spent; i += MKRT_BUS_PEEK) {
		uint base = (first + i) % slot_count, n = count - i;
		uint mask = n == 1 ? 1u : mkrt_peek_published(ring, base, n, slot_count);
		ran += mkrt_run_mask(e, ring, slot_count, l, base, mask, spent);
	}
	return ran;
}
#else
/*
 * Run what is published in the @count slots from @first (wrapping). Every
 * MKRT_HOT_EVERY slots the lane also looks where work is likely (the slot it
 * ran last and the one after, where a producer filling the ring in order puts
 * the next), so a pass over a large ring does not stand between a publish and
 * its lane. Returns the slots run; sets *@spent and stops once the epoch's
 * slots are run (and the lane may return).
 */
uint mkrt_pass(const struct mkrt_env *e, mkrt_word_t *ring, uint slot_count, struct mkrt_lane *l,
	       uint first, uint count, bool *spent)
{
	uint ran = 0;

	for (uint i = 0, s = first; i < count; i++, s = mkrt_next(s, slot_count)) {
		uint at = s, got = mkrt_exec_slot(e, ring, s, slot_count);
		if (!got && (i & (MKRT_HOT_EVERY - 1)) == MKRT_HOT_EVERY - 1) {
			at = l->last;
			got = mkrt_exec_slot(e, ring, at, slot_count);
			if (!got) {
				at = mkrt_next(l->last, slot_count);
				got = mkrt_exec_slot(e, ring, at, slot_count);
			}
		}
		if (!got)
			continue;
		l->last = at;
		ran++;
		if (mkrt_epoch_spent(e, l, ring, slot_count)) {
			*spent = true;
			return ran;
		}
	}
	return ran;
}
#endif /* !MKRT_BUS */

/* Whether a lane steals this round: every MKRT_STEAL_EVERY rounds, and
 * whenever its own share was idle; over a bus, only every
 * MKRT_BUS_STEAL_EVERY rounds (see above). */
bool mkrt_steals(uint own, uint round)
{
#ifdef MKRT_BUS
	(void)own;
	return round % MKRT_BUS_STEAL_EVERY == 0;
#else
	return !own || round % MKRT_STEAL_EVERY == 0;
#endif
}

#ifdef MKRT_BUS
/* A lane's prediction over a bus: the slot a producer filling the ring in
 * order publishes next, which the lane that owns it claims before a round,
 * so that the round's one bus round trip both rings the bell and reads the
 * slot; and the slot such a look ran before its bell was seen, whose bell
 * then needs no second look. */
struct mkrt_guess {
	uint next;  /* the slot after the one the bell named last */
	uint early; /* ran before its bell (slot_count: none) */
};

/* Run the @n (at most MKRT_BUS_PEEK) slots up to @last that are PUBLISHED
 * and in lane @l's share; as mkrt_pass otherwise. */
uint mkrt_bus_window(const struct mkrt_env *e, mkrt_word_t *ring, uint slot_count, struct mkrt_lane *l,
		     uint last, uint n, bool *spent)
{
	n = n < slot_count ? n : slot_count;
	uint base = (last + slot_count - (n - 1u)) % slot_count, mine = 0;

	for (uint k = 0, s = base; k < n; k++, s = mkrt_next(s, slot_count))
		mine |= (uint)(s - l->first < l->count) << k;
	if (!mine)
		return 0;
	if (n > 1)
		mine &= mkrt_peek_published(ring, base, n, slot_count);
	return mkrt_run_mask(e, ring, slot_count, l, base, mine, spent);
}

/* One round of lane @l over a bus with the guess @g, the doorbell seen last
 * at *@seen: returns the round's words (see mkrt_round_issue) in @r, false
 * when the lane returns; otherwise runs the guessed slot, the bell's slot and
 * the lane's share as the bell says, and sets *@own to what ran in its share. */
bool mkrt_bus_round(struct mkrt_env *e, mkrt_word_t *ring, uint slot_count, struct mkrt_lane *l,
		    struct mkrt_guess *g, uint *seen, uint round, uint *own, bool *spent)
{
	mkrt_word_t *bell = &e->withdraw[MKRT_DOORBELL(slot_count)];
	mkrt_word_t *any = &e->withdraw[MKRT_WITHDRAW_ANY(slot_count)];
	uint r[6], w[MKRT_SLOT_WORDS], c[8], yield = 0, ran = 0, guess = g->next;
#ifdef MKRT_TRACE
	e->t_round = mkrt_trace_now();
	e->path = 1;
#endif
	bool look = guess - l->first < l->count && mkrt_claim_take(&e->claims[guess]);

	if (look)
		mkrt_look_issue(&ring[guess * MKRT_SLOT_WORDS], e->ctl, w, c, &yield);
	mkrt_round_issue(e->ctl, any, bell, r);
	mkrt_round_acquire(r);
	if (look)
		mkrt_look_acquire(yield);
#ifdef MKRT_TRACE
	e->t_loaded = mkrt_trace_now();
#endif
	if (r[0] || (r[1] && mkrt_may_return(e, ring, slot_count))) {
		if (look)
			mkrt_claim_drop(&e->claims[guess], false);
		return false;
	}
	e->withdrawals = r[3];
	uint rung = r[4] - *seen, hint = r[5];
	bool rang = rung != 0, guessed = look && mkrt_exec_claimed(e, ring, guess, slot_count, w, c, yield);
	*seen = r[4];
	if (guessed) {
		ran = 1;
		l->last = guess;
		g->next = mkrt_next(guess, slot_count);
		*spent = mkrt_epoch_spent(e, l, ring, slot_count);
	} else if (rang) {
		g->next = mkrt_next(hint, slot_count);
	}
	/* one bell, for a slot the guess ran (this round, or before its bell
	 * came): nothing more to look at */
	if (rung == 1 && (hint == g->early || (guessed && hint == guess)))
		rung = 0;
	if (rang)
		g->early = slot_count;
	if (guessed && !(rang && hint == guess))
		g->early = guess;
	/* What rang since this lane's last look, where a producer fills the
	 * ring in order: the rung slots up to the hint, each taken by the lane
	 * whose share holds it (one rung: the hint, at once; more: after one
	 * peek at them all). The whole share is looked at when more rang than
	 * a peek covers, while a withdrawal waits, and now and then for what
	 * rings no bell (a slot given back, a raw publish, a producer out of
	 * order). */
	bool scan = rung > MKRT_BUS_PEEK || r[3] || round % MKRT_BUS_SCAN_EVERY == 1;
#ifdef MKRT_TRACE
	e->path = 2;
#endif
	if (rung && !scan && !*spent)
		ran += mkrt_bus_window(e, ring, slot_count, l, hint, rung, spent);
	if (scan && !*spent)
		ran += mkrt_pass(e, ring, slot_count, l, l->first, l->count, spent);
	*own = ran;
	return true;
}
#endif

/* The arguments in the order of MKRT_KARG_* (mkrt_kernel_abi.h). */
__kernel void mkrt_megakernel(mkrt_word_t *ring, uint slot_count, mkrt_word_t *ctl,
			      uint ctl_words, mkrt_word_t *dbg, uint dbg_words,
			      __global const uint *dfa, uint dfa_words, uint epoch_slots,
			      mkrt_word_t *io, mkrt_word_t *residency, uint resources,
			      mkrt_word_t *frames, uint frame_count, mkrt_arena_word_t *arena,
			      uint frame_words
#ifdef MKRT_HOST_NO_RMW
			      , mkrt_word_t *withdraw
#endif
#ifdef MKRT_BUS
			      , mkrt_word_t *claims
#endif
			      )
{
	struct mkrt_env e = {
		ctl, ctl_words, dbg, dbg_words, dfa, dfa_words,
		{ io, residency, resources, frames, frame_count, arena, frame_words,
		  &ctl[MKRT_CTL_SHUTDOWN], &ctl[MKRT_CTL_CLOCK_HAND], &ctl[MKRT_CTL_EVICTIONS],
		  &ctl[MKRT_CTL_BUSY_LANES] },
#ifdef MKRT_HOST_NO_RMW
		withdraw, 0,
#endif
#ifdef MKRT_BUS
		claims,
#endif
	};
	uint lanes = (uint)get_global_size(0), lane = (uint)get_global_id(0);
	uint first = (uint)(((ulong)lane * slot_count) / lanes);
	uint end = (uint)(((ulong)(lane + 1) * slot_count) / lanes);
	struct mkrt_lane l = { first, end - first, first, 0, epoch_slots };
	bool spent = false;
#ifdef MKRT_BUS
	struct mkrt_guess g = { 0, slot_count };
	uint seen = 0; /* the doorbell's count at this lane's last look */
#endif

	for (uint round = 1; !spent; round++) {
		uint own;
#ifdef MKRT_BUS
		/* every lane watches the bell and its share: no spares (a look
		 * costs a bus round trip whatever word it is at) */
		if (!mkrt_bus_round(&e, ring, slot_count, &l, &g, &seen, round, &own, &spent))
			break;
#else
		uint c[6]; /* SHUTDOWN, YIELD, BUSY_LANES, withdrawals */

		/* acquire: pairs with the host's (or a SHUTDOWN slot's) release,
		 * and with the host's ordered writes of a withdrawal (the slot's
		 * word before the flag) */
#ifdef MKRT_HOST_NO_RMW
		mkrt_load_round(ctl, &withdraw[MKRT_WITHDRAW_ANY(slot_count)], c);
		e.withdrawals = c[3];
#else
		mkrt_load_round(ctl, 0, c);
#endif
		if (c[0] || (c[1] && mkrt_may_return(&e, ring, slot_count)))
			break;
		if (lane > c[2]) {
			/* a spare: one bounded wait per round, so that lanes of
			 * one work-group that diverge here still take turns */
			for (uint k = 0; k < MKRT_SPARE_SPINS && lane > mkrt_load_relaxed(e.io.busy); k++)
				;
			if (round % MKRT_SPARE_PASS_EVERY == 0)
				mkrt_pass(&e, ring, slot_count, &l, l.first, slot_count, &spent);
			/* a spare's round counts as a slot toward its epoch, or a
			 * launch would last as long as its spares idle */
			spent |= mkrt_epoch_spent(&e, &l, ring, slot_count);
			continue;
		}
		own = mkrt_pass(&e, ring, slot_count, &l, l.first, l.count, &spent);
#endif
		if (!spent && mkrt_steals(own, round))
			mkrt_pass(&e, ring, slot_count, &l, end == slot_count ? 0 : end, slot_count - l.count,
				  &spent);
	}
}
