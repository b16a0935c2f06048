/* SPDX-License-Identifier: MIT */
/*
 * probe.cl - the svm backend's handshake probe (DESIGN §3). The host prepends
 * mkrt/protocol.h and mkrt_atomics.h.
 *
 * Proves that a running kernel sees a host store made in this memory while it
 * runs: w[0] device -> host "running", w[1] host -> device "go", w[2] device
 * -> host answer. Bounded by @spins: it always returns.
 */
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
