"""Districts compared: execution rate at a cut-off and months to half disbursed, ranked."""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.analysis.frames import Cutoff, cut_column, rate, tag
from helpers.analysis.lines import last_report_date, time_to_share
from helpers.data.units import scope_unit_codes


def months_to_share(
    lines: pd.DataFrame, disbursements: pd.DataFrame, share: float = 0.5
) -> pd.Series:
    """Months from each line's decision to the first report with ``share`` of it disbursed.

    Months are days / 30.4375 (:mod:`helpers.data.deadlines`), counted from ``decision_date`` to the
    first ``report_date`` whose cumulative disbursed is at least ``share × amount_mvnd``
    (reports are monthly, so this is the month end by which the share was reached): the event
    times of :func:`helpers.analysis.lines.time_to_share`. NaN when the share was never reached
    by the last report, or the line has no amount.

    Returns:
        Float Series aligned with ``lines`` (same index).
    """
    times = time_to_share(lines, disbursements, share, last_report_date(disbursements))
    reached = times["reached"].astype(bool) & (lines["amount_mvnd"] > 0)
    return times["time_months"].where(reached).astype("float64")


def median_months(months: pd.Series) -> float:
    """Median of :func:`months_to_share`, counting lines that never got there as infinitely
    late: NaN when half or more of the lines never reached the share."""
    if len(months) == 0:
        return float("nan")
    m = float(np.median(months.fillna(np.inf)))
    return m if np.isfinite(m) else float("nan")


def district_comparison(
    lines: pd.DataFrame,
    disbursements: pd.DataFrame,
    units: pd.DataFrame,
    province_code: str,
    cutoff: Cutoff = "deadline",
    share: float = 0.5,
) -> pd.DataFrame:
    """Execution rate and timing per district, ranked, with the province as reference.

    Each line belongs to the district it or its parent commune sits in; province-level lines
    count only in the province row. ``execution_rate`` = disbursed at ``cutoff`` / allocated;
    ``median_months_to_50`` = :func:`median_months` of :func:`months_to_share` (``share``).
    ``rank`` 1 = highest execution rate (ties share the best rank).
    ``vs_province_pp`` = (district rate − province rate) × 100, in percentage points.

    Returns:
        One row per district (ranked), then one row with ``level`` "province" (no rank):
        ``unit_code``, ``name_vi``, ``name_en``, ``level``, ``allocated_mvnd``,
        ``disbursed_mvnd``, ``execution_rate``, ``median_months_to_50``, ``rank``,
        ``vs_province_pp``.
    """
    col = cut_column(cutoff)
    u = units.assign(unit_code=units["unit_code"].astype(str))
    districts = u[
        (u["level"] == "district") & (u["parent_code"].astype("string") == str(province_code))
    ]
    owner: dict[str, str] = {}
    for code in districts["unit_code"]:
        for member in scope_unit_codes(u, code):
            owner[member] = code
    ln = lines.assign(
        _district=lines["unit_code"].astype(str).map(owner),
        _months=months_to_share(lines, disbursements, share),
    )
    rows = []
    for d in districts.itertuples():
        part = ln[ln["_district"] == d.unit_code]
        rows.append(
            {
                "unit_code": d.unit_code,
                "name_vi": d.name_vi,
                "name_en": d.name_en,
                "level": "district",
                "allocated_mvnd": part["amount_mvnd"].sum(),
                "disbursed_mvnd": part[col].sum(),
                "median_months_to_50": median_months(part["_months"]),
            }
        )
    prov = u[u["unit_code"] == str(province_code)].iloc[0]
    rows.append(
        {
            "unit_code": str(province_code),
            "name_vi": prov["name_vi"],
            "name_en": prov["name_en"],
            "level": "province",
            "allocated_mvnd": ln["amount_mvnd"].sum(),
            "disbursed_mvnd": ln[col].sum(),
            "median_months_to_50": median_months(ln["_months"]),
        }
    )
    out = pd.DataFrame(rows)
    out["execution_rate"] = rate(out["disbursed_mvnd"], out["allocated_mvnd"])
    is_d = out["level"] == "district"
    out["rank"] = out["execution_rate"].where(is_d).rank(ascending=False, method="min")
    out["rank"] = out["rank"].astype("Int64")
    prov_rate = out.loc[~is_d, "execution_rate"].iloc[0]
    out["vs_province_pp"] = (out["execution_rate"] - prov_rate) * 100
    out = pd.concat(
        [out[is_d].sort_values(["rank", "unit_code"], na_position="last"), out[~is_d]],
        ignore_index=True,
    )
    cols = [
        "unit_code",
        "name_vi",
        "name_en",
        "level",
        "allocated_mvnd",
        "disbursed_mvnd",
        "execution_rate",
        "median_months_to_50",
        "rank",
        "vs_province_pp",
    ]
    return tag(out[cols], lines)
