"""Inputs that used to pass validation and reach the briefs as wrong numbers or broken runs.

Each case starts from the valid input of ``conftest.py`` and states the problem a user must
see: file, row as the user sees it (CSV line, header = 1), column and a phrase of the message.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from helpers.core.errors import InputError
from helpers.core.files import atomic_write_json
from helpers.data import intake


def _col(rows: list[list[str]], name: str) -> int:
    return rows[0].index(name)


def _problems(folder: Path) -> list:
    with pytest.raises(InputError) as err:
        intake.load_dataset(folder)
    return [p for p in err.value.problems if p.severity == "error"]


def _with_lines(valid_tables, amounts: list[str]) -> dict:
    """The valid input with one 2024 DA1 investment line per amount, for units 011 and 012
    alternately (sub-project empty, central source); the original lines are kept."""
    t = valid_tables
    alloc = t["allocations"]
    base = alloc[1]
    for k, amount in enumerate(amounts):
        row = list(base)
        row[_col(alloc, "plan_year")] = str(2022 + k % 3)
        row[_col(alloc, "decision_date")] = f"15/03/{2022 + k % 3}"
        row[_col(alloc, "source")] = ["local", "credit", "other"][k // 3 % 3]
        row[_col(alloc, "unit_code")] = "011" if k % 2 == 0 else "012"
        row[_col(alloc, "amount_mvnd")] = amount
        alloc.append(row)
    return t


# ------------------------------------------------------------------ 8. amounts 1,000× too small
def test_ambiguous_amount_that_disagrees_with_its_neighbours_is_an_error(
    tmp_path, valid_tables, write_folder
):
    # every other amount is a plain decimal with a point (English convention) in the thousands;
    # "23.480" would be read as 23.48 by that convention, 1,000 times smaller than its peers
    t = _with_lines(valid_tables, ["1200.5", "2300.25", "4100.75", "23.480", "3300.5"])
    t["allocations"][1][_col(t["allocations"], "amount_mvnd")] = "1000.5"
    t["allocations"][2][_col(t["allocations"], "amount_mvnd")] = "5200.5"
    problems = _problems(write_folder(tmp_path / "in", t))
    assert len(problems) == 1
    p = problems[0]
    assert p.file == "allocations.csv" and p.row == 7 and p.column == "amount_mvnd"
    assert "23.48" in p.message and "23480" in (p.expected or "")


def test_ambiguous_amount_in_line_with_its_neighbours_is_read(tmp_path, valid_tables, write_folder):
    t = _with_lines(valid_tables, ["12.5", "23.25", "41.75", "23.480", "33.5"])
    t["allocations"][1][_col(t["allocations"], "amount_mvnd")] = "10.5"
    t["allocations"][2][_col(t["allocations"], "amount_mvnd")] = "52.5"
    ds = intake.load_dataset(write_folder(tmp_path / "in", t))
    assert 23.48 in ds.allocations["amount_mvnd"].round(3).tolist()


# ------------------------------------------------------------------ 9. inputs that slip through
def test_report_dated_before_the_decision_is_an_error(tmp_path, valid_tables, write_folder):
    # line 2 of allocations (unit 011) was decided on 15/03/2024; a report on 29/02/2024
    # already shows money disbursed
    d = valid_tables["disbursements"]
    d.append(list(d[1]))
    d[-1][_col(d, "report_date")] = "29/02/2024"
    d[-1][_col(d, "disbursed_cum_mvnd")] = "50"
    problems = _problems(write_folder(tmp_path / "in", valid_tables))
    assert [(p.file, p.row, p.column) for p in problems] == [
        ("disbursements.csv", 6, "report_date")
    ]
    assert "before the line's allocation decision" in problems[0].message
    assert "2024-03-15" in problems[0].message


def test_report_date_in_the_future_is_an_error(tmp_path, valid_tables, write_folder):
    d = valid_tables["disbursements"]
    d[2][_col(d, "report_date")] = "31/01/2100"
    problems = _problems(write_folder(tmp_path / "in", valid_tables))
    assert [(p.row, p.column) for p in problems] == [(3, "report_date")]
    assert "future" in problems[0].message


def test_extension_far_beyond_the_law_is_an_error(tmp_path, valid_tables, write_folder):
    a = valid_tables["allocations"]
    a[1][_col(a, "extended_until")] = "31/12/2100"
    problems = _problems(write_folder(tmp_path / "in", valid_tables))
    assert [(p.row, p.column) for p in problems] == [(2, "extended_until")]
    assert "2027-12-31" in (problems[0].expected or "")  # plan year 2024 + 3


def test_target_year_in_the_future_is_an_error(tmp_path, valid_tables, write_folder):
    tg = valid_tables["targets"]
    tg[1][_col(tg, "year")] = "2100"
    problems = _problems(write_folder(tmp_path / "in", valid_tables))
    assert [(p.file, p.row, p.column) for p in problems] == [("targets.csv", 2, "year")]


def test_one_unit_in_vnd_instead_of_million_vnd_is_an_error(tmp_path, valid_tables, write_folder):
    # twelve lines of a few thousand million VND; unit 012's two lines were typed in VND
    amounts = ["1200", "2300", "4100", "3300", "2500", "1800", "2900", "3100", "2200", "1700"]
    t = _with_lines(valid_tables, amounts)
    a = t["allocations"]
    a[1][_col(a, "amount_mvnd")] = "2000"
    for r in a[1:]:
        if r[_col(a, "unit_code")] in ("huyện Bảo Lạc", "012"):
            r[_col(a, "amount_mvnd")] = "250000000"  # 250 million VND typed in VND
    problems = _problems(write_folder(tmp_path / "in", t))
    rows = sorted(p.row for p in problems)
    assert rows == [3, 5, 7, 9, 11, 13]  # every line of unit 012, and no other
    assert all(p.column == "amount_mvnd" for p in problems)
    assert all("VND rather than million VND" in p.message for p in problems)


def test_one_line_a_thousand_times_its_peers_is_an_error(tmp_path, valid_tables, write_folder):
    amounts = ["1200", "2300", "4100", "3300", "2500", "1800", "2900", "3100", "2200", "1700"]
    t = _with_lines(valid_tables, amounts)
    a = t["allocations"]
    a[1][_col(a, "amount_mvnd")] = "2000"
    a[2][_col(a, "amount_mvnd")] = "1500"
    a[5][_col(a, "amount_mvnd")] = "4100000"  # 1,000 × its own 4100: typed with extra zeros
    problems = _problems(write_folder(tmp_path / "in", t))
    assert [(p.row, p.column) for p in problems] == [(6, "amount_mvnd")]  # a[5]: CSV line 6
    assert "1,000 times" in problems[0].message


def test_huge_excel_number_is_an_error_not_infinity(tmp_path, valid_tables):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in valid_tables.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    ws = wb["allocations"]
    ws.cell(row=2, column=valid_tables["allocations"][0].index("amount_mvnd") + 1, value=1e308)
    path = tmp_path / "in.xlsx"
    wb.save(path)
    problems = _problems(path)
    assert [(p.sheet, p.row, p.column) for p in problems] == [("allocations", 2, "amount_mvnd")]


# ------------------------------------------------------------------ 10. unit names
@pytest.mark.parametrize(
    ("name", "phrase"),
    [
        ("Bảo " + "Lạc " * 100, "too long"),
        ("Bảo\x00Lạc", "control character"),
        ("Bảo\u202eLạc", "control character"),
        ("Bảo\x1b[31mLạc", "control character"),
    ],
)
def test_unit_names_too_long_or_with_control_characters_are_errors(
    tmp_path, valid_tables, write_folder, name, phrase
):
    u = valid_tables["units"]
    u[3][_col(u, "name_vi")] = name
    u[3][_col(u, "name_en")] = "Bao Lac"
    a = valid_tables["allocations"]
    a[2][_col(a, "unit_code")] = "012"  # the line named the unit by its Vietnamese name
    problems = _problems(write_folder(tmp_path / "in", valid_tables))
    assert [(p.file, p.row, p.column) for p in problems] == [("units.csv", 4, "name_vi")]
    assert phrase in problems[0].message


def test_today_is_what_the_future_check_uses():
    assert dt.date.today().year >= 2026  # the demo's last report (31 Jan 2026) is in the past


# ------------------------------------------------------------------ 11. layouts officials send
def _workbook(tables: dict, path: Path, edit=None) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in tables.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    if edit:
        edit(wb)
    wb.save(path)
    return path


def test_a_title_row_above_the_header_is_found_and_said(tmp_path, valid_tables):
    def title(wb):
        wb["allocations"].insert_rows(1, amount=2)
        wb["allocations"]["A1"] = "KẾ HOẠCH VỐN CHƯƠNG TRÌNH MTQG 1719 NĂM 2024"

    path = _workbook(valid_tables, tmp_path / "in.xlsx", title)
    ds = intake.load_dataset(path)  # 19 problems, none naming the header row, before
    assert len(ds.allocations) == 2
    notes = [str(w) for w in ds.warnings if w.sheet == "allocations"]
    assert any("header" in n and "row 3" in n and "rows 1–2" in n for n in notes), notes


def test_merged_plan_year_cells_are_one_problem_without_knock_on_errors(tmp_path, valid_tables):
    a = valid_tables["allocations"]
    a[2][0] = ""  # the second line's plan year sits in a merged cell A2:A3

    def merge(wb):
        wb["allocations"].merge_cells("A2:A3")

    problems = _problems(_workbook(valid_tables, tmp_path / "in.xlsx", merge))
    assert len(problems) == 1  # 73 before: empty cells, then knock-on errors on other sheets
    p = problems[0]
    assert p.sheet == "allocations" and "A2:A3" in p.message and "merged" in p.message


def test_a_utf16_file_is_read(tmp_path, valid_tables, write_folder):
    folder = write_folder(tmp_path / "in", valid_tables)
    text = (folder / "targets.csv").read_text(encoding="utf-8")
    (folder / "targets.csv").write_bytes(text.replace(",", "\t").encode("utf-16"))  # BOM + LE
    ds = intake.load_dataset(folder)  # "not UTF-8 (byte 0xFF)" before
    assert ds.targets["name_vi"].tolist() == ["Tỷ lệ hộ nghèo"]


def test_every_json_written_is_strict(tmp_path):
    # JSON has no Infinity or NaN: writing one fails and leaves no file, never "Infinity"
    with pytest.raises(ValueError):
        atomic_write_json(tmp_path / "x.json", {"allocated_mvnd": float("inf")})
    assert not list(tmp_path.iterdir())
