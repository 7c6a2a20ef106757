"""The one schema of the workbench: every table of ``design/data-model.md``, declared once.

Each column is declared here with its kind, unit, whether it is required in an input file,
whether it may be empty, and what it means (PUDL's ``fields.py`` idea). Everything else derives
from these declarations:

* :func:`helpers.data.contract.pandera_schema` builds the pandera ``DataFrameSchema`` that is
  the contract at the boundary: the intake module validates with it, tests and notebooks may
  too (:func:`helpers.data.contract.empty_frame`: a frame of no rows with those dtypes);
* :mod:`helpers.data.intake` parses raw cells according to :attr:`Column.kind`
  (:mod:`helpers.data.cells`) and reports problems with the file, row and column;
* :mod:`helpers.data.template` writes the Excel header rows, drop-downs and number formats;
* :mod:`helpers.data.demo` writes frames with exactly these columns.

No other module re-states the list of columns of a table: it asks :data:`TABLES`.

Why pandera: it is a maintained, widely used DataFrame validation library whose schemas are
plain Python objects (so they can be generated from these declarations), it validates pandas
dtypes, nullability, uniqueness and value checks in one lazy pass and returns every failure
with its row index, which the intake maps back to the user's row numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

Kind = Literal["code", "text", "int", "amount", "number", "date", "bool", "enum"]

CAPITAL_TYPES: tuple[str, ...] = ("investment", "recurrent")
"""vốn đầu tư phát triển (investment, Law on Public Investment) / vốn sự nghiệp (recurrent)."""

SOURCES: tuple[str, ...] = ("central", "local", "credit", "other")
"""ngân sách trung ương / địa phương đối ứng / tín dụng chính sách / huy động khác."""

LEVELS: tuple[str, ...] = ("province", "district", "commune")
DIRECTIONS: tuple[str, ...] = ("higher_better", "lower_better")

BASELINE_YEAR = 2020
"""Baseline year of the target indicators (phase I of the program)."""
TARGET_YEAR = 2025
"""Target year of the phase I indicators."""

REFORM_DATE = pd.Timestamp("2025-07-01")
"""The two-tier local government reform: districts abolished, communes merged (Resolution
1657/NQ-UBTVQH15 for Cao Bằng). A commune-level unit whose validity ends the day before has a
successor (table ``successions``)."""

PLAN_YEAR_MIN = 2021
PLAN_YEAR_MAX = 2030

LINE_KEY: tuple[str, ...] = (
    "plan_year",
    "unit_code",
    "project_code",
    "subproject_code",
    "capital_type",
    "source",
)
"""The columns that identify one plan line (allocations) and key its snapshots."""


@dataclass(frozen=True)
class Column:
    """One column of one table."""

    name: str
    kind: Kind
    description: str
    unit: str | None = None
    required: bool = True
    """The column must be present in an input file (it may still be empty if nullable)."""
    nullable: bool = False
    allowed: tuple[str, ...] | None = None
    """For ``enum`` columns: the canonical values."""
    min_value: float | None = None
    max_value: float | None = None
    free_text: bool = False
    """Text that may span lines and run to :data:`FREE_TEXT_MAX` characters (notes, quotes)."""
    same_magnitude: bool = False
    """Values of one magnitude (plan-line amounts): an ambiguous number text ("23.480") whose
    reading is a thousand times off the column's other values is refused, not guessed."""

    @property
    def max_length(self) -> int:
        """Longest text a cell of this column may hold (code, one-line text, free text)."""
        if self.free_text:
            return FREE_TEXT_MAX
        return CODE_MAX if self.kind == "code" else TEXT_MAX


CODE_MAX = 64
"""Longest code (unit, project, source id, indicator, key)."""
TEXT_MAX = 300
"""Longest one-line text: a name or a title (a longer "name" is a pasted paragraph or worse)."""
FREE_TEXT_MAX = 2000
"""Longest free text (a note, a quote)."""
AMOUNT_MAX = 1e9
"""Largest amount in million VND (10^15 VND, several times the whole program): a larger cell
is a typing or unit error, and would overflow the sums."""


@dataclass(frozen=True)
class Table:
    """One table: its columns, its key and whether users supply it."""

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    input: bool = True
    """Users may supply this table (a CSV file or a sheet of this name)."""
    reference: bool = False
    """Shipped with the package; an input that omits it uses the shipped copy."""
    optional: bool = False
    """An input may omit it even though it is not shipped."""
    derived: tuple[Column, ...] = field(default_factory=tuple)
    """Columns the loader adds after validation (never in input files)."""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns + self.derived:
            if c.name == name:
                return c
        raise KeyError(f"table {self.name} has no column {name}")


