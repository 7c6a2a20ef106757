"""The JSON results steps hand to each other, as typed models (pydantic).

``metrics.json`` (assessment), ``lag.json`` (disbursement lag) and the brief's index entry
(``brief.<lang>.json``) are contracts: the step that writes one builds it through its model
and the steps that read it parse it with the same model, so a missing or mistyped key fails
where it is written, not as a wrong sentence in a brief. Each carries ``schema_version``.
Keys the consumers read are typed; model diagnostics that only the notebooks show are kept
as plain objects. Amounts are million VND, rates and shares fractions, dates ISO strings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from helpers.core.files import atomic_write_text

SCHEMA_VERSION = 1

M = TypeVar("M", bound="Contract")


class ContractError(ValueError):
    """A result file is missing, is not JSON, or does not match its contract."""


class Contract(BaseModel):
    """Base of the result models: unknown keys are kept, and written back unchanged."""

    model_config = ConfigDict(extra="allow")

    def model_post_init(self, context: Any, /) -> None:
        # the version is always written, even when the producer left it at its default
        if "schema_version" in type(self).model_fields:
            self.model_fields_set.add("schema_version")

    @classmethod
    def read(cls: type[M], path: str | Path) -> M:
        """Parse ``path``; a :class:`ContractError` names the file and the first bad key."""
        p = Path(path)
        try:
            obj = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ContractError(f"{p}: not found") from None
        except (OSError, ValueError) as exc:
            raise ContractError(f"{p}: cannot read JSON ({exc})") from None
        return cls.parse(obj, p)

    @classmethod
    def parse(cls: type[M], obj: Any, where: str | Path = "") -> M:
        try:
            return cls.model_validate(obj)
        except ValidationError as exc:
            first = exc.errors()[0]
            key = ".".join(str(x) for x in first["loc"])
            raise ContractError(f"{where or cls.__name__}: key '{key}': {first['msg']}") from None

    def to_json(self) -> str:
        """Indented UTF-8 JSON (non-ASCII kept), strict: no NaN or infinity. Optional keys
        the producer did not set are left out, so a file reads back as it was written."""
        data = self.model_dump(mode="json", exclude_unset=True)
        return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"

    def write(self, path: str | Path) -> Path:
        """Write the JSON atomically."""
        return atomic_write_text(path, self.to_json())


# ----------------------------------------------------------------------------- metrics.json
class Amounts(Contract):
    """Allocated and disbursed (at the last report and at the deadline) of one category."""

    allocated_mvnd: float | None
    disbursed_mvnd: float | None
    disbursed_deadline_mvnd: float | None
    execution_rate: float | None
    by_source: dict[str, Amounts] | None = None


class YearRow(Contract):
    """One plan year at the three cut-offs."""

    plan_year: int
    allocated_mvnd: float | None
    disbursed_dec31_mvnd: float | None
    disbursed_deadline_mvnd: float | None
    disbursed_last_mvnd: float | None
    execution_rate_dec31: float | None
    execution_rate_deadline: float | None
    execution_rate_last: float | None
    status: Literal["no_allocation", "in_progress", "complete"]


class RankingRow(Contract):
    """A district (or the province) in the district comparison.

    ``median_months_to_50``: Kaplan–Meier median months from decision to half disbursed over
    the unit's ``n_lines_timed`` lines (lines still disbursing censored; None when fewer than
    half are known to have got there, see ``n_lines_reached_50``), with its 95 % interval.
    ``adjusted_*``: the execution rate at the deadline adjusted for the mix of projects,
    capital types and plan years (:class:`DistrictModel`); for the province row its adjusted
    mean. ``adjusted_vs_province``: "above", "below" or "overlaps" (the district's interval
    against the province's adjusted mean).
    """

    unit_code: str
    name_vi: str
    name_en: str
    level: str
    execution_rate: float | None
    median_months_to_50: float | None
    rank: int | None
    median_months_to_50_ci_low: float | None = None
    median_months_to_50_ci_high: float | None = None
    n_lines_timed: int | None = None
    n_lines_reached_50: int | None = None
    adjusted_rate: float | None = None
    adjusted_ci_low: float | None = None
    adjusted_ci_high: float | None = None
    adjusted_rank: int | None = None
    adjusted_vs_province: Literal["above", "below", "overlaps"] | None = None


class DistrictModel(Contract):
    """The mix-adjusted district comparison (``helpers.analysis.district_model``).

    ``estimable`` False with a ``reason`` ("few_lines", "boundary", "few_districts",
    "collinear", "not_converged") when it could not be fitted. ``wald_p_value``: joint test
    that all district effects are equal; ``distinguishable`` = it rejects at ``alpha``;
    ``above``/``below``: district codes whose interval lies wholly above/below the province's
    adjusted mean (only when distinguishable).
    """

    estimable: bool
    reason: str | None = None
    cutoff: str = "deadline"
    method: str | None = None
    formula: str | None = None
    weights: str | None = None
    cov_type: str | None = None
    interval: str | None = None
    converged: bool | None = None
    ci_level: float = 0.95
    alpha: float = 0.05
    n_lines: int = 0
    n_districts: int = 0
    province_rate: float | None = None
    province_ci_low: float | None = None
    province_ci_high: float | None = None
    wald_chi2: float | None = None
    wald_df: int | None = None
    wald_p_value: float | None = None
    distinguishable: bool | None = None
    above: list[str] = []
    below: list[str] = []
    not_estimable: dict[str, str] = {}


class ScorecardRow(Contract):
    """One target indicator of the scope."""

    indicator_code: str
    name_vi: str
    name_en: str
    unit: str
    direction: str
    baseline_value: float | None
    target_value: float | None
    latest_value: float | None
    latest_year: int | None
    progress_ratio: float | None
    status: Literal["met", "not_met", "no_data"]


Convention = Literal["by_vintage", "year_plan_with_carry_over", "phase_cumulative", "phase_total"]
"""The committee conventions (``helpers.analysis.committee``)."""
SourceScope = Literal["central", "budget", "all", "unstated"]
"""What a published figure covers: central budget, state budget, all sources, not stated."""


class CommitteePart(Contract):
    """Allocated, disbursed and their rate under one convention, for one capital type."""

    allocated_mvnd: float | None
    disbursed_mvnd: float | None
    rate: float | None


class CommitteeRate(CommitteePart):
    """A rate as a provincial committee publishes it (``helpers.analysis.committee``)."""

    convention: Convention
    as_of: str | None
    scope: Literal["phase", "year"]
    period: str
    date_origin: Literal["published", "last_report", "year_end"]
    observed: bool
    """The date is on or before the last report (otherwise the amounts are those known)."""
    by_capital_type: dict[str, CommitteePart]


class PublishedFigure(Contract):
    """A published figure of the province beside the dataset's value under its convention
    (``helpers.analysis.published``). ``published`` and ``dataset`` are in the published
    ``unit`` (percent, billion or million VND), as the page reads; ``decimals`` is how many the
    page writes. ``matches`` is None when the figure is not comparable (``reason`` says why)."""

    figure_id: str
    measure: str
    period: str
    """As the research file writes it (it may carry an English note: "2024 (incl. …)")."""
    plan_years: list[int] | None = None
    """First and last plan year of the period, None when it names none."""
    as_of: str | None
    unit: Literal["percent", "billion_vnd", "million_vnd"]
    published: float
    decimals: int = 0
    qualifier: Literal["exact", "at_least", "at_most", "about"]
    dataset: float | None
    convention: Convention | None
    sources: SourceScope
    matches: bool | None
    reason: Literal["post_merger", "no_date", "period", "after_last_report"] | None = None
    source_id: str
    url: str | None


class StandingRow(Contract):
    """A province's published cumulative rate (a fraction) near the province's own date."""

    province: str
    value: float
    decimals: int = 1
    """Decimals of the rate as published (in percent: 70 → 0, 75.6 → 1)."""
    qualifier: Literal["exact", "at_least", "at_most", "about"] = "exact"
    as_of: str
    days_apart: int
    sources: SourceScope
    comparability: Literal["same_sources", "sources_differ", "sources_unstated", "post_merger"]
    figure_id: str
    url: str | None
    own: bool = False
    """The row of the brief's own province."""


class PublishedStanding(Contract):
    """Where the province stands among provinces that published a comparable rate."""

    measure: str
    as_of: str
    value: float | None
    rank: int | None
    n: int
    window_days: int
    rows: list[StandingRow]


class FormerUnit(Contract):
    """A former commune a new unit took over (``geography.formers``)."""

    unit_code: str
    name_vi: str
    name_en: str
    district_code: str | None
    district_name_vi: str | None = None
    district_name_en: str | None = None
    clause: str | None = None


class DistrictShare(Contract):
    """A former district of the scope: how many of its communes the scope took."""

    unit_code: str
    name_vi: str
    name_en: str
    communes_taken: int
    communes_total: int
    home: bool = False


class DistrictContext(Contract):
    """The lines booked to a former district itself (beside a unit's record, never in it)."""

    unit_code: str
    n_lines: int
    allocated_mvnd: float | None
    disbursed_deadline_mvnd: float | None
    execution_rate_deadline: float | None


class Apportioned(Contract):
    """An ESTIMATE of the scope's share of a district's own lines (``key``: communes or a
    column of the units table; ``share`` = ``part`` / ``whole``)."""

    unit_code: str
    key: str
    part: float | None
    whole: float | None
    share: float | None
    allocated_mvnd: float | None
    disbursed_deadline_mvnd: float | None
    execution_rate_deadline: float | None
    estimate: Literal[True] = True


class PooledRate(Contract):
    """A unit's deadline execution rate, raw and shrunk toward its parent, with its interval."""

    level: Literal["district", "former_commune", "new_unit"]
    unit_code: str
    name_vi: str
    name_en: str
    n_lines: int
    allocated_mvnd: float | None
    disbursed_mvnd: float | None
    raw_rate: float | None
    prior_rate: float | None
    pooled_rate: float | None
    ci_low: float | None
    ci_high: float | None
    few: bool


class Geography(Contract):
    """Today's geography of the scope (:mod:`helpers.analysis.geography`)."""

    kind: Literal["province", "district", "former_commune", "new_unit"]
    home_district: str | None = None
    legal_basis: str | None = None
    effective_date: str | None = None
    formers: list[FormerUnit] = []
    districts: list[DistrictShare] = []
    district_context: list[DistrictContext] = []
    apportion: str = "none"
    apportioned: list[Apportioned] | None = None
    """Present only when an apportioning was requested: always an estimate."""
    pooled: list[PooledRate] = []
    pooled_model: str | None = None
    min_lines: int | None = None


class ProjectRow(Contract):
    """Execution by project (``subproject_code`` None) or sub-project of the program, at the
    three cut-offs (amounts million VND, rates fractions; the annex workbook's table)."""

    project_code: str
    subproject_code: str | None = None
    name_vi: str | None = None
    name_en: str | None = None
    n_lines: int
    allocated_mvnd: float | None
    disbursed_dec31_mvnd: float | None
    disbursed_deadline_mvnd: float | None
    disbursed_last_mvnd: float | None
    execution_rate_deadline: float | None
    execution_rate_last: float | None


class Metrics(Contract):
    """``metrics.json``: the assessment of one scope."""

    schema_version: Literal[1] = 1
    scope: str
    unit_code: str
    scope_level: str
    scope_name_vi: str
    scope_name_en: str
    province_code: str
    demo: bool
    data_origin: str
    data_sha256: str
    lang: str | None
    as_of: str
    years: list[int]
    years_with_allocation: list[int]
    allocated_mvnd: float | None
    disbursed_mvnd: float | None
    disbursed_dec31_mvnd: float | None
    disbursed_deadline_mvnd: float | None
    execution_rate_dec31: float | None
    execution_rate_deadline: float | None
    execution_rate_last: float | None
    by_year: list[YearRow]
    by_capital_type: dict[str, Amounts]
    by_source: dict[str, Amounts]
    carried_over_mvnd: float | None
    carried_over_disbursed_mvnd: float | None
    carried_over_disbursed_share: float | None
    carried_over_open_mvnd: float | None
    lapsed_mvnd: float | None
    q4_share: float | None
    dec_jan_share: float | None
    pefa_aggregate_grade: str | None
    pefa_aggregate_years: list[int]
    pefa_aggregate_outturn: dict[str, float | None]
    pefa_composition_grade: str | None
    pefa_composition_by: str
    pefa_composition_variance: dict[str, float | None]
    pefa_baseline: Literal["approved", "approved_partly", "allocated"] = "allocated"
    pefa_provisional: bool = False
    targets_met: int
    targets_not_met: int
    targets_no_data: int
    targets_total: int
    median_months_to_50: float | None
    district_rank: int | None
    districts_ranked: int
    province_execution_rate_deadline: float | None
    district_ranking: list[RankingRow]
    target_scorecard: list[ScorecardRow]
    district_model: DistrictModel | None = None
    """The mix-adjusted comparison behind the ranking's ``adjusted_*`` columns."""
    figures: list[str] = []
    carry_over_by_law: dict[str, float | None] | None = None
    """Extended (investment), carried-over (recurrent), open and lapsed amounts by law."""
    line_status_at_last_report: dict[str, int] | None = None
    committee_rates: list[CommitteeRate] | None = None
    published_comparison: list[PublishedFigure] | None = None
    """The province's published figures beside the dataset (province scope only; empty when
    none is shipped for the province)."""
    published_standing: PublishedStanding | None = None
    """The province among provinces with comparable published rates (province scope only)."""
    geography: Geography | None = None
    """What the scope was made of on 1 July 2025, the district context, pooled rates."""
    by_project: list[ProjectRow] | None = None
    """Execution by project and sub-project (each project's row, then its sub-projects')."""


# ----------------------------------------------------------------------------- lag.json
class Interval(Contract):
    """An estimate with its interval (either end may be unknown)."""

    estimate: float | None
    ci_low: float | None
    ci_high: float | None


class TimingEffect(Interval):
    """Change of the share disbursed by the deadline per month later decision (pp)."""

    n_lines: int | None = None
    se: float | None = None
    weighting: Literal["lines", "amount"] | None = None
    """"lines": averaged over lines; "amount": weighted by amount (the effect on the rate)."""
    by_capital_type: dict[str, Any] = {}
    province: dict[str, Any] | None = None
    method: str | None = None


class Counterfactual(Contract):
    """An earlier-allocation scenario for the scope's lines, within the support of the data.

    ``ci_low``/``ci_high``: delta method (parameter uncertainty); ``*_bootstrap``:
    district-cluster bootstrap; ``ci_used`` names the wider, whose ends are ``ci_wide_*``.
    """

    date: str
    gain_mvnd: float | None
    ci_low: float | None
    ci_high: float | None
    scenario: Literal["date", "feasible"] | None = None
    support_rule: str | None = None
    n_lines: int | None = None
    n_lines_moved: int | None = None
    mean_months_gained: float | None = None
    allocated_mvnd: float | None = None
    observed_deadline_mvnd: float | None = None
    ci_low_bootstrap: float | None = None
    ci_high_bootstrap: float | None = None
    n_boot: int | None = None
    n_boot_ok: int | None = None
    ci_used: Literal["delta_method", "cluster_bootstrap"] | None = None
    ci_wide_low: float | None = None
    ci_wide_high: float | None = None
    n_lines_outside_support: int | None = None
    outside_support_mvnd: float | None = None
    share_lines_outside_support: float | None = None
    share_capital_outside_support: float | None = None
    by_year: list[dict[str, Any]] = []
    cells: list[dict[str, Any]] = []


class Caveat(Contract):
    """A model caveat in both languages."""

    id: str
    en: str
    vi: str


class Lag(Contract):
    """``lag.json``: the disbursement-lag results of one scope."""

    schema_version: Literal[1] = 1
    scope: str
    scope_level: str
    scope_name_vi: str
    scope_name_en: str
    demo: bool
    data_origin: str
    data_sha256: str
    as_of: str | None
    n_lines: int
    ci_level: float
    timing_effect_pp_per_month: TimingEffect
    timing_effect_pp_per_month_weighted: TimingEffect | None = None
    n_lines_not_reported: int | None = None
    not_reported_mvnd: float | None = None
    months_to_50pct: float | None
    months_to_90pct: float | None
    months_to_share: dict[str, dict[str, Any]]
    counterfactual: Counterfactual
    counterfactual_feasible: Counterfactual | None = None
    profile: dict[str, Any]
    time_to_share: dict[str, Any]
    cox_province: dict[str, Any]
    ph_check: dict[str, dict[str, Any]]
    year_end_model: dict[str, Any]
    n_per_model: dict[str, Any]
    caveats: list[Caveat]
    fit_seconds: dict[str, float]
    parameters: dict[str, Any] = {}
    figures: list[str] = []


# ----------------------------------------------------------------------------- outlook.json
class Band(Contract):
    """Mean of simulated draws (or a point value) and its 95 % interval."""

    mean: float | None
    low: float | None = None
    high: float | None = None


OutlookStatus = Literal["projected", "not_estimable", "thin_evidence", "no_history", "no_plan"]


class OutlookCell(Contract):
    """One year x scenario x capital type ("all": both) of the outlook, million VND."""

    plan_year: int
    scenario: str
    capital_type: str
    status: OutlookStatus
    allocated_mvnd: float
    decision_month: int | None = None
    n_lines_simulated: int | None = None
    disbursed_dec31: Band | None = None
    disbursed_deadline: Band | None = None
    carried_over: Band | None = None
    at_risk_of_lapse: Band | None = None


class OutlookTotal(Contract):
    """One scenario over 2026–2030 (status "incomplete" when a year is not projected)."""

    scenario: str
    status: Literal["projected", "incomplete"]
    allocated_mvnd: float | None = None
    disbursed_deadline: Band | None = None
    carried_over: Band | None = None
    at_risk_of_lapse: Band | None = None
    gain_vs_observed_deadline: Band | None = None


class OutlookIndicator(Contract):
    """One indicator's path to 2030."""

    indicator_code: str
    name_vi: str
    name_en: str
    unit: str
    direction: str
    baseline_value: float | None
    latest_value: float | None
    latest_year: int | None
    target_2030: float | None
    target_2030_basis: Literal["user", "published", "none"]
    target_2030_source_id: str | None = None
    pace_per_year: float | None
    pace_needed_per_year: float | None
    value_2030: Band | None
    status: Literal["on_track", "off_track", "no_data"]


class Outlook(Contract):
    """``outlook.json``: the 2026–2030 outlook of one scope (notebook 04).

    ``evidence``: "ok" (projected), "thin" (fewer fitted lines than the brief's minimum),
    "no_history" (none) or "ceased" (a unit that no longer exists in 2026). ``plan_basis``:
    "table" (the plan_2026_2030 table) or "assumption" (its formula in ``assumption``).
    """

    schema_version: Literal[1] = 1
    scope: str
    unit_code: str
    scope_name_vi: str
    scope_name_en: str
    level: str
    demo: bool
    data_sha256: str
    years: list[int]
    evidence: Literal["ok", "thin", "no_history", "ceased"]
    n_lines_history: int
    min_lines: int
    plan_basis: Literal["table", "assumption", "none"]
    assumption: dict[str, Any] | None = None
    flags: dict[str, bool]
    scenarios: list[dict[str, Any]]
    cells: list[OutlookCell]
    totals: list[OutlookTotal]
    cumulative: list[dict[str, Any]]
    indicators: list[OutlookIndicator]
    plan_by_year: list[dict[str, Any]] = []
    fan_quantiles: list[float] = []
    n_sims: int
    seed: int
    parameters: dict[str, Any] = {}
    figures: list[str] = []


# ----------------------------------------------------------------------------- brief entry
class BriefEntry(Contract):
    """``brief.<lang>.json``: the headline numbers of one brief, for the run's index."""

    schema_version: Literal[1] = 1
    slug: str
    scope: str
    unit_code: str
    level: str
    name_vi: str
    name_en: str
    lang: str
    demo: bool
    html: str
    period: str
    allocated_mvnd: float | None
    disbursed_mvnd: float | None
    execution_rate_deadline: float | None
    carried_over_mvnd: float | None
    targets_met: float | None
    targets_total: float | None
    generated_at: str
    data_sha256: str | None = None
    """SHA-256 of the data the brief was built from (its metrics and lag results), None when
    they disagree: the index marks a brief that is not from the run's current data."""
    n_lines: int | None = None
    """Plan lines of the unit (``lag.json`` ``n_lines``): 0 for a unit with no plan lines,
    which the index and the run's summary say; None in an entry written before it was kept."""
