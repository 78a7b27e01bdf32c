#!/usr/bin/env python3
"""Checks the serial log of tests/e2e/run.sh (on stdin): what the guests saw
and what the host's command saw of them.

usage: check.py BOOT.csv BOOT.svg LATENCY.svg <serial.log
(the boot that "host record --wait" recorded, and the pictures that "plot"
and "plot --latency" drew of it)
"""
import csv
import html
import json
import re
import sys

lines = sys.stdin.read().splitlines()
passed = failed = 0


def check(ok, what):
    global passed, failed
    print(("ok - " if ok else "not ok - ") + what)
    if ok:
        passed += 1
    else:
        failed += 1


def console(prefix):
    return [line[len(prefix):] for line in lines if line.startswith(prefix)]


def between(console_lines, begin, end):
    """The lines between the marker lines BEGIN and END, or None."""
    try:
        start = console_lines.index(begin)
        return "\n".join(console_lines[start + 1:console_lines.index(end, start)])
    except ValueError:
        print(f"# no {begin} ... {end} on the console")
        return None


def parsed_json(text, what):
    try:
        return json.loads(text) if text is not None else None
    except json.JSONDecodeError as error:
        print(f"# {what} is not JSON: {error}: {text[:200]}")
        return None


def json_block(console_lines, tag):
    """A guest's JSON report (L2-JSON-BEGIN TAG)."""
    return parsed_json(between(console_lines, f"L2-JSON-BEGIN {tag}", f"L2-JSON-END {tag}"),
                       f"JSON report {tag}")


def block(name):
    """A file that the emulated host put on its console (KES-BLOCK-BEGIN)."""
    return between(lines, f"KES-BLOCK-BEGIN {name}", f"KES-BLOCK-END {name}")


def json_of(name):
    return parsed_json(block(name), f"block {name}")


def marker(name):
    """The rest of the line KES-NAME ... as (exit status, message)."""
    found = [line[len(name) + 1:] for line in lines if line.startswith(name + " ")]
    if not found:
        return (None, "")
    status, _, message = found[0].partition(" ")
    return (int(status) if status.isdigit() else None, message)


def cpuid_reason(report):
    rows = [r for r in report["reasons"] if r["name"] in ("cpuid", "CPUID")] if report else []
    return rows[0] if rows else {"exits": -1, "cycles": -1}


def io_exits(report):
    if not report:
        return -1
    return sum(r["exits"] for r in report["reasons"] if r["name"] in ("io", "IO_INSTRUCTION"))


guest = console("[guest] ")
signature = [line for line in guest if line.startswith("L2-SIGNATURE")]
check(bool(signature) and "eax=0x00000002 ebx=0x454d564b ecx=0x53746978 edx=0x73746174" in signature[0],
      "cpuid -l 0x4FFFFFF0 in the guest shows the \"KVMExitStats\" signature")
totals = [int(re.search(r"eax=(0x[0-9a-f]+)", line).group(1), 16)
          for line in guest if line.startswith("L2-TOTALS")]
check(len(totals) == 2 and totals[1] > totals[0],
      f"cpuid -l 0x4FFFFFFF: total exits grow between two calls {totals}")

report = json_block(guest, "report")
if report:
    total = report["total"]["exits"]
    summed = sum(r["exits"] for r in report["reasons"])
    check(summed == total and total > 0,
          f"kvm-exitstats --json parses; its per-reason exits sum to its total ({summed} = {total})")
else:
    check(False, "kvm-exitstats --json parses")

run = json_block(guest, "run")
top = run["reasons"][0] if run and run["reasons"] else {}
check(top.get("name") in ("io", "IO_INSTRUCTION") and top.get("exits", 0) >= 3000,
      f"run -- portio 3000: the exits go to the I/O reason ({top.get('name')}: {top.get('exits')})")

for scope in ("vm", "host"):
    window = json_block(console(f"[guest A, scope {scope}] "), "window")
    load = json_block(console(f"[guest B, scope {scope}] "), "load")
    check(io_exits(load) >= 5000, f"scope {scope}: guest B counts its own 5000 port reads ({io_exits(load)})")
    if scope == "vm":
        check(0 <= io_exits(window) < 500,
              f"scope vm: guest A, running at the same time, does not see them ({io_exits(window)} I/O exits)")
    else:
        check(io_exits(window) >= 5000,
              f"scope host: guest A, running at the same time, sees them ({io_exits(window)} I/O exits)")

# The host's view (kvm-exitstats host) of the same guests.
status, message = marker("KES-HOST-NO-DEBUGFS-EXIT")
check(status == 7 and "debugfs is not mounted" in message,
      f"host without debugfs mounted: exit 7 naming the fix ({status}: {message[:70]})")
