"""Run every benchmark once in its quick form (`make bench`); each prints its own figures and ratios."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
RUNS = [
    ["bench_train.py", "--quick"],
    ["bench_monitor.py", "--quick"],
    ["bench_vectorized.py", "--quick"],
    ["bench_tour.py"],
    ["bench_startup.py", "--quick"],
    ["bench_edges.py", "--quick"],
    ["bench_ray.py", "--quick"],
    ["bench_serve.py", "--quick"],
]

if __name__ == "__main__":
    failed = 0
    for script, *args in RUNS:
        print(f"\n== {script} {' '.join(args)}", flush=True)
        failed += subprocess.run([sys.executable, str(HERE / script), *args], check=False).returncode != 0
    print("\n== actlab bench relu sigmoid tanh gelu --size 1000000", flush=True)
    failed += (
        subprocess.run(
            [sys.executable, "-m", "actlab", "bench", "relu", "sigmoid", "tanh", "gelu", "--size", "1000000"],
            check=False,
        ).returncode
        != 0
    )
    sys.exit(1 if failed else 0)
