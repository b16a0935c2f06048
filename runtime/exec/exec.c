/* SPDX-License-Identifier: MIT */
/*
 * exec.c - the reference executor: DESIGN §2's opcode semantics on the host.
 *
 * One claimed slot runs as: acquire STATUS == PUBLISHED, check the tenant,
 * claim by CAS (acq_rel), count the opcode's metric, execute, write results
 * and the fault reason, release-store DONE or FAULT, release-add DONE_COUNT.
 * Control and log words are shared with other lanes, so every access is an
 * atomic; their relaxed order is published by the slot's release.
 */
#include "internal.h"

#include <limits.h>

static uint32_t *mkrt__ctl(const struct mkrt_exec_buffers *b, uint64_t word)
{
	return &b->control[word];
}

/* True when the whole access [first, first + count) lies in W words. */
static bool mkrt__in_range(uint64_t first, uint64_t count, uint64_t words)
{
	return first <= words && count <= words - first;
}

/* Run builtin @op with arguments @a; returns a fault reason or 0. */
static uint32_t mkrt__run_builtin(const struct mkrt_exec_buffers *b, uint32_t op,
				  const uint32_t a[MKRT_PACKED_OP_ARGS])
{
	const uint64_t W = b->control_words, OBS = MKRT_CTL_OBS;

	switch (op) {
	case MKRT_OP_NOP:
		return 0;
	case MKRT_OP_STORE_U32:
		if (a[1] >= W)
			return MKRT_FAULT_OUT_OF_RANGE;
		mkrt__store_relaxed(mkrt__ctl(b, a[1]), a[0]);
		return 0;
	case MKRT_OP_ATOMIC_ADD:
		if (a[1] >= W)
			return MKRT_FAULT_OUT_OF_RANGE;
		mkrt__add_relaxed(mkrt__ctl(b, a[1]), a[0]);
		return 0;
	case MKRT_OP_LOAD_U32:
		if (a[0] >= W || OBS + a[1] >= W)
			return MKRT_FAULT_OUT_OF_RANGE;
		mkrt__store_relaxed(mkrt__ctl(b, OBS + a[1]), mkrt__load_relaxed(mkrt__ctl(b, a[0])));
		return 0;
	case MKRT_OP_COMPARE_SWAP: {
		if (a[0] >= W || OBS + a[0] >= W)
			return MKRT_FAULT_OUT_OF_RANGE;
		uint32_t prev = a[1]; /* on failure the CAS leaves the current value here */
		mkrt__cas_relaxed(mkrt__ctl(b, a[0]), &prev, a[2]);
		mkrt__store_relaxed(mkrt__ctl(b, OBS + a[0]), prev);
		return 0;
	}
	case MKRT_OP_MEMCPY:
		if (!mkrt__in_range(a[0], a[2], W) || !mkrt__in_range(a[1], a[2], W))
			return MKRT_FAULT_OUT_OF_RANGE;
		for (uint64_t i = 0; i < a[2]; i++)
			mkrt__store_relaxed(mkrt__ctl(b, a[1] + i),
					    mkrt__load_relaxed(mkrt__ctl(b, a[0] + i)));
		return 0;
	case MKRT_OP_DFA_STEP: {
		uint64_t t = (uint64_t)a[0] * MKRT_DFA_COLUMNS + a[1];
		if (a[1] >= MKRT_DFA_COLUMNS || !b->dfa || t >= b->dfa_words || OBS + a[2] >= W)
			return MKRT_FAULT_OUT_OF_RANGE;
		mkrt__store_relaxed(mkrt__ctl(b, OBS + a[2]), b->dfa[t]);
		return 0;
	}
	case MKRT_OP_BATCH_FENCE:
		mkrt__add_relaxed(mkrt__ctl(b, MKRT_CTL_EPOCH), 1);
		mkrt__store_relaxed(mkrt__ctl(b, OBS), a[1]);
		return 0;
	}
	return MKRT_FAULT_UNKNOWN_OPCODE;
}

static void mkrt__count_metric(const struct mkrt_exec_buffers *b, uint32_t op)
{
	if (op < MKRT_OP_METRIC_LIMIT)
		mkrt__add_relaxed(mkrt__ctl(b, MKRT_CTL_METRICS + op), 1);
}

/* Reserve one record by advancing the saturating cursor; write it if it fits. */
static void mkrt__log_append(const struct mkrt_exec_buffers *b, const uint32_t rec[4])
{
	if (!b->debug_log)
		return;
	uint32_t *cursor = &b->debug_log[MKRT_LOG_CURSOR];
	uint32_t cur = mkrt__load_relaxed(cursor);
	do {
		if (cur > UINT32_MAX - MKRT_LOG_RECORD_WORDS)
			return; /* saturated: still counted as overflow */
	} while (!mkrt__cas_relaxed(cursor, &cur, cur + MKRT_LOG_RECORD_WORDS));

	uint64_t room = (uint64_t)b->debug_words - MKRT_LOG_FIRST;
	room -= room % MKRT_LOG_RECORD_WORDS;
	if ((uint64_t)cur + MKRT_LOG_RECORD_WORDS > room)
		return; /* past the end: dropped, and the cursor counts it */
	for (uint32_t i = 0; i < MKRT_LOG_RECORD_WORDS; i++)
		mkrt__store_relaxed(&b->debug_log[MKRT_LOG_FIRST + cur + i], rec[i]);
}

