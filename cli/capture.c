/* SPDX-License-Identifier: MIT */
/*
 * capture.c - `mkrt capture record OUT` runs a small mixed workload and
 * captures the runtime while it runs (mkrt_runtime_capture); `mkrt capture
 * show FILE` says what a capture holds: its sizes, its slots by status and
 * fault reason, the counters among its control words, its observable words,
 * debug log and IO queue. `mkrt replay` runs one.
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CAPTURE_WAIT_MS 10000u

/* The workload: tenants 0 and 1 may run, tenant 2 may not, so its slot
 * stays PUBLISHED in the capture; one slot faults on purpose. */
static int capture_record(const char *backend, const char *path)
{
	struct mkrt_control_config control;
	struct mkrt_config cfg;
	struct mkrt_runtime *rt;
	struct mkrt_capture cap;
	struct mkrt_ticket t;
	uint8_t *bytes = NULL;
	size_t len = 0;
	int err;

	mkrt_control_config_default(&control);
	control.tenant_count = 3;
	control.tenant_masks[0] = 1;
	control.tenant_masks[1] = 1;
	control.tenant_masks[2] = 0;
	mkrt_config_init(&cfg);
	cfg.backend = backend;
	cfg.slots = 16;
	cfg.control = &control;
	err = mkrt_runtime_open(&cfg, &rt);
	if (err)
		return cli_fail("capture record", err);
	const struct mkrt_slot work[] = {
		{ .opcode = MKRT_OP_STORE_U32, .args = { 7, MKRT_CTL_OBS } },
		{ .opcode = MKRT_OP_ATOMIC_ADD, .args = { 5, MKRT_CTL_OBS + 1 } },
		{ .opcode = MKRT_OP_ATOMIC_ADD, .args = { 5, MKRT_CTL_OBS + 1 }, .tenant = 1 },
		{ .opcode = MKRT_OP_PRINTF, .args = { 1, 2, 3 } },
		{ .opcode = MKRT_OP_BATCH_FENCE, .args = { 0, 9 } },
		{ .opcode = MKRT_OP_STORE_U32, .args = { 1, 0xFFFFFFu } }, /* OUT_OF_RANGE */
	};
	for (size_t i = 0; i < sizeof(work) / sizeof(work[0]) && !err; i++) {
		err = mkrt_submit(rt, &work[i], CAPTURE_WAIT_MS, &t);
		if (!err) {
			err = mkrt_wait(rt, t, CAPTURE_WAIT_MS, NULL);
			err = err == MKRT_ESLOTFAULT ? 0 : err;
		}
	}
	/* a denied tenant's slot: it waits, PUBLISHED, for a policy to change */
	struct mkrt_slot denied = { .opcode = MKRT_OP_NOP, .tenant = 2 };
	if (!err)
		err = mkrt_submit(rt, &denied, CAPTURE_WAIT_MS, &t);
	if (!err)
		err = mkrt_runtime_capture(rt, &cap);
	mkrt_runtime_close(rt);
	if (err)
		return cli_fail("capture record", err);
	err = mkrt_capture_encode(&cap, &bytes, &len);
	mkrt_capture_free(&cap);
	if (err)
		return cli_fail("capture record", err);
	FILE *f = fopen(path, "wb");
	bool ok = f && fwrite(bytes, 1, len, f) == len;
	if (f)
		ok &= fclose(f) == 0;
	free(bytes);
	if (!ok) {
		fprintf(stderr, "mkrt: capture record: cannot write %s: %s\n", path, strerror(errno));
		return CLI_FAIL;
	}
	printf("recorded %s: %zu bytes, 7 slots (6 run, 1 of a denied tenant still PUBLISHED)\n", path,
	       len);
	return CLI_OK;
}

static const struct {
	uint32_t word;
	const char *name;
} counters[] = {
	{ MKRT_CTL_SHUTDOWN, "SHUTDOWN" },       { MKRT_CTL_DONE_COUNT, "DONE_COUNT" },
	{ MKRT_CTL_TENANT_BASE, "TENANT_BASE" }, { MKRT_CTL_EPOCH, "EPOCH" },
	{ MKRT_CTL_VERSION, "VERSION" },         { MKRT_CTL_FAULT_COUNT, "FAULT_COUNT" },
	{ MKRT_CTL_YIELD, "YIELD" },             { MKRT_CTL_BUSY_LANES, "BUSY_LANES" },
};
#define NCOUNTERS (sizeof(counters) / sizeof(counters[0]))

