"""The brief's section "2026–2030: what the next period needs", from ``outlook.json``.

It states the plan the outlook rests on (the plan table, or the assumption with its formula and
sources), says when the evidence is too thin to project, shows per scenario what 2026–2030's
capital would disburse by the deadlines, carry over and risk losing, proposes from those
numbers (each proposal citing its number and interval) and sets the indicators' current pace
against the pace their 2030 targets need. Nothing is recomputed: every number is read from the
:class:`helpers.core.contracts.Outlook` the outlook notebook wrote.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from typing import Any

from helpers.core.contracts import Band, Outlook, OutlookIndicator, OutlookTotal
from helpers.core.formatting import bvnd, day_month, number, percent
from helpers.core.formatting import date as fmt_date
from helpers.core.text import tr
from helpers.report.brief.charts import PNG_SIGNATURE, PNG_URI, png_data_uri
from helpers.report.brief.model import Brief
from helpers.report.brief.sections import base, figure, table
from helpers.report.brief.values import fmt_bvnd_prose, fmt_period
from helpers.report.figures.outlook import plot_fan

PHASE = (2021, 2025)
RECENT = (2023, 2025)
CI_LEVEL = 0.95
OFF_TRACK_LISTED = 4
"""Off-track indicators named in the proposal (the table lists them all)."""


def o(key: str, lang: str, **values: object) -> str:
    """The outlook's text ``outlook.<key>`` in ``lang``."""
    return tr(f"outlook.{key}", lang, **values)


def scenario_name(sc: dict[str, Any], lang: str) -> str:
    """The scenario's words (as the outlook's charts name it)."""
    if sc.get("kind") == "observed":
        return o("scenario.observed", lang, period=fmt_period(RECENT))
    if sc.get("kind") == "feasible":
        return o("scenario.feasible", lang)
    m = re.fullmatch(r"(prev-)?(\d{2})-(\d{2})", str(sc.get("date") or ""))
    if m is None:
        return str(sc.get("id"))
    day = day_month(dt.date(2000, int(m.group(2)), int(m.group(3))), lang)
    return o("scenario.date_prev" if m.group(1) else "scenario.date", lang, day=day)


def _bn(v: float | None, lang: str) -> str:
    return "–" if v is None else number(v / 1000.0, lang, 0)


def _band_cell(b: Band | None, lang: str) -> str:
    if b is None or b.mean is None:
        return o("not_projected", lang)
    return f"{_bn(b.mean, lang)} ({_bn(b.low, lang)}–{_bn(b.high, lang)})"


def _between(b: Band, lang: str) -> str:
    return o("interval", lang, lo=fmt_bvnd_prose(b.low, lang), hi=fmt_bvnd_prose(b.high, lang))


def plan_paragraph(b: Brief, out: Outlook) -> str:
    """The plan the outlook rests on, with the assumption's formula and sources."""
    lang, nxt = b.lang, fmt_period(out.years)
    per_year = sum(r["amount_mvnd"] for r in out.plan_by_year) / max(len(out.years), 1)
    if out.plan_basis == "table":
        return o("plan_table", lang, next_period=nxt, per_year=fmt_bvnd_prose(per_year, lang))
    a = out.assumption or {}
    env = a.get("national_central_2026_2030_mvnd", {})
    values = {
        "scope": b.scope_name(),
        "period": fmt_period(PHASE),
        "next_period": nxt,
        "share": percent(a.get("province_share"), lang, 2),
        "national": bvnd(a.get("national_central_2021_2025_mvnd", 0.0), lang, 0),
        "investment": bvnd(env.get("investment", 0.0), lang, 0),
        "recurrent": bvnd(env.get("recurrent", 0.0), lang, 0),
        "local_ratio": percent(a.get("local_ratio"), lang, 1),
        "unit_share": percent(a.get("scope_share_of_province"), lang, 1),
        "per_year": fmt_bvnd_prose(per_year, lang),
        "sources": ", ".join(a.get("source_ids", [])),
    }
    key = "plan_assumed" if out.scope == "province" else "plan_assumed_unit"
    return o(key, lang, **values)


def evidence_paragraph(b: Brief, out: Outlook) -> str | None:
    """Why a scope is not projected (thin evidence, no history, a unit that ceased)."""
    lang = b.lang
    values = {
        "scope": b.scope_name(),
        "n": number(out.n_lines_history, lang),
        "min": number(out.min_lines, lang),
        "period": fmt_period(PHASE),
        "next_period": fmt_period(out.years),
    }
    if out.evidence == "thin":
        return o("thin", lang, **values)
    if out.evidence == "no_history":
        return o("no_history", lang, **values)
    if out.evidence == "ceased":
        return o("ceased", lang, date=fmt_date(dt.date(2025, 7, 1), lang), **values)
    return None


