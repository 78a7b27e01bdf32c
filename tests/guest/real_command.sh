#!/bin/bash
# The real command on the machine running the tests, which is no guest of a
# kvm-exitstats host: it must say so with the documented exit status.
set -uo pipefail
out=$("$1" 2>&1)
status=$?
echo "$out"
echo "exit status $status"
case $status in
3) echo "$out" | grep -q "not running under a hypervisor" ;;
4) echo "$out" | grep -q "does not offer the kvm-exitstats interface" ;;
*) false ;;
esac
