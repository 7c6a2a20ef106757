"""The workshop brief: sentences, proposals and a self-contained HTML page per scope and language.

A brief is what officials carry into the 2026–2030 proposal workshop. It is built from the
results the assessment and lag notebooks already wrote for the scope (``metrics.json`` and
``lag.json``); nothing is re-estimated here.

Export approach (b): the HTML is rendered by this module, not converted from the notebook
-----------------------------------------------------------------------------------------
``notebooks/03_brief.ipynb`` shows each section inline by calling a section function of this
module (:func:`title_section`, :func:`key_figures_section`, …), and its last cell calls
:func:`write_brief`, which renders the *same* section functions, in the order of issue 5, into
one page shell (``templates/page.html`` + ``templates/brief.css``) and writes
``brief.<lang>.html`` (plus ``brief.<lang>.json``, the index entry) into ``out_dir``. Why not
nbconvert on the executed notebook:

* the output is a briefing paper, not an exported notebook: no code, prompts, stderr, cell
  wrappers or the lab template's CDN require.js/MathJax to strip out afterwards; what is not
  generated cannot leak;
* the batch and a single user need nothing but papermill: the notebook writes its HTML itself
  (atomically, through :mod:`helpers.core.files`), so a killed worker never leaves half a brief and
  ``mtqg run`` adds no step a notebook needs in order to run;
* the unit tests render complete briefs from small JSON fixtures in milliseconds, so escaping,
  offline-ness and the DEMO marks are tested on the real page without a kernel;
* no second conversion pass (nbconvert costs about 0.9 s per brief).

Safety: every data string (unit names, decision references, captions from JSON) goes through
:func:`esc` when it is placed in the page; the page carries a Content-Security-Policy that
allows no script and no network load at all (images are ``data:`` URIs, CSS is inline). Output
file names are ``brief.<lang>.html`` in a folder named by :func:`helpers.core.paths.scope_slug`,
never by a unit name.

Text: every sentence is a template of :data:`TEXT` (vi and en) filled with numbers read from
the result dicts and formatted by :mod:`helpers.core.formatting`; the templates contain no digits
(a test checks this). A finding with too few data says so instead of guessing: see
:data:`MIN_LINES` and :func:`interval_excludes_zero`. The thresholds that turn a finding into
a proposal (:data:`RECURRENT_GAP_PP`, :data:`CARRY_OVER_SHARE`, …) are design choices of this
workbench, not rules of the program; they are module constants so a province can change them.

Command line (a single user; the batch calls :func:`write_index` directly)::

    papermill notebooks/03_brief.ipynb /tmp/brief.ipynb -p scope province -p lang en
    python -m helpers.report.brief render --assessment-dir outputs/province/assessment \\
        --lag-dir outputs/province/lag --lang vi --out /tmp/brief.vi.html
    python -m helpers.report.brief index outputs            # writes outputs/index.html
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import html
import io
import json
import math
import os
import re
import sys
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any

from helpers import __version__
from helpers.core.files import atomic_write_json, atomic_write_text
from helpers.core.formatting import check_lang, mvnd, number, percent, pp
from helpers.core.formatting import date as fmt_date
from helpers.core.paths import OUTPUTS_DIR, PACKAGE_DIR, REPO_ROOT, scope_slug
from helpers.core.provenance import git_commit
from helpers.core.text import label
from helpers.data.dataset import DEMO_LABEL, DEMO_NOTE_EN, DEMO_NOTE_VI
from helpers.report.figures import style as figures

TEMPLATES_DIR: Path = PACKAGE_DIR / "report" / "templates"

# --------------------------------------------------------------------------- settings
NEXT_PERIOD: tuple[int, int] = (2026, 2030)
"""The period the workshop prepares proposals for."""

DISTRICT_LEVEL_ENDED = dt.date(2025, 7, 1)
"""Two-tier local government: the district level was abolished on 1 July 2025."""

CI_LEVEL = 0.95
"""Confidence level of the lag intervals unless ``lag.json`` says otherwise (``ci_level``)."""

MIN_LINES = 30
"""Fewest plan lines for which the brief states a timing effect or a counterfactual gain.

