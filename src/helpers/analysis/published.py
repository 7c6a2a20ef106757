"""Published figures beside the dataset: the convention, the sources, and the match rule.

Every figure of the shipped ``published_figures`` table about the dataset's province is
computed from the dataset under the convention the publication uses (:func:`classify`, the
conventions of :mod:`helpers.analysis.committee`) over the lines of the period's plan years and
of the sources the publication covers (:func:`source_scope`), then compared with the published
value under one stated rule (:func:`matches`) that reads the page's wording ("more than",
"nearly", "about": the ``qualifier`` column, :mod:`helpers.data.published`).

The match rule. Let X be the published value, u the unit of its last digit (77.2 → 0.1;
67 → 1; 5,472 billion → 1 billion) and v the dataset's value in the published unit (percent for
rates, the page's billion or million VND for amounts):

* ``exact``: |v − X| ≤ u/2;
* ``at_least`` ("more than X"): X − u/2 ≤ v ≤ 1.01·X + u/2;
* ``at_most`` ("nearly X"): 0.99·X − u/2 ≤ v ≤ X + u/2;
* ``about``: |v − X| ≤ max(u/2, 0.01·|X|).

:func:`published_standing` places a province among the provinces that published a comparable
rate (real figures only: the dataset plays no part in it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd

from helpers.analysis import committee
from helpers.analysis.lines import last_report_date, line_table
from helpers.data import reference
from helpers.data.dataset import Dataset

SOURCE_SCOPES: tuple[str, ...] = ("central", "budget", "all", "unstated")
"""What a published figure covers: the central budget, the state budget (central + local),
all sources, or not stated (computed over all sources)."""

BUDGET_SOURCES: tuple[str, ...] = ("central", "local")
"""The state budget: investment and recurrent (đầu tư / sự nghiệp) classify its capital only;
policy credit and other mobilised capital have no capital type."""

STANDING_WINDOW_DAYS = 60
"""Published rates within this many days of the province's own are compared with it."""

REASONS: tuple[str, ...] = ("post_merger", "no_date", "period", "after_last_report")
"""Why a published figure cannot be compared with the dataset."""

COMPARABILITY: tuple[str, ...] = (
    "same_sources", "sources_differ", "sources_unstated", "post_merger",
)  # fmt: skip
"""How comparable another province's published rate is with the province's own."""

_RANGE = re.compile(r"(20\d\d)\s*[-–]\s*(20\d\d)")
_YEAR = re.compile(r"^\s*(20\d\d)\b")
_ALL_SOURCES = re.compile(r"\ball\s+sources\b")
_FACTOR = {"billion_vnd": 1000.0, "million_vnd": 1.0, "percent": 0.01}
"""Published unit → million VND (amounts) or fraction (rates)."""


# --------------------------------------------------------------------------- sources, periods
def source_scope(note: object, measure: object = None) -> str:
    """The sources a published figure covers, from its scope note and measure.

    ``all`` when the note says all sources; ``central`` when it names the central budget;
    ``budget`` (central + local) for a figure by capital type (a measure ending in
    ``_investment`` or ``_recurrent``) whose note names no source, since only state-budget
    capital has a capital type; ``unstated`` otherwise (a total: computed over all sources).
    """
    text = "" if note is None or pd.isna(note) else str(note).casefold()  # type: ignore[call-overload]
    if _ALL_SOURCES.search(text):
        return "all"
    if "central" in text:
        return "central"
    if str(measure or "").endswith(("_investment", "_recurrent")):
        return "budget"
    return "unstated"


def lines_of_sources(lines: pd.DataFrame, sources: str) -> pd.DataFrame:
    """The lines a figure of ``sources`` (:func:`source_scope`) covers."""
    if sources == "central":
        return lines[lines["source"] == "central"]
    if sources == "budget":
        return lines[lines["source"].isin(BUDGET_SOURCES)]
    return lines


def period_years(period: str) -> tuple[int, int] | None:
    """First and last plan year of a published period ("2022-2025", "2024 (incl. …)")."""
    hit = _RANGE.search(period)
    if hit:
        return int(hit.group(1)), int(hit.group(2))
    one = _YEAR.match(period)
    return (int(one.group(1)), int(one.group(1))) if one else None