lockdown = [line for line in lines if line.startswith("KES-LOCKDOWN ")]
status, message = marker("KES-LOCKDOWN-RMAPS")
check(bool(lockdown) and "[integrity]" in lockdown[0] and status not in (None, 0),
      f"the emulated host is locked down (integrity): KVM's writable debugfs file is refused "
      f"({lockdown[:1]}; mmu_rmaps_stat: {status} {message[:60]})")
check(marker("KES-HOST-TABLE-EXIT")[0] == 0 and
      any(line.startswith("[host] ") and "guest-window" in line for line in lines) and
      any(line.startswith("[host] ") and "guest-load" in line for line in lines),
      "kvm-exitstats host, under lockdown, lists the two running guests by name")
listed = json_of("host-list")
names = sorted(vm["name"] for vm in listed["vms"]) if listed else []
check({"guest-window", "guest-load"} <= set(names) and
      all(vm["exits"] == sum(r["exits"] for r in vm["reasons"]) for vm in listed["vms"]),
      f"host --json: both guests by name, each VM's reasons sum to its exits {names}")
load = [vm for vm in listed["vms"] if vm["name"] == "guest-load"] if listed else []
window = [vm for vm in listed["vms"] if vm["name"] == "guest-window"] if listed else []
load_io = io_exits(load[0]) if load else -1
window_io = io_exits(window[0]) if window else -1
check(load_io > window_io >= 0,
      f"host --json: the guest doing port reads has more I/O exits ({load_io}) than the other ({window_io})")
# Which reasons cost the most varies with the load on the machine that
# emulates the host: any of them shows its p99.
load_row = [line for line in lines if line.startswith("[host] ") and "guest-load" in line]
top_reasons = re.findall(r"\b([\w-]+) \d+% p99 [\d.]+(?:ns|µs|ms|s)\b", load_row[0]) if load_row else []
check(bool(top_reasons),
      f"kvm-exitstats host shows the p99 of the costliest reasons ({', '.join(top_reasons) or '-'}: "
      f"{load_row[0].split('  ')[-1] if load_row else '-'})")
histograms_agree = listed and all(
    sum(r["latency"]["buckets"]) == r["exits"] for vm in listed["vms"] for r in vm["reasons"] if "latency" in r)
with_latency = sum(1 for vm in (listed["vms"] if listed else []) for r in vm["reasons"] if "latency" in r)
check(bool(histograms_agree) and with_latency > 0,
      f"host --json: each of the {with_latency} reasons with a histogram has its exits in its buckets")
prometheus = block("host-prometheus") or ""
cost = [line for line in lines if line.startswith("KES-HOST-COST ")]
seconds = [float(m) * 60 + float(s) for m, s in re.findall(r"(\d+)m ([\d.]+)s", cost[0])] if cost else []
if len(seconds) == 2:
    vms = re.search(r"vms=(\d+)", cost[0]).group(1)
    print(f"# host watch in the emulated host: {(seconds[0] + seconds[1]) / 40 * 1000:.1f} ms of CPU "
          f"(user {seconds[0]:.2f} s, system {seconds[1]:.2f} s) per refresh with {vms} VMs, under QEMU's TCG")
check(re.search(r'^kvm_exitstats_vm_all_exits_total\{vm="guest-load",pid="\d+",kvm_dir="\d+-\d+"\} \d+$',
                prometheus, re.M) is not None,
      "host --prometheus: counters with a vm label per guest")

agree_lines = {int(m.group(1)): m for m in (re.search(
    r"L2-AGREE (\d) reason=\d+ exits=(\d+) cycles=(\d+) max=(\d+) buckets=([0-9:,]*) queries=(\d+)", line)
    for line in console("[guest, agree] ")) if m}
