/* SPDX-License-Identifier: MIT */
/*
 * mkrt_atomics.h - the device side's only ordering tool.
 *
 * Words shared with the host are touched only through these helpers: load,
 * store, CAS and add, the operations PCIe atomics carry.
 *
 * OpenCL C 2.0 / 3.0 (the svm backend): the words live in fine-grained SVM,
 * and these are C11-style atomics. The scope is chosen by feature macro,
 * never by vendor: all SVM devices where the compiler offers it (OpenCL C
 * 2.0, or 3.0 with __opencl_c_atomic_scope_all_devices), else device scope,
 * which on a CPU device is as strong as system scope.
 *
 * OpenCL C 1.2 (the copy backend, built with -cl-std=CL1.2): the words live
 * in ordinary device buffers that the host reads and writes with transfers
 * on a second queue. Loads and stores are volatile (never cached in a
 * register or a non-coherent L1), read-modify-writes are the 1.2 atomic_*
 * built-ins, and mem_fence(CLK_GLOBAL_MEM_FENCE) gives acquire after a load
 * and release before a store.
 *
 * OpenCL C 1.2 compiled to PTX (the cuda backend, clang -target
 * nvptx64-nvidia-cuda): the same protocol, the words in pinned host memory
 * the GPU reaches over the bus. Every access is one PTX instruction of
 * system scope (.sys, sm_70 and later), since a host thread is on the other
 * side: libclc's atomics are device scope, and its OpenCL 2.0 ones do not
 * exist for nvptx.
 */
#ifndef MKRT_CL_ATOMICS_H
#define MKRT_CL_ATOMICS_H

#include "mkrt/protocol.h" /* the word indices the batched loads use */

#if __OPENCL_C_VERSION__ < 200

#define MKRT_CL12 1
/* The copy backend's host reaches these words only by transfers, the cuda
 * backend's only by loads and stores (PCIe atomics are not host atomics):
 * the host never read-modify-writes a word the lanes do (DESIGN §3), so
 * lanes withdraw slots and pick frames themselves. An OpenCL C 2.0 build
 * gets the same with -DMKRT_HOST_NO_RMW: svm's modes without SVM atomics. */
#define MKRT_HOST_NO_RMW 1
typedef volatile __global uint mkrt_word_t;
/* Frame bytes the host rewrites with transfers while the kernel runs: never
 * from a cache that does not see them (a GPU's L1). */
typedef volatile __global const uint mkrt_arena_word_t;

/* A compare-and-swap's outcome from the value @old it found: true when that
 * was *@expected, else *@expected gets it. */
bool mkrt_cas_took(uint old, __private uint *expected)
{
	if (old == *expected)
		return true;
	*expected = old;
	return false;
}

/* The cuda backend's PTX (clang for nvptx64 with -DMKRT_CUDA): inline PTX
 * of system scope, and the bus's lane protocol. NVIDIA's OpenCL compiler
 * defines __NVPTX__ too; there the copy backend's kernel takes the OpenCL C
 * 1.2 branch below, as on any other OpenCL device. */
#if defined(__NVPTX__) && defined(MKRT_CUDA)
#define MKRT_PTX 1
#endif

#ifdef MKRT_PTX

uint mkrt_load_acquire(mkrt_word_t *p)
{
	uint v;
	__asm__ volatile("ld.acquire.sys.global.u32 %0, [%1];" : "=r"(v) : "l"(p) : "memory");
	return v;
}

uint mkrt_load_relaxed(mkrt_word_t *p)
{
	uint v;
	__asm__ volatile("ld.relaxed.sys.global.u32 %0, [%1];" : "=r"(v) : "l"(p) : "memory");
	return v;
}

void mkrt_store_release(mkrt_word_t *p, uint v)
{
	__asm__ volatile("st.release.sys.global.u32 [%0], %1;" : : "l"(p), "r"(v) : "memory");
}

