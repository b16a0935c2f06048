/* SPDX-License-Identifier: MIT */
/*
 * ptx.c - the megakernel's PTX for the cuda backend (ptx.h): the one the
 * build embedded, or, with user opcodes in OpenCL C, the same parts as
 * cl/cuda_megakernel.cl with the user's source and its dispatcher, compiled
 * by the clang and libclc that configure found, in a child process under a
 * watchdog.
 */
#include "ptx.h"
#include "cl.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MKRT__PTX_BUILD_MS  120000u     /* clang's watchdog */
#define MKRT__PTX_MAX       (64u << 20) /* the most PTX we read back */
#define MKRT__PTX_LOG_MAX   4000u       /* of clang's errors, into the detail */

#ifdef HAVE_PTX
extern const unsigned char mkrt__cuda_ptx_text[]; /* cl/mkrt_megakernel.ptx, NUL-terminated */
#endif

extern char **environ;

/* The whole of @path into a NUL-terminated buffer of at most @max bytes. */
static char *mkrt__slurp(const char *path, size_t max)
{
	FILE *f = fopen(path, "rb");
	char *buf = f ? malloc(max + 1) : NULL;
	size_t n = buf ? fread(buf, 1, max, f) : 0;

	if (f)
		fclose(f);
	if (buf)
		buf[n] = '\0';
	return buf;
}

static int mkrt__write_parts(const char *path, const char *const *parts, size_t n)
{
	FILE *f = fopen(path, "wb");
	bool ok = f != NULL;

	for (size_t i = 0; ok && i < n; i++)
		ok = fputs(parts[i], f) >= 0 && fputc('\n', f) != EOF;
	if (f && fclose(f) != 0)
		ok = false;
	if (!ok)
		mkrt__detail("cuda: cannot write %s: %s", path, strerror(errno));
	return ok ? 0 : MKRT_ENOMEM;
}

/* Run @argv with stderr into @log; its exit status, or -1 when it did not
 * start, or -2 when it outran the watchdog (killed). */
static int mkrt__run(char *const *argv, const char *log)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status = 0;

	if (posix_spawn_file_actions_init(&fa))
		return -1;
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc)
		return -1;
	uint64_t deadline = mkrt__now_ns() + (uint64_t)MKRT__PTX_BUILD_MS * 1000000u;
	for (;;) {
		pid_t got = waitpid(pid, &status, WNOHANG);
		if (got == pid)
			break;
		if (got < 0 && errno != EINTR)
			return -1;
		if (mkrt__now_ns() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -2;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 10000000L }, NULL);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

#ifdef HAVE_PTX
/* Compile @parts to PTX in a folder of our own under $TMPDIR. */
static int mkrt__compile(const char *const *parts, size_t n, char **out)
{
	const char *tmp = getenv("TMPDIR");
	char dir[256], src[300], ptx[300], log[300];
	int err;

	snprintf(dir, sizeof(dir), "%s/mkrt-ptx-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		mkrt__detail("cuda: cannot make a folder for the PTX build (%s): %s. Fix: point "
			     "TMPDIR at a writable folder", dir, strerror(errno));
		return MKRT_ENOMEM;
	}
	snprintf(src, sizeof(src), "%s/megakernel.cl", dir);
	snprintf(ptx, sizeof(ptx), "%s/megakernel.ptx", dir);
	snprintf(log, sizeof(log), "%s/clang.log", dir);
	char *argv[] = { MKRT_CLANG, "-target", "nvptx64-unknown-nvidiacl", "-march=sm_80", "-x", "cl",
			 "-cl-std=CL1.2", "-DMKRT_CUDA", "-O2", "-Xclang", "-finclude-default-header", "-Xclang",
			 "-mlink-builtin-bitcode", "-Xclang", MKRT_LIBCLC_NVPTX, "-S", "-o", ptx, src,
			 NULL };
	err = mkrt__write_parts(src, parts, n);
	int status = err ? 0 : mkrt__run(argv, log);
	if (!err && status == -1) {
		mkrt__detail("cuda: user opcodes need the megakernel rebuilt as PTX, and %s did not "
			     "start. Fix: apt-get install clang-15 libclc-15", MKRT_CLANG);
		err = MKRT_ENOTSUP;
	} else if (!err && status == -2) {
		mkrt__detail("cuda: %s did not build the PTX within %u s", MKRT_CLANG,
			     MKRT__PTX_BUILD_MS / 1000u);
		err = MKRT_ETIMEDOUT;
	} else if (!err && status != 0) {
		char *text = mkrt__slurp(log, MKRT__PTX_LOG_MAX);
		mkrt__detail("cuda: the megakernel with the user opcodes did not compile to PTX "
			     "(%s exit %d):\n%s", MKRT_CLANG, status, text ? text : "");
		free(text);
		err = MKRT_EBUILD;
	} else if (!err && !(*out = mkrt__slurp(ptx, MKRT__PTX_MAX))) {
		mkrt__detail("cuda: cannot read back %s", ptx);
		err = MKRT_ENOMEM;
	}
	unlink(src);
	unlink(ptx);
	unlink(log);
	rmdir(dir);
	return err;
}
#endif

int mkrt__cuda_ptx(const struct mkrt_config *cfg, const char **ptx, char **owned)
{
	*owned = NULL;
#ifdef HAVE_PTX
	if (!cfg->cl_source && !cfg->cl_handler_count) {
		*ptx = (const char *)mkrt__cuda_ptx_text;
		return 0;
	}
	/* cl/cuda_megakernel.cl's parts: the megakernel, the user's source and
	 * the dispatcher over it, the ping kernel */
	char *megakernel = NULL, *ping = NULL, *dispatch = mkrt__cl_dispatcher(cfg);
	int err = dispatch ? mkrt__cl_text("megakernel.cl", &megakernel) : MKRT_ENOMEM;
	err = err ? err : mkrt__cl_text("ping.cl", &ping);
	if (!err) {
		const char *parts[] = { megakernel, cfg->cl_source ? cfg->cl_source : "", dispatch, ping };
		err = mkrt__compile(parts, MKRT__ARRAY_SIZE(parts), owned);
	}
	free(megakernel);
	free(ping);
	free(dispatch);
	if (!err)
		*ptx = *owned;
	return err;
#else
	(void)cfg;
	(void)ptx;
	(void)mkrt__run;
	(void)mkrt__write_parts;
	(void)mkrt__slurp;
	mkrt__detail("cuda: this build has no megakernel PTX (configure found no clang with "
		     "libclc's nvptx library). Fix: apt-get install clang-15 libclc-15, then "
		     "configure and build again");
	return MKRT_EUNAVAILABLE;
#endif
}
