/* SPDX-License-Identifier: MIT */
/*
 * codec_debug_log.c - the PRINTF debug log.
 *
 * Word 0 is a cursor in words that saturates instead of wrapping; records
 * past the capacity are dropped and counted by how far the cursor ran past
 * the end. Decoding accepts any cursor value: overflow is data, not an error.
 */
#include "internal.h"

int mkrt_debug_log_byte_len(uint32_t records, size_t *len)
{
	if (!len || records == 0)
		return MKRT_EINVAL;
	if (records > MKRT_MAX_ENTRIES)
		return MKRT_ETOOBIG;
	*len = ((size_t)MKRT_LOG_FIRST + (size_t)records * MKRT_LOG_RECORD_WORDS) * 4u;
	return 0;
}

int mkrt_encode_empty_debug_log_into(uint8_t *buf, size_t len)
{
	int err = mkrt__words_check(buf, len, MKRT_LOG_FIRST + MKRT_LOG_RECORD_WORDS);

	if (err)
		return err;
	size_t records = (len / 4u - MKRT_LOG_FIRST) / MKRT_LOG_RECORD_WORDS;
	if (records > MKRT_MAX_ENTRIES)
		return MKRT_ETOOBIG;
	memset(buf, 0, len);
	return (int)records;
}

int mkrt_encode_empty_debug_log(uint32_t records, uint8_t **out, size_t *len)
{
	size_t bytes;
	int err;

	if (!out || !len)
		return MKRT_EINVAL;
	err = mkrt_debug_log_byte_len(records, &bytes);
	return err ? err : mkrt__alloc_zeroed(bytes, out, len);
}

int mkrt_read_debug_log(const uint8_t *buf, size_t len, struct mkrt_debug_record *out,
			size_t cap, uint32_t *count, uint32_t *overflow)
{
	int err = mkrt__words_check(buf, len, MKRT_LOG_FIRST);

	if (err)
		return err;
	if (!out && cap)
		return MKRT_EINVAL;

	uint32_t capacity = (uint32_t)((len / 4u - MKRT_LOG_FIRST) / MKRT_LOG_RECORD_WORDS);
	if (len / 4u - MKRT_LOG_FIRST > (size_t)MKRT_MAX_ENTRIES * MKRT_LOG_RECORD_WORDS)
		capacity = MKRT_MAX_ENTRIES;
	uint32_t written = mkrt__get_le32(buf + MKRT_LOG_CURSOR * 4u) / MKRT_LOG_RECORD_WORDS;
	uint32_t present = written < capacity ? written : capacity;
	uint32_t copied = present < cap ? present : (uint32_t)cap;

	for (uint32_t r = 0; r < copied; r++) {
		const uint8_t *p = buf + (MKRT_LOG_FIRST + (size_t)r * MKRT_LOG_RECORD_WORDS) * 4u;
		out[r].fmt_id = mkrt__get_le32(p);
		out[r].a1 = mkrt__get_le32(p + 4);
		out[r].a2 = mkrt__get_le32(p + 8);
		out[r].slot_word = mkrt__get_le32(p + 12);
	}
	if (count)
		*count = present;
	if (overflow)
		*overflow = written - present;
	return (int)copied;
}
