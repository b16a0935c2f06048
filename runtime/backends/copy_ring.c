/* SPDX-License-Identifier: MIT */
/*
 * copy_ring.c - the copy backend's view of the ring (copy.h): publish and
 * batches, reset, the cancel protocol, read back, and region access.
 */
#include "copy.h"

#include <stdlib.h>

/* ---- the view of the ring ---------------------------------------------------------------- */

static bool mkrt__copy_settled(uint32_t status)
{
	/* only the host moves a slot out of these */
	return status == MKRT_STATUS_EMPTY || status == MKRT_STATUS_DONE || status == MKRT_STATUS_FAULT;
}

/* Under view_lock: read the ring back. A transfer's bytes arrive in no
 * promised order, so a slot read in one transfer could show a lane's DONE
 * and the result words from before it. So the ring is read twice, the
 * first read for the STATUS words only: a slot that was DONE or
 * FAULT in the first has its results in the second (the lane wrote them
 * first), and a slot that finished between the two keeps its first status
 * until the next read back. The queue is in order, so only the second
 * read is waited for: one blocking transfer per look. */
int mkrt__copy_refresh(struct mkrt__copy *c)
{
	int err = mkrt__copy_read_async(c, MKRT__CB_RING, 0, c->words[MKRT__CB_RING], c->status_view);

	err = err ? err : mkrt__copy_read(c, MKRT__CB_RING, 0, c->words[MKRT__CB_RING], c->view);
	if (err)
		return err;
	uint32_t claimed = 0;
	for (uint32_t s = 0; s < c->slots; s++) {
		uint32_t st = c->status_view[s * MKRT_SLOT_WORDS + MKRT_SLOT_STATUS];
		c->view[s * MKRT_SLOT_WORDS + MKRT_SLOT_STATUS] = st;
		claimed += st == MKRT_STATUS_CLAIMED;
	}
	mkrt__store_relaxed(&c->claimed, claimed);
	return 0;
}

/* Under view_lock: make the view current for words [@first, @first + @n) of
 * the ring, reading it back unless every slot they touch is settled. */
static int mkrt__copy_view(struct mkrt__copy *c, uint32_t first, uint32_t n)
{
	for (uint32_t s = first / MKRT_SLOT_WORDS; s <= (first + n - 1) / MKRT_SLOT_WORDS; s++)
		if (!mkrt__copy_settled(c->view[s * MKRT_SLOT_WORDS + MKRT_SLOT_STATUS]))
			return mkrt__copy_refresh(c);
	return 0;
}

int mkrt__copy_read_slot(void *state, uint32_t slot, struct mkrt_slot *out)
{
	struct mkrt__copy *c = state;

	pthread_mutex_lock(&c->view_lock);
	int err = mkrt__copy_view(c, slot * MKRT_SLOT_WORDS, MKRT_SLOT_WORDS);
	if (!err)
		mkrt__slot_from_words(c->view + (size_t)slot * MKRT_SLOT_WORDS, out);
	pthread_mutex_unlock(&c->view_lock);
	return err;
}

/* Under view_lock: validate and stage one publish of @req into @slot. */
static int mkrt__copy_stage(struct mkrt__copy *c, uint32_t slot, const struct mkrt_slot *req, uint32_t nargs)
{
	uint32_t *st = c->stage + (size_t)slot * MKRT_SLOT_WORDS;
	uint32_t *vw = c->view + (size_t)slot * MKRT_SLOT_WORDS;

	/* the slot's last writes completed before the read back that showed
	 * it settled, so its stage is free; mkrt_publish validates against the
	 * status the view holds */
	uint32_t old = vw[MKRT_SLOT_STATUS];
	memcpy(st, vw, MKRT_SLOT_BYTES);
	int err = mkrt_publish(c->stage, c->words[MKRT__CB_RING], slot, req, nargs);
	if (err)
		return err;
	memcpy(vw, st, MKRT_SLOT_BYTES);
	/* the payload transfer of a run covers the STATUS words inside it: they
	 * go out unchanged, and PUBLISHED comes from c->pub afterwards */
	st[MKRT_SLOT_STATUS] = old;
	return 0;
}

/* Under view_lock: set or clear @slot's withdrawal word, and keep the word
 * after them (the lanes' cue to look at such words at all) non-zero exactly
 * while one is set: raised after the first, lowered after the last, in
 * queue order. */
