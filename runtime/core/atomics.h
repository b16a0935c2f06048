/* SPDX-License-Identifier: MIT */
/*
 * atomics.h - the only place host code orders memory shared with an executor.
 *
 * Shared words (ring, control, debug log, IO queue) are plain u32 arrays
 * because OpenCL hands them to us as such; these helpers view one word as
 * _Atomic uint32_t (same size and alignment, lock-free on every target, as
 * pinned below) and name the ordering. Each call site says what it orders.
 * Only load, store, CAS, exchange and add are used: what PCIe atomics carry.
 */
#ifndef MKRT_ATOMICS_H
#define MKRT_ATOMICS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

_Static_assert(sizeof(_Atomic uint32_t) == sizeof(uint32_t), "atomic u32 is a plain word");
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "u32 atomics are lock-free");

/*
 * The audit of DESIGN §3's rule for memory where host and device
 * read-modify-writes are not atomic with each other (svm's modes without
 * SVM atomics): no word there is read-modify-written by the host. A build
 * with MKRT_AUDIT_SHARED_RMW (the tests' libmkrt_audit) counts every host
 * read-modify-write that lands in memory registered as such (audit.c); the
 * forced-mode suites assert the count stays 0. Otherwise these cost nothing.
 */
#ifdef MKRT_AUDIT_SHARED_RMW
void mkrt__audit_share(const void *p, size_t bytes);
void mkrt__audit_unshare(const void *p);
void mkrt__audit_rmw(const void *p);
uint64_t mkrt__audit_rmw_count(void);  /* host RMWs of registered words */
uint64_t mkrt__audit_shares(void);     /* registrations ever made */
#else
static inline void mkrt__audit_share(const void *p, size_t bytes)
{
	(void)p;
	(void)bytes;
}

static inline void mkrt__audit_unshare(const void *p)
{
	(void)p;
}

static inline void mkrt__audit_rmw(const void *p)
{
	(void)p;
}
#endif

static inline _Atomic uint32_t *mkrt__aw(uint32_t *p)
{
	return (_Atomic uint32_t *)p;
}

static inline uint32_t mkrt__load_acquire(const uint32_t *p)
{
	return atomic_load_explicit((_Atomic uint32_t *)(uintptr_t)p, memory_order_acquire);
}

static inline uint32_t mkrt__load_relaxed(const uint32_t *p)
{
	return atomic_load_explicit((_Atomic uint32_t *)(uintptr_t)p, memory_order_relaxed);
}

static inline void mkrt__store_release(uint32_t *p, uint32_t v)
{
	atomic_store_explicit(mkrt__aw(p), v, memory_order_release);
}

static inline void mkrt__store_relaxed(uint32_t *p, uint32_t v)
{
	atomic_store_explicit(mkrt__aw(p), v, memory_order_relaxed);
}

static inline uint32_t mkrt__add_relaxed(uint32_t *p, uint32_t v)
{
	mkrt__audit_rmw(p);
	return atomic_fetch_add_explicit(mkrt__aw(p), v, memory_order_relaxed);
}

static inline uint32_t mkrt__add_release(uint32_t *p, uint32_t v)
{
	mkrt__audit_rmw(p);
	return atomic_fetch_add_explicit(mkrt__aw(p), v, memory_order_release);
}

static inline uint32_t mkrt__sub_release(uint32_t *p, uint32_t v)
{
	mkrt__audit_rmw(p);
	return atomic_fetch_sub_explicit(mkrt__aw(p), v, memory_order_release);
}

/*
 * The middle of a store-then-load handshake (Dekker): both sides do an
 * acq_rel read-modify-write of the same word between their store and their
 * load. The RMWs are totally ordered and the later one acquires the earlier,
 * so at least one side's load sees the other side's store. (An RMW rather
 * than atomic_thread_fence: ThreadSanitizer understands it.)
 */
static inline void mkrt__dekker_rmw(uint32_t *word)
{
	mkrt__audit_rmw(word);
	atomic_fetch_add_explicit(mkrt__aw(word), 0, memory_order_acq_rel);
}

/* A compiler barrier only: the cheap half of an asymmetric handshake whose
 * other side runs membarrier(2), which puts a full barrier on every thread
 * of the process (see mkrt__park in resident.c). */
static inline void mkrt__compiler_barrier(void)
{
	atomic_signal_fence(memory_order_seq_cst);
}

/* 64-bit words: host-only counters (statistics), and cuda's doorbell, which
 * a device only loads. */
static inline void mkrt__add64_relaxed(uint64_t *p, uint64_t v)
{
	mkrt__audit_rmw(p);
	atomic_fetch_add_explicit((_Atomic uint64_t *)p, v, memory_order_relaxed);
}

static inline uint64_t mkrt__load64_relaxed(const uint64_t *p)
{
	return atomic_load_explicit((_Atomic uint64_t *)(uintptr_t)p, memory_order_relaxed);
}

/* A 64-bit word shared with a device that only loads it (cuda's doorbell):
 * compare-and-swap among host threads, release. */
static inline bool mkrt__cas64_release(uint64_t *p, uint64_t *expected, uint64_t desired)
{
	mkrt__audit_rmw(p);
	return atomic_compare_exchange_weak_explicit((_Atomic uint64_t *)p, expected, desired,
						     memory_order_release, memory_order_relaxed);
}

/* Compare-and-swap; on failure *expected gets the current value. */
static inline bool mkrt__cas_acq_rel(uint32_t *p, uint32_t *expected, uint32_t desired)
{
	mkrt__audit_rmw(p);
	return atomic_compare_exchange_strong_explicit(mkrt__aw(p), expected, desired,
						       memory_order_acq_rel, memory_order_acquire);
}

static inline bool mkrt__cas_relaxed(uint32_t *p, uint32_t *expected, uint32_t desired)
{
	mkrt__audit_rmw(p);
	return atomic_compare_exchange_strong_explicit(mkrt__aw(p), expected, desired,
						       memory_order_relaxed, memory_order_relaxed);
}

#endif /* MKRT_ATOMICS_H */
