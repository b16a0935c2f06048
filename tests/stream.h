/* SPDX-License-Identifier: MIT */
/*
 * stream.h - seeded random slot streams for the differential tests.
 *
 * Slots cover every opcode, denied tenants, out-of-range indices, packed
 * slots and PRINTF. Slots are grouped in waves whose members commute, so the
 * final state is exact whatever order concurrent lanes run them in: within a
 * wave no word is written by one slot and read or written by another (adds to
 * one word commute with each other), and at most one PRINTF (log order).
 * Control words that every slot counts into (DONE_COUNT, metrics, EPOCH,
 * FAULT_COUNT) are only ever added to, never targeted.
 */
#ifndef MKRT_TEST_STREAM_H
#define MKRT_TEST_STREAM_H

#include <stdint.h>
#include <string.h>

#include "mkrt.h"

#define STREAM_OBS       64u                     /* observable words */
#define STREAM_W         (MKRT_CTL_OBS + STREAM_OBS)
#define STREAM_DFA_WORDS (4u * 256u)
#define STREAM_DENIED    2u                      /* tenant 2 has mask 0 */

struct stream {
	uint64_t rng;
	uint8_t touch[STREAM_W];   /* per word: 0 none, 1 read, 2 written, 3 added */
	uint32_t wave_len, wave_cap;
	bool wave_printf;
};

enum { T_NONE, T_READ, T_WRITE, T_ADD };

static inline uint32_t stream_rand(struct stream *s, uint32_t n)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return n ? (uint32_t)(s->rng % n) : 0;
}

static inline void stream_init(struct stream *s, uint64_t seed, uint32_t wave_cap)
{
	memset(s, 0, sizeof(*s));
	s->rng = seed * 0x9E3779B97F4A7C15ull + 1;
	s->wave_cap = wave_cap;
}

/* Control config of a stream runtime: tenants 0, 1 authorized, 2 denied. */
static inline void stream_control(struct mkrt_control_config *c)
{
	mkrt_control_config_default(c);
	c->tenant_count = 3;
	c->tenant_masks[0] = 1;
	c->tenant_masks[1] = 0xF0;
	c->tenant_masks[2] = 0;
}

static inline void stream_dfa(uint32_t *dfa)
{
	for (uint32_t i = 0; i < STREAM_DFA_WORDS; i++)
		dfa[i] = i * 2654435761u;
}

/* A word a slot may target: quotas/fairness (32..95) or OBS (160..W). */
static inline uint32_t stream_word(struct stream *s)
{
	return stream_rand(s, 2) ? MKRT_CTL_OBS + stream_rand(s, STREAM_OBS) : 32u + stream_rand(s, 64);
}

/* An index that is out of range for the control buffer. */
static inline uint32_t stream_bad(struct stream *s)
{
	static const uint32_t bad[] = { STREAM_W, STREAM_W + 7, 0x7FFFFFFFu, 0xFFFFFFFFu };
	return bad[stream_rand(s, 4)];
}

/* Effects of one builtin on control words, as the spec defines them. */
struct effect {
	uint32_t reads[16], nreads, writes[16], nwrites, adds[4], nadds;
	bool faults;
};

static inline void effect_of(uint32_t op, const uint32_t *a, struct effect *e)
{
	const uint64_t W = STREAM_W, OBS = MKRT_CTL_OBS;

	switch (op) {
	case MKRT_OP_STORE_U32:
		if (a[1] >= W)
			e->faults = true;
		else
			e->writes[e->nwrites++] = a[1];
		break;
	case MKRT_OP_ATOMIC_ADD:
		if (a[1] >= W)
			e->faults = true;
		else
			e->adds[e->nadds++] = a[1];
		break;
	case MKRT_OP_LOAD_U32:
		if (a[0] >= W || OBS + a[1] >= W) {
			e->faults = true;
		} else {
			e->reads[e->nreads++] = a[0];
			e->writes[e->nwrites++] = (uint32_t)(OBS + a[1]);
		}
		break;
	case MKRT_OP_COMPARE_SWAP:
		if (a[0] >= W || OBS + a[0] >= W) {
			e->faults = true;
		} else {
			e->writes[e->nwrites++] = a[0];
			e->writes[e->nwrites++] = (uint32_t)(OBS + a[0]);
		}
		break;
	case MKRT_OP_MEMCPY:
		if ((uint64_t)a[0] + a[2] > W || (uint64_t)a[1] + a[2] > W) {
			e->faults = true;
			break;
		}
		for (uint32_t i = 0; i < a[2]; i++) {
			e->reads[e->nreads++] = a[0] + i;
			e->writes[e->nwrites++] = a[1] + i;
		}
		break;
	case MKRT_OP_DFA_STEP:
		if (a[1] >= 256 || (uint64_t)a[0] * 256 + a[1] >= STREAM_DFA_WORDS || OBS + a[2] >= W)
			e->faults = true;
		else
			e->writes[e->nwrites++] = (uint32_t)(OBS + a[2]);
		break;
	case MKRT_OP_BATCH_FENCE:
		e->writes[e->nwrites++] = MKRT_CTL_OBS;
		break;
	}
}