Design choice: with fewer lines the fractional-logit and its delta-method interval rest on a
handful of decisions, so the brief says the data are too few instead of quoting a number."""

RECURRENT_GAP_PP = 5.0
"""Investment minus recurrent execution rate at the deadline (percentage points) above which
the brief proposes simpler recurrent-capital procedures."""

CARRY_OVER_SHARE = 0.10
"""Carried-over capital as a share of the allocation above which carry-over is a finding."""

DEC_JAN_SHARE = 0.30
"""Share of a year's disbursement in December and January above which year-end bunching is a
finding (an even profile puts about 2/13 ≈ 15 % there)."""

DISTRICT_GAP_PP = 5.0
"""A district whose deadline execution rate is this many points below the province's is
behind."""

HTML_NAME = "brief.{lang}.html"
ENTRY_NAME = "brief.{lang}.json"
METRICS_NAME = "metrics.json"
LAG_NAME = "lag.json"
PROVINCE_WORDS = ("province", "tỉnh", "toàn tỉnh")

REQUIRED_METRICS: tuple[str, ...] = (
    "scope",
    "demo",
    "allocated_mvnd",
    "disbursed_mvnd",
    "by_year",
    "by_capital_type",
    "by_source",
    "pefa_aggregate_grade",
    "pefa_composition_grade",
    "targets_met",
    "targets_total",
)
REQUIRED_BY_YEAR: tuple[str, ...] = (
    "plan_year",
    "allocated_mvnd",
    "disbursed_dec31_mvnd",
    "disbursed_deadline_mvnd",
    "disbursed_last_mvnd",
)
REQUIRED_LAG: tuple[str, ...] = (
    "scope",
    "demo",
    "n_lines",
    "timing_effect_pp_per_month",
    "months_to_50pct",
    "months_to_90pct",
    "counterfactual",
)
REQUIRED_LAG_NESTED: dict[str, tuple[str, ...]] = {
    "timing_effect_pp_per_month": ("estimate", "ci_low", "ci_high"),
    "counterfactual": ("date", "gain_mvnd", "ci_low", "ci_high"),
}

# --------------------------------------------------------------------------- names
NAMES: dict[str, dict[str, str]] = {
    "program": {
        "vi": "Chương trình mục tiêu quốc gia phát triển kinh tế - xã hội vùng đồng bào dân tộc "
        "thiểu số và miền núi (Chương trình MTQG 1719)",
        "en": "National Target Program for socio-economic development of ethnic minority and "
        "mountainous areas (NTP 1719)",
    },
    "program_short": {"vi": "Chương trình MTQG 1719", "en": "NTP 1719"},
    "pefa": {"vi": "PEFA 2016", "en": "PEFA 2016"},
    "pi1": {"vi": "PI-1", "en": "PI-1"},
    "pi2": {"vi": "PI-2(i)", "en": "PI-2(i)"},
    "sha": {"vi": "SHA-256", "en": "SHA-256"},
}
"""Proper names that contain digits (decision and indicator numbers): not quantities."""

TEXT: dict[str, dict[str, str]] = {
    # title
    "title": {
        "vi": "Đánh giá thực hiện giai đoạn {period}: {scope}",
        "en": "Implementation review {period}: {scope}",
    },
    "subtitle": {
        "vi": "Tài liệu phục vụ hội thảo xây dựng đề xuất giai đoạn {next_period}",
        "en": "For the {next_period} proposal workshop",
    },
    "scope_province": {"vi": "toàn tỉnh {name}", "en": "{name} province"},
    "province_row": {"vi": "Toàn tỉnh {name}", "en": "{name} province"},
    "scope_district": {"vi": "{name}", "en": "{name}"},
    "scope_line_province": {
        "vi": "Phạm vi: toàn tỉnh {name} (mã {code})",
        "en": "Scope: {name} province, all units (code {code})",
    },
    "scope_line_district": {
        "vi": "Phạm vi: đơn vị cấp huyện {name} (mã {code})",
        "en": "Scope: district-level unit {name} (code {code})",
    },
    "as_of": {"vi": "Số liệu đến ngày {date}", "en": "Data as of {date}"},
    "prepared": {"vi": "Ngày lập: {date}", "en": "Prepared on {date}"},
    "na": {"vi": "không có số liệu", "en": "not available"},
    # key figures
    "h_key": {"vi": "Các con số chính", "en": "Key figures"},
    "kf_allocated": {"vi": "Vốn được giao {period}", "en": "Allocated {period}"},
    "kf_allocated_note": {"vi": "mọi nguồn vốn", "en": "all sources"},
    "kf_disbursed": {"vi": "Đã giải ngân đến {date}", "en": "Disbursed by {date}"},
    "kf_share_note": {"vi": "{share} vốn giao", "en": "{share} of the allocation"},
    "kf_deadline": {
        "vi": "Tỷ lệ giải ngân đến hạn ({deadline} năm sau)",
        "en": "Execution rate at the deadline ({deadline} next year)",
    },
    "kf_carried": {"vi": "Vốn chuyển nguồn (kéo dài)", "en": "Carried over (extended)"},
    "kf_targets": {"vi": "Chỉ tiêu đạt mục tiêu", "en": "Targets met"},
    "kf_targets_value": {"vi": "{met} / {total}", "en": "{met} of {total}"},
    "kf_targets_note": {
        "vi": "{not_met} chưa đạt, {no_data} chưa có số liệu",
        "en": "{not_met} not met, {no_data} without data",
    },
    # capital and disbursement
    "h_capital": {
        "vi": "Vốn và giải ngân giai đoạn {period}",
        "en": "Capital and disbursement, {period}",
    },
    "cap_totals": {
        "vi": "Giai đoạn {period}, {scope} được giao {allocated}. Đến ngày {as_of} đã giải "
        "ngân {disbursed}, bằng {rate} kế hoạch vốn.",
        "en": "Over {period}, {scope} was allocated {allocated}. By {as_of}, {disbursed} had "
        "been disbursed, {rate} of the allocation.",
    },
    "cap_no_allocation": {
        "vi": "Không có vốn nào được giao cho phạm vi này.",
        "en": "No capital was allocated in this scope.",
    },
    "cap_cutoffs": {
        "vi": "Đến hạn giải ngân thường ({deadline} năm sau) tỷ lệ giải ngân đạt {rate_deadline}; "
        "đến ngày {dec31} của chính năm kế hoạch là {rate_dec31}.",
        "en": "By the regular deadline ({deadline} of the next year) the execution rate was "
        "{rate_deadline}; by {dec31} of the plan year itself it was {rate_dec31}.",
    },
    "cap_after_deadline": {
        "vi": "{amount} ({share} vốn giao) được giải ngân sau hạn thường, trong thời gian kéo dài.",
        "en": "{amount} ({share} of the allocation) was disbursed after the regular deadline, "
        "during extensions.",
    },
    "cap_no_alloc_years": {
        "vi": "Năm {years}: không có vốn được giao.",
        "en": "{years}: no capital was assigned.",
    },
    "cap_best_worst": {
        "vi": "Theo năm kế hoạch, tỷ lệ giải ngân đến hạn thấp nhất là năm {worst_year} "
        "({worst_rate}) và cao nhất là năm {best_year} ({best_rate}).",
        "en": "By plan year, the execution rate at the deadline was lowest for {worst_year} "
        "({worst_rate}) and highest for {best_year} ({best_rate}).",
    },
    "cap_types": {
        "vi": "Vốn đầu tư phát triển được giao {inv_alloc} và giải ngân đến hạn {inv_rate}; "
        "vốn sự nghiệp được giao {rec_alloc} và giải ngân đến hạn {rec_rate}: {gap}.",
        "en": "Investment capital: {inv_alloc} allocated, {inv_rate} disbursed by the deadline; "
        "recurrent capital: {rec_alloc} allocated, {rec_rate} by the deadline: {gap}.",
    },
    "gap_rec_lower": {
        "vi": "vốn sự nghiệp thấp hơn {gap}",
        "en": "recurrent capital is {gap} lower",
    },
    "gap_rec_higher": {
        "vi": "vốn sự nghiệp cao hơn {gap}",
        "en": "recurrent capital is {gap} higher",
    },
    "cap_carry": {
        "vi": "Vốn chưa giải ngân hết đến hạn và được kéo dài (chuyển nguồn) là {carried}, bằng "
        "{share} vốn giao; trong đó {later} ({later_share}) đã được giải ngân sau đó.",
        "en": "Capital not disbursed by the deadline and carried over (extended) came to "
        "{carried}, {share} of the allocation; {later} of it ({later_share}) was disbursed "
        "later.",
    },
    "cap_carry_open": {
        "vi": "{amount} vốn kéo dài vẫn còn trong thời hạn giải ngân.",
        "en": "{amount} of extended capital is still within its extended deadline.",
    },
    "cap_lapsed": {
        "vi": "Vốn bị hủy bỏ do không giải ngân hết trong thời hạn: {amount}.",
        "en": "Capital that lapsed undisbursed: {amount}.",
    },
    "cap_concentration_even": {
        "vi": "{q4} số giải ngân của năm rơi vào quý IV và {dec_jan} vào tháng Mười Hai và tháng "
        "Một năm sau.",
        "en": "{q4} of a year's disbursement came in the fourth quarter and {dec_jan} in "
        "December and January.",
    },
    "cap_concentration": {
        "vi": "Giải ngân dồn về cuối năm: {q4} số giải ngân của năm rơi vào quý IV và {dec_jan} "
        "vào tháng Mười Hai và tháng Một năm sau.",
        "en": "Disbursement is bunched at the end of the year: {q4} of a year's disbursement "
        "came in the fourth quarter and {dec_jan} in December and January.",
    },
    "cap_pefa": {
        "vi": "Độ tin cậy của kế hoạch vốn theo phương pháp {pefa}: mức thực hiện tổng thể "
        "({pi1}) xếp hạng {g1}, biến động cơ cấu theo dự án ({pi2}) xếp hạng {g2} "
        "(thang A–D, A là tốt nhất).",
        "en": "Budget credibility on the {pefa} method: aggregate outturn ({pi1}) grade {g1}, "
        "composition variance by project ({pi2}) grade {g2} (scale A–D, A best).",
    },
    "fig_by_year": {
        "vi": "Vốn giao và giải ngân theo năm kế hoạch, tại ba mốc (tỷ đồng)",
        "en": "Allocated and disbursed by plan year at three cut-offs (billion VND)",
    },
    "fig_types": {
        "vi": "Tỷ lệ giải ngân theo loại vốn, tại ba mốc",
        "en": "Execution rate by capital type at three cut-offs",
    },
    "tbl_by_year": {
        "vi": "Vốn giao và giải ngân theo năm kế hoạch (triệu đồng)",
        "en": "Allocated and disbursed by plan year (million VND)",
    },
    "tbl_sources": {"vi": "Theo nguồn vốn (triệu đồng)", "en": "By source (million VND)"},
    "col_year": {"vi": "Năm KH", "en": "Plan year"},
    "col_source": {"vi": "Nguồn vốn", "en": "Source"},
    "col_rate_deadline": {"vi": "Tỷ lệ đến hạn", "en": "Rate at deadline"},
    "col_allocated": {"vi": "Vốn giao", "en": "Allocated"},
    "col_by": {"vi": "Giải ngân đến {date}", "en": "Disbursed by {date}"},
    "col_by_next": {"vi": "Đến {date} năm sau", "en": "By {date} next year"},
    "col_by_last": {"vi": "Đến kỳ báo cáo cuối", "en": "By the last report"},
    "col_rate_last": {"vi": "Tỷ lệ đến kỳ cuối", "en": "Rate at last report"},
    "col_total": {"vi": "Tổng", "en": "Total"},
    # timing
    "h_timing": {
        "vi": "Thời điểm giao vốn: giao muộn đã làm mất gì",
        "en": "Timing: what late allocation cost",
    },
    "tm_months": {
        "vi": "Tính từ ngày quyết định giao vốn, một dòng kế hoạch cần {m50} tháng để giải ngân "
        "được {p50} và {m90} tháng để đạt {p90} (theo đường giải ngân chuẩn).",
        "en": "From the allocation decision, a plan line needed {m50} months to disburse {p50} "
        "of its capital and {m90} months to reach {p90} (standard disbursement profile).",
    },
    "tm_months_50": {
        "vi": "Tính từ ngày quyết định giao vốn, một dòng kế hoạch cần {m50} tháng để giải ngân "
        "được {p50}; thời gian để đạt {p90}: {na}.",
        "en": "From the allocation decision, a plan line needed {m50} months to disburse {p50} "
        "of its capital; time to reach {p90}: {na}.",
    },
    "tm_months_km": {
        "vi": "Tính từ ngày quyết định giao vốn, một dòng kế hoạch cần {m50} tháng để giải ngân "
        "được {p50} (theo đường giải ngân chuẩn). Đường chuẩn chững lại ở mức {top} số vốn "
        "nên không đạt {p90}; một nửa số dòng cần {km90} tháng để đạt {p90} "
        "(ước lượng Kaplan–Meier).",
        "en": "From the allocation decision, a plan line needed {m50} months to disburse {p50} "
        "of its capital (standard disbursement profile). The profile levels off at {top} "
        "of the capital, so it never reaches {p90}; half of the lines took {km90} months "
        "to reach {p90} (Kaplan–Meier estimate).",
    },
    "tm_months_top": {
        "vi": "Tính từ ngày quyết định giao vốn, một dòng kế hoạch cần {m50} tháng để giải ngân "
        "được {p50} (theo đường giải ngân chuẩn). Đường chuẩn chững lại ở mức {top} số vốn "
        "nên không đạt {p90}; chưa đến một nửa số dòng đạt {p90} tính đến kỳ báo cáo cuối.",
        "en": "From the allocation decision, a plan line needed {m50} months to disburse {p50} "
        "of its capital (standard disbursement profile). The profile levels off at {top} "
        "of the capital, so it never reaches {p90}; fewer than half of the lines had "
        "reached {p90} by the last report.",
    },
    "tm_effect_province": {
        "vi": "Trên toàn tỉnh, mỗi tháng giao vốn chậm hơn làm tỷ lệ này {direction} {effect} "
        "({n} dòng kế hoạch); ước lượng của huyện dùng cùng mô hình toàn tỉnh.",
        "en": "Province-wide, each month of delay {direction} this share by {effect} ({n} plan "
        "lines); the district's estimate uses the same province model.",
    },
    "tm_months_km_only": {
        "vi": "Tính từ ngày quyết định giao vốn, một dòng kế hoạch cần {m50} tháng để giải ngân "
        "được {p50} (theo đường giải ngân chuẩn); một nửa số dòng cần {km90} tháng để đạt "
        "{p90} (ước lượng Kaplan–Meier).",
        "en": "From the allocation decision, a plan line needed {m50} months to disburse {p50} "
        "of its capital (standard disbursement profile); half of the lines took {km90} "
        "months to reach {p90} (Kaplan–Meier estimate).",
    },
    "tm_moved": {
        "vi": "Trong kịch bản này, {moved} trên {n} dòng kế hoạch được giao sớm hơn, bình quân "
        "{months} tháng.",
        "en": "In this scenario {moved} of {n} plan lines are decided earlier, by {months} months "
        "on average.",
    },
    "fig_profiles": {
        "vi": "Đường giải ngân chuẩn theo số tháng kể từ khi giao vốn "
        "(từ sổ phân tích độ trễ giải ngân)",
        "en": "Standard disbursement profiles by months since allocation "
        "(from the disbursement-lag notebook)",
    },
    "fig_profiles_drawn": {
        "vi": "Đường giải ngân chuẩn theo loại vốn: tỷ lệ vốn đã giải ngân "
        "theo số tháng kể từ khi giao vốn (đường cong ước lượng)",
        "en": "Standard disbursement profile by capital type: share of "
        "capital disbursed by months since the decision (fitted "
        "curves)",
    },
    "ax_months": {
        "vi": "Số tháng kể từ ngày quyết định giao vốn",
        "en": "Months since the allocation decision",
    },
    "fig_monthly": {
        "vi": "Lũy kế giải ngân theo tháng so với đường đều (từ sổ đánh giá)",
        "en": "Cumulative disbursement by month against an even profile "
        "(from the assessment notebook)",
    },
    "fig_scorecard": {
        "vi": "Bảng chỉ tiêu (từ sổ đánh giá)",
        "en": "Target scorecard (from the assessment notebook)",
    },
    "fig_cf_years": {
        "vi": "Giải ngân đến hạn theo năm kế hoạch: thực tế và kịch bản giao vốn "
        "trước {date} (tỷ đồng; vạch: khoảng tin cậy {level})",
        "en": "Disbursed by the deadline by plan year: actual and if assigned by "
        "{date} (billion VND; whisker: {level} confidence interval)",
    },
    "tm_months_na": {
        "vi": "Chưa có ước tính thời gian giải ngân theo đường chuẩn.",
        "en": "No estimate of the time to disburse is available.",
    },
    "tm_effect": {
        "vi": "Mỗi tháng quyết định giao vốn chậm hơn làm tỷ lệ vốn của một dòng kế hoạch được "
        "giải ngân đến hạn {direction} bình quân {effect} (khoảng tin cậy {level}: từ "
        "{lo} đến {hi} {unit}; {n} dòng kế hoạch).",
        "en": "Each month of delay in a line's allocation decision {direction} the share of its "
        "capital disbursed by the deadline by {effect} on average ({level} confidence "
        "interval: {lo} to {hi} {unit}; {n} plan lines).",
    },
    "dir_down": {"vi": "giảm", "en": "lowers"},
    "pp_unit": {"vi": "điểm phần trăm", "en": "percentage points"},
    "dir_up": {"vi": "tăng", "en": "raises"},
    "tm_effect_few": {
        "vi": "Số liệu quá ít để kết luận về tác động của thời điểm giao vốn: chỉ có {n} dòng "
        "kế hoạch (cần ít nhất {min}).",
        "en": "The data are too few to say how allocation timing affected disbursement: only "
        "{n} plan lines (at least {min} are needed).",
    },
    "tm_effect_wide": {
        "vi": "Số liệu chưa đủ để kết luận về tác động của thời điểm giao vốn: khoảng tin cậy "
        "{level} từ {lo} đến {hi} {unit} mỗi tháng bao gồm cả khả năng không có tác động "
        "({n} dòng kế hoạch).",
        "en": "The data are too few to say how allocation timing affected disbursement: the "
        "{level} confidence interval runs from {lo} to {hi} {unit} per month and includes "
        "no effect ({n} plan lines).",
    },
    "tm_effect_na": {
        "vi": "Chưa có ước tính tác động của thời điểm giao vốn.",
        "en": "No estimate of the timing effect is available.",
    },
    "tm_cf": {
        "vi": "Nếu mọi dòng kế hoạch được giao vốn trước {date}, số vốn giải ngân đến hạn ước "
        "tăng thêm {gain} (khoảng tin cậy {level}: từ {lo} đến {hi}), bằng {share} vốn "
        "giao.",
        "en": "Had every line been assigned by {date}, an estimated {gain} more would have "
        "been disbursed by the deadline ({level} confidence interval {lo} to {hi}), "
        "{share} of the allocation.",
    },
    "tm_cf_few": {
        "vi": "Số liệu quá ít để ước tính lợi ích của việc giao vốn trước {date}: chỉ có {n} "
        "dòng kế hoạch (cần ít nhất {min}).",
        "en": "The data are too few to estimate what assigning capital by {date} would have "
        "gained: only {n} plan lines (at least {min} are needed).",
    },
    "tm_cf_wide": {
        "vi": "Số liệu chưa đủ để ước tính lợi ích của việc giao vốn trước {date}: khoảng tin "
        "cậy {level} từ {lo} đến {hi} bao gồm giá trị không.",
        "en": "The data are too few to say what assigning capital by {date} would have gained: "
        "the {level} confidence interval runs from {lo} to {hi} and includes zero.",
    },
    "tm_cf_na": {
        "vi": "Chưa có ước tính kịch bản giao vốn sớm.",
        "en": "No early-allocation counterfactual is available.",
    },
    "cf_date_plan_year": {"vi": "ngày {day} của năm kế hoạch", "en": "{day} of the plan year"},
    "fig_cf": {
        "vi": "Giải ngân đến hạn: thực tế và kịch bản giao vốn trước {date} (tỷ đồng; "
        "vạch: khoảng tin cậy {level})",
        "en": "Disbursed by the deadline: actual and if assigned by {date} (billion VND; "
        "whisker: {level} confidence interval)",
    },
    "cf_actual": {"vi": "Thực tế", "en": "Actual"},
    "cf_scenario": {"vi": "Giao vốn trước {date}", "en": "Assigned by {date}"},
    # targets
    "h_targets": {"vi": "Thực hiện các chỉ tiêu", "en": "Targets"},
    "tg_summary": {
        "vi": "{met} trên {total} chỉ tiêu đã đạt mục tiêu; {not_met} chưa đạt; {no_data} chưa "
        "có số liệu.",
        "en": "{met} of {total} targets were met; {not_met} not met; {no_data} without data.",
    },
    "tg_summary_short": {
        "vi": "{met} trên {total} chỉ tiêu đã đạt mục tiêu.",
        "en": "{met} of {total} targets were met.",
    },
    "tg_none": {
        "vi": "Không có số liệu chỉ tiêu cho phạm vi này.",
        "en": "No target data for this scope.",
    },
    "tbl_targets": {"vi": "Bảng chỉ tiêu", "en": "Target scorecard"},
    "col_indicator": {"vi": "Chỉ tiêu", "en": "Indicator"},
    "col_baseline": {"vi": "Cơ sở", "en": "Baseline"},
    "col_target": {"vi": "Mục tiêu", "en": "Target"},
    "col_latest": {"vi": "Thực hiện", "en": "Latest"},
    "col_status": {"vi": "Đánh giá", "en": "Status"},
    "st_met": {"vi": "đạt", "en": "met"},
    "st_not_met": {"vi": "chưa đạt", "en": "not met"},
    "st_no_data": {"vi": "chưa có số liệu", "en": "no data"},
    # ranking
    "h_ranking_district": {
        "vi": "Vị trí so với các huyện trong tỉnh",
        "en": "Standing among the province's districts",
    },
    "h_ranking_province": {"vi": "So sánh giữa các huyện", "en": "Districts compared"},
    "rk_district": {
        "vi": "Về tỷ lệ giải ngân đến hạn, {name} xếp thứ {rank} trên {n} huyện ({rate}; toàn "
        "tỉnh {prov_rate}, {diff}).",
        "en": "By the execution rate at the deadline, {name} ranks {rank} of {n} districts "
        "({rate}; province {prov_rate}, {diff}).",
    },
    "rk_above": {"vi": "cao hơn {gap}", "en": "{gap} above"},
    "rk_below": {"vi": "thấp hơn {gap}", "en": "{gap} below"},
    "rk_months": {
        "vi": "Trung vị thời gian từ khi giao vốn đến khi giải ngân được {p50}: {m} tháng "
        "(toàn tỉnh: {pm} tháng).",
        "en": "Median time from allocation to {p50} disbursed: {m} months (province: {pm} months).",
    },
    "rk_spread": {
        "vi": "Tỷ lệ giải ngân đến hạn của các huyện dao động từ {min_rate} ({min_name}) đến "
        "{max_rate} ({max_name}); toàn tỉnh đạt {prov_rate}.",
        "en": "District execution rates at the deadline range from {min_rate} ({min_name}) to "
        "{max_rate} ({max_name}); the province reached {prov_rate}.",
    },
    "rk_na": {
        "vi": "Không đủ số liệu để so sánh giữa các huyện.",
        "en": "There are not enough data to compare districts.",
    },
    "rk_rank_only": {
        "vi": "{name} xếp thứ {rank} trên {n} huyện về tỷ lệ giải ngân đến hạn.",
        "en": "{name} ranks {rank} of {n} districts by the execution rate at the deadline.",
    },
    "tbl_ranking": {
        "vi": "Xếp hạng các huyện theo tỷ lệ giải ngân đến hạn",
        "en": "Districts ranked by the execution rate at the deadline",
    },
    "fig_ranking": {
        "vi": "Tỷ lệ giải ngân đến hạn theo huyện (đường dọc: toàn tỉnh)",
        "en": "Execution rate at the deadline by district (vertical line: province)",
    },
    "col_rank": {"vi": "Hạng", "en": "Rank"},
    "col_unit": {"vi": "Đơn vị", "en": "Unit"},
    "col_months50": {"vi": "Tháng đến {p50}", "en": "Months to {p50}"},
    # proposals
    "h_proposals": {
        "vi": "Đề xuất cho giai đoạn {next_period}",
        "en": "Proposals for {next_period}",
    },
    "pr_intro": {
        "vi": "Mỗi đề xuất xuất phát từ một phát hiện của bản đánh giá và con số làm căn cứ.",
        "en": "Each proposal follows from a finding of this review and the number behind it.",
    },
    "pr_basis": {"vi": "Căn cứ:", "en": "Finding:"},
    "pr_none": {
        "vi": "Không có phát hiện nào đủ căn cứ để đề xuất thay đổi cụ thể.",
        "en": "No finding is strong enough to support a specific proposal.",
    },
    "pr_early_title": {
        "vi": "Giao kế hoạch vốn hằng năm cho từng dự án trước {date}",
        "en": "Assign each year's capital to projects by {date}",
    },
    "pr_early": {
        "vi": "Trung ương thông báo dự toán trước đầu năm; tỉnh giao chi tiết cho chủ đầu tư "
        "ngay khi dự toán được thông báo, không chờ hướng dẫn bổ sung.",
        "en": "The centre announces estimates before the year starts; the province assigns "
        "them to implementing units as soon as they are announced, without waiting for "
        "further guidance.",
    },
    "pr_recurrent_title": {
        "vi": "Đơn giản hóa thủ tục giao và giải ngân vốn sự nghiệp",
        "en": "Simplify recurrent-capital procedures",
    },
    "pr_recurrent": {
        "vi": "Ban hành sớm hướng dẫn nội dung chi, định mức và hồ sơ mẫu thống nhất; phân cấp "
        "cho xã phê duyệt các dự án hỗ trợ phát triển sản xuất quy mô nhỏ.",
        "en": "Issue spending rules, norms and standard dossiers early; let communes approve "
        "small production-support projects.",
    },
    "pr_carry_title": {
        "vi": "Giao vốn theo khả năng giải ngân, hạn chế chuyển nguồn",
        "en": "Allocate on what can be disbursed; cut carry-over",
    },
    "pr_carry": {
        "vi": "Chỉ giao vốn cho dự án đã đủ thủ tục đầu tư; rà soát giữa năm và điều chuyển vốn "
        "từ dự án chậm sang dự án giải ngân tốt.",
        "en": "Assign capital only to projects ready to start; review at mid-year and move "
        "capital from slow projects to those that disburse.",
    },
    "pr_yearend_title": {
        "vi": "Giải ngân đều trong năm",
        "en": "Spread disbursement over the year",
    },
    "pr_yearend": {
        "vi": "Giao chỉ tiêu giải ngân theo quý cho từng chủ đầu tư và công khai tiến độ hằng "
        "tháng.",
        "en": "Set quarterly disbursement milestones for each implementing unit and publish "
        "progress every month.",
    },
    "pr_targets_title": {
        "vi": "Tập trung nguồn lực vào các chỉ tiêu chưa đạt",
        "en": "Focus resources on the targets not met",
    },
    "pr_targets": {
        "vi": "Đặt lại mục tiêu giai đoạn mới từ mức thực hiện hiện nay và ưu tiên vốn cho các "
        "nội dung gắn với những chỉ tiêu chưa đạt.",
        "en": "Reset the new period's targets from today's levels and give priority to the "
        "activities tied to the targets not met.",
    },
    "pr_district_title": {
        "vi": "Hỗ trợ năng lực thực hiện trên địa bàn {name}",
        "en": "Support implementation capacity in {name}",
    },
    "pr_district": {
        "vi": "Tập huấn, hỗ trợ kỹ thuật và theo dõi tiến độ hằng tháng cho các xã thuộc địa "
        "bàn, vì từ {date} không còn cấp huyện.",
        "en": "Training, technical support and monthly progress follow-up for the communes of "
        "the area, since the district level ended on {date}.",
    },
    "pr_districts_title": {
        "vi": "Hỗ trợ các địa bàn giải ngân chậm",
        "en": "Support the areas that disburse slowly",
    },
    "pr_districts": {
        "vi": "Hỗ trợ kỹ thuật và theo dõi tiến độ hằng tháng cho các xã thuộc những địa bàn "
        "này (cấp huyện không còn từ {date}).",
        "en": "Technical support and monthly follow-up for the communes of these areas (the "
        "district level ended on {date}).",
    },
    "fd_early": {
        "vi": "Theo mô hình trên số liệu {period}, nếu giao vốn trước {date} thì số vốn giải ngân "
        "đến hạn tăng thêm {gain} (khoảng tin cậy {level}: từ {lo} đến {hi}); mỗi tháng "
        "giao chậm làm tỷ lệ giải ngân đến hạn giảm {effect}.",
        "en": "On {period} data, assigning capital by {date} would have added {gain} to "
        "disbursement by the deadline ({level} confidence interval {lo} to {hi}); each "
        "month of delay cut the execution rate at the deadline by {effect}.",
    },
    "fd_recurrent": {
        "vi": "Vốn sự nghiệp giải ngân đến hạn đạt {rec_rate}, thấp hơn vốn đầu tư ({inv_rate}) "
        "{gap}.",
        "en": "Recurrent capital reached {rec_rate} by the deadline, {gap} below investment "
        "capital ({inv_rate}).",
    },
    "fd_carry": {
        "vi": "{carried} ({share} vốn giao) phải kéo dài sang năm sau; {lapsed} bị hủy bỏ.",
        "en": "{carried} ({share} of the allocation) had to be carried over; {lapsed} lapsed.",
    },
    "fd_yearend": {
        "vi": "{dec_jan} số giải ngân của năm dồn vào tháng Mười Hai và tháng Một.",
        "en": "{dec_jan} of a year's disbursement came in December and January.",
    },
    "fd_targets": {
        "vi": "{not_met} trên {total} chỉ tiêu chưa đạt mục tiêu{names}.",
        "en": "{not_met} of {total} targets were not met{names}.",
    },
    "fd_district": {
        "vi": "Tỷ lệ giải ngân đến hạn của {name} là {rate}, thấp hơn toàn tỉnh ({prov_rate}) "
        "{gap}; xếp thứ {rank} trên {n} huyện.",
        "en": "{name} reached {rate} by the deadline, {gap} below the province ({prov_rate}); "
        "rank {rank} of {n} districts.",
    },
    "fd_districts": {
        "vi": "{count} huyện có tỷ lệ giải ngân đến hạn thấp hơn toàn tỉnh ({prov_rate}) quá "
        "{threshold}: {names}.",
        "en": "{count} districts were more than {threshold} below the province's execution rate "
        "at the deadline ({prov_rate}): {names}.",
    },
    # method and data notes
    "h_method": {"vi": "Phương pháp và số liệu", "en": "Method and data notes"},
    "mn_cutoffs": {
        "vi": "Giải ngân được đo tại ba mốc: {dec31}; {deadline}; {last} ({as_of}). Số tiền tính "
        "bằng triệu đồng; tỷ lệ là phần trăm của kế hoạch vốn giao.",
        "en": "Disbursement is measured at three cut-offs: {dec31}; {deadline}; {last} "
        "({as_of}). Amounts are in million VND; rates are shares of the allocation.",
    },
    "mn_pefa": {
        "vi": "{pefa}: {pi1} so sánh số giải ngân đến hạn với kế hoạch vốn từng năm, {pi2} đo "
        "độ lệch cơ cấu giữa các dự án; hạng tính trên các năm {years}. Ngưỡng xếp hạng "
        "lấy theo khung {pefa}, chưa đối chiếu văn bản gốc.",
        "en": "{pefa}: {pi1} compares disbursement by the deadline with each year's allocation, "
        "{pi2} measures how far the mix across projects departed from it; grades use "
        "{years}. The grade thresholds are recalled from the {pefa} framework, not "
        "checked against the primary text.",
    },
    "mn_lag": {
        "vi": "Tác động của thời điểm giao vốn được ước lượng bằng mô hình hồi quy tỷ lệ "
        "(fractional logit, trọng số là số vốn, sai số chuẩn vững) trên {n} dòng kế hoạch, "
        "có kiểm soát loại vốn, dự án, năm kế hoạch và huyện, để không nhầm thời điểm giao "
        "vốn với năng lực của địa phương. Kịch bản giao vốn sớm dự báo lại tỷ lệ giải ngân "
        "đến hạn khi mọi dòng được giao trước {date}.",
        "en": "The timing effect is estimated with a fractional-response model (fractional "
        "logit, weighted by amount, robust standard errors) on {n} plan lines, controlling "
        "for capital type, project, plan year and district, so that timing is not "
        "confused with local capacity. The counterfactual re-predicts the share disbursed "
        "by the deadline with every line assigned by {date}.",
    },
    "mn_small": {
        "vi": "Khi có ít hơn {min} dòng kế hoạch hoặc khoảng tin cậy bao gồm giá trị không, bản "
        "tóm tắt ghi rõ là chưa đủ số liệu thay vì đưa ra con số.",
        "en": "With fewer than {min} plan lines, or an interval that includes zero, the brief "
        "says the data are too few instead of quoting a number.",
    },
    "mn_thresholds": {
        "vi": "Ngưỡng để một phát hiện trở thành đề xuất (do nhóm phân tích chọn): chênh lệch vốn "
        "sự nghiệp trên {gap}; vốn chuyển nguồn trên {carry} vốn giao; giải ngân tháng Mười "
        "Hai và tháng Một trên {decjan}; huyện thấp hơn toàn tỉnh quá {district}.",
        "en": "Thresholds for a finding to become a proposal (chosen by the analysts): recurrent "
        "gap above {gap}; carry-over above {carry} of the allocation; December–January "
        "share above {decjan}; a district more than {district} below the province.",
    },
    "mn_district_level": {
        "vi": "Cấp huyện kết thúc hoạt động từ ngày {date} (chính quyền địa phương hai cấp); số "
        "liệu của huyện nói về các xã thuộc địa bàn huyện cũ.",
        "en": "The district level ended on {date} (two-tier local government); a district's "
        "figures speak for the communes of the former district.",
    },
    "mn_origin": {"vi": "Nguồn số liệu: {origin}.", "en": "Data: {origin}."},
    "mn_caveats": {"vi": "Lưu ý của mô hình:", "en": "Model caveats:"},
    "mn_ph": {
        "vi": "Kiểm tra giả định tỷ lệ rủi ro của mô hình Cox (mốc {p}): {verdict}",
        "en": "Proportional-hazards check of the Cox model ({p} threshold): {verdict}",
    },
    # provenance
    "pv_source": {"vi": "Nguồn số liệu", "en": "Data source"},
    "pv_inputs": {"vi": "Kết quả đầu vào", "en": "Input results"},
    "pv_params": {"vi": "Tham số", "en": "Parameters"},
    "pv_version": {"vi": "Phiên bản công cụ", "en": "Workbench version"},
    "pv_commit": {"vi": "Commit", "en": "Commit"},
    "pv_time": {"vi": "Thời điểm tạo", "en": "Generated"},
    "pv_unknown": {"vi": "không xác định", "en": "unknown"},
    # index
    "ix_title": {"vi": "Các bản tóm tắt của lần chạy", "en": "Briefs of this run"},
    "ix_intro": {
        "vi": "{n} phạm vi; mỗi dòng là một bản tóm tắt với các con số chính.",
        "en": "{n} scopes; each row is a brief with its headline numbers.",
    },
    "ix_links": {"vi": "Bản tóm tắt", "en": "Brief"},
    "ix_disbursed": {"vi": "Đã giải ngân", "en": "Disbursed"},
    "ix_carried": {"vi": "Chuyển nguồn", "en": "Carried over"},
    "ix_unit": {
        "vi": "Số tiền: triệu đồng; giải ngân đến kỳ báo cáo cuối",
        "en": "Amounts in million VND; disbursed by the last report",
    },
    "ix_generated": {"vi": "Tạo lúc {time}", "en": "Generated {time}"},
}
"""Every sentence and label of the brief. No digits: numbers enter only through placeholders."""

LANG_NAMES = {"vi": "Tiếng Việt", "en": "English"}


def t(key: str, lang: str, **fmt: object) -> str:
    """The text ``key`` of :data:`TEXT` in ``lang``, filled with ``fmt``."""
    return label(key, lang, TEXT, **fmt)


def name(key: str, lang: str) -> str:
    """A proper name of :data:`NAMES`."""
    return NAMES[key][lang]


# --------------------------------------------------------------------------- html helpers
def esc(value: object) -> str:
    """HTML-escape any value shown in the page (quotes too: safe inside attributes)."""
    return html.escape("" if value is None else str(value), quote=True)


def _attrs(attrs: Mapping[str, object]) -> str:
    out = []
    for k, v in attrs.items():
        if v is None or v is False:
            continue
        key = k.rstrip("_").replace("_", "-")
        out.append(f' {key}="{esc(v)}"')
    return "".join(out)


def el(tag: str, inner_html: str = "", **attrs: object) -> str:
    """``<tag attrs>inner_html</tag>``; ``inner_html`` must already be HTML, attributes are
    escaped (``class_`` → ``class``, ``data_key`` → ``data-key``)."""
    return f"<{tag}{_attrs(attrs)}>{inner_html}</{tag}>"


def para(text: str, **attrs: object) -> str:
    """A paragraph of plain text (escaped)."""
    return el("p", esc(text), **attrs)


# --------------------------------------------------------------------------- value helpers
class BriefInputError(ValueError):
    """A result file the brief reads is missing, unreadable, or lacks a required key."""


def _is_num(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def num(v: object) -> float | None:
    """A finite float or None (missing, null, NaN, text)."""
    if _is_num(v):
        return float(v)  # type: ignore[arg-type]
    if isinstance(v, str):
        try:
            f = float(v)
        except ValueError:
            return None
        return f if math.isfinite(f) else None
    return None


def scalar(v: object) -> float | None:
    """A number from a value that may be a number or an object with an estimate."""
    if isinstance(v, Mapping):
        for key in ("estimate", "median", "value", "all", "overall"):
            if key in v:
                return num(v[key])
        return None
    return num(v)


def ratio(a: object, b: object) -> float | None:
    """a / b, None when either is missing or b is not positive."""
    x, y = num(a), num(b)
    return x / y if x is not None and y is not None and y > 0 else None


def fmt_mvnd(v: object, lang: str) -> str:
    x = num(v)
    return t("na", lang) if x is None else mvnd(x, lang)


def fmt_pct(v: object, lang: str, digits: int = 1) -> str:
    x = num(v)
    return t("na", lang) if x is None else percent(x, lang, digits)


def fmt_pp(v: float, lang: str) -> str:
    return pp(abs(v), lang)


def fmt_months(v: object, lang: str) -> str:
    x = num(v)
    return t("na", lang) if x is None else number(x, lang, 1)


def fmt_int(v: object, lang: str) -> str:
    x = num(v)
    return t("na", lang) if x is None else number(round(x), lang, 0)


def deadline_daymonth(lang: str) -> str:
    """The regular deadline's day and month (31/01, 31 Jan) from :mod:`helpers.data.deadlines`."""
    from helpers.data.deadlines import regular_deadline

    d = regular_deadline(2000)
    return d.strftime("%d/%m") if lang == "vi" else d.strftime("%-d %b")


