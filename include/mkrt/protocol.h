/* SPDX-License-Identifier: MIT */
/*
 * mkrt/protocol.h - the megakernel wire ABI.
 *
 * This header is shared verbatim by host C and by the OpenCL C megakernel in
 * cl/, so it holds only #defines (all values are unsigned 32-bit literals).
 * Every buffer is an array of little-endian u32 words. The layout is
 * compatible with vyre's megakernel protocol: a slot encoded by vyre's
 * encode_load_miss decodes here byte for byte, and vice versa.
 */
#ifndef MKRT_PROTOCOL_H
#define MKRT_PROTOCOL_H

/* Bumped on any incompatible change; the runtime stores it in MKRT_CTL_VERSION. */
#define MKRT_PROTOCOL_VERSION 1u

/* ---- Slot: 16 words = 64 bytes ------------------------------------------ */
#define MKRT_SLOT_WORDS 16u
#define MKRT_SLOT_BYTES 64u
#define MKRT_WORD_BYTES 4u

#define MKRT_SLOT_STATUS   0u
#define MKRT_SLOT_OPCODE   1u
#define MKRT_SLOT_TENANT   2u
#define MKRT_SLOT_PRIORITY 3u
#define MKRT_SLOT_ARG0     4u  /* ARG0..ARG11 are slot words 4..15 */
#define MKRT_SLOT_ARGS     12u
/* A FAULTed slot carries its reason code (MKRT_FAULT_*) in its last word, ARG11. */
#define MKRT_SLOT_FAULT_REASON 15u

/* ---- Slot status (word 0) ------------------------------------------------ */
#define MKRT_STATUS_EMPTY     0u
#define MKRT_STATUS_PUBLISHED 1u
#define MKRT_STATUS_CLAIMED   2u
#define MKRT_STATUS_DONE      3u
#define MKRT_STATUS_WAIT_IO   4u
#define MKRT_STATUS_YIELD     5u
#define MKRT_STATUS_REQUEUE   6u
#define MKRT_STATUS_FAULT     7u
#define MKRT_STATUS_COUNT     8u

/* ---- Opcodes (word 1) ---------------------------------------------------- */
#define MKRT_OP_NOP          0u
#define MKRT_OP_STORE_U32    1u  /* C[a1] = a0 */
#define MKRT_OP_ATOMIC_ADD   2u  /* C[a1] += a0, wrapping */
#define MKRT_OP_LOAD_U32     3u  /* C[OBS+a1] = C[a0] */
#define MKRT_OP_COMPARE_SWAP 4u  /* C[OBS+a0] = CAS(C[a0], a1 -> a2) */
#define MKRT_OP_MEMCPY       5u  /* C[a1+i] = C[a0+i], i < a2, ascending */
#define MKRT_OP_DFA_STEP     6u  /* C[OBS+a2] = T[a0*MKRT_DFA_COLUMNS + a1] */
#define MKRT_OP_BATCH_FENCE  7u  /* C[EPOCH] += 1; C[OBS] = a1 */
#define MKRT_OP_LOAD_MISS    0xFFFDu      /* a0 resource id, a1 prefetch 0/1 */
#define MKRT_OP_PRINTF       0xFFFEu      /* debug log += {a0, a1, a2, slot*16} */
#define MKRT_OP_PACKED_SLOT  0x80000001u  /* inner ops, layout below */
#define MKRT_OP_SHUTDOWN     0xFFFFFFFFu  /* C[SHUTDOWN] = 1 */

/* DFA_STEP's table has one column per byte value: T[state * 256 + byte]. */
#define MKRT_DFA_COLUMNS     256u

/* Reserved for the system: opcodes <= 7, 0xFFF0..0xFFFF and the high bit. */
#define MKRT_OP_BUILTIN_LAST   7u
#define MKRT_OP_SYSTEM_FIRST   0xFFF0u
#define MKRT_OP_SYSTEM_LAST    0xFFFFu
#define MKRT_OP_HIGH_BIT       0x80000000u
/* Opcodes below this count themselves in C[MKRT_CTL_METRICS + opcode]. */
#define MKRT_OP_METRIC_LIMIT   32u

