"""Read one raw cell as its column's kind (:attr:`helpers.data.schema.Column.kind`).

Empty cells
    ``None``, NaN, NaT, ``pd.NA`` and blank text are empty; an empty cell of a required
    column is an error, elsewhere it stays empty.

Text, codes, enums, yes/no
    Text is NFC-normalised and stripped; numbers from Excel become text without a trailing
    ``.0``. Enum values are resolved through their aliases (:func:`helpers.data.units.enum_resolver`);
    yes/no cells accept true/false, 1/0, yes/no and có/không.

Numbers
    Cells of kind ``amount``/``number`` that are already numbers (Excel) are taken as they
    are. Text is read in either convention: plain ``1526790.5`` or ``1526790,5``; Vietnamese
    grouping ``1.526.790``, ``1.526.790,5``, ``1.526,5``; English grouping ``1,526,790``,
    ``1,526,790.5``, ``1,526.5``. A text with one separator followed by exactly three digits
    (``1.526``, ``1,526``; not ``0.526``) is a thousands group in one convention and a decimal
    mark in the other: it is read with the convention that the unambiguous number texts of the
    same table show (:func:`number_convention`; cells that are already numbers show none), and
    is an error when they show none or show both. Unit words (``12 tỷ``), NaN and infinity are
    errors; amounts must be ≥ 0, other columns within their declared range.

Dates
    Dates from Excel (and ``datetime``/``Timestamp`` values) are taken as they are; text is
    read as ISO ``yyyy-mm-dd`` or day-first ``dd/mm/yyyy`` (also ``-`` or ``.`` as separator),
    never month-first. A bare number in a date column (an Excel serial) is an error, and so is
    a year outside 1900–2100.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import numbers
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.core.errors import Message, Number, message
from helpers.data.schema import Column
from helpers.data.units import enum_resolver

DATE_EXPECTED = message("intake.expected.date")
NUMBER_EXAMPLES = {"plain": "1526790", "vi": "1.526.790,5", "en": "1,526,790.5"}
"""The number texts messages show as examples of the accepted writings."""


class _CellError(Exception):
    """A cell that cannot be read as its column's kind."""

    def __init__(self, what: Message, expected: Message) -> None:
        super().__init__(str(what))
        self.what = what
        self.expected = expected


@dataclass(frozen=True)
class CellFailure:
    """A cell of a column that could not be read: its 0-based index and what was wrong."""

    index: int
    message: Message
    expected: Message
    value: object | None = None


def _plain(x: float) -> Number:
    """A number as ``format(x, "g")`` writes it (no grouping, no trailing zeros)."""
    return Number(x, digits=6, trim=True, grouped=False)


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


def _range_expected(column: Column) -> Message:
    lo, hi = column.min_value, column.max_value
    if lo is not None and hi is not None:
        return message("intake.expected.between", lo=_plain(lo), hi=_plain(hi))
    if lo is not None:
        return message("intake.expected.at_least", lo=_plain(lo))
    return message("intake.expected.at_most", hi=_plain(hi or 0))


def _check_range(x: float, column: Column) -> None:
    too_low = column.min_value is not None and x < column.min_value
    too_high = column.max_value is not None and x > column.max_value
    if column.kind == "amount" and too_low and column.min_value == 0:
        raise _CellError(
            message("intake.cell.negative_amount"),
            message("intake.expected.amount_at_least", lo=Number(0)),
        )
    if column.kind == "amount" and too_high:
        raise _CellError(
            message("intake.cell.amount_too_large"),
            message("intake.expected.amount_up_to", hi=Number(column.max_value or 0)),
        )
    if too_low or too_high:
        raise _CellError(
            message("intake.cell.out_of_range", name=column.name), _range_expected(column)
        )


def _parse_int(value: object, column: Column) -> int:
    expected = (
        message("intake.expected.whole_in_range", range=_range_expected(column))
        if column.min_value is not None
        else message("intake.expected.whole")
    )
    not_whole = message("intake.cell.not_whole")
    if isinstance(value, bool | np.bool_):
        raise _CellError(not_whole, expected)
    if isinstance(value, numbers.Integral):
        n = int(value)
    elif isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer():
        n = int(float(value))
    elif isinstance(value, str) and (m := re.fullmatch(r"([+-]?\d+)(?:\.0*)?", value.strip())):
        n = int(m.group(1))
    else:
        raise _CellError(not_whole, expected)
    _check_range(n, column)
    return n


# --------------------------------------------------------------------------- numbers
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


def _not_number(column: Column) -> _CellError:
    """The error of a cell that is not a number (built only when one is found)."""
    unit = message(
        "intake.expected.unit_amount" if column.kind == "amount" else "intake.expected.unit_number"
    )
    expected = message("intake.expected.number", unit=unit, **NUMBER_EXAMPLES)
    return _CellError(message("intake.cell.not_number"), expected)


