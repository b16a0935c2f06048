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
	OP_LOOP(19, {
		__asm__ volatile("atom.acquire.sys.global.cas.b32 %0, [%1], 0, 1;" : "=r"(v) : "l"(d + 8 + (t64 & zero)) : "memory");
		__asm__ volatile("ld.relaxed.sys.global.v4.u32 {%0, %1, %2, %3}, [%5];\n\t"
				 "ld.relaxed.sys.global.v4.u32 {%0, %1, %2, %3}, [%5+16];\n\t"
				 "ld.relaxed.sys.global.v4.u32 {%0, %1, %2, %3}, [%5+32];\n\t"
				 "ld.relaxed.sys.global.v4.u32 {%0, %1, %2, %3}, [%5+48];\n\t"
				 "ld.relaxed.sys.global.u32 %0, [%6];\n\t"
				 "ld.acquire.sys.global.u64 %4, [%6+256];"
				 : "=r"(a), "=r"(b), "=r"(c), "=r"(w), "=l"(t64)
				 : "l"(p + 16 + (v & zero)), "l"(p + 128)
				 : "memory");
		__asm__ volatile("st.relaxed.sys.global.u32 [%0], 0;" : : "l"(d + 8 + (a & zero)) : "memory");
	});
	out[20] = v + a + b + c + w + (uint)t64;
}
