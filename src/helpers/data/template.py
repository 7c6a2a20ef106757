"""The Excel intake workbook (``mtqg template OUT.xlsx [--province CODE]``).

One sheet per input table of :mod:`helpers.data.schema`, named like the table, with the header
row, a note on each header cell saying what the column means (Vietnamese first, English below),
number and date formats, and drop-down lists. The workbook is empty by default: the province
enters its own units, and the unit drop-downs of the other sheets list what it enters there
(other values, such as unit names, stay allowed). ``province=`` pre-fills the units, successions
and sources sheets with the shipped rows of that province (for Cao Bằng: 228 units, the 161
communes merged on 1 July 2025 and the unit each became). The national program structure
(program_components) is always filled. An ``instructions`` sheet explains the workbook in
Vietnamese and English (catalog domain ``template``); a hidden ``_lists`` sheet holds the
drop-down values. Text is never written as a live formula. A filled copy loads with
:func:`helpers.data.intake.load_dataset` without edits.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from helpers.core.errors import ParameterError
from helpers.core.files import atomic_write_bytes
from helpers.core.formatting import number
from helpers.core.text import LANG_NAMES, LANGS, tr
from helpers.data import reference
from helpers.data.deadlines import label_values
from helpers.data.hierarchy import scope_unit_codes
from helpers.data.schema import (
    BASELINE_YEAR,
    INPUT_TABLES,
    OUTLOOK_YEARS,
    REFORM_DATE,
    TABLES,
    TARGET_YEAR,
    Column,
)

TEMPLATE_ROWS = 5000
"""Rows of each data sheet covered by drop-downs and formats."""

INSTRUCTIONS_SHEET = "instructions"
LISTS_SHEET = "_lists"

_NUMBER_FORMATS = {"amount": "#,##0.000", "number": "#,##0.00", "int": "0", "date": "dd/mm/yyyy"}

INSTRUCTIONS: tuple[str, ...] = tuple(
    f"template.instructions.{key}"
    for key in (
        "title",
        "sheets",
        "amounts",
        "dates",
        "allocations",
        "disbursements",
        "targets",
        "plan",
        "reference",
        "successions",
        "codes",
        "check",
    )
)
"""Message ids (catalog domain ``template``) of the instructions sheet's rows, in order."""


EXAMPLE_DATE = pd.Timestamp("2024-05-21")
"""The date the instructions show as an example of day/month/year."""


def _instruction_values(lang: str) -> dict[str, str]:
    """The examples and names the instructions quote, formatted for ``lang``."""
    return {
        "program": tr("names.program_short", lang),
        "amount": number(1526790, lang),
        "date": EXAMPLE_DATE.strftime("%d/%m/%Y"),
        "baseline_year": str(BASELINE_YEAR),
        "target_year": str(TARGET_YEAR),
        "reform": REFORM_DATE.strftime("%d/%m/%Y"),
        "outlook_period": f"{OUTLOOK_YEARS[0]}–{OUTLOOK_YEARS[-1]}",
        "plan_sheet": "plan_2026_2030",
        **label_values(lang),
    }


def unit_choice(code: str, name_vi: str) -> str:
    """The drop-down text of a unit: ``"040 - Thành phố Cao Bằng"`` (the loader accepts it)."""
    return f"{code} - {name_vi}"


def _unit_choices() -> list[str]:
    """Formulas that show each unit entered on the units sheet as ``"CODE - Name"`` (the
    drop-down's values follow what the user types there)."""
    names = TABLES["units"].column_names
    code = get_column_letter(names.index("unit_code") + 1)
    name = get_column_letter(names.index("name_vi") + 1)
    return [
        f'=IF(units!${code}{i}="","",units!${code}{i}&" - "&units!${name}{i})'
        for i in range(2, TEMPLATE_ROWS + 2)
    ]


def _lists(components: pd.DataFrame) -> dict[str, list[str]]:
    subs = components["subproject_code"].dropna().astype(str).tolist()
    return {
        "unit_code": _unit_choices(),
        "project_code": sorted(
            components["project_code"].astype(str).unique(),
            key=lambda c: int(c[2:]) if c[2:].isdigit() else 99,
        ),
        "subproject_code": subs,
        "capital_type": list(TABLES["allocations"].column("capital_type").allowed or ()),
        "source": list(TABLES["allocations"].column("source").allowed or ()),
        "direction": list(TABLES["targets"].column("direction").allowed or ()),
        "level": list(TABLES["units"].column("level").allowed or ()),
    }


def _write_lists(wb: Workbook, lists: dict[str, list[str]]) -> dict[str, str]:
    ws = wb.create_sheet(LISTS_SHEET)
    refs: dict[str, str] = {}
    for j, (name, values) in enumerate(lists.items(), start=1):
        letter = get_column_letter(j)
        ws.cell(row=1, column=j, value=name)
        for i, v in enumerate(values, start=2):
            ws.cell(row=i, column=j, value=v)  # our own list formulas, never user data
        refs[name] = f"'{LISTS_SHEET}'!${letter}$2:${letter}${max(2, len(values) + 1)}"
    ws.sheet_state = "hidden"
    return refs


def _cell_value(value: object) -> object:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.to_pydatetime()
    return value


def write_value(ws, row: int, column: int, value: object):
    """Write a data value into a cell; text is always stored as text, never as a formula
    (openpyxl would turn "=…" into one)."""
    cell = ws.cell(row=row, column=column, value=_cell_value(value))
    if isinstance(cell.value, str) and cell.data_type == "f":
        cell.data_type = "s"
    return cell


def _header_note(col: Column) -> str:
    """The header cell's note: what the column holds, in Vietnamese then English."""
    need = "required" if col.required and not col.nullable else "optional"
    return "\n\n".join(
        f"{tr(f'template.column.{col.name}', lang)} {tr(f'template.column.{need}', lang)}"
        for lang in LANGS
    )


