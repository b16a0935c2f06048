/* SPDX-License-Identifier: MIT */
/*
 * soak.c - `mkrt soak`: mixed traffic for a while, every result checked.
 *
 * Producer threads submit builtins, packed slots, PRINTF, load misses and
 * deliberately bad requests (an index out of range, an opcode nobody
 * handles). Each builtin is run again on the reference executor over a
 * private copy of the control buffer, and the device's slot and the
 * control words it wrote must match it word for word. Each thread owns
 * the control words it writes, one pair per window position, so results
 * do not depend on the order the lanes run them in.
 *
 * Load misses read fixed-size records of a temporary file through a
 * resolver that fails every resource id = 5 (mod 16) on purpose: those
 * requests must come back FAULT (IO, RESOLVER), the others DONE with the
 * record's checksum. With --shm-producers, the runtime is the shm backend
 * in front of the selected one, and child processes (this program again,
 * as `soak --shm-child`) submit load misses and malformed raw slots
 * through the client API, checking their own results the same way.
 *
 * Counted: slots processed; faults injected (requests that must fault);
 * faults reported (those that did, with the right reason); lost (a wait
 * that timed out or found the runtime gone); corrupted (any other
 * difference). Exit status 0 only when lost and corrupted are both 0.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SOAK_WINDOW     8u
#define SOAK_WAIT_MS    30000u
#define SOAK_FAIL_MOD   16u      /* resource ids = 5 (mod 16) fail to load */
#define SOAK_FAIL_REM   5u
#define SOAK_BAD_OPCODE 0x4321u  /* a user opcode with no handler */
#define SOAK_MAX_CHILDREN 4u     /* the shm segment's producer rings */
#define SOAK_REPORT_MAX 8        /* corrupted results described, at most */

extern char **environ;

struct soak_opts {
	const char *backend;
	uint32_t seconds, producers, shm_producers, resources, record_bytes, frames;
	bool json;
	/* --shm-child */
	const char *child_name, *child_data;
	uint32_t seed;
};

struct soak_counts {
	_Atomic uint64_t processed, injected, reported, lost, corrupted;
	_Atomic uint64_t loads, builtins, resolver_calls, resolver_failures;
	_Atomic int reports;
};

/* The data file: record i is bytes [i * B, (i + 1) * B). */
struct soak_data {
	char path[512];
	int fd;
	uint32_t records, bytes;
	uint32_t *sums;
};

static bool soak_fails(uint32_t id)
{
	return id % SOAK_FAIL_MOD == SOAK_FAIL_REM;
}

static uint32_t soak_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void soak_corrupt(struct soak_counts *c, const char *who, const char *what, uint32_t a, uint32_t b)
{
	atomic_fetch_add(&c->corrupted, 1);
	if (atomic_fetch_add(&c->reports, 1) < SOAK_REPORT_MAX)
		fprintf(stderr, "mkrt soak: %s: %s (got %#x, want %#x)\n", who, what, a, b);
}

/* ---- the data file and its resolver -------------------------------------------------------- */

static int soak_data_make(struct soak_data *d, uint32_t records, uint32_t bytes)
{
	uint32_t *rec = malloc(bytes), seed = 0x50A4u;

	*d = (struct soak_data){ .records = records, .bytes = bytes, .fd = -1 };
	d->sums = calloc(records, sizeof(*d->sums));
	if (!rec || !d->sums || (d->fd = cli_temp_create("soak", d->path, sizeof(d->path))) < 0) {
		free(rec);
		return -1;
	}
	for (uint32_t r = 0; r < records; r++) {
		for (uint32_t i = 0; i < bytes / 4; i++)
			rec[i] = soak_rand(&seed);
		d->sums[r] = mkrt_checksum(rec, bytes);
		if (pwrite(d->fd, rec, bytes, (off_t)r * bytes) != (ssize_t)bytes) {
			free(rec);
			return -1;
		}
	}
	free(rec);
	return 0;
}

static void soak_data_free(struct soak_data *d)
{
	if (d->fd >= 0) {
		close(d->fd);
		cli_temp_remove(d->path);
	}
	free(d->sums);
}

struct soak_resolver {
	struct soak_data *data;
	struct soak_counts *counts;
};

