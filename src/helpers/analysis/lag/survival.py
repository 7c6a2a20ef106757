"""Time to 50 % / 90 % disbursed: Kaplan-Meier curves by allocation quarter, log-rank test,
and a Cox model with a Schoenfeld-residual check of proportional hazards."""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.duration.survfunc import survdiff

from helpers.analysis.lag.design import design_matrix
from helpers.analysis.lag.prepare import THRESHOLDS, Caveat, LagData, Method, Verdict
from helpers.analysis.survival_km import km_median
from helpers.core.errors import ParameterError

PH_ALPHA = 0.05
"""Level of the proportional-hazards test (Bonferroni over the terms tested)."""
MIN_COX_EVENTS = 10
"""Fewer events than this: no Cox model."""


@dataclass
class SurvivalResult:
    """Kaplan-Meier curves by group and a Cox model of the time to a share disbursed."""

    threshold: float
    km: dict[str, dict[str, Any]]
    logrank: dict[str, Any]
    cox: dict[str, Any]
    ph_check: dict[str, Any]
    n_lines: int
    n_events: int
    seconds: float
    caveats: list[Caveat] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        km = {g: {k: v for k, v in d.items() if not k.startswith("_")} for g, d in self.km.items()}
        return {
            "threshold": self.threshold,
            "n_lines": self.n_lines,
            "n_events": self.n_events,
            "km": km,
            "logrank": self.logrank,
            "cox": self.cox,
            "ph_check": self.ph_check,
            "seconds": self.seconds,
            "caveats": self.caveats,
        }


def _km(time_m: np.ndarray, status: np.ndarray) -> dict[str, Any]:
    """The one "months to a share" of :mod:`helpers.analysis.survival_km`, with its curve."""
    return km_median(time_m, status).to_dict(curve=True)


def _logrank(time_m: np.ndarray, status: np.ndarray, group: np.ndarray) -> dict[str, Any]:
    """Log-rank test across the groups that have at least one event (``survdiff``).

    A group without any event makes the test's variance matrix singular; such groups are
    left out and named.
    """
    events = pd.Series(status).groupby(group).sum()
    used = sorted(events.index[events > 0])
    out: dict[str, Any] = {
        "chi2": None,
        "p_value": None,
        "groups": used,
        "groups_without_events": sorted(events.index[events == 0]),
    }
    if len(used) < 2:
        return out
    keep = np.isin(group, used)
    try:
        chi2, p = survdiff(time_m[keep], status[keep], group[keep])
    except (np.linalg.LinAlgError, ValueError):
        return out
    out.update(chi2=float(chi2), p_value=float(p))
    return out


def _cox_design(
    frame: pd.DataFrame, covariates: Sequence[str]
) -> tuple[np.ndarray, list[str], str]:
    """Cox covariates: numeric columns linearly, others as treatment dummies (no intercept)."""
    terms = [
        c
        if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
        else f"C({c})"
        for c in covariates
    ]
    d = design_matrix(frame, terms)
    return d.X, d.names, "time_months ~ " + (" + ".join(d.terms) if d.terms else "1")


def _ph_check(
    res: Any, names: Sequence[str], time_m: np.ndarray, status: np.ndarray, focus: Sequence[str]
) -> dict[str, Any]:
    """Correlation of Schoenfeld residuals with the rank of the event time, per covariate."""
    resid = res.schoenfeld_residuals
    ev = (status == 1) & np.all(np.isfinite(resid), axis=1)
    ranks = stats.rankdata(time_m[ev])
    tests = {}
    for j, name in enumerate(names):
        if not any(name.startswith(f) or name.startswith(f"C({f})") for f in focus):
            continue
        r = resid[ev, j]
        if ev.sum() < 5 or np.std(r) == 0:
            continue
        rho, p = stats.pearsonr(r, ranks)
        tests[name] = {"rho": float(rho), "p_value": float(p)}
    bad = [n for n, v in tests.items() if v["p_value"] < PH_ALPHA / max(len(tests), 1)]
    if not tests:
        verdict, ok = Verdict.of("ph_too_few_events"), None
    elif bad:
        verdict, ok = Verdict.of("ph_violated", terms=tuple(bad), alpha=PH_ALPHA), False
    else:
        verdict, ok = Verdict.of("ph_holds"), True
    return {
        "method": Method.of("ph_schoenfeld"),
        "tests": tests,
        "proportional": ok,
        "verdict": verdict,
    }


