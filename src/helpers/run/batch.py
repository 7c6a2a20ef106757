"""``mtqg run``: the notebooks for every scope, in parallel, incrementally, fault-isolated.

A run executes, through papermill, the assessment and lag notebooks and the brief (one per
language) for each scope (the province and each district), then writes the run's
``index.html`` and ``manifest.json``. The notebooks stay runnable one by one with the papermill
CLI: the batch passes them ordinary parameters and adds nothing they need in order to run.

Steps and their order (a DAG)
-----------------------------
``assessment`` and ``lag`` per scope, ``brief`` per scope and language. A brief reads the
assessment and lag results of its scope and, for a district, the province assessment (the
district ranking). A district's lag step runs after the province's lag step, because the lag
module caches the province-level model fit on disk keyed by the data hash
(:func:`helpers.analysis.lag.load_or_fit_province_models`): the province step fits it once, the districts
load it (an order-only edge: a district lag step does not read the province's ``lag.json``).
Choosing only some scopes (``--scope 042``) pulls in the upstream steps they need (the province
assessment). The steps are declared once in :func:`default_steps`; tests pass their own table.

Parallelism
-----------
``--jobs N`` worker *processes* (default: the cores this process may use), started with the
``spawn`` method, each driving papermill in-process (``papermill.execute_notebook``) against one
**warm Jupyter kernel** that it keeps for the whole run. A kernel start plus the scientific
imports cost 3–4 s per notebook with the papermill CLI; a worker pays them once and reuses its
kernel through a papermill engine (``mtqg-warm``, a thin subclass of papermill's nbclient
engine), clearing the kernel between notebooks (``%reset`` with a new session, figures closed,
matplotlib/pandas/warnings settings, working directory and environment restored). Each notebook
therefore still runs in a real IPython kernel, with its own namespace and execution counts from
1, exactly as under the papermill CLI; what is shared between notebooks of a worker is only
what Python shares anyway: imported modules. Kernels talk over IPC sockets in a private folder
(no TCP port race, papermill #511) and a failed kernel start is retried. The parent never runs a
notebook: it schedules (critical path first, using the step times of the last run), commits
results and writes the manifest. It talks to each worker through its own pipe and watches its
process sentinel, so a worker that dies (even by SIGKILL) fails only the step it was running,
and is replaced (no ``ProcessPoolExecutor``: one dead worker breaks the whole pool, #552).
Working directories are set per process (kernel ``cwd``), never through ``chdir`` in threads
(#473).

Work done once per run
----------------------
The parent checks the arguments, checks each notebook's parameters against
``papermill.inspect_notebook()`` (an unknown or missing parameter is refused: papermill itself
only warns), loads and validates the data once (to fail fast and to get its SHA-256) and
resolves the scopes, all before any work starts; a mistake exits with code 2. The province lag
model is fitted once (see above). Both checks are cached under ``<out>/.mtqg/cache`` keyed by
what they depend on (the notebook file, the raw input bytes and the helper code), so a run with
nothing to do neither imports papermill nor re-validates unchanged input. The notebooks load the
data themselves (each one stays runnable alone), so each worker's kernel is seeded with the
dataset the parent validated through :func:`helpers.data.datasets.preload`: in that kernel,
``open_dataset(<the run's data argument>)`` returns a fresh copy of it instead of generating
and validating it again (about 1 s per notebook, twice in a brief); any other argument is
opened as usual. Outputs are
identical to a papermill CLI run (checked: PNGs byte-identical, JSON equal but for timings).

Atomic outputs
--------------
A step runs with ``out_dir`` set to a private staging folder ``<out>/.mtqg/staging/...`` on the
same file system; papermill writes the executed notebook there too. Only when the step has
succeeded does the parent move each file into ``<out>/<scope>/<step>/`` with ``os.replace``
(atomic), remove the files the step's previous run made and no longer makes, and then record
the step in the manifest. A worker killed mid-step therefore leaves its staging folder only,
which the next run deletes: no half-written brief, and the previous outputs stay intact. A
failed step keeps its executed notebook, with the error, as ``<stem>.failed.ipynb`` beside its
outputs (removed by the next success); the previous good outputs are left in place.

Incremental runs
----------------
A step is skipped ("skipped" in the table) when its fingerprint equals the one recorded at its
last *successful* run and every output recorded then still exists unchanged (size and mtime,
else SHA-256). The fingerprint is the SHA-256 of: the notebook's code and text cells (not its
outputs or metadata), the parameters (paths inside the output folder taken relative to it), the
data SHA-256 (for steps given a ``data`` parameter), the helper code (every file of the
``helpers`` package and its package data except the runner itself: ``batch.py``, ``cli.py``,
``__main__.py``), the versions of the analysis packages and Python, and the outputs of the
upstream steps it reads (executed notebooks excluded, so papermill timings do not cascade).
Editing only ``03_brief.ipynb`` re-runs only the briefs; changing a data value re-runs every step
that is given the data. ``--force`` runs every selected step.

Manifest
--------
``<out>/manifest.json`` (written atomically after every step) holds the run (arguments, start
and end, status, counts), the environment (package versions, Python, git commit read from
``.git`` without running git, code hash), the data (argument, origin, SHA-256, DEMO flag), the
notebooks (hash, declared parameters) and, per scope, its last run (status, step counts,
seconds) and per step: notebook, parameters, input hashes, fingerprint, the last run (status,
start/end, seconds, error with cell and message, the reason it ran) and the last success
(fingerprint, outputs with SHA-256, commit and package versions it was made with). Records of
scopes and steps not selected in a run are kept.

Layout of ``<out>``: ``<scope>/<step>/`` holds the step's files and its executed notebook
(``01_assessment.ipynb``; ``03_brief.<lang>.ipynb``); ``index.html``; ``manifest.json``;
``.mtqg/`` the runner's lock, caches, staging folders and worker logs (kernel stderr goes there,
not to the terminal).

Exit codes: 0 when every selected step succeeded or was up to date, 1 when one failed (or was
blocked by a failed upstream step), 2 for a usage error (nothing was run).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from helpers.core.errors import ParameterError
from helpers.core.paths import NOTEBOOKS_DIR, OUTPUTS_DIR, PACKAGE_DIR, REPO_ROOT, scope_slug
from helpers.core.provenance import git_commit
from helpers.core.scope import Scope

MANIFEST_FORMAT = "mtqg-batch-manifest/1"
MANIFEST_NAME = "manifest.json"
INDEX_NAME = "index.html"
STATE_DIR = ".mtqg"
"""Runner state inside the output folder: lock, caches, staging folders, worker logs."""

FINGERPRINT_VERSION = 1
"""Bump when the fingerprint's definition changes (every step then re-runs once)."""

LANGS = ("vi", "en")
LANG_CHOICES = ("vi", "en", "both")
DEFAULT_LANG = "both"
"""Both languages by default: ``make run`` produces every brief the workshop needs."""

ANALYSIS_LANG = "vi"
"""Language of the assessment and lag notebooks' own figures and tables (run once per scope;
each brief is written in its own language from their JSON results)."""

RUNNER_FILES = frozenset({"run", "cli.py", "__main__.py"})
"""Files of the package that no notebook reads: left out of the helper-code hash."""

PACKAGES = (
    "mtqg-workbench",
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "matplotlib",
    "seaborn",
    "babel",
    "pandera",
    "openpyxl",
    "jinja2",
    "nbconvert",
    "nbformat",
    "nbclient",
    "papermill",
    "ipykernel",
    "jupyter_client",
    "ipython",
)
"""Package versions recorded in the manifest and part of every step's fingerprint."""

WARM_IMPORTS = (
    "numpy",
    "pandas",
    "scipy.stats",
    "scipy.optimize",
    "matplotlib",
    "matplotlib.pyplot",
    "seaborn",
    "statsmodels.api",
    "statsmodels.formula.api",
    "babel.numbers",
    "IPython.display",
    "helpers.data.datasets",
    "helpers.steps.assessment",
    "helpers.analysis.metrics",
    "helpers.report.figures.assessment",
    "helpers.analysis.lag",
    "helpers.report.figures.lag",
    "helpers.report.brief",
)
"""Imported once into each worker's kernel (a module that fails to import is skipped)."""

WARM_ENGINE = "mtqg-warm"
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

_STATUS_DONE = ("ran", "skipped")
_STATUS_BAD = ("failed", "blocked")


# ================================================================== the steps (the DAG's nodes)


@dataclass(frozen=True)
class Upstream:
    """A step another step needs: ``step`` of the same scope (``scope="self"``) or of the
    province (``scope="province"``). ``reads`` False makes it an order-only edge: it must run
    first, but its outputs are not an input of the step (and its failure does not block it)."""

    step: str
    scope: str = "self"
    reads: bool = True
    parameter: str | None = None
    """Name of the parameter that receives the upstream step's output folder, if any."""


@dataclass(frozen=True)
class StepContext:
    """What a step's parameter builder gets for one scope (and language)."""

    data: str
    scope: str
    """The notebook's ``scope`` value: "province" or a unit code."""
    slug: str
    is_province: bool
    lang: str
    out_dir: Path
    """Final output folder of the step (the runner substitutes its staging folder)."""


