"""Worker processes: each runs steps with papermill on its own warm kernel.

The parent starts ``--jobs`` workers with the ``spawn`` method (:class:`WorkerPool`) and talks
to each through its own pipe, watching its process sentinel: a worker that dies (even by
SIGKILL) fails only the step it was running and is replaced (a ``ProcessPoolExecutor`` would
break as a whole). A worker runs a step into its staging folder (:func:`execute_task`), then
points the executed notebook and text outputs at the step's final folder. Kernel stderr goes to
the worker's log in ``<out>/.mtqg/logs``, not to the terminal. Working directories are set per
kernel, never through ``chdir`` in threads.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import multiprocessing
import os
import shutil
import signal
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from html import escape
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from helpers.core.errors import Message, message
from helpers.core.files import atomic_write_bytes, atomic_write_text
from helpers.run.kernel import WARM_ENGINE, WarmKernel, register_warm_engine
from helpers.run.manifest import read_json
from helpers.run.plan import Node

TEXT_SUFFIXES = frozenset({".html", ".htm", ".json", ".md", ".txt", ".csv", ".svg"})

_WORKER_KERNEL: WarmKernel | None = None
"""The warm kernel of this worker process, once it has started."""


# ============================================================================ worker side


def _first_line(source: str) -> str:
    for line in str(source).splitlines():
        if line.strip():
            return line.strip()[:120]
    return ""


def kernel_name_of(path: str) -> str:
    """The kernel a notebook asks for (``python3`` when it names none)."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    return nb.get("metadata", {}).get("kernelspec", {}).get("name") or "python3"


