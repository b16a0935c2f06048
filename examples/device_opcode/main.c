/* SPDX-License-Identifier: MIT */
/*
 * device_opcode - a user opcode written in OpenCL C, compiled into the
 * megakernel, next to the same opcode in C for the host backend.
 *
 * Opcode 0x100 MULADD: args[3] = args[0] * args[1] + args[2]; faults with
 * reason 0x10 when the product overflows 32 bits.
 */
#include <stdio.h>
#include <mkrt.h>

#define OP_MULADD 0x100u
#define FAULT_OVERFLOW 0x10u

/* The device version: uint FN(uint opcode, __private uint *args, const struct mkrt_ctx *ctx). */
static const char muladd_cl[] =
	"uint muladd(uint op, __private uint *args, const struct mkrt_ctx *ctx)\n"
	"{\n"
	"\tulong p = (ulong)args[0] * args[1];\n"
	"\tif (p > 0xFFFFFFFFul)\n"
	"\t\treturn 0x10;\n"
	"\targs[3] = (uint)p + args[2];\n"
	"\treturn 0;\n"
	"}\n";

/* The host version: the same semantics for the host backend. */
static uint32_t muladd_c(void *user, uint32_t op, uint32_t args[MKRT_SLOT_ARGS], struct mkrt_ctx *ctx)
{
	(void)ctx;
	(void)user;
	(void)op;
	uint64_t p = (uint64_t)args[0] * args[1];
	if (p > 0xFFFFFFFFu)
		return FAULT_OVERFLOW;
	args[3] = (uint32_t)p + args[2];
	return 0;
}

int main(void)
{
	struct mkrt_cl_handler cl = { OP_MULADD, "muladd" };
	struct mkrt_handler c = { OP_MULADD, muladd_c, NULL };
	struct mkrt_config cfg;
	struct mkrt_runtime *rt;
	struct mkrt_ticket t;
	struct mkrt_slot res;

	mkrt_config_init(&cfg);
	cfg.cl_source = muladd_cl;
	cfg.cl_handlers = &cl;
	cfg.cl_handler_count = 1;
	cfg.handlers = &c;
	cfg.handler_count = 1;
	int err = mkrt_runtime_open(&cfg, &rt);
	if (err)
		return fprintf(stderr, "%s\n%s\n", mkrt_strerror(err), mkrt_last_detail()), 1;

	struct mkrt_slot ok = { .opcode = OP_MULADD, .args = { 6, 7, 100 } };
	struct mkrt_slot big = { .opcode = OP_MULADD, .args = { 0x10000, 0x10000, 0 } };
	err = mkrt_submit(rt, &ok, 1000, &t);
	err = err ? err : mkrt_wait(rt, t, 5000, &res);
	printf("%s: muladd(6, 7, 100) = %u (%s)\n", mkrt_runtime_backend(rt), res.args[3], mkrt_err_name(err));
	int bad = err || res.args[3] != 142;
	err = mkrt_submit(rt, &big, 1000, &t);
	err = err ? err : mkrt_wait(rt, t, 5000, &res);
	printf("%s: muladd(65536, 65536, 0) -> %s, fault reason %#x\n", mkrt_runtime_backend(rt),
	       mkrt_err_name(err), res.args[11]);
	bad |= err != MKRT_ESLOTFAULT || res.args[11] != FAULT_OVERFLOW;
	mkrt_runtime_close(rt);
	return bad;
}
