"""Intake at scale: the pyarrow CSV route, line codes, the grown benchmark datasets, the
vectorised ``cumulative_at`` and the stratified Cox model (issue 15)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.analysis.lines import cumulative_at
from helpers.data import readers
from helpers.data.intake import load_dataset
from helpers.data.parsed import key_codes

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"

PLAIN = (
    "unit_code,name_vi,note\r\n"
    '040,"Thành phố Cao Bằng, tỉnh Cao Bằng",\r\n'
    '042,Bảo Lạc,"he said ""yes"""\r\n'
    "043,,x\r\n"
)


def _cells(frame: pd.DataFrame) -> list[list[str]]:
    return [[str(v) for v in row] for row in frame.astype(object).itertuples(index=False)]


def test_pyarrow_route_gives_the_csv_module_cells():
    data = PLAIN.encode()
    fast = readers._fast_frame(data, "units.csv", ["unit_code", "name_vi"])
    assert fast is not None
    slow, loc, problems = readers._records_frame(PLAIN, "units.csv", ["unit_code", "name_vi"])
    assert problems == [] and slow is not None
    assert list(fast.columns) == list(slow.columns) == ["unit_code", "name_vi", "note"]
    expected = [
        ["040", "Thành phố Cao Bằng, tỉnh Cao Bằng", ""],
        ["042", "Bảo Lạc", 'he said "yes"'],
        ["043", "", "x"],
    ]
    assert _cells(fast) == _cells(slow) == expected
    # data rows on lines 2, 3, 4 either way
    assert [loc.row(i) for i in range(3)] == [2, 3, 4]
    assert [readers.Location(file="units.csv").row(i) for i in range(3)] == [2, 3, 4]


@pytest.mark.parametrize(
    "text",
    [
        'unit_code,name_vi\n040,"two\nlines"\n042,Bảo Lạc\n',  # a line break inside a cell
        "unit_code,name_vi\n040,Cao Bằng\n\n042,Bảo Lạc\n",  # a blank line
        "unit_code,name_vi\n040,Cao Bằng,extra\n042,Bảo Lạc\n",  # a row wider than the header
        "Title of the table\nunit_code,name_vi\n040,Cao Bằng\n",  # a title above the header
        "unit_code,name_vi\n040,Cao B\xe1\n",  # not UTF-8 (latin-1 byte)
    ],
)
def test_pyarrow_route_declines_what_it_would_number_differently(text):
    data = text.encode("latin-1") if "\xe1\n" in text else text.encode()
    assert readers._fast_frame(data, "units.csv", ["unit_code", "name_vi"]) is None


def test_row_numbers_after_a_two_line_cell_come_from_the_csv_module():
    text = 'unit_code,name_vi\n040,"two\nlines"\n042,Bảo Lạc\n'
    frame, loc, _ = readers.read_csv_bytes(text.encode(), "units.csv", ["unit_code", "name_vi"])
    assert frame is not None
    # the record of 040 starts on line 2 and spans line 3; 042 starts on line 4
    assert [loc.row(i) for i in range(len(frame))] == [2, 4]


def test_key_codes_equal_keys_share_a_code_across_frames():
    a = pd.DataFrame(
        {
            "y": pd.array([2024, 2024, 2025], dtype="Int64"),
            "u": pd.Series(pd.Categorical(["040", "042", "040"])),
            "s": pd.Series(pd.Categorical(["DA1", None, None])),
        }
    )
    b = pd.DataFrame(
        {
            "y": pd.array([2025, 2024, 2024], dtype="Int64"),
            "u": pd.Series(pd.Categorical(["040", "042", "043"])),
            "s": pd.Series(pd.Categorical([None, None, None])),
        }
    )
    ca, cb = key_codes([a, b], ["y", "u", "s"])
    # b[0] is a[2] (2025, 040, empty); b[1] is (2024, 042, empty) = a[1]; b[2] is new
    assert cb[0] == ca[2] and cb[1] == ca[1]
    assert len({*ca.tolist(), cb[2]}) == 4


def test_cumulative_at_by_hand():
    d = pd.DataFrame(
        {
            "line_id": ["A", "B", "A", "A"],
            "report_date": pd.to_datetime(["2024-01-31", "2024-02-29", "2024-03-31", "2024-05-31"]),
            "disbursed_cum_mvnd": [10.0, 5.0, 25.0, 40.0],
        }
    )
    lines = pd.Series(["A", "A", "B", "C", "A"], index=[10, 11, 12, 13, 14])
    one_day = cumulative_at(d, lines, pd.Timestamp("2024-03-31"))
    # A: latest on or before 31 Mar is 25; B: 5; C: no snapshot -> 0
    assert one_day.tolist() == [25.0, 25.0, 5.0, 0.0, 25.0]
    assert list(one_day.index) == [10, 11, 12, 13, 14]
    per_line = pd.Series(
        pd.to_datetime(["2024-01-30", "2024-03-30", "2024-02-29", "2024-12-31", "2030-01-01"]),
        index=lines.index,
    )
    # A on 30 Jan: none yet (0); A on 30 Mar: 10; B on its report day: 5; C: 0; A later: 40
    assert cumulative_at(d, lines, per_line).tolist() == [0.0, 10.0, 5.0, 0.0, 40.0]
    # the snapshots' sorted index is kept for the table: a change in place is seen (A's
    # 25 becomes 30 on 31 Mar), and another table with other values is its own
    d.loc[2, "disbursed_cum_mvnd"] = 30.0
    assert cumulative_at(d, lines, pd.Timestamp("2024-03-31")).tolist()[:2] == [30.0, 30.0]
    other = d.assign(disbursed_cum_mvnd=[1.0, 2.0, 3.0, 4.0])
    assert cumulative_at(other, lines, pd.Timestamp("2024-03-31")).tolist() == [3, 3, 2, 0, 3]


