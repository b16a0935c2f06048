/* SPDX-License-Identifier: MIT */
/*
 * helpers.h - what several suites do the same way: open a runtime that
 * must open (the error and its detail in the failure), read a control
 * word, make one round trip. Every wait is the WAIT_MS watchdog.
 */
#ifndef MKRT_TEST_HELPERS_H
#define MKRT_TEST_HELPERS_H

#include "suite.h"

/* Open a runtime with @cfg (NULL: defaults) or fail the test saying why. */
static inline struct mkrt_runtime *mkrt_test_open(const struct mkrt_config *cfg)
{
	struct mkrt_runtime *rt = NULL;
	int err = mkrt_runtime_open(cfg, &rt);

	ck_assert_msg(err == 0, "open %s: %s\n%s", cfg && cfg->backend ? cfg->backend : "(auto)",
		      mkrt_strerror(err), mkrt_last_detail());
	return rt;
}

/* Control word @word of @rt. */
static inline uint32_t mkrt_test_ctl(struct mkrt_runtime *rt, uint32_t word)
{
	uint32_t v = 0;

	ck_assert_err(mkrt_runtime_read_control(rt, word, 1, &v), 0);
	return v;
}

/* Submit @r and wait for it; returns mkrt_wait's code, the result in @out. */
static inline int mkrt_test_roundtrip(struct mkrt_runtime *rt, struct mkrt_slot r, struct mkrt_slot *out)
{
	struct mkrt_ticket t;

	ck_assert_err(mkrt_submit(rt, &r, WAIT_MS, &t), 0);
	return mkrt_wait(rt, t, WAIT_MS, out);
}

#endif /* MKRT_TEST_HELPERS_H */
