/* SPDX-License-Identifier: MIT */
/*
 * mkrt/barrier.h - the ordering a raw-ring user needs (DESIGN §3), as
 * liburing's barrier.h gives its users.
 *
 * mkrt_runtime_ring() hands out the ring's words as plain uint32_t, since
 * OpenCL shares them as such. A producer that publishes into them itself
 * (mkrt_publish() does this for you) stores a slot's payload, then its
 * STATUS with release; a consumer acquires STATUS before it reads the
 * results. These name those orderings on one 32-bit word. They compile as
 * C11 and as C++11 and later (GCC and Clang builtins, no <stdatomic.h>).
 */
#ifndef MKRT_BARRIER_H
#define MKRT_BARRIER_H

#include <stdint.h>

#if !defined(__GNUC__) && !defined(__clang__)
#error "mkrt/barrier.h needs GCC or Clang atomic builtins"
#endif

/* Load *@p; later loads and stores stay after it (pairs with a release). */
static inline uint32_t mkrt_load_acquire(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* Store @v in *@p; earlier loads and stores stay before it. */
static inline void mkrt_store_release(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* A single-copy-atomic load or store that orders nothing else. */
static inline uint32_t mkrt_load_relaxed(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void mkrt_store_relaxed(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

#endif /* MKRT_BARRIER_H */
