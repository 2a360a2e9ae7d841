"""Who may do what: one table of roles × actions, read by every page and endpoint.

Ownership is a separate check (``visible``/``owned`` in the views): a role allows an action on the user's own
organisation's things, on things shared with it read-only, and on the public corpus.
"""

from __future__ import annotations

from enum import StrEnum

from patnav.app.models import Role


class Action(StrEnum):
    SEARCH = "search"  # search and read patents (public corpus and own organisation's corpus)
    READ_PROJECTS = "read_projects"  # own organisation's projects and those shared with it
    WRITE_PROJECTS = "write_projects"  # create, run, refresh, delete projects
    SHARE_PROJECTS = "share_projects"
    DASHBOARDS = "dashboards"
    UPLOAD = "upload"  # into the organisation's private corpus
    UPLOAD_PUBLIC = "upload_public"  # into the public corpus everyone reads
    MANAGE_JOBS = "manage_jobs"  # cancel and retry the organisation's jobs
    MANAGE_USERS = "manage_users"  # users and roles of the organisation
    MANAGE_ORGS = "manage_orgs"  # create organisations (platform operator)
    READ_AUDIT = "read_audit"
    API_TOKENS = "api_tokens"  # own tokens


_ALL = set(Action)
_READ = {Action.SEARCH, Action.READ_PROJECTS, Action.DASHBOARDS, Action.API_TOKENS}
_WORK = _READ | {Action.WRITE_PROJECTS, Action.SHARE_PROJECTS, Action.UPLOAD, Action.MANAGE_JOBS}

ALLOWED: dict[str, frozenset[Action]] = {
    Role.ADMINISTRATOR.value: frozenset(_ALL),
    Role.ANALYST.value: frozenset(_WORK),
    Role.SERVICE_AGENCY.value: frozenset(_WORK),
    Role.BANK.value: frozenset(_READ),
    Role.VIEWER.value: frozenset(_READ),
}


def allowed(role: str, action: Action) -> bool:
    return action in ALLOWED.get(role, frozenset())
