#!/usr/bin/env bash
# The GPU half of pytest-rnn, in one go, on a CUDA machine:
#
#     bash benchmarks/gpu_check.sh
#
# Prints the card, runs the tests marked rnn_cuda (single process, then two xdist workers when
# pytest-xdist is there), then benchmarks/gpu_bench.py. A few minutes at most. Needs python3 with
# torch and pytest; not libcst, and not an installed copy of this repository: the checkout is put
# on PYTHONPATH and the plugin named with -p when its entry point is not installed.
# Exit status: that of the tests (the benchmark only prints).
set -uo pipefail

cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

echo "== machine"
"$PYTHON" - <<'EOF'
import platform, torch
print(f"python {platform.python_version()}, torch {torch.__version__}, CUDA {torch.version.cuda}, "
      f"cuDNN {torch.backends.cudnn.version()}")
if not torch.cuda.is_available():
    raise SystemExit("CUDA is not available on this machine: nothing to check")
for index in range(torch.cuda.device_count()):
    props = torch.cuda.get_device_properties(index)
    print(f"cuda:{index}: {props.name}, {props.total_memory / 2**30:.0f} GiB, compute {props.major}.{props.minor}")
EOF
[ $? -eq 0 ] || exit 1
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version --format=csv,noheader

PLUGIN=()
if [ -n "${PYTEST_DISABLE_PLUGIN_AUTOLOAD:-}" ] || ! "$PYTHON" -c "import importlib.metadata as m, sys; sys.exit(not any(e.value == 'pytest_rnn.plugin' for e in m.entry_points(group='pytest11')))"; then
    PLUGIN=(-p pytest_rnn.plugin)
fi
# --confcutdir keeps conftest files above tests/plugin out (the linter's may import libcst).
PYTEST=("$PYTHON" -m pytest tests/plugin -m rnn_cuda -p no:cacheprovider --confcutdir tests/plugin -rs ${PLUGIN[@]+"${PLUGIN[@]}"})

echo
echo "== rnn_cuda tests"
timeout 300 "${PYTEST[@]}" -v
status=$?

if "$PYTHON" -c "import xdist" 2>/dev/null; then
    echo
    echo "== rnn_cuda tests on two xdist workers (each on its own GPU when there are two)"
    XDIST=()
    [ -z "${PYTEST_DISABLE_PLUGIN_AUTOLOAD:-}" ] || XDIST=(-p xdist.plugin)
    timeout 300 "${PYTEST[@]}" ${XDIST[@]+"${XDIST[@]}"} -q -n 2
    xdist_status=$?
    [ $status -ne 0 ] || status=$xdist_status
else
    echo
    echo "== pytest-xdist not installed: the two-worker run is left out"
fi

echo
echo "== benchmark"
timeout 300 "$PYTHON" benchmarks/gpu_bench.py

exit $status
