"""How fast is ``mtqg run``? Measured against fair baselines, in one run.

Prints, on this machine:

(b) a naive loop of the ``papermill`` CLI on as many lanes as ``--jobs`` (one kernel per
    notebook): the province's notebooks first (the other briefs read its results), then the
    other scopes spread over the lanes, each lane running its scopes' notebooks one after the
    other (assessment, lag, one brief per language);
(c) ``mtqg run --force`` (every step runs);
(d) ``mtqg run`` again with nothing changed (every step skipped);
(e) the in-process bound: the seconds the notebooks' own work took in the workers (the sum of
    the steps' times recorded in ``manifest.json``) divided by the jobs;
(f) the in-process floor, measured: one Python process per lane (``--jobs`` of them, imports
    done once per lane) executing the same notebooks' code cells with the same parameters,
    without kernels or papermill (province first, then the other scopes' assessment and lag,
    then every brief); c/f is what the runner's machinery costs over calling the same helpers;
(g) the formats' share (issue 14): the seconds per scope of the format steps (workbook and
    document per language, the annex pages; the PDFs with ``--pdf``), and the same for the
    whole run divided by the jobs: what the formats add to (c);
(g) the same in CPU seconds, re-run in-process on the run's outputs (imports excluded), per
    kind of scope and for all scopes divided by the jobs: a figure a shared machine's load
    barely moves;

then the seconds per scope and step by kind of scope (province, former districts, units
created on 1 July 2025, other units) and the load average (with the CPU seconds of (b), (c)
and (f): the machine may be shared), and the figures against the targets: c/b ≤ 0.6 on 2
cores, d ≤ 3 s, and for the full run (``--scope all``: 67 scopes of the shipped province in vi
and en) c ≤ 120 s (issue 12). (b), (c) and (f) all reuse the lag module's fitted-model cache
(``data/processed/lag``) when it exists, so they are compared on equal terms. The floor of
cold kernels (an imports-only notebook per execution) is no longer measured: the runner's
warm kernels avoid that cost by design, so it bounded nothing.

    .venv/bin/python benchmarks/batch.py --skip-naive     # all 67 scopes, both languages
    .venv/bin/python benchmarks/batch.py --jobs 2 --scope province districts  # the 11 of before
    .venv/bin/python benchmarks/batch.py --jobs 2 --scope province 042 --skip-naive
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat

from helpers.core.paths import NOTEBOOKS_DIR, REPO_ROOT
from helpers.run.fingerprint import code_sha256, notebook_sha256
from helpers.run.inputs import inspect_parameters, load_data, resolve_scopes, scope_sets
from helpers.run.options import LANG_CHOICES, LANGS, default_jobs
from helpers.run.plan import build_plan
from helpers.run.steps import ScopeInfo, default_steps

BIN = Path(sys.executable).parent
TARGETS = {"c/b": 0.6, "d": 3.0, "c": 120.0}
"""The targets; ``c`` applies to the full run (``--scope all``) only."""


def per_scope(out: Path, new_units: set[str]) -> tuple[float, dict[str, dict[str, float]]]:
    """The sum of the steps' seconds in ``out``'s manifest, and the mean seconds per step by
    kind of scope (``new_units``: the codes of the units created on 1 July 2025)."""
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    total = 0.0
    kinds: dict[str, dict[str, list[float]]] = {}
    for scope in manifest["scopes"].values():
        kind = {"province": "province", "district": "district"}.get(scope["level"], "other")
        if scope["code"] in new_units:
            kind = "new unit"
        for key, step in scope["steps"].items():
            seconds = float(step["last_run"]["seconds"])
            total += seconds
            kinds.setdefault(kind, {}).setdefault(key, []).append(seconds)
    return total, {
        kind: {key: sum(v) / len(v) for key, v in steps.items()} for kind, steps in kinds.items()
    }


FORMAT_STEPS = ("workbook", "document", "annex", "annex_brief", "pdf")


def formats_time(out: Path) -> tuple[float, dict[str, float]]:
    """The seconds the format steps took in ``out``'s last run: in all, and per scope (mean
    over the scopes of each kind: province, district, other)."""
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    total, per_kind = 0.0, {}
    for scope in manifest["scopes"].values():
        seconds = sum(
            float(step["last_run"]["seconds"])
            for key, step in scope["steps"].items()
            if key.split(".")[0] in FORMAT_STEPS
        )
        total += seconds
        kind = {"province": "province", "district": "district"}.get(scope["level"], "commune")
        per_kind.setdefault(kind, []).append(seconds)
    return total, {k: sum(v) / len(v) for k, v in per_kind.items()}


def formats_cpu(out: Path, new_units: set[str]) -> dict[str, float]:
    """CPU seconds of the format steps (without PDFs) of one scope of each kind, re-run here
    in-process on the run's outputs after a warm-up (imports excluded): a figure the load of a
    shared machine barely moves, unlike the steps' wall-clock seconds."""
    from helpers.steps import formats

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    picked: dict[str, str] = {}
    for slug, scope in manifest["scopes"].items():
        kind = {"province": "province", "district": "district"}.get(scope["level"], "other")
        kind = "new unit" if scope["code"] in new_units else kind
        picked.setdefault(kind, slug)
    tmp = Path(tempfile.mkdtemp(prefix="mtqg-bench-formats-"))

    def once(slug: str) -> None:
        base = out / slug
        for lang in LANGS:
            formats.workbook(lang, str(tmp), str(base / "assessment"), str(base / "lag"))
            formats.document(lang, str(tmp), str(base / "brief"))
            formats.annex_brief(lang, str(tmp), str(base / "brief"))
        formats.annex(str(tmp), str(base / "assessment"), str(base / "lag"))

    once(next(iter(picked.values())))  # imports and first-use costs
    cpu = {}
    for kind, slug in picked.items():
        t0 = time.process_time()
        once(slug)
        cpu[kind] = time.process_time() - t0
    return cpu


