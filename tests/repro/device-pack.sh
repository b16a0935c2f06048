#!/bin/sh
# SPDX-License-Identifier: MIT
# device-pack.sh - gather what tests/repro/device.sh runs on the GPU machine
# into .device (ignored by git; name it in the device tool's carry), from a
# build of this tree: the CLI, the library, the device suites, the
# reproducers, and the libraries that machine lacks.
#   make && make check TESTS= && make tests/repro/cuda_ops tests/repro/cuda_ops.ptx \
#     tests/repro/cuda_ping tests/repro/mkrt_trace.ptx &&
#   sh tests/repro/device-pack.sh
# (the suites link the library in, its PTX too: the script refuses a library
# or suite older than any file of cl/)
set -eu
d=.device
# the library and every suite embed cl/ (its PTX too): refuse stale ones
for src in cl/*.cl cl/*.h include/mkrt/protocol.h; do
	for built in .libs/libmkrt.so.0 tests/check_differential tests/check_loadmiss; do
		if [ ! -e "$built" ] || [ -n "$(find "$src" -newer "$built")" ]; then
			echo "device-pack: $built is missing or older than $src:" \
				"run make && make check TESTS= first" >&2
			exit 1
		fi
	done
done
mkdir -p "$d/new" "$d/lib"
cp cli/.libs/mkrt "$d/new/"
cp -L .libs/libmkrt.so.0 "$d/new/"
for t in check_registry check_differential check_loadmiss check_faults check_svm \
	check_differential_fine check_loadmiss_fine check_differential_bus check_loadmiss_bus; do
	cp "tests/$t" "$d/new/"
done
for f in tests/repro/cuda_ops tests/repro/cuda_ops.ptx tests/repro/cuda_ping \
	tests/repro/mkrt_trace.ptx cl/mkrt_megakernel.ptx; do
	[ -e "$f" ] && cp "$f" "$d/new/"
done
for l in libsubunit.so.0 liburing.so.2; do
	cp -L "/lib/x86_64-linux-gnu/$l" "$d/lib/"
done
du -sh "$d"
