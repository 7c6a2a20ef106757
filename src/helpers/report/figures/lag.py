"""Charts of the disbursement-lag notebook (02_disbursement_lag), in the house style.

Each function takes results of :mod:`helpers.analysis.lag`, the language and ``demo``, draws with
:func:`helpers.report.figures.new_figure` and ends with :func:`helpers.report.figures.finish`, so a chart
made from synthetic data always carries the DEMO mark.

* :func:`plot_profiles`: standard disbursement profiles (S-curves with bootstrap bands): by
  allocation quarter for the province, the district against the province for a district;
* :func:`plot_time_to_share`: Kaplan-Meier share of lines that reached 50 % / 90 %, by
  allocation quarter;
* :func:`plot_share_vs_months`: share disbursed by the deadline against months available, with
  the fractional-logit average prediction and its band;
* :func:`plot_counterfactual`: predicted amount by the deadline with actual decision dates and
  under the scenario, by plan year, with intervals.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from helpers.analysis.lag.counterfactual import parse_counterfactual_date
from helpers.analysis.lag.models import ProvinceModels
from helpers.analysis.lag.prepare import QUARTERS
from helpers.analysis.lag.profiles import ProfileGroup
from helpers.analysis.lag.scope import ScopeResult
from helpers.analysis.lag.survival import SurvivalResult
from helpers.core.formatting import bvnd, check_lang, day_month, number, percent
from helpers.core.text import tr
from helpers.data.deadlines import label_values
from helpers.report.figures.style import (
    PALETTE,
    PALETTE_BY_KEY,
    amount_axis,
    finish,
    legend_below,
    new_figure,
    percent_axis,
)

CI_LEVEL = 0.95
"""Level of the bands drawn (the lag models' intervals)."""
QUARTER_COLORS: dict[str, str] = dict(
    zip(QUARTERS, ("#08306b", "#2171b5", "#6baed6", "#525252", "#969696"), strict=True)
)
"""Allocation quarters from dark (early) to light/grey (late): readable in grey."""
_QUARTER_STYLES = dict(zip(QUARTERS, ("-", "-", "--", "-.", ":"), strict=True))


def _lbl(key: str, lang: str, **fmt: object) -> str:
    """A chart label from the ``lag_figures`` catalog."""
    return tr(f"lag_figures.{key}", lang, **fmt)


def _quarter(q: str, lang: str) -> str:
    """ "Quý 2" / "Q2"; "Q0" is the time before the plan year."""
    return _lbl("quarter_Q0", lang) if q == "Q0" else _lbl("quarter", lang, n=q[1:])


def _level(lang: str) -> str:
    return f"{100 * CI_LEVEL:.0f}"


def _with_scope(title: str, scope_name: str | None) -> str:
    """The title on one line and the scope's name on the next."""
    return f"{title}\n{scope_name}" if scope_name else title


def scenario_label(counterfactual_date: str, lang: str = "vi") -> str:
    """ "31/01 năm kế hoạch" / "31 Jan of the plan year" for a scenario date."""
    offset, month, day = parse_counterfactual_date(counterfactual_date)
    key = "scenario_date_prev" if offset else "scenario_date"
    return _lbl(key, lang, day=day_month(dt.date(2000, month, day), lang))


def _draw_curve(
    ax, group: ProfileGroup | None, color: str, style: str, text: str, points: bool = True
) -> Line2D | None:
    if group is None or group.curve is None:
        return None
    if points and len(group.t):
        ax.scatter(
            group.t, group.share, s=6 + 30 * group.weight, color=color, alpha=0.35, linewidths=0
        )
    if group.band_low is not None:
        ax.fill_between(
            group.grid, group.band_low, group.band_high, color=color, alpha=0.15, linewidth=0
        )
    (line,) = ax.plot(
        group.grid, group.curve, color=color, linestyle=style, linewidth=1.6, label=text
    )
    return line


def _profile_panel(ax, ctype: str, lang: str) -> None:
    ax.set_title(tr(f"common.{ctype}", lang), fontsize=9)
    ax.set_xlabel(_lbl("months_since", lang))
    ax.set_ylim(0, 1.02)
    percent_axis(ax, lang)


def plot_profiles(
    result: ScopeResult, models: ProvinceModels, lang: str = "vi", demo: bool | None = None
) -> Figure:
    """S-curves with bootstrap bands, one panel per capital type.

    Province: one curve per allocation quarter. District: the district's curve (its own lines)
    against the province's curve of the same capital type. Dots are the pooled monthly shares
    (size = capital observed in the month).
    """
    check_lang(lang)
    fig, axes = new_figure(height=3.4, ncols=2, sharey=True)
    types = ("investment", "recurrent")
    handles: dict[str, Line2D] = {}
    for ax, ctype in zip(axes, types, strict=True):
        _profile_panel(ax, ctype, lang)
        if result.scope.is_province:
            for q in QUARTERS:
                g = result.profile.group(allocation_quarter=q, capital_type=ctype)
                text = _quarter(q, lang)
                line = _draw_curve(ax, g, QUARTER_COLORS[q], _QUARTER_STYLES[q], text)
                if line is not None:
                    handles.setdefault(text, line)
        else:
            prov = models.profile_by_type.group(capital_type=ctype)
            own = result.profile.group(capital_type=ctype)
            for g, color, style, text in (
                (prov, PALETTE_BY_KEY["province"], "--", _lbl("province_curve", lang)),
                (own, PALETTE[0], "-", result.scope.name(lang)),
            ):
                line = _draw_curve(ax, g, color, style, text, points=g is own)
                if line is not None:
                    handles.setdefault(text, line)
            if own is None or own.curve is None:
                ax.text(
                    0.5,
                    0.5,
                    _lbl("no_curve", lang),
                    transform=ax.transAxes,
                    ha="center",
                    color="#525252",
                )
    axes[0].set_ylabel(_lbl("share_disbursed", lang))
    fig.suptitle(
        _with_scope(_lbl("profile_title", lang), result.scope.name(lang)),
        fontsize=10,
        fontweight="bold",
    )
    axes[1].legend(
        list(handles.values()),
        list(handles.keys()),
        loc="lower right",
        frameon=True,
        framealpha=0.9,
        fontsize=7,
    )
    return finish(fig, demo=result_demo(models, demo), lang=lang)


def result_demo(models: ProvinceModels, demo: bool | None) -> bool:
    """``demo`` if given, else the DEMO flag of the data the models were fitted on."""
    return bool(models.data.demo) if demo is None else bool(demo)


def plot_time_to_share(
    survival: dict[str, SurvivalResult],
    lang: str = "vi",
    demo: bool = False,
    scope_name: str | None = None,
) -> Figure:
    """Kaplan-Meier share of lines that reached 50 % and 90 %, by allocation quarter."""
    check_lang(lang)
    fig, axes = new_figure(height=3.4, ncols=2, sharey=True)
    handles: dict[str, Line2D] = {}
    for ax, tag in zip(axes, ("50", "90"), strict=True):
        res = survival[tag]
        for q in QUARTERS:
            km = res.km.get(q)
            if km is None or km["n"] == 0:
                continue
            text = f"{_quarter(q, lang)} ({_lbl('n_lines', lang, n=km['n'])})"
            (line,) = ax.step(
                km["_times"],
                km["_reached"],
                where="post",
                color=QUARTER_COLORS[q],
                linestyle=_QUARTER_STYLES[q],
                linewidth=1.5,
                label=text,
            )
            handles.setdefault(q, line)
        ax.set_title(_lbl("reached_p", lang, p=tag), fontsize=9)
        ax.set_xlabel(_lbl("months_since", lang))
        ax.set_ylim(0, 1.02)
        percent_axis(ax, lang)
    axes[0].set_ylabel(_lbl("lines_reached", lang))
    fig.suptitle(
        _with_scope(_lbl("km_title", lang, p="50 / 90"), scope_name), fontsize=10, fontweight="bold"
    )
    lines = list(handles.values())
    axes[1].legend(
        lines,
        [h.get_label() for h in lines],
        loc="upper left",
        frameon=True,
        framealpha=0.9,
        fontsize=7,
    )
    return finish(fig, demo=demo, lang=lang)


def plot_share_vs_months(
    result: ScopeResult, models: ProvinceModels, lang: str = "vi", demo: bool | None = None
) -> Figure:
    """Share by the deadline against months available: one dot per line (size = amount), and
    the fractional logit's average prediction with its 95 % band, per capital type.

    The province model is used for every scope; a district's lines are drawn dark and the
    others light.
    """
    check_lang(lang)
    ye = models.year_end
    lines = ye.lines
    fig, axes = new_figure(height=3.4, ncols=2, sharey=True)
    in_scope = np.ones(len(lines), bool)
    if not result.scope.is_province:
        in_scope = (
            lines["line_id"]
            .isin(set(models.data.lines.loc[result.lines.to_numpy(), "line_id"]))
            .to_numpy()
        )
    size = 4 + 60 * lines["amount_mvnd"] / lines["amount_mvnd"].max()
    for ax, ctype in zip(axes, ("investment", "recurrent"), strict=True):
        sel = (lines["capital_type"] == ctype).to_numpy()
        if not sel.any():
            continue
        color = PALETTE_BY_KEY[ctype] if ctype == "investment" else PALETTE[2]
        for mask, alpha, col in ((sel & ~in_scope, 0.25, "#bdbdbd"), (sel & in_scope, 0.55, color)):
            ax.scatter(
                lines.loc[mask, "months_available"],
                lines.loc[mask, "share_deadline"],
                s=size[mask],
                color=col,
                alpha=alpha,
                linewidths=0,
            )
        m = lines.loc[sel, "months_available"]
        grid = np.linspace(float(m.min()), float(m.max()), 40)
        curve = ye.average_prediction(grid, sel & in_scope if in_scope[sel].any() else sel)
        ax.fill_between(
            curve["months_available"],
            curve["ci_low"],
            curve["ci_high"],
            color="#08306b",
            alpha=0.18,
            linewidth=0,
        )
        ax.plot(
            curve["months_available"],
            curve["share"],
            color="#08306b",
            linewidth=1.8,
            label=_lbl("fitted", lang, level=_level(lang)),
        )
        ax.set_title(tr(f"common.{ctype}", lang), fontsize=9)
        ax.set_xlabel(_lbl("months_available", lang, deadline=label_values(lang)["deadline"]))
        ax.set_ylim(0, 1.02)
        percent_axis(ax, lang)
    axes[0].set_ylabel(_lbl("share_deadline", lang))
    fig.suptitle(
        _with_scope(
            _lbl("share_vs_months_title", lang, deadline=label_values(lang)["deadline"]),
            result.scope.name(lang),
        ),
        fontsize=10,
        fontweight="bold",
    )
    axes[0].legend(loc="lower right", frameon=True, framealpha=0.9, fontsize=7)
    return finish(fig, demo=result_demo(models, demo), lang=lang)


def plot_counterfactual(result: ScopeResult, lang: str = "vi", demo: bool = False) -> Figure:
    """Predicted amount disbursed by the deadline per plan year: with the actual decision dates
    and under the scenario (with its 95 % interval); observed amounts as dots."""
    check_lang(lang)
    cf = result.counterfactual
    rows = cf.by_year
    fig, ax = new_figure(height=3.4)
    x = np.arange(len(rows))
    width = 0.38
    pred = np.array([r["predicted_deadline_mvnd"] for r in rows])
    scen = np.array([r["counterfactual_deadline_mvnd"] for r in rows])
    err = np.array(
        [
            [r["counterfactual_deadline_mvnd"] - r["counterfactual_ci_low"] for r in rows],
            [r["counterfactual_ci_high"] - r["counterfactual_deadline_mvnd"] for r in rows],
        ]
    )
    when = scenario_label(cf.date, lang)
    ax.bar(x - width / 2, pred, width, color=PALETTE[1], label=_lbl("cf_actual", lang))
    ax.bar(
        x + width / 2,
        scen,
        width,
        color=PALETTE[0],
        yerr=err,
        capsize=3,
        error_kw={"ecolor": "#525252", "linewidth": 1},
        label=_lbl("cf_scenario", lang, d=when, level=_level(lang)),
    )
    ax.scatter(
        x - width / 2,
        [r["observed_deadline_mvnd"] for r in rows],
        color="#525252",
        marker="D",
        s=14,
        zorder=3,
        label=_lbl("observed", lang),
    )
    for xi, r in zip(x, rows, strict=True):
        ax.annotate(
            "+" + number(r["gain_mvnd"] / 1000.0, lang, 0),
            (xi + width / 2, r["counterfactual_ci_high"]),
            textcoords="offset points",
            xytext=(0, 3),
            ha="center",
            fontsize=7,
            color="#08306b",
        )
    ax.margins(y=0.12)
    ax.set_xticks(x, [str(r["plan_year"]) for r in rows])
    ax.set_xlabel(tr("common.plan_year", lang))
    amount_axis(ax, lang, scale=1000.0)
    ax.set_ylabel(tr("common.bvnd", lang))
    ax.set_title(
        _with_scope(
            _lbl("cf_title", lang, d=when, g=bvnd(cf.total["gain_mvnd"], lang)),
            result.scope.name(lang),
        ),
        fontsize=10,
    )
    legend_below(ax, ncol=3)
    ax.get_legend().set_bbox_to_anchor((0.5, -0.2))
    return finish(fig, demo=demo, lang=lang)


def _ci(lo: float | None, hi: float | None, lang: str, digits: int = 1, scale: float = 1.0) -> str:
    return _lbl(
        "ci",
        lang,
        level=percent(CI_LEVEL, lang, 0),
        lo=number(lo / scale, lang, digits),
        hi=number(hi / scale, lang, digits),
    )


def key_findings(summary: dict, lang: str = "vi") -> list[str]:
    """The headline sentences of a ``lag.json`` dict, in ``lang`` (numbers formatted per
    language; a missing value is said, not guessed)."""
    check_lang(lang)
    t = summary["timing_effect_pp_per_month"]
    cf = summary["counterfactual"]
    if t.get("estimate") is None:
        return [_lbl("kf_none", lang)]
    m50, m90 = summary["months_to_50pct"], summary["months_to_90pct"]
    shares = {"p50": percent(0.5, lang, 0), "p90": percent(0.9, lang, 0)}
    if m50 is None:
        months = _lbl("kf_no50", lang, **shares) + "."
    else:
        months = _lbl("kf_m50", lang, m50=number(m50, lang, 1), **shares) + (
            _lbl("kf_m90", lang, m90=number(m90, lang, 1), **shares)
            if m90 is not None
            else _lbl("kf_no90", lang, **shares)
        )
    return [
        _lbl(
            "kf_timing",
            lang,
            deadline=label_values(lang)["deadline"],
            direction=_lbl("kf_lower" if t["estimate"] < 0 else "kf_higher", lang),
            effect=number(abs(t["estimate"]), lang, 2),
            ci=_ci(t["ci_low"], t["ci_high"], lang, 2),
            n=number(t["n_lines"], lang),
        ),
        _lbl(
            "kf_cf",
            lang,
            when=scenario_label(cf["date"], lang),
            gain=bvnd(cf["gain_mvnd"], lang),
            ci=_ci(cf["ci_low"], cf["ci_high"], lang, 1, 1000),
            moved=number(cf["n_lines_moved"], lang),
            n=number(cf["n_lines"], lang),
        ),
        months,
        _lbl("kf_ph", lang, verdict=summary["ph_check"]["50pct"][f"verdict_{lang}"], **shares),
    ]
