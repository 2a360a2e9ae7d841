"""Messages that are stored in English and shown in the reader's language: why a record was rejected, why a
number or a date could not be read.

A :class:`Reason` *is* the English text (a ``str``), so everything that writes, compares or prints a reason
keeps working; it also remembers the template it was made from (an English msgid marked with ``N_``) and the
values that filled it. The corpus stores both, the text and the template with its values (as JSON), and a page,
the API or the CLI renders the template again in the reader's language with :func:`render`. A value may itself be
a Reason (``"'X1' is not a patent number: {reason}"``): it is translated too.

Values keep their own spelling (numbers, dates, field names as the source wrote them); only the template's words
are translated.
"""

from __future__ import annotations

import json
from typing import Any

from patnav.i18n import N_, gettext

__all__ = ["Reason", "reason_json", "reason_of", "render", "render_stored"]

#: The template of a problem only a library could describe (a parser's own message), kept as written.
PROBLEM = N_("{problem}")


class Reason(str):
    """An English message made from ``msgid`` (an ``N_``-marked template) and ``params``; equal to its text."""

    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, /, **params: Any) -> Reason:
        values = {k: _plain(v) for k, v in params.items()}
        text = msgid.format(**values) if values else msgid
        obj = super().__new__(cls, text)
        obj.msgid = msgid
        obj.params = values
        return obj

    def __reduce__(self) -> tuple[Any, ...]:  # loader worker processes send rejections back pickled
        return (_rebuild, (self.msgid, self.params))

    def to_json(self) -> dict[str, Any]:
        """``{"id": msgid, "params": {...}}``, nested reasons as the same shape."""
        return {
            "id": self.msgid,
            "params": {k: v.to_json() if isinstance(v, Reason) else v for k, v in self.params.items()},
        }

    def text(self, lang: str) -> str:
        """This message in ``lang``."""
        return render(self.msgid, self.to_json()["params"], lang, fallback=str(self))


def _rebuild(msgid: str, params: dict[str, Any]) -> Reason:
    return Reason(msgid, **params)


def _plain(value: Any) -> Any:
    """A value as it is kept: a reason stays one, numbers and None stay as they are (``{n:,}``, ``{x!r}``), anything
    else is text."""
    if value is None or (isinstance(value, Reason | int | float) and not isinstance(value, bool)):
        return value
    return str(value)


def reason_of(exc: BaseException) -> Reason:
    """Why ``exc`` happened, as a :class:`Reason`: the template the exception carries (``exc.message``, set by
    the normalisers' errors), else its text as a value of :data:`PROBLEM` (shown as written in every language)."""
    message = getattr(exc, "message", None)
    if isinstance(message, Reason) and message == str(exc):
        return message
    return Reason(PROBLEM, problem=str(exc))


def reason_json(reason: str | None) -> tuple[str | None, str | None]:
    """The template and the JSON of the values to store beside ``reason`` (None, None for plain text)."""
    if not isinstance(reason, Reason):
        return None, None
    data = reason.to_json()
    return data["id"], json.dumps(data["params"], ensure_ascii=False, sort_keys=True)


def render(msgid: str, params: dict[str, Any] | None, lang: str, *, fallback: str | None = None) -> str:
    """The template ``msgid`` in ``lang``, filled with ``params`` (nested ``{"id", "params"}`` values rendered in
    ``lang`` too). A translation that cannot be filled falls back to ``fallback`` (the English text)."""
    values: dict[str, Any] = {}
    for key, value in (params or {}).items():
        if isinstance(value, dict) and isinstance(value.get("id"), str):
            values[key] = render(value["id"], value.get("params"), lang)
        else:
            values[key] = value
    for template in (gettext(msgid, lang), msgid):
        try:
            return template.format(**values) if values or "{" in template else template
        except (KeyError, IndexError, ValueError, AttributeError):
            continue
    return fallback if fallback is not None else msgid


def render_stored(reason: str | None, reason_id: str | None, reason_params: str | None, lang: str) -> str:
    """A quarantined record's reason in ``lang``: rendered from its stored template and values, or the stored
    English text where there are none (rows written before templates were stored, or by other tools)."""
    if not reason_id:
        return reason or ""
    try:
        params = json.loads(reason_params) if reason_params else {}
    except ValueError:
        return reason or ""
    if not isinstance(params, dict):
        return reason or ""
    return render(reason_id, params, lang, fallback=reason or "")
