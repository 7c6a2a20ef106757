"""Match what people type to the codes of the schema: unit names and enum aliases.

Two kinds of matching live here:

* :func:`match_key` and :class:`UnitResolver` turn a unit code, a Vietnamese or English unit
  name, or an Excel drop-down value (``"CODE - Name"``) into a ``unit_code`` of whatever units
  table they are given. Keys are insensitive to Unicode normalisation (NFC/NFD), case, the
  administrative prefix ("huyện", "TP.", …) and old- vs new-style tone placement ("Hoà" /
  "Hòa"), but never to the tone itself: "Bảo Lạc" and "Bao Lac" (the ASCII English name) are
  different keys, and both are indexed.
* :class:`EnumResolver` turns Vietnamese and English aliases ("vốn sự nghiệp", "NSTW", …) into
  the canonical values declared in :mod:`helpers.data.schema`. The alias tables are module-level
  data (:data:`ENUM_ALIASES`); :func:`enum_resolver` gives the resolver of an enum column.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

import pandas as pd

from helpers.data import schema

# --------------------------------------------------------------------------- keys
TONE_MARKS: frozenset[str] = frozenset("\u0300\u0301\u0303\u0309\u0323")
"""Combining grave, acute, tilde, hook above and dot below: the five Vietnamese tone marks.

Vowel-shape marks (circumflex U+0302, breve U+0306, horn U+031B) and the letter đ are kept
where they are: they distinguish letters, not tones.
"""

UNIT_PREFIXES: Mapping[str, tuple[str, str | None]] = {
    # typed prefix: (canonical prefix, level it implies or None when it does not say)
    "thành phố": ("thành phố", None),  # a city is a province (Hà Nội) or a district
    "tp.": ("thành phố", None),
    "tp": ("thành phố", None),
    "thị xã": ("thị xã", "district"),
    "tx.": ("thị xã", "district"),
    "tx": ("thị xã", "district"),
    "thị trấn": ("thị trấn", "commune"),
    "huyện": ("huyện", "district"),
    "tỉnh": ("tỉnh", "province"),
    "phường": ("phường", "commune"),
    "xã": ("xã", "commune"),
}
"""Vietnamese administrative prefixes :func:`match_key` strips (any case, with or without dot)."""

UNIT_SUFFIXES: Mapping[str, tuple[str, str | None]] = {
    " city": ("thành phố", None),
    " district": ("huyện", "district"),
    " province": ("tỉnh", "province"),
}
"""English suffixes :func:`match_key` strips, with the Vietnamese prefix each stands for."""


def _relocate_tones(text: str) -> str:
    """Move the tone marks of each syllable of an NFD string to the syllable's end."""
    if not any(mark in text for mark in TONE_MARKS):
        return text  # nothing moves
    out: list[str] = []
    syllable: list[str] = []
    tones: list[str] = []
    for ch in text + " ":
        if ch in TONE_MARKS:
            tones.append(ch)
        elif ch.isalpha() or unicodedata.combining(ch):
            syllable.append(ch)
        else:
            out.extend(syllable)
            out.extend(tones)
            out.append(ch)
            syllable.clear()
            tones.clear()
    return "".join(out[:-1])


def text_key(text: str) -> str:
    """A key of ``text`` insensitive to normalisation, case, spacing and tone placement.

    Unlike :func:`match_key` no administrative prefix is stripped. Used for enum aliases and as
    the "full name" key of units.

    >>> text_key("  Quảng  HOÀ ") == text_key("quảng hòa")
    True
    """
    return _text_key(str(text))


@lru_cache(maxsize=1 << 16)
def _text_key(text: str) -> str:
    """:func:`text_key` of a ``str``, remembered (unit names and values recur)."""
    nfd = unicodedata.normalize("NFD", unicodedata.normalize("NFD", text).casefold())
    collapsed = " ".join(nfd.split())
    return unicodedata.normalize("NFC", _relocate_tones(collapsed))


