"""The earlier-allocation scenarios: predicted amount disbursed by the deadline had lines been
decided earlier (by a chosen date, or by the month the fastest quarter of lines was decided),
within the support of the data, with delta-method and district-cluster bootstrap intervals,
by year, capital type and unit.

Only the fitted lines count (reported, deadline passed). The support of the data is each plan
year x capital type cell's range of observed decisions: a line whose scenario date falls before
its cell's earliest decision is moved only to that earliest decision (not left out:
``support_rule`` "moved_to_earliest_observed_decision") and is counted in
``n_lines_outside_support`` / ``share_capital_outside_support``. The gain is
Σ amount x (μ̂_cf − μ̂), predicted minus predicted, so the model's fit error cancels.
``ci_low``/``ci_high`` are the delta method with the model's sandwich covariance (parameter
uncertainty); with ``n_boot`` > 0, ``ci_low_bootstrap``/``ci_high_bootstrap`` are the 2.5 and
97.5 percentiles of the gain over a district-cluster bootstrap (see
:meth:`~helpers.analysis.lag.yearend.YearEndShareModel.cluster_bootstrap` and
:func:`_bootstrap_gains`), and ``ci_used`` names the wider of the two, whose ends are
``ci_wide_low``/``ci_wide_high``. Neither includes the line-level noise of what would actually
have been disbursed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.special import expit

from helpers.analysis.lag.blockfit import BlockX
from helpers.analysis.lag.lowrank import SparseLowRank
from helpers.analysis.lag.prepare import Z95, Caveat, district_column
from helpers.analysis.lag.yearend import ClusterBootstrap, YearEndShareModel
from helpers.core.errors import ParameterError
from helpers.data.deadlines import months_available

DEFAULT_COUNTERFACTUAL_DATE = "01-31"
"""Default scenario: every line decided by 31 January of its plan year."""
FEASIBLE_QUANTILE = 0.25
"""The feasible calendar: the month by which this share of a cell's lines was decided."""
SUPPORT_RULE = "moved_to_earliest_observed_decision"
"""What happens to a line whose scenario date falls before the support (in ``lag.json``)."""
MIN_BOOT_OK = 20
"""Fewest usable bootstrap replicates for a bootstrap interval."""


def parse_counterfactual_date(text: str) -> tuple[int, int, int]:
    """Parse a scenario date: "MM-DD" within the plan year, "prev-MM-DD" in the year before.

    Returns:
        (year offset relative to the plan year: 0 or -1, month, day).

    Raises:
        ParameterError: any other form, or a day that does not exist every year (29 Feb).
    """
    m = re.fullmatch(r"(prev-)?(\d{2})-(\d{2})", str(text).strip())
    if m is None:
        raise ParameterError(
            f"counterfactual_date: expected 'MM-DD' (within the plan year, e.g. '01-31') or "
            f"'prev-MM-DD' (in the year before the plan year, e.g. 'prev-12-31'); got {text!r}"
        )
    month, day = int(m.group(2)), int(m.group(3))
    try:
        pd.Timestamp(year=2023, month=month, day=day)
    except ValueError:
        raise ParameterError(
            f"counterfactual_date: {text!r} is not a date that exists every "
            "year: expected 'MM-DD' or 'prev-MM-DD' with month 01-12 and a "
            "day of that month (not 02-29)"
        ) from None
    return (-1 if m.group(1) else 0), month, day


def counterfactual_dates(plan_year: pd.Series, date: str) -> pd.Series:
    """The scenario date of each plan year (see :func:`parse_counterfactual_date`)."""
    offset, month, day = parse_counterfactual_date(date)
    years = plan_year.astype("int64") + offset
    return pd.to_datetime(pd.DataFrame({"year": years, "month": month, "day": day}))


def _sum_with_ci(value: np.ndarray, grad: sparse.spmatrix, cov: SparseLowRank) -> tuple[float, ...]:
    """The total of ``value`` with its delta-method interval (``grad``: the total's gradient)."""
    total = float(value.sum())
    se = float(np.sqrt(max(cov.quad(grad), 0.0)))
    return total, total - Z95 * se, total + Z95 * se, se


def _cells(frame: pd.DataFrame) -> Any:
    """Decision dates grouped by plan year x capital type."""
    decided = pd.to_datetime(frame["decision_date"])
    return decided.groupby([frame["plan_year"], frame["capital_type"]])


