"""Numbers, amounts, percentages, dates and month names per language, through Babel.

Vietnamese groups thousands with "." and uses "," for decimals (5.801.640; 77,2%); English the
other way round (5,801,640; 77.2%). Babel carries the CLDR rules and patterns of both locales,
including the percent pattern (no space before the sign, so a percentage never wraps across a
line) and month names, which is why nothing here is hand-written. Units ("triệu đồng",
"percentage points") come from the ``common`` catalog (:mod:`helpers.core.text`).
"""

from __future__ import annotations

import datetime as dt
import math
from functools import cache

import pandas as pd
from babel import Locale
from babel.dates import format_date
from babel.numbers import NumberPattern, format_decimal, format_percent, parse_pattern

from helpers.core.text import LANGS, check_lang, tr

__all__ = [
    "LANGS",
    "PUBLISHED_UNITS",
    "bvnd",
    "check_lang",
    "date",
    "day_month",
    "in_unit",
    "is_missing",
    "month_abbr",
    "mvnd",
    "number",
    "percent",
    "pp",
    "qualified",
]

LOCALES: dict[str, str] = {"vi": "vi_VN", "en": "en_US"}
"""The Babel locale of each language."""

MISSING = "–"
"""What a missing number is shown as."""


def is_missing(value: object) -> bool:
    """True for None and NaN (a number that cannot be shown)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def _pattern(digits: int) -> str:
    return "#,##0" + ("." + "0" * digits if digits > 0 else "")


@cache
def _compiled(digits: int, percent: bool = False) -> NumberPattern:
    """The parsed Babel pattern (parsed once: a batch formats numbers by the thousand)."""
    return parse_pattern(_pattern(digits) + ("%" if percent else ""))


@cache
def _locale(lang: str) -> Locale:
    """The Babel locale of ``lang`` (parsed once)."""
    return Locale.parse(LOCALES[check_lang(lang)])


def number(value: float | None, lang: str = "vi", digits: int = 0) -> str:
    """A number with the language's grouping and decimal marks; "–" for missing."""
    if value is None or is_missing(value):
        return MISSING
    return format_decimal(value, format=_compiled(digits), locale=_locale(lang))


def mvnd(value: float | None, lang: str = "vi", digits: int = 0) -> str:
    """An amount in million VND with its unit: "1.526.790 triệu đồng" / "VND 1,526,790 million"."""
    return tr("common.amount_mvnd", lang, n=number(value, lang, digits))


def bvnd(value_mvnd: float, lang: str = "vi", digits: int = 1) -> str:
    """An amount given in million VND, shown in billion VND ("5.801,6 tỷ đồng")."""
    return tr("common.amount_bvnd", lang, n=number(value_mvnd / 1000.0, lang, digits))


def percent(fraction: float | None, lang: str = "vi", digits: int = 1) -> str:
    """A fraction as a percentage with the locale's pattern: 0.772 -> "77,2%" / "77.2%"."""
    if fraction is None or is_missing(fraction):
        return MISSING
    return format_percent(fraction, format=_compiled(digits, percent=True), locale=_locale(lang))


def pp(value: float, lang: str = "vi", digits: int = 1) -> str:
    """Percentage points: "2,3 điểm phần trăm" / "2.3 percentage points"."""
    return tr("common.pp", lang, n=number(value, lang, digits))


PUBLISHED_UNITS: tuple[str, ...] = ("percent", "billion_vnd", "million_vnd")
"""The units pages publish figures in (``published_figures``)."""


def in_unit(value: float | None, unit: str, lang: str = "vi", digits: int = 0) -> str:
    """A value in the unit a page publishes it in: ``percent`` 77.2 → "77,2%",
    ``billion_vnd`` 4222 → "4.222 tỷ đồng", ``million_vnd`` → "… triệu đồng"; "–" when missing."""
    if value is None or is_missing(value):
        return MISSING
    if unit == "percent":
        return percent(value / 100.0, lang, digits)
    key = {"billion_vnd": "common.amount_bvnd", "million_vnd": "common.amount_mvnd"}[unit]
    return tr(key, lang, n=number(value, lang, digits))


def qualified(text: str, qualifier: str, lang: str = "vi") -> str:
    """A published value with the page's wording: "hơn 4.222 tỷ đồng" / "nearly 67%"."""
    return tr(f"common.qualifier.{qualifier}", lang, value=text)


def date(value: pd.Timestamp | dt.date | str, lang: str = "vi") -> str:
    """A date: "21/05/2024" (vi) / "21 May 2024" (en)."""
    day = pd.Timestamp(value).date()
    pattern = "dd/MM/y" if check_lang(lang) == "vi" else "d MMM y"
    return format_date(day, pattern, locale=LOCALES[lang])


DAY_MONTH_PATTERNS: dict[str, dict[str, str]] = {
    "vi": {"short": "dd/MM", "long": "dd/MM"},
    "en": {"short": "d MMM", "long": "d MMMM"},
}
"""Day-and-month patterns per language: Vietnamese writes 31/01, English 31 Jan or 31 January."""


def day_month(value: pd.Timestamp | dt.date, lang: str = "vi", month: str = "short") -> str:
    """Day and month of a date: "31/01" (vi), "31 Jan" (en) or, ``month="long"``, "31 January"."""
    day = pd.Timestamp(value).date()
    return format_date(day, DAY_MONTH_PATTERNS[check_lang(lang)][month], locale=LOCALES[lang])


def month_abbr(month: int, lang: str = "vi") -> str:
    """Abbreviated name of month 1..12 in the language ("thg 5" / "May")."""
    return format_date(dt.date(2000, month, 1), "MMM", locale=LOCALES[check_lang(lang)])
