/* SPDX-License-Identifier: MIT */
/*
 * load_miss.c - LOAD_MISS on the reference executor (DESIGN §6), the same
 * protocol as the megakernel's cl/load_miss.cl.
 *
 * A hit pins the resident frame (a CAS that fails while the servicer evicts
 * it), checks it still holds the resource, takes the frame's checksum (kept
 * in its metadata by the first lane to compute it) and unpins. A miss
 * reserves an IO slot by CAS (EMPTY -> RESERVED: two lanes never share one),
 * writes READ{src = resource, tag = ring slot} and release-publishes it; the
 * servicer loads the frame, pins it for the waiting lane and completes OK or
 * ERROR. A prefetch does not wait: the servicer recycles its IO slot. Every
 * wait gives up when SHUTDOWN is set, so no lane waits forever.
 */
#include "internal.h"

uint32_t mkrt_checksum(const void *bytes, size_t n)
{
	const uint8_t *p = bytes;
	uint32_t a[MKRT_CHECKSUM_WAYS], h = MKRT_CHECKSUM_BASIS ^ (uint32_t)n;

	for (uint32_t k = 0; k < MKRT_CHECKSUM_WAYS; k++)
		a[k] = h;
	for (size_t i = 0, word = 0; i < n; i += 4, word++) {
		uint32_t w = 0;
		for (size_t k = 0; k < 4 && i + k < n; k++)
			w |= (uint32_t)p[i + k] << (8 * k);
		a[word % MKRT_CHECKSUM_WAYS] = (a[word % MKRT_CHECKSUM_WAYS] ^ w) * MKRT_CHECKSUM_PRIME;
	}
	for (uint32_t k = 0; k < MKRT_CHECKSUM_WAYS; k++)
		h = (h ^ a[k]) * MKRT_CHECKSUM_PRIME;
	return h;
}

static uint32_t *mkrt__meta(const struct mkrt_exec_buffers *b, uint32_t f, uint32_t word)
{
	return &b->frames[(size_t)f * MKRT_FRAME_WORDS + word];
}

bool mkrt__frame_pin(const struct mkrt_exec_buffers *b, uint32_t f)
{
	uint32_t *pin = mkrt__meta(b, f, MKRT_FRAME_PIN);
	uint32_t cur = mkrt__load_relaxed(pin);

	do {
		if (cur & MKRT_FRAME_EVICTING)
			return false;
		/* acq_rel: pinned, we see the servicer's last fill of the frame */
	} while (!mkrt__cas_acq_rel(pin, &cur, cur + 1));
	return true;
}

void mkrt__frame_unpin(const struct mkrt_exec_buffers *b, uint32_t f)
{
	/* release: our reads of the frame happen before any later eviction */
	mkrt__sub_release(mkrt__meta(b, f, MKRT_FRAME_PIN), 1);
}

/* Results of a pinned frame into the slot's arguments: the checksum is the
 * one kept in the frame's metadata, or computed now and kept. */
static void mkrt__frame_results(const struct mkrt_exec_buffers *b, uint32_t f, uint32_t *args)
{
	uint32_t n = mkrt__load_relaxed(mkrt__meta(b, f, MKRT_FRAME_BYTES)), h;

	/* acquire: pairs with the release of SUMMED by the lane that summed it */
	if (mkrt__load_acquire(mkrt__meta(b, f, MKRT_FRAME_SUMMED))) {
		h = mkrt__load_relaxed(mkrt__meta(b, f, MKRT_FRAME_SUM));
	} else {
		h = mkrt_checksum(b->arena + (size_t)f * b->frame_words, n);
		/* two lanes may both sum it: they store the same value */
		mkrt__store_relaxed(mkrt__meta(b, f, MKRT_FRAME_SUM), h);
		mkrt__store_release(mkrt__meta(b, f, MKRT_FRAME_SUMMED), 1);
	}
	args[MKRT_LM_FRAME] = f;
	args[MKRT_LM_BYTES] = n;
	args[MKRT_LM_CHECKSUM] = h;
}

