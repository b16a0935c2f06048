/* SPDX-License-Identifier: MIT */
/*
 * servicer.c - the IO servicer (DESIGN §6), one for every backend: its own
 * thread polls the IO queue, takes each PUBLISHED request, loads the
 * resource through the resolver into the frame the port gives and has the
 * port complete it. The port (io.h) is the only part that differs: host
 * memory is read and written in place (frames.c), a device's queue is read
 * back and completed in ordered transfers (backends/copy_io.c).
 *
 * A host thread waiting for a slot serves the queue too (mkrt__servicer_help):
 * a load miss then costs one handoff each way between the waiter and the
 * lane, not two more through this thread, which on a machine with few cores
 * also has to be scheduled first. One pass at a time holds serve_lock, so the
 * resolver and the port's frames are never used by two threads at once; a
 * helper that finds the lock taken does not wait for it.
 */
#include "io.h"

#include <stdlib.h>

struct mkrt__servicer {
	const struct mkrt__io_port *port;
	void *ctx;
	struct mkrt__resolver resolver;
	uint32_t resources, frame_bytes;
	pthread_mutex_t serve_lock;  /* one pass over the queue at a time */
	struct mkrt__poller poller;
	uint64_t requests, errors;   /* atomic */
};

/* Load request @req's resource and complete it; non-zero when the device failed. */
static int mkrt__serve_one(struct mkrt__servicer *s, uint32_t q, const uint32_t *req)
{
	uint32_t rid = mkrt__load_relaxed(&req[MKRT_IO_SRC]);
	uint8_t *dst = NULL;
	int64_t frame = -1, res = 0;

	if (mkrt__load_relaxed(&req[MKRT_IO_OP]) != MKRT_IO_OP_READ)
		res = -(int64_t)MKRT_IOERR_READ;
	else if (rid >= s->resources)
		res = -(int64_t)MKRT_IOERR_RANGE;
	else if ((res = s->port->frame(s->ctx, req, rid, &dst)) >= 0) {
		frame = res;
		res = dst ? s->resolver.resolve(s->resolver.self, rid, dst, s->frame_bytes) : 0;
	}
	if (res > s->frame_bytes)
		res = -(int64_t)MKRT_IOERR_TOO_BIG;
	if (dst && res >= 0) /* the checksum pads with zeros */
		memset(dst + res, 0, (size_t)((4 - res % 4) % 4));
	mkrt__add64_relaxed(&s->requests, 1);
	if (res < 0)
		mkrt__add64_relaxed(&s->errors, 1);
	return s->port->complete(s->ctx, q, req, frame, dst != NULL, res);
}

/* One pass under serve_lock; with @wait false, none if the lock is taken. */
static uint32_t mkrt__serve_pass(struct mkrt__servicer *s, bool wait)
{
	const uint32_t *queue;
	uint32_t served = 0;

	if (wait ? pthread_mutex_lock(&s->serve_lock) : pthread_mutex_trylock(&s->serve_lock))
		return 0;
	/* no pass starts once a stop is asked */
	if (mkrt__poller_stopping(&s->poller) || !(queue = s->port->queue(s->ctx)))
		goto out;
	for (uint32_t q = 0; q < MKRT_IO_SLOTS; q++) {
		const uint32_t *req = queue + q * MKRT_IO_WORDS;
		if (mkrt__load_relaxed(&req[MKRT_IO_STATUS]) != MKRT_IO_PUBLISHED ||
		    (s->port->claim && !s->port->claim(s->ctx, q)))
			continue;
		if (mkrt__serve_one(s, q, req))
			break; /* the device failed: its waiters hear of it */
		served++;
	}
out:
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

int mkrt__servicer_new(const struct mkrt_io_config *io, const struct mkrt__io_port *port, void *ctx,
		       struct mkrt__servicer **out)
{
	struct mkrt__servicer *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return MKRT_ENOMEM;
	s->port = port;
	s->ctx = ctx;
	s->resources = io->resources;
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
}
