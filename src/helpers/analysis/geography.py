"""Today's geography for one scope: what a unit was made of, the district context beside its
record, an optional apportioned estimate, and pooled execution rates.

* **Kind** of the scope: ``province``, ``district`` (a former district), ``former_commune``
  (valid until 30 June 2025) or ``new_unit`` (a commune-level unit created on 1 July 2025).
* **Record.** A scope's record is exactly its lines (:func:`helpers.analysis.scoping.filter_scope`):
  a new unit's own lines and its former communes' lines. Nothing here is added to it.
* **Formers** of a new unit: its former communes (code, name, former district, clause of the
  resolution) and its former districts, each with how many of the district's communes the
  unit took.
* **District context**: the lines booked to each former district itself (not to its
  communes), with their allocation, disbursement by the deadline and rate. Shown beside the
  record, never added to it: the district implemented them for all its communes.
* **Apportioning** (``apportion``): ``none`` (default); ``communes``, an ESTIMATE of the unit's
  share of each district's own lines as the communes it took over the district's communes; or
  a numeric column of the units table (a population a province supplies): that column summed
  over the communes taken over its sum over the district's communes. Always an estimate.
* **Pooled rates** (:func:`helpers.analysis.pooling.pool_rates`, execution rate at the
  deadline): districts shrunk toward the province; former communes toward their pooled
  district; new units toward the amount-weighted mix of the pooled rates of their lines'
  former districts. ``few``: fewer than :data:`helpers.core.thresholds.MIN_LINES` lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from helpers.analysis.frames import rate
from helpers.analysis.pooling import MODEL, PooledRates, mean_se, pool_rates
from helpers.core.errors import ParameterError
from helpers.core.thresholds import MIN_LINES
from helpers.data.hierarchy import former_units, home_districts

APPORTION_FIXED = ("none", "communes")
"""The apportioning keys that need no column of the units table."""
KINDS = ("province", "district", "former_commune", "new_unit")
POOLED_COLUMNS = (
    "n_lines", "allocated_mvnd", "disbursed_mvnd", "raw_rate", "prior_rate", "pooled_rate",
    "ci_low", "ci_high", "few",
)  # fmt: skip


# --------------------------------------------------------------------------- parameters
def numeric_columns(units: pd.DataFrame) -> list[str]:
    """Columns of the units table an apportioning can use: numeric, not boolean."""
    return [
        c
        for c in units.columns
        if pd.api.types.is_numeric_dtype(units[c]) and not pd.api.types.is_bool_dtype(units[c])
    ]


def check_apportion(units: pd.DataFrame, apportion: str | None) -> str:
    """``apportion`` checked: "none", "communes" or a numeric column of the units table.

    Raises:
        ParameterError: anything else (the message names the allowed values).
    """
    key = "none" if apportion is None else str(apportion).strip()
    if key in APPORTION_FIXED or key in numeric_columns(units):
        return key
    allowed = ", ".join([*APPORTION_FIXED, *numeric_columns(units)])
    why = "not a numeric column of the units table" if key in units.columns else "unknown"
    raise ParameterError(
        f"apportion: expected one of {allowed} (a numeric column of the units table); "
        f"got {key!r} ({why})"
    )


# --------------------------------------------------------------------------- units
def _str(v: Any) -> str | None:
    return None if v is None or pd.isna(v) else str(v)


def unit_kinds(units: pd.DataFrame) -> dict[str, str]:
    """Every unit's kind by code: ``province``, ``district``, ``former_commune`` or
    ``new_unit`` (see the module)."""
    level = units["level"].astype(str)
    new = (
        units["valid_from"].notna()
        if "valid_from" in units
        else pd.Series(False, index=units.index)
    )
    kind = level.where(level.isin(["province", "district"]))
    kind = kind.fillna(pd.Series("former_commune", index=units.index).where(~new, "new_unit"))
    return dict(zip(units["unit_code"].astype(str), kind, strict=True))


def unit_kind(units: pd.DataFrame, code: str) -> str:
    """The kind of one unit (see :func:`unit_kinds`)."""
    kinds = unit_kinds(units)
    if str(code) not in kinds:
        raise ValueError(f"unknown unit {code!r}")
    return kinds[str(code)]


def _names(units: pd.DataFrame) -> dict[str, dict[str, str]]:
    return {
        str(r["unit_code"]): {"vi": str(r["name_vi"]), "en": str(r["name_en"])}
        for r in units[["unit_code", "name_vi", "name_en"]].to_dict("records")
    }


def _district_communes(units: pd.DataFrame, district: str) -> pd.DataFrame:
    """The former communes of a district (its commune-level children)."""
    parent = units["parent_code"].astype("string")
    return units.loc[(units["level"] == "commune") & (parent == district)]


def formers(units: pd.DataFrame, successions: pd.DataFrame, code: str) -> list[dict[str, Any]]:
    """A new unit's former communes: code, names, former district, clause, legal basis."""
    names = _names(units)
    parent = dict(zip(units["unit_code"].astype(str), units["parent_code"], strict=True))
    succ = successions.assign(former_code=successions["former_code"].astype(str))
    rows = succ.set_index("former_code")
    out = []
    for f in former_units(successions, code):
        district = _str(parent.get(f))
        out.append(
            {
                "unit_code": f,
                "name_vi": names[f]["vi"],
                "name_en": names[f]["en"],
                "district_code": district,
                "district_name_vi": names.get(district or "", {}).get("vi"),
                "district_name_en": names.get(district or "", {}).get("en"),
                "clause": _str(rows.at[f, "clause"]) if "clause" in rows else None,
            }
        )
    return out


