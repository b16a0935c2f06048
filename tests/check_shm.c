/* SPDX-License-Identifier: MIT */
/*
 * check_shm.c - producers in other processes through the shm backend.
 *
 * The server is a runtime on backend shm forwarding to the best other
 * backend (svm on PoCL); producers are forked processes that only use the
 * client API. Covers the segment's name and mode, a round trip, the
 * broker's intake of hostile slots, and a producer killed with SIGKILL in
 * the middle of a stream.
 */
#include "helpers.h"
#include "device.h"
#include "shm.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define COUNTER (MKRT_CTL_OBS + 0)

static char seg[64];

static struct mkrt_runtime *serve(void)
{
	struct mkrt_config cfg;

	snprintf(seg, sizeof(seg), "/mkrt-check-%ld", (long)getpid());
	mkrt_config_init(&cfg);
	cfg.backend = "shm";
	cfg.shm_name = seg;
	cfg.slots = 64;
	struct mkrt_runtime *rt = mkrt_test_open(&cfg);
	ck_assert_str_eq(mkrt_runtime_shm_name(rt), seg);
	return rt;
}

static struct mkrt_slot add_one(void)
{
	return (struct mkrt_slot){ .opcode = MKRT_OP_ATOMIC_ADD, .args = { 1, COUNTER } };
}

START_TEST(names_and_mode)
{
	ck_assert_err(mkrt_shm_name_valid("/mkrt-ok_1.2"), 0);
	ck_assert_err(mkrt_shm_name_valid(NULL), MKRT_EINVAL);
	static const char *bad[] = { "", "/", "noslash", "/a/b", "/..", "/sp ace", "/\xc3\xa9" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(mkrt_shm_name_valid(bad[i]) == MKRT_ESHM, "'%s' accepted", bad[i]);
	char longname[MKRT_SHM_NAME_MAX + 2];
	memset(longname, 'a', sizeof(longname));
	longname[0] = '/';
	longname[MKRT_SHM_NAME_MAX + 1] = '\0';
	ck_assert_err(mkrt_shm_name_valid(longname), MKRT_ESHM);

	/* a runtime with a bad name is refused with the reason */
	struct mkrt_runtime *rt = NULL;
	ck_assert_err(mkrt_runtime_open(&(struct mkrt_config){ .backend = "shm", .shm_name = "bad" }, &rt),
		      MKRT_EUNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(mkrt_last_detail(), "[A-Za-z0-9._-]"));

	/* the segment is this user's alone, and goes with the runtime */
	umask(0);
	rt = serve();
	struct stat st;
	char path[96];
	snprintf(path, sizeof(path), "/dev/shm%s", seg);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);

	/* a second server cannot take a live server's name */
	struct mkrt_runtime *rt2 = NULL;
	ck_assert_err(mkrt_runtime_open(&(struct mkrt_config){ .backend = "shm", .shm_name = seg }, &rt2),
		      MKRT_ESHM);
	ck_assert_ptr_nonnull(strstr(mkrt_last_detail(), "live server"));

	/* clients: four rings, then no more */
	struct mkrt_shm_client *c[MKRT_SHM_CLIENTS + 1];
	for (uint32_t i = 0; i < MKRT_SHM_CLIENTS; i++)
		ck_assert_err(mkrt_shm_client_open(seg, &c[i]), 0);
	ck_assert_err(mkrt_shm_client_open(seg, &c[MKRT_SHM_CLIENTS]), MKRT_ESHM);
	ck_assert_ptr_nonnull(strstr(mkrt_last_detail(), "taken"));
	for (uint32_t i = 0; i < MKRT_SHM_CLIENTS; i++)
		mkrt_shm_client_close(c[i]);
	ck_assert_err(mkrt_shm_client_open("/mkrt-no-such-server", &c[0]), MKRT_ESHM);
	ck_assert_ptr_nonnull(strstr(mkrt_last_detail(), "no server"));

	mkrt_runtime_close(rt);
	ck_assert_int_eq(stat(path, &st), -1);
}
END_TEST

