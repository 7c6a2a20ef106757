"""Analysis workbench for Vietnam's National Target Program 1719 (MTQG 1719).

Modules (nouns of one concern): ``schema`` (the tables), ``intake`` (loading with clear
errors), ``units`` (name matching), ``reference`` (shipped tables), ``demo`` (synthetic data),
``lines``/``deadlines`` (plan-line cut-offs), ``metrics``, ``lag``, ``figures``, ``brief``,
``batch``, ``cli``.
"""

__version__ = "0.1.0"
