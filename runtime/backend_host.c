/* SPDX-License-Identifier: MIT */
/*
 * backend_host.c - the "host" backend: the reference executor on host threads.
 *
 * No OpenCL at all. Each lane is a thread that scans every slot, starting at
 * its own offset, and runs what it can claim (exec.c); an idle lane backs off
 * spin -> yield -> bounded sleep. Lanes exit when they acquire SHUTDOWN, set
 * by stop() or by a SHUTDOWN slot. It is always available, with the lowest
 * score, so any device backend that passes its probe wins the automatic pick.
 */
#include "backend.h"

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
	struct mkrt_exec_buffers b;
	uint32_t lanes;
	uint32_t live;       /* atomic: lanes started and not yet returned */
	struct mkrt__host_lane *lane;
	uint32_t *dfa_copy;
	struct mkrt_handler *handlers_copy;
};

static int mkrt__host_probe(const struct mkrt_config *cfg, char *reason, size_t len)
{
	(void)cfg;
	(void)reason;
	(void)len;
	return MKRT__HOST_SCORE;
}

static void *mkrt__alloc_words(size_t words)
{
	size_t bytes = words * sizeof(uint32_t);
	/* 64-byte lines: round up so aligned_alloc's size rule holds */
	bytes = (bytes + MKRT_SLOT_BYTES - 1) / MKRT_SLOT_BYTES * MKRT_SLOT_BYTES;
	void *p = aligned_alloc(MKRT_SLOT_BYTES, bytes);
	if (p)
		memset(p, 0, bytes);
	return p;
}

static void mkrt__host_free(struct mkrt__host *h)
{
	free(h->lane);
	free(h->handlers_copy);
	free(h->dfa_copy);
	free(h->b.debug_log);
	free(h->b.control);
	free(h->b.ring);
	free(h);
}

/* Copy the caller's DFA table and handler table: the config need not outlive open. */
static int mkrt__host_copy_tables(struct mkrt__host *h, const struct mkrt_config *cfg)
{
	if (cfg->dfa_words) {
		h->dfa_copy = malloc((size_t)cfg->dfa_words * sizeof(uint32_t));
		if (!h->dfa_copy)
			return MKRT_ENOMEM;
		memcpy(h->dfa_copy, cfg->dfa, (size_t)cfg->dfa_words * sizeof(uint32_t));
		h->b.dfa = h->dfa_copy;
		h->b.dfa_words = cfg->dfa_words;
	}
	if (cfg->handler_count) {
		h->handlers_copy = calloc(cfg->handler_count, sizeof(*h->handlers_copy));
		if (!h->handlers_copy)
			return MKRT_ENOMEM;
		memcpy(h->handlers_copy, cfg->handlers, cfg->handler_count * sizeof(*cfg->handlers));
		h->b.handlers = h->handlers_copy;
		h->b.handler_count = cfg->handler_count;
	}
	return 0;
}

static int mkrt__host_open(const struct mkrt_config *cfg, void **state)
{
	struct mkrt__host *h = calloc(1, sizeof(*h));
	size_t control_bytes;
	int err;

	if (!h)
		return MKRT_ENOMEM;
	h->lanes = cfg->lanes;
	h->b.slot_count = cfg->slots;
	h->b.control_words = MKRT_CTL_OBS + cfg->observable;
	h->b.debug_words = MKRT_LOG_FIRST + cfg->debug_records * MKRT_LOG_RECORD_WORDS;
	h->b.ring = mkrt__alloc_words((size_t)cfg->slots * MKRT_SLOT_WORDS);
	h->b.control = mkrt__alloc_words(h->b.control_words);
	h->b.debug_log = mkrt__alloc_words(h->b.debug_words);
	h->lane = calloc(h->lanes, sizeof(*h->lane));
	err = MKRT_ENOMEM;
	if (!h->b.ring || !h->b.control || !h->b.debug_log || !h->lane)
		goto out_free;
	err = mkrt__host_copy_tables(h, cfg);
	if (err)
		goto out_free;
	control_bytes = (size_t)h->b.control_words * sizeof(uint32_t);
	err = mkrt_encode_control_into(cfg->control, (uint8_t *)h->b.control, control_bytes);
	if (err)
		goto out_free;
	*state = h;
	return 0;

out_free:
	mkrt__host_free(h);
	return err;
}

