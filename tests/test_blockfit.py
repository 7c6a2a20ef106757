"""The year-end model's linear algebra on block designs (dense columns + one code per line for
the district block): the Schur-complement solve, the Moore-Penrose inverse, the sparse plus
low-rank covariance and its quadratic forms, against hand-worked values and the dense
formulas; and the fitted model against statsmodels on a design with 30 districts.

Hand-made design (intercept + districts B and C, A the reference), one line each unless said:

====  ========  =====
line  district  y
====  ========  =====
1, 2  A         1, 3
3     B         5
4     C         8
====  ========  =====

With unit weights ``X'X = [[4, 1, 1], [1, 1, 0], [1, 0, 1]]`` and ``X'y = [17, 5, 8]``. The
Schur complement of the district block is ``S = 4 - 1 - 1 = 2``, so the intercept is
``(17 - 5 - 8) / 2 = 2`` (A's mean) and the districts ``5 - 2 = 3`` and ``8 - 2 = 6``. The
inverse is ``diag(0, 1, 1) + U S⁻¹ U'`` with ``U = [1, -1, -1]``:
``[[.5, -.5, -.5], [-.5, 1.5, .5], [-.5, .5, 1.5]]``; for ``g = (1, 2, 0)``,
``g' (X'X)⁻¹ g = .5 - 2 + 6 = 4.5``.

Without A's lines (3 and 4 only) the intercept is B + C: ``X'X = [[2, 1, 1], [1, 1, 0],
[1, 0, 1]]`` is singular and ``X'y = [13, 5, 8]``. Every solution is ``(t, 5 - t, 8 - t)``:
the minimum-norm one (``lstsq``) has ``3t = 13``, ``(13/3, 2/3, 11/3)``; ``solve_psd`` keeps
the intercept and B and sets C, which depends on them, to 0: ``(8, -3, 0)``.
"""

from __future__ import annotations

import types

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import sparse
from scipy.special import expit

from helpers.analysis.lag import blockfit, counterfactual, yearend
from helpers.analysis.lag.design import block_design, design_matrix
from helpers.analysis.lag.lowrank import SparseLowRank
from helpers.data.deadlines import months_available


def _hand(codes: list[int]) -> blockfit.BlockX:
    """Intercept (column 0) and a two-column district block (columns 1, 2)."""
    return blockfit.BlockX(np.ones((len(codes), 1)), np.array([0]), 1, 3, np.array(codes))


def test_schur_solve_and_inverse_by_hand():
    X = _hand([-1, -1, 0, 1])
    system = blockfit.NormalSystem.of(X, np.ones(4))
    assert X.xt(np.array([1.0, 3, 5, 8])) == pytest.approx([17, 5, 8])
    assert system.solve(np.array([17.0, 5, 8])) == pytest.approx([2, 3, 6])
    inverse = system.pinv()
    expected = np.array([[0.5, -0.5, -0.5], [-0.5, 1.5, 0.5], [-0.5, 0.5, 1.5]])
    assert inverse.toarray() == pytest.approx(expected)
    assert inverse.diagonal() == pytest.approx([0.5, 1.5, 1.5])
    assert inverse.quad(np.array([1.0, 2, 0])) == pytest.approx(4.5)
    assert inverse.quad(sparse.csr_matrix([[1.0, 2, 0]])) == pytest.approx(4.5)
    assert system.rank == 3


def test_a_singular_system_minimum_norm_and_solve_psd_solutions_by_hand():
    X = _hand([0, 1])
    rhs = np.array([13.0, 5, 8])
    gram = X.toarray().T @ X.toarray()
    assert gram == pytest.approx(np.array([[2, 1, 1], [1, 1, 0], [1, 0, 1]]))
    minimum = blockfit.NormalSystem.of(X, np.ones(2))
    assert minimum.rank == 2
    assert minimum.solve(rhs) == pytest.approx([13 / 3, 2 / 3, 11 / 3])
    assert minimum.pinv().toarray() == pytest.approx(np.linalg.pinv(gram))
    basic = blockfit.NormalSystem.of(X, np.ones(2), basic=True)
    assert basic.solve(rhs) == pytest.approx([8, -3, 0])
    assert yearend.solve_psd(gram, rhs) == pytest.approx([8, -3, 0])
    dd, cross, diag = X.gram_parts(np.ones(2))
    drop_dense, drop_block = blockfit.dependent_columns(dd, cross, diag, X.start)
    assert drop_dense.tolist() == [False] and drop_block.tolist() == [False, True]


