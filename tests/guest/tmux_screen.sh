# shellcheck shell=bash
# What a tmux session shows, for the tests of live views; sourced, with
# $session set to the session's name. Each test has a tmux server of its own
# (ctest runs them at once: a server shared by two tests exits under one of
# them when the other's last session ends), which end_tmux stops.

tmux_dir=$(mktemp -d "${TMPDIR:-/tmp}/kes-tmux.XXXXXX")
tmux() { command tmux -S "$tmux_dir/socket" "$@"; }
end_tmux() {
	tmux kill-server 2>/dev/null || true
	rm -rf "$tmux_dir"
}

screen() { tmux capture-pane -p -t "$session"; }

# show_screen: the screen without its empty bottom rows, for a failure's report.
show_screen() {
	local shown
	shown=$(screen)
	echo "--- the screen:"
	sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' <<<"$shown"
	echo "---"
}

# on_screen TEXT: whether the screen shows TEXT. The screen is captured
# whole first: `screen | grep -q` could end tmux with SIGPIPE, which
# pipefail reports as a failure.
on_screen() {
	local shown
	shown=$(screen)
	grep -q -- "$1" <<<"$shown"
}

# wait_for TEXT: until the screen shows TEXT. 30 s at most: a loaded machine
# (a package build beside other builds) can hold a redraw back for seconds.
wait_for() {
	local deadline=$((SECONDS + 30))
	while [ $SECONDS -lt $deadline ]; do
		on_screen "$1" && return 0
		sleep 0.1
	done
	show_screen
	echo "FAIL: timed out after 30 s waiting for the screen to show: $1"
	return 1
}

not_on_screen() {
	if on_screen "$1"; then
		show_screen
		echo "FAIL: unexpected on the screen: $1"
		exit 1
	fi
}
