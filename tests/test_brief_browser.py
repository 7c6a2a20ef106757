"""Briefs checked as a reader would: rendered from the demo, opened in headless Chromium.

The notebooks run for real (01_assessment, 02_disbursement_lag, then 03_brief, through
papermill, into a temporary folder) for the province (Vietnamese) and one district (English).
Each brief is opened from disk in the Debian ``chromium`` driven by Playwright (never a
downloaded browser): every request is recorded and anything that is not ``file:``/``data:`` is
blocked and reported; there must be no failed request, no console error, every image must have
loaded, the key-figures panel must show the totals of ``metrics.json`` formatted for the
language, and the DEMO mark must be visible, on screen and in print. A screenshot and an A4 PDF
of each brief are written to a temporary folder (``browser-checks*`` under pytest's base
temporary folder, printed by the test) for a person to look at; nothing is written under
``outputs/``.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import papermill
import pytest
from playwright.sync_api import sync_playwright

from helpers.core.formatting import mvnd, number, percent
from helpers.core.paths import NOTEBOOKS_DIR, OUTPUTS_DIR
from helpers.report import brief
from helpers.report.formats.pdf import CHROMIUM, CHROMIUM_ARGS

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("brief_browser")]

DISTRICT = "043"
PRINT_FOOTER = (
    '<div style="width:100%;font-size:8pt;text-align:center;color:#525252;">'
    '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'
)
"""Page numbers on every printed page: Chromium draws no CSS @page margin boxes, so the PDF
gets them from page.pdf's footer template (brief.css says what a browser's own print shows)."""
PRINT_MARGIN = {"top": "14mm", "right": "14mm", "bottom": "16mm", "left": "14mm"}
MAX_PAGES = 7
"""Issue 14: the demo province brief prints on at most 7 A4 pages, its 2026–2030 outlook
included (the print CSS keeps long tables and notes compact)."""
PRINT_WIDTH_PX = round((210 - 14 - 14) / 25.4 * 96)
"""The printed text's width in CSS pixels: A4 less the side margins of :data:`PRINT_MARGIN`."""
PHONE = {"width": 390, "height": 844}
CASES = [("province", "vi"), (DISTRICT, "en")]
"""(scope, language) of each brief checked: the province in Vietnamese, a district in English."""


def _papermill(notebook: str, out: Path, **parameters: str) -> None:
    papermill.execute_notebook(
        str(NOTEBOOKS_DIR / notebook),
        str(out),
        parameters=parameters,
        kernel_name="python3",
        progress_bar=False,
        request_save_on_cell_execute=False,
    )


def _tree(folder: Path) -> dict[str, int]:
    """Every file under ``folder`` with its modification time (ns)."""
    return {str(p): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def outputs_before() -> dict[str, int]:
    """The user's ``outputs/`` before the browser checks (they must leave it as it was)."""
    return _tree(OUTPUTS_DIR) if OUTPUTS_DIR.is_dir() else {}


@pytest.fixture(scope="module")
def checks_dir(tmp_path_factory, outputs_before) -> Path:
    """Where the screenshots and PDFs go: a temporary folder, never under ``outputs/``."""
    folder = tmp_path_factory.mktemp("browser-checks")
    print(f"browser checks: {folder}")
    return folder


@pytest.fixture(scope="module")
def run_root(tmp_path_factory, outputs_before) -> Path:
    """Assessment, lag and brief of each case, executed with papermill like a user would."""
    root = tmp_path_factory.mktemp("brief-run")
    for scope, lang in CASES:
        slug = brief.scope_slug(scope)
        base = root / slug
        _papermill(
            "01_assessment.ipynb",
            root / f"01-{slug}.ipynb",
            scope=scope,
            lang=lang,
            out_dir=str(base / "assessment"),
        )
        _papermill(
            "02_disbursement_lag.ipynb",
            root / f"02-{slug}.ipynb",
            scope=scope,
            lang=lang,
            out_dir=str(base / "lag"),
        )
        _papermill(
            "04_outlook.ipynb",
            root / f"04-{slug}.ipynb",
            scope=scope,
            lang=lang,
            out_dir=str(base / "outlook"),
        )
    for scope, lang in CASES:
        slug = brief.scope_slug(scope)
        base = root / slug
        _papermill(
            "03_brief.ipynb",
            root / f"03-{slug}-{lang}.ipynb",
            data="demo",
            scope=scope,
            lang=lang,
            out_dir=str(base / "brief"),
            assessment_dir=str(base / "assessment"),
            lag_dir=str(base / "lag"),
            province_assessment_dir=str(root / "province" / "assessment"),
            outlook_dir=str(base / "outlook"),
        )
    brief.write_index(brief.collect_entries(root), root / "index.html", lang="vi")
    return root


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: the browser checks need the Debian chromium package; "
            "install it with `apt-get install -y chromium` (CI does this in .ci/run)"
        )
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


