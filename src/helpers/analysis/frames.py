"""Small conventions every analysis table follows: rates, cut-off columns, the DEMO flag.

A rate whose denominator is zero is missing (NaN, ``None`` in JSON), never 0: a year without
allocation is reported as "no allocation", not as a 0 % execution rate. Every table made from
another copies its DEMO flag and ``as_of`` date (``DataFrame.attrs``), so a chart drawn from a
metric still knows it comes from synthetic data.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

Cutoff = Literal["dec31", "deadline", "last"]
CUTOFFS: tuple[str, ...] = ("dec31", "deadline", "last")
"""The three cut-offs: 31 Dec of the plan year, 31 Jan next year (deadline), last report."""

EPS = 1e-9
"""Tolerance of comparisons with thresholds (95/100 is not exactly 0.95 in floating point)."""


def cut_column(cutoff: str) -> str:
    """The line-table column of the amount disbursed at ``cutoff``."""
    if cutoff not in CUTOFFS:
        raise ValueError(f"cutoff must be one of {', '.join(CUTOFFS)}; got {cutoff!r}")
    return f"disbursed_{cutoff}_mvnd"


def rate(num: pd.Series | float, den: pd.Series | float) -> pd.Series | float:
    """num / den, missing (NaN) where den is zero or missing."""
    if isinstance(den, pd.Series):
        return num / den.where(den > 0)
    return float(num) / float(den) if den and den > 0 else float("nan")


def tag(out: pd.DataFrame, *sources: pd.DataFrame) -> pd.DataFrame:
    """Copy the DEMO flag (any source synthetic) and the first ``as_of`` onto ``out``."""
    out.attrs["demo"] = any(bool(f.attrs.get("demo", False)) for f in sources)
    for s in sources:
        if "as_of" in s.attrs:
            out.attrs["as_of"] = s.attrs["as_of"]
            break
    return out


def finite(x: Any) -> float | None:
    """``x`` as a float, None when missing or not finite (a JSON-ready number)."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if np.isfinite(v) else None
