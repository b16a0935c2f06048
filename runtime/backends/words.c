/* SPDX-License-Identifier: MIT */
/*
 * words.c - ring, control, debug log, IO queue and DFA table as word buffers
 * the host addresses directly (host memory or fine-grained SVM), and the
 * backend hooks over them. Shared by the host and svm backends.
 */
#include "words.h"

static uint32_t *mkrt__region_base(struct mkrt__words *w, enum mkrt__region r)
{
	switch (r) {
	case MKRT__REGION_RING:
		return w->b.ring;
	case MKRT__REGION_CONTROL:
		return w->b.control;
	case MKRT__REGION_DEBUG:
		return w->b.debug_log;
	case MKRT__REGION_IO:
		return w->b.io;
	case MKRT__REGION_DFA:
		return (uint32_t *)(uintptr_t)w->b.dfa;
	case MKRT__REGION_COUNT:
		break;
	}
	return NULL;
}

uint32_t mkrt__words_region_words(void *state, enum mkrt__region r)
{
	struct mkrt__words *w = state;

	switch (r) {
	case MKRT__REGION_RING:
		return w->b.slot_count * MKRT_SLOT_WORDS;
	case MKRT__REGION_CONTROL:
		return w->b.control_words;
	case MKRT__REGION_DEBUG:
		return w->b.debug_words;
	case MKRT__REGION_IO:
		return MKRT_IO_SLOTS * MKRT_IO_WORDS;
	case MKRT__REGION_DFA:
		return w->b.dfa_words;
	case MKRT__REGION_COUNT:
		break;
	}
	return 0;
}

int mkrt__words_read_region(void *state, enum mkrt__region r, uint32_t first, uint32_t n,
			    uint32_t *out)
{
	const uint32_t *base = mkrt__region_base(state, r);

	/* acquire: a count or status we read comes with what it counts */
	for (uint32_t i = 0; i < n; i++)
		out[i] = mkrt__load_acquire(&base[first + i]);
	return 0;
}

int mkrt__words_write_region(void *state, enum mkrt__region r, uint32_t first, uint32_t n,
			     const uint32_t *in)
{
	uint32_t *base = mkrt__region_base(state, r);

	/* release: each word is ordered after everything written before it */
	for (uint32_t i = 0; i < n; i++)
		mkrt__store_release(&base[first + i], in[i]);
	return 0;
}

static size_t mkrt__ring_words(const struct mkrt__words *w)
{
	return (size_t)w->b.slot_count * MKRT_SLOT_WORDS;
}

int mkrt__words_ring(void *state, uint32_t **words, size_t *nwords)
{
	struct mkrt__words *w = state;

	*words = w->b.ring;
	*nwords = mkrt__ring_words(w);
	return 0;
}

int mkrt__words_publish(void *state, uint32_t slot, const struct mkrt_slot *req, uint32_t nargs)
{
	struct mkrt__words *w = state;

	return mkrt_publish(w->b.ring, mkrt__ring_words(w), slot, req, nargs);
}

int mkrt__words_read_slot(void *state, uint32_t slot, struct mkrt_slot *out)
{
	struct mkrt__words *w = state;

	return mkrt_ring_read_slot(w->b.ring, mkrt__ring_words(w), slot, out);
}

int mkrt__words_reset_slot(void *state, uint32_t slot)
{
	struct mkrt__words *w = state;

	return mkrt_slot_reset(w->b.ring, mkrt__ring_words(w), slot);
}

int mkrt__words_reset_slot_owned(void *state, uint32_t slot)
{
	struct mkrt__words *w = state;

	return mkrt__slot_reset_owned(w->b.ring, mkrt__ring_words(w), slot);
}

int mkrt__words_cancel_slot(void *state, uint32_t slot)
{
	struct mkrt__words *w = state;

	return mkrt_slot_cancel(w->b.ring, mkrt__ring_words(w), slot);
}

/* The residency table, frame metadata and arena of the load-miss path; with
 * no IO configured, one-word stand-ins (kernels never take NULL buffers). */
static int mkrt__words_init_arena(struct mkrt__words *w, const struct mkrt_io_config *io,
				  uint32_t *(*alloc)(void *ctx, size_t words), void *ctx)
{
	w->b.resources = io ? io->resources : 0;
	w->b.frame_count = io ? io->frames : 0;
	w->b.frame_words = io ? io->frame_bytes / 4u : 0;
	w->b.residency = alloc(ctx, w->b.resources ? w->b.resources : 1u);
	w->b.frames = alloc(ctx, w->b.frame_count ? (size_t)w->b.frame_count * MKRT_FRAME_WORDS : 1u);
	w->b.arena = alloc(ctx, w->b.frame_count ? (size_t)w->b.frame_count * w->b.frame_words : 1u);
	return w->b.residency && w->b.frames && w->b.arena ? 0 : MKRT_ENOMEM;
}

int mkrt__words_start_io(struct mkrt__words *w)
{
	return w->servicer ? mkrt__servicer_start(w->servicer) : 0;
}

