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
            entry["current"] = f"{slug}/{key}" in current
            if not entry.get("data_sha256"):
                entry["data_sha256"] = success.inputs.get("data_sha256")
            if not entry.get("generated_at"):
                entry["generated_at"] = success.finished
            entries.append(entry)
    return entries


def write_index(
    manifest: Manifest,
    out_root: Path,
    langs: Sequence[str],
    code_hash: str,
    *,
    data_sha256: str | None = None,
    slugs: Collection[str] | None = None,
    current: Collection[str] = (),
) -> Path | None:
    """``<out>/index.html`` via :func:`helpers.report.brief.write_index`, in Vietnamese unless only
    English briefs were asked for; not rewritten when its entries are unchanged. Only the
    scopes ``slugs`` of the current dataset are listed; a brief not in ``current`` or not
    built from ``data_sha256`` is marked as not current."""
    entries = index_entries(manifest, out_root, slugs, current)
    path = out_root / INDEX_NAME
    lang = "vi" if "vi" in langs else langs[0]
    fingerprint = sha256_json(
        {"entries": entries, "code": code_hash, "lang": lang, "data": data_sha256}
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

    brief.write_index(entries, path, lang=lang, data_sha256=data_sha256)
    manifest.model.index = IndexRecord(
        path=INDEX_NAME, fingerprint=fingerprint, lang=lang, entries=len(entries)
    )
    return path
