"""The shipped geography of Cao Bằng before and after the 1 July 2025 reform: the facts the
research folder's README lists (../shared/reference/geo), checked on the shipped tables."""

from __future__ import annotations

import json
from collections import Counter

import pandas as pd
import pytest

from helpers.core.paths import REFERENCE_DIR
from helpers.data import reference
from helpers.data.hierarchy import former_units, scope_unit_codes, successor

DISTRICTS = ["040", "042", "043", "045", "047", "048", "049", "051", "052", "053"]


@pytest.fixture(scope="module")
def units() -> pd.DataFrame:
    return reference.load("units")


@pytest.fixture(scope="module")
def succ() -> pd.DataFrame:
    return reference.load("successions")


def _former(units: pd.DataFrame) -> pd.DataFrame:
    return units[(units["level"] == "commune") & units["valid_to"].notna()]


def _new(units: pd.DataFrame) -> pd.DataFrame:
    return units[(units["level"] == "commune") & units["valid_from"].notna()]


def test_161_former_communes_in_ten_districts(units):
    former = _former(units)
    assert len(former) == 161
    counts = former.groupby("parent_code").size().reindex(DISTRICTS).tolist()
    assert counts == [11, 13, 17, 21, 21, 13, 19, 15, 17, 14]  # the README's sum, in code order
    assert (former["valid_to"] == pd.Timestamp("2025-06-30")).all()
    assert Counter(former["unit_type"]) == {"Xã": 139, "Thị trấn": 14, "Phường": 8}


def test_56_new_units_53_communes_and_3_wards(units):
    new = _new(units)
    assert len(new) == 56  # clause 57: "53 xã và 03 phường"
    assert Counter(new["unit_type"]) == {"Xã": 53, "Phường": 3}
    assert (new["valid_from"] == pd.Timestamp("2025-07-01")).all()
    assert (new["parent_code"] == "04").all()


def test_district_codes_are_confirmed(units):
    d = units[units["level"] == "district"]
    assert sorted(d["unit_code"]) == DISTRICTS
    assert (d["source_id"] == "gso_dvhc_2025").all()
    assert (d["valid_to"] == pd.Timestamp("2025-06-30")).all()


def test_every_former_commune_has_exactly_one_successor(units, succ):
    former, new = _former(units), _new(units)
    assert sorted(succ["former_code"]) == sorted(former["unit_code"])
    assert succ["former_code"].is_unique
    assert set(succ["new_code"]) == set(new["unit_code"])  # every new unit took some over
    assert (succ["effective_date"] == pd.Timestamp("2025-07-01")).all()
    assert (succ["legal_basis"] == "1657/NQ-UBTVQH15").all()


def test_eight_new_units_take_communes_from_two_districts(units, succ):
    parent = units.set_index("unit_code")["parent_code"]
    districts = succ.assign(d=succ["former_code"].map(parent)).groupby("new_code")["d"].nunique()
    assert (districts == 2).sum() == 8 and districts.max() == 2
    names = units.set_index("unit_code")["name_vi"]
    two = {names[c] for c in districts[districts == 2].index}
    assert {"Phường Thục Phán", "Xã Trà Lĩnh"} <= two
    thuc_phan = units.loc[units["name_vi"] == "Phường Thục Phán", "unit_code"].iloc[0]
    assert {parent[c] for c in former_units(succ, thuc_phan)} == {"040", "051"}
    tra_linh = units.loc[units["name_vi"] == "Xã Trà Lĩnh", "unit_code"].iloc[0]
    assert {parent[c] for c in former_units(succ, tra_linh)} == {"049", "047"}


def test_codes_are_reused_so_new_units_carry_a_prefix(units, succ):
    """01273 was Phường Hợp Giang until 30 Jun 2025 and is Phường Thục Phán from 1 Jul 2025."""
    assert units["unit_code"].is_unique
    by = units.set_index("unit_code")
    assert by.loc["01273", "name_vi"] == "Phường Hợp Giang"
    assert by.loc["N01273", "name_vi"] == "Phường Thục Phán"
    assert by.loc["N01273", "gso_code"] == "01273"
    assert successor(succ, "01273") == "N01273"
    for code, row in _new(units).set_index("unit_code").iterrows():
        assert row["gso_code"] in former_units(succ, code)  # its code is one it absorbed


def test_phong_nam_spelling_variant(units, succ):
    """The GSO list writes Phong Nậm; clause 49 of the resolution writes Phong Nặm."""
    row = units[units["name_vi"] == "Xã Phong Nậm"].iloc[0]
    assert row["unit_code"] == "01483" and row["parent_code"] == "047"
    s = succ.set_index("former_code").loc["01483"]
    assert s["new_code"] == "N01489" and s["clause"] == "49"


def test_six_former_names_repeat_across_districts(units):
    """The README says six names occur in two districts each; Xã Hưng Đạo in fact occurs in
    three (Bảo Lạc 01351, Thành phố Cao Bằng 01705, Nguyên Bình 01783)."""
    former = _former(units)
    seen = former.groupby("name_vi")["parent_code"].nunique()
    assert set(seen[seen > 1].index) == {
        "Xã Vĩnh Quang", "Xã Phan Thanh", "Xã Hưng Đạo", "Xã Ngọc Động", "Xã Quang Trung",
        "Xã Đức Long",
    }  # fmt: skip
    assert seen["Xã Hưng Đạo"] == 3 and (seen.drop("Xã Hưng Đạo")[seen > 1] == 2).all()


def test_a_new_unit_covers_its_former_communes(units, succ):
    codes = scope_unit_codes(units, "N01273", succ)
    former = set(former_units(succ, "N01273"))
    assert codes == {"N01273"} | former and len(former) == 5
    # without successions a new unit covers itself only; a district covers its communes
    assert scope_unit_codes(units, "N01273") == {"N01273"}
    assert len(scope_unit_codes(units, "040")) == 1 + 11


def test_district_polygons_match_the_districts_and_cite_their_source():
    geo = json.loads((REFERENCE_DIR / "district_polygons.geojson").read_text(encoding="utf-8"))
    codes = sorted(f["properties"]["district_code"] for f in geo["features"])
    assert codes == DISTRICTS
    for f in geo["features"]:
        assert f["geometry"]["type"] in ("Polygon", "MultiPolygon")
        assert f["properties"]["source_id"] == "gis_chinhphu_districts"
        ring = f["geometry"]["coordinates"][0]
        ring = ring[0] if f["geometry"]["type"] == "MultiPolygon" else ring
        lon, lat = zip(*ring, strict=True)
        assert 105.2 < min(lon) and max(lon) < 106.9 and 22.2 < min(lat) and max(lat) < 23.2


def test_geography_sources_exist():
    ids = set(reference.load("sources")["source_id"])
    assert {"gso_dvhc_2025", "nq_1657_2025", "gis_chinhphu_districts"} <= ids
    for name in ("units", "successions"):
        assert set(reference.load(name)["source_id"]) <= ids
