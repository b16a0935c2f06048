#!/bin/sh
# SPDX-License-Identifier: MIT
# Build the libFuzzer targets (make fuzz runs this): the library's sources
# once, with ASan+UBSan and libFuzzer's coverage, into an archive, then one
# program per fuzz/fuzz_*.c.
#   build.sh CLANG SRCDIR OUTDIR "LIBS" SOURCE...
# SOURCEs are the library's, relative to SRCDIR or to the build directory.
set -eu
clang=$1 srcdir=$2 out=$3 libs=$4
shift 4
if [ -z "$clang" ]; then
	echo "make fuzz: no clang found. Fix: apt-get install clang-15, then re-run ./configure" >&2
	exit 1
fi
san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
cflags="-std=c11 -g -O1 -Wall -Wextra $san -I$srcdir/include -I$srcdir/cl -I. -DMKRT_BUILDING"
for dir in "$srcdir"/runtime/*/; do
	cflags="$cflags -I$dir" # runtime/ by concept: headers are included by name
done

mkdir -p "$out/obj"
objs=""
for src in "$@"; do
	case $src in *.c) ;; *) continue ;; esac
	[ -f "$src" ] || src="$srcdir/$src"
	obj="$out/obj/$(basename "$src" .c).o"
	if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ]; then
		"$clang" $cflags -fsanitize=fuzzer-no-link -c "$src" -o "$obj"
	fi
	objs="$objs $obj"
done
rm -f "$out/libmkrt_fuzz.a"
ar rcs "$out/libmkrt_fuzz.a" $objs

for target in "$srcdir"/fuzz/fuzz_*.c; do
	name=$(basename "$target" .c)
	"$clang" $cflags -fsanitize=fuzzer "$target" "$out/libmkrt_fuzz.a" $libs -lpthread -lrt \
		-o "$out/$name"
	echo "  FUZZ     $out/$name"
done
