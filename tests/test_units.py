"""Name keys, the unit resolver and the enum alias resolvers."""

from __future__ import annotations

import csv
import unicodedata
from collections import Counter

import pandas as pd
import pytest

from helpers.core import paths
from helpers.data import schema
from helpers.data.units import (
    CAPITAL_TYPE,
    DIRECTION,
    SOURCE,
    EnumResolver,
    UnitResolver,
    enum_resolver,
    match_key,
    text_key,
)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Quảng Hoà", "Quảng Hòa"),  # old vs new tone placement on oa
        ("Thuỵ", "Thụy"),  # ... on uy
        ("Khoẻ", "Khỏe"),  # ... on oe
        (nfd("Quảng Hòa"), "Quảng Hòa"),
        (nfd("Quảng Hoà"), "quảng hòa"),
        ("QUẢNG HÒA", "quảng hòa"),
        ("  Bảo   Lạc ", "Bảo Lạc"),
        ("huyện Bảo Lạc", "Bảo Lạc"),
        ("Huyện Bảo Lạc", "Bảo Lạc"),
        (nfd("HUYỆN Bảo Lạc"), "Bảo Lạc"),
        ("TP. Cao Bằng", "Thành phố Cao Bằng"),
        ("tp Cao Bằng", "Cao Bằng"),
        ("TP.Cao Bằng", "Cao Bằng"),
        ("Cao Bằng city", "Thành phố Cao Bằng"),
        ("Bao Lac District", "bao lac"),
        ("Cao Bang Province", "cao bang"),
        ("Thị xã Quảng Yên", "Quảng Yên"),
        ("TX. Quảng Yên", "tx Quảng Yên"),
        ("Tỉnh Cao Bằng", "Cao Bằng"),
        ("Xã Đức Long", "Đức Long"),
        ("Phường Sông Hiến", "Sông Hiến"),
        ("Thị trấn Trùng Khánh", "Trùng Khánh"),
    ],
)
def test_match_key_equal(a: str, b: str) -> None:
    assert match_key(a) == match_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Bảo Lạc", "Bảo Lâm"),
        ("Bảo Lạc", "Bao Lac"),  # tones are not dropped
        ("Hòa An", "Hóa An"),  # different tone, same vowel
        ("Thụy", "Thủy"),
        ("Quảng Hòa", "Quang Hòa"),  # the hook is a tone of its own syllable
        ("Đức Long", "Dức Long"),  # đ is a letter, not a mark
        ("Hà Quảng", "Hạ Quảng"),
        ("Tpx", "x"),  # "tp" is only a prefix before a space or a dot
    ],
)
def test_match_key_distinct(a: str, b: str) -> None:
    assert match_key(a) != match_key(b)


def test_match_key_keeps_a_bare_prefix() -> None:
    assert match_key("Xã") == "xã"


@pytest.fixture
def resolver() -> UnitResolver:
    units = pd.DataFrame(
        {
            "unit_code": ["010", "011", "012", "013", "013001", "020"],
            "name_vi": [
                "Miền Sơn",
                "Quảng Hòa",
                "Bảo Lạc",
                "Trùng Khánh",
                "Thị trấn Trùng Khánh",
                "Thành phố Miền Sơn",
            ],
            "name_en": [
                "Mien Son",
                "Quang Hoa",
                "Bao Lac",
                "Trung Khanh",
                "Trung Khanh Town",
                "Mien Son City",
            ],
            "level": ["province", "district", "district", "district", "commune", "district"],
        }
    )
    return UnitResolver(units)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("011", "011"),
        (" 011 ", "011"),
        ("11", "011"),  # lost its leading zero
        ("20", "020"),
        ("Quảng Hoà", "011"),
        (nfd("huyện quảng hòa"), "011"),
        ("QUANG HOA", "011"),
        ("bao lac", "012"),
        ("Bao Lac district", "012"),
        ("011 - Quảng Hòa", "011"),  # Excel drop-down value
        ("011 – Quảng Hoà", "011"),  # en dash, old-style tone
        ("Miền Sơn", "010"),  # the province's own name
        ("Tỉnh Miền Sơn", "010"),
        ("TP. Miền Sơn", "020"),  # the city, told apart by its prefix
        ("Mien Son city", "020"),
        ("huyện Trùng Khánh", "013"),
        ("thị trấn Trùng Khánh", "013001"),
        ("Trung Khanh Town", "013001"),
    ],
)
def test_resolver_resolves(resolver: UnitResolver, typed: str, code: str) -> None:
    assert resolver.resolve(typed) == code


@pytest.mark.parametrize(
    "typed",
    ["Bao Lak", "", "999", "Bảo Lâm", "011 - Bảo Lạc", "Khánh", "Hòa Quảng"],
)
def test_resolver_rejects(resolver: UnitResolver, typed: str) -> None:
    assert resolver.resolve(typed) is None


