"""The project's own files: dependency lists agree, layout is as the README says."""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _normalise(spec: str) -> tuple[str, str]:
    spec = spec.replace(" ", "")
    m = re.match(r"^([A-Za-z0-9_.\-]+)(.*)$", spec)
    assert m, spec
    return m.group(1).lower().replace("_", "-"), m.group(2)


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(_normalise(s) for s in project["dependencies"])
    wanted.update(_normalise(s) for s in project["optional-dependencies"]["dev"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    got = dict(_normalise(d) for d in conda if not d.startswith(("python=", "pip")))
    # conda spells pins with the same operators as pip here
    assert got == wanted
    pip_section = next(d for d in env["dependencies"] if isinstance(d, dict))
    assert pip_section["pip"] == ["-e ."]
    assert "python=3.11" in conda
    assert "conda-forge" in env["channels"]


def test_required_top_level_layout_exists():
    for name in (
        "notebooks",
        "src/helpers",
        "data",
        "outputs",
        "environment.yml",
        "tests",
        "README.md",
        "pyproject.toml",
        "Makefile",
        ".ci/run",
        "benchmarks",
    ):
        assert (ROOT / name).exists(), name


def test_outputs_are_git_ignored():
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert "outputs/*" in ignored


def test_makefile_targets_create_the_venv_first():
    text = (ROOT / "Makefile").read_text()
    for target in ("run", "test", "lab"):
        line = next(ln for ln in text.splitlines() if ln.startswith(f"{target}:"))
        assert "$(STAMP)" in line, line
    assert "-m venv" in text and 'pip install --quiet -e ".[dev]"' in text


def test_make_lab_runs_as_root_and_takes_port_and_no_browser():
    res = subprocess.run(
        ["make", "-n", "--always-make", "lab", "PORT=9911", "NO_BROWSER=1", "STAMP="],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    line = next(x for x in res.stdout.splitlines() if "jupyter lab" in x)
    assert "--port=9911" in line and "--no-browser" in line
    assert ("--allow-root" in line) == (os.getuid() == 0)