def classify(row: pd.Series, last_report: pd.Timestamp | None) -> tuple[str | None, str | None]:
    """The convention a published figure uses, or None and the reason it is not comparable.

    A phase (``2022-2025``) figure with a date is ``phase_cumulative`` at that date; a phase
    allocation without a date is ``phase_total``; a one-year figure is
    ``year_plan_with_carry_over`` when its note says the plan includes carry-over, else
    ``by_vintage``. Reasons: :data:`REASONS`.
    """
    note = "" if pd.isna(row["scope_note"]) else str(row["scope_note"]).casefold()
    if "post-merger" in note:
        return None, "post_merger"
    years = period_years(str(row["period"]))
    if years is None:
        return None, "period"
    as_of = row["as_of"]
    what = str(row["measure"]).rsplit("_", 1)[0]
    if pd.isna(as_of):
        if years[0] != years[1] and what == "allocated":
            return "phase_total", None
        return None, "no_date"
    if last_report is None or pd.Timestamp(as_of) > last_report:
        return None, "after_last_report"
    if years[0] != years[1]:
        return "phase_cumulative", None
    carry = "carr" in note and "unclear" not in note and "not incl" not in note
    return ("year_plan_with_carry_over" if carry else "by_vintage"), None


# --------------------------------------------------------------------------- the match rule
def decimals_of(value: float) -> int:
    """How many decimals a published value is written with (77.2 → 1; 67 → 0; 5472 → 0)."""
    exponent = Decimal(repr(float(value))).normalize().as_tuple().exponent
    return max(0, -int(exponent))


def last_digit_unit(value: float) -> float:
    """The unit of the last digit of a published value: 77.2 → 0.1; 67 → 1; 5472 → 1."""
    return 10.0 ** -decimals_of(value)


def match_band(published: float, qualifier: str) -> tuple[float, float]:
    """The dataset values (in the published unit) that match ``published`` so worded."""
    x = float(published)
    half = last_digit_unit(x) / 2
    if qualifier == "at_least":
        return x - half, x * 1.01 + half
    if qualifier == "at_most":
        return x * 0.99 - half, x + half
    if qualifier == "about":
        d = max(half, 0.01 * abs(x))
        return x - d, x + d
    return x - half, x + half


def matches(dataset: float | None, published: float, qualifier: str) -> bool | None:
    """Whether the dataset's value matches the published one (None when there is none)."""
    if dataset is None or pd.isna(dataset):
        return None
    lo, hi = match_band(published, qualifier)
    eps = 1e-9 * max(1.0, abs(float(published)))  # a bound reached exactly is inside
    return bool(lo - eps <= float(dataset) <= hi + eps)


# --------------------------------------------------------------------------- the comparison
def dataset_value(
    lines: pd.DataFrame,
    disbursements: pd.DataFrame,
    row: pd.Series,
    convention: str,
    sources: str,
) -> float | None:
    """A published figure's value computed from the line table (million VND or a fraction).

    Over the lines of the period's plan years and of ``sources``: ``phase_cumulative`` at the
    figure's date (lines assigned by then, disbursed by then), ``phase_total``,
    ``year_plan_with_carry_over`` or ``by_vintage`` of the period's last year at the date.
    """
    first, last = period_years(str(row["period"])) or (0, 0)
    own = lines_of_sources(lines, sources)
    sel = own[own["plan_year"].between(first, last)]
    as_of = pd.Timestamp(row["as_of"]) if not pd.isna(row["as_of"]) else None
    if convention == "phase_total" or as_of is None:
        table = committee.phase_total(sel)
    elif convention == "phase_cumulative":
        table = committee.phase_cumulative(sel, disbursements, as_of)
    elif convention == "year_plan_with_carry_over":
        years = own[own["plan_year"] <= last]
        table = committee.year_plan_with_carry_over(years, disbursements, last, as_of)
    else:
        table = committee.by_vintage(sel, disbursements, last, as_of)
    what, part = str(row["measure"]).rsplit("_", 1)
    column = {"allocated": "allocated_mvnd", "disbursed": "disbursed_mvnd"}.get(what, "rate")
    value = table.loc[part, column]
    return None if pd.isna(value) else float(value)


COMPARISON_COLUMNS = (
    "figure_id", "measure", "period", "as_of", "unit", "published", "qualifier", "dataset",
    "convention", "sources", "matches", "reason", "scope_note", "source_id", "url",
)  # fmt: skip


def source_urls() -> dict[str, str | None]:
    """``source_id`` → the page's address, from the shipped ``sources`` table."""
    src = reference.load("sources")
    pairs = zip(src["source_id"], src["url"], strict=True)
    return {str(k): (None if pd.isna(v) else str(v)) for k, v in pairs}


def province_name(dataset: Dataset) -> str:
    """The Vietnamese name of the dataset's province (to find its published figures)."""
    units = dataset.units
    hit = units.loc[units["unit_code"] == dataset.province_code, "name_vi"]
    return str(hit.iloc[0]) if len(hit) else ""


