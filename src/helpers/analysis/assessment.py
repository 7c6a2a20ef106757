"""The assessment of one scope: every table computed once, and the ``metrics.json`` summary.

:class:`AssessmentTables` holds the scope's and the province's line tables and computes each
table of the assessment on first use (execution by year, type and source, carry-over, year-end
concentration, PEFA-style grades, the target scorecard, the district comparison). The
notebook's cells, its charts and :meth:`AssessmentTables.summary` all read the same cached
tables, so nothing is computed twice in a run.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pandas as pd

from helpers.analysis.committee import carry_over_by_law, committee_rates, published_dates
from helpers.analysis.district_model import AdjustedComparison
from helpers.analysis.districts import adjusted_comparison, district_comparison
from helpers.analysis.execution import (
    DEFAULT_YEARS,
    carry_over_by,
    concentration_total,
    execution_at_cutoffs,
    execution_by,
    year_end_concentration,
)
from helpers.analysis.frames import rate
from helpers.analysis.geography import geography, pooled_levels
from helpers.analysis.lines import line_table
from helpers.analysis.pefa import PefaScore, pefa_aggregate_outturn, pefa_composition_variance
from helpers.analysis.published import (
    comparison_records,
    province_name,
    published_comparison,
    standing_record,
    widest_standing,
)
from helpers.analysis.scoping import filter_scope
from helpers.analysis.targets import target_scorecard, targets_met
from helpers.core.scope import Scope
from helpers.data import schema
from helpers.data.dataset import Dataset

RANKING_COLUMNS = (
    "unit_code", "name_vi", "name_en", "level", "execution_rate", "median_months_to_50", "rank",
    "median_months_to_50_ci_low", "median_months_to_50_ci_high", "n_lines_timed",
    "n_lines_reached_50", "adjusted_rate", "adjusted_ci_low", "adjusted_ci_high",
    "adjusted_rank", "adjusted_vs_province",
)  # fmt: skip
MONTHS_DIGITS = 6
"""Months are kept to the digits of ``lag.json`` (:func:`helpers.analysis.lag.summary.json_ready`),
so the ranking's and the lag step's Kaplan–Meier medians round alike in the brief."""
SCORECARD_COLUMNS = (
    "indicator_code", "name_vi", "name_en", "unit", "direction", "baseline_value",
    "target_value", "latest_value", "latest_year", "progress_ratio", "status",
)  # fmt: skip


_PROVINCE_TABLES: dict[tuple[str, tuple[int, ...]], dict[str, Any]] = {}
"""The province-wide tables every scope's assessment shares (the province's line table, the
district model, the district comparison), kept in the process for one dataset (by its
SHA-256) and years: a batch worker runs the assessment of many scopes of one dataset, and
these tables do not depend on the scope."""


def _province_table(
    dataset: Dataset, years: Sequence[int], name: str, compute: Callable[[], Any]
) -> Any:
    """``compute()``, or the value already computed for ``dataset`` and ``years`` (a copy of a
    frame). Only a dataset with a real SHA-256 is remembered, and only the last one."""
    sha = str(getattr(dataset, "sha256", "") or "")
    if not re.fullmatch(r"[0-9a-f]{64}", sha):
        return compute()
    key = (sha, tuple(years))
    if key not in _PROVINCE_TABLES:
        _PROVINCE_TABLES.clear()
        _PROVINCE_TABLES[key] = {}
    store = _PROVINCE_TABLES[key]
    if name not in store:
        store[name] = compute()
    value = store[name]
    return value.copy() if isinstance(value, pd.DataFrame) else value


@dataclass
class AssessmentTables:
    """The tables of one scope's assessment over ``years``, each computed on first use."""

    dataset: Dataset
    scope: Scope
    years: list[int]
    apportion: str = "none"
    """How the ``geography`` block estimates a unit's share of its districts' own lines
    (:func:`helpers.analysis.geography.check_apportion`)."""

    @classmethod
    def build(
        cls,
        dataset: Dataset,
        scope: Scope,
        years: Iterable[int] = DEFAULT_YEARS,
        apportion: str = "none",
    ) -> AssessmentTables:
        return cls(dataset, scope, sorted({int(y) for y in years}), apportion)

    @property
    def disbursements(self) -> pd.DataFrame:
        return self.dataset.disbursements

    def _line_table(self, unit_code: str) -> pd.DataFrame:
        ds = self.dataset
        alloc = filter_scope(
            ds.allocations, ds.units, unit_code, self.years, getattr(ds, "successions", None)
        )
        lines = line_table(
            alloc,
            ds.disbursements,
            as_of=ds.disbursements["report_date"].max(),
            blanket=getattr(ds, "blanket_extensions", None),
        )
        lines.attrs["demo"] = ds.demo
        return lines

    @cached_property
    def lines(self) -> pd.DataFrame:
        """Line table of the scope's lines in ``years``."""
        return self._line_table(self.scope.code)

    @cached_property
    def province_lines(self) -> pd.DataFrame:
        """Line table of the whole province in ``years`` (for the district comparison)."""
        if self.scope.is_province:
            return self.lines
        return _province_table(
            self.dataset,
            self.years,
            "lines",
            lambda: self._line_table(self.dataset.province_code),
        )

    @cached_property
    def by_year(self) -> pd.DataFrame:
        return execution_at_cutoffs(self.lines, self.years)

    @cached_property
    def by_year_type(self) -> pd.DataFrame:
        return execution_by(self.lines, ["plan_year", "capital_type"])

    @cached_property
    def by_type(self) -> pd.DataFrame:
        return execution_by(self.lines, "capital_type")

    @cached_property
    def by_source(self) -> pd.DataFrame:
        return execution_by(self.lines, "source")

    @cached_property
    def by_type_source(self) -> pd.DataFrame:
        return execution_by(self.lines, ["capital_type", "source"])

    @cached_property
    def by_project(self) -> pd.DataFrame:
        return execution_by(self.lines, "project_code")

    @cached_property
    def by_subproject(self) -> pd.DataFrame:
        return execution_by(self.lines, ["project_code", "subproject_code"])

    @cached_property
    def carry_total(self) -> pd.DataFrame:
        """Carry-over and lapse of all the scope's lines together (one row)."""
        return carry_over_by(self.lines.assign(_all=1), "_all")

    @cached_property
    def concentration(self) -> pd.DataFrame:
        return year_end_concentration(self.lines, self.disbursements)

    @cached_property
    def pi1(self) -> PefaScore:
        return pefa_aggregate_outturn(self.lines)

    @cached_property
    def pi2(self) -> PefaScore:
        return pefa_composition_variance(self.lines, by="project_code")

    @cached_property
    def scorecard(self) -> pd.DataFrame:
        return target_scorecard(self.dataset.targets, self.scope.code, max(self.years))

    @cached_property
    def district_model(self) -> AdjustedComparison:
        """The mix-adjusted district comparison at the deadline, fitted once on the province's
        lines (:mod:`helpers.analysis.district_model`)."""
        ds = self.dataset
        return _province_table(
            ds,
            self.years,
            "district_model",
            lambda: adjusted_comparison(
                self.province_lines, ds.disbursements, ds.units, ds.province_code, "deadline"
            ),
        )

    @cached_property
    def ranking(self) -> pd.DataFrame:
        """The district comparison over the province's lines (the scope's row included)."""
        ds = self.dataset
        return _province_table(
            ds,
            self.years,
            "ranking",
            lambda: district_comparison(
                self.province_lines,
                ds.disbursements,
                ds.units,
                ds.province_code,
                "deadline",
                adjusted=self.district_model,
            ),
        )

    @cached_property
    def province_name(self) -> str:
        """Vietnamese name of the dataset's province (to match published figures)."""
        return province_name(self.dataset)

    @cached_property
    def committee(self) -> list[dict[str, Any]]:
        """The committee's rates at the province's published dates and the last report."""
        return committee_rates(
            self.lines,
            self.disbursements,
            published_dates(self.province_name),
            pd.Timestamp(self.lines.attrs["as_of"]),
        )

    @cached_property
    def published(self) -> tuple[list[dict[str, Any]] | None, dict[str, Any] | None]:
        """The province's published figures beside the dataset and its standing among the
        provinces with comparable published rates (province scope only; else None, None)."""
        if not self.scope.is_province:
            return None, None
        table = published_comparison(self.dataset)
        return comparison_records(table), standing_record(widest_standing(self.province_name))

    @cached_property
    def geography(self) -> dict[str, Any]:
        """What the scope was made of, its districts' own lines, pooled rates
        (:func:`helpers.analysis.geography.geography`, over the province's lines)."""
        ds = self.dataset
        successions = getattr(ds, "successions", None)
        levels = _province_table(
            ds,
            self.years,
            "pooled_levels",
            lambda: pooled_levels(ds.units, successions, self.province_lines),
        )
        return geography(
            ds.units, successions, self.province_lines, self.scope.code, self.apportion,
            levels=levels,
        )  # fmt: skip

    def total(self, column: str) -> float:
        return float(self.lines[column].sum())

    def summary(self, lang: str | None = None) -> dict[str, Any]:
        """The ``metrics.json`` dict (amounts million VND, rates fractions), from the tables."""
        ds, scope, by_year = self.dataset, self.scope, self.by_year
        allocated = float(self.lines["amount_mvnd"].sum())
        carry = self.carry_total
        carry_row = carry.iloc[0] if len(carry) else pd.Series(dtype=float)
        conc = concentration_total(self.concentration)
        counts = targets_met(self.scorecard)
        ranking = self.ranking
        me = ranking[ranking["unit_code"] == scope.code]
        by_type = _amounts(self.by_type, "capital_type", schema.CAPITAL_TYPES)
        for ctype in schema.CAPITAL_TYPES:
            part = self.by_type_source[self.by_type_source["capital_type"] == ctype]
            by_type[ctype]["by_source"] = _amounts(part, "source", schema.SOURCES)
        dec31, deadline, last = (
            self.total(f"disbursed_{c}_mvnd") for c in ("dec31", "deadline", "last")
        )
        return {
            "scope": "province" if scope.is_province else scope.code,
            "unit_code": scope.code,
            "scope_level": scope.level,
            "scope_name_vi": scope.name_vi,
            "scope_name_en": scope.name_en,
            "province_code": ds.province_code,
            "demo": bool(ds.demo),
            "data_origin": ds.origin,
            "data_sha256": ds.sha256,
            "lang": lang,
            "as_of": pd.Timestamp(self.lines.attrs["as_of"]).date().isoformat(),
            "years": self.years,
            "years_with_allocation": [
                int(y) for y in by_year.loc[by_year["status"] != "no_allocation", "plan_year"]
            ],
            "allocated_mvnd": _num(allocated),
            "disbursed_mvnd": _num(last),
            "disbursed_dec31_mvnd": _num(dec31),
            "disbursed_deadline_mvnd": _num(deadline),
            "execution_rate_dec31": _num(rate(dec31, allocated), 4),
            "execution_rate_deadline": _num(rate(deadline, allocated), 4),
            "execution_rate_last": _num(rate(last, allocated), 4),
            "by_year": [_year_json(r) for r in by_year.to_dict("records")],
            "by_capital_type": by_type,
            "by_source": _amounts(self.by_source, "source", schema.SOURCES),
            "carried_over_mvnd": _num(carry_row.get("carried_over_mvnd", 0.0)),
            "carried_over_disbursed_mvnd": _num(carry_row.get("carried_over_disbursed_mvnd", 0.0)),
            "carried_over_disbursed_share": _num(carry_row.get("carried_over_disbursed_share"), 4),
            "carried_over_open_mvnd": _num(carry_row.get("carried_over_open_mvnd", 0.0)),
            "lapsed_mvnd": _num(carry_row.get("lapsed_mvnd", 0.0)),
            "q4_share": _num(conc["q4_share"], 4),
            "dec_jan_share": _num(conc["dec_jan_share"], 4),
            "pefa_aggregate_grade": self.pi1.grade,
            "pefa_aggregate_years": self.pi1.years,
            "pefa_aggregate_outturn": _by_year(self.pi1.table, "outturn"),
            "pefa_composition_grade": self.pi2.grade,
            "pefa_composition_by": "project_code",
            "pefa_composition_variance": _by_year(self.pi2.table, "variance"),
            "pefa_baseline": self.pi1.baseline,
            "pefa_provisional": self.pi1.provisional,
            "targets_met": counts["met"],
            "targets_not_met": counts["not_met"],
            "targets_no_data": counts["no_data"],
            "targets_total": counts["total"],
            "median_months_to_50": (
                _num(me["median_months_to_50"].iloc[0], MONTHS_DIGITS) if len(me) else None
            ),
            "district_rank": (
                int(me["rank"].iloc[0]) if len(me) and not pd.isna(me["rank"].iloc[0]) else None
            ),
            "districts_ranked": int(ranking["rank"].notna().sum()),
            "province_execution_rate_deadline": _num(
                ranking.loc[ranking["level"] == "province", "execution_rate"].iloc[0], 4
            ),
            "district_ranking": _records(ranking, RANKING_COLUMNS, MONTHS_DIGITS),
            "district_model": self.district_model.to_dict(),
            "target_scorecard": _records(self.scorecard, SCORECARD_COLUMNS),
            "carry_over_by_law": carry_over_by_law(self.lines),
            "line_status_at_last_report": {
                str(k): int(v)
                for k, v in self.lines["status_at_last_report"].value_counts().sort_index().items()
            },
            "committee_rates": self.committee,
            "published_comparison": self.published[0],
            "published_standing": self.published[1],
            "geography": self.geography,
            "by_project": _projects(
                self.by_project, self.by_subproject, self.dataset.program_components
            ),
        }


