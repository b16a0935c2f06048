/* SPDX-License-Identifier: MIT */
/*
 * check_svm.c - the svm backend on a real OpenCL device (PoCL in CI): device
 * discovery and the handshake probe, refusals with reasons, program build and
 * cache, user opcodes in OpenCL C, start/stop cycles, SHUTDOWN, the watchdog.
 */
#include "helpers.h"
#include "device.h"
#include "cl.h" /* mkrt__devices */

#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

extern uint32_t mkrt__program_source_builds;

static struct mkrt_runtime *open_svm(struct mkrt_config *cfg)
{
	cfg->backend = "svm";
	return mkrt_test_open(cfg);
}

START_TEST(device_caps_and_probe)
{
	struct mkrt_device_info info;
	char reason[512], mode[64];
	int best = -1;

	ck_assert_int_gt(mkrt_device_count(), 0);
	for (int i = 0; i < mkrt_device_count(); i++) {
		ck_assert_err(mkrt_device_get((uint32_t)i, &info), 0);
		ck_assert_uint_eq(info.index, (uint32_t)i);
		ck_assert(info.name[0] != '\0');
		int score = mkrt_device_probe_svm((uint32_t)i, reason, sizeof(reason), mode, sizeof(mode));
		ck_assert_int_ge(score, 0);
		if (score) {
			ck_assert(strcmp(mode, "fine+atomics") == 0 || strcmp(mode, "fine") == 0 ||
				  strcmp(mode, "usm-host") == 0);
			ck_assert(info.svm_fine_buffer || strcmp(mode, "usm-host") == 0);
			best = i;
		} else {
			ck_assert_msg(reason[0], "device %d refused without a reason", i);
		}
	}
	ck_assert_msg(best >= 0, "no device passed the svm probe");
	ck_assert_err(mkrt_device_get(9999, &info), MKRT_ENODEVICE);
	ck_assert_err(mkrt_device_get(0, NULL), MKRT_EINVAL);
	ck_assert_err(mkrt_device_probe_svm(9999, reason, sizeof(reason), mode, sizeof(mode)),
		      MKRT_ENODEVICE);
}
END_TEST

/* MKRT_SVM_MODE forces one memory mode (runtime/opencl/cl.h): the probe
 * accepts that mode or refuses with why; a name of no mode is refused with
 * the names. PoCL 3.1 has no USM (refused, saying so); PoCL 5.0 does. */
START_TEST(forced_modes)
{
	static const char *const modes[] = { "fine+atomics", "fine", "usm-host" };
	char reason[512], mode[64];

	for (size_t m = 0; m < 3; m++) {
		setenv("MKRT_SVM_MODE", modes[m], 1);
		int accepted = 0;
		for (int i = 0; i < mkrt_device_count(); i++) {
			if (mkrt_device_probe_svm((uint32_t)i, reason, sizeof(reason), mode, sizeof(mode)) > 0) {
				ck_assert_str_eq(mode, modes[m]);
				accepted++;
			} else {
				/* the forced mode's reason alone, by its name */
				ck_assert_msg(strncmp(reason, modes[m], strlen(modes[m])) == 0 ||
						      strstr(reason, "basic") || strstr(reason, "OpenCL C"),
					      "%s: %s", modes[m], reason);
			}
		}
		printf("MKRT_SVM_MODE=%s: %d device(s) accept it%s%s\n", modes[m], accepted,
		       accepted ? "" : "; ", accepted ? "" : reason);
		/* the fine modes run on every PoCL; usm-host where PoCL has USM */
		if (m < 2)
			ck_assert_int_gt(accepted, 0);
	}
	setenv("MKRT_SVM_MODE", "coarse", 1);
	ck_assert_int_eq(mkrt_device_probe_svm(0, reason, sizeof(reason), mode, sizeof(mode)), 0);
	ck_assert_msg(strstr(reason, "MKRT_SVM_MODE='coarse' names no mode (fine+atomics, fine, usm-host)"),
		      "%s", reason);
	struct mkrt_runtime *rt = NULL;
	ck_assert_err(mkrt_runtime_open(&(struct mkrt_config){ .backend = "svm" }, &rt), MKRT_EUNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(mkrt_last_detail(), "names no mode"));
	unsetenv("MKRT_SVM_MODE");
}
END_TEST

