"""Recovery: hold out the last vintage (2025), fit the lag models on the earlier ones, project
the held-out year's capital under the calendar it actually had, and check that the outlook's
95 % interval covers what was actually disbursed by its deadline (DEMO data, several seeds).

The projection is the outlook's own simulation (:func:`helpers.analysis.outlook.simulate_cell`:
bootstrap parameters + line residuals) from lines of the two latest fitted vintages (2023 and
2024); the held-out year's plan amount per capital type and the distribution of its months
available are the only things taken from 2025. Its outcome, the amount disbursed by 31 January
2026, is never seen by the fit.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from helpers.analysis.lag.models import fit_province_models
from helpers.analysis.lag.prepare import LagData, prepare_lag_data
from helpers.analysis.outlook import Scenario, band, outlook_base, simulate_cell
from helpers.data.datasets import open_dataset

HELD_OUT = 2025


def hold_out(data: LagData, year: int) -> LagData:
    """``data`` without the plan lines of ``year`` and later (and their panel rows)."""
    keep = data.lines["plan_year"] < year
    lines = data.lines[keep].reset_index(drop=True)
    panel = data.panel[data.panel["line_id"].isin(set(lines["line_id"]))].reset_index(drop=True)
    position = {lid: i for i, lid in enumerate(lines["line_id"])}
    panel["line_index"] = panel["line_id"].map(position)
    return dataclasses.replace(data, lines=lines, panel=panel)


def recovered(data_arg: str, seed: int) -> list[tuple[str, float, dict[str, float]]]:
    full = prepare_lag_data(open_dataset(data_arg))
    models = fit_province_models(hold_out(full, HELD_OUT), n_boot=0, district_checks=False)
    assert int(models.year_end.lines["plan_year"].max()) == HELD_OUT - 1
    base = outlook_base(models)
    held = full.lines[(full.lines["plan_year"] == HELD_OUT) & full.lines["deadline_usable"]]
    out = []
    for ctype, h in held.groupby("capital_type"):
        truth = float((h["share_deadline"] * h["amount_mvnd"]).sum())
        pool = np.flatnonzero(
            (base.ctype == ctype) & np.isin(base.lines["plan_year"], [HELD_OUT - 2, HELD_OUT - 1])
        )
        given = Scenario("given", "given", months_pool={ctype: h["months_available"].to_numpy()})
        rng = np.random.default_rng(seed)
        draws = simulate_cell(base, pool, float(h["amount_mvnd"].sum()), ctype, [given], rng, 2000)
        out.append((str(ctype), truth, band(draws.by_scenario["given"]["deadline"])))
    return out


def _check(results: list[tuple[str, float, dict[str, float]]]) -> None:
    assert {c for c, _, _ in results} == {"investment", "recurrent"}
    for ctype, truth, b in results:
        assert b["low"] <= truth <= b["high"], (ctype, truth, b)
        # an informative interval: narrower than half the outcome
        assert b["high"] - b["low"] < truth / 2, (ctype, truth, b)


def test_the_held_out_vintage_is_covered_on_the_demo():
    _check(recovered("demo", 1719))


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2024])
def test_the_held_out_vintage_is_covered_on_other_seeds(seed):
    _check(recovered(f"demo:{seed}", seed))
