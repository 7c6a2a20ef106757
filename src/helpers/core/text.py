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

Outputs (briefs, figures, notebooks) are written in the language they are asked for; the
command line's own messages in the user's language, which :func:`message_lang` decides
(``mtqg --lang``, else the locale variables, else English).
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from helpers.core.parameters import ParameterError

LOCALE_DIR: Path = Path(__file__).resolve().parent.parent / "locale"
"""Catalog sources: ``<lang>/LC_MESSAGES/<domain>.po`` (``helpers.core.paths.PACKAGE_DIR /
"locale"``, found from this file: :mod:`helpers.core.errors` words its messages with this
module and :mod:`helpers.core.paths` raises those errors, so this module imports neither)."""

LANGS: tuple[str, ...] = ("vi", "en")
"""Languages of every output; Vietnamese first."""

LANG_NAMES: dict[str, str] = {"vi": "Tiếng Việt", "en": "English"}


LOCALE_VARIABLES: tuple[str, ...] = ("LC_ALL", "LC_MESSAGES", "LANG")
"""Environment variables that name the user's language, in the order POSIX consults them."""


class MissingText(KeyError):
    """A message id that a catalog does not define."""


def check_lang(lang: object) -> str:
    """``lang`` when it is one of :data:`LANGS`, else a :class:`ParameterError` naming them.

    The one language check of the workbench (notebook parameters, briefs, figures, CLI).
    """
    if lang not in LANGS:
        raise ParameterError(f"lang: expected one of {', '.join(LANGS)}; got {lang!r}")
    return str(lang)


def message_lang(explicit: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The language of command-line messages: ``explicit`` when given (``mtqg --lang``), else
    the user's locale, else English.

    The locale is the first non-empty of ``LC_ALL``, ``LC_MESSAGES`` and ``LANG`` in
    ``environ`` (default: the process environment), as POSIX consults them; a value starting
    with ``vi`` (``vi_VN.UTF-8``, ``vi``) means Vietnamese, any other value English.

    >>> message_lang(None, {"LANG": "vi_VN.UTF-8"}), message_lang(None, {"LC_ALL": "C"})
    ('vi', 'en')
    """
    if explicit:
        return check_lang(explicit)
    env = os.environ if environ is None else environ
    for name in LOCALE_VARIABLES:
        value = env.get(name, "").strip()
        if value:
            return "vi" if value.casefold().startswith("vi") else "en"
    return "en"


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
