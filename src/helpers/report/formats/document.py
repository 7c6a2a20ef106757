"""The editable brief (DOCX): the rendered brief as a Word document, through python-docx.

The document is made from the brief page the brief step wrote (``brief.<lang>.html``), whose
sections are rendered once from the brief's section model (:mod:`helpers.report.brief`):
no sentence, label or number is composed a second time here, and a section added to the brief
(the outlook) appears in the document without code here. The page is our own markup
(``report/templates/sections``), so the mapping is small and exact: ``h1``–``h3`` become real
Word headings (the navigation pane lists them), tables real Word tables (header row repeated
on each page, numbers right-aligned), each figure its PNG at the text width with its caption,
lists Word lists, the provenance block a two-column table. A4 pages; on demo data every
page's header says DEMO; every footer numbers the pages.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from lxml import html as lxml_html

from helpers import __version__
from helpers.core.files import atomic_write_bytes
from helpers.core.text import tr

DOCX_NAME = "brief.{lang}.docx"
HTML_NAME = "brief.{lang}.html"
TEXT_WIDTH_CM = 16.0
DEMO_RED = RGBColor(0x9C, 0x00, 0x06)
SKIP_CLASSES = frozenset({"demo-mark"})


def classes(el: Any) -> set[str]:
    return set((el.get("class") or "").split())


def text_of(el: Any) -> str:
    """The element's text with runs of white space collapsed (as a browser shows it)."""
    return " ".join(el.text_content().split())


def page_number_field(paragraph: Any) -> None:
    """A PAGE field: Word numbers each page."""
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            run._r.append(fld)  # noqa: SLF001 - python-docx has no field API
        else:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)  # noqa: SLF001


def repeat_header(row: Any) -> None:
    """Repeat a table's header row at the top of each page."""
    tr_pr = row._tr.get_or_add_trPr()  # noqa: SLF001
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


