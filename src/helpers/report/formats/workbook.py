"""The annex workbook (XLSX): the tables behind the brief, from the JSON results.

One workbook per scope and language (``tables.<lang>.xlsx``), written with openpyxl from
``metrics.json`` and ``lag.json`` (and ``outlook.json`` when the outlook step wrote one). Every
number is a value of those files, stored as a number (never computed again here, never text),
with a number format that Excel shows in the reader's own locale: ``#,##0`` reads 5.801.640
in a Vietnamese Excel and 5,801,640 in an English one (the separators of a format code are
placeholders, not characters), ``0.0%`` reads 59,1 % or 59.1 %. Headers are in the workbook's
language (gettext catalogs) with the unit in the header; the header row is frozen; the first
sheet says what each sheet is, where the data came from and DEMO when they are synthetic.
Text is always stored as text: a name beginning with ``=``, ``+``, ``-`` or ``@`` is never a
formula.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from helpers import __version__
from helpers.core.contracts import Lag, Metrics
from helpers.core.files import atomic_write_bytes
from helpers.core.formatting import date as fmt_date
from helpers.core.formatting import day_month
from helpers.core.provenance import git_commit
from helpers.core.text import has_text, tr

WORKBOOK_NAME = "tables.{lang}.xlsx"
OUTLOOK_NAME = "outlook.json"

FORMATS: dict[str, str] = {
    "mvnd": "#,##0",
    "mvnd1": "#,##0.0",
    "rate": "0.0%",
    "pp": "0.00",
    "months": "0.0",
    "int": "#,##0",
    "year": "0",
    "num": "#,##0.###",
    "text": "@",
}
"""Kind of column → Excel number format (separators follow the reader's locale)."""

FORMULA_START = ("=", "+", "-", "@")
DEMO_LABEL = "DEMO"
"""As :data:`helpers.data.dataset.DEMO_LABEL` (not imported: that module loads pandas, which
a worker making workbooks does not otherwise need)."""
HEADER_FILL = PatternFill("solid", fgColor="DCE6F0")
DEMO_FILL = PatternFill("solid", fgColor="FCE4D6")


def f(msg: str, lang: str, **values: object) -> str:
    """A text of the ``formats`` catalog."""
    return tr(f"formats.{msg}", lang, **values)


def word(key: str, lang: str) -> str:
    """A key's name from the ``common`` catalog (capital types, sources), else the key."""
    return tr(f"common.{key}", lang) if has_text(f"common.{key}", lang) else str(key)


@dataclass
class Column:
    header: str
    kind: str = "text"
    width: float | None = None


@dataclass
class Sheet:
    """One table sheet: a title (the tab), what it holds (the about sheet), columns, rows."""

    title: str
    what: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    row_kinds: bool = False
    """Each row ends with the kind of its values (an item sheet: one item per row)."""


def write_text(cell: Cell, value: str) -> None:
    """Text stored as text: never a formula, whatever it begins with."""
    cell.value = value
    cell.data_type = "s"
    if value.startswith(FORMULA_START):
        cell.quotePrefix = True


def put(ws: Worksheet, row: int, col: int, value: Any, kind: str = "text") -> Cell:
    """Write one value: numbers as numbers with the column's format, text as text."""
    cell = ws.cell(row=row, column=col)
    if value is None:
        return cell
    if isinstance(value, bool):
        write_text(cell, str(value))
    elif isinstance(value, int | float) and kind != "text":
        cell.value = value
        cell.number_format = FORMATS.get(kind, "General")
    else:
        write_text(cell, str(value))
    return cell


# ------------------------------------------------------------------------------ sheets
def cutoff_dates(lang: str) -> dict[str, str]:
    """The cut-offs as the headers name them (31/12, 31/01; 31 Dec, 31 Jan)."""
    return {
        "dec31": day_month(dt.date(2025, 12, 31), lang),
        "deadline": day_month(dt.date(2025, 1, 31), lang),
    }


def years_sheet(m: Metrics, lang: str) -> Sheet:
    d = cutoff_dates(lang)
    cols = [
        Column(f("col_year", lang), "year", 12),
        Column(f("col_allocated", lang), "mvnd"),
        Column(f("col_disbursed_by", lang, date=d["dec31"]), "mvnd"),
        Column(f("col_disbursed_by", lang, date=d["deadline"]), "mvnd"),
        Column(f("col_disbursed_last", lang), "mvnd"),
        Column(f("col_rate_by", lang, date=d["dec31"]), "rate"),
        Column(f("col_rate_by", lang, date=d["deadline"]), "rate"),
        Column(f("col_rate_last", lang), "rate"),
        Column(f("col_status", lang), "text", 16),
    ]
    rows = [
        [
            r.plan_year,
            r.allocated_mvnd,
            r.disbursed_dec31_mvnd,
            r.disbursed_deadline_mvnd,
            r.disbursed_last_mvnd,
            r.execution_rate_dec31,
            r.execution_rate_deadline,
            r.execution_rate_last,
            f(f"status_{r.status}", lang),
        ]
        for r in m.by_year
    ]
    rows.append(
        [
            tr("brief.col_total", lang),
            m.allocated_mvnd,
            m.disbursed_dec31_mvnd,
            m.disbursed_deadline_mvnd,
            m.disbursed_mvnd,
            m.execution_rate_dec31,
            m.execution_rate_deadline,
            m.execution_rate_last,
            None,
        ]
    )
    what = f("sh_years_what", lang, dec31=d["dec31"], deadline=d["deadline"])
    return Sheet(f("sh_years", lang), what, cols, rows)


def types_sheet(m: Metrics, lang: str) -> Sheet:
    d = cutoff_dates(lang)
    cols = [
        Column(f("col_capital_type", lang), "text", 18),
        Column(f("col_source", lang), "text", 18),
        Column(f("col_allocated", lang), "mvnd"),
        Column(f("col_disbursed", lang), "mvnd"),
        Column(f("col_disbursed_by", lang, date=d["deadline"]), "mvnd"),
        Column(f("col_rate_last", lang), "rate"),
    ]
    rows: list[list[Any]] = []
    everything = tr("brief.col_total", lang)
    for ctype, a in m.by_capital_type.items():
        rows.append(
            [
                word(ctype, lang),
                everything,
                a.allocated_mvnd,
                a.disbursed_mvnd,
                a.disbursed_deadline_mvnd,
                a.execution_rate,
            ]
        )
        for source, s in (a.by_source or {}).items():
            rows.append(
                [
                    word(ctype, lang),
                    word(source, lang),
                    s.allocated_mvnd,
                    s.disbursed_mvnd,
                    s.disbursed_deadline_mvnd,
                    s.execution_rate,
                ]
            )
    for source, s in m.by_source.items():
        rows.append(
            [
                everything,
                word(source, lang),
                s.allocated_mvnd,
                s.disbursed_mvnd,
                s.disbursed_deadline_mvnd,
                s.execution_rate,
            ]
        )
    return Sheet(f("sh_types", lang), f("sh_types_what", lang), cols, rows)


def item_columns(lang: str) -> list[Column]:
    return [Column(f("col_item", lang), "text", 60), Column(f("col_value", lang), "num", 18)]


def projects_sheet(m: Metrics, lang: str) -> Sheet | None:
    if not m.by_project:
        return None
    d = cutoff_dates(lang)
    cols = [
        Column(f("col_project", lang), "text", 12),
        Column(f("col_subproject", lang), "text", 14),
        Column(f("col_name", lang), "text", 48),
        Column(f("col_lines", lang), "int", 10),
        Column(f("col_allocated", lang), "mvnd"),
        Column(f("col_disbursed_by", lang, date=d["dec31"]), "mvnd"),
        Column(f("col_disbursed_by", lang, date=d["deadline"]), "mvnd"),
        Column(f("col_disbursed_last", lang), "mvnd"),
        Column(f("col_rate_by", lang, date=d["deadline"]), "rate"),
        Column(f("col_rate_last", lang), "rate"),
    ]
    rows = [
        [
            r.project_code,
            r.subproject_code,
            getattr(r, f"name_{lang}") or r.name_vi,
            r.n_lines,
            r.allocated_mvnd,
            r.disbursed_dec31_mvnd,
            r.disbursed_deadline_mvnd,
            r.disbursed_last_mvnd,
            r.execution_rate_deadline,
            r.execution_rate_last,
        ]
        for r in m.by_project
    ]
    return Sheet(f("sh_projects", lang), f("sh_projects_what", lang), cols, rows)


def carry_sheet(m: Metrics, lang: str) -> Sheet:
    rows: list[list[Any]] = [
        [f("it_carried", lang), m.carried_over_mvnd, "mvnd"],
        [f("it_carried_disbursed", lang), m.carried_over_disbursed_mvnd, "mvnd"],
        [f("it_carried_share", lang), m.carried_over_disbursed_share, "rate"],
        [f("it_carried_open", lang), m.carried_over_open_mvnd, "mvnd"],
        [f("it_lapsed", lang), m.lapsed_mvnd, "mvnd"],
        [f("it_q4", lang), m.q4_share, "rate"],
        [f("it_decjan", lang), m.dec_jan_share, "rate"],
    ]
    for key, value in (m.carry_over_by_law or {}).items():
        kind = "rate" if "share" in key else "mvnd"
        rows.append([f("it_law", lang, key=key), value, kind])
    for key, n in (m.line_status_at_last_report or {}).items():
        rows.append([f("it_lines_status", lang, key=key), n, "int"])
    return Sheet(f("sh_carry", lang), f("sh_carry_what", lang), item_columns(lang), rows, True)


def ranking_sheet(m: Metrics, lang: str) -> Sheet | None:
    if not m.district_ranking:
        return None
    d = cutoff_dates(lang)
    cols = [
        Column(f("col_rank", lang), "int", 10),
        Column(f("col_unit_code", lang), "text", 10),
        Column(f("col_unit_name", lang), "text", 22),
        Column(f("col_level", lang), "text", 10),
        Column(f("col_rate_by", lang, date=d["deadline"]), "rate"),
        Column(f("col_adjusted", lang), "rate"),
        Column(f("col_ci_low", lang), "rate"),
        Column(f("col_ci_high", lang), "rate"),
        Column(f("col_adj_rank", lang), "int"),
        Column(f("col_months50", lang), "months"),
        Column(f("col_ci_low", lang), "months"),
        Column(f("col_ci_high", lang), "months"),
        Column(f("col_lines_timed", lang), "int"),
    ]
    rows = [
        [
            r.rank,
            r.unit_code,
            getattr(r, f"name_{lang}") or r.name_vi,
            r.level,
            r.execution_rate,
            r.adjusted_rate,
            r.adjusted_ci_low,
            r.adjusted_ci_high,
            r.adjusted_rank,
            r.median_months_to_50,
            r.median_months_to_50_ci_low,
            r.median_months_to_50_ci_high,
            r.n_lines_timed,
        ]
        for r in m.district_ranking
    ]
    return Sheet(f("sh_ranking", lang), f("sh_ranking_what", lang), cols, rows)


def targets_sheet(m: Metrics, lang: str) -> Sheet | None:
    if not m.target_scorecard:
        return None
    cols = [
        Column(f("col_indicator_code", lang), "text", 20),
        Column(f("col_indicator", lang), "text", 44),
        Column(f("col_unit", lang), "text", 10),
        Column(f("col_baseline", lang), "num"),
        Column(f("col_target", lang), "num"),
        Column(f("col_latest", lang), "num"),
        Column(f("col_latest_year", lang), "year"),
        Column(f("col_progress", lang), "rate"),
        Column(f("col_status", lang), "text", 16),
    ]
    rows = [
        [
            r.indicator_code,
            getattr(r, f"name_{lang}") or r.name_vi,
            r.unit,
            r.baseline_value,
            r.target_value,
            r.latest_value,
            r.latest_year,
            r.progress_ratio,
            tr(f"brief.st_{r.status}", lang)
            if has_text(f"brief.st_{r.status}", lang)
            else r.status,
        ]
        for r in m.target_scorecard
    ]
    return Sheet(f("sh_targets", lang), f("sh_targets_what", lang), cols, rows)


def lag_sheet(lag: Lag, lang: str) -> Sheet:
    cols = [
        Column(f("col_item", lang), "text", 70),
        Column(f("col_estimate", lang), "num", 16),
        Column(f("col_ci_low", lang), "num", 16),
        Column(f("col_ci_high", lang), "num", 16),
    ]
    te, tw = lag.timing_effect_pp_per_month, lag.timing_effect_pp_per_month_weighted
    m50 = lag.months_to_share.get("50pct", {})
    m90 = lag.months_to_share.get("90pct", {})
    cf, feas = lag.counterfactual, lag.counterfactual_feasible
    rows: list[list[Any]] = [
        [f("it_lines", lang), lag.n_lines, None, None, "int"],
        [f("it_ci_level", lang), lag.ci_level, None, None, "rate"],
        [f("it_timing", lang), te.estimate, te.ci_low, te.ci_high, "pp"],
    ]
    if tw is not None:
        rows.append([f("it_timing_w", lang), tw.estimate, tw.ci_low, tw.ci_high, "pp"])
    rows += [
        [
            f("it_months50", lang),
            m50.get("estimate"),
            m50.get("ci_low"),
            m50.get("ci_high"),
            "months",
        ],
        [
            f("it_months90", lang),
            m90.get("estimate"),
            m90.get("ci_low"),
            m90.get("ci_high"),
            "months",
        ],
        [f("it_cf", lang, date=cf.date), cf.gain_mvnd, cf.ci_low, cf.ci_high, "mvnd"],
    ]
    if cf.ci_low_bootstrap is not None:
        rows.append(
            [f("it_cf_boot", lang), cf.gain_mvnd, cf.ci_low_bootstrap, cf.ci_high_bootstrap, "mvnd"]
        )
    if feas is not None:
        rows.append([f("it_cf_feasible", lang), feas.gain_mvnd, feas.ci_low, feas.ci_high, "mvnd"])
    return Sheet(f("sh_lag", lang), f("sh_lag_what", lang), cols, rows, True)


def cf_years_sheet(lag: Lag, lang: str) -> Sheet | None:
    years = lag.counterfactual.by_year
    if not years:
        return None
    keys = [
        ("plan_year", "col_year", "text"),
        ("n_lines", "col_lines", "int"),
        ("n_lines_moved", "col_lines_moved", "int"),
        ("mean_months_gained", "col_months_gained", "months"),
        ("allocated_mvnd", "col_allocated", "mvnd"),
        ("observed_deadline_mvnd", "col_observed", "mvnd"),
        ("counterfactual_deadline_mvnd", "col_cf_deadline", "mvnd"),
        ("gain_mvnd", "col_gain", "mvnd"),
        ("ci_low", "col_gain_low", "mvnd"),
        ("ci_high", "col_gain_high", "mvnd"),
    ]
    cols = [Column(f(h, lang), kind) for _, h, kind in keys]
    rows = [[row.get(k) for k, _, _ in keys] for row in years]
    return Sheet(f("sh_cf_years", lang), f("sh_cf_years_what", lang), cols, rows)


def committee_sheet(m: Metrics, lang: str) -> Sheet | None:
    if not m.committee_rates:
        return None
    cols = [
        Column(f("col_convention", lang), "text", 22),
        Column(f("col_period", lang), "text", 14),
        Column(f("col_as_of", lang), "text", 14),
        Column(f("col_capital_type", lang), "text", 16),
        Column(f("col_allocated", lang), "mvnd"),
        Column(f("col_disbursed", lang), "mvnd"),
        Column(f("col_rate", lang), "rate"),
    ]
    rows: list[list[Any]] = []
    everything = tr("brief.col_total", lang)
    for c in m.committee_rates:
        rows.append(
            [
                c.convention,
                c.period,
                c.as_of,
                everything,
                c.allocated_mvnd,
                c.disbursed_mvnd,
                c.rate,
            ]
        )
        for ctype, part in c.by_capital_type.items():
            rows.append(
                [
                    c.convention,
                    c.period,
                    c.as_of,
                    word(ctype, lang),
                    part.allocated_mvnd,
                    part.disbursed_mvnd,
                    part.rate,
                ]
            )
    return Sheet(f("sh_committee", lang), f("sh_committee_what", lang), cols, rows)


def published_sheet(m: Metrics, lang: str) -> Sheet | None:
    if not m.published_comparison:
        return None
    cols = [
        Column(f("col_measure", lang), "text", 26),
        Column(f("col_period", lang), "text", 14),
        Column(f("col_as_of", lang), "text", 12),
        Column(f("col_published", lang), "num"),
        Column(f("col_published_unit", lang), "text", 14),
        Column(f("col_dataset", lang), "num"),
        Column(f("col_qualifier", lang), "text", 12),
        Column(f("col_sources", lang), "text", 14),
        Column(f("col_matches", lang), "text", 10),
        Column(f("col_url", lang), "text", 50),
    ]
    yes, no = f("yes", lang), f("no", lang)
    rows = [
        [
            p.measure,
            p.period,
            p.as_of,
            p.published,
            p.unit,
            p.dataset,
            p.qualifier,
            p.sources,
            None if p.matches is None else (yes if p.matches else no),
            p.url,
        ]
        for p in m.published_comparison
    ]
    return Sheet(f("sh_published", lang), f("sh_published_what", lang), cols, rows)


def outlook_sheet(outlook: dict[str, Any], lang: str) -> Sheet:
    """The outlook step's results, whatever their shape: its scalar numbers as items, then
    each list of records as a block (the keys as headers, the catalog's words when it has
    ``formats.col_<key>``)."""
    cols = [Column(f("col_key", lang), "text", 40)] + [Column("", "num", 16) for _ in range(8)]
    rows: list[list[Any]] = []

    def label(key: str) -> str:
        return f(f"col_{key}", lang) if has_text(f"formats.col_{key}", lang) else key

    def walk(prefix: str, obj: Any) -> None:
        if isinstance(obj, dict):
            for k, v in obj.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(obj, list) and obj and all(isinstance(x, dict) for x in obj):
            keys = list(dict.fromkeys(k for x in obj for k in x))
            rows.append([prefix] + [label(k) for k in keys])
            for x in obj:
                rows.append([""] + [scalar(x.get(k)) for k in keys])
        elif isinstance(obj, list):
            rows.append([prefix] + [scalar(x) for x in obj])
        else:
            rows.append([prefix, scalar(obj)])

    def scalar(v: Any) -> Any:
        return v if v is None or isinstance(v, int | float | str) else json.dumps(v)

    walk("", outlook)
    width = max((len(r) for r in rows), default=2)
    cols = cols[:width] + [Column("", "num", 16) for _ in range(width - len(cols))]
    return Sheet(f("sh_outlook", lang), f("sh_outlook_what", lang), cols, rows)


# ------------------------------------------------------------------------------ writing
def table_sheets(
    m: Metrics, lag: Lag, lang: str, outlook: dict[str, Any] | None = None
) -> list[Sheet]:
    """The table sheets, in order; a sheet with nothing to show is left out."""
    makers: Sequence[Callable[[], Sheet | None]] = (
        lambda: years_sheet(m, lang),
        lambda: types_sheet(m, lang),
        lambda: projects_sheet(m, lang),
        lambda: carry_sheet(m, lang),
        lambda: ranking_sheet(m, lang),
        lambda: targets_sheet(m, lang),
        lambda: lag_sheet(lag, lang),
        lambda: cf_years_sheet(lag, lang),
        lambda: committee_sheet(m, lang),
        lambda: published_sheet(m, lang),
        lambda: outlook_sheet(outlook, lang) if outlook else None,
    )
    return [s for s in (make() for make in makers) if s is not None]


def sheet_title(text: str) -> str:
    """A valid sheet name: at most 31 characters, none of ``[]:*?/\\``."""
    for ch in "[]:*?/\\":
        text = text.replace(ch, " ")
    return text[:31]


def write_table(ws: Worksheet, sheet: Sheet, demo: bool, lang: str) -> None:
    """Header row (frozen), rows (numbers as numbers), column widths; DEMO above on demo data."""
    top = 1
    if demo:
        write_text(ws.cell(row=1, column=1), f("demo_sheet", lang))
        ws.cell(row=1, column=1).font = Font(bold=True, color="9C0006")
        ws.cell(row=1, column=1).fill = DEMO_FILL
        top = 2
    for j, col in enumerate(sheet.columns, start=1):
        cell = ws.cell(row=top, column=j)
        write_text(cell, col.header)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for i, row in enumerate(sheet.rows, start=top + 1):
        kind_of_row = row[-1] if sheet.row_kinds else None
        values = row[:-1] if kind_of_row else row
        for j, value in enumerate(values, start=1):
            kind = sheet.columns[j - 1].kind if j <= len(sheet.columns) else "num"
            if kind_of_row and j > 1:
                kind = kind_of_row
            put(ws, i, j, value, kind)
    ws.freeze_panes = ws.cell(row=top + 1, column=1)
    for j, col in enumerate(sheet.columns, start=1):
        width = col.width or min(max(12.0, len(col.header) * 0.55 + 2), 28.0)
        ws.column_dimensions[get_column_letter(j)].width = width
    ws.row_dimensions[top].height = 45


def write_about(
    ws: Worksheet,
    m: Metrics,
    title: str,
    lang: str,
    sheets: list[Sheet],
    inputs: dict[str, str],
    demo: bool,
) -> None:
    ws.title = sheet_title(f("about", lang))
    row = 1
    write_text(ws.cell(row=row, column=1), f("about_title", lang, title=title))
    ws.cell(row=row, column=1).font = Font(bold=True, size=14)
    row += 1
    if demo:
        cell = ws.cell(row=row, column=1)
        write_text(cell, f("demo_sheet", lang))
        cell.font = Font(bold=True, color="9C0006")
        cell.fill = DEMO_FILL
        row += 1
    write_text(ws.cell(row=row, column=1), f("about_intro", lang))
    row += 2
    for j, key in enumerate(("about_sheet", "about_what"), start=1):
        write_text(ws.cell(row=row, column=j), f(key, lang))
        ws.cell(row=row, column=j).font = Font(bold=True)
        ws.cell(row=row, column=j).fill = HEADER_FILL
    row += 1
    for s in sheets:
        write_text(ws.cell(row=row, column=1), s.title)
        write_text(ws.cell(row=row, column=2), s.what)
        row += 1
    row += 1
    write_text(ws.cell(row=row, column=1), f("about_provenance", lang))
    ws.cell(row=row, column=1).font = Font(bold=True)
    row += 1
    prov = [
        (f("pv_source", lang), m.data_origin),
        (f("pv_sha", lang, sha=tr("names.sha", lang)), m.data_sha256),
        (f("pv_as_of", lang), fmt_date(m.as_of, lang)),
        (f("pv_inputs", lang), "; ".join(f"{k} ({v})" for k, v in inputs.items())),
        (f("pv_made", lang), dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()),
        (f("pv_version", lang), f"mtqg-workbench {__version__}"),
        (f("pv_commit", lang), git_commit() or "–"),
    ]
    for label, value in prov:
        write_text(ws.cell(row=row, column=1), label)
        write_text(ws.cell(row=row, column=2), str(value))
        row += 1
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 110
    for r in ws.iter_rows(min_row=1, max_row=row, max_col=2):
        for cell in r:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def build_workbook(
    metrics: Metrics,
    lag: Lag,
    lang: str,
    outlook: dict[str, Any] | None = None,
    inputs: dict[str, str] | None = None,
    title: str = "",
) -> Workbook:
    """The annex workbook of one scope in ``lang`` (in memory)."""
    demo = bool(metrics.demo or lag.demo)
    sheets = table_sheets(metrics, lag, lang, outlook)
    wb = Workbook()
    name = getattr(metrics, f"scope_name_{lang}") or metrics.scope_name_vi or metrics.unit_code
    write_about(wb.active, metrics, title or name, lang, sheets, inputs or {}, demo)
    used = {wb.active.title}
    for s in sheets:
        t = sheet_title(s.title)
        while t in used:
            t = sheet_title(t[:28] + "_")
        used.add(t)
        s.title = t
        write_table(wb.create_sheet(t), s, demo, lang)
    wb.properties.title = f"{DEMO_LABEL} – {title or name}" if demo else (title or name)
    wb.properties.creator = f"mtqg-workbench {__version__}"
    return wb


def read_outlook(folder: Path | None) -> dict[str, Any] | None:
    """``outlook.json`` of the outlook step when it exists (None otherwise)."""
    if folder is None:
        return None
    path = folder / OUTLOOK_NAME
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {"outlook": data}


def write_workbook(
    assessment_dir: Path,
    lag_dir: Path,
    out_dir: Path,
    lang: str,
    outlook_dir: Path | None = None,
) -> Path:
    """Write ``tables.<lang>.xlsx`` into ``out_dir`` (atomically) and return its path."""
    m_path, l_path = assessment_dir / "metrics.json", lag_dir / "lag.json"
    metrics, lag = Metrics.read(m_path), Lag.read(l_path)
    outlook = read_outlook(outlook_dir)
    files = [m_path, l_path] + ([outlook_dir / OUTLOOK_NAME] if outlook and outlook_dir else [])
    inputs = {p.name: "SHA-256 " + hashlib.sha256(p.read_bytes()).hexdigest()[:16] for p in files}
    wb = build_workbook(metrics, lag, lang, outlook, inputs)
    buf = io.BytesIO()
    wb.save(buf)
    return atomic_write_bytes(out_dir / WORKBOOK_NAME.format(lang=lang), buf.getvalue())
