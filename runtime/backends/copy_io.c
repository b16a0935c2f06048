/* SPDX-License-Identifier: MIT */
/*
 * copy_io.c - the IO servicer's port for the copy backend (copy.h): the
 * queue is read back, each request's resource goes into the frame its lane
 * picked (the host cannot CAS device words), and completions are ordered
 * writes.
 */
#include "copy.h"

/* The queue as it is now; only the servicer moves a PUBLISHED request on,
 * and it reads the queue back only after its last completion landed. */
static const uint32_t *mkrt__copy_io_queue(void *ctx)
{
	struct mkrt__copy *c = ctx;

	if (mkrt__copy_read(c, MKRT__CB_IO, 0, c->words[MKRT__CB_IO], c->io_view))
		return NULL; /* the device failed: the watcher reports it */
	return c->io_view;
}

/* The frame the lane picked and unmapped, staged on the host. */
static int64_t mkrt__copy_io_frame(void *ctx, const uint32_t *req, uint32_t rid, uint8_t **dst)
{
	struct mkrt__copy *c = ctx;

	(void)rid;
	if (req[MKRT_IO_DST] >= c->words[MKRT__CB_FRAMES] / MKRT_FRAME_WORDS)
		return -(int64_t)MKRT_IOERR_READ;
	*dst = c->frame_stage;
	return req[MKRT_IO_DST];
}

/* One of a completion's writes, in order. */
struct mkrt__copy_put {
	int buf;
	uint32_t first, n;
	const void *src;
};

/* Complete IO slot @q: the lane's frame filled (res >= 0, the byte count)
 * or an error code (-res). Every write is ordered after the ones before it;
 * the last one blocks, so the stage buffers are free again when this
 * returns. */
static int mkrt__copy_io_complete(void *ctx, uint32_t q, const uint32_t *io, int64_t f, bool loaded,
				  int64_t res)
{
	struct mkrt__copy *c = ctx;
	uint32_t rid = io[MKRT_IO_SRC], frame = io[MKRT_IO_DST], fw = frame * MKRT_FRAME_WORDS;
	uint32_t base = q * MKRT_IO_WORDS;
	bool prefetch = io[MKRT_IO_TAG] & MKRT_IO_TAG_PREFETCH;
	struct mkrt__copy_put put[6];
	int k = 0;

	(void)f;
	(void)loaded; /* every frame is the lane's, loaded or given back */
	if (res >= 0) {
		uint32_t n = (uint32_t)res;
		uint32_t meta[] = { [MKRT_FRAME_RESOURCE] = rid + 1, [MKRT_FRAME_BYTES] = n,
				    [MKRT_FRAME_PIN] = MKRT_FRAME_EVICTING, [MKRT_FRAME_REF] = 1 };
		memcpy(c->meta_stage, meta, sizeof(meta));
		c->pin_stage = prefetch ? 0 : 1; /* a waiting lane gets it pinned */
		c->res_stage = frame + 1;
		put[k++] = (struct mkrt__copy_put){ MKRT__CB_ARENA, frame * (c->frame_bytes / 4u), (n + 3u) / 4u,
						    c->frame_stage };
		put[k++] = (struct mkrt__copy_put){ MKRT__CB_FRAMES, fw, MKRT_FRAME_SUMMED + 1, c->meta_stage };
		put[k++] = (struct mkrt__copy_put){ MKRT__CB_FRAMES, fw + MKRT_FRAME_PIN, 1, &c->pin_stage };
		put[k++] = (struct mkrt__copy_put){ MKRT__CB_RESIDENCY, rid, 1, &c->res_stage };
	} else if (frame < c->words[MKRT__CB_FRAMES] / MKRT_FRAME_WORDS) {
		c->pin_stage = 0; /* the frame the lane picked is empty and free again */
		put[k++] = (struct mkrt__copy_put){ MKRT__CB_FRAMES, fw + MKRT_FRAME_PIN, 1, &c->pin_stage };
	}
	memcpy(c->io_stage, io, sizeof(c->io_stage));
	c->io_stage[MKRT_IO_DST] = res >= 0 ? frame : (uint32_t)-res;
	c->io_stage[MKRT_IO_BYTES] = res >= 0 ? (uint32_t)res : 0;
	c->io_stage[MKRT_IO_STATUS] = prefetch ? MKRT_IO_EMPTY : res >= 0 ? MKRT_IO_OK : MKRT_IO_ERROR;
	put[k++] = (struct mkrt__copy_put){ MKRT__CB_IO, base + MKRT_IO_DST, MKRT_IO_BYTES - MKRT_IO_DST + 1,
					    c->io_stage + MKRT_IO_DST };
	/* last: the lane acquires STATUS, then reads DST and BYTES */
	put[k++] = (struct mkrt__copy_put){ MKRT__CB_IO, base + MKRT_IO_STATUS, 1, c->io_stage + MKRT_IO_STATUS };
	for (int i = 0; i < k; i++) {
		int err = mkrt__copy_write(c, put[i].buf, put[i].first, put[i].n, put[i].src, i == k - 1);
		if (err)
			return err; /* the device failed: the watcher reports it */
	}
	return 0;
}

const struct mkrt__io_port mkrt__copy_io_port = {
	.queue = mkrt__copy_io_queue,
	.frame = mkrt__copy_io_frame,
	.complete = mkrt__copy_io_complete,
};

/* A waiter's pass: only while the ring, as last read back, has a slot a
 * lane holds (a load miss waits in CLAIMED). Otherwise the IO queue read
 * would double the transfers of every look at a round trip with no IO in
 * it; the servicer thread still watches for prefetches. */
uint32_t mkrt__copy_serve_io(void *state)
{
	struct mkrt__copy *c = state;

	if (!c->servicer || !mkrt__load_relaxed(&c->claimed))
		return 0;
	return mkrt__servicer_help(c->servicer);
}
