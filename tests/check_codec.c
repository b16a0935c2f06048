/* SPDX-License-Identifier: MIT */
/*
 * check_codec.c - golden vectors, round trips and error paths of the wire
 * codec. Every error test checks the code and that outputs were untouched.
 */
#include "suite.h"

#include <stdint.h>

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- golden vectors ------------------------------------------------------- */

START_TEST(golden_encode_load_miss_123_true)
{
	static const uint8_t want[64] = {
		0x01, 0x00, 0x00, 0x00, /* STATUS = PUBLISHED */
		0xFD, 0xFF, 0x00, 0x00, /* OPCODE = LOAD_MISS 0xFFFD */
		0x00, 0x00, 0x00, 0x00, /* TENANT */
		0x00, 0x00, 0x00, 0x00, /* PRIORITY */
		0x7B, 0x00, 0x00, 0x00, /* ARG0 = 123 */
		0x01, 0x00, 0x00, 0x00, /* ARG1 = prefetch */
		/* ARG2..ARG11 = 0 */
	};
	uint8_t out[64];

	memset(out, 0xEE, sizeof(out));
	ck_assert_err(mkrt_encode_load_miss(123, true, out), 0);
	ck_assert_mem_eq(out, want, 64);

	ck_assert_err(mkrt_encode_load_miss(0xFFFFFFFFu, false, out), 0);
	ck_assert_uint_eq(get32(out + 16), 0xFFFFFFFFu);
	ck_assert_uint_eq(get32(out + 20), 0);
}
END_TEST

START_TEST(golden_decode_hand_laid_ring)
{
	uint8_t ring[3 * 64] = { 0 };
	uint32_t id = 0x1111;
	bool pf = false;

	/* slot 2 laid out by hand per DESIGN §2, prefetch word 7 (vyre: != 0) */
	put32(ring + 128 + 0, 1);
	put32(ring + 128 + 4, 0xFFFD);
	put32(ring + 128 + 16, 0xDEADBEEF);
	put32(ring + 128 + 20, 7);
	ck_assert_err(mkrt_decode_load_miss(ring, sizeof(ring), 2, &id, &pf), 0);
	ck_assert_uint_eq(id, 0xDEADBEEF);
	ck_assert(pf);

	put32(ring + 128 + 20, 0);
	ck_assert_err(mkrt_decode_load_miss(ring, sizeof(ring), 2, &id, &pf), 0);
	ck_assert(!pf);

	/* slot 1 holds NOP: not a load miss, outputs untouched */
	id = 42;
	pf = true;
	ck_assert_err(mkrt_decode_load_miss(ring, sizeof(ring), 1, &id, &pf), MKRT_ENOTLOADMISS);
	ck_assert_uint_eq(id, 42);
	ck_assert(pf);

	struct mkrt_slot s;
	ck_assert_err(mkrt_decode_slot(ring, sizeof(ring), 2, &s), 0);
	ck_assert_uint_eq(s.status, MKRT_STATUS_PUBLISHED);
	ck_assert_uint_eq(s.opcode, MKRT_OP_LOAD_MISS);
	ck_assert_uint_eq(s.args[0], 0xDEADBEEF);
}
END_TEST

START_TEST(load_miss_errors_leave_outputs)
{
	uint8_t ring[2 * 64] = { 0 };
	uint32_t id = 9;
	bool pf = true;

	ck_assert_err(mkrt_encode_load_miss(1, true, NULL), MKRT_EINVAL);
	ck_assert_err(mkrt_decode_load_miss(NULL, 64, 0, &id, &pf), MKRT_EINVAL);
	ck_assert_err(mkrt_decode_load_miss(ring, sizeof(ring), 0, NULL, &pf), MKRT_EINVAL);
	ck_assert_err(mkrt_decode_load_miss(ring, 60, 0, &id, &pf), MKRT_EALIGN);
	ck_assert_err(mkrt_decode_load_miss(ring, 0, 0, &id, &pf), MKRT_EINVAL);
	ck_assert_err(mkrt_decode_load_miss(ring, sizeof(ring), 2, &id, &pf), MKRT_ERANGE);
	ck_assert_err(mkrt_decode_load_miss(ring, sizeof(ring), UINT32_MAX, &id, &pf), MKRT_ERANGE);
	ck_assert_uint_eq(id, 9);
	ck_assert(pf);
}
END_TEST

