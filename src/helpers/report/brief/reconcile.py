"""The brief's reconciliation section: the committee's conventions and the published figures.

Provinces report "disbursed / plan", where a year's plan often includes carried-over capital
and phase figures are cumulative. This section shows, from ``metrics.json`` only:

* the committee's conventions at the published dates and at the last report
  (``committee_rates``), each labelled in words;
* every published figure of the province beside the dataset's value under the convention and
  sources it uses, whether the two match under the stated rule, and its page
  (``published_comparison``), with a sentence on which convention reproduces the reports;
* where the province stands among the provinces that published a comparable rate, and how
  comparable those figures are (``published_standing``).

Published figures are real; the dataset's values are DEMO when the data are, and the section
says so beside them. District briefs leave the section out: the figures are provincial. A page
address is shown as text, not as a link: the brief loads and links nothing on the network.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from helpers.core.contracts import CommitteeRate, PublishedFigure, PublishedStanding
from helpers.core.formatting import date as fmt_date
from helpers.core.formatting import in_unit, number, qualified
from helpers.core.text import tr
from helpers.data.dataset import DEMO_LABEL
from helpers.report.brief.model import Brief
from helpers.report.brief.sections import table
from helpers.report.brief.values import fmt_int, fmt_period, num, t

PROVINCES_MERGED = dt.date(2025, 7, 1)
"""The day the merged provinces came into being (the 2025 reform of provincial units)."""

SHOWN_ORIGINS = ("published", "last_report")
"""Dates of the committee's rates the section shows (the year-end rates of each plan year stay
in ``metrics.json``)."""


def shows_reconciliation(b: Brief) -> bool:
    """A province brief whose ``metrics.json`` has the committee's rates or published figures."""
    m = b.metrics
    return not b.is_district and bool(m.committee_rates or m.published_comparison)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def convention_label(convention: str, lang: str) -> str:
    """A convention in words ("cumulative over the phase to the date, capital assigned …")."""
    return tr(f"common.convention.{convention}", lang)


def convention_short(convention: str, lang: str) -> str:
    """A convention's short name in the tables ("phase to date"); :func:`legend` says it all."""
    return t(f"rc_short.{convention}", lang)


def legend(conventions: list[str], lang: str) -> str | None:
    """The conventions the tables name, each short name with its words."""
    items = [
        t("rc_legend_item", lang, short=convention_short(c, lang), label=convention_label(c, lang))
        for c in dict.fromkeys(conventions)
    ]
    return t("rc_legend", lang, items="; ".join(items)) if items else None


def _bvnd(v: float | None, lang: str) -> str:
    x = num(v)
    return "–" if x is None else number(x / 1000.0, lang, 1)


def _rate(v: float | None, lang: str) -> str:
    x = num(v)
    return "–" if x is None else in_unit(x * 100.0, "percent", lang, 1)


# --------------------------------------------------------------------------- (a) conventions
def committee_rows(b: Brief) -> list[CommitteeRate]:
    """The committee's rates at the published dates and at the last report, by date."""
    rates = [r for r in b.metrics.committee_rates or [] if r.date_origin in SHOWN_ORIGINS]
    return sorted(rates, key=lambda r: (r.as_of or "", r.convention != "phase_cumulative"))


def committee_table(b: Brief) -> dict[str, Any] | None:
    """Convention, date, allocated and disbursed (billion VND), rates overall and by type."""
    lang, rows_in = b.lang, committee_rows(b)
    if not rows_in:
        return None
    head = [
        (t("rc_col_convention", lang), False),
        (t("rc_col_date", lang), False),
        (t("rc_col_allocated", lang), True),
        (t("rc_col_disbursed", lang), True),
        (t("rc_col_rate", lang), True),
        (t("rc_col_rate_investment", lang), True),
        (t("rc_col_rate_recurrent", lang), True),
    ]
    rows = []
    for r in rows_in:
        when = fmt_date(r.as_of, lang) if r.as_of else t("rc_no_date", lang)
        note = t("rc_not_observed", lang) if not r.observed else None
        if note is None and r.date_origin == "last_report":
            note = t("rc_origin_last_report", lang)
        label = _cap(convention_short(r.convention, lang))
        if r.scope == "year":
            label = t("rc_convention_year", lang, label=label, year=r.period)
        inv, rec = r.by_capital_type.get("investment"), r.by_capital_type.get("recurrent")
        rows.append(
            [
                label,
                t("rc_date_origin", lang, date=when, origin=note) if note else when,
                _bvnd(r.allocated_mvnd, lang),
                _bvnd(r.disbursed_mvnd, lang),
                _rate(r.rate, lang),
                _rate(inv.rate if inv else None, lang),
                _rate(rec.rate if rec else None, lang),
            ]
        )
    key = "rc_tbl_committee_demo" if b.demo else "rc_tbl_committee"
    return table(t(key, lang, label=DEMO_LABEL), head, rows, table_id="table-committee")


