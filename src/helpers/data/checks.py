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
from dataclasses import dataclass, field
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
    typed: dict[str, list[object]] = field(default_factory=dict)
    """Cells as typed, by column, for the columns resolution rewrote (unit names to codes)."""

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


DATE_OF_ROW: Mapping[str, str] = {"allocations": "decision_date", "disbursements": "report_date"}
"""The date that tells apart units of the same name or code on a row of each table."""

LIST_AT_MOST = 4
"""Units named in a message before the rest are counted ("A, B, C, D and 5 more")."""


def _validity(resolver: UnitResolver, code: str) -> Message:
    """When a unit existed, in words: "from …", "until …", "from … to …" or open."""
    start, end = resolver.validity(code)
    if start is not None and end is not None:
        return message("intake.word.valid_between", start=Day(start), end=Day(end))
    if end is not None:
        return message("intake.word.valid_until", end=Day(end))
    if start is not None:
        return message("intake.word.valid_from", start=Day(start))
    return message("intake.word.valid_open")


def describe_unit(resolver: UnitResolver, code: str) -> Message:
    """A candidate unit in a message: name, code, the unit it lies in, and its validity."""
    parent = resolver.parent(code)
    return message(
        "intake.expected.unit_candidate",
        name=resolver.name(code),
        code=code,
        parent=resolver.name(parent) if parent else "-",
        validity=_validity(resolver, code),
    )


def name_units(resolver: UnitResolver, codes: Sequence[str]) -> object:
    """``"Name (code)"`` of each unit, the first :data:`LIST_AT_MOST` then how many more."""
    shown = [resolver.display(c) for c in codes[:LIST_AT_MOST]]
    rest = len(codes) - len(shown)
    return message("intake.word.and_more", items=shown, n=Number(rest)) if rest else shown


def _alloc_keys(alloc: ParsedTable | None) -> set[tuple]:
    """The plan-line keys of the allocations whose key cells resolved."""
    if alloc is None:
        return set()
    ok = alloc.ok(*schema.LINE_KEY)
    frame = alloc.frame.loc[ok, list(schema.LINE_KEY)]
    return {
        tuple(None if is_empty(v) else v for v in row)
        for row in frame.itertuples(index=False, name=None)
    }


_UNIT_AT = schema.LINE_KEY.index("unit_code")


def _line_keys(table: ParsedTable) -> list[tuple | None]:
    """Each row's plan-line key as a tuple (``None`` where another key cell failed)."""
    others = [c for c in schema.LINE_KEY if c != "unit_code"]
    ok = table.ok(*others)
    rows = table.frame[list(schema.LINE_KEY)].itertuples(index=False, name=None)
    return [
        tuple(None if is_empty(v) else v for v in row) if ok[i] else None
        for i, row in enumerate(rows)
    ]


def _keyed(key: tuple | None, codes: set[str], keys: set[tuple]) -> set[str]:
    """Those of ``codes`` that make the line ``key`` a plan line of ``keys``."""
    if key is None or len(codes) < 2:
        return set()
    return {c for c in codes if key[:_UNIT_AT] + (c,) + key[_UNIT_AT + 1 :] in keys}


