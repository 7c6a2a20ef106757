"""Read a folder of CSV files or one workbook into raw frames, each with its :class:`Location`.

Raw frames hold the cells as the file holds them (CSV: every cell a string; Excel: the
values openpyxl reads, so numbers and dates stay typed). Nothing is validated here beyond what
reading needs: undecodable or malformed files, empty files or sheets, missing and unknown
files or sheets are reported as :class:`~helpers.core.errors.InputProblem`; the cells are
parsed and checked by :mod:`helpers.data.intake`.

Row numbers
    CSV rows are numbered by the *line* on which the record starts (header on line 1; a
    quoted cell spanning several lines makes the next record start further down, and that is
    the number reported). Excel rows are the sheet's row numbers. Blank lines before the
    header move the header down.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import hashlib
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.utils.exceptions import InvalidFileException

from helpers.core.errors import InputProblem, Message, message
from helpers.data import schema
from helpers.data.cells import code_dtype, is_empty

HELPER_SHEETS: tuple[str, ...] = ("instructions", "huong_dan", "lists", "_lists")
"""Sheets of the Excel template that hold no table (compared case-insensitively)."""

WORKBOOK_SUFFIXES: tuple[str, ...] = (".xlsx", ".xlsm")

WARNING = "warning"
"""Severity of a problem that does not stop a load."""

REQUIRED = frozenset(schema.REQUIRED_INPUT_TABLES)

_EMPTY = ("intake.read.file_empty", "intake.read.sheet_empty")
"""Message ids of a file or sheet without a header row."""

ENCODINGS = {"utf8": "UTF-8", "utf16": "UTF-16"}
"""Encoding names as messages show them."""


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
    def what(self) -> Message:
        """The word "sheet" or "file", for messages."""
        return message("intake.word.sheet" if self.sheet else "intake.word.file")

    def problem(self, what: Message, **kw: object) -> InputProblem:
        """An :class:`InputProblem` at this location (``expected``, ``row``, ``column``, … as
        keywords)."""
        return InputProblem.of(what, file=self.file, sheet=self.sheet, **kw)  # type: ignore[arg-type]


def suggest(word: str, options: Sequence[str]) -> str | None:
    """The option closest to ``word`` (case-insensitive), if one is close enough."""
    close = difflib.get_close_matches(
        word.casefold(), [o.casefold() for o in options], n=1, cutoff=0.6
    )
    if not close:
        return None
    return next(o for o in options if o.casefold() == close[0])


# --------------------------------------------------------------------------- CSV
def _delimiter(text: str) -> str:
    """The separator the header line uses most: comma, semicolon (Excel in some locales) or
    tab (Excel's "Unicode text")."""
    first = text.split("\n", 1)[0]
    return max((",", ";", "\t"), key=first.count)


def read_csv_bytes(
    data: bytes, file: str, columns: Sequence[str] = ()
) -> tuple[pd.DataFrame | None, Location, list[InputProblem]]:
    """Raw cells of one CSV file (UTF-8 with or without BOM, or UTF-16 with its BOM as Excel's
    "Unicode text" saves it) and their row locations.

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
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and len(data) > 2:
        try:
            return _records_frame(data.decode("utf-16"), file, columns)
        except UnicodeDecodeError as err:
            return None, loc, [
                loc.problem(
                    message("intake.read.bad_utf16", reason=err.reason, **ENCODINGS),
                    expected=message("intake.expected.utf8_or_utf16", **ENCODINGS),
                )
            ]  # fmt: skip
    body = data[len(codecs.BOM_UTF8) :] if data.startswith(codecs.BOM_UTF8) else data
    fast = _fast_frame(body, file, columns)
    if fast is not None:
        return fast, Location(file=file), []
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        line = body[: err.start].count(b"\n") + 1
        return (
            None,
            loc,
            [
                loc.problem(
                    message(
                        "intake.read.not_utf8",
                        byte=f"0x{body[err.start]:02X}",
                        line=line,
                        **ENCODINGS,
                    ),
                    row=line,
                    expected=message("intake.expected.utf8", **ENCODINGS),
                )
            ],
        )
    return _records_frame(text, file, columns)


FAST_MIN_BYTES = 0  # every file (the bad-input tests then cover this path too)
"""Files at least this large are first read by pyarrow's CSV reader (:func:`_fast_frame`)."""

READ_BLOCK = 8 << 20
"""Bytes pyarrow's CSV reader parses at a time. The file is read in one thread: on a busy
machine its threads cost more processor time than they save (measured with
``benchmarks/scale.py``), and larger blocks mean fewer dictionaries to unify."""


def _fast_frame(body: bytes, file: str, columns: Sequence[str] = ()) -> pd.DataFrame | None:
    """The raw frame of a plain UTF-8 CSV file read by pyarrow, or ``None`` to read it with
    the :mod:`csv` module instead.

    Taken only when the result is the one the :mod:`csv` module gives: the file is valid
    UTF-8, its first line is the header (naming at least two of ``columns``), every line is
    one record (no blank line, no line break inside a quoted cell: the records are as many as
    the lines, so each data row is on line ``header + 1 + i``) and every record has as many
    cells as the header. Cells stay text (``""`` for an empty cell); each column is
    dictionary-encoded while it is read and held as a categorical of its distinct texts
    (:func:`_categorical`), in the order they first appear: the texts are then parsed once
    each, and no cell becomes a Python string.
    """
    if len(body) < FAST_MIN_BYTES:
        return None
    try:
        import pyarrow as pa
        from pyarrow import csv as pacsv
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return None
    end = body.find(b"\n")
    first = body[: end if end >= 0 else len(body)]
    try:
        head_text = first.decode("utf-8").rstrip("\r")
    except UnicodeDecodeError:
        return None
    delimiter = _delimiter(head_text)
    header = next(csv.reader([head_text], delimiter=delimiter), [])
    known = {c.casefold() for c in columns}
    if not header or (known and _header_hits(header, known) < 2) or not any(map(str.strip, header)):
        return None
    lines = body.count(b"\n") + (0 if body.endswith(b"\n") else 1)
    names = [f"c{j}" for j in range(len(header))]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(body),
            read_options=pacsv.ReadOptions(
                column_names=names, skip_rows=1, use_threads=False, block_size=READ_BLOCK
            ),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.dictionary(pa.int32(), pa.string()) for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=False,  # checked below on each distinct text, not on every cell
            ),
        )
        if table.num_rows != lines - 1:
            return None
        table = table.unify_dictionaries()  # one dictionary per column, across the chunks
        for column in table.columns:
            if column.num_chunks:  # every cell's text is in its column's dictionary
                column.chunk(0).dictionary.validate(full=True)  # UTF-8 included
    except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError):
        return None
    return pd.DataFrame(
        {j: _categorical(table.column(j)) for j in range(len(names))}, copy=False
    ).set_axis(["" if is_empty(h) else str(h) for h in header], axis=1)


