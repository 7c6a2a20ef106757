"""Disbursement lag against allocation timing: data preparation, models and the lag summary.

The claim to test is the seed reports' "capital was assigned late, so little was disbursed by
the deadline". Four models, each returning its sample size, diagnostics and written caveats:

1. :func:`fit_disbursement_profile`: the "standard disbursement profile" of development banks,
   cumulative share disbursed (amount-weighted) against months since the decision, fitted as a
   logistic and a Gompertz S-curve per group (allocation quarter x capital type), with
   bootstrap bands over lines and the months to 50 % / 90 %.
2. :func:`fit_time_to_share`: Kaplan-Meier curves of the months from decision to 50 % (or 90 %)
   disbursed, by allocation quarter, and a Cox model (allocation month, capital type, project,
   district; Efron ties) with a Schoenfeld-residual check of proportional hazards.
3. :func:`fit_year_end_share`: a fractional logit (Papke-Wooldridge quasi-likelihood: GLM
   Binomial, logit link) of the share disbursed by the 31 January deadline on months available x
   capital type, with project, plan-year and district fixed effects, weighted by the amount
   allocated, with heteroskedasticity-robust (HC1) or district-clustered sandwich errors. The
   timing effect is the average marginal effect of a decision one month LATER, in percentage
   points (negative when late allocation hurts), with a delta-method interval. A GLM without
   district effects and a MixedLM with a district random intercept show how much timing would
   be confused with district capacity.
4. :func:`counterfactual_on_time`: predicted share and amount disbursed by the deadline had
   every line been decided by a chosen date (default 31 January of its plan year; lines decided
   earlier keep their date), with a delta-method interval, by year, capital type and district.

:func:`fit_province_models` fits everything once for the province; :func:`summary_lag` turns
the fitted models into the ``lag.json`` dict for any scope (a district's figures come from the
province model restricted to its lines, so a batch of districts never refits the model).
:func:`load_or_fit_province_models` keeps the fitted models in a pickle keyed by the data hash.
:func:`check_parameters` and :class:`LagRun` serve the notebook (``02_disbursement_lag``); the
``*_table`` functions give its display tables.

Conventions: months are days / 30.4375 (:mod:`helpers.data.deadlines`); shares are capped at 1 (a
line that disbursed more than allocated counts as fully disbursed); "district" means the
implementing unit (``unit_code``: districts, plus the province's own lines).
"""

from __future__ import annotations

import hashlib
import pickle
import re
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.optimize import OptimizeWarning, curve_fit

from helpers.analysis.lines import (
    Snapshots,
    line_table,
    snapshots,
    time_to_share_from,
)
from helpers.analysis.scoping import scope_unit_codes
from helpers.core.errors import ParameterError
from helpers.core.files import atomic_write_bytes
from helpers.data.dataset import Dataset
from helpers.data.datasets import Scope
from helpers.data.deadlines import DAYS_PER_MONTH, months_available, months_between

THRESHOLDS: tuple[float, ...] = (0.5, 0.9)
"""Shares of a line's capital whose attainment times are modelled."""

DEFAULT_COUNTERFACTUAL_DATE = "01-31"
"""Default scenario: every line decided by 31 January of its plan year."""

QUARTERS: tuple[str, ...] = ("Q0", "Q1", "Q2", "Q3", "Q4")
"""Allocation quarters: Q0 = decided before 1 January of the plan year, Q1..Q4 within it."""

CURVE_FORMS: tuple[str, ...] = ("logistic", "gompertz")
MIN_LINES_PROFILE = 8
"""Fewer lines than this in a group: no S-curve is fitted for it (the group is reported)."""
MIN_LINES_BIN = 3
"""A month-since-decision bin enters the curve fit only when this many lines are observed."""
_Z95 = float(stats.norm.ppf(0.975))

# ============================================================================ preparation


def allocation_month(decision_date: pd.Series, plan_year: pd.Series) -> pd.Series:
    """Month of the decision counted within the plan year: January = 1 … December = 12.

    Decisions taken before the plan year get 0 (December of the previous year), −1, …;
    decisions after it get 13, 14, ….
    """
    d = pd.to_datetime(decision_date)
    return (12 * (d.dt.year - plan_year.astype("int64")) + d.dt.month).astype("int64")


