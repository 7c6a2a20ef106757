"""The run in the parent process: its checks (:class:`Run`) and the scheduler that runs the
plan on the worker pool and commits each result.

The parent never runs a notebook: it schedules (critical path first, using the step times of
the last run), commits results and writes the manifest after every step. A step runs with
``out_dir`` set to a private staging folder ``<out>/.mtqg/staging/...`` on the same file
system; only when it has succeeded does the parent move each file into
``<out>/<scope>/<step>/`` with ``os.replace`` (atomic), remove the files the step's previous
run made and no longer makes, and record the step. A failed step keeps its executed notebook
as ``<stem>.failed.ipynb`` beside its outputs (removed by the next success), and the previous
good outputs stay in place. A worker killed mid-step leaves its staging folder only, which the
next run deletes.
"""

from __future__ import annotations

import gc
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from helpers.analysis.geography import check_apportion
from helpers.core.errors import Message, message, parameter_error
from helpers.core.provenance import git_commit
from helpers.run.fingerprint import (
    code_files,
    code_sha256,
    compute_fingerprint,
    environment_sha256,
    file_record,
    package_versions,
    stale_reason,
)
from helpers.run.index import INDEX_NAME
from helpers.run.inputs import check_notebooks, data_argument, load_data, resolve_scopes
from helpers.run.manifest import (
    MANIFEST_FORMAT,
    MANIFEST_NAME,
    LastRun,
    LastSuccess,
    Manifest,
    ManifestModel,
    OutputRecord,
    RunRecord,
    ScopeRun,
    StepError,
    StepRecord,
)
from helpers.run.options import LANG_CHOICES, LANGS, STATE_DIR, RunOptions, default_jobs, rel_path
from helpers.run.plan import STATUS_BAD, Node, build_plan
from helpers.run.reporter import STATE_WORDS, Reporter, scope_status
from helpers.run.steps import StepSpec
from helpers.run.workers import Worker, WorkerPool, kernel_name_of, signal_name, signal_words


def now() -> str:
    """The local time, as the manifest records it."""
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")