def test_grown_benchmark_dataset_validates(tmp_path):
    sys.path.insert(0, str(BENCH))
    try:
        import scale_data
    finally:
        sys.path.remove(str(BENCH))
    folder = scale_data.build(tmp_path, lines=2, units=2)
    base = tmp_path / "demo-s1719"
    alloc = pd.read_csv(base / "allocations.csv", dtype=str, keep_default_na=False)
    disb = pd.read_csv(base / "disbursements.csv", dtype=str, keep_default_na=False)
    units = pd.read_csv(base / "units.csv", dtype=str, keep_default_na=False)
    districts = set(units.loc[units["level"] == "district", "unit_code"])
    # one copy of each district with its own lines, then every line twice
    n_lines = (len(alloc) + alloc["unit_code"].isin(districts).sum()) * 2
    n_snaps = (len(disb) + disb["unit_code"].isin(districts).sum()) * 2
    ds = load_dataset(folder)
    assert len(ds.allocations) == n_lines
    assert len(ds.disbursements) == n_snaps
    assert len(ds.units) == len(units) + len(districts)
    assert ds.demo
    assert ds.allocations["line_id"].is_unique
    # each snapshot belongs to a plan line
    assert set(ds.disbursements["line_id"]) <= set(ds.allocations["line_id"])
    # a copy keeps its original's amount: the total doubles
    total = pd.to_numeric(alloc["amount_mvnd"]).sum()
    extra = pd.to_numeric(alloc.loc[alloc["unit_code"].isin(districts), "amount_mvnd"]).sum()
    assert ds.allocations["amount_mvnd"].sum() == pytest.approx(2 * (total + extra))


def test_cox_is_stratified_by_district():
    from helpers.analysis.lag import prepare, survival
    from helpers.data import datasets

    data = prepare.prepare_lag_data(datasets.open_dataset("demo"), panel=False)
    res = survival.fit_time_to_share(data, 0.5)
    assert res.cox["formula"].endswith(" + strata(district_code)")
    assert "C(district_code)" not in res.cox["formula"]
    assert all(not name.startswith("C(district_code)") for name in res.cox["terms"])
    assert np.isfinite(res.cox["terms"]["allocation_month"]["hazard_ratio"])


def test_parquet_folder_loads_like_the_csv_folder(tmp_path):
    from helpers.data import demo, schema

    csv_dir, pq_dir = tmp_path / "csv", tmp_path / "pq"
    demo.write_demo(csv_dir)
    pq_dir.mkdir()
    for name in schema.INPUT_TABLES:
        src = csv_dir / f"{name}.csv"
        if not src.is_file():
            continue
        frame = pd.read_csv(src, dtype=str, keep_default_na=False)
        if name == "allocations":  # typed columns: numbers, dates and NaN as Parquet holds them
            frame["plan_year"] = frame["plan_year"].astype("int64")
            frame["amount_mvnd"] = pd.to_numeric(frame["amount_mvnd"])
            frame["approved_mvnd"] = pd.to_numeric(frame["approved_mvnd"])  # empty -> NaN
            frame["decision_date"] = pd.to_datetime(frame["decision_date"])
        if name == "disbursements":  # 393.834 as text would need the file's convention
            frame["plan_year"] = frame["plan_year"].astype("int64")
            frame["disbursed_cum_mvnd"] = pd.to_numeric(frame["disbursed_cum_mvnd"])
            frame["report_date"] = pd.to_datetime(frame["report_date"]).dt.date  # date32
        frame.to_parquet(pq_dir / f"{name}.parquet", index=False)
    a, b = load_dataset(csv_dir), load_dataset(pq_dir)
    for name in ("units", "allocations", "disbursements", "targets"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))


def test_parquet_problem_rows_are_counted_as_in_a_csv_file(tmp_path):
    from helpers.core.errors import InputError
    from helpers.data import demo

    demo.write_demo(tmp_path / "csv")
    folder = tmp_path / "pq"
    folder.mkdir()
    for f in (tmp_path / "csv").glob("*.csv"):
        frame = pd.read_csv(f, dtype=str, keep_default_na=False)
        if f.stem == "allocations":
            frame.loc[4, "amount_mvnd"] = "-5"  # the fifth data row: row 6 of the CSV file
        frame.to_parquet(folder / f"{f.stem}.parquet", index=False)
    with pytest.raises(InputError) as err:
        load_dataset(folder)
    bad = [p for p in err.value.problems if p.column == "amount_mvnd"]
    assert [(p.file, p.row, p.value) for p in bad] == [("allocations.parquet", 6, "-5")]
    (folder / "units.parquet").write_bytes(b"not parquet")
    with pytest.raises(InputError) as err:
        load_dataset(folder)
    assert any(p.file == "units.parquet" and "Parquet" in p.message for p in err.value.problems)


def test_the_runner_keeps_the_units_but_not_the_lines():
    """``Dataset.without_lines``: no plan line and no snapshot (same columns and dtypes),
    the units and successions untouched, the original dataset unchanged."""
    from helpers.data.datasets import open_dataset

    ds = open_dataset("demo")
    light = ds.without_lines()
    assert len(light.allocations) == 0 and len(light.disbursements) == 0
    assert list(light.disbursements.dtypes) == list(ds.disbursements.dtypes)
    assert light.units is ds.units and light.successions is ds.successions
    assert light.sha256 == ds.sha256 and len(ds.allocations) > 800
