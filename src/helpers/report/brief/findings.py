"""Findings of the review and the proposals that answer them, with the thresholds between.

The thresholds that turn a finding into a proposal are design choices of this workbench, not
rules of the program; they are module constants so a province can change them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from helpers.core.contracts import Counterfactual, Lag, Metrics, TimingEffect
from helpers.core.formatting import date as fmt_date
from helpers.core.formatting import number
from helpers.core.thresholds import MIN_LINES
from helpers.report.brief.model import (
    DISTRICT_LEVEL_ENDED,
    Brief,
    capital_rates,
    districts,
    province_row,
    unit_name,
)
from helpers.report.brief.values import (
    fmt_bvnd_prose,
    fmt_int,
    fmt_interval,
    fmt_mvnd,
    fmt_pct,
    fmt_pp,
    interval_excludes_zero,
    num,
    ratio,
    t,
)

RECURRENT_GAP_PP = 5.0
"""Investment minus recurrent execution rate at the deadline (percentage points) above which
the brief proposes simpler recurrent-capital procedures."""

CARRY_OVER_SHARE = 0.10
"""Carried-over capital as a share of the allocation above which carry-over is a finding."""

DEC_JAN_SHARE = 0.30
"""Share of a year's disbursement in December and January above which year-end bunching is a
finding (an even profile puts about 2/13 ≈ 15 % there)."""

DISTRICT_GAP_PP = 5.0
"""A district whose deadline execution rate is this many points below the province's is
behind."""


def _status(n_lines: float | None, estimate: float | None, lo: float | None, hi: float | None):
    if num(estimate) is None:
        return "na"
    if n_lines is None or n_lines < MIN_LINES:
        return "few"
    return "ok" if interval_excludes_zero(lo, hi) else "wide"


def headline_effect(lag: Lag) -> TimingEffect:
    """The timing effect the brief quotes: weighted by amount (the change of the execution
    rate) when ``lag.json`` has it, else the average over lines."""
    weighted = lag.timing_effect_pp_per_month_weighted
    if weighted is not None and num(weighted.estimate) is not None:
        return weighted
    return lag.timing_effect_pp_per_month


def timing_effect_status(lag: Lag) -> str:
    """``ok``, ``few`` (fewer than :data:`MIN_LINES` lines), ``wide`` (interval includes
    zero) or ``na`` (no estimate), for the :func:`headline_effect`."""
    eff = headline_effect(lag)
    return _status(lag.n_lines, eff.estimate, eff.ci_low, eff.ci_high)


def province_effect_status(lag: Lag) -> str:
    """:func:`timing_effect_status` of the province-wide effect a district's result carries."""
    prov = headline_effect(lag).province
    if not isinstance(prov, dict):
        return "na"
    n = num(prov.get("n_lines"))
    return _status(n, num(prov.get("estimate")), num(prov.get("ci_low")), num(prov.get("ci_high")))


def cf_interval(cf: Counterfactual) -> tuple[float | None, float | None]:
    """The interval of a scenario's gain the brief quotes: the wider of the delta-method and
    district-cluster bootstrap intervals when ``lag.json`` has it, else the delta-method one."""
    if num(cf.ci_wide_low) is not None and num(cf.ci_wide_high) is not None:
        return cf.ci_wide_low, cf.ci_wide_high
    return cf.ci_low, cf.ci_high


def counterfactual_status(lag: Lag, cf: Counterfactual | None = None) -> str:
    """Like :func:`timing_effect_status`, for the gain of a scenario (by default the dated
    one) with its :func:`cf_interval`."""
    cf = lag.counterfactual if cf is None else cf
    return _status(lag.n_lines, cf.gain_mvnd, *cf_interval(cf))


def feasible_status(lag: Lag) -> str:
    """:func:`counterfactual_status` of the feasible calendar (``na`` when absent)."""
    cf = lag.counterfactual_feasible
    return "na" if cf is None else counterfactual_status(lag, cf)


@dataclass(frozen=True)
class Finding:
    """A finding of the review with the number behind it (``values`` keeps the raw numbers)."""

    key: str
    text: str
    values: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Proposal:
    """A proposal for the next period, tied to the finding it answers."""

    key: str
    title: str
    text: str
    finding: Finding


def finding_late_allocation(b: Brief) -> Finding | None:
    """Late allocation went with less disbursed by the deadline: only when the scenario gain
    is estimated with enough lines and an interval away from zero, and positive. The feasible
    calendar's gain is cited beside it when it passes the same test."""
    if counterfactual_status(b.lag) != "ok":
        return None
    cf, eff = b.lag.counterfactual, headline_effect(b.lag)
    if cf.gain_mvnd <= 0:
        return None
    ok = timing_effect_status(b.lag) == "ok"
    lo, hi = cf_interval(cf)
    text = t(
        "fd_early",
        b.lang,
        period=b.period,
        date=b.cf_date,
        gain=fmt_bvnd_prose(cf.gain_mvnd, b.lang),
        interval=fmt_interval(lo, hi, b.ci_level, b.lang),
        effect=fmt_pp(eff.estimate, b.lang) if ok else t("na", b.lang),
    )
    values = {"gain_mvnd": cf.gain_mvnd, "ci_low": lo, "ci_high": hi}
    feasible = b.lag.counterfactual_feasible
    if feasible is not None and feasible_status(b.lag) == "ok" and feasible.gain_mvnd > 0:
        f_lo, f_hi = cf_interval(feasible)
        text += " " + t(
            "fd_early_feasible",
            b.lang,
            gain=fmt_bvnd_prose(feasible.gain_mvnd, b.lang),
            interval=fmt_interval(f_lo, f_hi, b.ci_level, b.lang),
        )
        values["feasible_gain_mvnd"] = feasible.gain_mvnd
    return Finding("late_allocation", text, values)