/* A producer process: @n round trips, each checked; exits 0 when all passed. */
static void producer(uint32_t n)
{
	struct mkrt_shm_client *c;
	struct mkrt_slot res;
	uint32_t slot;

	if (mkrt_shm_client_open(seg, &c))
		_exit(10);
	for (uint32_t i = 0; i < n; i++) {
		struct mkrt_slot req = { .opcode = MKRT_OP_STORE_U32, .args = { i * 7 + 1, MKRT_CTL_OBS + 1 } };
		if (mkrt_shm_client_submit(c, &req, 2, WAIT_MS, &slot))
			_exit(11);
		if (mkrt_shm_client_wait(c, slot, WAIT_MS, &res) || res.status != MKRT_STATUS_DONE ||
		    res.args[0] != i * 7 + 1)
			_exit(12);
		req = add_one();
		if (mkrt_shm_client_submit(c, &req, 2, WAIT_MS, &slot) ||
		    mkrt_shm_client_wait(c, slot, WAIT_MS, NULL))
			_exit(13);
	}
	mkrt_shm_client_close(c);
	_exit(0);
}

static int join(pid_t pid)
{
	int status = 0;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* A producer process doing @n checked round trips, to its end. */
static void run_producer(uint32_t n)
{
	pid_t pid = fork();

	if (pid == 0)
		producer(n);
	ck_assert_int_eq(join(pid), 0);
}

START_TEST(producer_in_another_process)
{
	struct mkrt_runtime *rt = serve();

	run_producer(500);
	ck_assert_uint_eq(mkrt_test_ctl(rt, COUNTER), 500);
	/* and the runtime's own ring works beside it */
	struct mkrt_ticket t;
	struct mkrt_slot one = add_one();
	ck_assert_err(mkrt_submit(rt, &one, WAIT_MS, &t), 0);
	ck_assert_err(mkrt_wait(rt, t, WAIT_MS, NULL), 0);
	ck_assert_uint_eq(mkrt_test_ctl(rt, COUNTER), 501);
	ck_assert_err(mkrt_runtime_stop(rt, WAIT_MS), 0);
	mkrt_runtime_close(rt);
}
END_TEST

START_TEST(hostile_slots_are_rejected)
{
	struct mkrt_runtime *rt = serve();
	struct mkrt_shm_client *c;
	struct mkrt_shm_stats st;
	struct mkrt_slot res;

	ck_assert_err(mkrt_shm_client_open(seg, &c), 0);
	uint32_t packed_bad[MKRT_SLOT_ARGS] = { 0xFFFFFFFFu }; /* op count far over the limit */
	struct {
		uint32_t status, opcode, tenant;
		const uint32_t *args;
	} bad[] = {
		{ 0xDEADBEEFu, MKRT_OP_ATOMIC_ADD, 0, NULL },  /* garbage status */
		{ MKRT_STATUS_CLAIMED, MKRT_OP_ATOMIC_ADD, 0, NULL }, /* a state only executors write */
		{ MKRT_STATUS_PUBLISHED, 0xFFF5u, 0, NULL },      /* reserved system opcode */
		{ MKRT_STATUS_PUBLISHED, MKRT_OP_SHUTDOWN, 0, NULL },
		{ MKRT_STATUS_PUBLISHED, MKRT_OP_ATOMIC_ADD, 99, NULL }, /* tenant outside the table */
		{ MKRT_STATUS_PUBLISHED, MKRT_OP_PACKED_SLOT, 0, packed_bad },
	};
	uint32_t n = sizeof(bad) / sizeof(bad[0]);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t w[MKRT_SLOT_WORDS] = { bad[i].status, bad[i].opcode, bad[i].tenant, 0, 1, COUNTER };
		if (bad[i].args)
			memcpy(w + MKRT_SLOT_ARG0, bad[i].args, sizeof(packed_bad));
		ck_assert_err(mkrt_shm_client_publish_raw(c, i, w), 0);
		ck_assert_err(mkrt_shm_client_wait(c, i, WAIT_MS, &res), MKRT_ESLOTFAULT);
		ck_assert_uint_eq(res.args[MKRT_SLOT_FAULT_REASON - MKRT_SLOT_ARG0], MKRT_FAULT_REJECTED);
	}
	ck_assert_err(mkrt_shm_client_stats(c, &st), 0);
	ck_assert_uint_eq(st.rejected, n);
	ck_assert_uint_eq(st.forwarded, 0);
	/* nothing reached the device: no count, no shutdown; good slots still run */
	uint32_t done = 0;
	ck_assert_err(mkrt_runtime_done_count(rt, &done), 0);
	ck_assert_uint_eq(done, 0);
	ck_assert_uint_eq(mkrt_test_ctl(rt, COUNTER), 0);
	struct mkrt_slot one = add_one();
	uint32_t slot;
	ck_assert_err(mkrt_shm_client_submit(c, &one, 2, WAIT_MS, &slot), 0);
	ck_assert_err(mkrt_shm_client_wait(c, slot, WAIT_MS, NULL), 0);
	ck_assert_uint_eq(mkrt_test_ctl(rt, COUNTER), 1);
	/* the client API refuses what it can see is wrong */
	ck_assert_err(mkrt_shm_client_publish_raw(c, mkrt_shm_client_slots(c), (uint32_t[16]){ 0 }),
		      MKRT_ERANGE);
	ck_assert_err(mkrt_shm_client_wait(c, 1u << 30, 1, NULL), MKRT_ERANGE);
	ck_assert_err(mkrt_shm_client_submit(c, &(struct mkrt_slot){ .opcode = 0xFFF5u }, 0, 1, &slot),
		      MKRT_EOPCODE);
	ck_assert_err(mkrt_shm_client_submit(c, &one, 13, 1, &slot), MKRT_EARGS);
	ck_assert_err(mkrt_shm_client_submit(NULL, &one, 2, 1, &slot), MKRT_EINVAL);
	mkrt_shm_client_close(c);
	ck_assert_err(mkrt_runtime_stop(rt, WAIT_MS), 0);
	mkrt_runtime_close(rt);
}
END_TEST