/* ---- rings and slots ------------------------------------------------------ */

START_TEST(ring_lengths_and_limits)
{
	size_t len = 77;
	uint8_t *ring = (uint8_t *)&len; /* must stay untouched on refusal */

	ck_assert_err(mkrt_ring_byte_len(0, &len), MKRT_EINVAL);
	ck_assert_err(mkrt_ring_byte_len(MKRT_MAX_ENTRIES + 1, &len), MKRT_ETOOBIG);
	ck_assert_uint_eq(len, 77);
	ck_assert_err(mkrt_ring_byte_len(MKRT_MAX_ENTRIES, &len), 0);
	ck_assert_uint_eq(len, (size_t)MKRT_MAX_ENTRIES * 64);

	len = 77;
	ck_assert_err(mkrt_encode_empty_ring(MKRT_MAX_ENTRIES + 1, &ring, &len), MKRT_ETOOBIG);
	ck_assert_ptr_eq(ring, (uint8_t *)&len);
	ck_assert_uint_eq(len, 77);
	ck_assert_err(mkrt_encode_empty_ring(UINT32_MAX, &ring, &len), MKRT_ETOOBIG);
	ck_assert_err(mkrt_encode_empty_ring(4, NULL, &len), MKRT_EINVAL);

	ck_assert_err(mkrt_ring_slot_count(128), 2);
	ck_assert_err(mkrt_ring_slot_count(100), MKRT_EALIGN);
	ck_assert_err(mkrt_ring_slot_count(((size_t)MKRT_MAX_ENTRIES + 1) * 64), MKRT_ETOOBIG);
}
END_TEST

START_TEST(empty_ring_round_trip)
{
	uint8_t *ring = NULL;
	size_t len = 0;
	struct mkrt_slot s;

	ck_assert_err(mkrt_encode_empty_ring(8, &ring, &len), 0);
	ck_assert_uint_eq(len, 8 * 64);
	for (uint32_t i = 0; i < 8; i++) {
		ck_assert_err(mkrt_decode_slot(ring, len, i, &s), 0);
		ck_assert_uint_eq(s.status, MKRT_STATUS_EMPTY);
	}
	ck_assert_err(mkrt_count_done(ring, len), 0);
	put32(ring + 3 * 64, MKRT_STATUS_DONE);
	put32(ring + 5 * 64, MKRT_STATUS_DONE);
	put32(ring + 6 * 64, MKRT_STATUS_FAULT);
	ck_assert_err(mkrt_count_done(ring, len), 2);

	memset(ring, 0xAB, len);
	ck_assert_err(mkrt_encode_empty_ring_into(ring, len), 8);
	ck_assert_err(mkrt_count_done(ring, len), 0);
	ck_assert_err(mkrt_encode_empty_ring_into(ring, len - 4), MKRT_EALIGN);
	ck_assert_uint_eq(ring[0], 0); /* untouched by the refused call */
	free(ring);
}
END_TEST

START_TEST(slot_round_trip)
{
	struct mkrt_slot in = { 3, 0x1234, 7, 2, { 0 } }, out;
	uint8_t bytes[64], ring[4 * 64] = { 0 };

	for (uint32_t i = 0; i < MKRT_SLOT_ARGS; i++)
		in.args[i] = 0x01010101u * (i + 1);
	ck_assert_err(mkrt_encode_slot(&in, bytes), 0);
	ck_assert_uint_eq(get32(bytes + 4), 0x1234);
	ck_assert_uint_eq(get32(bytes + 60), 0x0C0C0C0Cu);
	memcpy(ring + 3 * 64, bytes, 64);
	ck_assert_err(mkrt_decode_slot(ring, sizeof(ring), 3, &out), 0);
	ck_assert_mem_eq(&in, &out, sizeof(in));

	memset(&out, 0x5A, sizeof(out));
	struct mkrt_slot copy = out;
	ck_assert_err(mkrt_decode_slot(ring, sizeof(ring), 4, &out), MKRT_ERANGE);
	ck_assert_err(mkrt_decode_slot(ring, 65, 0, &out), MKRT_EALIGN);
	ck_assert_err(mkrt_decode_slot(ring, sizeof(ring), 0, NULL), MKRT_EINVAL);
	ck_assert_mem_eq(&out, &copy, sizeof(out));
	ck_assert_err(mkrt_encode_slot(NULL, bytes), MKRT_EINVAL);
}
END_TEST