class Visit:
    """A page opened from disk with every request, failure and console message recorded."""

    def __init__(self, browser, path: Path) -> None:
        self.requests: list[str] = []
        self.blocked: list[str] = []
        self.failed: list[str] = []
        self.console: list[str] = []
        self.context = browser.new_context(viewport={"width": 1100, "height": 1400})
        self.context.route(lambda url: not url.startswith(("file:", "data:")), self._block)
        self.page = self.context.new_page()
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.url}: {r.failure}"))
        self.page.on(
            "console",
            lambda m: (
                self.console.append(f"{m.type}: {m.text}")
                if m.type in ("error", "warning")
                else None
            ),
        )
        self.page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
        self.page.goto(path.as_uri(), wait_until="load")
        self.page.wait_for_load_state("networkidle")

    def _block(self, route) -> None:
        self.blocked.append(route.request.url)
        route.abort()

    def assert_offline_and_clean(self) -> None:
        assert not self.blocked, f"requests to the network: {self.blocked}"
        assert all(u.startswith(("file:", "data:")) for u in self.requests), self.requests
        assert not self.failed, f"failed requests: {self.failed}"
        assert not self.console, f"console errors: {self.console}"

    def close(self) -> None:
        self.context.close()


def _expected_key_figures(metrics: dict, lang: str) -> dict[str, str]:
    """The panel's values computed here from metrics.json (not from the brief's own code)."""
    met, total = metrics["targets_met"], metrics["targets_total"]
    allocated = sum(r["allocated_mvnd"] for r in metrics["by_year"])
    assert allocated == pytest.approx(metrics["allocated_mvnd"], abs=0.01)
    return {
        "allocated": mvnd(metrics["allocated_mvnd"], lang),
        "disbursed": mvnd(metrics["disbursed_mvnd"], lang),
        "execution_rate_deadline": percent(metrics["execution_rate_deadline"], lang),
        "carried_over": mvnd(metrics["carried_over_mvnd"], lang),
        "targets_met": f"{met} / {total}" if lang == "vi" else f"{met} of {total}",
    }


@pytest.mark.parametrize(("scope", "lang"), CASES, ids=[f"{s}-{lang}" for s, lang in CASES])
def test_brief_reads_right_in_a_browser(run_root, browser, checks_dir, scope, lang):
    slug = brief.scope_slug(scope)
    html_path = run_root / slug / "brief" / f"brief.{lang}.html"
    assert html_path.is_file()
    metrics = json.loads((run_root / slug / "assessment" / "metrics.json").read_text())
    visit = Visit(browser, html_path)
    page = visit.page
    try:
        visit.assert_offline_and_clean()

        images = page.eval_on_selector_all(
            "img", "els => els.map(e => [e.complete, e.naturalWidth, e.alt])"
        )
        assert len(images) >= 3, images
        assert all(done and width > 0 for done, width, _ in images), images

        for key, value in _expected_key_figures(metrics, lang).items():
            shown = page.inner_text(f'#key-figures [data-key="{key}"] .kf-value').strip()
            assert shown == value, (key, shown, value)

        assert page.title().startswith("DEMO")
        assert page.locator("h1 .demo-badge").is_visible()
        assert page.locator('[data-demo="footer"]').is_visible()
        mark = page.locator("#demo-mark")
        box = mark.bounding_box()
        assert mark.is_visible() and box and box["width"] > 0 and box["height"] > 0

        text = page.inner_text("body")
        for needle in ("import ", "In [", "Traceback", "load_brief", "brief."):
            assert needle not in text, needle
        name = metrics[f"scope_name_{lang}"]
        assert name in page.inner_text("h1")
        if scope != "province":
            assert page.locator("#table-ranking tr.highlight").inner_text().find(name) >= 0

        png = checks_dir / f"brief-{slug}-{lang}.png"
        page.screenshot(path=str(png), full_page=True)
        page.emulate_media(media="print")
        box = mark.bounding_box()
        assert mark.is_visible() and box and box["width"] > 0, "DEMO mark hidden in print"
        pdf = checks_dir / f"brief-{slug}-{lang}.pdf"
        page.pdf(path=str(pdf), format="A4", print_background=True)
        pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
        assert pages >= 4, f"{pdf}: {pages} pages; expected a page per section"
        assert png.stat().st_size > 10_000
        shutil.copy(html_path, checks_dir / f"brief-{slug}-{lang}.html")
        visit.assert_offline_and_clean()
    finally:
        visit.close()


