/* SPDX-License-Identifier: MIT */
/*
 * load_miss.cl - LOAD_MISS on the device (DESIGN §6), the same protocol as
 * the reference executor's runtime/exec/load_miss.c.
 *
 * A hit pins the resident frame (a CAS that fails while the servicer evicts
 * it), checks it still holds the resource, takes the frame's checksum (kept
 * in its metadata by the first lane to compute it) and unpins. A miss
 * reserves an IO slot by CAS (EMPTY -> RESERVED: two lanes never share one),
 * writes READ{src = resource, tag = ring slot} and release-publishes it; the
 * host servicer loads the frame, pins it for this lane and completes OK or
 * ERROR. A prefetch does not wait. Every wait gives up at SHUTDOWN.
 *
 * Where the host never read-modify-writes a word the lanes do
 * (MKRT_HOST_NO_RMW: copy's transfers, cuda's bus, svm without SVM atomics),
 * it only loads and stores these words. There the lane that misses
 * also picks the frame (MKRT_LANES_EVICT): a clock sweep takes a frame nobody
 * pins by CAS 0 -> EVICTING, unmaps its old resource, and names the frame in
 * the request's DST; the host fills that frame and completes as above.
 */
#ifndef MKRT_LOAD_MISS_CL
#define MKRT_LOAD_MISS_CL

#include "mkrt/protocol.h"
#include "mkrt_atomics.h"

struct mkrt_io_env {
	mkrt_word_t *io;          /* MKRT_IO_SLOTS * MKRT_IO_WORDS */
	mkrt_word_t *residency;   /* resource -> frame + 1 */
	uint resources;           /* 0: no servicer attached */
	mkrt_word_t *frames;      /* MKRT_FRAME_WORDS per frame */
	uint frame_count;
	mkrt_arena_word_t *arena;
	uint frame_words;
	mkrt_word_t *shutdown;
	mkrt_word_t *hand;        /* MKRT_LANES_EVICT: clock hand and eviction count */
	mkrt_word_t *evictions;
	mkrt_word_t *busy;        /* C[MKRT_CTL_BUSY_LANES]: lanes waiting here */
};

#ifdef MKRT_HOST_NO_RMW
#define MKRT_LANES_EVICT 1
#endif

bool mkrt_frame_pin(const struct mkrt_io_env *io, uint f)
{
	mkrt_word_t *pin = &io->frames[f * MKRT_FRAME_WORDS + MKRT_FRAME_PIN];
	uint cur = mkrt_load_relaxed(pin);

	do {
		if (cur & MKRT_FRAME_EVICTING)
			return false;
		/* acq_rel: pinned, we see the servicer's last fill of the frame */
	} while (!mkrt_cas_acq_rel(pin, &cur, cur + 1));
	return true;
}

void mkrt_frame_unpin(const struct mkrt_io_env *io, uint f)
{
	/* release: our reads of the frame happen before any later eviction */
	mkrt_sub_release(&io->frames[f * MKRT_FRAME_WORDS + MKRT_FRAME_PIN], 1u);
}

#define MKRT_CHECKSUM_BLOCK 64u /* words loaded before they are folded */

