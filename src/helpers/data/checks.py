"""The rules within and across parsed tables (``design/data-model.md``), one function each.

Each rule takes :class:`ParsedTable` objects (typed working frames whose cells already
parsed) and reports what it finds on them; a rule only looks at the cells that parsed
(:meth:`ParsedTable.ok`), so one bad cell is reported once, not again by every rule that
reads it. Code resolution (unit names and codes, project and sub-project codes) rewrites the
cells to their canonical codes; the cross-table rules run after it.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.core.errors import Day, InputProblem, Message, Number, message
from helpers.data import schema
from helpers.data.cells import is_empty
from helpers.data.deadlines import latest_extension, regular_deadline, year_end
from helpers.data.readers import WARNING, Location
from helpers.data.schema import Table
from helpers.data.units import UnitResolver, split_dropdown


def today() -> pd.Timestamp:
    """The day the data are checked: no report, extension or target value comes after it."""
    return pd.Timestamp(dt.date.today())


def _rows(mask: np.ndarray) -> list[int]:
    """Positions of the true values of ``mask``, as Python ints."""
    return [int(i) for i in np.flatnonzero(mask)]


@dataclass
class ParsedTable:
    """A table being checked: typed working frame, row locations and failed cells.

    Attributes:
        spec: the schema table.
        frame: the parsed cells (a failed or empty cell is empty), one row per data row.
        loc: where the rows come from.
        rows: user row number of each row of ``frame``.
        bad: per row, the columns whose cells failed (parsing or a rule).
        sink: where problems are recorded.
    """

    spec: Table
    frame: pd.DataFrame
    loc: Location
    rows: list[int]
    bad: list[set[str]]
    sink: list[InputProblem]

    @property
    def name(self) -> str:
        return self.spec.name

    def report(
        self,
        i: int,
        what: Message,
        *,
        column: str | None = None,
        value: object | None = None,
        expected: Message | None = None,
        severity: str = "error",
    ) -> None:
        """Record a problem at data row ``i`` (0-based) and mark the cell failed."""
        if column is not None and severity == "error":
            self.bad[i].add(column)
        self.sink.append(
            self.loc.problem(
                what,
                row=self.rows[i],
                column=column,
                value=value,
                expected=expected,
                severity=severity,
            )
        )

    def ok(self, *columns: str) -> np.ndarray:
        """Rows whose given cells all parsed (for checks that need those cells)."""
        cols = set(columns)
        return np.array([not (b & cols) for b in self.bad], dtype=bool)

    def invalidate(self, column: str) -> None:
        """Mark a column unusable in every row (its reference table is unusable)."""
        for b in self.bad:
            b.add(column)

    @cached_property
    def line_ids(self) -> pd.Series:
        """Line id of each row whose line key parsed (NA elsewhere), computed once.

        First used by the cross-table rules, after code resolution has rewritten the codes;
        the key cells do not change after that.
        """
        ok = self.ok(*schema.LINE_KEY)
        ids = pd.Series(pd.NA, index=self.frame.index, dtype="string")
        if ok.any():
            ids[ok] = schema.line_ids(self.frame.loc[ok])
        return ids


def _or(items: Sequence[object]) -> object:
    """``a or b or c`` in the message's language."""
    return functools.reduce(lambda a, b: message("intake.word.or", a=a, b=b), items)


# --------------------------------------------------------------------------- code checks
def check_parents(units: ParsedTable) -> None:
    """Every ``parent_code`` is a unit of the same table."""
    codes = set(units.frame.loc[units.ok("unit_code"), "unit_code"].dropna())
    for i, parent in enumerate(units.frame["parent_code"].tolist()):
        if not is_empty(parent) and "parent_code" not in units.bad[i] and parent not in codes:
            units.report(
                i,
                message("intake.check.unknown_parent"),
                column="parent_code",
                value=parent,
                expected=message("intake.expected.parent"),
            )


