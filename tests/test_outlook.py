"""The 2026–2030 outlook: hand-built cases whose figures are computed here by hand, the
assumption's formula on the demo, indicators' paths, scenarios outside the data's support,
thin evidence, and the plan table's input checks."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cli_helpers import run_mtqg
from helpers.analysis.outlook import (
    DEADLINE_MONTHS_AFTER_DEC31,
    EXTENSION_MONTHS,
    OutlookBase,
    Scenario,
    parse_scenarios,
    project,
    scenario,
    scope_pool,
    simulate_cell,
)
from helpers.analysis.outlook_scope import indicator_row, scope_plan
from helpers.core.errors import InputError, ParameterError
from helpers.core.thresholds import MIN_LINES
from helpers.data import reference
from helpers.data.datasets import open_dataset

A, K, T0 = 0.9, 0.5, 6.0
"""The hand-built logistic profile f(t) = A / (1 + exp(-K (t - T0))) of both capital types."""


def f(t: float) -> float:
    return A / (1 + math.exp(-K * (max(t, 0.0) - T0)))


def expit(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def hand_base(units: dict[str, int], *, eta: float = 0.4, slope: float = 0.1, month: int = 6):
    """An outlook base of identical lines (per capital type, per unit ``units[code]`` lines):
    linear predictor ``eta`` at 8 months available, ``slope`` per month, no residual, one
    parameter replicate, decided in ``month`` (months available 8), every line 100 million."""
    codes = [c for c, n in units.items() for _ in range(n)]
    n = 2 * len(codes)
    lines = pd.DataFrame(
        {
            "unit_code": codes * 2,
            "capital_type": ["investment"] * len(codes) + ["recurrent"] * len(codes),
            "plan_year": 2024,
        }
    )
    return OutlookBase(
        lines=lines,
        xb=np.full((n, 1), eta),
        db=np.full((n, 1), slope),
        months=np.full(n, 8.0),
        resid=np.zeros(n),
        amount=np.full(n, 100.0),
        ctype=lines["capital_type"].to_numpy(),
        unit=lines["unit_code"].to_numpy(),
        recent=np.ones(n, bool),
        curves={c: ("logistic", np.array([A, K, T0])) for c in ("investment", "recurrent")},
        min_month={"investment": 1, "recurrent": 1},
        feasible_month={"investment": 3, "recurrent": 4},
        n_boot=1,
    )


def plan(amounts: dict[str, float]) -> pd.DataFrame:
    rows = [(y, c, "central", a) for y in range(2026, 2031) for c, a in amounts.items()]
    return pd.DataFrame(rows, columns=["plan_year", "capital_type", "source", "amount_mvnd"])


def by_hand(amount: float, months: float, eta: float = 0.4, slope: float = 0.1) -> dict:
    """The four figures of one year x capital type, computed from the formulas."""
    share = expit(eta + (months - 8.0) * slope)
    dec = share * f(months - 31 / (365.25 / 12)) / f(months)
    ext = share + (1 - share) * (f(months + 334 / (365.25 / 12)) - f(months)) / (1 - f(months))
    return {
        "disbursed_dec31": amount * dec,
        "disbursed_deadline": amount * share,
        "carried_over": amount * (1 - share),
        "at_risk_of_lapse": amount * (1 - ext),
    }


def test_month_constants_are_the_calendar():
    # 31 Dec -> 31 Jan is 31 days; 31 Jan -> 31 Dec of the next year is 334 days (not leap)
    assert DEADLINE_MONTHS_AFTER_DEC31 == pytest.approx(31 / (365.25 / 12))
    assert EXTENSION_MONTHS == pytest.approx(334 / (365.25 / 12))


@pytest.mark.parametrize("scope", ["province", "N01"])
def test_hand_built_outlook_of_the_province_and_a_new_unit(scope):
    base = hand_base({"N01": MIN_LINES, "N02": 5})
    units = None if scope == "province" else {"N01"}
    pool = scope_pool(base, units)
    assert len(pool) == (2 * (MIN_LINES + 5) if units is None else 2 * MIN_LINES)
    out = project(
        base, pool, plan({"investment": 700.0, "recurrent": 300.0}), ["observed", "01-31"]
    )
    assert out["evidence"] == "ok"
    # by 31 January: 31 Jan -> 31 Jan of the next year is 365 days of months available
    jan = 365 / (365.25 / 12)
    for cell in out["cells"]:
        if cell["capital_type"] == "all":
            continue
        amount = 700.0 if cell["capital_type"] == "investment" else 300.0
        months = 8.0 if cell["scenario"] == "observed" else max(8.0, jan)
        want = by_hand(amount, months)
        assert cell["status"] == "projected"
        # every line is the same: each draw is exact, the interval has no width
        for key, value in want.items():
            assert cell[key]["mean"] == pytest.approx(value, rel=1e-9), (cell, key)
            assert cell[key]["low"] == pytest.approx(value, rel=1e-9)
    total = {t["scenario"]: t for t in out["totals"]}
    five = 5 * (
        by_hand(700.0, 8.0)["disbursed_deadline"] + by_hand(300.0, 8.0)["disbursed_deadline"]
    )
    assert total["observed"]["disbursed_deadline"]["mean"] == pytest.approx(five)
    gain = 5 * 1000.0 * (expit(0.4 + (jan - 8.0) * 0.1) - expit(0.4))
    assert total["01-31"]["gain_vs_observed_deadline"]["mean"] == pytest.approx(gain)
    # the fan chart's cumulative plan: 1,000 a year
    cum = [r for r in out["cumulative"] if r["scenario"] == "observed"]
    assert [r["allocated_cum_mvnd"] for r in cum] == [1000.0, 2000.0, 3000.0, 4000.0, 5000.0]


def test_mixed_lines_average_by_hand():
    """Two kinds of lines (shares expit(0) and expit(2), equal amounts): the mean over draws is
    their mean share, and the interval comes from which lines were drawn."""
    base = hand_base({"N01": 40})
    base.xb[::2, 0] = 0.0
    base.xb[1::2, 0] = 2.0
    base.db[:] = 0.0
    pool = scope_pool(base, None)
    inv = pool[base.ctype[pool] == "investment"]
    sc = scenario(base, "observed")
    draws = simulate_cell(base, inv, 1000.0, "investment", [sc], np.random.default_rng(1), 20000)
    mean_share = (expit(0.0) + expit(2.0)) / 2
    assert draws.n_lines == 10  # 1,000 / 100 a line
    got = draws.by_scenario["observed"]["deadline"]
    assert got.mean() == pytest.approx(1000.0 * mean_share, rel=2e-3)
    # ten lines drawn from two kinds: the sd of the mean share is |diff| / 2 / sqrt(10)
    sd = 1000.0 * abs(expit(2.0) - expit(0.0)) / 2 / math.sqrt(10)
    assert got.std() == pytest.approx(sd, rel=0.05)


def test_thin_evidence_and_no_history_are_not_projected():
    base = hand_base({"N01": MIN_LINES - 1, "N02": 40})
    thin = project(base, scope_pool(base, {"N01"}), plan({"investment": 100.0}), ["observed"])
    none = project(base, scope_pool(base, {"N99"}), plan({"investment": 100.0}), ["observed"])
    # MIN_LINES - 1 lines of each capital type: 2 (MIN_LINES - 1) >= MIN_LINES fitted lines
    assert thin["evidence"] == "ok"
    one_type = hand_base({"N01": 10})
    few = project(
        one_type, scope_pool(one_type, {"N01"}), plan({"investment": 100.0}), ["observed"]
    )
    assert few["evidence"] == "thin" and few["n_lines_history"] == 20
    assert {c["status"] for c in few["cells"] if c["allocated_mvnd"] > 0} == {"thin_evidence"}
    assert all("disbursed_deadline" not in c for c in few["cells"])
    assert none["evidence"] == "no_history"
    assert {c["status"] for c in none["cells"] if c["allocated_mvnd"] > 0} == {"no_history"}
    assert [t["status"] for t in none["totals"]] == ["incomplete"]


def test_a_scenario_before_the_observed_months_is_not_estimable():
    base = hand_base({"N01": 40})  # earliest decision seen: January (month 1)
    out = project(
        base, scope_pool(base, None), plan({"investment": 100.0}), ["prev-11-30", "feasible"]
    )
    status = {(c["scenario"], c["capital_type"]): c["status"] for c in out["cells"]}
    assert status[("prev-11-30", "investment")] == "not_estimable"
    assert status[("feasible", "investment")] == "projected"
    assert {t["scenario"]: t["status"] for t in out["totals"]} == {
        "prev-11-30": "incomplete",
        "feasible": "projected",
    }
    sc = scenario(base, "feasible")
    assert sc.months == {"investment": 3, "recurrent": 4}
    # 31 March -> 31 January of the next year: 306 days
    assert sc.months_available["investment"] == pytest.approx(306 / (365.25 / 12))


def test_a_given_calendar_draws_its_months():
    base = hand_base({"N01": 40})
    given = Scenario("given", "given", months_pool={"investment": np.array([2.0])})
    inv = np.flatnonzero(base.ctype == "investment")
    d = simulate_cell(base, inv, 500.0, "investment", [given], np.random.default_rng(0), 50)
    assert d.by_scenario["given"]["deadline"] == pytest.approx(500.0 * expit(0.4 - 0.6))


def test_scenario_parameter_is_checked():
    assert parse_scenarios("observed, 01-31,feasible") == ["observed", "01-31", "feasible"]
    for bad in ("", "soon", "observed,observed", "02-30"):
        with pytest.raises(ParameterError):
            parse_scenarios(bad)


# --------------------------------------------------------------------------- the plan
def test_assumed_plan_of_the_province_and_a_new_unit_by_hand():
    ds = open_dataset("demo")
    # seed 000: central 5,801,640 million VND, local counterpart 288,839 (2021-2025);
    # Resolution 120/2020/QH14: national central ~104,954 bn; 2026-2030: 70,000 + 30,000 bn
    share = 5_801_640 / 104_954_000
    rows, basis, formula = scope_plan(ds, None)
    assert basis == "assumption"
    got = rows.groupby(["capital_type", "source"])["amount_mvnd"].sum()
    assert got[("investment", "central")] == pytest.approx(share * 70_000_000)
    assert got[("recurrent", "central")] == pytest.approx(share * 30_000_000)
    assert got[("investment", "local")] == pytest.approx(share * 70_000_000 * 288_839 / 5_801_640)
    assert formula["source_ids"] == ["na_merged_program_2025", "nq_120_2020"]
    # a new unit: its own lines and those of the former communes it took over
    succ = ds.successions
    mine = {"N01273"} | set(succ.loc[succ["new_code"] == "N01273", "former_code"])
    a = ds.allocations[ds.allocations["unit_code"].isin(mine)]
    central = a.loc[a["source"] == "central", "amount_mvnd"].sum()
    local = a.loc[a["source"] == "local", "amount_mvnd"].sum()
    rows, basis, formula = scope_plan(ds, mine)
    year = rows[rows["plan_year"] == 2027].set_index(["capital_type", "source"])["amount_mvnd"]
    inv = share * central / 5_801_640 * 70_000_000 / 5
    assert year[("investment", "central")] == pytest.approx(inv)
    assert year[("investment", "local")] == pytest.approx(inv * local / central)
    assert formula["scope_share_of_province"] == pytest.approx(central / 5_801_640)


def test_the_plan_table_replaces_the_assumption(tmp_path):
    from helpers.data.demo import write_demo

    folder = tmp_path / "d"
    write_demo(folder)
    (folder / "plan_2026_2030.csv").write_text(
        "plan_year,unit_code,capital_type,source,amount_mvnd\n"
        "2026,04,investment,central,1000\n"
        "2027,Phường Thục Phán,recurrent,local,20\n",
        encoding="utf-8",
    )
    ds = open_dataset(str(folder))
    rows, basis, _ = scope_plan(ds, None)
    assert basis == "table" and rows["amount_mvnd"].sum() == 1020
    rows, basis, _ = scope_plan(ds, {"N01273"})
    assert basis == "table" and rows["amount_mvnd"].tolist() == [20.0]
    with pytest.raises(ParameterError):
        scope_plan(ds, {"N01654"}, "table")


BAD_PLAN = (
    "plan_year,unit_code,capital_type,source,amount_mvnd\n"
    "2031,04,investment,central,10\n"
    "2026,04,investment,central,-5\n"
    "2027,Hoà An,equipment,central,1\n"
)


def test_a_bad_plan_table_exits_2_naming_file_row_and_column(tmp_path):
    from helpers.data.demo import write_demo

    folder = tmp_path / "d"
    write_demo(folder)
    (folder / "plan_2026_2030.csv").write_text(BAD_PLAN, encoding="utf-8")
    res = run_mtqg("validate", str(folder))
    assert res.returncode == 2, res.stdout + res.stderr
    text = res.stdout + res.stderr
    assert "Traceback" not in text
    assert "plan_2026_2030.csv, row 2, column 'plan_year'" in text
    assert "plan_2026_2030.csv, row 3, column 'amount_mvnd'" in text
    assert "plan_2026_2030.csv, row 4, column 'capital_type'" in text
    # the notebook's first cell stops on the same problems
    from helpers.steps.outlook import check_parameters

    with pytest.raises(InputError):
        check_parameters(str(folder), "province", "auto", "observed", "en", str(tmp_path / "o"))


def test_a_plan_row_for_an_abolished_district_is_refused(tmp_path):
    from helpers.data.demo import write_demo

    folder = tmp_path / "d"
    write_demo(folder)
    (folder / "plan_2026_2030.csv").write_text(
        "plan_year,unit_code,capital_type,source,amount_mvnd\n2027,051,investment,central,1\n",
        encoding="utf-8",
    )
    res = run_mtqg("validate", str(folder))
    assert res.returncode == 2
    said = res.stdout + res.stderr
    assert "plan_2026_2030.csv, row 2, column 'unit_code'" in said
    # the plan's own words: a plan year, not a decision date
    assert "the plan for 2027 (from" in said and "decided on" not in said


# --------------------------------------------------------------------------- indicators
def targets(rows: list[tuple], **extra) -> pd.DataFrame:
    base = {
        "indicator_code": "x",
        "name_vi": "X",
        "name_en": "X",
        "unit": "%",
        "direction": "higher_better",
        "unit_code": "04",
        "baseline_value": 10.0,
        "target_value": 20.0,
        "target_2030_value": None,
        "target_2030_source_id": None,
    }
    frame = pd.DataFrame([{**base, **extra, "year": y, "actual_value": v} for y, v in rows])
    return frame


NO_GOALS = pd.DataFrame(columns=["indicator_code", "target_kind", "value", "source_id"])


def test_indicator_on_a_straight_line_by_hand():
    rows = targets([(y, 10.0 + 2 * (y - 2020)) for y in range(2021, 2026)], target_2030_value=40.0)
    out = indicator_row(rows, NO_GOALS)
    assert out["latest_value"] == 20.0 and out["latest_year"] == 2025
    assert out["pace_per_year"] == pytest.approx(2.0)
    assert out["pace_needed_per_year"] == pytest.approx((40 - 20) / 5)
    assert out["value_2030"] == {
        "mean": pytest.approx(30.0),
        "low": pytest.approx(30.0),
        "high": pytest.approx(30.0),
    }
    assert out["status"] == "off_track" and out["target_2030_basis"] == "user"


def test_indicator_interval_by_hand():
    values = [13.0, 14.0, 16.0, 19.0, 20.0]
    rows = targets(list(zip(range(2021, 2026), values, strict=True)), target_2030_value=25.0)
    out = indicator_row(rows, NO_GOALS)
    x = np.arange(2020, 2026, dtype=float)
    y = np.array([10.0, *values])
    slope, icpt = np.polyfit(x, y, 1)
    resid = y - (icpt + slope * x)
    sd = math.sqrt((resid**2).sum() / 4)
    se_b = sd / math.sqrt(((x - x.mean()) ** 2).sum())
    half = 2.776445105 * math.hypot(5 * se_b, sd)  # t(0.975, 4 df)
    value = 20.0 + 5 * slope
    assert out["pace_per_year"] == pytest.approx(slope)
    assert out["value_2030"]["mean"] == pytest.approx(value)
    assert out["value_2030"]["low"] == pytest.approx(value - half, rel=1e-6)
    assert out["value_2030"]["high"] == pytest.approx(min(value + half, 100.0), rel=1e-6)
    assert out["status"] == ("on_track" if value >= 25 else "off_track")


def test_published_goal_applies_and_no_target_is_no_data():
    goals = reference.load("goals_2030")
    rows = targets(
        [(y, 40.0 - 3 * (y - 2020)) for y in range(2021, 2026)],
        indicator_code="extremely_difficult_units",
        direction="lower_better",
        unit="communes and villages",
        baseline_value=40.0,
    )
    out = indicator_row(rows, goals)
    # "basically no extremely difficult communes or villages": -100 % of the 2020 count
    assert out["target_2030"] == 0.0 and out["target_2030_basis"] == "published"
    assert out["target_2030_source_id"] == "na_merged_program_2025"
    # 25 in 2025, -3 a year: 10 in 2030, above 0: off track
    assert out["value_2030"]["mean"] == pytest.approx(10.0)
    assert out["status"] == "off_track"
    none = indicator_row(targets([(2021, 11.0), (2022, 12.0)]), goals)
    assert none["target_2030"] is None and none["status"] == "no_data"
    assert none["pace_per_year"] == pytest.approx(1.0)


def test_reference_goal_and_envelopes_cite_sources():
    sources = reference.load("sources").set_index("source_id")
    assert sources.at["na_merged_program_2025", "confidence"] == "unconfirmed"
    env = reference.load("national_envelopes").set_index("envelope_id")
    assert env.at["central_2026_2030_investment", "amount_mvnd"] == 70_000_000
    assert env.at["central_2026_2030_recurrent", "amount_mvnd"] == 30_000_000
    assert env.at["central_2021_2025", "source_id"] == "nq_120_2020"


def test_outlook_notebook_is_paired_and_declares_its_parameters():
    import papermill as pm

    nb = Path(__file__).resolve().parents[1] / "notebooks" / "04_outlook.ipynb"
    params = set(pm.inspect_notebook(str(nb)))
    assert params == {"data", "scope", "plan", "scenarios", "lang", "out_dir"}
    assert nb.with_suffix(".py").is_file()