/* The checksum of @n bytes at @w (mkrt_checksum on the host). */
uint mkrt_checksum_words(mkrt_arena_word_t *w, uint n)
{
	uint words = (n + 3u) / 4u, h = MKRT_CHECKSUM_BASIS ^ n;
	uint a0 = h, a1 = h, a2 = h, a3 = h, i = 0;

	_Static_assert(MKRT_CHECKSUM_WAYS == 4, "four accumulators below");
	/* A block's loads first, then its folds: on a GPU every load waited
	 * for costs a trip to memory (across the bus, or cuda's arena in device
	 * memory), so a block of vector loads costs one trip where words loaded
	 * one by one cost one each. */
	for (; i + MKRT_CHECKSUM_BLOCK <= words; i += MKRT_CHECKSUM_BLOCK) {
		uint v[MKRT_CHECKSUM_BLOCK];
#pragma unroll
		for (uint k = 0; k < MKRT_CHECKSUM_BLOCK; k += 16)
			mkrt_arena_load16(w + i + k, v + k);
#pragma unroll
		for (uint k = 0; k < MKRT_CHECKSUM_BLOCK; k += 4) {
			a0 = (a0 ^ v[k]) * MKRT_CHECKSUM_PRIME;
			a1 = (a1 ^ v[k + 1]) * MKRT_CHECKSUM_PRIME;
			a2 = (a2 ^ v[k + 2]) * MKRT_CHECKSUM_PRIME;
			a3 = (a3 ^ v[k + 3]) * MKRT_CHECKSUM_PRIME;
		}
	}
	for (; i + 4 <= words; i += 4) { /* four independent chains */
		a0 = (a0 ^ w[i]) * MKRT_CHECKSUM_PRIME;
		a1 = (a1 ^ w[i + 1]) * MKRT_CHECKSUM_PRIME;
		a2 = (a2 ^ w[i + 2]) * MKRT_CHECKSUM_PRIME;
		a3 = (a3 ^ w[i + 3]) * MKRT_CHECKSUM_PRIME;
	}
	if (i < words)
		a0 = (a0 ^ w[i]) * MKRT_CHECKSUM_PRIME;
	if (i + 1 < words)
		a1 = (a1 ^ w[i + 1]) * MKRT_CHECKSUM_PRIME;
	if (i + 2 < words)
		a2 = (a2 ^ w[i + 2]) * MKRT_CHECKSUM_PRIME;
	h = (h ^ a0) * MKRT_CHECKSUM_PRIME;
	h = (h ^ a1) * MKRT_CHECKSUM_PRIME;
	h = (h ^ a2) * MKRT_CHECKSUM_PRIME;
	h = (h ^ a3) * MKRT_CHECKSUM_PRIME;
	return h;
}

/* Results of a pinned frame into the slot's arguments: the checksum is the
 * one kept in the frame's metadata, or computed now and kept. */
void mkrt_frame_results(const struct mkrt_io_env *io, uint f, __private uint *args)
{
	mkrt_word_t *meta = &io->frames[f * MKRT_FRAME_WORDS];
	uint n = mkrt_load_relaxed(&meta[MKRT_FRAME_BYTES]), h;

	/* acquire: pairs with the release of SUMMED by the lane that summed it */
	if (mkrt_load_acquire(&meta[MKRT_FRAME_SUMMED])) {
		h = mkrt_load_relaxed(&meta[MKRT_FRAME_SUM]);
	} else {
		h = mkrt_checksum_words(io->arena + (ulong)f * io->frame_words, n);
		/* two lanes may both sum it: they store the same value */
		mkrt_store_relaxed(&meta[MKRT_FRAME_SUM], h);
		mkrt_store_release(&meta[MKRT_FRAME_SUMMED], 1);
	}
	args[MKRT_LM_FRAME] = f;
	args[MKRT_LM_BYTES] = n;
	args[MKRT_LM_CHECKSUM] = h;
}

/* Reserve a free IO slot; -1 once SHUTDOWN is set. */
int mkrt_io_reserve(const struct mkrt_io_env *io)
{
	for (;;) {
		for (uint q = 0; q < MKRT_IO_SLOTS; q++) {
			mkrt_word_t *st = &io->io[q * MKRT_IO_WORDS + MKRT_IO_STATUS];
			uint cur = MKRT_IO_EMPTY;
			/* acq_rel: the slot's last user is done with it */
			if (mkrt_load_relaxed(st) == MKRT_IO_EMPTY &&
			    mkrt_cas_acq_rel(st, &cur, MKRT_IO_RESERVED))
				return (int)q;
		}
		if (mkrt_load_acquire(io->shutdown))
			return -1;
	}
}

/* Wait for IO slot @q to complete; 0 once SHUTDOWN is set first. The lane
 * counts itself busy meanwhile, so a spare lane stands in for it (over a
 * bus the slot is counted whole already: cl/megakernel.cl). */
uint mkrt_io_wait(const struct mkrt_io_env *io, uint q)
{
	mkrt_word_t *st = &io->io[q * MKRT_IO_WORDS + MKRT_IO_STATUS];
	uint v;

#ifndef MKRT_BUS
	mkrt_add_relaxed(io->busy, 1);
#endif
	for (;;) {
		/* acquire: pairs with the servicer's release of OK / ERROR */
		v = mkrt_load_acquire(st);
		if (v == MKRT_IO_OK || v == MKRT_IO_ERROR)
			break;
		if (mkrt_load_acquire(io->shutdown)) {
			v = 0;
			break;
		}
	}
#ifndef MKRT_BUS
	mkrt_add_relaxed(io->busy, 0xFFFFFFFFu);
#endif
	return v;
}

