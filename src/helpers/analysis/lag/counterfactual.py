"""The earlier-allocation scenario: predicted amount disbursed by the deadline had every line
been decided by a chosen date, with a delta-method interval, by year, capital type and unit."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

from helpers.analysis.lag.prepare import Z95, Caveat
from helpers.analysis.lag.yearend import YearEndShareModel
from helpers.core.errors import ParameterError
from helpers.data.deadlines import months_available

DEFAULT_COUNTERFACTUAL_DATE = "01-31"
"""Default scenario: every line decided by 31 January of its plan year."""


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


def _sum_with_ci(value: np.ndarray, grad: np.ndarray, cov: np.ndarray) -> tuple[float, ...]:
    total = float(value.sum())
    g = grad.sum(axis=0)
    se = float(np.sqrt(max(g @ cov @ g, 0.0)))
    return total, total - Z95 * se, total + Z95 * se, se


@dataclass
class CounterfactualResult:
    """What the year-end model predicts had lines been decided by a scenario date."""

    date: str
    total: dict[str, Any]
    by_year: list[dict[str, Any]]
    by_capital_type: list[dict[str, Any]]
    by_district: list[dict[str, Any]]
    caveats: list[Caveat] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "date": self.date,
            **self.total,
            "by_year": self.by_year,
            "by_capital_type": self.by_capital_type,
            "by_district": self.by_district,
            "caveats": self.caveats,
        }


def _cf_rows(
    frame: pd.DataFrame, parts: dict[str, np.ndarray], cov: np.ndarray, mask: np.ndarray
) -> dict[str, Any]:
    amount = frame["amount_mvnd"].to_numpy(dtype=float)[mask]
    alloc = float(amount.sum())
    gain, lo, hi, se = _sum_with_ci(parts["gain"][mask], parts["grad_gain"][mask], cov)
    cf, cf_lo, cf_hi, _ = _sum_with_ci(parts["cf"][mask], parts["grad_cf"][mask], cov)
    pred = float(parts["pred"][mask].sum())
    observed = float((frame["share_deadline"].to_numpy(dtype=float)[mask] * amount).sum())
    moved = parts["moved"][mask]
    return {
        "n_lines": int(mask.sum()),
        "n_lines_moved": int(moved.sum()),
        "mean_months_gained": float(parts["months_gained"][mask][moved].mean())
        if moved.any()
        else 0.0,
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
    }


def counterfactual_on_time(
    model: YearEndShareModel,
    date: str = DEFAULT_COUNTERFACTUAL_DATE,
    *,
    lines: np.ndarray | pd.Series | None = None,
) -> CounterfactualResult:
    """Predicted share and VND by the deadline had every line been decided by ``date``.

    Every line decided after the scenario date of its plan year is moved to it (more months
    available); lines decided earlier keep their date. The gain is Σ amount x (μ̂_cf − μ̂) over
    the lines, i.e. predicted minus predicted, so the model's fit error cancels; its 95 %
    interval is the delta method with the model's sandwich covariance (parameter uncertainty,
    not the line-level noise of what would actually have been disbursed).

    Args:
        model: a fitted :class:`YearEndShareModel` (e.g. the province's).
        date: scenario date, "MM-DD" in the plan year or "prev-MM-DD" (see
            :func:`parse_counterfactual_date`).
        lines: boolean mask over ``model.lines`` (e.g. one district's lines).

    Returns:
        A :class:`CounterfactualResult` with the total and tables by plan year, capital type
        and district (amounts in million VND).
    """
    frame = model.lines
    cf_date = counterfactual_dates(frame["plan_year"], date)
    decided = pd.to_datetime(frame["decision_date"])
    moved = (decided > cf_date).to_numpy()
    new_decision = decided.where(decided <= cf_date, cf_date)
    m_cf = months_available(new_decision, frame["plan_year"])
    gained = (m_cf - frame["months_available"]).to_numpy(dtype=float)
    X_cf = model.design_shifted(gained)
    mu = expit(model.X @ model.params)
    mu_cf = expit(X_cf @ model.params)
    amount = frame["amount_mvnd"].to_numpy(dtype=float)
    grad_cf = (amount * mu_cf * (1 - mu_cf))[:, None] * X_cf
    grad_base = (amount * mu * (1 - mu))[:, None] * model.X
    parts = {
        "gain": amount * (mu_cf - mu),
        "grad_gain": grad_cf - grad_base,
        "cf": amount * mu_cf,
        "grad_cf": grad_cf,
        "pred": amount * mu,
        "moved": moved,
        "months_gained": gained,
    }
    base = np.ones(len(frame), bool) if lines is None else np.asarray(lines, bool)

    def table(column: str) -> list[dict[str, Any]]:
        col = frame[column].astype(str).to_numpy()
        return [
            {column: v, **_cf_rows(frame, parts, model.cov, base & (col == v))}
            for v in sorted(set(col[base]))
        ]

    total = _cf_rows(frame, parts, model.cov, base)
    caveats = [Caveat.of("counterfactual_scope")]
    if total["n_lines_moved"] == 0:
        caveats.append(Caveat.of("nothing_moved"))
    return CounterfactualResult(
        date=date,
        total=total,
        by_year=table("plan_year"),
        by_capital_type=table("capital_type"),
        by_district=table("unit_code"),
        caveats=caveats,
    )