/*
 * A producer publishes ATOMIC_ADD(1) without waiting and reports each
 * publish on a pipe; it is killed with SIGKILL mid-stream. Everything it
 * published must run exactly once (the count is the reported publishes, or
 * one more if it died between a publish and its report), nothing may be
 * left PUBLISHED in its ring, and a new producer takes the ring over.
 */
/* Slots still PUBLISHED in the producer rings (ring 0 is the runtime's). */
static uint32_t published_in_producer_rings(const struct mkrt__shm_map *map)
{
	uint32_t busy = 0;

	for (uint32_t r = 1; r < MKRT__SHM_RINGS; r++)
		for (uint32_t s = 0; s < map->hdr->slots; s++)
			busy += __atomic_load_n(&mkrt__shm_ring(map, r)[s * MKRT_SLOT_WORDS], __ATOMIC_ACQUIRE) ==
				MKRT_STATUS_PUBLISHED;
	return busy;
}

START_TEST(producer_killed_mid_stream)
{
	struct mkrt_runtime *rt = serve();
	int fds[2];
	uint32_t reported = 0, v;

	ck_assert_int_eq(pipe(fds), 0);
	pid_t pid = fork();
	if (pid == 0) {
		struct mkrt_shm_client *c;
		struct mkrt_slot one = add_one();
		uint32_t slot;
		close(fds[0]);
		if (mkrt_shm_client_open(seg, &c))
			_exit(10);
		for (uint32_t i = 1;; i++) {
			if (mkrt_shm_client_submit(c, &one, 2, WAIT_MS, &slot))
				_exit(11);
			if (write(fds[1], &i, sizeof(i)) != sizeof(i))
				_exit(12);
		}
	}
	close(fds[1]);
	while (reported < 3000 && read(fds[0], &v, sizeof(v)) == sizeof(v))
		reported = v;
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(join(pid), 128 + SIGKILL);
	while (read(fds[0], &v, sizeof(v)) == sizeof(v))
		reported = v;
	close(fds[0]);

	/* the broker finishes what the dead producer had published */
	struct mkrt__shm_map map = { 0 };
	ck_assert_err(mkrt__shm_attach(seg, &map), 0);
	while (published_in_producer_rings(&map)) /* the suite's timeout is the watchdog */
		usleep(1000);
	uint32_t ran = mkrt_test_ctl(rt, COUNTER);
	printf("killed after %u reported publishes: %u ran, %llu forwarded, %llu completed\n", reported,
	       ran, (unsigned long long)map.hdr->forwarded, (unsigned long long)map.hdr->completed);
	ck_assert_msg(ran == reported || ran == reported + 1, "%u reported, %u ran", reported, ran);
	ck_assert_uint_eq(map.hdr->forwarded, ran);
	ck_assert_uint_eq(map.hdr->completed, ran);
	ck_assert_uint_eq(map.hdr->rejected, 0);
	uint32_t dead_ring = 0;
	for (uint32_t r = 1; r < MKRT__SHM_RINGS; r++)
		dead_ring = map.hdr->owner[r] == (uint32_t)pid ? r : dead_ring;
	ck_assert_uint_ne(dead_ring, 0);

	/* every other ring taken: the next producer must get the dead one's */
	struct mkrt_shm_client *others[MKRT_SHM_CLIENTS - 1];
	for (uint32_t i = 0; i < MKRT_SHM_CLIENTS - 1; i++)
		ck_assert_err(mkrt_shm_client_open(seg, &others[i]), 0);
	run_producer(200);
	ck_assert_uint_eq(mkrt_test_ctl(rt, COUNTER), ran + 200);
	for (uint32_t i = 0; i < MKRT_SHM_CLIENTS - 1; i++)
		mkrt_shm_client_close(others[i]);
	mkrt__shm_unmap(&map);
	ck_assert_err(mkrt_runtime_stop(rt, WAIT_MS), 0);
	mkrt_runtime_close(rt);
}
END_TEST

