"""The synthetic demo generator: exact calibration, determinism, shape, DEMO marks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.analysis.targets import target_scorecard, targets_met
from helpers.data import demo, reference, schema

# The public figures (seed reports), typed here by hand from ../shared/seeds.
CENTRAL_INVESTMENT = 2_679_114
CENTRAL_RECURRENT = 3_122_526
LOCAL = 288_839
PLAN_2024 = 1_526_790
DISBURSED_2024_05_21 = 302_049


@pytest.fixture(scope="module")
def default():
    return demo.generate()


def _totals(tables):
    a = tables["allocations"]
    by = a.groupby(["capital_type", "source"])["amount_mvnd"].sum()
    return by


@pytest.mark.parametrize("seed", [demo.DEFAULT_SEED, 1, 2024])
def test_totals_equal_the_public_figures_for_any_seed(seed):
    tables = demo.generate(seed).tables
    by = _totals(tables)
    assert by[("investment", "central")] == CENTRAL_INVESTMENT
    assert by[("recurrent", "central")] == CENTRAL_RECURRENT
    assert by[("investment", "local")] + by[("recurrent", "local")] == LOCAL
    a = tables["allocations"]
    assert a.loc[a["source"] == "central", "amount_mvnd"].sum() == 5_801_640
    assert a.loc[a["plan_year"] == 2024, "amount_mvnd"].sum() == PLAN_2024
    d = tables["disbursements"]
    spot = d[(d["report_date"] == pd.Timestamp("2024-05-21")) & (d["plan_year"] == 2024)]
    assert spot["disbursed_cum_mvnd"].sum() == pytest.approx(DISBURSED_2024_05_21, abs=1e-6)


def test_no_2021_vintage_and_2022_investment_after_decision_652(default):
    a = default.tables["allocations"]
    assert sorted(a["plan_year"].unique()) == [2022, 2023, 2024, 2025]
    inv22 = a[(a["plan_year"] == 2022) & (a["capital_type"] == "investment")]
    # Decision 652/QĐ-TTg assigned 2022 investment capital on 28 May 2022
    assert (inv22["decision_date"] > pd.Timestamp("2022-05-28")).all()


def test_same_seed_same_data_other_seed_other_draw():
    a1 = demo.generate(7).tables
    a2 = demo.generate(7).tables
    b = demo.generate(8).tables
    for name in ("allocations", "disbursements", "targets"):
        pd.testing.assert_frame_equal(a1[name], a2[name])
    assert not a1["allocations"]["amount_mvnd"].equals(b["allocations"]["amount_mvnd"])


def test_frames_have_the_schema_columns(default):
    for name, frame in default.tables.items():
        assert list(frame.columns) == schema.TABLES[name].column_names, name


def test_cumulative_disbursement_never_decreases_and_never_exceeds_allocation(default):
    a = default.tables["allocations"].copy()
    d = default.tables["disbursements"].copy()
    a["line_id"] = schema.line_ids(a)
    d["line_id"] = schema.line_ids(d)
    d = d.sort_values(["line_id", "report_date"])
    steps = d.groupby("line_id")["disbursed_cum_mvnd"].diff().dropna()
    assert (steps >= -1e-9).all()
    top = d.groupby("line_id")["disbursed_cum_mvnd"].max()
    amount = a.set_index("line_id")["amount_mvnd"]
    assert (top <= amount.reindex(top.index) + 1e-6).all()
    first = d.groupby("line_id")["report_date"].min()
    year = d.groupby("line_id")["plan_year"].first()
    assert (first.dt.year >= year).all()


def _rate_at(tables, cut, ctype):
    a = tables["allocations"].copy()
    d = tables["disbursements"].copy()
    a["line_id"] = schema.line_ids(a)
    d["line_id"] = schema.line_ids(d)
    last = (
        d[d["report_date"] <= cut]
        .sort_values("report_date")
        .groupby("line_id")["disbursed_cum_mvnd"]
        .last()
    )
    sel = a[a["capital_type"] == ctype]
    return last.reindex(sel["line_id"]).fillna(0).sum() / sel["amount_mvnd"].sum()


def test_investment_disburses_faster_than_recurrent(default):
    # Cao Bằng, mid-October 2025: investment 83.2 % vs recurrent ≈ 67 % (program.md)
    inv = _rate_at(default.tables, pd.Timestamp("2025-10-31"), "investment")
    rec = _rate_at(default.tables, pd.Timestamp("2025-10-31"), "recurrent")
    assert inv > rec + 0.1
    assert 0.7 < inv < 0.95 and 0.5 < rec < 0.8


def test_december_and_january_carry_a_spike(default):
    d = default.tables["disbursements"].copy()
    d["line_id"] = schema.line_ids(d)
    d = d[d["report_date"].dt.is_month_end].sort_values(["line_id", "report_date"])
    d["flow"] = d.groupby("line_id")["disbursed_cum_mvnd"].diff()
    by_month = d.groupby(d["report_date"].dt.month)["flow"].sum()
    others = by_month.drop([12, 1]).mean()
    assert by_month[12] > 1.5 * others and by_month[1] > 1.2 * others


def test_some_lines_are_extended_and_extensions_run_past_the_deadline(default):
    a = default.tables["allocations"]
    ext = a.dropna(subset=["extended_until"])
    assert 0.2 < len(ext) / len(a) < 0.9
    deadline = pd.to_datetime((ext["plan_year"] + 1).astype(str) + "-01-31")
    assert (ext["extended_until"] > deadline).all()


def test_decision_dates_vary_by_year_and_district(default):
    a = default.tables["allocations"]
    spread = a.groupby("plan_year")["decision_date"].agg(lambda s: (s.max() - s.min()).days)
    assert (spread > 30).all()
    med = a[a["plan_year"] == 2023].groupby("unit_code")["decision_date"].median()
    assert (med.max() - med.min()).days > 14


def test_truth_is_written_and_consistent(default, tmp_path):
    t = default.truth
    assert t.slope("investment") > t.slope("recurrent") > 0
    # a month later lowers the share: the average marginal effect is negative
    assert t.ame_pp_per_month_later < 0
    assert t.counterfactual_gain_mvnd > 0
    lines = default.lines
    # recompute the AME by hand from the per-line means: -100 * mean(b_k mu (1 - mu))
    b = lines["capital_type"].map({"investment": 0.18, "recurrent": 0.10})
    assert t.ame_pp_per_month_later == pytest.approx(
        -100 * float(np.mean(b * lines["mu"] * (1 - lines["mu"]))), abs=1e-5
    )
    written = demo.write_demo(tmp_path, seed=demo.DEFAULT_SEED)
    assert (tmp_path / "truth.json").exists() and (tmp_path / "allocations.csv") in written


def test_null_generator_has_no_timing_effect():
    null = demo.generate(3, timing_scale=0.0)
    assert null.truth.ame_pp_per_month_later == 0.0
    assert null.truth.counterfactual_gain_mvnd == 0.0


def test_demo_is_marked(default):
    a = default.tables["allocations"]
    assert a["decision_ref"].str.startswith("DEMO").all()
    meta = dict(
        zip(default.tables["metadata"]["key"], default.tables["metadata"]["value"], strict=True)
    )
    assert meta["demo"] == "true"


PUBLISHED = {  # Cao Bằng, cumulative over 2022–2025, every vintage's allocation the denominator
    ("2025-10-15", None, ("central", "local", "credit", "other")): 77.2,
    ("2025-10-15", "investment", ("central", "local")): 83.2,
    ("2025-10-15", "recurrent", ("central", "local")): 67.0,
    ("2025-08-01", None, ("central",)): 75.6,
}


@pytest.mark.parametrize("seed", [demo.DEFAULT_SEED, 1, 2024])
def test_published_cumulative_rates_are_reproduced(seed):
    tables = demo.generate(seed).tables
    a = tables["allocations"].copy()
    d = tables["disbursements"].copy()
    a["line_id"] = schema.line_ids(a)
    d["line_id"] = schema.line_ids(d)
    for (date, ctype, sources), rate in PUBLISHED.items():
        cut = pd.Timestamp(date)
        assert (d["report_date"] == cut).any()
        last = d[d["report_date"] <= cut].sort_values("report_date").groupby("line_id")
        got = last["disbursed_cum_mvnd"].last()
        sel = a[a["source"].isin(sources) & ((a["capital_type"] == ctype) if ctype else True)]
        value = 100 * got.reindex(sel["line_id"]).fillna(0).sum() / sel["amount_mvnd"].sum()
        assert round(value, 1) == rate, (date, ctype, sources)
        assert value == pytest.approx(rate, abs=1e-6)
    # the other public figures still match
    spot = d[(d["report_date"] == pd.Timestamp("2024-05-21")) & (d["plan_year"] == 2024)]
    assert spot["disbursed_cum_mvnd"].sum() == pytest.approx(DISBURSED_2024_05_21, abs=1e-6)


def test_credit_and_other_follow_the_national_ratios(default):
    a = default.tables["allocations"]
    by = a.groupby("source")["amount_mvnd"].sum()
    central = CENTRAL_INVESTMENT + CENTRAL_RECURRENT
    # Resolution 120/2020/QH14: central 104,954; credit 19,727; other 2,967 bn
    assert by["credit"] == round(central * 19_727 / 104_954)
    assert by["other"] == round(central * 2_967 / 104_954)
    assert by["central"] == central and by["local"] == LOCAL
    assert (a.loc[a["source"].isin(["credit", "other"]), "plan_year"] != 2024).all()


@pytest.mark.parametrize("seed", [demo.DEFAULT_SEED, 1, 2024])
def test_province_meets_12_of_21_targets(seed):
    t = demo.generate(seed).tables["targets"]
    counts = targets_met(target_scorecard(t, "04"))
    assert (counts["met"], counts["total"], counts["no_data"]) == (12, 21, 0)


def test_target_values_are_possible_and_marked(default):
    t = default.tables["targets"]
    pct = t[t["unit"] == "%"]
    assert (pct[["baseline_value", "target_value", "actual_value"]].max() <= 100).all()
    assert (t[["baseline_value", "target_value", "actual_value"]].min() >= 0).all()
    counts = t[t["unit"].isin(["households", "persons", "communes and villages"])]
    vals = counts[["baseline_value", "target_value", "actual_value"]].stack()
    assert (vals == vals.round()).all()
    assert (pct[["actual_value"]].stack() == pct[["actual_value"]].stack().round(1)).all()
    assert t["unit"].notna().all() and t["note"].str.startswith("DEMO").all()
    extra = t[~t["indicator_code"].isin(reference.load("target_indicators")["indicator_code"])]
    assert extra["indicator_code"].nunique() == 4
    assert (
        extra["name_en"].str.startswith("DEMO").all()
        and extra["name_vi"].str.startswith("DEMO").all()
    )
    assert extra["note"].str.contains("helpers.data.demo").all()


def test_district_targets_are_their_own_and_the_province_their_aggregate(default):
    t = default.tables["targets"]
    prov = t[t["unit_code"] == "04"].set_index(["indicator_code", "year"])
    dist = t[t["unit_code"] != "04"]
    assert dist["unit_code"].nunique() == 10
    for (code, year), g in dist.groupby(["indicator_code", "year"]):
        if g["actual_value"].isna().any():
            continue
        assert g["actual_value"].nunique() > 1 or g["actual_value"].iloc[0] == 100
        p = prov.loc[(code, year)]
        if p["unit"] == "%" or p["unit"] == "ratio":
            assert (
                g["actual_value"].min() - 0.05
                <= p["actual_value"]
                <= g["actual_value"].max() + 0.05
            )
        else:
            assert p["actual_value"] == g["actual_value"].sum()
