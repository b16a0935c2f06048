/* SPDX-License-Identifier: MIT */
/*
 * check_registry.c - backend registry: names, probes, automatic choice by
 * score, the MKRT_BACKEND override and its errors, and defaults for missing
 * optional hooks. Test-only backends stand beside the real host backend; they
 * reuse its hooks, so everything still runs for real.
 */
#include "suite.h"

#include "backend.h"
#include "driver.h"
#include "ptx.h"

#include <unistd.h>

static void clear_env(void)
{
	unsetenv("MKRT_BACKEND");
}

static int index_of(const char *name)
{
	for (int i = 0; i < mkrt_backend_count(); i++)
		if (strcmp(mkrt_backend_name(i), name) == 0)
			return i;
	return -1;
}

/* The automatic choice: the highest probe score (ties: registry order). */
static int best_index(void)
{
	int best = -1, best_score = 0;
	for (int i = 0; i < mkrt_backend_count(); i++) {
		int score = mkrt_backend_probe(mkrt_backend_name(i), NULL, NULL, 0);
		if (score > best_score) {
			best = i;
			best_score = score;
		}
	}
	return best;
}

START_TEST(builtin_registry_has_host)
{
	clear_env();
	ck_assert_int_ge(mkrt_backend_count(), 2);
	ck_assert_str_eq(mkrt_backend_name(0), "svm");
	ck_assert_int_ge(index_of("host"), 0);
	ck_assert_ptr_null(mkrt_backend_name(-1));
	ck_assert_ptr_null(mkrt_backend_name(mkrt_backend_count()));
	char reason[64] = "x";
	ck_assert_int_gt(mkrt_backend_probe("host", NULL, reason, sizeof(reason)), 0);
	ck_assert_int_gt(mkrt_backend_probe("host", NULL, NULL, 0), 0);
	ck_assert_err(mkrt_backend_probe("nope", NULL, reason, sizeof(reason)), MKRT_ENOBACKEND);
	ck_assert_err(mkrt_backend_probe(NULL, NULL, reason, sizeof(reason)), MKRT_EINVAL);
	ck_assert_err(mkrt_backend_probe("host", NULL, NULL, 10), MKRT_EINVAL);
}
END_TEST

START_TEST(env_override_selects_and_refuses)
{
	char why[512];
	struct mkrt_config cfg;
	struct mkrt_runtime *rt = NULL;

	clear_env();
	ck_assert_int_eq(mkrt_backend_select(NULL, why, sizeof(why)), best_index());
	setenv("MKRT_BACKEND", "host", 1);
	ck_assert_int_eq(mkrt_backend_select(NULL, why, sizeof(why)), index_of("host"));

	setenv("MKRT_BACKEND", "?\?\?", 1);
	ck_assert_err(mkrt_backend_select(NULL, why, sizeof(why)), MKRT_ENOBACKEND);
	ck_assert_ptr_nonnull(strstr(why, "unknown backend '?\?\?'"));
	ck_assert_ptr_nonnull(strstr(why, "host (score"));
	ck_assert_ptr_nonnull(strstr(why, "Fix: "));

	ck_assert_err(mkrt_runtime_open(NULL, &rt), MKRT_ENOBACKEND);
	ck_assert_ptr_null(rt);
	ck_assert_ptr_nonnull(strstr(mkrt_last_detail(), "'?\?\?'"));

	/* the config's choice beats the environment */
	mkrt_config_init(&cfg);
	cfg.backend = "host";
	ck_assert_int_eq(mkrt_backend_select(&cfg, why, sizeof(why)), index_of("host"));
	ck_assert_err(mkrt_runtime_open(&cfg, &rt), 0);
	ck_assert_str_eq(mkrt_runtime_backend(rt), "host");
	mkrt_runtime_close(rt);

	setenv("MKRT_BACKEND", "", 1); /* empty means automatic */
	ck_assert_int_eq(mkrt_backend_select(NULL, why, sizeof(why)), best_index());
}
END_TEST

/* ---- test backends beside the real one -------------------------------------- */

static int never_probe(const struct mkrt_config *cfg, char *reason, size_t len)
{
	(void)cfg;
	snprintf(reason, len, "needs a unicorn");
	return 0;
}

static int better_probe(const struct mkrt_config *cfg, char *reason, size_t len)
{
	(void)cfg;
	(void)reason;
	(void)len;
	return 10;
}

static int failing_probe(const struct mkrt_config *cfg, char *reason, size_t len)
{
	(void)cfg;
	(void)reason;
	(void)len;
	return MKRT_ENOMEM; /* an error with no reason: the registry names it */
}

