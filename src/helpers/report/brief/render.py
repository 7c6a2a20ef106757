"""Sections and pages through Jinja2 templates (autoescaped), and writing a brief.

Each section is rendered once per :class:`~helpers.report.brief.model.Brief` (kept in
``Brief.rendered``): the notebook shows it inline and the page assembles the same HTML, so no
chart is drawn twice. Every value in a template is escaped; only rendered sections and the
house CSS are marked safe.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from helpers import __version__
from helpers.core.files import atomic_write_text
from helpers.core.formatting import check_lang
from helpers.core.paths import PACKAGE_DIR
from helpers.core.text import tr
from helpers.data.dataset import DEMO_LABEL
from helpers.report.brief import sections as ctx
from helpers.report.brief.geography import geography_context
from helpers.report.brief.model import ENTRY_NAME, HTML_NAME, Brief, index_entry
from helpers.report.brief.outlook import outlook_context
from helpers.report.brief.reconcile import reconcile_context
from helpers.report.brief.values import demo_note
from helpers.report.formats.links import annex_links

TEMPLATES_DIR: Path = PACKAGE_DIR / "report" / "templates"
GENERATOR = f"mtqg-workbench {__version__}"


@cache
def environment(lang: str) -> Environment:
    """The template environment of ``lang``: autoescaping on, ``tr(msgid, **values)`` bound to
    the language, undefined values an error."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    check_lang(lang)

    def tr_lang(msgid: str, **values: object) -> str:
        return tr(msgid, lang, **values)

    env.globals["tr"] = tr_lang
    return env


@dataclass(frozen=True)
class Section:
    """One rendered section of the brief: shown inline in the notebook, assembled into the page."""

    id: str
    html: Markup

    def __repr__(self) -> str:
        return f"Section({self.id!r})"

    def __html__(self) -> str:
        return str(self.html)

    def _repr_html_(self) -> str:
        return str(self.html)


def provenance_with_annex(b: Brief) -> dict[str, Any]:
    """The provenance block, with links to the technical annex (the executed notebooks as
    HTML pages, which the batch writes into the scope's ``annex`` folder)."""
    return ctx.provenance_context(b) | {
        "annex_label": tr("formats.annex_links", b.lang),
        "annex": annex_links(b.lang),
    }


SECTIONS: dict[str, tuple[str, Callable[[Brief], dict[str, Any]]]] = {
    "title": ("title", ctx.title_context),
    "key-figures": ("key_figures", ctx.key_figures_context),
    "geography": ("geography", geography_context),
    "capital": ("capital", ctx.capital_context),
    "reconcile": ("reconcile", reconcile_context),
    "timing": ("timing", ctx.timing_context),
    "targets": ("targets", ctx.targets_context),
    "ranking": ("ranking", ctx.ranking_context),
    "outlook": ("outlook", outlook_context),
    "proposals": ("proposals", ctx.proposals_context),
    "method": ("method", ctx.method_context),
    "provenance-footer": ("provenance", provenance_with_annex),
}
"""Section id → (template under ``sections/``, context builder), in the page's order. A section
whose template renders nothing (the reconciliation of a district brief) is left out of the
page."""


def section(b: Brief, section_id: str) -> Section:
    """Section ``section_id`` of ``b``, rendered on first use and kept on ``b``."""
    if section_id not in b.rendered:
        template, context = SECTIONS[section_id]
        html = environment(b.lang).get_template(f"sections/{template}.html.j2").render(context(b))
        b.rendered[section_id] = Section(section_id, Markup(html.strip()))
    return b.rendered[section_id]


def title_section(b: Brief) -> Section:
    """Program, scope, period, purpose, data date, preparation date; DEMO when synthetic."""
    return section(b, "title")


def key_figures_section(b: Brief) -> Section:
    """Allocated, disbursed, rate at the deadline, carried over, targets met N of M."""
    return section(b, "key-figures")


def geography_section(b: Brief) -> Section:
    """What a new unit was made of, its districts' own lines beside its record, its pooled
    rate and a locator map (left out of the province brief)."""
    return section(b, "geography")


def capital_section(b: Brief) -> Section:
    """Capital and disbursement over the period."""
    return section(b, "capital")


def reconcile_section(b: Brief) -> Section:
    """The committee's conventions and the published figures beside the dataset (province)."""
    return section(b, "reconcile")


def timing_section(b: Brief) -> Section:
    """Months to disburse, the timing effect and the counterfactual."""
    return section(b, "timing")


def targets_section(b: Brief) -> Section:
    """N of M targets met, with the scorecard."""
    return section(b, "targets")


def ranking_section(b: Brief) -> Section:
    """A district among the province's districts, or the districts compared."""
    return section(b, "ranking")


def outlook_section(b: Brief) -> Section:
    """2026–2030: what the next period needs (``outlook.json``; left out when there is none)."""
    return section(b, "outlook")


def proposals_section(b: Brief) -> Section:
    """Proposals for the next period, each with its finding."""
    return section(b, "proposals")


def method_section(b: Brief) -> Section:
    """Method and data notes, with the model's caveats."""
    return section(b, "method")


def provenance_section(b: Brief) -> Section:
    """Footer: data, inputs, parameters, version, commit, time."""
    return section(b, "provenance-footer")


def sections(b: Brief) -> list[Section]:
    """Every section of the brief that has something to show, in order."""
    return [s for s in (section(b, sid) for sid in SECTIONS) if str(s.html)]


def page(template: str, title: str, lang: str, demo: bool, **context: Any) -> str:
    """A self-contained page from ``template`` (which extends ``page.html.j2``)."""
    css = (TEMPLATES_DIR / "brief.css").read_text(encoding="utf-8")
    full_title = f"{DEMO_LABEL} – {title}" if demo else title
    return (
        environment(lang)
        .get_template(template)
        .render(
            lang=lang,
            generator=GENERATOR,
            title=full_title,
            css=Markup(css),
            demo=demo,
            demo_label=DEMO_LABEL,
            demo_note=demo_note(lang),
            **context,
        )
    )


def render_html(b: Brief) -> str:
    """The complete brief page, from the sections already rendered for ``b``."""
    return page(
        "brief.html.j2", b.title(), b.lang, b.demo, main_class="brief", sections=sections(b)
    )


def write_brief(b: Brief, out_dir: str | Path | None = None) -> dict[str, Path]:
    """Write ``brief.<lang>.html`` and its index entry ``brief.<lang>.json`` (atomically).

    Returns:
        ``{"html": path, "entry": path}``.
    """
    target = Path(out_dir) if out_dir is not None else b.out_dir
    if target is None:
        raise ValueError("write_brief: no out_dir")
    html_name = HTML_NAME.format(lang=check_lang(b.lang))
    html_path = atomic_write_text(target / html_name, render_html(b))
    entry_path = index_entry(b, html_name).write(target / ENTRY_NAME.format(lang=b.lang))
    return {"html": html_path, "entry": entry_path}


def written(paths: Mapping[str, Path]) -> Section:
    """A short note for the notebook: where the brief was written."""
    template = environment("en").get_template("sections/written.html.j2")
    html = template.render(paths=[ctx.display_path(p) for p in paths.values()])
    return Section("written", Markup(html.strip()))
