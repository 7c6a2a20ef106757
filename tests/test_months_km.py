"""One definition of "months to 50 %": the Kaplan–Meier median of the line times, with lines
still disbursing censored (helpers.analysis.survival_km), on small hand-built lines.

Months are days / 30.4375. Every line is decided on 1 Jan 2024 (a leap year), plan year 2024,
amount 1,000 unless said: its regular deadline is 31 Jan 2025. Days from 1 Jan 2024 to the
report dates used: 29 Feb = 59, 31 Mar = 90, 30 Apr = 120, 30 Jun = 181, 31 Jan 2025 = 396.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from helpers.analysis import districts, survival_km
from helpers.analysis.assessment import summary_metrics
from helpers.analysis.lag import prepare, survival
from helpers.analysis.lines import line_table
from helpers.data import intake
from helpers.data.datasets import resolve_scope
from lines_factory import alloc, snaps
from test_metrics import UNITS

M = 30.4375


def _lines(n: int, **over) -> pd.DataFrame:
    return alloc([{"plan_year": 2024, "amount_mvnd": 1000.0, **over} for _ in range(n)])


def _distinct(a: pd.DataFrame) -> pd.DataFrame:
    """Give the lines distinct keys (sub-projects), so each is its own plan line."""
    a = a.assign(subproject_code=[f"TDA{i}" for i in range(len(a))])
    return alloc(a.drop(columns="line_id").to_dict("records"))


def test_km_median_by_hand_with_a_censored_line():
    """Five lines; C stops reporting at 300 of 1,000 on 30 Apr 2024 while it may still
    disburse (its deadline is 31 Jan 2025): censored at 120 days, not "never"; E ends at 200 on
    31 Jan 2025, its own deadline: its share is final, censored at the last report (396 days).

    ====  =============================  ==========================
    line  reaches 500 of 1,000           time (days)
    ====  =============================  ==========================
    A     31 Mar                          90 (event)
    B     30 Apr                          120 (event)
    C     300 on 30 Apr, then no report   120 (censored)
    D     30 Jun                          181 (event)
    E     200 on 31 Jan 2025              396 (censored)
    ====  =============================  ==========================

    Kaplan–Meier (a line censored at an event time is still at risk then): at 90 days 1 of 5
    → S = 4/5 = 0.8; at 120 days 1 of 4 (B; C censored) → S = 0.8 x 3/4 = 0.6; at 181 days
    1 of 2 (D, E at risk) → S = 0.6 x 1/2 = 0.3 ≤ 0.5: the median is 181 days = 5.95 months.
    Two lines of five reached it by 120 days, so 50 % of lines is first passed at D.
    """
    a = _distinct(_lines(5))
    d = snaps(
        a,
        [
            (0, "2024-03-31", 500),
            (1, "2024-04-30", 600),
            (2, "2024-04-30", 300),
            (3, "2024-06-30", 500),
            (4, "2025-01-31", 200),
        ],
    )
    tt = survival_km.timed_lines(line_table(a, d), d, 0.5, pd.Timestamp("2025-01-31"))
    assert list(tt["reached"]) == [1, 1, 0, 1, 0]
    assert tt["time_months"].tolist() == pytest.approx([90 / M, 120 / M, 120 / M, 181 / M, 396 / M])
    km = survival_km.months_to_share(line_table(a, d), d, 0.5, pd.Timestamp("2025-01-31"))
    assert (km.n, km.events) == (5, 3)
    assert km.median == pytest.approx(181 / M)  # 5.95 months
    assert km.reached.tolist() == pytest.approx([0.0, 0.2, 0.4, 0.7])  # 1 - S at 0, 90, 120, 181
    assert km.ci_low is not None and km.ci_low <= km.median
    assert km.ci_high is None or km.ci_high >= km.median


def test_lines_still_disbursing_are_censored_not_never():
    """Four lines: A reaches 500 on 31 Mar (90 days), B on 30 Apr (120 days); C and D report
    100 on 29 Feb and then nothing more, with their deadline (31 Jan 2025) still ahead.

    Old rule (a line that never got there counts as infinitely late): the times are 90, 120,
    inf, inf, whose median (120 + inf) / 2 is infinite: "never". New rule: C and D are censored
    at their last report (59 days), so at 90 days 1 of the 2 lines still at risk reaches it:
    S = 1/2, and the median is 90 days = 2.96 months.

    The curve rests at exactly one half from 90 to 120 days: the median is its first time
    at or below one half (statsmodels' own ``quantile`` would wait for strictly below, 120).
    """
    a = _distinct(_lines(4))
    d = snaps(
        a,
        [
            (0, "2024-03-31", 500),
            (1, "2024-04-30", 500),
            (2, "2024-02-29", 100),
            (3, "2024-02-29", 100),
        ],
    )
    lines = line_table(a, d)
    tt = survival_km.timed_lines(lines, d, 0.5, pd.Timestamp("2024-04-30"))
    old = np.median(tt["time_months"].where(tt["reached"] == 1).fillna(np.inf))
    assert math.isinf(old)  # the old rule: "never"
    km = survival_km.km_median(tt["time_months"], tt["reached"])
    assert tt["time_months"].tolist() == pytest.approx([90 / M, 120 / M, 59 / M, 59 / M])
    assert km.median == pytest.approx(90 / M)
    out = districts.district_comparison(lines, d, UNITS, "10").set_index("unit_code")
    assert out.loc["11", "median_months_to_50"] == pytest.approx(90 / M)
    assert out.loc["10", "median_months_to_50"] == pytest.approx(90 / M)  # same lines
    assert out.loc["11", "n_lines_timed"] == 4 and out.loc["11", "n_lines_reached_50"] == 2


def test_not_reached_when_fewer_than_half_get_there():
    """Three lines, one reaches 50 % (90 days), two end below it at their deadline (final,
    censored at 31 Jan 2025): S = 2/3 after 90 days and never lower, so no median (None), not
    "infinitely late" and not the one line's 90 days."""
    a = _distinct(_lines(3))
    d = snaps(a, [(0, "2024-03-31", 500), (1, "2025-01-31", 400), (2, "2025-01-31", 100)])
    km = survival_km.months_to_share(line_table(a, d), d, 0.5, pd.Timestamp("2025-01-31"))
    assert (km.n, km.events, km.median, km.ci_low, km.ci_high) == (3, 1, None, None, None)
    out = districts.district_comparison(line_table(a, d), d, UNITS, "10").set_index("unit_code")
    assert math.isnan(out.loc["11", "median_months_to_50"])
    assert out.loc["11", "n_lines_timed"] == 3  # "not reached" in the brief, not "no data"


def test_lines_with_no_amount_or_no_report_are_left_out():
    """A (90 days) and B (120 days) are timed; C has a zero amount and D no report at all:
    neither says anything about time to half disbursed. Median of A, B: S = 1/2 at 90 days."""
    a = _distinct(_lines(4))
    a.loc[2, "amount_mvnd"] = 0.0
    d = snaps(a, [(0, "2024-03-31", 500), (1, "2024-04-30", 500), (2, "2024-03-31", 0)])
    km = survival_km.months_to_share(line_table(a, d), d, 0.5, pd.Timestamp("2024-04-30"))
    assert (km.n, km.events) == (2, 2)
    assert km.median == pytest.approx(90 / M)
    assert survival_km.km_median(np.array([]), np.array([])).median is None


def test_the_lag_models_and_the_ranking_share_the_definition():
    """tiny_dataset of the lag tests, read by both sides: the lag models' Kaplan–Meier median
    (what lag.json's months_to_50pct shows) equals the ranking's province row and the
    province's median_months_to_50 in metrics.json, to the same digits."""
    from test_lag_prep import tiny_dataset

    ds = tiny_dataset()
    data = prepare.prepare_lag_data(ds, panel=False)
    km = survival.fit_time_to_share(data, 0.5, cox=False).km["all"]
    tables = {
        n: getattr(ds, n).drop(columns="line_id", errors="ignore")
        for n in ("units", "allocations", "disbursements")
    }
    valid = intake.validate_frames(tables, origin="test", sha256="0" * 64)
    m = summary_metrics(valid, resolve_scope(valid, "province"), [2024, 2025])
    prov = next(r for r in m["district_ranking"] if r["level"] == "province")
    assert km["median"] is not None
    assert m["median_months_to_50"] == prov["median_months_to_50"] == round(km["median"], 6)
    assert (prov["median_months_to_50_ci_low"], prov["median_months_to_50_ci_high"]) == (
        None if km["ci_low"] is None else round(km["ci_low"], 6),
        None if km["ci_high"] is None else round(km["ci_high"], 6),
    )
    assert prov["n_lines_timed"] == km["n"] == 4  # D (no report) is out of both


def test_lag_json_and_metrics_json_quote_the_same_months_on_the_demo():
    """Whatever the demo's numbers: lag.json's months_to_50pct is the metrics ranking's
    median for the same scope (province and a district), with the same interval."""
    from helpers.analysis.lag.models import fit_province_models
    from helpers.analysis.lag.summary import summary_lag
    from helpers.data.datasets import open_dataset

    ds = open_dataset("demo")
    models = fit_province_models(ds, n_boot=5, district_checks=False)
    district = str(ds.units.loc[ds.units["level"] == "district", "unit_code"].iloc[0])
    for scope, code in (("province", ds.province_code), (district, district)):
        lag = summary_lag(ds, scope, models=models)
        m = summary_metrics(ds, resolve_scope(ds, scope))
        row = next(r for r in m["district_ranking"] if r["unit_code"] == code)
        km = lag["months_to_share"]["50pct"]
        assert lag["months_to_50pct"] == km["estimate"] == row["median_months_to_50"]
        assert (km["ci_low"], km["ci_high"]) == (
            row["median_months_to_50_ci_low"],
            row["median_months_to_50_ci_high"],
        )
        assert km["n_lines"] == row["n_lines_timed"]
        assert lag["months_to_90pct"] == lag["months_to_share"]["90pct"]["estimate"]
