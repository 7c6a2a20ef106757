"""The ``mtqg`` command (also ``python -m helpers``).

Subcommands: ``demo`` (write the demo dataset), ``template`` (write the Excel intake
workbook), ``validate`` (check a CSV folder or workbook and summarise it) and ``run`` (the
batch of notebooks, :mod:`helpers.run.batch`). A user mistake (bad input file, bad argument) prints
what is wrong, one line per problem, with no traceback, and exits with code 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from helpers.core.errors import InputError, ParameterError
from helpers.run import batch

# The other subcommands import their modules (pandas, openpyxl, the demo generator) when they
# run, so that `mtqg --help` and a `mtqg run` with nothing to do start without them.

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_BROKEN_PIPE = 141
"""128 + SIGPIPE: what shell tools report when the reader of their output has gone."""


class _Parser(argparse.ArgumentParser):
    """argparse that exits with 2 and a one-line message (its default, made explicit)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"mtqg: error: {message}\n")


def _refuse_overwrite(paths: Sequence[Path], force: bool) -> None:
    """A ParameterError naming the files that exist, unless ``force``: nothing is written."""
    existing = [p for p in paths if p.exists()]
    if existing and not force:
        names = ", ".join(str(p) for p in existing)
        raise ParameterError(
            f"{names} already exist{'s' if len(existing) == 1 else ''}; nothing was written. "
            "Choose another path, or pass --force to replace them"
        )


def _cmd_demo(args: argparse.Namespace) -> int:
    from helpers.data import demo

    out = Path(args.out)
    _refuse_overwrite([out / name for name in demo.DEMO_FILES], args.force)
    written = demo.write_demo(out, seed=args.seed)
    print(
        f"DEMO dataset (synthetic, seed {args.seed}) written to {args.out}: "
        + ", ".join(p.name for p in written)
    )
    return EXIT_OK


def _cmd_template(args: argparse.Namespace) -> int:
    from helpers.data import template

    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        raise ParameterError(f"template: the output must be an .xlsx file; got {args.out!r}")
    _refuse_overwrite([out], args.force)
    template.write_template(out, province=args.province)
    print(f"Intake workbook written to {out}")
    return EXIT_OK


def _cmd_validate(args: argparse.Namespace) -> int:
    from helpers.data.datasets import open_dataset
    from helpers.report.validation import describe_dataset

    dataset = open_dataset(args.path)
    print(describe_dataset(dataset))
    return EXIT_OK


def _cmd_run(args: argparse.Namespace) -> int:
    return batch.main(args)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``mtqg``."""
    from helpers.data.demo import DEFAULT_SEED  # see the note on imports above

    parser = _Parser(
        prog="mtqg",
        description=(
            "Analysis workbench for the National Target Program 1719 (ethnic minority and "
            "mountainous areas)."
        ),
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

    batch.add_arguments(sub.add_parser("run", help="run the notebooks for every scope"))
    sub.choices["run"].set_defaults(func=_cmd_run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except InputError as exc:
        print(exc.summary(), file=sys.stderr)
        return EXIT_USAGE
    except ParameterError as exc:
        print(f"mtqg: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("mtqg: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader of our output has gone (`mtqg validate … | head`): stop quietly, and
        # let Python's final flush write nowhere instead of raising again
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - kept open until exit
        return EXIT_BROKEN_PIPE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
