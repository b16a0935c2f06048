/* SPDX-License-Identifier: MIT */
/*
 * cuda_megakernel.cl - the megakernel as the build compiles it to PTX for the
 * cuda backend (OpenCL C 1.2, clang -target nvptx64-nvidia-cuda, libclc's
 * nvptx library): megakernel.cl with the dispatcher the runtime writes when
 * no user opcode is registered (runtime/opencl/program.c).
 */
#include "megakernel.cl"

uint mkrt_user_dispatch(uint op, __private uint *args, const struct mkrt_ctx *ctx)
{
	(void)op;
	(void)args;
	(void)ctx;
	return MKRT_FAULT_UNKNOWN_OPCODE;
}

/*
 * The floor under the cuda backend's round trip (mkrt_runtime_measure): one
 * lane answers @n pings through pinned host memory, as a lane sees a slot:
 * the host stores i (release) in word 0, the lane acquires it and stores i
 * (release) in word 16, a line of its own, where the host acquires it.
 * The host stores 0xFFFFFFFF to end it early. With @n 0 it returns at once:
 * the launch baseline.
 */
__kernel void mkrt_ping(mkrt_word_t *w, uint n)
{
	for (uint i = 1; i <= n; i++) {
		uint v;
		while ((v = mkrt_load_acquire(&w[0])) != i)
			if (v == 0xFFFFFFFFu)
				return;
		mkrt_store_release(&w[16], i);
	}
}
