"""Signing in and out, choosing the language, the start page, and ``/api/v1/me``."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from patnav.app import accounts, security
from patnav.app.corpora import corpus_path
from patnav.app.deps import (
    DB,
    LANG_COOKIE,
    PRE_COOKIE,
    SESSION_COOKIE,
    AppSettings,
    Who,
    request_lang,
)
from patnav.app.errors import AppError
from patnav.app.pages import LANGUAGES, render
from patnav.i18n import normalize_lang

router = APIRouter()
YEAR = 365 * 24 * 3600


def _safe_next(target: str | None) -> str:
    """Only a path on this site (never another host) is followed after sign-in or a language switch."""
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(request: Request, settings: AppSettings, next: str = "/") -> Response:
    pre = request.cookies.get(PRE_COOKIE) or security.new_token(16)
    response = render(
        request, "login.html.j2", request_lang(request), pre=pre, next=_safe_next(next), error="", username=""
    )
    response.set_cookie(PRE_COOKIE, pre, httponly=True, samesite="strict", secure=settings.secure_cookies)
    return response


@router.post("/login", include_in_schema=False)
def login(
    request: Request,
    db: DB,
    settings: AppSettings,
    username: Annotated[str, Form(max_length=120)],
    password: Annotated[str, Form(max_length=1024)],
    pre: Annotated[str, Form(max_length=64)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    lang = request_lang(request)
    if not security.same(pre, request.cookies.get(PRE_COOKIE)):
        error = AppError(403, "csrf", "The form expired or did not come from this site. Reload the page.")
    else:
        try:
            user = accounts.authenticate(
                db,
                username,
                password,
                request.client.host if request.client else "",
                settings.login_attempts,
                settings.login_window_s,
            )
        except AppError as exc:
            error = exc
        else:
            token, _ws = accounts.start_session(db, user, settings.session_hours)
            accounts.audit(db, user, "sign_in")
            response = RedirectResponse(_safe_next(next), status_code=303)
            response.set_cookie(
                SESSION_COOKIE,
                token,
                httponly=True,
                samesite="lax",
                secure=settings.secure_cookies,
                max_age=settings.session_hours * 3600,
            )
            return response
    from patnav.i18n import gettext

    return render(
        request,
        "login.html.j2",
        lang,
        status=error.status,
        pre=request.cookies.get(PRE_COOKIE, ""),
        next=_safe_next(next),
        error=gettext(error.message, lang).format(**error.fields),
        username=username,
    )


@router.post("/logout", include_in_schema=False)
def logout(request: Request, db: DB, me: Who) -> Response:
    accounts.end_session(db, request.cookies.get(SESSION_COOKIE))
    accounts.audit(db, me.user, "sign_out")
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/lang/{code}", include_in_schema=False)
def choose_language(code: str, settings: AppSettings, next: str = "/") -> Response:
    """Switch the interface language; remembered in a cookie for a year."""
    if code not in {c for c, _label in LANGUAGES}:
        raise AppError(404, "not_found", "Not found: {what}", what=code[:20])
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(LANG_COOKIE, normalize_lang(code), max_age=YEAR, samesite="lax", secure=settings.secure_cookies)
    return response


def _corpora(settings: AppSettings, me: Who) -> list[dict[str, object]]:
    from patnav.corpus.store import Corpus

    out = []
    for scope, label in (("public", me.t("Public corpus")), ("org", me.t("{org}'s own corpus", org=me.org.name))):
        path = corpus_path(settings, me.org.slug, scope)
        count = None
        try:
            with Corpus(path, create=False, read_only=True) as corpus:
                count = corpus.table_counts().get("publications")
        except Exception:  # not created yet (CorpusNotFoundError), or held by a load's write lock
            count = None
        out.append({"scope": scope, "label": label, "publications": count})
    return out


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request, settings: AppSettings, me: Who) -> Response:
    return render(request, "home.html.j2", me.lang, me, corpora=_corpora(settings, me))


@router.get("/api/v1/me", tags=["account"])
def me_api(me: Who, settings: AppSettings) -> dict[str, object]:
    """Who the token or session belongs to, their organisation, role and what the corpora hold."""
    from patnav.app.permissions import ALLOWED

    return {
        "username": me.user.username,
        "display_name": me.user.display_name,
        "role": me.user.role,
        "organisation": {"slug": me.org.slug, "name": me.org.name},
        "lang": me.lang,
        "may": sorted(a.value for a in ALLOWED.get(me.user.role, ())),
        "corpora": _corpora(settings, me),
    }
