"""Standard disbursement profiles: S-curves (logistic, Gompertz) of the cumulative share
disbursed against months since the decision, per group, with bootstrap bands over lines."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import OptimizeWarning, curve_fit

from helpers.analysis.frames import finite
from helpers.analysis.lag.prepare import THRESHOLDS, Bins, Caveat, LagData, binned_profile

CURVE_FORMS: tuple[str, ...] = ("logistic", "gompertz")
MIN_LINES_PROFILE = 8
"""Fewer lines than this in a group: no S-curve is fitted for it (the group is reported)."""
MIN_LINES_BIN = 3
"""A month-since-decision bin enters the curve fit only when this many lines are observed."""
MAX_BOOT_UNITS = 2000
"""Above this many lines, the profile bootstrap resamples random clusters of lines."""
SMALL_GROUP_LINES = 30
"""Groups with fewer lines than this get a caveat (wide bands)."""


def logistic_curve(t: np.ndarray, a: float, k: float, t0: float) -> np.ndarray:
    """Logistic S-curve ``a / (1 + exp(-k (t - t0)))``: asymptote a, rate k, midpoint t0."""
    return a / (1.0 + np.exp(-k * (t - t0)))


def gompertz_curve(t: np.ndarray, a: float, b: float, k: float) -> np.ndarray:
    """Gompertz S-curve ``a exp(-b exp(-k t))``: asymmetric, with a long upper tail."""
    return a * np.exp(-b * np.exp(-k * t))


_CURVES: dict[str, tuple[Callable[..., np.ndarray], tuple[str, ...]]] = {
    "logistic": (logistic_curve, ("a", "k", "t0")),
    "gompertz": (gompertz_curve, ("a", "b", "k")),
}
_BOUNDS = {
    "logistic": ([1e-3, 1e-3, -24.0], [1.5, 10.0, 120.0]),
    "gompertz": ([1e-3, 1e-6, 1e-3], [1.5, 1e6, 10.0]),
}


def curve_months_to_share(
    form: str, params: Sequence[float] | np.ndarray, share: float
) -> float | None:
    """Months since decision at which a fitted curve reaches ``share`` (None: never)."""
    if form == "logistic":
        a, k, t0 = params
        return None if a <= share else float(t0 - np.log(a / share - 1.0) / k)
    a, b, k = params
    return None if a <= share else float(-np.log(-np.log(share / a) / b) / k)


def _start_values(form: str, t: np.ndarray, y: np.ndarray) -> list[float]:
    """Starting values from the data: asymptote ≈ the highest share, midpoint ≈ time to half."""
    a0 = float(np.clip(np.nanmax(y) * 1.05, 0.05, 1.4))

    def first_time(level: float) -> float:
        above = np.flatnonzero(y >= level * a0)
        return float(t[above[0]]) if len(above) else float(t[-1])

    t20, t50, t80 = first_time(0.2), first_time(0.5), first_time(0.8)
    spread = max(t80 - t20, 0.5)
    if form == "logistic":
        return [a0, float(np.clip(np.log(16.0) / spread, 0.01, 5.0)), t50]
    k0 = float(np.clip(1.976 / spread, 0.01, 5.0))
    return [a0, float(np.clip(np.log(2.0) * np.exp(k0 * t50), 1e-5, 1e5)), k0]


def _fit_curve(
    form: str,
    t: np.ndarray,
    y: np.ndarray,
    sigma: np.ndarray,
    p0: Sequence[float] | None = None,
    *,
    fast: bool = False,
) -> tuple[np.ndarray, float, bool]:
    """Weighted least squares fit of one curve; returns (params, rss, converged).

    The fit is bounded ('trf'). ``fast`` (bootstrap replicates started at the point estimate)
    first tries unbounded Levenberg-Marquardt, ten times quicker, and falls back to the
    bounded fit when it leaves the bounds.
    """
    func, _ = _CURVES[form]
    start = list(p0) if p0 is not None else _start_values(form, t, y)
    lo, hi = _BOUNDS[form]
    start = [float(np.clip(v, lo[i] * 1.0001 + 1e-12, hi[i] * 0.9999)) for i, v in enumerate(start)]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            params = None
            if fast:
                try:
                    params, pcov = curve_fit(func, t, y, p0=start, sigma=sigma, maxfev=2000)
                except RuntimeError:
                    params = None
                if params is not None and not (
                    np.all(np.isfinite(params)) and np.all(params >= lo) and np.all(params <= hi)
                ):
                    params = None
            if params is None:
                params, pcov = curve_fit(
                    func, t, y, p0=start, sigma=sigma, bounds=(lo, hi), maxfev=5000
                )
    except (RuntimeError, ValueError):
        return np.array(start, dtype=float), float("inf"), False
    rss = float(np.sum(((func(t, *params) - y) / sigma) ** 2))
    converged = bool(np.all(np.isfinite(pcov)))
    return params, rss, converged


@dataclass
class ProfileGroup:
    """The fitted S-curves of one group of lines."""

    key: dict[str, str]
    n_lines: int
    n_obs: int
    allocated_mvnd: float
    t: np.ndarray
    share: np.ndarray
    weight: np.ndarray
    fits: dict[str, dict[str, Any]] = field(default_factory=dict)
    form: str | None = None
    grid: np.ndarray | None = None
    curve: np.ndarray | None = None
    band_low: np.ndarray | None = None
    band_high: np.ndarray | None = None
    months_to: dict[str, dict[str, float | None]] = field(default_factory=dict)
    n_boot_ok: int = 0
    caveats: list[Caveat] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (no arrays)."""
        return {
            **self.key,
            "n_lines": self.n_lines,
            "n_obs": self.n_obs,
            "allocated_mvnd": self.allocated_mvnd,
            "form": self.form,
            "fits": {
                f: {"params": v["params"], "rss": v["rss"], "converged": v["converged"]}
                for f, v in self.fits.items()
            },
            "months_to_50pct": self.months_to.get("50"),
            "months_to_90pct": self.months_to.get("90"),
            "asymptote": self.fits[self.form]["params"]["a"] if self.form else None,
            "n_boot_ok": self.n_boot_ok,
            "caveats": self.caveats,
        }


