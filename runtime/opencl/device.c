/* SPDX-License-Identifier: MIT */
/*
 * device.c - enumerate OpenCL devices through the ICD loader and read what
 * the resident backends need: SVM capabilities, OpenCL C versions and atomic
 * feature macros, compute units. Capability bits are not proof; the svm
 * backend's handshake probe (svm_probe.c) is.
 */
#include "cl.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

#define MKRT__MAX_PLATFORMS 16u
#define MKRT__MAX_DEVICES   64u

static void mkrt__info_str(cl_device_id d, cl_device_info what, char *out, size_t len)
{
	out[0] = '\0';
	if (clGetDeviceInfo(d, what, len, out, NULL) != CL_SUCCESS)
		out[0] = '\0';
	out[len - 1] = '\0';
}

/* Newest OpenCL C version usable for the svm megakernel: 3.0 from the 3.0
 * version list, else the CL_DEVICE_OPENCL_C_VERSION string ("OpenCL C 2.0 ..."). */
static void mkrt__cl_c_version(cl_device_id d, struct mkrt_device_info *info)
{
	cl_name_version v[32];
	size_t bytes = 0;
	char s[MKRT_NAME_LEN];

	if (clGetDeviceInfo(d, CL_DEVICE_OPENCL_C_ALL_VERSIONS, sizeof(v), v, &bytes) == CL_SUCCESS) {
		for (size_t i = 0; i < bytes / sizeof(v[0]) && i < 32; i++) {
			uint32_t major = CL_VERSION_MAJOR(v[i].version), minor = CL_VERSION_MINOR(v[i].version);
			if (major > info->cl_c_major || (major == info->cl_c_major && minor > info->cl_c_minor)) {
				info->cl_c_major = major;
				info->cl_c_minor = minor;
			}
		}
	}
	mkrt__info_str(d, CL_DEVICE_OPENCL_C_VERSION, s, sizeof(s));
	unsigned major = 0, minor = 0;
	if (sscanf(s, "OpenCL C %u.%u", &major, &minor) == 2 &&
	    (major > info->cl_c_major || (major == info->cl_c_major && minor > info->cl_c_minor))) {
		info->cl_c_major = major;
		info->cl_c_minor = minor;
	}
}

/* Atomic feature macros: listed on 3.0, implied by OpenCL C 2.x. */
static void mkrt__atomic_features(cl_device_id d, struct mkrt_device_info *info)
{
	cl_name_version f[64];
	size_t bytes = 0;

	if (info->cl_c_major == 2) {
		info->atomic_acq_rel = info->atomic_seq_cst = true;
		info->scope_device = info->scope_all_devices = true;
	}
	if (clGetDeviceInfo(d, CL_DEVICE_OPENCL_C_FEATURES, sizeof(f), f, &bytes) != CL_SUCCESS)
		return;
	for (size_t i = 0; i < bytes / sizeof(f[0]) && i < 64; i++) {
		const char *n = f[i].name;
		info->atomic_acq_rel |= strcmp(n, "__opencl_c_atomic_order_acq_rel") == 0;
		info->atomic_seq_cst |= strcmp(n, "__opencl_c_atomic_order_seq_cst") == 0;
		info->scope_device |= strcmp(n, "__opencl_c_atomic_scope_device") == 0;
		info->scope_all_devices |= strcmp(n, "__opencl_c_atomic_scope_all_devices") == 0;
	}
}

