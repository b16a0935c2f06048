/* SPDX-License-Identifier: MIT */
/*
 * svm.c - the "svm" backend: the megakernel resident on an OpenCL
 * device, ring and control in fine-grained SVM.
 *
 * The device is the best one whose handshake probe passed (svm_probe.c), or
 * the one MKRT_DEVICE names. The resident layer (resident.c) launches,
 * yields, relaunches and parks the megakernel; its hooks here are plain
 * loads and stores, since the host touches the SVM words exactly like the
 * host backend's memory (words.c).
 *
 * The memory is the mode the probe accepted (cl.h). Without SVM atomics
 * (AMD's "fine", Intel's "usm-host") a host read-modify-write and a lane's
 * are not atomic with each other, so the host never read-modify-writes a
 * word the lanes do (DESIGN §3), as over cuda's bus: the kernel is built
 * with -DMKRT_HOST_NO_RMW, a slot is withdrawn through withdrawal words
 * (withdraw.h), reset with a store, the lanes pick load-miss frames (the
 * lanes' port, io/frames.c), and no host thread runs slots (no assist).
 *
 * MKRT_SVM_LANES=bus gives the lanes the protocol cuda's keep over its bus
 * (cl/mkrt_atomics.h, MKRT_BUS_LANES): claims in a table of their own, a
 * doorbell the host rings on every publish, one batched look a slot, and
 * no host RMW of a word the lanes share, in any mode. For a GPU whose SVM
 * lies across a bus, and so that the protocol is tested on any device.
 */
#include "words.h"
#include "withdraw.h"

#include <stdio.h>
#include <stdlib.h>

#define MKRT__GPU_GROUP 64u
#define MKRT__CPU_LANES 4u  /* the most lanes the default gives a CPU */

struct mkrt__svm {
	struct mkrt__words w;        /* first: the shared word hooks take the state */
	struct mkrt__resident r;
	struct mkrt__svm_mem mem;
	bool host_rmw;               /* the mode lets the host CAS what lanes do (and
	                                the lanes are not the bus's) */
	bool bus;                    /* MKRT_SVM_LANES=bus */
	struct mkrt__withdrawals wd; /* !host_rmw: cancel; the bus's doorbell */
	uint32_t *claims;            /* the bus's claim table */
};

/* ---- device choice ---------------------------------------------------------- */

static int mkrt__svm_probe_device(const struct mkrt_config *cfg, uint32_t device, char *mode,
				  size_t mode_len, char *reason, size_t reason_len)
{
	(void)cfg;
	return mkrt_device_probe_svm(device, reason, reason_len, mode, mode_len);
}

/* ---- buffers ------------------------------------------------------------------- */

static uint32_t *mkrt__svm_alloc(void *ctx, size_t words)
{
	struct mkrt__svm *s = ctx;
	size_t bytes = (words * sizeof(uint32_t) + MKRT_SLOT_BYTES - 1) / MKRT_SLOT_BYTES * MKRT_SLOT_BYTES;
	uint32_t *p = mkrt__svm_mem_alloc(&s->mem, bytes, MKRT_SLOT_BYTES);

	if (!p) {
		mkrt__detail("%s(%zu B, align %u, %s) returned NULL on %s", mkrt__svm_mem_call(&s->mem), bytes,
			     MKRT_SLOT_BYTES, mkrt__svm_mode_name(s->mem.mode), s->r.dev.info.name);
		return NULL;
	}
	memset(p, 0, bytes); /* no kernel runs yet: plain stores are fine */
	return p;
}

static void mkrt__svm_release(void *ctx, uint32_t *p)
{
	mkrt__svm_mem_free(&((struct mkrt__svm *)ctx)->mem, p);
}

/* ---- geometry and arguments ----------------------------------------------------------- */

/* Forward-progress-safe geometry (DESIGN §4): work-groups of one on CPUs, at
 * most one lane per compute unit; GPUs one group per compute unit, or with
 * the bus's lanes one lane unless asked (cuda's default: on the H200 every
 * further polling wavefront slowed every round trip, docs/PERFORMANCE.md). */
