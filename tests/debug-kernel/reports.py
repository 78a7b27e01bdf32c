#!/usr/bin/env python3
"""The kernel's own bug reports in the logs of tests/debug-kernel/run.sh.

usage: reports.py BASELINE_LOG LOG
       reports.py --baseline BASELINE_LOG
Prints each report of LOG: "not ours" when it names no frame of the KVM
modules (a race of the core kernel, which the stock run meets as well, one
run this one, the next another), when the baseline, Debian's unmodified
modules on the same kernel, has the same report, or when not-ours.txt names
it with the reason; otherwise whole, and then the exit status is 1. With
--baseline, lists the baseline's reports.
"""
import os
import re
import sys

TITLE = re.compile(r"(BUG|WARNING):|Kernel panic|general protection fault|Oops:")
KVM_FRAME = re.compile(r"\[kvm(_amd|_intel)?\]|kvm_exitstats")
TIMESTAMP = re.compile(r"^\[ *[0-9.]+\] ")
MOST_LINES = 80


def normalized(title):
    title = TIMESTAMP.sub("", title)
    title = re.sub(r"\+0x[0-9a-f]+/0x[0-9a-f]+", "", title)
    title = re.sub(r"0x[0-9a-f]+", "ADDR", title)
    title = re.sub(r"/[0-9]+/", "/N/", title)
    return re.sub(r"(pid|PID|CPU)[:#]? *[0-9]+", r"\1 N", title)


def reports(path):
    """Each report: its normalized title and its lines (up to the next)."""
    found = []
    with open(path, errors="replace") as log:
        for line in log:
            line = line.rstrip("\n")
            if TITLE.search(line):
                found.append((normalized(line), [line]))
            elif found and len(found[-1][1]) < MOST_LINES:
                found[-1][1].append(line)
    return found


def known_not_ours():
    """(pattern, why) of not-ours.txt."""
    known = []
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "not-ours.txt")
    with open(path) as listed:
        for line in listed:
            if line.strip() and not line.startswith("#"):
                pattern, why = line.rstrip("\n").split("\t", 1)
                known.append((re.compile(pattern), why))
    return known


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    if sys.argv[1] == "--baseline":
        found = reports(sys.argv[2])
        for title, _ in found:
            print(f"# baseline, Debian's modules: {title}")
        print(f"# {len(found)} report(s) with Debian's unmodified modules: not ours")
        return 0
    baseline = {title for title, _ in reports(sys.argv[1])}
    known = known_not_ours()
    ours = 0
    # A fault met once per row or per vCPU repeats its report: the first of
    # each title is printed whole, the others counted.
    shown = {}
    for title, lines in reports(sys.argv[2]):
        why = next((why for pattern, why in known if pattern.search(title)), None)
        if not any(KVM_FRAME.search(line) for line in lines):
            print(f"# not ours (no frame of the KVM modules): {title}")
        elif title in baseline:
            print(f"# not ours (the baseline has it too): {title}")
        elif why:
            print(f"# not ours ({why}): {title}")
        else:
            ours += 1
            if title in shown:
                shown[title] += 1
                continue
            shown[title] = 1
            print(f"# ours: {title}")
            print("\n".join("# | " + line for line in lines))
    for title, count in shown.items():
        if count > 1:
            print(f"# ours, {count} times in all (the first printed whole above): {title}")
    print(f"# {ours} report(s) of the KVM modules that the baseline does not have")
    return 1 if ours else 0


if __name__ == "__main__":
    sys.exit(main())
