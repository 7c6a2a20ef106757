"""What the 2026–2030 outlook costs per scope: in process, and inside a batch run.

Run: ``.venv/bin/python benchmarks/outlook.py [--data demo] [--manifest outputs/manifest.json]``.
Prints figures, asserts nothing. Target: well under 1 s per commune-level scope.

1. **In process**: the province lag models are loaded once (from the lag step's cache, fitted
   if missing, not timed), then :func:`helpers.analysis.outlook_scope.outlook_scope` is timed
   for the province, each former district and each unit created on 1 July 2025 (the first
   call pays the shared simulation base, :func:`helpers.analysis.outlook.outlook_base`, which
   a batch worker keeps from one scope to the next).
2. **In a batch** (``--manifest``): the ``outlook`` step's seconds per kind of scope as the
   runner recorded them (the notebook in a warm kernel: parameters, data, models from the
   worker's memory, the simulation, the charts, the JSON), from the manifest of a finished
   ``mtqg run``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from helpers.analysis.lag.models import load_or_fit_province_models  # noqa: E402
from helpers.analysis.outlook_scope import outlook_scope  # noqa: E402
from helpers.core import paths  # noqa: E402
from helpers.data.datasets import open_dataset, resolve_scope  # noqa: E402


def _summary(label: str, seconds: list[float]) -> None:
    if not seconds:
        return
    print(
        f"{label:<34} n={len(seconds):>3}  mean {statistics.mean(seconds):.3f} s  "
        f"max {max(seconds):.3f} s  total {sum(seconds):.2f} s"
    )


def in_process(data: str) -> None:
    ds = open_dataset(data)
    models = load_or_fit_province_models(ds, paths.PROCESSED_DIR / "lag")
    units = ds.units
    districts = sorted(units.loc[units["level"] == "district", "unit_code"].astype(str))
    new = units[(units["level"] == "commune") & units["valid_from"].notna()]
    communes = sorted(new["unit_code"].astype(str))
    groups = {
        "province (first call: + shared base)": ["province"],
        "province (again)": ["province"],
    }
    groups |= {"former district": districts, "unit created on 1 July 2025": communes}
    print(f"in process, {ds.origin}: {len(districts)} districts, {len(communes)} new units")
    for label, codes in groups.items():
        seconds = []
        for code in codes:
            scope = resolve_scope(ds, code)
            start = time.perf_counter()
            outlook_scope(ds, models, scope)
            seconds.append(time.perf_counter() - start)
        _summary(label, seconds)


def in_batch(manifest_path: Path) -> None:
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    kinds: dict[str, list[float]] = {}
    for slug, scope in manifest.get("scopes", {}).items():
        step = scope.get("steps", {}).get("outlook")
        if not step or not step.get("last_run") or step["last_run"].get("status") != "ran":
            continue
        level = scope.get("level") or ("province" if slug == "province" else "")
        kind = "province" if slug == "province" else (
            "unit created on 1 July 2025" if slug.startswith("N") else f"{level or 'unit'}"
        )  # fmt: skip
        kinds.setdefault(kind, []).append(float(step["last_run"]["seconds"]))
    print(f"batch, {manifest_path}: the outlook step as recorded")
    for kind, seconds in sorted(kinds.items()):
        _summary(kind, seconds)
    total = sum(sum(v) for v in kinds.values())
    print(f"outlook steps' own work: {total:.1f} s (about {total / 2:.1f} s on 2 workers)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="demo")
    parser.add_argument("--manifest", type=Path, default=None)
    args = parser.parse_args()
    print("load average:", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    in_process(args.data)
    if args.manifest is not None:
        in_batch(args.manifest)


if __name__ == "__main__":
    main()
