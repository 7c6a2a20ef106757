"""Errors a user can act on (OWID style: the message is a sentence naming the place).

An :class:`InputProblem` names the file, sheet, row (as the user sees it: the Excel row
number or the CSV line number, header = 1), column, the offending value and what was
expected. Loaders collect every problem of a file before raising one :class:`InputError`, so
a user fixes a file in one pass. The CLI prints ``InputError`` without a traceback and exits
with code 2.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class InputProblem:
    """One problem in an input file, located as precisely as the file allows."""

    message: str
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: object | None = None
    expected: str | None = None
    severity: str = "error"  # "error" or "warning"

    def location(self) -> str:
        parts: list[str] = []
        if self.file:
            parts.append(Path(self.file).name if self.sheet else str(self.file))
        if self.sheet:
            parts.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column '{self.column}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        loc = self.location()
        text = f"{loc}: {self.message}" if loc else self.message
        if self.value is not None and self.value != "":
            text += f" (value: {self.value!r})"
        if self.expected:
            text += f"; expected {self.expected}"
        return text


@dataclass
class InputError(Exception):
    """Raised when input files cannot be accepted; carries every problem found."""

    problems: list[InputProblem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.summary())

    def summary(self) -> str:
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the input"
        return head + ":\n" + "\n".join(f"  - {p}" for p in self.problems)

    def __str__(self) -> str:  # dataclass would otherwise replace Exception.__str__
        return self.summary()


class ParameterError(ValueError):
    """A notebook or command parameter has a value outside the allowed ones."""
