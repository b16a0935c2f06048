/* SPDX-License-Identifier: MIT */
/*
 * cuda_ladder.h - the ping ladder's modes and memory layout, shared by its
 * kernel (cuda_ops.cl, mkrt_ladder) and its host (cuda_ops.c): word offsets
 * in one pinned buffer of LADDER_WORDS words.
 */
#ifndef MKRT_CUDA_LADDER_H
#define MKRT_CUDA_LADDER_H

#define LADDER_SAME  1u  /* the answer in the slot's own line, as DONE */
#define LADDER_ROUND 2u  /* poll with a round's loads: slot, control words, bell */
#define LADDER_RING  4u  /* slot i % LADDER_SLOTS, as a producer fills a ring */
#define LADDER_CLAIM 8u  /* take a claim in device memory first; drop it behind a fence */
#define LADDER_REDS  16u /* a metric's and DONE_COUNT's reductions after */

#define LADDER_SLOTS       64u
#define LADDER_ANSWER_LINE 1024u /* where the answers live without LADDER_SAME */
#define LADDER_CTL         2048u
#define LADDER_BELL        3072u /* a 64-bit word */
#define LADDER_WORDS       4096u

#endif
