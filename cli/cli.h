/* SPDX-License-Identifier: MIT */
/* cli.h - the mkrt command-line program's subcommands and helpers. */
#ifndef MKRT_CLI_H
#define MKRT_CLI_H

#include "config.h" /* feature macros first: the CLI uses POSIX calls */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <mkrt.h>

/* Exit codes: 0 success, 1 failure (with a message), 2 usage. */
#define CLI_OK    0
#define CLI_FAIL  1
#define CLI_USAGE 2

int cli_devices(int argc, char **argv);
int cli_replay(int argc, char **argv);
int cli_roundtrip(int argc, char **argv);
int cli_bench(int argc, char **argv);
int cli_serve(int argc, char **argv);
int cli_soak(int argc, char **argv);

/* Print "mkrt: WHAT: MKRT_EX: message" and the detail, if any; returns CLI_FAIL. */
int cli_fail(const char *what, int err);

/* An option's count: decimal, 1 to 2^24; false otherwise. */
bool cli_parse_count(const char *s, uint32_t *out);

/* Monotonic time in nanoseconds. */
double cli_now_ns(void);

/* The @p-th percentile of @n samples (sorts @v in place). */
double cli_percentile(double *v, uint32_t n, uint32_t p);

/* JSON string literal of @s (escaped) to @f. */
void cli_json_str(FILE *f, const char *s);

#endif /* MKRT_CLI_H */
