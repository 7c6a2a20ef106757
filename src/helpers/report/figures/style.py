"""The house style of every figure, and the DEMO mark.

* seaborn ``whitegrid`` theme, DejaVu Sans (ships with matplotlib and covers Vietnamese
  diacritics; :func:`check_font_covers` proves it for a given text);
* a palette whose colours differ in lightness, so a chart still reads printed in grey;
* sizes for A4 width (17 cm text width: 6.7 in);
* :func:`mark_demo` writes a large diagonal "DEMO" watermark and a footnote on any figure made
  from synthetic data; :func:`finish` applies it from the data's DEMO flag, so a chart cannot
  forget it;
* the assessment charts (``plot_*``, below the house-style helpers): each takes a table of
  :mod:`helpers.analysis` tables, a language and ``demo`` (default: the table's DEMO flag), labels in
  that language, amounts in billion VND with the language's number format.
"""

from __future__ import annotations

import hashlib
import io
import textwrap
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont
from matplotlib.ft2font import FT2Font
from matplotlib.layout_engine import TightLayoutEngine
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter

from helpers.core.files import atomic_write_bytes
from helpers.core.formatting import number, percent
from helpers.core.text import tr

A4_WIDTH_IN = 6.7
FONT_FAMILY = "DejaVu Sans"

PALETTE: tuple[str, ...] = ("#08306b", "#6baed6", "#2171b5", "#c6dbef", "#525252", "#969696")
"""Blues and greys of clearly different lightness (dark, light, mid, …): readable in grey."""

PALETTE_BY_KEY: dict[str, str] = {
    "investment": PALETTE[0],
    "recurrent": PALETTE[1],
    "allocated": "#bdbdbd",
    "disbursed": PALETTE[0],
    "province": "#525252",
    "linear": "#969696",
    "met": "#08306b",
    "not_met": "#bdbdbd",
    "no_data": "#f0f0f0",
}


def apply_style() -> None:
    """Set the house style for every later figure (idempotent)."""
    sns.set_theme(
        style="whitegrid",
        context="paper",
        palette=list(PALETTE),
        font=FONT_FAMILY,
        rc={
            "figure.dpi": 110,
            "savefig.dpi": 110,
            # names from the data are text: "$…$" in a unit's name is not matplotlib mathtext
            "text.parse_math": False,
            # one layout pass: :func:`finish` lays the figure out (tight_layout), the PNG is
            # the whole figure (a tight bounding box would draw every figure twice)
            "savefig.bbox": None,
            "axes.titlesize": 11,
            "axes.labelsize": 9,
            "xtick.labelsize": 8,
            "ytick.labelsize": 8,
            "legend.fontsize": 8,
            "axes.titleweight": "bold",
            "figure.figsize": (A4_WIDTH_IN, 3.4),
        },
    )


def new_figure(height: float = 3.4, ncols: int = 1, nrows: int = 1, **kwargs):
    """A figure of A4 text width in the house style; returns ``(fig, axes)``."""
    apply_style()
    return plt.subplots(nrows, ncols, figsize=(A4_WIDTH_IN, height), **kwargs)


def amount_axis(ax, lang: str = "vi", axis: str = "y", scale: float = 1.0, digits: int = 0) -> None:
    """Format an amount axis with the language's number format (values divided by scale)."""
    fmt = FuncFormatter(lambda v, _pos: number(v / scale, lang, digits))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def percent_axis(ax, lang: str = "vi", axis: str = "y") -> None:
    """Format a 0–1 axis as percentages in the language's format."""
    fmt = FuncFormatter(lambda v, _pos: percent(v, lang, 0))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def mark_demo(fig: Figure, lang: str = "vi") -> Figure:
    """Stamp a figure as DEMO: a diagonal watermark and a footnote naming synthetic data."""
    fig.text(
        0.5,
        0.5,
        "DEMO",
        fontsize=64,
        color="#d62728",
        alpha=0.18,
        rotation=25,
        ha="center",
        va="center",
        fontweight="bold",
        zorder=1000,
        gid="demo-mark",
    )
    fig.text(
        0.01,
        0.005,
        tr("common.demo_note", lang),
        fontsize=7,
        color="#d62728",
        ha="left",
        va="bottom",
        gid="demo-note",
    )
    fig.demo_marked = True  # type: ignore[attr-defined]
    return fig


NOTE_WIDTH = 128
"""Characters of a figure note per line at the full text width (6.5 pt)."""
TITLE_WIDTH = 68
"""Characters of a figure-wide title per line at the full text width (bold, axes title size)."""
"""Characters per line of a figure's note."""


def finish(
    fig: Figure,
    *,
    demo: bool,
    lang: str = "vi",
    source: str | None = None,
    note: str | None = None,
) -> Figure:
    """Last step of every chart: tight layout, source line, a method ``note`` under the plot
    (wrapped), DEMO mark when ``demo``."""
    if source:
        fig.text(0.99, 0.005, source, fontsize=7, color="#525252", ha="right", va="bottom")
    bottom = 0.04
    if note:
        width = int(NOTE_WIDTH * fig.get_size_inches()[0] / A4_WIDTH_IN)
        lines = textwrap.wrap(note, width)
        fig.text(
            0.01,
            bottom,
            "\n".join(lines),
            fontsize=6.5,
            color="#525252",
            ha="left",
            va="bottom",
            gid="figure-note",
        )
        bottom += (0.11 * len(lines) + 0.06) / fig.get_size_inches()[1]
    # lay out once, without leaving a layout engine on the figure: with one, ``savefig``
    # draws the whole figure once more before drawing it for the PNG
    TightLayoutEngine(rect=(0, bottom, 1, 1)).execute(fig)
    if demo:
        mark_demo(fig, lang)
    return fig


