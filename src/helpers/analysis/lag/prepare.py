"""Data of the lag models: the line table, the line x report-date panel and its monthly bins,
plus the ids-and-values messages (caveats, verdicts, methods) every lag model emits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Self

import numpy as np
import pandas as pd
from scipy import sparse, stats

from helpers.analysis.lines import Snapshots, line_table, snapshots, time_to_share_from
from helpers.data.dataset import Dataset
from helpers.data.deadlines import DAYS_PER_MONTH, months_between
from helpers.data.hierarchy import home_districts

THRESHOLDS: tuple[float, ...] = (0.5, 0.9)
"""Shares of a line's capital whose attainment times are modelled."""

QUARTERS: tuple[str, ...] = ("Q0", "Q1", "Q2", "Q3", "Q4")
"""Allocation quarters: Q0 = decided before 1 January of the plan year, Q1..Q4 within it."""

Z95 = float(stats.norm.ppf(0.975))
"""Two-sided 95 % normal quantile (every interval of the lag models)."""


@dataclass(frozen=True)
class Message:
    """Words the steps render from the ``lag`` catalogs: an id and the values they need."""

    id: str
    values: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, id_: str, /, **values: Any) -> Self:
        return cls(id_, tuple(values.items()))

    @property
    def kwargs(self) -> dict[str, Any]:
        return dict(self.values)


class Caveat(Message):
    """A model caveat (``lag.caveat.<id>``), written as ``{id, en, vi}`` in ``lag.json``."""


class Verdict(Message):
    """A diagnostic's conclusion (``lag.verdict.<id>``), written as ``<key>_en``/``<key>_vi``."""


class Method(Message):
    """How a number was computed (``lag.method.<id>``), written in English."""


# ============================================================================ preparation
def district_column(lines: pd.DataFrame) -> str:
    """The column that names a line's district: ``district_code`` (prepared lines), else
    ``unit_code`` (lines built without units, where the unit is the district)."""
    return "district_code" if "district_code" in lines else "unit_code"


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
            ``district_code`` (the line's former district, :func:`helpers.data.hierarchy.home_districts`:
            the district-level unit of the district effects and clusters),
            ``first_snapshot_date``, ``last_snapshot_date``, ``n_snapshots``, ``closed``
            (the last snapshot is on or after the line's own final deadline, so its share is
            final), ``usable`` (amount > 0), ``reported`` (the line has at least one
            disbursement report), ``deadline_usable`` (usable, reported and the regular
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
    caveats: list[Caveat] = field(default_factory=list)
    units: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    successions: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    """Which unit took over which (a new unit's scope covers its former communes)."""
    _bins: Any = field(default=None, repr=False)

    def bins(self) -> Bins:
        """The panel binned by whole months since decision, one row per line (cached)."""
        if self._bins is None:
            self._bins = bin_matrix(self.panel, len(self.lines))
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
    lines["reported"] = lines["n_snapshots"] > 0
    lines["deadline_usable"] = lines["usable"] & lines["reported"] & lines["deadline_observed"]
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
        A :class:`LagData`. Lines with a zero amount are kept but flagged ``usable`` False.
        Lines with no disbursement report at all are "not reported", not "disbursed zero":
        flagged ``reported`` False and counted by the ``not_reported`` caveat. They and the
        lines whose 31 January deadline lies after ``as_of`` are flagged ``deadline_usable``
        False (open lines enter the profiles and survival models censored, not the year-end
        model or the counterfactual; lines not reported enter none of the models).
    """
    lines, as_of_ts, snaps = _line_frame(dataset, None if as_of is None else pd.Timestamp(as_of))
    home = home_districts(dataset.units, dataset.successions)
    lines["district_code"] = lines["unit_code"].map(lambda c: home.get(c, c)).astype(str)
    frame = _panel_frame(lines, snaps) if panel else pd.DataFrame()
    caveats: list[Caveat] = []
    n_zero = int((~lines["usable"]).sum())
    if n_zero:
        caveats.append(Caveat.of("zero_amount", n=n_zero))
    not_reported = lines["usable"] & ~lines["reported"]
    if not_reported.any():
        caveats.append(
            Caveat.of(
                "not_reported",
                n=int(not_reported.sum()),
                amount=float(lines.loc[not_reported, "amount_mvnd"].sum()),
            )
        )
    n_open = int((lines["usable"] & lines["reported"] & ~lines["deadline_observed"]).sum())
    if n_open:
        caveats.append(Caveat.of("deadline_not_reached", n=n_open))
    n_over = int((lines["disbursed_last_mvnd"] > lines["amount_mvnd"] + 1e-6).sum())
    if n_over:
        caveats.append(Caveat.of("over_disbursed", n=n_over, cap=1.0))
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
        successions=dataset.successions[["former_code", "new_code"]].copy(),
    )


@dataclass
class Bins:
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

    def subset(self, rows: np.ndarray) -> Bins:
        return Bins(
            self.sw[rows],
            self.tw[rows],
            self.ow[rows],
            self.nobs[rows],
            self.amount[rows],
            self.n_lines[rows],
            self.n_rows[rows],
        )

    def collapse(self, k: int, rng: np.random.Generator) -> Bins:
        """Sum the rows into ``k`` clusters of randomly assigned lines (nothing when fewer).

        With independent lines, cluster sums are independent too, so resampling clusters
        estimates the variance of the pooled profile as resampling lines does, at a cost that
        no longer grows with the number of lines.
        """
        n = len(self.amount)
        if n <= k:
            return self
        cluster = rng.permutation(n) % k
        agg = sparse.csr_matrix((np.ones(n), (cluster, np.arange(n))), shape=(k, n))
        return Bins(
            agg @ self.sw,
            agg @ self.tw,
            agg @ self.ow,
            agg @ self.nobs,
            agg @ self.amount,
            agg @ self.n_lines,
            agg @ self.n_rows,
        )


def bin_matrix(panel: pd.DataFrame, n_lines: int) -> Bins:
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
    out = Bins(
        np.zeros((n_lines, n_bins)),
        np.zeros((n_lines, n_bins)),
        np.zeros((n_lines, n_bins)),
        np.zeros((n_lines, n_bins)),
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


def binned_profile(bins: Bins, weights: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
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
