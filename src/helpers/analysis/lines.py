"""Plan lines with their disbursement at the cut-offs every analysis uses.

Snapshots are cumulative and irregular (month ends, plus ad-hoc report dates), so the amount
disbursed by a line "as of" a date is its latest snapshot on or before that date, and zero when
it has none yet. This module computes that once for the metrics (:mod:`helpers.analysis.metrics`) and
the lag models (:mod:`helpers.analysis.lag`).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.data.deadlines import (
    DAYS_PER_MONTH,
    legal_deadlines,
    line_deadline,
    months_available,
    regular_deadline,
    year_end,
)


@dataclass(frozen=True)
class _SnapshotIndex:
    """A snapshots table sorted once by (line, report date), for :func:`cumulative_at`."""

    lines: pd.Index
    """The line ids; a line's position here is its integer code."""
    times: np.ndarray
    """The distinct report times (int64 ns), sorted; a time's position is its rank."""
    key: np.ndarray
    """Each snapshot's ``code * width + time rank``, sorted."""
    code: np.ndarray
    values: np.ndarray
    """The snapshots' codes and cumulative amounts in the order of :attr:`key`."""
    width: int

    @classmethod
    def of(cls, disbursements: pd.DataFrame) -> _SnapshotIndex:
        codes, lines = pd.factorize(disbursements["line_id"].astype(object), use_na_sentinel=False)
        day = disbursements["report_date"].to_numpy().astype("datetime64[ns]").view("int64")
        times, rank = np.unique(day, return_inverse=True)
        width = len(times) + 1
        key = codes.astype(np.int64) * width + np.asarray(rank).ravel()
        order = np.argsort(key, kind="stable")
        values = disbursements["disbursed_cum_mvnd"].to_numpy(dtype="float64")
        return cls(pd.Index(lines), times, key[order], codes[order], values[order], width)


_INDEXES: dict[int, tuple[weakref.ref[pd.DataFrame], tuple[object, ...], _SnapshotIndex]] = {}
"""The snapshot indexes of the last few snapshots tables, by ``id``: a weak reference (an id
is reused once its frame is gone) and a fingerprint of the columns read, so a table changed
in place is indexed again."""
_KEEP_INDEXES = 4


def _address(column: pd.Series) -> int:
    """Where a column's values live (without copying them out of a string array)."""
    data = getattr(column.array, "_ndarray", None)
    array = data if isinstance(data, np.ndarray) else column.to_numpy()
    return int(array.__array_interface__["data"][0])


def _fingerprint(disbursements: pd.DataFrame) -> tuple[object, ...]:
    values = disbursements["disbursed_cum_mvnd"].to_numpy(dtype="float64")
    day = disbursements["report_date"].to_numpy().astype("datetime64[ns]").view("int64")
    return (
        len(disbursements),
        *(_address(disbursements[c]) for c in ("line_id", "report_date", "disbursed_cum_mvnd")),
        float(np.nansum(values)),
        int(day.sum(dtype=np.int64)) if len(day) else 0,
    )


def _snapshot_index(disbursements: pd.DataFrame) -> _SnapshotIndex:
    """The :class:`_SnapshotIndex` of ``disbursements``, built once per table."""
    mark = _fingerprint(disbursements)
    held = _INDEXES.get(id(disbursements))
    if held is not None and held[0]() is disbursements and held[1] == mark:
        return held[2]
    for k in [k for k, v in _INDEXES.items() if v[0]() is None]:
        del _INDEXES[k]
    while len(_INDEXES) >= _KEEP_INDEXES:
        del _INDEXES[next(iter(_INDEXES))]
    index = _SnapshotIndex.of(disbursements)
    _INDEXES[id(disbursements)] = (weakref.ref(disbursements), mark, index)
    return index


