"""The error of a parameter outside its allowed values.

It lives apart from :mod:`helpers.core.errors` because the language check of
:mod:`helpers.core.text` raises it while :mod:`helpers.core.errors` words its messages through
those catalogs; :mod:`helpers.core.errors` re-exports it, the name everyone imports.
"""

from __future__ import annotations

from typing import Protocol


class Worded(Protocol):
    """A message that can be written in a language (:class:`helpers.core.errors.Message`)."""

    def text(self, lang: str) -> str: ...


class ParameterError(ValueError):
    """A notebook or command parameter has a value outside the allowed ones.

    Raised with plain English words, or, through :func:`helpers.core.errors.parameter_error`,
    with a catalog message (``worded``) that :meth:`text` writes in either language.
    """

    def __init__(self, message: str, worded: Worded | None = None) -> None:
        super().__init__(message)
        self.worded = worded

    def text(self, lang: str) -> str:
        """The message in ``lang`` when it comes from the catalogs, else as raised."""
        return self.worded.text(lang) if self.worded is not None else str(self)
