"""The warm kernel: one Jupyter kernel a worker keeps for the whole run, and the papermill
engine (``mtqg-warm``) that runs notebooks on it.

Kept hand-written because papermill has no kernel reuse: its engines start a kernel per
notebook, and a kernel start plus the scientific imports cost 3–4 s. The engine is a thin
subclass of papermill's nbclient engine; between notebooks the kernel is cleared (``%reset``
with a new session, figures closed, matplotlib/pandas/warnings settings, working directory and
environment restored; matplotlib stays interactive once the inline backend is active, so every
notebook's figures are shown as under the papermill CLI), so each notebook runs in a real IPython kernel with its own namespace
and execution counts from 1, as under the papermill CLI. Kernels talk over IPC sockets in a
private folder (no TCP port race) and a failed kernel start is retried.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from queue import Empty
from typing import Any

from jupyter_client import KernelManager

WARM_IMPORTS = (
    "numpy",
    "pandas",
    "scipy.stats",
    "scipy.optimize",
    "matplotlib",
    "matplotlib.pyplot",
    "seaborn",
    "statsmodels.api",
    "statsmodels.formula.api",
    "babel.numbers",
    "IPython.display",
    "helpers.steps.assessment",
    "helpers.steps.lag",
    "helpers.steps.brief",
    "helpers.steps.outlook",
    "helpers.report.figures.outlook",
)
"""Imported once into each worker's kernel (a module that fails to import is skipped)."""

WARM_ENGINE = "mtqg-warm"

_KERNEL_PRELUDE = r'''
def _mtqg_prelude(modules, cwd, preload):
    import importlib, os, sys, types, warnings
    failed = []
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as exc:
            failed.append(f"{name}: {type(exc).__name__}: {exc}")
    if preload:
        try:
            _mtqg_preload_dataset(**preload)
        except Exception as exc:
            failed.append(f"dataset preload: {type(exc).__name__}: {exc}")
    state = types.ModuleType("_mtqg_warm")
    state.cwd, state.path = cwd, list(sys.path)
    state.environ, state.filters = dict(os.environ), list(warnings.filters)
    mpl = sys.modules.get("matplotlib")
    state.rc = ({k: v for k, v in mpl.rcParams.items() if k not in ("backend", "interactive")}
                if mpl is not None else None)
    state.interactive = mpl.is_interactive() if mpl is not None else None

    def reset():
        get_ipython().reset(new_session=True)
        os.chdir(state.cwd)
        sys.path[:] = state.path
        if dict(os.environ) != state.environ:
            os.environ.clear()
            os.environ.update(state.environ)
        warnings.filters[:] = state.filters
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            plt = sys.modules.get("matplotlib.pyplot")
            if plt is not None:
                plt.close("all")
            if state.rc is not None:
                sys.modules["matplotlib"].rcParams.update(state.rc)
                # the inline backend, once active, shows each cell's figures because matplotlib
                # is interactive (as it set it up); before, the snapshot's value holds
                inline = "matplotlib_inline.backend_inline" in sys.modules
                sys.modules["matplotlib"].interactive(inline or state.interactive)
            pd = sys.modules.get("pandas")
            if pd is not None:
                pd.reset_option("all")

    state.reset = reset
    sys.modules["_mtqg_warm"] = state
    return failed


def _mtqg_preload_dataset(argument, pickle_path):
    """Register the dataset the batch validated once (helpers.data.datasets.preload)."""
    import pickle
    from helpers.data import datasets
    with open(pickle_path, "rb") as fh:
        datasets.preload(argument, pickle.load(fh))
print(_mtqg_prelude(%r, %r, %r))
del _mtqg_prelude, _mtqg_preload_dataset
'''
"""Run once in a new kernel: the warm imports, the dataset preload, and the ``reset`` that
restores the state recorded here before each notebook."""

_KERNEL_RESET = "import sys as _s; _s.modules['_mtqg_warm'].reset()"


