"""The year-end fractional logit fitted in time and memory linear in the units: the district
dummies are one-hot, so the products the fit needs skip their zeros and their part of the
normal equations is diagonal.

A design's widest one-hot block (one dummy column per district) is kept as one code per row;
the other columns stay dense. ``X' W X`` is then the dense part's product ``A``, the
per-district sums of the dense columns ``B`` and a diagonal ``D``; ``X β`` a dense product
plus one lookup: no product over lines x districts. The normal equations are solved through
the Schur complement ``S = A - B D⁻¹ B'`` (dense columns x dense columns), so no k x k matrix
is formed or inverted; their minimum-norm solution and the Moore-Penrose inverse (what
``np.linalg.lstsq`` and ``np.linalg.pinv`` give on the full matrix) come from the null space of
``S`` and the empty district columns (:class:`NormalSystem`). :func:`fit_logit` is statsmodels'
IRLS for a Binomial GLM with ``var_weights`` (same start, same weighted least squares step with
a minimum-norm solution, same deviance criterion), so it gives the same estimates;
:func:`sandwich` is :func:`helpers.analysis.lag.yearend.sandwich_cov` on the same blocks, kept
as a :class:`~helpers.analysis.lag.lowrank.SparseLowRank` matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.special import expit

from helpers.analysis.lag.lowrank import Layout, SparseLowRank

IRLS_MAX_ITER = 100
IRLS_TOL = 1e-8
"""statsmodels' defaults: at most 100 steps, stop when the deviance moves less than 1e-8."""
_EPS = np.finfo(float).eps


