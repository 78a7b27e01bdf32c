#!/bin/bash
# What kvm-exitstats says to Prometheus, checked by Prometheus' own tools
# from Debian: promtool on every output, then node_exporter serving the
# host's textfile and a prometheus server on the loopback address scraping
# it, whose histogram_quantile() must answer what the modelled host's known
# distribution of exit durations says.
#
# usage: prometheus_test.sh KVM_EXITSTATS_MODEL_BINARY
set -uo pipefail
if [ $# -ne 1 ] || [ ! -x "$1" ]; then
	echo "usage: $0 KVM_EXITSTATS_MODEL_BINARY" >&2
	exit 2
fi
binary=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/guest/fake_host.sh
. "$here/fake_host.sh"
for tool in promtool prometheus prometheus-node-exporter curl python3; do
	command -v "$tool" >/dev/null ||
		{ echo "not ok - $tool is missing: scripts/install-build-deps.sh installs it"; exit 1; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/kes-prometheus.XXXXXX")
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"' EXIT
failed=0
check() {
	local what=$1
	shift
	if "$@" >"$work/check.log" 2>&1; then
		echo "ok - $what"
	else
		echo "not ok - $what"
		sed 's/^/# /' "$work/check.log" | head -n 20
		failed=1
	fi
}

# A TSC of 1 GHz: a cycle is a nanosecond.  The VM's I/O exits: 99 of
# 3,000 cycles (bucket 12, 2,048..4,095) and one of 2,000,000 (bucket 21);
# its nested page faults: 800 of 6,000 cycles (bucket 13, 4,096..8,191).
host=$work/host
fake_host "$host"
fake_vm "$host" 300 13 web
cat >"$host/sys/kernel/debug/kvm/300-13/exitstats" <<'FILE'
kvm-exitstats-vm 1
statistics on
numbering svm
tsc_khz 1000000
vcpus 1
total 900 7097000
reason 0x7b 100 2297000
reason 0x400 800 4800000
buckets 36
hist 0x7b 2000000 12:99 21:1
hist 0x400 6000 13:800
vcpu 0 900 7097000
vcpu_reason 0 0x7b 100 2297000
vcpu_reason 0 0x400 800 4800000
FILE

KES_MODEL="numbering=svm exits=npf:800:6000,io:99:3000,io:1:2000000" "$binary" --prometheus >"$work/guest.prom"
check "promtool check metrics: the guest's --prometheus, histogram included" \
	sh -c "promtool check metrics <'$work/guest.prom' && grep -q '^kvm_exitstats_exit_duration_seconds_bucket{.*reason=\"io\".*le=\"+Inf\"} 100$' '$work/guest.prom'"
KES_MODEL="numbering=svm version=1 exits=npf:800:6000" "$binary" --prometheus >"$work/guest-v1.prom"
check "promtool check metrics: the guest's --prometheus on modules without histograms" \
	sh -c "promtool check metrics <'$work/guest-v1.prom' && ! grep -q duration '$work/guest-v1.prom'"
mkdir "$work/textfile"
KES_MODEL="host-root=$host" "$binary" host --prometheus -o "$work/textfile/kvm-exitstats.prom"
check "promtool check metrics: the host's --prometheus, histogram included" \
	sh -c "promtool check metrics <'$work/textfile/kvm-exitstats.prom'"

# A free port on the loopback address for each server.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
exporter_port=$(free_port)
prometheus-node-exporter --web.listen-address="127.0.0.1:$exporter_port" --collector.disable-defaults \
	--collector.textfile --collector.textfile.directory="$work/textfile" >"$work/exporter.log" 2>&1 &
pids+=($!)
metrics() { curl -sf "http://127.0.0.1:$exporter_port/metrics"; }
for _ in $(seq 50); do metrics >/dev/null && break; sleep 0.2; done
check "node_exporter serves the textfile's histogram without errors" \
	sh -c "curl -sf 'http://127.0.0.1:$exporter_port/metrics' >'$work/served' &&
		grep -q '^kvm_exitstats_vm_exit_duration_seconds_count{.*reason=\"io\".*} 100$' '$work/served' &&
		grep -q '^node_textfile_scrape_error 0$' '$work/served'"

prometheus_port=$(free_port)
cat >"$work/prometheus.yml" <<YML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ['127.0.0.1:$exporter_port']
YML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
	--web.listen-address="127.0.0.1:$prometheus_port" >"$work/prometheus.log" 2>&1 &
pids+=($!)
# query EXPR: the value of the single series EXPR gives, once scraped.
query() {
	local answer
	for _ in $(seq 60); do
		answer=$(curl -sf --data-urlencode "query=$1" "http://127.0.0.1:$prometheus_port/api/v1/query" |
			python3 -c 'import json, sys; r = json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if len(r) == 1 else "")' 2>/dev/null)
		[ -n "$answer" ] && { echo "$answer"; return 0; }
		sleep 0.5
	done
	return 1
}
# The 99th of 100 I/O exits is the last of bucket 12: Prometheus ends it at
# the bucket's le, 4,095 cycles = 4.095 µs.  Of 800 page faults all in
# bucket 13, p99 lies 99% into it: 4,095 + 0.99 * 4,096 = 8,150 cycles.
io_p99=$(query 'histogram_quantile(0.99, sum by (vm, reason, le) (kvm_exitstats_vm_exit_duration_seconds_bucket{vm="web",reason="io"}))')
npf_p99=$(query 'histogram_quantile(0.99, sum by (vm, reason, le) (kvm_exitstats_vm_exit_duration_seconds_bucket{vm="web",reason="npf"}))')
echo "# prometheus: p99 of io ${io_p99:-none} s, of npf ${npf_p99:-none} s"
check "prometheus: histogram_quantile(0.99) of the I/O exits is 4.095 µs, the end of bucket 12" \
	python3 -c "import sys; sys.exit(not abs(float('${io_p99:-nan}') - 4.095e-6) <= 1e-9)"
check "prometheus: histogram_quantile(0.99) of the page faults is 8.150 µs, inside bucket 13" \
	python3 -c "import sys; sys.exit(not abs(float('${npf_p99:-nan}') - 8.150e-6) <= 2e-9)"
exit "$failed"
