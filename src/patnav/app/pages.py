"""Rendering a page: the Jinja2 environment with the translation function of the reader's language."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from patnav.i18n import N_, gettext

TEMPLATES = Path(__file__).with_name("templates")
HTML_LANG = {"zh_CN": "zh-CN", "ja": "ja", "en": "en"}
LANGUAGES = (("zh_CN", "中文"), ("ja", "日本語"), ("en", "English"))


#: What background jobs write as their progress line, in English; shown in the reader's language. Lines are
#: whole messages, ``head: detail`` (a step or a file) or ``embedding (model)``.
PROGRESS = (N_("full-text index"), N_("waiting for the corpus to be free"), N_("indicators"), N_("saving"))
_EMBEDDING = re.compile(r"embedding \((?P<model>[^)]*)\)")


def progress_text(message: str | None, lang: str) -> str:
    """A job's progress line in ``lang`` (the parts that are not names or numbers)."""
    if not message:
        return ""
    whole = gettext(message, lang)
    if whole != message:
        return whole
    if m := _EMBEDDING.fullmatch(message):
        return gettext(N_("embedding ({model})"), lang).format(model=m["model"])
    head, sep, tail = message.partition(": ")
    return f"{gettext(head, lang)}: {gettext(tail, lang)}" if sep else message


_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Environment(jinja2.Environment):
    """Jinja's environment with a fast path for ``mapping.key`` on plain dicts.

    Jinja looks up ``x.key`` as an attribute first and, for a dict, falls back to the item after catching the
    AttributeError: under load that exception was 7 % of a server process's Python time. For a plain dict whose
    key is not a dict method the answer is the same without it.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


@cache
def environment() -> jinja2.Environment:
    env = _Environment(
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
        "progress_text": lambda message: progress_text(message, lang),
    }
    html = environment().get_template(template).render({**values, **context})
    return HTMLResponse(html, status_code=status)
