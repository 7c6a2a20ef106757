# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     formats: ipynb,py:percent
#     notebook_metadata_filter: kernelspec,jupytext,-widgets
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Đánh giá thực hiện Chương trình MTQG 1719, giai đoạn 2021–2025
# # Assessment of the 2021–2025 implementation of National Target Program 1719
#
# How did 2021–2025 go, for the province as a whole or for one district? This notebook
# answers from the validated tables (allocations, disbursement snapshots, targets): how much
# capital was assigned and disbursed, when, what was carried over or lapsed, how credible the
# annual plans were (PEFA scores), which targets were met and how the districts compare.
# Amounts are **million VND** (triệu đồng) in tables and **billion VND** (tỷ đồng) on charts;
# rates are shares of the capital assigned.
#
# Run it for any scope with papermill (from the repository root; the notebook works from any
# working directory):
#
# ```
# papermill notebooks/01_assessment.ipynb out.ipynb -p scope province
# papermill notebooks/01_assessment.ipynb out.ipynb -r scope 051 -p lang en
# papermill notebooks/01_assessment.ipynb out.ipynb -p data data/my_province.xlsx -p years 2022-2025
# ```
#
# Use `-r` (raw string) for unit codes with leading zeros: `-p scope 051` is read as the
# number 51 (that still works when only one code matches "51", but `-r` is exact). Charts
# and tables follow `lang`; outputs (`metrics.json` and one PNG per chart) go to `out_dir`.
# Anything built from the synthetic demo dataset is marked **DEMO**.

# %% tags=["parameters"]
data: str = "demo"  # "demo", "demo:SEED", a folder of CSV files or an .xlsx workbook
scope: str = "province"  # "province", a unit code (pass codes with papermill -r) or a unit name
years: str = "2021-2025"  # plan years: a range "2021-2025", a list "2022,2024" or one year
lang: str = "vi"  # language of charts and tables: "vi" or "en"
out_dir: str = "outputs/{scope}/assessment"  # output folder; {scope} becomes province or the unit code; relative paths start at the repo root
apportion: str = "none"  # a new unit's share of its former districts' own lines: "none", "communes" or a numeric column of the units table (an ESTIMATE)

# %% [markdown]
# ## Parameters and data · Tham số và dữ liệu
# The next cell checks every parameter and stops with a message naming the allowed values if
# one is wrong (unknown scope, language other than vi/en, unreadable years). It then opens and
# validates the data and selects the plan lines of the scope: for the province, every unit
# including the province's own lines; for a district, that district's lines.

# %%
from helpers.analysis.execution import carry_over_by, monthly_profile
from helpers.analysis.targets import targets_met
from helpers.report.figures import assessment as charts
from helpers.steps import assessment

run = assessment.check_parameters(data, scope, years, lang, out_dir, apportion)
print(run.title(), "|", run.dataset.origin, "| last report:", run.lines.attrs["as_of"].date())
print(f"{len(run.lines)} plan lines; outputs -> {run.out_dir}")

# %% [markdown]
# ## 1. Allocation and disbursement by plan year · Kế hoạch vốn và giải ngân theo năm
# Annual capital may be disbursed after the year ends, so each vintage (plan year) is measured
# at three cut-offs: **31 Dec** of the plan year, **31 Jan** of the next year (the regular
# deadline of the Law on Public Investment) and the **last report** in the data (which includes
# extended lines). A year with no capital assigned is shown as *no allocation*, not as a 0 %
# rate: the program assigned no capital in 2021.

# %%
tables = run.tables  # every table below is computed once, then reused by metrics.json
assessment.view(tables.by_year, lang, ["plan_year", "allocated_mvnd", "disbursed_dec31_mvnd",
                                "disbursed_deadline_mvnd", "disbursed_last_mvnd",
                                "execution_rate_dec31", "execution_rate_deadline",
                                "execution_rate_last", "status"])

# %% [markdown]
# The chart splits the same amounts by capital type: investment capital (vốn đầu tư phát
# triển) and recurrent capital (vốn sự nghiệp). Bars from light to dark: assigned, disbursed by
# 31 Dec, by the 31 Jan deadline, by the last report.

# %%
fig = charts.plot_allocation_vs_disbursement(tables.by_year_type, lang, run.years)
png = run.save(fig, "allocation_vs_disbursement")

