/* SPDX-License-Identifier: MIT */
/* runtime_priv.h - the runtime object, shared by runtime.c and submit.c. */
#ifndef MKRT_RUNTIME_PRIV_H
#define MKRT_RUNTIME_PRIV_H

#include "backend.h"

/* Per-slot bookkeeping word of the submission API: generation << 2 | state. */
#define MKRT__BOOK_FREE       0u  /* no ticket; the ring slot is EMPTY or DONE */
#define MKRT__BOOK_RESERVED   1u  /* a submitter is publishing into it */
#define MKRT__BOOK_INFLIGHT   2u  /* published; its ticket is outstanding */
#define MKRT__BOOK_COLLECTING 3u  /* a waiter or canceller owns it */
#define MKRT__BOOK_STATE(w)   ((w) & 3u)
#define MKRT__BOOK_GEN(w)     ((w) >> 2)
#define MKRT__BOOK(gen, st)   ((uint32_t)(gen) << 2 | (st))

struct mkrt_runtime {
	struct mkrt__backend_ops ops;   /* bound: optional hooks defaulted */
	void *state;
	uint32_t slots;
	uint32_t control_words;
	uint32_t *book;                 /* [slots], touched only atomically */
	uint32_t *withdrawing;          /* [slots], in book's allocation: 1 while a
					 * cancel that returned EINPROGRESS is posted */
	uint32_t cursor;                /* atomic: where submitters start looking */
	uint32_t stopped;               /* atomic: mkrt_runtime_stop() ran */
	struct mkrt_producer_ops producer_ops;
	struct mkrt_consumer_ops consumer_ops;
};

/* runtime.c: open without starting (to load state first), then start. */
int mkrt__runtime_open_stopped(const struct mkrt_config *cfg, struct mkrt_runtime **out);
int mkrt__runtime_start(struct mkrt_runtime *rt);

#endif /* MKRT_RUNTIME_PRIV_H */