def support_start(frame: pd.DataFrame) -> pd.Series:
    """Per line, the earliest decision date of its plan year x capital type cell in ``frame``:
    the earliest date the data show such a line could be decided."""
    return _cells(frame).transform("min")


def _lower_quantile(dates: pd.Series, q: float) -> pd.Timestamp:
    """The k-th earliest date with k = ⌈q n⌉ (at least a share q of the lines by then)."""
    ordered = dates.sort_values()
    return ordered.iloc[max(int(np.ceil(q * len(ordered))) - 1, 0)]


def feasible_dates(frame: pd.DataFrame, quantile: float = FEASIBLE_QUANTILE) -> pd.Series:
    """Per line, the last day of the month in which its plan year x capital type cell had
    decided ``quantile`` of its lines (counted by lines, not amounts; the k-th earliest
    decision with k = ⌈quantile x lines⌉)."""
    q = _cells(frame).transform(lambda d: _lower_quantile(d, quantile))
    return pd.to_datetime(q) + pd.offsets.MonthEnd(0)


@dataclass
class CounterfactualResult:
    """What the year-end model predicts had lines been decided by a scenario's dates."""

    date: str
    total: dict[str, Any]
    by_year: list[dict[str, Any]]
    by_capital_type: list[dict[str, Any]]
    by_district: list[dict[str, Any]]
    caveats: list[Caveat] = field(default_factory=list)
    scenario: str = "date"
    cells: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "date": self.date,
            "scenario": self.scenario,
            "support_rule": SUPPORT_RULE,
            **self.total,
            "by_year": self.by_year,
            "by_capital_type": self.by_capital_type,
            "by_district": self.by_district,
            "cells": self.cells,
            "caveats": self.caveats,
        }


BOOT_CHUNK = 20_000
"""Lines predicted at once for every bootstrap replicate (bounds the memory: lines x
replicates)."""


def _bootstrap_gains(
    model: YearEndShareModel, boot: ClusterBootstrap, gained: np.ndarray, idx: np.ndarray
) -> np.ndarray:
    """The gain of the selected lines (positions ``idx``) in each bootstrap replicate (NaN
    when none drawn).

    A replicate's gain per VND allocated is Σ n a (μ̂_cf − μ̂) / Σ n a over the selected
    lines, n being how often the line's unit was drawn and μ̂ predicted with the replicate's
    parameters; times the lines' allocation, so the interval reflects the uncertainty of the
    effect, not the random size of a resampled province.
    """
    amount = model.lines["amount_mvnd"].to_numpy(dtype=float)
    params = boot.params.T
    num = np.zeros(len(boot.params))
    den = np.zeros(len(boot.params))
    for lo in range(0, len(idx), BOOT_CHUNK):
        part = idx[lo : lo + BOOT_CHUNK]
        eta = model.design.rows(part).dot(params)
        eta_cf = eta + gained[part][:, None] * model.slope(params, part)
        na = boot.line_counts(part).T * amount[part][:, None]
        num += (na * (expit(eta_cf) - expit(eta))).sum(axis=0)
        den += na.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = num / den
    return rate * amount[idx].sum()


def _intervals(row: dict[str, Any], boot_gain: np.ndarray | None) -> dict[str, Any]:
    """Bootstrap percentile interval and the wider of it and the delta-method one."""
    ok = boot_gain[np.isfinite(boot_gain)] if boot_gain is not None else np.empty(0)
    lo_b = hi_b = None
    if len(ok) >= MIN_BOOT_OK:
        lo_b, hi_b = (float(x) for x in np.percentile(ok, [2.5, 97.5]))
    used = "delta_method"
    lo_w, hi_w = row["ci_low"], row["ci_high"]
    if lo_b is not None and hi_b is not None and hi_b - lo_b > hi_w - lo_w:
        used, lo_w, hi_w = "cluster_bootstrap", lo_b, hi_b
    return {
        "ci_low_bootstrap": lo_b,
        "ci_high_bootstrap": hi_b,
        "n_boot": len(boot_gain) if boot_gain is not None else 0,
        "n_boot_ok": len(ok),
        "ci_used": used,
        "ci_wide_low": lo_w,
        "ci_wide_high": hi_w,
    }


