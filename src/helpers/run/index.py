"""``<out>/index.html``: one entry per brief of the current dataset whose last run succeeded,
written by :func:`helpers.report.brief.write_index` and rewritten only when its entries change.

Each entry carries the data SHA-256 and the date of the brief it lists, and whether the brief
is current (built from the current data, parameters and upstream results): the index marks
every brief that is not."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from helpers.run.fingerprint import sha256_json
from helpers.run.manifest import IndexRecord, Manifest, read_json

INDEX_NAME = "index.html"

FORMAT_KINDS = {".docx": "docx", ".xlsx": "xlsx", ".pdf": "pdf"}
"""Suffix of a format step's output → the kind the index names it by."""


def format_files(scope: Any, lang: str, out_root: Path) -> list[dict[str, str]]:
    """The other formats of a scope's brief in ``lang`` that its last successful steps made
    and that exist: Word, Excel, PDF, then the annex pages (``annex:<notebook stem>``). A PDF
    older than its brief (the brief re-ran in a run without ``--pdf``) is left out."""
    found: list[tuple[int, str, str]] = []
    brief = out_root / scope.output_dir / "brief" / f"brief.{lang}.html"
    brief_mtime = brief.stat().st_mtime_ns if brief.exists() else 0
    for key, step in sorted(scope.steps.items()):
        if step.last_success is None or key.startswith("brief"):
            continue
        for rel in step.last_success.outputs:
            path, name = out_root / rel, Path(rel).name
            kind = FORMAT_KINDS.get(path.suffix)
            parts = name.split(".")
            if kind == "pdf" and path.exists() and path.stat().st_mtime_ns < brief_mtime:
                continue
            if kind and f".{lang}." in name:
                found.append((list(FORMAT_KINDS.values()).index(kind), kind, str(path)))
            elif key.startswith("annex") and path.suffix == ".html":
                if len(parts) == 2 or (len(parts) == 3 and parts[1] == lang):
                    found.append((10, f"annex:{parts[0]}", str(path)))
    return [{"kind": kind, "path": path} for _, kind, path in sorted(found) if Path(path).exists()]


def index_entries(
    manifest: Manifest,
    out_root: Path,
    slugs: Collection[str] | None = None,
    current: Collection[str] = (),
) -> list[dict[str, Any]]:
    """The index entry of every brief of the scopes ``slugs`` (None: every scope recorded)
    whose last run succeeded and whose files exist: the ``brief.<lang>.json`` the brief
    notebook writes beside its HTML (headline numbers), with ``html_path`` added; a brief
    without one gets a minimal entry from the manifest. ``current`` is the ids of the steps
    whose results are from the current inputs: an entry gets ``current`` True or False; its
    ``data_sha256`` and ``generated_at`` come from the manifest when the JSON has none."""
    entries = []
    for slug, scope in manifest.model.scopes.items():
        if slugs is not None and slug not in slugs:
            continue  # a scope the current dataset does not have
        for key, step in sorted(scope.steps.items()):
            outputs = step.last_success.outputs if step.last_success else {}
            html = [rel for rel in outputs if rel.endswith(".html")]
            if not key.startswith("brief.") or not html or not (out_root / html[0]).exists():
                continue
            lang = step.lang or key.split(".", 1)[1]
            entry = read_json(out_root / (html[0][: -len(".html")] + ".json"))
            if not isinstance(entry, dict):
                entry = {
                    "slug": slug,
                    "unit_code": scope.code,
                    "lang": lang,
                    "level": scope.level,
                    "name_vi": scope.name_vi,
                    "name_en": scope.name_en,
                    "html": Path(html[0]).name,
                }
            success = step.last_success
            assert success is not None  # it has outputs
            entry["html_path"] = str(out_root / html[0])
            entry["formats"] = format_files(scope, lang, out_root)
            entry["current"] = f"{slug}/{key}" in current
            if not entry.get("data_sha256"):
                entry["data_sha256"] = success.inputs.get("data_sha256")
            if not entry.get("generated_at"):
                entry["generated_at"] = success.finished
            entries.append(entry)
    return entries


def scope_geography(dataset: Any) -> dict[str, Any]:
    """How the index groups and links the scopes of ``dataset`` (see
    :func:`helpers.report.brief.index.write_index`): each unit's group (the former districts,
    the units created on 1 July 2025, others), the last day of the districts and the first of
    the new units, each new unit's former districts and each district's new units (from the
    successions: the districts whose communes the new unit took over), and the names."""
    # deferred, like the other helpers.data imports of the runner (pandas costs ~1 s)
    import pandas as pd

    from helpers.data.datasets import district_codes, new_unit_codes

    units = dataset.units
    codes = units["unit_code"].astype(str)
    parent = {
        c: None if pd.isna(p) or not str(p).strip() else str(p)
        for c, p in zip(codes, units["parent_code"].astype(object), strict=True)
    }
    districts, new = district_codes(dataset), new_unit_codes(dataset)
    group = {c: "districts" for c in districts} | {c: "communes" for c in new}
    related: dict[str, set[str]] = {}
    succ = dataset.successions
    for former, code in zip(
        succ["former_code"].astype(str), succ["new_code"].astype(str), strict=True
    ):
        district = parent.get(former)
        if group.get(code) == "communes" and district is not None and district in districts:
            related.setdefault(code, set()).add(district)
            related.setdefault(district, set()).add(code)

    def day(column: str, chosen: list[str], last: bool) -> str | None:
        values = units.loc[codes.isin(chosen), column].dropna() if column in units else []
        if not len(values):
            return None
        return str((max(values) if last else min(values)).date())

    return {
        "group": group,
        "until": day("valid_to", districts, last=True),
        "since": day("valid_from", new, last=False),
        "related": {c: sorted(v) for c, v in sorted(related.items())},
        "names": {
            c: {"vi": str(vi), "en": str(en)}
            for c, vi, en in zip(codes, units["name_vi"], units["name_en"], strict=True)
            if c in group
        },
    }


def write_index(
    manifest: Manifest,
    out_root: Path,
    langs: Sequence[str],
    code_hash: str,
    *,
    data_sha256: str | None = None,
    slugs: Collection[str] | None = None,
    current: Collection[str] = (),
    geography: dict[str, Any] | None = None,
) -> Path | None:
    """``<out>/index.html`` via :func:`helpers.report.brief.write_index`, in Vietnamese unless only
    English briefs were asked for; not rewritten when its entries are unchanged. Only the
    scopes ``slugs`` of the current dataset are listed; a brief not in ``current`` or not
    built from ``data_sha256`` is marked as not current. ``geography``
    (:func:`scope_geography`) groups and links the scopes."""
    entries = index_entries(manifest, out_root, slugs, current)
    path = out_root / INDEX_NAME
    lang = "vi" if "vi" in langs else langs[0]
    fingerprint = sha256_json(
        {
            "entries": entries,
            "code": code_hash,
            "lang": lang,
            "data": data_sha256,
            "geography": geography,
        }
    )
    last = manifest.model.index
    if last is not None and last.fingerprint == fingerprint and path.exists():
        return path
    if not entries:
        path.unlink(missing_ok=True)  # no brief of this dataset: no index listing others
        manifest.model.index = None
        return None
    # deferred: the report layer costs ~1.7 s to import, needed only when the index changes
    from helpers.report import brief

    brief.write_index(entries, path, lang=lang, data_sha256=data_sha256, geography=geography)
    manifest.model.index = IndexRecord(
        path=INDEX_NAME, fingerprint=fingerprint, lang=lang, entries=len(entries)
    )
    return path
