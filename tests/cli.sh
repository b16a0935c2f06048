#!/bin/sh
# SPDX-License-Identifier: MIT
# The mkrt command: devices (text, JSON, a bad MKRT_DEVICE), replay
# (a capture written here byte by byte, replayed on host and svm), roundtrip,
# bench (every figure reported) and soak (nothing lost or corrupted).
# Skips (77) only where no OpenCL platform exists.
set -eu
: "${top_builddir:=.}" "${top_srcdir:=.}"
MKRT="$top_builddir/cli/mkrt"
tmp="${TMPDIR:-/tmp}/mkrt-cli.$$"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# with no OpenCL platform at all (an empty vendor folder), it says so plainly
mkdir -p "$tmp/no-icd"
if OCL_ICD_VENDORS="$tmp/no-icd" "$MKRT" devices >/dev/null 2>"$tmp/noicd.err"; then
	fail "mkrt devices with no platform exited 0"
fi
grep -q "no OpenCL platform" "$tmp/noicd.err" && grep -q "pocl-opencl-icd" "$tmp/noicd.err" ||
	fail "no plain message without a platform: $(cat "$tmp/noicd.err")"
echo "no platform: $(head -n1 "$tmp/noicd.err")"

if ! "$MKRT" devices >"$tmp/devices.txt" 2>"$tmp/devices.err"; then
	if grep -q "no OpenCL platform" "$tmp/devices.err"; then
		grep -q "pocl-opencl-icd" "$tmp/devices.err" || fail "no pointer to pocl-opencl-icd"
		echo "SKIP: no OpenCL platform"
		exit 77
	fi
	cat "$tmp/devices.err"
	fail "mkrt devices"
fi
grep -q '^\* ' "$tmp/devices.txt" || fail "no device marked selected"

"$MKRT" devices --json >"$tmp/devices.json"
for want in '"fine_grain_buffer": true' '"atomics": true' '{"backend": "svm", "passed": true' \
	'"selected": true' '{"backend": "copy", "passed": true' '{"backend": "host", "passed": true' \
	'"backend": "svm", "why": "svm on device 0'; do
	grep -q "$want" "$tmp/devices.json" || fail "devices --json lacks $want"
done
echo "mkrt devices --json: a device with fine-grained SVM and atomics, probed and selected"
MKRT_BACKEND=copy "$MKRT" devices >"$tmp/devices-copy.txt"
grep -q '^automatic choice: copy on device' "$tmp/devices-copy.txt" ||
	fail "MKRT_BACKEND=copy mkrt devices: $(tail -n1 "$tmp/devices-copy.txt")"
echo "MKRT_BACKEND=copy mkrt devices: $(tail -n1 "$tmp/devices-copy.txt")"

if MKRT_DEVICE=nonexistent "$MKRT" devices --json >"$tmp/none.json" 2>"$tmp/none.err"; then
	fail "MKRT_DEVICE=nonexistent exited 0"
fi
grep -q "matches no OpenCL device" "$tmp/none.err" || fail "no clear message for MKRT_DEVICE"
echo "MKRT_DEVICE=nonexistent: exit non-zero with: $(head -n1 "$tmp/none.err")"

# A capture: 2 slots, 161 control words (tenant base 3, tenant 0 authorized),
# slot 0 STORE_U32(7 -> OBS), slot 1 ATOMIC_ADD(5 -> OBS).
le32() { # write one little-endian u32
	v=$1
	printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $((v & 255)) $((v >> 8 & 255)) \
		$((v >> 16 & 255)) $((v >> 24 & 255)))"
}
words() { for w in "$@"; do le32 "$w"; done; }
{
	printf 'MKRTCAP1'
	words 2 161 0 0 0 0
	words 0 0 3 1
	i=4; while [ $i -lt 161 ]; do le32 0; i=$((i + 1)); done
	words 1 1 0 0 7 160 0 0 0 0 0 0 0 0 0 0
	words 1 2 0 0 5 160 0 0 0 0 0 0 0 0 0 0
} >"$tmp/in.cap"
[ "$(wc -c <"$tmp/in.cap")" -eq $((32 + 4 * (161 + 32))) ] || fail "test capture has the wrong size"

