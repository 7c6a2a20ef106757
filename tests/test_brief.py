"""The workshop brief: sentences (vi/en), proposals, escaping, offline HTML, slugs, index.

Fast tests: briefs are rendered from the small hand-made JSON files in tests/fixtures/brief/,
no kernel and no browser (those are in test_brief_browser.py).
"""

from __future__ import annotations

import copy
import json
import math
import re
from pathlib import Path

import papermill
import pytest
from babel.messages.pofile import read_po

from helpers.analysis.lag.prepare import Caveat
from helpers.core.contracts import Lag, Metrics
from helpers.core.paths import NOTEBOOKS_DIR
from helpers.core.text import LOCALE_DIR
from helpers.data import datasets
from helpers.report import brief
from helpers.report.brief import Brief, BriefInputError
from helpers.steps import lag as lag_step

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "brief"
XSS = "<script>alert(1)</script>"

NETWORK_REF = re.compile(
    r"""(?:src|href|action|srcset)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//""", re.I
)
HTTP_REF = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:|ftp:|ws:|wss:)""", re.I)


def _load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


M, L = Metrics.parse, Lag.parse  # result dicts through their contracts


@pytest.fixture
def metrics() -> dict:
    return _load("metrics_province.json")


@pytest.fixture
def lag() -> dict:
    return _load("lag_province.json")


def _scope_dirs(root: Path, slug: str, metrics: dict, lag: dict) -> Path:
    base = root / slug
    (base / "assessment").mkdir(parents=True)
    (base / "lag").mkdir(parents=True)
    (base / "assessment" / "metrics.json").write_text(
        json.dumps(metrics, ensure_ascii=False), encoding="utf-8"
    )
    (base / "lag" / "lag.json").write_text(json.dumps(lag, ensure_ascii=False), encoding="utf-8")
    return base


def _html(metrics: dict, lag: dict, lang: str = "vi", **kw) -> str:
    return brief.render_html(Brief(metrics=metrics, lag=lag, lang=lang, **kw))


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    """The fixture province brief in both languages, rendered once for the read-only tests."""
    m, la = _load("metrics_province.json"), _load("lag_province.json")
    return {lang: _html(m, la, lang) for lang in ("vi", "en")}


# --------------------------------------------------------------------------- sentences
def test_totals_sentence_vi_uses_vietnamese_number_format_and_diacritics(metrics):
    text = brief.sentence_totals(M(metrics), "vi")
    assert "1.526.790 triệu đồng" in text
    assert "1.221.432 triệu đồng" in text
    assert "toàn tỉnh Cao Bằng được giao" in text
    assert "80,0%" in text  # 1,221,432 / 1,526,790
    assert "31/01/2026" in text and "2021–2025" in text


def test_totals_sentence_en_uses_english_number_format(metrics):
    text = brief.sentence_totals(M(metrics), "en")
    assert "VND 1,526,790 million" in text
    assert "VND 1,221,432 million" in text
    assert "Cao Bang province was allocated" in text
    assert "80.0%" in text
    assert "31 Jan 2026" in text


def test_cutoff_sentences_quote_the_three_rates(metrics):
    vi = " ".join(brief.sentence_cutoffs(M(metrics), "vi"))
    assert "70,0%" in vi and "50,0%" in vi  # deadline 0.7; 31 Dec 763,395 / 1,526,790
    assert "31/01" in vi and "31/12" in vi
    # 1,221,432 − 1,068,753 = 152,679 disbursed after the deadline, 10.0 % of the allocation
    assert "152.679 triệu đồng (10,0% vốn giao)" in vi
    en = " ".join(brief.sentence_cutoffs(M(metrics), "en"))
    assert "70.0%" in en and "VND 152,679 million (10.0% of the allocation)" in en


def test_year_sentences_name_empty_years_and_best_and_worst(metrics):
    vi = brief.sentence_years(M(metrics), "vi")
    assert vi[0] == "Năm 2021: không có vốn được giao."
    # 2024: 650,000 / 1,000,000 = 65.0 %; 2025: 418,753 / 526,790 = 79.5 %
    assert "thấp nhất là năm 2024 (65,0%)" in vi[1] and "cao nhất là năm 2025 (79,5%)" in vi[1]


def test_capital_type_gap_in_points(metrics):
    # investment 640,000 / 800,000 = 80.0 %; recurrent 428,753 / 726,790 = 59.0 %: 21.0 points
    en = brief.sentence_capital_types(M(metrics), "en")
    assert (
        "80.0%" in en
        and "59.0%" in en
        and "recurrent capital is 21.0 percentage points lower" in en
    )
    vi = brief.sentence_capital_types(M(metrics), "vi")
    assert "vốn sự nghiệp thấp hơn 21,0 điểm phần trăm" in vi


def test_timing_effect_sentence_headlines_the_amount_weighted_association(lag):
    # weighted by amount: -2.4 (-2.9 to -1.9); the lines average -2.2 is not quoted
    vi = brief.sentence_timing_effect(L(lag), "vi")
    assert "gắn với tỷ lệ giải ngân đến hạn thấp hơn ước tính 2,4 điểm phần trăm" in vi
    assert "trọng số số vốn" in vi
    assert "khoảng tin cậy 95%: từ 1,9 đến 2,9 điểm phần trăm" in vi
    assert "812 dòng kế hoạch" in vi and "2,2" not in vi
    en = brief.sentence_timing_effect(L(lag), "en")
    assert en == (
        "Each month of delay in a line's allocation decision was associated with an execution "
        "rate at the deadline lower by an estimated 2.4 percentage points (weighted by amount, "
        "so it describes the execution rate of the capital rather than the average line; 95% "
        "confidence interval: 1.9 to 2.9 percentage points; 812 plan lines)."
    )
    for word in ("cause", "cost", "lowers"):
        assert word not in en.lower()


def test_timing_effect_falls_back_to_the_lines_average(lag):
    old = copy.deepcopy(lag)
    del old["timing_effect_pp_per_month_weighted"]
    en = brief.sentence_timing_effect(L(old), "en")
    assert "lower by an estimated 2.2 percentage points (an average over lines" in en
    assert "1.8 to 2.6 percentage points" in en


def test_counterfactual_sentence_quotes_the_wider_interval_rounded(lag, metrics):
    # gain 443,723 million ≈ 440 billion; bootstrap interval 352,110–538,960 ≈ 350–540 billion
    vi = brief.sentence_counterfactual(L(lag), M(metrics), "vi")
    assert vi == (
        "Nếu mọi dòng kế hoạch được giao vốn trước ngày 31/01 của năm kế hoạch, mô hình ước tính "
        "số vốn giải ngân đến hạn tăng thêm khoảng 440 tỷ đồng, bằng 29,1% vốn giao (khoảng tin "
        "cậy 95%: từ khoảng 350 tỷ đồng đến 540 tỷ đồng, là khoảng bootstrap theo cụm huyện rộng "
        "hơn, có tính đến việc các dòng của cùng một huyện biến động cùng nhau)."
    )
    en = brief.sentence_counterfactual(L(lag), M(metrics), "en")
    assert "by 31 January of the plan year" in en
    assert "about VND 440 billion more" in en and "443,723" not in en
    assert "about VND 350 billion to VND 540 billion" in en
    assert "allows for lines of the same district moving together" in en
    assert "29.1% of the allocation" in en  # 443,723 / 1,526,790
    delta = copy.deepcopy(lag)
    delta["counterfactual"].update(ci_used="delta_method", ci_wide_low=371048.0)
    delta["counterfactual"].update(ci_wide_high=516397.0)
    en = brief.sentence_counterfactual(L(delta), M(metrics), "en")
    assert "(95% confidence interval: about VND 370 billion to VND 520 billion)." in en
    assert "bootstrap" not in en


def test_prose_amounts_are_rounded_to_two_significant_figures_in_billions():
    from helpers.report.brief.values import fmt_bvnd_prose

    cases = {248376.4: "250", 193620.6: "190", 63555.5: "64", 5321.0: "5.3", 99600.0: "100"}
    for mvnd, shown in cases.items():
        assert fmt_bvnd_prose(mvnd, "en") == f"VND {shown} billion"
    assert fmt_bvnd_prose(2401972.0, "vi") == "2.400 tỷ đồng"
    assert fmt_bvnd_prose(-1200.0, "vi") == "-1,2 tỷ đồng"
    assert fmt_bvnd_prose(None, "en") == "not available"


def test_support_restriction_names_the_share_and_decision_652(lag):
    # 601,555 of 1,526,790 million (39 %) could not be moved to 31 January; 2022 is outside
    vi = brief.sentences.sentence_support(L(lag), "vi")
    assert "nên 39% số vốn (khoảng 600 tỷ đồng) không thể dời sớm đến ngày 31/01" in vi
    assert vi.endswith(
        "Vốn năm 2022 chỉ có thể được giao sau Quyết định số 652/QĐ-TTg ngày 28/5/2022 của Thủ "
        "tướng Chính phủ."
    )
    en = brief.sentences.sentence_support(L(lag), "en")
    assert "so 39% of the capital (about VND 600 billion) could not be moved as early as" in en
    assert "Capital for 2022 could be assigned only after the Prime Minister's Decision " in en
    inside = copy.deepcopy(lag)
    inside["counterfactual"].update(share_capital_outside_support=0.0)
    assert brief.sentences.sentence_support(L(inside), "en") is None


def test_gain_by_plan_year_and_the_feasible_calendar(lag, metrics):
    en = brief.sentences.sentence_cf_years(L(lag), "en")
    assert en == (
        "By plan year, the estimated gain was 2022: about VND 96 billion; 2023: about VND 120 "
        "billion; 2024: about VND 100 billion; 2025: about VND 130 billion."
    )
    # feasible: 251,000 ≈ 250 billion, 16.4 % of 1,526,790; bootstrap 190,400–311,600
    vi = brief.sentences.sentence_feasible(L(lag), M(metrics), "vi")
    assert vi.startswith("Mục tiêu sát thực tế hơn là lịch giao vốn tỉnh đã từng đạt được")
    assert "khoảng 250 tỷ đồng, bằng 16,4% vốn giao (khoảng tin cậy 95%: từ khoảng 190 tỷ" in vi
    en = brief.sentences.sentence_feasible(L(lag), M(metrics), "en")
    assert "A more realistic target is a calendar the province has already achieved" in en
    assert "about VND 250 billion more" in en and "VND 190 billion to VND 310 billion" in en
    html = _html(metrics, lag, "en")
    timing = re.search(r'<section id="timing".*?</section>', html, re.S).group(0)
    assert timing.index("31 January of the plan year, the model") < timing.index("more realistic")


def test_lines_without_reports_are_not_counted_as_zero(lag):
    en = brief.sentences.sentence_not_reported(L(lag), "en")
    assert en == (
        "3 plan lines (VND 4,210 million) have no disbursement report: they are counted as not "
        "reported, not as disbursing nothing, and are left out of the timing model and the "
        "scenarios."
    )
    vi = brief.sentences.sentence_not_reported(L(lag), "vi")
    assert vi.startswith("3 dòng kế hoạch (4.210 triệu đồng) chưa có báo cáo giải ngân nào")
    none = copy.deepcopy(lag) | {"n_lines_not_reported": 0}
    assert brief.sentences.sentence_not_reported(L(none), "en") is None


def test_pefa_sentence_names_the_baseline_and_a_provisional_grade(metrics):
    en = brief.sentences.sentence_pefa(M(metrics), "en")
    assert en == [
        "Budget credibility on PEFA-style indicators (adapted from PEFA 2016): aggregate outturn "
        "(PI-1) grade D, composition variance by project (PI-2(i)) grade B (scale A–D, A best). "
        "Outturn is compared with the originally approved plan where its amounts were given, and "
        "otherwise with the final allocation."
    ]
    short = copy.deepcopy(metrics) | {"pefa_baseline": "allocated", "pefa_provisional": True}
    short["pefa_aggregate_years"] = [2024, 2025]
    vi = brief.sentences.sentence_pefa(M(short), "vi")
    assert "theo các chỉ số kiểu PEFA" in vi[0] and "phương pháp" not in vi[0]
    assert vi[0].endswith(
        "so với kế hoạch vốn giao cuối cùng, vì không có số liệu kế hoạch giao ban đầu."
    )
    assert vi[1] == (
        "Các xếp hạng này là tạm thời: chỉ dựa trên chưa đến ba năm đã hoàn thành (2024, 2025)."
    )
    en = brief.sentences.sentence_pefa(M(short), "en")
    assert "the final allocation, because no originally approved amounts were given" in en[0]
    assert en[1].startswith("The grades are provisional: they rest on fewer than three")


def test_too_few_lines_says_so_instead_of_quoting_an_estimate():
    lag = L(_load("lag_district_few.json"))
    assert brief.timing_effect_status(lag) == "few"
    vi = brief.sentence_timing_effect(L(lag), "vi")
    assert vi.startswith("Số liệu quá ít để kết luận") and "chỉ có 8 dòng kế hoạch" in vi
    assert "3,7" not in vi and "3,9" not in vi
    en = brief.sentence_timing_effect(L(lag), "en")
    assert en.startswith("The data are too few to say") and "only 8 plan lines" in en
    assert "3.7" not in en and "3.9" not in en
    cf = brief.sentence_counterfactual(lag, M(_load("metrics_district.json")), "en")
    assert cf.startswith("The data are too few") and "5,321" not in cf
    assert "1 January 2025" not in cf and "31 Jan 2025" in cf


def test_interval_including_zero_says_the_data_cannot_tell(lag):
    wide = copy.deepcopy(lag)
    wide["timing_effect_pp_per_month_weighted"].update(ci_low=-1.0, ci_high=0.4)
    wide["counterfactual"].update(ci_wide_low=-5000.0, ci_wide_high=90000.0)
    en = brief.sentence_timing_effect(L(wide), "en")
    assert "too few to say" in en and "includes no association" in en and "-1.0 to 0.4" in en
    vi = brief.sentence_counterfactual(L(wide), M(_load("metrics_province.json")), "vi")
    assert vi.startswith("Số liệu chưa đủ") and "bao gồm giá trị không" in vi
    assert (
        brief.findings(Brief(metrics=_load("metrics_province.json"), lag=wide))[0].key
        != "late_allocation"
    )


def test_missing_estimates_say_not_available(lag):
    none = copy.deepcopy(lag)
    none["timing_effect_pp_per_month"]["estimate"] = None
    none["timing_effect_pp_per_month_weighted"]["estimate"] = None
    none["counterfactual"]["gain_mvnd"] = None
    none["months_to_50pct"] = None
    none["months_to_share"] = {}  # no line timed (with lines, None means "not reached yet")
    assert (
        brief.sentence_timing_effect(L(none), "en")
        == "No estimate of the association of timing with disbursement is available."
    )
    assert (
        brief.sentence_counterfactual(L(none), M(_load("metrics_province.json")), "vi")
        == "Chưa có ước tính kịch bản giao vốn sớm."
    )
    assert "No estimate" in brief.sentence_months(L(none), "en")


def test_months_sentence_is_the_kaplan_meier_median_of_lines(lag):
    en = brief.sentence_months(L(lag), "en")
    assert en == (
        "Half of the plan lines had disbursed 50% of their capital 7.3 months after the "
        "allocation decision (95% confidence interval: 6.4 to 8.1 months) and 90% after 16.2 "
        "months. These are median times for lines (Kaplan–Meier): lines still disbursing are "
        "counted as not yet there."
    )
    vi = brief.sentence_months(L(lag), "vi")
    assert "sau 7,3 tháng" in vi and "dòng còn đang giải ngân được tính là chưa đạt" in vi


def test_months_sentence_when_half_of_the_lines_are_not_there_yet(lag):
    lag = copy.deepcopy(lag)
    lag["months_to_90pct"] = None
    lag["months_to_share"]["90pct"].update(estimate=None, ci_low=None, ci_high=None)
    en = brief.sentence_months(L(lag), "en")
    assert "7.3 months" in en and "fewer than half had reached 90% by the last report" in en
    lag["months_to_50pct"] = None
    en = brief.sentence_months(L(lag), "en")
    assert en.startswith("Fewer than half of the plan lines had disbursed 50%")
    lag["months_to_share"]["50pct"]["ci_high"] = None
    lag["months_to_50pct"] = 7.3
    assert "6.4 months or more" in brief.sentence_months(L(lag), "en")


def test_targets_sentence(metrics):
    assert brief.sentence_targets(M(metrics), "vi") == (
        "12 trên 21 chỉ tiêu đã đạt mục tiêu; 8 chưa đạt; 1 chưa có số liệu."
    )
    assert (
        brief.sentence_targets(M(metrics | {"targets_met": 0, "targets_total": 0}), "en")
        == "No target data for this scope."
    )


def _catalog(lang: str, domain: str) -> dict[str, str]:
    with (LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po").open("rb") as fh:
        return {m.id: m.string for m in read_po(fh, locale=lang) if m.id}


DOMAINS = sorted(p.stem for p in (LOCALE_DIR / "vi" / "LC_MESSAGES").glob("*.po"))


def test_templates_contain_no_digits():
    """Numbers enter sentences only through placeholders; proper names live in ``names``."""
    assert {"brief", "common", "names"} <= set(DOMAINS)
    for domain in (d for d in DOMAINS if d != "names"):
        for lang in ("vi", "en"):
            for msgid, text in _catalog(lang, domain).items():
                prose = re.sub(r"\{\w*\}", "", text)  # placeholder names may hold digits
                assert not re.search(r"\d", prose), f"{domain}: {msgid} ({lang}) has a digit"


def test_every_message_exists_in_both_languages():
    vi_files = {p.name for p in (LOCALE_DIR / "vi" / "LC_MESSAGES").glob("*.po")}
    en_files = {p.name for p in (LOCALE_DIR / "en" / "LC_MESSAGES").glob("*.po")}
    assert vi_files == en_files
    for domain in DOMAINS:
        vi, en = _catalog("vi", domain), _catalog("en", domain)
        assert set(vi) == set(en), f"{domain}: {sorted(set(vi) ^ set(en))}"
        assert all(vi.values()) and all(en.values()), f"{domain}: an empty translation"


def test_fixtures_match_the_contracts():
    for path in sorted(FIXTURES.glob("*.json")):
        (Metrics if path.name.startswith("metrics") else Lag).read(path)


def test_sections_are_rendered_once_and_reused_by_the_page(metrics, lag, monkeypatch):
    b = Brief(metrics=metrics, lag=lag, lang="en")
    shown = brief.capital_section(b)
    calls = []
    monkeypatch.setattr(brief.charts, "chart_by_year", lambda b: calls.append(b))
    html = brief.render_html(b)
    assert not calls and str(shown.html) in html
    assert brief.capital_section(b) is shown and shown._repr_html_() == str(shown.html)


# --------------------------------------------------------------------------- proposals
def test_each_proposal_rests_on_a_finding_with_its_number(metrics, lag):
    b = Brief(metrics=metrics, lag=lag, lang="en")
    props = {p.key: p for p in brief.proposals(b)}
    assert list(props) == [
        "late_allocation",
        "recurrent_slow",
        "carry_over",
        "year_end",
        "targets",
        "districts_behind",
    ]
    early = props["late_allocation"]
    assert early.title == "Assign each year's capital to projects by 31 January of the plan year"
    assert early.finding.text == (
        "On 2021–2025 data, the model estimates that assigning capital by 31 January of the plan "
        "year would have added about VND 440 billion to disbursement by the deadline (95% "
        "confidence interval: about VND 350 billion to VND 540 billion); each month of delay was "
        "associated with an execution rate at the deadline lower by an estimated 2.4 percentage "
        "points. Keeping every year to a calendar the province has already achieved would have "
        "added about VND 250 billion (95% confidence interval: about VND 190 billion to VND 310 "
        "billion)."
    )
    assert "calendar the province has already achieved" in early.text
    assert "21.0 percentage points" in props["recurrent_slow"].finding.text
    # 302,049 / 1,526,790 = 19.8 %
    assert "VND 302,049 million (19.8% of the allocation)" in props["carry_over"].finding.text
    assert "36.0%" in props["year_end"].finding.text
    assert props["targets"].finding.text == "8 of 21 targets were not met."
    # province 70%: Quảng Hòa at 60% is 10 points below (more than 5); Bảo Lạc is not
    assert "Quang Hoa (60.0%)" in props["districts_behind"].finding.text
    assert "Bao Lac" not in props["districts_behind"].finding.text
    for p in props.values():
        assert re.search(r"\d", p.finding.text), p.key


def test_no_proposal_without_a_strong_finding(metrics, lag):
    calm = copy.deepcopy(metrics)
    calm.update(
        carried_over_mvnd=1000.0,
        dec_jan_share=0.15,
        targets_met=21,
        targets_not_met=0,
        targets_no_data=0,
    )
    calm["by_capital_type"]["recurrent"]["disbursed_deadline_mvnd"] = 580000.0  # 79.8 %
    calm["district_ranking"] = []
    few = _load("lag_district_few.json") | {"scope": "04"}
    b = Brief(metrics=calm, lag=few, lang="vi")
    assert brief.proposals(b) == []
    html = brief.render_html(b)
    assert "Không có phát hiện nào đủ căn cứ" in html


def test_district_brief_ranks_the_district_and_proposes_support():
    m, province = _load("metrics_district.json"), _load("metrics_province.json")
    b = Brief(
        metrics=m,
        lag=_load("lag_district_few.json"),
        lang="vi",
        ranking=brief.district_ranking(M(m), M(province)),
    )
    text = " ".join(brief.sentence_ranking(b))
    assert "Quảng Hòa xếp thứ 3 trên 3 huyện (60,0%; toàn tỉnh 70,0%, thấp hơn 10,0 điểm" in text
    keys = [p.key for p in brief.proposals(b)]
    assert "district_behind" in keys and "late_allocation" not in keys
    html = brief.render_html(b)
    assert "Vị trí so với các huyện trong tỉnh" in html and 'class="highlight"' in html
    assert "01/07/2025" in html  # the district level ended


# --------------------------------------------------------------------------- inputs
def test_missing_required_key_names_the_file_and_the_key(tmp_path, metrics, lag):
    del metrics["targets_total"]
    _scope_dirs(tmp_path, "province", metrics, lag)
    with pytest.raises(BriefInputError) as err:
        brief.load_brief(scope="province", outputs_dir=tmp_path)
    assert "metrics.json" in str(err.value) and "'targets_total'" in str(err.value)
    assert str(tmp_path) in str(err.value)


def test_missing_nested_lag_key_names_it(tmp_path, metrics, lag):
    del lag["counterfactual"]["gain_mvnd"]
    _scope_dirs(tmp_path, "province", metrics, lag)
    with pytest.raises(
        BriefInputError,
        match=r"lag\.json: missing required key "
        r"'counterfactual\.gain_mvnd'",
    ):
        brief.load_brief(scope="province", outputs_dir=tmp_path)


def test_missing_result_file_says_which_notebook_to_run(tmp_path):
    with pytest.raises(BriefInputError, match="01_assessment"):
        brief.load_brief(scope="province", outputs_dir=tmp_path)


def test_results_of_different_scopes_are_refused(tmp_path, metrics, lag):
    lag["scope"] = "049"
    _scope_dirs(tmp_path, "province", metrics, lag)
    with pytest.raises(BriefInputError, match="same scope"):
        brief.load_brief(scope="province", outputs_dir=tmp_path)


def test_missing_values_render_and_say_not_available(metrics, lag):
    nulls = metrics | {k: None for k in ("carried_over_mvnd", "lapsed_mvnd", "q4_share")}
    html = _html(nulls, lag, "en")
    panel = re.search(r'data-key="carried_over".*?</div>', html, re.S).group(0)
    assert "not available" in panel
    assert "VND 1,526,790 million" in html


def test_bad_language_is_refused(metrics, lag):
    with pytest.raises(ValueError, match="vi, en"):
        Brief(metrics=metrics, lag=lag, lang="fr")


# --------------------------------------------------------------------------- html
def test_xss_in_data_strings_is_shown_as_text(metrics, lag):
    m = copy.deepcopy(metrics)
    m["scope_name_vi"] = XSS
    m["data_origin"] = f'{XSS}"><img src=x onerror=alert(2)>'
    m["district_ranking"][0]["name_vi"] = XSS
    la = copy.deepcopy(lag)
    la["caveats"] = [{"id": "xss", "vi": XSS, "en": XSS}]
    html = _html(m, la, "vi")
    assert "<script" not in html.lower()
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert "&lt;script&gt;" in title


def test_html_has_no_network_reference_and_no_script(rendered):
    html = rendered["en"]
    assert not NETWORK_REF.search(html)
    assert not HTTP_REF.search(html)
    assert not re.search(r"<(script|link|iframe|object|embed)\b", html, re.I)
    assert "@import" not in html and "url(" not in html
    assert "default-src 'none'" in html  # Content-Security-Policy: no network, no script
    srcs = re.findall(r'<img[^>]*\ssrc="([^"]*)"', html)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)


def test_html_has_no_code_prompts_or_tracebacks(rendered):
    html = rendered["vi"]
    for needle in ("In [", "Out[", "load_brief", "import ", "Traceback", "jp-", "stderr"):
        assert needle not in html, needle


def test_sections_are_in_the_page_order(rendered):
    html = rendered["en"]
    ids = re.findall(r'<section id="([^"]+)"', html)
    assert ids == [
        "title",
        "key-figures",
        "capital",
        "reconcile",
        "timing",
        "targets",
        "ranking",
        "proposals",
        "method",
        "provenance-footer",
    ]
    assert "for the 2026–2030 proposal workshop".lower() in html.lower()


def test_key_figures_panel_has_stable_keys_and_formatted_values(metrics, lag):
    b = Brief(metrics=metrics, lag=lag, lang="vi")
    values = {k["key"]: k["value"] for k in brief.key_figures(b)}
    assert values == {
        "allocated": "1.526.790 triệu đồng",
        "disbursed": "1.221.432 triệu đồng",
        "execution_rate_deadline": "70,0%",
        "carried_over": "302.049 triệu đồng",
        "targets_met": "12 / 21",
    }
    html = brief.render_html(b)
    for key in values:
        assert f'data-key="{key}"' in html


def test_demo_is_marked_in_title_on_every_page_and_in_footer(rendered):
    html = rendered["vi"]
    assert re.search(r"<title>DEMO", html)
    assert 'class="demo-badge" data-demo="title"' in html
    assert 'id="demo-mark" class="demo-mark"' in html
    assert 'data-demo="footer"' in html
    css = (brief.TEMPLATES_DIR / "brief.css").read_text()
    assert re.search(r"\.demo-mark\s*\{[^}]*position:\s*fixed", css)


def test_real_data_has_no_demo_mark(metrics, lag):
    real = metrics | {"demo": False}
    html = _html(real, lag | {"demo": False}, "en")
    body = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
    assert "DEMO" not in body and "demo-mark" not in body and "demo-badge" not in body


def test_print_stylesheet_is_a4_with_page_breaks(rendered):
    css = (brief.TEMPLATES_DIR / "brief.css").read_text()
    assert re.search(r"@page\s*\{[^}]*size:\s*A4", css)
    assert "break-before: page" in css
    html = rendered["vi"]
    assert html.count('class="brief-section page-break"') >= 5


def test_provenance_footer(tmp_path, metrics, lag, monkeypatch):
    monkeypatch.setenv("MTQG_COMMIT", "abc1234")
    _scope_dirs(tmp_path, "province", metrics, lag)
    b = brief.load_brief(scope="province", lang="en", outputs_dir=tmp_path)
    rows = dict(brief.provenance(b))
    assert rows["SHA-256"] == metrics["data_sha256"]
    assert rows["Data source"] == "demo (fixture)"
    assert rows["Commit"] == "abc1234"
    assert rows["Workbench version"].startswith("mtqg-workbench ")
    assert "scope='province'" in rows["Parameters"] and "lang='en'" in rows["Parameters"]
    assert "metrics.json" in rows["Input results"] and "lag.json" in rows["Input results"]


# --------------------------------------------------------------------------- files and slugs
def test_output_folder_is_a_slug_of_the_unit_code(tmp_path, monkeypatch):
    """A unit whose code is "../../x" (from an input file) still writes under outputs/."""

    class _Data:
        province_code = "04"

    monkeypatch.setattr(datasets, "open_dataset", lambda data: _Data())
    monkeypatch.setattr(
        datasets,
        "resolve_scope",
        lambda ds, scope: datasets.Scope(
            code="../../x", name_vi=XSS, name_en=XSS, level="district"
        ),
    )
    dirs = brief.brief_dirs("huyện X", outputs_dir=tmp_path)
    assert dirs.slug == "x"
    assert dirs.out_dir == tmp_path / "x" / "brief"
    for d in (dirs.out_dir, dirs.assessment_dir, dirs.lag_dir):
        assert d.resolve().is_relative_to(tmp_path.resolve())
    assert (
        brief.brief_dirs("province", outputs_dir=tmp_path).out_dir
        == tmp_path / "province" / "brief"
    )
    (tmp_path / "049").mkdir()
    assert brief.resolve_scope_slug("049", outputs_dir=tmp_path) == "049"


def test_write_brief_writes_atomically_named_files(tmp_path, metrics, lag):
    m = metrics | {"scope_name_vi": "../../evil"}
    b = Brief(metrics=m, lag=lag, lang="vi", out_dir=tmp_path / "province" / "brief")
    paths = brief.write_brief(b)
    assert paths["html"] == tmp_path / "province" / "brief" / "brief.vi.html"
    assert sorted(p.name for p in (tmp_path / "province" / "brief").iterdir()) == [
        "brief.vi.html",
        "brief.vi.json",
    ]
    entry = json.loads(paths["entry"].read_text())
    assert entry["html"] == "brief.vi.html" and entry["allocated_mvnd"] == 1526790.0


def test_upstream_png_only_from_its_own_folder_and_language(tmp_path, metrics, lag):
    folder = tmp_path / "lag"
    folder.mkdir()
    (folder / "profiles.png").write_bytes(brief.PNG_SIGNATURE + b"rest")
    (tmp_path / "secret.png").write_bytes(brief.PNG_SIGNATURE + b"secret")
    la = lag | {"figures": ["profiles.png", "../secret.png"]}
    b = Brief(metrics=metrics, lag=la, lang="vi", inputs={"lag": folder / "lag.json"})
    assert brief.upstream_png(b, "lag", "profiles.png").startswith("data:image/png;base64,")
    assert brief.upstream_png(b, "lag", "../secret.png") is None
    b_en = Brief(metrics=metrics, lag=la, lang="en", inputs={"lag": folder / "lag.json"})
    assert brief.upstream_png(b_en, "lag", "profiles.png") is None  # drawn in vi


# --------------------------------------------------------------------------- index
def test_index_lists_every_brief_with_relative_links(tmp_path, metrics, lag):
    district = _load("metrics_district.json") | {"scope_name_vi": XSS}
    for m, la, slug in (
        (metrics, lag, "province"),
        (district, _load("lag_district_few.json"), "049"),
    ):
        for lang in ("vi", "en"):
            brief.write_brief(
                Brief(metrics=m, lag=la, lang=lang, slug=slug), tmp_path / slug / "brief"
            )
    entries = brief.collect_entries(tmp_path)
    assert len(entries) == 4
    out = brief.write_index(entries, tmp_path / "index.html", lang="vi")
    html = out.read_text()
    hrefs = re.findall(r'href="([^"]+)"', html)
    assert sorted(hrefs) == [
        "049/brief/brief.en.html",
        "049/brief/brief.vi.html",
        "province/brief/brief.en.html",
        "province/brief/brief.vi.html",
    ]
    for h in hrefs:
        assert (tmp_path / h).is_file()
    assert "1.526.790" in html and "70,0%" in html and "12 / 21" in html
    assert "<script" not in html.lower() and "&lt;script&gt;" in html
    assert html.index('data-slug="province"') < html.index('data-slug="049"')
    assert "DEMO" in html
    assert not NETWORK_REF.search(html) and not HTTP_REF.search(html)


def test_index_links_are_relative_from_a_different_folder(tmp_path, metrics, lag):
    paths = brief.write_brief(
        Brief(metrics=metrics, lag=lag, lang="en", slug="province"),
        tmp_path / "run" / "province" / "brief",
    )
    entry = json.loads(paths["entry"].read_text()) | {"html_path": str(paths["html"])}
    out = brief.write_index([entry], tmp_path / "site" / "index.html", lang="en")
    assert 'href="../run/province/brief/brief.en.html"' in out.read_text()


def test_cli_renders_a_brief(tmp_path, metrics, lag, capsys):
    base = _scope_dirs(tmp_path, "province", metrics, lag)
    code = brief.main(
        [
            "render",
            "--assessment-dir",
            str(base / "assessment"),
            "--lag-dir",
            str(base / "lag"),
            "--out-dir",
            str(base / "brief"),
            "--lang",
            "en",
        ]
    )
    assert code == 0
    assert (base / "brief" / "brief.en.html").is_file()
    assert brief.main(["index", str(tmp_path)]) == 0
    assert (tmp_path / "index.html").is_file()
    del metrics["by_year"]
    bad = _scope_dirs(tmp_path / "bad", "province", metrics, lag)
    assert (
        brief.main(
            [
                "render",
                "--assessment-dir",
                str(bad / "assessment"),
                "--lag-dir",
                str(bad / "lag"),
                "--out-dir",
                str(bad / "brief"),
            ]
        )
        == 2
    )
    assert "'by_year'" in capsys.readouterr().err


def test_profile_curves_are_drawn_from_the_fitted_parameters(metrics, lag):
    gompertz = {
        "capital_type": "investment",
        "form": "gompertz",
        "fits": {"gompertz": {"params": {"a": 0.9, "b": 3.0, "k": 0.25}}},
    }
    logistic = {
        "capital_type": "recurrent",
        "form": "logistic",
        "fits": {"logistic": {"params": {"a": 0.8, "k": 0.4, "t0": 6.0}}},
    }
    curve = brief.profile_curve(gompertz)
    assert curve(0) == pytest.approx(0.9 * math.exp(-3.0))
    assert brief.profile_curve(logistic)(6.0) == pytest.approx(0.4)
    assert brief.profile_curve({"form": "weibull", "fits": {}}) is None
    la = lag | {"profile": {"province_by_capital_type": {"groups": [gompertz, logistic]}}}
    uri = brief.chart_profiles(Brief(metrics=metrics, lag=la, lang="en"))
    assert uri.startswith("data:image/png;base64,")
    assert brief.chart_profiles(Brief(metrics=metrics, lag=lag, lang="en")) is None


def test_notebook_parameters_are_the_documented_ones():
    params = papermill.inspect_notebook(str(NOTEBOOKS_DIR / "03_brief.ipynb"))
    assert list(params) == [
        "data",
        "scope",
        "lang",
        "out_dir",
        "assessment_dir",
        "lag_dir",
        "province_assessment_dir",
        "outlook_dir",
    ]
    assert all(p["inferred_type_name"] == "str" and p["help"] for p in params.values())


def test_published_brief_carries_no_path_of_the_machine(tmp_path, metrics, lag):
    """Parameters, data origin and inputs given as absolute paths under a temporary folder:
    the page shows them relative to the project or by their name only."""
    machine = tmp_path / "home" / "officer-nguyen" / "mtqg-private"
    workbook = machine / "inputs" / "ntp1719-workbook.xlsx"
    metrics["data_origin"] = str(workbook)
    lag["data_origin"] = str(workbook)
    base = _scope_dirs(machine / "outputs", "province", metrics, lag)
    b = brief.load_brief(
        data=str(workbook.parent),
        scope="province",
        lang="en",
        out_dir=str(base / "brief"),
        assessment_dir=str(base / "assessment"),
        lag_dir=str(base / "lag"),
        province_assessment_dir=str(base / "assessment"),
    )
    html = brief.render_html(b)
    text = re.sub(r'src="data:[^"]*"', "", html)
    assert str(tmp_path) not in text and str(tmp_path.resolve()) not in text
    for part in machine.resolve().parts[1:]:  # every folder above the data and outputs
        assert part not in text, part
    # what is shown instead: the names (the folders are not under the project)
    assert "ntp1719-workbook.xlsx" in text
    assert "out_dir=&#39;brief&#39;" in text and "data=&#39;inputs&#39;" in text


def test_cli_index_of_a_missing_folder_is_an_error(tmp_path, capsys):
    missing = tmp_path / "nonexistent"
    assert brief.main(["index", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such folder" in err and str(missing) in err
    assert not missing.exists()


# --------------------------------------------------------------------------- caveats
def test_lag_caveats_count_units_and_format_percentages_with_babel():
    """The lag step writes the caveats once, in the ``lag`` catalog's words: the model's groups
    are units (districts and the province level), counted, and percentages carry no space."""
    sample = Caveat.of("sample", n=812, k=26, g=11, few_clusters=True, cov_type="HC1")
    assert lag_step.text(sample, "en") == (
        "812 lines, 26 parameters, 11 units with plan lines (the districts and the province "
        "level): errors clustered by unit are unreliable with so few units; line-level robust "
        "(HC1) errors are used and the one clustered by unit is shown for comparison."
    )
    assert lag_step.text(sample, "vi").startswith(
        "812 dòng, 26 tham số, 11 đơn vị có dòng kế hoạch (các huyện và cấp tỉnh): "
    )
    mixed = Caveat.of("mixedlm", units=11)
    assert "with only 11 units its variance is poorly estimated" in lag_step.text(mixed, "en")
    assert "với chỉ 11 đơn vị, phương sai" in lag_step.text(mixed, "vi")
    below = Caveat.of("profile_below_90", asymptote=0.856, threshold=0.9)
    assert "levels off at 86% of the capital, so it never reaches 90%:" in lag_step.text(
        below, "en"
    )
    assert "chững lại ở mức 86% số vốn nên không đạt 90%:" in lag_step.text(below, "vi")
    outside = Caveat.of("outside_support", share=0.394)
    assert "(39% of the capital)" in lag_step.text(outside, "en")
    capped = Caveat.of("over_disbursed", n=2, cap=1.0)
    assert lag_step.text(capped, "vi").endswith("tối đa 100%.")
    for msg in (sample, mixed, below, outside, capped):
        for lang in ("vi", "en"):
            text = lag_step.text(msg, lang)
            assert not re.search(r"\d[ \u202f\u00a0]%", text), text
            assert "about ten" not in text and "mười" not in text


def test_brief_shows_the_lag_caveats_as_written(metrics, lag):
    """One wording: the brief shows each caveat of ``lag.json`` once, as the lag step wrote it."""
    la = copy.deepcopy(lag)
    written = lag_step.render([Caveat.of("mixedlm", units=11), Caveat.of("mixedlm", units=11)])
    la["caveats"] = written
    for lang in ("vi", "en"):
        html = brief.render_html(Brief(metrics=metrics, lag=la, lang=lang))
        method = re.search(r'<section id="method".*?</section>', html, re.S).group(0)
        shown = written[0][lang].replace("'", "&#39;")
        assert method.count(shown) == 1, lang
    for lang in ("vi", "en"):
        assert not [k for k in _catalog(lang, "brief") if k.startswith("brief.cv_")]


def test_capital_type_caption_names_the_cut_offs_the_chart_draws(metrics, lag, monkeypatch):
    drawn = []

    def keep(fig):
        drawn.append([t.get_text() for t in fig.axes[0].get_legend().get_texts()])
        return "data:image/png;base64,AAAA"

    monkeypatch.setattr(brief.charts, "png_data_uri", keep)
    for lang, three in (("vi", "ba mốc"), ("en", "three cut-offs")):
        drawn.clear()
        b = Brief(metrics=metrics, lag=lag, lang=lang)
        brief.charts.chart_capital_types(b)
        (labels,) = drawn
        html = str(brief.capital_section(b).html)
        caption = re.search(r'<figure id="fig-types">.*?<figcaption>(.*?)</figcaption>', html, re.S)
        assert three not in caption.group(1)
        assert len(labels) == 2  # at the deadline, at the last report
        for label in labels:
            assert label[1:] in caption.group(1), (label, caption.group(1))


def _no_lines_district() -> tuple[dict, dict, list]:
    """A district with no plan lines, and the province's ranking (where it is not ranked)."""
    m = _load("metrics_district.json")
    zero = dict.fromkeys(
        ("allocated_mvnd", "disbursed_mvnd", "disbursed_dec31_mvnd", "disbursed_deadline_mvnd"),
        0.0,
    )
    m.update(zero, by_capital_type={}, by_source={}, years_with_allocation=[])
    m.update(district_rank=None, median_months_to_50=None, carried_over_mvnd=0.0)
    m.update(dict.fromkeys(("execution_rate_dec31", "execution_rate_deadline"), None))
    m["by_year"] = [
        {
            "plan_year": y,
            "allocated_mvnd": 0.0,
            "disbursed_dec31_mvnd": 0.0,
            "disbursed_deadline_mvnd": 0.0,
            "disbursed_last_mvnd": 0.0,
            "execution_rate_dec31": None,
            "execution_rate_deadline": None,
            "execution_rate_last": None,
            "status": "no_allocation",
        }
        for y in m["years"]
    ]
    m.update(scope="050", unit_code="050", scope_name_vi="Huyện Trống", scope_name_en="Empty")
    la = _load("lag_district_few.json") | {"scope": "050", "n_lines": 0}
    la["timing_effect_pp_per_month"] = {"estimate": None, "ci_low": None, "ci_high": None}
    la["counterfactual"] = {"date": "01-31", "gain_mvnd": None, "ci_low": None, "ci_high": None}
    curve = {
        "capital_type": "investment",
        "form": "logistic",
        "fits": {"logistic": {"params": {"a": 0.8, "k": 0.4, "t0": 6.0}}},
    }
    la["profile"] = {"province_by_capital_type": {"groups": [curve]}}
    province = _load("metrics_province.json")
    return m, la, brief.district_ranking(M(m), M(province))


