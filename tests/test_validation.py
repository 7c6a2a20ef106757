"""`mtqg validate` lists the province's published figures beside the dataset's value."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.analysis import published
from helpers.cli import main
from helpers.core.text import tr
from helpers.data.datasets import open_dataset
from helpers.report import validation
from test_published import tiny_dataset

T = pd.Timestamp


@pytest.fixture(scope="module")
def demo():
    return open_dataset("demo")


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_validate_lists_the_cao_bang_figures_with_their_convention(demo, lang):
    out = validation.describe_dataset(demo, lang).splitlines()
    assert any("Cao Bằng" in x for x in out)
    for fid in ("published_038", "published_039", "published_040", "published_121"):
        i = next(i for i, x in enumerate(out) if fid in x)
        verdicts = (tr("cli.validate.matches", lang), tr("cli.validate.differs", lang))
        assert out[i].endswith(verdicts)
        assert tr("common.convention.phase_cumulative", lang) in out[i + 1]
    central = next(i for i, x in enumerate(out) if "published_121" in x)
    assert tr("common.sources.central", lang) in out[central + 1]
    budget = next(i for i, x in enumerate(out) if "published_039" in x)
    assert tr("common.sources.budget", lang) in out[budget + 1]


@pytest.mark.parametrize(
    ("lang", "wording", "summary"),
    [
        ("en", "published more than VND 4,222 billion  dataset VND 1,132.0 billion  differs",
         "2 of 11 comparable published figures match under the stated conventions."),
        ("vi", "công bố hơn 4.222 tỷ đồng  dữ liệu 1.132,0 tỷ đồng  khác",
         "2 trên 11 số liệu công bố so sánh được khớp theo các quy ước đã nêu."),
    ],
)  # fmt: skip
def test_validate_prints_the_wording_the_verdict_and_the_count(lang, wording, summary):
    # the tiny dataset of test_published: 1,132,000 million VND disbursed by 15 Oct 2025;
    # 83.2 % (state budget) and "nearly 67 %" match, the nine others differ
    out = validation.describe_dataset(tiny_dataset(), lang).splitlines()
    line = next(x for x in out if "published_037" in x)
    assert line.endswith(wording)
    inv = next(x for x in out if "published_039" in x)
    assert inv.endswith(tr("cli.validate.matches", lang))
    assert out[-1] == summary


def test_differences_are_information_exit_code_zero(tmp_path, capsys):
    ds = tiny_dataset()
    for name in ("units", "allocations", "disbursements"):
        getattr(ds, name).to_csv(tmp_path / f"{name}.csv", index=False, date_format="%Y-%m-%d")
    assert main(["--lang", "en", "validate", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "2 of 11 comparable published figures match" in out


def test_published_comparison_in_the_page_unit(demo):
    table = published.published_comparison(demo).set_index("figure_id")
    # 77.2 % stays 77.2 (percent), 5,472 billion VND stays 5,472 (billion VND)
    assert table.loc["published_038", ["published", "unit"]].tolist() == [77.2, "percent"]
    assert table.loc["published_036", ["published", "unit"]].tolist() == [5472.0, "billion_vnd"]
    assert table.loc["published_038", "convention"] == "phase_cumulative"
    assert table.loc["published_121", "sources"] == "central"
    # a phase allocation without a date: the phase's total allocation (central budget)
    assert table.loc["published_041", "convention"] == "phase_total"
    central = demo.allocations[demo.allocations["source"] == "central"]["amount_mvnd"].sum()
    assert table.loc["published_041", "dataset"] == pytest.approx(central / 1000)
    assert 0 < table.loc["published_038", "dataset"] < 100
    assert table["matches"].map(lambda v: v in (True, False)).all()


def _row(**kw) -> pd.Series:
    base = {"scope_note": None, "period": "2022-2025", "as_of": T("2025-10-15")}
    return pd.Series({**base, "measure": "disbursement_rate_total", **kw})


def test_classify_conventions_and_reasons():
    last = T("2026-01-31")
    assert published.classify(_row(), last) == ("phase_cumulative", None)
    assert published.classify(_row(as_of=pd.NaT), last) == (None, "no_date")
    assert published.classify(_row(as_of=pd.NaT, measure="allocated_total"), last) == (
        "phase_total",
        None,
    )
    assert published.classify(_row(scope_note="POST-MERGER province"), last) == (
        None,
        "post_merger",
    )
    assert published.classify(_row(as_of=T("2026-06-30")), last) == (None, "after_last_report")
    one = _row(period="2024", scope_note="plan incl. carry-over from 2023")
    assert published.classify(one, last) == ("year_plan_with_carry_over", None)
    unclear = _row(period="2024", scope_note="unclear whether incl. carry-over")
    assert published.classify(unclear, last) == ("by_vintage", None)
    assert published.classify(_row(period="Q3"), last) == (None, "period")


def test_published_standing_among_comparable_provinces():
    # 1 Aug 2025: Cao Bằng 75.6 % (central); Sơn La 70 % on 5 Jul 2025 (27 days, closer than
    # its 64 % of 30 Jun); Cao Bằng's 15 Oct figure is 75 days away and left out
    s = published.published_standing("Cao Bằng", as_of=T("2025-08-01"))
    assert s.n == 2 and s.rank == 1
    assert s.value == pytest.approx(0.756)
    rows = s.table.set_index("province")
    assert rows.loc["Sơn La", "value"] == pytest.approx(0.70)
    assert rows.loc["Sơn La", "days_apart"] == 27
    assert rows.loc["Sơn La", "comparability"] == "sources_unstated"
    # default date: the province's latest figure (15 Oct 2025), where it stands alone
    latest = published.published_standing("Cao Bằng")
    assert latest.as_of == T("2025-10-15") and latest.value == pytest.approx(0.772)
    assert latest.n == 1
    # the widest comparison: 1 Aug 2025 (two provinces) rather than 15 Oct (one)
    widest = published.widest_standing("Cao Bằng")
    assert widest is not None and widest.as_of == T("2025-08-01")
    none = published.published_standing("Nowhere")
    assert none.value is None and none.n == 0
    assert published.widest_standing("Nowhere") is None
