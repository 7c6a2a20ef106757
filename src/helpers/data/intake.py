"""Load input files into a validated :class:`~helpers.data.dataset.Dataset`, reporting every problem.

Two routes, one core:

* :func:`load_dataset` reads a folder of CSV files or one ``.xlsx`` workbook into *raw frames*
  (cells as the file holds them) plus a :class:`Location` per table;
* :func:`validate_frames` (also used directly by the demo generator with already-typed values)
  parses every cell according to :attr:`helpers.data.schema.Column.kind`, resolves unit names,
  program codes and enum aliases, checks the rules of ``design/data-model.md`` within and
  across tables, and validates each table with :func:`helpers.data.schema.pandera_schema`.

Every problem becomes an :class:`~helpers.core.errors.InputProblem` naming the file (and sheet), the
row as the user sees it, the column, the value and what was expected; all of them are raised
together as one :class:`~helpers.core.errors.InputError`. A table that is structurally unusable
(missing, empty, unreadable, missing required columns) is reported once and its row checks,
and the cross-table checks that need it, are skipped; the other tables are still checked.
Warnings (severity ``"warning"``, message starting ``"warning:"``) do not stop a load; they
are kept in :attr:`Dataset.warnings`.

Locating rows
    Each raw table has a :class:`Location`: the file (and sheet) it came from, the row of its
    header and the user row number of every data row. CSV rows are numbered by the *line* on
    which the record starts (header on line 1; a quoted cell spanning several lines makes the
    next record start further down, and that is the number reported). Excel rows are the
    sheet's row numbers. Frames given to :func:`validate_frames` without a location are
    numbered like a CSV file named after the table (first data row = row 2).

Blank rows
    A row is skipped only when *every* cell is empty (blank lines, empty Excel rows under the
    data); that is not dropping data. Any row with one non-empty cell is parsed and reported.

Numbers
    Cells of kind ``amount``/``number`` accept numbers and text such as ``1526790``,
    ``1526790.5``, ``1.526.790`` or ``1.526.790,5`` (Vietnamese grouping: at least two dot
    groups) and ``1,526,790`` or ``1,526,790.5`` (English grouping). A single dot is always a
    decimal point: ``"1.526"`` reads as 1.526, not 1526. Unit words (``"12 tỷ"``), NaN and
    infinity are errors; amounts must be ≥ 0.

Dates
    Dates from Excel (and ``datetime``/``Timestamp`` values) are taken as they are; text is
    read as ISO ``yyyy-mm-dd`` or day-first ``dd/mm/yyyy`` (also ``-`` or ``.`` as separator),
    never month-first. A bare number in a date column (an Excel serial) is an error.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import difflib
import functools
import hashlib
import io
import math
import numbers
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pandera.pandas as pa
from openpyxl.utils.exceptions import InvalidFileException

from helpers.core import paths
from helpers.core.errors import InputError, InputProblem
from helpers.data import schema
from helpers.data.dataset import Dataset
from helpers.data.schema import Column, Table
from helpers.data.units import UnitResolver, enum_resolver, split_dropdown

HELPER_SHEETS: tuple[str, ...] = ("instructions", "huong_dan", "lists", "_lists")
"""Sheets of the Excel template that hold no table (compared case-insensitively)."""

WORKBOOK_SUFFIXES: tuple[str, ...] = (".xlsx", ".xlsm")

_ORDER: tuple[str, ...] = tuple(
    sorted(
        schema.INPUT_TABLES,
        key=lambda n: (not schema.TABLES[n].reference, schema.INPUT_TABLES.index(n)),
    )
)
"""Reference tables first: the others are resolved against them."""

_REQUIRED = frozenset(schema.REQUIRED_INPUT_TABLES)
_WARNING = "warning"
_EMPTY = " is empty"

DATE_EXPECTED = "a date as dd/mm/yyyy (day first) or yyyy-mm-dd"


# --------------------------------------------------------------------------- locations
@dataclass(frozen=True)
class Location:
    """Where the rows of one raw table come from, to name them as the user sees them.

    Attributes:
        file: file name shown in messages (the CSV file, or the workbook).
        sheet: sheet name for a workbook, else ``None``.
        header_row: user row number of the header (1 unless blank lines precede it).
        rows: user row number of each data row of the raw frame, in order; ``None`` means
            consecutive rows right after the header.
    """

    file: str
    sheet: str | None = None
    header_row: int = 1
    rows: tuple[int, ...] | None = None

    def row(self, i: int) -> int:
        """User row number of the ``i``-th (0-based) data row of the raw frame."""
        if self.rows is not None and i < len(self.rows):
            return self.rows[i]
        return self.header_row + 1 + i

    @property
    def what(self) -> str:
        """ "sheet" or "file", for messages."""
        return "sheet" if self.sheet else "file"

    def problem(self, message: str, **kw: object) -> InputProblem:
        """An :class:`InputProblem` at this location (``row``, ``column``, … as keywords)."""
        return InputProblem(message, file=self.file, sheet=self.sheet, **kw)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- cells
class _CellError(Exception):
    """A cell that cannot be read as its column's kind."""

    def __init__(self, message: str, expected: str) -> None:
        super().__init__(message)
        self.message = message
        self.expected = expected


def is_empty(value: object) -> bool:
    """True for an empty cell: ``None``, NaN, NaT, ``pd.NA`` or blank text."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _as_text(value: object) -> str:
    """A cell as NFC text, stripped; integral floats lose their ``.0`` (Excel numbers)."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool | np.bool_):
        text = "true" if value else "false"
    elif isinstance(value, numbers.Integral):
        text = str(int(value))
    elif isinstance(value, float | np.floating) and float(value).is_integer():
        text = str(int(value))
    elif isinstance(value, dt.datetime):
        ts = pd.Timestamp(value)
        text = ts.date().isoformat() if ts == ts.normalize() else ts.isoformat(sep=" ")
    elif isinstance(value, dt.date):
        text = value.isoformat()
    else:
        text = str(value)
    return unicodedata.normalize("NFC", text).strip()


def _range_expected(column: Column) -> str:
    lo, hi = column.min_value, column.max_value
    if lo is not None and hi is not None:
        return f"a value between {lo:g} and {hi:g}"
    return f"a value ≥ {lo:g}" if lo is not None else f"a value ≤ {hi:g}"