uint32_t mkrt__words_serve_io(void *state)
{
	struct mkrt__words *w = state;

	return w->servicer ? mkrt__servicer_help(w->servicer) : 0;
}

void mkrt__words_stop_io(struct mkrt__words *w)
{
	if (w->servicer)
		mkrt__servicer_stop(w->servicer);
}

void mkrt__words_io_stats(const struct mkrt__words *w, struct mkrt_stats *out)
{
	mkrt__servicer_stats(w->servicer, out);
	out->evictions = w->io_port && w->io_port->lanes_evict
				 ? mkrt__load_relaxed(&w->b.control[MKRT_CTL_EVICTIONS])
				 : mkrt__load64_relaxed(&w->frames.evictions);
}

int mkrt__words_init(struct mkrt__words *w, const struct mkrt_config *cfg,
		     uint32_t *(*alloc)(void *ctx, size_t words), void *ctx)
{
	uint32_t *dfa;

	w->b.slot_count = cfg->slots;
	w->b.control_words = MKRT_CTL_OBS + cfg->observable;
	w->b.debug_words = MKRT_LOG_FIRST + cfg->debug_records * MKRT_LOG_RECORD_WORDS;
	w->b.dfa_words = cfg->dfa_words;
	w->b.ring = alloc(ctx, (size_t)cfg->slots * MKRT_SLOT_WORDS);
	w->b.control = alloc(ctx, w->b.control_words);
	w->b.debug_log = alloc(ctx, w->b.debug_words);
	w->b.io = alloc(ctx, (size_t)MKRT_IO_SLOTS * MKRT_IO_WORDS);
	/* never a NULL table: an empty one is one unused word */
	w->b.dfa = dfa = alloc(ctx, cfg->dfa_words ? cfg->dfa_words : 1u);
	if (!w->b.ring || !w->b.control || !w->b.debug_log || !w->b.io || !dfa)
		return MKRT_ENOMEM;
	if (mkrt__words_init_arena(w, cfg->io, alloc, ctx))
		return MKRT_ENOMEM;
	if (cfg->dfa_words)
		memcpy(dfa, cfg->dfa, (size_t)cfg->dfa_words * sizeof(uint32_t));
	if (cfg->io) {
		w->frames.b = &w->b;
		int err = mkrt__servicer_new(cfg->io, w->io_port ? w->io_port : &mkrt__host_frames_port,
					     &w->frames, &w->servicer);
		if (err)
			return err;
	}
	return mkrt_encode_control_into(cfg->control, (uint8_t *)w->b.control,
					(size_t)w->b.control_words * sizeof(uint32_t));
}

void mkrt__words_free(struct mkrt__words *w, void (*release)(void *ctx, uint32_t *p), void *ctx)
{
	uint32_t *bufs[] = { w->b.ring,      w->b.control, w->b.debug_log,
			     w->b.io,        (uint32_t *)(uintptr_t)w->b.dfa,
			     w->b.residency, w->b.frames,  w->b.arena };

	mkrt__servicer_free(w->servicer);

	for (size_t i = 0; i < MKRT__ARRAY_SIZE(bufs); i++)
		if (bufs[i])
			release(ctx, bufs[i]);
	memset(w, 0, sizeof(*w));
}

/* ---- the resident layer's hooks, for words the host addresses (svm, cuda) ------------------- */

int mkrt__words_set_yield(void *owner, uint32_t value)
{
	struct mkrt__words *w = owner;

	/* release: lanes acquire it and return between slots */
	mkrt__store_release(&w->b.control[MKRT_CTL_YIELD], value);
	return 0;
}

bool mkrt__words_shutdown_set(void *owner)
{
	struct mkrt__words *w = owner;

	/* acquire: pairs with stop()'s release, or the SHUTDOWN opcode's */
	return mkrt__load_acquire(&w->b.control[MKRT_CTL_SHUTDOWN]) != 0;
}

void mkrt__words_ask_shutdown(void *owner)
{
	struct mkrt__words *w = owner;

	/* release: running lanes acquire it and return after their current slot */
	mkrt__store_release(&w->b.control[MKRT_CTL_SHUTDOWN], 1);
}

uint64_t mkrt__words_progress(void *owner)
{
	struct mkrt__words *w = owner;

	/* acquire: a count that moved means the lanes are busy */
	return mkrt__load_acquire(&w->b.control[MKRT_CTL_DONE_COUNT]);
}

/* Is there a PUBLISHED slot a lane would take (tenant authorized)? */
bool mkrt__words_work_waiting(void *owner)
{
	const struct mkrt_exec_buffers *b = &((struct mkrt__words *)owner)->b;

	for (uint32_t i = 0; i < b->slot_count; i++) {
		const uint32_t *w = b->ring + (size_t)i * MKRT_SLOT_WORDS;
		if (mkrt__load_relaxed(&w[MKRT_SLOT_STATUS]) == MKRT_STATUS_PUBLISHED &&
		    mkrt__tenant_authorized(b->control, mkrt__load_relaxed(&w[MKRT_SLOT_TENANT])))
			return true;
	}
	return false;
}
