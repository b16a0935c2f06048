/* SPDX-License-Identifier: MIT */
/*
 * words.h - the hooks shared by backends whose buffers the host addresses
 * directly (host memory, fine-grained SVM) (internal).
 */
#ifndef MKRT_WORDS_H
#define MKRT_WORDS_H

#include "backend.h"
#include "io.h"

/* Such a backend's state starts with a struct mkrt__words, so these hooks
 * take its state as is. */
struct mkrt__words {
	struct mkrt_exec_buffers b;     /* ring, control, log, DFA, IO queue, arena */
	struct mkrt__servicer *servicer; /* NULL without cfg->io */
	struct mkrt__host_frames frames; /* its port's */
	const struct mkrt__io_port *io_port; /* set before init; NULL: mkrt__host_frames_port */
};
int mkrt__words_ring(void *state, uint32_t **words, size_t *nwords);
int mkrt__words_publish(void *state, uint32_t slot, const struct mkrt_slot *req, uint32_t nargs);
int mkrt__words_read_slot(void *state, uint32_t slot, struct mkrt_slot *out);
int mkrt__words_reset_slot(void *state, uint32_t slot);
/* ... by a store, where no host RMW may touch the ring (mkrt__slot_reset_owned) */
int mkrt__words_reset_slot_owned(void *state, uint32_t slot);
int mkrt__words_cancel_slot(void *state, uint32_t slot);
uint32_t mkrt__words_region_words(void *state, enum mkrt__region r);
int mkrt__words_read_region(void *state, enum mkrt__region r, uint32_t first, uint32_t n,
			    uint32_t *out);
int mkrt__words_write_region(void *state, enum mkrt__region r, uint32_t first, uint32_t n,
			     const uint32_t *in);
/* Sizes every buffer from @cfg (resolved) and encodes control and log.
 * @alloc returns zeroed, 64-byte aligned words or NULL. */
int mkrt__words_init(struct mkrt__words *w, const struct mkrt_config *cfg,
		     uint32_t *(*alloc)(void *ctx, size_t words), void *ctx);
void mkrt__words_free(struct mkrt__words *w, void (*release)(void *ctx, uint32_t *p), void *ctx);
uint32_t mkrt__words_serve_io(void *state);
/* The hooks a words backend takes as they are, for its ops table. */
#define MKRT__WORDS_HOOKS                         \
	.read_slot = mkrt__words_read_slot,       \
	.ring_words = mkrt__words_ring,           \
	.reset_slot = mkrt__words_reset_slot,     \
	.cancel_slot = mkrt__words_cancel_slot,   \
	.region_words = mkrt__words_region_words, \
	.read_region = mkrt__words_read_region
/* Starts / stops the words' servicer if there is one (the host backend). */
int mkrt__words_start_io(struct mkrt__words *w);
void mkrt__words_stop_io(struct mkrt__words *w);
/* io_requests, io_errors and evictions. */
void mkrt__words_io_stats(const struct mkrt__words *w, struct mkrt_stats *out);


/* The resident layer's hooks (resident.h) for such words on a device (svm,
 * cuda): plain loads and stores; the owner's state starts with a struct
 * mkrt__words. work_waiting: a PUBLISHED slot of an authorized tenant. */
int mkrt__words_set_yield(void *owner, uint32_t value);
bool mkrt__words_shutdown_set(void *owner);
void mkrt__words_ask_shutdown(void *owner);
uint64_t mkrt__words_progress(void *owner);
bool mkrt__words_work_waiting(void *owner);
#define MKRT__WORDS_RESIDENT_HOOKS                   \
	.set_yield = mkrt__words_set_yield,          \
	.shutdown_set = mkrt__words_shutdown_set,    \
	.ask_shutdown = mkrt__words_ask_shutdown,    \
	.progress = mkrt__words_progress

#endif /* MKRT_WORDS_H */
