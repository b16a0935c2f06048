/* SPDX-License-Identifier: MIT */
/*
 * copy.c - the "copy" backend: the megakernel resident on a device
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
 * The resident layer (resident.c) launches, yields, relaunches and parks
 * the kernel; its hooks here reach the control words and the ring through
 * transfers. The code is split by concept: copy_transfer.c, copy_ring.c,
 * copy_io.c (copy.h).
 */
#include "copy.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

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

static int mkrt__copy_probe_device(const struct mkrt_config *cfg, uint32_t device, char *mode,
				   size_t mode_len, char *reason, size_t reason_len)
{
	(void)cfg;
	return mkrt_device_probe_copy(device, reason, reason_len, mode, mode_len);
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
	c->words[MKRT__CB_WITHDRAW] = MKRT_WITHDRAW_WORDS(cfg->slots);

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
	static const uint32_t buffer_arg[MKRT__CB_COUNT] = {
		[MKRT__CB_RING] = MKRT_KARG_RING,         [MKRT__CB_CONTROL] = MKRT_KARG_CONTROL,
		[MKRT__CB_DEBUG] = MKRT_KARG_DEBUG,       [MKRT__CB_IO] = MKRT_KARG_IO,
		[MKRT__CB_DFA] = MKRT_KARG_DFA,           [MKRT__CB_RESIDENCY] = MKRT_KARG_RESIDENCY,
		[MKRT__CB_FRAMES] = MKRT_KARG_FRAMES,     [MKRT__CB_ARENA] = MKRT_KARG_ARENA,
		[MKRT__CB_WITHDRAW] = MKRT_KARG_WITHDRAW,
	};
	struct mkrt__kargs a = { .svm = NULL, .nargs = MKRT_KARG_COUNT };

	for (int b = 0; b < MKRT__CB_COUNT; b++)
		a.mem[buffer_arg[b]] = c->buf[b];
	a.count[MKRT_KARG_SLOTS] = cfg->slots;
	a.count[MKRT_KARG_CONTROL_WORDS] = c->words[MKRT__CB_CONTROL];
	a.count[MKRT_KARG_DEBUG_WORDS] = c->words[MKRT__CB_DEBUG];
	a.count[MKRT_KARG_DFA_WORDS] = c->words[MKRT__CB_DFA];
	a.count[MKRT_KARG_EPOCH_SLOTS] = cfg->epoch_slots;
	a.count[MKRT_KARG_RESOURCES] = c->words[MKRT__CB_RESIDENCY];
	a.count[MKRT_KARG_FRAME_COUNT] = c->words[MKRT__CB_FRAMES] / MKRT_FRAME_WORDS;
	a.count[MKRT_KARG_FRAME_WORDS] = c->frame_bytes / 4u;
	return mkrt__resident_set_args(&c->r, &a);
}

/* Forward-progress-safe geometry (DESIGN §4): work-groups of one lane, so no
 * lane ever waits on a sibling. On CPUs at least one compute unit is never
 * a lane's: PoCL runs the host's transfers on the same workers, and with
 * every worker spinning in a lane no transfer would ever run. GPUs get a
 * few lanes: each one polls the device's status words. */
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
	mkrt__servicer_free(c->servicer);
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
	free(c);
}

static int mkrt__copy_open(const struct mkrt_config *cfg, void **state)
{
	struct mkrt__copy *c = calloc(1, sizeof(*c));
	struct mkrt__device dev;
	struct mkrt__verdict v;
	char why[1024];
	cl_int rc;
	int err;

	if (!c)
		return MKRT_ENOMEM;
	pthread_mutex_init(&c->view_lock, NULL);
	pthread_mutex_init(&c->xfer_lock, NULL);
	if (!mkrt__device_chosen(cfg, mkrt__copy_verdict, &dev, &v, why, sizeof(why))) {
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
		err = mkrt__servicer_new(cfg->io, &mkrt__copy_io_port, c, &c->servicer);
		if (err)
			goto out_free;
		c->r.io = c->servicer;
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
	return mkrt__resident_start(&((struct mkrt__copy *)state)->r);
}

static int mkrt__copy_stop(void *state, uint32_t timeout_ms)
{
	return mkrt__resident_stop(&((struct mkrt__copy *)state)->r, timeout_ms);
}

static void mkrt__copy_close(void *state)
{
	struct mkrt__copy *c = state;

	/* acquire: pairs with the release of a transfer that timed out */
	if (c->r.stuck || c->r.watcher_joinable || mkrt__load_acquire(&c->wedged))
		return; /* a kernel or a transfer may still use the memory: leak, do not corrupt */
	mkrt__servicer_stop(c->servicer);
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
	mkrt__servicer_stats(c->servicer, out);
	if (c->servicer && mkrt__copy_read_region(c, MKRT__REGION_CONTROL, MKRT_CTL_EVICTIONS, 1, &evictions) == 0)
		out->evictions = evictions;
}

const struct mkrt__backend_ops mkrt__backend_copy = {
	.name = "copy",
	.summary = "megakernel resident on an OpenCL device, ring in device memory, host transfers "
		   "on a second queue",
	.probe_device = mkrt__copy_probe_device,
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
