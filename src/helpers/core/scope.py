"""What an analysis covers (pandas-free, so the batch runner imports it cheaply).

:func:`helpers.data.datasets.resolve_scope` turns what a user types into a :class:`Scope`.
"""

from __future__ import annotations

from dataclasses import dataclass

from helpers.core.text import check_lang


@dataclass(frozen=True)
class Scope:
    """What an analysis covers: the whole province or one of its units."""

    code: str
    name_vi: str
    name_en: str
    level: str

    @property
    def is_province(self) -> bool:
        return self.level == "province"

    def name(self, lang: str = "vi") -> str:
        return str(getattr(self, f"name_{check_lang(lang)}"))