_SOURCE_ID = Column("source_id", "code", "Row of `sources` that backs this row.")
_OPTIONAL_SOURCE_ID = Column(
    "source_id", "code", "Row of `sources` that backs this row.", required=False, nullable=True
)

UNITS = Table(
    "units",
    "Administrative units (province, district, commune), with their validity dates.",
    (
        Column(
            "unit_code",
            "code",
            "Stable code: official GSO code where known, else a slug. A unit created on the "
            "1 July 2025 reform keeps the GSO code of a commune it absorbed, so the shipped "
            "tables write it N + its GSO code.",
        ),
        Column(
            "gso_code",
            "code",
            "Official GSO code, when it differs from unit_code or to state it.",
            required=False,
            nullable=True,
        ),
        Column("name_vi", "text", "Vietnamese display name with diacritics, NFC."),
        Column("name_en", "text", "ASCII / English display name."),
        Column("level", "enum", "Administrative level.", allowed=LEVELS),
        Column(
            "unit_type",
            "text",
            "Type word of the name: Xã, Phường, Thị trấn, Huyện, Thành phố, …",
            required=False,
            nullable=True,
        ),
        Column(
            "parent_code",
            "code",
            "Parent unit: the province for districts and for units created on 1 July 2025, "
            "the district for former communes.",
            nullable=True,
        ),
        Column(
            "valid_from",
            "date",
            "First day the unit existed (empty: before the data).",
            required=False,
            nullable=True,
        ),
        Column(
            "valid_to",
            "date",
            "Last day the unit existed (empty: still exists).",
            required=False,
            nullable=True,
        ),
        Column(
            "extremely_difficult",
            "bool",
            "xã đặc biệt khó khăn (communes).",
            required=False,
            nullable=True,
        ),
        _OPTIONAL_SOURCE_ID,
    ),
    key=("unit_code",),
    reference=True,
)

PROGRAM_COMPONENTS = Table(
    "program_components",
    "The program's projects (DA1..DA10) and sub-projects (e.g. DA3.TDA2).",
    (
        Column("project_code", "code", "Project code DA1..DA10."),
        Column(
            "subproject_code",
            "code",
            "Sub-project code, empty on the project's own row.",
            nullable=True,
        ),
        Column("name_vi", "text", "Vietnamese name."),
        Column("name_en", "text", "English name."),
        _OPTIONAL_SOURCE_ID,
    ),
    key=("project_code", "subproject_code"),
    reference=True,
)

_LINE_COLUMNS = (
    Column(
        "plan_year",
        "int",
        "Year of the capital plan (the vintage).",
        min_value=PLAN_YEAR_MIN,
        max_value=PLAN_YEAR_MAX,
    ),
    Column("unit_code", "code", "Implementing unit (code, or a name the loader resolves)."),
    Column("project_code", "code", "Project code from program_components."),
    Column(
        "subproject_code",
        "code",
        "Sub-project code from program_components, or empty.",
        nullable=True,
    ),
    Column(
        "capital_type",
        "enum",
        "investment (đầu tư phát triển) or recurrent (sự nghiệp).",
        allowed=CAPITAL_TYPES,
    ),
    Column("source", "enum", "central, local, credit or other.", allowed=SOURCES),
)

_LINE_ID = Column(
    "line_id",
    "code",
    "Derived: the plan-line key joined with '|' (subproject '-' when empty); one per line.",
)

ALLOCATIONS = Table(
    "allocations",
    "Capital assigned: one row per plan line.",
    _LINE_COLUMNS
    + (
        Column(
            "amount_mvnd",
            "amount",
            "Capital assigned to the line.",
            unit="million VND",
            min_value=0,
            max_value=AMOUNT_MAX,
            same_magnitude=True,
        ),
        Column("decision_date", "date", "When the line was assigned to the implementing unit."),
        Column(
            "decision_ref",
            "text",
            "Decision reference, e.g. 'Quyết định số …/QĐ-UBND'.",
            required=False,
            nullable=True,
        ),
        Column(
            "extended_until",
            "date",
            "Empty: regular deadline 31 Jan of plan_year + 1; a date: extended to it.",
            required=False,
            nullable=True,
        ),
        Column(
            "approved_mvnd",
            "amount",
            "The line's amount in the originally approved plan, when it differs from the final "
            "amount after in-year reallocations; empty: the original is the amount. The baseline "
            "of the PEFA-style credibility grades.",
            unit="million VND",
            required=False,
            nullable=True,
            min_value=0,
            max_value=AMOUNT_MAX,
        ),
        Column(
            "note",
            "text",
            "Free text; kept, never interpreted.",
            required=False,
            nullable=True,
            free_text=True,
        ),
    ),
    key=LINE_KEY,
    derived=(_LINE_ID,),
)