static void mkrt__svm_geometry(struct mkrt__resident *r, uint32_t lanes, bool bus)
{
	const struct mkrt_device_info *info = &r->dev.info;
	uint32_t cu = info->compute_units ? info->compute_units : 1;

	if (info->gpu && bus) {
		if (!lanes)
			lanes = 1;
		r->local = lanes < MKRT__GPU_GROUP ? lanes : MKRT__GPU_GROUP;
		if (r->local > info->max_work_group && info->max_work_group)
			r->local = info->max_work_group;
		r->global = (lanes + r->local - 1) / r->local * r->local;
		return;
	}
	if (info->gpu) {
		r->local = info->max_work_group < MKRT__GPU_GROUP ? info->max_work_group : MKRT__GPU_GROUP;
		r->global = lanes ? (lanes + r->local - 1) / r->local * r->local : cu * r->local;
		return;
	}
	/* CPU: the host's own threads (submitters, the IO servicer, the watcher)
	 * share these cores, so by default one is left to them. Lanes beyond
	 * the first are spares until slots block (cl/megakernel.cl), so they
	 * cost a NOP round trip little; but each one spinning takes a core while
	 * the ring is busy, so the default stops at MKRT__CPU_LANES. */
	r->local = 1;
	if (!lanes)
		lanes = cu - 1 < MKRT__CPU_LANES ? cu - 1 : MKRT__CPU_LANES;
	r->global = lanes == 0 ? 1 : lanes < cu ? lanes : cu;
}

static int mkrt__svm_args(struct mkrt__svm *s, const struct mkrt_config *cfg)
{
	const struct mkrt_exec_buffers *b = &s->w.b;
	struct mkrt__kargs a = { .svm = &s->mem,
				 .nargs = s->bus	     ? MKRT_KARG_COUNT_BUS
					  : s->host_rmw ? MKRT_KARG_COUNT_CL20
							: MKRT_KARG_COUNT };

	a.svm_ptr[MKRT_KARG_RING] = b->ring;
	a.svm_ptr[MKRT_KARG_CONTROL] = b->control;
	a.svm_ptr[MKRT_KARG_DEBUG] = b->debug_log;
	a.svm_ptr[MKRT_KARG_DFA] = b->dfa;
	a.svm_ptr[MKRT_KARG_IO] = b->io;
	a.svm_ptr[MKRT_KARG_RESIDENCY] = b->residency;
	a.svm_ptr[MKRT_KARG_FRAMES] = b->frames;
	a.svm_ptr[MKRT_KARG_ARENA] = b->arena;
	a.svm_ptr[MKRT_KARG_WITHDRAW] = s->wd.words;
	a.svm_ptr[MKRT_KARG_CLAIMS] = s->claims;
	a.count[MKRT_KARG_SLOTS] = b->slot_count;
	a.count[MKRT_KARG_CONTROL_WORDS] = b->control_words;
	a.count[MKRT_KARG_DEBUG_WORDS] = b->debug_words;
	a.count[MKRT_KARG_DFA_WORDS] = b->dfa_words;
	a.count[MKRT_KARG_EPOCH_SLOTS] = cfg->epoch_slots;
	a.count[MKRT_KARG_RESOURCES] = b->resources;
	a.count[MKRT_KARG_FRAME_COUNT] = b->frame_count;
	a.count[MKRT_KARG_FRAME_WORDS] = b->frame_words;
	return mkrt__resident_set_args(&s->r, &a);
}

static void mkrt__svm_free(struct mkrt__svm *s)
{
	if (s->r.ctx) {
		mkrt__words_free(&s->w, mkrt__svm_release, s);
		mkrt__svm_mem_free(&s->mem, s->wd.words);
		mkrt__svm_mem_free(&s->mem, s->claims);
	}
	mkrt__resident_fini(&s->r);
	mkrt__withdrawals_fini(&s->wd);
	free(s);
}

/* ---- the resident layer's hooks: plain loads and stores (words.c) ---------------------- */

/* After a park, while the launch starts: host and lanes claim by the same
 * CAS on the same memory. CPU devices in a mode with host RMWs only: on a
 * GPU a host RMW and a device RMW of one word are atomic with each other
 * only under SVM atomics, which the svm handshake does not prove (DESIGN
 * §3). */
static uint32_t mkrt__svm_assist(void *owner)
{
	struct mkrt__svm *s = owner;

	return s->r.dev.info.gpu || !s->host_rmw ? 0 : mkrt__exec_pass_nonblocking(&s->w.b);
}

