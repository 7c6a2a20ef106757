"""The target scorecard: per indicator, progress from baseline to target and met or not.

"Met" is computed from the indicator's direction, never typed in.
"""

from __future__ import annotations

import pandas as pd

from helpers.analysis.frames import EPS, tag
from helpers.data import schema

TARGET_STATUSES: tuple[str, ...] = ("met", "not_met", "no_data")


def target_status(direction: str, latest: float | None, target: float | None) -> str:
    """``"met"`` when the latest value reaches the target in the indicator's direction.

    higher_better: met when ``latest ≥ target``; lower_better: met when ``latest ≤ target``;
    ``"no_data"`` when either value is missing. Reaching the target counts as met (the shipped
    indicators note where a target is "strictly more than"; the table has no such flag).
    """
    if latest is None or target is None or pd.isna(latest) or pd.isna(target):
        return "no_data"
    if direction == "higher_better":
        return "met" if latest >= target - EPS else "not_met"
    if direction == "lower_better":
        return "met" if latest <= target + EPS else "not_met"
    raise ValueError(f"direction must be one of {', '.join(schema.DIRECTIONS)}; got {direction!r}")


def target_scorecard(
    targets: pd.DataFrame, unit_code: str | None = None, up_to_year: int | None = None
) -> pd.DataFrame:
    """Per indicator: baseline, target, latest actual, progress ratio and status.

    ``latest`` is the actual value of the latest year with a value (up to ``up_to_year``);
    ``progress_ratio = (latest − baseline) / (target − baseline)`` (1 = target reached, above
    1 = exceeded, negative = moved away; NaN when baseline is missing or equals the target);
    ``status`` from :func:`target_status` — computed, never typed in.

    Args:
        targets: the ``targets`` table.
        unit_code: keep this unit's rows only (``None``: all rows; each unit is scored).
        up_to_year: ignore actual values after this year.

    Returns:
        One row per (unit_code, indicator_code): ``name_vi``, ``name_en``, ``unit``,
        ``direction``, ``baseline_value``, ``target_value``, ``latest_value``,
        ``latest_year``, ``progress_ratio``, ``status``.
    """
    t = (
        targets
        if unit_code is None
        else targets[targets["unit_code"].astype(str) == str(unit_code)]
    )
    if up_to_year is not None:
        t = t[t["year"] <= up_to_year]
    keys = ["unit_code", "indicator_code"]
    info = (
        t.sort_values("year")
        .groupby(keys, sort=True)
        .agg(
            name_vi=("name_vi", "last"),
            name_en=("name_en", "last"),
            unit=("unit", "last"),
            direction=("direction", "last"),
            baseline_value=("baseline_value", "last"),
            target_value=("target_value", "last"),
        )
    )
    with_value = t[t["actual_value"].notna()].sort_values("year")
    latest = with_value.groupby(keys).agg(
        latest_value=("actual_value", "last"), latest_year=("year", "last")
    )
    out = info.join(latest, how="left").reset_index()
    out["latest_year"] = out["latest_year"].astype("Int64")
    span = out["target_value"] - out["baseline_value"]
    out["progress_ratio"] = (out["latest_value"] - out["baseline_value"]) / span.where(
        span.abs() > EPS
    )
    out["status"] = [
        target_status(d, v, g)
        for d, v, g in zip(out["direction"], out["latest_value"], out["target_value"], strict=True)
    ]
    return tag(out, targets)


def targets_met(scorecard: pd.DataFrame) -> dict[str, int]:
    """Counts for "N of M targets met": ``met``, ``not_met``, ``no_data``, ``total`` (= M)."""
    counts = scorecard["status"].value_counts()
    out = {s: int(counts.get(s, 0)) for s in TARGET_STATUSES}
    out["total"] = int(len(scorecard))
    return out
