#!/bin/bash
# Tests the emulated host's watchdog, watch_serial (tests/kernel/lib.sh), on
# stand-ins for QEMU started the way boot_qemu starts it (a background job
# that runs it under timeout): one whose console goes silent is stopped and
# reported as hung, one that keeps writing or ends by itself is left alone.
set -euo pipefail
# shellcheck source=tests/kernel/lib.sh
. "$(dirname "$0")/lib.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# stand_in LOG SCRIPT: the stand-in's console goes to LOG.
stand_in() {
	timeout 120 sh -c "$2" >"$1" 2>&1 </dev/null || true
}

# watched LOG SILENCE SCRIPT: runs a stand-in under the watchdog; sets
# $verdict (stopped or ended) and $took (seconds).
watched() {
	local start
	start=$(date +%s)
	stand_in "$1" "$3" &
	if watch_serial $! "$1" "$2"; then verdict=ended; else verdict=stopped; fi
	took=$(($(date +%s) - start))
}

between() { [ "$took" -ge "$1" ] && [ "$took" -le "$2" ]; }
lacks() { ! grep -q "$1" "$2"; }
gone() { ! pgrep -f "$1" >/dev/null; }

log "a console that goes silent (10 s allowed)"
watched "$work/silent.log" 10 'echo booting; sleep 61; echo too-late'
check "the silent stand-in is reported as hung" [ "$verdict" = stopped ]
check "it is stopped within 10-20 s (took $took s)" between 10 20
check "it did not write on after being stopped" lacks too-late "$work/silent.log"
check "no process of it is left" gone 'sleep 61'


log "a console that writes every 2 s for 16 s (10 s allowed)"
# shellcheck disable=SC2016 # $i is the stand-in's own
watched "$work/busy.log" 10 'for i in 1 2 3 4 5 6 7 8; do echo "tick $i"; sleep 2; done; echo done'
check "the busy stand-in is not reported as hung" [ "$verdict" = ended ]
check "it ran to its end" grep -q '^done$' "$work/busy.log"

log "a stand-in that ends at once (60 s allowed)"
watched "$work/quick.log" 60 'echo panic; exit 1'
check "an ending stand-in is not reported as hung" [ "$verdict" = ended ]
check "the watchdog returns within 10 s of its end (took $took s)" between 0 10
finish
