/* SPDX-License-Identifier: MIT */
/* codec_io_queue.c - the load-miss IO queue: 64 slots of 8 words. */
#include "internal.h"

#define MKRT__IO_QUEUE_WORDS (MKRT_IO_SLOTS * MKRT_IO_WORDS)

size_t mkrt_io_queue_byte_len(void)
{
	return (size_t)MKRT__IO_QUEUE_WORDS * 4u;
}

int mkrt_encode_empty_io_queue_into(uint8_t *buf, size_t len)
{
	int err = mkrt__words_check(buf, len, MKRT__IO_QUEUE_WORDS);

	if (err)
		return err;
	memset(buf, 0, mkrt_io_queue_byte_len());
	return 0;
}

int mkrt_encode_empty_io_queue(uint8_t **out, size_t *len)
{
	if (!out || !len)
		return MKRT_EINVAL;
	return mkrt__alloc_zeroed(mkrt_io_queue_byte_len(), out, len);
}

static bool mkrt__io_op_known(uint32_t op)
{
	return op >= MKRT_IO_OP_READ && op <= MKRT_IO_OP_FENCE;
}

static bool mkrt__io_status_known(uint32_t st)
{
	return st <= MKRT_IO_DONE || st == MKRT_IO_OK || st == MKRT_IO_ERROR;
}

/* Check the queue and the index; *@off gets the IO slot's byte offset. */
static int mkrt__io_slot(const uint8_t *buf, size_t len, uint32_t index, size_t *off)
{
	int err = mkrt__words_check(buf, len, MKRT__IO_QUEUE_WORDS);

	if (err)
		return err;
	if (index >= MKRT_IO_SLOTS)
		return MKRT_ERANGE;
	*off = (size_t)index * MKRT_IO_WORDS * 4u;
	return 0;
}

int mkrt_encode_io_request(uint8_t *buf, size_t len, uint32_t index,
			   const struct mkrt_io_request *req)
{
	size_t off;
	int err;

	if (!req)
		return MKRT_EINVAL;
	err = mkrt__io_slot(buf, len, index, &off);
	if (err)
		return err;
	if (!mkrt__io_op_known(req->op) || !mkrt__io_status_known(req->status))
		return MKRT_EMALFORMED;
	uint8_t *p = buf + off;
	mkrt__put_le32(p + MKRT_IO_OP * 4u, req->op);
	mkrt__put_le32(p + MKRT_IO_SRC * 4u, req->src);
	mkrt__put_le32(p + MKRT_IO_DST * 4u, req->dst);
	mkrt__put_le32(p + MKRT_IO_OFFSET_LO * 4u, (uint32_t)req->offset);
	mkrt__put_le32(p + MKRT_IO_OFFSET_HI * 4u, (uint32_t)(req->offset >> 32));
	mkrt__put_le32(p + MKRT_IO_BYTES * 4u, req->bytes);
	mkrt__put_le32(p + MKRT_IO_STATUS * 4u, req->status);
	mkrt__put_le32(p + MKRT_IO_TAG * 4u, req->tag);
	return 0;
}

int mkrt_decode_io_request(const uint8_t *buf, size_t len, uint32_t index,
			   struct mkrt_io_request *out)
{
	struct mkrt_io_request r;
	size_t off;
	int err;

	if (!out)
		return MKRT_EINVAL;
	err = mkrt__io_slot(buf, len, index, &off);
	if (err)
		return err;
	const uint8_t *p = buf + off;
	r.op = mkrt__get_le32(p + MKRT_IO_OP * 4u);
	r.src = mkrt__get_le32(p + MKRT_IO_SRC * 4u);
	r.dst = mkrt__get_le32(p + MKRT_IO_DST * 4u);
	r.offset = (uint64_t)mkrt__get_le32(p + MKRT_IO_OFFSET_HI * 4u) << 32 |
		   mkrt__get_le32(p + MKRT_IO_OFFSET_LO * 4u);
	r.bytes = mkrt__get_le32(p + MKRT_IO_BYTES * 4u);
	r.status = mkrt__get_le32(p + MKRT_IO_STATUS * 4u);
	r.tag = mkrt__get_le32(p + MKRT_IO_TAG * 4u);
	if (!mkrt__io_status_known(r.status))
		return MKRT_EMALFORMED;
	if (r.status != MKRT_IO_EMPTY && !mkrt__io_op_known(r.op))
		return MKRT_EMALFORMED;
	*out = r;
	return 0;
}
