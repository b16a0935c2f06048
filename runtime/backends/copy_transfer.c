/* SPDX-License-Identifier: MIT */
/*
 * copy_transfer.c - the copy backend's transfers on the host queue
 * (copy.h): every wait bounded, so a wedged device is an error, not a hang.
 */
#include "copy.h"

#include <stdio.h>

/* ---- transfers on the host queue ----------------------------------------------------- */

/* Wait for a transfer, bounded: a device that never runs it (wedged, or a
 * CPU driver whose workers the kernel's lanes all hold) is an error, not a
 * hang. Takes @ev. */
static int mkrt__copy_finish(struct mkrt__copy *c, cl_event ev, const char *what)
{
	struct mkrt__backoff backoff = { 0 };
	uint64_t deadline = mkrt__now_ns() + (uint64_t)MKRT__COPY_TRANSFER_MS * 1000000u;
	cl_int st = CL_QUEUED;

	clFlush(c->hq);
	for (;;) {
		cl_int rc = clGetEventInfo(ev, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof(st), &st, NULL);
		if (rc != CL_SUCCESS || st <= CL_COMPLETE) {
			clReleaseEvent(ev);
			return rc != CL_SUCCESS ? mkrt__cl_fail(what, rc) : st < 0 ? mkrt__cl_fail(what, st) : 0;
		}
		if (mkrt__now_ns() >= deadline)
			break;
		mkrt__backoff_pause(&backoff);
	}
	clReleaseEvent(ev);
	mkrt__store_release(&c->wedged, 1);
	mkrt__detail("copy: %s on %s did not complete within %u ms: the device is wedged, or its "
		     "driver has no worker left beside the kernel's lanes",
		     what, c->r.dev.info.name, MKRT__COPY_TRANSFER_MS);
	return MKRT_ETIMEDOUT;
}

/* Read into @out, memory this backend owns (view, io_view, scratch, its
 * words): after a timeout the transfer may still land there. */
int mkrt__copy_read(struct mkrt__copy *c, int b, uint32_t first, uint32_t n, void *out)
{
	cl_event ev = NULL;
	cl_int rc = clEnqueueReadBuffer(c->hq, c->buf[b], CL_FALSE, (size_t)first * 4u, (size_t)n * 4u, out,
					0, NULL, &ev);
	if (rc != CL_SUCCESS)
		return mkrt__cl_fail("clEnqueueReadBuffer(copy)", rc);
	return mkrt__copy_finish(c, ev, "a read from the device");
}

/* Read into @out without waiting: the next waited-for transfer on the
 * queue completes after it. */
int mkrt__copy_read_async(struct mkrt__copy *c, int b, uint32_t first, uint32_t n, void *out)
{
	cl_int rc = clEnqueueReadBuffer(c->hq, c->buf[b], CL_FALSE, (size_t)first * 4u, (size_t)n * 4u, out,
					0, NULL, NULL);

	return rc == CL_SUCCESS ? 0 : mkrt__cl_fail("clEnqueueReadBuffer(copy)", rc);
}

/* Write from @in, memory this backend owns or static; it must stay as it
 * is until a later waited-for transfer completes, unless @wait. One word,
 * where fill_words says so, is a fill: a single store on the device. */
int mkrt__copy_write(struct mkrt__copy *c, int b, uint32_t first, uint32_t n, const void *in,
			    bool wait)
{
	bool fill = n == 1 && c->fill_words;
	cl_event ev = NULL;
	cl_int rc;

	if (fill)
		rc = clEnqueueFillBuffer(c->hq, c->buf[b], in, 4u, (size_t)first * 4u, 4u, 0, NULL,
					 wait ? &ev : NULL);
	else
		rc = clEnqueueWriteBuffer(c->hq, c->buf[b], CL_FALSE, (size_t)first * 4u, (size_t)n * 4u, in, 0,
					  NULL, wait ? &ev : NULL);
	if (rc != CL_SUCCESS)
		return mkrt__cl_fail(fill ? "clEnqueueFillBuffer(copy)" : "clEnqueueWriteBuffer(copy)", rc);
	return wait ? mkrt__copy_finish(c, ev, "a write to the device") : 0;
}

/* The STATUS words of slots [@first, @first + @n): one plain write for one
 * slot, one rectangle write (a word per 64-byte row) for a run, so a batch
 * costs the same two transfers as a single slot; a fill per slot where
 * words must be single stores. */
int mkrt__copy_write_statuses(struct mkrt__copy *c, uint32_t first, uint32_t n)
{
	if (n == 1 || c->fill_words) {
		int err = 0;
		for (uint32_t s = first; s < first + n && !err; s++)
			err = mkrt__copy_write(c, MKRT__CB_RING, s * MKRT_SLOT_WORDS, 1, c->pub + s * MKRT_SLOT_WORDS,
					       false);
		return err;
	}
	const size_t origin[3] = { (size_t)first * MKRT_SLOT_BYTES, 0, 0 };
	const size_t region[3] = { 4u, n, 1 };
	cl_int rc = clEnqueueWriteBufferRect(c->hq, c->buf[MKRT__CB_RING], CL_FALSE, origin, origin, region,
					     MKRT_SLOT_BYTES, 0, MKRT_SLOT_BYTES, 0, c->pub, 0, NULL, NULL);

	return rc == CL_SUCCESS ? 0 : mkrt__cl_fail("clEnqueueWriteBufferRect(copy)", rc);
}
