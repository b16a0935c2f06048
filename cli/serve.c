/* SPDX-License-Identifier: MIT */
/*
 * serve.c - `mkrt serve`: a runtime on the shm backend that other processes
 * feed through the client API (examples/shm_producer): its ring size,
 * tenants, observable words and DFA table from options, and load misses
 * served from fixed-size records of a file when one is given.
 *
 * Prints one line when it is ready, then serves until SIGINT or SIGTERM
 * (or --seconds), and prints what the broker forwarded and rejected.
 */
#include "cli.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static volatile sig_atomic_t serve_stop;

static void serve_on_signal(int sig)
{
	(void)sig;
	serve_stop = 1;
}

/* What --stats reports differences of. */
struct serve_tally {
	double t;
	struct mkrt_shm_stats shm;
	struct mkrt_stats rt;
};

static void serve_tally(struct mkrt_runtime *rt, struct serve_tally *t)
{
	mkrt_runtime_shm_stats(rt, &t->shm);
	mkrt_runtime_stats(rt, &t->rt);
}

/* One --stats line: what happened since @last (which becomes now). */
static void serve_report(struct mkrt_runtime *rt, struct serve_tally *last)
{
	struct serve_tally now = { .t = cli_now_ns() };
	double secs = (now.t - last->t) / 1e9;

	serve_tally(rt, &now);
	uint64_t faults = 0;
	for (uint32_t r = 0; r <= MKRT_SHM_CLIENTS; r++)
		faults += now.shm.ring_faults[r] - last->shm.ring_faults[r];
	printf("stats %.1fs: %.0f slots/s, %llu faults (%llu rejected), %llu misses, %llu parks",
	       secs, (double)(now.shm.completed - last->shm.completed) / secs, (unsigned long long)faults,
	       (unsigned long long)(now.shm.rejected - last->shm.rejected),
	       (unsigned long long)(now.rt.io_requests - last->rt.io_requests),
	       (unsigned long long)(now.rt.parks - last->rt.parks));
	for (uint32_t r = 1; r <= MKRT_SHM_CLIENTS; r++)
		if (now.shm.owner[r] || now.shm.ring_completed[r] != last->shm.ring_completed[r])
			printf("; producer %u (pid %u): %.0f slots/s, %llu faults", r, now.shm.owner[r],
			       (double)(now.shm.ring_completed[r] - last->shm.ring_completed[r]) / secs,
			       (unsigned long long)(now.shm.ring_faults[r] - last->shm.ring_faults[r]));
	printf("\n");
	fflush(stdout);
	*last = now;
}

/* The DFA table in @path: little-endian u32 words, 256 per state. */
static uint32_t *serve_read_dfa(const char *path, uint32_t *words)
{
	FILE *f = fopen(path, "rb");
	long bytes = -1;
	uint32_t *dfa = NULL;

	if (f && fseek(f, 0, SEEK_END) == 0)
		bytes = ftell(f);
	if (bytes > 0 && bytes % (256 * 4) == 0 && bytes / 4 <= MKRT_MAX_ENTRIES && fseek(f, 0, SEEK_SET) == 0 &&
	    (dfa = malloc((size_t)bytes)) && fread(dfa, 1, (size_t)bytes, f) != (size_t)bytes) {
		free(dfa);
		dfa = NULL;
	}
	if (f)
		fclose(f);
	if (!dfa)
		fprintf(stderr, "mkrt: serve: %s is not a DFA table. Fix: pass a readable file of whole "
				"states, 256 little-endian u32 words each, at most %u words\n",
			path, MKRT_MAX_ENTRIES);
	*words = dfa ? (uint32_t)(bytes / 4) : 0;
	return dfa;
}