START_TEST(server_gone_is_reported)
{
	struct mkrt_runtime *rt = serve();
	struct mkrt_shm_client *c;
	uint32_t slot;

	ck_assert_err(mkrt_shm_client_open(seg, &c), 0);
	ck_assert_err(mkrt_runtime_stop(rt, WAIT_MS), 0);
	struct mkrt_slot one = add_one();
	ck_assert_err(mkrt_shm_client_submit(c, &one, 2, WAIT_MS, &slot), MKRT_ESHUTDOWN);
	mkrt_runtime_close(rt);
	mkrt_shm_client_close(c); /* its mapping outlived the segment's name */
}
END_TEST

/* ---- the system's words, the tenant table, a dead server (issue 14) ------------------------ */

/* One slot from a producer in another process, and what it must end as. */
struct intake_case {
	const char *what;
	struct mkrt_slot req;
	int want;              /* 0: DONE; ESLOTFAULT: FAULT REJECTED */
};

/* A producer process: each case in turn; exits 0 when every one ended as
 * it must, else 20 + the index of the first that did not. */
static void hostile_producer(const struct intake_case *cases, uint32_t n)
{
	struct mkrt_shm_client *c;
	struct mkrt_slot res;
	uint32_t slot;

	if (mkrt_shm_client_open(seg, &c))
		_exit(10);
	for (uint32_t i = 0; i < n; i++) {
		int err = mkrt_shm_client_submit(c, &cases[i].req, MKRT_SLOT_ARGS, WAIT_MS, &slot);
		err = err ? err : mkrt_shm_client_wait(c, slot, WAIT_MS, &res);
		if (err != cases[i].want ||
		    (err && res.args[MKRT_SLOT_FAULT_REASON - MKRT_SLOT_ARG0] != MKRT_FAULT_REJECTED)) {
			fprintf(stderr, "case %u (%s): %s\n", i, cases[i].what, mkrt_err_name(err));
			_exit(20 + (int)i);
		}
	}
	mkrt_shm_client_close(c);
	_exit(0);
}

