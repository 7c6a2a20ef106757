"""``mtqg run`` (helpers.run.batch): failure isolation, killed workers, skip logic, manifest, usage.

Most tests (marked slow) run the real runner (worker processes, warm Jupyter kernels,
papermill) on small fixture notebooks (tests/fixtures/notebooks, papermill's own test style)
through a step table of their own; the last one runs the real notebooks end to end. The
planning, fingerprint and skip logic have fast unit tests in test_run_plan.py.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest
from rich.console import Console

from helpers import cli
from helpers.core.errors import ParameterError
from helpers.core.provenance import git_commit
from helpers.run import batch
from helpers.run.fingerprint import code_sha256, notebook_sha256, sha256_file
from helpers.run.inputs import load_data
from helpers.run.manifest import MANIFEST_FORMAT
from helpers.run.options import STATE_DIR, RunOptions
from helpers.run.steps import StepContext, StepSpec, Upstream

pytestmark = pytest.mark.xdist_group("batch")  # one xdist worker: they start kernels

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"
ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------------------ helpers


def _common(ctx: StepContext, name: str, data: bool = True) -> dict:
    params = {"scope": ctx.scope, "lang": ctx.lang, "out_dir": str(ctx.out_dir), "name": name}
    if data:
        params["data"] = ctx.data
    return params


def fixture_steps(
    folder: Path = FIXTURES,
    *,
    assessment: str = "ok.ipynb",
    extra=lambda ctx: {},
    lag_reads_data: bool = True,
) -> tuple[StepSpec, ...]:
    """The batch's three steps, on fixture notebooks: assessment and lag write
    ``metrics.json`` / ``lag.json``; the brief reads them and writes ``brief.<lang>.html``."""
    return (
        StepSpec(
            "assessment",
            folder / assessment,
            lambda c: {**_common(c, "metrics"), **extra(c)},
            required_outputs=("metrics.json",),
        ),
        StepSpec(
            "lag",
            folder / "ok.ipynb",
            lambda c: _common(c, "lag", lag_reads_data),
            upstream=(Upstream("lag", "province", reads=False),),
            required_outputs=("lag.json",),
        ),
        StepSpec(
            "brief",
            folder / "brief.ipynb",
            lambda c: {"scope": c.scope, "lang": c.lang, "out_dir": str(c.out_dir)},
            per_lang=True,
            upstream=(
                Upstream("assessment", parameter="assessment_dir"),
                Upstream("lag", parameter="lag_dir"),
                Upstream("assessment", "province", parameter="province_assessment_dir"),
            ),
            required_outputs=("brief.{lang}.html",),
        ),
    )


@pytest.fixture(scope="session")
def dataset_cache(tmp_path_factory) -> Path:
    """The demo dataset validated once for the session (copied into each output folder's
    cache, so each test does not validate it again)."""
    cache = tmp_path_factory.mktemp("dataset-cache")
    load_data("demo", cache, code_sha256())
    return cache


@pytest.fixture
def run_batch(dataset_cache):
    """Run the batch in this process; returns (report, printed text)."""

    def run(out: Path, steps=None, **kw):
        cache = out / STATE_DIR / "cache"
        cache.mkdir(parents=True, exist_ok=True)
        for pickle in dataset_cache.glob("dataset-*.pickle"):
            shutil.copy2(pickle, cache / pickle.name)
        kw.setdefault("scopes", ["province", "042"])
        kw.setdefault("jobs", 2)
        kw.setdefault("warm_imports", ())
        buf = io.StringIO()
        report = batch.run_batch(
            RunOptions(out=out, **kw),
            fixture_steps() if steps is None else steps,
            console=Console(file=buf, width=200),
        )
        return report, buf.getvalue()

    return run


def _non_skipped(report) -> set[str]:
    return {k for k, v in report.states().items() if v != "skipped"}


def _all_steps(scopes=("province", "042")) -> set[str]:
    return {f"{s}/{k}" for s in scopes for k in ("assessment", "lag", "brief.vi", "brief.en")}


def _wait_for(path_glob: str, root: Path, timeout: float = 90) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        hits = list(root.glob(path_glob))
        if hits:
            return hits[0]
        time.sleep(0.05)
    raise AssertionError(f"{path_glob} did not appear under {root}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


# ------------------------------------------------------------------ failure isolation


@pytest.mark.slow
def test_a_failing_scope_does_not_stop_the_others(tmp_path, run_batch):
    out = tmp_path / "out"
    bad = fixture_steps(extra=lambda c: {"scope": "no-such-unit"} if c.slug == "042" else {})
    report, text = run_batch(out, bad, scopes=["province", "042", "043"])

    assert report.exit_code == 1
    states = report.states()
    assert states["042/assessment"] == "failed"
    assert states["042/brief.vi"] == states["042/brief.en"] == "blocked"
    assert states["042/lag"] == "ran"
    assert all(v == "ran" for k, v in states.items() if not k.startswith("042/"))
    # the summary names the cell (index, execution count, first source line) and the error
    assert (
        "FAILED 042/assessment: cell 3 (In [3]) `import hashlib`: "
        "ValueError: unknown scope 'no-such-unit'"
    ) in text
    assert "BLOCKED 042/brief.vi: Blocked: upstream 042/assessment failed" in text
    # one line per finished scope (not a terminal), then the closing table
    assert sum(line.startswith("[") and "/3] " in line for line in text.splitlines()) == 3
    assert "042 Bảo Lâm" in text and "FAILED" in text
    # the executed notebook is kept with the error; no output of the failed step
    kept = out / "042" / "assessment" / "ok.failed.ipynb"
    assert f"executed notebook kept: {kept}" in text
    nb = nbformat.read(kept, as_version=4)
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"
    ]
    assert errors and errors[0].ename == "ValueError"
    assert not (out / "042" / "assessment" / "metrics.json").exists()
    assert (out / "043" / "brief" / "brief.vi.html").exists()
    record = json.loads((out / "manifest.json").read_text())["scopes"]["042"]["steps"]
    assert record["assessment"]["last_run"]["error"]["cell_index"] == 3
    assert record["assessment"]["last_success"] is None

    # fixed: the rerun completes what is missing and nothing else
    report, _ = run_batch(out, scopes=["province", "042", "043"])
    assert report.exit_code == 0
    assert _non_skipped(report) == {"042/assessment", "042/brief.vi", "042/brief.en"}
    assert (out / "042" / "assessment" / "metrics.json").exists()
    assert not kept.exists()


@pytest.mark.slow
def test_cli_exit_code_is_1_when_a_step_fails(tmp_path, monkeypatch, dataset_cache, capsys):
    cache = tmp_path / "out" / STATE_DIR / "cache"
    cache.mkdir(parents=True)
    for pickle in dataset_cache.glob("dataset-*.pickle"):
        shutil.copy2(pickle, cache / pickle.name)
    monkeypatch.setattr(batch, "default_steps", lambda: fixture_steps(assessment="failing.ipynb"))
    monkeypatch.setattr(batch, "WARM_IMPORTS", ())
    code = cli.main(
        ["run", "--scope", "042", "--jobs", "1", "--lang", "en", "--out", str(tmp_path / "out")]
    )
    printed = capsys.readouterr().out
    assert code == 1
    assert (
        'FAILED 042/assessment: cell 4 (In [4]) `raise RuntimeError("boom in the third '
        'cell")`: RuntimeError: boom in the third cell'
    ) in printed
    assert "FAILED province/assessment" in printed  # pulled in as the ranking's upstream


# ----------------------------------------------------------------------- killed worker


def _held_run(tmp_path: Path, run_batch):
    """Start a run in a thread whose 042 assessment waits while ``hold`` exists; return
    ``(out, hold, steps, result, runner, pids)`` once that step's worker and kernel are known."""
    out = tmp_path / "out"
    hold = tmp_path / "hold"
    hold.touch()
    steps = fixture_steps(
        assessment="slow.ipynb", extra=lambda c: {"hold_file": str(hold) if c.slug == "042" else ""}
    )
    result: dict = {}
    runner = threading.Thread(
        target=lambda: result.update(zip(("report", "text"), run_batch(out, steps), strict=True))
    )
    runner.start()
    pids = json.loads(_wait_for(".mtqg/staging/*-042-assessment/pids.json", out).read_text())
    return out, hold, steps, result, runner, pids


