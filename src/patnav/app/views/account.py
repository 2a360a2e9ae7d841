"""One's own account: API tokens for scripts (created, listed, revoked)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from patnav.app import accounts
from patnav.app.deps import DB, Who, may
from patnav.app.models import ApiToken
from patnav.app.pages import render
from patnav.app.permissions import Action

router = APIRouter()
Tokens = may(Action.API_TOKENS)


def _tokens(db: DB, me: Who) -> list[dict[str, Any]]:
    rows = db.scalars(select(ApiToken).where(ApiToken.user_id == me.user.id).order_by(ApiToken.id.desc()))
    return [
        {
            "id": t.id,
            "name": t.name,
            "prefix": t.prefix,
            "created_at": t.created_at,
            "last_used_at": t.last_used_at,
            "revoked": t.revoked_at is not None,
        }
        for t in rows
    ]


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=120)


@router.get("/api/v1/tokens", tags=["account"])
def list_tokens(db: DB, me: Tokens) -> dict[str, Any]:
    return {"items": _tokens(db, me)}


@router.post("/api/v1/tokens", status_code=201, tags=["account"])
def create_token(body: TokenIn, db: DB, me: Tokens) -> dict[str, Any]:
    """A new token; its value is in this answer only."""
    token, row = accounts.create_token(db, me.user, body.name)
    accounts.audit(db, me.user, "token.create", f"token:{row.id}")
    return {"id": row.id, "name": row.name, "token": token}


@router.delete("/api/v1/tokens/{token_id}", tags=["account"])
def revoke_token(token_id: int, db: DB, me: Tokens) -> dict[str, Any]:
    row = accounts.revoke_token(db, me.user, token_id)
    accounts.audit(db, me.user, "token.revoke", f"token:{row.id}")
    return {"id": row.id, "revoked": True}


@router.get("/account", response_class=HTMLResponse, include_in_schema=False)
def account_page(request: Request, db: DB, me: Tokens, new: str = "") -> Response:
    return render(request, "account.html.j2", me.lang, me, tokens=_tokens(db, me), new_token="")


@router.post("/account/tokens", include_in_schema=False)
def create_token_form(request: Request, db: DB, me: Tokens, name: Annotated[str, Form(max_length=120)]) -> Response:
    token, row = accounts.create_token(db, me.user, name)
    accounts.audit(db, me.user, "token.create", f"token:{row.id}")
    return render(request, "account.html.j2", me.lang, me, tokens=_tokens(db, me), new_token=token)


@router.post("/account/tokens/{token_id}/revoke", include_in_schema=False)
def revoke_token_form(token_id: int, db: DB, me: Tokens) -> Response:
    row = accounts.revoke_token(db, me.user, token_id)
    accounts.audit(db, me.user, "token.revoke", f"token:{row.id}")
    return RedirectResponse("/account", status_code=303)
