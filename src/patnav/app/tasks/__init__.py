"""The kinds of background job, each a function ``(JobContext) -> result dict`` registered by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

TASKS: dict[str, Callable[[Any], dict[str, Any]]] = {}


def task(name: str) -> Callable[[Callable[[Any], dict[str, Any]]], Callable[[Any], dict[str, Any]]]:
    def register(fn: Callable[[Any], dict[str, Any]]) -> Callable[[Any], dict[str, Any]]:
        TASKS[name] = fn
        return fn

    return register


from patnav.app.tasks import index as _index  # noqa: E402,F401
from patnav.app.tasks import indicators as _indicators  # noqa: E402,F401  (each module registers its tasks)
from patnav.app.tasks import ingest as _ingest  # noqa: E402,F401
from patnav.app.tasks import project as _project  # noqa: E402,F401
from patnav.app.tasks import removal as _removal  # noqa: E402,F401