static void *mkrt__host_lane_main(void *arg)
{
	struct mkrt__host_lane *lane = arg;
	const struct mkrt_exec_buffers *b = &lane->host->b;
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
	mkrt__store_release(&h->b.control[MKRT_CTL_SHUTDOWN], 1);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += timeout_ms / 1000u;
	deadline.tv_nsec += (long)(timeout_ms % 1000u) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	for (uint32_t i = 0; i < h->lanes; i++) {
		if (!h->lane[i].running)
			continue;
		int rc = pthread_timedjoin_np(h->lane[i].thread, NULL, &deadline);
		if (rc == ETIMEDOUT) {
			err = MKRT_ETIMEDOUT;
			continue;
		}
		h->lane[i].running = false;
	}
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

static int mkrt__host_publish(void *state, uint32_t slot, const struct mkrt_slot *req,
			      uint32_t nargs)
{
	struct mkrt__host *h = state;

	return mkrt_publish(h->b.ring, (size_t)h->b.slot_count * MKRT_SLOT_WORDS, slot, req, nargs);
}

static int mkrt__host_read_slot(void *state, uint32_t slot, struct mkrt_slot *out)
{
	struct mkrt__host *h = state;

	return mkrt_ring_read_slot(h->b.ring, (size_t)h->b.slot_count * MKRT_SLOT_WORDS, slot, out);
}

static int mkrt__host_reset_slot(void *state, uint32_t slot)
{
	struct mkrt__host *h = state;

	return mkrt_slot_reset(h->b.ring, (size_t)h->b.slot_count * MKRT_SLOT_WORDS, slot);
}

static int mkrt__host_cancel_slot(void *state, uint32_t slot)
{
	struct mkrt__host *h = state;

	return mkrt_slot_cancel(h->b.ring, (size_t)h->b.slot_count * MKRT_SLOT_WORDS, slot);
}

static uint32_t mkrt__host_slot_count(void *state)
{
	return ((struct mkrt__host *)state)->b.slot_count;
}

static uint32_t mkrt__host_control_words(void *state)
{
	return ((struct mkrt__host *)state)->b.control_words;
}

static int mkrt__host_read_control(void *state, uint32_t first, uint32_t n, uint32_t *out)
{
	struct mkrt__host *h = state;

	/* acquire: DONE_COUNT == k then covers k finished slots' effects */
	for (uint32_t i = 0; i < n; i++)
		out[i] = mkrt__load_acquire(&h->b.control[first + i]);
	return 0;
}

static int mkrt__host_read_debug_log(void *state, uint8_t *buf, size_t len)
{
	struct mkrt__host *h = state;
	size_t words = len / sizeof(uint32_t);

	if (!buf)
		return (int)(h->b.debug_words * sizeof(uint32_t));

	if (words > h->b.debug_words)
		words = h->b.debug_words;
	for (size_t i = 0; i < words; i++)
		mkrt__put_le32(buf + i * 4u, mkrt__load_acquire(&h->b.debug_log[i]));
	return (int)(words * sizeof(uint32_t));
}

const struct mkrt__backend_ops mkrt__backend_host = {
	.name = "host",
	.summary = "reference executor on host threads (no OpenCL)",
	.probe = mkrt__host_probe,
	.open = mkrt__host_open,
	.start = mkrt__host_start,
	.stop = mkrt__host_stop,
	.close = mkrt__host_close,
	.executors_live = mkrt__host_executors_live,
	.publish = mkrt__host_publish,
	.read_slot = mkrt__host_read_slot,
	.reset_slot = mkrt__host_reset_slot,
	.cancel_slot = mkrt__host_cancel_slot,
	.slot_count = mkrt__host_slot_count,
	.read_control = mkrt__host_read_control,
	.control_words = mkrt__host_control_words,
	.read_debug_log = mkrt__host_read_debug_log,
};
