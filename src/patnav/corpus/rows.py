"""Flattening canonical records into the rows of the corpus tables, with a content hash per record.

The hash covers content only (never provenance), so the same record read from a moved or renamed file is
recognised as unchanged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import pickle
from dataclasses import dataclass, field, fields
from typing import Any

from patnav.ingest.names import NameHarmonizer
from patnav.model.records import FamilyMember, LegalEvent, LegalEventCode, Publication, Transaction
from patnav.model.schema import PROVENANCE, PUBLICATION_CHILDREN, TABLES


def content_hash(content: Any) -> str:
    """A stable digest of some content (rows, tuples of values): the same content always gives the same
    digest, in any process.

    The content is pickled without a memo (``Pickler.fast``), so the bytes depend on values only, never on
    which objects happen to be shared; dict keys are taken in their order, which the row builders fix (and the
    store sorts where rows are merged). Several times cheaper than JSON on rows with long texts. SHA-1 (not a
    security use) is the fastest digest hashlib has here; 128 of its bits are kept.
    """
    buf = io.BytesIO()
    pickler = pickle.Pickler(buf, protocol=5)
    pickler.fast = True
    pickler.dump(content)
    return hashlib.sha1(buf.getbuffer(), usedforsecurity=False).hexdigest()[:32]


#: Groups spelling variants of one organisation (built-in alias table); applied to every stored party name so
#: that "who" is counted the same whichever reader the record came from.
HARMONIZER = NameHarmonizer()


def group_key(role: str, name: str, given: str | None) -> str | None:
    """The harmonised name stored for a party: the organisation group key, or the reader's for inventors."""
    if role == "inventor":
        return given or (HARMONIZER.key(name) if name else None)
    return HARMONIZER.key(name) if name else given


@dataclass(slots=True)
class PublicationRows:
    """One publication as table rows: its own row and the rows of each child table."""

    publication: dict[str, Any]
    children: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


_NOT_CONTENT = {f.name for f in PROVENANCE} | {"publication_number", "source_rank", "record_hash"}

#: The content columns of a publication row, in table order (``source_rank`` and ``record_hash`` follow):
#: the values :func:`flatten` gives, in its order.
PUBLICATION_FIELDS: tuple[str, ...] = (
    "publication_number",
    *(f.name for f in TABLES["publications"] if f.name not in _NOT_CONTENT),
)

#: The columns of each child table after ``publication_number``, in table order, by table in
#: ``PUBLICATION_CHILDREN`` order (the order :func:`flatten` gives a publication's child rows in).
CHILD_FIELDS: dict[str, tuple[str, ...]] = {
    child: tuple(f.name for f in TABLES[child] if f.name not in _NOT_CONTENT) for child in PUBLICATION_CHILDREN
}


@dataclass(slots=True)
class FlatPublication:
    """One publication as column values: its row (:data:`PUBLICATION_FIELDS`), each child table's rows
    (:data:`CHILD_FIELDS`, in the same order), and the content hash of both. Dates are days since 1970.

    Tuples, not dicts: a loader lays thousands of these out as Arrow columns, and hashing values without
    their column names is cheaper.
    """

    values: tuple[Any, ...]
    children: tuple[list[tuple[Any, ...]], ...]
    rank: int
    record_hash: str


_EPOCH = dt.date(1970, 1, 1).toordinal()


def _days(date: dt.date | None) -> int | None:
    """A date as days since 1970-01-01 (what an Arrow ``date32`` holds; hashed three times faster than a date)."""
    return None if date is None else date.toordinal() - _EPOCH


def flatten(pub: Publication, rank: int) -> FlatPublication:
    """Flatten a :class:`Publication`; ``title``/``abstract`` pick the English text where there is one."""
    title = _first(pub.titles)
    abstract = _first(pub.abstracts)
    claims = [{"number": c.number, "text": c.text, "depends_on": list(c.depends_on)} for c in pub.claims]
    independent = [c.text for c in pub.claims if not c.depends_on]
    desc_len = pub.description_length
    if desc_len is None and pub.description:
        desc_len = len(pub.description)
    values = (
        pub.publication_number,
        pub.country,
        pub.doc_number,
        pub.kind,
        pub.doc_type,
        pub.stage,
        pub.application_number,
        pub.family_id,
        _days(pub.priority_date),
        _days(pub.filing_date),
        _days(pub.publication_date),
        _days(pub.grant_date),
        title[1] if title else None,
        title[0] if title else None,
        abstract[1] if abstract else None,
        abstract[0] if abstract else None,
        [{"lang": t.lang, "text": t.text} for t in pub.titles if t.text] or None,
        [{"lang": t.lang, "text": t.text} for t in pub.abstracts if t.text] or None,
        claims or None,
        pub.claims_lang,
        len(claims) if claims else None,
        independent or None,
        pub.description,
        desc_len,
        pub.term_extension_days,
        pub.source_status,
        json.dumps(pub.extras, ensure_ascii=False, sort_keys=True) if pub.extras else None,
    )
    children = (
        [
            (
                p.role,
                p.sequence or i,
                p.name,
                group_key(p.role, p.name, p.name_harmonized),
                p.country,
                p.kind,
                p.address,
            )
            for i, p in enumerate(pub.parties)
        ],
        [(c.scheme, c.sequence or i, c.symbol, c.is_main, c.version) for i, c in enumerate(pub.classifications)],
        [(p.sequence or i, p.country, p.number, _days(p.date)) for i, p in enumerate(pub.priorities)],
        [
            (
                c.sequence or i,
                c.is_npl,
                c.cited_number,
                c.cited_number_raw,
                c.npl_text,
                c.category,
                c.origin,
                _days(c.cited_date),
            )
            for i, c in enumerate(pub.citations)
        ],
    )
    return FlatPublication(values, children, rank, content_hash((values, children, rank)))


def flat_row(record: LegalEvent | FamilyMember | LegalEventCode) -> dict[str, Any]:
    """The row of a flat record (legal event, family member, code-table entry): its fields, in order, hashed.

    These dataclasses mirror their tables column for column, so the row is the record's fields.
    """
    return _hashed({f.name: getattr(record, f.name) for f in fields(record)})


def transaction_rows(tx: Transaction) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The transaction row and one row per patent it concerns."""
    patents = [
        {"transaction_id": tx.transaction_id, "publication_number": n, "application_number": None}
        for n in tx.publication_numbers
    ] + [
        {"transaction_id": tx.transaction_id, "publication_number": None, "application_number": n}
        for n in tx.application_numbers
    ]
    row = {
        "transaction_id": tx.transaction_id,
        "kind": tx.kind,
        "conveyance": tx.conveyance,
        "recorded_date": tx.recorded_date,
        "executed_date": tx.executed_date,
        "assignors": list(tx.assignors) or None,
        "assignees": list(tx.assignees) or None,
        "record_number": tx.record_number,
        "amount": tx.amount,
        "currency": tx.currency,
    }
    row["record_hash"] = content_hash({"t": row, "p": patents})
    return row, patents


def _hashed(row: dict[str, Any]) -> dict[str, Any]:
    row["record_hash"] = content_hash(row)
    return row


def _first(texts: list[Any]) -> tuple[str | None, str] | None:
    for lang in ("en", "zh", "ja"):
        for t in texts:
            if t.lang == lang and t.text:
                return t.lang, t.text
    for t in texts:
        if t.text:
            return t.lang, t.text
    return None