@dataclass(frozen=True)
class StepSpec:
    """One notebook step of every scope.

    Attributes:
        name: step name, also the output sub-folder (``assessment``, ``lag``, ``brief``).
        notebook: the notebook file.
        parameters: builds the notebook parameters for a scope; must include ``out_dir``.
        per_lang: one run per language (the brief), else one per scope in ``ANALYSIS_LANG``.
        upstream: the steps it needs (see :class:`Upstream`).
        required_outputs: files the notebook must write into ``out_dir`` (``{lang}`` allowed).
        optional_parameters: parameters passed only when the notebook declares them.
        province_only: run for the province scope only.
        weight: default duration guess (s) for scheduling before a step has a recorded time.
    """

    name: str
    notebook: Path
    parameters: Callable[[StepContext], dict[str, Any]]
    per_lang: bool = False
    upstream: tuple[Upstream, ...] = ()
    required_outputs: tuple[str, ...] = ()
    optional_parameters: frozenset[str] = frozenset()
    province_only: bool = False
    weight: float = 5.0


def _common_parameters(ctx: StepContext) -> dict[str, Any]:
    return {"data": ctx.data, "scope": ctx.scope, "lang": ctx.lang, "out_dir": str(ctx.out_dir)}


def default_steps(notebooks_dir: Path = NOTEBOOKS_DIR) -> tuple[StepSpec, ...]:
    """The workbench's three notebooks as batch steps."""
    return (
        StepSpec(
            "assessment",
            notebooks_dir / "01_assessment.ipynb",
            _common_parameters,
            required_outputs=("metrics.json",),
            weight=8.0,
        ),
        StepSpec(
            "lag",
            notebooks_dir / "02_disbursement_lag.ipynb",
            _common_parameters,
            upstream=(Upstream("lag", "province", reads=False),),
            required_outputs=("lag.json",),
            weight=10.0,
        ),
        StepSpec(
            "brief",
            notebooks_dir / "03_brief.ipynb",
            _common_parameters,
            per_lang=True,
            upstream=(
                Upstream("assessment", parameter="assessment_dir"),
                Upstream("lag", parameter="lag_dir"),
                Upstream("assessment", "province", parameter="province_assessment_dir"),
            ),
            optional_parameters=frozenset({"province_assessment_dir"}),
            required_outputs=("brief.{lang}.html",),
            weight=6.0,
        ),
    )


# ========================================================================== options and CLI


@dataclass
class RunOptions:
    """What ``mtqg run`` was asked to do (see :func:`add_arguments`)."""

    data: str = "demo"
    scopes: Sequence[str] = ("all",)
    lang: str = DEFAULT_LANG
    jobs: int | None = None
    force: bool = False
    out: Path = OUTPUTS_DIR
    dry_run: bool = False
    warm_imports: Sequence[str] | None = None
    """Modules each worker's kernel imports once (None: :data:`WARM_IMPORTS`)."""
    preload_data: bool = True
    """Seed each worker's kernel with the dataset validated by the parent."""
    kernel_cwd: Path = REPO_ROOT
    argv: Sequence[str] | None = None

    @property
    def langs(self) -> tuple[str, ...]:
        return LANGS if self.lang == "both" else (self.lang,)


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _jobs_arg(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1; got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1; got {value}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``mtqg run``."""
    parser.description = (
        "Run the assessment, disbursement-lag and brief notebooks for each scope in parallel, "
        "skipping every step whose inputs are unchanged since its last successful run, then "
        "write index.html and manifest.json into the output folder."
    )
    parser.add_argument(
        "--data",
        default="demo",
        metavar="PATH|demo",
        help="'demo' (default), 'demo:SEED', a folder of CSV files or an .xlsx workbook",
    )
    parser.add_argument(
        "--scope",
        nargs="+",
        default=["all"],
        metavar="SCOPE",
        dest="scope",
        help="'all' (default: the province and every district), 'province', or unit codes or names",
    )
    parser.add_argument(
        "--lang",
        choices=LANG_CHOICES,
        default=DEFAULT_LANG,
        help="language(s) of the briefs (default: both)",
    )
    parser.add_argument(
        "--jobs",
        "-j",
        type=_jobs_arg,
        default=None,
        metavar="N",
        help=f"worker processes (default: the number of cores, {default_jobs()})",
    )
    parser.add_argument(
        "--force", action="store_true", help="run every selected step even when it is up to date"
    )
    parser.add_argument(
        "--out", default=None, metavar="DIR", help=f"output folder (default: {OUTPUTS_DIR})"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="show which steps would run and why, run nothing"
    )


def options_from_args(args: argparse.Namespace) -> RunOptions:
    """:class:`RunOptions` from parsed ``mtqg run`` arguments."""
    return RunOptions(
        data=str(args.data),
        scopes=tuple(args.scope),
        lang=args.lang,
        jobs=args.jobs,
        force=bool(args.force),
        out=Path(args.out) if args.out else OUTPUTS_DIR,
        dry_run=bool(getattr(args, "dry_run", False)),
        argv=sys.argv[1:],
    )


def main(args: argparse.Namespace) -> int:
    """``mtqg run``: returns 0 (all steps done or up to date), 1 (a step failed)."""
    report = run_batch(options_from_args(args))
    return report.exit_code


# ================================================================================= hashing


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _sha256_json(obj: Any) -> str:
    return sha256_bytes(json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str).encode())


def code_sha256(package_dir: Path = PACKAGE_DIR) -> str:
    """SHA-256 of the helper code and package data (every file but caches and the runner)."""
    h = hashlib.sha256()
    for path in sorted(package_dir.rglob("*")):
        rel = path.relative_to(package_dir)
        if (
            not path.is_file()
            or "__pycache__" in rel.parts
            or path.suffix in (".pyc", ".pyo")
            or rel.parts[0] in RUNNER_FILES
        ):
            continue
        h.update(str(rel.as_posix()).encode() + b"\0")
        h.update(sha256_file(path).encode())
    return h.hexdigest()


def notebook_sha256(path: Path) -> str:
    """SHA-256 of what a notebook computes and says: its cells' type, source and tags, and its
    kernel. Outputs, execution counts and other metadata are left out, so opening and saving
    a notebook in Jupyter without editing it changes nothing."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = []
    for cell in nb.get("cells", []):
        src = cell.get("source", "")
        cells.append(
            [
                cell.get("cell_type"),
                "".join(src) if isinstance(src, list) else src,
                sorted(cell.get("metadata", {}).get("tags", [])),
            ]
        )
    kernel = nb.get("metadata", {}).get("kernelspec", {}).get("name")
    return _sha256_json({"cells": cells, "kernel": kernel})


def package_versions() -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def _now() -> str:
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")


# ======================================================================= parameter checks


def _inspect_parameters(notebook: Path, nb_hash: str, cache: dict[str, Any]) -> list[str]:
    """The parameters a notebook declares (``papermill.inspect_notebook``), cached by the
    notebook hash and the papermill version."""
    from importlib.metadata import version

    key = f"{nb_hash}:{version('papermill')}"
    if key not in cache:
        import papermill

        cache[key] = sorted(papermill.inspect_notebook(str(notebook)))
    return list(cache[key])


def _check_notebooks(steps: Sequence[StepSpec], cache_dir: Path) -> dict[str, dict[str, Any]]:
    """Hash every notebook and read its declared parameters; refuse a missing notebook."""
    from helpers.core.files import atomic_write_json

    cache_path = cache_dir / "inspect.json"
    cache = _read_json(cache_path) or {}
    before = dict(cache)
    info: dict[str, dict[str, Any]] = {}
    for spec in steps:
        if not spec.notebook.is_file():
            raise ParameterError(f"step {spec.name!r}: notebook {spec.notebook} does not exist")
        nb_hash = notebook_sha256(spec.notebook)
        info[spec.name] = {
            "path": _display_path(spec.notebook),
            "sha256": nb_hash,
            "parameters": _inspect_parameters(spec.notebook, nb_hash, cache),
        }
    if cache != before:
        with contextlib.suppress(OSError):
            atomic_write_json(cache_path, cache)
    return info


def _check_parameters(spec: StepSpec, params: dict[str, Any], declared: Iterable[str]) -> None:
    declared = set(declared)
    unknown = sorted(set(params) - declared)
    if unknown:
        raise ParameterError(
            f"{_display_path(spec.notebook)} does not declare the parameter(s) "
            f"{', '.join(unknown)} that the batch passes to its {spec.name!r} step; it declares: "
            f"{', '.join(sorted(declared)) or 'none (no cell tagged parameters)'}. Add them to "
            "its parameters cell (papermill would only warn and ignore them)."
        )
    if "out_dir" not in params:
        raise ParameterError(f"step {spec.name!r}: its parameters must include out_dir")


# ================================================================================ the data


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
        }


@dataclass(frozen=True)
class ScopeInfo(Scope):
    """A :class:`helpers.data.datasets.Scope` with the folder slug a run writes it to."""

    slug: str = ""

    @property
    def parameter(self) -> str:
        return "province" if self.is_province else self.code


