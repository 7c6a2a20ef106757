"""Units typed the way people type them, settled by the line's date and district; lines outside
their unit's validity; the successions checked against the units.

The tables are built by hand: a province with two former districts, six former communes (two
named Xã Hưng Đạo; a GSO code, 01273, that a new unit carries again) and four units created on
1 July 2025. Expected values are worked out from these rows.
"""

from __future__ import annotations

import pandas as pd
import pytest

from cli_helpers import no_locale, run_mtqg  # noqa: F401  (fixture used by the CLI test)
from helpers.core.errors import InputError
from helpers.data import intake, reference
from helpers.data.hierarchy import home_districts, scope_unit_codes
from helpers.data.units import UnitMatch, UnitResolver

EVE, REFORM = "2025-06-30", "2025-07-01"
LAW = "1657/NQ-UBTVQH15"

UNITS = pd.DataFrame(
    [
        # unit_code, gso_code, name_vi, name_en, level, parent, valid_from, valid_to
        ("P", "P", "Miền Sơn", "Mien Son", "province", None, None, None),
        ("043", "043", "Bảo Lạc", "Bao Lac", "district", "P", None, EVE),
        ("049", "049", "Quảng Hòa", "Quang Hoa", "district", "P", None, EVE),
        ("01351", "01351", "Xã Hưng Đạo", "Hung Dao commune", "commune", "043", None, EVE),
        ("01273", "01273", "Phường Hợp Giang", "Hop Giang ward", "commune", "043", None, EVE),
        ("01705", "01705", "Xã Hưng Đạo", "Hung Dao commune", "commune", "049", None, EVE),
        ("01630", "01630", "Xã Bế Văn Đàn", "Be Van Dan commune", "commune", "049", None, EVE),
        ("01483", "01483", "Xã Phong Nậm", "Phong Nam commune", "commune", "049", None, EVE),
        ("01648", "01648", "Thị trấn Hoà Thuận", "Hoa Thuan township", "commune", "049", None, EVE),
        ("N01351", "01351", "Xã Hưng Đạo", "Hung Dao commune", "commune", "P", REFORM, None),
        ("N01273", "01273", "Phường Thục Phán", "Thuc Phan ward", "commune", "P", REFORM, None),
        ("N01630", "01630", "Xã Bế Văn Đàn", "Be Van Dan commune", "commune", "P", REFORM, None),
        ("N01648", "01648", "Xã Phục Hòa", "Phuc Hoa commune", "commune", "P", REFORM, None),
    ],
    columns=[
        "unit_code", "gso_code", "name_vi", "name_en", "level", "parent_code", "valid_from",
        "valid_to",
    ],
)  # fmt: skip

SUCCESSIONS = pd.DataFrame(
    [
        ("01351", "N01351"),
        ("01273", "N01273"),
        ("01705", "N01273"),  # a Hưng Đạo of Quảng Hòa went to a unit carrying a Bảo Lạc code
        ("01630", "N01630"),
        ("01483", "N01630"),
        ("01648", "N01648"),
    ],
    columns=["former_code", "new_code"],
).assign(effective_date=REFORM, legal_basis=LAW)


def _typed_units() -> pd.DataFrame:
    return UNITS.assign(
        valid_from=pd.to_datetime(UNITS["valid_from"]), valid_to=pd.to_datetime(UNITS["valid_to"])
    )


@pytest.fixture(scope="module")
def resolver() -> UnitResolver:
    return UnitResolver(_typed_units(), SUCCESSIONS)


