/* SPDX-License-Identifier: MIT */
/*
 * withdraw.c - withdrawal words: cancelling a PUBLISHED slot with stores
 * alone (withdraw.h).
 */
#include "withdraw.h"
#include "words.h"

void mkrt__withdrawals_init(struct mkrt__withdrawals *wd)
{
	pthread_mutex_init(&wd->lock, NULL);
}

void mkrt__withdrawals_fini(struct mkrt__withdrawals *wd)
{
	pthread_mutex_destroy(&wd->lock);
}

/* Under wd->lock: set or clear @slot's word, and keep the word after them
 * (the lanes' cue to look at such words at all) non-zero exactly while one
 * is set: raised after the first, lowered after the last. */
static void mkrt__withdrawal_set(struct mkrt__withdrawals *wd, uint32_t slot, bool set)
{
	/* release: the slot's word before the flag the lanes acquire */
	mkrt__store_release(&wd->words[slot], set);
	wd->set += set ? 1u : (uint32_t)-1;
	if (wd->set == (set ? 1u : 0u))
		mkrt__store_release(&wd->words[MKRT_WITHDRAW_ANY(wd->slots)], set);
}

void mkrt__withdrawals_clear(struct mkrt__withdrawals *wd, uint32_t slot)
{
	if (!mkrt__load_relaxed(&wd->words[slot]))
		return;
	pthread_mutex_lock(&wd->lock);
	if (mkrt__load_relaxed(&wd->words[slot]))
		mkrt__withdrawal_set(wd, slot, false);
	pthread_mutex_unlock(&wd->lock);
}

void mkrt__withdrawals_clear_words(struct mkrt__withdrawals *wd, uint32_t first, uint32_t n)
{
	uint64_t last = n ? ((uint64_t)first + n - 1) / MKRT_SLOT_WORDS : 0;

	for (uint64_t s = first / MKRT_SLOT_WORDS; n && s <= last && s < wd->slots; s++)
		mkrt__withdrawals_clear(wd, (uint32_t)s);
}

int mkrt__withdrawals_cancel(struct mkrt__withdrawals *wd, const uint32_t *ring, uint32_t slot,
			     struct mkrt__resident *r)
{
	const uint32_t *st = &ring[(size_t)slot * MKRT_SLOT_WORDS + MKRT_SLOT_STATUS];
	struct mkrt__backoff backoff = { 0 };
	uint64_t deadline = mkrt__now_ns() + ((uint64_t)r->epoch_ms * 2u + 1000u) * 1000000u;
	uint32_t now;

	if (slot >= wd->slots)
		return MKRT_ERANGE;
	/* acquire: EMPTY is 0, anything but PUBLISHED is a lane's */
	if (mkrt__load_acquire(st) != MKRT_STATUS_PUBLISHED)
		return MKRT_ESTATE;
	pthread_mutex_lock(&wd->lock);
	if (!mkrt__load_relaxed(&wd->words[slot]))
		mkrt__withdrawal_set(wd, slot, true);
	pthread_mutex_unlock(&wd->lock);
	mkrt__withdrawals_ring_doorbell(wd, slot, 1);
	mkrt__resident_ring_bell(r); /* only a lane can withdraw it */
	/* acquire: the lane's decision, and what it wrote before it */
	while ((now = mkrt__load_acquire(st)) == MKRT_STATUS_PUBLISHED) {
		if (mkrt__resident_live(r) == 0)
			return MKRT_ESHUTDOWN;
		if (mkrt__now_ns() >= deadline)
			return MKRT_EINPROGRESS;
		mkrt__backoff_pause(&backoff);
	}
	return now == MKRT_STATUS_EMPTY ? 0 : MKRT_ESTATE;
}

void mkrt__withdrawals_ring_doorbell(struct mkrt__withdrawals *wd, uint32_t slot, uint32_t bump)
{
	if (!wd->doorbell)
		return;
	uint64_t *bell = (uint64_t *)(void *)&wd->words[MKRT_DOORBELL(wd->slots)];
	uint64_t old = mkrt__load64_relaxed(bell);

	/* release: the slot's PUBLISHED before the bell */
	while (!mkrt__cas64_release(bell, &old, ((old >> 32) + bump) << 32 | slot))
		;
}

int mkrt__withdrawals_publish(struct mkrt__withdrawals *wd, struct mkrt__resident *r, void *state,
			      const uint32_t *slots, const struct mkrt_slot *reqs, uint32_t n, uint32_t nargs)
{
	uint32_t done = 0, run = 0;
	int err = 0;

	for (; done < n; done++) {
		if (slots[done] < wd->slots) /* none without withdrawal words */
			mkrt__withdrawals_clear(wd, slots[done]);
		err = mkrt__words_publish(state, slots[done], &reqs[done], nargs);
		if (err)
			break;
		run++;
		bool follows = wd->doorbell && done + 1 < n &&
			       slots[done + 1] == (slots[done] + 1u == wd->slots ? 0u : slots[done] + 1u);
		if (!follows) {
			mkrt__withdrawals_ring_doorbell(wd, slots[done], run);
			run = 0;
		}
	}
	if (run) /* a publish failed after a run began */
		mkrt__withdrawals_ring_doorbell(wd, slots[done - 1], run);
	if (done)
		mkrt__resident_ring_bell(r);
	return done ? (int)done : err;
}

bool mkrt__withdrawals_waiting(struct mkrt__withdrawals *wd, const uint32_t *ring)
{
	for (uint32_t s = 0; s < wd->slots; s++)
		if (mkrt__load_relaxed(&wd->words[s]) &&
		    mkrt__load_relaxed(&ring[(size_t)s * MKRT_SLOT_WORDS + MKRT_SLOT_STATUS]) ==
			    MKRT_STATUS_PUBLISHED)
			return true;
	return false;
}
