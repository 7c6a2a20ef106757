"""Shared fixtures: a tiny valid input (as rows of CSV cells) and a writer for it."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest

from helpers.data import datasets

Rows = list[list[str]]

_VALID: dict[str, Rows] = {
    "units": [
        ["unit_code", "name_vi", "name_en", "level", "parent_code"],
        ["010", "Miền Sơn", "Mien Son", "province", ""],
        ["011", "Quảng Hòa", "Quang Hoa", "district", "010"],
        ["012", "Bảo Lạc", "Bao Lac", "district", "010"],
    ],
    "program_components": [
        ["project_code", "subproject_code", "name_vi", "name_en"],
        ["DA1", "", "Dự án 1", "Project 1"],
        ["DA3", "", "Dự án 3", "Project 3"],
        ["DA3", "DA3.TDA1", "Tiểu dự án 1 của DA3", "Sub-project 3.1"],
        ["DA3", "DA3.TDA2", "Tiểu dự án 2 của DA3", "Sub-project 3.2"],
        ["DA4", "", "Dự án 4", "Project 4"],
        ["DA4", "DA4.TDA1", "Tiểu dự án 1 của DA4", "Sub-project 4.1"],
    ],
    "sources": [
        ["source_id", "title", "publisher", "date", "url", "quote"],
        ["test", "Test fixture", "Team", "2024-01-01", "", ""],
    ],
    # line 2: ASCII only (the non-UTF-8 case relies on line 3 holding the first non-ASCII byte)
    "allocations": [
        [
            "plan_year",
            "unit_code",
            "project_code",
            "subproject_code",
            "capital_type",
            "source",
            "amount_mvnd",
            "decision_date",
            "decision_ref",
            "extended_until",
            "note",
        ],
        [
            "2024",
            "011",
            "DA1",
            "",
            "investment",
            "central",
            "1000",
            "15/03/2024",
            "QD-1/2024",
            "",
            "",
        ],
        [
            "2024",
            "huyện Bảo Lạc",
            "DA3",
            "DA3.TDA1",
            "vốn sự nghiệp",
            "NSTW",
            "1.526.790,5",
            "2024-02-01",
            "",
            "",
            "",
        ],
    ],
    "disbursements": [
        [
            "report_date",
            "plan_year",
            "unit_code",
            "project_code",
            "subproject_code",
            "capital_type",
            "source",
            "disbursed_cum_mvnd",
            "note",
        ],
        ["31/03/2024", "2024", "011", "DA1", "", "investment", "central", "100", ""],
        ["30/04/2024", "2024", "011", "DA1", "", "investment", "central", "250", ""],
        ["31/03/2024", "2024", "012", "DA3", "DA3.TDA1", "recurrent", "central", "1000", ""],
        ["31/01/2025", "2024", "012", "DA3", "DA3.TDA1", "recurrent", "central", "2000", ""],
    ],
    "targets": [
        [
            "indicator_code",
            "name_vi",
            "name_en",
            "unit",
            "direction",
            "unit_code",
            "baseline_value",
            "target_value",
            "year",
            "actual_value",
        ],
        [
            "poverty",
            "Tỷ lệ hộ nghèo",
            "Poverty rate",
            "%",
            "lower_better",
            "011",
            "40",
            "20",
            "2024",
            "30",
        ],
    ],
    "metadata": [["key", "value"], ["province", "010"]],
}
"""A valid input: 3 units, 2 plan lines, 4 snapshots, 1 target. Row i of a table is CSV line i+1."""


@pytest.fixture
def valid_tables() -> dict[str, Rows | bytes]:
    """A fresh copy of the valid input: table name -> rows (header first) or raw bytes."""
    return {name: [list(r) for r in rows] for name, rows in _VALID.items()}


def csv_text(rows: Rows) -> str:
    """Rows as CSV text (``\\n`` line ends, minimal quoting)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


@pytest.fixture
def write_folder() -> Callable[[Path, dict[str, Rows | bytes]], Path]:
    """A function writing ``{table: rows or bytes}`` as ``<table>.csv`` files into a folder."""

    def write(folder: Path, tables: dict[str, Rows | bytes], *, bom: bool = False) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for name, content in tables.items():
            data = content if isinstance(content, bytes) else csv_text(content).encode()
            (folder / f"{name}.csv").write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
        return folder

    return write


@pytest.fixture(scope="session", autouse=True)
def demo_dataset_once():
    """Build and validate the DEMO dataset once per test process: ``open_dataset("demo")``
    then returns a fresh copy of it instead of generating and validating it again."""
    datasets.preload("demo", datasets.open_dataset("demo"))
    yield
