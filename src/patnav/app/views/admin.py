"""Administration (role administrator): organisations, users and roles, and the audit log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from patnav.app import accounts
from patnav.app.deps import DB, Page, may
from patnav.app.errors import AppError
from patnav.app.models import AuditEntry, Organisation, Role, User
from patnav.app.pages import render
from patnav.app.permissions import Action

router = APIRouter()
Admin = may(Action.MANAGE_USERS)
Operator = may(Action.MANAGE_ORGS)
Auditor = may(Action.READ_AUDIT)
ROLES = [r.value for r in Role]


def _user(u: User) -> dict[str, Any]:
    return {
        "id": u.id,
        "username": u.username,
        "display_name": u.display_name,
        "role": u.role,
        "organisation": u.org.slug,
        "active": u.is_active,
    }


def _org(o: Organisation) -> dict[str, Any]:
    return {"id": o.id, "slug": o.slug, "name": o.name, "users": len(o.users)}


class OrgIn(BaseModel):
    slug: str = Field(min_length=2, max_length=63)
    name: str = Field(min_length=1, max_length=200)


class UserIn(BaseModel):
    username: str = Field(min_length=2, max_length=120)
    password: str = Field(min_length=8, max_length=1024)
    role: str = Role.ANALYST.value
    organisation: str = Field(min_length=2, max_length=63)
    display_name: str = Field(default="", max_length=200)


class UserPatch(BaseModel):
    role: str | None = None
    active: bool | None = None
    password: str | None = Field(default=None, min_length=8, max_length=1024)


def _org_or_404(db: DB, slug: str) -> Organisation:
    org = accounts.find_org(db, slug)
    if org is None:
        raise AppError(404, "not_found", "Not found: {what}", what=slug[:63])
    return org


def _apply(db: DB, me: Any, user: User, patch: UserPatch) -> User:
    if patch.role is not None and patch.role != user.role:
        if patch.role not in ROLES:
            raise AppError(422, "bad_role", "Unknown role: {value}", value=patch.role[:40])
        accounts.audit(db, me.user, "user.role", f"user:{user.username}", before=user.role, after=patch.role)
        user.role = patch.role
    if patch.active is not None and patch.active != user.is_active:
        user.is_active = patch.active
        accounts.audit(db, me.user, "user.active", f"user:{user.username}", active=patch.active)
    if patch.password:
        accounts.set_password(db, user, patch.password)
        accounts.audit(db, me.user, "user.password", f"user:{user.username}")
    return user


@router.get("/api/v1/admin/organisations", tags=["admin"])
def list_orgs(db: DB, me: Operator) -> dict[str, Any]:
    return {"items": [_org(o) for o in db.scalars(select(Organisation).order_by(Organisation.slug))]}


@router.post("/api/v1/admin/organisations", status_code=201, tags=["admin"])
def create_org(body: OrgIn, db: DB, me: Operator) -> dict[str, Any]:
    org = accounts.create_org(db, body.slug, body.name)
    accounts.audit(db, me.user, "org.create", f"org:{org.slug}")
    return _org(org)


@router.get("/api/v1/admin/users", tags=["admin"])
def list_users(db: DB, me: Admin, page: Page) -> dict[str, Any]:
    number, size = page
    rows = db.scalars(select(User).order_by(User.username)).all()
    return {
        "items": [_user(u) for u in rows[(number - 1) * size : number * size]],
        "page": number,
        "per_page": size,
        "total": len(rows),
    }


@router.post("/api/v1/admin/users", status_code=201, tags=["admin"])
def create_user(body: UserIn, db: DB, me: Admin) -> dict[str, Any]:
    org = _org_or_404(db, body.organisation)
    user = accounts.create_user(db, org, body.username, body.password, body.role, body.display_name)
    accounts.audit(db, me.user, "user.create", f"user:{user.username}", role=user.role, org=org.slug)
    return _user(user)


@router.patch("/api/v1/admin/users/{username}", tags=["admin"])
def update_user(username: str, body: UserPatch, db: DB, me: Admin) -> dict[str, Any]:
    user = accounts.find_user(db, username)
    if user is None:
        raise AppError(404, "not_found", "Not found: {what}", what=username[:120])
    return _user(_apply(db, me, user, body))


@router.get("/api/v1/admin/audit", tags=["admin"])
def audit_log(db: DB, me: Auditor, page: Page) -> dict[str, Any]:
    number, size = page
    rows = db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).offset((number - 1) * size).limit(size)).all()
    names = {u.id: u.username for u in db.scalars(select(User))}
    return {
        "items": [
            {
                "at": a.at.isoformat(timespec="seconds"),
                "user": names.get(a.user_id or -1),
                "action": a.action,
                "target": a.target,
                "detail": a.detail,
            }
            for a in rows
        ],
        "page": number,
        "per_page": size,
    }


@router.get("/admin", response_class=HTMLResponse, include_in_schema=False)
def admin_page(request: Request, db: DB, me: Admin, message: str = "") -> Response:
    return render(
        request,
        "admin.html.j2",
        me.lang,
        me,
        orgs=list_orgs(db, me)["items"],
        users=[_user(u) for u in db.scalars(select(User).order_by(User.username))],
        audit=audit_log(db, me, (1, 50))["items"],
        roles=ROLES,
        message=message,
    )


@router.post("/admin/organisations", include_in_schema=False)
def create_org_form(
    db: DB, me: Operator, slug: Annotated[str, Form(max_length=63)], name: Annotated[str, Form(max_length=200)]
) -> Response:
    create_org(OrgIn(slug=slug, name=name), db, me)
    return RedirectResponse("/admin", status_code=303)


@router.post("/admin/users", include_in_schema=False)
def create_user_form(
    db: DB,
    me: Admin,
    username: Annotated[str, Form(max_length=120)],
    password: Annotated[str, Form(max_length=1024)],
    role: Annotated[str, Form(max_length=32)],
    organisation: Annotated[str, Form(max_length=63)],
) -> Response:
    org = _org_or_404(db, organisation)
    user = accounts.create_user(db, org, username, password, role)
    accounts.audit(db, me.user, "user.create", f"user:{user.username}", role=user.role, org=org.slug)
    return RedirectResponse("/admin", status_code=303)


@router.post("/admin/users/{username}/role", include_in_schema=False)
def change_role_form(username: str, db: DB, me: Admin, role: Annotated[str, Form(max_length=32)]) -> Response:
    update_user(username, UserPatch(role=role), db, me)
    return RedirectResponse("/admin", status_code=303)
