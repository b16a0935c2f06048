#!/bin/sh
# SPDX-License-Identifier: MIT
# device.sh - the double-run evidence on the GPU machine's PoCL 5.0 (16-core
# CPU device), through the device tool. Build here first, then carry .device:
#   mkdir -p .device/new .device/old .device/lib
#   cp cli/.libs/mkrt .libs/libmkrt.so.0 tests/check_differential \
#      tests/check_faults tests/check_loadmiss tests/repro/copy_rerun \
#      tests/repro/memcpy_twice .device/new/
#   (the same mkrt and libmkrt.so.0 from the commit to compare into .device/old)
#   cp /lib/x86_64-linux-gnu/libsubunit.so.0* .device/lib/
# and run `sh tests/repro/device.sh repro|bench [BACKEND [DEVICE]]|sweep|suites|devices`
# there: the reproducers (write, then fill); `mkrt bench --backend BACKEND`
# (default copy) for the old and the new library, alternating, on the
# device MKRT_DEVICE=DEVICE picks; the lane sweep (--lanes 0,1,2,4,8,16
# --work-us W) likewise; the copy suites with it (PoCL 5.0);
# the selection on two platforms (mkrt devices, check_svm, check_registry:
# copy check_svm and check_registry into .device/new too); the cuda backend
# on the H200 (cuda [SOAK_SECONDS], or its parts cuda-bench, cuda-suites and
# cuda-soak: tests/repro/device-pack.sh gathers what they run) and its lane
# sweep (cuda-sweep); svm's modes without SVM atomics on PoCL 5.0 (modes:
# usm-host forced through the suites, and the audited fine-mode suites); the
# megakernel's PTX through the driver API alone, as built and traced (ping:
# tests/repro/cuda_ping); an old and a new library's bench on cuda side by
# side (cuda-ab); all a change to the cuda path must show, in one call
# (cuda-check [SOAK_SECONDS]); and copy on NVIDIA's OpenCL, its bench and
# suites (copy).
# NVIDIA's OpenCL has no vendor file there (DESIGN §9): every verb sees
# PoCL and NVIDIA through OCL_ICD_VENDORS.
set -u
d=.device
export LD_LIBRARY_PATH="$PWD/$d/lib"
icd=/tmp/mkrt-icd
mkdir -p "$icd"
cp /etc/OpenCL/vendors/*.icd "$icd/" 2>/dev/null
if [ -e /usr/lib/libnvidia-opencl.so.1 ]; then
	echo /usr/lib/libnvidia-opencl.so.1 >"$icd/nvidia.icd"
fi
export OCL_ICD_VENDORS="$icd"
case "${1:-}" in
repro)
	nproc
	echo "== memcpy_twice"
	"$d/new/memcpy_twice"
	for mode in write fill; do
		echo "== copy_rerun $mode"
		"$d/new/copy_rerun" $mode 100000 500 8 | grep -v 'ran 2 times'
	done ;;
bench)
	# bench [BACKEND [MKRT_DEVICE]]: old and new, alternating, twice
	backend=${2:-copy}
	for k in 1 2; do
		for v in old new; do
			echo "== mkrt bench --backend $backend ($v, run $k${3:+, MKRT_DEVICE=$3})"
			MKRT_DEVICE=${3:-} LD_LIBRARY_PATH="$PWD/$d/$v:$PWD/$d/lib" timeout 150 \
				"$d/$v/mkrt" bench --backend "$backend"
		done
	done ;;
sweep)
	# sweep [BACKEND [DEVICE [WORK_US]]]: the lane sweep (0 is the
	# default), old and new, alternating, twice
	for k in 1 2; do
		for v in old new; do
			echo "== mkrt bench --lanes 0,1,2,4,8,16 ($v, run $k)"
			LD_LIBRARY_PATH="$PWD/$d/$v:$PWD/$d/lib" MKRT_DEVICE=${3:-} timeout 200 \
				"$d/$v/mkrt" bench --backend "${2:-svm}" --lanes 0,1,2,4,8,16 \
				--work-us "${4:-10}"
		done
	done ;;
suites)
	for t in check_faults check_loadmiss check_differential; do
		timeout 500 "$d/new/$t" 2>&1 | tail -4
	done ;;
cuda|cuda-bench|cuda-suites|cuda-soak)
	# the cuda backend on the GPU (sh tests/repro/device-pack.sh first):
	# cuda: what one memory operation costs a lane, the registry's
	# handshake, then the three parts below; cuda-bench [RUNS]: the bench on
	# cuda and copy, RUNS times each (default once); cuda-suites: the
	# differential and load-miss suites on cuda, and on copy over NVIDIA's
	# OpenCL (each for at most SUITE_S seconds, default 500); cuda-soak [SECONDS]: a
	# soak of SECONDS (default 60) on cuda
	verb=$1
	export LD_LIBRARY_PATH="$PWD/$d/new:$LD_LIBRARY_PATH:/usr/local/nvidia/lib64"
	nvidia-smi --query-gpu=name,pcie.link.gen.current,pcie.link.width.current --format=csv
	if [ "$verb" = cuda ]; then
		echo "== cuda_ops"
		timeout 60 "$d/new/cuda_ops" "$d/new/cuda_ops.ptx"
		echo "== mkrt devices"
		timeout 120 "$d/new/mkrt" devices
		echo "== check_registry (MKRT_EXPECT_CUDA=answers)"
		MKRT_EXPECT_CUDA=answers timeout 200 "$d/new/check_registry" 2>&1 | tail -4
	fi
	if [ "$verb" = cuda ] || [ "$verb" = cuda-bench ]; then
		runs=1
		[ "$verb" = cuda-bench ] && runs=${2:-1}
		for k in $(seq "$runs"); do
			for b in cuda copy; do
				echo "== mkrt bench --backend $b (run $k)"
				timeout 200 "$d/new/mkrt" bench --backend $b
			done
		done
	fi
	if [ "$verb" = cuda ] || [ "$verb" = cuda-suites ]; then
		for t in check_differential check_loadmiss; do
			echo "== $t on cuda"
			MKRT_TEST_BACKENDS=cuda timeout "${SUITE_S:-500}" "$d/new/$t" 2>&1 | tail -12
			echo "== $t on copy (NVIDIA OpenCL)"
			MKRT_TEST_BACKENDS=copy MKRT_DEVICE=NVIDIA timeout "${SUITE_S:-500}" "$d/new/$t" 2>&1 |
				tail -12
		done
	fi
	if [ "$verb" = cuda ] || [ "$verb" = cuda-soak ]; then
		s=${2:-60}
		echo "== mkrt soak --seconds $s --backend cuda"
		timeout $(( s + 120 )) "$d/new/mkrt" soak --seconds "$s" --backend cuda 2>&1 | tail -15
	fi ;;
cuda-ab)
	# cuda-ab: what one memory operation costs (cuda_ops), then for each
	# library of VARIANTS (folders of .device; default: old, mid where
	# there is one, and new): the round trip traced (cuda_ping, where the
	# folder holds its mkrt_trace.ptx) and mkrt bench --backend cuda, again
	# with --lanes BENCH_LANES when that is set; then the load-miss and
	# differential suites on the new (skipped with SUITE_S=0)
	export LD_LIBRARY_PATH="$LD_LIBRARY_PATH:/usr/local/nvidia/lib64"
	nvidia-smi --query-gpu=name,pcie.link.gen.current,pcie.link.width.current --format=csv
	[ "${OPS:-1}" = 0 ] || timeout 60 "$d/new/cuda_ops" "$d/new/cuda_ops.ptx"
	for v in ${VARIANTS:-old mid new}; do
		[ -d "$d/$v" ] || continue
		if [ -e "$d/$v/mkrt_trace.ptx" ]; then
			echo "== cuda_ping, traced ($v)"
			timeout 60 "$d/new/cuda_ping" "$d/$v/mkrt_trace.ptx" 1 20000
		fi
		for lanes in "" ${BENCH_LANES:-}; do
			echo "== mkrt bench --backend cuda ${lanes:+--lanes $lanes }($v)"
			LD_LIBRARY_PATH="$PWD/$d/$v:$LD_LIBRARY_PATH" timeout 100 \
				"$d/$v/mkrt" bench --backend cuda ${lanes:+--lanes "$lanes"}
		done
	done
	[ "${SUITE_S:-100}" = 0 ] && exit 0
	for t in check_loadmiss check_differential; do
		echo "== $t on cuda (new)"
		LD_LIBRARY_PATH="$PWD/$d/new:$LD_LIBRARY_PATH" MKRT_TEST_BACKENDS=cuda \
			timeout "${SUITE_S:-100}" "$d/new/$t" 2>&1 | tail -12
	done ;;
copy)
	# copy on NVIDIA's OpenCL: the bench, then the differential and
	# load-miss suites (each for at most SUITE_S seconds, default 150)
	export LD_LIBRARY_PATH="$PWD/$d/new:$LD_LIBRARY_PATH"
	echo "== mkrt bench --backend copy (NVIDIA)"
	MKRT_DEVICE=NVIDIA timeout 150 "$d/new/mkrt" bench --backend copy
	for t in check_differential check_loadmiss; do
		echo "== $t on copy (NVIDIA OpenCL)"
		MKRT_TEST_BACKENDS=copy MKRT_DEVICE=NVIDIA timeout "${SUITE_S:-150}" "$d/new/$t" 2>&1 |
			tail -12
	done ;;
modes)
	# svm's modes without SVM atomics on the GPU machine's PoCL 5.0 (16
	# cores): usm-host (Intel's USM host allocations, which that PoCL
	# offers), forced, through the differential and load-miss suites; and
	# the fine-mode suites with their audit of host read-modify-writes
	echo "== mkrt devices (MKRT_SVM_MODE=usm-host)"
	MKRT_SVM_MODE=usm-host LD_LIBRARY_PATH="$PWD/$d/new:$PWD/$d/lib" timeout 120 "$d/new/mkrt" devices
	for t in check_differential check_loadmiss; do
		echo "== $t on svm, MKRT_SVM_MODE=usm-host"
		MKRT_SVM_MODE=usm-host MKRT_TEST_BACKENDS=svm MKRT_DEVICE=Portable timeout 500 \
			"$d/new/$t" 2>&1 | tail -12
	done
	echo "== mkrt roundtrip (MKRT_SVM_MODE=usm-host)"
	MKRT_SVM_MODE=usm-host MKRT_DEVICE=Portable LD_LIBRARY_PATH="$PWD/$d/new:$PWD/$d/lib" \
		timeout 200 "$d/new/mkrt" roundtrip --backend svm 2>&1 | tail -4
	for t in check_differential_fine check_loadmiss_fine; do
		echo "== $t (MKRT_SVM_MODE=fine, audited)"
		MKRT_DEVICE=Portable timeout 500 "$d/new/$t" 2>&1 | tail -6
	done
	# cuda's lane protocol in SVM (MKRT_SVM_LANES=bus) on 16 cores
	for t in check_differential_bus check_loadmiss_bus; do
		echo "== $t (MKRT_SVM_LANES=bus)"
		MKRT_DEVICE=Portable timeout 500 "$d/new/$t" 2>&1 | tail -8
	done ;;
cuda-sweep)
	# cuda-sweep [LANES]: the cuda backend's bench over lane counts (how
	# many lanes may poll across the bus before they slow each other)
	export LD_LIBRARY_PATH="$PWD/$d/new:$LD_LIBRARY_PATH:/usr/local/nvidia/lib64"
	timeout 500 "$d/new/mkrt" bench --backend cuda --lanes "${2:-1,8,32,64}" ;;
cuda-check)
	# cuda-check [SOAK_SECONDS]: in one call, what a change to the cuda path
	# must show on the GPU: the round trip traced (cuda_ping), what one
	# memory operation costs (cuda_ops), the bench, the registry's
	# handshake, the load-miss and differential suites, and a soak of
	# SOAK_SECONDS (default 300) on cuda
	export LD_LIBRARY_PATH="$PWD/$d/new:$LD_LIBRARY_PATH:/usr/local/nvidia/lib64"
	nvidia-smi --query-gpu=name,pcie.link.gen.current,pcie.link.width.current --format=csv
	for ptx in mkrt_megakernel mkrt_trace; do
		timeout 60 "$d/new/cuda_ping" "$d/new/$ptx.ptx" 1 20000
	done
	echo "== cuda_ops"
	timeout 60 "$d/new/cuda_ops" "$d/new/cuda_ops.ptx"
	echo "== mkrt bench --backend cuda"
	timeout 200 "$d/new/mkrt" bench --backend cuda
	echo "== check_registry (MKRT_EXPECT_CUDA=answers)"
	MKRT_EXPECT_CUDA=answers timeout 100 "$d/new/check_registry" 2>&1 | tail -3
	for t in check_loadmiss check_differential; do
		echo "== $t on cuda"
		MKRT_TEST_BACKENDS=cuda timeout "${SUITE_S:-200}" "$d/new/$t" 2>&1 | tail -12
	done
	s=${2:-300}
	echo "== mkrt soak --seconds $s --backend cuda"
	timeout $(( s + 60 )) "$d/new/mkrt" soak --seconds "$s" --backend cuda 2>&1 | tail -15 ;;
ping)
	# the megakernel's PTX through the driver API alone, as built and
	# traced (tests/repro/device-pack.sh gathers both and cuda_ping), at
	# one lane and one warp; then cuda_ops, the bench and the load-miss
	# suite on cuda (each once)
	export LD_LIBRARY_PATH="$LD_LIBRARY_PATH:/usr/local/nvidia/lib64"
	for ptx in mkrt_megakernel mkrt_trace; do
		for lanes in 1 32; do
			timeout 60 "$d/new/cuda_ping" "$d/new/$ptx.ptx" $lanes 20000
		done
	done
	echo "== cuda_ops"
	timeout 60 "$d/new/cuda_ops" "$d/new/cuda_ops.ptx"
	LD_LIBRARY_PATH="$PWD/$d/new:$LD_LIBRARY_PATH" timeout 200 "$d/new/mkrt" bench --backend cuda
	echo "== check_loadmiss on cuda"
	LD_LIBRARY_PATH="$PWD/$d/new:$LD_LIBRARY_PATH" MKRT_TEST_BACKENDS=cuda \
		timeout "${SUITE_S:-200}" "$d/new/check_loadmiss" 2>&1 | tail -12 ;;
devices)
	LD_LIBRARY_PATH="$PWD/$d/new:$PWD/$d/lib" "$d/new/mkrt" devices
	LD_LIBRARY_PATH="$PWD/$d/new:$PWD/$d/lib" "$d/new/mkrt" devices --json
	for t in check_svm check_registry; do
		timeout 500 "$d/new/$t" 2>&1 | tail -4
	done ;;
*)
	echo "usage: device.sh repro|bench [BACKEND [DEVICE]]|sweep [BACKEND [DEVICE [WORK_US]]]|suites|devices|cuda [SOAK_SECONDS]|cuda-bench [RUNS]|cuda-suites|cuda-soak [SECONDS]|cuda-sweep [LANES]|cuda-ab|cuda-check [SOAK_SECONDS]|copy|modes|ping" >&2
	exit 2 ;;
esac