static int mkrt__copy_set_withdrawal(struct mkrt__copy *c, uint32_t slot, bool set)
{
	static const uint32_t zero = 0, one = 1;
	int err = mkrt__copy_write(c, MKRT__CB_WITHDRAW, slot, 1, set ? &one : &zero, false);

	if (err)
		return err;
	c->withdraw_set[slot] = set;
	c->withdrawals += set ? 1u : (uint32_t)-1;
	if (c->withdrawals == (set ? 1u : 0u))
		err = mkrt__copy_write(c, MKRT__CB_WITHDRAW, MKRT_WITHDRAW_ANY(c->slots), 1, set ? &one : &zero, false);
	return err;
}

/* Under view_lock: a withdrawal asked for in an earlier life of the slots
 * [@first, @first + @n) must not withdraw their next publish, so it is
 * cleared ahead of it (the queue is in order). */
static int mkrt__copy_clear_withdrawals(struct mkrt__copy *c, uint32_t first, uint32_t n)
{
	int err = 0;

	for (uint32_t s = first; s < first + n && !err; s++)
		if (c->withdraw_set[s])
			err = mkrt__copy_set_withdrawal(c, s, false);
	return err;
}

/* Under view_lock: withdrawals cleared, payload, then status of the staged
 * run [@first, @first + @n). */
static int mkrt__copy_send(struct mkrt__copy *c, uint32_t first, uint32_t n)
{
	uint32_t w0 = first * MKRT_SLOT_WORDS;
	int err = mkrt__copy_clear_withdrawals(c, first, n);

	err = err ? err : mkrt__copy_write(c, MKRT__CB_RING, w0 + 1, n * MKRT_SLOT_WORDS - 1, c->stage + w0 + 1,
					   false);

	err = err ? err : mkrt__copy_write_statuses(c, first, n);
	if (!err)
		clFlush(c->hq);
	return err;
}

int mkrt__copy_publish(void *state, uint32_t slot, const struct mkrt_slot *req, uint32_t nargs)
{
	struct mkrt__copy *c = state;

	pthread_mutex_lock(&c->view_lock);
	int err = mkrt__copy_view(c, slot * MKRT_SLOT_WORDS, MKRT_SLOT_WORDS);
	err = err ? err : mkrt__copy_stage(c, slot, req, nargs);
	err = err ? err : mkrt__copy_send(c, slot, 1);
	pthread_mutex_unlock(&c->view_lock);
	if (!err)
		mkrt__resident_ring_bell(&c->r);
	return err;
}

int mkrt__copy_publish_many(void *state, const uint32_t *slots, const struct mkrt_slot *reqs,
				   uint32_t n)
{
	struct mkrt__copy *c = state;
	uint32_t staged = 0, run = 0;
	int err = 0;

	pthread_mutex_lock(&c->view_lock);
	for (; staged < n && !err; staged++) {
		err = mkrt__copy_view(c, slots[staged] * MKRT_SLOT_WORDS, MKRT_SLOT_WORDS);
		err = err ? err : mkrt__copy_stage(c, slots[staged], &reqs[staged], MKRT_SLOT_ARGS);
	}
	if (err)
		staged--; /* the one that failed is not staged */
	/* one payload and one status transfer per run of consecutive slots */
	for (uint32_t i = 1; i <= staged; i++) {
		if (i < staged && slots[i] == slots[i - 1] + 1)
			continue;
		int e = mkrt__copy_send(c, slots[run], i - run);
		if (e) {
			err = e;
			staged = run;
			break;
		}
		run = i;
	}
	pthread_mutex_unlock(&c->view_lock);
	if (staged)
		mkrt__resident_ring_bell(&c->r);
	return staged ? (int)staged : err;
}

int mkrt__copy_reset_slot(void *state, uint32_t slot)
{
	struct mkrt__copy *c = state;
	static const uint32_t empty = MKRT_STATUS_EMPTY;

	pthread_mutex_lock(&c->view_lock);
	uint32_t *vw = c->view + (size_t)slot * MKRT_SLOT_WORDS;
	int err = mkrt__copy_view(c, slot * MKRT_SLOT_WORDS, MKRT_SLOT_WORDS);
	if (!err && vw[MKRT_SLOT_STATUS] != MKRT_STATUS_DONE && vw[MKRT_SLOT_STATUS] != MKRT_STATUS_FAULT)
		err = MKRT_ESTATE;
	err = err ? err : mkrt__copy_write(c, MKRT__CB_RING, slot * MKRT_SLOT_WORDS, 1, &empty, true);
	if (!err)
		vw[MKRT_SLOT_STATUS] = MKRT_STATUS_EMPTY;
	pthread_mutex_unlock(&c->view_lock);
	return err;
}