def _categorical(column: object) -> pd.Series:
    """A dictionary-encoded text column (its chunks sharing one dictionary) as a pandas
    categorical: the codes of its chunks end to end, the dictionary as the categories."""
    import pyarrow as pa

    assert isinstance(column, pa.ChunkedArray)
    chunks = column.chunks
    if chunks:
        texts = chunks[0].dictionary.to_numpy(zero_copy_only=False)
        codes = np.concatenate(
            [c.indices.to_numpy(zero_copy_only=False) for c in chunks], dtype=code_dtype(len(texts))
        )
    else:
        codes, texts = np.zeros(0, dtype=np.int8), np.zeros(0, dtype=object)
    categories = pd.Index(texts.astype(object), dtype=object)
    return pd.Series(pd.Categorical.from_codes(codes, categories=categories, validate=False))


def _records_frame(
    text: str, file: str, columns: Sequence[str] = ()
) -> tuple[pd.DataFrame | None, Location, list[InputProblem]]:
    loc = Location(file=file)
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
                    message("intake.read.bad_csv", error=str(err)),
                    row=prev + 1,
                    expected=message("intake.expected.csv"),
                )
            ],
        )
    return _frame_from_rows(records, starts, file, None, columns)


HEADER_SEARCH_ROWS = 10
"""How far down a sheet or file the header row is looked for, below a title."""


def _header_hits(record: Sequence[object], known: set[str]) -> int:
    return sum(1 for c in record if not is_empty(c) and str(c).strip().casefold() in known)


