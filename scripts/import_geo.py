"""Build the shipped geography reference tables from the project's geo research folder.

Run: ``.venv/bin/python scripts/import_geo.py ../shared/reference/geo``.
Reads the crosswalk of the 161 former commune-level units to the 56 units after the 1 July 2025
reform (Resolution 1657/NQ-UBTVQH15) and the former districts' polygons, and writes into
``src/helpers/data/reference/``:

* ``units.csv``: the province, its 10 former districts (valid until 30 Jun 2025, GSO codes
  confirmed), the 161 former commune-level units (valid until 30 Jun 2025, parent the district)
  and the 56 new units (valid from 1 Jul 2025, parent the province). A new unit keeps the GSO
  code of one of the communes it absorbed, so codes alone collide across the reform: a new
  unit's ``unit_code`` is ``N`` + its GSO code (``gso_code`` holds the official code);
* ``successions.csv``: one row per former commune-level unit: its successor, the effective date,
  the resolution and its clause;
* ``district_polygons.geojson``: the districts' simplified polygons (WGS84);
* ``sources.csv``: the rows this data rests on (replaced on every run; others kept).
Re-running gives the same files.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import unicodedata
from pathlib import Path

REFERENCE = Path(__file__).resolve().parents[1] / "src" / "helpers" / "data" / "reference"
NEW_PREFIX = "N"
REFORM_LAST_DAY = "2025-06-30"
REFORM_FIRST_DAY = "2025-07-01"
TYPE_EN = {"Xã": "commune", "Phường": "ward", "Thị trấn": "township"}
GEO_SOURCES = [
    {
        "source_id": "gso_dvhc_2025",
        "title": "Danh mục đơn vị hành chính Việt Nam, tỉnh Cao Bằng (as of 1 March 2025), "
        "via the open dvhcvn dataset",
        "publisher": "General Statistics Office of Vietnam (GSO)",
        "date": "2025-03-01",
        "url": "https://danhmuchanhchinh.gso.gov.vn",
        "quote": "",
        "confidence": "confirmed",
    },
    {
        "source_id": "nq_1657_2025",
        "title": "Nghị quyết số 1657/NQ-UBTVQH15 về việc sắp xếp các đơn vị hành chính cấp xã "
        "của tỉnh Cao Bằng năm 2025",
        "publisher": "Ủy ban Thường vụ Quốc hội",
        "date": "2025-06-16",
        "url": "https://github.com/dvhcvn/20250701",
        "quote": "Sau khi sắp xếp, tỉnh Cao Bằng có 56 đơn vị hành chính cấp xã, gồm 53 xã và "
        "03 phường.",
        "confidence": "confirmed",
    },
    {
        "source_id": "gis_chinhphu_districts",
        "title": "Ranh giới đơn vị hành chính cấp huyện tỉnh Cao Bằng (before 1 July 2025), "
        "simplified to about 300 m, via the open dvhcvn dataset",
        "publisher": "Hệ thống thông tin bản đồ hành chính (gis.chinhphu.vn)",
        "date": "",
        "url": "https://gis.chinhphu.vn",
        "quote": "",
        "confidence": "confirmed",
    },
]


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text.strip())


def ascii_name(text: str) -> str:
    """ASCII of a Vietnamese name (đ → d), as the ``name_en`` column holds."""
    text = nfc(text).replace("Đ", "D").replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def bare(name: str, kind: str) -> str:
    """The name without its type word: "Xã Bảo Lâm" -> "Bảo Lâm"."""
    name = nfc(name)
    return name[len(kind) :].strip() if name.startswith(kind + " ") else name


def _csv(rows: list[dict[str, str]], fields: list[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="the geo folder (crosswalk, polygons)")
    args = parser.parse_args(argv)
    with (args.folder / "cao_bang_commune_crosswalk_2025.csv").open(encoding="utf-8") as fh:
        walk = list(csv.DictReader(fh))

    with (REFERENCE / "units.csv").open(encoding="utf-8") as fh:
        old_units = list(csv.DictReader(fh))
    fields = [
        "unit_code", "gso_code", "name_vi", "name_en", "level", "unit_type", "parent_code",
        "valid_from", "valid_to", "extremely_difficult", "source_id",
    ]  # fmt: skip
    units: list[dict[str, str]] = []
    for u in old_units:  # the province and its districts, confirmed by the GSO list
        if u["level"] not in ("province", "district"):
            continue
        row = {f: u.get(f, "") for f in fields}
        row["gso_code"] = u["unit_code"]
        row["unit_type"] = "Tỉnh" if u["level"] == "province" else ""
        row["source_id"] = "gso_dvhc_2025"
        units.append(row)
    district_type = {}
    for r in walk:
        kind = nfc(r["old_district_name"]).split(" ")[0]
        district_type[r["old_district_code"]] = (
            "Thành phố" if nfc(r["old_district_name"]).startswith("Thành phố") else kind
        )
    for row in units:
        if row["level"] == "district":
            row["unit_type"] = district_type[row["unit_code"]]

    for r in walk:
        kind = nfc(r["old_commune_type"])
        units.append({
            "unit_code": r["old_commune_code"],
            "gso_code": r["old_commune_code"],
            "name_vi": nfc(r["old_commune_name"]),
            "name_en": f"{ascii_name(bare(r['old_commune_name'], kind))} {TYPE_EN[kind]}",
            "level": "commune",
            "unit_type": kind,
            "parent_code": r["old_district_code"],
            "valid_from": "",
            "valid_to": REFORM_LAST_DAY,
            "extremely_difficult": "",
            "source_id": "gso_dvhc_2025",
        })  # fmt: skip
    province = next(u["unit_code"] for u in units if u["level"] == "province")
    new_units: dict[str, dict[str, str]] = {}
    for r in walk:
        code = NEW_PREFIX + r["new_unit_code"]
        name = nfc(r["new_unit_name"])
        kind = name.split(" ")[0]
        new_units.setdefault(code, {
            "unit_code": code,
            "gso_code": r["new_unit_code"],
            "name_vi": name,
            "name_en": f"{ascii_name(bare(name, kind))} {TYPE_EN[kind]}",
            "level": "commune",
            "unit_type": kind,
            "parent_code": province,
            "valid_from": REFORM_FIRST_DAY,
            "valid_to": "",
            "extremely_difficult": "",
            "source_id": "nq_1657_2025",
        })  # fmt: skip
    units.extend(sorted(new_units.values(), key=lambda u: u["unit_code"]))
    (REFERENCE / "units.csv").write_text(_csv(units, fields), encoding="utf-8")

    succ = [
        {
            "former_code": r["old_commune_code"],
            "new_code": NEW_PREFIX + r["new_unit_code"],
            "effective_date": REFORM_FIRST_DAY,
            "legal_basis": nfc(r["resolution"]),
            "clause": r["clause"].strip(),
            "source_id": "nq_1657_2025",
        }
        for r in walk
    ]
    (REFERENCE / "successions.csv").write_text(
        _csv(
            succ,
            ["former_code", "new_code", "effective_date", "legal_basis", "clause", "source_id"],
        ),  # fmt: skip
        encoding="utf-8",
    )

    geo = json.loads((args.folder / "cao_bang_districts_2024.geojson").read_text(encoding="utf-8"))
    for feature in geo["features"]:
        feature["properties"]["source_id"] = "gis_chinhphu_districts"
    (REFERENCE / "district_polygons.geojson").write_text(
        json.dumps(geo, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
    )

    with (REFERENCE / "sources.csv").open(encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        sfields = list(reader.fieldnames or [])
        ours = {s["source_id"] for s in GEO_SOURCES}
        kept = [s for s in reader if s["source_id"] not in ours]
    (REFERENCE / "sources.csv").write_text(_csv(kept + GEO_SOURCES, sfields), encoding="utf-8")
    print(f"units: {len(units)}; successions: {len(succ)}; polygons: {len(geo['features'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
