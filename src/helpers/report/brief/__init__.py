"""The workshop brief: a self-contained HTML page per scope and language.

A brief is what officials carry into the 2026–2030 proposal workshop, built from the results
the assessment and lag notebooks wrote for the scope (``metrics.json``, ``lag.json``, read
through :mod:`helpers.core.contracts`); nothing is re-estimated here. ``notebooks/03_brief``
shows each section inline and writes the page from the same rendered sections.

The page is rendered here rather than converted from the notebook with nbconvert: a briefing
paper carries no code, prompts or CDN scripts to strip, the notebook writes it itself
(atomically) so a run needs nothing but papermill, and tests render complete briefs from small
JSON fixtures without a kernel. The page allows no script and no network load (its CSP); every
data string is escaped by the templates.

Modules: :mod:`.values` (text look-ups, formats), :mod:`.model` (inputs, :class:`Brief`),
:mod:`.findings` (thresholds, findings, proposals), :mod:`.sentences`, :mod:`.charts`,
:mod:`.sections` (each section's context), :mod:`.reconcile` (the published figures beside the
dataset), :mod:`.render` (templates, writing),
:mod:`.index` (the run's index) and ``python -m helpers.report.brief render|index``::

    python -m helpers.report.brief render --assessment-dir outputs/province/assessment \\
        --lag-dir outputs/province/lag --lang vi --out-dir /tmp/brief
    python -m helpers.report.brief index outputs            # writes outputs/index.html
"""

from __future__ import annotations

from helpers.core.paths import scope_slug
from helpers.report.brief.charts import PNG_SIGNATURE, chart_profiles, profile_curve, upstream_png
from helpers.report.brief.cli import main
from helpers.report.brief.findings import (
    CARRY_OVER_SHARE,
    DEC_JAN_SHARE,
    DISTRICT_GAP_PP,
    MIN_LINES,
    RECURRENT_GAP_PP,
    Finding,
    Proposal,
    counterfactual_status,
    findings,
    proposals,
    timing_effect_status,
)
from helpers.report.brief.index import collect_entries, write_index
from helpers.report.brief.model import (
    Brief,
    BriefDirs,
    BriefInputError,
    brief_dirs,
    district_model,
    district_ranking,
    index_entry,
    load_brief,
    resolve_scope_slug,
)
from helpers.report.brief.render import (
    TEMPLATES_DIR,
    Section,
    capital_section,
    geography_section,
    key_figures_section,
    method_section,
    outlook_section,
    proposals_section,
    provenance_section,
    ranking_section,
    reconcile_section,
    render_html,
    sections,
    targets_section,
    timing_section,
    title_section,
    write_brief,
    written,
)
from helpers.report.brief.sections import key_figures, provenance
from helpers.report.brief.sentences import (
    sentence_capital_types,
    sentence_counterfactual,
    sentence_cutoffs,
    sentence_months,
    sentence_ranking,
    sentence_targets,
    sentence_timing_effect,
    sentence_totals,
    sentence_years,
)

__all__ = [
    "CARRY_OVER_SHARE",
    "DEC_JAN_SHARE",
    "DISTRICT_GAP_PP",
    "MIN_LINES",
    "PNG_SIGNATURE",
    "RECURRENT_GAP_PP",
    "TEMPLATES_DIR",
    "Brief",
    "BriefDirs",
    "BriefInputError",
    "Finding",
    "Proposal",
    "Section",
    "brief_dirs",
    "capital_section",
    "geography_section",
    "chart_profiles",
    "collect_entries",
    "counterfactual_status",
    "district_model",
    "district_ranking",
    "findings",
    "index_entry",
    "key_figures",
    "key_figures_section",
    "load_brief",
    "main",
    "method_section",
    "profile_curve",
    "outlook_section",
    "proposals",
    "proposals_section",
    "provenance",
    "provenance_section",
    "ranking_section",
    "reconcile_section",
    "render_html",
    "resolve_scope_slug",
    "scope_slug",
    "sections",
    "sentence_capital_types",
    "sentence_counterfactual",
    "sentence_cutoffs",
    "sentence_months",
    "sentence_ranking",
    "sentence_targets",
    "sentence_timing_effect",
    "sentence_totals",
    "sentence_years",
    "targets_section",
    "timing_effect_status",
    "timing_section",
    "title_section",
    "upstream_png",
    "write_brief",
    "write_index",
    "written",
]