_PREFIX_KEYS: tuple[tuple[str, str, str | None], ...] = tuple(
    sorted(
        ((text_key(p), canon, level) for p, (canon, level) in UNIT_PREFIXES.items()),
        key=lambda t: -len(t[0]),
    )
)
_SUFFIX_KEYS: tuple[tuple[str, str, str | None], ...] = tuple(
    (" " + text_key(s), canon, level) for s, (canon, level) in UNIT_SUFFIXES.items()
)


@lru_cache(maxsize=1 << 16)
def split_unit_name(name: str) -> tuple[str | None, str | None, str]:
    """Split a unit name into (canonical prefix, implied level, match key).

    The prefix is "thành phố" for "TP.", "tp", "Thành phố" and the English suffix " city", and
    so on (:data:`UNIT_PREFIXES`, :data:`UNIT_SUFFIXES`); ``None`` when the name has none. A
    prefix is only stripped when something remains after it.
    """
    key = text_key(name)
    prefix: str | None = None
    level: str | None = None
    for pk, canon, lvl in _PREFIX_KEYS:
        if not key.startswith(pk):
            continue
        rest = key[len(pk) :]
        if (pk.endswith(".") or rest.startswith(" ")) and rest.strip():
            key, prefix, level = rest.strip(), canon, lvl
            break
    for sk, canon, lvl in _SUFFIX_KEYS:
        if key.endswith(sk) and key[: -len(sk)].strip():
            key = key[: -len(sk)].strip()
            prefix, level = prefix or canon, level or lvl
            break
    return prefix, level, key


def match_key(name: str) -> str:
    """The canonical key under which a typed unit name is matched.

    Insensitive to NFC/NFD, case, surrounding and repeated spaces, the Vietnamese
    administrative prefixes of :data:`UNIT_PREFIXES` ("huyện", "TP.", "thị xã", …), the English
    suffixes " city", " district", " province", and to the vowel that carries the tone mark
    (old style "Hoà", "Thuỵ" vs new style "Hòa", "Thụy"): the string is decomposed to NFD, the
    five tone marks are pulled out of each syllable and re-appended at the syllable's end.
    Tones themselves, vowel shapes (â, ă, ơ, ư, …) and đ are kept, so distinct names stay
    distinct.

    >>> match_key("Huyện Quảng Hoà") == match_key("quảng hòa")
    True
    >>> match_key("Bảo Lạc") == match_key("Bảo Lâm")
    False
    """
    return split_unit_name(name)[2]


# --------------------------------------------------------------------------- units
_DROPDOWN = re.compile(r"^\s*(\S+)\s+[-–—]\s+(.+?)\s*$")

_QUALIFIED: tuple[re.Pattern[str], ...] = (
    re.compile(r"^\s*(?P<name>[^()]+?)\s*\(\s*(?P<district>[^()]+?)\s*\)\s*$"),
    re.compile(r"^\s*(?P<name>[^,]+?)\s*,\s*(?P<district>[^,]+?)\s*$"),
    re.compile(r"^\s*(?P<name>.+?)\s+[-–—]\s+(?P<district>.+?)\s*$"),
)
"""A unit name followed by its district: "Bế Văn Đàn, Quảng Hòa", "Bế Văn Đàn - Quảng Hòa",
"Bế Văn Đàn (Quảng Hòa)"."""


def split_dropdown(value: str) -> tuple[str, str] | None:
    """Split an Excel drop-down value ``"CODE - Name"`` (hyphen, en or em dash) into its parts."""
    m = _DROPDOWN.match(str(value))
    return (m.group(1), m.group(2)) if m else None


def split_qualified(value: str) -> tuple[str, str] | None:
    """Split ``"Name, District"``, ``"Name - District"`` or ``"Name (District)"`` into its parts."""
    for pattern in _QUALIFIED:
        m = pattern.match(str(value))
        if m and m.group("name").strip() and m.group("district").strip():
            return m.group("name"), m.group("district")
    return None


def _digits_key(code: str) -> str | None:
    return (code.lstrip("0") or "0") if code.isdigit() else None