void mkrt_store_relaxed(mkrt_word_t *p, uint v)
{
	__asm__ volatile("st.relaxed.sys.global.u32 [%0], %1;" : : "l"(p), "r"(v) : "memory");
}

uint mkrt_add_relaxed(mkrt_word_t *p, uint v)
{
	uint old;
	__asm__ volatile("atom.relaxed.sys.global.add.u32 %0, [%1], %2;"
			 : "=r"(old) : "l"(p), "r"(v) : "memory");
	return old;
}

uint mkrt_add_release(mkrt_word_t *p, uint v)
{
	uint old;
	__asm__ volatile("atom.release.sys.global.add.u32 %0, [%1], %2;"
			 : "=r"(old) : "l"(p), "r"(v) : "memory");
	return old;
}

uint mkrt_sub_release(mkrt_word_t *p, uint v)
{
	return mkrt_add_release(p, 0u - v);
}

uint mkrt_cas_ptx_acq_rel(mkrt_word_t *p, uint expected, uint desired)
{
	uint old;
	__asm__ volatile("atom.acq_rel.sys.global.cas.b32 %0, [%1], %2, %3;"
			 : "=r"(old) : "l"(p), "r"(expected), "r"(desired) : "memory");
	return old;
}

uint mkrt_cas_ptx_acquire(mkrt_word_t *p, uint expected, uint desired)
{
	uint old;
	__asm__ volatile("atom.acquire.sys.global.cas.b32 %0, [%1], %2, %3;"
			 : "=r"(old) : "l"(p), "r"(expected), "r"(desired) : "memory");
	return old;
}

uint mkrt_cas_ptx_relaxed(mkrt_word_t *p, uint expected, uint desired)
{
	uint old;
	__asm__ volatile("atom.relaxed.sys.global.cas.b32 %0, [%1], %2, %3;"
			 : "=r"(old) : "l"(p), "r"(expected), "r"(desired) : "memory");
	return old;
}

/* Compare-and-swap; on failure *expected gets the current value. */
bool mkrt_cas_acq_rel(mkrt_word_t *p, __private uint *expected, uint desired)
{
	return mkrt_cas_took(mkrt_cas_ptx_acq_rel(p, *expected, desired), expected);
}

/* ... with acquire only (a claim: nothing of ours to release; over the bus
 * a third cheaper than acq_rel) */
bool mkrt_cas_acquire(mkrt_word_t *p, __private uint *expected, uint desired)
{
	return mkrt_cas_took(mkrt_cas_ptx_acquire(p, *expected, desired), expected);
}

bool mkrt_cas_relaxed(mkrt_word_t *p, __private uint *expected, uint desired)
{
	return mkrt_cas_took(mkrt_cas_ptx_relaxed(p, *expected, desired), expected);
}

/*
 * Over the bus every load the lane waits for costs a round trip (0.7 us on
 * the H200), so the loads of one step are issued together, as vector loads
 * in one statement, and waited for once. Relaxed: the claim's acquire, or
 * the fences below, order them.
 */
#define MKRT_BUS 1
/* the byte offsets below */
typedef char mkrt_yield_at_572[MKRT_CTL_YIELD * 4u == 572u ? 1 : -1];
typedef char mkrt_busy_at_584[MKRT_CTL_BUSY_LANES * 4u == 584u ? 1 : -1];

/*
 * The claim table (DESIGN §3): one word per slot in device memory, so that
 * no read-modify-write crosses the bus. A lane takes a slot's word before it
 * looks at the slot and drops it after; the look is then the claimed read.
 * Taking it acquires, and dropping it after a slot's end releases, what the
 * last holder wrote into the slot, so a look never sees a slot older than
 * the last holder left it. System scope, as every read-modify-write here
 * (tests/ptx.sh); on device memory it costs what a device-scope one does.
 */