static void mkrt__fill_info(struct mkrt__device *dev, uint32_t index)
{
	struct mkrt_device_info *info = &dev->info;
	cl_device_type type = 0;
	cl_uint cu = 0;
	size_t wg = 0;
	cl_device_svm_capabilities svm = 0;

	memset(info, 0, sizeof(*info));
	info->index = index;
	if (clGetPlatformInfo(dev->platform, CL_PLATFORM_NAME, sizeof(info->platform), info->platform,
			      NULL) != CL_SUCCESS)
		info->platform[0] = '\0';
	info->platform[sizeof(info->platform) - 1] = '\0';
	mkrt__info_str(dev->id, CL_DEVICE_NAME, info->name, sizeof(info->name));
	mkrt__info_str(dev->id, CL_DEVICE_VENDOR, info->vendor, sizeof(info->vendor));
	mkrt__info_str(dev->id, CL_DRIVER_VERSION, info->driver, sizeof(info->driver));
	mkrt__info_str(dev->id, CL_DEVICE_VERSION, info->version, sizeof(info->version));
	clGetDeviceInfo(dev->id, CL_DEVICE_TYPE, sizeof(type), &type, NULL);
	clGetDeviceInfo(dev->id, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof(cu), &cu, NULL);
	clGetDeviceInfo(dev->id, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof(wg), &wg, NULL);
	if (clGetDeviceInfo(dev->id, CL_DEVICE_SVM_CAPABILITIES, sizeof(svm), &svm, NULL) != CL_SUCCESS)
		svm = 0;
	info->gpu = (type & CL_DEVICE_TYPE_GPU) != 0;
	info->cpu = (type & CL_DEVICE_TYPE_CPU) != 0;
	info->compute_units = cu;
	info->max_work_group = wg;
	info->svm_coarse = (svm & CL_DEVICE_SVM_COARSE_GRAIN_BUFFER) != 0;
	info->svm_fine_buffer = (svm & CL_DEVICE_SVM_FINE_GRAIN_BUFFER) != 0;
	info->svm_fine_system = (svm & CL_DEVICE_SVM_FINE_GRAIN_SYSTEM) != 0;
	info->svm_atomics = (svm & CL_DEVICE_SVM_ATOMICS) != 0;
	mkrt__cl_c_version(dev->id, info);
	mkrt__atomic_features(dev->id, info);
	/* PoCL's basic / cpu-minimal drivers run a kernel inside clEnqueue* */
	info->runs_inside_enqueue = strstr(info->platform, "Portable Computing Language") &&
				    (strncmp(info->name, "basic", 5) == 0 ||
				     strncmp(info->name, "cpu-minimal", 11) == 0);
}

/* Every device of every platform, or an error; *@out is malloc'ed. */
static int mkrt__enumerate(struct mkrt__device **out)
{
	cl_platform_id plats[MKRT__MAX_PLATFORMS];
	cl_uint nplat = 0;
	cl_int rc = clGetPlatformIDs(MKRT__MAX_PLATFORMS, plats, &nplat);

	*out = NULL;
	if (rc == CL_PLATFORM_NOT_FOUND_KHR || (rc == CL_SUCCESS && nplat == 0))
		return 0;
	if (rc != CL_SUCCESS)
		return mkrt__cl_fail("clGetPlatformIDs", rc);
	struct mkrt__device *devs = calloc(MKRT__MAX_DEVICES, sizeof(*devs));
	if (!devs)
		return MKRT_ENOMEM;
	uint32_t n = 0;
	for (cl_uint p = 0; p < nplat && p < MKRT__MAX_PLATFORMS; p++) {
		cl_device_id ids[MKRT__MAX_DEVICES];
		cl_uint nd = 0;
		if (clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, MKRT__MAX_DEVICES, ids, &nd) != CL_SUCCESS)
			continue; /* a platform without devices is not an error */
		for (cl_uint i = 0; i < nd && i < MKRT__MAX_DEVICES && n < MKRT__MAX_DEVICES; i++) {
			devs[n].platform = plats[p];
			devs[n].id = ids[i];
			mkrt__fill_info(&devs[n], n);
			n++;
		}
	}
	*out = devs;
	return (int)n;
}

/* The process's devices, enumerated once (a failure is tried again next time). */
static pthread_mutex_t mkrt__devices_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mkrt__device *mkrt__devices_seen;
static int mkrt__devices_count = -1;