@lru_cache(maxsize=1 << 16)
def bare_key(key: str) -> str:
    """A match key without any diacritic (tone or vowel shape) and with đ written d: the key
    under which "Phong Nặm" and "Phong Nậm" meet."""
    bare = "".join(ch for ch in unicodedata.normalize("NFD", key) if not unicodedata.combining(ch))
    return bare.replace("đ", "d")


def _day(value: object) -> pd.Timestamp | None:
    if value is None or value is pd.NaT:
        return None
    try:
        if pd.isna(value):  # type: ignore[arg-type]
            return None
    except (TypeError, ValueError):
        return None
    return pd.Timestamp(value)  # type: ignore[arg-type]


@dataclass(frozen=True)
class UnitMatch:
    """What :meth:`UnitResolver.lookup` found for a typed unit.

    Attributes:
        codes: the matching unit codes, sorted: one when resolved, several when ambiguous,
            none when unknown.
        variant: the match needed the diacritics removed ("Phong Nặm" for "Phong Nậm"): the
            caller says so in a warning.
    """

    codes: tuple[str, ...] = ()
    variant: bool = False

    @property
    def code(self) -> str | None:
        """The one matching code, or None."""
        return self.codes[0] if len(self.codes) == 1 else None


class UnitResolver:
    """Resolve what a user typed for a unit to a ``unit_code`` of a units table.

    Accepted, in this order: the exact code (surrounding spaces stripped); the code in another
    case; a numeric code that lost its leading zeros ("40" for "040") when only one code
    matches; the official GSO code (``gso_code``, with or without its leading zeros); the
    Vietnamese or English name (see :func:`match_key`); an Excel drop-down value
    ``"CODE - Name"``; a name with its district ("Bế Văn Đàn, Quảng Hòa", "… - Quảng Hòa",
    "… (Quảng Hòa)"). A name shared by several units (a district and the commune of the same
    name) is narrowed by the prefix typed ("huyện X" vs "xã X") or the level it implies;
    if it stays ambiguous :meth:`resolve` returns ``None`` and :meth:`candidates` lists them.

    :meth:`lookup` also takes the date of the row (a decision or report date): among the
    units a value could mean, those that exist on that date win, so "01273" is Phường Hợp
    Giang on a line decided in 2024 and Phường Thục Phán (``N01273``, which carries the same GSO
    code since 1 July 2025) on a line decided in September 2025. When no exact spelling
    matches, it accepts a unique match once diacritics are removed ("Phong Nặm" for "Phong
    Nậm"), flagged so the caller can warn.

    Args:
        units: a frame with at least ``unit_code``, ``name_vi`` and ``name_en``; ``level``,
            ``parent_code``, ``gso_code``, ``valid_from`` and ``valid_to`` are used when
            present. Rows with an empty code are ignored.
        successions: ``former_code`` -> ``new_code`` rows: a unit created by a merger counts
            as "in" the districts of the communes it took over (for "Name, District").
    """

    def __init__(self, units: pd.DataFrame, successions: pd.DataFrame | None = None) -> None:
        self._codes: dict[str, str] = {}
        self._codes_ci: dict[str, set[str]] = {}
        self._codes_digits: dict[str, set[str]] = {}
        self._gso: dict[str, set[str]] = {}
        self._gso_digits: dict[str, set[str]] = {}
        self._full: dict[str, set[str]] = {}
        self._names: dict[str, set[str]] = {}
        self._bare: dict[str, set[str]] = {}
        self._prefixes: dict[str, set[str]] = {}
        self._level: dict[str, str | None] = {}
        self._display: dict[str, str] = {}
        self._parent: dict[str, str | None] = {}
        self._valid: dict[str, tuple[pd.Timestamp | None, pd.Timestamp | None]] = {}
        self._groups_cache: dict[str, tuple[list[set[str]], list[set[str]]]] = {}
        for row in units.to_dict("records"):
            self._add(row)
        self._taken_over: dict[str, set[str]] = {}
        if successions is not None and len(successions):
            for former, new in zip(
                successions["former_code"], successions["new_code"], strict=True
            ):
                if not (pd.isna(former) or pd.isna(new)):
                    self._taken_over.setdefault(str(new), set()).add(str(former))

    def _add(self, row: Mapping[str, object]) -> None:
        code = row.get("unit_code")
        if code is None or pd.isna(code) or not str(code).strip():
            return
        code = str(code).strip()
        self._codes[code] = code
        self._codes_ci.setdefault(code.casefold(), set()).add(code)
        digits = _digits_key(code)
        if digits is not None:
            self._codes_digits.setdefault(digits, set()).add(code)
        gso = row.get("gso_code")
        if gso is not None and not pd.isna(gso) and str(gso).strip():
            gso = str(gso).strip()
            self._gso.setdefault(gso.casefold(), set()).add(code)
            if (g_digits := _digits_key(gso)) is not None:
                self._gso_digits.setdefault(g_digits, set()).add(code)
        level = row.get("level")
        self._level[code] = None if level is None or pd.isna(level) else str(level)
        parent = row.get("parent_code")
        self._parent[code] = None if parent is None or pd.isna(parent) else str(parent)
        self._valid[code] = (_day(row.get("valid_from")), _day(row.get("valid_to")))
        names = [
            str(row[c])
            for c in ("name_vi", "name_en")
            if row.get(c) is not None and not pd.isna(row[c]) and str(row[c]).strip()
        ]
        self._display[code] = names[0] if names else code
        for name in names:
            prefix, _, key = split_unit_name(name)
            self._full.setdefault(text_key(name), set()).add(code)
            self._names.setdefault(key, set()).add(code)
            self._bare.setdefault(bare_key(key), set()).add(code)
            if prefix:
                self._prefixes.setdefault(code, set()).add(prefix)

    @property
    def codes(self) -> list[str]:
        """Every known unit code, sorted."""
        return sorted(self._codes)

    def display(self, code: str) -> str:
        """``"Name (code)"`` of a known code."""
        return f"{self._display.get(code, code)} ({code})"

    def name(self, code: str) -> str:
        """The display name of a known code (the code itself when unknown)."""
        return self._display.get(code, code)

    def parent(self, code: str) -> str | None:
        """The parent code of a known code."""
        return self._parent.get(code)

    def level(self, code: str) -> str | None:
        """The level of a known code (None when the table has no level)."""
        return self._level.get(code)

    def validity(self, code: str) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
        """``(valid_from, valid_to)`` of a known code (None: open)."""
        return self._valid.get(code, (None, None))

    def valid_on(self, code: str, day: pd.Timestamp) -> bool:
        """The unit exists on ``day`` (its validity, when given, contains it)."""
        start, end = self.validity(code)
        return (start is None or start <= day) and (end is None or day <= end)

    def _by_code(self, value: str) -> list[str]:
        if value in self._codes:
            return [value]
        hit = self._codes_ci.get(value.casefold(), set())
        if not hit and (digits := _digits_key(value)) is not None:
            hit = self._codes_digits.get(digits, set())
        return sorted(hit)

    def _by_gso(self, value: str) -> set[str]:
        hit = self._gso.get(value.casefold(), set())
        if not hit and (digits := _digits_key(value)) is not None:
            hit = self._gso_digits.get(digits, set())
        return set(hit)

    def _narrow(self, hit: set[str], prefix: str | None, level: str | None) -> set[str]:
        """Narrow units sharing a key by the typed prefix, then by the level it implies."""
        if len(hit) > 1 and prefix:
            same = {c for c in hit if prefix in self._prefixes.get(c, set())}
            hit = same if len(same) == 1 else hit
        if len(hit) > 1 and level:
            same = {c for c in hit if self._level.get(c) == level}
            hit = same if len(same) == 1 else hit
        return hit

    def _name_groups(self, value: str) -> tuple[set[str], set[str]]:
        """Units whose full name is ``value``, and units whose name key is its key (narrowed)."""
        full = set(self._full.get(text_key(value), set()))
        prefix, level, key = split_unit_name(value)
        return full, self._narrow(set(self._names.get(key, set())), prefix, level)

    def _by_name(self, value: str) -> list[str]:
        full, narrowed = self._name_groups(value)
        return sorted(full if len(full) == 1 else narrowed)

    def _bare_group(self, value: str) -> set[str]:
        prefix, level, key = split_unit_name(value)
        return self._narrow(set(self._bare.get(bare_key(key), set())), prefix, level)

    def candidates(self, value: object) -> list[str]:
        """Every unit code ``value`` could mean: one when it resolves, several when ambiguous.

        Args:
            value: what the user typed (a code, a name or a ``"CODE - Name"`` value).

        Returns:
            The matching codes, sorted; empty when nothing matches.
        """
        text = str(value).strip() if value is not None else ""
        if not text:
            return []
        hit = self._by_code(text) or self._by_name(text)
        if hit:
            return hit
        parts = split_dropdown(text)
        if parts is None:
            return []
        by_code, by_name = self._by_code(parts[0]), self._by_name(parts[1])
        if len(by_code) == 1 and (not by_name or by_code[0] in by_name):
            return by_code
        return by_name if not by_code else []

    def resolve(self, value: object) -> str | None:
        """The unit code ``value`` stands for, or ``None`` when unknown or ambiguous."""
        hit = self.candidates(value)
        return hit[0] if len(hit) == 1 else None

    def resolve_on(self, value: object, on: object) -> list[str]:
        """The units ``value`` may mean on the day ``on``: a unit code names its unit whatever
        its dates; a name means the units of that name existing then (:meth:`lookup`), else
        those that match at all. Exact spellings only (no match once diacritics are removed).
        """
        text = str(value).strip() if value is not None else ""
        if not text:
            return []
        by_code = self._by_code(text)
        if by_code:
            return by_code
        match = self.lookup(text, on)
        return [] if match.variant else list(match.codes)

    # ---------------------------------------------------------------- by date and district
    def district_of(self, value: str) -> str | None:
        """The district-level unit ``value`` names (a code or a name), or None."""
        hit = set(self._by_code(value.strip())) | set(self._by_name(value.strip()))
        hit = {c for c in hit if self._level.get(c) in ("district", None)}
        return next(iter(hit)) if len(hit) == 1 else None

    def in_district(self, code: str, district: str) -> bool:
        """``code`` lies in ``district``: its parent, or it took over a unit whose parent it is."""
        if self._parent.get(code) == district:
            return True
        return any(self._parent.get(f) == district for f in self._taken_over.get(code, ()))

    def _groups(self, text: str) -> tuple[list[set[str]], list[set[str]]]:
        """The candidate sets ``text`` may mean, best first, and the same once diacritics are
        removed (memoised per text)."""
        if text in self._groups_cache:
            return self._groups_cache[text]
        full, narrowed = self._name_groups(text)
        groups = [set(self._by_code(text)), self._by_gso(text), full, narrowed]
        bare = [self._bare_group(text)]
        if split_dropdown(text) is not None:
            groups.append(set(self.candidates(text)))
        if (qualified := split_qualified(text)) is not None:
            district = self.district_of(qualified[1])
            if district is not None:
                name_full, name_narrowed = self._name_groups(qualified[0])
                groups += [
                    {c for c in g if self.in_district(c, district)}
                    for g in (name_full, name_narrowed)
                ]
                bare.append(
                    {c for c in self._bare_group(qualified[0]) if self.in_district(c, district)}
                )
        self._groups_cache[text] = (groups, bare)
        return groups, bare

    def _pick(self, groups: Sequence[set[str]], on: pd.Timestamp | None) -> set[str]:
        nonempty = [g for g in groups if g]
        if on is not None:
            for g in nonempty:
                valid = {c for c in g if self.valid_on(c, on)}
                if valid:
                    return valid
        return nonempty[0] if nonempty else set()

    def lookup(self, value: object, on: object = None) -> UnitMatch:
        """The units ``value`` may mean on the day ``on`` (a decision or report date).

        Without a date the answer is :meth:`candidates`. With one, the first kind of match
        that names a unit existing on that day wins (a unit code, a GSO code, the full name,
        the name without its prefix, a drop-down value, a name with its district); when none
        exists then, the first kind that matches at all (the caller reports the unit's
        validity). When nothing matches exactly, a match once diacritics are removed is
        returned with ``variant`` set.
        """
        text = str(value).strip() if value is not None else ""
        if not text:
            return UnitMatch()
        day = _day(on)
        if day is None and (plain := self.candidates(text)):
            return UnitMatch(tuple(plain))
        groups, bare = self._groups(text)
        hit = self._pick(groups, day)
        if hit:
            return UnitMatch(tuple(sorted(hit)))
        hit = self._pick(bare, day)
        return UnitMatch(tuple(sorted(hit)), variant=bool(hit))

    def every_candidate(self, value: object) -> set[str]:
        """Every unit ``value`` could mean by any kind of match (for choosing among them by
        another rule, such as the plan lines that exist)."""
        text = str(value).strip() if value is not None else ""
        if not text:
            return set()
        groups, _ = self._groups(text)
        return set().union(*groups)

    def suggest(self, value: object, n: int = 3) -> list[str]:
        """The closest known units to ``value`` as ``"Name (code)"``, best first.

        Scores are difflib ratios on the match keys plus ratios on a "sound key" (no marks,
        đ→d, k/q→c, y→i), so that "Bao Lak" suggests Bảo Lạc before Bảo Lâm.
        """
        text = str(value).strip() if value is not None else ""
        parts = split_dropdown(text)
        key = match_key(parts[1] if parts else text)
        sound = _sound_key(key)
        scored: list[tuple[float, str]] = []
        for k in self._names:
            r_key = difflib.SequenceMatcher(None, key, k).ratio()
            r_sound = difflib.SequenceMatcher(None, sound, _sound_key(k)).ratio()
            if r_key >= 0.5 or r_sound >= 0.6:
                scored.append((-(r_key + r_sound), k))
        out: list[str] = []
        for _, k in sorted(scored):
            for code in sorted(self._names[k]):
                label = self.display(code)
                if label not in out:
                    out.append(label)
        return out[:n]


