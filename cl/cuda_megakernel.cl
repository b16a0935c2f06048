/* SPDX-License-Identifier: MIT */
/*
 * cuda_megakernel.cl - the megakernel as the build compiles it to PTX for the
 * cuda backend (OpenCL C 1.2, clang -target nvptx64-nvidia-cuda, libclc's
 * nvptx library): megakernel.cl with the dispatcher the runtime writes when
 * no user opcode is registered (runtime/opencl/program.c), and the ping
 * kernel under its floor. With user opcodes the runtime compiles the same
 * parts with theirs at run time (runtime/backends/cuda_ptx.c).
 */
#include "megakernel.cl"

uint mkrt_user_dispatch(uint op, __private uint *args, const struct mkrt_ctx *ctx)
{
	(void)op;
	(void)args;
	(void)ctx;
	return MKRT_FAULT_UNKNOWN_OPCODE;
}


#include "ping.cl"
