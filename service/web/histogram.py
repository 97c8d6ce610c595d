"""The score histogram as SVG geometry, server-rendered by the dashboard's template (no
chart library, nothing fetched): one bar per stats bin, heights scaled to the fullest."""

from __future__ import annotations

from dataclasses import dataclass

from service.stats import Bin

WIDTH, HEIGHT = 640, 220  # the viewBox; the SVG scales to its container
LEFT, BOTTOM, TOP = 36, 28, 12  # room for the count axis and the bin labels


@dataclass(frozen=True)
class Bar:
    """One bin's bar in viewBox units, with what its title and data attributes say."""

    x: float
    y: float
    width: float
    height: float
    lo: float
    hi: float
    count: int
    last: bool  # the last bin is closed: [lo, hi]

    @property
    def label(self) -> str:
        right = "]" if self.last else ")"
        return f"[{self.lo:g}, {self.hi:g}{right}"


def bars(bins: list[Bin]) -> list[Bar]:
    """Return the bars of ``bins`` (left to right)."""
    if not bins:
        return []
    tallest = max(b.count for b in bins) or 1
    slot = (WIDTH - LEFT) / len(bins)
    plot = HEIGHT - BOTTOM - TOP
    out = []
    for i, b in enumerate(bins):
        height = plot * b.count / tallest
        out.append(
            Bar(
                x=round(LEFT + i * slot + 2, 2),
                y=round(TOP + plot - height, 2),
                width=round(slot - 4, 2),
                height=round(height, 2),
                lo=b.lo,
                hi=b.hi,
                count=b.count,
                last=i == len(bins) - 1,
            )
        )
    return out


def ticks(bins: list[Bin]) -> list[tuple[float, int]]:
    """(y, count) of the count axis: 0 and the tallest bar."""
    tallest = max((b.count for b in bins), default=0)
    ticks = [(float(HEIGHT - BOTTOM), 0)]
    if tallest:
        ticks.append((float(TOP), tallest))
    return ticks