# --------------------------------------------------------------------------- the resolver
@pytest.mark.parametrize(
    ("typed", "day", "code"),
    [
        ("xã Bế Văn Đàn", "2024-03-01", "01630"),  # a former and a new unit share the name
        ("xã Bế Văn Đàn", "2025-09-01", "N01630"),  # the date settles it
        ("Bế Văn Đàn, Quảng Hòa", "2024-03-01", "01630"),  # name and its district
        ("Bế Văn Đàn - Quảng Hoà", "2024-03-01", "01630"),  # dash, old tone placement
        ("Bế Văn Đàn (huyện Quảng Hòa)", "2024-03-01", "01630"),
        ("Bế Văn Đàn, Quảng Hòa", "2025-09-01", "N01630"),  # the new unit took Quảng Hòa's
        ("thị trấn Hòa Thuận", "2024-03-01", "01648"),  # new tone placement, old in the table
        ("Phục Hoà", "2025-09-01", "N01648"),  # old tone placement, new in the table
        ("01273", "2024-03-01", "01273"),  # Phường Hợp Giang until 30 June 2025 ...
        ("01273", "2025-09-01", "N01273"),  # ... Phường Thục Phán from 1 July 2025
        ("1273", "2024-03-01", "01273"),  # the code without its leading zero
        ("1273", "2025-09-01", "N01273"),
        ("Hưng Đạo, Bảo Lạc", "2024-03-01", "01351"),  # the same name in two districts
        ("Hưng Đạo (Quảng Hòa)", "2024-03-01", "01705"),
        ("Hưng Đạo", "2025-09-01", "N01351"),  # only one Hưng Đạo exists after the reform
        ("Hưng Đạo, Bảo Lạc", "2025-09-01", "N01351"),
        ("Hưng Đạo, Quảng Hòa", "2025-09-01", "01705"),  # none of Quảng Hòa's exists then:
        # the former commune, whose line is then outside its validity (see below)
        ("049", "2025-09-01", "049"),  # a district's code stays the district
        ("Quảng Hòa", "2025-09-01", "049"),
    ],
)
def test_lookup_by_date_and_district(resolver, typed, day, code) -> None:
    assert resolver.lookup(typed, pd.Timestamp(day)) == UnitMatch((code,))


def test_a_vowel_or_tone_variant_is_a_unique_match_without_diacritics(resolver) -> None:
    # the GSO list writes Phong Nậm, Resolution 1657 Phong Nặm
    assert resolver.lookup("Phong Nặm", pd.Timestamp("2024-03-01")) == UnitMatch(("01483",), True)
    assert resolver.lookup("xã Phong Nam") == UnitMatch(("01483",), True)
    assert resolver.resolve("Phong Nặm") is None  # resolve() stays exact


def test_what_date_and_district_cannot_settle_stays_ambiguous(resolver) -> None:
    assert resolver.lookup("Hưng Đạo", pd.Timestamp("2024-03-01")).codes == ("01351", "01705")
    assert resolver.lookup("xã Bế Văn Đàn").codes == ("01630", "N01630")  # no date
    assert resolver.lookup("Hưng Đạo, Hạ Lang").codes == ()  # no such district


def test_without_a_date_the_resolver_answers_as_before(resolver) -> None:
    assert resolver.resolve("01273") == "01273"  # the exact code
    assert resolver.resolve("Bảo Lạc") == "043" and resolver.resolve("huyện Quảng Hoà") == "049"
    assert resolver.candidates("Hưng Đạo") == ["01351", "01705", "N01351"]


def test_home_district_of_each_unit() -> None:
    home = home_districts(_typed_units(), SUCCESSIONS)
    assert home["P"] == "P" and home["043"] == "043"  # the province, a district: themselves
    assert home["01705"] == "049"  # a former commune: its parent
    # a new unit: the district of the former commune whose GSO code it carries (01273 lay in
    # Bảo Lạc), though it also took a commune of Quảng Hòa
    assert home["N01273"] == "043" and home["N01630"] == "049"
    # a district's scope is exact: the district and its former communes, not the new units
    # whose home it is (8 new units took communes from two districts)
    assert scope_unit_codes(_typed_units(), "049", SUCCESSIONS) == {
        "049", "01705", "01630", "01483", "01648"
    }  # fmt: skip


# --------------------------------------------------------------------------- the intake
def _line(unit: str, decided: str, project: str = "DA1", year: int | None = None) -> dict:
    day = pd.Timestamp(decided)
    return {
        "plan_year": year or day.year,
        "unit_code": unit,
        "project_code": project,
        "subproject_code": None,
        "capital_type": "investment",
        "source": "central",
        "amount_mvnd": 100.0,
        "decision_date": day,
    }


