"""The calls-by-hour chart of «Статистика» as an SVG drawn on the server (no script, no CDN).

Stacked bars per hour of the day in the viewer's time zone: answered at the bottom,
missed on top, with a few horizontal grid lines at round values.
"""
from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT = 600, 240
LEFT, RIGHT, TOP, BOTTOM = 34, 6, 12, 26


@dataclass(frozen=True)
class Bar:
    hour: int
    x: float
    width: float
    answered_y: float
    answered_h: float
    missed_y: float
    missed_h: float
    answered: int
    missed: int


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    grid: list[tuple[float, int]]         # (y, value)
    baseline: float
    left: int
    right: float
    label_y: float
    empty: bool


def _step(top: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000):
        if top / step <= 5:
            return step
    return max(1, top // 5)


def hour_chart(by_hour) -> Chart:
    """`by_hour`: objects with `hour`, `answered`, `missed` (missing hours count as zero)."""
    counts = {h.hour: (h.answered, h.missed) for h in by_hour}
    peak = max((a + m for a, m in counts.values()), default=0)
    step = _step(max(peak, 1))
    top = max(step, -(-peak // step) * step)
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / 24
    baseline = TOP + plot_h
    bars = []
    for hour in range(24):
        answered, missed = counts.get(hour, (0, 0))
        ah = plot_h * answered / top
        mh = plot_h * missed / top
        bars.append(Bar(hour, LEFT + hour * slot + slot * 0.15, slot * 0.7, baseline - ah, ah, baseline - ah - mh, mh,
                        answered, missed))
    grid = [(baseline - plot_h * v / top, v) for v in range(0, top + 1, step)]
    return Chart(WIDTH, HEIGHT, bars, grid, baseline, LEFT, WIDTH - RIGHT, HEIGHT - 6, peak == 0)
