/* SPDX-License-Identifier: MIT */
/*
 * devices.c - `mkrt devices [--json]`: every OpenCL device, its capabilities,
 * the svm and copy handshake probes' verdicts, and which device and backend
 * the automatic choice (narrowed by MKRT_DEVICE, MKRT_BACKEND) takes, with
 * the reason.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

struct verdict {
	int score;
	char mode[64];
	char reason[512];
};

struct row {
	struct mkrt_device_info info;
	struct verdict svm, copy;
	bool selected;
	char why[200];
};

/* The backends `mkrt devices` probes, in the registry's order; which ones
 * MKRT_BACKEND leaves in play. */
static bool in_play(const char *backend)
{
	const char *forced = getenv("MKRT_BACKEND");

	return !forced || !forced[0] || strcmp(forced, backend) == 0;
}

static void probe(uint32_t i, int (*fn)(uint32_t, char *, size_t, char *, size_t), struct verdict *v)
{
	v->score = fn(i, v->reason, sizeof(v->reason), v->mode, sizeof(v->mode));
	if (v->score < 0)
		v->score = 0;
}

/* The score the automatic choice gives row @r, and the backend it comes from. */
static int best_of(const struct row *r, const char **backend)
{
	int svm = in_play("svm") ? r->svm.score : 0, copy = in_play("copy") ? r->copy.score : 0;

	*backend = svm && svm >= copy ? "svm" : copy ? "copy" : "host";
	return svm >= copy ? svm : copy;
}

/* Probe every device for svm and copy and mark the one the automatic choice
 * (svm, then copy, by score; MKRT_DEVICE narrows it) takes. Returns the
 * selected index, or -1 (with *err set when MKRT_DEVICE named nothing);
 * *@backend gets the backend it runs, "host" when none. */
static int survey(struct row *rows, int n, const char **backend, int *err)
{
	const char *spec = getenv("MKRT_DEVICE"), *b;
	int only = -1, best = -1, best_score = 0;

	*err = 0;
	*backend = "host";
	if (spec && spec[0] && (only = mkrt_device_match(spec)) < 0) {
		*err = only;
		return -1;
	}
	for (int i = 0; i < n; i++) {
		mkrt_device_get((uint32_t)i, &rows[i].info);
		probe((uint32_t)i, mkrt_device_probe_svm, &rows[i].svm);
		probe((uint32_t)i, mkrt_device_probe_copy, &rows[i].copy);
		int score = best_of(&rows[i], &b);
		if ((only < 0 || only == i) && score > best_score) {
			best = i;
			best_score = score;
			*backend = b;
		}
	}
	for (int i = 0; i < n; i++) {
		struct row *r = &rows[i];
		int score = best_of(r, &b);
		r->selected = i == best;
		if (r->selected)
			snprintf(r->why, sizeof(r->why), "%s; %s handshake passed (%s)",
				 only >= 0 ? "named by MKRT_DEVICE" : "highest score", b,
				 strcmp(b, "svm") == 0 ? r->svm.mode : r->copy.mode);
		else if (!score)
			snprintf(r->why, sizeof(r->why), "no resident backend may use it (see the probes)");
		else if (only >= 0)
			snprintf(r->why, sizeof(r->why), "MKRT_DEVICE names another device");
		else
			snprintf(r->why, sizeof(r->why), "device %d scored higher (%d > %d)", best, best_score,
				 score);
	}
	return best;
}

static void json_bool(FILE *f, const char *key, bool v, bool comma)
{
	fprintf(f, "\"%s\": %s%s", key, v ? "true" : "false", comma ? ", " : "");
}

static void json_verdict(const char *key, const struct verdict *v)
{
	printf("\"%s\": {\"passed\": %s, \"score\": %d, \"mode\": ", key, v->score ? "true" : "false",
	       v->score);
	cli_json_str(stdout, v->mode);
	printf(", \"reason\": ");
	cli_json_str(stdout, v->reason);
	printf("}");
}

static void print_json(const struct row *rows, int n, int selected, const char *backend)
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
		printf("},\n   ");
		json_verdict("probe", &r->svm);
		printf(",\n   ");
		json_verdict("copy_probe", &r->copy);
		printf(",\n   \"selected\": %s, \"why\": ", r->selected ? "true" : "false");
		cli_json_str(stdout, r->why);
		printf("}");
	}
	printf("\n ], \"selected\": %d, \"backend\": \"%s\"}\n", selected, backend);
}

static void print_verdict(const char *backend, const struct verdict *v)
{
	if (v->score)
		printf("     %s probe: passed, %s (score %d)\n", backend, v->mode, v->score);
	else
		printf("     %s probe: refused: %s\n", backend, v->reason);
}

static void print_text(const struct row *rows, int n, int selected, const char *backend)
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
		print_verdict("svm", &r->svm);
		print_verdict("copy", &r->copy);
		printf("     %s: %s\n", r->selected ? "selected" : "not selected", r->why);
	}
	if (selected < 0)
		printf("no device passed a resident backend's probe: the automatic choice is the host backend\n");
	else
		printf("automatic choice: %s on device %d\n", backend, selected);
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
	const char *backend;
	int selected = survey(rows, n, &backend, &err);
	if (err) {
		free(rows);
		return cli_fail("MKRT_DEVICE", err);
	}
	if (json)
		print_json(rows, n, selected, backend);
	else
		print_text(rows, n, selected, backend);
	free(rows);
	return CLI_OK;
}
