"""Numbers of a JSON result beside the cells of a workbook (the tests of the XLSX annex)."""

from __future__ import annotations

import bisect


def excel_number(v: float) -> float:
    """A number as Excel keeps it: 15 significant digits."""
    return float(f"{v:.15g}")


def stray(values: list, in_json: set) -> list:
    """The values that are no number of the JSON (to Excel's 15 significant digits: the
    writer keeps 16, so the last digit may be rounded twice)."""
    known = sorted(in_json)

    def found(v: float) -> bool:
        i = bisect.bisect_left(known, v - 1e-13 * max(1.0, abs(v)))
        return i < len(known) and abs(known[i] - v) <= 1e-13 * max(1.0, abs(v))

    return [v for v in values if excel_number(v) not in in_json and not found(v)]


def json_numbers(obj: object) -> list[float]:
    """Every number of a JSON document (booleans are not numbers)."""
    if isinstance(obj, bool) or obj is None:
        return []
    if isinstance(obj, int | float):
        return [excel_number(obj)]
    if isinstance(obj, dict):
        return [n for v in obj.values() for n in json_numbers(v)]
    if isinstance(obj, list):
        return [n for v in obj for n in json_numbers(v)]
    return []