int mkrt__devices(const struct mkrt__device **out)
{
	pthread_mutex_lock(&mkrt__devices_lock);
	if (mkrt__devices_count < 0) {
		struct mkrt__device *devs;
		int n = mkrt__enumerate(&devs);
		if (n < 0) {
			pthread_mutex_unlock(&mkrt__devices_lock);
			return n;
		}
		mkrt__devices_seen = devs;
		mkrt__devices_count = n;
	}
	*out = mkrt__devices_seen;
	int n = mkrt__devices_count;
	pthread_mutex_unlock(&mkrt__devices_lock);
	return n;
}

const char *mkrt__device_cl_std(const struct mkrt_device_info *info)
{
	if (info->cl_c_major >= 3)
		return info->atomic_acq_rel ? "-cl-std=CL3.0" : NULL;
	if (info->cl_c_major == 2)
		return "-cl-std=CL2.0";
	return NULL;
}

int mkrt_device_count(void)
{
	const struct mkrt__device *devs;

	return mkrt__devices(&devs);
}

int mkrt__device_at(uint32_t index, struct mkrt__device *out)
{
	const struct mkrt__device *devs;
	int n = mkrt__devices(&devs);

	if (n >= 0 && index >= (uint32_t)n)
		n = MKRT_ENODEVICE;
	if (n >= 0)
		*out = devs[index];
	return n < 0 ? n : 0;
}

int mkrt_device_get(uint32_t index, struct mkrt_device_info *out)
{
	struct mkrt__device dev;
	int err;

	if (!out)
		return MKRT_EINVAL;
	err = mkrt__device_at(index, &dev);
	if (!err)
		*out = dev.info;
	return err;
}

static bool mkrt__contains_nocase(const char *hay, const char *needle)
{
	size_t nl = strlen(needle);

	for (; *hay; hay++) {
		size_t i = 0;
		while (i < nl && hay[i] && tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
			i++;
		if (i == nl)
			return true;
	}
	return nl == 0;
}

static bool mkrt__all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

int mkrt_device_match(const char *spec)
{
	const struct mkrt__device *devs;
	char list[512] = "";
	int n, found = MKRT_ENODEVICE;

	if (!spec)
		return MKRT_EINVAL;
	n = mkrt__devices(&devs);
	if (n < 0)
		return n;
	for (int i = 0; i < n && found < 0; i++) {
		char full[2 * MKRT_NAME_LEN + 2];
		snprintf(full, sizeof(full), "%s %s", devs[i].info.platform, devs[i].info.name);
		if (mkrt__all_digits(spec) ? strtoul(spec, NULL, 10) == (unsigned long)i
					   : mkrt__contains_nocase(full, spec))
			found = i;
		size_t used = strlen(list);
		snprintf(list + used, sizeof(list) - used, "%s%d: %s", i ? "; " : "", i, full);
	}
	if (found < 0)
		mkrt__detail("MKRT_DEVICE='%.64s' matches no OpenCL device (devices: %s). %s", spec,
			     n ? list : "none, no OpenCL platform installed", mkrt__err_fix(MKRT_ENODEVICE));
	return found;
}

bool mkrt__device_chosen(const struct mkrt_config *cfg, mkrt__probe_fn verdict, struct mkrt__device *dev,
			 struct mkrt__verdict *v, char *why, size_t why_len)
{
	int index = cfg->device ? mkrt_device_match(cfg->device) : MKRT_ENODEVICE;

	if (index < 0 || mkrt__device_at((uint32_t)index, dev)) {
		snprintf(why, why_len, "%s", cfg->device ? mkrt_last_detail()
							 : "no device was chosen for it (open it through "
							   "mkrt_runtime_open)");
		return false;
	}
	verdict(dev, v);
	if (!v->score)
		snprintf(why, why_len, "%s: %s", dev->info.name, v->reason);
	return v->score > 0;
}
