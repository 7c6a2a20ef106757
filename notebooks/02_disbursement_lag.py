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
# # Độ trễ giải ngân và thời điểm giao vốn · Disbursement lag against allocation timing
#
# The seed reports say capital was assigned late, so little was disbursed by the deadline and
# money was carried over. This notebook measures that claim and says what earlier allocation
# would buy, for the province or one district:
#
# 1. **Standard disbursement profiles**: the cumulative share of capital disbursed against
#    months since the allocation decision, fitted as S-curves (logistic / Gompertz) with
#    bootstrap bands, by allocation quarter and capital type;
# 2. **Time to 50 % / 90 % disbursed**: Kaplan–Meier curves by allocation quarter and a Cox
#    model, with a check of its proportional-hazards assumption;
# 3. **Share disbursed by the 31 January deadline** against the months available (fractional
#    logit with project, plan-year and district fixed effects, weighted by the amount): the
#    **timing effect** in percentage points per month of delay;
# 4. **Counterfactual**: what would have been disbursed by the deadline had every line been
#    decided by a chosen date (default 31 January of its plan year).
#
# A district run shows the district's own curves against the province's; its timing effect
# and counterfactual come from the province model applied to the district's lines (the
# province model is fitted once and cached in `data/processed/lag/`, so a batch of districts
# does not refit it). Results go to `lag.json` and one PNG per chart in `out_dir`.
#
# ```
# papermill notebooks/02_disbursement_lag.ipynb out.ipynb -p scope province
# papermill notebooks/02_disbursement_lag.ipynb out.ipynb -r scope 043 -p lang en
# papermill notebooks/02_disbursement_lag.ipynb out.ipynb -r counterfactual_date prev-12-31
# ```
#
# Anything built from the synthetic demo dataset is marked **DEMO**.

# %% tags=["parameters"]
data: str = "demo"  # "demo", "demo:SEED", a folder of CSV files or an .xlsx workbook
scope: str = "province"  # "province", a unit code (pass codes with papermill -r) or a unit name
counterfactual_date: str = "01-31"  # scenario: lines decided by this date; "MM-DD" in the plan year or "prev-MM-DD" in the year before
lang: str = "vi"  # language of charts and sentences: "vi" or "en"
out_dir: str = "outputs/{scope}/lag"  # output folder; {scope} becomes province or the unit code; relative paths start at the repo root

# %% [markdown]
# ## Parameters and data · Tham số và dữ liệu
# The next cell checks every parameter and stops with a message naming the allowed values if
# one is wrong (unknown scope, language other than vi/en, a scenario date that is not
# "MM-DD" or "prev-MM-DD"); then it opens and validates the data.

# %%
from helpers.report.figures import lag as lag_figures  # noqa: E402 (after the parameters)
from helpers.steps import lag

run = lag.check_parameters(data, scope, counterfactual_date, lang, out_dir)
print(run.title(), "|", run.dataset.origin, "| outputs ->", run.out_dir)

# %% [markdown]
# ## Fit · Ước lượng
# The province models are fitted on every plan line (or loaded from the cache when the data
# and the code are unchanged); the scope's results are then computed from them. Headline
# numbers first; the sections below show where they come from.

# %%
result = run.fit()
summary = run.summary()
print(f"{summary['n_lines']} plan lines in scope; last report {summary['as_of']}")
for sentence in lag_figures.key_findings(summary, lang):
    print("•", sentence)

# %% [markdown]
# ## 1. Standard disbursement profiles · Đường giải ngân chuẩn
# Each curve pools the lines of a group: capital disbursed ÷ capital allocated, by month since
# the decision (dots; larger dots carry more capital). After a line's final deadline its share
# stays where it ended (what it did not disburse lapsed). The shaded band is a 95 % bootstrap
# band over lines. For the province the groups are allocation quarters ("before the plan
# year" = decided in the previous year); for a district the dashed line is the province.
# The right end of each curve rests on older vintages and extended lines only. The table's
# `profile_months_to_*` are where each capital-weighted curve crosses 50 % / 90 %; the months
# to 50 % and 90 % that the results and the brief quote are the lines' Kaplan–Meier medians
# of section 2.