def _write_table_sheet(
    wb: Workbook, table_name: str, refs: dict[str, str], rows: pd.DataFrame | None
) -> None:
    table = TABLES[table_name]
    ws = wb.create_sheet(table_name)
    header_fill = PatternFill("solid", fgColor="DCE6F1")
    for j, col in enumerate(table.columns, start=1):
        cell = ws.cell(row=1, column=j, value=col.name)
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center")
        cell.comment = Comment(_header_note(col), "mtqg", width=320, height=140)
        letter = get_column_letter(j)
        ws.column_dimensions[letter].width = max(14, len(col.name) + 4)
        _apply_format(ws, col, letter)
        _apply_validation(ws, col, letter, refs, table_name)
    ws.freeze_panes = "A2"
    if rows is not None:
        for i, rec in enumerate(
            rows.reindex(columns=table.column_names).itertuples(index=False), start=2
        ):
            for j, (col, value) in enumerate(zip(table.columns, rec, strict=True), start=1):
                write_value(ws, i, j, value).number_format = number_format(col)


def number_format(col: Column) -> str:
    """Excel number format of a column ("@" = text, which keeps codes like "040" intact)."""
    return _NUMBER_FORMATS.get(col.kind, "@")


def _apply_format(ws, col: Column, letter: str) -> None:
    """Column-wide format (applies to the empty cells a user types into)."""
    ws.column_dimensions[letter].number_format = number_format(col)


_UNIT_COLUMNS: frozenset[tuple[str, str]] = frozenset(
    {("units", "parent_code"), ("successions", "former_code"), ("successions", "new_code")}
)
"""Columns of reference sheets that hold a unit code: their drop-down lists the units."""


def _apply_validation(ws, col: Column, letter: str, refs: dict[str, str], table_name: str) -> None:
    rng = f"{letter}2:{letter}{TEMPLATE_ROWS + 1}"
    key = col.name
    if (table_name, key) in _UNIT_COLUMNS:
        key = "unit_code"
    list_name = (
        key
        if key in refs and table_name not in ("units", "program_components", "sources")
        else None
    )
    if table_name == "units" and col.name == "level":
        list_name = "level"
    if list_name:
        dv = DataValidation(
            type="list",
            formula1=refs[list_name],
            allow_blank=True,
            # a unit may also be typed by name: the list helps, it does not forbid
            showErrorMessage=list_name != "unit_code",
            errorTitle="mtqg",
            error=f"{col.name}: pick a value from the list",
        )
        ws.add_data_validation(dv)
        dv.add(rng)
    elif col.kind == "amount":
        dv = DataValidation(
            type="decimal",
            operator="greaterThanOrEqual",
            formula1="0",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="mtqg",
            error=f"{col.name}: a number ≥ 0 (million VND)",
        )
        ws.add_data_validation(dv)
        dv.add(rng)


def province_rows(province: str) -> dict[str, pd.DataFrame]:
    """The shipped units of ``province`` (the province and every unit below it), the
    successions between them and the sources their rows and the program structure cite.

    Raises:
        ParameterError: no shipped unit has that province code.
    """
    units = reference.load("units")
    provinces = units.loc[units["level"] == "province", "unit_code"].astype(str).tolist()
    if province not in provinces:
        raise ParameterError(
            f"template: no shipped units for province {province!r}; shipped: "
            + (", ".join(provinces) or "none")
            + ". Leave --province out to get an empty workbook"
        )
    mine = units[units["unit_code"].astype(str).isin(scope_unit_codes(units, province))]
    succ = reference.load("successions")
    codes = set(mine["unit_code"].astype(str))
    succ = succ[
        succ["former_code"].astype(str).isin(codes) & succ["new_code"].astype(str).isin(codes)
    ]
    sources = reference.load("sources")
    # the program structure the workbook always carries cites its sources too
    structure = reference.load("program_components")
    cited = {str(s) for frame in (mine, succ, structure) for s in frame["source_id"].dropna()}
    return {
        "units": mine,
        "successions": succ,
        "sources": sources[sources["source_id"].astype(str).isin(cited)],
    }


def build_template(
    filled: dict[str, pd.DataFrame] | None = None, province: str | None = None
) -> Workbook:
    """The intake workbook; ``filled`` optionally gives rows to write into the sheets.

    The program structure is filled with the shipped rows unless ``filled`` has them; the
    units and sources sheets are empty unless ``filled`` has them or ``province`` names a
    province whose units ship with the package (:func:`province_rows`).
    """
    filled = {**(province_rows(province) if province else {}), **(filled or {})}
    filled.setdefault("program_components", reference.load("program_components"))
    wb = Workbook()
    ws = wb.active
    ws.title = INSTRUCTIONS_SHEET
    ws.append([LANG_NAMES[lang] for lang in LANGS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for msgid in INSTRUCTIONS:
        ws.append([tr(msgid, lang, **_instruction_values(lang)) for lang in LANGS])
    ws.column_dimensions["A"].width = 90
    ws.column_dimensions["B"].width = 90
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    refs = _write_lists(wb, _lists(filled["program_components"]))
    for name in INPUT_TABLES:
        _write_table_sheet(wb, name, refs, filled.get(name))
    wb.move_sheet(LISTS_SHEET, offset=len(wb.sheetnames))
    return wb


def write_template(
    path: str | Path, filled: dict[str, pd.DataFrame] | None = None, province: str | None = None
) -> Path:
    """Write the intake workbook to ``path`` (atomically); see :func:`build_template`."""
    buf = BytesIO()
    build_template(filled, province).save(buf)
    return atomic_write_bytes(path, buf.getvalue())
