"""The report as one self-contained HTML file: interactive charts (vega-embed inlined, no CDN) or, for PDF,
static PNG charts inlined as data URIs."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import jinja2

from patnav.i18n import gettext
from patnav.report.charts import embed_script, styled, to_png
from patnav.report.model import Report

_TEMPLATES = Path(__file__).with_name("templates")
_HTML_LANG = {"zh_CN": "zh-CN", "ja": "ja", "en": "en"}


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "✓" if value else ""
    if isinstance(value, int):  # years (and other numbers under 10,000) are written without a separator
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return _cell(int(value))
        return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.1f}"
    return str(value)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
    )
    env.filters["cell"] = _cell
    env.filters["id"] = id
    return env


def render_html(report: Report, *, interactive: bool = True) -> str:
    """The report as HTML; ``interactive=False`` draws every chart as an inline PNG (what the PDF prints)."""
    from patnav import __version__

    charts = [chart for _section, chart in report.charts()]
    chart_ids = {id(c): str(i) for i, c in enumerate(charts)}
    specs = {chart_ids[id(c)]: styled(c.spec) for c in charts}
    images: dict[int, str] = {}
    if not interactive:
        images = {id(c): base64.b64encode(to_png(c.spec)).decode("ascii") for c in charts}
    labels = {
        "source": gettext("Query and data behind it", report.lang),
        "provenance": gettext("Provenance", report.lang),
    }
    template = _environment().get_template("report.html.j2")
    return template.render(
        report=report,
        html_lang=_HTML_LANG.get(report.lang, "en"),
        version=__version__,
        interactive=interactive,
        embed_script=embed_script() if interactive else "",
        specs_json=json.dumps(specs, ensure_ascii=False).replace("</", "<\\/"),
        chart_ids=chart_ids,
        images=images,
        labels=labels,
    )


def write_html(report: Report, path: Path) -> Path:
    path.write_text(render_html(report), encoding="utf-8")
    return path