/* In svm's mode without SVM atomics (_i 0), and with the bus's lanes (_i
 * 1: they learn of the withdrawal and of the raw publish by the doorbell),
 * a lane withdraws a cancelled slot; the withdrawal word must not withdraw
 * the slot's next publish, a raw one through the ring's words (a
 * replay's) included. */
START_TEST(withdrawn_slot_runs_when_published_again)
{
	setenv(_i ? "MKRT_SVM_LANES" : "MKRT_SVM_MODE", _i ? "bus" : "fine", 1);
	struct mkrt_runtime *rt = open_svm(&(struct mkrt_config){ 0 });
	struct mkrt_slot denied = { .opcode = MKRT_OP_NOP, .tenant = 1 }, res;
	struct mkrt_ticket t;
	uint32_t w[MKRT_SLOT_WORDS] = { 0 }, published = MKRT_STATUS_PUBLISHED;

	ck_assert_err(mkrt_submit(rt, &denied, WAIT_MS, &t), 0);
	int err = mkrt_cancel(rt, t);
	if (err == MKRT_EINPROGRESS) /* no lane looked yet: it ends withdrawn */
		ck_assert_err(mkrt_wait(rt, t, WAIT_MS, &res), MKRT_ECANCELED);
	else
		ck_assert_err(err, 0);
	ck_assert_err(rt->ops.read_slot(rt->state, t.slot, &res), 0);
	ck_assert_uint_eq(res.status, MKRT_STATUS_EMPTY);
	/* the same slot published raw, tenant 0: payload first, STATUS last */
	w[MKRT_SLOT_OPCODE] = MKRT_OP_STORE_U32;
	w[MKRT_SLOT_ARG0] = 0xACE;
	w[MKRT_SLOT_ARG0 + 1] = MKRT_CTL_OBS;
	ck_assert_err(rt->ops.write_region(rt->state, MKRT__REGION_RING, t.slot * MKRT_SLOT_WORDS + 1,
					   MKRT_SLOT_WORDS - 1, &w[1]), 0);
	ck_assert_err(rt->ops.write_region(rt->state, MKRT__REGION_RING, t.slot * MKRT_SLOT_WORDS, 1,
					   &published), 0);
	/* it runs (the suite's timeout is the watchdog) */
	while (mkrt_test_ctl(rt, MKRT_CTL_OBS) != 0xACE)
		usleep(1000);
	ck_assert_err(rt->ops.read_slot(rt->state, t.slot, &res), 0);
	ck_assert_uint_eq(res.status, MKRT_STATUS_DONE);
	mkrt_runtime_close(rt);
	unsetenv(_i ? "MKRT_SVM_LANES" : "MKRT_SVM_MODE");
}
END_TEST

/* Batches through mkrt_submit_many, with svm's lanes (_i 0) and the bus's
 * (_i 1: one doorbell ring a run of consecutive slots): every slot runs
 * once, where a batch wraps around the ring's end and where a slot held
 * PUBLISHED (a denied tenant's) splits it in two runs; parking on, so a
 * batch's one wake-up must wake a parked kernel. */
