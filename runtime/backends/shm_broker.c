/* SPDX-License-Identifier: MIT */
/*
 * shm_broker.c - the "shm" backend: producers in other processes. Its ops
 * are here; the broker's pass is shm_pass.c.
 *
 * It owns a shared-memory segment (shm.c) and an inner backend, the one
 * that runs slots (svm, copy or host; the best probe unless named). Ring r
 * slot i of the segment is slot r * slots + i of the inner ring, so the
 * broker needs no table: it forwards a PUBLISHED slot to its twin, and
 * writes the twin back, DONE or FAULT, once it finished. The runtime's own
 * submissions are ring 0 and take the same path, intake included.
 *
 * Only the broker moves a slot between the segment and the inner ring,
 * under `lock`; a waiter that finds the lock free runs a pass itself (as
 * waiters serve load misses), so a round trip need not wait for the
 * broker thread to wake up. Control, debug log, IO queue and DFA are the
 * inner backend's.
 */
#include "backend.h"
#include "runtime_priv.h"
#include "shm.h"
#include "atomics.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static const char *mkrt__shm_name_of(const struct mkrt_config *cfg, char *buf, size_t len)
{
	const char *name = cfg->shm_name;

	if (name && name[0])
		return name;
	snprintf(buf, len, "/mkrt-%ld", (long)getpid());
	return buf;
}

/* ---- ops ----------------------------------------------------------------------------------- */

/* The backend the broker forwards to (cfg->shm_backend, else the best
 * but shm), and @inner: @cfg for it, on the device chosen (its index goes
 * in @device). Its registry index, or an error in mkrt_last_detail(). */
static int mkrt__shm_inner(const struct mkrt_config *cfg, struct mkrt_config *inner,
			   char device[MKRT__DEVICE_ARG_LEN])
{
	*inner = *cfg;
	inner->backend = cfg->shm_backend;
	int index = mkrt__choose(inner, "shm", device);
	if (index >= 0)
		inner->backend = mkrt__backend_at(index)->name;
	return index;
}

static int mkrt__shm_probe(const struct mkrt_config *cfg, char *reason, size_t len)
{
	struct mkrt_config inner;
	char buf[64], device[MKRT__DEVICE_ARG_LEN];
	const char *name = mkrt__shm_name_of(cfg, buf, sizeof(buf));

	if (mkrt_shm_name_valid(name)) {
		snprintf(reason, len, "%s", mkrt_last_detail());
		return 0;
	}
	if (mkrt__shm_inner(cfg, &inner, device) < 0) {
		snprintf(reason, len, "nothing to forward to: %s", mkrt_last_detail());
		return 0;
	}
	return 1; /* never the automatic choice: host scores as much and comes first */
}

static void mkrt__shm_free(struct mkrt__shm *b)
{
	if (b->istate)
		b->inner.close(b->istate);
	if (b->map.hdr) {
		mkrt__store_release(&b->map.hdr->live, 0);
		mkrt__shm_unmap(&b->map);
		shm_unlink(b->name);
	}
	pthread_mutex_destroy(&b->lock);
	free(b->fwd);
	free(b->view);
	free(b);
}

static int mkrt__shm_open(const struct mkrt_config *cfg, void **state)
{
	struct mkrt__shm *b = calloc(1, sizeof(*b));
	struct mkrt_config ic = *cfg;
	char buf[64];
	int err, index;

	if (!b)
		return MKRT_ENOMEM;
	pthread_mutex_init(&b->lock, NULL);
	snprintf(b->name, sizeof(b->name), "%s", mkrt__shm_name_of(cfg, buf, sizeof(buf)));
	b->slots = cfg->slots;
	if ((uint64_t)cfg->slots * MKRT__SHM_RINGS > MKRT_MAX_ENTRIES) {
		err = MKRT_ETOOBIG;
		goto out;
	}
	b->total = cfg->slots * MKRT__SHM_RINGS;
	index = mkrt__shm_inner(cfg, &ic, b->inner_device);
	if (index < 0) {
		err = index;
		goto out;
	}
	mkrt__backend_bind(mkrt__backend_at(index), &b->inner);
	ic.slots = b->total;
	b->base_stale = true; /* read at the first intake */
	b->fwd = calloc(b->total, sizeof(*b->fwd));
	b->view = calloc((size_t)b->total * MKRT_SLOT_WORDS, sizeof(*b->view));
	if (!b->fwd || !b->view) {
		err = MKRT_ENOMEM;
		goto out;
	}
	err = b->inner.open(&ic, &b->istate);
	if (err)
		goto out;
	size_t iwords;
	if (b->inner.ring_words(b->istate, &b->iring, &iwords))
		b->iring = NULL; /* behind transfers: read back once per pass */
	err = mkrt__shm_create(b->name, b->slots, &b->map);
	if (err)
		goto out;
	struct mkrt__shm_header *h = b->map.hdr;
	h->control_words = b->inner.region_words(b->istate, MKRT__REGION_CONTROL);
	snprintf(h->backend, sizeof(h->backend), "%s", b->inner.name);
	snprintf(h->device, sizeof(h->device), "%s", b->inner.device_name(b->istate));
	*state = b;
	return 0;

out:
	mkrt__shm_free(b);
	return err;
}

