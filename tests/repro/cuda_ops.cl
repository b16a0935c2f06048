/* SPDX-License-Identifier: MIT */
/*
 * cuda_ops.cl - what one memory operation costs a lane of an NVIDIA GPU,
 * on pinned host memory (over the bus) and on device memory: the physics
 * the megakernel's NVPTX branch is shaped by (cl/mkrt_atomics.h). One lane
 * runs @n of each operation back to back, each one waiting for the one
 * before where the operation returns a value (its address depends on it),
 * and writes the mean in ns per operation into @out. Compiled like the
 * megakernel (clang -target nvptx64, Makefile.am) and run by cuda_ops.c.
 */
#include "mkrt_atomics.h" /* the megakernel's batched loads, measured as they are */

ulong mkrt_ns(void)
{
	ulong t;
	__asm__ volatile("mov.u64 %0, %%globaltimer;" : "=l"(t) : : "memory");
	return t;
}

#define OP_LOOP(k, body)                                                                           \
	do {                                                                                       \
		ulong t0 = mkrt_ns();                                                              \
		for (uint i = 0; i < n; i++) {                                                     \
			body;                                                                      \
		}                                                                                  \
		out[k] = (uint)((mkrt_ns() - t0) / n);                                             \
	} while (0)

/* A bus lane's idle round; @z is 0, and makes it wait for the one before. */
uint idle_round(volatile __global uint *p, volatile __global uint *d, uint z)
{
	uint v, a, b, c, w;
	ulong t64;

	__asm__ volatile("atom.acquire.sys.global.cas.b32 %0, [%1], 0, 1;" : "=r"(v) : "l"(d + 8 + z) : "memory");
	__asm__ volatile("ld.relaxed.sys.global.v4.u32 {%0, %1, %2, %3}, [%5];\n\t"
			 "ld.relaxed.sys.global.v4.u32 {%0, %1, %2, %3}, [%5+16];\n\t"
			 "ld.relaxed.sys.global.v4.u32 {%0, %1, %2, %3}, [%5+32];\n\t"
			 "ld.relaxed.sys.global.v4.u32 {%0, %1, %2, %3}, [%5+48];\n\t"
			 "ld.relaxed.sys.global.u32 %0, [%6];\n\t"
			 "ld.acquire.sys.global.u64 %4, [%6+256];"
			 : "=r"(a), "=r"(b), "=r"(c), "=r"(w), "=l"(t64)
			 : "l"(p + 16 + (v & z)), "l"(p + 128)
			 : "memory");
	__asm__ volatile("st.relaxed.sys.global.u32 [%0], 0;" : : "l"(d + 8 + (a & z)) : "memory");
	return a ^ b ^ c ^ w ^ (uint)t64;
}

uint mkrt_sum4k(volatile __global uint *w)
{
	uint h = 0;

	for (uint i = 0; i < 1024; i += 32) {
		uint x[32];
#pragma unroll
		for (uint k = 0; k < 32; k++)
			x[k] = w[i + k];
#pragma unroll
		for (uint k = 0; k < 32; k++)
			h = (h ^ x[k]) * 16777619u;
	}
	return h;
}

uint mkrt_sum4k_v4(volatile __global uint *w)
{
	uint h = 0;

	for (uint i = 0; i < 1024; i += 128) {
		uint4 x[32];
#pragma unroll
		for (uint k = 0; k < 32; k++)
			x[k] = *(volatile __global uint4 *)(w + i + 4 * k);
#pragma unroll
		for (uint k = 0; k < 32; k++)
			h = (h ^ x[k].x ^ x[k].y ^ x[k].z ^ x[k].w) * 16777619u;
	}
	return h;
}

/* 4 KiB summed as the megakernel's checksum loads its arena
 * (mkrt_arena_load16), @block words loaded before they are folded: the
 * checksum's MKRT_CHECKSUM_BLOCK is 64 (cl/load_miss.cl). */
