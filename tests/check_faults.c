/* SPDX-License-Identifier: MIT */
/*
 * check_faults.c - injected faults and clear failure on the device
 * backend (svm on PoCL in CI): each case asserts the error it must give,
 * and then that traffic on the same process still completes with every
 * result right, nothing lost, nothing run twice.
 *
 * IO and resolver errors are in check_loadmiss (every backend), the
 * host's full ring and tickets in check_runtime, the fuzzed decoders in
 * fuzz/. docs/RELIABILITY.md maps each fault to its test.
 */
#include "helpers.h"
#include "device.h"

#include <dirent.h>
#include <unistd.h>

#define OBS MKRT_CTL_OBS

extern uint32_t mkrt__inject_svm_alloc;

static struct mkrt_config svm_config(void)
{
	struct mkrt_config cfg;

	mkrt_config_init(&cfg);
	cfg.backend = "svm";
	cfg.slots = 64;
	return cfg;
}

/* Each request adds 1 to C[OBS + @counter] and carries a serial in ARG3
 * that must come back in its own ticket's result. */
static struct mkrt_slot counted(uint32_t counter, uint32_t serial)
{
	return (struct mkrt_slot){ .opcode = MKRT_OP_ATOMIC_ADD, .args = { 1, OBS + counter, 0, serial } };
}

/* Run @n counted requests through @rt, a window at a time, and check each
 * result and the counter: the process still works after a fault. */
static void traffic_is_exact(struct mkrt_runtime *rt, uint32_t n)
{
	enum { WINDOW = 16 };
	struct mkrt_ticket t[WINDOW];
	struct mkrt_slot res;
	uint32_t before = mkrt_test_ctl(rt, OBS + 7);

	for (uint32_t i = 0; i < n + WINDOW; i++) {
		uint32_t w = i % WINDOW;
		if (i >= WINDOW) {
			ck_assert_err(mkrt_wait(rt, t[w], WAIT_MS, &res), 0);
			ck_assert_uint_eq(res.args[3], 0xC0DE0000u + i - WINDOW);
		}
		if (i < n) {
			struct mkrt_slot r = counted(7, 0xC0DE0000u + i);
			ck_assert_err(mkrt_submit(rt, &r, WAIT_MS, &t[w]), 0);
		}
	}
	ck_assert_uint_eq(mkrt_test_ctl(rt, OBS + 7) - before, n);
}

/* ---- SVM allocation failure -------------------------------------------------------------- */

START_TEST(svm_allocation_failure)
{
	struct mkrt_config cfg = svm_config();
	struct mkrt_runtime *rt = NULL;
	char reason[512] = "";

	/* every clSVMAlloc fails: the probe refuses svm and names the call */
	mkrt__inject_svm_alloc = 1;
	ck_assert_int_eq(mkrt_backend_probe("svm", &cfg, reason, sizeof(reason)), 0);
	ck_assert_msg(strstr(reason, "clSVMAlloc") && strstr(reason, "returned NULL"), "%s", reason);
	ck_assert_err(mkrt_runtime_open(&cfg, &rt), MKRT_EUNAVAILABLE);
	ck_assert_ptr_null(rt);
	ck_assert_ptr_nonnull(strstr(mkrt_last_detail(), "clSVMAlloc"));
	ck_assert_ptr_nonnull(strstr(mkrt_strerror(MKRT_EUNAVAILABLE), "Fix: "));

	/* the automatic choice moves on to a backend that works */
	cfg.backend = NULL;
	rt = mkrt_test_open(&cfg);
	ck_assert_str_ne(mkrt_runtime_backend(rt), "svm");
	traffic_is_exact(rt, 200);
	mkrt_runtime_close(rt);

	/* the probe's allocation passes, the runtime's buffers fail: open
	 * fails cleanly (LeakSanitizer checks what it had allocated) */
	for (uint32_t pass = 2; pass <= 4; pass++) {
		cfg.backend = "svm";
		mkrt__inject_svm_alloc = pass;
		int err = mkrt_runtime_open(&cfg, &rt);
		ck_assert_msg(err == MKRT_ENOMEM || err == MKRT_EUNAVAILABLE, "pass %u: %s", pass,
			      mkrt_err_name(err));
		ck_assert_ptr_null(rt);
		ck_assert_ptr_nonnull(strstr(mkrt_last_detail(), "returned NULL"));
	}

	/* the driver has memory again: svm opens and runs everything */
	mkrt__inject_svm_alloc = 0;
	rt = mkrt_test_open(&cfg);
	ck_assert_str_eq(mkrt_runtime_backend(rt), "svm");
	traffic_is_exact(rt, 500);
	mkrt_runtime_close(rt);
}
END_TEST

