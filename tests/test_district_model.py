"""The mix-adjusted district comparison (helpers.analysis.district_model) on hand-built lines
whose answers are closed forms, and its words in the brief.

The model is a fractional logit of each line's share at the deadline on project, capital
type, plan year and district, weighted by amount, HC1 errors. When every cell's amount-weighted
mean share is reproduced by the model (a saturated design, or cell means additive on the logit
scale), the fitted share of a cell is its mean, so a district's adjusted rate (the amount-
weighted mean prediction over all lines with the district set to it) is computed by hand.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import expit, logit

from helpers.analysis import district_model as dm
from helpers.analysis import districts
from helpers.analysis.lines import line_table
from helpers.core.contracts import Lag, Metrics
from helpers.report import brief
from helpers.report.brief import Brief
from helpers.report.brief.sections import ranking_table
from lines_factory import alloc, snaps
from test_brief import _load
from test_metrics import UNITS


def _frame(rows: list[tuple[str, str, float, float]], project: str = "P1") -> pd.DataFrame:
    """Lines (district, capital type, amount, share) of one project and plan year."""
    return pd.DataFrame(
        [
            {
                "project_code": project,
                "capital_type": c,
                "plan_year": 2024,
                "district": d,
                "amount_mvnd": a,
                "share": s,
            }
            for d, c, a, s in rows
        ]
    )


SATURATED = [
    ("A", "investment", 100, 0.7),
    ("A", "investment", 100, 0.9),
    ("B", "investment", 100, 0.1),
    ("B", "investment", 100, 0.3),
]
"""Two districts of two lines of 100: A's shares 0.7 and 0.9 (mean 0.8), B's 0.1 and 0.3."""


def _rates(res: dm.AdjustedComparison) -> pd.DataFrame:
    return res.rates.set_index("unit_code")


# ----------------------------------------------------------------------------- closed forms
def test_saturated_two_districts_by_hand():
    """Two districts of two lines of 100 each: A's shares 0.7 and 0.9 (mean 0.8), B's 0.1 and
    0.3 (mean 0.2). The model (intercept + B) is saturated: fitted shares 0.8 and 0.2, and a
    district's adjusted rate is its own mean, whichever lines it is applied to.

    HC1 errors: for a group, the information is Σ w μ(1−μ) = 2 x 0.8 x 0.2 = 0.32 and the
    meat Σ w² (y−μ)² = 2 x 0.1² = 0.02, so Var(logit p) = 0.02 / 0.32² = 0.1953 before the HC1
    factor n / (n − k) = 4 / 2 = 2: 0.3906 per group, se 0.625. β_B = logit 0.2 − logit 0.8 =
    −2 ln 4 = −2.773 with variance 2 x 0.3906 = 0.78125: Wald χ² = 7.687 / 0.78125 = 9.84 on
    one degree of freedom, p = 0.0017 < 0.05: the districts can be told apart.

    Interval of A: logit 0.8 ± 1.96 x 0.625 = 1.386 ± 1.225 → 54.0 % to 93.2 %; of B: 6.8 % to
    46.0 %. The province's adjusted mean is the observed rate (0.8 + 0.2) / 2 = 0.5: A's
    interval lies above it, B's below.
    """
    res = dm.fit_adjusted_comparison(_frame(SATURATED), ["A", "B"])
    r = _rates(res)
    assert res.summary.estimable and res.summary.n_districts == 2 and res.summary.n_lines == 4
    assert r.loc["A", "adjusted_rate"] == pytest.approx(0.8)
    assert r.loc["B", "adjusted_rate"] == pytest.approx(0.2)
    z = stats.norm.ppf(0.975)
    assert r.loc["A", "adjusted_ci_low"] == pytest.approx(expit(logit(0.8) - z * 0.625), abs=1e-6)
    assert r.loc["A", "adjusted_ci_high"] == pytest.approx(expit(logit(0.8) + z * 0.625), abs=1e-6)
    assert r.loc["B", "adjusted_ci_low"] == pytest.approx(expit(logit(0.2) - z * 0.625), abs=1e-6)
    assert res.summary.province_rate == pytest.approx(0.5)
    chi2 = (2 * math.log(4)) ** 2 / 0.78125  # 9.84
    assert res.summary.wald_chi2 == pytest.approx(chi2, rel=1e-6) and res.summary.wald_df == 1
    assert res.summary.wald_p_value == pytest.approx(stats.chi2.sf(chi2, 1), rel=1e-5)  # 0.0017
    assert res.summary.distinguishable is True
    assert list(r["adjusted_vs_province"]) == ["above", "below"]
    assert list(r["adjusted_rank"]) == [1, 2]
    out = res.to_dict()
    assert out["above"] == ["A"] and out["below"] == ["B"] and out["not_estimable"] == {}


def _mixed(delta_b_inv: float, delta_b_rec: float) -> pd.DataFrame:
    """A: investment 2 x 300 (shares 0.7, 0.9), recurrent 2 x 100 (0.4, 0.6);
    B: investment 2 x 100, recurrent 2 x 300, each pair centred on the cell mean given."""
    b_inv, b_rec = delta_b_inv, delta_b_rec
    return _frame(
        [
            ("A", "investment", 300, 0.7),
            ("A", "investment", 300, 0.9),
            ("A", "recurrent", 100, 0.4),
            ("A", "recurrent", 100, 0.6),
            ("B", "investment", 100, b_inv - 0.1),
            ("B", "investment", 100, b_inv + 0.1),
            ("B", "recurrent", 300, b_rec - 0.1),
            ("B", "recurrent", 300, b_rec + 0.1),
        ]
    )


def test_same_district_effect_different_mix_cannot_be_told_apart():
    """Both districts disburse 0.8 of investment and 0.5 of recurrent capital, but A's capital
    is mostly investment (600 of 800) and B's mostly recurrent (600 of 800): raw rates
    A = (600 x 0.8 + 200 x 0.5) / 800 = 0.725 and B = (200 x 0.8 + 600 x 0.5) / 800 = 0.575,
    15 points apart. The cell means are additive on the logit scale (no district effect), so
    the model reproduces them, and on the province's mix (800 investment, 800 recurrent) both
    adjusted rates are (800 x 0.8 + 800 x 0.5) / 1,600 = 0.65: the district effect is 0,
    Wald χ² = 0, p = 1: the districts cannot be told apart."""
    res = dm.fit_adjusted_comparison(_mixed(0.8, 0.5), ["A", "B"])
    r = _rates(res)
    assert r.loc["A", "adjusted_rate"] == pytest.approx(0.65)
    assert r.loc["B", "adjusted_rate"] == pytest.approx(0.65)
    assert res.summary.province_rate == pytest.approx((480 + 100 + 160 + 300) / 1600)  # 0.65
    assert res.summary.wald_chi2 == pytest.approx(0.0, abs=1e-10)
    assert res.summary.wald_p_value == pytest.approx(1.0)
    assert res.summary.distinguishable is False
    assert set(r["adjusted_vs_province"]) == {"overlaps"}
    assert res.to_dict()["above"] == [] and res.to_dict()["below"] == []


def test_mix_adjustment_by_hand_when_districts_differ():
    """A: investment 0.8, recurrent 0.5; B: investment 0.5, recurrent 0.2: on the logit scale
    ln 4 and 0 for A, 0 and −ln 4 for B, additive (recurrent −ln 4, district B −ln 4), so the
    model reproduces the four cell means. Raw rates: A = (600 x 0.8 + 200 x 0.5) / 800 = 0.725,
    B = (200 x 0.5 + 600 x 0.2) / 800 = 0.275. On the province's mix (800 investment, 800
    recurrent): A = (0.8 + 0.5) / 2 = 0.65, B = (0.5 + 0.2) / 2 = 0.35; the province's adjusted
    mean is its observed rate (580 + 220) / 1,600 = 0.5. The district coefficient is −ln 4."""
    res = dm.fit_adjusted_comparison(_mixed(0.5, 0.2), ["A", "B"])
    r = _rates(res)
    assert r.loc["A", "adjusted_rate"] == pytest.approx(0.65)
    assert r.loc["B", "adjusted_rate"] == pytest.approx(0.35)
    assert res.summary.province_rate == pytest.approx(0.5)
    assert res.params["C(district)[T.B]"] == pytest.approx(-math.log(4))
    assert res.params["C(capital_type)[T.recurrent]"] == pytest.approx(-math.log(4))
    assert res.summary.distinguishable is True
    assert res.summary.formula == "share ~ C(capital_type) + C(district)"


def test_province_lines_inform_the_fit_but_are_not_a_district():
    """The saturated design plus one province line (share 0.5, its own level): A and B keep
    0.8 and 0.2 (each applied to all five lines), the test still compares two districts."""
    frame = _frame([*SATURATED, ("P", "investment", 100, 0.5)])
    res = dm.fit_adjusted_comparison(frame, ["A", "B"])
    r = _rates(res)
    assert res.summary.n_lines == 5 and res.summary.n_districts == 2 and res.summary.wald_df == 1
    assert r.loc["A", "adjusted_rate"] == pytest.approx(0.8)
    assert r.loc["B", "adjusted_rate"] == pytest.approx(0.2)
    assert res.summary.province_rate == pytest.approx((0.7 + 0.9 + 0.1 + 0.3 + 0.5) / 5)  # 0.5


# ----------------------------------------------------------------------------- not estimable
def test_a_district_with_one_line_gets_no_rate_and_the_rest_still_compare():
    frame = _frame([*SATURATED, ("C", "investment", 100, 0.5)])
    res = dm.fit_adjusted_comparison(frame, ["A", "B", "C"])
    r = _rates(res)
    assert (
        res.summary.estimable and res.summary.n_districts == 2 and res.summary.n_lines == 4
    )  # C's line left out
    assert r.loc["C", "reason"] == "few_lines" and math.isnan(r.loc["C", "adjusted_rate"])
    assert pd.isna(r.loc["C", "adjusted_rank"])
    assert r.loc["A", "adjusted_rate"] == pytest.approx(0.8)
    assert res.to_dict()["not_estimable"] == {"C": "few_lines"}


def test_too_few_lines_is_not_estimable_and_never_raises():
    one_each = _frame([("A", "investment", 100, 0.7), ("B", "investment", 100, 0.3)])
    res = dm.fit_adjusted_comparison(one_each, ["A", "B"])
    assert not res.summary.estimable and res.summary.reason == "few_districts"
    assert res.summary.wald_p_value is None and res.summary.distinguishable is None
    assert res.rates["adjusted_rate"].isna().all()
    assert list(res.rates["reason"]) == ["few_lines", "few_lines"]
    empty = dm.fit_adjusted_comparison(one_each.iloc[:0], ["A", "B"])
    assert not empty.summary.estimable and empty.summary.reason == "few_districts"


def test_all_or_nothing_districts_and_collinear_designs_are_not_estimable():
    # B disbursed everything on both lines: its effect would be infinite
    boundary = _frame(
        [
            ("A", "investment", 100, 0.7),
            ("A", "investment", 100, 0.9),
            ("B", "investment", 100, 1.0),
            ("B", "investment", 100, 1.0),
        ]
    )
    res = dm.fit_adjusted_comparison(boundary, ["A", "B"])
    assert not res.summary.estimable and _rates(res).loc["B", "reason"] == "boundary"
    # every line of A is in project P1 and every line of B in P2: district = project
    collinear = pd.concat(
        [
            _frame([("A", "investment", 100, 0.7), ("A", "investment", 100, 0.9)], "P1"),
            _frame([("B", "investment", 100, 0.1), ("B", "investment", 100, 0.3)], "P2"),
        ]
    )
    res = dm.fit_adjusted_comparison(collinear, ["A", "B"])
    assert not res.summary.estimable and res.summary.reason == "collinear"


def test_a_fit_that_fails_is_reported_not_estimable(monkeypatch):
    def failing(*args, **kwargs):
        raise np.linalg.LinAlgError("singular")

    monkeypatch.setattr(dm.blockfit, "fit_logit", failing)
    frame = _mixed(0.5, 0.2)
    res = dm.fit_adjusted_comparison(frame, ["A", "B"])
    assert not res.summary.estimable and res.summary.reason == "not_converged"


# ----------------------------------------------------------------------------- from line tables
def test_the_ranking_carries_the_adjusted_rates_from_the_line_table():
    """District 11 (with its commune 111) and district 12, two lines each decided 1 Jan 2024
    (amount 1,000), plus the province's own line; shares at the 31 Jan 2025 deadline: 11: 0.7,
    0.9; 12: 0.1, 0.3; province 0.5. A 2025 line of 12 (deadline 31 Jan 2026, after the last
    report) and a line never reported stay out of the model. Saturated (one project, type and
    year): 11 → 0.8, 12 → 0.2; district 13 has no line."""
    a = alloc(
        [
            {"plan_year": 2024, "unit_code": "11", "amount_mvnd": 1000.0},
            {"plan_year": 2024, "unit_code": "111", "amount_mvnd": 1000.0},
            {"plan_year": 2024, "unit_code": "12", "amount_mvnd": 1000.0},
            {"plan_year": 2024, "unit_code": "12", "amount_mvnd": 1000.0, "source": "local"},
            {"plan_year": 2024, "unit_code": "10", "amount_mvnd": 1000.0},
            {"plan_year": 2025, "unit_code": "12", "amount_mvnd": 1000.0},
            {"plan_year": 2024, "unit_code": "12", "amount_mvnd": 1000.0, "source": "credit"},
        ]
    )
    d = snaps(
        a,
        [
            (0, "2025-01-31", 700),
            (1, "2025-01-31", 900),
            (2, "2025-01-31", 100),
            (3, "2025-01-31", 300),
            (4, "2025-01-31", 500),
            (5, "2025-03-31", 900),
        ],
    )
    lines = line_table(a, d)
    frame = dm.model_lines(lines, d, districts.district_of(lines, UNITS, "10"), "10")
    assert sorted(frame["district"]) == ["10", "11", "11", "12", "12"]
    out = districts.district_comparison(lines, d, UNITS, "10").set_index("unit_code")
    assert out.loc["11", "adjusted_rate"] == pytest.approx(0.8)
    assert out.loc["12", "adjusted_rate"] == pytest.approx(0.2)
    assert out.loc["11", "adjusted_vs_province"] == "above"
    assert out.loc["11", "adjusted_rank"] == 1 and out.loc["12", "adjusted_rank"] == 2
    assert math.isnan(out.loc["13", "adjusted_rate"])
    # province row: its adjusted mean = observed rate of the five lines in the model
    assert out.loc["10", "adjusted_rate"] == pytest.approx((0.7 + 0.9 + 0.1 + 0.3 + 0.5) / 5)
    adj = districts.adjusted_comparison(lines, d, UNITS, "10")
    assert adj.to_dict()["not_estimable"] == {"13": "few_lines"}


# ----------------------------------------------------------------------------- the brief
def _brief(lang: str, model: dict | None = None, **rows) -> Brief:
    m = _load("metrics_province.json")
    if model is not None:
        m["district_model"] = model
    for code, values in rows.items():
        next(r for r in m["district_ranking"] if r["unit_code"] == code).update(values)
    return Brief(metrics=m, lag=_load("lag_province.json"), lang=lang)


def test_brief_says_when_districts_cannot_be_told_apart():
    base = _load("metrics_province.json")["district_model"]
    same = base | {"wald_p_value": 0.43, "distinguishable": False, "above": [], "below": []}
    en = " ".join(brief.sentence_ranking(_brief("en", same)))
    assert "districts cannot be told apart on the mix-adjusted rate (p = 0.43;" in en
    vi = " ".join(brief.sentence_ranking(_brief("vi", same)))
    assert "không thể phân biệt các huyện về tỷ lệ giải ngân đã điều chỉnh cơ cấu (p = 0,43;" in vi


def test_brief_names_the_districts_above_and_below_when_they_differ():
    en = " ".join(brief.sentence_ranking(_brief("en")))
    assert "districts differ on the mix-adjusted rate (p = 0.012;" in en
    assert "above: Cao Bang City (79.0%; 76.0%–82.0%); below: Quang Hoa (62.0%; 58.0%–66.0%)" in en
    vi = " ".join(brief.sentence_ranking(_brief("vi")))
    assert "cao hơn: Thành phố Cao Bằng (79,0%; 76,0%–82,0%); thấp hơn: Quảng Hòa" in vi
    tiny = _load("metrics_province.json")["district_model"] | {"wald_p_value": 0.00001}
    assert "(p < 0.001;" in " ".join(brief.sentence_ranking(_brief("en", tiny)))


def test_brief_says_when_the_adjusted_comparison_is_not_estimable():
    model = {"estimable": False, "reason": "few_districts"}
    en = " ".join(brief.sentence_ranking(_brief("en", model)))
    assert "could not be estimated: fewer than two districts have enough plan lines." in en
    vi = " ".join(brief.sentence_ranking(_brief("vi", model)))
    assert "Không ước lượng được so sánh các huyện" in vi


def test_district_brief_places_the_district_against_the_province():
    m = _load("metrics_district.json")
    province = _load("metrics_province.json")
    b = Brief(
        metrics=m,
        lag=_load("lag_district_few.json"),
        lang="en",
        ranking=brief.district_ranking(Metrics.parse(m), Metrics.parse(province)),
        district_model=brief.district_model(Metrics.parse(m), Metrics.parse(province)),
    )
    text = " ".join(brief.sentence_ranking(b))
    assert (
        "the rate at the deadline of Quang Hoa is 62.0% (95% confidence interval: 58.0% to" in text
    )
    assert "ranking 3 of 3 districts; the province's adjusted mean is 70.0%" in text
    assert "the interval of Quang Hoa lies below the province's adjusted mean" in text
    # Kaplan–Meier months of the district and of the province, as in the ranking table
    assert "9.5 months (province: 7.3 months; Kaplan–Meier" in text


def test_prose_and_ranking_table_show_the_same_months_for_the_province():
    """The timing sentence reads lag.json's months_to_50pct, the table the ranking's province
    row of metrics.json: both are the Kaplan–Meier median (7.3 months, 6.4 to 8.1)."""
    for lang, m, ci in (("vi", "7,3", "6,4–8,1"), ("en", "7.3", "6.4–8.1")):
        b = Brief(metrics=_load("metrics_province.json"), lag=_load("lag_province.json"), lang=lang)
        prose = brief.sentence_months(b.lag, lang)
        assert f" {m} " in prose and "Kaplan–Meier" in prose
        table = ranking_table(b)
        prov = table["rows"][-1]["cells"]
        assert prov[-1] == f"{m} ({ci})"
        html = brief.render_html(b)
        assert prose in html and f"{m} ({ci})" in html
    lag, metrics = (
        Lag.parse(_load("lag_province.json")),
        Metrics.parse(_load("metrics_province.json")),
    )
    prov_row = next(r for r in metrics.district_ranking if r.level == "province")
    assert lag.months_to_50pct == prov_row.median_months_to_50 == metrics.median_months_to_50


# ------------------------------------------------------------------ many districts, block design
def _dense_reference(frame: pd.DataFrame, districts: list[str]) -> dict:
    """The comparison computed the plain way, independently of the block design: statsmodels'
    GLM on the full dummy matrix, the HC1 sandwich on it, each district's rate from the whole
    design with the district set to it, the Wald statistic from the pseudo-inverse."""
    import statsmodels.api as sm

    from helpers.analysis.lag.yearend import sandwich_cov

    levels = {f: sorted(frame[f].astype(str).unique()) for f in dm.FACTORS}

    def dense(fr: pd.DataFrame) -> np.ndarray:
        cols = [np.ones(len(fr))]
        for f in dm.FACTORS:
            v = fr[f].astype(str).to_numpy()
            cols += [(v == lv).astype(float) for lv in levels[f][1:]]
        return np.column_stack(cols)

    X = dense(frame)
    y, a = frame["share"].to_numpy(float), frame["amount_mvnd"].to_numpy(float)
    w = a / a.mean()
    res = sm.GLM(y, X, family=sm.families.Binomial(), var_weights=w).fit()
    beta = np.asarray(res.params)
    cov = sandwich_cov(X, y, np.asarray(res.fittedvalues), w)
    out = {}
    for d in districts:
        Xd = dense(frame.assign(district=d))
        mu = expit(Xd @ beta)
        est = float((a / a.sum()) @ mu)
        grad = ((a / a.sum()) * mu * (1 - mu)) @ Xd
        se = float(np.sqrt(grad @ cov @ grad))
        half = dm.Z * se / (est * (1 - est))
        out[d] = (est, expit(logit(est) - half), expit(logit(est) + half))
    first = 1 + sum(len(levels[f]) - 1 for f in dm.FACTORS[:-1])
    L = np.zeros((len(districts) - 1, len(beta)))
    for i, d in enumerate(districts[1:]):
        if d != levels["district"][0]:
            L[i, first + levels["district"].index(d) - 1] = 1.0
        if districts[0] != levels["district"][0]:
            L[i, first + levels["district"].index(districts[0]) - 1] -= 1.0
    diff, vl = L @ beta, L @ cov @ L.T
    out["wald"] = (float(diff @ np.linalg.pinv(vl) @ diff), int(np.linalg.matrix_rank(vl)))
    return out


def test_thirty_districts_on_the_block_design_match_the_full_dummy_matrix():
    """Thirty districts, three projects, two capital types, two years, 600 lines (seeded):
    the block fit (one code per line for the district, no column per district) gives every
    district's adjusted rate, interval and the joint test of the plain dense computation."""
    rng = np.random.default_rng(7)
    n = 600
    ds = [f"D{i:02d}" for i in range(30)]
    frame = pd.DataFrame(
        {
            "project_code": rng.choice(["P1", "P2", "P3"], n),
            "capital_type": rng.choice(["investment", "recurrent"], n),
            "plan_year": rng.choice([2023, 2024], n),
            "district": np.array(ds)[np.arange(n) % 30],
            "amount_mvnd": rng.uniform(100, 2000, n).round(),
        }
    )
    effect = rng.normal(0, 0.6, 30)[np.arange(n) % 30]
    frame["share"] = expit(0.3 + effect + rng.normal(0, 0.8, n)).round(3)
    res = dm.fit_adjusted_comparison(frame, ds)
    ref = _dense_reference(frame, ds)
    r = _rates(res)
    for d in ds:
        assert r.loc[d, "adjusted_rate"] == pytest.approx(ref[d][0], rel=1e-8)
        assert r.loc[d, "adjusted_ci_low"] == pytest.approx(ref[d][1], rel=1e-6)
        assert r.loc[d, "adjusted_ci_high"] == pytest.approx(ref[d][2], rel=1e-6)
    assert res.summary.wald_chi2 == pytest.approx(ref["wald"][0], rel=1e-6)
    assert res.summary.wald_df == ref["wald"][1] == 29


