#!/usr/bin/env python3
"""Compares the KVM selftest results of the stock and the product's modules.

usage: compare.py [--list-regressions] [--limits FILE] [--reports-judged-apart] LOG... [--retry LOG...]
  LOG...       serial logs of the passes stock, vm and host
               (KES-RESULT, KES-OUTPUT and KES-DMESG lines of l1-init.sh)
  --retry      logs of a second run of the tests that regressed in the first
  --limits     the tests' own time limits, "NAME SECONDS" per line (run.sh's
               /st/limits): a test that ran more than 1.5 times its limit
               in any log shows that the runner did not apply it, and fails
  --list-regressions
               print only the names of the tests that regressed
  --reports-judged-apart
               the kernel log does not count here: a debug kernel's
               reports, which also come from races of the core kernel met by
               chance, are judged by tests/debug-kernel/reports.py
A test regresses when it passes on stock and not under exitstats=vm or host,
when the emulated host of ours dies or hangs during it and stock's does not
(whatever the test's result on stock), or when the kernel logs
WARNING/BUG/Oops during it with ours and not with stock. A result that
changes on the retry is reported, and only a retry that regresses again
counts; a kernel log with ours counts even if the retry has none. A test
with several results in one log (tries) counts its best, or a lost host.
The last line: "N passed, N failed".
"""
import collections
import sys

STOCK = "stock"
OURS = ("vm", "host")
RESULTS = ("pass", "skip", "fail", "timeout", "crash", "hang")
HOST_LOST = ("crash", "hang")


def better(result, than):
    """Of two tries of one test in one log (run.sh's timing tests on the
    retry), whether result counts instead: the best one does, but a host
    lost in any try always counts."""
    if than in HOST_LOST:
        return False
    if result in HOST_LOST:
        return True
    return result in RESULTS and than in RESULTS and RESULTS.index(result) < RESULTS.index(than)


class Run:
    """The results of one run of every pass, keyed by (pass, test)."""

    def __init__(self, paths, judge_kernel_log=True):
        self.judge_kernel_log = judge_kernel_log
        self.results = {}
        self.output = collections.defaultdict(list)
        self.kernel_log = collections.defaultdict(list)
        for path in paths:
            with open(path, errors="replace") as log:
                for line in log:
                    self._read(line)

    def _read(self, line):
        fields = line.split()
        if len(fields) >= 5 and fields[0] == "KES-RESULT":
            key, new = (fields[1], fields[2]), (fields[3], fields[4])
            if key not in self.results or better(new[0], self.results[key][0]):
                self.results[key] = new
        elif len(fields) >= 3 and fields[0] in ("KES-OUTPUT", "KES-DMESG"):
            key = (fields[1], fields[2].rstrip(":"))
            text = line.split(": ", 1)[1].strip() if ": " in line else ""
            (self.output if fields[0] == "KES-OUTPUT" else self.kernel_log)[key].append(text)

    def result(self, scope, name):
        return self.results.get((scope, name), ("missing", "0"))[0]

    def cell(self, scope, name):
        result, seconds = self.results.get((scope, name), ("missing", "0"))
        return f"{result} {seconds}s"

    def names(self):
        return sorted({name for (_, name) in self.results})

    def worse_than_stock(self, scope, name):
        stock, ours = self.result(STOCK, name), self.result(scope, name)
        if ours in HOST_LOST:
            return stock not in HOST_LOST
        return stock == "pass" and ours != "pass"

    def new_kernel_log(self, scope, name):
        if not self.judge_kernel_log or self.kernel_log[(STOCK, name)]:
            return []
        return self.kernel_log[(scope, name)]

    def problems(self, name):
        """What went wrong with ours where stock was fine, per scope."""
        found = {}
        for scope in OURS:
            lines = []
            if self.worse_than_stock(scope, name):
                lines.append(f"{self.result(scope, name)} under exitstats={scope}")
                lines += [f"  {text}" for text in self.output[(scope, name)]]
            if self.new_kernel_log(scope, name):
                lines.append(f"kernel log under exitstats={scope}, not on stock:")
                lines += [f"  {text}" for text in self.new_kernel_log(scope, name)[:5]]
            if lines:
                found[scope] = lines
        return found


