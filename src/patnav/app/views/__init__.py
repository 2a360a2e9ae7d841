"""The pages and API endpoints, one module per area; each exposes ``router`` (pages and ``/api/v1`` together,
both calling the same small functions so every page's data is also an endpoint)."""

from __future__ import annotations

from patnav.app.views import account, admin, auth, dashboards, data, jobs, patents, projects, search

# Matched in this order, one router after another: the pages asked for most come first.
ROUTERS = [m.router for m in (search, patents, projects, auth, account, admin, jobs, dashboards, data)]