def _fit_cox(
    frame: pd.DataFrame,
    covariates: Sequence[str],
    focus: Sequence[str],
    strata: str | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    X, names, formula = _cox_design(frame, covariates)
    status = frame["reached"].to_numpy(dtype=float)
    groups = None
    if strata is not None and frame[strata].nunique() > 1:
        groups = frame[strata].astype(str).to_numpy()
        formula += f" + strata({strata})"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = PHReg(
            frame["time_months"].to_numpy(dtype=float),
            X,
            status=status,
            ties="efron",
            strata=groups,
        )
        res = model.fit()
    ci = res.conf_int()
    terms = {
        n: {
            "coef": float(res.params[i]),
            "hazard_ratio": float(np.exp(res.params[i])),
            "hr_ci_low": float(np.exp(ci[i, 0])),
            "hr_ci_high": float(np.exp(ci[i, 1])),
            "p_value": float(res.pvalues[i]),
        }
        for i, n in enumerate(names)
        if any(n.startswith(f) or n.startswith(f"C({f})") for f in focus)
    }
    cox = {
        "formula": formula,
        "ties": "efron",
        "n": int(len(frame)),
        "events": int(status.sum()),
        "terms": terms,
        "llf": float(res.llf),
        "warnings": sorted({str(w.message)[:200] for w in caught}),
    }
    ph = _ph_check(res, names, frame["time_months"].to_numpy(dtype=float), status, focus)
    return cox, ph


def fit_time_to_share(
    data: LagData,
    threshold: float = 0.5,
    *,
    lines: pd.Series | None = None,
    group: str = "allocation_quarter",
    covariates: Sequence[str] = (
        "allocation_month",
        "capital_type",
        "project_code",
    ),
    strata: str | None = "district_code",
    cox: bool = True,
) -> SurvivalResult:
    """Kaplan-Meier curves and a Cox model of the months from decision to ``threshold``.

    Lines that have not reached the threshold are censored
    (:func:`helpers.analysis.lines.time_to_share`). The Kaplan-Meier curves are drawn per
    ``group`` with the median time and its interval
    (:func:`helpers.analysis.survival_km.km_median`, the definition of "months to 50 %" every
    table and sentence uses), compared with a log-rank test (``survdiff``). The Cox model
    (``PHReg``, Efron ties because report dates make many ties) has the allocation month
    (January of the plan year = 1), capital type and project, stratified by district (each
    district its own baseline hazard: no dummy column per district, so the fit grows with the
    lines, not with lines x districts); proportional hazards
    are checked with the correlation between Schoenfeld residuals and the rank of event time
    for the allocation-month and capital-type terms; the verdict is a
    :class:`~helpers.analysis.lag.prepare.Verdict` (its words are in the ``lag`` catalogs).

    Args:
        data: prepared data.
        threshold: 0.5 or 0.9 (the thresholds prepared in :data:`THRESHOLDS`).
        lines: boolean mask over ``data.lines`` restricting the lines.
        group: column of ``data.lines`` for the Kaplan-Meier groups.
        covariates: Cox covariates (numeric columns enter linearly, others as categories).
        strata: column of ``data.lines`` whose levels get their own baseline hazard (None:
            one baseline).
        cox: fit the Cox model (False: Kaplan-Meier only).

    Returns:
        A :class:`SurvivalResult`. A hazard ratio above 1 for ``allocation_month`` means lines
        decided later reach the threshold sooner after their decision (the deadline compresses
        their spending), not that they end up with more.
    """
    start = time.perf_counter()
    tag = f"{round(100 * threshold)}"
    if f"t{tag}_months" not in data.lines:
        raise ParameterError(f"threshold: expected one of {THRESHOLDS}; got {threshold!r}")
    fitted = data.lines["usable"] & data.lines["reported"]  # not reported is not "never"
    mask = fitted if lines is None else fitted & lines
    frame = data.lines.loc[mask].rename(
        columns={f"t{tag}_months": "time_months", f"reached{tag}": "reached"}
    )

    time_m = frame["time_months"].to_numpy(dtype=float)
    status = frame["reached"].to_numpy(dtype=float)
    km = {"all": _km(time_m, status)}
    for g, sub in frame.groupby(group, sort=True, observed=True):
        km[str(g)] = _km(
            sub["time_months"].to_numpy(dtype=float), sub["reached"].to_numpy(dtype=float)
        )
    logrank = _logrank(time_m, status, frame[group].astype(str).to_numpy())
    caveats = [Caveat.of("interval_censoring")]
    cox_out: dict[str, Any] = {}
    ph: dict[str, Any] = {
        "proportional": None,
        "verdict": Verdict.of("cox_not_fitted"),
        "tests": {},
    }
    n_events = int(status.sum())
    if cox and n_events >= MIN_COX_EVENTS:
        cox_out, ph = _fit_cox(
            frame, covariates, focus=("allocation_month", "capital_type"), strata=strata
        )
    elif cox:
        caveats.append(Caveat.of("few_events", n=n_events))
    if len(frame) and n_events / len(frame) < 0.5:
        caveats.append(
            Caveat.of("heavy_censoring", n_events=n_events, n=len(frame), threshold=threshold)
        )
    return SurvivalResult(
        threshold=threshold,
        km=km,
        logrank=logrank,
        cox=cox_out,
        ph_check=ph,
        n_lines=int(len(frame)),
        n_events=n_events,
        seconds=time.perf_counter() - start,
        caveats=caveats,
    )
