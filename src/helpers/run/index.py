"""``<out>/index.html``: one entry per brief whose last run succeeded, written by
:func:`helpers.report.brief.write_index` and rewritten only when its entries change."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from helpers.run.fingerprint import sha256_json
from helpers.run.manifest import IndexRecord, Manifest, read_json

INDEX_NAME = "index.html"


def index_entries(manifest: Manifest, out_root: Path) -> list[dict[str, Any]]:
    """The index entry of every brief whose last run succeeded and whose files exist: the
    ``brief.<lang>.json`` the brief notebook writes beside its HTML (headline numbers), with
    ``html_path`` added; a brief without one gets a minimal entry from the manifest."""
    entries = []
    for slug, scope in manifest.model.scopes.items():
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
            entry["html_path"] = str(out_root / html[0])
            entries.append(entry)
    return entries


def write_index(
    manifest: Manifest, out_root: Path, langs: Sequence[str], code_hash: str
) -> Path | None:
    """``<out>/index.html`` via :func:`helpers.report.brief.write_index`, in Vietnamese unless only
    English briefs were asked for; not rewritten when its entries are unchanged."""
    entries = index_entries(manifest, out_root)
    path = out_root / INDEX_NAME
    lang = "vi" if "vi" in langs else langs[0]
    fingerprint = sha256_json({"entries": entries, "code": code_hash, "lang": lang})
    last = manifest.model.index
    if last is not None and last.fingerprint == fingerprint and path.exists():
        return path
    if not entries:
        return path if path.exists() else None
    # deferred: the report layer costs ~1.7 s to import, needed only when the index changes
    from helpers.report import brief

    brief.write_index(entries, path, lang=lang)
    manifest.model.index = IndexRecord(
        path=INDEX_NAME, fingerprint=fingerprint, lang=lang, entries=len(entries)
    )
    return path