@pytest.mark.slow
def test_a_killed_worker_leaves_no_partial_output_and_a_rerun_completes(tmp_path, run_batch):
    out, hold, steps, result, runner, pids = _held_run(tmp_path, run_batch)
    assert (out / STATE_DIR / "staging").exists()
    os.kill(pids["worker"], signal.SIGKILL)  # the worker process running 042/assessment
    first = pids["worker"]
    while pids["worker"] == first:  # the step is tried once more, on a new worker: kill it too
        with contextlib.suppress(OSError, ValueError):
            pids = json.loads(
                _wait_for(".mtqg/staging/*-042-assessment/pids.json", out).read_text()
            )
        time.sleep(0.05)
    os.kill(pids["worker"], signal.SIGKILL)
    runner.join(120)
    assert not runner.is_alive()

    report = result["report"]
    assert report.exit_code == 1
    states = report.states()
    assert states["042/assessment"] == "failed"
    assert states["042/brief.vi"] == states["042/brief.en"] == "blocked"
    assert all(states[f"province/{k}"] == "ran" for k in ("assessment", "lag", "brief.vi"))
    error = json.loads((out / "manifest.json").read_text())["scopes"]["042"]["steps"]["assessment"][
        "last_run"
    ]["error"]
    assert error["ename"] == "WorkerDied" and "SIGKILL" in error["evalue"]
    assert "SIGKILL" in result["text"]
    # nothing half-written reached the outputs; the staging folder is gone
    assert not (out / "042" / "assessment").exists()
    assert not list((out / STATE_DIR / "staging").glob("*"))
    for path in out.rglob("*"):
        if path.is_file() and STATE_DIR not in path.parts:
            assert b'{"partial": ' not in path.read_bytes()[:20], path
    deadline = time.monotonic() + 10  # the orphaned kernel is gone too
    while _alive(pids["kernel"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pids["kernel"])

    hold.unlink()
    report, _ = run_batch(out, steps)
    assert report.exit_code == 0
    assert _non_skipped(report) == {"042/assessment", "042/brief.vi", "042/brief.en"}
    assert json.loads((out / "042" / "assessment" / "metrics.json").read_text())["scope"] == "042"


@pytest.mark.slow
def test_a_killed_kernel_fails_its_step_and_the_worker_carries_on(tmp_path, run_batch):
    out = tmp_path / "out"
    hold = tmp_path / "hold"
    hold.touch()
    steps = fixture_steps(
        assessment="slow.ipynb", extra=lambda c: {"hold_file": str(hold) if c.is_province else ""}
    )
    result = {}
    runner = threading.Thread(
        target=lambda: result.update(
            zip(("report", "text"), run_batch(out, steps, jobs=1), strict=True)
        )
    )
    runner.start()
    pids = json.loads(_wait_for(".mtqg/staging/*-province-assessment/pids.json", out).read_text())
    os.kill(pids["kernel"], signal.SIGKILL)
    runner.join(120)
    report = result["report"]
    states = report.states()
    assert states["province/assessment"] == "failed"
    assert states["042/assessment"] == states["042/lag"] == "ran"  # on a restarted kernel
    assert states["042/brief.vi"] == "blocked"  # needs the province assessment (ranking)
    assert "DeadKernelError" in result["text"]
    kept = out / "province" / "assessment" / "slow.failed.ipynb"  # the partial notebook
    assert f"executed notebook kept: {kept}" in result["text"]
    nb = nbformat.read(kept, as_version=4)
    assert nb.cells[2].execution_count == 2  # the cell that ran before the kernel was killed


@pytest.mark.slow
def test_a_dead_worker_s_step_is_tried_once_more(tmp_path, run_batch):
    out, hold, steps, result, runner, pids = _held_run(tmp_path, run_batch)
    hold.unlink()  # the second try does not wait
    os.kill(pids["worker"], signal.SIGKILL)
    runner.join(120)
    report = result["report"]
    assert report.exit_code == 0
    assert set(report.states().values()) == {"ran"}
    reason = json.loads((out / "manifest.json").read_text())["scopes"]["042"]["steps"][
        "assessment"
    ]["last_run"]["reason"]
    assert reason == "no earlier successful run; again after its worker stopped (SIGKILL)"


def _plot_notebook(folder: Path) -> Path:
    """A step that draws a figure without ``plt.show()``, as the workbench's notebooks do:
    the inline backend shows it when the cell ends."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    params = 'data = "demo"\nscope = "province"\nlang = "vi"\nout_dir = "out"'
    nb.cells = [
        nbformat.v4.new_code_cell(params, metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(
            "import json, pathlib\nimport matplotlib.pyplot as plt\n"
            "fig, ax = plt.subplots()\nax.plot([1, 2, 3])\n"
            "pathlib.Path(out_dir).mkdir(parents=True, exist_ok=True)\n"
            '(pathlib.Path(out_dir) / "metrics.json").write_text(json.dumps({"scope": scope}))'
        ),
    ]
    path = folder / "plot.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
def test_every_notebook_a_warm_kernel_runs_keeps_its_figures(tmp_path, run_batch):
    steps = (
        StepSpec(
            "assessment",
            _plot_notebook(tmp_path),
            lambda c: {k: v for k, v in _common(c, "metrics").items() if k != "name"},
            required_outputs=("metrics.json",),
        ),
    )
    out = tmp_path / "out"
    report, _ = run_batch(
        out, steps, scopes=["province", "042", "043"], jobs=1, warm_imports=("matplotlib.pyplot",)
    )
    assert report.exit_code == 0
    for slug in ("province", "042", "043"):
        nb = nbformat.read(out / slug / "assessment" / "plot.ipynb", as_version=4)
        images = [o for o in nb.cells[-1].outputs if "image/png" in o.get("data", {})]
        assert len(images) == 1, slug


@pytest.mark.slow
def test_a_step_whose_folder_cannot_be_written_fails_alone(tmp_path, run_batch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "042").write_text("a file where the scope's folder goes")
    report, text = run_batch(out, scopes=["province", "042", "043"])
    states = report.states()
    assert report.exit_code == 1
    assert states["042/assessment"] == states["042/lag"] == "failed"
    assert states["042/brief.vi"] == states["042/brief.en"] == "blocked"
    assert all(v == "ran" for k, v in states.items() if not k.startswith("042/"))
    assert (
        f"FAILED 042/assessment: NotADirectoryError: its outputs could not be written into {out / '042' / 'assessment'}"
        in text
    )
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["run"]["status"] == "failed" and manifest["run"]["finished"]
    assert manifest["run"]["counts"] == {"ran": 8, "failed": 2, "blocked": 2}
    assert (out / "043" / "brief" / "brief.vi.html").exists()


@pytest.mark.slow
def test_killing_the_run_itself_stops_its_workers_and_kernels(tmp_path, dataset_cache):
    out = tmp_path / "out"
    cache = out / STATE_DIR / "cache"
    cache.mkdir(parents=True)
    for pickle in dataset_cache.glob("dataset-*.pickle"):
        shutil.copy2(pickle, cache / pickle.name)
    hold = tmp_path / "hold"
    hold.touch()
    driver = (
        f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from pathlib import Path\nfrom helpers.run import batch\n"
        "from test_batch import fixture_steps\n"
        f"steps = fixture_steps(assessment='slow.ipynb', extra=lambda c: {{'hold_file': "
        f"{str(hold)!r}}})\n"
        f"batch.run_batch(batch.RunOptions(out=Path({str(out)!r}), scopes=['province'], "
        "jobs=1, warm_imports=()), steps)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", driver],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        pids = json.loads(
            _wait_for(".mtqg/staging/*-province-assessment/pids.json", out).read_text()
        )
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 15
    while (_alive(pids["worker"]) or _alive(pids["kernel"])) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pids["worker"]) and not _alive(pids["kernel"])
    assert not (out / "province" / "assessment" / "metrics.json").exists()


# -------------------------------------------------------------------------- skip logic


@pytest.mark.slow
def test_nothing_changed_skips_every_step_without_starting_a_worker(tmp_path, run_batch):
    out = tmp_path / "out"
    report, _ = run_batch(out)
    assert report.exit_code == 0 and set(report.states().values()) == {"ran"}

    report, text = run_batch(out)
    assert report.exit_code == 0
    assert set(report.states().values()) == {"skipped"}
    assert report.seconds < 3
    assert not list((out / STATE_DIR / "logs").glob("worker-*.log"))  # no worker
    assert "skipped" in text

    report, _ = run_batch(out, force=True)
    assert set(report.states().values()) == {"ran"}


@pytest.mark.slow
def test_editing_the_brief_notebook_reruns_only_the_briefs(tmp_path, run_batch):
    folder = tmp_path / "notebooks"
    shutil.copytree(FIXTURES, folder)
    out = tmp_path / "out"
    run_batch(out, fixture_steps(folder))

    # opening and saving without an edit (metadata, outputs) changes nothing
    nb = nbformat.read(folder / "brief.ipynb", as_version=4)
    nb.metadata["widgets"] = {"state": {}}
    nbformat.write(nb, folder / "brief.ipynb")
    report, _ = run_batch(out, fixture_steps(folder))
    assert _non_skipped(report) == set()

    nb.cells.append(nbformat.v4.new_code_cell('print("edited")'))
    nbformat.write(nb, folder / "brief.ipynb")
    report, _ = run_batch(out, fixture_steps(folder))
    assert _non_skipped(report) == {
        "province/brief.vi",
        "province/brief.en",
        "042/brief.vi",
        "042/brief.en",
    }
    record = json.loads((out / "manifest.json").read_text())
    assert record["scopes"]["042"]["steps"]["brief.en"]["last_run"]["reason"] == (
        "notebook changed"
    )


@pytest.mark.slow
def test_an_upstream_rerun_with_identical_results_does_not_rerun_its_readers(tmp_path, run_batch):
    folder = tmp_path / "notebooks"
    shutil.copytree(FIXTURES, folder)
    out = tmp_path / "out"
    run_batch(out, fixture_steps(folder))
    nb = nbformat.read(folder / "ok.ipynb", as_version=4)  # the assessment and lag notebook
    nb.cells.append(nbformat.v4.new_markdown_cell("A new explanation, same results."))
    nbformat.write(nb, folder / "ok.ipynb")
    report, _ = run_batch(out, fixture_steps(folder))
    assert _non_skipped(report) == {
        "province/assessment",
        "province/lag",
        "042/assessment",
        "042/lag",
    }  # the briefs read the same JSON: skipped


@pytest.mark.slow
def test_a_changed_data_value_reruns_the_steps_that_read_it(tmp_path, run_batch):
    from helpers.data import demo

    data = tmp_path / "data"
    demo.write_demo(data, seed=1719)
    out = tmp_path / "out"
    steps = fixture_steps(lag_reads_data=False)  # here the lag step gets no data parameter
    report, _ = run_batch(out, steps, data=str(data))
    assert report.exit_code == 0

    path = data / "allocations.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    head = lines[0].rstrip("\n").split(",")
    row = lines[1].rstrip("\n").split(",")
    i = head.index("amount_mvnd")
    row[i] = str(float(row[i]) + 1.0)  # one district sends a corrected amount
    lines[1] = ",".join(row) + "\n"
    path.write_text("".join(lines), encoding="utf-8")

    report, _ = run_batch(out, steps, data=str(data))
    assert report.exit_code == 0
    states = report.states()
    assert {k for k, v in states.items() if v == "ran"} == {
        "province/assessment",
        "042/assessment",
        "province/brief.vi",
        "province/brief.en",
        "042/brief.vi",
        "042/brief.en",
    }
    assert states["province/lag"] == states["042/lag"] == "skipped"  # reads no data
    steps_rec = json.loads((out / "manifest.json").read_text())["scopes"]["042"]["steps"]
    assert steps_rec["assessment"]["last_run"]["reason"] == "data changed"
    assert "042/assessment changed" in steps_rec["brief.vi"]["last_run"]["reason"]


# ----------------------------------------------------------------------------- manifest


@pytest.mark.slow
def test_the_manifest_records_inputs_parameters_versions_times_status_outputs(tmp_path, run_batch):
    out = tmp_path / "out"
    report, _ = run_batch(out, scopes=["042"], lang="vi", jobs=1)
    m = json.loads((out / "manifest.json").read_text())
    assert m["format"] == MANIFEST_FORMAT
    run = m["run"]
    assert run["status"] == "ok" and run["started"] <= run["finished"]
    assert run["arguments"]["scopes"] == ["042"] and run["arguments"]["jobs"] == 1
    assert run["counts"] == {"ran": 4}  # 042: assessment, lag, brief.vi; province assessment
    env = m["environment"]
    for package in ("pandas", "statsmodels", "papermill", "matplotlib", "numpy"):
        assert env["packages"][package]
    assert env["python"] == sys.version.split()[0]
    assert env["git_commit"] == git_commit()
    assert m["data"]["argument"] == "demo" and m["data"]["demo"] is True
    assert len(m["data"]["sha256"]) == 64
    assert m["notebooks"]["assessment"]["parameters"] == [
        "data",
        "lang",
        "name",
        "out_dir",
        "scope",
        "upstream_dir",
    ]

    # the district's brief, and the province assessment it needs (the ranking)
    assert set(m["scopes"]) == {"042", "province"}
    assert set(m["scopes"]["province"]["steps"]) == {"assessment"}
    scope = m["scopes"]["042"]
    assert scope["code"] == "042" and scope["name_vi"] == "Bảo Lâm"
    assert scope["last_run"]["status"] == "ok" and scope["last_run"]["steps"] == "ran 3"
    assert scope["last_run"]["seconds"] > 0
    step = scope["steps"]["brief.vi"]
    assert step["parameters"]["assessment_dir"] == str(out / "042" / "assessment")
    assert step["parameters"]["province_assessment_dir"] == str(out / "province" / "assessment")
    inputs = step["inputs"]
    assert inputs["notebook_sha256"] == notebook_sha256(FIXTURES / "brief.ipynb")
    assert inputs["code_sha256"] == env["code_sha256"]
    assert inputs["data_sha256"] is None  # the brief fixture gets no data parameter
    assert set(inputs["upstream"]) == {"042/assessment", "042/lag", "province/assessment"}
    assert scope["steps"]["assessment"]["inputs"]["data_sha256"] == m["data"]["sha256"]
    assert inputs["parameters"]["out_dir"] == "<out>/042/brief"
    last_run, success = step["last_run"], step["last_success"]
    assert last_run["status"] == "ran" and last_run["started"] and last_run["finished"]
    assert last_run["seconds"] > 0 and last_run["error"] is None
    assert success["fingerprint"] == step["fingerprint"]
    assert success["git_commit"] == env["git_commit"]
    assert success["packages"]["papermill"] == env["packages"]["papermill"]
    assert set(success["outputs"]) == {"042/brief/brief.vi.html", "042/brief/brief.vi.ipynb"}
    for rel, rec in success["outputs"].items():
        assert rec["sha256"] == sha256_file(out / rel)
    # the kept notebook shows where its outputs are (not the staging folder) and was run in a
    # clean kernel namespace (execution counts from 1)
    nb = nbformat.read(out / "042" / "brief" / "brief.vi.ipynb", as_version=4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert f'out_dir = "{out / "042" / "brief"}"' in injected.source
    assert STATE_DIR not in injected.source
    assert [c.execution_count for c in nb.cells if c.cell_type == "code"] == [1, 2, 3, 4]
    html = (out / "042" / "brief" / "brief.vi.html").read_text()  # names its out_dir
    assert str(out / "042" / "brief") in html and STATE_DIR not in html
    assert (out / "index.html").exists()


def test_notebook_hash_ignores_outputs_and_metadata(tmp_path):
    nb = nbformat.read(FIXTURES / "ok.ipynb", as_version=4)
    before = notebook_sha256(FIXTURES / "ok.ipynb")
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", text="x")]
    nb.cells[2].execution_count = 7
    nb.metadata["language_info"] = {"name": "python", "version": "3.11"}
    nbformat.write(nb, tmp_path / "nb.ipynb")
    assert notebook_sha256(tmp_path / "nb.ipynb") == before
    nb.cells[2].source += "\n# changed"
    nbformat.write(nb, tmp_path / "nb.ipynb")
    assert notebook_sha256(tmp_path / "nb.ipynb") != before


# ------------------------------------------------------------------- usage errors: exit 2


@pytest.fixture
def cli_run(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(batch, "default_steps", fixture_steps)

    def run(*argv: str) -> tuple[int, str]:
        try:
            code = cli.main(["run", "--out", str(tmp_path / "out"), *argv])
        except SystemExit as exc:  # argparse
            code = exc.code
        return code, capsys.readouterr().err

    return run


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--scope", "province", "Nowhere"], "scope: unknown unit 'Nowhere'"),
        (["--data", "no/such/folder"], "--data: 'no/such/folder' does not exist"),
        (["--jobs", "0"], "argument --jobs/-j: expected a whole number ≥ 1; got 0"),
        (["--lang", "fr"], "argument --lang: invalid choice: 'fr'"),
    ],
    ids=["unknown-scope", "missing-data", "jobs-0", "bad-lang"],
)
def test_bad_arguments_exit_2_before_any_work(cli_run, tmp_path, argv, message):
    code, err = cli_run(*argv)
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    out = tmp_path / "out"
    assert not (out / "manifest.json").exists()
    assert not list(out.glob("*/assessment"))
    assert not list((out / STATE_DIR).glob("logs/worker-*"))  # no worker started


def test_jobs_below_one_is_refused_by_the_api_too(tmp_path):
    with pytest.raises(ParameterError, match="--jobs"):
        batch.run_batch(RunOptions(out=tmp_path, jobs=0), fixture_steps())


def test_a_parameter_the_notebook_does_not_declare_is_refused(tmp_path, run_batch):
    steps = fixture_steps(extra=lambda c: {"colour": "red"})
    with pytest.raises(
        ParameterError,
        match=r"ok\.ipynb does not declare the parameter\(s\) "
        r"colour",
    ):
        run_batch(tmp_path / "out", steps)
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_a_missing_notebook_is_refused(tmp_path, run_batch):
    steps = fixture_steps(assessment="nope.ipynb")
    with pytest.raises(ParameterError, match="nope.ipynb does not exist"):
        run_batch(tmp_path / "out", steps)


# -------------------------------------------------------------- the real notebooks (slow)


@pytest.mark.slow
def test_mtqg_run_on_the_demo_data_end_to_end(tmp_path):
    out = tmp_path / "out"
    cmd = [
        str(ROOT / ".venv" / "bin" / "mtqg"),
        "run",
        "--data",
        "demo",
        "--scope",
        "province",
        "042",
        "--jobs",
        "2",
        "--out",
        str(out),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    for slug in ("province", "042"):
        assert json.loads((out / slug / "assessment" / "metrics.json").read_text())
        assert json.loads((out / slug / "lag" / "lag.json").read_text())
        for lang in ("vi", "en"):
            html = (out / slug / "brief" / f"brief.{lang}.html").read_text(encoding="utf-8")
            assert "DEMO" in html and "<script src=" not in html
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "042/brief/brief.vi.html" in index and "province/brief/brief.en.html" in index
    m = json.loads((out / "manifest.json").read_text())
    # per scope: 5 notebook runs (assessment, lag, outlook, brief vi and en) and 7 format
    # steps (workbook and document per language, the annex, the brief's annex per language)
    assert m["run"]["status"] == "ok" and m["run"]["counts"] == {"ran": 24}
    for lang in ("vi", "en"):
        assert (out / "042" / "workbook" / f"tables.{lang}.xlsx").is_file()
        assert (out / "042" / "document" / f"brief.{lang}.docx").is_file()
    assert "[2/2]" in done.stdout and "Bảo Lâm" in done.stdout

    t0 = time.perf_counter()
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    seconds = time.perf_counter() - t0
    assert again.returncode == 0, again.stdout + again.stderr
    m = json.loads((out / "manifest.json").read_text())
    assert m["run"]["counts"] == {"skipped": 24}
    assert seconds < 10, f"a run with nothing to do took {seconds:.1f} s"
