/* SPDX-License-Identifier: MIT */
/*
 * program.c - the megakernel's sources and their build, with a binary cache.
 *
 * Sources are embedded at build time (cl/embed.sh); MKRT_CL_DIR points at a
 * folder of cl/ files to use instead, for development. Built binaries are
 * cached in $MKRT_CACHE_DIR (default $XDG_CACHE_HOME/mkrt or ~/.cache/mkrt;
 * empty disables), keyed by a hash of platform, device, driver, options and
 * every source byte, so a second start does not recompile.
 */
#include "cl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define MKRT__PATH_LEN 512
#define MKRT__MAX_SOURCE (16u << 20)

uint32_t mkrt__program_source_builds; /* atomic: builds that compiled source */

static int mkrt__cl_source(const char *name, const char **text, char **owned)
{
	const char *dir = getenv("MKRT_CL_DIR");

	*owned = NULL;
	if (dir && dir[0] && strcmp(name, "protocol.h") != 0) {
		char path[MKRT__PATH_LEN];
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		FILE *f = fopen(path, "rb");
		if (!f) {
			mkrt__detail("MKRT_CL_DIR: cannot open %s: %s", path, strerror(errno));
			return MKRT_EINVAL;
		}
		char *buf = malloc(MKRT__MAX_SOURCE + 1);
		size_t n = buf ? fread(buf, 1, MKRT__MAX_SOURCE, f) : 0;
		fclose(f);
		if (!buf)
			return MKRT_ENOMEM;
		buf[n] = '\0';
		*owned = buf;
		*text = buf;
		return 0;
	}
	for (size_t i = 0; i < mkrt__cl_source_count; i++) {
		if (strcmp(mkrt__cl_sources[i].name, name) == 0) {
			*text = (const char *)mkrt__cl_sources[i].text;
			return 0;
		}
	}
	mkrt__detail("no embedded OpenCL source named %s", name);
	return MKRT_EINVAL;
}

/* A growing string. */
struct mkrt__text {
	char *buf;
	size_t len, cap;
};

static int mkrt__text_add(struct mkrt__text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 64u << 10;
		while (t->len + n + 1 > cap)
			cap *= 2;
		char *buf = cap <= MKRT__MAX_SOURCE ? realloc(t->buf, cap) : NULL;
		if (!buf)
			return MKRT_ENOMEM;
		t->buf = buf;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
	return 0;
}

/* The file a line includes with #include "...", without its folder, or NULL. */
static const char *mkrt__included(const char *line, const char *end, size_t *len)
{
	const char *p = line;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if ((size_t)(end - p) < 10 || strncmp(p, "#include \"", 10) != 0)
		return NULL;
	const char *name = p + 10, *close = memchr(name, '"', (size_t)(end - name));
	if (!close)
		return NULL;
	for (const char *q = name; q < close; q++)
		if (*q == '/')
			name = q + 1;
	*len = (size_t)(close - name);
	return name;
}