def _data_argument(data: str) -> str:
    """Normalise ``--data`` (fail fast on a missing path, before any work)."""
    from helpers.data.datasets import parse_demo

    text = str(data).strip()
    if parse_demo(text) is not None:
        return text.lower()
    path = Path(text).expanduser()
    if not path.exists():
        raise ParameterError(
            f"--data: {text!r} does not exist; expected 'demo', 'demo:SEED', "
            "a folder of CSV files or an .xlsx workbook"
        )
    return str(path.resolve())


def _raw_input_key(argument: str, code_hash: str) -> str:
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

    The validated dataset is cached by :func:`_raw_input_key`: when neither the input bytes nor
    the code changed, validating again would give the same result, so it is not repeated.
    """
    import pickle

    key = _raw_input_key(argument, code_hash)
    cached = cache_dir / f"dataset-{key[:24]}.pickle"
    dataset = None
    if cached.exists():
        try:
            dataset = pickle.loads(cached.read_bytes())  # our own cache file, never user input
        except Exception:  # noqa: BLE001 - a stale or broken cache is rebuilt
            dataset = None
    if dataset is None:
        from helpers.core.files import atomic_write_bytes
        from helpers.data.datasets import open_dataset

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
        scopes=[],
        dataset=dataset,
        pickle_path=cached if cached.exists() else None,
    )


def resolve_scopes(dataset: Any, wanted: Sequence[str]) -> list[ScopeInfo]:
    """The scopes to run, province first then districts in code order (duplicates dropped).

    Raises:
        ParameterError: a scope matches no unit (the message lists the allowed values).
    """
    from helpers.data.datasets import resolve_scope, scope_codes

    province = dataset.province_code
    order = {code: i for i, code in enumerate(scope_codes(dataset))}
    codes: list[str] = []
    for text in wanted or ["all"]:
        if str(text).strip().lower() == "all":
            codes.extend(order)
        else:
            codes.append(resolve_scope(dataset, str(text)).code)
    units = dataset.units.set_index(dataset.units["unit_code"].astype(str))
    out = []
    for code in sorted(set(codes), key=lambda c: (order.get(c, len(order)), c)):
        row = units.loc[code]
        out.append(
            ScopeInfo(
                code=code,
                slug=scope_slug(code, province),
                name_vi=str(row["name_vi"]),
                name_en=str(row["name_en"]),
                level="province" if code == province else str(row["level"]),
            )
        )
    return out


# ================================================================================ manifest


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


class Manifest:
    """``<out>/manifest.json``: the record of every scope and step (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        data = _read_json(path)
        if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
            data = {}
        self.data: dict[str, Any] = {"format": MANIFEST_FORMAT, **data}
        self.data.setdefault("scopes", {})

    def step(self, slug: str, key: str) -> dict[str, Any]:
        return self.data["scopes"].get(slug, {}).get("steps", {}).get(key, {})

    def last_success(self, slug: str, key: str) -> dict[str, Any] | None:
        return self.step(slug, key).get("last_success")

    def scope(self, scope: ScopeInfo) -> dict[str, Any]:
        rec = self.data["scopes"].setdefault(scope.slug, {})
        rec.update(
            {
                "code": scope.code,
                "name_vi": scope.name_vi,
                "name_en": scope.name_en,
                "level": scope.level,
                "output_dir": scope.slug,
            }
        )
        rec.setdefault("steps", {})
        return rec

    def set_step(self, scope: ScopeInfo, key: str, record: dict[str, Any]) -> None:
        self.scope(scope)["steps"][key] = record

    def save(self) -> None:
        from helpers.core.files import atomic_write_json

        atomic_write_json(self.path, self.data)


def _file_record(path: Path) -> dict[str, Any]:
    st = path.stat()
    return {"sha256": sha256_file(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def outputs_intact(out_root: Path, outputs: dict[str, dict[str, Any]]) -> bool:
    """Every recorded output exists with its recorded content (size+mtime, else SHA-256)."""
    for rel, rec in outputs.items():
        path = out_root / rel
        try:
            st = path.stat()
        except OSError:
            return False
        if st.st_size != rec.get("size"):
            return False
        if st.st_mtime_ns != rec.get("mtime_ns") and sha256_file(path) != rec.get("sha256"):
            return False
    return True


def outputs_digest(outputs: dict[str, dict[str, Any]]) -> str:
    """What a downstream step reads of a step: its outputs, executed notebooks excluded."""
    return _sha256_json(
        sorted((rel, rec["sha256"]) for rel, rec in outputs.items() if not rel.endswith(".ipynb"))
    )


# ==================================================================================== plan


@dataclass(eq=False)
class Node:
    """One step of one scope (and language) in a run."""

    spec: StepSpec
    scope: ScopeInfo
    lang: str
    selected: bool
    out_dir: Path
    params: dict[str, Any] = field(default_factory=dict)
    deps: list[tuple[Node, Upstream]] = field(default_factory=list)
    dependents: list[Node] = field(default_factory=list)
    state: str = "waiting"
    reason: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    fingerprint: str = ""
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    record: dict[str, Any] = field(default_factory=dict)
    priority: float = 0.0
    started: float = 0.0

    @property
    def key(self) -> str:
        return f"{self.spec.name}.{self.lang}" if self.spec.per_lang else self.spec.name

    @property
    def id(self) -> str:
        return f"{self.scope.slug}/{self.key}"

    @property
    def executed_name(self) -> str:
        stem = self.spec.notebook.stem
        return f"{stem}.{self.lang}.ipynb" if self.spec.per_lang else f"{stem}.ipynb"

    @property
    def finished(self) -> bool:
        return self.state in _STATUS_DONE + _STATUS_BAD


def build_plan(
    steps: Sequence[StepSpec],
    scopes: Sequence[ScopeInfo],
    province: ScopeInfo,
    langs: Sequence[str],
    data: str,
    out_root: Path,
    declared: dict[str, dict[str, Any]],
) -> list[Node]:
    """Every node of the run, upstream steps of the selected scopes included, in topological
    order; parameters are built and checked against the notebooks here (before any work)."""
    by_name = {s.name: s for s in steps}
    nodes: dict[tuple[str, str, str], Node] = {}
    order: list[Node] = []

    def get(spec: StepSpec, scope: ScopeInfo, lang: str, selected: bool) -> Node:
        lang = lang if spec.per_lang else ANALYSIS_LANG
        k = (spec.name, scope.slug, lang)
        if k in nodes:
            nodes[k].selected |= selected
            return nodes[k]
        node = Node(
            spec=spec,
            scope=scope,
            lang=lang,
            selected=selected,
            out_dir=out_root / scope.slug / spec.name,
        )
        nodes[k] = node
        for up in spec.upstream:
            target = province if up.scope == "province" else scope
            if up.step not in by_name:
                raise ParameterError(f"step {spec.name!r} needs unknown step {up.step!r}")
            if not up.reads or (target == scope and up.step == spec.name):
                continue  # order-only edges are added below, between planned nodes only
            _link(node, get(by_name[up.step], target, lang, False), up)
        node.params = _node_parameters(
            node, data, out_root / province.slug, declared[spec.name]["parameters"]
        )
        order.append(node)
        return node

    for scope in scopes:
        for spec in steps:
            if spec.province_only and not scope.is_province:
                continue
            for lang in langs if spec.per_lang else (ANALYSIS_LANG,):
                get(spec, scope, lang, True)
    _link_order_only(order, nodes, province)
    return _toposort(order)


def _link_order_only(
    order: Sequence[Node], nodes: dict[tuple[str, str, str], Node], province: ScopeInfo
) -> None:
    """Order-only edges mean "run after it when both run": they never pull a step in."""
    for node in order:
        for up in node.spec.upstream:
            target = province if up.scope == "province" else node.scope
            dep = nodes.get((up.step, target.slug, ANALYSIS_LANG)) or nodes.get(
                (up.step, target.slug, node.lang)
            )
            if not up.reads and dep is not None and dep is not node:
                _link(node, dep, up)


def _link(node: Node, dep: Node, up: Upstream) -> None:
    if all(d is not dep for d, _ in node.deps):
        node.deps.append((dep, up))
        dep.dependents.append(node)


def _toposort(nodes: Sequence[Node]) -> list[Node]:
    """Dependencies first, otherwise in plan order (stable)."""
    done: set[int] = set()
    out: list[Node] = []

    def visit(node: Node, path: tuple[int, ...] = ()) -> None:
        if id(node) in done:
            return
        if id(node) in path:
            raise ParameterError(f"the steps depend on each other in a cycle at {node.id}")
        for dep, _ in node.deps:
            visit(dep, (*path, id(node)))
        done.add(id(node))
        out.append(node)

    for node in nodes:
        visit(node)
    return out


def _node_parameters(
    node: Node, data: str, province_dir: Path, declared: Sequence[str]
) -> dict[str, Any]:
    """A node's notebook parameters: the step's own, plus its upstream folders; checked
    against what the notebook declares (optional ones dropped when it does not)."""
    spec, scope = node.spec, node.scope
    ctx = StepContext(
        data=data,
        scope=scope.parameter,
        slug=scope.slug,
        is_province=scope.is_province,
        lang=node.lang,
        out_dir=node.out_dir,
    )
    params = dict(spec.parameters(ctx))
    for dep, up in node.deps:
        if up.parameter:
            params[up.parameter] = str(dep.out_dir)
    for up in spec.upstream:  # a province brief: the province assessment is its own
        if up.parameter and up.parameter not in params and up.scope == "province":
            params[up.parameter] = str(province_dir / up.step)
    params = {k: v for k, v in params.items() if k not in spec.optional_parameters or k in declared}
    _check_parameters(spec, params, declared)
    return params


def _normalised_parameters(params: dict[str, Any], out_root: Path) -> dict[str, Any]:
    """Parameters as they enter a fingerprint: paths inside ``out_root`` made relative."""
    root = str(out_root)
    out = {}
    for k, v in params.items():
        if isinstance(v, str) and (v == root or v.startswith(root + os.sep)):
            v = "<out>/" + Path(v).relative_to(out_root).as_posix()
        out[k] = v
    return out


def compute_fingerprint(
    node: Node,
    *,
    out_root: Path,
    data_sha: str,
    code_hash: str,
    env_hash: str,
    nb_hash: str,
    manifest: Manifest,
) -> None:
    """Set ``node.inputs`` and ``node.fingerprint`` (its dependencies are finished)."""
    upstream = {}
    for dep, up in node.deps:
        if up.reads:
            outputs = dep.outputs or (manifest.last_success(dep.scope.slug, dep.key) or {}).get(
                "outputs", {}
            )
            upstream[dep.id] = outputs_digest(outputs)
    node.inputs = {
        "runner": FINGERPRINT_VERSION,
        "step": node.key,
        "notebook_sha256": nb_hash,
        "code_sha256": code_hash,
        "environment_sha256": env_hash,
        "data_sha256": data_sha if "data" in node.params else None,
        "parameters": _normalised_parameters(node.params, out_root),
        "upstream": upstream,
    }
    node.fingerprint = _sha256_json(node.inputs)


_INPUT_WORDS = {
    "notebook_sha256": "notebook changed",
    "code_sha256": "helper code changed",
    "environment_sha256": "package versions changed",
    "data_sha256": "data changed",
    "parameters": "parameters changed",
    "runner": "runner changed",
    "step": "step changed",
}


def stale_reason(
    node: Node, last: dict[str, Any] | None, out_root: Path, force: bool
) -> str | None:
    """Why ``node`` must run, or None when it is up to date."""
    if force:
        return "--force"
    if not last:
        return "no earlier successful run"
    if last.get("fingerprint") == node.fingerprint:
        if outputs_intact(out_root, last.get("outputs", {})):
            return None
        return "outputs missing or modified"
    before = last.get("inputs") or {}
    reasons = [w for k, w in _INPUT_WORDS.items() if before.get(k) != node.inputs.get(k)]
    ups = node.inputs.get("upstream", {})
    reasons += [f"{k} changed" for k in sorted(ups) if before.get("upstream", {}).get(k) != ups[k]]
    return ", ".join(reasons) or "inputs changed"


def _assign_priorities(nodes: Sequence[Node], manifest: Manifest) -> None:
    """Critical path first: a node's priority is its duration plus its longest chain of
    dependents' durations (durations from the last run, else the step's weight)."""
    for node in reversed(nodes):  # dependents come later in topological order
        last = manifest.step(node.scope.slug, node.key).get("last_run", {})
        own = float(last.get("seconds") or node.spec.weight)
        node.priority = own + max((d.priority for d in node.dependents), default=0.0)


# ============================================================================ worker side

_KERNEL_PRELUDE = r'''
def _mtqg_prelude(modules, cwd, preload):
    import importlib, os, sys, types, warnings
    failed = []
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as exc:
            failed.append(f"{name}: {type(exc).__name__}: {exc}")
    if preload:
        try:
            _mtqg_preload_dataset(**preload)
        except Exception as exc:
            failed.append(f"dataset preload: {type(exc).__name__}: {exc}")
    state = types.ModuleType("_mtqg_warm")
    state.cwd, state.path = cwd, list(sys.path)
    state.environ, state.filters = dict(os.environ), list(warnings.filters)
    mpl = sys.modules.get("matplotlib")
    state.rc = ({k: v for k, v in mpl.rcParams.items() if k != "backend"}
                if mpl is not None else None)

    def reset():
        get_ipython().reset(new_session=True)
        os.chdir(state.cwd)
        sys.path[:] = state.path
        if dict(os.environ) != state.environ:
            os.environ.clear()
            os.environ.update(state.environ)
        warnings.filters[:] = state.filters
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            plt = sys.modules.get("matplotlib.pyplot")
            if plt is not None:
                plt.close("all")
            if state.rc is not None:
                sys.modules["matplotlib"].rcParams.update(state.rc)
            pd = sys.modules.get("pandas")
            if pd is not None:
                pd.reset_option("all")

    state.reset = reset
    sys.modules["_mtqg_warm"] = state
    return failed


def _mtqg_preload_dataset(argument, pickle_path):
    """Register the dataset the batch validated once (helpers.data.datasets.preload)."""
    import pickle
    from helpers.data import datasets
    with open(pickle_path, "rb") as fh:
        datasets.preload(argument, pickle.load(fh))
print(_mtqg_prelude(%r, %r, %r))
del _mtqg_prelude, _mtqg_preload_dataset
'''

_KERNEL_RESET = "import sys as _s; _s.modules['_mtqg_warm'].reset()"


class WarmKernel:
    """One Jupyter kernel kept by a worker for the whole run (see the module docstring)."""

    def __init__(
        self,
        kernel_name: str,
        cwd: str,
        warm_imports: Sequence[str],
        preload: dict[str, str] | None = None,
    ) -> None:
        self.kernel_name = kernel_name
        self.cwd = cwd
        self.warm_imports = list(warm_imports)
        self.preload = preload
        self.km: Any = None
        self.kc: Any = None
        self.runtime = tempfile.mkdtemp(prefix="mtqg-k-")  # short path: IPC socket names
        self._warm_msg: str | None = None

    @property
    def pid(self) -> int | None:
        proc = getattr(getattr(self.km, "provisioner", None), "process", None)
        return getattr(proc, "pid", None)

    def start(self, attempts: int = 3) -> None:
        """Start the kernel and send the warm-up imports (retries: papermill #511)."""
        from jupyter_client import KernelManager

        last: Exception | None = None
        for attempt in range(attempts):
            transport = "ipc" if attempt < attempts - 1 else "tcp"
            try:
                km = KernelManager(kernel_name=self.kernel_name, transport=transport)
                km.connection_file = os.path.join(self.runtime, f"k{attempt}.json")
                env = {**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
                km.start_kernel(
                    cwd=self.cwd, env=env, extra_arguments=["--HistoryManager.hist_file=:memory:"]
                )
                kc = km.client()
                kc.start_channels()
                kc.wait_for_ready(timeout=60)
            except Exception as exc:  # noqa: BLE001 - retried, then reported
                last = exc
                with contextlib.suppress(Exception):
                    km.shutdown_kernel(now=True)
                time.sleep(0.2 + 0.3 * attempt)
                continue
            self.km, self.kc = km, kc
            code = _KERNEL_PRELUDE % (self.warm_imports, self.cwd, self.preload)
            self._warm_msg = kc.execute(code, silent=False, store_history=False)
            return
        raise RuntimeError(f"could not start a {self.kernel_name!r} kernel: {last}")

    def wait_warm(self, timeout: float = 300) -> None:
        """Wait for the warm-up imports to finish (they run while the worker imports papermill)."""
        if self._warm_msg is None:
            return
        deadline = time.monotonic() + timeout
        while True:
            reply = self.kc.get_shell_msg(timeout=max(1.0, deadline - time.monotonic()))
            if reply["parent_header"].get("msg_id") == self._warm_msg:
                break
        self._warm_msg = None
        if reply["content"].get("status") != "ok":
            raise RuntimeError(f"kernel warm-up failed: {reply['content'].get('evalue')}")

    def alive(self) -> bool:
        try:
            return self.km is not None and bool(self.km.is_alive())
        except Exception:  # noqa: BLE001
            return False

    def reset(self) -> None:
        self.wait_warm()
        reply = self.kc.execute_interactive(
            _KERNEL_RESET,
            silent=True,
            store_history=False,
            timeout=120,
            output_hook=lambda msg: None,
        )
        if reply["content"].get("status") != "ok":
            raise RuntimeError(f"kernel reset failed: {reply['content'].get('evalue')}")

    def shutdown(self) -> None:
        with contextlib.suppress(Exception):
            self.kc.stop_channels()
        with contextlib.suppress(Exception):
            self.km.shutdown_kernel(now=True)
        self.km = self.kc = None

    def restart(self) -> None:
        self.shutdown()
        self.start()

    def close(self) -> None:
        self.shutdown()
        shutil.rmtree(self.runtime, ignore_errors=True)


_WORKER_KERNEL: WarmKernel | None = None


class _PatientChannel:
    """A blocking channel that waits in 1 s slices, checking the kernel is alive in between.

    nbclient polls with ``get_msg(timeout=None)``; on a blocking client that call would block
    its event loop for good if the kernel died (its own liveness poll never runs)."""

    def __init__(self, channel: Any, km: Any) -> None:
        self._channel = channel
        self._km = km

    def get_msg(self, timeout: float | None = None, **kw: Any) -> Any:
        from queue import Empty

        if timeout is not None:
            return self._channel.get_msg(timeout=timeout, **kw)
        while True:
            try:
                return self._channel.get_msg(timeout=1.0, **kw)
            except Empty:
                if not self._km.is_alive():
                    from nbclient.exceptions import DeadKernelError

                    raise DeadKernelError("Kernel died") from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._channel, name)


class _PatientClient:
    """The worker's blocking kernel client, with :class:`_PatientChannel` shell and iopub."""

    def __init__(self, kc: Any, km: Any) -> None:
        self._kc = kc
        self.shell_channel = _PatientChannel(kc.shell_channel, km)
        self.iopub_channel = _PatientChannel(kc.iopub_channel, km)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._kc, name)


def _register_warm_engine() -> None:
    """Register the ``mtqg-warm`` papermill engine: nbclient on the worker's warm kernel."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger
    from papermill.utils import merge_kwargs, remove_args

    class WarmKernelEngine(NBClientEngine):
        """papermill's nbclient engine, on the kernel the worker keeps (not a new one)."""

        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man,
            kernel_name,
            log_output=False,
            stdout_file=None,
            stderr_file=None,
            start_timeout=60,
            execution_timeout=None,
            **kwargs,
        ):
            kernel = _WORKER_KERNEL
            assert kernel is not None and kernel.kernel_name == kernel_name
            kernel.reset()
            kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
            final = merge_kwargs(
                kwargs,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log=logger,
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
            )
            client = PapermillNotebookClient(nb_man, km=kernel.km, **final)
            client.kc = _PatientClient(kernel.kc, kernel.km)  # setup_kernel starts nothing
            return client.execute()

    papermill_engines.register(WARM_ENGINE, WarmKernelEngine)


def _first_line(source: str) -> str:
    for line in str(source).splitlines():
        if line.strip():
            return line.strip()[:120]
    return ""


def _kernel_name_of(path: str) -> str:
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    return nb.get("metadata", {}).get("kernelspec", {}).get("name") or "python3"


def _relocate(executed: Path, staging: str, final: str) -> None:
    """Replace the staging folder by the final one in the executed notebook's parameters and
    text outputs, so the kept notebook shows where its outputs really are."""
    text = executed.read_text(encoding="utf-8")
    if staging not in text:
        return
    from helpers.core.files import atomic_write_text

    nb = json.loads(text)

    def fix(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace(staging, final)
        if isinstance(value, list):
            return [fix(v) for v in value]
        return value

    for cell in nb.get("cells", []):
        cell["source"] = fix(cell.get("source", ""))
        for out in cell.get("outputs", []):
            if "text" in out:
                out["text"] = fix(out["text"])
            for mime in ("text/plain", "text/markdown"):
                if mime in out.get("data", {}):
                    out["data"][mime] = fix(out["data"][mime])
    pm = nb.get("metadata", {}).get("papermill", {})
    for k, v in list(pm.get("parameters", {}).items()):
        pm["parameters"][k] = fix(v)
    atomic_write_text(executed, json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


TEXT_SUFFIXES = frozenset({".html", ".htm", ".json", ".md", ".txt", ".csv", ".svg"})


def _relocate_text_outputs(staging: Path, final: str, skip: Path) -> None:
    """The staging folder is an implementation detail: where a text output names it (a brief's
    provenance lists ``out_dir``), name the final folder instead, as a direct run would."""
    from html import escape

    from helpers.core.files import atomic_write_bytes

    pairs = [(str(staging), final), (escape(str(staging)), escape(final))]
    for path in staging.rglob("*"):
        if not path.is_file() or path.suffix.lower() not in TEXT_SUFFIXES or path == skip:
            continue
        data = path.read_bytes()
        if str(staging).encode() not in data and pairs[1][0].encode() not in data:
            continue
        text = data.decode("utf-8", errors="surrogateescape")
        for old, new in pairs:
            text = text.replace(old, new)
        atomic_write_bytes(path, text.encode("utf-8", errors="surrogateescape"))


def _silent_failure(executed: Path) -> dict[str, Any] | None:
    """papermill #501: a run that raised nothing but flagged an exception in its metadata."""
    nb = _read_json(executed) or {}
    if nb.get("metadata", {}).get("papermill", {}).get("exception"):
        return {
            "kind": "runner",
            "ename": "PapermillException",
            "evalue": "papermill flagged an exception in the executed notebook",
        }
    return None


def execute_task(task: dict[str, Any]) -> dict[str, Any]:
    """Run one step into its staging folder (in a worker process). Never raises."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    staging = Path(task["staging_dir"])
    staging.mkdir(parents=True, exist_ok=True)
    params = dict(task["parameters"])
    params["out_dir"] = str(staging)
    executed = staging / task["executed_name"]
    error: dict[str, Any] | None = None
    kernel = _WORKER_KERNEL
    t0 = time.perf_counter()
    try:
        kernel_name = _kernel_name_of(task["notebook"])
        warm = kernel is not None and kernel.kernel_name == kernel_name and kernel.alive()
        papermill.execute_notebook(
            task["notebook"],
            str(executed),
            parameters=params,
            engine_name=WARM_ENGINE if warm else None,
            kernel_name=kernel_name,
            progress_bar=False,
            request_save_on_cell_execute=False,
            log_output=False,
            cwd=None if warm else task["cwd"],
        )
    except PapermillExecutionError as exc:
        error = {
            "kind": "cell",
            "cell_index": exc.cell_index,
            "exec_count": exc.exec_count,
            "source": _first_line(exc.source),
            "ename": exc.ename,
            "evalue": str(exc.evalue),
        }
    except Exception as exc:  # noqa: BLE001 - dead kernel, timeout, unreadable notebook, ...
        error = {"kind": "runner", "ename": type(exc).__name__, "evalue": str(exc)[:2000]}
    seconds = time.perf_counter() - t0
    if kernel is not None and not kernel.alive():
        with contextlib.suppress(Exception):
            kernel.restart()
    if error is None and executed.exists():
        error = _silent_failure(executed)
    if error is None:
        missing = [
            name.format(lang=task["lang"])
            for name in task["required_outputs"]
            if not (staging / name.format(lang=task["lang"])).exists()
        ]
        if missing:
            error = {
                "kind": "output",
                "ename": "MissingOutput",
                "evalue": f"the notebook finished without writing {', '.join(missing)}",
            }
    if executed.exists():
        with contextlib.suppress(OSError, ValueError):
            _relocate(executed, str(staging), task["final_dir"])
    if error is None:
        _relocate_text_outputs(staging, task["final_dir"], executed)
    return {
        "id": task["id"],
        "status": "failed" if error else "ok",
        "error": error,
        "seconds": round(seconds, 3),
    }


def _worker_main(conn: Any, settings: dict[str, Any]) -> None:
    """A worker process: start a warm kernel, then run the tasks the parent sends."""
    global _WORKER_KERNEL
    os.setpgrp()  # Ctrl-C reaches the parent only; it stops the workers
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    log = open(settings["log_path"], "a", buffering=1, encoding="utf-8")  # noqa: SIM115
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    parent = settings["parent_pid"]
    kernel = WarmKernel(
        settings["kernel_name"], settings["cwd"], settings["warm_imports"], settings.get("preload")
    )
    failure: list[Exception] = []

    def start() -> None:
        try:
            kernel.start()
        except Exception as exc:  # noqa: BLE001 - reported; tasks then use a cold kernel
            failure.append(exc)

    def watch_parent() -> None:  # even while a step runs: never outlive the parent
        while os.getppid() == parent:
            time.sleep(1.0)
        if kernel.pid:
            with contextlib.suppress(OSError):
                os.kill(kernel.pid, signal.SIGKILL)
        shutil.rmtree(kernel.runtime, ignore_errors=True)
        os._exit(1)

    threading.Thread(target=watch_parent, name="parent-watch", daemon=True).start()
    starter = threading.Thread(target=start, name="kernel-start")
    starter.start()  # the kernel boots and imports while this process imports papermill
    try:
        import papermill  # noqa: F401

        _register_warm_engine()
        starter.join()
        if failure:
            print(
                f"warm kernel unavailable, using one kernel per notebook: {failure[0]}", flush=True
            )
        else:
            _WORKER_KERNEL = kernel
        conn.send(
            ("ready", {"pid": os.getpid(), "kernel_pid": kernel.pid, "runtime": kernel.runtime})
        )
        while True:
            if not conn.poll(1.0):
                if os.getppid() != parent:
                    return  # the parent died: stop
                continue
            kind, payload = conn.recv()
            if kind == "stop":
                return
            conn.send(("done", execute_task(payload)))
    except (EOFError, BrokenPipeError, KeyboardInterrupt):
        return
    finally:
        kernel.close()


# ============================================================================ parent side


@dataclass(eq=False)
class _Worker:
    process: Any
    conn: Any
    node: Node | None = None
    kernel_pid: int | None = None
    runtime: str | None = None


class WorkerPool:
    """Worker processes, each with its own pipe; the parent waits on pipes and sentinels."""

    def __init__(self, size: int, settings: dict[str, Any], log_dir: Path) -> None:
        import multiprocessing

        self.ctx = multiprocessing.get_context("spawn")
        self.size = size
        self.settings = settings
        self.log_dir = log_dir
        self.workers: list[_Worker] = []
        self.spawned = 0

    def grow(self, wanted: int) -> None:
        while len(self.workers) < min(self.size, wanted):
            parent_conn, child_conn = self.ctx.Pipe()
            settings = {
                **self.settings,
                "log_path": str(self.log_dir / f"worker-{self.spawned + 1}.log"),
            }
            proc = self.ctx.Process(
                target=_worker_main,
                args=(child_conn, settings),
                name=f"mtqg-worker-{self.spawned + 1}",
                daemon=True,
            )
            proc.start()
            child_conn.close()
            self.spawned += 1
            self.workers.append(_Worker(proc, parent_conn))

    def idle(self) -> list[_Worker]:
        return [w for w in self.workers if w.node is None]

    def send(self, worker: _Worker, node: Node, task: dict[str, Any]) -> None:
        worker.node = node
        worker.conn.send(("run", task))

    def wait(self, timeout: float) -> list[tuple[_Worker, str, Any]]:
        """Messages and deaths: (worker, "ready"|"done"|"died", payload)."""
        from multiprocessing.connection import wait

        if not self.workers:
            time.sleep(min(timeout, 0.05))
            return []
        handles = {}
        for w in self.workers:
            handles[w.conn] = w
            handles[w.process.sentinel] = w
        events = []
        for handle in wait(list(handles), timeout):
            w = handles[handle]
            if handle is w.conn:
                try:
                    while w.conn.poll():
                        kind, payload = w.conn.recv()
                        if kind == "ready":
                            w.kernel_pid = payload.get("kernel_pid")
                            w.runtime = payload.get("runtime")
                        events.append((w, kind, payload))
                except (EOFError, OSError):
                    pass
            if not w.process.is_alive() and w in self.workers:
                w.process.join(1)
                self._forget(w)
                events.append((w, "died", w.process.exitcode))
        return events

    def _forget(self, w: _Worker) -> None:
        self.workers.remove(w)
        if w.kernel_pid:  # the kernel also exits by itself when its parent is gone
            with contextlib.suppress(OSError):
                os.kill(w.kernel_pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            w.conn.close()
        if w.runtime and Path(w.runtime).name.startswith("mtqg-k-"):
            shutil.rmtree(w.runtime, ignore_errors=True)  # what a killed worker left

    def close(self, now: bool = False) -> None:
        for w in list(self.workers):
            if not now and w.node is None:
                with contextlib.suppress(OSError, BrokenPipeError):
                    w.conn.send(("stop", None))
        deadline = time.monotonic() + (0 if now else 10)
        for w in list(self.workers):
            if not now:
                w.process.join(max(0.0, deadline - time.monotonic()))
            if w.process.is_alive():
                w.process.kill()
                w.process.join(5)
            self._forget(w)


def _signal_name(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        with contextlib.suppress(ValueError):
            return signal.Signals(-exitcode).name
    return f"exit code {exitcode}"


# =============================================================================== the run


@dataclass
class RunReport:
    """What a run did (also what :func:`run_batch` returns to tests and benchmarks)."""

    nodes: list[Node]
    scopes: list[ScopeInfo]
    out: Path
    manifest_path: Path
    index_path: Path | None
    seconds: float
    interrupted: bool = False

    @property
    def failed(self) -> list[Node]:
        return [n for n in self.nodes if n.state in _STATUS_BAD]

    @property
    def exit_code(self) -> int:
        return EXIT_FAILED if self.failed or self.interrupted else EXIT_OK

    def states(self) -> dict[str, str]:
        """``{"province/assessment": "ran", "042/brief.vi": "skipped", ...}``."""
        return {n.id: n.state for n in self.nodes}


class _Lock:
    """One run at a time per output folder (``<out>/.mtqg/lock``, flock)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fh: Any = None

    def __enter__(self) -> _Lock:
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = open(self.path, "a+")  # noqa: SIM115
        try:
            fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.fh.close()
            raise ParameterError(
                f"another mtqg run is writing to {self.path.parent.parent}; "
                "wait for it to finish or choose another --out"
            ) from None
        return self

    def __exit__(self, *exc: object) -> None:
        self.fh.close()


class _Run:
    """State of one ``mtqg run`` in the parent process."""

    def __init__(self, opts: RunOptions, steps: Sequence[StepSpec], console: Any) -> None:
        self.opts = opts
        self.steps = list(steps)
        self.console = console
        self.out = Path(opts.out).expanduser().resolve()
        self.state_dir = self.out / STATE_DIR
        self.run_id = datetime.now().strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}"
        self.t0 = time.perf_counter()
        self.started = _now()

    # ------------------------------------------------------------------ checks, before work
    def prepare(self) -> None:
        opts = self.opts
        if opts.jobs is not None and int(opts.jobs) < 1:
            raise ParameterError(f"--jobs: expected a whole number ≥ 1; got {opts.jobs}")
        if opts.lang not in LANG_CHOICES:
            raise ParameterError(
                f"--lang: expected one of {', '.join(LANG_CHOICES)}; got {opts.lang!r}"
            )
        if self.out.exists() and not self.out.is_dir():
            raise ParameterError(f"--out: {self.out} exists and is not a folder")
        self.jobs = int(opts.jobs or default_jobs())
        self.data_arg = _data_argument(opts.data)
        cache_dir = self.state_dir / "cache"
        cache_dir.mkdir(parents=True, exist_ok=True)
        self.notebooks = _check_notebooks(self.steps, cache_dir)
        self.code_hash = code_sha256()
        self.packages = package_versions()
        self.env = {
            "python": sys.version.split()[0],
            "platform": sys.platform,
            "packages": self.packages,
            "git_commit": git_commit(),
            "code_sha256": self.code_hash,
        }
        self.env_hash = _sha256_json(
            {
                "python": self.env["python"],
                "packages": {k: v for k, v in self.packages.items() if k != "mtqg-workbench"},
            }
        )
        self.data = load_data(self.data_arg, cache_dir, self.code_hash)
        self.scopes = resolve_scopes(self.data.dataset, opts.scopes)
        province_code = self.data.dataset.province_code
        self.province = resolve_scopes(self.data.dataset, [province_code])[0]
        self.nodes = build_plan(
            self.steps,
            self.scopes,
            self.province,
            opts.langs,
            self.data_arg,
            self.out,
            self.notebooks,
        )

    # ----------------------------------------------------------------------- bookkeeping
    def fingerprint(self, node: Node, manifest: Manifest) -> None:
        compute_fingerprint(
            node,
            out_root=self.out,
            data_sha=self.data.sha256,
            code_hash=self.code_hash,
            env_hash=self.env_hash,
            nb_hash=self.notebooks[node.spec.name]["sha256"],
            manifest=manifest,
        )

    def base_record(self, node: Node) -> dict[str, Any]:
        return {
            "notebook": self.notebooks[node.spec.name]["path"],
            "executed_notebook": _rel(node.out_dir / node.executed_name, self.out),
            "lang": node.lang,
            "parameters": node.params,
            "inputs": node.inputs,
            "fingerprint": node.fingerprint,
        }

    def manifest_header(self, manifest: Manifest, status: str) -> None:
        counts: dict[str, int] = {}
        for n in self.nodes:
            counts[n.state] = counts.get(n.state, 0) + 1
        manifest.data["out_dir"] = str(self.out)
        manifest.data["run"] = {
            "id": self.run_id,
            "status": status,
            "started": self.started,
            "finished": None if status == "running" else _now(),
            "seconds": round(time.perf_counter() - self.t0, 2),
            "command": "mtqg run " + " ".join(self.opts.argv or []),
            "arguments": {
                "data": self.opts.data,
                "scopes": list(self.opts.scopes),
                "lang": self.opts.lang,
                "jobs": self.jobs,
                "force": self.opts.force,
                "out": str(self.out),
            },
            "scopes": [s.slug for s in self.scopes],
            "counts": counts,
        }
        manifest.data["environment"] = self.env
        manifest.data["data"] = self.data.to_manifest()
        manifest.data["notebooks"] = self.notebooks


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _display_path(path: Path) -> str:
    return _rel(Path(path).resolve(), REPO_ROOT)


def _clean_state(state_dir: Path) -> None:
    """Remove what killed runs left: staging folders (never half-moved outputs)."""
    shutil.rmtree(state_dir / "staging", ignore_errors=True)
    (state_dir / "logs").mkdir(parents=True, exist_ok=True)
    for old in (state_dir / "logs").glob("worker-*.log"):
        old.unlink(missing_ok=True)


def _commit(
    node: Node, staging: Path, out_root: Path, previous: dict[str, Any] | None
) -> dict[str, dict[str, Any]]:
    """Move a successful step's files from staging into place (atomic renames); remove the
    files its previous success made that it no longer makes; return the output records."""
    produced: dict[str, Path] = {}
    for path in sorted(staging.rglob("*")):
        if path.is_file() and not (path.name.startswith(".") and path.name.endswith(".tmp")):
            produced[_rel(node.out_dir / path.relative_to(staging), out_root)] = path
    executed = _rel(node.out_dir / node.executed_name, out_root)
    for rel in sorted(produced, key=lambda r: r == executed):  # executed notebook last
        dest = out_root / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(produced[rel], dest)
    for rel in (previous or {}).get("outputs", {}):
        if rel not in produced and (out_root / rel).resolve().is_relative_to(node.out_dir):
            (out_root / rel).unlink(missing_ok=True)
    (node.out_dir / _failed_name(node)).unlink(missing_ok=True)
    shutil.rmtree(staging, ignore_errors=True)
    return {rel: _file_record(out_root / rel) for rel in sorted(produced)}


def _failed_name(node: Node) -> str:
    return node.executed_name[: -len(".ipynb")] + ".failed.ipynb"


def _keep_failed(node: Node, staging: Path) -> Path | None:
    """Keep a failed step's executed notebook (with its error) beside its outputs."""
    executed = staging / node.executed_name
    kept = None
    if executed.exists():
        node.out_dir.mkdir(parents=True, exist_ok=True)
        kept = node.out_dir / _failed_name(node)
        os.replace(executed, kept)
    shutil.rmtree(staging, ignore_errors=True)
    return kept


def describe_error(error: dict[str, Any] | None) -> str:
    """One line: the cell (index, In [n] and first source line) and ``ename: evalue``."""
    if not error:
        return ""
    what = f"{error.get('ename')}: {error.get('evalue')}".strip()
    if len(what) > 300:
        what = what[:297] + "..."
    if error.get("kind") == "cell":
        return (
            f"cell {error.get('cell_index')} (In [{error.get('exec_count')}]) "
            f"`{error.get('source')}`: {what}"
        )
    return what


class _Scheduler:
    """Runs the plan's nodes on the worker pool, committing and recording each result."""

    def __init__(self, run: _Run, manifest: Manifest, reporter: Any) -> None:
        self.run = run
        self.manifest = manifest
        self.reporter = reporter
        self.nodes = run.nodes
        self.pool: WorkerPool | None = None
        self.running: dict[str, tuple[Node, Path]] = {}
        self.ready: list[Node] = []
        self.idle_deaths = 0

    # --------------------------------------------------------------------------- states
    def _deps_finished(self, node: Node) -> bool:
        return all(d.finished for d, _ in node.deps)

    def _evaluate(self, node: Node) -> None:
        """A node whose dependencies are finished: block it, skip it, or queue it."""
        bad = [d for d, up in node.deps if up.reads and d.state in _STATUS_BAD]
        if bad:
            node.reason = f"upstream {bad[0].id} {bad[0].state}"
            self._finish(
                node,
                "blocked",
                error={"kind": "blocked", "ename": "Blocked", "evalue": node.reason},
            )
            return
        self.run.fingerprint(node, self.manifest)
        last = self.manifest.last_success(node.scope.slug, node.key)
        reason = stale_reason(node, last, self.run.out, self.run.opts.force)
        if reason is None:
            node.outputs = dict(last.get("outputs", {}))
            node.reason = "up to date"
            self._finish(node, "skipped")
        else:
            node.reason = reason
            node.state = "ready"
            self.ready.append(node)

    def _release(self) -> None:
        """Evaluate every waiting node whose dependencies are now finished."""
        changed = True
        while changed:
            changed = False
            for node in self.nodes:
                if node.state == "waiting" and self._deps_finished(node):
                    self._evaluate(node)
                    changed = True

    def _finish(
        self,
        node: Node,
        state: str,
        *,
        seconds: float = 0.0,
        error: dict[str, Any] | None = None,
        kept: Path | None = None,
    ) -> None:
        node.state = state
        prev = self.manifest.step(node.scope.slug, node.key)
        record = {**self.run.base_record(node), "last_success": prev.get("last_success")}
        last_run = {
            "run_id": self.run.run_id,
            "status": state,
            "reason": node.reason,
            "started": (
                datetime.fromtimestamp(node.started).astimezone().isoformat(timespec="seconds")
                if node.started
                else None
            ),
            "finished": _now(),
            "seconds": round(seconds, 2),
            "error": error,
            "failed_notebook": _rel(kept, self.run.out) if kept else None,
        }
        if state == "skipped":
            last_run["seconds"] = prev.get("last_run", {}).get("seconds", 0.0)
            last_run["skipped"] = True
        record["last_run"] = last_run
        if state == "ran":
            record["last_success"] = {
                "run_id": self.run.run_id,
                "fingerprint": node.fingerprint,
                "finished": last_run["finished"],
                "seconds": last_run["seconds"],
                "inputs": node.inputs,
                "outputs": node.outputs,
                "git_commit": self.run.env["git_commit"],
                "packages": self.run.packages,
            }
        node.record = record
        self.manifest.set_step(node.scope, node.key, record)
        mine = [n for n in self.nodes if n.scope == node.scope]
        if all(n.finished for n in mine):
            status, steps, seconds = scope_status(mine)
            self.manifest.scope(node.scope)["last_run"] = {
                "run_id": self.run.run_id,
                "status": status,
                "steps": steps,
                "seconds": round(seconds, 2),
                "finished": _now(),
            }
        if state != "skipped" or self.run.opts.force:
            self.run.manifest_header(self.manifest, "running")
            self.manifest.save()
        self.reporter.step_finished(node)

    # -------------------------------------------------------------------------- running
    def _task(self, node: Node) -> tuple[dict[str, Any], Path]:
        staging = self.run.state_dir / "staging" / f"{self.run.run_id}-{node.scope.slug}-{node.key}"
        task = {
            "id": node.id,
            "notebook": str(node.spec.notebook),
            "parameters": node.params,
            "staging_dir": str(staging),
            "final_dir": str(node.out_dir),
            "executed_name": node.executed_name,
            "lang": node.lang,
            "required_outputs": list(node.spec.required_outputs),
            "cwd": str(self.run.opts.kernel_cwd),
        }
        return task, staging

    def _dispatch(self) -> None:
        assert self.pool is not None
        self.ready.sort(key=lambda n: -n.priority)
        self.pool.grow(len(self.ready) + len(self.running))
        for worker in self.pool.idle():
            if not self.ready:
                break
            node = self.ready.pop(0)
            task, staging = self._task(node)
            node.state, node.started = "running", time.time()
            self.running[node.id] = (node, staging)
            self.pool.send(worker, node, task)
            self.reporter.step_started(node)

    def _on_done(self, worker: _Worker, result: dict[str, Any]) -> None:
        node, staging = self.running.pop(result["id"])
        worker.node = None
        if result["status"] == "ok":
            previous = self.manifest.last_success(node.scope.slug, node.key)
            node.outputs = _commit(node, staging, self.run.out, previous)
            self._finish(node, "ran", seconds=result["seconds"])
        else:
            kept = _keep_failed(node, staging)
            self._finish(
                node, "failed", seconds=result["seconds"], error=result["error"], kept=kept
            )

    def _on_died(self, worker: _Worker, exitcode: int | None) -> None:
        node = worker.node
        if node is None:
            self.idle_deaths += 1
            if self.idle_deaths > 2 * self.run.jobs + 2:  # workers cannot even start
                log = self.run.state_dir / "logs"
                error = {
                    "kind": "worker",
                    "ename": "WorkerDied",
                    "evalue": f"worker processes keep exiting ({_signal_name(exitcode)})"
                    f" before running a step; see {log}",
                }
                for ready in list(self.ready):
                    self.ready.remove(ready)
                    self._finish(ready, "failed", error=error)
            return
        _, staging = self.running.pop(node.id)
        shutil.rmtree(staging, ignore_errors=True)  # nothing of it reaches the outputs
        error = {
            "kind": "worker",
            "ename": "WorkerDied",
            "evalue": f"the worker process running this step stopped "
            f"({_signal_name(exitcode)}); its partial output was discarded",
        }
        self._finish(node, "failed", seconds=time.time() - node.started, error=error)

    def execute(self) -> None:
        self._release()
        try:
            while any(not n.finished for n in self.nodes):
                if self.ready:
                    if self.pool is None:
                        self.pool = self._make_pool()
                    self._dispatch()
                elif not self.running:
                    raise RuntimeError(
                        "scheduler stalled: "
                        + ", ".join(n.id for n in self.nodes if not n.finished)
                    )
                assert self.pool is not None
                for worker, kind, payload in self.pool.wait(0.5):
                    if kind == "done":
                        self._on_done(worker, payload)
                    elif kind == "died":
                        self._on_died(worker, payload)
                self._release()
                self.reporter.tick()
        finally:
            if self.pool is not None:
                self.pool.close(now=any(not n.finished for n in self.nodes))
            for _, staging in self.running.values():
                shutil.rmtree(staging, ignore_errors=True)

    def _make_pool(self) -> WorkerPool:
        kernel = _kernel_name_of(str(self.nodes[0].spec.notebook))
        data = self.run.data
        preload = (
            {"argument": data.argument, "pickle_path": str(data.pickle_path)}
            if data.pickle_path and self.run.opts.preload_data
            else None
        )
        settings = {
            "kernel_name": kernel,
            "cwd": str(self.run.opts.kernel_cwd),
            "warm_imports": list(
                WARM_IMPORTS if self.run.opts.warm_imports is None else self.run.opts.warm_imports
            ),
            "preload": preload,
            "parent_pid": os.getpid(),
        }
        return WorkerPool(self.run.jobs, settings, self.run.state_dir / "logs")


# =========================================================================== the index


def _index_entries(manifest: Manifest, out_root: Path) -> list[dict[str, Any]]:
    """The index entry of every brief whose last run succeeded and whose files exist: the
    ``brief.<lang>.json`` the brief notebook writes beside its HTML (headline numbers), with
    ``html_path`` added; a brief without one gets a minimal entry from the manifest."""
    entries = []
    for slug, scope in manifest.data.get("scopes", {}).items():
        for key, step in sorted(scope.get("steps", {}).items()):
            success = step.get("last_success") or {}
            html = [rel for rel in success.get("outputs", {}) if rel.endswith(".html")]
            if not key.startswith("brief.") or not html or not (out_root / html[0]).exists():
                continue
            lang = step.get("lang") or key.split(".", 1)[1]
            entry = _read_json(out_root / (html[0][: -len(".html")] + ".json"))
            if not isinstance(entry, dict):
                entry = {
                    "slug": slug,
                    "unit_code": scope.get("code"),
                    "lang": lang,
                    "level": scope.get("level"),
                    "name_vi": scope.get("name_vi"),
                    "name_en": scope.get("name_en"),
                    "html": Path(html[0]).name,
                }
            entry["html_path"] = str(out_root / html[0])
            entries.append(entry)
    return entries


def write_index(
    manifest: Manifest, out_root: Path, langs: Sequence[str], code_hash: str
) -> Path | None:
    """``<out>/index.html`` via :func:`helpers.report.brief.write_index`, in Vietnamese unless only
    English briefs were asked for; not rewritten when its entries are unchanged."""
    entries = _index_entries(manifest, out_root)
    path = out_root / INDEX_NAME
    lang = "vi" if "vi" in langs else langs[0]
    fingerprint = _sha256_json({"entries": entries, "code": code_hash, "lang": lang})
    last = manifest.data.get("index") or {}
    if last.get("fingerprint") == fingerprint and path.exists():
        return path
    if not entries:
        return path if path.exists() else None
    from helpers.report import brief

    brief.write_index(entries, path, lang=lang)
    manifest.data["index"] = {
        "path": INDEX_NAME,
        "fingerprint": fingerprint,
        "lang": lang,
        "entries": len(entries),
    }
    return path


# ========================================================================= reporting


class Reporter:
    """A rich progress bar on a terminal, else one line per finished scope; the closing
    table; the failures with their cell and error."""

    def __init__(self, run: _Run, console: Any) -> None:
        self.run = run
        self.console = console
        self.tty = bool(console.is_terminal)
        self.by_scope: dict[str, list[Node]] = {}
        for node in run.nodes:
            self.by_scope.setdefault(node.scope.slug, []).append(node)
        self.done_scopes: set[str] = set()
        self.progress: Any = None
        self.task: Any = None

    def __enter__(self) -> Reporter:
        if self.tty:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            self.progress = Progress(
                SpinnerColumn(),
                TextColumn("[bold]scopes"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.description}"),
                console=self.console,
                transient=True,
            )
            self.progress.start()
            self.task = self.progress.add_task("", total=len(self.by_scope))
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def step_started(self, node: Node) -> None:
        self.tick()

    def tick(self) -> None:
        if self.progress is not None:
            running = [n.id for n in self.run.nodes if n.state == "running"]
            self.progress.update(self.task, description=", ".join(running[:4]))

    def step_finished(self, node: Node) -> None:
        slug = node.scope.slug
        nodes = self.by_scope[slug]
        if slug in self.done_scopes or not all(n.finished for n in nodes):
            return
        self.done_scopes.add(slug)
        line = f"[{len(self.done_scopes)}/{len(self.by_scope)}] " + scope_line(
            node.scope, nodes, self.run.out
        )
        if self.progress is not None:
            self.progress.console.print(line, markup=False, highlight=False)
            self.progress.advance(self.task)
        else:
            print(line, file=self.console.file, flush=True)

    def summary(self, report: RunReport) -> None:
        from rich.table import Table

        table = Table(title=f"mtqg run: {self.run.out}", title_justify="left")
        for col, kw in (
            ("scope", {}),
            ("status", {}),
            ("steps", {}),
            ("seconds", {"justify": "right"}),
            ("output", {"overflow": "fold"}),
        ):
            table.add_column(col, **kw)
        for slug, nodes in self.by_scope.items():
            status, steps, seconds = scope_status(nodes)
            table.add_row(
                f"{slug} {nodes[0].scope.name_vi}",
                status,
                steps,
                f"{seconds:.1f}",
                _rel(self.run.out / slug, Path.cwd()),
            )
        self.console.print(table)
        for node in report.failed:
            self.console.print(
                failure_line(node, self.run.out), markup=False, highlight=False, soft_wrap=True
            )
        tail = [f"manifest: {report.manifest_path}"]
        if report.index_path:
            tail.insert(0, f"index: {report.index_path}")
        self.console.print("; ".join(tail), markup=False, highlight=False, soft_wrap=True)


def scope_status(nodes: Sequence[Node]) -> tuple[str, str, float]:
    """(status, "ran 2, skipped 2", seconds run) of a scope's nodes."""
    counts: dict[str, int] = {}
    for n in nodes:
        counts[n.state] = counts.get(n.state, 0) + 1
    if counts.get("failed"):
        status = "FAILED"
    elif counts.get("blocked"):
        status = "BLOCKED"
    elif counts.get("ran"):
        status = "ok"
    elif counts.get("skipped") == len(nodes):
        status = "skipped"
    else:
        status = "incomplete"
    steps = ", ".join(f"{k} {v}" for k, v in counts.items())
    seconds = sum(
        float(n.record.get("last_run", {}).get("seconds") or 0)
        for n in nodes
        if n.state in ("ran", "failed")
    )
    return status, steps, seconds


def scope_line(scope: ScopeInfo, nodes: Sequence[Node], out_root: Path) -> str:
    status, steps, seconds = scope_status(nodes)
    return (
        f"{scope.slug} ({scope.name_vi}): {status} ({steps}) in {seconds:.1f} s "
        f"-> {out_root / scope.slug}"
    )


def failure_line(node: Node, out_root: Path) -> str:
    error = node.record.get("last_run", {}).get("error")
    kept = node.record.get("last_run", {}).get("failed_notebook")
    text = f"{node.state.upper()} {node.id}: {describe_error(error)}"
    if kept:
        text += f"\n    executed notebook kept: {out_root / kept}"
    return text


# ============================================================================ entry point


def _make_console() -> Any:
    from rich.console import Console

    tty = sys.stdout.isatty()
    return Console(file=sys.stdout, highlight=False, width=None if tty else 120)


def run_batch(
    opts: RunOptions, steps: Sequence[StepSpec] | None = None, *, console: Any = None
) -> RunReport:
    """Check everything, then run the steps (see the module docstring); returns a report.

    Raises:
        ParameterError, InputError: a usage error, detected before any work (exit code 2).
    """
    console = console or _make_console()
    run = _Run(opts, default_steps() if steps is None else steps, console)
    run.prepare()  # every check that can fail on user input, before any work
    if opts.dry_run:
        return _dry_run(run)
    run.out.mkdir(parents=True, exist_ok=True)
    with _Lock(run.state_dir / "lock"):
        _clean_state(run.state_dir)
        manifest = Manifest(run.out / MANIFEST_NAME)
        _assign_priorities(run.nodes, manifest)
        if run.data.warnings:
            print(
                f"{run.data.warnings} warning(s) in the input: see `mtqg validate {opts.data}`",
                file=console.file,
            )
        report = RunReport(run.nodes, run.scopes, run.out, manifest.path, None, 0.0)
        restore = _terminate_as_interrupt()
        try:
            with Reporter(run, console) as reporter:
                _Scheduler(run, manifest, reporter).execute()
        except KeyboardInterrupt:
            report.interrupted = True
            run.manifest_header(manifest, "interrupted")
            manifest.save()
            raise
        finally:
            restore()
        report.index_path = write_index(manifest, run.out, opts.langs, run.code_hash)
        status = "failed" if report.failed else "ok"
        run.manifest_header(manifest, status)
        manifest.save()
        report.seconds = time.perf_counter() - run.t0
        reporter.summary(report)
    return report


def _terminate_as_interrupt() -> Callable[[], None]:
    """SIGTERM stops the run like Ctrl-C (workers stopped, staging removed, manifest saved)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, handler)
    return lambda: signal.signal(signal.SIGTERM, old)


def _dry_run(run: _Run) -> RunReport:
    """Print what would run and why, assuming upstream outputs do not change."""
    manifest = Manifest(run.out / MANIFEST_NAME)
    for node in run.nodes:
        run.fingerprint(node, manifest)
        reason = stale_reason(
            node, manifest.last_success(node.scope.slug, node.key), run.out, run.opts.force
        )
        node.state = "skipped" if reason is None else "would run"
        node.reason = reason or "up to date"
        print(f"{node.id:<28} {node.state:<10} {node.reason}", file=run.console.file)
    return RunReport(
        run.nodes, run.scopes, run.out, manifest.path, None, time.perf_counter() - run.t0
    )
