"""Build the shipped reference table ``published_figures`` from the project's research file.

Run: ``.venv/bin/python scripts/import_published_figures.py ../shared/reference/published``.
Reads ``published_figures.csv`` (159 real figures from 49 public pages, with quotes) and writes
``src/helpers/data/reference/published_figures.csv`` (figures, dates, scope notes, the
``qualifier`` read from the quote and note by :func:`helpers.data.published.qualifier`, and a
``source_id``; the quotes are not shipped) and one ``sources`` row per page (its address, the
publishing site and date). Re-running replaces the rows it wrote before and keeps the others.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import re
import sys
import unicodedata
from pathlib import Path
from urllib.parse import urlparse

from helpers.data.published import qualifier

REFERENCE = Path(__file__).resolve().parents[1] / "src" / "helpers" / "data" / "reference"
PREFIX = "pub_"


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text.strip())


def source_id(url: str) -> str:
    return PREFIX + hashlib.sha256(url.encode()).hexdigest()[:10]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="folder holding published_figures.csv")
    args = parser.parse_args(argv)
    with (args.folder / "published_figures.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    figures, pages = [], {}
    for i, r in enumerate(rows, start=1):
        sid = source_id(r["url"])
        pages.setdefault(sid, r)
        figures.append({
            "figure_id": f"published_{i:03d}",
            "province": nfc(r["province"]),
            "period": nfc(r["period_or_plan_year"]),
            "as_of": r["as_of_date"].strip(),
            "measure": r["measure"].strip(),
            "value": r["value"].strip(),
            "unit": r["unit"].strip(),
            "qualifier": qualifier(
                r["value"].strip(), r["scope_note"], r["quote_vi_or_en"], r["unit"].strip()
            ),
            "scope_note": nfc(r["scope_note"]),
            "source_id": sid,
        })  # fmt: skip
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(figures[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(figures)
    (REFERENCE / "published_figures.csv").write_text(out.getvalue(), encoding="utf-8")

    sources_path = REFERENCE / "sources.csv"
    with sources_path.open(encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        fields = list(reader.fieldnames or [])
        kept = [s for s in reader if not s["source_id"].startswith(PREFIX)]
    for sid, r in sorted(pages.items()):
        host = urlparse(r["url"]).netloc.removeprefix("www.")
        published = r["published"].strip()
        exact = re.fullmatch(r"\d{4}-\d{2}-\d{2}", published) is not None
        kept.append({
            "source_id": sid,
            "title": f"Published figures on the program ({host}, {published})",
            "publisher": host,
            "date": published if exact else "",  # an approximate date stays in the title
            "url": r["url"].strip(),
            "quote": "",
            "confidence": "confirmed",
        })  # fmt: skip
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(kept)
    sources_path.write_text(out.getvalue(), encoding="utf-8")
    print(f"{len(figures)} figures from {len(pages)} pages written to {REFERENCE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