/* ---- control buffer ------------------------------------------------------- */

START_TEST(control_default_round_trip)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	struct mkrt_control_view v;
	uint32_t obs = 1;

	ck_assert_err(mkrt_encode_control(NULL, 16, &buf, &len), 0);
	ck_assert_uint_eq(len, (160 + 16) * 4);
	ck_assert_err(mkrt_decode_control(buf, len, &v), 0);
	ck_assert_uint_eq(v.tenant_base, 3);
	ck_assert_uint_eq(v.tenant_masks[0], 1);
	ck_assert_uint_eq(v.tenant_masks[1], 0);
	ck_assert_uint_eq(v.version, MKRT_PROTOCOL_VERSION);
	ck_assert_uint_eq(v.observable_words, 16);
	ck_assert_uint_eq(v.done_count, 0);
	ck_assert_err(mkrt_tenant_authorized(buf, len, 0), 1);
	ck_assert_err(mkrt_tenant_authorized(buf, len, 1), 0);
	ck_assert_err(mkrt_tenant_authorized(buf, len, UINT32_MAX), 0);
	ck_assert_err(mkrt_read_observable(buf, len, 15, &obs), 0);
	ck_assert_uint_eq(obs, 0);
	free(buf);
}
END_TEST

START_TEST(control_config_round_trip)
{
	struct mkrt_control_config cfg;
	struct mkrt_control_view v;
	uint8_t buf[(160 + 4) * 4];

	mkrt_control_config_default(&cfg);
	cfg.tenant_base = 20;
	cfg.tenant_count = 3;
	cfg.tenant_masks[0] = 0xF;
	cfg.tenant_masks[1] = 0;
	cfg.tenant_masks[2] = 0x80000000u;
	for (uint32_t i = 0; i < 32; i++)
		cfg.quotas[i] = 100 + i;
	for (uint32_t i = 0; i < 6; i++)
		cfg.prio_offsets[i] = 10 * i;
	ck_assert_err(mkrt_encode_control_into(&cfg, buf, sizeof(buf)), 0);
	ck_assert_uint_eq(get32(buf + 2 * 4), 20);
	ck_assert_uint_eq(get32(buf + 22 * 4), 0x80000000u);
	ck_assert_err(mkrt_decode_control(buf, sizeof(buf), &v), 0);
	ck_assert_uint_eq(v.tenant_base, 20);
	ck_assert_uint_eq(v.tenant_masks[0], 0xF);
	ck_assert_uint_eq(v.tenant_masks[2], 0x80000000u);
	ck_assert_uint_eq(v.tenant_masks[12], 0); /* word 32 is past the tenant words */
	ck_assert_uint_eq(v.quotas[31], 131);
	ck_assert_uint_eq(v.prio_offsets[5], 50);
	ck_assert_uint_eq(v.observable_words, 4);
	ck_assert_err(mkrt_tenant_authorized(buf, sizeof(buf), 0), 1);
	ck_assert_err(mkrt_tenant_authorized(buf, sizeof(buf), 1), 0);
	ck_assert_err(mkrt_tenant_authorized(buf, sizeof(buf), 2), 1);
	ck_assert_err(mkrt_tenant_authorized(buf, sizeof(buf), 12), 0);

	/* live counters decode too */
	put32(buf + 1 * 4, 99);
	put32(buf + (96 + 5) * 4, 7);
	put32(buf + 128 * 4, 3);
	put32(buf + 142 * 4, 2);
	put32(buf + 163 * 4, 0xABCD);
	ck_assert_err(mkrt_decode_control(buf, sizeof(buf), &v), 0);
	ck_assert_uint_eq(v.done_count, 99);
	ck_assert_uint_eq(v.metrics[5], 7);
	ck_assert_uint_eq(v.epoch, 3);
	ck_assert_uint_eq(v.fault_count, 2);
	uint32_t obs;
	ck_assert_err(mkrt_read_observable(buf, sizeof(buf), 3, &obs), 0);
	ck_assert_uint_eq(obs, 0xABCD);
}
END_TEST

