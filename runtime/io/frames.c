/* SPDX-License-Identifier: MIT */
/*
 * frames.c - the IO servicer's ports for a queue and frames in memory the
 * host addresses. Where host and device read-modify-write words atomically
 * with each other (host, svm): requests are claimed with a CAS and
 * completed with release stores in place, and the servicer picks each
 * frame itself. Where they do not (cuda, over PCIe: DESIGN §3), the host
 * only loads and stores: see the lanes' port at the end.
 *
 * The servicer is the only one that evicts. A frame is reloaded only after a
 * CAS of its pin count from 0 to EVICTING, so a frame a lane has pinned (a
 * hit being read, or a miss being handed over) is never evicted; the clock
 * hand skips recently hit frames once. For a waiting lane the frame is
 * pinned before OK is published, and the lane unpins it after reading.
 */
#include "io.h"

#define MKRT__FRAME_WAIT_NS 100000u   /* how long to wait for a pin to drop */

static uint32_t *mkrt__meta(struct mkrt__host_frames *h, uint32_t f, uint32_t word)
{
	return &h->b->frames[(size_t)f * MKRT_FRAME_WORDS + word];
}

/* One clock sweep (two laps) for a frame nobody pins; it comes back EVICTING. */
static int mkrt__sweep(struct mkrt__host_frames *h)
{
	uint32_t n = h->b->frame_count;

	for (uint32_t step = 0; step < 2 * n; step++) {
		uint32_t f = h->hand++ % n, free_pin = 0;
		if (mkrt__load_relaxed(mkrt__meta(h, f, MKRT_FRAME_PIN)) != 0)
			continue;
		if (mkrt__load_relaxed(mkrt__meta(h, f, MKRT_FRAME_REF))) {
			mkrt__store_relaxed(mkrt__meta(h, f, MKRT_FRAME_REF), 0);
			continue;
		}
		/* acq_rel: after the last reader's unpin, before our reload */
		if (mkrt__cas_acq_rel(mkrt__meta(h, f, MKRT_FRAME_PIN), &free_pin, MKRT_FRAME_EVICTING))
			return (int)f;
	}
	return -1;
}

static int mkrt__victim(struct mkrt__host_frames *h)
{
	uint64_t deadline = mkrt__now_ns() + MKRT__FRAME_WAIT_NS;
	int f;

	while ((f = mkrt__sweep(h)) < 0 && mkrt__now_ns() < deadline)
		;
	return f;
}

static const uint32_t *mkrt__frames_queue(void *ctx)
{
	return ((struct mkrt__host_frames *)ctx)->b->io;
}

static bool mkrt__frames_claim(void *ctx, uint32_t q)
{
	struct mkrt__host_frames *h = ctx;
	uint32_t st = MKRT_IO_PUBLISHED;

	/* acq_rel: claiming it acquires the request's words */
	return mkrt__cas_acq_rel(&h->b->io[q * MKRT_IO_WORDS + MKRT_IO_STATUS], &st, MKRT_IO_CLAIMED);
}

/* A frame holding @rid, pinned for a waiting lane; or an empty one, EVICTING. */
static int64_t mkrt__frames_frame(void *ctx, const uint32_t *req, uint32_t rid, uint8_t **dst)
{
	struct mkrt__host_frames *h = ctx;
	const struct mkrt_exec_buffers *b = h->b;
	bool prefetch = mkrt__load_relaxed(&req[MKRT_IO_TAG]) & MKRT_IO_TAG_PREFETCH;

	/* acquire: pairs with our own earlier release (another request loaded it) */
	uint32_t r = mkrt__load_acquire(&b->residency[rid]);
	if (r && (prefetch || mkrt__frame_pin(b, r - 1)))
		return r - 1;
	int f = mkrt__victim(h);
	if (f < 0)
		return -(int64_t)MKRT_IOERR_NO_FRAME;
	uint32_t old = mkrt__load_relaxed(mkrt__meta(h, (uint32_t)f, MKRT_FRAME_RESOURCE));
	if (old) {
		/* release: lanes that still find the old mapping fail their pin */
		mkrt__store_release(&b->residency[old - 1], 0);
		mkrt__add64_relaxed(&h->evictions, 1);
	}
	mkrt__store_relaxed(mkrt__meta(h, (uint32_t)f, MKRT_FRAME_RESOURCE), 0);
	/* the kept checksum was of the old bytes (ordered before the next
	 * pinner by the PIN release in complete) */
	mkrt__store_relaxed(mkrt__meta(h, (uint32_t)f, MKRT_FRAME_SUMMED), 0);
	*dst = (uint8_t *)(b->arena + (size_t)f * b->frame_words);
	return f;
}

/* Answer IO request @io: frame @f holding @bytes (res >= 0), or error -@res. */
static void mkrt__frames_answer(uint32_t *io, bool prefetch, int64_t res, uint32_t f, uint32_t bytes)
{
	mkrt__store_relaxed(&io[MKRT_IO_DST], res >= 0 ? f : (uint32_t)-res);
	mkrt__store_relaxed(&io[MKRT_IO_BYTES], res >= 0 ? bytes : 0);
	/* release: DST and BYTES before the lane's acquire of STATUS; a
	 * prefetch has no lane waiting, so we recycle its slot ourselves */
	mkrt__store_release(&io[MKRT_IO_STATUS], prefetch ? MKRT_IO_EMPTY
							  : res >= 0 ? MKRT_IO_OK : MKRT_IO_ERROR);
}