def test_an_empty_district_column_gets_zero_in_both_solutions():
    X = _hand([-1, -1, 0, 0])  # no line of C
    rhs = X.xt(np.array([1.0, 3, 5, 8]))  # [17, 13, 0]
    for basic in (False, True):
        assert blockfit.NormalSystem.of(X, np.ones(4), basic=basic).solve(rhs) == pytest.approx(
            [2, 4.5, 0]
        )


def _random_design(rng, n=400, districts=12, case="none") -> blockfit.BlockX:
    """Intercept, capital type, three project dummies (before the block), the districts,
    then months and months x type; ``case`` adds a dependency."""
    codes = rng.integers(-1, districts, n)
    ctype = rng.integers(0, 2, n).astype(float)
    project = rng.integers(0, 3, n)
    if case == "no_reference":
        codes[codes == -1] = 0
    if case == "empty":
        codes[codes == 4] = 5
    if case == "project_is_a_district":
        project[codes == 2] = 3
    pre = [np.ones(n), ctype] + [(project == p).astype(float) for p in (1, 2, 3)]
    months = rng.uniform(0, 12, n)
    post = [months, months * ctype]
    if case == "dependent_after":
        post += [2 * months - 3 * ctype, np.zeros(n)]
    if case == "dependent_before":
        pre.append(pre[2] + pre[3])
    p = len(pre)
    dense = np.r_[np.arange(p), np.arange(p + districts, p + districts + len(post))]
    return blockfit.BlockX(np.column_stack(pre + post), dense, p, p + districts, codes)


CASES = [
    "none",
    "no_reference",
    "empty",
    "project_is_a_district",
    "dependent_after",
    "dependent_before",
]


@pytest.mark.parametrize("case", CASES)
def test_block_solves_equal_lstsq_pinv_and_solve_psd_on_the_dense_matrix(case):
    rng = np.random.default_rng(CASES.index(case))
    X = _random_design(rng, case=case)
    dense = X.toarray()
    w = rng.uniform(0.1, 2.0, len(dense))
    gram = dense.T @ (w[:, None] * dense)
    rhs = dense.T @ (w * rng.normal(size=len(dense)))
    system = blockfit.NormalSystem.of(X, w)
    assert system.rank == np.linalg.matrix_rank(gram)
    assert system.solve(rhs) == pytest.approx(np.linalg.lstsq(gram, rhs, rcond=None)[0], abs=1e-10)
    scale = np.abs(np.linalg.pinv(gram)).max()
    assert np.abs(system.pinv().toarray() - np.linalg.pinv(gram)).max() < 1e-10 * scale
    basic = blockfit.NormalSystem.of(X, w, basic=True).solve(rhs)
    reference = yearend.solve_psd(gram, rhs)
    assert basic == pytest.approx(reference, abs=1e-10)
    assert np.flatnonzero(basic == 0).tolist() == np.flatnonzero(reference == 0).tolist()


@pytest.mark.parametrize("groups", ["lines", "districts", "other"])
def test_block_sandwich_and_its_quadratic_forms_equal_the_dense_formula(groups):
    rng = np.random.default_rng(7)
    X = _random_design(rng, case="no_reference")
    dense = X.toarray()
    n = len(dense)
    y, mu, w = rng.uniform(0, 1, n), rng.uniform(0.1, 0.9, n), rng.uniform(0.1, 2, n)
    g = {"lines": None, "districts": X.codes, "other": rng.integers(0, 40, n)}[groups]
    cov = blockfit.sandwich(X, y, mu, w, g)
    ref = yearend.sandwich_cov(dense, y, mu, w, g)
    assert np.abs(cov.toarray() - ref).max() < 1e-10 * np.abs(ref).max()
    G = rng.normal(size=(5, X.k))
    G[:, 3] = 0.0
    assert cov.quad_rows(G) == pytest.approx(np.einsum("ij,jk,ik->i", G, ref, G), rel=1e-9)
    assert cov.quad_rows(sparse.csr_matrix(G)) == pytest.approx(cov.quad_rows(G))
    assert cov.diagonal() == pytest.approx(np.diag(ref), rel=1e-9, abs=1e-14)
    assert cov.entry(2, 5) == pytest.approx(ref[2, 5], rel=1e-9)
    v = rng.normal(size=n)
    assert X.sum_rows(v).toarray().ravel() == pytest.approx(v @ dense)