def test_index_links_every_brief(run_root, browser, checks_dir):
    visit = Visit(browser, run_root / "index.html")
    try:
        visit.assert_offline_and_clean()
        hrefs = visit.page.eval_on_selector_all("#index-table a", "els => els.map(e => e.href)")
        assert len(hrefs) == len(CASES)
        for href in hrefs:
            assert href.startswith("file://")
            assert Path(unquote(urlparse(href).path)).is_file(), href
        rows = visit.page.locator("#index-table tbody tr")
        assert rows.count() == len({s for s, _ in CASES})
        assert visit.page.locator(".demo-badge").is_visible()
        visit.page.screenshot(path=str(checks_dir / "index.png"), full_page=True)
    finally:
        visit.close()


def _pdf_pages(page, pdf: Path) -> int:
    """Print ``page`` to an A4 PDF with page numbers in the footer; its number of pages."""
    page.emulate_media(media="print")
    page.pdf(
        path=str(pdf),
        format="A4",
        print_background=True,
        display_header_footer=True,
        header_template="<span></span>",
        footer_template=PRINT_FOOTER,
        margin=PRINT_MARGIN,
    )
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))


def _province_brief(run_root: Path, lang: str) -> Path:
    """The province brief in ``lang``: the notebook's (vi), or rendered from the same results."""
    base = run_root / "province"
    if lang == "vi":
        return base / "brief" / "brief.vi.html"
    b = brief.load_brief(
        scope="province",
        lang=lang,
        assessment_dir=str(base / "assessment"),
        lag_dir=str(base / "lag"),
        province_assessment_dir=str(base / "assessment"),
        outlook_dir=str(base / "outlook"),
        out_dir=str(run_root / "print" / lang),
    )
    return brief.write_brief(b)["html"]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_province_brief_prints_on_at_most_eight_numbered_pages(run_root, browser, checks_dir, lang):
    visit = Visit(browser, _province_brief(run_root, lang))
    try:
        # nothing wider than the printed text: Chromium would shrink every page to fit it (a
        # smaller type, not fewer pages)
        visit.page.set_viewport_size({"width": PRINT_WIDTH_PX, "height": 1000})
        visit.page.emulate_media(media="print")
        assert visit.page.evaluate("document.documentElement.scrollWidth") <= PRINT_WIDTH_PX
        pdf = checks_dir / f"print-province-{lang}.pdf"
        pages = _pdf_pages(visit.page, pdf)
        print(f"province brief ({lang}): {pages} A4 pages")
        assert 4 <= pages <= MAX_PAGES, f"{pdf}: {pages} pages"
        visit.assert_offline_and_clean()
    finally:
        visit.close()


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_province_brief_fits_a_phone(run_root, browser, checks_dir, lang):
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        page.goto(_province_brief(run_root, lang).as_uri(), wait_until="load")
        width = page.evaluate("document.documentElement.scrollWidth")
        print(f"province brief ({lang}) on a phone: {width} px wide")
        assert width <= PHONE["width"]
        # every figure and table box stays inside the viewport (a wide table scrolls in it)
        rights = page.eval_on_selector_all(
            "figure, .table-wrap, .kf", "els => els.map(e => e.getBoundingClientRect().right)"
        )
        assert rights and max(rights) <= PHONE["width"]
        # a number never parts from its unit or percent sign
        wrapping = page.eval_on_selector_all(
            "td.num, .kf-value",
            "els => els.filter(e => getComputedStyle(e).whiteSpace !== 'nowrap').length",
        )
        assert wrapping == 0
        page.screenshot(path=str(checks_dir / f"phone-province-{lang}.png"), full_page=True)
    finally:
        context.close()