@dataclass
class BlockX:
    """A design matrix as its dense columns and one one-hot block (or none)."""

    A: np.ndarray
    """The dense columns (rows x ``len(dense)``)."""
    dense: np.ndarray
    """Their positions in the full design."""
    start: int
    stop: int
    """The one-hot block's columns in the full design (``start == stop``: none)."""
    codes: np.ndarray
    """Each row's column within the block, -1 for none (the reference level)."""

    @classmethod
    def of(cls, X: np.ndarray, onehot: dict[str, tuple[int, int, np.ndarray]]) -> BlockX:
        """Split ``X`` at its widest one-hot block (``onehot``: :attr:`Design.onehot`)."""
        k = X.shape[1]
        start, stop, codes = widest_block(onehot)
        if codes is None:
            codes = np.full(len(X), -1)
        dense = np.r_[np.arange(0, start), np.arange(stop, k)].astype(int)
        return cls(np.ascontiguousarray(X[:, dense]), dense, start, stop, np.asarray(codes))

    def rows(self, keep: np.ndarray) -> BlockX:
        """The design of the rows ``keep`` (a boolean mask or positions)."""
        return BlockX(self.A[keep], self.dense, self.start, self.stop, self.codes[keep])

    def with_dense(self, A: np.ndarray) -> BlockX:
        """The same rows and block with other dense columns (e.g. shifted in one variable)."""
        return BlockX(A, self.dense, self.start, self.stop, self.codes)

    @property
    def k(self) -> int:
        return len(self.dense) + self.stop - self.start

    @property
    def layout(self) -> Layout:
        return Layout(self.dense, self.start, self.stop)

    def __len__(self) -> int:
        return len(self.A)

    def onehot(self, weights: np.ndarray) -> sparse.csr_matrix:
        """(block columns x rows): each row's weight in its block column."""
        on = self.codes >= 0
        rows = np.flatnonzero(on)
        return sparse.csr_matrix(
            (weights[on], (self.codes[on], rows)), shape=(self.stop - self.start, len(self.A))
        )

    def gram_parts(self, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``X' diag(weights) X`` as its dense x dense part, its dense x block part and the
        block's diagonal (the block's other entries are 0: one block column per row)."""
        dd = (self.A * weights[:, None]).T @ self.A
        width = self.stop - self.start
        if not width:
            return dd, np.zeros((len(self.dense), 0)), np.zeros(0)
        cross = np.asarray(self.onehot(weights) @ self.A).T
        on = self.codes >= 0
        return dd, cross, np.bincount(self.codes[on], weights[on], minlength=width)

    def gram(self, weights: np.ndarray) -> SparseLowRank:
        """``X' diag(weights) X`` as a sparse plus low-rank matrix (full column order)."""
        dd, cross, diag = self.gram_parts(weights)
        return SparseLowRank.of_blocks(self.layout, dd, cross, sparse.diags(diag))

    def xt(self, v: np.ndarray) -> np.ndarray:
        """``X' v``."""
        out = np.zeros(self.k)
        out[self.dense] = self.A.T @ v
        if self.stop > self.start:
            on = self.codes >= 0
            out[self.start : self.stop] = np.bincount(
                self.codes[on], v[on], minlength=self.stop - self.start
            )
        return out

    def dot(self, beta: np.ndarray) -> np.ndarray:
        """``X β`` (``beta``: k, or k x columns for several parameter vectors at once)."""
        eta = self.A @ beta[self.dense]
        if self.stop > self.start:
            block = beta[self.start : self.stop]
            block = np.concatenate([block, np.zeros((1, *block.shape[1:]))])  # -1: reference
            eta = eta + block[self.codes]
        return eta

    def group_sums(self, v: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, sparse.csr_matrix]:
        """The sum of ``v`` times the design rows in each group (groups in order of first
        appearance): the dense part (groups x dense columns) and the block part (groups x
        block columns, sparse)."""
        codes, uniq = pd.factorize(pd.Series(groups))
        n_g = len(uniq)
        member = sparse.csr_matrix((v, (codes, np.arange(len(v)))), shape=(n_g, len(v)))
        on = self.codes >= 0
        block = sparse.csr_matrix(
            (v[on], (codes[on], self.codes[on])), shape=(n_g, self.stop - self.start)
        )
        return np.asarray(member @ self.A), block

    def sum_rows(self, v: np.ndarray, dense_extra: np.ndarray | None = None) -> sparse.csr_matrix:
        """``v' X`` (plus ``dense_extra`` in the dense columns) as a sparse (1 x k) row: the
        dense sums and the block columns present, in time linear in the rows."""
        on = self.codes >= 0
        cols, inverse = np.unique(self.codes[on], return_inverse=True)
        block = sparse.csr_matrix(
            (np.bincount(inverse, v[on], minlength=len(cols)), (np.zeros(len(cols), int), cols)),
            shape=(1, self.stop - self.start),
        )
        dense = v @ self.A if dense_extra is None else v @ self.A + dense_extra
        return self.layout.rows(dense[None, :], block)

    def toarray(self) -> np.ndarray:
        """The full (rows x k) design (for small designs only)."""
        out = np.zeros((len(self.A), self.k))
        out[:, self.dense] = self.A
        on = np.flatnonzero(self.codes >= 0)
        out[on, self.start + self.codes[on]] = 1.0
        return out


def widest_block(
    onehot: dict[str, tuple[int, int, np.ndarray]],
) -> tuple[int, int, np.ndarray | None]:
    """The widest one-hot block of a design (the first of equal ones), if at least two wide:
    (first column, end column, each row's column within it or -1); (0, 0, None) for none."""
    start, stop, codes = max(onehot.values(), key=lambda b: b[1] - b[0], default=(0, 0, None))
    if codes is None or stop - start < 2:
        return 0, 0, None
    return start, stop, codes


PSD_TOL = 1e-10
"""A column whose Cholesky pivot is at most this times its diagonal depends on earlier
columns (the rule of :func:`helpers.analysis.lag.yearend.solve_psd`)."""


