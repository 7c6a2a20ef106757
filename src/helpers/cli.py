"""The ``mtqg`` command (also ``python -m helpers``).

Subcommands: ``demo`` (write the demo dataset), ``template`` (write the Excel intake
workbook), ``validate`` (check a CSV folder or workbook and summarise it) and ``run`` (the
batch of notebooks, :mod:`helpers.run.batch`). A user mistake (bad input file, bad argument) prints
what is wrong, one line per problem, with no traceback, and exits with code 2.

Messages are written in the user's language (catalog domains ``cli`` and ``intake``): the global
option ``mtqg --lang vi|en``, else the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``), else
English (:func:`helpers.core.text.message_lang`). ``mtqg run --lang`` is the language of the
briefs, not of the messages.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from helpers.core.errors import InputError, ParameterError, parameter_error
from helpers.core.text import LANGS, message_lang, tr
from helpers.run import batch

# The other subcommands import their modules (pandas, openpyxl, the demo generator) when they
# run, so that `mtqg --help` and a `mtqg run` with nothing to do start without them.

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_BROKEN_PIPE = 141
"""128 + SIGPIPE: what shell tools report when the reader of their output has gone."""


class UsageError(Exception):
    """A command line argparse rejects: the usage line of the (sub)command and argparse's
    message, which :func:`main` prints in the user's language and exits with 2."""

    def __init__(self, usage: str, message: str) -> None:
        super().__init__(message)
        self.usage = usage
        self.message = message


class _Parser(argparse.ArgumentParser):
    """argparse whose errors raise :class:`UsageError` instead of printing and exiting."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(self.format_usage(), message)


def _lang_option(argv: Sequence[str]) -> str | None:
    """The value of a global ``--lang`` (before the subcommand) in ``argv``, if valid."""
    for k, arg in enumerate(argv):
        value = None
        if arg == "--lang" and k + 1 < len(argv):
            value = argv[k + 1]
        elif arg.startswith("--lang="):
            value = arg.split("=", 1)[1]
        elif not arg.startswith("-"):
            return None  # the subcommand: what follows is its own
        if value is not None:
            return value if value in LANGS else None
    return None


def _refuse_overwrite(paths: Sequence[Path], force: bool) -> None:
    """A ParameterError naming the files that exist, unless ``force``: nothing is written."""
    existing = [p for p in paths if p.exists()]
    if existing and not force:
        names = ", ".join(str(p) for p in existing)
        msgid = "cli.exists_one" if len(existing) == 1 else "cli.exists_many"
        raise parameter_error(msgid, names=names, force="--force")


def _cmd_demo(args: argparse.Namespace) -> int:
    from helpers.data import demo

    out = Path(args.out)
    _refuse_overwrite([out / name for name in demo.DEMO_FILES], args.force)
    written = demo.write_demo(out, seed=args.seed)
    files = ", ".join(p.name for p in written)
    print(tr("cli.demo_written", args.message_lang, seed=args.seed, out=args.out, files=files))
    return EXIT_OK


def _cmd_template(args: argparse.Namespace) -> int:
    from helpers.data import template

    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        raise ParameterError(tr("cli.template_not_xlsx", args.message_lang, path=args.out))
    _refuse_overwrite([out], args.force)
    template.write_template(out, province=args.province)
    print(tr("cli.template_written", args.message_lang, out=out))
    return EXIT_OK


def _cmd_validate(args: argparse.Namespace) -> int:
    from helpers.data.datasets import open_dataset
    from helpers.report.validation import describe_dataset

    dataset = open_dataset(args.path)
    print(describe_dataset(dataset, args.message_lang))
    return EXIT_OK


def _cmd_run(args: argparse.Namespace) -> int:
    return batch.main(args)


def build_parser(lang: str | None = None) -> argparse.ArgumentParser:
    """The argument parser of ``mtqg``; a command line it rejects raises :class:`UsageError`.
    Help texts kept in the catalogs are in ``lang`` (default: :func:`message_lang`)."""
    from helpers.data.demo import DEFAULT_SEED  # see the note on imports above

    parser = _Parser(
        prog="mtqg",
        description=(
            "Analysis workbench for the National Target Program 1719 (ethnic minority and "
            "mountainous areas)."
        ),
    )
    parser.add_argument(
        "--lang",
        dest="message_lang",
        choices=LANGS,
        default=None,
        help="language of the messages (default: from LC_ALL, LC_MESSAGES or LANG, else en); "
        "'mtqg run --lang' is the language of the briefs",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("demo", help="write the synthetic DEMO dataset as CSV files")
    p.add_argument("--out", required=True, help="folder to write the CSV files into")
    p.add_argument("--force", action="store_true", help="replace demo files already there")
    p.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        help=f"seed of the synthetic draw (default {DEFAULT_SEED})",
    )
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("template", help="write the Excel intake workbook")
    p.add_argument("out", help="path of the .xlsx file to write")
    p.add_argument("--force", action="store_true", help="replace the workbook if it exists")
    p.add_argument(
        "--province",
        metavar="CODE",
        help="pre-fill the units and sources sheets with the shipped units of this province "
        "(e.g. 04); default: an empty workbook",
    )
    p.set_defaults(func=_cmd_template)

    p = sub.add_parser("validate", help="validate a CSV folder or an .xlsx workbook")
    p.add_argument("path", help="folder of CSV files, .xlsx workbook, or 'demo'")
    p.set_defaults(func=_cmd_validate)

    batch.add_arguments(
        sub.add_parser("run", help="run the notebooks for every scope"), message_lang(lang)
    )
    sub.choices["run"].set_defaults(func=_cmd_run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    words = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(_lang_option(words))
    try:
        args = parser.parse_args(words)
    except UsageError as exc:
        sys.stderr.write(exc.usage)
        lang = message_lang(_lang_option(words))
        print(tr("cli.error", lang, message=exc.message), file=sys.stderr)
        return EXIT_USAGE
    lang = args.message_lang = message_lang(args.message_lang)
    try:
        return int(args.func(args))
    except InputError as exc:
        print(exc.summary(lang), file=sys.stderr)
        return EXIT_USAGE
    except ParameterError as exc:
        print(tr("cli.error", lang, message=exc.text(lang)), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(tr("cli.interrupted", lang), file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader of our output has gone (`mtqg validate … | head`): stop quietly, and
        # let Python's final flush write nowhere instead of raising again
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - kept open until exit
        return EXIT_BROKEN_PIPE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
