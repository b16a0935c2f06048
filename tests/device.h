/* SPDX-License-Identifier: MIT */
/*
 * device.h - the skip policy of the device suites.
 *
 * A device suite may skip only on a machine with no OpenCL platform at all;
 * where PoCL is installed (CI) it must run, and a failing svm probe fails.
 * The check runs in a child process: after PoCL has built or run anything, a
 * forked child hangs on OpenCL, and Check forks every test from this process.
 */
#ifndef MKRT_TEST_DEVICE_H
#define MKRT_TEST_DEVICE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mkrt.h"
#include "runtime_priv.h" /* the gate: a control word, written as the runtime does */

#define MKRT_TEST_SKIP 77

/* Exit 77 when no OpenCL device exists; otherwise return. */
static inline void mkrt_require_opencl_or_skip(void)
{
	pid_t pid = fork();
	int status = 0;

	if (pid == 0)
		_exit(mkrt_device_count() > 0 ? 0 : 1);
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return; /* cannot tell: run, and let the tests say what is wrong */
	if (WEXITSTATUS(status) == 1) {
		printf("SKIP: no OpenCL platform (apt-get install pocl-opencl-icd)\n");
		exit(MKRT_TEST_SKIP);
	}
}

/*
 * The backends a device suite runs: @dflt (@n of them), or those
 * MKRT_TEST_BACKENDS names, comma-separated (tests/repro/device.sh runs the
 * suites on cuda on the GPU machine that way). Returns how many are in
 * @out (at most @max).
 */
static inline int mkrt_test_backends(const char *const *dflt, int n, const char **out, int max)
{
	static char names[256];
	const char *env = getenv("MKRT_TEST_BACKENDS");
	int k = 0;

	if (!env || !env[0]) {
		for (; k < n && k < max; k++)
			out[k] = dflt[k];
		return k;
	}
	snprintf(names, sizeof(names), "%s", env);
	for (char *save = NULL, *tok = strtok_r(names, ",", &save); tok && k < max;
	     tok = strtok_r(NULL, ",", &save))
		out[k++] = tok;
	return k;
}

/*
 * A user opcode "slow" that holds its lane until the test opens the gate
 * (mkrt_test_open_gate), or after args[0] << 8 atomic loads of the gate
 * word as a backstop: a kernel that does not stop when asked, for as long
 * as a test needs it, whatever the machine's speed or load. The gate is
 * C[MKRT_CTL_EVICTIONS], an mkrt word only copy's load misses move (these
 * tests make none). args[2] gets the gate's last value.
 */
static const char mkrt_test_slow_cl[] =
	"uint slow(uint op, __private uint *args, const struct mkrt_ctx *ctx)\n"
	"{\n"
	"\tuint seen = 0;\n"
	"\tfor (ulong i = 0; i < ((ulong)args[0] << 8) && !seen; i++)\n"
	"\t\tseen = mkrt_load_relaxed(ctx->io->evictions);\n"
	"\targs[2] = seen;\n"
	"\treturn 0;\n"
	"}\n";

/* Let every "slow" slot of @rt finish. */
static inline void mkrt_test_open_gate(struct mkrt_runtime *rt)
{
	static const uint32_t one = 1;

	ck_assert_int_eq(rt->ops.write_region(rt->state, MKRT__REGION_CONTROL, MKRT_CTL_EVICTIONS, 1, &one), 0);
}

/* Wait, with the suite's timeout as the watchdog, until a lane has claimed
 * @t's slot. */
static inline void mkrt_test_wait_claimed(struct mkrt_runtime *rt, struct mkrt_ticket t)
{
	struct mkrt_consumer c = mkrt_runtime_consumer(rt);
	uint8_t bytes[MKRT_SLOT_BYTES] = { 0 };

	for (;;) {
		ck_assert_int_eq(mkrt_consumer_read_slot(&c, t.slot, bytes), 0);
		if (bytes[0] == MKRT_STATUS_CLAIMED)
			return;
		ck_assert_uint_eq(bytes[0], MKRT_STATUS_PUBLISHED);
		usleep(1000);
	}
}

