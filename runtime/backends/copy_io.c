/* SPDX-License-Identifier: MIT */
/*
 * copy_io.c - the copy backend's IO servicer (copy.h): reads the IO queue
 * back, loads each request's resource into the frame its lane picked, and
 * completes it in ordered writes.
 */
#include "copy.h"

/* ---- the IO servicer ------------------------------------------------------------------------- */

/* Complete IO slot @q: @frame filled (res >= 0, the byte count) or an error
 * code (-res). Every write is ordered after the ones before it; the last
 * one blocks, so the stage buffers are free again when this returns. */
static int mkrt__copy_complete(struct mkrt__copy *c, uint32_t q, uint32_t rid, uint32_t frame,
			       bool prefetch, int64_t res)
{
	uint32_t *io = c->io_view + q * MKRT_IO_WORDS, fw = frame * MKRT_FRAME_WORDS;
	int err = 0;

	if (res >= 0) {
		uint32_t n = (uint32_t)res;
		memset(c->frame_stage + n, 0, (size_t)((4 - n % 4) % 4)); /* the checksum pads with zeros */
		uint32_t meta[] = { [MKRT_FRAME_RESOURCE] = rid + 1, [MKRT_FRAME_BYTES] = n,
				    [MKRT_FRAME_PIN] = MKRT_FRAME_EVICTING, [MKRT_FRAME_REF] = 1 };
		memcpy(c->meta_stage, meta, sizeof(meta));
		c->pin_stage = prefetch ? 0 : 1; /* a waiting lane gets it pinned */
		c->res_stage = frame + 1;
		err = err ? err : mkrt__copy_write(c, MKRT__CB_ARENA, frame * (c->frame_bytes / 4u),
						   (n + 3u) / 4u, c->frame_stage, false);
		err = err ? err : mkrt__copy_write(c, MKRT__CB_FRAMES, fw, MKRT_FRAME_SUMMED + 1,
						   c->meta_stage, false);
		err = err ? err : mkrt__copy_write(c, MKRT__CB_FRAMES, fw + MKRT_FRAME_PIN, 1, &c->pin_stage,
						   false);
		err = err ? err : mkrt__copy_write(c, MKRT__CB_RESIDENCY, rid, 1, &c->res_stage, false);
	} else {
		mkrt__add64_relaxed(&c->errors, 1);
		c->pin_stage = 0; /* the frame the lane picked is empty and free again */
		if (frame < c->words[MKRT__CB_FRAMES] / MKRT_FRAME_WORDS)
			err = mkrt__copy_write(c, MKRT__CB_FRAMES, fw + MKRT_FRAME_PIN, 1, &c->pin_stage, false);
	}
	mkrt__add64_relaxed(&c->requests, 1);
	memcpy(c->io_stage, io, sizeof(c->io_stage));
	c->io_stage[MKRT_IO_DST] = res >= 0 ? frame : (uint32_t)-res;
	c->io_stage[MKRT_IO_BYTES] = res >= 0 ? (uint32_t)res : 0;
	c->io_stage[MKRT_IO_STATUS] = prefetch ? MKRT_IO_EMPTY : res >= 0 ? MKRT_IO_OK : MKRT_IO_ERROR;
	uint32_t base = q * MKRT_IO_WORDS;
	err = err ? err : mkrt__copy_write(c, MKRT__CB_IO, base + MKRT_IO_DST,
					   MKRT_IO_BYTES - MKRT_IO_DST + 1, c->io_stage + MKRT_IO_DST, false);
	/* last: the lane acquires STATUS, then reads DST and BYTES */
	err = err ? err : mkrt__copy_write(c, MKRT__CB_IO, base + MKRT_IO_STATUS, 1,
					   c->io_stage + MKRT_IO_STATUS, true);
	return err;
}

static uint32_t mkrt__copy_serve_pass(struct mkrt__copy *c, bool wait)
{
	uint32_t served = 0, frames = c->words[MKRT__CB_FRAMES] / MKRT_FRAME_WORDS;

	if (wait ? pthread_mutex_lock(&c->serve_lock) : pthread_mutex_trylock(&c->serve_lock))
		return 0;
	/* no pass starts once a stop is asked */
	if (mkrt__poller_stopping(&c->servicer) ||
	    mkrt__copy_read(c, MKRT__CB_IO, 0, c->words[MKRT__CB_IO], c->io_view)) {
		pthread_mutex_unlock(&c->serve_lock);
		return 0;
	}
	for (uint32_t q = 0; q < MKRT_IO_SLOTS; q++) {
		const uint32_t *io = c->io_view + q * MKRT_IO_WORDS;
		/* only this servicer moves a PUBLISHED request on, and it reads
		 * the queue back only after its last completion landed */
		if (io[MKRT_IO_STATUS] != MKRT_IO_PUBLISHED)
			continue;
		uint32_t rid = io[MKRT_IO_SRC], frame = io[MKRT_IO_DST];
		bool prefetch = io[MKRT_IO_TAG] & MKRT_IO_TAG_PREFETCH;
		int64_t res;
		if (io[MKRT_IO_OP] != MKRT_IO_OP_READ || frame >= frames)
			res = -(int64_t)MKRT_IOERR_READ;
		else if (rid >= c->words[MKRT__CB_RESIDENCY])
			res = -(int64_t)MKRT_IOERR_RANGE;
		else if ((res = c->resolver.resolve(c->resolver.self, rid, c->frame_stage, c->frame_bytes)) >
			 c->frame_bytes)
			res = -(int64_t)MKRT_IOERR_TOO_BIG;
		if (mkrt__copy_complete(c, q, rid, frame, prefetch, res))
			break; /* the device failed: the watcher reports it */
		served++;
	}
	pthread_mutex_unlock(&c->serve_lock);
	return served;
}

/* A waiter's pass: only while the ring, as last read back, has a slot a
 * lane holds (a load miss waits in CLAIMED). Otherwise the IO queue read
 * would double the transfers of every look at a round trip with no IO in
 * it; the servicer thread still watches for prefetches. */
uint32_t mkrt__copy_serve_io(void *state)
{
	struct mkrt__copy *c = state;

	if (!c->has_io || !mkrt__load_relaxed(&c->claimed))
		return 0;
	return mkrt__copy_serve_pass(c, false);
}

uint32_t mkrt__copy_servicer_pass(void *arg)
{
	return mkrt__copy_serve_pass(arg, true);
}
