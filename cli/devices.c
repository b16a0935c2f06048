/* SPDX-License-Identifier: MIT */
/*
 * devices.c - `mkrt devices [--json]`: every OpenCL device, its capabilities,
 * the svm handshake probe's verdict, and which device the automatic choice
 * (or MKRT_DEVICE) takes, with the reason.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

struct row {
	struct mkrt_device_info info;
	int score;
	char mode[64];
	char reason[512];
	bool selected;
	char why[160];
};

/* Probe every device and mark the selected one. Returns the selected index,
 * or -1 (with *err set when MKRT_DEVICE named nothing). */
static int survey(struct row *rows, int n, int *err)
{
	const char *spec = getenv("MKRT_DEVICE");
	int only = -1, best = -1;

	*err = 0;
	if (spec && spec[0] && (only = mkrt_device_match(spec)) < 0) {
		*err = only;
		return -1;
	}
	for (int i = 0; i < n; i++) {
		mkrt_device_get((uint32_t)i, &rows[i].info);
		rows[i].score = mkrt_device_probe_svm((uint32_t)i, rows[i].reason, sizeof(rows[i].reason),
						      rows[i].mode, sizeof(rows[i].mode));
		if (rows[i].score < 0)
			rows[i].score = 0;
		if ((only < 0 || only == i) && rows[i].score > 0 &&
		    (best < 0 || rows[i].score > rows[best].score))
			best = i;
	}
	for (int i = 0; i < n; i++) {
		struct row *r = &rows[i];
		r->selected = i == best;
		if (r->selected)
			snprintf(r->why, sizeof(r->why), "%s; handshake passed (%s)",
				 only >= 0 ? "named by MKRT_DEVICE" : "highest svm score", r->mode);
		else if (!r->score)
			snprintf(r->why, sizeof(r->why), "svm probe refused it (see reason)");
		else if (only >= 0)
			snprintf(r->why, sizeof(r->why), "MKRT_DEVICE names another device");
		else
			snprintf(r->why, sizeof(r->why), "device %d scored higher (%d > %d)", best,
				 rows[best].score, r->score);
	}
	return best;
}

static void json_bool(FILE *f, const char *key, bool v, bool comma)
{
	fprintf(f, "\"%s\": %s%s", key, v ? "true" : "false", comma ? ", " : "");
}

static void print_json(const struct row *rows, int n, int selected)
{
	printf("{\"devices\": [");
	for (int i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		const struct mkrt_device_info *d = &r->info;
		printf("%s\n  {\"index\": %d, \"platform\": ", i ? "," : "", i);
		cli_json_str(stdout, d->platform);
		printf(", \"name\": ");
		cli_json_str(stdout, d->name);
		printf(", \"driver\": ");
		cli_json_str(stdout, d->driver);
		printf(", \"type\": \"%s\", \"compute_units\": %u, \"opencl_c\": \"%u.%u\",\n   \"svm\": {",
		       d->gpu ? "gpu" : d->cpu ? "cpu" : "other", d->compute_units, d->cl_c_major,
		       d->cl_c_minor);
		json_bool(stdout, "coarse_grain_buffer", d->svm_coarse, true);
		json_bool(stdout, "fine_grain_buffer", d->svm_fine_buffer, true);
		json_bool(stdout, "fine_grain_system", d->svm_fine_system, true);
		json_bool(stdout, "atomics", d->svm_atomics, false);
		printf("},\n   \"atomic_features\": {");
		json_bool(stdout, "acq_rel", d->atomic_acq_rel, true);
		json_bool(stdout, "seq_cst", d->atomic_seq_cst, true);
		json_bool(stdout, "scope_device", d->scope_device, true);
		json_bool(stdout, "scope_all_devices", d->scope_all_devices, false);
		printf("},\n   \"probe\": {\"passed\": %s, \"score\": %d, \"mode\": ", r->score ? "true" : "false",
		       r->score);
		cli_json_str(stdout, r->mode);
		printf(", \"reason\": ");
		cli_json_str(stdout, r->reason);
		printf("},\n   \"selected\": %s, \"why\": ", r->selected ? "true" : "false");
		cli_json_str(stdout, r->why);
		printf("}");
	}
	printf("\n ], \"selected\": %d, \"backend\": \"%s\"}\n", selected, selected >= 0 ? "svm" : "host");
}

static void print_text(const struct row *rows, int n, int selected)
{
	for (int i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		const struct mkrt_device_info *d = &r->info;
		printf("%s %d: %s / %s  [%s, %u CUs, OpenCL C %u.%u, driver %s]\n", r->selected ? "*" : " ",
		       i, d->platform, d->name, d->gpu ? "gpu" : d->cpu ? "cpu" : "other", d->compute_units,
		       d->cl_c_major, d->cl_c_minor, d->driver);
		printf("     svm: coarse=%d fine_grain_buffer=%d fine_grain_system=%d atomics=%d;"
		       " acq_rel=%d scope_all_devices=%d\n",
		       d->svm_coarse, d->svm_fine_buffer, d->svm_fine_system, d->svm_atomics,
		       d->atomic_acq_rel, d->scope_all_devices);
		printf("     probe: %s%s%s\n", r->score ? "passed, " : "refused: ", r->score ? r->mode : r->reason,
		       "");
		printf("     %s: %s\n", r->selected ? "selected" : "not selected", r->why);
	}
	if (selected < 0)
		printf("no device passed the svm probe: the automatic choice is the host backend\n");
}

int cli_devices(int argc, char **argv)
{
	bool json = false;
	int err;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") != 0) {
			fprintf(stderr, "usage: mkrt devices [--json]\n");
			return CLI_USAGE;
		}
		json = true;
	}
	int n = mkrt_device_count();
	if (n < 0)
		return cli_fail("devices", n);
	if (n == 0) {
		fprintf(stderr, "mkrt: no OpenCL platform is installed, so there is no device to list.\n"
				"  Fix: apt-get install pocl-opencl-icd (a CPU device), or your GPU's "
				"OpenCL driver.\n");
		return CLI_FAIL;
	}
	struct row *rows = calloc((size_t)n, sizeof(*rows));
	if (!rows)
		return cli_fail("devices", MKRT_ENOMEM);
	int selected = survey(rows, n, &err);
	if (err) {
		free(rows);
		return cli_fail("MKRT_DEVICE", err);
	}
	if (json)
		print_json(rows, n, selected);
	else
		print_text(rows, n, selected);
	free(rows);
	return CLI_OK;
}
