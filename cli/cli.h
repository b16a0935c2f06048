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
int cli_capture(int argc, char **argv);

/* Print "mkrt: WHAT: MKRT_EX: message" and the detail, if any; returns CLI_FAIL. */
int cli_fail(const char *what, int err);

/* ---- options (opts.c) ---- */

#define CLI_COUNT_MAX (1u << 24) /* the largest count an option takes */
#define CLI_LIST_MAX  16

enum cli_kind {
	CLI_FLAG,    /* bool *: set when given */
	CLI_NUM,     /* uint32_t *: a whole number in [min, max] */
	CLI_BYTES4,  /* uint32_t *: ... that is a multiple of 4 (bytes of whole words) */
	CLI_LIST,    /* struct cli_list *: N or N,N,..., each in [min, max] */
	CLI_TEXT,    /* const char **: any non-empty text */
	CLI_BACKEND, /* const char **: a name the registry knows */
};

struct cli_list {
	uint32_t v[CLI_LIST_MAX];
	uint32_t n;
};

/* One option of a command: what it sets, and what its help says. */
struct cli_opt {
	const char *flag;  /* "--count" */
	enum cli_kind kind;
	void *out;
	const char *arg;   /* what help calls the value: "N" */
	uint32_t min, max; /* CLI_NUM, CLI_LIST */
	const char *def;   /* the default, as help prints it; NULL: none */
	const char *help;  /* one line */
};

struct cli_cmd {
	const char *name;   /* "roundtrip" */
	const char *args;   /* positional arguments for the synopsis: "IN OUT"; NULL: none */
	int npos_min;       /* how many of them must be given */
	const char *about;  /* what the command does, a few lines */
	const struct cli_opt *opts;
	size_t nopts;
	const char *more;   /* text after the options (environment, output); NULL: none */
};

/* Parse @argv (argv[0] the command's name) into @cmd's options, positional
 * arguments into @pos (at most @maxpos; their count into *@npos). -1: go
 * on; otherwise the exit code, having said why: CLI_OK after -h/--help
 * (help on stdout), CLI_USAGE for an unknown option or a bad value (the
 * flag, what it takes and what was given, on stderr). */
int cli_parse(const struct cli_cmd *cmd, int argc, char **argv, char **pos, int maxpos, int *npos);

/* @cmd's help: synopsis, what it does, every option with its range and
 * default. */
void cli_help(const struct cli_cmd *cmd, FILE *f);

#define CLI_NOPTS(a) (sizeof(a) / sizeof((a)[0]))

/* A temporary file $TMPDIR/mkrt-STEM-XXXXXX (TMPDIR unset: /tmp), its name
 * in @path; its descriptor, or -1. It is removed by cli_temp_remove(), or
 * on SIGINT, SIGTERM or SIGHUP (the signal then ends the program as it
 * would have). At most four at once. */
int cli_temp_create(const char *stem, char *path, size_t len);
void cli_temp_remove(const char *path);

/* Monotonic time in nanoseconds. */
double cli_now_ns(void);

/* The @p-th percentile of @n samples (sorts @v in place). */
double cli_percentile(double *v, uint32_t n, uint32_t p);

/* JSON string literal of @s (escaped) to @f. */
void cli_json_str(FILE *f, const char *s);

/* ---- captures (replay.c) ---- */

#define CLI_FAULT_KINDS 8 /* MKRT_FAULT_NONE .. MKRT_FAULT_REJECTED */

/* Capture @path, read and decoded into @c; CLI_FAIL (said why) otherwise. */
int cli_read_capture(const char *path, struct mkrt_capture *c);
/* @c's slots by status (MKRT_STATUS_COUNT + 1 counts, the last: any other
 * value) and its FAULT slots by reason (CLI_FAULT_KINDS + 1 likewise). */
void cli_count_slots(const struct mkrt_capture *c, uint32_t *by_status, uint32_t *by_fault);
/* " 2 DONE, 1 FAULT" and a line per fault reason; or as JSON members
 * "status": {...}, "faults": {...}. */
void cli_print_counts(const uint32_t *by_status, const uint32_t *by_fault);
void cli_print_counts_json(const uint32_t *by_status, const uint32_t *by_fault);

/* ---- latency distributions (main.c, plot.c) ---- */

#define CLI_QUANTILES 7 /* the 1st, 10th, 25th, 50th, 75th, 90th and 99th percentiles */

struct cli_series {
	const char *name;
	const char *color;        /* the box's fill */
	double q[CLI_QUANTILES];  /* us; q[3] == 0: not measured, left out */
};

/* The CLI_QUANTILES percentiles of @n samples (sorts @v) into @q, each
 * divided by @scale. */
void cli_quantiles(double *v, uint32_t n, double scale, double *q);

/* An SVG of @n series on one log axis, titled @title, @note under it;
 * CLI_FAIL (said why) when @path cannot be written. */
int cli_plot_svg(const char *path, const char *title, const char *note, const struct cli_series *s,
		 int n);

#endif /* MKRT_CLI_H */