"$MKRT" replay --backend host --serial "$tmp/in.cap" "$tmp/host.cap"
"$MKRT" replay --backend svm --serial "$tmp/in.cap" "$tmp/svm.cap"
cmp "$tmp/host.cap" "$tmp/svm.cap" || fail "host and svm serial replays differ"
cmp -s "$tmp/in.cap" "$tmp/host.cap" && fail "replay changed nothing"
# OBS word 160 = 7 + 5 = 12 at byte 32 + 160 * 4
obs=$(od -An -tu4 -j $((32 + 160 * 4)) -N4 "$tmp/host.cap" | tr -d ' ')
[ "$obs" = 12 ] || fail "OBS[0] is $obs, want 12"
echo "mkrt replay --serial: host and svm captures byte-identical (OBS[0] = $obs)"

head -c 100 "$tmp/in.cap" >"$tmp/short.cap"
if "$MKRT" replay "$tmp/short.cap" "$tmp/x.cap" 2>"$tmp/short.err"; then
	fail "a truncated capture was accepted"
fi
grep -q "MKRT_ECAPTURE" "$tmp/short.err" || fail "no clear error for a truncated capture"
echo "mkrt replay refuses a truncated capture: $(head -n1 "$tmp/short.err")"

refused() { # refused EXPECTED-STDERR-TEXT ARGS...: exit 2, with that text and no more
	want=$1
	shift
	set +e
	"$MKRT" "$@" >"$tmp/r.out" 2>"$tmp/r.err"
	rc=$?
	set -e
	[ "$rc" = 2 ] || fail "mkrt $*: exit $rc, want 2"
	grep -qF -- "$want" "$tmp/r.err" || fail "mkrt $*: said $(cat "$tmp/r.err"), want $want"
	[ "$(grep -c 'Fix:' "$tmp/r.err")" -le 1 ] || fail "mkrt $*: more than one Fix"
	grep -q 'mkrt_[a-z_]*()' "$tmp/r.err" && fail "mkrt $*: cites a C function: $(cat "$tmp/r.err")"
	echo "mkrt $*: $(head -n1 "$tmp/r.err")"
}
# the main job: the load-miss round trip, verified against its file
for backend in host svm; do
	"$MKRT" roundtrip --backend $backend --count 3000 --json >"$tmp/rt.json"
	grep -q '"count": 3000,' "$tmp/rt.json" && grep -q '"verified": 3000,' "$tmp/rt.json" &&
		grep -q '"faults": 0,' "$tmp/rt.json" || fail "roundtrip on $backend: $(cat "$tmp/rt.json")"
	echo "mkrt roundtrip --backend $backend: $(cat "$tmp/rt.json")"
done

# mkrt bench runs every measurement and reports each one (how fast is the
# bench's business, not this test's: it only checks that every figure came)
# (without LeakSanitizer: at the exit of this process, with its many driver
# threads, LSan's tracer was seen to crash, "Tracer caught signal 11", a known
# intermittent LSan fault, google/sanitizers#1353; every other run keeps it)
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$MKRT" bench --json --plot "$tmp/bench.svg" \
	>"$tmp/bench.json" || fail "mkrt bench: $(cat "$tmp/bench.json")"
for key in floor_p50_us rtt_nop_p50_us rtt_api_p50_us rtt_hit_p50_us launch_p50_us \
	stream_slots_per_s stream_raw_slots_per_s stream_floor_slots_per_s miss_p50_us \
	pread_4k_p50_us first_rtt_after_park_us rtt_over_floor launch_over_rtt stream_over_floor; do
	grep -Eq "\"$key\": (0\.0*[1-9]|[1-9])" "$tmp/bench.json" ||
		fail "mkrt bench --json: $key missing or zero: $(cat "$tmp/bench.json")"