@dataclass
class _Lines:
    """Per fitted line, what a scenario's rows sum; the designs and weights of the gradients
    (the gradient of Σ a μ is Σ a μ (1 − μ) x, summed on the block design)."""

    X: BlockX
    X_cf: BlockX
    cov: SparseLowRank
    amount: np.ndarray
    observed: np.ndarray
    values: dict[str, np.ndarray]
    """``gain``, ``cf``, ``pred``, ``slope_cf``, ``slope_base`` (μ (1 − μ) x amount),
    ``moved``, ``months_gained``, ``outside``."""

    def grads(self, idx: np.ndarray) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
        """Gradients of the counterfactual total and of the gain over the lines ``idx``."""
        v = self.values
        cf = self.X_cf.rows(idx).sum_rows(v["slope_cf"][idx])
        return cf, sparse.csr_matrix(cf - self.X.rows(idx).sum_rows(v["slope_base"][idx]))


def _cf_rows(
    lines: _Lines,
    idx: np.ndarray,
    boot_gain: Callable[[np.ndarray], np.ndarray] | None,
) -> dict[str, Any]:
    v = lines.values
    amount = lines.amount[idx]
    alloc = float(amount.sum())
    grad_cf, grad_gain = lines.grads(idx)
    gain, lo, hi, se = _sum_with_ci(v["gain"][idx], grad_gain, lines.cov)
    cf, cf_lo, cf_hi, _ = _sum_with_ci(v["cf"][idx], grad_cf, lines.cov)
    pred = float(v["pred"][idx].sum())
    observed = float(lines.observed[idx].sum())
    moved = v["moved"][idx]
    outside = v["outside"][idx]
    out_amount = float(amount[outside].sum())
    row = {
        "n_lines": len(idx),
        "n_lines_moved": int(moved.sum()),
        "mean_months_gained": float(v["months_gained"][idx][moved].mean()) if moved.any() else 0.0,
        "allocated_mvnd": alloc,
        "observed_deadline_mvnd": observed,
        "predicted_deadline_mvnd": pred,
        "counterfactual_deadline_mvnd": cf,
        "counterfactual_ci_low": cf_lo,
        "counterfactual_ci_high": cf_hi,
        "predicted_share": pred / alloc if alloc else None,
        "counterfactual_share": cf / alloc if alloc else None,
        "counterfactual_share_ci_low": cf_lo / alloc if alloc else None,
        "counterfactual_share_ci_high": cf_hi / alloc if alloc else None,
        "gain_mvnd": gain,
        "ci_low": lo,
        "ci_high": hi,
        "se": se,
        "n_lines_outside_support": int(outside.sum()),
        "outside_support_mvnd": out_amount,
        "share_lines_outside_support": float(outside.mean()) if len(idx) else None,
        "share_capital_outside_support": out_amount / alloc if alloc else None,
    }
    return row | _intervals(row, None if boot_gain is None else boot_gain(idx))