/* Real reads of the file, and an injected failure for the ids that fail. */
static int64_t soak_resolve(void *user, uint32_t id, void *dst, size_t cap)
{
	struct soak_resolver *r = user;

	atomic_fetch_add(&r->counts->resolver_calls, 1);
	if (soak_fails(id)) {
		atomic_fetch_add(&r->counts->resolver_failures, 1);
		return -1;
	}
	if (cap < r->data->bytes)
		return -1;
	ssize_t n = pread(r->data->fd, dst, r->data->bytes, (off_t)id * r->data->bytes);
	return n == (ssize_t)r->data->bytes ? n : -1;
}

/* Check a finished load miss of @id: 0 from mkrt_wait or the shm client
 * (DONE), or ESLOTFAULT with @res. */
static void soak_check_load(struct soak_counts *c, const struct soak_data *d, const char *who, uint32_t id,
			    bool prefetch, int err, const struct mkrt_slot *res)
{
	atomic_fetch_add(&c->loads, 1);
	if (prefetch) { /* queued or resident: DONE either way, errors go to nobody */
		if (err)
			soak_corrupt(c, who, "prefetch did not end DONE", (uint32_t)err, 0);
		return;
	}
	if (soak_fails(id)) {
		atomic_fetch_add(&c->injected, 1);
		if (err == MKRT_ESLOTFAULT && res->args[MKRT_SLOT_FAULT_REASON - MKRT_SLOT_ARG0] == MKRT_FAULT_IO &&
		    res->args[MKRT_LM_ERROR] == MKRT_IOERR_RESOLVER)
			atomic_fetch_add(&c->reported, 1);
		else
			soak_corrupt(c, who, "injected IO error not reported", res->args[MKRT_LM_ERROR],
				     MKRT_IOERR_RESOLVER);
		return;
	}
	if (err)
		soak_corrupt(c, who, "load miss faulted", res->args[MKRT_LM_ERROR], 0);
	else if (res->args[MKRT_LM_CHECKSUM] != d->sums[id] || res->args[MKRT_LM_BYTES] != d->bytes)
		soak_corrupt(c, who, "load miss checksum", res->args[MKRT_LM_CHECKSUM], d->sums[id]);
}

/* ---- producer threads ---------------------------------------------------------------------------- */

struct soak_producer {
	struct mkrt_runtime *rt;
	struct soak_counts *counts;
	const struct soak_data *data;
	uint32_t index, control_words, first_word; /* its words: first_word + 2 * window position */
	double deadline_ns;
	int err;
	/* the reference: a private control buffer and a one-slot ring */
	uint32_t *ctl, ring[MKRT_SLOT_WORDS];
	struct mkrt_exec_buffers ref;
};

struct soak_pending {
	struct mkrt_ticket ticket;
	struct mkrt_slot req, want;  /* want: the reference's slot (builtins) */
	bool load;
	uint32_t s, t_want[2];       /* the pair of control words and their expected values */
};

