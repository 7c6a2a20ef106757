"""The 2026–2030 outlook: what the next period's money can disburse, and what the targets need.

For each year 2026–2030, allocation-calendar scenario and capital type, the capital planned
(:mod:`helpers.analysis.outlook_plan`: the plan table, else the stated assumption) is
simulated line by line from the province lag models (fitted once and cached by
:mod:`helpers.analysis.lag.models`; nothing is refitted here):

* **lines**: a year's capital is split into as many lines as its amount holds lines of the
  scope's 2023–2025 size; each simulated line is one of the scope's fitted 2023–2025 lines
  drawn at random (its project, district, plan-year effect, decision month and amount share);
* **timing**: the scenario sets the months available before the 31 January deadline: "as in
  2023–2025" keeps each drawn line's own decision month; a date scenario ("01-31") and the
  feasible calendar (each capital type's 2023–2025 cells decided by the month their fastest
  quarter of lines was: :func:`helpers.analysis.lag.counterfactual.feasible_dates`) move a
  later decision to that month. A scenario month earlier than any decision the province
  made in 2021–2025 for that capital type is **not estimable** (never extrapolated);
* **share by the deadline**: the year-end fractional logit with the parameters of one
  district-cluster bootstrap replicate (parameter variation, the replicates cached with the
  models), plus the drawn line's own residual (line-level variation), clipped to [0, 1];
* **31 December**: the share by the deadline times the ratio of the capital type's fitted
  S-curve f (:mod:`helpers.analysis.lag.profiles`, share by months since the decision) one
  month earlier to its value at the deadline, f(m − 1 month) / f(m);
* **the extension year** (to 31 December of the next year, the legal extension): of what is
  left at the deadline, the share the S-curve disburses of what it has left in those eleven
  months, (f(m + 11) − f(m)) / (1 − f(m)).

Carried over = planned − disbursed by the deadline; at risk of lapse = planned − disbursed by
the end of the extension year. Intervals are the 2.5 and 97.5 percentiles over the draws;
every scenario of a year and capital type uses the same draws (common random numbers), so
their differences are paired. A scope with fewer than :data:`helpers.core.thresholds.MIN_LINES`
fitted lines, or none, is not projected: the result says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

from helpers.analysis.lag.counterfactual import feasible_dates, parse_counterfactual_date
from helpers.analysis.lag.models import ProvinceModels
from helpers.analysis.lag.profiles import _CURVES
from helpers.analysis.lag.yearend import CLUSTER_BOOT
from helpers.core.errors import ParameterError
from helpers.core.thresholds import MIN_LINES
from helpers.data.deadlines import months_between
from helpers.data.schema import CAPITAL_TYPES, OUTLOOK_YEARS

RECENT_YEARS: tuple[int, ...] = (2023, 2024, 2025)
"""The plan years whose lines and calendar the outlook takes as "the current practice"."""
DEFAULT_SCENARIOS = "observed,01-31,feasible"
"""The scenarios of the notebook: as in 2023–2025, assigned by 31 January, the feasible
calendar."""
N_SIMS = 1000
"""Draws per year, scenario and capital type."""
QUANTILES = (0.025, 0.975)
FAN_QUANTILES = (0.025, 0.1, 0.5, 0.9, 0.975)
_REF_YEAR = 2022
"""A year whose next year is not a leap year (the calendar of the month counts)."""
DEADLINE_MONTHS_AFTER_DEC31 = float(
    months_between(pd.Timestamp(_REF_YEAR, 12, 31), pd.Timestamp(_REF_YEAR + 1, 1, 31))
)
"""Months from 31 December to the 31 January deadline."""
EXTENSION_MONTHS = float(
    months_between(pd.Timestamp(_REF_YEAR + 1, 1, 31), pd.Timestamp(_REF_YEAR + 1, 12, 31))
)
"""Months from the deadline to the end of the legal extension (31 December of the next year)."""
STATUSES = ("projected", "not_estimable", "thin_evidence", "no_history", "no_plan")


@dataclass(frozen=True)
class Scenario:
    """An allocation calendar: ``kind`` "observed", "date" (``date`` "MM-DD"/"prev-MM-DD") or
    "feasible"; ``months`` the decision month per capital type (1 = January of the plan
    year, 0 = December before; None: each line keeps its own)."""

    id: str
    kind: str
    date: str | None = None
    months: dict[str, int | None] = field(default_factory=dict)
    months_available: dict[str, float | None] = field(default_factory=dict)
    estimable: dict[str, bool] = field(default_factory=dict)
    months_pool: dict[str, np.ndarray] = field(default_factory=dict)
    """Kind "given": per capital type, months available to draw each line's from (a calendar
    given as observed decisions, e.g. a held-out vintage's), instead of the line's own."""


def parse_scenarios(text: str) -> list[str]:
    """The scenario ids of the notebook parameter (comma-separated): "observed", "feasible",
    or a date "MM-DD" / "prev-MM-DD" (lines decided by then).

    Raises:
        ParameterError: an empty list, a repeated id or an unknown form.
    """
    items = [s.strip() for s in str(text).split(",") if s.strip()]
    if not items:
        raise ParameterError(
            "scenarios: expected a comma-separated list of 'observed', 'feasible' or dates "
            f"'MM-DD' / 'prev-MM-DD' (e.g. {DEFAULT_SCENARIOS!r}); got {text!r}"
        )
    for item in items:
        if item not in ("observed", "feasible"):
            try:
                parse_counterfactual_date(item)
            except ParameterError as exc:
                raise ParameterError(
                    f"scenarios: {item!r} is not 'observed', 'feasible' or a date: {exc}"
                ) from None
    if len(set(items)) != len(items):
        raise ParameterError(f"scenarios: an id is repeated in {text!r}")
    return items


def _month_end(month: int) -> pd.Timestamp:
    """Last day of decision month ``month`` of the reference plan year (0 = December before)."""
    year = _REF_YEAR + (month - 1) // 12
    return pd.Timestamp(year, (month - 1) % 12 + 1, 1) + pd.offsets.MonthEnd(0)


def _months_to_deadline(day: pd.Timestamp) -> float:
    return float(months_between(day, pd.Timestamp(_REF_YEAR + 1, 1, 31)))


@dataclass
class OutlookBase:
    """What every scope's outlook shares, computed once per province models (per worker).

    Attributes:
        lines: the year-end model's fitted lines (plan year, unit, capital type, amount,
            decision month, months available, residual).
        xb, db: the linear predictor and its change per month available, for each fitted line
            (rows) and each bootstrap replicate (columns).
        curves: per capital type, the fitted S-curve (share by months since the decision).
        min_month, feasible_month: per capital type, the earliest decision month of 2021–2025
            and the feasible calendar's month (the median over 2023–2025 of the month by which
            each year's fastest quarter of lines was decided).
    """

    lines: pd.DataFrame
    xb: np.ndarray
    db: np.ndarray
    months: np.ndarray
    resid: np.ndarray
    amount: np.ndarray
    ctype: np.ndarray
    unit: np.ndarray
    recent: np.ndarray
    curves: dict[str, tuple[str, np.ndarray]]
    min_month: dict[str, int]
    feasible_month: dict[str, int]
    n_boot: int


_BASES: dict[int, tuple[ProvinceModels, OutlookBase]] = {}


def outlook_base(models: ProvinceModels) -> OutlookBase:
    """:class:`OutlookBase` of ``models``, computed once per models object in this process."""
    hit = _BASES.get(id(models))
    if hit is not None and hit[0] is models:
        return hit[1]
    ye = models.year_end
    boot = ye.cluster_bootstrap(CLUSTER_BOOT, models.settings["seed"])
    lines = ye.lines
    xb = ye.design.dot(boot.params.T)
    db = ye.slope(boot.params.T)
    mu = expit(ye.design.dot(ye.params))
    resid = lines["share_deadline"].to_numpy(dtype=float) - mu
    curves = {}
    for ctype in CAPITAL_TYPES:
        g = models.profile_by_type.group(capital_type=ctype)
        if g is not None and g.form is not None:
            curves[ctype] = (g.form, np.asarray(g.fits[g.form]["_p"], dtype=float))
    month = lines["allocation_month"].to_numpy(dtype=int)
    ctype_arr = lines["capital_type"].astype(str).to_numpy()
    year = lines["plan_year"].to_numpy(dtype=int)
    feasible = feasible_dates(lines)
    f_month = (
        12 * (feasible.dt.year - lines["plan_year"].astype(int)) + feasible.dt.month
    ).to_numpy()
    min_month, feasible_month = {}, {}
    for ctype in CAPITAL_TYPES:
        sel = ctype_arr == ctype
        if not sel.any():
            continue
        min_month[ctype] = int(month[sel].min())
        recent = sel & np.isin(year, RECENT_YEARS)
        per_year = pd.Series(f_month[recent if recent.any() else sel]).groupby(
            year[recent if recent.any() else sel]
        )
        feasible_month[ctype] = int(np.ceil(np.median(per_year.first().to_numpy())))
    base = OutlookBase(
        lines=lines,
        xb=xb,
        db=db,
        months=lines["months_available"].to_numpy(dtype=float),
        resid=resid,
        amount=lines["amount_mvnd"].to_numpy(dtype=float),
        ctype=ctype_arr,
        unit=lines["unit_code"].astype(str).to_numpy(),
        recent=np.isin(year, RECENT_YEARS),
        curves=curves,
        min_month=min_month,
        feasible_month=feasible_month,
        n_boot=int(boot.params.shape[0]),
    )
    _BASES.clear()  # one dataset per worker at a time
    _BASES[id(models)] = (models, base)
    return base


def scenario(base: OutlookBase, scenario_id: str) -> Scenario:
    """The decision month per capital type of a scenario, and whether the province's
    2021–2025 decisions support it (its month not earlier than the earliest seen)."""
    months: dict[str, int | None] = {}
    if scenario_id == "observed":
        kind, date = "observed", None
        months = {c: None for c in base.min_month}
    elif scenario_id == "feasible":
        kind, date = "feasible", None
        months = {c: base.feasible_month[c] for c in base.min_month}
    else:
        kind, date = "date", scenario_id
        offset, month, _ = parse_counterfactual_date(scenario_id)
        months = {c: 12 * offset + month for c in base.min_month}
    available: dict[str, float | None] = {}
    for c, m in months.items():
        if m is None:
            available[c] = None
        elif kind == "date":
            offset, month, day = parse_counterfactual_date(scenario_id)
            available[c] = _months_to_deadline(pd.Timestamp(_REF_YEAR + offset, month, day))
        else:
            available[c] = _months_to_deadline(_month_end(m))
    estimable = {c: m is None or m >= base.min_month[c] for c, m in months.items()}
    return Scenario(scenario_id, kind, date, months, available, estimable)


def _curve(base: OutlookBase, ctype: str, t: np.ndarray) -> np.ndarray:
    form, params = base.curves[ctype]
    return _CURVES[form][0](np.maximum(t, 0.0), *params)


@dataclass
class Draws:
    """Simulated amounts (million VND) of one year x capital type, per scenario: arrays of
    ``n_sims`` draws by key ``dec31``, ``deadline``, ``extension``."""

    allocated: float
    n_lines: int
    by_scenario: dict[str, dict[str, np.ndarray]]


def simulate_cell(
    base: OutlookBase,
    pool: np.ndarray,
    amount: float,
    ctype: str,
    scenarios: list[Scenario],
    rng: np.random.Generator,
    n_sims: int = N_SIMS,
) -> Draws:
    """Draws of one year's capital of one type under each scenario (see the module docstring).

    Args:
        pool: indices of the fitted lines the year's lines are drawn from.
        amount: the capital planned (million VND).
    """
    n_lines = max(1, int(round(amount / base.amount[pool].mean())))
    idx = pool[rng.integers(0, len(pool), size=(n_sims, n_lines))]
    rep = rng.integers(0, base.n_boot, size=(n_sims, 1))
    weight = base.amount[idx]
    weight = weight / weight.sum(axis=1, keepdims=True)
    xb, db, own, resid = base.xb[idx, rep], base.db[idx, rep], base.months[idx], base.resid[idx]
    pick = rng.random(size=(n_sims, n_lines))  # drawn for every call: common random numbers
    out: dict[str, dict[str, np.ndarray]] = {}
    for sc in scenarios:
        target = sc.months_available.get(ctype)
        months = own if target is None else np.maximum(own, target)
        given = sc.months_pool.get(ctype)
        if given is not None and len(given):
            months = np.asarray(given, dtype=float)[(pick * len(given)).astype(int)]
        share = np.clip(expit(xb + (months - own) * db) + resid, 0.0, 1.0)
        at_deadline = _curve(base, ctype, months)
        with np.errstate(invalid="ignore", divide="ignore"):
            dec = np.where(
                at_deadline > 0,
                _curve(base, ctype, months - DEADLINE_MONTHS_AFTER_DEC31) / at_deadline,
                0.0,
            )
            later = _curve(base, ctype, months + EXTENSION_MONTHS)
            ext = np.clip((later - at_deadline) / (1.0 - at_deadline), 0.0, 1.0)
        out[sc.id] = {
            "dec31": amount * (weight * share * dec).sum(axis=1),
            "deadline": amount * (weight * share).sum(axis=1),
            "extension": amount * (weight * (share + (1.0 - share) * ext)).sum(axis=1),
        }
    return Draws(amount, n_lines, out)


def band(draws: np.ndarray) -> dict[str, float]:
    """Mean and the 95 % interval of draws."""
    lo, hi = np.quantile(draws, QUANTILES)
    return {"mean": float(draws.mean()), "low": float(lo), "high": float(hi)}


def _cell_row(year: int, sc: Scenario, ctype: str, draws: Draws | None, status: str, amount: float):
    row: dict[str, Any] = {
        "plan_year": year,
        "scenario": sc.id,
        "capital_type": ctype,
        "status": status,
        "allocated_mvnd": amount,
        "decision_month": sc.months.get(ctype) if ctype != "all" else None,
    }
    if draws is not None and status == "projected":
        d = draws.by_scenario[sc.id]
        row |= {
            "n_lines_simulated": draws.n_lines,
            "disbursed_dec31": band(d["dec31"]),
            "disbursed_deadline": band(d["deadline"]),
            "carried_over": band(amount - d["deadline"]),
            "at_risk_of_lapse": band(amount - d["extension"]),
        }
    return row


def scope_pool(base: OutlookBase, units: set[str] | None) -> np.ndarray:
    """Indices of the scope's fitted lines (all lines for the province)."""
    mask = np.ones(len(base.unit), bool) if units is None else np.isin(base.unit, list(units))
    return np.flatnonzero(mask)