def test_resolver_ambiguous_name_lists_candidates(resolver: UnitResolver) -> None:
    # the district's own name is exact; the commune needs its prefix (see above)
    assert resolver.resolve("Trùng Khánh") == "013"
    # two units whose names differ only by prefix: the bare name is ambiguous
    units = pd.DataFrame(
        {
            "unit_code": ["A", "B"],
            "name_vi": ["Xã Na", "Phường Na"],
            "name_en": ["Na", "Na"],
            "level": ["commune", "commune"],
        }
    )
    r = UnitResolver(units)
    assert r.resolve("Na") is None
    assert r.candidates("Na") == ["A", "B"]
    assert r.resolve("phường Na") == "B"


def test_leading_zero_match_only_when_unambiguous() -> None:
    r = UnitResolver(
        pd.DataFrame(
            {
                "unit_code": ["01", "001", "040"],
                "name_vi": ["A", "B", "C"],
                "name_en": ["A", "B", "C"],
            }
        )
    )
    assert r.resolve("1") is None
    assert r.candidates("1") == ["001", "01"]
    assert r.resolve("40") == "040"
    assert r.resolve("01") == "01"


def test_suggest_finds_the_typo(resolver: UnitResolver) -> None:
    assert resolver.suggest("Bao Lak")[0] == "Bảo Lạc (012)"
    assert resolver.suggest("huyện Quảng Hoá", n=1) == ["Quảng Hòa (011)"]
    assert len(resolver.suggest("Miền", n=2)) <= 2


@pytest.mark.skipif(
    not (paths.REFERENCE_DIR / "units.csv").exists(), reason="shipped units.csv not written yet"
)
def test_resolver_on_shipped_units() -> None:
    with open(paths.REFERENCE_DIR / "units.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    units = pd.DataFrame(rows)
    r = UnitResolver(units)
    by_name = {row["name_vi"]: row["unit_code"] for row in rows}
    n_vi = Counter(text_key(row["name_vi"]) for row in rows)
    n_en = Counter(text_key(row["name_en"]) for row in rows)
    for row in rows:  # every shipped unit resolves by its code and by each name it alone has
        assert r.resolve(row["unit_code"]) == row["unit_code"]
        for name, seen in ((nfd(row["name_vi"]).upper(), n_vi), (row["name_en"].lower(), n_en)):
            if seen[text_key(name)] == 1:
                assert r.resolve(name) == row["unit_code"], name
            else:  # a name two units share (a former and a new commune) names both
                assert row["unit_code"] in r.candidates(name) and r.resolve(name) is None
    if "Bảo Lạc" in by_name:
        assert r.suggest("Bao Lak")[0] == f"Bảo Lạc ({by_name['Bảo Lạc']})"
    if "Thành phố Cao Bằng" in by_name:
        assert r.resolve("TP. Cao Bằng") == by_name["Thành phố Cao Bằng"]


# --------------------------------------------------------------------------- enums
@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("investment", "investment"),
        ("INVESTMENT", "investment"),
        ("đầu tư", "investment"),
        ("Đầu tư phát triển", "investment"),
        (nfd("vốn đầu tư phát triển"), "investment"),
        ("ĐTPT", "investment"),
        ("đtpt", "investment"),
        ("recurrent", "recurrent"),
        ("sự nghiệp", "recurrent"),
        ("Vốn sự nghiệp", "recurrent"),
        ("SN", "recurrent"),
        (nfd("VỐN SỰ NGHIỆP"), "recurrent"),
    ],
)
def test_capital_type_aliases(typed: str, value: str) -> None:
    assert CAPITAL_TYPE.resolve(typed) == value


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("central", "central"),
        ("Trung ương", "central"),
        ("ngân sách trung ương", "central"),
        ("NSTW", "central"),
        ("local", "local"),
        ("địa phương", "local"),
        ("Ngân sách địa phương", "local"),
        ("đối ứng", "local"),
        ("NSĐP", "local"),
        (nfd("nsđp"), "local"),
        ("credit", "credit"),
        ("tín dụng", "credit"),
        ("Tín dụng chính sách", "credit"),
        ("other", "other"),
        ("khác", "other"),
        ("huy động khác", "other"),
        ("  OTHER ", "other"),
    ],
)
def test_source_aliases(typed: str, value: str) -> None:
    assert SOURCE.resolve(typed) == value


@pytest.mark.parametrize("typed", ["vốn vay", "ODA", "", "investments", "đầu", "central bank"])
def test_unknown_enum_values(typed: str) -> None:
    assert CAPITAL_TYPE.resolve(typed) is None
    assert SOURCE.resolve(typed) is None


def test_direction_accepts_canonical_values_only() -> None:
    assert DIRECTION.resolve("Higher_Better") == "higher_better"
    assert DIRECTION.resolve("lower_better") == "lower_better"
    assert DIRECTION.resolve("higher") is None
    assert DIRECTION.resolve("cao hơn là tốt") is None


def test_enum_resolver_of_schema_columns() -> None:
    column = schema.TABLES["allocations"].column("capital_type")
    assert enum_resolver(column).resolve("SN") == "recurrent"
    assert enum_resolver(schema.TABLES["targets"].column("direction")).allowed == schema.DIRECTIONS


def test_alias_tables_are_checked() -> None:
    with pytest.raises(ValueError, match="both"):
        EnumResolver(("a", "b"), {"a": ("x",), "b": ("X",)})
    with pytest.raises(ValueError, match="unknown value"):
        EnumResolver(("a",), {"c": ("x",)})