def year_end_daymonth(lang: str) -> str:
    from helpers.data.deadlines import year_end

    d = year_end(2000)
    return d.strftime("%d/%m") if lang == "vi" else d.strftime("%-d %b")


def fmt_period(years: Sequence[int]) -> str:
    """``2021–2025`` from a list of years (years are not grouped like amounts)."""
    ys = sorted(int(y) for y in years)
    if not ys:
        return "–"
    return str(ys[0]) if ys[0] == ys[-1] else f"{ys[0]}–{ys[-1]}"


def fmt_cf_date(value: object, lang: str) -> str:
    """The counterfactual date: a full date, or a day of the plan year ("01-31")."""
    text = "" if value is None else str(value).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return fmt_date(text, lang)
    m = re.fullmatch(r"(?:--)?(\d{2})-(\d{2})", text)
    if m:
        d = dt.date(2000, int(m.group(1)), int(m.group(2)))
        day = d.strftime("%d/%m") if lang == "vi" else d.strftime("%-d %B")
        return t("cf_date_plan_year", lang, day=day)
    return text or t("na", lang)


def interval_excludes_zero(lo: object, hi: object) -> bool:
    """True when both ends are known and on the same side of zero."""
    a, b = num(lo), num(hi)
    return a is not None and b is not None and (a > 0 and b > 0 or a < 0 and b < 0)


# --------------------------------------------------------------------------- inputs
def _read_json(path: Path, what: str, producer: str) -> dict:
    if not path.is_file():
        raise BriefInputError(
            f"{what} not found: {path}. Run {producer} for this scope first "
            "(or pass its folder as a parameter)."
        )
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BriefInputError(f"{path}: cannot read JSON ({exc})") from None
    if not isinstance(obj, dict):
        raise BriefInputError(f"{path}: expected a JSON object at the top level")
    return obj


def check_metrics(metrics: Mapping[str, Any], path: Path | str = METRICS_NAME) -> None:
    """Raise :class:`BriefInputError` naming ``path`` and the key when a required key is
    missing from a ``metrics.json`` dict."""
    for key in REQUIRED_METRICS:
        if key not in metrics:
            raise BriefInputError(
                f"{path}: missing required key '{key}' (the brief needs "
                f"{', '.join(REQUIRED_METRICS)})"
            )
    if not isinstance(metrics["by_year"], list):
        raise BriefInputError(f"{path}: key 'by_year' must be a list of objects")
    for i, row in enumerate(metrics["by_year"]):
        for key in REQUIRED_BY_YEAR:
            if not isinstance(row, Mapping) or key not in row:
                raise BriefInputError(f"{path}: missing required key 'by_year[{i}].{key}'")
    for key in ("by_capital_type", "by_source"):
        if not isinstance(metrics[key], Mapping):
            raise BriefInputError(
                f"{path}: key '{key}' must be an object keyed by "
                f"{'capital type' if key == 'by_capital_type' else 'source'}"
            )


