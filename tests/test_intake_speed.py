"""The intake's faster paths give what the plain ones give (issue 15): the CSV columns read as
dictionaries, the contract checked on distinct values, codes rewritten instead of cells, and
the array helpers of the rules."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pytest

from helpers.core.errors import InputError
from helpers.data import contract, demo, intake, readers, schema
from helpers.data.checks import _pair_codes
from helpers.data.finalise import _contract, _pandera_problems, final_frame
from helpers.data.line_checks import _all_distinct, _by_line_and_date
from helpers.data.parsed import coded_text_series, key_codes
from helpers.data.units import UnitResolver


def _checked(folder) -> intake._Checker:
    """The checker after a successful load of ``folder`` (its parsed tables kept)."""
    read = readers.read_folder(folder)
    checker = intake._Checker(read.locate, read.problems, read.unusable)
    checker.run(read.frames)
    return checker


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    demo.write_demo(folder)
    return folder


def test_dictionary_read_over_many_blocks_gives_the_csv_module_cells(monkeypatch):
    text = "unit_code,name_vi,note\n" + "".join(
        f"{c},{n},{x}\n" for c, n, x in [("042", "b", ""), ("040", "a", "x")] * 40
    )
    monkeypatch.setattr(readers, "READ_BLOCK", 64)  # a dictionary per block of 64 bytes
    fast = readers._fast_frame(text.encode(), "units.csv", ["unit_code", "name_vi"])
    assert fast is not None
    slow, _, _ = readers._records_frame(text, "units.csv", ["unit_code", "name_vi"])
    assert slow is not None
    assert fast.astype(object).values.tolist() == slow.values.tolist()
    # one set of categories per column, in the order the texts first appear
    assert list(fast["unit_code"].cat.categories) == ["042", "040"]
    assert list(fast["note"].cat.categories) == ["", "x"]


def test_coded_text_series_is_the_categorical_of_the_texts():
    rng = random.Random(1)
    for _ in range(300):
        n = rng.randint(0, 6)
        values = np.empty(n, dtype=object)
        values[:] = [rng.choice(["b", "a", "Bảo", None, "a b", ""]) for _ in range(n)]
        codes = np.array([rng.randrange(n) for _ in range(rng.randint(0, 9))] if n else [])
        codes = codes.astype(np.int64)
        expected = pd.Series(pd.Categorical(values[codes] if len(codes) else []))
        got = coded_text_series(values, codes)
        pd.testing.assert_series_equal(got, expected)
        assert list(got.cat.categories) == list(expected.cat.categories)


@pytest.mark.parametrize("n_first", [3, 10**6])  # few codes: numbered by code; many: hashed
def test_pair_codes_number_equal_pairs_alike(n_first):
    first = np.array([2, 0, 2, 1, 0, 2], dtype=np.int32)
    second = np.array([1, 0, 1, 1, 0, 0], dtype=np.int32)
    pair, n, held = _pair_codes(first, second, 2, n_first)
    # rows 0 and 2 hold (2, 1), rows 1 and 4 hold (0, 0); rows 3 and 5 their own pairs
    assert pair[0] == pair[2] and pair[1] == pair[4]
    assert len({int(pair[0]), int(pair[1]), int(pair[3]), int(pair[5])}) == 4
    assert (pair < n).all()
    # each pair number once, with its code first * 2 + second
    assert sorted(code for _, code in held) == [0, 3, 4, 5]
    assert all(code == first[i] * 2 + second[i] for number, code in held for i in
               np.flatnonzero(pair == number))  # fmt: skip


def test_all_distinct_by_marking_and_by_hashing():
    assert _all_distinct(np.array([5, 3, 9]))
    assert not _all_distinct(np.array([5, 3, 5]))
    assert _all_distinct(np.array([0, 10**15]))  # a range too wide to mark: hashed
    assert not _all_distinct(np.array([10**15, 0, 10**15]))
    assert _all_distinct(np.array([], dtype=np.int64))


def test_line_and_date_order_is_lexsort():
    rng = np.random.default_rng(0)
    for _ in range(100):
        codes = rng.integers(-1, 4, rng.integers(0, 30))
        days = rng.integers(-2, 3, len(codes)) * 86_400
        assert (_by_line_and_date(codes, days) == np.lexsort((days, codes))).all()


def test_key_codes_sparse_and_dense_agree():
    frame = pd.DataFrame(
        {
            "y": pd.array([2024, 2025, 2024, None], dtype="Int64"),
            "u": pd.Categorical(["a", "b", "a", "a"]),
            "n": np.array([7, 7, 7, 9]),
        }
    )
    (dense,) = key_codes([frame], ["y", "u", "n"])
    (sparse,) = key_codes([frame], ["y", "u", "n"], dense=False)
    assert dense.tolist() == [0, 1, 0, 2]  # rows 0 and 2 alike; numbered in order
    assert (sparse[0] == sparse[2]) and len({*sparse.tolist()}) == 3


def test_contract_problems_are_those_of_the_whole_frame(demo_folder):
    table = _checked(demo_folder).tables["units"]
    assert table is not None
    frame, problems = final_frame(table)
    assert problems == []
    assert list(frame.dtypes) == [contract.dtype_of(c) for c in schema.TABLES["units"].columns]
    # two rows with a level the contract does not allow: checked on the distinct values,
    # reported row by row as the whole frame's validation reports them
    level = table.frame["level"].astype(object)
    level.iloc[[1, 3]] = "bogus"
    table.frame["level"] = pd.Series(pd.Categorical(level))
    frame, problems = final_frame(table)
    assert [(p.row, p.column, p.value) for p in problems] == [
        (3, "level", "bogus"),
        (5, "level", "bogus"),
    ]  # data rows 1 and 3 of units.csv: lines 3 and 5
    with pytest.raises(pa.errors.SchemaErrors) as whole:
        _contract("units").validate(frame, lazy=True)
    assert problems == _pandera_problems(whole.value, table)


def test_line_ids_are_written_once_for_both_tables(demo_folder):
    ds = intake.load_dataset(demo_folder)
    for frame in (ds.allocations, ds.disbursements):
        assert frame["line_id"].tolist() == schema.line_ids(frame).tolist()
        assert frame["line_id"].dtype == pd.StringDtype()


def test_bad_cell_on_a_row_whose_unit_may_mean_several(demo_folder, tmp_path):
    """A report whose unit value names several units (a GSO code two units carried) and
    whose plan year is not a number: the plan year is reported (this used to fail with a
    traceback: the row was dropped from the plan-line match but its candidates were not)."""
    disb = pd.read_csv(demo_folder / "disbursements.csv", dtype=str, keep_default_na=False)
    units = pd.read_csv(demo_folder / "units.csv", dtype=str, keep_default_na=False)
    resolver = UnitResolver(units)
    i = next(k for k, v in enumerate(disb["unit_code"]) if len(resolver.every_candidate(v)) > 1)
    disb.loc[i, "plan_year"] = "20x2"
    folder = tmp_path / "in"
    folder.mkdir()
    for f in demo_folder.glob("*.csv"):
        (folder / f.name).write_bytes(f.read_bytes())
    disb.to_csv(folder / "disbursements.csv", index=False)
    with pytest.raises(InputError) as err:
        intake.load_dataset(folder)
    bad = [(p.row, p.column, p.value) for p in err.value.problems if p.column == "plan_year"]
    assert bad == [(i + 2, "plan_year", "20x2")]  # data row i is line i + 2
