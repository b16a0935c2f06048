/* SPDX-License-Identifier: MIT */
/*
 * fuzz_publish.c - the validated publish path and the host transitions,
 * driven by the input over a small ring that starts as arbitrary words.
 * Each call either does what it promises or fails and leaves the ring
 * byte-identical; a batch is all or nothing.
 */
#include "fuzz.h"

#define SLOTS 6u
#define WORDS (SLOTS * MKRT_SLOT_WORDS)

static void fill_request(struct fuzz_input *in, struct mkrt_slot *r)
{
	memset(r, 0, sizeof(*r));
	/* mostly plausible opcodes, sometimes anything */
	uint32_t op = fuzz_u32(in);
	r->opcode = (op & 0x80000000u) ? op : op % (MKRT_OP_BUILTIN_LAST + 8u);
	r->tenant = fuzz_u8(in) % 4u;
	r->priority = fuzz_u8(in);
	for (uint32_t i = 0; i < MKRT_SLOT_ARGS; i++)
		r->args[i] = fuzz_u32(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	uint32_t ring[WORDS], before[WORDS];

	/* the first words of the input are the ring's starting contents, the
	 * status words folded onto the legal ones and a little past them */
	for (uint32_t i = 0; i < WORDS; i++) {
		uint32_t w = fuzz_u32(&in);
		ring[i] = i % MKRT_SLOT_WORDS == MKRT_SLOT_STATUS ? w % 8u : w;
	}
	for (int steps = 0; in.left && steps < 64; steps++) {
		uint32_t what = fuzz_u8(&in) % 7u, slot = fuzz_u8(&in) % (SLOTS + 1u);
		struct mkrt_slot reqs[SLOTS], got;
		uint32_t nargs = 0, n = 0;
		int err;

		memcpy(before, ring, sizeof(ring));
		switch (what) {
		case 0:
			fill_request(&in, &reqs[0]);
			nargs = fuzz_u8(&in) % (MKRT_SLOT_ARGS + 2u);
			err = mkrt_publish(ring, WORDS, slot, &reqs[0], nargs);
			if (!err) {
				FUZZ_CHECK(mkrt_ring_read_slot(ring, WORDS, slot, &got) == 0);
				FUZZ_CHECK(got.status == MKRT_STATUS_PUBLISHED && got.opcode == reqs[0].opcode);
				for (uint32_t a = nargs; a < MKRT_SLOT_ARGS; a++)
					FUZZ_CHECK(got.args[a] == 0); /* stale args cleared */
			}
			break;
		case 1:
			n = fuzz_u8(&in) % SLOTS;
			for (uint32_t i = 0; i < n; i++)
				fill_request(&in, &reqs[i]);
			err = mkrt_publish_batch(ring, WORDS, slot, reqs, n, fuzz_u32(&in));
			if (err >= 0) {
				FUZZ_CHECK((uint32_t)err == (slot + n) % SLOTS);
				for (uint32_t i = 0; i <= n; i++)
					FUZZ_CHECK(ring[((slot + i) % SLOTS) * MKRT_SLOT_WORDS] ==
						   MKRT_STATUS_PUBLISHED);
				err = 0;
			}
			break;
		case 2:
			err = mkrt_slot_claim(ring, WORDS, slot);
			FUZZ_CHECK(err || ring[slot * MKRT_SLOT_WORDS] == MKRT_STATUS_CLAIMED);
			break;
		case 3:
			err = mkrt_slot_done(ring, WORDS, slot);
			FUZZ_CHECK(err || ring[slot * MKRT_SLOT_WORDS] == MKRT_STATUS_DONE);
			break;
		case 4:
			err = mkrt_slot_fault(ring, WORDS, slot, fuzz_u32(&in));
			FUZZ_CHECK(err || ring[slot * MKRT_SLOT_WORDS] == MKRT_STATUS_FAULT);
			break;
		case 5:
			err = mkrt_slot_cancel(ring, WORDS, slot);
			FUZZ_CHECK(err || ring[slot * MKRT_SLOT_WORDS] == MKRT_STATUS_EMPTY);
			break;
		default:
			err = mkrt_slot_reset(ring, WORDS, slot);
			FUZZ_CHECK(err || ring[slot * MKRT_SLOT_WORDS] == MKRT_STATUS_EMPTY);
			break;
		}
		FUZZ_CHECK(err <= 0);
		if (err) /* a refusal changes nothing */
			FUZZ_CHECK(memcmp(before, ring, sizeof(ring)) == 0);
		else
			FUZZ_CHECK(slot < SLOTS);
	}
	return 0;
}