def test_browser_checks_leave_the_outputs_folder_alone(outputs_before, checks_dir):
    """Run last in this module: the screenshots and PDFs went to the temporary folder, and no
    file under ``outputs/`` was created or changed by the checks."""
    assert not checks_dir.resolve().is_relative_to(OUTPUTS_DIR.resolve())
    # what the checks run before this one wrote (xdist does not promise the order within the
    # module's group, so not which of them): screenshots, PDFs and copies of the briefs only
    written = {p.suffix for p in checks_dir.iterdir()}
    assert written and written <= {".html", ".pdf", ".png"}
    after = _tree(OUTPUTS_DIR) if OUTPUTS_DIR.is_dir() else {}
    changed = sorted(k for k, v in after.items() if outputs_before.get(k) != v)
    assert not changed, f"written under {OUTPUTS_DIR}: {changed}"


OUTLOOK_HEADINGS = {
    "vi": "Giai đoạn 2026–2030: những gì cần cho giai đoạn tới",
    "en": "2026–2030: what the next period needs",
}


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_outlook_section_reads_in_both_languages(run_root, browser, checks_dir, lang):
    """The province brief's 2026–2030 section, in Vietnamese and English: after the findings
    and before the proposals, marked DEMO, its table of scenarios with the totals of
    outlook.json, its fan chart loaded, each of its proposals citing a number."""
    outlook = json.loads((run_root / "province" / "outlook" / "outlook.json").read_text())
    visit = Visit(browser, _province_brief(run_root, lang))
    page = visit.page
    try:
        visit.assert_offline_and_clean()
        section = page.locator("section#outlook")
        assert section.is_visible()
        assert section.locator("h2").inner_text().endswith(OUTLOOK_HEADINGS[lang])
        assert section.locator('[data-demo="outlook"]').is_visible()
        order = page.eval_on_selector_all("section", "els => els.map(e => e.id)")
        assert order.index("timing") < order.index("outlook") < order.index("proposals")
        rows = section.locator("#outlook-totals tbody tr")
        assert rows.count() == len(outlook["totals"]) == 3
        observed = next(t for t in outlook["totals"] if t["scenario"] == "observed")
        shown = rows.nth(0).locator("td").nth(2).inner_text()
        assert shown.startswith(number(observed["disbursed_deadline"]["mean"] / 1000, lang, 0))
        # the fan chart: the notebook's PNG in its language, drawn by the brief in the other
        img = section.locator("img")
        assert img.count() == 1
        assert img.evaluate("e => e.complete && e.naturalWidth > 0")
        bases = section.locator(".outlook-proposals .proposal-basis").all_inner_texts()
        assert len(bases) >= 2 and all(re.search(r"\d", b) for b in bases), bases
        text = section.inner_text()
        assert "{" not in text and "}" not in text
        assert ("giả định" if lang == "vi" else "assumption") in text
        section.screenshot(path=str(checks_dir / f"outlook-province-{lang}.png"))
    finally:
        visit.close()


def test_a_former_district_brief_says_the_outlook_is_for_the_new_units(run_root, browser):
    visit = Visit(browser, run_root / DISTRICT / "brief" / "brief.en.html")
    try:
        visit.assert_offline_and_clean()
        text = visit.page.locator("section#outlook").inner_text()
        assert "no longer an administrative unit" in text and "new commune-level units" in text
        assert visit.page.locator("#outlook-totals").count() == 0
    finally:
        visit.close()
