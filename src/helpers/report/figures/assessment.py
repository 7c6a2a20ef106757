"""The charts of the assessment notebook, in the house style of :mod:`helpers.report.figures.style`.

Each takes a table of :mod:`helpers.analysis` tables, the language and ``demo`` (default: the
table's DEMO flag), and ends with :func:`~helpers.report.figures.style.finish`, so a chart made
from synthetic data always carries the DEMO mark.
"""

from __future__ import annotations

import math
import textwrap

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from helpers.core.formatting import month_abbr, number, percent
from helpers.core.text import tr
from helpers.core.thresholds import ranking_window
from helpers.data.dataset import is_demo
from helpers.data.deadlines import label_values
from helpers.report.figures.style import (
    PALETTE,
    PALETTE_BY_KEY,
    amount_axis,
    finish,
    frame_key,
    interval_dots,
    legend_below,
    new_figure,
    percent_axis,
    same_drawing,
)

CUTOFF_COLORS: dict[str, str] = {
    "allocated": "#d9d9d9",
    "dec31": "#9ecae1",
    "deadline": "#4292c6",
    "last": "#08306b",
}
"""Allocated and the three cut-offs, from light to dark (reads in grey)."""

_YEAR_STYLES = ("-", "--", "-.", ":")


def _lbl(key: str, lang: str, **fmt: object) -> str:
    return tr(f"figures.{key}", lang, **{**label_values(lang), **fmt})


def _demo(table: pd.DataFrame, demo: bool | None) -> bool:
    return is_demo(table) if demo is None else bool(demo)


def billion_axis(ax, lang: str = "vi", axis: str = "y") -> None:
    """An axis of amounts given in million VND, shown in billion VND with the unit label."""
    amount_axis(ax, lang, axis=axis, scale=1000.0)
    setter = ax.set_ylabel if axis == "y" else ax.set_xlabel
    setter(tr("common.bvnd", lang))


def month_label(month: int, lang: str = "vi") -> str:
    """Tick label of month 1..12 of the plan year, 13 = January of the next year."""
    if month == 13:
        return _lbl("next_jan", lang, jan=month_label(1, lang))
    return _lbl("month_tick", lang, n=month, name=month_abbr(month, lang))


def project_label(code: str, lang: str = "vi") -> str:
    """ "Dự án 4" / "Project 4" for ``DA4``; other codes as given."""
    digits = str(code).removeprefix("DA")
    return _lbl("project_n", lang, n=digits) if digits.isdigit() else str(code)


def plot_allocation_vs_disbursement(
    by_year_type: pd.DataFrame,
    lang: str = "vi",
    years: list[int] | None = None,
    demo: bool | None = None,
) -> Figure:
    """Grouped bars per plan year, one panel per capital type: allocated and disbursed at
    31 Dec, at the 31 Jan deadline and at the last report (billion VND).

    Args:
        by_year_type: :func:`helpers.analysis.execution.execution_by` by ``["plan_year", "capital_type"]``.
        years: years on the axis (a year without rows is marked "no allocation").
    """
    years = sorted(set(years or []) | set(by_year_type["plan_year"].astype(int)))
    fig, axes = new_figure(height=3.6, ncols=2, sharey=True)
    series = [
        ("allocated", "allocated_mvnd"),
        ("dec31", "disbursed_dec31_mvnd"),
        ("deadline", "disbursed_deadline_mvnd"),
        ("last", "disbursed_last_mvnd"),
    ]
    width = 0.2
    for ax, ctype in zip(axes, ("investment", "recurrent"), strict=True):
        part = by_year_type[by_year_type["capital_type"] == ctype].set_index("plan_year")
        part = part.reindex(years)
        x = range(len(years))
        for i, (key, col) in enumerate(series):
            ax.bar(
                [v + (i - 1.5) * width for v in x],
                part[col].fillna(0.0),
                width=width,
                color=CUTOFF_COLORS[key],
                edgecolor="#525252",
                linewidth=0.3,
                label=tr(f"common.{key}", lang, **label_values(lang)),
            )
        for v, y in zip(x, years, strict=True):
            if not (part.loc[y, "allocated_mvnd"] > 0):
                ax.text(
                    v,
                    0,
                    _lbl("no_allocation", lang),
                    rotation=90,
                    ha="center",
                    va="bottom",
                    fontsize=7,
                    color="#525252",
                )
        ax.set_xticks(list(x), [str(y) for y in years])
        ax.set_title(tr(f"common.{ctype}", lang), fontsize=9)
        ax.set_xlabel(tr("common.plan_year", lang))
        billion_axis(ax, lang)
    axes[1].set_ylabel("")
    fig.suptitle(_lbl("alloc_vs_disb_title", lang), fontsize=11, fontweight="bold")
    handles, labels_ = axes[0].get_legend_handles_labels()
    fig.legend(
        handles, labels_, loc="lower center", ncol=2, frameon=False, bbox_to_anchor=(0.5, 0.03)
    )
    finish(fig, demo=_demo(by_year_type, demo), lang=lang)
    fig.subplots_adjust(bottom=0.3)
    return fig