def check_lag(lag: Mapping[str, Any], path: Path | str = LAG_NAME) -> None:
    """Raise :class:`BriefInputError` naming ``path`` and the key when a required key is
    missing from a ``lag.json`` dict (values may be null: the brief then says so)."""
    for key in REQUIRED_LAG:
        if key not in lag:
            raise BriefInputError(
                f"{path}: missing required key '{key}' (the brief needs {', '.join(REQUIRED_LAG)})"
            )
    for key, subkeys in REQUIRED_LAG_NESTED.items():
        obj = lag[key]
        if not isinstance(obj, Mapping):
            raise BriefInputError(
                f"{path}: key '{key}' must be an object with {', '.join(subkeys)}"
            )
        for sub in subkeys:
            if sub not in obj:
                raise BriefInputError(f"{path}: missing required key '{key}.{sub}'")


def _resolve_dir(value: str | Path, default: Path) -> Path:
    if not str(value).strip():
        return default
    p = Path(value).expanduser()
    return p if p.is_absolute() else (REPO_ROOT / p)


def resolve_scope_slug(scope: str, data: str = "demo", outputs_dir: Path = OUTPUTS_DIR) -> str:
    """The output folder name of ``scope`` without loading data when it can be avoided.

    "province" → ``province``; a unit code whose folder exists → its slug; otherwise (a unit
    name such as "Bảo Lạc") the dataset ``data`` is opened and the name resolved with
    :func:`helpers.data.datasets.resolve_scope`. The result is always a safe slug.
    """
    text = str(scope).strip()
    if text.lower() in PROVINCE_WORDS:
        return "province"
    slug = scope_slug(text)
    if slug == text and (outputs_dir / slug).is_dir():
        return slug
    from helpers.data.datasets import open_dataset, resolve_scope

    ds = open_dataset(data)
    sc = resolve_scope(ds, text)
    return scope_slug(sc.code, ds.province_code)


@dataclass(frozen=True)
class BriefDirs:
    """Where a brief reads from and writes to."""

    slug: str
    out_dir: Path
    assessment_dir: Path
    lag_dir: Path
    province_assessment_dir: Path


def brief_dirs(
    scope: str,
    data: str = "demo",
    out_dir: str | Path = "",
    assessment_dir: str | Path = "",
    lag_dir: str | Path = "",
    province_assessment_dir: str | Path = "",
    outputs_dir: Path = OUTPUTS_DIR,
) -> BriefDirs:
    """Resolve the notebook's folder parameters (empty = ``outputs/<slug>/<step>``; relative
    paths resolve against :data:`helpers.core.paths.REPO_ROOT`)."""
    given = all(str(v).strip() for v in (out_dir, assessment_dir, lag_dir))
    slug = scope_slug(str(scope)) if given else resolve_scope_slug(scope, data, outputs_dir)
    if str(scope).strip().lower() in PROVINCE_WORDS:
        slug = "province"
    base = outputs_dir / slug
    return BriefDirs(
        slug=slug,
        out_dir=_resolve_dir(out_dir, base / "brief"),
        assessment_dir=_resolve_dir(assessment_dir, base / "assessment"),
        lag_dir=_resolve_dir(lag_dir, base / "lag"),
        province_assessment_dir=_resolve_dir(
            province_assessment_dir, outputs_dir / "province" / "assessment"
        ),
    )


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------- the brief
@dataclass
class Brief:
    """Everything a brief shows: the result dicts, language, parameters and provenance."""

    metrics: dict
    lag: dict
    lang: str = "vi"
    params: dict[str, str] = field(default_factory=dict)
    inputs: dict[str, Path] = field(default_factory=dict)
    ranking: list[dict] | None = None
    out_dir: Path | None = None
    slug: str = "province"
    generated_at: dt.datetime = field(
        default_factory=lambda: dt.datetime.now(dt.UTC).replace(microsecond=0)
    )

    def __post_init__(self) -> None:
        check_lang(self.lang)
        if self.ranking is None:
            self.ranking = district_ranking(self.metrics)

    # scope ------------------------------------------------------------------
    @property
    def demo(self) -> bool:
        return bool(self.metrics.get("demo")) or bool(self.lag.get("demo"))

    @property
    def is_district(self) -> bool:
        level = self.metrics.get("scope_level")
        if level:
            return str(level) != "province"
        return str(self.metrics.get("scope")) != "province"

    @property
    def unit_code(self) -> str:
        return str(self.metrics.get("unit_code") or self.metrics.get("scope") or "")

    def scope_name(self, lang: str | None = None) -> str:
        lang = lang or self.lang
        value = self.metrics.get(f"scope_name_{lang}") or self.metrics.get("scope_name_vi")
        return str(value or self.unit_code)

    def scope_phrase(self) -> str:
        key = "scope_district" if self.is_district else "scope_province"
        return t(key, self.lang, name=self.scope_name())

    # periods ------------------------------------------------------------------
    @property
    def years(self) -> list[int]:
        ys = self.metrics.get("years")
        if isinstance(ys, list) and ys:
            return [int(y) for y in ys]
        return [int(r["plan_year"]) for r in self.metrics["by_year"]]

    @property
    def period(self) -> str:
        return fmt_period(self.years)

    @property
    def next_period(self) -> str:
        return fmt_period(NEXT_PERIOD)

    @property
    def as_of(self) -> str:
        value = self.metrics.get("as_of")
        return fmt_date(value, self.lang) if value else t("na", self.lang)

    @property
    def ci_level(self) -> str:
        level = num(self.lag.get("ci_level")) or CI_LEVEL
        return percent(level, self.lang, 0)

    @property
    def cf_date(self) -> str:
        return fmt_cf_date(self.lag["counterfactual"].get("date"), self.lang)


def load_brief(
    *,
    data: str = "demo",
    scope: str = "province",
    lang: str = "vi",
    out_dir: str | Path = "",
    assessment_dir: str | Path = "",
    lag_dir: str | Path = "",
    province_assessment_dir: str | Path = "",
    outputs_dir: Path = OUTPUTS_DIR,
) -> Brief:
    """Read the scope's ``metrics.json`` and ``lag.json`` and assemble a :class:`Brief`.

    Raises:
        BriefInputError: a file is missing or lacks a required key (message names both).
        ValueError: ``lang`` is not "vi" or "en".
    """
    check_lang(lang)
    dirs = brief_dirs(
        scope, data, out_dir, assessment_dir, lag_dir, province_assessment_dir, outputs_dir
    )
    m_path = dirs.assessment_dir / METRICS_NAME
    l_path = dirs.lag_dir / LAG_NAME
    metrics = _read_json(m_path, METRICS_NAME, "notebooks/01_assessment.ipynb")
    check_metrics(metrics, m_path)
    lag = _read_json(l_path, LAG_NAME, "notebooks/02_disbursement_lag.ipynb")
    check_lag(lag, l_path)
    _check_same_scope(metrics, lag, m_path, l_path)
    inputs = {"metrics": m_path, "lag": l_path}
    p_path = dirs.province_assessment_dir / METRICS_NAME
    province = None
    if p_path.is_file() and p_path.resolve() != m_path.resolve():
        province = _read_json(p_path, METRICS_NAME, "notebooks/01_assessment.ipynb")
        inputs["province_metrics"] = p_path
    params = {
        "data": str(data),
        "scope": str(scope),
        "lang": lang,
        "out_dir": str(out_dir),
        "assessment_dir": str(assessment_dir),
        "lag_dir": str(lag_dir),
        "province_assessment_dir": str(province_assessment_dir),
    }
    ranking = district_ranking(metrics, province, data)
    return Brief(
        metrics=metrics,
        lag=lag,
        lang=lang,
        params=params,
        inputs=inputs,
        ranking=ranking,
        out_dir=dirs.out_dir,
        slug=dirs.slug,
    )


def _check_same_scope(metrics: Mapping, lag: Mapping, m_path: Path, l_path: Path) -> None:
    a, b = str(metrics.get("scope")), str(lag.get("scope"))
    prov = str(metrics.get("province_code") or "")
    norm = {a: a, b: b}
    for v in (a, b):
        if v == prov:
            norm[v] = "province"
    if norm[a] != norm[b]:
        raise BriefInputError(
            f"{m_path} is for scope {a!r} but {l_path} is for scope {b!r}: "
            "pass the folders of the same scope"
        )


def district_ranking(
    metrics: Mapping, province_metrics: Mapping | None = None, data: str | None = None
) -> list[dict] | None:
    """Rows of the district comparison (``unit_code``, ``name_vi``, ``name_en``, ``level``,
    ``execution_rate``, ``median_months_to_50``, ``rank``, ``vs_province_pp``).

    Taken from ``district_ranking`` in the scope's or the province's ``metrics.json`` when
    present; otherwise computed from ``data`` with :func:`helpers.analysis.metrics.district_comparison`
    (only when the data's SHA-256 equals the one ``metrics.json`` was built from); None when
    neither is possible.
    """
    for source in (metrics, province_metrics or {}):
        rows = source.get("district_ranking")
        if isinstance(rows, list) and rows:
            return [dict(r) for r in rows if isinstance(r, Mapping)]
    if not data:
        return None
    try:
        return _ranking_from_data(metrics, data)
    except Exception:  # noqa: BLE001 - a missing ranking is reported as "not available"
        return None


def _ranking_from_data(metrics: Mapping, data: str) -> list[dict] | None:
    from helpers.analysis import metrics as M
    from helpers.analysis.lines import line_table
    from helpers.data.datasets import open_dataset

    if not metrics.get("data_sha256"):
        return None  # cannot tell whether ``data`` is what the metrics were computed from
    ds = open_dataset(data)
    if metrics["data_sha256"] != ds.sha256:
        return None
    years = metrics.get("years") or list(M.DEFAULT_YEARS)
    prov = ds.province_code
    lines = line_table(
        M.filter_scope(ds.allocations, ds.units, prov, years),
        ds.disbursements,
        as_of=ds.disbursements["report_date"].max(),
    )
    table = M.district_comparison(lines, ds.disbursements, ds.units, prov)
    rows = json.loads(table.to_json(orient="records"))
    return rows


# --------------------------------------------------------------------------- sentences
def _m(b: Brief | Mapping) -> Mapping:
    return b.metrics if isinstance(b, Brief) else b


def capital_rates(metrics: Mapping) -> dict[str, float | None]:
    """Execution rates at the deadline and last report, overall and by capital type."""

    def deadline_total() -> float | None:
        if "disbursed_deadline_mvnd" in metrics:
            return num(metrics["disbursed_deadline_mvnd"])
        vals = [num(r.get("disbursed_deadline_mvnd")) for r in metrics["by_year"]]
        return sum(v for v in vals if v is not None) if vals else None

    def dec31_total() -> float | None:
        if "disbursed_dec31_mvnd" in metrics:
            return num(metrics["disbursed_dec31_mvnd"])
        vals = [num(r.get("disbursed_dec31_mvnd")) for r in metrics["by_year"]]
        return sum(v for v in vals if v is not None) if vals else None

    alloc = metrics.get("allocated_mvnd")
    out: dict[str, float | None] = {
        "last": ratio(metrics.get("disbursed_mvnd"), alloc),
        "deadline": num(metrics.get("execution_rate_deadline")),
        "dec31": num(metrics.get("execution_rate_dec31")),
    }
    if out["deadline"] is None:
        out["deadline"] = ratio(deadline_total(), alloc)
    if out["dec31"] is None:
        out["dec31"] = ratio(dec31_total(), alloc)
    for ctype in ("investment", "recurrent"):
        row = metrics["by_capital_type"].get(ctype) or {}
        out[f"{ctype}_deadline"] = ratio(
            row.get("disbursed_deadline_mvnd"), row.get("allocated_mvnd")
        )
        out[f"{ctype}_last"] = ratio(row.get("disbursed_mvnd"), row.get("allocated_mvnd"))
    return out


def sentence_totals(metrics: Mapping, lang: str, scope_phrase: str | None = None) -> str:
    """Allocated and disbursed over the period, with the rate at the last report."""
    alloc = num(metrics.get("allocated_mvnd"))
    if not alloc:
        return t("cap_no_allocation", lang)
    scope = scope_phrase or _scope_phrase(metrics, lang)
    years = metrics.get("years") or [r["plan_year"] for r in metrics["by_year"]]
    as_of = fmt_date(metrics["as_of"], lang) if metrics.get("as_of") else t("na", lang)
    return t(
        "cap_totals",
        lang,
        period=fmt_period(years),
        scope=scope,
        allocated=fmt_mvnd(alloc, lang),
        as_of=as_of,
        disbursed=fmt_mvnd(metrics.get("disbursed_mvnd"), lang),
        rate=fmt_pct(ratio(metrics.get("disbursed_mvnd"), alloc), lang),
    )


def _scope_phrase(metrics: Mapping, lang: str) -> str:
    name_ = (
        metrics.get(f"scope_name_{lang}")
        or metrics.get("scope_name_vi")
        or metrics.get("unit_code")
        or metrics.get("scope")
    )
    district = (
        metrics.get("scope_level")
        or ("province" if metrics.get("scope") == "province" else "district")
    ) != "province"
    return t("scope_district" if district else "scope_province", lang, name=name_)


def sentence_cutoffs(metrics: Mapping, lang: str) -> list[str]:
    """Rates at the deadline and at 31 Dec, and what came after the deadline."""
    rates = capital_rates(metrics)
    out = [
        t(
            "cap_cutoffs",
            lang,
            deadline=deadline_daymonth(lang),
            rate_deadline=fmt_pct(rates["deadline"], lang),
            dec31=year_end_daymonth(lang),
            rate_dec31=fmt_pct(rates["dec31"], lang),
        )
    ]
    alloc = num(metrics.get("allocated_mvnd"))
    dl = num(metrics.get("disbursed_deadline_mvnd"))
    last = num(metrics.get("disbursed_mvnd"))
    if alloc and dl is not None and last is not None and last - dl > 0:
        out.append(
            t(
                "cap_after_deadline",
                lang,
                amount=fmt_mvnd(last - dl, lang),
                share=fmt_pct((last - dl) / alloc, lang),
            )
        )
    return out


def sentence_years(metrics: Mapping, lang: str) -> list[str]:
    """Years without allocation, and the best and worst year at the deadline."""
    out = []
    empty = [r["plan_year"] for r in metrics["by_year"] if not num(r.get("allocated_mvnd"))]
    if empty:
        out.append(t("cap_no_alloc_years", lang, years=", ".join(str(int(y)) for y in empty)))
    rated = [
        (int(r["plan_year"]), ratio(r.get("disbursed_deadline_mvnd"), r.get("allocated_mvnd")))
        for r in metrics["by_year"]
    ]
    rated = [(y, v) for y, v in rated if v is not None]
    if len(rated) >= 2:
        worst = min(rated, key=lambda x: x[1])
        best = max(rated, key=lambda x: x[1])
        out.append(
            t(
                "cap_best_worst",
                lang,
                worst_year=worst[0],
                worst_rate=fmt_pct(worst[1], lang),
                best_year=best[0],
                best_rate=fmt_pct(best[1], lang),
            )
        )
    return out


