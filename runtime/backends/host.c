/* SPDX-License-Identifier: MIT */
/*
 * host.c - the "host" backend: the reference executor on host threads.
 *
 * No OpenCL at all. Each lane is a thread that scans every slot, starting at
 * its own offset, and runs what it can claim (exec.c); an idle lane backs off
 * spin -> yield -> bounded sleep. Lanes exit when they acquire SHUTDOWN, set
 * by stop() or by a SHUTDOWN slot. It is always available, with the lowest
 * score, so any device backend that passes its probe wins the automatic pick.
 */
#include "words.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#define MKRT__HOST_SCORE 1

struct mkrt__host;

struct mkrt__host_lane {
	struct mkrt__host *host;
	pthread_t thread;
	uint32_t index;
	bool running;        /* thread created and not yet joined */
};

struct mkrt__host {
	struct mkrt__words w;        /* first: the shared word hooks take the state */
	uint32_t lanes;
	uint32_t live;               /* atomic: lanes started and not yet returned */
	struct mkrt__host_lane *lane;
	struct mkrt_handler *handlers_copy;
};

static int mkrt__host_probe(const struct mkrt_config *cfg, char *reason, size_t len)
{
	(void)cfg;
	(void)reason;
	(void)len;
	return MKRT__HOST_SCORE;
}

static uint32_t *mkrt__host_alloc(void *ctx, size_t words)
{
	(void)ctx;
	/* 64-byte lines: round up so aligned_alloc's size rule holds */
	size_t bytes = (words * sizeof(uint32_t) + MKRT_SLOT_BYTES - 1) / MKRT_SLOT_BYTES * MKRT_SLOT_BYTES;
	uint32_t *p = aligned_alloc(MKRT_SLOT_BYTES, bytes);
	if (p)
		memset(p, 0, bytes);
	return p;
}

static void mkrt__host_release(void *ctx, uint32_t *p)
{
	(void)ctx;
	free(p);
}

static void mkrt__host_free(struct mkrt__host *h)
{
	mkrt__words_free(&h->w, mkrt__host_release, NULL);
	free(h->lane);
	free(h->handlers_copy);
	free(h);
}

static int mkrt__host_open(const struct mkrt_config *cfg, void **state)
{
	struct mkrt__host *h = calloc(1, sizeof(*h));
	int err;

	if (!h)
		return MKRT_ENOMEM;
	h->lanes = cfg->lanes ? cfg->lanes : 1;
	h->lane = calloc(h->lanes, sizeof(*h->lane));
	err = h->lane ? mkrt__words_init(&h->w, cfg, mkrt__host_alloc, NULL) : MKRT_ENOMEM;
	if (err)
		goto out_free;
	if (cfg->handler_count) {
		/* copied: the caller's table need not outlive open */
		h->handlers_copy = calloc(cfg->handler_count, sizeof(*h->handlers_copy));
		err = MKRT_ENOMEM;
		if (!h->handlers_copy)
			goto out_free;
		memcpy(h->handlers_copy, cfg->handlers, cfg->handler_count * sizeof(*cfg->handlers));
		h->w.b.handlers = h->handlers_copy;
		h->w.b.handler_count = cfg->handler_count;
	}
	*state = h;
	return 0;

out_free:
	mkrt__host_free(h);
	return err;
}

static void *mkrt__host_lane_main(void *arg)
{
	struct mkrt__host_lane *lane = arg;
	const struct mkrt_exec_buffers *b = &lane->host->w.b;
	uint32_t n = b->slot_count;
	uint32_t start = (uint32_t)((uint64_t)lane->index * n / lane->host->lanes);
	struct mkrt__backoff backoff = { 0 };

	/* acquire: pairs with the release store of SHUTDOWN (stop() or the opcode) */
	while (!mkrt__load_acquire(&b->control[MKRT_CTL_SHUTDOWN])) {
		uint32_t ran = 0;
		for (uint32_t i = 0; i < n; i++)
			ran += (uint32_t)mkrt__exec_slot(b, (start + i) % n);
		if (ran)
			mkrt__backoff_reset(&backoff);
		else
			mkrt__backoff_pause(&backoff);
	}
	/* release: whoever sees the lane gone also sees its last slot finished */
	mkrt__sub_release(&lane->host->live, 1);
	return NULL;
}

static int mkrt__host_stop(void *state, uint32_t timeout_ms);

static int mkrt__host_start(void *state)
{
	struct mkrt__host *h = state;

	if (mkrt__words_start_io(&h->w))
		return MKRT_ETHREAD;
	for (uint32_t i = 0; i < h->lanes; i++) {
		h->lane[i].host = h;
		h->lane[i].index = i;
		mkrt__add_relaxed(&h->live, 1);
		if (pthread_create(&h->lane[i].thread, NULL, mkrt__host_lane_main, &h->lane[i])) {
			mkrt__sub_release(&h->live, 1); /* the lane that did not start */
			mkrt__host_stop(h, MKRT_DEFAULT_STOP_MS);
			return MKRT_ETHREAD;
		}
		h->lane[i].running = true;
	}
	return 0;
}

static int mkrt__host_stop(void *state, uint32_t timeout_ms)
{
	struct mkrt__host *h = state;
	struct timespec deadline;
	int err = 0;

	/* release: lanes acquire it and exit after their current slot */
	mkrt__store_release(&h->w.b.control[MKRT_CTL_SHUTDOWN], 1);
	mkrt__realtime_deadline(&deadline, timeout_ms);
	for (uint32_t i = 0; i < h->lanes; i++) {
		if (!h->lane[i].running)
			continue;
		if (pthread_timedjoin_np(h->lane[i].thread, NULL, &deadline) == ETIMEDOUT) {
			err = MKRT_ETIMEDOUT;
			continue;
		}
		h->lane[i].running = false;
	}
	if (!err) /* lanes waiting on IO gave up at SHUTDOWN: the servicer can go */
		mkrt__words_stop_io(&h->w);
	return err;
}

static void mkrt__host_close(void *state)
{
	struct mkrt__host *h = state;

	for (uint32_t i = 0; i < h->lanes; i++)
		if (h->lane[i].running)
			return; /* a lane is stuck in a handler: leak rather than free under it */
	mkrt__host_free(h);
}

static int mkrt__host_executors_live(void *state)
{
	struct mkrt__host *h = state;

	/* acquire: pairs with a lane's release on exit */
	return (int)mkrt__load_acquire(&h->live);
}

static void mkrt__host_stats(void *state, struct mkrt_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->lanes = ((struct mkrt__host *)state)->lanes;
	mkrt__words_io_stats(&((struct mkrt__host *)state)->w, out);
}

const struct mkrt__backend_ops mkrt__backend_host = {
	.name = "host",
	.summary = "reference executor on host threads (no OpenCL)",
	.probe = mkrt__host_probe,
	.open = mkrt__host_open,
	.start = mkrt__host_start,
	.stop = mkrt__host_stop,
	.close = mkrt__host_close,
	MKRT__WORDS_HOOKS,
	.serve_io = mkrt__words_serve_io,
	.executors_live = mkrt__host_executors_live,
	.stats = mkrt__host_stats,
	.publish = mkrt__words_publish,
	.write_region = mkrt__words_write_region,
};
