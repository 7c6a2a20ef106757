"""What every notebook step shares: checked parameters, the dataset, the scope, saved outputs.

A notebook is an OWID-style step: parameters → load → compute → save. Its first cell calls the
step module's ``check_parameters``, which uses :func:`open_step` to check the common parameters
(language, data, scope, output folder) and returns a :class:`Step` subclass; the next cells
call the analysis and show its tables and charts; the last cell writes the step's result file
(a contract of :mod:`helpers.core.contracts`) into ``out_dir``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from matplotlib.figure import Figure

from helpers.core.contracts import Contract
from helpers.core.files import atomic_write_bytes
from helpers.core.paths import resolve_out_dir, scope_slug
from helpers.core.scope import Scope
from helpers.core.text import check_lang
from helpers.data.dataset import Dataset
from helpers.data.datasets import open_dataset, resolve_scope
from helpers.report.figures.style import png_bytes, show_png


@dataclass(frozen=True)
class StepInputs:
    """The common parameters of a step, checked and resolved."""

    dataset: Dataset
    scope: Scope
    lang: str
    out_dir: Path


def open_step(
    data: str | Path, scope: str | int, lang: str, out_dir: str | Path, default_out_dir: str
) -> StepInputs:
    """Check ``lang``, open and validate ``data``, resolve ``scope`` and the output folder.

    Args:
        data: "demo", "demo:SEED", a folder of CSV files or an .xlsx workbook (relative paths
            from the repository root or the working directory).
        scope: "province", a unit code ("051") or a unit name.
        lang: "vi" or "en".
        out_dir: output folder; ``{scope}`` becomes "province" or the unit code.
        default_out_dir: the step's default, shown in the message when ``out_dir`` is empty.

    Raises:
        helpers.core.errors.ParameterError: a parameter is outside its allowed values.
        helpers.core.errors.InputError: the data files have problems.
    """
    lang = check_lang(lang)
    dataset = open_dataset(data)
    sc = resolve_scope(dataset, str(scope))
    folder = resolve_out_dir(out_dir, scope_slug(sc.code, dataset.province_code), default_out_dir)
    return StepInputs(dataset, sc, lang, folder)


@dataclass
class Step:
    """One run of a notebook step for one scope: its inputs and the files it saved."""

    dataset: Dataset
    scope: Scope
    lang: str
    out_dir: Path
    saved: list[Path] = field(default_factory=list, kw_only=True)

    @property
    def demo(self) -> bool:
        return bool(self.dataset.demo)

    def save(self, fig: Figure, name: str) -> Path:
        """Save ``fig`` as ``<out_dir>/<name>.png`` atomically and return the path. In a
        notebook the saved image is what the cell shows (the figure is drawn once, then
        closed); elsewhere the figure stays open."""
        png = png_bytes(fig)
        path = atomic_write_bytes(self.out_dir / f"{name}.png", png)
        show_png(fig, png)
        self.saved.append(path)
        return path

    @property
    def figure_names(self) -> list[str]:
        """File names of the figures saved so far, sorted (listed in the result file)."""
        return sorted(p.name for p in self.saved)

    def write(self, result: Contract, file_name: str) -> Contract:
        """Write ``result`` as ``<out_dir>/<file_name>`` atomically and return it."""
        result.write(self.out_dir / file_name)
        return result
