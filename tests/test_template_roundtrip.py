"""Template → filled with demo rows → validate → the same DataFrames as the CSV route."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest
from openpyxl.worksheet.datavalidation import DataValidation

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