static bool mkrt__shut(const struct mkrt_exec_buffers *b)
{
	/* acquire: pairs with stop()'s or a SHUTDOWN slot's release */
	return mkrt__load_acquire(&b->control[MKRT_CTL_SHUTDOWN]) != 0;
}

/* Reserve a free IO slot; -1 once SHUTDOWN is set. */
static int mkrt__io_reserve(const struct mkrt_exec_buffers *b)
{
	struct mkrt__backoff backoff = { 0 };

	for (;;) {
		for (uint32_t q = 0; q < MKRT_IO_SLOTS; q++) {
			uint32_t *st = &b->io[q * MKRT_IO_WORDS + MKRT_IO_STATUS];
			uint32_t cur = MKRT_IO_EMPTY;
			/* acq_rel: the slot's last user is done with it */
			if (mkrt__load_relaxed(st) == MKRT_IO_EMPTY &&
			    mkrt__cas_acq_rel(st, &cur, MKRT_IO_RESERVED))
				return (int)q;
		}
		if (mkrt__shut(b))
			return -1;
		mkrt__backoff_pause(&backoff);
	}
}

/* Wait for IO slot @q to complete; 0 once SHUTDOWN is set first. Counted
 * busy meanwhile, as the megakernel counts its lanes. */
static uint32_t mkrt__io_wait(const struct mkrt_exec_buffers *b, uint32_t q)
{
	struct mkrt__backoff backoff = { 0 };
	uint32_t *st = &b->io[q * MKRT_IO_WORDS + MKRT_IO_STATUS];
	uint32_t *busy = &b->control[MKRT_CTL_BUSY_LANES], v;

	mkrt__add_relaxed(busy, 1);
	for (;;) {
		/* acquire: pairs with the servicer's release of OK / ERROR */
		v = mkrt__load_acquire(st);
		if (v == MKRT_IO_OK || v == MKRT_IO_ERROR)
			break;
		if (mkrt__shut(b)) {
			v = 0;
			break;
		}
		mkrt__backoff_pause(&backoff);
	}
	mkrt__add_relaxed(busy, UINT32_MAX);
	return v;
}

/* Publish READ{rid} in a reserved IO slot. */
static void mkrt__io_publish(const struct mkrt_exec_buffers *b, uint32_t q, uint32_t rid, uint32_t tag)
{
	uint32_t *io = &b->io[q * MKRT_IO_WORDS];

	mkrt__store_relaxed(&io[MKRT_IO_OP], MKRT_IO_OP_READ);
	mkrt__store_relaxed(&io[MKRT_IO_SRC], rid);
	mkrt__store_relaxed(&io[MKRT_IO_DST], 0);
	mkrt__store_relaxed(&io[MKRT_IO_OFFSET_LO], 0);
	mkrt__store_relaxed(&io[MKRT_IO_OFFSET_HI], 0);
	mkrt__store_relaxed(&io[MKRT_IO_BYTES], 0);
	mkrt__store_relaxed(&io[MKRT_IO_TAG], tag);
	/* release: the request's words before the servicer's acquire of STATUS */
	mkrt__store_release(&io[MKRT_IO_STATUS], MKRT_IO_PUBLISHED);
}

/* Miss path: load @rid through the servicer and return its frame pinned for
 * us in *@frame; 0 or an MKRT_IOERR_* code. */
static uint32_t mkrt__fetch(const struct mkrt_exec_buffers *b, uint32_t slot, uint32_t rid,
			    uint32_t *frame)
{
	int q = mkrt__io_reserve(b);
	if (q < 0)
		return MKRT_IOERR_SHUTDOWN;
	mkrt__io_publish(b, (uint32_t)q, rid, slot);
	uint32_t *io = &b->io[(uint32_t)q * MKRT_IO_WORDS];
	uint32_t st = mkrt__io_wait(b, (uint32_t)q);
	if (st == 0)
		return MKRT_IOERR_SHUTDOWN; /* the slot stays with the servicer */
	uint32_t dst = mkrt__load_relaxed(&io[MKRT_IO_DST]);
	/* release: we are done with the IO slot's words */
	mkrt__store_release(&io[MKRT_IO_STATUS], MKRT_IO_EMPTY);
	if (st == MKRT_IO_OK && dst < b->frame_count) {
		*frame = dst; /* the servicer pinned it for us */
		return 0;
	}
	return st == MKRT_IO_ERROR ? dst : MKRT_IOERR_READ;
}