def _check_range(x: float, column: Column) -> None:
    too_low = column.min_value is not None and x < column.min_value
    too_high = column.max_value is not None and x > column.max_value
    if column.kind == "amount" and too_low and column.min_value == 0:
        raise _CellError("negative amount", "an amount ≥ 0 (million VND)")
    if too_low or too_high:
        raise _CellError(f"{column.name} out of range", _range_expected(column))


def _parse_int(value: object, column: Column) -> int:
    expected = "a whole number" + (
        f" ({_range_expected(column)})" if column.min_value is not None else ""
    )
    if isinstance(value, bool | np.bool_):
        raise _CellError("not a whole number", expected)
    if isinstance(value, numbers.Integral):
        n = int(value)
    elif isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer():
        n = int(value)
    elif isinstance(value, str) and (m := re.fullmatch(r"([+-]?\d+)(?:\.0*)?", value.strip())):
        n = int(m.group(1))
    else:
        raise _CellError("not a whole number", expected)
    _check_range(n, column)
    return n


_PLAIN = re.compile(r"[+-]?(?:\d+(?:\.\d+)?|\.\d+)")
_VI_DECIMAL = re.compile(r"[+-]?\d+,\d+")
_VI_GROUPED = re.compile(r"[+-]?\d{1,3}(?:\.\d{3}){2,}(?:,\d+)?|[+-]?\d{1,3}\.\d{3},\d+")
_EN_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3}){2,}(?:\.\d+)?|[+-]?\d{1,3},\d{3}\.\d+")
_AMBIGUOUS = re.compile(r"[+-]?[1-9]\d{0,2}[.,]\d{3}")
"""One separator followed by exactly three digits: "1.526" and "1,526" each read as a
thousands group in one convention and a decimal mark in the other."""


class AmbiguousNumber(ValueError):
    """A number text that reads differently in Vietnamese and English conventions."""


def number_evidence(text: str) -> str | None:
    """Which decimal convention an unambiguous number text shows: "en", "vi" or None."""
    t = text.strip()
    if _AMBIGUOUS.fullmatch(t):
        return None
    if _EN_GROUPED.fullmatch(t) or ("." in t and _PLAIN.fullmatch(t)):
        return "en"
    if _VI_GROUPED.fullmatch(t) or _VI_DECIMAL.fullmatch(t):
        return "vi"
    return None


def number_convention(values: Iterable[object]) -> str | None:
    """The decimal convention of a file's number texts: "en", "vi", "mixed" or None (no
    unambiguous evidence). Cells that are already numbers (Excel) say nothing."""
    seen = {number_evidence(v) for v in values if isinstance(v, str)} - {None}
    if len(seen) > 1:
        return "mixed"
    return seen.pop() if seen else None


def parse_number_text(text: str, convention: str | None = None) -> float | None:
    """A number written as text, or ``None`` when the text is not one.

    Accepted: ``"1526790.5"``, ``"1526790,5"`` (decimal comma), ``"1.526.790"``,
    ``"1.526.790,5"``, ``"1.526,5"`` (Vietnamese grouping), ``"1,526,790"``,
    ``"1,526,790.5"``, ``"1,526.5"`` (English grouping).

    One separator followed by exactly three digits (``"1.526"``, ``"1,526"``) is 1526 in one
    convention and 1.526 in the other: it is read with ``convention`` ("en": "." is the
    decimal mark; "vi": "," is), which :func:`number_convention` derives from the other
    numbers of the same file.

    Raises:
        AmbiguousNumber: such a text when ``convention`` is None or "mixed".

    >>> parse_number_text("1.526.790,5"), parse_number_text("0.125"), parse_number_text("12 tỷ")
    (1526790.5, 0.125, None)
    """
    t = text.strip()
    if _AMBIGUOUS.fullmatch(t):
        if convention == "en":
            return float(t.replace(",", ""))
        if convention == "vi":
            return float(t.replace(".", "").replace(",", "."))
        raise AmbiguousNumber(t)
    if _PLAIN.fullmatch(t):
        return float(t)
    if _VI_DECIMAL.fullmatch(t):
        return float(t.replace(",", "."))
    if _VI_GROUPED.fullmatch(t):
        return float(t.replace(".", "").replace(",", "."))
    if _EN_GROUPED.fullmatch(t):
        return float(t.replace(",", ""))
    return None


def _parse_number(value: object, column: Column, convention: str | None = None) -> float:
    unit = "million VND (triệu đồng), digits only" if column.kind == "amount" else "a number"
    expected = f"{unit}, e.g. 1526790, 1.526.790,5 or 1,526,790.5"
    if isinstance(value, bool | np.bool_):
        raise _CellError("not a number", expected)
    if isinstance(value, numbers.Real):
        x = float(value)
    elif isinstance(value, str):
        try:
            parsed = parse_number_text(value, convention)
        except AmbiguousNumber:
            whole = value.strip().replace(".", "").replace(",", "")
            why = (
                "the file mixes Vietnamese and English number formats"
                if convention == "mixed"
                else "no other number in the file shows which convention it uses"
            )
            raise _CellError(
                "ambiguous number: it reads as a thousands group in one convention and as "
                f"a decimal in the other, and {why}",
                f"{whole} for the whole number, or a decimal written with four digits "
                f"(e.g. {value.strip()}0) or typed as a number cell in Excel",
            ) from None
        if parsed is None:
            raise _CellError("not a number", expected)
        x = parsed
    else:
        raise _CellError("not a number", expected)
    if not math.isfinite(x):
        raise _CellError("not a finite number", expected)
    _check_range(x, column)
    return x


_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?")
_DMY_DATE = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})")


def _date_from_text(text: str) -> pd.Timestamp:
    t = text.strip()
    if m := _ISO_DATE.fullmatch(t):
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    elif m := _DMY_DATE.fullmatch(t):
        d, mo, y = int(m.group(1)), int(m.group(3)), int(m.group(4))
    elif re.fullmatch(r"\d+(?:[.,]\d+)?", t):
        raise _CellError("a number, not a date (an Excel serial date?)", DATE_EXPECTED)
    else:
        raise _CellError("not a date", DATE_EXPECTED)
    try:
        day = dt.date(y, mo, d)
    except ValueError:
        hint = "; dates are read day first" if mo > 12 else ""
        raise _CellError(
            f"impossible date (no day {d} in month {mo} of {y}{hint})", DATE_EXPECTED
        ) from None
    return pd.Timestamp(day)


