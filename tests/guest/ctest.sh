#!/bin/bash
# Configures and builds the C++ tree with CMake, then runs ctest.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$top/build/cmake
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" --output-on-failure
