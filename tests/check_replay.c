/* SPDX-License-Identifier: MIT */
/*
 * check_replay.c - captures and replay: the format's validation, and random
 * captures covering every opcode, FAULT case and tenant case replayed with
 * --serial on host and on svm, which must give byte-identical captures.
 */
#include "suite.h"
#include "device.h"

#define TIMEOUT_MS 30000u

static uint64_t rng;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? (uint32_t)(rng % n) : 0;
}

/* An index that is sometimes in range, sometimes just out, sometimes huge;
 * never MKRT_CTL_YIELD, which the device backends own. */
static uint32_t rnd_index(uint32_t W)
{
	uint32_t v;
	switch (rnd(6)) {
	case 0:
		v = W + rnd(4);
		break;
	case 1:
		v = 0xFFFFFFFFu - rnd(3);
		break;
	case 2:
		v = rnd(MKRT_CTL_OBS);
		break;
	default:
		v = MKRT_CTL_OBS + rnd(W - MKRT_CTL_OBS);
	}
	return v == MKRT_CTL_YIELD ? v + 1 : v;
}

static void random_slot(uint32_t *w, uint32_t W, uint32_t s, uint32_t slots)
{
	static const uint32_t ops[] = { 0, 1, 2, 3, 4, 5, 6, 7, MKRT_OP_PACKED_SLOT, MKRT_OP_PRINTF,
					MKRT_OP_LOAD_MISS, 9, 31, 0x1234, 0xFFF7, 0x80000005u };
	static const uint32_t statuses[] = { MKRT_STATUS_PUBLISHED, MKRT_STATUS_PUBLISHED,
					     MKRT_STATUS_PUBLISHED, MKRT_STATUS_PUBLISHED,
					     MKRT_STATUS_EMPTY, MKRT_STATUS_DONE, MKRT_STATUS_FAULT,
					     MKRT_STATUS_CLAIMED };
	memset(w, 0, MKRT_SLOT_BYTES);
	w[0] = statuses[rnd(8)];
	w[1] = ops[rnd(sizeof(ops) / sizeof(ops[0]))];
	if (s == slots - 1 - rnd(slots) && rnd(4) == 0)
		w[1] = MKRT_OP_SHUTDOWN;
	w[2] = rnd(10) == 0 ? 0xFFFFFFFFu : rnd(6);
	w[3] = rnd(4);
	for (uint32_t i = 4; i < 16; i++)
		w[i] = rnd(1000);
	if (w[1] <= MKRT_OP_BATCH_FENCE) {
		w[4] = rnd(2) ? rnd_index(W) : rnd(64);
		w[5] = rnd(2) ? rnd_index(W) : rnd(W - MKRT_CTL_OBS + 2);
		w[6] = w[1] == MKRT_OP_MEMCPY ? rnd(8) : rnd(1000);
		if (w[1] == MKRT_OP_DFA_STEP) {
			w[4] = rnd(3);
			w[5] = rnd(260);
			w[6] = rnd(W - MKRT_CTL_OBS + 1);
		}
		if ((w[1] == MKRT_OP_MEMCPY || w[1] == MKRT_OP_STORE_U32 || w[1] == MKRT_OP_ATOMIC_ADD) &&
		    w[5] <= MKRT_CTL_YIELD && w[5] + w[6] > MKRT_CTL_YIELD)
			w[5] = MKRT_CTL_YIELD + 1;
	} else if (w[1] == MKRT_OP_PACKED_SLOT) {
		struct mkrt_packed_op p[3];
		uint32_t n = 1 + rnd(3);
		for (uint32_t k = 0; k < n; k++) {
			p[k].opcode = rnd(4) == 0 ? MKRT_OP_STORE_U32 : rnd(MKRT_OP_LOAD_U32 + 1);
			p[k].args[0] = rnd(1000);
			p[k].args[1] = rnd(3) == 0 ? rnd_index(W) : MKRT_CTL_OBS + rnd(W - MKRT_CTL_OBS);
			p[k].args[2] = rnd(10);
		}
		mkrt_encode_packed(p, n, w + 4);
		if (rnd(5) == 0)
			w[4] = (w[4] & ~0xffu) | (MKRT_PACKED_MAX_OPS + 1); /* malformed */
		if (rnd(5) == 0)
			w[4] |= 9u << 16; /* an inner opcode that is not a builtin */
	}
}