def _taken(units: pd.DataFrame, successions: pd.DataFrame | None, code: str, kind: str):
    """District code → the communes of it the scope took (ordered: home district first)."""
    parent = dict(zip(units["unit_code"].astype(str), units["parent_code"], strict=True))
    if kind == "new_unit" and successions is not None:
        taken: dict[str, list[str]] = {}
        for f in former_units(successions, code):
            taken.setdefault(str(parent[f]), []).append(f)
        home = home_districts(units, successions).get(code)
        return dict(sorted(taken.items(), key=lambda kv: (kv[0] != home, kv[0])))
    if kind == "former_commune":
        return {str(parent[code]): [code]}
    if kind == "district":
        return {code: list(_district_communes(units, code)["unit_code"].astype(str))}
    return {}


def district_shares(
    units: pd.DataFrame, taken: Mapping[str, list[str]], home: str | None
) -> list[dict[str, Any]]:
    """Each former district with the communes the scope took / the district's communes."""
    names = _names(units)
    out = []
    for d, communes in taken.items():
        out.append(
            {
                "unit_code": d,
                "name_vi": names[d]["vi"],
                "name_en": names[d]["en"],
                "communes_taken": len(communes),
                "communes_total": len(_district_communes(units, d)),
                "home": d == home,
            }
        )
    return out


# --------------------------------------------------------------------------- lines
def district_context(lines: pd.DataFrame, districts: list[str]) -> list[dict[str, Any]]:
    """The lines booked to each district itself: lines, allocated, disbursed by the deadline,
    rate (shown beside a unit's record, never added to it)."""
    out = []
    code = lines["unit_code"].astype(str)
    for d in districts:
        own = lines.loc[code == d]
        alloc = float(own["amount_mvnd"].sum())
        disb = float(own["disbursed_deadline_mvnd"].sum())
        out.append(
            {
                "unit_code": d,
                "n_lines": len(own),
                "allocated_mvnd": _num(alloc),
                "disbursed_deadline_mvnd": _num(disb),
                "execution_rate_deadline": _num(rate(disb, alloc), 4),
            }
        )
    return out


def apportion_shares(
    units: pd.DataFrame, taken: Mapping[str, list[str]], key: str
) -> dict[str, tuple[float | None, float | None]]:
    """District → (the scope's part, the district's whole) under ``key`` ("communes" counts
    communes; a column sums it over the communes)."""
    out: dict[str, tuple[float | None, float | None]] = {}
    for d, communes in taken.items():
        all_communes = _district_communes(units, d)
        if key == "communes":
            out[d] = (float(len(communes)), float(len(all_communes)))
            continue
        values = pd.to_numeric(all_communes.set_index("unit_code")[key], errors="coerce")
        values.index = values.index.astype(str)
        part, whole = values.reindex(communes), values
        missing = part.isna().any() or whole.isna().any()
        out[d] = (None, None) if missing else (float(part.sum()), float(whole.sum()))
    return out


