/* SPDX-License-Identifier: MIT */
/* main.c - the mkrt command: subcommand dispatch and shared helpers. */
#include "cli.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *about;
} commands[] = {
	{ "roundtrip", cli_roundtrip, "the load-miss round trip, every result checked against a file" },
	{ "bench", cli_bench, "a backend against its floor and a kernel launch, side by side" },
	{ "devices", cli_devices, "OpenCL devices, each backend's probe, and the automatic choice" },
	{ "serve", cli_serve, "serve producers in other processes (the shm backend)" },
	{ "soak", cli_soak, "mixed traffic with injected faults, every result checked" },
	{ "replay", cli_replay, "run a capture until quiescent, and say what its slots ended as" },
	{ "capture", cli_capture, "record a capture of a running workload, or show what one holds" },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

int cli_fail(const char *what, int err)
{
	const char *detail = mkrt_last_detail();

	fprintf(stderr, "mkrt: %s: %s: %s\n", what, mkrt_err_name(err), mkrt_strerror(err));
	if (detail && detail[0])
		fprintf(stderr, "  %s\n", detail);
	return CLI_FAIL;
}

/* ---- temporary files: removed on every way out, signals included ---- */

#define CLI_TEMPS 4
static char cli_temps[CLI_TEMPS][512];

static void cli_temp_on_signal(int sig)
{
	for (int i = 0; i < CLI_TEMPS; i++)
		if (cli_temps[i][0])
			unlink(cli_temps[i]); /* async-signal-safe */
	signal(sig, SIG_DFL);
	raise(sig);
}

int cli_temp_create(const char *stem, char *path, size_t len)
{
	const char *dir = getenv("TMPDIR");
	static bool handled;
	int slot = -1, fd;

	for (int i = 0; i < CLI_TEMPS && slot < 0; i++)
		if (!cli_temps[i][0])
			slot = i;
	if (slot < 0 || len > sizeof(cli_temps[0]))
		return -1;
	if (!handled) {
		signal(SIGINT, cli_temp_on_signal);
		signal(SIGTERM, cli_temp_on_signal);
		signal(SIGHUP, cli_temp_on_signal);
		handled = true;
	}
	snprintf(path, len, "%s/mkrt-%s-XXXXXX", dir && dir[0] ? dir : "/tmp", stem);
	/* named before it exists, so a signal between the two removes it too */
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	fd = mkstemp(path);
	if (fd >= 0)
		snprintf(cli_temps[slot], sizeof(cli_temps[slot]), "%s", path);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return fd;
}

void cli_temp_remove(const char *path)
{
	for (int i = 0; i < CLI_TEMPS; i++)
		if (cli_temps[i][0] && strcmp(cli_temps[i], path) == 0) {
			unlink(path);
			cli_temps[i][0] = '\0';
		}
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

void cli_quantiles(double *v, uint32_t n, double scale, double *q)
{
	static const uint32_t at[CLI_QUANTILES] = { 1, 10, 25, 50, 75, 90, 99 };

	for (int k = 0; k < CLI_QUANTILES; k++)
		q[k] = (k ? v[(uint64_t)n * at[k] / 100 < n ? (uint64_t)n * at[k] / 100 : n - 1]
			  : cli_percentile(v, n, at[0])) / scale; /* the first sorts */
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
	fprintf(f, "usage: mkrt COMMAND [OPTIONS]\n"
		   "       mkrt help COMMAND      (or mkrt COMMAND --help)\n"
		   "       mkrt --version\n\n"
		   "mkrt keeps one kernel resident on a device and talks to it through a ring of\n"
		   "64-byte slots, with no kernel launch per request.\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].about);
	fprintf(f, "\nenvironment:\n"
		   "  MKRT_BACKEND      the backend (");
	for (int i = 0; i < mkrt_backend_count(); i++)
		fprintf(f, "%s%s", i ? ", " : "", mkrt_backend_name(i));
	fprintf(f, "); default: the best probe\n"
		   "  MKRT_DEVICE       an OpenCL device: its index, or a platform or device name substring\n"
		   "  MKRT_SHM_NAME     the shm backend's shared-memory name (default /mkrt-PID)\n"
		   "  MKRT_SHM_BACKEND  the backend the shm broker forwards to\n"
		   "  MKRT_SVM_MODE     the svm backend's memory mode: fine+atomics, fine or usm-host\n"
		   "                    (default the first whose handshake passes)\n"
		   "  MKRT_SVM_LANES    the svm backend's lane protocol: ring (default) or bus\n"
		   "                    (cuda's over PCIe: claim table, doorbell, batched looks)\n"
		   "  MKRT_IO_ENGINE    the load-miss read engine (built in: %s)\n"
		   "  MKRT_CACHE_DIR    where built kernels are cached (default $XDG_CACHE_HOME/mkrt,\n"
		   "                    else ~/.cache/mkrt; empty: no cache)\n"
		   "  MKRT_CL_DIR       read the kernel sources from this folder, not the built-in copy\n"
		   "\nexit status: 0 success, 1 failure (said why on stderr), 2 bad usage\n",
		mkrt_io_engines());
	return CLI_USAGE;
}

/* A backend variable naming no backend: said here, with the names, before
 * any command runs (the library's own message is for programs). */
static bool env_backend_ok(const char *var)
{
	const char *v = getenv(var);

	if (!v || !v[0])
		return true;
	for (int i = 0; i < mkrt_backend_count(); i++)
		if (strcmp(mkrt_backend_name(i), v) == 0)
			return true;
	fprintf(stderr, "mkrt: %s=%s names no backend; it takes one of:", var, v);
	for (int i = 0; i < mkrt_backend_count(); i++)
		fprintf(stderr, " %s", mkrt_backend_name(i));
	fprintf(stderr, "\n");
	return false;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr);
	const char *cmd = argv[1];
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 ||
	    (strcmp(cmd, "help") == 0 && argc == 2)) {
		usage(stdout);
		return CLI_OK;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		printf("mkrt %s (wire protocol %u)\n", mkrt_version(), mkrt_protocol_version());
		return CLI_OK;
	}
	bool help = strcmp(cmd, "help") == 0;
	if (help)
		cmd = argv[2];
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (strcmp(cmd, commands[i].name) != 0)
			continue;
		if (help) {
			char *hargv[] = { argv[2], "--help", NULL };
			return commands[i].run(2, hargv);
		}
		if (!env_backend_ok("MKRT_BACKEND") || !env_backend_ok("MKRT_SHM_BACKEND"))
			return CLI_USAGE;
		return commands[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "mkrt: unknown command '%s'; the commands:", cmd);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(stderr, " %s", commands[i].name);
	fprintf(stderr, "\nTry 'mkrt --help'.\n");
	return CLI_USAGE;
}
