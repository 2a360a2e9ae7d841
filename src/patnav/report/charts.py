"""Chart rendering shared by every output: the Vega-Lite specs as they are drawn (fonts, sizes) and as static
images (PNG through vl-convert) for PDF and DOCX, with a CJK font so Chinese and Japanese labels render."""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

#: font families tried in order in every chart; Noto Sans CJK ships with Debian's fonts-noto-cjk
FONT = "Noto Sans CJK SC, Noto Sans CJK JP, Noto Sans, DejaVu Sans, sans-serif"
FONT_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype", "/usr/share/fonts")


@functools.cache
def _fonts_registered() -> bool:
    import vl_convert as vlc

    found = False
    for folder in FONT_DIRS:
        if Path(folder).is_dir():
            vlc.register_font_directory(folder)
            found = True
    return found


def cjk_font_available() -> bool:
    """Whether a CJK font is installed where the chart renderer and WeasyPrint look (Debian fonts-noto-cjk)."""
    return any(Path(d).is_dir() and any(Path(d).rglob("NotoSansCJK*")) for d in FONT_DIRS[:1])


def styled(spec: dict[str, Any], width: int | None = None) -> dict[str, Any]:
    """``spec`` with the report's font and, unless it sets its own, a width that fits the page."""
    out = copy.deepcopy(spec)
    config = out.setdefault("config", {})
    config.setdefault("font", FONT)
    for key in ("axis", "legend", "title", "header", "mark"):
        config.setdefault(key, {})
    config["axis"].setdefault("labelFont", FONT)
    config["axis"].setdefault("titleFont", FONT)
    config["legend"].setdefault("labelFont", FONT)
    config["legend"].setdefault("titleFont", FONT)
    config["title"].setdefault("font", FONT)
    if (
        width is not None
        and "width" not in out
        and not any(k in out for k in ("hconcat", "vconcat", "concat", "facet"))
    ):
        out["width"] = width
    out["$schema"] = "https://vega.github.io/schema/vega-lite/v6.json"  # the version vl-convert bundles
    return out


#: PNGs already drawn in this process, by spec: the PDF and the DOCX of one run draw the same charts, and the
#: landscape alone takes seconds at 10,000 points. Bounded by total size (oldest dropped first).
_PNG_CACHE: OrderedDict[str, bytes] = OrderedDict()
PNG_CACHE_BYTES = 64 << 20
_PNG_LOCK = threading.Lock()


def to_png(spec: dict[str, Any], scale: float = 2.0) -> bytes:
    """The chart as a PNG (for PDF and DOCX), fonts registered first so CJK text is drawn, not boxes."""
    import vl_convert as vlc

    drawn = styled(spec, 640)
    text = json.dumps(drawn, sort_keys=True, default=str)
    key = f"{scale}:{hashlib.blake2b(text.encode(), digest_size=16).hexdigest()}"
    with _PNG_LOCK:
        png = _PNG_CACHE.get(key)
        if png is not None:
            _PNG_CACHE.move_to_end(key)
            return png
    _fonts_registered()
    png = vlc.vegalite_to_png(drawn, scale=scale)
    with _PNG_LOCK:  # report jobs of the web platform render in threads
        _PNG_CACHE[key] = png
        while sum(len(v) for v in _PNG_CACHE.values()) > PNG_CACHE_BYTES and len(_PNG_CACHE) > 1:
            _PNG_CACHE.popitem(last=False)
    return png


def to_svg(spec: dict[str, Any]) -> str:
    import vl_convert as vlc

    _fonts_registered()
    return vlc.vegalite_to_svg(styled(spec, 640))


@functools.cache
def embed_script() -> str:
    """vega, vega-lite and vega-embed as one inline script (from the vl-convert wheel: no CDN, works offline)."""
    import vl_convert as vlc

    return vlc.javascript_bundle()
