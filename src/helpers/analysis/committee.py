"""Disbursement rates as provincial committees publish them, beside the by-vintage view.

Provinces report "disbursed / plan", where a year's plan often includes capital carried over
from earlier years and phase figures are cumulative. Each convention has an id:

* ``by_vintage``: the lines of one plan year, disbursed by a date (the workbench's own view);
* ``year_plan_with_carry_over``: a year's allocation plus what earlier vintages had not
  disbursed by 31 December of the year before and whose legal deadline runs past 31 January
  of the year (extended or carried over), and what of that plan was disbursed by the date
  (at most 31 December of the year);
* ``phase_cumulative``: every line of the phase's plan years up to the date's year assigned by
  the date, against all they had disbursed by the date;
* ``phase_total``: every line of the phase, allocated only (no date).

Each returns one row per capital type (state-budget capital: central and local) and a
``total`` row (every source). Amounts million VND, rates fractions.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

import pandas as pd

from helpers.analysis.frames import rate
from helpers.analysis.lines import cumulative_at
from helpers.data import reference, schema

CONVENTIONS: tuple[str, ...] = (
    "by_vintage",
    "year_plan_with_carry_over",
    "phase_cumulative",
    "phase_total",
)
"""The ids of the conventions."""

PARTS: tuple[str, ...] = (*schema.CAPITAL_TYPES, "total")


BUDGET_SOURCES: tuple[str, ...] = ("central", "local")
"""Investment / recurrent (đầu tư / sự nghiệp) classify state-budget capital only: the rows by
capital type count central and local lines; credit and other mobilised capital (which the data
file as investment, the enum having no third value) count in the total only."""


def _kind(lines: pd.DataFrame) -> pd.Series:
    """A line's capital type when it is state-budget capital, else ``mobilised``."""
    budget = lines["source"].isin(BUDGET_SOURCES)
    return lines["capital_type"].astype(str).where(budget, "mobilised")


def _by_type(capital_type: pd.Series, allocated: pd.Series, disbursed: pd.Series) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "capital_type": capital_type.astype(str).to_numpy(),
            "allocated_mvnd": allocated.to_numpy(dtype=float),
            "disbursed_mvnd": disbursed.to_numpy(dtype=float),
        }
    )
    sums = frame.groupby("capital_type")[["allocated_mvnd", "disbursed_mvnd"]].sum()
    out = sums.reindex(list(schema.CAPITAL_TYPES), fill_value=0.0)
    out.loc["total"] = sums.sum()
    out["rate"] = rate(out["disbursed_mvnd"], out["allocated_mvnd"])
    out.index.name = "capital_type"
    return out


def by_vintage(
    lines: pd.DataFrame, disbursements: pd.DataFrame, plan_year: int, as_of: pd.Timestamp
) -> pd.DataFrame:
    """The lines of ``plan_year`` against what they had disbursed by ``as_of``."""
    sel = lines[lines["plan_year"] == int(plan_year)]
    done = cumulative_at(disbursements, sel["line_id"], pd.Timestamp(as_of))
    return _by_type(_kind(sel), sel["amount_mvnd"], done)


