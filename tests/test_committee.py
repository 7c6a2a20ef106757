"""Legal deadlines by capital type and the committee's rates, on small hand-built tables.

Expected values are worked out by hand in the comments. Amounts are million VND.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from helpers.analysis import committee
from helpers.analysis.lines import line_table
from helpers.core.contracts import Metrics
from helpers.data.deadlines import legal_deadlines
from lines_factory import alloc, snaps

T = pd.Timestamp


# --------------------------------------------------------------------------- A: legal deadlines
def test_legal_deadline_by_capital_type_dates_and_blanket():
    a = alloc(
        [
            # investment 2024 decided in March, not extended: 31 Jan 2025 (LPI 2019 Art. 68)
            {"plan_year": 2024, "amount_mvnd": 1.0, "decision_date": "2024-03-01"},
            # investment 2024 assigned after 30 Sep: 31 Dec 2025 without a decision
            {"plan_year": 2024, "amount_mvnd": 1.0, "decision_date": "2024-10-15",
             "project_code": "DA3"},
            # investment 2025 extended: the 2024 law (Art. 72)
            {"plan_year": 2025, "amount_mvnd": 1.0, "decision_date": "2025-03-01",
             "extended_until": "2026-12-31"},
            # recurrent 2023 carried over to 31 Dec 2024, then the blanket row to 31 Dec 2025
            {"plan_year": 2023, "amount_mvnd": 1.0, "capital_type": "recurrent",
             "decision_date": "2023-03-01", "extended_until": "2024-12-31"},
            # recurrent 2024 carried over, the blanket row does not name 2024
            {"plan_year": 2024, "amount_mvnd": 1.0, "capital_type": "recurrent",
             "decision_date": "2024-03-01", "extended_until": "2025-12-31"},
            # recurrent 2024 decided late: no late-assignment rule for recurrent capital
            {"plan_year": 2024, "amount_mvnd": 1.0, "capital_type": "recurrent",
             "decision_date": "2024-11-01", "project_code": "DA3"},
        ]
    )  # fmt: skip
    blanket = pd.DataFrame(
        {
            "legal_basis": ["NQ-X"],
            "plan_years": ["2022;2023"],
            "capital_type": [None],
            "new_deadline": [T("2025-12-31")],
            "source_id": [None],
        }
    )
    out = legal_deadlines(a, blanket)
    assert list(out["legal_deadline"]) == [
        T("2025-01-31"), T("2025-12-31"), T("2026-12-31"),
        T("2025-12-31"), T("2025-12-31"), T("2025-01-31"),
    ]  # fmt: skip
    assert list(out["legal_basis"]) == [
        "LPI2019.art68.regular",
        "LPI2019.art68.late_added",
        "LPI2024.art72.extended",
        "NQ-X",
        "SBL.carry_over.carried_over",
        "SBL.carry_over.regular",
    ]
    # latest: 31 Dec of the next year, or the legal deadline when later
    assert list(out["latest_deadline"]) == [
        T("2025-12-31"), T("2025-12-31"), T("2026-12-31"),
        T("2025-12-31"), T("2025-12-31"), T("2025-12-31"),
    ]  # fmt: skip
    assert list(out["carry_word"]) == ["extension"] * 3 + ["carry_over"] * 3
    # without the blanket row the recurrent 2023 line keeps its carry-over date
    assert legal_deadlines(a)["legal_deadline"].iloc[3] == T("2024-12-31")
    # a blanket row for investment only leaves recurrent lines alone
    inv_only = blanket.assign(capital_type=["investment"])
    assert legal_deadlines(a, inv_only)["legal_deadline"].iloc[3] == T("2024-12-31")


def four_lines() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A: investment 2023, 100, extended to 31 Dec 2024; B: recurrent 2023, 50, carried over
    to 30 Jun 2025; C: investment 2024, 200, not extended; D: recurrent 2025, 70."""
    a = alloc(
        [
            {"plan_year": 2023, "amount_mvnd": 100.0, "decision_date": "2023-03-01",
             "extended_until": "2024-12-31"},
            {"plan_year": 2023, "amount_mvnd": 50.0, "capital_type": "recurrent",
             "decision_date": "2023-03-01", "extended_until": "2025-06-30"},
            {"plan_year": 2024, "amount_mvnd": 200.0, "decision_date": "2024-03-01"},
            {"plan_year": 2025, "amount_mvnd": 70.0, "capital_type": "recurrent",
             "decision_date": "2025-02-01"},
        ]
    )  # fmt: skip
    d = snaps(
        a,
        [
            (0, "2023-12-31", 50), (0, "2024-01-31", 60), (0, "2024-06-30", 80),
            (1, "2023-12-31", 5), (1, "2024-01-31", 10), (1, "2025-03-31", 30),
            (2, "2024-12-31", 120), (2, "2025-01-31", 150),
            (3, "2025-03-31", 10),
        ],
    )  # fmt: skip
    return a, d


