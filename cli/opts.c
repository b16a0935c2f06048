/* SPDX-License-Identifier: MIT */
/*
 * opts.c - the one option parser every subcommand uses, and the help it
 * prints. A command is a table of options (cli.h); a bad value is refused
 * with the flag, what it takes and what was given, so no command has its
 * own parsing or its own usage line to drift from its help.
 */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* @s as a whole decimal number in [@min, @max]: digits only, no sign, no
 * exponent, no overflow. */
static bool cli_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return false;
	}
	if (v < min)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* @s as N or N,N,... each in the option's range, at most CLI_LIST_MAX. */
static bool cli_parse_list(const char *s, const struct cli_opt *o, struct cli_list *out)
{
	char buf[32];

	out->n = 0;
	for (;;) {
		size_t len = strcspn(s, ",");
		if (len == 0 || len >= sizeof(buf) || out->n == CLI_LIST_MAX)
			return false;
		memcpy(buf, s, len);
		buf[len] = '\0';
		if (!cli_parse_u32(buf, o->min, o->max, &out->v[out->n++]))
			return false;
		if (!s[len])
			return true;
		s += len + 1;
	}
}

/* Whether @name is a backend of the registry. */
static bool cli_known_backend(const char *name)
{
	for (int i = 0; i < mkrt_backend_count(); i++)
		if (strcmp(mkrt_backend_name(i), name) == 0)
			return true;
	return false;
}

/* What option @o takes, in words, into @buf. */
static const char *cli_takes(const struct cli_opt *o, char *buf, size_t len)
{
	switch (o->kind) {
	case CLI_NUM:
		snprintf(buf, len, "a whole number from %u to %u", o->min, o->max);
		break;
	case CLI_BYTES4:
		snprintf(buf, len, "a multiple of 4 from %u to %u", o->min, o->max);
		break;
	case CLI_LIST:
		snprintf(buf, len, "N or a list N,N,... (at most %d), each from %u to %u", CLI_LIST_MAX,
			 o->min, o->max);
		break;
	case CLI_BACKEND: {
		size_t at = (size_t)snprintf(buf, len, "a backend:");
		for (int i = 0; i < mkrt_backend_count() && at < len; i++)
			at += (size_t)snprintf(buf + at, len - at, " %s", mkrt_backend_name(i));
		break;
	}
	default:
		snprintf(buf, len, "%s", o->arg ? o->arg : "a value");
	}
	return buf;
}

/* "mkrt CMD: MESSAGE" and where help is, on stderr; returns CLI_USAGE. */
static int cli_refuse(const struct cli_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int cli_refuse(const struct cli_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mkrt %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'mkrt %s --help'.\n", cmd->name);
	return CLI_USAGE;
}

static const struct cli_opt *cli_find(const struct cli_cmd *cmd, const char *flag)
{
	for (size_t i = 0; i < cmd->nopts; i++)
		if (strcmp(cmd->opts[i].flag, flag) == 0)
			return &cmd->opts[i];
	return NULL;
}

/* Set option @o from @value; CLI_USAGE (said why) when it is not one. */
static int cli_set(const struct cli_cmd *cmd, const struct cli_opt *o, const char *value)
{
	char takes[160];
	bool ok = true;

	switch (o->kind) {
	case CLI_FLAG:
		*(bool *)o->out = true;
		return -1;
	case CLI_NUM:
	case CLI_BYTES4:
		ok = cli_parse_u32(value, o->min, o->max, (uint32_t *)o->out) &&
		     (o->kind == CLI_NUM || *(uint32_t *)o->out % 4 == 0);
		break;
	case CLI_LIST:
		ok = cli_parse_list(value, o, (struct cli_list *)o->out);
		break;
	case CLI_BACKEND:
		ok = cli_known_backend(value);
		/* fall through */
	case CLI_TEXT:
		ok = ok && value[0];
		if (ok)
			*(const char **)o->out = value;
		break;
	}
	if (ok)
		return -1;
	return cli_refuse(cmd, "%s takes %s, not '%s'", o->flag, cli_takes(o, takes, sizeof(takes)), value);
}

int cli_parse(const struct cli_cmd *cmd, int argc, char **argv, char **pos, int maxpos, int *npos)
{
	int n = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			cli_help(cmd, stdout);
			return CLI_OK;
		}
		if (a[0] != '-' || strcmp(a, "-") == 0) {
			if (n == maxpos)
				return cli_refuse(cmd, "unexpected argument '%s' (%s)", a,
						  maxpos ? "too many" : "this command takes none");
			pos[n++] = argv[i];
			continue;
		}
		const struct cli_opt *o = cli_find(cmd, a);
		if (!o)
			return cli_refuse(cmd, "unknown option '%s'", a);
		if (o->kind != CLI_FLAG && i + 1 >= argc)
			return cli_refuse(cmd, "%s needs a value (%s)", a, o->arg);
		int rc = cli_set(cmd, o, o->kind == CLI_FLAG ? NULL : argv[++i]);
		if (rc >= 0)
			return rc;
	}
	if (npos)
		*npos = n;
	if (n < cmd->npos_min)
		return cli_refuse(cmd, "missing %s", cmd->args);
	return -1;
}

void cli_help(const struct cli_cmd *cmd, FILE *f)
{
	char takes[160];

	fprintf(f, "usage: mkrt %s [OPTIONS]%s%s\n\n%s\n", cmd->name, cmd->args ? " " : "",
		cmd->args ? cmd->args : "", cmd->about);
	if (cmd->nopts)
		fprintf(f, "\noptions:\n");
	for (size_t i = 0; i < cmd->nopts; i++) {
		const struct cli_opt *o = &cmd->opts[i];
		char head[64];
		snprintf(head, sizeof(head), "%s%s%s", o->flag, o->kind == CLI_FLAG ? "" : " ",
			 o->kind == CLI_FLAG ? "" : o->arg);
		fprintf(f, "  %-22s %s\n", head, o->help);
		if (o->kind == CLI_FLAG)
			continue;
		bool ranged = o->kind != CLI_TEXT;
		fprintf(f, "  %-22s   (%s%s%s%s)\n", "", ranged ? cli_takes(o, takes, sizeof(takes)) : "",
			ranged ? "; " : "", o->def ? "default: " : "no default", o->def ? o->def : "");
	}
	fprintf(f, "  %-22s %s\n", "-h, --help", "this help");
	if (cmd->more)
		fprintf(f, "\n%s\n", cmd->more);
}
