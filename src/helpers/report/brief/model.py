"""The brief's inputs: where they live, how they are read (through the contracts), the Brief."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers.core.contracts import (
    BriefEntry,
    ContractError,
    DistrictModel,
    Lag,
    Metrics,
    Outlook,
    RankingRow,
)
from helpers.core.formatting import check_lang, percent
from helpers.core.formatting import date as fmt_date
from helpers.core.paths import OUTPUTS_DIR, REPO_ROOT, scope_slug
from helpers.data import datasets
from helpers.report.brief.values import fmt_cf_date, fmt_period, num, ratio, t

NEXT_PERIOD: tuple[int, int] = (2026, 2030)
"""The period the workshop prepares proposals for."""

DISTRICT_LEVEL_ENDED = dt.date(2025, 7, 1)
"""Two-tier local government: the district level was abolished on 1 July 2025."""

HTML_NAME = "brief.{lang}.html"
ENTRY_NAME = "brief.{lang}.json"
METRICS_NAME = "metrics.json"
LAG_NAME = "lag.json"
OUTLOOK_NAME = "outlook.json"
PROVINCE_WORDS = ("province", "tỉnh", "toàn tỉnh")
PRODUCERS = {
    METRICS_NAME: "notebooks/01_assessment.ipynb",
    LAG_NAME: "notebooks/02_disbursement_lag.ipynb",
}


class BriefInputError(ContractError):
    """A result file the brief reads is missing, unreadable, or does not match its contract."""


def read_result(model: type[Metrics] | type[Lag], path: Path) -> Any:
    """``path`` parsed with ``model``; a :class:`BriefInputError` names the file and the key,
    or the notebook to run when the file is missing."""
    try:
        return model.read(path)
    except ContractError as exc:
        if not path.is_file():
            raise BriefInputError(
                f"{path.name} not found: {path}. Run {PRODUCERS[path.name]} for this scope "
                "first (or pass its folder as a parameter)."
            ) from exc
        missing = re.fullmatch(r"(.*): key '([^']*)': Field required", str(exc))
        if missing:
            raise BriefInputError(
                f"{missing.group(1)}: missing required key '{missing.group(2)}'"
            ) from exc
        raise BriefInputError(str(exc)) from exc


# --------------------------------------------------------------------------- folders
def _resolve_dir(value: str | Path, default: Path) -> Path:
    if not str(value).strip():
        return default
    p = Path(value).expanduser()
    return p if p.is_absolute() else (REPO_ROOT / p)


def resolve_scope_slug(scope: str, data: str = "demo", outputs_dir: Path = OUTPUTS_DIR) -> str:
    """The output folder name of ``scope``, opening the dataset ``data`` only for a unit name.

    "province" → ``province``; a unit code whose folder exists → its slug; otherwise (a unit
    name such as "Bảo Lạc") the name is resolved in the dataset. Always a safe slug.
    """
    text = str(scope).strip()
    if text.lower() in PROVINCE_WORDS:
        return "province"
    slug = scope_slug(text)
    if slug == text and (outputs_dir / slug).is_dir():
        return slug
    ds = datasets.open_dataset(data)
    sc = datasets.resolve_scope(ds, text)
    return scope_slug(sc.code, ds.province_code)


@dataclass(frozen=True)
class BriefDirs:
    """Where a brief reads from and writes to."""

    slug: str
    out_dir: Path
    assessment_dir: Path
    lag_dir: Path
    province_assessment_dir: Path


def brief_dirs(
    scope: str,
    data: str = "demo",
    out_dir: str | Path = "",
    assessment_dir: str | Path = "",
    lag_dir: str | Path = "",
    province_assessment_dir: str | Path = "",
    outputs_dir: Path = OUTPUTS_DIR,
) -> BriefDirs:
    """Resolve the notebook's folder parameters (empty = ``outputs/<slug>/<step>``; relative
    paths resolve against :data:`helpers.core.paths.REPO_ROOT`)."""
    given = all(str(v).strip() for v in (out_dir, assessment_dir, lag_dir))
    slug = scope_slug(str(scope)) if given else resolve_scope_slug(scope, data, outputs_dir)
    if str(scope).strip().lower() in PROVINCE_WORDS:
        slug = "province"
    base = outputs_dir / slug
    return BriefDirs(
        slug=slug,
        out_dir=_resolve_dir(out_dir, base / "brief"),
        assessment_dir=_resolve_dir(assessment_dir, base / "assessment"),
        lag_dir=_resolve_dir(lag_dir, base / "lag"),
        province_assessment_dir=_resolve_dir(
            province_assessment_dir, outputs_dir / "province" / "assessment"
        ),
    )


# --------------------------------------------------------------------------- the brief
def district_ranking(metrics: Metrics, province: Metrics | None = None) -> list[RankingRow]:
    """The district comparison of the scope's ``metrics.json``, else of the province's."""
    if metrics.district_ranking:
        return list(metrics.district_ranking)
    return list(province.district_ranking) if province is not None else []


def district_model(metrics: Metrics, province: Metrics | None = None) -> DistrictModel | None:
    """The mix-adjusted comparison that goes with :func:`district_ranking` (same source)."""
    if metrics.district_ranking:
        return metrics.district_model
    return province.district_model if province is not None else None


def districts(ranking: Sequence[RankingRow] | None) -> list[RankingRow]:
    """The district rows of a ranking that have an execution rate."""
    return [r for r in ranking or [] if r.level == "district" and num(r.execution_rate) is not None]


def province_row(ranking: Sequence[RankingRow] | None) -> RankingRow | None:
    """The province row of a ranking (the reference line), if any."""
    return next((r for r in ranking or [] if r.level == "province"), None)


def unit_name(row: Any, lang: str) -> str:
    """``name_<lang>`` of a ranking row or index entry, else its Vietnamese name or code."""
    get = row.get if isinstance(row, dict) else lambda k: getattr(row, k, None)
    return str(get(f"name_{lang}") or get("name_vi") or get("unit_code") or "")


def capital_rates(m: Metrics) -> dict[str, float | None]:
    """Execution rates at the deadline and last report, overall and by capital type."""
    out: dict[str, float | None] = {
        "last": ratio(m.disbursed_mvnd, m.allocated_mvnd),
        "deadline": num(m.execution_rate_deadline),
        "dec31": num(m.execution_rate_dec31),
    }
    for ctype in ("investment", "recurrent"):
        row = m.by_capital_type.get(ctype)
        alloc = row.allocated_mvnd if row else None
        out[f"{ctype}_deadline"] = ratio(row.disbursed_deadline_mvnd, alloc) if row else None
        out[f"{ctype}_last"] = ratio(row.disbursed_mvnd, alloc) if row else None
    return out


@dataclass
class Brief:
    """The results of one scope, the language, parameters and provenance of its brief.

    ``metrics`` and ``lag`` may be given as dicts: they are parsed with their contracts.
    ``rendered`` keeps each section once rendered, so the page reuses the notebook's sections.
    """

    metrics: Metrics
    lag: Lag
    lang: str = "vi"
    params: dict[str, str] = field(default_factory=dict)
    inputs: dict[str, Path] = field(default_factory=dict)
    ranking: list[RankingRow] | None = None
    district_model: DistrictModel | None = None
    """The mix-adjusted comparison of :attr:`ranking` (default: the metrics' own)."""
    out_dir: Path | None = None
    slug: str = "province"
    generated_at: dt.datetime = field(
        default_factory=lambda: dt.datetime.now(dt.UTC).replace(microsecond=0)
    )
    rendered: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    outlook: Outlook | None = None
    """The scope's ``outlook.json`` (notebook 04), when there is one."""

    def __post_init__(self) -> None:
        check_lang(self.lang)
        if self.outlook is not None and not isinstance(self.outlook, Outlook):
            self.outlook = Outlook.parse(self.outlook)
        if not isinstance(self.metrics, Metrics):
            self.metrics = Metrics.parse(self.metrics)
        if not isinstance(self.lag, Lag):
            self.lag = Lag.parse(self.lag)
        if self.ranking is None:
            self.ranking = district_ranking(self.metrics)
        if self.district_model is None:
            self.district_model = self.metrics.district_model

    @property
    def demo(self) -> bool:
        return self.metrics.demo or self.lag.demo

    @property
    def is_district(self) -> bool:
        return self.metrics.scope_level != "province"

    @property
    def has_lines(self) -> bool:
        """False for a unit with no plan lines: no line in ``lag.json`` and nothing allocated
        in ``metrics.json`` (its brief then says so instead of drawing empty charts)."""
        return self.lag.n_lines > 0 or bool(num(self.metrics.allocated_mvnd))

    @property
    def unit_code(self) -> str:
        return self.metrics.unit_code

    @property
    def kind(self) -> str:
        """``province``, ``district``, ``former_commune`` or ``new_unit`` (metrics.json's
        ``geography``; a result without it: province or district by its level)."""
        geo = self.metrics.geography
        if geo is not None:
            return geo.kind
        return "district" if self.is_district else "province"

    @property
    def is_new_unit(self) -> bool:
        """A commune-level unit created on 1 July 2025."""
        return self.kind == "new_unit"

    @property
    def is_commune_level(self) -> bool:
        """A new unit or a former commune: not one of the districts the ranking compares."""
        return self.kind in ("new_unit", "former_commune")

    def scope_name(self, lang: str | None = None) -> str:
        lang = lang or self.lang
        value = getattr(self.metrics, f"scope_name_{lang}") or self.metrics.scope_name_vi
        return value or self.unit_code

    def scope_phrase(self) -> str:
        geo = self.metrics.geography
        if self.is_new_unit and geo is not None and geo.effective_date and geo.legal_basis:
            return t(
                "scope_new_unit",
                self.lang,
                name=self.scope_name(),
                date=fmt_date(geo.effective_date, self.lang),
                basis=geo.legal_basis,
            )
        key = "scope_district" if self.is_district else "scope_province"
        return t(key, self.lang, name=self.scope_name())

    @property
    def period(self) -> str:
        return fmt_period(self.metrics.years)

    @property
    def next_period(self) -> str:
        return fmt_period(NEXT_PERIOD)

    @property
    def as_of(self) -> str:
        return fmt_date(self.metrics.as_of, self.lang)

    @property
    def ci_level(self) -> str:
        return percent(self.lag.ci_level, self.lang, 0)

    @property
    def cf_date(self) -> str:
        return fmt_cf_date(self.lag.counterfactual.date, self.lang)

    def title(self) -> str:
        return t("title", self.lang, period=self.period, scope=self.scope_phrase())


def load_brief(
    *,
    data: str = "demo",
    scope: str = "province",
    lang: str = "vi",
    out_dir: str | Path = "",
    assessment_dir: str | Path = "",
    lag_dir: str | Path = "",
    province_assessment_dir: str | Path = "",
    outputs_dir: Path = OUTPUTS_DIR,
    outlook_dir: str | Path = "",
) -> Brief:
    """Read the scope's ``metrics.json`` and ``lag.json`` and assemble a :class:`Brief`.

    Raises:
        BriefInputError: a file is missing or does not match its contract (the message names
            the file and the key), or the two files are of different scopes.
        ParameterError: ``lang`` is not "vi" or "en".
    """
    check_lang(lang)
    dirs = brief_dirs(
        scope, data, out_dir, assessment_dir, lag_dir, province_assessment_dir, outputs_dir
    )
    m_path = dirs.assessment_dir / METRICS_NAME
    l_path = dirs.lag_dir / LAG_NAME
    metrics = read_result(Metrics, m_path)
    lag = read_result(Lag, l_path)
    _check_same_scope(metrics, lag, m_path, l_path)
    inputs = {"metrics": m_path, "lag": l_path}
    p_path = dirs.province_assessment_dir / METRICS_NAME
    province = None
    if p_path.is_file() and p_path.resolve() != m_path.resolve():
        province = read_result(Metrics, p_path)
        inputs["province_metrics"] = p_path
    o_path = _resolve_dir(outlook_dir, outputs_dir / dirs.slug / "outlook") / OUTLOOK_NAME
    outlook = None
    if o_path.is_file():
        outlook = read_outlook(o_path, metrics)
        inputs["outlook"] = o_path
    params = {
        "data": str(data),
        "scope": str(scope),
        "lang": lang,
        "out_dir": str(out_dir),
        "assessment_dir": str(assessment_dir),
        "lag_dir": str(lag_dir),
        "province_assessment_dir": str(province_assessment_dir),
        "outlook_dir": str(outlook_dir),
    }
    return Brief(
        metrics=metrics,
        lag=lag,
        lang=lang,
        params=params,
        inputs=inputs,
        ranking=district_ranking(metrics, province),
        district_model=district_model(metrics, province),
        out_dir=dirs.out_dir,
        slug=dirs.slug,
        outlook=outlook,
    )


def read_outlook(path: Path, metrics: Metrics) -> Outlook:
    """``outlook.json`` of the brief's scope (a :class:`BriefInputError` when it does not
    match its contract or is of another scope)."""
    try:
        outlook = Outlook.read(path)
    except ContractError as exc:
        raise BriefInputError(str(exc)) from exc
    if outlook.unit_code != metrics.unit_code:
        raise BriefInputError(
            f"{path} is for unit {outlook.unit_code!r} but the brief is for "
            f"{metrics.unit_code!r}: pass the outlook folder of the same scope"
        )
    return outlook


def _check_same_scope(metrics: Metrics, lag: Lag, m_path: Path, l_path: Path) -> None:
    def norm(scope: str) -> str:
        return "province" if scope == metrics.province_code else scope

    if norm(metrics.scope) != norm(lag.scope):
        raise BriefInputError(
            f"{m_path} is for scope {metrics.scope!r} but {l_path} is for scope {lag.scope!r}: "
            "pass the folders of the same scope"
        )


def index_entry(b: Brief, html_name: str) -> BriefEntry:
    """The headline numbers of a brief for the run's ``index.html``."""
    m = b.metrics
    return BriefEntry(
        slug=b.slug,
        scope=m.scope,
        unit_code=b.unit_code,
        level="district" if b.is_district else "province",
        name_vi=b.scope_name("vi"),
        name_en=b.scope_name("en"),
        lang=b.lang,
        demo=b.demo,
        html=html_name,
        period=b.period,
        allocated_mvnd=m.allocated_mvnd,
        disbursed_mvnd=m.disbursed_mvnd,
        execution_rate_deadline=capital_rates(m)["deadline"],
        carried_over_mvnd=m.carried_over_mvnd,
        targets_met=m.targets_met,
        targets_total=m.targets_total,
        generated_at=b.generated_at.isoformat(),
        data_sha256=m.data_sha256 if m.data_sha256 == b.lag.data_sha256 else None,
        n_lines=b.lag.n_lines,
    )
