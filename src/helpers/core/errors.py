"""Errors a user can act on (OWID style: the message is a sentence naming the place).

An :class:`InputProblem` names the file, sheet, row (as the user sees it: the Excel row
number or the CSV line number, header = 1), column, the offending value and what was
expected. Loaders collect every problem of a file before raising one :class:`InputError`, so
a user fixes a file in one pass. The CLI prints ``InputError`` without a traceback and exits
with code 2.

The words of a problem come from the catalogs (domain ``intake``): a problem carries a
:class:`Message` (a message id and its values) for what is wrong and another for what was
expected, and writes them in a language when it is printed (:meth:`InputProblem.text`,
:meth:`InputError.summary`). ``str()`` of a problem or an error is English. Values are filled
in as given (cell values, file names, codes), except :class:`Number` and :class:`Day`, which
are written in the language's format, and nested :class:`Message` values, written in the same
language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from babel.numbers import format_decimal

from helpers.core.formatting import LOCALES
from helpers.core.parameters import ParameterError
from helpers.core.text import tr

__all__ = [
    "Day",
    "InputError",
    "InputProblem",
    "Message",
    "Number",
    "ParameterError",
    "message",
    "parameter_error",
]


@dataclass(frozen=True)
class Number:
    """A number in a message, written with the language's grouping and decimal marks.

    Attributes:
        value: the number.
        digits: decimals shown (all of them, or at most that many with ``trim``).
        trim: drop trailing zeros of the decimals (1,526,790.5 rather than 1,526,790.500000).
        grouped: group thousands (False for numbers read as codes, such as a year).
    """

    value: float
    digits: int = 0
    trim: bool = False
    grouped: bool = True

    def text(self, lang: str) -> str:
        pattern = "#,##0" if self.grouped else "0"
        if self.digits > 0:
            pattern += "." + ("#" if self.trim else "0") * self.digits
        return format_decimal(self.value, format=pattern, locale=LOCALES[lang])


@dataclass(frozen=True)
class Day:
    """A date in a message: ``yyyy-mm-dd`` in English, ``dd/mm/yyyy`` in Vietnamese."""

    value: object

    def text(self, lang: str) -> str:
        ts = pd.Timestamp(self.value)  # type: ignore[arg-type]
        return ts.strftime("%d/%m/%Y" if lang == "vi" else "%Y-%m-%d")


@dataclass(frozen=True)
class Message:
    """A catalog message: its id and the values of its placeholders.

    A value is filled in as given, except a :class:`Number`, :class:`Day` or nested
    :class:`Message`, which is written in the message's language. A sequence value is written
    as its items joined by ", " (each item written the same way).
    """

    id: str
    values: Mapping[str, object] = field(default_factory=dict, hash=False)

    def text(self, lang: str) -> str:
        """The message in ``lang``."""
        return tr(self.id, lang, **{k: _fill(v, lang) for k, v in self.values.items()})

    def __str__(self) -> str:
        return self.text("en")


def message(msgid: str, /, **values: object) -> Message:
    """A :class:`Message` of ``msgid`` with ``values``."""
    return Message(msgid, values)


def _fill(value: object, lang: str) -> object:
    if isinstance(value, Number | Day | Message):
        return value.text(lang)
    if isinstance(value, list | tuple):
        return ", ".join(str(_fill(v, lang)) for v in value)
    return value


def parameter_error(msgid: str, /, **values: object) -> ParameterError:
    """A :class:`ParameterError` worded by the catalogs (English as its ``str``)."""
    worded = Message(msgid, values)
    return ParameterError(worded.text("en"), worded)


@dataclass(frozen=True)
class InputProblem:
    """One problem in an input file, located as precisely as the file allows.

    ``message`` and ``expected`` are the English texts; a problem made by :meth:`of` also
    carries the catalog messages they come from (``what``, ``wanted``), so that
    :meth:`text` writes it in Vietnamese too. A problem made with plain texts shows them as
    given in every language.
    """

    message: str
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: object | None = None
    expected: str | None = None
    severity: str = "error"  # "error" or "warning"
    what: Message | None = field(default=None, repr=False)
    wanted: Message | None = field(default=None, repr=False)

    @classmethod
    def of(
        cls,
        what: Message,
        *,
        expected: Message | None = None,
        file: str | None = None,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
        value: object | None = None,
        severity: str = "error",
    ) -> InputProblem:
        """A problem worded by catalog messages: what is wrong and what was expected."""
        return cls(
            what.text("en"),
            file=file,
            sheet=sheet,
            row=row,
            column=column,
            value=value,
            expected=expected.text("en") if expected is not None else None,
            severity=severity,
            what=what,
            wanted=expected,
        )

    def location(self, lang: str = "en") -> str:
        """File (and sheet), row and column, as the user sees them, in ``lang``."""
        parts: list[str] = []
        if self.file:
            parts.append(Path(self.file).name if self.sheet else str(self.file))
        if self.sheet:
            parts.append(tr("intake.where.sheet", lang, sheet=self.sheet))
        if self.row is not None:
            parts.append(tr("intake.where.row", lang, row=self.row))
        if self.column:
            parts.append(tr("intake.where.column", lang, column=self.column))
        return ", ".join(parts)

    def text(self, lang: str) -> str:
        """The whole problem in ``lang``: location, what is wrong, the value, what was expected."""
        what = self.what.text(lang) if self.what is not None else self.message
        loc = self.location(lang)
        text = tr("intake.where.at", lang, location=loc, message=what) if loc else what
        if self.value is not None and self.value != "":
            text += tr("intake.where.value", lang, value=repr(self.value))
        wanted = self.wanted.text(lang) if self.wanted is not None else self.expected
        if wanted:
            text += tr("intake.where.expected", lang, expected=wanted)
        return text

    def __str__(self) -> str:
        return self.text("en")


@dataclass
class InputError(Exception):
    """Raised when input files cannot be accepted; carries every problem found."""

    problems: list[InputProblem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.summary())

    def summary(self, lang: str = "en") -> str:
        """A heading with the count, then one line per problem, in ``lang``."""
        n = len(self.problems)
        head = tr("intake.summary.one" if n == 1 else "intake.summary.many", lang, n=n)
        return head + ":\n" + "\n".join(f"  - {p.text(lang)}" for p in self.problems)

    def __str__(self) -> str:  # dataclass would otherwise replace Exception.__str__
        return self.summary()