# --------------------------------------------------------------------------- (b) the figures
def _in_table(value: float | None, unit: str, decimals: int, lang: str) -> str:
    """A rate as a percentage, an amount in billion VND without its unit (the caption names
    it; a page's million VND becomes billion VND with three more decimals)."""
    if unit == "percent":
        return in_unit(value, unit, lang, decimals)
    if value is None:
        return "–"
    if unit == "million_vnd":
        return number(value / 1000.0, lang, decimals + 3)
    return number(value, lang, decimals)


def published_value(f: PublishedFigure, lang: str) -> str:
    """The figure as the page words it: "hơn 4.222", "gần 67%" (amounts in billion VND)."""
    return qualified(_in_table(f.published, f.unit, f.decimals, lang), f.qualifier, lang)


def dataset_value(f: PublishedFigure, lang: str) -> str:
    """The dataset's value, one decimal more than the page writes ("–" when not comparable)."""
    if f.convention is None:
        return "–"
    return _in_table(f.dataset, f.unit, f.decimals + 1, lang)


def computed_as(f: PublishedFigure, lang: str) -> tuple[str, str]:
    """The convention and the sources of the dataset's value, or why there is none."""
    if f.convention is None:
        why = t("rc_not_comparable", lang, reason=tr(f"common.reason.{f.reason}", lang))
        return why, "–"
    return convention_short(f.convention, lang), t(f"rc_src.{f.sources}", lang)


def verdict(f: PublishedFigure, lang: str) -> str:
    if f.matches is None:
        return "–"
    return t("rc_matches" if f.matches else "rc_differs", lang)


def sources_list(figures: list[PublishedFigure]) -> list[str]:
    """The pages of the figures, each once, in the order of the table."""
    return list(dict.fromkeys(f.url for f in figures if f.url))


def figures_table(b: Brief) -> dict[str, Any] | None:
    """Each published figure: wording, the dataset's value, how computed, verdict, page."""
    lang, figures = b.lang, list(b.metrics.published_comparison or [])
    if not figures:
        return None
    pages = sources_list(figures)
    dataset_col = t("rc_col_dataset_demo", lang, label=DEMO_LABEL) if b.demo else None
    head = [
        (t("rc_col_figure", lang), False),
        (t("rc_col_date", lang), False),
        (t("rc_col_published", lang), True),
        (dataset_col or t("rc_col_dataset", lang), True),
        (t("rc_col_computed", lang), False),
        (t("rc_col_sources", lang), False),
        (t("rc_col_result", lang), False),
    ]
    rows = []
    for f in figures:
        page = t("rc_source_ref", lang, n=pages.index(f.url) + 1) if f.url in pages else ""
        period = fmt_period(f.plan_years) if f.plan_years else f.period
        rows.append(
            [
                t("rc_figure", lang, measure=t(f"rc_measure.{f.measure}", lang), period=period),
                fmt_date(f.as_of, lang) if f.as_of else t("rc_no_date", lang),
                published_value(f, lang),
                dataset_value(f, lang),
                *computed_as(f, lang),
                t("rc_result", lang, verdict=verdict(f, lang), source=page),
            ]
        )
    return table(t("rc_tbl_figures", lang), head, rows, table_id="table-published")


def sentence_conventions(b: Brief) -> list[str]:
    """How many comparable figures match, by convention, and which reproduces the reports."""
    lang, figures = b.lang, list(b.metrics.published_comparison or [])
    if not figures:
        return [t("rc_no_published", lang, name=b.scope_name())]
    comparable = [f for f in figures if f.matches is not None]
    if not comparable:
        return [t("rc_none_comparable", lang, n=fmt_int(len(figures), lang))]
    matched = sum(bool(f.matches) for f in comparable)
    out = [
        t(
            "rc_count",
            lang,
            k=fmt_int(matched, lang),
            n=fmt_int(len(comparable), lang),
            total=fmt_int(len(figures), lang),
        )
    ]
    tally: dict[str, list[int]] = {}
    for f in comparable:
        k, j = tally.setdefault(str(f.convention), [0, 0])
        tally[str(f.convention)] = [k + bool(f.matches), j + 1]
    # the reports are the dated figures: the phase's undated allocation only when none is dated
    dated = {c: kj for c, kj in tally.items() if c != "phase_total"} or tally
    best = max(dated.items(), key=lambda kv: (kv[1][0] / kv[1][1], kv[1][1]))
    conv, (k, j) = best
    label = convention_label(conv, lang)
    if k == 0:
        out.append(t("rc_no_convention", lang))
    elif k == j:
        out.append(t("rc_best_all", lang, label=label, n=fmt_int(j, lang)))
    else:
        out.append(t("rc_best", lang, label=label, k=fmt_int(k, lang), n=fmt_int(j, lang)))
    others = [(c, kj) for c, kj in tally.items() if c != conv]
    for c, (k2, j2) in others:
        out.append(
            t(
                "rc_other",
                lang,
                label=convention_label(c, lang),
                k=fmt_int(k2, lang),
                n=fmt_int(j2, lang),
            )
        )
    return out


