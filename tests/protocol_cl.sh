#!/bin/sh
# SPDX-License-Identifier: MIT
# The wire ABI header must compile as OpenCL C (1.2, 2.0, 3.0) as well as C11:
# the megakernel in cl/ includes it verbatim. Skips (77) without clang.
set -eu
: "${top_srcdir:=.}"
CLANG="${CLANG:-$(command -v clang-15 || command -v clang || true)}"
if [ -z "$CLANG" ]; then
	echo "SKIP: clang not found (apt-get install clang)"
	exit 77
fi
hdr="$top_srcdir/include/mkrt/protocol.h"
tmp="${TMPDIR:-/tmp}/mkrt-protocol-cl.$$.cl"
trap 'rm -f "$tmp"' EXIT
# A kernel that uses the constants the way the megakernel will.
cat >"$tmp" <<'CL'
#include "mkrt/protocol.h"
__kernel void abi_check(__global uint *ring, __global uint *ctl)
{
	uint s = get_global_id(0) * MKRT_SLOT_WORDS;
	if (ring[s + MKRT_SLOT_STATUS] == MKRT_STATUS_PUBLISHED &&
	    ring[s + MKRT_SLOT_OPCODE] == MKRT_OP_PACKED_SLOT)
		ctl[MKRT_CTL_METRICS + MKRT_PACKED_META_WORDS(MKRT_PACKED_MAX_OPS)] = MKRT_OP_SHUTDOWN;
}
CL
for std in CL1.2 CL2.0 CL3.0; do
	"$CLANG" -x cl -cl-std=$std -fsyntax-only -Werror -Wall "$hdr"
	"$CLANG" -x cl -cl-std=$std -fsyntax-only -Werror -Wall -I"$top_srcdir/include" "$tmp"
	echo "protocol.h compiles as OpenCL C ($std)"
done
"$CLANG" -x c -std=c11 -fsyntax-only -Werror -Wall -Wextra -pedantic "$hdr"
echo "protocol.h compiles as C11"
