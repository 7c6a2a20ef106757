"""Share disbursed by the 31 January deadline: a weighted fractional logit with fixed
effects and sandwich covariance, its timing effect and district checks.

The fitted model keeps its design as :class:`~helpers.analysis.lag.blockfit.BlockX` (dense
columns and one code per line for the district block) and its covariance as a
:class:`~helpers.analysis.lag.lowrank.SparseLowRank` matrix: fitting, predicting, the
marginal effects, the refits and the counterfactuals cost time and memory linear in the
number of districts for the same lines per district."""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.special import expit

from helpers.analysis.lag import blockfit
from helpers.analysis.lag.design import BlockDesign, block_design
from helpers.analysis.lag.lowrank import SparseLowRank
from helpers.analysis.lag.prepare import Z95, Caveat, LagData, district_column
from helpers.core.errors import ParameterError


def _year_end_design(
    frame: pd.DataFrame, factors: Sequence[str], response: str = "share_deadline"
) -> tuple[BlockDesign, str]:
    """``months_available * C(capital_type) + C(f) for f in factors``, and its formula."""
    months = "months_available"
    terms = ["C(capital_type)", *(f"C({f})" for f in factors), months, f"{months}:C(capital_type)"]
    d = block_design(frame, terms, intercept=True, slope=months)
    interact = f"{months}:C(capital_type)" in d.terms
    head = f"{months} * C(capital_type)" if interact else months
    rest = [t for t in d.terms if t.startswith("C(") and t != "C(capital_type)"]
    return d, f"{response} ~ " + " + ".join([head, *rest])


def sandwich_cov(
    X: np.ndarray, y: np.ndarray, mu: np.ndarray, w: np.ndarray, groups: np.ndarray | None = None
) -> np.ndarray:
    """Sandwich covariance of a weighted fractional logit (logit link, canonical).

    Bread ``(Σ w μ(1-μ) x x')⁻¹``; meat from the scores ``w (y - μ) x``: per line with the HC1
    factor n / (n - k) when ``groups`` is None, else summed per cluster with the CR1 factor
    G/(G-1) (n-1)/(n-k). Kept by hand: statsmodels' GLM applies no HC1 or CR1 small-sample
    factor to a weighted quasi-likelihood fit, and these exact factors are the ones reported.
    """
    n, k = X.shape
    score = (w * (y - mu))[:, None] * X
    bread = np.linalg.pinv((X * (w * mu * (1.0 - mu))[:, None]).T @ X)
    if groups is None:
        meat = score.T @ score
        factor = n / max(n - k, 1)
    else:
        codes, uniq = pd.factorize(pd.Series(groups))
        summed = np.zeros((len(uniq), k))
        np.add.at(summed, codes, score)
        meat = summed.T @ summed
        g = len(uniq)
        factor = g / max(g - 1, 1) * (n - 1) / max(n - k, 1)
    return factor * bread @ meat @ bread


def solve_psd(A: np.ndarray, b: np.ndarray, tol: float = blockfit.PSD_TOL) -> np.ndarray:
    """A solution of ``A x = b`` for a symmetric positive semi-definite ``A`` (Cholesky).

    A column whose pivot is at most ``tol`` times its diagonal depends on earlier columns (or
    is empty): its coefficient is set to 0. Elementwise numpy only, no BLAS or LAPACK call.
    (:meth:`YearEndShareModel.refit` gets the same solution from the block design:
    :func:`helpers.analysis.lag.blockfit.dependent_columns`.)
    """
    k = len(b)
    L, keep = blockfit.cholesky_kept(A, tol)
    z = np.zeros(k)
    kept = [int(i) for i in np.flatnonzero(keep)]
    for i in kept:
        z[i] = (b[i] - np.sum(L[i, :i] * z[:i])) / L[i, i]
    x = np.zeros(k)
    for i in reversed(kept):
        x[i] = (z[i] - np.sum(L[i + 1 :, i] * x[i + 1 :])) / L[i, i]
    return x


CLUSTER_BOOT = 199
"""Replicates of the district-cluster bootstrap of the counterfactual gain."""
IRLS_MAX_ITER = 50
IRLS_TOL = 1e-9


