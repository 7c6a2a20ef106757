"""Allocated against disbursed at the three cut-offs, carry-over and lapse, in-year profile.

Functions take the line table of :func:`helpers.analysis.lines.line_table` (one row per plan
line, with ``amount_mvnd`` and the cumulative disbursement at the cut-offs), so every table
measures disbursement the same way: ``dec31`` (31 December of the plan year), ``deadline``
(31 January of the next year, the regular deadline; a snapshot dated 31 January counts, one
dated 1 February does not) and ``last`` (the last report). Amounts are million VND, rates
fractions (0.772, not 77.2).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from helpers.analysis.frames import CUTOFFS, rate, tag
from helpers.analysis.lines import CARRY_OVER_COLUMNS, cumulative_at
from helpers.data.deadlines import regular_deadline, year_end

DEFAULT_YEARS: tuple[int, ...] = (2021, 2022, 2023, 2024, 2025)
"""Phase I of the program. 2021 had no allocation (program approved 14 Oct 2021)."""

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
        out[f"execution_rate_{c}"] = rate(out[f"disbursed_{c}_mvnd"], out["allocated_mvnd"])
    return tag(out.reset_index(), lines)


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
    out["dec31_observed"] = year_end(idx) <= as_of
    out["deadline_observed"] = regular_deadline(idx) <= as_of
    out["status"] = np.where(
        out["allocated_mvnd"] <= 0,
        "no_allocation",
        np.where(out["deadline_observed"], "complete", "in_progress"),
    )
    return tag(out.reset_index(), lines)


def carry_over_by(lines: pd.DataFrame, by: str | Sequence[str]) -> pd.DataFrame:
    """Capital not disbursed by the deadline: carried over (extended lines) or lapsed.

    For each line whose regular deadline (31 Jan of plan year + 1) is observed:
    ``undisbursed_deadline = amount − disbursed by the deadline`` splits into
    ``carried_over`` (the line was extended, ``extended_until`` set) and
    ``lapsed_at_deadline`` (not extended). The carried-over capital then splits into
    ``carried_over_disbursed`` (disbursed after the deadline, up to the last report),
    ``lapsed_after_extension`` (left when the extension ended) and ``carried_over_open``
    (extension still running at the last report). ``lapsed_mvnd`` =
    ``lapsed_at_deadline + lapsed_after_extension``. The per-line amounts are defined once, in
    :func:`helpers.analysis.lines.carry_over_columns`; this sums them (a line whose deadline is
    not yet observed adds nothing).

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
    cols = ["amount_mvnd", *CARRY_OVER_COLUMNS]
    out = lines.groupby(keys, dropna=False, sort=True)[cols].sum()
    out = out.rename(columns={"amount_mvnd": "allocated_mvnd"})
    out["carried_over_disbursed_share"] = rate(
        out["carried_over_disbursed_mvnd"], out["carried_over_mvnd"]
    )
    return tag(out.reset_index(), lines)


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
    out["share_of_allocated"] = rate(out["disbursed_cum_mvnd"], out["allocated_mvnd"])
    out["share_of_deadline"] = rate(out["disbursed_cum_mvnd"], out["deadline_mvnd"])
    out["linear_share"] = out["month"].clip(upper=12) / 12.0
    return tag(out.drop(columns="deadline_mvnd"), lines)


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
    return tag(out.reset_index(), lines)


def _shares(frame: pd.DataFrame) -> pd.DataFrame:
    frame["q4_share"] = rate(frame["q4_mvnd"], frame["disbursed_deadline_mvnd"])
    frame["dec_jan_share"] = rate(frame["dec_jan_mvnd"], frame["disbursed_deadline_mvnd"])
    return frame


def concentration_total(concentration: pd.DataFrame) -> dict[str, float]:
    """Pooled Q4 and December–January shares over the vintages of
    :func:`year_end_concentration` (amounts summed first, then divided)."""
    tot = concentration[["disbursed_deadline_mvnd", "q4_mvnd", "dec_jan_mvnd"]].sum()
    return {
        "q4_share": rate(tot["q4_mvnd"], tot["disbursed_deadline_mvnd"]),
        "dec_jan_share": rate(tot["dec_jan_mvnd"], tot["disbursed_deadline_mvnd"]),
    }