def apportioned(
    units: pd.DataFrame,
    taken: Mapping[str, list[str]],
    context: list[dict[str, Any]],
    key: str,
) -> list[dict[str, Any]]:
    """An ESTIMATE of the scope's share of each district's own lines (see the module)."""
    shares = apportion_shares(units, taken, key)
    out = []
    for row in context:
        part, whole = shares.get(row["unit_code"], (None, None))
        share = part / whole if part is not None and whole else None
        alloc, disb = row["allocated_mvnd"], row["disbursed_deadline_mvnd"]
        out.append(
            {
                "unit_code": row["unit_code"],
                "key": key,
                "part": _num(part),
                "whole": _num(whole),
                "share": _num(share, 6),
                "allocated_mvnd": _num(share * alloc) if share is not None else None,
                "disbursed_deadline_mvnd": _num(share * disb) if share is not None else None,
                "execution_rate_deadline": row["execution_rate_deadline"],
                "estimate": True,
            }
        )
    return out


# --------------------------------------------------------------------------- pooling
def pooled_levels(
    units: pd.DataFrame,
    successions: pd.DataFrame | None,
    lines: pd.DataFrame,
    min_lines: int = MIN_LINES,
) -> dict[str, PooledRates]:
    """Pooled deadline rates of the province's ``district``, ``former_commune`` and
    ``new_unit`` units (``lines``: the province's line table)."""
    home = home_districts(units, successions)
    level = dict(zip(units["unit_code"].astype(str), units["level"], strict=True))
    frame = lines.assign(unit_code=lines["unit_code"].astype(str))
    frame = frame.loc[frame["amount_mvnd"].fillna(0) > 0]
    frame = frame.assign(district=frame["unit_code"].map(home))
    a, d = frame["amount_mvnd"].astype(float), frame["disbursed_deadline_mvnd"].astype(float)
    capped = (d.clip(lower=0) / a).clip(upper=1) * a
    in_district = frame["district"].map(level) == "district"
    prov = rate(float(capped[in_district].sum()), float(a[in_district].sum()))
    districts = frame.loc[in_district, "district"]
    prov_se = mean_se(a[in_district], capped[in_district] / a[in_district])
    out = {
        "district": pool_rates(
            a[in_district], d[in_district], districts, dict.fromkeys(districts.unique(), prov),
            min_lines=min_lines, prior_se=dict.fromkeys(districts.unique(), prov_se),
        )
    }  # fmt: skip
    pooled_d = out["district"].table.set_index("group")["pooled_rate"]
    se_d = out["district"].table.set_index("group")["se"]
    communes = frame["unit_code"].map(unit_kinds(units)) == "former_commune"
    if communes.any():
        g = frame.loc[communes, "unit_code"]
        prior = {c: pooled_d.get(home[c]) for c in g.unique()}
        out["former_commune"] = pool_rates(
            a[communes], d[communes], g, prior, parent=frame.loc[communes, "district"],
            min_lines=min_lines, prior_se={c: se_d.get(home[c], 0.0) for c in g.unique()},
        )  # fmt: skip
    new = _new_unit_of(units, successions, frame["unit_code"])
    has_new = new.notna()
    if has_new.any():
        mix = (a * frame["district"].map(pooled_d))[has_new].groupby(new[has_new]).sum()
        weight = a[has_new].groupby(new[has_new]).sum()
        prior_n = mix / weight
        # the mix's standard error: the districts' weighted (a conservative bound)
        mix_se = (a * frame["district"].map(se_d))[has_new].groupby(new[has_new]).sum() / weight
        out["new_unit"] = pool_rates(
            a[has_new], d[has_new], new[has_new], prior_n,
            parent=new[has_new].map(home), min_lines=min_lines, prior_se=mix_se,
        )  # fmt: skip
    return out


