"""Open a dataset by what a user passes as ``data``, and resolve an analysis scope.

``data`` is ``"demo"`` (the embedded synthetic dataset, default seed), ``"demo:SEED"`` (another
calibrated draw), a folder of CSV files, or one ``.xlsx`` workbook; a relative path is looked
up under the repository root first, then in the working directory. Every route returns a
validated :class:`~helpers.data.dataset.Dataset`; the demo route goes through the same validation as
files do.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pandas as pd

from helpers.core.errors import message, parameter_error
from helpers.core.paths import REPO_ROOT
from helpers.core.scope import Scope
from helpers.data import demo, intake
from helpers.data.dataset import Dataset
from helpers.data.units import UnitResolver

__all__ = [
    "DEMO",
    "Scope",
    "data_key",
    "district_codes",
    "new_unit_codes",
    "open_dataset",
    "preload",
    "resolve_scope",
    "scope_codes",
]

DEMO = "demo"


def parse_demo(data: str | Path) -> int | None:
    """The seed when ``data`` names the demo dataset ("demo" or "demo:SEED"), else None."""
    text = str(data).strip().lower()
    if text == DEMO:
        return demo.DEFAULT_SEED
    if text.startswith(DEMO + ":"):
        try:
            return int(text.split(":", 1)[1])
        except ValueError:
            raise parameter_error("intake.data.bad_seed", data=repr(data)) from None
    return None


def frames_sha256(tables: dict[str, pd.DataFrame]) -> str:
    """SHA-256 of the canonical CSV serialisation of some frames (name order)."""
    h = hashlib.sha256()
    for name in sorted(tables):
        h.update(name.encode())
        h.update(tables[name].to_csv(index=False, date_format="%Y-%m-%d").encode())
    return h.hexdigest()


_PRELOADED: dict[str, Dataset] = {}
"""Datasets already validated in this process, by :func:`data_key` (see :func:`preload`)."""


def _locate(data: str | Path) -> Path:
    """The path ``data`` names: relative paths are looked up under the repo root first."""
    text = str(data).strip()
    if not text:
        raise parameter_error("intake.data.empty")
    path = Path(text).expanduser()
    if not path.is_absolute() and (REPO_ROOT / path).exists():
        path = REPO_ROOT / path  # notebooks run from any folder: the repo root comes first
    if not path.exists():
        raise parameter_error("intake.data.missing", data=repr(str(data)))
    return path


def data_key(data: str | Path) -> str:
    """Canonical form of a ``data`` argument: ``demo:SEED`` or the absolute path."""
    seed = parse_demo(data)
    return f"demo:{seed}" if seed is not None else str(_locate(data).resolve())


def preload(data: str | Path, dataset: Dataset) -> None:
    """Register an already validated ``dataset`` as what ``open_dataset(data)`` returns.

    The batch runner validates the data once and preloads it into each warm kernel, so the
    notebooks it runs skip validating again; a notebook run alone validates as usual. Only
    the caller that validated the dataset should preload it.
    """
    _PRELOADED[data_key(data)] = dataset


def open_dataset(data: str | Path = DEMO) -> Dataset:
    """Load and validate the dataset ``data`` names (see the module docstring).

    A dataset registered with :func:`preload` for the same ``data`` is returned as a copy
    (frames copied, so callers may modify them) instead of being validated again.

    Raises:
        helpers.core.errors.InputError: the files have problems (every problem is listed).
        helpers.core.errors.ParameterError: ``data`` names nothing that exists.
    """
    key = data_key(data)
    if key in _PRELOADED:
        base = _PRELOADED[key]
        frames = {name: frame.copy() for name, frame in base.tables().items()}
        return replace(base, **frames, warnings=list(base.warnings))
    seed = parse_demo(data)
    if seed is not None:
        generated = demo.generate(seed)
        origin = f"demo (helpers.data.demo, seed {seed})"
        return intake.validate_frames(
            generated.tables, origin=origin, sha256=frames_sha256(generated.tables)
        )
    return intake.load_dataset(Path(key))


def _today() -> pd.Timestamp:
    return pd.Timestamp.today().normalize()


def resolve_scope(dataset: Dataset, scope: str, on: object = None) -> Scope:
    """Resolve ``"province"``, a unit code or a unit name to a :class:`Scope`.

    A unit code (exact, or in another case, or without its leading zeros) names that unit,
    whatever its dates. A name shared by units of different dates (the former district
    "Bảo Lâm" and Xã Bảo Lâm, created on 1 July 2025) means the unit that exists on ``on``
    (default: today); a prefix names the other one ("huyện Bảo Lâm").

    Raises:
        ParameterError: the scope matches no unit (the message lists the allowed values and
            the closest names), or several units on that day (the message lists them).
    """
    units = dataset.units
    text = str(scope).strip()
    code: str | None
    if text.lower() in ("province", "tỉnh", "toàn tỉnh"):
        code = dataset.province_code
    else:
        resolver = UnitResolver(units, dataset.successions)
        hit = resolver.resolve_on(text, _today() if on is None else on)
        if len(hit) > 1:
            raise parameter_error(
                "intake.data.ambiguous_scope",
                scope=repr(scope),
                candidates=[f"{c} ({resolver.display(c)})" for c in hit],
            )
        if not hit:
            allowed = ["province"] + [
                f"{r.unit_code} ({r.name_vi})" for r in dataset.districts.itertuples()
            ]
            close = resolver.suggest(text)
            hint = message("intake.data.closest", units=close) if close else ""
            raise parameter_error(
                "intake.data.unknown_scope", scope=repr(scope), hint=hint, allowed=allowed
            )
        code = hit[0]
    row = units.loc[units["unit_code"] == code].iloc[0]
    return Scope(
        code=str(code),
        name_vi=str(row["name_vi"]),
        name_en=str(row["name_en"]),
        level=str(row["level"]),
    )


def district_codes(dataset: Dataset) -> list[str]:
    """The district-level units (before 1 July 2025, the former districts), in code order."""
    return dataset.districts["unit_code"].astype(str).tolist()


def new_unit_codes(dataset: Dataset) -> list[str]:
    """The commune-level units directly under the province with a ``valid_from`` date (the
    units created by the 1 July 2025 reform, which abolished the districts), in code order."""
    u = dataset.units
    if "valid_from" not in u or "parent_code" not in u:
        return []
    new = u[
        (u["level"] == "commune")
        & (u["parent_code"].astype("string") == dataset.province_code)
        & u["valid_from"].notna()
    ]
    return sorted(new["unit_code"].astype(str))


def scope_codes(dataset: Dataset) -> list[str]:
    """Every scope a batch run covers (``all``): the province, its district-level units, then
    the units created on 1 July 2025 (:func:`new_unit_codes`)."""
    return [dataset.province_code] + district_codes(dataset) + new_unit_codes(dataset)