START_TEST(batches_run_every_slot_once)
{
	enum { SLOTS = 16, BATCHES = 300 };
	struct mkrt_config cfg;
	struct mkrt_slot reqs[SLOTS], held = { .opcode = MKRT_OP_NOP, .tenant = 1 }, res;
	struct mkrt_ticket t[SLOTS], hold;
	uint32_t want = 0, ran = 0, x = 7;

	if (_i)
		setenv("MKRT_SVM_LANES", "bus", 1);
	mkrt_config_init(&cfg);
	cfg.slots = SLOTS;
	cfg.lanes = 2;
	cfg.park_us = 100;
	struct mkrt_runtime *rt = open_svm(&cfg);
	ck_assert_err(mkrt_submit(rt, &held, WAIT_MS, &hold), 0); /* slot 0, held */
	for (uint32_t b = 0; b < BATCHES; b++) {
		x = x * 1103515245u + 12345u;
		uint32_t n = 1 + (x >> 16) % (SLOTS - 1); /* 1 to 15: wraps often */
		for (uint32_t i = 0; i < n; i++)
			reqs[i] = (struct mkrt_slot){ .opcode = MKRT_OP_ATOMIC_ADD, .args = { b * SLOTS + i + 1, MKRT_CTL_OBS } };
		uint32_t got = 0;
		while (got < n) {
			int k = mkrt_submit_many(rt, reqs + got, n - got, WAIT_MS, t + got);
			ck_assert_msg(k > 0, "batch %u: %s", b, mkrt_err_name(k));
			for (int i = 0; i < k; i++)
				ck_assert_uint_ne(t[got + i].slot, hold.slot);
			got += (uint32_t)k;
		}
		for (uint32_t i = 0; i < n; i++) {
			ck_assert_err(mkrt_wait(rt, t[i], WAIT_MS, &res), 0);
			ck_assert_uint_eq(res.status, MKRT_STATUS_DONE);
			want += b * SLOTS + i + 1;
		}
		ran += n;
	}
	ck_assert_uint_eq(mkrt_test_ctl(rt, MKRT_CTL_OBS), want);
	ck_assert_uint_eq(mkrt_test_ctl(rt, MKRT_CTL_DONE_COUNT), ran);
	int err = mkrt_cancel(rt, hold); /* the held slot never ran */
	if (err == MKRT_EINPROGRESS)
		ck_assert_err(mkrt_wait(rt, hold, WAIT_MS, &res), MKRT_ECANCELED);
	else
		ck_assert_err(err, 0);
	mkrt_runtime_close(rt);
	unsetenv("MKRT_SVM_LANES");
}
END_TEST

/* MKRT_SVM_LANES names the lanes' protocol, or is refused with a Fix. */
START_TEST(lanes_variable)
{
	struct mkrt_runtime *rt = NULL;

	setenv("MKRT_SVM_LANES", "pcie", 1);
	ck_assert_err(mkrt_runtime_open(&(struct mkrt_config){ .backend = "svm" }, &rt), MKRT_EINVAL);
	ck_assert_ptr_null(rt);
	ck_assert_msg(strstr(mkrt_last_detail(), "MKRT_SVM_LANES='pcie' names no lane protocol. Fix:"),
		      "%s", mkrt_last_detail());
	setenv("MKRT_SVM_LANES", "ring", 1);
	rt = open_svm(&(struct mkrt_config){ 0 });
	ck_assert_err(mkrt_test_roundtrip(rt, (struct mkrt_slot){ .opcode = MKRT_OP_NOP }, NULL), 0);
	mkrt_runtime_close(rt);
	unsetenv("MKRT_SVM_LANES");
}
END_TEST