done
# a backend with a raw ring (stream_raw above) times the NOP on it
grep -q '"rtt_nop_path": "raw"' "$tmp/bench.json" ||
	fail "mkrt bench --json: the NOP round trip not timed on the raw ring: $(cat "$tmp/bench.json")"
echo "mkrt bench --json: $(cat "$tmp/bench.json")"
# --plot: an SVG a browser reads, every distribution in it, the device named
head -n1 "$tmp/bench.svg" | grep -q '^<?xml' && tail -n1 "$tmp/bench.svg" | grep -q '^</svg>$' ||
	fail "mkrt bench --plot: not an SVG document"
if command -v xmllint >/dev/null; then
	xmllint --noout "$tmp/bench.svg" || fail "mkrt bench --plot: xmllint refuses it"
fi
for series in floor "NOP round trip" "LOAD_MISS hit" "4 KiB miss" "kernel launch"; do
	grep -q "<g><title>$series: p50 [0-9.]* us" "$tmp/bench.svg" || fail "mkrt bench --plot lacks $series"
done
grep -q "<title>mkrt bench: svm on " "$tmp/bench.svg" || fail "mkrt bench --plot names no backend and device"
echo "mkrt bench --plot: $(grep -c '<g>' "$tmp/bench.svg") distributions$(command -v xmllint >/dev/null &&
	echo ', xmllint-valid')"
# --runs N: the median with the least and greatest of N runs, as Markdown and CSV
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$MKRT" bench --backend host --runs 2 --format md \
	>"$tmp/bench.md" || fail "mkrt bench --runs 2 --format md"
grep -q '^| figure | lanes 0 (1) |$' "$tmp/bench.md" && grep -q 'median (min..max) of the runs' "$tmp/bench.md" ||
	fail "mkrt bench --format md: $(cat "$tmp/bench.md")"
awk -F'|' '$2 == " rtt_nop_p50_us " { v = $3; gsub(/[()]/, " ", v); sub(/\.\./, " ", v); split(v, a, " ")
	exit !(a[2] + 0 <= a[1] + 0 && a[1] + 0 <= a[3] + 0 && a[2] > 0) }' "$tmp/bench.md" ||
	fail "mkrt bench --runs 2: the median is not between min and max: $(grep rtt_nop_p50 "$tmp/bench.md")"
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$MKRT" bench --backend host --format csv \
	>"$tmp/bench.csv" || fail "mkrt bench --format csv"
[ "$(wc -l <"$tmp/bench.csv")" = 2 ] && head -n1 "$tmp/bench.csv" | grep -q '^backend,device,lanes,lanes_run,runs,floor_p50_us,' &&
	grep -q '^host,"host CPU",0,1,1,[0-9.]*,' "$tmp/bench.csv" || fail "mkrt bench --format csv: $(cat "$tmp/bench.csv")"
echo "mkrt bench --runs 2 --format md: $(grep rtt_nop_p50 "$tmp/bench.md"); --format csv: a header and a row"
refused "--format takes text, md, csv or json, not 'xml'" bench --format xml
refused "--runs takes a whole number from 1 to 100, not '0'" bench --runs 0
# a lane sweep measures every lane count it names, in order, in one report
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$MKRT" bench --lanes 1,2 --json \
	>"$tmp/sweep.json" || fail "mkrt bench --lanes 1,2: $(cat "$tmp/sweep.json")"
grep -q '^{"sweep": \[' "$tmp/sweep.json" || fail "mkrt bench --lanes 1,2 --json: no sweep"
[ "$(grep -o '"lanes": [0-9]*' "$tmp/sweep.json" | tr '\n' ' ')" = '"lanes": 1 "lanes": 2 ' ] ||
	fail "mkrt bench --lanes 1,2: $(cat "$tmp/sweep.json")"
if "$MKRT" bench --lanes 1,x >/dev/null 2>"$tmp/sweep.err"; then
	fail "mkrt bench --lanes 1,x exited 0"
