"""The brief's command line: ``python -m helpers.report.brief render|index …``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from helpers.core.paths import OUTPUTS_DIR
from helpers.report.brief.index import collect_entries, write_index
from helpers.report.brief.model import load_brief
from helpers.report.brief.render import write_brief


def main(argv: Sequence[str] | None = None) -> int:
    """Render one brief from ``metrics.json`` and ``lag.json``, or write a run's index."""
    parser = argparse.ArgumentParser(
        prog="python -m helpers.report.brief",
        description="Render workshop briefs and the run index.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("render", help="render one brief from metrics.json and lag.json")
    r.add_argument("--scope", default="province")
    r.add_argument("--data", default="demo", help="dataset (to resolve a unit name)")
    r.add_argument("--lang", default="vi", choices=["vi", "en"])
    r.add_argument("--assessment-dir", default="")
    r.add_argument("--lag-dir", default="")
    r.add_argument("--province-assessment-dir", default="")
    r.add_argument(
        "--out-dir", default="", help="folder for brief.<lang>.html (default outputs/<slug>/brief)"
    )
    i = sub.add_parser("index", help="write index.html for every brief under a folder")
    i.add_argument("root", nargs="?", default=str(OUTPUTS_DIR))
    i.add_argument("--out", default="", help="index file (default ROOT/index.html)")
    i.add_argument("--lang", default="vi", choices=["vi", "en"])
    args = parser.parse_args(argv)
    try:
        if args.command == "render":
            b = load_brief(
                data=args.data,
                scope=args.scope,
                lang=args.lang,
                out_dir=args.out_dir,
                assessment_dir=args.assessment_dir,
                lag_dir=args.lag_dir,
                province_assessment_dir=args.province_assessment_dir,
            )
            print(write_brief(b)["html"])
        else:
            root = Path(args.root)
            if not root.is_dir():
                raise ValueError(f"index: no such folder: {root}")
            out = write_index(
                collect_entries(root), Path(args.out or root / "index.html"), lang=args.lang
            )
            print(out)
    except ValueError as exc:  # BriefInputError, ParameterError
        print(f"brief: error: {exc}", file=sys.stderr)
        return 2
    return 0
