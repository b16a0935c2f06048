/* SPDX-License-Identifier: MIT */
/*
 * servicer.c - the host IO servicer (DESIGN §6): its own thread
 * acquire-polls the IO queue, claims each READ, loads the resource into a
 * frame of the arena through the resolver and release-completes it.
 *
 * The servicer is the only one that evicts. A frame is reloaded only after a
 * CAS of its pin count from 0 to EVICTING, so a frame a lane has pinned (a
 * hit being read, or a miss being handed over) is never evicted; the clock
 * hand skips recently hit frames once. For a waiting lane the frame is
 * pinned before OK is published, and the lane unpins it after reading.
 *
 * A host thread waiting for a slot serves the queue too (mkrt__servicer_help):
 * a load miss then costs one handoff each way between the waiter and the
 * lane, not two more through this thread, which on a machine with few cores
 * also has to be scheduled first. One pass at a time holds serve_lock, so the
 * resolver, the clock hand and the eviction are never run by two threads at
 * once; a helper that finds the lock taken does not wait for it.
 */
#include "io.h"

#include <pthread.h>
#include <stdlib.h>

#define MKRT__FRAME_WAIT_NS 100000u   /* how long to wait for a pin to drop */

struct mkrt__servicer {
	struct mkrt_exec_buffers *b;
	struct mkrt__resolver resolver;
	uint32_t frame_bytes;
	uint32_t hand;               /* clock hand (servicer thread only) */
	pthread_mutex_t serve_lock;  /* one pass over the queue at a time */
	struct mkrt__poller poller;
	uint64_t requests, errors, evictions; /* atomic */
};

static uint32_t *mkrt__meta(struct mkrt__servicer *s, uint32_t f, uint32_t word)
{
	return &s->b->frames[(size_t)f * MKRT_FRAME_WORDS + word];
}

/* One clock sweep (two laps) for a frame nobody pins; it comes back EVICTING. */
static int mkrt__sweep(struct mkrt__servicer *s)
{
	uint32_t n = s->b->frame_count;

	for (uint32_t step = 0; step < 2 * n; step++) {
		uint32_t f = s->hand++ % n, free_pin = 0;
		if (mkrt__load_relaxed(mkrt__meta(s, f, MKRT_FRAME_PIN)) != 0)
			continue;
		if (mkrt__load_relaxed(mkrt__meta(s, f, MKRT_FRAME_REF))) {
			mkrt__store_relaxed(mkrt__meta(s, f, MKRT_FRAME_REF), 0);
			continue;
		}
		/* acq_rel: after the last reader's unpin, before our reload */
		if (mkrt__cas_acq_rel(mkrt__meta(s, f, MKRT_FRAME_PIN), &free_pin, MKRT_FRAME_EVICTING))
			return (int)f;
	}
	return -1;
}

static int mkrt__victim(struct mkrt__servicer *s)
{
	uint64_t deadline = mkrt__now_ns() + MKRT__FRAME_WAIT_NS;
	int f;

	while ((f = mkrt__sweep(s)) < 0 && mkrt__now_ns() < deadline)
		;
	return f;
}

/* Load @rid into a fresh frame; returns the frame, or -MKRT_IOERR_*. */
static int64_t mkrt__load(struct mkrt__servicer *s, uint32_t rid, bool pin_for_lane)
{
	const struct mkrt_exec_buffers *b = s->b;
	int f = mkrt__victim(s);

	if (f < 0)
		return -(int64_t)MKRT_IOERR_NO_FRAME;
	uint32_t old = mkrt__load_relaxed(mkrt__meta(s, (uint32_t)f, MKRT_FRAME_RESOURCE));
	if (old) {
		/* release: lanes that still find the old mapping fail their pin */
		mkrt__store_release(&b->residency[old - 1], 0);
		mkrt__add64_relaxed(&s->evictions, 1);
	}
	mkrt__store_relaxed(mkrt__meta(s, (uint32_t)f, MKRT_FRAME_RESOURCE), 0);
	/* the kept checksum was of the old bytes (ordered before the next
	 * pinner by the PIN release below) */
	mkrt__store_relaxed(mkrt__meta(s, (uint32_t)f, MKRT_FRAME_SUMMED), 0);
	uint8_t *frame = (uint8_t *)(b->arena + (size_t)f * b->frame_words);
	int64_t n = s->resolver.resolve(s->resolver.self, rid, frame, s->frame_bytes);
	if (n > s->frame_bytes)
		n = -(int64_t)MKRT_IOERR_TOO_BIG;
	if (n < 0) {
		/* release: the frame is empty and free again */
		mkrt__store_release(mkrt__meta(s, (uint32_t)f, MKRT_FRAME_PIN), 0);
		return n;
	}
	memset(frame + n, 0, (size_t)((4 - n % 4) % 4)); /* the checksum pads with zeros */
	mkrt__store_relaxed(mkrt__meta(s, (uint32_t)f, MKRT_FRAME_BYTES), (uint32_t)n);
	mkrt__store_relaxed(mkrt__meta(s, (uint32_t)f, MKRT_FRAME_RESOURCE), rid + 1);
	mkrt__store_relaxed(mkrt__meta(s, (uint32_t)f, MKRT_FRAME_REF), 1);
	/* release: the frame's bytes before anyone can pin it */
	mkrt__store_release(mkrt__meta(s, (uint32_t)f, MKRT_FRAME_PIN), pin_for_lane ? 1 : 0);
	/* release: ... and before a lane can find it resident */
	mkrt__store_release(&b->residency[rid], (uint32_t)f + 1);
	return f;
}