class Run:
    """State of one ``mtqg run`` in the parent process."""

    def __init__(self, opts: RunOptions, steps: Sequence[StepSpec], console: Any) -> None:
        self.opts = opts
        self.lang = opts.message_lang
        """The language of the run's messages."""
        self.steps = list(steps)
        self.console = console
        self.out = Path(opts.out).expanduser().resolve()
        self.state_dir = self.out / STATE_DIR
        self.run_id = datetime.now().strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}"
        self.t0 = time.perf_counter()
        self.started = now()
        self.analysis_options: dict[str, str] = {"apportion": opts.apportion}
        """The run's analysis options (checked against the data in :meth:`prepare`)."""

    # ------------------------------------------------------------------ checks, before work
    def check_out(self) -> None:
        """Refuse an output folder the run cannot use (exit code 2), before any work: a
        ``{scope}`` placeholder (the batch makes ``<out>/<scope>/`` itself), a file, or a
        folder that cannot be created or written to. Creates ``<out>/.mtqg``."""
        text = str(self.opts.out)
        if "{" in text or "}" in text:
            raise parameter_error("run.out_placeholder", out=repr(text), example="{scope}")
        if self.out.exists() and not self.out.is_dir():
            raise parameter_error("run.out_not_folder", out=self.out)
        try:
            (self.state_dir / "cache").mkdir(parents=True, exist_ok=True)
            for folder in (self.out, self.state_dir):
                with tempfile.TemporaryFile(dir=folder, prefix=".mtqg-probe-"):
                    pass
        except OSError as exc:
            raise parameter_error(
                "run.out_unwritable", out=self.out, error=exc.strerror or exc
            ) from None

    def prepare(self) -> None:
        """Every check that can fail on user input (a :class:`ParameterError` or
        :class:`~helpers.core.errors.InputError`), then the plan."""
        opts = self.opts
        if opts.jobs is not None and int(opts.jobs) < 1:
            raise parameter_error("run.jobs_bad", least=1, jobs=opts.jobs)
        if opts.lang not in LANG_CHOICES:
            raise parameter_error(
                "run.lang_bad", choices=", ".join(LANG_CHOICES), lang=repr(opts.lang)
            )
        self.jobs = int(opts.jobs or default_jobs())
        self.data_arg = data_argument(opts.data)
        cache_dir = self.state_dir / "cache"
        self.notebooks = check_notebooks(self.steps, cache_dir)
        self.code_files = code_files()
        self.code_hash = code_sha256(files=self.code_files)
        self.packages = package_versions()
        self.env = {
            "python": sys.version.split()[0],
            "platform": sys.platform,
            "packages": self.packages,
            "git_commit": git_commit(),
            "code_sha256": self.code_hash,
        }
        self.env_hash = environment_sha256(self.packages)
        self.data = load_data(self.data_arg, cache_dir, self.code_hash)
        held = Manifest(self.out / MANIFEST_NAME).model
        self.scopes = resolve_scopes(self.data.dataset, opts.scopes)
        self.analysis_options = {
            "apportion": check_apportion(self.data.dataset.units, opts.apportion)
        }
        self.replaced = self.check_dataset(held.data)
        # every scope of the dataset the folder may hold: "all", and the other units (former
        # communes) this run or an earlier one on the same dataset ran
        units = set(self.data.dataset.units["unit_code"].astype(str))
        earlier = [] if self.replaced else [r.code for r in held.scopes.values()]
        extra = [s.code for s in self.scopes] + [c for c in earlier if c in units]
        self.all_scopes = resolve_scopes(self.data.dataset, ["all", *extra])
        # the workers read the validated dataset themselves; the runner keeps its unit tables
        self.data.dataset = self.data.dataset.without_lines()
        gc.collect()
        self.province = self.all_scopes[0]
        self.nodes = build_plan(
            self.steps,
            self.scopes,
            self.province,
            opts.langs,
            self.data_arg,
            self.out,
            self.notebooks,
            self.analysis_options,
        )

    def check_dataset(self, held: dict[str, Any] | None) -> str | None:
        """An output folder holds the results of one dataset: refuse one that holds another
        (exit code 2) unless ``--replace``; returns the other dataset's description then (in
        the message language).

        The same dataset is the same input (``--data`` argument) of the same province, or
        the same data SHA-256: an edited workbook re-run into its folder is the same dataset
        (its steps re-run); another workbook, another seed or another province is not."""
        if not isinstance(held, dict) or not held.get("sha256"):
            return None
        data = self.data
        same_input = held.get("argument") == data.argument and held.get("province") in (
            None,
            data.province,
        )
        if same_input or held.get("sha256") == data.sha256:
            return None
        if self.opts.replace:
            return describe_dataset(held, self.lang)
        raise parameter_error(
            "run.other_dataset",
            out=self.out,
            other=dataset_words(held),
            this=dataset_words(data.to_manifest()),
        )

    # ----------------------------------------------------------------------- bookkeeping
    def step_code_hash(self, spec: StepSpec) -> str:
        """The helper-code hash of ``spec``: the whole code but what it never reads
        (``StepSpec.code_ignore``); the whole code's hash when the run has not listed the
        code files (a run set up by hand)."""
        ignore = tuple(spec.code_ignore)
        files = getattr(self, "code_files", None)
        if not ignore or files is None:
            return str(self.code_hash)
        hashes = self.__dict__.setdefault("step_code_hashes", {})
        if ignore not in hashes:
            hashes[ignore] = code_sha256(ignore=ignore, files=files)
        return str(hashes[ignore])

    def fingerprint(self, node: Node, manifest: Manifest) -> None:
        compute_fingerprint(
            node,
            out_root=self.out,
            data_sha=self.data.sha256,
            code_hash=self.step_code_hash(node.spec),
            env_hash=self.env_hash,
            nb_hash=self.notebooks[node.spec.name]["sha256"],
            manifest=manifest,
        )

    def stale_reason(self, node: Node, manifest: Manifest, lang: str = "en") -> str | None:
        """Fingerprint ``node``; why it must run (in ``lang``; English: as the manifest
        records it), or None when it is up to date."""
        self.fingerprint(node, manifest)
        last = manifest.last_success(node.scope.slug, node.key)
        return stale_reason(node, last, self.out, self.opts.force, lang)

    def current_steps(self, manifest: Manifest) -> set[str]:
        """The steps of every scope of the dataset (either language) whose last success is
        from the current inputs: its fingerprint is the one the step would have now, and
        every step it reads is current too. Node ids (``042/brief.vi``)."""
        nodes = build_plan(
            self.steps,
            self.all_scopes,
            self.province,
            LANGS,
            self.data_arg,
            self.out,
            self.notebooks,
            self.analysis_options,
        )
        current: set[str] = set()
        for node in nodes:  # dependencies first
            self.fingerprint(node, manifest)
            last = manifest.last_success(node.scope.slug, node.key)
            if (
                last is not None
                and last.fingerprint == node.fingerprint
                and all(d.id in current for d, up in node.deps if up.reads)
            ):
                current.add(node.id)
        return current

    def manifest_header(self, manifest: Manifest, status: str) -> None:
        counts: dict[str, int] = {}
        for n in self.nodes:
            counts[n.state] = counts.get(n.state, 0) + 1
        model = manifest.model
        model.out_dir = str(self.out)
        model.run = RunRecord(
            id=self.run_id,
            status=status,
            started=self.started,
            finished=None if status == "running" else now(),
            seconds=round(time.perf_counter() - self.t0, 2),
            command="mtqg run " + " ".join(self.opts.argv or []),
            arguments={
                "data": self.opts.data,
                "scopes": list(self.opts.scopes),
                "lang": self.opts.lang,
                "jobs": self.jobs,
                "force": self.opts.force,
                "out": str(self.out),
            },
            scopes=[s.slug for s in self.scopes],
            counts=counts,
        )
        model.environment = self.env
        model.data = self.data.to_manifest()
        model.notebooks = self.notebooks