static struct mkrt_slot packed_of(const struct mkrt_packed_op *ops, uint32_t n)
{
	struct mkrt_slot s = { .opcode = MKRT_OP_PACKED_SLOT };
	ck_assert_err(mkrt_encode_packed(ops, n, s.args), 0);
	return s;
}

START_TEST(system_words_are_out_of_reach)
{
	struct mkrt_runtime *rt = serve();
	const uint32_t obs = MKRT_CTL_OBS;
	const struct mkrt_packed_op inner_bad[] = {
		{ MKRT_OP_ATOMIC_ADD, { 1, COUNTER, 0 } },
		{ MKRT_OP_STORE_U32, { 1, MKRT_CTL_SHUTDOWN, 0 } },
	};
	const struct mkrt_packed_op inner_good[] = {
		{ MKRT_OP_STORE_U32, { 5, obs + 2, 0 } },
		{ MKRT_OP_LOAD_U32, { MKRT_CTL_TENANT_BASE, 3, 0 } }, /* reads a system word: allowed */
	};
	const struct intake_case cases[] = {
		{ "STORE_U32 1 -> SHUTDOWN", { .opcode = MKRT_OP_STORE_U32, .args = { 1, MKRT_CTL_SHUTDOWN } },
		  MKRT_ESLOTFAULT },
		{ "STORE_U32 -> TENANT_BASE", { .opcode = MKRT_OP_STORE_U32, .args = { 20, MKRT_CTL_TENANT_BASE } },
		  MKRT_ESLOTFAULT },
		{ "STORE_U32 -> tenant mask", { .opcode = MKRT_OP_STORE_U32, .args = { 1, 4 } }, MKRT_ESLOTFAULT },
		{ "ATOMIC_ADD -> DONE_COUNT", { .opcode = MKRT_OP_ATOMIC_ADD, .args = { 1, MKRT_CTL_DONE_COUNT } },
		  MKRT_ESLOTFAULT },
		{ "ATOMIC_ADD -> mkrt's last word", { .opcode = MKRT_OP_ATOMIC_ADD, .args = { 1, obs - 1 } },
		  MKRT_ESLOTFAULT },
		{ "COMPARE_SWAP on SHUTDOWN", { .opcode = MKRT_OP_COMPARE_SWAP, .args = { MKRT_CTL_SHUTDOWN, 0, 1 } },
		  MKRT_ESLOTFAULT },
		{ "MEMCPY into the tenant table", { .opcode = MKRT_OP_MEMCPY, .args = { obs, 2, 4 } },
		  MKRT_ESLOTFAULT },
		{ "MEMCPY ending on OBS", { .opcode = MKRT_OP_MEMCPY, .args = { obs + 8, obs - 1, 2 } },
		  MKRT_ESLOTFAULT },
		{ "PACKED with a STORE to SHUTDOWN", packed_of(inner_bad, 2), MKRT_ESLOTFAULT },
		{ "SHUTDOWN", { .opcode = MKRT_OP_SHUTDOWN }, MKRT_ESLOTFAULT },
		/* what stays allowed */
		/* what stays allowed (clear of the honest producer's OBS and OBS + 1) */
		{ "STORE_U32 -> OBS + 4", { .opcode = MKRT_OP_STORE_U32, .args = { 9, obs + 4 } }, 0 },
		{ "MEMCPY of nothing to word 0", { .opcode = MKRT_OP_MEMCPY, .args = { obs, 0, 0 } }, 0 },
		{ "PACKED within OBS", packed_of(inner_good, 2), 0 },
	};
	/* BATCH_FENCE writes C[OBS] too, so it runs once the honest one is done */
	const struct intake_case fence[] = {
		{ "BATCH_FENCE (its own EPOCH increment)", { .opcode = MKRT_OP_BATCH_FENCE, .args = { 0, 7 } }, 0 },
	};
	const uint32_t ncases = sizeof(cases) / sizeof(cases[0]), honest = 1000;
	uint32_t rejected = 0, sys[MKRT_CTL_OBS], now[MKRT_CTL_OBS];

	for (uint32_t i = 0; i < ncases; i++)
		rejected += cases[i].want != 0;
	ck_assert_err(mkrt_runtime_read_control(rt, 0, MKRT_CTL_OBS, sys), 0);
	/* an honest producer streams beside the hostile one, both real processes */
	pid_t good = fork();
	if (good == 0)
		producer(honest);
	pid_t bad = fork();
	if (bad == 0)
		hostile_producer(cases, ncases);
	ck_assert_int_eq(join(bad), 0);
	ck_assert_int_eq(join(good), 0);
	/* the honest producer noticed nothing: every one of its slots ran once */
	ck_assert_uint_eq(mkrt_test_ctl(rt, COUNTER), honest);
	pid_t fencer = fork();
	if (fencer == 0)
		hostile_producer(fence, 1);
	ck_assert_int_eq(join(fencer), 0);

	struct mkrt_shm_stats st;
	ck_assert_err(mkrt_runtime_shm_stats(rt, &st), 0);
	ck_assert_uint_eq(st.rejected, rejected);
	ck_assert_uint_eq(st.forwarded, 2 * honest + (ncases - rejected) + 1);
	/* no system word moved but those the executors keep */
	ck_assert_err(mkrt_runtime_read_control(rt, 0, MKRT_CTL_OBS, now), 0);
	for (uint32_t i = 0; i < MKRT_CTL_OBS; i++) {
		bool kept = i == MKRT_CTL_DONE_COUNT || i == MKRT_CTL_EPOCH || i == MKRT_CTL_YIELD ||
			    (i >= MKRT_CTL_METRICS && i < MKRT_CTL_METRICS + MKRT_OP_METRIC_LIMIT) ||
			    (i >= MKRT_CTL_MKRT_FIRST && i <= MKRT_CTL_MKRT_LAST && i != MKRT_CTL_VERSION);
		ck_assert_msg(kept || now[i] == sys[i], "C[%u] %u -> %u", i, sys[i], now[i]);
	}
	ck_assert_uint_eq(now[MKRT_CTL_EPOCH], sys[MKRT_CTL_EPOCH] + 1); /* the one BATCH_FENCE */
	/* and the server serves on */
	run_producer(10);
	ck_assert_uint_eq(mkrt_test_ctl(rt, COUNTER), 7 + 10); /* the fence's C[OBS] = 7, then ten more */
	ck_assert_err(mkrt_runtime_stop(rt, WAIT_MS), 0);
	mkrt_runtime_close(rt);
}
END_TEST

