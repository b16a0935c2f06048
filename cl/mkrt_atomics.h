/* SPDX-License-Identifier: MIT */
/*
 * mkrt_atomics.h - the device side's only ordering tool (OpenCL C 2.0 / 3.0).
 *
 * Words shared with the host live in fine-grained SVM and are touched only
 * through these helpers: load, store, CAS and add, the operations PCIe atomics
 * carry. The scope is chosen by feature macro, never by vendor: all SVM
 * devices where the compiler offers it (OpenCL C 2.0, or 3.0 with
 * __opencl_c_atomic_scope_all_devices), else device scope, which on a CPU
 * device is as strong as system scope.
 */
#ifndef MKRT_CL_ATOMICS_H
#define MKRT_CL_ATOMICS_H

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

#endif /* MKRT_CL_ATOMICS_H */
