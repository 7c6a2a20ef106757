"""What ``mtqg run`` was asked to do: :class:`RunOptions` and its command-line arguments."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from helpers.core.paths import OUTPUTS_DIR, REPO_ROOT
from helpers.core.text import tr

LANGS = ("vi", "en")
LANG_CHOICES = ("vi", "en", "both")
DEFAULT_LANG = "both"
"""Both languages by default: ``make run`` produces every brief the workshop needs."""

STATE_DIR = ".mtqg"
"""Runner state inside the output folder: lock, caches, staging folders, worker logs."""


@dataclass
class RunOptions:
    """What ``mtqg run`` was asked to do (see :func:`add_arguments`)."""

    data: str = "demo"
    scopes: Sequence[str] = ("all",)
    lang: str = DEFAULT_LANG
    jobs: int | None = None
    force: bool = False
    out: Path = OUTPUTS_DIR
    dry_run: bool = False
    apportion: str = "none"
    """How a commune-level scope's share of its former districts' own lines is estimated
    (``none``, ``communes`` or a numeric column of the units table; the assessment's
    ``apportion`` parameter, checked against the data before any work)."""
    replace: bool = False
    """Replace the results of another dataset held in ``out`` (else such a folder is refused)."""
    pdf: bool = False
    """Also print each brief to an A4 PDF (headless Chromium): opt-in, so the main job needs
    no browser."""
    warm_imports: Sequence[str] | None = None
    """Modules each worker's kernel imports once (None: :data:`helpers.run.kernel.WARM_IMPORTS`)."""
    preload_data: bool = True
    """Seed each worker's kernel with the dataset validated by the parent."""
    kernel_cwd: Path = REPO_ROOT
    argv: Sequence[str] | None = None
    message_lang: str = "en"
    """Language of the run's own messages (``mtqg --lang``, else the locale; see
    :func:`helpers.core.text.message_lang`); ``lang`` is the language of the briefs."""

    @property
    def langs(self) -> tuple[str, ...]:
        return LANGS if self.lang == "both" else (self.lang,)


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _jobs_arg(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1; got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1; got {value}")
    return value


def add_arguments(parser: argparse.ArgumentParser, lang: str = "en") -> None:
    """The options of ``mtqg run`` (``--scope`` explained in ``lang``)."""
    parser.description = (
        "Run the assessment, disbursement-lag and brief notebooks for each scope in parallel, "
        "skipping every step whose inputs are unchanged since its last successful run, then "
        "write index.html and manifest.json into the output folder."
    )
    parser.add_argument(
        "--data",
        default="demo",
        metavar="PATH|demo",
        help="'demo' (default), 'demo:SEED', a folder of CSV files or an .xlsx workbook",
    )
    parser.add_argument(
        "--scope",
        nargs="+",
        default=["all"],
        metavar="SCOPE",
        dest="scope",
        help=tr("run.help_scope", lang),
    )
    parser.add_argument(
        "--lang",
        choices=LANG_CHOICES,
        default=DEFAULT_LANG,
        help="language(s) of the briefs (default: both)",
    )
    parser.add_argument(
        "--jobs",
        "-j",
        type=_jobs_arg,
        default=None,
        metavar="N",
        help=f"worker processes (default: the number of cores, {default_jobs()})",
    )
    parser.add_argument(
        "--force", action="store_true", help="run every selected step even when it is up to date"
    )
    parser.add_argument(
        "--out", default=None, metavar="DIR", help=f"output folder (default: {OUTPUTS_DIR})"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="show which steps would run and why, run nothing"
    )
    parser.add_argument(
        "--apportion",
        default="none",
        metavar="none|communes|COLUMN",
        help="estimate a commune-level unit's share of its former districts' own lines: 'none' "
        "(default: shown beside it only), 'communes' (evenly per former commune) or a numeric "
        "column of the units table; always labelled as an estimate",
    )
    parser.add_argument(
        "--pdf",
        action="store_true",
        help="also print each brief to an A4 PDF with headless Chromium (/usr/bin/chromium)",
    )
    parser.add_argument(
        "--replace",
        action="store_true",
        help="the output folder holds another dataset's results: delete them and run this data",
    )


def options_from_args(args: argparse.Namespace) -> RunOptions:
    """:class:`RunOptions` from parsed ``mtqg run`` arguments."""
    return RunOptions(
        data=str(args.data),
        scopes=tuple(args.scope),
        lang=args.lang,
        jobs=args.jobs,
        force=bool(args.force),
        out=Path(args.out) if args.out else OUTPUTS_DIR,
        dry_run=bool(getattr(args, "dry_run", False)),
        replace=bool(getattr(args, "replace", False)),
        apportion=str(getattr(args, "apportion", "none") or "none"),
        pdf=bool(getattr(args, "pdf", False)),
        argv=sys.argv[1:],
        message_lang=getattr(args, "message_lang", None) or "en",
    )


def rel_path(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` (POSIX), else as it is."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def display_path(path: Path) -> str:
    """A path as messages and the manifest show it: relative to the repository when inside."""
    return rel_path(Path(path).resolve(), REPO_ROOT)
