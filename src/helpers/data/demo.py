"""Seeded synthetic demo data, calibrated to the province's public totals. Everything is DEMO.

The generator reads the province, its districts and the public figures from the shipped
reference tables (:mod:`helpers.data.reference`), so nothing here names a province: a province
whose reference files carry the same ``figure_id`` rows gets its own calibrated demo.

Calibration (exact, for every seed)
-----------------------------------
* central investment over the 2022–2025 vintages = ``central_investment_2021_2025``;
* central recurrent = ``central_recurrent_2021_2025``; local = ``local_counterpart_2021_2025``;
* the 2024 vintage, all sources = ``plan_2024_all_sources``;
* disbursed of the 2024 vintage on the report of ``disbursed_2024_as_of_2024_05_21`` = that figure;
* the plan assigned by the published dates is the published plan (``published_figures``):
  central capital assigned by 1 August 2025 and by mid-October 2025 = the all-source plan of
  mid-October less its local and mobilised parts (5,472 − 117 − 321 = 5,034 billion VND, "more
  than 5,033" as published in August); the rest of the phase's central capital (767,640 million
  VND, recurrent) and of the local counterpart is a late 2025 tranche assigned after 15 October
  2025; credit and other mobilised capital (DEMO split in the national phase I ratio,
  :data:`NATIONAL_PHASE_I_BN`) is the published 321 billion VND, in the 2022 and 2023 vintages,
  disbursed in full;
* the published cumulative rates (:data:`helpers.data.demo_calibration._PUBLISHED_RATE_SCOPE`)
  under the convention ``mtqg validate`` uses (the lines assigned by the date against all they
  disbursed by it; by capital type over central + local capital): on a report of 15 Oct 2025,
  83.2 % of investment and "nearly 67 %" of recurrent capital, so 77.2 % of all sources; on a
  report of 1 Aug 2025, 75.6 % of central capital, each hit within the published rounding. The
  lines still disbursing on the date are rescaled by one solved factor per group
  (:mod:`helpers.data.demo_calibration`); shares by the deadline are never changed. For seeds
  whose drawn shares put a rate out of reach the reports on those dates are left out
  (``Truth.published_report_missed``);
* the province meets ``targets_met`` of ``targets_total`` targets (12 of 21): the shipped
  indicators plus DEMO-only ones, the province's values aggregating its districts'.
No line has plan year 2021: the program was approved on 14 Oct 2021 and money was assigned
from 2022, so the 2021–2025 totals are spread over the 2022–2025 vintages.

Generating process (the "truth" later models are tested against)
----------------------------------------------------------------
For line *i* of plan year *Y*, capital type *k*, district *j*, project *p*:

* decision date: a year- and type-specific base date (2022 investment after Decision 652 of
  28 May 2022; the late 2025 tranche after 15 October 2025, …), plus the
  district's assignment delay ``delta_j`` (months), plus line noise. ``delta_j`` is correlated
  with the district's capacity ``u_j`` (weaker districts also assign later), so a model without
  district effects confuses timing with capacity; local counterpart lines come
  ``_LOCAL_DELAY_MONTHS`` later;
* booking (:func:`book_to_communes`): the lines are drawn by district, then booked to the
  units that implement them. The sub-project the demo has communes implement is DA4.TDA1
  (essential infrastructure in extremely difficult communes and villages, whose small works
  have the commune as investor; central and local budget capital): each district's DA4.TDA1
  line decided by 30 June 2025 is spread over three of the district's real former communes
  (shipped units; amounts synthetic). Every district line decided after 30 June 2025 (the late
  2025 tranche, decided after 15 October 2025, and any other 2025 line decided after 30 June)
  is split across the units created on 1 July 2025 that carry the GSO code of one of the
  district's former communes. A booked line keeps its district line's decision date, and
  its capacity effect is its district's (``district_code``): a commune's is its district's;
  a new unit's is the district of the former commune whose GSO code it carries, the same
  district whose lines it takes (:func:`helpers.data.hierarchy.home_districts`);
* months available ``m_i`` = months from decision to 31 Jan of *Y*+1 (:mod:`helpers.data.deadlines`);
* share disbursed by the deadline ``s_i ~ Beta(mu_i * phi, (1 - mu_i) * phi)`` with
  ``logit(mu_i) = a_k + b_k * (m_i - 12) + u_j + v_p + c_Y``;
  ``b_k`` (per month, logit scale) is the **timing effect**, stronger for investment;
* within the window the cumulative path follows month weights with a start-up ramp and
  November–December–January spikes, reaching exactly ``s_i`` at the deadline;
* lines with ``s_i < 0.95`` are extended with a year-specific probability; an extended line
  disburses a further share of its remainder by ``extended_until``; the rest lapses. Credit and
  other capital is always extended and disbursed in full by then.
:class:`Truth` holds every parameter plus the implied average marginal effect in percentage
points per month and the expected counterfactual gain, for the tests of the lag models.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.core.files import atomic_write_text
from helpers.data import reference
from helpers.data.dataset import DEMO_NOTE_EN, DEMO_NOTE_VI
from helpers.data.deadlines import DAYS_PER_MONTH, months_available, regular_deadline
from helpers.data.demo_calibration import (
    calibrate_published,
    published_rates,
    published_values,
    spot_report,
)
from helpers.data.demo_geography import (
    Geography,
    book_to_communes,
    split_integer,
)
from helpers.data.demo_targets import demo_targets
from helpers.data.schema import INPUT_TABLES, TABLES

DEFAULT_SEED = 1719
PLAN_YEARS: tuple[int, ...] = (2022, 2023, 2024, 2025)
LAST_REPORT = pd.Timestamp("2026-01-31")
"""Last monthly report of the demo: the 2025 vintage's regular deadline."""