def _relocate(executed: Path, staging: str, final: str) -> None:
    """Replace the staging folder by the final one in the executed notebook's parameters and
    text outputs, so the kept notebook shows where its outputs really are."""
    text = executed.read_text(encoding="utf-8")
    if staging not in text:
        return
    nb = json.loads(text)

    def fix(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace(staging, final)
        if isinstance(value, list):
            return [fix(v) for v in value]
        return value

    for cell in nb.get("cells", []):
        cell["source"] = fix(cell.get("source", ""))
        for out in cell.get("outputs", []):
            if "text" in out:
                out["text"] = fix(out["text"])
            for mime in ("text/plain", "text/markdown"):
                if mime in out.get("data", {}):
                    out["data"][mime] = fix(out["data"][mime])
    pm = nb.get("metadata", {}).get("papermill", {})
    for k, v in list(pm.get("parameters", {}).items()):
        pm["parameters"][k] = fix(v)
    atomic_write_text(executed, json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


def _relocate_text_outputs(staging: Path, final: str, skip: Path) -> None:
    """The staging folder is an implementation detail: where a text output names it (a brief's
    provenance lists ``out_dir``), name the final folder instead, as a direct run would."""
    pairs = [(str(staging), final), (escape(str(staging)), escape(final))]
    for path in staging.rglob("*"):
        if not path.is_file() or path.suffix.lower() not in TEXT_SUFFIXES or path == skip:
            continue
        data = path.read_bytes()
        if str(staging).encode() not in data and pairs[1][0].encode() not in data:
            continue
        text = data.decode("utf-8", errors="surrogateescape")
        for old, new in pairs:
            text = text.replace(old, new)
        atomic_write_bytes(path, text.encode("utf-8", errors="surrogateescape"))


def _silent_failure(executed: Path) -> dict[str, Any] | None:
    """A run that raised nothing but where papermill flagged an exception in the metadata."""
    nb = read_json(executed) or {}
    if nb.get("metadata", {}).get("papermill", {}).get("exception"):
        return {
            "kind": "runner",
            "ename": "PapermillException",
            "evalue": "papermill flagged an exception in the executed notebook",
        }
    return None


def call_function(task: dict[str, Any], staging: Path) -> dict[str, Any] | None:
    """Run a function step (``"module:function"``) in this worker process, with the
    parameters as keyword arguments and ``out_dir`` the staging folder; the error, if any."""
    module, _, name = task["function"].partition(":")
    params = dict(task["parameters"])
    params["out_dir"] = str(staging)
    try:
        getattr(importlib.import_module(module), name)(**params)
    except Exception as exc:  # noqa: BLE001 - a failing step fails alone
        tb = traceback.extract_tb(exc.__traceback__)
        where = f"{tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno}" if tb else ""
        return {
            "kind": "function",
            "source": f"{task['function']} ({where})",
            "ename": type(exc).__name__,
            "evalue": str(exc)[:2000],
        }
    return None


def execute_task(task: dict[str, Any]) -> dict[str, Any]:
    """Run one step into its staging folder (in a worker process). Never raises."""
    if task.get("function"):
        return execute_function(task)
    # deferred: the worker imported papermill while its kernel started; the parent never does
    import papermill
    from papermill.exceptions import PapermillExecutionError

    staging = Path(task["staging_dir"])
    staging.mkdir(parents=True, exist_ok=True)
    params = dict(task["parameters"])
    params["out_dir"] = str(staging)
    executed = staging / task["executed_name"]
    error: dict[str, Any] | None = None
    kernel = _WORKER_KERNEL
    if kernel is not None:
        kernel.notebook = None
    t0 = time.perf_counter()
    try:
        kernel_name = kernel_name_of(task["notebook"])
        warm = kernel is not None and kernel.kernel_name == kernel_name and kernel.alive()
        papermill.execute_notebook(
            task["notebook"],
            str(executed),
            parameters=params,
            engine_name=WARM_ENGINE if warm else None,
            kernel_name=kernel_name,
            progress_bar=False,
            request_save_on_cell_execute=False,
            log_output=False,
            cwd=None if warm else task["cwd"],
        )
    except PapermillExecutionError as exc:
        error = {
            "kind": "cell",
            "cell_index": exc.cell_index,
            "exec_count": exc.exec_count,
            "source": _first_line(exc.source),
            "ename": exc.ename,
            "evalue": str(exc.evalue),
        }
    except Exception as exc:  # noqa: BLE001 - dead kernel, timeout, unreadable notebook, ...
        error = {"kind": "runner", "ename": type(exc).__name__, "evalue": str(exc)[:2000]}
        partial = kernel.notebook if kernel is not None else None
        if partial is not None and not executed.exists():  # kept as <stem>.failed.ipynb
            with contextlib.suppress(OSError, TypeError, ValueError):
                atomic_write_text(executed, json.dumps(partial, indent=1, ensure_ascii=False))
    seconds = time.perf_counter() - t0
    if kernel is not None and not kernel.alive():
        with contextlib.suppress(Exception):
            kernel.restart()
    if error is None and executed.exists():
        error = _silent_failure(executed)
    if error is None:
        missing = [
            name.format(lang=task["lang"])
            for name in task["required_outputs"]
            if not (staging / name.format(lang=task["lang"])).exists()
        ]
        if missing:
            error = {
                "kind": "output",
                "ename": "MissingOutput",
                "evalue": f"the notebook finished without writing {', '.join(missing)}",
                "message": {"id": "run.err_missing_output", "values": {"files": missing}},
            }
    if executed.exists():
        with contextlib.suppress(OSError, ValueError):
            _relocate(executed, str(staging), task["final_dir"])
    if error is None:
        _relocate_text_outputs(staging, task["final_dir"], executed)
    return {
        "id": task["id"],
        "status": "failed" if error else "ok",
        "error": error,
        "seconds": round(seconds, 3),
    }


def missing_outputs(task: dict[str, Any], staging: Path) -> dict[str, Any] | None:
    """The error of a step that finished without writing a required output."""
    missing = [
        name.format(lang=task["lang"])
        for name in task["required_outputs"]
        if not (staging / name.format(lang=task["lang"])).exists()
    ]
    if not missing:
        return None
    return {
        "kind": "output",
        "ename": "MissingOutput",
        "evalue": f"the step finished without writing {', '.join(missing)}",
        "message": {"id": "run.err_missing_output", "values": {"files": missing}},
    }


def execute_function(task: dict[str, Any]) -> dict[str, Any]:
    """:func:`execute_task` for a function step: no notebook, no kernel. Never raises."""
    staging = Path(task["staging_dir"])
    staging.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    error = call_function(task, staging)
    seconds = time.perf_counter() - t0
    error = error or missing_outputs(task, staging)
    if error is None:
        _relocate_text_outputs(staging, task["final_dir"], staging / task["executed_name"])
    return {
        "id": task["id"],
        "status": "failed" if error else "ok",
        "error": error,
        "seconds": round(seconds, 3),
    }


def _close_browser() -> None:
    """Close the PDF step's browser of this worker, if it started one."""
    pdf = sys.modules.get("helpers.report.formats.pdf")
    if pdf is not None:
        with contextlib.suppress(Exception):
            pdf.close()


def _worker_main(conn: Any, settings: dict[str, Any]) -> None:
    """A worker process: start a warm kernel, then run the tasks the parent sends."""
    global _WORKER_KERNEL
    os.setpgrp()  # Ctrl-C reaches the parent only; it stops the workers
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    log = open(settings["log_path"], "a", buffering=1, encoding="utf-8")  # noqa: SIM115
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    parent = settings["parent_pid"]
    kernel = WarmKernel(
        settings["kernel_name"], settings["cwd"], settings["warm_imports"], settings.get("preload")
    )
    failure: list[Exception] = []

    def start() -> None:
        try:
            kernel.start()
        except Exception as exc:  # noqa: BLE001 - reported; tasks then use a cold kernel
            failure.append(exc)

    def watch_parent() -> None:  # even while a step runs: never outlive the parent
        while os.getppid() == parent:
            time.sleep(1.0)
        if kernel.pid:
            with contextlib.suppress(OSError):
                os.kill(kernel.pid, signal.SIGKILL)
        shutil.rmtree(kernel.runtime, ignore_errors=True)
        os._exit(1)

    threading.Thread(target=watch_parent, name="parent-watch", daemon=True).start()
    starter = threading.Thread(target=start, name="kernel-start")
    starter.start()  # the kernel boots and imports while this process imports papermill
    try:
        import papermill  # noqa: F401 - deliberately here: overlaps the kernel's start

        register_warm_engine(kernel)
        starter.join()
        if failure:
            print(
                f"warm kernel unavailable, using one kernel per notebook: {failure[0]}", flush=True
            )
        else:
            _WORKER_KERNEL = kernel
        conn.send(
            ("ready", {"pid": os.getpid(), "kernel_pid": kernel.pid, "runtime": kernel.runtime})
        )
        while True:
            if not conn.poll(1.0):
                if os.getppid() != parent:
                    return  # the parent died: stop
                continue
            kind, payload = conn.recv()
            if kind == "stop":
                return
            conn.send(("done", execute_task(payload)))
    except (EOFError, BrokenPipeError, KeyboardInterrupt):
        return
    finally:
        kernel.close()
        _close_browser()


# ============================================================================ parent side


@dataclass(eq=False)
class Worker:
    """The parent's handle on one worker process (``node``: the step it runs, if any)."""

    process: BaseProcess
    conn: Connection[Any, Any]
    node: Node | None = None
    kernel_pid: int | None = None
    runtime: str | None = None


class WorkerPool:
    """Worker processes, each with its own pipe; the parent waits on pipes and sentinels."""

    def __init__(self, size: int, settings: dict[str, Any], log_dir: Path) -> None:
        self.ctx = multiprocessing.get_context("spawn")
        self.size = size
        self.settings = settings
        self.log_dir = log_dir
        self.workers: list[Worker] = []
        self.spawned = 0

    def grow(self, wanted: int) -> None:
        while len(self.workers) < min(self.size, wanted):
            parent_conn, child_conn = self.ctx.Pipe()
            settings = {
                **self.settings,
                "log_path": str(self.log_dir / f"worker-{self.spawned + 1}.log"),
            }
            proc = self.ctx.Process(
                target=_worker_main,
                args=(child_conn, settings),
                name=f"mtqg-worker-{self.spawned + 1}",
                daemon=True,
            )
            proc.start()
            child_conn.close()
            self.spawned += 1
            self.workers.append(Worker(proc, parent_conn))

    def idle(self) -> list[Worker]:
        return [w for w in self.workers if w.node is None]

    def send(self, worker: Worker, node: Node, task: dict[str, Any]) -> None:
        worker.node = node
        worker.conn.send(("run", task))

    def wait(self, timeout: float) -> list[tuple[Worker, str, Any]]:
        """Messages and deaths: (worker, "ready"|"done"|"died", payload)."""
        if not self.workers:
            time.sleep(min(timeout, 0.05))
            return []
        handles: dict[object, Worker] = {}
        waitables: list[Connection[Any, Any] | int] = []
        for w in self.workers:
            handles[w.conn] = w
            handles[w.process.sentinel] = w
            waitables += [w.conn, w.process.sentinel]
        events: list[tuple[Worker, str, Any]] = []
        for handle in wait(waitables, timeout):
            w = handles[handle]
            if handle is w.conn:
                try:
                    while w.conn.poll():
                        kind, payload = w.conn.recv()
                        if kind == "ready":
                            w.kernel_pid = payload.get("kernel_pid")
                            w.runtime = payload.get("runtime")
                        events.append((w, kind, payload))
                except (EOFError, OSError):
                    pass
            if not w.process.is_alive() and w in self.workers:
                w.process.join(1)
                self._forget(w)
                events.append((w, "died", w.process.exitcode))
        return events

    def _forget(self, w: Worker) -> None:
        self.workers.remove(w)
        if w.kernel_pid:  # the kernel also exits by itself when its parent is gone
            with contextlib.suppress(OSError):
                os.kill(w.kernel_pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            w.conn.close()
        if w.runtime and Path(w.runtime).name.startswith("mtqg-k-"):
            shutil.rmtree(w.runtime, ignore_errors=True)  # what a killed worker left

    def close(self, now: bool = False) -> None:
        for w in list(self.workers):
            if not now and w.node is None:
                with contextlib.suppress(OSError, BrokenPipeError):
                    w.conn.send(("stop", None))
        deadline = time.monotonic() + (0 if now else 10)
        for w in list(self.workers):
            if not now:
                w.process.join(max(0.0, deadline - time.monotonic()))
            if w.process.is_alive():
                w.process.kill()
                w.process.join(5)
            self._forget(w)


def signal_name(exitcode: int | None) -> str:
    """How a worker's exit code reads in an error: ``SIGKILL`` or ``exit code 1``."""
    if exitcode is not None and exitcode < 0:
        with contextlib.suppress(ValueError):
            return signal.Signals(-exitcode).name
    return f"exit code {exitcode}"


def signal_words(exitcode: int | None) -> str | Message:
    """:func:`signal_name` for a message in any language: a signal's name as it is, an exit
    code worded by the catalogs."""
    if exitcode is not None and exitcode < 0:
        with contextlib.suppress(ValueError):
            return signal.Signals(-exitcode).name
    return message("run.exit_code", code=exitcode)