def _scenarios(out: Outlook) -> dict[str, dict[str, Any]]:
    return {s["id"]: s for s in out.scenarios}


def totals_table(b: Brief, out: Outlook) -> dict[str, Any] | None:
    """Per scenario over 2026–2030: planned, disbursed by the deadlines, carried over, at risk."""
    if out.evidence != "ok" or not out.totals:
        return None
    lang, names = b.lang, _scenarios(out)
    rows = []
    for tot in out.totals:
        name = scenario_name(names.get(tot.scenario, {"id": tot.scenario}), lang)
        if tot.status != "projected":
            rows.append([name, _bn(_planned(out), lang)] + [o("not_estimable", lang)] * 3)
            continue
        rows.append(
            [
                name,
                _bn(tot.allocated_mvnd, lang),
                _band_cell(tot.disbursed_deadline, lang),
                _band_cell(tot.carried_over, lang),
                _band_cell(tot.at_risk_of_lapse, lang),
            ]
        )
    head = [
        (o("col_scenario", lang), False),
        (o("col_planned", lang), True),
        (o("col_deadline", lang), True),
        (o("col_carried", lang), True),
        (o("col_lapse", lang), True),
    ]
    caption = o(
        "tbl_caption",
        lang,
        next_period=fmt_period(out.years),
        level=percent(CI_LEVEL, lang, 0),
    )
    if out.demo:
        caption += " (DEMO)"
    return table(caption, head, rows, table_id="outlook-totals")


def _planned(out: Outlook) -> float:
    return float(sum(r["amount_mvnd"] for r in out.plan_by_year))


def _total(out: Outlook, scenario: str) -> OutlookTotal | None:
    return next((t for t in out.totals if t.scenario == scenario and t.status == "projected"), None)


def money_proposals(b: Brief, out: Outlook) -> list[dict[str, str]]:
    """Proposals from the projected amounts, each citing its number and interval."""
    lang, names, items = b.lang, _scenarios(out), []
    nxt, recent = fmt_period(out.years), fmt_period(RECENT)
    for tot in out.totals:
        gain = tot.gain_vs_observed_deadline
        if tot.status != "projected" or gain is None or gain.mean is None:
            continue
        name = scenario_name(names[tot.scenario], lang)
        items.append(
            {
                "key": f"outlook-gain-{tot.scenario}",
                "title": o("pr_gain_title", lang, scenario=name),
                "text": o(
                    "pr_gain",
                    lang,
                    scenario=name,
                    gain=fmt_bvnd_prose(gain.mean, lang),
                    next_period=nxt,
                    period=recent,
                ),
                "basis": o("pr_gain_basis", lang, interval=_between(gain, lang)),
            }
        )
    observed = _total(out, "observed")
    if observed is not None and observed.at_risk_of_lapse is not None:
        lapse = observed.at_risk_of_lapse
        share = (lapse.mean or 0.0) / _planned(out) if _planned(out) else None
        items.append(
            {
                "key": "outlook-lapse",
                "title": o("pr_lapse_title", lang),
                "text": o(
                    "pr_lapse",
                    lang,
                    lapse=fmt_bvnd_prose(lapse.mean, lang),
                    share=percent(share, lang, 0),
                    period=recent,
                    next_period=nxt,
                ),
                "basis": o("pr_lapse_basis", lang, interval=_between(lapse, lang)),
            }
        )
    return items


def _fmt_value(v: float | None, lang: str) -> str:
    if v is None:
        return "–"
    return number(v, lang, 0 if abs(v) >= 100 or v == 0 else (1 if abs(v) >= 1 else 2))


def _ind_name(i: OutlookIndicator, lang: str) -> str:
    return i.name_en if lang == "en" else i.name_vi


def indicator_proposal(b: Brief, out: Outlook) -> dict[str, str] | None:
    """One proposal naming the off-track indicators with the pace each needs."""
    lang = b.lang
    off = [i for i in out.indicators if i.status == "off_track"]
    if not off:
        return None
    parts = [
        o(
            "pr_pace_item",
            lang,
            name=_ind_name(i, lang),
            needed=_fmt_value(i.pace_needed_per_year, lang),
            pace=_fmt_value(i.pace_per_year, lang),
        )
        for i in off[:OFF_TRACK_LISTED]
    ]
    return {
        "key": "outlook-indicators",
        "title": o("pr_pace_title", lang, year=str(max(out.years))),
        "text": o("pr_pace", lang, n=number(len(off), lang), year=str(max(out.years))),
        "basis": "; ".join(parts),
    }