def test_the_joint_test_uses_the_pseudo_inverse_when_the_covariance_is_singular():
    """diff = (1, 1), vl = [[1, 1], [1, 1]] (rank 1): the pseudo-inverse is vl / 4, so the
    statistic is (1·1 + 1·1 + 1·1 + 1·1) / 4 = 1 with one degree of freedom; a positive
    definite vl = diag(4, 1) with diff (2, 3) gives 2²/4 + 3²/1 = 10 with two."""
    assert dm._wald(np.array([1.0, 1.0]), np.ones((2, 2))) == (pytest.approx(1.0), 1)
    assert dm._wald(np.array([2.0, 3.0]), np.diag([4.0, 1.0])) == (pytest.approx(10.0), 2)


def test_the_brief_ranking_table_of_many_districts_says_how_many_it_leaves_out():
    """The province brief's metrics with 40 districts (ranks 1-40): rows for ranks 1-15, one
    row "… 10 other districts", ranks 26-40, then the province (32 rows)."""
    metrics = _load("metrics_province.json")
    template = next(r for r in metrics["district_ranking"] if r["level"] == "district")
    prov = next(r for r in metrics["district_ranking"] if r["level"] == "province")
    metrics["district_ranking"] = [
        {**template, "unit_code": f"D{i:02d}", "name_en": f"D{i:02d}", "rank": i + 1}
        for i in range(40)
    ] + [prov]
    table = ranking_table(Brief(metrics=metrics, lag=_load("lag_province.json"), lang="en"))
    cells = [r["cells"] for r in table["rows"]]
    assert len(cells) == 32
    assert cells[14][1] == "D14" and cells[16][1] == "D25"
    assert cells[15][1] == "… 10 other districts: see the annex workbook"
    assert table["rows"][15]["cls"] == "omitted"
    assert cells[-1][0] == ""  # the province row closes the table


def test_the_brief_ranking_chart_of_many_districts_is_as_tall_as_thirty_bars():
    """The brief's own ranking chart of 40 districts draws the 30 it shows (the picture is
    as tall as a chart of 30 districts), not 40 bars (national data: thousands)."""
    import base64
    import struct

    from helpers.report.brief import charts

    def height(n: int) -> int:
        metrics = _load("metrics_province.json")
        template = next(r for r in metrics["district_ranking"] if r["level"] == "district")
        prov = next(r for r in metrics["district_ranking"] if r["level"] == "province")
        metrics["district_ranking"] = [
            {**template, "unit_code": f"D{i:02d}", "rank": i + 1, "execution_rate": 0.9 - i / 100}
            for i in range(n)
        ] + [prov]
        uri = charts.chart_ranking(
            Brief(metrics=metrics, lag=_load("lag_province.json"), lang="en")
        )
        assert uri is not None
        png = base64.b64decode(uri.split(",", 1)[1])
        return int(struct.unpack(">I", png[20:24])[0])

    assert height(40) == height(30) < height(31)