static int mkrt__shm_start(void *state)
{
	struct mkrt__shm *b = state;
	int err = b->inner.start(b->istate);

	if (err)
		return err;
	err = mkrt__poller_start(&b->broker, mkrt__shm_broker_pass, b);
	if (err)
		return err;
	err = mkrt__shm_keeper_start(&b->keeper, b->map.hdr);
	if (err)
		mkrt__detail("shm %s: the server could not take its liveness mutex", b->name);
	if (err)
		return err;
	/* release: a client that sees live sees a running broker */
	mkrt__store_release(&b->map.hdr->live, 1);
	return 0;
}

static int mkrt__shm_stop(void *state, uint32_t timeout_ms)
{
	struct mkrt__shm *b = state;
	int err = b->inner.stop(b->istate, timeout_ms);

	/* what finished before the executors left is written back */
	mkrt__shm_pass(b, true);
	mkrt__store_release(&b->map.hdr->live, 0);
	mkrt__shm_keeper_stop(&b->keeper);
	mkrt__poller_stop(&b->broker);
	return err;
}

static void mkrt__shm_close(void *state)
{
	struct mkrt__shm *b = state;

	mkrt__poller_stop(&b->broker); /* stop() was not called, or failed */
	mkrt__shm_keeper_stop(&b->keeper);
	mkrt__shm_free(b);
}

static int mkrt__shm_executors_live(void *state)
{
	struct mkrt__shm *b = state;

	/* before start() the inner executors are not live either */
	return !mkrt__poller_stopping(&b->broker) && b->inner.executors_live(b->istate);
}

static int mkrt__shm_ring_words(void *state, uint32_t **words, size_t *nwords)
{
	struct mkrt__shm *b = state;

	*words = b->map.rings; /* ring 0 */
	*nwords = (size_t)b->slots * MKRT_SLOT_WORDS;
	return 0;
}

static const char *mkrt__shm_device_name(void *state)
{
	struct mkrt__shm *b = state;

	return b->inner.device_name(b->istate);
}

static void mkrt__shm_backend_stats(void *state, struct mkrt_stats *out)
{
	struct mkrt__shm *b = state;

	b->inner.stats(b->istate, out);
}

static uint32_t mkrt__shm_serve_io(void *state)
{
	struct mkrt__shm *b = state;

	return b->inner.serve_io(b->istate) + mkrt__shm_pass(b, false);
}

static int mkrt__shm_publish(void *state, uint32_t slot, const struct mkrt_slot *req, uint32_t nargs)
{
	struct mkrt__shm *b = state;

	return mkrt_publish(b->map.rings, (size_t)b->slots * MKRT_SLOT_WORDS, slot, req, nargs);
}

static int mkrt__shm_read_slot(void *state, uint32_t slot, struct mkrt_slot *out)
{
	struct mkrt__shm *b = state;
	uint32_t *s = b->map.rings + (size_t)slot * MKRT_SLOT_WORDS, w[MKRT_SLOT_WORDS];

	/* acquire: pairs with the broker's release of a finished slot */
	w[MKRT_SLOT_STATUS] = mkrt__load_acquire(&s[MKRT_SLOT_STATUS]);
	for (uint32_t i = 1; i < MKRT_SLOT_WORDS; i++)
		w[i] = mkrt__load_relaxed(&s[i]);
	mkrt__slot_from_words(w, out);
	return 0;
}

