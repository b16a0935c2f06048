/* SPDX-License-Identifier: MIT */
/* codec_control.c - the control buffer: tenants, quotas, metrics, OBS words. */
#include "internal.h"

#include <stdlib.h>

#define MKRT__TENANT_MAX (MKRT_CTL_TENANT_LAST - MKRT_CTL_TENANT_FIRST + 1u)

_Static_assert(MKRT__TENANT_MAX == 29, "tenant mask arrays have 29 entries");

void mkrt_control_config_default(struct mkrt_control_config *cfg)
{
	if (!cfg)
		return;
	memset(cfg, 0, sizeof(*cfg));
	cfg->tenant_base = MKRT_CTL_TENANT_BASE_DEFAULT;
	cfg->tenant_count = 1;
	cfg->tenant_masks[0] = 1; /* tenant 0 is authorized */
}

int mkrt_control_byte_len(uint32_t observable, size_t *len)
{
	if (!len || observable == 0)
		return MKRT_EINVAL;
	if (observable > MKRT_MAX_ENTRIES)
		return MKRT_ETOOBIG;
	*len = ((size_t)MKRT_CTL_OBS + observable) * MKRT_WORD_BYTES;
	return 0;
}

/* The control buffer's word count after the common checks. */
static int mkrt__control_words(const void *buf, size_t len, size_t *words)
{
	int err = mkrt__words_check(buf, len, MKRT_CTL_OBS + 1u);

	if (err)
		return err;
	*words = len / MKRT_WORD_BYTES;
	if (*words - MKRT_CTL_OBS > MKRT_MAX_ENTRIES)
		return MKRT_ETOOBIG;
	return 0;
}

/* Validate @cfg without writing anything: masks must land in words 3..31. */
static int mkrt__control_config_check(const struct mkrt_control_config *cfg)
{
	if (cfg->tenant_count > MKRT__TENANT_MAX)
		return MKRT_ERANGE;
	if (cfg->tenant_count == 0)
		return 0;
	uint64_t last = (uint64_t)cfg->tenant_base + cfg->tenant_count - 1u;
	if (cfg->tenant_base < MKRT_CTL_TENANT_FIRST || last > MKRT_CTL_TENANT_LAST)
		return MKRT_ERANGE;
	return 0;
}

int mkrt_encode_control_into(const struct mkrt_control_config *cfg, uint8_t *buf, size_t len)
{
	struct mkrt_control_config def;
	size_t words;
	int err;

	err = mkrt__control_words(buf, len, &words);
	if (err)
		return err;
	if (!cfg) {
		mkrt_control_config_default(&def);
		cfg = &def;
	}
	err = mkrt__control_config_check(cfg);
	if (err)
		return err;

	memset(buf, 0, len);
	mkrt__put_le32(buf + MKRT_CTL_TENANT_BASE * 4u, cfg->tenant_base);
	for (uint32_t t = 0; t < cfg->tenant_count; t++)
		mkrt__put_le32(buf + (cfg->tenant_base + t) * 4u, cfg->tenant_masks[t]);
	for (uint32_t i = 0; i < MKRT_CTL_TENANT_SLOTS; i++)
		mkrt__put_le32(buf + (MKRT_CTL_QUOTAS + i) * 4u, cfg->quotas[i]);
	for (uint32_t i = 0; i < MKRT_CTL_PRIO_PARTITIONS; i++)
		mkrt__put_le32(buf + (MKRT_CTL_PRIO_OFFSETS + i) * 4u, cfg->prio_offsets[i]);
	mkrt__put_le32(buf + MKRT_CTL_VERSION * 4u, MKRT_PROTOCOL_VERSION);
	return 0;
}

