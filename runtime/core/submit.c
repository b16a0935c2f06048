/* SPDX-License-Identifier: MIT */
/*
 * submit.c - the submission API: tickets instead of slot indices.
 *
 * Each ring slot has a bookkeeping word (generation << 2 | state) that
 * submitters, waiters and cancellers move between FREE, RESERVED, INFLIGHT
 * and COLLECTING with compare-and-swap, so any number of threads may submit
 * and wait at once and a slot never has two owners. A ticket names a slot
 * and the generation it was issued in, so a stale ticket is refused.
 */
#include "runtime_priv.h"

#define MKRT__GEN_MASK ((1u << 30) - 1u)

static bool mkrt__rt_shut(struct mkrt_runtime *rt)
{
	uint32_t shutdown = 0;

	/* acquire: pairs with mkrt_runtime_stop()'s release */
	if (mkrt__load_acquire(&rt->stopped))
		return true;
	rt->ops.read_region(rt->state, MKRT__REGION_CONTROL, MKRT_CTL_SHUTDOWN, 1, &shutdown);
	return shutdown != 0;
}

/* Take a FREE slot for this submitter; returns its new generation, or -1. */
static int64_t mkrt__reserve(struct mkrt_runtime *rt, uint32_t *slot)
{
	/* the cursor is a hint, not a lock: the book's CAS decides who owns a
	 * slot, so a plain load and store of it keep one RMW off every submit */
	uint32_t s = mkrt__load_relaxed(&rt->cursor);

	if (s >= rt->slots)
		s = 0;
	for (uint32_t i = 0; i < rt->slots; i++, s = s + 1 == rt->slots ? 0 : s + 1) {
		uint32_t w = mkrt__load_relaxed(&rt->book[s]);
		if (MKRT__BOOK_STATE(w) != MKRT__BOOK_FREE)
			continue;
		uint32_t gen = (MKRT__BOOK_GEN(w) + 1u) & MKRT__GEN_MASK;
		/* acq_rel: we take over the slot after its last collector */
		if (mkrt__cas_acq_rel(&rt->book[s], &w, MKRT__BOOK(gen, MKRT__BOOK_RESERVED))) {
			mkrt__store_relaxed(&rt->cursor, s + 1 == rt->slots ? 0 : s + 1);
			*slot = s;
			return gen;
		}
	}
	return -1;
}

/* mkrt__reserve(), waiting up to @timeout_ms; ESHUTDOWN or ERINGFULL. */
static int64_t mkrt__reserve_wait(struct mkrt_runtime *rt, uint32_t timeout_ms, uint32_t *slot)
{
	struct mkrt__backoff backoff = { 0 };
	uint64_t deadline = 0; /* the clock is read only once we have to wait */
	int64_t gen;

	while ((gen = mkrt__reserve(rt, slot)) < 0) {
		if (mkrt__rt_shut(rt))
			return MKRT_ESHUTDOWN;
		if (!deadline)
			deadline = mkrt__now_ns() + (uint64_t)timeout_ms * 1000000u;
		else if (mkrt__now_ns() >= deadline)
			return MKRT_ERINGFULL;
		mkrt__backoff_pause(&backoff);
	}
	return gen;
}

int mkrt_submit(struct mkrt_runtime *rt, const struct mkrt_slot *req, uint32_t timeout_ms,
		struct mkrt_ticket *ticket)
{
	uint32_t slot;
	int64_t gen;
	int err;

	if (!rt || !req || !ticket)
		return MKRT_EINVAL;
	if (!mkrt_opcode_publishable(req->opcode))
		return MKRT_EOPCODE;
	gen = mkrt__reserve_wait(rt, timeout_ms, &slot);
	if (gen < 0)
		return (int)gen;
	/* not the SHUTDOWN word here: it shares a line with DONE_COUNT, which
	 * the executors write for every slot; whether any executor is left says
	 * the same without pulling that line (a slot that slips in just before
	 * they exit is reported by mkrt_wait as ESHUTDOWN) */
	if (mkrt__load_acquire(&rt->stopped) || rt->ops.executors_live(rt->state) == 0) {
		err = MKRT_ESHUTDOWN;
		goto out_unreserve;
	}
	err = rt->ops.publish(rt->state, slot, req, MKRT_SLOT_ARGS);
	if (err)
		goto out_unreserve;
	/* release: the ticket's waiter sees a published slot */
	mkrt__store_release(&rt->book[slot], MKRT__BOOK((uint32_t)gen, MKRT__BOOK_INFLIGHT));
	ticket->slot = slot;
	ticket->gen = (uint32_t)gen;
	return 0;

out_unreserve:
	mkrt__store_release(&rt->book[slot], MKRT__BOOK((uint32_t)gen, MKRT__BOOK_FREE));
	return err;
}

