"""The formats as steps of the batch: Python steps in the DAG, their own fingerprints.

Fast tests (no kernel): the plan of the format steps, a function step run as a worker runs
it (success, an error, a missing output), the per-step code hash (editing the brief's
template changes the brief's and not the models'), and the model notebooks importing none of
the code their hash leaves out.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.core.paths import NOTEBOOKS_DIR, PACKAGE_DIR
from helpers.run.fingerprint import code_files, code_sha256, ignored
from helpers.run.inputs import function_info
from helpers.run.plan import build_plan
from helpers.run.steps import (
    MODEL_CODE_IGNORE,
    ScopeInfo,
    default_steps,
    format_steps,
    pdf_step,
)
from helpers.run.workers import execute_task

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "brief"
PROVINCE = ScopeInfo(
    code="04", level="province", name_vi="Cao Bằng", name_en="Cao Bang", slug="province"
)
COMMON = ["data", "lang", "out_dir", "scope"]


def _declared() -> dict:
    out = {
        "assessment": {"parameters": COMMON},
        "lag": {"parameters": COMMON},
        "outlook": {"parameters": COMMON},
        "brief": {"parameters": [*COMMON, "assessment_dir", "lag_dir", "province_assessment_dir"]},
    }
    for spec in (*format_steps(), pdf_step()):
        out[spec.name] = function_info(spec)
    return out


def test_the_format_steps_declare_their_function_parameters():
    info = _declared()
    assert info["workbook"]["parameters"] == [
        "assessment_dir",
        "lag_dir",
        "lang",
        "out_dir",
        "outlook_dir",
    ]
    assert info["document"]["parameters"] == ["brief_dir", "lang", "out_dir"]
    assert info["annex"]["parameters"] == ["assessment_dir", "lag_dir", "out_dir", "outlook_dir"]
    assert info["workbook"]["path"] == "helpers.steps.formats:workbook"


def test_the_plan_runs_each_format_after_what_it_reads(tmp_path):
    steps = (*default_steps(Path("/nb")), pdf_step())
    nodes = build_plan(steps, [PROVINCE], PROVINCE, ("vi", "en"), "demo", tmp_path, _declared())
    ids = [n.id for n in nodes]
    # 5 notebook runs (assessment, lag, outlook, brief vi and en) + workbook, document,
    # annex_brief and pdf per language + one annex
    assert len(ids) == 5 + 4 * 2 + 1
    by_id = {n.id: n for n in nodes}
    wb = by_id["province/workbook.vi"]
    assert sorted(d.id for d, _ in wb.deps) == [
        "province/assessment", "province/lag", "province/outlook",
    ]  # fmt: skip
    assert wb.params == {
        "lang": "vi",
        "out_dir": str(tmp_path / "province" / "workbook"),
        "assessment_dir": str(tmp_path / "province" / "assessment"),
        "lag_dir": str(tmp_path / "province" / "lag"),
        "outlook_dir": str(tmp_path / "province" / "outlook"),
    }
    doc = by_id["province/document.en"]
    assert [d.id for d, _ in doc.deps] == ["province/brief.en"]
    annex, annex_brief = by_id["province/annex"], by_id["province/annex_brief.vi"]
    assert annex.out_dir == annex_brief.out_dir == tmp_path / "province" / "annex"
    assert all(up.notebooks for _, up in annex.deps)  # executed notebooks are its inputs
    for node in nodes:  # every node after its dependencies
        assert all(ids.index(d.id) < ids.index(node.id) for d, _ in node.deps)


def _task(tmp_path: Path, function: str, params: dict, required: list[str]) -> dict:
    return {
        "id": "province/x",
        "notebook": str(PACKAGE_DIR / "steps" / "formats.py"),
        "parameters": params,
        "staging_dir": str(tmp_path / "staging"),
        "final_dir": str(tmp_path / "final"),
        "executed_name": "formats.vi.ipynb",
        "lang": "vi",
        "required_outputs": required,
        "cwd": str(tmp_path),
        "function": function,
    }


def _results(root: Path) -> Path:
    for folder, name, src in (
        ("assessment", "metrics.json", "metrics_province.json"),
        ("lag", "lag.json", "lag_province.json"),
    ):
        (root / folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURES / src, root / folder / name)
    return root


def test_a_function_step_writes_into_its_staging_folder(tmp_path):
    root = _results(tmp_path / "out" / "province")
    params = {
        "lang": "vi",
        "out_dir": "ignored: the runner passes its staging folder",
        "assessment_dir": str(root / "assessment"),
        "lag_dir": str(root / "lag"),
    }
    task = _task(tmp_path, "helpers.steps.formats:workbook", params, ["tables.{lang}.xlsx"])
    result = execute_task(task)
    assert result["status"] == "ok", result
    assert (tmp_path / "staging" / "tables.vi.xlsx").is_file()
    assert not (tmp_path / "final").exists()  # the parent moves it into place


def test_a_failing_function_step_fails_alone_with_its_error(tmp_path):
    params = {
        "lang": "vi",
        "out_dir": "",
        "assessment_dir": str(tmp_path / "none"),
        "lag_dir": str(tmp_path / "none"),
    }
    result = execute_task(
        _task(tmp_path, "helpers.steps.formats:workbook", params, ["tables.{lang}.xlsx"])
    )
    assert result["status"] == "failed"
    error = result["error"]
    assert error["kind"] == "function"
    assert error["source"].startswith("helpers.steps.formats:workbook (")
    assert "metrics.json" in error["evalue"]


def test_a_function_step_that_writes_nothing_fails_with_the_missing_file(tmp_path):
    root = _results(tmp_path / "out" / "province")
    params = {
        "lang": "vi",
        "out_dir": "",
        "assessment_dir": str(root / "assessment"),
        "lag_dir": str(root / "lag"),
    }
    result = execute_task(
        _task(tmp_path, "helpers.steps.formats:workbook", params, ["other.{lang}.xlsx"])
    )
    assert result["status"] == "failed"
    assert result["error"]["ename"] == "MissingOutput"
    assert "other.vi.xlsx" in result["error"]["evalue"]


def _hashes(package: Path) -> dict[str, str]:
    files = code_files(package)
    specs = {s.name: s for s in (*default_steps(Path("/nb")), pdf_step())}
    return {name: code_sha256(ignore=s.code_ignore, files=files) for name, s in specs.items()}


def test_editing_the_brief_template_changes_the_brief_code_hash_not_the_models(tmp_path):
    package = tmp_path / "helpers"
    shutil.copytree(PACKAGE_DIR, package, ignore=shutil.ignore_patterns("__pycache__"))
    before = _hashes(package)
    css = package / "report" / "templates" / "brief.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n/* edited */\n", encoding="utf-8")
    section = package / "report" / "templates" / "sections" / "timing.html.j2"
    section.write_text(section.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    after = _hashes(package)
    changed = {name for name in before if before[name] != after[name]}
    # the brief re-runs (and the DOCX and PDF after it, through the brief's outputs); the
    # models, the workbook and the annex do not
    assert changed == {"brief"}
    po = package / "locale" / "vi" / "LC_MESSAGES" / "brief.po"
    po.write_text(po.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    # the brief's texts: the brief, and the workbook (which uses its words for a total and
    # a target's status)
    assert {n for n, h in _hashes(package).items() if h != after[n]} == {"brief", "workbook"}
    model = package / "analysis" / "lines.py"
    model.write_text(model.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    again = _hashes(package)
    assert {n for n in again if again[n] != after[n]} >= {"assessment", "lag", "brief"}


def _notebook_imports(name: str) -> list[str]:
    """The helpers modules a notebook imports (``from helpers.x import y``: ``helpers.x.y``
    too, which is a module or a name of ``helpers.x``)."""
    text = (NOTEBOOKS_DIR / name).read_text(encoding="utf-8")
    found = set(re.findall(r"^\s*import (helpers[\w.]*)", text, re.M))
    for module, names in re.findall(r"^\s*from (helpers[\w.]*) import ([\w, ]+)", text, re.M):
        found.add(module)
        found.update(f"{module}.{n.strip()}" for n in names.split(",") if n.strip())
    return sorted(found)


def test_the_model_notebooks_import_nothing_their_code_hash_leaves_out():
    modules = [
        m
        for nb in ("01_assessment.py", "02_disbursement_lag.py", "04_outlook.py")
        for m in _notebook_imports(nb)
    ]
    assert {"helpers.steps.assessment", "helpers.steps.lag", "helpers.steps.outlook"} <= set(
        modules
    )
    code = (
        "import json, sys\n"
        + "import importlib\n"
        + "".join(
            f"try:\n    importlib.import_module({m!r})\nexcept ImportError:\n    pass\n"
            for m in modules
        )
        + "print(json.dumps([getattr(m, '__file__', None) for m in list(sys.modules.values())]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    files = [Path(f) for f in json.loads(out.splitlines()[-1]) if f]
    mine = [
        f.resolve().relative_to(PACKAGE_DIR).as_posix()
        for f in files
        if f.resolve().is_relative_to(PACKAGE_DIR)
    ]
    assert "steps/assessment.py" in mine
    leaked = [rel for rel in mine if ignored(rel, MODEL_CODE_IGNORE)]
    assert not leaked, f"the models import code their fingerprint ignores: {leaked}"
    # and no text of the brief's catalog: the models' code names no "brief." message id
    for rel in mine:
        text = (PACKAGE_DIR / rel).read_text(encoding="utf-8")
        assert not re.search(r"[\"']brief\.\w", text), rel


@pytest.mark.parametrize(
    ("rel", "expected"),
    [
        ("report/templates/brief.css", True),
        ("report/templates", True),
        ("report/templatesX/a.css", False),
        ("locale/vi/LC_MESSAGES/brief.po", True),
        ("locale/vi/LC_MESSAGES/common.po", False),
    ],
)
def test_ignored_paths(rel, expected):
    assert ignored(rel, MODEL_CODE_IGNORE) is expected


def test_mtqg_run_takes_pdf_as_an_opt_in():
    import argparse

    from helpers.run.options import add_arguments, options_from_args

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert options_from_args(parser.parse_args([])).pdf is False
    assert options_from_args(parser.parse_args(["--pdf"])).pdf is True
    names = [s.name for s in default_steps()]
    assert "pdf" not in names  # the main job needs no browser
    assert {"workbook", "document", "annex", "annex_brief"} <= set(names)