def has_demo_mark(fig: Figure) -> bool:
    """True when :func:`mark_demo` stamped ``fig`` (tests and briefs check this)."""
    return any(t.get_gid() == "demo-mark" and t.get_text() == "DEMO" for t in fig.texts)


def check_font_covers(text: str, family: str = FONT_FAMILY) -> list[str]:
    """Characters of ``text`` that the font has no glyph for (empty list: all covered)."""
    font = FT2Font(findfont(FontProperties(family=family)))
    charmap = font.get_charmap()
    return sorted({ch for ch in text if not ch.isspace() and ord(ch) not in charmap})


def interval_dots(
    ax,
    y: Sequence[float],
    estimate: Sequence[float | None],
    low: Sequence[float | None],
    high: Sequence[float | None],
    label: str | None = None,
) -> None:
    """Horizontal estimates with their intervals (dots and whiskers) at positions ``y``;
    rows without an estimate are skipped, a missing end draws no whisker on that side."""

    def val(v: float | None) -> float:
        return float("nan") if v is None else float(v)

    rows = [
        (yi, val(e), val(lo), val(hi)) for yi, e, lo, hi in zip(y, estimate, low, high, strict=True)
    ]
    rows = [r for r in rows if r[1] == r[1]]
    if not rows:
        return
    ys, xs = [r[0] for r in rows], [r[1] for r in rows]
    left = [0.0 if lo != lo else max(e - lo, 0.0) for _, e, lo, _ in rows]
    right = [0.0 if hi != hi else max(hi - e, 0.0) for _, e, _, hi in rows]
    ax.errorbar(
        xs,
        ys,
        xerr=[left, right],
        fmt="o",
        color="#252525",
        markersize=3.5,
        elinewidth=1.0,
        capsize=2,
        label=label,
        zorder=5,
    )


def legend_below(
    ax, ncol: int = 3, handles: Sequence | None = None, labels: Sequence[str] | None = None
) -> None:
    """Put the legend under the plot, centred, without a frame."""
    kwargs = {"handles": handles, "labels": labels} if handles is not None else {}
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=ncol, frameon=False, **kwargs)


def figure_texts(fig: Figure) -> list[str]:
    """Every text a figure shows (titles, labels, ticks, legends, annotations), after a draw."""
    fig.canvas.draw()
    return [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


_DRAWN: dict[tuple[str, int], bytes] = {}
"""PNGs of figures marked by :func:`same_drawing`, by drawing key and dpi (a few, in the
process: a batch worker draws many scopes' figures, some of them alike)."""
_DRAWN_MAX = 16


def same_drawing(fig: Figure, *inputs: object) -> Figure:
    """Mark ``fig`` as fully determined by ``inputs`` (what the plot function was given, in a
    ``repr`` that shows all of it) and the house style in force: :func:`png_bytes` then draws
    it only the first time the process sees the same key. Returns ``fig``."""
    h = hashlib.sha256(repr(inputs).encode())
    h.update(repr(sorted((k, repr(v)) for k, v in plt.rcParams.items())).encode())
    fig._mtqg_drawing = h.hexdigest()  # type: ignore[attr-defined]
    return fig


def frame_key(frame: pd.DataFrame) -> str:
    """A digest of a frame's values, index and columns (for :func:`same_drawing`)."""
    h = hashlib.sha256(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    h.update(repr(list(frame.columns)).encode())
    return h.hexdigest()


def png_bytes(fig: Figure, dpi: int = 110) -> bytes:
    """``fig`` drawn once as PNG, the whole figure as :func:`finish` laid it out (no tight
    bounding box: it would draw the figure a second time to measure it); the PNG of a figure
    marked by :func:`same_drawing` is drawn once per process and key."""
    key = getattr(fig, "_mtqg_drawing", None)
    if key is not None and (key, dpi) in _DRAWN:
        return _DRAWN[(key, dpi)]
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches=None)
    png = buf.getvalue()
    if key is not None:
        if len(_DRAWN) >= _DRAWN_MAX:
            _DRAWN.pop(next(iter(_DRAWN)))
        _DRAWN[(key, dpi)] = png
    return png


def save_png(fig: Figure, path: str | Path, dpi: int = 110) -> Path:
    """Save ``fig`` as PNG atomically (temporary file, then rename) and return the path."""
    return atomic_write_bytes(path, png_bytes(fig, dpi))


def show_png(fig: Figure, png: bytes) -> bool:
    """In a notebook whose figures the inline backend shows, show ``png`` (the figure as
    already drawn and saved) and close ``fig``, so that the backend does not draw it again at
    the end of the cell; elsewhere do nothing. Returns whether it was shown."""
    if "inline" not in str(plt.get_backend()):
        return False
    from IPython.display import Image, display  # deferred: only inside a kernel

    display(Image(data=png, format="png"))
    plt.close(fig)
    return True
