"""``mtqg run --pdf`` on a small scope set, every format read back, and the technical annex
and the PDF checked in Chromium with every request recorded (none may leave the disk).

Slow: it runs the real notebooks (province and one former district, both languages) and
Debian's ``/usr/bin/chromium`` through Playwright.
"""

from __future__ import annotations

import io
import json
import re
from urllib.parse import unquote, urlparse

import docx
import openpyxl
import pytest
from lxml import html as lxml_html
from playwright.sync_api import sync_playwright
from pypdf import PdfReader
from rich.console import Console

from helpers.report.formats import pdf as pdf_format
from helpers.run import batch
from helpers.run.options import RunOptions
from workbook_numbers import json_numbers, stray

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("formats_browser")]

SCOPES = ("province", "043")
LANGS = ("vi", "en")
MAX_PAGES = 7
"""The issue's bound for the demo province brief (6 in English, 5 in Vietnamese today; the
outlook section will add up to a page)."""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One ``mtqg run --pdf`` of the province and district 043, both languages."""
    out = tmp_path_factory.mktemp("formats-run")
    buf = io.StringIO()
    opts = RunOptions(data="demo", scopes=SCOPES, out=out, jobs=2, pdf=True)
    report = batch.run_batch(opts, console=Console(file=buf, width=200))
    assert report.exit_code == 0, buf.getvalue()
    return out, report, buf.getvalue()


def test_the_run_writes_every_format_of_every_scope_and_language(run):
    out, report, _ = run
    states = report.states()
    for scope in SCOPES:
        assert (out / scope / "annex" / "01_assessment.html").is_file()
        assert (out / scope / "annex" / "02_disbursement_lag.html").is_file()
        for lang in LANGS:
            for rel in (
                f"brief/brief.{lang}.html",
                f"document/brief.{lang}.docx",
                f"workbook/tables.{lang}.xlsx",
                f"pdf/brief.{lang}.pdf",
                f"annex/03_brief.{lang}.html",
            ):
                assert (out / scope / rel).is_file(), rel
            for step in ("workbook", "document", "pdf", "annex_brief"):
                assert states[f"{scope}/{step}.{lang}"] == "ran"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    record = manifest["scopes"]["province"]["steps"]["workbook.vi"]
    assert record["notebook"] == "helpers.steps.formats:workbook"
    assert record["last_success"]["fingerprint"]


def test_the_index_links_every_format(run):
    out, _, _ = run
    tree = lxml_html.fromstring((out / "index.html").read_text(encoding="utf-8"))
    for scope in SCOPES:
        row = tree.xpath(f"//tr[@data-slug='{scope}']")[0]
        hrefs = row.xpath(".//a[@class='format']/@href")
        for lang in LANGS:
            for rel in (
                f"{scope}/document/brief.{lang}.docx",
                f"{scope}/workbook/tables.{lang}.xlsx",
                f"{scope}/pdf/brief.{lang}.pdf",
                f"{scope}/annex/03_brief.{lang}.html",
            ):
                assert rel in hrefs, rel
        assert f"{scope}/annex/01_assessment.html" in hrefs
        assert f"{scope}/annex/04_outlook.html" in hrefs
        assert all((out / unquote(h)).is_file() for h in hrefs)


@pytest.mark.parametrize("scope", SCOPES)
def test_the_workbook_of_the_run_holds_the_numbers_of_its_json(run, scope):
    out, _, _ = run
    metrics = json.loads((out / scope / "assessment" / "metrics.json").read_text())
    lag = json.loads((out / scope / "lag" / "lag.json").read_text())
    outlook = json.loads((out / scope / "outlook" / "outlook.json").read_text())
    in_json = set(json_numbers(metrics)) | set(json_numbers(lag)) | set(json_numbers(outlook))
    for lang in LANGS:
        wb = openpyxl.load_workbook(out / scope / "workbook" / f"tables.{lang}.xlsx")
        cells = [
            c.value
            for ws in wb.worksheets[1:]
            for row in ws.iter_rows()
            for c in row
            if isinstance(c.value, int | float) and not isinstance(c.value, bool)
        ]
        assert len(cells) > 50
        assert not stray(cells, in_json)
        projects = [r for r in metrics["by_project"] if r["subproject_code"] is None]
        assert sum(r["allocated_mvnd"] for r in projects) == pytest.approx(
            metrics["allocated_mvnd"], abs=1
        )
        years = wb.worksheets[1]
        assert [r[1] for r in years.iter_rows(min_row=3, values_only=True)][:-1] == [
            y["allocated_mvnd"] for y in metrics["by_year"]
        ]


@pytest.mark.parametrize("lang", LANGS)
def test_the_document_of_the_run_reads_back(run, lang):
    out, _, _ = run
    page = (out / "province" / "brief" / f"brief.{lang}.html").read_text(encoding="utf-8")
    tree = lxml_html.fromstring(page)
    doc = docx.Document(str(out / "province" / "document" / f"brief.{lang}.docx"))
    headings = [
        p.text.replace("DEMO – ", "DEMO")
        for p in doc.paragraphs
        if p.style.name == "Title" or p.style.name.startswith("Heading")
    ]
    assert headings == [" ".join(h.text_content().split()) for h in tree.iter("h1", "h2", "h3")]
    assert len(doc.inline_shapes) == len(tree.findall(".//img"))
    assert all("DEMO" in s.header.paragraphs[0].text for s in doc.sections)


@pytest.mark.parametrize("lang", LANGS)
def test_the_province_pdf_is_a4_numbered_with_demo_on_every_page(run, lang):
    out, _, _ = run
    reader = PdfReader(str(out / "province" / "pdf" / f"brief.{lang}.pdf"))
    pages = len(reader.pages)
    print(f"province brief ({lang}): {pages} A4 pages")
    assert 4 <= pages <= MAX_PAGES
    word = "Trang" if lang == "vi" else "Page"
    for i, page in enumerate(reader.pages, start=1):
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(width - 595) < 2 and abs(height - 842) < 2  # A4 in points
        text = page.extract_text()
        assert "DEMO" in text, f"page {i}"
        assert re.search(rf"{word} {i} / {pages}", text), f"page {i}: no page number"


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=str(pdf_format.CHROMIUM), args=pdf_format.CHROMIUM_ARGS, headless=True
        )
        yield b
        b.close()


@pytest.mark.parametrize(
    "page_name", ["01_assessment.html", "02_disbursement_lag.html", "03_brief.en.html"]
)
def test_the_annex_opens_offline_in_chromium(run, browser, page_name):
    out, _, _ = run
    requests: list[str] = []
    problems: list[str] = []
    context = browser.new_context()
    context.route(lambda url: not url.startswith(("file:", "data:")), lambda r: r.abort())
    page = context.new_page()
    page.on("request", lambda r: requests.append(r.url))
    page.on("requestfailed", lambda r: problems.append(f"{r.url}: {r.failure}"))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    try:
        page.goto((out / "province" / "annex" / page_name).as_uri(), wait_until="load")
        page.wait_for_load_state("networkidle")
        assert all(u.startswith(("file:", "data:")) for u in requests), requests
        assert not problems, problems
        assert page.locator("details.annex-input").count() > 3  # inputs folded
        assert not page.locator("details.annex-input").first.evaluate("d => d.open")
        images = page.eval_on_selector_all("img", "els => els.map(e => e.naturalWidth)")
        assert images and all(w > 0 for w in images)  # outputs kept, figures shown
        assert page.locator("[data-demo='annex']").is_visible()
        if page_name == "01_assessment.html":
            assert "injected-parameters" in page.content()  # papermill's parameters are there
    finally:
        context.close()


def test_the_pdf_is_printed_without_a_network_request(run, browser):
    out, _, _ = run
    requests: list[str] = []
    page = out / "043" / "brief" / "brief.vi.html"
    data = pdf_format.print_pdf(page, "vi", True, requests, chromium=browser)
    assert data.startswith(b"%PDF")
    assert requests and all(urlparse(u).scheme in ("file", "data") for u in requests), requests


def test_a_run_without_pdf_skips_everything_and_keeps_the_pdfs_listed(run):
    out, _, _ = run
    buf = io.StringIO()
    report = batch.run_batch(
        RunOptions(data="demo", scopes=SCOPES, out=out, jobs=2),
        console=Console(file=buf, width=200),
    )
    assert report.exit_code == 0
    assert set(report.states().values()) == {"skipped"}
    hrefs = lxml_html.fromstring((out / "index.html").read_text()).xpath(
        "//a[@class='format']/@href"
    )
    assert "province/pdf/brief.vi.pdf" in hrefs
