"""Loading valid inputs: CSV folders, workbooks and in-memory frames give the same tables."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import unicodedata
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from helpers.core import paths
from helpers.core.errors import InputError, InputProblem
from helpers.data import contract, intake, schema
from helpers.data.cells import parse_number_text
from helpers.data.readers import Location

LINE_011 = "2024|011|DA1|-|investment|central"
LINE_012 = "2024|012|DA3|DA3.TDA1|recurrent|central"


def set_cell(rows: list[list[str]], line: int, column: str, value: str) -> None:
    """Set the cell of CSV line ``line`` (header = line 1) in ``column``."""
    rows[line - 1][rows[0].index(column)] = value


@pytest.fixture
def load(tmp_path, write_folder):
    """Write tables into a fresh folder and load it."""
    counter = iter(range(1000))

    def run(tables, **kw):
        return intake.load_dataset(write_folder(tmp_path / f"in{next(counter)}", tables, **kw))

    return run


def test_valid_folder_loads(load, valid_tables) -> None:
    ds = load(valid_tables)
    a, d = ds.allocations, ds.disbursements
    assert list(a.columns) == [c.name for c in schema.ALLOCATIONS.columns] + ["line_id"]
    assert a["unit_code"].tolist() == ["011", "012"]  # "huyện Bảo Lạc" resolved
    assert a["capital_type"].tolist() == ["investment", "recurrent"]  # "vốn sự nghiệp"
    assert a["source"].tolist() == ["central", "central"]  # "NSTW"
    assert a["amount_mvnd"].tolist() == [1000.0, 1526790.5]  # "1.526.790,5"
    assert a["decision_date"].tolist() == [pd.Timestamp(2024, 3, 15), pd.Timestamp(2024, 2, 1)]
    assert a["subproject_code"].isna().tolist() == [True, False]
    assert a["line_id"].tolist() == [LINE_011, LINE_012]
    assert d["line_id"].tolist() == [LINE_011, LINE_011, LINE_012, LINE_012]
    assert d["report_date"].iloc[3] == pd.Timestamp(2025, 1, 31)
    assert d["disbursed_cum_mvnd"].sum() == 100 + 250 + 1000 + 2000
    for name, frame in ds.tables().items():  # the schema contract holds
        contract.pandera_schema(name).validate(frame)
        assert frame.attrs["demo"] is False
    assert ds.targets["direction"].tolist() == ["lower_better"]
    assert ds.warnings == []
    assert not ds.demo
    assert len(ds.sha256) == 64 and ds.origin.endswith("in0")


def test_bom_and_no_bom_give_the_same_frames(load, valid_tables) -> None:
    plain, bom = load(valid_tables), load(valid_tables, bom=True)
    for name in plain.table_names():
        pd.testing.assert_frame_equal(plain.tables()[name], bom.tables()[name])
    assert plain.sha256 != bom.sha256  # the bytes differ


def test_sha256_covers_the_table_files_only(tmp_path, write_folder, valid_tables) -> None:
    folder = write_folder(tmp_path / "a", valid_tables)
    expected = hashlib.sha256()
    for f in sorted(folder.glob("*.csv")):
        data = f.read_bytes()
        expected.update(f.name.encode() + b"\0" + len(data).to_bytes(8, "big") + data)
    assert intake.load_dataset(folder).sha256 == expected.hexdigest()
    (folder / "README.txt").write_text("not a table")
    assert intake.load_dataset(folder).sha256 == expected.hexdigest()


def test_nfd_old_style_names_and_headers(load, valid_tables) -> None:
    alloc = valid_tables["allocations"]
    set_cell(alloc, 2, "unit_code", unicodedata.normalize("NFD", "Huyện Quảng Hoà"))
    set_cell(alloc, 2, "note", unicodedata.normalize("NFD", "Quyết định bổ sung"))
    set_cell(alloc, 3, "unit_code", "Bao Lac")
    alloc[0] = [f"  {h.upper()} " for h in alloc[0]]  # headers: any case, spaces
    ds = load(valid_tables)
    assert ds.allocations["unit_code"].tolist() == ["011", "012"]
    assert ds.allocations["note"].iloc[0] == unicodedata.normalize("NFC", "Quyết định bổ sung")


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("15/03/2024", dt.date(2024, 3, 15)),
        ("5/3/2024", dt.date(2024, 3, 5)),
        ("15-03-2024", dt.date(2024, 3, 15)),
        ("15.03.2024", dt.date(2024, 3, 15)),
        ("2024-03-15", dt.date(2024, 3, 15)),
        ("03/12/2024", dt.date(2024, 12, 3)),
    ],
)
def test_date_text_is_day_first(load, valid_tables, text, day) -> None:
    set_cell(valid_tables["allocations"], 2, "decision_date", text)
    # the line's reports come after its latest decision date here (3 Dec 2024)
    set_cell(valid_tables["disbursements"], 2, "report_date", "31/12/2024")
    set_cell(valid_tables["disbursements"], 3, "report_date", "31/01/2025")
    ds = load(valid_tables)
    assert ds.allocations["decision_date"].iloc[0] == pd.Timestamp(day)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1526790", 1526790.0),
        ("1526790.5", 1526790.5),
        ("1.526.790", 1526790.0),
        ("1.526.790,5", 1526790.5),
        ("1,526,790", 1526790.0),
        ("1,526,790.25", 1526790.25),
        ("  12 ", 12.0),
        ("1526,5", 1526.5),
        ("0.125", 0.125),
        ("1.526,5", 1526.5),
        ("1,526.5", 1526.5),
        ("0", 0.0),
    ],
)
def test_amount_text(load, valid_tables, text, value) -> None:
    set_cell(valid_tables["allocations"], 2, "amount_mvnd", text)
    ds = load(valid_tables)
    assert ds.allocations["amount_mvnd"].iloc[0] == value


@pytest.mark.parametrize(("text", "value"), [("1.526", 1526.0), ("1,526", 1.526)])
def test_ambiguous_number_is_read_with_the_files_own_convention(
    load, valid_tables, text, value
) -> None:
    # line 3 of the fixture's allocations holds "1.526.790,5": Vietnamese grouping and comma
    set_cell(valid_tables["allocations"], 2, "amount_mvnd", text)
    ds = load(valid_tables)
    assert ds.allocations["amount_mvnd"].iloc[0] == value


def test_ambiguous_number_in_a_file_mixing_conventions_is_an_error(load, valid_tables) -> None:
    set_cell(valid_tables["disbursements"], 2, "disbursed_cum_mvnd", "10.5")  # English
    set_cell(valid_tables["disbursements"], 3, "disbursed_cum_mvnd", "1.000,5")  # Vietnamese
    set_cell(valid_tables["disbursements"], 4, "disbursed_cum_mvnd", "1.526")  # ambiguous
    with pytest.raises(InputError) as info:
        load(valid_tables)
    problems = [p for p in info.value.problems if p.severity == "error"]
    assert len(problems) == 1
    p = problems[0]
    assert (p.file, p.row, p.column) == ("disbursements.csv", 4, "disbursed_cum_mvnd")
    assert "mixes Vietnamese and English" in p.message


def test_parse_number_text_rejects_words() -> None:
    assert parse_number_text("12 tỷ") is None
    assert parse_number_text("nan") is None
    assert parse_number_text("1.5.3") is None


def _typed(valid_tables) -> dict[str, list[list[object]]]:
    """The valid input with Excel-typed cells (numbers, datetimes, drop-down values)."""
    d = dt.datetime
    tables: dict[str, list[list[object]]] = {
        n: [list(r) for r in valid_tables[n]] for n in ("units", "program_components", "metadata")
    }
    tables["sources"] = [
        valid_tables["sources"][0],
        ["test", "Test fixture", "Team", d(2024, 1, 1), None, None],
    ]
    tables["allocations"] = [
        valid_tables["allocations"][0],
        [
            2024,
            "011 - Quảng Hòa",
            "DA1",
            None,
            "investment",
            "central",
            1000,
            d(2024, 3, 15),
            "QD-1/2024",
            None,
            None,
        ],
        [
            2024,
            "Bảo Lạc",
            "DA3",
            "DA3.TDA1",
            "Vốn sự nghiệp",
            "NSTW",
            1526790.5,
            d(2024, 2, 1),
            None,
            None,
            None,
        ],
    ]
    rows = [valid_tables["disbursements"][0]]
    for (day, value), src in zip(
        [
            (d(2024, 3, 31), 100),
            (d(2024, 4, 30), 250),
            (d(2024, 3, 31), 1000),
            (d(2025, 1, 31), 2000),
        ],
        valid_tables["disbursements"][1:],
        strict=True,
    ):
        rows.append([day, 2024, *src[2:7], value, None])
    tables["disbursements"] = rows
    tables["targets"] = [
        valid_tables["targets"][0],
        [
            "poverty",
            "Tỷ lệ hộ nghèo",
            "Poverty rate",
            "%",
            "lower_better",
            "011",
            40,
            20,
            2024,
            30.0,
        ],
    ]
    return tables


def write_workbook(
    path: Path, tables: dict[str, list[list[object]]], extra_sheets: tuple[str, ...] = ()
) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title in extra_sheets:
        wb.create_sheet(title)["A1"] = "Hướng dẫn"
    for name, rows in tables.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def test_workbook_gives_the_same_frames_as_csv(tmp_path, load, valid_tables) -> None:
    from_csv = load(valid_tables)
    typed = _typed(valid_tables)
    typed["Allocations"] = typed.pop("allocations")  # sheet names are case-insensitive
    book = write_workbook(tmp_path / "input.xlsx", typed, extra_sheets=("Instructions", "_lists"))
    from_xlsx = intake.load_dataset(book)
    for name in from_csv.table_names():
        pd.testing.assert_frame_equal(from_xlsx.tables()[name], from_csv.tables()[name])
    assert from_xlsx.sha256 == hashlib.sha256(book.read_bytes()).hexdigest()


def test_validate_frames_takes_typed_values(load, valid_tables) -> None:
    from_csv = load(valid_tables)
    typed = _typed(valid_tables)
    frames = {n: pd.DataFrame(rows[1:], columns=rows[0]) for n, rows in typed.items()}
    frames["allocations"]["plan_year"] = np.int64(2024)
    frames["disbursements"]["report_date"] = pd.to_datetime(frames["disbursements"]["report_date"])
    ds = intake.validate_frames(frames, origin="memory", sha256="0" * 64)
    for name in from_csv.table_names():
        pd.testing.assert_frame_equal(ds.tables()[name], from_csv.tables()[name])
    assert ds.origin == "memory"


def test_validate_frames_locates_rows(valid_tables) -> None:
    typed = _typed(valid_tables)
    frames = {n: pd.DataFrame(rows[1:], columns=rows[0]) for n, rows in typed.items()}
    frames["allocations"].loc[1, "amount_mvnd"] = -1.0
    with pytest.raises(InputError) as info:
        intake.validate_frames(frames, origin="memory", sha256="")
    [p] = info.value.problems
    assert (p.file, p.row, p.column) == ("allocations", 3, "amount_mvnd")
    located = Location(file="gen.xlsx", sheet="allocations", header_row=4, rows=(7, 9))
    with pytest.raises(InputError) as info:
        intake.validate_frames(frames, origin="memory", sha256="", locate={"allocations": located})
    [p] = info.value.problems
    assert (p.file, p.sheet, p.row) == ("gen.xlsx", "allocations", 9)


def test_multiline_cells_and_blank_rows_keep_line_numbers(load, valid_tables) -> None:
    alloc = valid_tables["allocations"]
    set_cell(alloc, 2, "note", "first line\nsecond line")  # record 2 spans lines 2-3
    set_cell(alloc, 3, "amount_mvnd", "abc")  # record 3 starts on line 4
    disb = valid_tables["disbursements"]
    disb.insert(1, [""] * len(disb[0]))  # a blank line 2: ignored, but counted
    set_cell(disb, 3, "disbursed_cum_mvnd", "-1")  # was line 2
    with pytest.raises(InputError) as info:
        load(valid_tables)
    rows = {(p.file, p.row, p.column) for p in info.value.problems}
    assert rows == {
        ("allocations.csv", 4, "amount_mvnd"),
        ("disbursements.csv", 3, "disbursed_cum_mvnd"),
    }


def test_shipped_reference_tables_are_used_when_omitted(load, valid_tables) -> None:
    shipped = paths.REFERENCE_DIR / "units.csv"
    if not shipped.exists():
        pytest.skip("shipped units.csv not written yet")
    with open(shipped, encoding="utf-8-sig") as fh:
        units = list(csv.DictReader(fh))
    district = next(u for u in units if u["level"] == "district")
    tables = {n: valid_tables[n] for n in ("allocations", "disbursements")}
    for rows in tables.values():
        for line in range(2, len(rows) + 1):
            set_cell(rows, line, "unit_code", district["name_vi"])
            set_cell(rows, line, "subproject_code", "")
            set_cell(rows, line, "project_code", "DA1")
    set_cell(tables["allocations"], 3, "capital_type", "recurrent")
    for line in (4, 5):
        set_cell(tables["disbursements"], line, "capital_type", "recurrent")
    ds = load(tables)
    assert sorted(ds.units["unit_code"]) == sorted(u["unit_code"] for u in units)
    assert set(ds.allocations["unit_code"]) == {district["unit_code"]}
    assert "DA1" in set(ds.program_components["project_code"])
    assert len(ds.sources) > 0
    assert ds.targets.empty and list(ds.targets.columns) == schema.TARGETS.column_names


def test_disbursed_above_allocated_is_a_warning(load, valid_tables) -> None:
    set_cell(valid_tables["disbursements"], 2, "disbursed_cum_mvnd", "1100")
    set_cell(valid_tables["disbursements"], 3, "disbursed_cum_mvnd", "1200")
    ds = load(valid_tables)  # loads
    [w] = ds.warnings  # one per line, at its latest snapshot above the allocation
    assert w.severity == "warning"
    assert (w.file, w.row, w.column) == ("disbursements.csv", 3, "disbursed_cum_mvnd")
    text = str(w)
    for part in (
        "plan_year 2024",
        "unit 011",
        "project DA1",
        "sub-project -",
        "investment",
        "central",
        "2024-04-30",
        "1,200",
        "1,000",
        "disbursed above allocated",
    ):
        assert part in text
    assert intake.format_problems(ds.warnings) == text


@pytest.mark.parametrize(
    ("metadata", "ref", "demo"),
    [
        ([["demo", "true"]], "", True),
        ([["Demo", " YES "]], "", True),
        ([["demo", "1"]], "", True),
        ([["demo", "false"]], "", False),
        ([], "", False),
        ([], "DEMO-0001/QĐ-UBND", True),
        ([], "QĐ DEMO", False),
    ],
)
def test_demo_flag(load, valid_tables, metadata, ref, demo) -> None:
    valid_tables["metadata"] = [["key", "value"], *metadata]
    set_cell(valid_tables["allocations"], 3, "decision_ref", ref)
    ds = load(valid_tables)
    assert ds.demo is demo
    assert ds.allocations.attrs["demo"] is demo


def test_format_problems_one_line_each() -> None:
    problems = [
        InputProblem("warning: something odd", file="a.csv", row=3, severity="warning"),
        InputProblem(
            "not a number", file="a.csv", row=2, column="x", value="1\n2", expected="a number"
        ),
    ]
    lines = intake.format_problems(problems).splitlines()
    assert lines == [
        "a.csv, row 2, column 'x': not a number (value: '1\\n2'); expected a number",
        "a.csv, row 3: warning: something odd",
    ]


def test_lines_decided_after_a_unit_ceased_are_errors_one_per_line():
    # an error since issue 12 (a warning listing the rows before): the line belongs to the
    # units that took over the district's communes
    from helpers.data import reference

    units = reference.load("units")
    dcode = units.loc[units["level"] == "district", "unit_code"].iloc[0]
    alloc = pd.DataFrame(
        {
            "plan_year": [2025, 2025, 2025],
            "unit_code": [dcode] * 3,
            "project_code": ["DA1", "DA7", "DA8"],
            "subproject_code": [None] * 3,
            "capital_type": ["recurrent"] * 3,
            "source": ["central"] * 3,
            "amount_mvnd": [10.0, 20.0, 30.0],
            # valid_to of districts is 2025-06-30: rows 2 and 4 (CSV numbering) are after it
            "decision_date": pd.to_datetime(["2025-08-01", "2025-03-01", "2025-09-15"]),
        }
    )
    disb = pd.DataFrame(
        {
            "report_date": pd.to_datetime(["2025-10-31"]),
            "plan_year": [2025],
            "unit_code": [dcode],
            "project_code": ["DA8"],
            "subproject_code": [None],
            "capital_type": ["recurrent"],
            "source": ["central"],
            "disbursed_cum_mvnd": [5.0],
        }
    )
    with pytest.raises(InputError) as err:
        intake.validate_frames(
            {"allocations": alloc, "disbursements": disb}, origin="t", sha256="x"
        )
    problems = err.value.problems
    assert [(p.row, p.column, p.severity) for p in problems] == [
        (2, "unit_code", "error"),
        (4, "unit_code", "error"),
    ]
    assert all("district level was abolished" in p.message for p in problems)