#ifdef MKRT_AUDIT_SHARED_RMW
/*
 * The device suites built again as tests/check_*_fine (Makefile.am): svm
 * forced into its mode without SVM atomics (MKRT_SVM_MODE=fine, what AMD's
 * ROCm offers), linked with libmkrt_audit, which counts every host
 * read-modify-write of memory shared with the lanes in such a mode
 * (runtime/core/atomics.h). Every test ends asserting that count is 0
 * (DESIGN §3); audit_counts proves the count is real.
 */
#include "atomics.h"

static void mkrt_test_no_shared_rmw(void)
{
	ck_assert_msg(mkrt__audit_rmw_count() == 0,
		      "%llu host read-modify-writes of words shared with the lanes",
		      (unsigned long long)mkrt__audit_rmw_count());
}

/* The mode is the one forced, the memory is registered with the audit, and
 * a host CAS on it is counted (one that cannot succeed: the word keeps its
 * value), while one on the host's own memory is not. */
START_TEST(audit_counts)
{
	struct mkrt_runtime *rt = NULL;
	char reason[512], mode[64];
	uint32_t *ring;
	size_t words;
	int passed = 0;

	for (int i = 0; i < mkrt_device_count(); i++)
		if (mkrt_device_probe_svm((uint32_t)i, reason, sizeof(reason), mode, sizeof(mode)) > 0) {
			ck_assert_str_eq(mode, "fine");
			passed++;
		}
	ck_assert_int_gt(passed, 0);
	ck_assert_err(mkrt_runtime_open(&(struct mkrt_config){ .backend = "svm" }, &rt), 0);
	ck_assert_uint_gt(mkrt__audit_shares(), 0);
	ck_assert_uint_eq(mkrt__audit_rmw_count(), 0);
	ck_assert_err(mkrt_runtime_ring(rt, &ring, &words), 0);
	uint32_t own = 0, expect = MKRT_STATUS_COUNT;
	mkrt__add_relaxed(&own, 1);
	ck_assert_uint_eq(mkrt__audit_rmw_count(), 0);
	ck_assert(!mkrt__cas_acq_rel(&ring[MKRT_SLOT_STATUS], &expect, MKRT_STATUS_COUNT));
	ck_assert_uint_eq(mkrt__audit_rmw_count(), 1);
	mkrt__store_relaxed(&ring[MKRT_SLOT_STATUS], expect); /* a store is not counted */
	ck_assert_uint_eq(mkrt__audit_rmw_count(), 1);
	mkrt_runtime_close(rt);
}
END_TEST

/* Force the mode for the tests of @tc (forked after this) and audit each;
 * audit_counts in a case of its own in @s. */
static inline void mkrt_test_audit_fine(Suite *s, TCase *tc)
{
	setenv("MKRT_SVM_MODE", "fine", 1);
	setenv("MKRT_TEST_BACKENDS", "svm", 1);
	tcase_add_checked_fixture(tc, NULL, mkrt_test_no_shared_rmw);
	tcase_add_test(mkrt_tcase(s, "audit", 120), audit_counts);
}
#endif /* MKRT_AUDIT_SHARED_RMW */

#ifdef MKRT_TEST_BUS_LANES
/* The device suites built again as tests/check_*_bus (Makefile.am): svm's
 * lanes keep the protocol cuda's keep over the bus (MKRT_SVM_LANES=bus:
 * claims in a table, a doorbell, batched looks), so that it is tested
 * where no GPU is. A kernel built without it would refuse to open: its
 * argument count is checked (mkrt__resident_set_args). */
static inline void mkrt_test_bus_lanes(void)
{
	setenv("MKRT_SVM_LANES", "bus", 1);
	setenv("MKRT_TEST_BACKENDS", "svm", 1);
}
#endif

#endif /* MKRT_TEST_DEVICE_H */
