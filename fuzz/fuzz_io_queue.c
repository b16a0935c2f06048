/* SPDX-License-Identifier: MIT */
/*
 * fuzz_io_queue.c - the IO-queue decoder on arbitrary bytes and any index;
 * a request that decodes encodes into a fresh queue and decodes the same.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	uint32_t index = fuzz_u32(&in) % (MKRT_IO_SLOTS + 2); /* past the end too */
	struct mkrt_io_request req, again;
	uint8_t *fresh;
	size_t len;

	memset(&req, 0x5A, sizeof(req));
	int err = mkrt_decode_io_request(in.p, in.left, index, &req);
	FUZZ_CHECK(err <= 0);
	FUZZ_CHECK(err || index < MKRT_IO_SLOTS);
	if (err)
		return 0;
	if (mkrt_encode_empty_io_queue(&fresh, &len))
		return 0;
	err = mkrt_encode_io_request(fresh, len, index, &req);
	if (!err) {
		FUZZ_CHECK(mkrt_decode_io_request(fresh, len, index, &again) == 0);
		FUZZ_CHECK(again.op == req.op && again.src == req.src && again.dst == req.dst &&
			   again.offset == req.offset && again.bytes == req.bytes &&
			   again.status == req.status && again.tag == req.tag);
	}
	free(fresh);
	return 0;
}