START_TEST(device_match)
{
	struct mkrt_device_info info;

	ck_assert_err(mkrt_device_get(0, &info), 0);
	ck_assert_int_eq(mkrt_device_match("0"), 0);
	ck_assert_int_eq(mkrt_device_match(info.name), 0);
	ck_assert_err(mkrt_device_match("nonexistent"), MKRT_ENODEVICE);
	ck_assert_ptr_nonnull(strstr(mkrt_last_detail(), "matches no OpenCL device"));
	ck_assert_ptr_nonnull(strstr(mkrt_last_detail(), info.name));
	ck_assert_err(mkrt_device_match(NULL), MKRT_EINVAL);

	struct mkrt_config cfg;
	struct mkrt_runtime *rt = NULL;
	mkrt_config_init(&cfg);
	cfg.backend = "svm";
	cfg.device = "nonexistent";
	ck_assert_err(mkrt_runtime_open(&cfg, &rt), MKRT_ENODEVICE);
	ck_assert_ptr_nonnull(strstr(mkrt_last_detail(), "MKRT_DEVICE='nonexistent'"));
	setenv("MKRT_DEVICE", "nonexistent", 1);
	cfg.device = NULL;
	ck_assert_err(mkrt_runtime_open(&cfg, &rt), MKRT_ENODEVICE);
	cfg.backend = NULL; /* no silent fallback to host either */
	ck_assert_err(mkrt_runtime_open(&cfg, &rt), MKRT_ENODEVICE);
	cfg.backend = "svm";
	setenv("MKRT_DEVICE", info.name, 1);
	rt = open_svm(&cfg);
	mkrt_runtime_close(rt);
}
END_TEST

START_TEST(pocl_basic_driver_is_refused)
{
	char reason[512];

	/* a fresh process: PoCL reads POCL_DEVICES when it loads */
	setenv("POCL_DEVICES", "basic", 1);
	ck_assert_int_eq(mkrt_backend_probe("svm", NULL, reason, sizeof(reason)), 0);
	ck_assert_msg(strstr(reason, "inside clEnqueueNDRangeKernel"), "reason: %s", reason);
	struct mkrt_runtime *rt = NULL;
	ck_assert_err(mkrt_runtime_open(&(struct mkrt_config){ .backend = "svm" }, &rt),
		      MKRT_EUNAVAILABLE);
	/* the automatic choice moves on to host (on PoCL: another platform's
	 * device, an NVIDIA GPU's copy say, would be a choice of its own) */
	setenv("MKRT_DEVICE", "Portable Computing Language", 1);
	ck_assert_err(mkrt_runtime_open(NULL, &rt), 0);
	ck_assert_str_eq(mkrt_runtime_backend(rt), "host");
	mkrt_runtime_close(rt);
}
END_TEST

START_TEST(automatic_choice_is_svm)
{
	struct mkrt_runtime *rt = NULL;
	struct mkrt_slot res;

	unsetenv("MKRT_BACKEND");
	ck_assert_err(mkrt_runtime_open(NULL, &rt), 0);
	ck_assert_str_eq(mkrt_runtime_backend(rt), "svm");
	ck_assert_err(mkrt_test_roundtrip(rt, (struct mkrt_slot){ .opcode = MKRT_OP_STORE_U32,
							.args = { 5, MKRT_CTL_OBS } }, &res), 0);
	ck_assert_uint_eq(mkrt_test_ctl(rt, MKRT_CTL_OBS), 5);
	mkrt_runtime_close(rt);
}
END_TEST

/* The report mkrt devices prints is the choice the runtime makes: every
 * device backend once per device, the others once, and the runtime opens
 * the backend and device of the chosen row. */