def _frame_from_rows(
    records: Sequence[Sequence[object]],
    numbers: list[int],
    file: str,
    sheet: str | None,
    columns: Sequence[str] = (),
) -> tuple[pd.DataFrame | None, Location, list[InputProblem]]:
    """A raw frame from the rows of a file or sheet: the header is the first non-blank row, or,
    when that row names fewer than two of ``columns`` and a row below it does, that row (a
    title above the table is said in a warning, never read as data)."""
    filled = [k for k, r in enumerate(records) if not all(map(is_empty, r))]
    head = filled[0] if filled else None
    notes: list[InputProblem] = []
    known = {c.casefold() for c in columns}
    if head is not None and known and _header_hits(records[head], known) < 2:
        below = (k for k in filled[1:HEADER_SEARCH_ROWS] if _header_hits(records[k], known) >= 2)
        found = next(below, None)
        if found is not None:
            head = found
            first, header_row = numbers[0], numbers[found]
            notes.append(
                Location(file=file, sheet=sheet).problem(
                    message(
                        "intake.read.header_below",
                        header=header_row,
                        first=first,
                        last=header_row - 1,
                    ),
                    row=header_row,
                    expected=message("intake.expected.header_first"),
                    severity=WARNING,
                )
            )
    if head is None:
        loc = Location(file=file, sheet=sheet)
        empty = message(_EMPTY[1] if sheet else _EMPTY[0])
        return None, loc, [loc.problem(empty, expected=message("intake.expected.header_and_data"))]
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
    return frame, loc, notes


# --------------------------------------------------------------------------- inputs
@dataclass
class Read:
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
        first = problems[0].what if problems else None
        empty = frame is None and first is not None and first.id in _EMPTY
        if empty and name not in REQUIRED:
            self.problems.append(
                loc.problem(
                    message("intake.read.empty_unsupplied", what=loc.what), severity=WARNING
                )
            )
            return
        self.problems.extend(problems)
        if frame is None:
            self.unusable.add(name)
        else:
            self.frames[name] = frame
            self.locate[name] = loc


