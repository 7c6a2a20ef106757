"""Running `mtqg` as a user does, in an environment whose language the test chooses."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE")


@pytest.fixture(autouse=True)
def no_locale(monkeypatch):
    """Tests start from an environment that names no language."""
    for name in LOCALE_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def run_mtqg(*args: str, **env: str) -> subprocess.CompletedProcess:
    """``python -m helpers ARGS`` with no locale but the variables given in ``env``."""
    environ = {k: v for k, v in os.environ.items() if k not in LOCALE_VARIABLES}
    return subprocess.run(
        [sys.executable, "-m", "helpers", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**environ, "PYTHONIOENCODING": "utf-8", **env},
        timeout=300,
    )
