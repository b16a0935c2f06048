/* SPDX-License-Identifier: MIT */
/*
 * mkrt/device.h - OpenCL device discovery: what each device offers the
 * resident backends, and which one the automatic choice takes.
 *
 * Enumeration goes through the ICD loader on every call (no hidden global
 * OpenCL state). Calling it forks-safely is the caller's business: after
 * PoCL has built or run anything, a forked child hangs on OpenCL.
 */
#ifndef MKRT_DEVICE_H
#define MKRT_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

MKRT_BEGIN_DECLS

#define MKRT_NAME_LEN 128

struct mkrt_device_info {
	uint32_t index;                      /* position across all platforms */
	char platform[MKRT_NAME_LEN];
	char name[MKRT_NAME_LEN];
	char vendor[MKRT_NAME_LEN];
	char driver[MKRT_NAME_LEN];          /* CL_DRIVER_VERSION */
	char version[MKRT_NAME_LEN];         /* CL_DEVICE_VERSION */
	bool gpu;
	bool cpu;
	uint32_t compute_units;
	uint64_t max_work_group;
	uint32_t cl_c_major, cl_c_minor;     /* newest OpenCL C offered (2.x or 3.0 for svm) */
	bool svm_coarse;
	bool svm_fine_buffer;
	bool svm_fine_system;
	bool svm_atomics;
	bool atomic_acq_rel;                 /* __opencl_c_atomic_order_acq_rel (implied by 2.x) */
	bool atomic_seq_cst;
	bool scope_device;
	bool scope_all_devices;              /* __opencl_c_atomic_scope_all_devices */
	bool runs_inside_enqueue;            /* PoCL basic / cpu-minimal: no resident kernels */
};

/* mkrt_device_count - OpenCL devices over all platforms; 0 when there is no
 * platform at all. Errors: ECL. */
MKRT_API int mkrt_device_count(void);

/* mkrt_device_get - capabilities of device @index. Errors: EINVAL, NODEVICE, CL. */
MKRT_API int mkrt_device_get(uint32_t index, struct mkrt_device_info *out);

/*
 * mkrt_device_match - the index of the device @spec names: a decimal index, or
 * a case-insensitive substring of "platform device". Errors: EINVAL, NODEVICE
 * (with the devices listed in mkrt_last_detail()).
 */
MKRT_API int mkrt_device_match(const char *spec);

/*
 * mkrt_device_probe_svm - may the svm backend run on device @index? Runs the
 * handshake probe (a running kernel must answer a host store in fine-grained
 * SVM) once per process and device. Returns a score (GPU 100, CPU 50) or 0
 * with the reason; @mode gets the accepted allocation mode ("fine+atomics",
 * "fine") or the probe's outcome. Errors: EINVAL, NODEVICE, CL.
 */
MKRT_API int mkrt_device_probe_svm(uint32_t index, char *reason, size_t reason_len, char *mode,
				   size_t mode_len);

/*
 * mkrt_device_probe_copy - may the copy backend run on device @index? Runs
 * its handshake probe once per process and device: a running kernel must
 * see a write made through a second command queue, and that queue's reads
 * must complete while it runs. Returns a score (GPU 25, CPU 10: below any
 * svm score) or 0 with the reason; @mode gets "second queue" or the probe's
 * outcome. Errors: EINVAL, NODEVICE, CL.
 */
MKRT_API int mkrt_device_probe_copy(uint32_t index, char *reason, size_t reason_len, char *mode,
				    size_t mode_len);

MKRT_END_DECLS

#endif /* MKRT_DEVICE_H */
