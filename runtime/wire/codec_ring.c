/* SPDX-License-Identifier: MIT */
/* codec_ring.c - slots, load-miss slots and whole rings as wire bytes. */
#include "internal.h"

#include <stdlib.h>

int mkrt_ring_byte_len(uint32_t slots, size_t *len)
{
	if (!len || slots == 0)
		return MKRT_EINVAL;
	if (slots > MKRT_MAX_ENTRIES)
		return MKRT_ETOOBIG;
	/* slots <= 2^20 and 64 bytes each: fits any size_t of 32 bits or more */
	*len = (size_t)slots * MKRT_SLOT_BYTES;
	return 0;
}

int mkrt_ring_slot_count(size_t len)
{
	if (len == 0)
		return MKRT_EINVAL;
	if (len % MKRT_SLOT_BYTES)
		return MKRT_EALIGN;
	if (len / MKRT_SLOT_BYTES > MKRT_MAX_ENTRIES)
		return MKRT_ETOOBIG;
	return (int)(len / MKRT_SLOT_BYTES);
}

int mkrt_encode_empty_ring_into(uint8_t *ring, size_t len)
{
	int slots = mkrt_ring_slot_count(len);

	if (!ring)
		return MKRT_EINVAL;
	if (slots < 0)
		return slots;
	memset(ring, 0, len);
	return slots;
}

int mkrt__alloc_zeroed(size_t bytes, uint8_t **out, size_t *len)
{
	uint8_t *buf = calloc(1, bytes);

	if (!buf)
		return MKRT_ENOMEM;
	*out = buf;
	*len = bytes;
	return 0;
}

int mkrt_encode_empty_ring(uint32_t slots, uint8_t **out, size_t *len)
{
	size_t bytes;
	int err;

	if (!out || !len)
		return MKRT_EINVAL;
	err = mkrt_ring_byte_len(slots, &bytes);
	return err ? err : mkrt__alloc_zeroed(bytes, out, len);
}

int mkrt_encode_slot(const struct mkrt_slot *slot, uint8_t out[MKRT_SLOT_BYTES])
{
	uint32_t w[MKRT_SLOT_WORDS];

	if (!slot || !out)
		return MKRT_EINVAL;
	mkrt__slot_to_words(slot, w);
	for (uint32_t i = 0; i < MKRT_SLOT_WORDS; i++)
		mkrt__put_le32(out + i * MKRT_WORD_BYTES, w[i]);
	return 0;
}

/* The first byte of slot @index, after checking the ring and the index. */
static int mkrt__slot_bytes(const uint8_t *ring, size_t ring_len, uint32_t index,
			    const uint8_t **slot)
{
	int slots;

	if (!ring)
		return MKRT_EINVAL;
	slots = mkrt_ring_slot_count(ring_len);
	if (slots < 0)
		return slots;
	if (index >= (uint32_t)slots)
		return MKRT_ERANGE;
	*slot = ring + (size_t)index * MKRT_SLOT_BYTES;
	return 0;
}

int mkrt_decode_slot(const uint8_t *ring, size_t ring_len, uint32_t index, struct mkrt_slot *out)
{
	uint32_t w[MKRT_SLOT_WORDS];
	const uint8_t *p;
	int err;

	if (!out)
		return MKRT_EINVAL;
	err = mkrt__slot_bytes(ring, ring_len, index, &p);
	if (err)
		return err;
	for (uint32_t i = 0; i < MKRT_SLOT_WORDS; i++)
		w[i] = mkrt__get_le32(p + i * MKRT_WORD_BYTES);
	mkrt__slot_from_words(w, out);
	return 0;
}

int mkrt_encode_load_miss(uint32_t resource_id, bool prefetch, uint8_t out[MKRT_SLOT_BYTES])
{
	struct mkrt_slot s = {
		.status = MKRT_STATUS_PUBLISHED,
		.opcode = MKRT_OP_LOAD_MISS,
		.tenant = 0,
		.priority = 0,
		.args = { resource_id, prefetch ? 1u : 0u },
	};

	return mkrt_encode_slot(&s, out);
}

int mkrt_decode_load_miss(const uint8_t *ring, size_t ring_len, uint32_t slot,
			  uint32_t *resource_id, bool *prefetch)
{
	const uint8_t *p;
	int err;

	if (!resource_id || !prefetch)
		return MKRT_EINVAL;
	err = mkrt__slot_bytes(ring, ring_len, slot, &p);
	if (err)
		return err;
	if (mkrt__get_le32(p + MKRT_SLOT_OPCODE * MKRT_WORD_BYTES) != MKRT_OP_LOAD_MISS)
		return MKRT_ENOTLOADMISS;
	*resource_id = mkrt__get_le32(p + MKRT_SLOT_ARG0 * MKRT_WORD_BYTES);
	*prefetch = mkrt__get_le32(p + (MKRT_SLOT_ARG0 + 1) * MKRT_WORD_BYTES) != 0;
	return 0;
}

int mkrt_count_done(const uint8_t *ring, size_t ring_len)
{
	int slots, done = 0;

	if (!ring)
		return MKRT_EINVAL;
	slots = mkrt_ring_slot_count(ring_len);
	if (slots < 0)
		return slots;
	for (int i = 0; i < slots; i++)
		done += mkrt__get_le32(ring + (size_t)i * MKRT_SLOT_BYTES) == MKRT_STATUS_DONE;
	return done;
}