int mkrt_encode_control(const struct mkrt_control_config *cfg, uint32_t observable,
			uint8_t **out, size_t *len)
{
	size_t bytes;
	int err;

	if (!out || !len)
		return MKRT_EINVAL;
	err = mkrt_control_byte_len(observable, &bytes);
	if (err)
		return err;
	if (cfg && (err = mkrt__control_config_check(cfg)))
		return err;
	uint8_t *buf = malloc(bytes);
	if (!buf)
		return MKRT_ENOMEM;
	err = mkrt_encode_control_into(cfg, buf, bytes);
	if (err) {
		free(buf);
		return err;
	}
	*out = buf;
	*len = bytes;
	return 0;
}

static void mkrt__get_words(const uint8_t *buf, uint32_t first, uint32_t n, uint32_t *out)
{
	for (uint32_t i = 0; i < n; i++)
		out[i] = mkrt__get_le32(buf + (size_t)(first + i) * 4u);
}

int mkrt_decode_control(const uint8_t *buf, size_t len, struct mkrt_control_view *out)
{
	struct mkrt_control_view v;
	size_t words;
	int err;

	if (!out)
		return MKRT_EINVAL;
	err = mkrt__control_words(buf, len, &words);
	if (err)
		return err;

	memset(&v, 0, sizeof(v));
	v.shutdown = mkrt__get_le32(buf + MKRT_CTL_SHUTDOWN * 4u);
	v.done_count = mkrt__get_le32(buf + MKRT_CTL_DONE_COUNT * 4u);
	v.tenant_base = mkrt__get_le32(buf + MKRT_CTL_TENANT_BASE * 4u);
	for (uint32_t t = 0; t < MKRT__TENANT_MAX; t++) {
		uint32_t w = mkrt__tenant_word(v.tenant_base, t);
		if (w)
			v.tenant_masks[t] = mkrt__get_le32(buf + w * 4u);
	}
	mkrt__get_words(buf, MKRT_CTL_QUOTAS, MKRT_CTL_TENANT_SLOTS, v.quotas);
	mkrt__get_words(buf, MKRT_CTL_FAIRNESS, MKRT_CTL_TENANT_SLOTS, v.fairness);
	mkrt__get_words(buf, MKRT_CTL_METRICS, MKRT_OP_METRIC_LIMIT, v.metrics);
	v.epoch = mkrt__get_le32(buf + MKRT_CTL_EPOCH * 4u);
	mkrt__get_words(buf, MKRT_CTL_PRIO_OFFSETS, MKRT_CTL_PRIO_PARTITIONS, v.prio_offsets);
	v.starvation = mkrt__get_le32(buf + MKRT_CTL_STARVATION * 4u);
	mkrt__get_words(buf, MKRT_CTL_PRIO_FAIRNESS, MKRT_CTL_PRIO_FAIRNESS_WORDS, v.prio_fairness);
	v.version = mkrt__get_le32(buf + MKRT_CTL_VERSION * 4u);
	v.fault_count = mkrt__get_le32(buf + MKRT_CTL_FAULT_COUNT * 4u);
	v.observable_words = (uint32_t)(words - MKRT_CTL_OBS);
	*out = v;
	return 0;
}

int mkrt_read_observable(const uint8_t *buf, size_t len, uint32_t index, uint32_t *value)
{
	size_t words;
	int err;

	if (!value)
		return MKRT_EINVAL;
	err = mkrt__control_words(buf, len, &words);
	if (err)
		return err;
	if (index >= words - MKRT_CTL_OBS)
		return MKRT_ERANGE;
	*value = mkrt__get_le32(buf + ((size_t)MKRT_CTL_OBS + index) * 4u);
	return 0;
}

int mkrt_tenant_authorized(const uint8_t *buf, size_t len, uint32_t tenant)
{
	size_t words;
	int err = mkrt__control_words(buf, len, &words);

	if (err)
		return err;
	uint32_t w = mkrt__tenant_word(mkrt__get_le32(buf + MKRT_CTL_TENANT_BASE * 4u), tenant);

	return w && mkrt__get_le32(buf + w * 4u) != 0;
}