#define SUM4K_ASM(name, block)                                                                     \
	uint name(volatile __global uint *w)                                                       \
	{                                                                                          \
		uint h = 0;                                                                        \
		for (uint i = 0; i < 1024; i += (block)) {                                         \
			uint x[(block)];                                                           \
			_Pragma("unroll") for (uint k = 0; k < (block); k += 16)                   \
				mkrt_arena_load16(w + i + k, x + k);                               \
			_Pragma("unroll") for (uint k = 0; k < (block); k++)                       \
				h = (h ^ x[k]) * 16777619u;                                        \
		}                                                                                  \
		return h;                                                                          \
	}
SUM4K_ASM(mkrt_sum4k_asm, 64)
SUM4K_ASM(mkrt_sum4k_asm32, 32)
SUM4K_ASM(mkrt_sum4k_asm128, 128)

__kernel void mkrt_ops(volatile __global uint *host, volatile __global uint *dev, __global uint *out,
		       uint n, uint zero)
{
	volatile __global uint *p = host, *d = dev;
	uint v = 0, a = 0, b, c, w;
	ulong t64 = 0;

	OP_LOOP(0, __asm__ volatile("ld.relaxed.sys.global.u32 %0, [%1];" : "=r"(v) : "l"(p + (v & zero)) : "memory"));
	OP_LOOP(1, __asm__ volatile("ld.acquire.sys.global.u32 %0, [%1];" : "=r"(v) : "l"(p + (v & zero)) : "memory"));
	OP_LOOP(2, __asm__ volatile("atom.relaxed.sys.global.add.u32 %0, [%1], 1;" : "=r"(v) : "l"(p + (v & zero)) : "memory"));
	OP_LOOP(3, __asm__ volatile("atom.acquire.sys.global.cas.b32 %0, [%1], %2, 0;" : "=r"(v) : "l"(p + (v & zero)), "r"(v) : "memory"));
	OP_LOOP(4, __asm__ volatile("atom.acq_rel.sys.global.cas.b32 %0, [%1], %2, 0;" : "=r"(v) : "l"(p + (v & zero)), "r"(v) : "memory"));
	OP_LOOP(5, __asm__ volatile("st.relaxed.sys.global.u32 [%0], %1;" : : "l"(p + 1), "r"(i) : "memory"));
	OP_LOOP(6, __asm__ volatile("st.release.sys.global.u32 [%0], %1;" : : "l"(p + 1), "r"(i) : "memory"));
	OP_LOOP(7, __asm__ volatile("red.relaxed.sys.global.add.u32 [%0], 1;\n\t"
				    "st.release.sys.global.u32 [%1], %2;" : : "l"(p + 2), "l"(p + 1), "r"(i) : "memory"));
	OP_LOOP(8, __asm__ volatile("fence.acq_rel.sys;" : : : "memory"));
	OP_LOOP(9, __asm__ volatile("fence.sc.sys;" : : : "memory"));
	OP_LOOP(10, __asm__ volatile("st.relaxed.sys.global.u32 [%0], %1;\n\t"
				     "fence.acq_rel.sys;" : : "l"(p + 1), "r"(i) : "memory"));
	OP_LOOP(11, __asm__ volatile("ld.relaxed.sys.global.v4.u32 {%0, %1, %2, %3}, [%4];\n\t"
				     "ld.relaxed.sys.global.v4.u32 {%0, %1, %2, %3}, [%4+16];\n\t"
				     "ld.relaxed.sys.global.v4.u32 {%0, %1, %2, %3}, [%4+32];\n\t"
				     "ld.relaxed.sys.global.v4.u32 {%0, %1, %2, %3}, [%4+48];"
				     : "=r"(v), "=r"(a), "=r"(b), "=r"(c) : "l"(p + 16 + (v & zero)) : "memory"));
	OP_LOOP(12, __asm__ volatile("ld.relaxed.gpu.global.u32 %0, [%1];" : "=r"(v) : "l"(d + (v & zero)) : "memory"));
	OP_LOOP(13, __asm__ volatile("atom.relaxed.gpu.global.add.u32 %0, [%1], 1;" : "=r"(v) : "l"(d + (v & zero)) : "memory"));
	OP_LOOP(14, __asm__ volatile("atom.acquire.gpu.global.cas.b32 %0, [%1], %2, 0;" : "=r"(v) : "l"(d + (v & zero)), "r"(v) : "memory"));
	OP_LOOP(15, __asm__ volatile("red.relaxed.sys.global.add.u32 [%0], 1;\n\t"
				     "st.relaxed.sys.global.u32 [%1], %2;" : : "l"(p + 2), "l"(p + 1), "r"(i) : "memory"));
	OP_LOOP(16, __asm__ volatile("atom.acquire.sys.global.cas.b32 %0, [%1], %2, 0;" : "=r"(v) : "l"(d + (v & zero)), "r"(v) : "memory"));
	OP_LOOP(17, __asm__ volatile("st.release.sys.global.u32 [%0], %1;" : : "l"(d + 1), "r"(i) : "memory"));
	OP_LOOP(18, __asm__ volatile("ld.acquire.sys.global.u64 %0, [%1];" : "=l"(t64) : "l"(p + 64 + (t64 & zero)) : "memory"));
	/* a bus lane's idle round (cl/megakernel.cl, mkrt_bus_round): claim in
	 * device memory, look at a slot and the control words, the bell */
	OP_LOOP(19, v ^= idle_round(p, d, v & zero));
	/* the end of a slot and the round after it: DONE released, the claim
	 * dropped behind a fence, then the metric's and DONE_COUNT's reds (a
	 * PCIe atomic each) or not: whether the next round's loads wait
	 * behind those atomics (cl/megakernel.cl, mkrt_exec_claimed) */
	OP_LOOP(25, {
		__asm__ volatile("st.release.sys.global.u32 [%0], %1;\n\t"
				 "fence.acq_rel.sys;\n\t"
				 "st.relaxed.sys.global.u32 [%2], 0;\n\t"
				 "red.relaxed.sys.global.add.u32 [%3], 1;\n\t"
				 "red.relaxed.sys.global.add.u32 [%4], 1;"
				 : : "l"(p + 1 + (v & zero)), "r"(i), "l"(d + 8), "l"(p + 2), "l"(p + 3) : "memory");
		v ^= idle_round(p, d, v & zero);
	});
	OP_LOOP(26, {
		__asm__ volatile("st.release.sys.global.u32 [%0], %1;\n\t"
				 "fence.acq_rel.sys;\n\t"
				 "st.relaxed.sys.global.u32 [%2], 0;"
				 : : "l"(p + 1 + (v & zero)), "r"(i), "l"(d + 8) : "memory");
		v ^= idle_round(p, d, v & zero);
	});
	/* a 4 KiB frame summed as the load-miss checksum reads it (blocks of
	 * 32 volatile loads, each block issued before its folds), from pinned
	 * host memory and from device memory; then in blocks of 32 ld.v4 */
	OP_LOOP(20, v ^= mkrt_sum4k(host + 1024 + (v & zero)));
	OP_LOOP(21, v ^= mkrt_sum4k(dev + 1024 + (v & zero)));
	OP_LOOP(22, v ^= mkrt_sum4k_v4(host + 1024 + (v & zero)));
	/* ... as the megakernel's checksum loads it from its arena in device
	 * memory (mkrt_arena_load16, four to a block), and a pass's peek at
	 * 32 slots (mkrt_peek8, four) */
	OP_LOOP(23, v ^= mkrt_sum4k_asm(dev + 1024 + (v & zero)));
	/* ... with half and twice the words in flight: the checksum's block */
	OP_LOOP(27, v ^= mkrt_sum4k_asm32(dev + 1024 + (v & zero)));
	OP_LOOP(28, v ^= mkrt_sum4k_asm128(dev + 1024 + (v & zero)));
	OP_LOOP(24, {
		uint st[32];
		volatile __global uint *ring = p + 1024 + (v & zero);
		mkrt_peek8(ring, 0, 32, &st[0]);
		mkrt_peek8(ring, 8, 32, &st[8]);
		mkrt_peek8(ring, 16, 32, &st[16]);
		mkrt_peek8(ring, 24, 32, &st[24]);
		v ^= st[0] ^ st[31];
	});
	out[31] = v + a + b + c + w + (uint)t64;
}