def published_comparison(dataset: Dataset) -> pd.DataFrame:
    """Every published figure of the dataset's province beside the dataset's value.

    ``published`` and ``dataset`` are in the published ``unit`` (percent, billion or million
    VND), so they read as the page does; ``convention`` (:func:`classify`) and ``sources``
    (:func:`source_scope`) say how ``dataset`` was computed; ``matches`` applies the match rule
    to the figure's ``qualifier`` (None when the figure is not comparable: ``reason`` says
    why); ``url`` is the page, from the ``sources`` table.
    """
    pub = committee.published_for(province_name(dataset))
    d = dataset.disbursements
    last = last_report_date(d) if len(d) else None
    lines = None
    if last is not None and len(pub):
        blanket = getattr(dataset, "blanket_extensions", None)
        lines = line_table(dataset.allocations, d, as_of=last, blanket=blanket)
    urls = source_urls()
    rows = []
    for _, r in pub.iterrows():
        conv, reason = classify(r, last)
        scope = source_scope(r["scope_note"], r["measure"])
        unit = str(r["unit"])
        value = None
        if conv is not None and lines is not None:
            raw = dataset_value(lines, d, r, conv, scope)
            value = None if raw is None else raw / _FACTOR[unit]
        rows.append(
            {
                "figure_id": r["figure_id"],
                "measure": r["measure"],
                "period": r["period"],
                "as_of": r["as_of"],
                "unit": unit,
                "published": float(r["value"]),
                "qualifier": str(r["qualifier"]),
                "dataset": value,
                "convention": conv,
                "sources": scope,
                "matches": matches(value, float(r["value"]), str(r["qualifier"])),
                "reason": reason,
                "scope_note": r["scope_note"],
                "source_id": r["source_id"],
                "url": urls.get(str(r["source_id"])),
            }
        )
    return pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))


def match_counts(table: pd.DataFrame) -> tuple[int, int]:
    """(matching, comparable) figures of a :func:`published_comparison` table."""
    comparable = table["matches"].notna()
    return int((table.loc[comparable, "matches"] == True).sum()), int(comparable.sum())  # noqa: E712


# --------------------------------------------------------------------------- the standing
@dataclass
class Standing:
    """Where a province stands among provinces with comparable published rates."""

    province: str
    measure: str
    as_of: pd.Timestamp | None
    value: float | None
    """The province's published rate (fraction), None when it has none."""
    rank: int | None
    """1 = highest rate among :attr:`table`'s rows (the province included)."""
    n: int
    table: pd.DataFrame
    """``province``, ``value`` (fraction), ``qualifier``, ``as_of``, ``days_apart``,
    ``period``, ``sources`` (:data:`SOURCE_SCOPES`), ``comparability``
    (:data:`COMPARABILITY`), ``scope_note``, ``figure_id``, ``url``; highest rate first."""
    window_days: int = STANDING_WINDOW_DAYS


STANDING_COLUMNS = (
    "province", "value", "qualifier", "as_of", "days_apart", "period", "sources",
    "comparability", "scope_note", "figure_id", "url",
)  # fmt: skip


def _phase_rates(measure: str) -> pd.DataFrame:
    pub = reference.load("published_figures")
    pub = pub[(pub["measure"] == measure) & (pub["unit"] == "percent") & pub["as_of"].notna()]
    phase = pub["period"].str.contains(r"^\s*202[12]\s*[-–]\s*2025", regex=True)
    single = ~pub["province"].str.upper().str.startswith(("NATIONAL", "REGION"))
    pub = pub[phase & single].copy()
    pub["key"] = pub["province"].map(committee.province_key)
    return pub


