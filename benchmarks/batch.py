"""How fast is ``mtqg run``? Measured against a floor and a naive loop, in one run.

Prints, on this machine:

(a) the floor: one papermill CLI run of a notebook that only imports pandas, matplotlib,
    seaborn and statsmodels (kernel start + imports, no work), times the number of notebook
    executions the batch needs, divided by the jobs;
(b) a naive serial loop of the ``papermill`` CLI over the same notebooks and scopes (province
    first, then each other scope: assessment, lag, one brief per language);
(c) ``mtqg run --force`` (every step runs);
(d) ``mtqg run`` again with nothing changed (every step skipped);
(e) the in-process bound: the seconds the notebooks' own work took in the workers (the sum of
    the steps' times recorded in ``manifest.json``) divided by the jobs, what lanes calling the
    same helpers in-process would need at best; c/e is the runner's overhead factor;
(f) the formats' share (issue 14): the seconds per scope of the format steps (workbook and
    document per language, the annex pages; the PDFs with ``--pdf``), and the same for the
    whole run divided by the jobs: what the formats add to (c);
(g) the same in CPU seconds, re-run in-process on the run's outputs (imports excluded), per
    kind of scope and for all scopes divided by the jobs: a figure a shared machine's load
    barely moves;

then the seconds per scope and step by kind of scope (province, former districts, units
created on 1 July 2025, other units) and the load average, and the figures against the
targets: c/b ≤ 0.6 on 2 cores, c/a ≤ 1.3 (issue 6), d ≤ 3 s, and for the full run
(``--scope all``: 67 scopes of the shipped province in vi and en) c ≤ 120 s (issue 12). (b)
and (c) both reuse the lag module's fitted-model cache (``data/processed/lag``) when it
exists, so they are compared on equal terms. The machine may be shared: the load average
printed before and after says how much.

    .venv/bin/python benchmarks/batch.py --skip-naive     # all 67 scopes, both languages
    .venv/bin/python benchmarks/batch.py --jobs 2 --scope province districts  # the 11 of before
    .venv/bin/python benchmarks/batch.py --jobs 2 --scope province 042 --skip-naive
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from helpers.core.paths import NOTEBOOKS_DIR, REPO_ROOT
from helpers.run.fingerprint import code_sha256, notebook_sha256
from helpers.run.inputs import inspect_parameters, load_data, resolve_scopes, scope_sets
from helpers.run.options import LANG_CHOICES, LANGS, default_jobs
from helpers.run.plan import build_plan
from helpers.run.steps import ScopeInfo, default_steps

BIN = Path(sys.executable).parent
TARGETS = {"c/b": 0.6, "c/a": 1.3, "d": 3.0, "c": 120.0}
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


def floor_run(tmp: Path) -> float:
    """Seconds of one papermill CLI run of an imports-only notebook (best of two)."""
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("x: int = 1  # unused", metadata={"tags": ["parameters"]}),
            nbformat.v4.new_code_cell("import pandas, matplotlib.pyplot, seaborn, statsmodels.api"),
        ]
    )
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp / "imports.ipynb"
    nbformat.write(nb, path)
    cmd = [str(BIN / "papermill"), str(path), str(tmp / "imports.out.ipynb"), "--no-progress-bar"]
    return min(_run(cmd, "papermill (floor)") for _ in range(2))


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


def naive_loop(scopes: list[ScopeInfo], langs: list[str], out: Path) -> float:
    """Seconds of a serial loop of the papermill CLI, one kernel per notebook."""
    pm = str(BIN / "papermill")
    province = next(s for s in scopes if s.is_province)
    t0 = time.perf_counter()
    for scope in [province] + [s for s in scopes if not s.is_province]:
        base = out / scope.slug
        base.mkdir(parents=True, exist_ok=True)
        flag = ["-p", "scope", "province"] if scope.is_province else ["-r", "scope", scope.code]
        common = ["--no-progress-bar", *flag]
        _run(
            [
                pm,
                str(NOTEBOOKS_DIR / "01_assessment.ipynb"),
                str(base / "a.ipynb"),
                *common,
                "-p",
                "out_dir",
                str(base / "assessment"),
            ],
            f"papermill assessment {scope.slug}",
        )
        _run(
            [
                pm,
                str(NOTEBOOKS_DIR / "02_disbursement_lag.ipynb"),
                str(base / "l.ipynb"),
                *common,
                "-p",
                "out_dir",
                str(base / "lag"),
            ],
            f"papermill lag {scope.slug}",
        )
        for lang in langs:
            _run(
                [
                    pm,
                    str(NOTEBOOKS_DIR / "03_brief.ipynb"),
                    str(base / f"b.{lang}.ipynb"),
                    *common,
                    "-p",
                    "lang",
                    lang,
                    "-p",
                    "out_dir",
                    str(base / "brief"),
                    "-p",
                    "assessment_dir",
                    str(base / "assessment"),
                    "-p",
                    "lag_dir",
                    str(base / "lag"),
                    "-p",
                    "province_assessment_dir",
                    str(out / "province" / "assessment"),
                ],
                f"papermill brief {scope.slug} {lang}",
            )
    return time.perf_counter() - t0


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

    one = floor_run(tmp)
    a = one * executions / args.jobs
    print(
        f"(a) floor: {one:.2f} s per imports-only papermill run x {executions} / "
        f"{args.jobs} = {a:.1f} s",
        flush=True,
    )
    b = None
    if not args.skip_naive:
        b = naive_loop(scopes, langs, tmp / "naive")
        print(f"(b) naive serial papermill loop: {b:.1f} s", flush=True)
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
    c = _run([*run, "--force"], "mtqg run --force")
    print(f"(c) mtqg run --force: {c:.1f} s", flush=True)
    work, kinds = per_scope(tmp / "batch", new_units)
    e = work / args.jobs
    print(f"(e) in-process bound: {work:.1f} s of the steps' own work / {args.jobs} = {e:.1f} s")
    for kind, steps in kinds.items():
        cells = ", ".join(f"{key} {sec:.2f}" for key, sec in sorted(steps.items()))
        print(f"    per {kind} scope: {sum(steps.values()):.2f} s ({cells})")
    fmt_work, fmt_scope = formats_time(tmp / "batch")
    print(
        f"(f) formats added: {fmt_work:.1f} s of work / {args.jobs} = {fmt_work / args.jobs:.1f} s"
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
        "floor_one_run_s": round(one, 2),
        "a": round(a, 1),
        "b": None if b is None else round(b, 1),
        "c": round(c, 1),
        "d": round(d, 2),
        "e": round(e, 1),
        "c/a": round(c / a, 2),
        "c/b": None if b is None else round(c / b, 2),
        "c/e": round(c / e, 2),
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
