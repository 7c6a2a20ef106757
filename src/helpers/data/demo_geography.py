"""Where the DEMO books its plan lines: former communes and the units of 1 July 2025.

The demo draws lines per district (:mod:`helpers.data.demo`); :func:`book_to_communes` then
books the lines a commune implements to real former communes of the shipped tables, and the
lines decided after the districts' last day to the new units (real names, synthetic amounts).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.data import schema
from helpers.data.hierarchy import home_districts


def split_integer(total: int, weights: np.ndarray) -> np.ndarray:
    """Split an integer ``total`` in proportion to ``weights`` (largest remainder method)."""
    w = np.asarray(weights, dtype=float)
    raw = total * w / w.sum()
    base = np.floor(raw).astype(np.int64)
    rest = int(total - base.sum())
    order = np.argsort(-(raw - base), kind="stable")
    base[order[:rest]] += 1
    return base


COMMUNE_IMPLEMENTED: frozenset[tuple[str, str]] = frozenset(
    {("DA4.TDA1", "central"), ("DA4.TDA1", "local")}
)
"""(sub-project, source) of the plan lines a commune implements: the essential infrastructure
of extremely difficult communes and villages (DA4.TDA1, investment and its upkeep), whose small
works have the commune as investor; budget capital only (credit and other mobilised capital
stays with the district)."""
COMMUNES_PER_LINE = 1
"""Former communes a district's commune-implemented line is booked to (design choice: one, so
the demo keeps as many lines as its district draw; splitting lines would change the mix the
recovery benchmarks were run on)."""
LAST_DAY_OF_DISTRICTS = schema.REFORM_DATE - pd.Timedelta(days=1)
"""The districts' last day (30 June 2025): a line decided later is booked to the new units."""


@dataclass(frozen=True)
class Geography:
    """The province's units as the demo books lines to them (from the shipped tables).

    Attributes:
        communes: district -> its former communes (code order).
        new_units: district -> the units created on 1 July 2025 that carry the GSO code of one
            of its former communes (:func:`helpers.data.hierarchy.home_districts`), with how many
            of the district's communes each absorbed.
    """

    communes: dict[str, list[str]]
    new_units: dict[str, list[tuple[str, int]]]

    @classmethod
    def of(cls, units: pd.DataFrame, successions: pd.DataFrame, districts: list[str]) -> Geography:
        code = units["unit_code"].astype(str)
        parent = dict(zip(code, units["parent_code"].astype("string"), strict=True))
        home = home_districts(units, successions)
        former = units[(units["level"] == "commune") & units["valid_to"].notna()]
        communes = {
            d: sorted(former.loc[former["parent_code"] == d, "unit_code"].astype(str))
            for d in districts
        }
        absorbed = (
            successions.assign(district=successions["former_code"].astype(str).map(parent))
            .groupby(["new_code", "district"])
            .size()
        )
        new_units: dict[str, list[tuple[str, int]]] = {d: [] for d in districts}
        for new in sorted(set(successions["new_code"].astype(str))):
            d = home.get(new)
            if d in new_units:
                new_units[d].append((new, int(absorbed.get((new, d), 1))))
        missing = [d for d in districts if not communes[d] or not new_units[d]]
        if missing:
            raise ValueError(f"no former communes or new units to book lines of {missing}")
        return cls(communes, new_units)


def book_to_communes(lines: pd.DataFrame, geography: Geography, seed: int) -> pd.DataFrame:
    """Book district lines to the units that implement them; every line gets ``district_code``.

    * A district line decided after :data:`LAST_DAY_OF_DISTRICTS` (the late 2025 tranche,
      decided after 15 October 2025, and any other 2025 line decided after 30 June) goes whole
      to one of the new units whose home is the district (:attr:`Geography.new_units`): the
      district's such lines, in a random order, are dealt round its new units, so every new
      unit gets lines and the number of lines stays the district draw's (splitting them would
      make these short-window lines weigh far more in a mean over lines). A new unit that took
      communes from two districts takes lines from its home district only, so plan-line keys
      stay unique; its lines carry that district's capacity effect.
    * Any other district line of :data:`COMMUNE_IMPLEMENTED` is spread over
      :data:`COMMUNES_PER_LINE` of the district's former communes, drawn at random, with
      log-normal weights; each commune line carries its district's capacity effect.
    * Every other line stays where it is (the province's own lines, the districts' other
      lines).

    Amounts are split with :func:`split_integer`, so every total stays exact; the booked lines
    keep the district line's decision date, tranche and every other column. The draws use
    their own random stream (``seed``), so booking never changes the district lines.
    """
    rng = np.random.default_rng([seed, 1])
    records = lines.to_dict("records")
    after = {
        i: rec["unit_code"]
        for i, rec in enumerate(records)
        if rec["unit_code"] in geography.communes and rec["decision_date"] > LAST_DAY_OF_DISTRICTS
    }
    # each post-reform line goes whole to one new unit: the district's lines in a random
    # order dealt round the district's new units (most communes absorbed first), so every
    # new unit gets lines and the demo keeps as many lines as the district draw had
    new_unit: dict[int, str] = {}
    for district in sorted(set(after.values())):
        mine = [i for i, d in after.items() if d == district]
        order = [mine[k] for k in rng.permutation(len(mine))]
        dealt = [u for u, _ in sorted(geography.new_units[district], key=lambda t: -t[1])]
        for k, i in enumerate(order):
            new_unit[i] = dealt[k % len(dealt)]
    rows = []
    for i, rec in enumerate(records):
        district = rec["unit_code"]
        rec["district_code"] = district
        if i in new_unit:
            rows.append({**rec, "unit_code": new_unit[i]})
            continue
        targets: list[str] = []
        weights = np.empty(0)
        if (
            district in geography.communes
            and (
                rec["subproject_code"],
                rec["source"],
            )
            in COMMUNE_IMPLEMENTED
        ):
            pool = geography.communes[district]
            k = min(COMMUNES_PER_LINE, len(pool))
            targets = sorted(rng.choice(pool, size=k, replace=False).tolist())
            weights = rng.lognormal(0.0, 0.4, k)
        if not targets:
            rows.append(rec)
            continue
        for unit, amount in zip(
            targets, split_integer(int(rec["amount_mvnd"]), weights), strict=True
        ):
            if amount > 0:
                rows.append({**rec, "unit_code": unit, "amount_mvnd": int(amount)})
    return pd.DataFrame(rows, columns=[*lines.columns, "district_code"])
