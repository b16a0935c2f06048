/* SPDX-License-Identifier: MIT */
/*
 * probe.cl - the handshake probe of the svm and copy backends (DESIGN §3).
 *
 * Proves that a running kernel sees a host store made in this memory while it
 * runs: w[0] device -> host "running", w[1] host -> device "go", w[2] device
 * -> host answer. Bounded by @spins: it always returns.
 */
#include "mkrt/protocol.h"
#include "mkrt_atomics.h"

__kernel void mkrt_probe(mkrt_word_t *w, uint spins)
{
	mkrt_store_release(&w[0], MKRT_PROBE_RUNNING);
	for (uint i = 0; i < spins; i++) {
		if (mkrt_load_acquire(&w[1]) == MKRT_PROBE_GO) {
			mkrt_store_release(&w[2], MKRT_PROBE_ANSWER);
			return;
		}
	}
	mkrt_store_release(&w[2], MKRT_PROBE_GAVE_UP);
}
