"""Published figures beside the dataset: the page's wording, the match rule, the sources.

Expected values are worked out by hand in the comments. The published figures are the real
shipped ones; the datasets are tiny hand-built ones (never the demo, whose calibration is
tuned elsewhere).
"""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.analysis import published as pub
from helpers.analysis.assessment import summary_metrics
from helpers.analysis.lines import line_table
from helpers.core.contracts import Metrics
from helpers.data import intake, reference
from helpers.data.datasets import resolve_scope
from helpers.data.published import qualifier
from lines_factory import alloc, snaps

T = pd.Timestamp


# --------------------------------------------------------------------------- the wording
@pytest.mark.parametrize(
    ("value", "note", "quote", "unit", "expected"),
    [
        # "more than" stands before 4,222 ...
        ("4222", "cumulative", "Cao Bang has disbursed more than VND 4,222 billion, reaching "
         "77.2% of the plan", "billion_vnd", "at_least"),
        # ... not before 77.2: another number stands between
        ("77.2", "cumulative", "Cao Bang has disbursed more than VND 4,222 billion, reaching "
         "77.2% of the plan", "percent", "exact"),
        ("67", "'nearly 67%'", "career capital nearly 67%", "percent", "at_most"),
        ("878", "", "gần 878 tỷ đồng là vốn đầu tư phát triển", "billion_vnd", "at_most"),
        ("55", "", "đạt trên 55% kế hoạch", "percent", "at_least"),
        ("2000", "", "đã giải ngân đến tháng 9/2024 đạt hơn 2.000 tỷ đồng", "billion_vnd",
         "at_least"),
        ("19726.569", "", "được khoảng 19.726,569 tỷ đồng", "billion_vnd", "about"),
        ("5", "", "approximately 5 billion", "billion_vnd", "about"),
        ("12", "", "almost 12%", "percent", "at_most"),
        ("12", "", "above 12%", "percent", "at_least"),
        # the word nearest the number counts: "khoảng hơn" is "more than"
        ("13567", "", "thực hiện khoảng hơn 13.567 tỉ đồng", "billion_vnd", "at_least"),
        # Norwegian, with a space grouping the thousands
        ("5033", "", "i perioden 2022–2025 mer enn 5 033 milliarder VND", "billion_vnd",
         "at_least"),
        # a billion figure written in trillions
        ("137600", "", "will receive more than 137.6 trillion VND", "billion_vnd", "at_least"),
        # "trên" three words away and more ("trên địa bàn tỉnh là") is not a qualifier
        ("645", "", "trên địa bàn tỉnh là 645 tỷ đồng", "billion_vnd", "exact"),
        # trailing zeros of the page: 1.137.779,0 is 1137779; 445,060 is 445.06
        ("1137779", "", "năm 2024 là 1.137.779,0 triệu đồng", "million_vnd", "exact"),
        ("445.06", "", "đã giải ngân được hơn 445,060 tỷ đồng", "billion_vnd", "at_least"),
        # "over" inside a word is no qualifier
        ("10", "", "moreover 10% was disbursed", "percent", "exact"),
        # the quote spells the number out: the note's own quoted qualifier
        ("5776", "central budget ('more than')", "năm nghìn tỷ", "billion_vnd", "at_least"),
        ("3093.508", "phase total", "3.093 tỷ 508 triệu đồng", "billion_vnd", "exact"),
    ],
)  # fmt: skip
def test_qualifier_from_the_words_before_the_number(value, note, quote, unit, expected):
    assert qualifier(value, note, quote, unit) == expected


def test_shipped_cao_bang_figures_carry_their_wording():
    figures = reference.load("published_figures").set_index("figure_id")
    # the pages: "more than 5,472 / 4,222 billion", "77.2 %", "83.2 %", "nearly 67 %",
    # "more than 5,776 / over 2,679 / more than 3,122 billion", "mer enn 5 033",
    # "over 3 800", "75,6 %"
    expected = {
        "published_036": "at_least", "published_037": "at_least", "published_038": "exact",
        "published_039": "exact", "published_040": "at_most", "published_041": "at_least",
        "published_042": "at_least", "published_043": "at_least", "published_119": "at_least",
        "published_120": "at_least", "published_121": "exact",
    }  # fmt: skip
    assert figures.loc[list(expected), "qualifier"].to_dict() == expected
    assert set(figures["qualifier"]) <= {"exact", "at_least", "at_most", "about"}


# --------------------------------------------------------------------------- the match rule
def test_unit_of_the_last_digit():
    assert pub.last_digit_unit(77.2) == pytest.approx(0.1)
    assert pub.last_digit_unit(67.0) == 1.0
    assert pub.last_digit_unit(5472.0) == 1.0
    assert pub.last_digit_unit(6154.924) == pytest.approx(0.001)
    assert pub.decimals_of(77.2) == 1 and pub.decimals_of(67.0) == 0


