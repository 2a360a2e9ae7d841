"""The one error type pages and the API answer with: an HTTP status, a stable code and a translatable message."""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    """``message`` is an English msgid, translated into the user's language when answered; ``args`` fill it."""

    def __init__(self, status: int, code: str, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields


def not_found(what: str = "") -> AppError:
    return AppError(404, "not_found", "Not found: {what}", what=what)


def forbidden() -> AppError:
    return AppError(403, "forbidden", "Your role does not allow this.")
