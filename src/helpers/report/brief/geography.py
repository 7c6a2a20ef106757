"""What the brief's geography section shows: a new unit's former communes, the former
districts' context, the apportioned estimate and the pooled sentence (plain data for
``sections/geography.html``)."""

from __future__ import annotations

from typing import Any

from helpers.core.formatting import date as fmt_date
from helpers.core.formatting import number, percent
from helpers.report.brief import charts
from helpers.report.brief.findings import MIN_LINES
from helpers.report.brief.model import DISTRICT_LEVEL_ENDED, Brief, unit_name
from helpers.report.brief.sections import base, figure, table
from helpers.report.brief.values import fmt_int, fmt_mvnd, fmt_pct, num, t


def formers_table(b: Brief) -> dict[str, Any] | None:
    """A new unit's former communes: name, code, former district, clause of the resolution."""
    geo, lang = b.metrics.geography, b.lang
    if geo is None or not geo.formers:
        return None
    head = [
        (t("col_former_commune", lang), False),
        (t("col_code", lang), False),
        (t("col_former_district", lang), False),
        (t("col_clause", lang), False),
    ]
    rows = [
        [
            unit_name(f, lang),
            f.unit_code,
            str(getattr(f, f"district_name_{lang}") or f.district_code or ""),
            f.clause or t("na", lang),
        ]
        for f in geo.formers
    ]
    caption = t("tbl_formers", lang, basis=geo.legal_basis or t("na", lang))
    return table(caption, head, rows, table_id="table-formers")


def context_table(b: Brief) -> dict[str, Any] | None:
    """Each former district: communes taken, its own lines (beside the record, not in it)."""
    geo, lang = b.metrics.geography, b.lang
    if geo is None or not geo.district_context:
        return None
    shares = {d.unit_code: d for d in geo.districts}
    head = [
        (t("col_former_district", lang), False),
        (t("col_communes_taken", lang), True),
        (t("col_district_lines", lang), True),
        (t("col_allocated", lang), True),
        (t("col_disbursed_deadline", lang), True),
        (t("col_rate_deadline", lang), True),
    ]
    rows, classes = [], []
    for c in geo.district_context:
        d = shares.get(c.unit_code)
        taken = (
            t(
                "communes_of",
                lang,
                n=fmt_int(d.communes_taken, lang),
                total=fmt_int(d.communes_total, lang),
            )
            if d
            else t("na", lang)
        )
        rows.append(
            [
                unit_name(d, lang) if d else c.unit_code,
                taken,
                fmt_int(c.n_lines, lang),
                fmt_mvnd(c.allocated_mvnd, lang),
                fmt_mvnd(c.disbursed_deadline_mvnd, lang),
                fmt_pct(c.execution_rate_deadline, lang),
            ]
        )
        classes.append("highlight" if d and d.home else None)
    return table(t("tbl_district_context", lang), head, rows, classes, "table-district-context")


def apportioned_table(b: Brief) -> dict[str, Any] | None:
    """The ESTIMATE of the unit's share of its districts' own lines, when requested."""
    geo, lang = b.metrics.geography, b.lang
    if geo is None or not geo.apportioned:
        return None
    names = {d.unit_code: unit_name(d, lang) for d in geo.districts}
    key = geo.apportion
    basis = (
        t("apportion_communes", lang)
        if key == "communes"
        else t("apportion_column", lang, column=key)
    )
    head = [
        (t("col_former_district", lang), False),
        (t("col_share_estimate", lang), True),
        (t("col_allocated_estimate", lang), True),
        (t("col_disbursed_estimate", lang), True),
    ]
    rows = [
        [
            names.get(r.unit_code, r.unit_code),
            fmt_pct(r.share, lang),
            fmt_mvnd(r.allocated_mvnd, lang),
            fmt_mvnd(r.disbursed_deadline_mvnd, lang),
        ]
        for r in geo.apportioned
    ]
    return table(t("tbl_apportioned", lang, basis=basis), head, rows, table_id="table-apportioned")


def pooled_sentence(b: Brief) -> str | None:
    """The scope's pooled rate at the deadline with its interval, or "too few data" (fewer
    than :data:`MIN_LINES` lines, the brief's rule)."""
    geo, lang = b.metrics.geography, b.lang
    if geo is None:
        return None
    me = next((p for p in geo.pooled if p.unit_code == b.unit_code), None)
    if me is None or num(me.pooled_rate) is None:
        return None
    n = fmt_int(me.n_lines, lang)
    if me.few or me.n_lines < MIN_LINES:
        return t("geo_pooled_few", lang, name=b.scope_name(), n=n, min=number(MIN_LINES, lang))
    return t(
        "geo_pooled",
        lang,
        name=b.scope_name(),
        raw=fmt_pct(me.raw_rate, lang),
        pooled=fmt_pct(me.pooled_rate, lang),
        lo=fmt_pct(me.ci_low, lang),
        hi=fmt_pct(me.ci_high, lang),
        level=percent(0.95, lang, 0),
        n=n,
    )


def geography_context(b: Brief) -> dict[str, Any]:
    """What a new unit was made of (or where a former district or commune lies), its
    districts' own lines beside its record, the apportioned estimate when requested, and its
    pooled rate. The province brief leaves the section out (its map is in the ranking)."""
    geo, lang = b.metrics.geography, b.lang
    if geo is None or b.kind == "province":
        return base(b) | {"show": False}
    paragraphs = []
    if b.is_new_unit:
        paragraphs.append(
            t(
                "geo_new_unit",
                lang,
                name=b.scope_name(),
                date=fmt_date(geo.effective_date or DISTRICT_LEVEL_ENDED, lang),
                basis=geo.legal_basis or t("na", lang),
                n=fmt_int(len(geo.formers), lang),
                districts=fmt_int(len(geo.districts), lang),
            )
        )
    if geo.district_context:
        paragraphs.append(t("geo_context_note", lang))
    pooled = pooled_sentence(b)
    if pooled:
        paragraphs.append(pooled)
    locator = figure(charts.chart_locator(b), t("fig_locator", lang), "fig-locator")
    return base(b) | {
        "show": True,
        "heading": t("h_geography_new" if b.is_new_unit else "h_geography", lang),
        "paragraphs": paragraphs,
        "fig_locator": locator,
        "formers": formers_table(b),
        "context": context_table(b),
        "apportioned": apportioned_table(b),
        "estimate_note": t("geo_estimate_note", lang) if geo.apportioned else None,
    }
