"""The code rules within and across parsed tables (``design/data-model.md``), one function each.

Each rule takes :class:`~helpers.data.parsed.ParsedTable` objects (typed working frames whose
cells already parsed) and reports what it finds on them; a rule only looks at the cells that
parsed (:meth:`ParsedTable.ok`), so one bad cell is reported once, not again by every rule that
reads it. Code resolution (unit names and codes, project and sub-project codes) rewrites the
cells to their canonical codes, resolving each distinct value (or value and date) once and
rewriting the categorical codes of the column, not its cells one by one; the cross-table rules
run after it. The row and plan-line rules live in
:mod:`helpers.data.line_checks` (re-exported here).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.core.errors import Day, Message, Number, message
from helpers.data import contract, schema
from helpers.data.cells import is_empty
from helpers.data.line_checks import (
    LINE_SCALE_FACTOR,
    MIN_LINES_FOR_SCALE,
    UNIT_SCALE_FACTOR,
    check_allocation_dates,
    check_amount_scale,
    check_duplicates,
    check_lines_exist,
    check_monotone,
    check_over_disbursed,
    check_report_dates,
    check_reports_after_decision,
    check_target_years,
)
from helpers.data.parsed import (
    ParsedTable,
    assign_line_codes,
    coded_text_series,
    flagged,
    fmt_date,
    key_codes,
    today,
)
from helpers.data.readers import WARNING
from helpers.data.units import UnitMatch, UnitResolver, split_dropdown

__all__ = [
    "LINE_SCALE_FACTOR",
    "MIN_LINES_FOR_SCALE",
    "UNIT_SCALE_FACTOR",
    "Catalogue",
    "ParsedTable",
    "assign_line_codes",
    "check_allocation_dates",
    "check_amount_scale",
    "check_duplicates",
    "check_lines_exist",
    "check_monotone",
    "check_over_disbursed",
    "check_parents",
    "check_report_dates",
    "check_reports_after_decision",
    "check_source_ids",
    "check_successions",
    "check_target_years",
    "check_unit_validity",
    "resolve_projects",
    "resolve_succession_codes",
    "resolve_units",
    "today",
]


def _or(items: Sequence[object]) -> object:
    """``a or b or c`` in the message's language."""
    return functools.reduce(lambda a, b: message("intake.word.or", a=a, b=b), items)


def _present(s: pd.Series) -> np.ndarray:
    """Cells that are not empty (a parsed text cell is never blank: empty means NA)."""
    return s.notna().to_numpy(dtype=bool)


