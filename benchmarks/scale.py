"""Intake at scale: read + validate beside pandas' pyarrow reader of the same files.

Run: ``.venv/bin/python benchmarks/scale.py [--sizes 10x 100x 300x units100] [--out DIR]``
(``--sizes`` names presets of :mod:`scale_data`: ``demo``, ``10x``, ``100x``, ``300x``,
``units40``, ``units100``, ``national``). Prints figures, asserts nothing.

Each dataset is built once from the demo generator (:mod:`scale_data`, seeded; kept under
``--out``, default ``data/processed/scale``), in a process of its own. Each measurement runs in
a fresh process (so peak memory is that measurement's own): the process imports what it
needs, notes its resident set (``VmRSS``), runs, and reports wall and CPU seconds and its peak
resident set (``VmHWM``) above that baseline.

* ``pyarrow read``: ``pandas.read_csv(engine="pyarrow")`` of every table file of the folder
  (types guessed by pyarrow: the floor of reading the bytes);
* ``intake``: :func:`helpers.data.intake.load_dataset` of the folder (read, parse every cell,
  resolve codes, every check, the typed tables);
* ``typed MB``: ``memory_usage(deep=True)`` of the validated tables (what a notebook holds);
* with ``--models``: ``assessment`` (the province's
  :class:`helpers.analysis.assessment.AssessmentTables`: every table, then the ``metrics.json``
  summary, which reuses them: the two times apart), ``lag fit``
  (:func:`helpers.analysis.lag.models.fit_province_models`: every province lag model) and
  ``batch`` (``mtqg run --scope province --lang vi --force`` into a temporary folder: the
  assessment, lag, outlook and brief notebooks and the formats, as a user runs them), each
  after its own intake; their peak is the process's whole resident set (``batch``: the
  largest of its processes).

Targets (issue 15): intake ≤ 5 × the pyarrow read at 100× and 300×; 300× intake ≤ 3.5 × the
100× intake; intake peak memory ≤ 3 × the typed tables; the national preset's intake,
assessment and lag fit under 8 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import scale_data  # noqa: E402

CHILD = r"""
import json, sys, time
kind, folder = sys.argv[1], sys.argv[2]
import pandas as pd
if kind != "pyarrow":
    from helpers.data.intake import load_dataset

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024

base = status("VmRSS")
wall, cpu = time.perf_counter(), time.process_time()
out = {}
if kind == "pyarrow":
    from pathlib import Path
    frames = [pd.read_csv(f, engine="pyarrow") for f in sorted(Path(folder).glob("*.csv"))]
    out["rows"] = sum(len(f) for f in frames)
elif kind == "intake":
    ds = load_dataset(folder)
    out["rows"] = sum(len(t) for t in ds.tables().values())
