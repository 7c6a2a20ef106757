"""The batch's steps, the nodes of its DAG: one notebook run (or format function) per scope
(and language).

A step names the steps it needs (:class:`Upstream`): ``reads`` edges pass an upstream output
folder as a parameter and make its outputs part of the step's fingerprint; order-only edges
(``reads=False``) only order two steps that both run. :func:`default_steps` declares the
workbench's four notebooks and its format steps; tests pass a table of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers.core.paths import NOTEBOOKS_DIR, PACKAGE_DIR
from helpers.core.scope import Scope

ANALYSIS_LANG = "vi"
"""Language of the assessment and lag notebooks' own figures and tables (run once per scope;
each brief is written in its own language from their JSON results)."""


@dataclass(frozen=True)
class ScopeInfo(Scope):
    """A :class:`helpers.core.scope.Scope` with the folder slug a run writes it to."""

    slug: str = ""

    @property
    def parameter(self) -> str:
        return "province" if self.is_province else self.code


@dataclass(frozen=True)
class Upstream:
    """A step another step needs: ``step`` of the same scope (``scope="self"``) or of the
    province (``scope="province"``). ``reads`` False makes it an order-only edge: it must run
    first, but its outputs are not an input of the step (and its failure does not block it)."""

    step: str
    scope: str = "self"
    reads: bool = True
    parameter: str | None = None
    """Name of the parameter that receives the upstream step's output folder, if any."""
    notebooks: bool = False
    """The upstream step's executed notebooks are inputs too (the technical annex exports
    them): they enter the fingerprint with its other outputs."""


@dataclass(frozen=True)
class StepContext:
    """What a step's parameter builder gets for one scope (and language)."""

    data: str
    scope: str
    """The notebook's ``scope`` value: "province" or a unit code."""
    slug: str
    is_province: bool
    lang: str
    out_dir: Path
    """Final output folder of the step (the runner substitutes its staging folder)."""
    options: Mapping[str, str] = field(default_factory=dict)
    """Analysis options of the run (``apportion``), already checked against the data."""


@dataclass(frozen=True)
class StepSpec:
    """One notebook step of every scope.

    Attributes:
        name: step name, also the output sub-folder (``assessment``, ``lag``, ``brief``).
        notebook: the notebook file.
        parameters: builds the notebook parameters for a scope; must include ``out_dir``.
        per_lang: one run per language (the brief), else one per scope in ``ANALYSIS_LANG``.
        upstream: the steps it needs (see :class:`Upstream`).
        required_outputs: files the notebook must write into ``out_dir`` (``{lang}`` allowed).
        optional_parameters: parameters passed only when the notebook declares them.
        province_only: run for the province scope only.
        weight: default duration guess (s) for scheduling before a step has a recorded time.
        function: ``"module:function"`` of a Python step: run in the worker process itself
            (no notebook, no kernel), called with the parameters as keyword arguments;
            ``notebook`` then names its module file. Its declared parameters are the
            function's; its code is in the helper-code hash.
        folder: output sub-folder (default: ``name``).
        code_ignore: folders or files of the package (relative to ``helpers/``) left out of
            this step's helper-code hash: code it never imports or reads, so editing it does
            not re-run the step (the brief's templates for the models).
    """

    name: str
    notebook: Path
    parameters: Callable[[StepContext], dict[str, Any]]
    per_lang: bool = False
    upstream: tuple[Upstream, ...] = ()
    required_outputs: tuple[str, ...] = ()
    optional_parameters: frozenset[str] = frozenset()
    province_only: bool = False
    weight: float = 5.0
    function: str = ""
    folder: str = ""
    code_ignore: tuple[str, ...] = ()


def _common_parameters(ctx: StepContext) -> dict[str, Any]:
    return {"data": ctx.data, "scope": ctx.scope, "lang": ctx.lang, "out_dir": str(ctx.out_dir)}


def _assessment_parameters(ctx: StepContext) -> dict[str, Any]:
    """The common parameters, and ``apportion`` when the run chose a key (a notebook that
    does not declare it is run without it: see ``optional_parameters``)."""
    params = _common_parameters(ctx)
    apportion = ctx.options.get("apportion", "none")
    return params | ({"apportion": apportion} if apportion != "none" else {})


MODEL_CODE_IGNORE = (
    "report/templates",
    "report/brief",
    "report/formats",
    "steps/formats.py",
    "locale/*/LC_MESSAGES/brief.po",
    "locale/*/LC_MESSAGES/formats.po",
)
"""What the assessment and lag steps never read (``StepSpec.code_ignore``): the brief's
templates, code and texts and the other formats; editing them re-runs the briefs and the
formats, not the models (``tests/test_formats_steps.py`` checks that the model notebooks'
modules import none of it)."""

FORMATS_MODULE = PACKAGE_DIR / "steps" / "formats.py"
_FORMATS = ("workbook", "document", "annex", "pdf")


def _other_formats(mine: str) -> tuple[str, ...]:
    return tuple(f"report/formats/{f}.py" for f in _FORMATS if f != mine)


_BRIEF_PAGE = (
    "report/brief",
    "report/figures",
    "report/templates/sections",
    "report/templates/brief.css",
    "report/templates/brief.html.j2",
    "report/templates/page.html.j2",
    "report/templates/index.html.j2",
    "locale/*/LC_MESSAGES/brief.po",
)
WORKBOOK_CODE_IGNORE: tuple[str, ...] = (
    "analysis",
    "report/templates",
    "report/brief",
    "report/figures",
    *_other_formats("workbook"),
)
"""The workbook reads the JSON results through the contracts and the catalogs only (the
brief's words for a total and a target's status among them)."""
ANNEX_CODE_IGNORE = ("analysis", "data", *_BRIEF_PAGE, *_other_formats("annex"))
"""The annex converts executed notebooks (inputs of its fingerprint) with its template."""
PAGE_CODE_IGNORE = (
    "analysis",
    "data",
    "report/brief",
    "report/figures",
    "report/templates",
    "locale/*/LC_MESSAGES/brief.po",
)
"""The DOCX and PDF are made from the brief page (an input of their fingerprint)."""