/* Publish @reqs[i] into @slots[i] through the backend's batch hook, or one
 * at a time; returns how many were published (a prefix) or an error. */
static int mkrt__publish_many(struct mkrt_runtime *rt, const uint32_t *slots, const struct mkrt_slot *reqs,
			      uint32_t n)
{
	if (rt->ops.publish_many)
		return rt->ops.publish_many(rt->state, slots, reqs, n);
	for (uint32_t i = 0; i < n; i++) {
		int err = rt->ops.publish(rt->state, slots[i], &reqs[i], MKRT_SLOT_ARGS);
		if (err)
			return i ? (int)i : err;
	}
	return (int)n;
}

int mkrt_submit_many(struct mkrt_runtime *rt, const struct mkrt_slot *reqs, uint32_t n,
		     uint32_t timeout_ms, struct mkrt_ticket *tickets)
{
	enum { CHUNK = 64 };
	uint32_t slots[CHUNK], gens[CHUNK], got = 0;
	int64_t gen;
	int done;

	if (!rt || !reqs || !tickets || n == 0)
		return MKRT_EINVAL;
	for (uint32_t i = 0; i < n; i++)
		if (!mkrt_opcode_publishable(reqs[i].opcode))
			return MKRT_EOPCODE;
	if (n > CHUNK)
		n = CHUNK; /* a partial count is the contract: callers loop */
	gen = mkrt__reserve_wait(rt, timeout_ms, &slots[0]);
	if (gen < 0)
		return (int)gen;
	gens[got++] = (uint32_t)gen;
	while (got < n && (gen = mkrt__reserve(rt, &slots[got])) >= 0)
		gens[got++] = (uint32_t)gen;
	if (mkrt__load_acquire(&rt->stopped) || rt->ops.executors_live(rt->state) == 0)
		done = MKRT_ESHUTDOWN;
	else
		done = mkrt__publish_many(rt, slots, reqs, got);
	for (uint32_t i = 0; i < got; i++) {
		bool published = done > 0 && i < (uint32_t)done;
		/* release: the ticket's waiter sees a published slot; an
		 * unpublished one goes back to FREE */
		mkrt__store_release(&rt->book[slots[i]],
				    MKRT__BOOK(gens[i], published ? MKRT__BOOK_INFLIGHT : MKRT__BOOK_FREE));
		if (published)
			tickets[i] = (struct mkrt_ticket){ .slot = slots[i], .gen = gens[i] };
	}
	return done;
}

/* Move @t's slot INFLIGHT -> COLLECTING; false when the ticket is stale. */
static bool mkrt__take(struct mkrt_runtime *rt, struct mkrt_ticket t)
{
	uint32_t expect = MKRT__BOOK(t.gen, MKRT__BOOK_INFLIGHT);

	/* acq_rel: we become the slot's only owner */
	return mkrt__cas_acq_rel(&rt->book[t.slot], &expect, MKRT__BOOK(t.gen, MKRT__BOOK_COLLECTING));
}

static void mkrt__release(struct mkrt_runtime *rt, struct mkrt_ticket t, uint32_t state)
{
	if (state == MKRT__BOOK_FREE)
		mkrt__store_relaxed(&rt->withdrawing[t.slot], 0);
	/* release: our reset of the ring slot (and of withdrawing) happens
	 * before its next owner */
	mkrt__store_release(&rt->book[t.slot], MKRT__BOOK(t.gen, state));
}

static bool mkrt__ticket_live(struct mkrt_runtime *rt, struct mkrt_ticket t)
{
	return t.slot < rt->slots && t.gen <= MKRT__GEN_MASK &&
	       mkrt__load_acquire(&rt->book[t.slot]) == MKRT__BOOK(t.gen, MKRT__BOOK_INFLIGHT);
}

/* @t's slot is EMPTY again: a posted withdrawal (mkrt_cancel() said
 * EINPROGRESS) was served. ECANCELED, the ticket spent; EAGAIN otherwise. */