def project(
    base: OutlookBase,
    pool: np.ndarray,
    plan: pd.DataFrame,
    scenario_ids: list[str],
    *,
    n_sims: int = N_SIMS,
    seed: int = 0,
) -> dict[str, Any]:
    """The outlook's money part for a scope whose fitted lines are ``pool``.

    Args:
        plan: rows ``plan_year``, ``capital_type``, ``amount_mvnd`` (summed per year and type).

    Returns:
        ``evidence`` ("ok", "thin", "no_history"), ``n_lines_history``, ``scenarios`` (dicts),
        ``cells`` (per year x scenario x capital type, plus "all"), ``totals`` (per scenario over
        2026–2030, with the gain over "observed" when both are estimable) and ``cumulative``
        (the fan chart's quantiles of the cumulative amount disbursed by each year's deadline).
    """
    scenarios = [scenario(base, s) for s in scenario_ids]
    n_hist = len(pool)
    evidence = "no_history" if n_hist == 0 else ("thin" if n_hist < MIN_LINES else "ok")
    amounts = plan.groupby(["plan_year", "capital_type"])["amount_mvnd"].sum()
    cells: list[dict[str, Any]] = []
    per_year: dict[tuple[int, str], dict[str, np.ndarray]] = {}
    for yi, year in enumerate(OUTLOOK_YEARS):
        totals: dict[str, dict[str, np.ndarray]] = {}
        complete = {sc.id: True for sc in scenarios}
        year_amount = 0.0
        for ci, ctype in enumerate(CAPITAL_TYPES):
            amount = float(amounts.get((year, ctype), 0.0))
            year_amount += amount
            cpool = pool[base.ctype[pool] == ctype]
            recent = cpool[base.recent[cpool]]
            cpool = recent if len(recent) else cpool
            draws = None
            if evidence == "ok" and amount > 0 and len(cpool) and ctype in base.curves:
                rng = np.random.default_rng([seed, year, ci])
                draws = simulate_cell(base, cpool, amount, ctype, scenarios, rng, n_sims)
            for sc in scenarios:
                status = _status(amount, evidence, draws, sc.estimable.get(ctype, False))
                cells.append(_cell_row(year, sc, ctype, draws, status, amount))
                if status == "projected" and draws is not None:
                    d = draws.by_scenario[sc.id]
                    acc = totals.setdefault(sc.id, {k: np.zeros(n_sims) for k in d})
                    for k, v in d.items():
                        acc[k] += v
                elif status != "no_plan":
                    complete[sc.id] = False
        for sc in scenarios:
            ok = complete[sc.id] and sc.id in totals and year_amount > 0
            cells.append(_year_row(year, sc.id, year_amount, totals.get(sc.id) if ok else None))
            if ok:
                per_year[(yi, sc.id)] = totals[sc.id]
            else:
                cells[-1]["status"] = _worst(cells, year, sc.id)
    return {
        "evidence": evidence,
        "n_lines_history": int(n_hist),
        "min_lines": MIN_LINES,
        "scenarios": [
            {
                "id": sc.id,
                "kind": sc.kind,
                "date": sc.date,
                "decision_month": sc.months,
                "estimable": sc.estimable,
            }
            for sc in scenarios
        ],
        "cells": cells,
        **_totals(scenarios, per_year, plan),
    }


