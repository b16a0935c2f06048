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

#define MKRT_HOT_EVERY        4u     /* a power of two */
#define MKRT_STEAL_EVERY      8u     /* a lane with a busy share still steals */
#define MKRT_SPARE_SPINS      16384u /* a spare's looks at BUSY_LANES per round */
#define MKRT_SPARE_PASS_EVERY 64u    /* a spare's rounds between passes */
#ifdef MKRT_BUS
/* Over a bus every look costs a round trip, and every lane's looks share
 * one link: lanes watch the doorbell (mkrt_kernel_abi.h) and look at their
 * share of the ring only when it says to, or every MKRT_BUS_SCAN_EVERY
 * rounds; a pass over the rest of the ring costs a round trip a slot, all
 * that while the lane's own share waits, so a lane steals much more
 * rarely. */
#define MKRT_BUS_SCAN_EVERY   32u
#define MKRT_BUS_STEAL_EVERY  256u
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
#ifdef MKRT_CL12
	/* the copy backend's withdrawal words (mkrt_kernel_abi.h): the host
	 * sets a slot's to 1 to withdraw it while PUBLISHED (mkrt_withdrawn);
	 * looked at only while MKRT_WITHDRAW_ANY, read once per pass, is set */
	mkrt_word_t *withdraw;
	uint withdrawals;
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
		mkrt_add_relaxed(&C[a1], a0);
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
		mkrt_add_relaxed(&C[MKRT_CTL_EPOCH], 1);
		mkrt_store_relaxed(&C[OBS], a1);
		return 0;
	}
	return MKRT_FAULT_UNKNOWN_OPCODE;
}

/* Count opcode @op run (@delta 1), or take back a count (@delta -1). */
void mkrt_count_metric(const struct mkrt_env *e, uint op, uint delta)
{
	if (op < MKRT_OP_METRIC_LIMIT)
		mkrt_add_relaxed(&e->ctl[MKRT_CTL_METRICS + op], delta);
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
	 * lane stands in for it meanwhile */
	const struct mkrt_ctx ctx = { &e->io, slot };
	mkrt_add_relaxed(e->io.busy, 1);
	uint reason = mkrt_user_dispatch(op, args, &ctx);
	mkrt_add_relaxed(e->io.busy, 0xFFFFFFFFu);
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

#ifdef MKRT_CL12
/*
 * The copy backend's host cannot CAS ring words, so it withdraws a slot by
 * setting its withdrawal word (after the publish: the queue is in order);
 * the first lane to find the slot PUBLISHED with it set moves it to EMPTY,
 * and the host reads that back. 1 when @slot is withdrawn (by this lane or
 * another): leave it alone. The host clears the word before it publishes
 * into the slot again.
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
 * is inside a slot. */
bool mkrt_sibling_inside(mkrt_word_t *ring, uint slot_count, uint mine)
{
	for (uint s = 0; s < slot_count; s++)
		if (s != mine &&
		    mkrt_load_relaxed(&ring[s * MKRT_SLOT_WORDS + MKRT_SLOT_STATUS]) == MKRT_STATUS_CLAIMED)
			return true;
	return false;
}

/* Whether a lane between slots may return at a yield or a spent epoch: not
 * while a sibling is inside a slot (CLAIMED; this lane holds none). The
 * launch cannot end before that sibling does, a load miss waiting on a slow
 * resource say, so until then this lane keeps the ring drained: returning
 * would leave every later slot to wait for that one. Looked at only when a
 * lane would return, never on the way to a slot. */
bool mkrt_may_return(mkrt_word_t *ring, uint slot_count)
{
	return !mkrt_sibling_inside(ring, slot_count, slot_count);
}

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
#ifdef MKRT_CL12
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
	/* Republished between check and claim: give it back untouched. Or a
	 * yield is asked and no sibling is inside a slot, so siblings may have
	 * returned already (mkrt_may_return looked before this claim): keeping
	 * the slot, this lane could be left alone in a launch that cannot end
	 * before it does, a held load miss say, with nobody serving the ring.
	 * Given back, it is the next launch's. */
	if (!mkrt_authorized(e, c, w[MKRT_SLOT_TENANT]) ||
	    (yield && !mkrt_sibling_inside(ring, slot_count, slot))) {
		mkrt_count_metric(e, h[MKRT_SLOT_OPCODE], 0xFFFFFFFFu);
		mkrt_store_release(&s[MKRT_SLOT_STATUS], MKRT_STATUS_PUBLISHED);
		return 0;
	}
	if (w[MKRT_SLOT_OPCODE] != h[MKRT_SLOT_OPCODE]) {
		mkrt_count_metric(e, h[MKRT_SLOT_OPCODE], 0xFFFFFFFFu);
		mkrt_count_metric(e, w[MKRT_SLOT_OPCODE], 1);
	}

	uint reason = mkrt_run_slot(e, slot, w);
	for (uint i = MKRT_SLOT_ARG0; i < MKRT_SLOT_WORDS; i++)
		if (w[i] != in[i])
			mkrt_store_relaxed(&s[i], w[i]);
	if (reason) {
		mkrt_store_relaxed(&s[MKRT_SLOT_FAULT_REASON], reason);
		mkrt_add_relaxed(&e->ctl[MKRT_CTL_FAULT_COUNT], 1);
	}
	/* release: results and control effects before DONE/FAULT ... */
	mkrt_store_release(&s[MKRT_SLOT_STATUS], reason ? MKRT_STATUS_FAULT : MKRT_STATUS_DONE);
	/* ... and DONE/FAULT before the count: DONE_COUNT == n means n finished */
	mkrt_add_release(&e->ctl[MKRT_CTL_DONE_COUNT], 1);
	return 1;
}


