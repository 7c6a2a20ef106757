"""Orchestration of the assessment notebook (``notebooks/01_assessment.ipynb``).

The notebook stays thin: its first cell after the parameters calls :func:`check_parameters`,
which checks every parameter (language, years, output folder, data, scope) and fails with a
:class:`~helpers.core.errors.ParameterError` naming the allowed values; the next cells call
:mod:`helpers.analysis` tables and :mod:`helpers.report.figures.assessment` on the :class:`Assessment` it returns, show a
table with :func:`view`, save each figure with :meth:`Assessment.save`, and the last cell
writes ``metrics.json`` with :meth:`Assessment.write_metrics`. :func:`run_assessment` does all
of it in one call (for scripts and tests).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from helpers.analysis.assessment import AssessmentTables
from helpers.analysis.execution import monthly_profile
from helpers.analysis.geography import check_apportion
from helpers.core.contracts import Metrics
from helpers.core.errors import ParameterError
from helpers.core.formatting import number, percent
from helpers.core.text import check_lang, has_text, tr
from helpers.data.deadlines import label_values
from helpers.data.schema import PLAN_YEAR_MAX, PLAN_YEAR_MIN
from helpers.report.figures import assessment as charts
from helpers.report.figures import maps, style
from helpers.steps.base import Step, open_step

METRICS_FILE = "metrics.json"
DEFAULT_YEARS_TEXT = "2021-2025"

_YEARS_HELP = (
    f"years: expected a range 'YYYY-YYYY', a comma-separated list 'YYYY,YYYY', one "
    f"year or a list of years, all within {PLAN_YEAR_MIN}–{PLAN_YEAR_MAX}"
)


def parse_years(years: str | int | Iterable[int]) -> list[int]:
    """Plan years from what a user passes: ``"2021-2025"`` (also with "–"), ``"2022,2024"``,
    ``2024`` (papermill ``-p years 2024`` passes an int) or a list.

    Raises:
        ParameterError: unreadable, reversed, or outside the schema's plan years.
    """
    if isinstance(years, bool):
        raise ParameterError(f"{_YEARS_HELP}; got {years!r}")
    if isinstance(years, int):
        out = [years]
    elif isinstance(years, str):
        text = years.strip().replace("–", "-").replace("—", "-")
        if m := re.fullmatch(r"(\d{4})\s*-\s*(\d{4})", text):
            lo, hi = int(m.group(1)), int(m.group(2))
            if lo > hi:
                raise ParameterError(f"{_YEARS_HELP}; got the reversed range {years!r}")
            out = list(range(lo, hi + 1))
        elif re.fullmatch(r"\d{4}(\s*[,;]\s*\d{4})*", text):
            out = [int(y) for y in re.split(r"\s*[,;]\s*", text)]
        else:
            raise ParameterError(f"{_YEARS_HELP}; got {years!r}")
    else:
        try:
            out = [int(y) for y in years]
        except (TypeError, ValueError):
            raise ParameterError(f"{_YEARS_HELP}; got {years!r}") from None
    bad = [y for y in out if not PLAN_YEAR_MIN <= y <= PLAN_YEAR_MAX]
    if not out or bad:
        raise ParameterError(f"{_YEARS_HELP}; got {years!r}")
    return sorted(set(out))


DEFAULT_OUT_DIR = "outputs/{scope}/assessment"


@dataclass
class Assessment(Step):
    """Everything the assessment notebook shows, for one scope and set of years."""

    tables: AssessmentTables
    """The assessment's tables, each computed once (notebook cells, charts and the summary)."""

    @property
    def years(self) -> list[int]:
        return self.tables.years

    @property
    def lines(self) -> pd.DataFrame:
        """Line table (:func:`helpers.analysis.lines.line_table`) of the scope's lines."""
        return self.tables.lines

    @property
    def province_lines(self) -> pd.DataFrame:
        """Line table of the whole province (district ranking, reference values)."""
        return self.tables.province_lines

    @property
    def disbursements(self) -> pd.DataFrame:
        return self.dataset.disbursements

    def title(self) -> str:
        """ "Cao Bằng — 2021–2025 (DEMO)" in the run's language."""
        name = self.scope.name(self.lang)
        years = f"{self.years[0]}–{self.years[-1]}" if len(self.years) > 1 else str(self.years[0])
        return f"{name} — {years}" + (" (DEMO)" if self.demo else "")

    def with_names(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with the ``name_vi`` and ``name_en`` of its ``unit_code`` added."""
        names = self.dataset.units[["unit_code", "name_vi", "name_en"]].astype({"unit_code": str})
        out = frame.astype({"unit_code": str}).merge(names, on="unit_code", how="left")
        out.attrs = dict(frame.attrs)
        return out

    def summary(self) -> Metrics:
        """The ``metrics.json`` contract, built from the tables already computed."""
        out = self.tables.summary(self.lang)
        out["figures"] = self.figure_names
        return Metrics.parse(out, METRICS_FILE)

    @property
    def metrics_path(self) -> Path:
        """Where :meth:`write_metrics` writes: ``<out_dir>/metrics.json``."""
        return self.out_dir / METRICS_FILE

    def write_metrics(self) -> dict:
        """Write ``metrics.json`` into ``out_dir`` atomically and return what was written."""
        return self.write(self.summary(), METRICS_FILE).model_dump(mode="json", exclude_unset=True)


def check_parameters(
    data: str | Path,
    scope: str | int,
    years: str | int | Sequence[int],
    lang: str,
    out_dir: str | Path,
    apportion: str = "none",
) -> Assessment:
    """Check every parameter of the notebook, open the data and resolve the scope.

    Args:
        data: "demo", "demo:SEED", a folder of CSV files or an .xlsx workbook (relative paths
            from the repository root or the working directory).
        scope: "province", a unit code ("051"; 51 is read as "051" when unambiguous) or name.
        years: see :func:`parse_years`.
        lang: "vi" or "en".
        out_dir: output folder; ``{scope}`` is replaced by "province" or the unit code.
        apportion: "none", "communes" or a numeric column of the units table: how the
            ``geography`` block estimates a unit's share of its former districts' own lines
            (:func:`helpers.analysis.geography.check_apportion`).

    Raises:
        ParameterError: a parameter is outside its allowed values (the message names them).
        helpers.core.errors.InputError: the data files have problems.
    """
    check_lang(lang)
    year_list = parse_years(years)
    step = open_step(data, scope, lang, out_dir, DEFAULT_OUT_DIR)
    key = check_apportion(step.dataset.units, apportion)
    tables = AssessmentTables.build(step.dataset, step.scope, year_list, key)
    return Assessment(step.dataset, step.scope, step.lang, step.out_dir, tables=tables)


def run_assessment(
    data: str | Path = "demo",
    scope: str | int = "province",
    years: str | int | Sequence[int] = DEFAULT_YEARS_TEXT,
    lang: str = "vi",
    out_dir: str | Path = DEFAULT_OUT_DIR,
    apportion: str = "none",
) -> dict:
    """Check the parameters, draw and save every figure, write ``metrics.json``; return it."""
    a = check_parameters(data, scope, years, lang, out_dir, apportion)
    for name, fig in (assessment_figures(a) | map_figures(a)).items():
        a.save(fig, name)
        style.plt.close(fig)
    return a.write_metrics()


def assessment_figures(a: Assessment) -> dict[str, Figure]:
    """The charts of the assessment, by file name (the target scorecard only when the scope
    has indicators)."""
    lang, tables = a.lang, a.tables
    figures = {
        "allocation_vs_disbursement": charts.plot_allocation_vs_disbursement(
            tables.by_year_type, lang, a.years
        ),
        "execution_by_project": charts.plot_execution_by_project(tables.by_project, lang),
        "monthly_profile": charts.plot_monthly_profile(
            monthly_profile(a.lines, a.disbursements), lang
        ),
        "district_ranking": charts.plot_district_ranking(
            tables.ranking, lang, highlight=None if a.scope.is_province else a.scope.code
        ),
    }
    if len(tables.scorecard):  # a scope without indicators (a commune) has no scorecard
        figures["target_scorecard"] = charts.plot_target_scorecard(tables.scorecard, lang)
    return figures


def map_figures(a: Assessment) -> dict[str, Figure]:
    """The maps of the scope, by file name: the province's choropleth of the former districts'
    execution rates at the deadline (``district_map``, DEMO-marked on demo data); a former
    district's, a former commune's or a new unit's locator of its former districts
    (``locator``: the home district dark, the others it took communes from mid-tone)."""
    geo, lang = a.tables.geography, a.lang
    if a.scope.is_province:
        ranking = a.tables.ranking
        rows = ranking[ranking["level"] == "district"]
        values = dict(zip(rows["unit_code"].astype(str), rows["execution_rate"], strict=True))
        names = dict(zip(rows["unit_code"].astype(str), rows[f"name_{lang}"], strict=True))
        fig = maps.plot_district_map(values, names, lang, demo=a.demo)
        return {"district_map": fig} if fig is not None else {}
    dark = [d["unit_code"] for d in geo["districts"] if d["home"] or len(geo["districts"]) == 1]
    mid = [d["unit_code"] for d in geo["districts"] if d["unit_code"] not in dark]
    names = {d["unit_code"]: d[f"name_{lang}"] for d in geo["districts"]}
    fig = maps.plot_locator(dark, lang, partial=mid, names=names)
    return {"locator": fig} if fig is not None else {}


# --------------------------------------------------------------------------- display
def _fmt_value(col: str, v: Any, lang: str) -> object:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return "–"
    if col.endswith("_mvnd"):
        return number(float(v), lang, 0)
    if (
        col.startswith(("execution_rate", "share", "adjusted_rate", "adjusted_ci"))
        or col.endswith(("_share", "_ratio"))
        or col in ("outturn", "variance")
    ):
        return percent(float(v), lang, 1)
    if col in (
        "median_months_to_50",
        "median_months_to_50_ci_low",
        "median_months_to_50_ci_high",
        "vs_province_pp",
        "baseline_value",
        "target_value",
        "latest_value",
    ):
        return number(float(v), lang, 1)
    if col in ("capital_type", "source"):
        return tr(f"common.{v}", lang)
    if col in ("status", "adjusted_vs_province") and has_text(f"tables.value.{v}", lang):
        return tr(f"tables.value.{v}", lang, **label_values(lang))
    return v


def view(
    frame: pd.DataFrame, lang: str = "vi", columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """A copy of a metrics table for display: numbers formatted for ``lang`` (vi "5.801.640",
    en "5,801,640"; rates as percentages), enum values and column headers translated."""
    cols = list(columns) if columns is not None else list(frame.columns)
    out = pd.DataFrame(
        {c: [_fmt_value(c, v, lang) for v in frame[c]] for c in cols}, index=range(len(frame))
    )
    return out.rename(
        columns={
            c: tr(f"tables.column.{c}", lang, **label_values(lang))
            for c in cols
            if has_text(f"tables.column.{c}", lang)
        }
    )


__all__ = [
    "Assessment",
    "assessment_figures",
    "check_lang",
    "check_parameters",
    "map_figures",
    "parse_years",
    "run_assessment",
    "view",
]