elif kind == "batch":
    import resource, subprocess, tempfile
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "helpers", "run", "--data", folder, "--scope", "province",
             "--lang", "vi", "--force", "--out", tmp],
            check=True, capture_output=True,
        )
    base = 0.0
    out["peak_children_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
else:
    from helpers.data.datasets import resolve_scope
    ds = load_dataset(folder)
    base = 0.0
    wall, cpu = time.perf_counter(), time.process_time()
    if kind == "assessment":
        from helpers.analysis.assessment import AssessmentTables
        tables = AssessmentTables.build(ds, resolve_scope(ds, "province"))
        for name in ("lines", "by_year_type", "by_source", "by_subproject", "carry_total",
                     "concentration", "pi1", "pi2", "scorecard", "ranking", "committee",
                     "published", "geography"):
            getattr(tables, name)
        out["tables"] = time.perf_counter() - wall
        t0 = time.perf_counter()
        tables.summary()
        out["summary"] = time.perf_counter() - t0
    else:
        from helpers.analysis.lag.models import fit_province_models
        fit_province_models(ds)
out["wall"] = time.perf_counter() - wall
out["cpu"] = time.process_time() - cpu
out["peak_mb"] = max(status("VmHWM") - base, out.get("peak_children_mb", 0.0))
if kind == "intake":
    out["typed_mb"] = sum(
        t.memory_usage(deep=True).sum() for t in ds.tables().values()
    ) / 2**20
print(json.dumps(out))
"""


def measure(kind: str, folder: Path) -> dict[str, float]:
    """Run one measurement in a fresh Python process; its figures as a dict."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    done = subprocess.run(
        [sys.executable, "-c", CHILD, kind, str(folder)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{kind} on {folder} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _build(out: Path, lines: int, units: int) -> Path:
    """Build (or find) a dataset in a process of its own (the parent stays small)."""
    done = subprocess.run(
        [sys.executable, str(HERE / "scale_data.py"), str(out), str(lines), str(units)],
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(done.stdout.strip().splitlines()[-1])


def models_table(args: argparse.Namespace) -> None:
    """The province's assessment, lag fit and batch run per size (a fresh process each)."""
    head = (
        f"{'data':9s} | {'assessment s':>12s} {'tables':>7s} {'summary':>7s} {'peak MB':>8s} | "
        f"{'lag fit s':>9s} {'cpu':>6s} {'peak MB':>8s} | {'batch s':>8s} {'peak MB':>8s}"
    )
    print()
    print(head)
    print("-" * len(head))
    for size in args.model_sizes or args.sizes:
        folder = _build(args.out, *scale_data.PRESETS[size])
        a = measure("assessment", folder)
        lag = measure("lag", folder)
        b = measure("batch", folder)
        print(
            f"{size:9s} | {a['wall']:12.1f} {a['tables']:7.1f} {a['summary']:7.1f} "
            f"{a['peak_mb']:8.0f} | {lag['wall']:9.1f} {lag['cpu']:6.1f} {lag['peak_mb']:8.0f} | "
            f"{b['wall']:8.1f} {b['peak_mb']:8.0f}",  # batch: its largest process
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", nargs="+", default=["demo", "10x", "100x", "300x", "units100"],
        choices=sorted(scale_data.PRESETS),
    )  # fmt: skip
    parser.add_argument("--out", type=Path, default=HERE.parent / "data" / "processed" / "scale")
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement (best kept)")
    parser.add_argument(
        "--models", action="store_true",
        help="also time the province assessment, the lag fit and a province batch run",
    )  # fmt: skip
    parser.add_argument(
        "--model-sizes", nargs="+", choices=sorted(scale_data.PRESETS),
        help="the sizes --models times (default: --sizes)",
    )  # fmt: skip
    args = parser.parse_args()
    import pandas as pd

    print(
        f"python {platform.python_version()} on {platform.machine()} ({os.cpu_count()} CPUs), "
        f"pandas {pd.__version__}; load average before: "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
    )
    head = (
        f"{'data':9s} {'units':>6s} {'lines':>8s} {'snapshots':>10s} | "
        f"{'pyarrow s':>9s} {'cpu':>6s} {'MB':>6s} | {'intake s':>8s} {'cpu':>6s} {'peak MB':>8s}"
        f" {'typed MB':>8s} | {'×read':>6s} {'peak/typed':>10s}"
    )
    print(head)
    print("-" * len(head))
    intake: dict[str, float] = {}
    for size in args.sizes:
        lines, units = scale_data.PRESETS[size]
        t0 = time.perf_counter()
        folder = _build(args.out, lines, units)
        built = time.perf_counter() - t0
        n = scale_data.counts(folder)
        best: dict[str, dict[str, float]] = {}
        for kind in ("pyarrow", "intake"):
            runs = [measure(kind, folder) for _ in range(args.repeat)]
            best[kind] = min(runs, key=lambda r: r["wall"])
        r, i = best["pyarrow"], best["intake"]
        intake[size] = i["wall"]
        print(
            f"{size:9s} {n['units']:6d} {n['lines']:8,d} {n['snapshots']:10,d} | "
            f"{r['wall']:9.2f} {r['cpu']:6.2f} {r['peak_mb']:6.0f} | "
            f"{i['wall']:8.2f} {i['cpu']:6.2f} {i['peak_mb']:8.0f} {i['typed_mb']:8.0f} | "
            f"{i['wall'] / r['wall']:6.1f} {i['peak_mb'] / i['typed_mb']:10.2f}"
            + (f"   (built in {built:.0f} s)" if built > 5 else ""),
            flush=True,
        )
    if args.models:
        models_table(args)
    if "100x" in intake and "300x" in intake:
        print(f"intake 300x / 100x: {intake['300x'] / intake['100x']:.2f} (target ≤ 3.5)")
    print("load average after: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
