/* SPDX-License-Identifier: MIT */
/* config.c - runtime configuration defaults and validation. */
#include "internal.h"

#include <ctype.h>
#include <stdlib.h>

#define MKRT__MAX_LANES 64u

const char *mkrt_version(void)
{
	return PACKAGE_VERSION; /* configure.ac's AC_INIT */
}

uint32_t mkrt_protocol_version(void)
{
	return MKRT_PROTOCOL_VERSION;
}

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

#define MKRT__MAX_RESOURCES (1u << 24)
#define MKRT__MAX_FRAMES     65536u
#define MKRT__MAX_ARENA      (1ull << 32)

/* Fill the IO config's defaults into @out and check it. */
static int mkrt__io_resolve(const struct mkrt_io_config *in, struct mkrt_io_config *out)
{
	*out = *in;
	if (!out->frames)
		out->frames = MKRT_DEFAULT_FRAMES;
	if (!out->frame_bytes)
		out->frame_bytes = MKRT_DEFAULT_FRAME_BYTES;
	if (!out->engine && getenv("MKRT_IO_ENGINE") && getenv("MKRT_IO_ENGINE")[0])
		out->engine = getenv("MKRT_IO_ENGINE");
	if (out->resources == 0 || out->frame_bytes % 4 || !out->path == !out->resolve)
		return MKRT_EINVAL;
	if (out->resources > MKRT__MAX_RESOURCES || out->frames > MKRT__MAX_FRAMES ||
	    (uint64_t)out->frames * out->frame_bytes > MKRT__MAX_ARENA)
		return MKRT_ETOOBIG;
	if (out->engine && strcmp(out->engine, "pread") != 0 &&
	    !(strcmp(out->engine, "uring") == 0 && strstr(mkrt_io_engines(), "uring")))
		return MKRT_EUNAVAILABLE;
	return 0;
}

void mkrt__config_env(const struct mkrt_config *in, struct mkrt_config *out)
{
	if (in)
		*out = *in;
	else
		mkrt_config_init(out);
	if (!out->backend)
		out->backend = getenv("MKRT_BACKEND");
	if (!out->device)
		out->device = getenv("MKRT_DEVICE");
	if (!out->shm_name)
		out->shm_name = getenv("MKRT_SHM_NAME");
	if (!out->shm_backend)
		out->shm_backend = getenv("MKRT_SHM_BACKEND");
}

int mkrt__config_resolve(const struct mkrt_config *in, struct mkrt_config *out,
			 struct mkrt_io_config *io)
{
	struct mkrt_config c;

	mkrt__config_env(in, &c);
	if (c.slots == 0)
		c.slots = MKRT_DEFAULT_SLOTS;
	if (c.observable == 0)
		c.observable = MKRT_DEFAULT_OBSERVABLE;
	if (c.debug_records == 0)
		c.debug_records = MKRT_LOG_DEFAULT_RECORDS;
	if (c.epoch_ms == 0)
		c.epoch_ms = MKRT_DEFAULT_EPOCH_MS;
	if (c.park_us == 0)
		c.park_us = MKRT_DEFAULT_PARK_US;
	if (c.io) {
		int err = mkrt__io_resolve(c.io, io);
		if (err) {
			mkrt__detail("mkrt_io_config: %s", err == MKRT_EUNAVAILABLE
						? "engine not built in (see mkrt_io_engines())"
						: "needs resources > 0, frame_bytes a multiple of 4, "
						  "and exactly one of path and resolve");
			return err;
		}
		c.io = io;
	}
	if (c.slots > MKRT_MAX_ENTRIES || c.observable > MKRT_MAX_ENTRIES ||
	    c.debug_records > MKRT_MAX_ENTRIES || c.dfa_words > MKRT_MAX_ENTRIES * MKRT_DFA_COLUMNS)
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