bool mkrt_claim_take(mkrt_word_t *p)
{
	uint old;
	__asm__ volatile("atom.acquire.sys.global.cas.b32 %0, [%1], 0, 1;"
			 : "=r"(old) : "l"(p) : "memory");
	return old == 0;
}

/* @wrote: the holder wrote into the slot, so the drop releases (a whole
 * fence, which also orders what the lane writes after the drop after what
 * it wrote before), or only looked. */
void mkrt_claim_drop(mkrt_word_t *p, bool wrote)
{
	if (wrote)
		__asm__ volatile("fence.acq_rel.sys;" : : : "memory");
	mkrt_store_relaxed(p, 0);
}

/* A sequentially consistent fence (a Dekker pair: cl/megakernel.cl). */
void mkrt_fence_sc(void)
{
	__asm__ volatile("fence.sc.sys;" : : : "memory");
}

/* Adds whose old value nobody reads: a reduction, which the lane does not
 * wait for (an atom's answer would cost it a bus round trip). */
void mkrt_red_relaxed(mkrt_word_t *p, uint v)
{
	__asm__ volatile("red.relaxed.sys.global.add.u32 [%0], %1;" : : "l"(p), "r"(v) : "memory");
}

void mkrt_red_release(mkrt_word_t *p, uint v)
{
	__asm__ volatile("red.release.sys.global.add.u32 [%0], %1;" : : "l"(p), "r"(v) : "memory");
}

/* Issue the loads of a claimed slot @s: its 16 words into @w, control words
 * 0..7 into @c, C[YIELD] into *@yield (mkrt_look_acquire() completes it). */
void mkrt_look_issue(mkrt_word_t *s, mkrt_word_t *ctl, __private uint *w, __private uint *c,
		     __private uint *yield)
{
	__asm__ volatile("ld.relaxed.sys.global.v4.u32 {%0, %1, %2, %3}, [%25];\n\t"
			 "ld.relaxed.sys.global.v4.u32 {%4, %5, %6, %7}, [%25+16];\n\t"
			 "ld.relaxed.sys.global.v4.u32 {%8, %9, %10, %11}, [%25+32];\n\t"
			 "ld.relaxed.sys.global.v4.u32 {%12, %13, %14, %15}, [%25+48];\n\t"
			 "ld.relaxed.sys.global.v4.u32 {%16, %17, %18, %19}, [%26];\n\t"
			 "ld.relaxed.sys.global.v4.u32 {%20, %21, %22, %23}, [%26+16];\n\t"
			 "ld.relaxed.sys.global.u32 %24, [%26+572];" /* 4 * MKRT_CTL_YIELD */
			 : "=r"(w[0]), "=r"(w[1]), "=r"(w[2]), "=r"(w[3]), "=r"(w[4]), "=r"(w[5]),
			   "=r"(w[6]), "=r"(w[7]), "=r"(w[8]), "=r"(w[9]), "=r"(w[10]), "=r"(w[11]),
			   "=r"(w[12]), "=r"(w[13]), "=r"(w[14]), "=r"(w[15]), "=r"(c[0]), "=r"(c[1]),
			   "=r"(c[2]), "=r"(c[3]), "=r"(c[4]), "=r"(c[5]), "=r"(c[6]), "=r"(c[7]),
			   "=r"(*yield)
			 : "l"(s), "l"(ctl)
			 : "memory");
}

void mkrt_look_acquire(uint yield)
{
	if (yield) /* acquire, as the load elsewhere */
		__asm__ volatile("fence.acq_rel.sys;" : : : "memory");
}

/* Issue a round's loads: SHUTDOWN, YIELD, BUSY_LANES, the withdrawal flag
 * @any, and last the doorbell @bell (mkrt_kernel_abi.h), acquire: its count
 * into r[4], its slot into r[5], and whatever the host wrote before it for
 * every load after this (mkrt_round_acquire() completes the rest). */
