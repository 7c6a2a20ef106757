"""The format steps of the batch: Python functions, not notebooks.

Each is a step of the batch's DAG with its own fingerprint (:func:`helpers.run.steps.format_steps`)
run by a worker process itself, without a kernel: a notebook run costs a kernel reset and a
round trip per cell, more than writing a workbook. Each function takes the step's parameters
as keyword arguments (the runner checks them against this signature, as it checks a
notebook's ``parameters`` cell) and writes its files into ``out_dir`` (the runner's staging
folder, moved into place only when the step succeeded). Heavy imports are deferred: the
parent imports this module only to read the signatures.
"""

from __future__ import annotations

from pathlib import Path

from helpers.core.text import check_lang

ANNEX_LANG = "vi"
"""Language of the annex pages of the assessment and lag notebooks (run in Vietnamese)."""


def workbook(
    lang: str, out_dir: str, assessment_dir: str, lag_dir: str, outlook_dir: str = ""
) -> None:
    """``tables.<lang>.xlsx``: the tables behind the brief, from ``metrics.json`` and
    ``lag.json`` (and ``outlook.json`` of ``outlook_dir``, default the scope's ``outlook``
    folder, when the outlook step wrote one)."""
    from helpers.report.formats.workbook import write_workbook

    outlook = Path(outlook_dir) if outlook_dir else Path(assessment_dir).parent / "outlook"
    write_workbook(Path(assessment_dir), Path(lag_dir), Path(out_dir), check_lang(lang), outlook)


def document(lang: str, out_dir: str, brief_dir: str) -> None:
    """``brief.<lang>.docx``: the editable brief, from the rendered brief."""
    from helpers.report.formats.document import write_document

    write_document(Path(brief_dir), Path(out_dir), check_lang(lang))


def annex(out_dir: str, assessment_dir: str, lag_dir: str, outlook_dir: str = "") -> None:
    """The assessment, lag and outlook notebooks as annex pages (``01_assessment.html``, …;
    the outlook's when its step ran)."""
    from helpers.report.formats.annex import export_notebook

    notebooks = [(assessment_dir, "01_assessment"), (lag_dir, "02_disbursement_lag")]
    if outlook_dir:
        notebooks.append((outlook_dir, "04_outlook"))
    for folder, name in notebooks:
        export_notebook(Path(folder) / f"{name}.ipynb", Path(out_dir), ANNEX_LANG)


def annex_brief(lang: str, out_dir: str, brief_dir: str) -> None:
    """The brief notebook of ``lang`` as an annex page (``03_brief.<lang>.html``)."""
    from helpers.report.formats.annex import export_notebook

    lang = check_lang(lang)
    export_notebook(Path(brief_dir) / f"03_brief.{lang}.ipynb", Path(out_dir), lang)


def pdf(lang: str, out_dir: str, brief_dir: str) -> None:
    """``brief.<lang>.pdf``: the brief printed on A4 by headless Chromium."""
    from helpers.report.formats.pdf import write_pdf

    write_pdf(Path(brief_dir), Path(out_dir), check_lang(lang))
