"""The reference tables shipped with the package (``src/helpers/data/reference/*.csv``).

Units, program components, target indicators, sources and public figures, each row naming a
``source_id`` (a test checks that every one exists in ``sources``). They are trusted files of
the package, so they are converted strictly with the dtypes of :mod:`helpers.data.schema` (a
conversion failure is a bug in the package, raised as is); user files go through
:mod:`helpers.data.intake` instead.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pandas as pd

from helpers.core.paths import REFERENCE_DIR
from helpers.data.contract import dtype_of
from helpers.data.schema import TABLES


@cache
def _load(name: str) -> pd.DataFrame:
    table = TABLES[name]
    raw = pd.read_csv(
        REFERENCE_DIR / f"{name}.csv", dtype=str, keep_default_na=False, encoding="utf-8"
    )
    out = pd.DataFrame(index=raw.index)
    for col in table.columns:
        s = raw[col.name] if col.name in raw else pd.Series("", index=raw.index)
        s = s.str.strip().replace("", None)
        if col.kind == "date":
            out[col.name] = pd.to_datetime(s, format="%Y-%m-%d")
        elif col.kind in ("int",):
            out[col.name] = pd.to_numeric(s).astype("int64")
        elif col.kind in ("amount", "number"):
            out[col.name] = pd.to_numeric(s).astype("float64")
        elif col.kind == "bool":
            out[col.name] = s.map({"true": True, "false": False}).astype("boolean")
        else:
            out[col.name] = s.astype(dtype_of(col))
    return out


def load(name: str) -> pd.DataFrame:
    """A copy of the shipped reference table ``name`` with validated dtypes."""
    return _load(name).copy()


def public_figure_values(unit_code: str) -> dict[str, float]:
    """``figure_id -> value`` of the public figures about ``unit_code``."""
    fig = load("public_figures")
    fig = fig[fig["unit_code"] == unit_code]
    return dict(zip(fig["figure_id"].astype(str), fig["value"].astype(float), strict=True))


@cache
def _polygons() -> dict[str, Any]:
    path = REFERENCE_DIR / "district_polygons.geojson"
    if not path.is_file():
        return {}
    geo = json.loads(path.read_text(encoding="utf-8"))
    return {str(f["properties"]["district_code"]): f["geometry"] for f in geo["features"]}


def district_polygons(codes: list[str] | None = None) -> dict[str, list[list[tuple[float, float]]]]:
    """The shipped district polygons (lon, lat; WGS84), ``code -> rings`` (outer rings only).

    Args:
        codes: the districts wanted (default every shipped one); codes without a polygon are
            left out, so a province whose districts are not shipped gets an empty dict.
    """
    out: dict[str, list[list[tuple[float, float]]]] = {}
    for code, geom in _polygons().items():
        if codes is not None and code not in codes:
            continue
        parts = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        out[code] = [[(float(x), float(y)) for x, y in part[0]] for part in parts]
    return out