def sentence_capital_types(metrics: Mapping, lang: str) -> str | None:
    """Investment against recurrent capital at the deadline, with the gap in points."""
    rates = capital_rates(metrics)
    inv, rec = rates["investment_deadline"], rates["recurrent_deadline"]
    if inv is None or rec is None:
        return None
    gap = (inv - rec) * 100
    gap_text = t("gap_rec_lower" if gap >= 0 else "gap_rec_higher", lang, gap=fmt_pp(gap, lang))
    types = metrics["by_capital_type"]
    return t(
        "cap_types",
        lang,
        inv_alloc=fmt_mvnd(types["investment"]["allocated_mvnd"], lang),
        inv_rate=fmt_pct(inv, lang),
        rec_alloc=fmt_mvnd(types["recurrent"]["allocated_mvnd"], lang),
        rec_rate=fmt_pct(rec, lang),
        gap=gap_text,
    )


def sentence_carry_over(metrics: Mapping, lang: str) -> list[str]:
    """Carried-over, later disbursed, still open and lapsed capital (when reported)."""
    carried = num(metrics.get("carried_over_mvnd"))
    alloc = num(metrics.get("allocated_mvnd"))
    out = []
    if carried is not None and alloc:
        later = num(metrics.get("carried_over_disbursed_mvnd"))
        later_share = num(metrics.get("carried_over_disbursed_share"))
        if later_share is None:
            later_share = ratio(later, carried)
        out.append(
            t(
                "cap_carry",
                lang,
                carried=fmt_mvnd(carried, lang),
                share=fmt_pct(carried / alloc, lang),
                later=fmt_mvnd(later, lang),
                later_share=fmt_pct(later_share, lang),
            )
        )
    open_ = num(metrics.get("carried_over_open_mvnd"))
    if open_:
        out.append(t("cap_carry_open", lang, amount=fmt_mvnd(open_, lang)))
    lapsed = num(metrics.get("lapsed_mvnd"))
    if lapsed is not None:
        out.append(t("cap_lapsed", lang, amount=fmt_mvnd(lapsed, lang)))
    return out


def sentence_concentration(metrics: Mapping, lang: str) -> str | None:
    q4, dj = num(metrics.get("q4_share")), num(metrics.get("dec_jan_share"))
    if q4 is None or dj is None:
        return None
    key = "cap_concentration" if dj > DEC_JAN_SHARE else "cap_concentration_even"
    return t(key, lang, q4=fmt_pct(q4, lang), dec_jan=fmt_pct(dj, lang))


def sentence_pefa(metrics: Mapping, lang: str) -> str:
    na = t("na", lang)
    return t(
        "cap_pefa",
        lang,
        pefa=name("pefa", lang),
        pi1=name("pi1", lang),
        pi2=name("pi2", lang),
        g1=metrics.get("pefa_aggregate_grade") or na,
        g2=metrics.get("pefa_composition_grade") or na,
    )


def sentence_months(lag: Mapping, lang: str) -> str:
    """Months from decision to 50 % and 90 % disbursed (standard profile)."""
    m50, m90 = scalar(lag.get("months_to_50pct")), scalar(lag.get("months_to_90pct"))
    if m50 is None:
        return t("tm_months_na", lang)
    common = {
        "m50": fmt_months(m50, lang),
        "p50": percent(0.5, lang, 0),
        "p90": percent(0.9, lang, 0),
    }
    if m90 is not None:
        return t("tm_months", lang, m90=fmt_months(m90, lang), **common)
    s90 = (lag.get("months_to_share") or {}).get("90pct") or {}
    km90, top = num(s90.get("km_median")), num(s90.get("asymptote"))
    if km90 is not None and top is not None:
        return t(
            "tm_months_km", lang, top=percent(top, lang, 0), km90=fmt_months(km90, lang), **common
        )
    if km90 is not None:
        return t("tm_months_km_only", lang, km90=fmt_months(km90, lang), **common)
    if top is not None and top < 0.9:
        return t("tm_months_top", lang, top=percent(top, lang, 0), **common)
    return t("tm_months_50", lang, na=t("na", lang), **common)


def timing_effect_status(lag: Mapping) -> str:
    """``ok``, ``few`` (fewer than :data:`MIN_LINES` lines), ``wide`` (interval includes
    zero) or ``na`` (no estimate)."""
    eff = lag.get("timing_effect_pp_per_month") or {}
    est = num(eff.get("estimate"))
    if est is None:
        return "na"
    n = num(lag.get("n_lines"))
    if n is None or n < MIN_LINES:
        return "few"
    if not interval_excludes_zero(eff.get("ci_low"), eff.get("ci_high")):
        return "wide"
    return "ok"


def counterfactual_status(lag: Mapping) -> str:
    """Like :func:`timing_effect_status` for the counterfactual gain."""
    cf = lag.get("counterfactual") or {}
    if num(cf.get("gain_mvnd")) is None:
        return "na"
    n = num(lag.get("n_lines"))
    if n is None or n < MIN_LINES:
        return "few"
    if not interval_excludes_zero(cf.get("ci_low"), cf.get("ci_high")):
        return "wide"
    return "ok"


def _pp_interval(lo: float, hi: float, lang: str) -> tuple[str, str]:
    """Interval ends as magnitudes (the sentence carries the direction), smaller first."""
    a, b = sorted((abs(lo), abs(hi)))
    return number(a, lang, 1), number(b, lang, 1)


def sentence_timing_effect(lag: Mapping, lang: str) -> str:
    """The timing effect per month of delay, or why the data cannot say."""
    status = timing_effect_status(lag)
    eff = lag.get("timing_effect_pp_per_month") or {}
    level = percent(num(lag.get("ci_level")) or CI_LEVEL, lang, 0)
    n = fmt_int(lag.get("n_lines"), lang)
    if status == "na":
        return t("tm_effect_na", lang)
    if status == "few":
        return t("tm_effect_few", lang, n=n, min=number(MIN_LINES, lang))
    lo, hi = num(eff.get("ci_low")), num(eff.get("ci_high"))
    if status == "wide":
        return t(
            "tm_effect_wide",
            lang,
            level=level,
            lo=_signed(lo, lang),
            hi=_signed(hi, lang),
            unit=t("pp_unit", lang),
            n=n,
        )
    est = num(eff["estimate"])
    lo_t, hi_t = _pp_interval(lo, hi, lang)  # type: ignore[arg-type]
    return t(
        "tm_effect",
        lang,
        direction=t("dir_down" if est < 0 else "dir_up", lang),
        effect=fmt_pp(est, lang),
        level=level,
        lo=lo_t,
        hi=hi_t,
        unit=t("pp_unit", lang),
        n=n,
    )


def sentence_timing_province(lag: Mapping, lang: str) -> str | None:
    """For a district: the province-wide timing effect beside the district's own."""
    prov = (lag.get("timing_effect_pp_per_month") or {}).get("province")
    if (
        not isinstance(prov, Mapping)
        or timing_effect_status(
            {"timing_effect_pp_per_month": prov, "n_lines": prov.get("n_lines")}
        )
        != "ok"
    ):
        return None
    est = num(prov["estimate"])
    return t(
        "tm_effect_province",
        lang,
        direction=t("dir_down" if est < 0 else "dir_up", lang),
        effect=fmt_pp(est, lang),
        n=fmt_int(prov.get("n_lines"), lang),
    )


def _signed(v: float | None, lang: str) -> str:
    if v is None:
        return t("na", lang)
    return number(v, lang, 1)


def _signed_mvnd(v: float | None, lang: str) -> str:
    if v is None:
        return t("na", lang)
    return mvnd(v, lang)


def sentence_counterfactual(lag: Mapping, metrics: Mapping, lang: str) -> str:
    """What assigning every line by the counterfactual date would have gained."""
    status = counterfactual_status(lag)
    cf = lag.get("counterfactual") or {}
    date = fmt_cf_date(cf.get("date"), lang)
    level = percent(num(lag.get("ci_level")) or CI_LEVEL, lang, 0)
    if status == "na":
        return t("tm_cf_na", lang)
    if status == "few":
        return t(
            "tm_cf_few",
            lang,
            date=date,
            n=fmt_int(lag.get("n_lines"), lang),
            min=number(MIN_LINES, lang),
        )
    lo, hi = num(cf.get("ci_low")), num(cf.get("ci_high"))
    if status == "wide":
        return t(
            "tm_cf_wide",
            lang,
            date=date,
            level=level,
            lo=_signed_mvnd(lo, lang),
            hi=_signed_mvnd(hi, lang),
        )
    gain = num(cf["gain_mvnd"])
    alloc = num(cf.get("allocated_mvnd")) or num(metrics.get("allocated_mvnd"))
    return t(
        "tm_cf",
        lang,
        date=date,
        gain=fmt_mvnd(gain, lang),
        level=level,
        lo=fmt_mvnd(lo, lang),
        hi=fmt_mvnd(hi, lang),
        share=fmt_pct(ratio(gain, alloc), lang),
    )


def sentence_moved(lag: Mapping, lang: str) -> str | None:
    """How many lines the counterfactual moves, and by how many months (when reported)."""
    cf = lag.get("counterfactual") or {}
    moved, n = num(cf.get("n_lines_moved")), num(cf.get("n_lines") or lag.get("n_lines"))
    months = num(cf.get("mean_months_gained"))
    if moved is None or n is None or months is None or counterfactual_status(lag) != "ok":
        return None
    return t(
        "tm_moved",
        lang,
        moved=fmt_int(moved, lang),
        n=fmt_int(n, lang),
        months=fmt_months(months, lang),
    )


def sentence_targets(metrics: Mapping, lang: str) -> str:
    total = num(metrics.get("targets_total"))
    met = num(metrics.get("targets_met"))
    if not total or met is None:
        return t("tg_none", lang)
    not_met, no_data = num(metrics.get("targets_not_met")), num(metrics.get("targets_no_data"))
    if not_met is None or no_data is None:
        return t("tg_summary_short", lang, met=fmt_int(met, lang), total=fmt_int(total, lang))
    return t(
        "tg_summary",
        lang,
        met=fmt_int(met, lang),
        total=fmt_int(total, lang),
        not_met=fmt_int(not_met, lang),
        no_data=fmt_int(no_data, lang),
    )


def _unit_name(row: Mapping, lang: str) -> str:
    return str(row.get(f"name_{lang}") or row.get("name_vi") or row.get("unit_code") or "")


def _districts(ranking: Sequence[Mapping] | None) -> list[Mapping]:
    return [
        r
        for r in ranking or []
        if str(r.get("level", "district")) == "district"
        and num(r.get("execution_rate")) is not None
    ]


def _province_row(ranking: Sequence[Mapping] | None) -> Mapping | None:
    return next((r for r in ranking or [] if str(r.get("level")) == "province"), None)


def sentence_ranking(b: Brief) -> list[str]:
    """Where a district stands (district brief) or how districts spread (province brief)."""
    lang, rows = b.lang, _districts(b.ranking)
    prov = _province_row(b.ranking)
    prov_rate = (
        num(prov.get("execution_rate"))
        if prov
        else num(b.metrics.get("province_execution_rate_deadline"))
    )
    if len(rows) < 2 or prov_rate is None:
        rank, n = b.metrics.get("district_rank"), b.metrics.get("districts_ranked")
        if b.is_district and num(rank) and num(n):
            return [
                t(
                    "rk_rank_only",
                    lang,
                    name=b.scope_name(),
                    rank=fmt_int(rank, lang),
                    n=fmt_int(n, lang),
                )
            ]
        return [t("rk_na", lang)]
    if not b.is_district:
        lo = min(rows, key=lambda r: r["execution_rate"])
        hi = max(rows, key=lambda r: r["execution_rate"])
        return [
            t(
                "rk_spread",
                lang,
                min_rate=fmt_pct(lo["execution_rate"], lang),
                min_name=_unit_name(lo, lang),
                max_rate=fmt_pct(hi["execution_rate"], lang),
                max_name=_unit_name(hi, lang),
                prov_rate=fmt_pct(prov_rate, lang),
            )
        ]
    me = next((r for r in rows if str(r.get("unit_code")) == b.unit_code), None)
    if me is None:
        return [t("rk_na", lang)]
    gap = (me["execution_rate"] - prov_rate) * 100
    diff = t("rk_above" if gap >= 0 else "rk_below", lang, gap=fmt_pp(gap, lang))
    out = [
        t(
            "rk_district",
            lang,
            name=b.scope_name(),
            rank=fmt_int(me.get("rank"), lang),
            n=number(len(rows), lang),
            rate=fmt_pct(me["execution_rate"], lang),
            prov_rate=fmt_pct(prov_rate, lang),
            diff=diff,
        )
    ]
    m, pm = (
        num(me.get("median_months_to_50")),
        num(prov.get("median_months_to_50")) if prov else None,
    )
    if m is not None and pm is not None:
        out.append(
            t(
                "rk_months",
                lang,
                p50=percent(0.5, lang, 0),
                m=fmt_months(m, lang),
                pm=fmt_months(pm, lang),
            )
        )
    return out


# --------------------------------------------------------------------------- findings
@dataclass(frozen=True)
class Finding:
    """A finding of the review with the number behind it (``values`` keeps the raw numbers)."""

    key: str
    text: str
    values: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Proposal:
    """A proposal for the next period, tied to the finding it answers."""

    key: str
    title: str
    text: str
    finding: Finding


def finding_late_allocation(b: Brief) -> Finding | None:
    """Late allocation cost disbursement: only when the counterfactual gain and the timing
    effect are both estimated with enough lines and intervals away from zero."""
    if counterfactual_status(b.lag) != "ok":
        return None
    cf, eff = b.lag["counterfactual"], b.lag["timing_effect_pp_per_month"]
    if num(cf["gain_mvnd"]) <= 0:  # type: ignore[operator]
        return None
    effect = (
        fmt_pp(num(eff.get("estimate")), b.lang)
        if timing_effect_status(b.lag) == "ok"
        else t("na", b.lang)
    )
    text = t(
        "fd_early",
        b.lang,
        period=b.period,
        date=b.cf_date,
        gain=fmt_mvnd(cf["gain_mvnd"], b.lang),
        level=b.ci_level,
        lo=fmt_mvnd(cf["ci_low"], b.lang),
        hi=fmt_mvnd(cf["ci_high"], b.lang),
        effect=effect,
    )
    return Finding(
        "late_allocation",
        text,
        {
            "gain_mvnd": num(cf["gain_mvnd"]),
            "ci_low": num(cf["ci_low"]),
            "ci_high": num(cf["ci_high"]),
        },
    )


def finding_recurrent_slow(b: Brief) -> Finding | None:
    rates = capital_rates(b.metrics)
    inv, rec = rates["investment_deadline"], rates["recurrent_deadline"]
    if inv is None or rec is None or (inv - rec) * 100 <= RECURRENT_GAP_PP:
        return None
    gap = (inv - rec) * 100
    text = t(
        "fd_recurrent",
        b.lang,
        rec_rate=fmt_pct(rec, b.lang),
        inv_rate=fmt_pct(inv, b.lang),
        gap=fmt_pp(gap, b.lang),
    )
    return Finding("recurrent_slow", text, {"gap_pp": gap, "investment": inv, "recurrent": rec})


def finding_carry_over(b: Brief) -> Finding | None:
    carried = num(b.metrics.get("carried_over_mvnd"))
    share = ratio(carried, b.metrics.get("allocated_mvnd"))
    if share is None or share <= CARRY_OVER_SHARE:
        return None
    text = t(
        "fd_carry",
        b.lang,
        carried=fmt_mvnd(carried, b.lang),
        share=fmt_pct(share, b.lang),
        lapsed=fmt_mvnd(b.metrics.get("lapsed_mvnd"), b.lang),
    )
    return Finding("carry_over", text, {"carried_over_mvnd": carried, "share": share})


