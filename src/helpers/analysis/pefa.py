"""PEFA-style budget-credibility grades of the program's capital: PI-1 and PI-2(i).

PEFA compares outturn with the **originally approved** budget. A plan line may carry its
originally approved amount (``approved_mvnd``); where it does, that is the baseline, elsewhere
the line's final amount is (and :attr:`PefaScore.baseline` says which). A grade computed from
fewer than three completed years is provisional. PI-2(i)'s bands are confirmed on pefa.org (less
than 5/10/15 % in at least two of the last three years); PI-1's bands [K] are recalled from the
PEFA 2016 framework, not confirmed in a primary source. Both are module constants that every
function takes as a parameter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from helpers.analysis.frames import EPS, Cutoff, cut_column, rate, tag

PI1_BANDS: Mapping[str, float] = {"A": 0.05, "B": 0.10, "C": 0.15}
"""[K] PEFA 2016 PI-1 bands: largest ``|outturn − 1|`` for each grade (A: 95–105 %,
B: 90–110 %, C: 85–115 %, else D). Bounds are inclusive."""

PI2_BANDS: Mapping[str, float] = {"A": 0.05, "B": 0.10, "C": 0.15}
"""PEFA 2016 PI-2(i) bands (confirmed, pefa.org): composition variance strictly below the value
in at least two of the last three years (A: < 5 %, B: < 10 %, C: < 15 %, else D)."""

PEFA_WINDOW = 3
"""PEFA looks at the last three completed years."""
PEFA_MIN_YEARS = 2
"""A grade needs its condition in at least two of the three years."""


@dataclass
class PefaScore:
    """A PEFA-style grade with the yearly values it rests on."""

    grade: str | None
    """"A".."D", or ``None`` when fewer than ``min_years`` completed years have data."""
    table: pd.DataFrame
    """One row per year of the window: the value and the grade of that year alone."""
    years: list[int] = field(default_factory=list)
    note: str = ""
    baseline: str = "allocated"
    """What outturn is compared with: ``"approved"`` (every line's originally approved
    amount), ``"approved_partly"`` (some lines'), or ``"allocated"`` (final amounts)."""

    @property
    def provisional(self) -> bool:
        """Graded on fewer than :data:`PEFA_WINDOW` completed years."""
        return len(self.years) < PEFA_WINDOW


def baseline_kind(lines: pd.DataFrame) -> str:
    """Which baseline :func:`baseline_amounts` gives for these lines (see :class:`PefaScore`)."""
    if "approved_mvnd" not in lines or lines["approved_mvnd"].isna().all():
        return "allocated"
    return "approved" if lines["approved_mvnd"].notna().all() else "approved_partly"


def baseline_amounts(lines: pd.DataFrame) -> pd.Series:
    """Each line's originally approved amount where given, else its amount."""
    if "approved_mvnd" not in lines:
        return lines["amount_mvnd"]
    return lines["approved_mvnd"].fillna(lines["amount_mvnd"])


def _completed_years(yearly: pd.DataFrame, window: int) -> list[int]:
    """The last ``window`` plan years with an allocation whose deadline is observed."""
    ok = yearly["allocated_mvnd"] > 0
    if "deadline_observed" in yearly:
        ok &= yearly["deadline_observed"].astype(bool)
    return sorted(yearly.loc[ok, "plan_year"].astype(int))[-window:]


def _yearly(lines: pd.DataFrame, actual: str, extra: Sequence[str] = ()) -> pd.DataFrame:
    """Baseline (``allocated_mvnd``: the originally approved amounts where given) and actual
    disbursement by plan year (and ``extra`` categories)."""
    frame = lines.assign(_baseline=baseline_amounts(lines))
    cols = {"_baseline": "sum", actual: "sum"}
    if "deadline_observed" in lines:
        cols["deadline_observed"] = "all"
    out = frame.groupby(["plan_year", *extra], sort=True).agg(cols).reset_index()
    return out.rename(columns={"_baseline": "allocated_mvnd", actual: "actual_mvnd"})


def _overall(values: pd.Series, passes, bands: Mapping[str, float], min_years: int) -> str:
    for grade, bound in bands.items():
        if int(sum(passes(v, bound) for v in values)) >= min_years:
            return grade
    return "D"


def _grade_one(value: float, passes, bands: Mapping[str, float]) -> str | None:
    if value is None or pd.isna(value):
        return None
    return next((g for g, b in bands.items() if passes(value, b)), "D")


def _score(
    table: pd.DataFrame,
    column: str,
    passes: Callable[[float, float], bool],
    bands: Mapping[str, float],
    years: list[int],
    min_years: int,
    note: str,
    lines: pd.DataFrame,
) -> PefaScore:
    """Grade each year's ``column`` and the window as a whole (``None`` with too few years)."""
    table["grade"] = [_grade_one(v, passes, bands) for v in table[column]]
    table = tag(table.reset_index(drop=True), lines)
    baseline = baseline_kind(lines)
    if len(years) < min_years:
        return PefaScore(
            None, table, years, f"needs {min_years} completed years; found {len(years)}", baseline
        )
    grade = _overall(table[column], passes, bands, min_years)
    return PefaScore(grade, table, years, note, baseline)


def pefa_aggregate_outturn(
    lines: pd.DataFrame,
    cutoff: Cutoff = "deadline",
    bands: Mapping[str, float] = PI1_BANDS,
    window: int = PEFA_WINDOW,
    min_years: int = PEFA_MIN_YEARS,
) -> PefaScore:
    """PEFA 2016 PI-1 (aggregate expenditure outturn), applied to the program's capital.

    For each plan year *t*: ``outturn_t = actual_t / allocated_t``, with ``actual`` the
    capital disbursed at ``cutoff`` (default: by the regular deadline, 31 Jan of *t* + 1, the
    legal window of an annual plan) and ``allocated`` the capital assigned to the vintage.
    Over the last ``window`` completed years (allocation > 0, deadline observed), the grade is
    the best one whose band holds in at least ``min_years`` years:

    * A: 0.95 ≤ outturn ≤ 1.05; B: 0.90 ≤ outturn ≤ 1.10; C: 0.85 ≤ outturn ≤ 1.15; else D.

    [K] The band widths (``bands``: largest ``|outturn − 1|`` per grade, inclusive) are
    recalled from PEFA 2016, not confirmed in a primary source; pass other values if needed.

    Returns:
        :class:`PefaScore` whose table has ``plan_year``, ``allocated_mvnd``, ``actual_mvnd``,
        ``outturn``, ``deviation`` (``|outturn − 1|``), ``grade``; ``grade`` is ``None``
        when fewer than ``min_years`` completed years exist.
    """
    yearly = _yearly(lines, cut_column(cutoff))
    years = _completed_years(yearly, window)
    table = yearly[yearly["plan_year"].isin(years)].copy()
    table["outturn"] = rate(table["actual_mvnd"], table["allocated_mvnd"])
    table["deviation"] = (table["outturn"] - 1.0).abs()

    def passes(dev: float, bound: float) -> bool:
        return dev <= bound + EPS

    note = f"PI-1 on {cutoff} disbursement, years " + ", ".join(map(str, years))
    return _score(table, "deviation", passes, bands, years, min_years, note, lines)


def pefa_composition_variance(
    lines: pd.DataFrame,
    by: str = "project_code",
    cutoff: Cutoff = "deadline",
    bands: Mapping[str, float] = PI2_BANDS,
    window: int = PEFA_WINDOW,
    min_years: int = PEFA_MIN_YEARS,
) -> PefaScore:
    """PEFA 2016 PI-2(i) (expenditure composition outturn) by ``by`` (project or district).

    For each plan year *t*, with categories *i* (e.g. projects DA1..DA10):

    * ``k_t = Σ_i actual_i / Σ_i allocated_i`` (the aggregate outturn);
    * ``adjusted_i = allocated_i × k_t`` (the allocation scaled to the actual total);
    * ``variance_t = Σ_i |actual_i − adjusted_i| / Σ_i adjusted_i``.

    Over the last ``window`` completed years the grade is the best one whose bound holds in at
    least ``min_years`` years: A: variance < 5 %; B: < 10 %; C: < 15 %; else D.
    A year in which nothing was disbursed has no variance (NaN) and cannot pass.

    [K] The bounds (``bands``, strict) are recalled from PEFA 2016, not confirmed in a
    primary source; pass other values if needed.

    Returns:
        :class:`PefaScore` whose table has ``plan_year``, ``allocated_mvnd``, ``actual_mvnd``,
        ``k``, ``abs_deviation_mvnd`` (Σ |actual − adjusted|), ``variance``, ``grade``.
    """
    detail = _yearly(lines, cut_column(cutoff), [by])
    totals = (
        detail.groupby("plan_year")
        .agg(
            allocated_mvnd=("allocated_mvnd", "sum"),
            actual_mvnd=("actual_mvnd", "sum"),
            **(
                {"deadline_observed": ("deadline_observed", "all")}
                if "deadline_observed" in detail
                else {}
            ),
        )
        .reset_index()
    )
    years = _completed_years(totals, window)
    totals = totals[totals["plan_year"].isin(years)].reset_index(drop=True)
    totals["k"] = rate(totals["actual_mvnd"], totals["allocated_mvnd"])
    detail = detail.merge(totals[["plan_year", "k"]], on="plan_year")
    detail["adjusted_mvnd"] = detail["allocated_mvnd"] * detail["k"]
    detail["abs_dev"] = (detail["actual_mvnd"] - detail["adjusted_mvnd"]).abs()
    sums = detail.groupby("plan_year")[["abs_dev", "adjusted_mvnd"]].sum()
    totals["abs_deviation_mvnd"] = totals["plan_year"].map(sums["abs_dev"]).fillna(0.0)
    adjusted = totals["plan_year"].map(sums["adjusted_mvnd"])
    totals["variance"] = rate(totals["abs_deviation_mvnd"], adjusted)

    def passes(var: float, bound: float) -> bool:
        return not pd.isna(var) and var < bound - EPS

    totals = totals.drop(columns=[c for c in ("deadline_observed",) if c in totals])
    note = f"PI-2(i) by {by} on {cutoff} disbursement, years " + ", ".join(map(str, years))
    return _score(totals, "variance", passes, bands, years, min_years, note, lines)
