"""What a run checks once, before any work: the notebooks' declared parameters, the data and
the scopes.

A mistake here exits with code 2 and nothing runs. Both the notebook inspection and the data
validation are cached under ``<out>/.mtqg/cache``, keyed by what they depend on (the notebook
file; the raw input bytes and the helper code), so a run with nothing to do neither imports
papermill nor re-validates unchanged input. The validated dataset is also what seeds each
worker's kernel (:func:`helpers.data.datasets.preload`).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import inspect
import pickle
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

from helpers.core.errors import Message, message, parameter_error
from helpers.core.files import atomic_write_bytes, atomic_write_json
from helpers.core.paths import scope_slug
from helpers.run.fingerprint import notebook_sha256, sha256_file, sha256_json
from helpers.run.manifest import read_json
from helpers.run.options import display_path
from helpers.run.steps import ScopeInfo, StepSpec

# ======================================================================= the notebooks


def inspect_parameters(notebook: Path, nb_hash: str, cache: dict[str, Any]) -> list[str]:
    """The parameters a notebook declares (``papermill.inspect_notebook``), cached by the
    notebook hash and the papermill version."""
    key = f"{nb_hash}:{version('papermill')}"
    if key not in cache:
        import papermill  # deferred: ~1.4 s, and a run with nothing to do must stay fast

        cache[key] = sorted(papermill.inspect_notebook(str(notebook)))
    return list(cache[key])


def check_notebooks(steps: Sequence[StepSpec], cache_dir: Path) -> dict[str, dict[str, Any]]:
    """Hash every notebook and read its declared parameters; refuse a missing notebook."""
    cache_path = cache_dir / "inspect.json"
    cache = read_json(cache_path) or {}
    before = dict(cache)
    info: dict[str, dict[str, Any]] = {}
    for spec in steps:
        if spec.function:
            info[spec.name] = function_info(spec)
            continue
        if not spec.notebook.is_file():
            raise parameter_error("run.notebook_missing", step=repr(spec.name), path=spec.notebook)
        nb_hash = notebook_sha256(spec.notebook)
        info[spec.name] = {
            "path": display_path(spec.notebook),
            "sha256": nb_hash,
            "parameters": inspect_parameters(spec.notebook, nb_hash, cache),
        }
    if cache != before:
        with contextlib.suppress(OSError):
            atomic_write_json(cache_path, cache)
    return info


def step_function(spec: StepSpec) -> Any:
    """The Python function of a function step (``"module:function"``)."""
    module, _, name = spec.function.partition(":")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        raise parameter_error(
            "run.notebook_missing", step=repr(spec.name), path=spec.function
        ) from None


def function_info(spec: StepSpec) -> dict[str, Any]:
    """A function step's record, like a notebook's: where it is, a hash of what it is (its
    code is in the helper-code hash) and the parameters it declares (its signature)."""
    params = sorted(inspect.signature(step_function(spec)).parameters)
    return {
        "path": spec.function,
        "sha256": sha256_json({"function": spec.function, "parameters": params}),
        "parameters": params,
    }


# ============================================================================== the data


@dataclass
class DataInfo:
    """The validated dataset, as far as the runner needs it."""

    argument: str
    """What notebooks get as ``data``: "demo", "demo:SEED" or an absolute path."""
    origin: str
    sha256: str
    demo: bool
    warnings: int
    scopes: list[ScopeInfo]
    province: str = ""
    dataset: Any = field(repr=False, default=None)
    pickle_path: Path | None = None
    """The validated dataset as the runner cached it (seeds the workers' kernels)."""

    def to_manifest(self) -> dict[str, Any]:
        return {
            "argument": self.argument,
            "origin": self.origin,
            "sha256": self.sha256,
            "demo": self.demo,
            "warnings": self.warnings,
            "province": self.province,
        }


def data_argument(data: str) -> str:
    """Normalise ``--data`` (fail fast on a missing path, before any work)."""
    # deferred, like the other helpers.data imports here: pandas and pandera cost ~1 s and
    # `mtqg` imports this package to build its parser for every command
    from helpers.data.datasets import parse_demo

    text = str(data).strip()
    if parse_demo(text) is not None:
        return text.lower()
    path = Path(text).expanduser()
    if not path.exists():
        raise parameter_error("run.data_missing", data=repr(text))
    return str(path.resolve())


def raw_input_key(argument: str, code_hash: str) -> str:
    """What validation depends on: the raw input bytes (or the demo seed) and the code."""
    h = hashlib.sha256(f"{argument}\0{code_hash}\0{sys.version_info[:2]}".encode())
    path = Path(argument)
    if path.is_file():
        h.update(sha256_file(path).encode())
    elif path.is_dir():
        for child in sorted(path.iterdir()):
            if child.is_file():
                h.update(child.name.encode() + b"\0" + sha256_file(child).encode())
    return h.hexdigest()


def load_data(argument: str, cache_dir: Path, code_hash: str) -> DataInfo:
    """Load and validate the data once (an :class:`~helpers.core.errors.InputError` stops the run).

    The validated dataset is cached by :func:`raw_input_key`: when neither the input bytes nor
    the code changed, validating again would give the same result, so it is not repeated.
    """
    key = raw_input_key(argument, code_hash)
    cached = cache_dir / f"dataset-{key[:24]}.pickle"
    dataset = None
    if cached.exists():
        try:
            dataset = pickle.loads(cached.read_bytes())  # our own cache file, never user input
        except Exception:  # noqa: BLE001 - a stale or broken cache is rebuilt
            dataset = None
    if dataset is None:
        from helpers.data.datasets import open_dataset  # deferred: see data_argument

        dataset = open_dataset(argument)
        for old in cache_dir.glob("dataset-*.pickle"):
            old.unlink(missing_ok=True)
        with contextlib.suppress(OSError, pickle.PicklingError):
            atomic_write_bytes(cached, pickle.dumps(dataset, protocol=pickle.HIGHEST_PROTOCOL))
    return DataInfo(
        argument=argument,
        origin=str(dataset.origin),
        sha256=str(dataset.sha256),
        demo=bool(dataset.demo),
        warnings=len(dataset.warnings or []),
        province=str(dataset.province_code),
        scopes=[],
        dataset=dataset,
        pickle_path=cached if cached.exists() else None,
    )


SCOPE_WORDS = ("province", "tỉnh", "toàn tỉnh", "all", "districts", "communes")
"""Words ``--scope`` and the notebooks' ``scope`` parameter read as the province or as a set of
scopes (a unit may not be coded so)."""

SCOPE_SETS = ("all", "districts", "communes")
"""``--scope`` words naming a set of scopes: every scope (the province, the former districts and
the units created on 1 July 2025), the district-level units, the units created on 1 July 2025."""


def scope_slugs(units: Any, codes: Sequence[str], province: str) -> dict[str, str]:
    """The output folder of each scope (unit code -> slug), one folder per scope.

    Raises:
        ParameterError: two units would share a folder (their codes differ only in characters
            a folder name cannot hold, or in letter case), or a unit's code is a word that
            means the province (a notebook given it would run the province).
    """
    names = dict(zip(units["unit_code"].astype(str), units["name_vi"].astype(str), strict=False))

    def unit(code: str) -> Message:
        return message("run.unit", code=repr(code), name=names.get(code, ""))

    out: dict[str, str] = {}
    seen: dict[str, str] = {}
    for code in codes:
        if code != province and code.strip().lower() in SCOPE_WORDS:
            raise parameter_error("run.unit_scope_word", unit=unit(code))
        slug = scope_slug(code, province)
        other = seen.get(slug.lower())
        if other is not None:
            raise parameter_error(
                "run.units_share_folder", unit=unit(other), other=unit(code), slug=repr(slug)
            )
        seen[slug.lower()] = code
        out[code] = slug
    return out


def scope_sets(dataset: Any) -> dict[str, list[str]]:
    """The unit codes each word of :data:`SCOPE_SETS` stands for in ``dataset``."""
    from helpers.data.datasets import district_codes, new_unit_codes  # deferred: see data_argument

    districts, new = district_codes(dataset), new_unit_codes(dataset)
    return {
        "all": [dataset.province_code, *districts, *new],
        "districts": districts,
        "communes": new,
    }


def resolve_scopes(dataset: Any, wanted: Sequence[str]) -> list[ScopeInfo]:
    """The scopes to run: the province, then the districts, then the units created on 1 July
    2025, then any other unit named (a former commune), each group in code order (duplicates
    dropped). ``wanted`` holds words of :data:`SCOPE_SETS`, province words, unit codes or names
    (:func:`helpers.data.datasets.resolve_scope`: a name means the unit that exists today).

    Raises:
        ParameterError: a scope matches no unit (the message lists the allowed values) or
            several, a word names no unit of the data (``communes`` in data without units
            created on 1 July 2025), or two units would share an output folder
            (see :func:`scope_slugs`).
    """
    from helpers.data.datasets import resolve_scope  # deferred: see data_argument

    province = dataset.province_code
    sets = scope_sets(dataset)
    order = {code: i for i, code in enumerate(sets["all"])}
    codes: list[str] = []
    for text in wanted or ["all"]:
        word = str(text).strip().lower()
        if word in sets:
            if not sets[word]:
                raise parameter_error(f"run.scope_none_{word}", province=province)
            codes.extend(sets[word])
        else:
            codes.append(resolve_scope(dataset, str(text)).code)
    chosen = sorted(set(codes), key=lambda c: (order.get(c, len(order)), c))
    slugs = scope_slugs(dataset.units, list(dict.fromkeys([*sets["all"], *chosen])), province)
    units = dataset.units.set_index(dataset.units["unit_code"].astype(str))
    out = []
    for code in chosen:
        row = units.loc[code]
        out.append(
            ScopeInfo(
                code=code,
                slug=slugs[code],
                name_vi=str(row["name_vi"]),
                name_en=str(row["name_en"]),
                level="province" if code == province else str(row["level"]),
            )
        )
    return out