/* ---- Fault reasons (slot word 15 of a FAULTed slot) ----------------------- */
#define MKRT_FAULT_NONE           0u
#define MKRT_FAULT_UNKNOWN_OPCODE 1u  /* no builtin and no handler for it */
#define MKRT_FAULT_OUT_OF_RANGE   2u  /* an index left its buffer */
#define MKRT_FAULT_PACKED         3u  /* malformed PACKED_SLOT layout */
#define MKRT_FAULT_HANDLER        4u  /* a user handler reported failure */
#define MKRT_FAULT_IO             5u  /* a load miss failed */
#define MKRT_FAULT_NO_IO          6u  /* LOAD_MISS with no IO servicer attached */
#define MKRT_FAULT_REJECTED       7u  /* refused at intake (malformed slot) */

/* ---- PACKED_SLOT layout (vyre's) ------------------------------------------
 * In the 48 argument bytes: byte 0 = op count n, byte 1 = packed argument
 * words (those after the metadata), then n pairs (inner opcode u8, argument
 * offset u8). The metadata takes ceil((2 + 2n) / 4) words; inner op k reads
 * its three arguments from argument word metadata_words + offset_k.
 * One op-count limit, enforced the same by host and device. */
#define MKRT_PACKED_MAX_OPS        8u
#define MKRT_PACKED_OP_ARGS        3u
#define MKRT_PACKED_META_WORDS(n)  ((2u + 2u * (n) + 3u) / 4u)

/* ---- Control buffer (u32 words) ------------------------------------------ */
#define MKRT_CTL_SHUTDOWN        0u
#define MKRT_CTL_DONE_COUNT      1u
#define MKRT_CTL_TENANT_BASE     2u   /* mask of tenant t is C[C[2] + t] */
#define MKRT_CTL_TENANT_FIRST    3u   /* masks must lie in words 3..31 */
#define MKRT_CTL_TENANT_LAST     31u
#define MKRT_CTL_TENANT_BASE_DEFAULT 3u
#define MKRT_CTL_QUOTAS          32u  /* 32 words */
#define MKRT_CTL_FAIRNESS        64u  /* 32 words */
#define MKRT_CTL_METRICS         96u  /* 32 words, one per opcode < 32 */
#define MKRT_CTL_TENANT_SLOTS    32u
#define MKRT_CTL_EPOCH           128u
#define MKRT_CTL_PRIO_OFFSETS    129u /* 6 words */
#define MKRT_CTL_PRIO_PARTITIONS 6u
#define MKRT_CTL_STARVATION      135u
#define MKRT_CTL_PRIO_FAIRNESS   136u /* 5 words */
#define MKRT_CTL_PRIO_FAIRNESS_WORDS 5u
/* mkrt's own words, in the range vyre leaves free (141..159). */
#define MKRT_CTL_VERSION         141u /* MKRT_PROTOCOL_VERSION */
#define MKRT_CTL_FAULT_COUNT     142u /* slots that ended FAULT */
#define MKRT_CTL_YIELD           143u /* host sets 1: lanes return (epoch time budget) */
#define MKRT_CTL_CLOCK_HAND      144u /* copy: the lanes' clock hand over the arena */
#define MKRT_CTL_EVICTIONS       145u /* copy: frames the lanes took from a resource */
#define MKRT_CTL_BUSY_LANES      146u /* lanes inside a slot that may block: spare lanes wake */
#define MKRT_CTL_MKRT_FIRST      141u
#define MKRT_CTL_MKRT_LAST       159u
#define MKRT_CTL_OBS             160u /* OBSERVABLE results start here */
#define MKRT_CTL_MIN_WORDS       160u /* vyre's minimum; mkrt adds >= 1 OBS word */

/* ---- Debug log --------------------------------------------------------------
 * Word 0 is the cursor in words (it saturates and keeps counting past the
 * end, so overflow is counted); 4-word records start at word 1. */
#define MKRT_LOG_CURSOR          0u
#define MKRT_LOG_FIRST           1u
#define MKRT_LOG_RECORD_WORDS    4u
#define MKRT_LOG_DEFAULT_RECORDS 64u

