"""How long the disbursement-lag models take to fit: on the demo, and on a 100x larger dataset.

Run: ``.venv/bin/python benchmarks/lag_fit.py [--scale 100] [--n-boot 200] [--units 11 22 44]
[--only-units]``. Prints figures, asserts nothing. Targets: the model fits of the 100x dataset
under 10 s; with many units (``--units``: the ten former districts copied 11, 22 and 44 times,
110 to 440 district-level units with the demo's lines per district) the fits at 440 units cost
no more than about 4 x those at 110; the table also times the year-end model's
district-cluster bootstrap (199 refits) and the counterfactual with it, which must grow as
the units do.

The large dataset replicates the demo's plan lines ``scale`` times (default seed): replicate
``r`` keeps the units, projects, capital types, amounts and snapshot values of the original
lines, gets distinct line ids (its sub-project code is suffixed ``.R<r>``, so every line key is
new and no two lines share snapshots) and decision dates jittered by a uniform ±20 days
(seeded). It stands for a province with 100 times more plan lines per district (e.g. lines
kept at commune level), so the number of fixed effects (projects, years, 11 districts) stays
that of the demo while the number of lines, snapshots and panel rows grows 100-fold. Snapshots
dated before a jittered decision are kept (the lag code clips times at 0). The dataset is
built with :class:`helpers.data.dataset.Dataset` directly (no intake validation: that is not what is
being timed).

Timed separately: data preparation (:func:`helpers.analysis.lag.prepare.prepare_lag_data`, line
table and the line x report-date panel), then each model of
:func:`helpers.analysis.lag.models.fit_province_models`
(profiles with ``n_boot`` bootstrap replicates, time to 50 % / 90 % with Kaplan-Meier and Cox,
the fractional logit with the district checks), then the district-cluster bootstrap of the
counterfactual gain, then one district summary from the fitted models (what each district
notebook pays once the bootstrap is done).
"""

from __future__ import annotations

import os

# The fits multiply many small matrices: multithreaded OpenBLAS only adds busy-waiting on a
# small shared machine (measured here: up to 4x slower and erratic on 2 busy cores). One BLAS
# thread unless the caller says otherwise; set OPENBLAS_NUM_THREADS to compare.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from collections.abc import Sequence  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from helpers.analysis.lag import (  # noqa: E402
    counterfactual,
    prepare,
    profiles,
    summary,
    survival,
    yearend,
)
from helpers.analysis.lag import models as lag_models  # noqa: E402
from helpers.core.scope import Scope  # noqa: E402
from helpers.data import demo, schema  # noqa: E402
from helpers.data.dataset import Dataset  # noqa: E402


def demo_dataset(seed: int = demo.DEFAULT_SEED) -> Dataset:
    """The demo as a Dataset, without the intake round trip."""
    t = demo.generate(seed).tables
    for n in ("allocations", "disbursements"):
        t[n]["line_id"] = schema.line_ids(t[n])
    return Dataset(**t, origin=f"demo seed {seed}", sha256="benchmark", demo=True)


def replicate(ds: Dataset, scale: int, seed: int = 0) -> Dataset:
    """``scale`` copies of every plan line with distinct line ids and jittered decisions."""
    rng = np.random.default_rng(seed)
    alloc, disb = ds.allocations, ds.disbursements
    reps = np.repeat(np.arange(scale), len(alloc))
    big = pd.concat([alloc] * scale, ignore_index=True)
    sub = big["subproject_code"].astype("string").fillna(big["project_code"].astype("string"))
    big["subproject_code"] = sub + ".R" + pd.Series(reps).astype(str).str.zfill(3)
    jitter = pd.to_timedelta(rng.integers(-20, 21, len(big)), unit="D")
    big["decision_date"] = big["decision_date"] + jitter
    big["line_id"] = schema.line_ids(big)
    base_ids = alloc["line_id"].astype(str).to_numpy()
    new_ids = big["line_id"].to_numpy().reshape(scale, len(alloc))
    key = pd.Series(np.arange(len(alloc)), index=base_ids)
    pos = key.loc[disb["line_id"].astype(str)].to_numpy()
    d = pd.concat([disb] * scale, ignore_index=True)
    rep_of_row = np.repeat(np.arange(scale), len(disb))
    d["line_id"] = new_ids[rep_of_row, np.tile(pos, scale)]
    d["subproject_code"] = (
        big["subproject_code"]
        .to_numpy()
        .reshape(scale, len(alloc))[rep_of_row, np.tile(pos, scale)]
    )
    return Dataset(
        units=ds.units,
        program_components=ds.program_components,
        allocations=big,
        disbursements=d,
        targets=ds.targets,
        sources=ds.sources,
        metadata=ds.metadata,
        origin=f"{ds.origin} x{scale}",
        sha256="benchmark",
        demo=True,
    )


