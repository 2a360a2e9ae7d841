"""Secrets and their checks: argon2 password hashes, random tokens stored only as SHA-256, CSRF comparison."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()

#: Shortest password accepted (NIST SP 800-63B asks for at least 8).
MIN_PASSWORD = 8
MAX_PASSWORD = 1024


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str | None, b: str | None) -> bool:
    """Constant-time comparison of two secrets (either missing → not the same)."""
    if not a or not b:
        return False
    return hmac.compare_digest(a.encode(), b.encode())


def generate_password() -> str:
    """A password for a new administrator, printed once (16 URL-safe characters, ~96 bits)."""
    return secrets.token_urlsafe(12)
