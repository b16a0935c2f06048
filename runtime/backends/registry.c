/* SPDX-License-Identifier: MIT */
/*
 * registry.c - the registry of backends and evidence-based selection.
 *
 * Order is preference order; the automatic choice takes the highest probe
 * score. MKRT_BACKEND (or mkrt_config.backend) names one explicitly; an
 * unknown or unavailable name is an error that lists what is available.
 */
#include "backend.h"

#include <stdio.h>
#include <stdlib.h>

#define MKRT__REASON_LEN 256

static const struct mkrt__backend_ops *const mkrt__builtin[] = {
	&mkrt__backend_svm,
	&mkrt__backend_copy,
	&mkrt__backend_host,
	&mkrt__backend_shm,
};

static const struct mkrt__backend_ops *const *mkrt__table = mkrt__builtin;
static int mkrt__table_len = (int)MKRT__ARRAY_SIZE(mkrt__builtin);

void mkrt__registry_override(const struct mkrt__backend_ops *const *table, int n)
{
	mkrt__table = table ? table : mkrt__builtin;
	mkrt__table_len = table ? n : (int)MKRT__ARRAY_SIZE(mkrt__builtin);
}

/* ---- defaults for optional hooks ------------------------------------------ */

static int mkrt__default_start(void *state)
{
	(void)state;
	return 0;
}

static int mkrt__default_stop(void *state, uint32_t timeout_ms)
{
	(void)state;
	(void)timeout_ms;
	return 0;
}

static int mkrt__default_executors_live(void *state)
{
	(void)state;
	return 1; /* unknown: assume they run; waiters fall back on their timeouts */
}

static int mkrt__default_ring_words(void *state, uint32_t **words, size_t *nwords)
{
	(void)state;
	(void)words;
	(void)nwords;
	return MKRT_EUNAVAILABLE;
}

static const char *mkrt__default_device_name(void *state)
{
	(void)state;
	return "host CPU";
}

static void mkrt__default_stats(void *state, struct mkrt_stats *out)
{
	(void)state;
	memset(out, 0, sizeof(*out));
}

static uint32_t mkrt__default_serve_io(void *state)
{
	(void)state;
	return 0; /* no IO queue the host addresses: its servicer does it all */
}

static int mkrt__default_reset(void *state, uint32_t slot)
{
	(void)state;
	(void)slot;
	return MKRT_EUNAVAILABLE;
}

static int mkrt__default_cancel(void *state, uint32_t slot)
{
	(void)state;
	(void)slot;
	return MKRT_EBUSY;
}

void mkrt__backend_bind(const struct mkrt__backend_ops *src, struct mkrt__backend_ops *dst)
{
	*dst = *src;
	if (!dst->start)
		dst->start = mkrt__default_start;
	if (!dst->stop)
		dst->stop = mkrt__default_stop;
	if (!dst->executors_live)
		dst->executors_live = mkrt__default_executors_live;
	if (!dst->ring_words)
		dst->ring_words = mkrt__default_ring_words;
	if (!dst->device_name)
		dst->device_name = mkrt__default_device_name;
	if (!dst->stats)
		dst->stats = mkrt__default_stats;
	if (!dst->serve_io)
		dst->serve_io = mkrt__default_serve_io;
	if (!dst->reset_slot)
		dst->reset_slot = mkrt__default_reset;
	if (!dst->cancel_slot)
		dst->cancel_slot = mkrt__default_cancel;
}

const struct mkrt__backend_ops *mkrt__backend_at(int index)
{
	return index >= 0 && index < mkrt__table_len ? mkrt__table[index] : NULL;
}

int mkrt_backend_count(void)
{
	return mkrt__table_len;
}

const char *mkrt_backend_name(int index)
{
	const struct mkrt__backend_ops *b = mkrt__backend_at(index);

	return b ? b->name : NULL;
}

static int mkrt__find(const char *name)
{
	for (int i = 0; i < mkrt__table_len; i++)
		if (strcmp(mkrt__table[i]->name, name) == 0)
			return i;
	return -1;
}

