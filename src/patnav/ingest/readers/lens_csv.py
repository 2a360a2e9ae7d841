"""Lens.org patent CSV exports.

Lens documents its export columns (``#``, ``Jurisdiction``, ``Kind``, ``Display Key``, ``Lens ID``,
``Publication Date`` … ``Legal Status``); multi-valued cells use ``;;``. The columns are read through the
built-in ``lens`` mapping (``patnav/ingest/mappings/lens.yaml``); the reader only adds its own sniffing.
Counts and Lens identifiers go to ``extras``; NPL citation texts are kept in ``extras`` too (no cited patent
numbers are in the export).
"""

from __future__ import annotations

from typing import ClassVar

from patnav.ingest.readers.tabular import TabularExportReader, _head_header, builtin_mappings


class LensCsvReader(TabularExportReader):
    name: ClassVar[str] = "lens-csv"
    version: ClassVar[str] = "1.0"
    rank: ClassVar[int] = 10
    description: ClassVar[str] = "Lens.org patent search CSV export"

    def __init__(self) -> None:
        super().__init__(builtin_mappings()["lens"])

    def sniff(self, head: bytes, filename: str) -> float:
        header = _head_header(head, filename)
        if not header:
            return 0.0
        names = {h.strip().lstrip("\ufeff") for h in header}
        if {"Lens ID", "Display Key"} <= names:
            return 0.95
        return 0.6 if "Lens ID" in names else 0.0
