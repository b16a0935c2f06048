/* SPDX-License-Identifier: MIT */
/*
 * fuzz_shm_intake.c - the shm broker's intake of a slot another process
 * wrote (16 arbitrary words), then what the broker does with a slot it
 * takes: publish it into the inner ring and let an executor run it. A slot
 * the intake takes must publish, and must end DONE or FAULT, or stay
 * PUBLISHED only when its tenant is denied; the intake never takes a
 * SHUTDOWN. What it takes from another process leaves every control word
 * below OBS as it was, but those the executor itself keeps (DONE_COUNT,
 * FAULT_COUNT, the per-opcode metrics) and BATCH_FENCE's EPOCH; the rule
 * for other processes only ever refuses more than the server's own ring.
 */
#include "fuzz.h"
#include "shm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	uint32_t w[MKRT_SLOT_WORDS], base = fuzz_u32(&in);

	for (uint32_t i = 0; i < MKRT_SLOT_WORDS; i++)
		w[i] = fuzz_u32(&in);
	/* half the inputs get a PUBLISHED status, so the rest of the checks run */
	if (base & 1u)
		w[MKRT_SLOT_STATUS] = MKRT_STATUS_PUBLISHED;
	uint32_t verdict = mkrt__shm_intake(w, base, true);
	FUZZ_CHECK(verdict == 0 || verdict == MKRT_FAULT_REJECTED);
	/* the runtime's base */
	uint32_t own = mkrt__shm_intake(w, MKRT_CTL_TENANT_BASE_DEFAULT, false);
	verdict = mkrt__shm_intake(w, MKRT_CTL_TENANT_BASE_DEFAULT, true);
	FUZZ_CHECK(verdict || !own);
	if (verdict)
		return 0;
	FUZZ_CHECK(w[MKRT_SLOT_STATUS] == MKRT_STATUS_PUBLISHED && w[MKRT_SLOT_OPCODE] != MKRT_OP_SHUTDOWN);

	struct fuzz_exec *x = malloc(sizeof(*x));
	if (!x)
		return 0;
	fuzz_exec_init(x);
	struct mkrt_slot req;
	mkrt__slot_from_words(w, &req);
	uint32_t slot = w[MKRT_SLOT_ARG0] % FUZZ_SLOTS;
	FUZZ_CHECK(mkrt_publish(x->ring, FUZZ_SLOTS * MKRT_SLOT_WORDS, slot, &req, MKRT_SLOT_ARGS) == 0);
	uint32_t before[MKRT_CTL_OBS];
	memcpy(before, x->ctl, sizeof(before));
	fuzz_exec_drain(x);
	for (uint32_t i = 0; i < MKRT_CTL_OBS; i++) {
		bool kept = i == MKRT_CTL_DONE_COUNT || i == MKRT_CTL_FAULT_COUNT || i == MKRT_CTL_EPOCH ||
			    (i >= MKRT_CTL_METRICS && i < MKRT_CTL_METRICS + MKRT_OP_METRIC_LIMIT);
		FUZZ_CHECK(kept || x->ctl[i] == before[i]);
	}
	uint32_t st = x->ring[slot * MKRT_SLOT_WORDS + MKRT_SLOT_STATUS];
	int authorized = mkrt_tenant_authorized((const uint8_t *)x->ctl, sizeof(x->ctl), req.tenant);
	FUZZ_CHECK(st == MKRT_STATUS_DONE || st == MKRT_STATUS_FAULT ||
		   (st == MKRT_STATUS_PUBLISHED && authorized == 0));
	free(x);
	return 0;
}
