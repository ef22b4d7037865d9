#!/usr/bin/env bash
# check-layers.sh - the dependency rules of ARCHITECTURE.md, checked on the
# #include lines: a part may include the parts below it, never one above.
# Exit 1 with every violation listed.
set -u
cd "$(dirname "$0")/.."

# part (folder) -> include prefixes it must never use
declare -A FORBID=(
	[bpf]="net/ userspace/ sock/ daemon/ authz/ policy/ axiom/ libaxnet/"
	[driver]="net/ userspace/ sock/ daemon/ authz/ policy/ axiom/ libaxnet/ cli/"
	[userspace/net]="sock/ daemon/ authz/ policy/ axiom/ libaxnet/ cli/"
	[sock]="daemon/ authz/ policy/ axiom/ libaxnet/ cli/"
	[axiom]="net/ sock/ daemon/ authz/ policy/ libaxnet/ cli/ netdev.h xdp_prog.h"
	[policy]="net/ sock/ daemon/ authz/ axiom/ libaxnet/ cli/"
	[authz]="sock/ daemon/ libaxnet/ cli/"
	[daemon]="cli/ userspace/cli/ common.h ctl_client.h libaxnet/"
	[libaxnet]="net/ userspace/ sock/ daemon/ authz/ policy/ axiom/ driver/ cli/ netdev.h"
	[etcd]="net/ userspace/ sock/ daemon/ authz/ policy/ axiom/ libaxnet/ driver/ cli/"
	[util]="net/ userspace/ sock/ daemon/ authz/ policy/ axiom/ libaxnet/ driver/ cli/"
)
# parts that may include only these prefixes (and their own files)
declare -A ONLY=(
	[preload]="libaxnet/ axnet/ util/instance.h"
)

bad=0
for part in "${!FORBID[@]}"; do
	[ -d "$part" ] || continue
	while IFS= read -r line; do
		file=${line%%:*}
		inc=$(sed -n 's/.*#include "\([^"]*\)".*/\1/p' <<<"$line")
		for f in ${FORBID[$part]}; do
			case "$inc" in
			"$f"*)
				echo "layers: $file includes \"$inc\" ($part/ must not depend on $f)"
				bad=1
				;;
			esac
		done
	done < <(grep -rn --include='*.c' --include='*.h' '^#include "' "$part" || true)
done
for part in "${!ONLY[@]}"; do
	[ -d "$part" ] || continue
	while IFS= read -r line; do
		file=${line%%:*}
		inc=$(sed -n 's/.*#include "\([^"]*\)".*/\1/p' <<<"$line")
		ok=0
		[ -e "$part/$inc" ] && ok=1
		for f in ${ONLY[$part]}; do
			case "$inc" in "$f"*) ok=1 ;; esac
		done
		if [ $ok -eq 0 ]; then
			echo "layers: $file includes \"$inc\" ($part/ may use only ${ONLY[$part]})"
			bad=1
		fi
	done < <(grep -rn --include='*.c' --include='*.h' '^#include "' "$part" || true)
done
[ $bad -eq 0 ] && echo "layers: every #include follows ARCHITECTURE.md"
exit $bad
