/* SPDX-License-Identifier: MIT */
/*
 * mkrt_kernel_abi.h - the megakernel's ABI beyond the wire format
 * (mkrt/protocol.h): its arguments in the order cl/megakernel.cl declares
 * them, and the copy backend's withdrawal words. Valid OpenCL C and C11:
 * cl/megakernel.cl and the host (runtime/opencl/resident.h) include it.
 */
#ifndef MKRT_KERNEL_ABI_H
#define MKRT_KERNEL_ABI_H

/* mkrt_megakernel's arguments: buffers, and word counts (uint) */
#define MKRT_KARG_RING           0u  /* buffer: the ring */
#define MKRT_KARG_SLOTS          1u
#define MKRT_KARG_CONTROL        2u  /* buffer: the control words */
#define MKRT_KARG_CONTROL_WORDS  3u
#define MKRT_KARG_DEBUG          4u  /* buffer: the debug log */
#define MKRT_KARG_DEBUG_WORDS    5u
#define MKRT_KARG_DFA            6u  /* buffer: the DFA table */
#define MKRT_KARG_DFA_WORDS      7u
#define MKRT_KARG_EPOCH_SLOTS    8u  /* slots a lane runs before it returns */
#define MKRT_KARG_IO             9u  /* buffer: the IO queue */
#define MKRT_KARG_RESIDENCY     10u  /* buffer: resource -> frame + 1 */
#define MKRT_KARG_RESOURCES     11u
#define MKRT_KARG_FRAMES        12u  /* buffer: frame metadata */
#define MKRT_KARG_FRAME_COUNT   13u
#define MKRT_KARG_ARENA         14u  /* buffer: the frames' bytes */
#define MKRT_KARG_FRAME_WORDS   15u
#define MKRT_KARG_WITHDRAW      16u  /* buffer: withdrawal words (MKRT_HOST_NO_RMW builds only) */
#define MKRT_KARG_CLAIMS        17u  /* buffer in device memory: the claim table (PTX builds only) */
#define MKRT_KARG_COUNT_CL20    16u  /* arguments of an OpenCL C 2.0+ (svm) build */
#define MKRT_KARG_COUNT         17u  /* ... with withdrawal words: OpenCL C 1.2 (copy),
                                        or 2.0+ with -DMKRT_HOST_NO_RMW (svm, fine) */
#define MKRT_KARG_COUNT_BUS     18u  /* ... and of one for a bus (cuda's PTX) */

/* The withdrawal words, where the host never read-modify-writes a ring
 * word (MKRT_HOST_NO_RMW, cl/mkrt_atomics.h; runtime/backends/withdraw.c):
 * one per slot (the host sets 1 to withdraw a PUBLISHED slot), then one
 * that is non-zero while any of them is set.
 * The cuda backend adds its doorbell after them, a 64-bit word (two words,
 * 8-byte aligned): the slot the host published last in its low half, and a
 * count the host raises with every publish in its high half, one word so
 * that a lane's one acquire load sees the two together. Lanes over a bus
 * watch it instead of the ring (cl/megakernel.cl). */
#define MKRT_WITHDRAW_ANY(slots)   (slots)
#define MKRT_DOORBELL(slots)       (((slots) + 2u) & ~1u)
#define MKRT_WITHDRAW_WORDS(slots) (MKRT_DOORBELL(slots) + 2u)

#endif /* MKRT_KERNEL_ABI_H */
