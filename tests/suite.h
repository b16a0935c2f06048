/* SPDX-License-Identifier: MIT */
/* suite.h - shared scaffolding of the Check suites: forked, with timeouts. */
#ifndef MKRT_TEST_SUITE_H
#define MKRT_TEST_SUITE_H

#include "config.h" /* _GNU_SOURCE and friends, before any system header */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mkrt.h"

/*
 * How long a test waits for anything (a ticket, a stop, a producer): a
 * watchdog against hangs, never a statement about speed. Tests prove their
 * properties from results and counters; on a loaded 2-core machine a slot
 * may take seconds, and that is not a failure.
 */
#define WAIT_MS 60000u

/* Assert an mkrt return code by name, so failures read "got MKRT_ESTATE". */
#define ck_assert_err(expr, want)                                                      \
	do {                                                                           \
		int got_ = (expr);                                                     \
		ck_assert_msg(got_ == (want), "%s: got %s (%d), want %s (%d)", #expr,  \
			      mkrt_err_name(got_), got_, mkrt_err_name(want), (int)(want)); \
	} while (0)

/* A test case with a timeout (seconds), added to @s. */
static inline TCase *mkrt_tcase(Suite *s, const char *name, double timeout)
{
	TCase *tc = tcase_create(name);

	tcase_set_timeout(tc, timeout);
	suite_add_tcase(s, tc);
	return tc;
}

/* Run @s forked (each test in its own process) and map failures to exit 1. */
static inline int mkrt_run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif /* MKRT_TEST_SUITE_H */