@pytest.mark.parametrize(
    ("dataset", "published", "wording", "expected"),
    [
        # "more than 4,222": 4,222 − 0.5 = 4,221.5 to 4,222 × 1.01 + 0.5 = 4,264.72
        (4225.0, 4222.0, "at_least", True),
        (4264.7, 4222.0, "at_least", True),
        (4264.8, 4222.0, "at_least", False),
        (4221.4, 4222.0, "at_least", False),
        # 77.2 as published: 77.15 to 77.25
        (77.24, 77.2, "exact", True),
        (77.26, 77.2, "exact", False),
        (77.15, 77.2, "exact", True),
        # "nearly 67": 67 × 0.99 − 0.5 = 65.83 to 67 + 0.5 = 67.5
        (66.96, 67.0, "at_most", True),
        (67.3, 67.0, "at_most", True),
        (67.6, 67.0, "at_most", False),
        (65.8, 67.0, "at_most", False),
        # "about 19,726.569": max(0.0005, 197.26569): 19,529.30 to 19,923.83
        (19900.0, 19726.569, "about", True),
        (19930.0, 19726.569, "about", False),
        # "about 5": max(0.5, 0.05) = 0.5
        (5.4, 5.0, "about", True),
        (5.6, 5.0, "about", False),
        (None, 77.2, "exact", None),
    ],
)
def test_match_rule_on_hand_made_numbers(dataset, published, wording, expected):
    assert pub.matches(dataset, published, wording) is expected


# --------------------------------------------------------------------------- the sources
def test_sources_from_the_note_and_the_measure():
    assert pub.source_scope("ALL SOURCES 2022-2025: central >5,000") == "all"
    assert pub.source_scope("cumulative 2022-2025, all sources") == "all"
    assert pub.source_scope("cumulative 2022-2025, central budget") == "central"
    central_inv = pub.source_scope("central budget only", "disbursement_rate_investment")
    assert central_inv == "central"
    # by capital type, no source named: the state budget (only its capital has a type)
    assert pub.source_scope("cumulative 2022-2025", "disbursement_rate_investment") == "budget"
    assert pub.source_scope(None, "allocated_recurrent") == "budget"
    # a total whose sources are not named: all sources, labelled as not stated
    assert pub.source_scope("cumulative 2022-2025", "disbursement_rate_total") == "unstated"
    assert pub.source_scope(None) == "unstated"
    # "all-source mobilisation" beside a central-budget figure is not what the figure covers
    note = "central budget, 2021-2025; all-source mobilisation 5,737,998 m"
    assert pub.source_scope(note, "allocated_total") == "central"