# %% [markdown]
# Totals over the selected years by capital type and by source (central budget, local
# counterpart, …). For the province, the next table sets the data's totals beside the public
# figures the package ships for this province (`reference/public_figures.csv`, each with its
# source); "equal" says whether they agree to 0.001 million VND. It is empty for a district or
# for a province with no shipped figures.

# %%
from helpers.report.validation import public_figure_checks

public_figure_checks(run.dataset) if run.scope.is_province else None

# %%
cols = ["allocated_mvnd", "disbursed_deadline_mvnd", "disbursed_last_mvnd",
        "execution_rate_deadline", "execution_rate_last"]
display(assessment.view(tables.by_type_source, lang,
                        ["capital_type", "source", *cols]))
assessment.view(tables.by_source, lang, ["source", *cols])

# %% [markdown]
# ## 2. Carried over and lapsed capital · Vốn chuyển nguồn và hủy bỏ
# What a line had not disbursed by 31 Jan is **carried over** when the line was extended
# (`extended_until`) and **lapses** when it was not. Carried-over capital is then either
# disbursed later, lapses when the extension ends, or is still open at the last report.
# By vintage and capital type:

# %%
carry = carry_over_by(run.lines, ["plan_year", "capital_type"])
assessment.view(carry, lang, ["plan_year", "capital_type", "undisbursed_deadline_mvnd",
                              "carried_over_mvnd", "lapsed_at_deadline_mvnd",
                              "carried_over_disbursed_mvnd", "carried_over_disbursed_share",
                              "lapsed_after_extension_mvnd", "carried_over_open_mvnd"])

# %% [markdown]
# The same by implementing unit (district, or the province's own lines):

# %%
by_unit = run.with_names(carry_over_by(run.lines, "unit_code"))
assessment.view(by_unit, lang, ["unit_code", f"name_{lang}", "carried_over_mvnd",
                                "carried_over_disbursed_share", "lapsed_mvnd",
                                "carried_over_open_mvnd"])

# %% [markdown]
# ## 3. In-year profile · Tiến độ giải ngân trong năm
# Cumulative share of each vintage's plan disbursed at each month end, against an even pace
# (month / 12, which would disburse the whole plan by 31 Dec). A curve far below the dashed
# line that jumps in November–January shows disbursement concentrated at the end of the year.

# %%
fig = charts.plot_monthly_profile(monthly_profile(run.lines, run.disbursements), lang)
png = run.save(fig, "monthly_profile")

# %% [markdown]
# Share of each vintage's disbursement (by the deadline) made in the last quarter
# (Oct–Dec) and in December plus the January tail:

# %%
assessment.view(tables.concentration, lang,
                ["plan_year", "disbursed_deadline_mvnd", "q4_mvnd", "q4_share",
                 "dec_jan_mvnd", "dec_jan_share"])

# %% [markdown]
# ## 4. Budget credibility (PEFA 2016) · Độ tin cậy của kế hoạch vốn
# Applied to this program, on the capital disbursed by the 31 Jan deadline, over the last three
# completed vintages; a grade needs its condition in at least two of the three years.
#
# * **PI-1 aggregate outturn**: outturn_t = disbursed_t / allocated_t. A: 95–105 %,
#   B: 90–110 %, C: 85–115 %, else D.
# * **PI-2(i) composition variance by project**: k_t = Σ disbursed / Σ allocated;
#   adjusted_i = allocated_i × k_t; variance_t = Σ |disbursed_i − adjusted_i| / Σ adjusted_i.
#   A: < 5 %, B: < 10 %, C: < 15 %, else D.
#
# The band values are recalled from the PEFA 2016 framework, not confirmed in a primary
# source; they are parameters of `helpers.analysis.metrics` (`PI1_BANDS`, `PI2_BANDS`).

# %%
pi1, pi2 = tables.pi1, tables.pi2
print(f"PI-1 aggregate outturn: {pi1.grade} ({pi1.note})")
print(f"PI-2(i) composition variance: {pi2.grade} ({pi2.note})")
display(assessment.view(pi1.table, lang, ["plan_year", "allocated_mvnd", "actual_mvnd",
                                          "outturn", "grade"]))
assessment.view(pi2.table, lang, ["plan_year", "allocated_mvnd", "actual_mvnd", "variance",
                                  "grade"])

