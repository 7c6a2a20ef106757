"""What each section of the brief shows, as plain data for its template.

Every value here is already a formatted string in the brief's language (or a figure's data
URI); the templates in ``report/templates/sections/`` hold the markup and escape every value.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from helpers import __version__
from helpers.core.contracts import RankingRow
from helpers.core.formatting import date as fmt_date
from helpers.core.formatting import number, percent
from helpers.core.paths import REPO_ROOT
from helpers.core.provenance import git_commit
from helpers.core.text import has_text
from helpers.core.thresholds import ranking_window
from helpers.data.dataset import DEMO_LABEL
from helpers.report.brief import charts, findings, sentences
from helpers.report.brief.findings import (
    CARRY_OVER_SHARE,
    DEC_JAN_SHARE,
    DISTRICT_GAP_PP,
    MIN_LINES,
    RECURRENT_GAP_PP,
)
from helpers.report.brief.model import (
    DISTRICT_LEVEL_ENDED,
    Brief,
    capital_rates,
    districts,
    province_row,
    unit_name,
)
from helpers.report.brief.values import (
    common,
    deadline_daymonth,
    demo_note,
    fmt_int,
    fmt_months,
    fmt_mvnd,
    fmt_pct,
    fmt_pp,
    fmt_value,
    lc_first,
    name,
    num,
    number_or_zero,
    ratio,
    t,
    year_end_daymonth,
)


def figure(uri: str | None, caption: str, fig_id: str) -> dict[str, str] | None:
    """A figure for a template (None when there is no image); only embedded PNGs pass."""
    if not uri:
        return None
    if not uri.startswith(charts.PNG_URI):
        raise ValueError("figures must be embedded PNG data URIs")
    return {"id": fig_id, "uri": uri, "caption": caption}


def table(
    caption: str,
    head: list[tuple[str, bool]],
    rows: list[list[str]],
    classes: list[str | None] | None = None,
    table_id: str | None = None,
) -> dict[str, Any]:
    """A table for a template: ``head`` = (label, numeric); cells are plain text."""
    return {
        "id": table_id,
        "caption": caption,
        "head": [{"label": h, "num": n} for h, n in head],
        "rows": [{"cells": r, "cls": classes[i] if classes else None} for i, r in enumerate(rows)],
    }


def base(b: Brief) -> dict[str, Any]:
    """Values every section template may use."""
    return {
        "lang": b.lang,
        "demo": b.demo,
        "demo_label": DEMO_LABEL,
        "demo_note": demo_note(b.lang),
    }


# --------------------------------------------------------------------------- title, key figures
def title_context(b: Brief) -> dict[str, Any]:
    """Program, scope, period, purpose, data date, preparation date."""
    lang = b.lang
    scope_key = "scope_line_district" if b.is_district else "scope_line_province"
    geo = b.metrics.geography
    if b.kind in ("new_unit", "former_commune") and geo is not None:
        scope_key = f"scope_line_{b.kind}"
    meta = [
        t(
            scope_key,
            lang,
            name=b.scope_name(),
            code=b.unit_code,
            n=fmt_int(len(geo.formers) if geo else 0, lang),
        ),
        t("as_of", lang, date=b.as_of),
        t("prepared", lang, date=fmt_date(b.generated_at.date().isoformat(), lang)),
    ]
    return base(b) | {
        "program": name("program", lang),
        "title": b.title(),
        "subtitle": t("subtitle", lang, next_period=b.next_period),
        "meta": " · ".join(meta),
    }


def key_figures(b: Brief) -> list[dict[str, str]]:
    """The key-figures panel as ``{key, label, value, note}`` (values formatted per language)."""
    m, lang = b.metrics, b.lang
    rates = capital_rates(m)
    carried = m.carried_over_mvnd
    targets = (
        t(
            "kf_targets_value",
            lang,
            met=fmt_int(m.targets_met, lang),
            total=fmt_int(m.targets_total, lang),
        )
        if m.targets_total
        else t("na", lang)
    )
    tnote = (
        t(
            "kf_targets_note",
            lang,
            not_met=fmt_int(m.targets_not_met, lang),
            no_data=fmt_int(m.targets_no_data, lang),
        )
        if m.targets_total
        else ""
    )
    carried_note = t("kf_share_note", lang, share=fmt_pct(ratio(carried, m.allocated_mvnd), lang))
    return [
        {
            "key": "allocated",
            "label": t("kf_allocated", lang, period=b.period),
            "value": fmt_mvnd(m.allocated_mvnd, lang),
            "note": t("kf_allocated_note", lang),
        },
        {
            "key": "disbursed",
            "label": t("kf_disbursed", lang, date=b.as_of),
            "value": fmt_mvnd(m.disbursed_mvnd, lang),
            "note": t("kf_share_note", lang, share=fmt_pct(rates["last"], lang)),
        },
        {
            "key": "execution_rate_deadline",
            "label": t("kf_deadline", lang, deadline=deadline_daymonth(lang)),
            "value": fmt_pct(rates["deadline"], lang),
            "note": fmt_mvnd(m.disbursed_deadline_mvnd, lang),
        },
        {
            "key": "carried_over",
            "label": t("kf_carried", lang),
            "value": fmt_mvnd(carried, lang),
            "note": carried_note if carried is not None else "",
        },
        {"key": "targets_met", "label": t("kf_targets", lang), "value": targets, "note": tnote},
    ]


def key_figures_context(b: Brief) -> dict[str, Any]:
    return base(b) | {"figures": key_figures(b)}


# --------------------------------------------------------------------------- capital
def by_year_table(b: Brief) -> dict[str, Any]:
    """Allocated and disbursed by plan year at the three cut-offs, with the total."""
    lang, m = b.lang, b.metrics
    head = [
        (t("col_year", lang), False),
        (t("col_allocated", lang), True),
        (t("col_by", lang, date=year_end_daymonth(lang)), True),
        (t("col_by_next", lang, date=deadline_daymonth(lang)), True),
        (common("last", lang), True),
        (t("col_rate_deadline", lang), True),
    ]
    rows = []
    for r in m.by_year:
        rate = ratio(r.disbursed_deadline_mvnd, r.allocated_mvnd)
        rows.append(
            [
                str(r.plan_year),
                number_or_zero(r.allocated_mvnd, lang),
                number_or_zero(r.disbursed_dec31_mvnd, lang),
                number_or_zero(r.disbursed_deadline_mvnd, lang),
                number_or_zero(r.disbursed_last_mvnd, lang),
                "–" if rate is None else fmt_pct(rate, lang),
            ]
        )
    rows.append(
        [
            t("col_total", lang),
            number_or_zero(m.allocated_mvnd, lang),
            fmt_int(m.disbursed_dec31_mvnd, lang),
            fmt_int(m.disbursed_deadline_mvnd, lang),
            number_or_zero(m.disbursed_mvnd, lang),
            fmt_pct(capital_rates(m)["deadline"], lang),
        ]
    )
    classes = [None] * (len(rows) - 1) + ["highlight"]
    return table(t("tbl_by_year", lang), head, rows, classes, "table-by-year")


def sources_table(b: Brief) -> dict[str, Any] | None:
    """Allocated and disbursed by source of funds (sources with an allocation)."""
    lang = b.lang
    head = [
        (t("col_source", lang), False),
        (common("allocated", lang), True),
        (common("disbursed", lang), True),
        (t("col_rate_last", lang), True),
    ]
    rows = [
        [
            common(key, lang) if has_text(f"common.{key}", lang) else key,
            fmt_int(row.allocated_mvnd, lang),
            fmt_int(row.disbursed_mvnd, lang),
            fmt_pct(ratio(row.disbursed_mvnd, row.allocated_mvnd), lang),
        ]
        for key, row in b.metrics.by_source.items()
        if row.allocated_mvnd
    ]
    return table(t("tbl_sources", lang), head, rows, table_id="table-sources") if rows else None


def capital_context(b: Brief) -> dict[str, Any]:
    """Totals, cut-offs, years, capital types, carry-over, bunching and PEFA grades."""
    m, lang = b.metrics, b.lang
    if not b.has_lines:
        return base(b) | {
            "period": b.period,
            "lead": [sentences.sentence_no_lines(b)],
            "fig_by_year": None,
            "by_year_table": None,
            "more": [],
            "fig_types": None,
            "sources_table": None,
            "fig_monthly": None,
        }
    lead = [sentences.sentence_totals(m, lang, b.scope_phrase())]
    if m.allocated_mvnd:
        lead += sentences.sentence_cutoffs(m, lang) + sentences.sentence_years(m, lang)
    types = sentences.sentence_capital_types(m, lang)
    conc = sentences.sentence_concentration(m, lang)
    more = ([types] if types else []) + sentences.sentence_carry_over(m, lang)
    more += ([conc] if conc else []) + sentences.sentence_pefa(m, lang)
    monthly = charts.upstream_png(b, "metrics", "monthly_profile.png")
    return base(b) | {
        "period": b.period,
        "lead": lead,
        "fig_by_year": figure(charts.chart_by_year(b), t("fig_by_year", lang), "fig-by-year"),
        "by_year_table": by_year_table(b),
        "more": more,
        "fig_types": figure(
            charts.chart_capital_types(b),
            t("fig_types", lang, cutoffs=charts.capital_type_cutoffs(lang)),
            "fig-types",
        ),
        "sources_table": sources_table(b),
        "fig_monthly": figure(monthly, t("fig_monthly", lang), "fig-monthly"),
    }


# --------------------------------------------------------------------------- timing, targets
def timing_context(b: Brief) -> dict[str, Any]:
    """Months to disburse, the timing effect, lines without reports, the dated scenario with
    its interval, support and gain by plan year, and the feasible calendar beside it."""
    lang, lag = b.lang, b.lag
    if not b.has_lines:
        no_lines = [sentences.sentence_no_lines(b)]
        return base(b) | {"paragraphs": no_lines, "fig_counterfactual": None, "fig_profiles": None}
    prov = sentences.sentence_timing_province(lag, lang) if b.is_district else None
    optional = [
        prov,
        sentences.sentence_not_reported(lag, lang),
        sentences.sentence_counterfactual(lag, b.metrics, lang),
        sentences.sentence_moved(lag, lang),
        sentences.sentence_support(lag, lang),
        sentences.sentence_cf_years(lag, lang),
        sentences.sentence_feasible(lag, b.metrics, lang),
    ]
    paras = [sentences.sentence_months(lag, lang), sentences.sentence_timing_effect(lag, lang)]
    paras += [p for p in optional if p]
    by_year = charts.chart_counterfactual_by_year(b)
    key, uri = ("fig_cf_years", by_year) if by_year else ("fig_cf", charts.chart_counterfactual(b))
    caption = t(key, lang, date=b.cf_date, level=b.ci_level)
    cf = figure(uri, caption, "fig-counterfactual")
    upstream = charts.upstream_png(b, "lag", "profiles.png")
    if upstream:
        profiles = figure(upstream, t("fig_profiles", lang), "fig-profiles")
    else:
        profiles = figure(charts.chart_profiles(b), t("fig_profiles_drawn", lang), "fig-profiles")
    return base(b) | {"paragraphs": paras, "fig_counterfactual": cf, "fig_profiles": profiles}


def targets_table(b: Brief) -> dict[str, Any] | None:
    """The target scorecard (None when ``metrics.json`` lists no indicator)."""
    card = b.metrics.target_scorecard
    if not card:
        return None
    lang = b.lang
    head = [
        (t("col_indicator", lang), False),
        (t("col_baseline", lang), True),
        (t("col_target", lang), True),
        (t("col_latest", lang), True),
        (t("col_status", lang), False),
    ]
    rows = [
        [
            getattr(r, f"name_{lang}") or r.name_vi or r.indicator_code,
            fmt_value(r.baseline_value, lang),
            fmt_value(r.target_value, lang),
            fmt_value(r.latest_value, lang),
            t(f"st_{r.status}", lang),
        ]
        for r in card
    ]
    return table(t("tbl_targets", lang), head, rows, table_id="table-targets")


def targets_context(b: Brief) -> dict[str, Any]:
    """N of M targets met, and the scorecard table (none for a scope without indicators)."""
    return base(b) | {
        "summary": sentences.sentence_targets(b.metrics, b.lang),
        "table": targets_table(b),
    }


# --------------------------------------------------------------------------- ranking, proposals
def _cell_ci(v: str, lo: float | None, hi: float | None, fmt: Any, lang: str) -> str:
    """ "62.1% (55.0%–69.3%)": a value with its interval (open above when ``hi`` is None)."""
    if num(lo) is None:
        return v
    if num(hi) is None:
        return t("cell_ci_open", lang, v=v, lo=fmt(lo, lang))
    return t("cell_ci", lang, v=v, lo=fmt(lo, lang), hi=fmt(hi, lang))


def months_cell(r: RankingRow, lang: str) -> str:
    """Kaplan–Meier median months to half disbursed with its interval, or "not reached"."""
    if r.median_months_to_50 is None:
        return t("not_reached", lang) if r.n_lines_timed else t("na", lang)
    m = fmt_months(r.median_months_to_50, lang)
    return _cell_ci(
        m, r.median_months_to_50_ci_low, r.median_months_to_50_ci_high, fmt_months, lang
    )


def adjusted_cell(r: RankingRow, lang: str) -> str:
    """The mix-adjusted rate with its interval ("–" without one)."""
    if r.adjusted_rate is None:
        return t("na", lang)
    v = fmt_pct(r.adjusted_rate, lang)
    return _cell_ci(v, r.adjusted_ci_low, r.adjusted_ci_high, fmt_pct, lang)


def ranking_table(b: Brief) -> dict[str, Any]:
    """Districts by rank, with the province as the reference row: the execution rate at the
    deadline, the mix-adjusted rate with its interval and rank, and the Kaplan–Meier median
    months to half disbursed with its interval."""
    lang = b.lang
    rows_in = sorted(districts(b.ranking), key=lambda r: r.rank if r.rank is not None else 1e9)
    prov = province_row(b.ranking)
    level = percent(b.district_model.ci_level if b.district_model else 0.95, lang, 0)
    head = [
        (t("col_rank", lang), True),
        (t("col_unit", lang), False),
        (t("col_rate_deadline", lang), True),
        (t("col_adjusted", lang, level=level), True),
        (t("col_adj_rank", lang), True),
        (t("col_months50", lang, p50=percent(0.5, lang, 0), level=level), True),
    ]
    shown, _ = ranking_window(
        [r.unit_code for r in rows_in], b.unit_code if b.is_district else None
    )
    rows, classes = [], []
    gap = 0
    for r in rows_in + ([prov] if prov else []):
        is_prov = r is prov
        if not is_prov and r.unit_code not in shown:
            gap += 1
            continue
        if gap:
            rows.append(["", t("ranking_omitted_row", lang, n=fmt_int(gap, lang)), "", "", "", ""])
            classes.append("omitted")
            gap = 0
        unit = unit_name(r, lang)
        rows.append(
            [
                "" if is_prov else fmt_int(r.rank, lang),
                t("province_row", lang, name=unit) if is_prov else unit,
                fmt_pct(r.execution_rate, lang),
                adjusted_cell(r, lang),
                "" if is_prov or r.adjusted_rank is None else fmt_int(r.adjusted_rank, lang),
                months_cell(r, lang),
            ]
        )
        mine = b.is_district and r.unit_code == b.unit_code
        classes.append("reference" if is_prov else ("highlight" if mine else None))
    return table(t("tbl_ranking", lang), head, rows, classes, "table-ranking")


def ranking_context(b: Brief) -> dict[str, Any]:
    """A district's standing among the province's districts, or the spread of districts; the
    table's note says which model adjusts the rates and how the months are counted."""
    if b.is_commune_level:
        return base(b) | {"show": False}
    compared = sentences.ranking_compared(b)
    if not b.has_lines:
        paragraphs = [sentences.sentence_no_lines(b)]
    else:
        paragraphs = sentences.sentence_ranking(b)
    level = percent(b.district_model.ci_level if b.district_model else 0.95, b.lang, 0)
    fig = figure(charts.chart_ranking(b), t("fig_ranking", b.lang, level=level), "fig-ranking")
    note = t("rk_note", b.lang, level=level, p50=percent(0.5, b.lang, 0), hc=name("hc1", b.lang))
    district_map = None
    if not b.is_district:
        district_map = figure(
            charts.chart_district_map(b),
            t("fig_district_map", b.lang, date=fmt_date(DISTRICT_LEVEL_ENDED, b.lang)),
            "fig-district-map",
        )
    return base(b) | {
        "show": True,
        "is_district": b.is_district,
        "paragraphs": paragraphs,
        "fig_district_map": district_map,
        "fig_ranking": fig if compared else None,
        "table": ranking_table(b) if compared else None,
        "note": note if compared else None,
    }


