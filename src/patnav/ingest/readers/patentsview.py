"""PatentsView results: API query CSVs and the bulk ``g_patent`` TSV.

API CSVs have ``patent_abstract, patent_date, patent_number, patent_title``; the bulk TSV ``patent_id,
patent_type, patent_date, patent_title, patent_abstract, wipo_kind, num_claims, withdrawn, filename``.
All are US grants. The kind code is given only by the bulk file (``wipo_kind``); otherwise it stays None
(design numbers start with ``D``, reissues ``RE``, plants ``PP``, statutory invention registrations ``H``).
Some API CSVs quote texts twice (a title cell reads ``"a ""b"" c"`` after CSV parsing): the second layer is
removed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from patnav.i18n import N_
from patnav.ingest.base import ReadItem, Reason, Rejected, Source, reason_of
from patnav.ingest.readers.tabular import RowError, _head_header, doc_type_and_stage, read_date, reject, unwrap_quoted
from patnav.ingest.text_source import TableRow, iter_table
from patnav.model.numbers import PatentNumberError, parse_publication_number
from patnav.model.records import DocType, LocalizedText, Publication

_NUMBER_COLS = ("patent_number", "patent_id")
_TYPES: dict[str, DocType] = {
    "utility": "invention",
    "design": "design",
    "plant": "plant",
    "reissue": "invention",
    "defensive publication": "other",
    "statutory invention registration": "other",
}
_EXTRA_COLS = ("num_claims", "withdrawn", "filename", "patent_type", "wipo_kind", "patent_processing_time")


def _is_header(cells: list[str]) -> bool:
    names = {c.strip().lstrip("\ufeff").lower() for c in cells}
    return bool(names & set(_NUMBER_COLS)) and "patent_title" in names


class PatentsViewReader:
    name: ClassVar[str] = "patentsview"
    version: ClassVar[str] = "1.0"
    rank: ClassVar[int] = 15
    description: ClassVar[str] = "PatentsView API result CSV or bulk g_patent TSV (US grants)"

    def sniff(self, head: bytes, filename: str) -> float:
        header = _head_header(head, filename)
        if not header:
            return 0.0
        return 0.95 if _is_header(header) else 0.0

    def read(self, source: Source) -> Iterator[ReadItem]:
        for item in iter_table(source, is_header=_is_header, max_preamble=3):
            if isinstance(item, Rejected):
                yield item
                continue
            try:
                yield self._convert(item)
            except RowError as err:
                yield reject(item, err)

    def _convert(self, row: TableRow) -> Publication:
        d = {h.lower(): v for h, v in row.as_dict().items()}
        col = next(c for c in _NUMBER_COLS if c in d)
        raw = d[col].strip()
        if not raw:
            raise RowError(col, Reason(N_("no patent number")), raw)
        kind = (d.get("wipo_kind") or "").strip().upper() or None
        try:
            # "RE36656" would read as an office code RE: the office is always the USPTO here
            pn = parse_publication_number("US" + raw.upper().removeprefix("US") + (kind or ""))
        except PatentNumberError as exc:
            raise RowError(col, reason_of(exc), raw) from None
        date = read_date(d.get("patent_date", ""), "patent_date")
        series = pn.number.rstrip("0123456789")
        doc_type, stage = doc_type_and_stage("US", pn.kind, granted=True)
        if pn.kind is None:
            doc_type = {"D": "design", "PP": "plant", "H": "other", "T": "other"}.get(series, "invention")
        ptype = (d.get("patent_type") or "").strip().lower()
        if ptype in _TYPES:
            doc_type = _TYPES[ptype]
        pub = Publication(
            publication_number=str(pn),
            country="US",
            doc_number=pn.number,
            kind=pn.kind,
            doc_type=doc_type,
            stage=stage,
            publication_date=date,
            grant_date=date,
        )
        title = unwrap_quoted(d.get("patent_title", "")).strip()
        if title:
            pub.titles.append(LocalizedText("en", title))
        abstract = unwrap_quoted(d.get("patent_abstract", "")).strip()
        if abstract:
            pub.abstracts.append(LocalizedText("en", abstract))
        for c in _EXTRA_COLS:
            if (d.get(c) or "").strip():
                pub.extras[c] = d[c].strip()
        return pub
