"""Translations of the text a user reads (CLI help and messages, reports, errors): zh-CN, ja and en.

Catalogues are ordinary gettext ``.po`` files under ``patnav/locale/<lang>/LC_MESSAGES/patnav.po`` so
translators can use their usual tools; they are read at run time with Babel (no compile step). The
language comes from ``PATNAV_LANG``, else ``LC_ALL``/``LC_MESSAGES``/``LANG``, else English.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"
SUPPORTED = ("zh_CN", "ja", "en")
DOMAIN = "patnav"


def normalize_lang(value: str | None) -> str:
    """Map a locale name (``zh-CN``, ``zh_CN.UTF-8``, ``ja_JP``, ``C``) to a shipped catalogue."""
    if not value:
        return "en"
    base = value.split(".")[0].replace("-", "_")
    lower = base.lower()
    if lower.startswith("zh"):
        return "zh_CN"
    if lower.startswith("ja"):
        return "ja"
    return "en"


def current_lang() -> str:
    for var in ("PATNAV_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:
            return normalize_lang(value)
    return "en"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """msgid → translation for ``lang`` (empty for English, whose msgids are the text)."""
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        cat = read_po(fh)
    return {str(m.id): str(m.string) for m in cat if m.id and m.string and not m.fuzzy}


def gettext(message: str, lang: str | None = None) -> str:
    """The translation of ``message`` in ``lang`` (default: the user's language), or the message itself."""
    return catalogue(lang or current_lang()).get(message, message)


_ = gettext


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it (it is stored, then shown with ``gettext``)."""
    return message