# Shares of the central totals by vintage: design choices of the demo, not facts. The 2024
# vintage of central capital takes what the public 2024 figure leaves after local capital; the
# 2025 vintage is the rest, part of its recurrent capital (the "late" tranche) assigned only
# after 15 October 2025 (see below).
_YEAR_SHARES = {
    ("investment", "central"): {2022: 0.34, 2023: 0.33, 2024: 0.25},
    ("recurrent", "central"): {2022: 0.22, 2023: 0.26},
}
MOBILISED_BY_OCT_2025 = 321_000
LOCAL_BY_OCT_2025 = 117_000
"""Credit + other mobilised capital and local capital of the 2022–2025 plan by mid-October 2025,
million VND: the parts ("more than 321" and "more than 117" billion VND) of the province's
published all-source plan of 5,472 billion VND (``published_figures`` row of 15 Oct 2025, its
scope note). The demo assigns them in full by then; the rest of the local counterpart is
assigned after 15 October 2025."""
_LOCAL_BY_YEAR = {2022: 20_000, 2023: 25_000}
"""Local capital of the 2022 and 2023 vintages (design choice); 2024 takes the rest of
:data:`LOCAL_BY_OCT_2025`. Local capital assigned by October 2025 is investment (the published
rates by capital type allow almost no local recurrent capital by then); the late 2025 tranche
splits :data:`_LATE_LOCAL_INVESTMENT_SHARE` to investment."""
_LATE_LOCAL_INVESTMENT_SHARE = 0.5
_EARLY_2025_RECURRENT = frozenset({"DA1", "DA6", "DA7", "DA8"})
"""Projects whose 2025 central recurrent capital is assigned early in 2025; the other projects'
2025 recurrent capital is the late tranche, assigned after 15 October 2025: what central capital
the phase total (``central_*_2021_2025``) has beyond the published 2022–2025 plan assigned by
August–October 2025 (5,034 billion VND)."""
LATE_TRANCHE_AFTER = pd.Timestamp("2025-10-15")
OCT_PLAN_KEY = "allocated_total@2025-10-15"
"""Key of the published all-source plan of mid-October 2025 (:func:`published_values`)."""
_LOCAL_DELAY_MONTHS = 5.0
"""Local counterpart is assigned this many months after the central capital (design choice:
limited local counterpart is a reported cause of slow disbursement)."""

NATIONAL_PHASE_I_BN: dict[str, float] = {
    "central": 104_954.0,
    "local": 10_016.0,
    "credit": 19_727.0,
    "other": 2_967.0,
}
"""Phase I (2021–2025) capital by source nationally, billion VND (Resolution 120/2020/QH14).
The demo splits the province's mobilised capital between credit and other in these ratios
(DEMO: the province's own split is not public)."""

