/* SPDX-License-Identifier: MIT */
/*
 * fuzz_debug_log.c - the debug-log reader on arbitrary bytes and any
 * cursor: overflow is data, never an error or a write past @cap.
 */
#include "fuzz.h"

#define CAP_MAX 64u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	size_t cap = fuzz_u8(&in) % (CAP_MAX + 1);
	struct mkrt_debug_record out[CAP_MAX + 1];
	uint32_t count = 0xFFFFFFFFu, overflow = 0xFFFFFFFFu;

	/* one guard record past @cap: the reader must not touch it */
	memset(out, 0xA5, sizeof(out));
	int n = mkrt_read_debug_log(in.p, in.left, out, cap, &count, &overflow);
	if (n < 0)
		return 0;
	size_t records = (in.left / 4 - 1) / 4;
	FUZZ_CHECK((size_t)n <= cap && (uint32_t)n <= count && count <= records);
	/* the cursor counts words: every record written is present or overflowed */
	uint32_t cursor;
	memcpy(&cursor, in.p, 4);
	FUZZ_CHECK(count + overflow == cursor / 4);
	const uint8_t *guard = (const uint8_t *)&out[cap];
	for (size_t i = 0; i < sizeof(out[0]); i++)
		FUZZ_CHECK(guard[i] == 0xA5);
	return 0;
}
