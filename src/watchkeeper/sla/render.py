"""Report output: CSV, inline SVG charts (server-side, no JavaScript) and a PDF (fpdf2)."""

from __future__ import annotations

import csv
import io
import logging
from html import escape

from fpdf import FPDF

from watchkeeper.branding.selectors import Brand, brand_current, brand_logo
from watchkeeper.core.clock import zone_or_utc
from watchkeeper.sla.reports import FAIR, GOOD, KINDS, LABELS, SlaReport, hours, tone_of

BAR_W, CHART_H = 48, 120
LOGO_MM = 14  # the logo's height in the PDF's header

log = logging.getLogger("watchkeeper.sla")
# The trend's colours by tone (reports.Cell.tone), and what each means: the chart's legend.
TONES: dict[str, tuple[str, tuple[int, int, int]]] = {
    "good": ("#2e7d32", (46, 125, 50)),
    "fair": ("#f9a825", (249, 168, 37)),
    "poor": ("#c62828", (198, 40, 40)),
}
LEGEND: list[tuple[str, str]] = [
    ("good", f"{GOOD} % or more of targets met"),
    ("fair", f"{FAIR} % to {GOOD} %"),
    ("poor", f"below {FAIR} %"),
    ("none", "no data: no clock finished that month"),
]


def trend_legend() -> list[tuple[str, str, str]]:
    """(tone, colour, meaning) for each colour of the trend chart, in the order shown."""
    return [(tone, TONES[tone][0] if tone in TONES else "transparent", text) for tone, text in LEGEND]


def report_csv(report: SlaReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["client", "period", "section", "target", "priority", "met", "breached", "open", "compliance_pct"]
    )
    for kind in KINDS:
        for priority in report.priorities:
            cell = report.cells.get((kind, priority))
            if cell is None:
                continue
            writer.writerow(
                [
                    report.client.slug,
                    report.label,
                    "compliance",
                    kind,
                    priority,
                    cell.met,
                    cell.breached,
                    cell.running,
                    "" if cell.compliance is None else cell.compliance,
                ]
            )
    for kind, times in report.times.items():
        writer.writerow(
            [
                report.client.slug,
                report.label,
                f"{kind}_time",
                kind,
                "",
                "",
                "",
                times.count,
                f"mean={hours(times.mean)}; median={hours(times.median)}",
            ]
        )
    for breach in report.breaches:
        writer.writerow(
            [
                report.client.slug,
                report.label,
                "breach",
                breach.kind,
                breach.priority,
                breach.incident.reference,
                breach.breached_at.isoformat(),
                "",
                _safe(breach.reason),
            ]
        )
    for month, value in report.trend:
        writer.writerow(
            [report.client.slug, month, "trend", "all", "", "", "", "", "" if value is None else value]
        )
    return out.getvalue()