def _parse_number(value: object, column: Column, convention: str | None = None) -> float:
    if isinstance(value, str):  # a CSV cell (tested first: the common case)
        try:
            parsed = parse_number_text(value, convention)
        except AmbiguousNumber:
            why = "mixed" if convention == "mixed" else "no_evidence"
            raise _CellError(
                message("intake.cell.ambiguous", why=message(f"intake.cell.ambiguous_{why}")),
                message(
                    "intake.expected.ambiguous",
                    whole=value.strip().replace(".", "").replace(",", ""),
                    decimal=f"{value.strip()}0",
                ),
            ) from None
        if parsed is None:
            raise _not_number(column)
        x = parsed
    elif isinstance(value, bool | np.bool_):
        raise _not_number(column)
    elif isinstance(value, numbers.Real):
        x = float(value)
    else:
        raise _not_number(column)
    if not math.isfinite(x):
        raise _CellError(message("intake.cell.not_finite"), _not_number(column).expected)
    _check_range(x, column)
    return x


# --------------------------------------------------------------------------- dates
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?")
_DMY_DATE = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})")


def _date_from_text(text: str) -> pd.Timestamp:
    t = text.strip()
    if m := _ISO_DATE.fullmatch(t):
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    elif m := _DMY_DATE.fullmatch(t):
        d, mo, y = int(m.group(1)), int(m.group(3)), int(m.group(4))
    elif re.fullmatch(r"\d+(?:[.,]\d+)?", t):
        raise _CellError(message("intake.cell.date_serial"), DATE_EXPECTED)
    else:
        raise _CellError(message("intake.cell.not_date"), DATE_EXPECTED)
    try:
        day = dt.date(y, mo, d)
    except ValueError:
        hint = message("intake.cell.day_first") if mo > 12 else ""
        raise _CellError(
            message("intake.cell.impossible_date", day=d, month=mo, year=y, hint=hint),
            DATE_EXPECTED,
        ) from None
    return pd.Timestamp(day)


def _parse_date(value: object, column: Column) -> pd.Timestamp:
    if isinstance(value, dt.datetime | dt.date | np.datetime64):
        ts = pd.Timestamp(value)
    elif isinstance(value, str):
        ts = _date_from_text(value)
    else:
        raise _CellError(message("intake.cell.date_number_cell"), DATE_EXPECTED)
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    if not 1900 <= ts.year <= 2100:
        raise _CellError(
            message("intake.cell.implausible_date"),
            message("intake.expected.date_between", date=DATE_EXPECTED, lo=1900, hi=2100),
        )
    return ts.normalize()


# --------------------------------------------------------------------------- other kinds
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
        raise _CellError(
            message("intake.cell.not_bool"), message("intake.expected.bool", one="1", zero="0")
        )
    return hit


def _parse_enum(value: object, column: Column) -> str:
    resolver = enum_resolver(column)
    hit = resolver.resolve(_as_text(value))
    if hit is None:
        raise _CellError(
            message("intake.cell.unknown_value", what=column.name.replace("_", " ")),
            _enum_expected(resolver.allowed, resolver.aliases),
        )
    return hit


def _enum_expected(allowed: Sequence[str], aliases: Mapping[str, Sequence[str]]) -> Message:
    """The allowed values of an enum column, with a few Vietnamese aliases."""
    examples = [s for v in allowed for s in aliases.get(v, ())[:2]]
    if examples:
        return message("intake.expected.one_of_or_vi", values=list(allowed), examples=examples)
    return message("intake.expected.one_of", values=list(allowed))


_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
"""Control characters (NUL, terminal escapes, C1) and text-direction overrides; free text may
also hold tabs and line breaks, one-line text may not."""
_LINE_BREAKS = re.compile(r"[\t\n\r]")


def _parse_text(value: object, column: Column) -> str:
    text = _as_text(value)
    bad = _CONTROL.search(text) or (None if column.free_text else _LINE_BREAKS.search(text))
    if bad:
        raise _CellError(
            message(
                "intake.cell.control_char", code=f"U+{ord(bad.group()):04X}", pos=bad.start() + 1
            ),
            message(
                "intake.expected.printable" if column.free_text else "intake.expected.one_line"
            ),
        )
    if len(text) > column.max_length:
        raise _CellError(
            message("intake.cell.too_long", n=Number(len(text))),
            message("intake.expected.at_most_chars", n=Number(column.max_length)),
        )
    return text


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
"""Dtypes while checking (nullable, since a failed cell is empty); cast to schema at the end.
Text columns read once per distinct text are categorical while checking (see
:func:`_typed_series`)."""


def _series(values: list[object], kind: str) -> pd.Series:
    if kind in ("amount", "number"):
        values = [np.nan if v is None else v for v in values]
    return pd.Series(values, dtype=_WORKING_DTYPES[kind])