_SOUND = str.maketrans({"đ": "d", "k": "c", "q": "c", "y": "i"})


@lru_cache(maxsize=1 << 16)
def _sound_key(key: str) -> str:
    """A match key without any mark, with letters that sound alike merged (for suggestions)."""
    bare = "".join(ch for ch in unicodedata.normalize("NFD", key) if not unicodedata.combining(ch))
    return bare.translate(_SOUND)


# --------------------------------------------------------------------------- enums
CAPITAL_TYPE_ALIASES: Mapping[str, tuple[str, ...]] = {
    "investment": ("đầu tư", "đầu tư phát triển", "vốn đầu tư", "vốn đầu tư phát triển", "ĐTPT"),
    "recurrent": ("sự nghiệp", "vốn sự nghiệp", "kinh phí sự nghiệp", "SN"),
}
"""What people write for :data:`helpers.data.schema.CAPITAL_TYPES`."""

SOURCE_ALIASES: Mapping[str, tuple[str, ...]] = {
    "central": ("trung ương", "ngân sách trung ương", "NSTW"),
    "local": (
        "địa phương",
        "ngân sách địa phương",
        "đối ứng",
        "ngân sách địa phương đối ứng",
        "NSĐP",
    ),
    "credit": ("tín dụng", "tín dụng chính sách", "vốn tín dụng chính sách"),
    "other": ("khác", "huy động khác", "nguồn khác"),
}
"""What people write for :data:`helpers.data.schema.SOURCES`."""

