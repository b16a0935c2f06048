/* SPDX-License-Identifier: MIT */
/*
 * shm_pass.c - the shm broker's pass (shm_broker.c says how the backend
 * works): take PUBLISHED slots of the segment in (the intake rules of
 * shm.c, the tenant check against the tenant base as it is now), forward
 * each to its twin in the inner ring, and write a finished twin back, DONE
 * or FAULT. One pass at a time, under the broker's lock.
 */
#include "shm.h"

/* Refuse segment slot @k: FAULT, MKRT_FAULT_REJECTED, nothing forwarded. */
static void mkrt__shm_reject(struct mkrt__shm *b, uint32_t k)
{
	uint32_t *s = b->map.rings + (size_t)k * MKRT_SLOT_WORDS;

	mkrt__store_relaxed(&s[MKRT_SLOT_FAULT_REASON], MKRT_FAULT_REJECTED);
	/* release: the producer that acquires FAULT sees the reason */
	mkrt__store_release(&s[MKRT_SLOT_STATUS], MKRT_STATUS_FAULT);
	mkrt__add64_relaxed(&b->map.hdr->rejected, 1);
	mkrt__add64_relaxed(&b->map.hdr->ring_rejected[k / b->slots], 1);
}

/* Segment slot @k is not forwarded: forward it if it is PUBLISHED and sound. */
static bool mkrt__shm_intake_slot(struct mkrt__shm *b, uint32_t k)
{
	uint32_t *s = b->map.rings + (size_t)k * MKRT_SLOT_WORDS, w[MKRT_SLOT_WORDS];

	/* acquire: pairs with the producer's release of STATUS */
	w[MKRT_SLOT_STATUS] = mkrt__load_acquire(&s[MKRT_SLOT_STATUS]);
	if (w[MKRT_SLOT_STATUS] == MKRT_STATUS_EMPTY || w[MKRT_SLOT_STATUS] == MKRT_STATUS_DONE ||
	    w[MKRT_SLOT_STATUS] == MKRT_STATUS_FAULT)
		return false;
	/* one copy, and only the copy is looked at from here on: the producer
	 * may rewrite the slot while we read it, which changes nothing */
	for (uint32_t i = 1; i < MKRT_SLOT_WORDS; i++)
		w[i] = mkrt__load_relaxed(&s[i]);
	/* the tenant base as it is now: read again only after the server's
	 * own ring or a control write may have moved it (no other producer
	 * may), so a broker pass costs no read (a transfer on copy) */
	if (b->base_stale) {
		if (b->inner.read_region(b->istate, MKRT__REGION_CONTROL, MKRT_CTL_TENANT_BASE, 1,
					 &b->tenant_base))
			return false; /* the device failed: its waiters hear of it */
		b->base_stale = false;
	}
	struct mkrt_slot req;
	mkrt__slot_from_words(w, &req);
	if (mkrt__shm_intake(w, b->tenant_base, k >= b->slots) ||
	    b->inner.publish(b->istate, k, &req, MKRT_SLOT_ARGS)) {
		mkrt__shm_reject(b, k);
		return true;
	}
	b->fwd[k] = b->pass;
	b->inflight++;
	mkrt__add64_relaxed(&b->map.hdr->forwarded, 1);
	return true;
}

/* The status of inner slot @k, from the view or the ring itself. */
static uint32_t mkrt__shm_inner_status(struct mkrt__shm *b, uint32_t k)
{
	size_t w = (size_t)k * MKRT_SLOT_WORDS + MKRT_SLOT_STATUS;

	/* acquire: pairs with the executor's release of DONE/FAULT */
	return b->iring ? mkrt__load_acquire(&b->iring[w]) : b->view[w];
}

