/* SPDX-License-Identifier: MIT */
/* config.c - runtime configuration defaults and validation. */
#include "backend.h"

#include <ctype.h>

#define MKRT__MAX_LANES 64u

void mkrt_config_init(struct mkrt_config *cfg)
{
	if (cfg)
		memset(cfg, 0, sizeof(*cfg));
}

static bool mkrt__identifier(const char *s)
{
	size_t n = 0;

	if (!s || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (; s[n]; n++)
		if (!isalnum((unsigned char)s[n]) && s[n] != '_')
			return false;
	return n <= 64;
}

/* OpenCL C handlers: user opcodes, each once, valid function names, a source. */
static int mkrt__cl_handlers_check(const struct mkrt_config *c)
{
	if (c->cl_handler_count && (!c->cl_handlers || !c->cl_source))
		return MKRT_EHANDLER;
	for (uint32_t i = 0; i < c->cl_handler_count; i++) {
		const struct mkrt_cl_handler *h = &c->cl_handlers[i];
		if (!mkrt_user_opcode(h->opcode) || !mkrt__identifier(h->function))
			return MKRT_EHANDLER;
		for (uint32_t j = 0; j < i; j++)
			if (c->cl_handlers[j].opcode == h->opcode)
				return MKRT_EHANDLER;
	}
	return 0;
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
	if (c.epoch_ms == 0)
		c.epoch_ms = MKRT_DEFAULT_EPOCH_MS;
	if (c.slots > MKRT_MAX_ENTRIES || c.observable > MKRT_MAX_ENTRIES ||
	    c.debug_records > MKRT_MAX_ENTRIES || c.dfa_words > MKRT_MAX_ENTRIES * 256u)
		return MKRT_ETOOBIG;
	if (c.lanes > MKRT__MAX_LANES || (c.dfa_words && !c.dfa))
		return MKRT_EINVAL;
	int err = mkrt__handlers_check(c.handlers, c.handler_count);
	if (!err)
		err = mkrt__cl_handlers_check(&c);
	if (err)
		return err;
	*out = c;
	return 0;
}
