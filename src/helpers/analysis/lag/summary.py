"""The ``lag.json`` dict of a scope: numbers and message ids (rendered by the steps)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from helpers.analysis.lag.counterfactual import (
    DEFAULT_COUNTERFACTUAL_DATE,
    parse_counterfactual_date,
)
from helpers.analysis.lag.models import ProvinceModels, fit_province_models
from helpers.analysis.lag.prepare import Caveat
from helpers.analysis.lag.scope import ScopeResult, analyse_scope
from helpers.core.scope import Scope
from helpers.data.dataset import Dataset
from helpers.data.datasets import resolve_scope


def json_ready(obj: Any, digits: int = 6) -> Any:
    """Recursively turn numpy scalars to Python, NaN/inf to None, and round floats."""
    if isinstance(obj, dict):
        return {str(k): json_ready(v, digits) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_ready(v, digits) for v in obj]
    if isinstance(obj, np.bool_ | bool):
        return bool(obj)
    if isinstance(obj, np.integer | int):
        return int(obj)
    if isinstance(obj, np.floating | float):
        v = float(obj)
        return round(v, digits) if np.isfinite(v) else None
    if isinstance(obj, pd.Timestamp):
        return obj.date().isoformat()
    return obj


def _scope_of(dataset: Dataset, scope: Scope | str) -> Scope:
    if isinstance(scope, Scope):
        return scope
    return resolve_scope(dataset, scope)


def _dedupe(caveats: Iterable[Caveat]) -> list[Caveat]:
    """Each caveat once, in first-seen order (an id with the same values says the same)."""
    return list(dict.fromkeys(caveats))


def _months_to(res: ScopeResult) -> dict[str, dict[str, Any]]:
    """Months to 50 % / 90 %: the Kaplan–Meier median of the scope's line times with its
    interval (:func:`helpers.analysis.survival_km.km_median`), the definition the district
    ranking and the brief use too."""
    out = {}
    for tag in ("50", "90"):
        surv = res.survival[tag]
        km = surv.km["all"]
        out[f"{tag}pct"] = {
            "estimate": km["median"],
            "ci_low": km["ci_low"],
            "ci_high": km["ci_high"],
            "n_lines": km["n"],
            "n_events": km["events"],
            "method": "kaplan_meier_median",
        }
    return out


def _scope_caveats(models: ProvinceModels, res: ScopeResult) -> list[Caveat]:
    sc, n = res.scope, int(res.lines.sum())
    extra = []
    if not sc.is_province:
        extra.append(Caveat.of("district_scope", name_en=sc.name_en, name_vi=sc.name_vi, n=n))
    pooled = res.profile.pooled
    if pooled.form and pooled.months_to.get("90", {}).get("estimate") is None:
        a = pooled.fits[pooled.form]["params"]["a"]
        extra.append(Caveat.of("profile_below_90", asymptote=a, threshold=0.9))
    return _dedupe(
        models.data.caveats
        + res.profile.caveats
        + pooled.caveats
        + [c for s in res.survival.values() for c in s.caveats]
        + models.year_end.caveats
        + res.counterfactual.caveats
        + (res.counterfactual_feasible.caveats if res.counterfactual_feasible else [])
        + extra
    )


def summary_lag(
    dataset: Dataset,
    scope: Scope | str = "province",
    counterfactual_date: str = DEFAULT_COUNTERFACTUAL_DATE,
    *,
    models: ProvinceModels | None = None,
) -> dict[str, Any]:
    """The ``lag.json`` dict of a scope (the province or one implementing unit).

    The province models are fitted once (pass ``models`` from :func:`fit_province_models` or
    :func:`load_or_fit_province_models` to reuse them across scopes); see
    :func:`analyse_scope` for what a district gets.

    Keys (a contract with the brief; amounts in million VND, shares as fractions):

    * ``scope`` (unit code), ``scope_level``, ``scope_name_vi``, ``scope_name_en``, ``demo``,
      ``data_origin``, ``data_sha256``, ``as_of``, ``n_lines``, ``ci_level`` (0.95: every
      interval below);
    * ``timing_effect_pp_per_month``: {``estimate``, ``ci_low``, ``ci_high``, ``se``,
      ``n_lines``, ``weighting`` ("lines"), ``by_capital_type``, ``method``, and for a district
      ``province``}: the average over lines of the change, in percentage points, of the share
      of a line's capital disbursed by the deadline for each month LATER its decision falls
      (negative when late allocation hurts);
    * ``timing_effect_pp_per_month_weighted``: the same keys with ``weighting`` "amount": the
      change of the scope's rate (amount disbursed by the deadline / amount allocated), the
      weighting of the model and the counterfactuals;
    * ``n_lines_not_reported``, ``not_reported_mvnd``: the scope's lines with no disbursement
      report at all (not counted as disbursing nothing: out of the year-end model and the
      counterfactuals);
    * ``months_to_50pct``, ``months_to_90pct``: the median months from a line's decision to
      the first report with the share disbursed (Kaplan–Meier over the scope's reported lines,
      lines still disbursing censored: :mod:`helpers.analysis.survival_km`; None when fewer
      than half of the lines are known to have got there); ``months_to_share`` {``50pct``,
      ``90pct``} gives each with ``ci_low``, ``ci_high`` (95 %), ``n_lines``, ``n_events`` and
      ``method``. The pooled profile's own crossing times stay in ``profile``;
    * ``counterfactual``: {``date``, ``scenario`` ("date"), ``support_rule``, ``gain_mvnd``,
      ``ci_low``, ``ci_high`` (delta method), ``ci_low_bootstrap``, ``ci_high_bootstrap``
      (district-cluster bootstrap), ``ci_used``, ``ci_wide_low``, ``ci_wide_high`` (the wider
      of the two), ``n_lines_outside_support``, ``share_lines_outside_support``,
      ``outside_support_mvnd``, ``share_capital_outside_support``, predicted and scenario
      amounts and shares, ``by_year``, ``by_capital_type``, ``by_district`` (same keys),
      ``cells`` (scenario and support dates per plan year x capital type)}: the scenario date
      restricted to the support (see :mod:`helpers.analysis.lag.counterfactual`);
    * ``counterfactual_feasible``: the same for the feasible calendar (``date`` and
      ``scenario`` "feasible": each cell's lines decided by the end of the month its fastest
      quarter of lines, counted by lines, was decided);
    * ``profile`` (scope and province curves), ``time_to_share`` (KM, log-rank, Cox),
      ``ph_check`` (verdict as a :class:`~helpers.analysis.lag.prepare.Verdict`), ``year_end_model`` (formula, fit diagnostics, district
      checks), ``n_per_model``, ``caveats`` (list of :class:`~helpers.analysis.lag.prepare.Caveat`),
      ``fit_seconds``.

    Caveats, verdicts and methods are message objects; :mod:`helpers.steps.lag` renders them
    into the ``{id, en, vi}`` objects and strings of ``lag.json``.

    Raises:
        ParameterError: bad ``counterfactual_date`` or unknown ``scope``.
    """
    parse_counterfactual_date(counterfactual_date)
    sc = _scope_of(dataset, scope)
    if models is None:
        models = fit_province_models(dataset)
    res = analyse_scope(models, sc, counterfactual_date)
    ye = models.year_end
    months = _months_to(res)
    out = {
        "scope": sc.code,
        "scope_level": sc.level,
        "scope_name_vi": sc.name_vi,
        "scope_name_en": sc.name_en,
        "demo": bool(dataset.demo),
        "data_origin": dataset.origin,
        "data_sha256": dataset.sha256,
        "as_of": models.data.as_of,
        "n_lines": int(res.lines.sum()),
        "ci_level": 0.95,
        "timing_effect_pp_per_month": res.timing,
        "timing_effect_pp_per_month_weighted": res.timing_weighted,
        "n_lines_not_reported": (res.not_reported or {}).get("n_lines"),
        "not_reported_mvnd": (res.not_reported or {}).get("amount_mvnd"),
        "months_to_50pct": months["50pct"]["estimate"],
        "months_to_90pct": months["90pct"]["estimate"],
        "months_to_share": months,
        "counterfactual": res.counterfactual.to_dict(),
        "counterfactual_feasible": res.counterfactual_feasible.to_dict()
        if res.counterfactual_feasible
        else None,
        "profile": {
            "scope": res.profile.to_dict(),
            "province_by_capital_type": models.profile_by_type.to_dict(),
            "province_pooled": models.profile.pooled.to_dict(),
        },
        "time_to_share": {f"{t}pct": s.to_dict() for t, s in res.survival.items()},
        "cox_province": {f"{t}pct": s.cox for t, s in models.survival.items()},
        "ph_check": {f"{t}pct": s.ph_check for t, s in models.survival.items()},
        "year_end_model": {"formula": ye.formula, **ye.diagnostics},
        "n_per_model": {
            "profile_lines": res.profile.pooled.n_lines,
            "time_to_share_lines": res.survival["50"].n_lines,
            "time_to_50pct_events": res.survival["50"].n_events,
            "time_to_90pct_events": res.survival["90"].n_events,
            "cox_lines": models.survival["50"].cox.get("n"),
            "year_end_lines_fitted": ye.diagnostics["n_lines"],
            "year_end_lines_in_scope": res.timing["n_lines"],
            "counterfactual_lines": res.counterfactual.total["n_lines"],
        },
        "caveats": _scope_caveats(models, res),
        "fit_seconds": {**models.fit_seconds, "scope": res.seconds},
    }
    return json_ready(out)