def summary_metrics(
    dataset: Dataset, scope: Scope, years: Iterable[int] = DEFAULT_YEARS, lang: str | None = None
) -> dict[str, Any]:
    """The ``metrics.json`` dict of ``scope`` (see :meth:`AssessmentTables.summary`)."""
    return AssessmentTables.build(dataset, scope, years).summary(lang)


def _num(v: Any, digits: int = 3) -> float | None:
    """A JSON-safe float rounded to ``digits`` (None for NaN)."""
    if v is None or pd.isna(v):
        return None
    return round(float(v), digits)


def _by_year(table: pd.DataFrame, column: str) -> dict[str, float | None]:
    return {str(r["plan_year"]): _num(r[column], 4) for r in table.to_dict("records")}


def _amounts(table: pd.DataFrame, key: str, values: Sequence[str]) -> dict[str, dict]:
    idx = table.set_index(key)
    out = {}
    for v in values:
        row = idx.loc[v] if v in idx.index else None
        alloc = float(row["allocated_mvnd"]) if row is not None else 0.0
        disb = float(row["disbursed_last_mvnd"]) if row is not None else 0.0
        deadline = float(row["disbursed_deadline_mvnd"]) if row is not None else 0.0
        out[v] = {
            "allocated_mvnd": _num(alloc),
            "disbursed_mvnd": _num(disb),
            "disbursed_deadline_mvnd": _num(deadline),
            "execution_rate": _num(rate(disb, alloc), 4),
        }
    return out


