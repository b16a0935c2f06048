/* SPDX-License-Identifier: MIT */
/*
 * ping.cl - the floor under the cuda backend's round trip
 * (mkrt_runtime_measure()): one lane answers @n pings through pinned host
 * memory, as a lane sees a slot: the host stores i (release) in word 0, the
 * lane acquires it and stores i (release) in word 16, a line of its own,
 * where the host acquires it. The host stores 0xFFFFFFFF to end it early.
 * With @n 0 it returns at once: the launch baseline.
 */
#ifndef MKRT_PING_CL
#define MKRT_PING_CL

#include "mkrt_atomics.h"

__kernel void mkrt_ping(mkrt_word_t *w, uint n)
{
	for (uint i = 1; i <= n; i++) {
		uint v;
		while ((v = mkrt_load_acquire(&w[0])) != i)
			if (v == 0xFFFFFFFFu)
				return;
		mkrt_store_release(&w[16], i);
	}
}

#endif /* MKRT_PING_CL */