def proposals_context(b: Brief) -> dict[str, Any]:
    """Proposals for the next period, each with the finding and number it rests on."""
    items = [
        {"key": p.key, "title": p.title, "text": p.text, "basis": p.finding.text}
        for p in findings.proposals(b)
    ]
    return base(b) | {"next_period": b.next_period, "proposals": items}


# --------------------------------------------------------------------------- method, provenance
def method_notes(b: Brief) -> list[str]:
    """The method and data notes, as plain-text items."""
    lang, m = b.lang, b.metrics
    years = ", ".join(str(y) for y in m.pefa_aggregate_years) or "–"
    notes = [
        t(
            "mn_cutoffs",
            lang,
            dec31=lc_first(common("dec31", lang)),
            deadline=lc_first(common("deadline", lang)),
            last=lc_first(common("last", lang)),
            as_of=b.as_of,
        ),
        t(
            "mn_pefa",
            lang,
            pefa=name("pefa", lang),
            pi1=name("pi1", lang),
            pi2=name("pi2", lang),
            years=years,
        ),
        t("mn_lag", lang, n=fmt_int(b.lag.n_lines, lang), date=b.cf_date),
        t("mn_small", lang, min=number(MIN_LINES, lang)),
        t(
            "mn_thresholds",
            lang,
            gap=fmt_pp(RECURRENT_GAP_PP, lang),
            carry=percent(CARRY_OVER_SHARE, lang, 0),
            decjan=percent(DEC_JAN_SHARE, lang, 0),
            district=fmt_pp(DISTRICT_GAP_PP, lang),
        ),
    ]
    if b.is_district:
        ended = fmt_date(DISTRICT_LEVEL_ENDED.isoformat(), lang)
        notes.append(t("mn_district_level", lang, date=ended))
    if m.data_origin:
        notes.append(t("mn_origin", lang, origin=display_value(m.data_origin)))
    if b.demo:
        notes.append(demo_note(lang))
    return notes


