"""Maps of the former districts, drawn with matplotlib from the shipped polygons.

* :func:`plot_district_map`: a choropleth of one value per district (the execution rate at the
  deadline in the province brief), in classes with a legend in the brief's language and number
  format, districts without a value hatched as "no data", each district named;
* :func:`plot_locator`: a small map with some districts highlighted (a district brief's own
  district, a new unit's former districts).

The polygons are simplified (about 300 m) lon/lat rings (:func:`helpers.data.reference.district_polygons`);
they are drawn in an equirectangular projection scaled by the cosine of the mean latitude, which
at 22–23° N keeps shapes true within a fraction of a percent over the province. No geopandas:
ten polygons need no spatial library.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.path import Path as MplPath

from helpers.core.formatting import date, percent
from helpers.core.text import tr
from helpers.data.reference import district_polygons
from helpers.report.figures.style import PALETTE, TITLE_WIDTH, finish, new_figure, same_drawing

Rings = Mapping[str, Sequence[Sequence[tuple[float, float]]]]

CLASS_COLOURS: tuple[str, ...] = ("#deebf7", "#9ecae1", "#4292c6", "#2171b5", "#08306b")
"""Light to dark blues: lightness differs enough to read in grey."""
NO_DATA = "#f0f0f0"
LOCATOR_SIZE = (3.2, 2.4)
"""Inches: the locator is shown at about half the text width (the brief's ``fig-locator``)."""
SMALL_AREA = 0.03
"""A district smaller than this share of the map is named outside it, with a leader line."""
DISTRICTS_UNTIL = "2025-06-30"
"""Last day of the district level (the 1 July 2025 reform)."""


def _lbl(key: str, lang: str, **values: object) -> str:
    return tr(f"figures.map.{key}", lang, **values)


def centroid(ring: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """Area centroid of a closed ring (shoelace formula); the vertex mean for a degenerate one."""
    x = np.array([p[0] for p in ring], dtype=float)
    y = np.array([p[1] for p in ring], dtype=float)
    cross = x[:-1] * y[1:] - x[1:] * y[:-1]
    area = cross.sum() / 2.0
    if abs(area) < 1e-12:
        return float(x.mean()), float(y.mean())
    cx = ((x[:-1] + x[1:]) * cross).sum() / (6.0 * area)
    cy = ((y[:-1] + y[1:]) * cross).sum() / (6.0 * area)
    return float(cx), float(cy)


def label_point(
    ring: Sequence[tuple[float, float]], holes: Sequence[Sequence[tuple[float, float]]] = ()
) -> tuple[float, float]:
    """A point well inside ``ring`` and outside ``holes`` (polygons drawn over it, such as a
    city inside its surrounding district): of the centroid and a grid of points inside, the one
    farthest from every edge of the ring and the holes."""
    outer = MplPath(np.asarray(ring))
    cut = [MplPath(np.asarray(h)) for h in holes]
    cx, cy = centroid(ring)
    xs, ys = zip(*ring, strict=True)
    gx, gy = np.meshgrid(np.linspace(min(xs), max(xs), 40), np.linspace(min(ys), max(ys), 40))
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    pts = np.vstack([[cx, cy], pts])
    inside = outer.contains_points(pts)
    for h in cut:
        inside &= ~h.contains_points(pts)
    if not inside.any():
        return cx, cy
    pts = pts[inside]
    dist = np.min([_segment_distance(pts, r) for r in [ring, *holes]], axis=0)
    return float(pts[dist.argmax(), 0]), float(pts[dist.argmax(), 1])


def _segment_distance(pts: np.ndarray, ring: Sequence[tuple[float, float]]) -> np.ndarray:
    """Distance of each point to the nearest edge of ``ring``."""
    r = np.asarray(ring, dtype=float)
    a, b = r[:-1], r[1:]
    ab = b - a
    length = (ab**2).sum(axis=1)
    length[length == 0] = 1e-12
    t = ((pts[:, None, :] - a[None]) * ab[None]).sum(axis=2) / length[None]
    near = a[None] + np.clip(t, 0, 1)[..., None] * ab[None]
    return np.sqrt(((pts[:, None, :] - near) ** 2).sum(axis=2)).min(axis=1)


def _ring_area(ring: Sequence[tuple[float, float]]) -> float:
    x = np.array([p[0] for p in ring])
    y = np.array([p[1] for p in ring])
    return float(abs((x[:-1] * y[1:] - x[1:] * y[:-1]).sum()) / 2.0)


def _label_points(rings: Rings) -> dict[str, tuple[float, float]]:
    """Where each district's name goes: inside it, clear of districts drawn over it."""
    out = {}
    for code, parts in rings.items():
        main = max(parts, key=_ring_area)
        outer = MplPath(np.asarray(main))
        holes = [
            max(other, key=_ring_area)
            for c, other in rings.items()
            if c != code and outer.contains_point(centroid(max(other, key=_ring_area)))
        ]
        out[code] = label_point(main, holes)
    return out


def class_breaks(values: Sequence[float], n: int = 5) -> list[float]:
    """``n + 1`` rounded class limits spanning ``values`` (equal width, whole percentage points
    for rates): equal widths read more easily than quantiles with ten districts."""
    lo, hi = min(values), max(values)
    if hi - lo < 1e-9:
        return [lo, hi]
    lo_pts = math.floor(round(lo * 100, 6))  # whole points; round first: 0.57 * 100 = 56.99…
    hi_pts = math.ceil(round(hi * 100, 6))
    step_pts = max(math.ceil((hi_pts - lo_pts) / n), 1)
    lo_r, hi_r, step = lo_pts / 100, hi_pts / 100, step_pts / 100
    return [round(lo_r + i * step, 4) for i in range(n + 1) if lo_r + (i - 1) * step < hi_r]


def class_of(value: float, breaks: Sequence[float]) -> int:
    """Index of the class of ``value`` (the last class includes its upper limit)."""
    for i in range(len(breaks) - 1):
        if value < breaks[i + 1]:
            return i
    return max(len(breaks) - 2, 0)


def _draw(ax, rings: Rings, colours: Mapping[str, str], hatch: set[str], edge: str = "#525252"):
    # largest first, so a city inside its surrounding district stays visible
    order = sorted(rings, key=lambda c: -max(_ring_area(p) for p in rings[c]))
    for code in order:
        parts = rings[code]
        coll = PolyCollection(
            [np.asarray(p) for p in parts],
            facecolors=colours.get(code, NO_DATA),
            edgecolors=edge,
            linewidths=0.6,
            hatch="///" if code in hatch else None,
        )
        ax.add_collection(coll)
    xs = [x for parts in rings.values() for p in parts for x, _ in p]
    ys = [y for parts in rings.values() for p in parts for _, y in p]
    pad = 0.02 * max(max(xs) - min(xs), max(ys) - min(ys))
    ax.set_xlim(min(xs) - pad, max(xs) + pad)
    ax.set_ylim(min(ys) - pad, max(ys) + pad)
    ax.set_aspect(1.0 / math.cos(math.radians((min(ys) + max(ys)) / 2)))
    ax.set_axis_off()


def _name_districts(
    ax,
    rings: Rings,
    names: Mapping[str, str],
    codes: Sequence[str],
    dark: set[str],
    fontsize: float = 6.5,
) -> None:
    """Write the names of ``codes`` inside their districts (white on dark fills); a district
    smaller than :data:`SMALL_AREA` of the map (a city) is named in a corner, with a leader line."""
    areas = {c: max(_ring_area(p) for p in parts) for c, parts in rings.items()}
    total = sum(areas.values())
    points = _label_points(rings)
    corner = 0
    for code in codes:
        if code not in rings:
            continue
        cx, cy = points[code]
        if areas[code] < SMALL_AREA * total:
            ax.annotate(
                names.get(code, code), (cx, cy), xytext=(0.02, 0.04 + 0.07 * corner),
                textcoords="axes fraction", fontsize=fontsize, color="#252525", ha="left",
                arrowprops={"arrowstyle": "-", "color": "#525252", "linewidth": 0.6},
            )  # fmt: skip
            corner += 1
            continue
        ax.text(
            cx, cy, names.get(code, code), ha="center", va="center", fontsize=fontsize,
            color="white" if code in dark else "#252525",
        )  # fmt: skip


def plot_district_map(
    values: Mapping[str, float | None],
    names: Mapping[str, str],
    lang: str = "vi",
    *,
    demo: bool,
    title: str | None = None,
    legend_title: str | None = None,
    rings: Rings | None = None,
) -> Figure | None:
    """Choropleth of one rate per district (0–1), or None when no district has a polygon.

    Args:
        values: district code -> rate (None or NaN: no data, hatched).
        names: district code -> the name shown on the map.
        demo: stamp the map DEMO (the values come from synthetic data).
        title, legend_title: default the execution rate at the deadline.
        rings: polygons (default the shipped ones).
    """
    rings = dict(rings if rings is not None else district_polygons(list(values)))
    rings = {c: r for c, r in rings.items() if c in values}
    if not rings:
        return None
    known = {c: float(v) for c, v in values.items() if v is not None and not math.isnan(float(v))}
    known = {c: v for c, v in known.items() if c in rings}
    breaks = class_breaks(list(known.values())) if known else []
    colours = {}
    for code, v in known.items():
        k = class_of(v, breaks)
        colours[code] = CLASS_COLOURS[min(k, len(CLASS_COLOURS) - 1)]
    fig, ax = new_figure(height=3.8)
    _draw(ax, rings, colours, hatch=set(rings) - set(known))
    _name_districts(ax, rings, names, list(rings), dark={
        c for c in rings if colours.get(c) in CLASS_COLOURS[3:]
    })  # fmt: skip
    handles = []
    for i in range(len(breaks) - 1):
        lo, hi = percent(breaks[i], lang, 0), percent(breaks[i + 1], lang, 0)
        last = i == len(breaks) - 2
        handles.append(
            Patch(
                facecolor=CLASS_COLOURS[min(i, len(CLASS_COLOURS) - 1)],
                edgecolor="#525252",
                label=_lbl("class_last" if last else "class", lang, lo=lo, hi=hi),
            )
        )
    if len(known) < len(rings):
        handles.append(
            Patch(facecolor=NO_DATA, edgecolor="#525252", hatch="///", label=_lbl("no_data", lang))
        )
    ax.legend(
        handles=handles,
        title=legend_title or _lbl("rate_legend", lang),
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        frameon=False,
        fontsize=7,
        title_fontsize=7.5,
    )
    # the map is narrower than the figure: its title spans the figure, from the left
    heading = title or _lbl("rate_title", lang, date=date(DISTRICTS_UNTIL, lang))
    fig.suptitle(
        "\n".join(textwrap.wrap(heading, TITLE_WIDTH)),
        x=0.01, ha="left", fontsize=plt.rcParams["axes.titlesize"], fontweight="bold",
    )  # fmt: skip
    return finish(fig, demo=demo, lang=lang, source=_lbl("source", lang))


def plot_locator(
    highlight: Sequence[str],
    lang: str = "vi",
    *,
    partial: Sequence[str] = (),
    names: Mapping[str, str] | None = None,
    rings: Rings | None = None,
) -> Figure | None:
    """A small map of every district, ``highlight`` dark and ``partial`` mid-tone (a new unit
    that took only some of a district's communes); None without polygons. Carries no data,
    so it is never marked DEMO."""
    rings = dict(rings if rings is not None else district_polygons())
    if not rings:
        return None
    colours = {c: "#e0e0e0" for c in rings}
    colours.update({c: PALETTE[1] for c in partial if c in rings})
    colours.update({c: PALETTE[0] for c in highlight if c in rings})
    fig, ax = new_figure(height=LOCATOR_SIZE[1])
    fig.set_size_inches(*LOCATOR_SIZE)  # drawn at the size it is shown, so text stays small
    _draw(ax, rings, colours, hatch=set(), edge="#737373")
    if names:
        _name_districts(ax, rings, names, [*highlight, *partial], set(highlight), fontsize=6)
    fig = finish(fig, demo=False, lang=lang)
    fig.text(0.99, 0.005, _lbl("source", lang), fontsize=5, color="#525252", ha="right",
             va="bottom")  # fmt: skip
    # many new units share their former districts: their locators are drawn once per worker
    shown = sorted((names or {}).items())
    return same_drawing(
        fig, "locator", tuple(highlight), tuple(partial), shown, lang, sorted(rings)
    )


def colour_of(value: float, breaks: Sequence[float]) -> str:
    """The hex colour a value gets on the choropleth (for the legend table beside the map)."""
    return to_hex(CLASS_COLOURS[min(class_of(value, breaks), len(CLASS_COLOURS) - 1)])
