/* SPDX-License-Identifier: MIT */
/* cl.h - OpenCL plumbing shared by device discovery, program build and the
 * device backends (internal). */
#ifndef MKRT_CL_H
#define MKRT_CL_H

#define CL_TARGET_OPENCL_VERSION 300
#include <CL/cl.h>
#include <CL/cl_ext.h>

#include "internal.h"
#include "mkrt/device.h"

/* An enumerated device: its handles and what it offers. */
struct mkrt__device {
	cl_platform_id platform;
	cl_device_id id;
	struct mkrt_device_info info;
};

/* cl_error.c: the one place OpenCL codes become mkrt codes. Records "@call
 * failed: CL_NAME (code)" in mkrt_last_detail() and returns MKRT_ECL. */
int mkrt__cl_fail(const char *call, cl_int code);
const char *mkrt__cl_name(cl_int code);

/* device.c: every device of every platform, enumerated once per process
 * (a failure is tried again by the next call); *@out stays valid. Returns
 * the count (0: no platform). Errors: ECL, ENOMEM. */
int mkrt__devices(const struct mkrt__device **out);
/* Device @index of that enumeration. Errors: ENODEVICE, ECL, ENOMEM. */
int mkrt__device_at(uint32_t index, struct mkrt__device *out);
/* "-cl-std=CL3.0" or "-cl-std=CL2.0" for the svm megakernel, or NULL. */
const char *mkrt__device_cl_std(const struct mkrt_device_info *info);

/*
 * The svm backend's memory modes (DESIGN §3, §5), in the order its probe
 * tries them (svm_probe.c); svm_mem.c allocates in each:
 * - fine+atomics: fine-grained SVM with CL_MEM_SVM_ATOMICS, where a host
 *   read-modify-write and a lane's are atomic with each other;
 * - fine: fine-grained SVM without that flag (AMD's ROCm): the host never
 *   read-modify-writes a word the lanes do (MKRT_HOST_NO_RMW);
 * - usm-host: cl_intel_unified_shared_memory host allocations (Intel's GPU
 *   driver has no fine-grained SVM), likewise without host RMWs.
 * MKRT_SVM_MODE=NAME forces one.
 */
enum mkrt__svm_mode { MKRT__SVM_FINE_ATOMICS, MKRT__SVM_FINE, MKRT__SVM_USM_HOST, MKRT__SVM_MODES };
const char *mkrt__svm_mode_name(enum mkrt__svm_mode m);
/* Whether the host may read-modify-write words the lanes do in mode @m. */
bool mkrt__svm_mode_host_rmw(enum mkrt__svm_mode m);

/* Memory of one mode on one context. */
struct mkrt__svm_mem {
	cl_context ctx;
	enum mkrt__svm_mode mode;
	/* usm-host: the extension's entry points, from the platform */
	clHostMemAllocINTEL_fn usm_alloc;
	clMemBlockingFreeINTEL_fn usm_free;
	clSetKernelArgMemPointerINTEL_fn usm_set_arg;
};
/* @m for @ctx on @platform: 0, or ENOTSUP when the platform lacks the
 * usm-host entry points (said in mkrt_last_detail()). */
int mkrt__svm_mem_init(struct mkrt__svm_mem *m, cl_context ctx, cl_platform_id platform,
		       enum mkrt__svm_mode mode);
/* @bytes aligned to @align, which host and lanes address alike; NULL when
 * the driver has none. Not zeroed. */
void *mkrt__svm_mem_alloc(const struct mkrt__svm_mem *m, size_t bytes, cl_uint align);
void mkrt__svm_mem_free(const struct mkrt__svm_mem *m, void *p);
/* The allocating call's name, for messages. */
const char *mkrt__svm_mem_call(const struct mkrt__svm_mem *m);
/* Kernel argument @index of @k: the pointer @p of such memory. */
cl_int mkrt__svm_mem_set_arg(const struct mkrt__svm_mem *m, cl_kernel k, cl_uint index, const void *p);

/*
 * Fault injection, for the test suites only (the library never sets it):
 * the next @mkrt__inject_svm_alloc - 1 calls of mkrt__svm_mem_alloc
 * succeed, then every call fails as a driver out of SVM would, with NULL.
 * 0 (the default) injects nothing.
 */
extern uint32_t mkrt__inject_svm_alloc;

/* Embedded sources (generated from cl/ and include/mkrt/protocol.h). */
struct mkrt__cl_source {
	const char *name;
	const unsigned char *text;   /* NUL-terminated */
	size_t size;
};
extern const struct mkrt__cl_source mkrt__cl_sources[];
extern const size_t mkrt__cl_source_count;

/* program.c: the program text of source @name ("megakernel.cl",
 * "probe.cl"), each #include of another of ours replaced by that file:
 * from $MKRT_CL_DIR when set (but protocol.h), else embedded. free() it. */
