"""The year-end model recovers the timing effect of a process that is not a fractional logit.

The demo's plan lines (amounts, decision dates, districts whose capacity is correlated with
their assignment delay) are kept; the share disbursed by the deadline is redrawn from a monthly
hazard process: each month a line pays out a fraction ``1 - exp(-z_i * lam_i * w)`` of what is
left, with a gamma frailty ``z_i`` (mean 1, shape ``FRAILTY_SHAPE``) per line,
``lam_i = exp(c_k + u_j + v_p + y_Y)``, and ``W(m) = m ** 0.8 + 1.5`` hazard-months over a window
of ``m`` months (a start-up that slows the early months, and the year-end spike every window
has). So ``s_i = 1 - exp(-z_i * lam_i * W(m_i))``: a complementary log-log in ``W``, not a
logit in ``m``. The true effect of a decision one month later (pp per month) is computed by
simulation under the same process with every decision moved one month later, the same
frailties redrawn ``N_SIM`` times for both (common random numbers).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.analysis.lag import prepare, yearend
from helpers.data import demo, schema
from helpers.data.dataset import Dataset

FRAILTY_SHAPE = 2.0
RHO = 0.8
SPIKE = 1.5
N_SIM = 400
LOG_HAZARD = {"investment": -1.3, "recurrent": -1.9}
PROJECT = {"DA2": -0.3, "DA3": -0.2, "DA4": 0.2, "DA9": -0.2, "DA10": 0.2}
YEAR = {2022: -0.3, 2023: 0.0, 2024: 0.1, 2025: 0.2}


def _hazard_months(m: np.ndarray) -> np.ndarray:
    return np.maximum(m, 0.0) ** RHO + SPIKE


def _shares(lam: np.ndarray, m: np.ndarray, z: np.ndarray) -> np.ndarray:
    return 1.0 - np.exp(-z * (lam * _hazard_months(m)))


def hazard_process(seed: int) -> tuple[Dataset, float]:
    """Demo lines with shares by the deadline from the hazard process, and the true effect."""
    base = demo.generate(seed)
    lines, truth = base.lines, base.truth
    rng = np.random.default_rng(seed + 100_000)
    lam = np.exp(
        lines["capital_type"].map(LOG_HAZARD).to_numpy()
        + lines["unit_code"].map(truth.district_effect).to_numpy()
        + lines["project_code"].map(PROJECT).fillna(0.0).to_numpy()
        + lines["plan_year"].map(YEAR).to_numpy()
    )
    m = lines["months_available"].to_numpy(dtype=float)
    z = rng.gamma(FRAILTY_SHAPE, 1.0 / FRAILTY_SHAPE, len(lines))
    share = _shares(lam, m, z)
    sims = rng.gamma(FRAILTY_SHAPE, 1.0 / FRAILTY_SHAPE, (N_SIM, len(lines)))
    later = _shares(lam, m - 1.0, sims) - _shares(lam, m, sims)
    true_pp = float(100 * later.mean())

    alloc = base.tables["allocations"].copy()
    key = list(schema.LINE_KEY)
    disb = alloc[key].copy()
    disb.insert(0, "report_date", pd.to_datetime((alloc["plan_year"] + 1).astype(str) + "-01-31"))
    disb["disbursed_cum_mvnd"] = np.round(share * alloc["amount_mvnd"].to_numpy(), 3)
    disb["note"] = None
    disb = disb[schema.TABLES["disbursements"].column_names]
    t = {n: f.copy() for n, f in base.tables.items()}
    t["allocations"], t["disbursements"] = alloc, disb
    for n in ("allocations", "disbursements"):
        t[n]["line_id"] = schema.line_ids(t[n])
    ds = Dataset(**t, origin=f"hazard process seed {seed}", sha256="h" * 64, demo=True)
    return ds, true_pp


def fit_timing_effect(ds: Dataset) -> dict:
    """The year-end model's average effect of a decision one month later (pp, lines)."""
    model = yearend.fit_year_end_share(
        prepare.prepare_lag_data(ds, panel=False), district_checks=False
    )
    return model.ame()


@pytest.mark.parametrize("seed", [demo.DEFAULT_SEED])
def test_year_end_model_covers_the_hazard_process_effect(seed):
    """On the demo's plan lines as booked (former communes, new units after June 2025)."""
    ds, true_pp = hazard_process(seed)
    assert true_pp < 0
    ame = fit_timing_effect(ds)
    assert ame["estimate"] < 0
    assert ame["ci_low"] <= true_pp <= ame["ci_high"], (ame, true_pp)