static int mkrt__shm_reset_slot(void *state, uint32_t slot)
{
	struct mkrt__shm *b = state;
	uint32_t *st = &b->map.rings[(size_t)slot * MKRT_SLOT_WORDS + MKRT_SLOT_STATUS];
	uint32_t cur = mkrt__load_acquire(st);

	/* the broker never touches a finished slot of ring 0 again */
	if (cur != MKRT_STATUS_DONE && cur != MKRT_STATUS_FAULT)
		return MKRT_ESTATE;
	mkrt__store_release(st, MKRT_STATUS_EMPTY);
	return 0;
}

static int mkrt__shm_cancel_slot(void *state, uint32_t slot)
{
	struct mkrt__shm *b = state;
	uint32_t *st = &b->map.rings[(size_t)slot * MKRT_SLOT_WORDS + MKRT_SLOT_STATUS];
	int err = 0;

	pthread_mutex_lock(&b->lock);
	if (b->fwd[slot]) {
		/* forwarded: withdraw the twin first; one left posted
		 * (EINPROGRESS) stays forwarded until the broker sees it EMPTY */
		err = b->inner.cancel_slot(b->istate, slot);
		if (!err) {
			b->fwd[slot] = 0;
			b->inflight--;
		}
	} else if (mkrt__load_acquire(st) != MKRT_STATUS_PUBLISHED) {
		err = MKRT_ESTATE;
	}
	if (!err)
		mkrt__store_release(st, MKRT_STATUS_EMPTY);
	pthread_mutex_unlock(&b->lock);
	return err;
}

static uint32_t mkrt__shm_region_words(void *state, enum mkrt__region r)
{
	struct mkrt__shm *b = state;

	if (r == MKRT__REGION_RING)
		return b->slots * MKRT_SLOT_WORDS;
	return b->inner.region_words(b->istate, r);
}

static int mkrt__shm_read_region(void *state, enum mkrt__region r, uint32_t first, uint32_t n,
				 uint32_t *out)
{
	struct mkrt__shm *b = state;

	if (r != MKRT__REGION_RING)
		return b->inner.read_region(b->istate, r, first, n, out);
	for (uint32_t i = 0; i < n; i++)
		out[i] = mkrt__load_acquire(&b->map.rings[first + i]);
	return 0;
}

static int mkrt__shm_write_region(void *state, enum mkrt__region r, uint32_t first, uint32_t n,
				  const uint32_t *in)
{
	struct mkrt__shm *b = state;

	if (r != MKRT__REGION_RING) {
		int err = b->inner.write_region(b->istate, r, first, n, in);
		if (r == MKRT__REGION_CONTROL) {
			pthread_mutex_lock(&b->lock); /* the tenant base may have moved */
			b->base_stale = true;
			pthread_mutex_unlock(&b->lock);
		}
		return err;
	}
	for (uint32_t i = 0; i < n; i++)
		mkrt__store_release(&b->map.rings[first + i], in[i]);
	return 0;
}

const char *mkrt_runtime_shm_name(const struct mkrt_runtime *rt)
{
	if (!rt || strcmp(rt->ops.name, mkrt__backend_shm.name) != 0)
		return NULL;
	return ((const struct mkrt__shm *)rt->state)->name;
}

int mkrt_runtime_shm_stats(const struct mkrt_runtime *rt, struct mkrt_shm_stats *out)
{
	if (!out || !mkrt_runtime_shm_name(rt))
		return MKRT_EINVAL;
	mkrt__shm_stats(((const struct mkrt__shm *)rt->state)->map.hdr, out);
	return 0;
}

const struct mkrt__backend_ops mkrt__backend_shm = {
	.name = "shm",
	.summary = "producers in other processes: a POSIX shared-memory ring forwarded by a broker "
		   "thread to the backend that runs slots",
	.probe = mkrt__shm_probe,
	.open = mkrt__shm_open,
	.start = mkrt__shm_start,
	.stop = mkrt__shm_stop,
	.close = mkrt__shm_close,
	.executors_live = mkrt__shm_executors_live,
	.ring_words = mkrt__shm_ring_words,
	.device_name = mkrt__shm_device_name,
	.stats = mkrt__shm_backend_stats,
	.serve_io = mkrt__shm_serve_io,
	.publish = mkrt__shm_publish,
	.read_slot = mkrt__shm_read_slot,
	.reset_slot = mkrt__shm_reset_slot,
	.cancel_slot = mkrt__shm_cancel_slot,
	.region_words = mkrt__shm_region_words,
	.read_region = mkrt__shm_read_region,
	.write_region = mkrt__shm_write_region,
};
