"""Lint-as-test (OWID): notebooks are committed clean, parameterised, paired and thin."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

FORBIDDEN = [
    (re.compile(r"pd\.read_(csv|excel|parquet)|open\("), "reads data without helpers.data.intake"),
    (re.compile(r"['\"]/(home|root|work|tmp|Users)/"), "absolute path"),
    (re.compile(r"^\s*(def|class) ", re.M), "defines logic: move it into src/helpers"),
]


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks in notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_no_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert not cell.get("outputs"), f"cell {i} has outputs: strip them"
            assert cell.get("execution_count") is None, f"cell {i} has an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_one_typed_parameters_cell_first(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    assert code[0] is tagged[0], "the parameters cell is the first code cell"
    for line in tagged[0].source.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            assert re.match(r"^\w+: [\w\[\], |]+ = .+#", line), f"untyped or undocumented: {line}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_paired_with_a_jupytext_script(path):
    script = path.with_suffix(".py")
    assert script.exists(), f"{script.name} missing: run make sync-notebooks"
    text = script.read_text()
    assert "format_name: percent" in text
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.strip():
            first = cell.source.strip().splitlines()[0]
            assert first in text, f"{script.name} is out of sync with {path.name}: {first!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_cells_are_thin(path):
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for pattern, why in FORBIDDEN:
            assert not pattern.search(cell.source), f"cell {i}: {why}"
        lines = [
            ln for ln in cell.source.splitlines() if ln.strip() and not ln.strip().startswith("#")
        ]
        assert len(lines) <= 15, f"cell {i} has {len(lines)} lines: move logic into helpers"
