/* SPDX-License-Identifier: MIT */
/*
 * replay.c - run a capture on a backend until quiescent (mkrt replay).
 *
 * The capture's words are loaded before the backend starts. In serial mode
 * every PUBLISHED slot is held back (loaded as EMPTY, which executors
 * ignore) and released one at a time in ascending index order; the host
 * decides a slot's tenant from the live control words, exactly as a lane
 * would, since nothing else runs meanwhile. An executor counts a slot in
 * DONE_COUNT after its DONE, so the next slot is released, and the final
 * state read, only once DONE_COUNT shows it: the count the reference
 * executor leaves on a copy of the live control words. The final state is
 * read while the executors idle, before stop() writes SHUTDOWN, so it is
 * the state the slots left behind.
 */
#include "runtime_priv.h"

#include <stdlib.h>

#define MKRT__REPLAY_EPOCH_MS 0xFFFFFFFFu /* no time-budget yields mid-replay */

struct mkrt__replay {
	struct mkrt_runtime *rt;
	const struct mkrt_capture *in;
	uint64_t deadline;
	bool *held;                      /* serial: PUBLISHED slots not yet released */
	uint32_t *ctl;                   /* serial: the reference executor's copy of the
	                                    control words */
	uint32_t shutdown;               /* SHUTDOWN as the slots left it (mkrt__replay_stop) */
};

static uint32_t mkrt__ctl_word(struct mkrt_runtime *rt, uint32_t word)
{
	uint32_t v = 0;
	rt->ops.read_region(rt->state, MKRT__REGION_CONTROL, word, 1, &v);
	return v;
}

static uint32_t mkrt__slot_status(struct mkrt_runtime *rt, uint32_t slot)
{
	uint32_t v = 0;
	rt->ops.read_region(rt->state, MKRT__REGION_RING, slot * MKRT_SLOT_WORDS, 1, &v);
	return v;
}

/* The lane's tenant rule, on the live control words. */
static bool mkrt__replay_authorized(struct mkrt_runtime *rt, uint32_t tenant)
{
	uint32_t w = mkrt__tenant_word(mkrt__ctl_word(rt, MKRT_CTL_TENANT_BASE), tenant);

	return w && mkrt__ctl_word(rt, w);
}

static int mkrt__replay_load(struct mkrt__replay *r, bool serial)
{
	struct mkrt_runtime *rt = r->rt;
	const struct mkrt_capture *in = r->in;
	int err = rt->ops.write_region(rt->state, MKRT__REGION_CONTROL, 0, in->control_words, in->control);

	if (!err && in->debug_words)
		err = rt->ops.write_region(rt->state, MKRT__REGION_DEBUG, 0, in->debug_words, in->debug);
	if (!err && in->io_words)
		err = rt->ops.write_region(rt->state, MKRT__REGION_IO, 0, in->io_words, in->io);
	for (uint32_t s = 0; s < in->slot_count && !err; s++) {
		uint32_t w[MKRT_SLOT_WORDS];
		memcpy(w, in->ring + (size_t)s * MKRT_SLOT_WORDS, sizeof(w));
		if (serial && w[MKRT_SLOT_STATUS] == MKRT_STATUS_PUBLISHED) {
			w[MKRT_SLOT_STATUS] = MKRT_STATUS_EMPTY; /* held back */
			r->held[s] = true;
		}
		err = rt->ops.write_region(rt->state, MKRT__REGION_RING, s * MKRT_SLOT_WORDS,
					   MKRT_SLOT_WORDS, w);
	}
	return err;
}

static int mkrt__replay_wait_slot(struct mkrt__replay *r, uint32_t slot)
{
	struct mkrt__backoff backoff = { 0 };

	for (;;) {
		uint32_t st = mkrt__slot_status(r->rt, slot);
		if (st == MKRT_STATUS_DONE || st == MKRT_STATUS_FAULT)
			return 0;
		if (mkrt__now_ns() >= r->deadline)
			return MKRT_ETIMEDOUT;
		mkrt__backoff_pause(&backoff);
	}
}

/* What DONE_COUNT reads once an executor is done with slot words @w: the
 * slot's own effect on it, then the executor's count, as the reference
 * executor leaves them on a copy of the live control words (serial: nothing
 * else runs meanwhile). */
static int mkrt__replay_done_count(struct mkrt__replay *r, const uint32_t *w, uint32_t *done)
{
	uint32_t n = r->in->control_words, slot[MKRT_SLOT_WORDS];
	struct mkrt_exec_buffers b = { .ring = slot, .slot_count = 1, .control = r->ctl, .control_words = n,
				       .dfa = r->in->dfa, .dfa_words = r->in->dfa_words };

	memcpy(slot, w, sizeof(slot));
	slot[MKRT_SLOT_STATUS] = MKRT_STATUS_PUBLISHED;
	int err = r->rt->ops.read_region(r->rt->state, MKRT__REGION_CONTROL, 0, n, r->ctl);
	if (!err)
		err = mkrt_reference_execute(&b, 0) < 0 ? MKRT_EINVAL : 0;
	*done = r->ctl[MKRT_CTL_DONE_COUNT];
	return err;
}