class Writer:
    """Walks the brief's markup and writes the document."""

    def __init__(self, lang: str, demo: bool, title: str) -> None:
        self.lang = lang
        self.doc = Document()
        self.demo = demo
        self.styles: dict[str, Any] = {}
        self.setup(title)

    def style(self, name: str) -> str:
        """The id of the document's style ``name``, looked up once: python-docx's style
        setters search every style (and the default style) on each use, most of the time
        a document took."""
        if name not in self.styles:
            self.styles[name] = self.doc.styles[name].style_id
        return self.styles[name]

    def para(self, text: str = "", style: str | None = None) -> Any:
        """A new paragraph with ``text``, in the style named ``style``."""
        p = self.doc.add_paragraph(text)
        if style:
            p._p.get_or_add_pPr().style = self.style(style)  # noqa: SLF001
        return p

    def grid(self, rows: int, cols: int) -> Any:
        """A new table in the "Table Grid" style."""
        table = self.doc.add_table(rows=rows, cols=cols)
        table._tbl.tblPr.style = self.style("Table Grid")  # noqa: SLF001
        return table

    def setup(self, title: str) -> None:
        section = self.doc.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        for side in ("left_margin", "right_margin"):
            setattr(section, side, Cm(2.5))
        section.top_margin = section.bottom_margin = Cm(2.0)
        normal = self.doc.styles["Normal"]
        normal.font.name = "Calibri"
        normal.font.size = Pt(10.5)
        header = section.header.paragraphs[0]
        if self.demo:
            note = tr("common.demo_note", self.lang)
            run = header.add_run(note if note.startswith("DEMO") else f"DEMO – {note}")
            run.bold = True
            run.font.color.rgb = DEMO_RED
            run.font.size = Pt(8)
        else:
            header.add_run(title).font.size = Pt(8)
        footer = section.footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        footer.add_run(tr("formats.doc_page", self.lang) + " ")
        page_number_field(footer)
        props = self.doc.core_properties
        props.title = f"DEMO – {title}" if self.demo else title
        props.author = f"mtqg-workbench {__version__}"
        props.language = self.lang

    # ------------------------------------------------------------------------ blocks
    def block(self, el: Any) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if classes(el) & SKIP_CLASSES or tag in ("script", "style"):
            return
        if tag in ("h1", "h2", "h3", "h4"):
            self.heading(el, int(tag[1]) - 1)
        elif tag == "p":
            self.paragraph(el)
        elif tag == "figure":
            self.figure(el)
        elif tag == "table":
            self.table(el)
        elif tag in ("ul", "ol"):
            self.listing(el, tag == "ol")
        elif tag == "dl":
            self.definitions(el)
        elif "key-figures" in classes(el):
            self.key_figures(el)
        else:
            for child in el:
                self.block(child)

    def heading(self, el: Any, level: int) -> None:
        """A real Word heading (h1 the title, h2 Heading 1, …): the navigation pane lists it;
        a DEMO badge leads it, set apart."""
        badge = el.find(".//span[@class='demo-badge']")
        text = text_of(el)
        if badge is not None:
            mark = text_of(badge)
            text = f"{mark} – {text[len(mark) :].strip()}" if text.startswith(mark) else text
        self.para(text, "Title" if level == 0 else f"Heading {level}")

    def paragraph(self, el: Any, style: str | None = None) -> None:
        cls = classes(el)
        p = self.para(style=style)
        self.inline(el, p)
        if cls & {"demo-note"}:
            for run in p.runs:
                run.italic = True
                run.font.color.rgb = DEMO_RED
        elif cls & {"kicker", "meta", "table-note", "rule-note"}:
            for run in p.runs:
                run.font.size = Pt(9)
        elif "subtitle" in cls:
            for run in p.runs:
                run.italic = True

    def inline(self, el: Any, p: Any, bold: bool = False) -> None:
        """The element's text and its children's, bold where the markup says so."""
        if el.text:
            p.add_run(
                " ".join(el.text.split()) + (" " if el.text.endswith((" ", "\n")) else "")
            ).bold = bold or None
        for child in el:
            tag = child.tag if isinstance(child.tag, str) else ""
            strong = bold or tag in ("b", "strong") or "proposal-title" in classes(child)
            if "demo-badge" in classes(child):
                run = p.add_run(text_of(child) + " ")
                run.bold = True
                run.font.color.rgb = DEMO_RED
            elif tag in ("ul", "ol"):
                continue  # nested lists are written after the item
            else:
                self.inline(child, p, strong)
                if "proposal-title" in classes(child):
                    p.add_run(" ")
            if child.tail and child.tail.strip():
                p.add_run(" ".join(child.tail.split()) + " ").bold = bold or None

    def figure(self, el: Any) -> None:
        img = el.find(".//img")
        if img is not None and (img.get("src") or "").startswith("data:image/png;base64,"):
            data = base64.b64decode(img.get("src").split(",", 1)[1])
            self.doc.add_picture(io.BytesIO(data), width=Cm(TEXT_WIDTH_CM))
            self.doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
        cap = el.find(".//figcaption")
        if cap is not None:
            self.para(text_of(cap), "Caption")

    def table(self, el: Any) -> None:
        cap = el.find("caption")
        if cap is not None:
            self.para(text_of(cap), "Caption")
        head = [(text_of(th), "num" in classes(th)) for th in el.findall("./thead/tr/th")]
        body = [tr_el.findall("./td") for tr_el in el.findall("./tbody/tr")]
        n_cols = max([len(head)] + [len(r) for r in body]) or 1
        table = self.grid(1 if head else 0, n_cols)
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        if head:
            row = table.rows[0]
            repeat_header(row)
            for j, (label, num) in enumerate(head):
                cell = row.cells[j]
                cell.text = ""
                run = cell.paragraphs[0].add_run(label)
                run.bold = True
                run.font.size = Pt(8.5)
                if num:
                    cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
        for tds in body:
            row = table.add_row()
            highlight = (
                bool(classes(tds[0].getparent()) & {"highlight", "reference"}) if tds else False
            )
            for j, td in enumerate(tds):
                cell = row.cells[j]
                run = cell.paragraphs[0].add_run(text_of(td))
                run.font.size = Pt(8.5)
                run.bold = highlight or None
                if "num" in classes(td):
                    cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
        self.doc.add_paragraph()

    def listing(self, el: Any, ordered: bool, level: int = 1) -> None:
        style = ("List Number" if ordered else "List Bullet") + ("" if level == 1 else f" {level}")
        for li in el.findall("./li"):
            p = self.para(style=style)
            self.inline(li, p)
            for sub in li:
                if sub.tag in ("ul", "ol"):
                    self.listing(sub, sub.tag == "ol", min(level + 1, 3))

    def definitions(self, el: Any) -> None:
        terms = el.findall("./dt")
        values = el.findall("./dd")
        table = self.grid(0, 2)
        for dt_el, dd_el in zip(terms, values, strict=False):
            row = table.add_row()
            row.cells[0].paragraphs[0].add_run(text_of(dt_el)).bold = True
            row.cells[1].paragraphs[0].add_run(text_of(dd_el))
            for cell in row.cells:
                for run in cell.paragraphs[0].runs:
                    run.font.size = Pt(8)
            for a in dd_el.findall(".//a"):
                row.cells[1].add_paragraph(f"{text_of(a)}: {a.get('href')}").runs[0].font.size = Pt(
                    8
                )
        for row in table.rows:
            row.cells[0].width, row.cells[1].width = Cm(4.5), Cm(11.5)
        self.doc.add_paragraph()

    def key_figures(self, el: Any) -> None:
        table = self.grid(0, 3)
        for kf in el.findall("./div"):
            row = table.add_row()
            for j, cls in enumerate(("kf-label", "kf-value", "kf-note")):
                span = kf.find(f"./span[@class='{cls}']")
                run = row.cells[j].paragraphs[0].add_run(text_of(span) if span is not None else "")
                run.bold = j == 1 or None
        self.doc.add_paragraph()


def html_to_docx(page: str, lang: str) -> bytes:
    """The DOCX bytes of a brief page (``brief.<lang>.html``)."""
    root = lxml_html.fromstring(page)
    title_el = root.find(".//title")
    title = text_of(title_el) if title_el is not None else ""
    body = root.find(".//body")
    demo = body is not None and "demo" in classes(body)
    writer = Writer(lang, demo, title)
    main = root.find(".//main")
    writer.block(main if main is not None else root)
    buf = io.BytesIO()
    writer.doc.save(buf)
    return buf.getvalue()


def write_document(brief_dir: Path, out_dir: Path, lang: str) -> Path:
    """Write ``brief.<lang>.docx`` from ``<brief_dir>/brief.<lang>.html`` (atomically)."""
    page = (brief_dir / HTML_NAME.format(lang=lang)).read_text(encoding="utf-8")
    return atomic_write_bytes(out_dir / DOCX_NAME.format(lang=lang), html_to_docx(page, lang))