@dataclass
class ProfileResult:
    """Disbursement profiles of several groups (plus the pooled group ``all``)."""

    by: tuple[str, ...]
    groups: list[ProfileGroup]
    n_boot: int
    seconds: float
    caveats: list[Caveat] = field(default_factory=list)

    def group(self, **key: str) -> ProfileGroup | None:
        """The group whose key matches ``key`` exactly (``group()`` is the pooled one)."""
        want = {k: str(v) for k, v in key.items()}
        for g in self.groups:
            if g.key == want:
                return g
        return None

    @property
    def pooled(self) -> ProfileGroup:
        found = self.group()
        assert found is not None
        return found

    def to_dict(self) -> dict[str, Any]:
        return {
            "by": list(self.by),
            "n_boot": self.n_boot,
            "seconds": self.seconds,
            "groups": [g.to_dict() for g in self.groups],
            "caveats": self.caveats,
        }


def _fit_group(
    key: dict[str, str], bins: Bins, n_boot: int, rng: np.random.Generator, forms: Sequence[str]
) -> ProfileGroup:
    n_lines = int(bins.n_lines.sum())
    y, t, den, nlines = binned_profile(bins)
    keep = (nlines >= min(MIN_LINES_BIN, max(n_lines, 1))) & (den > 0)
    group = ProfileGroup(
        key=key,
        n_lines=n_lines,
        n_obs=int(bins.n_rows.sum()),
        allocated_mvnd=float(bins.amount.sum()),
        t=t[keep],
        share=y[keep],
        weight=den[keep] / max(den[keep].max(initial=0.0), 1e-12),
    )
    if n_lines < MIN_LINES_PROFILE or keep.sum() < 4:
        group.caveats.append(Caveat.of("too_few_lines", n=n_lines))
        return group
    sigma = 1.0 / np.sqrt(group.weight)
    for form in forms:
        params, rss, ok = _fit_curve(form, group.t, group.share, sigma)
        group.fits[form] = {
            "params": dict(zip(_CURVES[form][1], map(float, params), strict=True)),
            "rss": rss,
            "converged": ok,
            "_p": params,
        }
    finite = {f: v for f, v in group.fits.items() if np.isfinite(v["rss"])}
    if not finite:
        group.caveats.append(Caveat.of("no_fit"))
        return group
    group.form = min(finite, key=lambda f: finite[f]["rss"])
    _bootstrap_group(group, bins, keep, n_boot, rng)
    return group