/*
 * Withdraw a PUBLISHED slot. Only a lane can CAS it, so the host sets the
 * slot's withdrawal word and the first lane that finds the slot PUBLISHED
 * with it set moves it to EMPTY (cl/megakernel.cl, mkrt_withdrawn). The
 * host then reads the slot back until a lane has decided: EMPTY is 0,
 * anything but PUBLISHED is ESTATE (a lane claimed it first). A lane that
 * does not look within two epochs and a second (starved, or busy in a long
 * opcode) leaves the request posted: EINPROGRESS, and the slot ends EMPTY
 * or finished later, once, as mkrt_wait() reports.
 */
int mkrt__copy_cancel_slot(void *state, uint32_t slot)
{
	struct mkrt__copy *c = state;
	struct mkrt__backoff backoff = { 0 };
	uint64_t deadline = mkrt__now_ns() + ((uint64_t)c->r.epoch_ms * 2u + 1000u) * 1000000u;
	uint32_t st = MKRT_STATUS_PUBLISHED;
	int err = 0;

	pthread_mutex_lock(&c->view_lock);
	if (!c->withdraw_set[slot])
		err = mkrt__copy_set_withdrawal(c, slot, true);
	pthread_mutex_unlock(&c->view_lock);
	if (!err)
		mkrt__resident_ring_bell(&c->r); /* only a lane can withdraw it */
	while (!err) {
		pthread_mutex_lock(&c->view_lock);
		err = mkrt__copy_view(c, slot * MKRT_SLOT_WORDS, MKRT_SLOT_WORDS);
		st = c->view[(size_t)slot * MKRT_SLOT_WORDS + MKRT_SLOT_STATUS];
		pthread_mutex_unlock(&c->view_lock);
		if (err || st != MKRT_STATUS_PUBLISHED)
			break;
		if (mkrt__resident_live(&c->r) == 0)
			return MKRT_ESHUTDOWN;
		if (mkrt__now_ns() >= deadline)
			return MKRT_EINPROGRESS;
		mkrt__backoff_pause(&backoff);
	}
	if (err)
		return err;
	return st == MKRT_STATUS_EMPTY ? 0 : MKRT_ESTATE;
}

/* ---- regions -------------------------------------------------------------------------------- */

uint32_t mkrt__copy_region_words(void *state, enum mkrt__region r)
{
	return r < MKRT__REGION_COUNT ? ((struct mkrt__copy *)state)->words[r] : 0;
}

int mkrt__copy_read_region(void *state, enum mkrt__region r, uint32_t first, uint32_t n,
				  uint32_t *out)
{
	struct mkrt__copy *c = state;
	int err;

	if (r != MKRT__REGION_RING) {
		pthread_mutex_lock(&c->xfer_lock);
		err = n ? mkrt__copy_read(c, (int)r, first, n, c->scratch) : 0;
		if (!err)
			memcpy(out, c->scratch, (size_t)n * 4u);
		pthread_mutex_unlock(&c->xfer_lock);
		return err;
	}
	pthread_mutex_lock(&c->view_lock);
	err = n ? mkrt__copy_view(c, first, n) : 0;
	if (!err)
		memcpy(out, c->view + first, (size_t)n * 4u);
	pthread_mutex_unlock(&c->view_lock);
	return err;
}

int mkrt__copy_write_region(void *state, enum mkrt__region r, uint32_t first, uint32_t n,
				   const uint32_t *in)
{
	struct mkrt__copy *c = state;
	int err;

	if (!n)
		return 0;
	if (r != MKRT__REGION_RING) {
		pthread_mutex_lock(&c->xfer_lock);
		memcpy(c->scratch, in, (size_t)n * 4u);
		err = mkrt__copy_write(c, (int)r, first, n, c->scratch, true);
		pthread_mutex_unlock(&c->xfer_lock);
	} else {
		/* through the stage, which holds no pending write of a settled
		 * slot; replay writes whole rings before anything runs */
		pthread_mutex_lock(&c->view_lock);
		memcpy(c->stage + first, in, (size_t)n * 4u);
		err = mkrt__copy_write(c, MKRT__CB_RING, first, n, c->stage + first, true);
		if (!err)
			memcpy(c->view + first, in, (size_t)n * 4u);
		pthread_mutex_unlock(&c->view_lock);
	}
	/* a write may publish slots (replay) or authorize a tenant: wake a
	 * parked kernel */
	if (!err)
		mkrt__resident_ring_bell(&c->r);
	return err;
}
