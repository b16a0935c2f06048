/* SPDX-License-Identifier: MIT */
/*
 * fuzz_slot.c - the slot and ring decoders on arbitrary bytes: any length,
 * any index. A slot that decodes encodes back to the same 64 bytes.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	uint32_t index = fuzz_u32(&in);
	const uint8_t *ring = in.p;
	size_t len = in.left;
	struct mkrt_slot s;

	int slots = mkrt_ring_slot_count(len);
	FUZZ_CHECK(slots < 0 || (size_t)slots * MKRT_SLOT_BYTES == len);
	int done = mkrt_count_done(ring, len);
	FUZZ_CHECK(done < 0 || slots >= done);

	int err = mkrt_decode_slot(ring, len, index, &s);
	FUZZ_CHECK(err <= 0);
	FUZZ_CHECK(err || (slots > 0 && index < (uint32_t)slots));
	if (!err) {
		uint8_t again[MKRT_SLOT_BYTES];
		FUZZ_CHECK(mkrt_encode_slot(&s, again) == 0);
		FUZZ_CHECK(memcmp(again, ring + (size_t)index * MKRT_SLOT_BYTES, MKRT_SLOT_BYTES) == 0);
	}

	uint32_t id = 0xFFFFFFFFu;
	bool prefetch = false;
	err = mkrt_decode_load_miss(ring, len, index, &id, &prefetch);
	if (!err) {
		uint8_t enc[MKRT_SLOT_BYTES];
		FUZZ_CHECK(s.opcode == MKRT_OP_LOAD_MISS && id == s.args[0] && prefetch == (s.args[1] != 0));
		FUZZ_CHECK(mkrt_encode_load_miss(id, prefetch, enc) == 0);
	} else {
		FUZZ_CHECK(id == 0xFFFFFFFFu); /* outputs untouched on error */
	}

	/* the word view of the same bytes, when they are whole words */
	if (len % 4 == 0 && len >= 4) {
		uint32_t *words = malloc(len);
		if (!words)
			return 0;
		memcpy(words, ring, len);
		struct mkrt_slot w;
		err = mkrt_ring_read_slot(words, len / 4, index, &w);
		FUZZ_CHECK(err <= 0);
		free(words);
	}
	return 0;
}