static void random_capture(struct mkrt_capture *c, uint64_t seed)
{
	rng = seed * 0x9E3779B97F4A7C15ull + 7;
	uint32_t slots = 8 + rnd(57), W = MKRT_CTL_OBS + 16 + rnd(48);
	ck_assert_err(mkrt_capture_alloc(c, slots, W, 1 + 4 * 8, MKRT_IO_SLOTS * MKRT_IO_WORDS, 3 * 256), 0);
	for (uint32_t i = 0; i < W; i++)
		c->control[i] = rnd(3) ? 0 : rnd(100);
	c->control[MKRT_CTL_SHUTDOWN] = 0;
	c->control[MKRT_CTL_YIELD] = 0;
	c->control[MKRT_CTL_TENANT_BASE] = 3 + rnd(4);
	for (uint32_t t = MKRT_CTL_TENANT_FIRST; t <= MKRT_CTL_TENANT_LAST; t++)
		c->control[t] = rnd(4) != 0;
	for (uint32_t i = 0; i < c->dfa_words; i++)
		c->dfa[i] = rnd(0xFFFFFF);
	for (uint32_t s = 0; s < slots; s++)
		random_slot(c->ring + s * MKRT_SLOT_WORDS, W, s, slots);
	c->io[6] = MKRT_IO_OK; /* IO words ride along untouched */
}

static int replay_bytes(const char *backend, const struct mkrt_capture *in, uint8_t **out,
			size_t *len)
{
	struct mkrt_capture res;
	int err = mkrt_replay(backend, true, in, TIMEOUT_MS, &res);
	if (err)
		return err;
	err = mkrt_capture_encode(&res, out, len);
	mkrt_capture_free(&res);
	return err;
}

START_TEST(serial_replay_is_identical_on_host_and_svm)
{
	uint32_t fault_reasons = 0, statuses = 0, ops_done = 0;
	uint32_t denied = 0;

	for (uint64_t seed = 1; seed <= 40; seed++) {
		struct mkrt_capture in, out;
		uint8_t *a = NULL, *b = NULL;
		size_t alen = 0, blen = 0;

		random_capture(&in, seed);
		int err = replay_bytes("host", &in, &a, &alen);
		ck_assert_msg(err == 0, "seed %llu host: %s %s", (unsigned long long)seed,
			      mkrt_err_name(err), mkrt_last_detail());
		err = replay_bytes("svm", &in, &b, &blen);
		ck_assert_msg(err == 0, "seed %llu svm: %s %s", (unsigned long long)seed,
			      mkrt_err_name(err), mkrt_last_detail());
		ck_assert_msg(alen == blen && memcmp(a, b, alen) == 0,
			      "seed %llu: serial replays differ between host and svm",
			      (unsigned long long)seed);

		/* what the captures covered */
		ck_assert_err(mkrt_capture_decode(a, alen, &out), 0);
		for (uint32_t s = 0; s < out.slot_count; s++) {
			const uint32_t *w = out.ring + s * MKRT_SLOT_WORDS;
			const uint32_t *o = in.ring + s * MKRT_SLOT_WORDS;
			statuses |= 1u << (w[0] & 7);
			if (w[0] == MKRT_STATUS_FAULT && o[0] == MKRT_STATUS_PUBLISHED)
				fault_reasons |= 1u << (w[15] & 31);
			if (w[0] == MKRT_STATUS_DONE && o[0] == MKRT_STATUS_PUBLISHED && w[1] < 32)
				ops_done |= 1u << w[1];
			denied += w[0] == MKRT_STATUS_PUBLISHED;
		}
		mkrt_capture_free(&out);
		mkrt_capture_free(&in);
		free(a);
		free(b);
	}
	/* every builtin completed somewhere, every device fault reason occurred */
	ck_assert_msg((ops_done & 0xFF) == 0xFF, "builtins done: %#x", ops_done);
	uint32_t want = 1u << MKRT_FAULT_UNKNOWN_OPCODE | 1u << MKRT_FAULT_OUT_OF_RANGE |
			1u << MKRT_FAULT_PACKED | 1u << MKRT_FAULT_NO_IO;
	ck_assert_msg((fault_reasons & want) == want, "fault reasons seen: %#x", fault_reasons);
	ck_assert_uint_gt(denied, 0);
	printf("40 random captures: serial replays identical on host and svm "
	       "(builtins done %#x, fault reasons %#x, statuses %#x, %u left PUBLISHED)\n",
	       ops_done, fault_reasons, statuses, denied);
}
END_TEST