/* ---- IO queue (load misses): 64 slots of 8 words ---------------------------- */
#define MKRT_IO_SLOTS        64u
#define MKRT_IO_WORDS        8u
#define MKRT_IO_OP           0u
#define MKRT_IO_SRC          1u
#define MKRT_IO_DST          2u
#define MKRT_IO_OFFSET_LO    3u
#define MKRT_IO_OFFSET_HI    4u
#define MKRT_IO_BYTES        5u
#define MKRT_IO_STATUS       6u
#define MKRT_IO_TAG          7u

#define MKRT_IO_OP_READ      1u
#define MKRT_IO_OP_WRITE     2u
#define MKRT_IO_OP_FENCE     3u

#define MKRT_IO_EMPTY        0u
#define MKRT_IO_PUBLISHED    1u
#define MKRT_IO_CLAIMED      2u
#define MKRT_IO_DONE         3u
#define MKRT_IO_OK           0x10u
#define MKRT_IO_ERROR        0x11u  /* the error code (MKRT_IOERR_*) is in DST */
#define MKRT_IO_RESERVED     0x20u  /* mkrt: a lane holds it while writing a request */
/* TAG of a prefetch request: the servicer recycles the IO slot itself. */
#define MKRT_IO_TAG_PREFETCH 0x80000000u

/* ---- Load misses (DESIGN §6) ------------------------------------------------
 * A LOAD_MISS slot: ARG0 resource id, ARG1 prefetch (0/1) in; out: ARG2 frame
 * index, ARG3 byte count, ARG4 checksum (mkrt_checksum), ARG5 outcome; on
 * FAULT (reason MKRT_FAULT_IO) ARG10 holds the MKRT_IOERR_* code. */
#define MKRT_LM_FRAME        2u   /* argument indices */
#define MKRT_LM_BYTES        3u
#define MKRT_LM_CHECKSUM     4u
#define MKRT_LM_OUTCOME      5u
#define MKRT_LM_ERROR        10u
#define MKRT_LM_NO_FRAME     0xFFFFFFFFu

#define MKRT_LM_HIT           1u  /* resident: no IO request */
#define MKRT_LM_MISS          2u  /* loaded by the IO servicer */
#define MKRT_LM_PREFETCH      3u  /* queued; DONE without waiting */
#define MKRT_LM_PREFETCH_HIT  4u  /* prefetch of a resident resource: nothing to do */

#define MKRT_IOERR_OPEN       1u  /* the resource file could not be opened */
#define MKRT_IOERR_SHORT      2u  /* the file ended inside the record */
#define MKRT_IOERR_RANGE      3u  /* resource id >= the resource count */
#define MKRT_IOERR_RESOLVER   4u  /* a user resolver reported failure */
#define MKRT_IOERR_NO_FRAME   5u  /* every frame is pinned by a waiting lane */
#define MKRT_IOERR_SHUTDOWN   6u  /* the runtime stopped while the lane waited */
#define MKRT_IOERR_READ       7u  /* the read itself failed */
#define MKRT_IOERR_TOO_BIG    8u  /* the resource is larger than a frame */

/* Arena frame metadata: one 64-byte line per frame, so pinning one frame
 * never contends with another's. PIN counts lanes using the frame; the
 * servicer sets MKRT_FRAME_EVICTING in it while it reloads the frame. The
 * first executor to checksum a frame since it was filled keeps the sum in SUM
 * and then sets SUMMED (release); the frame's bytes do not change while it
 * is resident, so a hit returns the kept sum. The servicer clears SUMMED when
 * it refills the frame. The residency table maps a resource id to frame + 1
 * (0: not resident). */
#define MKRT_FRAME_RESOURCE  0u   /* resource id + 1, 0 when empty */
#define MKRT_FRAME_BYTES     1u
#define MKRT_FRAME_PIN       2u
#define MKRT_FRAME_REF       3u   /* clock bit, set on every hit */
#define MKRT_FRAME_SUM       4u   /* the frame's checksum, once SUMMED */
#define MKRT_FRAME_SUMMED    5u
#define MKRT_FRAME_WORDS     16u  /* words 6..15 reserved */
#define MKRT_FRAME_EVICTING  0x80000000u

