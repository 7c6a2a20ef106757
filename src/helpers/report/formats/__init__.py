"""The formats officials work in, made from the same results as the HTML brief.

:mod:`.workbook` (the annex workbook, XLSX, from the JSON results), :mod:`.document` (the
editable brief, DOCX, from the rendered brief), :mod:`.annex` (the executed notebooks as a
technical annex, nbconvert HTML that opens offline), :mod:`.pdf` (the A4 PDF of a brief,
headless Chromium). The batch runs each as a step of its own
(:func:`helpers.run.steps.format_steps`, :mod:`helpers.steps.formats`).
"""