/* Wait until DONE_COUNT reads @done. */
static int mkrt__replay_wait_count(struct mkrt__replay *r, uint32_t slot, uint32_t done)
{
	struct mkrt__backoff backoff = { 0 };

	while (mkrt__ctl_word(r->rt, MKRT_CTL_DONE_COUNT) != done) {
		if (mkrt__now_ns() >= r->deadline) {
			mkrt__detail("replay: slot %u ended, but DONE_COUNT never read %u, as the reference "
				     "executor counts it", slot, done);
			return MKRT_ETIMEDOUT;
		}
		mkrt__backoff_pause(&backoff);
	}
	return 0;
}

static int mkrt__replay_serial(struct mkrt__replay *r)
{
	struct mkrt_runtime *rt = r->rt;

	for (uint32_t s = 0; s < r->in->slot_count; s++) {
		if (!r->held[s])
			continue;
		if (mkrt__ctl_word(rt, MKRT_CTL_SHUTDOWN))
			return 0; /* a SHUTDOWN slot ran: no further slot runs */
		const uint32_t *w = r->in->ring + (size_t)s * MKRT_SLOT_WORDS;
		if (!mkrt__replay_authorized(rt, w[MKRT_SLOT_TENANT]))
			continue; /* denied now: it stays PUBLISHED */
		r->held[s] = false;
		const uint32_t published = MKRT_STATUS_PUBLISHED;
		uint32_t done;
		int err = mkrt__replay_done_count(r, w, &done);
		if (!err)
			err = rt->ops.write_region(rt->state, MKRT__REGION_RING, s * MKRT_SLOT_WORDS, 1,
						   &published);
		if (!err)
			err = mkrt__replay_wait_slot(r, s);
		if (!err)
			err = mkrt__replay_wait_count(r, s, done);
		if (err)
			return err;
	}
	return 0;
}

/* One look: true when no slot can change any more. */
static bool mkrt__replay_quiet(struct mkrt__replay *r, uint32_t *before, uint32_t *after)
{
	struct mkrt_runtime *rt = r->rt;
	uint32_t n = r->in->slot_count;

	if (mkrt__ctl_word(rt, MKRT_CTL_SHUTDOWN) && rt->ops.executors_live(rt->state) == 0)
		return true;
	for (uint32_t s = 0; s < n; s++)
		before[s] = mkrt__slot_status(rt, s);
	for (uint32_t s = 0; s < n; s++) {
		/* a slot captured CLAIMED has no executor here: it never moves */
		bool stale = r->in->ring[(size_t)s * MKRT_SLOT_WORDS] == MKRT_STATUS_CLAIMED;
		if (before[s] == MKRT_STATUS_CLAIMED && !stale)
			return false;
		if (before[s] == MKRT_STATUS_PUBLISHED) {
			uint32_t tenant = 0;
			rt->ops.read_region(rt->state, MKRT__REGION_RING,
					    s * MKRT_SLOT_WORDS + MKRT_SLOT_TENANT, 1, &tenant);
			if (mkrt__replay_authorized(rt, tenant))
				return false;
		}
	}
	/* nothing finished while we looked at the tenants */
	for (uint32_t s = 0; s < n; s++)
		after[s] = mkrt__slot_status(rt, s);
	return memcmp(before, after, n * sizeof(uint32_t)) == 0;
}

static int mkrt__replay_concurrent(struct mkrt__replay *r)
{
	struct mkrt__backoff backoff = { 0 };
	uint32_t *before = malloc(2 * (size_t)r->in->slot_count * sizeof(uint32_t));
	int err = before ? MKRT_ETIMEDOUT : MKRT_ENOMEM;

	while (before && mkrt__now_ns() < r->deadline) {
		if (mkrt__replay_quiet(r, before, before + r->in->slot_count)) {
			err = 0;
			break;
		}
		mkrt__backoff_pause(&backoff);
	}
	free(before);
	return err;
}

/* Once no slot can run: an executor counts a slot after its DONE, so a quiet
 * ring may still lack counts; they have all landed once the executors are
 * gone. Their stop raises SHUTDOWN, which the dump reports as it was. */
static int mkrt__replay_stop(struct mkrt__replay *r)
{
	uint64_t now = mkrt__now_ns(), left_ms = now < r->deadline ? (r->deadline - now) / 1000000u : 0;

	r->shutdown = mkrt__ctl_word(r->rt, MKRT_CTL_SHUTDOWN);
	return mkrt_runtime_stop(r->rt, (uint32_t)left_ms + 1);
}

