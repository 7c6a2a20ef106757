"""Compare two ``mtqg run`` output folders: the results and what the briefs say.

Run: ``.venv/bin/python benchmarks/compare_outputs.py OLD NEW``. For every scope folder of
OLD, compares ``assessment/metrics.json`` and ``lag/lag.json`` (ignoring run times
(``fit_seconds``, ``seconds``), ``schema_version``, ``data_origin``, ``data_sha256`` and the
order of ``figures``) and the visible text of every ``brief/brief.*.html`` and of
``index.html``: the text outside ``<style>``/``<script>``, whitespace collapsed, no space
before "%", with times, the runner's staging folder names, the commit, input-file hashes, the output folder and the data origin
and data SHA-256 (provenance: the demo's records its generator's module) masked. Prints what
differs and exits 1 on a difference, 0 when everything is equal.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

IGNORED_KEYS = {"fit_seconds", "seconds", "schema_version", "data_origin", "data_sha256"}
RESULTS = ("assessment/metrics.json", "lag/lag.json")


class _Text(HTMLParser):
    """The text a reader sees: every text node outside ``<style>`` and ``<script>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("style", "script"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str, roots: list[Path], data: tuple[str, str] | None = None) -> str:
    """Normalised visible text of a page written under one of ``roots`` (masked) from ``data``
    (its origin and SHA-256, both masked)."""
    parser = _Text()
    parser.feed(html)
    text = re.sub(r"\s+", " ", " ".join(parser.parts)).strip()
    if data:
        text = text.replace(data[0], "<origin>").replace(data[1], "<data-sha256>")
    text = re.sub(r"(\d) %", r"\1%", text)
    for root in roots:
        text = text.replace(str(root.resolve()), "<out>").replace(str(root), "<out>")
    text = re.sub(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\+00:00|Z)?", "<time>", text)
    # the runner's staging folder (a run's start time and process id) in the parameters
    text = re.sub(r"\b\d{8}T\d{6}-\d+-", "<staging>-", text)
    text = re.sub(r"\b[0-9a-f]{16}…", "<sha>…", text)
    return re.sub(r"\b(Commit) \S+", r"\1 <commit>", text)


def _clean(obj: object) -> object:
    if isinstance(obj, dict):
        out = {k: _clean(v) for k, v in obj.items() if k not in IGNORED_KEYS}
        if isinstance(out.get("figures"), list):
            out["figures"] = sorted(out["figures"])
        return out
    if isinstance(obj, list):
        return [_clean(v) for v in obj]
    return obj


def json_diffs(a: object, b: object, where: str = "") -> list[str]:
    """Paths at which two cleaned JSON values differ (floats to a relative 1e-9)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{where}.{k}: only in one" for k in sorted(set(a) ^ set(b))]
        for k in sorted(set(a) & set(b)):
            out += json_diffs(a[k], b[k], f"{where}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: {len(a)} items against {len(b)}"]
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in json_diffs(x, y, f"{where}[{i}]")
        ]
    both_num = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (a, b))
    if both_num and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12):
        return []
    return [] if a == b else [f"{where}: {a!r} != {b!r}"]


def _text_diff(a: str, b: str, context: int = 60) -> str:
    i = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    lo = max(0, i - context)
    return f"first difference at character {i}:\n  old: …{a[lo : i + context]}…\n  new: …{b[lo : i + context]}…"


def _origin(root: Path, page: Path) -> tuple[str, str] | None:
    """The data origin and SHA-256 in the metrics.json of the page's scope, if any."""
    metrics = root / page.parts[0] / "assessment" / "metrics.json"
    if len(page.parts) < 2 or not metrics.is_file():
        return None
    m = json.loads(metrics.read_text(encoding="utf-8"))
    return m["data_origin"], m["data_sha256"]


def compare(old: Path, new: Path, old_was: Path | None = None) -> list[str]:
    """Every difference between the two output folders, as lines to print (``old_was``: the
    folder OLD was written to, when it was copied elsewhere afterwards)."""
    roots = [old, new] + ([old_was] if old_was else [])
    problems: list[str] = []
    scopes = sorted(p.name for p in old.iterdir() if (p / "assessment").is_dir())
    if not scopes:
        problems.append(f"{old}: no scope folders")
    for scope in scopes:
        for rel in RESULTS:
            a, b = old / scope / rel, new / scope / rel
            if not b.is_file():
                problems.append(f"{scope}/{rel}: missing in {new}")
                continue
            diffs = json_diffs(
                _clean(json.loads(a.read_text(encoding="utf-8"))),
                _clean(json.loads(b.read_text(encoding="utf-8"))),
            )
            problems += [f"{scope}/{rel}: {d}" for d in diffs]
            print(f"{scope}/{rel}: {'equal' if not diffs else f'{len(diffs)} difference(s)'}")
    pages = [p.relative_to(old) for p in sorted(old.glob("*/brief/brief.*.html"))]
    pages += [Path("index.html")] if (old / "index.html").is_file() else []
    for rel in pages:
        if not (new / rel).is_file():
            problems.append(f"{rel}: missing in {new}")
            continue
        a = visible_text((old / rel).read_text(encoding="utf-8"), roots, _origin(old, rel))
        b = visible_text((new / rel).read_text(encoding="utf-8"), roots, _origin(new, rel))
        if a != b:
            problems.append(f"{rel}: visible text differs; {_text_diff(a, b)}")
        print(f"{rel}: visible text {'equal' if a == b else 'differs'} ({len(b)} characters)")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path, help="reference output folder")
    parser.add_argument("new", type=Path, help="output folder to check")
    parser.add_argument("--old-was", type=Path, help="where OLD was written, if it was moved")
    args = parser.parse_args(argv)
    problems = compare(args.old, args.new, args.old_was)
    for line in problems:
        print("DIFF", line)
    print("equal" if not problems else f"{len(problems)} difference(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