DISBURSEMENTS = Table(
    "disbursements",
    "Cumulative disbursement snapshots of plan lines.",
    (Column("report_date", "date", "Date of the report (month end or any report date)."),)
    + _LINE_COLUMNS
    + (
        Column(
            "disbursed_cum_mvnd",
            "amount",
            "Cumulative disbursed as of report_date.",
            unit="million VND",
            min_value=0,
            max_value=AMOUNT_MAX,
        ),
        Column(
            "note",
            "text",
            "Free text; kept, never interpreted.",
            required=False,
            nullable=True,
            free_text=True,
        ),
    ),
    key=("report_date",) + LINE_KEY,
    derived=(_LINE_ID,),
)

TARGETS = Table(
    "targets",
    "Target indicators per unit: baseline (2020), target (2025) and actual values by year. "
    "Optional 2030 target (2026–2030 outlook).",
    (
        Column("indicator_code", "code", "Stable indicator code."),
        Column("name_vi", "text", "Vietnamese name of the indicator."),
        Column("name_en", "text", "English name of the indicator."),
        Column("unit", "text", "Unit of the values (%, households, km, …)."),
        Column("direction", "enum", "higher_better or lower_better.", allowed=DIRECTIONS),
        Column("unit_code", "code", "Unit the values belong to (province or district)."),
        Column("baseline_value", "number", "Value in the baseline year (2020).", nullable=True),
        Column("target_value", "number", "Value to reach by the target year (2025)."),
        Column("year", "int", "Year of actual_value.", min_value=2000, max_value=2100),
        Column(
            "actual_value", "number", "Observed value in `year`; empty: no data.", nullable=True
        ),
        # the 2030 targets of the outlook (notebook 04)
        Column(
            "target_2030_value",
            "number",
            "Value to reach by 2030 (the 2026–2030 period); empty: no 2030 target ('no data').",
            required=False,
            nullable=True,
        ),
        Column(
            "target_2030_source_id",
            "code",
            "Row of `sources` that backs the 2030 target (a published goal); empty: user-supplied.",
            required=False,
            nullable=True,
        ),
        Column(
            "note",
            "text",
            "Free text; kept, never interpreted.",
            required=False,
            nullable=True,
            free_text=True,
        ),
    ),
    key=("indicator_code", "unit_code", "year"),
    optional=True,
)

OUTLOOK_YEARS: tuple[int, ...] = (2026, 2027, 2028, 2029, 2030)
"""The years of the 2026–2030 outlook (notebook 04)."""

PLAN_2026_2030 = Table(
    "plan_2026_2030",
    "Optional: the capital planned for 2026–2030 per year, unit, capital type and source "
    "(the outlook's input; without it the outlook states its assumption).",
    (
        Column(
            "plan_year",
            "int",
            "Year of the plan (2026–2030).",
            min_value=OUTLOOK_YEARS[0],
            max_value=OUTLOOK_YEARS[-1],
        ),
        Column(
            "unit_code",
            "code",
            "Unit the capital is planned for (the province or a unit existing today).",
        ),
        Column(
            "capital_type",
            "enum",
            "investment (đầu tư phát triển) or recurrent (sự nghiệp).",
            allowed=CAPITAL_TYPES,
        ),
        Column("source", "enum", "central, local, credit or other.", allowed=SOURCES),
        Column(
            "amount_mvnd",
            "amount",
            "Capital planned.",
            unit="million VND",
            min_value=0,
            max_value=AMOUNT_MAX,
        ),
        Column(
            "note",
            "text",
            "Free text; kept, never interpreted.",
            required=False,
            nullable=True,
            free_text=True,
        ),
        _OPTIONAL_SOURCE_ID,
    ),
    key=("plan_year", "unit_code", "capital_type", "source"),
    optional=True,
)