int cli_serve(int argc, char **argv)
{
	struct {
		const char *name, *backend, *data, *dfa;
		uint32_t record_bytes, frames, seconds, slots, tenants, observable, stats;
	} o = { .record_bytes = 4096, .frames = 64, .tenants = 1 };
	const struct cli_opt opts[] = {
		{ "--name", CLI_TEXT, &o.name, "/NAME", 0, 0, NULL,
		  "the shared-memory name producers open; required" },
		{ "--data", CLI_TEXT, &o.data, "FILE", 0, 0, "none: no load misses",
		  "serve load misses from fixed-size records of FILE" },
		{ "--record-bytes", CLI_BYTES4, &o.record_bytes, "B", 4, 1u << 24, "4096",
		  "bytes per record of --data" },
		{ "--frames", CLI_NUM, &o.frames, "F", 1, 65536, "64", "device frames that hold records" },
		{ "--slots", CLI_NUM, &o.slots, "N", 4, 65536, "256", "ring slots per producer" },
		{ "--tenants", CLI_NUM, &o.tenants, "T", 1, MKRT_CTL_TENANT_LAST - MKRT_CTL_TENANT_BASE_DEFAULT + 1, "1",
		  "tenants 0 .. T-1 are authorized" },
		{ "--observable", CLI_NUM, &o.observable, "W", 1, 1u << 20, "64",
		  "control words after OBS that producers see" },
		{ "--dfa", CLI_TEXT, &o.dfa, "FILE", 0, 0, "none",
		  "DFA_STEP table: 256 little-endian u32 words per state" },
		{ "--backend", CLI_BACKEND, &o.backend, "NAME", 0, 0, "$MKRT_SHM_BACKEND, else the best probe",
		  "the backend the broker forwards to" },
		{ "--seconds", CLI_NUM, &o.seconds, "S", 1, 1u << 24, "until SIGINT or SIGTERM",
		  "serve this long" },
		{ "--stats", CLI_NUM, &o.stats, "S", 1, 3600, "none",
		  "every S seconds, a line: slots/s, faults, misses, parks, and per producer" },
	};
	const struct cli_cmd cmd = {
		"serve", NULL, 0,
		"Serve producers in other processes (the shm backend; examples/shm_producer):\n"
		"prints one line when ready, then serves until SIGINT or SIGTERM (or --seconds),\n"
		"and prints what the broker forwarded, completed and rejected.",
		opts, CLI_NOPTS(opts), "environment: MKRT_SHM_BACKEND, MKRT_DEVICE, MKRT_IO_ENGINE",
	};
	struct stat st;
	struct mkrt_runtime *rt;
	struct mkrt_io_config io;
	struct mkrt_control_config control;
	struct mkrt_config cfg;
	uint32_t *dfa = NULL;
	int rc = cli_parse(&cmd, argc, argv, NULL, 0, NULL);

	if (rc >= 0)
		return rc;
	if (!o.name) {
		fprintf(stderr, "mkrt serve: --name /NAME is required (the name producers open)\n"
				"Try 'mkrt serve --help'.\n");
		return CLI_USAGE;
	}
	mkrt_config_init(&cfg);
	cfg.backend = "shm";
	cfg.shm_name = o.name;
	cfg.shm_backend = o.backend;
	cfg.slots = o.slots;
	cfg.observable = o.observable;
	if (o.data) {
		if (stat(o.data, &st) != 0 || st.st_size < (off_t)o.record_bytes) {
			fprintf(stderr, "mkrt: serve: %s holds no record of %u bytes. Fix: pass a data file "
					"(--data) of at least one record\n", o.data, o.record_bytes);
			return CLI_FAIL;
		}
		uint64_t records = (uint64_t)st.st_size / o.record_bytes;
		io = (struct mkrt_io_config){ .path = o.data, .record_bytes = o.record_bytes,
					      .resources = records > (1u << 24) ? (1u << 24) : (uint32_t)records,
					      .frames = o.frames, .frame_bytes = o.record_bytes };
		cfg.io = &io;
	}
	/* tenants 0 .. T-1 authorized, their masks at the default base */
	mkrt_control_config_default(&control);
	control.tenant_count = o.tenants;
	for (uint32_t t = 0; t < o.tenants; t++)
		control.tenant_masks[t] = 1;
	cfg.control = &control;
	if (o.dfa && !(dfa = serve_read_dfa(o.dfa, &cfg.dfa_words)))
		return CLI_FAIL;
	cfg.dfa = dfa;
	int err = mkrt_runtime_open(&cfg, &rt);
	free(dfa); /* copied at open */
	if (err)
		return cli_fail("serve", err);

	signal(SIGINT, serve_on_signal);
	signal(SIGTERM, serve_on_signal);
	printf("serving %s on %s (%s): %u slots per producer, %u tenants, %u observable words, "
	       "%u DFA states, ", o.name, mkrt_runtime_device(rt), mkrt_runtime_backend(rt),
	       mkrt_runtime_slot_count(rt), o.tenants, o.observable ? o.observable : MKRT_DEFAULT_OBSERVABLE,
	       cfg.dfa_words / 256);
	if (o.data)
		printf("%u resources of %u bytes from %s\n", io.resources, o.record_bytes, o.data);
	else
		printf("no load misses (no --data)\n");
	fflush(stdout);
	double until = o.seconds ? cli_now_ns() + o.seconds * 1e9 : 0;
	struct serve_tally last = { .t = cli_now_ns() };
	serve_tally(rt, &last);
	double next = o.stats ? last.t + o.stats * 1e9 : 0;
	while (!serve_stop && (!until || cli_now_ns() < until)) {
		usleep(20000);
		if (next && cli_now_ns() >= next) {
			serve_report(rt, &last);
			next += o.stats * 1e9;
		}
	}

	struct mkrt_shm_stats ss = { 0 };
	err = mkrt_runtime_stop(rt, 5000);
	mkrt_runtime_shm_stats(rt, &ss);
	printf("served: %llu forwarded, %llu completed, %llu rejected\n", (unsigned long long)ss.forwarded,
	       (unsigned long long)ss.completed, (unsigned long long)ss.rejected);
	mkrt_runtime_close(rt);
	return err ? cli_fail("serve: stop", err) : CLI_OK;
}
