/* SPDX-License-Identifier: MIT */
/*
 * publish.c - validated publishing and host transitions on a live word ring.
 *
 * Everything is validated before the first write, so a refused call leaves
 * the ring byte-identical. Payload words are written first, then STATUS with
 * a release store; an executor's acquire load of STATUS then sees them.
 */
#include "internal.h"

#define MKRT__BIT(s) (1u << (s))

/* Legal host edges: legal_to[from] is a mask of the statuses it may become. */
static const uint32_t mkrt__legal_to[MKRT_STATUS_COUNT] = {
	[MKRT_STATUS_EMPTY] = MKRT__BIT(MKRT_STATUS_PUBLISHED),
	[MKRT_STATUS_PUBLISHED] = MKRT__BIT(MKRT_STATUS_CLAIMED) | MKRT__BIT(MKRT_STATUS_EMPTY),
	[MKRT_STATUS_CLAIMED] = MKRT__BIT(MKRT_STATUS_DONE) | MKRT__BIT(MKRT_STATUS_FAULT),
	[MKRT_STATUS_DONE] = MKRT__BIT(MKRT_STATUS_PUBLISHED) | MKRT__BIT(MKRT_STATUS_EMPTY),
	[MKRT_STATUS_FAULT] = MKRT__BIT(MKRT_STATUS_EMPTY),
};

int mkrt_slot_edge_legal(uint32_t from, uint32_t to)
{
	if (from >= MKRT_STATUS_COUNT || to >= MKRT_STATUS_COUNT)
		return 0;
	return (mkrt__legal_to[from] & MKRT__BIT(to)) != 0;
}

int mkrt_user_opcode(uint32_t opcode)
{
	if (opcode <= MKRT_OP_BUILTIN_LAST || opcode & MKRT_OP_HIGH_BIT)
		return 0;
	return opcode < MKRT_OP_SYSTEM_FIRST || opcode > MKRT_OP_SYSTEM_LAST;
}

int mkrt_opcode_publishable(uint32_t opcode)
{
	switch (opcode) {
	case MKRT_OP_LOAD_MISS:
	case MKRT_OP_PRINTF:
	case MKRT_OP_PACKED_SLOT:
	case MKRT_OP_SHUTDOWN:
		return 1;
	}
	return opcode <= MKRT_OP_BUILTIN_LAST || mkrt_user_opcode(opcode);
}

void mkrt__slot_to_words(const struct mkrt_slot *s, uint32_t w[MKRT_SLOT_WORDS])
{
	w[MKRT_SLOT_STATUS] = s->status;
	w[MKRT_SLOT_OPCODE] = s->opcode;
	w[MKRT_SLOT_TENANT] = s->tenant;
	w[MKRT_SLOT_PRIORITY] = s->priority;
	memcpy(w + MKRT_SLOT_ARG0, s->args, sizeof(s->args));
}

void mkrt__slot_from_words(const uint32_t w[MKRT_SLOT_WORDS], struct mkrt_slot *s)
{
	s->status = w[MKRT_SLOT_STATUS];
	s->opcode = w[MKRT_SLOT_OPCODE];
	s->tenant = w[MKRT_SLOT_TENANT];
	s->priority = w[MKRT_SLOT_PRIORITY];
	memcpy(s->args, w + MKRT_SLOT_ARG0, sizeof(s->args));
}

static int mkrt__ring_check(const uint32_t *ring, size_t ring_words, uint32_t slot)
{
	if (!ring || ring_words == 0)
		return MKRT_EINVAL;
	if (ring_words % MKRT_SLOT_WORDS)
		return MKRT_EALIGN;
	if (ring_words / MKRT_SLOT_WORDS > MKRT_MAX_ENTRIES)
		return MKRT_ETOOBIG;
	if (slot >= ring_words / MKRT_SLOT_WORDS)
		return MKRT_ERANGE;
	return 0;
}

/* The request as it will be published: args past @nargs cleared. */
static void mkrt__request_args(const struct mkrt_slot *req, uint32_t nargs,
			       uint32_t args[MKRT_SLOT_ARGS])
{
	memset(args, 0, MKRT_SLOT_ARGS * sizeof(uint32_t));
	memcpy(args, req->args, nargs * sizeof(uint32_t));
}

