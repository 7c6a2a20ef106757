"""The rules of the optional 2026–2030 plan table (``plan_2026_2030``).

Its columns are declared in :mod:`helpers.data.schema` (types, years 2026–2030, amounts
≥ 0, capital types and sources); unit names and codes are resolved like those of the other
tables (:func:`helpers.data.checks.resolve_units`). What is left here: a plan row must name a
unit that exists in its plan year (not a former commune or district abolished on 1 July 2025),
and its ``source_id`` should be one of ``sources``. Every problem names the file, the row and
the column, like every other input problem.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.core.errors import Day, message
from helpers.data import contract
from helpers.data.checks import ParsedTable, _after_end, _validity, check_source_ids
from helpers.data.units import UnitResolver


def check_plan(
    plan: ParsedTable,
    resolver: UnitResolver | None,
    successions: pd.DataFrame | None,
    sources: ParsedTable | None,
) -> None:
    """A plan row's unit exists on 1 January of its plan year; its source is listed."""
    if sources is not None:
        check_source_ids(plan, sources)
    if resolver is None:
        return
    succ = successions if successions is not None else contract.empty_frame("successions")
    f = plan.frame
    typed = plan.typed.get("unit_code", f["unit_code"].tolist())
    for i in np.flatnonzero(plan.ok("unit_code", "plan_year")).tolist():
        code = str(f.at[i, "unit_code"])
        first_day = pd.Timestamp(year=int(f.at[i, "plan_year"]), month=1, day=1)
        _, end = resolver.validity(code)
        if end is None or first_day <= end:
            continue
        plan.report(
            i,
            message(
                "intake.check.plan_unit_ceased",
                year=str(first_day.year),
                date=Day(first_day),
                unit=resolver.display(code),
                validity=_validity(resolver, code),
                then=_after_end(resolver, succ, code, end),
            ),
            column="unit_code",
            value=typed[i],
            expected=message("intake.expected.unit_exists_on", date=Day(first_day)),
        )
