"""Execution rates of small units with intervals, shrunk toward their parent (partial pooling).

A commune-level unit's execution rate rests on a handful of plan lines, so its raw rate
(disbursed / allocated) swings with one line. The workbench reports, beside the raw rate, an
empirical-Bayes estimate: a normal–normal model in which each unit's rate is its parent's rate
plus a unit effect of variance ``tau2``, observed with sampling variance ``v_g``:

* line shares ``s_i = d_i / a_i`` (capped at 1); a unit's raw rate is amount-weighted,
  ``r_g = Σ d_i / Σ a_i = Σ w_i s_i`` with ``w_i = a_i / Σ a``;
* sampling variance ``v_g = sigma2 · Σ w_i²``, where ``sigma2`` is the pooled within-unit
  variance of line shares, ``Σ_g Σ_i (s_i − r_g)² / (N − G)`` (N lines, G units); with no
  within-unit replication it falls back to ``m (1 − m)`` of the overall rate ``m``;
* between-unit variance ``tau2`` by the DerSimonian–Laird moment estimator around each unit's
  prior (its parent's rate): ``Q = Σ (r_g − m_g)² / v_g``,
  ``tau2 = max(0, (Q − df) / (Σ 1/v − Σ 1/v² / Σ 1/v))`` with ``df = G − P`` (P parents);
* the pooled rate ``m_g + (1 − B_g)(r_g − m_g)`` with shrinkage ``B_g = v_g / (v_g + tau2)``,
  its standard error ``sqrt((1 − B_g) v_g + B_g² s_m²)`` where ``s_m`` is the prior's own
  standard error (when given), and a 95 % interval (normal, clipped to [0, 1]). A unit no more
  different from its parent than chance (``tau2`` = 0) gets its parent's rate with its parent's
  uncertainty. The interval ignores the uncertainty of ``tau2``: it is a little narrow.

The workbench pools districts toward the province, then communes toward their (pooled)
district: :func:`pool_rates` does one level. Units with fewer lines than ``min_lines`` are
flagged ``few``: the brief says the data are too few to rank them
(:data:`helpers.core.thresholds.MIN_LINES`, the brief's rule).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.core.thresholds import MIN_LINES

Z95 = 1.959963984540054
MODEL = "empirical_bayes_normal"
"""Id of the model (its description is in the ``tables`` catalog)."""


@dataclass(frozen=True)
class PooledRates:
    """One level of partial pooling."""

    table: pd.DataFrame
    """Per unit: ``group``, ``n_lines``, ``allocated_mvnd``, ``disbursed_mvnd``, ``raw_rate``,
    ``prior_rate``, ``sampling_var``, ``shrinkage``, ``pooled_rate``, ``se``, ``ci_low``,
    ``ci_high``, ``few``."""
    sigma2: float
    tau2: float
    model: str = MODEL


def pool_rates(
    amount: pd.Series,
    disbursed: pd.Series,
    group: pd.Series,
    prior: Mapping[str, float] | pd.Series,
    parent: pd.Series | None = None,
    min_lines: int = MIN_LINES,
    prior_se: Mapping[str, float] | pd.Series | None = None,
) -> PooledRates:
    """Partial pooling of the units' amount-weighted rates toward their priors.

    Args:
        amount, disbursed: per line (million VND), aligned; lines with no amount are left out.
        group: the unit of each line.
        prior: the prior rate of each unit (its parent's rate), by unit.
        parent: the parent of each line's unit (for the degrees of freedom); default one parent.
        min_lines: fewer lines than this: ``few``.
        prior_se: the standard error of each unit's prior (default 0: a known prior).
    """
    ok = (amount > 0) & amount.notna() & disbursed.notna() & group.notna()
    a = amount[ok].astype(float)
    d = disbursed[ok].astype(float).clip(lower=0)
    g = group[ok].astype(str)
    s = (d / a).clip(upper=1.0)
    d = s * a
    frame = pd.DataFrame({"a": a, "d": d, "s": s, "g": g})
    by = frame.groupby("g")
    sums = by[["a", "d"]].sum()
    rate = sums["d"] / sums["a"]
    n = by.size()
    w2 = (frame["a"] ** 2).groupby(frame["g"]).sum() / sums["a"] ** 2
    resid = frame["s"] - frame["g"].map(rate)
    n_total, n_groups = len(frame), len(sums)
    if n_total > n_groups:
        sigma2 = float((resid**2).sum() / (n_total - n_groups))
    else:
        m = float(frame["d"].sum() / frame["a"].sum()) if len(frame) else 0.0
        sigma2 = m * (1 - m)
    sigma2 = max(sigma2, 1e-6)
    v = sigma2 * w2
    prior_s = pd.Series(prior, dtype=float).reindex(sums.index)
    n_parents = 1 if parent is None else max(int(parent[ok].astype(str).nunique()), 1)
    tau2 = _dersimonian_laird(rate, prior_s, v, n_groups - n_parents)
    shrink = v / (v + tau2) if tau2 > 0 else pd.Series(1.0, index=v.index)
    pooled = prior_s + (1 - shrink) * (rate - prior_s)
    s_m = (
        pd.Series(0.0, index=v.index)
        if prior_se is None
        else pd.Series(prior_se, dtype=float).reindex(v.index).fillna(0.0)
    )
    se = np.sqrt((1 - shrink) * v + shrink**2 * s_m**2)
    table = pd.DataFrame(
        {
            "group": sums.index,
            "n_lines": n.to_numpy(),
            "allocated_mvnd": sums["a"].to_numpy(),
            "disbursed_mvnd": sums["d"].to_numpy(),
            "raw_rate": rate.to_numpy(),
            "prior_rate": prior_s.to_numpy(),
            "sampling_var": v.to_numpy(),
            "shrinkage": shrink.to_numpy(),
            "pooled_rate": pooled.to_numpy(),
            "se": se.to_numpy(),
            "ci_low": (pooled - Z95 * se).clip(0, 1).to_numpy(),
            "ci_high": (pooled + Z95 * se).clip(0, 1).to_numpy(),
            "few": (n < min_lines).to_numpy(),
        }
    )
    return PooledRates(table.reset_index(drop=True), sigma2, tau2)


def _dersimonian_laird(rate: pd.Series, prior: pd.Series, v: pd.Series, df: int) -> float:
    """Between-unit variance around the priors (moment estimator, floored at 0)."""
    keep = prior.notna() & (v > 0)
    if df <= 0 or keep.sum() < 2:
        return 0.0
    wt = 1.0 / v[keep]
    q = float((wt * (rate[keep] - prior[keep]) ** 2).sum())
    c = float(wt.sum() - (wt**2).sum() / wt.sum())
    return max(0.0, (q - df) / c) if c > 0 else 0.0


def mean_se(amount: pd.Series, share: pd.Series) -> float:
    """Standard error of an amount-weighted mean share (a parent's own rate used as a prior):
    ``sqrt(s² Σ w²)`` with ``s²`` the variance of the line shares around the mean."""
    ok = (amount > 0) & amount.notna() & share.notna()
    a, s = amount[ok].astype(float), share[ok].astype(float).clip(0, 1)
    if len(a) < 2:
        return 0.0
    w = a / a.sum()
    m = float((w * s).sum())
    s2 = float(((s - m) ** 2).sum() / (len(a) - 1))
    return float(np.sqrt(s2 * (w**2).sum()))
