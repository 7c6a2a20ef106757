"""The brief's charts, drawn in the house style and embedded as PNG data URIs.

Charts the upstream notebooks already drew (``monthly_profile.png``, ``profiles.png``, …) are
reused by :func:`upstream_png` when they were drawn in the brief's language.
"""

from __future__ import annotations

import base64
import io
import math
import re
from collections.abc import Callable, Mapping

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from helpers.core.formatting import number
from helpers.core.text import tr
from helpers.core.thresholds import ranking_window
from helpers.report.brief.findings import cf_interval, counterfactual_status
from helpers.report.brief.model import Brief, capital_rates, districts, province_row, unit_name
from helpers.report.brief.values import common, lc_first, num, t
from helpers.report.figures import maps, style

PNG_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\.png")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_URI = "data:image/png;base64,"


def png_data_uri(fig: Figure) -> str:
    """``fig`` as an embedded PNG (no software tag, so identical charts give identical bytes)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches=None, metadata={"Software": None})
    plt.close(fig)
    return PNG_URI + base64.b64encode(buf.getvalue()).decode("ascii")


def chart_by_year(b: Brief) -> str | None:
    """Allocated and disbursed at the three cut-offs, by plan year with allocation."""
    rows = [r for r in b.metrics.by_year if r.allocated_mvnd]
    if not rows:
        return None
    lang = b.lang
    fig, ax = style.new_figure(3.2)
    series = [
        ("allocated", "allocated_mvnd", style.PALETTE_BY_KEY["allocated"]),
        ("dec31", "disbursed_dec31_mvnd", style.PALETTE[3]),
        ("deadline", "disbursed_deadline_mvnd", style.PALETTE[1]),
        ("last", "disbursed_last_mvnd", style.PALETTE[0]),
    ]
    width = 0.2
    for i, (key, col, color) in enumerate(series):
        ax.bar(
            [j + (i - 1.5) * width for j in range(len(rows))],
            [getattr(r, col) or 0.0 for r in rows],
            width=width,
            color=color,
            label=common(key, lang),
            edgecolor="white",
            linewidth=0.4,
        )
    ax.set_xticks(range(len(rows)), [str(r.plan_year) for r in rows])
    style.amount_axis(ax, lang, scale=1000.0)
    ax.set_ylabel(common("bvnd", lang))
    style.legend_below(ax, ncol=2)
    style.finish(fig, demo=b.demo, lang=lang)
    return png_data_uri(fig)


CAPITAL_TYPE_CUTOFFS = ("deadline", "last")
"""The cut-offs the capital-type chart draws, in its order (its caption names the same)."""


def capital_type_cutoffs(lang: str) -> str:
    """The cut-offs of :func:`chart_capital_types` as its caption names them."""
    return "; ".join(lc_first(common(key, lang)) for key in CAPITAL_TYPE_CUTOFFS)


def chart_capital_types(b: Brief) -> str | None:
    """Execution rate by capital type at the cut-offs of :data:`CAPITAL_TYPE_CUTOFFS`."""
    rates = capital_rates(b.metrics)
    types = [c for c in ("investment", "recurrent") if rates[f"{c}_deadline"] is not None]
    if not types:
        return None
    lang = b.lang
    fig, ax = style.new_figure(2.0)
    ys = range(len(types))
    colors = {"deadline": style.PALETTE[1], "last": style.PALETTE[0]}
    height = 0.68 / len(CAPITAL_TYPE_CUTOFFS)
    for i, key in enumerate(CAPITAL_TYPE_CUTOFFS):
        offset = (i - (len(CAPITAL_TYPE_CUTOFFS) - 1) / 2) * height
        ax.barh(
            [y + offset for y in ys],
            [rates[f"{c}_{key}"] or 0.0 for c in types],
            height=height,
            color=colors[key],
            label=common(key, lang),
        )
    ax.set_yticks(list(ys), [common(c, lang) for c in types])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    style.percent_axis(ax, lang, axis="x")
    style.legend_below(ax, ncol=2)
    style.finish(fig, demo=b.demo, lang=lang)
    return png_data_uri(fig)


def chart_counterfactual(b: Brief) -> str | None:
    """Disbursed by the deadline, actual and under the counterfactual, with its interval."""
    if counterfactual_status(b.lag) != "ok":
        return None
    cf = b.lag.counterfactual
    base = cf.observed_deadline_mvnd or b.metrics.disbursed_deadline_mvnd
    if base is None:
        return None
    gain, (lo, hi) = cf.gain_mvnd, cf_interval(cf)
    lang = b.lang
    fig, ax = style.new_figure(1.9)
    ax.barh(
        [0, 1],
        [base, base + gain],
        color=[style.PALETTE_BY_KEY["allocated"], style.PALETTE[0]],
        height=0.55,
    )
    ax.errorbar(
        [base + gain],
        [1],
        xerr=[[gain - lo], [hi - gain]],
        fmt="none",
        ecolor="#d62728",
        capsize=4,
        linewidth=1.4,
    )
    ax.set_yticks([0, 1], [t("cf_actual", lang), t("cf_scenario", lang, date=b.cf_date)])
    ax.invert_yaxis()
    style.amount_axis(ax, lang, axis="x", scale=1000.0)
    ax.set_xlabel(common("bvnd", lang))
    style.finish(fig, demo=b.demo, lang=lang)
    return png_data_uri(fig)


CF_YEAR_KEYS = (
    "observed_deadline_mvnd",
    "counterfactual_deadline_mvnd",
    "counterfactual_ci_low",
    "counterfactual_ci_high",
)


def _year_whisker(cf_value: float, row: Mapping) -> tuple[float, float]:
    """Below and above a year's scenario bar: the wider interval of its gain when ``lag.json``
    has it (as the sentences quote), else the delta-method interval of the scenario amount."""
    gain, lo, hi = (num(row.get(k)) for k in ("gain_mvnd", "ci_wide_low", "ci_wide_high"))
    if gain is not None and lo is not None and hi is not None:
        return gain - lo, hi - gain
    return cf_value - float(row["counterfactual_ci_low"]), float(
        row["counterfactual_ci_high"]
    ) - cf_value


def chart_counterfactual_by_year(b: Brief) -> str | None:
    """Per plan year: disbursed by the deadline, observed and under the counterfactual."""
    if counterfactual_status(b.lag) != "ok":
        return None
    rows = [
        r
        for r in b.lag.counterfactual.by_year
        # lag.json writes plan_year of these rows as a string ("2022")
        if str(r.get("plan_year", "")).isdigit()
        and all(num(r.get(k)) is not None for k in CF_YEAR_KEYS)
    ]
    if len(rows) < 2:
        return None
    lang = b.lang
    fig, ax = style.new_figure(2.9)
    xs = list(range(len(rows)))
    cfv = [float(r["counterfactual_deadline_mvnd"]) for r in rows]
    ax.bar(
        [x - 0.19 for x in xs],
        [float(r["observed_deadline_mvnd"]) for r in rows],
        width=0.38,
        color=style.PALETTE_BY_KEY["allocated"],
        label=t("cf_actual", lang),
    )
    ax.bar(
        [x + 0.19 for x in xs],
        cfv,
        width=0.38,
        color=style.PALETTE[0],
        label=t("cf_scenario", lang, date=b.cf_date),
    )
    whiskers = [_year_whisker(c, r) for c, r in zip(cfv, rows, strict=True)]
    err = [[w[0] for w in whiskers], [w[1] for w in whiskers]]
    ax.errorbar(
        [x + 0.19 for x in xs],
        cfv,
        yerr=err,
        fmt="none",
        ecolor="#d62728",
        capsize=3,
        linewidth=1.2,
    )
    ax.set_xticks(xs, [str(int(r["plan_year"])) for r in rows])
    style.amount_axis(ax, lang, scale=1000.0)
    ax.set_ylabel(common("bvnd", lang))
    style.legend_below(ax, ncol=2)
    style.finish(fig, demo=b.demo, lang=lang)
    return png_data_uri(fig)


def profile_curve(group: Mapping) -> Callable[[float], float] | None:
    """The fitted S-curve of a ``lag.json`` profile group (logistic or Gompertz), or None."""
    fit = ((group.get("fits") or {}).get(group.get("form")) or {}).get("params") or {}
    a, k = num(fit.get("a")), num(fit.get("k"))
    if a is None or k is None:
        return None
    if group.get("form") == "gompertz" and num(fit.get("b")) is not None:
        b_ = float(fit["b"])
        return lambda x: a * math.exp(-b_ * math.exp(-k * x))
    if group.get("form") == "logistic" and num(fit.get("t0")) is not None:
        t0 = float(fit["t0"])
        return lambda x: a / (1 + math.exp(-k * (x - t0)))
    return None


def _profile_groups(block: object) -> dict[str, Callable[[float], float]]:
    """Curves by capital type of a profile block (groups split by quarter are skipped)."""
    groups = block.get("groups") if isinstance(block, Mapping) else None
    out = {}
    for g in groups or []:
        if g.get("capital_type") in ("investment", "recurrent") and "allocation_quarter" not in g:
            curve = profile_curve(g)
            if curve:
                out[str(g["capital_type"])] = curve
    return out


def chart_profiles(b: Brief) -> str | None:
    """Standard disbursement profiles by capital type drawn from the fitted curves in
    ``lag.json`` (for a district its own, with the province's dashed)."""
    prof = b.lag.profile
    province = _profile_groups(prof.get("province_by_capital_type"))
    own = _profile_groups(prof.get("scope")) if b.is_district else {}
    if not province and not own:
        return None
    lang = b.lang
    fig, ax = style.new_figure(2.9)
    xs = [i / 4 for i in range(0, 36 * 4 + 1)]
    colors = {"investment": style.PALETTE_BY_KEY["investment"], "recurrent": style.PALETTE[2]}
    prov_name = (
        common("province", lang)
        if b.is_district
        else t("province_row", lang, name=getattr(b.metrics, f"scope_name_{lang}"))
    )
    for ctype, curve in province.items():
        ax.plot(
            xs,
            [curve(x) for x in xs],
            color=colors[ctype],
            linestyle="--" if own else "-",
            linewidth=1.3 if own else 1.8,
            label=f"{common(ctype, lang)} – {prov_name}",
        )
    for ctype, curve in own.items():
        ax.plot(
            xs,
            [curve(x) for x in xs],
            color=colors[ctype],
            linewidth=2.0,
            label=f"{common(ctype, lang)} – {b.scope_name()}",
        )
    ax.set_ylim(0, 1)
    ax.set_xlim(0, 36)
    style.percent_axis(ax, lang)
    ax.set_xlabel(t("ax_months", lang))
    ax.legend(loc="lower right", frameon=True, framealpha=0.9, fontsize=7)
    style.finish(fig, demo=b.demo, lang=lang)
    return png_data_uri(fig)


def chart_ranking(b: Brief) -> str | None:
    """District execution rates at the deadline, the scope highlighted, province as a line."""
    rows = sorted(districts(b.ranking), key=lambda r: r.execution_rate)
    prov = province_row(b.ranking)
    if len(rows) < 2:
        return None
    lang = b.lang
    by_rank = sorted(rows, key=lambda r: (r.rank is None, r.rank or 0, r.unit_code))
    shown, left_out = ranking_window(
        [r.unit_code for r in by_rank], b.unit_code if b.is_district else None
    )
    total = len(rows)
    rows = [r for r in rows if r.unit_code in shown]
    fig, ax = style.new_figure(0.22 * len(rows) + 0.9)
    colors = [
        style.PALETTE[0] if r.unit_code == b.unit_code and b.is_district else style.PALETTE[1]
        for r in rows
    ]
    ax.barh(range(len(rows)), [r.execution_rate for r in rows], color=colors, height=0.7)
    style.interval_dots(
        ax,
        range(len(rows)),
        [r.adjusted_rate for r in rows],
        [r.adjusted_ci_low for r in rows],
        [r.adjusted_ci_high for r in rows],
    )
    ax.set_yticks(range(len(rows)), [unit_name(r, lang) for r in rows])
    if prov and prov.execution_rate is not None:
        ax.axvline(
            prov.execution_rate,
            color=style.PALETTE_BY_KEY["province"],
            linestyle="--",
            linewidth=1.2,
        )
    ax.set_xlim(0, 1)
    style.percent_axis(ax, lang, axis="x")
    note = None
    if left_out:
        note = tr(
            "figures.ranking_omitted",
            lang,
            shown=number(len(rows), lang),
            total=number(total, lang),
        )
    style.finish(fig, demo=b.demo, lang=lang, note=note)
    return png_data_uri(fig)


def upstream_png(b: Brief, source: str, png_name: str) -> str | None:
    """A PNG the assessment (``source="metrics"``) or lag notebook (``"lag"``) wrote, as a data
    URI, when its result file lists it under ``figures``, it sits in the same folder, and it was
    drawn in the brief's language."""
    result = b.metrics if source == "metrics" else b.lag
    drawn_in = b.metrics.lang if source == "metrics" else b.lag.parameters.get("lang")
    folder = b.inputs.get(source)
    if folder is None or png_name not in result.figures:
        return None
    if drawn_in != b.lang or not PNG_NAME.fullmatch(png_name):
        return None
    path = folder.parent / png_name
    if not path.is_file() or path.resolve().parent != folder.resolve().parent:
        return None
    raw = path.read_bytes()
    if not raw.startswith(PNG_SIGNATURE):
        return None
    return PNG_URI + base64.b64encode(raw).decode("ascii")


# --------------------------------------------------------------------------- maps
def chart_district_map(b: Brief) -> str | None:
    """The province's choropleth of the former districts' execution rates at the deadline: the
    assessment's ``district_map.png`` when drawn in the brief's language, else drawn here from
    the ranking's values (legend in the brief's language, DEMO on demo data)."""
    upstream = upstream_png(b, "metrics", "district_map.png")
    if upstream:
        return upstream
    rows = districts(b.ranking)
    if len(rows) < 2:
        return None
    values = {r.unit_code: r.execution_rate for r in rows}
    names = {r.unit_code: unit_name(r, b.lang) for r in rows}
    fig = maps.plot_district_map(values, names, b.lang, demo=b.demo)
    return png_data_uri(fig) if fig is not None else None


def chart_locator(b: Brief) -> str | None:
    """A locator of the scope's former districts (the home district dark, the others it took
    communes from mid-tone): the assessment's ``locator.png`` in the brief's language, else
    drawn here from ``metrics.json``'s ``geography``."""
    upstream = upstream_png(b, "metrics", "locator.png")
    if upstream:
        return upstream
    geo = b.metrics.geography
    if geo is None or not geo.districts:
        return None
    dark = [d.unit_code for d in geo.districts if d.home or len(geo.districts) == 1]
    mid = [d.unit_code for d in geo.districts if d.unit_code not in dark]
    names = {d.unit_code: unit_name(d, b.lang) for d in geo.districts}
    fig = maps.plot_locator(dark, b.lang, partial=mid, names=names)
    return png_data_uri(fig) if fig is not None else None
