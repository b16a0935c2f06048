/* SPDX-License-Identifier: MIT */
/* check_errors.c - the error table: names, messages, Fix hints. */
#include "suite.h"

static const int all_codes[] = {
#define CODE(name, num, msg, fix) MKRT_E##name,
	MKRT_ERRNO_MAP(CODE)
#undef CODE
};

START_TEST(every_code_has_name_and_fix)
{
	for (size_t i = 0; i < sizeof(all_codes) / sizeof(all_codes[0]); i++) {
		int code = all_codes[i];
		const char *name = mkrt_err_name(code), *msg = mkrt_strerror(code);
		ck_assert_int_lt(code, 0);
		ck_assert_msg(strncmp(name, "MKRT_E", 6) == 0 && strcmp(name, "MKRT_E?") != 0,
			      "code %d has name %s", code, name);
		ck_assert_msg(strstr(msg, ". Fix: ") != NULL, "%s lacks a Fix hint: %s", name, msg);
		for (size_t j = 0; j < i; j++)
			ck_assert_msg(strcmp(name, mkrt_err_name(all_codes[j])) != 0 &&
					      code != all_codes[j],
				      "duplicate code or name %s", name);
	}
}
END_TEST

START_TEST(known_names)
{
	ck_assert_str_eq(mkrt_err_name(MKRT_OK), "MKRT_OK");
	ck_assert_str_eq(mkrt_err_name(MKRT_ERANGE), "MKRT_ERANGE");
	ck_assert_str_eq(mkrt_err_name(MKRT_ESTATE), "MKRT_ESTATE");
	ck_assert_str_eq(mkrt_strerror(MKRT_OK), "success");
}
END_TEST

START_TEST(unknown_codes_are_safe)
{
	ck_assert_str_eq(mkrt_err_name(-999), "MKRT_E?");
	ck_assert_str_eq(mkrt_err_name(5), "MKRT_E?");
	ck_assert_ptr_nonnull(strstr(mkrt_strerror(-999), "Fix: "));
}
END_TEST

/* The version calls: the library's version as configure says it, and the
 * protocol this header and the library agree on. */
START_TEST(version_and_protocol)
{
	unsigned major, minor, patch;
	char tail;

	ck_assert_str_eq(mkrt_version(), PACKAGE_VERSION);
	ck_assert_int_eq(sscanf(mkrt_version(), "%u.%u.%u%c", &major, &minor, &patch, &tail), 3);
	ck_assert_uint_eq(mkrt_protocol_version(), MKRT_PROTOCOL_VERSION);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("errors");
	TCase *tc = mkrt_tcase(s, "table", 10);

	tcase_add_test(tc, every_code_has_name_and_fix);
	tcase_add_test(tc, known_names);
	tcase_add_test(tc, unknown_codes_are_safe);
	tcase_add_test(tc, version_and_protocol);
	return mkrt_run_suite(s);
}