def cumulative_at(
    disbursements: pd.DataFrame, line_id: pd.Series, as_of: pd.Series | pd.Timestamp
) -> pd.Series:
    """Cumulative disbursed of each line as of a date (latest snapshot on or before it).

    Args:
        disbursements: validated ``disbursements`` table (needs ``line_id``, ``report_date``,
            ``disbursed_cum_mvnd``).
        line_id: the lines to evaluate (index is kept in the result).
        as_of: one date for all lines, or a Series of dates aligned with ``line_id``.

    Returns:
        Float Series aligned with ``line_id``: 0.0 for a line with no snapshot by then.

    The snapshots are sorted once by (line, date) per table (:class:`_SnapshotIndex`, kept
    for the table while it lives); each query is one lookup of its line and one binary
    search, whatever the number of dates asked.
    """
    dates = (
        as_of
        if isinstance(as_of, pd.Series)
        else pd.Series(pd.Timestamp(as_of), index=line_id.index)
    )
    q_day = pd.to_datetime(dates).to_numpy().astype("datetime64[ns]").view("int64")
    if np.any(q_day == np.iinfo(np.int64).min):
        raise ValueError("cumulative_at: as_of holds a missing date")
    index = _snapshot_index(disbursements)
    q_code = index.lines.get_indexer(pd.Index(line_id.to_numpy(dtype=object)))
    # the latest report time on or before each date, then that line's last snapshot by it
    q_rank = np.searchsorted(index.times, q_day, side="right") - 1
    q_key = q_code.astype(np.int64) * index.width + q_rank
    at = np.searchsorted(index.key, q_key, side="right") - 1
    hit = (q_code >= 0) & (q_rank >= 0) & (at >= 0)
    hit[hit] = index.code[at[hit]] == q_code[hit]
    out = np.zeros(len(q_day))
    out[hit] = index.values[at[hit]]
    return pd.Series(np.where(np.isnan(out), 0.0, out), index=line_id.index, dtype="float64")


def last_report_date(disbursements: pd.DataFrame) -> pd.Timestamp:
    """The latest report date in the data (the "last report" cut-off)."""
    return pd.Timestamp(disbursements["report_date"].max())