def split_arguments(arguments):
    list_only = "--list-regressions" in arguments
    judge_kernel_log = "--reports-judged-apart" not in arguments
    arguments = [a for a in arguments if a not in ("--list-regressions", "--reports-judged-apart")]
    limits = None
    if "--limits" in arguments:
        at = arguments.index("--limits")
        limits = arguments[at + 1] if at + 1 < len(arguments) else ""
        arguments = arguments[:at] + arguments[at + 2:]
    if "--retry" in arguments:
        at = arguments.index("--retry")
        return list_only, judge_kernel_log, limits, arguments[:at], arguments[at + 1:]
    return list_only, judge_kernel_log, limits, arguments, []


def read_limits(path):
    """The per-test limits, {name: seconds}; none without --limits."""
    limits = {}
    if path is None:
        return limits
    with open(path) as lines:
        for line in lines:
            fields = line.split()
            if len(fields) == 2:
                limits[fields[0]] = float(fields[1])
    return limits


def limits_not_applied(runs, limits):
    """{name: line} for the tests that ran far past their own limit."""
    found = {}
    for run in runs:
        for (scope, name), (_, seconds) in sorted(run.results.items()):
            if name in limits and float(seconds) > 1.5 * limits[name] and name not in found:
                found[name] = (f"ran {seconds} s under {scope}, past its own {limits[name]:g} s "
                               "limit: the runner did not apply it")
    return found


def summary(run, label, scope):
    """Counts of the selftests' results; "(loading-the-modules)" is not one."""
    counts = collections.Counter(result for (s, name), (result, _) in run.results.items()
                                 if s == scope and not name.startswith("("))
    text = ", ".join(f"{counts[r]} {r}" for r in RESULTS if counts[r])
    return f"# {label:<22} {text}"


def main():
    if not sys.argv[1:] or sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if sys.argv[1:] else 2
    list_only, judge_kernel_log, limits_path, first_logs, retry_logs = split_arguments(sys.argv[1:])
    try:
        first = Run(first_logs, judge_kernel_log)
        retry = Run(retry_logs, judge_kernel_log) if retry_logs else None
        limits = read_limits(limits_path)
    except (OSError, ValueError) as error:
        print(f"compare.py: cannot read a log or the limits: {error}", file=sys.stderr)
        return 2
    if list_only:
        for name in first.names():
            if first.problems(name):
                print(name)
        return 0

    regressions, matches, notes = [], 0, []
    unapplied = limits_not_applied([first] + ([retry] if retry else []), limits)
    print(f"{'selftest':<40} {'stock':<14} {'vm':<14} {'host':<14}")
    for name in first.names():
        cells = " ".join(f"{first.cell(scope, name):<14}" for scope in (STOCK,) + OURS)
        problems = first.problems(name)
        if problems and retry and (STOCK, name) in retry.results:
            again = retry.problems(name)
            for scope in list(problems):
                # A result may change on the retry; a WARNING stays counted.
                if scope not in again and not first.new_kernel_log(scope, name):
                    notes.append(f"{name}: {problems[scope][0]} at first; on the retry stock "
                                 f"{retry.result(STOCK, name)}, exitstats={scope} {retry.result(scope, name)}")
                    del problems[scope]
        verdict = "REGRESSION" if problems else "same"
        if not problems and first.result(STOCK, name) != "pass" and \
                all(first.result(scope, name) == "pass" for scope in OURS):
            verdict = "better"
        if name in unapplied:
            problems["limit"] = [unapplied[name]]
            verdict = "LIMIT NOT APPLIED"
        print(f"{name:<40} {cells} {verdict}")
        if first.result(STOCK, name) in ("fail", "timeout", "crash", "hang") and first.output[(STOCK, name)]:
            print(f"    on stock: {first.output[(STOCK, name)][-1]}")
        for lines in problems.values():
            for line in lines:
                print(f"    {line}")
        if problems:
            regressions.append(name)
        else:
            matches += 1

    print()
    print(summary(first, "stock", STOCK))
    for scope in OURS:
        print(summary(first, f"ours exitstats={scope}", scope))
    for (scope, name), lines in sorted(first.kernel_log.items()):
        if lines and scope == STOCK:
            print(f"# kernel log during {name} on stock too: {lines[0]}")
    for note in notes:
        print(f"# flaky in the emulator: {note}")
    if regressions:
        print(f"# regressions: {' '.join(regressions)}")
    print(f"{matches} passed, {len(regressions)} failed")
    return 1 if regressions else 0


if __name__ == "__main__":
    sys.exit(main())