/* ---- program build failure --------------------------------------------------------------- */

/* Copy @from to @to, its bytes (unless @text replaces them) and then @text. */
static void copy_file(const char *from, const char *to, const char *text, bool replace)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	char buf[4096];
	size_t n;

	ck_assert_msg(in && out, "copy %s to %s", from, to);
	while (!replace && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		ck_assert_uint_eq(fwrite(buf, 1, n, out), n);
	if (text)
		fputs(text, out);
	fclose(in);
	fclose(out);
}

/* A copy of cl/ in the new folder @dir (a mkdtemp template) whose @name
 * has @text appended, or instead of its own bytes with @replace; the
 * runtime reads it through MKRT_CL_DIR, the binary cache off. */
static void cl_dir_with(char *dir, const char *name, const char *text, bool replace)
{
	const char *src = getenv("top_srcdir");
	char from[512], to[600];
	struct dirent *e;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(from, sizeof(from), "%s/cl", src ? src : ".");
	DIR *d = opendir(from);
	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		bool mine = strcmp(e->d_name, name) == 0;
		snprintf(from, sizeof(from), "%s/cl/%s", src ? src : ".", e->d_name);
		snprintf(to, sizeof(to), "%s/%s", dir, e->d_name);
		copy_file(from, to, mine ? text : NULL, mine && replace);
	}
	closedir(d);
	setenv("MKRT_CL_DIR", dir, 1);
	setenv("MKRT_CACHE_DIR", "", 1);
}