void mkrt_round_issue(mkrt_word_t *ctl, mkrt_word_t *any, mkrt_word_t *bell, __private uint *r)
{
	ulong b;
	__asm__ volatile("ld.relaxed.sys.global.u32 %0, [%5];\n\t"
			 "ld.relaxed.sys.global.u32 %1, [%5+572];\n\t" /* 4 * MKRT_CTL_YIELD */
			 "ld.relaxed.sys.global.u32 %2, [%5+584];\n\t" /* 4 * MKRT_CTL_BUSY_LANES */
			 "ld.relaxed.sys.global.u32 %3, [%6];\n\t"
			 "ld.acquire.sys.global.u64 %4, [%7];"
			 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]), "=l"(b)
			 : "l"(ctl), "l"(any), "l"(bell)
			 : "memory");
	r[4] = (uint)(b >> 32);
	r[5] = (uint)b;
}

/* acquire, where something was seen to act on */
void mkrt_round_acquire(__private const uint *r)
{
	if (r[0] | r[1] | r[3])
		__asm__ volatile("fence.acq_rel.sys;" : : : "memory");
}

/*
 * Loads a pass or a checksum issues before it uses any: in one statement,
 * so that they travel together (cuda_ops: 32 loads in a loop cost a round
 * trip each, as a loop's volatile loads are issued one at a time).
 */

/* STATUS of the 8 slots from @s (wrapping), relaxed, into @v. */
void mkrt_peek8(mkrt_word_t *ring, uint s, uint slot_count, __private uint *v)
{
	mkrt_word_t *p[8];

	for (uint k = 0; k < 8; k++, s = s + 1 == slot_count ? 0 : s + 1)
		p[k] = &ring[s * MKRT_SLOT_WORDS + MKRT_SLOT_STATUS];
	__asm__ volatile("ld.relaxed.sys.global.u32 %0, [%8];\n\t"
			 "ld.relaxed.sys.global.u32 %1, [%9];\n\t"
			 "ld.relaxed.sys.global.u32 %2, [%10];\n\t"
			 "ld.relaxed.sys.global.u32 %3, [%11];\n\t"
			 "ld.relaxed.sys.global.u32 %4, [%12];\n\t"
			 "ld.relaxed.sys.global.u32 %5, [%13];\n\t"
			 "ld.relaxed.sys.global.u32 %6, [%14];\n\t"
			 "ld.relaxed.sys.global.u32 %7, [%15];"
			 : "=r"(v[0]), "=r"(v[1]), "=r"(v[2]), "=r"(v[3]), "=r"(v[4]), "=r"(v[5]),
			   "=r"(v[6]), "=r"(v[7])
			 : "l"(p[0]), "l"(p[1]), "l"(p[2]), "l"(p[3]), "l"(p[4]), "l"(p[5]), "l"(p[6]),
			   "l"(p[7])
			 : "memory");
}

/* 16 words of the arena at @p into @v: four vector loads where @p is
 * 16-byte aligned (a frame of a multiple of 16 bytes). The arena is device
 * memory the host fills by copies (runtime/backends/cuda.c), so .gpu
 * scope: served by the L2, past an L1 that may hold a frame's old bytes,
 * at a sixth of what .sys costs there (tests/repro/cuda_ops). */
void mkrt_arena_load16(mkrt_arena_word_t *p, __private uint *v)
{
	if ((ulong)p & 15u) {
		for (uint k = 0; k < 16; k++)
			v[k] = p[k];
		return;
	}
	__asm__ volatile("ld.relaxed.gpu.global.v4.u32 {%0, %1, %2, %3}, [%16];\n\t"
			 "ld.relaxed.gpu.global.v4.u32 {%4, %5, %6, %7}, [%16+16];\n\t"
			 "ld.relaxed.gpu.global.v4.u32 {%8, %9, %10, %11}, [%16+32];\n\t"
			 "ld.relaxed.gpu.global.v4.u32 {%12, %13, %14, %15}, [%16+48];"
			 : "=r"(v[0]), "=r"(v[1]), "=r"(v[2]), "=r"(v[3]), "=r"(v[4]), "=r"(v[5]),
			   "=r"(v[6]), "=r"(v[7]), "=r"(v[8]), "=r"(v[9]), "=r"(v[10]), "=r"(v[11]),
			   "=r"(v[12]), "=r"(v[13]), "=r"(v[14]), "=r"(v[15])
			 : "l"(p)
			 : "memory");
}

