"""The web application: pages and ``/api/v1`` under one FastAPI app, errors answered in the reader's language
(JSON with a code and a message for the API, a page for the browser), and the job dispatcher started with it."""

from __future__ import annotations

import threading
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from patnav.app.database import upgrade
from patnav.app.deps import request_lang
from patnav.app.errors import AppError
from patnav.app.pages import render
from patnav.app.settings import Settings, load_settings
from patnav.i18n import gettext

STATIC = Path(__file__).with_name("static")


class SecurityHeaders:
    """Headers every answer carries (no MIME sniffing, no framing by other sites, no referrer outside).

    Plain ASGI rather than ``@app.middleware("http")``: Starlette's BaseHTTPMiddleware runs each request through
    an extra task and memory stream, measurable on every page under load."""

    HEADERS = (
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"x-frame-options", b"SAMEORIGIN"),
    )

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _v in message.get("headers", [])}
                extra = [(name, value) for name, value in self.HEADERS if name not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _answer(request: Request, status: int, code: str, message: str, fields: dict[str, Any]) -> Response:
    lang = request_lang(request)
    text = gettext(message, lang)
    with suppress(KeyError, IndexError):
        text = text.format(**fields) if fields else text
    if _is_api(request):
        return JSONResponse({"error": {"code": code, "message": text}}, status_code=status)
    if status == 401:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    principal = getattr(request.state, "principal", None)
    return render(request, "error.html.j2", lang, principal, status=status, http_status=status, code=code, message=text)


def create_app(settings: Settings | None = None, *, jobs: bool = True, migrate: bool = True) -> FastAPI:
    """The platform; ``jobs=False`` leaves background jobs to another process (tests drive them)."""
    settings = settings or load_settings()
    if migrate:
        upgrade(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        import anyio.to_thread

        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
        if jobs:  # a serving process, not a test's app: load the word dictionaries before the first query
            from patnav.search.analysis import warm_up

            threading.Thread(target=warm_up, name="patnav-warm-up", daemon=True).start()
        dispatcher = None
        if jobs:
            from patnav.app.jobs import Dispatcher

            dispatcher = Dispatcher(settings)
            dispatcher.start()
        app.state.dispatcher = dispatcher
        yield
        if dispatcher is not None:
            dispatcher.stop()

    from patnav import __version__

    app = FastAPI(
        title="patnav",
        version=__version__,
        summary="Industrial patent navigation platform: search, navigation projects, indicators.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
        # FastAPI asks OpenTelemetry on every request whether anyone listens; patnav configures no exporter
        # (no network at run time), so the question is switched off unless PATNAV_TELEMETRY asks for it.
        telemetry=None if settings.telemetry else {"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> Response:
        return _answer(request, exc.status, exc.code, exc.message, exc.fields)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path"))
        return _answer(
            request,
            422,
            "invalid",
            "Invalid input in {field}: {problem}",
            {"field": where or "?", "problem": first.get("msg", "")},
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return _answer(request, 404, "not_found", "Not found: {what}", {"what": request.url.path})
        if exc.status_code == 405:
            return _answer(request, 405, "method", "This address does not accept that method.", {})
        return _answer(request, exc.status_code, "http", str(exc.detail), {})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    from patnav.app.views import ROUTERS

    for router in ROUTERS:
        app.include_router(router)
    app.add_middleware(SecurityHeaders)
    return app
