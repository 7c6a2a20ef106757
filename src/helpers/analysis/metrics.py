"""Assessment metrics of the 2021–2025 implementation: plain functions on DataFrames.

Most functions take the **line table** of :func:`helpers.analysis.lines.line_table` (one row per plan
line, with ``amount_mvnd`` and the cumulative disbursement at the three cut-offs), so every
metric measures disbursement the same way:

* ``dec31``: at 31 December of the plan year;
* ``deadline``: at 31 January of the next year, the regular deadline of an annual plan (Law on
  Public Investment 2019 Art. 68; 2024 law Art. 72); a snapshot dated 31 January counts, one
  dated 1 February does not;
* ``last``: at the last report date of the data.

Amounts are million VND (``*_mvnd``); rates and shares are fractions (0.772, not 77.2). A rate
whose denominator is zero is missing (NaN, ``None`` in JSON), never 0: the program assigned
no capital for 2021, and a year without allocation is reported as "no allocation", not as a
0 % execution rate.

Every function copies the DEMO flag of its input (``DataFrame.attrs["demo"]``) onto its output,
so a chart drawn from a metric still knows it comes from synthetic data.

Thresholds marked [K] in ``reference/methods.md`` (PEFA grade bands) are recalled, not confirmed
in a primary source: they are module constants that every function takes as a parameter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from helpers.analysis.lines import cumulative_at, last_report_date, line_table, time_to_share
from helpers.data import schema
from helpers.data.dataset import Dataset
from helpers.data.datasets import Scope

Cutoff = Literal["dec31", "deadline", "last"]
CUTOFFS: tuple[str, ...] = ("dec31", "deadline", "last")
"""The three cut-offs: 31 Dec of the plan year, 31 Jan next year (deadline), last report."""

DEFAULT_YEARS: tuple[int, ...] = (2021, 2022, 2023, 2024, 2025)
"""Phase I of the program. 2021 had no allocation (program approved 14 Oct 2021)."""

PI1_BANDS: Mapping[str, float] = {"A": 0.05, "B": 0.10, "C": 0.15}
"""[K] PEFA 2016 PI-1 bands: largest ``|outturn − 1|`` for each grade (A: 95–105 %,
B: 90–110 %, C: 85–115 %, else D). Bounds are inclusive."""

PI2_BANDS: Mapping[str, float] = {"A": 0.05, "B": 0.10, "C": 0.15}
"""[K] PEFA 2016 PI-2(i) bands: composition variance must be strictly below the value
(A: < 5 %, B: < 10 %, C: < 15 %, else D)."""

PEFA_WINDOW = 3
"""PEFA looks at the last three completed years."""
PEFA_MIN_YEARS = 2
"""A grade needs its condition in at least two of the three years."""

_EPS = 1e-9
"""Tolerance of the grade comparisons (95/100 is not exactly 0.95 in floating point)."""


def _cut(cutoff: str) -> str:
    if cutoff not in CUTOFFS:
        raise ValueError(f"cutoff must be one of {', '.join(CUTOFFS)}; got {cutoff!r}")
    return f"disbursed_{cutoff}_mvnd"


def _rate(num: pd.Series | float, den: pd.Series | float) -> pd.Series | float:
    """num / den, missing (NaN) where den is zero or missing."""
    if isinstance(den, pd.Series):
        return num / den.where(den > 0)
    return float(num) / float(den) if den and den > 0 else float("nan")


def _demo_of(*frames: pd.DataFrame) -> bool:
    return any(bool(f.attrs.get("demo", False)) for f in frames)


def _tag(out: pd.DataFrame, *sources: pd.DataFrame) -> pd.DataFrame:
    out.attrs["demo"] = _demo_of(*sources)
    for s in sources:
        if "as_of" in s.attrs:
            out.attrs["as_of"] = s.attrs["as_of"]
            break
    return out


# --------------------------------------------------------------------------- scope
def scope_unit_codes(units: pd.DataFrame, unit_code: str) -> set[str]:
    """``unit_code`` and every unit below it (districts, communes), following ``parent_code``."""
    parent = dict(zip(units["unit_code"].astype(str), units["parent_code"], strict=True))
    children: dict[str, list[str]] = {}
    for code, par in parent.items():
        if par is not None and not pd.isna(par):
            children.setdefault(str(par), []).append(code)
    found, todo = {str(unit_code)}, [str(unit_code)]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def filter_scope(
    frame: pd.DataFrame, units: pd.DataFrame, unit_code: str, years: Iterable[int] | None = None
) -> pd.DataFrame:
    """Rows of ``frame`` that belong to ``unit_code`` (and, if given, to ``years``).

    Province scope = every unit of the province, including the province's own lines
    (``unit_code`` equal to the province code); a district scope = the district's lines and
    those of its communes.

    Args:
        frame: any frame with ``unit_code`` (allocations, disbursements, targets, lines).
        units: the ``units`` table (``unit_code``, ``parent_code``).
        unit_code: the scope's unit.
        years: plan years to keep (needs a ``plan_year`` column); ``None`` keeps all.
    """
    keep = frame["unit_code"].astype(str).isin(scope_unit_codes(units, unit_code))
    if years is not None:
        keep &= frame["plan_year"].isin(list(years))
    return _tag(frame.loc[keep].copy(), frame)


# --------------------------------------------------------------------------- execution
_AMOUNTS = ("amount_mvnd", "disbursed_dec31_mvnd", "disbursed_deadline_mvnd", "disbursed_last_mvnd")


def execution_by(lines: pd.DataFrame, by: str | Sequence[str]) -> pd.DataFrame:
    """Allocated vs disbursed at the three cut-offs, grouped by ``by``.

    Args:
        lines: line table (:func:`helpers.analysis.lines.line_table`).
        by: grouping column(s), e.g. ``"plan_year"``, ``["plan_year", "capital_type"]``,
            ``"source"``, ``"project_code"``, ``"unit_code"``.

    Returns:
        One row per group: ``by`` columns, ``allocated_mvnd``, ``disbursed_dec31_mvnd``,
        ``disbursed_deadline_mvnd``, ``disbursed_last_mvnd`` and ``execution_rate_dec31``,
        ``execution_rate_deadline``, ``execution_rate_last`` (disbursed / allocated; NaN when
        nothing was allocated). ``n_lines`` counts the plan lines.
    """
    keys = [by] if isinstance(by, str) else list(by)
    g = lines.groupby(keys, dropna=False, sort=True)
    out = g[list(_AMOUNTS)].sum().rename(columns={"amount_mvnd": "allocated_mvnd"})
    out["n_lines"] = g.size()
    for c in CUTOFFS:
        out[f"execution_rate_{c}"] = _rate(out[f"disbursed_{c}_mvnd"], out["allocated_mvnd"])
    return _tag(out.reset_index(), lines)


def execution_at_cutoffs(lines: pd.DataFrame, years: Iterable[int] = DEFAULT_YEARS) -> pd.DataFrame:
    """Execution by plan year at the three cut-offs, one row for every requested year.

    A requested year without any allocation gets ``allocated_mvnd`` 0, missing rates and
    ``status`` ``"no_allocation"`` (never a 0 % rate). ``dec31_observed`` /
    ``deadline_observed`` say whether the data reach 31 Dec / 31 Jan of that vintage; when they
    do not, the amount at that cut-off is the latest one known (``status`` ``"in_progress"``).

    Returns:
        Columns of :func:`execution_by` plus ``dec31_observed``, ``deadline_observed``,
        ``status`` (``"no_allocation"``, ``"in_progress"``, ``"complete"``).
    """
    years = sorted({int(y) for y in years})
    by_year = execution_by(lines, "plan_year").set_index("plan_year")
    out = by_year.reindex(years)
    out.index.name = "plan_year"
    for col in (*_AMOUNTS[1:], "allocated_mvnd", "n_lines"):
        out[col] = out[col].fillna(0)
    out["n_lines"] = out["n_lines"].astype("int64")
    as_of = pd.Timestamp(lines.attrs.get("as_of", pd.Timestamp.max))
    idx = pd.Series(out.index, index=out.index)
    out["dec31_observed"] = pd.to_datetime(idx.astype(str) + "-12-31") <= as_of
    out["deadline_observed"] = pd.to_datetime((idx + 1).astype(str) + "-01-31") <= as_of
    out["status"] = np.where(
        out["allocated_mvnd"] <= 0,
        "no_allocation",
        np.where(out["deadline_observed"], "complete", "in_progress"),
    )
    return _tag(out.reset_index(), lines)


def carry_over_by(lines: pd.DataFrame, by: str | Sequence[str]) -> pd.DataFrame:
    """Capital not disbursed by the deadline: carried over (extended lines) or lapsed.

    For each line whose regular deadline (31 Jan of plan year + 1) is observed:
    ``undisbursed_deadline = amount − disbursed by the deadline`` splits into
    ``carried_over`` (the line was extended, ``extended_until`` set) and
    ``lapsed_at_deadline`` (not extended). The carried-over capital then splits into
    ``carried_over_disbursed`` (disbursed after the deadline, up to the last report),
    ``lapsed_after_extension`` (left when the extension ended) and ``carried_over_open``
    (extension still running at the last report). ``lapsed_mvnd`` =
    ``lapsed_at_deadline + lapsed_after_extension``, as in :func:`helpers.analysis.lines.line_table`.

    Args:
        lines: line table (:func:`helpers.analysis.lines.line_table`).
        by: grouping column(s), e.g. ``"plan_year"``, ``["plan_year", "capital_type"]``,
            ``"unit_code"``.

    Returns:
        ``by``, ``allocated_mvnd``, ``undisbursed_deadline_mvnd``, ``carried_over_mvnd``,
        ``lapsed_at_deadline_mvnd``, ``carried_over_disbursed_mvnd``,
        ``lapsed_after_extension_mvnd``, ``carried_over_open_mvnd``, ``lapsed_mvnd``,
        ``carried_over_disbursed_share`` (of the carried-over capital; NaN when none).
    """
    keys = [by] if isinstance(by, str) else list(by)
    ln = lines.copy()
    observed = ln["deadline_observed"]
    ext = ln["extended"].astype(bool)
    final_passed = ln["line_deadline"] <= pd.Timestamp(lines.attrs.get("as_of", pd.Timestamp.max))
    undisbursed = (ln["amount_mvnd"] - ln["disbursed_deadline_mvnd"]).clip(lower=0)
    zero = pd.Series(0.0, index=ln.index)
    ln["allocated_mvnd"] = ln["amount_mvnd"]
    ln["undisbursed_deadline_mvnd"] = undisbursed.where(observed, 0.0)
    ln["carried_over_mvnd"] = undisbursed.where(observed & ext, 0.0)
    ln["lapsed_at_deadline_mvnd"] = undisbursed.where(observed & ~ext, 0.0)
    later = (ln["disbursed_last_mvnd"] - ln["disbursed_deadline_mvnd"]).clip(lower=0)
    ln["carried_over_disbursed_mvnd"] = later.clip(upper=undisbursed).where(observed & ext, zero)
    remaining = (ln["carried_over_mvnd"] - ln["carried_over_disbursed_mvnd"]).clip(lower=0)
    ln["lapsed_after_extension_mvnd"] = remaining.where(ext & final_passed, 0.0)
    ln["carried_over_open_mvnd"] = remaining.where(ext & ~final_passed, 0.0)
    ln["lapsed_mvnd"] = ln["lapsed_at_deadline_mvnd"] + ln["lapsed_after_extension_mvnd"]
    cols = [
        "allocated_mvnd",
        "undisbursed_deadline_mvnd",
        "carried_over_mvnd",
        "lapsed_at_deadline_mvnd",
        "carried_over_disbursed_mvnd",
        "lapsed_after_extension_mvnd",
        "carried_over_open_mvnd",
        "lapsed_mvnd",
    ]
    out = ln.groupby(keys, dropna=False, sort=True)[cols].sum()
    out["carried_over_disbursed_share"] = _rate(
        out["carried_over_disbursed_mvnd"], out["carried_over_mvnd"]
    )
    return _tag(out.reset_index(), lines)


# --------------------------------------------------------------------------- in-year profile
def _month_end(year: pd.Series | int, month: int) -> pd.Series | pd.Timestamp:
    """Last day of ``month`` of ``year``; month 13 is January of the next year."""
    y_off, m = (1, 1) if month == 13 else (0, month)
    if isinstance(year, pd.Series):
        start = pd.to_datetime((year + y_off).astype(str) + f"-{m:02d}-01")
        return start + pd.offsets.MonthEnd(0)
    return pd.Timestamp(year=int(year) + y_off, month=m, day=1) + pd.offsets.MonthEnd(0)


def monthly_profile(
    lines: pd.DataFrame, disbursements: pd.DataFrame, by: str | None = "plan_year"
) -> pd.DataFrame:
    """Cumulative share of the plan disbursed at each month end of the plan year.

    Month 1..12 are the month ends of the plan year, month 13 is 31 January of the next year
    (the regular deadline). ``share_of_allocated`` = cumulative disbursed / allocated;
    ``linear_share`` = month / 12 (capped at 1): the even pace that disburses the whole plan by
    31 December. ``share_of_deadline`` = cumulative disbursed / disbursed by the deadline: the
    shape of the year regardless of how much was disbursed in the end.

    Args:
        lines: line table (needs ``line_id``, ``plan_year``, ``amount_mvnd``).
        disbursements: the snapshots (``line_id``, ``report_date``, ``disbursed_cum_mvnd``).
        by: ``"plan_year"`` for one profile per vintage, ``None`` for one pooled profile
            (amount-weighted over the vintages whose month end is observed).

    Returns:
        ``plan_year`` (when ``by``), ``month`` (1..13), ``allocated_mvnd``,
        ``disbursed_cum_mvnd``, ``share_of_allocated``, ``share_of_deadline``,
        ``linear_share``. Month ends after the last report are left out.
    """
    as_of = pd.Timestamp(lines.attrs.get("as_of", disbursements["report_date"].max()))
    frames = []
    deadline = (
        lines["disbursed_deadline_mvnd"]
        if "disbursed_deadline_mvnd" in lines
        else (cumulative_at(disbursements, lines["line_id"], _month_end(lines["plan_year"], 13)))
    )
    for month in range(1, 14):
        when = _month_end(lines["plan_year"], month)
        seen = when <= as_of
        if not seen.any():
            continue
        ln = lines.loc[seen]
        frames.append(
            pd.DataFrame(
                {
                    "plan_year": ln["plan_year"].to_numpy(),
                    "month": month,
                    "allocated_mvnd": ln["amount_mvnd"].to_numpy(),
                    "disbursed_cum_mvnd": cumulative_at(
                        disbursements, ln["line_id"], when[seen]
                    ).to_numpy(),
                    "deadline_mvnd": deadline[seen].to_numpy(),
                }
            )
        )
    cols = ["allocated_mvnd", "disbursed_cum_mvnd", "deadline_mvnd"]
    long = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=["plan_year", "month", *cols])
    )
    keys = ["plan_year", "month"] if by else ["month"]
    out = long.groupby(keys, sort=True)[cols].sum().reset_index()
    out["share_of_allocated"] = _rate(out["disbursed_cum_mvnd"], out["allocated_mvnd"])
    out["share_of_deadline"] = _rate(out["disbursed_cum_mvnd"], out["deadline_mvnd"])
    out["linear_share"] = out["month"].clip(upper=12) / 12.0
    return _tag(out.drop(columns="deadline_mvnd"), lines)


def year_end_concentration(lines: pd.DataFrame, disbursements: pd.DataFrame) -> pd.DataFrame:
    """How much of each vintage's disbursement came at the end of the year.

    With ``D(date)`` the cumulative disbursed of the vintage at a date and ``D_dl`` the amount
    at the regular deadline (31 Jan of plan year + 1):

    * ``q4_share = (D(31 Dec) − D(30 Sep)) / D_dl``: share of the year's disbursement made in
      October–December;
    * ``dec_jan_share = (D_dl − D(30 Nov)) / D_dl``: share made in December and the January
      tail.

    Returns:
        ``plan_year``, ``disbursed_deadline_mvnd``, ``q4_mvnd``, ``dec_jan_mvnd``,
        ``q4_share``, ``dec_jan_share`` (NaN when nothing was disbursed by the deadline),
        ``deadline_observed``. Use :func:`concentration_total` for all vintages together.
    """
    ids, py = lines["line_id"], lines["plan_year"]
    d_sep = cumulative_at(disbursements, ids, _month_end(py, 9))
    d_nov = cumulative_at(disbursements, ids, _month_end(py, 11))
    d_dec = cumulative_at(disbursements, ids, _month_end(py, 12))
    d_dl = cumulative_at(disbursements, ids, _month_end(py, 13))
    frame = pd.DataFrame(
        {
            "plan_year": py,
            "disbursed_deadline_mvnd": d_dl,
            "q4_mvnd": d_dec - d_sep,
            "dec_jan_mvnd": d_dl - d_nov,
        }
    )
    out = frame.groupby("plan_year", sort=True).sum()
    out = _shares(out)
    as_of = pd.Timestamp(lines.attrs.get("as_of", disbursements["report_date"].max()))
    out["deadline_observed"] = [_month_end(int(y), 13) <= as_of for y in out.index]
    return _tag(out.reset_index(), lines)


def _shares(frame: pd.DataFrame) -> pd.DataFrame:
    frame["q4_share"] = _rate(frame["q4_mvnd"], frame["disbursed_deadline_mvnd"])
    frame["dec_jan_share"] = _rate(frame["dec_jan_mvnd"], frame["disbursed_deadline_mvnd"])
    return frame


def concentration_total(concentration: pd.DataFrame) -> dict[str, float]:
    """Pooled Q4 and December–January shares over the vintages of
    :func:`year_end_concentration` (amounts summed first, then divided)."""
    tot = concentration[["disbursed_deadline_mvnd", "q4_mvnd", "dec_jan_mvnd"]].sum()
    return {
        "q4_share": _rate(tot["q4_mvnd"], tot["disbursed_deadline_mvnd"]),
        "dec_jan_share": _rate(tot["dec_jan_mvnd"], tot["disbursed_deadline_mvnd"]),
    }


# --------------------------------------------------------------------------- PEFA
@dataclass
class PefaScore:
    """A PEFA-style grade with the yearly values it rests on."""

    grade: str | None
    """"A".."D", or ``None`` when fewer than ``min_years`` completed years have data."""
    table: pd.DataFrame
    """One row per year of the window: the value and the grade of that year alone."""
    years: list[int] = field(default_factory=list)
    note: str = ""


def _completed_years(yearly: pd.DataFrame, window: int) -> list[int]:
    """The last ``window`` plan years with an allocation whose deadline is observed."""
    ok = yearly["allocated_mvnd"] > 0
    if "deadline_observed" in yearly:
        ok &= yearly["deadline_observed"].astype(bool)
    return sorted(yearly.loc[ok, "plan_year"].astype(int))[-window:]


def _yearly(lines: pd.DataFrame, actual: str, extra: Sequence[str] = ()) -> pd.DataFrame:
    cols = {"amount_mvnd": "sum", actual: "sum"}
    if "deadline_observed" in lines:
        cols["deadline_observed"] = "all"
    out = lines.groupby(["plan_year", *extra], sort=True).agg(cols).reset_index()
    return out.rename(columns={"amount_mvnd": "allocated_mvnd", actual: "actual_mvnd"})


def _overall(values: pd.Series, passes, bands: Mapping[str, float], min_years: int) -> str:
    for grade, bound in bands.items():
        if int(sum(passes(v, bound) for v in values)) >= min_years:
            return grade
    return "D"


def _grade_one(value: float, passes, bands: Mapping[str, float]) -> str | None:
    if value is None or pd.isna(value):
        return None
    return next((g for g, b in bands.items() if passes(value, b)), "D")


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
    yearly = _yearly(lines, _cut(cutoff))
    years = _completed_years(yearly, window)
    table = yearly[yearly["plan_year"].isin(years)].copy()
    table["outturn"] = _rate(table["actual_mvnd"], table["allocated_mvnd"])
    table["deviation"] = (table["outturn"] - 1.0).abs()

    def passes(dev: float, bound: float) -> bool:
        return dev <= bound + _EPS

    table["grade"] = [_grade_one(v, passes, bands) for v in table["deviation"]]
    table = _tag(table.reset_index(drop=True), lines)
    if len(years) < min_years:
        return PefaScore(
            None, table, years, f"needs {min_years} completed years; found {len(years)}"
        )
    grade = _overall(table["deviation"], passes, bands, min_years)
    return PefaScore(
        grade, table, years, f"PI-1 on {cutoff} disbursement, years " + ", ".join(map(str, years))
    )


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
    detail = _yearly(lines, _cut(cutoff), [by])
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
    totals["k"] = _rate(totals["actual_mvnd"], totals["allocated_mvnd"])
    detail = detail.merge(totals[["plan_year", "k"]], on="plan_year")
    detail["adjusted_mvnd"] = detail["allocated_mvnd"] * detail["k"]
    detail["abs_dev"] = (detail["actual_mvnd"] - detail["adjusted_mvnd"]).abs()
    sums = detail.groupby("plan_year")[["abs_dev", "adjusted_mvnd"]].sum()
    totals["abs_deviation_mvnd"] = totals["plan_year"].map(sums["abs_dev"]).fillna(0.0)
    adjusted = totals["plan_year"].map(sums["adjusted_mvnd"])
    totals["variance"] = _rate(totals["abs_deviation_mvnd"], adjusted)

    def passes(var: float, bound: float) -> bool:
        return not pd.isna(var) and var < bound - _EPS

    totals["grade"] = [_grade_one(v, passes, bands) for v in totals["variance"]]
    table = _tag(totals.drop(columns=[c for c in ("deadline_observed",) if c in totals]), lines)
    if len(years) < min_years:
        return PefaScore(
            None, table, years, f"needs {min_years} completed years; found {len(years)}"
        )
    grade = _overall(totals["variance"], passes, bands, min_years)
    return PefaScore(
        grade,
        table,
        years,
        f"PI-2(i) by {by} on {cutoff} disbursement, years " + ", ".join(map(str, years)),
    )


# --------------------------------------------------------------------------- targets
TARGET_STATUSES: tuple[str, ...] = ("met", "not_met", "no_data")


def target_status(direction: str, latest: float | None, target: float | None) -> str:
    """``"met"`` when the latest value reaches the target in the indicator's direction.

    higher_better: met when ``latest ≥ target``; lower_better: met when ``latest ≤ target``;
    ``"no_data"`` when either value is missing. Reaching the target counts as met (the shipped
    indicators note where a target is "strictly more than"; the table has no such flag).
    """
    if latest is None or target is None or pd.isna(latest) or pd.isna(target):
        return "no_data"
    if direction == "higher_better":
        return "met" if latest >= target - _EPS else "not_met"
    if direction == "lower_better":
        return "met" if latest <= target + _EPS else "not_met"
    raise ValueError(f"direction must be one of {', '.join(schema.DIRECTIONS)}; got {direction!r}")


def target_scorecard(
    targets: pd.DataFrame, unit_code: str | None = None, up_to_year: int | None = None
) -> pd.DataFrame:
    """Per indicator: baseline, target, latest actual, progress ratio and status.

    ``latest`` is the actual value of the latest year with a value (up to ``up_to_year``);
    ``progress_ratio = (latest − baseline) / (target − baseline)`` (1 = target reached, above
    1 = exceeded, negative = moved away; NaN when baseline is missing or equals the target);
    ``status`` from :func:`target_status` — computed, never typed in.

    Args:
        targets: the ``targets`` table.
        unit_code: keep this unit's rows only (``None``: all rows; each unit is scored).
        up_to_year: ignore actual values after this year.

    Returns:
        One row per (unit_code, indicator_code): ``name_vi``, ``name_en``, ``unit``,
        ``direction``, ``baseline_value``, ``target_value``, ``latest_value``,
        ``latest_year``, ``progress_ratio``, ``status``.
    """
    t = (
        targets
        if unit_code is None
        else targets[targets["unit_code"].astype(str) == str(unit_code)]
    )
    if up_to_year is not None:
        t = t[t["year"] <= up_to_year]
    keys = ["unit_code", "indicator_code"]
    info = (
        t.sort_values("year")
        .groupby(keys, sort=True)
        .agg(
            name_vi=("name_vi", "last"),
            name_en=("name_en", "last"),
            unit=("unit", "last"),
            direction=("direction", "last"),
            baseline_value=("baseline_value", "last"),
            target_value=("target_value", "last"),
        )
    )
    with_value = t[t["actual_value"].notna()].sort_values("year")
    latest = with_value.groupby(keys).agg(
        latest_value=("actual_value", "last"), latest_year=("year", "last")
    )
    out = info.join(latest, how="left").reset_index()
    out["latest_year"] = out["latest_year"].astype("Int64")
    span = out["target_value"] - out["baseline_value"]
    out["progress_ratio"] = (out["latest_value"] - out["baseline_value"]) / span.where(
        span.abs() > _EPS
    )
    out["status"] = [
        target_status(d, v, g)
        for d, v, g in zip(out["direction"], out["latest_value"], out["target_value"], strict=True)
    ]
    return _tag(out, targets)


def targets_met(scorecard: pd.DataFrame) -> dict[str, int]:
    """Counts for "N of M targets met": ``met``, ``not_met``, ``no_data``, ``total`` (= M)."""
    counts = scorecard["status"].value_counts()
    out = {s: int(counts.get(s, 0)) for s in TARGET_STATUSES}
    out["total"] = int(len(scorecard))
    return out


# --------------------------------------------------------------------------- timing
def months_to_share(
    lines: pd.DataFrame, disbursements: pd.DataFrame, share: float = 0.5
) -> pd.Series:
    """Months from each line's decision to the first report with ``share`` of it disbursed.

    Months are days / 30.4375 (:mod:`helpers.data.deadlines`), counted from ``decision_date`` to the
    first ``report_date`` whose cumulative disbursed is at least ``share × amount_mvnd``
    (reports are monthly, so this is the month end by which the share was reached): the event
    times of :func:`helpers.analysis.lines.time_to_share`. NaN when the share was never reached
    by the last report, or the line has no amount.

    Returns:
        Float Series aligned with ``lines`` (same index).
    """
    times = time_to_share(lines, disbursements, share, last_report_date(disbursements))
    reached = times["reached"].astype(bool) & (lines["amount_mvnd"] > 0)
    return times["time_months"].where(reached).astype("float64")


def median_months(months: pd.Series) -> float:
    """Median of :func:`months_to_share`, counting lines that never got there as infinitely
    late: NaN when half or more of the lines never reached the share."""
    if len(months) == 0:
        return float("nan")
    m = float(np.median(months.fillna(np.inf)))
    return m if np.isfinite(m) else float("nan")


def district_comparison(
    lines: pd.DataFrame,
    disbursements: pd.DataFrame,
    units: pd.DataFrame,
    province_code: str,
    cutoff: Cutoff = "deadline",
    share: float = 0.5,
) -> pd.DataFrame:
    """Execution rate and timing per district, ranked, with the province as reference.

    Each line belongs to the district it or its parent commune sits in; province-level lines
    count only in the province row. ``execution_rate`` = disbursed at ``cutoff`` / allocated;
    ``median_months_to_50`` = :func:`median_months` of :func:`months_to_share` (``share``).
    ``rank`` 1 = highest execution rate (ties share the best rank).
    ``vs_province_pp`` = (district rate − province rate) × 100, in percentage points.

    Returns:
        One row per district (ranked), then one row with ``level`` "province" (no rank):
        ``unit_code``, ``name_vi``, ``name_en``, ``level``, ``allocated_mvnd``,
        ``disbursed_mvnd``, ``execution_rate``, ``median_months_to_50``, ``rank``,
        ``vs_province_pp``.
    """
    col = _cut(cutoff)
    u = units.assign(unit_code=units["unit_code"].astype(str))
    districts = u[
        (u["level"] == "district") & (u["parent_code"].astype("string") == str(province_code))
    ]
    owner: dict[str, str] = {}
    for code in districts["unit_code"]:
        for member in scope_unit_codes(u, code):
            owner[member] = code
    ln = lines.assign(
        _district=lines["unit_code"].astype(str).map(owner),
        _months=months_to_share(lines, disbursements, share),
    )
    rows = []
    for d in districts.itertuples():
        part = ln[ln["_district"] == d.unit_code]
        rows.append(
            {
                "unit_code": d.unit_code,
                "name_vi": d.name_vi,
                "name_en": d.name_en,
                "level": "district",
                "allocated_mvnd": part["amount_mvnd"].sum(),
                "disbursed_mvnd": part[col].sum(),
                "median_months_to_50": median_months(part["_months"]),
            }
        )
    prov = u[u["unit_code"] == str(province_code)].iloc[0]
    rows.append(
        {
            "unit_code": str(province_code),
            "name_vi": prov["name_vi"],
            "name_en": prov["name_en"],
            "level": "province",
            "allocated_mvnd": ln["amount_mvnd"].sum(),
            "disbursed_mvnd": ln[col].sum(),
            "median_months_to_50": median_months(ln["_months"]),
        }
    )
    out = pd.DataFrame(rows)
    out["execution_rate"] = _rate(out["disbursed_mvnd"], out["allocated_mvnd"])
    is_d = out["level"] == "district"
    out["rank"] = out["execution_rate"].where(is_d).rank(ascending=False, method="min")
    out["rank"] = out["rank"].astype("Int64")
    prov_rate = out.loc[~is_d, "execution_rate"].iloc[0]
    out["vs_province_pp"] = (out["execution_rate"] - prov_rate) * 100
    out = pd.concat(
        [out[is_d].sort_values(["rank", "unit_code"], na_position="last"), out[~is_d]],
        ignore_index=True,
    )
    cols = [
        "unit_code",
        "name_vi",
        "name_en",
        "level",
        "allocated_mvnd",
        "disbursed_mvnd",
        "execution_rate",
        "median_months_to_50",
        "rank",
        "vs_province_pp",
    ]
    return _tag(out[cols], lines)


# --------------------------------------------------------------------------- summary
def _num(v: object, digits: int = 3) -> float | None:
    """A JSON-safe float rounded to ``digits`` (None for NaN)."""
    if v is None or pd.isna(v):
        return None
    return round(float(v), digits)


def _amounts(table: pd.DataFrame, key: str, values: Sequence[str]) -> dict[str, dict]:
    idx = table.set_index(key)
    out = {}
    for v in values:
        row = idx.loc[v] if v in idx.index else None
        alloc = float(row["allocated_mvnd"]) if row is not None else 0.0
        disb = float(row["disbursed_last_mvnd"]) if row is not None else 0.0
        out[v] = {
            "allocated_mvnd": _num(alloc),
            "disbursed_mvnd": _num(disb),
            "disbursed_deadline_mvnd": _num(
                row["disbursed_deadline_mvnd"] if row is not None else 0.0
            ),
            "execution_rate": _num(_rate(disb, alloc), 4),
        }
    return out


def summary_metrics(
    dataset: Dataset, scope: Scope, years: Iterable[int] = DEFAULT_YEARS, lang: str | None = None
) -> dict:
    """The ``metrics.json`` dict of an assessment (amounts million VND, rates fractions).

    Args:
        dataset: the validated dataset.
        scope: a :class:`helpers.data.datasets.Scope` (``code``, ``level``, ``name_vi``,
            ``name_en``, ``is_province``).
        years: plan years covered (default 2021–2025).
        lang: language of the run (recorded only).

    Returns:
        The contract keys ``scope``, ``demo``, ``allocated_mvnd``, ``disbursed_mvnd`` (at the
        last report), ``by_year`` (``plan_year``, ``allocated_mvnd``, ``disbursed_dec31_mvnd``,
        ``disbursed_deadline_mvnd``, ``disbursed_last_mvnd``, rates, ``status``),
        ``by_capital_type`` and ``by_source`` (keyed objects with ``allocated_mvnd`` and
        ``disbursed_mvnd``; ``by_capital_type[k]["by_source"]`` splits a type by source),
        ``pefa_aggregate_grade``, ``pefa_composition_grade``, ``targets_met``,
        ``targets_total``, plus provenance, cut-off rates, carry-over, timing and ranking keys.
    """
    years = sorted({int(y) for y in years})
    prov = dataset.province_code
    alloc = filter_scope(dataset.allocations, dataset.units, scope.code, years)
    lines = line_table(
        alloc, dataset.disbursements, as_of=dataset.disbursements["report_date"].max()
    )
    lines.attrs["demo"] = dataset.demo
    allocated = float(lines["amount_mvnd"].sum())
    by_year = execution_at_cutoffs(lines, years)
    by_type = execution_by(lines, "capital_type")
    by_src = execution_by(lines, "source")
    by_type_src = execution_by(lines, ["capital_type", "source"])
    carry = carry_over_by(lines.assign(_all=1), "_all")
    conc = concentration_total(year_end_concentration(lines, dataset.disbursements))
    pi1 = pefa_aggregate_outturn(lines)
    pi2 = pefa_composition_variance(lines, by="project_code")
    card = target_scorecard(dataset.targets, scope.code, up_to_year=max(years))
    counts = targets_met(card)
    all_lines = line_table(
        filter_scope(dataset.allocations, dataset.units, prov, years),
        dataset.disbursements,
        as_of=dataset.disbursements["report_date"].max(),
    )
    ranking = district_comparison(all_lines, dataset.disbursements, dataset.units, prov)
    me = ranking[ranking["unit_code"] == scope.code]

    def total(col: str) -> float:
        return float(lines[col].sum())

    carry_row = carry.iloc[0] if len(carry) else pd.Series(dtype=float)
    by_type_json = _amounts(by_type, "capital_type", schema.CAPITAL_TYPES)
    for ctype in schema.CAPITAL_TYPES:
        part = by_type_src[by_type_src["capital_type"] == ctype]
        by_type_json[ctype]["by_source"] = _amounts(part, "source", schema.SOURCES)
    return {
        "scope": "province" if scope.is_province else scope.code,
        "unit_code": scope.code,
        "scope_level": scope.level,
        "scope_name_vi": scope.name_vi,
        "scope_name_en": scope.name_en,
        "province_code": prov,
        "demo": bool(dataset.demo),
        "data_origin": dataset.origin,
        "data_sha256": dataset.sha256,
        "lang": lang,
        "as_of": pd.Timestamp(lines.attrs["as_of"]).date().isoformat(),
        "years": years,
        "years_with_allocation": [
            int(y) for y in by_year.loc[by_year["status"] != "no_allocation", "plan_year"]
        ],
        "allocated_mvnd": _num(allocated),
        "disbursed_mvnd": _num(total("disbursed_last_mvnd")),
        "disbursed_dec31_mvnd": _num(total("disbursed_dec31_mvnd")),
        "disbursed_deadline_mvnd": _num(total("disbursed_deadline_mvnd")),
        "execution_rate_dec31": _num(_rate(total("disbursed_dec31_mvnd"), allocated), 4),
        "execution_rate_deadline": _num(_rate(total("disbursed_deadline_mvnd"), allocated), 4),
        "execution_rate_last": _num(_rate(total("disbursed_last_mvnd"), allocated), 4),
        "by_year": [_year_json(r) for r in by_year.to_dict("records")],
        "by_capital_type": by_type_json,
        "by_source": _amounts(by_src, "source", schema.SOURCES),
        "carried_over_mvnd": _num(carry_row.get("carried_over_mvnd", 0.0)),
        "carried_over_disbursed_mvnd": _num(carry_row.get("carried_over_disbursed_mvnd", 0.0)),
        "carried_over_disbursed_share": _num(carry_row.get("carried_over_disbursed_share"), 4),
        "carried_over_open_mvnd": _num(carry_row.get("carried_over_open_mvnd", 0.0)),
        "lapsed_mvnd": _num(carry_row.get("lapsed_mvnd", 0.0)),
        "q4_share": _num(conc["q4_share"], 4),
        "dec_jan_share": _num(conc["dec_jan_share"], 4),
        "pefa_aggregate_grade": pi1.grade,
        "pefa_aggregate_years": pi1.years,
        "pefa_aggregate_outturn": {
            str(r["plan_year"]): _num(r["outturn"], 4) for r in pi1.table.to_dict("records")
        },
        "pefa_composition_grade": pi2.grade,
        "pefa_composition_by": "project_code",
        "pefa_composition_variance": {
            str(r["plan_year"]): _num(r["variance"], 4) for r in pi2.table.to_dict("records")
        },
        "targets_met": counts["met"],
        "targets_not_met": counts["not_met"],
        "targets_no_data": counts["no_data"],
        "targets_total": counts["total"],
        "median_months_to_50": _num(me["median_months_to_50"].iloc[0], 2) if len(me) else None,
        "district_rank": (
            int(me["rank"].iloc[0]) if len(me) and not pd.isna(me["rank"].iloc[0]) else None
        ),
        "districts_ranked": int(ranking["rank"].notna().sum()),
        "province_execution_rate_deadline": _num(
            ranking.loc[ranking["level"] == "province", "execution_rate"].iloc[0], 4
        ),
        "district_ranking": _records(
            ranking,
            [
                "unit_code",
                "name_vi",
                "name_en",
                "level",
                "execution_rate",
                "median_months_to_50",
                "rank",
            ],
        ),
        "target_scorecard": _records(
            card,
            [
                "indicator_code",
                "name_vi",
                "name_en",
                "unit",
                "direction",
                "baseline_value",
                "target_value",
                "latest_value",
                "latest_year",
                "progress_ratio",
                "status",
            ],
        ),
    }


def _records(frame: pd.DataFrame, columns: Sequence[str]) -> list[dict]:
    """Rows as JSON-ready dicts: missing values become None, numpy scalars plain Python."""
    out = []
    for rec in frame[[c for c in columns if c in frame]].to_dict("records"):
        row = {}
        for k, v in rec.items():
            if v is None or (not isinstance(v, str) and pd.isna(v)):
                row[k] = None
            elif hasattr(v, "item"):
                row[k] = v.item()
            else:
                row[k] = v
        out.append(row)
    return out


def _year_json(r: Mapping[str, object]) -> dict:
    return {
        "plan_year": int(r["plan_year"]),
        "allocated_mvnd": _num(r["allocated_mvnd"]),
        "disbursed_dec31_mvnd": _num(r["disbursed_dec31_mvnd"]),
        "disbursed_deadline_mvnd": _num(r["disbursed_deadline_mvnd"]),
        "disbursed_last_mvnd": _num(r["disbursed_last_mvnd"]),
        "execution_rate_dec31": _num(r["execution_rate_dec31"], 4),
        "execution_rate_deadline": _num(r["execution_rate_deadline"], 4),
        "execution_rate_last": _num(r["execution_rate_last"], 4),
        "status": str(r["status"]),
    }


__all__ = [
    "CUTOFFS",
    "DEFAULT_YEARS",
    "PI1_BANDS",
    "PI2_BANDS",
    "PefaScore",
    "carry_over_by",
    "concentration_total",
    "district_comparison",
    "execution_at_cutoffs",
    "execution_by",
    "filter_scope",
    "median_months",
    "monthly_profile",
    "months_to_share",
    "pefa_aggregate_outturn",
    "pefa_composition_variance",
    "scope_unit_codes",
    "summary_metrics",
    "target_scorecard",
    "target_status",
    "targets_met",
    "year_end_concentration",
]
