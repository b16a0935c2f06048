/* SPDX-License-Identifier: MIT */
/*
 * clock.c - monotonic time and the host-side wait policy.
 *
 * Host waits spin briefly, then yield, then sleep with a bounded backoff
 * (DESIGN §4): on a 2-core machine a host thread, the IO servicer and a PoCL
 * worker spinning flat out starve each other.
 */
#include "internal.h"
#include "atomics.h"

#include <sched.h>
#include <sys/prctl.h>
#include <time.h>

#define MKRT__SPIN_ROUNDS   64u
#define MKRT__YIELD_NS      50000u  /* yield this long before sleeping */
#define MKRT__SLEEP_MIN_NS  2000u
#define MKRT__SLEEP_MAX_NS  1000000u

uint64_t mkrt__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void mkrt__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

void mkrt__backoff_pause(struct mkrt__backoff *b)
{
	uint32_t r = b->rounds;

	if (r < MKRT__SPIN_ROUNDS) {
		b->rounds++;
		mkrt__cpu_relax();
		return;
	}
	/* yield for a while, by the clock: a sleep costs the timer slack
	 * (50 us by default) on wake-up, far more than a load miss takes */
	uint64_t now = mkrt__now_ns();
	if (!b->since)
		b->since = now;
	if (now - b->since < MKRT__YIELD_NS) {
		sched_yield();
		return;
	}
	if (b->rounds < UINT32_MAX)
		b->rounds++;

	uint32_t shift = r - MKRT__SPIN_ROUNDS;
	uint64_t ns = shift >= 10 ? MKRT__SLEEP_MAX_NS : (uint64_t)MKRT__SLEEP_MIN_NS << shift;
	if (ns > MKRT__SLEEP_MAX_NS)
		ns = MKRT__SLEEP_MAX_NS;
	struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)ns };
	nanosleep(&ts, NULL);
}

void mkrt__realtime_deadline(struct timespec *ts, uint32_t ms)
{
	mkrt__realtime_deadline_us(ts, (uint64_t)ms * 1000u);
}

void mkrt__realtime_deadline_us(struct timespec *ts, uint64_t us)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += (time_t)(us / 1000000u);
	ts->tv_nsec += (long)(us % 1000000u) * 1000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

void mkrt__thread_precise_timers(void)
{
	/* our own service threads: sleep as long as asked, not 50 us more */
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
}

static void *mkrt__poller_main(void *arg)
{
	struct mkrt__poller *p = arg;
	struct mkrt__backoff backoff = { 0 };

	mkrt__thread_precise_timers();
	while (!mkrt__poller_stopping(p)) {
		if (p->pass(p->arg))
			mkrt__backoff_reset(&backoff);
		else
			mkrt__backoff_pause(&backoff);
	}
	return NULL;
}

int mkrt__poller_start(struct mkrt__poller *p, uint32_t (*pass)(void *arg), void *arg)
{
	p->pass = pass;
	p->arg = arg;
	mkrt__store_release(&p->stop, 0);
	if (pthread_create(&p->thread, NULL, mkrt__poller_main, p))
		return MKRT_ETHREAD;
	p->running = true;
	return 0;
}

void mkrt__poller_stop(struct mkrt__poller *p)
{
	if (!p->running)
		return;
	/* release: pairs with mkrt__poller_stopping() */
	mkrt__store_release(&p->stop, 1);
	pthread_join(p->thread, NULL);
	p->running = false;
}