/*
 * The ping ladder (cuda_ops.c, ladder): one lane answers @n pings through
 * pinned host memory @q, with the parts of the megakernel's round trip
 * (cl/megakernel.cl, mkrt_bus_round and mkrt_exec_claimed) switched on one
 * at a time by @mode, so that the host's round trip says which part costs.
 * The host stores 2i + 1 in a slot's word 0 (release) and i in the bell,
 * and waits for 2i + 2: in word 0 (LADDER_SAME, as DONE) or in a line of
 * its own. 0xFFFFFFFF in word 0 ends the kernel (the host's watchdog).
 */
#include "cuda_ladder.h"

/* One look: slot word 0, and with LADDER_ROUND the round's other loads,
 * every one waited for as the megakernel's round does (@zero is 0). */
uint ladder_look(volatile __global uint *s, volatile __global uint *q, uint mode, uint zero)
{
	uint v, a, b, c, x0, x1, x2, x3;
	ulong bell;

	if (!(mode & LADDER_ROUND)) {
		__asm__ volatile("ld.acquire.sys.global.u32 %0, [%1];" : "=r"(v) : "l"(s) : "memory");
		return v;
	}
	__asm__ volatile("ld.relaxed.sys.global.v4.u32 {%0, %1, %2, %3}, [%9];\n\t"
			 "ld.relaxed.sys.global.v4.u32 {%4, %5, %6, %7}, [%9+16];\n\t"
			 "ld.relaxed.sys.global.v4.u32 {%4, %5, %6, %7}, [%9+32];\n\t"
			 "ld.relaxed.sys.global.v4.u32 {%4, %5, %6, %7}, [%9+48];\n\t"
			 "ld.relaxed.sys.global.v4.u32 {%4, %5, %6, %7}, [%10];\n\t"
			 "ld.relaxed.sys.global.v4.u32 {%4, %5, %6, %7}, [%10+16];\n\t"
			 "ld.relaxed.sys.global.u32 %4, [%10+572];\n\t"
			 "ld.acquire.sys.global.u64 %8, [%11];"
			 : "=r"(v), "=r"(a), "=r"(b), "=r"(c), "=r"(x0), "=r"(x1), "=r"(x2), "=r"(x3),
			   "=l"(bell)
			 : "l"(s), "l"(q + LADDER_CTL), "l"(q + LADDER_BELL)
			 : "memory");
	return v | ((a ^ b ^ c ^ x0 ^ x1 ^ x2 ^ x3 ^ (uint)bell) & zero);
}