def year_plan_with_carry_over(
    lines: pd.DataFrame,
    disbursements: pd.DataFrame,
    year: int,
    as_of: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """A year's plan including carry-over, and what of it was disbursed within the year.

    The year's own lines count their whole amount (when assigned by the date) and their
    cumulative disbursement at the date. An earlier vintage counts when its
    ``legal_deadline`` is after 31 January of ``year``: its amount not disbursed by
    31 December of ``year − 1``, and what it disbursed from then to the date (capped at its
    legal deadline and at that amount). The date is ``as_of``, at most 31 December of
    ``year`` (default that day).

    Args:
        lines: line table with ``legal_deadline`` (:func:`helpers.analysis.lines.line_table`).
        disbursements: the snapshots.
        year: the plan year.
        as_of: the date of the rate.
    """
    end = pd.Timestamp(year=int(year), month=12, day=31)
    when = end if as_of is None else min(pd.Timestamp(as_of), end)
    own = lines[(lines["plan_year"] == int(year)) & (lines["decision_date"] <= when)]
    own_done = cumulative_at(disbursements, own["line_id"], when)
    tail = pd.Timestamp(year=int(year), month=1, day=31)
    old = lines[(lines["plan_year"] < int(year)) & (lines["legal_deadline"] > tail)]
    start = pd.Timestamp(year=int(year) - 1, month=12, day=31)
    at_start = cumulative_at(disbursements, old["line_id"], start)
    left = (old["amount_mvnd"] - at_start).clip(lower=0)
    stop = old["legal_deadline"].where(old["legal_deadline"] < when, when)
    later = cumulative_at(disbursements, old["line_id"], stop) - at_start
    later = later.clip(lower=0).clip(upper=left)
    return _by_type(
        pd.concat([_kind(own), _kind(old)]),
        pd.concat([own["amount_mvnd"], left]),
        pd.concat([own_done, later]),
    )


def phase_cumulative(
    lines: pd.DataFrame, disbursements: pd.DataFrame, as_of: pd.Timestamp
) -> pd.DataFrame:
    """Every vintage up to ``as_of``'s year assigned by ``as_of``, against all disbursed by it."""
    when = pd.Timestamp(as_of)
    sel = lines[(lines["plan_year"] <= when.year) & (lines["decision_date"] <= when)]
    done = cumulative_at(disbursements, sel["line_id"], when)
    return _by_type(_kind(sel), sel["amount_mvnd"], done)


def phase_total(lines: pd.DataFrame) -> pd.DataFrame:
    """Every line of the phase, allocated only (``disbursed_mvnd`` 0, rate not meaningful)."""
    zero = pd.Series(0.0, index=lines.index)
    return _by_type(_kind(lines), lines["amount_mvnd"], zero)


# --------------------------------------------------------------------------- published dates
def province_key(name: object) -> str:
    """A province name compared loosely: NFC, case-folded, without "tỉnh"/"province"."""
    text = unicodedata.normalize("NFC", str(name)).casefold().strip()
    for prefix in ("tỉnh ", "province of ", "province "):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    return " ".join(text.split())


def published_for(province_name: str) -> pd.DataFrame:
    """The shipped ``published_figures`` rows of the province named ``province_name``."""
    pub = reference.load("published_figures")
    key = province_key(province_name)
    return pub[pub["province"].map(province_key) == key].reset_index(drop=True)


def published_dates(province_name: str) -> list[pd.Timestamp]:
    """The distinct ``as_of`` dates of the province's published figures, in order."""
    dates = published_for(province_name)["as_of"].dropna().unique()
    return sorted(pd.Timestamp(d) for d in dates)


# --------------------------------------------------------------------------- metrics records
def _num(v: Any, digits: int) -> float | None:
    return None if v is None or pd.isna(v) else round(float(v), digits)


def record(
    convention: str,
    table: pd.DataFrame,
    *,
    as_of: pd.Timestamp | None,
    scope: str,
    period: str,
    date_origin: str,
    last_report: pd.Timestamp,
) -> dict[str, Any]:
    """One ``committee_rates`` entry of ``metrics.json`` from a convention's table."""

    def amounts(part: str) -> dict[str, float | None]:
        row = table.loc[part]
        return {
            "allocated_mvnd": _num(row["allocated_mvnd"], 3),
            "disbursed_mvnd": _num(row["disbursed_mvnd"], 3),
            "rate": _num(row["rate"], 4),
        }

    return {
        "convention": convention,
        "as_of": None if as_of is None else pd.Timestamp(as_of).date().isoformat(),
        "scope": scope,
        "period": period,
        "date_origin": date_origin,
        "observed": bool(as_of is None or pd.Timestamp(as_of) <= last_report),
        **amounts("total"),
        "by_capital_type": {c: amounts(c) for c in schema.CAPITAL_TYPES},
    }


def committee_rates(
    lines: pd.DataFrame,
    disbursements: pd.DataFrame,
    published: Iterable[pd.Timestamp],
    last_report: pd.Timestamp,
) -> list[dict[str, Any]]:
    """The committee's rates at the published dates and at the last report.

    At each date: ``phase_cumulative``, and ``year_plan_with_carry_over`` of the date's year;
    then the ``year_plan_with_carry_over`` of every plan year with lines at its 31 December
    when the data reach it. ``date_origin``: ``published``, ``last_report`` or ``year_end``.
    """
    last = pd.Timestamp(last_report)
    years = sorted(int(y) for y in lines["plan_year"].unique())
    if not years:
        return []
    phase = f"{years[0]}-{years[-1]}"
    dates = [(pd.Timestamp(d), "published") for d in sorted(set(published))]
    dates.append((last, "last_report"))
    out = []
    for when, origin in dates:
        out.append(
            record(
                "phase_cumulative",
                phase_cumulative(lines, disbursements, when),
                as_of=when,
                scope="phase",
                period=phase,
                date_origin=origin,
                last_report=last,
            )
        )
        if when.year in years:
            out.append(
                record(
                    "year_plan_with_carry_over",
                    year_plan_with_carry_over(lines, disbursements, when.year, when),
                    as_of=min(when, pd.Timestamp(year=when.year, month=12, day=31)),
                    scope="year",
                    period=str(when.year),
                    date_origin=origin,
                    last_report=last,
                )
            )
    for year in years:
        end = pd.Timestamp(year=year, month=12, day=31)
        if end <= last:
            out.append(
                record(
                    "year_plan_with_carry_over",
                    year_plan_with_carry_over(lines, disbursements, year),
                    as_of=end,
                    scope="year",
                    period=str(year),
                    date_origin="year_end",
                    last_report=last,
                )
            )
    return out


def carry_over_by_law(lines: pd.DataFrame) -> dict[str, float | None]:
    """The legal carry-over amounts of the line table summed (``metrics.json``)."""
    cols = {
        "extended_mvnd": "extended_mvnd",
        "extended_disbursed_mvnd": "extended_disbursed_mvnd",
        "carried_over_mvnd": "recurrent_carried_over_mvnd",
        "carried_over_disbursed_mvnd": "recurrent_carried_over_disbursed_mvnd",
        "open_mvnd": "legal_open_mvnd",
        "not_extended_mvnd": "not_extended_mvnd",
        "lapsed_mvnd": "legal_lapsed_mvnd",
    }
    return {key: _num(lines[col].sum(), 3) for key, col in cols.items()}
