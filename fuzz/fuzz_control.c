/* SPDX-License-Identifier: MIT */
/*
 * fuzz_control.c - the control-buffer decoders on arbitrary bytes: the
 * whole decode, one observable word, and the tenant rule through the
 * word-2 indirection, which must agree with the decoded masks.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	uint32_t tenant = fuzz_u32(&in), index = fuzz_u32(&in);
	const uint8_t *buf = in.p;
	size_t len = in.left;
	struct mkrt_control_view v;
	uint32_t value = 0;

	int err = mkrt_decode_control(buf, len, &v);
	FUZZ_CHECK(err <= 0);
	int ok = mkrt_read_observable(buf, len, index, &value);
	FUZZ_CHECK(ok <= 0);
	if (!ok) {
		uint32_t w;
		memcpy(&w, buf + ((size_t)MKRT_CTL_OBS + index) * 4u, 4);
		FUZZ_CHECK(w == value);
	}
	int auth = mkrt_tenant_authorized(buf, len, tenant);
	FUZZ_CHECK(auth <= 1);
	if (!err) {
		FUZZ_CHECK(auth >= 0);
		/* the decoded view and the rule say the same thing */
		if (tenant < 29)
			FUZZ_CHECK(auth == (v.tenant_masks[tenant] != 0));
	}
	return 0;
}