START_TEST(selection_report_is_the_choice)
{
	struct mkrt_selection sel;
	struct mkrt_runtime *rt = NULL;
	struct mkrt_device_info info;
	char reason[512], mode[64];
	int n = mkrt_device_count();

	unsetenv("MKRT_BACKEND");
	unsetenv("MKRT_DEVICE");
	ck_assert_int_gt(n, 0);
	ck_assert_int_ge(mkrt_selection_report(NULL, &sel), 0);
	ck_assert_uint_eq(sel.count, 2u * (uint32_t)n + 3u); /* svm, copy per device; cuda, host, shm */
	for (uint32_t r = 0; r < sel.count; r++) {
		const struct mkrt_choice *row = &sel.rows[r];
		if (row->device < 0) {
			ck_assert_msg(!strcmp(row->backend, "host") || !strcmp(row->backend, "shm") ||
					      !strcmp(row->backend, "cuda"),
				      "%s", row->backend);
			continue;
		}
		int score = !strcmp(row->backend, "svm")
				    ? mkrt_device_probe_svm((uint32_t)row->device, reason, sizeof(reason), mode,
							    sizeof(mode))
				    : mkrt_device_probe_copy((uint32_t)row->device, reason, sizeof(reason), mode,
							     sizeof(mode));
		ck_assert_int_eq(row->score, score);
		ck_assert_str_eq(row->reason, reason);
	}
	const struct mkrt_choice chosen = sel.rows[sel.chosen];
	mkrt_selection_free(&sel);
	ck_assert_int_ge(chosen.device, 0); /* PoCL passes the svm handshake */
	ck_assert_err(mkrt_runtime_open(NULL, &rt), 0);
	ck_assert_str_eq(mkrt_runtime_backend(rt), chosen.backend);
	ck_assert_err(mkrt_device_get((uint32_t)chosen.device, &info), 0);
	ck_assert_str_eq(mkrt_runtime_device(rt), info.name);
	mkrt_runtime_close(rt);

	/* MKRT_DEVICE leaves one device in play */
	setenv("MKRT_DEVICE", "0", 1);
	ck_assert_int_ge(mkrt_selection_report(NULL, &sel), 0);
	ck_assert_uint_eq(sel.count, 5); /* svm and copy on it; cuda, host, shm */
	ck_assert_str_eq(sel.device_spec, "0");
	for (uint32_t r = 0; r < sel.count; r++)
		ck_assert_int_le(sel.rows[r].device, 0);
	mkrt_selection_free(&sel);
	setenv("MKRT_DEVICE", "no such device", 1);
	ck_assert_err(mkrt_selection_report(NULL, &sel), MKRT_ENODEVICE);
	ck_assert_ptr_nonnull(strstr(sel.why, "matches no OpenCL device"));
	mkrt_selection_free(&sel);
	unsetenv("MKRT_DEVICE");

	/* enumerated once per process: the same table every time */
	const struct mkrt__device *a, *b;
	ck_assert_int_eq(mkrt__devices(&a), n);
	ck_assert_int_eq(mkrt__devices(&b), n);
	ck_assert_ptr_eq(a, b);
}
END_TEST

START_TEST(program_cache_skips_recompile)
{
	char dir[] = "/tmp/mkrt-cache-XXXXXX";
	struct mkrt_config cfg;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	setenv("MKRT_CACHE_DIR", dir, 1);
	mkrt_config_init(&cfg);
	mkrt_runtime_close(open_svm(&cfg));
	uint32_t after_first = mkrt__program_source_builds;
	ck_assert_uint_ge(after_first, 1);
	mkrt_runtime_close(open_svm(&cfg));
	ck_assert_uint_eq(mkrt__program_source_builds, after_first);
	/* a different source (a user handler) is a different cache entry */
	struct mkrt_cl_handler h = { 0x200, "twice" };
	cfg.cl_source = "uint twice(uint op, __private uint *a, const struct mkrt_ctx *ctx) { a[1] = 2 * a[0]; return 0; }";
	cfg.cl_handlers = &h;
	cfg.cl_handler_count = 1;
	mkrt_runtime_close(open_svm(&cfg));
	ck_assert_uint_eq(mkrt__program_source_builds, after_first + 1);
}
END_TEST