#else /* OpenCL C 1.2 on an OpenCL device */

uint mkrt_load_acquire(mkrt_word_t *p)
{
	uint v = *p;
	mem_fence(CLK_GLOBAL_MEM_FENCE);
	return v;
}

uint mkrt_load_relaxed(mkrt_word_t *p)
{
	return *p;
}

void mkrt_store_release(mkrt_word_t *p, uint v)
{
	mem_fence(CLK_GLOBAL_MEM_FENCE);
	*p = v;
}

void mkrt_store_relaxed(mkrt_word_t *p, uint v)
{
	*p = v;
}

uint mkrt_add_relaxed(mkrt_word_t *p, uint v)
{
	return atomic_add(p, v);
}

uint mkrt_add_release(mkrt_word_t *p, uint v)
{
	mem_fence(CLK_GLOBAL_MEM_FENCE);
	return atomic_add(p, v);
}

uint mkrt_sub_release(mkrt_word_t *p, uint v)
{
	mem_fence(CLK_GLOBAL_MEM_FENCE);
	return atomic_sub(p, v);
}

/* Compare-and-swap; on failure *expected gets the current value. */
bool mkrt_cas_acq_rel(mkrt_word_t *p, __private uint *expected, uint desired)
{
	mem_fence(CLK_GLOBAL_MEM_FENCE);
	uint old = atomic_cmpxchg(p, *expected, desired);
	mem_fence(CLK_GLOBAL_MEM_FENCE);
	return mkrt_cas_took(old, expected);
}

bool mkrt_cas_acquire(mkrt_word_t *p, __private uint *expected, uint desired)
{
	uint old = atomic_cmpxchg(p, *expected, desired);
	mem_fence(CLK_GLOBAL_MEM_FENCE);
	return mkrt_cas_took(old, expected);
}

bool mkrt_cas_relaxed(mkrt_word_t *p, __private uint *expected, uint desired)
{
	return mkrt_cas_took(atomic_cmpxchg(p, *expected, desired), expected);
}

void mkrt_fence_acq_rel(void)
{
	mem_fence(CLK_GLOBAL_MEM_FENCE);
}


#endif /* MKRT_PTX */

#else /* OpenCL C 2.0 and later */

#if defined(__opencl_c_atomic_scope_all_devices) || __OPENCL_C_VERSION__ == 200
#define MKRT_SCOPE memory_scope_all_svm_devices
#else
#define MKRT_SCOPE memory_scope_device
#endif

typedef volatile __global atomic_uint mkrt_word_t;

uint mkrt_load_acquire(mkrt_word_t *p)
{
	return atomic_load_explicit(p, memory_order_acquire, MKRT_SCOPE);
}

uint mkrt_load_relaxed(mkrt_word_t *p)
{
	return atomic_load_explicit(p, memory_order_relaxed, MKRT_SCOPE);
}

void mkrt_store_release(mkrt_word_t *p, uint v)
{
	atomic_store_explicit(p, v, memory_order_release, MKRT_SCOPE);
}

void mkrt_store_relaxed(mkrt_word_t *p, uint v)
{
	atomic_store_explicit(p, v, memory_order_relaxed, MKRT_SCOPE);
}

uint mkrt_add_relaxed(mkrt_word_t *p, uint v)
{
	return atomic_fetch_add_explicit(p, v, memory_order_relaxed, MKRT_SCOPE);
}

