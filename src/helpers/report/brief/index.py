"""The run's ``index.html``: every brief with its headline numbers and relative links."""

from __future__ import annotations

import datetime as dt
import os
import re
import urllib.parse
from collections.abc import Iterable, Mapping
from pathlib import Path

from helpers.core.contracts import BriefEntry, ContractError
from helpers.core.files import atomic_write_text
from helpers.core.formatting import check_lang, number
from helpers.core.paths import OUTPUTS_DIR, scope_slug
from helpers.core.text import LANG_NAMES
from helpers.report.brief.model import unit_name
from helpers.report.brief.render import page
from helpers.report.brief.values import fmt_int, fmt_pct, name, num, t

HTML_FILE = re.compile(r"brief\.[a-z]{2}\.html")


def collect_entries(root: str | Path = OUTPUTS_DIR) -> list[dict]:
    """The index entries of every brief under ``root/<slug>/brief/`` (``html_path`` added);
    entries that do not match :class:`~helpers.core.contracts.BriefEntry` are skipped."""
    out = []
    for path in sorted(Path(root).glob("*/brief/brief.*.json")):
        try:
            entry = BriefEntry.read(path)
        except ContractError:
            continue
        if not HTML_FILE.fullmatch(entry.html):
            continue
        out.append(entry.model_dump(mode="json") | {"html_path": str(path.parent / entry.html)})
    return out


def _href(target: Path, base: Path) -> str:
    rel = os.path.relpath(Path(target).resolve(), Path(base).resolve())
    return urllib.parse.quote(Path(rel).as_posix())


def _sort_key(e: Mapping) -> tuple:
    return (e.get("level") != "province", str(e.get("unit_code") or e.get("slug") or ""))


def _row(slug: str, group: list[Mapping], base: Path, lang: str) -> dict:
    """One scope of the index: its numbers in ``lang`` and a link per language."""
    main = next((e for e in group if e.get("lang") == lang), group[0])
    links = []
    for e in sorted(group, key=lambda e: (e.get("lang") != lang, str(e.get("lang")))):
        target = (
            Path(str(e["html_path"]))
            if e.get("html_path")
            else base / scope_slug(slug) / "brief" / Path(str(e.get("html", ""))).name
        )
        code = str(e.get("lang"))
        links.append(
            {"href": _href(target, base), "lang": code, "label": LANG_NAMES.get(code, code)}
        )
    total = num(main.get("targets_total"))
    unit = unit_name(dict(main), lang)
    if main.get("level") == "province":
        unit = t("province_row", lang, name=unit)
    targets = (
        t(
            "kf_targets_value",
            lang,
            met=fmt_int(num(main.get("targets_met")), lang),
            total=fmt_int(total, lang),
        )
        if total
        else t("na", lang)
    )
    cells = [
        unit,
        fmt_int(num(main.get("allocated_mvnd")), lang),
        fmt_int(num(main.get("disbursed_mvnd")), lang),
        fmt_pct(num(main.get("execution_rate_deadline")), lang),
        fmt_int(num(main.get("carried_over_mvnd")), lang),
        targets,
    ]
    return {"slug": slug, "cells": cells, "links": links}


def write_index(entries: Iterable[Mapping], out_path: str | Path, lang: str = "vi") -> Path:
    """Write the run's ``index.html``: every brief with its headline numbers and links.

    Args:
        entries: index entries (``brief.<lang>.json`` dicts, e.g. from :func:`collect_entries`),
            each with ``html_path`` (absolute, or relative to the current directory) or
            ``html`` plus ``slug`` (then taken as ``<index folder>/<slug>/brief/<html>``).
        out_path: the ``index.html`` to write; links are relative to its folder.
        lang: language of the page and of the numbers.
    """
    check_lang(lang)
    out_path = Path(out_path)
    groups: dict[str, list[Mapping]] = {}
    for e in entries:
        groups.setdefault(str(e.get("slug") or scope_slug(str(e.get("unit_code")))), []).append(e)
    ordered = sorted(groups.items(), key=lambda kv: _sort_key(kv[1][0]))
    demo = any(bool(e.get("demo")) for group in groups.values() for e in group)
    head = [
        (t("col_unit", lang), False),
        (t("col_allocated", lang), True),
        (t("ix_disbursed", lang), True),
        (t("col_rate_deadline", lang), True),
        (t("ix_carried", lang), True),
        (t("kf_targets", lang), True),
        (t("ix_links", lang), False),
    ]
    html = page(
        "index.html.j2",
        t("ix_title", lang),
        lang,
        demo,
        main_class="index",
        program=name("program", lang),
        heading=t("ix_title", lang),
        intro=t("ix_intro", lang, n=number(len(groups), lang)),
        head=[{"label": h, "num": n} for h, n in head],
        rows=[_row(slug, group, out_path.parent, lang) for slug, group in ordered],
        generated=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
    )
    return atomic_write_text(out_path, html)
