"""The brief's sentences: catalog templates filled with numbers from the results.

A sentence with too few data says so instead of guessing (see
:data:`~helpers.report.brief.findings.MIN_LINES`).
"""

from __future__ import annotations

import re

from helpers.core.contracts import Counterfactual, Lag, Metrics, RankingRow, TimingEffect
from helpers.core.formatting import date as fmt_date
from helpers.core.formatting import number, percent
from helpers.report.brief.findings import (
    DEC_JAN_SHARE,
    MIN_LINES,
    cf_interval,
    counterfactual_status,
    feasible_status,
    headline_effect,
    province_effect_status,
    timing_effect_status,
)
from helpers.report.brief.model import Brief, capital_rates, districts, province_row
from helpers.report.brief.values import (
    deadline_daymonth,
    fmt_bvnd_prose,
    fmt_cf_date,
    fmt_int,
    fmt_interval,
    fmt_months,
    fmt_mvnd,
    fmt_pct,
    fmt_period,
    fmt_pp,
    name,
    num,
    ratio,
    t,
    year_end_daymonth,
)


def scope_phrase(m: Metrics, lang: str) -> str:
    """ "toàn tỉnh Cao Bằng" / "Cao Bang province", or the district's name."""
    name_ = getattr(m, f"scope_name_{lang}") or m.scope_name_vi or m.unit_code
    key = "scope_province" if m.scope_level == "province" else "scope_district"
    return t(key, lang, name=name_)


def sentence_totals(m: Metrics, lang: str, phrase: str | None = None) -> str:
    """Allocated and disbursed over the period, with the rate at the last report."""
    if not m.allocated_mvnd:
        return t("cap_no_allocation", lang)
    return t(
        "cap_totals",
        lang,
        period=fmt_period(m.years),
        scope=phrase or scope_phrase(m, lang),
        allocated=fmt_mvnd(m.allocated_mvnd, lang),
        as_of=fmt_date(m.as_of, lang),
        disbursed=fmt_mvnd(m.disbursed_mvnd, lang),
        rate=fmt_pct(ratio(m.disbursed_mvnd, m.allocated_mvnd), lang),
    )


def sentence_cutoffs(m: Metrics, lang: str) -> list[str]:
    """Rates at the deadline and at 31 Dec, and what came after the deadline."""
    rates = capital_rates(m)
    out = [
        t(
            "cap_cutoffs",
            lang,
            deadline=deadline_daymonth(lang),
            rate_deadline=fmt_pct(rates["deadline"], lang),
            dec31=year_end_daymonth(lang),
            rate_dec31=fmt_pct(rates["dec31"], lang),
        )
    ]
    alloc, dl, last = m.allocated_mvnd, m.disbursed_deadline_mvnd, m.disbursed_mvnd
    if alloc and dl is not None and last is not None and last - dl > 0:
        out.append(
            t(
                "cap_after_deadline",
                lang,
                amount=fmt_mvnd(last - dl, lang),
                share=fmt_pct((last - dl) / alloc, lang),
            )
        )
    return out


def sentence_years(m: Metrics, lang: str) -> list[str]:
    """Years without allocation, and the best and worst year at the deadline."""
    out = []
    empty = [r.plan_year for r in m.by_year if not r.allocated_mvnd]
    if empty:
        out.append(t("cap_no_alloc_years", lang, years=", ".join(str(y) for y in empty)))
    rated = [(r.plan_year, ratio(r.disbursed_deadline_mvnd, r.allocated_mvnd)) for r in m.by_year]
    rated = [(y, v) for y, v in rated if v is not None]
    if len(rated) >= 2:
        worst = min(rated, key=lambda x: x[1])
        best = max(rated, key=lambda x: x[1])
        out.append(
            t(
                "cap_best_worst",
                lang,
                worst_year=worst[0],
                worst_rate=fmt_pct(worst[1], lang),
                best_year=best[0],
                best_rate=fmt_pct(best[1], lang),
            )
        )
    return out