/* A request for window position @w, and what the reference says of it. */
static void soak_make(struct soak_producer *p, uint32_t *seed, uint32_t w, struct soak_pending *q)
{
	uint32_t r = soak_rand(seed) % 100, v = soak_rand(seed);
	uint32_t s = p->first_word + 2 * w, t = s + 1;

	memset(q, 0, sizeof(*q));
	q->s = s;
	if (r < 30) { /* a load miss: checked against the file, not the reference */
		q->load = true;
		q->req = (struct mkrt_slot){ .opcode = MKRT_OP_LOAD_MISS,
					     .args = { v % p->data->records, r < 3 } };
		return;
	}
	struct mkrt_slot *req = &q->req;
	if (r < 44) {
		*req = (struct mkrt_slot){ .opcode = MKRT_OP_ATOMIC_ADD, .args = { v >> 8, s } };
	} else if (r < 54) {
		*req = (struct mkrt_slot){ .opcode = MKRT_OP_STORE_U32, .args = { v, s } };
	} else if (r < 64) {
		*req = (struct mkrt_slot){ .opcode = MKRT_OP_LOAD_U32, .args = { s, t - MKRT_CTL_OBS } };
	} else if (r < 72) {
		*req = (struct mkrt_slot){ .opcode = MKRT_OP_DFA_STEP,
					   .args = { v % 4, (v >> 8) % 256, s - MKRT_CTL_OBS } };
	} else if (r < 80) {
		struct mkrt_packed_op ops[2] = { { MKRT_OP_ATOMIC_ADD, { v & 0xFFFF, s } },
						 { MKRT_OP_LOAD_U32, { s, t - MKRT_CTL_OBS } } };
		req->opcode = MKRT_OP_PACKED_SLOT;
		if (mkrt_encode_packed(ops, 2, req->args))
			req->opcode = MKRT_OP_NOP;
	} else if (r < 84) {
		*req = (struct mkrt_slot){ .opcode = MKRT_OP_PRINTF, .args = { 0x50A4, p->index, v } };
	} else if (r < 88) {
		*req = (struct mkrt_slot){ .opcode = MKRT_OP_NOP, .args = { v } };
	} else if (r < 94) { /* injected: a store past the control buffer */
		*req = (struct mkrt_slot){ .opcode = MKRT_OP_STORE_U32, .args = { v, p->control_words + v % 64 } };
	} else {             /* injected: an opcode no handler serves */
		*req = (struct mkrt_slot){ .opcode = SOAK_BAD_OPCODE, .args = { v } };
	}
	if (req->opcode != MKRT_OP_PACKED_SLOT) /* its 12 words are the layout */
		req->args[10] = v; /* a word no builtin reads: must come back untouched */
	/* the reference run, on the thread's own copy of the control words */
	if (p->ring[MKRT_SLOT_STATUS] == MKRT_STATUS_FAULT)
		mkrt_slot_reset(p->ring, MKRT_SLOT_WORDS, 0);
	if (mkrt_publish(p->ring, MKRT_SLOT_WORDS, 0, req, MKRT_SLOT_ARGS) ||
	    mkrt_reference_execute(&p->ref, 0) != 1)
		abort(); /* the generator made a request the host cannot publish */
	mkrt_ring_read_slot(p->ring, MKRT_SLOT_WORDS, 0, &q->want);
	q->t_want[0] = p->ctl[s];
	q->t_want[1] = p->ctl[t];
}

static void soak_check(struct soak_producer *p, struct soak_pending *q, int err, const struct mkrt_slot *res)
{
	char who[32];

	snprintf(who, sizeof(who), "producer %u", p->index);
	if (err && err != MKRT_ESLOTFAULT) {
		atomic_fetch_add(&p->counts->lost, 1);
		if (atomic_fetch_add(&p->counts->reports, 1) < SOAK_REPORT_MAX)
			fprintf(stderr, "mkrt soak: %s: wait: %s\n  %s\n", who, mkrt_err_name(err),
				mkrt_last_detail());
		return;
	}
	atomic_fetch_add(&p->counts->processed, 1);
	if (q->load) {
		soak_check_load(p->counts, p->data, who, q->req.args[0], q->req.args[1], err, res);
		return;
	}
	atomic_fetch_add(&p->counts->builtins, 1);
	bool faulted = q->want.status == MKRT_STATUS_FAULT;
	if (faulted)
		atomic_fetch_add(&p->counts->injected, 1);
	if ((err == MKRT_ESLOTFAULT) != faulted) {
		soak_corrupt(p->counts, who, "status differs from the reference", res->status, q->want.status);
		return;
	}
	if (memcmp(res->args, q->want.args, sizeof(res->args)) || res->opcode != q->want.opcode) {
		soak_corrupt(p->counts, who, "slot words differ from the reference", res->args[10],
			     q->want.args[10]);
		return;
	}
	uint32_t got[2];
	int rerr = mkrt_runtime_read_control(p->rt, q->s, 2, got);
	if (rerr || got[0] != q->t_want[0] || got[1] != q->t_want[1]) {
		soak_corrupt(p->counts, who, "control words differ from the reference", got[0], q->t_want[0]);
		return;
	}
	if (faulted)
		atomic_fetch_add(&p->counts->reported, 1);
}