__kernel void mkrt_ladder(volatile __global uint *q, volatile __global uint *d, uint n, uint mode)
{
	for (uint i = 1; i <= n; i++) {
		uint slot = mode & LADDER_RING ? i % LADDER_SLOTS : 0u, v;
		volatile __global uint *s = q + 16u * slot;
		volatile __global uint *claim = d + slot;

		for (;;) {
			uint held = 0; /* the claim's old value: the look waits for it, as the megakernel's */
			if (mode & LADDER_CLAIM)
				__asm__ volatile("atom.acquire.sys.global.cas.b32 %0, [%1], 0, 1;"
						 : "=r"(held) : "l"(claim) : "memory");
			v = ladder_look(s + (held & (mode >> 31)), q, mode, mode >> 31);
			if (v == 0xFFFFFFFFu)
				return;
			if (v == 2u * i + 1u)
				break;
			if (mode & LADDER_CLAIM)
				__asm__ volatile("st.relaxed.sys.global.u32 [%0], 0;" : : "l"(claim) : "memory");
		}
		volatile __global uint *answer = mode & LADDER_SAME ? s : q + LADDER_ANSWER_LINE + 16u * slot;
		__asm__ volatile("st.release.sys.global.u32 [%0], %1;" : : "l"(answer), "r"(2u * i + 2u) : "memory");
		if (mode & LADDER_CLAIM)
			__asm__ volatile("fence.acq_rel.sys;\n\t"
					 "st.relaxed.sys.global.u32 [%0], 0;" : : "l"(claim) : "memory");
		if (mode & LADDER_REDS)
			__asm__ volatile("red.relaxed.sys.global.add.u32 [%0], 1;\n\t"
					 "red.release.sys.global.add.u32 [%1], 1;"
					 : : "l"(q + LADDER_CTL + 64), "l"(q + LADDER_CTL + 2) : "memory");
	}
}