def _new_unit_of(
    units: pd.DataFrame, successions: pd.DataFrame | None, codes: pd.Series
) -> pd.Series:
    """The new unit whose record a line belongs to (its own unit, or its commune's
    successor), else missing."""
    new_codes = {c for c, kind in unit_kinds(units).items() if kind == "new_unit"}
    succ: dict[str, str] = {}
    if successions is not None and len(successions):
        succ = dict(
            zip(
                successions["former_code"].astype(str),
                successions["new_code"].astype(str),
                strict=True,
            )
        )
    return codes.map(lambda c: c if c in new_codes else succ.get(c))


def _pooled_rows(
    levels: Mapping[str, PooledRates], wanted: list[tuple[str, str]], units: pd.DataFrame
) -> list[dict[str, Any]]:
    names = _names(units)
    out = []
    for lvl, code in wanted:
        if lvl not in levels:
            continue
        table = levels[lvl].table.set_index("group")
        if code not in table.index:
            continue
        r = table.loc[code]
        row: dict[str, Any] = {"level": lvl, "unit_code": code}
        row |= {"name_vi": names[code]["vi"], "name_en": names[code]["en"]}
        for c in POOLED_COLUMNS:
            v = r[c]
            row[c] = bool(v) if c == "few" else int(v) if c == "n_lines" else _num(v, 4)
        out.append(row)
    return out


# --------------------------------------------------------------------------- summary
def geography(
    units: pd.DataFrame,
    successions: pd.DataFrame | None,
    lines: pd.DataFrame,
    code: str,
    apportion: str = "none",
    min_lines: int = MIN_LINES,
    levels: Mapping[str, PooledRates] | None = None,
) -> dict[str, Any]:
    """The ``geography`` block of ``metrics.json`` for scope ``code``.

    Args:
        units, successions: the dataset's tables.
        lines: the province's line table (``unit_code``, ``amount_mvnd``,
            ``disbursed_deadline_mvnd``) over the assessment's years.
        code: the scope's unit code.
        apportion: see :func:`check_apportion`.
        levels: :func:`pooled_levels` of the same tables, when already computed (the same
            for every scope of a dataset).
    """
    key = check_apportion(units, apportion)
    code = str(code)
    kind = unit_kind(units, code)
    home = home_districts(units, successions).get(code) if kind != "province" else None
    taken = _taken(units, successions, code, kind)
    shares = district_shares(units, taken, home)
    context_codes = [] if kind in ("province", "district") else list(taken)
    context = district_context(lines, context_codes)
    former = (
        formers(units, successions, code) if kind == "new_unit" and successions is not None else []
    )
    if levels is None:
        levels = pooled_levels(units, successions, lines, min_lines)
    if kind == "province":
        wanted = [("district", c) for c in sorted(levels["district"].table["group"])]
    else:
        wanted = [(kind, code)] + [("district", d) for d in taken if d != code]
    succ_row = _succession_row(successions, former)
    return {
        "kind": kind,
        "home_district": home,
        "legal_basis": succ_row.get("legal_basis"),
        "effective_date": succ_row.get("effective_date"),
        "formers": former,
        "districts": shares,
        "district_context": context,
        "apportion": key,
        "apportioned": apportioned(units, taken, context, key) if key != "none" else None,
        "pooled": _pooled_rows(levels, wanted, units),
        "pooled_model": MODEL,
        "min_lines": min_lines,
    }


def _succession_row(successions: pd.DataFrame | None, former: list[dict[str, Any]]) -> dict:
    if successions is None or not former:
        return {}
    hit = successions.loc[successions["former_code"].astype(str) == former[0]["unit_code"]]
    if not len(hit):
        return {}
    r = hit.iloc[0]
    return {
        "legal_basis": _str(r.get("legal_basis")),
        "effective_date": pd.Timestamp(r["effective_date"]).date().isoformat()
        if not pd.isna(r.get("effective_date"))
        else None,
    }


def _num(v: Any, digits: int = 3) -> float | None:
    if v is None or pd.isna(v):
        return None
    return round(float(v), digits)
