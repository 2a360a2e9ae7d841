"""The report as a Word document (what Chinese clients usually expect): headings, text, tables and charts as
images, with an East Asian font set so Chinese and Japanese text displays in Word and WPS."""

from __future__ import annotations

import io
from pathlib import Path

from patnav.i18n import gettext
from patnav.report.charts import to_png
from patnav.report.html import _cell
from patnav.report.model import Chart, KeyFigures, Note, Paragraph, Report, Table

EAST_ASIAN_FONT = {"zh_CN": "Noto Sans CJK SC", "ja": "Noto Sans CJK JP", "en": "Noto Sans CJK SC"}


def _set_fonts(document: object, lang: str) -> None:
    from docx.oxml.ns import qn

    style = document.styles["Normal"]  # type: ignore[attr-defined]
    style.font.name = "Noto Sans"
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), EAST_ASIAN_FONT.get(lang, EAST_ASIAN_FONT["en"]))


def write_docx(report: Report, path: Path) -> Path:
    """Write ``report`` as DOCX at ``path``."""
    from docx import Document
    from docx.shared import Cm, Pt

    document = Document()
    _set_fonts(document, report.lang)
    document.add_heading(report.title, level=0)
    if report.subtitle:
        document.add_paragraph(report.subtitle)
    for number, section in enumerate(report.sections, start=1):
        document.add_heading(f"{number}. {section.title}", level=1)
        for block in section.blocks:
            if isinstance(block, Paragraph):
                document.add_paragraph(block.text)
            elif isinstance(block, Note):
                para = document.add_paragraph()
                run = para.add_run(block.text)
                run.italic = True
            elif isinstance(block, KeyFigures):
                table = document.add_table(rows=2, cols=len(block.items))
                table.style = "Light Grid Accent 1"
                for i, (label, value) in enumerate(block.items):
                    table.cell(0, i).text = str(value)
                    table.cell(1, i).text = label
            elif isinstance(block, Table):
                if block.caption:
                    document.add_paragraph(block.caption).runs[0].bold = True
                table = document.add_table(rows=1, cols=len(block.columns))
                table.style = "Light List Accent 1"
                for i, col in enumerate(block.columns):
                    table.rows[0].cells[i].text = str(col)
                for row in block.rows:
                    cells = table.add_row().cells
                    for i, value in enumerate(row):
                        cells[i].text = _cell(value)
                for row in table.rows:
                    for cell in row.cells:
                        for para in cell.paragraphs:
                            for run in para.runs:
                                run.font.size = Pt(8.5)
            elif isinstance(block, Chart):
                if block.caption:
                    document.add_paragraph(block.caption).runs[0].bold = True
                document.add_picture(io.BytesIO(to_png(block.spec)), width=Cm(16))
    document.add_heading(gettext("Provenance", report.lang), level=1)
    for key, value in report.provenance:
        para = document.add_paragraph()
        para.add_run(f"{key}: ").bold = True
        para.add_run(str(value))
    document.save(str(path))
    return path