def _report(line: dict, day: str = "2025-12-31", cum: float = 0.0) -> dict:
    keys = ("plan_year", "unit_code", "project_code", "subproject_code", "capital_type", "source")
    return {
        "report_date": pd.Timestamp(day),
        **{k: line[k] for k in keys},
        "disbursed_cum_mvnd": cum,
    }


def _validate(lines: list[dict], disb: list[dict] | None = None, **tables: pd.DataFrame):
    reported = _line("P", "2024-03-01", "DA10")  # a province line, reported on
    raw = {
        "units": UNITS,
        "successions": SUCCESSIONS,
        "allocations": pd.DataFrame([*lines, reported]),
        "disbursements": pd.DataFrame(disb or [_report(reported)]),
        **tables,
    }
    return intake.validate_frames(raw, origin="t", sha256="x")


def _problems(lines: list[dict], **tables: pd.DataFrame) -> list:
    with pytest.raises(InputError) as err:
        _validate(lines, **tables)
    return err.value.problems


def test_intake_resolves_typed_units_by_decision_date() -> None:
    lines = [
        _line("xã Bế Văn Đàn", "2024-03-01"),
        _line("Bế Văn Đàn, Quảng Hòa", "2025-09-01"),
        _line("01273", "2024-03-01", "DA2"),
        _line("01273", "2025-09-01", "DA2"),
        _line("Hưng Đạo (Bảo Lạc)", "2024-03-01", "DA3"),
        _line("Hưng Đạo", "2025-09-01", "DA3"),
    ]
    ds = _validate(lines)
    assert ds.allocations["unit_code"].tolist() == [
        "01630", "N01630", "01273", "N01273", "01351", "N01351", "P"
    ]  # fmt: skip
    assert ds.warnings == []
    assert len(ds.successions) == 6


def test_a_report_keeps_the_line_of_a_former_unit_after_the_reform() -> None:
    # a 2024 line of Phường Hợp Giang reported on in October 2025: "01273" on that report
    # date alone would be Phường Thục Phán, but only Hợp Giang has the plan line
    line = _line("01273", "2024-03-01")
    report = {**_report(line, "2025-10-31", 40.0), "unit_code": "1273"}
    ds = _validate([line], [report])
    assert ds.disbursements["unit_code"].tolist() == ["01273"]


def test_a_variant_spelling_is_taken_with_one_warning_naming_the_unit_and_rows() -> None:
    lines = [
        _line("Phong Nặm", "2024-03-01"),
        _line("Quảng Hòa", "2024-03-01"),
        _line("Phong Nặm", "2024-05-01", "DA2"),
    ]
    report = {**_report(lines[1]), "unit_code": "049"}
    ds = _validate(lines, [report])
    assert ds.allocations["unit_code"].tolist() == ["01483", "049", "01483", "P"]
    (warning,) = ds.warnings
    assert (warning.row, warning.column, warning.value) == (2, "unit_code", "Phong Nặm")
    assert warning.message == (
        "warning: no unit is written this way; taken as Xã Phong Nậm (01483), the only unit "
        "whose name matches once diacritics are ignored (rows 2, 4)"
    )
    assert warning.expected == (
        "the name as the units table writes it (Xã Phong Nậm), or the unit code"
    )
    assert warning.text("vi").startswith("allocations, dòng 2, cột 'unit_code': cảnh báo: ")


def test_an_ambiguity_lists_the_candidates_with_district_and_validity() -> None:
    (problem,) = _problems([_line("Hưng Đạo", "2024-03-01")])
    assert (problem.row, problem.column, problem.value) == (2, "unit_code", "Hưng Đạo")
    assert problem.message == "unit matches several units that exist on 2024-03-01"
    assert problem.expected == (
        "the unit code of one of: Xã Hưng Đạo (01351, in Bảo Lạc, until 2025-06-30), "
        "Xã Hưng Đạo (01705, in Quảng Hòa, until 2025-06-30)"
    )
    assert "Xã Hưng Đạo (01351, thuộc Bảo Lạc, đến 30/06/2025)" in problem.text("vi")


