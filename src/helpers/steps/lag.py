"""The disbursement-lag notebook's step (``notebooks/02_disbursement_lag.ipynb``).

Its first cell calls :func:`check_parameters`, which checks the parameters (the common ones
through :func:`helpers.steps.base.open_step`, plus the scenario date) and returns a
:class:`LagRun`; :meth:`LagRun.fit` fits or loads the province models and analyses the scope;
the ``*_table`` functions give the notebook's display tables; :meth:`LagRun.write_json`
writes ``lag.json`` through the :class:`helpers.core.contracts.Lag` contract. The analysis
emits caveats, verdicts and methods as ids with values; :func:`render` writes their words
from the ``lag`` catalogs (``{id, en, vi}`` caveats, ``verdict_en``/``verdict_vi``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from helpers.analysis.lag.counterfactual import (
    DEFAULT_COUNTERFACTUAL_DATE,
    parse_counterfactual_date,
)
from helpers.analysis.lag.models import ProvinceModels, load_or_fit_province_models
from helpers.analysis.lag.prepare import Caveat, Message, Method, Verdict
from helpers.analysis.lag.profiles import ProfileResult
from helpers.analysis.lag.scope import ScopeResult, analyse_scope
from helpers.analysis.lag.summary import summary_lag
from helpers.core import paths
from helpers.core.contracts import Lag
from helpers.core.errors import ParameterError
from helpers.core.formatting import day_month, mvnd, number, percent
from helpers.core.text import check_lang, has_text, tr
from helpers.data.deadlines import regular_deadline
from helpers.steps.base import Step, open_step

LAG_FILE = "lag.json"
DEFAULT_OUT_DIR = "outputs/{scope}/lag"
"""Default output folder of the notebook: ``{scope}`` becomes "province" or the unit code, as
the batch lays out a run (outputs/province/lag, …)."""


def resolve_out_dir(out_dir: str | Path, slug: str) -> Path:
    """The output folder (:func:`helpers.core.paths.resolve_out_dir` with this step's default)."""
    return paths.resolve_out_dir(out_dir, slug, DEFAULT_OUT_DIR)


# --------------------------------------------------------------------------- words
_DEADLINE = regular_deadline(2000)
_TERMS = {
    "allocation_month": "lag.term.allocation_month",
    "C(capital_type)[T.recurrent]": "lag.term.capital_type_recurrent",
}
_COV_NAMES = {"HC1": "HC1", "cluster": "CR1"}


def _term(term: str, lang: str) -> str:
    key = _TERMS.get(term)
    return tr(key, lang) if key and has_text(key, lang) else term


def _fill(msg: Message, lang: str) -> dict[str, Any]:
    """The values of ``msg`` formatted for its sentence in ``lang``."""
    v = msg.kwargs
    out: dict[str, Any] = dict(v)
    for key in ("asymptote", "threshold", "cap", "level", "share"):
        if key in v:
            out[key] = percent(v[key], lang, 0)
    if "units" in v:
        out["units"] = number(v["units"], lang)
    if "amount" in v:
        out["amount"] = mvnd(v["amount"], lang)
    if "ratio" in v:
        out["ratio"] = number(v["ratio"], lang, 1)
    if "alpha" in v:
        out["alpha"] = number(v["alpha"], lang, 2)
    if "terms" in v:
        out["terms"] = ", ".join(_term(t, lang) for t in v["terms"])
    if msg.id == "deadline_not_reached":
        out["deadline"] = day_month(_DEADLINE, lang, month="long")
    if msg.id == "zero_amount":
        out["zero"] = number(0, lang)
    if msg.id == "cluster_se_larger":
        out["hc"] = _COV_NAMES["HC1"]
    if msg.id == "sample":
        out["few"] = tr("lag.caveat.sample_few", lang) if v["few_clusters"] else ""
        se_key = "HC1" if v["cov_type"] == "HC1" else "cluster"
        out["se"] = tr(f"lag.caveat.sample_se_{se_key}", lang, name=_COV_NAMES[v["cov_type"]])
    return out


def text(msg: Message, lang: str) -> str:
    """The sentence of a caveat, verdict or method in ``lang``."""
    kind = {Caveat: "caveat", Verdict: "verdict", Method: "method"}[type(msg)]
    return tr(f"lag.{kind}.{msg.id}", lang, **_fill(msg, lang))


def render(obj: Any) -> Any:
    """``obj`` with its messages in words: a :class:`Caveat` becomes ``{id, en, vi}``, a
    :class:`Verdict` under key ``k`` becomes ``k_en`` and ``k_vi``, a :class:`Method` its
    English text."""
    if isinstance(obj, Caveat):
        return {"id": obj.id, **{lang: text(obj, lang) for lang in ("en", "vi")}}
    if isinstance(obj, Method):
        return text(obj, "en")
    if isinstance(obj, dict):
        out: dict[str, Any] = {}
        for key, value in obj.items():
            if isinstance(value, Verdict):
                out.update({f"{key}_{lang}": text(value, lang) for lang in ("en", "vi")})
            else:
                out[key] = render(value)
        return out
    if isinstance(obj, list | tuple):
        return [render(v) for v in obj]
    return obj


# --------------------------------------------------------------------------- the run
@dataclass
class LagRun(Step):
    """One run of the lag notebook: checked parameters, data, fitted models, saved outputs."""

    counterfactual_date: str = DEFAULT_COUNTERFACTUAL_DATE
    models: ProvinceModels | None = None

    def title(self) -> str:
        """ "Cao Bằng (DEMO)" in the run's language."""
        return self.scope.name(self.lang) + (" (DEMO)" if self.demo else "")

    def fit(self, cache_dir: str | Path | None = "default") -> ScopeResult:
        """Fit (or load from the cache) the province models and analyse the scope.

        Args:
            cache_dir: folder of the fitted-model cache; "default" is
                ``data/processed/lag`` (git-ignored), None disables the cache.
        """
        folder = paths.PROCESSED_DIR / "lag" if cache_dir == "default" else cache_dir
        self.models = load_or_fit_province_models(self.dataset, folder)
        return analyse_scope(self.models, self.scope, self.counterfactual_date)

    def result(self) -> Lag:
        """The ``lag.json`` contract: :func:`summary_lag` in words, with the parameters and
        the figure files."""
        if self.models is None:
            self.fit()
        out = render(
            summary_lag(self.dataset, self.scope, self.counterfactual_date, models=self.models)
        )
        out["parameters"] = {
            "scope": self.scope.code,
            "counterfactual_date": self.counterfactual_date,
            "lang": self.lang,
        }
        out["figures"] = self.figure_names
        return Lag.parse(out, LAG_FILE)

    def summary(self) -> dict[str, Any]:
        """What ``lag.json`` holds, as a dict."""
        return self.result().model_dump(mode="json", exclude_unset=True)

    def write_json(self) -> dict[str, Any]:
        """Write ``lag.json`` into ``out_dir`` atomically and return what was written."""
        return self.write(self.result(), LAG_FILE).model_dump(mode="json", exclude_unset=True)


def check_parameters(
    data: str | Path,
    scope: str | int,
    counterfactual_date: str,
    lang: str,
    out_dir: str | Path = DEFAULT_OUT_DIR,
) -> LagRun:
    """Check every parameter of the lag notebook, open the data and resolve the scope.

    Args:
        data: "demo", "demo:SEED", a folder of CSV files or an .xlsx workbook.
        scope: "province", a unit code or a unit name.
        counterfactual_date: "MM-DD" (in the plan year) or "prev-MM-DD".
        lang: "vi" or "en".
        out_dir: output folder; ``{scope}`` becomes "province" or the unit code.

    Raises:
        ParameterError: a parameter is outside its allowed values (the message names them).
        helpers.core.errors.InputError: the data files have problems.
    """
    check_lang(lang)
    parse_counterfactual_date(counterfactual_date)
    step = open_step(data, scope, lang, out_dir, DEFAULT_OUT_DIR)
    return LagRun(
        step.dataset,
        step.scope,
        step.lang,
        step.out_dir,
        counterfactual_date=str(counterfactual_date),
    )


# --------------------------------------------------------------------------- display tables
def profile_table(profile: ProfileResult) -> pd.DataFrame:
    """One row per profile group: lines, curve form, asymptote, and the months at which the
    group's fitted curve (amount-weighted) crosses 50 % / 90 % with bootstrap intervals. These
    describe the curve; the months to 50 % the results quote are the lines' Kaplan–Meier
    medians (:mod:`helpers.analysis.survival_km`)."""
    rows = []
    for g in profile.groups:
        row: dict[str, Any] = {
            **({k: g.key.get(k, "all") for k in profile.by} or {"group": "all"}),
            "n_lines": g.n_lines,
            "form": g.form,
        }
        row["asymptote"] = g.fits[g.form]["params"]["a"] if g.form else None
        for tag in ("50", "90"):
            m = g.months_to.get(tag) or {}
            row[f"profile_months_to_{tag}pct"] = m.get("estimate")
            row[f"profile_ci_{tag}"] = (
                f"{m['ci_low']:.1f}–{m['ci_high']:.1f}"
                if m.get("ci_low") is not None and m.get("ci_high") is not None
                else None
            )
        rows.append(row)
    return pd.DataFrame(rows).round(3)


def cox_table(models: ProvinceModels) -> pd.DataFrame:
    """Hazard ratios of the allocation-month and capital-type terms of the province Cox
    models, with the proportional-hazards test of each term."""
    rows = []
    for tag, res in models.survival.items():
        tests = res.ph_check.get("tests", {})
        for term, v in res.cox.get("terms", {}).items():
            rows.append(
                {
                    "threshold": percent(int(tag) / 100, "en", 0),
                    "term": term,
                    "hazard_ratio": v["hazard_ratio"],
                    "hr_ci_low": v["hr_ci_low"],
                    "hr_ci_high": v["hr_ci_high"],
                    "p_value": v["p_value"],
                    "ph_rho": tests.get(term, {}).get("rho"),
                    "ph_p_value": tests.get(term, {}).get("p_value"),
                    "n": res.cox.get("n"),
                    "events": res.cox.get("events"),
                }
            )
    return pd.DataFrame(rows).round(4)


def timing_table(summary: dict[str, Any]) -> pd.DataFrame:
    """The timing effect (pp per month later) for the scope, by capital type, and for the
    province when the scope is a district."""
    t = summary["timing_effect_pp_per_month"]
    rows = [{"lines": "all", **{k: t[k] for k in ("estimate", "ci_low", "ci_high", "n_lines")}}]
    rows += [
        {"lines": k, **{c: v[c] for c in ("estimate", "ci_low", "ci_high", "n_lines")}}
        for k, v in t["by_capital_type"].items()
    ]
    if "province" in t:
        rows.append(
            {
                "lines": "province (all lines)",
                **{c: t["province"][c] for c in ("estimate", "ci_low", "ci_high", "n_lines")},
            }
        )
    return pd.DataFrame(rows).round(3)


def district_check_table(models: ProvinceModels) -> pd.DataFrame:
    """Timing slope (logit scale, investment) with district fixed effects, without district
    effects, and with a MixedLM random district intercept."""
    check = models.year_end.diagnostics.get("district_check", {})
    mixed = check.get("mixedlm", {})
    rows = [
        {
            "model": "fractional logit, district fixed effects",
            "slope_logit": check.get("slope_logit_with_district_fe"),
        },
        {
            "model": "fractional logit, no district effect",
            "slope_logit": check.get("slope_logit_without_district_effects"),
        },
        {
            "model": "MixedLM on logit(share), random district intercept",
            "slope_logit": mixed.get("slope_logit"),
            "district_sd_logit": mixed.get("district_sd_logit"),
            "converged": mixed.get("converged"),
            "warnings": "; ".join(check.get("mixedlm_warnings", [])) or None,
        },
    ]
    return pd.DataFrame(rows).round(4)


def counterfactual_table(
    result: ScopeResult, by: str = "plan_year", scenario: str = "date"
) -> pd.DataFrame:
    """A scenario ("date" or "feasible") by ``by`` ("plan_year", "capital_type" or
    "unit_code"), amounts in million VND, with a total row."""
    scenarios = {"date": result.counterfactual, "feasible": result.counterfactual_feasible}
    cf = scenarios.get(scenario)
    if cf is None:
        raise ParameterError(f"scenario: expected 'date' or 'feasible'; got {scenario!r}")
    table = {
        "plan_year": cf.by_year,
        "capital_type": cf.by_capital_type,
        "unit_code": cf.by_district,
    }
    if by not in table:
        raise ParameterError(f"by: expected one of {', '.join(table)}; got {by!r}")
    cols = [
        "n_lines",
        "n_lines_moved",
        "mean_months_gained",
        "allocated_mvnd",
        "observed_deadline_mvnd",
        "predicted_deadline_mvnd",
        "counterfactual_deadline_mvnd",
        "gain_mvnd",
        "ci_low",
        "ci_high",
        "ci_low_bootstrap",
        "ci_high_bootstrap",
        "share_capital_outside_support",
        "predicted_share",
        "counterfactual_share",
    ]
    frame = pd.DataFrame(table[by] + [{by: "total", **cf.total}])
    return frame[[by, *cols]].round(3)