def sentence_capital_types(m: Metrics, lang: str) -> str | None:
    """Investment against recurrent capital at the deadline, with the gap in points."""
    rates = capital_rates(m)
    inv, rec = rates["investment_deadline"], rates["recurrent_deadline"]
    if inv is None or rec is None:
        return None
    gap = (inv - rec) * 100
    gap_text = t("gap_rec_lower" if gap >= 0 else "gap_rec_higher", lang, gap=fmt_pp(gap, lang))
    types = m.by_capital_type
    return t(
        "cap_types",
        lang,
        inv_alloc=fmt_mvnd(types["investment"].allocated_mvnd, lang),
        inv_rate=fmt_pct(inv, lang),
        rec_alloc=fmt_mvnd(types["recurrent"].allocated_mvnd, lang),
        rec_rate=fmt_pct(rec, lang),
        gap=gap_text,
    )


def sentence_carry_over(m: Metrics, lang: str) -> list[str]:
    """Carried-over, later disbursed, still open and lapsed capital."""
    out = []
    if m.carried_over_mvnd is not None and m.allocated_mvnd:
        out.append(
            t(
                "cap_carry",
                lang,
                carried=fmt_mvnd(m.carried_over_mvnd, lang),
                share=fmt_pct(m.carried_over_mvnd / m.allocated_mvnd, lang),
                later=fmt_mvnd(m.carried_over_disbursed_mvnd, lang),
                later_share=fmt_pct(m.carried_over_disbursed_share, lang),
            )
        )
    if m.carried_over_open_mvnd:
        out.append(t("cap_carry_open", lang, amount=fmt_mvnd(m.carried_over_open_mvnd, lang)))
    if m.lapsed_mvnd is not None:
        out.append(t("cap_lapsed", lang, amount=fmt_mvnd(m.lapsed_mvnd, lang)))
    return out


def sentence_concentration(m: Metrics, lang: str) -> str | None:
    """Year-end bunching: the fourth quarter's and December–January's shares."""
    q4, dj = num(m.q4_share), num(m.dec_jan_share)
    if q4 is None or dj is None:
        return None
    key = "cap_concentration" if dj > DEC_JAN_SHARE else "cap_concentration_even"
    return t(key, lang, q4=fmt_pct(q4, lang), dec_jan=fmt_pct(dj, lang))


PEFA_BASELINES = ("approved", "approved_partly", "allocated")
"""What outturn was compared with (``metrics.json`` ``pefa_baseline``)."""


def sentence_pefa(m: Metrics, lang: str) -> list[str]:
    """The two PEFA-style budget-credibility grades, what outturn was compared with, and
    whether the grades are provisional (fewer than three completed years)."""
    na = t("na", lang)
    out = [
        t(
            "cap_pefa",
            lang,
            pefa=name("pefa", lang),
            pi1=name("pi1", lang),
            pi2=name("pi2", lang),
            g1=m.pefa_aggregate_grade or na,
            g2=m.pefa_composition_grade or na,
            baseline=t(f"pefa_base_{m.pefa_baseline}", lang),
        )
    ]
    graded = m.pefa_aggregate_grade or m.pefa_composition_grade
    if m.pefa_provisional and graded:
        years = ", ".join(str(y) for y in m.pefa_aggregate_years) or na
        out.append(t("cap_pefa_provisional", lang, years=years))
    return out


def fmt_months_ci(lo: float | None, hi: float | None, level: str, lang: str) -> str:
    """ "95% confidence interval: 6.1 to 8.4 months" (open above when ``hi`` is unbounded)."""
    lo, hi = num(lo), num(hi)
    if lo is None:
        return t("months_ci_na", lang, level=level)
    if hi is None:
        return t("months_ci_open", lang, level=level, lo=fmt_months(lo, lang))
    return t("months_ci", lang, level=level, lo=fmt_months(lo, lang), hi=fmt_months(hi, lang))