START_TEST(cl_dir_override)
{
	struct mkrt_config cfg;
	struct mkrt_runtime *rt = NULL;
	char path[512];
	const char *src = getenv("top_srcdir");

	snprintf(path, sizeof(path), "%s/cl", src ? src : ".");
	setenv("MKRT_CL_DIR", path, 1);
	setenv("MKRT_CACHE_DIR", "", 1);
	mkrt_config_init(&cfg);
	rt = open_svm(&cfg);
	ck_assert_err(mkrt_test_roundtrip(rt, (struct mkrt_slot){ .opcode = MKRT_OP_NOP }, NULL), 0);
	mkrt_runtime_close(rt);

	setenv("MKRT_CL_DIR", "/nonexistent", 1);
	cfg.backend = "svm";
	ck_assert_err(mkrt_runtime_open(&cfg, &rt), MKRT_EINVAL);
	ck_assert_ptr_nonnull(strstr(mkrt_last_detail(), "/nonexistent/"));
}
END_TEST

static const char user_cl[] =
	"uint user_add(uint op, __private uint *args, const struct mkrt_ctx *ctx)\n"
	"{\n"
	"\tif (args[0] == 0xBAD)\n"
	"\t\treturn 42;\n"
	"\targs[2] = args[0] + args[1];\n"
	"\treturn 0;\n"
	"}\n";

START_TEST(user_opcode_in_opencl_c)
{
	struct mkrt_cl_handler h = { 0x1000, "user_add" };
	struct mkrt_config cfg;
	struct mkrt_slot res;

	mkrt_config_init(&cfg);
	cfg.cl_source = user_cl;
	cfg.cl_handlers = &h;
	cfg.cl_handler_count = 1;
	struct mkrt_runtime *rt = open_svm(&cfg);
	ck_assert_err(mkrt_test_roundtrip(rt, (struct mkrt_slot){ .opcode = 0x1000, .args = { 40, 2 } }, &res), 0);
	ck_assert_uint_eq(res.args[2], 42);
	ck_assert_err(mkrt_test_roundtrip(rt, (struct mkrt_slot){ .opcode = 0x1000, .args = { 0xBAD } }, &res),
		      MKRT_ESLOTFAULT);
	ck_assert_uint_eq(res.args[11], 42);
	ck_assert_err(mkrt_test_roundtrip(rt, (struct mkrt_slot){ .opcode = 0x1001 }, &res), MKRT_ESLOTFAULT);
	ck_assert_uint_eq(res.args[11], MKRT_FAULT_UNKNOWN_OPCODE);
	mkrt_runtime_close(rt);
}
END_TEST

START_TEST(bad_user_handler_reports_build_log)
{
	struct mkrt_cl_handler h = { 0x1000, "broken" };
	struct mkrt_config cfg;
	struct mkrt_runtime *rt = NULL;

	setenv("MKRT_CACHE_DIR", "", 1);
	mkrt_config_init(&cfg);
	cfg.backend = "svm";
	cfg.cl_source = "uint broken(uint op, __private uint *args, const struct mkrt_ctx *ctx) { return undeclared_thing; }";
	cfg.cl_handlers = &h;
	cfg.cl_handler_count = 1;
	ck_assert_err(mkrt_runtime_open(&cfg, &rt), MKRT_EBUILD);
	ck_assert_msg(strstr(mkrt_last_detail(), "undeclared_thing"), "detail: %s", mkrt_last_detail());
	ck_assert_ptr_nonnull(strstr(mkrt_last_detail(), "build log"));

	h.function = "not an identifier";
	ck_assert_err(mkrt_runtime_open(&cfg, &rt), MKRT_EHANDLER);
	h.function = "broken";
	h.opcode = MKRT_OP_PRINTF;
	ck_assert_err(mkrt_runtime_open(&cfg, &rt), MKRT_EHANDLER);
	cfg.cl_source = NULL;
	h.opcode = 0x1000;
	ck_assert_err(mkrt_runtime_open(&cfg, &rt), MKRT_EHANDLER);
}
END_TEST

START_TEST(start_stop_cycles)
{
	struct mkrt_config cfg;

	mkrt_config_init(&cfg);
	for (int i = 0; i < 200; i++) {
		struct mkrt_runtime *rt = open_svm(&cfg);
		ck_assert_err(mkrt_test_roundtrip(rt, (struct mkrt_slot){ .opcode = MKRT_OP_NOP }, NULL), 0);
		ck_assert_err(mkrt_runtime_stop(rt, WAIT_MS), 0);
		mkrt_runtime_close(rt);
	}
}
END_TEST

