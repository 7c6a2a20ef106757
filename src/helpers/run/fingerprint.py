"""Incremental runs: the hashes a step's fingerprint is made of, and why a step must run.

A step is skipped when its fingerprint equals the one recorded at its last *successful* run
and every output recorded then still exists unchanged (size and mtime, else SHA-256). The
fingerprint is the SHA-256 of the notebook's code and text cells (not its outputs or
metadata), the parameters (paths inside the output folder taken relative to it), the data
SHA-256 (for steps given a ``data`` parameter), the helper code (every file of the ``helpers``
package and its package data except the runner itself), the versions of the analysis packages
and Python, and the outputs of the upstream steps it reads (executed notebooks excluded, so
papermill timings do not cascade).
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from helpers.core.errors import Message, message
from helpers.core.paths import PACKAGE_DIR
from helpers.run.manifest import LastSuccess, Manifest, OutputRecord
from helpers.run.plan import Node

FINGERPRINT_VERSION = 1
"""Bump when the fingerprint's definition changes (every step then re-runs once)."""

RUNNER_FILES = frozenset({"run", "cli.py", "__main__.py"})
"""Files of the package that no notebook reads: left out of the helper-code hash."""

RUNNER_DOMAIN = "run.po"
"""The catalog of the runner's own messages (``locale/<lang>/LC_MESSAGES/run.po``): no
notebook reads it either, so rewording a message of the run re-runs no step."""

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


# ================================================================================= hashing


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def sha256_json(obj: Any) -> str:
    """SHA-256 of ``obj`` as canonical JSON (sorted keys)."""
    return sha256_bytes(json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str).encode())


def ignored(rel: str, patterns: tuple[str, ...]) -> bool:
    """``rel`` (a package path) is one of ``patterns`` (paths or globs) or inside one."""
    return any(
        rel == p or rel.startswith(p.rstrip("/") + "/") or fnmatch.fnmatch(rel, p) for p in patterns
    )


def code_files(package_dir: Path = PACKAGE_DIR) -> list[tuple[str, str]]:
    """(package path, SHA-256) of the helper code and package data: every file but caches
    and the runner."""
    files = []
    for path in sorted(package_dir.rglob("*")):
        rel = path.relative_to(package_dir)
        if (
            not path.is_file()
            or "__pycache__" in rel.parts
            or path.suffix in (".pyc", ".pyo")
            or rel.parts[0] in RUNNER_FILES
            or (rel.parts[0] == "locale" and rel.name == RUNNER_DOMAIN)
        ):
            continue
        files.append((rel.as_posix(), sha256_file(path)))
    return files


def code_sha256(
    package_dir: Path = PACKAGE_DIR,
    ignore: tuple[str, ...] = (),
    files: list[tuple[str, str]] | None = None,
) -> str:
    """SHA-256 of :func:`code_files` (or ``files``), leaving out the package paths
    ``ignore``: code a step never reads (``StepSpec.code_ignore``)."""
    h = hashlib.sha256()
    for rel, digest in code_files(package_dir) if files is None else files:
        if ignore and ignored(rel, ignore):
            continue
        h.update(rel.encode() + b"\0")
        h.update(digest.encode())
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
    return sha256_json({"cells": cells, "kernel": kernel})


def package_versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def environment_sha256(packages: dict[str, str | None]) -> str:
    """SHA-256 of Python's and the analysis packages' versions (the workbench's own version is
    left out: its code is hashed file by file)."""
    return sha256_json(
        {
            "python": sys.version.split()[0],
            "packages": {k: v for k, v in packages.items() if k != "mtqg-workbench"},
        }
    )


# ================================================================================ outputs


def file_record(path: Path) -> OutputRecord:
    st = path.stat()
    return OutputRecord(sha256=sha256_file(path), size=st.st_size, mtime_ns=st.st_mtime_ns)


def outputs_intact(out_root: Path, outputs: dict[str, OutputRecord]) -> bool:
    """Every recorded output exists with its recorded content (size+mtime, else SHA-256)."""
    for rel, rec in outputs.items():
        path = out_root / rel
        try:
            st = path.stat()
        except OSError:
            return False
        if st.st_size != rec.size:
            return False
        if st.st_mtime_ns != rec.mtime_ns and sha256_file(path) != rec.sha256:
            return False
    return True


def outputs_digest(outputs: dict[str, OutputRecord], notebooks: bool = False) -> str:
    """What a downstream step reads of a step: its outputs, executed notebooks excluded
    unless ``notebooks`` (the technical annex, which exports them)."""
    return sha256_json(
        sorted(
            (rel, rec.sha256)
            for rel, rec in outputs.items()
            if notebooks or not rel.endswith(".ipynb")
        )
    )


# ============================================================================ fingerprint


def normalised_parameters(params: dict[str, Any], out_root: Path) -> dict[str, Any]:
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
    """Set ``node.inputs`` and ``node.fingerprint`` (its dependencies are finished: the
    outputs of one that was skipped are those of its last success)."""
    upstream = {}
    for dep, up in node.deps:
        if up.reads:
            last = manifest.last_success(dep.scope.slug, dep.key)
            outputs = dep.outputs or (last.outputs if last else {})
            upstream[dep.id] = outputs_digest(outputs, notebooks=up.notebooks)
    node.inputs = {
        "runner": FINGERPRINT_VERSION,
        "step": node.key,
        "notebook_sha256": nb_hash,
        "code_sha256": code_hash,
        "environment_sha256": env_hash,
        "data_sha256": data_sha if "data" in node.params else None,
        "parameters": normalised_parameters(node.params, out_root),
        "upstream": upstream,
    }
    node.fingerprint = sha256_json(node.inputs)


INPUT_WORDS = {
    "notebook_sha256": "run.why_notebook",
    "code_sha256": "run.why_code",
    "environment_sha256": "run.why_environment",
    "data_sha256": "run.why_data",
    "parameters": "run.why_parameters",
    "runner": "run.why_runner",
    "step": "run.why_step",
}
"""How :func:`stale_reason` names a changed input (ids of the ``run`` catalog)."""


def stale_reasons(
    node: Node, last: LastSuccess | None, out_root: Path, force: bool
) -> list[Message] | None:
    """Why ``node`` must run (one message per reason), or None when it is up to date."""
    if force:
        return [message("run.why_force")]
    if not last:
        return [message("run.why_first")]
    if last.fingerprint == node.fingerprint:
        if outputs_intact(out_root, last.outputs):
            return None
        return [message("run.why_outputs")]
    before = last.inputs
    reasons = [message(w) for k, w in INPUT_WORDS.items() if before.get(k) != node.inputs.get(k)]
    ups = node.inputs.get("upstream", {})
    reasons += [
        message("run.why_upstream", step=k)
        for k in sorted(ups)
        if before.get("upstream", {}).get(k) != ups[k]
    ]
    return reasons or [message("run.why_inputs")]


def stale_reason(
    node: Node, last: LastSuccess | None, out_root: Path, force: bool, lang: str = "en"
) -> str | None:
    """Why ``node`` must run, in ``lang`` (English: as the manifest records it), or None
    when it is up to date."""
    reasons = stale_reasons(node, last, out_root, force)
    return None if reasons is None else ", ".join(r.text(lang) for r in reasons)
