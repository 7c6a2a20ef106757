"""Districts compared: execution rate at a cut-off, the same rate adjusted for each district's
mix of projects, capital types and years, and the months to half disbursed, ranked."""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.analysis.district_model import (
    AdjustedComparison,
    fit_adjusted_comparison,
    model_lines,
)
from helpers.analysis.frames import Cutoff, cut_column, rate, tag
from helpers.analysis.lines import last_report_date
from helpers.analysis.survival_km import KMMedian, km_median, timed_lines
from helpers.data.hierarchy import scope_unit_codes

ADJUSTED_COLUMNS: tuple[str, ...] = (
    "adjusted_rate",
    "adjusted_ci_low",
    "adjusted_ci_high",
    "adjusted_rank",
    "adjusted_vs_province",
)
"""The mix-adjusted columns of the ranking (:mod:`helpers.analysis.district_model`)."""

RANKING_COLUMNS: tuple[str, ...] = (
    "unit_code",
    "name_vi",
    "name_en",
    "level",
    "allocated_mvnd",
    "disbursed_mvnd",
    "execution_rate",
    "median_months_to_50",
    "median_months_to_50_ci_low",
    "median_months_to_50_ci_high",
    "n_lines_timed",
    "n_lines_reached_50",
    "rank",
    "vs_province_pp",
    *ADJUSTED_COLUMNS,
)
"""Columns of :func:`district_comparison`, in order."""


def province_districts(units: pd.DataFrame, province_code: str) -> pd.DataFrame:
    """The province's districts (``units`` rows, ``unit_code`` as text)."""
    u = units.assign(unit_code=units["unit_code"].astype(str))
    return u[(u["level"] == "district") & (u["parent_code"].astype("string") == str(province_code))]


def district_of(lines: pd.DataFrame, units: pd.DataFrame, province_code: str) -> pd.Series:
    """The district each line belongs to (its own unit or its commune's), missing for the
    province's own lines."""
    owner: dict[str, str] = {}
    u = units.assign(unit_code=units["unit_code"].astype(str))
    for code in province_districts(units, province_code)["unit_code"]:
        for member in scope_unit_codes(u, code):
            owner[member] = code
    return lines["unit_code"].astype(str).map(owner).astype("string")


def _months(km: KMMedian) -> dict[str, float | int | None]:
    return {
        "median_months_to_50": np.nan if km.median is None else km.median,
        "median_months_to_50_ci_low": np.nan if km.ci_low is None else km.ci_low,
        "median_months_to_50_ci_high": np.nan if km.ci_high is None else km.ci_high,
        "n_lines_timed": km.n,
        "n_lines_reached_50": km.events,
    }


def district_comparison(
    lines: pd.DataFrame,
    disbursements: pd.DataFrame,
    units: pd.DataFrame,
    province_code: str,
    cutoff: Cutoff = "deadline",
    share: float = 0.5,
    adjusted: AdjustedComparison | None = None,
) -> pd.DataFrame:
    """Execution rate, mix-adjusted rate and timing per district, ranked, with the province.

    Each line belongs to the district it or its parent commune sits in; province-level lines
    count only in the province row. ``execution_rate`` = disbursed at ``cutoff`` / allocated;
    ``rank`` 1 = highest execution rate (ties share the best rank); ``vs_province_pp`` =
    (district rate − province rate) × 100, in percentage points.

    ``median_months_to_50`` (with ``_ci_low``/``_ci_high``) is the Kaplan–Meier median months
    from decision to ``share`` disbursed over the unit's lines
    (:func:`helpers.analysis.survival_km.km_median`: lines still disbursing are censored, not
    "never"; lines with no amount or no report are left out), missing when fewer than half of
    the ``n_lines_timed`` lines are known to have got there (``n_lines_reached_50``).

    The ``adjusted_*`` columns are the mix-adjusted comparison at the same ``cutoff``
    (:func:`adjusted_comparison`, or ``adjusted`` when given): for a district its adjusted
    rate, 95 % interval, rank among the districts with one, and whether its interval lies
    above, below or around the province's adjusted mean; for the province row that mean.

    Returns:
        One row per district (ranked), then one row with ``level`` "province" (no rank), with
        the columns :data:`RANKING_COLUMNS`.
    """
    col = cut_column(cutoff)
    u = units.assign(unit_code=units["unit_code"].astype(str))
    districts = province_districts(u, province_code)
    owner = district_of(lines, u, province_code).fillna("")
    tt = timed_lines(lines, disbursements, share, last_report_date(disbursements))
    tt = tt.assign(_district=owner)[tt["timed"]]
    if adjusted is None:
        adjusted = adjusted_comparison(lines, disbursements, units, province_code, cutoff)
    adj = adjusted.rates.set_index("unit_code")
    amounts = (
        pd.DataFrame({"d": owner.to_numpy(), "a": lines["amount_mvnd"], "c": lines[col]})
        .groupby("d", sort=False)[["a", "c"]]
        .sum()
    )
    timed_by = dict(tuple(tt.groupby("_district", sort=False)[["time_months", "reached"]]))
    none = tt.iloc[:0]
    rows = []
    for d in districts.itertuples():
        timed = timed_by.get(d.unit_code, none)
        rows.append(
            {
                "unit_code": d.unit_code,
                "name_vi": d.name_vi,
                "name_en": d.name_en,
                "level": "district",
                "allocated_mvnd": float(amounts["a"].get(d.unit_code, 0.0)),
                "disbursed_mvnd": float(amounts["c"].get(d.unit_code, 0.0)),
                **_months(km_median(timed["time_months"], timed["reached"])),
                **{c: adj[c].get(d.unit_code, np.nan) for c in ADJUSTED_COLUMNS},
            }
        )
    prov = u[u["unit_code"] == str(province_code)].iloc[0]
    rows.append(
        {
            "unit_code": str(province_code),
            "name_vi": prov["name_vi"],
            "name_en": prov["name_en"],
            "level": "province",
            "allocated_mvnd": lines["amount_mvnd"].sum(),
            "disbursed_mvnd": lines[col].sum(),
            **_months(km_median(tt["time_months"], tt["reached"])),
            "adjusted_rate": adjusted.summary.province_rate,
            "adjusted_ci_low": adjusted.summary.province_ci_low,
            "adjusted_ci_high": adjusted.summary.province_ci_high,
        }
    )
    out = pd.DataFrame(rows)
    for c in ("adjusted_rate", "adjusted_ci_low", "adjusted_ci_high"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype("float64")
    out["adjusted_rank"] = out["adjusted_rank"].astype("Int64")
    out["adjusted_vs_province"] = out["adjusted_vs_province"].astype("object")
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
    return tag(out[list(RANKING_COLUMNS)], lines)


def adjusted_comparison(
    lines: pd.DataFrame,
    disbursements: pd.DataFrame,
    units: pd.DataFrame,
    province_code: str,
    cutoff: Cutoff = "deadline",
) -> AdjustedComparison:
    """The mix-adjusted comparison of the province's districts at ``cutoff`` (fitted once on
    the province's line table; see :mod:`helpers.analysis.district_model`)."""
    frame = model_lines(
        lines, disbursements, district_of(lines, units, province_code), province_code, cutoff
    )
    codes = list(province_districts(units, province_code)["unit_code"])
    return fit_adjusted_comparison(frame, codes, cutoff)