def test_sparse_low_rank_products_equal_the_dense_products():
    rng = np.random.default_rng(3)
    k = 9

    def one(r: int) -> SparseLowRank:
        diag = sparse.diags(np.r_[np.zeros(4), rng.normal(size=k - 4)], format="csr")
        return SparseLowRank(
            diag, rng.normal(size=(k, r)), rng.normal(size=(r, r)), rng.normal(size=(k, r))
        )

    a, b, c = one(2), one(3), one(1)
    assert (a @ b @ c).toarray() == pytest.approx(a.toarray() @ b.toarray() @ c.toarray())
    assert a.scaled(2.5).toarray() == pytest.approx(2.5 * a.toarray())
    m = rng.normal(size=(k, k))
    assert SparseLowRank.dense(m).toarray() == pytest.approx(m)


# ------------------------------------------------------------ the model on 30 districts


def _lines(seed: int = 11, districts: int = 30, per: int = 25) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = districts * per
    year = rng.choice([2022, 2023, 2024], n)
    decided = pd.to_datetime(pd.Series(year).astype(str) + "-01-01") + pd.to_timedelta(
        rng.integers(0, 300, n), unit="D"
    )
    frame = pd.DataFrame(
        {
            "district_code": np.repeat([f"D{i:02d}" for i in range(districts)], per),
            "capital_type": rng.choice(["investment", "recurrent"], n),
            "project_code": rng.choice(["P1", "P2", "P3", "P4"], n),
            "plan_year": year,
            "decision_date": decided,
            "months_available": months_available(decided, pd.Series(year)),
            "amount_mvnd": rng.lognormal(5, 1, n),
            "deadline_usable": True,
        }
    )
    effect = np.repeat(rng.normal(0, 0.5, districts), per)
    mu = expit(-1.5 + 0.2 * frame["months_available"] + effect)
    frame["share_deadline"] = np.clip(rng.beta(mu * 8, (1 - mu) * 8), 0, 1)
    return frame


@pytest.fixture(scope="module")
def model() -> yearend.YearEndShareModel:
    return yearend.fit_year_end_share(types.SimpleNamespace(lines=_lines()), district_checks=False)


def test_block_design_is_the_dense_design_without_the_district_zeros():
    frame = _lines()
    terms = ["C(capital_type)", "C(project_code)", "C(plan_year)", "C(district_code)"]
    terms += ["months_available", "months_available:C(capital_type)"]
    full = design_matrix(frame, terms, intercept=True, slope="months_available")
    block = block_design(frame, terms, intercept=True, slope="months_available")
    assert block.names == full.names and block.terms == full.terms
    assert (block.X.stop - block.X.start, block.X.A.shape[1]) == (29, 9)
    assert np.array_equal(block.X.toarray(), full.X)
    assert np.array_equal(block.dA, full.dX[:, block.X.dense])
    assert not full.dX[:, block.X.start : block.X.stop].any()


def test_the_model_equals_statsmodels_glm_and_the_dense_sandwich(model):
    y = model.lines["share_deadline"].to_numpy()
    a = model.lines["amount_mvnd"].to_numpy()
    X = model.X
    ref = sm.GLM(y, X, family=sm.families.Binomial(), var_weights=a / a.mean()).fit()
    assert np.abs(model.params - np.asarray(ref.params)).max() < 1e-8
    mu = expit(X @ model.params)
    dense_cov = yearend.sandwich_cov(X, y, mu, a / a.mean())
    assert np.abs(model.cov - dense_cov).max() < 1e-9 * np.abs(dense_cov).max()
    j = model.names.index("months_available")
    assert model.diagnostics["se_months_available"]["model_based"] == pytest.approx(
        float(np.asarray(ref.bse)[j]), rel=1e-8
    )
    # the model keeps nothing of size lines x districts or districts x districts
    n, k_dense = model.design.A.shape
    assert model.covariance.S.nnz <= model.design.k - k_dense
    assert model.covariance.L.shape[1] <= 4 * k_dense