def resolve_units(
    table: ParsedTable, resolver: UnitResolver | None, units: ParsedTable | None
) -> None:
    """Rewrite unit names and codes of ``table`` to unit codes; unknown or ambiguous ones fail."""
    if resolver is None or units is None:
        table.invalidate("unit_code")
        return
    col = "unit_code"
    out = table.frame[col].tolist()
    cache: dict[str, list[str]] = {}
    for i, value in enumerate(out):
        if col in table.bad[i] or is_empty(value):
            continue
        hits = cache.setdefault(value, resolver.candidates(value))
        if len(hits) == 1:
            out[i] = hits[0]
        elif hits:
            table.report(
                i,
                message("intake.check.unit_ambiguous"),
                column=col,
                value=value,
                expected=message(
                    "intake.expected.unit_of", units=[resolver.display(c) for c in hits]
                ),
            )
        else:
            close = resolver.suggest(value)
            hint = message("intake.hint.did_you_mean_units", units=_or(close)) if close else ""
            table.report(
                i,
                message("intake.check.unknown_unit", hint=hint),
                column=col,
                value=value,
                expected=message("intake.expected.unit_listed", file=Path(units.loc.file).name),
            )
    table.frame[col] = pd.Series(out, dtype="string")


class Catalogue:
    """Projects and sub-projects of ``program_components``, matched case-insensitively."""

    def __init__(self, comps: ParsedTable) -> None:
        self.projects: dict[str, str] = {}
        self.subprojects: dict[str, tuple[str, str]] = {}
        self.subs_of: dict[str, list[str]] = {}
        ok = comps.ok("project_code", "subproject_code")
        for proj, sub in comps.frame.loc[ok, ["project_code", "subproject_code"]].itertuples(
            index=False
        ):
            self.projects[str(proj).casefold()] = str(proj)
            self.subs_of.setdefault(str(proj), [])
            if not is_empty(sub):
                self.subprojects[str(sub).casefold()] = (str(proj), str(sub))
                self.subs_of[str(proj)].append(str(sub))

    @staticmethod
    def _lookup(table: Mapping[str, object], value: str) -> object | None:
        hit = table.get(value.casefold())
        if hit is None and (parts := split_dropdown(value)) is not None:
            hit = table.get(parts[0].casefold())
        return hit

    def project(self, value: str) -> str | None:
        return self._lookup(self.projects, value)  # type: ignore[return-value]

    def subproject(self, value: str) -> tuple[str, str] | None:
        return self._lookup(self.subprojects, value)  # type: ignore[return-value]

    def expected_sub(self, project: str) -> Message:
        subs = self.subs_of.get(project, [])
        if not subs:
            return message("intake.expected.no_subprojects", project=project)
        return message("intake.expected.subproject_of", project=project, subs=subs)


def resolve_projects(table: ParsedTable, catalogue: Catalogue | None) -> None:
    """Rewrite project and sub-project codes to their catalogue spelling; check they match."""
    if catalogue is None:
        table.invalidate("project_code")
        table.invalidate("subproject_code")
        return
    projects = table.frame["project_code"].tolist()
    for i, value in enumerate(projects):
        if "project_code" in table.bad[i] or is_empty(value):
            table.bad[i].add("subproject_code")
            continue
        canon = catalogue.project(value)
        if canon is None:
            table.report(
                i,
                message("intake.check.unknown_project"),
                column="project_code",
                value=value,
                expected=message(
                    "intake.expected.one_of", values=list(catalogue.projects.values())
                ),
            )
            table.bad[i].add("subproject_code")
        projects[i] = canon or value
    table.frame["project_code"] = pd.Series(projects, dtype="string")
    subs = table.frame["subproject_code"].tolist()
    for i, value in enumerate(subs):
        if "subproject_code" in table.bad[i] or is_empty(value):
            continue
        project, hit = projects[i], catalogue.subproject(value)
        if hit is not None and hit[0] == project:
            subs[i] = hit[1]
            continue
        where = message("intake.check.belongs_to", project=hit[0]) if hit is not None else ""
        table.report(
            i,
            message("intake.check.subproject_elsewhere", project=project, where=where),
            column="subproject_code",
            value=value,
            expected=catalogue.expected_sub(project),
        )
    table.frame["subproject_code"] = pd.Series(subs, dtype="string")


def check_source_ids(table: ParsedTable, sources: ParsedTable) -> None:
    """Warn about a ``source_id`` that ``sources`` does not list."""
    known = set(sources.frame["source_id"].dropna())
    for i, sid in enumerate(table.frame["source_id"].tolist()):
        if not is_empty(sid) and sid not in known:
            table.report(
                i,
                message("intake.check.unknown_source"),
                column="source_id",
                value=sid,
                expected=message("intake.expected.source_listed"),
                severity=WARNING,
            )