static struct mkrt__backend_ops never, better, failing, minimal;

static void make_test_backends(void)
{
	never = mkrt__backend_host;
	never.name = "never";
	never.probe = never_probe;
	better = mkrt__backend_host;
	better.name = "better";
	better.probe = better_probe;
	failing = mkrt__backend_host;
	failing.name = "failing";
	failing.probe = failing_probe;
	/* only the required hooks: the registry must default the rest */
	minimal = mkrt__backend_host;
	minimal.name = "minimal";
	minimal.probe = better_probe;
	minimal.reset_slot = NULL;
	minimal.cancel_slot = NULL;
	minimal.executors_live = NULL;
}

START_TEST(automatic_choice_takes_best_score)
{
	const struct mkrt__backend_ops *table[] = { &mkrt__backend_host, &never, &better };
	char why[512];

	clear_env();
	make_test_backends();
	mkrt__registry_override(table, 3);
	ck_assert_int_eq(mkrt_backend_count(), 3);
	ck_assert_int_eq(mkrt_backend_select(NULL, why, sizeof(why)), 2);

	setenv("MKRT_BACKEND", "never", 1);
	ck_assert_err(mkrt_backend_select(NULL, why, sizeof(why)), MKRT_EUNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(why, "'never' is unavailable: needs a unicorn"));
	ck_assert_ptr_nonnull(strstr(why, "the other backends: host (score 1), better (score 10)"));
	/* the reason once, not again in the list */
	ck_assert_ptr_null(strstr(strstr(why, "needs a unicorn") + 1, "needs a unicorn"));
	struct mkrt_runtime *rt = NULL;
	ck_assert_err(mkrt_runtime_open(NULL, &rt), MKRT_EUNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(mkrt_last_detail(), "needs a unicorn"));

	setenv("MKRT_BACKEND", "host", 1);
	ck_assert_int_eq(mkrt_backend_select(NULL, why, sizeof(why)), 0);
	mkrt__registry_override(NULL, 0);
	ck_assert_int_eq(mkrt_backend_count(), 5); /* svm, cuda, copy, host, shm */
}
END_TEST

START_TEST(selection_report_has_every_row)
{
	const struct mkrt__backend_ops *table[] = { &mkrt__backend_host, &never, &better };
	struct mkrt_selection sel;
	struct mkrt_config cfg;

	clear_env();
	make_test_backends();
	mkrt__registry_override(table, 3);
	ck_assert_int_eq(mkrt_selection_report(NULL, &sel), 2);
	ck_assert_uint_eq(sel.count, 3);
	ck_assert_int_eq(sel.chosen, 2);
	ck_assert_int_eq(sel.backend_index, 2);
	ck_assert_str_eq(sel.rows[0].backend, "host");
	ck_assert_int_eq(sel.rows[0].device, -1);
	ck_assert_int_gt(sel.rows[0].score, 0);
	ck_assert_int_eq(sel.rows[1].score, 0);
	ck_assert_str_eq(sel.rows[1].reason, "needs a unicorn");
	ck_assert_int_eq(sel.rows[2].score, 10);
	ck_assert_str_eq(sel.requested, "");
	ck_assert_str_eq(sel.why, "better: the highest score");
	mkrt_selection_free(&sel);
	ck_assert_ptr_null(sel.rows);

	/* the config wins; the environment fills in what it leaves out */
	setenv("MKRT_BACKEND", "never", 1);
	mkrt_config_init(&cfg);
	cfg.backend = "host";
	ck_assert_int_eq(mkrt_selection_report(&cfg, &sel), 0);
	ck_assert_str_eq(sel.requested, "host");
	ck_assert_str_eq(sel.why, "host: asked for by name");
	mkrt_selection_free(&sel);
	/* refused: every row still says why */
	ck_assert_err(mkrt_selection_report(NULL, &sel), MKRT_EUNAVAILABLE);
	ck_assert_int_eq(sel.chosen, -1);
	ck_assert_int_eq(sel.backend_index, -1);
	ck_assert_uint_eq(sel.count, 3);
	ck_assert_str_eq(sel.requested, "never");
	ck_assert_ptr_nonnull(strstr(sel.why, "'never' is unavailable: needs a unicorn"));
	mkrt_selection_free(&sel);

	ck_assert_err(mkrt_selection_report(NULL, NULL), MKRT_EINVAL);
	mkrt_selection_free(NULL);
	clear_env();
	mkrt__registry_override(NULL, 0);
}
END_TEST

