#!/bin/bash
# `kvm-exitstats watch` on a real terminal (tmux): it redraws in place, and
# Ctrl-C ends it with status 0 and gives the terminal back as it was.
#
# usage: watch_ctrl_c.sh KVM_EXITSTATS_MODEL_BINARY
set -euo pipefail
binary=$(realpath "$1")
session=kes-watch-$$
command -v tmux >/dev/null || { echo "tmux is not installed"; exit 1; }
# shellcheck source=tests/guest/tmux_screen.sh
. "$(dirname "$0")/tmux_screen.sh"
trap end_tmux EXIT

tmux new-session -d -s "$session" -x 150 -y 40 "bash --norc --noprofile"
tmux send-keys -t "$session" "PS1='$ '; echo BEFORE-WATCH" Enter
wait_for BEFORE-WATCH
tmux send-keys -t "$session" \
	"KES_MODEL='numbering=svm tick-exits=npf:10:100' $binary watch; echo EXIT=\$?" Enter
wait_for "refreshing every 1 s"

wait_for "npf (0x400)"
not_on_screen BEFORE-WATCH        # the live view has the screen to itself
tmux send-keys -t "$session" C-c
wait_for "EXIT=0"
wait_for BEFORE-WATCH     # the terminal's content is back
not_on_screen "refreshing every"
echo "watch redrew in place and Ctrl-C restored the terminal"