# --------------------------------------------------------------------------- validity
def test_a_former_commune_after_the_reform_is_an_error_naming_its_new_unit() -> None:
    problems = _problems([_line("Hưng Đạo, Quảng Hòa", "2025-09-01")])
    (p,) = problems
    assert (p.file, p.row, p.column, p.value, p.severity) == (
        "allocations", 2, "unit_code", "Hưng Đạo, Quảng Hòa", "error"
    )  # fmt: skip
    assert p.message == (
        "the line was decided on 2025-09-01, but unit Xã Hưng Đạo (01705) existed until "
        "2025-06-30; from 2025-07-01 it is part of Phường Thục Phán (N01273)"
    )
    assert p.expected == "a unit that exists on 2025-09-01, or the decision date corrected"
    assert p.text("vi").endswith(
        "đơn vị Xã Hưng Đạo (01705) chỉ tồn tại đến 30/06/2025; từ 01/07/2025 đơn vị này đã "
        "được sắp xếp vào Phường Thục Phán (N01273) (giá trị: 'Hưng Đạo, Quảng Hòa'); cần: một "
        "đơn vị tồn tại vào ngày 01/09/2025, hoặc sửa lại ngày quyết định"
    )


def test_a_district_after_the_reform_names_the_units_that_took_its_communes() -> None:
    (p,) = _problems([_line("049", "2025-07-01")])
    assert p.message == (
        "the line was decided on 2025-07-01, but unit Quảng Hòa (049) existed until 2025-06-30; "
        "the district level was abolished and its communes were merged into Phường Thục Phán "
        "(N01273), Xã Bế Văn Đàn (N01630), Xã Phục Hòa (N01648)"
    )


def test_a_long_list_of_successors_is_abridged() -> None:
    line = _line("043", "2025-08-01")
    with pytest.raises(InputError) as err:
        intake.validate_frames(
            {"allocations": pd.DataFrame([line]), "disbursements": pd.DataFrame([_report(line)])},
            origin="t",
            sha256="x",
        )
    (p,) = err.value.problems  # the shipped units: Bảo Lạc's communes went to eight units
    assert p.message.endswith(
        "merged into Xã Bảo Lạc (N01321), Xã Cốc Pàng (N01324), Xã Cô Ba (N01327), "
        "Xã Khánh Xuân (N01336) and 4 more"
    )


def test_a_new_unit_before_it_existed_names_the_units_it_took_over() -> None:
    (p,) = _problems([_line("N01273", "2025-03-01")])
    assert p.message == (
        "the line was decided on 2025-03-01, but unit Phường Thục Phán (N01273) exists only "
        "from 2025-07-01; before then its area belonged to Phường Hợp Giang (01273), "
        "Xã Hưng Đạo (01705)"
    )


def test_every_late_line_is_an_error_of_its_own() -> None:
    lines = [
        _line("049", "2025-08-01"),
        _line("049", "2025-03-01", "DA2"),
        _line("049", "2025-09-15", "DA3"),
    ]
    problems = _problems(lines)
    assert [p.row for p in problems] == [2, 4]  # CSV numbering: the header is row 1


