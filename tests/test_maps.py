"""The district maps: geometry helpers and the two map figures (expected values by hand)."""

from __future__ import annotations

import pytest

from helpers.report.figures import maps
from helpers.report.figures.style import figure_texts, has_demo_mark

SQUARE = [(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0), (0.0, 0.0)]
TRIANGLE = [(0.0, 0.0), (3.0, 0.0), (0.0, 3.0), (0.0, 0.0)]
RINGS = {
    "A": [[(105.0, 22.0), (106.0, 22.0), (106.0, 23.0), (105.0, 23.0), (105.0, 22.0)]],
    "B": [[(106.0, 22.0), (107.0, 22.0), (107.0, 23.0), (106.0, 23.0), (106.0, 22.0)]],
}


def test_centroid_by_hand():
    assert maps.centroid(SQUARE) == pytest.approx((1.0, 1.0))
    assert maps.centroid(TRIANGLE) == pytest.approx((1.0, 1.0))  # (0 + 3 + 0) / 3 each


def test_label_point_stays_clear_of_a_district_drawn_inside():
    city = [(0.8, 0.8), (1.2, 0.8), (1.2, 1.2), (0.8, 1.2), (0.8, 0.8)]
    x, y = maps.label_point(SQUARE, [city])
    assert 0 < x < 2 and 0 < y < 2
    assert not (0.8 <= x <= 1.2 and 0.8 <= y <= 1.2)  # the centroid (1, 1) lies in the city


def test_class_breaks_and_classes_by_hand():
    # 61 % to 84 %: limits floor(61) and ceil(84) %, width ceil(23 / 5) = 5 points
    assert maps.class_breaks([0.61, 0.70, 0.84]) == [0.61, 0.66, 0.71, 0.76, 0.81, 0.86]
    b = [0.61, 0.66, 0.71, 0.76, 0.81, 0.86]
    assert [maps.class_of(v, b) for v in (0.61, 0.659, 0.66, 0.84, 0.86)] == [0, 0, 1, 4, 4]
    assert maps.class_breaks([0.7, 0.7]) == [0.7, 0.7]  # one value: one class
    assert maps.class_breaks([0.57, 0.62])[0] == 0.57  # not 0.56 (0.57 × 100 = 56.99…)


def test_district_map_legend_in_the_language_and_no_data_hatched():
    fig = maps.plot_district_map({"A": 0.6123, "B": None}, {"A": "Một", "B": "Hai"}, "vi",
                                 demo=True, rings=RINGS)  # fmt: skip
    texts = figure_texts(fig)
    assert "Một" in texts and "Hai" in texts
    assert "Không có số liệu" in texts
    assert has_demo_mark(fig)
    fig_en = maps.plot_district_map({"A": 0.6, "B": 0.8}, {"A": "One", "B": "Two"}, "en",
                                    demo=False, rings=RINGS)  # fmt: skip
    texts = figure_texts(fig_en)
    assert "No data" not in texts and not has_demo_mark(fig_en)
    # 60 % to 80 %: width ceil(20 / 5) = 4 points: 60, 64, 68, 72, 76, 80
    assert "60% to under 64%" in texts and "76% to 80%" in texts


def test_no_polygons_no_map():
    assert maps.plot_district_map({"X": 0.5}, {"X": "x"}, "en", demo=False, rings={}) is None
    assert maps.plot_locator(["X"], "en", rings={}) is None


def test_locator_carries_no_data_so_no_demo_mark():
    fig = maps.plot_locator(["A"], "en", partial=["B"], names={"A": "One", "B": "Two"},
                            rings=RINGS)  # fmt: skip
    assert not has_demo_mark(fig) and {"One", "Two"} <= set(figure_texts(fig))


def test_shipped_polygons_draw_every_district():
    from helpers.data import reference

    units = reference.load("units")
    d = units[units["level"] == "district"]
    fig = maps.plot_district_map(
        dict.fromkeys(d["unit_code"], 0.7), dict(zip(d["unit_code"], d["name_vi"], strict=True)),
        "vi", demo=False,
    )  # fmt: skip
    texts = figure_texts(fig)
    assert all(name in texts for name in d["name_vi"])
