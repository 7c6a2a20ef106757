"""A table being checked (:class:`ParsedTable`) and what the rules share to word problems.

The rules of :mod:`helpers.data.checks` and :mod:`helpers.data.line_checks` work on whole
columns: which cells failed is one boolean array per column (:attr:`ParsedTable.bad`), the
user row numbers one integer array, and the plan lines one integer code per row
(:func:`assign_line_codes`, built once for the allocations and the disbursements together).
A rule finds its rows with array operations and words a problem only for the rows it reports,
in row order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers.core.errors import InputProblem, Message, Number, message
from helpers.data import schema
from helpers.data.cells import code_dtype, is_empty
from helpers.data.readers import Location


def today() -> pd.Timestamp:
    """The day the data are checked: no report, extension or target value comes after it."""
    return pd.Timestamp(dt.date.today())


def flagged(mask: np.ndarray) -> list[int]:
    """Positions of the true values of ``mask``, as Python ints."""
    return [int(i) for i in np.flatnonzero(mask)]


@dataclass
class ParsedTable:
    """A table being checked: typed working frame, row locations and failed cells.

    Attributes:
        spec: the schema table.
        frame: the parsed cells (a failed or empty cell is empty), one row per data row.
        loc: where the rows come from.
        rows: user row number of each row of ``frame`` (integer array).
        sink: where problems are recorded.
        bad: per column, which cells failed (parsing or a rule); a column without an entry
            has no failed cell.
        typed: cells as typed, by column, for the columns resolution rewrote (unit names to
            codes).
        line_code: per row, an integer code of the plan line (the same code in the
            allocations and the disbursements for the same line), -1 where a line-key cell
            failed; set by :func:`assign_line_codes`.
        line_ids: line code -> ``line_id``, one dictionary shared by the tables whose line
            codes were assigned together (each line's id is written once for them all).
    """

    spec: schema.Table
    frame: pd.DataFrame
    loc: Location
    rows: np.ndarray
    sink: list[InputProblem]
    bad: dict[str, np.ndarray] = field(default_factory=dict)
    typed: dict[str, pd.Series] = field(default_factory=dict)
    line_code: np.ndarray | None = None
    line_ids: dict[int, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec.name

    def __len__(self) -> int:
        return len(self.rows)

    def row(self, i: int) -> int:
        """User row number of data row ``i`` (0-based)."""
        return int(self.rows[i])

    def mark(self, column: str, mask: np.ndarray) -> None:
        """Mark the cells of ``column`` where ``mask`` is true as failed."""
        if column in self.bad:
            self.bad[column] |= mask
        else:
            self.bad[column] = np.array(mask, dtype=bool, copy=True)

    def is_bad(self, column: str, i: int) -> bool:
        arr = self.bad.get(column)
        return bool(arr is not None and arr[i])

    def report(
        self,
        i: int,
        what: Message,
        *,
        column: str | None = None,
        value: object | None = None,
        expected: Message | None = None,
        severity: str = "error",
    ) -> None:
        """Record a problem at data row ``i`` (0-based) and mark the cell failed."""
        if column is not None and severity == "error":
            if column not in self.bad:
                self.bad[column] = np.zeros(len(self), dtype=bool)
            self.bad[column][i] = True
        self.sink.append(
            self.loc.problem(
                what,
                row=self.row(i),
                column=column,
                value=value,
                expected=expected,
                severity=severity,
            )
        )

    def ok(self, *columns: str) -> np.ndarray:
        """Rows whose given cells all parsed (for checks that need those cells)."""
        out = np.ones(len(self), dtype=bool)
        for c in set(columns):
            if c in self.bad:
                out &= ~self.bad[c]
        return out

    def invalidate(self, column: str) -> None:
        """Mark a column unusable in every row (its reference table is unusable)."""
        self.bad[column] = np.ones(len(self), dtype=bool)

    def values(self, column: str) -> np.ndarray:
        """The column's cells as a NumPy object array (NA as ``None``), for row loops."""
        s = self.frame[column]
        return s.astype(object).where(s.notna(), None).to_numpy()


def coded_text_series(values: np.ndarray, codes: np.ndarray) -> pd.Series:
    """A working text column (categorical, the dtype text columns have while checking) of
    the texts ``values[codes]``, without building them row by row: ``values`` is a short
    object array of ``str`` or ``None`` (empty), ``codes`` an index into it per row. The
    categories are the texts some row holds, sorted: ``pd.Categorical(values[codes])``."""
    held = np.bincount(codes, minlength=len(values)) > 0 if len(codes) else np.zeros(0, bool)
    texts = sorted({values[k] for k in np.flatnonzero(held).tolist() if values[k] is not None})
    position = {text: j for j, text in enumerate(texts)}
    lookup = np.array(
        [position.get(v, -1) if v is not None else -1 for v in values], code_dtype(len(texts))
    )
    categories = pd.Index(np.array(texts, dtype=object), dtype=object)
    return pd.Series(pd.Categorical.from_codes(lookup[codes], categories=categories))


def _column_codes(columns: Sequence[pd.Series]) -> tuple[np.ndarray, int]:
    """Integer codes of the concatenated ``columns`` (empty cells one value of their own) and
    how many values there are; categorical columns are coded from their categories."""
    if all(isinstance(c.dtype, pd.CategoricalDtype) for c in columns):
        cats = pd.concat([pd.Series(c.cat.categories, dtype=object) for c in columns])
        glob, uniques = pd.factorize(cats.to_numpy(dtype=object))
        n = len(uniques)
        parts, start = [], 0
        for c in columns:
            k = len(c.cat.categories)
            lookup = np.append(glob[start : start + k], n).astype(np.int32)  # -1 (empty) -> n
            parts.append(lookup[c.cat.codes.to_numpy()])
            start += k
        return (np.concatenate(parts) if parts else np.zeros(0, np.int64)), n + 1
    small = _integer_codes(columns)
    if small is not None:
        return small
    plain = [c.astype(object) if isinstance(c.dtype, pd.CategoricalDtype) else c for c in columns]
    values = plain[0] if len(plain) == 1 else pd.concat(plain, ignore_index=True)
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return codes, len(uniques)


def _integer_codes(columns: Sequence[pd.Series]) -> tuple[np.ndarray, int] | None:
    """Codes of integer columns (NumPy or nullable) whose values span a short range, without
    hashing: ``value - least + 1``, 0 for an empty cell; ``None`` for other columns."""
    if not all(pd.api.types.is_integer_dtype(c.dtype) for c in columns):
        return None
    if all(isinstance(c.dtype, np.dtype) for c in columns):  # NumPy integers: none missing
        missing = np.zeros(0, dtype=bool)
        values = _joined([c.to_numpy() for c in columns])
    else:
        missing = _joined([c.isna().to_numpy(dtype=bool) for c in columns])
        values = _joined([c.to_numpy(dtype=np.int64, na_value=0) for c in columns])
    present = values[~missing] if missing.any() else values
    if not len(present):
        return np.zeros(len(values), dtype=np.int64), 1
    least, span = int(present.min()), int(present.max()) - int(present.min()) + 1
    if span > 4 * len(values) + 65536:
        return None
    codes = values - least + 1
    return (np.where(missing, 0, codes) if missing.any() else codes), span + 1


def _joined(arrays: Sequence[np.ndarray]) -> np.ndarray:
    """The arrays end to end (the one array itself, not a copy, when there is one)."""
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)


