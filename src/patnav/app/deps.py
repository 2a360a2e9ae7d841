"""What every page and endpoint asks for: the settings, a database session, the signed-in person (by session
cookie or API token), their language, a CSRF check on forms, and the role check."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from patnav.app import accounts
from patnav.app.database import session_factory
from patnav.app.errors import AppError, forbidden
from patnav.app.models import Organisation, User, WebSession
from patnav.app.permissions import Action, allowed
from patnav.app.security import same
from patnav.app.settings import Settings
from patnav.i18n import gettext, normalize_lang

SESSION_COOKIE = "patnav_session"
LANG_COOKIE = "patnav_lang"
PRE_COOKIE = "patnav_pre"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


# Dependencies that do not block are ``async def``: FastAPI runs a plain ``def`` dependency in a worker thread,
# two thread hops per request for a lookup.
async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_db(request: Request) -> AsyncIterator[Session]:
    """One session per request: committed when the handler returns, rolled back when it raises.

    Most pages never touch the database (the signed-in session is usually known to the process already), so
    the commit and close go to a worker thread only when the session began a transaction: two thread hops
    fewer per request."""
    db = session_factory(request.app.state.settings.database_url)()
    try:
        yield db
        if db.in_transaction():
            await run_in_threadpool(db.commit)
    except BaseException:
        if db.in_transaction():
            await run_in_threadpool(db.rollback)
        raise
    finally:
        if db.in_transaction():
            await run_in_threadpool(db.close)
        elif db.identity_map or db.new or db.deleted:  # a session that held nothing has nothing to release
            db.close()


# "function" scope: committed before the response leaves, so a redirect never outruns its own write
# (a browser following a sign-in redirect must find the new session).
DB = Annotated[Session, Depends(get_db, scope="function")]
AppSettings = Annotated[Settings, Depends(get_settings)]


def request_lang(request: Request, user: User | None = None) -> str:
    """The language to answer in: the remembered choice (cookie), the account's, the browser's, else English."""
    chosen = request.cookies.get(LANG_COOKIE) or (user.lang if user else None)
    if chosen:
        return normalize_lang(chosen)
    header = request.headers.get("accept-language", "")
    for part in header.split(","):
        code = part.split(";")[0].strip()
        if code:
            lang = normalize_lang(code)
            if lang != "en" or code.lower().startswith("en"):
                return lang
    return "en"


@dataclass(slots=True)
class Principal:
    """Who is asking, from which organisation, how they proved it, and in which language they read."""

    user: User
    org: Organisation
    session: WebSession | None
    lang: str

    def can(self, action: Action) -> bool:
        return allowed(self.user.role, action)

    def t(self, message: str, **fields: Any) -> str:
        text = gettext(message, self.lang)
        return text.format(**fields) if fields else text


def _address(request: Request) -> str:
    return request.client.host if request.client else ""


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


def identify(request: Request, db: Session) -> Principal:
    """Who the session cookie or API token names (no CSRF check): 401 when nobody."""
    token = _bearer(request)
    if token:
        user = accounts.token_user(db, token)
        if user is None:
            raise AppError(401, "bad_token", "This API token is unknown or revoked.")
        return Principal(user, user.org, None, request_lang(request, user))
    found = accounts.session_user(db, request.cookies.get(SESSION_COOKIE))
    if found is None:
        raise AppError(401, "sign_in", "Please sign in.")
    user, ws = found
    return Principal(user, user.org, ws, request_lang(request, user))


def _identify_alone(request: Request) -> Principal:
    """:func:`identify` without the request's database session: a browser session this process trusts needs no
    database; otherwise a session of its own is opened, committed (an API token records its last use) and
    closed. Pages that never touch the database then never open one."""
    if not _bearer(request):
        hit = accounts.trusted_session(request.cookies.get(SESSION_COOKIE))
        if hit is not None:
            user, ws = hit
            return Principal(user, user.org, ws, request_lang(request, user))
    db = session_factory(request.app.state.settings.database_url)()
    try:
        principal = identify(request, db)
        db.commit()
        for row in (principal.user, principal.org, principal.session):
            if row is not None and row in db:
                db.expunge(row)
        return principal
    finally:
        db.close()


async def current(request: Request) -> Principal:
    """The signed-in person; 401 when nobody is, 403 when a cookie-authenticated form lacks its CSRF token."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    principal = _identify_alone(request)
    if principal.session is not None and request.method in UNSAFE:  # tokens are not sent by browsers on their own
        sent = request.headers.get(CSRF_HEADER)
        if not sent and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        ):
            sent = (await request.form()).get(CSRF_FIELD)  # type: ignore[assignment]
        if not same(str(sent) if sent else None, principal.session.csrf_token):
            raise AppError(403, "csrf", "The form expired or did not come from this site. Reload the page.")
    # The principal's rows are detached with their attributes loaded: error pages, which render after the
    # request's session has closed, can still show who is signed in.
    request.state.principal = principal
    return principal


Who = Annotated[Principal, Depends(current)]


def require(action: Action) -> Callable[..., Any]:
    """A dependency that lets the request through only when the person's role allows ``action``."""

    async def check(principal: Who) -> Principal:
        if not principal.can(action):
            raise forbidden()
        return principal

    return check


def may(action: Action) -> Any:
    return Annotated[Principal, Depends(require(action))]


def paginate(page: int = 1, per_page: int = 20) -> tuple[int, int]:
    if page < 1 or not 1 <= per_page <= 200:
        raise AppError(422, "bad_page", "page starts at 1 and per_page is between 1 and 200.")
    return page, per_page


async def _page(page: int = 1, per_page: int = 20) -> tuple[int, int]:
    return paginate(page, per_page)


Page = Annotated[tuple[int, int], Depends(_page)]