def allocation_quarter(decision_date: pd.Series, plan_year: pd.Series) -> pd.Series:
    """Quarter of the decision within the plan year: "Q0" (before the year), "Q1" … "Q4".

    A decision after the plan year (unusual) is put in "Q4".
    """
    m = allocation_month(decision_date, plan_year)
    q = np.where(m <= 0, 0, np.minimum(4, (m + 2) // 3))
    return pd.Series([QUARTERS[i] for i in q], index=decision_date.index, dtype="string")


@dataclass
class LagData:
    """Prepared data of the lag models.

    Attributes:
        lines: one row per plan line: the columns of :func:`helpers.analysis.lines.line_table` plus
            ``allocation_month``, ``allocation_quarter``, ``months_available_dec31``,
            ``share_dec31``, ``share_deadline``, ``share_last`` (capped at 1),
            ``first_snapshot_date``, ``last_snapshot_date``, ``n_snapshots``, ``closed``
            (the last snapshot is on or after the line's own final deadline, so its share is
            final), ``usable`` (amount > 0), ``deadline_usable`` (usable and the regular
            deadline observed), and for each threshold ``t50_months`` / ``reached50`` and
            ``t90_months`` / ``reached90`` (time in months from decision; ``reached`` 0 means
            censored at that time).
        panel: one row per line x report date (every report date of the data from the line's
            decision date to ``as_of``): ``line_id``, ``line_index`` (row of ``lines``),
            ``months_since_decision``, ``disbursed_cum_mvnd`` (the line's latest snapshot on
            or before that date, 0 before its first: the rule of
            :func:`helpers.analysis.lines.cumulative_at`), ``share_disbursed`` (capped at 1),
            ``snapshot`` (the line has a report at that exact date), and the line's
            attributes (plan year, unit, project, capital type, source, amount, allocation
            month and quarter, months available before 31 Dec and 31 Jan, extended).
        as_of: the last report date used.
        demo: the data are synthetic.
    """

    lines: pd.DataFrame
    panel: pd.DataFrame
    as_of: pd.Timestamp
    demo: bool = False
    province_code: str | None = None
    caveats: list[dict[str, str]] = field(default_factory=list)
    units: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    _bins: Any = field(default=None, repr=False)

    def bins(self) -> _Bins:
        """The panel binned by whole months since decision, one row per line (cached)."""
        if self._bins is None:
            self._bins = _bin_matrix(self.panel, len(self.lines))
        return self._bins


_PANEL_LINE_COLUMNS = (
    "plan_year",
    "unit_code",
    "project_code",
    "capital_type",
    "source",
    "amount_mvnd",
    "allocation_month",
    "allocation_quarter",
    "months_available",
    "months_available_dec31",
    "extended",
)


def _share(amount: pd.Series, disbursed: pd.Series) -> pd.Series:
    """disbursed / amount capped at 1; NaN where the amount is not positive."""
    a = amount.astype("float64")
    return (disbursed / a.where(a > 0)).clip(upper=1.0)


def _line_frame(
    dataset: Dataset, as_of: pd.Timestamp | None
) -> tuple[pd.DataFrame, pd.Timestamp, Snapshots]:
    lines = line_table(dataset.allocations, dataset.disbursements, as_of).reset_index(drop=True)
    as_of = pd.Timestamp(lines.attrs["as_of"])
    for col in ("unit_code", "project_code", "capital_type", "source", "line_id"):
        lines[col] = lines[col].astype(str)
    lines["plan_year"] = lines["plan_year"].astype("int64")
    lines["allocation_month"] = allocation_month(lines["decision_date"], lines["plan_year"])
    lines["allocation_quarter"] = allocation_quarter(lines["decision_date"], lines["plan_year"])
    lines["months_available_dec31"] = months_between(lines["decision_date"], lines["year_end"])
    lines["share_dec31"] = _share(lines["amount_mvnd"], lines["disbursed_dec31_mvnd"])
    lines["share_deadline"] = _share(lines["amount_mvnd"], lines["disbursed_deadline_mvnd"])
    lines["share_last"] = _share(lines["amount_mvnd"], lines["disbursed_last_mvnd"])
    snaps = snapshots(lines, dataset.disbursements, as_of)
    for col, idx in (("first_snapshot_date", snaps.first), ("last_snapshot_date", snaps.last)):
        dates = np.full(len(lines), np.datetime64("NaT"), dtype="datetime64[ns]")
        dates[idx >= 0] = snaps.date[idx[idx >= 0]]
        lines[col] = pd.to_datetime(dates)
    lines["n_snapshots"] = np.bincount(snaps.line, minlength=len(lines)).astype("int64")
    lines["closed"] = lines["last_snapshot_date"] >= lines["line_deadline"]
    lines["usable"] = lines["amount_mvnd"] > 0
    lines["deadline_usable"] = lines["usable"] & lines["deadline_observed"]
    for thr in THRESHOLDS:
        tts = time_to_share_from(lines, snaps, thr, as_of)
        tag = f"{round(100 * thr)}"
        lines[f"t{tag}_months"] = tts["time_months"]
        lines[f"reached{tag}"] = tts["reached"]
    return lines, as_of, snaps


def _panel_frame(lines: pd.DataFrame, snaps: Snapshots) -> pd.DataFrame:
    """Every line x every report date of the data between its decision date and the last
    report; the cumulative amount is the line's latest snapshot on or before the date."""
    grid = np.unique(snaps.date)
    dec = lines["decision_date"].to_numpy(dtype="datetime64[ns]")
    start = np.searchsorted(grid, dec, side="left")
    counts = len(grid) - start
    row_line = np.repeat(np.arange(len(lines)), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    dates = grid[np.repeat(start, counts) + offsets]
    # latest snapshot of the same line on or before each date: search (line, day) keys
    day = (dates - np.datetime64("1970-01-01", "ns")).astype("timedelta64[D]").astype(np.int64)
    sday = (
        (snaps.date - np.datetime64("1970-01-01", "ns")).astype("timedelta64[D]").astype(np.int64)
    )
    span = int(max(day.max(initial=0), sday.max(initial=0))) + 1
    j = (
        np.searchsorted(
            snaps.line.astype(np.int64) * span + sday,
            row_line.astype(np.int64) * span + day,
            side="right",
        )
        - 1
    )
    found = j >= 0
    found[found] = snaps.line[j[found]] == row_line[found]
    cum = np.where(found, snaps.value[np.maximum(j, 0)], 0.0)
    panel = pd.DataFrame(
        {
            "line_id": pd.Categorical.from_codes(row_line, lines["line_id"]),
            "line_index": row_line.astype(np.int64),
            "report_date": pd.to_datetime(dates),
            "disbursed_cum_mvnd": cum,
            "snapshot": found & (sday[np.maximum(j, 0)] == day),
        }
    )
    panel["months_since_decision"] = (dates - dec[row_line]).astype("timedelta64[D]").astype(
        "float64"
    ) / DAYS_PER_MONTH
    for col in _PANEL_LINE_COLUMNS:
        values = lines[col]
        if values.dtype == object or str(values.dtype) == "string":
            codes, uniq = pd.factorize(values.astype(str))
            panel[col] = pd.Categorical.from_codes(codes[row_line], uniq)
        else:
            panel[col] = values.to_numpy()[row_line]
    panel["share_disbursed"] = _share(panel["amount_mvnd"], panel["disbursed_cum_mvnd"])
    return panel


def prepare_lag_data(
    dataset: Dataset, as_of: pd.Timestamp | str | None = None, *, panel: bool = True
) -> LagData:
    """Per-line and per-line x report-date data of the lag models.

    Args:
        dataset: the validated dataset (``line_id`` derived on both line tables).
        as_of: last report date to use (default: the latest report of the data).
        panel: build the line x report-date panel (needed by the profile curves only).

    Returns:
        A :class:`LagData`. Lines with a zero amount are kept but flagged ``usable`` False;
        lines whose 31 January deadline lies after ``as_of`` are flagged
        ``deadline_usable`` False (they enter the profiles and survival models, not the
        year-end model).
    """
    lines, as_of_ts, snaps = _line_frame(dataset, None if as_of is None else pd.Timestamp(as_of))
    frame = _panel_frame(lines, snaps) if panel else pd.DataFrame()
    caveats: list[dict[str, str]] = []
    n_zero = int((~lines["usable"]).sum())
    if n_zero:
        caveats.append(
            _caveat(
                "zero_amount",
                f"{n_zero} line(s) with a zero allocation are left out of every model.",
                f"{n_zero} dòng kế hoạch có số vốn giao bằng 0 không được đưa vào mô hình.",
            )
        )
    n_open = int((lines["usable"] & ~lines["deadline_observed"]).sum())
    if n_open:
        caveats.append(
            _caveat(
                "deadline_not_reached",
                f"{n_open} line(s) whose 31 January deadline is after the last report are left out "
                "of the year-end model and the counterfactual.",
                f"{n_open} dòng kế hoạch chưa đến hạn 31/01 tại kỳ báo cáo cuối nên không được "
                "đưa vào mô hình tỷ lệ giải ngân đến hạn và kịch bản giả định.",
            )
        )
    n_over = int((lines["disbursed_last_mvnd"] > lines["amount_mvnd"] + 1e-6).sum())
    if n_over:
        caveats.append(
            _caveat(
                "over_disbursed",
                f"{n_over} line(s) disbursed more than allocated; their share is capped at 100 %.",
                f"{n_over} dòng kế hoạch giải ngân vượt số vốn giao; tỷ lệ được tính tối đa 100 %.",
            )
        )
    province = None
    prov = dataset.units.loc[dataset.units["level"] == "province", "unit_code"]
    if len(prov) == 1:
        province = str(prov.iloc[0])
    return LagData(
        lines=lines,
        panel=frame,
        as_of=as_of_ts,
        demo=bool(dataset.demo),
        province_code=province,
        caveats=caveats,
        units=dataset.units[["unit_code", "parent_code", "level"]].copy(),
    )


def _caveat(key: str, en: str, vi: str) -> dict[str, str]:
    return {"id": key, "en": en, "vi": vi}


# ============================================================================ 1. profiles


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


def months_to_share(form: str, params: Sequence[float], share: float) -> float | None:
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
    caveats: list[dict[str, str]] = field(default_factory=list)

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
    caveats: list[dict[str, str]] = field(default_factory=list)

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


MAX_BOOT_UNITS = 2000
"""Above this many lines, the profile bootstrap resamples random clusters of lines."""


@dataclass
class _Bins:
    """Lines (or clusters of lines) x one-month bins of months since decision.

    Each line enters a bin with its latest report in it; the arrays hold amount-weighted sums
    so that rows can be added up (clusters of lines) and resampled alike.
    """

    sw: np.ndarray
    """Σ amount x share of the row's lines observed in the bin."""
    tw: np.ndarray
    """Σ amount x months since decision of those reports."""
    ow: np.ndarray
    """Σ amount of the row's lines observed in the bin."""
    nobs: np.ndarray
    """Number of the row's lines observed in the bin."""
    amount: np.ndarray
    n_lines: np.ndarray
    n_rows: np.ndarray
    """Panel rows of the row's lines (for ``n_obs``)."""

    def subset(self, rows: np.ndarray) -> _Bins:
        return _Bins(
            self.sw[rows],
            self.tw[rows],
            self.ow[rows],
            self.nobs[rows],
            self.amount[rows],
            self.n_lines[rows],
            self.n_rows[rows],
        )

    def collapse(self, k: int, rng: np.random.Generator) -> _Bins:
        """Sum the rows into ``k`` clusters of randomly assigned lines (nothing when fewer).

        With independent lines, cluster sums are independent too, so resampling clusters
        estimates the variance of the pooled profile as resampling lines does, at a cost that
        no longer grows with the number of lines.
        """
        n = len(self.amount)
        if n <= k:
            return self
        from scipy import sparse

        cluster = rng.permutation(n) % k
        agg = sparse.csr_matrix((np.ones(n), (cluster, np.arange(n))), shape=(k, n))
        return _Bins(
            agg @ self.sw,
            agg @ self.tw,
            agg @ self.ow,
            agg @ self.nobs,
            agg @ self.amount,
            agg @ self.n_lines,
            agg @ self.n_rows,
        )


def _bin_matrix(panel: pd.DataFrame, n_lines: int) -> _Bins:
    """Bin the panel by whole months since decision, keeping each line's last report per bin.

    Rows of the result are ``panel["line_index"]`` (positions in ``LagData.lines``).
    """
    li = panel["line_index"].to_numpy(dtype=np.int64)
    t = panel["months_since_decision"].to_numpy(dtype=float)
    bins = np.floor(np.maximum(t, 0.0)).astype(np.int64)
    n_bins = int(bins.max()) + 1 if len(bins) else 1
    order = np.lexsort((panel["report_date"].to_numpy(), li))
    li, t, bins = li[order], t[order], bins[order]
    share = np.nan_to_num(panel["share_disbursed"].to_numpy(dtype=float)[order])
    amount_rows = panel["amount_mvnd"].to_numpy(dtype=float)[order]
    key = li * n_bins + bins
    last = np.ones(len(key), bool)
    last[:-1] = key[:-1] != key[1:]
    li, bins, t, share, a = li[last], bins[last], t[last], share[last], amount_rows[last]
    out = _Bins(
        *(np.zeros((n_lines, n_bins)) for _ in range(4)),
        np.zeros(n_lines),
        np.ones(n_lines),
        np.bincount(panel["line_index"].to_numpy(dtype=np.int64), minlength=n_lines).astype(float),
    )
    out.sw[li, bins] = a * share
    out.tw[li, bins] = a * t
    out.ow[li, bins] = a
    out.nobs[li, bins] = 1.0
    out.amount[li] = a
    return out


def _binned_profile(bins: _Bins, weights: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """Amount-weighted mean share per bin: Σ disbursed / Σ allocated of the observed lines.

    Args:
        bins: the binned lines.
        weights: None for the point estimate, or (R, rows) bootstrap multiplicities.

    Returns:
        share, mean months since decision, capital observed and lines observed per bin;
        (B,) arrays for the point estimate, (R, B) for the bootstrap (without the last two
        there: the bootstrap reuses the point estimate's times and bins).
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        if weights is None:
            den = bins.ow.sum(axis=0)
            return (
                bins.sw.sum(axis=0) / den,
                bins.tw.sum(axis=0) / den,
                den,
                bins.nobs.sum(axis=0),
            )
        den = weights @ bins.ow
        return weights @ bins.sw / den, den


def _fit_group(
    key: dict[str, str], bins: _Bins, n_boot: int, rng: np.random.Generator, forms: Sequence[str]
) -> ProfileGroup:
    n_lines = int(bins.n_lines.sum())
    y, t, den, nlines = _binned_profile(bins)
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
        group.caveats.append(
            _caveat(
                "too_few_lines",
                f"Only {n_lines} line(s): no curve fitted.",
                f"Chỉ có {n_lines} dòng kế hoạch: không ước lượng đường cong.",
            )
        )
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
        group.caveats.append(
            _caveat("no_fit", "The S-curve fit failed.", "Không ước lượng được đường cong chữ S.")
        )
        return group
    group.form = min(finite, key=lambda f: finite[f]["rss"])
    _bootstrap_group(group, bins, keep, n_boot, rng)
    return group


def _bootstrap_group(
    group: ProfileGroup, bins: _Bins, keep: np.ndarray, n_boot: int, rng: np.random.Generator
) -> None:
    """Bands and months-to-share intervals by resampling lines (the chosen form only).

    Each replicate re-weights the lines (multinomial counts) and refits the curve from the
    point estimate, on the same bins and mean times. Above :data:`MAX_BOOT_UNITS` lines,
    random clusters of lines are resampled instead (see :meth:`_Bins.collapse`).
    """
    form = group.form
    assert form is not None
    func = _CURVES[form][0]
    point = group.fits[form]["_p"]
    group.grid = np.linspace(0.0, float(group.t.max()), 60)
    group.curve = func(group.grid, *point)
    est = {f"{round(100 * s)}": months_to_share(form, point, s) for s in THRESHOLDS}
    units = bins.collapse(MAX_BOOT_UNITS, rng)
    n = len(units.amount)
    t_all = _binned_profile(bins)[1]
    curves, times = [], []
    weights = rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot).astype(float)
    ys, dens = _binned_profile(units, weights) if n_boot else ([], [])
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
        times.append([months_to_share(form, params, s) for s in THRESHOLDS])
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
            "ci_low": _finite(lo),
            "ci_high": _finite(hi),
            "share_of_boot_reaching": reached,
        }
    if group.n_boot_ok < 0.8 * n_boot:
        group.caveats.append(
            _caveat(
                "bootstrap_failures",
                f"Only {group.n_boot_ok} of {n_boot} bootstrap fits converged: bands are rough.",
                f"Chỉ {group.n_boot_ok}/{n_boot} lần lấy mẫu lại hội tụ: dải tin cậy chỉ gần đúng.",
            )
        )


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
    selected = data.lines["usable"].to_numpy(dtype=bool)
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
    caveats = [
        _caveat(
            "profile_composition",
            "Late months since decision are observed only for older vintages and extended lines, "
            "so the right end of each curve rests on fewer lines.",
            "Các tháng xa sau quyết định chỉ có số liệu của các năm kế hoạch cũ và các dòng được "
            "kéo dài, nên phần cuối đường cong dựa trên ít dòng hơn.",
        )
    ]
    small = [g for g in groups if g.n_lines < 30]
    if small:
        caveats.append(
            _caveat(
                "small_groups",
                f"{len(small)} group(s) have fewer than 30 lines: wide bands.",
                f"{len(small)} nhóm có dưới 30 dòng kế hoạch: dải tin cậy rộng.",
            )
        )
    return ProfileResult(
        by=tuple(by),
        groups=groups,
        n_boot=n_boot,
        seconds=time.perf_counter() - start,
        caveats=caveats,
    )


# ============================================================================ 2. survival


@dataclass
class SurvivalResult:
    """Kaplan-Meier curves by group and a Cox model of the time to a share disbursed."""

    threshold: float
    km: dict[str, dict[str, Any]]
    logrank: dict[str, Any]
    cox: dict[str, Any]
    ph_check: dict[str, Any]
    n_lines: int
    n_events: int
    seconds: float
    caveats: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        km = {g: {k: v for k, v in d.items() if not k.startswith("_")} for g, d in self.km.items()}
        return {
            "threshold": self.threshold,
            "n_lines": self.n_lines,
            "n_events": self.n_events,
            "km": km,
            "logrank": self.logrank,
            "cox": self.cox,
            "ph_check": self.ph_check,
            "seconds": self.seconds,
            "caveats": self.caveats,
        }


def _km(time_m: np.ndarray, status: np.ndarray) -> dict[str, Any]:
    from statsmodels.duration.survfunc import SurvfuncRight

    out: dict[str, Any] = {
        "n": int(len(time_m)),
        "events": int(status.sum()),
        "median": None,
        "ci_low": None,
        "ci_high": None,
    }
    if len(time_m) == 0 or status.sum() == 0:
        out.update(_times=np.array([0.0]), _reached=np.array([0.0]))
        return out
    sf = SurvfuncRight(time_m, status)
    med = sf.quantile(0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lo, hi = sf.quantile_ci(0.5)
    out.update(
        median=_finite(med),
        ci_low=_finite(lo),
        ci_high=_finite(hi),
        _times=np.concatenate([[0.0], sf.surv_times]),
        _reached=np.concatenate([[0.0], 1.0 - sf.surv_prob]),
    )
    return out


def _logrank(time_m: np.ndarray, status: np.ndarray, group: np.ndarray) -> dict[str, Any]:
    """Log-rank test across the groups that have at least one event (``survdiff``).

    A group without any event makes the test's variance matrix singular; such groups are
    left out and named.
    """
    from statsmodels.duration.survfunc import survdiff

    events = pd.Series(status).groupby(group).sum()
    used = sorted(events.index[events > 0])
    out: dict[str, Any] = {
        "chi2": None,
        "p_value": None,
        "groups": used,
        "groups_without_events": sorted(events.index[events == 0]),
    }
    if len(used) < 2:
        return out
    keep = np.isin(group, used)
    try:
        chi2, p = survdiff(time_m[keep], status[keep], group[keep])
    except (np.linalg.LinAlgError, ValueError):
        return out
    out.update(chi2=float(chi2), p_value=float(p))
    return out


def _cox_design(
    frame: pd.DataFrame, covariates: Sequence[str]
) -> tuple[np.ndarray, list[str], str]:
    """Cox covariates: numeric columns linearly, others as treatment dummies (no intercept)."""
    cols, names, terms = [], [], []
    for c in covariates:
        if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]):
            cols.append(frame[c].to_numpy(dtype=float)[:, None])
            names.append(c)
            terms.append(c)
        elif frame[c].nunique() > 1:
            d, nm = _dummies(frame[c], c)
            cols.append(d)
            names += nm
            terms.append(f"C({c})")
    X = np.hstack(cols) if cols else np.zeros((len(frame), 0))
    return X, names, "time_months ~ " + (" + ".join(terms) if terms else "1")


_TERM_LABELS = {
    "allocation_month": {"en": "the allocation month", "vi": "tháng giao vốn"},
    "C(capital_type)[T.recurrent]": {
        "en": "the capital type (recurrent vs investment)",
        "vi": "loại vốn (sự nghiệp so với đầu tư)",
    },
}


def _term_label(term: str, lang: str) -> str:
    return _TERM_LABELS.get(term, {}).get(lang, term)


def _ph_check(
    res: Any, names: Sequence[str], time_m: np.ndarray, status: np.ndarray, focus: Sequence[str]
) -> dict[str, Any]:
    """Correlation of Schoenfeld residuals with the rank of the event time, per covariate."""
    resid = res.schoenfeld_residuals
    ev = (status == 1) & np.all(np.isfinite(resid), axis=1)
    ranks = stats.rankdata(time_m[ev])
    tests = {}
    for j, name in enumerate(names):
        if not any(name.startswith(f) or name.startswith(f"C({f})") for f in focus):
            continue
        r = resid[ev, j]
        if ev.sum() < 5 or np.std(r) == 0:
            continue
        rho, p = stats.pearsonr(r, ranks)
        tests[name] = {"rho": float(rho), "p_value": float(p)}
    bad = [n for n, v in tests.items() if v["p_value"] < 0.05 / max(len(tests), 1)]
    bad_en = ", ".join(_term_label(n, "en") for n in bad)
    bad_vi = ", ".join(_term_label(n, "vi") for n in bad)
    if not tests:
        verdict_en = "Too few events to check proportional hazards."
        verdict_vi = "Quá ít sự kiện để kiểm tra giả định tỷ lệ rủi ro."
        ok = None
    elif bad:
        verdict_en = (
            "Proportional hazards do not hold for " + bad_en + " (Schoenfeld "
            "residuals trend with time, Bonferroni-adjusted p < 0.05): read those hazard "
            "ratios as averages over time, and prefer the Kaplan-Meier curves."
        )
        verdict_vi = (
            "Giả định tỷ lệ rủi ro không thỏa mãn với " + bad_vi + " (phần dư "
            "Schoenfeld thay đổi theo thời gian, p hiệu chỉnh Bonferroni < 0,05): tỷ số "
            "rủi ro chỉ là mức trung bình theo thời gian; nên đọc đường Kaplan-Meier."
        )
        ok = False
    else:
        verdict_en = (
            "No evidence against proportional hazards for the timing and capital-type "
            "terms (Schoenfeld residuals show no trend with time)."
        )
        verdict_vi = (
            "Không có bằng chứng vi phạm giả định tỷ lệ rủi ro đối với thời điểm giao "
            "vốn và loại vốn (phần dư Schoenfeld không thay đổi theo thời gian)."
        )
        ok = True
    return {
        "method": "correlation of Schoenfeld residuals with the rank of the event time "
        "(Bonferroni over the terms tested)",
        "tests": tests,
        "proportional": ok,
        "verdict_en": verdict_en,
        "verdict_vi": verdict_vi,
    }


def _fit_cox(
    frame: pd.DataFrame, covariates: Sequence[str], focus: Sequence[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    from statsmodels.duration.hazard_regression import PHReg

    X, names, formula = _cox_design(frame, covariates)
    status = frame["reached"].to_numpy(dtype=float)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = PHReg(frame["time_months"].to_numpy(dtype=float), X, status=status, ties="efron")
        res = model.fit()
    ci = res.conf_int()
    terms = {
        n: {
            "coef": float(res.params[i]),
            "hazard_ratio": float(np.exp(res.params[i])),
            "hr_ci_low": float(np.exp(ci[i, 0])),
            "hr_ci_high": float(np.exp(ci[i, 1])),
            "p_value": float(res.pvalues[i]),
        }
        for i, n in enumerate(names)
        if any(n.startswith(f) or n.startswith(f"C({f})") for f in focus)
    }
    cox = {
        "formula": formula,
        "ties": "efron",
        "n": int(len(frame)),
        "events": int(status.sum()),
        "terms": terms,
        "llf": float(res.llf),
        "warnings": sorted({str(w.message)[:200] for w in caught}),
    }
    ph = _ph_check(res, names, frame["time_months"].to_numpy(dtype=float), status, focus)
    return cox, ph


def fittime_to_share_from(
    data: LagData,
    threshold: float = 0.5,
    *,
    lines: pd.Series | None = None,
    group: str = "allocation_quarter",
    covariates: Sequence[str] = ("allocation_month", "capital_type", "project_code", "unit_code"),
    cox: bool = True,
) -> SurvivalResult:
    """Kaplan-Meier curves and a Cox model of the months from decision to ``threshold``.

    Lines that have not reached the threshold are censored (see :func:`time_to_share`). The
    Kaplan-Meier curves (statsmodels ``SurvfuncRight``) are drawn per ``group`` with the
    median time and its interval, compared with a log-rank test (``survdiff``). The Cox model
    (``PHReg``, Efron ties because report dates make many ties) has the allocation month
    (January of the plan year = 1), capital type, project and district; proportional hazards
    are checked with the correlation between Schoenfeld residuals and the rank of event time
    for the allocation-month and capital-type terms, and the verdict is written out.

    Args:
        data: prepared data.
        threshold: 0.5 or 0.9 (the thresholds prepared in :data:`THRESHOLDS`).
        lines: boolean mask over ``data.lines`` restricting the lines.
        group: column of ``data.lines`` for the Kaplan-Meier groups.
        covariates: Cox covariates (numeric columns enter linearly, others as categories).
        cox: fit the Cox model (False: Kaplan-Meier only).

    Returns:
        A :class:`SurvivalResult`. A hazard ratio above 1 for ``allocation_month`` means lines
        decided later reach the threshold sooner after their decision (the deadline compresses
        their spending), not that they end up with more.
    """
    start = time.perf_counter()
    tag = f"{round(100 * threshold)}"
    if f"t{tag}_months" not in data.lines:
        raise ParameterError(f"threshold: expected one of {THRESHOLDS}; got {threshold!r}")
    mask = data.lines["usable"] if lines is None else data.lines["usable"] & lines
    frame = data.lines.loc[mask].rename(
        columns={f"t{tag}_months": "time_months", f"reached{tag}": "reached"}
    )

    time_m = frame["time_months"].to_numpy(dtype=float)
    status = frame["reached"].to_numpy(dtype=float)
    km = {"all": _km(time_m, status)}
    for g, sub in frame.groupby(group, sort=True, observed=True):
        km[str(g)] = _km(
            sub["time_months"].to_numpy(dtype=float), sub["reached"].to_numpy(dtype=float)
        )
    logrank = _logrank(time_m, status, frame[group].astype(str).to_numpy())
    caveats = [
        _caveat(
            "interval_censoring",
            "Times are known only to the report date at which a line crossed the threshold "
            "(monthly reports), so they are rounded up to the next report.",
            "Thời gian chỉ biết đến kỳ báo cáo mà dòng kế hoạch vượt ngưỡng (báo cáo hằng tháng), "
            "nên được làm tròn lên kỳ báo cáo tiếp theo.",
        )
    ]
    cox_out: dict[str, Any] = {}
    ph: dict[str, Any] = {
        "proportional": None,
        "verdict_en": "Cox model not fitted.",
        "verdict_vi": "Không ước lượng mô hình Cox.",
        "tests": {},
    }
    n_events = int(status.sum())
    if cox and n_events >= 10:
        cox_out, ph = _fit_cox(frame, covariates, focus=("allocation_month", "capital_type"))
    elif cox:
        caveats.append(
            _caveat(
                "few_events",
                f"Only {n_events} event(s): no Cox model.",
                f"Chỉ có {n_events} sự kiện: không ước lượng mô hình Cox.",
            )
        )
    if len(frame) and n_events / len(frame) < 0.5:
        caveats.append(
            _caveat(
                "heavy_censoring",
                f"Only {n_events} of {len(frame)} lines reached {round(100 * threshold)} %: "
                "the median may be undefined.",
                f"Chỉ {n_events}/{len(frame)} dòng đạt {round(100 * threshold)} %: có thể không "
                "xác định được trung vị.",
            )
        )
    return SurvivalResult(
        threshold=threshold,
        km=km,
        logrank=logrank,
        cox=cox_out,
        ph_check=ph,
        n_lines=int(len(frame)),
        n_events=n_events,
        seconds=time.perf_counter() - start,
        caveats=caveats,
    )


# ============================================================================ 3. year-end share


def _dummies(values: pd.Series, name: str) -> tuple[np.ndarray, list[str]]:
    """Treatment dummies of a factor (reference = first sorted level), patsy-style names."""
    text = values.astype(str).to_numpy()
    levels, codes = np.unique(text, return_inverse=True)
    out = np.zeros((len(text), max(len(levels) - 1, 0)))
    rows = np.flatnonzero(codes > 0)
    out[rows, codes[rows] - 1] = 1.0
    return out, [f"C({name})[T.{lv}]" for lv in levels[1:]]


@dataclass
class _Design:
    X: np.ndarray
    names: list[str]
    dX: np.ndarray
    """Derivative of each row with respect to the months column (the design is linear in it)."""
    formula: str


def _design(
    frame: pd.DataFrame,
    months: str,
    factors: Sequence[str],
    *,
    intercept: bool = True,
    interact: bool = True,
    response: str = "share_deadline",
) -> _Design:
    """Design matrix ``months * C(capital_type) + C(f) for f in factors`` built with numpy.

    Factors with one level are left out. Treatment coding with the first sorted level as
    reference and patsy's column names, so results read like a formula fit; built directly
    because patsy inspects every cell of a string column in Python, which dominated the fit
    time on large data.
    """
    n = len(frame)
    m = frame[months].to_numpy(dtype=float)
    cols: list[np.ndarray] = [np.ones((n, 1))] if intercept else []
    names: list[str] = ["Intercept"] if intercept else []
    rec = None
    terms = [months]
    if interact and frame["capital_type"].nunique() > 1:
        d, nm = _dummies(frame["capital_type"], "capital_type")
        cols.append(d)
        names += nm
        rec = d[:, -1]
        terms = [f"{months} * C(capital_type)"]
    for f in factors:
        if frame[f].nunique() > 1:
            d, nm = _dummies(frame[f], f)
            cols.append(d)
            names += nm
            terms.append(f"C({f})")
    cols.append(m[:, None])
    names.append(months)
    if rec is not None:
        cols.append((m * rec)[:, None])
        names.append(f"{months}:C(capital_type)[T.recurrent]")
    X = np.hstack(cols)
    dX = np.zeros_like(X)
    dX[:, names.index(months)] = 1.0
    if rec is not None:
        dX[:, -1] = rec
    return _Design(X, names, dX, f"{response} ~ " + " + ".join(terms))


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def sandwich_cov(
    X: np.ndarray, y: np.ndarray, mu: np.ndarray, w: np.ndarray, groups: np.ndarray | None = None
) -> np.ndarray:
    """Sandwich covariance of a weighted fractional logit (logit link, canonical).

    Bread ``(Σ w μ(1-μ) x x')⁻¹``; meat from the scores ``w (y - μ) x``: per line with the HC1
    factor n / (n - k) when ``groups`` is None, else summed per cluster with the CR1 factor
    G/(G-1) (n-1)/(n-k). Computed here rather than via ``cov_type`` because statsmodels' GLM
    maps every HCx to the plain sandwich (statsmodels issue #7798).
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


@dataclass
class YearEndShareModel:
    """Fractional logit of the share disbursed by the deadline, with what it implies."""

    formula: str
    params: np.ndarray
    cov: np.ndarray
    cov_type: str
    names: list[str]
    lines: pd.DataFrame
    """The fitted lines with ``share_fitted`` (predicted share by the deadline)."""
    X: np.ndarray
    dX: np.ndarray
    """Change of each design row for one more month available. Every column is linear in
    ``months_available`` (alone or times a capital-type dummy), so the design row of a line
    with Δ more months is ``X + Δ dX``: counterfactuals and marginal effects need no formula
    machinery, and the fitted model pickles (for the cache)."""
    diagnostics: dict[str, Any]
    seconds: float
    caveats: list[dict[str, str]] = field(default_factory=list)

    def design_shifted(self, extra_months: np.ndarray | pd.Series) -> np.ndarray:
        """Design matrix of the fitted lines with ``extra_months`` more months available."""
        return self.X + np.asarray(extra_months, dtype=float)[:, None] * self.dX

    def ame(self, mask: np.ndarray | pd.Series | None = None) -> dict[str, Any]:
        """Average marginal effect of a decision one month LATER on the share by the deadline.

        Average over lines (unweighted: the effect on a typical line's share) of
        −∂μ/∂months_available, in percentage points, with a delta-method 95 % interval.
        """
        m = np.ones(len(self.X), bool) if mask is None else np.asarray(mask, bool)
        if not m.any():
            return {"estimate": None, "ci_low": None, "ci_high": None, "se": None, "n_lines": 0}
        X, dX = self.X[m], self.dX[m]
        mu = _expit(X @ self.params)
        slope = dX @ self.params
        v = mu * (1 - mu)
        est = -100 * float(np.mean(slope * v))
        grad = -100 * np.mean(dX * v[:, None] + (slope * v * (1 - 2 * mu))[:, None] * X, axis=0)
        se = float(np.sqrt(max(grad @ self.cov @ grad, 0.0)))
        return {
            "estimate": est,
            "ci_low": est - _Z95 * se,
            "ci_high": est + _Z95 * se,
            "se": se,
            "n_lines": int(m.sum()),
        }

    def average_prediction(
        self, months: Sequence[float], mask: np.ndarray | pd.Series | None = None
    ) -> pd.DataFrame:
        """Mean predicted share by the deadline had every line had ``m`` months available.

        For each ``m`` of ``months`` every selected line keeps its own project, year, district
        and capital type but gets ``m`` months available (a partial-dependence curve); the
        95 % band is the delta method.

        Returns:
            Frame with ``months_available``, ``share``, ``ci_low``, ``ci_high``.
        """
        m = np.ones(len(self.X), bool) if mask is None else np.asarray(mask, bool)
        X, dX = self.X[m], self.dX[m]
        have = self.lines["months_available"].to_numpy(dtype=float)[m]
        rows = []
        for value in months:
            Xs = X + (value - have)[:, None] * dX
            mu = _expit(Xs @ self.params)
            grad = np.mean((mu * (1 - mu))[:, None] * Xs, axis=0)
            se = float(np.sqrt(max(grad @ self.cov @ grad, 0.0)))
            est = float(mu.mean())
            rows.append((float(value), est, est - _Z95 * se, est + _Z95 * se))
        return pd.DataFrame(rows, columns=["months_available", "share", "ci_low", "ci_high"])

    def ame_by(
        self, column: str, mask: np.ndarray | pd.Series | None = None
    ) -> dict[str, dict[str, Any]]:
        """:meth:`ame` for each value of a column of :attr:`lines`."""
        base = np.ones(len(self.X), bool) if mask is None else np.asarray(mask, bool)
        col = self.lines[column].astype(str).to_numpy()
        return {v: self.ame(base & (col == v)) for v in sorted(set(col[base]))}


def _fit_glm(y: np.ndarray, design: _Design, w: np.ndarray):
    import statsmodels.api as sm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sm.GLM(y, design.X, family=sm.families.Binomial(), var_weights=w).fit(
            wls_method="lstsq"
        )


_YEAR_END_FACTORS = ("project_code", "plan_year", "unit_code")


def _district_checks(
    frame: pd.DataFrame, y: np.ndarray, w: np.ndarray, full_params: np.ndarray, names: list[str]
) -> dict[str, Any]:
    """How much timing would be confused with district capacity without district effects."""
    import statsmodels.api as sm

    out: dict[str, Any] = {}
    if frame["unit_code"].nunique() < 2:
        return out
    design = _design(frame, "months_available", _YEAR_END_FACTORS[:2])
    pooled = _fit_glm(y, design, w)
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
                design.X,
                groups=frame["unit_code"].astype(str).to_numpy(),
            ).fit(reml=True, method="lbfgs")
            out["mixedlm"] = {
                "slope_logit": float(mres.fe_params[j]),
                "district_sd_logit": float(np.sqrt(max(float(np.asarray(mres.cov_re)[0, 0]), 0.0))),
                "converged": bool(mres.converged),
                "n_groups": int(frame["unit_code"].nunique()),
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
    C(unit_code)``, GLM Binomial with logit link, fitted as a quasi-likelihood on every line
    whose deadline has passed (shares capped at 1).

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
    design = _design(frame, "months_available", _YEAR_END_FACTORS)
    formula = design.formula
    res = _fit_glm(y, design, w)
    X, dX = design.X, design.dX
    mu = np.asarray(res.fittedvalues)
    groups = frame["unit_code"].astype(str).to_numpy()
    cov_hc1 = sandwich_cov(X, y, mu, w)
    cov_cl = sandwich_cov(X, y, mu, w, groups)
    cov = cov_hc1 if cov_type == "HC1" else cov_cl
    names = design.names
    params = np.asarray(res.params)
    j = names.index("months_available")
    se_cmp = {
        "HC1": float(np.sqrt(cov_hc1[j, j])),
        "cluster_district": float(np.sqrt(cov_cl[j, j])),
        "model_based": float(np.asarray(res.bse)[j]),
    }
    resid = y - mu
    diagnostics: dict[str, Any] = {
        "n_lines": int(len(frame)),
        "n_params": int(X.shape[1]),
        "n_districts": int(len(set(groups))),
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
            n: {"coef": float(params[i]), "se": float(np.sqrt(cov[i, i]))}
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
        dX=dX,
        diagnostics=diagnostics,
        seconds=0.0,
    )
    model.caveats = _year_end_caveats(model)
    model.seconds = time.perf_counter() - start
    return model


def _year_end_caveats(model: YearEndShareModel) -> list[dict[str, str]]:
    d = model.diagnostics
    n, k, g = d["n_lines"], d["n_params"], d["n_districts"]
    if cov_type_is_hc1 := model.cov_type == "HC1":
        se_en = (
            "line-level robust (HC1) errors are used and the district-clustered one is "
            "shown for comparison"
        )
        se_vi = "dùng sai số vững HC1 và nêu sai số theo cụm huyện để so sánh"
    else:
        se_en = "district-clustered (CR1) errors are used"
        se_vi = "dùng sai số chuẩn theo cụm huyện (CR1)"
    few = g < 30
    out = [
        _caveat(
            "observational",
            "Timing is not randomised: the effect is measured within district, project and "
            "plan year, but lines decided late may differ in ways the data do not show.",
            "Thời điểm giao vốn không được phân bổ ngẫu nhiên: tác động được đo trong cùng "
            "huyện, dự án và năm kế hoạch, nhưng các dòng giao muộn có thể khác biệt theo "
            "những cách số liệu không thể hiện.",
        ),
        _caveat(
            "sample",
            f"{n} lines, {k} parameters, {g} districts: "
            + ("district-clustered errors are unreliable with so few districts; " if few else "")
            + se_en
            + ".",
            f"{n} dòng, {k} tham số, {g} huyện: "
            + ("sai số chuẩn theo cụm huyện không tin cậy khi có ít huyện; " if few else "")
            + se_vi
            + ".",
        ),
    ]
    se = d["se_months_available"]
    if cov_type_is_hc1 and se["cluster_district"] > 1.5 * se["HC1"]:
        out.append(
            _caveat(
                "cluster_se_larger",
                "The district-clustered standard error of the timing slope is more than 1.5 times "
                "the HC1 one: lines of a district may move together; read the interval as too "
                "narrow.",
                "Sai số chuẩn theo cụm huyện của hệ số thời gian lớn hơn 1,5 lần sai số HC1: các "
                "dòng trong cùng huyện có thể biến động cùng nhau; khoảng tin cậy có thể quá hẹp.",
            )
        )
    if n < 200:
        out.append(
            _caveat(
                "small_sample",
                f"Only {n} lines: estimates are imprecise.",
                f"Chỉ có {n} dòng kế hoạch: ước lượng kém chính xác.",
            )
        )
    mixed = d.get("district_check", {}).get("mixedlm", {})
    if mixed:
        out.append(
            _caveat(
                "mixedlm",
                "The MixedLM check (Gaussian, on the logit of each line's share, random district "
                "intercept) is on a different scale and assumes district capacity unrelated to "
                "timing; with about ten districts its variance is poorly estimated.",
                "Kiểm tra MixedLM (phân phối chuẩn trên logit tỷ lệ, hệ số chặn ngẫu nhiên theo "
                "huyện) dùng thang đo khác và giả định năng lực huyện không liên quan đến thời điểm "
                "giao vốn; với khoảng mười huyện, phương sai được ước lượng kém.",
            )
        )
    return out


# ============================================================================ 4. counterfactual


def parse_counterfactual_date(text: str) -> tuple[int, int, int]:
    """Parse a scenario date: "MM-DD" within the plan year, "prev-MM-DD" in the year before.

    Returns:
        (year offset relative to the plan year: 0 or -1, month, day).

    Raises:
        ParameterError: any other form, or a day that does not exist every year (29 Feb).
    """
    m = re.fullmatch(r"(prev-)?(\d{2})-(\d{2})", str(text).strip())
    if m is None:
        raise ParameterError(
            f"counterfactual_date: expected 'MM-DD' (within the plan year, e.g. '01-31') or "
            f"'prev-MM-DD' (in the year before the plan year, e.g. 'prev-12-31'); got {text!r}"
        )
    month, day = int(m.group(2)), int(m.group(3))
    try:
        pd.Timestamp(year=2023, month=month, day=day)
    except ValueError:
        raise ParameterError(
            f"counterfactual_date: {text!r} is not a date that exists every "
            "year: expected 'MM-DD' or 'prev-MM-DD' with month 01-12 and a "
            "day of that month (not 02-29)"
        ) from None
    return (-1 if m.group(1) else 0), month, day


def counterfactual_dates(plan_year: pd.Series, date: str) -> pd.Series:
    """The scenario date of each plan year (see :func:`parse_counterfactual_date`)."""
    offset, month, day = parse_counterfactual_date(date)
    years = plan_year.astype("int64") + offset
    return pd.to_datetime(pd.DataFrame({"year": years, "month": month, "day": day}))


def _sum_with_ci(value: np.ndarray, grad: np.ndarray, cov: np.ndarray) -> tuple[float, ...]:
    total = float(value.sum())
    g = grad.sum(axis=0)
    se = float(np.sqrt(max(g @ cov @ g, 0.0)))
    return total, total - _Z95 * se, total + _Z95 * se, se


@dataclass
class CounterfactualResult:
    """What the year-end model predicts had lines been decided by a scenario date."""

    date: str
    total: dict[str, Any]
    by_year: list[dict[str, Any]]
    by_capital_type: list[dict[str, Any]]
    by_district: list[dict[str, Any]]
    caveats: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "date": self.date,
            **self.total,
            "by_year": self.by_year,
            "by_capital_type": self.by_capital_type,
            "by_district": self.by_district,
            "caveats": self.caveats,
        }


def _cf_rows(
    frame: pd.DataFrame, parts: dict[str, np.ndarray], cov: np.ndarray, mask: np.ndarray
) -> dict[str, Any]:
    amount = frame["amount_mvnd"].to_numpy(dtype=float)[mask]
    alloc = float(amount.sum())
    gain, lo, hi, se = _sum_with_ci(parts["gain"][mask], parts["grad_gain"][mask], cov)
    cf, cf_lo, cf_hi, _ = _sum_with_ci(parts["cf"][mask], parts["grad_cf"][mask], cov)
    pred = float(parts["pred"][mask].sum())
    observed = float((frame["share_deadline"].to_numpy(dtype=float)[mask] * amount).sum())
    moved = parts["moved"][mask]
    return {
        "n_lines": int(mask.sum()),
        "n_lines_moved": int(moved.sum()),
        "mean_months_gained": float(parts["months_gained"][mask][moved].mean())
        if moved.any()
        else 0.0,
        "allocated_mvnd": alloc,
        "observed_deadline_mvnd": observed,
        "predicted_deadline_mvnd": pred,
        "counterfactual_deadline_mvnd": cf,
        "counterfactual_ci_low": cf_lo,
        "counterfactual_ci_high": cf_hi,
        "predicted_share": pred / alloc if alloc else None,
        "counterfactual_share": cf / alloc if alloc else None,
        "counterfactual_share_ci_low": cf_lo / alloc if alloc else None,
        "counterfactual_share_ci_high": cf_hi / alloc if alloc else None,
        "gain_mvnd": gain,
        "ci_low": lo,
        "ci_high": hi,
        "se": se,
    }


def counterfactual_on_time(
    model: YearEndShareModel,
    date: str = DEFAULT_COUNTERFACTUAL_DATE,
    *,
    lines: np.ndarray | pd.Series | None = None,
) -> CounterfactualResult:
    """Predicted share and VND by the deadline had every line been decided by ``date``.

    Every line decided after the scenario date of its plan year is moved to it (more months
    available); lines decided earlier keep their date. The gain is Σ amount x (μ̂_cf − μ̂) over
    the lines, i.e. predicted minus predicted, so the model's fit error cancels; its 95 %
    interval is the delta method with the model's sandwich covariance (parameter uncertainty,
    not the line-level noise of what would actually have been disbursed).

    Args:
        model: a fitted :class:`YearEndShareModel` (e.g. the province's).
        date: scenario date, "MM-DD" in the plan year or "prev-MM-DD" (see
            :func:`parse_counterfactual_date`).
        lines: boolean mask over ``model.lines`` (e.g. one district's lines).

    Returns:
        A :class:`CounterfactualResult` with the total and tables by plan year, capital type
        and district (amounts in million VND).
    """
    frame = model.lines
    cf_date = counterfactual_dates(frame["plan_year"], date)
    decided = pd.to_datetime(frame["decision_date"])
    moved = (decided > cf_date).to_numpy()
    new_decision = decided.where(decided <= cf_date, cf_date)
    m_cf = months_available(new_decision, frame["plan_year"])
    gained = (m_cf - frame["months_available"]).to_numpy(dtype=float)
    X_cf = model.design_shifted(gained)
    mu = _expit(model.X @ model.params)
    mu_cf = _expit(X_cf @ model.params)
    amount = frame["amount_mvnd"].to_numpy(dtype=float)
    grad_cf = (amount * mu_cf * (1 - mu_cf))[:, None] * X_cf
    grad_base = (amount * mu * (1 - mu))[:, None] * model.X
    parts = {
        "gain": amount * (mu_cf - mu),
        "grad_gain": grad_cf - grad_base,
        "cf": amount * mu_cf,
        "grad_cf": grad_cf,
        "pred": amount * mu,
        "moved": moved,
        "months_gained": gained,
    }
    base = np.ones(len(frame), bool) if lines is None else np.asarray(lines, bool)

    def table(column: str) -> list[dict[str, Any]]:
        col = frame[column].astype(str).to_numpy()
        return [
            {column: v, **_cf_rows(frame, parts, model.cov, base & (col == v))}
            for v in sorted(set(col[base]))
        ]

    total = _cf_rows(frame, parts, model.cov, base)
    caveats = [
        _caveat(
            "counterfactual_scope",
            "The scenario moves decision dates only; it assumes districts would spend earlier money "
            "as they spent the money that came early in the years observed, and that projects "
            "were ready to use it.",
            "Kịch bản chỉ thay đổi ngày giao vốn; giả định các huyện sẽ giải ngân vốn giao sớm như "
            "đã giải ngân vốn được giao sớm trong các năm quan sát và dự án đã sẵn sàng.",
        )
    ]
    if total["n_lines_moved"] == 0:
        caveats.append(
            _caveat(
                "nothing_moved",
                "No line was decided after the scenario date.",
                "Không có dòng nào được giao sau ngày giả định.",
            )
        )
    return CounterfactualResult(
        date=date,
        total=total,
        by_year=table("plan_year"),
        by_capital_type=table("capital_type"),
        by_district=table("unit_code"),
        caveats=caveats,
    )


# ============================================================================ province models


@dataclass
class ProvinceModels:
    """Every lag model fitted once on all lines of a dataset, reusable for any scope."""

    data: LagData
    profile: ProfileResult
    profile_by_type: ProfileResult
    survival: dict[str, SurvivalResult]
    year_end: YearEndShareModel
    fit_seconds: dict[str, float]
    settings: dict[str, Any]
    sha256: str | None = None
    units: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    """The units table (a district scope covers the district and the units below it)."""
    scopes: dict[tuple[str, str], ScopeResult] = field(default_factory=dict, repr=False)
    """Per-scope results already computed (see :func:`analyse_scope`)."""


def fit_province_models(
    dataset: Dataset | LagData,
    *,
    n_boot: int = 200,
    seed: int = 0,
    cov_type: str = "HC1",
    district_checks: bool = True,
) -> ProvinceModels:
    """Prepare the data and fit every lag model once on all lines (the province model).

    Args:
        dataset: a validated dataset, or data already prepared with :func:`prepare_lag_data`.
        n_boot: bootstrap replicates of the profile bands.
        seed: seed of the bootstrap.
        cov_type: covariance of the year-end model (see :func:`fit_year_end_share`).
        district_checks: fit the no-district-effect GLM and the MixedLM check.

    Returns:
        A :class:`ProvinceModels`; pass it to :func:`summary_lag` for every scope.
    """
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    data = dataset if isinstance(dataset, LagData) else prepare_lag_data(dataset)
    seconds["prepare"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    profile = fit_disbursement_profile(data, n_boot=n_boot, seed=seed)
    by_type = fit_disbursement_profile(
        data, ("capital_type",), n_boot=n_boot, seed=seed + 1, pooled=False
    )
    seconds["profile"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    survival = {f"{round(100 * thr)}": fittime_to_share_from(data, thr) for thr in THRESHOLDS}
    seconds["time_to_share"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    year_end = fit_year_end_share(data, cov_type=cov_type, district_checks=district_checks)
    seconds["year_end_share"] = time.perf_counter() - t0
    seconds["total"] = float(sum(seconds.values()))
    return ProvinceModels(
        data=data,
        profile=profile,
        profile_by_type=by_type,
        survival=survival,
        year_end=year_end,
        fit_seconds=seconds,
        settings={
            "n_boot": n_boot,
            "seed": seed,
            "cov_type": cov_type,
            "district_checks": district_checks,
        },
        sha256=None if isinstance(dataset, LagData) else dataset.sha256,
        units=data.units,
    )


_CACHE_SOURCES = ("analysis/lag.py", "analysis/lines.py", "data/deadlines.py")


def models_cache_key(dataset: Dataset, **settings: Any) -> str | None:
    """Key of the fitted-model cache: data hash + fit settings + the code that fits.

    None when the dataset has no real SHA-256 (then nothing is cached).
    """
    if not re.fullmatch(r"[0-9a-f]{64}", str(dataset.sha256 or "")):
        return None
    h = hashlib.sha256(dataset.sha256.encode())
    h.update(repr(sorted(settings.items())).encode())
    here = Path(__file__).resolve().parent.parent
    for name in _CACHE_SOURCES:
        h.update((here / name).read_bytes())
    return h.hexdigest()[:32]


def load_or_fit_province_models(
    dataset: Dataset, cache_dir: str | Path | None = None, **settings: Any
) -> ProvinceModels:
    """:func:`fit_province_models`, reusing a pickle in ``cache_dir`` when one matches.

    The pickle's name is :func:`models_cache_key` (data SHA-256, settings and the source of
    the fitting modules), so changed data, settings or code never reuse a stale fit. The file
    is written atomically; a cache that cannot be read is refitted. Pickles are loaded from
    our own processed-data folder only (never from user input).
    """
    key = models_cache_key(dataset, **settings) if cache_dir is not None else None
    path = Path(cache_dir) / f"lag_models_{key}.pkl" if key else None
    if path is not None and path.exists():
        try:
            with path.open("rb") as fh:
                models = pickle.load(fh)
            if isinstance(models, ProvinceModels):
                return models
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            pass
    models = fit_province_models(dataset, **settings)
    if path is not None:
        atomic_write_bytes(path, pickle.dumps(models, protocol=pickle.HIGHEST_PROTOCOL))
    return models


# ============================================================================ scope results


@dataclass
class ScopeResult:
    """The lag results of one scope, computed from the province models.

    Attributes:
        scope: the scope.
        lines: boolean mask of the scope's lines over ``models.data.lines``.
        profile: the scope's profiles: for the province, by allocation quarter x capital
            type (pooled group included); for a district, its own lines by capital type.
        survival: Kaplan-Meier (and, for the province, Cox) results by threshold "50"/"90".
        counterfactual: the scenario applied to the scope's lines (province model).
        timing: average marginal effect of a decision one month later on the scope's lines.
    """

    scope: Scope
    lines: pd.Series
    profile: ProfileResult
    survival: dict[str, SurvivalResult]
    counterfactual: CounterfactualResult
    timing: dict[str, Any]
    seconds: float


def analyse_scope(
    models: ProvinceModels, scope: Scope, counterfactual_date: str = DEFAULT_COUNTERFACTUAL_DATE
) -> ScopeResult:
    """The lag results of ``scope`` from the province models (memoised in ``models``).

    A district's timing effect and counterfactual are the province model's predictions on the
    district's lines (its own sample is too small for the fixed-effect model); its profile
    curves and Kaplan-Meier curves are fitted on its own lines.

    Raises:
        ParameterError: bad ``counterfactual_date``.
    """
    parse_counterfactual_date(counterfactual_date)
    key = (scope.code if not scope.is_province else "province", counterfactual_date)
    if key in models.scopes:
        return models.scopes[key]
    start = time.perf_counter()
    data, ye = models.data, models.year_end
    if scope.is_province:
        mask = pd.Series(True, index=data.lines.index)
        ye_mask = None
        profile = models.profile
        survival = models.survival
    else:
        units = scope_unit_codes(models.units, scope.code)
        mask = data.lines["unit_code"].isin(units)
        ye_mask = ye.lines["unit_code"].isin(units).to_numpy()
        profile = fit_disbursement_profile(
            data,
            ("capital_type",),
            lines=mask,
            n_boot=models.settings["n_boot"],
            seed=models.settings["seed"] + 7,
        )
        survival = {
            k: fittime_to_share_from(data, v.threshold, lines=mask, cox=False)
            for k, v in models.survival.items()
        }
    timing = ye.ame(ye_mask)
    timing["by_capital_type"] = ye.ame_by("capital_type", ye_mask)
    timing["method"] = (
        "average over lines of the change in the predicted share by the "
        "deadline for a decision one month later (−∂μ/∂months available), "
        "delta-method 95 % interval"
    )
    if not scope.is_province:
        timing["province"] = ye.ame()
    result = ScopeResult(
        scope=scope,
        lines=mask,
        profile=profile,
        survival=survival,
        counterfactual=counterfactual_on_time(ye, counterfactual_date, lines=ye_mask),
        timing=timing,
        seconds=time.perf_counter() - start,
    )
    models.scopes[key] = result
    return result


# ============================================================================ summary


def _finite(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if np.isfinite(v) else None


def json_ready(obj: Any, digits: int = 6) -> Any:
    """Recursively turn numpy scalars to Python, NaN/inf to None, and round floats."""
    if isinstance(obj, dict):
        return {str(k): json_ready(v, digits) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_ready(v, digits) for v in obj]
    if isinstance(obj, np.bool_ | bool):
        return bool(obj)
    if isinstance(obj, np.integer | int):
        return int(obj)
    if isinstance(obj, np.floating | float):
        v = float(obj)
        return round(v, digits) if np.isfinite(v) else None
    if isinstance(obj, pd.Timestamp):
        return obj.date().isoformat()
    return obj


def _scope_of(dataset: Dataset, scope: Scope | str) -> Scope:
    if isinstance(scope, Scope):
        return scope
    from helpers.data.datasets import resolve_scope

    return resolve_scope(dataset, scope)


def _dedupe(caveats: Iterable[dict[str, str]]) -> list[dict[str, str]]:
    seen, out = set(), []
    for c in caveats:
        if c["en"] not in seen:
            seen.add(c["en"])
            out.append(c)
    return out


def _months_to(res: ScopeResult) -> dict[str, dict[str, Any]]:
    """Months to 50 % / 90 %: the pooled profile's (with bootstrap CI) and the KM median."""
    pooled = res.profile.pooled
    out = {}
    for tag in ("50", "90"):
        entry = dict(pooled.months_to.get(tag) or {"estimate": None})
        km = res.survival[tag].km["all"]
        entry.update(km_median=km["median"], km_ci_low=km["ci_low"], km_ci_high=km["ci_high"])
        entry["asymptote"] = pooled.fits[pooled.form]["params"]["a"] if pooled.form else None
        out[f"{tag}pct"] = entry
    return out


def _scope_caveats(models: ProvinceModels, res: ScopeResult) -> list[dict[str, str]]:
    sc, n = res.scope, int(res.lines.sum())
    extra = []
    if not sc.is_province:
        extra.append(
            _caveat(
                "district_scope",
                f"{sc.name_en}: the timing effect and the counterfactual come from the province "
                f"model applied to this unit's lines; its own curves rest on {n} lines only.",
                f"{sc.name_vi}: tác động của thời điểm giao vốn và kịch bản giả định lấy từ mô hình "
                f"toàn tỉnh áp dụng cho các dòng của đơn vị; đường cong riêng chỉ dựa trên {n} "
                "dòng kế hoạch.",
            )
        )
    pooled = res.profile.pooled
    if pooled.form and pooled.months_to.get("90", {}).get("estimate") is None:
        a = pooled.fits[pooled.form]["params"]["a"]
        extra.append(
            _caveat(
                "profile_below_90",
                f"The pooled profile levels off at {100 * a:.0f} % of the capital, so it never "
                "reaches 90 %: part of the capital lapses or is still being disbursed.",
                f"Đường giải ngân chuẩn chững lại ở mức {100 * a:.0f} % số vốn nên không đạt "
                "90 %: một phần vốn bị hủy hoặc còn đang giải ngân.",
            )
        )
    return _dedupe(
        models.data.caveats
        + res.profile.caveats
        + pooled.caveats
        + [c for s in res.survival.values() for c in s.caveats]
        + models.year_end.caveats
        + res.counterfactual.caveats
        + extra
    )


def summary_lag(
    dataset: Dataset,
    scope: Scope | str = "province",
    counterfactual_date: str = DEFAULT_COUNTERFACTUAL_DATE,
    *,
    models: ProvinceModels | None = None,
) -> dict[str, Any]:
    """The ``lag.json`` dict of a scope (the province or one implementing unit).

    The province models are fitted once (pass ``models`` from :func:`fit_province_models` or
    :func:`load_or_fit_province_models` to reuse them across scopes); see
    :func:`analyse_scope` for what a district gets.

    Keys (a contract with the brief; amounts in million VND, shares as fractions):

    * ``scope`` (unit code), ``scope_level``, ``scope_name_vi``, ``scope_name_en``, ``demo``,
      ``data_origin``, ``data_sha256``, ``as_of``, ``n_lines``, ``ci_level`` (0.95: every
      interval below);
    * ``timing_effect_pp_per_month``: {``estimate``, ``ci_low``, ``ci_high``, ``se``,
      ``n_lines``, ``by_capital_type``, ``method``, and for a district ``province``}: the
      average change, in percentage points, of the share of a line's capital disbursed by the
      deadline for each month LATER its decision falls (negative when late allocation hurts);
    * ``months_to_50pct``, ``months_to_90pct``: months from decision until the scope's pooled
      standard profile reaches the share (None when its asymptote stays below);
      ``months_to_share`` adds bootstrap intervals, the asymptote and Kaplan-Meier medians;
    * ``counterfactual``: {``date``, ``gain_mvnd``, ``ci_low``, ``ci_high``, predicted and
      scenario amounts and shares, ``by_year``, ``by_capital_type``, ``by_district``};
    * ``profile`` (scope and province curves), ``time_to_share`` (KM, log-rank, Cox),
      ``ph_check`` (verdict in words), ``year_end_model`` (formula, fit diagnostics, district
      checks), ``n_per_model``, ``caveats`` (list of {id, en, vi}), ``fit_seconds``.

    Raises:
        ParameterError: bad ``counterfactual_date`` or unknown ``scope``.
    """
    parse_counterfactual_date(counterfactual_date)
    sc = _scope_of(dataset, scope)
    if models is None:
        models = fit_province_models(dataset)
    res = analyse_scope(models, sc, counterfactual_date)
    ye = models.year_end
    months = _months_to(res)
    out = {
        "scope": sc.code,
        "scope_level": sc.level,
        "scope_name_vi": sc.name_vi,
        "scope_name_en": sc.name_en,
        "demo": bool(dataset.demo),
        "data_origin": dataset.origin,
        "data_sha256": dataset.sha256,
        "as_of": models.data.as_of,
        "n_lines": int(res.lines.sum()),
        "ci_level": 0.95,
        "timing_effect_pp_per_month": res.timing,
        "months_to_50pct": months["50pct"]["estimate"],
        "months_to_90pct": months["90pct"]["estimate"],
        "months_to_share": months,
        "counterfactual": res.counterfactual.to_dict(),
        "profile": {
            "scope": res.profile.to_dict(),
            "province_by_capital_type": models.profile_by_type.to_dict(),
            "province_pooled": models.profile.pooled.to_dict(),
        },
        "time_to_share": {f"{t}pct": s.to_dict() for t, s in res.survival.items()},
        "cox_province": {f"{t}pct": s.cox for t, s in models.survival.items()},
        "ph_check": {f"{t}pct": s.ph_check for t, s in models.survival.items()},
        "year_end_model": {"formula": ye.formula, **ye.diagnostics},
        "n_per_model": {
            "profile_lines": res.profile.pooled.n_lines,
            "time_to_share_lines": res.survival["50"].n_lines,
            "time_to_50pct_events": res.survival["50"].n_events,
            "time_to_90pct_events": res.survival["90"].n_events,
            "cox_lines": models.survival["50"].cox.get("n"),
            "year_end_lines_fitted": ye.diagnostics["n_lines"],
            "year_end_lines_in_scope": res.timing["n_lines"],
            "counterfactual_lines": res.counterfactual.total["n_lines"],
        },
        "caveats": _scope_caveats(models, res),
        "fit_seconds": {**models.fit_seconds, "scope": res.seconds},
    }
    return json_ready(out)


# ============================================================================ notebook run

LAG_FILE = "lag.json"
DEFAULT_OUT_DIR = "outputs/{scope}/lag"
"""Default output folder of the notebook: ``{scope}`` becomes "province" or the unit code, as
:func:`helpers.core.paths.scope_output_dirs` lays out a run (outputs/province/lag, …)."""


def resolve_out_dir(out_dir: str | Path, slug: str) -> Path:
    """The output folder (:func:`helpers.core.paths.resolve_out_dir`)."""
    from helpers.core.paths import resolve_out_dir as paths_resolve_out_dir

    return paths_resolve_out_dir(out_dir, slug, DEFAULT_OUT_DIR)


@dataclass
class LagRun:
    """One run of the lag notebook: checked parameters, data, fitted models, saved outputs."""

    dataset: Dataset
    scope: Scope
    counterfactual_date: str
    lang: str
    out_dir: Path
    models: ProvinceModels | None = None
    saved: list[Path] = field(default_factory=list)

    @property
    def demo(self) -> bool:
        return bool(self.dataset.demo)

    def title(self) -> str:
        """ "Cao Bằng (DEMO)" in the run's language."""
        return self.scope.name(self.lang) + (" (DEMO)" if self.demo else "")

    def fit(self, cache_dir: str | Path | None = "default") -> ScopeResult:
        """Fit (or load from the cache) the province models and analyse the scope.

        Args:
            cache_dir: folder of the fitted-model cache; "default" is
                ``data/processed/lag`` (git-ignored), None disables the cache.
        """
        from helpers.core.paths import PROCESSED_DIR

        folder = PROCESSED_DIR / "lag" if cache_dir == "default" else cache_dir
        self.models = load_or_fit_province_models(self.dataset, folder)
        return analyse_scope(self.models, self.scope, self.counterfactual_date)

    def save(self, fig: Any, name: str) -> Path:
        """Save ``fig`` as ``<out_dir>/<name>.png`` atomically and return the path."""
        from helpers.report.figures.style import save_png

        path = save_png(fig, self.out_dir / f"{name}.png")
        self.saved.append(path)
        return path

    def summary(self) -> dict[str, Any]:
        """The ``lag.json`` dict (:func:`summary_lag`) plus the parameters and figure files."""
        if self.models is None:
            self.fit()
        out = summary_lag(self.dataset, self.scope, self.counterfactual_date, models=self.models)
        out["parameters"] = {
            "scope": self.scope.code,
            "counterfactual_date": self.counterfactual_date,
            "lang": self.lang,
        }
        out["figures"] = sorted(p.name for p in self.saved)
        return out

    def write_json(self) -> dict[str, Any]:
        """Write ``lag.json`` into ``out_dir`` atomically and return what was written."""
        from helpers.core.files import atomic_write_json

        out = self.summary()
        atomic_write_json(self.out_dir / LAG_FILE, out)
        return out


def check_parameters(
    data: str | Path,
    scope: str | int,
    counterfactual_date: str,
    lang: str,
    out_dir: str | Path = DEFAULT_OUT_DIR,
) -> LagRun:
    """Check every parameter of the lag notebook, open the data and resolve the scope.

    Args:
        data: "demo", "demo:SEED", a folder of CSV files or an .xlsx workbook.
        scope: "province", a unit code or a unit name.
        counterfactual_date: "MM-DD" (in the plan year) or "prev-MM-DD".
        lang: "vi" or "en".
        out_dir: output folder; ``{scope}`` becomes "province" or the unit code.

    Raises:
        ParameterError: a parameter is outside its allowed values (the message names them).
        helpers.core.errors.InputError: the data files have problems.
    """
    from helpers.core.paths import scope_slug
    from helpers.core.text import check_lang
    from helpers.data.datasets import resolve_scope

    check_lang(lang)
    parse_counterfactual_date(counterfactual_date)
    from helpers.data.datasets import open_dataset

    dataset = open_dataset(data)
    sc = resolve_scope(dataset, str(scope))
    folder = resolve_out_dir(out_dir, scope_slug(sc.code, dataset.province_code))
    return LagRun(
        dataset=dataset,
        scope=sc,
        counterfactual_date=str(counterfactual_date),
        lang=lang,
        out_dir=folder,
    )


# ============================================================================ display tables


def profile_table(profile: ProfileResult) -> pd.DataFrame:
    """One row per profile group: lines, curve form, asymptote, months to 50 % / 90 % (CI)."""
    rows = []
    for g in profile.groups:
        row: dict[str, Any] = {
            **({k: g.key.get(k, "all") for k in profile.by} or {"group": "all"}),
            "n_lines": g.n_lines,
            "form": g.form,
        }
        row["asymptote"] = g.fits[g.form]["params"]["a"] if g.form else None
        for tag in ("50", "90"):
            m = g.months_to.get(tag) or {}
            row[f"months_to_{tag}pct"] = m.get("estimate")
            row[f"ci_{tag}"] = (
                f"{m['ci_low']:.1f}–{m['ci_high']:.1f}"
                if m.get("ci_low") is not None and m.get("ci_high") is not None
                else None
            )
        rows.append(row)
    return pd.DataFrame(rows).round(3)


def cox_table(models: ProvinceModels) -> pd.DataFrame:
    """Hazard ratios of the allocation-month and capital-type terms of the province Cox
    models, with the proportional-hazards test of each term."""
    rows = []
    for tag, res in models.survival.items():
        tests = res.ph_check.get("tests", {})
        for term, v in res.cox.get("terms", {}).items():
            rows.append(
                {
                    "threshold": f"{tag} %",
                    "term": term,
                    "hazard_ratio": v["hazard_ratio"],
                    "hr_ci_low": v["hr_ci_low"],
                    "hr_ci_high": v["hr_ci_high"],
                    "p_value": v["p_value"],
                    "ph_rho": tests.get(term, {}).get("rho"),
                    "ph_p_value": tests.get(term, {}).get("p_value"),
                    "n": res.cox.get("n"),
                    "events": res.cox.get("events"),
                }
            )
    return pd.DataFrame(rows).round(4)


def timing_table(summary: dict[str, Any]) -> pd.DataFrame:
    """The timing effect (pp per month later) for the scope, by capital type, and for the
    province when the scope is a district."""
    t = summary["timing_effect_pp_per_month"]
    rows = [{"lines": "all", **{k: t[k] for k in ("estimate", "ci_low", "ci_high", "n_lines")}}]
    rows += [
        {"lines": k, **{c: v[c] for c in ("estimate", "ci_low", "ci_high", "n_lines")}}
        for k, v in t["by_capital_type"].items()
    ]
    if "province" in t:
        rows.append(
            {
                "lines": "province (all lines)",
                **{c: t["province"][c] for c in ("estimate", "ci_low", "ci_high", "n_lines")},
            }
        )
    return pd.DataFrame(rows).round(3)


def district_check_table(models: ProvinceModels) -> pd.DataFrame:
    """Timing slope (logit scale, investment) with district fixed effects, without district
    effects, and with a MixedLM random district intercept."""
    check = models.year_end.diagnostics.get("district_check", {})
    mixed = check.get("mixedlm", {})
    rows = [
        {
            "model": "fractional logit, district fixed effects",
            "slope_logit": check.get("slope_logit_with_district_fe"),
        },
        {
            "model": "fractional logit, no district effect",
            "slope_logit": check.get("slope_logit_without_district_effects"),
        },
        {
            "model": "MixedLM on logit(share), random district intercept",
            "slope_logit": mixed.get("slope_logit"),
            "district_sd_logit": mixed.get("district_sd_logit"),
            "converged": mixed.get("converged"),
            "warnings": "; ".join(check.get("mixedlm_warnings", [])) or None,
        },
    ]
    return pd.DataFrame(rows).round(4)


def counterfactual_table(result: ScopeResult, by: str = "plan_year") -> pd.DataFrame:
    """The counterfactual by ``by`` ("plan_year", "capital_type" or "unit_code"), amounts in
    million VND, with a total row."""
    cf = result.counterfactual
    table = {
        "plan_year": cf.by_year,
        "capital_type": cf.by_capital_type,
        "unit_code": cf.by_district,
    }
    if by not in table:
        raise ParameterError(f"by: expected one of {', '.join(table)}; got {by!r}")
    cols = [
        "n_lines",
        "n_lines_moved",
        "mean_months_gained",
        "allocated_mvnd",
        "observed_deadline_mvnd",
        "predicted_deadline_mvnd",
        "counterfactual_deadline_mvnd",
        "gain_mvnd",
        "ci_low",
        "ci_high",
        "predicted_share",
        "counterfactual_share",
    ]
    frame = pd.DataFrame(table[by] + [{by: "total", **cf.total}])
    return frame[[by, *cols]].round(3)
