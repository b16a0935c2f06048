/* SPDX-License-Identifier: MIT */
/*
 * device.h - the skip policy of the device suites.
 *
 * A device suite may skip only on a machine with no OpenCL platform at all;
 * where PoCL is installed (CI) it must run, and a failing svm probe fails.
 * The check runs in a child process: after PoCL has built or run anything, a
 * forked child hangs on OpenCL, and Check forks every test from this process.
 */
#ifndef MKRT_TEST_DEVICE_H
#define MKRT_TEST_DEVICE_H

#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mkrt.h"

#define MKRT_TEST_SKIP 77

/* Exit 77 when no OpenCL device exists; otherwise return. */
static inline void mkrt_require_opencl_or_skip(void)
{
	pid_t pid = fork();
	int status = 0;

	if (pid == 0)
		_exit(mkrt_device_count() > 0 ? 0 : 1);
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return; /* cannot tell: run, and let the tests say what is wrong */
	if (WEXITSTATUS(status) == 1) {
		printf("SKIP: no OpenCL platform (apt-get install pocl-opencl-icd)\n");
		exit(MKRT_TEST_SKIP);
	}
}

#endif /* MKRT_TEST_DEVICE_H */
