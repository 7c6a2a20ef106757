"""Preparation step of the lag models on tiny hand-built tables (expected values by hand).

Months are days / 30.4375 (365.25 / 12), as in helpers.data.deadlines.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.analysis.lag import counterfactual, prepare, yearend
from helpers.core.errors import ParameterError
from helpers.data import contract, schema
from helpers.data.dataset import Dataset

M = 30.4375  # days per month
AS_OF = pd.Timestamp("2025-06-30")


def _line(plan_year, unit, project, ctype, amount, decision, extended=None):
    return {
        "plan_year": plan_year,
        "unit_code": unit,
        "project_code": project,
        "subproject_code": None,
        "capital_type": ctype,
        "source": "central",
        "amount_mvnd": float(amount),
        "decision_date": pd.Timestamp(decision),
        "decision_ref": None,
        "extended_until": pd.Timestamp(extended) if extended else pd.NaT,
        "note": None,
    }


# A: decided 1 Dec 2024 (plan 2024), 30 by 31 Dec, 80 by 31 Jan (deadline), not extended.
# B: decided 15 Dec 2023 (before plan year 2024), extended to 31 Dec 2025, still open.
# C: plan 2025, decided 10 Feb 2025, reports stop at 30 Apr 2025 (deadline not reached).
# D: plan 2024, decided 1 Jul 2024, no report at all.
# E: plan 2024, decided 30 Sep 2024, over-disbursed (110 of 100).
LINES = [
    _line(2024, "D1", "DA1", "investment", 100, "2024-12-01"),
    _line(2024, "D1", "DA2", "recurrent", 200, "2023-12-15", "2025-12-31"),
    _line(2025, "D1", "DA1", "investment", 50, "2025-02-10"),
    _line(2024, "D2", "DA3", "recurrent", 40, "2024-07-01"),
    _line(2024, "D2", "DA1", "investment", 100, "2024-09-30"),
]
SNAPSHOTS = [  # (line index, report date, cumulative)
    (0, "2024-12-31", 30.0),
    (0, "2025-01-31", 80.0),
    (1, "2024-03-31", 20.0),
    (1, "2024-12-31", 60.0),
    (1, "2025-01-31", 80.0),
    (1, "2025-06-30", 90.0),
    (2, "2025-03-31", 5.0),
    (2, "2025-04-30", 10.0),
    (4, "2024-12-31", 95.0),
    (4, "2025-01-31", 110.0),
]


def tiny_dataset() -> Dataset:
    units = pd.DataFrame(
        {
            "unit_code": ["P", "D1", "D2"],
            "name_vi": ["Tỉnh", "Một", "Hai"],
            "name_en": ["Prov", "One", "Two"],
            "level": ["province", "district", "district"],
            "parent_code": [None, "P", "P"],
        }
    )
    alloc = pd.DataFrame(LINES)
    alloc["line_id"] = schema.line_ids(alloc)
    key = list(schema.LINE_KEY)
    rows = []
    for i, date, value in SNAPSHOTS:
        rows.append(
            {
                "report_date": pd.Timestamp(date),
                **alloc.loc[i, key].to_dict(),
                "disbursed_cum_mvnd": value,
                "note": None,
            }
        )
    disb = pd.DataFrame(rows)
    disb["line_id"] = schema.line_ids(disb)
    empty = {
        n: contract.empty_frame(n) for n in ("program_components", "targets", "sources", "metadata")
    }
    return Dataset(
        units=units,
        allocations=alloc,
        disbursements=disb,
        origin="test",
        sha256="test",
        demo=False,
        **empty,
    )


@pytest.fixture(scope="module")
def data() -> prepare.LagData:
    return prepare.prepare_lag_data(tiny_dataset())


def _row(data, i):
    lid = schema.line_ids(pd.DataFrame([LINES[i]])).iloc[0]
    return data.lines.set_index("line_id").loc[lid]


def test_as_of_is_the_last_report(data):
    assert data.as_of == AS_OF


def test_no_line_is_dropped(data):
    assert len(data.lines) == len(LINES)


def test_months_available_to_31_jan_and_31_dec(data):
    # 1 Dec 2024 -> 31 Dec 2024 is 30 days, -> 31 Jan 2025 another 31: 61 days between the
    # dates (62 calendar days if both the decision day and the deadline day are counted; the
    # workbench counts the difference, as helpers.data.deadlines does everywhere).
    a = _row(data, 0)
    assert a["months_available"] == pytest.approx(61 / M)
    assert a["months_available_dec31"] == pytest.approx(30 / M)
    b = _row(data, 1)  # 15 Dec 2023 -> 31 Dec 2023: 16, + 366 (2024 is leap) + 31 = 413 days
    assert b["months_available"] == pytest.approx(413 / M)


def test_january_disbursement_counts_toward_the_deadline(data):
    a = _row(data, 0)
    assert a["share_dec31"] == pytest.approx(0.30)
    assert a["share_deadline"] == pytest.approx(0.80)
    assert bool(a["deadline_usable"])


def test_allocation_month_and_quarter(data):
    expected = {0: (12, "Q4"), 1: (0, "Q0"), 2: (2, "Q1"), 3: (7, "Q3"), 4: (9, "Q3")}
    for i, (month, quarter) in expected.items():
        r = _row(data, i)
        assert (r["allocation_month"], r["allocation_quarter"]) == (month, quarter), i


def test_quarter_boundaries():
    d = pd.Series(
        pd.to_datetime(
            [
                "2023-12-31",
                "2024-01-01",
                "2024-03-31",
                "2024-04-01",
                "2024-09-30",
                "2024-10-01",
                "2024-12-31",
                "2022-11-15",
            ]
        )
    )
    y = pd.Series([2024] * 7 + [2023])
    assert prepare.allocation_quarter(d, y).tolist() == [
        "Q0",
        "Q1",
        "Q1",
        "Q2",
        "Q3",
        "Q4",
        "Q4",
        "Q0",
    ]
    assert prepare.allocation_month(d, y).tolist() == [0, 1, 3, 4, 9, 10, 12, -1]


def test_time_to_50pct_is_the_first_report_at_or_above(data):
    a = _row(data, 0)  # 30 % on 31 Dec, 80 % on 31 Jan: event on 31 Jan, 61 days
    assert a["reached50"] == 1
    assert a["t50_months"] == pytest.approx(61 / M)
    e = _row(data, 4)  # 95 % on 31 Dec already: 92 days after 30 Sep
    assert e["reached50"] == 1 and e["reached90"] == 1
    assert e["t90_months"] == pytest.approx(92 / M)


def test_closed_line_below_threshold_is_censored_at_the_last_report(data):
    a = _row(data, 0)  # ended at 80 % on its deadline: its share is final
    assert bool(a["closed"])
    assert a["reached90"] == 0
    assert a["t90_months"] == pytest.approx((AS_OF - pd.Timestamp("2024-12-01")).days / M)


def test_open_line_below_threshold_is_censored_at_the_last_report(data):
    b = _row(data, 1)  # extended to Dec 2025, 45 % at the last report (30 Jun 2025)
    assert not bool(b["closed"])
    assert b["reached50"] == 0
    assert b["t50_months"] == pytest.approx((AS_OF - pd.Timestamp("2023-12-15")).days / M)


def test_line_whose_reports_stop_is_censored_at_its_last_snapshot(data):
    c = _row(data, 2)  # 20 % at 30 Apr 2025, then no report while the line is still open
    assert c["reached50"] == 0
    assert c["t50_months"] == pytest.approx(
        (pd.Timestamp("2025-04-30") - pd.Timestamp("2025-02-10")).days / M
    )
    assert not bool(c["deadline_usable"])  # its 31 Jan 2026 deadline is after the data


def test_line_without_reports_is_kept_and_censored(data):
    d = _row(data, 3)
    assert d["n_snapshots"] == 0
    assert d["share_last"] == 0.0
    assert d["reached50"] == 0
    assert d["t50_months"] == pytest.approx((AS_OF - pd.Timestamp("2024-07-01")).days / M)


def test_shares_are_capped_at_one_and_over_disbursement_is_a_caveat(data):
    e = _row(data, 4)
    assert e["share_deadline"] == 1.0
    assert any(c.id == "over_disbursed" for c in data.caveats)


def test_panel_carries_the_final_share_forward_after_the_deadline(data):
    lid = schema.line_ids(pd.DataFrame([LINES[0]])).iloc[0]
    p = data.panel[data.panel["line_id"] == lid].sort_values("report_date")
    # report dates of the data from 1 Dec 2024 to 30 Jun 2025
    assert p["report_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-12-31",
        "2025-01-31",
        "2025-03-31",
        "2025-04-30",
        "2025-06-30",
    ]
    assert p["share_disbursed"].tolist() == pytest.approx([0.3, 0.8, 0.8, 0.8, 0.8])
    assert p["snapshot"].tolist() == [True, True, False, False, False]
    assert p["months_since_decision"].iloc[0] == pytest.approx(30 / M)
    assert (p["capital_type"] == "investment").all()


def test_panel_is_zero_before_the_first_report(data):
    lid = schema.line_ids(pd.DataFrame([LINES[3]])).iloc[0]
    p = data.panel[data.panel["line_id"] == lid]
    assert len(p) > 0 and (p["share_disbursed"] == 0).all()
    assert (p["report_date"] >= pd.Timestamp("2024-07-01")).all()


def test_every_panel_row_has_the_line_attributes(data):
    for col in (
        "months_since_decision",
        "share_disbursed",
        "months_available",
        "months_available_dec31",
        "allocation_month",
        "allocation_quarter",
        "capital_type",
        "source",
        "project_code",
        "unit_code",
        "extended",
    ):
        assert col in data.panel, col
        assert data.panel[col].notna().all(), col


@pytest.mark.parametrize(
    "text, expected", [("01-31", (0, 1, 31)), ("12-15", (0, 12, 15)), ("prev-12-31", (-1, 12, 31))]
)
def test_counterfactual_date_forms(text, expected):
    assert counterfactual.parse_counterfactual_date(text) == expected


@pytest.mark.parametrize("text", ["2024-01-31", "1-31", "02-29", "13-01", "jan 31", ""])
def test_bad_counterfactual_dates_name_the_allowed_forms(text):
    with pytest.raises(ParameterError, match="MM-DD"):
        counterfactual.parse_counterfactual_date(text)


def test_counterfactual_dates_per_plan_year():
    got = counterfactual.counterfactual_dates(pd.Series([2024, 2025]), "prev-12-15")
    assert got.tolist() == [pd.Timestamp("2023-12-15"), pd.Timestamp("2024-12-15")]


def test_sandwich_matches_statsmodels_hc0_up_to_the_hc1_factor():
    import statsmodels.api as sm

    rng = np.random.default_rng(0)
    n = 300
    X = sm.add_constant(rng.normal(size=(n, 2)))
    mu = 1 / (1 + np.exp(-(X @ [0.3, 0.8, -0.5])))
    y = rng.beta(mu * 20, (1 - mu) * 20)
    w = rng.lognormal(size=n)
    w = w / w.mean()
    res = sm.GLM(y, X, family=sm.families.Binomial(), var_weights=w).fit(cov_type="HC0")
    mine = yearend.sandwich_cov(X, y, res.fittedvalues, w)
    assert np.allclose(mine * (n - 3) / n, res.cov_params(), rtol=1e-6)


def test_lag_lines_carry_their_former_district_and_the_model_its_effects():
    """District effects and clusters are former districts: a commune line counts in its
    district, a line of a unit created on 1 July 2025 in the district whose code it carries."""
    from helpers.data import datasets

    ds = datasets.open_dataset("demo")
    lines = prepare.prepare_lag_data(ds, panel=False).lines
    units = ds.units.set_index("unit_code")
    district = {
        "040": "040",  # a district line
        "01630": "049",  # a former commune of Quảng Hòa (Xã Bế Văn Đàn), when booked
        "N01273": "040",  # Phường Thục Phán carries 01273, Phường Hợp Giang of the city
        "N01447": "047",  # Xã Trà Lĩnh carries 01447, of Trùng Khánh (it took Quảng Hòa's too)
        "04": "04",  # the province's own lines
    }
    got = dict(zip(lines["unit_code"], lines["district_code"], strict=True))
    assert {u: got[u] for u in district if u in got} == {
        u: d for u, d in district.items() if u in got
    }
    former = lines["unit_code"].map(units["level"]).eq("commune") & lines["unit_code"].str.len().eq(
        5
    )
    assert (
        lines.loc[former, "unit_code"].map(units["parent_code"])
        == lines.loc[former, "district_code"]
    ).all()
    assert set(lines["district_code"]) == set(ds.districts["unit_code"]) | {"04"}
    model = yearend.fit_year_end_share(
        prepare.prepare_lag_data(ds, panel=False), district_checks=False
    )
    assert model.diagnostics["n_units"] == 11  # ten districts and the province
    assert sum(n.startswith("C(district_code)") for n in model.names) == 10
