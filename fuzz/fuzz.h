/* SPDX-License-Identifier: MIT */
/*
 * fuzz.h - what the libFuzzer targets share: a reader that takes words off
 * the input (zeros once it runs dry), a fixed set of executor buffers, and
 * a check that aborts, so that libFuzzer records the input as a crash.
 */
#ifndef MKRT_FUZZ_H
#define MKRT_FUZZ_H

#include "mkrt.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A property the code under test promised and broke: a crash to libFuzzer. */
#define FUZZ_CHECK(cond)                                                              \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "%s:%d: property broken: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                      \
		}                                                                     \
	} while (0)

struct fuzz_input {
	const uint8_t *p;
	size_t left;
};

static inline uint32_t fuzz_u32(struct fuzz_input *in)
{
	uint32_t v = 0;
	size_t n = in->left < 4 ? in->left : 4;

	memcpy(&v, in->p, n);
	in->p += n;
	in->left -= n;
	return v;
}

static inline uint8_t fuzz_u8(struct fuzz_input *in)
{
	uint8_t v = in->left ? in->p[0] : 0;

	if (in->left) {
		in->p++;
		in->left--;
	}
	return v;
}

/* The reference executor's buffers, sized as a small runtime's, with the
 * default control buffer (tenant base 3, tenant 0 authorized). No IO
 * queue: LOAD_MISS faults NO_IO rather than waiting for a servicer. */
#define FUZZ_SLOTS 8u
#define FUZZ_CTL_WORDS (MKRT_CTL_OBS + 64u)
#define FUZZ_LOG_RECORDS 8u

struct fuzz_exec {
	uint32_t ring[FUZZ_SLOTS * MKRT_SLOT_WORDS];
	uint32_t ctl[FUZZ_CTL_WORDS];
	uint32_t log[1 + 4 * FUZZ_LOG_RECORDS];
	uint32_t dfa[2 * 256];
	struct mkrt_exec_buffers b;
};

static inline void fuzz_exec_init(struct fuzz_exec *x)
{
	memset(x, 0, sizeof(*x));
	if (mkrt_encode_control_into(NULL, (uint8_t *)x->ctl, sizeof(x->ctl)))
		abort();
	for (uint32_t i = 0; i < 2 * 256; i++)
		x->dfa[i] = i * 2654435761u;
	x->b = (struct mkrt_exec_buffers){
		.ring = x->ring, .slot_count = FUZZ_SLOTS,
		.control = x->ctl, .control_words = FUZZ_CTL_WORDS,
		.debug_log = x->log, .debug_words = 1 + 4 * FUZZ_LOG_RECORDS,
		.dfa = x->dfa, .dfa_words = 2 * 256,
	};
}

/* Run every runnable slot; a slot the executor ran ends DONE or FAULT. */
static inline void fuzz_exec_drain(struct fuzz_exec *x)
{
	FUZZ_CHECK(mkrt_reference_drain(&x->b) >= 0);
}

#endif /* MKRT_FUZZ_H */
