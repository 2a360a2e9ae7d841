"""Values made JSON-ready for a page or an API answer, as FastAPI's ``jsonable_encoder`` makes them, faster.

A patent record is a few hundred plain values (strings, numbers, dates) in dicts and lists; ``jsonable_encoder``
asks a dozen questions of each (dataclass? pydantic model? enum? …) and was a fifth of the patent page's time.
:func:`plain` answers the common types itself and hands anything else to ``jsonable_encoder``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.encoders import jsonable_encoder

_AS_IS = (str, int, float, bool, type(None))
_ISO = (dt.date, dt.datetime, dt.time)


def plain(value: Any) -> Any:
    """``value`` with dicts, lists and tuples walked, dates as ISO text, and other types as FastAPI encodes them."""
    kind = type(value)
    if kind in _AS_IS:
        return value
    if kind is dict:
        return {k if type(k) is str else plain(k): plain(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [plain(v) for v in value]
    if kind in _ISO:
        return value.isoformat()
    return jsonable_encoder(value)