# --------------------------------------------------------------------------- (c) standing
def _rate_as_published(value: float, decimals: int, qualifier: str, lang: str) -> str:
    return qualified(in_unit(value * 100, "percent", lang, decimals), qualifier, lang)


def standing_sentences(s: PublishedStanding, b: Brief) -> list[str]:
    """The rank among the provinces, and how comparable their figures are."""
    lang = b.lang
    days = fmt_int(s.window_days, lang)
    when = fmt_date(s.as_of, lang)
    own = next((r for r in s.rows if r.own), None)
    name = own.province if own else b.scope_name()
    value = "–"
    if own is not None:
        value = _rate_as_published(own.value, own.decimals, own.qualifier, lang)
    if s.n <= 1:
        return [t("rc_standing_alone", lang, days=days, date=when, name=name, value=value)]
    out = [
        t(
            "rc_standing",
            lang,
            n=fmt_int(s.n, lang),
            days=days,
            date=when,
            name=name,
            rank=fmt_int(s.rank, lang),
            value=value,
        )
    ]
    counts = Counter(r.comparability for r in s.rows if not r.own)
    if counts.get("same_sources", 0) == s.n - 1:
        out.append(t("rc_cmp_all_same", lang))
        return out
    merged = fmt_date(PROVINCES_MERGED.isoformat(), lang)
    parts = [
        t(f"rc_cmp_count.{c}", lang, n=fmt_int(counts[c], lang), date=merged)
        for c in ("same_sources", "sources_differ", "sources_unstated", "post_merger")
        if counts.get(c)
    ]
    out.append(
        t(
            "rc_cmp_mixed",
            lang,
            name=name,
            own=t(f"rc_cmp_own_sources.{own.sources if own else 'unstated'}", lang),
            parts=", ".join(parts),
            days=fmt_int(max(r.days_apart for r in s.rows), lang),
        )
    )
    return out


def standing_table(s: PublishedStanding, lang: str) -> dict[str, Any]:
    """Province, published rate, date, days apart, sources, comparability (highest first)."""
    head = [
        (t("rc_col_province", lang), False),
        (t("rc_col_published_rate", lang), True),
        (t("rc_col_date", lang), False),
        (t("rc_col_days", lang), True),
        (t("rc_col_sources", lang), False),
        (t("rc_col_comparability", lang), False),
    ]
    merged = fmt_date(PROVINCES_MERGED.isoformat(), lang)
    rows: list[list[str]] = []
    classes: list[str | None] = []
    for r in s.rows:
        rate = _rate_as_published(r.value, r.decimals, r.qualifier, lang)
        cmp_ = t("rc_cmp_own", lang) if r.own else t(f"rc_cmp.{r.comparability}", lang, date=merged)
        rows.append(
            [
                r.province,
                rate,
                fmt_date(r.as_of, lang),
                fmt_int(r.days_apart, lang),
                t(f"rc_src.{r.sources}", lang),
                cmp_,
            ]
        )
        classes.append("highlight" if r.own else None)
    return table(t("rc_tbl_standing", lang), head, rows, classes, "table-standing")


# --------------------------------------------------------------------------- the section
def reconcile_context(b: Brief) -> dict[str, Any]:
    """Everything the reconciliation template shows (``show`` False: the section is left out)."""
    lang = b.lang
    if not shows_reconciliation(b):
        return {"show": False}
    figures = list(b.metrics.published_comparison or [])
    s = b.metrics.published_standing
    demo_note = t("rc_real_vs_demo", lang, label=DEMO_LABEL) if b.demo and figures else None
    return {
        "show": True,
        "lang": lang,
        "demo": b.demo,
        "demo_label": DEMO_LABEL,
        "committee_table": committee_table(b),
        "legend": legend(
            [r.convention for r in committee_rows(b)]
            + [str(f.convention) for f in figures if f.convention],
            lang,
        ),
        "real_vs_demo": demo_note,
        "figures_table": figures_table(b),
        "conventions": sentence_conventions(b),
        "rule": tr("common.match_rule", lang) if figures else None,
        "sources": sources_list(figures),
        "standing": standing_sentences(s, b) if s else [],
        "standing_table": standing_table(s, lang) if s and s.n > 1 else None,
    }
