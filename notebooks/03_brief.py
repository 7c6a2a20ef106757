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
# # Workshop brief for the 2026–2030 proposal workshop
#
# This notebook turns the results of the assessment (`01_assessment`, `metrics.json`) and of the
# disbursement-lag models (`02_disbursement_lag`, `lag.json`) for one scope into the brief that
# officials read: a self-contained HTML page, `brief.<lang>.html`, written into `out_dir`.
# Nothing is re-estimated here. Every cell below shows one section of the brief exactly as the
# page shows it; the last cell writes the page.
#
# Run it for one scope from the repository root, e.g.
# `papermill notebooks/03_brief.ipynb /tmp/brief.ipynb -p scope province -p lang en`
# (run `01_assessment` and `02_disbursement_lag` for the same scope first).

# %% tags=["parameters"]
data: str = "demo"  # dataset of the results: "demo", "demo:SEED", a CSV folder or an .xlsx file
scope: str = "province"  # "province" or a district unit code or name, e.g. "043" or "Bảo Lạc"
lang: str = "vi"  # language of the brief: "vi" or "en"
out_dir: str = ""  # where brief.<lang>.html goes (default outputs/<slug>/brief)
assessment_dir: str = ""  # folder with this scope's metrics.json (default outputs/<slug>/assessment)
lag_dir: str = ""  # folder with this scope's lag.json (default outputs/<slug>/lag)
province_assessment_dir: str = ""  # province metrics.json for the district ranking (default outputs/province/assessment)
outlook_dir: str = ""  # folder with this scope's outlook.json (default outputs/<slug>/outlook; no section without it)

# %% [markdown]
# ## Load the results
# `load_brief` reads `metrics.json` and `lag.json` of the scope through their contracts and
# stops with a message naming the file and the key when one does not match. Relative folders
# are taken from the repository root.

# %%
from helpers.report import brief  # noqa: E402 (after the parameters cell)

b = brief.load_brief(data=data, scope=scope, lang=lang, out_dir=out_dir,
                     assessment_dir=assessment_dir, lag_dir=lag_dir,
                     province_assessment_dir=province_assessment_dir,
                     outlook_dir=outlook_dir)

# %% [markdown]
# ## Title
# Program, scope, period, purpose and dates; a DEMO badge and note when the data are synthetic.

# %%
brief.title_section(b)

# %% [markdown]
# ## Key figures
# Allocated, disbursed, execution rate at the 31 January deadline, carried over, targets met.

# %%
brief.key_figures_section(b)

# %% [markdown]
# ## Capital and disbursement
# Totals at the three cut-offs, by plan year, by capital type and source; carry-over, year-end
# bunching and the PEFA budget-credibility grades.

# %%
brief.capital_section(b)

# %% [markdown]
# ## Reconciling with published figures
# The committee's conventions (cumulative over the phase, a year's plan with carry-over) at the
# published dates, each published figure of the province beside the dataset's value under its
# convention, and the province among provinces with comparable published rates. Left out of a
# district brief.

# %%
brief.reconcile_section(b)

# %% [markdown]
# ## Timing
# What late allocation cost: months to disburse, the timing effect and the early-allocation
# counterfactual with its interval (or a plain statement that the data are too few).

# %%
brief.timing_section(b)

# %% [markdown]
# ## Targets

# %%
brief.targets_section(b)

# %% [markdown]
# ## Districts
# For a district: where it stands among the province's districts; for the province: the spread.

# %%
brief.ranking_section(b)

# %% [markdown]
# ## 2026–2030: what the next period needs
# From `outlook.json` (notebook 04): the plan it rests on, per allocation calendar what the next
# period's capital would disburse, carry over and risk losing, proposals citing those numbers,
# and the indicators' pace against their 2030 targets. Left out when there is no outlook.

# %%
brief.outlook_section(b)

# %% [markdown]
# ## Proposals for 2026–2030
# One proposal per finding, each quoting the number it rests on.

# %%
brief.proposals_section(b)

# %% [markdown]
# ## Method and data notes, provenance

# %%
brief.method_section(b)

# %%
brief.provenance_section(b)

# %% [markdown]
# ## Write the brief
# The sections shown above, as rendered there, in one self-contained page (no code, no network).

# %%
brief.written(brief.write_brief(b))