fi
grep -q "takes N or a list" "$tmp/sweep.err" || fail "mkrt bench --lanes 1,x: $(cat "$tmp/sweep.err")"
echo "mkrt bench --lanes 1,2 --json: a sweep of two reports"
# --work-us: slots that take device work, calibrated and streamed
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$MKRT" bench --backend host --work-us 5 --json \
	>"$tmp/work.json" || fail "mkrt bench --work-us 5: $(cat "$tmp/work.json")"
for key in work_iters stream_work_slots_per_s; do
	grep -Eq "\"$key\": [1-9]" "$tmp/work.json" ||
		fail "mkrt bench --work-us 5: $key missing or zero: $(cat "$tmp/work.json")"
done
grep -q '"work_us": 5,' "$tmp/work.json" || fail "mkrt bench --work-us 5: $(cat "$tmp/work.json")"
if "$MKRT" bench --work-us 0 >/dev/null 2>&1; then
	fail "mkrt bench --work-us 0 exited 0"
fi
echo "mkrt bench --work-us 5: $(grep -o '"work_iters": [0-9]*, "stream_work_slots_per_s": [0-9]*' "$tmp/work.json")"

# mkrt soak: mixed traffic with injected faults, through shm producers in
# other processes, on svm and on copy; every fault reported, nothing lost
for backend in svm copy; do
	"$MKRT" soak --seconds 3 --backend $backend --producers 2 --shm-producers 2 --json >"$tmp/soak.json" ||
		fail "mkrt soak on $backend: $(cat "$tmp/soak.json")"
	grep -q '"lost": 0, "corrupted": 0}' "$tmp/soak.json" && grep -Eq '"faults_injected": [1-9]' "$tmp/soak.json" ||
		fail "mkrt soak on $backend: $(cat "$tmp/soak.json")"
	echo "mkrt soak --backend $backend: $(cat "$tmp/soak.json")"
done
if "$MKRT" soak --shm-producers 9 2>"$tmp/soak.err"; then
	fail "mkrt soak took 9 shm producers"
fi
grep -q "^mkrt soak: --shm-producers takes a whole number from 0 to 4, not '9'" "$tmp/soak.err" ||
	fail "no clear refusal of a bad soak option: $(cat "$tmp/soak.err")"

# The front door: a version, help for every command on stdout (exit 0) that
# names every option with its range or default, and a refusal of every bad
# value that names the flag, what it takes and what was given (exit 2).
"$MKRT" --version >"$tmp/version.txt" || fail "mkrt --version"
grep -Eq '^mkrt [0-9]+\.[0-9]+\.[0-9]+ \(wire protocol [0-9]+\)$' "$tmp/version.txt" ||
	fail "mkrt --version: $(cat "$tmp/version.txt")"
echo "mkrt --version: $(cat "$tmp/version.txt")"
"$MKRT" --help >"$tmp/help.txt" || fail "mkrt --help exited non-zero"
for want in roundtrip bench devices serve soak replay capture MKRT_BACKEND MKRT_DEVICE MKRT_SHM_NAME \
	MKRT_SHM_BACKEND MKRT_SVM_MODE MKRT_SVM_LANES MKRT_IO_ENGINE MKRT_CACHE_DIR MKRT_CL_DIR copy shm \
	cuda; do
	grep -q "$want" "$tmp/help.txt" || fail "mkrt --help does not mention $want"
done
for cmd in roundtrip bench devices serve soak replay capture; do
	for how in "$cmd --help" "$cmd -h" "help $cmd"; do
		# shellcheck disable=SC2086
		"$MKRT" $how >"$tmp/h.txt" 2>"$tmp/h.err" || fail "mkrt $how exited non-zero"
		[ -s "$tmp/h.err" ] && fail "mkrt $how wrote to stderr: $(cat "$tmp/h.err")"
		grep -q "^usage: mkrt $cmd " "$tmp/h.txt" || fail "mkrt $how: no usage line"
	done
	# every option the help lists comes with what it takes or its default
	n_opts=$(grep -c '^  --' "$tmp/h.txt" || true)
	n_told=$(grep -Ec '^ {27}\(' "$tmp/h.txt" || true)
	[ "$n_opts" -ge 1 ] || fail "mkrt $cmd --help lists no option"
	[ "$(grep -c '^  --[a-z-]* [^ ]' "$tmp/h.txt" || true)" = "$n_told" ] ||
		fail "mkrt $cmd --help: an option with a value lacks its range or default"
