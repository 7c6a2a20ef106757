"""``mtqg run``: the notebooks for every scope, in parallel, incrementally, fault-isolated.

This module ties the runner together: :func:`run_batch` checks everything, takes the output
folder's lock, runs the plan and writes ``index.html`` and ``manifest.json``; :func:`main` is
the command. The design (steps and their DAG, parallelism, atomic outputs, incremental runs,
the manifest, exit codes) is described in ``docs/batch.md``.
"""

from __future__ import annotations

import argparse
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

from helpers.core.errors import ParameterError
from helpers.run.index import write_index
from helpers.run.kernel import WARM_IMPORTS
from helpers.run.manifest import MANIFEST_NAME, Manifest
from helpers.run.options import RunOptions, add_arguments, options_from_args
from helpers.run.plan import assign_priorities
from helpers.run.reporter import Reporter, RunReport
from helpers.run.scheduler import Run, Scheduler, clean_state
from helpers.run.steps import StepSpec, default_steps

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
    run = Run(opts, default_steps() if steps is None else steps, console)
    run.prepare()  # every check that can fail on user input, before any work
    if opts.dry_run:
        return _dry_run(run)
    run.out.mkdir(parents=True, exist_ok=True)
    with _run_lock(run.state_dir):
        clean_state(run.state_dir)
        manifest = Manifest(run.out / MANIFEST_NAME)
        assign_priorities(run.nodes, manifest)
        if run.data.warnings:
            print(
                f"{run.data.warnings} warning(s) in the input: see `mtqg validate {opts.data}`",
                file=console.file,
            )
        report = RunReport(run.nodes, run.scopes, run.out, manifest.path, None, 0.0)
        warm = WARM_IMPORTS if opts.warm_imports is None else opts.warm_imports
        restore = _terminate_as_interrupt()
        try:
            with Reporter(run.nodes, run.out, console) as reporter:
                Scheduler(run, manifest, reporter, warm).execute()
        except KeyboardInterrupt:
            report.interrupted = True
            run.manifest_header(manifest, "interrupted")
            manifest.save()
            raise
        finally:
            restore()
        report.index_path = write_index(manifest, run.out, opts.langs, run.code_hash)
        status = "failed" if report.failed else "ok"
        run.manifest_header(manifest, status)
        manifest.save()
        report.seconds = time.perf_counter() - run.t0
        reporter.summary(report)
    return report


@contextmanager
def _run_lock(state_dir: Path) -> Iterator[None]:
    """One run at a time per output folder (``<out>/.mtqg/lock``); a second is refused."""
    state_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(state_dir / "lock", timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise ParameterError(
            f"another mtqg run is writing to {state_dir.parent}; "
            "wait for it to finish or choose another --out"
        ) from None
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
    for node in run.nodes:
        reason = run.stale_reason(node, manifest)
        node.state = "skipped" if reason is None else "would run"
        node.reason = reason or "up to date"
        print(f"{node.id:<28} {node.state:<10} {node.reason}", file=run.console.file)
    return RunReport(
        run.nodes, run.scopes, run.out, manifest.path, None, time.perf_counter() - run.t0
    )
