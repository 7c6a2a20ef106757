"""The short text summary ``mtqg validate`` prints for a valid dataset.

Rows per table, allocated and disbursed (at the last report) by plan year, totals by capital
type and source, and, when the package ships public figures for the dataset's province, each
figure beside the dataset's own total so a reader sees at once whether they agree; then every
published figure of the province (``published_figures``) beside the dataset's value under the
convention the publication uses (:func:`published_comparison`). Headings and labels come from
the ``cli`` catalog, numbers are written in the language's format; table names, figure ids,
measures, capital types and sources are the dataset's codes. :func:`published_standing` places
a province among the provinces with comparable published rates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from helpers.analysis import committee
from helpers.analysis.lines import cumulative_at, last_report_date, line_table
from helpers.core.errors import Day
from helpers.core.formatting import number, percent
from helpers.core.text import tr
from helpers.data import reference
from helpers.data.dataset import Dataset

_RANGE = re.compile(r"(20\d\d)\s*[-–]\s*(20\d\d)")
_YEAR = re.compile(r"^\s*(20\d\d)\b")
_ALL_SOURCES = re.compile(r"all[\s-]sources?")
STANDING_WINDOW_DAYS = 60
"""Published rates within this many days of the province's own are compared with it."""


def _published_lines(dataset: Dataset, lang: str) -> list[str]:
    """The province's published figures beside the dataset, one line each."""

    def t(msgid: str, **values: object) -> str:
        return tr(f"cli.validate.{msgid}", lang, **values)

    table = published_comparison(dataset)
    if table.empty:
        return []

    def show(value: object, unit: str) -> str:
        if value is None or pd.isna(value):  # type: ignore[call-overload]
            return "—"
        v = float(value)  # type: ignore[arg-type]
        return percent(v, lang, 1) if unit == "fraction" else number(v, lang, 0)

    units = dataset.units
    name = units.loc[units["unit_code"] == dataset.province_code, "name_vi"].iloc[0]
    out = [t("published_figures", province=name, file="reference/published_figures.csv")]
    for r in table.itertuples():
        when = Day(r.as_of).text(lang) if not pd.isna(r.as_of) else t("no_date")
        head = f"  {r.figure_id:<14} {r.measure:<28} {when:>10}"
        pub = f"{t('published')} {show(r.published, r.unit):>10}"
        if r.convention is None:
            why = t(f"reason.{r.reason}")
            out.append(f"{head}  {pub}  {t('not_comparable', reason=why)}")
            continue
        conv = t(f"convention.{r.convention}", sources=t(f"sources.{r.sources}"))
        out.append(f"{head}  {pub}  {t('dataset')} {show(r.dataset, r.unit):>10}  {conv}")
    return out


def public_figure_checks(dataset: Dataset) -> pd.DataFrame:
    """Dataset totals beside the public figures shipped for its province.

    Returns a frame with ``figure_id``, ``public``, ``dataset``, ``equal`` (exact to 0.001
    million VND), empty when no figure is shipped for the province.
    """
    figures = reference.public_figure_values(dataset.province_code)
    a = dataset.allocations
    d = dataset.disbursements
    central = a[a["source"] == "central"]
    spot = pd.Timestamp("2024-05-21")
    a24 = a[a["plan_year"] == 2024]
    computed = {
        "central_capital_2021_2025": central["amount_mvnd"].sum(),
        "central_investment_2021_2025": central.loc[
            central["capital_type"] == "investment", "amount_mvnd"
        ].sum(),
        "central_recurrent_2021_2025": central.loc[
            central["capital_type"] == "recurrent", "amount_mvnd"
        ].sum(),
        "local_counterpart_2021_2025": a.loc[a["source"] == "local", "amount_mvnd"].sum(),
        "plan_2024_all_sources": a24["amount_mvnd"].sum(),
        "disbursed_2024_as_of_2024_05_21": cumulative_at(d, a24["line_id"], spot).sum(),
    }
    rows = [
        {
            "figure_id": k,
            "public": figures[k],
            "dataset": round(float(v), 3),
            "equal": abs(figures[k] - v) < 1e-3,
        }
        for k, v in computed.items()
        if k in figures
    ]
    return pd.DataFrame(rows, columns=["figure_id", "public", "dataset", "equal"])


