/* SPDX-License-Identifier: MIT */
/*
 * mkrt/capture.h - captures (DESIGN §2) and replay, for bug reports and
 * cross-checks between backends.
 *
 * A capture is, little-endian: magic "MKRTCAP1", then u32 slot_count,
 * control_words, debug_words, io_words, dfa_words, reserved 0; then the
 * control, ring, debug-log, IO-queue and DFA-table words in that order.
 */
#ifndef MKRT_CAPTURE_H
#define MKRT_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

MKRT_BEGIN_DECLS

#define MKRT_CAPTURE_MAGIC "MKRTCAP1"
#define MKRT_CAPTURE_HEADER_BYTES 32u

struct mkrt_capture {
	uint32_t slot_count;
	uint32_t control_words;    /* >= MKRT_CTL_OBS + 1 */
	uint32_t debug_words;      /* 0, or 1 + 4 * records */
	uint32_t io_words;         /* 0, or MKRT_IO_SLOTS * MKRT_IO_WORDS */
	uint32_t dfa_words;
	uint32_t *control;         /* all five arrays live in one allocation */
	uint32_t *ring;
	uint32_t *debug;
	uint32_t *io;
	uint32_t *dfa;
};

/* mkrt_capture_alloc - a zeroed capture of these sizes (validated as a
 * decoder would). Free with mkrt_capture_free(). Errors: ECAPTURE, NOMEM. */
MKRT_API int mkrt_capture_alloc(struct mkrt_capture *c, uint32_t slot_count,
				uint32_t control_words, uint32_t debug_words, uint32_t io_words,
				uint32_t dfa_words);
MKRT_API void mkrt_capture_free(struct mkrt_capture *c);

/* mkrt_capture_decode - parse and validate @len bytes. Any malformation (bad
 * magic, sizes out of range, a length that does not match) is ECAPTURE with
 * the reason in mkrt_last_detail(); *@out is untouched then. */
MKRT_API int mkrt_capture_decode(const uint8_t *buf, size_t len, struct mkrt_capture *out);

/* mkrt_capture_encode - lay @c out; free() *@out. Errors: EINVAL, ECAPTURE, NOMEM. */
MKRT_API int mkrt_capture_encode(const struct mkrt_capture *c, uint8_t **out, size_t *len);

/*
 * mkrt_replay - load @in into backend @backend (NULL: the usual choice), run
 * it until quiescent (no authorized PUBLISHED slot is left, or SHUTDOWN ran)
 * and return the final state in @out (same sizes; mkrt_capture_free() it).
 * @serial runs the PUBLISHED slots one at a time in ascending index order, in
 * a single pass: a slot whose tenant is denied when its turn comes stays
 * PUBLISHED, and after a SHUTDOWN slot no further slot runs. Serial results
 * are deterministic and identical on every backend. Errors: EINVAL,
 * ECAPTURE, ETIMEDOUT (not quiescent within @timeout_ms), and open errors.
 */
MKRT_API int mkrt_replay(const char *backend, bool serial, const struct mkrt_capture *in,
			 uint32_t timeout_ms, struct mkrt_capture *out);

/*
 * mkrt_runtime_capture - what a running runtime holds now, as a capture in
 * @out (mkrt_capture_free() it): its control words, ring, debug log, IO
 * queue and DFA table, each read as one snapshot while executors may still
 * move slots (a slot read mid-flight is as it was at that moment).
 * Errors: EINVAL, NOMEM, ECAPTURE (a region too large for a capture).
 */
struct mkrt_runtime;
MKRT_API int mkrt_runtime_capture(struct mkrt_runtime *rt, struct mkrt_capture *out);

MKRT_END_DECLS

#endif /* MKRT_CAPTURE_H */
