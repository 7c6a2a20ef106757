"""The brief of a unit created on 1 July 2025, and the maps of the province and district briefs
(from the fixture metrics.json of tests/fixtures/brief/)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from helpers.report import brief
from helpers.report.brief import Brief

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "brief"


def _load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _text(html: str) -> str:
    html = re.sub(r'src="data:[^"]+"', "", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'")


@pytest.fixture(scope="module")
def new_unit() -> dict[str, tuple[Brief, str]]:
    m, la = _load("metrics_new_unit.json"), _load("lag_district_few.json")
    out = {}
    for lang in ("vi", "en"):
        b = Brief(metrics=m, lag=la, lang=lang)
        out[lang] = (b, brief.render_html(b))
    return out


def test_title_names_the_unit_its_creation_date_and_resolution(new_unit):
    assert (
        new_unit["vi"][0]
        .title()
        .endswith("Phường Thục Phán, thành lập ngày 01/07/2025 (Nghị quyết 1657/NQ-UBTVQH15)")
    )
    assert (
        new_unit["en"][0]
        .title()
        .endswith("Thuc Phan ward, created on 1 Jul 2025 (Resolution 1657/NQ-UBTVQH15)")
    )


def test_former_units_table_and_district_context(new_unit):
    text = _text(new_unit["vi"][1])
    for name in ("Phường Sông Hiến", "Phường Hợp Giang", "Xã Hoàng Tung", "Xã Hưng Đạo"):
        assert name in text
    assert 'id="table-formers"' in new_unit["vi"][1]
    assert "Xã Hoàng Tung 01696 Hòa An 54" in text
    # the districts' own lines beside the record: 4 of 11 and 1 of 15 communes taken
    assert "Thành phố Cao Bằng 4 / 11 62 364.504 triệu đồng 207.873 triệu đồng 57,0%" in text
    en = _text(new_unit["en"][1])
    assert "Hoa An 1 / 15 62 VND 420,660 million VND 286,730 million 68.2%" in en


def test_apportioned_estimate_only_when_requested_and_labelled(new_unit):
    vi, en = new_unit["vi"][1], new_unit["en"][1]
    assert 'data-estimate="apportioned"' in vi and "ước tính" in _text(vi)
    assert "36,4%" in _text(vi) and "estimate" in _text(en)
    m = _load("metrics_new_unit.json")
    m["geography"] |= {"apportion": "none", "apportioned": None}
    html = brief.render_html(Brief(metrics=m, lag=_load("lag_district_few.json"), lang="en"))
    assert "data-estimate" not in html and "(estimate)" not in _text(html)


def test_pooled_rate_is_too_few_under_the_rule_else_quoted_with_its_interval(new_unit):
    assert "too few to quote a stable execution rate" in _text(new_unit["en"][1])
    assert "Số liệu quá ít" in _text(new_unit["vi"][1])
    m = _load("metrics_new_unit.json")
    me = m["geography"]["pooled"][0]
    me |= {"n_lines": 40, "few": False, "ci_low": 0.55, "ci_high": 0.68}
    html = brief.render_html(Brief(metrics=m, lag=_load("lag_district_few.json"), lang="en"))
    assert "76.8%" in _text(html) and "61.2% (95% interval: 55.0% to 68.0%)" in _text(html)


def test_new_unit_brief_has_a_locator_and_no_district_ranking(new_unit):
    for _, html in new_unit.values():
        assert 'id="fig-locator"' in html and 'id="ranking"' not in html
        assert 'id="geography"' in html


def test_province_brief_has_the_choropleth_in_its_ranking_section():
    m, la = _load("metrics_province.json"), _load("lag_province.json")
    for lang, legend in (("vi", "Tỷ lệ giải ngân đến hạn theo huyện cũ"),
                         ("en", "Execution rate at the deadline by former district")):  # fmt: skip
        html = brief.render_html(Brief(metrics=m, lag=la, lang=lang))
        ranking = html[html.index('<section id="ranking"') :]
        assert 'id="fig-district-map"' in ranking and legend in html
        assert 'id="geography"' not in html


def test_district_map_is_demo_marked_on_demo_data():
    from helpers.core.contracts import Metrics
    from helpers.report.brief import charts
    from helpers.report.figures import maps
    from helpers.report.figures.style import has_demo_mark

    seen = []
    original = maps.plot_district_map

    def spy(*args, **kw):
        fig = original(*args, **kw)
        seen.append(has_demo_mark(fig))
        return fig

    m, la = _load("metrics_province.json"), _load("lag_province.json")
    maps.plot_district_map, saved = spy, maps.plot_district_map
    try:
        charts.chart_district_map(Brief(metrics=Metrics.parse(m), lag=la, lang="en"))
        charts.chart_district_map(Brief(metrics=m | {"demo": False}, lag=la | {"demo": False}))
    finally:
        maps.plot_district_map = saved
    assert seen == [True, False]


def test_district_brief_gets_a_locator_of_itself():
    m = _load("metrics_district.json")
    m["geography"] = {
        "kind": "district",
        "districts": [
            {
                "unit_code": m["unit_code"],
                "name_vi": m["scope_name_vi"],
                "name_en": m["scope_name_en"],
                "communes_taken": 19,
                "communes_total": 19,
                "home": True,
            }
        ],  # fmt: skip
    }
    html = brief.render_html(Brief(metrics=m, lag=_load("lag_district_few.json"), lang="vi"))
    assert 'id="fig-locator"' in html and 'id="ranking"' in html


# --------------------------------------------------------------------------- slow
@pytest.mark.slow
def test_new_unit_through_the_assessment_notebook_and_the_brief(tmp_path):
    """N01273 of the demo: the assessment notebook with ``apportion``, the lag step, then the
    brief in vi and en from their results (the locator drawn by the assessment reused in vi)."""
    import papermill as pm

    from helpers.core.paths import NOTEBOOKS_DIR
    from helpers.steps import lag as lag_step

    base = tmp_path / "N01273"
    pm.execute_notebook(
        str(NOTEBOOKS_DIR / "01_assessment.ipynb"),
        str(tmp_path / "out.ipynb"),
        parameters={
            "scope": "N01273",
            "apportion": "communes",
            "lang": "vi",
            "out_dir": str(base / "assessment"),
        },  # fmt: skip
        kernel_name="python3",
        cwd=str(tmp_path),
        progress_bar=False,
    )
    metrics = json.loads((base / "assessment" / "metrics.json").read_text(encoding="utf-8"))
    geo = metrics["geography"]
    assert geo["kind"] == "new_unit" and geo["apportion"] == "communes"
    assert [d["unit_code"] for d in geo["districts"]] == ["040", "051"]
    assert all(r["estimate"] for r in geo["apportioned"])
    assert "locator.png" in metrics["figures"]
    run = lag_step.check_parameters("demo", "N01273", "01-31", "vi", base / "lag")
    run.write_json()
    lag = json.loads((base / "lag" / "lag.json").read_text(encoding="utf-8"))
    # a commune's curves have no bands: it says so, and not that its bands are wide
    caveats = {c["id"] for c in lag["caveats"]}
    assert "no_bands_commune" in caveats and "small_groups" not in caveats
    for lang in ("vi", "en"):
        b = brief.load_brief(
            scope="N01273", lang=lang, assessment_dir=base / "assessment",
            lag_dir=base / "lag", out_dir=base / "brief",
        )  # fmt: skip
        html = brief.render_html(b)
        assert 'id="fig-locator"' in html and 'id="table-formers"' in html
        assert "1657/NQ-UBTVQH15" in b.title()
