"""The row rules and the plan-line rules (``design/data-model.md``), one function each.

Each rule finds the rows it reports with array operations over whole columns, then words one
problem per reported row, in row order (the same problems, rows and columns as a row-by-row
reading). Plan lines are compared through integer line codes built once for the allocations
and the disbursements together (:func:`helpers.data.parsed.assign_line_codes`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from helpers.core.errors import Day, Number, message
from helpers.data import schema
from helpers.data.cells import is_empty
from helpers.data.deadlines import latest_extension, regular_deadline, year_end
from helpers.data.parsed import (
    ParsedTable,
    amount,
    describe_line,
    flagged,
    fmt_amount,
    fmt_date,
    key_codes,
    key_text,
    line_rows,
    today,
)
from helpers.data.readers import WARNING


def _col(table: ParsedTable, name: str) -> np.ndarray:
    """A numeric or date column as a NumPy array (NaN / NaT where empty)."""
    s = table.frame[name]
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.to_numpy(dtype="datetime64[ns]")
    return s.to_numpy(dtype="float64", na_value=np.nan)


def _by_code(codes: np.ndarray, ok: np.ndarray, values: np.ndarray, n: int) -> tuple:
    """Per line code, the value of the last ``ok`` row holding it, and whether one does."""
    has = np.zeros(n, dtype=bool)
    out = np.empty(n, dtype=values.dtype)
    idx = np.flatnonzero(ok)
    if len(idx):
        # the last row of a code wins (as a dict built row by row): assign in reverse order of
        # appearance, keeping the first seen of the reversed order
        rev = idx[::-1]
        c = codes[rev]
        _, first = np.unique(c, return_index=True)
        out[c[first]] = values[rev[first]]
        has[c[first]] = True
    return out, has


def _all_distinct(values: np.ndarray) -> bool:
    """No integer occurs twice in ``values`` (when their range is short: as many values are
    marked in a table of the range as there are values)."""
    if len(values) < 2:
        return True
    least = int(values.min())
    span = int(values.max()) - least + 1
    if span <= max(16 * len(values), 1 << 16) and span <= 1 << 28:
        seen = np.zeros(span, dtype=bool)
        seen[values - least] = True
        return int(np.count_nonzero(seen)) == len(values)
    return not pd.Series(values).duplicated().any()


def check_duplicates(table: ParsedTable) -> None:
    """One row per key of the table (the later rows of a key are reported)."""
    key = list(table.spec.key)
    if not key or table.frame.empty:
        return
    ok = table.ok(*key)
    if table.line_code is not None and set(schema.LINE_KEY) <= set(key):
        # the plan line is already coded (-1 only where a line-key cell failed: not ``ok``)
        rest = [c for c in key if c not in schema.LINE_KEY]
        frame = table.frame[rest].assign(_line=table.line_code)
        (gid,) = key_codes([frame], [*rest, "_line"], dense=False)
    else:
        (gid,) = key_codes([table.frame], key, dense=False)
    idx = np.flatnonzero(ok)
    if not len(idx):
        return
    g = gid[idx]
    if _all_distinct(g):
        return
    dup = pd.Series(g).duplicated().to_numpy()
    uniq, first_pos = np.unique(g, return_index=True)
    first_of = dict(zip(uniq.tolist(), idx[first_pos].tolist(), strict=True))
    cols = {c: table.values(c) for c in key}
    for i in idx[dup].tolist():
        shown = ", ".join(
            f"{c}={'-' if is_empty(cols[c][i]) else key_text(cols[c][i])}" for c in key
        )
        table.report(
            i,
            message(
                "intake.check.duplicate",
                a=table.row(first_of[int(gid[i])]),
                b=table.row(i),
                key=shown,
            ),
            expected=message("intake.expected.one_row_per", key=key),
        )


def check_allocation_dates(alloc: ParsedTable) -> None:
    """An extension runs past the regular deadline; a decision falls near its plan year."""
    f = alloc.frame
    ok = alloc.ok("plan_year", "decision_date", "extended_until")
    years = f["plan_year"].to_numpy(dtype="float64", na_value=np.nan)
    decided, extended = _col(alloc, "decision_date"), _col(alloc, "extended_until")
    known = sorted({int(y) for y in years[ok & ~np.isnan(years)]})
    table = pd.DataFrame(
        {
            "deadline": [regular_deadline(y) for y in known],
            "latest": [latest_extension(y) for y in known],
            "lo": [pd.Timestamp(y - 1, 1, 1) for y in known],
            "hi": [year_end(y) for y in known],
        },
        index=pd.Index(known, dtype="float64"),
    ).reindex(years)
    deadline = table["deadline"].to_numpy(dtype="datetime64[ns]")
    latest = table["latest"].to_numpy(dtype="datetime64[ns]")
    lo, hi = table["lo"].to_numpy("datetime64[ns]"), table["hi"].to_numpy("datetime64[ns]")
    has_ext, has_dec = ~np.isnat(extended), ~np.isnat(decided)
    with np.errstate(invalid="ignore"):
        short = has_ext & (extended <= deadline)
        long = has_ext & ~short & (extended > latest)
        far = has_dec & ~((lo <= decided) & (decided <= hi))
    for i in flagged(ok & (short | long | far)):
        year = int(years[i])
        if short[i]:
            alloc.report(
                i,
                message("intake.check.extension_short", deadline=Day(regular_deadline(year))),
                column="extended_until",
                value=fmt_date(extended[i]),
                expected=message(
                    "intake.expected.date_after_or_empty", date=Day(regular_deadline(year))
                ),
            )
        elif long[i]:
            alloc.report(
                i,
                message("intake.check.extension_long"),
                column="extended_until",
                value=fmt_date(extended[i]),
                expected=message("intake.expected.date_no_later", date=Day(latest_extension(year))),
            )
        if far[i]:
            alo, ahi = pd.Timestamp(year - 1, 1, 1), year_end(year)
            alloc.report(
                i,
                message("intake.check.decision_far", year=year),
                column="decision_date",
                value=fmt_date(decided[i]),
                expected=message("intake.expected.date_between_days", lo=Day(alo), hi=Day(ahi)),
            )


def check_report_dates(disb: ParsedTable) -> None:
    """No report before its plan year began, and none after the day the data are checked."""
    ok = disb.ok("plan_year", "report_date")
    now = today()
    years = disb.frame["plan_year"].to_numpy(dtype="float64", na_value=np.nan)
    dates = _col(disb, "report_date")
    with np.errstate(invalid="ignore"):
        report_year = dates.astype("datetime64[Y]").astype("int64") + 1970
        future = dates > np.datetime64(now.to_datetime64())
        early = ~future & ~np.isnat(dates) & (report_year < years)
    for i in flagged(ok & (future | early)):
        start = pd.Timestamp(int(years[i]), 1, 1)
        if future[i]:
            disb.report(
                i,
                message("intake.check.report_future"),
                column="report_date",
                value=fmt_date(dates[i]),
                expected=message("intake.expected.date_until_today", today=Day(now)),
            )
        else:
            disb.report(
                i,
                message("intake.check.report_early", year=start.year),
                column="report_date",
                value=fmt_date(dates[i]),
                expected=message("intake.expected.date_from", date=Day(start)),
            )


def _by_line_and_date(codes: np.ndarray, dates: np.ndarray) -> np.ndarray:
    """The positions that sort rows by line code, then date, rows of a line and day in their
    order (``np.lexsort((dates, codes))``, by one stable sort of one integer per row)."""
    day, days = pd.factorize(dates)
    rank = np.empty(len(days), dtype=np.int64)
    rank[np.argsort(np.asarray(days), kind="stable")] = np.arange(len(days))
    return np.argsort(codes.astype(np.int64) * (len(days) + 1) + rank[day], kind="stable")


def check_monotone(disb: ParsedTable) -> None:
    """The cumulative disbursement of a line never decreases from one report to the next."""
    ok, codes = line_rows(disb, "report_date", "disbursed_cum_mvnd")
    idx = np.flatnonzero(ok)
    if not len(idx):
        return
    dates = _col(disb, "report_date").astype("int64")
    values = _col(disb, "disbursed_cum_mvnd")
    order = idx[_by_line_and_date(codes[idx], dates[idx])]
    same = codes[order][1:] == codes[order][:-1]
    with np.errstate(invalid="ignore"):
        down = same & (values[order][1:] < values[order][:-1])
    # reported in the order of the line ids (text), then dates, as a sort of the ids would
    at = np.flatnonzero(down)
    after, before = order[1:][at], order[:-1][at]
    ids = schema.line_ids(disb.frame.iloc[after]).tolist() if len(at) else []
    pairs = [
        (int(after[k]), int(before[k]))
        for k in sorted(range(len(at)), key=lambda k: (ids[k], at[k]))
    ]
    day = disb.frame["report_date"]
    for i, p in pairs:
        disb.report(
            i,
            message(
                "intake.check.decreasing",
                before=amount(values[p]),
                before_date=Day(day.iat[p]),
                before_row=disb.row(p),
                after=amount(values[i]),
                after_date=Day(day.iat[i]),
                after_row=disb.row(i),
            ),
            column="disbursed_cum_mvnd",
            expected=message("intake.expected.never_decrease"),
        )


def _ncodes(*tables: ParsedTable) -> int:
    return 1 + max((int(t.line_code.max()) for t in tables if t.line_code is not None and len(t)),
                   default=0)  # fmt: skip


def check_lines_exist(alloc: ParsedTable, disb: ParsedTable) -> None:
    """Every disbursement line is a plan line of the allocations."""
    a_ok, a_codes = line_rows(alloc)
    d_ok, d_codes = line_rows(disb)
    known = np.zeros(_ncodes(alloc, disb) + 1, dtype=bool)
    known[a_codes[a_ok]] = True
    missing = d_ok & ~known[d_codes]
    for i in flagged(missing):
        sheet = alloc.loc.sheet
        disb.report(
            i,
            message("intake.check.no_line", line=describe_line(disb.frame.loc[i])),
            expected=message(
                "intake.expected.line_listed",
                file=Path(alloc.loc.file).name,
                sheet=message("intake.expected.in_sheet", sheet=sheet) if sheet else "",
            ),
        )


def check_over_disbursed(alloc: ParsedTable, disb: ParsedTable) -> None:
    """Warn, once per line (at its latest such report), about disbursed above allocated."""
    a_ok, a_codes = line_rows(alloc, "amount_mvnd")
    n = _ncodes(alloc, disb) + 1
    allocated, has = _by_code(a_codes, a_ok, _col(alloc, "amount_mvnd"), n)
    d_ok, d_codes = line_rows(disb, "report_date", "disbursed_cum_mvnd")
    values = _col(disb, "disbursed_cum_mvnd")
    with np.errstate(invalid="ignore"):
        over = d_ok & has[d_codes] & ~(values <= allocated[d_codes] + 1e-9)
    idx = np.flatnonzero(over)
    if not len(idx):
        return
    dates = _col(disb, "report_date").astype("int64")[idx]
    lines = d_codes[idx]
    # the latest report of each line (the last row of that day), lines in order of first report
    pick = np.lexsort((idx, dates, lines))
    last = np.r_[lines[pick][1:] != lines[pick][:-1], True]
    chosen = dict(zip(lines[pick][last].tolist(), idx[pick][last].tolist(), strict=True))
    _, first = np.unique(lines, return_index=True)
    f = disb.frame
    for line in lines[np.sort(first)].tolist():
        i = chosen[line]
        disb.report(
            i,
            message(
                "intake.check.over_disbursed",
                line=describe_line(f.loc[i]),
                disbursed=amount(float(values[i])),
                date=Day(f["report_date"].iat[i]),
                allocated=amount(float(allocated[line])),
            ),
            column="disbursed_cum_mvnd",
            expected=message("intake.expected.within_allocation"),
            severity=WARNING,
        )


def check_reports_after_decision(alloc: ParsedTable, disb: ParsedTable) -> None:
    """No money is reported disbursed on a line before the line was decided."""
    a_ok, a_codes = line_rows(alloc, "decision_date")
    n = _ncodes(alloc, disb) + 1
    decided, has = _by_code(a_codes, a_ok, _col(alloc, "decision_date"), n)
    d_ok, d_codes = line_rows(disb, "report_date", "disbursed_cum_mvnd")
    values, dates = _col(disb, "disbursed_cum_mvnd"), _col(disb, "report_date")
    with np.errstate(invalid="ignore"):
        early = d_ok & has[d_codes] & ~(values <= 0) & ~(dates >= decided[d_codes])
    for i in flagged(early):
        day = pd.Timestamp(decided[d_codes[i]])
        disb.report(
            i,
            message(
                "intake.check.report_before_decision",
                date=Day(day),
                amount=amount(values[i]),
            ),
            column="report_date",
            value=fmt_date(dates[i]),
            expected=message("intake.expected.report_from", date=Day(day)),
        )


def check_target_years(targets: ParsedTable) -> None:
    """A reported value belongs to a year that has begun."""
    now = today()
    years = targets.frame["year"].to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(invalid="ignore"):
        future = targets.ok("year") & (years > now.year)
    for i in flagged(future):
        targets.report(
            i,
            message("intake.check.year_future"),
            column="year",
            value=int(years[i]),
            expected=message("intake.expected.year_up_to", year=now.year),
        )


UNIT_SCALE_FACTOR = 1e4
"""A unit whose median line is this many times the other units' median typed its amounts in
VND (10^6 times million VND) or thousand VND, not million VND."""
LINE_SCALE_FACTOR = 1e3
"""A line this many times the median line of the province has extra zeros or another unit."""
MIN_LINES_FOR_SCALE = 10
"""Fewest lines with an amount before amounts are compared with their peers."""


def _units_in_vnd(amounts: pd.DataFrame) -> list[tuple[object, float, float]]:
    """(unit, its median, the other units' median) of each unit far above its peers.

    The median of the other units' lines lies between two order statistics of all lines (a
    unit's ``k`` lines removed shift ranks by at most ``k``): only units that pass that bound
    get the exact median of the others.
    """
    values = np.sort(amounts["amount_mvnd"].to_numpy(dtype="float64"))
    n = len(values)
    grouped = amounts.groupby("unit_code")["amount_mvnd"]
    by_unit, sizes = grouped.median(), grouped.size()
    out = []
    for unit, median in by_unit.items():
        k = int(sizes[unit])
        if n - k < MIN_LINES_FOR_SCALE // 2:
            continue
        low = values[(n - k - 1) // 2]  # no peer median is below this
        if median < UNIT_SCALE_FACTOR * low:
            continue
        others = amounts.loc[amounts["unit_code"] != unit, "amount_mvnd"]
        peer = float(others.median())
        if median >= UNIT_SCALE_FACTOR * peer:
            out.append((unit, median, peer))
    return out


def check_amount_scale(alloc: ParsedTable) -> None:
    """Amounts a thousand or a million times their peers: a unit in VND, a line with zeros."""
    f = alloc.frame
    ok = alloc.ok("unit_code", "amount_mvnd")
    amounts = f.loc[ok, ["unit_code", "amount_mvnd"]].astype({"unit_code": object})
    amounts = amounts[amounts["amount_mvnd"] > 0]
    if len(amounts) < MIN_LINES_FOR_SCALE:
        return
    flagged_rows = np.zeros(len(f), dtype=bool)
    x = _col(alloc, "amount_mvnd")
    units = f["unit_code"]
    for unit, median, peer in _units_in_vnd(amounts):
        for i in flagged((units == unit).to_numpy(dtype=bool, na_value=False) & ok):
            flagged_rows[i] = True
            alloc.report(
                i,
                message(
                    "intake.check.unit_in_vnd",
                    unit=unit,
                    median=amount(median),
                    peer=amount(peer),
                ),
                column="amount_mvnd",
                value=fmt_amount(x[i]),
                expected=message("intake.expected.in_mvnd_divide", factor=Number(1_000_000)),
            )
    rest = amounts.loc[~flagged_rows[amounts.index.to_numpy()], "amount_mvnd"]
    median = float(rest.median())
    with np.errstate(invalid="ignore"):
        big = ok & ~flagged_rows & (x >= LINE_SCALE_FACTOR * median)
    for i in flagged(big):
        alloc.report(
            i,
            message(
                "intake.check.line_scale",
                ratio=Number(x[i] / median),
                median=amount(median),
                limit=Number(LINE_SCALE_FACTOR),
            ),
            column="amount_mvnd",
            value=fmt_amount(x[i]),
            expected=message("intake.expected.line_in_mvnd"),
        )