/* The server's own ring may move the tenant base; the broker's check
 * follows it, where a copy taken at open would let tenant 22 through to
 * sit PUBLISHED forever. */
START_TEST(tenant_check_follows_the_table)
{
	struct mkrt_runtime *rt = serve();
	const uint32_t base = 10;
	struct mkrt_slot mask = { .opcode = MKRT_OP_STORE_U32, .args = { 1, base } };
	struct mkrt_slot move = { .opcode = MKRT_OP_STORE_U32, .args = { base, MKRT_CTL_TENANT_BASE } };
	struct mkrt_ticket t;

	ck_assert_err(mkrt_submit(rt, &mask, WAIT_MS, &t), 0);
	ck_assert_err(mkrt_wait(rt, t, WAIT_MS, NULL), 0);
	ck_assert_err(mkrt_submit(rt, &move, WAIT_MS, &t), 0);
	ck_assert_err(mkrt_wait(rt, t, WAIT_MS, NULL), 0);

	const struct intake_case cases[] = {
		{ "tenant 0, its mask now at C[10]", { .opcode = MKRT_OP_ATOMIC_ADD, .args = { 1, COUNTER } }, 0 },
		{ "tenant 22: C[32] is past the table",
		  { .opcode = MKRT_OP_ATOMIC_ADD, .tenant = 22, .args = { 1, COUNTER } }, MKRT_ESLOTFAULT },
	};
	pid_t pid = fork();
	if (pid == 0)
		hostile_producer(cases, 2);
	ck_assert_int_eq(join(pid), 0);
	ck_assert_uint_eq(mkrt_test_ctl(rt, COUNTER), 1);
	ck_assert_err(mkrt_runtime_stop(rt, WAIT_MS), 0);
	mkrt_runtime_close(rt);
}
END_TEST

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* `mkrt serve` as a real second process: @argv after "serve --name SEG
 * --backend host", its stdout on *@out. Returns once it says it serves. */