static uint32_t mkrt__run_packed(const struct mkrt_exec_buffers *b,
				 const uint32_t args[MKRT_SLOT_ARGS])
{
	struct mkrt_packed_op ops[MKRT_PACKED_MAX_OPS];
	int n = mkrt__packed_parse(args, ops);

	if (n < 0)
		return MKRT_FAULT_PACKED;
	for (int k = 0; k < n; k++) {
		mkrt__count_metric(b, ops[k].opcode);
		uint32_t reason = ops[k].opcode <= MKRT_OP_BUILTIN_LAST
					  ? mkrt__run_builtin(b, ops[k].opcode, ops[k].args)
					  : MKRT_FAULT_UNKNOWN_OPCODE;
		if (reason)
			return reason; /* earlier inner ops keep their effect */
	}
	return 0;
}

static const struct mkrt_handler *mkrt__find_handler(const struct mkrt_exec_buffers *b,
						     uint32_t op)
{
	for (uint32_t i = 0; i < b->handler_count; i++)
		if (b->handlers[i].opcode == op)
			return &b->handlers[i];
	return NULL;
}

/* Execute a claimed slot held in @w (a private copy); returns the fault
 * reason or 0. Result words are left in @w. */
static uint32_t mkrt__run_slot(const struct mkrt_exec_buffers *b, uint32_t slot,
			       uint32_t w[MKRT_SLOT_WORDS])
{
	uint32_t op = w[MKRT_SLOT_OPCODE];
	uint32_t *args = w + MKRT_SLOT_ARG0;

	mkrt__count_metric(b, op);
	if (op <= MKRT_OP_BUILTIN_LAST)
		return mkrt__run_builtin(b, op, args);
	switch (op) {
	case MKRT_OP_PACKED_SLOT:
		return mkrt__run_packed(b, args);
	case MKRT_OP_PRINTF: {
		uint32_t rec[4] = { args[0], args[1], args[2], slot * MKRT_SLOT_WORDS };
		mkrt__log_append(b, rec);
		return 0;
	}
	case MKRT_OP_SHUTDOWN:
		/* release: lanes that acquire SHUTDOWN see everything before it */
		mkrt__store_release(mkrt__ctl(b, MKRT_CTL_SHUTDOWN), 1);
		return 0;
	case MKRT_OP_LOAD_MISS:
		return mkrt__load_miss(b, slot, args); /* busy while it waits */
	}
	/* a user opcode may keep this lane for long: counted meanwhile, as the
	 * megakernel counts it (its spare lanes stand in) */
	const struct mkrt_handler *h = mkrt__find_handler(b, op);
	struct mkrt_ctx ctx = { b, slot };
	mkrt__add_relaxed(mkrt__ctl(b, MKRT_CTL_BUSY_LANES), 1);
	uint32_t reason = h ? h->fn(h->user, op, args, &ctx) : MKRT_FAULT_UNKNOWN_OPCODE;
	mkrt__add_relaxed(mkrt__ctl(b, MKRT_CTL_BUSY_LANES), UINT32_MAX);
	return reason;
}

/* Whether opcode @op may keep its lane waiting: a load miss (for its load),
 * a user opcode (for as long as its handler likes). */
static bool mkrt__may_block(uint32_t op)
{
	return op == MKRT_OP_LOAD_MISS || mkrt_user_opcode(op);
}

/* How mkrt__exec() runs a slot: as a lane, which starts no slot once
 * SHUTDOWN is set (mkrt_reference_execute() runs one regardless), and
 * whether what may block is taken. */
enum {
	MKRT__EXEC_LANE = 1u << 0,
	MKRT__EXEC_BLOCKING = 1u << 1,
};

/* Whether a lane may run slot word copy @w: its tenant is authorized, and
 * it does not block unless @how says it may. */
static bool mkrt__runnable(const struct mkrt_exec_buffers *b, const uint32_t *w, unsigned how)
{
	return mkrt__tenant_authorized(b->control, w[MKRT_SLOT_TENANT]) &&
	       ((how & MKRT__EXEC_BLOCKING) || !mkrt__may_block(w[MKRT_SLOT_OPCODE]));
}

