"""``mtqg run``: the notebooks for every scope, in parallel, incrementally, fault-isolated.

This module ties the runner together: :func:`run_batch` checks everything, takes the output
folder's lock, runs the plan and writes ``index.html`` and ``manifest.json``; :func:`main` is
the command. The design (steps and their DAG, parallelism, atomic outputs, incremental runs,
the manifest, exit codes) is described in ``docs/batch.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import shlex
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from rich.console import Console

from helpers.core.errors import message, parameter_error
from helpers.core.formatting import number
from helpers.core.text import tr
from helpers.run.index import INDEX_NAME, scope_geography, write_index
from helpers.run.inputs import DataInfo
from helpers.run.kernel import WARM_IMPORTS
from helpers.run.manifest import MANIFEST_FORMAT, MANIFEST_NAME, Manifest, ManifestModel
from helpers.run.options import RunOptions, add_arguments, options_from_args
from helpers.run.plan import assign_priorities
from helpers.run.reporter import Reporter, RunReport, state_word
from helpers.run.scheduler import Run, Scheduler, clean_state, remove_results
from helpers.run.steps import StepSpec, default_steps, pdf_step

__all__ = ["RunOptions", "RunReport", "add_arguments", "main", "run_batch"]
"""The names :mod:`helpers.cli` and the tests use (``add_arguments`` is re-exported for the CLI)."""


def main(args: argparse.Namespace) -> int:
    """``mtqg run``: returns 0 (all steps done or up to date), 1 (a step failed)."""
    report = run_batch(options_from_args(args))
    return report.exit_code


def run_batch(
    opts: RunOptions, steps: Sequence[StepSpec] | None = None, *, console: Any = None
) -> RunReport:
    """Check everything, then run the steps; returns a report.

    Raises:
        ParameterError, InputError: a usage error, detected before any work (exit code 2).
    """
    console = console or _make_console()
    lang = opts.message_lang
    if steps is None:
        steps = default_steps()
        if opts.pdf:
            steps = (*steps, pdf_step())
    run = Run(opts, steps, console)
    run.check_out()  # a read-only, uncreatable or templated --out: exit 2, nothing written
    with _run_lock(run.state_dir, lang):  # a refused run touches nothing of the running one
        run.prepare()  # every check that can fail on user input, before any work
        if opts.dry_run:
            return _dry_run(run)
        clean_state(run.state_dir)
        manifest = Manifest(run.out / MANIFEST_NAME)
        if run.replaced:
            replacing = tr("run.replacing", lang, dataset=run.replaced, out=run.out)
            print(replacing, file=console.file)
            remove_results(manifest, run.out)
        assign_priorities(run.nodes, manifest)
        if run.data.warnings:
            print(warnings_line(run.data, opts.data, lang), file=console.file)
        report = RunReport(run.nodes, run.scopes, run.out, manifest.path, None, 0.0)
        warm = WARM_IMPORTS if opts.warm_imports is None else opts.warm_imports
        restore = _terminate_as_interrupt()
        try:
            with Reporter(run.nodes, run.out, console, lang) as reporter:
                scheduler = Scheduler(run, manifest, reporter, warm)
                scheduler.execute()
        except KeyboardInterrupt:
            report.interrupted = True
            _save_quietly(run, manifest, "interrupted")
            raise
        except BaseException:
            _save_quietly(run, manifest, "failed")
            raise
        finally:
            restore()
        report.errors.extend(scheduler.errors)
        try:
            report.index_path = write_index(
                manifest,
                run.out,
                opts.langs,
                run.code_hash,
                data_sha256=run.data.sha256,
                slugs={s.slug for s in run.all_scopes},
                current=run.current_steps(manifest),
                geography=scope_geography(run.data.dataset),
            )
        except OSError as exc:
            report.errors.append(
                message("run.could_not_write", path=run.out / INDEX_NAME, error=exc)
            )
        run.manifest_header(manifest, "failed" if report.failed or report.errors else "ok")
        try:
            manifest.save()
        except OSError as exc:
            report.errors.append(message("run.could_not_write", path=manifest.path, error=exc))
        report.seconds = time.perf_counter() - run.t0
        reporter.summary(report)
    return report


def _save_quietly(run: Run, manifest: Manifest, status: str) -> None:
    """Record how a run ended that did not finish normally (a write error is not added to
    the error that ended it)."""
    run.manifest_header(manifest, status)
    with contextlib.suppress(OSError):
        manifest.save()


def warnings_line(data: DataInfo, argument: str, lang: str = "en") -> str:
    """One line on the input's warnings: how many, and the command that lists them.

    (Lines decided after their district was abolished by the 1 July 2025 reform were once a
    known case of warnings; they are errors of the data check now.)
    """
    see = tr("run.warnings_see", lang, command=f"mtqg validate {shlex.quote(str(argument))}")
    return tr("run.warnings_plain", lang, n=number(data.warnings, lang), see=see)


@contextmanager
def _run_lock(state_dir: Path, lang: str = "en") -> Iterator[None]:
    """One run at a time per output folder (``<out>/.mtqg/lock``); a second is refused."""
    state_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(state_dir / "lock", timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise parameter_error("run.lock_held", out=state_dir.parent) from None
    try:
        yield
    finally:
        lock.release()


def _make_console() -> Console:
    tty = sys.stdout.isatty()
    return Console(file=sys.stdout, highlight=False, width=None if tty else 120)


def _terminate_as_interrupt() -> Callable[[], None]:
    """SIGTERM stops the run like Ctrl-C (workers stopped, staging removed, manifest saved)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, handler)

    def restore() -> None:
        signal.signal(signal.SIGTERM, old)

    return restore


def _dry_run(run: Run) -> RunReport:
    """Print what would run and why, assuming upstream outputs do not change."""
    manifest = Manifest(run.out / MANIFEST_NAME)
    lang = run.lang
    if run.replaced:
        manifest.model = ManifestModel(format=MANIFEST_FORMAT, scopes={})  # --replace: all run
        replacing = tr("run.would_replace", lang, dataset=run.replaced, out=run.out)
        print(replacing, file=run.console.file)
    for node in run.nodes:
        reason = run.stale_reason(node, manifest, lang)
        node.state = "skipped" if reason is None else "would run"
        node.reason = reason or tr("run.why_up_to_date", lang)
        state = state_word(node.state, lang)
        print(f"{node.id:<28} {state:<10} {node.reason}", file=run.console.file)
    return RunReport(
        run.nodes, run.scopes, run.out, manifest.path, None, time.perf_counter() - run.t0
    )