SOURCES_TABLE = Table(
    "sources",
    "Provenance of every public figure and reference row.",
    (
        Column("source_id", "code", "Stable identifier."),
        Column("title", "text", "Title of the document or page."),
        Column("publisher", "text", "Who published it.", nullable=True),
        Column("date", "date", "Publication date.", nullable=True),
        Column("url", "text", "Address, when known.", nullable=True, free_text=True),
        Column(
            "quote", "text", "The sentence the figure comes from.", nullable=True, free_text=True
        ),
        Column(
            "confidence",
            "enum",
            "confirmed in a public source, or unconfirmed.",
            allowed=("confirmed", "unconfirmed"),
            required=False,
            nullable=True,
        ),
    ),
    key=("source_id",),
    reference=True,
)

METADATA = Table(
    "metadata",
    "Key/value facts about the dataset (e.g. demo=true, generator, seed, province).",
    (
        Column("key", "code", "Name of the fact."),
        Column("value", "text", "Its value.", nullable=True),
    ),
    key=("key",),
    optional=True,
)

TARGET_INDICATORS = Table(
    "target_indicators",
    "Reference: the program's 2025 target indicators (national definitions).",
    (
        Column("indicator_code", "code", "Stable indicator code."),
        Column("name_vi", "text", "Vietnamese name."),
        Column("name_en", "text", "English name."),
        Column("unit", "text", "Unit."),
        Column("direction", "enum", "higher_better or lower_better.", allowed=DIRECTIONS),
        Column(
            "target_kind",
            "enum",
            "How national_target_value reads.",
            allowed=("level", "ratio_to_baseline", "change_pp_per_year", "pct_change_vs_baseline"),
        ),
        Column("national_target_value", "number", "The national 2025 target."),
        _SOURCE_ID,
        Column("note", "text", "Caveats.", nullable=True, free_text=True),
    ),
    key=("indicator_code",),
    input=False,
    reference=True,
)

PUBLIC_FIGURES = Table(
    "public_figures",
    "Reference: public figures about a province, each with its source.",
    (
        Column("figure_id", "code", "Stable identifier."),
        Column("unit_code", "code", "Unit the figure is about."),
        Column("description_vi", "text", "What the figure is, in Vietnamese.", free_text=True),
        Column("description_en", "text", "What the figure is, in English.", free_text=True),
        Column("value", "number", "The figure."),
        Column("unit", "text", "Unit of the figure (mvnd, %, count)."),
        Column("as_of", "date", "Date the figure refers to.", nullable=True),
        _SOURCE_ID,
        Column("note", "text", "Caveats.", nullable=True, free_text=True),
    ),
    key=("figure_id",),
    input=False,
    reference=True,
)

PUBLISHED_MEASURES: tuple[str, ...] = tuple(
    f"{what}_{part}"
    for what in ("allocated", "disbursed", "disbursement_rate")
    for part in ("total", "investment", "recurrent")
)

QUALIFIERS: tuple[str, ...] = ("exact", "at_least", "at_most", "about")
"""How a published figure is worded: as is, "more than", "nearly", "about"
(:mod:`helpers.data.published`)."""

PUBLISHED_FIGURES = Table(
    "published_figures",
    "Reference: figures on the program that provinces and ministries published, 2021–2025 "
    "(real, each with its page; a comparison panel, never DEMO).",
    (
        Column("figure_id", "code", "Stable identifier."),
        Column("province", "text", "Province (as published; NATIONAL and REGION rows too)."),
        Column("period", "text", "Period or plan year the figure covers, as published."),
        Column(
            "as_of", "date", "Cut-off the figure refers to; empty when none given.", nullable=True
        ),
        Column("measure", "enum", "What was measured.", allowed=PUBLISHED_MEASURES),
        Column("value", "number", "The figure."),
        Column(
            "unit", "enum", "Unit of the value.", allowed=("billion_vnd", "million_vnd", "percent")
        ),
        Column(
            "qualifier",
            "enum",
            'How the page words the figure: exact, at_least ("more than", "hơn"), at_most '
            '("nearly", "gần") or about ("about", "khoảng").',
            allowed=QUALIFIERS,
        ),
        Column(
            "scope_note",
            "text",
            "What the page says the figure covers (central only or all "
            "sources, with carry-over or not, cumulative or one year, post-merger).",
            nullable=True,
            free_text=True,
        ),
        _SOURCE_ID,
    ),
    key=("figure_id",),
    input=False,
    reference=True,
)

