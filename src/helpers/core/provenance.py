"""Where a result came from: the checked-out commit, read once for briefs and run manifests."""

from __future__ import annotations

import os
from pathlib import Path

from helpers.core.paths import REPO_ROOT


def git_commit(root: Path = REPO_ROOT) -> str | None:
    """The checked-out commit, read from ``.git`` without running git (None if unknown).

    ``MTQG_COMMIT`` in the environment wins (a build without ``.git`` may pass it). Handles
    worktrees (``.git`` as a file) and refs packed into ``packed-refs``.
    """
    env = os.environ.get("MTQG_COMMIT")
    if env:
        return env
    try:
        git = root / ".git"
        if git.is_file():  # a worktree: "gitdir: <path>"
            git = (root / git.read_text().split(":", 1)[1].strip()).resolve()
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref:"):
            return head or None
        ref = head.split(":", 1)[1].strip()
        common = git
        if (git / "commondir").is_file():
            common = (git / (git / "commondir").read_text().strip()).resolve()
        for base in (git, common):
            if (base / ref).is_file():
                return (base / ref).read_text().strip()
        packed = common / "packed-refs"
        if packed.is_file():
            for line in packed.read_text().splitlines():
                if line.endswith(" " + ref):
                    return line.split(" ", 1)[0]
    except (OSError, IndexError):
        return None
    return None
