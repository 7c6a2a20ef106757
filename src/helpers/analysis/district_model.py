"""Districts compared on a rate adjusted for their mix of projects, capital types and years.

A district's raw execution rate mixes its capacity with what it was given: a district whose
capital is mostly recurrent, or mostly in a slow project, looks slow whatever it does. The
model separates the two.

**Model.** One fractional logit per province dataset (statsmodels' ``GLM`` IRLS steps, ``Binomial``
family, logit link, quasi-likelihood: Papke–Wooldridge) of each line's share disbursed at the
cut-off (``disbursed / amount``, capped at 1) on fixed effects of project, capital type, plan
year and implementing district: ``share ~ C(project_code) + C(capital_type) + C(plan_year) +
C(district)``. Lines enter when their amount is positive, they have at least one disbursement
report (a line never reported is not a zero) and the cut-off has passed by the last report
(otherwise their share at it is not known yet). The province's own lines (those of no
district) enter with a level of their own: they inform the project, capital and year effects
and are part of the province's mix, but they are no district and stay out of the test.

**Weights and errors.** ``var_weights`` = amount allocated (rescaled to mean 1), as in the
year-end model (:func:`helpers.analysis.lag.yearend.fit_year_end_share`): the amount is a
precision weight, not a count (``freq_weights`` would pretend each million VND is a line).
Standard errors are the HC1 sandwich (:func:`helpers.analysis.lag.yearend.sandwich_cov`).
The district dummies are kept as one code per line (:mod:`helpers.analysis.lag.blockfit`),
so the fit, the rank check and each district's rate cost time linear in lines and districts;
only the joint test reads the districts x districts block of the covariance.
Errors clustered by district are not used: with district effects each district's scores sum
to zero in its own column, so the clustered variance of a district effect degenerates, and
about ten clusters are too few anyway.

**Adjusted rate.** The rate of district *d* is the amount-weighted mean predicted share of
every line in the model (the province's mix) with the district set to *d*: what the province
would have disbursed had *d* implemented all of it. The province's adjusted mean is the same
average with each line's own district (which equals the observed rate of those lines, by the
score equations of a logit with an intercept). 95 % intervals are the delta method on the
logit of the rate, so they stay between 0 and 1.

**Told apart.** A joint Wald test that all district effects are equal (χ² with one degree of
freedom fewer than the districts, HC1 covariance). When it does not reject at 5 % the
districts cannot be told apart on the adjusted rate; otherwise each district whose interval
lies wholly above (below) the province's adjusted mean is named above (below).

**Not estimable.** A district with fewer than :data:`MIN_LINES_PER_DISTRICT` lines in the
model, or whose lines all disbursed nothing or everything (its effect would be infinite), is
left out of the fit and gets no adjusted rate; with fewer than two districts left, a design
whose district effects cannot be separated from the other effects (collinear), or a fit that
fails or does not converge, the whole comparison is reported not estimable, with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import linalg, stats
from scipy.special import expit, logit

from helpers.analysis.frames import Cutoff, cut_column
from helpers.analysis.lag import blockfit
from helpers.analysis.lines import snapshots
from helpers.core.contracts import DistrictModel

MIN_LINES_PER_DISTRICT = 2
"""A district with fewer lines in the model gets no adjusted rate."""
ALPHA = 0.05
"""Level of the joint test; intervals are 1 − ALPHA (95 %)."""
Z = float(stats.norm.ppf(1 - ALPHA / 2))
FACTORS: tuple[str, ...] = ("project_code", "capital_type", "plan_year", "district")
"""The fixed effects, in the order of the design (district last)."""
_SHARE_EDGE = 1e-9

REASONS: tuple[str, ...] = ("few_lines", "boundary", "few_districts", "collinear", "not_converged")
"""Why a district (the first two) or the whole comparison (all) is not estimable."""


@dataclass
class AdjustedComparison:
    """The mix-adjusted district comparison of one province dataset.

    ``rates`` has one row per district (``unit_code``): ``n_lines`` (in the model),
    ``adjusted_rate``, ``adjusted_ci_low``, ``adjusted_ci_high``, ``adjusted_rank`` (1 =
    highest), ``adjusted_vs_province`` ("above", "below", "overlaps": where its interval lies
    against the province's adjusted mean) and ``reason`` (why it has no rate, else None).
    ``summary`` is the rest: whether it is estimable, the province's adjusted mean, the joint
    test and its verdict (``metrics.json``'s ``district_model``).
    """

    summary: DistrictModel
    rates: pd.DataFrame
    params: dict[str, float] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The ``metrics.json`` object ``district_model`` (rates are in the ranking rows)."""
        return self.summary.model_dump(mode="json")


def _summary(rates: pd.DataFrame, cutoff: str, **values: Any) -> DistrictModel:
    """The :class:`DistrictModel` of a fit (or of a failure): the method's constants, the
    verdict of the joint test and the districts above and below the province (only when the
    test rejects), and why each district without a rate has none."""
    p = values.get("wald_p_value")
    told_apart = None if p is None else bool(p < ALPHA)

    def codes(which: str) -> list[str]:
        hit = rates[rates["adjusted_vs_province"] == which]
        return sorted(hit["unit_code"].astype(str)) if told_apart else []

    return DistrictModel(
        cutoff=cutoff,
        method="fractional_logit_fe",
        weights="var_weights = amount allocated / mean amount",
        cov_type="HC1",
        interval="delta_method_logit",
        ci_level=1 - ALPHA,
        alpha=ALPHA,
        distinguishable=told_apart,
        above=codes("above"),
        below=codes("below"),
        not_estimable={
            str(r.unit_code): str(r.reason)
            for r in rates.itertuples()
            if r.reason is not None and not pd.isna(r.reason)
        },
        **values,
    )


def _encode(frame: pd.DataFrame, levels: dict[str, list[str]]) -> blockfit.BlockX:
    """Intercept and treatment dummies of :data:`FACTORS` with fixed ``levels`` (the first
    level of each the reference; a factor with one level has no column), the district's
    dummies (last) kept as one code per line (:class:`blockfit.BlockX`: no column of zeros
    per district)."""
    cols = [np.ones(len(frame))]
    for f in FACTORS[:-1]:
        values = frame[f].astype(str).to_numpy()
        cols += [(values == lv).astype(float) for lv in levels[f][1:]]
    k_dense = len(cols)
    k = k_dense + len(levels["district"]) - 1
    codes = pd.Categorical(frame["district"].astype(str), categories=levels["district"]).codes
    return blockfit.BlockX(
        np.column_stack(cols), np.arange(k_dense), k_dense, k, np.asarray(codes, int) - 1
    )


def _names(levels: dict[str, list[str]]) -> list[str]:
    return ["Intercept"] + [f"C({f})[T.{lv}]" for f in FACTORS for lv in levels[f][1:]]


def _full_rank(X: blockfit.BlockX) -> bool:
    """Whether the design's columns are linearly independent.

    Every district column has lines (its diagonal in ``X'X`` is its count), so the design
    has full rank exactly when the Schur complement of that diagonal block in ``X'X`` (the
    other columns with each district's mean taken out) has: a matrix as small as the other
    columns, whatever the number of districts.
    """
    dd, cross, diag = X.gram_parts(np.ones(len(X.A)))
    schur = dd - (cross / diag[None, :]) @ cross.T
    return bool(np.linalg.matrix_rank(schur, hermitian=True) == len(X.dense))


def _logit_ci(est: np.ndarray, se: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """95 % interval of a mean prediction by the delta method on its logit (a rate of 0 or 1
    is its own interval)."""
    inside = (est > 0) & (est < 1)
    safe = np.where(inside, est, 0.5)
    half = Z * se / (safe * (1 - safe))
    lo = np.where(inside, expit(logit(safe) - half), est)
    hi = np.where(inside, expit(logit(safe) + half), est)
    return lo, hi


def _rate_ci(
    X: blockfit.BlockX, a: np.ndarray, beta: np.ndarray, cov: np.ndarray
) -> tuple[float, float, float]:
    """Amount-weighted mean prediction of the rows of ``X`` and its delta-method interval on
    the logit scale."""
    w = a / a.sum()
    mu = expit(X.dot(beta))
    est = float(w @ mu)
    grad = X.xt(w * mu * (1 - mu))
    se = float(np.sqrt(max(grad @ cov @ grad, 0.0)))
    lo, hi = _logit_ci(np.array([est]), np.array([se]))
    return est, float(lo[0]), float(hi[0])


def _district_rates(
    X: blockfit.BlockX, a: np.ndarray, beta: np.ndarray, cov: np.ndarray, columns: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_rate_ci` of every line set to each district at once.

    ``columns``: each district's column in the design (-1: the reference district). A line's
    prediction set to district d is ``expit(base + b_d)`` with ``base`` its other effects, so
    lines with the same other columns are summed first (a few hundred combinations of
    project, capital type and year, whatever the number of lines and districts).
    """
    w = a / a.sum()
    combos, inverse = np.unique(X.A, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    wc = np.bincount(inverse, w, minlength=len(combos))
    bc = combos @ beta[X.dense]
    b = np.where(columns >= 0, beta[np.maximum(columns, 0)], 0.0)
    mu = expit(bc[None, :] + b[:, None])  # districts x combinations
    slope = wc * mu * (1 - mu)
    est = mu @ wc
    g_dense = slope @ combos  # districts x dense columns
    s = slope.sum(axis=1)  # the derivative in the district's own effect
    dd = cov[np.ix_(X.dense, X.dense)]
    var = np.einsum("gi,ij,gj->g", g_dense, dd, g_dense)
    col = np.maximum(columns, 0)
    own = columns >= 0
    var += own * (2 * s * np.einsum("gi,ig->g", g_dense, cov[np.ix_(X.dense, col)]))
    var += own * s**2 * cov[col, col]
    lo, hi = _logit_ci(est, np.sqrt(np.clip(var, 0.0, None)))
    return est, lo, hi


def _wald(diff: np.ndarray, vl: np.ndarray) -> tuple[float, int]:
    """``diff' vl⁺ diff`` and the rank of ``vl`` (the joint test of the district effects).

    A Cholesky factor when ``vl`` is clearly positive definite (its smallest pivot above
    the rank tolerance of an SVD); else the SVD's pseudo-inverse and rank, which cost the
    cube of the districts several times over.
    """
    m = len(diff)
    if m == 0:
        return 0.0, 0
    try:
        factor = linalg.cholesky(vl, lower=True, check_finite=True)
        pivots = np.diag(factor) ** 2
        if pivots.min() > pivots.max() * m * np.finfo(float).eps * 10:
            z = linalg.solve_triangular(factor, diff, lower=True)
            return float(z @ z), m
    except (linalg.LinAlgError, ValueError):
        pass
    df = int(np.linalg.matrix_rank(vl))
    return (float(diff @ np.linalg.pinv(vl) @ diff) if df else 0.0), df


def _not_estimable(
    reason: str, cutoff: str, rates: pd.DataFrame, n_lines: int = 0
) -> AdjustedComparison:
    out = rates.copy()
    out["reason"] = out["reason"].where(out["reason"].notna(), reason)
    summary = _summary(out, cutoff, estimable=False, reason=reason, n_lines=n_lines)
    return AdjustedComparison(summary, out)


def _empty_rates(districts: Sequence[str], n: pd.Series) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unit_code": [str(d) for d in districts],
            "n_lines": [int(n.get(str(d), 0)) for d in districts],
            "adjusted_rate": np.nan,
            "adjusted_ci_low": np.nan,
            "adjusted_ci_high": np.nan,
            "adjusted_rank": pd.array([pd.NA] * len(districts), dtype="Int64"),
            "adjusted_vs_province": pd.Series([None] * len(districts), dtype="object"),
            "reason": pd.Series([None] * len(districts), dtype="object"),
        }
    )


def model_lines(
    lines: pd.DataFrame,
    disbursements: pd.DataFrame,
    district: pd.Series,
    province_code: str,
    cutoff: Cutoff = "deadline",
) -> pd.DataFrame:
    """The lines the model may use, with ``share`` at the cut-off and ``district``.

    Args:
        lines: the province's line table (:func:`helpers.analysis.lines.line_table`).
        disbursements: the snapshots (to tell reported lines from lines never reported).
        district: the district of each line (aligned with ``lines``), missing for the
            province's own lines (which get ``province_code`` as their level).
        province_code: the province.
        cutoff: the cut-off of the share (the ranking's).
    """
    as_of = pd.Timestamp(lines.attrs.get("as_of", disbursements["report_date"].max()))
    reported = snapshots(lines, disbursements, as_of).last >= 0
    if cutoff == "deadline":
        observed = lines["deadline_observed"].astype(bool).to_numpy()
    elif cutoff == "dec31":
        observed = (pd.to_datetime(lines["year_end"]) <= as_of).to_numpy()
    else:
        observed = np.ones(len(lines), bool)
    amount = lines["amount_mvnd"].to_numpy(dtype=float)
    keep = (amount > 0) & reported & observed
    out = lines.loc[keep, ["project_code", "capital_type", "plan_year", "amount_mvnd"]].copy()
    out["district"] = district[keep].astype("string").fillna(str(province_code)).astype(str)
    out["share"] = (lines.loc[keep, cut_column(cutoff)] / out["amount_mvnd"]).clip(0.0, 1.0)
    return out


def fit_adjusted_comparison(
    frame: pd.DataFrame,
    districts: Sequence[str],
    cutoff: str = "deadline",
    min_lines: int = MIN_LINES_PER_DISTRICT,
) -> AdjustedComparison:
    """Fit the model on ``frame`` (:func:`model_lines`) and compare ``districts``.

    Never raises on thin data: see the module docstring for what is not estimable.

    Args:
        frame: ``project_code``, ``capital_type``, ``plan_year``, ``district``,
            ``amount_mvnd``, ``share`` (0 to 1); a ``district`` not in ``districts`` is the
            province's own level.
        districts: the province's district codes (in the order of the result).
        cutoff: recorded in the result.
        min_lines: fewest lines a district needs in the model.
    """
    districts = [str(d) for d in districts]
    frame = frame.assign(district=frame["district"].astype(str))
    n = frame["district"].value_counts()
    rates = _empty_rates(districts, n)
    share = frame.groupby("district")["share"]
    lo, hi = share.max() <= _SHARE_EDGE, share.min() >= 1 - _SHARE_EDGE
    for i, d in enumerate(districts):
        if n.get(d, 0) < min_lines:
            rates.loc[i, "reason"] = "few_lines"
        elif lo.get(d, False) or hi.get(d, False):
            rates.loc[i, "reason"] = "boundary"
    kept = [d for i, d in enumerate(districts) if rates["reason"][i] is None]
    if len(kept) < 2:
        return _not_estimable("few_districts", cutoff, rates)
    fit = frame[frame["district"].isin(kept) | ~frame["district"].isin(districts)]
    levels = {f: sorted(fit[f].astype(str).unique()) for f in FACTORS}
    X = _encode(fit, levels)
    names = _names(levels)
    y = fit["share"].to_numpy(dtype=float)
    a = fit["amount_mvnd"].to_numpy(dtype=float)
    if not _full_rank(X):
        return _not_estimable("collinear", cutoff, rates, len(fit))
    w = a / a.mean()
    try:
        with np.errstate(all="ignore"):
            res = blockfit.fit_logit(y, X, w)
            beta = np.asarray(res.params, dtype=float)
            fitted = np.asarray(res.fittedvalues, dtype=float)
            cov = blockfit.sandwich(
                X, y, fitted, w
            ).toarray()  # (k x k: the districts' block is read whole)
    except (ValueError, np.linalg.LinAlgError, FloatingPointError):
        return _not_estimable("not_converged", cutoff, rates, len(fit))
    if not res.converged or not (np.all(np.isfinite(beta)) and np.all(np.isfinite(cov))):
        return _not_estimable("not_converged", cutoff, rates, len(fit))

    prov_rate, prov_lo, prov_hi = _rate_ci(X, a, beta, cov)
    col = {lv: names.index(f"C(district)[T.{lv}]") for lv in levels["district"][1:]}
    rows = [i for i, d in enumerate(districts) if d in kept]
    columns = np.array([col.get(districts[i], -1) for i in rows], dtype=int)
    est, ci_lo, ci_hi = _district_rates(X, a, beta, cov, columns)
    side = np.where(ci_lo > prov_rate, "above", np.where(ci_hi < prov_rate, "below", "overlaps"))
    rates.loc[rows, "adjusted_rate"] = est
    rates.loc[rows, "adjusted_ci_low"] = ci_lo
    rates.loc[rows, "adjusted_ci_high"] = ci_hi
    rates.loc[rows, "adjusted_vs_province"] = side
    rates["adjusted_rank"] = (
        rates["adjusted_rate"].rank(ascending=False, method="min").astype("Int64")
    )

    # all district effects equal: effect(d) - effect(first kept) = 0 for the other districts
    kept_cols = np.array([col.get(d, -1) for d in kept], dtype=int)
    ext = np.zeros((len(kept), len(kept)))  # the effects' covariance, the reference's 0
    on = np.flatnonzero(kept_cols >= 0)
    ext[np.ix_(on, on)] = cov[np.ix_(kept_cols[on], kept_cols[on])]
    vl = ext[1:, 1:] - ext[1:, :1] - ext[:1, 1:] + ext[0, 0]
    effect = np.where(kept_cols >= 0, beta[np.maximum(kept_cols, 0)], 0.0)
    chi2, df = _wald(effect[1:] - effect[0], vl)
    p = float(stats.chi2.sf(chi2, df)) if df else None
    summary = _summary(
        rates,
        cutoff,
        estimable=True,
        reason=None,
        n_lines=int(len(fit)),
        n_districts=len(kept),
        converged=bool(res.converged),
        formula="share ~ " + " + ".join(f"C({f})" for f in FACTORS if len(levels[f]) > 1),
        province_rate=prov_rate,
        province_ci_low=prov_lo,
        province_ci_high=prov_hi,
        wald_chi2=chi2 if df else None,
        wald_df=df or None,
        wald_p_value=p,
    )
    params = {nm: float(b) for nm, b in zip(names, beta, strict=True)}
    return AdjustedComparison(summary, rates, params)