BLANKET_EXTENSIONS = Table(
    "blanket_extensions",
    "Extensions the National Assembly decided for whole plan years (applied to every line of "
    "those years, and capital type when given, by helpers.data.deadlines).",
    (
        Column("legal_basis", "code", "The decision, e.g. 'NQ111/2024/QH15'."),
        Column("plan_years", "text", "Plan years it covers, separated by ';' (e.g. '2022;2023')."),
        Column(
            "capital_type",
            "enum",
            "investment or recurrent; empty: both.",
            allowed=CAPITAL_TYPES,
            nullable=True,
        ),
        Column("new_deadline", "date", "Last day the capital may be disbursed."),
        _OPTIONAL_SOURCE_ID,
    ),
    key=("legal_basis", "plan_years", "capital_type"),
    optional=True,
)

SUCCESSIONS = Table(
    "successions",
    "Which unit took over each unit that ceased (e.g. the communes merged on 1 July 2025).",
    (
        Column("former_code", "code", "The unit that ceased (its unit_code)."),
        Column("new_code", "code", "The unit that took it over (its unit_code)."),
        Column("effective_date", "date", "First day of the new unit."),
        Column("legal_basis", "code", "The decision, e.g. '1657/NQ-UBTVQH15'."),
        Column(
            "clause",
            "code",
            "Article or clause of the decision.",
            required=False,
            nullable=True,
        ),
        _OPTIONAL_SOURCE_ID,
    ),
    key=("former_code",),
    reference=True,
)

NATIONAL_ENVELOPES = Table(
    "national_envelopes",
    "Reference: the program's national capital envelopes by period, capital type and source "
    "(the outlook's assumption when no 2026–2030 plan table is given).",
    (
        Column("envelope_id", "code", "Stable identifier."),
        Column("period", "text", "Period the envelope covers, e.g. '2026-2030'."),
        Column(
            "capital_type",
            "enum",
            "investment or recurrent; empty: both.",
            allowed=CAPITAL_TYPES,
            nullable=True,
        ),
        Column("source", "enum", "central, local, credit or other.", allowed=SOURCES),
        Column("amount_mvnd", "amount", "The envelope.", unit="million VND", min_value=0),
        _SOURCE_ID,
        Column("note", "text", "Caveats.", nullable=True, free_text=True),
    ),
    key=("envelope_id",),
    input=False,
    reference=True,
)

GOALS_2030 = Table(
    "goals_2030",
    "Reference: published 2030 goals of the program for indicators of the targets table "
    "(applied when the targets table gives no 2030 value of the same indicator).",
    (
        Column("indicator_code", "code", "Indicator code of the targets table."),
        Column(
            "target_kind",
            "enum",
            "How the goal reads: a level, or a change in % of the 2020 baseline.",
            allowed=("level", "pct_change_vs_baseline"),
        ),
        Column("value", "number", "The goal."),
        _SOURCE_ID,
        Column("note", "text", "Caveats.", nullable=True, free_text=True),
    ),
    key=("indicator_code",),
    input=False,
    reference=True,
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        UNITS,
        SUCCESSIONS,
        PROGRAM_COMPONENTS,
        ALLOCATIONS,
        DISBURSEMENTS,
        TARGETS,
        PLAN_2026_2030,
        SOURCES_TABLE,
        METADATA,
        BLANKET_EXTENSIONS,
        TARGET_INDICATORS,
        PUBLIC_FIGURES,
        PUBLISHED_FIGURES,
        NATIONAL_ENVELOPES,
        GOALS_2030,
    )
}
"""Every table by name."""

INPUT_TABLES: tuple[str, ...] = tuple(n for n, t in TABLES.items() if t.input)
"""Tables a user may supply, in the order files and sheets are read and written."""

REQUIRED_INPUT_TABLES: tuple[str, ...] = tuple(
    n for n, t in TABLES.items() if t.input and not t.reference and not t.optional
)
"""Tables an input must contain: allocations and disbursements."""


def line_ids(frame: pd.DataFrame) -> pd.Series:
    """The derived ``line_id`` of each row: the plan-line key joined with ``|``.

    An empty sub-project is written ``-`` so the id never contains an empty part.
    """
    parts = [frame["plan_year"].astype("int64").astype(str)]
    for col in LINE_KEY[1:]:
        s = frame[col].astype("string")
        parts.append(s.fillna("-") if col == "subproject_code" else s)
    out = parts[0].str.cat(parts[1:], sep="|")
    return out.astype("string")
