"""Partial pooling of small units' execution rates (expected values worked out by hand)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from helpers.analysis.pooling import Z95, mean_se, pool_rates


def _lines(rows):
    f = pd.DataFrame(rows, columns=["group", "amount", "share"])
    return f["amount"], f["amount"] * f["share"], f["group"]


def test_spread_units_are_shrunk_by_one_ninth():
    """Three units of two lines of 100 each, prior 0.5:
    A shares 0.9, 0.7 (rate 0.8); B 0.3, 0.1 (0.2); C 0.6, 0.4 (0.5).
    sigma2 = (3 × 2 × 0.1²) / (6 − 3) = 0.02; each Σw² = 0.5, so v = 0.01.
    Q = (0.3² + 0.3² + 0) / 0.01 = 18, df = 3 − 1 = 2; Σ1/v = 300, Σ1/v² = 30,000,
    c = 300 − 30,000 / 300 = 200; tau2 = (18 − 2) / 200 = 0.08.
    B = 0.01 / 0.09 = 1/9: A = 0.5 + 8/9 × 0.3 = 0.76667, B = 0.23333, C = 0.5;
    se = sqrt(8/9 × 0.01) = 0.094281."""
    amount, disbursed, group = _lines(
        [("A", 100, 0.9), ("A", 100, 0.7), ("B", 100, 0.3), ("B", 100, 0.1),
         ("C", 100, 0.6), ("C", 100, 0.4)]
    )  # fmt: skip
    out = pool_rates(amount, disbursed, group, {"A": 0.5, "B": 0.5, "C": 0.5}, min_lines=2)
    assert out.sigma2 == pytest.approx(0.02)
    assert out.tau2 == pytest.approx(0.08)
    t = out.table.set_index("group")
    assert t["raw_rate"].tolist() == pytest.approx([0.8, 0.2, 0.5])
    assert t["shrinkage"].tolist() == pytest.approx([1 / 9] * 3)
    assert t["pooled_rate"].tolist() == pytest.approx([0.5 + 8 / 9 * 0.3, 0.5 - 8 / 9 * 0.3, 0.5])
    se = math.sqrt(8 / 9 * 0.01)
    assert t.loc["A", "ci_low"] == pytest.approx(0.5 + 8 / 9 * 0.3 - Z95 * se)
    assert t.loc["A", "ci_high"] == pytest.approx(0.5 + 8 / 9 * 0.3 + Z95 * se)
    assert not t["few"].any()


def test_units_no_more_different_than_chance_are_pooled_fully():
    """A: 100 at 0.8 and 100 at 0.6 (rate 0.7); B: 100 at 0.2 and 300 at 0.6 (rate 0.5);
    prior the overall rate 340 / 600. sigma2 = (0.02 + 0.1) / 2 = 0.06; v_A = 0.06 × 0.5 = 0.03,
    v_B = 0.06 × (0.25² + 0.75²) = 0.0375. Q = 0.13333² / 0.03 + 0.06667² / 0.0375 = 0.7111
    < df = 1, so tau2 = 0: both units get the prior, with a zero-width interval."""
    amount, disbursed, group = _lines(
        [("A", 100, 0.8), ("A", 100, 0.6), ("B", 100, 0.2), ("B", 300, 0.6)]
    )
    prior = 340 / 600
    out = pool_rates(amount, disbursed, group, {"A": prior, "B": prior})
    t = out.table.set_index("group")
    assert out.sigma2 == pytest.approx(0.06) and out.tau2 == 0.0
    assert t["sampling_var"].tolist() == pytest.approx([0.03, 0.0375])
    assert t["pooled_rate"].tolist() == pytest.approx([prior, prior])
    assert t["few"].all()  # two lines each, fewer than the brief's 30


def test_no_replication_uses_the_binomial_variance_and_shares_are_capped():
    """One line per unit (N = G): sigma2 = m(1 − m) of the overall rate. A line disbursed
    above its amount counts as fully disbursed (120 of 100 -> 1)."""
    amount, disbursed, group = _lines([("A", 100, 1.2), ("B", 100, 0.5)])
    out = pool_rates(amount, disbursed, group, {"A": 0.75, "B": 0.75})
    t = out.table.set_index("group")
    assert t.loc["A", "raw_rate"] == 1.0
    assert out.sigma2 == pytest.approx(0.75 * 0.25)  # overall (100 + 50) / 200 = 0.75


def test_lines_without_amount_are_left_out():
    amount, disbursed, group = _lines([("A", 0, 0.0), ("A", 100, 0.5), ("B", 100, 0.5)])
    t = pool_rates(amount, disbursed, group, {"A": 0.5, "B": 0.5}).table.set_index("group")
    assert t.loc["A", "n_lines"] == 1


def test_a_unit_pooled_fully_carries_its_priors_uncertainty():
    """tau2 = 0 (the second case above): B = 1, so se = sqrt(0 · v + 1² · 0.05²) = 0.05 and the
    interval is the prior ± 1.96 × 0.05, not a zero-width interval."""
    amount, disbursed, group = _lines(
        [("A", 100, 0.8), ("A", 100, 0.6), ("B", 100, 0.2), ("B", 300, 0.6)]
    )
    prior = 340 / 600
    out = pool_rates(
        amount, disbursed, group, {"A": prior, "B": prior}, prior_se={"A": 0.05, "B": 0.05}
    )
    t = out.table.set_index("group")
    assert t["se"].tolist() == pytest.approx([0.05, 0.05])
    assert t.loc["A", "ci_low"] == pytest.approx(prior - Z95 * 0.05)
    assert t.loc["A", "ci_high"] == pytest.approx(prior + Z95 * 0.05)


def test_mean_se_by_hand():
    """Shares 0.8 and 0.6 with equal amounts: mean 0.7, s² = (0.01 + 0.01) / 1 = 0.02,
    Σw² = 0.5: se = sqrt(0.01) = 0.1."""
    assert mean_se(pd.Series([100.0, 100.0]), pd.Series([0.8, 0.6])) == pytest.approx(0.1)
