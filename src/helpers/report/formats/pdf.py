"""The brief as an A4 PDF, printed from its HTML by headless Chromium (Playwright).

Chromium rather than WeasyPrint: the browser checks already use Debian's ``chromium`` through
Playwright, the PDF is then exactly what a reader's browser prints (the same CSS engine as the
screen), and nothing else is installed; WeasyPrint would add Pango and its own CSS dialect. The
browser is opt-in (``mtqg run --pdf``) so the main job needs none. Chromium draws no CSS
``@page`` margin boxes, so the page number (and DEMO on demo data) come from the print's
footer and header templates, on every page. The page is loaded with every request outside
``file:``/``data:`` aborted (a brief makes none; its CSP forbids them too).

One browser per process, started on first use and closed at exit: a worker prints all its
briefs with it (a Chromium start costs about a second).
"""

from __future__ import annotations

import atexit
import html
import os
from pathlib import Path
from typing import Any

from helpers.core.files import atomic_write_bytes
from helpers.core.text import tr

PDF_NAME = "brief.{lang}.pdf"
HTML_NAME = "brief.{lang}.html"
CHROMIUM = Path(os.environ.get("MTQG_CHROMIUM", "/usr/bin/chromium"))
"""The browser (Debian's ``chromium``; ``MTQG_CHROMIUM`` names another); never downloaded."""
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MARGIN = {"top": "12mm", "right": "11mm", "bottom": "12mm", "left": "11mm"}
FOOTER = (
    '<div style="width:100%;font-size:8pt;text-align:center;color:#525252;">'
    '{page} <span class="pageNumber"></span> / <span class="totalPages"></span></div>'
)
HEADER_DEMO = (
    '<div style="width:100%;font-size:7.5pt;text-align:right;color:#9c0006;padding-right:11mm;">'
    '<span style="background:#9c0006;color:#fff;font-weight:bold;padding:0.5mm 2mm;'
    'margin-right:2mm;">DEMO</span>{note}</div>'
)
PDF_CSS = ".demo-mark { display: none !important; }"
"""The page's fixed DEMO mark is left out of the PDF, whose header says DEMO on every page
(the mark, repeated by Chromium at the top of each page, could cover a table's last column)."""

_STATE: dict[str, Any] = {}


class PdfUnavailable(RuntimeError):
    """No browser to print with (Playwright or Chromium missing)."""


def browser() -> Any:
    """This process's headless Chromium, started on first use."""
    if "browser" not in _STATE:
        if not CHROMIUM.exists():
            raise PdfUnavailable(
                f"{CHROMIUM} not found: PDFs need Debian's chromium "
                "(apt-get install chromium) or MTQG_CHROMIUM naming a Chromium"
            )
        try:
            from playwright.sync_api import sync_playwright
        except ImportError as exc:  # pragma: no cover - playwright is a dependency
            raise PdfUnavailable("PDFs need the playwright package") from exc
        pw = sync_playwright().start()
        _STATE["playwright"] = pw
        _STATE["browser"] = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        atexit.register(close)
    return _STATE["browser"]


def close() -> None:
    """Close the browser of this process (if started)."""
    b, pw = _STATE.pop("browser", None), _STATE.pop("playwright", None)
    if b is not None:
        try:
            b.close()
        finally:
            if pw is not None:
                pw.stop()


def print_pdf(
    html_path: Path,
    lang: str,
    demo: bool,
    requests: list[str] | None = None,
    chromium: Any = None,
) -> bytes:
    """``html_path`` printed on A4 with page numbers (and DEMO in the header on demo data).
    Every request the page makes is appended to ``requests`` (when given); any outside
    ``file:`` and ``data:`` is aborted. ``chromium``: a Playwright browser to print with
    (default: this process's, :func:`browser`)."""
    context = (chromium or browser()).new_context()

    def block(route: Any) -> None:
        route.abort()

    try:
        context.route(lambda url: not url.startswith(("file:", "data:")), block)
        page = context.new_page()
        if requests is not None:
            page.on("request", lambda r: requests.append(r.url))
        page.goto(html_path.resolve().as_uri(), wait_until="load")
        if demo:
            page.add_style_tag(content=PDF_CSS)
        page.emulate_media(media="print")
        note = tr("common.demo_note", lang).removeprefix("DEMO:").strip()
        header = HEADER_DEMO.format(note=html.escape(note)) if demo else "<span></span>"
        data: bytes = page.pdf(
            format="A4",
            print_background=True,
            display_header_footer=True,
            header_template=header,
            footer_template=FOOTER.format(page=html.escape(tr("formats.doc_page", lang))),
            margin=MARGIN,
        )
        return data
    finally:
        context.close()


def write_pdf(brief_dir: Path, out_dir: Path, lang: str) -> Path:
    """Write ``brief.<lang>.pdf`` from ``<brief_dir>/brief.<lang>.html`` (atomically)."""
    src = brief_dir / HTML_NAME.format(lang=lang)
    head = src.read_text(encoding="utf-8")[:4000]
    demo = '<body class="demo"' in head or "<title>DEMO" in head
    return atomic_write_bytes(out_dir / PDF_NAME.format(lang=lang), print_pdf(src, lang, demo))