/* An executor counts a slot in DONE_COUNT after its DONE: in a serial
 * replay every slot must still see every slot before it counted, and the
 * final state must hold the last one's count. 64 slots each copy
 * DONE_COUNT into their own observable word. */
enum { COUNT_SLOTS = 64 };

/* COUNT_SLOTS published slots, each copying DONE_COUNT (1000 at the
 * capture) into an observable word of its own. */
static void counting_capture(struct mkrt_capture *in)
{
	ck_assert_err(mkrt_capture_alloc(in, COUNT_SLOTS, MKRT_CTL_OBS + COUNT_SLOTS, 0, 0, 0), 0);
	in->control[MKRT_CTL_DONE_COUNT] = 1000;
	in->control[MKRT_CTL_TENANT_BASE] = MKRT_CTL_TENANT_FIRST; /* tenant 0 ... */
	in->control[MKRT_CTL_TENANT_FIRST] = 1;                    /* ... authorized */
	for (uint32_t s = 0; s < COUNT_SLOTS; s++) {
		uint32_t *w = in->ring + s * MKRT_SLOT_WORDS;
		w[MKRT_SLOT_STATUS] = MKRT_STATUS_PUBLISHED;
		w[MKRT_SLOT_OPCODE] = MKRT_OP_LOAD_U32;
		w[MKRT_SLOT_ARG0] = MKRT_CTL_DONE_COUNT;
		w[MKRT_SLOT_ARG0 + 1] = s;
	}
}

START_TEST(serial_replay_sees_every_count)
{
	struct mkrt_capture in, out;

	counting_capture(&in);
	for (int b = 0; b < 2; b++) {
		int err = mkrt_replay(b ? "svm" : "host", true, &in, TIMEOUT_MS, &out);
		ck_assert_msg(err == 0, "%s: %s %s", b ? "svm" : "host", mkrt_err_name(err), mkrt_last_detail());
		for (uint32_t s = 0; s < COUNT_SLOTS; s++)
			ck_assert_uint_eq(out.control[MKRT_CTL_OBS + s], 1000 + s);
		ck_assert_uint_eq(out.control[MKRT_CTL_DONE_COUNT], 1000 + COUNT_SLOTS);
		mkrt_capture_free(&out);
	}
	mkrt_capture_free(&in);
}
END_TEST

/* A concurrent replay's dump is taken once the ring is quiet, and an
 * executor counts a slot after its DONE: the dump must still hold every
 * count, and SHUTDOWN as the slots left it (the executors' stop raises it). */
START_TEST(concurrent_replay_holds_every_count)
{
	struct mkrt_capture in, out;

	counting_capture(&in);
	for (int b = 0; b < 2; b++) {
		int err = mkrt_replay(b ? "svm" : "host", false, &in, TIMEOUT_MS, &out);
		ck_assert_msg(err == 0, "%s: %s %s", b ? "svm" : "host", mkrt_err_name(err), mkrt_last_detail());
		for (uint32_t s = 0; s < COUNT_SLOTS; s++) {
			ck_assert_uint_eq(out.ring[s * MKRT_SLOT_WORDS + MKRT_SLOT_STATUS], MKRT_STATUS_DONE);
			ck_assert_uint_lt(out.control[MKRT_CTL_OBS + s], 1000 + COUNT_SLOTS);
		}
		ck_assert_uint_eq(out.control[MKRT_CTL_DONE_COUNT], 1000 + COUNT_SLOTS);
		ck_assert_uint_eq(out.control[MKRT_CTL_SHUTDOWN], 0);
		mkrt_capture_free(&out);
	}
	mkrt_capture_free(&in);
}
END_TEST