def test_legal_carry_over_extension_vs_carry_over_and_lapse():
    a, d = four_lines()
    lines = line_table(a, d)  # last report 31 Mar 2025
    got = lines.set_index(lines.index)
    # A: 60 by 31 Jan 2024 -> 40 extended; 80 by its deadline -> 20 disbursed after, 20 lapsed
    # (31 Dec 2024 is past and no extension reaches further)
    assert got.loc[0, "extended_mvnd"] == pytest.approx(40)
    assert got.loc[0, "extended_disbursed_mvnd"] == pytest.approx(20)
    assert got.loc[0, "legal_lapsed_mvnd"] == pytest.approx(20)
    assert got.loc[0, "recurrent_carried_over_mvnd"] == 0
    # B: 10 by 31 Jan 2024 -> 40 carried over; 30 by 31 Mar 2025 -> 20 disbursed, 20 open
    assert got.loc[1, "recurrent_carried_over_mvnd"] == pytest.approx(40)
    assert got.loc[1, "recurrent_carried_over_disbursed_mvnd"] == pytest.approx(20)
    assert got.loc[1, "legal_open_mvnd"] == pytest.approx(20)
    assert got.loc[1, "extended_mvnd"] == 0
    # C: 150 by 31 Jan 2025, not extended, an extension could still reach 31 Dec 2025: 50
    assert got.loc[2, "extended_mvnd"] == 0
    assert got.loc[2, "not_extended_mvnd"] == pytest.approx(50)
    assert got.loc[2, "legal_lapsed_mvnd"] == 0
    # D: deadline 31 Jan 2026 not observed: not yet known
    assert math.isnan(got.loc[3, "extended_mvnd"])
    assert list(lines["status_at_last_report"]) == [
        "lapsed",
        "carried_over",
        "not_extended",
        "in_year",
    ]
    by_law = committee.carry_over_by_law(lines)
    assert by_law == {
        "extended_mvnd": 40.0,
        "extended_disbursed_mvnd": 20.0,
        "carried_over_mvnd": 40.0,
        "carried_over_disbursed_mvnd": 20.0,
        "open_mvnd": 20.0,
        "not_extended_mvnd": 50.0,
        "lapsed_mvnd": 20.0,
    }
    # the regular 31 January cut-off is unchanged: 60 + 10 + 150 disbursed by the deadlines
    assert lines["disbursed_deadline_mvnd"].iloc[:3].sum() == pytest.approx(220)


# --------------------------------------------------------------------------- B: committee rates
def test_year_plan_with_carry_over():
    a, d = four_lines()
    lines = line_table(a, d)
    out = committee.year_plan_with_carry_over(lines, d, 2024)
    # own: C 200, disbursed 120 by 31 Dec 2024.
    # A (deadline 31 Dec 2024 > 31 Jan 2024): 100 - 50 by 31 Dec 2023 = 50, then 80 - 50 = 30.
    # B (deadline 30 Jun 2025): 50 - 5 = 45, then 10 - 5 = 5 by 31 Dec 2024.
    assert out.loc["total", "allocated_mvnd"] == pytest.approx(295)
    assert out.loc["total", "disbursed_mvnd"] == pytest.approx(155)
    assert out.loc["total", "rate"] == pytest.approx(155 / 295)
    assert out.loc["investment", "allocated_mvnd"] == pytest.approx(250)
    assert out.loc["investment", "rate"] == pytest.approx(150 / 250)
    assert out.loc["recurrent", "rate"] == pytest.approx(5 / 45)
    # by 30 Jun 2024: C 0; A 80 - 50 = 30; B 10 - 5 = 5
    mid = committee.year_plan_with_carry_over(lines, d, 2024, T("2024-06-30"))
    assert mid.loc["total", "disbursed_mvnd"] == pytest.approx(35)
    # the 2024 vintage alone (the by-vintage view): 120 of 200 by 31 Dec 2024
    vintage = committee.by_vintage(lines, d, 2024, T("2024-12-31"))
    assert vintage.loc["total", "rate"] == pytest.approx(0.6)