static void capture_show(const struct mkrt_capture *c, const char *path, bool json)
{
	uint32_t by_status[MKRT_STATUS_COUNT + 1] = { 0 }, by_fault[CLI_FAULT_KINDS + 1] = { 0 };
	uint32_t log_cursor = c->debug_words ? c->debug[MKRT_LOG_CURSOR] : 0, io_busy = 0;

	cli_count_slots(c, by_status, by_fault);
	for (uint32_t q = 0; q < c->io_words / MKRT_IO_WORDS; q++)
		io_busy += c->io[q * MKRT_IO_WORDS + MKRT_IO_STATUS] != MKRT_IO_EMPTY;
	uint32_t records = log_cursor / MKRT_LOG_RECORD_WORDS;
	if (json) {
		printf("{\"file\": ");
		cli_json_str(stdout, path);
		printf(", \"slots\": %u, \"control_words\": %u, \"debug_words\": %u, \"io_words\": %u, "
		       "\"dfa_words\": %u, ",
		       c->slot_count, c->control_words, c->debug_words, c->io_words, c->dfa_words);
		cli_print_counts_json(by_status, by_fault);
		printf(", \"control\": {");
		for (size_t k = 0; k < NCOUNTERS; k++)
			printf("%s\"%s\": %u", k ? ", " : "", counters[k].name, c->control[counters[k].word]);
		printf("}, \"observable\": [");
		for (uint32_t w = MKRT_CTL_OBS; w < c->control_words; w++)
			printf("%s%u", w > MKRT_CTL_OBS ? ", " : "", c->control[w]);
		printf("], \"log_records\": %u, \"io_busy\": %u}\n", records, io_busy);
		return;
	}
	printf("%s: %u slots, %u control words (%u observable), %u debug-log words, %u IO-queue words, "
	       "%u DFA words\n",
	       path, c->slot_count, c->control_words, c->control_words - MKRT_CTL_OBS, c->debug_words,
	       c->io_words, c->dfa_words);
	printf("  slots:");
	cli_print_counts(by_status, by_fault);
	printf("  control:");
	for (size_t k = 0; k < NCOUNTERS; k++)
		printf(" %s %u", counters[k].name, c->control[counters[k].word]);
	printf("\n  observable (non-zero):");
	uint32_t shown = 0;
	for (uint32_t w = MKRT_CTL_OBS; w < c->control_words; w++)
		if (c->control[w] && shown++ < 16)
			printf(" OBS+%u=%u", w - MKRT_CTL_OBS, c->control[w]);
	printf("%s\n", shown ? "" : " none");
	printf("  debug log: %u record%s%s; IO queue: %u request%s in flight\n", records,
	       records == 1 ? "" : "s",
	       c->debug_words && log_cursor + MKRT_LOG_FIRST > c->debug_words ? " (overflowed)" : "",
	       io_busy, io_busy == 1 ? "" : "s");
}

int cli_capture(int argc, char **argv)
{
	const char *backend = NULL;
	char *pos[2] = { NULL, NULL };
	bool json = false;
	int npos = 0;
	const struct cli_opt opts[] = {
		{ "--backend", CLI_BACKEND, &backend, "NAME", 0, 0, "$MKRT_BACKEND, else the best probe",
		  "record: the backend to run the workload on" },
		{ "--json", CLI_FLAG, &json, NULL, 0, 0, NULL, "show: one JSON object instead of text" },
	};
	const struct cli_cmd cmd = {
		"capture", "record OUT | show FILE", 2,
		"record: run a small mixed workload (stores, adds of two tenants, a PRINTF, a\n"
		"BATCH_FENCE, a slot that faults, a slot of a denied tenant that stays\n"
		"PUBLISHED) and capture the runtime while it runs into OUT.\n"
		"show: what a capture holds: sizes, slots by status and fault reason, the\n"
		"counters, the observable words, the debug log and the IO queue.\n"
		"mkrt replay runs a capture.",
		opts, CLI_NOPTS(opts), NULL,
	};
	int rc = cli_parse(&cmd, argc, argv, pos, 2, &npos);

	if (rc >= 0)
		return rc;
	if (strcmp(pos[0], "record") == 0)
		return capture_record(backend, pos[1]);
	if (strcmp(pos[0], "show") != 0) {
		fprintf(stderr, "mkrt capture: '%s' is not record or show\nTry 'mkrt capture --help'.\n",
			pos[0]);
		return CLI_USAGE;
	}
	struct mkrt_capture c;
	rc = cli_read_capture(pos[1], &c);
	if (rc)
		return rc;
	capture_show(&c, pos[1], json);
	mkrt_capture_free(&c);
	return CLI_OK;
}