# (project, subproject, capital_type, source, weight, implemented_by_province)
_MENU: tuple[tuple[str, str | None, str, str, float, bool], ...] = (
    ("DA1", None, "investment", "central", 3.0, False),
    ("DA2", None, "investment", "central", 2.0, False),
    ("DA4", "DA4.TDA1", "investment", "central", 10.0, False),
    ("DA5", "DA5.TDA1", "investment", "central", 2.0, False),
    ("DA6", None, "investment", "central", 1.5, False),
    ("DA4", "DA4.TDA2", "investment", "central", 4.0, True),
    ("DA1", None, "recurrent", "central", 2.0, False),
    ("DA3", "DA3.TDA1", "recurrent", "central", 3.0, False),
    ("DA3", "DA3.TDA2", "recurrent", "central", 3.0, False),
    ("DA4", "DA4.TDA1", "recurrent", "central", 2.0, False),
    ("DA5", "DA5.TDA1", "recurrent", "central", 1.5, False),
    ("DA5", "DA5.TDA3", "recurrent", "central", 1.5, False),
    ("DA5", "DA5.TDA4", "recurrent", "central", 1.0, False),
    ("DA6", None, "recurrent", "central", 1.0, False),
    ("DA7", None, "recurrent", "central", 1.0, False),
    ("DA8", None, "recurrent", "central", 1.0, False),
    ("DA9", "DA9.TDA2", "recurrent", "central", 0.5, False),
    ("DA10", "DA10.TDA1", "recurrent", "central", 0.5, False),
    ("DA10", "DA10.TDA2", "recurrent", "central", 0.3, False),
    ("DA5", "DA5.TDA2", "recurrent", "central", 3.0, True),
    ("DA10", "DA10.TDA3", "recurrent", "central", 2.0, True),
    ("DA4", "DA4.TDA1", "investment", "local", 1.0, False),
    ("DA3", "DA3.TDA2", "recurrent", "local", 1.0, False),
    ("DA1", None, "investment", "credit", 2.0, False),
    ("DA3", "DA3.TDA2", "investment", "credit", 1.0, False),
    ("DA4", "DA4.TDA1", "investment", "other", 1.0, False),
)
"""Credit (policy loans) and other mobilised capital have no budget capital type; the demo
files them as investment, the enum of ``capital_type`` having no third value."""

# Base decision dates by (plan year, capital type): list of (date, probability, spread days).
_DECISION_BASE: dict[tuple[int, str], list[tuple[str, float, int]]] = {
    (2022, "investment"): [("2022-06-10", 1.0, 45)],
    (2022, "recurrent"): [("2022-07-10", 1.0, 75)],
    (2023, "investment"): [("2022-12-15", 1.0, 45)],
    (2023, "recurrent"): [("2023-01-20", 0.8, 60), ("2023-06-15", 0.2, 45)],
    (2024, "investment"): [("2023-12-15", 0.9, 40), ("2024-06-10", 0.1, 40)],
    (2024, "recurrent"): [("2023-12-20", 0.8, 50), ("2024-06-20", 0.2, 40)],
    (2025, "investment"): [("2025-01-05", 1.0, 80)],
    (2025, "recurrent"): [("2025-02-10", 1.0, 45)],
}
_LATE_DECISION = [("2025-10-20", 1.0, 45)]
"""Base dates of the late 2025 tranche (after :data:`LATE_TRANCHE_AFTER`)."""
_LAST_EARLY_2025 = pd.Timestamp("2025-07-31")
"""Every other 2025 line is assigned by this day: the published central plan of 1 August 2025
equals the one of mid-October."""
_EXTENSION_PROB = {2022: 0.85, 2023: 0.8, 2024: 0.6, 2025: 0.6}
_EXTENDED_UNTIL = {
    2022: ("2023-12-31", "2024-12-31"),
    2023: ("2024-12-31",),
    2024: ("2025-12-31",),
    2025: ("2026-12-31",),
}
_SEASONAL = {6: 0.8, 7: 0.6, 8: 0.5, 9: 0.5, 10: 0.7, 11: 1.2, 12: 2.0, 1: 1.6}
"""Month weights of disbursement: a rainy-season lull (June–October) and the year-end spike."""


