/* SPDX-License-Identifier: MIT */
/* capture.c - the capture format (DESIGN §2): validate, decode, encode. */
#include "internal.h"

#include <stdlib.h>

#define MKRT__CAPTURE_FIELDS 6u

/* Why the sizes are unacceptable, or NULL. */
static const char *mkrt__capture_sizes_bad(uint32_t slots, uint32_t control, uint32_t debug,
					   uint32_t io, uint32_t dfa)
{
	if (slots == 0 || slots > MKRT_MAX_ENTRIES)
		return "slot_count must be 1..1048576";
	if (control <= MKRT_CTL_OBS || control - MKRT_CTL_OBS > MKRT_MAX_ENTRIES)
		return "control_words must be 161..160+1048576";
	if (debug && (debug < MKRT_LOG_FIRST + MKRT_LOG_RECORD_WORDS ||
		      (debug - MKRT_LOG_FIRST) % MKRT_LOG_RECORD_WORDS ||
		      (debug - MKRT_LOG_FIRST) / MKRT_LOG_RECORD_WORDS > MKRT_MAX_ENTRIES))
		return "debug_words must be 0 or 1 + 4 * records (1..1048576 records)";
	if (io && io != MKRT_IO_SLOTS * MKRT_IO_WORDS)
		return "io_words must be 0 or 512";
	if (dfa > MKRT_MAX_ENTRIES * MKRT_DFA_COLUMNS)
		return "dfa_words must be at most 268435456";
	return NULL;
}

static uint64_t mkrt__capture_words(const struct mkrt_capture *c)
{
	return (uint64_t)c->control_words + (uint64_t)c->slot_count * MKRT_SLOT_WORDS +
	       c->debug_words + c->io_words + c->dfa_words;
}

int mkrt_capture_alloc(struct mkrt_capture *c, uint32_t slot_count, uint32_t control_words,
		       uint32_t debug_words, uint32_t io_words, uint32_t dfa_words)
{
	const char *bad;

	if (!c)
		return MKRT_EINVAL;
	bad = mkrt__capture_sizes_bad(slot_count, control_words, debug_words, io_words, dfa_words);
	if (bad) {
		mkrt__detail("capture: %s", bad);
		return MKRT_ECAPTURE;
	}
	struct mkrt_capture n = { .slot_count = slot_count, .control_words = control_words,
				  .debug_words = debug_words, .io_words = io_words,
				  .dfa_words = dfa_words };
	uint32_t *words = calloc(mkrt__capture_words(&n) + 1, sizeof(uint32_t));
	if (!words)
		return MKRT_ENOMEM;
	n.control = words;
	n.ring = n.control + control_words;
	n.debug = n.ring + (size_t)slot_count * MKRT_SLOT_WORDS;
	n.io = n.debug + debug_words;
	n.dfa = n.io + io_words;
	*c = n;
	return 0;
}

void mkrt_capture_free(struct mkrt_capture *c)
{
	if (!c)
		return;
	free(c->control);
	memset(c, 0, sizeof(*c));
}

int mkrt_capture_decode(const uint8_t *buf, size_t len, struct mkrt_capture *out)
{
	uint32_t f[MKRT__CAPTURE_FIELDS];
	struct mkrt_capture c;
	int err;

	if (!buf || !out)
		return MKRT_EINVAL;
	if (len < MKRT_CAPTURE_HEADER_BYTES || memcmp(buf, MKRT_CAPTURE_MAGIC, 8) != 0) {
		mkrt__detail("capture: no MKRTCAP1 header (%zu bytes)", len);
		return MKRT_ECAPTURE;
	}
	for (uint32_t i = 0; i < MKRT__CAPTURE_FIELDS; i++)
		f[i] = mkrt__get_le32(buf + 8 + 4 * i);
	if (f[5] != 0) {
		mkrt__detail("capture: reserved header word is %u, not 0", f[5]);
		return MKRT_ECAPTURE;
	}
	err = mkrt_capture_alloc(&c, f[0], f[1], f[2], f[3], f[4]);
	if (err)
		return err;
	uint64_t words = mkrt__capture_words(&c);
	if ((len - MKRT_CAPTURE_HEADER_BYTES) % 4 || (len - MKRT_CAPTURE_HEADER_BYTES) / 4 != words) {
		mkrt__detail("capture: header announces %llu words but %zu bytes follow it",
			     (unsigned long long)words, len - MKRT_CAPTURE_HEADER_BYTES);
		mkrt_capture_free(&c);
		return MKRT_ECAPTURE;
	}
	for (uint64_t i = 0; i < words; i++)
		c.control[i] = mkrt__get_le32(buf + MKRT_CAPTURE_HEADER_BYTES + 4 * i);
	*out = c;
	return 0;
}

int mkrt_capture_encode(const struct mkrt_capture *c, uint8_t **out, size_t *len)
{
	if (!c || !out || !len || !c->control)
		return MKRT_EINVAL;
	const char *bad = mkrt__capture_sizes_bad(c->slot_count, c->control_words, c->debug_words,
						  c->io_words, c->dfa_words);
	if (bad) {
		mkrt__detail("capture: %s", bad);
		return MKRT_ECAPTURE;
	}
	const uint32_t *parts[] = { c->control, c->ring, c->debug, c->io, c->dfa };
	const uint64_t sizes[] = { c->control_words, (uint64_t)c->slot_count * MKRT_SLOT_WORDS,
				   c->debug_words, c->io_words, c->dfa_words };
	for (size_t k = 0; k < 5; k++)
		if (sizes[k] && !parts[k])
			return MKRT_EINVAL;
	uint64_t words = mkrt__capture_words(c);
	size_t bytes = MKRT_CAPTURE_HEADER_BYTES + (size_t)words * 4;
	uint8_t *b = malloc(bytes);
	if (!b)
		return MKRT_ENOMEM;
	const uint32_t f[MKRT__CAPTURE_FIELDS] = { c->slot_count, c->control_words, c->debug_words,
						   c->io_words, c->dfa_words, 0 };
	memcpy(b, MKRT_CAPTURE_MAGIC, 8);
	for (uint32_t i = 0; i < MKRT__CAPTURE_FIELDS; i++)
		mkrt__put_le32(b + 8 + 4 * i, f[i]);
	uint8_t *p = b + MKRT_CAPTURE_HEADER_BYTES;
	for (size_t k = 0; k < 5; k++)
		for (uint64_t i = 0; i < sizes[k]; i++, p += 4)
			mkrt__put_le32(p, parts[k][i]);
	*out = b;
	*len = bytes;
	return 0;
}
