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
# # Giai đoạn 2026–2030 · The 2026–2030 outlook
#
# The workshop's question is the next period. This notebook turns the 2021–2025 evidence into a
# quantified outlook for the province or one unit (a commune-level unit created on 1 July 2025):
#
# 1. **The plan**: the `plan_2026_2030` table of the data when it has rows for the scope;
#    otherwise a stated assumption (the province's 2021–2025 share of the program's central
#    capital × the national 2026–2030 central envelope, spread evenly over the years, plus
#    local counterpart at the 2021–2025 ratio), every number of its formula written out;
# 2. **Money**: for each year, allocation-calendar scenario and capital type, the amount
#    disbursed by 31 December and by the 31 January deadline, carried over, and at risk of
#    lapse after the extension year, simulated from the province lag models (fitted by the lag
#    notebook and loaded from its cache; nothing is refitted) with parameter and line-level
#    variation. A scenario earlier than any decision month seen in 2021–2025 is *not
#    estimable*; a scope with too few lines is *not projected*, and says so;
# 3. **Indicators**: latest value, 2021–2025 pace, pace needed for the 2030 target, the value
#    in 2030 at the current pace with its interval, on track / off track / no data.
#
# ```
# papermill notebooks/04_outlook.ipynb out.ipynb -p scope province
# papermill notebooks/04_outlook.ipynb out.ipynb -r scope N01273 -p lang en
# papermill notebooks/04_outlook.ipynb out.ipynb -p scenarios "observed,01-31,prev-11-30"
# ```
#
# Anything built from the synthetic demo dataset is marked **DEMO**.

# %% tags=["parameters"]
data: str = "demo"  # "demo", "demo:SEED", a folder of CSV files or an .xlsx workbook
scope: str = "province"  # "province", a unit code (pass codes with papermill -r) or a unit name
plan: str = "auto"  # "auto" (the data's plan_2026_2030 rows, else the assumption), "assumption" or "table"
scenarios: str = "observed,01-31,feasible"  # comma-separated: "observed" (as in 2023–2025), "feasible", dates "MM-DD" / "prev-MM-DD"
lang: str = "vi"  # language of charts: "vi" or "en"
out_dir: str = "outputs/{scope}/outlook"  # output folder; {scope} becomes province or the unit code

# %% [markdown]
# ## Parameters and data · Tham số và dữ liệu
# The next cell checks every parameter (stopping with a message that names the allowed
# values) and opens and validates the data, the plan table included.

# %%
from helpers.report.figures import outlook as outlook_figures  # noqa: E402 (after the parameters)
from helpers.steps import outlook

run = outlook.check_parameters(data, scope, plan, scenarios, lang, out_dir)
print(run.title(), "|", run.dataset.origin, "| outputs ->", run.out_dir)

# %% [markdown]
# ## Compute · Tính toán
# The province lag models come from the lag step's cache; the scope's plan, the simulation and
# the indicators follow. The first lines say what the outlook rests on.

# %%
result = run.compute()
print(
    "plan:",
    result["plan_basis"],
    "| evidence:",
    result["evidence"],
    f"({result['n_lines_history']} fitted lines, minimum {result['min_lines']})",
)
if result.get("assumption"):
    print({k: v for k, v in result["assumption"].items() if k != "source_ids"})

# %% [markdown]
# ## 1. The next period's money · Vốn giai đoạn tới
# Totals over 2026–2030 per scenario (billion VND, 95 % interval in brackets), with the gain
# over the 2023–2025 calendar; then each year (both capital types). A scope that is not
# projected shows its plan and the reason in the `status` column.

# %%
outlook.totals_table(result)

# %%
outlook.cells_table(result)

# %% [markdown]
# The fan chart: the cumulative amount disbursed by each year's deadline, median and 80 % / 95 %
# bands per scenario, beside the cumulative plan (drawn only when the scope is projected).

# %%
fig = outlook_figures.plot_fan(result, lang)
if fig is not None:
    run.save(fig, "outlook_fan")

# %% [markdown]
# ## 2. Indicators to 2030 · Chỉ tiêu đến năm 2030
# Latest value, the 2021–2025 pace (least-squares slope per year), the 2030 target (user's, or a
# published goal of the program where the reference confirms one), the pace it needs, the 2030
# value at the current pace with its interval, and the status.

# %%
outlook.indicators_table(result)

# %%
fig = outlook_figures.plot_indicator_paths(result, lang)
if fig is not None:
    run.save(fig, "outlook_indicators")

# %% [markdown]
# ## Outputs · Kết quả
# `outlook.json` (for the brief) and the charts, written atomically into `out_dir`.

# %%
written = run.write_json()
print(run.out_dir / outlook.OUTLOOK_FILE, "|", ", ".join(written["figures"]) or "no figure")