def sentence_months(lag: Lag, lang: str) -> str:
    """Median months from decision to 50 % and 90 % disbursed over the scope's plan lines
    (Kaplan–Meier, lines still disbursing counted as not yet there), with the interval of the
    first; the same numbers as the district ranking's."""
    m50, m90 = num(lag.months_to_50pct), num(lag.months_to_90pct)
    s50 = lag.months_to_share.get("50pct") or {}
    common = {"p50": percent(0.5, lang, 0), "p90": percent(0.9, lang, 0)}
    if m50 is None:
        key = "tm_months_not_reached" if num(s50.get("n_lines")) else "tm_months_na"
        return t(key, lang, **common)
    level = percent(lag.ci_level, lang, 0)
    common |= {
        "m50": fmt_months(m50, lang),
        "ci": fmt_months_ci(s50.get("ci_low"), s50.get("ci_high"), level, lang),
    }
    if m90 is not None:
        return t("tm_months", lang, m90=fmt_months(m90, lang), **common)
    return t("tm_months_50", lang, **common)


def _signed(v: float | None, lang: str) -> str:
    return t("na", lang) if v is None else number(v, lang, 1)


def _direction(estimate: float, lang: str) -> str:
    return t("dir_down" if estimate < 0 else "dir_up", lang)


def _weighting(eff: TimingEffect, lang: str) -> str:
    return t("wt_lines" if eff.weighting == "lines" else "wt_amount", lang)


def sentence_timing_effect(lag: Lag, lang: str) -> str:
    """The timing effect per month of delay (weighted by amount: the association with the
    execution rate), or why the data cannot say. An association, not a measured cost."""
    status = timing_effect_status(lag)
    eff = headline_effect(lag)
    level = percent(lag.ci_level, lang, 0)
    n = fmt_int(lag.n_lines, lang)
    if status == "na":
        return t("tm_effect_na", lang)
    if status == "few":
        return t("tm_effect_few", lang, n=n, min=number(MIN_LINES, lang))
    unit = t("pp_unit", lang)
    if status == "wide":
        lo_text, hi_text = _signed(eff.ci_low, lang), _signed(eff.ci_high, lang)
        return t("tm_effect_wide", lang, level=level, lo=lo_text, hi=hi_text, unit=unit, n=n)
    # interval ends as magnitudes, smaller first: the sentence carries the direction
    lo, hi = sorted((abs(eff.ci_low), abs(eff.ci_high)))
    return t(
        "tm_effect",
        lang,
        direction=_direction(eff.estimate, lang),
        effect=fmt_pp(eff.estimate, lang),
        weighting=_weighting(eff, lang),
        level=level,
        lo=number(lo, lang, 1),
        hi=number(hi, lang, 1),
        unit=unit,
        n=n,
    )


def sentence_timing_province(lag: Lag, lang: str) -> str | None:
    """For a district: the province-wide timing effect beside the district's own."""
    if province_effect_status(lag) != "ok":
        return None
    prov = headline_effect(lag).province or {}
    est = float(prov["estimate"])
    return t(
        "tm_effect_province",
        lang,
        direction=_direction(est, lang),
        effect=fmt_pp(est, lang),
        n=fmt_int(num(prov.get("n_lines")), lang),
    )


def _gain_share(cf: Counterfactual, m: Metrics) -> float | None:
    return ratio(cf.gain_mvnd, cf.allocated_mvnd or m.allocated_mvnd)


def sentence_counterfactual(lag: Lag, m: Metrics, lang: str) -> str:
    """What assigning every line by the scenario date is estimated to have gained, with the
    wider of the two intervals (and that it allows for districts moving together)."""
    status = counterfactual_status(lag)
    cf = lag.counterfactual
    date = fmt_cf_date(cf.date, lang)
    level = percent(lag.ci_level, lang, 0)
    lo, hi = cf_interval(cf)
    if status == "na":
        return t("tm_cf_na", lang)
    if status == "few":
        n = fmt_int(lag.n_lines, lang)
        return t("tm_cf_few", lang, date=date, n=n, min=number(MIN_LINES, lang))
    if status == "wide":
        lo_text, hi_text = fmt_bvnd_prose(lo, lang), fmt_bvnd_prose(hi, lang)
        return t("tm_cf_wide", lang, date=date, level=level, lo=lo_text, hi=hi_text)
    return t(
        "tm_cf",
        lang,
        date=date,
        gain=fmt_bvnd_prose(cf.gain_mvnd, lang),
        interval=fmt_interval(lo, hi, level, lang, cf.ci_used == "cluster_bootstrap"),
        share=fmt_pct(_gain_share(cf, m), lang),
    )