void mkrt_io_publish(const struct mkrt_io_env *io, uint q, uint rid, uint tag, uint dst)
{
	mkrt_word_t *r = &io->io[q * MKRT_IO_WORDS];

	mkrt_store_relaxed(&r[MKRT_IO_OP], MKRT_IO_OP_READ);
	mkrt_store_relaxed(&r[MKRT_IO_SRC], rid);
	mkrt_store_relaxed(&r[MKRT_IO_DST], dst);
	mkrt_store_relaxed(&r[MKRT_IO_OFFSET_LO], 0);
	mkrt_store_relaxed(&r[MKRT_IO_OFFSET_HI], 0);
	mkrt_store_relaxed(&r[MKRT_IO_BYTES], 0);
	mkrt_store_relaxed(&r[MKRT_IO_TAG], tag);
	/* release: the request's words before the servicer's acquire of STATUS */
	mkrt_store_release(&r[MKRT_IO_STATUS], MKRT_IO_PUBLISHED);
}

#ifdef MKRT_LANES_EVICT
/* A clock sweep (two laps) for a frame nobody pins; it comes back EVICTING,
 * empty and unmapped, or -1 when every frame is pinned. */
int mkrt_pick_frame(const struct mkrt_io_env *io)
{
	for (uint step = 0; step < 2 * io->frame_count; step++) {
		uint f = mkrt_add_relaxed(io->hand, 1) % io->frame_count, free_pin = 0;
		mkrt_word_t *meta = &io->frames[f * MKRT_FRAME_WORDS];
		if (mkrt_load_relaxed(&meta[MKRT_FRAME_PIN]) != 0)
			continue;
		if (mkrt_load_relaxed(&meta[MKRT_FRAME_REF])) {
			mkrt_store_relaxed(&meta[MKRT_FRAME_REF], 0);
			continue;
		}
		/* acq_rel: after the last reader's unpin, before the reload */
		if (!mkrt_cas_acq_rel(&meta[MKRT_FRAME_PIN], &free_pin, MKRT_FRAME_EVICTING))
			continue;
		uint old = mkrt_load_relaxed(&meta[MKRT_FRAME_RESOURCE]);
		if (old) {
			/* unmap it only where it still maps here: a second load of
			 * the same resource may have been mapped since */
			uint mine = f + 1;
			mkrt_cas_acq_rel(&io->residency[old - 1], &mine, 0);
			mkrt_add_relaxed(io->evictions, 1);
		}
		mkrt_store_relaxed(&meta[MKRT_FRAME_RESOURCE], 0);
		mkrt_store_relaxed(&meta[MKRT_FRAME_SUMMED], 0);
		return (int)f;
	}
	return -1;
}

/* The frame a request names in DST; -1 when every frame is pinned. */
int mkrt_request_frame(const struct mkrt_io_env *io)
{
	return mkrt_pick_frame(io);
}
#else
int mkrt_request_frame(const struct mkrt_io_env *io)
{
	return 0; /* the servicer picks */
}
#endif

/* Miss path: load @rid through the servicer; its frame comes back pinned for
 * us in *@frame. Returns 0 or an MKRT_IOERR_* code. */
uint mkrt_fetch(const struct mkrt_io_env *io, uint slot, uint rid, __private uint *frame)
{
	int pick = mkrt_request_frame(io);
	if (pick < 0)
		return MKRT_IOERR_NO_FRAME;
	int q = mkrt_io_reserve(io);
	if (q < 0)
		return MKRT_IOERR_SHUTDOWN; /* a picked frame stays EVICTING: we are stopping */
	mkrt_io_publish(io, (uint)q, rid, slot, (uint)pick);
	mkrt_word_t *r = &io->io[(uint)q * MKRT_IO_WORDS];
	uint st = mkrt_io_wait(io, (uint)q);
	if (st == 0)
		return MKRT_IOERR_SHUTDOWN; /* the slot stays with the servicer */
	uint dst = mkrt_load_relaxed(&r[MKRT_IO_DST]);
	/* release: we are done with the IO slot's words */
	mkrt_store_release(&r[MKRT_IO_STATUS], MKRT_IO_EMPTY);
	if (st == MKRT_IO_OK && dst < io->frame_count) {
		*frame = dst; /* the servicer pinned it for us */
		return 0;
	}
	return st == MKRT_IO_ERROR ? dst : MKRT_IOERR_READ;
}

