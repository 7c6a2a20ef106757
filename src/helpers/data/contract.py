"""The pandera contract of a validated table, derived from :mod:`helpers.data.schema`.

The dtypes a validated frame holds for each kind of column (:func:`dtype_of`), the pandera
``DataFrameSchema`` checked at the boundary (:func:`pandera_schema`) and an empty frame with
those dtypes (:func:`empty_frame`). Why pandera: see :mod:`helpers.data.schema`.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from helpers.data.schema import TABLES, Column, Table

_DTYPES: dict[str, object] = {
    "code": pd.StringDtype(),
    "text": pd.StringDtype(),
    "enum": pd.StringDtype(),
    "int": "int64",
    "amount": "float64",
    "number": "float64",
    "date": "datetime64[ns]",
    "bool": pd.BooleanDtype(),
}


def dtype_of(column: Column) -> object:
    """The pandas dtype a validated frame holds for ``column``."""
    return _DTYPES[column.kind]


def _checks(column: Column) -> list[pa.Check]:
    checks: list[pa.Check] = []
    if column.allowed is not None:
        checks.append(pa.Check.isin(list(column.allowed)))
    if column.min_value is not None:
        checks.append(pa.Check.ge(column.min_value))
    if column.max_value is not None:
        checks.append(pa.Check.le(column.max_value))
    return checks


def pandera_schema(table: str | Table, *, with_derived: bool = True) -> pa.DataFrameSchema:
    """The pandera contract of a validated table (columns, dtypes, nulls, checks, unique key).

    Columns that are optional in input files are always present in a validated frame (the
    loader adds them empty), so every column is required here.
    """
    t = TABLES[table] if isinstance(table, str) else table
    cols = t.columns + (t.derived if with_derived else ())
    return pa.DataFrameSchema(
        {
            c.name: pa.Column(
                dtype_of(c),
                checks=_checks(c),
                nullable=c.nullable,
                required=True,
                description=c.description,
                title=c.unit,
            )
            for c in cols
        },
        unique=list(t.key) if t.key else None,
        strict=True,
        ordered=False,
        name=t.name,
    )


def empty_frame(table: str | Table, *, with_derived: bool = True) -> pd.DataFrame:
    """A frame with no rows and the validated dtypes of ``table``."""
    t = TABLES[table] if isinstance(table, str) else table
    cols = t.columns + (t.derived if with_derived else ())
    return pd.DataFrame({c.name: pd.Series(dtype=dtype_of(c)) for c in cols})