def published_standing(
    province: str,
    measure: str = "disbursement_rate_total",
    as_of: pd.Timestamp | None = None,
    window_days: int = STANDING_WINDOW_DAYS,
) -> Standing:
    """The province among provinces with comparable published figures of ``measure``.

    Comparable: a cumulative rate of the 2021–2025 or 2022–2025 phase of one province (not
    the nation or a region) dated within ``window_days`` of ``as_of`` (default the date of the
    province's latest such figure); per province the figure closest in date. How comparable
    each is comes from the scope notes (source of funds, merged provinces).
    """
    pub = _phase_rates(measure)
    me = committee.province_key(province)
    own = pub[pub["key"] == me].sort_values("as_of")
    anchor = pd.Timestamp(as_of) if as_of is not None else None
    if anchor is None and len(own):
        anchor = pd.Timestamp(own["as_of"].iloc[-1])
    empty = pd.DataFrame(columns=list(STANDING_COLUMNS))
    if anchor is None:
        return Standing(province, measure, None, None, None, 0, empty, window_days)
    pub["days_apart"] = (pub["as_of"] - anchor).dt.days.abs()
    near = pub[pub["days_apart"] <= window_days].sort_values(["key", "days_apart"])
    near = near.drop_duplicates("key").copy()
    near["value"] = near["value"] / 100.0
    near["sources"] = [source_scope(n, measure) for n in near["scope_note"]]
    mine = near.loc[near["key"] == me, "sources"]
    my_sources = str(mine.iloc[0]) if len(mine) else "unstated"
    post = near["scope_note"].fillna("").str.casefold().str.contains("post-merger")
    near["comparability"] = "sources_unstated"
    known = (near["sources"] != "unstated") & (my_sources != "unstated")
    near.loc[known & (near["sources"] == my_sources), "comparability"] = "same_sources"
    near.loc[known & (near["sources"] != my_sources), "comparability"] = "sources_differ"
    near.loc[post, "comparability"] = "post_merger"
    urls = source_urls()
    near["url"] = [urls.get(str(s)) for s in near["source_id"]]
    near = near.sort_values(["value", "province"], ascending=[False, True]).reset_index(drop=True)
    hit = near.index[near["key"] == me]
    near["value"] = near["value"].round(6)
    value = float(near.loc[hit[0], "value"]) if len(hit) else None
    return Standing(
        province,
        measure,
        anchor,
        value,
        int(hit[0]) + 1 if len(hit) else None,
        len(near),
        near[list(STANDING_COLUMNS)].reset_index(drop=True),
        window_days,
    )


def widest_standing(
    province: str,
    measure: str = "disbursement_rate_total",
    window_days: int = STANDING_WINDOW_DAYS,
) -> Standing | None:
    """The standing at the date of the province's own rates that compares the most provinces
    (the latest such date on a tie); None when the province published no such rate."""
    pub = _phase_rates(measure)
    dates = sorted(set(pub.loc[pub["key"] == committee.province_key(province), "as_of"]))
    best: Standing | None = None
    for when in dates:
        s = published_standing(province, measure, pd.Timestamp(when), window_days)
        if best is None or s.n >= best.n:
            best = s
    return best


# --------------------------------------------------------------------------- metrics.json
def _none(v: Any) -> Any:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    return v.item() if hasattr(v, "item") else v


def _iso(v: Any) -> str | None:
    return None if v is None or pd.isna(v) else pd.Timestamp(v).date().isoformat()


def comparison_records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """The ``published_comparison`` entries of ``metrics.json`` (values in the published unit,
    the dataset's rounded to two more decimals than the published value)."""
    out = []
    for r in table.to_dict("records"):
        digits = decimals_of(r["published"]) + 2
        value = _none(r["dataset"])
        out.append(
            {
                "figure_id": str(r["figure_id"]),
                "measure": str(r["measure"]),
                "period": str(r["period"]),
                "plan_years": list(years) if (years := period_years(str(r["period"]))) else None,
                "as_of": _iso(r["as_of"]),
                "unit": str(r["unit"]),
                "published": float(r["published"]),
                "decimals": decimals_of(r["published"]),
                "qualifier": str(r["qualifier"]),
                "dataset": None if value is None else round(float(value), digits),
                "convention": _none(r["convention"]),
                "sources": str(r["sources"]),
                "matches": None if _none(r["matches"]) is None else bool(r["matches"]),
                "reason": _none(r["reason"]),
                "source_id": str(r["source_id"]),
                "url": _none(r["url"]),
            }
        )
    return out


def standing_record(s: Standing | None) -> dict[str, Any] | None:
    """The ``published_standing`` entry of ``metrics.json`` (rates as fractions)."""
    if s is None or s.as_of is None:
        return None
    rows = [
        {
            "province": str(r["province"]),
            "value": float(r["value"]),
            "decimals": decimals_of(round(float(r["value"]) * 100, 6)),
            "qualifier": str(r["qualifier"]),
            "as_of": _iso(r["as_of"]),
            "days_apart": int(r["days_apart"]),
            "sources": str(r["sources"]),
            "comparability": str(r["comparability"]),
            "figure_id": str(r["figure_id"]),
            "url": _none(r["url"]),
            "own": committee.province_key(r["province"]) == committee.province_key(s.province),
        }
        for r in s.table.to_dict("records")
    ]
    return {
        "measure": s.measure,
        "as_of": _iso(s.as_of),
        "value": s.value,
        "rank": s.rank,
        "n": s.n,
        "window_days": s.window_days,
        "rows": rows,
    }
