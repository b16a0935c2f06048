/* SPDX-License-Identifier: MIT */
/* quickstart - the README's example: submit slots, wait, read a result. */
#include <stdio.h>
#include <mkrt.h>

int main(void)
{
	struct mkrt_config cfg;
	struct mkrt_runtime *rt;
	struct mkrt_ticket t;
	struct mkrt_slot add = { .opcode = MKRT_OP_ATOMIC_ADD, .args = { 1, MKRT_CTL_OBS } }, res;
	uint32_t total = 0;

	mkrt_config_init(&cfg);             /* backend: $MKRT_BACKEND, else the best probe */
	int err = mkrt_runtime_open(&cfg, &rt);
	if (err)
		return fprintf(stderr, "%s\n%s\n", mkrt_strerror(err), mkrt_last_detail()), 1;
	for (int i = 0; i < 1000 && !err; i++) {
		err = mkrt_submit(rt, &add, 1000, &t);  /* any thread; picks a free slot */
		if (!err)
			err = mkrt_wait(rt, t, 1000, &res);  /* 0: DONE, MKRT_ESLOTFAULT: FAULT */
	}
	mkrt_runtime_read_control(rt, MKRT_CTL_OBS, 1, &total);
	printf("%s: 1000 slots, C[OBS] = %u, %s\n", mkrt_runtime_backend(rt), total, mkrt_err_name(err));
	mkrt_runtime_close(rt);
	return err || total != 1000;
}
