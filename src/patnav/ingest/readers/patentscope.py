"""WIPO PATENTSCOPE result-list exports (XLSX or CSV).

Columns: ``Application Id``, ``Publication Number``, ``Publication Date``, ``Application Number``,
``Application Date``, ``Title``, ``Abstract``, ``IPC``, ``Applicants``, ``Inventors``, ``Priorities data``,
``Country``. Dates are day-first (``25.06.2019``). Read through the built-in ``patentscope`` mapping; an old
binary XLS export must be saved as XLSX or CSV first (the reader says so).
"""

from __future__ import annotations

from typing import ClassVar

from patnav.ingest.readers.tabular import TabularExportReader, _head_header, builtin_mappings

_MARKERS = {"application id", "publication number", "priorities data", "application number"}


class PatentscopeReader(TabularExportReader):
    name: ClassVar[str] = "patentscope"
    version: ClassVar[str] = "1.0"
    rank: ClassVar[int] = 10
    description: ClassVar[str] = "WIPO PATENTSCOPE result export (XLSX or CSV)"

    def __init__(self) -> None:
        super().__init__(builtin_mappings()["patentscope"])

    def sniff(self, head: bytes, filename: str) -> float:
        if head.startswith(b"PK\x03\x04"):
            # the header is inside the zipped sheet; a name saying so is the only cheap hint
            return 0.5 if "patentscope" in filename.lower() else 0.0
        header = _head_header(head, filename)
        if not header:
            return 0.0
        names = {h.strip().lstrip("\ufeff").lower() for h in header}
        hits = len(_MARKERS & names)
        if "application id" in names and hits >= 3:
            return 0.95
        return 0.0