# --------------------------------------------------------------------------- row rules
def _fmt_date(ts: object) -> str:
    return pd.Timestamp(ts).strftime("%Y-%m-%d")


def _fmt_amount(x: float) -> str:
    return f"{x:,.6f}".rstrip("0").rstrip(".")


def _amount(x: float) -> Number:
    """An amount in a message: grouped, up to six decimals, without trailing zeros."""
    return Number(float(x), digits=6, trim=True)


def _key_text(v: object) -> str:
    return _fmt_date(v) if isinstance(v, pd.Timestamp) else str(v)


def check_duplicates(table: ParsedTable) -> None:
    """One row per key of the table (the later rows of a key are reported)."""
    key = list(table.spec.key)
    if not key or table.frame.empty:
        return
    ok = table.ok(*key)
    first: dict[tuple, int] = {}
    frame = table.frame[key]
    for i, values in enumerate(frame.itertuples(index=False)):
        if not ok[i]:
            continue
        k = tuple(None if is_empty(v) else v for v in values)
        if k not in first:
            first[k] = i
            continue
        shown = ", ".join(
            f"{c}={'-' if v is None else _key_text(v)}" for c, v in zip(key, k, strict=True)
        )
        table.report(
            i,
            message("intake.check.duplicate", a=table.rows[first[k]], b=table.rows[i], key=shown),
            expected=message("intake.expected.one_row_per", key=key),
        )


def _line_rows(table: ParsedTable, *more: str) -> tuple[np.ndarray, pd.Series]:
    """Rows usable for a line rule (line key and ``more`` parsed) and the table's line ids."""
    return table.ok(*schema.LINE_KEY, *more), table.line_ids


def _describe_line(row: Mapping[str, object]) -> Message:
    sub = row["subproject_code"]
    return message(
        "intake.check.line",
        year=row["plan_year"],
        unit=row["unit_code"],
        project=row["project_code"],
        sub="-" if is_empty(sub) else sub,
        capital_type=row["capital_type"],
        source=row["source"],
    )


def check_allocation_dates(alloc: ParsedTable) -> None:
    """An extension runs past the regular deadline; a decision falls near its plan year."""
    f = alloc.frame
    for i in _rows(alloc.ok("plan_year", "decision_date", "extended_until")):
        year = int(f.at[i, "plan_year"])
        decided, extended = f.at[i, "decision_date"], f.at[i, "extended_until"]
        deadline = regular_deadline(year)
        if not pd.isna(extended) and extended <= deadline:
            alloc.report(
                i,
                message("intake.check.extension_short", deadline=Day(deadline)),
                column="extended_until",
                value=_fmt_date(extended),
                expected=message("intake.expected.date_after_or_empty", date=Day(deadline)),
            )
        elif not pd.isna(extended) and extended > latest_extension(year):
            alloc.report(
                i,
                message("intake.check.extension_long"),
                column="extended_until",
                value=_fmt_date(extended),
                expected=message("intake.expected.date_no_later", date=Day(latest_extension(year))),
            )
        lo, hi = pd.Timestamp(year - 1, 1, 1), year_end(year)
        if not pd.isna(decided) and not lo <= decided <= hi:
            alloc.report(
                i,
                message("intake.check.decision_far", year=year),
                column="decision_date",
                value=_fmt_date(decided),
                expected=message("intake.expected.date_between_days", lo=Day(lo), hi=Day(hi)),
            )


def check_unit_validity(alloc: ParsedTable, units: ParsedTable) -> None:
    """Warn, once per unit, about lines decided after the unit ceased to exist.

    After the 1 July 2025 reform a province may still report late lines by former district;
    the warning lists every such row so the user can see them all without a wall of lines.
    """
    uf = units.frame.loc[units.ok("unit_code", "valid_to")]
    valid_to = dict(zip(uf["unit_code"], uf["valid_to"], strict=True))
    f = alloc.frame
    late: dict[str, list[int]] = {}
    for i in _rows(alloc.ok("unit_code", "decision_date")):
        code, decided = f.at[i, "unit_code"], f.at[i, "decision_date"]
        until = valid_to.get(code)
        if until is not None and not pd.isna(until) and decided > until:
            late.setdefault(code, []).append(i)
    for code, idx in late.items():
        rows = ", ".join(str(alloc.rows[i]) for i in idx)
        last = max(f.at[i, "decision_date"] for i in idx)
        alloc.sink.append(
            alloc.loc.problem(
                message(
                    "intake.check.unit_ceased",
                    unit=code,
                    until=Day(valid_to[code]),
                    n=len(idx),
                    latest=Day(last),
                    rows=rows,
                ),
                column="unit_code",
                value=code,
                expected=message("intake.expected.unit_exists"),
                severity=WARNING,
            )
        )