@dataclass
class ClusterBootstrap:
    """Year-end model parameters refitted on resamples of implementing units."""

    line_unit: np.ndarray
    """Column of :attr:`counts` of each fitted line (its unit)."""
    counts: np.ndarray
    """(replicates, units): how often each unit was drawn."""
    params: np.ndarray
    """(replicates, parameters)."""
    seed: int
    seconds: float

    def line_counts(self, mask: np.ndarray) -> np.ndarray:
        """(replicates, selected lines): how often each selected line was drawn."""
        return self.counts[:, self.line_unit[mask]]


@dataclass(init=False)
class YearEndShareModel:
    """Fractional logit of the share disbursed by the deadline, with what it implies."""

    formula: str
    params: np.ndarray
    cov_type: str
    names: list[str]
    lines: pd.DataFrame
    """The fitted lines with ``share_fitted`` (predicted share by the deadline)."""
    design: blockfit.BlockX
    """The fitted lines' design: its dense columns and the district block as one code per
    line (:class:`~helpers.analysis.lag.blockfit.BlockX`), never lines x districts."""
    dA: np.ndarray
    """Change of each line's dense columns for one more month available. Every such column
    is linear in ``months_available`` (alone or times a capital-type dummy) and the district
    block does not depend on it, so the design of a line with Δ more months is the same
    block with ``A + Δ dA`` (:meth:`design_shifted`): counterfactuals and marginal effects
    need no formula machinery, and the fitted model pickles (for the cache)."""
    covariance: SparseLowRank
    """The parameters' covariance (``cov_type``), sparse in the district block plus low rank."""
    diagnostics: dict[str, Any]
    seconds: float
    caveats: list[Caveat]
    _boot: dict[tuple[int, int], ClusterBootstrap] = field(repr=False)

    def __init__(
        self,
        formula: str,
        params: np.ndarray,
        cov: np.ndarray | SparseLowRank,
        cov_type: str,
        names: list[str],
        lines: pd.DataFrame,
        X: np.ndarray | blockfit.BlockX,
        dX: np.ndarray,
        diagnostics: dict[str, Any],
        seconds: float,
        caveats: list[Caveat] | None = None,
    ) -> None:
        """``X``, ``dX`` and ``cov`` dense (a small hand-made model: ``dX`` the derivative of
        every column) or as a fit keeps them (``X`` a block design, ``dX`` the derivative of
        its dense columns, ``cov`` sparse plus low rank)."""
        self.formula, self.params, self.cov_type, self.names = formula, params, cov_type, names
        self.lines, self.diagnostics, self.seconds = lines, diagnostics, seconds
        self.design = X if isinstance(X, blockfit.BlockX) else blockfit.BlockX.of(X, {})
        self.dA = np.asarray(dX, dtype=float)
        self.covariance = cov if isinstance(cov, SparseLowRank) else SparseLowRank.dense(cov)
        self.caveats = [] if caveats is None else caveats
        self._boot = {}

    @property
    def X(self) -> np.ndarray:
        """The full design matrix (lines x parameters; for small models and checks only)."""
        return self.design.toarray()

    @property
    def dX(self) -> np.ndarray:
        """The full design's change for one more month available (small models only)."""
        out = np.zeros((len(self.dA), self.design.k))
        out[:, self.design.dense] = self.dA
        return out

    @property
    def cov(self) -> np.ndarray:
        """The covariance as a k x k array (small models only; see :attr:`covariance`)."""
        return self.covariance.toarray()

    def design_shifted(
        self, extra_months: np.ndarray | pd.Series, rows: np.ndarray | None = None
    ) -> blockfit.BlockX:
        """Design of the fitted lines (``rows``: positions or a mask; all by default) with
        ``extra_months`` more months available (one value per selected line)."""
        X = self.design if rows is None else self.design.rows(rows)
        dA = self.dA if rows is None else self.dA[rows]
        return X.with_dense(X.A + np.asarray(extra_months, dtype=float)[:, None] * dA)

    def slope(self, params: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Change of the linear predictor per month available (``params``: k, or k x columns)."""
        dA = self.dA if rows is None else self.dA[rows]
        return dA @ params[self.design.dense]

    def _mask(self, mask: np.ndarray | pd.Series | None) -> np.ndarray:
        return np.ones(len(self.lines), bool) if mask is None else np.asarray(mask, bool)

    def ame(
        self, mask: np.ndarray | pd.Series | None = None, *, weighted: bool = False
    ) -> dict[str, Any]:
        """Average marginal effect of a decision one month LATER on the share by the deadline.

        −∂μ/∂months_available in percentage points, with a delta-method 95 % interval,
        averaged over lines (``weighted`` False: the effect on a typical line's share) or
        weighted by the amount (True: the effect on the selected lines' disbursement rate,
        Σ amount x μ / Σ amount, the weighting of the model and the counterfactual).
        ``weighting`` says which ("lines" or "amount").
        """
        m = self._mask(mask)
        weighting = "amount" if weighted else "lines"
        if not m.any():
            return {
                "estimate": None,
                "ci_low": None,
                "ci_high": None,
                "se": None,
                "n_lines": 0,
                "weighting": weighting,
            }
        X, dA = self.design.rows(m), self.dA[m]
        a = self.lines["amount_mvnd"].to_numpy(dtype=float)[m] if weighted else np.ones(len(X))
        wts = a / a.sum()
        mu = expit(X.dot(self.params))
        slope = self.slope(self.params, m)
        v = mu * (1 - mu)
        est = -100 * float(wts @ (slope * v))
        # ∂/∂β of Σ w μ'(x β) (dx β): Σ w (v dx + slope v (1 - 2μ) x), dx in the dense columns
        grad = X.sum_rows(-100 * wts * slope * v * (1 - 2 * mu), dense_extra=-100 * (wts * v) @ dA)
        se = float(np.sqrt(max(self.covariance.quad(grad), 0.0)))
        return {
            "estimate": est,
            "ci_low": est - Z95 * se,
            "ci_high": est + Z95 * se,
            "se": se,
            "n_lines": int(m.sum()),
            "weighting": weighting,
        }

    def average_prediction(
        self, months: Sequence[float] | np.ndarray, mask: np.ndarray | pd.Series | None = None
    ) -> pd.DataFrame:
        """Mean predicted share by the deadline had every line had ``m`` months available.

        For each ``m`` of ``months`` every selected line keeps its own project, year, district
        and capital type but gets ``m`` months available (a partial-dependence curve); the
        95 % band is the delta method.

        Returns:
            Frame with ``months_available``, ``share``, ``ci_low``, ``ci_high``.
        """
        m = self._mask(mask)
        have = self.lines["months_available"].to_numpy(dtype=float)[m]
        rows = []
        for value in months:
            Xs = self.design_shifted(value - have, m)
            mu = expit(Xs.dot(self.params))
            grad = Xs.sum_rows(mu * (1 - mu) / len(mu))
            se = float(np.sqrt(max(self.covariance.quad(grad), 0.0)))
            est = float(mu.mean())
            rows.append((float(value), est, est - Z95 * se, est + Z95 * se))
        return pd.DataFrame(rows, columns=["months_available", "share", "ci_low", "ci_high"])

    def ame_by(
        self, column: str, mask: np.ndarray | pd.Series | None = None, *, weighted: bool = False
    ) -> dict[str, dict[str, Any]]:
        """:meth:`ame` for each value of a column of :attr:`lines`."""
        base = self._mask(mask)
        col = self.lines[column].astype(str).to_numpy()
        return {v: self.ame(base & (col == v), weighted=weighted) for v in sorted(set(col[base]))}

    def refit(self, weights: np.ndarray) -> np.ndarray:
        """Parameters refitted with other line weights (IRLS started from :attr:`params`).

        ``weights`` multiply the amounts (e.g. how often a bootstrap drew the line's
        district; 0 leaves the line out). Each step solves the normal equations through the
        district block's Schur complement (:class:`~helpers.analysis.lag.blockfit.NormalSystem`)
        as :func:`solve_psd` would on the full matrix: a column without a weighted line, or
        one that depends on earlier columns (the last drawn district's when the reference
        district was not drawn), gets 0, so the lines of a district not drawn cannot be
        predicted from the result.
        """
        keep = np.asarray(weights, dtype=float) > 0
        y = self.lines["share_deadline"].to_numpy(dtype=float)[keep]
        w = self.lines["amount_mvnd"].to_numpy(dtype=float)[keep] * np.asarray(weights)[keep]
        w = w / w.mean()
        beta = self.params.copy()
        X = self.design.rows(keep)
        for _ in range(IRLS_MAX_ITER):
            eta = X.dot(beta)
            mu = expit(eta)
            v = np.clip(mu * (1 - mu), 1e-10, None)
            wv = w * v
            system = blockfit.NormalSystem.of(X, wv, basic=True)
            new = system.solve(X.xt(w * (y - mu) + wv * eta))
            done = np.max(np.abs(new - beta)) < IRLS_TOL * (1 + np.max(np.abs(beta)))
            beta = new
            if done:
                break
        return beta

    def cluster_bootstrap(self, n_boot: int = CLUSTER_BOOT, seed: int = 0) -> ClusterBootstrap:
        """The model refitted on ``n_boot`` resamples of implementing units (memoised).

        Each replicate draws as many units as the data have, with replacement, and refits
        with each line weighted by how often its unit was drawn (a unit drawn twice counts
        twice; lines of undrawn units drop out). Each refit costs the lines times the dense
        columns squared (:meth:`refit`), whatever the number of units.
        """
        key = (n_boot, seed)
        if key not in self._boot:
            start = time.perf_counter()
            codes, units = pd.factorize(self.lines[district_column(self.lines)].astype(str))
            rng = np.random.default_rng(seed)
            counts = np.zeros((n_boot, len(units)))
            params = np.empty((n_boot, len(self.params)))
            for b in range(n_boot):
                counts[b] = np.bincount(
                    rng.integers(0, len(units), len(units)), minlength=len(units)
                )
                params[b] = self.refit(counts[b][codes])
            self._boot[key] = ClusterBootstrap(
                line_unit=np.asarray(codes),
                counts=counts,
                params=params,
                seed=seed,
                seconds=time.perf_counter() - start,
            )
        return self._boot[key]


_YEAR_END_FACTORS = ("project_code", "plan_year", "district_code")
"""Fixed effects of the year-end model besides capital type: the district is the line's
former district (``district_code``: a commune's district, a new unit's home district), so
commune lines and the lines of the units created on 1 July 2025 share their district's
effect and cluster."""


def _district_checks(
    frame: pd.DataFrame, y: np.ndarray, w: np.ndarray, full_params: np.ndarray, names: list[str]
) -> dict[str, Any]:
    """How much timing would be confused with district capacity without district effects."""

    out: dict[str, Any] = {}
    if frame["district_code"].nunique() < 2:
        return out
    design, _ = _year_end_design(frame, _YEAR_END_FACTORS[:2])
    pooled = blockfit.fit_logit(y, design.X, w)
    key = "months_available"
    j = design.names.index(key)
    out["slope_logit_with_district_fe"] = float(full_params[names.index(key)])
    out["slope_logit_without_district_effects"] = float(pooled.params[j])
    clipped = np.clip(y, 0.005, 0.995)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            mres = sm.MixedLM(
                np.log(clipped / (1 - clipped)),
                design.X.toarray(),
                groups=frame["district_code"].astype(str).to_numpy(),
            ).fit(reml=True, method="lbfgs")
            out["mixedlm"] = {
                "slope_logit": float(mres.fe_params[j]),
                "district_sd_logit": float(np.sqrt(max(float(np.asarray(mres.cov_re)[0, 0]), 0.0))),
                "converged": bool(mres.converged),
                "n_groups": int(frame["district_code"].nunique()),
            }
        except (np.linalg.LinAlgError, ValueError) as exc:
            out["mixedlm"] = {"error": str(exc)[:200]}
    out["mixedlm_warnings"] = sorted({str(w.message)[:200] for w in caught})
    return out


def fit_year_end_share(
    data: LagData, *, cov_type: str = "HC1", district_checks: bool = True
) -> YearEndShareModel:
    """Fractional logit of the share disbursed by the 31 January deadline (Papke-Wooldridge).

    ``share_deadline ~ months_available * C(capital_type) + C(project_code) + C(plan_year) +
    C(district_code)``, GLM Binomial with logit link, fitted as a quasi-likelihood on every
    reported line whose deadline has passed (shares capped at 1; a line with no disbursement
    report is not reported, not a zero, and is left out).

    Weights: ``var_weights`` = amount allocated (rescaled to mean 1). A line's amount says how
    much capital its share is about, and a larger line's share averages over more payments, so
    it is a precision weight; ``freq_weights`` would instead pretend each million VND is a
    separate observation and inflate the sample size to the total amount. The point estimates
    are the amount-weighted quasi-likelihood estimates, consistent when the mean is right;
    the sandwich errors do not rely on the weights being the true inverse variances.

    Args:
        data: prepared data.
        cov_type: "HC1" (heteroskedasticity-robust, default) or "cluster" (by district, CR1).
            With about ten districts and district fixed effects, cluster-robust errors are
            themselves unreliable (few clusters), so HC1 is the default and the clustered
            standard error of the timing slope is reported in the diagnostics either way.
        district_checks: also fit the model without district effects and a MixedLM with a
            district random intercept (on the logit of the share), to show how much timing
            would be confused with district capacity.

    Returns:
        A :class:`YearEndShareModel`.

    Raises:
        ParameterError: unknown ``cov_type``.
    """
    if cov_type not in ("HC1", "cluster"):
        raise ParameterError(f"cov_type: expected 'HC1' or 'cluster'; got {cov_type!r}")
    start = time.perf_counter()
    frame = data.lines.loc[data.lines["deadline_usable"]].reset_index(drop=True)
    y = frame["share_deadline"].to_numpy(dtype=float)
    amount = frame["amount_mvnd"].to_numpy(dtype=float)
    w = amount / amount.mean()
    design, formula = _year_end_design(frame, _YEAR_END_FACTORS)
    X = design.X
    res = blockfit.fit_logit(y, X, w)
    mu = np.asarray(res.fittedvalues)
    groups = frame["district_code"].astype(str).to_numpy()
    cov_hc1 = blockfit.sandwich(X, y, mu, w)
    cov_cl = blockfit.sandwich(X, y, mu, w, groups)
    cov = cov_hc1 if cov_type == "HC1" else cov_cl
    var = cov.diagonal()
    names = design.names
    params = np.asarray(res.params)
    j = names.index("months_available")
    se_cmp = {
        "HC1": float(np.sqrt(cov_hc1.entry(j, j))),
        "cluster_district": float(np.sqrt(cov_cl.entry(j, j))),
        "model_based": float(np.asarray(res.bse)[j]),
    }
    resid = y - mu
    diagnostics: dict[str, Any] = {
        "n_lines": int(len(frame)),
        "n_params": int(X.k),
        "n_units": int(len(set(groups))),
        "cov_type": cov_type,
        "weights": "var_weights = amount allocated / mean amount",
        "pearson_chi2_over_df": float(res.pearson_chi2 / res.df_resid),
        "deviance": float(res.deviance),
        "weighted_r2_share": float(
            1 - np.sum(w * resid**2) / np.sum(w * (y - np.average(y, weights=w)) ** 2)
        ),
        "mean_share_observed": float(np.average(y, weights=w)),
        "mean_share_fitted": float(np.average(mu, weights=w)),
        "se_months_available": se_cmp,
        "converged": bool(res.converged),
        "coefficients": {
            n: {"coef": float(params[i]), "se": float(np.sqrt(var[i]))}
            for i, n in enumerate(names)
            if "months_available" in n or "capital_type" in n
        },
    }
    if district_checks:
        diagnostics["district_check"] = _district_checks(frame, y, w, params, names)
    lines = frame.assign(share_fitted=mu)
    model = YearEndShareModel(
        formula=formula,
        params=params,
        cov=cov,
        cov_type=cov_type,
        names=names,
        lines=lines,
        X=X,
        dX=design.dA,
        diagnostics=diagnostics,
        seconds=0.0,
    )
    model.caveats = _year_end_caveats(model)
    model.seconds = time.perf_counter() - start
    return model


CLUSTER_SE_RATIO = 1.5
"""A clustered standard error this many times the HC1 one gets a caveat."""
MIN_CLUSTERS = 30
"""Fewer units (clusters) than this: clustered errors are unreliable (said in the sample
caveat)."""
SMALL_SAMPLE_LINES = 200


def _year_end_caveats(model: YearEndShareModel) -> list[Caveat]:
    d = model.diagnostics
    n, k, g = d["n_lines"], d["n_params"], d["n_units"]
    hc1 = model.cov_type == "HC1"
    out = [
        Caveat.of("observational"),
        Caveat.of("sample", n=n, k=k, g=g, few_clusters=g < MIN_CLUSTERS, cov_type=model.cov_type),
    ]
    se = d["se_months_available"]
    if hc1 and se["cluster_district"] > CLUSTER_SE_RATIO * se["HC1"]:
        out.append(Caveat.of("cluster_se_larger", ratio=CLUSTER_SE_RATIO))
    if n < SMALL_SAMPLE_LINES:
        out.append(Caveat.of("small_sample", n=n))
    mixed = d.get("district_check", {}).get("mixedlm", {})
    if mixed:
        out.append(Caveat.of("mixedlm", units=mixed.get("n_groups", g)))
    return out
