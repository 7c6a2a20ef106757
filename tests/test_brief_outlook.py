"""The brief's section "2026–2030: what the next period needs", rendered from hand-made
``outlook.json`` values (fast: no kernel, no browser; the browser check is in
test_brief_browser.py). The numbers the section prints are computed here from those values."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from helpers.core.contracts import Outlook
from helpers.core.formatting import bvnd, number, percent
from helpers.report import brief
from helpers.report.brief import Brief, BriefInputError

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "brief"
YEARS = [2026, 2027, 2028, 2029, 2030]


def _load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def band(mean: float, low: float, high: float) -> dict:
    return {"mean": mean, "low": low, "high": high}


def outlook(unit: str = "04", evidence: str = "ok", **over) -> dict:
    """VND 1,000 billion planned a year (investment 700, recurrent 300) under the assumption;
    over five years 5,000: by the deadlines 3,600 as in 2023-2025, 4,100 by 31 January
    (gain 500, interval 400 to 600), at risk of lapse 800 (700 to 900); in million VND."""
    scenarios = [
        {"id": "observed", "kind": "observed", "date": None, "decision_month": {}, "estimable": {}},
        {"id": "01-31", "kind": "date", "date": "01-31", "decision_month": {}, "estimable": {}},
        {"id": "prev-11-30", "kind": "date", "date": "prev-11-30", "decision_month": {}, "estimable": {}},
    ]  # fmt: skip
    totals = [
        {
            "scenario": "observed",
            "status": "projected",
            "allocated_mvnd": 5_000_000.0,
            "disbursed_deadline": band(3_600_000.0, 3_500_000.0, 3_700_000.0),
            "carried_over": band(1_400_000.0, 1_300_000.0, 1_500_000.0),
            "at_risk_of_lapse": band(800_000.0, 700_000.0, 900_000.0),
        },
        {
            "scenario": "01-31",
            "status": "projected",
            "allocated_mvnd": 5_000_000.0,
            "disbursed_deadline": band(4_100_000.0, 4_000_000.0, 4_200_000.0),
            "carried_over": band(900_000.0, 800_000.0, 1_000_000.0),
            "at_risk_of_lapse": band(500_000.0, 400_000.0, 600_000.0),
            "gain_vs_observed_deadline": band(500_000.0, 400_000.0, 600_000.0),
        },
        {"scenario": "prev-11-30", "status": "incomplete"},
    ]
    out = {
        "scope": "province" if unit == "04" else unit,
        "unit_code": unit,
        "scope_name_vi": "Cao Bằng",
        "scope_name_en": "Cao Bang",
        "level": "province" if unit == "04" else "commune",
        "demo": True,
        "data_sha256": "0" * 64,
        "years": YEARS,
        "evidence": evidence,
        "n_lines_history": 842 if evidence == "ok" else 9,
        "min_lines": 30,
        "plan_basis": "assumption",
        "assumption": {
            "national_central_2021_2025_mvnd": 104_954_000.0,
            "province_share": 0.0553,
            "scope_share_of_province": 1.0 if unit == "04" else 0.024,
            "national_central_2026_2030_mvnd": {
                "investment": 70_000_000.0,
                "recurrent": 30_000_000.0,
            },
            "local_ratio": 0.05,
            "source_ids": ["na_merged_program_2025", "nq_120_2020"],
        },
        "plan_by_year": [
            {"plan_year": y, "capital_type": c, "amount_mvnd": a}
            for y in YEARS
            for c, a in (("investment", 700_000.0), ("recurrent", 300_000.0))
        ],
        "flags": {"plan_assumed": True},
        "scenarios": scenarios,
        "cells": [],
        "totals": totals if evidence == "ok" else [],
        "cumulative": [],
        "indicators": [
            {
                "indicator_code": "extremely_difficult_units",
                "name_vi": "Số xã, thôn đặc biệt khó khăn",
                "name_en": "extremely difficult communes and villages",
                "unit": "communes and villages",
                "direction": "lower_better",
                "baseline_value": 40.0,
                "latest_value": 25.0,
                "latest_year": 2025,
                "target_2030": 0.0,
                "target_2030_basis": "published",
                "target_2030_source_id": "na_merged_program_2025",
                "pace_per_year": -3.0,
                "pace_needed_per_year": -5.0,
                "value_2030": band(10.0, 4.0, 16.0),
                "status": "off_track",
            }
        ],
        "n_sims": 1000,
        "seed": 0,
    }
    return out | over


def section_text(b: Brief) -> str:
    html = str(brief.outlook_section(b).html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_province_section_cites_its_numbers(lang):
    b = Brief(
        metrics=_load("metrics_province.json"),
        lag=_load("lag_province.json"),
        lang=lang,
        outlook=outlook(),
    )
    text = section_text(b)
    heading = {"vi": "Giai đoạn 2026–2030: những gì cần cho giai đoạn tới", "en": "2026–2030: what the next period needs"}  # fmt: skip
    assert heading[lang] in text
    assert "DEMO" in text
    # the assumption: its share, the national envelopes and the sources
    assert percent(0.0553, lang, 2) in text
    assert bvnd(104_954_000, lang, 0) in text and bvnd(70_000_000, lang, 0) in text
    assert "na_merged_program_2025" in text and "nq_120_2020" in text
    # the gain of assigning by 31 January and its interval (prose: two significant figures)
    assert bvnd(500_000.0, lang, 0) in text
    assert bvnd(400_000.0, lang, 0) in text and bvnd(600_000.0, lang, 0) in text
    # at risk of lapse: 800 of 5,000 billion = 16 %
    assert bvnd(800_000.0, lang, 0) in text and percent(0.16, lang, 0) in text
    # the table in billion VND: 3,600 (3,500-3,700) by the deadlines as in 2023-2025
    assert f"{number(3600, lang)} ({number(3500, lang)}–{number(3700, lang)})" in text
    # the scenario outside the data's support is "not estimable", in the table
    assert {"vi": "không ước lượng được", "en": "not estimable"}[lang] in text
    # the off-track indicator with the pace it needs and its current pace
    assert number(-5.0, lang, 1) in text and number(-3.0, lang, 1) in text
    html = brief.render_html(b)
    assert '<section id="outlook"' in html
    assert html.index('id="outlook"') < html.index('id="proposals"')
    assert "{" not in text


def test_every_outlook_proposal_has_a_number_in_its_basis():
    b = Brief(
        metrics=_load("metrics_province.json"),
        lag=_load("lag_province.json"),
        lang="en",
        outlook=outlook(),
    )
    items = re.findall(
        r'<li data-finding="(outlook-[^"]+)">(.*?)</li>', str(brief.outlook_section(b).html), re.S
    )
    assert [k for k, _ in items] == ["outlook-gain-01-31", "outlook-lapse", "outlook-indicators"]
    for _, body in items:
        basis = body.split("proposal-basis", 1)[1]
        assert re.search(r"\d", basis), body


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_new_unit_with_thin_evidence_says_so(lang):
    b = Brief(
        metrics=_load("metrics_new_unit.json"),
        lag=_load("lag_province.json") | {"scope": "N01273"},
        lang=lang,
        outlook=outlook("N01273", "thin", indicators=[]),
    )
    text = section_text(b)
    assert number(9, lang) in text and number(30, lang) in text
    assert percent(0.024, lang, 1) in text  # the unit's share of the province's capital
    assert "outlook-totals" not in str(brief.outlook_section(b).html)
    assert {"vi": "quá ít", "en": "too few"}[lang] in text


def test_no_outlook_no_section():
    b = Brief(metrics=_load("metrics_province.json"), lag=_load("lag_province.json"), lang="vi")
    assert str(brief.outlook_section(b).html) == ""
    assert 'id="outlook"' not in brief.render_html(b)


def test_load_brief_reads_the_outlook_folder_and_checks_its_scope(tmp_path):
    base = tmp_path / "province"
    for step, name, obj in (
        ("assessment", "metrics.json", _load("metrics_province.json")),
        ("lag", "lag.json", _load("lag_province.json")),
        ("outlook", "outlook.json", outlook()),
    ):
        (base / step).mkdir(parents=True)
        (base / step / name).write_text(json.dumps(obj, ensure_ascii=False), encoding="utf-8")
    b = brief.load_brief(scope="province", lang="en", outputs_dir=tmp_path)
    assert isinstance(b.outlook, Outlook) and "outlook" in b.inputs
    (base / "outlook" / "outlook.json").write_text(json.dumps(outlook("N01273")), encoding="utf-8")
    with pytest.raises(BriefInputError, match="N01273"):
        brief.load_brief(scope="province", lang="en", outputs_dir=tmp_path)


def test_the_brief_draws_the_fan_chart_in_its_language_when_the_notebook_did_not():
    cumulative = [
        {
            "scenario": s,
            "plan_year": y,
            "allocated_cum_mvnd": 1_000_000.0 * (i + 1),
            "quantiles": [
                v * (i + 1) for v in (700_000.0, 720_000.0, 750_000.0, 780_000.0, 800_000.0)
            ],
        }
        for s in ("observed", "01-31")
        for i, y in enumerate(YEARS)
    ]
    out = outlook(cumulative=cumulative, fan_quantiles=[0.025, 0.1, 0.5, 0.9, 0.975])
    out["parameters"] = {"lang": "vi"}
    out["figures"] = ["outlook_fan.png"]  # drawn in Vietnamese, not in the folder here
    b = Brief(
        metrics=_load("metrics_province.json"),
        lag=_load("lag_province.json"),
        lang="en",
        outlook=out,
    )
    html = str(brief.outlook_section(b).html)
    assert html.count('<img src="data:image/png;base64,') == 1
    assert 'id="fig-outlook-fan"' in html and "Cumulative disbursement by the deadlines" in html
