"""Geometry of the server-rendered SVG charts (pure: numbers in, rectangles out; no JS library)."""
from __future__ import annotations

from dataclasses import dataclass, field

STATUS_ORDER = ("met", "expiring_soon", "missing", "failed", "not_applicable")
STATUS_COLOURS = {"met": "#2e7d32", "expiring_soon": "#ef8f00", "missing": "#f2c200", "failed": "#c62828",
                  "not_applicable": "#b0bec5"}


@dataclass
class Segment:
    status: str
    count: int
    x: float
    width: float
    colour: str


@dataclass
class Bar:
    label: str
    sublabel: str
    y: float
    total: int
    percent: int | None
    segments: list[Segment] = field(default_factory=list)


@dataclass
class StackedBars:
    width: int
    height: int
    bar_x: int
    bar_width: int
    bar_height: int
    bars: list[Bar]


def stacked_bars(rows: list[tuple[str, str, dict[str, int], int | None]], *, width: int = 720, label_width: int = 260,
                 bar_height: int = 22, gap: int = 18) -> StackedBars:
    """rows: (label, sublabel, {status: count}, percent of requirements met). Each bar is 100 % wide:
    segments show the share of scopes in each status, in a fixed order (met first)."""
    bar_width = width - label_width - 60
    bars = []
    for index, (label, sublabel, counts, percent) in enumerate(rows):
        total = sum(counts.values())
        y = index * (bar_height + gap) + 4
        x = float(label_width)
        segments = []
        for status in STATUS_ORDER:
            count = counts.get(status, 0)
            if not count or not total:
                continue
            w = bar_width * count / total
            segments.append(Segment(status=status, count=count, x=round(x, 2), width=round(w, 2),
                                    colour=STATUS_COLOURS[status]))
            x += w
        bars.append(Bar(label=label, sublabel=sublabel, y=y, total=total, percent=percent, segments=segments))
    height = len(rows) * (bar_height + gap) + 8
    return StackedBars(width=width, height=height, bar_x=label_width, bar_width=bar_width, bar_height=bar_height,
                       bars=bars)
