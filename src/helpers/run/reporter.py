"""What a run shows and returns: progress, one line per finished scope, the closing table, the
failures with their cell and error, and :class:`RunReport` with the exit code.

Everything is worded in the message language (catalog domain ``run``); the manifest records
the English words (:func:`scope_status` with its default language).

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

from helpers.core.errors import Message
from helpers.core.formatting import number
from helpers.core.text import tr
from helpers.run.manifest import StepError, read_json
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
    errors: list[Message] = field(default_factory=list)
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
    table; the failures with their cell and error. In the message language ``lang``."""

    def __init__(self, nodes: Sequence[Node], out: Path, console: Any, lang: str = "en") -> None:
        self.nodes = nodes
        self.out = out
        self.console = console
        self.lang = lang
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
                TextColumn("[bold]" + tr("run.progress_scopes", self.lang)),
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
        line = progress_line(
            len(self.done_scopes),
            len(self.by_scope),
            scope_line(node.scope, nodes, self.out, self.lang),
            self.lang,
        )
        if self.progress is not None:
            self.progress.console.print(line, markup=False, highlight=False)
            self.progress.advance(self.task)
        else:
            print(line, file=self.console.file, flush=True)

    def summary(self, report: RunReport) -> None:
        lang = self.lang
        table = Table(title=tr("run.table_title", lang, out=self.out), title_justify="left")
        table.add_column(tr("run.col_scope", lang))
        table.add_column(tr("run.col_status", lang))
        table.add_column(tr("run.col_steps", lang))
        table.add_column(tr("run.col_seconds", lang), justify="right")
        table.add_column(tr("run.col_output", lang), overflow="fold")
        for slug, nodes in self.by_scope.items():
            status, steps, seconds = scope_status(nodes, lang, self.out)
            table.add_row(
                f"{slug} {nodes[0].scope.name_vi}",
                status,
                steps,
                number(seconds, lang, 1),
                rel_path(self.out / slug, Path.cwd()),
            )
        self.console.print(table)
        for node in report.failed:
            self.console.print(
                failure_line(node, self.out, lang), markup=False, highlight=False, soft_wrap=True
            )
        for error in dict.fromkeys(report.errors):
            self.console.print(
                tr("run.error_line", lang, error=error.text(lang)),
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
        self.console.print(tail_line(report, lang), markup=False, highlight=False, soft_wrap=True)


STATUS_WORDS = {
    "failed": "run.status_failed",
    "blocked": "run.status_blocked",
    "ok": "run.status_ok",
    "skipped": "run.status_skipped",
    "incomplete": "run.status_incomplete",
}
"""A scope's status (worst first) and its words."""

STATE_WORDS = {
    "ran": "run.state_ran",
    "skipped": "run.state_skipped",
    "failed": "run.state_failed",
    "blocked": "run.state_blocked",
    "waiting": "run.state_waiting",
    "ready": "run.state_ready",
    "running": "run.state_running",
    "would run": "run.state_would_run",
}
"""A step's state and its word."""


def state_word(state: str, lang: str = "en") -> str:
    """A step's state in ``lang`` ("ran", "would run"…)."""
    return tr(STATE_WORDS[state], lang) if state in STATE_WORDS else state


def scope_state(nodes: Sequence[Node]) -> tuple[str, dict[str, int], float]:
    """(status, step count per state, seconds run) of a scope's nodes; status is one of
    :data:`STATUS_WORDS`."""
    counts: dict[str, int] = {}
    for n in nodes:
        counts[n.state] = counts.get(n.state, 0) + 1
    if counts.get("failed"):
        status = "failed"
    elif counts.get("blocked"):
        status = "blocked"
    elif counts.get("ran"):
        status = "ok"
    elif counts.get("skipped") == len(nodes):
        status = "skipped"
    else:
        status = "incomplete"
    seconds = sum(
        float(n.record.last_run.seconds or 0)
        for n in nodes
        if n.state in ("ran", "failed") and n.record and n.record.last_run
    )
    return status, counts, seconds


def has_no_plan_lines(nodes: Sequence[Node], out_root: Path) -> bool:
    """True when the scope's brief says its unit has no plan lines (``n_lines`` 0 in the
    ``brief.<lang>.json`` its last success wrote)."""
    for node in nodes:
        if node.spec.name != "brief" or node.state not in ("ran", "skipped"):
            continue
        for rel in node.outputs:
            name = Path(rel).name
            if name.startswith("brief.") and name.endswith(".json"):
                entry = read_json(out_root / rel)
                if isinstance(entry, dict) and entry.get("n_lines") == 0:
                    return True
    return False


def scope_status(
    nodes: Sequence[Node], lang: str = "en", out_root: Path | None = None
) -> tuple[str, str, float]:
    """(status, "ran 2, skipped 2", seconds run) of a scope's nodes, in ``lang``; with
    ``out_root``, the status says when the scope's unit has no plan lines."""
    status, counts, seconds = scope_state(nodes)
    words = tr(STATUS_WORDS[status], lang)
    if out_root is not None and has_no_plan_lines(nodes, out_root):
        words = tr("run.status_no_lines", lang, status=words)
    steps = ", ".join(
        tr("run.count", lang, state=state_word(k, lang), n=number(v, lang))
        for k, v in counts.items()
    )
    return words, steps, seconds


def progress_line(done: int, total: int, line: str, lang: str = "en") -> str:
    """``[3/11] <line>``: a finished scope and how many of the run's scopes are done."""
    return tr("run.progress", lang, done=number(done, lang), total=number(total, lang), line=line)


def scope_line(scope: ScopeInfo, nodes: Sequence[Node], out_root: Path, lang: str = "en") -> str:
    status, steps, seconds = scope_status(nodes, lang, out_root)
    return tr(
        "run.scope_line",
        lang,
        slug=scope.slug,
        name=scope.name_vi,
        status=status,
        steps=steps,
        seconds=number(seconds, lang, 1),
        folder=out_root / scope.slug,
    )


def describe_error(error: StepError | None, lang: str = "en", why: Message | None = None) -> str:
    """One line: the cell (index, In [n] and first source line) and ``ename: evalue``;
    ``why`` (the runner's own words for the error) is shown instead of ``evalue``."""
    if not error:
        return ""
    evalue = why.text(lang) if why is not None else error.evalue
    what = f"{error.ename}: {evalue}".strip()
    if len(what) > 300:
        what = what[:297] + "..."
    if error.kind == "cell":
        return tr(
            "run.error_cell",
            lang,
            index=error.cell_index,
            count=error.exec_count,
            source=error.source,
            error=what,
        )
    return what


def failure_line(node: Node, out_root: Path, lang: str = "en") -> str:
    last_run = node.record.last_run if node.record else None
    error = last_run.error if last_run else None
    kept = last_run.failed_notebook if last_run else None
    state = tr(STATUS_WORDS[node.state], lang) if node.state in STATUS_WORDS else node.state
    text = tr(
        "run.failure", lang, state=state, step=node.id, error=describe_error(error, lang, node.why)
    )
    if kept:
        text += "\n    " + tr("run.kept", lang, path=out_root / kept)
    return text


def tail_line(report: RunReport, lang: str = "en") -> str:
    """Where the run's index and manifest are."""
    tail = [tr("run.tail_manifest", lang, path=report.manifest_path)]
    if report.index_path:
        tail.insert(0, tr("run.tail_index", lang, path=report.index_path))
    return "; ".join(tail)