uint mkrt_add_release(mkrt_word_t *p, uint v)
{
	return atomic_fetch_add_explicit(p, v, memory_order_release, MKRT_SCOPE);
}

uint mkrt_sub_release(mkrt_word_t *p, uint v)
{
	return atomic_fetch_sub_explicit(p, v, memory_order_release, MKRT_SCOPE);
}

/* Compare-and-swap; on failure *expected gets the current value. */
bool mkrt_cas_acq_rel(mkrt_word_t *p, __private uint *expected, uint desired)
{
	return atomic_compare_exchange_strong_explicit(p, expected, desired, memory_order_acq_rel,
						       memory_order_acquire, MKRT_SCOPE);
}

bool mkrt_cas_acquire(mkrt_word_t *p, __private uint *expected, uint desired)
{
	return atomic_compare_exchange_strong_explicit(p, expected, desired, memory_order_acquire,
						       memory_order_acquire, MKRT_SCOPE);
}

bool mkrt_cas_relaxed(mkrt_word_t *p, __private uint *expected, uint desired)
{
	return atomic_compare_exchange_strong_explicit(p, expected, desired, memory_order_relaxed,
						       memory_order_relaxed, MKRT_SCOPE);
}

void mkrt_fence_acq_rel(void)
{
	atomic_work_item_fence(CLK_GLOBAL_MEM_FENCE, memory_order_acq_rel, MKRT_SCOPE);
}

typedef __global const uint mkrt_arena_word_t;

#ifdef MKRT_BUS_LANES
/*
 * The bus's lane protocol (the NVPTX branch above: claims in a table of
 * their own, a doorbell, batched looks) on an SVM device: what svm runs
 * under MKRT_SVM_LANES=bus, so that the protocol cuda's lanes keep is tested
 * wherever OpenCL C 2.0 runs, and for a GPU whose SVM lies across a bus.
 * The same orderings in C11 terms: the PTX's relaxed loads are relaxed
 * here, its fence.acq_rel an acq_rel fence. The look is below, shared.
 */
#define MKRT_BUS 1
#pragma OPENCL EXTENSION cl_khr_int64_base_atomics : enable
#pragma OPENCL EXTENSION cl_khr_int64_extended_atomics : enable

bool mkrt_claim_take(mkrt_word_t *p)
{
	uint free = 0;
	return mkrt_cas_acquire(p, &free, 1);
}

void mkrt_claim_drop(mkrt_word_t *p, bool wrote)
{
	if (wrote)
		mkrt_fence_acq_rel();
	mkrt_store_relaxed(p, 0);
}

void mkrt_fence_sc(void)
{
	atomic_work_item_fence(CLK_GLOBAL_MEM_FENCE, memory_order_seq_cst, MKRT_SCOPE);
}

/* The doorbell is one 64-bit word (mkrt_kernel_abi.h), loaded whole. */
void mkrt_round_issue(mkrt_word_t *ctl, mkrt_word_t *any, mkrt_word_t *bell, __private uint *r)
{
	r[0] = mkrt_load_relaxed(&ctl[MKRT_CTL_SHUTDOWN]);
	r[1] = mkrt_load_relaxed(&ctl[MKRT_CTL_YIELD]);
	r[2] = mkrt_load_relaxed(&ctl[MKRT_CTL_BUSY_LANES]);
	r[3] = mkrt_load_relaxed(any);
	ulong b = atomic_load_explicit((volatile __global atomic_ulong *)bell, memory_order_acquire,
				       MKRT_SCOPE);
	r[4] = (uint)(b >> 32);
	r[5] = (uint)b;
}

void mkrt_round_acquire(__private const uint *r)
{
	if (r[0] | r[1] | r[3])
		mkrt_fence_acq_rel();
}
#endif /* MKRT_BUS_LANES */

#endif /* OpenCL C 2.0 and later */

