"""Months to a share disbursed: the one definition every table, chart and sentence shows.

"Months to 50 %" (or 90 %) of a set of plan lines is the **Kaplan–Meier median** of the line
times of :func:`helpers.analysis.lines.time_to_share`: months from a line's decision to the
first report at which its cumulative disbursement reached the share. A line that has not
reached it is censored, not "never": at the last report when its share is final (its last
snapshot is on or after its own final deadline), otherwise at its last snapshot (it may still
get there). Lines with a zero amount or without any disbursement report are left out (their
time says nothing). The median is the first event time at which the Kaplan–Meier curve of
"not yet there" falls to one half or below (the textbook rule; statsmodels' own
``quantile`` uses a strict inequality, which would call a curve resting at exactly one half
"not reached"); it is None ("not reached") when the curve never gets there, i.e. fewer than
half of the lines are known to have reached the share. The interval is statsmodels'
Brookmeyer–Crowley interval (inverted test on the complementary log-log scale, 95 %); an
upper end None means it is unbounded by the data.

The district ranking (:mod:`helpers.analysis.districts`) and the lag models
(:mod:`helpers.analysis.lag.survival`, and so ``lag.json``'s ``months_to_50pct``) both call
:func:`km_median`, so the ranking table, the brief's prose and the charts cannot drift apart.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.duration.survfunc import SurvfuncRight

from helpers.analysis.frames import finite
from helpers.analysis.lines import snapshots, time_to_share_from

KM_ALPHA = 0.05
"""1 − level of the interval of the median (95 %)."""
KM_TOL = 1e-9
"""Tolerance when comparing the Kaplan–Meier curve with one half (products of fractions)."""


@dataclass(frozen=True)
class KMMedian:
    """The Kaplan–Meier median of line times, with its interval and curve."""

    n: int
    """Lines timed (reached or censored)."""
    events: int
    """Lines that reached the share."""
    median: float | None
    """Months; None when the curve never falls to one half (not reached) or no line."""
    ci_low: float | None
    ci_high: float | None
    """None: unbounded by the data (or no estimate)."""
    times: np.ndarray = field(default_factory=lambda: np.array([0.0]), repr=False)
    """0, then each distinct event time (the steps of the curve)."""
    reached: np.ndarray = field(default_factory=lambda: np.array([0.0]), repr=False)
    """Estimated share of lines that had reached the share by each of :attr:`times`."""

    def to_dict(self, curve: bool = False) -> dict[str, Any]:
        """``n``, ``events``, ``median``, ``ci_low``, ``ci_high`` (and the curve as ``_times``,
        ``_reached`` when ``curve``: keys starting with "_" are not written to JSON)."""
        out: dict[str, Any] = {
            "n": self.n,
            "events": self.events,
            "median": self.median,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
        }
        if curve:
            out.update(_times=self.times, _reached=self.reached)
        return out


def km_median(time_m: np.ndarray | pd.Series, status: np.ndarray | pd.Series) -> KMMedian:
    """Kaplan–Meier median of ``time_m`` (months) with ``status`` 1 = reached, 0 = censored.

    See the module docstring for the rule; statsmodels ``SurvfuncRight`` estimates the curve
    and the interval.
    """
    t = np.asarray(time_m, dtype=float)
    s = np.asarray(status, dtype=float)
    n, events = int(len(t)), int(s.sum())
    if n == 0 or events == 0:
        return KMMedian(n, events, None, None, None)
    sf = SurvfuncRight(t, s)
    surv = np.asarray(sf.surv_prob, dtype=float)
    times = np.asarray(sf.surv_times, dtype=float)
    hit = np.flatnonzero(surv <= 0.5 + KM_TOL)
    median = float(times[hit[0]]) if len(hit) else None
    lo = hi = None
    if median is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # log(0) at the curve's ends
            lo, hi = (finite(v) for v in sf.quantile_ci(0.5, alpha=KM_ALPHA))
    return KMMedian(
        n=n,
        events=events,
        median=median,
        ci_low=lo,
        ci_high=hi,
        times=np.concatenate([[0.0], times]),
        reached=np.concatenate([[0.0], 1.0 - surv]),
    )


def timed_lines(
    lines: pd.DataFrame, disbursements: pd.DataFrame, share: float, as_of: pd.Timestamp
) -> pd.DataFrame:
    """Each line's time to ``share`` and whether it enters the Kaplan–Meier estimate.

    Returns:
        Frame indexed like ``lines``: ``time_months``, ``reached`` (1 reached, 0 censored:
        :func:`helpers.analysis.lines.time_to_share`) and ``timed`` (amount > 0 and at least
        one disbursement report on or before ``as_of``).
    """
    snaps = snapshots(lines, disbursements, pd.Timestamp(as_of))
    out = time_to_share_from(lines, snaps, share, pd.Timestamp(as_of))
    out["timed"] = (lines["amount_mvnd"].to_numpy(dtype=float) > 0) & (snaps.last >= 0)
    return out


def months_to_share(
    lines: pd.DataFrame, disbursements: pd.DataFrame, share: float, as_of: pd.Timestamp
) -> KMMedian:
    """The Kaplan–Meier median months to ``share`` disbursed of ``lines`` (see the module)."""
    tt = timed_lines(lines, disbursements, share, as_of)
    tt = tt[tt["timed"]]
    return km_median(tt["time_months"], tt["reached"])
