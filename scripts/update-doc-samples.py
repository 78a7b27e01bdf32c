#!/usr/bin/env python3
"""Copies sample outputs into the documents from the logs of a test run, so
that no sample is written by hand.

A document marks a sample with a line `<!-- sample: MARKER -->` followed by
a fenced block, which this script replaces. MARKER is either
  `$ COMMAND`        the output that follows the line `$ COMMAND` in a log
                     of scripts/demo.sh (or tests/fresh-machine.sh's
                     demo.log), up to the next command or note; or
  `[TAG] # COMMAND`  the first run of lines that a log of tests/e2e/run.sh
                     prefixes with `[TAG] `, shown after `# COMMAND`.
tests/docs/check.py then holds each sample to what the command prints now.

usage: scripts/update-doc-samples.py LOG... [--docs FILE...]
  (default documents: README.md and docs/*.md)
"""
import glob
import os
import re
import sys

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
END_OF_OUTPUT = re.compile(r"^(\$ |\(The numbers come from|\[[0-9 :.]+\]|KES-)")


def after_command(log_lines, command):
    for i, line in enumerate(log_lines):
        if line == command:
            out = [command]
            for following in log_lines[i + 1:]:
                if END_OF_OUTPUT.match(following):
                    break
                out.append(following)
            while out and not out[-1].strip():
                out.pop()
            return out
    return None


def tagged_run(log_lines, tag, command):
    prefix = tag + " "
    for i, line in enumerate(log_lines):
        if line.startswith(prefix):
            out = [command]
            for following in log_lines[i:]:
                if not following.startswith(prefix):
                    break
                out.append(following[len(prefix):])
            return out
    return None


def find_sample(logs, marker):
    for log_lines in logs:
        if marker.startswith("$ "):
            found = after_command(log_lines, marker)
        else:
            tag, command = re.match(r"^(\[[^\]]+\]) (.+)$", marker).groups()
            found = tagged_run(log_lines, tag, command)
        if found:
            return found
    return None


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    docs = []
    if "--docs" in argv:
        i = argv.index("--docs")
        argv, docs = argv[:i], argv[i + 1:]
    docs = docs or [os.path.join(TOP, "README.md")] + sorted(glob.glob(os.path.join(TOP, "docs/*.md")))
    logs = []
    for log in argv:
        with open(log, encoding="utf-8", errors="replace") as f:
            logs.append(f.read().split("\n"))
    status = 0
    for doc in docs:
        with open(doc, encoding="utf-8") as f:
            lines = f.read().split("\n")
        out, i, changed = [], 0, 0
        while i < len(lines):
            out.append(lines[i])
            m = re.match(r"^<!-- sample: (.+) -->$", lines[i])
            if m and i + 1 < len(lines) and lines[i + 1].startswith("```"):
                end = next(j for j in range(i + 2, len(lines)) if lines[j].startswith("```"))
                sample = find_sample(logs, m.group(1))
                if sample is None:
                    print(f"{doc}: no '{m.group(1)}' in the logs given; the sample stays", file=sys.stderr)
                    status = 1
                    out.extend(lines[i + 1:end + 1])
                else:
                    out.extend([lines[i + 1]] + sample + [lines[end]])
                    changed += 1
                i = end + 1
                continue
            i += 1
        with open(doc, "w", encoding="utf-8") as f:
            f.write("\n".join(out))
        if changed:
            print(f"{os.path.relpath(doc, TOP)}: {changed} sample(s) copied from the logs")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