def resolve_units(
    table: ParsedTable,
    resolver: UnitResolver | None,
    units: ParsedTable | None,
    alloc: ParsedTable | None = None,
) -> None:
    """Rewrite unit names and codes of ``table`` to unit codes; unknown or ambiguous ones fail.

    The row's date (:data:`DATE_OF_ROW`: the decision date of a plan line, the report date of
    a disbursement) tells apart units of the same name or GSO code: the one that exists on that
    day wins (:meth:`UnitResolver.lookup`). A disbursement row first takes, among the units its
    value may mean, the one whose plan line the allocations hold (``alloc``): a line decided
    for Phường Hợp Giang (01273) in 2024 and reported on in September 2025 stays that line.
    A name matched only once diacritics are removed ("Phong Nặm" for "Phong Nậm") is taken
    with a warning, once per value, naming the unit and the rows.
    """
    if resolver is None or units is None:
        table.invalidate("unit_code")
        return
    col = "unit_code"
    date_col = DATE_OF_ROW.get(table.name)
    dates = table.frame[date_col].tolist() if date_col else [None] * len(table.frame)
    date_ok = table.ok(date_col) if date_col else np.zeros(len(table.frame), dtype=bool)
    keys = _alloc_keys(alloc) if table.name == "disbursements" else set()
    line_keys = _line_keys(table) if keys else []
    out = table.frame[col].tolist()
    table.typed[col] = list(out)
    variants: dict[tuple[str, str], list[int]] = {}
    for i, value in enumerate(out):
        if col in table.bad[i] or is_empty(value):
            continue
        keyed = _keyed(line_keys[i], resolver.every_candidate(value), keys) if keys else set()
        if len(keyed) == 1:
            out[i] = next(iter(keyed))
            continue
        on = dates[i] if date_ok[i] and not is_empty(dates[i]) else None
        match = resolver.lookup(value, on)
        if match.code is not None:
            out[i] = match.code
            if match.variant:
                variants.setdefault((str(value), match.code), []).append(i)
        elif match.codes:
            table.report(
                i,
                message("intake.check.unit_ambiguous")
                if on is None
                else message("intake.check.unit_ambiguous_on", date=Day(on)),
                column=col,
                value=value,
                expected=message(
                    "intake.expected.unit_of",
                    units=[describe_unit(resolver, c) for c in match.codes],
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
    for (value, code), idx in variants.items():
        table.report(
            idx[0],
            message(
                "intake.check.unit_variant",
                unit=resolver.display(code),
                rows=", ".join(str(table.rows[i]) for i in idx),
            ),
            column=col,
            value=value,
            expected=message("intake.expected.unit_spelling", name=resolver.name(code)),
            severity=WARNING,
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


def _successors(resolver: UnitResolver, successions: pd.DataFrame, code: str) -> list[str]:
    """The units that took over ``code`` or, for a district, the units below it."""
    former = successions["former_code"].astype(str)
    own = successions.loc[former == code, "new_code"].astype(str)
    if len(own):
        return sorted(set(own))
    below = former.map(resolver.parent) == code
    return sorted(set(successions.loc[below, "new_code"].astype(str)))


def _after_end(
    resolver: UnitResolver, successions: pd.DataFrame, code: str, end: pd.Timestamp
) -> object:
    """What replaced a unit that ceased: its successor, or the units that took its area."""
    after = _successors(resolver, successions, code)
    if not after:
        return ""
    if code in set(successions["former_code"].astype(str)):
        return message(
            "intake.check.succeeded_by",
            unit=resolver.display(after[0]),
            start=Day(end + pd.Timedelta(days=1)),
        )
    abolished = resolver.level(code) == "district"
    return message(
        "intake.check.district_abolished" if abolished else "intake.check.taken_over_by",
        units=name_units(resolver, after),
    )


def _before_start(resolver: UnitResolver, successions: pd.DataFrame, code: str) -> object:
    """What a unit took over, for a line decided before it existed."""
    took = successions.loc[successions["new_code"].astype(str) == code, "former_code"]
    before = sorted(set(took.astype(str)))
    return message("intake.check.took_over", units=name_units(resolver, before)) if before else ""


def check_unit_validity(
    alloc: ParsedTable, resolver: UnitResolver, successions: pd.DataFrame | None = None
) -> None:
    """A plan line is booked to a unit that exists on its decision date (an error otherwise).

    The problem names the unit, when it existed, and what replaced it: a former commune's new
    unit, a district's new units (the district level was abolished on 1 July 2025 and its
    communes merged into new commune-level units), or, for a line decided before a unit
    existed, the units it took over. The cell keeps its value (the line is still matched with
    its disbursement reports), so one wrong unit gives one problem per line.
    """
    succ = successions if successions is not None else schema.empty_frame("successions")
    f = alloc.frame
    typed = alloc.typed.get("unit_code", f["unit_code"].tolist())
    for i in _rows(alloc.ok("unit_code", "decision_date")):
        code, decided = str(f.at[i, "unit_code"]), f.at[i, "decision_date"]
        start, end = resolver.validity(code)
        if end is not None and decided > end:
            msgid, then = "intake.check.unit_ceased", _after_end(resolver, succ, code, end)
        elif start is not None and decided < start:
            msgid, then = "intake.check.unit_not_yet", _before_start(resolver, succ, code)
        else:
            continue
        what = message(
            msgid,
            date=Day(decided),
            unit=resolver.display(code),
            validity=_validity(resolver, code),
            then=then,
        )
        alloc.sink.append(
            alloc.loc.problem(
                what,
                row=alloc.rows[i],
                column="unit_code",
                value=typed[i],
                expected=message("intake.expected.unit_exists_on", date=Day(decided)),
            )
        )


def resolve_succession_codes(succ: ParsedTable, known: set[str]) -> None:
    """A drop-down value ``"CODE - Name"`` in ``former_code`` or ``new_code`` stands for its
    code (the template's unit drop-down writes such values)."""
    for col in ("former_code", "new_code"):
        values = succ.frame[col].tolist()
        for i, value in enumerate(values):
            if col in succ.bad[i] or is_empty(value) or str(value) in known:
                continue
            parts = split_dropdown(str(value))
            if parts is not None and parts[0] in known:
                values[i] = parts[0]
        succ.frame[col] = pd.Series(values, dtype="string")


def check_successions(succ: ParsedTable, units: ParsedTable, resolver: UnitResolver) -> None:
    """The successions agree with the units (``design/data-model.md``, 1 July 2025 reform).

    Each row names two units of ``units``, not the same one; the new unit begins on the
    effective date (its ``valid_from``) and the former unit ends the day before (its
    ``valid_to``). When the units hold commune-level units with an end date, every one that
    existed on the eve of :data:`helpers.data.schema.REFORM_DATE` and ended then has a row
    (one only: ``former_code`` is the table's key, checked with the other keys).
    """
    known = set(resolver.codes)
    file = Path(units.loc.file).name
    f = succ.frame
    for i in range(len(f)):
        codes = {}
        for col in ("former_code", "new_code"):
            code = f.at[i, col]
            if col in succ.bad[i] or is_empty(code):
                continue
            if str(code) not in known:
                succ.report(
                    i,
                    message("intake.check.succession_unknown_unit"),
                    column=col,
                    value=code,
                    expected=message("intake.expected.unit_code_in", file=file),
                )
            else:
                codes[col] = str(code)
        former, new = codes.get("former_code"), codes.get("new_code")
        if former is not None and former == new:
            succ.report(
                i,
                message("intake.check.succession_self"),
                column="new_code",
                value=new,
                expected=message("intake.expected.other_unit", unit=former),
            )
            continue
        if "effective_date" in succ.bad[i] or is_empty(f.at[i, "effective_date"]):
            continue
        effective = pd.Timestamp(f.at[i, "effective_date"])
        eve = effective - pd.Timedelta(days=1)
        if new is not None and resolver.validity(new)[0] != effective:
            start = resolver.validity(new)[0]
            succ.report(
                i,
                message(
                    "intake.check.succession_start", unit=resolver.display(new), start=Day(start)
                )
                if start is not None
                else message("intake.check.succession_no_start", unit=resolver.display(new)),
                column="effective_date",
                value=_fmt_date(effective),
                expected=message("intake.expected.succession_start", unit=new, date=Day(effective)),
            )
        if former is not None and resolver.validity(former)[1] != eve:
            end = resolver.validity(former)[1]
            succ.report(
                i,
                message("intake.check.succession_end", unit=resolver.display(former), end=Day(end))
                if end is not None
                else message("intake.check.succession_no_end", unit=resolver.display(former)),
                column="effective_date",
                value=_fmt_date(effective),
                expected=message("intake.expected.succession_end", unit=former, date=Day(eve)),
            )
    _check_every_commune_succeeded(succ, units)


def _check_every_commune_succeeded(succ: ParsedTable, units: ParsedTable) -> None:
    uf = units.frame
    ok = units.ok("unit_code", "level", "valid_from", "valid_to")
    commune = ok & (uf["level"] == "commune").to_numpy(dtype=bool)
    if not (commune & uf["valid_to"].notna().to_numpy(dtype=bool)).any():
        return
    eve = schema.REFORM_DATE - pd.Timedelta(days=1)
    formers = set(succ.frame["former_code"].dropna().astype(str))
    for i in _rows(commune):
        start, end = uf.at[i, "valid_from"], uf.at[i, "valid_to"]
        if pd.isna(end) or end != eve or (not pd.isna(start) and start > eve):
            continue
        code = str(uf.at[i, "unit_code"])
        if code not in formers:
            units.report(
                i,
                message("intake.check.no_successor", unit=code, end=Day(end)),
                column="valid_to",
                value=_fmt_date(end),
                expected=message(
                    "intake.expected.succession_row", unit=code, file=Path(succ.loc.file).name
                ),
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
