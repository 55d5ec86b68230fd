"""Small server-rendered SVG charts: the geometry is computed here, the template only draws it.

Coordinates are returned as strings with a dot (SVG's syntax), never through Django's localisation, which
would write a decimal comma.
"""

import math
from dataclasses import dataclass, field

WIDTH = 360
HEIGHT = 170
LEFT, RIGHT, TOP, BOTTOM = 40, 12, 10, 24


def _n(value: float) -> str:
    return f"{value:.1f}"


def _pct(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


@dataclass(frozen=True)
class SharePoint:
    """One year of the school: the share and its confidence interval, in % (any may be missing)."""

    year: int
    value: float | None
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class Marker:
    x: str
    y: str
    whisker: str  # an SVG path: the interval with its caps, or "" without an interval
    title: str


@dataclass(frozen=True)
class Tick:
    position: str  # x for a year, y for a share
    label: str


@dataclass(frozen=True)
class Line:
    key: str  # "municipality" or "region": the template names and styles it
    path: str


@dataclass(frozen=True)
class ShareChart:
    width: int
    height: int
    left: str
    right: str
    top: str
    bottom: str
    path: str  # the school's line; a missing year breaks it
    markers: list[Marker] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)


def _scale_max(values: list[float]) -> float:
    """The top of the share axis: the largest value rounded up to 10 %, at least 10 %, at most 100 %."""
    top = max(values, default=0.0)
    return float(min(100, max(10, math.ceil(top / 10) * 10)))


def _path(points: list[tuple[float, float] | None]) -> str:
    parts: list[str] = []
    pen_down = False
    for point in points:
        if point is None:
            pen_down = False
            continue
        parts.append(f"{'L' if pen_down else 'M'}{_n(point[0])} {_n(point[1])}")
        pen_down = True
    return " ".join(parts)


def share_chart(
    *,
    years: list[int],
    points: list[SharePoint],
    references: dict[str, list[float | None]] | None = None,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> ShareChart | None:
    """The «2» share of a school by year, with its intervals as whiskers and reference lines.

    `years` is the x axis (evenly spaced, oldest first); `points` and each reference list are aligned
    with it. None when the school has no share in any year.

    >>> chart = share_chart(years=[2024, 2025], points=[SharePoint(2024, 20.0), SharePoint(2025, 10.0)])
    >>> chart.path
    'M40.0 10.0 L348.0 78.0'
    """
    references = references or {}
    if not any(p.value is not None for p in points):
        return None
    everything = [v for p in points for v in (p.value, p.high) if v is not None]
    everything += [v for line in references.values() for v in line if v is not None]
    top_value = _scale_max(everything)
    plot_width = width - LEFT - RIGHT
    plot_height = height - TOP - BOTTOM

    def x(index: int) -> float:
        if len(years) == 1:
            return LEFT + plot_width / 2
        return LEFT + plot_width * index / (len(years) - 1)

    def y(value: float) -> float:
        return TOP + plot_height * (1 - min(value, top_value) / top_value)

    school: list[tuple[float, float] | None] = []
    markers = []
    for index, point in enumerate(points):
        if point.value is None:
            school.append(None)
            continue
        school.append((x(index), y(point.value)))
        whisker = ""
        title = f"{point.year}: {_pct(point.value)} %"
        if point.low is not None and point.high is not None:
            cx, low, high = x(index), y(point.low), y(point.high)
            whisker = (
                f"M{_n(cx)} {_n(low)} L{_n(cx)} {_n(high)} "
                f"M{_n(cx - 4)} {_n(low)} L{_n(cx + 4)} {_n(low)} "
                f"M{_n(cx - 4)} {_n(high)} L{_n(cx + 4)} {_n(high)}"
            )
            title += f" ({_pct(point.low)}–{_pct(point.high)})"
        markers.append(Marker(x=_n(x(index)), y=_n(y(point.value)), whisker=whisker, title=title))
    lines = [
        Line(key, _path([(x(i), y(v)) if v is not None else None for i, v in enumerate(values)]))
        for key, values in references.items()
        if any(v is not None for v in values)
    ]
    return ShareChart(
        width=width,
        height=height,
        left=_n(LEFT),
        right=_n(width - RIGHT),
        top=_n(TOP),
        bottom=_n(height - BOTTOM),
        path=_path(school),
        markers=markers,
        lines=lines,
        x_ticks=[Tick(_n(x(i)), str(year)) for i, year in enumerate(years)],
        y_ticks=[Tick(_n(y(v)), f"{v:g}") for v in (0.0, top_value / 2, top_value)],
    )