def _run(cmd: list[str], what: str) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        sys.exit(
            f"{what} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        )
    return seconds


def children_cpu() -> float:
    """CPU seconds (user + system) of the finished child processes so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def plan(scopes: list[str], lang: str) -> tuple[list[ScopeInfo], list[str], int, set[str]]:
    """The scopes, languages and number of notebook executions of ``mtqg run``, and the codes
    of the units created on 1 July 2025."""
    cache = Path(tempfile.mkdtemp(prefix="mtqg-bench-cache-"))
    info = load_data("demo", cache, code_sha256())
    chosen = resolve_scopes(info.dataset, scopes)
    province = resolve_scopes(info.dataset, [info.dataset.province_code])[0]
    langs = list(LANGS if lang == "both" else (lang,))
    notebooks = default_steps(formats=False)  # the floor counts notebook executions only
    declared = {
        s.name: {
            "parameters": list(inspect_parameters(s.notebook, notebook_sha256(s.notebook), {}))
        }
        for s in notebooks
    }
    nodes = build_plan(notebooks, chosen, province, langs, "demo", cache / "out", declared)
    new_units = set(scope_sets(info.dataset)["communes"])
    return [n.scope for n in nodes if n.spec.name == "assessment"], langs, len(nodes), new_units


NOTEBOOKS = {
    "assessment": "01_assessment.ipynb",
    "lag": "02_disbursement_lag.ipynb",
    "outlook": "04_outlook.ipynb",
    "brief": "03_brief.ipynb",
}
ANALYSIS_STEPS = 3
"""The per-scope runs before the briefs: assessment, lag, outlook."""


def scope_tasks(
    scope: ScopeInfo, langs: list[str], out: Path
) -> list[tuple[str, str, dict[str, str], bool]]:
    """The notebook runs of one scope: (step, notebook, parameters, scope given raw)."""
    base = out / scope.slug
    value = "province" if scope.is_province else scope.code
    raw = not scope.is_province
    tasks = [
        (
            "assessment",
            NOTEBOOKS["assessment"],
            {"scope": value, "out_dir": str(base / "assessment")},
            raw,
        ),
        ("lag", NOTEBOOKS["lag"], {"scope": value, "out_dir": str(base / "lag")}, raw),
        ("outlook", NOTEBOOKS["outlook"], {"scope": value, "out_dir": str(base / "outlook")}, raw),
    ]
    for lang in langs:
        params = {
            "scope": value,
            "lang": lang,
            "out_dir": str(base / "brief"),
            "assessment_dir": str(base / "assessment"),
            "lag_dir": str(base / "lag"),
            "outlook_dir": str(base / "outlook"),
            "province_assessment_dir": str(out / "province" / "assessment"),
        }
        tasks.append((f"brief.{lang}", NOTEBOOKS["brief"], params, raw))
    return tasks


def _papermill(task: tuple[str, str, dict[str, str], bool], out: Path, slug: str) -> float:
    step, notebook, params, raw = task
    base = out / slug
    base.mkdir(parents=True, exist_ok=True)
    cmd = [str(BIN / "papermill"), str(NOTEBOOKS_DIR / notebook), str(base / f"{step}.ipynb")]
    cmd.append("--no-progress-bar")
    for key, value in params.items():
        cmd += ["-r" if (key == "scope" and raw) else "-p", key, value]
    return _run(cmd, f"papermill {step} {slug}")


def naive_loop(scopes: list[ScopeInfo], langs: list[str], out: Path, jobs: int) -> float:
    """Seconds of a naive loop of the papermill CLI on ``jobs`` lanes, one kernel per notebook:
    the province first, then the other scopes dealt round-robin to the lanes."""
    province = next(s for s in scopes if s.is_province)
    others = [s for s in scopes if not s.is_province]
    t0 = time.perf_counter()
    for task in scope_tasks(province, langs, out):
        _papermill(task, out, province.slug)

    def lane(k: int) -> None:
        for scope in others[k::jobs]:
            for task in scope_tasks(scope, langs, out):
                _papermill(task, out, scope.slug)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(lane, range(jobs)))
    return time.perf_counter() - t0


# --------------------------------------------------------------------------- in-process floor
_CELLS: dict[str, list[tuple[str, bool]]] = {}


def _lane_start() -> None:
    """A lane process: the non-interactive figure backend, the helpers imported once."""
    os.environ["MPLBACKEND"] = "Agg"
    import matplotlib

    matplotlib.use("Agg")
    import helpers.analysis.lag  # noqa: F401
    import helpers.report.brief  # noqa: F401


def _cells(notebook: str) -> list[tuple[str, bool]]:
    """(source, is the parameters cell) of each code cell of a notebook (read once per lane)."""
    if notebook not in _CELLS:
        nb = nbformat.read(NOTEBOOKS_DIR / notebook, as_version=4)
        _CELLS[notebook] = [
            (c.source, "parameters" in c.metadata.get("tags", []))
            for c in nb.cells
            if c.cell_type == "code"
        ]
    return _CELLS[notebook]


def _execute(task: tuple[str, str, dict[str, str], bool]) -> tuple[float, float]:
    """Run a notebook's code cells in this process with the parameters set after the
    parameters cell (as papermill injects them); (wall, CPU) seconds."""
    import matplotlib.pyplot as plt
    from IPython.display import display

    _, notebook, params, _ = task
    wall, cpu = time.perf_counter(), time.process_time()
    ns: dict[str, object] = {"__name__": "__main__", "display": display}
    with contextlib.redirect_stdout(io.StringIO()):
        for source, is_parameters in _cells(notebook):
            exec(compile(source, notebook, "exec"), ns)  # noqa: S102 - our own notebooks
            if is_parameters:
                ns.update(params)
        plt.close("all")
    return time.perf_counter() - wall, time.process_time() - cpu


def in_process_floor(
    scopes: list[ScopeInfo], langs: list[str], out: Path, jobs: int
) -> tuple[float, float]:
    """Wall seconds and CPU seconds (all lanes) of ``jobs`` lane processes calling the same
    helpers through the notebooks' code, imports done once per lane."""
    province = next(s for s in scopes if s.is_province)
    others = [s for s in scopes if not s.is_province]
    by_scope = {s.slug: scope_tasks(s, langs, out) for s in scopes}
    for slug in by_scope:
        for step in ("assessment", "lag", "outlook", "brief"):
            (out / slug / step).mkdir(parents=True, exist_ok=True)
    phases = [
        by_scope[province.slug][:ANALYSIS_STEPS],
        [t for s in others for t in by_scope[s.slug][:ANALYSIS_STEPS]],
        [t for s in scopes for t in by_scope[s.slug][ANALYSIS_STEPS:]],
    ]
    ctx = multiprocessing.get_context("spawn")
    t0 = time.perf_counter()  # the lanes' start and imports count, as the kernels' do in (c)
    cpu = 0.0
    with ctx.Pool(jobs, initializer=_lane_start) as pool:
        for tasks in phases:
            cpu += sum(c for _, c in pool.map(_execute, tasks, chunksize=1))
        return time.perf_counter() - t0, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=default_jobs())
    parser.add_argument("--scope", nargs="+", default=["all"])
    parser.add_argument("--lang", choices=LANG_CHOICES, default="both")
    parser.add_argument(
        "--skip-naive",
        action="store_true",
        help="skip (b), the slowest measurement (c/b is then not printed)",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    parser.add_argument("--pdf", action="store_true", help="run (c) with --pdf (the PDFs too)")
    args = parser.parse_args(argv)

    scopes, langs, executions, new_units = plan(args.scope, args.lang)
    tmp = Path(tempfile.mkdtemp(prefix="mtqg-bench-"))
    print(
        f"{len(scopes)} scopes, languages {'+'.join(langs)}: {executions} notebook "
        f"executions; --jobs {args.jobs}; {os.cpu_count()} cores",
        flush=True,
    )

    b = b_cpu = None
    if not args.skip_naive:
        cpu0 = children_cpu()
        b = naive_loop(scopes, langs, tmp / "naive", args.jobs)
        b_cpu = children_cpu() - cpu0
        print(
            f"(b) naive papermill loop on {args.jobs} lanes: {b:.1f} s (CPU {b_cpu:.1f} s)",
            flush=True,
        )
    run = [
        str(BIN / "mtqg"),
        "run",
        "--data",
        "demo",
        "--scope",
        *args.scope,
        "--lang",
        args.lang,
        "--jobs",
        str(args.jobs),
        "--out",
        str(tmp / "batch"),
        *(["--pdf"] if args.pdf else []),
    ]
    load_before = os.getloadavg()
    cpu0 = children_cpu()
    c = _run([*run, "--force"], "mtqg run --force")
    c_cpu = children_cpu() - cpu0
    print(f"(c) mtqg run --force: {c:.1f} s (CPU {c_cpu:.1f} s)", flush=True)
    work, kinds = per_scope(tmp / "batch", new_units)
    e = work / args.jobs
    print(f"(e) in-process bound: {work:.1f} s of the steps' own work / {args.jobs} = {e:.1f} s")
    for kind, steps in kinds.items():
        cells = ", ".join(f"{key} {sec:.2f}" for key, sec in sorted(steps.items()))
        print(f"    per {kind} scope: {sum(steps.values()):.2f} s ({cells})")
    fmt_work, fmt_scope = formats_time(tmp / "batch")
    print(
        f"(g) formats added: {fmt_work:.1f} s of work / {args.jobs} = {fmt_work / args.jobs:.1f} s"
        " of (c); per scope: "
        + ", ".join(f"{kind} {sec:.2f} s" for kind, sec in fmt_scope.items()),
        flush=True,
    )
    cpu = formats_cpu(tmp / "batch", new_units)
    n_kind = {"province": 1, "district": 0, "new unit": 0, "other": 0}
    for sc in scopes:
        k = (
            "new unit"
            if sc.code in new_units
            else ("district" if sc.level == "district" else "other")
        )
        n_kind[k] = n_kind.get(k, 0) + (0 if sc.is_province else 1)
    added = sum(cpu.get(k, 0.0) * n for k, n in n_kind.items())
    print(
        "(g) formats, CPU per scope (in-process, imports excluded): "
        + ", ".join(f"{k} {v:.2f} s" for k, v in cpu.items())
        + f"; all scopes {added:.1f} s / {args.jobs} = {added / args.jobs:.1f} s added to (c)",
        flush=True,
    )
    d = _run(run, "mtqg run (nothing changed)")
    print(f"(d) mtqg run, nothing changed: {d:.2f} s", flush=True)
    f, f_cpu = in_process_floor(scopes, langs, tmp / "inproc", args.jobs)
    print(
        f"(f) in-process floor ({args.jobs} lane processes, same notebooks' code): {f:.1f} s "
        f"(CPU {f_cpu:.1f} s of the cells); c/f = {c / f:.2f}, CPU {c_cpu / f_cpu:.2f}",
        flush=True,
    )
    load_after = os.getloadavg()
    print(
        "load average (1, 5, 15 min) before (c): "
        + ", ".join(f"{x:.2f}" for x in load_before)
        + "; after (d): "
        + ", ".join(f"{x:.2f}" for x in load_after)
    )

    figures = {
        "scopes": len(scopes),
        "executions": executions,
        "jobs": args.jobs,
        "cores": os.cpu_count(),
        "b": None if b is None else round(b, 1),
        "b_cpu": None if b_cpu is None else round(b_cpu, 1),
        "c": round(c, 1),
        "c_cpu": round(c_cpu, 1),
        "d": round(d, 2),
        "e": round(e, 1),
        "f": round(f, 1),
        "f_cpu": round(f_cpu, 1),
        "c/b": None if b is None else round(c / b, 2),
        "c/e": round(c / e, 2),
        "c/f": round(c / f, 2),
        "per_scope": {k: {s: round(v, 2) for s, v in d_.items()} for k, d_ in kinds.items()},
        "formats_s": round(fmt_work, 1),
        "formats_per_scope": {k: round(v, 2) for k, v in fmt_scope.items()},
        "formats_cpu_per_scope": {k: round(v, 2) for k, v in cpu.items()},
        "formats_cpu_added_s": round(added / args.jobs, 1),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in load_after],
    }
    print()
    full = [str(x).lower() for x in args.scope] == ["all"] and args.lang == "both"
    for key, target in TARGETS.items():
        value = figures[key]
        if value is None or (key == "c" and not full):
            continue
        verdict = "ok" if value <= target else "MISSED"
        unit = " s" if key in ("c", "d") else ""
        print(f"{key:>4} = {value:.2f}{unit}  (target ≤ {target}{unit}: {verdict})")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":  # the batch starts worker processes with "spawn"
    sys.exit(main())
