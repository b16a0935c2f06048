/* SPDX-License-Identifier: MIT */
/*
 * copy.h - the copy backend's state, shared by its files (internal):
 * copy.c (open, start, stop, the resident layer's hooks),
 * copy_transfer.c (transfers on the host queue, bounded), copy_ring.c (the
 * host's view of the ring: publish, cancel, read back, regions) and
 * copy_io.c (the IO servicer's port). copy.c says how the backend works.
 */
#ifndef MKRT_COPY_H
#define MKRT_COPY_H

#include "io.h"
#include "backend.h"
#include "resident.h"

#include <pthread.h>

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
	MKRT__CB_WITHDRAW, /* MKRT_WITHDRAW_WORDS (mkrt_kernel_abi.h) */
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

	/* the IO servicer (cfg->io) and what its port uses, one pass at a time */
	struct mkrt__servicer *servicer;
	uint32_t frame_bytes;
	uint32_t *io_view;           /* MKRT_IO_SLOTS * MKRT_IO_WORDS */
	uint8_t *frame_stage;        /* one frame's bytes on their way out */
	uint32_t meta_stage[MKRT_FRAME_WORDS], pin_stage, res_stage, io_stage[MKRT_IO_WORDS];
};

/* copy_transfer.c */
int mkrt__copy_read(struct mkrt__copy *c, int b, uint32_t first, uint32_t n, void *out);
int mkrt__copy_read_async(struct mkrt__copy *c, int b, uint32_t first, uint32_t n, void *out);
int mkrt__copy_write(struct mkrt__copy *c, int b, uint32_t first, uint32_t n, const void *in, bool wait);
int mkrt__copy_write_statuses(struct mkrt__copy *c, uint32_t first, uint32_t n);

/* copy_ring.c: the backend ops on the ring and the regions, and the read
 * back the watcher's hooks use (under view_lock) */
int mkrt__copy_refresh(struct mkrt__copy *c);
int mkrt__copy_read_slot(void *state, uint32_t slot, struct mkrt_slot *out);
int mkrt__copy_publish(void *state, uint32_t slot, const struct mkrt_slot *req, uint32_t nargs);
int mkrt__copy_publish_many(void *state, const uint32_t *slots, const struct mkrt_slot *reqs, uint32_t n);
int mkrt__copy_reset_slot(void *state, uint32_t slot);
int mkrt__copy_cancel_slot(void *state, uint32_t slot);
uint32_t mkrt__copy_region_words(void *state, enum mkrt__region r);
int mkrt__copy_read_region(void *state, enum mkrt__region r, uint32_t first, uint32_t n, uint32_t *out);
int mkrt__copy_write_region(void *state, enum mkrt__region r, uint32_t first, uint32_t n, const uint32_t *in);

/* copy_io.c: the IO servicer's port, and a waiter's pass over the queue */
extern const struct mkrt__io_port mkrt__copy_io_port;
uint32_t mkrt__copy_serve_io(void *state);

#endif /* MKRT_COPY_H */