def describe_dataset(data: dict[str, Any], lang: str = "en") -> str:
    """A dataset as messages name it: its argument, province and short data hash."""
    return dataset_words(data).text(lang)


def dataset_words(data: dict[str, Any]) -> Message:
    """:func:`describe_dataset` as a catalog message (worded in the language it is shown in)."""
    sha = str(data.get("sha256"))[:12]
    if data.get("province"):
        return message(
            "run.dataset_province",
            argument=data.get("argument"),
            province=data["province"],
            sha=sha,
        )
    return message("run.dataset", argument=data.get("argument"), sha=sha)


def remove_results(manifest: Manifest, out_root: Path) -> None:
    """Delete what earlier runs recorded in ``out_root`` (scope folders, index, manifest) and
    empty ``manifest``: the folder is replaced whole by another dataset's run."""
    for scope in manifest.model.scopes.values():
        folder = (out_root / scope.output_dir).resolve()
        if folder.parent == out_root and folder.name not in ("", ".", STATE_DIR):
            shutil.rmtree(folder, ignore_errors=True)
    for name in (INDEX_NAME, MANIFEST_NAME):
        (out_root / name).unlink(missing_ok=True)
    manifest.model = ManifestModel(format=MANIFEST_FORMAT, scopes={})


def clean_state(state_dir: Path) -> None:
    """Remove what killed runs left: staging folders (never half-moved outputs)."""
    shutil.rmtree(state_dir / "staging", ignore_errors=True)
    (state_dir / "logs").mkdir(parents=True, exist_ok=True)
    for old in (state_dir / "logs").glob("worker-*.log"):
        old.unlink(missing_ok=True)