def cholesky_kept(
    A: np.ndarray, tol: float = PSD_TOL, diag: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Cholesky factor of a symmetric positive semi-definite ``A`` in column order, skipping
    every column whose pivot is at most ``tol`` times its diagonal (``diag``: the diagonal
    to compare with, ``A``'s by default; a column with a diagonal of at most 0 is skipped):
    ``(L, kept)``, ``L`` zero in the skipped columns. Elementwise numpy only."""
    k = len(A)
    ref = np.diag(A) if diag is None else diag
    L = np.zeros_like(A, dtype=float)
    keep = np.zeros(k, bool)
    for j in range(k):
        d = A[j, j] - np.sum(L[j, :j] ** 2)
        if ref[j] <= 0 or d <= tol * ref[j]:
            continue
        keep[j] = True
        L[j, j] = np.sqrt(d)
        L[j + 1 :, j] = (A[j + 1 :, j] - np.sum(L[j + 1 :, :j] * L[j, :j], axis=1)) / L[j, j]
    return L, keep


def _last_pivots(basis: np.ndarray, tol: float = 1e-8) -> list[int]:
    """The positions that are the last non-zero entry of some vector spanned by the rows of
    ``basis`` (echelon form from the right; entries below ``tol`` x the largest are 0)."""
    M = np.array(basis, dtype=float)
    small = tol * (np.abs(M).max() if M.size else 0.0)
    rows, out = list(range(len(M))), []
    while rows:
        big = np.flatnonzero((np.abs(M[rows]) > small).any(axis=0))
        if not len(big):
            break
        j = int(big[-1])
        i = rows[int(np.argmax(np.abs(M[rows, j])))]
        out.append(j)
        rows.remove(i)
        for r in rows:
            M[r] -= M[r, j] / M[i, j] * M[i]
    return out


def dependent_columns(
    dd: np.ndarray, cross: np.ndarray, diag: np.ndarray, n_pre: int, tol: float = PSD_TOL
) -> tuple[np.ndarray, np.ndarray]:
    """The columns of ``X' W X`` (:meth:`BlockX.gram_parts`; the first ``n_pre`` dense
    columns come before the block, the others after it) that ``solve_psd``'s Cholesky in
    column order would skip, as (dense mask, block mask), without the k x k matrix.

    The dense columns before the block: the pivots of their own part. A block column: empty,
    or the last non-zero of some ``β = D⁻¹ B' n`` with ``n`` in the null space of the kept
    earlier columns' Schur complement (``X_pre n`` is then a sum of block columns, the last
    of which depends on the others). The dense columns after the block: the pivots of their
    Schur complement given the kept earlier columns, compared with their own diagonal.
    """
    k_d = len(dd)
    pre, post = np.arange(n_pre), np.arange(n_pre, k_d)
    kp = pre[cholesky_kept(dd[np.ix_(pre, pre)], tol)[1]]
    on = diag > 0
    d_inv = np.divide(1.0, diag, out=np.zeros_like(diag), where=on)
    drop_block = ~on
    if len(kp) and on.any():
        cp = cross[kp]
        s_pre = dd[np.ix_(kp, kp)] - (cp * d_inv) @ cp.T
        lam, vec = np.linalg.eigh((s_pre + s_pre.T) / 2.0)
        null = vec[:, lam <= tol * float(np.max(np.diag(dd)[kp]))]
        if null.shape[1]:
            drop_block[_last_pivots((d_inv[:, None] * (cp.T @ null)).T)] = True
    d_kept = np.where(drop_block, 0.0, d_inv)
    s_all = dd - (cross * d_kept) @ cross.T
    s_post = s_all[np.ix_(post, post)]
    if len(kp) and len(post):
        s_post = s_post - s_all[np.ix_(post, kp)] @ np.linalg.solve(
            s_all[np.ix_(kp, kp)], s_all[np.ix_(kp, post)]
        )
    keep_post = cholesky_kept(s_post, tol, np.diag(dd)[post])[1]
    drop_dense = np.ones(k_d, bool)
    drop_dense[kp] = False
    drop_dense[post[keep_post]] = False
    return drop_dense, drop_block


@dataclass
class NormalSystem:
    """``X' W X`` of a block design, factored through its Schur complement.

    With the dense part ``A``, the cross sums ``B`` and the diagonal ``D`` of
    :meth:`BlockX.gram_parts`, ``S = A - B D⁻¹ B'`` and ``U = [I; -D⁻¹ B']`` (dense rows, then
    block rows), ``G = [[0, 0], [0, D⁻¹]] + U S⁺ U'`` is a generalised inverse of ``X' W X``.
    A block column whose ``D`` is at most the cutoff (no weighted row) gets ``D⁻¹ = 0``; the
    other null directions are ``(n, -D⁻¹ B' n)`` for ``n`` in the null space of ``S``, and
    projecting them out (:attr:`null`) turns ``G b`` into the minimum-norm solution and ``G``
    into the Moore-Penrose inverse. The cutoff is that of ``lstsq``, ``pinv`` and
    ``matrix_rank`` (eps x k x the largest eigenvalue; here the larger of ``A``'s and ``D``'s,
    within a factor 2 of the whole matrix's). Time O(rows x dense² + block x dense²).
    """

    layout: Layout
    cross: np.ndarray
    """``B``: (dense columns x block columns)."""
    d_inv: np.ndarray
    """``D⁻¹``, 0 for a block column at or below the cutoff."""
    s_pinv: np.ndarray
    """Pseudo-inverse of the Schur complement ``S``."""
    null: np.ndarray
    """(k x r): orthonormal basis of the null directions other than the empty block columns."""
    rank: int

    @classmethod
    def of(cls, X: BlockX, weights: np.ndarray, *, basic: bool = False) -> NormalSystem:
        """The system of ``X`` with ``weights``; ``basic``: first leave out the columns that
        :func:`dependent_columns` finds (as :func:`helpers.analysis.lag.yearend.solve_psd`
        would), so :meth:`solve` gives its solution (those columns 0) instead of the
        minimum-norm one."""
        dd, cross, diag = X.gram_parts(weights)
        layout = X.layout
        top = max(
            float(np.linalg.eigvalsh(dd)[-1]) if dd.size else 0.0,
            float(diag.max()) if diag.size else 0.0,
        )
        cutoff = _EPS * layout.k * top
        on = diag > cutoff
        kept = np.ones(len(dd), bool)
        if basic:
            drop_dense, drop_block = dependent_columns(dd, cross, diag, X.start)
            kept, on = ~drop_dense, on & ~drop_block
        d_inv = np.divide(1.0, diag, out=np.zeros_like(diag), where=on)
        schur = (dd - (cross * d_inv) @ cross.T)[np.ix_(kept, kept)]
        lam, sub = np.linalg.eigh((schur + schur.T) / 2.0)
        vec = np.zeros((len(dd), len(lam)))
        vec[kept] = sub
        keep = lam > cutoff
        s_pinv = (vec[:, keep] / lam[keep]) @ vec[:, keep].T
        n_vec = vec[:, ~keep]
        null = layout.full(n_vec, -(d_inv[:, None] * (cross.T @ n_vec)))
        if null.shape[1]:
            null = np.linalg.qr(null)[0]
        return cls(layout, cross, d_inv, s_pinv, null, int(on.sum() + keep.sum()))

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        """The minimum-norm solution of ``X' W X β = rhs`` (least squares when singular)."""
        lay = self.layout
        r_d, r_b = rhs[lay.dense], rhs[lay.start : lay.stop]
        x_d = self.s_pinv @ (r_d - self.cross @ (self.d_inv * r_b))
        x = lay.full(x_d, self.d_inv * (r_b - self.cross.T @ x_d))
        if self.null.shape[1]:
            x -= self.null @ (self.null.T @ x)
        return x

    def pinv(self) -> SparseLowRank:
        """The Moore-Penrose inverse of ``X' W X``, as a sparse plus low-rank matrix."""
        lay = self.layout
        u = lay.full(np.eye(len(lay.dense)), -(self.d_inv[:, None] * self.cross.T))
        g = SparseLowRank(lay.block_matrix(sparse.diags(self.d_inv)), u, self.s_pinv, u)
        if not self.null.shape[1]:
            return g
        r = self.null.shape[1]
        keep = SparseLowRank(
            sparse.identity(lay.k, format="csr"), self.null, -np.eye(r), self.null
        )  # I - Z Z': the projection on the range; pinv = (I - ZZ') G (I - ZZ')
        return keep @ g @ keep


@dataclass
class LogitFit:
    """What the year-end model reads from a fit (the names of statsmodels' GLM results)."""

    params: np.ndarray
    fittedvalues: np.ndarray
    bse: np.ndarray
    pearson_chi2: float
    df_resid: float
    deviance: float
    converged: bool
    iterations: int


def _deviance(y: np.ndarray, mu: np.ndarray, w: np.ndarray) -> float:
    """Binomial deviance with ``var_weights`` (statsmodels' clipping of the ratios)."""
    ratio = np.clip(y / mu, _EPS, np.inf)
    n_ratio = np.clip((1.0 - y) / (1.0 - mu), _EPS, np.inf)
    return float(2 * np.sum(w * (y * np.log(ratio) + (1 - y) * np.log(n_ratio))))


def fit_logit(y: np.ndarray, X: BlockX, w: np.ndarray) -> LogitFit:
    """A Binomial GLM with logit link and ``var_weights`` ``w``, by IRLS (statsmodels' steps)."""
    mu = (y + 0.5) / 2.0
    eta = np.log(mu / (1 - mu))
    dev = [np.inf, _deviance(y, mu, w)]
    converged, params = False, np.zeros(X.k)
    system: NormalSystem | None = None
    iterations = 0
    for iterations in range(1, IRLS_MAX_ITER + 1):  # noqa: B007 - the count is returned
        v = mu * (1 - mu)
        weights = w * v
        z = eta + (y - mu) / v
        system = NormalSystem.of(X, weights)
        params = system.solve(X.xt(weights * z))
        eta = X.dot(params)
        mu = expit(eta)
        dev.append(_deviance(y, mu, w))
        if np.allclose(dev[-2], dev[-1], atol=IRLS_TOL, rtol=0):
            converged = True
            break
    assert system is not None  # at least one step
    var = mu * (1 - mu)
    return LogitFit(
        params=params,
        fittedvalues=mu,
        bse=np.sqrt(np.clip(system.pinv().diagonal(), 0, None)),
        pearson_chi2=float(np.sum(w * (y - mu) ** 2 / var)),
        df_resid=float(len(y) - system.rank),
        deviance=dev[-1],
        converged=converged,
        iterations=iterations,
    )


def sandwich(
    X: BlockX, y: np.ndarray, mu: np.ndarray, w: np.ndarray, groups: np.ndarray | None = None
) -> SparseLowRank:
    """:func:`helpers.analysis.lag.yearend.sandwich_cov` of a block design (same factors), as
    a sparse plus low-rank matrix: ``bread`` the Moore-Penrose inverse of ``X' W X``, ``meat``
    the line scores' (HC1) or the cluster sums' (CR1) cross products on the blocks."""
    n, k = len(y), X.k
    r = w * (y - mu)
    bread = NormalSystem.of(X, w * mu * (1.0 - mu)).pinv()
    if groups is None:
        meat = X.gram(r * r)
        factor = n / max(n - k, 1)
    else:
        dense, block = X.group_sums(r, groups)
        meat = SparseLowRank.of_blocks(
            X.layout, dense.T @ dense, np.asarray((block.T @ dense).T), block.T @ block
        )
        g = len(dense)
        factor = g / max(g - 1, 1) * (n - 1) / max(n - k, 1)
    return (bread @ meat @ bread).scaled(factor)