LATE_CENTRAL_DECISION: dict[int, str] = {2022: "decision_652"}
"""Plan years whose capital could be assigned only after a central decision (its proper name
in the ``names`` catalog): the 2022 capital of the program after Decision 652/QĐ-TTg."""


def _years_outside_support(cf: Counterfactual) -> list[int]:
    years = {int(c["plan_year"]) for c in cf.cells if c.get("outside_support")}
    years |= {
        int(r["plan_year"])
        for r in cf.by_year
        if str(r.get("plan_year", "")).isdigit()
        and (num(r.get("share_capital_outside_support")) or 0) > 0
    }
    return sorted(years)


def sentence_support(lag: Lag, lang: str) -> str | None:
    """What share of the capital the dated scenario could not move as early as it asks (it
    moves no line before the earliest decision seen for its plan year and capital type), and
    the central decision that held a plan year back."""
    cf = lag.counterfactual
    share = num(cf.share_capital_outside_support)
    if counterfactual_status(lag) not in ("ok", "wide") or not share:
        return None
    out = [
        t(
            "tm_cf_support",
            lang,
            share=fmt_pct(share, lang, 0),
            amount=fmt_bvnd_prose(cf.outside_support_mvnd, lang),
            date=fmt_cf_date(cf.date, lang),
        )
    ]
    for year in _years_outside_support(cf):
        if year in LATE_CENTRAL_DECISION:
            decision = name(LATE_CENTRAL_DECISION[year], lang)
            out.append(t("tm_cf_support_year", lang, year=year, decision=decision))
    return " ".join(out)


def sentence_cf_years(lag: Lag, lang: str) -> str | None:
    """The dated scenario's estimated gain by plan year."""
    if counterfactual_status(lag) != "ok":
        return None
    items = [
        t("cf_year_item", lang, year=r["plan_year"], gain=fmt_bvnd_prose(r["gain_mvnd"], lang))
        for r in lag.counterfactual.by_year
        if str(r.get("plan_year", "")).isdigit() and num(r.get("gain_mvnd")) is not None
    ]
    return t("tm_cf_years", lang, items="; ".join(items)) if len(items) >= 2 else None


def sentence_feasible(lag: Lag, m: Metrics, lang: str) -> str | None:
    """The feasible calendar (each year's lines decided by the month its fastest quarter was
    decided, a calendar the province already achieved) as the more realistic target."""
    cf = lag.counterfactual_feasible
    status = feasible_status(lag)
    if cf is None or status not in ("ok", "wide"):
        return None
    level = percent(lag.ci_level, lang, 0)
    lo, hi = cf_interval(cf)
    if status == "wide":
        lo_text, hi_text = fmt_bvnd_prose(lo, lang), fmt_bvnd_prose(hi, lang)
        return t("tm_cf_feasible_wide", lang, level=level, lo=lo_text, hi=hi_text)
    return t(
        "tm_cf_feasible",
        lang,
        gain=fmt_bvnd_prose(cf.gain_mvnd, lang),
        interval=fmt_interval(lo, hi, level, lang, cf.ci_used == "cluster_bootstrap"),
        share=fmt_pct(_gain_share(cf, m), lang),
    )


def sentence_not_reported(lag: Lag, lang: str) -> str | None:
    """Lines with no disbursement report: counted as not reported, not as zero, left out."""
    n = num(lag.n_lines_not_reported)
    if not n:
        return None
    amount = fmt_mvnd(lag.not_reported_mvnd, lang)
    return t("tm_not_reported", lang, n=fmt_int(n, lang), amount=amount)