START_TEST(nothing_available_is_an_error)
{
	const struct mkrt__backend_ops *table[] = { &never, &failing };
	char why[512];

	clear_env();
	make_test_backends();
	mkrt__registry_override(table, 2);
	ck_assert_err(mkrt_backend_select(NULL, why, sizeof(why)), MKRT_EUNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(why, "no backend is available"));
	ck_assert_ptr_nonnull(strstr(why, "never (unavailable: needs a unicorn)"));
	ck_assert_ptr_nonnull(strstr(why, "failing (unavailable: probe failed (MKRT_ENOMEM))"));
	mkrt__registry_override(NULL, 0);
}
END_TEST

/* The cuda backend's driver, found at run time: where libcuda.so.1 is
 * missing (CI) or cannot start, a refusal that says why and how to fix it;
 * where it works, every entry point is there and answers. */
START_TEST(cuda_driver_found_or_refused_with_reason)
{
	struct mkrt__cuda cu;
	int count = -1;

	int err = mkrt__cuda_open(&cu);
	if (err) {
		ck_assert_err(err, MKRT_EUNAVAILABLE);
		ck_assert_ptr_null(cu.lib);
		ck_assert_ptr_nonnull(strstr(mkrt_last_detail(), "cuda: "));
		ck_assert_ptr_nonnull(strstr(mkrt_last_detail(), "Fix: "));
		printf("cuda refused: %s\n", mkrt_last_detail());
		return;
	}
	ck_assert_ptr_nonnull(cu.cuLaunchKernel);
	ck_assert_int_eq(cu.cuDeviceGetCount(&count), CUDA_SUCCESS);
	ck_assert_int_ge(count, 0);
	printf("cuda driver: %d device(s)\n", count);
	mkrt__cuda_close(&cu);
}
END_TEST

/* The cuda backend as the registry sees it: refused with its reason and a
 * Fix where there is no driver or GPU (CI: MKRT_EXPECT_CUDA=refused), or its
 * handshake passed and a NOP runs through it (the GPU machine:
 * MKRT_EXPECT_CUDA=answers, tests/repro/device.sh). */
START_TEST(cuda_backend_refused_with_reason_or_answers)
{
	const char *expect = getenv("MKRT_EXPECT_CUDA");
	struct mkrt_config cfg;
	struct mkrt_runtime *rt;
	struct mkrt_slot res;
	struct mkrt_ticket t;
	char reason[512] = "";

	clear_env();
	mkrt_config_init(&cfg);
	cfg.backend = "cuda";
	int score = mkrt_backend_probe("cuda", &cfg, reason, sizeof(reason));
	if (expect)
		ck_assert_msg(strcmp(expect, score ? "answers" : "refused") == 0,
			      "MKRT_EXPECT_CUDA=%s, but the probe gave %d (%s)", expect, score, reason);
	if (!score) {
		ck_assert_ptr_nonnull(strstr(reason, "cuda: "));
		ck_assert_ptr_nonnull(strstr(reason, "Fix: "));
		ck_assert_err(mkrt_runtime_open(&cfg, &rt), MKRT_EUNAVAILABLE);
		ck_assert_ptr_nonnull(strstr(mkrt_last_detail(), "cuda"));
		printf("cuda backend refused: %s\n", reason);
		return;
	}
	ck_assert_int_eq(score, 100);
	ck_assert_err(mkrt_runtime_open(&cfg, &rt), 0);
	ck_assert_str_eq(mkrt_runtime_backend(rt), "cuda");
	ck_assert_err(mkrt_submit(rt, &(struct mkrt_slot){ .opcode = MKRT_OP_NOP }, 5000, &t), 0);
	ck_assert_err(mkrt_wait(rt, t, 5000, &res), 0);
	printf("cuda backend answers on %s\n", mkrt_runtime_device(rt));
	mkrt_runtime_close(rt);
}
END_TEST

/* The cuda backend's PTX: embedded without user opcodes; with them, built
 * at run time by configure's clang (entry points, no unresolved calls, the
 * user's function in it); a user source that does not compile is EBUILD
 * with clang's error. CI builds the PTX (MKRT_REQUIRE_PTX=1), so this runs
 * there, with no GPU. */