# --------------------------------------------------------------------------- code checks
def check_parents(units: ParsedTable) -> None:
    """Every ``parent_code`` is a unit of the same table."""
    f = units.frame
    codes = set(f.loc[units.ok("unit_code"), "unit_code"].dropna())
    parents = f["parent_code"]
    unknown = _present(parents) & units.ok("parent_code") & ~parents.isin(codes).to_numpy(bool)
    values = units.values("parent_code")
    for i in flagged(unknown):
        units.report(
            i,
            message("intake.check.unknown_parent"),
            column="parent_code",
            value=values[i],
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


def _keyed_units(
    table: ParsedTable,
    rows: np.ndarray,
    vcode: np.ndarray,
    candidates: list[set[str]],
    alloc: ParsedTable | None,
) -> tuple[np.ndarray, list[str]]:
    """The ``rows`` (whose other line-key cells parsed) for which exactly one unit among
    their value's candidates (``candidates[vcode[row]]``) has the plan line of the row's line
    key with that unit in the allocations, in row order, and that unit of each. Rows with the
    same value and other key cells share the answer: it is found once for each such group."""
    none: tuple[np.ndarray, list[str]] = (np.zeros(0, dtype=np.int64), [])
    if alloc is None or not len(rows):
        return none
    key = list(schema.LINE_KEY)
    others = [c for c in key if c != "unit_code"]
    lines = alloc.frame.loc[alloc.ok(*key), key].drop_duplicates().astype(object)
    if lines.empty:
        return none
    rows = rows[table.ok(*others)[rows]]
    cells = table.frame[others].iloc[rows].assign(_value=vcode[rows])
    (group,) = key_codes([cells], [*others, "_value"])  # numbered in order of first row
    first = np.flatnonzero(~pd.Series(group).duplicated().to_numpy())
    pairs = (
        cells.iloc[first][others]
        .assign(_group=group[first], unit_code=[candidates[v] for v in vcode[rows[first]]])
        .explode("unit_code")
    )
    pairs[key] = pairs[key].astype(object)
    hits = pairs.merge(lines, on=key, how="inner")
    counts = hits.groupby("_group")["unit_code"].agg(["size", "first"])
    one = counts[counts["size"] == 1]
    unit = np.full(len(first), None, dtype=object)
    unit[one.index.to_numpy(dtype=np.int64)] = one["first"].to_numpy(dtype=object)
    keyed = np.array([u is not None for u in unit], dtype=bool)[group]
    return rows[keyed], unit[group[keyed]].tolist()


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

    Each distinct value is looked up once (with each distinct date when the value may mean
    several units); the problems come in row order.
    """
    if resolver is None or units is None:
        table.invalidate("unit_code")
        return
    col = "unit_code"
    f = table.frame
    date_col = DATE_OF_ROW.get(table.name)
    usable = table.ok(col) & _present(f[col])
    table.typed[col] = f[col].copy()
    vcode, uniques = _value_codes(f[col])
    candidates = [resolver.every_candidate(v) for v in uniques]
    several = np.array([len(c) >= 2 for c in candidates] + [False], dtype=bool)[vcode]
    keyed_rows = np.zeros(len(f), dtype=bool)
    # each row's unit: its own text (codes < len(uniques) + 1), a unit found by its plan line
    # or one looked up (codes after those)
    now = vcode.copy()
    texts: list[object] = [*uniques, None]
    if table.name == "disbursements" and (usable & several).any():
        rows = np.flatnonzero(usable & several)
        at, codes = _keyed_units(table, rows, vcode, candidates, alloc)
        unit_codes, spelled = pd.factorize(np.array(codes, dtype=object))
        now[at] = len(texts) + unit_codes
        keyed_rows[at] = True
        texts.extend(np.asarray(spelled, dtype=object).tolist())
    todo = np.flatnonzero(usable & ~keyed_rows)
    # the day of each row (None without a usable date); it matters only for values that may
    # mean several units or none
    dated = np.array([len(c) != 1 for c in candidates] + [False], dtype=bool)[vcode]
    dcode = np.full(len(f), -1, dtype=np.int32)
    days = pd.Index([])
    if date_col:
        at = todo[dated[todo]]
        dates = f[date_col].iloc[at].where(table.ok(date_col)[at], pd.NaT)
        dcode[at], days = pd.factorize(dates)
    # one lookup per (value, day) a row holds
    width = len(days) + 1
    pair, n, held = _pair_codes(vcode[todo], dcode[todo] + 1, width, len(uniques) + 1)
    found = np.empty(n, dtype=object)
    variant = np.zeros(n, dtype=bool)
    looked: dict[int, tuple[UnitMatch, object]] = {}
    for p, both in held:
        v, d = divmod(both, width)
        on = days[d - 1] if d > 0 else None
        match = resolver.lookup(uniques[v], on)
        looked[p] = (match, on)
        found[p] = match.code
        variant[p] = match.code is not None and match.variant
    resolved = np.array([c is not None for c in found], dtype=bool)
    hit = resolved[pair]
    now[todo[hit]] = len(texts) + pair[hit]
    texts.extend(found)
    failing = np.zeros(len(f), dtype=bool)
    failing[todo[~hit]] = True
    pair_of = np.full(len(f), -1, dtype=pair.dtype)
    pair_of[todo] = pair
    variants: dict[tuple[str, str], list[int]] = {}
    for i in todo[variant[pair]].tolist():
        variants.setdefault((str(uniques[vcode[i]]), found[pair_of[i]]), []).append(i)
    for i in flagged(failing):
        value = uniques[vcode[i]]
        match, on = looked[int(pair_of[i])]
        if match.codes:
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
                rows=", ".join(str(table.row(i)) for i in idx),
            ),
            column=col,
            value=value,
            expected=message("intake.expected.unit_spelling", name=resolver.name(code)),
            severity=WARNING,
        )
    table.frame[col] = coded_text_series(np.array(texts, dtype=object), now)


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
    """Rewrite project and sub-project codes to their catalogue spelling; check they match.

    Each distinct project, and each distinct (project, sub-project) pair, is looked up once.
    """
    if catalogue is None:
        table.invalidate("project_code")
        table.invalidate("subproject_code")
        return
    f = table.frame
    pcode, projects = _value_codes(f["project_code"])
    canon = np.array([catalogue.project(v) for v in projects] + [None], dtype=object)
    known = np.array([c is not None for c in canon], dtype=bool)  # the empty value is not
    bad = table.bad.get("project_code")
    usable = _present(f["project_code"]) if bad is None else ~bad & _present(f["project_code"])
    if not usable.all():
        table.mark("subproject_code", ~usable)
    if not known[:-1].all():
        unknown = usable & ~known[pcode]
        for i in flagged(unknown):
            table.report(
                i,
                message("intake.check.unknown_project"),
                column="project_code",
                value=projects[pcode[i]],
                expected=message(
                    "intake.expected.one_of", values=list(catalogue.projects.values())
                ),
            )
        table.mark("subproject_code", unknown)
    # each row's project: its own text (codes < len(projects) + 1) or its catalogue spelling
    raw = np.array([*projects, None, *canon], dtype=object)
    spell = (np.arange(len(canon)) + np.where(known, len(canon), 0)).astype(pcode.dtype)
    now = spell[pcode] if bad is None else np.where(bad, pcode, spell[pcode])
    f["project_code"] = coded_text_series(raw, now)
    scode, subs = _value_codes(f["subproject_code"])
    todo = table.ok("subproject_code") & _present(f["subproject_code"])
    # one lookup per (project, sub-project) a row holds
    width = len(subs) + 1
    pair, n, held = _pair_codes(now, scode, width, len(raw))
    hits: dict[int, tuple[str, tuple[str, str] | None]] = {}
    good = np.zeros(n, dtype=bool)
    spelled = np.empty(n, dtype=object)
    for p, both in held:
        if both % width == len(subs):  # no sub-project: nothing to look up
            continue
        project, hit = raw[both // width], catalogue.subproject(subs[both % width])
        hits[p] = (project, hit)
        if hit is not None and hit[0] == project:
            good[p], spelled[p] = True, hit[1]
    ok_rows = good[pair]
    for i in flagged(todo & ~ok_rows):
        project, hit = hits[int(pair[i])]
        where = message("intake.check.belongs_to", project=hit[0]) if hit is not None else ""
        table.report(
            i,
            message("intake.check.subproject_elsewhere", project=project, where=where),
            column="subproject_code",
            value=subs[scode[i]],
            expected=catalogue.expected_sub(project),
        )
    # each row's sub-project: its own text, or the catalogue's spelling of its pair
    sub_now = np.where(todo & ok_rows, len(subs) + 1 + pair, scode)
    f["subproject_code"] = coded_text_series(np.array([*subs, None, *spelled], object), sub_now)


def _pair_codes(
    first: np.ndarray, second: np.ndarray, width: int, n_first: int
) -> tuple[np.ndarray, int, list[tuple[int, int]]]:
    """Numbers for the pairs ``(first, second)`` rows hold (``0 <= first < n_first``,
    ``0 <= second < width``), coded ``first * width + second``: each row's pair number, how
    many numbers there are, and ``(number, code)`` of each pair a row holds. When there are
    few codes a pair's number is its code, else pairs are numbered in order of first row."""
    bound = n_first * width
    both: np.ndarray = first.astype(np.int32 if bound < 2**31 else np.int64)  # a copy
    np.multiply(both, width, out=both)
    np.add(both, second, out=both)
    if bound <= max(16 * len(both), 1 << 16) and bound <= 1 << 28:
        seen = np.zeros(bound, dtype=bool)
        seen[both] = True
        return both, bound, [(code, code) for code in np.flatnonzero(seen).tolist()]
    pair, uniques = pd.factorize(both)
    return pair, len(uniques), list(enumerate(np.asarray(uniques, dtype=np.int64).tolist()))


def _value_codes(s: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Each cell's index among the distinct texts of a text column (``len(values)`` for an
    empty cell) and those texts (a categorical column's categories, held or not)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        codes, uniques = s.cat.codes.to_numpy().astype(np.int32), s.cat.categories
    else:
        codes, uniques = pd.factorize(s)
        codes = codes.astype(np.int32)
    values = [str(v) for v in np.asarray(uniques, dtype=object).tolist()]
    return (np.where(codes < 0, len(values), codes) if (codes < 0).any() else codes), values


def check_source_ids(table: ParsedTable, sources: ParsedTable) -> None:
    """Warn about a ``source_id`` that ``sources`` does not list."""
    known = set(sources.frame["source_id"].dropna())
    s = table.frame["source_id"]
    values = table.values("source_id")
    for i in flagged(_present(s) & ~s.isin(known).to_numpy(dtype=bool)):
        table.report(
            i,
            message("intake.check.unknown_source"),
            column="source_id",
            value=values[i],
            expected=message("intake.expected.source_listed"),
            severity=WARNING,
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
    succ = successions if successions is not None else contract.empty_frame("successions")
    f = alloc.frame
    typed = alloc.typed.get("unit_code", f["unit_code"]).astype(object).to_numpy()
    ok = alloc.ok("unit_code", "decision_date")
    ucode, units = pd.factorize(f["unit_code"])
    bounds = [resolver.validity(str(u)) for u in units] + [(None, None)]
    start = pd.to_datetime(pd.Series([b[0] for b in bounds])).to_numpy("datetime64[ns]")[ucode]
    end = pd.to_datetime(pd.Series([b[1] for b in bounds])).to_numpy("datetime64[ns]")[ucode]
    decided_all = f["decision_date"].to_numpy("datetime64[ns]")
    with np.errstate(invalid="ignore"):
        off = (~np.isnat(end) & (decided_all > end)) | (~np.isnat(start) & (decided_all < start))
    for i in flagged(ok & off):
        code, decided = str(f.at[i, "unit_code"]), f.at[i, "decision_date"]
        start_i, end_i = resolver.validity(code)
        if end_i is not None and decided > end_i:
            msgid, then = "intake.check.unit_ceased", _after_end(resolver, succ, code, end_i)
        elif start_i is not None and decided < start_i:
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
                row=alloc.row(i),
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
            if succ.is_bad(col, i) or is_empty(value) or str(value) in known:
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
            if succ.is_bad(col, i) or is_empty(code):
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
        if succ.is_bad("effective_date", i) or is_empty(f.at[i, "effective_date"]):
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
                value=fmt_date(effective),
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
                value=fmt_date(effective),
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
    for i in flagged(commune):
        start, end = uf.at[i, "valid_from"], uf.at[i, "valid_to"]
        if pd.isna(end) or end != eve or (not pd.isna(start) and start > eve):
            continue
        code = str(uf.at[i, "unit_code"])
        if code not in formers:
            units.report(
                i,
                message("intake.check.no_successor", unit=code, end=Day(end)),
                column="valid_to",
                value=fmt_date(end),
                expected=message(
                    "intake.expected.succession_row", unit=code, file=Path(succ.loc.file).name
                ),
            )