def test_validate_exits_2_on_a_late_line_without_a_traceback(tmp_path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    UNITS.to_csv(folder / "units.csv", index=False)
    SUCCESSIONS.to_csv(folder / "successions.csv", index=False)
    pd.DataFrame([_line("01705", "2025-09-01")]).to_csv(
        folder / "allocations.csv", index=False, date_format="%Y-%m-%d"
    )
    pd.DataFrame(
        columns=["report_date", "plan_year", "unit_code", "project_code", "subproject_code",
                 "capital_type", "source", "disbursed_cum_mvnd"]
    ).to_csv(folder / "disbursements.csv", index=False)  # fmt: skip
    res = run_mtqg("validate", str(folder))
    assert res.returncode == 2 and "Traceback" not in res.stdout + res.stderr
    assert (
        "allocations.csv, row 2, column 'unit_code': the line was decided on 2025-09-01, but "
        "unit Xã Hưng Đạo (01705) existed until 2025-06-30; from 2025-07-01 it is part of "
        "Phường Thục Phán (N01273)"
    ) in res.stderr


# --------------------------------------------------------------------------- successions
def _succession_problems(succ: pd.DataFrame, units: pd.DataFrame = UNITS) -> list:
    return _problems([_line("P", "2024-03-01")], successions=succ, units=units)


def test_shipped_successions_and_units_agree() -> None:
    ds = intake.validate_frames(
        {
            "units": reference.load("units"),
            "successions": reference.load("successions"),
            "allocations": pd.DataFrame([_line("04", "2024-03-01")]),
            "disbursements": pd.DataFrame([_report(_line("04", "2024-03-01"))]),
        },
        origin="t",
        sha256="x",
    )
    assert len(ds.successions) == 161 and ds.warnings == []


def test_a_succession_naming_an_unknown_unit() -> None:
    succ = SUCCESSIONS.copy()
    succ.loc[1, "new_code"] = "N99999"
    (p,) = _succession_problems(succ)
    assert (p.file, p.row, p.column, p.value) == ("successions", 3, "new_code", "N99999")
    assert p.message == "unit code not found in the units table"
    assert p.expected == "a unit_code listed in units"


def test_a_unit_cannot_succeed_itself() -> None:
    succ = SUCCESSIONS.copy()
    succ.loc[0, "new_code"] = "01351"
    problems = _succession_problems(succ)
    assert [(p.row, p.column, p.message) for p in problems] == [
        (2, "new_code", "a unit cannot succeed itself")
    ]


def test_the_effective_date_must_be_the_new_units_first_day_and_the_day_after_the_former() -> None:
    succ = SUCCESSIONS.copy()
    succ.loc[2, "effective_date"] = "2025-07-02"
    first, second = _succession_problems(succ)
    assert (first.row, first.column, first.value) == (4, "effective_date", "2025-07-02")
    assert first.message == (
        "the new unit Phường Thục Phán (N01273) begins on 2025-07-01 (its valid_from in units), "
        "not on the effective date"
    )
    assert first.expected == (
        "2025-07-02 as the valid_from of N01273 in units, or the effective date corrected"
    )
    assert second.message == (
        "the former unit Xã Hưng Đạo (01705) ends on 2025-06-30 (its valid_to in units), "
        "not on the day before the effective date"
    )
    assert second.expected == (
        "2025-07-01 as the valid_to of 01705 in units (the day before the effective date), "
        "or the effective date corrected"
    )


def test_a_former_code_twice_is_a_duplicate_key() -> None:
    succ = pd.concat([SUCCESSIONS, SUCCESSIONS.iloc[[0]].assign(new_code="N01630")])
    (p,) = _succession_problems(succ.reset_index(drop=True))
    assert p.row == 8 and p.message.startswith("duplicate key: rows 2 and 8 have the same former")


def test_every_commune_that_ended_on_the_eve_of_the_reform_has_a_successor() -> None:
    succ = SUCCESSIONS[SUCCESSIONS["former_code"] != "01648"]
    (p,) = _succession_problems(succ)
    assert (p.file, p.row, p.column, p.value) == ("units", 10, "valid_to", "2025-06-30")
    assert p.message == (
        "commune-level unit 01648 ended on 2025-06-30, when the communes were merged, but no "
        "row of successions names the unit that took it over"
    )
    assert p.expected == "a row with former_code 01648 in successions"
    assert p.text("vi").startswith("units, dòng 10, cột 'valid_to': đơn vị cấp xã 01648 kết thúc")


def test_units_without_successions_say_which_communes_lack_one() -> None:
    problems = _problems([_line("P", "2024-03-01")], successions=SUCCESSIONS.iloc[:0])
    assert [p.value for p in problems] == ["2025-06-30"] * 6
    assert problems[0].expected == "a row with former_code 01351 in successions"