def finding_year_end(b: Brief) -> Finding | None:
    dj = num(b.metrics.get("dec_jan_share"))
    if dj is None or dj <= DEC_JAN_SHARE:
        return None
    return Finding(
        "year_end", t("fd_yearend", b.lang, dec_jan=fmt_pct(dj, b.lang)), {"dec_jan_share": dj}
    )


def _not_met_names(metrics: Mapping, lang: str) -> str:
    card = metrics.get("target_scorecard")
    if not isinstance(card, list):
        return ""
    names = [
        str(r.get(f"name_{lang}") or r.get("name_vi") or r.get("indicator_code"))
        for r in card
        if isinstance(r, Mapping) and r.get("status") == "not_met"
    ]
    return (": " + "; ".join(names)) if names else ""


def finding_targets(b: Brief) -> Finding | None:
    total = num(b.metrics.get("targets_total"))
    met = num(b.metrics.get("targets_met"))
    not_met = num(b.metrics.get("targets_not_met"))
    if not_met is None and total is not None and met is not None:
        no_data = num(b.metrics.get("targets_no_data")) or 0
        not_met = total - met - no_data
    if not total or not not_met or not_met <= 0:
        return None
    text = t(
        "fd_targets",
        b.lang,
        not_met=fmt_int(not_met, b.lang),
        total=fmt_int(total, b.lang),
        names=_not_met_names(b.metrics, b.lang),
    )
    return Finding("targets", text, {"not_met": not_met, "total": total})


def finding_districts(b: Brief) -> Finding | None:
    """A district behind the province (district brief) or the districts behind (province)."""
    rows, prov = _districts(b.ranking), _province_row(b.ranking)
    if len(rows) < 2 or prov is None or num(prov.get("execution_rate")) is None:
        return None
    prov_rate = float(prov["execution_rate"])
    behind = [r for r in rows if (prov_rate - r["execution_rate"]) * 100 > DISTRICT_GAP_PP]
    if b.is_district:
        me = next((r for r in behind if str(r.get("unit_code")) == b.unit_code), None)
        if me is None:
            return None
        gap = (prov_rate - me["execution_rate"]) * 100
        text = t(
            "fd_district",
            b.lang,
            name=b.scope_name(),
            rate=fmt_pct(me["execution_rate"], b.lang),
            prov_rate=fmt_pct(prov_rate, b.lang),
            gap=fmt_pp(gap, b.lang),
            rank=fmt_int(me.get("rank"), b.lang),
            n=number(len(rows), b.lang),
        )
        return Finding("district_behind", text, {"gap_pp": gap})
    if not behind:
        return None
    names = ", ".join(
        f"{_unit_name(r, b.lang)} ({fmt_pct(r['execution_rate'], b.lang)})"
        for r in sorted(behind, key=lambda r: r["execution_rate"])
    )
    text = t(
        "fd_districts",
        b.lang,
        count=number(len(behind), b.lang),
        prov_rate=fmt_pct(prov_rate, b.lang),
        threshold=fmt_pp(DISTRICT_GAP_PP, b.lang),
        names=names,
    )
    return Finding("districts_behind", text, {"count": len(behind)})


FINDERS: tuple[Callable[[Brief], Finding | None], ...] = (
    finding_late_allocation,
    finding_recurrent_slow,
    finding_carry_over,
    finding_year_end,
    finding_targets,
    finding_districts,
)
"""Findings in the order the proposals are listed."""


def findings(b: Brief) -> list[Finding]:
    """Every finding strong enough to support a proposal."""
    return [f for f in (finder(b) for finder in FINDERS) if f is not None]


def proposal_for(f: Finding, b: Brief) -> Proposal:
    """The proposal that answers finding ``f``."""
    lang = b.lang
    ended = fmt_date(DISTRICT_LEVEL_ENDED.isoformat(), lang)
    spec: dict[str, tuple[str, str]] = {
        "late_allocation": (t("pr_early_title", lang, date=b.cf_date), t("pr_early", lang)),
        "recurrent_slow": (t("pr_recurrent_title", lang), t("pr_recurrent", lang)),
        "carry_over": (t("pr_carry_title", lang), t("pr_carry", lang)),
        "year_end": (t("pr_yearend_title", lang), t("pr_yearend", lang)),
        "targets": (t("pr_targets_title", lang), t("pr_targets", lang)),
        "district_behind": (
            t("pr_district_title", lang, name=b.scope_name()),
            t("pr_district", lang, date=ended),
        ),
        "districts_behind": (t("pr_districts_title", lang), t("pr_districts", lang, date=ended)),
    }
    title, text = spec[f.key]
    return Proposal(f.key, title, text, f)


def proposals(b: Brief) -> list[Proposal]:
    """The proposals for the next period, one per finding."""
    return [proposal_for(f, b) for f in findings(b)]


