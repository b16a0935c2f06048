#!/bin/sh
# SPDX-License-Identifier: MIT
# Portability on hardware we lack: the megakernel and the probe, as the
# runtime assembles them, compiled offline for AMD GPU ISA (OpenCL C 2.0,
# where all-SVM-devices scope exists), to SPIR-V checked by spirv-val (the
# Intel path), and syntax-checked as OpenCL C 3.0 with only the device-scope
# atomics PoCL offers, and as OpenCL C 1.2 for the copy backend. Skips (77)
# without clang.
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
# As the runtime builds them: megakernel.cl, the user's source (none), the
# dispatcher; the .cl files include what they use.
inc="-I$top_srcdir/cl -I$top_srcdir/include"
{ echo '#include "megakernel.cl"'; cat "$tmp/dispatch.cl"; } >"$tmp/megakernel.prog.cl"
echo '#include "probe.cl"' >"$tmp/probe.prog.cl"
# Each file compiles alone, as every OpenCL C version the backends build.
for f in "$top_srcdir"/cl/*.cl "$top_srcdir"/cl/*.h; do
	for std in CL1.2 CL2.0 CL3.0; do
		"$CLANG" -x cl -cl-std=$std -Xclang -finclude-default-header -Werror -Wall -fsyntax-only \
			$inc "$f"
	done
done
echo "each file in cl/ compiles alone (-Icl -Iinclude) as OpenCL C 1.2, 2.0 and 3.0"

# AMD's ROCm has fine-grained SVM without SVM atomics: svm's "fine" mode,
# where the megakernel is built with -DMKRT_HOST_NO_RMW (runtime/backends/svm.c)
for cpu in gfx90a gfx1030 gfx1100; do
	for k in megakernel probe; do
		"$CLANG" -cl-std=CL2.0 -Xclang -finclude-default-header -nogpulib \
			-target amdgcn-amd-amdhsa -mcpu=$cpu -Werror $inc -c "$tmp/$k.prog.cl" -o "$tmp/$k-$cpu.o"
	done
	"$CLANG" -cl-std=CL2.0 -Xclang -finclude-default-header -nogpulib -DMKRT_HOST_NO_RMW \
		-target amdgcn-amd-amdhsa -mcpu=$cpu -Werror $inc -c "$tmp/megakernel.prog.cl" \
		-o "$tmp/megakernel-fine-$cpu.o"
	# ... and with the bus's lanes (MKRT_SVM_LANES=bus), for SVM across PCIe
	"$CLANG" -cl-std=CL2.0 -Xclang -finclude-default-header -nogpulib -DMKRT_HOST_NO_RMW \
		-DMKRT_BUS_LANES -target amdgcn-amd-amdhsa -mcpu=$cpu -Werror $inc \
		-c "$tmp/megakernel.prog.cl" -o "$tmp/megakernel-bus-$cpu.o"
	echo "cl/ compiles for amdgcn-amd-amdhsa -mcpu=$cpu (OpenCL C 2.0; the megakernel also with -DMKRT_HOST_NO_RMW, and with the bus's lanes)"
done
# The Intel path: SPIR-V, validated. At -O0: llvm-spirv-15 mistranslates LLVM
# 15's optimized IR of this kernel (i3 integers from switch lowering, an
# undefined ID), while the drivers compile the source themselves anyway.
LLVM_SPIRV="$(command -v llvm-spirv-15 || command -v llvm-spirv || true)"
SPIRV_VAL="$(command -v spirv-val || true)"
if [ -n "$LLVM_SPIRV" ] && [ -n "$SPIRV_VAL" ]; then
	# Intel's GPUs run svm's "usm-host" mode: -DMKRT_HOST_NO_RMW
	for k in megakernel probe megakernel-usm; do
		src=$k
		flags=
		[ $k = megakernel-usm ] && src=megakernel flags=-DMKRT_HOST_NO_RMW
		"$CLANG" -cl-std=CL2.0 -Xclang -finclude-default-header -target spir64 -O0 -emit-llvm \
			-Werror $flags $inc -c "$tmp/$src.prog.cl" -o "$tmp/$k.bc"
		"$LLVM_SPIRV" "$tmp/$k.bc" -o "$tmp/$k.spv"
		"$SPIRV_VAL" "$tmp/$k.spv"
	done
	echo "cl/ compiles to SPIR-V (spir64, OpenCL C 2.0; the megakernel also with -DMKRT_HOST_NO_RMW) and passes spirv-val"
else
	echo "llvm-spirv-15 or spirv-val missing: SPIR-V check not run (apt-get install llvm-spirv-15 spirv-tools)"
fi
"$CLANG" -cl-std=CL3.0 -Xclang -finclude-default-header -Werror -fsyntax-only \
	-D__opencl_c_atomic_order_acq_rel=1 -D__opencl_c_atomic_scope_device=1 $inc "$tmp/megakernel.prog.cl"
echo "cl/ compiles as OpenCL C 3.0 with device-scope atomics only"
# The copy backend's variant (OpenCL C 1.2: volatile words, 1.2 atomics,
# mem_fence), as NVIDIA and Intel GPUs without fine-grained SVM build it.
"$CLANG" -cl-std=CL1.2 -Xclang -finclude-default-header -Werror -fsyntax-only $inc "$tmp/megakernel.prog.cl"
for cpu in gfx90a gfx1100; do
	"$CLANG" -cl-std=CL1.2 -Xclang -finclude-default-header -nogpulib -target amdgcn-amd-amdhsa \
		-mcpu=$cpu -Werror $inc -c "$tmp/megakernel.prog.cl" -o "$tmp/megakernel12-$cpu.o"
done
echo "cl/ compiles as OpenCL C 1.2 (the copy backend), also for amdgcn gfx90a and gfx1100"
