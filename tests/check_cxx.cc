// SPDX-License-Identifier: MIT
//
// check_cxx.cc - the public API from C++, as a C++ program uses it: the
// umbrella header included as it is installed, every call linked against
// the shared library by its C name (a missing extern "C" fails the link).
// The build compiles this file as C++11; tests/cxx_headers.sh compiles the
// headers alone as C++11 to C++20 and as C11.
#include <mkrt.h>

#include "suite.h"

#include <string>
#include <vector>

namespace {

const uint32_t counter = MKRT_CTL_OBS;

START_TEST(round_trip_from_cxx)
{
	mkrt_config cfg;
	mkrt_config_init(&cfg); // the automatic choice: svm on PoCL
	cfg.slots = 16;
	mkrt_runtime *rt = nullptr;
	int err = mkrt_runtime_open(&cfg, &rt);
	ck_assert_msg(err == 0, "open: %s %s", mkrt_err_name(err), mkrt_last_detail());

	std::vector<mkrt_ticket> tickets;
	for (uint32_t i = 0; i < 8; i++) {
		mkrt_slot add = {};
		add.opcode = MKRT_OP_ATOMIC_ADD;
		add.args[0] = i + 1;
		add.args[1] = counter;
		mkrt_ticket t;
		ck_assert_err(mkrt_submit(rt, &add, WAIT_MS, &t), 0);
		tickets.push_back(t);
	}
	for (const mkrt_ticket &t : tickets) {
		mkrt_slot done = {};
		ck_assert_err(mkrt_wait(rt, t, WAIT_MS, &done), 0);
		ck_assert_uint_eq(done.status, MKRT_STATUS_DONE);
	}
	uint32_t sum = 0;
	ck_assert_err(mkrt_runtime_read_control(rt, counter, 1, &sum), 0);
	ck_assert_uint_eq(sum, 36); // 1 + 2 + ... + 8, each exactly once
	ck_assert_msg(std::string(mkrt_runtime_backend(rt)).size() > 0, "no backend name");
	ck_assert_err(mkrt_runtime_stop(rt, WAIT_MS), 0);
	mkrt_runtime_close(rt);
}
END_TEST

// The raw ring, as liburing users drive theirs: mkrt_publish() into a slot,
// then an acquire poll of its STATUS (mkrt/barrier.h), no ticket API.
START_TEST(raw_ring_from_cxx)
{
	mkrt_config cfg;
	mkrt_config_init(&cfg);
	cfg.backend = "host"; // a ring the host addresses directly
	cfg.slots = 8;
	mkrt_runtime *rt = nullptr;
	ck_assert_err(mkrt_runtime_open(&cfg, &rt), 0);
	uint32_t *ring = nullptr;
	size_t words = 0;
	ck_assert_err(mkrt_runtime_ring(rt, &ring, &words), 0);
	ck_assert_uint_eq(words, 8 * MKRT_SLOT_WORDS);
	for (uint32_t i = 0; i < 100; i++) {
		mkrt_slot add = {};
		add.opcode = MKRT_OP_ATOMIC_ADD;
		add.args[0] = 1;
		add.args[1] = counter;
		uint32_t slot = i % 8;
		ck_assert_err(mkrt_publish(ring, words, slot, &add, 2), 0);
		while (mkrt_load_acquire(&ring[slot * MKRT_SLOT_WORDS + MKRT_SLOT_STATUS]) !=
		       MKRT_STATUS_DONE)
			; // the suite's timeout is the watchdog
	}
	uint32_t sum = 0;
	ck_assert_err(mkrt_runtime_read_control(rt, counter, 1, &sum), 0);
	ck_assert_uint_eq(sum, 100);
	ck_assert_err(mkrt_runtime_stop(rt, WAIT_MS), 0);
	mkrt_runtime_close(rt);
}
END_TEST

START_TEST(errors_from_cxx)
{
	mkrt_config cfg;
	mkrt_config_init(&cfg);
	ck_assert_err(mkrt_runtime_open(&cfg, nullptr), MKRT_EINVAL);
	cfg.backend = "no-such-backend";
	mkrt_runtime *rt = nullptr;
	ck_assert_err(mkrt_runtime_open(&cfg, &rt), MKRT_ENOBACKEND);
	ck_assert_ptr_null(rt);
	ck_assert_str_eq(mkrt_err_name(MKRT_EINVAL), "MKRT_EINVAL");
	ck_assert_err(mkrt_shm_name_valid("no-slash"), MKRT_ESHM);
	mkrt_shm_client *c = nullptr;
	ck_assert_err(mkrt_shm_client_open("/mkrt-cxx-no-such-server", &c), MKRT_ESHM);
	ck_assert_ptr_null(c);
	ck_assert_msg(std::string(mkrt_last_detail()).find("no server") != std::string::npos, "%s",
		      mkrt_last_detail());
}
END_TEST

} // namespace

int main()
{
	Suite *s = suite_create("cxx");
	TCase *tc = mkrt_tcase(s, "api", 120);

	tcase_add_test(tc, round_trip_from_cxx);
	tcase_add_test(tc, raw_ring_from_cxx);
	tcase_add_test(tc, errors_from_cxx);
	return mkrt_run_suite(s);
}
