# What a tmux session shows, for the tests of live views; sourced, with
# $session set to the session's name.

screen() { tmux capture-pane -p -t "$session"; }

# wait_for TEXT: until the screen shows TEXT (10 s at most).
wait_for() {
	for _ in $(seq 100); do
		screen | grep -q -- "$1" && return 0
		sleep 0.1
	done
	echo "timed out waiting for: $1"
	screen
	return 1
}

not_on_screen() {
	if screen | grep -q -- "$1"; then
		echo "unexpected on the screen: $1"
		screen
		exit 1
	fi
}
