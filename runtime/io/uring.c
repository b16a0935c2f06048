/* SPDX-License-Identifier: MIT */
/* uring.c - the io_uring read engine (built when configure finds liburing). */
#include "io.h"

#include <errno.h>
#include <liburing.h>
#include <stdlib.h>

#define MKRT__URING_ENTRIES 8u

static int mkrt__uring_open(struct mkrt__file *f)
{
	struct io_uring *ring = calloc(1, sizeof(*ring));

	if (!ring)
		return -ENOMEM;
	int rc = io_uring_queue_init(MKRT__URING_ENTRIES, ring, 0);
	if (rc < 0) {
		free(ring);
		return rc;
	}
	f->engine_state = ring;
	return 0;
}

static int64_t mkrt__uring_read(struct mkrt__file *f, void *dst, size_t n, uint64_t off)
{
	struct io_uring *ring = f->engine_state;
	size_t done = 0;

	while (done < n) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
		struct io_uring_cqe *cqe;
		if (!sqe)
			return -EBUSY;
		io_uring_prep_read(sqe, f->fd, (uint8_t *)dst + done, (unsigned)(n - done), off + done);
		int rc = io_uring_submit_and_wait(ring, 1);
		if (rc < 0)
			return rc;
		rc = io_uring_wait_cqe(ring, &cqe);
		if (rc < 0)
			return rc;
		int res = cqe->res;
		io_uring_cqe_seen(ring, cqe);
		if (res == -EINTR || res == -EAGAIN)
			continue;
		if (res < 0)
			return res;
		if (res == 0)
			break; /* end of file */
		done += (size_t)res;
	}
	return (int64_t)done;
}

static void mkrt__uring_close(struct mkrt__file *f)
{
	if (f->engine_state) {
		io_uring_queue_exit(f->engine_state);
		free(f->engine_state);
		f->engine_state = NULL;
	}
}

const struct mkrt__io_engine mkrt__engine_uring = {
	.name = "uring",
	.open = mkrt__uring_open,
	.read = mkrt__uring_read,
	.close = mkrt__uring_close,
};