def _records(frame: pd.DataFrame, columns: Sequence[str], digits: int | None = None) -> list[dict]:
    """Rows as JSON-ready dicts: missing values become None, numpy scalars plain Python,
    floats rounded to ``digits`` when given."""
    out = []
    for rec in frame[[c for c in columns if c in frame]].to_dict("records"):
        row: dict[str, Any] = {}
        for k, v in rec.items():
            if v is None or (not isinstance(v, str) and pd.isna(v)):
                row[k] = None
            elif hasattr(v, "item"):
                row[k] = v.item()
            else:
                row[k] = v
            if digits is not None and isinstance(row[k], float):
                row[k] = round(row[k], digits)
        out.append(row)
    return out


def _projects(
    by_project: pd.DataFrame, by_subproject: pd.DataFrame, components: pd.DataFrame
) -> list[dict]:
    """Each project's row, then its sub-projects' (lines without one are left in the
    project's row only), with the program's names of each."""
    names: dict[tuple[str, str | None], tuple[object, object]] = {}
    for r in components.to_dict("records"):
        sub = r.get("subproject_code")
        key = (
            str(r["project_code"]),
            None if sub is None or pd.isna(sub) or not str(sub) else str(sub),
        )
        names[key] = (r.get("name_vi"), r.get("name_en"))

    def row(r: Mapping[str, Any], sub: str | None) -> dict:
        vi, en = names.get((str(r["project_code"]), sub), (None, None))
        return {
            "project_code": str(r["project_code"]),
            "subproject_code": sub,
            "name_vi": None if vi is None or pd.isna(vi) else str(vi),
            "name_en": None if en is None or pd.isna(en) else str(en),
            "n_lines": int(r["n_lines"]),
            **{c: _num(r[c]) for c in _PROJECT_AMOUNTS},
            "execution_rate_deadline": _num(r["execution_rate_deadline"], 4),
            "execution_rate_last": _num(r["execution_rate_last"], 4),
        }

    out = []
    subs = by_subproject.to_dict("records")
    projects = by_project.to_dict("records")
    for p in sorted(projects, key=lambda r: (len(str(r["project_code"])), str(r["project_code"]))):
        out.append(row(p, None))
        for s in subs:
            sub = s["subproject_code"]
            if s["project_code"] == p["project_code"] and not pd.isna(sub) and str(sub):
                out.append(row(s, str(sub)))
    return out


_PROJECT_AMOUNTS = (
    "allocated_mvnd",
    "disbursed_dec31_mvnd",
    "disbursed_deadline_mvnd",
    "disbursed_last_mvnd",
)


def _year_json(r: Mapping[str, object]) -> dict:
    out: dict[str, Any] = {"plan_year": int(r["plan_year"])}  # type: ignore[call-overload]
    for col in ("allocated_mvnd", "disbursed_dec31_mvnd", "disbursed_deadline_mvnd",
                "disbursed_last_mvnd"):  # fmt: skip
        out[col] = _num(r[col])
    for c in ("dec31", "deadline", "last"):
        out[f"execution_rate_{c}"] = _num(r[f"execution_rate_{c}"], 4)
    out["status"] = str(r["status"])
    return out
