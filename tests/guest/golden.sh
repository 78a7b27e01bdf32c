#!/bin/bash
# Runs kvm-exitstats (built on the model hypervisor) as a user would and
# compares stdout, stderr and the exit status with golden/NAME.out.
# KES_GOLDEN_UPDATE=1 rewrites the golden file instead.
#
# usage: golden.sh KVM_EXITSTATS_MODEL_BINARY NAME
set -euo pipefail
binary=$(realpath "$1")
name=$2
dir=$(cd "$(dirname "$0")/golden" && pwd)

line=$(grep -E "^$name *\|" "$dir/cases.txt") || { echo "no case $name" >&2; exit 2; }
model=$(echo "$line" | cut -d'|' -f2 | sed 's/^ *//; s/ *$//')
args=$(echo "$line" | cut -d'|' -f3- | sed 's/^ *//; s/ *$//')

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/cwd"
status=0
# shellcheck disable=SC2086 # the arguments are words of the case line
(cd "$work/cwd" && KES_MODEL="$model" "$binary" $args >"$work/stdout" 2>"$work/stderr") || status=$?
{
	echo "--- stdout"
	cat "$work/stdout"
	echo "--- stderr"
	cat "$work/stderr"
	echo "--- exit $status"
	for f in "$work"/cwd/*; do
		[ -e "$f" ] || continue
		echo "--- file $(basename "$f")"
		cat "$f"
	done
} >"$work/actual"

if [ "${KES_GOLDEN_UPDATE:-}" = 1 ]; then
	cp "$work/actual" "$dir/$name.out"
	exit 0
fi
diff -u "$dir/$name.out" "$work/actual"
