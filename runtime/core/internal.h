/* SPDX-License-Identifier: MIT */
/* internal.h - declarations shared by the library's own sources (mkrt__*). */
#ifndef MKRT_INTERNAL_H
#define MKRT_INTERNAL_H

#include "config.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mkrt.h"
#include "atomics.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "mkrt needs a little-endian host: live rings are native words in wire order"
#endif

#define MKRT__ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline uint32_t mkrt__get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void mkrt__put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* vyre's tenant rule: the control word that holds tenant @tenant's mask under
 * tenant base @base, or 0 when C[2] + t falls outside words 3..31 (denied). */
static inline uint32_t mkrt__tenant_word(uint32_t base, uint32_t tenant)
{
	uint64_t w = (uint64_t)base + tenant;

	return w >= MKRT_CTL_TENANT_FIRST && w <= MKRT_CTL_TENANT_LAST ? (uint32_t)w : 0;
}

/* The rule on a live control buffer; relaxed loads, ordered by the caller's
 * acquire of the slot (or, for the parking watcher, by its handshake). */
static inline bool mkrt__tenant_authorized(const uint32_t *control, uint32_t tenant)
{
	uint32_t w = mkrt__tenant_word(mkrt__load_relaxed(&control[MKRT_CTL_TENANT_BASE]), tenant);

	return w && mkrt__load_relaxed(&control[w]) != 0;
}

/* Check a byte buffer of u32 words: non-NULL, whole words, at least
 * @min_words of them. */
static inline int mkrt__words_check(const void *buf, size_t len, size_t min_words)
{
	if (!buf)
		return MKRT_EINVAL;
	if (len % MKRT_WORD_BYTES)
		return MKRT_EALIGN;
	if (len / MKRT_WORD_BYTES < min_words)
		return MKRT_ESHORT;
	return 0;
}

/* codec_ring.c: hand a zeroed allocation of @bytes to an allocating encoder's
 * caller; ENOMEM leaves *@out and *@len alone. */
int mkrt__alloc_zeroed(size_t bytes, uint8_t **out, size_t *len);

/* error.c: the "Fix: ..." half of an error's message. */
const char *mkrt__err_fix(int err);

/* publish.c */
void mkrt__slot_to_words(const struct mkrt_slot *s, uint32_t w[MKRT_SLOT_WORDS]);
/* mkrt_slot_reset() by a store, for a ring whose executors never write a
 * DONE or FAULT slot, reset by the one thread that holds its ticket
 * (submit.c): no read-modify-write of a word the lanes share (DESIGN §3). */
int mkrt__slot_reset_owned(uint32_t *ring, size_t ring_words, uint32_t slot);
void mkrt__slot_from_words(const uint32_t w[MKRT_SLOT_WORDS], struct mkrt_slot *s);
/* Everything mkrt_publish checks about a request but the target slot:
 * INVAL, OPCODE, ARGS, PACKED. */
int mkrt__request_check(const struct mkrt_slot *req, uint32_t nargs);

/* packed.c: shared by the publish check and the executor. Returns the op
 * count, or -1 when malformed; fills @ops with resolved arguments. */
int mkrt__packed_parse(const uint32_t args[MKRT_SLOT_ARGS],
		       struct mkrt_packed_op ops[MKRT_PACKED_MAX_OPS]);

/* exec.c */
int mkrt__exec_check(const struct mkrt_exec_buffers *b);
/* Each handler non-NULL, on a user opcode, registered once; else EHANDLER. */
int mkrt__handlers_check(const struct mkrt_handler *h, uint32_t n);
/* Runs slot @slot as a lane: if published and authorized, and not once
 * SHUTDOWN is set (checked after the claim); returns 1 if it ran. */
int mkrt__exec_slot(const struct mkrt_exec_buffers *b, uint32_t slot);
/* One pass over the ring running what never blocks (no load miss, no user
 * opcode): for a thread that must stay responsive. Returns the slots run. */
uint32_t mkrt__exec_pass_nonblocking(const struct mkrt_exec_buffers *b);

/* The context a host handler gets (mkrt/exec.h). */
struct mkrt_ctx {
	const struct mkrt_exec_buffers *b;
	uint32_t slot;
};

/* load_miss.c: LOAD_MISS on a claimed slot; returns the fault reason or 0. */
uint32_t mkrt__load_miss(const struct mkrt_exec_buffers *b, uint32_t slot, uint32_t *args);
bool mkrt__frame_pin(const struct mkrt_exec_buffers *b, uint32_t f);
void mkrt__frame_unpin(const struct mkrt_exec_buffers *b, uint32_t f);

/* clock.c: time and the bounded spin -> yield -> sleep backoff of DESIGN §4. */
uint64_t mkrt__now_ns(void);
/* @ms from now on CLOCK_REALTIME, for pthread timed waits and joins. */
struct timespec;
void mkrt__realtime_deadline(struct timespec *ts, uint32_t ms);
void mkrt__realtime_deadline_us(struct timespec *ts, uint64_t us);
struct mkrt__backoff {
	uint32_t rounds;
	uint64_t since;              /* when yielding began */
};
void mkrt__backoff_pause(struct mkrt__backoff *b);
static inline void mkrt__backoff_reset(struct mkrt__backoff *b)
{
	b->rounds = 0;
	b->since = 0;
}
/* Give the calling (mkrt-owned) thread a 1 ns timer slack. */
void mkrt__thread_precise_timers(void);

/* A polling thread (the IO servicers, the shm broker): runs @pass(@arg)
 * until stopped, backing off while passes find nothing to do (return 0). */
struct mkrt__poller {
	pthread_t thread;
	uint32_t (*pass)(void *arg);
	void *arg;
	uint32_t stop;               /* atomic */
	bool running;
};
/* MKRT_ETHREAD if the thread cannot be made. */
int mkrt__poller_start(struct mkrt__poller *p, uint32_t (*pass)(void *arg), void *arg);
/* Ask it to stop and join it, once its pass in hand ends; no-op if not running. */
void mkrt__poller_stop(struct mkrt__poller *p);
/* Whether a stop was asked (acquire): a pass that sees it starts no work. */
static inline bool mkrt__poller_stopping(const struct mkrt__poller *p)
{
	return mkrt__load_acquire(&p->stop) != 0;
}

/* error.c: format into the calling thread's detail buffer (mkrt_last_detail()),
 * MKRT__DETAIL_LEN bytes with its NUL. */
#define MKRT__DETAIL_LEN 4096
void mkrt__detail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* config.c: @in (NULL: defaults) with what it leaves NULL taken from the
 * environment, the one place that reads it: MKRT_BACKEND, MKRT_DEVICE,
 * MKRT_SHM_NAME, MKRT_SHM_BACKEND. */
void mkrt__config_env(const struct mkrt_config *in, struct mkrt_config *out);
/* config.c: mkrt__config_env, then fill defaults and validate sizes; @io holds the resolved IO
 * config that out->io then points to. EINVAL, TOOBIG, HANDLER, UNAVAILABLE. */
int mkrt__config_resolve(const struct mkrt_config *in, struct mkrt_config *out,
			 struct mkrt_io_config *io);

#endif /* MKRT_INTERNAL_H */