def read_parquet_bytes(
    data: bytes, file: str
) -> tuple[pd.DataFrame | None, Location, list[InputProblem]]:
    """Raw cells of one Parquet file (large data), as text, and their row locations.

    Text columns stay text (pyarrow strings); number, date and time columns stay typed, like
    an Excel workbook's cells (a missing value or NaN is an empty cell), and are parsed once
    per distinct value; other types become text. Rows are numbered as in the same table
    written as CSV (header = row 1, first data row = row 2).
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    loc = Location(file=file)
    try:
        table = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowException, OSError, ValueError) as err:
        return None, loc, [
            loc.problem(
                message("intake.read.bad_parquet", error=str(err)[:200]),
                expected=message("intake.expected.parquet"),
            )
        ]  # fmt: skip
    string = pd.StringDtype("pyarrow")
    cols = []
    for column in table.columns:
        kind = column.type
        if pa.types.is_date(kind):
            column, kind = pc.cast(column, pa.timestamp("ns")), pa.timestamp("ns")
        if pa.types.is_floating(kind) or pa.types.is_integer(kind) or pa.types.is_timestamp(kind):
            if pa.types.is_timestamp(kind) and kind.tz is not None:
                column = pc.cast(column, pa.timestamp(kind.unit))
            cols.append(column.to_pandas())  # typed: parsed once per distinct value
            continue
        if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            column = pc.cast(column, pa.string())
        cols.append(pc.cast(column, pa.large_string()).to_pandas(types_mapper=lambda _: string))
    frame = pd.concat(cols, axis=1, ignore_index=True) if cols else pd.DataFrame()
    frame.columns = [str(n) for n in table.column_names]
    return frame, loc, []


def read_folder(folder: Path) -> Read:
    """The table files of ``folder`` (``<table>.csv``, else ``<table>.parquet`` for large data;
    names matched case-insensitively).

    ``sha256`` covers the sorted file names and bytes of the table files read.
    """
    read = Read()
    files = {f.name.casefold(): f for f in sorted(folder.iterdir()) if f.is_file()}
    hashed: list[tuple[str, bytes]] = []
    for name in schema.INPUT_TABLES:
        path = files.pop(f"{name}.csv", None)
        parquet = files.pop(f"{name}.parquet", None)
        if path is None and parquet is not None:
            data = parquet.read_bytes()
            hashed.append((parquet.name, data))
            read.add(name, *read_parquet_bytes(data, parquet.name))
            continue
        if path is None:
            continue
        data = path.read_bytes()
        hashed.append((path.name, data))
        read.add(name, *read_csv_bytes(data, path.name, schema.TABLES[name].column_names))
    others = sorted(f.name for f in files.values() if f.suffix.casefold() == ".csv")
    expected = [f"{n}.csv" for n in schema.INPUT_TABLES]
    for name in sorted(REQUIRED - set(read.frames) - read.unusable):
        guess = suggest(f"{name}.csv", others)
        hint = message("intake.hint.meant_to_be", guess=guess) if guess else ""
        read.problems.append(
            InputProblem.of(
                message("intake.read.missing_file", name=f"{name}.csv", hint=hint),
                file=f"{name}.csv",
                expected=message("intake.expected.file_named", name=f"{name}.csv", folder=folder),
            )
        )
        read.unusable.add(name)
    for other in others:
        guess = suggest(other, expected)
        hint = message("intake.hint.did_you_mean", guess=guess) if guess else ""
        read.problems.append(
            InputProblem.of(
                message("intake.read.not_a_table", hint=hint),
                file=other,
                expected=message("intake.expected.one_of", values=expected),
                severity=WARNING,
            )
        )
    digest = hashlib.sha256()
    for fname, data in sorted(hashed, key=lambda item: item[0]):
        digest.update(fname.encode() + b"\0" + len(data).to_bytes(8, "big"))
        digest.update(data)  # the same bytes hashed, without joining them into a copy
    read.sha256 = digest.hexdigest()
    return read


def _sheet_frame(
    ws: object, file: str, title: str, columns: Sequence[str] = ()
) -> tuple[pd.DataFrame | None, Location, list[InputProblem]]:
    records = [list(r) for r in ws.iter_rows(values_only=True)]  # type: ignore[attr-defined]
    return _frame_from_rows(records, list(range(1, len(records) + 1)), file, title, columns)


_MERGE = re.compile(rb'<mergeCell ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')


def _merged_ranges(data: bytes, ws: object) -> list[tuple[str, int, str, int]]:
    """The merged ranges of a read-only worksheet as (first column, first row, last column,
    last row), read from the sheet's XML (openpyxl's read-only mode does not expose them)."""
    part = getattr(ws, "_worksheet_path", None)  # the sheet's file inside the workbook
    if not part:
        return []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read(part)
    return [(m[1].decode(), int(m[2]), m[3].decode(), int(m[4])) for m in _MERGE.finditer(xml)]


def _merged_problem(loc: Location, ref: tuple[str, int, str, int]) -> InputProblem:
    c1, r1, c2, r2 = ref
    return loc.problem(
        message("intake.read.merged", first=f"{c1}{r1}", last=f"{c2}{r2}"),
        row=r1,
        expected=message("intake.expected.unmerged"),
    )


def read_workbook(path: Path) -> Read:
    """The table sheets of one workbook (sheet names matched case-insensitively).

    The template's helper sheets are skipped; any other unknown sheet is an error.
    ``sha256`` covers the file's bytes.
    """
    data = path.read_bytes()
    read = Read(sha256=hashlib.sha256(data).hexdigest())
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as err:
        read.problems.append(
            InputProblem.of(
                message("intake.read.bad_workbook", error=str(err)),
                file=path.name,
                expected=message("intake.expected.workbook"),
            )
        )
        read.unusable.update(REQUIRED)
        return read
    titles = list(wb.sheetnames)
    try:
        for title in titles:
            key = title.strip().casefold()
            if key in HELPER_SHEETS:
                continue
            if key not in schema.INPUT_TABLES:
                guess = suggest(key, schema.INPUT_TABLES)
                hint = message("intake.hint.did_you_mean", guess=guess) if guess else ""
                read.problems.append(
                    InputProblem.of(
                        message("intake.read.unknown_sheet", title=title, hint=hint),
                        file=path.name,
                        sheet=title,
                        expected=message(
                            "intake.expected.sheet_or_helper",
                            tables=schema.INPUT_TABLES,
                            helpers=HELPER_SHEETS,
                        ),
                    )
                )
                continue
            frame, loc, problems = _sheet_frame(
                wb[title], path.name, title, schema.TABLES[key].column_names
            )
            merged = [ref for ref in _merged_ranges(data, wb[title]) if ref[3] > loc.header_row]
            if merged:  # the table is unusable as read: said once, no knock-on errors
                problems += [_merged_problem(loc, ref) for ref in merged]
                frame = None
            read.add(key, frame, loc, problems)
    finally:
        wb.close()
    for name in sorted(REQUIRED - set(read.frames) - read.unusable):
        read.problems.append(
            InputProblem.of(
                message("intake.read.missing_sheet", name=name),
                file=path.name,
                expected=message("intake.expected.sheet_named", name=name, titles=titles),
            )
        )
        read.unusable.add(name)
    return read