def line_table(
    allocations: pd.DataFrame,
    disbursements: pd.DataFrame,
    as_of: pd.Timestamp | None = None,
    blanket: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per plan line with its deadlines and disbursement at the standard cut-offs.

    Columns added to the allocation columns:
    ``year_end`` (31 Dec of the plan year), ``deadline`` (31 Jan next year), ``line_deadline``
    (extension date or deadline), ``extended`` (bool), ``months_available`` (decision to
    deadline), ``disbursed_dec31_mvnd``, ``disbursed_deadline_mvnd``, ``disbursed_last_mvnd``
    (at ``as_of``, default the last report date), ``deadline_observed`` (the regular deadline
    is on or before ``as_of``) and the carry-over amounts of :func:`carry_over_columns`; the
    legal deadline by capital type (:func:`helpers.data.deadlines.legal_deadlines`, with the
    ``blanket`` extensions) and the amounts and status of :func:`legal_carry_columns`.
    """
    as_of = last_report_date(disbursements) if as_of is None else pd.Timestamp(as_of)
    lines = allocations.copy()
    lines["year_end"] = year_end(lines["plan_year"])
    lines["deadline"] = regular_deadline(lines["plan_year"])
    lines["line_deadline"] = line_deadline(lines["plan_year"], lines["extended_until"])
    lines["extended"] = lines["extended_until"].notna()
    lines["months_available"] = months_available(lines["decision_date"], lines["plan_year"])
    ids = lines["line_id"]
    lines["disbursed_dec31_mvnd"] = cumulative_at(disbursements, ids, lines["year_end"])
    lines["disbursed_deadline_mvnd"] = cumulative_at(disbursements, ids, lines["deadline"])
    lines["disbursed_last_mvnd"] = cumulative_at(disbursements, ids, as_of)
    lines["deadline_observed"] = lines["deadline"] <= as_of
    for col, values in carry_over_columns(lines, as_of).items():
        lines[col] = values
    legal = legal_deadlines(lines, blanket)
    for col in legal.columns:
        lines[col] = legal[col]
    lines["disbursed_legal_mvnd"] = cumulative_at(
        disbursements, ids, lines["latest_deadline"].where(lines["latest_deadline"] < as_of, as_of)
    )
    for col, values in legal_carry_columns(lines, as_of).items():
        lines[col] = values
    lines.attrs["as_of"] = as_of
    lines.attrs["demo"] = bool(allocations.attrs.get("demo", False))
    return lines


CARRY_OVER_COLUMNS: tuple[str, ...] = (
    "undisbursed_deadline_mvnd",
    "carried_over_mvnd",
    "lapsed_at_deadline_mvnd",
    "carried_over_disbursed_mvnd",
    "lapsed_after_extension_mvnd",
    "carried_over_open_mvnd",
    "lapsed_mvnd",
)
"""The per-line carry-over amounts of :func:`carry_over_columns`, in that order."""


def carry_over_columns(lines: pd.DataFrame, as_of: pd.Timestamp) -> dict[str, pd.Series]:
    """What each line had not disbursed by the deadline, and what became of it (one rule).

    With ``undisbursed = max(amount − disbursed by the deadline, 0)``, for a line whose regular
    deadline (31 Jan of plan year + 1) is on or before ``as_of``: an extended line
    (``extended_until`` set) carries it over, another lapses it at the deadline
    (``lapsed_at_deadline``). Carried-over capital is then disbursed later (up to ``as_of``,
    at most the amount carried over), lapses when the extension has ended by ``as_of``
    (``lapsed_after_extension``) or is still open. ``lapsed = lapsed_at_deadline +
    lapsed_after_extension``. Every amount is missing (NaN) while the line's deadline is not
    yet observed: not zero, not yet known.

    Args:
        lines: line table columns ``amount_mvnd``, ``disbursed_deadline_mvnd``,
            ``disbursed_last_mvnd``, ``extended``, ``line_deadline``, ``deadline_observed``.
        as_of: the last report date.
    """
    observed = lines["deadline_observed"].astype(bool)
    ext = lines["extended"].astype(bool)
    final_passed = lines["line_deadline"] <= pd.Timestamp(as_of)
    undisbursed = (lines["amount_mvnd"] - lines["disbursed_deadline_mvnd"]).clip(lower=0)
    carried = undisbursed.where(ext, 0.0)
    later = (lines["disbursed_last_mvnd"] - lines["disbursed_deadline_mvnd"]).clip(lower=0)
    carried_disbursed = later.clip(upper=undisbursed).where(ext, 0.0)
    remaining = (carried - carried_disbursed).clip(lower=0)
    at_deadline = undisbursed.where(~ext, 0.0)
    after_extension = remaining.where(ext & final_passed, 0.0)
    out = {
        "undisbursed_deadline_mvnd": undisbursed,
        "carried_over_mvnd": carried,
        "lapsed_at_deadline_mvnd": at_deadline,
        "carried_over_disbursed_mvnd": carried_disbursed,
        "lapsed_after_extension_mvnd": after_extension,
        "carried_over_open_mvnd": remaining.where(ext & ~final_passed, 0.0),
        "lapsed_mvnd": at_deadline + after_extension,
    }
    return {col: values.where(observed, np.nan) for col, values in out.items()}


LEGAL_CARRY_COLUMNS: tuple[str, ...] = (
    "extended_mvnd",
    "extended_disbursed_mvnd",
    "recurrent_carried_over_mvnd",
    "recurrent_carried_over_disbursed_mvnd",
    "legal_open_mvnd",
    "not_extended_mvnd",
    "legal_lapsed_mvnd",
)
"""The per-line amounts of :func:`legal_carry_columns`, in that order."""

STATUSES: tuple[str, ...] = (
    "disbursed", "in_year", "extended", "carried_over", "not_extended", "lapsed",
)  # fmt: skip
"""Values of ``status_at_last_report``."""

_TOL = 1e-6


def legal_carry_columns(lines: pd.DataFrame, as_of: pd.Timestamp) -> dict[str, pd.Series]:
    """What each line had not disbursed by 31 January, under the law of its capital type.

    With ``undisbursed = max(amount − disbursed by the regular deadline, 0)`` for a line whose
    regular deadline is observed and whose ``legal_deadline`` is later: investment capital is
    ``extended_mvnd`` (kéo dài), recurrent ``recurrent_carried_over_mvnd`` (chuyển nguồn); the
    ``*_disbursed_mvnd`` parts were disbursed after 31 January (up to ``as_of`` and the legal
    deadline). Of what is left on any line: ``legal_open_mvnd`` may still be spent under its
    legal deadline, ``not_extended_mvnd`` is past its legal deadline but an extension could
    still reach it (``latest_deadline`` not passed), ``legal_lapsed_mvnd`` can no longer be
    spent under any extension. NaN while the regular deadline is not observed.
    ``status_at_last_report`` (:data:`STATUSES`) labels every line.

    Args:
        lines: line table with ``amount_mvnd``, ``disbursed_deadline_mvnd``,
            ``disbursed_last_mvnd``, ``disbursed_legal_mvnd`` (at the latest deadline or
            ``as_of``), ``deadline_observed``, ``capital_type``, ``deadline``,
            ``legal_deadline``, ``latest_deadline``.
        as_of: the last report date.
    """
    as_of = pd.Timestamp(as_of)
    observed = lines["deadline_observed"].astype(bool)
    longer = lines["legal_deadline"] > lines["deadline"]
    inv = lines["capital_type"] == "investment"
    undisbursed = (lines["amount_mvnd"] - lines["disbursed_deadline_mvnd"]).clip(lower=0)
    carried = undisbursed.where(longer, 0.0)
    later = (lines["disbursed_legal_mvnd"] - lines["disbursed_deadline_mvnd"]).clip(lower=0)
    carried_disbursed = later.clip(upper=undisbursed).where(longer, 0.0)
    left = (lines["amount_mvnd"] - lines["disbursed_legal_mvnd"]).clip(lower=0)
    open_legal = lines["legal_deadline"] >= as_of
    past_latest = lines["latest_deadline"] < as_of
    out = {
        "extended_mvnd": carried.where(inv, 0.0),
        "extended_disbursed_mvnd": carried_disbursed.where(inv, 0.0),
        "recurrent_carried_over_mvnd": carried.where(~inv, 0.0),
        "recurrent_carried_over_disbursed_mvnd": carried_disbursed.where(~inv, 0.0),
        "legal_open_mvnd": left.where(open_legal, 0.0),
        "not_extended_mvnd": left.where(~open_legal & ~past_latest, 0.0),
        "legal_lapsed_mvnd": left.where(past_latest, 0.0),
    }
    result = {col: values.where(observed, np.nan) for col, values in out.items()}
    done = lines["disbursed_last_mvnd"] >= lines["amount_mvnd"] - _TOL
    status = np.select(
        [
            done,
            ~observed | (open_legal & ~longer),
            open_legal & inv,
            open_legal,
            ~past_latest,
        ],
        ["disbursed", "in_year", "extended", "carried_over", "not_extended"],
        default="lapsed",
    )
    result["status_at_last_report"] = pd.Series(status, index=lines.index, dtype="string")
    return result


# --------------------------------------------------------------------------- time to a share
SHARE_TOL = 1e-9
"""Tolerance when comparing a line's disbursed share with a threshold."""


@dataclass
class Snapshots:
    """Snapshots up to ``as_of`` as arrays sorted by (line position, report date)."""

    line: np.ndarray
    date: np.ndarray
    value: np.ndarray
    first: np.ndarray
    """Index of each line's first snapshot (-1 when it has none)."""
    last: np.ndarray
    """Index of each line's last snapshot (-1 when it has none)."""


def snapshots(lines: pd.DataFrame, disbursements: pd.DataFrame, as_of: pd.Timestamp) -> Snapshots:
    d = disbursements.loc[disbursements["report_date"] <= as_of]
    pos = pd.Index(lines["line_id"].astype(str)).get_indexer(d["line_id"].astype(str))
    keep = pos >= 0
    pos = pos[keep]
    date = d["report_date"].to_numpy(dtype="datetime64[ns]")[keep]
    value = d["disbursed_cum_mvnd"].to_numpy(dtype=float)[keep]
    order = np.lexsort((date, pos))
    pos, date, value = pos[order], date[order], value[order]
    first = np.full(len(lines), -1)
    last = np.full(len(lines), -1)
    if len(pos):
        uniq, start = np.unique(pos, return_index=True)
        first[uniq] = start
        last[uniq] = np.append(start[1:], len(pos)) - 1
    return Snapshots(pos, date, value, first, last)


def time_to_share_from(
    lines: pd.DataFrame, snaps: Snapshots, threshold: float, as_of: pd.Timestamp
) -> pd.DataFrame:
    amount = lines["amount_mvnd"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = snaps.value / amount[snaps.line]
    hit = share >= threshold - SHARE_TOL
    first_hit = np.full(len(lines), np.datetime64("NaT"), dtype="datetime64[ns]")
    if hit.any():
        uniq, idx = np.unique(snaps.line[hit], return_index=True)
        first_hit[uniq] = snaps.date[hit][idx]
    has = snaps.last >= 0
    last_snap = np.full(len(lines), np.datetime64("NaT"), dtype="datetime64[ns]")
    last_snap[has] = snaps.date[snaps.last[has]]
    final_day = (
        lines["line_deadline"]
        if "line_deadline" in lines
        else line_deadline(lines["plan_year"], lines["extended_until"])
    )
    deadline = pd.to_datetime(final_day).to_numpy(dtype="datetime64[ns]")
    final = ~has | (last_snap >= deadline)
    censor = np.where(final, np.datetime64(pd.Timestamp(as_of), "ns"), last_snap)
    reached = ~np.isnat(first_hit)
    end = np.where(reached, first_hit, censor)
    dec = pd.to_datetime(lines["decision_date"]).to_numpy(dtype="datetime64[ns]")
    days = (end - dec).astype("timedelta64[D]").astype("float64")
    return pd.DataFrame(
        {"time_months": np.maximum(days / DAYS_PER_MONTH, 0.0), "reached": reached.astype("int64")},
        index=lines.index,
    )


def time_to_share(
    lines: pd.DataFrame, disbursements: pd.DataFrame, threshold: float, as_of: pd.Timestamp
) -> pd.DataFrame:
    """Months from decision to the first report at which a line's share reaches ``threshold``.

    A line that has not reached it is censored, never dropped: at ``as_of`` (the last
    report) when its share is final (its last snapshot is on or after its own final deadline,
    or it has no snapshot at all), otherwise at its last snapshot (reports stopped while it
    could still disburse).

    Args:
        lines: per-line frame with ``line_id``, ``decision_date``, ``amount_mvnd`` and
            ``line_deadline`` (or ``plan_year`` and ``extended_until`` to derive it).
        disbursements: the snapshots (``line_id``, ``report_date``, ``disbursed_cum_mvnd``).
        threshold: share of the allocation, in (0, 1].
        as_of: last report date.

    Returns:
        Frame indexed like ``lines`` with ``time_months`` (>= 0) and ``reached`` (1 event,
        0 censored).
    """
    return time_to_share_from(lines, snapshots(lines, disbursements, as_of), threshold, as_of)
