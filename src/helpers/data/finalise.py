"""The validated frame of a checked table: its columns in their final dtypes, validated by the
table's pandera contract (:func:`helpers.data.contract.pandera_schema`).

A text column is categorical while it is checked (each distinct text parsed once, an integer
code per row). Its final pandas string column is one take of its categories, and its
contract is checked on what the rows hold: its distinct values, and a missing value when a row
has none. A rule of the contract on a text column (allowed values, bounds, not null) is a
rule on each cell's value, so checking each distinct value checks every row; the other
columns, the dtypes and the frame's shape are checked on the whole frame. Only when something
fails is the whole frame validated again by the contract as it stands, so that the problems
name the rows, columns, values and checks they always did.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pandera.pandas as pa

from helpers.core.errors import InputProblem, message
from helpers.data import contract, schema
from helpers.data.cells import is_empty
from helpers.data.parsed import ParsedTable

__all__ = ["final_frame"]


def final_frame(table: ParsedTable) -> tuple[pd.DataFrame, list[InputProblem]]:
    """The validated frame of ``table`` and the problems its contract finds (none when every
    rule before it passed)."""
    name = table.name
    columns: dict[str, pd.Series] = {}
    distinct: dict[str, pd.Series] = {}
    for c in table.spec.columns:
        series, values = _final_column(table.frame[c.name], contract.dtype_of(c))
        columns[c.name] = series
        if values is not None:
            distinct[c.name] = values
    out = pd.DataFrame(columns, copy=False)
    if any(c.name == "line_id" for c in table.spec.derived):
        out["line_id"], ids = _line_ids(out, table)
        if ids is not None:
            distinct["line_id"] = ids
    if _passes(name, out, distinct):
        return out, []
    try:
        return _contract(name).validate(out, lazy=True, inplace=True), []
    except pa.errors.SchemaErrors as err:
        return out, _pandera_problems(err, table)


def _final_column(s: pd.Series, dtype: object) -> tuple[pd.Series, pd.Series | None]:
    """A working column in its validated dtype, and, for a categorical text column, the
    distinct values its rows hold (a missing value included when a row has none).

    The text column becomes a pandas string column by one take of its categories (no second
    pass over every cell); any other column is cast (not copied when already in its dtype).
    """
    if (
        isinstance(s.dtype, pd.CategoricalDtype)
        and isinstance(dtype, pd.StringDtype)
        and dtype.storage == "python"
        and pd.api.types.infer_dtype(s.cat.categories, skipna=False) in ("string", "empty")
    ):
        texts = pd.array(np.asarray(s.cat.categories, dtype=object), dtype=dtype)
        codes = s.cat.codes.to_numpy()
        held = np.bincount(codes + 1, minlength=len(texts) + 1) > 0  # [missing, *categories]
        values = texts.take(np.flatnonzero(held) - 1, allow_fill=True)
        column = pd.Series(texts.take(codes, allow_fill=True), index=s.index)
        return column, pd.Series(values)
    return s.astype(dtype, copy=False), None


def _line_ids(out: pd.DataFrame, table: ParsedTable) -> tuple[pd.Series, pd.Series | None]:
    """The ``line_id`` of each row, written once per plan line (from the line codes, for the
    tables whose codes were assigned together: :attr:`ParsedTable.line_ids`), and the
    distinct ids (``None`` when they were written row by row)."""
    if not len(out):
        return pd.Series(dtype="string"), None
    codes = table.line_code
    if codes is None or len(codes) != len(out) or (codes < 0).any():
        return schema.line_ids(out), None
    known = table.line_ids
    n = int(codes.max()) + 1
    some_row = np.empty(n, dtype=np.int64)
    some_row[codes] = np.arange(len(codes))  # a row of each line (any: they share the id)
    held = np.flatnonzero(np.bincount(codes, minlength=n))
    new = np.array([c not in known for c in held.tolist()], dtype=bool)
    if new.any():
        written = schema.line_ids(out.iloc[some_row[held[new]]]).tolist()
        known.update(zip(held[new].tolist(), written, strict=True))
    by_code = np.full(n, None, dtype=object)
    by_code[held] = [known[c] for c in held.tolist()]
    ids = pd.array(by_code, dtype="string")
    return pd.Series(ids.take(codes), index=out.index), pd.Series(ids.take(held))


def _passes(name: str, out: pd.DataFrame, distinct: Mapping[str, pd.Series]) -> bool:
    """Whether ``out`` meets its contract: the columns and their dtypes checked on the frame's
    (empty) head, then each column's rules on its rows, or on its distinct values when it has
    them (:func:`_by_value`)."""
    checked = _contract(name)
    try:
        checked.validate(out.iloc[:0], lazy=True, inplace=True)
        for column, rules in checked.columns.items():
            if column in distinct:
                held = distinct[column].to_frame(column)
                _by_value(name, column).validate(held, lazy=True, inplace=True)
            else:
                rules.validate(out, lazy=True, inplace=True)
    except pa.errors.SchemaErrors:
        return False
    return True


@functools.cache
def _contract(name: str) -> pa.DataFrameSchema:
    """The table's pandera contract without its unique-key check: every duplicate key was
    reported by :func:`helpers.data.checks.check_duplicates` (a frame is finalised only when
    no error was found), and checking it twice costs a hash of every key at scale."""
    checked = contract.pandera_schema(name)
    checked.unique = None
    return checked


@functools.cache
def _by_value(name: str, column: str) -> pa.Column:
    """The contract's rules of one column without its dtype (checked on the frame's head):
    what :func:`_passes` checks on the column's distinct values."""
    rules = copy.copy(_contract(name).columns[column])  # its checks shared, not changed
    rules.dtype = None
    return rules


def _pandera_problems(err: pa.errors.SchemaErrors, table: ParsedTable) -> list[InputProblem]:
    out = []
    for rec in err.failure_cases.to_dict("records"):
        idx = rec.get("index")
        row = None
        if idx is not None and not is_empty(idx) and 0 <= int(idx) < len(table.rows):
            row = table.row(int(idx))
        out.append(
            table.loc.problem(
                message("intake.table.schema_check", check=rec.get("check")),
                row=row,
                column=rec.get("column"),
                value=rec.get("failure_case"),
                expected=message("intake.expected.schema"),
            )
        )
    return out