def _commit(
    node: Node, staging: Path, out_root: Path, previous: LastSuccess | None
) -> dict[str, OutputRecord]:
    """Move a successful step's files from staging into place (atomic renames); remove the
    files its previous success made that it no longer makes; return the output records."""
    produced: dict[str, Path] = {}
    for path in sorted(staging.rglob("*")):
        if path.is_file() and not (path.name.startswith(".") and path.name.endswith(".tmp")):
            produced[rel_path(node.out_dir / path.relative_to(staging), out_root)] = path
    executed = rel_path(node.out_dir / node.executed_name, out_root)
    for rel in sorted(produced, key=lambda r: r == executed):  # executed notebook last
        dest = out_root / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(produced[rel], dest)
    for rel in previous.outputs if previous else {}:
        if rel not in produced and (out_root / rel).resolve().is_relative_to(node.out_dir):
            (out_root / rel).unlink(missing_ok=True)
    (node.out_dir / _failed_name(node)).unlink(missing_ok=True)
    shutil.rmtree(staging, ignore_errors=True)
    return {rel: file_record(out_root / rel) for rel in sorted(produced)}


def _failed_name(node: Node) -> str:
    return node.executed_name[: -len(".ipynb")] + ".failed.ipynb"


def _keep_failed(node: Node, staging: Path) -> Path | None:
    """Keep a failed step's executed notebook (with its error) beside its outputs."""
    executed = staging / node.executed_name
    kept = None
    if executed.exists():
        try:
            node.out_dir.mkdir(parents=True, exist_ok=True)
            kept = node.out_dir / _failed_name(node)
            os.replace(executed, kept)
        except OSError:
            kept = None  # the folder cannot be written: the error is reported without it
    shutil.rmtree(staging, ignore_errors=True)
    return kept


