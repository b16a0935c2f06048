/* SPDX-License-Identifier: MIT */
/* main.c - the mkrt command: subcommand dispatch and shared helpers. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
} commands[] = {
	{ "devices", cli_devices, "devices [--json]          list OpenCL devices and the svm choice" },
	{ "roundtrip", cli_roundtrip,
	  "roundtrip [--backend NAME] [--count N] [--resources R] [--frames F] [--json]\n"
	  "                                 the load-miss round trip, verified against a file" },
	{ "bench", cli_bench, "bench [--backend NAME] [--lanes N|N,N,...] [--work-us N] [--json]   floor, rtt, launch,\n"
				 "                                 stream, miss, idle; a lane list sweeps" },
	{ "serve", cli_serve,
	  "serve --name /NAME [--data FILE [--record-bytes B] [--frames F]] [--slots N] [--tenants T]\n"
	  "        [--observable W] [--dfa FILE] [--backend NAME] [--seconds S]\n"
	  "                                 serve producers in other processes (shm backend)" },
	{ "soak", cli_soak,
	  "soak [--seconds S] [--backend NAME] [--producers P] [--shm-producers K] [--json]\n"
	  "                                 mixed traffic with injected faults, every result checked" },
	{ "replay", cli_replay,
	  "replay [--backend NAME] [--serial] IN OUT   run a capture until quiescent" },
};

int cli_fail(const char *what, int err)
{
	const char *detail = mkrt_last_detail();

	fprintf(stderr, "mkrt: %s: %s: %s\n", what, mkrt_err_name(err), mkrt_strerror(err));
	if (detail && detail[0])
		fprintf(stderr, "  %s\n", detail);
	return CLI_FAIL;
}

bool cli_parse_count(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*end || v == 0 || v > (1u << 24))
		return false;
	*out = (uint32_t)v;
	return true;
}

double cli_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cli_by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double cli_percentile(double *v, uint32_t n, uint32_t p)
{
	uint64_t i = (uint64_t)n * p / 100;

	qsort(v, n, sizeof(double), cli_by_value);
	return v[i < n ? i : n - 1];
}

void cli_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static int usage(FILE *f)
{
	fprintf(f, "usage: mkrt COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  mkrt %s\n", commands[i].usage);
	fprintf(f, "\nenvironment: MKRT_BACKEND (svm, host), MKRT_DEVICE (index or name substring)\n");
	return CLI_USAGE;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return CLI_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "mkrt: unknown command '%s'\n", argv[1]);
	return usage(stderr);
}
