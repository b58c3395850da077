"""Inline SVG for the console: a monitor's sparkline and its response-time chart. Server-side,
no script: the console works offline and the charts print."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from watchkeeper.monitoring.selectors import Point


def sparkline(values: Sequence[int | None], *, width: int = 120, height: int = 24) -> SafeString:
    """Hourly average response times of the last 24 hours; gaps where nothing ran."""
    known = [v for v in values if v is not None]
    if not known:
        return format_html('<span class="muted">{}</span>', "no data")
    top = max(known) or 1
    step = width / max(1, len(values) - 1)
    segments: list[list[str]] = [[]]
    for index, value in enumerate(values):
        if value is None:
            if segments[-1]:
                segments.append([])
            continue
        y = height - 2 - (height - 4) * value / top
        segments[-1].append(f"{index * step:.1f},{y:.1f}")
    paths = format_html_join(
        "",
        '<polyline points="{}" fill="none" stroke="currentColor" stroke-width="1.5"/>',
        ((" ".join(seg),) for seg in segments if seg),
    )
    return format_html(
        '<svg class="sparkline" width="{}" height="{}" viewBox="0 0 {} {}" role="img" '
        'aria-label="{}">{}</svg>',
        width,
        height,
        width,
        height,
        f"Response time over 24 hours, up to {top} ms",
        paths,
    )


def response_chart(points: Sequence[Point], *, width: int = 760, height: int = 200) -> SafeString:
    """Average and p95 response time as lines, failed checks as red bars along the bottom."""
    if not points:
        return mark_safe(
            '<p class="muted">No history in this range yet: '
            "rollups appear a few minutes after the first checks.</p>"
        )
    left, bottom = 48, 20
    plot_w, plot_h = width - left - 8, height - bottom - 8
    top = max([p.ms_p95 or p.ms_avg or 0 for p in points] + [1])
    start, end = points[0].at.timestamp(), points[-1].at.timestamp()
    span = max(1.0, end - start)

    def x(point: Point) -> float:
        return left + plot_w * (point.at.timestamp() - start) / span

    def y(value: int) -> float:
        return 8 + plot_h - plot_h * value / top

    avg = " ".join(f"{x(p):.1f},{y(p.ms_avg):.1f}" for p in points if p.ms_avg is not None)
    p95 = " ".join(f"{x(p):.1f},{y(p.ms_p95):.1f}" for p in points if p.ms_p95 is not None)
    bars = format_html_join(
        "",
        '<rect x="{}" y="{}" width="3" height="6" class="chart-failure">'
        "<title>{} failed of {}</title></rect>",
        ((f"{x(p) - 1.5:.1f}", height - bottom + 2, p.failures, p.checks) for p in points if p.failures),
    )
    axis = format_html(
        '<text x="{}" y="14" class="chart-label" text-anchor="end">{} ms</text>'
        '<text x="{}" y="{}" class="chart-label" text-anchor="end">0</text>'
        '<text x="{}" y="{}" class="chart-label">{}</text>'
        '<text x="{}" y="{}" class="chart-label" text-anchor="end">{}</text>',
        left - 4,
        top,
        left - 4,
        8 + plot_h,
        left,
        height - 2,
        points[0].at.strftime("%d %b %H:%M"),
        width - 8,
        height - 2,
        points[-1].at.strftime("%d %b %H:%M"),
    )
    return format_html(
        '<svg class="response-chart" viewBox="0 0 {} {}" width="100%" role="img" '
        'aria-label="Response time chart">'
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="currentColor" stroke-opacity="0.3"/>'
        '<polyline points="{}" fill="none" stroke="currentColor" stroke-opacity="0.35" '
        'stroke-width="1"><title>p95</title></polyline>'
        '<polyline points="{}" fill="none" stroke="currentColor" stroke-width="1.5">'
        "<title>average</title></polyline>"
        "{}{}</svg>",
        width,
        height,
        left,
        8 + plot_h,
        width - 8,
        8 + plot_h,
        p95,
        avg,
        bars,
        axis,
    )