START_TEST(control_errors_leave_buffer)
{
	struct mkrt_control_config cfg;
	uint8_t buf[(160 + 4) * 4], copy[sizeof(buf)];
	struct mkrt_control_view v, vcopy;
	uint32_t obs = 5;
	size_t len = 3;

	memset(buf, 0xAA, sizeof(buf));
	memcpy(copy, buf, sizeof(buf));
	mkrt_control_config_default(&cfg);
	cfg.tenant_base = 30;
	cfg.tenant_count = 3; /* masks at 30, 31, 32: 32 is out */
	ck_assert_err(mkrt_encode_control_into(&cfg, buf, sizeof(buf)), MKRT_ERANGE);
	cfg.tenant_base = 2; /* word 2 is the base itself */
	ck_assert_err(mkrt_encode_control_into(&cfg, buf, sizeof(buf)), MKRT_ERANGE);
	cfg.tenant_base = UINT32_MAX;
	cfg.tenant_count = 2;
	ck_assert_err(mkrt_encode_control_into(&cfg, buf, sizeof(buf)), MKRT_ERANGE);
	cfg.tenant_base = 3;
	cfg.tenant_count = 30;
	ck_assert_err(mkrt_encode_control_into(&cfg, buf, sizeof(buf)), MKRT_ERANGE);
	ck_assert_err(mkrt_encode_control_into(NULL, buf, 160 * 4), MKRT_ESHORT);
	ck_assert_err(mkrt_encode_control_into(NULL, buf, sizeof(buf) - 1), MKRT_EALIGN);
	ck_assert_err(mkrt_encode_control_into(NULL, NULL, sizeof(buf)), MKRT_EINVAL);
	ck_assert_mem_eq(buf, copy, sizeof(buf));

	memset(&v, 0x11, sizeof(v));
	vcopy = v;
	ck_assert_err(mkrt_decode_control(buf, 100, &v), MKRT_ESHORT);
	ck_assert_err(mkrt_decode_control(buf, 161 * 4 + 2, &v), MKRT_EALIGN);
	ck_assert_err(mkrt_decode_control(buf, sizeof(buf), NULL), MKRT_EINVAL);
	ck_assert_mem_eq(&v, &vcopy, sizeof(v));
	ck_assert_err(mkrt_read_observable(buf, sizeof(buf), 4, &obs), MKRT_ERANGE);
	ck_assert_err(mkrt_read_observable(buf, sizeof(buf), UINT32_MAX, &obs), MKRT_ERANGE);
	ck_assert_uint_eq(obs, 5);

	ck_assert_err(mkrt_control_byte_len(0, &len), MKRT_EINVAL);
	ck_assert_err(mkrt_control_byte_len(MKRT_MAX_ENTRIES + 1, &len), MKRT_ETOOBIG);
	ck_assert_uint_eq(len, 3);
	uint8_t *out = NULL;
	ck_assert_err(mkrt_encode_control(NULL, MKRT_MAX_ENTRIES + 1, &out, &len), MKRT_ETOOBIG);
	ck_assert_ptr_null(out);
	cfg.tenant_base = 30;
	cfg.tenant_count = 3;
	ck_assert_err(mkrt_encode_control(&cfg, 4, &out, &len), MKRT_ERANGE);
	ck_assert_ptr_null(out);
}
END_TEST

/* ---- debug log ------------------------------------------------------------- */