agree = {r: (int(m.group(2)), int(m.group(3))) for r, m in agree_lines.items()}
host_1, host_2 = cpuid_reason(json_of("agree-1")), cpuid_reason(json_of("agree-2"))
if len(agree) == 2:
    (g1_exits, g1_cycles), (g2_exits, g2_cycles) = agree[1], agree[2]
    print(f"# agreement: guest read {g1_exits} then {g2_exits} CPUID exits; the host's file said "
          f"{host_1['exits']} then {host_2['exits']}; cycles guest {g1_cycles}, {g2_cycles}, "
          f"host {host_1['cycles']}, {host_2['cycles']}")
    # Each guest reading is two CPUIDs (exits, then cycles) and then its
    # histogram's (one, and one per marked bucket: queries): the host's file
    # counts them all; the cycles the guest read lack all but the first.
    q1, q2 = int(agree_lines[1].group(6)), int(agree_lines[2].group(6))
    check(host_1["exits"] == g1_exits + 2 + q1 and host_2["exits"] == g2_exits + 2 + q2,
          f"host and guest agree exactly on the CPUID exits: {host_1['exits']} = {g1_exits} + 2 + {q1}, "
          f"{host_2['exits']} = {g2_exits} + 2 + {q2}")
    check(g2_exits - g1_exits == 1000 + 2 + q1 and host_2["exits"] - host_1["exits"] == 1000 + 2 + q2,
          f"between the readings: 1000 CPUIDs and those of the readings "
          f"(guest {g2_exits - g1_exits}, host {host_2['exits'] - host_1['exits']})")
    # Those later CPUIDs (the cycles' own and the histogram's) each took no
    # more than the longest CPUID exit the host saw; an emulated host
    # preempted on a busy machine makes single exits long, so no multiple of
    # the mean bounds them.
    mean = (host_2["cycles"] - host_1["cycles"]) / (1000 + 2 + q2)
    extra_1, extra_2 = host_1["cycles"] - g1_cycles, host_2["cycles"] - g2_cycles
    longest_1, longest_2 = (host.get("latency", {}).get("max_cycles", 0) for host in (host_1, host_2))
    check(0 < extra_1 <= (1 + q1) * longest_1 and 0 < extra_2 <= (1 + q2) * longest_2,
          f"the host's cycles exceed the guest's by its later reading CPUIDs, each no longer than the longest "
          f"CPUID exit ({extra_1} <= {1 + q1} x {longest_1}, {extra_2} <= {1 + q2} x {longest_2} cycles; "
          f"a CPUID exit costs {mean:.0f} on average)")
    # The guest read its histogram after its counts, bucket by bucket, each
    # read one more CPUID exit: the host's buckets hold the guest's, and
    # besides them between 1 and `queries` of those reading exits.
    for round_ in (1, 2):
        m = agree_lines[round_]
        guest = {int(i): int(n) for i, n in (item.split(":") for item in m.group(5).split(",") if item)}
        latency = cpuid_reason(json_of(f"agree-{round_}")).get("latency", {})
        host = latency.get("buckets", [])
        extra = sum(host) - sum(guest.values()) if host else -1
        check(bool(host) and all(host[i] >= n for i, n in guest.items()) and
              1 <= extra <= int(m.group(6)) and int(m.group(4)) <= latency["max_cycles"],
              f"reading {round_}: the host's CPUID histogram holds the guest's ({sum(guest.values())} exits "
              f"in {len(guest)} buckets) and {extra} of its {m.group(6)} histogram reads")
else:
    check(False, f"the agree guest printed both readings ({agree})")

status, message = marker("KES-RECORD-EXIT")
check(status == 0 and "until the VM ended" in message,
      f"host record --wait ends with the VM: exit 0 ({status}: {message[:90]})")
status, message = marker("KES-HOST-WATCH-EXIT")
check(status == 12 and "went away" in message,
      f"host watch --vm of a VM that ends: exit 12 ({status}: {message[:70]})")
status, message = marker("KES-HOST-GONE-EXIT")
check(status == 11 and "no running VM" in message,
      f"host --vm of a VM that is gone: exit 11 ({status}: {message[:70]})")


# The recorded boot's guest kept its last vCPU busy with 3000 port reads;
# host --vm --vcpus showed each vCPU, adding up to the VM's file.
cpus = marker("KES-BOOT-VCPUS")[0]
vcpus = json_of("boot-vcpus")
if vcpus and cpus:
    rows = vcpus.get("vcpus", [])
    io = [sum(r["exits"] for r in v["reasons"] if r["name"] in ("io", "IO_INSTRUCTION")) for v in rows]
    summed = all(v["exits"] == sum(r["exits"] for r in v["reasons"]) for v in rows)
    print(f"# host --vcpus of the busy guest: " +
          ", ".join(f"vCPU {v['vcpu']} {v['exits']} exits ({n} io)" for v, n in zip(rows, io)))
    check(len(rows) == cpus and [v["vcpu"] for v in rows] == list(range(cpus)) and summed and
          io[-1] >= 3000,
          f"host --vm --vcpus shows the guest's {cpus} vCPUs, the busy one with its 3000 port reads "
          f"({len(rows)} vCPUs, io {io})")
else:
    check(False, f"host --vm --vcpus of the recorded boot's guest ({cpus} vCPUs expected)")