def _bootstrap_group(
    group: ProfileGroup, bins: Bins, keep: np.ndarray, n_boot: int, rng: np.random.Generator
) -> None:
    """Bands and months-to-share intervals by resampling lines (the chosen form only).

    Each replicate re-weights the lines (multinomial counts) and refits the curve from the
    point estimate, on the same bins and mean times. Above :data:`MAX_BOOT_UNITS` lines,
    random clusters of lines are resampled instead (see :meth:`Bins.collapse`).
    """
    form = group.form
    assert form is not None
    func = _CURVES[form][0]
    point = group.fits[form]["_p"]
    group.grid = np.linspace(0.0, float(group.t.max()), 60)
    group.curve = func(group.grid, *point)
    est = {f"{round(100 * s)}": curve_months_to_share(form, point, s) for s in THRESHOLDS}
    units = bins.collapse(MAX_BOOT_UNITS, rng)
    n = len(units.amount)
    t_all = binned_profile(bins)[1]
    curves, times = [], []
    weights = rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot).astype(float)
    ys: Sequence[np.ndarray] | np.ndarray = []
    dens: Sequence[np.ndarray] | np.ndarray = []
    if n_boot:
        ys, dens = binned_profile(units, weights)
    for y, den in zip(ys, dens, strict=True):
        ok = keep & (den > 0)
        if ok.sum() < 4:
            continue
        params, rss, _ = _fit_curve(
            form, t_all[ok], y[ok], 1.0 / np.sqrt(den[ok] / den[ok].max()), p0=point, fast=True
        )
        if not np.isfinite(rss):
            continue
        curves.append(func(group.grid, *params))
        times.append([curve_months_to_share(form, params, s) for s in THRESHOLDS])
    group.n_boot_ok = len(curves)
    if curves:
        arr = np.vstack(curves)
        group.band_low, group.band_high = np.percentile(arr, [2.5, 97.5], axis=0)
    for j, (tag, value) in enumerate(est.items()):
        draws = np.array([np.inf if row[j] is None else row[j] for row in times])
        reached = float(np.isfinite(draws).mean()) if len(draws) else float("nan")
        lo, hi = (
            np.percentile(draws, [2.5, 97.5], method="nearest") if len(draws) else (np.nan, np.nan)
        )
        group.months_to[tag] = {
            "estimate": value,
            "ci_low": finite(lo),
            "ci_high": finite(hi),
            "share_of_boot_reaching": reached,
        }
    if group.n_boot_ok < 0.8 * n_boot:
        group.caveats.append(Caveat.of("bootstrap_failures", n_ok=group.n_boot_ok, n_boot=n_boot))


def fit_disbursement_profile(
    data: LagData,
    by: Sequence[str] = ("allocation_quarter", "capital_type"),
    *,
    lines: pd.Series | None = None,
    n_boot: int = 200,
    seed: int = 0,
    forms: Sequence[str] = CURVE_FORMS,
    pooled: bool = True,
) -> ProfileResult:
    """Fit standard disbursement profiles (S-curves) per group, with bootstrap bands.

    For each group the cumulative share disbursed is pooled across lines as
    Σ disbursed / Σ allocated (amount-weighted, as development banks' profiles are) in
    one-month bins of months since decision (each line's latest report in the bin; after a
    line's final deadline its share stays at its final value). A logistic and a Gompertz curve
    are fitted by weighted least squares (weights = amount observed in the bin, ``p0`` from the
    data, bounded 'trf'); the one with the lower residual sum of squares is kept. Cumulative
    series are autocorrelated, so bands and the intervals of the months to 50 % / 90 % come
    from resampling whole lines (``n_boot`` replicates, percentile intervals).

    Args:
        data: prepared data (:func:`prepare_lag_data` with ``panel=True``).
        by: line attributes defining the groups (columns of ``data.lines``).
        lines: boolean mask over ``data.lines`` restricting the lines used (e.g. one district).
        n_boot: bootstrap replicates (0: no bands).
        seed: seed of the bootstrap.
        forms: curve forms to try.
        pooled: also fit the group of all lines (key ``{}``).

    Returns:
        A :class:`ProfileResult`; months to a share is None when the fitted asymptote stays
        below it.
    """
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    selected = (data.lines["usable"] & data.lines["reported"]).to_numpy(dtype=bool)
    if lines is not None:
        selected &= np.asarray(lines, dtype=bool)
    bins = data.bins()
    groups: list[ProfileGroup] = []
    if pooled:
        groups.append(_fit_group({}, bins.subset(np.flatnonzero(selected)), n_boot, rng, forms))
    if by:
        chosen = data.lines.loc[selected, list(by)]
        for key, idx in chosen.groupby(list(by), observed=True, sort=True).indices.items():
            values = key if isinstance(key, tuple) else (key,)
            rows = np.flatnonzero(selected)[idx]
            groups.append(
                _fit_group(
                    {b: str(v) for b, v in zip(by, values, strict=True)},
                    bins.subset(rows),
                    n_boot,
                    rng,
                    forms,
                )
            )
    caveats = [Caveat.of("profile_composition")]
    small = [g for g in groups if g.n_lines < SMALL_GROUP_LINES]
    if small:
        caveats.append(Caveat.of("small_groups", n=len(small), min_lines=SMALL_GROUP_LINES))
    return ProfileResult(
        by=tuple(by),
        groups=groups,
        n_boot=n_boot,
        seconds=time.perf_counter() - start,
        caveats=caveats,
    )