def _safe(text: str) -> str:
    """No spreadsheet formulas from free text (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def trend_svg(report: SlaReport) -> str:
    """Six bars of monthly compliance, as SVG markup safe to inline."""
    width = BAR_W * len(report.trend) + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {CHART_H + 40}" role="img" '
        f'aria-label="Compliance per month" class="sla-trend">',
        f'<line x1="30" y1="{CHART_H}" x2="{width}" y2="{CHART_H}" stroke="currentColor" stroke-width="1"/>',
    ]
    for index, (month, value) in enumerate(report.trend):
        x = 34 + index * BAR_W
        height = 0 if value is None else value / 100 * (CHART_H - 10)
        label = "no data" if value is None else f"{value:g} %"
        colour = TONES.get(tone_of(value), TONES["poor"])[0]
        parts.append(
            f'<rect x="{x}" y="{CHART_H - height:.1f}" width="{BAR_W - 12}" height="{height:.1f}" '
            f'fill="{colour}"><title>{escape(month)}: {escape(label)}</title></rect>'
        )
        parts.append(
            f'<text x="{x + (BAR_W - 12) / 2}" y="{CHART_H + 14}" font-size="10" text-anchor="middle" '
            f'fill="currentColor">{escape(month[2:])}</text>'
        )
        parts.append(
            f'<text x="{x + (BAR_W - 12) / 2}" y="{CHART_H - height - 3:.1f}" font-size="9" '
            f'text-anchor="middle" fill="currentColor">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _latin(text: str) -> str:
    """The PDF core fonts are Latin-1; replace what they cannot show."""
    return text.replace("–", "-").replace("×", "x").encode("latin-1", "replace").decode("latin-1")


def _pdf_brand(pdf: FPDF, brand: Brand) -> None:
    """The MSP's logo and name at the top of the first page (the name alone without a logo)."""
    logo = brand_logo() if brand.has_logo else None
    x, top = pdf.l_margin, pdf.get_y()
    if logo is not None:
        try:
            shown = pdf.image(io.BytesIO(logo.data), x=x, y=top, h=LOGO_MM)
            x += float(shown.rendered_width) + 4
        except Exception:  # a logo the PDF library cannot decode: the name alone, the report still goes
            log.warning("the brand's logo could not be drawn in the PDF", exc_info=True)
    pdf.set_font("Helvetica", "B", 13)
    pdf.set_xy(x, top + (LOGO_MM - 7) / 2 if logo is not None else top)
    pdf.cell(0, 7, _latin(brand.name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(pdf.get_y(), top + (LOGO_MM if logo is not None else 7)) + 3)
    pdf.set_draw_color(200, 200, 200)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.set_draw_color(0, 0, 0)
    pdf.ln(3)


def report_pdf(report: SlaReport, *, brand: Brand | None = None) -> bytes:
    """The report as a PDF under the MSP's brand (default: the brand of the moment)."""
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title(_latin(f"SLA report: {report.client.name} - {report.label}"))
    pdf.set_author(_latin((brand or brand_current()).name))
    pdf.add_page()
    _pdf_brand(pdf, brand or brand_current())
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, _latin(f"SLA report: {report.client.name}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(0, 7, _latin(f"{report.label} - {report.incidents} incidents"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    _pdf_compliance(pdf, report)
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 8, "Business time to respond and resolve", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for kind, times in report.times.items():
        pdf.cell(
            0,
            6,
            _latin(
                f"{LABELS[kind]}: mean {hours(times.mean)}, median {hours(times.median)} "
                f"({times.count} incidents)"
            ),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    pdf.ln(4)
    _pdf_trend(pdf, report)
    _pdf_breaches(pdf, report)
    return bytes(pdf.output())


def _pdf_compliance(pdf: FPDF, report: SlaReport) -> None:
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 8, "Compliance per target and priority", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 9)
    widths = [40] + [25] * (len(report.priorities) + 1)
    for text, width in zip(["Target", *report.priorities, "All"], widths, strict=True):
        pdf.cell(width, 7, text, border=1)
    pdf.ln()
    pdf.set_font("Helvetica", "", 9)
    for kind in KINDS:
        if kind not in report.totals:
            continue
        pdf.cell(widths[0], 7, _latin(LABELS[kind]), border=1)
        for priority in report.priorities:
            cell = report.cells.get((kind, priority))
            pdf.cell(25, 7, _percent(cell.compliance if cell else None), border=1)
        pdf.cell(25, 7, _percent(report.totals[kind].compliance), border=1)
        pdf.ln()


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:g} %"


def _pdf_trend(pdf: FPDF, report: SlaReport) -> None:
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 8, "Six-month trend (all targets)", new_x="LMARGIN", new_y="NEXT")
    top, base, height = pdf.get_y() + 2, pdf.get_y() + 42, 38
    pdf.set_font("Helvetica", "", 8)
    for index, (month, value) in enumerate(report.trend):
        x = 20 + index * 28
        bar = 0 if value is None else value / 100 * height
        pdf.set_fill_color(*TONES.get(tone_of(value), TONES["poor"])[1])
        if bar:
            pdf.rect(x, base - bar, 18, bar, style="F")
        pdf.text(x, base + 4, month)
        pdf.text(x, max(top, base - bar - 1), _percent(value))
    pdf.set_y(base + 8)
    _pdf_legend(pdf)


def _pdf_legend(pdf: FPDF) -> None:
    """The trend's colours and what they mean, on one line under the chart."""
    pdf.set_font("Helvetica", "", 8)
    x, y = pdf.l_margin, pdf.get_y()
    for tone, text in LEGEND:
        if tone in TONES:
            pdf.set_fill_color(*TONES[tone][1])
            pdf.rect(x, y + 1, 3, 3, style="F")
        else:
            pdf.rect(x, y + 1, 3, 3, style="D")
        label = _latin(text)
        pdf.text(x + 4.5, y + 3.6, label)
        x += 4.5 + pdf.get_string_width(label) + 6
    pdf.set_y(y + 8)


def _pdf_breaches(pdf: FPDF, report: SlaReport) -> None:
    """One row per breach. Plain cells, not multi_cell: its line breaking costs far more than the
    rest of the report; a long reason is cut to the row (the CSV and HTML carry it whole)."""
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 8, f"Breaches ({len(report.breaches)})", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 8)
    if not report.breaches:
        pdf.cell(0, 6, "No breaches in this period.", new_x="LMARGIN", new_y="NEXT")
        return
    widths = (30, 10, 26, 36, 88)
    zone = zone_or_utc(report.client.timezone)  # the client reads its report in its own zone
    for text, width in zip(("Incident", "Prio", "Target", "Breached", "Reason"), widths, strict=True):
        pdf.cell(width, 6, text, border="B")
    pdf.ln()
    for breach in report.breaches[:1000]:
        reason = breach.reason or "reason not yet given"
        cells = (
            breach.incident.reference,
            breach.priority,
            LABELS[breach.kind],
            breach.breached_at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z"),
            reason[:66] + ("..." if len(reason) > 66 else ""),
        )
        for text, width in zip(cells, widths, strict=True):
            pdf.cell(width, 5, _latin(text))
        pdf.ln()
