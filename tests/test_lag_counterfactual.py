"""The counterfactual scenarios, the amount-weighted effect, the cluster bootstrap and the lines
without reports, on small hand-built cases (expected values worked out by hand).

Months are days / 30.4375. The hand-built model has two columns, an intercept and the months
available (logit μ = −1 + 0.2 x months), so every prediction is a closed form; its twelve lines:

====  =========  ==========  ======  ==========================================
cell  plan year  type        amount  decision dates
====  =========  ==========  ======  ==========================================
A     2022       investment  100, 200, 300, 400  15 Jun, 10 Jul, 20 Aug, 5 Sep 2022
B     2022       recurrent   50, 50, 100, 100    14 Jul, 20 Jul, 1 Oct, 30 Nov 2022
C     2023       investment  100 each            18 Dec 2022, 10 Jan, 1 Mar, 20 May 2023
====  =========  ==========  ======  ==========================================

31 January scenario: cells A and B have no decision before mid-June 2022 (Decision 652 of
28 May 2022 assigned the 2022 capital), so their lines move only to the cell's earliest
decision (15 Jun, 14 Jul): 8 of 12 lines and 1,300 of 1,700 million VND are outside the
support. Cell C's earliest decision (18 Dec 2022) precedes 31 Jan 2023: its lines decided after
31 Jan move to it. Feasible calendar (25th percentile by lines: the first of four lines, the
month's end): A by 30 Jun 2022, B by 31 Jul 2022, C by 31 Dec 2022.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy.special import expit

from helpers.analysis.lag import counterfactual, prepare, profiles, survival, yearend
from helpers.analysis.lag.models import fit_province_models
from helpers.analysis.lag.scope import analyse_scope
from helpers.analysis.lag.summary import summary_lag
from helpers.core.scope import Scope
from helpers.data import demo, schema
from helpers.data.dataset import Dataset
from helpers.data.deadlines import months_available
from helpers.steps.lag import text
from test_lag_prep import tiny_dataset

M = 30.4375
PARAMS = np.array([-1.0, 0.2])

CELLS = {
    "A": (2022, "investment", [100, 200, 300, 400], ["2022-06-15", "2022-07-10", "2022-08-20", "2022-09-05"]),
    "B": (2022, "recurrent", [50, 50, 100, 100], ["2022-07-14", "2022-07-20", "2022-10-01", "2022-11-30"]),
    "C": (2023, "investment", [100] * 4, ["2022-12-18", "2023-01-10", "2023-03-01", "2023-05-20"]),
}  # fmt: skip


def _model() -> yearend.YearEndShareModel:
    rows = [
        {
            "plan_year": year,
            "capital_type": ctype,
            "unit_code": f"D{i % 2 + 1}",
            "amount_mvnd": float(a),
            "decision_date": pd.Timestamp(d),
            "cell": cell,
        }
        for cell, (year, ctype, amounts, dates) in CELLS.items()
        for i, (a, d) in enumerate(zip(amounts, dates, strict=True))
    ]
    lines = pd.DataFrame(rows)
    lines["months_available"] = months_available(lines["decision_date"], lines["plan_year"])
    m = lines["months_available"].to_numpy()
    X = np.column_stack([np.ones(len(m)), m])
    lines["share_deadline"] = expit(X @ PARAMS)
    dX = np.column_stack([np.zeros(len(m)), np.ones(len(m))])
    return yearend.YearEndShareModel(
        formula="share_deadline ~ months_available",
        params=PARAMS.copy(),
        cov=np.diag([0.04, 0.0004]),
        cov_type="HC1",
        names=["Intercept", "months_available"],
        lines=lines,
        X=X,
        dX=dX,
        diagnostics={},
        seconds=0.0,
    )


def _gain(model, days_earlier: list[int]) -> float:
    """Σ amount x (μ with the months gained − μ), the lines in table order."""
    m = model.lines["months_available"].to_numpy()
    a = model.lines["amount_mvnd"].to_numpy()
    cf = m + np.array(days_earlier) / M
    return float((a * (expit(PARAMS[0] + PARAMS[1] * cf) - expit(PARAMS[0] + PARAMS[1] * m))).sum())


# days each line moves earlier (A, B, C in table order)
JAN31 = [0, 25, 66, 82] + [0, 6, 79, 139] + [0, 0, 29, 109]
FEASIBLE = [0, 10, 51, 67] + [0, 0, 62, 122] + [0, 10, 60, 140]


def test_support_starts_and_feasible_dates_per_cell():
    model = _model()
    floor = counterfactual.support_start(model.lines)
    assert floor.dt.strftime("%Y-%m-%d").tolist() == (
        ["2022-06-15"] * 4 + ["2022-07-14"] * 4 + ["2022-12-18"] * 4
    )
    feasible = counterfactual.feasible_dates(model.lines)
    assert feasible.dt.strftime("%Y-%m-%d").tolist() == (
        ["2022-06-30"] * 4 + ["2022-07-31"] * 4 + ["2022-12-31"] * 4
    )


def test_the_25th_percentile_counts_lines():
    # 6 lines: at least a quarter decided by the 2nd earliest (⌈1.5⌉ = 2), whatever the amounts
    frame = pd.DataFrame(
        {
            "plan_year": [2024] * 6,
            "capital_type": ["recurrent"] * 6,
            "amount_mvnd": [1000.0, 1, 1, 1, 1, 1],
            "decision_date": pd.to_datetime(
                ["2024-01-05", "2024-02-10", "2024-03-01", "2024-04-01", "2024-05-01", "2024-06-01"]
            ),
        }
    )
    assert (counterfactual.feasible_dates(frame) == pd.Timestamp("2024-02-29")).all()


def test_31_january_moves_only_within_the_support():
    model = _model()
    cf = counterfactual.counterfactual_on_time(model, "01-31")
    t = cf.total
    assert t["n_lines_moved"] == 8  # A: 3, B: 3 (14 Jul stays), C: 2
    assert t["n_lines_outside_support"] == 8
    assert t["outside_support_mvnd"] == pytest.approx(1300.0)
    assert t["share_capital_outside_support"] == pytest.approx(1300 / 1700)
    assert t["share_lines_outside_support"] == pytest.approx(8 / 12)
    assert t["mean_months_gained"] == pytest.approx(sum(JAN31) / 8 / M)
    assert t["gain_mvnd"] == pytest.approx(_gain(model, JAN31))
    by_year = {r["plan_year"]: r for r in cf.by_year}
    assert by_year["2022"]["share_capital_outside_support"] == pytest.approx(1.0)
    assert by_year["2023"]["n_lines_outside_support"] == 0
    assert by_year["2023"]["mean_months_gained"] == pytest.approx((29 + 109) / 2 / M)
    cells = {(c["plan_year"], c["capital_type"]): c for c in cf.cells}
    a = cells[(2022, "investment")]
    assert a["outside_support"] and a["scenario_date"] == pd.Timestamp("2022-01-31")
    assert a["scenario_date_used"] == pd.Timestamp("2022-06-15")
    assert not cells[(2023, "investment")]["outside_support"]
    assert cf.to_dict()["support_rule"] == "moved_to_earliest_observed_decision"
    assert any(c.id == "outside_support" for c in cf.caveats)


def test_a_scenario_inside_the_support_is_unrestricted():
    # 30 November: every cell's earliest decision is earlier, so nothing is outside
    model = _model()
    t = counterfactual.counterfactual_on_time(model, "11-30").total
    assert t["n_lines_outside_support"] == 0 and t["share_capital_outside_support"] == 0.0
    assert t["n_lines_moved"] == 0  # only B's 30 Nov line reaches it, and is not later


def test_feasible_calendar_moves_to_the_fastest_quarters_month():
    model = _model()
    cf = counterfactual.counterfactual_feasible(model)
    t = cf.total
    assert cf.date == "feasible" and cf.scenario == "feasible"
    assert t["n_lines_moved"] == 8  # A: 3, B: 2, C: 3
    assert t["n_lines_outside_support"] == 0
    assert t["mean_months_gained"] == pytest.approx(sum(FEASIBLE) / 8 / M)
    assert t["gain_mvnd"] == pytest.approx(_gain(model, FEASIBLE))
    assert 0 < t["gain_mvnd"] < counterfactual.counterfactual_on_time(model).total["gain_mvnd"]


def test_a_district_moves_to_the_province_support():
    # A's lines of unit D2 (10 Jul and 5 Sep) move to 15 Jun, the province's earliest decision
    model = _model()
    mask = ((model.lines["cell"] == "A") & (model.lines["unit_code"] == "D2")).to_numpy()
    t = counterfactual.counterfactual_on_time(model, lines=mask).total
    assert t["n_lines"] == 2 and t["n_lines_moved"] == 2
    assert t["mean_months_gained"] == pytest.approx((25 + 82) / 2 / M)


def test_weighted_effect_is_the_effect_on_the_rate():
    model = _model()
    m = model.lines["months_available"].to_numpy()
    a = model.lines["amount_mvnd"].to_numpy()
    mu = expit(PARAMS[0] + PARAMS[1] * m)
    d = -100 * PARAMS[1] * mu * (1 - mu)  # pp per month later, per line
    lines_ = model.ame()
    amount = model.ame(weighted=True)
    assert lines_["weighting"] == "lines" and amount["weighting"] == "amount"
    assert lines_["estimate"] == pytest.approx(d.mean())
    assert amount["estimate"] == pytest.approx((a * d).sum() / a.sum())
    assert amount["estimate"] != pytest.approx(lines_["estimate"])
    # the rate's change for a small shift of every decision, by finite difference
    h = 1e-6
    rate = [(a * expit(PARAMS[0] + PARAMS[1] * (m - s))).sum() / a.sum() for s in (0, h)]
    assert amount["estimate"] == pytest.approx(100 * (rate[1] - rate[0]) / h, rel=1e-4)
    assert amount["ci_low"] < amount["estimate"] < amount["ci_high"]


def test_the_wider_interval_is_used():
    row = {"ci_low": 10.0, "ci_high": 20.0}
    wide = counterfactual._intervals(row, np.linspace(0.0, 40.0, 401))
    assert wide["ci_low_bootstrap"] == pytest.approx(1.0)
    assert wide["ci_high_bootstrap"] == pytest.approx(39.0)
    assert (wide["ci_used"], wide["ci_wide_low"], wide["ci_wide_high"]) == (
        "cluster_bootstrap",
        pytest.approx(1.0),
        pytest.approx(39.0),
    )
    narrow = counterfactual._intervals(row, np.linspace(14.0, 16.0, 401))
    assert (narrow["ci_used"], narrow["ci_wide_low"], narrow["ci_wide_high"]) == (
        "delta_method",
        10.0,
        20.0,
    )
    none = counterfactual._intervals(row, None)
    assert none["ci_low_bootstrap"] is None and none["ci_used"] == "delta_method"


def test_solve_psd_zeroes_empty_and_dependent_columns():
    A = np.array([[4.0, 2, 0, 4], [2, 5, 0, 2], [0, 0, 0, 0], [4, 2, 0, 4]])  # col 4 = col 1
    b = np.array([2.0, 3, 0, 2])
    x = yearend.solve_psd(A, b)
    assert x[2] == 0.0 and x[3] == 0.0
    assert A @ x == pytest.approx(b)
    assert x[:2] == pytest.approx(np.linalg.solve(A[:2, :2], b[:2]))


@pytest.fixture(scope="module")
def demo_model() -> yearend.YearEndShareModel:
    t = demo.generate(demo.DEFAULT_SEED).tables
    for n in ("allocations", "disbursements"):
        t[n]["line_id"] = schema.line_ids(t[n])
    ds = Dataset(**t, origin="demo", sha256="x", demo=True)
    return yearend.fit_year_end_share(
        prepare.prepare_lag_data(ds, panel=False), district_checks=False
    )


def test_refit_matches_statsmodels_and_a_unit_drawn_twice_counts_twice(demo_model):
    model = demo_model
    assert model.refit(np.ones(len(model.lines))) == pytest.approx(model.params, abs=1e-8)
    unit = model.lines["unit_code"].iloc[0]
    twice = np.where(model.lines["unit_code"] == unit, 2.0, 1.0)
    w = model.lines["amount_mvnd"].to_numpy() * twice
    y = model.lines["share_deadline"].to_numpy()
    ref = sm.GLM(y, model.X, family=sm.families.Binomial(), var_weights=w / w.mean()).fit()
    assert model.refit(twice) == pytest.approx(np.asarray(ref.params), abs=1e-7)


def test_cluster_bootstrap_is_seeded_and_brackets_the_gain(demo_model):
    a = counterfactual.counterfactual_on_time(demo_model, n_boot=60, seed=3).total
    b = counterfactual.counterfactual_on_time(demo_model, n_boot=60, seed=3).total
    assert a["ci_low_bootstrap"] == b["ci_low_bootstrap"]
    assert a["n_boot"] == 60 and a["n_boot_ok"] == 60
    assert a["ci_low_bootstrap"] < a["gain_mvnd"] < a["ci_high_bootstrap"]
    widths = {
        "delta_method": a["ci_high"] - a["ci_low"],
        "cluster_bootstrap": a["ci_high_bootstrap"] - a["ci_low_bootstrap"],
    }
    assert a["ci_used"] == max(widths, key=lambda k: widths[k])
    boot = demo_model.cluster_bootstrap(60, 3)
    assert (boot.counts.sum(axis=1) == boot.counts.shape[1]).all()  # as many units as the data


# --------------------------------------------------------------------------- not reported


def test_a_line_without_reports_is_not_reported_not_zero():
    data = prepare.prepare_lag_data(tiny_dataset())
    d = data.lines.set_index("amount_mvnd").loc[40.0]  # D: 40, decided 1 Jul 2024, no report
    assert not bool(d["reported"]) and not bool(d["deadline_usable"])
    caveats = {c.id: c.kwargs for c in data.caveats}
    assert caveats["not_reported"] == {"n": 1, "amount": 40.0}
    assert caveats["deadline_not_reached"] == {"n": 1}  # C only


def test_not_reported_caveat_in_both_languages():
    c = prepare.Caveat.of("not_reported", n=3, amount=1234.0)
    en, vi = text(c, "en"), text(c, "vi")
    assert en.startswith("3 ") and "1,234" in en and "not reported" in en
    assert vi.startswith("3 ") and "1.234" in vi


def test_lines_without_reports_stay_out_of_the_model_and_the_scenarios():
    t = demo.generate(demo.DEFAULT_SEED).tables
    for n in ("allocations", "disbursements"):
        t[n]["line_id"] = schema.line_ids(t[n])
    silent = t["allocations"]["line_id"].iloc[[0, 5, 9]]
    amount = float(t["allocations"]["amount_mvnd"].iloc[[0, 5, 9]].sum())
    t["disbursements"] = t["disbursements"][~t["disbursements"]["line_id"].isin(silent)]
    ds = Dataset(**t, origin="demo", sha256="x", demo=True)
    models = fit_province_models(ds, n_boot=5, district_checks=False)
    n = len(models.data.lines)
    assert models.year_end.diagnostics["n_lines"] == n - 3
    assert not models.year_end.lines["line_id"].isin(silent).any()
    out = summary_lag(ds, "province", models=models)
    assert out["n_lines_not_reported"] == 3
    assert out["not_reported_mvnd"] == pytest.approx(amount)
    assert out["counterfactual"]["n_lines"] == n - 3
    assert out["counterfactual_feasible"]["n_lines"] == n - 3
    assert out["timing_effect_pp_per_month_weighted"]["weighting"] == "amount"
    assert any(c.id == "not_reported" for c in out["caveats"])
    res = analyse_scope(models, Scope("province", "Tỉnh", "Province", "province"))
    assert res.not_reported == {"n_lines": 3, "amount_mvnd": pytest.approx(amount)}


def test_lines_without_reports_stay_out_of_the_profiles_and_survival_curves():
    """tiny_dataset has five lines; D (40, no report) is neither a zero curve nor a censored
    line: the profile pools the four others and the Kaplan–Meier curve counts them, of which
    A (80 of 100) and E (95 of 100) reach 50 %; B (at most 90 of 200) and C (10 of 50) do not."""

    data = prepare.prepare_lag_data(tiny_dataset(), panel=True)
    prof = profiles.fit_disbursement_profile(data, by=(), n_boot=0, pooled=True)
    assert prof.pooled.n_lines == 4
    km = survival.fit_time_to_share(data, 0.5, cox=False).km["all"]
    assert km["n"] == 4
    assert km["events"] == 2  # A (80 of 100) and E (95 of 100); B stops at 90 of 200, C at 10 of 50
