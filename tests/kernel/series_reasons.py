#!/usr/bin/env python3
"""Prints, comma-separated, the exit reasons that a kernel series defines and
kvm-exitstats counts in a slot: the series' own VMX_EXIT_REASONS or
SVM_EXIT_REASONS (from its uapi <asm/vmx.h> or <asm/svm.h>, expanded by the
C preprocessor), and for VMX also the reasons of the Intel SDM table that
the kernel side follows (order number 325462-078US: 0-77 but 35, 38, 42, 71).

usage: series_reasons.py UAPI_ASM_DIR vmx|svm
"""
import re
import subprocess
import sys

SDM_078_VMX = set(range(78)) - {35, 38, 42, 71}

# SVM_EXIT_REASONS names exception vectors by the kernel's internal names.
VECTORS = dict(DE=0, DB=1, BP=3, OF=4, BR=5, UD=6, NM=7, DF=8, TS=10, NP=11,
               SS=12, GP=13, PF=14, MF=16, AC=17, MC=18, XM=19)


def expand(asm_dir, arch):
    header, macro = {"vmx": ("vmx.h", "VMX_EXIT_REASONS"),
                     "svm": ("svm.h", "SVM_EXIT_REASONS")}[arch]
    source = "".join(f"#define {n}_VECTOR {v}\n" for n, v in VECTORS.items())
    source += f'#include "{asm_dir}/{header}"\n{macro}\n'
    out = subprocess.run(["gcc", "-E", "-P", "-x", "c", "-"], input=source,
                         capture_output=True, text=True, check=True).stdout
    return out.strip().splitlines()[-1]


def reasons(asm_dir, arch):
    found = set()
    for expr in re.findall(r'\{\s*([^,{}]+?)\s*,\s*"[^"]*"\s*\}', expand(asm_dir, arch)):
        expr = re.sub(r'(0x[0-9a-fA-F]+|\d+)[uUlL]+', r'\1', expr)
        if not re.fullmatch(r'[0-9a-fA-Fx()+\-*<| ]+', expr):
            sys.exit(f"series_reasons.py: cannot evaluate {expr!r}")
        value = eval(expr)  # only numbers and operators, checked above
        if arch == "vmx" and 0 <= value < 0x110:
            found.add(value)
        if arch == "svm" and (0 <= value < 0x100 or 0x400 <= value < 0x410):
            found.add(value)
    if arch == "vmx":
        found |= SDM_078_VMX
    return sorted(found)


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in ("vmx", "svm"):
        sys.exit(__doc__.split("\n\n")[1].strip())
    print(",".join(hex(r) for r in reasons(sys.argv[1], sys.argv[2])))


if __name__ == "__main__":
    main()
