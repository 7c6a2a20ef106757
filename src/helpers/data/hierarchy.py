"""Where a unit sits: the units below it, the units it took over, its former district.

The units table links each unit to its parent (``parent_code``); the successions table links
each former commune to the unit that took it over on 1 July 2025. A scope covers its unit and
everything below or merged into it (:func:`scope_unit_codes`); district-level analysis books
every line to its former district (:func:`home_districts`).
"""

from __future__ import annotations

import pandas as pd


def scope_unit_codes(
    units: pd.DataFrame, unit_code: str, successions: pd.DataFrame | None = None
) -> set[str]:
    """``unit_code`` and every unit below it (districts, communes), following ``parent_code``.

    With ``successions``, a unit also covers the units it took over (a commune-level unit
    created on 1 July 2025 covers the former communes merged into it) and what is below them.
    """
    parent = dict(zip(units["unit_code"].astype(str), units["parent_code"], strict=True))
    children: dict[str, list[str]] = {}
    for code, par in parent.items():
        if par is not None and not pd.isna(par):
            children.setdefault(str(par), []).append(code)
    if successions is not None and len(successions):
        for former, new in zip(
            successions["former_code"].astype(str), successions["new_code"].astype(str), strict=True
        ):
            children.setdefault(new, []).append(former)
    found, todo = {str(unit_code)}, [str(unit_code)]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def former_units(successions: pd.DataFrame, unit_code: str) -> list[str]:
    """The units ``unit_code`` took over (``successions``), in code order."""
    hit = successions.loc[successions["new_code"].astype(str) == str(unit_code), "former_code"]
    return sorted(hit.astype(str))


def successor(successions: pd.DataFrame, unit_code: str) -> str | None:
    """The unit that took ``unit_code`` over, or None."""
    hit = successions.loc[successions["former_code"].astype(str) == str(unit_code), "new_code"]
    return str(hit.iloc[0]) if len(hit) else None


def home_districts(units: pd.DataFrame, successions: pd.DataFrame | None = None) -> dict[str, str]:
    """The district-level unit each unit's lines belong to, for district-level analysis.

    A district belongs to itself; a former commune to its parent district; a commune-level
    unit created by a merger (``successions``) to the district of the former commune whose
    GSO code it carries (every new Cao Bằng unit carries the code of one commune it absorbed;
    when it carries none of theirs, the district of its first former commune in code order);
    the province, and any unit without a district above it, to the province (or to itself
    when there is no province).
    """
    code = units["unit_code"].astype(str)
    parent = dict(zip(code, units["parent_code"], strict=True))
    level = dict(zip(code, units["level"], strict=True)) if "level" in units else {}
    gso = dict(zip(code, units["gso_code"], strict=True)) if "gso_code" in units else {}
    province = next((c for c, lv in level.items() if lv == "province"), None)

    def up(c: str) -> str | None:
        seen: set[str] = set()
        while c not in seen:
            seen.add(c)
            if level.get(c) == "district":
                return c
            p = parent.get(c)
            if p is None or pd.isna(p) or str(p) not in parent:
                return None
            c = str(p)
        return None

    formers: dict[str, list[str]] = {}
    if successions is not None and len(successions):
        for f, n in zip(
            successions["former_code"].astype(str), successions["new_code"].astype(str), strict=True
        ):
            formers.setdefault(n, []).append(f)
    out: dict[str, str] = {}
    for c in parent:
        home = up(c)
        if home is None and c in formers:
            carried = str(gso.get(c)) if not pd.isna(gso.get(c)) else None
            pick = carried if carried in formers[c] else sorted(formers[c])[0]
            home = up(pick)
        out[c] = home or province or c
    return out