# %% [markdown]
# ## 5. Execution by project · Giải ngân theo dự án
# Bars: share disbursed by the 31 Jan deadline; dark tick and label: share disbursed by the
# last report (after extensions).

# %%
fig = charts.plot_execution_by_project(tables.by_project, lang)
png = run.save(fig, "execution_by_project")

# %% [markdown]
# ## 6. Targets · Chỉ tiêu
# For each target indicator of the scope: baseline (2020), target (2025), latest reported
# value, progress = (latest − baseline) / (target − baseline), and a status computed from the
# indicator's direction (higher or lower is better): met, not met, or no data. It is never
# typed in.

# %%
card = tables.scorecard
counts = targets_met(card)
print(f"{counts['met']} of {counts['total']} targets met ({counts['no_data']} without data)")
fig = charts.plot_target_scorecard(card, lang)
png = run.save(fig, "target_scorecard")

# %%
assessment.view(card, lang, [f"name_{lang}", "unit", "baseline_value", "target_value",
                             "latest_value", "latest_year", "progress_ratio", "status"])

# %% [markdown]
# ## 7. Districts compared · So sánh các huyện
# Execution rate by the 31 Jan deadline over the selected vintages (bars; the dashed line is
# the province value; in a district run, that district is drawn darker), and the same rate
# **adjusted for each district's mix** of projects, capital types and plan years (dots with
# 95 % intervals): a fractional logit of each line's share disbursed by the deadline with
# project, capital-type, plan-year and district effects, weighted by the amount (HC1 errors);
# a district's adjusted rate is the mean prediction for all of the province's lines as if it
# had implemented them. A joint Wald test says whether districts can be told apart at all.
# Timing: the median months from a line's decision to the report at which half of it was
# disbursed (Kaplan–Meier: lines still disbursing count as not yet there, not as "never"),
# the same number the lag notebook and the brief quote.

# %%
ranking = tables.ranking
highlight = None if run.scope.is_province else run.scope.code
fig = charts.plot_district_ranking(ranking, lang, highlight=highlight)
png = run.save(fig, "district_ranking")

# %%
assessment.view(ranking, lang, ["rank", f"name_{lang}", "allocated_mvnd", "disbursed_mvnd",
                                "execution_rate", "vs_province_pp", "adjusted_rate",
                                "adjusted_ci_low", "adjusted_ci_high", "adjusted_rank",
                                "adjusted_vs_province", "median_months_to_50",
                                "median_months_to_50_ci_low", "median_months_to_50_ci_high"])

# %%
{k: v for k, v in tables.district_model.to_dict().items()
 if k in ("estimable", "reason", "formula", "n_lines", "n_districts", "wald_chi2", "wald_df",
          "wald_p_value", "distinguishable", "above", "below", "not_estimable")}

# %% [markdown]
# ## 8. Today's geography · Địa giới hiện nay
# A unit created on 1 July 2025 (Resolution 1657/NQ-UBTVQH15) is its own lines and those of
# the former communes it took over. The lines booked to its former districts themselves are
# shown beside that record, never added to it; with `apportion` other than "none" an
# ESTIMATE of its share of them is added (communes taken / the district's communes, or a
# numeric column of the units table summed the same way). Rates at the deadline are also
# pooled (empirical Bayes): districts toward the province, former communes toward their
# district, new units toward the amount-weighted mix of their former districts. The maps: the
# province's former districts by execution rate, or a locator of the scope's former districts.

# %%
import pandas as pd

geo = tables.geography
print(geo["kind"], "| apportion:", geo["apportion"])
for name, fig in assessment.map_figures(run).items():
    png = run.save(fig, name)
display(pd.DataFrame(geo["district_context"])) if geo["district_context"] else None
pd.DataFrame(geo["pooled"])

# %% [markdown]
# ## 9. Machine-readable summary · Tóm tắt
# `metrics.json` in the output folder holds the figures above (amounts in million VND, rates
# as fractions) so briefs and the batch index use them without re-computing.

# %%
summary = run.write_metrics()
print(run.metrics_path)
{k: summary[k] for k in ("scope", "demo", "allocated_mvnd", "disbursed_mvnd",
                         "pefa_aggregate_grade", "pefa_composition_grade", "targets_met",
                         "targets_total")}
