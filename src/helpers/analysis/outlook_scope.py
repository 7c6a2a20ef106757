"""The outlook of one scope: its 2026–2030 plan (the plan table or the stated assumption), the
money simulated by :mod:`helpers.analysis.outlook`, and its indicators' paths to 2030.

**The assumption** (when the dataset has no ``plan_2026_2030`` rows for the scope, or the
notebook asks for it): the province's 2021–2025 share of the program's central capital
(its central lines over the national phase I central envelope, ``national_envelopes``
``central_2021_2025``) times the national 2026–2030 central envelope of each capital type
(``central_2026_2030_investment`` / ``_recurrent``), spread evenly over the five years; a unit
gets its own share of the province's 2021–2025 central capital of that; local counterpart is
added at the scope's 2021–2025 ratio of local to central capital. Every number of the formula
is written into ``outlook.json`` with the source ids of the envelopes.

**Indicators** (:func:`indicator_outlook`): from the targets table, per indicator of the
scope's unit: latest value, the 2021–2025 pace (least-squares slope per year over the 2020
baseline and the yearly values), the pace needed to reach the 2030 target from the latest
value, the value in 2030 at the current pace with a 95 % interval (the slope's standard error
times the years ahead, and the points' residual spread, t quantile), and on-track / off-track /
no data. The 2030 target is the row's ``target_2030_value`` (user-supplied, or published when
it names a ``target_2030_source_id``), else a published goal of ``goals_2030`` for the same
indicator code, else none ("no data").
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from helpers.analysis.lag.models import ProvinceModels
from helpers.analysis.outlook import (
    DEFAULT_SCENARIOS,
    N_SIMS,
    outlook_base,
    parse_scenarios,
    project,
    scope_pool,
)
from helpers.core.errors import ParameterError
from helpers.core.scope import Scope
from helpers.data import reference
from helpers.data.dataset import Dataset
from helpers.data.hierarchy import scope_unit_codes
from helpers.data.schema import BASELINE_YEAR, CAPITAL_TYPES, OUTLOOK_YEARS

PLAN_MODES = ("auto", "assumption", "table")
"""``plan``: the dataset's plan table when it has rows for the scope, else the assumption
("auto"); always the assumption; the plan table only (an error without rows)."""
PHASE_YEARS = range(2021, 2026)
HORIZON = OUTLOOK_YEARS[-1]


def check_plan_mode(plan: str) -> str:
    if str(plan) not in PLAN_MODES:
        raise ParameterError(f"plan: expected one of {', '.join(PLAN_MODES)}; got {plan!r}")
    return str(plan)


def _envelope(envelope_id: str) -> tuple[float, str]:
    env = reference.load("national_envelopes").set_index("envelope_id")
    return float(env.at[envelope_id, "amount_mvnd"]), str(env.at[envelope_id, "source_id"])


def _phase_sums(alloc: pd.DataFrame, units: set[str] | None) -> dict[str, float]:
    a = alloc[alloc["plan_year"].isin(PHASE_YEARS)]
    if units is not None:
        a = a[a["unit_code"].astype(str).isin(units)]
    by = a.groupby("source")["amount_mvnd"].sum()
    return {s: float(by.get(s, 0.0)) for s in ("central", "local")}


def assumed_plan(dataset: Dataset, units: set[str] | None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The plan of the assumption (see the module docstring) and its formula's numbers."""
    national, national_src = _envelope("central_2021_2025")
    province = _phase_sums(dataset.allocations, None)
    scope = province if units is None else _phase_sums(dataset.allocations, units)
    share = province["central"] / national if national else 0.0
    unit_share = scope["central"] / province["central"] if province["central"] else 0.0
    local_ratio = scope["local"] / scope["central"] if scope["central"] else 0.0
    rows, envelopes, sources = [], {}, {national_src}
    for ctype in CAPITAL_TYPES:
        env, src = _envelope(f"central_2026_2030_{ctype}")
        envelopes[ctype] = env
        sources.add(src)
        central = share * unit_share * env / len(OUTLOOK_YEARS)
        for year in OUTLOOK_YEARS:
            rows.append((year, ctype, "central", central))
            rows.append((year, ctype, "local", central * local_ratio))
    plan = pd.DataFrame(rows, columns=["plan_year", "capital_type", "source", "amount_mvnd"])
    formula = {
        "national_central_2021_2025_mvnd": national,
        "province_central_2021_2025_mvnd": province["central"],
        "province_share": share,
        "scope_central_2021_2025_mvnd": scope["central"],
        "scope_share_of_province": unit_share,
        "national_central_2026_2030_mvnd": envelopes,
        "local_ratio": local_ratio,
        "per_year_mvnd": float(plan["amount_mvnd"].sum()) / len(OUTLOOK_YEARS),
        "source_ids": sorted(sources),
    }
    return plan, formula


