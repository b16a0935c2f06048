/* SPDX-License-Identifier: MIT */
/*
 * fuzz_packed.c - PACKED_SLOT argument words: the decoder, the encoder on
 * what it decoded, and the reference executor running the same words. The
 * host's check and the executor's must agree: a slot the decoder refuses
 * faults PACKED, one it takes never does.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	uint32_t args[MKRT_SLOT_ARGS];
	struct mkrt_packed_op ops[MKRT_PACKED_MAX_OPS];
	uint32_t cap = fuzz_u8(&in) % (MKRT_PACKED_MAX_OPS + 1);

	for (uint32_t i = 0; i < MKRT_SLOT_ARGS; i++)
		args[i] = fuzz_u32(&in);
	int n = mkrt_decode_packed(args, ops, cap);
	int whole = mkrt_decode_packed(args, ops, MKRT_PACKED_MAX_OPS);
	FUZZ_CHECK(n == whole || (n == MKRT_ESHORT && whole > (int)cap));
	if (whole > 0) {
		/* what decoded re-encodes (perhaps laid out differently) to the same ops */
		struct mkrt_packed_op again[MKRT_PACKED_MAX_OPS];
		uint32_t enc[MKRT_SLOT_ARGS];
		int err = mkrt_encode_packed(ops, (uint32_t)whole, enc);
		if (!err) {
			FUZZ_CHECK(mkrt_decode_packed(enc, again, MKRT_PACKED_MAX_OPS) == whole);
			FUZZ_CHECK(memcmp(again, ops, (size_t)whole * sizeof(ops[0])) == 0);
		}
	}

	/* the executor, handed the same words without the host's check */
	struct fuzz_exec *x = malloc(sizeof(*x));
	if (!x)
		return 0;
	fuzz_exec_init(x);
	x->ring[MKRT_SLOT_OPCODE] = MKRT_OP_PACKED_SLOT;
	memcpy(&x->ring[MKRT_SLOT_ARG0], args, sizeof(args));
	x->ring[MKRT_SLOT_STATUS] = MKRT_STATUS_PUBLISHED;
	fuzz_exec_drain(x);
	uint32_t st = x->ring[MKRT_SLOT_STATUS];
	FUZZ_CHECK(st == MKRT_STATUS_DONE || st == MKRT_STATUS_FAULT);
	bool packed_fault = st == MKRT_STATUS_FAULT && x->ring[MKRT_SLOT_FAULT_REASON] == MKRT_FAULT_PACKED;
	FUZZ_CHECK(packed_fault == (whole < 0));
	free(x);
	return 0;
}