/* A pinned frame holding @rid, by hit or by miss; 0 or an MKRT_IOERR_* code. */
static uint32_t mkrt__acquire(const struct mkrt_exec_buffers *b, uint32_t slot, uint32_t rid,
			      uint32_t *frame, bool *hit)
{
	if (!b->io || rid >= b->resources)
		return MKRT_IOERR_RANGE;
	/* acquire: pairs with the servicer's release when it made rid resident */
	uint32_t r = mkrt__load_acquire(&b->residency[rid]);
	if (r && r <= b->frame_count && mkrt__frame_pin(b, r - 1)) {
		if (mkrt__load_relaxed(mkrt__meta(b, r - 1, MKRT_FRAME_RESOURCE)) == rid + 1) {
			mkrt__store_relaxed(mkrt__meta(b, r - 1, MKRT_FRAME_REF), 1);
			*frame = r - 1;
			*hit = true;
			return 0;
		}
		mkrt__frame_unpin(b, r - 1); /* reloaded with another resource meanwhile */
	}
	*hit = false;
	return mkrt__fetch(b, slot, rid, frame);
}

uint32_t mkrt_resource_acquire(struct mkrt_ctx *ctx, uint32_t id, const void **bytes, uint32_t *n,
			       uint32_t *frame)
{
	bool hit;

	if (!ctx || !bytes || !n || !frame)
		return MKRT_IOERR_RANGE;
	uint32_t err = mkrt__acquire(ctx->b, ctx->slot, id, frame, &hit);
	if (err)
		return err;
	*bytes = ctx->b->arena + (size_t)*frame * ctx->b->frame_words;
	*n = mkrt__load_relaxed(mkrt__meta(ctx->b, *frame, MKRT_FRAME_BYTES));
	return 0;
}

void mkrt_resource_release(struct mkrt_ctx *ctx, uint32_t frame)
{
	if (ctx && ctx->b->io && frame < ctx->b->frame_count)
		mkrt__frame_unpin(ctx->b, frame);
}

static uint32_t mkrt__lm_fail(uint32_t *args, uint32_t code)
{
	args[MKRT_LM_ERROR] = code;
	return MKRT_FAULT_IO;
}

uint32_t mkrt__load_miss(const struct mkrt_exec_buffers *b, uint32_t slot, uint32_t *args)
{
	uint32_t rid = args[0], frame;
	bool prefetch = args[1] != 0, hit;

	if (!b->io || !b->resources)
		return MKRT_FAULT_NO_IO;
	if (rid >= b->resources)
		return mkrt__lm_fail(args, MKRT_IOERR_RANGE);
	if (prefetch) {
		/* resident: nothing to do; else queue the load and do not wait */
		uint32_t r = mkrt__load_acquire(&b->residency[rid]);
		if (r) {
			args[MKRT_LM_OUTCOME] = MKRT_LM_PREFETCH_HIT;
			args[MKRT_LM_FRAME] = r - 1;
			return 0;
		}
		int q = mkrt__io_reserve(b);
		if (q < 0)
			return mkrt__lm_fail(args, MKRT_IOERR_SHUTDOWN);
		mkrt__io_publish(b, (uint32_t)q, rid, slot | MKRT_IO_TAG_PREFETCH);
		args[MKRT_LM_FRAME] = MKRT_LM_NO_FRAME;
		args[MKRT_LM_OUTCOME] = MKRT_LM_PREFETCH;
		return 0;
	}
	uint32_t err = mkrt__acquire(b, slot, rid, &frame, &hit);
	if (err)
		return mkrt__lm_fail(args, err);
	mkrt__frame_results(b, frame, args);
	mkrt__frame_unpin(b, frame);
	args[MKRT_LM_OUTCOME] = hit ? MKRT_LM_HIT : MKRT_LM_MISS;
	return 0;
}