@dataclass
class Truth:
    """The parameters of the generating process, and what they imply on the drawn lines."""

    seed: int
    timing_scale: float
    intercept: dict[str, float] = field(
        default_factory=lambda: {"investment": 1.7, "recurrent": 0.1}
    )
    timing_logit_per_month: dict[str, float] = field(
        default_factory=lambda: {"investment": 0.18, "recurrent": 0.10}
    )
    """Effect of one more month available on logit(share by deadline), before timing_scale."""
    project_effect: dict[str, float] = field(
        default_factory=lambda: {
            "DA1": 0.0,
            "DA2": -0.4,
            "DA3": -0.3,
            "DA4": 0.3,
            "DA5": 0.1,
            "DA6": 0.0,
            "DA7": 0.1,
            "DA8": 0.0,
            "DA9": -0.2,
            "DA10": 0.2,
        }
    )
    year_effect: dict[str, float] = field(
        default_factory=lambda: {"2022": -0.3, "2023": 0.0, "2024": 0.1, "2025": 0.2}
    )
    precision: float = 30.0
    district_effect: dict[str, float] = field(default_factory=dict)
    """Capacity ``u_j`` by district (the province 0), and for every commune or new unit lines
    were booked to, its district's (:func:`book_to_communes`)."""
    district_delay_months: dict[str, float] = field(default_factory=dict)
    """Assignment delay ``delta_j`` by district, likewise (booked lines keep their district
    line's decision date)."""
    ame_pp_per_month_later: float = float("nan")
    """Average over lines of d(mu)/d(decision one month later), in percentage points (< 0)."""
    ame_pp_per_month_later_by_type: dict[str, float] = field(default_factory=dict)
    counterfactual_date: str = "01-31"
    counterfactual_gain_mvnd: float = float("nan")
    """Expected extra capital disbursed by the deadline had every line been decided by
    31 January of its plan year (lines decided earlier keep their date)."""
    spot_calibration_scale: float = float("nan")
    """Factor applied to the 21 May 2024 values to hit the public figure (diagnostic)."""
    published_report_scales: dict[str, float] = field(default_factory=dict)
    """Factor applied to the values of the lines still disbursing on each published report date
    (15 Oct and 1 Aug 2025) to hit the published cumulative rates (diagnostic)."""
    published_report_missed: str | None = None
    """Why this seed's data set has no reports on the published dates (their rates out of reach
    of its drawn shares), or None when it reproduces them (the default seed does)."""

    def slope(self, capital_type: str) -> float:
        """The timing effect actually used: ``timing_logit_per_month * timing_scale``."""
        return self.timing_logit_per_month[capital_type] * self.timing_scale

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False)


@dataclass
class DemoData:
    """The generated tables (input tables of :mod:`helpers.data.schema`) and the truth."""

    tables: dict[str, pd.DataFrame]
    truth: Truth
    lines: pd.DataFrame
    """Per-line latent quantities (mu, share by deadline, months available), for tests."""


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def mobilised_totals() -> dict[str, int]:
    """DEMO credit and other capital: :data:`MOBILISED_BY_OCT_2025` split in the national ratio."""
    w = np.array([NATIONAL_PHASE_I_BN["credit"], NATIONAL_PHASE_I_BN["other"]])
    credit, other = split_integer(MOBILISED_BY_OCT_2025, w)
    return {"credit": int(credit), "other": int(other)}