def replicate_units(ds: Dataset, copies: int) -> Dataset:
    """``copies - 1`` copies of every former district as a new district-level unit
    (``<code>U<u>``, same parent and validity) with the district's own plan lines and
    snapshots: the units multiply, the lines per unit stay those of the demo's districts."""
    units = ds.units
    districts = units[units["level"] == "district"]
    codes = set(districts["unit_code"].astype(str))
    parts: dict[str, list[pd.DataFrame]] = {
        "units": [units],
        "allocations": [],
        "disbursements": [],
    }
    parts["allocations"].append(ds.allocations)
    parts["disbursements"].append(ds.disbursements)
    for u in range(1, copies):
        tag = f"U{u:03d}"
        c = districts.copy()
        for col in ("unit_code", "gso_code", "name_vi", "name_en"):
            c[col] = c[col].astype("string") + (
                tag if col in ("unit_code", "gso_code") else f" {tag}"
            )
        parts["units"].append(c)
        for name in ("allocations", "disbursements"):
            frame = getattr(ds, name)
            part = frame[frame["unit_code"].astype(str).isin(codes)].copy()
            part["unit_code"] = part["unit_code"].astype("string") + tag
            part["line_id"] = schema.line_ids(part)
            parts[name].append(part)
    tables = {k: pd.concat(v, ignore_index=True) for k, v in parts.items()}
    return Dataset(
        units=tables["units"],
        program_components=ds.program_components,
        allocations=tables["allocations"],
        disbursements=tables["disbursements"],
        targets=ds.targets,
        sources=ds.sources,
        metadata=ds.metadata,
        successions=ds.successions,
        origin=f"{ds.origin} units x{copies}",
        sha256="benchmark",
        demo=True,
    )


def bench_units(ds: Dataset, copies: Sequence[int]) -> None:
    """Time the Cox model (50 %), the year-end GLM (with its district checks), its
    district-cluster bootstrap and the counterfactual from it as the units multiply."""
    print("\nmany units (district copies; lines per unit constant):")
    print(
        f"  {'units':>6s} {'lines':>7s} | {'prepare s':>9s} | {'Cox 50% s':>9s} {'CPU':>6s} | "
        f"{'GLM s':>7s} {'CPU':>6s} | {'boot s':>7s} {'CPU':>6s} | {'cf s':>6s} {'CPU':>6s}"
    )
    for k in copies:
        big = replicate_units(ds, k)
        data, *t_prep = _timed(prepare.prepare_lag_data, big)
        n_units = int(data.lines["district_code"].nunique())
        _, *t_cox = _timed(survival.fit_time_to_share, data, 0.5)
        model, *t_glm = _timed(yearend.fit_year_end_share, data)
        _, *t_boot = _timed(model.cluster_bootstrap, yearend.CLUSTER_BOOT, 0)
        _, *t_cf = _timed(counterfactual.counterfactual_on_time, model, n_boot=yearend.CLUSTER_BOOT)
        print(
            f"  {n_units:6d} {len(data.lines):7,d} | {t_prep[0]:9.2f} | "
            f"{t_cox[0]:9.2f} {t_cox[1]:6.2f} | {t_glm[0]:7.2f} {t_glm[1]:6.2f} | "
            f"{t_boot[0]:7.2f} {t_boot[1]:6.2f} | {t_cf[0]:6.2f} {t_cf[1]:6.2f}",
            flush=True,
        )


