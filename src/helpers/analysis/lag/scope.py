"""The lag results of one scope (the province or one unit) from the province models."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pandas as pd

from helpers.analysis.lag.counterfactual import (
    DEFAULT_COUNTERFACTUAL_DATE,
    CounterfactualResult,
    counterfactual_feasible,
    counterfactual_on_time,
    parse_counterfactual_date,
)
from helpers.analysis.lag.models import ProvinceModels
from helpers.analysis.lag.prepare import Caveat, Method
from helpers.analysis.lag.profiles import ProfileResult, fit_disbursement_profile
from helpers.analysis.lag.survival import SurvivalResult, fit_time_to_share
from helpers.analysis.lag.yearend import CLUSTER_BOOT
from helpers.core.scope import Scope
from helpers.data.hierarchy import scope_unit_codes


@dataclass
class ScopeResult:
    """The lag results of one scope, computed from the province models.

    Attributes:
        scope: the scope.
        lines: boolean mask of the scope's lines over ``models.data.lines``.
        profile: the scope's profiles: for the province, by allocation quarter x capital
            type (pooled group included); for a district, its own lines by capital type.
        survival: Kaplan-Meier (and, for the province, Cox) results by threshold "50"/"90".
        counterfactual: the scenario date applied to the scope's lines (province model).
        counterfactual_feasible: the feasible calendar (the month each plan year's fastest
            quarter of lines was decided, per capital type) applied likewise.
        timing: average marginal effect of a decision one month later on the scope's lines
            (averaged over lines).
        timing_weighted: the same weighted by amount (the effect on the scope's rate).
        not_reported: the scope's lines with no disbursement report: ``n_lines``,
            ``amount_mvnd`` (left out of the year-end model and the counterfactuals).
    """

    scope: Scope
    lines: pd.Series
    profile: ProfileResult
    survival: dict[str, SurvivalResult]
    counterfactual: CounterfactualResult
    timing: dict[str, Any]
    seconds: float
    counterfactual_feasible: CounterfactualResult | None = None
    timing_weighted: dict[str, Any] | None = None
    not_reported: dict[str, Any] | None = None


def analyse_scope(
    models: ProvinceModels, scope: Scope, counterfactual_date: str = DEFAULT_COUNTERFACTUAL_DATE
) -> ScopeResult:
    """The lag results of ``scope`` from the province models (memoised in ``models``).

    A district's timing effect and counterfactuals are the province model's predictions on the
    district's lines (its own sample is too small for the fixed-effect model); its profile
    curves and Kaplan-Meier curves are fitted on its own lines (for a commune-level scope,
    the profile curves without bootstrap bands, with a caveat saying so). The counterfactual
    gains get a district-cluster bootstrap interval (:data:`CLUSTER_BOOT` replicates, seeded
    with the models' seed, refitted once with the province models and shared by every scope).

    Raises:
        ParameterError: bad ``counterfactual_date``.
    """
    parse_counterfactual_date(counterfactual_date)
    key = (scope.code if not scope.is_province else "province", counterfactual_date)
    if key in models.scopes:
        return models.scopes[key]
    start = time.perf_counter()
    data, ye = models.data, models.year_end
    if scope.is_province:
        mask = pd.Series(True, index=data.lines.index)
        ye_mask = None
        profile = models.profile
        survival = models.survival
    else:
        # the scope's own lines, as the assessment counts them (helpers.analysis.scoping)
        units = scope_unit_codes(models.units, scope.code, data.successions)
        mask = data.lines["unit_code"].isin(units)
        ye_mask = ye.lines["unit_code"].isin(units).to_numpy()
        # a commune-level scope has too few lines for bootstrap bands worth their cost: its
        # curves are fitted without bands, and the profile says so (a district keeps its bands)
        commune = scope.level == "commune"
        profile = fit_disbursement_profile(
            data,
            ("capital_type",),
            lines=mask,
            n_boot=0 if commune else models.settings["n_boot"],
            seed=models.settings["seed"] + 7,
        )
        if commune:  # no bands: "few lines, wide bands" would contradict "no bands"
            profile.caveats = [c for c in profile.caveats if c.id != "small_groups"]
            profile.caveats.append(Caveat.of("no_bands_commune"))
        survival = {
            k: fit_time_to_share(data, v.threshold, lines=mask, cox=False)
            for k, v in models.survival.items()
        }
    timing = ye.ame(ye_mask)
    timing["by_capital_type"] = ye.ame_by("capital_type", ye_mask)
    timing["method"] = Method.of("timing_ame", level=0.95)
    weighted = ye.ame(ye_mask, weighted=True)
    weighted["by_capital_type"] = ye.ame_by("capital_type", ye_mask, weighted=True)
    weighted["method"] = Method.of("timing_ame_weighted", level=0.95)
    if not scope.is_province:
        timing["province"] = ye.ame()
        weighted["province"] = ye.ame(weighted=True)
    boot = {"n_boot": CLUSTER_BOOT, "seed": models.settings["seed"]}
    lines = data.lines.loc[mask]
    silent = lines["usable"] & ~lines["reported"]
    result = ScopeResult(
        scope=scope,
        lines=mask,
        profile=profile,
        survival=survival,
        counterfactual=counterfactual_on_time(ye, counterfactual_date, lines=ye_mask, **boot),
        timing=timing,
        seconds=0.0,
        counterfactual_feasible=counterfactual_feasible(ye, lines=ye_mask, **boot),
        timing_weighted=weighted,
        not_reported={
            "n_lines": int(silent.sum()),
            "amount_mvnd": float(lines.loc[silent, "amount_mvnd"].sum()),
        },
    )
    result.seconds = time.perf_counter() - start
    models.scopes[key] = result
    return result