class WarmKernel:
    """One Jupyter kernel kept by a worker for the whole run."""

    def __init__(
        self,
        kernel_name: str,
        cwd: str,
        warm_imports: Sequence[str],
        preload: dict[str, str] | None = None,
    ) -> None:
        self.kernel_name = kernel_name
        self.cwd = cwd
        self.warm_imports = list(warm_imports)
        self.preload = preload
        self.km: Any = None
        self.kc: Any = None
        self.runtime = tempfile.mkdtemp(prefix="mtqg-k-")  # short path: IPC socket names
        self._warm_msg: str | None = None
        self.notebook: Any = None
        """The notebook the engine is running (or last ran), with the outputs so far: papermill
        writes the executed notebook only when execution ends without a runner error."""

    @property
    def pid(self) -> int | None:
        proc = getattr(getattr(self.km, "provisioner", None), "process", None)
        return getattr(proc, "pid", None)

    def start(self, attempts: int = 3) -> None:
        """Start the kernel and send the warm-up imports (a failed start is retried, the last
        attempt over TCP)."""
        last: Exception | None = None
        for attempt in range(attempts):
            transport = "ipc" if attempt < attempts - 1 else "tcp"
            try:
                km = KernelManager(kernel_name=self.kernel_name, transport=transport)
                km.connection_file = os.path.join(self.runtime, f"k{attempt}.json")
                env = {**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
                km.start_kernel(
                    cwd=self.cwd, env=env, extra_arguments=["--HistoryManager.hist_file=:memory:"]
                )
                kc = km.client()
                kc.start_channels()
                kc.wait_for_ready(timeout=60)
            except Exception as exc:  # noqa: BLE001 - retried, then reported
                last = exc
                with contextlib.suppress(Exception):
                    km.shutdown_kernel(now=True)
                time.sleep(0.2 + 0.3 * attempt)
                continue
            self.km, self.kc = km, kc
            code = _KERNEL_PRELUDE % (self.warm_imports, self.cwd, self.preload)
            self._warm_msg = kc.execute(code, silent=False, store_history=False)
            return
        raise RuntimeError(f"could not start a {self.kernel_name!r} kernel: {last}")

    def wait_warm(self, timeout: float = 300) -> None:
        """Wait for the warm-up imports to finish (they run while the worker imports papermill)."""
        if self._warm_msg is None:
            return
        deadline = time.monotonic() + timeout
        while True:
            reply = self.kc.get_shell_msg(timeout=max(1.0, deadline - time.monotonic()))
            if reply["parent_header"].get("msg_id") == self._warm_msg:
                break
        self._warm_msg = None
        if reply["content"].get("status") != "ok":
            raise RuntimeError(f"kernel warm-up failed: {reply['content'].get('evalue')}")

    def alive(self) -> bool:
        try:
            return self.km is not None and bool(self.km.is_alive())
        except Exception:  # noqa: BLE001
            return False

    def reset(self) -> None:
        self.wait_warm()
        reply = self.kc.execute_interactive(
            _KERNEL_RESET,
            silent=True,
            store_history=False,
            timeout=120,
            output_hook=lambda msg: None,
        )
        if reply["content"].get("status") != "ok":
            raise RuntimeError(f"kernel reset failed: {reply['content'].get('evalue')}")

    def shutdown(self) -> None:
        with contextlib.suppress(Exception):
            self.kc.stop_channels()
        with contextlib.suppress(Exception):
            self.km.shutdown_kernel(now=True)
        self.km = self.kc = None

    def restart(self) -> None:
        self.shutdown()
        self.start()

    def close(self) -> None:
        self.shutdown()
        shutil.rmtree(self.runtime, ignore_errors=True)


class _PatientChannel:
    """A blocking channel that waits in 1 s slices, checking the kernel is alive in between.

    nbclient polls with ``get_msg(timeout=None)``; on a blocking client that call would block
    its event loop for good if the kernel died (its own liveness poll never runs)."""

    def __init__(self, channel: Any, km: Any) -> None:
        self._channel = channel
        self._km = km

    def get_msg(self, timeout: float | None = None, **kw: Any) -> Any:
        if timeout is not None:
            return self._channel.get_msg(timeout=timeout, **kw)
        while True:
            try:
                return self._channel.get_msg(timeout=1.0, **kw)
            except Empty:
                if not self._km.is_alive():
                    # deferred: nbclient costs seconds to import; the worker has it already
                    from nbclient.exceptions import DeadKernelError

                    raise DeadKernelError("Kernel died") from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._channel, name)


class _PatientClient:
    """The worker's blocking kernel client, with :class:`_PatientChannel` shell and iopub."""

    def __init__(self, kc: Any, km: Any) -> None:
        self._kc = kc
        self.shell_channel = _PatientChannel(kc.shell_channel, km)
        self.iopub_channel = _PatientChannel(kc.iopub_channel, km)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._kc, name)


def register_warm_engine(kernel: WarmKernel) -> None:
    """Register the ``mtqg-warm`` papermill engine: nbclient on ``kernel`` (not a new one)."""
    # deferred: papermill costs ~1.4 s to import; only worker processes register the engine
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger
    from papermill.utils import merge_kwargs, remove_args

    class WarmKernelEngine(NBClientEngine):
        """papermill's nbclient engine, on the kernel the worker keeps."""

        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man,
            kernel_name,
            log_output=False,
            stdout_file=None,
            stderr_file=None,
            start_timeout=60,
            execution_timeout=None,
            **kwargs,
        ):
            assert kernel.kernel_name == kernel_name
            kernel.reset()
            kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
            final = merge_kwargs(
                kwargs,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log=logger,
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
            )
            kernel.notebook = nb_man.nb
            client = PapermillNotebookClient(nb_man, km=kernel.km, **final)
            client.kc = _PatientClient(kernel.kc, kernel.km)  # setup_kernel starts nothing
            return client.execute()

    papermill_engines.register(WARM_ENGINE, WarmKernelEngine)