def _cell_totals(fig: dict[str, float]) -> dict[tuple[int, str, str, str], int]:
    """Totals by (plan year, capital type, source, tranche) that add up to the public figures.

    Tranche ``main`` or ``late`` (the 2025 capital assigned after 15 October 2025). Central:
    the phase totals, by :data:`_YEAR_SHARES`; the 2024 vintage takes what the public 2024 plan
    leaves after local capital; the central capital beyond the published plan assigned by
    August 2025 (all sources by mid-October less its local and mobilised parts) is the late
    2025 recurrent tranche. Local: :data:`_LOCAL_BY_YEAR`, 2024 the rest of
    :data:`LOCAL_BY_OCT_2025`, the remainder in the late tranche. Credit and other
    (:func:`mobilised_totals`) go to 2022 and 2023 in halves.
    """
    inv = int(round(fig["central_investment_2021_2025"]))
    rec = int(round(fig["central_recurrent_2021_2025"]))
    loc = int(round(fig["local_counterpart_2021_2025"]))
    plan_2024 = int(round(fig["plan_2024_all_sources"]))
    # the published all-source plan of mid-October 2025; without one, no late tranche
    by_oct = int(
        round(fig.get(OCT_PLAN_KEY, inv + rec + LOCAL_BY_OCT_2025 + MOBILISED_BY_OCT_2025))
    )
    central_by_aug = by_oct - LOCAL_BY_OCT_2025 - MOBILISED_BY_OCT_2025
    out: dict[tuple[int, str, str, str], int] = {}
    for y, share in _YEAR_SHARES[("investment", "central")].items():
        out[(y, "investment", "central", "main")] = int(round(inv * share))
    out[(2025, "investment", "central", "main")] = inv - sum(out.values())
    local = dict(_LOCAL_BY_YEAR)
    local[2024] = LOCAL_BY_OCT_2025 - sum(local.values())
    for y, v in local.items():
        out[(y, "investment", "local", "main")] = v
    late_local = loc - LOCAL_BY_OCT_2025
    li = int(round(late_local * _LATE_LOCAL_INVESTMENT_SHARE))
    out[(2025, "investment", "local", "late")] = li
    out[(2025, "recurrent", "local", "late")] = late_local - li
    for y, share in _YEAR_SHARES[("recurrent", "central")].items():
        out[(y, "recurrent", "central", "main")] = int(round(rec * share))
    out[(2024, "recurrent", "central", "main")] = (
        plan_2024 - out[(2024, "investment", "central", "main")] - local[2024]
    )
    late = inv + rec - central_by_aug
    out[(2025, "recurrent", "central", "late")] = late
    out[(2025, "recurrent", "central", "main")] = (
        rec - late - sum(out[(y, "recurrent", "central", "main")] for y in (2022, 2023, 2024))
    )
    for src, total in mobilised_totals().items():
        half = total // 2
        out[(2022, "investment", src, "main")] = half
        out[(2023, "investment", src, "main")] = total - half
    if min(out.values()) < 0 or late_local < 0:
        raise ValueError("the public figures leave no room for a demo cell: check the shares")
    return out