def test_phase_cumulative_and_records():
    a, d = four_lines()
    lines = line_table(a, d)
    # 30 Jun 2024: A, B, C (D is 2025): 350 allocated; 80 + 10 + 0 disbursed
    mid = committee.phase_cumulative(lines, d, T("2024-06-30"))
    assert mid.loc["total", "allocated_mvnd"] == pytest.approx(350)
    assert mid.loc["total", "disbursed_mvnd"] == pytest.approx(90)
    assert mid.loc["investment", "rate"] == pytest.approx(80 / 300)
    assert mid.loc["recurrent", "rate"] == pytest.approx(10 / 50)
    # 31 Mar 2025: all four, 420; 80 + 30 + 150 + 10 = 270
    end = committee.phase_cumulative(lines, d, T("2025-03-31"))
    assert end.loc["total", "rate"] == pytest.approx(270 / 420)
    # 15 Jan 2025: D not yet decided, so not in the plan to date
    jan = committee.phase_cumulative(lines, d, T("2025-01-15"))
    assert jan.loc["total", "allocated_mvnd"] == pytest.approx(350)
    recs = committee.committee_rates(lines, d, [T("2024-06-30")], T("2025-03-31"))
    first = recs[0]
    assert first["convention"] == "phase_cumulative"
    assert first["as_of"] == "2024-06-30"
    assert first["date_origin"] == "published"
    assert first["rate"] == pytest.approx(round(90 / 350, 4))
    assert first["by_capital_type"]["investment"]["allocated_mvnd"] == 300.0
    conventions = [(r["convention"], r["as_of"], r["date_origin"]) for r in recs]
    assert conventions == [
        ("phase_cumulative", "2024-06-30", "published"),
        ("year_plan_with_carry_over", "2024-06-30", "published"),
        ("phase_cumulative", "2025-03-31", "last_report"),
        ("year_plan_with_carry_over", "2025-03-31", "last_report"),
        ("year_plan_with_carry_over", "2023-12-31", "year_end"),
        ("year_plan_with_carry_over", "2024-12-31", "year_end"),
    ]


def test_published_dates_match_the_province_by_name():
    assert committee.province_key("Tỉnh  CAO BẰNG") == committee.province_key("Cao Bằng")
    dates = committee.published_dates("Cao Bằng")
    assert T("2025-10-15") in dates and T("2025-08-01") in dates


def test_demo_metrics_add_committee_rates():
    from helpers.analysis.assessment import summary_metrics
    from helpers.data.datasets import open_dataset, resolve_scope

    ds = open_dataset("demo")
    m = summary_metrics(ds, resolve_scope(ds, "province"))
    parsed = Metrics.parse(m)
    assert parsed.committee_rates
    published = {r.as_of for r in parsed.committee_rates if r.convention == "phase_cumulative"}
    assert {"2025-08-01", "2025-10-15"} <= published
    assert m["carry_over_by_law"]["extended_mvnd"] > 0
    assert m["carry_over_by_law"]["carried_over_mvnd"] > 0


def test_rates_by_capital_type_count_the_state_budget_and_the_total_every_source():
    """Central investment 100 (60 disbursed), local investment 50 (20), credit 200 (180, filed
    as investment): investment = (60 + 20) / 150 = 53.3 %; total = 260 / 350 = 74.3 %."""
    a = alloc(
        [
            {"plan_year": 2024, "amount_mvnd": 100.0},
            {"plan_year": 2024, "amount_mvnd": 50.0, "source": "local"},
            {"plan_year": 2024, "amount_mvnd": 200.0, "source": "credit"},
        ]
    )
    d = snaps(a, [(0, "2024-12-31", 60), (1, "2024-12-31", 20), (2, "2024-12-31", 180)])
    out = committee.phase_cumulative(line_table(a, d), d, T("2024-12-31"))
    assert out.loc["investment", "allocated_mvnd"] == pytest.approx(150)
    assert out.loc["investment", "rate"] == pytest.approx(80 / 150)
    assert out.loc["recurrent", "allocated_mvnd"] == 0
    assert out.loc["total", "allocated_mvnd"] == pytest.approx(350)
    assert out.loc["total", "rate"] == pytest.approx(260 / 350)
