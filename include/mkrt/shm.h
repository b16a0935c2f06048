/* SPDX-License-Identifier: MIT */
/*
 * mkrt/shm.h - producers in other processes (the "shm" backend).
 *
 * A runtime opened with backend "shm" creates a POSIX shared-memory segment
 * (mode 0600) holding one ring of 64-byte slots per producer: ring 0 is the
 * runtime's own (mkrt_submit), rings 1..MKRT_SHM_CLIENTS are lent to other
 * processes, one each, through the client API below. A broker thread in the
 * runtime takes each PUBLISHED slot, checks it (the intake), forwards it to
 * the device backend, and writes the finished slot back, DONE or FAULT.
 *
 * The other process is not trusted. The broker copies a slot once and acts
 * only on that copy; a slot with a status other than EMPTY, PUBLISHED, DONE
 * or FAULT, an opcode no producer may send (reserved ranges, SHUTDOWN), a
 * malformed PACKED_SLOT, a tenant outside the tenant table, or an op that
 * would write a control word below MKRT_CTL_OBS (the system's: SHUTDOWN,
 * DONE_COUNT, the tenant table, quotas, metrics, EPOCH, mkrt's own words)
 * ends FAULT with reason MKRT_FAULT_REJECTED and is counted, never
 * forwarded; no other producer notices. That covers STORE_U32 and
 * ATOMIC_ADD targets, COMPARE_SWAP's target, a MEMCPY destination range,
 * and the same ops inside a PACKED_SLOT; BATCH_FENCE's own EPOCH increment
 * is allowed. Ring 0, the server's own, keeps vyre's semantics. A producer
 * that dies loses nothing it had published: the broker finishes those
 * slots, and the next client may take the ring over.
 *
 * A server that stops, or dies however it dies (SIGKILL included), is seen
 * at once: the client calls then return MKRT_ESHUTDOWN, never a publish
 * into a dead ring or a wait that runs out its timeout.
 */
#ifndef MKRT_SHM_H
#define MKRT_SHM_H

#include "mkrt/common.h"
#include "mkrt/codec.h"

MKRT_BEGIN_DECLS

#define MKRT_SHM_CLIENTS  4u     /* rings lent to other processes */
#define MKRT_SHM_NAME_MAX 200u   /* characters, the leading '/' included */
#define MKRT_SHM_INFO_NAME 64u   /* bytes of a name in struct mkrt_shm_info */

/* Counters the broker keeps in the segment. */
struct mkrt_shm_stats {
	uint64_t forwarded;      /* slots sent on to the device backend */
	uint64_t completed;      /* ... and written back DONE or FAULT */
	uint64_t rejected;       /* refused at intake (FAULT, MKRT_FAULT_REJECTED) */
	/* per ring: [0] the server's own, [1 + i] the i-th ring lent to a
	 * producer process (its pid in owner, 0 while free) */
	uint64_t ring_completed[1 + MKRT_SHM_CLIENTS]; /* DONE or FAULT */
	uint64_t ring_faults[1 + MKRT_SHM_CLIENTS];    /* ... of which FAULT */
	uint64_t ring_rejected[1 + MKRT_SHM_CLIENTS];
	uint32_t owner[1 + MKRT_SHM_CLIENTS];
};

/*
 * mkrt_shm_name_valid - 0 when @name can name a segment: "/" then 1 to 199
 * of [A-Za-z0-9._-]. Errors: INVAL (NULL), SHM.
 */
MKRT_API int mkrt_shm_name_valid(const char *name);

/*
 * mkrt_runtime_shm_name - the segment name of a runtime on the shm backend,
 * or NULL on any other backend.
 */
struct mkrt_runtime;
MKRT_API const char *mkrt_runtime_shm_name(const struct mkrt_runtime *rt);
/* mkrt_runtime_shm_stats - the broker's counters. Errors: INVAL (NULL, or
 * not on the shm backend). */
MKRT_API int mkrt_runtime_shm_stats(const struct mkrt_runtime *rt, struct mkrt_shm_stats *out);

struct mkrt_shm_client;

/*
 * mkrt_shm_client_open - map the segment @name and take a free producer ring
 * (or one whose producer has died). Errors: INVAL, SHM (no such segment,
 * not a mkrt segment, every ring taken), SHUTDOWN (its server stopped or
 * died), NOMEM.
 */
MKRT_API int mkrt_shm_client_open(const char *name, struct mkrt_shm_client **out);

/* mkrt_shm_client_slots - slots in the client's ring (0 for NULL). */
MKRT_API uint32_t mkrt_shm_client_slots(const struct mkrt_shm_client *c);

/* What serves a client, as its server wrote it at start. */
struct mkrt_shm_info {
	uint32_t slots;                    /* in the client's ring */
	uint32_t control_words;            /* C[0 .. control_words): OBS + observable */
	uint32_t server_pid;
	char backend[MKRT_SHM_INFO_NAME];  /* the backend that runs slots, e.g. "svm" */
	char device[MKRT_SHM_INFO_NAME];   /* ... and its device, NUL-terminated */
};

/* mkrt_shm_client_info - what serves @c. Errors: INVAL, SHUTDOWN. */
MKRT_API int mkrt_shm_client_info(struct mkrt_shm_client *c, struct mkrt_shm_info *out);

/*
 * mkrt_shm_client_submit - publish @req (its first @nargs args, the rest
 * cleared) into a free slot of the client's ring, waiting up to @timeout_ms
 * for one; *@slot names it. Validated as mkrt_publish validates. Errors:
 * INVAL, OPCODE, ARGS, PACKED, RINGFULL, SHUTDOWN (the server is gone).
 */
MKRT_API int mkrt_shm_client_submit(struct mkrt_shm_client *c, const struct mkrt_slot *req,
				    uint32_t nargs, uint32_t timeout_ms, uint32_t *slot);

/*
 * mkrt_shm_client_wait - wait up to @timeout_ms for @slot to finish and
 * copy it to @result (may be NULL). Returns 0 (DONE), SLOTFAULT (FAULT: the
 * reason is in result->args[MKRT_SLOT_FAULT_REASON - MKRT_SLOT_ARG0]),
 * TIMEDOUT, SHUTDOWN (the server is gone), INVAL, RANGE.
 */
MKRT_API int mkrt_shm_client_wait(struct mkrt_shm_client *c, uint32_t slot, uint32_t timeout_ms,
				  struct mkrt_slot *result);

/*
 * mkrt_shm_client_publish_raw - store @words into @slot as they are, STATUS
 * last: no validation at all, as a hostile or broken producer would. For
 * tests and fuzzing of the broker's intake. Errors: INVAL, RANGE.
 */
MKRT_API int mkrt_shm_client_publish_raw(struct mkrt_shm_client *c, uint32_t slot,
					 const uint32_t words[MKRT_SLOT_WORDS]);

/* mkrt_shm_client_stats - the broker's counters (all producers). */
MKRT_API int mkrt_shm_client_stats(const struct mkrt_shm_client *c, struct mkrt_shm_stats *out);

/* mkrt_shm_client_close - give the ring back and unmap; NULL is a no-op. */
MKRT_API void mkrt_shm_client_close(struct mkrt_shm_client *c);

MKRT_END_DECLS

#endif /* MKRT_SHM_H */