static int mkrt__frames_complete(void *ctx, uint32_t q, const uint32_t *req, int64_t frame, bool loaded,
				 int64_t res)
{
	struct mkrt__host_frames *h = ctx;
	uint32_t *io = &h->b->io[q * MKRT_IO_WORDS];
	bool prefetch = mkrt__load_relaxed(&req[MKRT_IO_TAG]) & MKRT_IO_TAG_PREFETCH;
	uint32_t f = frame >= 0 ? (uint32_t)frame : 0;

	if (loaded && res < 0) {
		/* release: the frame is empty and free again */
		mkrt__store_release(mkrt__meta(h, f, MKRT_FRAME_PIN), 0);
	} else if (loaded) {
		uint32_t rid = mkrt__load_relaxed(&req[MKRT_IO_SRC]);
		mkrt__store_relaxed(mkrt__meta(h, f, MKRT_FRAME_BYTES), (uint32_t)res);
		mkrt__store_relaxed(mkrt__meta(h, f, MKRT_FRAME_RESOURCE), rid + 1);
		mkrt__store_relaxed(mkrt__meta(h, f, MKRT_FRAME_REF), 1);
		/* release: the frame's bytes before anyone can pin it */
		mkrt__store_release(mkrt__meta(h, f, MKRT_FRAME_PIN), prefetch ? 0 : 1);
		/* release: ... and before a lane can find it resident */
		mkrt__store_release(&h->b->residency[rid], f + 1);
	}
	mkrt__frames_answer(io, prefetch, res, f, mkrt__load_relaxed(mkrt__meta(h, f, MKRT_FRAME_BYTES)));
	return 0;
}

const struct mkrt__io_port mkrt__host_frames_port = {
	.queue = mkrt__frames_queue,
	.claim = mkrt__frames_claim,
	.frame = mkrt__frames_frame,
	.complete = mkrt__frames_complete,
};

/*
 * The lanes' port: the host never read-modify-writes a word the lanes do.
 * A lane picks and evicts the frame itself (cl/load_miss.cl,
 * MKRT_LANES_EVICT) and names it in the request's DST; the servicer alone
 * moves a PUBLISHED request on (one pass at a time), so it claims by a look;
 * it loads straight into the frame and completes with ordered stores, as the
 * copy backend does with transfers (copy_io.c).
 */
/* Only the servicer moves a PUBLISHED request on (one pass at a time), so
 * taking one is a look: acquire, the request's words after the lane's
 * release of STATUS. */
static bool mkrt__lane_frames_claim(void *ctx, uint32_t q)
{
	struct mkrt__host_frames *h = ctx;

	return mkrt__load_acquire(&h->b->io[q * MKRT_IO_WORDS + MKRT_IO_STATUS]) == MKRT_IO_PUBLISHED;
}

static int64_t mkrt__lane_frames_frame(void *ctx, const uint32_t *req, uint32_t rid, uint8_t **dst)
{
	struct mkrt__host_frames *h = ctx;
	const struct mkrt_exec_buffers *b = h->b;
	uint32_t f = mkrt__load_relaxed(&req[MKRT_IO_DST]);

	(void)rid;
	if (f >= b->frame_count)
		return -(int64_t)MKRT_IOERR_READ;
	*dst = (uint8_t *)(b->arena + (size_t)f * b->frame_words);
	return f;
}

static int mkrt__lane_frames_complete(void *ctx, uint32_t q, const uint32_t *req, int64_t frame,
				      bool loaded, int64_t res)
{
	struct mkrt__host_frames *h = ctx;
	uint32_t *io = &h->b->io[q * MKRT_IO_WORDS];
	bool prefetch = mkrt__load_relaxed(&req[MKRT_IO_TAG]) & MKRT_IO_TAG_PREFETCH;
	uint32_t f = mkrt__load_relaxed(&req[MKRT_IO_DST]);

	(void)frame;
	(void)loaded; /* every frame is the lane's, loaded or given back */
	if (res >= 0) {
		uint32_t rid = mkrt__load_relaxed(&req[MKRT_IO_SRC]);
		mkrt__store_relaxed(mkrt__meta(h, f, MKRT_FRAME_RESOURCE), rid + 1);
		mkrt__store_relaxed(mkrt__meta(h, f, MKRT_FRAME_BYTES), (uint32_t)res);
		mkrt__store_relaxed(mkrt__meta(h, f, MKRT_FRAME_SUMMED), 0);
		mkrt__store_relaxed(mkrt__meta(h, f, MKRT_FRAME_REF), 1);
		/* release: the frame's bytes before anyone can pin it (a waiting
		 * lane gets it pinned) ... */
		mkrt__store_release(mkrt__meta(h, f, MKRT_FRAME_PIN), prefetch ? 0 : 1);
		/* ... and before a lane can find it resident */
		mkrt__store_release(&h->b->residency[rid], f + 1);
	} else if (f < h->b->frame_count) {
		/* release: the frame the lane picked is empty and free again */
		mkrt__store_release(mkrt__meta(h, f, MKRT_FRAME_PIN), 0);
	}
	mkrt__frames_answer(io, prefetch, res, f, (uint32_t)res);
	return 0;
}

const struct mkrt__io_port mkrt__lane_frames_port = {
	.queue = mkrt__frames_queue,
	.claim = mkrt__lane_frames_claim,
	.frame = mkrt__lane_frames_frame,
	.complete = mkrt__lane_frames_complete,
	.lanes_evict = true,
};