static void *soak_produce(void *arg)
{
	struct soak_producer *p = arg;
	struct soak_pending q[SOAK_WINDOW];
	bool busy[SOAK_WINDOW] = { false };
	uint32_t seed = 0x9E3779B9u ^ (p->index * 0x85EBCA6Bu + 1);
	struct mkrt_slot res;

	for (;;) {
		bool more = cli_now_ns() < p->deadline_ns, any = false;
		for (uint32_t w = 0; w < SOAK_WINDOW; w++) {
			if (busy[w]) {
				int err = mkrt_wait(p->rt, q[w].ticket, SOAK_WAIT_MS, &res);
				soak_check(p, &q[w], err, &res);
				busy[w] = false;
				if (err && err != MKRT_ESLOTFAULT) {
					p->err = err;
					return NULL;
				}
			}
			if (!more)
				continue;
			soak_make(p, &seed, w, &q[w]);
			int err = mkrt_submit(p->rt, &q[w].req, SOAK_WAIT_MS, &q[w].ticket);
			if (err) {
				p->err = err;
				return NULL;
			}
			busy[w] = any = true;
		}
		if (!more && !any)
			return NULL;
	}
}

/* ---- shm producers: child processes ---------------------------------------------------------- */

/* In the child: load misses and malformed raw slots through the client,
 * one at a time; prints its counts on one line for the parent. */
static int soak_child(const struct soak_opts *o)
{
	struct soak_counts c = { 0 };
	struct soak_data d = { .records = o->resources, .bytes = o->record_bytes, .fd = -1 };
	struct mkrt_shm_client *cl;
	uint32_t seed = o->seed | 1, *rec = malloc(o->record_bytes);
	char who[32];

	snprintf(who, sizeof(who), "shm producer %d", (int)getpid());
	d.sums = calloc(d.records, sizeof(*d.sums));
	int fd = open(o->child_data, O_RDONLY);
	if (!rec || !d.sums || fd < 0)
		return CLI_FAIL;
	for (uint32_t r = 0; r < d.records; r++) {
		if (pread(fd, rec, d.bytes, (off_t)r * d.bytes) != (ssize_t)d.bytes)
			return CLI_FAIL;
		d.sums[r] = mkrt_checksum(rec, d.bytes);
	}
	close(fd);
	free(rec);
	int err = mkrt_shm_client_open(o->child_name, &cl);
	if (err)
		return cli_fail("soak --shm-child: open", err);
	double deadline = cli_now_ns() + o->seconds * 1e9;
	while (cli_now_ns() < deadline) {
		struct mkrt_slot res = { 0 };
		uint32_t slot, v = soak_rand(&seed);
		if (v % 8 == 0) { /* injected: a slot no well-behaved producer writes */
			uint32_t w[MKRT_SLOT_WORDS] = { MKRT_STATUS_PUBLISHED, v % 3 ? 0xFFF5u : MKRT_OP_SHUTDOWN };
			slot = (v >> 8) % mkrt_shm_client_slots(cl);
			atomic_fetch_add(&c.injected, 1);
			err = mkrt_shm_client_publish_raw(cl, slot, w);
			err = err ? err : mkrt_shm_client_wait(cl, slot, SOAK_WAIT_MS, &res);
			if (err != MKRT_ESLOTFAULT && err != 0)
				break;
			atomic_fetch_add(&c.processed, 1);
			if (err == MKRT_ESLOTFAULT &&
			    res.args[MKRT_SLOT_FAULT_REASON - MKRT_SLOT_ARG0] == MKRT_FAULT_REJECTED)
				atomic_fetch_add(&c.reported, 1);
			else
				soak_corrupt(&c, who, "malformed slot not rejected", (uint32_t)err, MKRT_ESLOTFAULT);
			continue;
		}
		uint32_t id = (v >> 4) % d.records;
		struct mkrt_slot req = { .opcode = MKRT_OP_LOAD_MISS, .args = { id } };
		err = mkrt_shm_client_submit(cl, &req, 2, SOAK_WAIT_MS, &slot);
		err = err ? err : mkrt_shm_client_wait(cl, slot, SOAK_WAIT_MS, &res);
		if (err != MKRT_ESLOTFAULT && err != 0)
			break;
		atomic_fetch_add(&c.processed, 1);
		soak_check_load(&c, &d, who, id, false, err, &res);
	}
	if (err && err != MKRT_ESLOTFAULT) {
		atomic_fetch_add(&c.lost, 1);
		fprintf(stderr, "mkrt soak: %s: %s\n  %s\n", who, mkrt_err_name(err), mkrt_last_detail());
	}
	mkrt_shm_client_close(cl);
	free(d.sums);
	printf("%llu %llu %llu %llu %llu %llu\n", (unsigned long long)c.processed, (unsigned long long)c.injected,
	       (unsigned long long)c.reported, (unsigned long long)c.lost, (unsigned long long)c.corrupted,
	       (unsigned long long)c.loads);
	return c.lost || c.corrupted ? CLI_FAIL : CLI_OK;
}