START_TEST(concurrent_replay_reaches_quiescence)
{
	struct mkrt_capture in, out;

	random_capture(&in, 99);
	for (int b = 0; b < 2; b++) {
		int err = mkrt_replay(b ? "svm" : "host", false, &in, TIMEOUT_MS, &out);
		ck_assert_msg(err == 0, "%s: %s %s", b ? "svm" : "host", mkrt_err_name(err), mkrt_last_detail());
		ck_assert_uint_eq(out.slot_count, in.slot_count);
		mkrt_capture_free(&out);
	}
	mkrt_capture_free(&in);
}
END_TEST

START_TEST(malformed_captures_are_refused)
{
	struct mkrt_capture in, out;
	uint8_t *bytes;
	size_t len;

	random_capture(&in, 5);
	ck_assert_err(mkrt_capture_encode(&in, &bytes, &len), 0);
	memset(&out, 0x5A, sizeof(out));
	struct mkrt_capture untouched = out;
	ck_assert_err(mkrt_capture_decode(bytes, len - 4, &out), MKRT_ECAPTURE);
	ck_assert_ptr_nonnull(strstr(mkrt_last_detail(), "bytes follow"));
	ck_assert_err(mkrt_capture_decode(bytes, 31, &out), MKRT_ECAPTURE);
	bytes[0] = 'X';
	ck_assert_err(mkrt_capture_decode(bytes, len, &out), MKRT_ECAPTURE);
	bytes[0] = 'M';
	bytes[8] = 0; /* slot_count 0 (low byte of a count below 256) */
	bytes[9] = bytes[10] = bytes[11] = 0;
	ck_assert_err(mkrt_capture_decode(bytes, len, &out), MKRT_ECAPTURE);
	ck_assert_err(mkrt_capture_decode(NULL, len, &out), MKRT_EINVAL);
	ck_assert_mem_eq(&out, &untouched, sizeof(out));
	free(bytes);

	ck_assert_err(mkrt_capture_alloc(&out, 4, 100, 0, 0, 0), MKRT_ECAPTURE);  /* control too small */
	ck_assert_err(mkrt_capture_alloc(&out, 4, 200, 7, 0, 0), MKRT_ECAPTURE);  /* debug not 1+4n */
	ck_assert_err(mkrt_capture_alloc(&out, 4, 200, 0, 500, 0), MKRT_ECAPTURE); /* io not 512 */
	ck_assert_err(mkrt_capture_alloc(&out, MKRT_MAX_ENTRIES + 1, 200, 0, 0, 0), MKRT_ECAPTURE);

	/* the round trip itself is exact */
	ck_assert_err(mkrt_capture_encode(&in, &bytes, &len), 0);
	ck_assert_err(mkrt_capture_decode(bytes, len, &out), 0);
	ck_assert_uint_eq(out.slot_count, in.slot_count);
	ck_assert_mem_eq(out.control, in.control,
			 ((size_t)in.control_words + in.slot_count * 16 + in.debug_words + in.io_words +
			  in.dfa_words) * 4);
	ck_assert_mem_eq(bytes, MKRT_CAPTURE_MAGIC, 8);
	free(bytes);
	mkrt_capture_free(&out);
	mkrt_capture_free(&in);
}
END_TEST

int main(void)
{
	mkrt_require_opencl_or_skip();
	Suite *s = suite_create("replay");
	TCase *fmt = mkrt_tcase(s, "format", 20);
	TCase *run = mkrt_tcase(s, "replay", 300);

	tcase_add_test(fmt, malformed_captures_are_refused);
	tcase_add_test(run, serial_replay_is_identical_on_host_and_svm);
	tcase_add_test(run, serial_replay_sees_every_count);
	tcase_add_test(run, concurrent_replay_reaches_quiescence);
	tcase_add_test(run, concurrent_replay_holds_every_count);
	return mkrt_run_suite(s);
}
