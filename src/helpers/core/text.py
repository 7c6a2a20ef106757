"""User-facing text: gettext catalogs in Vietnamese and English, read with Babel.

Every sentence, label and caption the workbench shows lives in a ``.po`` catalog under
``helpers/locale/<lang>/LC_MESSAGES/<domain>.po`` (one domain per area: ``common``,
``figures``, ``brief``, …). Messages are keyed by ids (``brief.cap_totals``), not by English
source text, so code emits an id and its values and the catalogs hold the words. Placeholders
are ``str.format`` fields (``{rate}``); numbers are formatted by :mod:`helpers.core.formatting`
before they are filled in, so the templates themselves hold no digits (a test checks this,
except in the ``names`` domain, which holds proper names such as "PEFA 2016").

The catalogs are compiled at first use: each ``.po`` file is parsed by
:func:`babel.messages.pofile.read_po`, compiled by :func:`babel.messages.mofile.write_mo` and
loaded as :class:`babel.support.Translations` (gettext's machinery, plural forms included).
A missing id is an error (:class:`MissingText`), never a silent fallback to another language.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from helpers.core.errors import ParameterError
from helpers.core.paths import PACKAGE_DIR

LOCALE_DIR: Path = PACKAGE_DIR / "locale"
"""Catalog sources: ``<lang>/LC_MESSAGES/<domain>.po``."""

LANGS: tuple[str, ...] = ("vi", "en")
"""Languages of every output; Vietnamese first."""

LANG_NAMES: dict[str, str] = {"vi": "Tiếng Việt", "en": "English"}


class MissingText(KeyError):
    """A message id that a catalog does not define."""


def check_lang(lang: object) -> str:
    """``lang`` when it is one of :data:`LANGS`, else a :class:`ParameterError` naming them.

    The one language check of the workbench (notebook parameters, briefs, figures, CLI).
    """
    if lang not in LANGS:
        raise ParameterError(f"lang: expected one of {', '.join(LANGS)}; got {lang!r}")
    return str(lang)


def domains(lang: str) -> list[str]:
    """The catalog domains present for ``lang`` (file stems of its ``.po`` files)."""
    return sorted(p.stem for p in (LOCALE_DIR / lang / "LC_MESSAGES").glob("*.po"))


@cache
def _translations(lang: str, domain: str) -> Translations:
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang, domain=domain)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Translations(buf, domain=domain)


@cache
def messages(lang: str) -> dict[str, str]:
    """Every message id of ``lang`` (all domains) mapped to its text."""
    out: dict[str, str] = {}
    for domain in domains(check_lang(lang)):
        for key, value in _translations(lang, domain)._catalog.items():  # noqa: SLF001
            if isinstance(key, str) and key:
                out[key] = value
    return out


def tr(msgid: str, lang: str, /, **values: object) -> str:
    """The text of ``msgid`` in ``lang``, with ``values`` filled into its placeholders.

    Raises:
        MissingText: the id is in no catalog of ``lang``.
        ParameterError: ``lang`` is not a supported language.
    """
    table = messages(check_lang(lang))
    try:
        text = table[msgid]
    except KeyError:
        raise MissingText(f"no text {msgid!r} in the {lang} catalogs") from None
    return text.format(**values) if values else text


def has_text(msgid: str, lang: str) -> bool:
    """True when ``msgid`` exists in the catalogs of ``lang``."""
    return msgid in messages(check_lang(lang))


def both(msgid: str, /, **values: object) -> dict[str, str]:
    """``{"vi": …, "en": …}`` of one message (for results that carry both languages)."""
    return {lang: tr(msgid, lang, **values) for lang in LANGS}
