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

static const struct mkrt__backend_ops *const mkrt__builtin[] = {
	&mkrt__backend_svm,
	&mkrt__backend_cuda,
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

/* Probe backend @i on device @device (-1: a backend that uses none); its
 * score, or 0 with @reason filled. */
static int mkrt__probe_at(int i, int device, const struct mkrt_config *cfg, char *mode,
			  size_t mode_len, char *reason, size_t len)
{
	const struct mkrt__backend_ops *b = mkrt__table[i];

	if (len)
		reason[0] = '\0';
	if (mode_len)
		mode[0] = '\0';
	int score = device < 0 ? b->probe(cfg, reason, len)
			       : b->probe_device(cfg, (uint32_t)device, mode, mode_len, reason, len);
	if (score <= 0 && len && !reason[0])
		snprintf(reason, len, "probe failed (%s)", mkrt_err_name(score));
	return score > 0 ? score : 0;
}

/* Add backend @i's rows: one, or one per device in play (@only: a single
 * one, or -1 for all @ndev; @ndev < 1: a row that says why there is none). */
static void mkrt__weigh(struct mkrt_selection *sel, int i, const struct mkrt_config *cfg, int ndev,
			int only)
{
	const struct mkrt__backend_ops *b = mkrt__table[i];
	bool devices = b->probe_device != NULL;

	for (int d = devices ? 0 : -1; d < (devices ? (ndev > 0 ? ndev : 1) : 0); d++) {
		if (devices && only >= 0 && d != only)
			continue;
		struct mkrt_choice *row = &sel->rows[sel->count++];
		snprintf(row->backend, sizeof(row->backend), "%s", b->name);
		row->device = devices && ndev > 0 ? d : -1;
		if (devices && ndev <= 0)
			snprintf(row->reason, sizeof(row->reason), "%s",
				 ndev == 0 ? "no OpenCL platform is installed (apt-get install "
					     "pocl-opencl-icd for the CPU)"
					   : "OpenCL enumeration failed");
		else
			row->score = mkrt__probe_at(i, row->device, cfg, row->mode, sizeof(row->mode),
						    row->reason, sizeof(row->reason));
	}
}

/* "host (score 1), svm on device 0 (unavailable: ...)" into @out: every
 * row but those of backend @skip (NULL: none). */
static void mkrt__list(const struct mkrt_selection *sel, const char *skip, char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	for (uint32_t r = 0; r < sel->count && used < len; r++) {
		const struct mkrt_choice *row = &sel->rows[r];
		const char *sep = used ? ", " : "";
		char on[32] = "";
		if (skip && strcmp(row->backend, skip) == 0)
			continue;
		if (row->device >= 0)
			snprintf(on, sizeof(on), " on device %d", row->device);
		int n = row->score ? snprintf(out + used, len - used, "%s%s%s (score %d)", sep, row->backend,
					      on, row->score)
				   : snprintf(out + used, len - used, "%s%s%s (unavailable: %s)", sep,
					      row->backend, on, row->reason);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* Explain a failed selection in sel->why and the thread's detail buffer:
 * @what, then every backend weighed but @skip (whose reason @what gave). */
static int mkrt__refuse(int err, struct mkrt_selection *sel, const char *what, const char *skip)
{
	char list[MKRT__DETAIL_LEN / 2];

	mkrt__list(sel, skip, list, sizeof(list));
	mkrt__detail("%s; %s: %s. %s", what, skip ? "the other backends" : "backends", list[0] ? list : "none",
		     mkrt__err_fix(err));
	snprintf(sel->why, sizeof(sel->why), "%s", mkrt_last_detail());
	return err;
}

/* The best row of backend @name, or of any (NULL); ties go to the first. */
static int mkrt__best_row(const struct mkrt_selection *sel, const char *name)
{
	int best = -1;

	for (uint32_t r = 0; r < sel->count; r++)
		if ((!name || strcmp(sel->rows[r].backend, name) == 0) && sel->rows[r].score > 0 &&
		    (best < 0 || sel->rows[r].score > sel->rows[best].score))
			best = (int)r;
	return best;
}

/* Take the best row: of the backend @cfg names, else of all. */
static int mkrt__decide(struct mkrt_selection *sel, const char *except)
{
	char what[sizeof(sel->rows[0].reason) + 128];
	const char *name = sel->requested[0] ? sel->requested : NULL;

	if (name) {
		int i = mkrt__find(name);
		if (i < 0 || (except && strcmp(name, except) == 0)) {
			snprintf(what, sizeof(what), "%s backend '%.64s'", i < 0 ? "unknown" : "no use for the",
				 name);
			return mkrt__refuse(MKRT_ENOBACKEND, sel, what, NULL);
		}
	}
	sel->chosen = mkrt__best_row(sel, name);
	if (sel->chosen < 0 && !name)
		return mkrt__refuse(MKRT_EUNAVAILABLE, sel, "no backend is available", NULL);
	if (sel->chosen < 0) {
		uint32_t r = 0; /* its first row says why (every backend weighed has one) */
		while (r + 1 < sel->count && strcmp(sel->rows[r].backend, name) != 0)
			r++;
		snprintf(what, sizeof(what), "backend '%s' is unavailable: %s", name, sel->rows[r].reason);
		return mkrt__refuse(MKRT_EUNAVAILABLE, sel, what, name);
	}
	const struct mkrt_choice *row = &sel->rows[sel->chosen];
	const char *how = name ? "asked for by name" : "the highest score";
	if (row->device >= 0)
		snprintf(sel->why, sizeof(sel->why), "%s on device %d: %s%s", row->backend, row->device, how,
			 sel->device_spec[0] ? ", on the device MKRT_DEVICE names" : "");
	else
		snprintf(sel->why, sizeof(sel->why), "%s: %s", row->backend, how);
	sel->backend_index = mkrt__find(row->backend);
	return sel->backend_index;
}

int mkrt__select(const struct mkrt_config *cfg, const char *only, const char *except,
		 struct mkrt_selection *sel)
{
	int in_play = -1, ndev = 0;

	memset(sel, 0, sizeof(*sel));
	sel->chosen = sel->backend_index = -1;
	snprintf(sel->requested, sizeof(sel->requested), "%s", only ? only : cfg->backend ? cfg->backend : "");
	snprintf(sel->device_spec, sizeof(sel->device_spec), "%s", cfg->device ? cfg->device : "");
	for (int i = 0; i < mkrt__table_len && !ndev; i++)
		if (mkrt__table[i]->probe_device)
			ndev = mkrt_device_count(); /* enumerated once per process */
	if (sel->device_spec[0] && (in_play = mkrt_device_match(sel->device_spec)) < 0) {
		snprintf(sel->why, sizeof(sel->why), "%s", mkrt_last_detail());
		return in_play;
	}
	sel->rows = calloc((size_t)mkrt__table_len * (size_t)(ndev > 1 ? ndev : 1), sizeof(*sel->rows));
	if (!sel->rows)
		return MKRT_ENOMEM;
	for (int i = 0; i < mkrt__table_len; i++) {
		const char *name = mkrt__table[i]->name;
		if ((!only || strcmp(name, only) == 0) && (!except || strcmp(name, except) != 0))
			mkrt__weigh(sel, i, cfg, ndev, in_play);
	}
	return mkrt__decide(sel, except);
}

int mkrt__choose(struct mkrt_config *cfg, const char *except, char device[MKRT__DEVICE_ARG_LEN])
{
	struct mkrt_selection sel;
	int index = mkrt__select(cfg, NULL, except, &sel);

	if (index >= 0 && sel.rows[sel.chosen].device >= 0) {
		snprintf(device, MKRT__DEVICE_ARG_LEN, "%d", sel.rows[sel.chosen].device);
		cfg->device = device; /* the backend opens on the device chosen */
	}
	mkrt_selection_free(&sel);
	return index;
}

int mkrt_selection_report(const struct mkrt_config *cfg, struct mkrt_selection *out)
{
	struct mkrt_config c;

	if (!out)
		return MKRT_EINVAL;
	mkrt__config_env(cfg, &c);
	return mkrt__select(&c, NULL, NULL, out);
}

void mkrt_selection_free(struct mkrt_selection *sel)
{
	if (!sel)
		return;
	free(sel->rows);
	sel->rows = NULL;
	sel->count = 0;
}

int mkrt_backend_select(const struct mkrt_config *cfg, char *why, size_t why_len)
{
	struct mkrt_selection sel;

	if (!why && why_len)
		return MKRT_EINVAL;
	int index = mkrt_selection_report(cfg, &sel);
	if (why_len)
		snprintf(why, why_len, "%s", sel.why);
	mkrt_selection_free(&sel);
	return index;
}

int mkrt_backend_probe(const char *name, const struct mkrt_config *cfg, char *reason,
		       size_t reason_len)
{
	struct mkrt_selection sel;
	struct mkrt_config c;

	if (!name || (!reason && reason_len))
		return MKRT_EINVAL;
	if (mkrt__find(name) < 0)
		return MKRT_ENOBACKEND;
	mkrt__config_env(cfg, &c);
	int err = mkrt__select(&c, name, NULL, &sel);
	int score = err >= 0 ? sel.rows[sel.chosen].score : 0;
	if (reason_len) /* its first row's reason: a device backend's on the first device */
		snprintf(reason, reason_len, "%s", err >= 0 ? "" : sel.count ? sel.rows[0].reason : sel.why);
	mkrt_selection_free(&sel);
	return err == MKRT_ENOMEM ? err : score;
}