def describe_dataset(dataset: Dataset, lang: str = "en") -> str:
    """A few lines a person reads after ``mtqg validate``, in ``lang``."""

    def t(msgid: str, **values: object) -> str:
        return tr(f"cli.validate.{msgid}", lang, **values)

    def fmt(v: float) -> str:
        return number(v, lang, 0)

    lines: list[str] = []
    if dataset.demo:
        lines.append(f"*** {tr('common.demo_note', lang)} ***")
    lines.append(t("valid", origin=dataset.origin))
    lines.append(f"SHA-256: {dataset.sha256}")
    lines.append(
        t("rows", tables=", ".join(f"{n} {len(tb)}" for n, tb in dataset.tables().items()))
    )
    a, d = dataset.allocations, dataset.disbursements
    last = last_report_date(d) if len(d) else None
    a = a.assign(disbursed_last=cumulative_at(d, a["line_id"], last) if last is not None else 0.0)
    lines.append(t("by_year", date=Day(last).text(lang) if last is not None else t("no_report")))
    head = (t("col_year"), t("col_allocated"), t("col_disbursed"), t("col_rate"))
    lines.append(f"  {head[0]:>9} {head[1]:>14} {head[2]:>14} {head[3]:>7}")
    by_year = a.groupby("plan_year")[["amount_mvnd", "disbursed_last"]].sum()
    for year, row in by_year.iterrows():
        rate = row["disbursed_last"] / row["amount_mvnd"] if row["amount_mvnd"] else None
        lines.append(
            f"  {year:>9} {fmt(row['amount_mvnd']):>14} "
            f"{fmt(row['disbursed_last']):>14} {percent(rate, lang, 1):>7}"
        )
    lines.append(
        f"  {t('total'):>9} {fmt(by_year['amount_mvnd'].sum()):>14} "
        f"{fmt(by_year['disbursed_last'].sum()):>14}"
    )
    lines.append(t("by_type"))
    by_ts = a.groupby(["capital_type", "source"])["amount_mvnd"].sum()
    for (ctype, source), v in by_ts.items():
        lines.append(f"  {ctype:<11} {source:<8} {fmt(v):>14}")
    checks = public_figure_checks(dataset)
    if len(checks):
        lines.append(t("public_figures", file="reference/public_figures.csv"))
        for r in checks.itertuples():
            mark = t("equal") if r.equal else t("different")
            lines.append(
                f"  {r.figure_id:<34} {t('public')} {fmt(r.public):>12}  "
                f"{t('dataset')} {fmt(r.dataset):>12}  {mark}"
            )
    lines.extend(_published_lines(dataset, lang))
    if dataset.warnings:
        lines.append(t("warnings", n=len(dataset.warnings)))
        lines.extend(f"  - {w.text(lang)}" for w in dataset.warnings)
    return "\n".join(lines)


# --------------------------------------------------------------------------- published figures
def source_scope(note: object) -> str:
    """``central`` when a scope note says central budget only, ``all`` when it says all
    sources, ``unstated`` otherwise."""
    text = "" if note is None or pd.isna(note) else str(note).casefold()
    if _ALL_SOURCES.search(text):
        return "all"
    return "central" if "central" in text else "unstated"


