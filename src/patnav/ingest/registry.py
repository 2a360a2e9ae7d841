"""Which readers exist and which one a source belongs to.

The built-in readers register through the same path a plugin would: the ``patnav.readers`` entry-point
group (a third-party package adds ``[project.entry-points."patnav.readers"] myformat = "pkg.mod:MyReader"``).
"""

from __future__ import annotations

import importlib
from functools import cache
from importlib.metadata import entry_points

from patnav.ingest.base import Reader, Source

#: Built-in reader classes as "module:Class"; listed here so a source checkout works without installing.
BUILTIN_READERS: tuple[str, ...] = (
    "patnav.ingest.readers.uspto_xml:UsptoXmlReader",
    "patnav.ingest.readers.uspto_sgml:UsptoSgmlReader",
    "patnav.ingest.readers.uspto_pap:UsptoPapReader",
    "patnav.ingest.readers.uspto_greenbook:UsptoGreenbookReader",
    "patnav.ingest.readers.uspto_assignment:UsptoAssignmentReader",
    "patnav.ingest.readers.uspto_public_search:UsptoPublicSearchReader",
    "patnav.ingest.readers.ep_publication:EpPublicationReader",
    "patnav.ingest.readers.epo_ops:EpoOpsReader",
    "patnav.ingest.readers.epo_ops:InpadocCodeTableReader",
    "patnav.ingest.readers.google_csv:GooglePatentsCsvReader",
    "patnav.ingest.readers.patentsview:PatentsViewReader",
    "patnav.ingest.readers.lens_csv:LensCsvReader",
    "patnav.ingest.readers.patentscope:PatentscopeReader",
    "patnav.ingest.readers.tabular:TabularExportReader",
)

#: Below this confidence no reader is chosen and the source is reported as unrecognised.
MIN_CONFIDENCE = 0.3


class UnknownFormatError(LookupError):
    """No reader has the given name, or none recognises a source."""


def _load(spec: str) -> type | None:
    module_name, _, cls_name = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        raise
    return getattr(module, cls_name)


@cache
def readers() -> dict[str, Reader]:
    """All readers by name: built-ins first, then plugins (a plugin may not shadow a built-in)."""
    found: dict[str, Reader] = {}
    for spec in BUILTIN_READERS:
        cls = _load(spec)
        if cls is not None:
            found[cls.name] = cls()
    for ep in entry_points(group="patnav.readers"):
        cls = ep.load()
        found.setdefault(cls.name, cls())
    return found


def get_reader(name: str) -> Reader:
    try:
        return readers()[name]
    except KeyError:
        known = ", ".join(sorted(readers()))
        raise UnknownFormatError(f"no reader named {name!r}; known formats: {known}") from None


def sniff(source: Source) -> tuple[Reader, float] | None:
    """The reader most confident that it understands ``source``, or None."""
    head = source.head()
    best: tuple[Reader, float] | None = None
    for reader in readers().values():
        score = reader.sniff(head, source.name)
        if score >= MIN_CONFIDENCE and (best is None or score > best[1]):
            best = (reader, score)
    return best