/* Random arguments for builtin @op: mostly valid, sometimes out of range. */
static inline void stream_args(struct stream *s, uint32_t op, uint32_t *a)
{
	bool bad = stream_rand(s, 10) == 0;

	a[0] = stream_rand(s, 1000);
	a[1] = stream_word(s);
	a[2] = 0;
	switch (op) {
	case MKRT_OP_LOAD_U32:
		a[0] = bad ? stream_bad(s) : stream_word(s);
		a[1] = stream_rand(s, STREAM_OBS);
		break;
	case MKRT_OP_COMPARE_SWAP:
		a[0] = bad ? stream_bad(s) : 32u + stream_rand(s, 32);
		a[1] = stream_rand(s, 3);
		a[2] = stream_rand(s, 1000);
		break;
	case MKRT_OP_MEMCPY:
		/* both ranges stay inside one safe region: words 96..159 are
		 * counters every slot adds to, and must never be copied */
		a[2] = stream_rand(s, 6);
		a[0] = stream_word(s);
		a[1] = bad ? STREAM_W - 1 : stream_word(s);
		if (a[0] < 96 && a[0] + a[2] > 96)
			a[0] = 96 - a[2];
		if (!bad && a[1] < 96 && a[1] + a[2] > 96)
			a[1] = 96 - a[2];
		if (!bad && a[1] + a[2] > STREAM_W)
			a[1] = STREAM_W - a[2];
		if (a[0] + a[2] > STREAM_W)
			a[0] = STREAM_W - a[2];
		break;
	case MKRT_OP_DFA_STEP:
		a[0] = stream_rand(s, bad ? 9 : 4);
		a[1] = bad ? 250 + stream_rand(s, 10) : stream_rand(s, 256);
		a[2] = stream_rand(s, STREAM_OBS);
		break;
	default:
		if (bad)
			a[1] = stream_bad(s);
	}
}

/* Does @e clash with what the wave has touched? If not, record it. */
static inline bool stream_claim(struct stream *s, const struct effect *e)
{
	for (uint32_t i = 0; i < e->nreads; i++)
		if (s->touch[e->reads[i]] >= T_WRITE)
			return false;
	for (uint32_t i = 0; i < e->nwrites; i++)
		if (s->touch[e->writes[i]] != T_NONE)
			return false;
	for (uint32_t i = 0; i < e->nadds; i++)
		if (s->touch[e->adds[i]] == T_READ || s->touch[e->adds[i]] == T_WRITE)
			return false;
	for (uint32_t i = 0; i < e->nreads; i++)
		if (s->touch[e->reads[i]] == T_NONE)
			s->touch[e->reads[i]] = T_READ;
	for (uint32_t i = 0; i < e->nwrites; i++)
		s->touch[e->writes[i]] = T_WRITE;
	for (uint32_t i = 0; i < e->nadds; i++)
		s->touch[e->adds[i]] = T_ADD;
	return true;
}

static inline void stream_new_wave(struct stream *s)
{
	memset(s->touch, 0, sizeof(s->touch));
	s->wave_len = 0;
	s->wave_printf = false;
}

/*
 * Make the next slot. Returns true when it starts a new wave (the caller must
 * first finish the current one). The slot is valid for mkrt_submit().
 */
static inline bool stream_next(struct stream *s, struct mkrt_slot *r)
{
	static const uint32_t weights[][2] = {
		{ MKRT_OP_NOP, 4 },          { MKRT_OP_STORE_U32, 10 }, { MKRT_OP_ATOMIC_ADD, 14 },
		{ MKRT_OP_LOAD_U32, 8 },     { MKRT_OP_COMPARE_SWAP, 6 }, { MKRT_OP_MEMCPY, 5 },
		{ MKRT_OP_DFA_STEP, 6 },     { MKRT_OP_BATCH_FENCE, 2 }, { MKRT_OP_PRINTF, 3 },
		{ MKRT_OP_PACKED_SLOT, 6 },  { 9, 1 } /* unknown: FAULT */, { 0x1234, 1 },
		{ MKRT_OP_LOAD_MISS, 1 },
	};
	uint32_t total = 0, pick, op = 0;
	struct effect e;
	bool fresh = false;

	for (size_t i = 0; i < sizeof(weights) / sizeof(weights[0]); i++)
		total += weights[i][1];
	pick = stream_rand(s, total);
	for (size_t i = 0; i < sizeof(weights) / sizeof(weights[0]); i++) {
		if (pick < weights[i][1]) {
			op = weights[i][0];
			break;
		}
		pick -= weights[i][1];
	}

	memset(r, 0, sizeof(*r));
	memset(&e, 0, sizeof(e));
	r->opcode = op;
	r->tenant = stream_rand(s, 50) == 0 ? STREAM_DENIED : stream_rand(s, 2);
	r->priority = stream_rand(s, 4);
	if (op <= MKRT_OP_BUILTIN_LAST) {
		stream_args(s, op, r->args);
		effect_of(op, r->args, &e);
	} else if (op == MKRT_OP_PACKED_SLOT) {
		struct mkrt_packed_op ops[3];
		uint32_t n = 1 + stream_rand(s, 3);
		for (uint32_t k = 0; k < n; k++) {
			ops[k].opcode = stream_rand(s, MKRT_OP_BATCH_FENCE + 1);
			stream_args(s, ops[k].opcode, ops[k].args);
			effect_of(ops[k].opcode, ops[k].args, &e);
			if (e.faults)
				break; /* later inner ops never run */
		}
		mkrt_encode_packed(ops, n, r->args);
	} else {
		r->args[0] = stream_rand(s, 1u << 20);
		r->args[1] = stream_rand(s, 2);
		r->args[2] = stream_rand(s, 1u << 20);
	}
	if (r->tenant == STREAM_DENIED)
		memset(&e, 0, sizeof(e)); /* it never runs */

	bool is_printf = op == MKRT_OP_PRINTF && r->tenant != STREAM_DENIED;
	if (s->wave_len == s->wave_cap || (is_printf && s->wave_printf) || !stream_claim(s, &e)) {
		stream_new_wave(s);
		stream_claim(s, &e);
		fresh = true;
	}
	s->wave_printf |= is_printf;
	s->wave_len++;
	return fresh;
}

#endif /* MKRT_TEST_STREAM_H */
