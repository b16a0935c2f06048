/* SPDX-License-Identifier: MIT */
/*
 * withdraw.h - cancelling a PUBLISHED slot where the host never
 * read-modify-writes a ring word the lanes do (internal): cuda over the
 * bus, svm in its modes without SVM atomics (DESIGN §3). The host sets the
 * slot's withdrawal word (mkrt_kernel_abi.h) and the first lane that finds
 * the slot PUBLISHED with it set moves it to EMPTY (cl/megakernel.cl,
 * mkrt_withdrawn). The copy backend does the same through transfers
 * (copy_ring.c).
 */
#ifndef MKRT_WITHDRAW_H
#define MKRT_WITHDRAW_H

#include "resident.h"

#include <pthread.h>

struct mkrt__withdrawals {
	uint32_t *words;      /* MKRT_WITHDRAW_WORDS(slots), where lanes load them */
	uint32_t slots;
	uint32_t set;         /* words set; under lock */
	pthread_mutex_t lock;
	/* lanes watch the doorbell after these words, not the ring (a bus:
	 * cuda, svm's bus lanes): a withdrawal rings it too */
	bool doorbell;
};

/* Before @words is set: the lock. */
void mkrt__withdrawals_init(struct mkrt__withdrawals *wd);
void mkrt__withdrawals_fini(struct mkrt__withdrawals *wd);
/* Before a publish into @slot: a withdrawal asked for in the slot's
 * earlier life must not withdraw this one (cleared, release, before
 * PUBLISHED). */
void mkrt__withdrawals_clear(struct mkrt__withdrawals *wd, uint32_t slot);
/* The same for every slot that raw writes of ring words [@first, @first +
 * @n) reach (a replay publishes that way). */
void mkrt__withdrawals_clear_words(struct mkrt__withdrawals *wd, uint32_t first, uint32_t n);
/* Withdraw PUBLISHED slot @slot of @ring, whose lanes @r launches: 0 once
 * a lane moved it to EMPTY; ESTATE when it was not PUBLISHED or a lane
 * claimed it first; ESHUTDOWN when no launch will come; EINPROGRESS when
 * no lane looked within two epochs and a second (the request stays
 * posted). ERANGE: no such slot. */
int mkrt__withdrawals_cancel(struct mkrt__withdrawals *wd, const uint32_t *ring, uint32_t slot,
			     struct mkrt__resident *r);
/* After a publish into @slot, where lanes watch a doorbell instead of the
 * ring (wd->doorbell; else nothing; cl/megakernel.cl): the 64-bit word
 * after the withdrawal words, its count in the high half raised by @bump,
 * the slot in the low half, one word that a lane loads at once. Only host
 * threads read-modify-write it (the lanes load it). A bump of 2 makes
 * every lane look at its share. */
void mkrt__withdrawals_ring_doorbell(struct mkrt__withdrawals *wd, uint32_t slot, uint32_t bump);
/* A words backend's publish of @n slots (publish_many, backend.h; publish
 * with @n 1; @state starts with its struct mkrt__words), @nargs args each:
 * each slot's withdrawal word (if @wd has words) cleared before it is
 * published; the doorbell rung once for each run of consecutive slots (a
 * bump of the run's length, the run's last slot: what that many rings in
 * order leave, and what lanes read as the rung slots up to the hint); and
 * resident @r's bell rung once, after the last publish. Returns how many
 * were published (a prefix), or the error when none. */
int mkrt__withdrawals_publish(struct mkrt__withdrawals *wd, struct mkrt__resident *r, void *state,
			      const uint32_t *slots, const struct mkrt_slot *reqs, uint32_t n, uint32_t nargs);
/* Whether a PUBLISHED slot of @ring waits for a lane to withdraw it. */
bool mkrt__withdrawals_waiting(struct mkrt__withdrawals *wd, const uint32_t *ring);

#endif /* MKRT_WITHDRAW_H */
