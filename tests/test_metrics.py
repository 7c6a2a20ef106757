"""Every metric of helpers.analysis.metrics on small hand-built tables.

Expected values are worked out by hand in each test (the arithmetic is in the comments), never
copied from the functions' own output. Amounts are million VND.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from helpers.analysis import assessment as analysis_assessment
from helpers.analysis import districts, execution, frames, pefa, scoping, survival_km, targets
from helpers.analysis.lines import line_table
from helpers.data.deadlines import DAYS_PER_MONTH
from lines_factory import alloc, snaps

T = pd.Timestamp

# province 10; districts 11, 12, 13 (13 has no lines); commune 111 in district 11;
# 20 is another province with its district 21.
UNITS = pd.DataFrame(
    {
        "unit_code": ["10", "11", "12", "13", "111", "20", "21"],
        "name_vi": ["Tỉnh A", "Huyện Một", "Huyện Hai", "Huyện Ba", "Xã Một", "Tỉnh B", "Huyện B"],
        "name_en": ["Province A", "One", "Two", "Three", "Commune One", "Province B", "B"],
        "level": [
            "province",
            "district",
            "district",
            "district",
            "commune",
            "province",
            "district",
        ],
        "parent_code": [None, "10", "10", "10", "11", None, "20"],
    }
)


# --------------------------------------------------------------------------- scope
def test_filter_scope_province_includes_province_lines_and_communes():
    a = alloc(
        [
            {"plan_year": 2024, "unit_code": u, "amount_mvnd": 1.0}
            for u in ("10", "11", "111", "12", "21")
        ]
    )
    prov = scoping.filter_scope(a, UNITS, "10")
    # province 10 = its own line + district 11 + commune 111 (in 11) + district 12; not 21
    assert sorted(prov["unit_code"]) == ["10", "11", "111", "12"]
    district = scoping.filter_scope(a, UNITS, "11")
    assert sorted(district["unit_code"]) == ["11", "111"]  # the district and its commune
    assert scoping.filter_scope(a, UNITS, "13").empty


def test_filter_scope_years_and_demo_flag():
    a = alloc([{"plan_year": y, "amount_mvnd": 1.0} for y in (2022, 2023, 2024)])
    a.attrs["demo"] = True
    out = scoping.filter_scope(a, UNITS, "10", years=[2021, 2023, 2024])
    assert sorted(out["plan_year"]) == [2023, 2024]
    assert out.attrs["demo"] is True


# --------------------------------------------------------------------------- cut-offs
@pytest.fixture
def two_lines_2024():
    """Line A (1000, extended to 31 Dec 2025) and line B (500, not extended)."""
    a = alloc(
        [
            {
                "plan_year": 2024,
                "project_code": "DA1",
                "amount_mvnd": 1000.0,
                "extended_until": "2025-12-31",
            },
            {
                "plan_year": 2024,
                "project_code": "DA4",
                "capital_type": "recurrent",
                "amount_mvnd": 500.0,
            },
        ]
    )
    d = snaps(
        a,
        [
            (0, "2024-12-31", 400),
            (0, "2025-01-31", 700),
            (0, "2025-03-31", 900),
            (1, "2024-11-30", 100),
            (1, "2025-02-01", 300),
        ],
    )
    return a, d


def test_cutoffs_31_jan_counts_for_the_deadline_1_feb_does_not(two_lines_2024):
    a, d = two_lines_2024
    lines = line_table(a, d)  # as_of = last report, 31 Mar 2025
    by_year = execution.execution_at_cutoffs(lines, years=range(2021, 2026)).set_index("plan_year")
    y = by_year.loc[2024]
    assert y["allocated_mvnd"] == 1500  # 1000 + 500
    # 31 Dec: A 400 (snapshot of 31 Dec) + B 100 (latest before: 30 Nov) = 500
    assert y["disbursed_dec31_mvnd"] == pytest.approx(500)
    # deadline: A 700 (snapshot ON 31 Jan counts) + B 100 (1 Feb snapshot is too late) = 800
    assert y["disbursed_deadline_mvnd"] == pytest.approx(800)
    # last report: A 900 + B 300 = 1200
    assert y["disbursed_last_mvnd"] == pytest.approx(1200)
    assert y["execution_rate_dec31"] == pytest.approx(500 / 1500)  # 0.333
    assert y["execution_rate_deadline"] == pytest.approx(800 / 1500)  # 0.533
    assert y["execution_rate_last"] == pytest.approx(1200 / 1500)  # 0.8
    assert y["status"] == "complete"  # 31 Jan 2025 <= 31 Mar 2025


def test_year_without_allocation_is_no_allocation_not_zero_rate(two_lines_2024):
    a, d = two_lines_2024
    by_year = execution.execution_at_cutoffs(line_table(a, d), years=range(2021, 2026))
    assert list(by_year["plan_year"]) == [2021, 2022, 2023, 2024, 2025]
    y2021 = by_year.set_index("plan_year").loc[2021]
    assert y2021["allocated_mvnd"] == 0
    assert y2021["status"] == "no_allocation"
    for c in frames.CUTOFFS:
        assert math.isnan(y2021[f"execution_rate_{c}"])


def test_year_in_progress_when_deadline_not_reached():
    a = alloc([{"plan_year": 2025, "amount_mvnd": 100.0}])
    d = snaps(a, [(0, "2025-06-30", 40)])
    y = execution.execution_at_cutoffs(line_table(a, d), years=[2025]).iloc[0]
    # last report 30 Jun 2025 is before 31 Dec 2025 and 31 Jan 2026
    assert not y["dec31_observed"] and not y["deadline_observed"]
    assert y["status"] == "in_progress"


def test_execution_by_preserves_totals_across_groupings(two_lines_2024):
    a, d = two_lines_2024
    lines = line_table(a, d)
    by_type = execution.execution_by(lines, "capital_type").set_index("capital_type")
    by_project = execution.execution_by(lines, "project_code").set_index("project_code")
    # investment = line A: 1000 allocated, 700 by the deadline; recurrent = line B: 500, 100
    assert by_type.loc["investment", "allocated_mvnd"] == 1000
    assert by_type.loc["recurrent", "disbursed_deadline_mvnd"] == pytest.approx(100)
    assert by_type.loc["recurrent", "execution_rate_deadline"] == pytest.approx(100 / 500)
    for t in (by_type, by_project):
        assert t["allocated_mvnd"].sum() == 1500
        assert t["disbursed_last_mvnd"].sum() == pytest.approx(1200)
    assert by_type["n_lines"].sum() == 2


def test_execution_by_zero_allocation_gives_missing_rate():
    a = alloc([{"plan_year": 2024, "amount_mvnd": 0.0}])
    d = snaps(a, [(0, "2024-12-31", 0)])
    out = execution.execution_by(line_table(a, d), "plan_year")
    assert math.isnan(out["execution_rate_last"].iloc[0])


# --------------------------------------------------------------------------- carry-over
def test_carry_over_vs_lapse():
    a = alloc(
        [
            # A: 2024, 1000, extended to 31 Dec 2025 (still open on 31 Mar 2025)
            {"plan_year": 2024, "amount_mvnd": 1000.0, "extended_until": "2025-12-31"},
            # B: 2024, 500, not extended
            {"plan_year": 2024, "unit_code": "12", "amount_mvnd": 500.0},
            # C: 2023, 200, extended to 31 Dec 2024 (ended before the last report)
            {"plan_year": 2023, "amount_mvnd": 200.0, "extended_until": "2024-12-31"},
        ]
    )
    d = snaps(
        a,
        [
            (0, "2025-01-31", 700),
            (0, "2025-03-31", 900),
            (1, "2024-11-30", 100),
            (2, "2024-01-31", 50),
            (2, "2024-06-30", 120),
            (2, "2025-03-31", 120),
        ],
    )
    lines = line_table(a, d)
    out = execution.carry_over_by(lines, "plan_year").set_index("plan_year")
    y24, y23 = out.loc[2024], out.loc[2023]
    # 2024: A undisbursed at deadline 1000 - 700 = 300 (extended -> carried over);
    #       B 500 - 100 = 400 (not extended -> lapses). Undisbursed 700 = 300 + 400.
    assert y24["undisbursed_deadline_mvnd"] == pytest.approx(700)
    assert y24["carried_over_mvnd"] == pytest.approx(300)
    assert y24["lapsed_at_deadline_mvnd"] == pytest.approx(400)
    # A disbursed 900 - 700 = 200 after the deadline; 300 - 200 = 100 still open (31 Dec 2025)
    assert y24["carried_over_disbursed_mvnd"] == pytest.approx(200)
    assert y24["carried_over_disbursed_share"] == pytest.approx(200 / 300)
    assert y24["carried_over_open_mvnd"] == pytest.approx(100)
    assert y24["lapsed_after_extension_mvnd"] == 0
    assert y24["lapsed_mvnd"] == pytest.approx(400)
    # 2023: C carried 200 - 50 = 150; disbursed later 120 - 50 = 70; lapsed after the
    # extension 150 - 70 = 80; nothing open
    assert y23["carried_over_mvnd"] == pytest.approx(150)
    assert y23["carried_over_disbursed_mvnd"] == pytest.approx(70)
    assert y23["lapsed_after_extension_mvnd"] == pytest.approx(80)
    assert y23["carried_over_open_mvnd"] == 0
    assert y23["lapsed_mvnd"] == pytest.approx(80)
    # invariants, and agreement with lines.line_table's own lapsed amounts (400 + 80)
    total = out.sum()
    assert total["undisbursed_deadline_mvnd"] == pytest.approx(
        total["carried_over_mvnd"] + total["lapsed_at_deadline_mvnd"]
    )
    assert total["carried_over_mvnd"] == pytest.approx(
        total["carried_over_disbursed_mvnd"]
        + total["lapsed_after_extension_mvnd"]
        + total["carried_over_open_mvnd"]
    )
    assert total["lapsed_mvnd"] == pytest.approx(lines["lapsed_mvnd"].sum()) == 480
    by_unit = execution.carry_over_by(lines, "unit_code").set_index("unit_code")
    assert by_unit.loc["12", "lapsed_mvnd"] == pytest.approx(400)  # line B
    assert math.isnan(by_unit.loc["12", "carried_over_disbursed_share"])  # nothing carried


# --------------------------------------------------------------------------- profile
def test_monthly_profile_against_linear():
    a = alloc(
        [{"plan_year": 2024, "amount_mvnd": 1200.0}, {"plan_year": 2023, "amount_mvnd": 100.0}]
    )
    d = snaps(
        a,
        [
            (0, "2024-03-31", 300),
            (0, "2024-06-30", 600),
            (0, "2024-12-31", 1200),
            (1, "2023-12-31", 50),
        ],
    )
    lines = line_table(a, d)  # last report 31 Dec 2024
    prof = execution.monthly_profile(lines, d).set_index(["plan_year", "month"])
    p24 = prof.loc[2024]
    # Jan 2025 (month 13) is after the last report: left out for 2024; 2023 has all 13
    assert list(p24.index) == list(range(1, 13))
    assert len(prof.loc[2023]) == 13
    assert p24.loc[1, "share_of_allocated"] == 0  # no snapshot yet
    assert p24.loc[3, "share_of_allocated"] == pytest.approx(300 / 1200)  # 0.25
    assert p24.loc[4, "share_of_allocated"] == pytest.approx(300 / 1200)  # carried forward
    assert p24.loc[6, "share_of_allocated"] == pytest.approx(0.5)
    assert p24.loc[12, "share_of_allocated"] == pytest.approx(1.0)
    # linear: month / 12 -> 3: 0.25, 6: 0.5, 12: 1; month 13 stays at 1
    assert p24.loc[3, "linear_share"] == pytest.approx(0.25)
    assert prof.loc[(2023, 13), "linear_share"] == 1.0
    # share of what was disbursed by the deadline: 2023 reached 50 by 31 Dec -> 50/50
    assert prof.loc[(2023, 12), "share_of_deadline"] == pytest.approx(1.0)
    pooled = execution.monthly_profile(lines, d, by=None).set_index("month")
    # month 3: 2024 has 300 of 1200, 2023 had 0 of 100 -> 300 / 1300
    assert pooled.loc[3, "share_of_allocated"] == pytest.approx(300 / 1300)
    # month 13: only 2023 observed -> 50 / 100
    assert pooled.loc[13, "share_of_allocated"] == pytest.approx(0.5)


def test_year_end_concentration():
    a = alloc([{"plan_year": 2024, "amount_mvnd": 1000.0}])
    d = snaps(
        a,
        [
            (0, "2024-09-30", 300),
            (0, "2024-11-30", 500),
            (0, "2024-12-31", 700),
            (0, "2025-01-31", 800),
        ],
    )
    out = execution.year_end_concentration(line_table(a, d), d).iloc[0]
    # Q4 = D(31 Dec) - D(30 Sep) = 700 - 300 = 400 of the 800 disbursed by the deadline
    assert out["q4_mvnd"] == pytest.approx(400)
    assert out["q4_share"] == pytest.approx(0.5)
    # Dec-Jan = D(31 Jan) - D(30 Nov) = 800 - 500 = 300 -> 300 / 800 = 0.375
    assert out["dec_jan_share"] == pytest.approx(0.375)
    assert execution.concentration_total(execution.year_end_concentration(line_table(a, d), d))[
        "q4_share"
    ] == pytest.approx(0.5)


# --------------------------------------------------------------------------- PEFA PI-1
def yearly(outturns: dict[int, float], observed: dict[int, bool] | None = None) -> pd.DataFrame:
    """A line table with one line per year: 1000 allocated, outturn × 1000 disbursed."""
    observed = observed or {}
    return pd.DataFrame(
        {
            "plan_year": list(outturns),
            "amount_mvnd": 1000.0,
            "disbursed_deadline_mvnd": [1000.0 * v for v in outturns.values()],
            "deadline_observed": [observed.get(y, True) for y in outturns],
        }
    )


@pytest.mark.parametrize(
    ("outturns", "grade"),
    [
        ((0.95, 1.05, 0.80), "A"),  # 95 % and 105 % are inside A (bounds inclusive): 2 of 3
        ((0.949, 1.05, 0.80), "B"),  # only one year in A; 94.9 % and 105 % are within 90–110 %
        ((0.90, 1.10, 0.50), "B"),  # B bounds inclusive
        ((0.85, 1.15, 1.00), "C"),  # one year in A/B only; all three within 85–115 %
        ((0.84, 1.16, 1.00), "D"),  # only one year within any band
    ],
)
def test_pefa_pi1_grade_boundaries(outturns, grade):
    score = pefa.pefa_aggregate_outturn(
        yearly(dict(zip((2022, 2023, 2024), outturns, strict=True)))
    )
    assert score.grade == grade
    assert score.years == [2022, 2023, 2024]


def test_pefa_pi1_per_year_values_and_window():
    # four completed years: the window is the last three (2023–2025)
    score = pefa.pefa_aggregate_outturn(yearly({2022: 0.5, 2023: 0.5, 2024: 1.0, 2025: 1.0}))
    assert score.years == [2023, 2024, 2025]
    assert score.grade == "A"  # 2024 and 2025 at 100 %
    t = score.table.set_index("plan_year")
    assert t.loc[2023, "outturn"] == pytest.approx(0.5)  # 500 / 1000
    assert t.loc[2023, "grade"] == "D"
    # 2025's deadline not observed: the window becomes 2022–2024 -> only 2024 in A -> D
    late = pefa.pefa_aggregate_outturn(
        yearly({2022: 0.5, 2023: 0.5, 2024: 1.0, 2025: 1.0}, observed={2025: False})
    )
    assert late.years == [2022, 2023, 2024]
    assert late.grade == "D"


def test_pefa_pi1_needs_two_years_and_bands_are_configurable():
    one = pefa.pefa_aggregate_outturn(yearly({2024: 1.0}))
    assert one.grade is None and "2" in one.note
    wide = {"A": 0.25, "B": 0.30, "C": 0.35}
    assert (
        pefa.pefa_aggregate_outturn(yearly({2023: 0.8, 2024: 0.8}), bands=wide).grade == "A"
    )  # |0.8 - 1| = 0.2 <= 0.25


def test_pefa_grades_against_the_originally_approved_plan_when_given():
    # each year 1000 disbursed of a final 1000, but the originally approved plan was 1250:
    # against the final amount the outturn is 100 % (A); against the original 80 % (D)
    lines = yearly({2022: 1.0, 2023: 1.0, 2024: 1.0}).assign(approved_mvnd=1250.0)
    score = pefa.pefa_aggregate_outturn(lines)
    assert score.baseline == "approved" and not score.provisional
    assert score.table["outturn"].tolist() == pytest.approx([0.8, 0.8, 0.8])
    assert score.grade == "D"
    final = pefa.pefa_aggregate_outturn(lines.drop(columns="approved_mvnd"))
    assert final.baseline == "allocated" and final.grade == "A"
    # one line without its original: that line's final amount stands in, said as "partly"
    partly = lines.assign(approved_mvnd=[1250.0, None, 1250.0])
    score = pefa.pefa_aggregate_outturn(partly)
    assert score.baseline == "approved_partly"
    assert score.table["outturn"].tolist() == pytest.approx([0.8, 1.0, 0.8])


def test_pefa_grade_from_fewer_than_three_years_is_provisional():
    assert pefa.pefa_aggregate_outturn(yearly({2023: 1.0, 2024: 1.0})).provisional
    assert not pefa.pefa_aggregate_outturn(yearly({2022: 1.0, 2023: 1.0, 2024: 1.0})).provisional


def test_pefa_pi1_ignores_years_without_allocation():
    t = yearly({2023: 1.0, 2024: 1.0})
    t = pd.concat(
        [
            t,
            pd.DataFrame(
                {
                    "plan_year": [2021],
                    "amount_mvnd": [0.0],
                    "disbursed_deadline_mvnd": [0.0],
                    "deadline_observed": [True],
                }
            ),
        ]
    )
    assert pefa.pefa_aggregate_outturn(t).years == [2023, 2024]


# --------------------------------------------------------------------------- PEFA PI-2
def composition(devs: dict[int, float]) -> pd.DataFrame:
    """Two projects of 500 each per year; actual 500 + d and 500 − d (total 1000, k = 1), so
    variance = (|d| + |d|) / 1000 = 2d / 1000."""
    rows = []
    for year, d in devs.items():
        rows.append(
            {
                "plan_year": year,
                "project_code": "DA1",
                "amount_mvnd": 500.0,
                "disbursed_deadline_mvnd": 500.0 + d,
                "deadline_observed": True,
            }
        )
        rows.append(
            {
                "plan_year": year,
                "project_code": "DA2",
                "amount_mvnd": 500.0,
                "disbursed_deadline_mvnd": 500.0 - d,
                "deadline_observed": True,
            }
        )
    return pd.DataFrame(rows)


def test_pefa_pi2_formula_with_scaling():
    # allocated 600 / 400, actual 540 / 260: k = 800 / 1000 = 0.8;
    # adjusted 480 / 320; |540 - 480| + |260 - 320| = 120; variance = 120 / 800 = 0.15
    t = pd.DataFrame(
        {
            "plan_year": [2024, 2024],
            "project_code": ["DA1", "DA2"],
            "amount_mvnd": [600.0, 400.0],
            "disbursed_deadline_mvnd": [540.0, 260.0],
            "deadline_observed": [True, True],
        }
    )
    score = pefa.pefa_composition_variance(t)
    row = score.table.iloc[0]
    assert row["k"] == pytest.approx(0.8)
    assert row["abs_deviation_mvnd"] == pytest.approx(120)
    assert row["variance"] == pytest.approx(0.15)
    assert row["grade"] == "D"  # 15 % is not < 15 %
    assert score.grade is None  # one year only


@pytest.mark.parametrize(
    ("devs", "grade"),
    [
        ((20, 20, 100), "A"),  # 4 %, 4 %, 20 %: two years < 5 %
        ((25, 20, 100), "B"),  # 5 % is not < 5 % (strict); 5 % and 4 % < 10 %
        ((50, 74, 100), "C"),  # 10 % not < 10 %; 10 % and 14.8 % < 15 %
        ((75, 75, 100), "D"),  # 15 %, 15 %, 20 %: none < 15 %
    ],
)
def test_pefa_pi2_grade_boundaries(devs, grade):
    score = pefa.pefa_composition_variance(
        composition(dict(zip((2022, 2023, 2024), devs, strict=True)))
    )
    assert score.grade == grade


def test_pefa_pi2_by_district():
    t = composition({2023: 20, 2024: 20}).assign(unit_code=lambda f: f["project_code"])
    score = pefa.pefa_composition_variance(t, by="unit_code")
    assert list(score.table["variance"].round(6)) == [0.04, 0.04]  # 2 × 20 / 1000
    assert score.grade == "A"


# --------------------------------------------------------------------------- targets
def test_target_status_both_directions_and_no_data():
    assert targets.target_status("higher_better", 85, 80) == "met"
    assert targets.target_status("higher_better", 80, 80) == "met"  # reaching it counts
    assert targets.target_status("higher_better", 79.9, 80) == "not_met"
    assert targets.target_status("lower_better", 12, 15) == "met"
    assert targets.target_status("lower_better", 15, 15) == "met"
    assert targets.target_status("lower_better", 20, 15) == "not_met"
    assert targets.target_status("lower_better", None, 15) == "no_data"
    assert targets.target_status("higher_better", float("nan"), 80) == "no_data"
    with pytest.raises(ValueError, match="higher_better"):
        targets.target_status("sideways", 1, 1)


def test_target_scorecard():
    def row(code, direction, base, target, year, actual, unit="10"):
        return {
            "indicator_code": code,
            "name_vi": code,
            "name_en": code,
            "unit": "%",
            "direction": direction,
            "unit_code": unit,
            "baseline_value": base,
            "target_value": target,
            "year": year,
            "actual_value": actual,
        }

    frame = pd.DataFrame(
        [
            row("up", "higher_better", 40, 80, 2024, 60),
            row("up", "higher_better", 40, 80, 2025, 85),  # latest: 85 >= 80 -> met
            row("down", "lower_better", 30, 15, 2024, 20),
            row("down", "lower_better", 30, 15, 2025, None),  # latest with a value: 2024's 20
            row("none", "higher_better", 10, 20, 2025, None),  # never reported -> no data
            row("flat", "higher_better", 50, 50, 2025, 50),  # baseline = target
            row("up", "higher_better", 40, 80, 2025, 10, unit="11"),  # other unit
        ]
    )
    card = targets.target_scorecard(frame, "10").set_index("indicator_code")
    assert len(card) == 4
    assert card.loc["up", "latest_value"] == 85 and card.loc["up", "latest_year"] == 2025
    assert card.loc["up", "progress_ratio"] == pytest.approx((85 - 40) / (80 - 40))  # 1.125
    assert card.loc["up", "status"] == "met"
    assert card.loc["down", "latest_value"] == 20 and card.loc["down", "latest_year"] == 2024
    assert card.loc["down", "progress_ratio"] == pytest.approx((20 - 30) / (15 - 30))  # 0.667
    assert card.loc["down", "status"] == "not_met"
    assert card.loc["none", "status"] == "no_data"
    assert math.isnan(card.loc["none", "progress_ratio"])
    assert math.isnan(card.loc["flat", "progress_ratio"])  # (50 - 50) / 0: undefined
    assert card.loc["flat", "status"] == "met"
    # up to 2024: "up" falls back to 60 -> (60 - 40) / 40 = 0.5, not met
    early = targets.target_scorecard(frame, "10", up_to_year=2024).set_index("indicator_code")
    assert early.loc["up", "progress_ratio"] == pytest.approx(0.5)
    assert early.loc["up", "status"] == "not_met"
    # "N of M met": up, flat met; down not met; none no data -> 2 of 4
    assert targets.targets_met(card.reset_index()) == {
        "met": 2,
        "not_met": 1,
        "no_data": 1,
        "total": 4,
    }


# --------------------------------------------------------------------------- timing
def test_time_to_share_of_each_line():
    a = alloc(
        [
            {"plan_year": 2024, "amount_mvnd": 1000.0},
            {"plan_year": 2024, "unit_code": "12", "amount_mvnd": 1000.0},
        ]
    )
    d = snaps(
        a,
        [
            (0, "2024-03-31", 400),
            (0, "2024-04-30", 500),
            (0, "2024-05-31", 900),
            (1, "2024-12-31", 499),
        ],
    )
    as_of = pd.Timestamp("2024-12-31")
    tt = survival_km.timed_lines(line_table(a, d), d, 0.5, as_of)
    # line 0 reaches 500 = 50 % on 30 Apr 2024: 1 Jan -> 30 Apr 2024 = 31+29+31+29 = 120 days
    assert tt["time_months"].iloc[0] == pytest.approx(120 / DAYS_PER_MONTH)  # 3.94 months
    # 499 < 500: not reached; its deadline (31 Jan 2025) is ahead, so it is censored at its
    # last report (31 Dec 2024: 366 - 1 = 365 days), not "never"
    assert tt["reached"].tolist() == [1, 0]
    assert tt["time_months"].iloc[1] == pytest.approx(365 / DAYS_PER_MONTH)
    # 90 %: 900 on 31 May: 120 + 31 = 151 days
    t90 = survival_km.timed_lines(line_table(a, d), d, 0.9, as_of)
    assert t90["time_months"].iloc[0] == pytest.approx(151 / DAYS_PER_MONTH)


def test_district_comparison_ranking_and_province_reference():
    a = alloc(
        [
            {"plan_year": 2024, "unit_code": "11", "amount_mvnd": 1000.0},
            {"plan_year": 2024, "unit_code": "111", "amount_mvnd": 1000.0},  # commune of 11
            {"plan_year": 2024, "unit_code": "12", "amount_mvnd": 500.0},
            {"plan_year": 2024, "unit_code": "10", "amount_mvnd": 500.0},  # province's own line
        ]
    )
    d = snaps(
        a,
        [
            (0, "2024-06-30", 500),
            (0, "2025-01-31", 800),
            (1, "2024-09-30", 600),
            (2, "2024-03-31", 450),
            (3, "2025-01-31", 100),
        ],
    )
    out = districts.district_comparison(line_table(a, d), d, UNITS, "10")
    assert list(out["unit_code"]) == ["12", "11", "13", "10"]  # ranked, no-line 13, province
    r = out.set_index("unit_code")
    # district 11 = its line + commune 111: (800 + 600) / (1000 + 1000) = 0.7
    assert r.loc["11", "allocated_mvnd"] == 2000
    assert r.loc["11", "execution_rate"] == pytest.approx(0.7)
    assert r.loc["12", "execution_rate"] == pytest.approx(450 / 500)  # 0.9
    # province: (800 + 600 + 450 + 100) / 3000 = 1950 / 3000 = 0.65
    assert r.loc["10", "execution_rate"] == pytest.approx(0.65)
    assert r.loc["12", "rank"] == 1 and r.loc["11", "rank"] == 2
    assert pd.isna(r.loc["13", "rank"]) and math.isnan(r.loc["13", "execution_rate"])
    assert pd.isna(r.loc["10", "rank"]) and r.loc["10", "level"] == "province"
    assert r.loc["12", "vs_province_pp"] == pytest.approx((0.9 - 0.65) * 100)  # 25 pp
    assert r.loc["11", "vs_province_pp"] == pytest.approx((0.7 - 0.65) * 100)  # 5 pp
    # months to 50 % from 1 Jan 2024 (leap year): line 11 on 30 Jun = 31+29+31+30+31+29 =
    # 181 days; commune on 30 Sep = 181+31+31+30 = 273 days; district 12 on 31 Mar =
    # 31+29+30 = 90 days; the province line ends at 100 of 500 on its deadline (censored at
    # the last report, 396 days). Kaplan–Meier medians (first time the curve is at or below
    # one half): district 11: S = 1/2 at 181 days -> 181; district 12: 90; province: S = 3/4
    # at 90, 2/4 at 181 -> 181 days (the old rule, with the province line as infinitely late,
    # gave the mean of 181 and 273)
    m11, m12 = 181 / DAYS_PER_MONTH, 90 / DAYS_PER_MONTH
    assert r.loc["11", "median_months_to_50"] == pytest.approx(m11)
    assert r.loc["12", "median_months_to_50"] == pytest.approx(m12)
    assert r.loc["10", "median_months_to_50"] == pytest.approx(m11)
    assert r.loc["10", "n_lines_timed"] == 4 and r.loc["10", "n_lines_reached_50"] == 3


# --------------------------------------------------------------------------- summary
def test_summary_metrics_on_a_tiny_dataset():
    from helpers.data import intake
    from helpers.data.datasets import resolve_scope

    units = UNITS[UNITS["unit_code"].isin(["10", "11", "12"])].copy()
    a = alloc(
        [
            {"plan_year": 2024, "unit_code": "11", "amount_mvnd": 1000.0},
            {
                "plan_year": 2024,
                "unit_code": "12",
                "amount_mvnd": 600.0,
                "source": "local",
                "capital_type": "recurrent",
            },
        ]
    )
    d = snaps(a, [(0, "2025-01-31", 800), (1, "2024-12-31", 300)])
    ds = intake.validate_frames(
        {
            "units": units,
            "allocations": a.drop(columns="line_id"),
            "disbursements": d.drop(columns="line_id"),
        },
        origin="test",
        sha256="0" * 64,
    )
    m = analysis_assessment.summary_metrics(
        ds, resolve_scope(ds, "province"), range(2021, 2026), "en"
    )
    assert m["scope"] == "province" and m["unit_code"] == "10" and m["demo"] is False
    assert m["allocated_mvnd"] == 1600  # 1000 + 600
    assert m["disbursed_mvnd"] == 1100  # 800 + 300
    years = {y["plan_year"]: y for y in m["by_year"]}
    assert years[2021]["status"] == "no_allocation"
    assert years[2021]["execution_rate_deadline"] is None
    assert years[2024]["disbursed_dec31_mvnd"] == 300  # line 0 had no snapshot by 31 Dec
    assert m["by_capital_type"]["investment"]["allocated_mvnd"] == 1000
    assert m["by_capital_type"]["recurrent"]["by_source"]["local"]["disbursed_mvnd"] == 300
    assert m["by_source"]["credit"] == {
        "allocated_mvnd": 0.0,
        "disbursed_mvnd": 0.0,
        "disbursed_deadline_mvnd": 0.0,
        "execution_rate": None,
    }
    assert m["pefa_aggregate_grade"] is None  # one completed year only
    assert m["targets_total"] == 0
    district = analysis_assessment.summary_metrics(ds, resolve_scope(ds, "12"), [2024])
    assert district["scope"] == "12" and district["allocated_mvnd"] == 600
    assert district["district_rank"] == 2  # 300/600 = 0.5 < 800/1000 = 0.8


def test_summary_lists_the_district_ranking_and_scorecard_for_the_brief():
    from helpers.data.datasets import open_dataset, resolve_scope

    ds = open_dataset("demo")
    m = analysis_assessment.summary_metrics(ds, resolve_scope(ds, "province"))
    ranking = m["district_ranking"]
    districts = [r for r in ranking if r["level"] == "district"]
    # the demo province has 10 districts, ranked 1..10 once each, plus the province row
    assert sorted(r["rank"] for r in districts) == list(range(1, 11))
    assert sum(r["level"] == "province" for r in ranking) == 1
    rates = [r["execution_rate"] for r in sorted(districts, key=lambda r: r["rank"])]
    assert rates == sorted(rates, reverse=True)
    card = m["target_scorecard"]
    assert len(card) == m["targets_total"]
    assert sum(r["status"] == "met" for r in card) == m["targets_met"]