def _period_years(period: str) -> tuple[int, int] | None:
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
    ``by_vintage``. Reasons: ``post_merger``, ``no_date``, ``period``, ``after_last_report``.
    """
    note = "" if pd.isna(row["scope_note"]) else str(row["scope_note"]).casefold()
    if "post-merger" in note:
        return None, "post_merger"
    years = _period_years(str(row["period"]))
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


COMPARISON_COLUMNS = (
    "figure_id", "measure", "period", "as_of", "unit", "published", "dataset", "convention",
    "sources", "reason", "scope_note",
)  # fmt: skip


def published_comparison(dataset: Dataset) -> pd.DataFrame:
    """Every published figure of the dataset's province beside the dataset's value.

    Published values are converted to million VND (billion × 1000) and rates to fractions;
    ``dataset`` is computed under ``convention`` (:func:`classify`) over the lines of the
    period's plan years and of the sources the note names (``sources``: ``central``, ``all``,
    or ``unstated``, computed over all sources);
    ``reason`` says why a figure is not comparable (then ``dataset`` is missing).
    """
    units = dataset.units
    name = units.loc[units["unit_code"] == dataset.province_code, "name_vi"]
    pub = committee.published_for(str(name.iloc[0]) if len(name) else "")
    d = dataset.disbursements
    last = last_report_date(d) if len(d) else None
    lines = line_table(dataset.allocations, d, as_of=last) if last is not None else None
    rows = []
    for _, r in pub.iterrows():
        conv, reason = classify(r, last)
        scope = source_scope(r["scope_note"])
        factor = {"billion_vnd": 1000.0, "million_vnd": 1.0, "percent": 0.01}[str(r["unit"])]
        value = None
        if conv is not None and lines is not None:
            value = _dataset_value(lines, d, r, conv, scope)
        rows.append(
            {
                "figure_id": r["figure_id"],
                "measure": r["measure"],
                "period": r["period"],
                "as_of": r["as_of"],
                "unit": "fraction" if r["unit"] == "percent" else "million_vnd",
                "published": float(r["value"]) * factor,
                "dataset": value,
                "convention": conv,
                "sources": scope,
                "reason": reason,
                "scope_note": r["scope_note"],
            }
        )
    return pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))


def _dataset_value(
    lines: pd.DataFrame, d: pd.DataFrame, row: pd.Series, conv: str, scope: str
) -> float | None:
    first, last = _period_years(str(row["period"])) or (0, 0)
    sel = lines[lines["plan_year"].between(first, last)]
    if scope == "central":
        sel = sel[sel["source"] == "central"]
    as_of = pd.Timestamp(row["as_of"]) if not pd.isna(row["as_of"]) else None
    if conv == "phase_total" or as_of is None:
        table = committee.phase_total(sel)
    elif conv == "phase_cumulative":
        table = committee.phase_cumulative(sel, d, as_of)
    elif conv == "year_plan_with_carry_over":
        years = lines[lines["plan_year"] <= last]
        if scope == "central":
            years = years[years["source"] == "central"]
        table = committee.year_plan_with_carry_over(years, d, last, as_of)
    else:
        table = committee.by_vintage(sel, d, last, as_of)
    what, part = str(row["measure"]).rsplit("_", 1)
    column = {"allocated": "allocated_mvnd", "disbursed": "disbursed_mvnd"}.get(what, "rate")
    value = table.loc[part, column]
    return None if pd.isna(value) else float(value)


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
    """``province``, ``value`` (fraction), ``as_of``, ``days_apart``, ``period``,
    ``sources`` (central / all / unstated), ``comparability`` (``same_sources``,
    ``sources_differ``, ``sources_unstated``, ``post_merger``), ``scope_note``,
    ``figure_id``; highest rate first."""


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
    pub = reference.load("published_figures")
    pub = pub[(pub["measure"] == measure) & (pub["unit"] == "percent") & pub["as_of"].notna()]
    phase = pub["period"].str.contains(r"^\s*202[12]\s*[-–]\s*2025", regex=True)
    single = ~pub["province"].str.upper().str.startswith(("NATIONAL", "REGION"))
    pub = pub[phase & single].copy()
    pub["key"] = pub["province"].map(committee.province_key)
    me = committee.province_key(province)
    own = pub[pub["key"] == me].sort_values("as_of")
    anchor = pd.Timestamp(as_of) if as_of is not None else None
    if anchor is None and len(own):
        anchor = pd.Timestamp(own["as_of"].iloc[-1])
    cols = ["province", "value", "as_of", "days_apart", "period", "sources", "comparability",
            "scope_note", "figure_id"]  # fmt: skip
    if anchor is None:
        return Standing(province, measure, None, None, None, 0, pd.DataFrame(columns=cols))
    pub["days_apart"] = (pub["as_of"] - anchor).dt.days.abs()
    near = pub[pub["days_apart"] <= window_days].sort_values(["key", "days_apart"])
    near = near.drop_duplicates("key").copy()
    near["value"] = near["value"] / 100.0
    near["sources"] = near["scope_note"].map(source_scope)
    mine = near.loc[near["key"] == me, "sources"]
    my_sources = str(mine.iloc[0]) if len(mine) else "unstated"
    post = near["scope_note"].fillna("").str.casefold().str.contains("post-merger")
    near["comparability"] = "sources_unstated"
    known = (near["sources"] != "unstated") & (my_sources != "unstated")
    near.loc[known & (near["sources"] == my_sources), "comparability"] = "same_sources"
    near.loc[known & (near["sources"] != my_sources), "comparability"] = "sources_differ"
    near.loc[post, "comparability"] = "post_merger"
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
        near[cols].reset_index(drop=True),
    )
