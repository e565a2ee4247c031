"""How long `actlab tour` takes, cold (measuring everything) and warm (from the results store), in one run.

Prints wall time per section and the warm/cold ratio; the target is a cold quick tour under 90 s on 2 cores.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from actlab.experiments.store import ResultStore
from actlab.tour.config import TourConfig
from actlab.tour.runner import run_tour


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--full", action="store_true", help="time the --full tour instead of the quick one")
    args = parser.parse_args()
    config = TourConfig.full() if args.full else TourConfig.quick()
    with tempfile.TemporaryDirectory() as tmp, ResultStore(Path(tmp) / "bench.db") as store:
        start = time.perf_counter()
        cold = run_tour(config, cache=store)
        cold_s = time.perf_counter() - start
        start = time.perf_counter()
        warm = run_tour(config, cache=store)
        warm_s = time.perf_counter() - start
    print(f"actlab tour ({config.mode}, {config.seeds} seeds)")
    for section in cold.sections[:-1]:
        print(f"  {section.key}  {section.seconds:6.1f} s")
    print(f"cold (measuring)      {cold_s:6.1f} s   target < 90 s on 2 cores")
    print(f"warm (results store)  {warm_s:6.2f} s   {warm_s / cold_s:.3f} of cold; all cached: {warm.cached}")


if __name__ == "__main__":
    main()
