"""Google Patents "Download CSV" exports.

The file starts with a ``search URL:,https://patents.google.com/?q=…`` line, then the header
``id,title,assignee,inventor/author,priority date,filing/creation date,publication date,grant date,result link,
representative figure link``. ``id`` is ``US-7197497-B2``, ``CN-105389980-A``, ``JP-H10207504-A`` …; names are
separated by ``", "`` (a full-width ``，`` inside a Japanese name is part of it). Titles are in English: for
non-US documents they are Google's machine translations (``extras["title_machine_translated"] = "true"``).
Dates are ISO in the exports seen, but month-first (``1/8/2009``) occurs in files saved by spreadsheet tools:
the order is decided per file and column from the values, and a date the file cannot settle is rejected.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

from patnav.i18n import N_
from patnav.ingest.base import ReadItem, Reason, Rejected, Source, reason_of
from patnav.ingest.readers.tabular import (
    DateOrders,
    RowError,
    doc_type_and_stage,
    parties,
    read_date,
    reject,
    with_date_orders,
)
from patnav.ingest.text_source import TableRow, iter_table
from patnav.model.numbers import PatentNumberError, parse_publication_number
from patnav.model.records import LocalizedText, Publication

HEADER = [
    "id",
    "title",
    "assignee",
    "inventor/author",
    "priority date",
    "filing/creation date",
    "publication date",
    "grant date",
    "result link",
    "representative figure link",
]
DATE_COLUMNS = ["priority date", "filing/creation date", "publication date", "grant date"]
_ID_RE = re.compile(r"^[A-Z]{2}-[A-Z0-9]+-[A-Z]\d?$")


def _is_header(cells: list[str]) -> bool:
    return [c.strip().lower().lstrip("\ufeff") for c in cells[:4]] == HEADER[:4]


class GooglePatentsCsvReader:
    name: ClassVar[str] = "google-csv"
    version: ClassVar[str] = "1.0"
    rank: ClassVar[int] = 10
    description: ClassVar[str] = "Google Patents 'Download CSV' search result export"

    def sniff(self, head: bytes, filename: str) -> float:
        text = head[:4096].decode("utf-8", errors="replace").lstrip("\ufeff")
        lines = text.splitlines()[:3]
        has_url = bool(lines) and lines[0].lower().startswith("search url:")
        has_header = any(ln.lower().startswith("id,title,assignee,inventor/author") for ln in lines)
        if has_header:
            return 0.98 if has_url else 0.9
        return 0.4 if has_url and "patents.google.com" in lines[0] else 0.0

    def read(self, source: Source) -> Iterator[ReadItem]:
        rows = iter_table(source, is_header=_is_header, max_preamble=5)
        for item, orders in with_date_orders(rows, DATE_COLUMNS):
            if isinstance(item, Rejected):
                yield item
                continue
            try:
                yield self._convert(item, orders)
            except RowError as err:
                yield reject(item, err)

    def _convert(self, row: TableRow, orders: DateOrders) -> Publication:
        d = row.as_dict()
        raw_id = d.get("id", "").strip()
        if not raw_id:
            raise RowError("id", Reason(N_("no publication number")), "")
        try:
            pn = parse_publication_number(raw_id)
        except PatentNumberError as exc:
            raise RowError("id", reason_of(exc), raw_id) from None
        dates = {c: read_date(d.get(c, ""), c, order=orders.order(c)) for c in DATE_COLUMNS}
        grant = dates["grant date"]
        doc_type, stage = doc_type_and_stage(pn.country, pn.kind, granted=grant is not None)
        pub = Publication(
            publication_number=str(pn),
            country=pn.country,
            doc_number=pn.number,
            kind=pn.kind,
            doc_type=doc_type,
            stage=stage,
            priority_date=dates["priority date"],
            filing_date=dates["filing/creation date"],
            publication_date=dates["publication date"],
            grant_date=grant,
        )
        title = d.get("title", "").strip()
        if title:
            pub.titles.append(LocalizedText("en", title))
            if pn.country not in ("US", "GB", "AU", "CA", "IE", "NZ"):
                pub.extras["title_machine_translated"] = "true"
        pub.parties = parties(d.get("assignee", ""), "assignee", keep_fullwidth_commas=True)
        pub.parties += parties(
            d.get("inventor/author", ""), "inventor", keep_fullwidth_commas=True, start=len(pub.parties)
        )
        for col, key in (("result link", "result_link"), ("representative figure link", "figure_link")):
            if d.get(col, "").strip():
                pub.extras[key] = d[col].strip()
        return pub
