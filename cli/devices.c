/* SPDX-License-Identifier: MIT */
/*
 * devices.c - `mkrt devices [--json]`: every OpenCL device and its
 * capabilities, with the selection report the runtime chooses by
 * (mkrt_selection_report): each backend's verdict on each device, the
 * backends that use none, and the choice MKRT_BACKEND and MKRT_DEVICE
 * narrow, with the reason.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static void json_bool(FILE *f, const char *key, bool v, bool comma)
{
	fprintf(f, "\"%s\": %s%s", key, v ? "true" : "false", comma ? ", " : "");
}

static void json_choice(const struct mkrt_choice *c, bool comma)
{
	printf("{\"backend\": ");
	cli_json_str(stdout, c->backend);
	printf(", \"passed\": %s, \"score\": %d, \"mode\": ", c->score ? "true" : "false", c->score);
	cli_json_str(stdout, c->mode);
	printf(", \"reason\": ");
	cli_json_str(stdout, c->reason);
	printf("}%s", comma ? ", " : "");
}

/* The rows of @sel on device @device (-1: the backends that use none). */
static void json_choices(const struct mkrt_selection *sel, int device)
{
	bool first = true;

	printf("[");
	for (uint32_t r = 0; r < sel->count; r++) {
		if (sel->rows[r].device != device)
			continue;
		if (!first)
			printf(", ");
		json_choice(&sel->rows[r], false);
		first = false;
	}
	printf("]");
}

static int chosen_device(const struct mkrt_selection *sel)
{
	return sel->chosen >= 0 ? sel->rows[sel->chosen].device : -1;
}

static void print_json(const struct mkrt_selection *sel, int n)
{
	printf("{\"devices\": [");
	for (int i = 0; i < n; i++) {
		struct mkrt_device_info info, *d = &info;
		mkrt_device_get((uint32_t)i, d);
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
		printf("},\n   \"probes\": ");
		json_choices(sel, i);
		printf(",\n   \"selected\": %s}", chosen_device(sel) == i ? "true" : "false");
	}
	printf("\n ],\n \"backends\": ");
	json_choices(sel, -1);
	printf(",\n \"requested\": ");
	cli_json_str(stdout, sel->requested);
	printf(", \"device_spec\": ");
	cli_json_str(stdout, sel->device_spec);
	printf(",\n \"selected\": %d, \"backend\": ", chosen_device(sel));
	cli_json_str(stdout, sel->chosen >= 0 ? sel->rows[sel->chosen].backend : "");
	printf(", \"why\": ");
	cli_json_str(stdout, sel->why);
	printf("}\n");
}

static void print_choice(const struct mkrt_choice *c, const char *indent)
{
	if (c->score)
		printf("%s%s: passed%s%s (score %d)\n", indent, c->backend, c->mode[0] ? ", " : "", c->mode,
		       c->score);
	else
		printf("%s%s: refused: %s\n", indent, c->backend, c->reason);
}

static void print_text(const struct mkrt_selection *sel, int n)
{
	int chosen = chosen_device(sel);

	for (int i = 0; i < n; i++) {
		struct mkrt_device_info info, *d = &info;
		mkrt_device_get((uint32_t)i, d);
		printf("%s %d: %s / %s  [%s, %u CUs, OpenCL C %u.%u, driver %s]\n", chosen == i ? "*" : " ", i,
		       d->platform, d->name, d->gpu ? "gpu" : d->cpu ? "cpu" : "other", d->compute_units,
		       d->cl_c_major, d->cl_c_minor, d->driver);
		printf("     svm: coarse=%d fine_grain_buffer=%d fine_grain_system=%d atomics=%d;"
		       " acq_rel=%d scope_all_devices=%d\n",
		       d->svm_coarse, d->svm_fine_buffer, d->svm_fine_system, d->svm_atomics,
		       d->atomic_acq_rel, d->scope_all_devices);
		for (uint32_t r = 0; r < sel->count; r++)
			if (sel->rows[r].device == i)
				print_choice(&sel->rows[r], "     ");
	}
	printf("backends not on an OpenCL device (cuda: through its own driver):\n");
	for (uint32_t r = 0; r < sel->count; r++)
		if (sel->rows[r].device < 0)
			print_choice(&sel->rows[r], "     ");
	printf(sel->chosen < 0 ? "no choice: %s\n" : "automatic choice: %s\n", sel->why);
}

int cli_devices(int argc, char **argv)
{
	struct mkrt_selection sel;
	bool json = false;
	const struct cli_opt opts[] = {
		{ "--json", CLI_FLAG, &json, NULL, 0, 0, NULL, "one JSON object instead of text" },
	};
	const struct cli_cmd cmd = {
		"devices", NULL, 0,
		"List the OpenCL devices with their SVM and atomics capabilities, every\n"
		"backend's probe on each (passed with its score, or refused with the reason),\n"
		"and the backend chosen automatically (marked *).",
		opts, CLI_NOPTS(opts), "environment: MKRT_BACKEND, MKRT_DEVICE",
	};
	int rc = cli_parse(&cmd, argc, argv, NULL, 0, NULL);

	if (rc >= 0)
		return rc;
	int n = mkrt_device_count();
	if (n < 0)
		return cli_fail("devices", n);
	if (n == 0) {
		fprintf(stderr, "mkrt: no OpenCL platform is installed, so there is no device to list.\n"
				"  Fix: apt-get install pocl-opencl-icd (a CPU device), or your GPU's "
				"OpenCL driver.\n");
		return CLI_FAIL;
	}
	int err = mkrt_selection_report(NULL, &sel);
	if (err == MKRT_ENODEVICE || err == MKRT_ENOMEM || err == MKRT_EINVAL) {
		mkrt_selection_free(&sel);
		return cli_fail("MKRT_DEVICE", err);
	}
	if (json)
		print_json(&sel, n);
	else
		print_text(&sel, n);
	mkrt_selection_free(&sel);
	return CLI_OK;
}