struct soak_child_proc {
	pid_t pid;
	int out; /* its stdout */
};

static int soak_spawn(const struct soak_opts *o, const char *name, const char *data, uint32_t k,
		      struct soak_child_proc *ch)
{
	char seconds[16], records[16], bytes[16], seed[16];
	int fds[2];
	posix_spawn_file_actions_t fa;

	snprintf(seconds, sizeof(seconds), "%u", o->seconds);
	snprintf(records, sizeof(records), "%u", o->resources);
	snprintf(bytes, sizeof(bytes), "%u", o->record_bytes);
	snprintf(seed, sizeof(seed), "%u", 0xC4u + k * 7919u);
	char *argv[] = { "mkrt", "soak", "--shm-child", (char *)name, "--data", (char *)data,
			 "--seconds", seconds, "--resources", records, "--record-bytes", bytes,
			 "--seed", seed, NULL };
	if (pipe(fds))
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	int rc = posix_spawn(&ch->pid, "/proc/self/exe", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (rc) {
		close(fds[0]);
		return -1;
	}
	ch->out = fds[0];
	return 0;
}

/* Collect a child's counts; one that does not end in time is killed and
 * everything it had in flight counts as lost. */
static void soak_reap(struct soak_child_proc *ch, double deadline_ns, struct soak_counts *c)
{
	int status = 0;
	unsigned long long n[6] = { 0 };

	while (waitpid(ch->pid, &status, WNOHANG) == 0) {
		if (cli_now_ns() > deadline_ns) {
			kill(ch->pid, SIGKILL);
			waitpid(ch->pid, &status, 0);
			fprintf(stderr, "mkrt soak: shm producer %d did not finish: killed\n", (int)ch->pid);
			break;
		}
		usleep(10000);
	}
	FILE *f = fdopen(ch->out, "r");
	if (!f || fscanf(f, "%llu %llu %llu %llu %llu %llu", &n[0], &n[1], &n[2], &n[3], &n[4], &n[5]) != 6)
		n[3] = 1; /* no report: count it lost */
	if (f)
		fclose(f);
	else
		close(ch->out);
	atomic_fetch_add(&c->processed, n[0]);
	atomic_fetch_add(&c->injected, n[1]);
	atomic_fetch_add(&c->reported, n[2]);
	atomic_fetch_add(&c->lost, n[3]);
	atomic_fetch_add(&c->corrupted, n[4]);
	atomic_fetch_add(&c->loads, n[5]);
}

/* ---- the command --------------------------------------------------------------------------------- */

static void soak_report(const struct soak_opts *o, struct mkrt_runtime *rt, const struct soak_counts *c,
			double secs)
{
	const char *inner = mkrt_runtime_device(rt);
	unsigned long long processed = c->processed;
	char backend[64];

	/* shm forwards to another backend, the named one or the best probe: name both */
	const char *fwd = o->backend;
	if (!fwd) {
		struct mkrt_config auto_cfg;
		mkrt_config_init(&auto_cfg);
		int best = mkrt_backend_select(&auto_cfg, NULL, 0);
		fwd = best >= 0 ? mkrt_backend_name(best) : "?";
	}
	snprintf(backend, sizeof(backend), "%s%s%s", mkrt_runtime_backend(rt), o->shm_producers ? "/" : "",
		 o->shm_producers ? fwd : "");
	if (o->json) {
		printf("{\"backend\": ");
		cli_json_str(stdout, backend);
		printf(", \"device\": ");
		cli_json_str(stdout, inner ? inner : "");
		printf(", \"seconds\": %.1f, \"producers\": %u, \"shm_producers\": %u, \"processed\": %llu, "
		       "\"slots_per_s\": %.0f, \"load_misses\": %llu, \"builtins\": %llu, "
		       "\"faults_injected\": %llu, \"faults_reported\": %llu, \"resolver_failures\": %llu, "
		       "\"lost\": %llu, \"corrupted\": %llu}\n",
		       secs, o->producers, o->shm_producers, processed, processed / secs,
		       (unsigned long long)c->loads, (unsigned long long)c->builtins,
		       (unsigned long long)c->injected, (unsigned long long)c->reported,
		       (unsigned long long)c->resolver_failures, (unsigned long long)c->lost,
		       (unsigned long long)c->corrupted);
		return;
	}
	printf("mkrt soak: %s on %s, %.1f s, %u producer threads, %u shm producers\n", backend,
	       inner ? inner : "?", secs, o->producers, o->shm_producers);
	printf("  slots processed   %llu (%.0f/s): %llu load misses, %llu builtins checked against the "
	       "reference executor\n",
	       processed, processed / secs, (unsigned long long)c->loads, (unsigned long long)c->builtins);
	printf("  faults injected   %llu (IO errors, bad indices, unknown opcodes, malformed shm slots)\n",
	       (unsigned long long)c->injected);
	printf("  faults reported   %llu (resolver calls failed on purpose: %llu)\n",
	       (unsigned long long)c->reported, (unsigned long long)c->resolver_failures);
	printf("  lost              %llu\n  corrupted         %llu\n", (unsigned long long)c->lost,
	       (unsigned long long)c->corrupted);
}

int cli_soak(int argc, char **argv)
{
	struct soak_opts o = { .seconds = 60, .producers = 4, .shm_producers = 2, .resources = 512,
			       .record_bytes = 1024, .frames = 256 };
	const struct cli_opt opts[] = {
		{ "--seconds", CLI_NUM, &o.seconds, "S", 1, 1u << 24, "60", "how long to run" },
		{ "--backend", CLI_BACKEND, &o.backend, "NAME", 0, 0, "$MKRT_BACKEND, else the best probe",
		  "the backend under test (shm producers go through shm to it)" },
		{ "--producers", CLI_NUM, &o.producers, "P", 1, 64, "4", "producer threads in this process" },
		{ "--shm-producers", CLI_NUM, &o.shm_producers, "K", 0, SOAK_MAX_CHILDREN, "2",
		  "producer processes through the shm backend" },
		{ "--resources", CLI_NUM, &o.resources, "R", 1, 1u << 16, "512", "records in the data file" },
		{ "--record-bytes", CLI_BYTES4, &o.record_bytes, "B", 4, 1u << 20, "1024",
		  "bytes per record" },
		{ "--frames", CLI_NUM, &o.frames, "F", 1, 65536, "256", "device frames that hold records" },
		{ "--json", CLI_FLAG, &o.json, NULL, 0, 0, NULL, "one JSON object instead of text" },
		{ "--shm-child", CLI_TEXT, &o.child_name, "/NAME", 0, 0, NULL,
		  "internal: run as one of the soak's producer processes" },
		{ "--data", CLI_TEXT, &o.child_data, "FILE", 0, 0, NULL, "internal: that process's data file" },
		{ "--seed", CLI_NUM, &o.seed, "N", 0, UINT32_MAX, NULL, "internal: that process's seed" },
	};
	const struct cli_cmd cmd = {
		"soak", NULL, 0,
		"Mixed traffic with injected faults, every result checked against the\n"
		"reference executor or the data file: prints slots processed, faults injected\n"
		"and reported, and what was lost or corrupted. Exit 1 unless both are 0.",
		opts, CLI_NOPTS(opts), "environment: MKRT_BACKEND, MKRT_DEVICE, TMPDIR",
	};
	struct soak_counts c = { 0 };
	struct soak_data d;
	struct soak_child_proc kids[SOAK_MAX_CHILDREN];
	struct soak_producer *ps = NULL;
	pthread_t *threads = NULL;
	struct mkrt_runtime *rt = NULL;
	int rc = cli_parse(&cmd, argc, argv, NULL, 0, NULL);

	if (rc >= 0)
		return rc;
	rc = CLI_FAIL;
	if (o.child_name) {
		if (o.child_data)
			return soak_child(&o);
		fprintf(stderr, "mkrt soak: --shm-child needs --data\n");
		return CLI_USAGE;
	}
	if (soak_data_make(&d, o.resources, o.record_bytes)) {
		fprintf(stderr, "mkrt soak: cannot write the data file %s: %s\n", d.path, strerror(errno));
		soak_data_free(&d);
		return CLI_FAIL;
	}

	/* each producer owns 2 control words per window position */
	uint32_t first_word = MKRT_CTL_OBS + 8;
	uint32_t observable = 8 + 2 * SOAK_WINDOW * o.producers;
	struct soak_resolver resolver = { &d, &c };
	struct mkrt_io_config io = { .resources = o.resources, .frames = o.frames, .frame_bytes = o.record_bytes,
				     .resolve = soak_resolve, .user = &resolver };
	static uint32_t dfa[4 * 256];
	for (uint32_t i = 0; i < 4 * 256; i++)
		dfa[i] = i * 2654435761u;
	struct mkrt_config cfg;
	mkrt_config_init(&cfg);
	cfg.backend = o.backend;
	if (o.shm_producers) {
		cfg.backend = "shm";
		cfg.shm_backend = o.backend;
	}
	cfg.observable = observable;
	cfg.dfa = dfa;
	cfg.dfa_words = 4 * 256;
	cfg.io = &io;
	int err = mkrt_runtime_open(&cfg, &rt);
	if (err) {
		cli_fail("soak: open", err);
		goto out;
	}
	uint32_t control_words = MKRT_CTL_OBS + observable;

	double t0 = cli_now_ns(), deadline = t0 + o.seconds * 1e9;
	uint32_t spawned = 0;
	for (; spawned < o.shm_producers; spawned++)
		if (soak_spawn(&o, mkrt_runtime_shm_name(rt), d.path, spawned, &kids[spawned])) {
			fprintf(stderr, "mkrt soak: cannot start an shm producer: %s\n", strerror(errno));
			break;
		}
	ps = calloc(o.producers, sizeof(*ps));
	threads = calloc(o.producers, sizeof(*threads));
	uint32_t started = 0;
	for (; ps && threads && started < o.producers; started++) {
		struct soak_producer *p = &ps[started];
		*p = (struct soak_producer){ .rt = rt, .counts = &c, .data = &d, .index = started,
					     .control_words = control_words,
					     .first_word = first_word + 2 * SOAK_WINDOW * started,
					     .deadline_ns = deadline };
		p->ctl = calloc(control_words, sizeof(uint32_t));
		if (!p->ctl || mkrt_encode_control_into(NULL, (uint8_t *)p->ctl, control_words * 4u))
			break;
		p->ref = (struct mkrt_exec_buffers){ .ring = p->ring, .slot_count = 1, .control = p->ctl,
						     .control_words = control_words, .dfa = dfa,
						     .dfa_words = 4 * 256 };
		if (pthread_create(&threads[started], NULL, soak_produce, p)) {
			free(p->ctl);
			break;
		}
	}
	for (uint32_t i = 0; i < started; i++) {
		pthread_join(threads[i], NULL);
		free(ps[i].ctl);
	}
	for (uint32_t k = 0; k < spawned; k++)
		soak_reap(&kids[k], deadline + 60e9, &c);
	double secs = (cli_now_ns() - t0) / 1e9;
	if (started < o.producers || spawned < o.shm_producers)
		fprintf(stderr, "mkrt soak: only %u of %u producer threads and %u of %u shm producers started\n",
			started, o.producers, spawned, o.shm_producers);
	soak_report(&o, rt, &c, secs);
	bool whole = started == o.producers && spawned == o.shm_producers;
	rc = whole && c.processed && !c.lost && !c.corrupted && c.injected == c.reported ? CLI_OK : CLI_FAIL;
out:
	mkrt_runtime_close(rt);
	free(ps);
	free(threads);
	soak_data_free(&d);
	return rc;
}
