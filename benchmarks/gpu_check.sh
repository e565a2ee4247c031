#!/usr/bin/env bash
# The GPU checks of issue 14, in one run for a lent GPU machine (torch installed, actlab not: PYTHONPATH=src,
# no network). Budget: the whole script under 8 minutes (its steps' limits add up to 455 s); a step that
# fails or runs out of time is logged and the next one still runs.
#
#   benchmarks/gpu_check.sh                 # on the GPU machine, from the repository root
#   benchmarks/gpu_check.sh --cpu-dry-run   # here: the same steps on the CPU with tiny sizes (checks the script)
#
# Steps: (1) the device tests; (2) bench_vectorized.py --device cuda: model-steps/s at N = 128, 1,024, 8,192
# (width 32) with ratios to the one-by-one CPU loop timed in the same run; (3) the step alone at N = 8,192,
# eager against CUDA graphs; (4) the same, eager against torch.compile (compiling may be slow: its own limit);
# (5) the timed end-to-end `actlab compare` of 8 activations x 1,000 seeds with --device cuda (a fresh
# process and database). Everything goes to "$OUT"/gpu_check.log (OUT defaults to ./gpu-out).
set -u
cd "$(dirname "$0")/.."
OUT="${OUT:-./gpu-out}"
mkdir -p "$OUT"
LOG="$OUT/gpu_check.log"
PY="${PYTHON:-python}"
export PYTHONPATH="src${PYTHONPATH:+:$PYTHONPATH}"

DRY=0
case "${1:-}" in
  "") ;;
  --cpu-dry-run) DRY=1 ;;
  -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "gpu_check.sh: unknown argument '$1' (use --cpu-dry-run, or --help)" >&2; exit 2 ;;
esac
DEVICE=cuda
BENCH=(--device cuda)
SEEDS=1000
STEPS=()
if [ "$DRY" = 1 ]; then
  DEVICE=cpu
  BENCH=(--dry-run)
  SEEDS=4
  STEPS=(--steps 20)
fi
ACTS=relu,leaky_relu,elu,gelu,silu,tanh,sigmoid,identity

step() {  # step NAME LIMIT_SECONDS COMMAND...: run it with a time limit, log its exit code and seconds
  local name=$1 limit=$2
  shift 2
  echo "=== $name (limit ${limit} s): $*"
  local start=$SECONDS
  timeout "$limit" "$@"
  local code=$?
  echo "=== $name: exit code $code after $((SECONDS - start)) s$([ "$code" = 124 ] && echo ' (time limit)')"
}

{
  echo "=== gpu_check $(date -u +%Y-%m-%dT%H:%M:%SZ) dry_run=$DRY device=$DEVICE"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null || echo "(no nvidia-smi)"
  "$PY" -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'available', torch.cuda.is_available())"
  step tests 120 "$PY" -m pytest -q -p no:cacheprovider tests/fast/test_device_gpu.py tests/training/test_device.py \
    tests/fast/test_stacked_evaluation.py
  step bench 150 "$PY" benchmarks/bench_vectorized.py "${BENCH[@]}" --compare-seeds 0 --variants eager,graphs
  step compile 75 "$PY" benchmarks/bench_vectorized.py "${BENCH[@]}" --compare-seeds 0 --sizes 8192 \
    --variants eager,compile
  DB="$(mktemp -d)/r.db"
  step compare 110 bash -c "time \"$PY\" -m actlab compare --activations $ACTS --seeds $SEEDS ${STEPS[*]} \
    --device $DEVICE --db \"$DB\" --quiet --json > \"$OUT/compare.json\""
  echo "=== compare result: $(head -c 300 "$OUT/compare.json" 2>/dev/null)"
  echo "=== gpu_check done after $SECONDS s"
} 2>&1 | tee "$LOG"
