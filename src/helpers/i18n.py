"""Labels in Vietnamese and English.

Modules keep their own label dictionaries (``{key: {"vi": …, "en": …}}``) next to the code that
uses them and look them up with :func:`label`; the labels shared by several modules (capital
types, sources, cut-offs) live here.
"""

from __future__ import annotations

from collections.abc import Mapping

from helpers.formatting import check_lang

COMMON: dict[str, dict[str, str]] = {
    "investment": {"vi": "Vốn đầu tư phát triển", "en": "Investment capital"},
    "recurrent": {"vi": "Vốn sự nghiệp", "en": "Recurrent capital"},
    "central": {"vi": "Ngân sách trung ương", "en": "Central budget"},
    "local": {"vi": "Ngân sách địa phương (đối ứng)", "en": "Local counterpart"},
    "credit": {"vi": "Tín dụng chính sách", "en": "Policy credit"},
    "other": {"vi": "Huy động khác", "en": "Other mobilised"},
    "allocated": {"vi": "Kế hoạch vốn giao", "en": "Allocated"},
    "disbursed": {"vi": "Giải ngân", "en": "Disbursed"},
    "dec31": {"vi": "Đến 31/12 năm kế hoạch", "en": "By 31 Dec of the plan year"},
    "deadline": {"vi": "Đến 31/01 năm sau (hạn thường)", "en": "By 31 Jan next year (deadline)"},
    "last": {"vi": "Đến kỳ báo cáo cuối", "en": "By the last report"},
    "carried_over": {"vi": "Chuyển nguồn (kéo dài)", "en": "Carried over (extended)"},
    "lapsed": {"vi": "Hủy bỏ / không giải ngân hết", "en": "Lapsed"},
    "plan_year": {"vi": "Năm kế hoạch", "en": "Plan year"},
    "execution_rate": {"vi": "Tỷ lệ giải ngân", "en": "Execution rate"},
    "province": {"vi": "Toàn tỉnh", "en": "Province"},
    "district": {"vi": "Huyện", "en": "District"},
    "mvnd": {"vi": "triệu đồng", "en": "million VND"},
    "bvnd": {"vi": "tỷ đồng", "en": "billion VND"},
}


def label(key: str, lang: str = "vi", table: Mapping[str, Mapping[str, str]] | None = None,
          **fmt: object) -> str:
    """The label ``key`` in ``lang``, from ``table`` or the common labels.

    Raises ``KeyError`` for an unknown key (a missing translation is a bug, not a fallback).
    """
    check_lang(lang)
    entry = (table or {}).get(key) or COMMON.get(key)
    if entry is None:
        raise KeyError(f"no label {key!r}")
    text = entry[lang]
    return text.format(**fmt) if fmt else text