class Scheduler:
    """Runs the plan's nodes on the worker pool, committing and recording each result."""

    def __init__(
        self, run: Run, manifest: Manifest, reporter: Reporter, warm_imports: Sequence[str]
    ) -> None:
        self.run = run
        self.manifest = manifest
        self.reporter = reporter
        self.warm_imports = list(warm_imports)
        self.nodes = run.nodes
        self.pool: WorkerPool | None = None
        self.running: dict[str, tuple[Node, Path]] = {}
        self.ready: list[Node] = []
        self.idle_deaths = 0
        self.errors: list[Message] = []
        self.retried: set[str] = set()
        self.dirty = False
        """Steps finished since the manifest was last written."""

    # --------------------------------------------------------------------------- states
    def _deps_finished(self, node: Node) -> bool:
        return all(d.finished for d, _ in node.deps)

    def _evaluate(self, node: Node) -> None:
        """A node whose dependencies are finished: block it, skip it, or queue it."""
        bad = [d for d, up in node.deps if up.reads and d.state in STATUS_BAD]
        if bad:
            node.reason = f"upstream {bad[0].id} {bad[0].state}"
            node.why = message(
                "run.why_blocked", step=bad[0].id, state=message(STATE_WORDS[bad[0].state])
            )
            self._finish(
                node,
                "blocked",
                error=StepError(kind="blocked", ename="Blocked", evalue=node.reason),
            )
            return
        reason = self.run.stale_reason(node, self.manifest)
        if reason is None:
            last = self.manifest.last_success(node.scope.slug, node.key)
            node.outputs = dict(last.outputs) if last else {}
            node.reason = "up to date"
            self._finish(node, "skipped")
        else:
            node.reason = reason
            node.state = "ready"
            self.ready.append(node)

    def _release(self) -> None:
        """Evaluate every waiting node whose dependencies are now finished."""
        changed = True
        while changed:
            changed = False
            for node in self.nodes:
                if node.state == "waiting" and self._deps_finished(node):
                    self._evaluate(node)
                    changed = True

    def _finish(
        self,
        node: Node,
        state: str,
        *,
        seconds: float = 0.0,
        error: StepError | None = None,
        kept: Path | None = None,
    ) -> None:
        node.state = state
        prev = self.manifest.step(node.scope.slug, node.key)
        last_run = LastRun(
            run_id=self.run.run_id,
            status=state,
            reason=node.reason,
            started=(
                datetime.fromtimestamp(node.started).astimezone().isoformat(timespec="seconds")
                if node.started
                else None
            ),
            finished=now(),
            seconds=round(seconds, 2),
            error=error,
            failed_notebook=rel_path(kept, self.run.out) if kept else None,
        )
        if state == "skipped":
            last_run.seconds = prev.last_run.seconds if prev and prev.last_run else 0.0
            last_run.skipped = True
        success = prev.last_success if prev else None
        if state == "ran":
            success = LastSuccess(
                run_id=self.run.run_id,
                fingerprint=node.fingerprint,
                finished=last_run.finished,
                seconds=last_run.seconds,
                inputs=node.inputs,
                outputs=node.outputs,
                git_commit=self.run.env["git_commit"],
                packages=self.run.packages,
            )
        node.record = StepRecord(
            notebook=self.run.notebooks[node.spec.name]["path"],
            executed_notebook=(
                ""
                if node.spec.function
                else rel_path(node.out_dir / node.executed_name, self.run.out)
            ),
            lang=node.lang,
            parameters=node.params,
            inputs=node.inputs,
            fingerprint=node.fingerprint,
            last_success=success,
            last_run=last_run,
        )
        self.manifest.set_step(node.scope, node.key, node.record)
        mine = [n for n in self.nodes if n.scope == node.scope]
        if all(n.finished for n in mine):
            status, steps, seconds = scope_status(mine)
            self.manifest.scope(node.scope).last_run = ScopeRun(
                run_id=self.run.run_id,
                status=status,
                steps=steps,
                seconds=round(seconds, 2),
                finished=now(),
            )
        if state != "skipped" or self.run.opts.force:
            self.dirty = True  # written by the loop once the idle workers have their next step
        self.reporter.step_finished(node)

    def _save(self) -> None:
        """Write the manifest; a write error is reported at the end (the run goes on, and the
        file on disk stays the last complete one: writes are atomic)."""
        self.dirty = False
        self.run.manifest_header(self.manifest, "running")
        try:
            self.manifest.save()
        except OSError as exc:
            self.errors.append(message("run.could_not_write", path=self.manifest.path, error=exc))

    # -------------------------------------------------------------------------- running
    def _task(self, node: Node) -> tuple[dict[str, Any], Path]:
        staging = self.run.state_dir / "staging" / f"{self.run.run_id}-{node.scope.slug}-{node.key}"
        task = {
            "id": node.id,
            "notebook": str(node.spec.notebook),
            "parameters": node.params,
            "staging_dir": str(staging),
            "final_dir": str(node.out_dir),
            "executed_name": node.executed_name,
            "lang": node.lang,
            "required_outputs": list(node.spec.required_outputs),
            "cwd": str(self.run.opts.kernel_cwd),
            "function": node.spec.function,
        }
        return task, staging

    def _dispatch(self) -> None:
        assert self.pool is not None
        self.ready.sort(key=lambda n: -n.priority)
        self.pool.grow(len(self.ready) + len(self.running))
        for worker in self.pool.idle():
            if not self.ready:
                break
            node = self.ready.pop(0)
            task, staging = self._task(node)
            node.state, node.started = "running", time.time()
            self.running[node.id] = (node, staging)
            self.pool.send(worker, node, task)
            self.reporter.step_started(node)

    def _on_done(self, worker: Worker, result: dict[str, Any]) -> None:
        node, staging = self.running.pop(result["id"])
        worker.node = None
        if result["status"] == "ok":
            previous = self.manifest.last_success(node.scope.slug, node.key)
            try:
                node.outputs = _commit(node, staging, self.run.out, previous)
            except OSError as exc:  # disk full, a read-only or blocked folder: this step fails
                shutil.rmtree(staging, ignore_errors=True)
                error = StepError(
                    kind="output",
                    ename=type(exc).__name__,
                    evalue=f"its outputs could not be written into {node.out_dir}: {exc}",
                )
                node.why = message("run.err_output", folder=node.out_dir, error=exc)
                self._finish(node, "failed", seconds=result["seconds"], error=error)
                return
            self._finish(node, "ran", seconds=result["seconds"])
        else:
            kept = _keep_failed(node, staging)
            error = StepError.model_validate(result["error"])
            words = result["error"].get("message")
            if isinstance(words, dict):  # the worker's own words for the error
                node.why = Message(str(words["id"]), dict(words.get("values") or {}))
            self._finish(node, "failed", seconds=result["seconds"], error=error, kept=kept)

    def _on_died(self, worker: Worker, exitcode: int | None) -> None:
        node = worker.node
        if node is None:
            self.idle_deaths += 1
            if self.idle_deaths > 2 * self.run.jobs + 2:  # workers cannot even start
                log = self.run.state_dir / "logs"
                error = StepError(
                    kind="worker",
                    ename="WorkerDied",
                    evalue=f"worker processes keep exiting ({signal_name(exitcode)})"
                    f" before running a step; see {log}",
                )
                why = message("run.err_workers_exit", signal=signal_words(exitcode), log=log)
                for ready in list(self.ready):
                    self.ready.remove(ready)
                    ready.why = why
                    self._finish(ready, "failed", error=error)
            return
        _, staging = self.running.pop(node.id)
        shutil.rmtree(staging, ignore_errors=True)  # nothing of it reaches the outputs
        worker.node = None
        if node.id not in self.retried:  # once: a worker can die of causes not the step's
            self.retried.add(node.id)
            node.reason = f"{node.reason}; again after its worker stopped ({signal_name(exitcode)})"
            node.state = "ready"
            self.ready.append(node)
            return
        error = StepError(
            kind="worker",
            ename="WorkerDied",
            evalue=f"the worker process running this step stopped "
            f"({signal_name(exitcode)}), also when it was tried again; its partial output "
            "was discarded",
        )
        node.why = message("run.err_worker_died", signal=signal_words(exitcode))
        self._finish(node, "failed", seconds=time.time() - node.started, error=error)

    def execute(self) -> None:
        self._release()
        try:
            while any(not n.finished for n in self.nodes):
                if self.ready:
                    if self.pool is None:
                        self.pool = self._make_pool()
                    self._dispatch()
                elif not self.running:
                    raise RuntimeError(
                        "scheduler stalled: "
                        + ", ".join(n.id for n in self.nodes if not n.finished)
                    )
                assert self.pool is not None
                for worker, kind, payload in self.pool.wait(0.5):
                    if kind == "done":
                        self._on_done(worker, payload)
                    elif kind == "died":
                        self._on_died(worker, payload)
                self._after_events()
            if self.dirty:
                self._save()
        finally:
            if self.pool is not None:
                self.pool.close(now=any(not n.finished for n in self.nodes))
            for _, staging in self.running.values():
                shutil.rmtree(staging, ignore_errors=True)

    def _after_events(self) -> None:
        """Release the steps whose dependencies finished; idle workers get their next step
        first, then the manifest records every step finished so far (one write for the steps
        of one wake-up), before the parent waits again."""
        self._release()
        if self.ready and self.pool is not None:
            self._dispatch()
        if self.dirty:
            self._save()
        self.reporter.tick()

    def _make_pool(self) -> WorkerPool:
        notebooks = [n.spec.notebook for n in self.nodes if not n.spec.function]
        kernel = kernel_name_of(str(notebooks[0])) if notebooks else "python3"
        data = self.run.data
        preload = (
            {"argument": data.argument, "pickle_path": str(data.pickle_path)}
            if data.pickle_path and self.run.opts.preload_data
            else None
        )
        settings = {
            "kernel_name": kernel,
            "cwd": str(self.run.opts.kernel_cwd),
            "warm_imports": self.warm_imports,
            "preload": preload,
            "parent_pid": os.getpid(),
        }
        return WorkerPool(self.run.jobs, settings, self.run.state_dir / "logs")
