"""Load input files into a validated :class:`~helpers.data.dataset.Dataset`, reporting every problem.

Two routes, one core:

* :func:`load_dataset` reads a folder of CSV files or one ``.xlsx`` workbook into raw frames
  with a :class:`~helpers.data.readers.Location` per table (:mod:`helpers.data.readers`);
* :func:`validate_frames` (also used directly for the demo's already-typed values) parses every
  cell according to its column's kind (:mod:`helpers.data.cells`), resolves unit names and
  program codes, runs the rules within and across tables (:mod:`helpers.data.checks`) and
  validates each table with :func:`helpers.data.contract.pandera_schema`
  (:mod:`helpers.data.finalise`).

Every problem becomes an :class:`~helpers.core.errors.InputProblem` naming the file (and sheet),
the row as the user sees it, the column, the value and what was expected; all of them are raised
together as one :class:`~helpers.core.errors.InputError`. A table that is structurally unusable
(missing, empty, unreadable, missing required columns) is reported once and its row checks,
and the cross-table checks that need it, are skipped; the other tables are still checked.
Warnings (severity ``"warning"``, message starting ``"warning:"``, ``"cảnh báo:"`` in
Vietnamese) do not stop a load; they are kept in :attr:`Dataset.warnings`. A row is skipped
only when *every* cell is empty.
Frames given to :func:`validate_frames` without a location are numbered like a CSV file named
after the table (first data row = row 2).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.core import paths
from helpers.core.errors import InputError, InputProblem, message
from helpers.data import checks, contract, schema
from helpers.data.cells import (
    empty_cells,
    is_empty,
    is_text_column,
    number_convention,
    parse_column,
    parse_number_text,
    text_codes,
)
from helpers.data.checks import Catalogue, ParsedTable
from helpers.data.dataset import Dataset
from helpers.data.finalise import final_frame
from helpers.data.parsed import assign_line_codes
from helpers.data.plan_checks import check_plan
from helpers.data.readers import (
    REQUIRED,
    WARNING,
    WORKBOOK_SUFFIXES,
    Location,
    read_csv_bytes,
    read_folder,
    read_workbook,
    suggest,
)
from helpers.data.schema import Table
from helpers.data.units import UnitResolver

__all__ = [
    "Location",
    "format_problems",
    "is_empty",
    "load_dataset",
    "number_convention",
    "parse_number_text",
    "read_csv_bytes",
    "validate_frames",
]
"""The public API; the cell and reader helpers are kept importable from here, their old home."""

_ORDER: tuple[str, ...] = tuple(
    sorted(
        schema.INPUT_TABLES,
        key=lambda n: (not schema.TABLES[n].reference, schema.INPUT_TABLES.index(n)),
    )
)
"""Reference tables first: the others are resolved against them."""


def _blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """True for each row whose every cell is empty (a frame without columns: all rows)."""
    blank = np.ones(len(frame), dtype=bool)
    for j in range(frame.shape[1]):
        blank &= empty_cells(frame.iloc[:, j])
        if not blank.any():
            break
    return blank


Coded = tuple[np.ndarray, list[str], np.ndarray] | None
"""A text column factorised once (:func:`helpers.data.cells.text_codes`), else ``None``."""


def _code_columns(frame: pd.DataFrame) -> list[Coded]:
    return [
        text_codes(frame.iloc[:, j]) if is_text_column(frame.iloc[:, j]) else None
        for j in range(frame.shape[1])
    ]


def _drop_blank_rows(
    frame: pd.DataFrame, loc: Location, coded: list[Coded]
) -> tuple[pd.DataFrame, np.ndarray, list[Coded]]:
    """The frame without its blank rows, the user row numbers of the rest, and the coded
    columns restricted to them."""
    blank = np.ones(len(frame), dtype=bool)
    for j, c in enumerate(coded):
        blank &= c[2][c[0]] if c is not None else empty_cells(frame.iloc[:, j])
        if not blank.any():  # typically after the first column
            break
    if loc.rows is not None and len(loc.rows) >= len(frame):
        numbers = np.asarray(loc.rows[: len(frame)], dtype=np.int64)
    else:
        start = loc.header_row + 1  # consecutive rows after the header (Location.row)
        numbers = np.arange(start, start + len(frame), dtype=np.int64)
        if loc.rows is not None:
            numbers[: len(loc.rows)] = loc.rows
    if not blank.any():
        if frame.index.equals(pd.RangeIndex(len(frame))):
            return frame, numbers, coded  # already numbered 0, 1, … (no copy)
        return frame.reset_index(drop=True), numbers, coded
    kept = [None if c is None else (c[0][~blank], c[1], c[2]) for c in coded]
    return frame.loc[~blank].reset_index(drop=True), numbers[~blank], kept


def _has_rows(frame: pd.DataFrame) -> bool:
    if frame.shape[1] == 0:
        return False
    return not _blank_rows(frame.iloc[:100]).all() or not _blank_rows(frame).all()


def _has_data(frame: pd.DataFrame, j: int, coded: Coded = None) -> int | None:
    """Index of the first row with a non-empty cell in column ``j``, else ``None``."""
    filled = ~(coded[2][coded[0]] if coded is not None else empty_cells(frame.iloc[:, j]))
    return int(np.argmax(filled)) if filled.any() else None


def _headers(frame: pd.DataFrame) -> list[str]:
    return [
        unicodedata.normalize("NFC", "" if is_empty(h) else str(h)).strip() for h in frame.columns
    ]


def _unknown_column(spec: Table, header: str, loc: Location) -> InputProblem:
    names = spec.column_names
    guess = suggest(header, names)
    hint = message("intake.hint.did_you_mean", guess=guess) if guess else ""
    note = message("intake.expected.note_column") if "note" in names else ""
    return loc.problem(
        message("intake.table.unknown_column", header=header, hint=hint),
        row=loc.header_row,
        column=header,
        expected=message("intake.expected.columns_of", table=spec.name, names=names, note=note),
    )


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
        self.tables: dict[str, ParsedTable | None] = {}
        self.supplied: set[str] = set()
        self.resolver: UnitResolver | None = None

    # ---------------------------------------------------------------- obtain + parse
    def run(self, raw: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        """Check everything; return the validated frames or raise :class:`InputError`."""
        for name in raw:
            if name not in schema.INPUT_TABLES:
                self.problems.append(
                    InputProblem.of(
                        message("intake.table.unknown", name=name),
                        expected=message("intake.expected.one_of", values=schema.INPUT_TABLES),
                    )
                )
        self.supplied = {n for n, f in raw.items() if f is not None and _has_rows(f)}
        for name in _ORDER:
            self.tables[name] = self._obtain(name, raw.get(name))
        self._resolve_codes()
        self._cross_checks()
        self._raise_if_errors()
        frames = {name: self._finalise(name) for name in schema.INPUT_TABLES}
        self._raise_if_errors()
        return frames

    def _raise_if_errors(self) -> None:
        errors = [p for p in self.problems if p.severity != WARNING]
        if errors:
            raise InputError(errors + self.warnings)

    @property
    def warnings(self) -> list[InputProblem]:
        return [p for p in self.problems if p.severity == WARNING]

    def _obtain(self, name: str, frame: pd.DataFrame | None) -> ParsedTable | None:
        spec = schema.TABLES[name]
        if name in self.unusable:
            return None
        loc = self.locate.get(name) or Location(file=name)
        own_units = name == "successions" and "units" in self.supplied
        if frame is not None and spec.reference and not _has_rows(frame) and not own_units:
            self.problems.append(
                loc.problem(
                    message("intake.table.shipped_used", what=loc.what, name=name),
                    severity=WARNING,
                )
            )
            frame = None
        if frame is None:
            if own_units:
                # the shipped successions are about the shipped units only
                empty = pd.DataFrame(columns=spec.column_names, dtype=object)
                return self._parse(spec, empty, Location(file=f"{name} (not supplied)"))
            if spec.reference:
                return self._shipped(name)
            if spec.optional:
                empty = pd.DataFrame(columns=spec.column_names, dtype=object)
                return self._parse(spec, empty, Location(file=f"{name} (not supplied)"))
            self.problems.append(
                loc.problem(
                    message("intake.table.missing", name=name),
                    expected=message("intake.expected.table_named", name=name),
                )
            )
            return None
        return self._parse(spec, frame, loc)

    def _shipped(self, name: str) -> ParsedTable | None:
        path = paths.REFERENCE_DIR / f"{name}.csv"
        if not path.is_file():
            self.problems.append(
                InputProblem.of(
                    message("intake.table.shipped_missing", file=path.name),
                    file=str(path),
                    expected=message("intake.expected.installation"),
                )
            )
            return None
        frame, loc, problems = read_csv_bytes(path.read_bytes(), str(path))
        self.problems.extend(problems)
        return None if frame is None else self._parse(schema.TABLES[name], frame, loc)

    def _parse(self, spec: Table, raw: pd.DataFrame, loc: Location) -> ParsedTable | None:
        raw, rows, coded = _drop_blank_rows(raw, loc, _code_columns(raw))
        colmap = self._map_columns(spec, raw, loc, rows, coded)
        if colmap is None:
            return None
        if not len(rows) and spec.name in REQUIRED:
            self.problems.append(
                loc.problem(
                    message("intake.table.no_rows", what=loc.what),
                    row=loc.header_row,
                    expected=message("intake.expected.header_and_data"),
                )
            )
            return None
        table = ParsedTable(spec, pd.DataFrame(index=range(len(rows))), loc, rows, self.problems)
        values = {
            c.name: raw.iloc[:, colmap[c.name]]
            if c.name in colmap
            else pd.Series([None] * len(rows), dtype=object)
            for c in spec.columns
        }
        convention = number_convention(
            v
            for c in spec.columns
            if c.kind in ("amount", "number")
            for v in (
                coded[colmap[c.name]][1]  # type: ignore[index]
                if c.name in colmap and coded[colmap[c.name]] is not None
                else values[c.name].tolist()
            )
        )
        parsed: dict[str, pd.Series] = {}
        for column in spec.columns:
            given = coded[colmap[column.name]] if column.name in colmap else None
            series, failures = parse_column(values[column.name], column, convention, coded=given)
            for f in failures:
                table.report(
                    f.index, f.message, column=column.name, value=f.value, expected=f.expected
                )
            parsed[column.name] = series
        table.frame = pd.DataFrame(parsed, index=table.frame.index, copy=False)  # no copies
        return table

    def _map_columns(
        self, spec: Table, raw: pd.DataFrame, loc: Location, rows: np.ndarray, coded: list[Coded]
    ) -> dict[str, int] | None:
        """Schema column -> position in ``raw``; ``None`` when required columns are missing."""
        known = {c.name.casefold(): c.name for c in spec.columns}
        derived = {c.name.casefold() for c in spec.derived}
        colmap: dict[str, int] = {}
        headers = _headers(raw)
        for j, header in enumerate(headers):
            key = header.casefold()
            if not header:
                first = _has_data(raw, j, coded[j])
                if first is not None:
                    self.problems.append(
                        loc.problem(
                            message("intake.table.no_header", n=j + 1),
                            row=int(rows[first]),
                            expected=message("intake.expected.header_name"),
                        )
                    )
            elif key in derived:
                continue  # recomputed by the loader
            elif key not in known:
                self.problems.append(_unknown_column(spec, header, loc))
            elif known[key] in colmap:
                self.problems.append(
                    loc.problem(
                        message("intake.table.column_twice", header=header),
                        row=loc.header_row,
                        column=header,
                        expected=message("intake.expected.column_once"),
                    )
                )
            else:
                colmap[known[key]] = j
        missing = [c for c in spec.required_columns if c not in colmap]
        present = [h for h in headers if h] or message("intake.word.none")
        for name in missing:
            self.problems.append(
                loc.problem(
                    message("intake.table.missing_column", name=name, present=present),
                    row=loc.header_row,
                    column=name,
                    expected=message("intake.expected.header_with", columns=spec.required_columns),
                )
            )
        return None if missing else colmap

    # ---------------------------------------------------------------- codes
    def _resolve_codes(self) -> None:
        units = self.tables.get("units")
        if units is not None:
            checks.check_parents(units)
            succ = self.tables.get("successions")
            if succ is not None:
                known = set(units.frame.loc[units.ok("unit_code"), "unit_code"].astype(str))
                checks.resolve_succession_codes(succ, known)
            self.resolver = UnitResolver(
                units.frame.loc[units.ok("unit_code")], self._successions()
            )
        comps = self.tables.get("program_components")
        catalogue = Catalogue(comps) if comps is not None else None
        for name in ("allocations", "disbursements", "targets", "plan_2026_2030"):
            table = self.tables.get(name)
            if table is None:
                continue
            if "project_code" in table.frame:
                checks.resolve_projects(table, catalogue)
            checks.resolve_units(table, self.resolver, units, self.tables.get("allocations"))

    def _successions(self) -> pd.DataFrame | None:
        """The successions rows whose codes parsed (None when the table is unusable)."""
        succ = self.tables.get("successions")
        return None if succ is None else succ.frame.loc[succ.ok("former_code", "new_code")]

    # ---------------------------------------------------------------- cross checks
    def _cross_checks(self) -> None:
        alloc, disb = self.tables.get("allocations"), self.tables.get("disbursements")
        if alloc is not None and disb is not None:
            assign_line_codes([alloc, disb])  # the plan lines, once for both tables
        for table in self.tables.values():
            if table is not None:
                checks.check_duplicates(table)
        sources = self.tables.get("sources")
        for name in ("units", "program_components"):
            table = self.tables.get(name)
            if table is not None and sources is not None:
                checks.check_source_ids(table, sources)
        if alloc is not None:
            checks.check_allocation_dates(alloc)
            checks.check_amount_scale(alloc)
            if self.resolver is not None:
                checks.check_unit_validity(alloc, self.resolver, self._successions())
        if disb is not None:
            checks.check_report_dates(disb)
            checks.check_monotone(disb)
        if alloc is not None and disb is not None:
            checks.check_lines_exist(alloc, disb)
            checks.check_reports_after_decision(alloc, disb)
            checks.check_over_disbursed(alloc, disb)
        targets = self.tables.get("targets")
        if targets is not None:
            checks.check_target_years(targets)
        self._plan_checks()
        units, succ = self.tables.get("units"), self.tables.get("successions")
        if units is not None and succ is not None and self.resolver is not None:
            checks.check_successions(succ, units, self.resolver)

    def _plan_checks(self) -> None:
        """The 2026–2030 plan's rules (:func:`helpers.data.plan_checks.check_plan`)."""
        plan = self.tables.get("plan_2026_2030")
        if plan is not None:
            check_plan(plan, self.resolver, self._successions(), self.tables.get("sources"))

    # ---------------------------------------------------------------- final frames
    def _finalise(self, name: str) -> pd.DataFrame:
        table = self.tables.get(name)
        if table is None:  # only reachable when problems were reported already
            return contract.empty_frame(name)
        frame, problems = final_frame(table)
        self.problems.extend(problems)
        return frame


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
        read = read_folder(p)
    elif p.is_file() and p.suffix.casefold() in WORKBOOK_SUFFIXES:
        read = read_workbook(p)
    else:
        state = "intake.input.missing" if not p.exists() else "intake.input.not_folder"
        raise InputError(
            [
                InputProblem.of(
                    message(state), file=str(p), expected=message("intake.expected.input")
                )
            ]
        )
    checker = _Checker(read.locate, read.problems, read.unusable)
    frames = checker.run(read.frames)
    return _dataset(frames, checker.warnings, origin=str(path), sha256=read.sha256)


def format_problems(problems: Sequence[InputProblem], lang: str = "en") -> str:
    """One line per problem in ``lang``, errors first (warnings' messages start with
    "warning:")."""
    ordered = sorted(problems, key=lambda p: p.severity == WARNING)
    return "\n".join(p.text(lang).replace("\n", " ") for p in ordered)