# --------------------------------------------------------------------------- columns
def is_text_column(s: pd.Series) -> bool:
    """Every non-empty cell is a ``str`` (a CSV column): parsed once per distinct text."""
    if isinstance(s.dtype, pd.StringDtype):
        return True
    if isinstance(s.dtype, pd.CategoricalDtype):  # a CSV column read by pyarrow
        return pd.api.types.infer_dtype(s.cat.categories, skipna=False) in ("string", "empty")
    if s.dtype != object:
        return False
    return pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty")


def text_codes(s: pd.Series) -> tuple[np.ndarray, list[str], np.ndarray]:
    """A text column as ``(codes, uniques, blank)``: row -> index of its distinct text (the
    index ``len(uniques)`` for a missing cell), the distinct texts, and which of them are
    blank (the last entry, for missing cells, is blank). A categorical column is coded by its
    categories (every one, whether or not a row holds it)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        codes, uniques = s.cat.codes.to_numpy(), s.cat.categories
    else:
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
    texts = [str(u) for u in np.asarray(uniques, dtype=object).tolist()]
    if (codes < 0).any():
        codes = np.where(codes < 0, len(texts), codes.astype(np.intp))
    blank = np.array([not t.strip() for t in texts] + [True], dtype=bool)
    return codes, texts, blank


def empty_cells(s: pd.Series) -> np.ndarray:
    """:func:`is_empty` of every cell of a column, as a boolean array."""
    if s.dtype.kind in "iufMb":  # one numpy dtype: empty is NaN / NaT
        return s.isna().to_numpy()
    if len(s) and is_text_column(s):
        codes, _, blank = text_codes(s)
        return blank[codes]
    return np.fromiter((is_empty(v) for v in s.tolist()), dtype=bool, count=len(s))


def code_dtype(n: int) -> type[np.signedinteger]:
    """The integer dtype pandas keeps the codes of a categorical of ``n`` categories in (codes
    built in it are not copied again)."""
    for dtype in (np.int8, np.int16, np.int32):
        if n < np.iinfo(dtype).max:
            return dtype
    return np.int64


def _typed_series(parsed: list[object], codes: np.ndarray, kind: str) -> pd.Series:
    """The parsed distinct values (``parsed[-1]`` is ``None``, for missing cells) spread over
    the rows by ``codes``, in the working dtype of ``kind``."""
    if kind in ("amount", "number"):
        arr = np.array([np.nan if v is None else v for v in parsed], dtype="float64")
        return pd.Series(arr[codes])
    if kind == "date":
        days = pd.to_datetime(pd.Series(parsed, dtype=object)).to_numpy("datetime64[ns]")
        return pd.Series(days[codes])
    if kind in ("int", "bool"):
        return pd.Series(pd.array(parsed, dtype=_WORKING_DTYPES[kind]).take(codes))
    # text: a categorical column (the distinct values once, an integer code per row), so
    # that the rules compare and group codes rather than millions of strings
    arr = np.empty(len(parsed), dtype=object)
    arr[:] = parsed
    value_codes, values = pd.factorize(arr, use_na_sentinel=True)
    categories = pd.Index(np.asarray(values, dtype=object), dtype=object)
    small = value_codes.astype(code_dtype(len(categories)))
    return pd.Series(pd.Categorical.from_codes(small[codes], categories=categories))


def parse_column(
    values: Sequence[object] | pd.Series,
    column: Column,
    convention: str | None = None,
    *,
    coded: tuple[np.ndarray, list[str], np.ndarray] | None = None,
) -> tuple[pd.Series, list[CellFailure]]:
    """Parse the raw cells of one column.

    A column of texts (a CSV file's) is parsed once per distinct text and spread over the rows;
    other columns (typed cells from Excel) cell by cell.

    Args:
        values: the raw cells, in row order.
        column: the schema column they belong to.
        convention: decimal convention of the table's number texts (:func:`number_convention`).
        coded: the column already factorised by :func:`text_codes`, if it was.

    Returns:
        ``(series, failures)``: the parsed values in a nullable working dtype (a failed or
        empty cell is empty) and the failed cells in row order.
    """
    if coded is not None:
        return _parse_texts(coded, column, convention)
    s = values.reset_index(drop=True) if isinstance(values, pd.Series) else None
    if s is None or not len(s):
        return _parse_cells(list(values), column, convention)
    if is_text_column(s):
        return _parse_texts(text_codes(s), column, convention)
    if s.dtype.kind in "iufM":  # one numpy dtype (Parquet): each distinct value parsed once
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
        typed = list(uniques)
        codes = np.where(codes < 0, len(typed), codes)
        blank = np.zeros(len(typed) + 1, dtype=bool)
        blank[-1] = True
        return _parse_texts((codes, typed, blank), column, convention)
    return _parse_cells(list(values), column, convention)


def _parse_texts(
    coded: tuple[np.ndarray, list, np.ndarray], column: Column, convention: str | None
) -> tuple[pd.Series, list[CellFailure]]:
    """:func:`parse_column` of a factorised column: each distinct text (or typed value of a
    single-dtype column) parsed once."""
    parser = _PARSERS[column.kind]
    if column.kind in ("amount", "number"):
        parser = functools.partial(_parse_number, convention=convention)
    codes, texts, blank = coded
    parsed: list[object] = []
    failed: dict[int, _CellError] = {}
    for k, text in enumerate(texts):
        if blank[k]:
            parsed.append(None)
            continue
        try:
            parsed.append(parser(text, column))
        except _CellError as err:
            failed[k] = err
            parsed.append(None)
    parsed.append(None)  # missing cells
    bad_text = np.zeros(len(texts) + 1, dtype=bool)
    bad_text[list(failed)] = True
    if not column.nullable:
        bad_text |= blank
    failures: list[CellFailure] = []
    if bad_text.any():
        empty, required = message("intake.cell.empty"), message("intake.expected.required")
        for i in np.flatnonzero(bad_text[codes]).tolist():
            k = int(codes[i])
            if k in failed:
                failures.append(CellFailure(i, failed[k].what, failed[k].expected, texts[k]))
            else:
                failures.append(CellFailure(i, empty, required))
    series = _typed_series(parsed, codes, column.kind)
    if column.same_magnitude and convention in ("en", "vi"):
        ambiguous = (
            np.array([bool(_AMBIGUOUS.fullmatch(t.strip())) for t in texts] + [False], dtype=bool)[
                codes
            ]
            & series.notna().to_numpy()
        )
        if ambiguous.any():
            out = series.astype(object).where(series.notna(), None).tolist()
            raw = [None if blank[k] else texts[k] for k in codes.tolist()]
            _flag_misread_magnitudes(raw, out, failures, convention)
            series = _series(out, column.kind)
    return series, failures


def _parse_cells(
    values: Sequence[object], column: Column, convention: str | None = None
) -> tuple[pd.Series, list[CellFailure]]:
    """:func:`parse_column` cell by cell (typed cells: Excel values, the demo's frames)."""
    parser = _PARSERS[column.kind]
    if column.kind in ("amount", "number"):
        parser = functools.partial(_parse_number, convention=convention)
    cache: dict[str, object] = {}
    out: list[object] = []
    failures: list[CellFailure] = []
    for i, value in enumerate(values):
        if is_empty(value):
            if not column.nullable:
                failures.append(
                    CellFailure(
                        i, message("intake.cell.empty"), message("intake.expected.required")
                    )
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
            failures.append(CellFailure(i, err.what, err.expected, value))
            parsed = None
        if key is not None and parsed is not None:
            cache[key] = parsed
        out.append(parsed)
    if column.same_magnitude and convention in ("en", "vi"):
        _flag_misread_magnitudes(values, out, failures, convention)
    return _series(out, column.kind), failures


MISREAD_DECADES = 1.0
"""How many powers of ten closer to its column's median the other reading of an ambiguous
number must be before the reading the table's convention gives is refused."""


def _flag_misread_magnitudes(
    values: Sequence[object], out: list[object], failures: list[CellFailure], convention: str
) -> None:
    """Refuse an ambiguous number text ("23.480") whose reading by the table's convention is
    a thousand times off the column's other values while the other reading fits them."""
    ambiguous = [
        i for i, v in enumerate(values)
        if isinstance(v, str) and _AMBIGUOUS.fullmatch(v.strip()) and out[i] is not None
    ]  # fmt: skip
    if not ambiguous:
        return
    skip = set(ambiguous)
    peers = [abs(float(v)) for i, v in enumerate(out) if i not in skip and v]  # type: ignore[arg-type]
    if len(peers) < 3:
        return
    centre = math.log10(float(np.median(peers)))
    for i in ambiguous:
        read = float(out[i])  # type: ignore[arg-type]
        other = read * 1000 if convention == "en" else read / 1000
        if read <= 0 or abs(math.log10(read) - centre) - abs(math.log10(other) - centre) < (
            MISREAD_DECADES
        ):
            continue
        text = str(values[i]).strip()
        mark = message("intake.cell.mark_point" if convention == "en" else "intake.cell.mark_comma")
        failures.append(
            CellFailure(
                i,
                message(
                    "intake.cell.misread", read=_plain(read), mark=mark, median=Number(10**centre)
                ),
                message(
                    "intake.expected.misread",
                    whole=text.replace(".", "").replace(",", ""),
                    decimal=f"{text}0",
                    read=_plain(read),
                ),
                values[i],
            )
        )
        out[i] = None
    failures.sort(key=lambda f: f.index)