def scope_plan(
    dataset: Dataset, units: set[str] | None, mode: str = "auto"
) -> tuple[pd.DataFrame, str, dict[str, Any] | None]:
    """The scope's plan rows, the basis ("table" or "assumption") and the assumption's formula.

    Raises:
        ParameterError: ``mode`` "table" and the plan table has no row for the scope.
    """
    table = dataset.plan_2026_2030
    if units is not None:
        table = table[table["unit_code"].astype(str).isin(units)]
    if mode != "assumption" and len(table):
        cols = ["plan_year", "capital_type", "source", "amount_mvnd"]
        return table[cols].reset_index(drop=True), "table", None
    if mode == "table":
        raise ParameterError(
            "plan: 'table' asks for the plan_2026_2030 table, but the data have no row for "
            "this scope; add its rows or pass plan='auto' (the stated assumption)"
        )
    plan, formula = assumed_plan(dataset, units)
    return plan, "assumption", formula


# --------------------------------------------------------------------------- indicators
def _target_2030(rows: pd.DataFrame, goals: pd.DataFrame) -> tuple[float | None, str, str | None]:
    """The 2030 target, its basis ("user", "published" or "none") and its source id."""
    given = rows.get("target_2030_value", pd.Series(dtype=float)).dropna()
    if len(given):
        src = rows.get("target_2030_source_id", pd.Series(dtype="string")).dropna()
        sid = str(src.iloc[-1]) if len(src) else None
        return float(given.iloc[-1]), "published" if sid else "user", sid
    code = str(rows["indicator_code"].iloc[0])
    hit = goals[goals["indicator_code"].astype(str) == code]
    if hit.empty:
        return None, "none", None
    goal = hit.iloc[0]
    if goal["target_kind"] == "level":
        return float(goal["value"]), "published", str(goal["source_id"])
    base = rows["baseline_value"].dropna()
    if base.empty:
        return None, "none", None
    value = float(base.iloc[-1]) * (1 + float(goal["value"]) / 100)
    return value, "published", str(goal["source_id"])


def _meets(direction: str, value: float, target: float) -> bool:
    return value >= target - 1e-9 if direction == "higher_better" else value <= target + 1e-9


def pace(years: np.ndarray, values: np.ndarray) -> dict[str, float | None]:
    """Least-squares slope per year, its standard error and the residual standard deviation
    (None where the points are too few: two points give a slope without an error)."""
    n = len(years)
    if n < 2 or np.ptp(years) == 0:
        return {"slope": None, "se": None, "sd": None, "df": None}
    x = years - years.mean()
    slope = float((x * (values - values.mean())).sum() / (x**2).sum())
    if n < 3:
        return {"slope": slope, "se": None, "sd": None, "df": None}
    resid = values - values.mean() - slope * x
    sd = float(np.sqrt((resid**2).sum() / (n - 2)))
    return {"slope": slope, "se": sd / float(np.sqrt((x**2).sum())), "sd": sd, "df": n - 2}


def indicator_row(rows: pd.DataFrame, goals: pd.DataFrame) -> dict[str, Any]:
    """The outlook of one indicator of one unit (rows of the targets table)."""
    rows = rows.sort_values("year")
    first = rows.iloc[0]
    target, basis, source_id = _target_2030(rows, goals)
    obs = rows.loc[rows["actual_value"].notna() & (rows["year"] <= PHASE_YEARS[-1])]
    years = obs["year"].to_numpy(dtype=float)
    values = obs["actual_value"].to_numpy(dtype=float)
    base = rows["baseline_value"].dropna()
    if len(base) and BASELINE_YEAR not in set(obs["year"]):
        years = np.append(float(BASELINE_YEAR), years)
        values = np.append(float(base.iloc[-1]), values)
    out: dict[str, Any] = {
        "indicator_code": str(first["indicator_code"]),
        "name_vi": str(first["name_vi"]),
        "name_en": str(first["name_en"]),
        "unit": str(first["unit"]),
        "direction": str(first["direction"]),
        "baseline_value": float(base.iloc[-1]) if len(base) else None,
        "latest_value": float(obs["actual_value"].iloc[-1]) if len(obs) else None,
        "latest_year": int(obs["year"].iloc[-1]) if len(obs) else None,
        "target_2030": target,
        "target_2030_basis": basis,
        "target_2030_source_id": source_id,
        "pace_per_year": None,
        "pace_needed_per_year": None,
        "value_2030": None,
        "status": "no_data",
    }
    p = pace(years, values)
    if out["latest_value"] is None or p["slope"] is None:
        return out
    ahead = HORIZON - out["latest_year"]
    value = out["latest_value"] + p["slope"] * ahead
    low = high = None
    if p["se"] is not None and p["sd"] is not None and p["df"]:
        se = float(np.hypot(p["se"] * ahead, p["sd"]))
        tq = float(stats.t.ppf(0.975, p["df"]))
        low, high = value - tq * se, value + tq * se
    lo_cap, hi_cap = 0.0, (100.0 if out["unit"] == "%" else np.inf)
    clip = lambda v: None if v is None else float(min(max(v, lo_cap), hi_cap))  # noqa: E731
    out["pace_per_year"] = p["slope"]
    out["value_2030"] = {"mean": clip(value), "low": clip(low), "high": clip(high)}
    if target is not None:
        out["pace_needed_per_year"] = (target - out["latest_value"]) / ahead if ahead else 0.0
        met = _meets(out["direction"], float(clip(value)), target)  # type: ignore[arg-type]
        out["status"] = "on_track" if met else "off_track"
    return out


