/* SPDX-License-Identifier: MIT */
/* config.c - runtime configuration defaults and validation. */
#include "backend.h"

#define MKRT__MAX_LANES 64u

void mkrt_config_init(struct mkrt_config *cfg)
{
	if (cfg)
		memset(cfg, 0, sizeof(*cfg));
}

int mkrt__config_resolve(const struct mkrt_config *in, struct mkrt_config *out)
{
	struct mkrt_config c;

	if (in)
		c = *in;
	else
		mkrt_config_init(&c);
	if (c.slots == 0)
		c.slots = MKRT_DEFAULT_SLOTS;
	if (c.observable == 0)
		c.observable = MKRT_DEFAULT_OBSERVABLE;
	if (c.debug_records == 0)
		c.debug_records = MKRT_LOG_DEFAULT_RECORDS;
	if (c.lanes == 0)
		c.lanes = 1;
	if (c.slots > MKRT_MAX_ENTRIES || c.observable > MKRT_MAX_ENTRIES ||
	    c.debug_records > MKRT_MAX_ENTRIES || c.dfa_words > MKRT_MAX_ENTRIES * 256u)
		return MKRT_ETOOBIG;
	if (c.lanes > MKRT__MAX_LANES || (c.dfa_words && !c.dfa))
		return MKRT_EINVAL;
	int err = mkrt__handlers_check(c.handlers, c.handler_count);
	if (err)
		return err;
	*out = c;
	return 0;
}
