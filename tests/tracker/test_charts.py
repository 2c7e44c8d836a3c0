import xml.etree.ElementTree as ET

import pytest

from kir.tracker import charts

SVG = "{http://www.w3.org/2000/svg}"


def _series(days: int) -> list[dict]:
    return [
        {
            "day": f"2026-11-{i + 1:02d}",
            "alerts": 100 + i,
            "superfluous_alerts": 10 * (i + 1),
            "affected_installations": i % 3,
            "baseline_rate_per_installation_day": 0.01 if i != 1 else None,
            "shows": True,
        }
        for i in range(days)
    ]


def _points(root: ET.Element, series: int) -> list[tuple[float, float]]:
    return [
        (float(c.get("cx")), float(c.get("cy")))
        for c in root.iter(f"{SVG}circle")
        if c.get("data-series") == str(series)
    ]


def test_it_draws_a_valid_svg_with_title_desc_and_role():
    chart = charts.rate_chart(_series(5), installations=50, chart_id="rate-7")
    root = ET.fromstring(chart.svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "rate-7-title rate-7-desc"
    assert root.find(f"{SVG}title").get("id") == "rate-7-title"
    assert root.find(f"{SVG}title").text == "Superfluous alerts per installation-day"
    assert "2026-11-01 to 2026-11-05" in root.find(f"{SVG}desc").text


def test_it_places_each_point_where_the_data_says():
    series = _series(5)
    chart = charts.rate_chart(series, installations=50, chart_id="r")
    root = ET.fromstring(chart.svg)
    mine = _points(root, 0)
    top = max(e["superfluous_alerts"] / 50 for e in series)  # 1.0, above the baseline's 0.01
    assert len(mine) == 5
    for i, (x, y) in enumerate(mine):
        assert x == pytest.approx(charts.x_of(i, 5), abs=0.05)
        assert y == pytest.approx(charts.y_of(series[i]["superfluous_alerts"] / 50, top), abs=0.05)
    # The baseline's missing day is a gap: four dots, and the path lifts the pen.
    assert len(_points(root, 1)) == 4
    baseline_path = next(p for p in root.iter(f"{SVG}path") if p.get("data-series") == "1")
    assert baseline_path.get("d").count("M") == 2


def test_its_table_holds_the_same_figures():
    chart = charts.rate_chart(_series(3), installations=50, chart_id="r")
    assert chart.table_rows() == [
        ["1 November 2026", "0.2", "0.01"],
        ["2 November 2026", "0.4", "n/a"],
        ["3 November 2026", "0.6", "0.01"],
    ]


def test_it_counts_affected_installations_per_day():
    chart = charts.affected_chart(_series(4), chart_id="a")
    root = ET.fromstring(chart.svg)
    assert [row[1] for row in chart.table_rows()] == ["0", "1", "2", "0"]
    top = 2
    ys = [y for _, y in _points(root, 0)]
    assert ys == pytest.approx([charts.y_of(v, top) for v in (0, 1, 2, 0)], abs=0.05)


def test_an_empty_series_is_a_valid_chart_saying_so():
    chart = charts.affected_chart([], chart_id="a")
    root = ET.fromstring(chart.svg)
    assert "No daily figures" in "".join(root.itertext())
    assert list(root.iter(f"{SVG}circle")) == []
    assert chart.table_rows() == []
    assert "no days" in chart.description


def test_a_single_day_is_one_visible_dot_in_the_middle():
    chart = charts.rate_chart(_series(1), installations=10, chart_id="r")
    root = ET.fromstring(chart.svg)
    [(x, _)] = _points(root, 0)
    assert x == pytest.approx(charts.x_of(0, 1))
    assert "(1 day)" in chart.description


def test_no_installations_and_all_zero_values_do_not_divide_by_zero():
    series = [
        dict(e, superfluous_alerts=0, baseline_rate_per_installation_day=0.0) for e in _series(3)
    ]
    chart = charts.rate_chart(series, installations=0, chart_id="r")
    root = ET.fromstring(chart.svg)
    assert _points(root, 0) == []
    assert len(_points(root, 1)) == 3


def test_labels_are_escaped():
    chart = charts.rate_chart(_series(2), installations=5, chart_id='x"><script>')
    ET.fromstring(chart.svg)  # still well-formed
    assert "<script>" not in chart.svg
