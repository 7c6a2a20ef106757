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
from helpers.core.formatting import date as fmt_date
from helpers.core.paths import OUTPUTS_DIR, scope_slug
from helpers.core.text import LANG_NAMES, tr
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


def is_current(entry: Mapping, data_sha256: str | None) -> bool:
    """Whether an index entry's brief is from the current data (``data_sha256``, when known)
    and, as the runner judged it (``current``), from the current parameters and results."""
    if entry.get("current") is False:
        return False
    return data_sha256 is None or entry.get("data_sha256") == data_sha256


def built_from(entry: Mapping, lang: str) -> str:
    """The short data hash and the date a brief was built ("data 1a2b3c4d, built …")."""
    sha = str(entry.get("data_sha256") or "")[:8] or t("pv_unknown", lang)
    when = str(entry.get("generated_at") or "")
    try:
        date = fmt_date(when[:10], lang)
    except ValueError:
        date = t("pv_unknown", lang)
    return t("ix_built", lang, sha=sha, date=date)


def format_label(kind: str, lang: str) -> str:
    """How the index names a format: Word, Excel, PDF, or an annex page by its notebook."""
    if kind.startswith("annex:"):
        stem = kind.split(":", 1)[1]
        word = {
            "01_assessment": "nb_assessment",
            "02_disbursement_lag": "nb_lag",
            "04_outlook": "nb_outlook",
        }.get(stem, "nb_brief")
        return tr(f"formats.{word}", lang)
    return tr(f"formats.ix_{kind}", lang)


def _row(
    slug: str, group: list[Mapping], base: Path, lang: str, data_sha256: str | None = None
) -> dict:
    """One scope of the index: its numbers in ``lang``, a link per language, and per brief
    the data it was built from, marked when it is not current; ``no_lines`` when its unit has
    no plan lines (``n_lines`` 0)."""
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
            {
                "href": _href(target, base),
                "lang": code,
                "label": LANG_NAMES.get(code, code),
                "built": built_from(e, lang),
                "stale": not is_current(e, data_sha256),
                "formats": [
                    {"href": _href(Path(f["path"]), base), "label": format_label(f["kind"], lang)}
                    for f in e.get("formats") or []
                ],
            }
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
    stale = any(link["stale"] for link in links)
    no_lines = main.get("n_lines") == 0  # None: an entry that does not say
    return {
        "slug": slug,
        "cells": cells,
        "links": links,
        "stale": stale,
        "no_lines": no_lines,
        "related": None,
    }


GROUPS = ("province", "districts", "communes", "other")
"""The index's groups of scopes, in order: the province, the former districts, the units
created on 1 July 2025, any other unit (a former commune named on the command line)."""


def _group_heading(key: str, geography: Mapping, lang: str) -> str:
    when = geography.get("until" if key == "districts" else "since")
    try:
        date = fmt_date(str(when)[:10], lang) if when else ""
    except ValueError:
        date = ""
    suffix = "_dated" if date and key in ("districts", "communes") else ""
    return t(f"ix_group_{key}{suffix}", lang, date=date)


def _related(code: str, geography: Mapping, hrefs: Mapping[str, str], lang: str) -> dict | None:
    """The units linked to ``code`` (a new unit's former districts, or the new units that took
    a district's communes), each with the link to its brief in ``lang`` when the run has it."""
    codes = list(geography.get("related", {}).get(code, []))
    if not codes:
        return None
    label = (
        "ix_related_districts" if geography["group"].get(code) == "communes" else "ix_related_new"
    )
    names = geography.get("names", {})
    units = [
        {"code": c, "name": names.get(c, {}).get(lang, c), "href": hrefs.get(c)} for c in codes
    ]
    return {"label": t(label, lang), "units": units}


def write_index(
    entries: Iterable[Mapping],
    out_path: str | Path,
    lang: str = "vi",
    data_sha256: str | None = None,
    geography: Mapping | None = None,
) -> Path:
    """Write the run's ``index.html``: every brief with its headline numbers and links.

    Args:
        entries: index entries (``brief.<lang>.json`` dicts, e.g. from :func:`collect_entries`),
            each with ``html_path`` (absolute, or relative to the current directory) or
            ``html`` plus ``slug`` (then taken as ``<index folder>/<slug>/brief/<html>``).
        out_path: the ``index.html`` to write; links are relative to its folder.
        lang: language of the page and of the numbers.
        data_sha256: the current data; a brief built from other data, or whose entry says
            ``current`` False, is marked as not current (None: only ``current`` counts).
        geography: the scopes grouped by geography (``group``: unit code -> one of
            :data:`GROUPS`; ``until``/``since``: the last day of the former districts and the
            first of the new units; ``related``: unit code -> the codes it links to;
            ``names``: unit code -> name per language), e.g. from
            :func:`helpers.run.index.scope_geography`; None: one list without groups.
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
        (t("ix_built_col", lang), False),
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
        groups=_groups(ordered, out_path.parent, lang, data_sha256, geography),
        generated=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
    )
    return atomic_write_text(out_path, html)


def _groups(
    ordered: list[tuple[str, list[Mapping]]],
    base: Path,
    lang: str,
    data_sha256: str | None,
    geography: Mapping | None,
) -> list[dict]:
    """The index's rows, grouped by geography (one group without a heading when no
    ``geography`` is given), each row with the units it links to."""
    rows = [(group[0], _row(slug, group, base, lang, data_sha256)) for slug, group in ordered]
    if not geography:
        return [{"key": "", "heading": "", "rows": [row for _, row in rows]}]
    hrefs: dict[str, str] = {}
    for entry, row in rows:
        link = next((k for k in row["links"] if k["lang"] == lang), row["links"][0])
        hrefs[str(entry.get("unit_code"))] = link["href"]
    out: dict[str, list[dict]] = {key: [] for key in GROUPS}
    for entry, row in rows:
        code = str(entry.get("unit_code"))
        key = (
            "province"
            if entry.get("level") == "province"
            else geography["group"].get(code, "other")
        )
        row["related"] = _related(code, geography, hrefs, lang)
        out[key].append(row)
    return [
        {"key": key, "heading": _group_heading(key, geography, lang), "rows": rows}
        for key, rows in out.items()
        if rows
    ]