def _status(amount: float, evidence: str, draws: Draws | None, estimable: bool) -> str:
    """The status of one year x capital type x scenario."""
    if amount <= 0:
        return "no_plan"
    if evidence != "ok":
        return "thin_evidence" if evidence == "thin" else "no_history"
    if draws is None:
        return "no_history"
    return "projected" if estimable else "not_estimable"


def _year_row(
    year: int, scenario_id: str, amount: float, draws: dict[str, np.ndarray] | None
) -> dict[str, Any]:
    """The year's row over both capital types (its bands when every type was projected)."""
    row: dict[str, Any] = {
        "plan_year": year,
        "scenario": scenario_id,
        "capital_type": "all",
        "status": "projected",
        "allocated_mvnd": amount,
        "decision_month": None,
    }
    if draws is not None:
        row |= {
            "disbursed_dec31": band(draws["dec31"]),
            "disbursed_deadline": band(draws["deadline"]),
            "carried_over": band(amount - draws["deadline"]),
            "at_risk_of_lapse": band(amount - draws["extension"]),
        }
    return row


def _worst(cells: list[dict[str, Any]], year: int, scenario_id: str) -> str:
    """The status of a year's total: that of its first capital type not projected."""
    own = [c for c in cells if c["plan_year"] == year and c["scenario"] == scenario_id]
    for status in ("no_history", "thin_evidence", "not_estimable", "no_plan"):
        if any(c["status"] == status for c in own):
            return status
    return "no_plan"