def check_report_dates(disb: ParsedTable) -> None:
    """No report before its plan year began, and none after the day the data are checked."""
    f = disb.frame
    now = today()
    for i in _rows(disb.ok("plan_year", "report_date")):
        start = pd.Timestamp(int(f.at[i, "plan_year"]), 1, 1)
        if f.at[i, "report_date"] > now:
            disb.report(
                i,
                message("intake.check.report_future"),
                column="report_date",
                value=_fmt_date(f.at[i, "report_date"]),
                expected=message("intake.expected.date_until_today", today=Day(now)),
            )
        elif f.at[i, "report_date"] < start:
            disb.report(
                i,
                message("intake.check.report_early", year=start.year),
                column="report_date",
                value=_fmt_date(f.at[i, "report_date"]),
                expected=message("intake.expected.date_from", date=Day(start)),
            )


def check_monotone(disb: ParsedTable) -> None:
    """The cumulative disbursement of a line never decreases from one report to the next."""
    ok, ids = _line_rows(disb, "report_date", "disbursed_cum_mvnd")
    snaps = pd.DataFrame(
        {"line": ids, "date": disb.frame["report_date"], "value": disb.frame["disbursed_cum_mvnd"]}
    )[ok]
    snaps = snaps.sort_values(["line", "date"], kind="stable")
    prev = snaps.groupby("line", sort=False).shift(1)
    down = snaps.index[(snaps["value"] < prev["value"]).to_numpy()]
    for i in down:
        p = snaps.index[snaps.index.get_loc(i) - 1]
        disb.report(
            int(i),
            message(
                "intake.check.decreasing",
                before=_amount(snaps.at[p, "value"]),
                before_date=Day(snaps.at[p, "date"]),
                before_row=disb.rows[p],
                after=_amount(snaps.at[i, "value"]),
                after_date=Day(snaps.at[i, "date"]),
                after_row=disb.rows[i],
            ),
            column="disbursed_cum_mvnd",
            expected=message("intake.expected.never_decrease"),
        )


def check_lines_exist(alloc: ParsedTable, disb: ParsedTable) -> None:
    """Every disbursement line is a plan line of the allocations."""
    a_ok, a_ids = _line_rows(alloc)
    known = set(a_ids[a_ok])
    d_ok, d_ids = _line_rows(disb)
    for i in _rows(d_ok):
        if d_ids[i] not in known:
            sheet = alloc.loc.sheet
            disb.report(
                i,
                message("intake.check.no_line", line=_describe_line(disb.frame.loc[i])),
                expected=message(
                    "intake.expected.line_listed",
                    file=Path(alloc.loc.file).name,
                    sheet=message("intake.expected.in_sheet", sheet=sheet) if sheet else "",
                ),
            )


def check_over_disbursed(alloc: ParsedTable, disb: ParsedTable) -> None:
    """Warn, once per line (at its latest such report), about disbursed above allocated."""
    a_ok, a_ids = _line_rows(alloc, "amount_mvnd")
    allocated = dict(zip(a_ids[a_ok], alloc.frame.loc[a_ok, "amount_mvnd"], strict=True))
    d_ok, d_ids = _line_rows(disb, "report_date", "disbursed_cum_mvnd")
    f = disb.frame
    latest: dict[str, int] = {}
    for i in _rows(d_ok):
        amount = allocated.get(d_ids[i])
        if amount is None or f.at[i, "disbursed_cum_mvnd"] <= amount + 1e-9:
            continue
        j = latest.get(d_ids[i])
        if j is None or f.at[i, "report_date"] >= f.at[j, "report_date"]:
            latest[d_ids[i]] = i
    for line, i in latest.items():
        disb.report(
            i,
            message(
                "intake.check.over_disbursed",
                line=_describe_line(f.loc[i]),
                disbursed=_amount(f.at[i, "disbursed_cum_mvnd"]),
                date=Day(f.at[i, "report_date"]),
                allocated=_amount(allocated[line]),
            ),
            column="disbursed_cum_mvnd",
            expected=message("intake.expected.within_allocation"),
            severity=WARNING,
        )


