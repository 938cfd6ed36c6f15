#!/usr/bin/env bash
# Runs the kernel benchmark on the GPU machine (no Java there) from the bundle that
# `./relstream bench gpu-bundle` packed into .gpu/ (carry it). From the repository root:
#   bash bench/gpu.sh            -> the JSON lines of `./relstream bench kernels --quick --json`
# Extra arguments go to KernelBench (e.g. --items 1000000,10000000). Bounded to under five minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .gpu/java ] || { echo "gpu.sh: .gpu/java missing: run ./relstream bench gpu-bundle first and carry .gpu" >&2; exit 2; }
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader >&2 || true
exec timeout 290 .gpu/java -Xmx24g --add-modules jdk.incubator.vector -Djava.awt.headless=true io.relstream.bench.KernelBench --quick --json "$@"
