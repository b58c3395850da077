"""A review as Markdown and as PDF; the metrics as CSV and inline SVG.

The PDF uses fpdf2 (the SLA report's stack) with DejaVu Sans, a Unicode TrueType font, so names
such as "Łódź" or "Müller" render and extract back as text. The font is Debian's
`fonts-dejavu-core`; without it the PDF falls back to the Latin-1 core font (a character it
cannot show becomes "?") and says so in the log.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Sequence
from html import escape
from pathlib import Path

from fpdf import FPDF

from watchkeeper.branding.selectors import brand_current
from watchkeeper.core.humanize import duration_text
from watchkeeper.reviews.facts import Facts, answers
from watchkeeper.reviews.metrics import Load, Metrics, Noise, Times
from watchkeeper.reviews.models import TEMPLATE_FIELDS, ActionItem, FactorKind, Review

log = logging.getLogger("watchkeeper.reviews")
FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts/dejavu"),
)


def _d(delta: object) -> str:
    return duration_text(delta) if delta is not None else "—"  # type: ignore[arg-type]


def review_markdown(
    review: Review, facts: Facts, items: Sequence[ActionItem], *, internal: bool = True
) -> str:
    """The whole review (internal) as Markdown; `internal=False` gives only what a client may read."""
    incident = review.incident
    lines = [f"# Post-incident review: {incident.reference} {incident.title}", ""]
    lines += [
        f"- Client: {incident.client.name}",
        f"- Service: {incident.service.name}",
        f"- Priority: {incident.priority}",
        f"- Opened: {incident.opened_at:%Y-%m-%d %H:%M} UTC",
        f"- Resolved: {incident.resolved_at:%Y-%m-%d %H:%M} UTC" if incident.resolved_at else "- Resolved: —",
    ]
    if internal:
        owner = review.owner.full_name or review.owner.email if review.owner else "nobody"
        lines += [f"- Review owner: {owner}", f"- Status: {review.get_status_display()}", ""]
        lines += ["## Facts", ""]
        lines += [
            f"- Time to detect: {_d(facts.time_to_detect)}",
            f"- Time to acknowledge: {_d(facts.time_to_acknowledge)}",
            f"- Time to mitigate: {_d(facts.time_to_mitigate)}",
            f"- Time to resolve: {_d(facts.time_to_resolve)}",
            f"- Pages sent: {facts.pages_sent}; escalation levels reached: {facts.escalation_levels}",
            f"- SLA outcome: {facts.sla_outcome}",
        ]
        for gap in facts.gaps_over:
            lines.append(f"- Client update gap over the interval: {gap.label}, {_d(gap.length)}")
        lines += ["", *[f"**{question}** {answer}" + "  " for question, answer in answers(facts)], ""]
    for name, label, client_safe in TEMPLATE_FIELDS:
        value = getattr(review, name).strip()
        if value and (internal or client_safe):
            lines += [f"## {label}", "", value, ""]
    if internal and review.factors:
        lines += ["## Contributing factors", ""]
        kinds = dict(FactorKind.choices)
        lines += [f"- {kinds.get(f['kind'], f['kind'])}: {f['text']}" for f in review.factors] + [""]
    if internal and items:
        lines += ["## Action items", "", "| Action | Type | Owner | Due | Status |", "|---|---|---|---|---|"]
        for item in items:
            who = item.owner.full_name or item.owner.email
            title = item.title.replace("|", "\\|")
            lines.append(
                f"| {title} | {item.get_kind_display()} | {who} | {item.due_on} "
                f"| {item.get_status_display()} |"
            )
        lines.append("")
    if internal:
        starred = [row for row in facts.timeline if row.starred or row.annotation]
        if starred:
            lines += ["## Key moments", ""]
            for row in starred:
                note = f" — {row.annotation}" if row.annotation else ""
                lines.append(
                    f"- {row.entry.at:%Y-%m-%d %H:%M} {'★ ' if row.starred else ''}{row.entry.text}{note}"
                )
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _font_dir() -> Path | None:
    for folder in FONT_DIRS:
        if (folder / "DejaVuSans.ttf").is_file() and (folder / "DejaVuSans-Bold.ttf").is_file():
            return folder
    return None


def _pdf() -> tuple[FPDF, str]:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    folder = _font_dir()
    if folder is None:
        log.warning("DejaVu fonts not found (install fonts-dejavu-core): the PDF is Latin-1 only")
        return pdf, "Helvetica"
    pdf.add_font("DejaVu", "", str(folder / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(folder / "DejaVuSans-Bold.ttf"))
    return pdf, "DejaVu"


def review_pdf(review: Review, facts: Facts, items: Sequence[ActionItem], *, internal: bool = True) -> bytes:
    """The Markdown export laid out as a PDF: headings bold, everything else as text lines."""
    pdf, font = _pdf()
    unicode_ok = font == "DejaVu"

    def text(value: str) -> str:
        return value if unicode_ok else value.encode("latin-1", "replace").decode("latin-1")

    incident = review.incident
    pdf.set_title(text(f"Review {incident.reference}"))
    pdf.set_author(text(brand_current().name))
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    for line in review_markdown(review, facts, items, internal=internal).splitlines():
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            pdf.set_font(font, "B", 16 if level == 1 else 12)
            pdf.ln(2)
            pdf.multi_cell(width, 8, text(line.lstrip("# ").strip()), new_x="LMARGIN", new_y="NEXT")
        elif line.startswith("|---"):
            continue
        else:
            pdf.set_font(font, "", 10)
            shown = (
                line.replace("**", "").strip("| ").replace(" | ", "  ·  ") if line.startswith("|") else line
            )
            shown = shown.replace("**", "")
            pdf.multi_cell(width, 5.5, text(shown) or " ", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


# --- metrics ------------------------------------------------------------------------------------


def _safe(value: object) -> str:
    """No spreadsheet formulas from free text (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}"