START_TEST(debug_log_round_trip_and_overflow)
{
	uint8_t *log = NULL;
	size_t len = 0;
	struct mkrt_debug_record r[80];
	uint32_t count = 99, overflow = 99;

	ck_assert_err(mkrt_encode_empty_debug_log(64, &log, &len), 0);
	ck_assert_uint_eq(len, (1 + 64 * 4) * 4);
	ck_assert_err(mkrt_read_debug_log(log, len, r, 80, &count, &overflow), 0);
	ck_assert_uint_eq(count, 0);
	ck_assert_uint_eq(overflow, 0);

	put32(log, 8);
	for (uint32_t i = 0; i < 8; i++)
		put32(log + 4 + i * 4, 100 + i);
	ck_assert_err(mkrt_read_debug_log(log, len, r, 80, &count, &overflow), 2);
	ck_assert_uint_eq(r[0].fmt_id, 100);
	ck_assert_uint_eq(r[1].slot_word, 107);
	ck_assert_uint_eq(count, 2);

	put32(log, 70 * 4); /* 70 records written into 64 */
	ck_assert_err(mkrt_read_debug_log(log, len, r, 80, &count, &overflow), 64);
	ck_assert_uint_eq(count, 64);
	ck_assert_uint_eq(overflow, 6);

	put32(log, 5); /* a torn cursor: one whole record */
	ck_assert_err(mkrt_read_debug_log(log, len, r, 80, &count, &overflow), 1);
	put32(log, UINT32_MAX); /* saturated: never an error */
	ck_assert_err(mkrt_read_debug_log(log, len, r, 80, &count, &overflow), 64);
	ck_assert_uint_eq(overflow, UINT32_MAX / 4 - 64);
	ck_assert_err(mkrt_read_debug_log(log, len, r, 3, &count, &overflow), 3);
	ck_assert_err(mkrt_read_debug_log(log, len, NULL, 0, &count, NULL), 0);
	ck_assert_uint_eq(count, 64);
	free(log);
}
END_TEST

START_TEST(debug_log_errors)
{
	uint8_t buf[64] = { 0 };
	struct mkrt_debug_record r[2];
	uint32_t count = 7;
	size_t len = 5;
	uint8_t *out = NULL;

	ck_assert_err(mkrt_read_debug_log(NULL, 64, r, 2, &count, NULL), MKRT_EINVAL);
	ck_assert_err(mkrt_read_debug_log(buf, 6, r, 2, &count, NULL), MKRT_EALIGN);
	ck_assert_err(mkrt_read_debug_log(buf, 0, r, 2, &count, NULL), MKRT_ESHORT);
	ck_assert_err(mkrt_read_debug_log(buf, 64, NULL, 2, &count, NULL), MKRT_EINVAL);
	ck_assert_uint_eq(count, 7);
	ck_assert_err(mkrt_debug_log_byte_len(0, &len), MKRT_EINVAL);
	ck_assert_err(mkrt_debug_log_byte_len(MKRT_MAX_ENTRIES + 1, &len), MKRT_ETOOBIG);
	ck_assert_uint_eq(len, 5);
	ck_assert_err(mkrt_encode_empty_debug_log(MKRT_MAX_ENTRIES + 1, &out, &len), MKRT_ETOOBIG);
	ck_assert_ptr_null(out);
	ck_assert_err(mkrt_encode_empty_debug_log_into(buf, 8), MKRT_ESHORT);
	ck_assert_err(mkrt_encode_empty_debug_log_into(buf, sizeof(buf)), 3);
}
END_TEST

/* ---- IO queue --------------------------------------------------------------- */

START_TEST(io_queue_round_trip)
{
	uint8_t *q = NULL;
	size_t len = 0;
	struct mkrt_io_request in = {
		.op = MKRT_IO_OP_READ, .src = 77, .dst = 5, .offset = 0x123456789ull,
		.bytes = 4096, .status = MKRT_IO_PUBLISHED, .tag = 12,
	}, out;

	ck_assert_err(mkrt_encode_empty_io_queue(&q, &len), 0);
	ck_assert_uint_eq(len, 64 * 8 * 4);
	ck_assert_uint_eq(mkrt_io_queue_byte_len(), len);
	ck_assert_err(mkrt_decode_io_request(q, len, 63, &out), 0);
	ck_assert_uint_eq(out.status, MKRT_IO_EMPTY);

	ck_assert_err(mkrt_encode_io_request(q, len, 63, &in), 0);
	ck_assert_uint_eq(get32(q + (63 * 8 + 3) * 4), 0x23456789u);
	ck_assert_uint_eq(get32(q + (63 * 8 + 4) * 4), 0x1u);
	ck_assert_uint_eq(get32(q + (63 * 8 + 6) * 4), MKRT_IO_PUBLISHED);
	ck_assert_err(mkrt_decode_io_request(q, len, 63, &out), 0);
	ck_assert_uint_eq(out.op, in.op);
	ck_assert_uint_eq(out.src, in.src);
	ck_assert_uint_eq(out.dst, in.dst);
	ck_assert_uint_eq(out.offset, in.offset);
	ck_assert_uint_eq(out.bytes, in.bytes);
	ck_assert_uint_eq(out.status, in.status);
	ck_assert_uint_eq(out.tag, in.tag);

	in.status = MKRT_IO_ERROR;
	in.op = MKRT_IO_OP_FENCE;
	ck_assert_err(mkrt_encode_io_request(q, len, 0, &in), 0);
	ck_assert_err(mkrt_decode_io_request(q, len, 0, &out), 0);
	ck_assert_uint_eq(out.status, MKRT_IO_ERROR);
	ck_assert_err(mkrt_encode_empty_io_queue_into(q, len), 0);
	ck_assert_err(mkrt_decode_io_request(q, len, 0, &out), 0);
	ck_assert_uint_eq(out.op, 0);
	free(q);
}
END_TEST