/* Inner slot @k finished: write it back. */
static void mkrt__shm_finish(struct mkrt__shm *b, uint32_t k, uint32_t status)
{
	uint32_t *s = b->map.rings + (size_t)k * MKRT_SLOT_WORDS;
	const uint32_t *v = (b->iring ? b->iring : b->view) + (size_t)k * MKRT_SLOT_WORDS;

	uint32_t w[MKRT_SLOT_WORDS] = { status };
	for (uint32_t i = 1; i < MKRT_SLOT_WORDS; i++)
		mkrt__store_relaxed(&s[i], w[i] = mkrt__load_relaxed(&v[i]));
	if (k < b->slots) {
		/* the server's own slot may have moved the tenant base (a FAULT
		 * may have run part of a PACKED slot) */
		struct mkrt_slot req;
		mkrt__slot_from_words(w, &req);
		b->base_stale |= status == MKRT_STATUS_FAULT || mkrt__shm_writes_system_words(&req);
	}
	if (status == MKRT_STATUS_FAULT)
		b->inner.reset_slot(b->istate, k); /* FAULT is terminal until reset */
	b->fwd[k] = 0;
	b->inflight--;
	/* release: the producer that acquires DONE/FAULT sees the results */
	mkrt__store_release(&s[MKRT_SLOT_STATUS], status);
	mkrt__add64_relaxed(&b->map.hdr->completed, 1);
	mkrt__add64_relaxed(&b->map.hdr->ring_completed[k / b->slots], 1);
	if (status == MKRT_STATUS_FAULT)
		mkrt__add64_relaxed(&b->map.hdr->ring_faults[k / b->slots], 1);
}

/* Inner slot @k went back to EMPTY: a withdrawal its cancel left posted
 * (EINPROGRESS) was served. The segment slot follows. */
static void mkrt__shm_withdrawn(struct mkrt__shm *b, uint32_t k)
{
	b->fwd[k] = 0;
	b->inflight--;
	/* release: nothing to publish with it, but it pairs like every status */
	mkrt__store_release(&b->map.rings[(size_t)k * MKRT_SLOT_WORDS + MKRT_SLOT_STATUS], MKRT_STATUS_EMPTY);
}

/* Under lock: one pass over every ring; returns how many slots moved. */
static uint32_t mkrt__shm_pass_locked(struct mkrt__shm *b)
{
	uint32_t moved = 0, pass = ++b->pass;

	/* the inner ring once per pass, read before this pass forwards more */
	if (b->inflight && !b->iring &&
	    b->inner.read_region(b->istate, MKRT__REGION_RING, 0, b->total * MKRT_SLOT_WORDS, b->view))
		return 0; /* the device failed: its waiters hear of it */
	for (uint32_t k = 0; k < b->total; k++) {
		uint32_t fwd = b->fwd[k];
		if (!fwd) {
			moved += mkrt__shm_intake_slot(b, k);
		} else if (fwd != pass) {
			uint32_t st = mkrt__shm_inner_status(b, k);
			if (st == MKRT_STATUS_DONE || st == MKRT_STATUS_FAULT) {
				mkrt__shm_finish(b, k, st);
				moved++;
			} else if (st == MKRT_STATUS_EMPTY) {
				mkrt__shm_withdrawn(b, k);
				moved++;
			}
		}
	}
	if (b->pass == UINT32_MAX) { /* 0 means "not forwarded": renumber */
		for (uint32_t k = 0; k < b->total; k++)
			b->fwd[k] = b->fwd[k] ? 1 : 0;
		b->pass = 1;
	}
	return moved;
}

uint32_t mkrt__shm_pass(struct mkrt__shm *b, bool wait)
{
	if (wait ? pthread_mutex_lock(&b->lock) : pthread_mutex_trylock(&b->lock))
		return 0;
	uint32_t moved = mkrt__shm_pass_locked(b);
	pthread_mutex_unlock(&b->lock);
	return moved;
}

uint32_t mkrt__shm_broker_pass(void *arg)
{
	return mkrt__shm_pass(arg, true);
}
