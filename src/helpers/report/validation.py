"""The short text summary ``mtqg validate`` prints for a valid dataset.

Rows per table, allocated and disbursed (at the last report) by plan year, totals by capital
type and source, and, when the package ships public figures for the dataset's province, each
figure beside the dataset's own total so a reader sees at once whether they agree; then every
published figure of the province (``published_figures``) with its wording ("more than 4,222
billion VND"), the dataset's value under the convention and sources the publication uses, and
whether the two match under the stated rule (:mod:`helpers.analysis.published`), closed by how
many comparable figures match. Differences are information, not input errors: the exit code
stays 0. Headings and labels come from the ``cli`` and ``common`` catalogs, numbers are written
in the language's format; table names, figure ids, measures, capital types and sources are the
dataset's codes.
"""

from __future__ import annotations

import pandas as pd

from helpers.analysis.lines import cumulative_at, last_report_date
from helpers.analysis.published import (
    decimals_of,
    match_counts,
    province_name,
    published_comparison,
)
from helpers.core.errors import Day
from helpers.core.formatting import in_unit, number, percent, qualified
from helpers.core.text import tr
from helpers.data import reference
from helpers.data.dataset import Dataset


def _published_lines(dataset: Dataset, lang: str) -> list[str]:
    """The province's published figures beside the dataset: two lines each, then the count."""

    def t(msgid: str, **values: object) -> str:
        return tr(f"cli.validate.{msgid}", lang, **values)

    table = published_comparison(dataset)
    if table.empty:
        return []
    file = "reference/published_figures.csv"
    out = [
        t("published_figures", province=province_name(dataset), file=file),
        "  " + tr("common.match_rule", lang),
    ]
    for r in table.itertuples():
        when = Day(r.as_of).text(lang) if not pd.isna(r.as_of) else t("no_date")
        digits = decimals_of(r.published)
        pub = qualified(in_unit(r.published, r.unit, lang, digits), r.qualifier, lang)
        head = f"  {r.figure_id:<14} {r.measure:<28} {when:>10}  {t('published')} {pub}"
        if r.convention is None:
            why = tr(f"common.reason.{r.reason}", lang)
            out.append(f"{head}  {t('not_comparable', reason=why)}")
            continue
        value = in_unit(r.dataset, r.unit, lang, digits + 1)
        verdict = t("matches") if r.matches else t("differs")
        out.append(f"{head}  {t('dataset')} {value}  {verdict}")
        how = t(
            "computed_as",
            convention=tr(f"common.convention.{r.convention}", lang),
            sources=tr(f"common.sources.{r.sources}", lang),
        )
        out.append(f"  {'':<14} {how}")
    n, m = match_counts(table)
    out.append(t("match_summary", n=number(n, lang), m=number(m, lang)))
    return out


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


def describe_dataset(dataset: Dataset, lang: str = "en") -> str:
    """A few lines a person reads after ``mtqg validate``, in ``lang``."""

    def t(msgid: str, **values: object) -> str:
        return tr(f"cli.validate.{msgid}", lang, **values)

    def fmt(v: float) -> str:
        return number(v, lang, 0)

    lines: list[str] = []
    if dataset.demo:
        lines.append(f"*** {tr('common.demo_note', lang)} ***")
    lines.append(t("valid", origin=dataset.origin))
    lines.append(f"SHA-256: {dataset.sha256}")
    lines.append(
        t("rows", tables=", ".join(f"{n} {len(tb)}" for n, tb in dataset.tables().items()))
    )
    a, d = dataset.allocations, dataset.disbursements
    last = last_report_date(d) if len(d) else None
    a = a.assign(disbursed_last=cumulative_at(d, a["line_id"], last) if last is not None else 0.0)
    lines.append(t("by_year", date=Day(last).text(lang) if last is not None else t("no_report")))
    head = (t("col_year"), t("col_allocated"), t("col_disbursed"), t("col_rate"))
    lines.append(f"  {head[0]:>9} {head[1]:>14} {head[2]:>14} {head[3]:>7}")
    by_year = a.groupby("plan_year")[["amount_mvnd", "disbursed_last"]].sum()
    for year, row in by_year.iterrows():
        rate = row["disbursed_last"] / row["amount_mvnd"] if row["amount_mvnd"] else None
        lines.append(
            f"  {year:>9} {fmt(row['amount_mvnd']):>14} "
            f"{fmt(row['disbursed_last']):>14} {percent(rate, lang, 1):>7}"
        )
    lines.append(
        f"  {t('total'):>9} {fmt(by_year['amount_mvnd'].sum()):>14} "
        f"{fmt(by_year['disbursed_last'].sum()):>14}"
    )
    lines.append(t("by_type"))
    by_ts = a.groupby(["capital_type", "source"])["amount_mvnd"].sum()
    for (ctype, source), v in by_ts.items():
        lines.append(f"  {ctype:<11} {source:<8} {fmt(v):>14}")
    checks = public_figure_checks(dataset)
    if len(checks):
        lines.append(t("public_figures", file="reference/public_figures.csv"))
        for r in checks.itertuples():
            mark = t("equal") if r.equal else t("different")
            lines.append(
                f"  {r.figure_id:<34} {t('public')} {fmt(r.public):>12}  "
                f"{t('dataset')} {fmt(r.dataset):>12}  {mark}"
            )
    lines.extend(_published_lines(dataset, lang))
    if dataset.warnings:
        lines.append(t("warnings", n=len(dataset.warnings)))
        lines.extend(f"  - {w.text(lang)}" for w in dataset.warnings)
    return "\n".join(lines)
