#!/usr/bin/env python3
"""--help, the man page and the bash completion list exactly what the
command line defines: every option of every (sub)command, and nothing it
does not define. The truth is the command's own definition, printed by
print_command_line, never a list kept here.

usage: command_line_docs_test.py PRINT_COMMAND_LINE KVM_EXITSTATS_MODEL MAN_PAGE COMPLETION
"""
import collections
import os
import re
import subprocess
import sys

NAME = re.compile(r"^--?[a-z][a-z0-9-]*$")
VALUE_TYPE = re.compile(r"^([A-Z][A-Z:_]*(=\S*)?|\[.*\])$")


def definitions(printer):
    options = collections.defaultdict(list)  # path -> [names]
    subcommands = collections.defaultdict(list)
    for line in subprocess.run([printer], check=True, capture_output=True, text=True).stdout.splitlines():
        path, names, kind = line.split("\t")
        if names == "subcommand":
            subcommands[path].append(kind)
        else:
            options[path].append(names.split(","))
    return options, subcommands


def help_lists(model, path):
    """The option names and subcommands that `kvm-exitstats PATH --help` shows."""
    env = dict(os.environ, KES_MODEL="numbering=svm")
    result = subprocess.run([model, *path.split(), "--help"], capture_output=True, text=True, env=env)
    names, subs, section = set(), set(), None
    for line in result.stdout.splitlines():
        if re.match(r"^\S.*:$", line):
            section = line[:-1]
            continue
        words = line.replace(",", " ").split()
        if not words or not line.startswith(" "):
            continue
        if section == "Options" and words[0].startswith("-"):
            for word in words:
                if NAME.match(word):
                    names.add(word)
                elif not VALUE_TYPE.match(word):
                    break
        elif section == "Subcommands" and line.startswith("  ") and not line.startswith("   "):
            subs.add(words[0])
    return result.returncode, names, subs


def man_synopsis(man_text):
    """Each SYNOPSIS block of the man page: its command path and the option names it shows."""
    synopsis = man_text.split(".SH SYNOPSIS", 1)[1].split(".SH ", 1)[0]
    blocks = {}
    for block in synopsis.split(".br"):
        lines = block.strip().splitlines()
        head = re.match(r"^\.B kvm-exitstats(.*)$", lines[0]) if lines else None
        if not head:
            raise SystemExit(f"a SYNOPSIS block does not start with '.B kvm-exitstats': {lines[:1]}")
        path = head.group(1).strip()
        names = set("--" + n for n in re.findall(r"\\-\\-([a-z][a-z0-9-]*)", block))
        names |= set("-" + n for n in re.findall(r"(?<!\\-)\\-([a-z])\b", block))
        blocks[path] = names
    return blocks


def man_options(man_text):
    """The .TP entries of OPTIONS: for each long name, the names its entry gives."""
    section = man_text.split(".SH OPTIONS", 1)[1].split(".SH ", 1)[0]
    entries = {}
    for entry in section.split(".TP")[1:]:
        head = entry.strip().splitlines()[0]
        names = set("--" + n for n in re.findall(r"\\-\\-([a-z][a-z0-9-]*)", head))
        names |= set("-" + n for n in re.findall(r"(?<!\\-)\\-([a-z])\b(?! *\\-)", head))
        for name in names:
            if name.startswith("--"):
                entries[name] = names
    return entries


def completion_words(completion, path, current):
    script = f"""
source /usr/share/bash-completion/bash_completion
source {completion!r}
COMP_WORDS=(kvm-exitstats {path} {current!r}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1))
COMP_LINE="${{COMP_WORDS[*]}}"; COMP_POINT=${{#COMP_LINE}}
_kvm_exitstats
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    out = subprocess.run(["bash", "-c", script], check=True, capture_output=True, text=True, cwd="/").stdout
    return set(out.split())


def main():
    printer, model, man_page, completion = (os.path.abspath(a) for a in sys.argv[1:5])
    options, subcommands = definitions(printer)
    man_text = open(man_page, encoding="utf-8").read()
    synopsis = man_synopsis(man_text)
    man_entries = man_options(man_text)
    failures = 0

    def check(what, got, expected):
        nonlocal failures
        if got == expected:
            print(f"ok - {what}")
        else:
            failures += 1
            print(f"not ok - {what}: missing {sorted(expected - got)}, not defined {sorted(got - expected)}")

    paths = sorted(set(options) | set(subcommands))
    if "" not in paths or "host watch" not in paths:
        raise SystemExit(f"print_command_line defined no report or no host watch: {paths}")
    for path in paths:
        shown = f"kvm-exitstats {path}".strip()
        defined = {name for names in options[path] for name in names}
        longs = {name for name in defined if name.startswith("--")}
        code, help_names, help_subs = help_lists(model, path)
        check(f"'{shown} --help' (exit {code}) lists every option {shown} takes", help_names, defined)
        check(f"'{shown} --help' lists its subcommands", help_subs, set(subcommands[path]))
        # The SYNOPSIS shows each option by one of its names.
        shown_names = synopsis.get(path, set())
        check(f"the man page's SYNOPSIS of '{shown}' shows its options",
              {[n for n in names if n.startswith("--")][0] for names in options[path] if shown_names & set(names)}
              | {n for n in shown_names if n not in defined},
              longs - {"--help", "--version"})
        for names in options[path]:
            long = [n for n in names if n.startswith("--")][0]
            check(f"the man page's OPTIONS describe {','.join(names)} (of '{shown}') under all its names",
                  man_entries.get(long, set()), set(names))
        expected = longs | ({"--"} if path == "run" else set())
        check(f"the completion of '{shown} -' offers its options", completion_words(completion, path, "-"), expected)
        if subcommands[path]:
            words = {w for w in completion_words(completion, path, "") if not w.startswith("-")}
            check(f"the completion of '{shown} ' offers its subcommands", words, set(subcommands[path]))
    check("the man page's SYNOPSIS shows no command that does not exist", set(synopsis), set(paths))
    print(f"{failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