static int mkrt__replay_dump(struct mkrt__replay *r, struct mkrt_capture *out)
{
	struct mkrt_runtime *rt = r->rt;
	const struct mkrt_capture *in = r->in;
	int err = mkrt_capture_alloc(out, in->slot_count, in->control_words, in->debug_words,
				     in->io_words, in->dfa_words);

	if (err)
		return err;
	err = rt->ops.read_region(rt->state, MKRT__REGION_CONTROL, 0, in->control_words, out->control);
	if (!err)
		err = rt->ops.read_region(rt->state, MKRT__REGION_RING, 0,
					  in->slot_count * MKRT_SLOT_WORDS, out->ring);
	if (!err && in->debug_words)
		err = rt->ops.read_region(rt->state, MKRT__REGION_DEBUG, 0, in->debug_words, out->debug);
	if (!err && in->io_words)
		err = rt->ops.read_region(rt->state, MKRT__REGION_IO, 0, in->io_words, out->io);
	memcpy(out->dfa, in->dfa, (size_t)in->dfa_words * sizeof(uint32_t));
	out->control[MKRT_CTL_SHUTDOWN] = r->shutdown;
	/* slots never released are reported as they were loaded */
	for (uint32_t s = 0; s < in->slot_count && r->held; s++)
		if (r->held[s])
			out->ring[(size_t)s * MKRT_SLOT_WORDS] = MKRT_STATUS_PUBLISHED;
	if (err)
		mkrt_capture_free(out);
	return err;
}

int mkrt_replay(const char *backend, bool serial, const struct mkrt_capture *in,
		uint32_t timeout_ms, struct mkrt_capture *out)
{
	struct mkrt__replay r = { .in = in };
	struct mkrt_config cfg;
	int err;

	if (!in || !out || !in->control || !in->ring)
		return MKRT_EINVAL;
	mkrt_config_init(&cfg);
	cfg.backend = backend;
	cfg.slots = in->slot_count;
	cfg.observable = in->control_words - MKRT_CTL_OBS;
	cfg.debug_records = in->debug_words ? (in->debug_words - MKRT_LOG_FIRST) / MKRT_LOG_RECORD_WORDS : 0;
	cfg.dfa = in->dfa;
	cfg.dfa_words = in->dfa_words;
	cfg.epoch_ms = MKRT__REPLAY_EPOCH_MS;
	cfg.park_us = MKRT_PARK_NEVER; /* nor idle parking: YIELD stays as loaded */
	r.held = calloc(in->slot_count, sizeof(bool));
	r.ctl = malloc((size_t)in->control_words * sizeof(uint32_t));
	if (!r.held || !r.ctl) {
		err = MKRT_ENOMEM;
		goto out_free;
	}
	err = mkrt__runtime_open_stopped(&cfg, &r.rt);
	if (err)
		goto out_free;
	err = mkrt__replay_load(&r, serial);
	if (!err)
		err = mkrt__runtime_start(r.rt);
	r.deadline = mkrt__now_ns() + (uint64_t)timeout_ms * 1000000u;
	if (!err)
		err = serial ? mkrt__replay_serial(&r) : mkrt__replay_concurrent(&r);
	if (!err)
		err = mkrt__replay_stop(&r);
	if (!err)
		err = mkrt__replay_dump(&r, out);
	mkrt_runtime_close(r.rt);
out_free:
	free(r.held);
	free(r.ctl);
	return err;
}

int mkrt_runtime_capture(struct mkrt_runtime *rt, struct mkrt_capture *out)
{
	uint32_t w[MKRT__REGION_COUNT];
	uint32_t *to[MKRT__REGION_COUNT];
	int err;

	if (!rt || !out)
		return MKRT_EINVAL;
	for (int r = 0; r < MKRT__REGION_COUNT; r++)
		w[r] = rt->ops.region_words(rt->state, (enum mkrt__region)r);
	err = mkrt_capture_alloc(out, w[MKRT__REGION_RING] / MKRT_SLOT_WORDS, w[MKRT__REGION_CONTROL],
				 w[MKRT__REGION_DEBUG], w[MKRT__REGION_IO], w[MKRT__REGION_DFA]);
	if (err)
		return err;
	to[MKRT__REGION_RING] = out->ring;
	to[MKRT__REGION_CONTROL] = out->control;
	to[MKRT__REGION_DEBUG] = out->debug;
	to[MKRT__REGION_IO] = out->io;
	to[MKRT__REGION_DFA] = out->dfa;
	for (int r = 0; r < MKRT__REGION_COUNT && !err; r++)
		if (w[r])
			err = rt->ops.read_region(rt->state, (enum mkrt__region)r, 0, w[r], to[r]);
	if (err)
		mkrt_capture_free(out);
	return err;
}
