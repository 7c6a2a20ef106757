"""Tiny plan lines and their snapshots for the analysis tests, built by hand."""

from __future__ import annotations

import pandas as pd

from helpers.data import schema

T = pd.Timestamp


def alloc(rows: list[dict]) -> pd.DataFrame:
    """Allocation rows with defaults for the key columns, and their line_id."""
    base = {
        "unit_code": "11",
        "project_code": "DA1",
        "subproject_code": None,
        "capital_type": "investment",
        "source": "central",
        "decision_date": T("2024-01-01"),
        "extended_until": pd.NaT,
    }
    frame = pd.DataFrame([{**base, **r} for r in rows])
    frame["decision_date"] = pd.to_datetime(frame["decision_date"])
    frame["extended_until"] = pd.to_datetime(frame["extended_until"])
    frame["line_id"] = schema.line_ids(frame)
    return frame


def snaps(allocations: pd.DataFrame, rows: list[tuple[int, str, float]]) -> pd.DataFrame:
    """Snapshots ``(row of allocations, report date, cumulative)`` keyed like their line."""
    keys = list(schema.LINE_KEY) + ["line_id"]
    out = [
        {**allocations.iloc[i][keys].to_dict(), "report_date": T(d), "disbursed_cum_mvnd": float(v)}
        for i, d, v in rows
    ]
    return pd.DataFrame(out, columns=keys + ["report_date", "disbursed_cum_mvnd"])