static void cl_dir_remove(const char *dir)
{
	char cmd[600];

	unsetenv("MKRT_CL_DIR");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(program_build_failure)
{
	struct mkrt_config cfg = svm_config();
	struct mkrt_runtime *rt = NULL;
	char dir[] = "/tmp/mkrt-badcl.XXXXXX";

	/* a copy of cl/ whose megakernel does not compile */
	cl_dir_with(dir, "megakernel.cl", "\nthis is not OpenCL C;\n", false);
	int err = mkrt_runtime_open(&cfg, &rt);
	ck_assert_msg(err == MKRT_EBUILD, "got %s\n%s", mkrt_err_name(err), mkrt_last_detail());
	ck_assert_ptr_null(rt);
	/* the device's build log comes with the error */
	ck_assert_msg(strstr(mkrt_last_detail(), "this is not OpenCL C") || strstr(mkrt_last_detail(), "error"),
		      "%s", mkrt_last_detail());

	/* the embedded sources still build and run everything */
	cl_dir_remove(dir);
	rt = mkrt_test_open(&cfg);
	traffic_is_exact(rt, 500);
	mkrt_runtime_close(rt);
}
END_TEST

/* ---- a device no resident backend may use -------------------------------------------------- */

/* Probe kernels that fail the handshake the two ways a driver can: one
 * runs but never sees the host's store, one never shows that it runs. Each
 * handshake step ends when the probe kernel has returned, not on a clock,
 * so however loaded the machine, the refusal names the step each breaks. */
#define PROBE_INCLUDES "#include \"mkrt/protocol.h\"\n#include \"mkrt_atomics.h\"\n"
static const struct {
	const char *cl, *svm_why, *copy_why;
} bad_probes[] = {
	{ PROBE_INCLUDES "__kernel void mkrt_probe(mkrt_word_t *w, uint spins)\n{\n"
	  "\tmkrt_store_release(&w[0], MKRT_PROBE_RUNNING);\n"
	  "\tmkrt_store_release(&w[2], spins ? MKRT_PROBE_GAVE_UP : 0u);\n}\n",
	  "never saw the host's store", "never saw a write made through a second command queue" },
	{ PROBE_INCLUDES "__kernel void mkrt_probe(mkrt_word_t *w, uint spins)\n{\n}\n",
	  "never signalled it was running", "never signalled it was running" },
};

START_TEST(handshake_failures_leave_the_host)
{
	struct mkrt_config cfg = svm_config();
	struct mkrt_runtime *rt = NULL;
	char dir[] = "/tmp/mkrt-badprobe.XXXXXX", reason[512], mode[64];

	cl_dir_with(dir, "probe.cl", bad_probes[_i].cl, true);
	for (int i = 0; i < mkrt_device_count(); i++) {
		/* a device without fine-grained SVM (NVIDIA's) is refused before any probe */
		ck_assert_int_eq(mkrt_device_probe_svm((uint32_t)i, reason, sizeof(reason), mode, sizeof(mode)), 0);
		ck_assert_msg(strstr(reason, bad_probes[_i].svm_why) || strstr(reason, "no fine-grained SVM"),
			      "svm: %s", reason);
		ck_assert_int_eq(mkrt_device_probe_copy((uint32_t)i, reason, sizeof(reason), mode, sizeof(mode)), 0);
		ck_assert_msg(strstr(reason, bad_probes[_i].copy_why), "copy: %s", reason);
		ck_assert_str_eq(mode, "probe failed");
	}
	/* asked for by name: unavailable, with the probe's reason */
	const char *names[] = { "svm", "copy" };
	for (int b = 0; b < 2; b++) {
		cfg.backend = names[b];
		ck_assert_err(mkrt_runtime_open(&cfg, &rt), MKRT_EUNAVAILABLE);
		ck_assert_ptr_null(rt);
		const char *detail = mkrt_last_detail();
		ck_assert_msg(strstr(detail, b ? bad_probes[_i].copy_why : bad_probes[_i].svm_why), "%s", detail);
	}
	/* the automatic choice is the host, and it runs everything */
	cfg.backend = NULL;
	rt = mkrt_test_open(&cfg);
	ck_assert_str_eq(mkrt_runtime_backend(rt), "host");
	traffic_is_exact(rt, 500);
	mkrt_runtime_close(rt);
	cl_dir_remove(dir);
}
END_TEST

/* ---- a megakernel that does not stop ----------------------------------------------------- */

START_TEST(kernel_that_does_not_stop)
{
	struct mkrt_cl_handler h = { 0x301, "slow" };
	struct mkrt_config cfg = svm_config();
	struct mkrt_slot res, nop = { .opcode = MKRT_OP_NOP };
	struct mkrt_ticket spin_t, nop_t[8];

	cfg.cl_source = mkrt_test_slow_cl;
	cfg.cl_handlers = &h;
	cfg.cl_handler_count = 1;
	struct mkrt_runtime *rt = mkrt_test_open(&cfg);
	ck_assert_err(mkrt_submit(rt, &(struct mkrt_slot){ .opcode = 0x301, .args = { UINT32_MAX } }, 0,
				  &spin_t), 0);
	for (int i = 0; i < 8; i++)
		ck_assert_err(mkrt_submit(rt, &nop, 0, &nop_t[i]), 0);
	mkrt_test_wait_claimed(rt, spin_t); /* a lane holds it until the gate opens */

	/* the watchdog: an error, not a hang (the suite's timeout catches one) */
	ck_assert_err(mkrt_runtime_stop(rt, 200), MKRT_ETIMEDOUT);
	ck_assert_ptr_nonnull(strstr(mkrt_last_detail(), "did not return"));

	/* the process is not stuck: another runtime serves traffic meanwhile */
	struct mkrt_config host;
	mkrt_config_init(&host);
	host.backend = "host";
	struct mkrt_runtime *other = mkrt_test_open(&host);
	traffic_is_exact(other, 1000);
	mkrt_runtime_close(other);

	/* once the spinning slot ends, the stop completes, and every slot
	 * published before it ended DONE or was reported, none lost */
	mkrt_test_open_gate(rt);
	ck_assert_err(mkrt_runtime_stop(rt, WAIT_MS), 0);
	ck_assert_err(mkrt_wait(rt, spin_t, WAIT_MS, &res), 0); /* it was running: it ran */
	ck_assert_uint_eq(res.args[2], 1); /* ended by the gate, not the backstop */
	int err;
	for (int i = 0; i < 8; i++) {
		err = mkrt_wait(rt, nop_t[i], WAIT_MS, &res);
		ck_assert_msg(err == 0 || err == MKRT_ESHUTDOWN, "nop %d: %s", i, mkrt_err_name(err));
	}
	mkrt_runtime_close(rt);
}
END_TEST

/*
 * No slot starts after SHUTDOWN, even on a lane that was inside a slot when
 * SHUTDOWN ran: back from it, the lane goes on through its pass, past
 * slots published after SHUTDOWN (its round looked at SHUTDOWN before
 * them). Each must be reported, never run.
 */
START_TEST(no_slot_starts_after_shutdown)
{
	struct mkrt_cl_handler h = { 0x301, "slow" };
	struct mkrt_config cfg = svm_config();
	struct mkrt_slot res;
	struct mkrt_ticket slow_t, late_t[8];
	struct mkrt_stats st;

	cfg.cl_source = mkrt_test_slow_cl;
	cfg.cl_handlers = &h;
	cfg.cl_handler_count = 1;
	cfg.lanes = 2;
	cfg.epoch_ms = 3600000u; /* no relaunch in the middle */
	struct mkrt_runtime *rt = mkrt_test_open(&cfg);
	ck_assert_err(mkrt_runtime_stats(rt, &st), 0);
	if (st.lanes < 2) {
		printf("svm: %llu lane on this device: no second lane to run SHUTDOWN\n",
		       (unsigned long long)st.lanes);
		mkrt_runtime_close(rt);
		return;
	}
	ck_assert_err(mkrt_submit(rt, &(struct mkrt_slot){ .opcode = 0x301, .args = { UINT32_MAX } }, 0,
				  &slow_t), 0);
	mkrt_test_wait_claimed(rt, slow_t);
	ck_assert_err(mkrt_test_roundtrip(rt, (struct mkrt_slot){ .opcode = MKRT_OP_SHUTDOWN }, NULL), 0);
	/* the held lane keeps the kernel live, so these are published */
	for (int i = 0; i < 8; i++) {
		struct mkrt_slot late = counted(5, (uint32_t)i);
		ck_assert_err(mkrt_submit(rt, &late, 0, &late_t[i]), 0);
	}
	mkrt_test_open_gate(rt);
	ck_assert_err(mkrt_wait(rt, slow_t, WAIT_MS, &res), 0);
	ck_assert_uint_eq(res.args[2], 1); /* ended by the gate */
	for (int i = 0; i < 8; i++)
		ck_assert_err(mkrt_wait(rt, late_t[i], WAIT_MS, NULL), MKRT_ESHUTDOWN);
	ck_assert_err(mkrt_runtime_stop(rt, WAIT_MS), 0);
	ck_assert_uint_eq(mkrt_test_ctl(rt, OBS + 5), 0);
	mkrt_runtime_close(rt);
}
END_TEST

/* ---- a cancel no lane can answer ----------------------------------------------------------- */

/*
 * copy's host cannot withdraw a slot itself: a lane must. With its only
 * lane held in a slow slot, mkrt_cancel() of a denied slot must say
 * EINPROGRESS, and the ticket must then end exactly once, withdrawn, never
 * run; the slot it held must serve later requests as usual.
 */
START_TEST(cancel_no_lane_can_answer)
{
	struct mkrt_cl_handler h = { 0x301, "slow" };
	struct mkrt_config cfg = svm_config();
	struct mkrt_slot res, denied = counted(3, 0);
	struct mkrt_ticket busy, t;

	cfg.backend = "copy";
	cfg.slots = 16;
	cfg.lanes = 1;
	cfg.cl_source = mkrt_test_slow_cl;
	cfg.cl_handlers = &h;
	cfg.cl_handler_count = 1;
	struct mkrt_runtime *rt = mkrt_test_open(&cfg);
	ck_assert_err(mkrt_submit(rt, &(struct mkrt_slot){ .opcode = 0x301, .args = { UINT32_MAX } }, 0, &busy),
		      0);
	mkrt_test_wait_claimed(rt, busy);
	denied.tenant = 2;
	ck_assert_err(mkrt_submit(rt, &denied, 0, &t), 0);
	ck_assert_err(mkrt_cancel(rt, t), MKRT_EINPROGRESS);
	ck_assert_err(mkrt_poll(rt, t, NULL), MKRT_EAGAIN); /* still posted */

	mkrt_test_open_gate(rt);
	ck_assert_err(mkrt_wait(rt, busy, WAIT_MS, &res), 0);
	ck_assert_err(mkrt_wait(rt, t, WAIT_MS, &res), MKRT_ECANCELED);
	ck_assert_err(mkrt_wait(rt, t, WAIT_MS, &res), MKRT_ESTALE); /* it ended once */
	ck_assert_err(mkrt_cancel(rt, t), MKRT_ESTALE);
	ck_assert_uint_eq(mkrt_test_ctl(rt, OBS + 3), 0);                  /* it never ran */
	ck_assert_uint_eq(mkrt_test_ctl(rt, MKRT_CTL_DONE_COUNT), 1);      /* only the slow slot finished */
	/* every slot, the withdrawn one too, serves requests again */
	traffic_is_exact(rt, 100);
	ck_assert_uint_eq(mkrt_test_ctl(rt, OBS + 3), 0);
	mkrt_runtime_close(rt);
}
END_TEST

/* ---- a full ring --------------------------------------------------------------------------- */

START_TEST(full_ring_is_backpressure)
{
	struct mkrt_config cfg = svm_config();
	struct mkrt_ticket t[65];
	struct mkrt_slot denied = counted(3, 0);

	cfg.slots = 16;
	struct mkrt_runtime *rt = mkrt_test_open(&cfg);
	denied.tenant = 2; /* not authorized: each holds its slot PUBLISHED */
	for (int i = 0; i < 16; i++)
		ck_assert_err(mkrt_submit(rt, &denied, 0, &t[i]), 0);
	ck_assert_err(mkrt_submit(rt, &denied, 0, &t[16]), MKRT_ERINGFULL);
	ck_assert_err(mkrt_submit(rt, &denied, 100, &t[16]), MKRT_ERINGFULL); /* a bounded wait */

	/* cancelling frees slots; every cancelled request is accounted for */
	for (int i = 0; i < 16; i++)
		ck_assert_err(mkrt_cancel(rt, t[i]), 0);
	ck_assert_uint_eq(mkrt_test_ctl(rt, OBS + 3), 0); /* none of them ran */
	traffic_is_exact(rt, 500);
	mkrt_runtime_close(rt);
}
END_TEST

/* ---- shutdown with slots in flight --------------------------------------------------------- */

START_TEST(shutdown_with_slots_in_flight)
{
	struct mkrt_config cfg = svm_config();
	struct mkrt_ticket t[200];
	struct mkrt_slot res;
	uint32_t done = 0, reported = 0;

	cfg.slots = 256;
	struct mkrt_runtime *rt = mkrt_test_open(&cfg);
	for (uint32_t i = 0; i < 200; i++) {
		struct mkrt_slot r = counted(1, i);
		ck_assert_err(mkrt_submit(rt, &r, WAIT_MS, &t[i]), 0);
	}
	ck_assert_err(mkrt_runtime_stop(rt, WAIT_MS), 0);
	for (uint32_t i = 0; i < 200; i++) {
		int err = mkrt_wait(rt, t[i], WAIT_MS, &res);
		if (err == 0) {
			ck_assert_uint_eq(res.args[3], i);
			done++;
		} else {
			ck_assert_err(err, MKRT_ESHUTDOWN);
			reported++;
		}
	}
	/* each slot ran once or was reported: the counter is exactly the DONE ones */
	ck_assert_uint_eq(done + reported, 200);
	ck_assert_uint_eq(mkrt_test_ctl(rt, OBS + 1), done);
	mkrt_runtime_close(rt);
}
END_TEST

/* ---- no usable device, bad environment ------------------------------------------------------ */

START_TEST(bad_environment_and_no_device)
{
	struct mkrt_config cfg = svm_config();
	struct mkrt_runtime *rt = NULL;
	char why[512];

	setenv("MKRT_DEVICE", "99", 1);
	ck_assert_err(mkrt_runtime_open(&cfg, &rt), MKRT_ENODEVICE);
	ck_assert_ptr_null(rt);
	ck_assert_msg(strstr(mkrt_last_detail(), "99"), "%s", mkrt_last_detail());

	ck_assert_ptr_nonnull(strstr(mkrt_strerror(MKRT_ENODEVICE), "Fix: "));
	setenv("MKRT_DEVICE", "no-such-device", 1);
	ck_assert_err(mkrt_runtime_open(&cfg, &rt), MKRT_ENODEVICE);
	ck_assert_msg(strstr(mkrt_last_detail(), "no-such-device"), "%s", mkrt_last_detail());
	cfg.backend = "copy";
	ck_assert_err(mkrt_runtime_open(&cfg, &rt), MKRT_ENODEVICE);
	unsetenv("MKRT_DEVICE");

	setenv("MKRT_BACKEND", "?\?\?", 1);
	cfg.backend = NULL;
	ck_assert_err(mkrt_backend_select(&cfg, why, sizeof(why)), MKRT_ENOBACKEND);
	ck_assert_ptr_nonnull(strstr(why, "Fix: "));
	ck_assert_err(mkrt_runtime_open(&cfg, &rt), MKRT_ENOBACKEND);
	ck_assert_ptr_null(rt);

	/* with the environment fixed, the same process runs everything */
	unsetenv("MKRT_BACKEND");
	rt = mkrt_test_open(&cfg);
	traffic_is_exact(rt, 500);
	mkrt_runtime_close(rt);
}
END_TEST

/* ---- 1,000 start/stop cycles ------------------------------------------------------------------ */

static int open_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");

	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static long rss_kib(void)
{
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%ld %ld", &pages, &resident), 2);
	fclose(f);
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

START_TEST(thousand_start_stop_cycles)
{
	struct mkrt_config cfg = svm_config();

	cfg.backend = _i ? "svm" : "host";
	/* the first cycles warm what is kept on purpose (PoCL's program cache,
	 * the ICD's platform list); from there on, nothing may grow */
	for (int i = 0; i < 20; i++) {
		struct mkrt_runtime *rt = mkrt_test_open(&cfg);
		traffic_is_exact(rt, 1);
		mkrt_runtime_close(rt);
	}
	int fds = open_fds();
	long rss = rss_kib();
	for (int i = 0; i < 1000; i++) {
		struct mkrt_runtime *rt = mkrt_test_open(&cfg);
		traffic_is_exact(rt, 1);
		ck_assert_err(mkrt_runtime_stop(rt, WAIT_MS), 0);
		mkrt_runtime_close(rt);
	}
	long grown = rss_kib() - rss;
	printf("%s: 1000 start/stop cycles, fds %d -> %d, rss +%ld KiB\n", cfg.backend, fds, open_fds(),
	       grown);
	ck_assert_int_eq(open_fds(), fds);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
	/* a leak of one page per cycle would be 4 MiB; allocator noise is less */
	ck_assert_int_lt(grown, 4096);
#endif
}
END_TEST

int main(void)
{
	mkrt_require_opencl_or_skip();
	Suite *s = suite_create("faults");
	TCase *tc = mkrt_tcase(s, "faults", 120);

	tcase_add_test(tc, svm_allocation_failure);
	tcase_add_test(tc, program_build_failure);
	tcase_add_loop_test(tc, handshake_failures_leave_the_host, 0, 2);
	tcase_add_test(tc, kernel_that_does_not_stop);
	tcase_add_test(tc, no_slot_starts_after_shutdown);
	tcase_add_test(tc, cancel_no_lane_can_answer);
	tcase_add_test(tc, full_ring_is_backpressure);
	tcase_add_test(tc, shutdown_with_slots_in_flight);
	tcase_add_test(tc, bad_environment_and_no_device);
	TCase *cycles = mkrt_tcase(s, "cycles", 600);
	tcase_add_loop_test(cycles, thousand_start_stop_cycles, 0, 2);
	return mkrt_run_suite(s);
}
