"""Where a scope's other formats are, relative to its brief and to the run's index.

The batch writes each format into its step's folder beside the brief's
(``<scope>/brief``, ``<scope>/workbook``, ``<scope>/document``, ``<scope>/pdf``,
``<scope>/annex``): the brief's provenance block links the technical annex with these
relative paths, and the index lists every format a scope has.
"""

from __future__ import annotations

from helpers.core.text import tr

ANNEX_FOLDER = "annex"
ANNEX_PAGES = (
    ("nb_assessment", "01_assessment.html"),
    ("nb_lag", "02_disbursement_lag.html"),
    ("nb_outlook", "04_outlook.html"),
    ("nb_brief", "03_brief.{lang}.html"),
)
"""(catalog name of the notebook, annex page) of a scope, in the order of the analysis."""


def annex_links(lang: str, base: str = "..") -> list[dict[str, str]]:
    """The annex pages of a brief in ``lang`` as ``{label, href}`` (``href`` relative to the
    brief's folder, or to ``base``)."""
    return [
        {
            "label": tr(f"formats.{key}", lang),
            "href": f"{base}/{ANNEX_FOLDER}/{page.format(lang=lang)}",
        }
        for key, page in ANNEX_PAGES
    ]