/* Everything about a request except the target slot's state. */
int mkrt__request_check(const struct mkrt_slot *req, uint32_t nargs)
{
	uint32_t args[MKRT_SLOT_ARGS];
	struct mkrt_packed_op ops[MKRT_PACKED_MAX_OPS];

	if (!req)
		return MKRT_EINVAL;
	if (!mkrt_opcode_publishable(req->opcode))
		return MKRT_EOPCODE;
	if (nargs > MKRT_SLOT_ARGS)
		return MKRT_EARGS;
	if (req->opcode != MKRT_OP_PACKED_SLOT)
		return 0;
	mkrt__request_args(req, nargs, args);
	int n = mkrt__packed_parse(args, ops);
	if (n < 0)
		return MKRT_EPACKED;
	for (int k = 0; k < n; k++)
		if (ops[k].opcode > MKRT_OP_BUILTIN_LAST)
			return MKRT_EPACKED;
	return 0;
}

static int mkrt__slot_publishable(const uint32_t *ring, uint32_t slot)
{
	/* acquire: a DONE we see means the executor is finished with the slot */
	uint32_t st = mkrt__load_acquire(&ring[(size_t)slot * MKRT_SLOT_WORDS + MKRT_SLOT_STATUS]);

	return st == MKRT_STATUS_EMPTY || st == MKRT_STATUS_DONE ? 0 : MKRT_ESTATE;
}

/* Write words 1..15 of slot @slot; STATUS is left to the caller. */
static void mkrt__payload_write(uint32_t *ring, uint32_t slot, const struct mkrt_slot *req,
				uint32_t nargs)
{
	uint32_t *w = ring + (size_t)slot * MKRT_SLOT_WORDS;
	uint32_t args[MKRT_SLOT_ARGS];

	mkrt__request_args(req, nargs, args);
	mkrt__store_relaxed(&w[MKRT_SLOT_OPCODE], req->opcode);
	mkrt__store_relaxed(&w[MKRT_SLOT_TENANT], req->tenant);
	mkrt__store_relaxed(&w[MKRT_SLOT_PRIORITY], req->priority);
	for (uint32_t i = 0; i < MKRT_SLOT_ARGS; i++)
		mkrt__store_relaxed(&w[MKRT_SLOT_ARG0 + i], args[i]);
}

static void mkrt__status_publish(uint32_t *ring, uint32_t slot)
{
	/* release: orders the payload stores before an executor's acquire of STATUS */
	mkrt__store_release(&ring[(size_t)slot * MKRT_SLOT_WORDS + MKRT_SLOT_STATUS],
			    MKRT_STATUS_PUBLISHED);
}

int mkrt_publish(uint32_t *ring, size_t ring_words, uint32_t slot, const struct mkrt_slot *req,
		 uint32_t nargs)
{
	int err = mkrt__ring_check(ring, ring_words, slot);

	if (!err)
		err = mkrt__request_check(req, nargs);
	if (!err)
		err = mkrt__slot_publishable(ring, slot);
	if (err)
		return err;
	mkrt__payload_write(ring, slot, req, nargs);
	mkrt__status_publish(ring, slot);
	return 0;
}

int mkrt_publish_batch(uint32_t *ring, size_t ring_words, uint32_t first,
		       const struct mkrt_slot *reqs, uint32_t n, uint32_t fence_tag)
{
	int err = mkrt__ring_check(ring, ring_words, first);

	if (err)
		return err;
	if (!reqs && n)
		return MKRT_EINVAL;
	uint32_t slots = (uint32_t)(ring_words / MKRT_SLOT_WORDS);
	if (n >= slots)
		return MKRT_ERANGE;

	struct mkrt_slot fence = {
		.opcode = MKRT_OP_BATCH_FENCE,
		.tenant = n ? reqs[0].tenant : 0,
		.priority = n ? reqs[0].priority : 0,
		.args = { 0, fence_tag },
	};
	for (uint32_t i = 0; i <= n; i++) {
		const struct mkrt_slot *r = i < n ? &reqs[i] : &fence;
		if ((err = mkrt__request_check(r, MKRT_SLOT_ARGS)))
			return err;
		if ((err = mkrt__slot_publishable(ring, (first + i) % slots)))
			return err;
	}

	for (uint32_t i = 0; i <= n; i++)
		mkrt__payload_write(ring, (first + i) % slots, i < n ? &reqs[i] : &fence,
				    MKRT_SLOT_ARGS);
	for (uint32_t i = 0; i <= n; i++)
		mkrt__status_publish(ring, (first + i) % slots);
	return (int)((first + n) % slots);
}

