"""What a run shows and returns: progress, one line per finished scope, the closing table, the
failures with their cell and error, and :class:`RunReport` with the exit code.

Exit codes: 0 when every selected step succeeded or was up to date, 1 when one failed (or was
blocked by a failed upstream step) or the run was interrupted; usage errors (2) are raised
before a run starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from helpers.run.manifest import StepError
from helpers.run.options import rel_path
from helpers.run.plan import STATUS_BAD, Node
from helpers.run.steps import ScopeInfo

EXIT_OK, EXIT_FAILED = 0, 1


@dataclass
class RunReport:
    """What a run did (also what :func:`helpers.run.batch.run_batch` returns)."""

    nodes: list[Node]
    scopes: list[ScopeInfo]
    out: Path
    manifest_path: Path
    index_path: Path | None
    seconds: float
    interrupted: bool = False
    errors: list[str] = field(default_factory=list)
    """Files of the run itself (manifest, index) that could not be written."""

    @property
    def failed(self) -> list[Node]:
        return [n for n in self.nodes if n.state in STATUS_BAD]

    @property
    def exit_code(self) -> int:
        return EXIT_FAILED if self.failed or self.interrupted or self.errors else EXIT_OK

    def states(self) -> dict[str, str]:
        """``{"province/assessment": "ran", "042/brief.vi": "skipped", ...}``."""
        return {n.id: n.state for n in self.nodes}


class Reporter:
    """A rich progress bar on a terminal, else one line per finished scope; the closing
    table; the failures with their cell and error."""

    def __init__(self, nodes: Sequence[Node], out: Path, console: Any) -> None:
        self.nodes = nodes
        self.out = out
        self.console = console
        self.tty = bool(console.is_terminal)
        self.by_scope: dict[str, list[Node]] = {}
        for node in nodes:
            self.by_scope.setdefault(node.scope.slug, []).append(node)
        self.done_scopes: set[str] = set()
        self.progress: Any = None
        self.task: Any = None

    def __enter__(self) -> Reporter:
        if self.tty:
            self.progress = Progress(
                SpinnerColumn(),
                TextColumn("[bold]scopes"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.description}"),
                console=self.console,
                transient=True,
            )
            self.progress.start()
            self.task = self.progress.add_task("", total=len(self.by_scope))
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def step_started(self, node: Node) -> None:
        self.tick()

    def tick(self) -> None:
        if self.progress is not None:
            running = [n.id for n in self.nodes if n.state == "running"]
            self.progress.update(self.task, description=", ".join(running[:4]))

    def step_finished(self, node: Node) -> None:
        slug = node.scope.slug
        nodes = self.by_scope[slug]
        if slug in self.done_scopes or not all(n.finished for n in nodes):
            return
        self.done_scopes.add(slug)
        line = f"[{len(self.done_scopes)}/{len(self.by_scope)}] " + scope_line(
            node.scope, nodes, self.out
        )
        if self.progress is not None:
            self.progress.console.print(line, markup=False, highlight=False)
            self.progress.advance(self.task)
        else:
            print(line, file=self.console.file, flush=True)

    def summary(self, report: RunReport) -> None:
        table = Table(title=f"mtqg run: {self.out}", title_justify="left")
        table.add_column("scope")
        table.add_column("status")
        table.add_column("steps")
        table.add_column("seconds", justify="right")
        table.add_column("output", overflow="fold")
        for slug, nodes in self.by_scope.items():
            status, steps, seconds = scope_status(nodes)
            table.add_row(
                f"{slug} {nodes[0].scope.name_vi}",
                status,
                steps,
                f"{seconds:.1f}",
                rel_path(self.out / slug, Path.cwd()),
            )
        self.console.print(table)
        for node in report.failed:
            self.console.print(
                failure_line(node, self.out), markup=False, highlight=False, soft_wrap=True
            )
        for error in dict.fromkeys(report.errors):
            self.console.print(f"ERROR {error}", markup=False, highlight=False, soft_wrap=True)
        tail = [f"manifest: {report.manifest_path}"]
        if report.index_path:
            tail.insert(0, f"index: {report.index_path}")
        self.console.print("; ".join(tail), markup=False, highlight=False, soft_wrap=True)


def scope_status(nodes: Sequence[Node]) -> tuple[str, str, float]:
    """(status, "ran 2, skipped 2", seconds run) of a scope's nodes."""
    counts: dict[str, int] = {}
    for n in nodes:
        counts[n.state] = counts.get(n.state, 0) + 1
    if counts.get("failed"):
        status = "FAILED"
    elif counts.get("blocked"):
        status = "BLOCKED"
    elif counts.get("ran"):
        status = "ok"
    elif counts.get("skipped") == len(nodes):
        status = "skipped"
    else:
        status = "incomplete"
    steps = ", ".join(f"{k} {v}" for k, v in counts.items())
    seconds = sum(
        float(n.record.last_run.seconds or 0)
        for n in nodes
        if n.state in ("ran", "failed") and n.record and n.record.last_run
    )
    return status, steps, seconds


def scope_line(scope: ScopeInfo, nodes: Sequence[Node], out_root: Path) -> str:
    status, steps, seconds = scope_status(nodes)
    return (
        f"{scope.slug} ({scope.name_vi}): {status} ({steps}) in {seconds:.1f} s "
        f"-> {out_root / scope.slug}"
    )


def describe_error(error: StepError | None) -> str:
    """One line: the cell (index, In [n] and first source line) and ``ename: evalue``."""
    if not error:
        return ""
    what = f"{error.ename}: {error.evalue}".strip()
    if len(what) > 300:
        what = what[:297] + "..."
    if error.kind == "cell":
        return f"cell {error.cell_index} (In [{error.exec_count}]) `{error.source}`: {what}"
    return what


def failure_line(node: Node, out_root: Path) -> str:
    last_run = node.record.last_run if node.record else None
    error = last_run.error if last_run else None
    kept = last_run.failed_notebook if last_run else None
    text = f"{node.state.upper()} {node.id}: {describe_error(error)}"
    if kept:
        text += f"\n    executed notebook kept: {out_root / kept}"
    return text