/* A lane's place in the ring and its count of slots this launch. */
struct mkrt_lane {
	uint first, count; /* its own share: count slots from first */
	uint last;         /* the slot it ran last */
	uint ran;          /* slots run this launch */
	uint epoch_slots;  /* return after this many (0: never) */
};

/* Count one slot (or a spare's round) toward the lane's epoch; true when the
 * epoch is spent and the lane may return (the host relaunches at once). */
bool mkrt_epoch_spent(struct mkrt_lane *l, mkrt_word_t *ring, uint slot_count)
{
	return l->epoch_slots && ++l->ran >= l->epoch_slots && mkrt_may_return(ring, slot_count);
}

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
		if (mkrt_epoch_spent(l, ring, slot_count)) {
			*spent = true;
			return ran;
		}
	}
	return ran;
}

/* Whether lane @lane is a spare, by BUSY_LANES @busy: no lane is blocked
 * inside a slot for it to stand in for (lane 0 never is one). Over a bus no
 * lane is: a look costs a bus round trip whatever word it is at, so every
 * lane watches its own share, and all of them in parallel. */
bool mkrt_spare(const struct mkrt_env *e, uint lane, uint busy)
{
#ifdef MKRT_BUS
	(void)e;
	(void)lane;
	(void)busy;
	return false;
#else
	return lane > busy;
#endif
}

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

/* The arguments in the order of MKRT_KARG_* (mkrt_kernel_abi.h). */
__kernel void mkrt_megakernel(mkrt_word_t *ring, uint slot_count, mkrt_word_t *ctl,
			      uint ctl_words, mkrt_word_t *dbg, uint dbg_words,
			      __global const uint *dfa, uint dfa_words, uint epoch_slots,
			      mkrt_word_t *io, mkrt_word_t *residency, uint resources,
			      mkrt_word_t *frames, uint frame_count, mkrt_arena_word_t *arena,
			      uint frame_words
#ifdef MKRT_CL12
			      , mkrt_word_t *withdraw
#endif
			      )
{
	struct mkrt_env e = {
		ctl, ctl_words, dbg, dbg_words, dfa, dfa_words,
		{ io, residency, resources, frames, frame_count, arena, frame_words,
		  &ctl[MKRT_CTL_SHUTDOWN], &ctl[MKRT_CTL_CLOCK_HAND], &ctl[MKRT_CTL_EVICTIONS],
		  &ctl[MKRT_CTL_BUSY_LANES] },
#ifdef MKRT_CL12
		withdraw, 0,
#endif
	};
	uint lanes = (uint)get_global_size(0), lane = (uint)get_global_id(0);
	uint first = (uint)(((ulong)lane * slot_count) / lanes);
	uint end = (uint)(((ulong)(lane + 1) * slot_count) / lanes);
	struct mkrt_lane l = { first, end - first, first, 0, epoch_slots };
	bool spent = false;

	uint seen = 0; /* the doorbell at this lane's last look (over a bus) */

	for (uint round = 1; !spent; round++) {
		uint c[6]; /* SHUTDOWN, YIELD, BUSY_LANES, withdrawals, doorbell, its slot */

		/* acquire: pairs with the host's (or a SHUTDOWN slot's) release,
		 * and with the host's ordered writes of a withdrawal (the slot's
		 * word before the flag) */
#ifdef MKRT_CL12
		mkrt_load_round(ctl, &withdraw[MKRT_WITHDRAW_ANY(slot_count)], c);
		e.withdrawals = c[3];
#else
		mkrt_load_round(ctl, 0, c);
#endif
		if (c[0] || (c[1] && mkrt_may_return(ring, slot_count)))
			break;
		if (mkrt_spare(&e, lane, c[2])) {
			/* one bounded wait per round: lanes of one work-group
			 * that diverge here still take turns */
			for (uint k = 0; k < MKRT_SPARE_SPINS &&
					 mkrt_spare(&e, lane, mkrt_load_relaxed(e.io.busy));
			     k++)
				;
			if (round % MKRT_SPARE_PASS_EVERY == 0)
				mkrt_pass(&e, ring, slot_count, &l, l.first, slot_count, &spent);
			/* a spare's round counts as a slot toward its epoch, or a
			 * launch would last as long as its spares idle */
			spent |= mkrt_epoch_spent(&l, ring, slot_count);
			continue;
		}
#ifdef MKRT_BUS
		/* The owner of the slot published last takes it at once; the
		 * whole share is looked at when more was published since this
		 * lane's last look, while a withdrawal waits, and now and then
		 * for what rings no bell (a slot given back, a raw publish). */
		uint rung = c[4] - seen, hint = c[5], own = 0;
		bool scan = rung > 1 || c[3] || round % MKRT_BUS_SCAN_EVERY == 1;
		seen = c[4];
		if (rung && hint >= l.first && hint - l.first < l.count)
			own = mkrt_pass(&e, ring, slot_count, &l, hint, 1, &spent);
		if (scan && !spent)
			own += mkrt_pass(&e, ring, slot_count, &l, l.first, l.count, &spent);
#else
		(void)seen;
		uint own = mkrt_pass(&e, ring, slot_count, &l, l.first, l.count, &spent);
#endif
		if (!spent && mkrt_steals(own, round))
			mkrt_pass(&e, ring, slot_count, &l, end == slot_count ? 0 : end, slot_count - l.count,
				  &spent);
	}
}
