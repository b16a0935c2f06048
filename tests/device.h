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

/* A user opcode "slow" that keeps its lane busy for args[0] << 8 atomic
 * loads of SHUTDOWN (seconds on PoCL for args[0] = 1 << 23), whatever they
 * show: a kernel that does not stop when asked. The loads keep the compiler
 * from shortening the loop. */
static const char mkrt_test_slow_cl[] =
	"uint slow(uint op, __private uint *args, const struct mkrt_ctx *ctx)\n"
	"{\n"
	"\tuint seen = 0;\n"
	"\tfor (ulong i = 0; i < ((ulong)args[0] << 8); i++)\n"
	"\t\tseen += mkrt_load_relaxed(ctx->io->shutdown);\n"
	"\targs[2] = seen;\n"
	"\treturn 0;\n"
	"}\n";

#endif /* MKRT_TEST_DEVICE_H */
