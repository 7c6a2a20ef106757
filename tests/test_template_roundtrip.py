"""Template → filled with demo rows → validate → the same DataFrames as the CSV route."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest
from openpyxl.worksheet.datavalidation import DataValidation

from helpers.core.errors import ParameterError
from helpers.data import demo, intake, template
from helpers.data.schema import INPUT_TABLES, TABLES


@pytest.fixture(scope="module")
def subset():
    """Demo rows of two districts (and the province's targets), to keep the workbook small."""
    tables = demo.generate().tables
    units = tables["units"]
    keep = sorted(units.loc[units["level"] == "district", "unit_code"])[:2]
    out = dict(tables)
    for name in ("allocations", "disbursements"):
        out[name] = tables[name][tables[name]["unit_code"].isin(keep)].reset_index(drop=True)
    t = tables["targets"]
    out["targets"] = t[t["unit_code"].isin(keep)].reset_index(drop=True)
    return out


def test_template_has_a_sheet_per_input_table_with_headers_and_dropdowns(tmp_path):
    path = template.write_template(tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(path)
    for name in INPUT_TABLES:
        assert name in wb.sheetnames
        header = [c.value for c in wb[name][1]]
        assert header == TABLES[name].column_names
    assert "instructions" in wb.sheetnames
    text = " ".join(str(c.value) for row in wb["instructions"].iter_rows() for c in row)
    assert "triệu đồng" in text and "million VND" in text  # Vietnamese and English
    ws = wb["allocations"]
    validated = {
        str(dv.sqref).split(":")[0][:-1]
        for dv in ws.data_validations.dataValidation
        if isinstance(dv, DataValidation) and dv.type == "list"
    }
    # unit_code (B), project_code (C), subproject_code (D), capital_type (E), source (F)
    assert {"B", "C", "D", "E", "F"} <= validated
    assert ws.column_dimensions["G"].number_format == "#,##0.000"
    assert ws.column_dimensions["H"].number_format == "dd/mm/yyyy"


def test_filled_template_loads_like_the_csv_route(subset, tmp_path):
    csv_dir = tmp_path / "csv"
    csv_dir.mkdir()
    for name in ("allocations", "disbursements", "targets", "metadata"):
        subset[name].to_csv(csv_dir / f"{name}.csv", index=False, date_format="%Y-%m-%d")
    from_csv = intake.load_dataset(csv_dir)

    filled = {n: subset[n] for n in ("allocations", "disbursements", "targets", "metadata")}
    # as a person picking from the drop-down would: "040 - Thành phố Cao Bằng"
    units = subset["units"].set_index("unit_code")["name_vi"]
    alloc = filled["allocations"].copy().astype({"unit_code": object})
    alloc["unit_code"] = [template.unit_choice(c, units[c]) for c in alloc["unit_code"]]
    filled["allocations"] = alloc
    xlsx = template.write_template(tmp_path / "filled.xlsx", filled=filled)
    from_xlsx = intake.load_dataset(xlsx)

    assert from_xlsx.demo and from_csv.demo
    for name in from_csv.table_names():
        pd.testing.assert_frame_equal(
            from_xlsx.tables()[name], from_csv.tables()[name], check_like=False, obj=name
        )
    assert len(from_csv.allocations) == len(subset["allocations"])
    assert len(from_csv.disbursements) == len(subset["disbursements"])


# ---------------------------------------------------------------- a template for any province
def test_template_is_empty_by_default_and_lists_the_units_the_user_enters(tmp_path):
    wb = openpyxl.load_workbook(template.write_template(tmp_path / "t.xlsx"))
    assert wb["units"].max_row == 1 and wb["sources"].max_row == 1  # header only
    assert wb["program_components"].max_row > 1  # the national structure stays
    lists = wb["_lists"]
    col = [c.value for c in lists[1]].index("unit_code") + 1
    # the code (A) and the Vietnamese name (C; B holds the GSO code)
    assert lists.cell(row=2, column=col).value == '=IF(units!$A2="","",units!$A2&" - "&units!$C2)'
    unit_dv = next(
        dv for dv in wb["allocations"].data_validations.dataValidation
        if str(dv.sqref).startswith("B")
    )  # fmt: skip
    assert unit_dv.type == "list" and not unit_dv.showErrorMessage  # names stay allowed
    note = wb["allocations"]["G1"].comment.text  # amount_mvnd
    assert note.index("triệu đồng") < note.index("million VND")  # Vietnamese first


def test_template_prefilled_for_a_province(tmp_path):
    wb = openpyxl.load_workbook(template.write_template(tmp_path / "t.xlsx", province="04"))
    codes = [r[0] for r in wb["units"].iter_rows(min_row=2, values_only=True)]
    # the province, its 10 former districts, 161 former communes and 56 units since July 2025
    assert codes[0] == "04" and len(codes) == 1 + 10 + 161 + 56
    assert wb["sources"].max_row > 1
    succ = list(wb["successions"].iter_rows(min_row=2, values_only=True))
    assert len(succ) == 161 and succ[0][:2] == ("01267", "N01273")  # the shipped rows
    sources = {r[0] for r in wb["sources"].iter_rows(min_row=2, values_only=True)}
    assert "nq_1657_2025" in sources  # the resolution the successions cite
    lists = wb["_lists"]
    col = [c.value for c in lists[1]].index("unit_code") + 1
    n_units = sum(1 for r in range(2, 5002) if lists.cell(row=r, column=col).value)
    assert n_units == 5000  # one formula per row of the units sheet: 228 units fit
    unit_lists = {
        str(dv.sqref).split(":")[0][:-1]
        for dv in wb["successions"].data_validations.dataValidation
        if dv.type == "list" and dv.formula1.startswith("'_lists'!$A$")
    }
    assert unit_lists == {"A", "B"}  # former_code and new_code pick from the units
    with pytest.raises(ParameterError, match="no shipped units for province '99'"):
        template.build_template(province="99")


def test_text_starting_with_equals_is_stored_as_text_not_a_formula(tmp_path):
    units = pd.DataFrame(
        [{"unit_code": "X1", "name_vi": "=HYPERLINK(\"http://evil\")", "name_en": "+1-2",
          "level": "province", "parent_code": None}]
    )  # fmt: skip
    wb = openpyxl.load_workbook(template.write_template(tmp_path / "t.xlsx", {"units": units}))
    header = [c.value for c in wb["units"][1]]
    cell = wb["units"].cell(row=2, column=header.index("name_vi") + 1)
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("http://evil")'
    assert wb["units"].cell(row=2, column=header.index("name_en") + 1).data_type == "s"


def test_a_province_template_filled_with_commune_lines_validates(tmp_path):
    """Template for Cao Bằng → a user types commune lines by name, code or drop-down value,
    before and after the reform → the workbook validates, each line on the unit of its date."""
    rows = [
        # (unit as typed, decision date)
        ("Bế Văn Đàn, Quảng Hòa", "2024-03-15"),  # the former commune, named with its district
        ("xã Bế Văn Đàn", "2025-11-05"),  # the same name after the reform: the new unit
        ("01273 - Phường Hợp Giang", "2024-04-01"),  # a drop-down value
        ("01273", "2025-10-20"),  # the code Phường Thục Phán carries since 1 July 2025
        ("Phong Nặm", "2024-05-02"),  # the resolution's spelling of Phong Nậm
    ]
    alloc = pd.DataFrame(
        {
            "plan_year": [pd.Timestamp(d).year for _, d in rows],
            "unit_code": [u for u, _ in rows],
            "project_code": "DA4",
            "subproject_code": "DA4.TDA1",
            "capital_type": "investment",
            "source": "central",
            "amount_mvnd": [100.0, 200.0, 300.0, 400.0, 500.0],
            "decision_date": pd.to_datetime([d for _, d in rows]),
        }
    )
    disb = alloc[["plan_year", "unit_code", "project_code", "subproject_code", "capital_type",
                  "source"]].assign(report_date=pd.Timestamp("2025-12-31"), disbursed_cum_mvnd=50.0)  # fmt: skip
    path = template.write_template(
        tmp_path / "t.xlsx", {"allocations": alloc, "disbursements": disb}, province="04"
    )
    ds = intake.load_dataset(path)
    assert ds.allocations["unit_code"].tolist() == ["01630", "N01636", "01273", "N01273", "01483"]
    assert ds.disbursements["unit_code"].tolist() == ds.allocations["unit_code"].tolist()
    assert len(ds.units) == 228 and len(ds.successions) == 161
    assert [w.value for w in ds.warnings] == ["Phong Nặm", "Phong Nặm"]  # each sheet warns
