"""The formats officials work in, read back (fast: no kernel, no browser).

The annex workbook (XLSX) is read back with openpyxl and every number compared with the JSON
results; the editable brief (DOCX) with python-docx (headings in order, table cells, images,
DEMO in every page header); the technical annex (nbconvert HTML) is checked for network
references and folded inputs. Expected values are worked out by hand from the fixture JSON
(``tests/fixtures/brief``).
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import docx
import nbformat
import openpyxl
import pytest
from lxml import html as lxml_html

from helpers.core.contracts import Lag, Metrics
from helpers.report import brief
from helpers.report.brief.model import Brief
from helpers.report.formats import annex, document, workbook
from helpers.report.formats.links import annex_links
from workbook_numbers import json_numbers, stray

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "brief"
PNG = b"\x89PNG\r\n\x1a\n"
PIXEL = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5Erk"
    "Jggg=="
)


def _load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _scope(root: Path, metrics: dict, lag: dict) -> Path:
    for folder, name, data in (("assessment", "metrics.json", metrics), ("lag", "lag.json", lag)):
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / folder / name).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return root


def _cell_numbers(wb: openpyxl.Workbook) -> list[tuple[str, str, float]]:
    """(sheet, cell, value) of every numeric cell of the table sheets."""
    out = []
    for ws in wb.worksheets[1:]:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, int | float) and not isinstance(c.value, bool):
                    out.append((ws.title, c.coordinate, c.value))
    return out


SCORECARD = [
    {
        "indicator_code": f"ind{i}",
        "name_vi": f"Chỉ tiêu {i}",
        "name_en": f"Indicator {i}",
        "unit": "%",
        "direction": "up",
        "baseline_value": base,
        "target_value": target,
        "latest_value": latest,
        "latest_year": 2025,
        "progress_ratio": ratio,
        "status": status,
    }
    for i, base, target, latest, ratio, status in (
        (1, 32.2, 17.2, 19.2, 0.8667, "not_met"),
        (2, 60.0, 80.0, 83.3, 1.0, "met"),
        (3, None, 100.0, None, None, "no_data"),
        (4, 1.0, 2.0, 1.68, 0.68, "not_met"),
    )
]


PROJECTS = [
    {
        "project_code": "DA1",
        "subproject_code": None,
        "name_vi": "Đất ở, nhà ở",
        "name_en": "land and housing",
        "n_lines": 12,
        "allocated_mvnd": 400000.0,
        "disbursed_dec31_mvnd": 150000.0,
        "disbursed_deadline_mvnd": 260000.0,
        "disbursed_last_mvnd": 320000.0,
        "execution_rate_deadline": 0.65,
        "execution_rate_last": 0.8,
    },
    {
        "project_code": "DA3",
        "subproject_code": "DA3.TDA1",
        "name_vi": "Nông lâm nghiệp",
        "name_en": "agro-forestry",
        "n_lines": 5,
        "allocated_mvnd": 123456.5,
        "disbursed_dec31_mvnd": 1.0,
        "disbursed_deadline_mvnd": 2.0,
        "disbursed_last_mvnd": 3.0,
        "execution_rate_deadline": 0.0,
        "execution_rate_last": 0.0,
    },
]


@pytest.fixture
def results() -> tuple[dict, dict]:
    metrics = _load("metrics_province.json")
    metrics["target_scorecard"] = [dict(r) for r in SCORECARD]
    metrics["by_project"] = [dict(r) for r in PROJECTS]
    return metrics, _load("lag_province.json")


def _workbook(tmp_path: Path, metrics: dict, lag: dict, lang: str) -> openpyxl.Workbook:
    root = _scope(tmp_path / "province", metrics, lag)
    path = workbook.write_workbook(
        root / "assessment", root / "lag", root / "workbook", lang, root / "outlook"
    )
    assert path.name == f"tables.{lang}.xlsx"
    return openpyxl.load_workbook(path)


# ----------------------------------------------------------------------------- workbook
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_number_of_the_workbook_is_a_number_of_the_json(tmp_path, results, lang):
    metrics, lag = results
    wb = _workbook(tmp_path, metrics, lag, lang)
    in_json = set(json_numbers(metrics)) | set(json_numbers(lag))
    cells = _cell_numbers(wb)
    assert len(cells) > 100
    unknown = [(s, c, v) for s, c, v in cells if stray([v], in_json)]
    assert not unknown, f"numbers not in metrics.json or lag.json: {unknown[:10]}"


def test_the_tables_hold_the_json_row_by_row(tmp_path, results):
    metrics, lag = results
    wb = _workbook(tmp_path, metrics, lag, "vi")
    years = wb["Theo năm kế hoạch"]
    rows = list(years.iter_rows(min_row=3, values_only=True))
    assert len(rows) == len(metrics["by_year"]) + 1  # the years, then the total
    for row, want in zip(rows, metrics["by_year"], strict=False):
        assert list(row[:8]) == [
            want["plan_year"],
            want["allocated_mvnd"],
            want["disbursed_dec31_mvnd"],
            want["disbursed_deadline_mvnd"],
            want["disbursed_last_mvnd"],
            want["execution_rate_dec31"],
            want["execution_rate_deadline"],
            want["execution_rate_last"],
        ]
    assert rows[-1][:2] == ("Tổng", 1526790)  # metrics' allocated_mvnd, stored as a number
    projects = list(wb["Theo dự án"].iter_rows(min_row=3, values_only=True))
    assert projects == [
        ("DA1", None, "Đất ở, nhà ở", 12, 400000, 150000, 260000, 320000, 0.65, 0.8),
        ("DA3", "DA3.TDA1", "Nông lâm nghiệp", 5, 123456.5, 1, 2, 3, 0, 0),
    ]
    ranking = list(wb["So sánh địa bàn"].iter_rows(min_row=3, values_only=True))
    assert [r[1] for r in ranking] == [r["unit_code"] for r in metrics["district_ranking"]]
    assert [r[4] for r in ranking] == [r["execution_rate"] for r in metrics["district_ranking"]]
    assert [r[5] for r in ranking] == [r["adjusted_rate"] for r in metrics["district_ranking"]]
    scorecard = list(wb["Chỉ tiêu"].iter_rows(min_row=3, values_only=True))
    assert [r[0] for r in scorecard] == [r["indicator_code"] for r in metrics["target_scorecard"]]
    assert [r[4] for r in scorecard] == [r["target_value"] for r in metrics["target_scorecard"]]
    model = {r[0]: r[1:4] for r in wb["Mô hình độ trễ"].iter_rows(min_row=3, values_only=True)}
    te = lag["timing_effect_pp_per_month"]
    effect = next(v for k, v in model.items() if k.startswith("Tác động"))
    assert effect == (te["estimate"], te["ci_low"], te["ci_high"])
    cf = lag["counterfactual"]
    gain = next(v for k, v in model.items() if k.startswith("Kịch bản giao vốn"))
    assert gain == (cf["gain_mvnd"], cf["ci_low"], cf["ci_high"])


def test_headers_units_formats_frozen_rows_and_widths(tmp_path, results):
    metrics, lag = results
    vi = _workbook(tmp_path / "vi", metrics, lag, "vi")["Theo năm kế hoạch"]
    en = _workbook(tmp_path / "en", metrics, lag, "en")["By plan year"]
    assert vi["B2"].value == "Vốn giao (triệu đồng)"
    assert en["B2"].value == "Allocated (million VND)"
    assert vi["C2"].value == "Giải ngân đến 31/12 (triệu đồng)"
    assert en["D2"].value == "Disbursed by 31 Jan (million VND)"
    # numbers are numbers, with locale-neutral formats (Excel shows 1.000.000 / 65,0 % in vi)
    assert vi["B4"].value == 1000000 and vi["B4"].number_format == "#,##0"
    assert vi["G4"].value == 0.65 and vi["G4"].number_format == "0.0%"
    assert vi["B4"].data_type == "n"
    assert vi.freeze_panes == "A3"  # DEMO line, header row frozen
    assert vi["A1"].value.startswith("DỮ LIỆU MINH HỌA (DEMO)")
    assert vi.column_dimensions["B"].width > 10


def test_the_about_sheet_lists_the_sheets_the_provenance_and_demo(tmp_path, results):
    metrics, lag = results
    wb = _workbook(tmp_path, metrics, lag, "en")
    about = wb.worksheets[0]
    assert about.title == "About"
    text = [str(c.value) for row in about.iter_rows() for c in row if c.value is not None]
    assert any("DEMO" in t for t in text)
    for ws in wb.worksheets[1:]:
        assert ws.title in text, ws.title
    assert metrics["data_sha256"] in text
    assert "demo (fixture)" in text
    assert any(t.startswith("metrics.json (SHA-256 ") for t in text)


def test_text_that_looks_like_a_formula_is_stored_as_text(tmp_path, results):
    metrics, lag = results
    names = ['=HYPERLINK("http://x")', "+1+1", "-2", "@SUM(A1)"]
    for row, name in zip(metrics["target_scorecard"], names, strict=False):
        row["name_en"] = name
    wb = _workbook(tmp_path, metrics, lag, "en")
    ws = wb["Targets"]
    cells = {ws.cell(row=r, column=2).value: ws.cell(row=r, column=2) for r in range(3, 7)}
    for name in names:
        assert name in cells, name
        assert cells[name].data_type == "s"
    with zipfile.ZipFile(tmp_path / "province" / "workbook" / "tables.en.xlsx") as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
        assert not any(b"<f>" in z.read(n) or b"<f " in z.read(n) for n in sheets)


def test_the_outlook_sheet_appears_only_when_outlook_json_exists(tmp_path, results):
    metrics, lag = results
    wb = _workbook(tmp_path / "a", metrics, lag, "en")
    assert "Outlook" not in wb.sheetnames
    outlook = {"scope": "province", "years": [{"year": 2026, "need_mvnd": 1250.5}], "n": 3}
    folder = tmp_path / "b" / "province" / "outlook"
    folder.mkdir(parents=True)
    (folder / "outlook.json").write_text(json.dumps(outlook), encoding="utf-8")
    wb = _workbook(tmp_path / "b", metrics, lag, "en")
    values = [c.value for row in wb["Outlook"].iter_rows() for c in row if c.value is not None]
    assert 1250.5 in values and 2026 in values and 3 in values


# ----------------------------------------------------------------------------- document
def _brief_dir(tmp_path: Path, metrics: dict, lag: dict, lang: str) -> tuple[Path, str]:
    page = brief.render_html(Brief(metrics=metrics, lag=lag, lang=lang))
    folder = tmp_path / "brief"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"brief.{lang}.html").write_text(page, encoding="utf-8")
    return folder, page


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_document_has_the_brief_headings_in_order_and_demo_in_every_header(
    tmp_path, results, lang
):
    metrics, lag = results
    folder, page = _brief_dir(tmp_path, metrics, lag, lang)
    path = document.write_document(folder, tmp_path / "document", lang)
    doc = docx.Document(str(path))
    tree = lxml_html.fromstring(page)
    want = [" ".join(h.text_content().split()) for h in tree.iter("h1", "h2", "h3")]
    got = [
        (p.style.name, p.text)
        for p in doc.paragraphs
        if p.style.name == "Title" or p.style.name.startswith("Heading")
    ]
    assert [t.replace("DEMO – ", "DEMO") for _, t in got] == want
    levels = {"Title": "h1", "Heading 1": "h2", "Heading 2": "h3"}
    assert [levels[s] for s, _ in got] == [h.tag for h in tree.iter("h1", "h2", "h3")]
    assert got[0][1].startswith("DEMO – ")
    for section in doc.sections:
        assert "DEMO" in section.header.paragraphs[0].text
        assert "PAGE" in section.footer._element.xml  # noqa: SLF001 - a page-number field
    assert doc.core_properties.title.startswith("DEMO")


def test_the_document_tables_equal_the_json_and_its_images_are_the_figures(tmp_path, results):
    metrics, lag = results
    folder, page = _brief_dir(tmp_path, metrics, lag, "vi")
    doc = docx.Document(str(document.write_document(folder, tmp_path / "document", "vi")))
    rows = {
        tuple(c.text for c in t.rows[0].cells): [[c.text for c in r.cells] for r in t.rows[1:]]
        for t in doc.tables
    }
    by_year = next(v for k, v in rows.items() if k and k[0] == "Năm KH")
    # plan year 2024 of the fixture: 1,000,000 allocated; 500,000 by 31 Dec; 650,000 by the
    # deadline; 800,000 by the last report; 650,000 / 1,000,000 = 65.0 %
    assert ["2024", "1.000.000", "500.000", "650.000", "800.000", "65,0%"] in by_year
    assert by_year[-1][:2] == ["Tổng", "1.526.790"]
    ranking = next(v for k, v in rows.items() if len(k) > 1 and k[1] == "Đơn vị")
    districts = [r for r in metrics["district_ranking"] if r["level"] == "district"]
    assert [r[1] for r in ranking[: len(districts)]] == [
        r["name_vi"] for r in sorted(districts, key=lambda r: r["rank"])
    ]
    assert ranking[-1][1] == "Toàn tỉnh Cao Bằng"  # the province's reference row, last
    shapes = doc.inline_shapes
    n_img = len(lxml_html.fromstring(page).findall(".//img"))
    assert n_img >= 3 and len(shapes) == n_img
    blobs = [
        doc.part.related_parts[s._inline.graphic.graphicData.pic.blipFill.blip.embed].blob  # noqa: SLF001
        for s in shapes
    ]
    assert all(b.startswith(PNG) for b in blobs)
    provenance = next(v for k, v in rows.items() if k and k[0] == "DEMO")
    assert any(r[0] == "SHA-256" and r[1] == metrics["data_sha256"] for r in provenance)


# ----------------------------------------------------------------------------- annex
def _executed_notebook(folder: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Assessment\nA formula: $x^2$ and a table."),
        nbformat.v4.new_code_cell(
            "data = 'demo'",
            metadata={"tags": ["injected-parameters"]},
            execution_count=1,
        ),
        nbformat.v4.new_code_cell(
            "show_table()",
            execution_count=2,
            outputs=[
                nbformat.v4.new_output(
                    "display_data",
                    data={
                        "text/html": "<table id='t1'><tr><td>5.801.640</td></tr></table>",
                        "text/plain": "<table>",
                    },
                ),
                nbformat.v4.new_output(
                    "display_data",
                    data={"image/png": PIXEL, "text/plain": "<Figure>"},
                ),
                nbformat.v4.new_output("stream", name="stdout", text="data sha256 92fbc9c1\n"),
            ],
        ),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "01_assessment.ipynb"
    nbformat.write(nb, str(path))
    (folder / "metrics.json").write_text('{"demo": true}', encoding="utf-8")
    return path


def test_the_annex_keeps_outputs_folds_inputs_and_loads_nothing(tmp_path):
    nb = _executed_notebook(tmp_path / "assessment")
    out = annex.export_notebook(nb, tmp_path / "annex", "vi")
    assert out.name == "01_assessment.html"
    text = out.read_text(encoding="utf-8")
    tree = lxml_html.fromstring(text)
    assert not tree.xpath("//script[@src]")
    assert not tree.xpath("//link[@href]")
    refs = [v for el in tree.iter() for k, v in el.attrib.items() if k in ("src", "href")]
    assert all(v.startswith(("data:", "#")) for v in refs), refs
    assert not re.search(r"cdn|mathjax|require\.js|mermaid", text.split("</style>")[-1], re.I)
    assert "default-src 'none'" in text  # the page's CSP forbids any load
    assert len(tree.xpath("//details[@class='annex-input']")) == 2  # one per code cell
    assert tree.xpath("//table[@id='t1']") and "5.801.640" in text
    assert tree.xpath("//img[starts-with(@src, 'data:image/png;base64,')]")
    assert "data sha256 92fbc9c1" in text
    assert tree.xpath("//*[@data-demo='annex']")
    assert tree.get("lang") == "vi"
    assert "Phụ lục kỹ thuật" in tree.findtext(".//title")


def test_the_brief_links_the_annex_pages(results):
    metrics, lag = results
    page = brief.render_html(Brief(metrics=metrics, lag=lag, lang="en"))
    tree = lxml_html.fromstring(page)
    hrefs = tree.xpath("//footer[@id='provenance']//a/@href")
    assert hrefs == [a["href"] for a in annex_links("en")]
    assert hrefs == [
        "../annex/01_assessment.html",
        "../annex/02_disbursement_lag.html",
        "../annex/04_outlook.html",
        "../annex/03_brief.en.html",
    ]


def test_fixture_results_are_contracts(results):
    metrics, lag = results
    Metrics.parse(metrics)
    Lag.parse(lag)