START_TEST(io_queue_errors_leave_buffers)
{
	uint8_t q[64 * 8 * 4] = { 0 }, copy[sizeof(q)];
	struct mkrt_io_request in = { .op = MKRT_IO_OP_READ, .status = MKRT_IO_PUBLISHED }, out;
	struct mkrt_io_request ocopy;

	memcpy(copy, q, sizeof(q));
	ck_assert_err(mkrt_encode_io_request(q, sizeof(q), 64, &in), MKRT_ERANGE);
	ck_assert_err(mkrt_encode_io_request(q, sizeof(q) - 4, 0, &in), MKRT_ESHORT);
	ck_assert_err(mkrt_encode_io_request(q, sizeof(q) - 1, 0, &in), MKRT_EALIGN);
	ck_assert_err(mkrt_encode_io_request(q, sizeof(q), 0, NULL), MKRT_EINVAL);
	in.op = 9;
	ck_assert_err(mkrt_encode_io_request(q, sizeof(q), 0, &in), MKRT_EMALFORMED);
	in.op = MKRT_IO_OP_READ;
	in.status = 0x12;
	ck_assert_err(mkrt_encode_io_request(q, sizeof(q), 0, &in), MKRT_EMALFORMED);
	ck_assert_mem_eq(q, copy, sizeof(q));

	memset(&out, 0x33, sizeof(out));
	ocopy = out;
	put32(q + 6 * 4, 0x99); /* garbage status */
	ck_assert_err(mkrt_decode_io_request(q, sizeof(q), 0, &out), MKRT_EMALFORMED);
	put32(q + 6 * 4, MKRT_IO_PUBLISHED); /* published with op 0 */
	ck_assert_err(mkrt_decode_io_request(q, sizeof(q), 0, &out), MKRT_EMALFORMED);
	ck_assert_err(mkrt_decode_io_request(q, sizeof(q), 64, &out), MKRT_ERANGE);
	ck_assert_mem_eq(&out, &ocopy, sizeof(out));
	ck_assert_err(mkrt_encode_empty_io_queue_into(q, 100), MKRT_ESHORT);
}
END_TEST

/* ---- PACKED_SLOT ------------------------------------------------------------ */

START_TEST(packed_round_trip)
{
	struct mkrt_packed_op ops[3] = {
		{ MKRT_OP_STORE_U32, { 1, 2, 3 } },
		{ MKRT_OP_ATOMIC_ADD, { 4, 5, 6 } },
		{ MKRT_OP_NOP, { 7, 8, 9 } },
	}, back[MKRT_PACKED_MAX_OPS];
	uint32_t args[12];

	for (uint32_t n = 1; n <= 3; n++) {
		ck_assert_err(mkrt_encode_packed(ops, n, args), 0);
		ck_assert_uint_eq(args[0] & 0xff, n);
		ck_assert_uint_eq((args[0] >> 8) & 0xff, 3 * n);
		ck_assert_err(mkrt_decode_packed(args, back, MKRT_PACKED_MAX_OPS), (int)n);
		ck_assert_mem_eq(back, ops, n * sizeof(ops[0]));
	}
	/* n = 2: metadata is 6 bytes -> 2 words, op 0's args at words 2..4 */
	ck_assert_err(mkrt_encode_packed(ops, 2, args), 0);
	ck_assert_uint_eq(args[0], 2u | 6u << 8 | (uint32_t)MKRT_OP_STORE_U32 << 16 | 0u << 24);
	ck_assert_uint_eq(args[1], (uint32_t)MKRT_OP_ATOMIC_ADD | 3u << 8);
	ck_assert_uint_eq(args[2], 1);
	ck_assert_uint_eq(args[5], 4);
	ck_assert_err(mkrt_decode_packed(args, NULL, 0), 2);
	ck_assert_err(mkrt_decode_packed(args, back, 1), MKRT_ESHORT);
}
END_TEST

