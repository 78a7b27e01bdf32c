#!/bin/bash
# The bash completion of kvm-exitstats completes subcommands and options,
# and the command after `run --`.
#
# usage: completion_test.sh COMPLETION_FILE
set -uo pipefail
# shellcheck disable=SC1091
source /usr/share/bash-completion/bash_completion || { echo "bash-completion is not installed"; exit 1; }
# shellcheck disable=SC1090
source "$1"

failed=0
complete_line() {
	COMP_LINE=$1
	COMP_POINT=${#COMP_LINE}
	read -r -a COMP_WORDS <<<"$COMP_LINE"
	[[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_kvm_exitstats
	printf '%s\n' "${COMPREPLY[@]}" | sort -u | paste -sd' '
}
expect() {
	local got
	got=$(complete_line "$1")
	if [ "$got" = "$2" ]; then
		echo "ok - '$1' -> $got"
	else
		echo "not ok - '$1' -> '$got', expected '$2'"
		failed=1
	fi
}

expect "kvm-exitstats w" "watch"
expect "kvm-exitstats --re" "--reason"
expect "kvm-exitstats --j" "--json"
expect "kvm-exitstats watch --i" "--interval"
expect "kvm-exitstats run -" "-- --help --output"
expect "kvm-exitstats --reason " ""
expect "kvm-exitstats h" "host"
expect "kvm-exitstats p" "plot"
expect "kvm-exitstats host r" "record"
expect "kvm-exitstats host --p" "--prometheus"
expect "kvm-exitstats host watch --i" "--interval"
expect "kvm-exitstats host record --w" "--wait"
expect "kvm-exitstats plot --t" "--top"
expect "kvm-exitstats watch --c" "--count --csv"
expect "kvm-exitstats run -- bas" "$(compgen -c bas | sort -u | paste -sd' ')"
exit $failed