def method_context(b: Brief) -> dict[str, Any]:
    """How the numbers were computed and what the data are."""
    return base(b) | {
        "notes": method_notes(b) + sentences.ph_verdicts(b.lag, b.lang),
        "caveats": sentences.caveats(b.lag, b.lang),
    }


def display_path(p: Path) -> str:
    """``p`` relative to the repository, else its file name (never an absolute path)."""
    try:
        return p.resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return p.name


def display_value(value: object) -> str:
    """A parameter or data origin as a brief shows it: a path (absolute, or starting with
    ``~``) through :func:`display_path`, so no folder of the machine that made the brief is
    published; any other text unchanged."""
    text = str(value).strip()
    path = Path(text).expanduser()
    return display_path(path) if text and path.is_absolute() else text


def provenance(b: Brief) -> list[tuple[str, str]]:
    """Rows of the provenance footer as (label, plain text)."""
    lang, m = b.lang, b.metrics
    unknown = t("pv_unknown", lang)
    sha = name("sha", lang)
    inputs = "; ".join(
        f"{display_path(p)} ({sha} {hashlib.sha256(p.read_bytes()).hexdigest()[:16]}…)"
        for p in b.inputs.values()
        if p.is_file()
    )
    params = ", ".join(f"{k}={display_value(v)!r}" for k, v in b.params.items())
    rows = [
        (t("pv_source", lang), display_value(m.data_origin) or unknown),
        (sha, m.data_sha256 or unknown),
        (t("pv_inputs", lang), inputs or unknown),
        (t("pv_params", lang), params or unknown),
        (t("pv_version", lang), f"mtqg-workbench {__version__}"),
        (t("pv_commit", lang), git_commit() or unknown),
        (t("pv_time", lang), b.generated_at.isoformat()),
    ]
    if b.demo:
        rows.insert(0, (DEMO_LABEL, demo_note(lang)))
    return rows


def provenance_context(b: Brief) -> dict[str, Any]:
    """Data source and SHA-256, parameters, workbench version and commit, run time."""
    return base(b) | {"rows": provenance(b)}