def _parse_date(value: object, column: Column) -> pd.Timestamp:
    if isinstance(value, dt.datetime | dt.date | np.datetime64):
        ts = pd.Timestamp(value)
    elif isinstance(value, str):
        ts = _date_from_text(value)
    else:
        raise _CellError("a number, not a date (format the cell as a date)", DATE_EXPECTED)
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    if not 1900 <= ts.year <= 2100:
        raise _CellError("implausible date", DATE_EXPECTED + " between 1900 and 2100")
    return ts.normalize()


_BOOLS: Mapping[str, bool] = {
    "true": True,
    "false": False,
    "1": True,
    "0": False,
    "yes": True,
    "no": False,
    "có": True,
    "không": False,
}


def _parse_bool(value: object, column: Column) -> bool:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    hit = _BOOLS.get(_as_text(value).casefold())
    if hit is None:
        raise _CellError("not a yes/no value", "true/false, 1/0, yes/no or có/không")
    return hit


def _parse_enum(value: object, column: Column) -> str:
    resolver = enum_resolver(column)
    hit = resolver.resolve(_as_text(value))
    if hit is None:
        raise _CellError(f"unknown {column.name.replace('_', ' ')}", resolver.describe())
    return hit


def _parse_text(value: object, column: Column) -> str:
    return _as_text(value)


_PARSERS: Mapping[str, Callable[[object, Column], object]] = {
    "code": _parse_text,
    "text": _parse_text,
    "int": _parse_int,
    "amount": _parse_number,
    "number": _parse_number,
    "date": _parse_date,
    "bool": _parse_bool,
    "enum": _parse_enum,
}

_WORKING_DTYPES: Mapping[str, str] = {
    "code": "string",
    "text": "string",
    "enum": "string",
    "int": "Int64",
    "amount": "float64",
    "number": "float64",
    "date": "datetime64[ns]",
    "bool": "boolean",
}
"""Dtypes while checking (nullable, since a failed cell is empty); cast to schema at the end."""


def _series(values: list[object], kind: str) -> pd.Series:
    if kind in ("amount", "number"):
        values = [np.nan if v is None else v for v in values]
    return pd.Series(values, dtype=_WORKING_DTYPES[kind])


# --------------------------------------------------------------------------- tables
@dataclass
class _Table:
    """A table being checked: typed working frame, row locations and failed cells."""

    spec: Table
    frame: pd.DataFrame
    loc: Location
    rows: list[int]
    bad: list[set[str]]
    sink: list[InputProblem]

    @property
    def name(self) -> str:
        return self.spec.name

    def report(
        self,
        i: int,
        message: str,
        *,
        column: str | None = None,
        value: object | None = None,
        expected: str | None = None,
        severity: str = "error",
    ) -> None:
        """Record a problem at data row ``i`` (0-based) and mark the cell failed."""
        if column is not None and severity == "error":
            self.bad[i].add(column)
        self.sink.append(
            self.loc.problem(
                message,
                row=self.rows[i],
                column=column,
                value=value,
                expected=expected,
                severity=severity,
            )
        )

    def ok(self, *columns: str) -> np.ndarray:
        """Rows whose given cells all parsed (for checks that need those cells)."""
        cols = set(columns)
        return np.array([not (b & cols) for b in self.bad], dtype=bool)

    def invalidate(self, column: str) -> None:
        """Mark a column unusable in every row (its reference table is unusable)."""
        for b in self.bad:
            b.add(column)


def _blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """True for each row whose every cell is empty (a frame without columns: all rows)."""
    return np.array(
        [all(map(is_empty, r)) for r in frame.itertuples(index=False, name=None)], dtype=bool
    )


def _drop_blank_rows(frame: pd.DataFrame, loc: Location) -> tuple[pd.DataFrame, list[int]]:
    blank = _blank_rows(frame)
    rows = [loc.row(i) for i in range(len(frame)) if not blank[i]]
    return frame.loc[~blank].reset_index(drop=True), rows


def _has_data(frame: pd.DataFrame, j: int) -> int | None:
    """Index of the first row with a non-empty cell in column ``j``, else ``None``."""
    for i, v in enumerate(frame.iloc[:, j].tolist()):
        if not is_empty(v):
            return i
    return None


def _suggest(word: str, options: Sequence[str]) -> str | None:
    close = difflib.get_close_matches(
        word.casefold(), [o.casefold() for o in options], n=1, cutoff=0.6
    )
    if not close:
        return None
    return next(o for o in options if o.casefold() == close[0])


def _headers(frame: pd.DataFrame) -> list[str]:
    return [
        unicodedata.normalize("NFC", "" if is_empty(h) else str(h)).strip() for h in frame.columns
    ]


