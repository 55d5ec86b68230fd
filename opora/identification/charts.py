"""The chart of «Почему школа в списке»: each result the low-results rule read, against its threshold.

One row per assessment and year: a bar for the observed share below the minimum, the 95 % interval as a
whisker, a diamond for the estimate allowing for the sample size, and a dashed line at the threshold. The
geometry is computed here; the template only draws it. Coordinates are strings with a dot (SVG syntax).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

WIDTH = 680
LABEL = 290  # the left column with the assessment's name, e.g. «2025 · ЕГЭ 11 кл. · Математика (профиль…)»
RIGHT = 16
ROW = 22
TOP, BOTTOM = 8, 22


def _n(value: float) -> str:
    return f"{value:.1f}"


@dataclass(frozen=True)
class ThresholdRow:
    label: str
    y: str
    text_y: str
    bar_width: str  # "" without an observed share
    whisker: str  # an SVG path, "" without an interval
    diamond: str  # an SVG path, "" without an estimate
    meets: bool
    title: str


@dataclass(frozen=True)
class ThresholdChart:
    width: int
    height: int
    left: str
    right: str
    threshold_x: str
    axis_y: str
    ticks: list[tuple[str, str]]  # (x, label)
    rows: list[ThresholdRow]


def _x(share: float) -> float:
    return LABEL + (WIDTH - LABEL - RIGHT) * max(0.0, min(100.0, share)) / 100.0


def threshold_chart(details: list[dict[str, Any]], *, threshold: float) -> ThresholdChart | None:
    """The chart of the rule's details (rows of `analytics.low_results` DETAIL_COLUMNS); None when empty."""
    rows: list[ThresholdRow] = []
    for index, item in enumerate(details):
        top = TOP + index * ROW
        middle = top + ROW / 2
        share, low, high = (
            item.get("below_min_pct"),
            item.get("below_min_ci_low"),
            item.get("below_min_ci_high"),
        )
        shrunken = item.get("shrunken_pct")
        whisker = ""
        if low is not None and high is not None:
            a, b = _x(low), _x(high)
            caps = f"M{_n(a)} {_n(middle - 4)}V{_n(middle + 4)}M{_n(b)} {_n(middle - 4)}V{_n(middle + 4)}"
            whisker = f"M{_n(a)} {_n(middle)}H{_n(b)}{caps}"
        diamond = ""
        if shrunken is not None:
            x = _x(shrunken)
            diamond = (
                f"M{_n(x)} {_n(middle - 5)}L{_n(x + 4)} {_n(middle)}"
                f"L{_n(x)} {_n(middle + 5)}L{_n(x - 4)} {_n(middle)}Z"
            )
        label = (
            f"{item.get('year')} · {item.get('procedure')} {item.get('grade')} кл. · {item.get('subject')}"
        )
        rows.append(
            ThresholdRow(
                label=label,
                y=_n(top + 4),
                text_y=_n(middle + 4),
                bar_width=_n(_x(share) - LABEL) if share is not None else "",
                whisker=whisker,
                diamond=diamond,
                meets=item.get("result") == "meets",
                title=f"{label}: N = {item.get('below_min_n')}",
            )
        )
    if not rows:
        return None
    height = TOP + len(rows) * ROW + BOTTOM
    return ThresholdChart(
        width=WIDTH,
        height=height,
        left=_n(LABEL),
        right=_n(WIDTH - RIGHT),
        threshold_x=_n(_x(threshold)),
        axis_y=_n(height - BOTTOM),
        ticks=[(_n(_x(v)), f"{v} %") for v in (0, 25, 50, 75, 100)],
        rows=rows,
    )
