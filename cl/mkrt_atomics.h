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

#if __OPENCL_C_VERSION__ < 200

#define MKRT_CL12 1
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

#ifdef __NVPTX__

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

bool mkrt_cas_relaxed(mkrt_word_t *p, __private uint *expected, uint desired)
{
	return mkrt_cas_took(mkrt_cas_ptx_relaxed(p, *expected, desired), expected);
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

bool mkrt_cas_relaxed(mkrt_word_t *p, __private uint *expected, uint desired)
{
	return mkrt_cas_took(atomic_cmpxchg(p, *expected, desired), expected);
}

#endif /* __NVPTX__ */

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

bool mkrt_cas_relaxed(mkrt_word_t *p, __private uint *expected, uint desired)
{
	return atomic_compare_exchange_strong_explicit(p, expected, desired, memory_order_relaxed,
						       memory_order_relaxed, MKRT_SCOPE);
}

typedef __global const uint mkrt_arena_word_t;

#endif /* OpenCL C 2.0 and later */

#endif /* MKRT_CL_ATOMICS_H */