class _Checker:
    """Parse raw frames into tables and run every check, collecting problems."""

    def __init__(
        self,
        locate: Mapping[str, Location],
        problems: Sequence[InputProblem] = (),
        unusable: set[str] | None = None,
    ) -> None:
        self.locate = dict(locate)
        self.problems: list[InputProblem] = list(problems)
        self.unusable = set(unusable or ())
        self.tables: dict[str, _Table | None] = {}

    # ---------------------------------------------------------------- obtain + parse
    def run(self, raw: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        """Check everything; return the validated frames or raise :class:`InputError`."""
        for name in raw:
            if name not in schema.INPUT_TABLES:
                self.problems.append(
                    InputProblem(
                        f"unknown table '{name}'",
                        expected="one of " + ", ".join(schema.INPUT_TABLES),
                    )
                )
        for name in _ORDER:
            self.tables[name] = self._obtain(name, raw.get(name))
        self._resolve_codes()
        self._cross_checks()
        self._raise_if_errors()
        frames = {name: self._finalise(name) for name in schema.INPUT_TABLES}
        self._raise_if_errors()
        return frames

    def _raise_if_errors(self) -> None:
        errors = [p for p in self.problems if p.severity != _WARNING]
        if errors:
            raise InputError(errors + self.warnings)

    @property
    def warnings(self) -> list[InputProblem]:
        return [p for p in self.problems if p.severity == _WARNING]

    def _obtain(self, name: str, frame: pd.DataFrame | None) -> _Table | None:
        spec = schema.TABLES[name]
        if name in self.unusable:
            return None
        loc = self.locate.get(name) or Location(file=name)
        if frame is not None and spec.reference and not _has_rows(frame):
            self.problems.append(
                loc.problem(
                    f"warning: {loc.what} has no data rows; the shipped {name} table is used",
                    severity=_WARNING,
                )
            )
            frame = None
        if frame is None:
            if spec.reference:
                return self._shipped(name)
            if spec.optional:
                empty = pd.DataFrame(columns=spec.column_names, dtype=object)
                return self._parse(spec, empty, Location(file=f"{name} (not supplied)"))
            self.problems.append(
                loc.problem(f"missing table '{name}'", expected=f"a table named '{name}'")
            )
            return None
        return self._parse(spec, frame, loc)

    def _shipped(self, name: str) -> _Table | None:
        path = paths.REFERENCE_DIR / f"{name}.csv"
        if not path.is_file():
            self.problems.append(
                InputProblem(
                    f"the shipped reference table {name}.csv is missing from the package",
                    file=str(path),
                    expected="a complete installation of the package",
                )
            )
            return None
        frame, loc, problems = read_csv_bytes(path.read_bytes(), str(path))
        self.problems.extend(problems)
        return None if frame is None else self._parse(schema.TABLES[name], frame, loc)

    def _parse(self, spec: Table, raw: pd.DataFrame, loc: Location) -> _Table | None:
        raw, rows = _drop_blank_rows(raw, loc)
        colmap = self._map_columns(spec, raw, loc, rows)
        if colmap is None:
            return None
        if not rows and spec.name in _REQUIRED:
            self.problems.append(
                loc.problem(
                    f"{loc.what} is empty: it has a header row but no data rows",
                    row=loc.header_row,
                    expected="a header row and at least one data row",
                )
            )
            return None
        table = _Table(
            spec,
            pd.DataFrame(index=range(len(rows))),
            loc,
            rows,
            [set() for _ in rows],
            self.problems,
        )
        values = {
            c.name: raw.iloc[:, colmap[c.name]].tolist() if c.name in colmap else [None] * len(rows)
            for c in spec.columns
        }
        convention = number_convention(
            v for c in spec.columns if c.kind in ("amount", "number") for v in values[c.name]
        )
        for column in spec.columns:
            table.frame[column.name] = _parse_column(table, column, values[column.name], convention)
        return table

    def _map_columns(
        self, spec: Table, raw: pd.DataFrame, loc: Location, rows: list[int]
    ) -> dict[str, int] | None:
        """Schema column -> position in ``raw``; ``None`` when required columns are missing."""
        known = {c.name.casefold(): c.name for c in spec.columns}
        derived = {c.name.casefold() for c in spec.derived}
        colmap: dict[str, int] = {}
        headers = _headers(raw)
        for j, header in enumerate(headers):
            key = header.casefold()
            if not header:
                first = _has_data(raw, j)
                if first is not None:
                    self.problems.append(
                        loc.problem(
                            f"column {j + 1} has data but no header",
                            row=rows[first],
                            expected="a column name in the header row, or no data",
                        )
                    )
            elif key in derived:
                continue  # recomputed by the loader
            elif key not in known:
                self.problems.append(_unknown_column(spec, header, loc))
            elif known[key] in colmap:
                self.problems.append(
                    loc.problem(
                        f"column '{header}' appears twice",
                        row=loc.header_row,
                        column=header,
                        expected="each column once",
                    )
                )
            else:
                colmap[known[key]] = j
        missing = [c for c in spec.required_columns if c not in colmap]
        present = ", ".join(h for h in headers if h) or "none"
        for name in missing:
            self.problems.append(
                loc.problem(
                    f"missing column '{name}' (columns present: {present})",
                    row=loc.header_row,
                    column=name,
                    expected="a header row with the columns " + ", ".join(spec.required_columns),
                )
            )
        return None if missing else colmap

    # ---------------------------------------------------------------- codes
    def _resolve_codes(self) -> None:
        units = self.tables.get("units")
        resolver = None
        if units is not None:
            _check_parents(units)
            resolver = UnitResolver(units.frame.loc[units.ok("unit_code")])
        comps = self.tables.get("program_components")
        catalogue = _Catalogue(comps) if comps is not None else None
        for name in ("allocations", "disbursements", "targets"):
            table = self.tables.get(name)
            if table is None:
                continue
            _resolve_units(table, resolver, units)
            if "project_code" in table.frame:
                _resolve_projects(table, catalogue)

    # ---------------------------------------------------------------- cross checks
    def _cross_checks(self) -> None:
        for table in self.tables.values():
            if table is not None:
                _check_duplicates(table)
        alloc, disb = self.tables.get("allocations"), self.tables.get("disbursements")
        sources = self.tables.get("sources")
        for name in ("units", "program_components"):
            table = self.tables.get(name)
            if table is not None and sources is not None:
                _check_source_ids(table, sources)
        if alloc is not None:
            _check_allocation_dates(alloc)
            if self.tables.get("units") is not None:
                _check_unit_validity(alloc, self.tables["units"])
        if disb is not None:
            _check_report_dates(disb)
            _check_monotone(disb)
        if alloc is not None and disb is not None:
            _check_lines_exist(alloc, disb)
            _check_over_disbursed(alloc, disb)

    # ---------------------------------------------------------------- final frames
    def _finalise(self, name: str) -> pd.DataFrame:
        table = self.tables.get(name)
        if table is None:  # only reachable when problems were reported already
            return schema.empty_frame(name)
        spec = table.spec
        out = pd.DataFrame(
            {c.name: table.frame[c.name].astype(schema.dtype_of(c)) for c in spec.columns}
        )
        if any(c.name == "line_id" for c in spec.derived):
            out["line_id"] = schema.line_ids(out) if len(out) else pd.Series(dtype="string")
        try:
            return schema.pandera_schema(name).validate(out, lazy=True)
        except pa.errors.SchemaErrors as err:
            self.problems.extend(_pandera_problems(err, table))
            return out


def _has_rows(frame: pd.DataFrame) -> bool:
    return frame.shape[1] > 0 and not _blank_rows(frame).all()


def _unknown_column(spec: Table, header: str, loc: Location) -> InputProblem:
    names = spec.column_names
    guess = _suggest(header, names)
    hint = f"; did you mean '{guess}'?" if guess else ""
    note = "; put free text in 'note'" if "note" in names else ""
    return loc.problem(
        f"unknown column '{header}'{hint}",
        row=loc.header_row,
        column=header,
        expected=f"only the columns of {spec.name}: {', '.join(names)}{note}",
    )


def _parse_column(
    table: _Table, column: Column, values: list[object], convention: str | None = None
) -> pd.Series:
    parser = _PARSERS[column.kind]
    if column.kind in ("amount", "number"):
        parser = functools.partial(_parse_number, convention=convention)
    cache: dict[str, object] = {}
    out: list[object] = []
    for i, value in enumerate(values):
        if is_empty(value):
            if not column.nullable:
                table.report(
                    i,
                    "empty cell",
                    column=column.name,
                    expected="a value (this column is required)",
                )
            out.append(None)
            continue
        key = value if isinstance(value, str) else None
        if key is not None and key in cache:
            out.append(cache[key])
            continue
        try:
            parsed = parser(value, column)
        except _CellError as err:
            table.report(i, err.message, column=column.name, value=value, expected=err.expected)
            parsed = None
        if key is not None and parsed is not None:
            cache[key] = parsed
        out.append(parsed)
    return _series(out, column.kind)


def _pandera_problems(err: pa.errors.SchemaErrors, table: _Table) -> list[InputProblem]:
    out = []
    for rec in err.failure_cases.to_dict("records"):
        idx = rec.get("index")
        row = None
        if idx is not None and not is_empty(idx) and 0 <= int(idx) < len(table.rows):
            row = table.rows[int(idx)]
        out.append(
            table.loc.problem(
                f"fails schema check {rec.get('check')}",
                row=row,
                column=rec.get("column"),
                value=rec.get("failure_case"),
                expected="a value the schema accepts (a loader bug: please report it)",
            )
        )
    return out


# --------------------------------------------------------------------------- code checks
def _check_parents(units: _Table) -> None:
    codes = set(units.frame.loc[units.ok("unit_code"), "unit_code"].dropna())
    for i, parent in enumerate(units.frame["parent_code"].tolist()):
        if not is_empty(parent) and "parent_code" not in units.bad[i] and parent not in codes:
            units.report(
                i,
                "unknown parent unit",
                column="parent_code",
                value=parent,
                expected="empty or a unit_code of this table",
            )


def _resolve_units(table: _Table, resolver: UnitResolver | None, units: _Table | None) -> None:
    if resolver is None or units is None:
        table.invalidate("unit_code")
        return
    col = "unit_code"
    out = table.frame[col].tolist()
    cache: dict[str, list[str]] = {}
    for i, value in enumerate(out):
        if col in table.bad[i] or is_empty(value):
            continue
        hits = cache.setdefault(value, resolver.candidates(value))
        if len(hits) == 1:
            out[i] = hits[0]
        elif hits:
            table.report(
                i,
                "unit name matches several units",
                column=col,
                value=value,
                expected="the unit code of one of: " + ", ".join(resolver.display(c) for c in hits),
            )
        else:
            close = resolver.suggest(value)
            hint = f"; did you mean {' or '.join(close)}?" if close else ""
            table.report(
                i,
                f"unknown unit{hint}",
                column=col,
                value=value,
                expected=f"a unit code or name listed in {Path(units.loc.file).name}",
            )
    table.frame[col] = pd.Series(out, dtype="string")


class _Catalogue:
    """Projects and sub-projects of ``program_components``, matched case-insensitively."""

    def __init__(self, comps: _Table) -> None:
        self.projects: dict[str, str] = {}
        self.subprojects: dict[str, tuple[str, str]] = {}
        self.subs_of: dict[str, list[str]] = {}
        ok = comps.ok("project_code", "subproject_code")
        for proj, sub in comps.frame.loc[ok, ["project_code", "subproject_code"]].itertuples(
            index=False
        ):
            self.projects[str(proj).casefold()] = str(proj)
            self.subs_of.setdefault(str(proj), [])
            if not is_empty(sub):
                self.subprojects[str(sub).casefold()] = (str(proj), str(sub))
                self.subs_of[str(proj)].append(str(sub))

    @staticmethod
    def _lookup(table: Mapping[str, object], value: str) -> object | None:
        hit = table.get(value.casefold())
        if hit is None and (parts := split_dropdown(value)) is not None:
            hit = table.get(parts[0].casefold())
        return hit

    def project(self, value: str) -> str | None:
        return self._lookup(self.projects, value)  # type: ignore[return-value]

    def subproject(self, value: str) -> tuple[str, str] | None:
        return self._lookup(self.subprojects, value)  # type: ignore[return-value]

    def expected_sub(self, project: str) -> str:
        subs = self.subs_of.get(project, [])
        if not subs:
            return f"empty (project {project} has no sub-projects)"
        return f"empty or one of {project}'s sub-projects: {', '.join(subs)}"


def _resolve_projects(table: _Table, catalogue: _Catalogue | None) -> None:
    if catalogue is None:
        table.invalidate("project_code")
        table.invalidate("subproject_code")
        return
    projects = table.frame["project_code"].tolist()
    for i, value in enumerate(projects):
        if "project_code" in table.bad[i] or is_empty(value):
            table.bad[i].add("subproject_code")
            continue
        canon = catalogue.project(value)
        if canon is None:
            table.report(
                i,
                "unknown project code",
                column="project_code",
                value=value,
                expected="one of " + ", ".join(catalogue.projects.values()),
            )
            table.bad[i].add("subproject_code")
        projects[i] = canon or value
    table.frame["project_code"] = pd.Series(projects, dtype="string")
    subs = table.frame["subproject_code"].tolist()
    for i, value in enumerate(subs):
        if "subproject_code" in table.bad[i] or is_empty(value):
            continue
        project, hit = projects[i], catalogue.subproject(value)
        if hit is not None and hit[0] == project:
            subs[i] = hit[1]
            continue
        where = f"; it belongs to project {hit[0]}" if hit is not None else ""
        table.report(
            i,
            f"sub-project is not part of project {project}{where}",
            column="subproject_code",
            value=value,
            expected=catalogue.expected_sub(project),
        )
    table.frame["subproject_code"] = pd.Series(subs, dtype="string")


def _check_source_ids(table: _Table, sources: _Table) -> None:
    known = set(sources.frame["source_id"].dropna())
    for i, sid in enumerate(table.frame["source_id"].tolist()):
        if not is_empty(sid) and sid not in known:
            table.report(
                i,
                "warning: source_id not found in sources",
                column="source_id",
                value=sid,
                expected="a source_id listed in sources",
                severity=_WARNING,
            )


# --------------------------------------------------------------------------- row rules
def _fmt_date(ts: object) -> str:
    return pd.Timestamp(ts).strftime("%Y-%m-%d")


def _fmt_amount(x: float) -> str:
    return f"{x:,.6f}".rstrip("0").rstrip(".")


def _check_duplicates(table: _Table) -> None:
    key = list(table.spec.key)
    if not key or table.frame.empty:
        return
    ok = table.ok(*key)
    first: dict[tuple, int] = {}
    frame = table.frame[key]
    for i, values in enumerate(frame.itertuples(index=False)):
        if not ok[i]:
            continue
        k = tuple(None if is_empty(v) else v for v in values)
        if k not in first:
            first[k] = i
            continue
        shown = ", ".join(
            f"{c}={'-' if v is None else _key_text(v)}" for c, v in zip(key, k, strict=True)
        )
        table.report(
            i,
            f"duplicate key: rows {table.rows[first[k]]} and {table.rows[i]} have the same {shown}",
            expected=f"one row per {', '.join(key)}",
        )


def _key_text(v: object) -> str:
    return _fmt_date(v) if isinstance(v, pd.Timestamp) else str(v)


def _line_ids(table: _Table, *more: str) -> tuple[np.ndarray, pd.Series]:
    """Rows usable for line checks (key and ``more`` parsed) and their line ids."""
    ok = table.ok(*schema.LINE_KEY, *more)
    ids = pd.Series(pd.NA, index=table.frame.index, dtype="string")
    if ok.any():
        ids[ok] = schema.line_ids(table.frame.loc[ok])
    return ok, ids


def _describe_line(row: Mapping[str, object]) -> str:
    sub = row["subproject_code"]
    return (
        f"plan_year {row['plan_year']}, unit {row['unit_code']}, project "
        f"{row['project_code']}, sub-project {'-' if is_empty(sub) else sub}, "
        f"{row['capital_type']}, {row['source']}"
    )


def _check_allocation_dates(alloc: _Table) -> None:
    f = alloc.frame
    for i in np.flatnonzero(alloc.ok("plan_year", "decision_date", "extended_until")):
        year = int(f.at[i, "plan_year"])
        decided, extended = f.at[i, "decision_date"], f.at[i, "extended_until"]
        deadline = pd.Timestamp(year + 1, 1, 31)
        if not pd.isna(extended) and extended <= deadline:
            alloc.report(
                i,
                f"extension does not run past the regular deadline {_fmt_date(deadline)}",
                column="extended_until",
                value=_fmt_date(extended),
                expected=f"a date after {_fmt_date(deadline)}, or empty",
            )
        lo, hi = pd.Timestamp(year - 1, 1, 1), pd.Timestamp(year, 12, 31)
        if not pd.isna(decided) and not lo <= decided <= hi:
            alloc.report(
                i,
                f"decision date far from plan year {year}",
                column="decision_date",
                value=_fmt_date(decided),
                expected=f"a date between {_fmt_date(lo)} and {_fmt_date(hi)}",
            )


def _check_unit_validity(alloc: _Table, units: _Table) -> None:
    """Warn, once per unit, about lines decided after the unit ceased to exist.

    After the 1 July 2025 reform a province may still report late lines by former district;
    the warning lists every such row so the user can see them all without a wall of lines.
    """
    uf = units.frame.loc[units.ok("unit_code", "valid_to")]
    valid_to = dict(zip(uf["unit_code"], uf["valid_to"], strict=True))
    f = alloc.frame
    late: dict[str, list[int]] = {}
    for i in np.flatnonzero(alloc.ok("unit_code", "decision_date")):
        code, decided = f.at[i, "unit_code"], f.at[i, "decision_date"]
        until = valid_to.get(code)
        if until is not None and not pd.isna(until) and decided > until:
            late.setdefault(code, []).append(i)
    for code, idx in late.items():
        rows = ", ".join(str(alloc.rows[i]) for i in idx)
        last = max(f.at[i, "decision_date"] for i in idx)
        alloc.sink.append(
            alloc.loc.problem(
                f"warning: unit {code} ceased to exist on {_fmt_date(valid_to[code])}, but "
                f"{len(idx)} line(s) were decided after it (latest {_fmt_date(last)}), rows {rows}",
                column="unit_code",
                value=code,
                expected="a unit that exists on the decision date",
                severity=_WARNING,
            )
        )


def _check_report_dates(disb: _Table) -> None:
    f = disb.frame
    for i in np.flatnonzero(disb.ok("plan_year", "report_date")):
        start = pd.Timestamp(int(f.at[i, "plan_year"]), 1, 1)
        if f.at[i, "report_date"] < start:
            disb.report(
                i,
                f"report date before plan year {start.year} began",
                column="report_date",
                value=_fmt_date(f.at[i, "report_date"]),
                expected=f"a date on or after {_fmt_date(start)}",
            )


def _check_monotone(disb: _Table) -> None:
    ok, ids = _line_ids(disb, "report_date", "disbursed_cum_mvnd")
    snaps = pd.DataFrame(
        {"line": ids, "date": disb.frame["report_date"], "value": disb.frame["disbursed_cum_mvnd"]}
    )[ok]
    snaps = snaps.sort_values(["line", "date"], kind="stable")
    prev = snaps.groupby("line", sort=False).shift(1)
    down = snaps.index[(snaps["value"] < prev["value"]).to_numpy()]
    for i in down:
        p = snaps.index[snaps.index.get_loc(i) - 1]
        disb.report(
            int(i),
            "cumulative disbursement decreases over time: "
            f"{_fmt_amount(snaps.at[p, 'value'])} on {_fmt_date(snaps.at[p, 'date'])} "
            f"(row {disb.rows[p]}) then {_fmt_amount(snaps.at[i, 'value'])} on "
            f"{_fmt_date(snaps.at[i, 'date'])} (row {disb.rows[i]})",
            column="disbursed_cum_mvnd",
            expected="cumulative values that never decrease for a plan line",
        )


def _check_lines_exist(alloc: _Table, disb: _Table) -> None:
    a_ok, a_ids = _line_ids(alloc)
    known = set(a_ids[a_ok])
    d_ok, d_ids = _line_ids(disb)
    for i in np.flatnonzero(d_ok):
        if d_ids[i] not in known:
            disb.report(
                i,
                f"no allocation line for this key ({_describe_line(disb.frame.loc[i])})",
                expected=f"a plan line listed in {Path(alloc.loc.file).name}"
                + (f" sheet '{alloc.loc.sheet}'" if alloc.loc.sheet else ""),
            )


def _check_over_disbursed(alloc: _Table, disb: _Table) -> None:
    a_ok, a_ids = _line_ids(alloc, "amount_mvnd")
    allocated = dict(zip(a_ids[a_ok], alloc.frame.loc[a_ok, "amount_mvnd"], strict=True))
    d_ok, d_ids = _line_ids(disb, "report_date", "disbursed_cum_mvnd")
    f = disb.frame
    latest: dict[str, int] = {}
    for i in np.flatnonzero(d_ok):
        amount = allocated.get(d_ids[i])
        if amount is None or f.at[i, "disbursed_cum_mvnd"] <= amount + 1e-9:
            continue
        j = latest.get(d_ids[i])
        if j is None or f.at[i, "report_date"] >= f.at[j, "report_date"]:
            latest[d_ids[i]] = i
    for line, i in latest.items():
        disb.report(
            i,
            f"warning: disbursed above allocated for line ({_describe_line(f.loc[i])}"
            f"): {_fmt_amount(f.at[i, 'disbursed_cum_mvnd'])} disbursed by "
            f"{_fmt_date(f.at[i, 'report_date'])} > "
            f"{_fmt_amount(allocated[line])} allocated",
            column="disbursed_cum_mvnd",
            expected="disbursed ≤ allocated (accepted, but check the line)",
            severity=_WARNING,
        )


# --------------------------------------------------------------------------- reading
def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    return ";" if first.count(";") > first.count(",") else ","


def read_csv_bytes(
    data: bytes, file: str
) -> tuple[pd.DataFrame | None, Location, list[InputProblem]]:
    """Raw cells of one CSV file (UTF-8 with or without BOM) and their row locations.

    Every cell is a string (empty string = empty cell; no type guessing, like
    ``pandas.read_csv(dtype=str, keep_default_na=False)``); rows are padded to the widest row.
    The record numbers are the lines where each record starts. A header line with more
    semicolons than commas makes ``;`` the delimiter (Excel in some locales).

    Args:
        data: the file's bytes.
        file: the name to show in problems.

    Returns:
        ``(frame, location, problems)``; ``frame`` is ``None`` when the file is unusable
        (not UTF-8, not CSV, or no header at all).
    """
    loc = Location(file=file)
    body = data[len(codecs.BOM_UTF8) :] if data.startswith(codecs.BOM_UTF8) else data
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        line = body[: err.start].count(b"\n") + 1
        return (
            None,
            loc,
            [
                loc.problem(
                    f"file is not UTF-8 text (byte 0x{body[err.start]:02X} on line {line})",
                    row=line,
                    expected="UTF-8 text (save as 'CSV UTF-8')",
                )
            ],
        )
    records: list[list[str]] = []
    starts: list[int] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    prev = 0
    try:
        for record in reader:
            records.append(record)
            starts.append(prev + 1)
            prev = reader.line_num
    except csv.Error as err:
        return (
            None,
            loc,
            [
                loc.problem(
                    f"cannot read the CSV: {err}", row=prev + 1, expected="comma-separated values"
                )
            ],
        )
    return _frame_from_rows(records, starts, file, None)


def _frame_from_rows(
    records: list[list[object]], numbers: list[int], file: str, sheet: str | None
) -> tuple[pd.DataFrame | None, Location, list[InputProblem]]:
    head = next((k for k, r in enumerate(records) if not all(map(is_empty, r))), None)
    if head is None:
        loc = Location(file=file, sheet=sheet)
        what = "sheet" if sheet else "file"
        return (
            None,
            loc,
            [loc.problem(f"{what}{_EMPTY}", expected="a header row and at least one data row")],
        )
    width = max(len(r) for r in records[head:])
    padded = [list(r) + [None] * (width - len(r)) for r in records[head:]]
    header = ["" if is_empty(h) else str(h) for h in padded[0]]
    frame = (
        pd.DataFrame(padded[1:], columns=header, dtype=object)
        if len(padded) > 1
        else pd.DataFrame(columns=header, dtype=object)
    )
    loc = Location(
        file=file, sheet=sheet, header_row=numbers[head], rows=tuple(numbers[head + 1 :])
    )
    return frame, loc, []


@dataclass
class _Read:
    """What a reader found: raw frames, their locations, problems, and the input digest."""

    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    locate: dict[str, Location] = field(default_factory=dict)
    unusable: set[str] = field(default_factory=set)
    problems: list[InputProblem] = field(default_factory=list)
    sha256: str = ""

    def add(
        self, name: str, frame: pd.DataFrame | None, loc: Location, problems: list[InputProblem]
    ) -> None:
        """Keep a table read from a file or sheet; an empty one only matters if required."""
        empty = frame is None and bool(problems) and problems[0].message.endswith(_EMPTY)
        if empty and name not in _REQUIRED:
            self.problems.append(
                loc.problem(
                    f"warning: {loc.what} is empty; treated as not supplied", severity=_WARNING
                )
            )
            return
        self.problems.extend(problems)
        if frame is None:
            self.unusable.add(name)
        else:
            self.frames[name] = frame
            self.locate[name] = loc


def _read_folder(folder: Path) -> _Read:
    read = _Read()
    files = {f.name.casefold(): f for f in sorted(folder.iterdir()) if f.is_file()}
    hashed: list[tuple[str, bytes]] = []
    for name in schema.INPUT_TABLES:
        path = files.pop(f"{name}.csv", None)
        if path is None:
            continue
        data = path.read_bytes()
        hashed.append((path.name, data))
        read.add(name, *read_csv_bytes(data, path.name))
    others = sorted(f.name for f in files.values() if f.suffix.casefold() == ".csv")
    expected = [f"{n}.csv" for n in schema.INPUT_TABLES]
    for name in sorted(_REQUIRED - set(read.frames) - read.unusable):
        guess = _suggest(f"{name}.csv", others)
        hint = f"; is '{guess}' meant to be it?" if guess else ""
        read.problems.append(
            InputProblem(
                f"missing file '{name}.csv'{hint}",
                file=f"{name}.csv",
                expected=f"a file named {name}.csv in {folder}",
            )
        )
        read.unusable.add(name)
    for other in others:
        guess = _suggest(other, expected)
        hint = f"; did you mean '{guess}'?" if guess else ""
        read.problems.append(
            InputProblem(
                f"warning: file is not an input table and was not read{hint}",
                file=other,
                expected="one of " + ", ".join(expected),
                severity=_WARNING,
            )
        )
    digest = hashlib.sha256()
    for fname, data in sorted(hashed):
        digest.update(fname.encode() + b"\0" + len(data).to_bytes(8, "big") + data)
    read.sha256 = digest.hexdigest()
    return read


def _sheet_frame(
    ws: object, file: str, title: str
) -> tuple[pd.DataFrame | None, Location, list[InputProblem]]:
    records = [list(r) for r in ws.iter_rows(values_only=True)]  # type: ignore[attr-defined]
    return _frame_from_rows(records, list(range(1, len(records) + 1)), file, title)


def _read_workbook(path: Path) -> _Read:
    data = path.read_bytes()
    read = _Read(sha256=hashlib.sha256(data).hexdigest())
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as err:
        read.problems.append(
            InputProblem(
                f"cannot open the workbook: {err}",
                file=path.name,
                expected="an .xlsx workbook saved by Excel",
            )
        )
        read.unusable.update(_REQUIRED)
        return read
    expected = ", ".join(schema.INPUT_TABLES)
    titles = list(wb.sheetnames)
    try:
        for title in titles:
            key = title.strip().casefold()
            if key in HELPER_SHEETS:
                continue
            if key not in schema.INPUT_TABLES:
                guess = _suggest(key, schema.INPUT_TABLES)
                hint = f"; did you mean '{guess}'?" if guess else ""
                read.problems.append(
                    InputProblem(
                        f"unknown sheet '{title}'{hint}",
                        file=path.name,
                        sheet=title,
                        expected=f"one of {expected} (or a helper sheet: "
                        f"{', '.join(HELPER_SHEETS)})",
                    )
                )
                continue
            read.add(key, *_sheet_frame(wb[title], path.name, title))
    finally:
        wb.close()
    for name in sorted(_REQUIRED - set(read.frames) - read.unusable):
        read.problems.append(
            InputProblem(
                f"missing sheet '{name}'",
                file=path.name,
                expected=f"a sheet named '{name}' (sheets present: {', '.join(titles)})",
            )
        )
        read.unusable.add(name)
    return read


# --------------------------------------------------------------------------- public API
def _dataset(
    frames: dict[str, pd.DataFrame], warnings: list[InputProblem], *, origin: str, sha256: str
) -> Dataset:
    meta = frames["metadata"]
    flag = meta.loc[meta["key"].str.casefold() == "demo", "value"].dropna()
    demo = bool(flag.str.strip().str.casefold().isin(["true", "1", "yes"]).any())
    refs = frames["allocations"]["decision_ref"].dropna()
    demo = demo or bool(refs.str.upper().str.startswith("DEMO").any())
    return Dataset(
        **{n: frames[n] for n in Dataset.table_names()},
        origin=origin,
        sha256=sha256,
        demo=demo,
        warnings=warnings,
    )


def validate_frames(
    raw: Mapping[str, pd.DataFrame],
    *,
    origin: str,
    sha256: str,
    locate: Mapping[str, Location] | None = None,
) -> Dataset:
    """Validate raw frames (one per input table) into a :class:`Dataset`.

    Cells may be text as read from a file or already-typed values (int, float, ``Timestamp``,
    ``date``, bool, ``None``/NaN). Reference tables that are omitted come from the package,
    optional ones become empty, ``allocations`` and ``disbursements`` are required. Column
    names are matched case-insensitively; a derived column (``line_id``) in the input is
    ignored and recomputed.

    Args:
        raw: table name -> frame of raw cells, named after :data:`helpers.data.schema.INPUT_TABLES`.
        origin: where the data came from (kept in the dataset).
        sha256: digest of the input (kept in the dataset).
        locate: table name -> :class:`Location` naming its file, sheet and row numbers; a
            table without one is named after the table, data rows numbered from 2.

    Returns:
        The validated dataset (warnings in :attr:`Dataset.warnings`).

    Raises:
        InputError: every error found (and the warnings), located.
    """
    checker = _Checker(locate or {})
    frames = checker.run(raw)
    return _dataset(frames, checker.warnings, origin=origin, sha256=sha256)


def load_dataset(path: str | Path) -> Dataset:
    """Load and validate a folder of CSV files or one ``.xlsx`` workbook.

    A folder holds files named after the input tables (``allocations.csv``, …; names matched
    case-insensitively); a workbook holds one sheet per table (names matched
    case-insensitively; the template's helper sheets are ignored, any other sheet is an
    error). See the module docstring for how cells are read.

    Args:
        path: the folder or the workbook.

    Returns:
        The validated dataset; ``sha256`` covers the input bytes (for a folder, the sorted
        file names and bytes of the table files it holds; for a workbook, the file).

    Raises:
        InputError: every problem found, each naming its file, sheet, row and column.
    """
    p = Path(path)
    if p.is_dir():
        read = _read_folder(p)
    elif p.is_file() and p.suffix.casefold() in WORKBOOK_SUFFIXES:
        read = _read_workbook(p)
    else:
        state = "does not exist" if not p.exists() else "is not a folder or a workbook"
        raise InputError(
            [
                InputProblem(
                    f"input {state}",
                    file=str(p),
                    expected="a folder of CSV files or an .xlsx workbook",
                )
            ]
        )
    checker = _Checker(read.locate, read.problems, read.unusable)
    frames = checker.run(read.frames)
    return _dataset(frames, checker.warnings, origin=str(path), sha256=read.sha256)


def format_problems(problems: Sequence[InputProblem]) -> str:
    """One line per problem, errors first (warnings' messages start with "warning:")."""
    ordered = sorted(problems, key=lambda p: p.severity == _WARNING)
    return "\n".join(str(p).replace("\n", " ") for p in ordered)
