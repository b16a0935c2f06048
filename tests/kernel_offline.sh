#!/bin/sh
# SPDX-License-Identifier: MIT
# Portability on hardware we lack: the megakernel and the probe, exactly as
# the runtime assembles them, compiled offline for AMD GPU ISA (OpenCL C 2.0,
# where all-SVM-devices scope exists) and syntax-checked as OpenCL C 3.0 with
# only the device-scope atomics PoCL offers. Skips (77) without clang.
set -eu
: "${top_srcdir:=.}"
CLANG="${CLANG:-$(command -v clang-15 || command -v clang || true)}"
if [ -z "$CLANG" ]; then
	echo "SKIP: clang not found (apt-get install clang)"
	exit 77
fi
tmp="${TMPDIR:-/tmp}/mkrt-offline.$$"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
# The runtime's dispatcher when no user opcode is registered.
cat >"$tmp/dispatch.cl" <<'CL'
uint mkrt_user_dispatch(uint op, __private uint *args, const struct mkrt_ctx *ctx)
{
	switch (op) {
	}
	return MKRT_FAULT_UNKNOWN_OPCODE;
}
CL
cat "$top_srcdir/include/mkrt/protocol.h" "$top_srcdir/cl/mkrt_atomics.h" \
	"$top_srcdir/cl/load_miss.cl" "$tmp/dispatch.cl" "$top_srcdir/cl/megakernel.cl" \
	>"$tmp/megakernel.cl"
cat "$top_srcdir/include/mkrt/protocol.h" "$top_srcdir/cl/mkrt_atomics.h" \
	"$top_srcdir/cl/probe.cl" >"$tmp/probe.cl"

for cpu in gfx90a gfx1030 gfx1100; do
	for k in megakernel probe; do
		"$CLANG" -cl-std=CL2.0 -Xclang -finclude-default-header -nogpulib \
			-target amdgcn-amd-amdhsa -mcpu=$cpu -Werror -c "$tmp/$k.cl" -o "$tmp/$k-$cpu.o"
	done
	echo "cl/ compiles for amdgcn-amd-amdhsa -mcpu=$cpu (OpenCL C 2.0)"
done
"$CLANG" -cl-std=CL3.0 -Xclang -finclude-default-header -Werror -fsyntax-only \
	-D__opencl_c_atomic_order_acq_rel=1 -D__opencl_c_atomic_scope_device=1 "$tmp/megakernel.cl"
echo "cl/ compiles as OpenCL C 3.0 with device-scope atomics only"