static int mkrt__collect_withdrawn(struct mkrt_runtime *rt, struct mkrt_ticket t)
{
	if (!mkrt__load_relaxed(&rt->withdrawing[t.slot]))
		return MKRT_EAGAIN;
	if (!mkrt__take(rt, t))
		return MKRT_ESTALE;
	mkrt__release(rt, t, MKRT__BOOK_FREE);
	return MKRT_ECANCELED;
}

/* One look at the ticket's slot: 0/ESLOTFAULT when collected, ECANCELED
 * when withdrawn late, EAGAIN when not finished, ESTALE, or a backend error. */
static int mkrt__collect(struct mkrt_runtime *rt, struct mkrt_ticket t, struct mkrt_slot *result)
{
	struct mkrt_slot s;
	int err;

	if (!mkrt__ticket_live(rt, t))
		return MKRT_ESTALE;
	/* the status word alone while it is not finished: polling does not
	 * pull the rest of a line the executor may be writing */
	err = rt->ops.read_region(rt->state, MKRT__REGION_RING, t.slot * MKRT_SLOT_WORDS, 1, &s.status);
	if (err)
		return err;
	if (s.status == MKRT_STATUS_EMPTY)
		return mkrt__collect_withdrawn(rt, t);
	if (s.status != MKRT_STATUS_DONE && s.status != MKRT_STATUS_FAULT)
		return MKRT_EAGAIN;
	if (result) {
		err = rt->ops.read_slot(rt->state, t.slot, &s);
		if (err)
			return err;
	}
	if (!mkrt__take(rt, t))
		return MKRT_ESTALE;
	if (s.status == MKRT_STATUS_FAULT) {
		/* FAULT is terminal until the host resets it */
		err = rt->ops.reset_slot(rt->state, t.slot);
		if (err) {
			mkrt__release(rt, t, MKRT__BOOK_INFLIGHT);
			return err;
		}
	}
	if (result)
		*result = s;
	mkrt__release(rt, t, MKRT__BOOK_FREE);
	return s.status == MKRT_STATUS_DONE ? 0 : MKRT_ESLOTFAULT;
}

int mkrt_poll(struct mkrt_runtime *rt, struct mkrt_ticket ticket, struct mkrt_slot *result)
{
	if (!rt)
		return MKRT_EINVAL;
	return mkrt__collect(rt, ticket, result);
}

int mkrt_wait(struct mkrt_runtime *rt, struct mkrt_ticket ticket, uint32_t timeout_ms,
	      struct mkrt_slot *result)
{
	struct mkrt__backoff backoff = { 0 };
	uint64_t deadline;
	int err;

	if (!rt)
		return MKRT_EINVAL;
	deadline = 0; /* the clock is read only once we have to wait */
	for (;;) {
		err = mkrt__collect(rt, ticket, result);
		if (err != MKRT_EAGAIN)
			return err;
		if (!deadline)
			deadline = mkrt__now_ns() + (uint64_t)timeout_ms * 1000000u;
		/* executors first: a host-side word, where the SHUTDOWN word can
		 * cost a transfer (copy) */
		if (rt->ops.executors_live(rt->state) == 0 && mkrt__rt_shut(rt)) {
			/* every executor has returned: this look is final */
			err = mkrt__collect(rt, ticket, result);
			return err == MKRT_EAGAIN ? MKRT_ESHUTDOWN : err;
		}
		if (mkrt__now_ns() >= deadline)
			return MKRT_ETIMEDOUT;
		/* a load miss may be what we wait for: serve it rather than idle */
		if (rt->ops.serve_io(rt->state))
			mkrt__backoff_reset(&backoff);
		else
			mkrt__backoff_pause(&backoff);
	}
}

int mkrt_cancel(struct mkrt_runtime *rt, struct mkrt_ticket ticket)
{
	if (!rt)
		return MKRT_EINVAL;
	if (!mkrt__ticket_live(rt, ticket) || !mkrt__take(rt, ticket))
		return MKRT_ESTALE;
	int err = rt->ops.cancel_slot(rt->state, ticket.slot);
	if (err) {
		/* posted, not answered: the waiter's look at the slot decides */
		if (err == MKRT_EINPROGRESS)
			mkrt__store_relaxed(&rt->withdrawing[ticket.slot], 1);
		mkrt__release(rt, ticket, MKRT__BOOK_INFLIGHT);
		return err == MKRT_ESTATE ? MKRT_EBUSY : err;
	}
	mkrt__release(rt, ticket, MKRT__BOOK_FREE);
	return 0;
}
