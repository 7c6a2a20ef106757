"""Which plan lines (or other rows) belong to a scope: a unit and every unit below it."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from helpers.analysis.frames import tag
from helpers.data.hierarchy import scope_unit_codes


def filter_scope(
    frame: pd.DataFrame,
    units: pd.DataFrame,
    unit_code: str,
    years: Iterable[int] | None = None,
    successions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Rows of ``frame`` that belong to ``unit_code`` (and, if given, to ``years``).

    Province scope = every unit of the province, including the province's own lines
    (``unit_code`` equal to the province code); a district scope = the district's lines and
    those of its communes; with ``successions``, a unit created on 1 July 2025 = its own lines
    and those of the former communes it took over.

    Args:
        frame: any frame with ``unit_code`` (allocations, disbursements, targets, lines).
        units: the ``units`` table (``unit_code``, ``parent_code``).
        unit_code: the scope's unit.
        years: plan years to keep (needs a ``plan_year`` column); ``None`` keeps all.
        successions: the ``successions`` table (who took over whom).
    """
    keep = frame["unit_code"].astype(str).isin(scope_unit_codes(units, unit_code, successions))
    if years is not None:
        keep &= frame["plan_year"].isin(list(years))
    return tag(frame.loc[keep].copy(), frame)