def key_codes(
    frames: Sequence[pd.DataFrame], columns: Sequence[str], *, dense: bool = True
) -> list[np.ndarray]:
    """One integer per row of each frame, equal for rows with equal ``columns`` (an empty cell
    is a value of its own), the same across the frames: numbered 0, 1, … in order of first
    row, or, when not ``dense``, any non-negative integers (one pass over the rows fewer)."""
    sizes = [len(f) for f in frames]
    combined = np.zeros(sum(sizes), dtype=np.int64)
    bound = 1  # combined < bound
    for col in columns:
        codes, n = _column_codes([f[col] for f in frames])
        if bound * (n + 1) >= 2**62:  # keep the mixed-radix number within int64
            combined, uniques = pd.factorize(combined)
            bound = len(uniques) + 1
        combined *= n + 1  # in place: no new array per column
        combined += codes
        bound *= n + 1
    if dense:
        combined, _ = pd.factorize(combined)
    out, start = [], 0
    for n in sizes:
        out.append(combined[start : start + n])
        start += n
    return out


def assign_line_codes(tables: Sequence[ParsedTable]) -> None:
    """Give every row of ``tables`` its plan-line code (-1 where a line-key cell failed)."""
    codes = key_codes([t.frame for t in tables], schema.LINE_KEY)
    ids: dict[int, str] = {}
    for t, c in zip(tables, codes, strict=True):
        t.line_code = np.where(t.ok(*schema.LINE_KEY), c, -1)
        t.line_ids = ids


def line_rows(table: ParsedTable, *more: str) -> tuple[np.ndarray, np.ndarray]:
    """Rows usable for a line rule (line key and ``more`` parsed) and the rows' line codes."""
    if table.line_code is None:
        assign_line_codes([table])
    assert table.line_code is not None
    return table.ok(*schema.LINE_KEY, *more), table.line_code


# --------------------------------------------------------------------------- wording
def fmt_date(ts: object) -> str:
    return pd.Timestamp(ts).strftime("%Y-%m-%d")  # type: ignore[arg-type]


def fmt_amount(x: float) -> str:
    return f"{x:,.6f}".rstrip("0").rstrip(".")


def amount(x: float) -> Number:
    """An amount in a message: grouped, up to six decimals, without trailing zeros."""
    return Number(float(x), digits=6, trim=True)


def key_text(v: object) -> str:
    return fmt_date(v) if isinstance(v, pd.Timestamp) else str(v)


def describe_line(row: Mapping[str, object]) -> Message:
    sub = row["subproject_code"]
    return message(
        "intake.check.line",
        year=row["plan_year"],
        unit=row["unit_code"],
        project=row["project_code"],
        sub="-" if is_empty(sub) else sub,
        capital_type=row["capital_type"],
        source=row["source"],
    )
