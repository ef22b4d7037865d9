#!/usr/bin/env bash
# Run the end-to-end tests (tests/e2e/test-*.sh, or the names given), each
# in its own process with its own namespaces, each bounded in time. Prints
# "N passed, N failed" last. Needs root.
set -u
cd "$(dirname "$0")/../.."
[ "$(id -u)" -eq 0 ] || { echo "e2e: needs root (namespaces, XDP)" >&2; exit 1; }
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf

tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=(tests/e2e/test-*.sh)
passed=0 failed=0 failures=()
for t in "${tests[@]}"; do
	[ -f "$t" ] || t="tests/e2e/$t.sh"
	name=$(basename "$t" .sh)
	echo "=== $name"
	start=$(date +%s)
	# A test may ask for more than 300 s with a "# e2e-timeout: N" line.
	limit=$(sed -n 's/^# e2e-timeout: \([0-9]\+\)$/\1/p' "$t" | head -1)
	if timeout -k 10 "${limit:-300}" bash "$t"; then
		passed=$((passed + 1))
		echo "=== PASS $name ($(( $(date +%s) - start ))s)"
	else
		failed=$((failed + 1))
		failures+=("$name")
		echo "=== FAIL $name ($(( $(date +%s) - start ))s)"
	fi
done
[ $failed -eq 0 ] || echo "failed: ${failures[*]}"
echo "e2e: $passed passed, $failed failed"
[ $failed -eq 0 ]