/* Is a PUBLISHED slot waiting for a lane: to run it, or to withdraw it? */
static bool mkrt__svm_work_waiting(void *owner)
{
	struct mkrt__svm *s = owner;

	return mkrt__words_work_waiting(owner) ||
	       (!s->host_rmw && mkrt__withdrawals_waiting(&s->wd, s->w.b.ring));
}

/* A waiter serves a load miss, and while the kernel is cold runs slots. */
static uint32_t mkrt__svm_serve_io(void *state)
{
	struct mkrt__svm *s = state;

	return mkrt__words_serve_io(&s->w) + mkrt__resident_assist(&s->r);
}

static const struct mkrt__resident_hooks mkrt__svm_hooks = {
	MKRT__WORDS_RESIDENT_HOOKS,
	.work_waiting = mkrt__svm_work_waiting,
	.assist = mkrt__svm_assist,
};

/* MKRT_SVM_LANES: the ring's lanes (unset, "ring") or the bus's ("bus"). */
static int mkrt__svm_lanes(bool *bus)
{
	const char *v = getenv("MKRT_SVM_LANES");

	*bus = v && strcmp(v, "bus") == 0;
	if (!v || !v[0] || *bus || strcmp(v, "ring") == 0)
		return 0;
	mkrt__detail("MKRT_SVM_LANES='%.32s' names no lane protocol. Fix: set it to ring (the "
		     "default) or bus, or unset it", v);
	return MKRT_EINVAL;
}

/* The words of lanes the host never read-modify-writes with (withdraw.h):
 * withdrawal words and the doorbell; for the bus's lanes the claim table. */
static int mkrt__svm_lane_words(struct mkrt__svm *s, uint32_t slots)
{
	s->wd.words = mkrt__svm_alloc(s, MKRT_WITHDRAW_WORDS(slots));
	s->wd.slots = slots;
	s->wd.doorbell = s->bus;
	if (s->bus)
		s->claims = mkrt__svm_alloc(s, slots);
	return !s->wd.words || (s->bus && !s->claims) ? MKRT_ENOMEM : 0;
}

static int mkrt__svm_open(const struct mkrt_config *cfg, void **state)
{
	struct mkrt__svm *s = calloc(1, sizeof(*s));
	struct mkrt__device dev;
	struct mkrt__verdict v;
	char why[1024], options[64];
	int err;

	if (!s)
		return MKRT_ENOMEM;
	mkrt__withdrawals_init(&s->wd);
	err = mkrt__svm_lanes(&s->bus);
	if (err)
		goto out_free;
	if (!mkrt__device_chosen(cfg, mkrt__svm_verdict, &dev, &v, why, sizeof(why))) {
		mkrt__detail("svm backend unavailable: %s", why);
		err = MKRT_EUNAVAILABLE;
		goto out_free;
	}
	s->host_rmw = mkrt__svm_mode_host_rmw(v.svm_mode) && !s->bus;
	snprintf(options, sizeof(options), "%s%s%s", mkrt__device_cl_std(&dev.info),
		 s->host_rmw ? "" : " -DMKRT_HOST_NO_RMW", s->bus ? " -DMKRT_BUS_LANES" : "");
	err = mkrt__resident_init(&s->r, "svm", &dev, cfg, options, &mkrt__svm_hooks, s);
	if (!err)
		err = mkrt__svm_mem_init(&s->mem, s->r.ctx, dev.platform, v.svm_mode);
	if (err)
		goto out_free;
	if (!s->host_rmw)
		s->w.io_port = &mkrt__lane_frames_port; /* the host never CASes what lanes do */
	err = mkrt__words_init(&s->w, cfg, mkrt__svm_alloc, s);
	if (err)
		goto out_free;
	if (!s->host_rmw) {
		err = mkrt__svm_lane_words(s, cfg->slots);
		if (err)
			goto out_free;
	}
	s->r.io = s->w.servicer;
	err = mkrt__svm_args(s, cfg);
	if (err)
		goto out_free;
	mkrt__svm_geometry(&s->r, cfg->lanes, s->bus);
	*state = s;
	return 0;

out_free:
	mkrt__svm_free(s);
	return err;
}

/* ---- ops ------------------------------------------------------------------------------------ */

/* Without host RMWs (wd has words) a slot's withdrawal word is cleared
 * before it is published; the bus's lanes watch the doorbell. */