def sentence_moved(lag: Lag, lang: str) -> str | None:
    """How many lines the counterfactual moves, and by how many months."""
    cf = lag.counterfactual
    moved, n, months = cf.n_lines_moved, cf.n_lines or lag.n_lines, cf.mean_months_gained
    if moved is None or not n or months is None or counterfactual_status(lag) != "ok":
        return None
    return t(
        "tm_moved",
        lang,
        moved=fmt_int(moved, lang),
        n=fmt_int(n, lang),
        months=fmt_months(months, lang),
    )


def sentence_targets(m: Metrics, lang: str) -> str:
    """How many targets were met, not met and without data."""
    if not m.targets_total:
        return t("tg_none", lang)
    return t(
        "tg_summary",
        lang,
        met=fmt_int(m.targets_met, lang),
        total=fmt_int(m.targets_total, lang),
        not_met=fmt_int(m.targets_not_met, lang),
        no_data=fmt_int(m.targets_no_data, lang),
    )


def sentence_no_lines(b: Brief) -> str:
    """The one sentence a section of a unit with no plan lines holds."""
    return t("no_lines", b.lang, name=b.scope_name(), period=b.period)


def ranking_compared(b: Brief) -> bool:
    """True when the brief compares districts (so a chart and a table go with the words): two
    districts with a rate, the province's rate, and for a district brief the district itself."""
    rows, prov = districts(b.ranking), province_row(b.ranking)
    prov_rate = (
        num(prov.execution_rate) if prov else num(b.metrics.province_execution_rate_deadline)
    )
    if not b.has_lines or len(rows) < 2 or prov_rate is None:
        return False
    return not b.is_district or any(r.unit_code == b.unit_code for r in rows)


def sentence_ranking(b: Brief) -> list[str]:
    """Where a district stands (district brief) or how districts spread (province brief)."""
    lang, rows, prov = b.lang, districts(b.ranking), province_row(b.ranking)
    m = b.metrics
    prov_rate = num(prov.execution_rate) if prov else num(m.province_execution_rate_deadline)
    if len(rows) < 2 or prov_rate is None:
        if b.is_district and m.district_rank and m.districts_ranked:
            rank, n = fmt_int(m.district_rank, lang), fmt_int(m.districts_ranked, lang)
            return [t("rk_rank_only", lang, name=b.scope_name(), rank=rank, n=n)]
        return [t("rk_na", lang)]
    if not b.is_district:
        lo = min(rows, key=lambda r: r.execution_rate)
        hi = max(rows, key=lambda r: r.execution_rate)
        return [
            t(
                "rk_spread",
                lang,
                min_rate=fmt_pct(lo.execution_rate, lang),
                min_name=_name(lo, lang),
                max_rate=fmt_pct(hi.execution_rate, lang),
                max_name=_name(hi, lang),
                prov_rate=fmt_pct(prov_rate, lang),
            )
        ] + sentence_adjusted(b)
    me = next((r for r in rows if r.unit_code == b.unit_code), None)
    if me is None:
        return [t("rk_na", lang)]
    gap = (me.execution_rate - prov_rate) * 100
    out = [
        t(
            "rk_district",
            lang,
            name=b.scope_name(),
            rank=fmt_int(me.rank, lang),
            n=number(len(rows), lang),
            rate=fmt_pct(me.execution_rate, lang),
            prov_rate=fmt_pct(prov_rate, lang),
            diff=t("rk_above" if gap >= 0 else "rk_below", lang, gap=fmt_pp(gap, lang)),
        )
    ]
    pm = num(prov.median_months_to_50) if prov else None
    if pm is not None and (me.median_months_to_50 is not None or me.n_lines_timed):
        key = "rk_months" if me.median_months_to_50 is not None else "rk_months_not_reached"
        out.append(
            t(
                key,
                lang,
                p50=percent(0.5, lang, 0),
                m=fmt_months(me.median_months_to_50, lang),
                pm=fmt_months(pm, lang),
            )
        )
    return out + sentence_adjusted(b, me)