def _month_ends(start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    return pd.date_range(start, end, freq="ME")


def _window_weights(
    rng: np.random.Generator, start: pd.Timestamp, end: pd.Timestamp, ramp_months: float
) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Month-end dates from ``start`` to ``end`` and the cumulative share reached at each."""
    ends = _month_ends(start, end)
    n = len(ends)
    tau = np.arange(n) + 0.5
    w = 1.0 - np.exp(-tau / ramp_months)
    w *= np.array([_SEASONAL.get(d.month, 1.0) for d in ends])
    w *= rng.lognormal(0.0, 0.25, n)
    # the first month only counts the days after the start
    first_days = (ends[0] - start).days + 1
    w[0] *= first_days / ends[0].days_in_month
    cum = np.cumsum(w) / w.sum()
    return ends, cum


def _decision_dates(
    rng: np.random.Generator,
    year: int,
    ctype: str,
    delay_months: float | np.ndarray,
    n: int,
    late: bool = False,
) -> np.ndarray:
    """Decision dates of ``n`` lines of one (year, capital type, tranche) cell.

    Clipped to 1 December of the year before to 10 December of the year; the 2025 lines
    to :data:`_LAST_EARLY_2025`, the late tranche to after :data:`LATE_TRANCHE_AFTER`.
    """
    options = _LATE_DECISION if late else _DECISION_BASE[(year, ctype)]
    probs = np.array([p for _, p, _ in options])
    pick = rng.choice(len(options), size=n, p=probs / probs.sum())
    days = np.empty(n)
    delay = np.broadcast_to(np.asarray(delay_months, dtype=float), (n,))
    for idx, (base, _, spread) in enumerate(options):
        sel = pick == idx
        days[sel] = (
            (pd.Timestamp(base) - pd.Timestamp("1970-01-01")).days
            + rng.uniform(0, spread, sel.sum())
            + delay[sel] * DAYS_PER_MONTH
        )
    first = pd.Timestamp(year=year - 1, month=12, day=1)
    last = pd.Timestamp(year=year, month=12, day=10)
    if late:
        first = LATE_TRANCHE_AFTER + pd.Timedelta(days=1)
    elif year == _LAST_EARLY_2025.year:
        last = _LAST_EARLY_2025
    epoch = pd.Timestamp("1970-01-01")
    days = np.clip(np.round(days), (first - epoch).days, (last - epoch).days)
    return pd.to_datetime(days, unit="D").to_numpy()


def _draw_lines(
    rng: np.random.Generator,
    truth: Truth,
    province: str,
    districts: list[str],
    fig: dict[str, float],
    geography: Geography,
) -> pd.DataFrame:
    """One row per plan line with amount, decision date and latent quantities.

    The lines are drawn by district (amounts, decision dates), then booked to communes and
    new units (:func:`book_to_communes`); the share by the deadline is drawn per booked line
    with its district's capacity effect (``district_code``).
    """
    size = dict(zip(districts, rng.lognormal(0.0, 0.4, len(districts)), strict=True))
    u = rng.normal(0.0, 0.35, len(districts))
    delay = np.maximum(0.0, 0.8 - 1.5 * u + rng.normal(0.0, 0.3, len(districts)))
    truth.district_effect = {d: round(float(x), 6) for d, x in zip(districts, u, strict=True)}
    truth.district_delay_months = {
        d: round(float(x), 6) for d, x in zip(districts, delay, strict=True)
    }
    truth.district_effect[province] = 0.0
    truth.district_delay_months[province] = 0.0
    size[province] = 0.6 * float(np.mean(list(size.values())))

    rows = []
    for year in PLAN_YEARS:
        for proj, sub, ctype, src, weight, by_province in _MENU:
            units = [province] if by_province else districts
            late = year == _LAST_EARLY_2025.year and (
                src == "local" or (ctype == "recurrent" and proj not in _EARLY_2025_RECURRENT)
            )
            for unit in units:
                rows.append(
                    (
                        year,
                        unit,
                        proj,
                        sub,
                        ctype,
                        src,
                        "late" if late else "main",
                        weight * size[unit] * rng.lognormal(0.0, 0.3),
                    )
                )
    lines = pd.DataFrame(
        rows,
        columns=[
            "plan_year",
            "unit_code",
            "project_code",
            "subproject_code",
            "capital_type",
            "source",
            "tranche",
            "w",
        ],
    )
    lines["amount_mvnd"] = 0
    for (year, ctype, src, tranche), total in _cell_totals(fig).items():
        sel = (
            (lines["plan_year"] == year)
            & (lines["capital_type"] == ctype)
            & (lines["source"] == src)
            & (lines["tranche"] == tranche)
        )
        if not sel.any():
            raise ValueError(f"no demo line for {total} in {(year, ctype, src, tranche)}")
        lines.loc[sel, "amount_mvnd"] = split_integer(total, lines.loc[sel, "w"].to_numpy())
    lines = lines[lines["amount_mvnd"] > 0].drop(columns="w").reset_index(drop=True)

    dates = np.empty(len(lines), dtype="datetime64[ns]")
    for (year, ctype, tranche, unit), idx in lines.groupby(
        ["plan_year", "capital_type", "tranche", "unit_code"]
    ).groups.items():
        pos = np.asarray(lines.index.get_indexer(idx))
        late = tranche == "late"
        local = lines["source"].to_numpy()[pos] == "local"
        extra = np.where(local & (not late), _LOCAL_DELAY_MONTHS, 0.0)
        dates[pos] = _decision_dates(
            rng, year, ctype, truth.district_delay_months[unit] + extra, len(idx), late
        )
    lines["decision_date"] = pd.to_datetime(dates)
    lines = book_to_communes(lines, geography, truth.seed)
    booked = lines.loc[lines["unit_code"] != lines["district_code"], ["unit_code", "district_code"]]
    for unit, district in booked.drop_duplicates().itertuples(index=False):
        truth.district_effect[unit] = truth.district_effect[district]
        truth.district_delay_months[unit] = truth.district_delay_months[district]
    lines["months_available"] = months_available(lines["decision_date"], lines["plan_year"])

    slope = lines["capital_type"].map(truth.slope)
    eta = (
        lines["capital_type"].map(truth.intercept)
        + slope * (lines["months_available"] - 12)
        + lines["district_code"].map(truth.district_effect)
        + lines["project_code"].map(truth.project_effect)
        + lines["plan_year"].astype(str).map(truth.year_effect)
    )
    mu = _expit(eta.to_numpy())
    lines["mu"] = mu
    lines["share_deadline"] = rng.beta(mu * truth.precision, (1 - mu) * truth.precision)
    lines["slope"] = slope
    return lines


def _truth_summaries(truth: Truth, lines: pd.DataFrame) -> None:
    """Average marginal effect and counterfactual gain implied by the truth on these lines."""
    d_mu = lines["slope"] * lines["mu"] * (1 - lines["mu"])  # per month more available
    truth.ame_pp_per_month_later = round(float(-100 * d_mu.mean()), 6)
    truth.ame_pp_per_month_later_by_type = {
        k: round(float(-100 * g.mean()), 6) for k, g in d_mu.groupby(lines["capital_type"])
    }
    cf_date = pd.to_datetime(lines["plan_year"].astype(str) + "-" + truth.counterfactual_date)
    cf_m = months_available(
        lines["decision_date"].where(lines["decision_date"] <= cf_date, cf_date), lines["plan_year"]
    )
    eta_cf = np.log(lines["mu"] / (1 - lines["mu"])) + lines["slope"] * (
        cf_m - lines["months_available"]
    )
    gain = (lines["amount_mvnd"] * (_expit(eta_cf.to_numpy()) - lines["mu"])).sum()
    truth.counterfactual_gain_mvnd = round(float(gain), 3)


def _paths(rng: np.random.Generator, lines: pd.DataFrame) -> tuple[pd.DataFrame, list]:
    """Monthly cumulative disbursement of every line, and its extension date."""
    records = []
    extended = []
    for i, ln in lines.iterrows():
        year = int(ln["plan_year"])
        amount = float(ln["amount_mvnd"])
        start = max(ln["decision_date"], pd.Timestamp(year=year, month=1, day=1))
        deadline = regular_deadline(year)
        ends, cum = _window_weights(rng, start, deadline, ramp_months=0.8)
        values = ln["share_deadline"] * amount * cum
        ext = None
        mobilised = ln["source"] in ("credit", "other")
        if mobilised or (ln["share_deadline"] < 0.95 and rng.random() < _EXTENSION_PROB[year]):
            ext = pd.Timestamp(str(rng.choice(_EXTENDED_UNTIL[year])))
            # credit and other capital is disbursed in full by its extension (policy loans)
            more = (
                1.0
                if mobilised
                else ln["share_deadline"] + (1 - ln["share_deadline"]) * rng.beta(7, 3)
            )
            ends2, cum2 = _window_weights(
                rng, deadline + pd.Timedelta(days=1), ext, ramp_months=1.0
            )
            ends = ends.append(ends2)
            values = np.concatenate(
                [values, amount * (ln["share_deadline"] + (more - ln["share_deadline"]) * cum2)]
            )
        extended.append(ext)
        keep = ends <= LAST_REPORT
        for d, v in zip(ends[keep], values[keep], strict=True):
            records.append((i, d, v))
    path = pd.DataFrame(records, columns=["line", "report_date", "disbursed_cum_mvnd"])
    return path, extended


def generate(seed: int = DEFAULT_SEED, *, timing_scale: float = 1.0) -> DemoData:
    """Generate the demo dataset for the shipped province, calibrated to its public figures.

    Args:
        seed: seed of the random generator; every seed gives the same calibrated totals.
        timing_scale: multiplies the true timing effect (0 gives a null dataset in which the
            decision date has no effect on the share disbursed by the deadline). For some
            seeds and scales the drawn shares put the published cumulative rates out of reach;
            the reports on the published dates are then left out
            (``Truth.published_report_missed`` says why). The default seed reproduces them.

    Returns:
        The input tables (typed frames with the columns of :mod:`helpers.data.schema`), the truth
        and the per-line latent quantities.
    """
    rng = np.random.default_rng(seed)
    units = reference.load("units")
    province = str(units.loc[units["level"] == "province", "unit_code"].iloc[0])
    districts = sorted(
        units.loc[
            (units["level"] == "district") & (units["parent_code"] == province), "unit_code"
        ].astype(str)
    )
    fig = {**reference.public_figure_values(province), **published_values(province)}
    truth = Truth(seed=seed, timing_scale=timing_scale)

    geography = Geography.of(units, reference.load("successions"), districts)
    lines = _draw_lines(rng, truth, province, districts, fig, geography)
    _truth_summaries(truth, lines)
    path, extended = _paths(rng, lines)
    lines["extended_until"] = pd.to_datetime(pd.Series(extended, index=lines.index, dtype="object"))
    path, truth.spot_calibration_scale = spot_report(
        path, lines, fig["disbursed_2024_as_of_2024_05_21"]
    )
    try:
        path, truth.published_report_scales = calibrate_published(
            path, lines, published_rates(province)
        )
    except ValueError as out_of_reach:
        # the drawn shares by the deadline (another seed, or another timing effect such as
        # the null data set of the lag tests) may put a published rate out of reach: that data
        # set then has no reports on the published dates, and the truth says why
        truth.published_report_missed = str(out_of_reach)

    path["disbursed_cum_mvnd"] = path["disbursed_cum_mvnd"].round(3)

    allocations = lines[list(TABLES["allocations"].column_names[:6])].copy()
    allocations["amount_mvnd"] = lines["amount_mvnd"].astype(float)
    allocations["decision_date"] = lines["decision_date"]
    allocations["decision_ref"] = [f"DEMO-{i + 1:04d}/QĐ-UBND" for i in range(len(lines))]
    allocations["extended_until"] = lines["extended_until"]
    allocations["approved_mvnd"] = np.nan  # no in-year reallocation in the demo
    allocations["note"] = None
    key_cols = list(TABLES["allocations"].column_names[:6])
    disb = path.merge(lines[key_cols], left_on="line", right_index=True)
    disb = disb.sort_values(["line", "report_date"]).drop(columns="line")
    disb["note"] = None
    disbursements = disb[TABLES["disbursements"].column_names].reset_index(drop=True)

    targets = demo_targets(
        rng,
        reference.load("target_indicators"),
        province,
        districts,
        int(fig.get("targets_met", 0)),
        int(fig.get("targets_total", 0)),
    )
    metadata = pd.DataFrame(
        {
            "key": ["demo", "generator", "seed", "timing_scale", "province", "note_en", "note_vi"],
            "value": [
                "true",
                "helpers.data.demo",
                str(seed),
                str(timing_scale),
                province,
                DEMO_NOTE_EN,
                DEMO_NOTE_VI,
            ],
        }
    )
    tables = {
        "units": units,
        "successions": reference.load("successions"),
        "program_components": reference.load("program_components"),
        "allocations": allocations,
        "disbursements": disbursements,
        "targets": targets.reindex(columns=TABLES["targets"].column_names),
        "sources": reference.load("sources"),
        "metadata": metadata,
    }
    return DemoData(tables=tables, truth=truth, lines=lines)


DEMO_FILES: tuple[str, ...] = (
    *(f"{name}.csv" for name in INPUT_TABLES if name != "plan_2026_2030"),
    "truth.json",
    "README.txt",
)
"""The files :func:`write_demo` writes into its folder."""


def write_demo(
    out_dir: str | Path, seed: int = DEFAULT_SEED, *, timing_scale: float = 1.0
) -> list[Path]:
    """Write the demo tables as CSV files (one per table), ``truth.json`` and a README.

    Files are written to temporary names and renamed into place, so an interrupted run never
    leaves a half-written table.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = generate(seed, timing_scale=timing_scale)
    written: list[Path] = []
    for name, frame in data.tables.items():
        written.append(
            atomic_write_text(
                out / f"{name}.csv", frame.to_csv(index=False, date_format="%Y-%m-%d")
            )
        )
    written.append(atomic_write_text(out / "truth.json", data.truth.to_json() + "\n"))
    written.append(
        atomic_write_text(
            out / "README.txt",
            (
                f"{DEMO_NOTE_EN}.\n{DEMO_NOTE_VI}.\n\nGenerated by `mtqg demo --seed {seed}` "
                "(helpers.data.demo). truth.json holds the parameters of the generating process.\n"
            ),
        )
    )
    return written
