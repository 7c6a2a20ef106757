"""The year-end fractional logit fitted in time linear in the units: the district dummies are
one-hot, so the products the fit needs skip their zeros.

A design's widest one-hot block (one dummy column per district) is kept as one code per row;
the other columns stay dense. ``X' W X`` is then the dense part's product, the per-district
sums of the dense columns and a diagonal, ``X β`` a dense product plus one lookup: no product
over lines x districts. :func:`fit_logit` is statsmodels' IRLS for a Binomial GLM with
``var_weights`` (same start, same weighted least squares step with a minimum-norm solution,
same deviance criterion), so it gives the same estimates; :func:`sandwich` is
:func:`helpers.analysis.lag.yearend.sandwich_cov` on the same blocks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.special import expit

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
        start, stop, codes = max(onehot.values(), key=lambda b: b[1] - b[0], default=(0, 0, None))
        if codes is None or stop - start < 2:
            start = stop = 0
            codes = np.full(len(X), -1)
        dense = np.r_[np.arange(0, start), np.arange(stop, k)].astype(int)
        return cls(np.ascontiguousarray(X[:, dense]), dense, start, stop, np.asarray(codes))

    def rows(self, keep: np.ndarray) -> BlockX:
        """The design of the rows where ``keep`` is true."""
        return BlockX(self.A[keep], self.dense, self.start, self.stop, self.codes[keep])

    @property
    def k(self) -> int:
        return len(self.dense) + self.stop - self.start

    def _rows(self, weights: np.ndarray) -> sparse.csr_matrix:
        """(block columns x rows): each row's weight in its block column."""
        on = self.codes >= 0
        rows = np.flatnonzero(on)
        return sparse.csr_matrix(
            (weights[on], (self.codes[on], rows)), shape=(self.stop - self.start, len(self.A))
        )

    def gram(self, weights: np.ndarray) -> np.ndarray:
        """``X' diag(weights) X`` (full size, in the design's column order)."""
        k, d = self.k, self.dense
        out = np.zeros((k, k))
        wa = self.A * weights[:, None]
        out[np.ix_(d, d)] = wa.T @ self.A
        if self.stop > self.start:
            block = np.arange(self.start, self.stop)
            cross = np.asarray(self._rows(weights) @ self.A)
            out[np.ix_(block, d)] = cross
            out[np.ix_(d, block)] = cross.T
            on = self.codes >= 0
            out[block, block] = np.bincount(
                self.codes[on], weights[on], minlength=self.stop - self.start
            )
        return out

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
        """``X β``."""
        eta = self.A @ beta[self.dense]
        if self.stop > self.start:
            block = np.append(beta[self.start : self.stop], 0.0)  # code -1: the reference
            eta = eta + block[self.codes]
        return eta

    def cluster_sums(self, v: np.ndarray, groups: np.ndarray) -> np.ndarray:
        """(clusters x k): the sum of ``v`` times the design rows in each cluster."""
        codes, uniq = pd.factorize(pd.Series(groups))
        n_g = len(uniq)
        member = sparse.csr_matrix((v, (codes, np.arange(len(v)))), shape=(n_g, len(v)))
        out = np.zeros((n_g, self.k))
        out[:, self.dense] = np.asarray(member @ self.A)
        if self.stop > self.start:
            on = self.codes >= 0
            np.add.at(out, (codes[on], self.start + self.codes[on]), v[on])
        return out


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


def _solve(info: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """The minimum-norm solution of the normal equations (least squares on a singular one)."""
    return np.linalg.lstsq(info, rhs, rcond=None)[0]


def fit_logit(y: np.ndarray, X: BlockX, w: np.ndarray) -> LogitFit:
    """A Binomial GLM with logit link and ``var_weights`` ``w``, by IRLS (statsmodels' steps)."""
    mu = (y + 0.5) / 2.0
    eta = np.log(mu / (1 - mu))
    dev = [np.inf, _deviance(y, mu, w)]
    converged, params, info = False, np.zeros(X.k), np.eye(X.k)
    iterations = 0
    for iterations in range(1, IRLS_MAX_ITER + 1):  # noqa: B007 - the count is returned
        v = mu * (1 - mu)
        weights = w * v
        z = eta + (y - mu) / v
        info = X.gram(weights)
        params = _solve(info, X.xt(weights * z))
        eta = X.dot(params)
        mu = expit(eta)
        dev.append(_deviance(y, mu, w))
        if np.allclose(dev[-2], dev[-1], atol=IRLS_TOL, rtol=0):
            converged = True
            break
    cov = np.linalg.pinv(info)
    var = mu * (1 - mu)
    return LogitFit(
        params=params,
        fittedvalues=mu,
        bse=np.sqrt(np.clip(np.diag(cov), 0, None)),
        pearson_chi2=float(np.sum(w * (y - mu) ** 2 / var)),
        df_resid=float(len(y) - np.linalg.matrix_rank(info)),
        deviance=dev[-1],
        converged=converged,
        iterations=iterations,
    )


def sandwich(
    X: BlockX, y: np.ndarray, mu: np.ndarray, w: np.ndarray, groups: np.ndarray | None = None
) -> np.ndarray:
    """:func:`helpers.analysis.lag.yearend.sandwich_cov` of a block design (same factors)."""
    n, k = len(y), X.k
    r = w * (y - mu)
    bread = np.linalg.pinv(X.gram(w * mu * (1.0 - mu)))
    if groups is None:
        meat = X.gram(r * r)
        factor = n / max(n - k, 1)
    else:
        summed = X.cluster_sums(r, groups)
        meat = summed.T @ summed
        g = len(summed)
        factor = g / max(g - 1, 1) * (n - 1) / max(n - k, 1)
    return factor * bread @ meat @ bread
