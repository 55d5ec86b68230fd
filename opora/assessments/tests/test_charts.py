"""The «2» share chart: its geometry (pure) and its place on the school card."""

import math

import pytest
from django.urls import reverse

from opora.assessments.charts import BOTTOM, HEIGHT, LEFT, RIGHT, TOP, WIDTH, SharePoint, share_chart
from opora.assessments.selectors import school_results_for_user
from opora.assessments.tests.test_selectors import build_results

PLOT_HEIGHT = HEIGHT - TOP - BOTTOM


def test_it_places_years_evenly_and_shares_on_a_rounded_scale():
    chart = share_chart(
        years=[2023, 2024, 2025],
        points=[SharePoint(2023, 30.0, 20.0, 40.0), SharePoint(2024, None), SharePoint(2025, 15.0)],
        references={"municipality": [10.0, 12.0, None], "region": [None, None, None]},
    )
    assert chart is not None
    # The highest value is the 40 % interval end: the axis goes to 40 %.
    assert [t.label for t in chart.y_ticks] == ["0", "20", "40"]
    assert [float(t.position) for t in chart.y_ticks] == [HEIGHT - BOTTOM, TOP + PLOT_HEIGHT / 2, TOP]
    assert [float(t.position) for t in chart.x_ticks] == [LEFT, (LEFT + WIDTH - RIGHT) / 2, WIDTH - RIGHT]
    y30 = TOP + PLOT_HEIGHT * 0.25
    y15 = TOP + PLOT_HEIGHT * (1 - 15 / 40)
    # The missing year breaks the line: two separate moves, no segment across the gap.
    assert chart.path == f"M{LEFT:.1f} {y30:.1f} M{WIDTH - RIGHT:.1f} {y15:.1f}"
    first, last = chart.markers
    assert first.whisker.startswith(f"M{LEFT:.1f} {TOP + PLOT_HEIGHT * 0.5:.1f} L{LEFT:.1f} {TOP:.1f}")
    assert first.title == "2023: 30,0 % (20,0–40,0)" and last.whisker == "" and last.title == "2025: 15,0 %"
    # A reference line with no value at all is not drawn.
    [line] = chart.lines
    assert line.key == "municipality" and line.path.count("M") == 1 and line.path.count("L") == 1


def test_a_single_year_is_centred_and_no_share_means_no_chart():
    chart = share_chart(years=[2025], points=[SharePoint(2025, 0.0)])
    assert chart is not None
    assert chart.markers[0].x == f"{LEFT + (WIDTH - LEFT - RIGHT) / 2:.1f}"
    assert [t.label for t in chart.y_ticks] == ["0", "5", "10"]  # at least 10 %
    assert share_chart(years=[2025], points=[SharePoint(2025, None)]) is None


@pytest.mark.django_db
def test_the_card_draws_the_school_against_its_municipality_and_region(client, cast):
    build_results(cast)
    found = school_results_for_user(user=cast.users["municipal"], school_pk=cast.school.pk)
    [row] = found.rows
    assert row.chart is not None
    assert [m.title.split(":")[0] for m in row.chart.markers] == ["2024", "2025"]
    # 2025: municipality = school (10 pupils, 20 %) + sibling (5, 0 %) → 13,3 %; region adds the
    # neighbour (5, 20 %) → 15 %; 2024: the school alone in both.
    lines = {line.key: line.path for line in row.chart.lines}
    assert set(lines) == {"municipality", "region"}
    first = row.cells[0]
    assert first is not None and first.indicator.mark_2_ci_high is not None
    top = math.ceil(first.indicator.mark_2_ci_high / 10) * 10  # 60 % of 5 pupils: the interval is wide
    plot_height = HEIGHT - TOP - BOTTOM

    def y(value: float) -> str:
        return f"{TOP + plot_height * (1 - value / top):.1f}"

    assert lines["municipality"].endswith(f"{y(200 / 15)}")
    assert lines["region"].endswith(f"{y(15.0)}")
    assert lines["region"].split(" ")[1] == y(60.0)
    client.force_login(cast.users["municipal"])
    page = client.get(
        reverse("registry:school-detail", kwargs={"school_pk": cast.school.pk})
    ).content.decode()
    assert 'id="dynamics"' in page and "<svg" in page and row.chart.path in page
