/* SPDX-License-Identifier: MIT */
/*
 * mkrt/exec.h - the reference executor: the opcode semantics of DESIGN §2,
 * run on the host over plain word buffers.
 *
 * The host backend's threads run exactly this code, and the differential
 * tests use it as the oracle for the OpenCL megakernel. Shared words are
 * touched with the same acquire/release discipline as the device: acquire
 * STATUS, claim by compare-and-swap, release DONE/FAULT, then a release add
 * to DONE_COUNT.
 */
#ifndef MKRT_EXEC_H
#define MKRT_EXEC_H

#include <stdint.h>

#include "common.h"
#include "protocol.h"

MKRT_BEGIN_DECLS

/* What a handler may reach beyond its slot: the resource arena. */
struct mkrt_ctx;

/*
 * A user opcode handler. @args are the slot's 12 argument words, in and out:
 * what the handler leaves there is written back to the slot. Return 0 for
 * DONE, or a non-zero fault reason (stored in word 15) for FAULT. Called on
 * an executor thread; it must not block for long, except in
 * mkrt_resource_acquire().
 */
typedef uint32_t (*mkrt_handler_fn)(void *user, uint32_t opcode, uint32_t args[MKRT_SLOT_ARGS],
				    struct mkrt_ctx *ctx);

/*
 * mkrt_resource_acquire - from a handler, make resource @id resident and pin
 * it: a hit pins its frame, a miss raises a load miss and waits for the IO
 * servicer (the device-initiated direction). Returns 0 with *@bytes and *@n
 * set and *@frame to pass to mkrt_resource_release(), or a MKRT_IOERR_* code
 * (positive; MKRT_IOERR_RANGE also when no IO is configured).
 */
MKRT_API uint32_t mkrt_resource_acquire(struct mkrt_ctx *ctx, uint32_t id, const void **bytes,
					uint32_t *n, uint32_t *frame);
/* mkrt_resource_release - unpin a frame mkrt_resource_acquire() returned. */
MKRT_API void mkrt_resource_release(struct mkrt_ctx *ctx, uint32_t frame);

struct mkrt_handler {
	uint32_t opcode;         /* a user opcode: not reserved for the system */
	mkrt_handler_fn fn;
	void *user;
};

/* The buffers one executor works on. debug_log and dfa may be NULL (PRINTF
 * then only counts as overflow; DFA_STEP faults as out of range). */
struct mkrt_exec_buffers {
	uint32_t *ring;
	uint32_t slot_count;
	uint32_t *control;
	uint32_t control_words;          /* >= MKRT_CTL_OBS + 1 */
	uint32_t *debug_log;
	uint32_t debug_words;            /* 1 + 4 * records */
	const uint32_t *dfa;
	uint32_t dfa_words;
	const struct mkrt_handler *handlers;
	uint32_t handler_count;
	/* Load misses (NULL io: LOAD_MISS faults MKRT_FAULT_NO_IO). A lane that
	 * misses waits for the IO servicer: without one running, it waits until
	 * SHUTDOWN. */
	uint32_t *io;                    /* MKRT_IO_SLOTS * MKRT_IO_WORDS */
	uint32_t *residency;             /* [resources]: frame + 1, or 0 */
	uint32_t resources;
	uint32_t *frames;                /* [frame_count * MKRT_FRAME_WORDS] metadata */
	uint32_t frame_count;
	uint32_t *arena;                 /* frame_count * frame_words words */
	uint32_t frame_words;
};

/* mkrt_user_opcode - 1 if @opcode is free for user handlers, else 0. */
MKRT_API int mkrt_user_opcode(uint32_t opcode);

/*
 * mkrt_reference_execute - run slot @slot if it is PUBLISHED and its tenant is
 * authorized: claim it, execute, mark it DONE or FAULT, count it. Returns 1
 * when it ran, 0 when it was left alone. Errors: EINVAL/RANGE/TOOBIG for bad
 * buffers, EHANDLER for a bad handler table. Safe against concurrent
 * executors on the same buffers.
 */
MKRT_API int mkrt_reference_execute(const struct mkrt_exec_buffers *b, uint32_t slot);

/*
 * mkrt_reference_drain - pass over the ring in slot order until a pass runs
 * nothing (or a SHUTDOWN was executed). Returns the number of slots run.
 * Errors: as mkrt_reference_execute.
 */
MKRT_API int mkrt_reference_drain(const struct mkrt_exec_buffers *b);

MKRT_END_DECLS

#endif /* MKRT_EXEC_H */