def test_marginal_effect_and_predictions_equal_the_dense_delta_method(model):
    X, dX, cov, beta = model.X, model.dX, model.cov, model.params
    mu = expit(X @ beta)
    v = mu * (1 - mu)
    slope = dX @ beta
    wts = np.full(len(X), 1 / len(X))
    grad = -100 * (wts @ (dX * v[:, None] + (slope * v * (1 - 2 * mu))[:, None] * X))
    got = model.ame()
    assert got["estimate"] == pytest.approx(-100 * wts @ (slope * v), rel=1e-12)
    assert got["se"] == pytest.approx(np.sqrt(grad @ cov @ grad), rel=1e-9)
    have = model.lines["months_available"].to_numpy()
    Xs = X + (6.0 - have)[:, None] * dX
    mu6 = expit(Xs @ beta)
    g6 = np.mean((mu6 * (1 - mu6))[:, None] * Xs, axis=0)
    row = model.average_prediction([6.0]).iloc[0]
    assert row["share"] == pytest.approx(mu6.mean(), rel=1e-12)
    assert row["ci_high"] - row["share"] == pytest.approx(
        1.959963984540054 * np.sqrt(g6 @ cov @ g6), rel=1e-9
    )


def test_counterfactual_intervals_equal_the_dense_delta_method(model):
    result = counterfactual.counterfactual_feasible(model)
    frame = model.lines
    X, dX, cov, beta = model.X, model.dX, model.cov, model.params
    feasible = counterfactual.feasible_dates(frame)
    decided = frame["decision_date"]
    new = decided.where(decided <= feasible, feasible)  # the feasible dates are in support
    gained = (months_available(new, frame["plan_year"]) - frame["months_available"]).to_numpy()
    assert (gained > 0).sum() == result.total["n_lines_moved"] > 100
    X_cf = X + gained[:, None] * dX
    a = frame["amount_mvnd"].to_numpy()
    mu, mu_cf = expit(X @ beta), expit(X_cf @ beta)
    grad = (a * mu_cf * (1 - mu_cf)) @ X_cf - (a * mu * (1 - mu)) @ X
    assert result.total["gain_mvnd"] == pytest.approx(float(a @ (mu_cf - mu)), rel=1e-10)
    assert result.total["se"] == pytest.approx(np.sqrt(grad @ cov @ grad), rel=1e-9)
    d = frame["district_code"].to_numpy() == "D07"
    row = next(r for r in result.by_district if r["unit_code"] == "D07")
    g7 = (a * mu_cf * (1 - mu_cf))[d] @ X_cf[d] - (a * mu * (1 - mu))[d] @ X[d]
    assert row["gain_mvnd"] == pytest.approx(float(a[d] @ (mu_cf - mu)[d]), rel=1e-10)
    assert row["se"] == pytest.approx(np.sqrt(g7 @ cov @ g7), rel=1e-9)


def test_refit_without_the_reference_district_is_solve_psds_dense_irls(model):
    """A bootstrap draw without the reference district: the intercept is then the sum of the
    district columns, and the last drawn district's column is set to 0 as in the dense IRLS
    with :func:`solve_psd`."""
    weights = np.where(model.lines["district_code"].isin(["D00", "D29", "D13"]), 0.0, 1.0)
    weights[model.lines["district_code"].eq("D05").to_numpy()] = 2.0
    keep = weights > 0
    Xd = model.X[keep]
    y = model.lines["share_deadline"].to_numpy()[keep]
    w = model.lines["amount_mvnd"].to_numpy()[keep] * weights[keep]
    w = w / w.mean()
    beta = model.params.copy()
    for _ in range(yearend.IRLS_MAX_ITER):
        eta = Xd @ beta
        mu = expit(eta)
        wv = w * np.clip(mu * (1 - mu), 1e-10, None)
        new = yearend.solve_psd(Xd.T @ (wv[:, None] * Xd), Xd.T @ (w * (y - mu) + wv * eta))
        done = np.max(np.abs(new - beta)) < yearend.IRLS_TOL * (1 + np.max(np.abs(beta)))
        beta = new
        if done:
            break
    got = model.refit(weights)
    assert got == pytest.approx(beta, abs=1e-9)
    zero = [model.names[i] for i in np.flatnonzero(got == 0)]
    assert zero == ["C(district_code)[T.D13]", "C(district_code)[T.D28]", "C(district_code)[T.D29]"]
