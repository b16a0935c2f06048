/* SPDX-License-Identifier: MIT */
/*
 * file.c - the default resolver: resource i is the fixed-size record i of
 * a file, read through an engine (io_uring where liburing was found at
 * configure time, else pread). The file opens lazily on the first request,
 * so a missing file is an error of each request (MKRT_IOERR_OPEN), not of
 * the runtime.
 */
#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

static const struct mkrt__io_engine *const mkrt__engines[] = {
#if HAVE_LIBURING
	&mkrt__engine_uring,
#endif
	&mkrt__engine_pread,
};

const char *mkrt_io_engines(void)
{
#if HAVE_LIBURING
	return "uring pread";
#else
	return "pread";
#endif
}

static const struct mkrt__io_engine *mkrt__engine(const char *name)
{
	for (size_t i = 0; i < MKRT__ARRAY_SIZE(mkrt__engines); i++)
		if (!name || strcmp(mkrt__engines[i]->name, name) == 0)
			return mkrt__engines[i];
	return NULL;
}

static int64_t mkrt__file_resolve(void *self, uint32_t id, void *dst, size_t cap)
{
	struct mkrt__file *f = self;
	size_t rec = f->record_bytes;

	if (f->fd < 0) {
		f->fd = open(f->path, O_RDONLY | O_CLOEXEC);
		if (f->fd < 0)
			return -(int64_t)MKRT_IOERR_OPEN;
		if (f->engine->open && f->engine->open(f) < 0) {
			close(f->fd);
			f->fd = -1;
			return -(int64_t)MKRT_IOERR_READ;
		}
	}
	if (rec > cap)
		return -(int64_t)MKRT_IOERR_TOO_BIG;
	int64_t n = f->engine->read(f, dst, rec, (uint64_t)id * rec);
	if (n < 0)
		return -(int64_t)MKRT_IOERR_READ;
	return (size_t)n < rec ? -(int64_t)MKRT_IOERR_SHORT : n;
}

/* A user's resolver: its negative values are its own, not our codes. */
static int64_t mkrt__user_resolve(void *self, uint32_t id, void *dst, size_t cap)
{
	const struct mkrt__resolver *r = self;
	int64_t n = r->user_fn(r->user, id, dst, cap);

	return n < 0 ? -(int64_t)MKRT_IOERR_RESOLVER : n;
}

int mkrt__resolver_init(const struct mkrt_io_config *io, struct mkrt__resolver *out)
{
	memset(out, 0, sizeof(*out));
	if (io->resolve) {
		out->resolve = mkrt__user_resolve;
		out->self = out;
		out->user_fn = io->resolve;
		out->user = io->user;
		return 0;
	}
	struct mkrt__file *f = calloc(1, sizeof(*f));
	if (!f || !(f->path = strdup(io->path))) {
		free(f);
		return MKRT_ENOMEM;
	}
	f->fd = -1;
	f->record_bytes = io->record_bytes ? io->record_bytes : io->frame_bytes;
	f->engine = mkrt__engine(io->engine);
	out->resolve = mkrt__file_resolve;
	out->self = f;
	out->file = f;
	return 0;
}

void mkrt__resolver_fini(struct mkrt__resolver *r)
{
	struct mkrt__file *f = r->file;

	if (!f)
		return;
	if (f->fd >= 0) {
		if (f->engine->close)
			f->engine->close(f);
		close(f->fd);
	}
	free(f->path);
	free(f);
	r->file = NULL;
}

/* ---- pread ---------------------------------------------------------------------- */

static int64_t mkrt__pread_read(struct mkrt__file *f, void *dst, size_t n, uint64_t off)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = pread(f->fd, (uint8_t *)dst + done, n - done, (off_t)(off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break; /* end of file */
		done += (size_t)r;
	}
	return (int64_t)done;
}

const struct mkrt__io_engine mkrt__engine_pread = {
	.name = "pread",
	.read = mkrt__pread_read,
};