def _lang_parameters(ctx: StepContext) -> dict[str, Any]:
    return {"lang": ctx.lang, "out_dir": str(ctx.out_dir)}


def _out_parameters(ctx: StepContext) -> dict[str, Any]:
    return {"out_dir": str(ctx.out_dir)}


def format_steps() -> tuple[StepSpec, ...]:
    """The formats officials work in, as Python steps (:mod:`helpers.steps.formats`, run in
    the worker process): the annex workbook (XLSX) and the editable brief (DOCX) per scope and
    language and the notebooks as a technical annex (nbconvert HTML)."""
    fn = "helpers.steps.formats:"
    steps = [
        StepSpec(
            "workbook",
            FORMATS_MODULE,
            _lang_parameters,
            per_lang=True,
            upstream=(
                Upstream("assessment", parameter="assessment_dir"),
                Upstream("lag", parameter="lag_dir"),
                Upstream("outlook", parameter="outlook_dir"),
            ),
            optional_parameters=frozenset({"outlook_dir"}),
            required_outputs=("tables.{lang}.xlsx",),
            weight=0.3,
            function=fn + "workbook",
            code_ignore=WORKBOOK_CODE_IGNORE,
        ),
        StepSpec(
            "document",
            FORMATS_MODULE,
            _lang_parameters,
            per_lang=True,
            upstream=(Upstream("brief", parameter="brief_dir"),),
            required_outputs=("brief.{lang}.docx",),
            weight=0.4,
            function=fn + "document",
            code_ignore=PAGE_CODE_IGNORE + _other_formats("document"),
        ),
        StepSpec(
            "annex",
            FORMATS_MODULE,
            _out_parameters,
            upstream=(
                Upstream("assessment", parameter="assessment_dir", notebooks=True),
                Upstream("lag", parameter="lag_dir", notebooks=True),
                Upstream("outlook", parameter="outlook_dir", notebooks=True),
            ),
            optional_parameters=frozenset({"outlook_dir"}),
            required_outputs=("01_assessment.html", "02_disbursement_lag.html"),
            weight=0.5,
            function=fn + "annex",
            code_ignore=ANNEX_CODE_IGNORE,
        ),
        StepSpec(
            "annex_brief",
            FORMATS_MODULE,
            _lang_parameters,
            per_lang=True,
            upstream=(Upstream("brief", parameter="brief_dir", notebooks=True),),
            required_outputs=("03_brief.{lang}.html",),
            weight=0.2,
            function=fn + "annex_brief",
            folder="annex",
            code_ignore=ANNEX_CODE_IGNORE,
        ),
    ]
    return tuple(steps)


def pdf_step() -> StepSpec:
    """The A4 PDF of each brief, printed by headless Chromium (``mtqg run --pdf``)."""
    return StepSpec(
        "pdf",
        FORMATS_MODULE,
        _lang_parameters,
        per_lang=True,
        upstream=(Upstream("brief", parameter="brief_dir"),),
        required_outputs=("brief.{lang}.pdf",),
        weight=1.0,
        function="helpers.steps.formats:pdf",
        code_ignore=PAGE_CODE_IGNORE + _other_formats("pdf"),
    )


def default_steps(
    notebooks_dir: Path = NOTEBOOKS_DIR, formats: bool = True
) -> tuple[StepSpec, ...]:
    """The workbench's notebooks as batch steps (and, with ``formats``, the formats).

    A brief reads the assessment and lag results of its scope and, for a district, the
    province assessment (the district ranking). A district's lag step runs after the
    province's (order-only): the province step fits the province lag model once and caches it
    on disk (:func:`helpers.analysis.lag.models.load_or_fit_province_models`), the districts load it.
    """
    return (
        StepSpec(
            "assessment",
            notebooks_dir / "01_assessment.ipynb",
            _assessment_parameters,
            required_outputs=("metrics.json",),
            optional_parameters=frozenset({"apportion"}),
            weight=8.0,
            code_ignore=MODEL_CODE_IGNORE,
        ),
        StepSpec(
            "lag",
            notebooks_dir / "02_disbursement_lag.ipynb",
            _common_parameters,
            upstream=(Upstream("lag", "province", reads=False),),
            required_outputs=("lag.json",),
            weight=10.0,
            code_ignore=MODEL_CODE_IGNORE,
        ),
        # the 2026–2030 outlook (issue 13): after the scope's lag step, whose province models
        # it loads from the cache (the province's lag step fits them: order-only edge)
        StepSpec(
            "outlook",
            notebooks_dir / "04_outlook.ipynb",
            _common_parameters,
            upstream=(Upstream("lag"), Upstream("lag", "province", reads=False)),
            required_outputs=("outlook.json",),
            weight=2.0,
            code_ignore=MODEL_CODE_IGNORE,
        ),
        StepSpec(
            "brief",
            notebooks_dir / "03_brief.ipynb",
            _common_parameters,
            per_lang=True,
            upstream=(
                Upstream("assessment", parameter="assessment_dir"),
                Upstream("lag", parameter="lag_dir"),
                Upstream("assessment", "province", parameter="province_assessment_dir"),
                Upstream("outlook", parameter="outlook_dir"),
            ),
            optional_parameters=frozenset({"province_assessment_dir", "outlook_dir"}),
            required_outputs=("brief.{lang}.html",),
            weight=6.0,
        ),
    ) + (format_steps() if formats else ())
