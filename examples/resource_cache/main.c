/* SPDX-License-Identifier: MIT */
/*
 * resource_cache - the device-initiated direction of a load miss.
 *
 * User opcode 0x200 SUM adds up the bytes of resource args[0]. It does not
 * care whether the resource is resident: mkrt_resource_acquire() pins it on a
 * hit, or raises a load miss and waits for the IO servicer on a miss. The
 * OpenCL C version runs in the megakernel (svm), the C version on host.
 *
 * usage: resource_cache [N]   (default 2000 requests over 300 resources)
 */
#define _POSIX_C_SOURCE 200809L /* mkstemp */

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <mkrt.h>

#define OP_SUM 0x200u
#define RECORD 1024u
#define RESOURCES 300u

static const char sum_cl[] =
	"uint sum(uint op, __private uint *args, const struct mkrt_ctx *ctx)\n"
	"{\n"
	"\tmkrt_arena_word_t *w;\n"
	"\tuint n, frame, total = 0;\n"
	"\tuint err = mkrt_resource_acquire(ctx, args[0], &w, &n, &frame);\n"
	"\tif (err)\n"
	"\t\treturn 0x100 + err;\n"
	"\tfor (uint i = 0; i < n / 4; i++)\n"
	"\t\ttotal += (w[i] & 0xff) + (w[i] >> 8 & 0xff) + (w[i] >> 16 & 0xff) + (w[i] >> 24);\n"
	"\tmkrt_resource_release(ctx, frame);\n"
	"\targs[1] = total;\n"
	"\treturn 0;\n"
	"}\n";

static uint32_t sum_c(void *user, uint32_t op, uint32_t args[MKRT_SLOT_ARGS], struct mkrt_ctx *ctx)
{
	const uint8_t *bytes;
	uint32_t n, frame, total = 0;
	uint32_t err = mkrt_resource_acquire(ctx, args[0], (const void **)&bytes, &n, &frame);

	(void)user;
	(void)op;
	if (err)
		return 0x100 + err;
	for (uint32_t i = 0; i < n; i++)
		total += bytes[i];
	mkrt_resource_release(ctx, frame);
	args[1] = total;
	return 0;
}

int main(int argc, char **argv)
{
	char *end = NULL;
	unsigned long n = argc > 1 ? strtoul(argv[1], &end, 10) : 2000;
	if (argc > 2 || (end && (*end || argv[1][0] < '0' || argv[1][0] > '9')) || n < 1 || n > (1ul << 24)) {
		fprintf(stderr, "usage: resource_cache [N]: N requests, 1 to 16777216 (default 2000)\n");
		return 2;
	}
	uint32_t N = (uint32_t)n, want[RESOURCES], bad = 0;
	char path[] = "/tmp/mkrt-cache-XXXXXX";
	FILE *f = fdopen(mkstemp(path), "wb");
	static uint8_t rec[RECORD];

	for (uint32_t r = 0; f && r < RESOURCES; r++) {
		want[r] = 0;
		for (uint32_t i = 0; i < RECORD; i++)
			want[r] += rec[i] = (uint8_t)(r ^ (i * 13u));
		fwrite(rec, 1, RECORD, f);
	}
	if (!f || fclose(f))
		return fprintf(stderr, "cannot write %s\n", path), 1;

	struct mkrt_io_config io = { .resources = RESOURCES, .frames = 32, .frame_bytes = RECORD,
				     .path = path };
	struct mkrt_cl_handler cl = { OP_SUM, "sum" };
	struct mkrt_handler c = { OP_SUM, sum_c, NULL };
	struct mkrt_config cfg;
	struct mkrt_runtime *rt;
	mkrt_config_init(&cfg);
	cfg.io = &io;
	cfg.cl_source = sum_cl;
	cfg.cl_handlers = &cl;
	cfg.cl_handler_count = 1;
	cfg.handlers = &c;
	cfg.handler_count = 1;
	int err = mkrt_runtime_open(&cfg, &rt);
	if (err)
		return fprintf(stderr, "%s\n%s\n", mkrt_strerror(err), mkrt_last_detail()), 1;

	for (uint32_t i = 0; i < N && !err; i++) {
		uint32_t id = i % 4 ? i % 20 : (i * 7919u) % RESOURCES; /* 3/4 from a hot 20 */
		struct mkrt_slot req = { .opcode = OP_SUM, .args = { id } }, res;
		struct mkrt_ticket t;
		err = mkrt_submit(rt, &req, 1000, &t);
		err = err ? err : mkrt_wait(rt, t, 10000, &res);
		bad += !err && res.args[1] != want[id];
	}
	struct mkrt_stats st;
	mkrt_runtime_stats(rt, &st);
	printf("%s: %u SUM requests over %u resources in 32 frames: %s, %u wrong sums; "
	       "the handlers raised %llu load misses, the rest were resident\n",
	       mkrt_runtime_backend(rt), N, RESOURCES, mkrt_err_name(err), bad,
	       (unsigned long long)st.io_requests);
	mkrt_runtime_close(rt);
	unlink(path);
	return err || bad;
}
