"""Design matrices of the lag models, built with numpy: dense for the Cox model, and for the
year-end model with its widest one-hot block (one column per district) kept as one code per
row, never as a lines x districts matrix."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers.analysis.lag.blockfit import BlockX, widest_block

_FACTOR = re.compile(r"C\((\w+)\)")


def _dummies(values: pd.Series, name: str) -> tuple[list[str], np.ndarray]:
    """Treatment dummies of a factor (reference = first sorted level): patsy-style names, and
    the column of each row's 1 within the block (-1 for the reference level)."""
    text = values.astype(str).to_numpy()
    levels, codes = np.unique(text, return_inverse=True)
    return [f"C({name})[T.{lv}]" for lv in levels[1:]], codes - 1


def _onehot(codes: np.ndarray, width: int) -> np.ndarray:
    out = np.zeros((len(codes), width))
    rows = np.flatnonzero(codes >= 0)
    out[rows, codes[rows]] = 1.0
    return out


@dataclass
class _Part:
    """One term's columns: dense ``values``, or a one-hot block kept as ``codes``."""

    term: str
    names: list[str]
    values: np.ndarray | None
    codes: np.ndarray | None
    """Each row's column within a one-hot block (-1: the reference level), else None."""
    deriv: np.ndarray | None
    """The columns' derivative in the slope variable (None: zero)."""

    @property
    def width(self) -> int:
        return len(self.names)

    def dense(self) -> np.ndarray:
        return self.values if self.values is not None else _onehot(self.codes, self.width)

    def dense_deriv(self, n: int) -> np.ndarray:
        return self.deriv if self.deriv is not None else np.zeros((n, self.width))


def _parts(
    frame: pd.DataFrame, terms: Sequence[str], intercept: bool, slope: str | None
) -> list[_Part]:
    n = len(frame)
    out = [_Part("Intercept", ["Intercept"], np.ones((n, 1)), None, None)] if intercept else []
    for term in terms:
        x_name, _, factor = term.rpartition(":") if ":" in term else ("", "", term)
        match = _FACTOR.fullmatch(factor)
        if match is None:
            x = frame[factor].to_numpy(dtype=float)[:, None]
            out.append(_Part(term, [factor], x, None, np.full((n, 1), float(factor == slope))))
        elif frame[match.group(1)].nunique() > 1:
            names, codes = _dummies(frame[match.group(1)], match.group(1))
            if not x_name:
                out.append(_Part(term, names, None, codes, None))
                continue
            block = _onehot(codes, len(names))
            x = frame[x_name].to_numpy(dtype=float)[:, None]
            out.append(
                _Part(
                    term,
                    [f"{x_name}:{nm}" for nm in names],
                    block * x,
                    None,
                    block * float(x_name == slope),
                )
            )
    return out


@dataclass
class Design:
    """A design matrix, its column names, the terms kept, and its derivative in ``slope``."""

    X: np.ndarray
    names: list[str]
    terms: list[str]
    dX: np.ndarray
    """Derivative of each row with respect to the ``slope`` column (zero without one)."""
    onehot: dict[str, tuple[int, int, np.ndarray]] = field(default_factory=dict)
    """Factor term -> (first column, end column, each row's column within the block or -1):
    the blocks that are one-hot, which :mod:`helpers.analysis.lag.blockfit` multiplies
    without the zeros."""


def _onehot_blocks(parts: list[_Part]) -> dict[str, tuple[int, int, np.ndarray]]:
    out, width = {}, 0
    for p in parts:
        if p.codes is not None:
            out[p.term] = (width, width + p.width, p.codes)
        width += p.width
    return out


def design_matrix(
    frame: pd.DataFrame, terms: Sequence[str], *, intercept: bool = False, slope: str | None = None
) -> Design:
    """The design matrix of ``terms``, one block of columns per term in the order given.

    ``"x"`` enters linearly; ``"C(f)"`` as treatment dummies (first sorted level the
    reference, patsy's names); ``"x:C(f)"`` as ``x`` times each dummy of ``f``. A factor with
    one level is left out with its interactions. ``dX`` differentiates each row in ``slope``
    (the design is linear in it). Built with numpy because patsy inspects every cell of a
    string column in Python (slow on large data) and codes factors full-rank without an
    intercept, which the Cox design does not want.
    """
    n = len(frame)
    parts = _parts(frame, terms, intercept, slope)
    names = [nm for p in parts for nm in p.names]
    X = np.hstack([p.dense() for p in parts]) if parts else np.zeros((n, 0))
    dX = np.hstack([p.dense_deriv(n) for p in parts]) if parts else np.zeros((n, 0))
    kept = [p.term for p in parts if p.term != "Intercept" or not intercept]
    return Design(X, names, kept, dX, _onehot_blocks(parts))


@dataclass
class BlockDesign:
    """:func:`design_matrix` with its widest one-hot block kept as codes
    (:class:`~helpers.analysis.lag.blockfit.BlockX`)."""

    X: BlockX
    dA: np.ndarray
    """Derivative of the dense columns in ``slope`` (the block's is zero: a main effect)."""
    names: list[str]
    terms: list[str]


def block_design(
    frame: pd.DataFrame, terms: Sequence[str], *, intercept: bool = False, slope: str | None = None
) -> BlockDesign:
    """:func:`design_matrix` (the same columns, names and order) without materialising the
    widest one-hot block of at least two columns (the first of equal ones): memory and time
    linear in the rows times the other columns."""
    n = len(frame)
    parts = _parts(frame, terms, intercept, slope)
    start, stop, codes = widest_block(_onehot_blocks(parts))
    k = sum(p.width for p in parts)
    dense = np.r_[np.arange(0, start), np.arange(stop, k)].astype(int)
    rest, pos = [], 0
    for p in parts:
        if not (codes is not None and pos == start and p.codes is codes):
            rest.append(p)
        pos += p.width
    A = np.hstack([p.dense() for p in rest]) if rest else np.zeros((n, 0))
    dA = np.hstack([p.dense_deriv(n) for p in rest]) if rest else np.zeros((n, 0))
    block_codes = np.full(n, -1) if codes is None else np.asarray(codes)
    return BlockDesign(
        BlockX(np.ascontiguousarray(A), dense, start, stop, block_codes),
        dA,
        [nm for p in parts for nm in p.names],
        [p.term for p in parts if p.term != "Intercept" or not intercept],
    )
