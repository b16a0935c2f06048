/* SPDX-License-Identifier: MIT */
/*
 * packed.c - PACKED_SLOT layout (vyre's), shared by publish and executors.
 *
 * The 12 argument words are read as 48 little-endian bytes: byte 0 = op count
 * n, byte 1 = packed argument words after the metadata, then n pairs (inner
 * opcode, argument offset). Metadata takes MKRT_PACKED_META_WORDS(n) words;
 * op k's three arguments are argument words meta + offset_k .. +2, and must
 * lie inside the declared packed words. The structure is checked as a whole
 * before any inner op runs.
 */
#include "internal.h"

static uint32_t mkrt__arg_byte(const uint32_t args[MKRT_SLOT_ARGS], uint32_t i)
{
	return (args[i / 4u] >> (8u * (i % 4u))) & 0xffu;
}

static void mkrt__set_arg_byte(uint32_t args[MKRT_SLOT_ARGS], uint32_t i, uint32_t v)
{
	uint32_t shift = 8u * (i % 4u);

	args[i / 4u] = (args[i / 4u] & ~(0xffu << shift)) | (v & 0xffu) << shift;
}

int mkrt__packed_parse(const uint32_t args[MKRT_SLOT_ARGS],
		       struct mkrt_packed_op ops[MKRT_PACKED_MAX_OPS])
{
	uint32_t n = mkrt__arg_byte(args, 0);
	uint32_t packed_words = mkrt__arg_byte(args, 1);

	if (n == 0 || n > MKRT_PACKED_MAX_OPS)
		return -1;
	uint32_t meta = MKRT_PACKED_META_WORDS(n);
	if (meta + packed_words > MKRT_SLOT_ARGS)
		return -1;
	for (uint32_t k = 0; k < n; k++) {
		uint32_t off = mkrt__arg_byte(args, 3u + 2u * k);
		if (off + MKRT_PACKED_OP_ARGS > packed_words)
			return -1;
		ops[k].opcode = mkrt__arg_byte(args, 2u + 2u * k);
		for (uint32_t a = 0; a < MKRT_PACKED_OP_ARGS; a++)
			ops[k].args[a] = args[meta + off + a];
	}
	return (int)n;
}

int mkrt_encode_packed(const struct mkrt_packed_op *ops, uint32_t n, uint32_t args[MKRT_SLOT_ARGS])
{
	uint32_t out[MKRT_SLOT_ARGS] = { 0 };

	if (!ops || !args)
		return MKRT_EINVAL;
	if (n == 0 || n > MKRT_PACKED_MAX_OPS)
		return MKRT_EPACKED;
	uint32_t meta = MKRT_PACKED_META_WORDS(n);
	if (meta + MKRT_PACKED_OP_ARGS * n > MKRT_SLOT_ARGS)
		return MKRT_EPACKED;
	for (uint32_t k = 0; k < n; k++)
		if (ops[k].opcode > MKRT_OP_BUILTIN_LAST)
			return MKRT_EPACKED;

	mkrt__set_arg_byte(out, 0, n);
	mkrt__set_arg_byte(out, 1, MKRT_PACKED_OP_ARGS * n);
	for (uint32_t k = 0; k < n; k++) {
		mkrt__set_arg_byte(out, 2u + 2u * k, ops[k].opcode);
		mkrt__set_arg_byte(out, 3u + 2u * k, MKRT_PACKED_OP_ARGS * k);
		for (uint32_t a = 0; a < MKRT_PACKED_OP_ARGS; a++)
			out[meta + MKRT_PACKED_OP_ARGS * k + a] = ops[k].args[a];
	}
	memcpy(args, out, sizeof(out));
	return 0;
}

int mkrt_decode_packed(const uint32_t args[MKRT_SLOT_ARGS], struct mkrt_packed_op *ops,
		       uint32_t cap)
{
	struct mkrt_packed_op tmp[MKRT_PACKED_MAX_OPS];

	if (!args || (!ops && cap))
		return MKRT_EINVAL;
	int n = mkrt__packed_parse(args, tmp);
	if (n < 0)
		return MKRT_EPACKED;
	if ((uint32_t)n > cap && ops)
		return MKRT_ESHORT;
	if (ops)
		memcpy(ops, tmp, (size_t)n * sizeof(tmp[0]));
	return n;
}
