"""The brief's reconciliation section, rendered in vi and en from the hand-made fixtures.

tests/fixtures/brief/metrics_province.json carries committee rates (1 Aug 2025, the last
report, and a year end that the section leaves out), five published figures (four comparable:
"more than 4,222 billion" against 4,225.31 matches, 77.2 % against 77.26 % differs, "nearly
67 %" against 66.96 % matches, "more than 5,776 billion" against 5,801.64 matches; one after the
merger) and a standing among three provinces. Amounts in the figures table are billion VND, the
dataset's value with one decimal more than the page writes.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from helpers.report import brief
from helpers.report.brief import Brief

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "brief"


def _load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture
def metrics() -> dict:
    """The province's metrics.json fixture (fresh for each test, which may change it)."""
    return _load("metrics_province.json")


@pytest.fixture
def lag() -> dict:
    return _load("lag_province.json")


def _text(html: str) -> str:
    """The words of an HTML fragment, one space between cells."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'")


def _section(metrics: dict, lag: dict, lang: str) -> str:
    return str(brief.reconcile_section(Brief(metrics=metrics, lag=lag, lang=lang)).html)


EXPECTED = {
    "vi": [
        "Đối chiếu với số liệu đã công bố",
        # (a) the conventions at the published date and at the last report, DEMO in the caption
        "tính từ bộ dữ liệu (DEMO: số liệu mô phỏng)",
        "Lũy kế giai đoạn 01/08/2025 5.033,4 3.805,3 75,6% 82,7% 68,0%",
        "Kế hoạch năm gồm vốn chuyển sang (năm 2025) 01/08/2025 1.100,0 380,0 34,6% 42,9% 20,0%",
        "Lũy kế giai đoạn 31/01/2026 (kỳ báo cáo cuối) 5.500,0 4.700,0 85,4% 89,3% 81,5%",
        # each short name in words
        "“lũy kế giai đoạn”: lũy kế cả giai đoạn đến ngày đó, vốn đã giao đến ngày đó",
        # (b) each figure: wording, the dataset's value one decimal finer, verdict, page
        "Bộ dữ liệu (DEMO)",
        "Giải ngân, tổng, 2022–2025 15/10/2025 hơn 4.222 4.225,3 lũy kế giai đoạn không nêu "
        "khớp [1]",
        "Tỷ lệ giải ngân, tổng, 2022–2025 15/10/2025 77,2% 77,26% lũy kế giai đoạn mọi nguồn "
        "khác [1]",
        "gần 67% 67,0% lũy kế giai đoạn NS nhà nước khớp [1]",
        "Vốn giao, tổng, 2021–2025 không nêu hơn 5.776 5.801,6 tổng cả giai đoạn NS trung ương "
        "khớp [2]",
        "khoảng 1.200 – không so sánh được: số liệu của tỉnh sau sáp nhập",
        # 3 of the 4 comparable match; cumulative over the phase: 2 of 3; phase total 1 of 1
        "3 trên 4 số liệu công bố so sánh được khớp với bộ dữ liệu theo các quy ước đã nêu "
        "(tỉnh có 5 số liệu công bố).",
        "Quy ước gần nhất với các báo cáo đã công bố là “lũy kế cả giai đoạn đến ngày đó, vốn đã "
        "giao đến ngày đó”: 2 trên 3 số liệu công bố theo quy ước này khớp.",
        "Theo quy ước “tổng vốn giao cả giai đoạn (không theo ngày)”: 1 trên 1 số liệu khớp.",
        "Số công bố là số thực",
        "Quy tắc khớp",
        "https://example.org/cao-bang-october",
        # (c) the standing and how comparable
        "Trong 3 tỉnh đã công bố tỷ lệ giải ngân lũy kế của giai đoạn trong vòng 60 ngày quanh "
        "ngày 01/08/2025, Cao Bằng xếp thứ 1 (75,6%).",
        "số liệu của Cao Bằng chỉ tính ngân sách trung ương; trong số liệu của các tỉnh khác có "
        "1 không nêu nguồn vốn, 1 của tỉnh sau sáp nhập ngày 01/07/2025; các số liệu chênh nhau "
        "đến 40 ngày.",
        "Cao Bằng 75,6% 01/08/2025 0 NS trung ương tỉnh này",
        "Sơn La gần 70% 05/07/2025 27 không nêu không nêu nguồn vốn",
        "Tỉnh Mẫu 61,23% 10/09/2025 40 mọi nguồn sau sáp nhập ngày 01/07/2025",
    ],
    "en": [
        "Reconciling with published figures",
        "computed from the dataset (DEMO: synthetic data)",
        "Phase to date 1 Aug 2025 5,033.4 3,805.3 75.6% 82.7% 68.0%",
        "Phase to date 31 Jan 2026 (last report) 5,500.0 4,700.0 85.4% 89.3% 81.5%",
        "“phase to date”: cumulative over the phase to the date, capital assigned by then",
        "Dataset (DEMO)",
        "Disbursed, total, 2022–2025 15 Oct 2025 more than 4,222 4,225.3 phase to date not "
        "stated matches [1]",
        "Disbursement rate, total, 2022–2025 15 Oct 2025 77.2% 77.26% phase to date all sources "
        "differs [1]",
        "nearly 67% 67.0% phase to date state budget matches [1]",
        "about 1,200 – not comparable: the figure is for the province as merged",
        "3 of 4 comparable published figures match the dataset under the stated conventions "
        "(of 5 published).",
        "The convention closest to the published reports is “cumulative over the phase to the "
        "date, capital assigned by then”: 2 of 3 figures published under it match.",
        "The published figures are real",
        "Among 3 provinces that published a cumulative disbursement rate of the phase within 60 "
        "days of 1 Aug 2025, Cao Bằng ranks 1 (75.6%).",
        "The ranking is indicative only: Cao Bằng's figure covers the central budget only, and "
        "of the other provinces' figures, 1 not stating their sources, 1 for a province as "
        "merged on 1 Jul 2025; the figures are up to 40 days apart.",
        "Sơn La nearly 70% 5 Jul 2025 27 not stated sources not stated",
    ],
}


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_reconciliation_section_from_the_fixture(metrics, lag, lang):
    text = _text(_section(metrics, lag, lang))
    for needle in EXPECTED[lang]:
        assert needle in text, needle
    # the year-end rate of 2024 belongs to the capital section, not here
    assert "31/12/2024" not in text and "31 Dec 2024" not in text


def test_the_section_follows_the_capital_section_and_links_nothing(metrics, lag):
    html = brief.render_html(Brief(metrics=metrics, lag=lag, lang="en"))
    ids = re.findall(r'<section id="([^"]+)"', html)
    assert ids.index("reconcile") == ids.index("capital") + 1
    assert 'href="http' not in html  # page addresses are text: the brief loads nothing
    for table_id in ("table-committee", "table-published", "table-standing"):
        assert f'id="{table_id}"' in html


def test_real_data_say_dataset_without_demo(metrics, lag):
    real = metrics | {"demo": False}
    text = _text(_section(real, lag | {"demo": False}, "en"))
    assert "Published Dataset Convention" in text
    assert "DEMO" not in text and "The published figures are real" not in text


def test_district_briefs_leave_the_section_out():
    m, la = _load("metrics_district.json"), _load("lag_district_few.json")
    m = m | {"committee_rates": _load("metrics_province.json")["committee_rates"]}
    b = Brief(metrics=m, lag=la, lang="vi")
    assert str(brief.reconcile_section(b).html) == ""
    assert "reconcile" not in re.findall(r'<section id="([^"]+)"', brief.render_html(b))


def test_results_without_the_keys_leave_the_section_out(metrics, lag):
    old = {k: v for k, v in metrics.items() if not k.startswith(("committee", "published"))}
    html = brief.render_html(Brief(metrics=old, lag=lag, lang="en"))
    assert '<section id="reconcile"' not in html


def test_a_province_with_no_published_figure_shows_the_conventions_only(metrics, lag):
    other = copy.deepcopy(metrics) | {"published_comparison": [], "published_standing": None}
    text = _text(_section(other, lag, "en"))
    assert "75.6% 82.7% 68.0%" in text
    assert "The workbench ships no published figure about Cao Bang to compare with." in text
    assert "Among" not in text and "Match rule" not in text


def test_a_province_alone_in_its_window_has_no_ranking(metrics, lag):
    alone = copy.deepcopy(metrics)
    s = alone["published_standing"]
    s.update(n=1, rows=s["rows"][:1])
    text = _text(_section(alone, lag, "vi"))
    assert (
        "Không tỉnh nào khác công bố tỷ lệ giải ngân lũy kế của giai đoạn trong vòng 60 ngày "
        "quanh ngày 01/08/2025 (Cao Bằng: 75,6%), nên chưa thể xếp hạng." in text
    )
    assert 'id="table-standing"' not in _section(alone, lag, "vi")


def test_every_figure_matching_names_the_convention_that_reproduces_the_reports(metrics, lag):
    good = copy.deepcopy(metrics)
    for f in good["published_comparison"]:
        if f["matches"] is False:
            f["matches"] = True
    text = _text(_section(good, lag, "en"))
    assert (
        "The convention that reproduces the published reports is “cumulative over the phase to "
        "the date, capital assigned by then”: all 3 figures published under it match." in text
    )
