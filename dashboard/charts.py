"""Small inline SVG charts, drawn on the server: no chart library, nothing to load, readable
without JavaScript. Each bar carries a <title> (the browser's tooltip) and the chart a text
alternative; the page also shows the numbers in a table."""

import math
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 420, 210
LEFT, RIGHT, TOP, BOTTOM = 30, 6, 10, 26


@dataclass(frozen=True)
class Series:
    name: str
    values: list[int]
    css_class: str  # colour, from app.css: series-a, series-b


def nice_ceiling(value: int) -> int:
    """A round top for the y axis: 1, 2, 5, 10, 20, 50, ... at least `value`."""
    if value <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def bar_chart(*, title: str, labels: list[str], series: list[Series]) -> SafeString:
    """Grouped bars: one group per label (a week), one bar per series."""
    top = nice_ceiling(max((v for s in series for v in s.values), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group_w = plot_w / max(len(labels), 1)
    bar_w = group_w * 0.7 / max(len(series), 1)

    def y(value: float) -> float:
        return TOP + plot_h - plot_h * value / top

    grid = []
    for tick in (0, top / 2, top):
        grid.append(
            format_html(
                '<line class="grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
                '<text class="tick" x="{}" y="{}" text-anchor="end">{}</text>',
                LEFT,
                WIDTH - RIGHT,
                f"{y(tick):.1f}",
                f"{y(tick):.1f}",
                LEFT - 6,
                f"{y(tick) + 4:.1f}",
                f"{tick:g}",
            )
        )
    bars = []
    for i, label in enumerate(labels):
        x0 = LEFT + i * group_w + group_w * 0.15
        for k, s in enumerate(series):
            value = s.values[i]
            bars.append(
                format_html(
                    '<rect class="{}" x="{}" y="{}" width="{}" height="{}" rx="2">'
                    "<title>{}: {} {}</title></rect>",
                    s.css_class,
                    f"{x0 + k * bar_w:.1f}",
                    f"{y(value):.1f}",
                    f"{max(bar_w - 1, 1):.1f}",
                    f"{TOP + plot_h - y(value):.1f}",
                    label,
                    value,
                    s.name.lower(),
                )
            )
        # Every other week's label, so that twelve fit on a phone.
        if i % 2 == (len(labels) - 1) % 2:
            bars.append(
                format_html(
                    '<text class="tick" x="{}" y="{}" text-anchor="middle">{}</text>',
                    f"{LEFT + (i + 0.5) * group_w:.1f}",
                    HEIGHT - 8,
                    label,
                )
            )
    summary = "; ".join(f"{s.name}: {sum(s.values)} in {len(labels)} weeks" for s in series)
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}">{}{}</svg>',
        WIDTH,
        HEIGHT,
        f"{title}. {summary}.",
        mark_safe("".join(grid)),  # noqa: S308 - built with format_html above
        mark_safe("".join(bars)),  # noqa: S308 - built with format_html above
    )


def legend(series: list[Series]) -> SafeString:
    return format_html(
        '<ul class="legend">{}</ul>',
        format_html_join(
            "",
            '<li><span class="swatch {}"></span>{}</li>',
            ((s.css_class, s.name) for s in series),
        ),
    )
