"""Every path the workbench uses, anchored once (cookiecutter-data-science's ``config.py``).

Notebooks and modules import these names instead of building paths by hand. The repository
root is found from this file, so the package works from any working directory; when the
package is installed outside a checkout the root falls back to the current directory.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR: Path = Path(__file__).resolve().parent
"""``src/helpers``: the importable package."""

REFERENCE_DIR: Path = PACKAGE_DIR / "reference"
"""Shipped reference tables (units, program components, target indicators, sources, figures)."""


def _find_repo_root() -> Path:
    candidate = PACKAGE_DIR.parent.parent
    if (candidate / "pyproject.toml").exists():
        return candidate
    return Path.cwd()


REPO_ROOT: Path = Path(os.environ.get("MTQG_ROOT", _find_repo_root())).resolve()
DATA_DIR: Path = REPO_ROOT / "data"
DEMO_DATA_DIR: Path = DATA_DIR / "demo"
PROCESSED_DIR: Path = DATA_DIR / "processed"
NOTEBOOKS_DIR: Path = REPO_ROOT / "notebooks"
OUTPUTS_DIR: Path = REPO_ROOT / "outputs"
