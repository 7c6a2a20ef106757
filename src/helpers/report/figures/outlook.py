"""Charts of the outlook notebook (04_outlook), in the house style, from ``outlook.json``.

* :func:`plot_fan`: the cumulative amount disbursed by each year's deadline, 2026–2030, per
  scenario: the median draw and the 80 % and 95 % bands, beside the cumulative plan;
* :func:`plot_indicator_paths`: for each indicator with a 2030 target, the 2020 baseline, the
  latest value, the value in 2030 at the current pace (with its interval) and the target.

Both take the outlook as a dict (the contract dumped; no analysis import, so the brief draws
the fan chart in its own language when the notebook drew it in another) and end with
:func:`helpers.report.figures.finish`, so a chart of synthetic data carries the DEMO mark;
each returns None when there is nothing to draw (a scope not projected, no 2030 target).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from helpers.core.formatting import check_lang, day_month, number, percent
from helpers.core.text import tr
from helpers.report.figures.style import amount_axis, finish, legend_below, new_figure

SCENARIO_COLORS = ("#525252", "#08306b", "#2171b5", "#6baed6", "#969696")
"""Scenarios in their order: the current practice grey, earlier calendars blue."""
MAX_PANELS = 6
"""Indicators drawn at most (those with a 2030 target, in code order)."""


def scenario_name(scenario: dict[str, Any], lang: str) -> str:
    """ "As in 2023–2025", "Assigned by 31 Jan", "Feasible calendar" (and Vietnamese)."""
    if scenario["kind"] == "observed":
        return tr("outlook.scenario.observed", lang, period="2023–2025")
    if scenario["kind"] == "feasible":
        return tr("outlook.scenario.feasible", lang)
    m = re.fullmatch(r"(prev-)?(\d{2})-(\d{2})", str(scenario.get("date") or ""))
    if m is None:
        return str(scenario.get("id"))
    key = "outlook.scenario.date_prev" if m.group(1) else "outlook.scenario.date"
    return tr(key, lang, day=day_month(dt.date(2000, int(m.group(2)), int(m.group(3))), lang))


def plot_fan(outlook: dict[str, Any], lang: str = "vi") -> Figure | None:
    """Fan chart of the cumulative amount disbursed by the deadlines, per scenario."""
    check_lang(lang)
    rows = outlook.get("cumulative") or []
    if not rows:
        return None
    qs = list(outlook.get("fan_quantiles") or [])
    lo95, lo80, mid, hi80, hi95 = (qs.index(q) for q in (0.025, 0.1, 0.5, 0.9, 0.975))
    fig, ax = new_figure(height=3.4)
    years = list(outlook["years"])
    plan = {r["plan_year"]: r["allocated_cum_mvnd"] for r in rows}
    ax.plot(
        years,
        [plan.get(y, np.nan) for y in years],
        color="#969696",
        linestyle="--",
        marker="o",
        markersize=3,
        label=tr("outlook.fig.plan", lang),
    )
    shown = [s for s in outlook["scenarios"] if any(r["scenario"] == s["id"] for r in rows)]
    for i, sc in enumerate(shown):
        own = sorted((r for r in rows if r["scenario"] == sc["id"]), key=lambda r: r["plan_year"])
        x = [r["plan_year"] + (i - (len(shown) - 1) / 2) * 0.06 for r in own]
        q = np.array([r["quantiles"] for r in own])
        color = SCENARIO_COLORS[i % len(SCENARIO_COLORS)]
        ax.fill_between(x, q[:, lo95], q[:, hi95], color=color, alpha=0.12, linewidth=0)
        ax.fill_between(x, q[:, lo80], q[:, hi80], color=color, alpha=0.25, linewidth=0)
        ax.plot(x, q[:, mid], color=color, marker="o", markersize=3, label=scenario_name(sc, lang))
    ax.set_xticks(years, [str(y) for y in years])
    ax.set_xlabel(tr("common.plan_year", lang))
    amount_axis(ax, lang, scale=1000.0)
    ax.set_ylabel(tr("common.bvnd", lang))
    name = outlook.get(f"scope_name_{lang}") or outlook.get("scope_name_vi") or ""
    ax.set_title(
        tr("outlook.fig.fan_title", lang, period=f"{years[0]}–{years[-1]}") + f"\n{name}",
        fontsize=10,
    )
    ax.set_ylim(bottom=0)
    legend_below(ax, ncol=2)
    note = tr(
        "outlook.fig.fan_note", lang, inner=percent(0.8, lang, 0), outer=percent(0.95, lang, 0)
    )
    if outlook.get("flags", {}).get("plan_assumed"):
        note += " " + tr("outlook.fig.plan_assumed", lang)
    return finish(fig, demo=bool(outlook.get("demo")), lang=lang, note=note)


def plot_indicator_paths(outlook: dict[str, Any], lang: str = "vi") -> Figure | None:
    """Small panels: each indicator with a 2030 target, from its baseline to 2030."""
    check_lang(lang)
    inds = [
        i
        for i in outlook.get("indicators") or []
        if i.get("target_2030") is not None and i.get("latest_value") is not None
    ][:MAX_PANELS]
    if not inds:
        return None
    ncols = min(3, len(inds))
    nrows = int(np.ceil(len(inds) / ncols))
    fig, axes = new_figure(height=2.3 * nrows + 0.6, ncols=ncols, nrows=nrows, squeeze=False)
    horizon = max(outlook["years"])
    for ax, ind in zip(axes.flat, inds, strict=False):
        xs, ys = [], []
        if ind.get("baseline_value") is not None:
            xs.append(2020)
            ys.append(ind["baseline_value"])
        xs.append(ind["latest_year"])
        ys.append(ind["latest_value"])
        ax.plot(
            xs,
            ys,
            color="#08306b",
            marker="o",
            markersize=3,
            label=tr("outlook.fig.observed", lang),
        )
        v = ind.get("value_2030") or {}
        if v.get("mean") is not None:
            ax.plot(
                [ind["latest_year"], horizon],
                [ind["latest_value"], v["mean"]],
                color="#2171b5",
                linestyle="--",
                label=tr("outlook.fig.projected", lang),
            )
            if v.get("low") is not None and v.get("high") is not None:
                ax.errorbar(
                    [horizon],
                    [v["mean"]],
                    yerr=[[v["mean"] - v["low"]], [v["high"] - v["mean"]]],
                    color="#2171b5",
                    capsize=3,
                )
        ax.scatter(
            [horizon], [ind["target_2030"]], marker="*", s=70, color="#d62728", zorder=3,
            label=tr("outlook.fig.target", lang, year=str(horizon)),
        )  # fmt: skip
        ax.set_title(_short(ind.get(f"name_{lang}") or ind["name_vi"]), fontsize=8)
        ax.set_xticks([2020, 2025, horizon], ["2020", "2025", str(horizon)])
        ax.yaxis.set_major_formatter(lambda val, _pos: number(val, lang, 0))
    for ax in list(axes.flat)[len(inds) :]:
        ax.set_visible(False)
    fig.suptitle(tr("outlook.fig.ind_title", lang, year=str(horizon)), fontsize=10)
    legend_below(axes.flat[0], ncol=3)
    return finish(fig, demo=bool(outlook.get("demo")), lang=lang)


def _short(text: str, width: int = 48) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
