/* SPDX-License-Identifier: MIT */
/*
 * memcpy_twice.c - a 4-byte memcpy() is not one store.
 *
 * One thread plays a CPU OpenCL driver executing the host's 4-byte STATUS
 * write (PoCL runs clEnqueueWriteBuffer as memcpy); the other plays a lane:
 * it claims PUBLISHED (CAS 1 -> 2), counts a run and stores DONE (3). The
 * "host" publishes only after it sees DONE, so runs must equal publishes.
 * glibc's memcpy of 4 to 7 bytes loads and stores the head and the tail of
 * the range; for 4 bytes both are the same word, so the word is stored
 * twice, and a lane that claims and finishes between the two stores sees
 * PUBLISHED again. Exits 1 when a publish ran more than once.
 *
 *   memcpy_twice [PUBLISHES]   (default 20000000)
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PUBLISHED = 1, CLAIMED = 2, DONE = 3 };

static _Atomic unsigned status = DONE;
static _Atomic unsigned long runs;
static _Atomic int stop;
/* through a pointer, so the compiler cannot turn the call into one store */
static void *(*volatile copy)(void *, const void *, size_t) = memcpy;

static void *lane(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		unsigned st = PUBLISHED;
		if (atomic_load(&status) == PUBLISHED && atomic_compare_exchange_strong(&status, &st, CLAIMED)) {
			atomic_fetch_add(&runs, 1);
			atomic_store(&status, DONE);
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static const unsigned published = PUBLISHED;
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000000ul;
	pthread_t t;

	if (pthread_create(&t, NULL, lane, NULL))
		return 2;
	for (unsigned long i = 0; i < n; i++) {
		while (atomic_load(&status) != DONE)
			;
		copy((void *)&status, &published, sizeof(published)); /* the "transfer" */
	}
	while (atomic_load(&status) != DONE)
		;
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	unsigned long r = atomic_load(&runs);
	printf("%lu publishes, %lu runs: %lu ran twice\n", n, r, r - n);
	return r != n;
}