START_TEST(shutdown_opcode_ends_the_kernel)
{
	struct mkrt_config cfg;
	struct mkrt_ticket t;

	mkrt_config_init(&cfg);
	struct mkrt_runtime *rt = open_svm(&cfg);
	ck_assert_err(mkrt_test_roundtrip(rt, (struct mkrt_slot){ .opcode = MKRT_OP_SHUTDOWN }, NULL), 0);
	/* a slot submitted now is refused or reported, not left hanging */
	int err = mkrt_submit(rt, &(struct mkrt_slot){ .opcode = MKRT_OP_NOP }, 0, &t);
	if (err == 0) /* slipped in before the kernel exited: its wait reports it */
		err = mkrt_wait(rt, t, WAIT_MS, NULL);
	ck_assert_err(err, MKRT_ESHUTDOWN);
	ck_assert_err(mkrt_runtime_stop(rt, WAIT_MS), 0);
	mkrt_runtime_close(rt);

	/* stop with a slot in flight that can never run (denied tenant) */
	rt = open_svm(&cfg);
	ck_assert_err(mkrt_submit(rt, &(struct mkrt_slot){ .opcode = MKRT_OP_NOP, .tenant = 9 }, 0, &t), 0);
	ck_assert_err(mkrt_runtime_stop(rt, WAIT_MS), 0);
	ck_assert_err(mkrt_wait(rt, t, WAIT_MS, NULL), MKRT_ESHUTDOWN);
	mkrt_runtime_close(rt);
}
END_TEST

START_TEST(time_budget_relaunches)
{
	struct mkrt_config cfg;
	struct mkrt_stats st;

	uint32_t n = 0;

	mkrt_config_init(&cfg);
	cfg.epoch_ms = 5;
	struct mkrt_runtime *rt = open_svm(&cfg);
	/* traffic until the time budget has relaunched the kernel ten times
	 * (the suite's timeout is the watchdog): none of it lost or doubled */
	do {
		ck_assert_err(mkrt_test_roundtrip(rt, (struct mkrt_slot){ .opcode = MKRT_OP_ATOMIC_ADD,
								.args = { 1, MKRT_CTL_OBS } }, NULL), 0);
		n++;
		usleep(1000);
		ck_assert_err(mkrt_runtime_stats(rt, &st), 0);
	} while (st.launches < 10);
	ck_assert_uint_eq(mkrt_test_ctl(rt, MKRT_CTL_OBS), n);
	mkrt_runtime_close(rt);
}
END_TEST

START_TEST(stop_watchdog_reports_a_busy_kernel)
{
	struct mkrt_cl_handler h = { 0x300, "slow" };
	struct mkrt_config cfg;
	struct mkrt_ticket t;
	struct mkrt_slot res;

	mkrt_config_init(&cfg);
	cfg.cl_source = mkrt_test_slow_cl;
	cfg.cl_handlers = &h;
	cfg.cl_handler_count = 1;
	cfg.lanes = 1;
	struct mkrt_runtime *rt = open_svm(&cfg);
	ck_assert_err(mkrt_submit(rt, &(struct mkrt_slot){ .opcode = 0x300, .args = { UINT32_MAX } }, 0, &t),
		      0);
	mkrt_test_wait_claimed(rt, t); /* the lane holds it until the gate opens */
	ck_assert_err(mkrt_runtime_stop(rt, 50), MKRT_ETIMEDOUT);
	ck_assert_ptr_nonnull(strstr(mkrt_last_detail(), "did not return"));
	/* the slot in flight still ends DONE, and a longer stop succeeds */
	mkrt_test_open_gate(rt);
	ck_assert_err(mkrt_wait(rt, t, WAIT_MS, &res), 0);
	ck_assert_uint_eq(res.args[2], 1);
	ck_assert_err(mkrt_runtime_stop(rt, WAIT_MS), 0);
	mkrt_runtime_close(rt);
}
END_TEST