def metrics_csv(metrics: Metrics) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([metrics.group, "incidents", "acknowledged", "mtta_mean_s", "mtta_median_s",
                     "resolved", "mttr_mean_s", "mttr_median_s"])  # fmt: skip
    for row in [*metrics.rows, metrics.total]:
        a, r = row.mtta, row.mttr
        writer.writerow([_safe(row.key), row.incidents, a.count, _seconds(a.mean), _seconds(a.median),
                         r.count, _seconds(r.mean), _seconds(r.median)])  # fmt: skip
    return out.getvalue()


def noise_csv(noise: Noise) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["measure", "value"])
    for name in (
        "alerts",
        "incidents",
        "alerts_per_incident",
        "never_acknowledged",
        "auto_resolved",
        "flapping",
    ):
        writer.writerow([name, getattr(noise, name)])
    writer.writerow([])
    writer.writerow(["client", "integration", "type", "alerts"])
    writer.writerows([[_safe(c), _safe(i), t, n] for c, i, t, n in noise.integrations])
    return out.getvalue()


def load_csv(loads: Sequence[Load]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["technician", "time_zone", "pages", "notifications", "interruptions",
                     "business_hours", "off_hours", "sleep_hours"])  # fmt: skip
    for load in loads:
        i = load.interruptions
        writer.writerow([_safe(load.person), load.zone, load.pages, load.notifications,
                         load.interruptions_total,
                         i["business"], i["off"], i["sleep"]])  # fmt: skip
    return out.getvalue()


def bars_svg(values: Sequence[tuple[str, float]], *, label: str, unit: str = "") -> str:
    """A bar chart as SVG markup safe to inline (every text escaped)."""
    bar, height = 40, 120
    top = max((value for _, value in values), default=0) or 1
    width = bar * len(values) + 20
    parts = [
        # Drawn at 1.6× its units (9-unit text reads as about 14 px), never wider than its column.
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height + 36}" role="img" '
        f'width="{round(width * 1.6)}" height="{round((height + 36) * 1.6)}" '
        f'aria-label="{escape(label)}" class="metrics-chart">',
        f'<line x1="10" y1="{height}" x2="{width}" y2="{height}" stroke="currentColor" stroke-width="1"/>',
    ]
    for index, (name, value) in enumerate(values):
        x, h = 14 + index * bar, value / top * (height - 14)
        shown = f"{value:g}{unit}"
        parts.append(
            f'<rect x="{x}" y="{height - h:.1f}" width="{bar - 10}" height="{h:.1f}" fill="#1565c0">'
            f"<title>{escape(name)}: {escape(shown)}</title></rect>"
            f'<text x="{x + (bar - 10) / 2}" y="{height + 14}" font-size="9" text-anchor="middle" '
            f'fill="currentColor">{escape(name[-5:])}</text>'
            f'<text x="{x + (bar - 10) / 2}" y="{height - h - 3:.1f}" font-size="9" text-anchor="middle" '
            f'fill="currentColor">{escape(shown)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def minutes(times: Times, which: str = "mean") -> float:
    value = getattr(times, which)
    return round(value / 60, 1) if value is not None else 0.0