LEVEL_ALIASES: Mapping[str, tuple[str, ...]] = {
    "province": ("tỉnh",),
    "district": ("huyện",),
    "commune": ("xã",),
}
"""What people write for :data:`helpers.data.schema.LEVELS`."""

ENUM_ALIASES: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "capital_type": CAPITAL_TYPE_ALIASES,
    "source": SOURCE_ALIASES,
    "level": LEVEL_ALIASES,
}
"""Alias tables by column name; an enum column not listed accepts its canonical values only
(in any case), e.g. ``direction``."""


class EnumResolver:
    """Resolve a typed value to one canonical value of an enum column.

    Matching uses :func:`text_key` (any case, NFC or NFD, any tone placement, repeated spaces).
    A drop-down value ``"value - label"`` or ``"value (label)"`` resolves by its first part.

    Args:
        allowed: the canonical values (from :mod:`helpers.data.schema`).
        aliases: canonical value -> other spellings; every key must be in ``allowed``.

    Raises:
        ValueError: an alias names a value not in ``allowed`` or two values share a spelling.
    """

    def __init__(
        self, allowed: Sequence[str], aliases: Mapping[str, Iterable[str]] | None = None
    ) -> None:
        self.allowed: tuple[str, ...] = tuple(allowed)
        self.aliases: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in (aliases or {}).items()}
        self._lookup: dict[str, str] = {}
        for value in self.allowed:
            self._add(value, value)
        for value, spellings in self.aliases.items():
            if value not in self.allowed:
                raise ValueError(f"alias for unknown value {value!r}; allowed: {self.allowed}")
            for spelling in spellings:
                self._add(spelling, value)

    def _add(self, spelling: str, value: str) -> None:
        key = text_key(spelling)
        if self._lookup.get(key, value) != value:
            raise ValueError(f"{spelling!r} would mean both {self._lookup[key]!r} and {value!r}")
        self._lookup[key] = value

    def resolve(self, value: object) -> str | None:
        """The canonical value ``value`` stands for, or ``None``."""
        if value is None:
            return None
        text = str(value).strip()
        hit = self._lookup.get(text_key(text))
        if hit is None and (parts := split_dropdown(text)) is not None:
            hit = self._lookup.get(text_key(parts[0]))
        if hit is None and "(" in text:
            hit = self._lookup.get(text_key(text.split("(", 1)[0]))
        return hit

    def describe(self) -> str:
        """The allowed values for an error message, with a few aliases."""
        text = "one of " + ", ".join(self.allowed)
        examples = [s for v in self.allowed for s in self.aliases.get(v, ())[:2]]
        return text + (f" (or Vietnamese: {', '.join(examples)})" if examples else "")


