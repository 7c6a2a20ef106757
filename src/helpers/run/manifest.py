"""``<out>/manifest.json``: the record of a run and of every scope and step, as typed models.

The file is read and written only through :class:`ManifestModel` (``format``
``"mtqg-batch-manifest/1"``). A file of another format, or one that does not validate, is
treated as absent: every step then runs once. Records of scopes and steps not selected in a
run are kept. Fields a record never had are not written (``exclude_unset``), so the file keeps
the layout it always had.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from helpers.core.files import atomic_write_text
from helpers.run.steps import ScopeInfo

MANIFEST_FORMAT: Final = "mtqg-batch-manifest/1"
MANIFEST_NAME = "manifest.json"


def read_json(path: Path) -> Any:
    """The JSON value of a file, or None when it is missing or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):  # RecursionError: absurdly nested JSON
        return None


class _Record(BaseModel):
    model_config = ConfigDict(validate_assignment=True)


class OutputRecord(_Record):
    """One file a step made, as it was when the step succeeded."""

    sha256: str
    size: int
    mtime_ns: int


class StepError(_Record):
    """Why a step did not succeed: a cell error, a runner error, a missing output, a dead
    worker or a failed upstream step (``kind``)."""

    kind: str
    ename: str | None = None
    evalue: str | None = None
    cell_index: int | None = None
    exec_count: int | None = None
    source: str | None = None


class LastRun(_Record):
    """A step's most recent run, whatever its outcome."""

    run_id: str
    status: str
    reason: str = ""
    started: str | None = None
    finished: str | None = None
    seconds: float = 0.0
    error: StepError | None = None
    failed_notebook: str | None = None
    skipped: bool = False


class LastSuccess(_Record):
    """A step's most recent successful run: what a later run compares its fingerprint with."""

    run_id: str
    fingerprint: str
    finished: str | None = None
    seconds: float = 0.0
    inputs: dict[str, Any] = {}
    outputs: dict[str, OutputRecord] = {}
    git_commit: str | None = None
    packages: dict[str, str | None] = {}


class StepRecord(_Record):
    """One step of one scope (and language)."""

    notebook: str
    executed_notebook: str
    lang: str
    parameters: dict[str, Any] = {}
    inputs: dict[str, Any] = {}
    fingerprint: str = ""
    last_success: LastSuccess | None = None
    last_run: LastRun | None = None


class ScopeRun(_Record):
    """A scope's most recent run: its status and step counts."""

    run_id: str
    status: str
    steps: str
    seconds: float
    finished: str | None = None


class ScopeRecord(_Record):
    code: str
    name_vi: str
    name_en: str
    level: str
    output_dir: str
    last_run: ScopeRun | None = None
    steps: dict[str, StepRecord] = {}


class RunRecord(_Record):
    """The most recent run: arguments, start and end, status and step counts."""

    id: str
    status: str
    started: str
    finished: str | None = None
    seconds: float = 0.0
    command: str = ""
    arguments: dict[str, Any] = {}
    scopes: list[str] = []
    counts: dict[str, int] = {}


class IndexRecord(_Record):
    path: str
    fingerprint: str
    lang: str
    entries: int


class ManifestModel(_Record):
    """The whole ``manifest.json``."""

    format: Literal["mtqg-batch-manifest/1"] = MANIFEST_FORMAT
    out_dir: str | None = None
    run: RunRecord | None = None
    environment: dict[str, Any] | None = None
    """Python, platform, package versions, git commit, helper-code hash."""
    data: dict[str, Any] | None = None
    """Argument, origin, SHA-256, DEMO flag, warning count and province of the input."""
    notebooks: dict[str, dict[str, Any]] = {}
    """Per step: the notebook's path, hash and declared parameters."""
    index: IndexRecord | None = None
    scopes: dict[str, ScopeRecord] = {}


class Manifest:
    """``<out>/manifest.json`` in memory: :attr:`model` is what :meth:`save` writes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.model = self._load(path)

    @staticmethod
    def _load(path: Path) -> ManifestModel:
        data = read_json(path)
        if isinstance(data, dict) and data.get("format") == MANIFEST_FORMAT:
            try:
                return ManifestModel.model_validate(data)
            except (ValidationError, ValueError, TypeError, RecursionError):
                pass  # an unreadable record is rebuilt: every step runs once
        return ManifestModel(format=MANIFEST_FORMAT, scopes={})

    def step(self, slug: str, key: str) -> StepRecord | None:
        scope = self.model.scopes.get(slug)
        return scope.steps.get(key) if scope else None

    def last_success(self, slug: str, key: str) -> LastSuccess | None:
        step = self.step(slug, key)
        return step.last_success if step else None

    def scope(self, scope: ScopeInfo) -> ScopeRecord:
        """The record of ``scope`` (created, and its names updated)."""
        rec = self.model.scopes.get(scope.slug)
        names = {
            "code": scope.code,
            "name_vi": scope.name_vi,
            "name_en": scope.name_en,
            "level": scope.level,
            "output_dir": scope.slug,
        }
        if rec is None:
            rec = ScopeRecord(**names, steps={})
            self.model.scopes[scope.slug] = rec
        else:
            for name, value in names.items():
                setattr(rec, name, value)
        return rec

    def set_step(self, scope: ScopeInfo, key: str, record: StepRecord) -> None:
        self.scope(scope).steps[key] = record

    def to_json(self) -> dict[str, Any]:
        return self.model.model_dump(mode="json", exclude_unset=True)

    def save(self) -> None:
        """Write ``manifest.json`` atomically: indented UTF-8 JSON, serialised by pydantic's
        compiled encoder (written after every step, it is several hundred kB for 67 scopes:
        the standard library's indenting encoder took about a tenth of a second each time)."""
        text = self.model.model_dump_json(indent=2, exclude_unset=True)
        atomic_write_text(self.path, text + "\n")
