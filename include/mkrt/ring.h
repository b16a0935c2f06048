/* SPDX-License-Identifier: MIT */
/*
 * mkrt/ring.h - live rings: validated publishing, host transitions, and the
 * producer/consumer interfaces every backend implements.
 *
 * A live ring is an array of native u32 words (mkrt requires a little-endian
 * host, so it is also the wire layout) shared with an executor: the host
 * backend's thread, or a running megakernel. Status words are touched only
 * with atomics: payload first, then a release store of STATUS.
 *
 * Threading: each slot has one host writer at a time (the submission API in
 * mkrt/runtime.h guarantees that; raw callers must). Executors may run
 * concurrently with every function here.
 */
#ifndef MKRT_RING_H
#define MKRT_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "common.h"

MKRT_BEGIN_DECLS

/* ---- validated publish into a live word ring ----------------------------- */

/* mkrt_opcode_publishable - 1 if a host may publish @opcode (a builtin,
 * LOAD_MISS, PRINTF, PACKED_SLOT, SHUTDOWN or a user opcode), else 0. */
MKRT_API int mkrt_opcode_publishable(uint32_t opcode);

/*
 * mkrt_publish - validated publish of @req into slot @slot of a live ring of
 * @ring_words words. The slot must be EMPTY or DONE, the opcode publishable,
 * @nargs <= 12 and a PACKED_SLOT well formed. Words 1..15 are written (args
 * past @nargs cleared), then STATUS=PUBLISHED with a release store.
 * @req->status is ignored. Errors: EINVAL, ALIGN, RANGE, STATE, OPCODE,
 * ARGS, PACKED; the ring is untouched on error.
 */
MKRT_API int mkrt_publish(uint32_t *ring, size_t ring_words, uint32_t slot,
			  const struct mkrt_slot *req, uint32_t nargs);

/*
 * mkrt_publish_batch - all-or-nothing publish of @n requests into slots
 * @first, @first+1, ... (wrapping), followed by one BATCH_FENCE slot whose a1
 * is @fence_tag. Every request and every target slot (n + 1 of them) is
 * validated before the first write. Returns the fence's slot index.
 * Errors: as mkrt_publish, plus RANGE when n + 1 exceeds the ring.
 */
MKRT_API int mkrt_publish_batch(uint32_t *ring, size_t ring_words, uint32_t first,
				const struct mkrt_slot *reqs, uint32_t n, uint32_t fence_tag);

/* ---- host transitions -------------------------------------------------------
 * Legal edges (anything else is ESTATE and leaves the ring byte-identical):
 *   claim:  PUBLISHED -> CLAIMED   (compare-and-swap, acquire)
 *   done:   CLAIMED   -> DONE      (release)
 *   fault:  CLAIMED   -> FAULT     (reason into word 15, then release)
 *   cancel: PUBLISHED -> EMPTY     (compare-and-swap: loses to a claim)
 *   reset:  DONE|FAULT -> EMPTY    (release)
 */
MKRT_API int mkrt_slot_claim(uint32_t *ring, size_t ring_words, uint32_t slot);
MKRT_API int mkrt_slot_done(uint32_t *ring, size_t ring_words, uint32_t slot);
MKRT_API int mkrt_slot_fault(uint32_t *ring, size_t ring_words, uint32_t slot, uint32_t reason);
MKRT_API int mkrt_slot_cancel(uint32_t *ring, size_t ring_words, uint32_t slot);
MKRT_API int mkrt_slot_reset(uint32_t *ring, size_t ring_words, uint32_t slot);

/* mkrt_slot_edge_legal - 1 if the host may move a slot from @from to @to. */
MKRT_API int mkrt_slot_edge_legal(uint32_t from, uint32_t to);

/* mkrt_ring_read_slot - acquire-read STATUS, then copy the rest of slot
 * @slot into @out. Errors: EINVAL, ALIGN, RANGE. */
MKRT_API int mkrt_ring_read_slot(const uint32_t *ring, size_t ring_words, uint32_t slot,
				 struct mkrt_slot *out);

/* ---- producer / consumer interfaces ------------------------------------------
 * A backend exposes its ring through these two tables (after vyre's
 * RingProducer / RingConsumer). Hooks are called on the caller's thread;
 * publish and read_slot may run concurrently for different slots.
 */
struct mkrt_producer_ops {
	const char *name;                                  /* stable, e.g. "host" */
	/* Publish one encoded 64-byte slot (as mkrt_encode_slot / vyre lay it out)
	 * with mkrt_publish's checks. Required. */
	int (*publish)(void *self, uint32_t slot, const uint8_t bytes[MKRT_SLOT_BYTES]);
	uint32_t (*slot_count)(void *self);                /* required */
};

struct mkrt_consumer_ops {
	const char *name;
	/* Copy slot @slot out as 64 encoded bytes. Required. */
	int (*read_slot)(void *self, uint32_t slot, uint8_t out[MKRT_SLOT_BYTES]);
	/* Count DONE slots. Optional: NULL walks the ring with read_slot. */
	int (*done_count)(void *self, uint32_t *count);
	uint32_t (*slot_count)(void *self);                /* required */
};

struct mkrt_producer {
	const struct mkrt_producer_ops *ops;
	void *self;
};

struct mkrt_consumer {
	const struct mkrt_consumer_ops *ops;
	void *self;
};

/* Dispatchers: check arguments and the slot range, then call the hook (or
 * its default). Errors: EINVAL, RANGE, and whatever the hook returns. */
MKRT_API int mkrt_producer_publish(const struct mkrt_producer *p, uint32_t slot,
				   const uint8_t bytes[MKRT_SLOT_BYTES]);
MKRT_API const char *mkrt_producer_name(const struct mkrt_producer *p);
MKRT_API uint32_t mkrt_producer_slot_count(const struct mkrt_producer *p);
MKRT_API int mkrt_consumer_read_slot(const struct mkrt_consumer *c, uint32_t slot,
				     uint8_t out[MKRT_SLOT_BYTES]);
MKRT_API int mkrt_consumer_done_count(const struct mkrt_consumer *c, uint32_t *count);
MKRT_API const char *mkrt_consumer_name(const struct mkrt_consumer *c);
MKRT_API uint32_t mkrt_consumer_slot_count(const struct mkrt_consumer *c);

/* ---- in-process host ring ------------------------------------------------------ */

struct mkrt_host_ring;

/* mkrt_host_ring_new - an all-EMPTY ring of @slots slots in host memory,
 * 64-byte aligned. Errors: EINVAL, TOOBIG, NOMEM. */
MKRT_API int mkrt_host_ring_new(uint32_t slots, struct mkrt_host_ring **out);
MKRT_API void mkrt_host_ring_free(struct mkrt_host_ring *ring);
/* The ring's words (for executors and mkrt_publish), and their count. */
MKRT_API uint32_t *mkrt_host_ring_words(struct mkrt_host_ring *ring);
MKRT_API size_t mkrt_host_ring_word_count(const struct mkrt_host_ring *ring);
MKRT_API struct mkrt_producer mkrt_host_ring_producer(struct mkrt_host_ring *ring);
MKRT_API struct mkrt_consumer mkrt_host_ring_consumer(struct mkrt_host_ring *ring);

MKRT_END_DECLS

#endif /* MKRT_RING_H */
