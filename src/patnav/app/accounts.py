"""Organisations, users, sign-in with throttling, browser sessions and API tokens: the rules, not the pages."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time

from sqlalchemy import delete, event, func, select
from sqlalchemy.orm import Session, joinedload

from patnav.app import security
from patnav.app.errors import AppError
from patnav.app.models import ApiToken, AuditEntry, LoginAttempt, Organisation, Role, User, WebSession, utcnow

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
USERNAME = re.compile(r"^[\w.@+-]{2,120}$")


def audit(db: Session, user: User | None, action: str, target: str = "", **detail: object) -> None:
    """Record who did what (uploads, runs, shares, role changes, sign-ins…) in the same transaction."""
    db.add(
        AuditEntry(
            user_id=user.id if user else None,
            org_id=user.org_id if user else None,
            action=action,
            target=target[:255],
            detail={k: v for k, v in detail.items() if v is not None},
        )
    )


def create_org(db: Session, slug: str, name: str) -> Organisation:
    slug = slug.strip().lower()
    if not SLUG.match(slug):
        raise AppError(
            422, "bad_slug", "An organisation id is 2–63 lower-case letters, digits or hyphens: {value}", value=slug
        )
    if db.scalar(select(Organisation).where(Organisation.slug == slug)):
        raise AppError(409, "exists", "That already exists: {value}", value=slug)
    org = Organisation(slug=slug, name=name.strip()[:200] or slug)
    db.add(org)
    db.flush()
    return org


def _check_password(password: str) -> None:
    if not security.MIN_PASSWORD <= len(password) <= security.MAX_PASSWORD:
        raise AppError(422, "weak_password", "A password needs at least {n} characters.", n=security.MIN_PASSWORD)


def create_user(
    db: Session, org: Organisation, username: str, password: str, role: str, display_name: str = ""
) -> User:
    username = username.strip()
    if not USERNAME.match(username):
        raise AppError(
            422, "bad_username", "A user name is 2–120 letters, digits or . @ + - _: {value}", value=username[:40]
        )
    if role not in {r.value for r in Role}:
        raise AppError(422, "bad_role", "Unknown role: {value}", value=role[:40])
    _check_password(password)
    if db.scalar(select(User).where(func.lower(User.username) == username.lower())):
        raise AppError(409, "exists", "That already exists: {value}", value=username)
    user = User(
        username=username,
        display_name=display_name.strip()[:200],
        role=role,
        org_id=org.id,
        password_hash=security.hash_password(password),
    )
    db.add(user)
    db.flush()
    return user


def set_password(db: Session, user: User, password: str) -> None:
    _check_password(password)
    user.password_hash = security.hash_password(password)
    db.execute(delete(WebSession).where(WebSession.user_id == user.id))
    forget_sessions()


def find_user(db: Session, username: str) -> User | None:
    return db.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))


def find_org(db: Session, slug: str) -> Organisation | None:
    return db.scalar(select(Organisation).where(Organisation.slug == slug.strip().lower()))


def throttled(db: Session, username: str, address: str, limit: int, window_s: int) -> bool:
    """Too many failed sign-ins for this name (from anywhere) or from this address within the window."""
    since = utcnow() - dt.timedelta(seconds=window_s)
    failed = (
        select(func.count()).select_from(LoginAttempt).where(LoginAttempt.at >= since, LoginAttempt.success.is_(False))
    )
    by_name = db.scalar(failed.where(LoginAttempt.username == username.lower())) or 0
    by_address = db.scalar(failed.where(LoginAttempt.address == address)) or 0
    return by_name >= limit or by_address >= limit * 4


def authenticate(db: Session, username: str, password: str, address: str, limit: int, window_s: int) -> User:
    """The user these credentials name, or an error that does not reveal which part was wrong."""
    if throttled(db, username, address, limit, window_s):
        raise AppError(429, "throttled", "Too many failed sign-ins. Wait a few minutes and try again.")
    user = find_user(db, username)
    ok = user is not None and user.is_active and security.verify_password(user.password_hash, password)
    db.add(LoginAttempt(username=username.strip().lower()[:120], address=address[:64], success=ok))
    if not ok or user is None:
        db.commit()  # the failed attempt must count even though we raise
        raise AppError(401, "bad_credentials", "Wrong user name or password.")
    if security.needs_rehash(user.password_hash):
        user.password_hash = security.hash_password(password)
    return user


def start_session(db: Session, user: User, hours: int) -> tuple[str, WebSession]:
    token = security.new_token()
    ws = WebSession(
        token_hash=security.token_hash(token),
        csrf_token=security.new_token(24),
        user_id=user.id,
        expires_at=utcnow() + dt.timedelta(hours=hours),
    )
    db.add(ws)
    db.flush()
    return token, ws


#: Seconds a server process trusts a browser session it has looked up, instead of asking the database on every
#: request (under load that query was a quarter of the time each page spent in Python). Sign-out and any change
#: to a user, an organisation or a session made through this process apply at once; made through another
#: server process or ``patnav admin``, within this many seconds.
SESSION_TRUST_S = 2.0
_trusted: dict[str, tuple[float, User, WebSession]] = {}
_trusted_lock = threading.Lock()


def forget_sessions() -> None:
    """Drop every session this process trusts (after a change to accounts, and in tests)."""
    with _trusted_lock:
        _trusted.clear()


@event.listens_for(Session, "after_flush")
def _accounts_changed(db: Session, _context: object) -> None:
    if any(isinstance(o, User | Organisation | WebSession) for o in (*db.new, *db.dirty, *db.deleted)):
        forget_sessions()


def trusted_session(token: str | None) -> tuple[User, WebSession] | None:
    """The user and session of a token this process looked up less than :data:`SESSION_TRUST_S` ago (no
    database needed), else None."""
    if not token:
        return None
    with _trusted_lock:
        hit = _trusted.get(security.token_hash(token))
    if hit is not None and hit[0] > time.monotonic() and hit[2].expires_at >= utcnow():
        return hit[1], hit[2]
    return None


def session_user(db: Session, token: str | None) -> tuple[User, WebSession] | None:
    """The user a session token belongs to, with the session; None when unknown, expired or deactivated.

    The rows returned are detached from ``db`` (they may be shared with other requests of this process)."""
    if not token:
        return None
    if (hit := trusted_session(token)) is not None:
        return hit
    key = security.token_hash(token)
    now = time.monotonic()
    # One query for the session, its user and their organisation.
    ws = db.scalar(
        select(WebSession).options(joinedload(WebSession.user).joinedload(User.org)).where(WebSession.token_hash == key)
    )
    if ws is None or ws.expires_at < utcnow() or not ws.user.is_active:
        return None
    user = ws.user
    for row in (ws, user, user.org):
        db.expunge(row)
    with _trusted_lock:
        _trusted[key] = (now + SESSION_TRUST_S, user, ws)
    return user, ws


def end_session(db: Session, token: str | None) -> None:
    if token:
        db.execute(delete(WebSession).where(WebSession.token_hash == security.token_hash(token)))
        forget_sessions()


def create_token(db: Session, user: User, name: str) -> tuple[str, ApiToken]:
    """A new API token; the plain value is returned once and never stored."""
    token = "pn_" + security.new_token()
    row = ApiToken(
        user_id=user.id, name=name.strip()[:120] or "token", prefix=token[:10], token_hash=security.token_hash(token)
    )
    db.add(row)
    db.flush()
    return token, row


def token_user(db: Session, token: str) -> User | None:
    row = db.scalar(
        select(ApiToken)
        .options(joinedload(ApiToken.user).joinedload(User.org))
        .where(ApiToken.token_hash == security.token_hash(token))
    )
    if row is None or row.revoked_at is not None or not row.user.is_active:
        return None
    row.last_used_at = utcnow()
    return row.user


def revoke_token(db: Session, user: User, token_id: int) -> ApiToken:
    row = db.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise AppError(404, "not_found", "Not found: {what}", what=f"token {token_id}")
    row.revoked_at = row.revoked_at or utcnow()
    return row