/* Serve one claimed READ; returns the frame or -MKRT_IOERR_*. */
static int64_t mkrt__serve(struct mkrt__servicer *s, uint32_t rid, bool prefetch)
{
	const struct mkrt_exec_buffers *b = s->b;

	if (rid >= b->resources)
		return -(int64_t)MKRT_IOERR_RANGE;
	/* acquire: pairs with our own earlier release (another request loaded it) */
	uint32_t r = mkrt__load_acquire(&b->residency[rid]);
	if (r && (prefetch || mkrt__frame_pin(b, r - 1)))
		return r - 1;
	return mkrt__load(s, rid, !prefetch);
}

static void mkrt__complete(struct mkrt__servicer *s, uint32_t *io, int64_t res)
{
	bool prefetch = mkrt__load_relaxed(&io[MKRT_IO_TAG]) & MKRT_IO_TAG_PREFETCH;
	uint32_t frame = res >= 0 ? (uint32_t)res : 0;

	mkrt__add64_relaxed(&s->requests, 1);
	if (res < 0)
		mkrt__add64_relaxed(&s->errors, 1);
	mkrt__store_relaxed(&io[MKRT_IO_DST], res >= 0 ? frame : (uint32_t)-res);
	mkrt__store_relaxed(&io[MKRT_IO_BYTES],
			    res >= 0 ? mkrt__load_relaxed(mkrt__meta(s, frame, MKRT_FRAME_BYTES)) : 0);
	/* release: DST and BYTES before the lane's acquire of STATUS; a
	 * prefetch has no lane waiting, so we recycle its slot ourselves */
	mkrt__store_release(&io[MKRT_IO_STATUS], prefetch ? MKRT_IO_EMPTY
							  : res >= 0 ? MKRT_IO_OK : MKRT_IO_ERROR);
}

static uint32_t mkrt__poll_queue(struct mkrt__servicer *s)
{
	uint32_t served = 0;

	for (uint32_t q = 0; q < MKRT_IO_SLOTS; q++) {
		uint32_t *io = &s->b->io[q * MKRT_IO_WORDS];
		uint32_t st = MKRT_IO_PUBLISHED;
		/* acq_rel: claiming it acquires the request's words */
		if (mkrt__load_relaxed(&io[MKRT_IO_STATUS]) != MKRT_IO_PUBLISHED ||
		    !mkrt__cas_acq_rel(&io[MKRT_IO_STATUS], &st, MKRT_IO_CLAIMED))
			continue;
		uint32_t op = mkrt__load_relaxed(&io[MKRT_IO_OP]);
		uint32_t rid = mkrt__load_relaxed(&io[MKRT_IO_SRC]);
		bool prefetch = mkrt__load_relaxed(&io[MKRT_IO_TAG]) & MKRT_IO_TAG_PREFETCH;
		int64_t res = op == MKRT_IO_OP_READ ? mkrt__serve(s, rid, prefetch)
						    : -(int64_t)MKRT_IOERR_READ;
		mkrt__complete(s, io, res);
		served++;
	}
	return served;
}

/* One pass under serve_lock; with @wait false, none if the lock is taken. */
static uint32_t mkrt__serve_pass(struct mkrt__servicer *s, bool wait)
{
	uint32_t served = 0;

	if (wait ? pthread_mutex_lock(&s->serve_lock) : pthread_mutex_trylock(&s->serve_lock))
		return 0;
	/* no pass starts once a stop is asked */
	if (!mkrt__poller_stopping(&s->poller))
		served = mkrt__poll_queue(s);
	pthread_mutex_unlock(&s->serve_lock);
	return served;
}

uint32_t mkrt__servicer_help(struct mkrt__servicer *s)
{
	return mkrt__serve_pass(s, false);
}

static uint32_t mkrt__servicer_pass(void *arg)
{
	return mkrt__serve_pass(arg, true);
}


int mkrt__servicer_new(const struct mkrt_io_config *io, struct mkrt_exec_buffers *b,
		       struct mkrt__servicer **out)
{
	struct mkrt__servicer *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return MKRT_ENOMEM;
	s->b = b;
	s->frame_bytes = io->frame_bytes;
	err = mkrt__resolver_init(io, &s->resolver);
	if (err) {
		free(s);
		return err;
	}
	pthread_mutex_init(&s->serve_lock, NULL);
	*out = s;
	return 0;
}

int mkrt__servicer_start(struct mkrt__servicer *s)
{
	return mkrt__poller_start(&s->poller, mkrt__servicer_pass, s);
}

void mkrt__servicer_stop(struct mkrt__servicer *s)
{
	/* the thread exits after the request in hand (reads are bounded) */
	if (s)
		mkrt__poller_stop(&s->poller);
}

void mkrt__servicer_free(struct mkrt__servicer *s)
{
	if (!s)
		return;
	mkrt__servicer_stop(s);
	mkrt__resolver_fini(&s->resolver);
	pthread_mutex_destroy(&s->serve_lock);
	free(s);
}

void mkrt__servicer_stats(const struct mkrt__servicer *s, struct mkrt_stats *out)
{
	if (!s)
		return;
	out->io_requests = mkrt__load64_relaxed(&s->requests);
	out->io_errors = mkrt__load64_relaxed(&s->errors);
	out->evictions = mkrt__load64_relaxed(&s->evictions);
}
