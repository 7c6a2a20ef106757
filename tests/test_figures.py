"""The assessment charts: both languages, the DEMO mark, number formats, font coverage."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from helpers.report.figures import assessment as charts  # noqa: E402
from helpers.report.figures import style  # noqa: E402

LANGS = ("vi", "en")


def by_year_type() -> pd.DataFrame:
    """Amounts large enough for thousands on a billion-VND axis (3,000,000 mVND = 3,000 bn)."""
    rows = []
    for year, alloc in ((2022, 3_000_000.0), (2023, 2_500_000.0)):
        for ctype, f in (("investment", 1.0), ("recurrent", 0.8)):
            a = alloc * f
            rows.append(
                {
                    "plan_year": year,
                    "capital_type": ctype,
                    "allocated_mvnd": a,
                    "disbursed_dec31_mvnd": 0.5 * a,
                    "disbursed_deadline_mvnd": 0.7 * a,
                    "disbursed_last_mvnd": 0.9 * a,
                }
            )
    return pd.DataFrame(rows)


def by_project() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "project_code": ["DA1", "DA4", "DA10"],
            "allocated_mvnd": [100.0, 200.0, 50.0],
            "execution_rate_deadline": [0.6, 0.8, 0.3],
            "execution_rate_last": [0.9, 0.95, 0.4],
        }
    )


def profile() -> pd.DataFrame:
    rows = [
        {
            "plan_year": y,
            "month": m,
            "share_of_allocated": min(1.0, m * s),
            "linear_share": min(m, 12) / 12,
        }
        for y, s in ((2023, 0.05), (2024, 0.07))
        for m in range(1, 14)
    ]
    return pd.DataFrame(rows)


def ranking() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unit_code": ["049", "051", "04"],
            "name_vi": ["Quảng Hòa", "Hòa An", "Cao Bằng"],
            "name_en": ["Quang Hoa", "Hoa An", "Cao Bang"],
            "level": ["district", "district", "province"],
            "execution_rate": [0.8, 0.6, 0.7],
            "median_months_to_50": [7.5, float("nan"), 8.0],
            "n_lines_timed": [40, 30, 80],
            "rank": pd.array([1, 2, None], dtype="Int64"),
            "adjusted_rate": [0.78, 0.63, 0.7],
            "adjusted_ci_low": [0.74, 0.58, 0.69],
            "adjusted_ci_high": [0.82, float("nan"), 0.71],
        }
    )


def scorecard() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "indicator_code": ["a", "b", "c"],
            "name_vi": [
                "Tỷ lệ hộ nghèo trong đồng bào dân tộc thiểu số",
                "Tỷ lệ trẻ em 5 tuổi đi học mẫu giáo",
                "Số xã, thôn đặc biệt khó khăn",
            ],
            "name_en": [
                "ethnic minority poverty rate",
                "5-year-olds in kindergarten",
                "extremely difficult communes and villages",
            ],
            "progress_ratio": [1.2, 0.5, float("nan")],
            "status": ["met", "not_met", "no_data"],
        }
    )


CHARTS = {
    "allocation_vs_disbursement": lambda lang, demo: charts.plot_allocation_vs_disbursement(
        by_year_type(), lang, years=[2021, 2022, 2023], demo=demo
    ),
    "execution_by_project": lambda lang, demo: charts.plot_execution_by_project(
        by_project(), lang, demo=demo
    ),
    "monthly_profile": lambda lang, demo: charts.plot_monthly_profile(profile(), lang, demo=demo),
    "district_ranking": lambda lang, demo: charts.plot_district_ranking(
        ranking(), lang, highlight="051", demo=demo
    ),
    "target_scorecard": lambda lang, demo: charts.plot_target_scorecard(
        scorecard(), lang, demo=demo
    ),
}

TITLES = {  # a word of each chart's title in each language
    "allocation_vs_disbursement": {"vi": "Kế hoạch vốn", "en": "Allocation and disbursement"},
    "execution_by_project": {"vi": "theo dự án", "en": "by project"},
    "monthly_profile": {"vi": "Lũy kế", "en": "Cumulative"},
    "district_ranking": {"vi": "Xếp hạng huyện", "en": "Districts ranked"},
    "target_scorecard": {"vi": "1/3 đạt", "en": "1 of 3 met"},
}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", sorted(CHARTS))
def test_chart_builds_in_language_with_demo_mark(name, lang):
    fig = CHARTS[name](lang, True)
    texts = style.figure_texts(fig)
    assert any(TITLES[name][lang] in t for t in texts), texts
    other = "en" if lang == "vi" else "vi"
    assert not any(TITLES[name][other] in t for t in texts)
    assert style.has_demo_mark(fig)
    assert any("DEMO:" in t for t in texts)  # the footnote, in the chart's language


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_no_demo_mark_on_real_data(name):
    fig = CHARTS[name]("vi", False)
    assert not style.has_demo_mark(fig)
    assert not any("DEMO" in t for t in style.figure_texts(fig))


def test_demo_flag_defaults_to_the_table():
    table = by_project()
    table.attrs["demo"] = True
    assert style.has_demo_mark(charts.plot_execution_by_project(table, "en"))
    table.attrs["demo"] = False
    assert not style.has_demo_mark(charts.plot_execution_by_project(table, "en"))


@pytest.mark.parametrize(("lang", "thousands"), [("vi", "3.000"), ("en", "3,000")])
def test_amount_ticks_use_the_language_grouping(lang, thousands):
    fig = charts.plot_allocation_vs_disbursement(by_year_type(), lang, demo=False)
    fig.canvas.draw()
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert thousands in ticks, ticks  # 3,000,000 million VND = 3,000 billion VND
    wrong = "," if lang == "vi" else "."
    assert not any(wrong in t for t in ticks)
    assert fig.axes[0].get_ylabel() == ("tỷ đồng" if lang == "vi" else "billion VND")


def test_percent_ticks_per_language():
    vi = charts.plot_execution_by_project(by_project(), "vi", demo=False)
    en = charts.plot_execution_by_project(by_project(), "en", demo=False)
    for fig in (vi, en):
        fig.canvas.draw()
    assert "60%" in [t.get_text() for t in vi.axes[0].get_xticklabels()]
    assert "60%" in [t.get_text() for t in en.axes[0].get_xticklabels()]


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_font_covers_every_label(name):
    fig = CHARTS[name]("vi", True)
    text = "".join(style.figure_texts(fig))
    assert any(ch in text for ch in "ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹđ")
    assert style.check_font_covers(text) == []


def test_save_png_is_atomic_and_readable(tmp_path):
    fig = CHARTS["monthly_profile"]("en", True)
    path = style.save_png(fig, tmp_path / "sub" / "profile.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in path.parent.iterdir()] == ["profile.png"]  # no temporary left


def test_month_and_project_labels():
    assert charts.month_label(1, "vi") == "T1" and charts.month_label(12, "en") == "Dec"
    assert charts.month_label(13, "vi") == "T1 năm sau"
    assert charts.project_label("DA10", "vi") == "Dự án 10"
    assert charts.project_label("DA4", "en") == "Project 4"


def test_unit_names_are_drawn_as_plain_text_not_mathtext(tmp_path):
    # a name with matplotlib mathtext failed every scope's chart ("Unknown symbol: \invalidcmd")
    table = ranking().copy()
    table.loc[0, "name_vi"] = r"$\invalidcmd{x}$ Bảo Lạc"
    fig = charts.plot_district_ranking(table, "vi", demo=False)
    style.save_png(fig, tmp_path / "r.png")  # drawing is where mathtext would fail
    assert any(r"$\invalidcmd{x}$" in t for t in style.figure_texts(fig))


@pytest.mark.parametrize(
    ("lang", "note", "months", "not_reached"),
    [
        ("vi", "Điều chỉnh cơ cấu: mô hình logit phân số", "trung vị 7,5 tháng", "chưa đến nửa"),
        ("en", "Mix-adjusted: fractional logit", "median 7.5 months", "not reached by half"),
    ],
)
def test_ranking_draws_the_adjusted_rates_with_intervals_and_names_the_model(
    lang, note, months, not_reached
):
    fig = charts.plot_district_ranking(ranking(), lang, demo=False)
    texts = style.figure_texts(fig)
    assert any(t.startswith(note) for t in texts), texts
    assert any(months in t for t in texts) and any(not_reached in t for t in texts)
    bars = fig.axes[0].containers
    dots = [c for c in bars if type(c).__name__ == "ErrorbarContainer"]
    assert len(dots) == 1 and len(dots[0].lines[0].get_xdata()) == 2  # the two districts
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any("95" in t for t in legend)


def test_ranking_without_adjusted_columns_draws_bars_only():
    table = ranking().drop(columns=["adjusted_rate", "adjusted_ci_low", "adjusted_ci_high"])
    fig = charts.plot_district_ranking(table, "en", demo=False)
    assert not any(type(c).__name__ == "ErrorbarContainer" for c in fig.axes[0].containers)
    assert not any(t.startswith("Mix-adjusted") for t in style.figure_texts(fig))


def test_a_figure_determined_by_its_inputs_is_drawn_once(monkeypatch):
    """The district ranking of a scope that is not a district (every commune) is the same
    picture: drawn once per process, the same bytes as a fresh draw."""
    from helpers.analysis.assessment import AssessmentTables
    from helpers.data.datasets import open_dataset, resolve_scope

    ds = open_dataset("demo")
    ranking = AssessmentTables.build(ds, resolve_scope(ds, "N01290")).ranking
    style._DRAWN.clear()
    first = style.png_bytes(charts.plot_district_ranking(ranking, "en", highlight="N01290"))
    draws = []
    monkeypatch.setattr(plt.Figure, "savefig", lambda *a, **k: draws.append(a))
    again = style.png_bytes(charts.plot_district_ranking(ranking, "en", highlight="N01273"))
    assert again == first and not draws  # another commune: not drawn again
    district = charts.plot_district_ranking(ranking, "en", highlight="042")
    style.png_bytes(district)  # a highlighted district is another picture: drawn
    assert len(draws) == 1
    monkeypatch.undo()
    style._DRAWN.clear()
    assert style.png_bytes(charts.plot_district_ranking(ranking, "en", highlight="N01273")) == first
    plt.close("all")


def _many_districts(n: int) -> pd.DataFrame:
    """``n`` districts D00..D(n-1) with rates falling by rank (D00 first), and the province."""
    codes = [f"D{i:02d}" for i in range(n)]
    return pd.DataFrame(
        {
            "unit_code": [*codes, "04"],
            "name_vi": [*codes, "Tỉnh"],
            "name_en": [*codes, "Province"],
            "level": ["district"] * n + ["province"],
            "execution_rate": [0.9 - 0.01 * i for i in range(n)] + [0.7],
            "median_months_to_50": [6.0] * (n + 1),
            "n_lines_timed": [40] * (n + 1),
            "rank": pd.array([*range(1, n + 1), None], dtype="Int64"),
        }
    )


def test_a_ranking_of_forty_districts_shows_the_top_and_bottom_fifteen_and_the_scope():
    """40 districts: ranks 1-15 and 26-40 drawn (30 bars), 10 left out and said so; a run of
    D20 (rank 21) draws it too (31 bars)."""
    fig = charts.plot_district_ranking(_many_districts(40), "en", demo=False)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(labels) == 30 and "15. D14" in labels and "26. D25" in labels
    assert "16. D15" not in labels and "25. D24" not in labels
    assert any("Showing 30 of 40 districts" in t for t in style.figure_texts(fig))
    fig = charts.plot_district_ranking(_many_districts(40), "vi", highlight="D20", demo=False)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(labels) == 31 and "21. D20" in labels
    assert any("Hiển thị 31 trong 40 huyện" in t for t in style.figure_texts(fig))
    few = charts.plot_district_ranking(_many_districts(31), "en", demo=False)
    assert len(few.axes[0].get_yticklabels()) == 31
    assert not any("Showing" in t for t in style.figure_texts(few))
    plt.close("all")
