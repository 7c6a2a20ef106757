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

RANKING_SHOWN = 15
"""With more than twice this many districts, a ranking chart or the brief's ranking table
shows the first and the last this many by rank (and the scope's own district): a chart or a
printed page cannot hold thousands of rows. The full ranking is in ``metrics.json`` and the
annex workbook."""


def ranking_window(
    ranks_order: list[str], highlight: str | None = None, keep: int = RANKING_SHOWN
) -> tuple[set[str], int]:
    """The districts a ranking shows, and how many it leaves out.

    Args:
        ranks_order: district codes from the first rank to the last.
        highlight: the scope's own district, always shown.
        keep: how many to show at each end.

    Returns:
        The codes shown and the number left out (0 when all are shown).
    """
    if len(ranks_order) <= 2 * keep + 1:
        return set(ranks_order), 0
    shown = set(ranks_order[:keep]) | set(ranks_order[-keep:])
    if highlight in ranks_order:
        shown.add(str(highlight))
    return shown, len(ranks_order) - len(shown)