/* A pinned frame holding @rid, by hit or by miss; 0 or an MKRT_IOERR_* code. */
uint mkrt_acquire(const struct mkrt_io_env *io, uint slot, uint rid, __private uint *frame,
		  __private bool *hit)
{
	if (io->resources == 0 || rid >= io->resources)
		return MKRT_IOERR_RANGE;
	/* acquire: pairs with the servicer's release when it made rid resident */
	uint r = mkrt_load_acquire(&io->residency[rid]);
	if (r && r <= io->frame_count && mkrt_frame_pin(io, r - 1)) {
		mkrt_word_t *meta = &io->frames[(r - 1) * MKRT_FRAME_WORDS];
		if (mkrt_load_relaxed(&meta[MKRT_FRAME_RESOURCE]) == rid + 1) {
			mkrt_store_relaxed(&meta[MKRT_FRAME_REF], 1);
			*frame = r - 1;
			*hit = true;
			return 0;
		}
		mkrt_frame_unpin(io, r - 1); /* reloaded with another resource meanwhile */
	}
	*hit = false;
	return mkrt_fetch(io, slot, rid, frame);
}

/* ---- for user opcodes: the device-initiated direction ----------------------- */

/* What a user opcode handler gets besides its arguments. */
struct mkrt_ctx {
	const struct mkrt_io_env *io;
	uint slot;
};

/* Make resource @rid resident and pin it (a miss waits for the IO servicer).
 * Returns 0 with *words / *bytes / *frame set, or an MKRT_IOERR_* code;
 * release the frame with mkrt_resource_release(). */
uint mkrt_resource_acquire(const struct mkrt_ctx *ctx, uint rid, mkrt_arena_word_t **words,
			   __private uint *bytes, __private uint *frame)
{
	bool hit;
	uint err = mkrt_acquire(ctx->io, ctx->slot, rid, frame, &hit);

	if (err)
		return err;
	*words = ctx->io->arena + (ulong)*frame * ctx->io->frame_words;
	*bytes = mkrt_load_relaxed(&ctx->io->frames[*frame * MKRT_FRAME_WORDS + MKRT_FRAME_BYTES]);
	return 0;
}

void mkrt_resource_release(const struct mkrt_ctx *ctx, uint frame)
{
	if (frame < ctx->io->frame_count)
		mkrt_frame_unpin(ctx->io, frame);
}

uint mkrt_lm_fail(__private uint *args, uint code)
{
	args[MKRT_LM_ERROR] = code;
	return MKRT_FAULT_IO;
}

uint mkrt_load_miss(const struct mkrt_io_env *io, uint slot, __private uint *args)
{
	uint rid = args[0], frame;
	bool prefetch = args[1] != 0, hit;

	if (io->resources == 0)
		return MKRT_FAULT_NO_IO;
	if (rid >= io->resources)
		return mkrt_lm_fail(args, MKRT_IOERR_RANGE);
	if (prefetch) {
		/* resident: nothing to do; else queue the load and do not wait */
		uint r = mkrt_load_acquire(&io->residency[rid]);
		if (r) {
			args[MKRT_LM_OUTCOME] = MKRT_LM_PREFETCH_HIT;
			args[MKRT_LM_FRAME] = r - 1;
			return 0;
		}
		int dst = mkrt_request_frame(io);
		if (dst < 0) {
			/* every frame pinned: a prefetch is a hint, drop it */
			args[MKRT_LM_FRAME] = MKRT_LM_NO_FRAME;
			args[MKRT_LM_OUTCOME] = MKRT_LM_PREFETCH;
			return 0;
		}
		int q = mkrt_io_reserve(io);
		if (q < 0)
			return mkrt_lm_fail(args, MKRT_IOERR_SHUTDOWN);
		mkrt_io_publish(io, (uint)q, rid, slot | MKRT_IO_TAG_PREFETCH, (uint)dst);
		args[MKRT_LM_FRAME] = MKRT_LM_NO_FRAME;
		args[MKRT_LM_OUTCOME] = MKRT_LM_PREFETCH;
		return 0;
	}
	uint err = mkrt_acquire(io, slot, rid, &frame, &hit);
	if (err)
		return mkrt_lm_fail(args, err);
	mkrt_frame_results(io, frame, args);
	mkrt_frame_unpin(io, frame);
	args[MKRT_LM_OUTCOME] = hit ? MKRT_LM_HIT : MKRT_LM_MISS;
	return 0;
}

#endif /* MKRT_LOAD_MISS_CL */