def fmt_p(p: float, lang: str) -> str:
    """ "p = 0.43", "p = 0.012" (three decimals below 0.1), or "p < 0.001"."""
    if p < 0.001:
        return t("p_below", lang, p=number(0.001, lang, 3))
    return t("p_value", lang, p=number(p, lang, 3 if p < 0.1 else 2))


def _adjusted_item(row: RankingRow, lang: str) -> str:
    return t(
        "rk_adj_item",
        lang,
        name=_name(row, lang),
        rate=fmt_pct(row.adjusted_rate, lang),
        lo=fmt_pct(row.adjusted_ci_low, lang),
        hi=fmt_pct(row.adjusted_ci_high, lang),
    )


def sentence_adjusted(b: Brief, me: RankingRow | None = None) -> list[str]:
    """The mix-adjusted comparison: whether districts can be told apart (joint test) and, when
    they can, which lie above or below the province's adjusted mean; for a district brief
    (``me`` its row) its own adjusted rate first. Nothing from a ``metrics.json`` without it."""
    lang, model = b.lang, b.district_model
    if model is None:
        return []
    if not model.estimable:
        reason = t(f"rk_reason_{model.reason}", lang)
        return [t("rk_adj_na", lang, reason=reason)]
    level = percent(model.ci_level, lang, 0)
    p = fmt_p(model.wald_p_value, lang) if model.wald_p_value is not None else t("na", lang)
    rows = [r for r in b.ranking or [] if r.level == "district" and r.adjusted_rate is not None]
    prov = fmt_pct(model.province_rate, lang)
    if me is not None:
        name_ = _name(me, lang)
        if me.adjusted_rate is None:
            why = model.not_estimable.get(me.unit_code, "few_lines")
            return [t("rk_adj_district_na", lang, name=name_, reason=t(f"rk_reason_{why}", lang))]
        own = t(
            "rk_adj_district",
            lang,
            name=name_,
            rate=fmt_pct(me.adjusted_rate, lang),
            level=level,
            lo=fmt_pct(me.adjusted_ci_low, lang),
            hi=fmt_pct(me.adjusted_ci_high, lang),
            rank=fmt_int(me.adjusted_rank, lang),
            n=number(len(rows), lang),
            prov=prov,
        )
        if not model.distinguishable:
            return [own, t("rk_adj_same", lang, p=p)]
        side = me.adjusted_vs_province or "overlaps"
        return [own, t(f"rk_adj_me_{side}", lang, p=p, name=name_)]
    if not model.distinguishable:
        return [t("rk_adj_same", lang, p=p)]
    by_code = {r.unit_code: r for r in rows}

    def named(codes: list[str]) -> str:
        hits = sorted((by_code[c] for c in codes if c in by_code), key=lambda r: -r.adjusted_rate)
        items = [_adjusted_item(r, lang) for r in hits]
        return ", ".join(items) if items else t("rk_adj_none", lang)

    return [
        t(
            "rk_adj_differ",
            lang,
            p=p,
            prov=prov,
            level=level,
            above=named(model.above),
            below=named(model.below),
        )
    ]


def _name(row, lang: str) -> str:
    return getattr(row, f"name_{lang}") or row.name_vi or row.unit_code


def caveats(lag: Lag, lang: str) -> list[str]:
    """The model's own caveats from ``lag.json`` in ``lang`` (each once), as the lag step
    wrote them from the ``lag`` catalog."""
    texts = (getattr(c, lang) for c in lag.caveats)
    return list(dict.fromkeys(text for text in texts if text))


def ph_verdicts(lag: Lag, lang: str) -> list[str]:
    """The proportional-hazards verdicts of the Cox models, in words (when reported)."""
    out = []
    for key, check in lag.ph_check.items():
        verdict = check.get(f"verdict_{lang}") or check.get("verdict_en")
        share = re.fullmatch(r"(\d+)pct", key)
        if verdict and share:
            p = percent(int(share.group(1)) / 100, lang, 0)
            out.append(t("mn_ph", lang, p=p, verdict=verdict))
    return out