def check_reports_after_decision(alloc: ParsedTable, disb: ParsedTable) -> None:
    """No money is reported disbursed on a line before the line was decided."""
    a_ok, a_ids = _line_rows(alloc, "decision_date")
    decided = dict(zip(a_ids[a_ok], alloc.frame.loc[a_ok, "decision_date"], strict=True))
    d_ok, d_ids = _line_rows(disb, "report_date", "disbursed_cum_mvnd")
    f = disb.frame
    for i in _rows(d_ok):
        day = decided.get(d_ids[i])
        if day is None or f.at[i, "disbursed_cum_mvnd"] <= 0 or f.at[i, "report_date"] >= day:
            continue
        disb.report(
            i,
            message(
                "intake.check.report_before_decision",
                date=Day(day),
                amount=_amount(f.at[i, "disbursed_cum_mvnd"]),
            ),
            column="report_date",
            value=_fmt_date(f.at[i, "report_date"]),
            expected=message("intake.expected.report_from", date=Day(day)),
        )


def check_target_years(targets: ParsedTable) -> None:
    """A reported value belongs to a year that has begun."""
    f = targets.frame
    now = today()
    for i in _rows(targets.ok("year")):
        if int(f.at[i, "year"]) > now.year:
            targets.report(
                i,
                message("intake.check.year_future"),
                column="year",
                value=int(f.at[i, "year"]),
                expected=message("intake.expected.year_up_to", year=now.year),
            )


UNIT_SCALE_FACTOR = 1e4
"""A unit whose median line is this many times the other units' median typed its amounts in
VND (10^6 times million VND) or thousand VND, not million VND."""
LINE_SCALE_FACTOR = 1e3
"""A line this many times the median line of the province has extra zeros or another unit."""
MIN_LINES_FOR_SCALE = 10
"""Fewest lines with an amount before amounts are compared with their peers."""


def check_amount_scale(alloc: ParsedTable) -> None:
    """Amounts a thousand or a million times their peers: a unit in VND, a line with zeros."""
    f = alloc.frame
    ok = alloc.ok("unit_code", "amount_mvnd")
    amounts = f.loc[ok, ["unit_code", "amount_mvnd"]]
    amounts = amounts[amounts["amount_mvnd"] > 0]
    if len(amounts) < MIN_LINES_FOR_SCALE:
        return
    flagged: set[int] = set()
    by_unit = amounts.groupby("unit_code")["amount_mvnd"].median()
    for unit, median in by_unit.items():
        others = amounts.loc[amounts["unit_code"] != unit, "amount_mvnd"]
        if len(others) < MIN_LINES_FOR_SCALE // 2:
            continue
        peer = float(others.median())
        if median < UNIT_SCALE_FACTOR * peer:
            continue
        for i in _rows((f["unit_code"] == unit).to_numpy(dtype=bool) & ok):
            flagged.add(i)
            alloc.report(
                i,
                message(
                    "intake.check.unit_in_vnd",
                    unit=unit,
                    median=_amount(median),
                    peer=_amount(peer),
                ),
                column="amount_mvnd",
                value=_fmt_amount(f.at[i, "amount_mvnd"]),
                expected=message("intake.expected.in_mvnd_divide", factor=Number(1_000_000)),
            )
    rest = amounts.drop(index=list(flagged), errors="ignore")["amount_mvnd"]
    median = float(rest.median())
    for i in _rows(ok):
        x = f.at[i, "amount_mvnd"]
        if i not in flagged and x >= LINE_SCALE_FACTOR * median:
            alloc.report(
                i,
                message(
                    "intake.check.line_scale",
                    ratio=Number(x / median),
                    median=_amount(median),
                    limit=Number(LINE_SCALE_FACTOR),
                ),
                column="amount_mvnd",
                value=_fmt_amount(x),
                expected=message("intake.expected.line_in_mvnd"),
            )
