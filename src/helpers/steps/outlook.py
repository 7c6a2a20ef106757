"""The outlook notebook's step (``notebooks/04_outlook.ipynb``).

Its first cell calls :func:`check_parameters` (the common parameters through
:func:`helpers.steps.base.open_step`, plus the plan mode and the scenarios) and gets an
:class:`OutlookRun`; :meth:`OutlookRun.compute` loads the province lag models from their cache
(fitted by the lag step; kept in this process for the next scope of the same data) and
computes the scope's outlook (:func:`helpers.analysis.outlook_scope.outlook_scope`); the
``*_table`` functions give the notebook's tables; :meth:`OutlookRun.write_json` writes
``outlook.json`` through the :class:`helpers.core.contracts.Outlook` contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from helpers.analysis.lag.models import (
    ProvinceModels,
    load_or_fit_province_models,
    models_cache_key,
)
from helpers.analysis.outlook import DEFAULT_SCENARIOS, N_SIMS, parse_scenarios
from helpers.analysis.outlook_scope import check_plan_mode, outlook_scope
from helpers.core import paths
from helpers.core.contracts import Outlook
from helpers.core.text import check_lang
from helpers.steps.base import Step, open_step

OUTLOOK_FILE = "outlook.json"
DEFAULT_OUT_DIR = "outputs/{scope}/outlook"

_MODELS: dict[tuple[str, str], ProvinceModels] = {}
"""Province models already loaded in this process, by cache key and folder (a batch worker
keeps them from one scope to the next instead of unpickling them again)."""


def province_models(run: Step, cache_dir: str | Path | None = "default") -> ProvinceModels:
    """The province lag models of the run's data: from this process, else from the lag
    step's cache (:func:`load_or_fit_province_models`, which fits them when missing)."""
    folder = paths.PROCESSED_DIR / "lag" if cache_dir == "default" else cache_dir
    key = models_cache_key(run.dataset)
    memo = (key, str(folder)) if key and folder is not None else None
    if memo is not None and memo in _MODELS:
        return _MODELS[memo]
    models = load_or_fit_province_models(run.dataset, folder)
    if memo is not None:
        _MODELS.clear()
        _MODELS[memo] = models
    return models


@dataclass
class OutlookRun(Step):
    """One run of the outlook notebook."""

    plan: str = "auto"
    scenarios: str = DEFAULT_SCENARIOS
    n_sims: int = N_SIMS
    seed: int = 0
    outlook: dict[str, Any] = field(default_factory=dict)

    def title(self) -> str:
        return self.scope.name(self.lang) + (" (DEMO)" if self.demo else "")

    def compute(self, cache_dir: str | Path | None = "default") -> dict[str, Any]:
        """The scope's outlook (a dict of the ``outlook.json`` keys)."""
        models = province_models(self, cache_dir)
        self.outlook = outlook_scope(
            self.dataset,
            models,
            self.scope,
            plan=self.plan,
            scenarios=self.scenarios,
            n_sims=self.n_sims,
            seed=self.seed,
        )
        return self.outlook

    def result(self) -> Outlook:
        if not self.outlook:
            self.compute()
        out = dict(self.outlook)
        out["parameters"] = {
            "scope": self.scope.code,
            "plan": self.plan,
            "scenarios": self.scenarios,
            "lang": self.lang,
        }
        out["figures"] = self.figure_names
        return Outlook.parse(out, OUTLOOK_FILE)

    def write_json(self) -> dict[str, Any]:
        """Write ``outlook.json`` into ``out_dir`` atomically and return what was written."""
        return self.write(self.result(), OUTLOOK_FILE).model_dump(mode="json", exclude_unset=True)


def check_parameters(
    data: str | Path,
    scope: str | int,
    plan: str,
    scenarios: str,
    lang: str,
    out_dir: str | Path = DEFAULT_OUT_DIR,
) -> OutlookRun:
    """Check every parameter of the outlook notebook, open the data and resolve the scope.

    Raises:
        ParameterError: a parameter is outside its allowed values (the message names them).
        helpers.core.errors.InputError: the data files have problems (the plan table's
            included: file, row and column named).
    """
    check_lang(lang)
    check_plan_mode(plan)
    parse_scenarios(scenarios)
    step = open_step(data, scope, lang, out_dir, DEFAULT_OUT_DIR)
    return OutlookRun(
        step.dataset, step.scope, step.lang, step.out_dir, plan=str(plan), scenarios=str(scenarios)
    )


# --------------------------------------------------------------------------- display tables
def _band(b: dict[str, Any] | None, scale: float = 1000.0) -> str | None:
    if not b or b.get("mean") is None:
        return None
    return f"{b['mean'] / scale:,.0f} [{b['low'] / scale:,.0f}; {b['high'] / scale:,.0f}]"


def cells_table(outlook: dict[str, Any], capital_type: str = "all") -> pd.DataFrame:
    """Year x scenario (one capital type or "all"), billion VND with 95 % intervals."""
    rows = [
        {
            "plan_year": c["plan_year"],
            "scenario": c["scenario"],
            "status": c["status"],
            "planned_bn": round(c["allocated_mvnd"] / 1000.0, 1),
            "disbursed_31_dec_bn": _band(c.get("disbursed_dec31")),
            "disbursed_deadline_bn": _band(c.get("disbursed_deadline")),
            "carried_over_bn": _band(c.get("carried_over")),
            "at_risk_of_lapse_bn": _band(c.get("at_risk_of_lapse")),
        }
        for c in outlook.get("cells", [])
        if c["capital_type"] == capital_type
    ]
    return pd.DataFrame(rows)


def totals_table(outlook: dict[str, Any]) -> pd.DataFrame:
    """Per scenario over 2026–2030, billion VND with 95 % intervals."""
    return pd.DataFrame(
        [
            {
                "scenario": t["scenario"],
                "status": t["status"],
                "disbursed_deadline_bn": _band(t.get("disbursed_deadline")),
                "carried_over_bn": _band(t.get("carried_over")),
                "at_risk_of_lapse_bn": _band(t.get("at_risk_of_lapse")),
                "gain_vs_observed_bn": _band(t.get("gain_vs_observed_deadline")),
            }
            for t in outlook.get("totals", [])
        ]
    )


def indicators_table(outlook: dict[str, Any]) -> pd.DataFrame:
    """Per indicator: latest value, paces, 2030 target and value at the current pace."""
    rows = []
    for i in outlook.get("indicators", []):
        v = i.get("value_2030") or {}
        rows.append(
            {
                "indicator": i["indicator_code"],
                "unit": i["unit"],
                "latest": i["latest_value"],
                "latest_year": i["latest_year"],
                "pace_per_year": i["pace_per_year"],
                "target_2030": i["target_2030"],
                "target_basis": i["target_2030_basis"],
                "pace_needed": i["pace_needed_per_year"],
                "value_2030": v.get("mean"),
                "low": v.get("low"),
                "high": v.get("high"),
                "status": i["status"],
            }
        )
    return pd.DataFrame(rows).round(2)
