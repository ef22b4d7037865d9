#!/usr/bin/env bash
# e2e-timeout: 900
# axnet against hostile and unlucky peers, the kernel and scapy as the peer.
# Each case is a script in tests/e2e/hostile/ (sourcing ../lib.sh), run in a
# process of its own so it gets its own namespaces, addresses and cleanup.
# HOSTILE_CASES="name ..." runs only those. Crafted frames come from
# Debian's scapy, so cases call /usr/bin/python3 (not a pyenv python).
set -u
cd "$(dirname "$0")/../.."
cases=(${HOSTILE_CASES:-})
if [ ${#cases[@]} -eq 0 ]; then
	for f in tests/e2e/hostile/*.sh; do cases+=("$(basename "$f" .sh)"); done
fi
failed=()
for c in "${cases[@]}"; do
	echo "--- hostile: $c"
	start=$(date +%s)
	if timeout -k 10 240 bash "tests/e2e/hostile/$c.sh"; then
		echo "--- hostile: $c ok ($(( $(date +%s) - start ))s)"
	else
		echo "--- hostile: $c FAILED ($(( $(date +%s) - start ))s)"
		failed+=("$c")
	fi
done
[ ${#failed[@]} -eq 0 ] || { echo "FAIL: hostile cases: ${failed[*]}" >&2; exit 1; }
exit 0
