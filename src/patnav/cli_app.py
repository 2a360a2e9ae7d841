"""``patnav serve`` and ``patnav admin …``: start the web platform and manage its accounts from the shell."""

from __future__ import annotations

from typing import Annotated

import typer

from patnav.cli_common import _fail, console
from patnav.i18n import _

admin_app = typer.Typer(help=_("Accounts of the web platform: organisations, users, passwords."), no_args_is_help=True)


def serve(
    host: Annotated[str, typer.Option(help=_("Address to listen on."))] = "127.0.0.1",
    port: Annotated[int, typer.Option(help=_("Port to listen on."))] = 8000,
    workers: Annotated[int, typer.Option(help=_("Server processes (one runs the background jobs)."))] = 1,
) -> None:
    """Start the web platform (pages, REST API at /api/v1, OpenAPI at /api/docs)."""
    import uvicorn

    from patnav.app.database import upgrade
    from patnav.app.settings import load_settings

    settings = load_settings()
    upgrade(settings.database_url)
    console.print(
        _("patnav at http://{host}:{port}/ (API docs: /api/docs); data in {data}").format(
            host=host, port=port, data=settings.data_dir
        )
    )
    from patnav.app.protocol import RoomyHttpToolsProtocol

    uvicorn.run(
        "patnav.app.asgi:app",
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        proxy_headers=False,
        http=RoomyHttpToolsProtocol,
    )


def _session():  # type: ignore[no-untyped-def]
    from patnav.app.database import session_scope, upgrade
    from patnav.app.settings import load_settings

    settings = load_settings()
    upgrade(settings.database_url)
    return session_scope(settings.database_url)


def _run(action):  # type: ignore[no-untyped-def]
    from patnav.app.errors import AppError
    from patnav.i18n import gettext

    try:
        with _session() as db:
            return action(db)
    except AppError as exc:
        raise _fail(gettext(exc.message).format(**exc.fields)) from None


@admin_app.command("create-org", help=_("Create an organisation."))
def create_org(
    slug: Annotated[str, typer.Argument(help=_("Short id: lower-case letters, digits, hyphens."))],
    name: Annotated[str, typer.Option("--name", help=_("Display name."))] = "",
    exist_ok: Annotated[bool, typer.Option("--exist-ok", help=_("Succeed quietly if it exists."))] = False,
) -> None:
    from patnav.app import accounts

    def act(db):  # type: ignore[no-untyped-def]
        if exist_ok and accounts.find_org(db, slug):
            return
        org = accounts.create_org(db, slug, name or slug)
        accounts.audit(db, None, "org.create", f"org:{org.slug}", via="cli")
        console.print(_("organisation {slug} created").format(slug=org.slug))

    _run(act)


@admin_app.command("create-user", help=_("Create a user; with no --password one is generated and printed once."))
def create_user(
    username: Annotated[str, typer.Argument(help=_("User name."))],
    org: Annotated[str, typer.Option("--org", help=_("Organisation id."))],
    role: Annotated[str, typer.Option("--role", help=_("administrator, analyst, service_agency, bank or viewer."))] = (
        "analyst"
    ),
    password: Annotated[str | None, typer.Option("--password", help=_("Password (default: generated)."))] = None,
    exist_ok: Annotated[bool, typer.Option("--exist-ok", help=_("Succeed quietly if it exists."))] = False,
) -> None:
    from patnav.app import accounts, security

    def act(db):  # type: ignore[no-untyped-def]
        if exist_ok and accounts.find_user(db, username):
            console.print(_("user {name} exists already").format(name=username))
            return
        found = accounts.find_org(db, org)
        if found is None:
            raise _fail(_("no organisation {slug}: create it first with 'patnav admin create-org'").format(slug=org))
        secret = password or security.generate_password()
        user = accounts.create_user(db, found, username, secret, role)
        accounts.audit(db, None, "user.create", f"user:{user.username}", via="cli", role=role)
        console.print(_("user {name} ({role}) created in {org}").format(name=user.username, role=role, org=org))
        if not password:
            console.print(_("password (shown once): {password}").format(password=secret))

    _run(act)


@admin_app.command("reset-password", help=_("Set a new password (generated and printed once unless given)."))
def reset_password(
    username: Annotated[str, typer.Argument(help=_("User name."))],
    password: Annotated[str | None, typer.Option("--password", help=_("Password (default: generated)."))] = None,
) -> None:
    from patnav.app import accounts, security

    def act(db):  # type: ignore[no-untyped-def]
        user = accounts.find_user(db, username)
        if user is None:
            raise _fail(_("no user {name}").format(name=username))
        secret = password or security.generate_password()
        accounts.set_password(db, user, secret)
        accounts.audit(db, None, "user.password", f"user:{user.username}", via="cli")
        console.print(_("password of {name} changed; its sessions were signed out").format(name=user.username))
        if not password:
            console.print(_("password (shown once): {password}").format(password=secret))

    _run(act)