/* Publish at random moments around the park decision: a wake-up may never
 * be lost, so every slot completes well within its timeout. */
START_TEST(parking_never_loses_a_wakeup)
{
	struct mkrt_config cfg;
	struct mkrt_stats st = { 0 };
	uint64_t x = 12345;
	const uint32_t iterations = 100000;
	struct timespec t0, t1;

	/*
	 * The pauses sleep rather than spin: spinning here would take a core
	 * from the kernel's lanes (and from the tests running beside this one),
	 * and it is the device's relaunch we time, not ours. A 1 ns timer
	 * slack keeps the sleeps near what was asked.
	 */
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	mkrt_config_init(&cfg);
	cfg.park_us = 50;
	struct mkrt_runtime *rt = open_svm(&cfg);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* at least @iterations, and on until 1,000 parks were raced (how many
	 * a given number of iterations gives depends on the machine's pace) */
	uint32_t i;
	for (i = 0; i < iterations || st.parks < 1000; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		/* around the park decision: 50 us idle, seen on a 50 us tick */
		struct timespec pause = { 0, (long)((x >> 33) % 250) * 1000 };
		nanosleep(&pause, NULL);
		int err = mkrt_test_roundtrip(rt, (struct mkrt_slot){ .opcode = MKRT_OP_ATOMIC_ADD,
							    .args = { 1, MKRT_CTL_OBS } }, NULL);
		ck_assert_msg(err == 0, "iteration %u: %s", i, mkrt_err_name(err));
		ck_assert_err(mkrt_runtime_stats(rt, &st), 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_uint_eq(mkrt_test_ctl(rt, MKRT_CTL_OBS), i);
	printf("parking: %u publishes around a 50 us park budget in %.1f s: %llu parks, %llu launches, none lost\n",
	       i, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	       (unsigned long long)st.parks, (unsigned long long)st.launches);
	mkrt_runtime_close(rt);
}
END_TEST

int main(void)
{
	mkrt_require_opencl_or_skip();
	Suite *s = suite_create("svm");
	TCase *disc = mkrt_tcase(s, "discovery", 60);
	TCase *build = mkrt_tcase(s, "program", 120);
	TCase *life = mkrt_tcase(s, "lifecycle", 300);
	/* 100,000 relaunches: a minute or two on a busy 2-core machine; each
	 * round trip has its own 10 s timeout, so a lost wake-up fails fast */
	TCase *park = mkrt_tcase(s, "parking", 900);

	tcase_add_test(disc, device_caps_and_probe);
	tcase_add_test(disc, device_match);
	tcase_add_test(disc, forced_modes);
	tcase_add_loop_test(life, withdrawn_slot_runs_when_published_again, 0, 2);
	tcase_add_test(life, lanes_variable);
	tcase_add_loop_test(life, batches_run_every_slot_once, 0, 2);
	tcase_add_test(disc, pocl_basic_driver_is_refused);
	tcase_add_test(disc, automatic_choice_is_svm);
	tcase_add_test(disc, selection_report_is_the_choice);
	tcase_add_test(build, program_cache_skips_recompile);
	tcase_add_test(build, cl_dir_override);
	tcase_add_test(build, user_opcode_in_opencl_c);
	tcase_add_test(build, bad_user_handler_reports_build_log);
	tcase_add_test(life, start_stop_cycles);
	tcase_add_test(life, shutdown_opcode_ends_the_kernel);
	tcase_add_test(life, time_budget_relaunches);
	tcase_add_test(life, stop_watchdog_reports_a_busy_kernel);
	tcase_add_test(park, parking_never_loses_a_wakeup);
	return mkrt_run_suite(s);
}
