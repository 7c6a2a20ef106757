"""Thresholds shared by the analysis and the brief (one definition each).

:data:`MIN_LINES` is read by :mod:`helpers.analysis.pooling` and
:mod:`helpers.analysis.geography` (a unit's ``few`` flag) and by the brief's findings (when to
say the data are too few instead of quoting a number), so both layers apply the same rule.
"""

from __future__ import annotations

MIN_LINES = 30
"""Fewest plan lines for which the brief states a timing effect, a counterfactual gain or a
unit's pooled rate: with fewer, the estimate rests on a handful of decisions, so the brief says
the data are too few instead of quoting a number."""