static int mkrt__exec(const struct mkrt_exec_buffers *b, uint32_t slot, unsigned how)
{
	uint32_t *s = b->ring + (size_t)slot * MKRT_SLOT_WORDS;
	uint32_t w[MKRT_SLOT_WORDS], in[MKRT_SLOT_WORDS];

	/* acquire: pairs with the publisher's release of STATUS */
	uint32_t st = mkrt__load_acquire(&s[MKRT_SLOT_STATUS]);
	if (st != MKRT_STATUS_PUBLISHED)
		return 0;
	w[MKRT_SLOT_TENANT] = mkrt__load_relaxed(&s[MKRT_SLOT_TENANT]);
	w[MKRT_SLOT_OPCODE] = mkrt__load_relaxed(&s[MKRT_SLOT_OPCODE]);
	if (!mkrt__runnable(b, w, how))
		return 0;
	/* acq_rel: exactly one lane wins; it acquires the payload */
	if (!mkrt__cas_acq_rel(&s[MKRT_SLOT_STATUS], &st, MKRT_STATUS_CLAIMED))
		return 0;
	for (uint32_t i = 1; i < MKRT_SLOT_WORDS; i++)
		in[i] = w[i] = mkrt__load_relaxed(&s[i]);
	/* Republished between check and claim, or published after SHUTDOWN
	 * (the claim acquired the publish, so the publisher's view of SHUTDOWN
	 * too; a lane's round looked at SHUTDOWN before this slot was there):
	 * give it back untouched; release so its payload stays ordered for the
	 * next lane. */
	if (!mkrt__runnable(b, w, how) ||
	    ((how & MKRT__EXEC_LANE) && mkrt__load_relaxed(mkrt__ctl(b, MKRT_CTL_SHUTDOWN)))) {
		mkrt__store_release(&s[MKRT_SLOT_STATUS], MKRT_STATUS_PUBLISHED);
		return 0;
	}

	uint32_t reason = mkrt__run_slot(b, slot, w);
	for (uint32_t i = MKRT_SLOT_ARG0; i < MKRT_SLOT_WORDS; i++)
		if (w[i] != in[i])
			mkrt__store_relaxed(&s[i], w[i]);
	if (reason) {
		mkrt__store_relaxed(&s[MKRT_SLOT_FAULT_REASON], reason);
		mkrt__add_relaxed(mkrt__ctl(b, MKRT_CTL_FAULT_COUNT), 1);
	}
	/* release: results and control effects before DONE/FAULT ... */
	mkrt__store_release(&s[MKRT_SLOT_STATUS], reason ? MKRT_STATUS_FAULT : MKRT_STATUS_DONE);
	/* ... and DONE/FAULT before the count, so DONE_COUNT == n means n finished */
	mkrt__add_release(mkrt__ctl(b, MKRT_CTL_DONE_COUNT), 1);
	return 1;
}

int mkrt__exec_slot(const struct mkrt_exec_buffers *b, uint32_t slot)
{
	return mkrt__exec(b, slot, MKRT__EXEC_LANE | MKRT__EXEC_BLOCKING);
}

uint32_t mkrt__exec_pass_nonblocking(const struct mkrt_exec_buffers *b)
{
	uint32_t ran = 0;

	for (uint32_t i = 0; i < b->slot_count; i++)
		ran += (uint32_t)mkrt__exec(b, i, MKRT__EXEC_LANE);
	return ran;
}

int mkrt__handlers_check(const struct mkrt_handler *h, uint32_t n)
{
	if (n && !h)
		return MKRT_EHANDLER;
	for (uint32_t i = 0; i < n; i++) {
		if (!h[i].fn || !mkrt_user_opcode(h[i].opcode))
			return MKRT_EHANDLER;
		for (uint32_t j = 0; j < i; j++)
			if (h[j].opcode == h[i].opcode)
				return MKRT_EHANDLER;
	}
	return 0;
}

int mkrt__exec_check(const struct mkrt_exec_buffers *b)
{
	if (!b || !b->ring || !b->control || b->slot_count == 0)
		return MKRT_EINVAL;
	if (b->slot_count > MKRT_MAX_ENTRIES)
		return MKRT_ETOOBIG;
	if (b->control_words <= MKRT_CTL_OBS)
		return MKRT_ESHORT;
	if (b->control_words - MKRT_CTL_OBS > MKRT_MAX_ENTRIES)
		return MKRT_ETOOBIG;
	if (b->debug_log && b->debug_words < MKRT_LOG_FIRST)
		return MKRT_ESHORT;
	if (!b->dfa && b->dfa_words)
		return MKRT_EINVAL;
	if (b->io && (!b->residency || !b->frames || !b->arena || !b->frame_count ||
		      !b->frame_words))
		return MKRT_EINVAL;
	return mkrt__handlers_check(b->handlers, b->handler_count);
}

int mkrt_reference_execute(const struct mkrt_exec_buffers *b, uint32_t slot)
{
	int err = mkrt__exec_check(b);

	if (err)
		return err;
	if (slot >= b->slot_count)
		return MKRT_ERANGE;
	return mkrt__exec(b, slot, MKRT__EXEC_BLOCKING);
}

int mkrt_reference_drain(const struct mkrt_exec_buffers *b)
{
	int err = mkrt__exec_check(b);
	uint64_t total = 0;
	int ran;

	if (err)
		return err;
	do {
		ran = 0;
		for (uint32_t i = 0; i < b->slot_count; i++) {
			/* acquire: a lane stops once it sees SHUTDOWN */
			if (mkrt__load_acquire(mkrt__ctl(b, MKRT_CTL_SHUTDOWN)))
				goto out;
			ran += mkrt__exec_slot(b, i);
		}
		total += (uint64_t)ran;
	} while (ran);
out:
	total += (uint64_t)ran;
	return total > INT_MAX ? INT_MAX : (int)total;
}
