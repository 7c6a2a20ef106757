"""k x k matrices kept as a sparse part plus a low-rank part, ``S + L Q R'``.

The year-end model has a few dense columns and one column per district. Its normal-equation
matrix, the inverse of it and the sandwich covariance all have this form: a sparse part in
the district columns (diagonal there) plus a part of rank a few times the number of dense
columns. Held that way, memory and time grow with k times the number of dense columns, not
with k squared (3,300 districts: 0.4 MB instead of 90 MB, and no k x k inversion). The
quadratic forms ``g' M g`` that the delta-method intervals need are computed on the factors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse


@dataclass(frozen=True, eq=False)
class Layout:
    """Where a block design's columns sit in the full design."""

    dense: np.ndarray
    """Positions of the dense columns."""
    start: int
    stop: int
    """The one-hot block's columns (``start == stop``: none)."""

    @property
    def k(self) -> int:
        return len(self.dense) + self.stop - self.start

    @property
    def width(self) -> int:
        """Columns in the one-hot block."""
        return self.stop - self.start

    def embed_dense(self) -> np.ndarray:
        """(k x dense columns): the full design's columns that are the dense ones."""
        out = np.zeros((self.k, len(self.dense)))
        out[self.dense, np.arange(len(self.dense))] = 1.0
        return out

    def full(self, dense_part: np.ndarray, block_part: np.ndarray) -> np.ndarray:
        """Rows of a dense part and a block part put in the full design's order (1-D or 2-D)."""
        out = np.zeros((self.k, *np.shape(dense_part)[1:]))
        out[self.dense] = dense_part
        out[self.start : self.stop] = block_part
        return out

    def block_matrix(self, block: sparse.spmatrix | np.ndarray) -> sparse.csr_matrix:
        """A (block x block) matrix placed in a k x k sparse matrix."""
        coo = sparse.coo_matrix(block)
        return sparse.csr_matrix(
            (coo.data, (coo.row + self.start, coo.col + self.start)), shape=(self.k, self.k)
        )

    def rows(self, dense_part: np.ndarray, block_part: sparse.spmatrix) -> sparse.csr_matrix:
        """(m x k) sparse rows from a dense (m x dense columns) and a sparse block part."""
        m = dense_part.shape[0]
        d_rows, d_cols = np.nonzero(dense_part)
        b = sparse.coo_matrix(block_part)
        return sparse.csr_matrix(
            (
                np.r_[dense_part[d_rows, d_cols], b.data],
                (np.r_[d_rows, b.row], np.r_[self.dense[d_cols], b.col + self.start]),
            ),
            shape=(m, self.k),
        )


@dataclass
class SparseLowRank:
    """The k x k matrix ``S + L Q R'`` (``S`` sparse; ``L``, ``R``: k x r; ``Q``: r x r)."""

    S: sparse.csr_matrix
    L: np.ndarray
    Q: np.ndarray
    R: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return (self.L.shape[0], self.L.shape[0])

    @classmethod
    def dense(cls, M: np.ndarray) -> SparseLowRank:
        """A dense matrix as ``0 + I M I'`` (for small designs and hand-made models)."""
        M = np.asarray(M, dtype=float)
        k = M.shape[0]
        return cls(sparse.csr_matrix((k, k)), np.eye(k), M, np.eye(k))

    @classmethod
    def of_blocks(
        cls,
        layout: Layout,
        dd: np.ndarray,
        db: np.ndarray,
        bb: sparse.spmatrix | np.ndarray,
    ) -> SparseLowRank:
        """The symmetric matrix with dense x dense part ``dd``, dense x block part ``db`` and
        block x block part ``bb`` (sparse): ``E dd E' + E db F' + F db' E' + F bb F'`` with
        E, F the dense and block columns, written ``bb + [E, H] [[0, I], [I, 0]] [E, H]'``
        with ``H = E dd / 2 + F db'``."""
        E = layout.embed_dense()
        H = layout.full(dd / 2.0, np.asarray(db).T)
        r = len(layout.dense)
        Q = np.block([[np.zeros((r, r)), np.eye(r)], [np.eye(r), np.zeros((r, r))]])
        F = np.hstack([E, H])
        return cls(layout.block_matrix(bb), F, Q, F)

    def __matmul__(self, other: SparseLowRank) -> SparseLowRank:
        """``(S1 + L1 Q1 R1')(S2 + L2 Q2 R2') = S1 S2 + [S1 L2, L1] C [R2, S2' R1]'`` with
        ``C = [[Q2, 0], [Q1 R1' L2 Q2, Q1]]``."""
        r1, r2 = self.Q.shape[0], other.Q.shape[0]
        C = np.zeros((r2 + r1, r2 + r1))
        C[:r2, :r2] = other.Q
        C[r2:, :r2] = self.Q @ (self.R.T @ other.L) @ other.Q
        C[r2:, r2:] = self.Q
        return SparseLowRank(
            sparse.csr_matrix(self.S @ other.S),
            np.hstack([np.asarray(self.S @ other.L), self.L]),
            C,
            np.hstack([other.R, np.asarray(other.S.T @ self.R)]),
        )

    def scaled(self, factor: float) -> SparseLowRank:
        return SparseLowRank(self.S * factor, self.L, self.Q * factor, self.R)

    def diagonal(self) -> np.ndarray:
        return np.asarray(self.S.diagonal()) + np.einsum("ij,ij->i", self.L @ self.Q, self.R)

    def entry(self, i: int, j: int) -> float:
        return float(self.S[i, j] + self.L[i] @ self.Q @ self.R[j])

    def quad(self, g: np.ndarray | sparse.spmatrix) -> float:
        """``g' M g`` for a vector ``g`` (k, dense, or a sparse 1 x k row)."""
        if sparse.issparse(g):
            return float(self.quad_rows(g)[0])
        v = np.asarray(g, dtype=float)
        return float(v @ (self.S @ v) + (v @ self.L) @ self.Q @ (self.R.T @ v))

    def quad_rows(self, g: np.ndarray | sparse.spmatrix) -> np.ndarray:
        """``g_i' M g_i`` for each row of ``g`` (m x k, dense or sparse): time linear in the
        non-zero entries times the rank."""
        G = sparse.csr_matrix(g)
        s_part = np.asarray(G.multiply(G @ self.S.T).sum(axis=1)).ravel()
        low = np.einsum("ij,ij->i", np.asarray(G @ self.L) @ self.Q, np.asarray(G @ self.R))
        return np.asarray(s_part + low)

    def toarray(self) -> np.ndarray:
        return np.asarray(self.S.toarray()) + self.L @ self.Q @ self.R.T
