"""The geometry of the «why is the school in the list» chart, by hand."""

from opora.identification.charts import LABEL, RIGHT, WIDTH, threshold_chart

SPAN = WIDTH - LABEL - RIGHT  # pixels per 100 %


def _row(**values: object) -> dict[str, object]:
    return {
        "year": 2025,
        "procedure": "ВПР",
        "grade": 5,
        "subject": "Математика",
        "below_min_n": 40,
        **values,
    }


def test_shares_map_onto_the_axis_and_the_threshold_is_drawn_where_it_is() -> None:
    chart = threshold_chart(
        [
            _row(
                below_min_pct=40.0,
                below_min_ci_low=25.0,
                below_min_ci_high=55.0,
                shrunken_pct=35.0,
                result="meets",
            )
        ],
        threshold=30.0,
    )
    assert chart is not None
    assert float(chart.threshold_x) == LABEL + 0.3 * SPAN
    row = chart.rows[0]
    assert float(row.bar_width) == 0.4 * SPAN and row.meets
    assert row.whisker.startswith(f"M{LABEL + 0.25 * SPAN:.1f} ")
    assert f"H{LABEL + 0.55 * SPAN:.1f}" in row.whisker
    assert row.diamond.startswith(f"M{LABEL + 0.35 * SPAN:.1f} ")
    assert row.label == "2025 · ВПР 5 кл. · Математика"


def test_missing_values_draw_nothing_and_out_of_range_values_are_clipped() -> None:
    chart = threshold_chart([_row(below_min_pct=None), _row(below_min_pct=120.0)], threshold=30.0)
    assert chart is not None
    assert (chart.rows[0].bar_width, chart.rows[0].whisker, chart.rows[0].diamond) == ("", "", "")
    assert float(chart.rows[1].bar_width) == SPAN
    assert float(chart.rows[1].y) > float(chart.rows[0].y)
    assert threshold_chart([], threshold=30.0) is None
