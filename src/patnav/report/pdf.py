"""The report as PDF: the static HTML (charts as PNG) laid out by WeasyPrint with the CJK fonts installed."""

from __future__ import annotations

from pathlib import Path

from patnav.report.html import render_html
from patnav.report.model import Report

_PAGE_CSS = """
@page { size: A4; margin: 18mm 16mm 20mm; @bottom-center { content: counter(page) " / " counter(pages);
        font-size: 8pt; color: #52606d; } }
body { font-size: 10pt; }
header.cover { padding: 0 0 1rem; }
main { padding: 0; max-width: none; }
h2 { page-break-after: avoid; }
.chart, .figures, tr { page-break-inside: avoid; }
.figures { grid-template-columns: repeat(4, 1fr); }
details.source-box summary { display: none; }
details.source-box .source { display: block; font-size: 6.5pt; }
details.source-box .sql { display: none; }  /* the SQL is in the HTML report and the XLSX annex */
"""


def write_pdf(report: Report, path: Path) -> Path:
    """Write ``report`` as a PDF at ``path`` (A4, page numbers, charts as images)."""
    import weasyprint

    html = render_html(report, interactive=False)
    weasyprint.HTML(string=html).write_pdf(str(path), stylesheets=[weasyprint.CSS(string=_PAGE_CSS)])
    return path