static pid_t spawn_server(const char *const *extra, FILE **out)
{
	const char *top = getenv("top_builddir");
	char mkrt[512], line[512];
	const char *argv[24] = { "mkrt", "serve", "--name", seg, "--backend", "host" };
	int fds[2], n = 6;

	snprintf(mkrt, sizeof(mkrt), "%s/cli/mkrt", top ? top : ".");
	for (; extra && *extra && n < 23; extra++)
		argv[n++] = *extra;
	argv[n] = NULL;
	ck_assert_int_eq(pipe(fds), 0);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execv(mkrt, (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	*out = fdopen(fds[0], "r");
	ck_assert_ptr_nonnull(*out);
	while (fgets(line, sizeof(line), *out))
		if (strncmp(line, "serving", 7) == 0)
			return pid;
	ck_abort_msg("%s serve did not come up (exit %d)", mkrt, join(pid));
	return -1;
}

START_TEST(server_killed_is_seen)
{
	char dfa_path[] = "/tmp/mkrt-dfa.XXXXXX";
	uint32_t table[2 * 256], slot;
	struct mkrt_shm_client *c;
	struct mkrt_shm_info info;
	struct mkrt_slot res;
	FILE *out;

	snprintf(seg, sizeof(seg), "/mkrt-check-kill-%ld", (long)getpid());
	for (uint32_t i = 0; i < 2 * 256; i++)
		table[i] = i ^ 0x5au;
	int fd = mkstemp(dfa_path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, table, sizeof(table)), (int)sizeof(table));
	close(fd);
	const char *const opts[] = { "--slots", "32", "--tenants", "2", "--observable", "8", "--dfa", dfa_path,
				     NULL };
	pid_t server = spawn_server(opts, &out);

	/* what serves the client, as the options said */
	ck_assert_err(mkrt_shm_client_open(seg, &c), 0);
	ck_assert_err(mkrt_shm_client_info(c, &info), 0);
	ck_assert_uint_eq(info.slots, 32);
	ck_assert_uint_eq(info.control_words, MKRT_CTL_OBS + 8);
	ck_assert_uint_eq(info.server_pid, (uint32_t)server);
	ck_assert_str_eq(info.backend, "host");
	ck_assert_err(mkrt_shm_client_info(c, NULL), MKRT_EINVAL);
	const struct intake_case served[] = {
		{ "tenant 1", { .opcode = MKRT_OP_ATOMIC_ADD, .tenant = 1, .args = { 1, MKRT_CTL_OBS } }, 0 },
		{ "the last observable word", { .opcode = MKRT_OP_STORE_U32, .args = { 1, MKRT_CTL_OBS + 7 } }, 0 },
		{ "DFA_STEP state 1", { .opcode = MKRT_OP_DFA_STEP, .args = { 1, 200, 0 } }, 0 },
	};
	for (uint32_t i = 0; i < 3; i++) {
		ck_assert_err(mkrt_shm_client_submit(c, &served[i].req, MKRT_SLOT_ARGS, WAIT_MS, &slot), 0);
		ck_assert_err(mkrt_shm_client_wait(c, slot, WAIT_MS, &res), 0);
	}
	struct mkrt_slot past[] = {
		{ .opcode = MKRT_OP_STORE_U32, .args = { 1, MKRT_CTL_OBS + 8 } },
		{ .opcode = MKRT_OP_DFA_STEP, .args = { 2, 0, 0 } }, /* state 2: not in the table */
	};
	for (uint32_t i = 0; i < 2; i++) {
		ck_assert_err(mkrt_shm_client_submit(c, &past[i], MKRT_SLOT_ARGS, WAIT_MS, &slot), 0);
		ck_assert_err(mkrt_shm_client_wait(c, slot, WAIT_MS, &res), MKRT_ESLOTFAULT);
		ck_assert_uint_eq(res.args[MKRT_SLOT_FAULT_REASON - MKRT_SLOT_ARG0], MKRT_FAULT_OUT_OF_RANGE);
	}

	/* SIGKILL, not reaped yet: each wait ends DONE (served before the
	 * kill landed) or SHUTDOWN, never by its timeout */
	uint64_t t0 = now_ns();
	ck_assert_int_eq(kill(server, SIGKILL), 0);
	uint32_t w[MKRT_SLOT_WORDS] = { MKRT_STATUS_PUBLISHED, MKRT_OP_ATOMIC_ADD, 0, 0, 1, MKRT_CTL_OBS };
	int err = 0;
	for (uint32_t i = 0; err != MKRT_ESHUTDOWN; i++) {
		ck_assert_err(mkrt_shm_client_publish_raw(c, i % 32, w), 0);
		err = mkrt_shm_client_wait(c, i % 32, WAIT_MS, NULL);
		ck_assert_msg(err == 0 || err == MKRT_ESHUTDOWN, "wait: %s", mkrt_err_name(err));
	}
	printf("a client learned its server was SIGKILLed %.3f ms after the kill\n",
	       (double)(now_ns() - t0) / 1e6);
	ck_assert_err(mkrt_shm_client_submit(c, &served[0].req, 2, WAIT_MS, &slot), MKRT_ESHUTDOWN);
	ck_assert_err(mkrt_shm_client_info(c, &info), MKRT_ESHUTDOWN);
	struct mkrt_shm_client *late = NULL;
	ck_assert_err(mkrt_shm_client_open(seg, &late), MKRT_ESHUTDOWN);
	ck_assert_ptr_null(late);
	ck_assert_ptr_nonnull(strstr(mkrt_last_detail(), "Fix:"));
	ck_assert_int_eq(join(server), 128 + SIGKILL);
	fclose(out);
	mkrt_shm_client_close(c);

	/* a new server replaces the dead one's segment and serves */
	server = spawn_server(NULL, &out);
	ck_assert_err(mkrt_shm_client_open(seg, &c), 0);
	struct mkrt_slot one = add_one();
	ck_assert_err(mkrt_shm_client_submit(c, &one, 2, WAIT_MS, &slot), 0);
	ck_assert_err(mkrt_shm_client_wait(c, slot, WAIT_MS, NULL), 0);
	ck_assert_int_eq(kill(server, SIGTERM), 0);
	ck_assert_int_eq(join(server), 0);
	ck_assert_err(mkrt_shm_client_wait(c, slot, WAIT_MS, NULL), 0); /* a DONE slot still reads back */
	ck_assert_err(mkrt_shm_client_submit(c, &one, 2, WAIT_MS, &slot), MKRT_ESHUTDOWN);
	fclose(out);
	mkrt_shm_client_close(c);
	unlink(dfa_path);
}
END_TEST

int main(void)
{
	mkrt_require_opencl_or_skip();
	Suite *s = suite_create("shm");
	TCase *tc = mkrt_tcase(s, "producers", 300);

	tcase_add_test(tc, names_and_mode);
	tcase_add_test(tc, producer_in_another_process);
	tcase_add_test(tc, hostile_slots_are_rejected);
	tcase_add_test(tc, producer_killed_mid_stream);
	tcase_add_test(tc, server_gone_is_reported);
	tcase_add_test(tc, system_words_are_out_of_reach);
	tcase_add_test(tc, tenant_check_follows_the_table);
	tcase_add_test(tc, server_killed_is_seen);
	return mkrt_run_suite(s);
}
