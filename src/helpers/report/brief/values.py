"""Text and value helpers of the brief: catalog look-ups and numbers formatted per language."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence

from helpers.core.formatting import date as fmt_date
from helpers.core.formatting import day_month, mvnd, number, percent, pp
from helpers.core.text import tr
from helpers.data.deadlines import label_values


def t(key: str, lang: str, **values: object) -> str:
    """The brief's text ``brief.<key>`` in ``lang``, filled with ``values``."""
    return tr(f"brief.{key}", lang, **values)


def name(key: str, lang: str) -> str:
    """A proper name ``names.<key>`` (names may hold digits: "PEFA 2016", "PI-1")."""
    return tr(f"names.{key}", lang)


def common(key: str, lang: str) -> str:
    """A label ``common.<key>`` shared with the notebooks and figures."""
    return tr(f"common.{key}", lang, **label_values(lang))


def demo_note(lang: str) -> str:
    """The DEMO sentence of synthetic data."""
    return common("demo_note", lang)


def num(v: object) -> float | None:
    """A finite float, or None for missing, null and NaN."""
    if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v):
        return float(v)
    return None


def ratio(a: float | None, b: float | None) -> float | None:
    """a / b; None when either is missing or b is not positive."""
    x, y = num(a), num(b)
    return x / y if x is not None and y is not None and y > 0 else None


def fmt_mvnd(v: float | None, lang: str) -> str:
    x = num(v)
    return t("na", lang) if x is None else mvnd(x, lang)


def round_significant(x: float, figures: int = 2) -> tuple[float, int]:
    """``x`` rounded to ``figures`` significant figures, and the decimals to show it with."""
    if x == 0:
        return 0.0, 0
    digits = figures - 1 - math.floor(math.log10(abs(x)))
    rounded = round(x, digits)
    # rounding up may add a figure (99.6 -> 100): show no more decimals than it keeps
    digits = figures - 1 - math.floor(math.log10(abs(rounded)))
    return float(rounded), max(0, digits)


def fmt_bvnd_prose(v: float | None, lang: str) -> str:
    """An estimated amount in prose: million VND shown in billion VND to two significant figures
    ("250 tỷ đồng" / "VND 250 billion" for 248,376 million); tables keep the exact figure."""
    x = num(v)
    if x is None:
        return t("na", lang)
    rounded, digits = round_significant(x / 1000.0)
    return tr("common.amount_bvnd", lang, n=number(rounded, lang, digits))


def fmt_interval(
    lo: float | None, hi: float | None, level: str, lang: str, bootstrap: bool = False
) -> str:
    """ "95% confidence interval: about 190 to 300 billion VND" for a gain in prose (ends as
    :func:`fmt_bvnd_prose`); ``bootstrap`` adds that the interval allows for districts moving
    together."""
    key = "cf_interval_boot" if bootstrap else "cf_interval"
    return t(key, lang, level=level, lo=fmt_bvnd_prose(lo, lang), hi=fmt_bvnd_prose(hi, lang))


def fmt_pct(v: float | None, lang: str, digits: int = 1) -> str:
    x = num(v)
    return t("na", lang) if x is None else percent(x, lang, digits)


def fmt_pp(v: float, lang: str) -> str:
    """A magnitude in percentage points (the sentence carries the direction)."""
    return pp(abs(v), lang)


def fmt_months(v: float | None, lang: str) -> str:
    x = num(v)
    return t("na", lang) if x is None else number(x, lang, 1)


def fmt_int(v: float | None, lang: str) -> str:
    x = num(v)
    return t("na", lang) if x is None else number(round(x), lang, 0)


def number_or_zero(v: float | None, lang: str) -> str:
    """A whole amount, 0 when missing (table cells of amounts)."""
    return number(num(v) or 0, lang)


def fmt_value(v: float | None, lang: str) -> str:
    """An indicator value: whole numbers without decimals, others with two; "–" when missing."""
    x = num(v)
    if x is None:
        return "–"
    return number(x, lang, 0 if float(x).is_integer() else 2)


def deadline_daymonth(lang: str) -> str:
    """The regular deadline's day and month (31/01, 31 Jan), from :mod:`helpers.data.deadlines`."""
    return label_values(lang)["deadline"]


def year_end_daymonth(lang: str) -> str:
    """The plan year's end (31/12, 31 Dec), from :mod:`helpers.data.deadlines`."""
    return label_values(lang)["year_end"]


def fmt_period(years: Sequence[int]) -> str:
    """``2021–2025`` from a list of years (years are not grouped like amounts)."""
    ys = sorted(int(y) for y in years)
    if not ys:
        return "–"
    return str(ys[0]) if ys[0] == ys[-1] else f"{ys[0]}–{ys[-1]}"


def fmt_cf_date(value: str | None, lang: str) -> str:
    """The counterfactual date: a full date, or a day of the plan year ("01-31")."""
    text = (value or "").strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return fmt_date(text, lang)
    m = re.fullmatch(r"(?:--)?(\d{2})-(\d{2})", text)
    if m:
        d = dt.date(2000, int(m.group(1)), int(m.group(2)))
        day = day_month(d, lang, month="long")
        return t("cf_date_plan_year", lang, day=day)
    return text or t("na", lang)


def interval_excludes_zero(lo: float | None, hi: float | None) -> bool:
    """True when both ends are known and on the same side of zero."""
    a, b = num(lo), num(hi)
    return a is not None and b is not None and (a > 0 and b > 0 or a < 0 and b < 0)


def lc_first(text: str) -> str:
    """Lower-case the first letter of a label used inside a sentence."""
    return text[:1].lower() + text[1:]
