/* SPDX-License-Identifier: MIT */
/*
 * audit.c - counting host read-modify-writes of words the host must only
 * load and store (atomics.h): built into the tests' libmkrt_audit alone.
 * Its own bookkeeping uses a mutex and C11 atomics directly, never the
 * helpers it audits.
 */
#include "atomics.h"

#ifdef MKRT_AUDIT_SHARED_RMW

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define MKRT__AUDIT_RANGES 64u

static pthread_mutex_t mkrt__audit_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	uintptr_t first, end;
} mkrt__audit_range[MKRT__AUDIT_RANGES];
static _Atomic uint64_t mkrt__audit_rmws, mkrt__audit_registered;

void mkrt__audit_share(const void *p, size_t bytes)
{
	pthread_mutex_lock(&mkrt__audit_lock);
	for (size_t i = 0; i < MKRT__AUDIT_RANGES; i++) {
		if (mkrt__audit_range[i].end)
			continue;
		mkrt__audit_range[i].first = (uintptr_t)p;
		mkrt__audit_range[i].end = (uintptr_t)p + bytes;
		atomic_fetch_add(&mkrt__audit_registered, 1);
		pthread_mutex_unlock(&mkrt__audit_lock);
		return;
	}
	pthread_mutex_unlock(&mkrt__audit_lock);
	/* an audit that silently stopped auditing would prove nothing */
	fprintf(stderr, "mkrt audit: more than %u shared buffers at once\n", MKRT__AUDIT_RANGES);
	abort();
}

void mkrt__audit_unshare(const void *p)
{
	pthread_mutex_lock(&mkrt__audit_lock);
	for (size_t i = 0; i < MKRT__AUDIT_RANGES; i++)
		if (mkrt__audit_range[i].end && mkrt__audit_range[i].first == (uintptr_t)p)
			mkrt__audit_range[i].first = mkrt__audit_range[i].end = 0;
	pthread_mutex_unlock(&mkrt__audit_lock);
}

void mkrt__audit_rmw(const void *p)
{
	uintptr_t a = (uintptr_t)p;
	bool shared = false;

	pthread_mutex_lock(&mkrt__audit_lock);
	for (size_t i = 0; i < MKRT__AUDIT_RANGES && !shared; i++)
		shared = a >= mkrt__audit_range[i].first && a < mkrt__audit_range[i].end;
	pthread_mutex_unlock(&mkrt__audit_lock);
	if (shared)
		atomic_fetch_add(&mkrt__audit_rmws, 1);
}

uint64_t mkrt__audit_rmw_count(void)
{
	return atomic_load(&mkrt__audit_rmws);
}

uint64_t mkrt__audit_shares(void)
{
	return atomic_load(&mkrt__audit_registered);
}

#else

/* ISO C wants a translation unit to declare something. */
typedef int mkrt__audit_unused;

#endif /* MKRT_AUDIT_SHARED_RMW */
