"""Today's geography for one scope (helpers.analysis.geography), checked by hand on a small
case: three former communes of two districts merged into one new unit."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.analysis import geography as geo
from helpers.analysis.scoping import filter_scope
from helpers.core.errors import ParameterError

ENDED, BEGAN = pd.Timestamp("2025-06-30"), pd.Timestamp("2025-07-01")


def _units() -> pd.DataFrame:
    rows = [
        # code, gso, level, parent, valid_from, valid_to, population
        ("P", "P", "province", None, None, None, None),
        ("D1", "D1", "district", "P", None, ENDED, None),
        ("D2", "D2", "district", "P", None, ENDED, None),
        ("C11", "C11", "commune", "D1", None, ENDED, 1000.0),
        ("C12", "C12", "commune", "D1", None, ENDED, 500.0),
        ("C13", "C13", "commune", "D1", None, ENDED, 1500.0),
        ("C21", "C21", "commune", "D2", None, ENDED, 300.0),
        ("C22", "C22", "commune", "D2", None, ENDED, 900.0),
        ("NC11", "C11", "commune", "P", BEGAN, None, None),
        ("NC13", "C13", "commune", "P", BEGAN, None, None),
    ]
    frame = pd.DataFrame(
        rows,
        columns=["unit_code", "gso_code", "level", "parent_code", "valid_from", "valid_to",
                 "population"],
    )  # fmt: skip
    frame["name_vi"] = "Tên " + frame["unit_code"]
    frame["name_en"] = "Name " + frame["unit_code"]
    frame["extremely_difficult"] = pd.array([None] * len(frame), dtype="boolean")
    return frame


def _successions() -> pd.DataFrame:
    pairs = [("C11", "NC11"), ("C12", "NC11"), ("C21", "NC11"), ("C13", "NC13"), ("C22", "NC13")]
    return pd.DataFrame(
        {
            "former_code": [f for f, _ in pairs],
            "new_code": [n for _, n in pairs],
            "effective_date": BEGAN,
            "legal_basis": "RES/X",
            "clause": ["1", "1", "1", "2", "2"],
        }
    )


def _lines() -> pd.DataFrame:
    rows = [  # unit, allocated, disbursed by the deadline
        ("C11", 100, 80), ("C12", 50, 50), ("C21", 200, 100), ("NC11", 40, 20),
        ("D1", 200, 100), ("D1", 100, 50), ("D2", 400, 300),
        ("C13", 60, 30), ("C22", 80, 80), ("NC13", 30, 30), ("P", 1000, 900),
    ]  # fmt: skip
    return pd.DataFrame(
        rows, columns=["unit_code", "amount_mvnd", "disbursed_deadline_mvnd"]
    ).assign(plan_year=2024)


@pytest.fixture(scope="module")
def g() -> dict:
    return geo.geography(_units(), _successions(), _lines(), "NC11", apportion="communes")


def test_the_record_is_the_former_communes_and_the_units_own_lines():
    record = filter_scope(_lines(), _units(), "NC11", successions=_successions())
    assert sorted(record["unit_code"]) == ["C11", "C12", "C21", "NC11"]
    assert record["amount_mvnd"].sum() == 100 + 50 + 200 + 40 == 390
    assert record["disbursed_deadline_mvnd"].sum() == 80 + 50 + 100 + 20 == 250


def test_kind_formers_and_districts(g):
    assert g["kind"] == "new_unit" and g["home_district"] == "D1"
    assert g["legal_basis"] == "RES/X" and g["effective_date"] == "2025-07-01"
    assert [(f["unit_code"], f["district_code"], f["clause"]) for f in g["formers"]] == [
        ("C11", "D1", "1"), ("C12", "D1", "1"), ("C21", "D2", "1"),
    ]  # fmt: skip
    assert [(d["unit_code"], d["communes_taken"], d["communes_total"], d["home"])
            for d in g["districts"]] == [("D1", 2, 3, True), ("D2", 1, 2, False)]  # fmt: skip
    assert geo.unit_kind(_units(), "C11") == "former_commune"
    assert geo.unit_kind(_units(), "D2") == "district"
    assert geo.unit_kind(_units(), "P") == "province"


def test_district_context_is_the_districts_own_lines_beside_the_record(g):
    ctx = {r["unit_code"]: r for r in g["district_context"]}
    assert ctx["D1"] == {"unit_code": "D1", "n_lines": 2, "allocated_mvnd": 300.0,
                         "disbursed_deadline_mvnd": 150.0, "execution_rate_deadline": 0.5}  # fmt: skip
    assert ctx["D2"]["allocated_mvnd"] == 400.0 and ctx["D2"]["execution_rate_deadline"] == 0.75


def test_apportioned_by_communes_is_an_estimate_by_hand(g):
    est = {r["unit_code"]: r for r in g["apportioned"]}
    # D1: 2 of 3 communes of 300 / 150; D2: 1 of 2 of 400 / 300
    assert est["D1"]["share"] == pytest.approx(2 / 3, abs=1e-6)
    assert est["D1"]["allocated_mvnd"] == 200.0 and est["D1"]["disbursed_deadline_mvnd"] == 100.0
    assert est["D2"]["allocated_mvnd"] == 200.0 and est["D2"]["disbursed_deadline_mvnd"] == 150.0
    assert {r["key"] for r in g["apportioned"]} == {"communes"}
    assert all(r["estimate"] is True for r in g["apportioned"])


def test_apportioned_by_a_population_column_by_hand():
    g = geo.geography(_units(), _successions(), _lines(), "NC11", apportion="population")
    est = {r["unit_code"]: r for r in g["apportioned"]}
    # D1: (1000 + 500) / 3000 = 0.5 of 300 / 150; D2: 300 / 1200 = 0.25 of 400 / 300
    assert (est["D1"]["part"], est["D1"]["whole"], est["D1"]["share"]) == (1500.0, 3000.0, 0.5)
    assert est["D1"]["allocated_mvnd"] == 150.0 and est["D1"]["disbursed_deadline_mvnd"] == 75.0
    assert est["D2"]["share"] == 0.25
    assert est["D2"]["allocated_mvnd"] == 100.0 and est["D2"]["disbursed_deadline_mvnd"] == 75.0


def test_no_apportioning_by_default():
    g = geo.geography(_units(), _successions(), _lines(), "NC11")
    assert g["apportion"] == "none" and g["apportioned"] is None


@pytest.mark.parametrize("bad", ["households", "name_vi", "extremely_difficult"])
def test_a_missing_or_non_numeric_column_names_the_allowed_values(bad):
    with pytest.raises(ParameterError, match="none, communes, population"):
        geo.check_apportion(_units(), bad)


def test_pooled_rates_by_level(g):
    rows = {(r["level"], r["unit_code"]): r for r in g["pooled"]}
    assert set(rows) == {("new_unit", "NC11"), ("district", "D1"), ("district", "D2")}
    me = rows[("new_unit", "NC11")]
    assert me["n_lines"] == 4 and me["raw_rate"] == pytest.approx(250 / 390, abs=1e-4)
    assert me["few"] is True  # 4 lines < 30
    # the prior: the amount-weighted mix of the pooled rates of the lines' former districts
    # (C11, C12 and the unit's own line in D1: 190; C21 in D2: 200)
    p1, p2 = rows[("district", "D1")]["pooled_rate"], rows[("district", "D2")]["pooled_rate"]
    assert me["prior_rate"] == pytest.approx((190 * p1 + 200 * p2) / 390, abs=1e-4)
    assert me["ci_low"] <= me["pooled_rate"] <= me["ci_high"]


def test_province_pools_every_district_and_a_commune_its_district():
    units, succ, lines = _units(), _successions(), _lines()
    prov = geo.geography(units, succ, lines, "P")
    assert prov["kind"] == "province" and [r["unit_code"] for r in prov["pooled"]] == ["D1", "D2"]
    assert prov["district_context"] == [] and prov["formers"] == []
    c = geo.geography(units, succ, lines, "C21", apportion="communes")
    assert c["kind"] == "former_commune"
    assert [r["unit_code"] for r in c["district_context"]] == ["D2"]
    assert c["apportioned"][0]["share"] == 0.5
    rows = {r["level"]: r for r in c["pooled"]}
    assert rows["former_commune"]["prior_rate"] == pytest.approx(
        rows["district"]["pooled_rate"], abs=1e-4
    )