def recorded_boot(csv_path):
    """The recording's samples: [(time, total exits)]."""
    try:
        with open(csv_path, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as error:
        print(f"# no recorded boot: {error}")
        return []
    return [(float(r["time_s"]), int(r["exits"])) for r in rows if r["reason"] == "total"]


def last_histograms(csv_path):
    """The last sample's reasons with histograms: {name: (exits, buckets)}."""
    try:
        with open(csv_path, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError:
        return {}
    if not rows or "b35" not in rows[0]:
        return {}
    last_time = rows[-1]["time_s"]
    return {r["name"]: (int(r["exits"]), [int(r[f"b{i}"]) for i in range(36)])
            for r in rows if r["time_s"] == last_time and r["reason"] != "total" and r["b0"] != ""}


samples = recorded_boot(sys.argv[1]) if len(sys.argv) > 2 else []
if samples:
    first, last = samples[0], samples[-1]
    print(f"# recorded boot: {len(samples)} samples over {last[0]:.1f} s; {first[1]} exits at the first, "
          f"{last[1]} at the last")
    check(len(samples) >= 20 and first[0] == 0 and last[1] > 1000 and first[1] * 100 <= last[1],
          f"host record --wait caught the boot from its first exits ({first[1]} of {last[1]} at the "
          f"first of {len(samples)} samples)")
    try:
        with open(sys.argv[2]) as f:
            svg = f.read()
    except OSError:
        svg = ""
    texts = [html.unescape(t) for t in re.findall(r">([^<>]+)</t", svg)]
    series = [int(m.group(1).replace(",", "")) for t in texts
              for m in [re.search(r": ([\d,]+) exits$", t)] if m]
    title = [int(m.group(1).replace(",", "")) for t in texts
             for m in [re.search(r": ([\d,]+) VM exits, ", t)] if m]
    check(svg.startswith("<?xml") and len(series) >= 2 and title and sum(series) == title[0] == last[1],
          f"plot's SVG: its {len(series)} series add up to the title's total and the recording's "
          f"({sum(series)} = {title[0] if title else None} = {last[1]})")
    histograms = last_histograms(sys.argv[1])
    check(bool(histograms) and all(sum(b) == n for n, b in histograms.values()),
          f"the recording carries each handled reason's histogram, adding up to its exits "
          f"({len(histograms)} reasons)")
    try:
        with open(sys.argv[3]) as f:
            latency_svg = f.read()
    except (OSError, IndexError):
        latency_svg = ""
    panels = [m.groups() for t in re.findall(r">([^<>]+)</t", latency_svg)
              for m in [re.match(r"(\S+) \((?:0x[0-9a-f]+|\d+)\): ([\d,]+) exits, p50 ", html.unescape(t))] if m]
    for name, exits in panels:
        print(f"# latency panel: {name}: {exits} exits")
    check(len(panels) >= 2 and all(name in histograms and int(exits.replace(",", "")) == histograms[name][0]
                                   for name, exits in panels),
          f"plot --latency: {len(panels)} panels, each with its reason's exits in the recording")
else:
    check(False, "a recorded boot to plot")

watch = console("[guest, watch] ")
check("L2-WATCH-EXIT 5" in watch and any("switched the statistics off" in line for line in watch),
      "statistics switched off under a running watch: exit 5 with its message")
status, message = marker("KES-HOST-OFF-EXIT")
check(status == 10 and "statistics are off" in message,
      f"host with kvm.exitstats=off: exit 10 naming the fix ({status}: {message[:60]})")
file_off = [line for line in lines if line.startswith("KES-FILE-OFF ")]
check(bool(file_off) and file_off[0].split() == ["KES-FILE-OFF", "kvm-exitstats-vm", "1", "statistics", "off"],
      f"the VMs' files say \"statistics off\" and show no numbers ({file_off[:1]})")

# Each guest's boot logs one WARNING from arch/x86/kernel/fpu/xstate.c (the
# XSAVE sizes QEMU's TCG reports do not add up); Debian's own kvm-amd gives
# the same, on every boot (tests/e2e/run.sh SERIES --boots N --stock). What
# the emulated host logged before KVM was loaded is reported, not judged.
KERNEL_TROUBLE = re.compile(r"WARNING:|BUG:|Oops|Kernel panic|general protection|-DMESG-BAD")
EMULATOR_ARTEFACT = "arch/x86/kernel/fpu/xstate.c"
BEFORE_KVM = "# before KVM was loaded: "
trouble = [line for line in lines if KERNEL_TROUBLE.search(line)
           and EMULATOR_ARTEFACT not in line and not line.startswith(BEFORE_KVM)]
for line in trouble[:5]:
    print(f"# {line}")
check(not trouble, "no WARNING, BUG or Oops in the host's or the guests' kernel log")
check(not any("KES-FAIL" in line for line in lines), "the emulated host ran every step")

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