def finding_recurrent_slow(b: Brief) -> Finding | None:
    rates = capital_rates(b.metrics)
    inv, rec = rates["investment_deadline"], rates["recurrent_deadline"]
    if inv is None or rec is None or (inv - rec) * 100 <= RECURRENT_GAP_PP:
        return None
    gap = (inv - rec) * 100
    text = t(
        "fd_recurrent",
        b.lang,
        rec_rate=fmt_pct(rec, b.lang),
        inv_rate=fmt_pct(inv, b.lang),
        gap=fmt_pp(gap, b.lang),
    )
    return Finding("recurrent_slow", text, {"gap_pp": gap, "investment": inv, "recurrent": rec})


def finding_carry_over(b: Brief) -> Finding | None:
    carried = b.metrics.carried_over_mvnd
    share = ratio(carried, b.metrics.allocated_mvnd)
    if share is None or share <= CARRY_OVER_SHARE:
        return None
    text = t(
        "fd_carry",
        b.lang,
        carried=fmt_mvnd(carried, b.lang),
        share=fmt_pct(share, b.lang),
        lapsed=fmt_mvnd(b.metrics.lapsed_mvnd, b.lang),
    )
    return Finding("carry_over", text, {"carried_over_mvnd": carried, "share": share})


def finding_year_end(b: Brief) -> Finding | None:
    dj = num(b.metrics.dec_jan_share)
    if dj is None or dj <= DEC_JAN_SHARE:
        return None
    text = t("fd_yearend", b.lang, dec_jan=fmt_pct(dj, b.lang))
    return Finding("year_end", text, {"dec_jan_share": dj})


def not_met_names(m: Metrics, lang: str) -> str:
    """ ": name; name" of the targets not met (empty when the scorecard names none)."""
    names = [
        getattr(r, f"name_{lang}") or r.name_vi or r.indicator_code
        for r in m.target_scorecard
        if r.status == "not_met"
    ]
    return (": " + "; ".join(names)) if names else ""


def finding_targets(b: Brief) -> Finding | None:
    m = b.metrics
    if not m.targets_total or m.targets_not_met <= 0:
        return None
    text = t(
        "fd_targets",
        b.lang,
        not_met=fmt_int(m.targets_not_met, b.lang),
        total=fmt_int(m.targets_total, b.lang),
        names=not_met_names(m, b.lang),
    )
    return Finding("targets", text, {"not_met": m.targets_not_met, "total": m.targets_total})


def finding_districts(b: Brief) -> Finding | None:
    """A district behind the province (district brief) or the districts behind (province)."""
    rows, prov = districts(b.ranking), province_row(b.ranking)
    if len(rows) < 2 or prov is None or num(prov.execution_rate) is None:
        return None
    prov_rate = prov.execution_rate
    behind = [r for r in rows if (prov_rate - r.execution_rate) * 100 > DISTRICT_GAP_PP]
    if b.is_district:
        me = next((r for r in behind if r.unit_code == b.unit_code), None)
        if me is None:
            return None
        gap = (prov_rate - me.execution_rate) * 100
        text = t(
            "fd_district",
            b.lang,
            name=b.scope_name(),
            rate=fmt_pct(me.execution_rate, b.lang),
            prov_rate=fmt_pct(prov_rate, b.lang),
            gap=fmt_pp(gap, b.lang),
            rank=fmt_int(me.rank, b.lang),
            n=number(len(rows), b.lang),
        )
        return Finding("district_behind", text, {"gap_pp": gap})
    if not behind:
        return None
    names = ", ".join(
        f"{unit_name(r, b.lang)} ({fmt_pct(r.execution_rate, b.lang)})"
        for r in sorted(behind, key=lambda r: r.execution_rate)
    )
    text = t(
        "fd_districts",
        b.lang,
        count=number(len(behind), b.lang),
        prov_rate=fmt_pct(prov_rate, b.lang),
        threshold=fmt_pp(DISTRICT_GAP_PP, b.lang),
        names=names,
    )
    return Finding("districts_behind", text, {"count": len(behind)})


FINDERS: tuple[Callable[[Brief], Finding | None], ...] = (
    finding_late_allocation,
    finding_recurrent_slow,
    finding_carry_over,
    finding_year_end,
    finding_targets,
    finding_districts,
)
"""Findings in the order the proposals are listed."""


def findings(b: Brief) -> list[Finding]:
    """Every finding strong enough to support a proposal."""
    return [f for f in (finder(b) for finder in FINDERS) if f is not None]


def proposal_for(f: Finding, b: Brief) -> Proposal:
    """The proposal that answers finding ``f``."""
    lang = b.lang
    ended = fmt_date(DISTRICT_LEVEL_ENDED.isoformat(), lang)
    spec: dict[str, tuple[str, str]] = {
        "late_allocation": (t("pr_early_title", lang, date=b.cf_date), t("pr_early", lang)),
        "recurrent_slow": (t("pr_recurrent_title", lang), t("pr_recurrent", lang)),
        "carry_over": (t("pr_carry_title", lang), t("pr_carry", lang)),
        "year_end": (t("pr_yearend_title", lang), t("pr_yearend", lang)),
        "targets": (t("pr_targets_title", lang), t("pr_targets", lang)),
        "district_behind": (
            t("pr_district_title", lang, name=b.scope_name()),
            t("pr_district", lang, date=ended),
        ),
        "districts_behind": (t("pr_districts_title", lang), t("pr_districts", lang, date=ended)),
    }
    title, text = spec[f.key]
    return Proposal(f.key, title, text, f)


def proposals(b: Brief) -> list[Proposal]:
    """The proposals for the next period, one per finding."""
    return [proposal_for(f, b) for f in findings(b)]