def cao_bang_lines() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Four lines of 2022–2024 (amounts million VND):

    A investment central 600,000 (2022): 450,000 by 1 Aug 2025, 500,000 by 15 Oct 2025;
    B investment local 400,000 (2023): 332,000 by 15 Oct 2025;
    C investment credit 1,000,000 (2023): 100,000 by 15 Oct 2025;
    D recurrent central 300,000 (2024): 150,000 by 1 Aug 2025, 200,000 by 15 Oct 2025.
    """
    a = alloc(
        [
            {"plan_year": 2022, "amount_mvnd": 600_000.0, "decision_date": "2022-03-01"},
            {"plan_year": 2023, "amount_mvnd": 400_000.0, "decision_date": "2023-03-01",
             "source": "local"},
            {"plan_year": 2023, "amount_mvnd": 1_000_000.0, "decision_date": "2023-03-01",
             "source": "credit"},
            {"plan_year": 2024, "amount_mvnd": 300_000.0, "decision_date": "2024-03-01",
             "capital_type": "recurrent"},
        ]
    )  # fmt: skip
    d = snaps(
        a,
        [
            (0, "2025-08-01", 450_000), (0, "2025-10-15", 500_000),
            (1, "2025-10-15", 332_000),
            (2, "2025-10-15", 100_000),
            (3, "2025-08-01", 150_000), (3, "2025-10-15", 200_000),
        ],
    )  # fmt: skip
    return a, d


def _figure(measure: str, note: str, as_of: str = "2025-10-15") -> pd.Series:
    return pd.Series(
        {"period": "2022-2025", "as_of": T(as_of), "measure": measure, "scope_note": note}
    )


def test_rates_by_capital_type_cover_the_state_budget_only():
    a, d = cao_bang_lines()
    lines = line_table(a, d)
    inv = _figure("disbursement_rate_investment", "cumulative 2022-2025")
    conv, _ = pub.classify(inv, T("2025-10-15"))
    assert conv == "phase_cumulative"
    sources = pub.source_scope(inv["scope_note"], inv["measure"])
    # state budget: A + B = (500,000 + 332,000) / (600,000 + 400,000) = 83.2 %
    assert pub.dataset_value(lines, d, inv, conv, sources) == pytest.approx(0.832)
    # credit and other capital has no capital type: even over all sources the rate by capital
    # type is the state budget's (not (832,000 + 100,000) / 2,000,000 = 46.6 %)
    assert pub.dataset_value(lines, d, inv, conv, "all") == pytest.approx(0.832)
    rec = _figure("disbursement_rate_recurrent", "nearly 67%")
    # D: 200,000 / 300,000 = 66.67 %, "nearly 67": 65.83 to 67.5
    value = pub.dataset_value(lines, d, rec, conv, "budget")
    assert value == pytest.approx(2 / 3)
    assert pub.matches(value * 100, 67.0, "at_most") is True
    # central on 1 Aug 2025: A + D = (450,000 + 150,000) / 900,000
    central = _figure("disbursement_rate_total", "central budget", "2025-08-01")
    assert pub.dataset_value(lines, d, central, conv, "central") == pytest.approx(600 / 900)


# --------------------------------------------------------------------------- a tiny province
UNITS = pd.DataFrame(
    {
        "unit_code": ["04", "040"],
        "name_vi": ["Cao Bằng", "Thành phố Cao Bằng"],
        "name_en": ["Cao Bang", "Cao Bang City"],
        "level": ["province", "district"],
        "parent_code": [None, "04"],
    }
)


def tiny_dataset(units: pd.DataFrame = UNITS):
    a, d = cao_bang_lines()
    a["unit_code"] = d["unit_code"] = "040"
    return intake.validate_frames(
        {
            "units": units,
            "allocations": a.drop(columns="line_id"),
            "disbursements": d.drop(columns="line_id"),
        },
        origin="test",
        sha256="0" * 64,
    )


@pytest.fixture(scope="module")
def tiny():
    return tiny_dataset()


def test_every_cao_bang_figure_beside_the_tiny_dataset(tiny):
    table = pub.published_comparison(tiny).set_index("figure_id")
    assert len(table) == 11 and table["matches"].notna().all()
    # 83.2 % (state budget) and "nearly 67 %" (66.67 %) match; nothing else does:
    # all sources on 15 Oct: 1,132,000 / 2,300,000 = 49.2 % against 77.2 %
    assert table.loc["published_039", "sources"] == "budget"
    assert table.loc["published_039", "dataset"] == pytest.approx(83.2)
    assert table.loc["published_040", "dataset"] == pytest.approx(200 / 3)
    assert table.loc["published_038", "dataset"] == pytest.approx(113_200 / 2_300)
    assert table.index[table["matches"]].tolist() == ["published_039", "published_040"]
    assert pub.match_counts(table.reset_index()) == (2, 11)
    # amounts in the page's unit: 1,132,000 million = 1,132 billion VND ("more than 4,222")
    assert table.loc["published_037", "unit"] == "billion_vnd"
    assert table.loc["published_037", "dataset"] == pytest.approx(1132.0)
    assert table.loc["published_037", "qualifier"] == "at_least"
    # the phase's central allocation without a date: A + D = 900 billion
    assert table.loc["published_041", "convention"] == "phase_total"
    assert table.loc["published_041", "dataset"] == pytest.approx(900.0)
    assert table["url"].str.startswith("https://").all()


def test_metrics_carry_the_comparison_and_the_standing_for_the_province_only(tiny):
    m = summary_metrics(tiny, resolve_scope(tiny, "province"), range(2021, 2026), "en")
    parsed = Metrics.parse(m)
    rows = {r.figure_id: r for r in parsed.published_comparison}
    assert set(rows) == {f"published_{i:03d}" for i in (*range(36, 44), 119, 120, 121)}
    r39 = rows["published_039"]
    assert (r39.unit, r39.published, r39.decimals, r39.qualifier) == ("percent", 83.2, 1, "exact")
    assert (r39.dataset, r39.convention, r39.sources, r39.matches) == (
        83.2, "phase_cumulative", "budget", True,
    )  # fmt: skip
    assert rows["published_121"].matches is False and rows["published_121"].url
    # the standing compares published figures only: on 1 Aug 2025, Cao Bằng 75.6 % (central)
    # and Sơn La "nearly 70 %" (5 Jul, 27 days, sources not stated): two provinces, rank 1;
    # on 15 Oct 2025 Cao Bằng would stand alone
    s = parsed.published_standing
    assert (s.as_of, s.n, s.rank, s.value, s.window_days) == ("2025-08-01", 2, 1, 0.756, 60)
    assert [(r.province, r.own, r.comparability) for r in s.rows] == [
        ("Cao Bằng", True, "same_sources"),
        ("Sơn La", False, "sources_unstated"),
    ]
    assert s.rows[1].qualifier == "at_most" and s.rows[1].days_apart == 27
    district = summary_metrics(tiny, resolve_scope(tiny, "040"), range(2021, 2026))
    assert district["published_comparison"] is None and district["published_standing"] is None


def test_a_province_without_published_figures_gets_none():
    units = UNITS.assign(name_vi=["Tỉnh A", "Huyện Một"], name_en=["Province A", "One"])
    ds = tiny_dataset(units)
    m = summary_metrics(ds, resolve_scope(ds, "province"), range(2021, 2026))
    assert m["published_comparison"] == [] and m["published_standing"] is None
    assert Metrics.parse(m).committee_rates  # the committee's conventions are still computed