#ifndef MKRT_PTX
/* As the MKRT_PTX branch's, where a load costs no round trip. */
void mkrt_peek8(mkrt_word_t *ring, uint s, uint slot_count, __private uint *v)
{
	for (uint k = 0; k < 8; k++, s = s + 1 == slot_count ? 0 : s + 1)
		v[k] = mkrt_load_relaxed(&ring[s * MKRT_SLOT_WORDS + MKRT_SLOT_STATUS]);
}

void mkrt_arena_load16(mkrt_arena_word_t *p, __private uint *v)
{
	for (uint k = 0; k < 16; k++)
		v[k] = p[k];
}

/* Adds whose old value nobody reads (a reduction over a bus). */
void mkrt_red_relaxed(mkrt_word_t *p, uint v)
{
	(void)mkrt_add_relaxed(p, v);
}

void mkrt_red_release(mkrt_word_t *p, uint v)
{
	(void)mkrt_add_release(p, v);
}

/* After the claim, the look: the slot's 16 words, control words 0..7 and
 * YIELD, acquiring what the host wrote before a YIELD it sees. STATUS is
 * acquired first: a bus lane's claim is in its own table, so this is what
 * orders the payload after the publish (the PTX batch, above, issues every
 * load at once and relies on one thread's loads over PCIe completing in
 * order, which the PTX memory model does not promise: docs/ARCHITECTURE.md) */
void mkrt_look_issue(mkrt_word_t *s, mkrt_word_t *ctl, __private uint *w, __private uint *c,
		     __private uint *yield)
{
	w[0] = mkrt_load_acquire(&s[0]);
	for (uint i = 1; i < 16u; i++)
		w[i] = mkrt_load_relaxed(&s[i]);
	for (uint i = 0; i < 8u; i++)
		c[i] = mkrt_load_relaxed(&ctl[i]);
	*yield = mkrt_load_relaxed(&ctl[MKRT_CTL_YIELD]);
}

void mkrt_look_acquire(uint yield)
{
	if (yield)
		mkrt_fence_acq_rel();
}
#endif /* !MKRT_PTX */

/* The look at a claimed slot, whole (every build). */
void mkrt_load_claimed(mkrt_word_t *s, mkrt_word_t *ctl, __private uint *w, __private uint *c,
		       __private uint *yield)
{
	mkrt_look_issue(s, ctl, w, c, yield);
	mkrt_look_acquire(*yield);
}

#ifndef MKRT_BUS
/* The loads of one step, where every load is cheap: before a claim, slot
 * @s's STATUS (acquire) and, when it is PUBLISHED, words 1..3 and control
 * words 0..7 ... */
void mkrt_load_look(mkrt_word_t *s, mkrt_word_t *ctl, __private uint *h, __private uint *c)
{
	h[0] = mkrt_load_acquire(&s[0]);
	if (h[0] != MKRT_STATUS_PUBLISHED)
		return; /* nothing to look at further */
	for (uint i = 1; i < 4u; i++)
		h[i] = mkrt_load_relaxed(&s[i]);
	for (uint i = 0; i < 8u; i++)
		c[i] = mkrt_load_relaxed(&ctl[i]);
}

/* ... and a round's SHUTDOWN, YIELD, BUSY_LANES and withdrawal flag @any
 * (NULL: none); no doorbell where nothing is across a bus. */
void mkrt_load_round(mkrt_word_t *ctl, mkrt_word_t *any, __private uint *r)
{
	r[0] = mkrt_load_acquire(&ctl[MKRT_CTL_SHUTDOWN]);
	r[1] = mkrt_load_acquire(&ctl[MKRT_CTL_YIELD]);
	r[2] = mkrt_load_relaxed(&ctl[MKRT_CTL_BUSY_LANES]);
	r[3] = any ? mkrt_load_acquire(any) : 0;
	r[4] = r[5] = 0;
}
#endif /* !MKRT_BUS */

#endif /* MKRT_CL_ATOMICS_H */