def plot_execution_by_project(
    by_project: pd.DataFrame, lang: str = "vi", demo: bool | None = None
) -> Figure:
    """Horizontal bars: execution rate by project at the deadline, with the rate at the last
    report as a dark tick. Input: :func:`helpers.analysis.execution.execution_by` by ``project_code``."""
    t = by_project[by_project["allocated_mvnd"] > 0].copy()
    t["_n"] = t["project_code"].astype(str).str.removeprefix("DA").str.zfill(3)
    t = t.sort_values("_n", ascending=False)
    fig, ax = new_figure(height=0.5 + 0.3 * max(len(t), 3))
    y = list(range(len(t)))
    ax.barh(
        y,
        t["execution_rate_deadline"],
        color=CUTOFF_COLORS["deadline"],
        label=tr("common.deadline", lang, **label_values(lang)),
        height=0.6,
    )
    ax.scatter(
        t["execution_rate_last"],
        y,
        marker="|",
        s=180,
        linewidths=2.5,
        color=CUTOFF_COLORS["last"],
        label=tr("common.last", lang, **label_values(lang)),
        zorder=3,
    )
    for yi, r in zip(y, t.itertuples(), strict=True):
        ax.text(
            max(r.execution_rate_deadline, r.execution_rate_last) + 0.015,
            yi,
            percent(r.execution_rate_last, lang, 0),
            va="center",
            fontsize=7,
        )
    ax.set_yticks(y, [project_label(c, lang) for c in t["project_code"]])
    ax.set_xlim(0, max(1.0, float(t["execution_rate_last"].max() or 0)) * 1.12)
    percent_axis(ax, lang, axis="x")
    ax.set_xlabel(tr("common.execution_rate", lang))
    ax.set_title(_lbl("by_project_title", lang))
    legend_below(ax, ncol=2)
    return finish(fig, demo=_demo(by_project, demo), lang=lang)


def plot_monthly_profile(
    profile: pd.DataFrame, lang: str = "vi", demo: bool | None = None
) -> Figure:
    """Cumulative share of each vintage's plan disbursed by month (1..12, then the January
    tail) against the even pace month/12. Input: :func:`helpers.analysis.execution.monthly_profile`."""
    fig, ax = new_figure(height=3.6)
    groups = profile.groupby("plan_year") if "plan_year" in profile else [("", profile)]
    colors = [PALETTE[0], PALETTE[2], PALETTE[1], PALETTE[4], PALETTE[5]]
    for i, (year, part) in enumerate(groups):
        ax.plot(
            part["month"],
            part["share_of_allocated"],
            marker="o",
            markersize=3,
            color=colors[i % len(colors)],
            linestyle=_YEAR_STYLES[i % len(_YEAR_STYLES)],
            label=str(year) if year != "" else tr("common.disbursed", lang),
        )
    months = list(range(1, 14))
    ax.plot(
        months,
        [min(m, 12) / 12 for m in months],
        color=PALETTE_BY_KEY["linear"],
        linestyle=(0, (4, 2)),
        linewidth=1.5,
        label=_lbl("linear", lang),
    )
    ax.set_xticks(months, [month_label(m, lang) for m in months], rotation=45)
    ax.set_ylim(0, 1.05)
    percent_axis(ax, lang)
    ax.set_ylabel(_lbl("share_of_plan", lang))
    ax.set_xlabel(_lbl("month", lang))
    ax.set_title(_lbl("profile_title", lang))
    ax.legend(loc="upper left", frameon=False, ncol=1)
    return finish(fig, demo=_demo(profile, demo), lang=lang)


def _months_label(r, lang: str) -> str:
    """ "median 7.6 months to 50%" (Kaplan–Meier), or that half the lines are not there yet."""
    m = getattr(r, "median_months_to_50", float("nan"))
    if not pd.isna(m):
        return _lbl("months_to_50", lang, m=number(m, lang, 1))
    timed = getattr(r, "n_lines_timed", 0)
    return _lbl("months_not_reached", lang) if timed and not pd.isna(timed) else "–"