/* Checksum of a loaded resource: the little-endian words (the last one
 * zero-padded) go round-robin into MKRT_CHECKSUM_WAYS FNV-1a accumulators,
 * each starting at 2166136261 ^ bytes, a_k = (a_k ^ w) * 16777619; the
 * result folds them in order: h = 2166136261 ^ bytes, h = (h ^ a_k) * 16777619.
 * Four independent chains, so a device sums 4 KiB in a quarter of the time. */
#define MKRT_CHECKSUM_WAYS   4u
#define MKRT_CHECKSUM_BASIS  2166136261u
#define MKRT_CHECKSUM_PRIME  16777619u

/* ---- Handshake probe words (svm backend) ------------------------------------- */
#define MKRT_PROBE_RUNNING   0x52554E31u  /* device: "I am running" */
#define MKRT_PROBE_GO        0x474F2121u  /* host: a store made while it runs */
#define MKRT_PROBE_ANSWER    0x41434B21u  /* device: "I saw it" */
#define MKRT_PROBE_GAVE_UP   0x54494D45u  /* device: spin budget spent */

/* ---- Limits -------------------------------------------------------------- */
/* Ring, observable and debug-log encoders refuse more entries than this. */
#define MKRT_MAX_ENTRIES     1048576u

#if !defined(__OPENCL_C_VERSION__) && !defined(__OPENCL_VERSION__)
/* Host-only pins of the layout, in C11 or C++11 spelling. */
#ifdef __cplusplus
#define MKRT_PROTOCOL_ASSERT(cond, why) static_assert(cond, why)
#else
#define MKRT_PROTOCOL_ASSERT(cond, why) _Static_assert(cond, why)
#endif
MKRT_PROTOCOL_ASSERT(MKRT_SLOT_WORDS * MKRT_WORD_BYTES == MKRT_SLOT_BYTES, "slot is 64 bytes");
MKRT_PROTOCOL_ASSERT(MKRT_SLOT_ARG0 + MKRT_SLOT_ARGS == MKRT_SLOT_WORDS, "12 args fill the slot");
MKRT_PROTOCOL_ASSERT(MKRT_SLOT_FAULT_REASON == MKRT_SLOT_WORDS - 1u, "fault reason is the last word");
MKRT_PROTOCOL_ASSERT(MKRT_CTL_METRICS + MKRT_OP_METRIC_LIMIT == MKRT_CTL_EPOCH, "metrics end at EPOCH");
MKRT_PROTOCOL_ASSERT(MKRT_CTL_PRIO_OFFSETS + MKRT_CTL_PRIO_PARTITIONS == MKRT_CTL_STARVATION,
	       "priority offsets end at the starvation counter");
MKRT_PROTOCOL_ASSERT(MKRT_CTL_PRIO_FAIRNESS + MKRT_CTL_PRIO_FAIRNESS_WORDS == MKRT_CTL_MKRT_FIRST,
	       "mkrt's words start after vyre's");
MKRT_PROTOCOL_ASSERT(MKRT_CTL_MKRT_LAST < MKRT_CTL_OBS, "mkrt's words stay below OBS");
MKRT_PROTOCOL_ASSERT(MKRT_CTL_OBS == MKRT_CTL_MIN_WORDS, "OBS starts at vyre's minimum");
MKRT_PROTOCOL_ASSERT(MKRT_IO_TAG == MKRT_IO_WORDS - 1u, "IO slot is 8 words");
MKRT_PROTOCOL_ASSERT(MKRT_PACKED_META_WORDS(MKRT_PACKED_MAX_OPS) < MKRT_SLOT_ARGS,
	       "the largest packed header leaves room for arguments");
MKRT_PROTOCOL_ASSERT(2u + 2u * MKRT_PACKED_MAX_OPS <= MKRT_SLOT_ARGS * MKRT_WORD_BYTES,
	       "packed metadata fits the argument bytes");
#endif

#endif /* MKRT_PROTOCOL_H */