done
echo "mkrt COMMAND --help: on stdout, exit 0, every option's range or default, for 7 commands"
refused "--count takes a whole number from 1 to 16777216, not '-1'" roundtrip --count -1
refused "--count takes a whole number from 1 to 16777216, not '1e99'" roundtrip --count 1e99
refused "--seconds takes a whole number from 1 to 16777216, not 'abc'" soak --seconds abc
refused "--record-bytes takes a multiple of 4 from 4 to 1048576, not '5'" soak --record-bytes 5
refused "--record-bytes takes a multiple of 4 from 4 to 16777216, not '6'" serve --record-bytes 6 /x
refused "--slots takes a whole number from 4 to 65536, not 'abc'" bench --slots abc
refused "--lanes takes N or a list N,N,... (at most 16), each from 0 to 64, not '999999'" bench --lanes 999999
refused "--backend takes a backend: svm cuda copy host shm, not 'nonsense'" replay --backend nonsense a b
refused "unknown option '--frob'" bench --frob
refused "--count needs a value" roundtrip --count
refused "missing IN OUT" replay
refused "unexpected argument 'x'" devices x
refused "unknown command 'frob'" frob
MKRT_BACKEND=nonsense refused "MKRT_BACKEND=nonsense names no backend; it takes one of: svm cuda copy host shm" devices
MKRT_SHM_BACKEND=nonsense refused "MKRT_SHM_BACKEND=nonsense names no backend" serve --name /x

# replay says what the slots ended as, in text and in JSON
"$MKRT" replay --backend host --serial "$tmp/in.cap" "$tmp/host2.cap" >"$tmp/replay.txt"
grep -q "DONE_COUNT 2; 2 slots: 2 DONE$" "$tmp/replay.txt" || fail "mkrt replay summary: $(cat "$tmp/replay.txt")"
"$MKRT" replay --backend host --serial --json "$tmp/in.cap" "$tmp/host3.cap" >"$tmp/replay.json"
grep -q '"slots": 2, "status": {"DONE": 2}, "faults": {}, "done_count": 2}' "$tmp/replay.json" ||
	fail "mkrt replay --json: $(cat "$tmp/replay.json")"
echo "mkrt replay: $(cat "$tmp/replay.txt")"

# mkrt capture: a running workload captured, then shown, in text and JSON;
# the capture replays
"$MKRT" capture record --backend host "$tmp/rec.cap" >"$tmp/rec.txt" || fail "mkrt capture record"
"$MKRT" capture show "$tmp/rec.cap" >"$tmp/show.txt" || fail "mkrt capture show"
for want in ' 1 PUBLISHED' 'DONE_COUNT 6 ' 'EPOCH 1 ' 'FAULT_COUNT 1 ' 'OBS+0=9 OBS+1=10' 'debug log: 1 record;'; do
	grep -qF "$want" "$tmp/show.txt" || fail "mkrt capture show lacks '$want': $(cat "$tmp/show.txt")"
done
"$MKRT" capture show --json "$tmp/rec.cap" >"$tmp/show.json"
grep -q '"slots": 16, "control_words": 224, ' "$tmp/show.json" && grep -q '"PUBLISHED": 1' "$tmp/show.json" &&
	grep -q '"observable": \[9, 10, 0' "$tmp/show.json" || fail "mkrt capture show --json: $(cat "$tmp/show.json")"
"$MKRT" replay --backend host --serial "$tmp/rec.cap" "$tmp/rec-out.cap" >/dev/null || fail "replay of a recorded capture"
refused "'frob' is not record or show" capture frob x
refused "missing record OUT | show FILE" capture show
echo "mkrt capture: $(head -n1 "$tmp/rec.txt"); show: $(sed -n 2p "$tmp/show.txt")"

