"""The validated dataset every analysis step receives.

A :class:`Dataset` holds one validated DataFrame per table of :mod:`helpers.data.schema`, where it
came from (``origin``), a SHA-256 of its inputs, the warnings the loader raised, and whether
it is synthetic (``demo``). The DEMO flag is also copied into ``DataFrame.attrs["demo"]`` of
every table, so a frame handed on alone still carries it; figures and briefs read
:func:`is_demo`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

from helpers.core.errors import InputProblem
from helpers.core.text import tr
from helpers.data import contract

DEMO_LABEL = "DEMO"
DEMO_NOTE_EN = tr("common.demo_note", "en")
DEMO_NOTE_VI = tr("common.demo_note", "vi")


@dataclass
class Dataset:
    """Validated tables plus provenance."""

    units: pd.DataFrame
    program_components: pd.DataFrame
    allocations: pd.DataFrame
    disbursements: pd.DataFrame
    targets: pd.DataFrame
    sources: pd.DataFrame
    metadata: pd.DataFrame
    origin: str
    sha256: str
    demo: bool = False
    warnings: list[InputProblem] = field(default_factory=list)
    blanket_extensions: pd.DataFrame = field(
        default_factory=lambda: contract.empty_frame("blanket_extensions")
    )
    """Extensions the National Assembly decided for whole vintages (optional input table)."""
    successions: pd.DataFrame = field(default_factory=lambda: contract.empty_frame("successions"))
    """Which unit took over each unit that ceased (the 1 July 2025 reform): shipped with the
    shipped units, else the input's own table (empty when it has none)."""
    plan_2026_2030: pd.DataFrame = field(
        default_factory=lambda: contract.empty_frame("plan_2026_2030")
    )
    """The capital planned for 2026–2030 (optional input table; empty: the outlook assumes)."""

    def __post_init__(self) -> None:
        for name in self.table_names():
            getattr(self, name).attrs["demo"] = self.demo

    def without_lines(self) -> Dataset:
        """The same dataset without its plan lines and snapshots (empty ``allocations`` and
        ``disbursements``, same columns): what the batch runner keeps once it has planned
        the run (the units and successions), while each worker holds the whole dataset. At
        national size the lines are gigabytes."""
        return replace(
            self, allocations=self.allocations.iloc[:0], disbursements=self.disbursements.iloc[:0]
        )

    @staticmethod
    def table_names() -> tuple[str, ...]:
        return (
            "units",
            "program_components",
            "allocations",
            "disbursements",
            "targets",
            "sources",
            "metadata",
            "blanket_extensions",
            "successions",
            "plan_2026_2030",
        )

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by name (same objects, not copies)."""
        return {n: getattr(self, n) for n in self.table_names()}

    def meta(self, key: str, default: str | None = None) -> str | None:
        """A value of the ``metadata`` table."""
        hit = self.metadata.loc[self.metadata["key"] == key, "value"]
        return default if hit.empty or pd.isna(hit.iloc[0]) else str(hit.iloc[0])

    @property
    def province_code(self) -> str:
        """Code of the (single) province unit; the scope "province" means this unit."""
        prov = self.units.loc[self.units["level"] == "province", "unit_code"]
        if len(prov) != 1:
            raise ValueError(f"expected exactly one province in units, found {len(prov)}")
        return str(prov.iloc[0])

    @property
    def districts(self) -> pd.DataFrame:
        """District-level units, in code order."""
        d = self.units[self.units["level"] == "district"]
        return d.sort_values("unit_code").reset_index(drop=True)


def is_demo(obj: object) -> bool:
    """True when ``obj`` (a Dataset, a DataFrame, or a dict with a ``demo`` key) is synthetic."""
    if isinstance(obj, Dataset):
        return obj.demo
    if isinstance(obj, pd.DataFrame | pd.Series):
        return bool(obj.attrs.get("demo", False))
    if isinstance(obj, dict):
        return bool(obj.get("demo", False))
    return bool(getattr(obj, "demo", False))