static int mkrt__svm_publish(void *state, uint32_t slot, const struct mkrt_slot *req, uint32_t nargs)
{
	struct mkrt__svm *s = state;
	int got = mkrt__withdrawals_publish(&s->wd, &s->r, state, &slot, req, 1, nargs);

	return got < 0 ? got : 0;
}

/* A batch wakes a parked kernel once, and rings the bus's doorbell once a
 * run of consecutive slots. */
static int mkrt__svm_publish_many(void *state, const uint32_t *slots, const struct mkrt_slot *reqs,
				  uint32_t n)
{
	struct mkrt__svm *s = state;

	return mkrt__withdrawals_publish(&s->wd, &s->r, state, slots, reqs, n, MKRT_SLOT_ARGS);
}

/* Without host RMWs: withdrawal words (withdraw.h); a lane moves the slot. */
static int mkrt__svm_cancel_slot(void *state, uint32_t slot)
{
	struct mkrt__svm *s = state;

	if (s->host_rmw)
		return mkrt__words_cancel_slot(state, slot);
	return mkrt__withdrawals_cancel(&s->wd, s->w.b.ring, slot, &s->r);
}

/* Without host RMWs, DONE or FAULT goes back to EMPTY with a store: no lane
 * writes a slot in either status. */
static int mkrt__svm_reset_slot(void *state, uint32_t slot)
{
	struct mkrt__svm *s = state;

	if (s->host_rmw)
		return mkrt__words_reset_slot(state, slot);
	return mkrt__words_reset_slot_owned(state, slot);
}

static int mkrt__svm_start(void *state)
{
	return mkrt__resident_start(&((struct mkrt__svm *)state)->r);
}

static int mkrt__svm_stop(void *state, uint32_t timeout_ms)
{
	return mkrt__resident_stop(&((struct mkrt__svm *)state)->r, timeout_ms);
}

static void mkrt__svm_close(void *state)
{
	struct mkrt__svm *s = state;

	if (s->r.stuck || s->r.watcher_joinable)
		return; /* a kernel may still use the SVM buffers: leak, do not corrupt */
	mkrt__svm_free(s);
}

static int mkrt__svm_executors_live(void *state)
{
	return mkrt__resident_live(&((struct mkrt__svm *)state)->r);
}

static const char *mkrt__svm_device_name(void *state)
{
	return ((struct mkrt__svm *)state)->r.dev.info.name;
}

/* Region writes can publish slots too (replay): wake a parked kernel after. */
static int mkrt__svm_write_region(void *state, enum mkrt__region r, uint32_t first, uint32_t n,
				  const uint32_t *in)
{
	struct mkrt__svm *s = state;
	int err;

	if (!s->host_rmw && r == MKRT__REGION_RING)
		mkrt__withdrawals_clear_words(&s->wd, first, n);
	err = mkrt__words_write_region(state, r, first, n, in);
	if (!err && r == MKRT__REGION_RING)
		mkrt__withdrawals_ring_doorbell(&s->wd, first / MKRT_SLOT_WORDS, 2);
	if (!err)
		mkrt__resident_ring_bell(&s->r);
	return err;
}

static void mkrt__svm_stats(void *state, struct mkrt_stats *out)
{
	struct mkrt__svm *s = state;

	memset(out, 0, sizeof(*out));
	mkrt__resident_stats(&s->r, out);
	mkrt__words_io_stats(&s->w, out);
}

const struct mkrt__backend_ops mkrt__backend_svm = {
	.name = "svm",
	.summary = "megakernel resident on an OpenCL device, ring in fine-grained SVM",
	.probe_device = mkrt__svm_probe_device,
	.open = mkrt__svm_open,
	.start = mkrt__svm_start,
	.stop = mkrt__svm_stop,
	.close = mkrt__svm_close,
	.read_slot = mkrt__words_read_slot,
	.ring_words = mkrt__words_ring,
	.reset_slot = mkrt__svm_reset_slot,
	.cancel_slot = mkrt__svm_cancel_slot,
	.region_words = mkrt__words_region_words,
	.read_region = mkrt__words_read_region,
	.serve_io = mkrt__svm_serve_io,
	.executors_live = mkrt__svm_executors_live,
	.stats = mkrt__svm_stats,
	.device_name = mkrt__svm_device_name,
	.publish = mkrt__svm_publish,
	.publish_many = mkrt__svm_publish_many,
	.write_region = mkrt__svm_write_region,
};