def plot_district_ranking(
    ranking: pd.DataFrame, lang: str = "vi", highlight: str | None = None, demo: bool | None = None
) -> Figure:
    """Districts ranked by execution rate (bars), the province value as a dashed reference
    line, the mix-adjusted rate with its 95 % interval (dots and whiskers, when the table has
    it), each bar annotated with the Kaplan–Meier median months from decision to 50 %
    disbursed; a note under the plot names the model.

    Args:
        ranking: :func:`helpers.analysis.districts.district_comparison`.
        highlight: a district code drawn darker (the scope of a district run).
    """
    d = ranking[ranking["level"] == "district"].sort_values("execution_rate", ascending=True)
    prov = ranking[ranking["level"] == "province"]
    by_rank = d.sort_values(["rank", "unit_code"], na_position="last")["unit_code"].astype(str)
    shown_codes, left_out = ranking_window(list(by_rank), highlight)
    total = len(d)
    d = d[d["unit_code"].astype(str).isin(shown_codes)]
    fig, ax = new_figure(height=0.6 + 0.32 * max(len(d), 3))
    name_col = f"name_{lang}"
    y = list(range(len(d)))
    colors = [
        PALETTE[0] if (highlight is None or c == highlight) else PALETTE[3] for c in d["unit_code"]
    ]
    ax.barh(
        y,
        d["execution_rate"].fillna(0.0),
        color=colors,
        height=0.65,
        edgecolor="#525252",
        linewidth=0.3,
    )
    adjusted = "adjusted_rate" in d and d["adjusted_rate"].notna().any()
    for yi, r in zip(y, d.itertuples(), strict=True):
        right = 0 if pd.isna(r.execution_rate) else r.execution_rate
        if adjusted and not pd.isna(r.adjusted_ci_high):
            right = max(right, r.adjusted_ci_high)
        ax.text(
            right + 0.01,
            yi,
            f"{percent(r.execution_rate, lang, 1)} · " + _months_label(r, lang),
            va="center",
            fontsize=7,
        )
    if adjusted:
        level = percent(0.95, lang, 0)
        interval_dots(
            ax,
            y,
            list(d["adjusted_rate"]),
            list(d["adjusted_ci_low"]),
            list(d["adjusted_ci_high"]),
            label=_lbl("adjusted_legend", lang, level=level),
        )
    if len(prov):
        rate = float(prov["execution_rate"].iloc[0])
        if not math.isnan(rate):
            ax.axvline(
                rate,
                color=PALETTE_BY_KEY["province"],
                linestyle="--",
                linewidth=1.2,
                label=_lbl("province_ref", lang, rate=percent(rate, lang, 1)),
            )
    ax.set_yticks(y, [f"{r.rank}. {getattr(r, name_col)}" for r in d.itertuples()])
    ax.set_xlim(0, 1.35)
    percent_axis(ax, lang, axis="x")
    ax.set_xlabel(tr("common.execution_rate", lang))
    if ax.get_legend_handles_labels()[0]:
        ax.legend(
            loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2, frameon=False, fontsize=7
        )
    ax.set_title(_lbl("ranking_title", lang))
    notes = [_lbl("ranking_note", lang, hc=tr("names.hc1", lang))] if adjusted else []
    if left_out:
        notes.append(
            _lbl("ranking_omitted", lang, shown=number(len(d), lang), total=number(total, lang))
        )
    finish(fig, demo=_demo(ranking, demo), lang=lang, note=" ".join(notes) or None)
    # the same for every scope that is not one of the districts (the province, and each of the
    # communes, whose run shows the districts unhighlighted): drawn once per worker
    shown = highlight if highlight is None or highlight in set(d["unit_code"]) else "none"
    return same_drawing(
        fig, "district_ranking", frame_key(ranking), lang, shown, _demo(ranking, demo)
    )


def plot_target_scorecard(
    scorecard: pd.DataFrame, lang: str = "vi", demo: bool | None = None
) -> Figure:
    """One bar per indicator: progress from baseline (0) to target (100 %), shaded by status
    (met / not met / no data); the title says "N of M met".
    Input: :func:`helpers.analysis.targets.target_scorecard` for one unit."""
    order = {"met": 0, "not_met": 1, "no_data": 2}
    t = scorecard.assign(_o=scorecard["status"].map(order).fillna(3)).sort_values(
        ["_o", "progress_ratio"], ascending=[False, True]
    )  # drawn bottom-up: met on top
    fig, ax = new_figure(height=0.8 + 0.3 * max(len(t), 3))
    name_col = f"name_{lang}"
    y = list(range(len(t)))
    lo, hi = -0.5, 1.5
    shown = t["progress_ratio"].fillna(0.0).clip(lo, hi)
    colors = [PALETTE_BY_KEY.get(s, "#f0f0f0") for s in t["status"]]
    ax.barh(y, shown, color=colors, edgecolor="#525252", linewidth=0.4, height=0.65, hatch=None)
    for yi, (s, v) in enumerate(zip(t["status"], t["progress_ratio"], strict=True)):
        text = _lbl("no_data", lang) if s == "no_data" else percent(v, lang, 0)
        ax.text(
            max(0.0, min(hi, 0.0 if pd.isna(v) else v)) + 0.02, yi, text, va="center", fontsize=7
        )
    ax.axvline(1.0, color="#252525", linestyle="--", linewidth=1, label=_lbl("target_line", lang))
    ax.axvline(0.0, color="#525252", linewidth=0.6)
    names = ["\n".join(textwrap.wrap(str(n), 48)[:2]) for n in t[name_col]]
    ax.set_yticks(y, names, fontsize=6.5)
    ax.set_xlim(lo, hi + 0.25)
    percent_axis(ax, lang, axis="x")
    ax.set_xlabel(_lbl("progress", lang))
    met = int((t["status"] == "met").sum())
    ax.set_title(_lbl("scorecard_title", lang, met=met, total=len(t)))
    handles = [
        Patch(facecolor=PALETTE_BY_KEY[s], edgecolor="#525252", label=_lbl(s, lang))
        for s in ("met", "not_met", "no_data")
    ]
    legend_below(ax, ncol=3, handles=handles, labels=[str(h.get_label()) for h in handles])
    return finish(fig, demo=_demo(scorecard, demo), lang=lang)
