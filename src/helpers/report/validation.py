"""The short text summary ``mtqg validate`` prints for a valid dataset.

Rows per table, allocated and disbursed (at the last report) by plan year, totals by capital
type and source, and, when the package ships public figures for the dataset's province, each
figure beside the dataset's own total so a reader sees at once whether they agree.
"""

from __future__ import annotations

import pandas as pd

from helpers.analysis.lines import cumulative_at, last_report_date
from helpers.core.formatting import number
from helpers.data import reference
from helpers.data.dataset import DEMO_NOTE_EN, Dataset


def _fmt(v: float) -> str:
    return number(v, "en", 0)


def public_figure_checks(dataset: Dataset) -> pd.DataFrame:
    """Dataset totals beside the public figures shipped for its province.

    Returns a frame with ``figure_id``, ``public``, ``dataset``, ``equal`` (exact to 0.001
    million VND), empty when no figure is shipped for the province.
    """
    figures = reference.public_figure_values(dataset.province_code)
    a = dataset.allocations
    d = dataset.disbursements
    central = a[a["source"] == "central"]
    spot = pd.Timestamp("2024-05-21")
    a24 = a[a["plan_year"] == 2024]
    computed = {
        "central_capital_2021_2025": central["amount_mvnd"].sum(),
        "central_investment_2021_2025": central.loc[
            central["capital_type"] == "investment", "amount_mvnd"
        ].sum(),
        "central_recurrent_2021_2025": central.loc[
            central["capital_type"] == "recurrent", "amount_mvnd"
        ].sum(),
        "local_counterpart_2021_2025": a.loc[a["source"] == "local", "amount_mvnd"].sum(),
        "plan_2024_all_sources": a24["amount_mvnd"].sum(),
        "disbursed_2024_as_of_2024_05_21": cumulative_at(d, a24["line_id"], spot).sum(),
    }
    rows = [
        {
            "figure_id": k,
            "public": figures[k],
            "dataset": round(float(v), 3),
            "equal": abs(figures[k] - v) < 1e-3,
        }
        for k, v in computed.items()
        if k in figures
    ]
    return pd.DataFrame(rows, columns=["figure_id", "public", "dataset", "equal"])


def describe_dataset(dataset: Dataset) -> str:
    """A few lines a person reads after ``mtqg validate``."""
    lines: list[str] = []
    if dataset.demo:
        lines.append(f"*** {DEMO_NOTE_EN} ***")
    lines.append(f"Valid dataset: {dataset.origin}")
    lines.append(f"SHA-256: {dataset.sha256}")
    lines.append("Rows: " + ", ".join(f"{n} {len(t)}" for n, t in dataset.tables().items()))
    a, d = dataset.allocations, dataset.disbursements
    last = last_report_date(d) if len(d) else None
    a = a.assign(disbursed_last=cumulative_at(d, a["line_id"], last) if last is not None else 0.0)
    lines.append(
        f"Totals by plan year (million VND; disbursed as of the last report, "
        f"{last.date() if last is not None else 'none'}):"
    )
    lines.append(f"  {'plan_year':>9} {'allocated':>14} {'disbursed':>14} {'rate':>7}")
    by_year = a.groupby("plan_year")[["amount_mvnd", "disbursed_last"]].sum()
    for year, row in by_year.iterrows():
        rate = row["disbursed_last"] / row["amount_mvnd"] if row["amount_mvnd"] else float("nan")
        lines.append(
            f"  {year:>9} {_fmt(row['amount_mvnd']):>14} "
            f"{_fmt(row['disbursed_last']):>14} {rate:>7.1%}"
        )
    lines.append(
        f"  {'total':>9} {_fmt(by_year['amount_mvnd'].sum()):>14} "
        f"{_fmt(by_year['disbursed_last'].sum()):>14}"
    )
    lines.append("Allocated by capital type and source (million VND):")
    by_ts = a.groupby(["capital_type", "source"])["amount_mvnd"].sum()
    for (ctype, source), v in by_ts.items():
        lines.append(f"  {ctype:<11} {source:<8} {_fmt(v):>14}")
    checks = public_figure_checks(dataset)
    if len(checks):
        lines.append("Public figures for this province (reference/public_figures.csv):")
        for r in checks.itertuples():
            mark = "equal" if r.equal else "DIFFERENT"
            lines.append(
                f"  {r.figure_id:<34} public {_fmt(r.public):>12}  "
                f"dataset {_fmt(r.dataset):>12}  {mark}"
            )
    if dataset.warnings:
        lines.append(f"{len(dataset.warnings)} warning(s):")
        lines.extend(f"  - {w}" for w in dataset.warnings)
    return "\n".join(lines)
