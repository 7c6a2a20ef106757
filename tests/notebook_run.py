"""Execute a notebook with papermill the way the notebook tests do (shared by them)."""

from __future__ import annotations

import json
from pathlib import Path

import papermill as pm


def run_notebook(notebook: Path, tmp_path: Path, result: str, **params) -> tuple[dict, Path]:
    """Execute ``notebook`` in ``tmp_path`` with ``params`` and ``out_dir`` = ``tmp_path/out``;
    the JSON file ``result`` it wrote there, and the folder."""
    out_dir = tmp_path / "out"
    pm.execute_notebook(
        str(notebook),
        str(tmp_path / "executed.ipynb"),
        parameters={**params, "out_dir": str(out_dir)},
        kernel_name="python3",
        progress_bar=False,
        request_save_on_cell_execute=False,
        cwd=str(tmp_path),
    )
    return json.loads((out_dir / result).read_text(encoding="utf-8")), out_dir
