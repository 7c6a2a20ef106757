"""Coverage of the year-end model's timing effect on a process that is not the fitted model.

Runs ``tests/test_recovery_process.py``'s hazard process (monthly hazard, gamma frailty,
district capacity correlated with decision timing) over many seeds, fits the workbench's
year-end model each time and prints how often its 95 % interval covers the true effect, with
the mean bias (estimate minus truth, pp per month).

    .venv/bin/python benchmarks/recovery.py [--seeds 50]
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path
from types import ModuleType

import numpy as np

TESTS = Path(__file__).resolve().parents[1] / "tests"


def _process() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "recovery_process", TESTS / "test_recovery_process.py"
    )
    if spec is None or spec.loader is None:
        raise ImportError("tests/test_recovery_process.py not found")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=50, help="seeds 1..N (default 50)")
    args = parser.parse_args()
    process = _process()
    start = time.perf_counter()
    rows = []
    for seed in range(1, args.seeds + 1):
        ds, true_pp = process.hazard_process(seed)
        ame = process.fit_timing_effect(ds)
        covered = ame["ci_low"] <= true_pp <= ame["ci_high"]
        rows.append((true_pp, ame["estimate"], ame["ci_high"] - ame["ci_low"], covered))
        print(
            f"seed {seed:>3}: truth {true_pp:7.3f}  estimate {ame['estimate']:7.3f}  "
            f"[{ame['ci_low']:7.3f}, {ame['ci_high']:7.3f}]  {'covered' if covered else 'MISSED'}"
        )
    truth, est, width, cov = (np.array(c) for c in zip(*rows, strict=True))
    print(
        f"\n{len(rows)} seeds: coverage {cov.mean():.0%} ({int(cov.sum())}/{len(rows)}), "
        f"mean bias {np.mean(est - truth):+.3f} pp/month (mean truth {truth.mean():.3f}), "
        f"mean interval width {width.mean():.3f}, {time.perf_counter() - start:.0f} s"
    )


if __name__ == "__main__":
    main()