/* Move slot @slot from any status in @from_mask to @to with one CAS. */
static int mkrt__transition(uint32_t *ring, size_t ring_words, uint32_t slot, uint32_t from_mask,
			    uint32_t to)
{
	int err = mkrt__ring_check(ring, ring_words, slot);

	if (err)
		return err;
	uint32_t *status = &ring[(size_t)slot * MKRT_SLOT_WORDS + MKRT_SLOT_STATUS];
	uint32_t cur = mkrt__load_acquire(status);
	for (;;) {
		if (cur >= MKRT_STATUS_COUNT || !(from_mask & MKRT__BIT(cur)))
			return MKRT_ESTATE;
		/* acq_rel: a claim acquires the payload; DONE/EMPTY release our writes */
		if (mkrt__cas_acq_rel(status, &cur, to))
			return 0;
	}
}

int mkrt_slot_claim(uint32_t *ring, size_t ring_words, uint32_t slot)
{
	return mkrt__transition(ring, ring_words, slot, MKRT__BIT(MKRT_STATUS_PUBLISHED),
				MKRT_STATUS_CLAIMED);
}

int mkrt_slot_done(uint32_t *ring, size_t ring_words, uint32_t slot)
{
	return mkrt__transition(ring, ring_words, slot, MKRT__BIT(MKRT_STATUS_CLAIMED),
				MKRT_STATUS_DONE);
}

int mkrt_slot_cancel(uint32_t *ring, size_t ring_words, uint32_t slot)
{
	return mkrt__transition(ring, ring_words, slot, MKRT__BIT(MKRT_STATUS_PUBLISHED),
				MKRT_STATUS_EMPTY);
}

int mkrt_slot_reset(uint32_t *ring, size_t ring_words, uint32_t slot)
{
	return mkrt__transition(ring, ring_words, slot,
				MKRT__BIT(MKRT_STATUS_DONE) | MKRT__BIT(MKRT_STATUS_FAULT),
				MKRT_STATUS_EMPTY);
}

int mkrt__slot_reset_owned(uint32_t *ring, size_t ring_words, uint32_t slot)
{
	int err = mkrt__ring_check(ring, ring_words, slot);

	if (err)
		return err;
	uint32_t *st = &ring[(size_t)slot * MKRT_SLOT_WORDS + MKRT_SLOT_STATUS];
	/* acquire: the lane's results, read before the slot is reused */
	uint32_t now = mkrt__load_acquire(st);
	if (now != MKRT_STATUS_DONE && now != MKRT_STATUS_FAULT)
		return MKRT_ESTATE;
	/* release: our reads of the results before the next publish's writes */
	mkrt__store_release(st, MKRT_STATUS_EMPTY);
	return 0;
}

int mkrt_slot_fault(uint32_t *ring, size_t ring_words, uint32_t slot, uint32_t reason)
{
	int err = mkrt__ring_check(ring, ring_words, slot);

	if (err)
		return err;
	uint32_t *w = ring + (size_t)slot * MKRT_SLOT_WORDS;
	/* the caller owns a CLAIMED slot, so the reason can go in before FAULT */
	if (mkrt__load_acquire(&w[MKRT_SLOT_STATUS]) != MKRT_STATUS_CLAIMED)
		return MKRT_ESTATE;
	uint32_t old_reason = mkrt__load_relaxed(&w[MKRT_SLOT_FAULT_REASON]);
	mkrt__store_relaxed(&w[MKRT_SLOT_FAULT_REASON], reason);
	err = mkrt__transition(ring, ring_words, slot, MKRT__BIT(MKRT_STATUS_CLAIMED),
			       MKRT_STATUS_FAULT);
	if (err)
		mkrt__store_relaxed(&w[MKRT_SLOT_FAULT_REASON], old_reason);
	return err;
}

int mkrt_ring_read_slot(const uint32_t *ring, size_t ring_words, uint32_t slot,
			struct mkrt_slot *out)
{
	uint32_t w[MKRT_SLOT_WORDS];
	int err = mkrt__ring_check(ring, ring_words, slot);

	if (err)
		return err;
	if (!out)
		return MKRT_EINVAL;
	const uint32_t *s = ring + (size_t)slot * MKRT_SLOT_WORDS;
	/* acquire: a DONE/FAULT we see comes with the executor's result words */
	w[MKRT_SLOT_STATUS] = mkrt__load_acquire(&s[MKRT_SLOT_STATUS]);
	for (uint32_t i = 1; i < MKRT_SLOT_WORDS; i++)
		w[i] = mkrt__load_relaxed(&s[i]);
	mkrt__slot_from_words(w, out);
	return 0;
}