def indicators_table(b: Brief, out: Outlook) -> dict[str, Any] | None:
    """Indicators with a 2030 target: latest, pace, pace needed, value in 2030, status."""
    lang = b.lang
    rows, classes = [], []
    for i in out.indicators:
        if i.target_2030 is None:
            continue
        v = i.value_2030
        value = "–" if v is None else _fmt_value(v.mean, lang)
        if v is not None and v.low is not None and v.high is not None:
            value += f" ({_fmt_value(v.low, lang)}–{_fmt_value(v.high, lang)})"
        latest = _fmt_value(i.latest_value, lang)
        if i.latest_year is not None:
            latest += f" ({i.latest_year})"
        rows.append(
            [
                _ind_name(i, lang),
                latest,
                _fmt_value(i.pace_per_year, lang),
                _fmt_value(i.pace_needed_per_year, lang),
                value,
                _fmt_value(i.target_2030, lang)
                + ("*" if i.target_2030_basis == "published" else ""),
                o(f"status.{i.status}", lang),
            ]
        )
        classes.append("off-track" if i.status == "off_track" else None)
    if not rows:
        return None
    year = str(max(out.years))
    head = [
        (o("col_indicator", lang), False),
        (o("col_latest", lang), True),
        (o("col_pace", lang), True),
        (o("col_needed", lang), True),
        (o("col_value", lang, year=year), True),
        (o("col_target", lang, year=year), True),
        (o("col_status", lang), False),
    ]
    caption = o("ind_caption", lang, year=year, level=percent(CI_LEVEL, lang, 0))
    return table(caption, head, rows, classes, table_id="outlook-indicators")


def indicator_summary(b: Brief, out: Outlook) -> str:
    lang = b.lang
    counts = {s: sum(1 for i in out.indicators if i.status == s) for s in ("on_track", "off_track")}
    if not out.indicators:
        return o("ind_none", lang, scope=b.scope_name(), year=str(max(out.years)))
    nodata = len(out.indicators) - counts["on_track"] - counts["off_track"]
    return o(
        "ind_summary",
        lang,
        year=str(max(out.years)),
        on=number(counts["on_track"], lang),
        off=number(counts["off_track"], lang),
        nodata=number(nodata, lang),
        total=number(len(out.indicators), lang),
    )


def _upstream_fan(b: Brief, out: Outlook) -> str | None:
    """The outlook notebook's fan chart, when drawn in the brief's language."""
    folder = b.inputs.get("outlook")
    name = "outlook_fan.png"
    if folder is None or name not in out.figures or out.parameters.get("lang") != b.lang:
        return None
    path = folder.parent / name
    raw = path.read_bytes() if path.is_file() else b""
    return (
        PNG_URI + base64.b64encode(raw).decode("ascii") if raw.startswith(PNG_SIGNATURE) else None
    )


def fan_chart(b: Brief, out: Outlook) -> dict[str, str] | None:
    """The fan chart: the notebook's PNG when drawn in the brief's language, else drawn here
    from ``outlook.json`` (the batch runs the outlook once per scope, in Vietnamese)."""
    uri = _upstream_fan(b, out)
    if uri is None and out.cumulative:
        fig = plot_fan(out.model_dump(mode="json"), b.lang)
        uri = png_data_uri(fig) if fig is not None else None
    if uri is None:
        return None
    caption = o(
        "fig_fan", b.lang, next_period=fmt_period(out.years), level=percent(CI_LEVEL, b.lang, 0)
    )
    return figure(uri, caption, "fig-outlook-fan")


def outlook_context(b: Brief) -> dict[str, Any]:
    """The section's values (an empty context renders nothing when there is no outlook)."""
    out: Outlook | None = getattr(b, "outlook", None)
    if out is None:
        return base(b) | {"outlook": None}
    lang = b.lang
    paragraphs = [plan_paragraph(b, out)] if out.evidence != "ceased" else []
    why = evidence_paragraph(b, out)
    if why:
        paragraphs.append(why)
    proposals = money_proposals(b, out) if out.evidence == "ok" else []
    pace = indicator_proposal(b, out)
    if pace:
        proposals.append(pace)
    method = [o("method", lang, n=number(out.n_sims, lang), period=fmt_period(RECENT))]
    if out.evidence == "ceased":
        method = []
    if any(i.target_2030_basis == "published" for i in out.indicators):
        method.append(o("published_note", lang))
    return base(b) | {
        "outlook": out,
        "heading": o("h_title", lang, next_period=fmt_period(out.years)),
        "paragraphs": paragraphs,
        "totals_table": totals_table(b, out),
        "fig_fan": fan_chart(b, out),
        "proposals": proposals,
        "basis_word": o("pr_basis", lang),
        "indicator_summary": indicator_summary(b, out) if out.evidence != "ceased" else None,
        "indicators_table": indicators_table(b, out),
        "method": method,
    }
