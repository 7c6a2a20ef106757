"""A new unit's brief (a commune-level unit created on 1 July 2025) read in headless Chromium.

The three notebooks run for real for the province (its assessment: the district comparison a
unit's brief shows) and for Phường Thục Phán (N01273, formed from communes of two former
districts), then the brief in Vietnamese and English is opened from disk in the Debian
``chromium`` (never a downloaded browser), offline, and printed on A4 the way the province
brief is (:func:`test_brief_browser._pdf_pages`). A unit's brief is short: at most
:data:`MAX_UNIT_PAGES` pages; on paper no table is wider than the text (none needs a
sideways scroll there), and its own sections are there: the former communes, the former
districts' context and the locator map.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.report import brief
from test_brief_browser import (  # noqa: F401 - fixtures, used by name
    Visit,
    _papermill,
    _pdf_pages,
    browser,
    checks_dir,
    outputs_before,
)

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("brief_browser")]

UNIT = "N01273"
MAX_UNIT_PAGES = 6
"""A new unit's brief (its record, its districts' context, the comparison, the lag summary,
the proposals on a new page) printed on 6 A4 pages in vi and 5 in en when this check was
written (about 4.3 pages of content: tables and figures kept whole leave gaps)."""


@pytest.fixture(scope="module")
def unit_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("unit-run")
    for scope in ("province", UNIT):
        base = root / brief.scope_slug(scope)
        _papermill("01_assessment.ipynb", root / f"01-{scope}.ipynb", scope=scope,
                   out_dir=str(base / "assessment"))  # fmt: skip
    base = root / UNIT
    _papermill(
        "02_disbursement_lag.ipynb", root / "02.ipynb", scope=UNIT, out_dir=str(base / "lag")
    )
    for lang in ("vi", "en"):
        _papermill(
            "03_brief.ipynb", root / f"03-{lang}.ipynb", scope=UNIT, lang=lang,
            out_dir=str(base / "brief"), assessment_dir=str(base / "assessment"),
            lag_dir=str(base / "lag"),
            province_assessment_dir=str(root / "province" / "assessment"),
        )  # fmt: skip
    return root


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_new_units_brief_reads_and_prints(unit_root, browser, checks_dir, lang):  # noqa: F811
    html = unit_root / UNIT / "brief" / f"brief.{lang}.html"
    visit = Visit(browser, html)
    page = visit.page
    try:
        visit.assert_offline_and_clean()
        for part in ("#table-formers", "#table-district-context", "#fig-locator img"):
            assert page.locator(part).count() == 1, part
        images = page.eval_on_selector_all(
            "img", "els => els.map(e => [e.complete, e.naturalWidth])"
        )
        assert images and all(done and width > 0 for done, width in images), images
        assert page.locator("h1 .demo-badge").is_visible()
        # the former communes' table lists every commune of the unit, with its former district
        rows = page.locator("#table-formers tbody tr").count()
        assert rows >= 2
        page.emulate_media(media="print")
        overflow = page.eval_on_selector_all(
            "table",
            "els => els.filter(t => t.scrollWidth > t.parentElement.clientWidth + 1)"
            ".map(t => t.id || t.className)",
        )
        assert not overflow, f"tables wider than the printed text: {overflow}"
        pdf = checks_dir / f"print-{UNIT}-{lang}.pdf"
        pages = _pdf_pages(page, pdf)
        print(f"{UNIT} brief ({lang}): {pages} A4 pages")
        assert 2 <= pages <= MAX_UNIT_PAGES, f"{pdf}: {pages} pages"
        visit.assert_offline_and_clean()
    finally:
        visit.close()