# %%
fig = lag_figures.plot_profiles(result, run.models, lang)
run.save(fig, "profiles")
lag.profile_table(result.profile)

# %% [markdown]
# ## 2. Time to 50 % and 90 % disbursed · Thời gian đạt 50 % và 90 %
# Kaplan–Meier curves: the share of plan lines that had reached 50 % (left) or 90 % (right) of
# their capital, by months since the decision. A line that had not reached the threshold is
# **censored** (kept, with what is known: at the last report when its share is final, or at
# its last snapshot when its reports stopped early), not dropped. Late-decided lines often reach 50 %
# *sooner* after their decision: the deadline compresses their spending, it does not make them
# spend more. The median of all lines (where the curve of all lines crosses one half) is the
# "months to 50 %" (90 %) of `lag.json`, the brief and the district ranking. The Cox model's
# hazard ratios and its proportional-hazards check follow; when the check fails, read the
# curves rather than the ratios.

# %%
fig = lag_figures.plot_time_to_share(result.survival, lang, run.demo, run.scope.name(lang))
run.save(fig, "time_to_share")
print("Log-rank (50 %):", summary["time_to_share"]["50pct"]["logrank"])
print(summary["ph_check"]["50pct"]["verdict_" + lang])
lag.cox_table(run.models)

# %% [markdown]
# ## 3. Share disbursed by the deadline · Tỷ lệ giải ngân đến hạn 31/01
# One dot per plan line (size = amount; a district's lines dark, the others light), against
# the months from its decision to the 31 January deadline. The line is the model's average
# prediction, with its 95 % band: a fractional logit (GLM Binomial, logit link,
# quasi-likelihood) with months available × capital type and project, plan-year and district
# fixed effects, weighted by the amount allocated, with heteroskedasticity-robust (HC1)
# errors. The **timing effect** is the average over lines of the change in the share for a
# decision one month *later*, in percentage points (negative: late allocation costs).

# %%
fig = lag_figures.plot_share_vs_months(result, run.models, lang)
run.save(fig, "share_vs_months")
lag.timing_table(summary)

# %% [markdown]
# Is timing confused with district capacity? Weaker districts may also decide later. The
# table compares the timing slope (logit scale) with district fixed effects, without any
# district effect, and with a random district intercept (MixedLM on the logit of each line's
# share: another scale, and an assumption that capacity is unrelated to timing). A slope that
# grows without district effects means part of the raw association is district capacity.

# %%
lag.district_check_table(run.models)

# %% [markdown]
# ## 4. Counterfactual · Kịch bản giao vốn đúng hạn
# Predicted capital disbursed by the deadline with the actual decision dates (light) and had
# every line been decided by the scenario date (dark, with the 95 % interval; lines decided
# earlier keep their date). The numbers above the bars are the gain in billion VND; dots are
# what was actually disbursed. The interval reflects the uncertainty of the model's
# parameters (delta method), not what each line would actually have done.

# %%
fig = lag_figures.plot_counterfactual(result, lang, demo=run.demo)
run.save(fig, "counterfactual")
lag.counterfactual_table(result, "plan_year")

# %% [markdown]
# The same gain by capital type and by implementing unit (district, or the province's own
# lines):

# %%
lag.counterfactual_table(result, "capital_type")

# %%
lag.counterfactual_table(result, "unit_code")

# %% [markdown]
# ## Caveats · Lưu ý
# Every model reports its sample size; these caveats are written by the models themselves.

# %%
for caveat in summary["caveats"]:
    print("-", caveat[lang])

# %% [markdown]
# ## Outputs · Kết quả
# `lag.json` (for the brief) and the charts, written atomically into `out_dir`.

# %%
written = run.write_json()
print(run.out_dir / lag.LAG_FILE, "|", ", ".join(written["figures"]))
