#!/usr/bin/env bash
# run.sh - run unit test binaries and sum their results.
#
#   tests/unit/run.sh build/asan/tests/test_csum build/asan/tests/test_arp ...
#
# Each binary prints "ok NAME"/"FAIL NAME" lines and ends with
# "N passed, N failed". A binary that exits non-zero without reporting a
# failure crashed (ASan and UBSan abort the process): it counts as one more
# failed test, so the total never reads as all-passed. The last line is the
# total, in the same form; the exit status is non-zero if anything failed.
set -u

total_pass=0
total_fail=0
bad=()

for bin in "$@"; do
	name=$(basename "$bin")
	echo "== $name"
	if [ ! -x "$bin" ]; then
		echo "run.sh: $bin: not an executable" >&2
		total_fail=$((total_fail + 1))
		bad+=("$name (missing)")
		continue
	fi
	out=$(mktemp)
	"$bin" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
	rm -f "$out"
	pass=0
	fail=0
	if [ -n "$summary" ]; then
		pass=${summary%% passed*}
		fail=${summary#*, }
		fail=${fail%% failed}
	fi
	if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
		# Crashed, or died before its summary: one failure of its own.
		echo "run.sh: $name exited with status $rc" >&2
		fail=$((fail + 1))
	fi
	if [ "$rc" -ne 0 ] || [ "$fail" -ne 0 ]; then
		bad+=("$name")
	fi
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
done

if [ ${#bad[@]} -ne 0 ]; then
	echo "failing: ${bad[*]}"
fi
echo "$total_pass passed, $total_fail failed"
[ ${#bad[@]} -eq 0 ]
