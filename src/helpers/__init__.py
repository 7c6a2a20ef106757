"""Analysis workbench for Vietnam's National Target Program 1719 (MTQG 1719).

Sub-packages by layer, each importing only the ones before it: ``core`` (paths, files, errors,
text catalogs, formats, result contracts) ← ``data`` (schema, intake, units, reference, demo) ←
``analysis`` (line table, assessment tables, lag models) ← ``report`` (figures, brief) ←
``steps`` (one entry point per notebook) ← ``run`` (the batch) ← ``cli``. See
``docs/architecture.md``.
"""

__version__ = "0.1.0"