@pytest.mark.parametrize(
    ("lang", "sentence"),
    [
        ("vi", "Huyện Trống không có dòng kế hoạch nào trong giai đoạn 2021–2025"),
        ("en", "Empty had no plan lines in 2021–2025"),
    ],
)
def test_unit_without_plan_lines_says_so_without_charts_or_tables(lang, sentence):
    m, la, ranking = _no_lines_district()
    html = brief.render_html(Brief(metrics=m, lag=la, lang=lang, ranking=ranking))
    for sid in ("capital", "timing", "ranking"):
        part = re.search(rf'<section id="{sid}".*?</section>', html, re.S).group(0)
        assert "<img" not in part and "<table" not in part, sid
        paragraphs = re.findall(r"<p>(.*?)</p>", part, re.S)
        assert len(paragraphs) == 1 and paragraphs[0].startswith(sentence), sid
        assert "too few" not in part.lower() and "không đủ số liệu" not in part.lower()
    assert html.count(sentence) == 3


def test_too_few_data_to_compare_comes_without_chart_or_table(metrics, lag):
    """A district brief whose district is not in the ranking says so, and draws nothing."""
    m = _load("metrics_district.json") | {"district_rank": None}
    province = _load("metrics_province.json")
    province["district_ranking"] = [
        r for r in province["district_ranking"] if r["unit_code"] != "049"
    ]
    b = Brief(
        metrics=m,
        lag=_load("lag_district_few.json"),
        lang="en",
        ranking=brief.district_ranking(M(m), M(province)),
    )
    part = str(brief.ranking_section(b).html)
    assert "There are not enough data to compare districts." in part
    assert "<img" not in part and "<table" not in part


def test_numbers_keep_their_percent_sign_and_unit(rendered):
    """No breakable space before a percent sign in the page, and number cells and key figures
    do not wrap, so "71,4%" or "6.090.479 triệu đồng" never breaks across lines."""
    css = (brief.TEMPLATES_DIR / "brief.css").read_text()
    assert re.search(r"td\.num[^{]*\{[^}]*white-space:\s*nowrap", css)
    assert re.search(r"\.kf-value\s*\{[^}]*white-space:\s*nowrap", css)
    for lang, html in rendered.items():
        body = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
        assert not re.search(r"\d[ \t\r\n]+%", body), lang
        assert re.search(r'class="kf-value">\d+(?:[.,]\d+)?%<', body), lang
