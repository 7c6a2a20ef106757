"""Deadline and time arithmetic of annual capital plans, defined once.

Law on Public Investment 2019, Art. 68 (2024 law, Art. 72): an annual plan is disbursed until
**31 January of the next year**; an extended line (kéo dài) runs to its ``extended_until`` date.
Months are measured as days / (365.25 / 12), so "months available" is continuous and the same
in the demo generator, the metrics and the lag models.
"""

from __future__ import annotations

import pandas as pd

from helpers.core.formatting import day_month, month_abbr, percent

DAYS_PER_MONTH: float = 365.25 / 12

MAX_EXTENSION_YEARS = 3
"""Latest extension of a vintage, in years after its plan year (to 31 December): the law
allows one more year; the National Assembly carried 2022–2023 capital of the national target
programs into 2024–2025. A later ``extended_until`` is a typing error."""


def latest_extension(plan_year: int) -> pd.Timestamp:
    """31 December of ``plan_year + MAX_EXTENSION_YEARS``: no line may be extended beyond."""
    return pd.Timestamp(year=int(plan_year) + MAX_EXTENSION_YEARS, month=12, day=31)


def regular_deadline(plan_year: int | pd.Series) -> pd.Timestamp | pd.Series:
    """31 January of ``plan_year + 1``: the regular end of disbursement of a vintage."""
    if isinstance(plan_year, pd.Series):
        return pd.to_datetime((plan_year.astype("int64") + 1).astype(str) + "-01-31")
    return pd.Timestamp(year=int(plan_year) + 1, month=1, day=31)


def year_end(plan_year: int | pd.Series) -> pd.Timestamp | pd.Series:
    """31 December of ``plan_year``."""
    if isinstance(plan_year, pd.Series):
        return pd.to_datetime(plan_year.astype("int64").astype(str) + "-12-31")
    return pd.Timestamp(year=int(plan_year), month=12, day=31)


def line_deadline(plan_year: pd.Series, extended_until: pd.Series) -> pd.Series:
    """The last day a line may disburse: its extension date, else the regular deadline."""
    regular = regular_deadline(plan_year)
    return extended_until.where(extended_until.notna(), regular)


def months_between(start: pd.Series | pd.Timestamp, end: pd.Series | pd.Timestamp):
    """Months from ``start`` to ``end`` (negative when ``end`` is earlier), as days / 30.4375."""
    delta = end - start
    if isinstance(delta, pd.Series):
        return delta.dt.days / DAYS_PER_MONTH
    return delta.days / DAYS_PER_MONTH


def months_available(decision_date: pd.Series, plan_year: pd.Series) -> pd.Series:
    """Months from the decision date to the regular deadline (31 Jan of plan_year + 1).

    A decision taken before 1 January of the plan year cannot be spent before then, but the
    months are still counted from the decision: the decision date is the timing variable.
    """
    return months_between(decision_date, regular_deadline(plan_year))


def label_values(lang: str) -> dict[str, str]:
    """Words of the calendar and shares that labels quote, in ``lang``, for their placeholders:
    ``{year_end}`` (31/12), ``{deadline}`` (31/01), ``{dec}``/``{jan}`` (month names),
    ``{p50}`` (50%), ``{p0}``/``{p100}``, ``{months}`` (12)."""
    return {
        "year_end": day_month(year_end(2000), lang),
        "deadline": day_month(regular_deadline(2000), lang),
        "dec": month_abbr(12, lang),
        "jan": month_abbr(1, lang),
        "p50": percent(0.5, lang, 0),
        "p0": percent(0.0, lang, 0),
        "p100": percent(1.0, lang, 0),
        "months": "12",
    }