def indicator_outlook(targets: pd.DataFrame, unit_code: str) -> list[dict[str, Any]]:
    """:func:`indicator_row` for every indicator of ``unit_code`` in the targets table."""
    own = targets[targets["unit_code"].astype(str) == str(unit_code)]
    goals = reference.load("goals_2030")
    return [indicator_row(g, goals) for _, g in own.groupby("indicator_code", sort=True)]


# --------------------------------------------------------------------------- the scope
def ceased(dataset: Dataset, scope: Scope) -> bool:
    """The unit no longer exists in 2026 (a former district or commune)."""
    if scope.is_province:
        return False
    row = dataset.units[dataset.units["unit_code"].astype(str) == scope.code]
    end = row["valid_to"].dropna() if "valid_to" in row else pd.Series(dtype="datetime64[ns]")
    return bool(len(end)) and pd.Timestamp(end.iloc[0]) < pd.Timestamp(OUTLOOK_YEARS[0], 1, 1)


def outlook_scope(
    dataset: Dataset,
    models: ProvinceModels,
    scope: Scope,
    *,
    plan: str = "auto",
    scenarios: str = DEFAULT_SCENARIOS,
    n_sims: int = N_SIMS,
    seed: int = 0,
) -> dict[str, Any]:
    """The outlook of ``scope`` as a dict ready for :class:`helpers.core.contracts.Outlook`
    (without the figures and parameters the step adds)."""
    mode = check_plan_mode(plan)
    ids = parse_scenarios(scenarios)
    province = dataset.province_code
    out: dict[str, Any] = {
        "scope": "province" if scope.is_province else scope.code,
        "unit_code": province if scope.is_province else scope.code,
        "scope_name_vi": scope.name_vi,
        "scope_name_en": scope.name_en,
        "level": scope.level,
        "demo": bool(dataset.demo),
        "data_sha256": dataset.sha256,
        "years": list(OUTLOOK_YEARS),
        "n_sims": n_sims,
        "seed": seed,
    }
    if ceased(dataset, scope):
        return out | {
            "evidence": "ceased",
            "n_lines_history": 0,
            "min_lines": 0,
            "plan_basis": "none",
            "flags": {"plan_assumed": False, "ceased": True},
            "scenarios": [],
            "cells": [],
            "totals": [],
            "cumulative": [],
            "indicators": [],
        }
    units = (
        None
        if scope.is_province
        else scope_unit_codes(dataset.units, scope.code, dataset.successions)
    )
    plan_rows, basis, formula = scope_plan(dataset, units, mode)
    base = outlook_base(models)
    money = project(base, scope_pool(base, units), plan_rows, ids, n_sims=n_sims, seed=seed)
    indicators = indicator_outlook(dataset.targets, out["unit_code"])
    return (
        out
        | money
        | {
            "plan_basis": basis,
            "assumption": formula,
            "plan_by_year": [
                {"plan_year": int(y), "capital_type": str(c), "amount_mvnd": float(v)}
                for (y, c), v in plan_rows.groupby(["plan_year", "capital_type"])["amount_mvnd"]
                .sum()
                .items()
            ],
            "flags": {
                "plan_assumed": basis == "assumption",
                "ceased": False,
                "targets_published": any(i["target_2030_basis"] == "published" for i in indicators),
                "targets_user": any(i["target_2030_basis"] == "user" for i in indicators),
            },
            "indicators": indicators,
        }
    )