START_TEST(packed_limits)
{
	struct mkrt_packed_op ops[MKRT_PACKED_MAX_OPS + 1] = { 0 };
	uint32_t args[12], copy[12];

	memset(args, 0x77, sizeof(args));
	memcpy(copy, args, sizeof(args));
	ck_assert_err(mkrt_encode_packed(ops, 0, args), MKRT_EPACKED);
	ck_assert_err(mkrt_encode_packed(ops, 4, args), MKRT_EPACKED); /* 3 + 12 words */
	ck_assert_err(mkrt_encode_packed(ops, MKRT_PACKED_MAX_OPS + 1, args), MKRT_EPACKED);
	ops[0].opcode = 8;
	ck_assert_err(mkrt_encode_packed(ops, 1, args), MKRT_EPACKED);
	ck_assert_err(mkrt_encode_packed(NULL, 1, args), MKRT_EINVAL);
	ck_assert_mem_eq(args, copy, sizeof(args));

	/* hand-laid: 8 NOPs sharing one argument triple is the most allowed */
	memset(args, 0, sizeof(args));
	args[0] = 8u | 3u << 8;
	ck_assert_err(mkrt_decode_packed(args, ops, MKRT_PACKED_MAX_OPS), 8);
	args[0] = 9u | 3u << 8; /* one op past the limit */
	ck_assert_err(mkrt_decode_packed(args, ops, MKRT_PACKED_MAX_OPS), MKRT_EPACKED);
	args[0] = 1u | 3u << 8 | 1u << 24; /* offset 1 + 3 > 3 packed words */
	ck_assert_err(mkrt_decode_packed(args, ops, MKRT_PACKED_MAX_OPS), MKRT_EPACKED);
	args[0] = 1u | 12u << 8; /* 1 metadata + 12 words > 12 */
	ck_assert_err(mkrt_decode_packed(args, ops, MKRT_PACKED_MAX_OPS), MKRT_EPACKED);
	args[0] = 0;
	ck_assert_err(mkrt_decode_packed(args, ops, MKRT_PACKED_MAX_OPS), MKRT_EPACKED);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("codec");
	TCase *golden = mkrt_tcase(s, "golden", 10);
	TCase *ring = mkrt_tcase(s, "ring", 10);
	TCase *control = mkrt_tcase(s, "control", 10);
	TCase *log = mkrt_tcase(s, "debug_log", 10);
	TCase *io = mkrt_tcase(s, "io_queue", 10);
	TCase *packed = mkrt_tcase(s, "packed", 10);

	tcase_add_test(golden, golden_encode_load_miss_123_true);
	tcase_add_test(golden, golden_decode_hand_laid_ring);
	tcase_add_test(golden, load_miss_errors_leave_outputs);
	tcase_add_test(ring, ring_lengths_and_limits);
	tcase_add_test(ring, empty_ring_round_trip);
	tcase_add_test(ring, slot_round_trip);
	tcase_add_test(control, control_default_round_trip);
	tcase_add_test(control, control_config_round_trip);
	tcase_add_test(control, control_errors_leave_buffer);
	tcase_add_test(log, debug_log_round_trip_and_overflow);
	tcase_add_test(log, debug_log_errors);
	tcase_add_test(io, io_queue_round_trip);
	tcase_add_test(io, io_queue_errors_leave_buffers);
	tcase_add_test(packed, packed_round_trip);
	tcase_add_test(packed, packed_limits);
	return mkrt_run_suite(s);
}
