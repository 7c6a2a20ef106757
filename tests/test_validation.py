"""`mtqg validate` lists the province's published figures beside the dataset's value."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.core.text import tr
from helpers.data.datasets import open_dataset
from helpers.report import validation

T = pd.Timestamp


@pytest.fixture(scope="module")
def demo():
    return open_dataset("demo")


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_validate_lists_the_cao_bang_figures_with_their_convention(demo, lang):
    out = validation.describe_dataset(demo, lang)
    assert "Cao Bằng" in out
    for fid in ("published_038", "published_039", "published_040", "published_121"):
        line = next(x for x in out.splitlines() if fid in x)
        word = tr("cli.validate.convention.phase_cumulative", lang, sources="").rstrip(", ")
        assert word in line
    central = next(x for x in out.splitlines() if "published_121" in x)
    assert tr("cli.validate.sources.central", lang) in central


def test_published_comparison_converts_units_and_names_the_convention(demo):
    table = validation.published_comparison(demo).set_index("figure_id")
    # 77.2 % as a fraction, 5,472 billion VND in million VND
    assert table.loc["published_038", "published"] == pytest.approx(0.772)
    assert table.loc["published_036", "published"] == pytest.approx(5_472_000)
    assert table.loc["published_038", "convention"] == "phase_cumulative"
    assert table.loc["published_121", "sources"] == "central"
    # a phase allocation without a date: the phase's total allocation (central budget)
    assert table.loc["published_041", "convention"] == "phase_total"
    central = demo.allocations[demo.allocations["source"] == "central"]["amount_mvnd"].sum()
    assert table.loc["published_041", "dataset"] == pytest.approx(central)
    rate = table.loc["published_038", "dataset"]
    assert 0 < rate < 1


def _row(**kw) -> pd.Series:
    base = {"scope_note": None, "period": "2022-2025", "as_of": T("2025-10-15")}
    return pd.Series({**base, "measure": "disbursement_rate_total", **kw})


def test_classify_conventions_and_reasons():
    last = T("2026-01-31")
    assert validation.classify(_row(), last) == ("phase_cumulative", None)
    assert validation.classify(_row(as_of=pd.NaT), last) == (None, "no_date")
    assert validation.classify(_row(as_of=pd.NaT, measure="allocated_total"), last) == (
        "phase_total",
        None,
    )
    assert validation.classify(_row(scope_note="POST-MERGER province"), last) == (
        None,
        "post_merger",
    )
    assert validation.classify(_row(as_of=T("2026-06-30")), last) == (None, "after_last_report")
    one = _row(period="2024", scope_note="plan incl. carry-over from 2023")
    assert validation.classify(one, last) == ("year_plan_with_carry_over", None)
    unclear = _row(period="2024", scope_note="unclear whether incl. carry-over")
    assert validation.classify(unclear, last) == ("by_vintage", None)
    assert validation.classify(_row(period="Q3"), last) == (None, "period")


def test_source_scope_from_the_note():
    assert validation.source_scope("ALL SOURCES 2022-2025: central >5,000") == "all"
    assert validation.source_scope("cumulative 2022-2025, central budget") == "central"
    assert validation.source_scope("cumulative") == "unstated"
    assert validation.source_scope(None) == "unstated"


def test_published_standing_among_comparable_provinces():
    # 1 Aug 2025: Cao Bằng 75.6 % (central); Sơn La 70 % on 5 Jul 2025 (27 days, closer than
    # its 64 % of 30 Jun); Cao Bằng's 15 Oct figure is 75 days away and left out
    s = validation.published_standing("Cao Bằng", as_of=T("2025-08-01"))
    assert s.n == 2 and s.rank == 1
    assert s.value == pytest.approx(0.756)
    rows = s.table.set_index("province")
    assert rows.loc["Sơn La", "value"] == pytest.approx(0.70)
    assert rows.loc["Sơn La", "days_apart"] == 27
    assert rows.loc["Sơn La", "comparability"] == "sources_unstated"
    # default date: the province's latest figure (15 Oct 2025)
    latest = validation.published_standing("Cao Bằng")
    assert latest.as_of == T("2025-10-15") and latest.value == pytest.approx(0.772)
    none = validation.published_standing("Nowhere")
    assert none.value is None and none.n == 0