def _timed(fn, *args, **kwargs):
    """(result, wall seconds, CPU seconds of this process)."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - wall, time.process_time() - cpu


def bench(ds: Dataset, label: str, n_boot: int) -> None:
    """Print preparation and fit times of every lag model on ``ds`` (wall and CPU)."""
    data, *t_prep = _timed(prepare.prepare_lag_data, ds)
    print(
        f"\n{label}: {len(data.lines):,} lines, {len(ds.disbursements):,} snapshots, "
        f"{len(data.panel):,} panel rows"
    )
    print(f"  {'step':44s} {'wall s':>7s} {'CPU s':>7s}")
    print(f"  {'prepare (line table + panel)':44s} {t_prep[0]:7.2f} {t_prep[1]:7.2f}")
    steps = [
        (
            f"profiles by quarter x type ({n_boot} boot)",
            profiles.fit_disbursement_profile,
            (data,),
            {"n_boot": n_boot},
        ),
        (
            "profiles by capital type",
            profiles.fit_disbursement_profile,
            (data, ("capital_type",)),
            {"n_boot": n_boot, "pooled": False},
        ),
        ("time to 50 %: Kaplan-Meier + Cox (Efron)", survival.fit_time_to_share, (data, 0.5), {}),
        ("time to 90 %: Kaplan-Meier + Cox (Efron)", survival.fit_time_to_share, (data, 0.9), {}),
        ("year-end fractional logit + district checks", yearend.fit_year_end_share, (data,), {}),
    ]
    total = [0.0, 0.0]
    for name, fn, args, kwargs in steps:
        _, wall, cpu = _timed(fn, *args, **kwargs)
        total = [total[0] + wall, total[1] + cpu]
        print(f"  {name:44s} {wall:7.2f} {cpu:7.2f}")
    print(f"  {'model fits total':44s} {total[0]:7.2f} {total[1]:7.2f}")
    models, wall, cpu = _timed(lag_models.fit_province_models, data, n_boot=n_boot)
    print(f"  {'fit_province_models (all of the above once)':44s} {wall:7.2f} {cpu:7.2f}")
    row = ds.districts.iloc[0]
    scope = Scope(
        code=str(row["unit_code"]),
        name_vi=str(row["name_vi"]),
        name_en=str(row["name_en"]),
        level="district",
    )
    _, wall, cpu = _timed(
        models.year_end.cluster_bootstrap, yearend.CLUSTER_BOOT, models.settings["seed"]
    )
    label = f"district-cluster bootstrap ({yearend.CLUSTER_BOOT} refits)"
    print(f"  {label:44s} {wall:7.2f} {cpu:7.2f}")
    _, wall, cpu = _timed(summary.summary_lag, ds, scope, "01-31", models=models)
    print(f"  {'one district summary from fitted models':44s} {wall:7.2f} {cpu:7.2f}")
    ame = models.year_end.ame()
    print(
        f"  timing effect {ame['estimate']:.3f} pp/month "
        f"[{ame['ci_low']:.3f}, {ame['ci_high']:.3f}]"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--n-boot", type=int, default=200)
    parser.add_argument(
        "--units", type=int, nargs="*", default=[11, 22, 44],
        help="district copies for the many-units case (11, 22, 44: 110, 220, 440 districts)",
    )  # fmt: skip
    parser.add_argument("--only-units", action="store_true", help="only the many-units case")
    args = parser.parse_args()
    print(
        f"python {platform.python_version()} on {platform.machine()} ({os.cpu_count()} CPUs, "
        f"load {os.getloadavg()[0]:.1f}), numpy {np.__version__}, pandas {pd.__version__}, "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}"
    )
    ds = demo_dataset()
    if args.units:
        bench_units(ds, args.units)
    if args.only_units:
        return
    bench(ds, "demo (default seed)", args.n_boot)
    big, t_build, _ = _timed(replicate, ds, args.scale)
    print(f"\n(built the x{args.scale} dataset in {t_build:.1f} s)")
    bench(big, f"demo x{args.scale} (replicated lines, jittered decisions)", args.n_boot)


if __name__ == "__main__":
    main()