@cache
def _resolver(column_name: str, allowed: tuple[str, ...]) -> EnumResolver:
    return EnumResolver(allowed, ENUM_ALIASES.get(column_name))


def enum_resolver(column: schema.Column) -> EnumResolver:
    """The resolver of an enum column of :mod:`helpers.data.schema` (aliases by column name).

    Raises:
        ValueError: the column is not an enum column.
    """
    if column.allowed is None:
        raise ValueError(f"column {column.name} has no allowed values")
    return _resolver(column.name, tuple(column.allowed))


CAPITAL_TYPE: EnumResolver = EnumResolver(schema.CAPITAL_TYPES, CAPITAL_TYPE_ALIASES)
"""Resolver of ``capital_type``: "investment", "đầu tư", "vốn sự nghiệp", "SN", …"""
SOURCE: EnumResolver = EnumResolver(schema.SOURCES, SOURCE_ALIASES)
"""Resolver of ``source``: "central", "NSTW", "đối ứng", "tín dụng", "khác", …"""
DIRECTION: EnumResolver = EnumResolver(schema.DIRECTIONS)
"""Resolver of ``direction``: the canonical values only, any case."""
LEVEL: EnumResolver = EnumResolver(schema.LEVELS, LEVEL_ALIASES)
"""Resolver of ``level``: "province", "tỉnh", …"""
