"""Rendering a page: the Jinja2 environment with the translation function of the reader's language."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from patnav.i18n import gettext

TEMPLATES = Path(__file__).with_name("templates")
HTML_LANG = {"zh_CN": "zh-CN", "ja": "ja", "en": "en"}
LANGUAGES = (("zh_CN", "中文"), ("ja", "日本語"), ("en", "English"))


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # templates ship with the package; no file check on every page
    )
    env.filters["number"] = lambda v: "—" if v is None else (f"{v:,}" if isinstance(v, int) else f"{v:,.3g}")
    return env


def render(
    request: Request, template: str, lang: str, principal: Any = None, status: int = 200, **context: Any
) -> HTMLResponse:
    """The page ``template`` in ``lang``; ``_`` in templates translates and fills ``{fields}``."""

    def t(message: str, **fields: Any) -> str:
        text = gettext(message, lang)
        return text.format(**fields) if fields else text

    values: dict[str, Any] = {
        "request": request,
        "_": t,
        "lang": lang,
        "html_lang": HTML_LANG.get(lang, "en"),
        "languages": LANGUAGES,
        "me": principal,
        "csrf": principal.session.csrf_token if principal is not None and principal.session is not None else "",
        "path": request.url.path,
    }
    html = environment().get_template(template).render({**values, **context})
    return HTMLResponse(html, status_code=status)