# temporary files go on every way out: an interrupted roundtrip, an example
# given a bad argument; a ring with one resource faults nothing
mkdir -p "$tmp/t"
TMPDIR="$tmp/t" "$MKRT" roundtrip --backend host --count 16000000 >/dev/null 2>&1 &
pid=$!
for _ in $(seq 600); do # the file appears, however loaded the machine (a watchdog, not a bound)
	[ -n "$(ls "$tmp/t")" ] && break
	sleep 0.1
done
[ -n "$(ls "$tmp/t")" ] || fail "mkrt roundtrip wrote no data file in \$TMPDIR"
kill -INT "$pid"
wait "$pid" && fail "an interrupted mkrt roundtrip exited 0"
[ -z "$(ls "$tmp/t")" ] || fail "an interrupted mkrt roundtrip left $(ls "$tmp/t")"
echo "mkrt roundtrip, interrupted: its data file is gone"
"$MKRT" roundtrip --backend host --resources 1 --count 20 --json >"$tmp/one.json"
grep -q '"faults": 0, "verified": 20,' "$tmp/one.json" || fail "roundtrip --resources 1: $(cat "$tmp/one.json")"
echo "mkrt roundtrip --resources 1 --count 20: $(cat "$tmp/one.json")"

# mkrt(1) names every command, every option each one's help lists, and every
# variable; libmkrt(3) too; groff, where installed, renders both without a
# warning
for cmd in roundtrip bench devices serve soak replay capture; do
	grep -q "^\.BR $cmd" "$top_srcdir/man/mkrt.1" || fail "mkrt(1) lacks the command $cmd"
	for opt in $("$MKRT" $cmd --help | awk '/^  --/ { print $1 }'); do
		grep -q -- "$(printf '%s' "$opt" | sed 's/-/\\\\-/g')" "$top_srcdir/man/mkrt.1" ||
			fail "mkrt(1) lacks $cmd $opt"
	done
done
for var in MKRT_BACKEND MKRT_DEVICE MKRT_SHM_NAME MKRT_SHM_BACKEND MKRT_SVM_MODE MKRT_SVM_LANES \
	MKRT_IO_ENGINE MKRT_CACHE_DIR MKRT_CL_DIR; do
	grep -q "^\.B $var" "$top_srcdir/man/mkrt.1" || fail "mkrt(1) lacks $var"
	grep -q "$var" "$top_srcdir/man/libmkrt.3" || fail "libmkrt(3) lacks $var"
done
if command -v groff >/dev/null; then
	for page in mkrt.1 libmkrt.3; do
		groff -man -ww -z "$top_srcdir/man/$page" 2>"$tmp/groff.err"
		[ -s "$tmp/groff.err" ] && fail "groff warns on $page: $(cat "$tmp/groff.err")"
	done
	echo "mkrt(1), libmkrt(3): every command, option and variable; groff renders both cleanly"
else
	echo "mkrt(1), libmkrt(3): every command, option and variable (no groff here to render them)"
fi

# bash completion: commands, a command's options, backend names, from
# mkrt's own help
if command -v bash >/dev/null; then
	complete_at() { # complete_at WORD...: what completes the last word
		bash -c '. "$1/completion/mkrt"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _mkrt
			echo "${COMPREPLY[*]}"' sh "$top_srcdir" "$MKRT" "$@"
	}
	[ "$(complete_at ro)" = roundtrip ] || fail "completion of 'mkrt ro': $(complete_at ro)"
	[ "$(complete_at bench --l)" = --lanes ] || fail "completion of 'mkrt bench --l': $(complete_at bench --l)"
	[ "$(complete_at replay --backend ho)" = host ] || fail "completion of --backend ho: $(complete_at replay --backend ho)"
	[ "$(complete_at help se)" = serve ] || fail "completion of 'mkrt help se': $(complete_at help se)"
	echo "bash completion: mkrt ro -> roundtrip, bench --l -> --lanes, --backend ho -> host"
fi
