# shellcheck shell=bash
# What a tmux session shows, for the tests of live views; sourced, with
# $session set to the session's name.

screen() { tmux capture-pane -p -t "$session"; }

# on_screen TEXT: whether the screen shows TEXT. The screen is captured
# whole first: `screen | grep -q` could end tmux with SIGPIPE, which
# pipefail reports as a failure.
on_screen() {
	local shown
	shown=$(screen)
	grep -q -- "$1" <<<"$shown"
}

# wait_for TEXT: until the screen shows TEXT (10 s at most).
wait_for() {
	for _ in $(seq 100); do
		on_screen "$1" && return 0
		sleep 0.1
	done
	echo "timed out waiting for: $1"
	screen
	return 1
}

not_on_screen() {
	if on_screen "$1"; then
		echo "unexpected on the screen: $1"
		screen
		exit 1
	fi
}
