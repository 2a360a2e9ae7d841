"""Small helper tables an analysis registers in its engine: a list of keys, names or values to join against.

An analysis sometimes needs the engine to work on a list it computed in Python (the families of a citation
graph, the members of the teams a community detection found, a frontier of a citation map). Such a list is
registered as an Arrow table under a name derived from its content (``<prefix>_<hash>``), so the same list is
registered once per engine, and two different lists never share a name.
"""

from __future__ import annotations

import hashlib
import re
import weakref
from collections.abc import Callable

import pyarrow as pa

from patnav.engine.base import Engine

_PREFIX = re.compile(r"[a-z][a-z0-9_]{0,30}")

#: engines → helper tables already registered in them
_registered: weakref.WeakKeyDictionary[object, set[str]] = weakref.WeakKeyDictionary()


def register_table(engine: Engine, prefix: str, table: pa.Table) -> str:
    """Register ``table`` in ``engine`` under ``<prefix>_<content hash>`` (once per engine) and return that name."""
    if not _PREFIX.fullmatch(prefix):
        raise ValueError(f"not a table-name prefix: {prefix!r}")
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    name = f"{prefix}_{hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()[:20]}"
    return register_named(engine, name, lambda: table)


def register_named(engine: Engine, name: str, make: Callable[[], pa.Table]) -> str:
    """Register the table ``make()`` builds as ``name`` unless this engine already has it (Spark copies every
    registration, so each is done once per engine); returns ``name``."""
    try:
        done = _registered.setdefault(engine, set())
    except TypeError:  # an engine that cannot be weakly referenced: register every time
        done = set()
    if name not in done:
        engine.register(name, make())
        done.add(name)
    return name


def register_keys(engine: Engine, prefix: str, keys: list[str], column: str = "key") -> str:
    """Register a one-column table of distinct strings (sorted, so equal sets give equal names)."""
    values = pa.array(sorted(set(keys)), pa.string())
    return register_table(engine, prefix, pa.table({column: values}))
