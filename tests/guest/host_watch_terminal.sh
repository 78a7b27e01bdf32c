#!/bin/bash
# `kvm-exitstats host watch` on a real terminal (tmux), on a modelled host
# with two VMs whose counters grow: it redraws in place, busiest VM first,
# and Ctrl-C ends it with status 0 and gives the terminal back as it was.
#
# usage: host_watch_terminal.sh KVM_EXITSTATS_MODEL_BINARY
set -euo pipefail
binary=$(realpath "$1")
# shellcheck source=tests/guest/fake_host.sh
. "$(dirname "$0")/fake_host.sh"
session=kes-host-watch-$$
host=$(mktemp -d "${TMPDIR:-/tmp}/kes-fake-host.XXXXXX")
command -v tmux >/dev/null || { echo "tmux is not installed"; exit 1; }
writer=
# shellcheck source=tests/guest/tmux_screen.sh
. "$(dirname "$0")/tmux_screen.sh"
trap 'end_tmux; [ -z "$writer" ] || kill "$writer" 2>/dev/null || true; rm -rf "$host"' EXIT

fake_host "$host"
fake_vm "$host" 4242 11 quiet-vm
fake_vm "$host" 4343 12 busy-vm
# The busy VM gains 100 times the quiet one's exits and cycles.
(
	i=0
	while :; do
		i=$((i + 1))
		fake_counts "$host" 4242-11 $((i * 10)) $((i * 10000))
		fake_counts "$host" 4343-12 $((i * 1000)) $((i * 1000000))
		sleep 0.02
	done
) &
writer=$!

tmux new-session -d -s "$session" -x 160 -y 40 "bash --norc --noprofile"
tmux send-keys -t "$session" "PS1='$ '; echo BEFORE-WATCH" Enter
wait_for BEFORE-WATCH
# Each of watch's intervals takes 0.3 s of real time (pace), over ten of the
# writer's rounds, so that a window holds both VMs' moves even when a loaded
# machine slows the writer down. With the model's default pace (0.02 s, one
# round or less) windows in which only one VM had moved could follow one
# another for 30 s under two compilers.
tmux send-keys -t "$session" "KES_MODEL='host-root=$host pace=0.3' $binary host watch; echo EXIT=\$?" Enter
wait_for "refreshing every 1 s"
# Whole frames only ("refreshing" ends one; a capture can fall between the
# clearing and the drawing). Each must list the VMs by host cycles per second,
# most first. The busy VM must lead once the writer has moved both VMs within
# one window: on a loaded machine it can stall past a window, leaving only one.
judged=no
deadline=$((SECONDS + 30))
while [ $SECONDS -lt $deadline ]; do
	frame=$(screen)
	if grep -q "refreshing every" <<<"$frame"; then
		rates=$(awk '$2 ~ /-vm$/ { gsub(",", "", $7); print $2, $7 }' <<<"$frame")
		[ "$(wc -l <<<"$rates")" -eq 2 ] || { show_screen; echo "FAIL: a frame without both VMs"; exit 1; }
		sort -s -k2,2nr <<<"$rates" | cmp -s - <(echo "$rates") ||
			{ show_screen; echo "FAIL: the VMs are not in order of cycles per second"; exit 1; }
		if ! grep -q ' 0$' <<<"$rates"; then
			judged=yes
			break
		fi
	fi
	sleep 0.1
done
# processes_and_counts: for a failure's report, whether the writer and the
# command still run (and where they wait), and the counts the files hold now.
processes_and_counts() {
	local pids
	pids=$(pgrep -d, -f -- "$binary host watch" || true)
	echo "--- the writer ($writer) and host watch (${pids:-not running}):"
	ps -o pid,stat,etime,time,wchan:24,args -p "$writer${pids:+,$pids}" | cut -c1-160 || true
	echo "--- the VMs' files now:"
	grep -H '^total' "$host"/sys/kernel/debug/kvm/*/exitstats || true
	echo "--- load: $(cat /proc/loadavg)"
}
[ $judged = yes ] || {
	show_screen
	processes_and_counts
	echo "FAIL: no frame in 30 s in which both VMs' counters moved"
	exit 1
}
not_on_screen BEFORE-WATCH        # the live view has the screen to itself
first_vm=$(grep -m1 -o 'busy-vm\|quiet-vm' <<<"$frame" || true)
[ "$first_vm" = busy-vm ] || { echo "$frame"; echo "FAIL: the busiest VM is not first"; exit 1; }
tmux send-keys -t "$session" C-c
wait_for "EXIT=0"
wait_for BEFORE-WATCH     # the terminal's content is back
not_on_screen "refreshing every"
echo "host watch redrew in place, busiest VM first, and Ctrl-C restored the terminal"
