/* SPDX-License-Identifier: MIT */
/*
 * mkrt/error.h - error codes.
 *
 * Every mkrt function returns 0 (or a count) on success and a negative
 * MKRT_E* code on failure. MKRT_ERRNO_MAP is the single list: it generates
 * the enum, mkrt_err_name() and mkrt_strerror(). Every message ends in an
 * actionable "Fix: ..." hint.
 */
#ifndef MKRT_ERROR_H
#define MKRT_ERROR_H

#include "common.h"

MKRT_BEGIN_DECLS

#define MKRT_ERRNO_MAP(X)                                                           \
	X(INVAL, 1, "invalid argument (NULL pointer or value out of its domain)",        \
	  "Fix: pass non-NULL pointers and values the function documents")                \
	X(SHORT, 2, "buffer too short for the requested layout",                          \
	  "Fix: size the buffer with the matching mkrt_*_byte_len() function")             \
	X(ALIGN, 3, "buffer length is not a whole number of words or slots",              \
	  "Fix: pass a length that is a multiple of 4 bytes (64 for rings)")               \
	X(RANGE, 4, "index out of range (slot, word or record)",                          \
	  "Fix: keep indices below the buffer's count (see mkrt_ring_slot_count())")       \
	X(TOOBIG, 5, "more than 1,048,576 entries requested",                             \
	  "Fix: ask for at most MKRT_MAX_ENTRIES slots, words or records")                 \
	X(OVERFLOW, 6, "byte-length arithmetic overflowed",                               \
	  "Fix: ask for fewer entries")                                                    \
	X(NOMEM, 7, "out of memory",                                                      \
	  "Fix: free memory or ask for a smaller ring")                                    \
	X(STATE, 8, "illegal slot state transition",                                      \
	  "Fix: publish only into EMPTY or DONE slots; reset FAULT slots with mkrt_slot_reset()") \
	X(OPCODE, 9, "opcode is reserved for the system and not publishable",             \
	  "Fix: use a builtin opcode or a user opcode outside <=7, 0xFFF0..0xFFFF and the high bit") \
	X(ARGS, 10, "too many slot arguments",                                            \
	  "Fix: pass at most 12 argument words (MKRT_SLOT_ARGS)")                          \
	X(PACKED, 11, "malformed or oversized PACKED_SLOT",                               \
	  "Fix: pack 1..MKRT_PACKED_MAX_OPS builtin ops whose arguments fit 12 words")     \
	X(NOTLOADMISS, 12, "slot does not hold a LOAD_MISS opcode",                       \
	  "Fix: decode only slots encoded by mkrt_encode_load_miss() or vyre")             \
	X(MALFORMED, 13, "malformed buffer contents",                                     \
	  "Fix: encode the buffer with the matching mkrt_encode_* function")               \
	X(NOBACKEND, 14, "no backend of that name",                                       \
	  "Fix: set MKRT_BACKEND to one of the names mkrt_backend_name() lists (e.g. host)") \
	X(UNAVAILABLE, 15, "backend is unavailable on this machine",                      \
	  "Fix: pick another backend, or read mkrt_backend_probe()'s reason")             \
	X(RINGFULL, 16, "no free ring slot within the timeout",                           \
	  "Fix: wait for earlier tickets with mkrt_wait(), or open a larger ring")         \
	X(TIMEDOUT, 17, "timed out waiting for a slot or the backend",                    \
	  "Fix: raise the timeout, or check that the tenant is authorized and the backend runs") \
	X(STALE, 18, "ticket is stale (already collected, cancelled or never issued)",    \
	  "Fix: wait for each ticket once, from the thread that owns it")                  \
	X(SLOTFAULT, 19, "the slot completed with FAULT",                                 \
	  "Fix: read the reason in the result's word 15 (MKRT_FAULT_*) and fix the request") \
	X(THREAD, 20, "could not start or join a thread",                                 \
	  "Fix: raise the process thread limit or free resources")                         \
	X(HANDLER, 21, "invalid user opcode handler table",                               \
	  "Fix: register each user opcode once, with a non-NULL function")                 \
	X(SHUTDOWN, 22, "runtime is shut down",                                           \
	  "Fix: open a new runtime; a SHUTDOWN slot or mkrt_runtime_stop() ended this one") \
	X(BUSY, 23, "slot is already claimed by the executor",                            \
	  "Fix: wait for the ticket instead of cancelling it")                             \
	X(AGAIN, 24, "not finished yet",                                                  \
	  "Fix: poll again later, or block with mkrt_wait()")                              \
	X(CL, 25, "an OpenCL call failed (mkrt_last_detail() names the call and CL error)", \
	  "Fix: check the OpenCL driver install (clinfo), or pick another device or backend") \
	X(BUILD, 26, "the megakernel did not compile (mkrt_last_detail() holds the build log)", \
	  "Fix: correct the OpenCL C named in the log (user handlers included)")          \
	X(NODEVICE, 27, "no OpenCL device matches",                                       \
	  "Fix: install a driver (apt-get install pocl-opencl-icd) or correct MKRT_DEVICE (see mkrt devices)") \
	X(CAPTURE, 28, "malformed capture",                                               \
	  "Fix: pass a file written by mkrt replay or mkrt_capture_encode() (magic MKRTCAP1)") \
	X(SHM, 29, "shared-memory segment unusable (bad name, not a live mkrt segment, or no free producer ring)", \
	  "Fix: name it /[A-Za-z0-9._-]+ (at most 200 characters), start the server first (mkrt serve), and see mkrt_last_detail()") \
	X(CANCELED, 30, "the ticket was withdrawn before any lane ran it",                 \
	  "Fix: nothing to undo: it never ran; submit it again if it is still wanted")    \
	X(INPROGRESS, 31, "cancel requested, but no lane has answered yet",               \
	  "Fix: mkrt_wait() for the ticket: it ends once, MKRT_ECANCELED if withdrawn or its own result if it ran first") \
	X(CUDA, 32, "a CUDA driver call failed (mkrt_last_detail() names the call and error)", \
	  "Fix: check the GPU and its driver (nvidia-smi), or pick another backend (MKRT_BACKEND=svm)") \
	X(NOTSUP, 33, "this backend does not support the request",                      \
	  "Fix: read mkrt_last_detail() for what it lacks, and pick another backend (MKRT_BACKEND)")

enum mkrt_error {
	MKRT_OK = 0,
#define MKRT__ERR_ENUM(name, num, msg, fix) MKRT_E##name = -(num),
	MKRT_ERRNO_MAP(MKRT__ERR_ENUM)
#undef MKRT__ERR_ENUM
};

/*
 * mkrt_err_name - the symbolic name of an error code ("MKRT_ERANGE").
 * Returns "MKRT_OK" for 0 and "MKRT_E?" for unknown codes; never NULL.
 * Thread-safe.
 */
MKRT_API const char *mkrt_err_name(int err);

/*
 * mkrt_strerror - a one-line message for an error code, ending in a
 * "Fix: ..." hint. Never NULL; unknown codes get a generic message.
 * Thread-safe (static strings).
 */
MKRT_API const char *mkrt_strerror(int err);

/*
 * mkrt_last_detail - details of the last failure on this thread that had more
 * to say than its code (which backend was refused and why, the available
 * ones). Empty string when there is none. Valid until the thread's next mkrt
 * call; thread-local.
 */
MKRT_API const char *mkrt_last_detail(void);

MKRT_END_DECLS

#endif /* MKRT_ERROR_H */
