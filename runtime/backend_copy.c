/* SPDX-License-Identifier: MIT */
/*
 * backend_copy.c - the "copy" backend: the megakernel resident on a device
 * without usable fine-grained SVM (Intel GPUs on Linux, NVIDIA, AMD when its
 * SVM probe fails), ring and control in ordinary device buffers (DESIGN §5).
 *
 * The kernel is the same cl/ sources built as OpenCL C 1.2 (volatile loads
 * and stores, 1.2 atomics, mem_fence). It runs on one command queue; the
 * host reads and writes its buffers with transfers on a second, in-order
 * queue, so every transfer lands after the ones enqueued before it.
 *
 * The host keeps a view of the ring: the last words it read back, plus its
 * own publishes. A slot the view shows EMPTY, DONE or FAULT cannot change on
 * the device until the host publishes it again, so reads of such slots need
 * no transfer; anything else is read back, the whole ring in one transfer.
 *
 * Publishing writes the payload words, then the status words in a second
 * transfer (a transfer's bytes land in no promised order), both without
 * blocking: a round trip costs those two enqueues and one blocking read per
 * look at the ring. A batch of consecutive slots is the same two transfers.
 *
 * Load misses: the lane that misses picks and unmaps the frame itself
 * (cl/load_miss.cl, MKRT_LANES_EVICT), since the host cannot CAS device
 * words; the host servicer reads the IO queue back, fills the frame it is
 * given, hands it over pinned and completes the request, in ordered writes.
 *
 * The device is accepted only after copy_probe.c's handshake: a running
 * kernel saw a write made through a second queue.
 *
 * A transfer is not one store. A CPU driver runs it as memcpy() on a host
 * thread, and glibc's memcpy of 4 to 7 bytes stores the head and the tail
 * of the range, both: a 4-byte write stores its word twice. A lane that
 * acts on the first store (claims a PUBLISHED slot and finishes it, unpins
 * a frame, consumes an IO completion) has its own store overwritten by the
 * second, and runs the slot again (tests/repro/copy_rerun.c shows it with
 * OpenCL alone). So on CPU devices every single word the host hands to the
 * lanes goes out as a 4-byte fill, which PoCL performs as one 32-bit store.
 *
 * No idle parking yet: the kernel is relaunched every epoch_ms until stop.
 */
#include "backend.h"
#include "resident.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define MKRT__COPY_GPU_LANES   4u
#define MKRT__COPY_TRANSFER_MS 10000u  /* a transfer that takes longer: the device is wedged */

/* Device buffers: the first five are the regions of enum mkrt__region. */
enum {
	MKRT__CB_RING,
	MKRT__CB_CONTROL,
	MKRT__CB_DEBUG,
	MKRT__CB_IO,
	MKRT__CB_DFA,
	MKRT__CB_RESIDENCY,
	MKRT__CB_FRAMES,
	MKRT__CB_ARENA,
	MKRT__CB_WITHDRAW, /* a word per slot: 1 asks a lane to withdraw it; then
			    * one word, non-zero while any of them is set */
	MKRT__CB_COUNT
};

struct mkrt__copy {
	struct mkrt__resident r;     /* context, the megakernel's queue, the watcher */
	cl_command_queue hq;         /* the host's transfers (in order) */
	cl_mem buf[MKRT__CB_COUNT];
	uint32_t words[MKRT__CB_COUNT];
	uint32_t slots;
	uint32_t wedged;             /* atomic: a transfer timed out; never free the buffers */

	/* host memory that transfers read or write: owned here, so one that
	 * times out still points at live memory */
	pthread_mutex_t xfer_lock;   /* scratch */
	uint32_t *scratch;           /* the largest non-ring region */
	uint32_t watch_word;         /* the watcher's: SHUTDOWN ... */
	uint32_t watch_done;         /* ... DONE_COUNT ... */
	uint32_t watch_ctl[MKRT_CTL_TENANT_LAST + 1]; /* ... and the tenant table */

	/* the ring as the host knows it; view_lock orders publishes, reads back
	 * and the view */
	pthread_mutex_t view_lock;
	uint32_t *view;              /* slots * 16 words */
	uint32_t *stage;             /* payload sources of pending writes (old STATUS) */
	uint32_t *pub;               /* PUBLISHED words, 16 apart, for the status writes */
	uint32_t *status_view;       /* STATUS words read back, 16 apart */
	bool *withdraw_set;          /* under view_lock: the slot's withdrawal word is 1 */
	uint32_t withdrawals;        /* under view_lock: how many are set */
	bool fill_words;             /* single words as fills (CPU devices, see above) */
	cl_mem pinned;               /* the four above, when mkrt__copy_pin() got them */
	void *pinned_host;
	uint32_t claimed;            /* atomic: slots the last read back showed CLAIMED */

	/* the IO servicer (resources > 0) */
	struct mkrt__resolver resolver;
	bool has_io, resolver_ready;
	uint32_t frame_bytes;
	pthread_mutex_t serve_lock;  /* one pass at a time */
	struct mkrt__poller servicer;
	uint32_t *io_view;           /* MKRT_IO_SLOTS * MKRT_IO_WORDS */
	uint8_t *frame_stage;        /* one frame's bytes on their way out */
	uint32_t meta_stage[MKRT_FRAME_WORDS], pin_stage, res_stage, io_stage[MKRT_IO_WORDS];
	uint64_t requests, errors;   /* atomic */
};

