"""Every path the workbench uses, anchored once (cookiecutter-data-science's ``config.py``).

Notebooks and modules import these names instead of building paths by hand. The repository
root is found from this file, so the package works from any working directory; when the
package is installed outside a checkout the root falls back to the current directory.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from helpers.core.errors import ParameterError

PACKAGE_DIR: Path = Path(__file__).resolve().parent.parent
"""``src/helpers``: the importable package."""

REFERENCE_DIR: Path = PACKAGE_DIR / "data" / "reference"
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


def scope_slug(code: str, province_code: str | None = None) -> str:
    """A safe folder/file name for a scope: ``province`` for the province, else the unit code
    reduced to ``[A-Za-z0-9_-]`` (no path traversal whatever a unit code contains).

    When ``province_code`` is given, ``province`` belongs to the province alone: another unit
    whose code reduces to it (in any case) gets ``unit_province``. Two codes may still reduce
    to the same slug (``x`` and ``../x``); the batch refuses such data."""
    if province_code is not None and code == province_code:
        return "province"
    slug = re.sub(r"[^A-Za-z0-9_-]+", "_", str(code)).strip("_")
    if province_code is not None and slug.lower() == "province":
        return f"unit_{slug}"
    return slug or "unit"


def resolve_out_dir(out_dir: str | Path, slug: str, example: str = "outputs/{scope}/…") -> Path:
    """A notebook's output folder: ``{scope}`` is replaced by ``slug`` ("province" or the unit
    code); a relative path is taken from the repository root, so any working directory works.

    Raises:
        helpers.core.errors.ParameterError: ``out_dir`` is empty.
    """
    text = str(out_dir).strip()
    if not text:
        raise ParameterError(
            f"out_dir: expected a folder path, e.g. {example!r}; got an empty value"
        )
    path = Path(text.replace("{scope}", slug)).expanduser()
    return path if path.is_absolute() else REPO_ROOT / path