# --------------------------------------------------------------------------- figures
def _png_data_uri(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def figure_html(uri: str | None, caption: str, fig_id: str) -> str:
    """A ``<figure>`` with an embedded image (empty string when there is no image)."""
    if not uri:
        return ""
    if not uri.startswith("data:image/png;base64,"):
        raise ValueError("figures must be embedded PNG data URIs")
    img = f"<img{_attrs({'src': uri, 'alt': caption})}>"
    return el("figure", img + el("figcaption", esc(caption)), id=fig_id)


def chart_by_year(b: Brief) -> str | None:
    """Allocated and disbursed at the three cut-offs, by plan year with allocation."""
    rows = [r for r in b.metrics["by_year"] if num(r.get("allocated_mvnd"))]
    if not rows:
        return None
    lang = b.lang
    fig, ax = figures.new_figure(3.2)
    years = [str(int(r["plan_year"])) for r in rows]
    series = [
        ("allocated", "allocated_mvnd", figures.PALETTE_BY_KEY["allocated"]),
        ("dec31", "disbursed_dec31_mvnd", figures.PALETTE[3]),
        ("deadline", "disbursed_deadline_mvnd", figures.PALETTE[1]),
        ("last", "disbursed_last_mvnd", figures.PALETTE[0]),
    ]
    width = 0.2
    for i, (key, col, color) in enumerate(series):
        xs = [j + (i - 1.5) * width for j in range(len(rows))]
        ax.bar(
            xs,
            [num(r.get(col)) or 0.0 for r in rows],
            width=width,
            color=color,
            label=label(key, lang),
            edgecolor="white",
            linewidth=0.4,
        )
    ax.set_xticks(range(len(rows)), years)
    figures.amount_axis(ax, lang, scale=1000.0)
    ax.set_ylabel(label("bvnd", lang))
    figures.legend_below(ax, ncol=2)
    figures.finish(fig, demo=b.demo, lang=lang)
    return _png_data_uri(fig)


def chart_capital_types(b: Brief) -> str | None:
    """Execution rate by capital type at the deadline and last report."""
    rates = capital_rates(b.metrics)
    types = [c for c in ("investment", "recurrent") if rates[f"{c}_deadline"] is not None]
    if not types:
        return None
    lang = b.lang
    fig, ax = figures.new_figure(2.4)
    ys = range(len(types))
    ax.barh(
        [y + 0.18 for y in ys],
        [rates[f"{c}_deadline"] for c in types],
        height=0.34,
        color=figures.PALETTE[1],
        label=label("deadline", lang),
    )
    ax.barh(
        [y - 0.18 for y in ys],
        [rates[f"{c}_last"] or 0.0 for c in types],
        height=0.34,
        color=figures.PALETTE[0],
        label=label("last", lang),
    )
    ax.set_yticks(list(ys), [label(c, lang) for c in types])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    figures.percent_axis(ax, lang, axis="x")
    figures.legend_below(ax, ncol=2)
    figures.finish(fig, demo=b.demo, lang=lang)
    return _png_data_uri(fig)


def chart_counterfactual(b: Brief) -> str | None:
    """Disbursed by the deadline, actual and under the counterfactual, with its interval."""
    if counterfactual_status(b.lag) != "ok":
        return None
    cf = b.lag["counterfactual"]
    base = (
        num(cf.get("observed_deadline_mvnd"))
        or num(cf.get("actual_mvnd"))
        or num(b.metrics.get("disbursed_deadline_mvnd"))
    )
    if base is None:
        return None
    gain, lo, hi = num(cf["gain_mvnd"]), num(cf["ci_low"]), num(cf["ci_high"])
    lang = b.lang
    fig, ax = figures.new_figure(1.9)
    labels = [t("cf_actual", lang), t("cf_scenario", lang, date=b.cf_date)]
    ax.barh(
        [0, 1],
        [base, base + gain],
        color=[figures.PALETTE_BY_KEY["allocated"], figures.PALETTE[0]],
        height=0.55,
    )
    ax.errorbar(
        [base + gain],
        [1],
        xerr=[[gain - lo], [hi - gain]],
        fmt="none",
        ecolor="#d62728",
        capsize=4,
        linewidth=1.4,
    )
    ax.set_yticks([0, 1], labels)
    ax.invert_yaxis()
    figures.amount_axis(ax, lang, axis="x", scale=1000.0)
    ax.set_xlabel(label("bvnd", lang))
    figures.finish(fig, demo=b.demo, lang=lang)
    return _png_data_uri(fig)


def chart_counterfactual_by_year(b: Brief) -> str | None:
    """Per plan year: disbursed by the deadline, observed and under the counterfactual."""
    if counterfactual_status(b.lag) != "ok":
        return None
    rows = [r for r in b.lag["counterfactual"].get("by_year") or [] if isinstance(r, Mapping)]
    keys = (
        "plan_year",
        "observed_deadline_mvnd",
        "counterfactual_deadline_mvnd",
        "counterfactual_ci_low",
        "counterfactual_ci_high",
    )
    rows = [r for r in rows if all(num(r.get(k)) is not None for k in keys)]
    if len(rows) < 2:
        return None
    lang = b.lang
    fig, ax = figures.new_figure(2.9)
    xs = list(range(len(rows)))
    obs = [num(r["observed_deadline_mvnd"]) for r in rows]
    cfv = [num(r["counterfactual_deadline_mvnd"]) for r in rows]
    ax.bar(
        [x - 0.19 for x in xs],
        obs,
        width=0.38,
        color=figures.PALETTE_BY_KEY["allocated"],
        label=t("cf_actual", lang),
    )
    ax.bar(
        [x + 0.19 for x in xs],
        cfv,
        width=0.38,
        color=figures.PALETTE[0],
        label=t("cf_scenario", lang, date=b.cf_date),
    )
    err = [
        [c - num(r["counterfactual_ci_low"]) for c, r in zip(cfv, rows, strict=True)],
        [num(r["counterfactual_ci_high"]) - c for c, r in zip(cfv, rows, strict=True)],
    ]
    ax.errorbar(
        [x + 0.19 for x in xs],
        cfv,
        yerr=err,
        fmt="none",
        ecolor="#d62728",
        capsize=3,
        linewidth=1.2,
    )
    ax.set_xticks(xs, [str(int(num(r["plan_year"]))) for r in rows])
    figures.amount_axis(ax, lang, scale=1000.0)
    ax.set_ylabel(label("bvnd", lang))
    figures.legend_below(ax, ncol=2)
    figures.finish(fig, demo=b.demo, lang=lang)
    return _png_data_uri(fig)


def profile_curve(group: Mapping) -> Callable[[float], float] | None:
    """The fitted S-curve of a ``lag.json`` profile group (logistic or Gompertz), or None."""
    fit = ((group.get("fits") or {}).get(group.get("form")) or {}).get("params") or {}
    a, k = num(fit.get("a")), num(fit.get("k"))
    if a is None or k is None:
        return None
    if group.get("form") == "gompertz" and num(fit.get("b")) is not None:
        b_ = float(fit["b"])
        return lambda x: a * math.exp(-b_ * math.exp(-k * x))
    if group.get("form") == "logistic" and num(fit.get("t0")) is not None:
        t0 = float(fit["t0"])
        return lambda x: a / (1 + math.exp(-k * (x - t0)))
    return None


def _profile_groups(block: object) -> dict[str, Callable[[float], float]]:
    groups = (block or {}).get("groups") if isinstance(block, Mapping) else None
    out = {}
    for g in groups or []:
        if (
            isinstance(g, Mapping)
            and g.get("capital_type") in ("investment", "recurrent")
            and len(set(g) & {"allocation_quarter"}) == 0
        ):
            curve = profile_curve(g)
            if curve:
                out[str(g["capital_type"])] = curve
    return out


def chart_profiles(b: Brief) -> str | None:
    """Standard disbursement profiles by capital type drawn from the fitted curves in
    ``lag.json`` (the scope's own for a district, dashed: the province's)."""
    prof = b.lag.get("profile")
    if not isinstance(prof, Mapping):
        return None
    province = _profile_groups(prof.get("province_by_capital_type"))
    own = _profile_groups(prof.get("scope")) if b.is_district else {}
    if not province and not own:
        return None
    lang = b.lang
    fig, ax = figures.new_figure(2.9)
    xs = [i / 4 for i in range(0, 36 * 4 + 1)]
    colors = {"investment": figures.PALETTE_BY_KEY["investment"], "recurrent": figures.PALETTE[2]}
    prov_name = (
        t("province_row", lang, name=b.metrics.get(f"scope_name_{lang}") or "")
        if not b.is_district
        else label("province", lang)
    )
    for ctype, curve in province.items():
        ax.plot(
            xs,
            [curve(x) for x in xs],
            color=colors[ctype],
            linestyle="--" if own else "-",
            linewidth=1.3 if own else 1.8,
            label=f"{label(ctype, lang)} – {prov_name}",
        )
    for ctype, curve in own.items():
        ax.plot(
            xs,
            [curve(x) for x in xs],
            color=colors[ctype],
            linewidth=2.0,
            label=f"{label(ctype, lang)} – {b.scope_name()}",
        )
    ax.set_ylim(0, 1)
    ax.set_xlim(0, 36)
    figures.percent_axis(ax, lang)
    ax.set_xlabel(t("ax_months", lang))
    ax.legend(loc="lower right", frameon=True, framealpha=0.9, fontsize=7)
    figures.finish(fig, demo=b.demo, lang=lang)
    return _png_data_uri(fig)


PNG_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\.png")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def upstream_png(b: Brief, source: str, png_name: str) -> str | None:
    """A PNG the assessment (``source="metrics"``) or lag notebook (``"lag"``) wrote, as a data
    URI, when its result file lists it under ``figures``, it sits in the same folder, and it was
    drawn in the brief's language (``lang`` / ``parameters.lang`` of the result file)."""
    data = b.metrics if source == "metrics" else b.lag
    folder = b.inputs.get(source)
    listed = data.get("figures")
    if folder is None or not isinstance(listed, list) or png_name not in listed:
        return None
    drawn_in = data.get("lang") or (data.get("parameters") or {}).get("lang")
    if drawn_in != b.lang or not PNG_NAME.fullmatch(png_name):
        return None
    path = folder.parent / png_name
    if not path.is_file() or path.resolve().parent != folder.resolve().parent:
        return None
    raw = path.read_bytes()
    if not raw.startswith(PNG_SIGNATURE):
        return None
    return "data:image/png;base64," + base64.b64encode(raw).decode("ascii")


def chart_ranking(b: Brief) -> str | None:
    """District execution rates at the deadline, the scope highlighted, province as a line."""
    rows = sorted(_districts(b.ranking), key=lambda r: r["execution_rate"])
    prov = _province_row(b.ranking)
    if len(rows) < 2:
        return None
    lang = b.lang
    fig, ax = figures.new_figure(0.28 * len(rows) + 1.0)
    colors = [
        figures.PALETTE[0]
        if str(r.get("unit_code")) == b.unit_code and b.is_district
        else figures.PALETTE[1]
        for r in rows
    ]
    ax.barh(range(len(rows)), [r["execution_rate"] for r in rows], color=colors, height=0.7)
    ax.set_yticks(range(len(rows)), [_unit_name(r, lang) for r in rows])
    if prov and num(prov.get("execution_rate")) is not None:
        ax.axvline(
            float(prov["execution_rate"]),
            color=figures.PALETTE_BY_KEY["province"],
            linestyle="--",
            linewidth=1.2,
        )
    ax.set_xlim(0, 1)
    figures.percent_axis(ax, lang, axis="x")
    figures.finish(fig, demo=b.demo, lang=lang)
    return _png_data_uri(fig)


# --------------------------------------------------------------------------- sections
@dataclass(frozen=True)
class Section:
    """One section of the brief: shown inline in the notebook, assembled into the page."""

    id: str
    html: str
    page_break: bool = True

    def __repr__(self) -> str:
        return f"Section({self.id!r})"

    def render(self) -> str:
        cls = "brief-section" + (" page-break" if self.page_break else "")
        return el("section", self.html, id=self.id, class_=cls)

    def _repr_html_(self) -> str:
        return self.render()


def _h2(text: str) -> str:
    return el("h2", esc(text))


def title_section(b: Brief) -> Section:
    """Program, scope, period, purpose, data date, preparation date; DEMO when synthetic."""
    lang = b.lang
    badge = el("span", esc(DEMO_LABEL), class_="demo-badge", data_demo="title") if b.demo else ""
    title = t("title", lang, period=b.period, scope=b.scope_phrase())
    scope_key = "scope_line_district" if b.is_district else "scope_line_province"
    meta = " · ".join(
        [
            t(scope_key, lang, name=b.scope_name(), code=b.unit_code),
            t("as_of", lang, date=b.as_of),
            t("prepared", lang, date=fmt_date(b.generated_at.date().isoformat(), lang)),
        ]
    )
    parts = [
        el("p", esc(name("program", lang)), class_="kicker"),
        el("h1", badge + esc(title)),
        el("p", esc(t("subtitle", lang, next_period=b.next_period)), class_="subtitle"),
        el("p", esc(meta), class_="meta"),
    ]
    if b.demo:
        parts.append(
            el("p", esc(DEMO_NOTE_VI if lang == "vi" else DEMO_NOTE_EN), class_="demo-note")
        )
    return Section("title", el("div", "".join(parts), class_="title-block"), page_break=False)


def key_figures(b: Brief) -> list[dict[str, str]]:
    """The key-figures panel as ``{key, label, value, note}`` (values formatted per language)."""
    m, lang = b.metrics, b.lang
    alloc = num(m.get("allocated_mvnd"))
    rates = capital_rates(m)
    carried = num(m.get("carried_over_mvnd"))
    total, met = num(m.get("targets_total")), num(m.get("targets_met"))
    targets = (
        t("kf_targets_value", lang, met=fmt_int(met, lang), total=fmt_int(total, lang))
        if total
        else t("na", lang)
    )
    tnote = (
        t(
            "kf_targets_note",
            lang,
            not_met=fmt_int(m.get("targets_not_met"), lang),
            no_data=fmt_int(m.get("targets_no_data"), lang),
        )
        if total and "targets_not_met" in m and "targets_no_data" in m
        else ""
    )
    return [
        {
            "key": "allocated",
            "label": t("kf_allocated", lang, period=b.period),
            "value": fmt_mvnd(alloc, lang),
            "note": t("kf_allocated_note", lang),
        },
        {
            "key": "disbursed",
            "label": t("kf_disbursed", lang, date=b.as_of),
            "value": fmt_mvnd(m.get("disbursed_mvnd"), lang),
            "note": t("kf_share_note", lang, share=fmt_pct(rates["last"], lang)),
        },
        {
            "key": "execution_rate_deadline",
            "label": t("kf_deadline", lang, deadline=deadline_daymonth(lang)),
            "value": fmt_pct(rates["deadline"], lang),
            "note": fmt_mvnd(m.get("disbursed_deadline_mvnd"), lang)
            if "disbursed_deadline_mvnd" in m
            else "",
        },
        {
            "key": "carried_over",
            "label": t("kf_carried", lang),
            "value": fmt_mvnd(carried, lang),
            "note": t("kf_share_note", lang, share=fmt_pct(ratio(carried, alloc), lang))
            if carried is not None
            else "",
        },
        {"key": "targets_met", "label": t("kf_targets", lang), "value": targets, "note": tnote},
    ]


def key_figures_section(b: Brief) -> Section:
    """Allocated, disbursed, rate at the deadline, carried over, targets met N of M."""
    cards = []
    for kf in key_figures(b):
        inner = (
            el("span", esc(kf["label"]), class_="kf-label")
            + el("span", esc(kf["value"]), class_="kf-value")
            + (el("span", esc(kf["note"]), class_="kf-note") if kf["note"] else "")
        )
        cards.append(el("div", inner, class_="kf", data_key=kf["key"]))
    body = _h2(t("h_key", b.lang)) + el(
        "div", "".join(cards), class_="key-figures", id="key-figures-panel"
    )
    return Section("key-figures", body, page_break=False)


def _table(
    caption: str,
    head: Sequence[tuple[str, bool]],
    rows: Iterable[Sequence[str]],
    row_classes: Sequence[str | None] | None = None,
    table_id: str | None = None,
) -> str:
    """A table; ``head`` = (label, numeric); cells are plain text (escaped)."""
    ths = "".join(el("th", esc(h), class_="num" if n else None, scope="col") for h, n in head)
    body = []
    for i, row in enumerate(rows):
        tds = "".join(
            el("td", esc(v), class_="num" if head[j][1] else None) for j, v in enumerate(row)
        )
        cls = row_classes[i] if row_classes else None
        body.append(el("tr", tds, class_=cls))
    return el(
        "table",
        el("caption", esc(caption)) + el("thead", el("tr", ths)) + el("tbody", "".join(body)),
        id=table_id,
    )


def _by_year_table(b: Brief) -> str:
    lang = b.lang
    dec31, deadline = year_end_daymonth(lang), deadline_daymonth(lang)
    head = [
        (t("col_year", lang), False),
        (t("col_allocated", lang), True),
        (t("col_by", lang, date=dec31), True),
        (t("col_by_next", lang, date=deadline), True),
        (t("col_by_last", lang), True),
        (t("col_rate_deadline", lang), True),
    ]
    rows = []
    for r in b.metrics["by_year"]:
        rate = ratio(r["disbursed_deadline_mvnd"], r["allocated_mvnd"])
        rows.append(
            [
                str(int(r["plan_year"])),
                number(num(r["allocated_mvnd"]) or 0, lang),
                number(num(r["disbursed_dec31_mvnd"]) or 0, lang),
                number(num(r["disbursed_deadline_mvnd"]) or 0, lang),
                number(num(r["disbursed_last_mvnd"]) or 0, lang),
                "–" if rate is None else fmt_pct(rate, lang),
            ]
        )
    m = b.metrics
    rows.append(
        [
            t("col_total", lang),
            number(num(m["allocated_mvnd"]) or 0, lang),
            fmt_int(m.get("disbursed_dec31_mvnd"), lang),
            fmt_int(m.get("disbursed_deadline_mvnd"), lang),
            number(num(m["disbursed_mvnd"]) or 0, lang),
            fmt_pct(capital_rates(m)["deadline"], lang),
        ]
    )
    classes = [None] * (len(rows) - 1) + ["highlight"]
    return _table(t("tbl_by_year", lang), head, rows, classes, table_id="table-by-year")


def _sources_table(b: Brief) -> str:
    lang = b.lang
    head = [
        (t("col_source", lang), False),
        (label("allocated", lang), True),
        (label("disbursed", lang), True),
        (t("col_rate_last", lang), True),
    ]
    rows = []
    for key, row in b.metrics["by_source"].items():
        if not isinstance(row, Mapping) or not num(row.get("allocated_mvnd")):
            continue
        try:
            src = label(str(key), lang)
        except KeyError:
            src = str(key)
        rows.append(
            [
                src,
                fmt_int(row.get("allocated_mvnd"), lang),
                fmt_int(row.get("disbursed_mvnd"), lang),
                fmt_pct(ratio(row.get("disbursed_mvnd"), row.get("allocated_mvnd")), lang),
            ]
        )
    return _table(t("tbl_sources", lang), head, rows, table_id="table-sources") if rows else ""


def capital_section(b: Brief) -> Section:
    """Capital and disbursement over the period: totals, cut-offs, years, types, carry-over."""
    m, lang = b.metrics, b.lang
    paras = [sentence_totals(m, lang, b.scope_phrase())]
    if num(m.get("allocated_mvnd")):
        paras += sentence_cutoffs(m, lang) + sentence_years(m, lang)
    body = [_h2(t("h_capital", lang, period=b.period)), "".join(para(p) for p in paras)]
    body.append(figure_html(chart_by_year(b), t("fig_by_year", lang), "fig-by-year"))
    body.append(_by_year_table(b))
    types = sentence_capital_types(m, lang)
    more = ([types] if types else []) + sentence_carry_over(m, lang)
    conc = sentence_concentration(m, lang)
    more += ([conc] if conc else []) + [sentence_pefa(m, lang)]
    body.append("".join(para(p) for p in more))
    body.append(figure_html(chart_capital_types(b), t("fig_types", lang), "fig-types"))
    body.append(_sources_table(b))
    body.append(
        figure_html(
            upstream_png(b, "metrics", "monthly_profile.png"), t("fig_monthly", lang), "fig-monthly"
        )
    )
    return Section("capital", "".join(body))


def timing_section(b: Brief) -> Section:
    """Months to disburse, the timing effect and the counterfactual with its interval."""
    lang = b.lang
    moved = sentence_moved(b.lag, lang)
    prov = sentence_timing_province(b.lag, lang) if b.is_district else None
    paras = [sentence_months(b.lag, lang), sentence_timing_effect(b.lag, lang)]
    paras += ([prov] if prov else []) + [sentence_counterfactual(b.lag, b.metrics, lang)]
    paras += [moved] if moved else []
    body = _h2(t("h_timing", lang)) + "".join(para(p) for p in paras)
    by_year = chart_counterfactual_by_year(b)
    if by_year:
        body += figure_html(
            by_year, t("fig_cf_years", lang, date=b.cf_date, level=b.ci_level), "fig-counterfactual"
        )
    else:
        body += figure_html(
            chart_counterfactual(b),
            t("fig_cf", lang, date=b.cf_date, level=b.ci_level),
            "fig-counterfactual",
        )
    upstream = upstream_png(b, "lag", "profiles.png")
    if upstream:
        body += figure_html(upstream, t("fig_profiles", lang), "fig-profiles")
    else:
        body += figure_html(chart_profiles(b), t("fig_profiles_drawn", lang), "fig-profiles")
    return Section("timing", body)


def _targets_table(b: Brief) -> str:
    card = b.metrics.get("target_scorecard")
    if not isinstance(card, list) or not card:
        return ""
    lang = b.lang
    head = [
        (t("col_indicator", lang), False),
        (t("col_baseline", lang), True),
        (t("col_target", lang), True),
        (t("col_latest", lang), True),
        (t("col_status", lang), False),
    ]
    rows = []
    for r in card:
        if not isinstance(r, Mapping):
            continue
        status = str(r.get("status", "no_data"))
        st = t(f"st_{status}", lang) if f"st_{status}" in TEXT else status
        rows.append(
            [
                _unit_name(
                    {
                        "name_vi": r.get("name_vi"),
                        "name_en": r.get("name_en"),
                        "unit_code": r.get("indicator_code"),
                    },
                    lang,
                ),
                _fmt_value(r.get("baseline_value"), lang),
                _fmt_value(r.get("target_value"), lang),
                _fmt_value(r.get("latest_value"), lang),
                st,
            ]
        )
    return _table(t("tbl_targets", lang), head, rows, table_id="table-targets")


def _fmt_value(v: object, lang: str) -> str:
    x = num(v)
    if x is None:
        return "–"
    return number(x, lang, 0 if float(x).is_integer() else 2)


def targets_section(b: Brief) -> Section:
    """N of M targets met (and the scorecard when ``metrics.json`` carries it)."""
    body = _h2(t("h_targets", b.lang)) + para(sentence_targets(b.metrics, b.lang))
    table = _targets_table(b)
    if not table:
        table = figure_html(
            upstream_png(b, "metrics", "target_scorecard.png"),
            t("fig_scorecard", b.lang),
            "fig-scorecard",
        )
    return Section("targets", body + table)


def _ranking_table(b: Brief) -> str:
    lang = b.lang
    rows_in = sorted(_districts(b.ranking), key=lambda r: num(r.get("rank")) or 1e9)
    prov = _province_row(b.ranking)
    head = [
        (t("col_rank", lang), True),
        (t("col_unit", lang), False),
        (t("col_rate_deadline", lang), True),
        (t("col_months50", lang, p50=percent(0.5, lang, 0)), True),
    ]
    rows, classes = [], []
    for r in rows_in + ([prov] if prov else []):
        unit = (
            _unit_name(r, lang)
            if r is not prov
            else t("province_row", lang, name=_unit_name(r, lang))
        )
        rows.append(
            [
                fmt_int(r.get("rank"), lang) if r is not prov else "",
                unit,
                fmt_pct(r.get("execution_rate"), lang),
                fmt_months(r.get("median_months_to_50"), lang),
            ]
        )
        classes.append(
            "reference"
            if r is prov
            else ("highlight" if b.is_district and str(r.get("unit_code")) == b.unit_code else None)
        )
    return _table(t("tbl_ranking", lang), head, rows, classes, table_id="table-ranking")


def ranking_section(b: Brief) -> Section:
    """For a district: where it stands among the province's districts; for the province: how
    districts compare."""
    lang = b.lang
    title = t("h_ranking_district" if b.is_district else "h_ranking_province", lang)
    body = _h2(title) + "".join(para(p) for p in sentence_ranking(b))
    if len(_districts(b.ranking)) >= 2:
        body += figure_html(chart_ranking(b), t("fig_ranking", lang), "fig-ranking")
        body += _ranking_table(b)
    return Section("ranking", body)


def proposals_section(b: Brief) -> Section:
    """Proposals for the next period, each with the finding and number it rests on."""
    lang = b.lang
    items = []
    for p in proposals(b):
        inner = (
            el("span", esc(p.title), class_="proposal-title")
            + esc(p.text)
            + el(
                "span",
                el("b", esc(t("pr_basis", lang))) + " " + esc(p.finding.text),
                class_="proposal-basis",
            )
        )
        items.append(el("li", inner, data_finding=p.key))
    body = _h2(t("h_proposals", lang, next_period=b.next_period))
    if items:
        body += para(t("pr_intro", lang)) + el("ol", "".join(items), class_="proposals")
    else:
        body += para(t("pr_none", lang))
    return Section("proposals", body)


def _pefa_years(m: Mapping) -> str:
    years = m.get("pefa_aggregate_years")
    if isinstance(years, list) and years:
        return ", ".join(str(int(y)) for y in years)
    return "–"


def _lc(text: str) -> str:
    """Lower-case the first letter of a label used inside a sentence."""
    return text[:1].lower() + text[1:]


def method_notes(b: Brief) -> list[str]:
    """The method and data notes, as plain-text items."""
    lang, m = b.lang, b.metrics
    notes = [
        t(
            "mn_cutoffs",
            lang,
            dec31=_lc(label("dec31", lang)),
            deadline=_lc(label("deadline", lang)),
            last=_lc(label("last", lang)),
            as_of=b.as_of,
        ),
        t(
            "mn_pefa",
            lang,
            pefa=name("pefa", lang),
            pi1=name("pi1", lang),
            pi2=name("pi2", lang),
            years=_pefa_years(m),
        ),
        t("mn_lag", lang, n=fmt_int(b.lag.get("n_lines"), lang), date=b.cf_date),
        t("mn_small", lang, min=number(MIN_LINES, lang)),
        t(
            "mn_thresholds",
            lang,
            gap=fmt_pp(RECURRENT_GAP_PP, lang),
            carry=percent(CARRY_OVER_SHARE, lang, 0),
            decjan=percent(DEC_JAN_SHARE, lang, 0),
            district=fmt_pp(DISTRICT_GAP_PP, lang),
        ),
    ]
    if b.is_district:
        notes.append(
            t("mn_district_level", lang, date=fmt_date(DISTRICT_LEVEL_ENDED.isoformat(), lang))
        )
    origin = m.get("data_origin") or b.lag.get("data_origin")
    if origin:
        notes.append(t("mn_origin", lang, origin=origin))
    if b.demo:
        notes.append(DEMO_NOTE_VI if lang == "vi" else DEMO_NOTE_EN)
    return notes


def _caveat_text(item: object, lang: str) -> str | None:
    if isinstance(item, Mapping):
        text = item.get(lang) or item.get("en") or item.get("vi") or item.get("text")
        return str(text) if text else None
    if isinstance(item, str | int | float):
        return str(item)
    return None


def caveats(lag: Mapping, lang: str) -> list[str]:
    """The model's own caveats from ``lag.json`` (strings or ``{id, vi, en}`` objects)."""
    for key in ("caveats", "notes", "warnings"):
        v = lag.get(key)
        if isinstance(v, str) and v.strip():
            return [v]
        if isinstance(v, list):
            texts = [_caveat_text(x, lang) for x in v]
            return list(dict.fromkeys(x for x in texts if x))
    return []


def ph_verdicts(lag: Mapping, lang: str) -> list[str]:
    """The proportional-hazards verdicts of the Cox models, in words (when reported)."""
    out = []
    checks = lag.get("ph_check")
    if not isinstance(checks, Mapping):
        return out
    for key, check in checks.items():
        if not isinstance(check, Mapping):
            continue
        verdict = check.get(f"verdict_{lang}") or check.get("verdict_en")
        share = re.fullmatch(r"(\d+)pct", str(key))
        if verdict and share:
            out.append(
                t("mn_ph", lang, p=percent(int(share.group(1)) / 100, lang, 0), verdict=verdict)
            )
    return out


def method_section(b: Brief) -> Section:
    """How the numbers were computed and what the data are."""
    items = "".join(el("li", esc(n)) for n in method_notes(b))
    items += "".join(el("li", esc(v)) for v in ph_verdicts(b.lag, b.lang))
    notes = caveats(b.lag, b.lang)
    if notes:
        items += el(
            "li", esc(t("mn_caveats", b.lang)) + el("ul", "".join(el("li", esc(c)) for c in notes))
        )
    return Section("method", _h2(t("h_method", b.lang)) + el("ul", items, class_="notes"))


def _display_path(p: Path) -> str:
    try:
        return p.resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return p.name


def provenance(b: Brief) -> list[tuple[str, str]]:
    """Rows of the provenance footer as (label, plain text)."""
    lang, m = b.lang, b.metrics
    unknown = t("pv_unknown", lang)
    origin = m.get("data_origin") or b.lag.get("data_origin") or b.params.get("data") or unknown
    sha = m.get("data_sha256") or b.lag.get("data_sha256") or unknown
    inputs = "; ".join(
        f"{_display_path(p)} ({name('sha', lang)} {file_sha256(p)[:16]}…)"
        for p in b.inputs.values()
        if p.is_file()
    )
    params = ", ".join(f"{k}={v!r}" for k, v in b.params.items())
    rows = [
        (t("pv_source", lang), str(origin)),
        (name("sha", lang), str(sha)),
        (t("pv_inputs", lang), inputs or unknown),
        (t("pv_params", lang), params or unknown),
        (t("pv_version", lang), f"mtqg-workbench {__version__}"),
        (t("pv_commit", lang), git_commit() or unknown),
        (t("pv_time", lang), b.generated_at.isoformat()),
    ]
    if b.demo:
        rows.insert(0, (DEMO_LABEL, DEMO_NOTE_VI if lang == "vi" else DEMO_NOTE_EN))
    return rows


def provenance_section(b: Brief) -> Section:
    """Footer: data source and SHA-256, parameters, workbench version and commit, run time."""
    rows = "".join(el("dt", esc(k)) + el("dd", esc(v)) for k, v in provenance(b))
    demo = (
        el(
            "p",
            esc(DEMO_NOTE_VI if b.lang == "vi" else DEMO_NOTE_EN),
            class_="demo-note",
            data_demo="footer",
        )
        if b.demo
        else ""
    )
    footer = el("footer", el("dl", rows) + demo, class_="provenance", id="provenance")
    return Section("provenance-footer", footer, page_break=False)


SECTIONS: tuple[Callable[[Brief], Section], ...] = (
    title_section,
    key_figures_section,
    capital_section,
    timing_section,
    targets_section,
    ranking_section,
    proposals_section,
    method_section,
    provenance_section,
)
"""The sections of a brief in the order of issue 5."""


def sections(b: Brief) -> list[Section]:
    """Every section of the brief, in order."""
    return [f(b) for f in SECTIONS]


# --------------------------------------------------------------------------- page
def _template(name_: str) -> str:
    return (TEMPLATES_DIR / name_).read_text(encoding="utf-8")


def page(title: str, body_html: str, lang: str, demo: bool, main_class: str = "brief") -> str:
    """The self-contained page shell around ``body_html`` (CSS inline, no script)."""
    mark = (
        el(
            "div",
            esc(DEMO_LABEL),
            id="demo-mark",
            class_="demo-mark",
            role="note",
            aria_label=DEMO_NOTE_VI if lang == "vi" else DEMO_NOTE_EN,
        )
        if demo
        else ""
    )
    return Template(_template("page.html")).substitute(
        lang=esc(lang),
        generator=esc(f"mtqg-workbench {__version__}"),
        title=esc(title),
        css=_template("brief.css"),
        body_class="demo" if demo else "",
        demo_mark=mark,
        main_class=main_class,
        body=body_html,
    )


def render_html(b: Brief) -> str:
    """The complete brief page."""
    title = t("title", b.lang, period=b.period, scope=b.scope_phrase())
    if b.demo:
        title = f"{DEMO_LABEL} – {title}"
    body = "\n".join(s.render() for s in sections(b))
    return page(title, body, b.lang, b.demo)


def index_entry(b: Brief, html_name: str) -> dict:
    """The headline numbers of a brief for the run's ``index.html``."""
    m = b.metrics
    return {
        "slug": b.slug,
        "scope": m.get("scope"),
        "unit_code": b.unit_code,
        "level": "district" if b.is_district else "province",
        "name_vi": b.scope_name("vi"),
        "name_en": b.scope_name("en"),
        "lang": b.lang,
        "demo": b.demo,
        "html": html_name,
        "period": b.period,
        "allocated_mvnd": num(m.get("allocated_mvnd")),
        "disbursed_mvnd": num(m.get("disbursed_mvnd")),
        "execution_rate_deadline": capital_rates(m)["deadline"],
        "carried_over_mvnd": num(m.get("carried_over_mvnd")),
        "targets_met": num(m.get("targets_met")),
        "targets_total": num(m.get("targets_total")),
        "generated_at": b.generated_at.isoformat(),
    }


def write_brief(b: Brief, out_dir: str | Path | None = None) -> dict[str, Path]:
    """Write ``brief.<lang>.html`` and its index entry ``brief.<lang>.json`` (atomically).

    Returns:
        ``{"html": path, "entry": path}``.
    """
    target = Path(out_dir) if out_dir is not None else b.out_dir
    if target is None:
        raise ValueError("write_brief: no out_dir")
    html_name = HTML_NAME.format(lang=check_lang(b.lang))
    html_path = atomic_write_text(target / html_name, render_html(b))
    entry_path = atomic_write_json(
        target / ENTRY_NAME.format(lang=b.lang), index_entry(b, html_name)
    )
    return {"html": html_path, "entry": entry_path}


def written(paths: Mapping[str, Path]) -> Section:
    """A short note for the notebook: where the brief was written."""
    items = "".join(el("li", el("code", esc(_display_path(p)))) for p in paths.values())
    return Section("written", el("ul", items), page_break=False)


# --------------------------------------------------------------------------- index
def collect_entries(root: str | Path = OUTPUTS_DIR) -> list[dict]:
    """The index entries of every brief under ``root/<slug>/brief/`` (``html_path`` added)."""
    out = []
    for path in sorted(Path(root).glob("*/brief/brief.*.json")):
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        html_name = str(entry.get("html", ""))
        if not re.fullmatch(r"brief\.[a-z]{2}\.html", html_name):
            continue
        entry["html_path"] = str(path.parent / html_name)
        out.append(entry)
    return out


def _href(target: Path, base: Path) -> str:
    rel = os.path.relpath(Path(target).resolve(), Path(base).resolve())
    return urllib.parse.quote(Path(rel).as_posix())


def _entry_sort_key(e: Mapping) -> tuple:
    return (e.get("level") != "province", str(e.get("unit_code") or e.get("slug") or ""))


def write_index(entries: Iterable[Mapping], out_path: str | Path, lang: str = "vi") -> Path:
    """Write the run's ``index.html``: every brief with its headline numbers and links.

    Args:
        entries: index entries (:func:`index_entry` dicts, e.g. from :func:`collect_entries`),
            each with ``html_path`` (absolute, or relative to the current directory) or
            ``html`` plus ``slug`` (then taken as ``<index folder>/<slug>/brief/<html>``).
        out_path: the ``index.html`` to write; links are relative to its folder.
        lang: language of the page and of the numbers.
    """
    check_lang(lang)
    out_path = Path(out_path)
    base = out_path.parent
    groups: dict[str, list[Mapping]] = {}
    for e in entries:
        groups.setdefault(str(e.get("slug") or scope_slug(str(e.get("unit_code")))), []).append(e)
    head = [
        (t("col_unit", lang), False),
        (t("col_allocated", lang), True),
        (t("ix_disbursed", lang), True),
        (t("col_rate_deadline", lang), True),
        (t("ix_carried", lang), True),
        (t("kf_targets", lang), True),
        (t("ix_links", lang), False),
    ]
    rows = []
    demo = False
    for slug, group in sorted(groups.items(), key=lambda kv: _entry_sort_key(kv[1][0])):
        main = next((e for e in group if e.get("lang") == lang), group[0])
        demo = demo or any(bool(e.get("demo")) for e in group)
        links = []
        for e in sorted(group, key=lambda e: (e.get("lang") != lang, str(e.get("lang")))):
            target = (
                Path(str(e["html_path"]))
                if e.get("html_path")
                else base / scope_slug(slug) / "brief" / Path(str(e.get("html", ""))).name
            )
            links.append(
                el(
                    "a",
                    esc(LANG_NAMES.get(str(e.get("lang")), str(e.get("lang")))),
                    href=_href(target, base),
                    hreflang=e.get("lang"),
                )
            )
        total = num(main.get("targets_total"))
        unit = _unit_name(main, lang)
        if main.get("level") == "province":
            unit = t("province_row", lang, name=unit)
        cells = [
            esc(unit),
            esc(fmt_int(main.get("allocated_mvnd"), lang)),
            esc(fmt_int(main.get("disbursed_mvnd"), lang)),
            esc(fmt_pct(main.get("execution_rate_deadline"), lang)),
            esc(fmt_int(main.get("carried_over_mvnd"), lang)),
            esc(
                t(
                    "kf_targets_value",
                    lang,
                    met=fmt_int(main.get("targets_met"), lang),
                    total=fmt_int(total, lang),
                )
                if total
                else t("na", lang)
            ),
            " ".join(links),
        ]
        tds = "".join(
            el("td", c, class_="num" if head[j][1] else None) for j, c in enumerate(cells)
        )
        rows.append(el("tr", tds, data_slug=slug))
    ths = "".join(el("th", esc(h), class_="num" if n else None, scope="col") for h, n in head)
    table = el(
        "table",
        el("caption", esc(t("ix_unit", lang)))
        + el("thead", el("tr", ths))
        + el("tbody", "".join(rows)),
        id="index-table",
    )
    title = t("ix_title", lang)
    parts = [
        el("p", esc(name("program", lang)), class_="kicker"),
        el("h1", (el("span", esc(DEMO_LABEL), class_="demo-badge") if demo else "") + esc(title)),
        para(t("ix_intro", lang, n=number(len(groups), lang))),
    ]
    if demo:
        parts.append(
            el("p", esc(DEMO_NOTE_VI if lang == "vi" else DEMO_NOTE_EN), class_="demo-note")
        )
    parts.append(table)
    parts.append(
        el(
            "footer",
            esc(
                t(
                    "ix_generated",
                    lang,
                    time=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
                )
            )
            + " · "
            + esc(f"mtqg-workbench {__version__}"),
            class_="provenance",
        )
    )
    full_title = f"{DEMO_LABEL} – {title}" if demo else title
    return atomic_write_text(
        out_path, page(full_title, "\n".join(parts), lang, demo, main_class="index")
    )


# --------------------------------------------------------------------------- CLI
def main(argv: Sequence[str] | None = None) -> int:
    """``python -m helpers.report.brief render|index …`` (see the module docstring)."""
    parser = argparse.ArgumentParser(
        prog="python -m helpers.report.brief",
        description="Render workshop briefs and the run index.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("render", help="render one brief from metrics.json and lag.json")
    r.add_argument("--scope", default="province")
    r.add_argument("--data", default="demo", help="dataset (for the district ranking fallback)")
    r.add_argument("--lang", default="vi", choices=["vi", "en"])
    r.add_argument("--assessment-dir", default="")
    r.add_argument("--lag-dir", default="")
    r.add_argument("--province-assessment-dir", default="")
    r.add_argument(
        "--out-dir", default="", help="folder for brief.<lang>.html (default outputs/<slug>/brief)"
    )
    i = sub.add_parser("index", help="write index.html for every brief under a folder")
    i.add_argument("root", nargs="?", default=str(OUTPUTS_DIR))
    i.add_argument("--out", default="", help="index file (default ROOT/index.html)")
    i.add_argument("--lang", default="vi", choices=["vi", "en"])
    args = parser.parse_args(argv)
    try:
        if args.command == "render":
            b = load_brief(
                data=args.data,
                scope=args.scope,
                lang=args.lang,
                out_dir=args.out_dir,
                assessment_dir=args.assessment_dir,
                lag_dir=args.lag_dir,
                province_assessment_dir=args.province_assessment_dir,
            )
            print(write_brief(b)["html"])
        else:
            root = Path(args.root)
            out = write_index(
                collect_entries(root), Path(args.out or root / "index.html"), lang=args.lang
            )
            print(out)
    except (BriefInputError, ValueError) as exc:
        print(f"brief: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
