#!/bin/sh
# SPDX-License-Identifier: MIT
# The cuda backend's PTX (cl/mkrt_megakernel.ptx, built by make when
# configure found clang and libclc's nvptx library): two entry points, the
# megakernel and the ping kernel under its floor, the megakernel with the
# arguments cl/mkrt_kernel_abi.h counts for a build over a bus; no unresolved `.extern .func` (the driver could not load
# it); and every read-modify-write of system scope, since the words it
# shares live in host memory. Skips (77) when the PTX was not built, unless
# MKRT_REQUIRE_PTX=1 (CI), where that fails.
set -eu
: "${top_srcdir:=.}" "${top_builddir:=.}"
ptx="$top_builddir/cl/mkrt_megakernel.ptx"
if [ ! -r "$ptx" ]; then
	if [ "${MKRT_REQUIRE_PTX:-0}" = 1 ]; then
		echo "FAIL: $ptx was not built (configure: apt-get install clang-15 libclc-15)"
		exit 1
	fi
	echo "SKIP: $ptx not built (apt-get install clang-15 libclc-15, then configure)"
	exit 77
fi
fail() {
	echo "FAIL: $*"
	exit 1
}
entries=$(grep -c '\.entry ' "$ptx" || true)
[ "$entries" = 2 ] || fail "$entries entry points, want 2"
grep -q '^\.visible \.entry mkrt_megakernel(' "$ptx" || fail "no entry point mkrt_megakernel"
grep -q '^\.visible \.entry mkrt_ping(' "$ptx" || fail "no entry point mkrt_ping"
if grep -n '\.extern \.func' "$ptx"; then
	fail "unresolved functions: the driver cannot load this PTX"
fi
# the arguments mkrt_kernel_abi.h counts (define $1), and those PTX $2 declares
abi_count() {
	sed -n "s/^#define $1  *\([0-9]*\)u.*/\1/p" "$top_srcdir/cl/mkrt_kernel_abi.h"
}
ptx_params() {
	sed -n '/\.entry mkrt_megakernel(/,/^)/p' "$1" | grep -c '\.param ' || true
}
want=$(abi_count MKRT_KARG_COUNT_BUS)
params=$(ptx_params "$ptx")
[ "$params" = "$want" ] || fail "mkrt_megakernel takes $params arguments, mkrt_kernel_abi.h says $want"
# shared words: acquire loads, release stores and CASes, all system scope;
# adds nobody reads as reductions (the lane does not wait for them)
for insn in 'ld\.acquire\.sys\.global' 'st\.release\.sys\.global' 'atom\.acq_rel\.sys\.global\.cas' \
	'atom\.acquire\.sys\.global\.cas' 'red\.release\.sys\.global\.add'; do
	grep -q "$insn" "$ptx" || fail "no $insn"
done
if grep -nE '^[[:space:]]*(atom|red)\.' "$ptx" | grep -v '\.sys\.'; then
	fail "a read-modify-write narrower than system scope"
fi
echo "$ptx: mkrt_megakernel, $params arguments, no unresolved functions," \
	"$(grep -cE '^[[:space:]]*(atom|red)\.' "$ptx") read-modify-writes all of system scope"
# NVIDIA's OpenCL defines __NVPTX__ too: there the copy backend's kernel
# must keep copy's arguments, not the bus's (the runtime refuses a kernel
# whose count differs, as it did when this build took the bus's branch)
cl="$top_builddir/cl/mkrt_opencl_nvptx.ptx"
want=$(abi_count MKRT_KARG_COUNT)
params=$(ptx_params "$cl")
[ "$params" = "$want" ] || fail "$cl: mkrt_megakernel takes $params arguments, copy's build wants $want"
echo "$cl: mkrt_megakernel, $params arguments (copy on NVIDIA's OpenCL)"