def _totals(
    scenarios: list[Scenario],
    per_year: dict[tuple[int, str], dict[str, np.ndarray]],
    plan: pd.DataFrame,
) -> dict[str, Any]:
    """Per scenario over 2026–2030: totals, the gain over "observed", the fan chart."""
    total_plan = float(plan["amount_mvnd"].sum())
    totals, cumulative = [], []
    years = range(len(OUTLOOK_YEARS))
    full = {sc.id: all((yi, sc.id) in per_year for yi in years) for sc in scenarios}
    planned_years = plan.groupby("plan_year")["amount_mvnd"].sum()
    for sc in scenarios:
        if not full[sc.id]:
            totals.append({"scenario": sc.id, "status": "incomplete"})
            continue
        dl = np.sum([per_year[(yi, sc.id)]["deadline"] for yi in years], axis=0)
        ext = np.sum([per_year[(yi, sc.id)]["extension"] for yi in years], axis=0)
        row: dict[str, Any] = {
            "scenario": sc.id,
            "status": "projected",
            "allocated_mvnd": total_plan,
            "disbursed_deadline": band(dl),
            "carried_over": band(total_plan - dl),
            "at_risk_of_lapse": band(total_plan - ext),
        }
        if sc.id != "observed" and full.get("observed"):
            base_dl = np.sum([per_year[(yi, "observed")]["deadline"] for yi in years], axis=0)
            row["gain_vs_observed_deadline"] = band(dl - base_dl)
        totals.append(row)
        running = np.zeros_like(dl)
        planned = 0.0
        for yi, year in enumerate(OUTLOOK_YEARS):
            running = running + per_year[(yi, sc.id)]["deadline"]
            planned += float(planned_years.get(year, 0.0))
            qs = np.quantile(running, FAN_QUANTILES)
            cumulative.append(
                {
                    "scenario": sc.id,
                    "plan_year": year,
                    "allocated_cum_mvnd": planned,
                    "quantiles": [float(q) for q in qs],
                }
            )
    return {"totals": totals, "cumulative": cumulative, "fan_quantiles": list(FAN_QUANTILES)}
