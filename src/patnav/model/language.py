"""The language of a text told from its script: what readers and the search analysis both need.

Kana → ``ja``; Hangul → ``ko``; Han without kana → ``zh``; Latin letters → ``en``; anything else → ``None``.
It is a script test, not a language model: German or French text in Latin script also reads as ``en``, so a
record's own language, where it has one, should win.
"""

from __future__ import annotations

import re

KANA = "\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f"
HANGUL = "\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f"
HAN = "\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff\U00020000-\U0002fa1f"

_KANA_RE = re.compile(f"[{KANA}]")
_HANGUL_RE = re.compile(f"[{HANGUL}]")
_HAN_RE = re.compile(f"[{HAN}]")
_LATIN_RE = re.compile(r"[A-Za-z\u00c0-\u024f]")


def script_language(text: str | None, sample: int = 2000) -> str | None:
    """``ja``/``ko``/``zh``/``en`` from the script of the first ``sample`` characters, or None."""
    if not text:
        return None
    t = text[:sample]
    if _KANA_RE.search(t):
        return "ja"
    if _HANGUL_RE.search(t):
        return "ko"
    if _HAN_RE.search(t):
        return "zh"
    return "en" if _LATIN_RE.search(t) else None
