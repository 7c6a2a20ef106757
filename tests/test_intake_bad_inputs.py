"""Bad inputs: each mutation of the valid fixture must be reported where the user can find it.

Every case mutates the valid input of ``conftest.py`` (CSV folder, or workbook for sheet
cases) and states the problem expected: file (or sheet), row as the user sees it (CSV line,
header = 1), column, a phrase of the message or expectation, and how many errors the input
has in total (so a case cannot pass by accident on another problem, and cascades are known).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest

from helpers.core.errors import InputError, InputProblem
from helpers.data import intake

Tables = dict[str, list[list[str]] | bytes]


def cell(tables: Tables, table: str, line: int, column: str, value: str) -> None:
    rows = tables[table]
    assert isinstance(rows, list)
    rows[line - 1][rows[0].index(column)] = value


def setter(table: str, line: int, column: str, value: str) -> Callable[[Tables], None]:
    return lambda t: cell(t, table, line, column, value)


def drop_column(table: str, column: str) -> Callable[[Tables], None]:
    def mutate(t: Tables) -> None:
        rows = t[table]
        j = rows[0].index(column)
        t[table] = [r[:j] + r[j + 1 :] for r in rows]

    return mutate


def rename_column(table: str, old: str, new: str) -> Callable[[Tables], None]:
    def mutate(t: Tables) -> None:
        t[table][0][t[table][0].index(old)] = new

    return mutate


def append_copy(table: str, line: int, **changes: str) -> Callable[[Tables], None]:
    def mutate(t: Tables) -> None:
        row = list(t[table][line - 1])
        for col, value in changes.items():
            row[t[table][0].index(col)] = value
        t[table].append(row)

    return mutate


def replace(table: str, content: bytes | None) -> Callable[[Tables], None]:
    def mutate(t: Tables) -> None:
        if content is None:
            del t[table]
        else:
            t[table] = content

    return mutate


def header_only(table: str) -> Callable[[Tables], None]:
    return lambda t: t.__setitem__(table, t[table][:1])


def cp1258(table: str) -> Callable[[Tables], None]:
    """The table saved in the Windows Vietnamese code page (as Excel's plain "CSV" does).

    cp1258 has the letters â, ê, ô, ơ, ư, ă, đ precomposed and the tones as combining marks.
    """
    tones = set("\u0300\u0301\u0303\u0309\u0323")

    def letter(ch: str) -> str:
        marks = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in marks if c not in tones))
        return base + "".join(c for c in marks if c in tones)

    def mutate(t: Tables) -> None:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(t[table])
        text = unicodedata.normalize("NFC", buf.getvalue())
        t[table] = "".join(map(letter, text)).encode("cp1258")

    return mutate


def rename_sheet(old: str, new: str) -> Callable[[Tables], None]:
    return lambda t: t.__setitem__(new, t.pop(old))


@dataclass(frozen=True)
class Case:
    id: str
    mutate: Callable[[Tables], None]
    file: str
    row: int | None
    column: str | None
    phrases: tuple[str, ...]
    errors: int = 1
    sheet: str | None = None
    workbook: bool = False


CASES = [
    Case(
        "missing-column",
        drop_column("allocations", "amount_mvnd"),
        "allocations.csv",
        1,
        "amount_mvnd",
        ("missing column 'amount_mvnd'", "columns present: plan_year"),
    ),
    Case(
        "unknown-column",
        rename_column("allocations", "note", "notes"),
        "allocations.csv",
        1,
        "notes",
        ("unknown column 'notes'", "did you mean 'note'"),
    ),
    Case(
        "empty-file",
        replace("disbursements", b""),
        "disbursements.csv",
        None,
        None,
        ("file is empty",),
    ),
    Case(
        "header-only-allocations",
        header_only("allocations"),
        "allocations.csv",
        1,
        None,
        ("file is empty", "no data rows"),
    ),
    Case(
        "missing-allocations-file",
        replace("allocations", None),
        "allocations.csv",
        None,
        None,
        ("missing file 'allocations.csv'",),
    ),
    Case(
        "not-utf8",
        cp1258("allocations"),
        "allocations.csv",
        3,
        None,
        ("not UTF-8", "save as 'CSV UTF-8'"),
    ),
    Case(
        "unknown-unit-name",
        setter("allocations", 3, "unit_code", "Bao Lak"),
        "allocations.csv",
        3,
        "unit_code",
        ("unknown unit", "did you mean Bảo Lạc (012)"),
        errors=3,
    ),  # + the two snapshots of the line it broke
    Case(
        "unknown-unit-code",
        setter("disbursements", 2, "unit_code", "099"),
        "disbursements.csv",
        2,
        "unit_code",
        ("unknown unit", "listed in units.csv"),
    ),
    Case(
        "unknown-project",
        setter("disbursements", 2, "project_code", "DA11"),
        "disbursements.csv",
        2,
        "project_code",
        ("unknown project code", "DA1, DA3, DA4"),
    ),
    Case(
        "subproject-of-other-project",
        setter("disbursements", 4, "subproject_code", "DA4.TDA1"),
        "disbursements.csv",
        4,
        "subproject_code",
        ("belongs to project DA4", "DA3's sub-projects: DA3.TDA1, DA3.TDA2"),
    ),
    Case(
        "unknown-subproject",
        setter("allocations", 3, "subproject_code", "DA3.TDA9"),
        "allocations.csv",
        3,
        "subproject_code",
        ("not part of project DA3",),
        errors=3,
    ),
    Case(
        "unknown-capital-type",
        setter("disbursements", 3, "capital_type", "vốn vay"),
        "disbursements.csv",
        3,
        "capital_type",
        ("unknown capital type", "one of investment, recurrent"),
    ),
    Case(
        "unknown-source",
        setter("disbursements", 2, "source", "ODA"),
        "disbursements.csv",
        2,
        "source",
        ("unknown source", "one of central, local, credit, other"),
    ),
    Case(
        "negative-amount",
        setter("allocations", 2, "amount_mvnd", "-5"),
        "allocations.csv",
        2,
        "amount_mvnd",
        ("negative amount", "≥ 0"),
    ),
    Case(
        "non-numeric-amount",
        setter("allocations", 3, "amount_mvnd", "abc"),
        "allocations.csv",
        3,
        "amount_mvnd",
        ("not a number", "million VND"),
    ),
    Case(
        "amount-with-unit-word",
        setter("allocations", 2, "amount_mvnd", "12 tỷ"),
        "allocations.csv",
        2,
        "amount_mvnd",
        ("not a number", "digits only"),
    ),
    Case(
        "ambiguous-number-dot",
        setter("targets", 2, "baseline_value", "1.526"),
        "targets.csv",
        2,
        "baseline_value",
        ("ambiguous number", "no other number in the file", "1526 for the whole number"),
    ),
    Case(
        "ambiguous-amount-comma",
        setter("disbursements", 3, "disbursed_cum_mvnd", "2,500"),
        "disbursements.csv",
        3,
        "disbursed_cum_mvnd",
        ("ambiguous number", "2500"),
    ),
    Case(
        "nan-amount",
        setter("disbursements", 5, "disbursed_cum_mvnd", "NaN"),
        "disbursements.csv",
        5,
        "disbursed_cum_mvnd",
        ("not a number",),
    ),
    Case(
        "empty-required-cell",
        setter("allocations", 2, "decision_date", ""),
        "allocations.csv",
        2,
        "decision_date",
        ("empty cell", "this column is required"),
    ),
    Case(
        "bad-date-text",
        setter("disbursements", 3, "report_date", "April 2024"),
        "disbursements.csv",
        3,
        "report_date",
        ("not a date", "dd/mm/yyyy"),
    ),
    Case(
        "impossible-date",
        setter("allocations", 2, "decision_date", "31/02/2024"),
        "allocations.csv",
        2,
        "decision_date",
        ("impossible date", "no day 31 in month 2"),
    ),
    Case(
        "month-first-date",
        setter("disbursements", 2, "report_date", "03/31/2024"),
        "disbursements.csv",
        2,
        "report_date",
        ("impossible date", "read day first"),
    ),
    Case(
        "excel-serial-as-text",
        setter("allocations", 2, "decision_date", "45366"),
        "allocations.csv",
        2,
        "decision_date",
        ("Excel serial", "dd/mm/yyyy"),
    ),
    Case(
        "plan-year-out-of-range",
        setter("disbursements", 2, "plan_year", "2019"),
        "disbursements.csv",
        2,
        "plan_year",
        ("out of range", "between 2021 and 2030"),
    ),
    Case(
        "non-integer-plan-year",
        setter("allocations", 3, "plan_year", "2024.5"),
        "allocations.csv",
        3,
        "plan_year",
        ("not a whole number",),
        errors=3,
    ),
    Case(
        "decreasing-cumulative",
        setter("disbursements", 3, "disbursed_cum_mvnd", "50"),
        "disbursements.csv",
        3,
        "disbursed_cum_mvnd",
        ("decreases", "100 on 2024-03-31 (row 2)", "50 on 2024-04-30 (row 3)"),
    ),
    Case(
        "disbursement-without-allocation",
        setter("disbursements", 5, "source", "local"),
        "disbursements.csv",
        5,
        None,
        ("no allocation line", "project DA3, sub-project DA3.TDA1, recurrent, local"),
    ),
    Case(
        "duplicate-allocation-key",
        append_copy("allocations", 2, amount_mvnd="7"),
        "allocations.csv",
        4,
        None,
        ("duplicate key: rows 2 and 4", "unit_code=011"),
    ),
    Case(
        "duplicate-snapshot",
        append_copy("disbursements", 3),
        "disbursements.csv",
        6,
        None,
        ("duplicate key: rows 3 and 6", "report_date=2024-04-30"),
    ),
    Case(
        "report-date-before-plan-year",
        setter("disbursements", 2, "report_date", "31/12/2023"),
        "disbursements.csv",
        2,
        "report_date",
        ("before plan year 2024", "2024-01-01"),
    ),
    Case(
        "extension-not-past-deadline",
        setter("allocations", 2, "extended_until", "31/01/2025"),
        "allocations.csv",
        2,
        "extended_until",
        ("does not run past the regular deadline 2025-01-31",),
    ),
    Case(
        "decision-long-before-plan-year",
        setter("allocations", 3, "decision_date", "2022-12-31"),
        "allocations.csv",
        3,
        "decision_date",
        ("far from plan year 2024", "2023-01-01"),
    ),
    Case(
        "decision-after-plan-year",
        setter("allocations", 2, "decision_date", "02/01/2025"),
        "allocations.csv",
        2,
        "decision_date",
        ("far from plan year 2024", "2024-12-31"),
    ),
    Case(
        "bad-direction",
        setter("targets", 2, "direction", "down"),
        "targets.csv",
        2,
        "direction",
        ("unknown direction", "higher_better, lower_better"),
    ),
    Case(
        "duplicate-target",
        append_copy("targets", 2, actual_value="31"),
        "targets.csv",
        3,
        None,
        ("duplicate key: rows 2 and 3", "indicator_code=poverty"),
    ),
    Case(
        "unknown-parent-unit",
        setter("units", 3, "parent_code", "999"),
        "units.csv",
        3,
        "parent_code",
        ("unknown parent unit",),
    ),
    Case(
        "data-without-header",
        lambda t: [r.append("x" if i else "") for i, r in enumerate(t["metadata"])],
        "metadata.csv",
        2,
        None,
        ("column 3 has data but no header",),
    ),
    Case(
        "wrong-sheet-name",
        rename_sheet("allocations", "Allocation"),
        "input.xlsx",
        None,
        None,
        ("unknown sheet 'Allocation'", "did you mean 'allocations'"),
        errors=2,
        sheet="Allocation",
        workbook=True,
    ),  # + missing sheet 'allocations'
    Case(
        "missing-sheet",
        replace("disbursements", None),
        "input.xlsx",
        None,
        None,
        ("missing sheet 'disbursements'",),
        workbook=True,
    ),
    Case(
        "bad-cell-in-sheet",
        setter("allocations", 3, "amount_mvnd", "abc"),
        "input.xlsx",
        3,
        "amount_mvnd",
        ("not a number",),
        sheet="allocations",
        workbook=True,
    ),
]


def _write(tmp_path: Path, tables: Tables, workbook: bool) -> Path:
    if not workbook:
        folder = tmp_path / "input"
        folder.mkdir()
        for name, content in tables.items():
            if isinstance(content, list):
                buf = io.StringIO()
                csv.writer(buf, lineterminator="\n").writerows(content)
                content = buf.getvalue().encode()
            (folder / f"{name}.csv").write_bytes(content)
        return folder
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in tables.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append([v if v != "" else None for v in row])
    path = tmp_path / "input.xlsx"
    wb.save(path)
    return path


def _matches(p: InputProblem, case: Case) -> bool:
    return (
        p.file is not None
        and Path(p.file).name == case.file
        and p.sheet == case.sheet
        and p.row == case.row
        and p.column == case.column
    )


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_reported_where_the_user_finds_it(tmp_path, valid_tables, case) -> None:
    case.mutate(valid_tables)
    with pytest.raises(InputError) as info:
        intake.load_dataset(_write(tmp_path, valid_tables, case.workbook))
    errors = [p for p in info.value.problems if p.severity == "error"]
    hits = [p for p in errors if _matches(p, case)]
    assert len(hits) == 1, f"no problem at {case}: {intake.format_problems(errors)}"
    text = str(info.value)
    location = hits[0].location()
    assert location in text  # the message names file/sheet, row and column as located
    for part in (
        case.file,
        case.sheet and f"sheet '{case.sheet}'",
        case.row and f"row {case.row}",
        case.column and f"column '{case.column}'",
    ):
        assert part is None or part in location
    for phrase in case.phrases:
        assert phrase in str(hits[0])
    assert len(errors) == case.errors, intake.format_problems(errors)


def test_case_count() -> None:
    assert len({c.id for c in CASES}) == len(CASES) >= 28


def test_every_problem_of_a_file_is_reported_together(tmp_path, valid_tables) -> None:
    cell(valid_tables, "allocations", 2, "amount_mvnd", "-1")  # negative
    cell(valid_tables, "allocations", 2, "decision_date", "32/01/2024")  # impossible
    cell(valid_tables, "allocations", 3, "amount_mvnd", "12 tỷ")  # words
    cell(valid_tables, "allocations", 3, "extended_until", "soon")  # not a date
    cell(valid_tables, "disbursements", 3, "disbursed_cum_mvnd", "10")  # decreasing
    cell(valid_tables, "targets", 2, "direction", "up")  # another file
    valid_tables["sources"] = b"\xff\xfe"  # unusable reference file: the rest is still checked
    with pytest.raises(InputError) as info:
        intake.load_dataset(_write(tmp_path, valid_tables, False))
    got = sorted((Path(p.file).name, p.row or 0, p.column or "") for p in info.value.problems)
    assert got == [
        ("allocations.csv", 2, "amount_mvnd"),
        ("allocations.csv", 2, "decision_date"),
        ("allocations.csv", 3, "amount_mvnd"),
        ("allocations.csv", 3, "extended_until"),
        ("disbursements.csv", 3, "disbursed_cum_mvnd"),
        ("sources.csv", 1, ""),
        ("targets.csv", 2, "direction"),
    ]
    assert str(info.value).startswith("7 problems in the input:")


def test_missing_required_column_skips_only_that_table(tmp_path, valid_tables) -> None:
    drop = drop_column("allocations", "decision_date")
    drop(valid_tables)
    cell(valid_tables, "allocations", 2, "amount_mvnd", "abc")  # not reported: table skipped
    cell(valid_tables, "disbursements", 2, "report_date", "x")  # still reported
    with pytest.raises(InputError) as info:
        intake.load_dataset(_write(tmp_path, valid_tables, False))
    got = [(Path(p.file).name, p.row, p.column) for p in info.value.problems]
    assert got == [("allocations.csv", 1, "decision_date"), ("disbursements.csv", 2, "report_date")]


def test_disbursed_above_allocated_only_warns(tmp_path, valid_tables) -> None:
    cell(valid_tables, "disbursements", 5, "disbursed_cum_mvnd", "1.600.000")
    ds = intake.load_dataset(_write(tmp_path, valid_tables, False))
    [w] = ds.warnings
    assert (w.severity, w.file, w.row) == ("warning", "disbursements.csv", 5)
    assert "unit 012, project DA3, sub-project DA3.TDA1, recurrent, central" in w.message
    assert "1,600,000 disbursed by 2025-01-31 > 1,526,790.5 allocated" in w.message


def test_input_that_is_neither_folder_nor_workbook(tmp_path) -> None:
    stray = tmp_path / "allocations.csv"
    stray.write_text("plan_year\n2024\n")
    for path in (stray, tmp_path / "nothing"):
        with pytest.raises(InputError, match="a folder of CSV files or an .xlsx workbook"):
            intake.load_dataset(path)
