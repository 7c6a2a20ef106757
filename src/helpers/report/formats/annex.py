"""The technical annex: each executed notebook of a scope as an HTML page, through nbconvert.

The researcher's audit trail: the parameters papermill injected, the data hash and every
intermediate table and chart, exactly as the run produced them. nbconvert's default ``lab``
template asks two CDNs for scripts (require.js, MathJax; Mermaid when a diagram is present);
the annex template (``report/templates/annex``) extends it without those blocks, adds a
Content-Security-Policy that allows no network load at all, folds each cell's code into a
``<details>`` element (one click opens it) and keeps every output. The page therefore opens
offline with no request (``tests/test_formats_browser.py`` checks it in Chromium).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from helpers import __version__
from helpers.core.files import atomic_write_text
from helpers.core.paths import PACKAGE_DIR
from helpers.core.text import tr

TEMPLATE_DIR = PACKAGE_DIR / "report" / "templates"
TEMPLATE_NAME = "annex"

NOTEBOOK_WORDS = {
    "01_assessment": "nb_assessment",
    "02_disbursement_lag": "nb_lag",
    "03_brief": "nb_brief",
}
"""Notebook stem → the ``formats`` catalog's name of it."""


@cache
def exporter() -> Any:
    """The annex exporter (one per process: building it loads the templates)."""
    from nbconvert import HTMLExporter  # deferred: ~1.4 s, only where annexes are made

    return HTMLExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATE_DIR)],
        embed_images=True,
    )


def annex_name(notebook: Path) -> str:
    """``01_assessment.ipynb`` → ``01_assessment.html``."""
    return notebook.name[: -len(".ipynb")] + ".html"


def notebook_title(notebook: Path, lang: str) -> str:
    stem = notebook.name.split(".")[0]
    key = NOTEBOOK_WORDS.get(stem)
    name = tr(f"formats.{key}", lang) if key else stem
    return tr("formats.annex_title", lang, notebook=f"{name} ({notebook.name})")


def is_demo(folder: Path) -> bool:
    """The results beside an executed notebook say DEMO (any of its JSON files)."""
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("demo"):
            return True
    return False


def export_notebook(notebook: Path, out_dir: Path, lang: str = "vi") -> Path:
    """Write ``<out_dir>/<notebook stem>.html``, the annex page of an executed notebook."""
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    title = notebook_title(notebook, lang)
    resources: dict[str, Any] = {
        "metadata": {"name": notebook.name},
        "annex": {
            "title": title,
            "intro": tr("formats.annex_intro", lang),
            "code": tr("formats.annex_code", lang),
            "demo": is_demo(notebook.parent),
            "demo_note": tr("common.demo_note", lang),
            "generator": f"mtqg-workbench {__version__} (nbconvert)",
        },
    }
    nb.metadata["title"] = title
    body, _ = exporter().from_notebook_node(nb, resources=resources)
    body = body.replace('<html lang="en">', f'<html lang="{lang}">', 1)
    return atomic_write_text(out_dir / annex_name(notebook), body)
