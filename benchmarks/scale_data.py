"""Larger DEMO datasets for the scale benchmark, built from the demo generator (seeded).

Two ways to grow the demo (both kept consistent, so the grown data validate without errors):

* **more lines within the same units** (``lines=L``): every plan line is copied ``L`` times;
  copy ``r >= 1`` gets its own sub-project code ``<sub or project>.R<r>`` (added to
  ``program_components`` under the same project), so every line key is new; the copy keeps the
  unit, year, capital type, source, amount, decision date and every monthly snapshot of the
  original line;
* **more units** (``units=U``): each former district (with its lines and targets) is copied
  ``U - 1`` times as a new district-level unit ``<code>U<u>`` with the same parent, validity
  and names suffixed ``U<u>``; the communes, new units and successions are not copied. ``U``
  copies of 10 districts make ``10 U + 1`` district-level units (the province keeps its own
  lines).

The ``national`` preset has about 3,300 units (330 copies of each district) with the demo's
lines per district: about 200,000 plan lines and 3.7 million monthly snapshots.

Everything stays DEMO (``metadata.demo = true``, decision references ``DEMO-…``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from helpers.data import demo, schema

PRESETS: dict[str, tuple[int, int]] = {
    "demo": (1, 1),
    "10x": (10, 1),
    "100x": (100, 1),
    "300x": (300, 1),
    "units40": (1, 40),
    "units100": (1, 100),
    "national": (1, 330),
}
"""Preset name -> (line copies, unit copies)."""


def _read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)


def _grow_units(t: dict[str, pd.DataFrame], copies: int) -> None:
    """Copy every district (its unit row, lines, snapshots and targets) ``copies - 1`` times."""
    if copies <= 1:
        return
    units = t["units"]
    districts = units[units["level"] == "district"]
    codes = set(districts["unit_code"])
    new_units, by_table = [], {n: [] for n in ("allocations", "disbursements", "targets")}
    for u in range(1, copies):
        tag = f"U{u:03d}"
        d = districts.copy()
        d["unit_code"] = d["unit_code"] + tag
        d["gso_code"] = d["gso_code"].where(d["gso_code"] == "", d["gso_code"] + tag)
        d["name_vi"] = d["name_vi"] + f" {tag}"
        d["name_en"] = d["name_en"] + f" {tag}"
        new_units.append(d)
        for name, rows in by_table.items():
            frame = t[name]
            part = frame[frame["unit_code"].isin(codes)].copy()
            part["unit_code"] = part["unit_code"] + tag
            rows.append(part)
    t["units"] = pd.concat([units, *new_units], ignore_index=True)
    for name, rows in by_table.items():
        t[name] = pd.concat([t[name], *rows], ignore_index=True)


def _grow_lines(t: dict[str, pd.DataFrame], copies: int) -> None:
    """Copy every plan line ``copies - 1`` times under new sub-project codes."""
    if copies <= 1:
        return
    alloc, disb, comps = t["allocations"], t["disbursements"], t["program_components"]
    base_sub = alloc["subproject_code"].where(alloc["subproject_code"] != "", alloc["project_code"])
    d_sub = disb["subproject_code"].where(disb["subproject_code"] != "", disb["project_code"])
    pairs = (
        pd.DataFrame({"project_code": alloc["project_code"], "base": base_sub})
        .drop_duplicates()
        .reset_index(drop=True)
    )
    new_comps, allocs, disbs = [], [alloc], [disb]
    for r in range(1, copies):
        tag = f".R{r:03d}"
        c = pairs.assign(subproject_code=pairs["base"] + tag)
        c["name_vi"] = "DEMO " + c["subproject_code"]
        c["name_en"] = "DEMO " + c["subproject_code"]
        new_comps.append(c.drop(columns="base"))
        allocs.append(alloc.assign(subproject_code=base_sub + tag))
        disbs.append(disb.assign(subproject_code=d_sub + tag))
    extra = pd.concat(new_comps, ignore_index=True).reindex(columns=comps.columns, fill_value="")
    t["program_components"] = pd.concat([comps, extra], ignore_index=True)
    t["allocations"] = pd.concat(allocs, ignore_index=True)
    t["disbursements"] = pd.concat(disbs, ignore_index=True)


def build(out: Path, lines: int = 1, units: int = 1, seed: int = demo.DEFAULT_SEED) -> Path:
    """Write the grown dataset as a folder of CSV files under ``out`` (reused when present).

    Returns:
        The folder (``out / f"demo-s{seed}-l{lines}-u{units}"``).
    """
    folder = out / f"demo-s{seed}-l{lines}-u{units}"
    stamp = folder / "built.json"
    recipe = {"seed": seed, "lines": lines, "units": units, "version": 1}
    if stamp.is_file() and json.loads(stamp.read_text()) == recipe:
        return folder
    base = out / f"demo-s{seed}"
    if not (base / "allocations.csv").is_file():
        demo.write_demo(base, seed)
    t = {n: _read(base, n) for n in schema.INPUT_TABLES if (base / f"{n}.csv").is_file()}
    _grow_units(t, units)
    _grow_lines(t, lines)
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in t.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    stamp.write_text(json.dumps(recipe))
    return folder


def file_digest(folder: Path) -> str:
    """A short digest of the folder's CSV files (to tell the built datasets apart)."""
    h = hashlib.sha256()
    for f in sorted(folder.glob("*.csv")):
        h.update(f.name.encode() + f.read_bytes())
    return h.hexdigest()[:12]


def counts(folder: Path) -> dict[str, int]:
    """Rows of the plan-line and snapshot files and the number of units."""

    def rows(name: str) -> int:
        with open(folder / f"{name}.csv", "rb") as f:
            return sum(1 for _ in f) - 1

    return {
        "lines": rows("allocations"),
        "snapshots": rows("disbursements"),
        "units": rows("units"),
    }


if __name__ == "__main__":  # pragma: no cover - manual use
    import sys

    print(build(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])))