/* Probe backend @i; returns its score (0 = unavailable, reason filled). */
static int mkrt__probe_at(int i, const struct mkrt_config *cfg, char *reason, size_t len)
{
	if (len)
		reason[0] = '\0';
	int score = mkrt__table[i]->probe(cfg, reason, len);
	if (score <= 0 && len && !reason[0])
		snprintf(reason, len, "probe failed (%s)", mkrt_err_name(score));
	return score > 0 ? score : 0;
}

int mkrt_backend_probe(const char *name, const struct mkrt_config *cfg, char *reason,
		       size_t reason_len)
{
	char scratch[MKRT__REASON_LEN];

	if (!name || (!reason && reason_len))
		return MKRT_EINVAL;
	int i = mkrt__find(name);
	if (i < 0)
		return MKRT_ENOBACKEND;
	if (!reason)
		return mkrt__probe_at(i, cfg, scratch, sizeof(scratch));
	return mkrt__probe_at(i, cfg, reason, reason_len);
}

/* "host (score 1), svm (unavailable: ...)" into @out. */
static void mkrt__list(const struct mkrt_config *cfg, char *out, size_t len)
{
	char reason[MKRT__REASON_LEN];
	size_t used = 0;

	out[0] = '\0';
	for (int i = 0; i < mkrt__table_len && used < len; i++) {
		int score = mkrt__probe_at(i, cfg, reason, sizeof(reason));
		int n = score ? snprintf(out + used, len - used, "%s%s (score %d)", i ? ", " : "",
					 mkrt__table[i]->name, score)
			      : snprintf(out + used, len - used, "%s%s (unavailable: %s)",
					 i ? ", " : "", mkrt__table[i]->name, reason);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* Explain a failed selection in @why and the thread's detail buffer. */
static int mkrt__refuse(int err, const struct mkrt_config *cfg, char *why, size_t why_len,
			const char *what)
{
	char list[MKRT__DETAIL_LEN / 2];

	mkrt__list(cfg, list, sizeof(list));
	mkrt__detail("%s; backends: %s. %s", what, list[0] ? list : "none", mkrt__err_fix(err));
	if (why && why_len)
		snprintf(why, why_len, "%s", mkrt_last_detail());
	return err;
}

int mkrt__backend_choose(const struct mkrt_config *cfg, const char *requested, const char *except,
			 char *why, size_t why_len)
{
	char reason[MKRT__REASON_LEN], what[MKRT__REASON_LEN + 64];

	if (!why && why_len)
		return MKRT_EINVAL;
	if (why_len)
		why[0] = '\0';
	if (requested && requested[0]) {
		int i = mkrt__find(requested);
		if (i < 0 || (except && strcmp(requested, except) == 0)) {
			snprintf(what, sizeof(what), "%s backend '%.64s'", i < 0 ? "unknown" : "no use for the",
				 requested);
			return mkrt__refuse(MKRT_ENOBACKEND, cfg, why, why_len, what);
		}
		if (!mkrt__probe_at(i, cfg, reason, sizeof(reason))) {
			snprintf(what, sizeof(what), "backend '%s' is unavailable: %s",
				 mkrt__table[i]->name, reason);
			return mkrt__refuse(MKRT_EUNAVAILABLE, cfg, why, why_len, what);
		}
		return i;
	}

	int best = -1, best_score = 0;
	for (int i = 0; i < mkrt__table_len; i++) {
		if (except && strcmp(mkrt__table[i]->name, except) == 0)
			continue;
		int score = mkrt__probe_at(i, cfg, reason, sizeof(reason));
		if (score > best_score) {
			best = i;
			best_score = score;
		}
	}
	if (best < 0)
		return mkrt__refuse(MKRT_EUNAVAILABLE, cfg, why, why_len, "no backend is available");
	return best;
}

int mkrt_backend_select(const struct mkrt_config *cfg, char *why, size_t why_len)
{
	const char *requested = cfg && cfg->backend ? cfg->backend : getenv("MKRT_BACKEND");

	return mkrt__backend_choose(cfg, requested, NULL, why, why_len);
}
