"""Differential check of the intake: the problems (and the tables' digest) on corrupted copies of
the demo, written as JSON, to compare two versions of the code.

    .venv/bin/python benchmarks/intake_diff.py make DEMO_DIR CASES_DIR   # DEMO_DIR: mtqg demo --out
    PYTHONPATH=/path/to/old/src .venv/bin/python benchmarks/intake_diff.py run CASES_DIR old.json
    .venv/bin/python benchmarks/intake_diff.py run CASES_DIR new.json && cmp old.json new.json

Run both on the same day (messages name today's date). A load that succeeds is compared by
its input digest, its warnings and, for every table, its dtypes and a digest of its values.
"""

import json
import random
import shutil
import sys
from pathlib import Path

import pandas as pd

from helpers.core.errors import InputError
from helpers.data.intake import format_problems, load_dataset

if sys.argv[1] == "make":
    src, out = Path(sys.argv[2]), Path(sys.argv[3])
    shutil.rmtree(out, ignore_errors=True)
    rnd = random.Random(3)

    def case(name, edits):
        d = out / name
        shutil.copytree(src, d)
        for fname, fn in edits:
            p = d / fname
            text = p.read_text()
            p.write_text(fn(text))

    def lines_edit(fn):
        def f(text):
            ls = text.split("\n")
            fn(ls)
            return "\n".join(ls)

        return f

    def setcell(row, col, val):
        def fn(ls):
            cells = ls[row].split(",")
            cells[col] = val
            ls[row] = ",".join(cells)

        return fn

    # disbursements columns: report_date,plan_year,unit_code,project_code,subproject_code,capital_type,source,disbursed_cum_mvnd,note
    case("dup", [("disbursements.csv", lines_edit(lambda ls: ls.insert(50, ls[40])))])
    case(
        "decrease",
        [("disbursements.csv", lines_edit(setcell(30, 7, "1")))]
        + [("disbursements.csv", lines_edit(setcell(300, 7, "2")))],
    )
    case(
        "badnum",
        [
            ("disbursements.csv", lines_edit(setcell(10, 7, "12 tỷ"))),
            ("disbursements.csv", lines_edit(setcell(11, 7, "-5"))),
            ("allocations.csv", lines_edit(setcell(5, 6, "abc"))),
        ],
    )
    case(
        "unit",
        [
            ("disbursements.csv", lines_edit(setcell(12, 2, "Bao Lak"))),
            ("allocations.csv", lines_edit(setcell(7, 1, "Bảo Lạc"))),
            ("allocations.csv", lines_edit(setcell(8, 1, "Bao Lac"))),
        ],
    )
    case(
        "dates",
        [
            ("disbursements.csv", lines_edit(setcell(14, 0, "2031-01-31"))),
            ("disbursements.csv", lines_edit(setcell(15, 0, "31/12/2020"))),
            ("disbursements.csv", lines_edit(setcell(16, 0, "2023-02-30"))),
            ("allocations.csv", lines_edit(setcell(9, 7, "2015-01-01"))),
        ],
    )
    case(
        "noline",
        [
            ("disbursements.csv", lines_edit(setcell(20, 3, "DA9"))),
            ("disbursements.csv", lines_edit(setcell(21, 5, "recurrent"))),
        ],
    )
    case("over", [("allocations.csv", lines_edit(setcell(1, 6, "10")))])
    case(
        "blank",
        [
            ("disbursements.csv", lines_edit(lambda ls: ls.insert(5, ""))),
            ("disbursements.csv", lines_edit(lambda ls: ls.insert(9, ",,,,,,,,"))),
        ],
    )
    case("quoted", [("disbursements.csv", lines_edit(setcell(25, 8, '"a\nb"')))])
    case("ambig", [("disbursements.csv", lines_edit(setcell(33, 7, "1,234")))])
    case(
        "ragged", [("disbursements.csv", lines_edit(lambda ls: ls.__setitem__(40, ls[40] + ",x")))]
    )
    case(
        "proj",
        [
            ("allocations.csv", lines_edit(setcell(3, 2, "DA99"))),
            ("allocations.csv", lines_edit(setcell(4, 3, "TDA9"))),
        ],
    )
    case("scale", [("allocations.csv", lines_edit(setcell(6, 6, "20142000000")))])
    case("semicolon", [("disbursements.csv", lambda t: t.replace(",", ";"))])
    case("crlf", [("disbursements.csv", lambda t: t.replace("\n", "\r\n"))])
    case("ok", [])

    def many_decreases(ls):
        for r in (30, 200, 500, 900, 1200, 3000, 7000, 12000):
            cells = ls[r].split(",")
            cells[7] = "0.5"
            ls[r] = ",".join(cells)

    case("manydecr", [("disbursements.csv", lines_edit(many_decreases))])

    def many_over(ls):
        for r in (1, 5, 9, 40, 100, 300, 600):
            cells = ls[r].split(",")
            cells[6] = "1"
            ls[r] = ",".join(cells)

    case("manyover", [("allocations.csv", lines_edit(many_over))])
    case(
        "manydup",
        [
            (
                "disbursements.csv",
                lines_edit(lambda ls: [ls.insert(k, ls[k - 7]) for k in (100, 50, 20)]),
            ),
            ("allocations.csv", lines_edit(lambda ls: ls.insert(30, ls[12]))),
        ],
    )
    case(
        "empty_req",
        [
            ("disbursements.csv", lines_edit(setcell(44, 2, ""))),
            ("disbursements.csv", lines_edit(setcell(45, 7, ""))),
            ("allocations.csv", lines_edit(setcell(11, 0, ""))),
        ],
    )
    case("title", [("disbursements.csv", lambda t: "Bảng giải ngân\n" + t)])
    case("unknowncol", [("disbursements.csv", lambda t: t.replace("note", "notes", 1))])
    case(
        "mixedconv",
        [
            ("disbursements.csv", lines_edit(setcell(60, 7, "1.234,5"))),
            ("disbursements.csv", lines_edit(setcell(61, 7, "1,234.5"))),
            ("disbursements.csv", lines_edit(setcell(62, 7, "1.234"))),
        ],
    )
    case(
        "names",
        [
            ("disbursements.csv", lines_edit(setcell(70, 2, "Thành phố Cao Bằng"))),
            ("allocations.csv", lines_edit(setcell(20, 1, "Hòa An"))),
            ("disbursements.csv", lines_edit(setcell(90, 2, "Phuc Hoa"))),
        ],
    )
    case(
        "postreform",
        [
            ("allocations.csv", lines_edit(setcell(2, 7, "2025-09-01"))),
            ("allocations.csv", lines_edit(setcell(700, 7, "2024-01-15"))),
        ],
    )
else:
    out = Path(sys.argv[2])
    res = {}
    for d in sorted(out.iterdir()):
        try:
            ds = load_dataset(d)
            res[d.name] = (
                ["OK", ds.sha256]
                + [format_problems(ds.warnings)]
                + [
                    f"{name} { {c: repr(d) for c, d in frame.dtypes.items()} } "
                    + str(pd.util.hash_pandas_object(frame.astype(str)).sum())
                    for name, frame in ds.tables().items()
                ]
            )
        except InputError as e:
            res[d.name] = [format_problems(e.problems)]
    Path(sys.argv[3]).write_text(json.dumps(res, indent=1, ensure_ascii=False))