int mkrt__cl_text(const char *name, char **out);
/* Build @parts for @dev with @options, through the binary cache.
 * Errors: ECL, EBUILD (the build log in mkrt_last_detail()), ENOMEM. */
int mkrt__program_build(cl_context ctx, const struct mkrt__device *dev, const char *const *parts,
			size_t nparts, const char *options, cl_program *out);

/* The user-opcode dispatcher over cfg->cl_handlers, as OpenCL C, or NULL
 * (out of memory). free() it. */
char *mkrt__cl_dispatcher(const struct mkrt_config *cfg);

/* The megakernel (cl/ plus the user's OpenCL C and a dispatcher over
 * cfg->cl_handlers) built with @options (the -cl-std decides the atomics:
 * 2.0 / 3.0 for svm, 1.2 for copy). Errors as mkrt__program_build. */
int mkrt__megakernel_build(cl_context ctx, const struct mkrt__device *dev, const struct mkrt_config *cfg,
			   const char *options, cl_program *prog, cl_kernel *kernel);

/*
 * A backend's verdict on a device, from its handshake probe (DESIGN §3, §5):
 * evidence, not capability bits. probe.c caches verdicts per process,
 * backend and device, except transient refusals.
 */
struct mkrt__verdict {
	int score;                  /* 0: unavailable */
	enum mkrt__svm_mode svm_mode; /* svm: the accepted memory mode */
	char mode[64];              /* what passed, or how the probe ended */
	char reason[320];           /* why not, when score is 0 */
	bool transient;             /* refused for want of a resource the driver
	                               may have later (memory, a context): not
	                               cached, the next probe tries again */
};
typedef void (*mkrt__probe_fn)(const struct mkrt__device *dev, struct mkrt__verdict *v);

/* device.c: the device a backend opens on, the one cfg->device names (the
 * selection's choice, registry.c), and @verdict's verdict on it: true, or
 * false with why not. */
bool mkrt__device_chosen(const struct mkrt_config *cfg, mkrt__probe_fn verdict, struct mkrt__device *dev,
			 struct mkrt__verdict *v, char *why, size_t why_len);
/* probe.c: @probe's verdict on @dev for @backend, from the cache when it
 * has one. Thread-safe; probes run one at a time. */
void mkrt__verdict_of(const char *backend, const struct mkrt__device *dev, mkrt__probe_fn probe,
		      struct mkrt__verdict *out);
/* Append "@mode: @why; " to @v's reason; mkrt__verdict_of() drops the last "; ". */
void mkrt__verdict_append(struct mkrt__verdict *v, const char *mode, const char *why);
/* The probe kernel (cl/probe.cl) built with @cl_std on @ctx. NULL with
 * v->reason and v->transient set when it cannot be had. */
cl_kernel mkrt__probe_kernel(cl_context ctx, const struct mkrt__device *dev, const char *cl_std,
			     cl_program *prog, struct mkrt__verdict *v);
/* PoCL's basic / cpu-minimal driver runs a kernel inside the enqueue call,
 * so no resident backend can use it: true with the reason in @v. */
bool mkrt__verdict_inside_enqueue(const struct mkrt_device_info *info, struct mkrt__verdict *v);
/* Poll @ev until it is no longer queued or running: true, or false after
 * @ms milliseconds. */
bool mkrt__event_settles(cl_event ev, uint32_t ms);
/*
 * A handshake step ends on evidence, not on a clock: the word arrives, or the
 * probe kernel has returned without it (its budget of spins ran out). The
 * step bound only catches a kernel that never starts, so it is long.
 */
#define MKRT__PROBE_STEP_MS   30000u  /* backstop: a probe kernel that never starts */
#define MKRT__PROBE_STEP_TEXT "30 s"
#define MKRT__PROBE_FINISH_MS 10000u  /* the probe kernel's return after the handshake */
/* The probe kernel's spins on @info's attempt @attempt (0-based), or 0 when
 * there is none: a GPU gets one attempt of ~2^23 uncached loads (a few
 * seconds; Intel's i915 resets a context after ~14 s). On a CPU the kernel
 * and the host thread that must answer it share cores, so a loaded machine
 * can out-wait the kernel: a kernel that gave up is tried again with four
 * times the spins, three attempts in all (2^27, 2^29, 2^31 loads). */
uint32_t mkrt__probe_spins(const struct mkrt_device_info *info, int attempt);

/* The public mkrt_device_probe_*(): @verdict's score for device @index,
 * with its reason and mode. Errors: EINVAL, NODEVICE, CL. */
int mkrt__device_probe(uint32_t index, mkrt__probe_fn verdict, char *reason, size_t reason_len, char *mode,
		       size_t mode_len);

/* svm_probe.c, copy_probe.c: the two resident backends' verdicts. */
void mkrt__svm_verdict(const struct mkrt__device *dev, struct mkrt__verdict *out);
void mkrt__copy_verdict(const struct mkrt__device *dev, struct mkrt__verdict *out);

#endif /* MKRT_CL_H */
