/* SPDX-License-Identifier: MIT */
/*
 * serve.c - `mkrt serve`: a runtime on the shm backend that other processes
 * feed through the client API (examples/shm_producer), with load misses
 * served from fixed-size records of a file.
 *
 * Prints one line when it is ready, then serves until SIGINT or SIGTERM
 * (or --seconds), and prints what the broker forwarded and rejected.
 */
#include "cli.h"

#include <signal.h>
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

struct serve_opts {
	const char *name, *backend, *data;
	uint32_t record_bytes, frames, seconds;
};

static bool serve_parse(int argc, char **argv, struct serve_opts *o)
{
	*o = (struct serve_opts){ .record_bytes = 4096, .frames = 64 };
	for (int i = 1; i < argc; i++) {
		uint32_t *num = NULL;
		if (i + 1 >= argc)
			return false;
		if (strcmp(argv[i], "--name") == 0)
			o->name = argv[++i];
		else if (strcmp(argv[i], "--backend") == 0)
			o->backend = argv[++i];
		else if (strcmp(argv[i], "--data") == 0)
			o->data = argv[++i];
		else if (strcmp(argv[i], "--record-bytes") == 0)
			num = &o->record_bytes;
		else if (strcmp(argv[i], "--frames") == 0)
			num = &o->frames;
		else if (strcmp(argv[i], "--seconds") == 0)
			num = &o->seconds;
		else
			return false;
		if (num && !cli_parse_count(argv[++i], num))
			return false;
	}
	return o->name && o->data;
}

int cli_serve(int argc, char **argv)
{
	struct serve_opts o;
	struct stat st;
	struct mkrt_runtime *rt;

	if (!serve_parse(argc, argv, &o)) {
		fprintf(stderr, "usage: mkrt serve --name /NAME --data FILE [--record-bytes B] [--frames F] "
				"[--backend NAME] [--seconds S]\n");
		return CLI_USAGE;
	}
	if (stat(o.data, &st) != 0 || st.st_size < (off_t)o.record_bytes) {
		fprintf(stderr, "mkrt: serve: %s holds no record of %u bytes. Fix: pass a data file "
				"(--data) of at least one record\n", o.data, o.record_bytes);
		return CLI_FAIL;
	}
	uint64_t records = (uint64_t)st.st_size / o.record_bytes;
	struct mkrt_io_config io = { .path = o.data, .record_bytes = o.record_bytes,
				     .resources = records > (1u << 24) ? (1u << 24) : (uint32_t)records,
				     .frames = o.frames, .frame_bytes = o.record_bytes };
	struct mkrt_config cfg;
	mkrt_config_init(&cfg);
	cfg.backend = "shm";
	cfg.shm_name = o.name;
	cfg.shm_backend = o.backend;
	cfg.io = &io;
	int err = mkrt_runtime_open(&cfg, &rt);
	if (err)
		return cli_fail("serve", err);

	signal(SIGINT, serve_on_signal);
	signal(SIGTERM, serve_on_signal);
	printf("serving %s on %s (%s): %u resources of %u bytes from %s\n", o.name,
	       mkrt_runtime_device(rt), mkrt_runtime_backend(rt), io.resources, o.record_bytes, o.data);
	fflush(stdout);
	double until = o.seconds ? cli_now_ns() + o.seconds * 1e9 : 0;
	while (!serve_stop && (!until || cli_now_ns() < until))
		usleep(20000);

	struct mkrt_shm_stats ss = { 0 };
	err = mkrt_runtime_stop(rt, 5000);
	mkrt_runtime_shm_stats(rt, &ss);
	printf("served: %llu forwarded, %llu completed, %llu rejected\n", (unsigned long long)ss.forwarded,
	       (unsigned long long)ss.completed, (unsigned long long)ss.rejected);
	mkrt_runtime_close(rt);
	return err ? cli_fail("serve: stop", err) : CLI_OK;
}