def _groups(values: np.ndarray, idx: np.ndarray) -> list[tuple[Any, np.ndarray]]:
    """The sorted distinct ``values`` of the lines ``idx``, each with its lines' positions (in
    order): one sort, not one pass over every line per value."""
    levels, inverse = np.unique(values[idx], return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.cumsum(np.bincount(inverse, minlength=len(levels)))[:-1]
    return list(zip(levels, np.split(idx[order], bounds), strict=True))


def _cell_rows(
    frame: pd.DataFrame, target: pd.Series, floor: pd.Series, used: pd.Series
) -> list[dict[str, Any]]:
    """One row per plan year x capital type: the dates the scenario asked for and used."""
    cells = frame.assign(_target=target, _floor=floor, _used=used)
    rows = []
    for (year, ctype), g in cells.groupby(["plan_year", "capital_type"], sort=True):
        rows.append(
            {
                "plan_year": int(year),
                "capital_type": str(ctype),
                "n_lines": int(len(g)),
                "allocated_mvnd": float(g["amount_mvnd"].sum()),
                "support_start": g["_floor"].iloc[0],
                "scenario_date": g["_target"].iloc[0],
                "scenario_date_used": g["_used"].iloc[0],
                "outside_support": bool(g["_target"].iloc[0] < g["_floor"].iloc[0]),
            }
        )
    return rows


def _scenario(
    model: YearEndShareModel,
    target: pd.Series,
    date: str,
    scenario: str,
    lines: np.ndarray | pd.Series | None,
    n_boot: int,
    seed: int,
) -> CounterfactualResult:
    """Move every line decided after its ``target`` date to it, within the support."""
    frame = model.lines
    decided = pd.to_datetime(frame["decision_date"])
    floor = support_start(frame)
    outside = (target < floor).to_numpy()
    used = target.where(~outside, floor)
    moved = (decided > used).to_numpy()
    new_decision = decided.where(decided <= used, used)
    m_cf = months_available(new_decision, frame["plan_year"])
    gained = (m_cf - frame["months_available"]).to_numpy(dtype=float)
    X_cf = model.design_shifted(gained)
    mu = expit(model.design.dot(model.params))
    mu_cf = expit(X_cf.dot(model.params))
    amount = frame["amount_mvnd"].to_numpy(dtype=float)
    per_line = _Lines(
        X=model.design,
        X_cf=X_cf,
        cov=model.covariance,
        amount=amount,
        observed=frame["share_deadline"].to_numpy(dtype=float) * amount,
        values={
            "gain": amount * (mu_cf - mu),
            "cf": amount * mu_cf,
            "pred": amount * mu,
            "slope_cf": amount * mu_cf * (1 - mu_cf),
            "slope_base": amount * mu * (1 - mu),
            "moved": moved,
            "months_gained": gained,
            "outside": outside,
        },
    )
    base = np.ones(len(frame), bool) if lines is None else np.asarray(lines, bool)
    base_idx = np.flatnonzero(base)
    boot = model.cluster_bootstrap(n_boot, seed) if n_boot > 0 else None
    boot_gain = None if boot is None else partial(_bootstrap_gains, model, boot, gained)

    def table(column: str, key: str | None = None) -> list[dict[str, Any]]:
        col = frame[column].astype(str).to_numpy()
        return [
            {key or column: v, **_cf_rows(per_line, idx, boot_gain)}
            for v, idx in _groups(col, base_idx)
        ]

    total = _cf_rows(per_line, base_idx, boot_gain)
    caveats = [Caveat.of("counterfactual_scope")]
    if total["n_lines_outside_support"]:
        caveats.append(Caveat.of("outside_support", share=total["share_capital_outside_support"]))
    if total["n_lines_moved"] == 0:
        caveats.append(Caveat.of("nothing_moved"))
    if total["ci_used"] == "cluster_bootstrap":
        caveats.append(Caveat.of("gain_interval_bootstrap"))
    return CounterfactualResult(
        date=date,
        total=total,
        by_year=table("plan_year"),
        by_capital_type=table("capital_type"),
        by_district=table(district_column(frame), key="unit_code"),
        caveats=caveats,
        scenario=scenario,
        cells=_cell_rows(frame.loc[base], target[base], floor[base], used[base]),
    )


def counterfactual_on_time(
    model: YearEndShareModel,
    date: str = DEFAULT_COUNTERFACTUAL_DATE,
    *,
    lines: np.ndarray | pd.Series | None = None,
    n_boot: int = 0,
    seed: int = 0,
) -> CounterfactualResult:
    """Predicted share and VND by the deadline had every line been decided by ``date``.

    Every line decided after the scenario date of its plan year is moved to it (more months
    available), or only to its cell's earliest observed decision when that is later; lines
    decided earlier keep their date.

    Args:
        model: a fitted :class:`YearEndShareModel` (e.g. the province's).
        date: scenario date, "MM-DD" in the plan year or "prev-MM-DD" (see
            :func:`parse_counterfactual_date`).
        lines: boolean mask over ``model.lines`` (e.g. one district's lines).
        n_boot: district-cluster bootstrap replicates (0: none).
        seed: seed of the bootstrap.

    Returns:
        A :class:`CounterfactualResult` with the total and tables by plan year, capital type
        and district (amounts in million VND), and the dates per plan year x capital type.
    """
    target = counterfactual_dates(model.lines["plan_year"], date)
    return _scenario(model, target, date, "date", lines, n_boot, seed)


def counterfactual_feasible(
    model: YearEndShareModel,
    *,
    quantile: float = FEASIBLE_QUANTILE,
    lines: np.ndarray | pd.Series | None = None,
    n_boot: int = 0,
    seed: int = 0,
) -> CounterfactualResult:
    """Predicted share and VND by the deadline on a calendar the province has achieved.

    Each plan year x capital type cell's lines are decided by the end of the month in which
    the province's fastest ``quantile`` of the cell's lines was decided (counted by lines:
    :func:`feasible_dates`); lines decided earlier keep their date. ``date`` is "feasible".
    Arguments and result as :func:`counterfactual_on_time`.
    """
    target = feasible_dates(model.lines, quantile)
    return _scenario(model, target, "feasible", "feasible", lines, n_boot, seed)