/* The index of embedded source @name (@len bytes), or -1: not one of ours. */
static int mkrt__cl_embedded(const char *name, size_t len)
{
	for (size_t i = 0; i < mkrt__cl_source_count; i++)
		if (strlen(mkrt__cl_sources[i].name) == len && memcmp(mkrt__cl_sources[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

/* Append source @k with each #include "..." of one of our sources replaced
 * by that source the first time (later ones are dropped, as their include
 * guards would drop them); #line keeps build logs pointing at the files.
 * @seen has a bit per embedded source. */
static int mkrt__flatten(int k, struct mkrt__text *t, uint64_t *seen)
{
	const char *name = mkrt__cl_sources[k].name, *text, *end;
	char *owned, mark[MKRT__PATH_LEN];
	int err, line = 1;

	if (*seen & (1ull << k))
		return 0;
	*seen |= 1ull << k;
	err = mkrt__cl_source(name, &text, &owned);
	snprintf(mark, sizeof(mark), "#line 1 \"%s\"\n", name);
	err = err ? err : mkrt__text_add(t, mark, strlen(mark));
	for (const char *at = text; !err && *at; at = end, line++) {
		size_t n = 0;
		end = strchr(at, '\n');
		end = end ? end + 1 : at + strlen(at);
		const char *inc = mkrt__included(at, end, &n);
		int ours = inc ? mkrt__cl_embedded(inc, n) : -1;
		if (ours < 0) {
			err = mkrt__text_add(t, at, (size_t)(end - at));
			continue;
		}
		err = mkrt__flatten(ours, t, seen);
		snprintf(mark, sizeof(mark), "#line %d \"%s\"\n", line + 1, name);
		err = err ? err : mkrt__text_add(t, mark, strlen(mark));
	}
	free(owned);
	return err;
}

int mkrt__cl_text(const char *name, char **out)
{
	struct mkrt__text t = { NULL, 0, 0 };
	uint64_t seen = 0;
	int k = mkrt__cl_embedded(name, strlen(name));

	if (k < 0) {
		mkrt__detail("no embedded OpenCL source named %s", name);
		return MKRT_EINVAL;
	}
	int err = mkrt__flatten(k, &t, &seen);
	if (err) {
		free(t.buf);
		return err;
	}
	*out = t.buf;
	return 0;
}

static uint64_t mkrt__fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return h ^ 0xff; /* separate consecutive strings */
}

/* The cache file for this build, or false when caching is off. */
static bool mkrt__cache_path(const struct mkrt__device *dev, const char *const *parts,
			     size_t nparts, const char *options, char *path, size_t len)
{
	const char *dir = getenv("MKRT_CACHE_DIR"), *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	char base[MKRT__PATH_LEN - 32]; /* room for "/<16 hex>.bin" */

	if (dir && !dir[0])
		return false;
	if (dir)
		snprintf(base, sizeof(base), "%s", dir);
	else if (xdg && xdg[0])
		snprintf(base, sizeof(base), "%s/mkrt", xdg);
	else if (home && home[0])
		snprintf(base, sizeof(base), "%s/.cache/mkrt", home);
	else
		return false;

	uint64_t h = 0xcbf29ce484222325ull;
	h = mkrt__fnv1a(h, dev->info.platform);
	h = mkrt__fnv1a(h, dev->info.name);
	h = mkrt__fnv1a(h, dev->info.driver);
	h = mkrt__fnv1a(h, options);
	for (size_t i = 0; i < nparts; i++)
		h = mkrt__fnv1a(h, parts[i]);
	/* best effort: a cache that cannot be created just means compiling */
	char parent[sizeof(base)];
	snprintf(parent, sizeof(parent), "%s", base);
	char *slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		mkdir(parent, 0700);
	}
	mkdir(base, 0700);
	snprintf(path, len, "%s/%016llx.bin", base, (unsigned long long)h);
	return true;
}

static cl_program mkrt__load_cached(cl_context ctx, const struct mkrt__device *dev,
				    const char *path, const char *options)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *bin = size > 0 && size < (long)MKRT__MAX_SOURCE * 8 ? malloc((size_t)size) : NULL;
	size_t got = bin ? fread(bin, 1, (size_t)size, f) : 0;
	fclose(f);
	cl_program prog = NULL;
	if (bin && got == (size_t)size) {
		size_t len = got;
		const unsigned char *bins[1] = { bin };
		cl_int status, rc;
		prog = clCreateProgramWithBinary(ctx, 1, &dev->id, &len, bins, &status, &rc);
		if (prog && (rc != CL_SUCCESS || status != CL_SUCCESS ||
			     clBuildProgram(prog, 1, &dev->id, options, NULL, NULL) != CL_SUCCESS)) {
			clReleaseProgram(prog);
			prog = NULL; /* stale or foreign: rebuild from source */
		}
	}
	free(bin);
	return prog;
}

static void mkrt__store_cached(cl_program prog, const char *path)
{
	size_t size = 0;
	if (clGetProgramInfo(prog, CL_PROGRAM_BINARY_SIZES, sizeof(size), &size, NULL) != CL_SUCCESS ||
	    size == 0)
		return;
	unsigned char *bin = malloc(size);
	unsigned char *bins[1] = { bin };
	if (bin && clGetProgramInfo(prog, CL_PROGRAM_BINARIES, sizeof(bins), bins, NULL) == CL_SUCCESS) {
		char tmp[MKRT__PATH_LEN + 32];
		snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
		FILE *f = fopen(tmp, "wb");
		if (f) {
			bool ok = fwrite(bin, 1, size, f) == size;
			ok &= fclose(f) == 0;
			if (!ok || rename(tmp, path) != 0)
				unlink(tmp); /* atomic publish, or nothing */
		}
	}
	free(bin);
}

/* Record the build log of a failed build in the detail buffer. */
static int mkrt__build_failed(cl_program prog, const struct mkrt__device *dev, cl_int rc)
{
	char log[3000] = "";
	size_t n = 0;

	clGetProgramBuildInfo(prog, dev->id, CL_PROGRAM_BUILD_LOG, sizeof(log) - 1, log, &n);
	log[sizeof(log) - 1] = '\0';
	mkrt__detail("clBuildProgram on %s: %s; build log:\n%s", dev->info.name, mkrt__cl_name(rc),
		     log[0] ? log : "(empty; the log did not fit or the driver gave none)");
	return MKRT_EBUILD;
}

int mkrt__program_build(cl_context ctx, const struct mkrt__device *dev, const char *const *parts,
			size_t nparts, const char *options, cl_program *out)
{
	char path[MKRT__PATH_LEN];
	bool cached = mkrt__cache_path(dev, parts, nparts, options, path, sizeof(path));
	cl_int rc;

	if (cached && (*out = mkrt__load_cached(ctx, dev, path, options)))
		return 0;
	cl_program prog = clCreateProgramWithSource(ctx, (cl_uint)nparts, (const char **)parts, NULL, &rc);
	if (!prog)
		return mkrt__cl_fail("clCreateProgramWithSource", rc);
	mkrt__add_relaxed(&mkrt__program_source_builds, 1);
	rc = clBuildProgram(prog, 1, &dev->id, options, NULL, NULL);
	if (rc != CL_SUCCESS) {
		int err = rc == CL_BUILD_PROGRAM_FAILURE ? mkrt__build_failed(prog, dev, rc)
							 : mkrt__cl_fail("clBuildProgram", rc);
		clReleaseProgram(prog);
		return err;
	}
	if (cached)
		mkrt__store_cached(prog, path);
	*out = prog;
	return 0;
}

/* The user-opcode dispatcher the megakernel calls for non-builtin opcodes. */
char *mkrt__cl_dispatcher(const struct mkrt_config *cfg)
{
	size_t cap = 256 + (size_t)cfg->cl_handler_count * 128, used = 0;
	char *s = malloc(cap);

	if (!s)
		return NULL;
	used += (size_t)snprintf(s + used, cap - used,
				 "uint mkrt_user_dispatch(uint op, __private uint *args,\n"
				 "\t\t\tconst struct mkrt_ctx *ctx)\n{\n"
				 "\tswitch (op) {\n");
	for (uint32_t i = 0; i < cfg->cl_handler_count; i++)
		used += (size_t)snprintf(s + used, cap - used, "\tcase %uu: return %s(op, args, ctx);\n",
					 cfg->cl_handlers[i].opcode, cfg->cl_handlers[i].function);
	snprintf(s + used, cap - used, "\t}\n\treturn MKRT_FAULT_UNKNOWN_OPCODE;\n}\n");
	return s;
}

int mkrt__megakernel_build(cl_context ctx, const struct mkrt__device *dev, const struct mkrt_config *cfg,
			   const char *options, cl_program *prog, cl_kernel *kernel)
{
	/* the megakernel, then the user's source, then the dispatcher over it */
	char *megakernel = NULL, *dispatch = mkrt__cl_dispatcher(cfg);
	cl_int rc;
	int err = dispatch ? mkrt__cl_text("megakernel.cl", &megakernel) : MKRT_ENOMEM;

	if (!err) {
		const char *parts[] = { megakernel, cfg->cl_source ? cfg->cl_source : "", dispatch };
		err = mkrt__program_build(ctx, dev, parts, MKRT__ARRAY_SIZE(parts), options, prog);
	}
	if (!err && !(*kernel = clCreateKernel(*prog, "mkrt_megakernel", &rc)))
		err = mkrt__cl_fail("clCreateKernel(mkrt_megakernel)", rc);
	free(megakernel);
	free(dispatch);
	return err;
}