START_TEST(cuda_ptx_with_user_opcodes_builds_at_run_time)
{
	static const char src[] = "uint cuda_twice(uint op, __private uint *args, const struct mkrt_ctx *ctx)\n"
				  "{ args[0] *= 2u; return 0; }\n";
	struct mkrt_cl_handler h = { 0x200, "cuda_twice" };
	struct mkrt_config cfg;
	const char *ptx;
	char *owned;

	mkrt_config_init(&cfg);
	int err = mkrt__cuda_ptx(&cfg, &ptx, &owned);
	if (err) { /* a build without clang and libclc: the refusal says how to fix it */
		ck_assert_ptr_null(getenv("MKRT_REQUIRE_PTX"));
		ck_assert_err(err, MKRT_EUNAVAILABLE);
		ck_assert_ptr_nonnull(strstr(mkrt_last_detail(), "Fix: "));
		return;
	}
	ck_assert_ptr_null(owned);
	ck_assert_ptr_nonnull(strstr(ptx, ".entry mkrt_megakernel("));

	cfg.cl_source = src;
	cfg.cl_handlers = &h;
	cfg.cl_handler_count = 1;
	err = mkrt__cuda_ptx(&cfg, &ptx, &owned);
	if (err == MKRT_ENOTSUP && access(MKRT_CLANG, X_OK) != 0) {
		/* run where configure's clang is not (the GPU machine): the
		 * refusal names it and how to fix that */
		ck_assert_ptr_nonnull(strstr(mkrt_last_detail(), MKRT_CLANG));
		ck_assert_ptr_nonnull(strstr(mkrt_last_detail(), "Fix: "));
		return;
	}
	ck_assert_err(err, 0);
	ck_assert_ptr_eq(ptx, owned);
	ck_assert_ptr_nonnull(strstr(ptx, ".entry mkrt_megakernel("));
	ck_assert_ptr_nonnull(strstr(ptx, ".entry mkrt_ping("));
	ck_assert_ptr_null(strstr(ptx, ".extern .func"));
	ck_assert_ptr_nonnull(strstr(ptx, "cuda_twice"));
	free(owned);

	cfg.cl_source = "uint cuda_twice(uint op, __private uint *args, const struct mkrt_ctx *ctx)\n"
			"{ return no_such_thing; }\n";
	ck_assert_err(mkrt__cuda_ptx(&cfg, &ptx, &owned), MKRT_EBUILD);
	ck_assert_ptr_null(owned);
	ck_assert_ptr_nonnull(strstr(mkrt_last_detail(), "no_such_thing"));
}
END_TEST

START_TEST(missing_optional_hooks_get_defaults)
{
	const struct mkrt__backend_ops *table[] = { &minimal };
	struct mkrt__backend_ops bound;
	struct mkrt_runtime *rt;
	struct mkrt_ticket t;
	struct mkrt_slot r = { .opcode = MKRT_OP_NOP, .tenant = 1 }; /* denied: stays put */
	uint32_t count;

	clear_env();
	make_test_backends();
	mkrt__backend_bind(&minimal, &bound);
	ck_assert_ptr_nonnull(bound.start);
	ck_assert_ptr_nonnull(bound.stop);
	ck_assert_ptr_nonnull(bound.reset_slot);
	ck_assert_ptr_nonnull(bound.cancel_slot);
	ck_assert_ptr_nonnull(bound.executors_live);

	mkrt__registry_override(table, 1);
	ck_assert_err(mkrt_runtime_open(NULL, &rt), 0);
	ck_assert_str_eq(mkrt_runtime_backend(rt), "minimal");
	ck_assert_err(mkrt_runtime_read_debug_log(rt, NULL, 0, &count, NULL), 0);
	ck_assert_err(mkrt_submit(rt, &r, 0, &t), 0);
	ck_assert_err(mkrt_cancel(rt, t), MKRT_EBUSY); /* default: nothing cancellable */
	mkrt_runtime_close(rt);
	mkrt__registry_override(NULL, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("registry");
	TCase *tc = mkrt_tcase(s, "registry", 20);

	tcase_add_test(tc, builtin_registry_has_host);
	tcase_add_test(tc, env_override_selects_and_refuses);
	tcase_add_test(tc, automatic_choice_takes_best_score);
	tcase_add_test(tc, selection_report_has_every_row);
	tcase_add_test(tc, nothing_available_is_an_error);
	tcase_add_test(tc, missing_optional_hooks_get_defaults);
	/* a watchdog past the driver's handshake (5 s) and clang's (120 s),
	 * which a loaded machine slows but does not fail */
	TCase *cuda = mkrt_tcase(s, "cuda", 300);
	tcase_add_test(cuda, cuda_driver_found_or_refused_with_reason);
	tcase_add_test(cuda, cuda_backend_refused_with_reason_or_answers);
	tcase_add_test(cuda, cuda_ptx_with_user_opcodes_builds_at_run_time);
	return mkrt_run_suite(s);
}
