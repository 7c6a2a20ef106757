"""Numbers, amounts, percentages and dates formatted per language with babel.

Vietnamese groups thousands with "." and uses "," for decimals (5.801.640; 77,2 %); English
the other way round (5,801,640; 77.2%). babel carries the CLDR rules for both, which is why it
is used instead of hand-written replacements.
"""

from __future__ import annotations

import math
from typing import Literal

import pandas as pd
from babel.dates import format_date as _babel_date
from babel.numbers import format_decimal

Lang = Literal["vi", "en"]
LANGS: tuple[str, ...] = ("vi", "en")
_LOCALE = {"vi": "vi_VN", "en": "en_US"}


def check_lang(lang: str) -> Lang:
    """Return ``lang`` if supported, else raise ``ValueError`` naming the allowed values."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}; got {lang!r}")
    return lang  # type: ignore[return-value]


def number(value: float, lang: str = "vi", digits: int = 0) -> str:
    """A number with the language's grouping and decimal marks; "–" for missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(value, format=pattern, locale=_LOCALE[check_lang(lang)])


def mvnd(value: float, lang: str = "vi", digits: int = 0) -> str:
    """An amount in million VND with its unit: "1.526.790 triệu đồng" / "VND 1,526,790 million"."""
    n = number(value, lang, digits)
    return f"{n} triệu đồng" if lang == "vi" else f"VND {n} million"


def bvnd(value_mvnd: float, lang: str = "vi", digits: int = 1) -> str:
    """An amount given in million VND, shown in billion VND ("5.801,6 tỷ đồng")."""
    n = number(value_mvnd / 1000.0, lang, digits)
    return f"{n} tỷ đồng" if lang == "vi" else f"VND {n} billion"


def percent(fraction: float, lang: str = "vi", digits: int = 1) -> str:
    """A fraction as a percentage: 0.772 -> "77,2 %" (vi) / "77.2%" (en)."""
    if fraction is None or (isinstance(fraction, float) and math.isnan(fraction)):
        return "–"
    n = number(100.0 * fraction, lang, digits)
    return f"{n} %" if lang == "vi" else f"{n}%"


def pp(value: float, lang: str = "vi", digits: int = 1) -> str:
    """Percentage points: "2,3 điểm phần trăm" / "2.3 percentage points"."""
    n = number(value, lang, digits)
    return f"{n} điểm phần trăm" if lang == "vi" else f"{n} percentage points"


def date(value: pd.Timestamp | str, lang: str = "vi") -> str:
    """A date: "21/05/2024" (vi) / "21 May 2024" (en)."""
    ts = pd.Timestamp(value)
    if lang == "vi":
        return ts.strftime("%d/%m/%Y")
    return _babel_date(ts.date(), format="d MMM y", locale=_LOCALE[check_lang(lang)])
