"""How a published figure is worded: its qualifier, read from the page's own phrase.

Pages say "more than 4,222 billion", "nearly 67 %", "khoảng 19.726,569 tỷ". The qualifier of a
figure is the word just before the number in the quote that states it (at most three words
before it, and after any other number, so "more than 4,222 billion, reaching 77.2 %" makes
4,222 ``at_least`` and 77.2 ``exact``):

* ``at_least``: "more than", "over", "above", "mer enn" (Norwegian), "über" (German), "hơn",
  "trên";
* ``at_most``: "nearly", "almost", "fast" (German), "gần";
* ``about``: "approximately", "approx.", "about", "khoảng";
* ``exact`` otherwise.

The number is looked for as pages write it (4222, 4,222, 4.222, 4 222; 77.2 or 77,2; a billion
figure also in trillions: 137.6 for 137,600). When the quote does not hold it, the scope note
is read the same way, then a qualifier the note quotes on its own ("('more than')").
:func:`qualifier` is used by ``scripts/import_published_figures.py`` to fill the ``qualifier``
column of the shipped ``published_figures`` table.
"""

from __future__ import annotations

import re
import unicodedata

KEYWORDS: dict[str, tuple[str, ...]] = {
    "at_least": ("more than", "over", "above", "mer enn", "über", "hơn", "trên"),
    "at_most": ("nearly", "almost", "fast", "gần"),
    "about": ("approximately", "approx", "about", "khoảng"),
}
"""The words of each qualifier (matched as whole words, any case)."""

WORDS_BEFORE = 3
"""A qualifier counts when it stands within this many words before the number."""

_WORD = {
    q: re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in words) + r")(?!\w)", re.I)
    for q, words in KEYWORDS.items()
}
_ANY_NUMBER = re.compile(r"\d")


def _grouped(integer: str, sep: str) -> str:
    out = []
    while len(integer) > 3:
        out.append(integer[-3:])
        integer = integer[:-3]
    out.append(integer)
    return sep.join(reversed(out))


def number_forms(value: str, unit: str = "") -> list[str]:
    """The ways a page may write ``value`` (the research file's text, e.g. ``"6154.924"``).

    >>> number_forms("4222")[:4]
    ['4222', '4,222', '4.222', '4 222']
    """
    text = value.strip()
    integer, _, decimals = text.partition(".")
    forms: list[str] = []
    for sep in ("", ",", ".", " ", "\u00a0"):
        whole = _grouped(integer, sep) if sep else integer
        if not decimals:
            forms.append(whole)
            continue
        for mark in (".", ","):
            if mark != sep:
                forms.append(f"{whole}{mark}{decimals}")
    if unit == "billion_vnd" and not decimals and len(integer) > 3:
        trillions = f"{int(integer) / 1000:.3f}".rstrip("0").rstrip(".")
        forms += [trillions, trillions.replace(".", ",")]
    return list(dict.fromkeys(forms))


def _find(text: str, forms: list[str], decimals: bool) -> re.Match[str] | None:
    # trailing zeros a page adds ("445,060" for 445.06, "1.137.779,0") are the same number
    zeros = r"0*" if decimals else r"(?:[.,]0+)?"
    for form in forms:
        pattern = r"(?<!\d)(?<!\d[.,])" + re.escape(form) + zeros + r"(?!\d)(?![.,]\d)"
        hit = re.search(pattern, text)
        if hit:
            return hit
    return None


def _before(text: str, start: int) -> str:
    """The words before ``start``, after the last other number, at most :data:`WORDS_BEFORE`."""
    head = text[:start]
    digits = list(_ANY_NUMBER.finditer(head))
    if digits:
        head = head[digits[-1].end() :]
    return " ".join(head.split()[-WORDS_BEFORE:])


def _last_keyword(text: str) -> str | None:
    best: tuple[int, str] | None = None
    for q, pattern in _WORD.items():
        for hit in pattern.finditer(text):
            if best is None or hit.start() >= best[0]:
                best = (hit.start(), q)
    return best[1] if best else None


def qualifier(value: str, scope_note: str | None, quote: str | None, unit: str = "") -> str:
    """``exact``, ``at_least``, ``at_most`` or ``about`` for a published figure.

    Args:
        value: the figure as the research file writes it ("4222", "77.2").
        scope_note: what the page says the figure covers (may quote the qualifier).
        quote: the phrase of the page that states the figure.
        unit: ``billion_vnd``, ``million_vnd`` or ``percent`` (billions are also looked for
            as trillions).

    >>> qualifier("77.2", "cumulative", "disbursed more than VND 4,222 billion, reaching 77.2%")
    'exact'
    >>> qualifier("67", "'nearly 67%'", "career capital nearly 67%")
    'at_most'
    """
    forms = number_forms(value, unit)
    for text in (quote, scope_note):
        if not text:
            continue
        norm = unicodedata.normalize("NFC", text)
        hit = _find(norm, forms, "." in value)
        if hit:
            return _last_keyword(_before(norm, hit.start())) or "exact"
    note = unicodedata.normalize("NFC", scope_note or "")
    quoted = re.findall(r"'\s*([^'\d]+?)\s*'", note)
    for phrase in quoted:
        found = _last_keyword(phrase)
        if found and _WORD[found].fullmatch(phrase.strip()):
            return found
    return "exact"
