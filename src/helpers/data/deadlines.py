"""Deadline and time arithmetic of annual capital plans, defined once.

Law on Public Investment 2019, Art. 68 (2024 law, Art. 72): an annual plan is disbursed until
**31 January of the next year**; an extended line (kéo dài) runs to its ``extended_until`` date.
Months are measured as days / (365.25 / 12), so "months available" is continuous and the same
in the demo generator, the metrics and the lag models.

The legal deadline of a line by its capital type (:data:`DEADLINE_RULES`, data a user may
replace) and the National Assembly's blanket extensions (:func:`legal_deadlines`) are here too:
investment capital is extended (kéo dài), recurrent capital carried over (chuyển nguồn).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from helpers.core.formatting import day_month, month_abbr, percent

DAYS_PER_MONTH: float = 365.25 / 12

MAX_EXTENSION_YEARS = 3
"""Latest extension of a vintage, in years after its plan year (to 31 December): the law
allows one more year; the National Assembly carried 2022–2023 capital of the national target
programs into 2024–2025. A later ``extended_until`` is a typing error."""


def latest_extension(plan_year: int) -> pd.Timestamp:
    """31 December of ``plan_year + MAX_EXTENSION_YEARS``: no line may be extended beyond."""
    return pd.Timestamp(year=int(plan_year) + MAX_EXTENSION_YEARS, month=12, day=31)


def regular_deadline(plan_year: int | pd.Series) -> pd.Timestamp | pd.Series:
    """31 January of ``plan_year + 1``: the regular end of disbursement of a vintage."""
    if isinstance(plan_year, pd.Series):
        return pd.to_datetime((plan_year.astype("int64") + 1).astype(str) + "-01-31")
    return pd.Timestamp(year=int(plan_year) + 1, month=1, day=31)


def year_end(plan_year: int | pd.Series) -> pd.Timestamp | pd.Series:
    """31 December of ``plan_year``."""
    if isinstance(plan_year, pd.Series):
        return pd.to_datetime(plan_year.astype("int64").astype(str) + "-12-31")
    return pd.Timestamp(year=int(plan_year), month=12, day=31)


def line_deadline(plan_year: pd.Series, extended_until: pd.Series) -> pd.Series:
    """The last day a line may disburse: its extension date, else the regular deadline."""
    regular = regular_deadline(plan_year)
    return extended_until.where(extended_until.notna(), regular)


def months_between(start: pd.Series | pd.Timestamp, end: pd.Series | pd.Timestamp):
    """Months from ``start`` to ``end`` (negative when ``end`` is earlier), as days / 30.4375."""
    delta = end - start
    if isinstance(delta, pd.Series):
        return delta.dt.days / DAYS_PER_MONTH
    return delta.days / DAYS_PER_MONTH


def months_available(decision_date: pd.Series, plan_year: pd.Series) -> pd.Series:
    """Months from the decision date to the regular deadline (31 Jan of plan_year + 1).

    A decision taken before 1 January of the plan year cannot be spent before then, but the
    months are still counted from the decision: the decision date is the timing variable.
    """
    return months_between(decision_date, regular_deadline(plan_year))


def label_values(lang: str) -> dict[str, str]:
    """Words of the calendar and shares that labels quote, in ``lang``, for their placeholders:
    ``{year_end}`` (31/12), ``{deadline}`` (31/01), ``{dec}``/``{jan}`` (month names),
    ``{p50}`` (50%), ``{p0}``/``{p100}``, ``{months}`` (12)."""
    return {
        "year_end": day_month(year_end(2000), lang),
        "deadline": day_month(regular_deadline(2000), lang),
        "dec": month_abbr(12, lang),
        "jan": month_abbr(1, lang),
        "p50": percent(0.5, lang, 0),
        "p0": percent(0.0, lang, 0),
        "p100": percent(1.0, lang, 0),
        "months": "12",
    }


# --------------------------------------------------------------------------- legal deadlines
@dataclass(frozen=True)
class DeadlineRule:
    """The deadlines of one capital type for the plan years ``first_year..last_year``.

    Dates are (years after the plan year, month, day). ``late_after`` (month, day): capital
    assigned after that day of the plan year runs to ``latest`` without an extension decision;
    None: no such rule. ``word``: ``extension`` (kéo dài) or ``carry_over`` (chuyển nguồn).
    """

    capital_type: str
    first_year: int
    last_year: int
    legal_basis: str
    regular: tuple[int, int, int]
    latest: tuple[int, int, int]
    late_after: tuple[int, int] | None
    word: str
    confirmed: bool


DEADLINE_RULES: tuple[DeadlineRule, ...] = (
    DeadlineRule(
        "investment", 2021, 2024, "LPI2019.art68", (1, 1, 31), (1, 12, 31), (9, 30),
        "extension", True,
    ),
    DeadlineRule(
        "investment", 2025, 2100, "LPI2024.art72", (1, 1, 31), (1, 12, 31), (9, 30),
        "extension", True,
    ),
    DeadlineRule(
        "recurrent", 2021, 2100, "SBL.carry_over", (1, 1, 31), (1, 12, 31), None,
        "carry_over", False,
    ),
)  # fmt: skip
"""The rules by capital type and plan year. Investment (Law on Public Investment 2019
Art. 68; from the 2025 plan the 2024 law Art. 72): until 31 January of the next year, extension
to 31 December of the next year, capital assigned after 30 September runs to 31 December of
the next year without a decision. Recurrent (State Budget Law, carry-over): until 31 January
of the next year, carry-over to 31 December of the next year; UNCONFIRMED, the legal text was
not checked here (``confirmed=False``): pass other rules to :func:`legal_deadlines`."""

BLANKET_EXTENSIONS_SHIPPED: tuple[dict[str, object], ...] = ()
"""Blanket extensions shipped with the package: none. Resolutions 104/2023, 108/2023 and
111/2024/QH15 carried unspent 2022–2023 capital of the national target programs into later
years, but no text reached here states the new deadline; a user supplies rows in the
optional ``blanket_extensions`` input table."""

LEGAL_COLUMNS: tuple[str, ...] = ("legal_deadline", "legal_basis", "latest_deadline", "carry_word")
"""The columns :func:`legal_deadlines` returns."""


def _shift(plan_year: pd.Series, when: tuple[int, int, int]) -> pd.Series:
    years, month, day = when
    return pd.to_datetime(
        (plan_year.astype("int64") + years).astype(str) + f"-{month:02d}-{day:02d}"
    )


def _blanket_deadline(lines: pd.DataFrame, blanket: pd.DataFrame | None) -> pd.DataFrame:
    """Latest blanket ``new_deadline`` applying to each line, and its ``legal_basis``."""
    out = pd.DataFrame(
        {"date": pd.Series(pd.NaT, index=lines.index, dtype="datetime64[ns]"), "basis": None},
        index=lines.index,
    )
    if blanket is None or blanket.empty:
        return out
    years = lines["plan_year"].astype("int64")
    for row in blanket.sort_values("new_deadline").itertuples(index=False):
        listed = {int(y) for y in str(row.plan_years).replace(",", ";").split(";") if y.strip()}
        hit = years.isin(listed)
        if isinstance(row.capital_type, str) and row.capital_type:
            hit &= lines["capital_type"] == row.capital_type
        later = hit & ~(out["date"] >= pd.Timestamp(row.new_deadline))
        out.loc[later, "date"] = pd.Timestamp(row.new_deadline)
        out.loc[later, "basis"] = str(row.legal_basis)
    return out


def legal_deadlines(
    lines: pd.DataFrame,
    blanket: pd.DataFrame | None = None,
    rules: tuple[DeadlineRule, ...] = DEADLINE_RULES,
) -> pd.DataFrame:
    """Each line's legal deadline from its capital type, plan year and dates.

    ``legal_deadline`` is the latest of: the regular deadline; ``latest`` when the rule's
    ``late_after`` applies (decision after 30 September of the plan year); ``extended_until``
    (a recorded extension or carry-over decision); a blanket extension naming the line's plan
    year (and capital type, or both types). ``legal_basis`` names the step that set it: the
    rule's id with ``.regular``, ``.late_added`` or ``.extended`` (investment) /
    ``.carried_over`` (recurrent), or the blanket row's ``legal_basis``. ``latest_deadline``
    is the last day any extension could reach (``latest`` or later legal deadline): money not
    spent by then has lapsed. ``carry_word``: ``extension`` or ``carry_over``.

    Args:
        lines: ``plan_year``, ``capital_type``, ``decision_date``, ``extended_until``.
        blanket: rows of the ``blanket_extensions`` table (``plan_years`` like "2022;2023").
        rules: the rules by capital type and plan year.
    """
    idx = lines.index
    nat = pd.Series(pd.NaT, index=idx, dtype="datetime64[ns]")
    regular, latest = nat.copy(), nat.copy()
    late = pd.Series(False, index=idx)
    basis = pd.Series("", index=idx, dtype=object)
    word = pd.Series("", index=idx, dtype=object)
    py = lines["plan_year"].astype("int64")
    for r in rules:
        hit = (lines["capital_type"] == r.capital_type) & py.between(r.first_year, r.last_year)
        if not hit.any():
            continue
        regular[hit] = _shift(py[hit], r.regular)
        latest[hit] = _shift(py[hit], r.latest)
        basis[hit] = r.legal_basis
        word[hit] = r.word
        if r.late_after is not None:
            month, day = r.late_after
            cut = _shift(py, (0, month, day))
            late = late | (hit & (pd.to_datetime(lines["decision_date"]) > cut))
    fallback = regular.isna()
    regular[fallback] = regular_deadline(py[fallback]) if fallback.any() else regular[fallback]
    latest[fallback] = year_end(py[fallback] + 1) if fallback.any() else latest[fallback]
    deadline = regular.copy()
    step = basis + ".regular"
    deadline[late] = latest[late]
    step[late] = basis[late] + ".late_added"
    ext = pd.to_datetime(lines["extended_until"])
    longer = ext.notna() & (ext > deadline)
    deadline[longer] = ext[longer]
    kind = word.map({"extension": ".extended", "carry_over": ".carried_over"}).fillna(".extended")
    step[longer] = basis[longer] + kind[longer]
    bl = _blanket_deadline(lines, blanket)
    wider = bl["date"].notna() & (bl["date"] > deadline)
    deadline[wider] = bl.loc[wider, "date"]
    step[wider] = bl.loc[wider, "basis"]
    return pd.DataFrame(
        {
            "legal_deadline": deadline,
            "legal_basis": step.astype("string"),
            "latest_deadline": deadline.where(deadline > latest, latest),
            "carry_word": word.replace("", "extension").astype("string"),
        },
        index=idx,
    )