static int mkrt__copy_executors_live(void *state);

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
static int mkrt__copy_read(struct mkrt__copy *c, int b, uint32_t first, uint32_t n, void *out)
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
static int mkrt__copy_read_async(struct mkrt__copy *c, int b, uint32_t first, uint32_t n, void *out)
{
	cl_int rc = clEnqueueReadBuffer(c->hq, c->buf[b], CL_FALSE, (size_t)first * 4u, (size_t)n * 4u, out,
					0, NULL, NULL);

	return rc == CL_SUCCESS ? 0 : mkrt__cl_fail("clEnqueueReadBuffer(copy)", rc);
}

/* Write from @in, memory this backend owns or static; it must stay as it
 * is until a later waited-for transfer completes, unless @wait. One word,
 * where fill_words says so, is a fill: a single store on the device. */
static int mkrt__copy_write(struct mkrt__copy *c, int b, uint32_t first, uint32_t n, const void *in,
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
static int mkrt__copy_write_statuses(struct mkrt__copy *c, uint32_t first, uint32_t n)
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

/* ---- the view of the ring ---------------------------------------------------------------- */

static bool mkrt__copy_settled(uint32_t status)
{
	/* only the host moves a slot out of these */
	return status == MKRT_STATUS_EMPTY || status == MKRT_STATUS_DONE || status == MKRT_STATUS_FAULT;
}

/* Under view_lock: read the ring back. A transfer's bytes arrive in no
 * promised order, so a slot read in one transfer could show a lane's DONE
 * and the result words from before it. So the ring is read twice, the
 * first read for the STATUS words only: a slot that was DONE or
 * FAULT in the first has its results in the second (the lane wrote them
 * first), and a slot that finished between the two keeps its first status
 * until the next read back. The queue is in order, so only the second
 * read is waited for: one blocking transfer per look. */
static int mkrt__copy_refresh(struct mkrt__copy *c)
{
	int err = mkrt__copy_read_async(c, MKRT__CB_RING, 0, c->words[MKRT__CB_RING], c->status_view);

	err = err ? err : mkrt__copy_read(c, MKRT__CB_RING, 0, c->words[MKRT__CB_RING], c->view);
	if (err)
		return err;
	uint32_t claimed = 0;
	for (uint32_t s = 0; s < c->slots; s++) {
		uint32_t st = c->status_view[s * MKRT_SLOT_WORDS + MKRT_SLOT_STATUS];
		c->view[s * MKRT_SLOT_WORDS + MKRT_SLOT_STATUS] = st;
		claimed += st == MKRT_STATUS_CLAIMED;
	}
	mkrt__store_relaxed(&c->claimed, claimed);
	return 0;
}

/* Under view_lock: make the view current for words [@first, @first + @n) of
 * the ring, reading it back unless every slot they touch is settled. */
static int mkrt__copy_view(struct mkrt__copy *c, uint32_t first, uint32_t n)
{
	for (uint32_t s = first / MKRT_SLOT_WORDS; s <= (first + n - 1) / MKRT_SLOT_WORDS; s++)
		if (!mkrt__copy_settled(c->view[s * MKRT_SLOT_WORDS + MKRT_SLOT_STATUS]))
			return mkrt__copy_refresh(c);
	return 0;
}

static int mkrt__copy_read_slot(void *state, uint32_t slot, struct mkrt_slot *out)
{
	struct mkrt__copy *c = state;

	pthread_mutex_lock(&c->view_lock);
	int err = mkrt__copy_view(c, slot * MKRT_SLOT_WORDS, MKRT_SLOT_WORDS);
	if (!err)
		mkrt__slot_from_words(c->view + (size_t)slot * MKRT_SLOT_WORDS, out);
	pthread_mutex_unlock(&c->view_lock);
	return err;
}

/* Under view_lock: validate and stage one publish of @req into @slot. */
static int mkrt__copy_stage(struct mkrt__copy *c, uint32_t slot, const struct mkrt_slot *req, uint32_t nargs)
{
	uint32_t *st = c->stage + (size_t)slot * MKRT_SLOT_WORDS;
	uint32_t *vw = c->view + (size_t)slot * MKRT_SLOT_WORDS;

	/* the slot's last writes completed before the read back that showed
	 * it settled, so its stage is free; mkrt_publish validates against the
	 * status the view holds */
	uint32_t old = vw[MKRT_SLOT_STATUS];
	memcpy(st, vw, MKRT_SLOT_BYTES);
	int err = mkrt_publish(c->stage, c->words[MKRT__CB_RING], slot, req, nargs);
	if (err)
		return err;
	memcpy(vw, st, MKRT_SLOT_BYTES);
	/* the payload transfer of a run covers the STATUS words inside it: they
	 * go out unchanged, and PUBLISHED comes from c->pub afterwards */
	st[MKRT_SLOT_STATUS] = old;
	return 0;
}

/* Under view_lock: set or clear @slot's withdrawal word, and keep the word
 * after them (the lanes' cue to look at such words at all) non-zero exactly
 * while one is set: raised after the first, lowered after the last, in
 * queue order. */
static int mkrt__copy_set_withdrawal(struct mkrt__copy *c, uint32_t slot, bool set)
{
	static const uint32_t zero = 0, one = 1;
	int err = mkrt__copy_write(c, MKRT__CB_WITHDRAW, slot, 1, set ? &one : &zero, false);

	if (err)
		return err;
	c->withdraw_set[slot] = set;
	c->withdrawals += set ? 1u : (uint32_t)-1;
	if (c->withdrawals == (set ? 1u : 0u))
		err = mkrt__copy_write(c, MKRT__CB_WITHDRAW, c->slots, 1, set ? &one : &zero, false);
	return err;
}

/* Under view_lock: a withdrawal asked for in an earlier life of the slots
 * [@first, @first + @n) must not withdraw their next publish, so it is
 * cleared ahead of it (the queue is in order). */
static int mkrt__copy_clear_withdrawals(struct mkrt__copy *c, uint32_t first, uint32_t n)
{
	int err = 0;

	for (uint32_t s = first; s < first + n && !err; s++)
		if (c->withdraw_set[s])
			err = mkrt__copy_set_withdrawal(c, s, false);
	return err;
}

/* Under view_lock: withdrawals cleared, payload, then status of the staged
 * run [@first, @first + @n). */
static int mkrt__copy_send(struct mkrt__copy *c, uint32_t first, uint32_t n)
{
	uint32_t w0 = first * MKRT_SLOT_WORDS;
	int err = mkrt__copy_clear_withdrawals(c, first, n);


	err = err ? err : mkrt__copy_write(c, MKRT__CB_RING, w0 + 1, n * MKRT_SLOT_WORDS - 1, c->stage + w0 + 1,
					   false);

	err = err ? err : mkrt__copy_write_statuses(c, first, n);
	if (!err)
		clFlush(c->hq);
	return err;
}

static int mkrt__copy_publish(void *state, uint32_t slot, const struct mkrt_slot *req, uint32_t nargs)
{
	struct mkrt__copy *c = state;

	pthread_mutex_lock(&c->view_lock);
	int err = mkrt__copy_view(c, slot * MKRT_SLOT_WORDS, MKRT_SLOT_WORDS);
	err = err ? err : mkrt__copy_stage(c, slot, req, nargs);
	err = err ? err : mkrt__copy_send(c, slot, 1);
	pthread_mutex_unlock(&c->view_lock);
	if (!err)
		mkrt__resident_ring_bell(&c->r);
	return err;
}

static int mkrt__copy_publish_many(void *state, const uint32_t *slots, const struct mkrt_slot *reqs,
				   uint32_t n)
{
	struct mkrt__copy *c = state;
	uint32_t staged = 0, run = 0;
	int err = 0;

	pthread_mutex_lock(&c->view_lock);
	for (; staged < n && !err; staged++) {
		err = mkrt__copy_view(c, slots[staged] * MKRT_SLOT_WORDS, MKRT_SLOT_WORDS);
		err = err ? err : mkrt__copy_stage(c, slots[staged], &reqs[staged], MKRT_SLOT_ARGS);
	}
	if (err)
		staged--; /* the one that failed is not staged */
	/* one payload and one status transfer per run of consecutive slots */
	for (uint32_t i = 1; i <= staged; i++) {
		if (i < staged && slots[i] == slots[i - 1] + 1)
			continue;
		int e = mkrt__copy_send(c, slots[run], i - run);
		if (e) {
			err = e;
			staged = run;
			break;
		}
		run = i;
	}
	pthread_mutex_unlock(&c->view_lock);
	if (staged)
		mkrt__resident_ring_bell(&c->r);
	return staged ? (int)staged : err;
}

static int mkrt__copy_reset_slot(void *state, uint32_t slot)
{
	struct mkrt__copy *c = state;
	static const uint32_t empty = MKRT_STATUS_EMPTY;

	pthread_mutex_lock(&c->view_lock);
	uint32_t *vw = c->view + (size_t)slot * MKRT_SLOT_WORDS;
	int err = mkrt__copy_view(c, slot * MKRT_SLOT_WORDS, MKRT_SLOT_WORDS);
	if (!err && vw[MKRT_SLOT_STATUS] != MKRT_STATUS_DONE && vw[MKRT_SLOT_STATUS] != MKRT_STATUS_FAULT)
		err = MKRT_ESTATE;
	err = err ? err : mkrt__copy_write(c, MKRT__CB_RING, slot * MKRT_SLOT_WORDS, 1, &empty, true);
	if (!err)
		vw[MKRT_SLOT_STATUS] = MKRT_STATUS_EMPTY;
	pthread_mutex_unlock(&c->view_lock);
	return err;
}

/*
 * Withdraw a PUBLISHED slot. Only a lane can CAS it, so the host sets the
 * slot's withdrawal word and the first lane that finds the slot PUBLISHED
 * with it set moves it to EMPTY (cl/megakernel.cl, mkrt_withdrawn). The
 * host then reads the slot back until a lane has decided: EMPTY is 0,
 * anything but PUBLISHED is ESTATE (a lane claimed it first). A lane that
 * does not look within two epochs and a second (starved, or busy in a long
 * opcode) leaves the request posted: EINPROGRESS, and the slot ends EMPTY
 * or finished later, once, as mkrt_wait() reports.
 */
static int mkrt__copy_cancel_slot(void *state, uint32_t slot)
{
	struct mkrt__copy *c = state;
	struct mkrt__backoff backoff = { 0 };
	uint64_t deadline = mkrt__now_ns() + ((uint64_t)c->r.epoch_ms * 2u + 1000u) * 1000000u;
	uint32_t st = MKRT_STATUS_PUBLISHED;
	int err = 0;

	pthread_mutex_lock(&c->view_lock);
	if (!c->withdraw_set[slot])
		err = mkrt__copy_set_withdrawal(c, slot, true);
	pthread_mutex_unlock(&c->view_lock);
	if (!err)
		mkrt__resident_ring_bell(&c->r); /* only a lane can withdraw it */
	while (!err) {
		pthread_mutex_lock(&c->view_lock);
		err = mkrt__copy_view(c, slot * MKRT_SLOT_WORDS, MKRT_SLOT_WORDS);
		st = c->view[(size_t)slot * MKRT_SLOT_WORDS + MKRT_SLOT_STATUS];
		pthread_mutex_unlock(&c->view_lock);
		if (err || st != MKRT_STATUS_PUBLISHED)
			break;
		if (mkrt__copy_executors_live(c) == 0)
			return MKRT_ESHUTDOWN;
		if (mkrt__now_ns() >= deadline)
			return MKRT_EINPROGRESS;
		mkrt__backoff_pause(&backoff);
	}
	if (err)
		return err;
	return st == MKRT_STATUS_EMPTY ? 0 : MKRT_ESTATE;
}

/* ---- regions -------------------------------------------------------------------------------- */

static uint32_t mkrt__copy_region_words(void *state, enum mkrt__region r)
{
	return r < MKRT__REGION_COUNT ? ((struct mkrt__copy *)state)->words[r] : 0;
}

static int mkrt__copy_read_region(void *state, enum mkrt__region r, uint32_t first, uint32_t n,
				  uint32_t *out)
{
	struct mkrt__copy *c = state;
	int err;

	if (r != MKRT__REGION_RING) {
		pthread_mutex_lock(&c->xfer_lock);
		err = n ? mkrt__copy_read(c, (int)r, first, n, c->scratch) : 0;
		if (!err)
			memcpy(out, c->scratch, (size_t)n * 4u);
		pthread_mutex_unlock(&c->xfer_lock);
		return err;
	}
	pthread_mutex_lock(&c->view_lock);
	err = n ? mkrt__copy_view(c, first, n) : 0;
	if (!err)
		memcpy(out, c->view + first, (size_t)n * 4u);
	pthread_mutex_unlock(&c->view_lock);
	return err;
}

static int mkrt__copy_write_region(void *state, enum mkrt__region r, uint32_t first, uint32_t n,
				   const uint32_t *in)
{
	struct mkrt__copy *c = state;
	int err;

	if (!n)
		return 0;
	if (r != MKRT__REGION_RING) {
		pthread_mutex_lock(&c->xfer_lock);
		memcpy(c->scratch, in, (size_t)n * 4u);
		err = mkrt__copy_write(c, (int)r, first, n, c->scratch, true);
		pthread_mutex_unlock(&c->xfer_lock);
	} else {
		/* through the stage, which holds no pending write of a settled
		 * slot; replay writes whole rings before anything runs */
		pthread_mutex_lock(&c->view_lock);
		memcpy(c->stage + first, in, (size_t)n * 4u);
		err = mkrt__copy_write(c, MKRT__CB_RING, first, n, c->stage + first, true);
		if (!err)
			memcpy(c->view + first, in, (size_t)n * 4u);
		pthread_mutex_unlock(&c->view_lock);
	}
	/* a write may publish slots (replay) or authorize a tenant: wake a
	 * parked kernel */
	if (!err)
		mkrt__resident_ring_bell(&c->r);
	return err;
}

/* ---- the IO servicer ------------------------------------------------------------------------- */

/* Complete IO slot @q: @frame filled (res >= 0, the byte count) or an error
 * code (-res). Every write is ordered after the ones before it; the last
 * one blocks, so the stage buffers are free again when this returns. */
static int mkrt__copy_complete(struct mkrt__copy *c, uint32_t q, uint32_t rid, uint32_t frame,
			       bool prefetch, int64_t res)
{
	uint32_t *io = c->io_view + q * MKRT_IO_WORDS, fw = frame * MKRT_FRAME_WORDS;
	int err = 0;

	if (res >= 0) {
		uint32_t n = (uint32_t)res;
		memset(c->frame_stage + n, 0, (size_t)((4 - n % 4) % 4)); /* the checksum pads with zeros */
		uint32_t meta[] = { [MKRT_FRAME_RESOURCE] = rid + 1, [MKRT_FRAME_BYTES] = n,
				    [MKRT_FRAME_PIN] = MKRT_FRAME_EVICTING, [MKRT_FRAME_REF] = 1 };
		memcpy(c->meta_stage, meta, sizeof(meta));
		c->pin_stage = prefetch ? 0 : 1; /* a waiting lane gets it pinned */
		c->res_stage = frame + 1;
		err = err ? err : mkrt__copy_write(c, MKRT__CB_ARENA, frame * (c->frame_bytes / 4u),
						   (n + 3u) / 4u, c->frame_stage, false);
		err = err ? err : mkrt__copy_write(c, MKRT__CB_FRAMES, fw, MKRT_FRAME_SUMMED + 1,
						   c->meta_stage, false);
		err = err ? err : mkrt__copy_write(c, MKRT__CB_FRAMES, fw + MKRT_FRAME_PIN, 1, &c->pin_stage,
						   false);
		err = err ? err : mkrt__copy_write(c, MKRT__CB_RESIDENCY, rid, 1, &c->res_stage, false);
	} else {
		mkrt__add64_relaxed(&c->errors, 1);
		c->pin_stage = 0; /* the frame the lane picked is empty and free again */
		if (frame < c->words[MKRT__CB_FRAMES] / MKRT_FRAME_WORDS)
			err = mkrt__copy_write(c, MKRT__CB_FRAMES, fw + MKRT_FRAME_PIN, 1, &c->pin_stage, false);
	}
	mkrt__add64_relaxed(&c->requests, 1);
	memcpy(c->io_stage, io, sizeof(c->io_stage));
	c->io_stage[MKRT_IO_DST] = res >= 0 ? frame : (uint32_t)-res;
	c->io_stage[MKRT_IO_BYTES] = res >= 0 ? (uint32_t)res : 0;
	c->io_stage[MKRT_IO_STATUS] = prefetch ? MKRT_IO_EMPTY : res >= 0 ? MKRT_IO_OK : MKRT_IO_ERROR;
	uint32_t base = q * MKRT_IO_WORDS;
	err = err ? err : mkrt__copy_write(c, MKRT__CB_IO, base + MKRT_IO_DST,
					   MKRT_IO_BYTES - MKRT_IO_DST + 1, c->io_stage + MKRT_IO_DST, false);
	/* last: the lane acquires STATUS, then reads DST and BYTES */
	err = err ? err : mkrt__copy_write(c, MKRT__CB_IO, base + MKRT_IO_STATUS, 1,
					   c->io_stage + MKRT_IO_STATUS, true);
	return err;
}

static uint32_t mkrt__copy_serve_pass(struct mkrt__copy *c, bool wait)
{
	uint32_t served = 0, frames = c->words[MKRT__CB_FRAMES] / MKRT_FRAME_WORDS;

	if (wait ? pthread_mutex_lock(&c->serve_lock) : pthread_mutex_trylock(&c->serve_lock))
		return 0;
	/* no pass starts once a stop is asked */
	if (mkrt__poller_stopping(&c->servicer) ||
	    mkrt__copy_read(c, MKRT__CB_IO, 0, c->words[MKRT__CB_IO], c->io_view)) {
		pthread_mutex_unlock(&c->serve_lock);
		return 0;
	}
	for (uint32_t q = 0; q < MKRT_IO_SLOTS; q++) {
		const uint32_t *io = c->io_view + q * MKRT_IO_WORDS;
		/* only this servicer moves a PUBLISHED request on, and it reads
		 * the queue back only after its last completion landed */
		if (io[MKRT_IO_STATUS] != MKRT_IO_PUBLISHED)
			continue;
		uint32_t rid = io[MKRT_IO_SRC], frame = io[MKRT_IO_DST];
		bool prefetch = io[MKRT_IO_TAG] & MKRT_IO_TAG_PREFETCH;
		int64_t res;
		if (io[MKRT_IO_OP] != MKRT_IO_OP_READ || frame >= frames)
			res = -(int64_t)MKRT_IOERR_READ;
		else if (rid >= c->words[MKRT__CB_RESIDENCY])
			res = -(int64_t)MKRT_IOERR_RANGE;
		else if ((res = c->resolver.resolve(c->resolver.self, rid, c->frame_stage, c->frame_bytes)) >
			 c->frame_bytes)
			res = -(int64_t)MKRT_IOERR_TOO_BIG;
		if (mkrt__copy_complete(c, q, rid, frame, prefetch, res))
			break; /* the device failed: the watcher reports it */
		served++;
	}
	pthread_mutex_unlock(&c->serve_lock);
	return served;
}

/* A waiter's pass: only while the ring, as last read back, has a slot a
 * lane holds (a load miss waits in CLAIMED). Otherwise the IO queue read
 * would double the transfers of every look at a round trip with no IO in
 * it; the servicer thread still watches for prefetches. */
static uint32_t mkrt__copy_serve_io(void *state)
{
	struct mkrt__copy *c = state;

	if (!c->has_io || !mkrt__load_relaxed(&c->claimed))
		return 0;
	return mkrt__copy_serve_pass(c, false);
}

static uint32_t mkrt__copy_servicer_pass(void *arg)
{
	return mkrt__copy_serve_pass(arg, true);
}


/* ---- the resident layer's hooks: transfers on the host queue ---------------------------------- */

static int mkrt__copy_set_yield(void *owner, uint32_t value)
{
	static const uint32_t yield[2] = { 0, 1 }; /* static: a transfer may land after a timeout */

	return mkrt__copy_write(owner, MKRT__CB_CONTROL, MKRT_CTL_YIELD, 1, &yield[value != 0], true);
}

static bool mkrt__copy_shutdown_set(void *owner)
{
	struct mkrt__copy *c = owner;

	/* a SHUTDOWN slot sets it on the device; a device we cannot read is done */
	return mkrt__copy_read(c, MKRT__CB_CONTROL, MKRT_CTL_SHUTDOWN, 1, &c->watch_word) || c->watch_word;
}

static void mkrt__copy_ask_shutdown(void *owner)
{
	static const uint32_t one = 1;
	struct mkrt__copy *c = owner;

	/* lanes read SHUTDOWN between slots and return; not a blocking write: a
	 * wedged device must not wedge stop() too */
	if (!mkrt__copy_write(c, MKRT__CB_CONTROL, MKRT_CTL_SHUTDOWN, 1, &one, false))
		clFlush(c->hq);
}

static uint64_t mkrt__copy_progress(void *owner)
{
	struct mkrt__copy *c = owner;

	/* a device we cannot read shows no progress: the yield that follows
	 * fails too, and the watcher ends */
	if (mkrt__copy_read(c, MKRT__CB_CONTROL, MKRT_CTL_DONE_COUNT, 1, &c->watch_done))
		return 0;
	return c->watch_done;
}

/*
 * Is there a PUBLISHED slot a lane would take, or must withdraw (copy's
 * cancel needs a lane)? The ring is read back under
 * view_lock, on the host queue, after every publish enqueued before it; a
 * publish enqueued after it looks at PARKED afterwards (the view_lock
 * orders the two), so the park handshake holds for transfers as it does
 * for stores: either the read back shows the slot or the publisher rings.
 */
static bool mkrt__copy_work_waiting(void *owner)
{
	struct mkrt__copy *c = owner;
	bool waiting = false;

	pthread_mutex_lock(&c->view_lock);
	int err = mkrt__copy_read(c, MKRT__CB_CONTROL, 0, MKRT_CTL_TENANT_LAST + 1, c->watch_ctl);
	err = err ? err : mkrt__copy_refresh(c);
	for (uint32_t s = 0; !err && !waiting && s < c->slots; s++) {
		const uint32_t *w = c->view + (size_t)s * MKRT_SLOT_WORDS;
		/* a lane takes it, or must withdraw it (denied or not) */
		waiting = w[MKRT_SLOT_STATUS] == MKRT_STATUS_PUBLISHED &&
			  (c->withdraw_set[s] || mkrt__tenant_authorized(c->watch_ctl, w[MKRT_SLOT_TENANT]));
	}
	pthread_mutex_unlock(&c->view_lock);
	return waiting || err; /* never park on a device we cannot read */
}

static const struct mkrt__resident_hooks mkrt__copy_hooks = {
	.set_yield = mkrt__copy_set_yield,
	.shutdown_set = mkrt__copy_shutdown_set,
	.ask_shutdown = mkrt__copy_ask_shutdown,
	.progress = mkrt__copy_progress,
	.work_waiting = mkrt__copy_work_waiting,
};

/* ---- open, start, stop ------------------------------------------------------------------------- */

/* The copy verdict of one device (copy_probe.c), as a device-pick score. */
static int mkrt__copy_score(const struct mkrt__device *dev, void *verdict, char *why, size_t len)
{
	struct mkrt__verdict v;

	(void)verdict;
	mkrt__copy_verdict(dev, &v);
	if (!v.score)
		snprintf(why, len, "%s", v.reason);
	return v.score;
}

static int mkrt__copy_pick(const struct mkrt_config *cfg, struct mkrt__device *dev, char *why, size_t len)
{
	char none;

	return mkrt__device_pick(cfg, mkrt__copy_score, &none, 0, dev, why, len);
}

static int mkrt__copy_probe(const struct mkrt_config *cfg, char *reason, size_t len)
{
	struct mkrt__device dev;
	char why[1024];
	int score = mkrt__copy_pick(cfg, &dev, why, sizeof(why));

	if (!score && len)
		snprintf(reason, len, "%s", why);
	return score;
}

/*
 * Host memory for the ring's transfers (view, stage, PUBLISHED words, status
 * read back), zeroed: pinned where the driver offers it, a mapped
 * CL_MEM_ALLOC_HOST_PTR buffer, so they are DMA transfers. From pageable
 * memory the NVIDIA driver stages every copy: on the H100 a look at a
 * 256-slot ring took 54-59 us that way. NULL: use ordinary memory.
 */
static uint32_t *mkrt__copy_pin(struct mkrt__copy *c, size_t bytes)
{
	cl_int rc;

	c->pinned = clCreateBuffer(c->r.ctx, CL_MEM_READ_WRITE | CL_MEM_ALLOC_HOST_PTR, bytes, NULL, &rc);
	if (!c->pinned)
		return NULL;
	c->pinned_host = clEnqueueMapBuffer(c->hq, c->pinned, CL_TRUE, CL_MAP_READ | CL_MAP_WRITE, 0, bytes, 0,
					    NULL, NULL, &rc);
	if (!c->pinned_host) {
		clReleaseMemObject(c->pinned);
		c->pinned = NULL;
		return NULL;
	}
	memset(c->pinned_host, 0, bytes);
	return c->pinned_host;
}

static int mkrt__copy_buffers(struct mkrt__copy *c, const struct mkrt_config *cfg)
{
	const struct mkrt_io_config *io = cfg->io;
	uint32_t frames = io ? (io->frames ? io->frames : MKRT_DEFAULT_FRAMES) : 0;

	c->frame_bytes = io ? (io->frame_bytes ? io->frame_bytes : MKRT_DEFAULT_FRAME_BYTES) : 0;
	c->words[MKRT__CB_RING] = cfg->slots * MKRT_SLOT_WORDS;
	c->words[MKRT__CB_CONTROL] = MKRT_CTL_OBS + cfg->observable;
	c->words[MKRT__CB_DEBUG] = MKRT_LOG_FIRST + cfg->debug_records * MKRT_LOG_RECORD_WORDS;
	c->words[MKRT__CB_IO] = MKRT_IO_SLOTS * MKRT_IO_WORDS;
	c->words[MKRT__CB_DFA] = cfg->dfa_words;
	c->words[MKRT__CB_RESIDENCY] = io ? io->resources : 0;
	c->words[MKRT__CB_FRAMES] = frames * MKRT_FRAME_WORDS;
	c->words[MKRT__CB_ARENA] = frames * (c->frame_bytes / 4u);
	c->words[MKRT__CB_WITHDRAW] = cfg->slots + 1u;

	for (int b = 0; b < MKRT__CB_COUNT; b++) {
		/* never a zero-sized buffer: an unused one is one word */
		size_t words = c->words[b] ? c->words[b] : 1u;
		size_t bytes = words * sizeof(uint32_t);
		uint32_t *init = calloc(words, sizeof(uint32_t));
		cl_int rc;
		if (!init)
			return MKRT_ENOMEM;
		int err = 0;
		if (b == MKRT__CB_CONTROL)
			err = mkrt_encode_control_into(cfg->control, (uint8_t *)init, bytes);
		else if (b == MKRT__CB_DFA && cfg->dfa_words)
			memcpy(init, cfg->dfa, (size_t)cfg->dfa_words * sizeof(uint32_t));
		if (!err) {
			c->buf[b] = clCreateBuffer(c->r.ctx, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, bytes, init,
						   &rc);
			if (!c->buf[b])
				err = mkrt__cl_fail("clCreateBuffer(copy)", rc);
		}
		free(init);
		if (err)
			return err;
	}
	size_t ring = c->words[MKRT__CB_RING];
	uint32_t *host = mkrt__copy_pin(c, 4u * ring * sizeof(uint32_t));
	if (host) {
		c->view = host;
		c->stage = host + ring;
		c->pub = host + 2u * ring;
		c->status_view = host + 3u * ring;
	} else {
		c->view = calloc(ring, sizeof(uint32_t));
		c->stage = calloc(ring, sizeof(uint32_t));
		c->pub = calloc(ring, sizeof(uint32_t));
		c->status_view = calloc(ring, sizeof(uint32_t));
	}
	uint32_t most = 1;
	for (int b = MKRT__CB_CONTROL; b <= MKRT__CB_DFA; b++)
		most = c->words[b] > most ? c->words[b] : most;
	c->scratch = calloc(most, sizeof(uint32_t));
	c->withdraw_set = calloc(cfg->slots, sizeof(bool));
	if (!c->view || !c->stage || !c->pub || !c->status_view || !c->scratch ||
	    !c->withdraw_set)
		return MKRT_ENOMEM;
	for (uint32_t s = 0; s < cfg->slots; s++)
		c->pub[s * MKRT_SLOT_WORDS] = MKRT_STATUS_PUBLISHED;
	if (io) {
		c->io_view = calloc(c->words[MKRT__CB_IO], sizeof(uint32_t));
		c->frame_stage = malloc((size_t)c->frame_bytes + 4u);
		if (!c->io_view || !c->frame_stage)
			return MKRT_ENOMEM;
	}
	return 0;
}

static int mkrt__copy_args(struct mkrt__copy *c, const struct mkrt_config *cfg)
{
	static const enum mkrt__karg buffer_arg[MKRT__CB_COUNT] = {
		[MKRT__CB_RING] = MKRT__KARG_RING,         [MKRT__CB_CONTROL] = MKRT__KARG_CONTROL,
		[MKRT__CB_DEBUG] = MKRT__KARG_DEBUG,       [MKRT__CB_IO] = MKRT__KARG_IO,
		[MKRT__CB_DFA] = MKRT__KARG_DFA,           [MKRT__CB_RESIDENCY] = MKRT__KARG_RESIDENCY,
		[MKRT__CB_FRAMES] = MKRT__KARG_FRAMES,     [MKRT__CB_ARENA] = MKRT__KARG_ARENA,
		[MKRT__CB_WITHDRAW] = MKRT__KARG_WITHDRAW,
	};
	struct mkrt__kargs a = { .svm = false, .nargs = MKRT__KARG_COUNT };

	for (int b = 0; b < MKRT__CB_COUNT; b++)
		a.mem[buffer_arg[b]] = c->buf[b];
	a.count[MKRT__KARG_SLOTS] = cfg->slots;
	a.count[MKRT__KARG_CONTROL_WORDS] = c->words[MKRT__CB_CONTROL];
	a.count[MKRT__KARG_DEBUG_WORDS] = c->words[MKRT__CB_DEBUG];
	a.count[MKRT__KARG_DFA_WORDS] = c->words[MKRT__CB_DFA];
	a.count[MKRT__KARG_EPOCH_SLOTS] = cfg->epoch_slots;
	a.count[MKRT__KARG_RESOURCES] = c->words[MKRT__CB_RESIDENCY];
	a.count[MKRT__KARG_FRAME_COUNT] = c->words[MKRT__CB_FRAMES] / MKRT_FRAME_WORDS;
	a.count[MKRT__KARG_FRAME_WORDS] = c->frame_bytes / 4u;
	return mkrt__resident_set_args(&c->r, &a);
}

/* Forward-progress-safe geometry (DESIGN §4): work-groups of one lane, so no
 * lane ever waits on a sibling. On CPUs at least one compute unit is never
 * a lane's: PoCL runs the host's transfers on the same workers, and with
 * every worker spinning in a lane no transfer would ever run. GPUs get a
 * few lanes, since every lane scans every slot. */
static void mkrt__copy_geometry(struct mkrt__resident *r, uint32_t lanes)
{
	const struct mkrt_device_info *info = &r->dev.info;
	uint32_t cu = info->compute_units ? info->compute_units : 1;

	r->local = 1;
	if (info->gpu)
		r->global = lanes ? lanes : MKRT__COPY_GPU_LANES;
	else if (lanes)
		r->global = lanes < cu - 1 ? lanes : cu - 1;
	else
		r->global = cu > 3 ? 2 : 1;
}

static void mkrt__copy_free(struct mkrt__copy *c)
{
	if (c->resolver_ready)
		mkrt__resolver_fini(&c->resolver);
	if (c->pinned_host) {
		clEnqueueUnmapMemObject(c->hq, c->pinned, c->pinned_host, 0, NULL, NULL);
		clFinish(c->hq);
	} else {
		free(c->view);
		free(c->stage);
		free(c->pub);
		free(c->status_view);
	}
	if (c->pinned)
		clReleaseMemObject(c->pinned);
	for (int b = 0; b < MKRT__CB_COUNT; b++)
		if (c->buf[b])
			clReleaseMemObject(c->buf[b]);
	if (c->hq)
		clReleaseCommandQueue(c->hq);
	mkrt__resident_fini(&c->r);
	free(c->scratch);
	free(c->withdraw_set);
	free(c->io_view);
	free(c->frame_stage);
	pthread_mutex_destroy(&c->view_lock);
	pthread_mutex_destroy(&c->xfer_lock);
	pthread_mutex_destroy(&c->serve_lock);
	free(c);
}

static int mkrt__copy_open(const struct mkrt_config *cfg, void **state)
{
	struct mkrt__copy *c = calloc(1, sizeof(*c));
	struct mkrt__device dev;
	char why[1024];
	cl_int rc;
	int err;

	if (!c)
		return MKRT_ENOMEM;
	pthread_mutex_init(&c->view_lock, NULL);
	pthread_mutex_init(&c->xfer_lock, NULL);
	pthread_mutex_init(&c->serve_lock, NULL);
	if (!mkrt__copy_pick(cfg, &dev, why, sizeof(why))) {
		mkrt__detail("copy backend unavailable: %s", why);
		err = MKRT_EUNAVAILABLE;
		goto out_free;
	}
	c->slots = cfg->slots;
	c->fill_words = dev.info.cpu;
	err = mkrt__resident_init(&c->r, "copy", &dev, cfg, "-cl-std=CL1.2", &mkrt__copy_hooks, c);
	if (err)
		goto out_free;
	c->hq = clCreateCommandQueueWithProperties(c->r.ctx, dev.id, NULL, &rc);
	if (!c->hq) {
		err = mkrt__cl_fail("clCreateCommandQueueWithProperties(host transfers)", rc);
		goto out_free;
	}
	err = mkrt__copy_buffers(c, cfg);
	if (err)
		goto out_free;
	err = mkrt__copy_args(c, cfg);
	if (err)
		goto out_free;
	if (cfg->io) {
		c->has_io = true;
		err = mkrt__resolver_init(cfg->io, &c->resolver);
		c->resolver_ready = !err;
		if (err)
			goto out_free;
	}
	mkrt__copy_geometry(&c->r, cfg->lanes);
	*state = c;
	return 0;

out_free:
	mkrt__copy_free(c);
	return err;
}

static int mkrt__copy_start(void *state)
{
	struct mkrt__copy *c = state;

	if (c->has_io) {
		int err = mkrt__poller_start(&c->servicer, mkrt__copy_servicer_pass, c);
		if (err)
			return err;
	}
	return mkrt__resident_start(&c->r);
}

static int mkrt__copy_stop(void *state, uint32_t timeout_ms)
{
	struct mkrt__copy *c = state;
	int err = mkrt__resident_stop(&c->r, timeout_ms);

	if (!err)
		mkrt__poller_stop(&c->servicer); /* the kernel is gone: nothing waits on IO */
	return err;
}

static void mkrt__copy_close(void *state)
{
	struct mkrt__copy *c = state;

	/* acquire: pairs with the release of a transfer that timed out */
	if (c->r.stuck || c->r.watcher_joinable || mkrt__load_acquire(&c->wedged))
		return; /* a kernel or a transfer may still use the memory: leak, do not corrupt */
	mkrt__poller_stop(&c->servicer);
	mkrt__copy_free(c);
}

static int mkrt__copy_executors_live(void *state)
{
	return mkrt__resident_live(&((struct mkrt__copy *)state)->r);
}

static const char *mkrt__copy_device_name(void *state)
{
	return ((struct mkrt__copy *)state)->r.dev.info.name;
}

static void mkrt__copy_stats(void *state, struct mkrt_stats *out)
{
	struct mkrt__copy *c = state;
	uint32_t evictions = 0;

	memset(out, 0, sizeof(*out));
	mkrt__resident_stats(&c->r, out);
	out->io_requests = mkrt__load64_relaxed(&c->requests);
	out->io_errors = mkrt__load64_relaxed(&c->errors);
	if (c->has_io && mkrt__copy_read_region(c, MKRT__REGION_CONTROL, MKRT_CTL_EVICTIONS, 1, &evictions) == 0)
		out->evictions = evictions;
}

const struct mkrt__backend_ops mkrt__backend_copy = {
	.name = "copy",
	.summary = "megakernel resident on an OpenCL device, ring in device memory, host transfers "
		   "on a second queue",
	.probe = mkrt__copy_probe,
	.open = mkrt__copy_open,
	.start = mkrt__copy_start,
	.stop = mkrt__copy_stop,
	.close = mkrt__copy_close,
	.executors_live = mkrt__copy_executors_live,
	.serve_io = mkrt__copy_serve_io,
	.stats = mkrt__copy_stats,
	.device_name = mkrt__copy_device_name,
	.publish = mkrt__copy_publish,
	.publish_many = mkrt__copy_publish_many,
	.read_slot = mkrt__copy_read_slot,
	.reset_slot = mkrt__copy_reset_slot,
	.cancel_slot = mkrt__copy_cancel_slot,
	.region_words = mkrt__copy_region_words,
	.read_region = mkrt__copy_read_region,
	.write_region = mkrt__copy_write_region,
};
