"""Flattening canonical records into the rows of the corpus tables, with a content hash per record.

The hash covers content only (never provenance), so the same record read from a moved or renamed file is
recognised as unchanged.
"""

from __future__ import annotations

import hashlib
import io
import json
import pickle
from dataclasses import dataclass, field, fields
from typing import Any

from patnav.ingest.names import NameHarmonizer
from patnav.model.records import FamilyMember, LegalEvent, LegalEventCode, Publication, Transaction


def content_hash(row: dict[str, Any]) -> str:
    """A stable digest of a row's content: the same content always gives the same digest, in any process.

    The content is pickled without a memo (``Pickler.fast``), so the bytes depend on values only, never on
    which objects happen to be shared; dict keys are taken in their order, which the row builders fix (and the
    store sorts where rows are merged). Several times cheaper than JSON on rows with long texts.
    """
    buf = io.BytesIO()
    pickler = pickle.Pickler(buf, protocol=5)
    pickler.fast = True
    pickler.dump(row)
    return hashlib.blake2b(buf.getbuffer(), digest_size=16).hexdigest()


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


def publication_rows(pub: Publication, rank: int) -> PublicationRows:
    """Flatten a :class:`Publication`; ``title``/``abstract`` pick the English text where there is one."""
    title = _first(pub.titles)
    abstract = _first(pub.abstracts)
    claims = [{"number": c.number, "text": c.text, "depends_on": list(c.depends_on)} for c in pub.claims]
    independent = [c.text for c in pub.claims if not c.depends_on]
    desc_len = pub.description_length
    if desc_len is None and pub.description:
        desc_len = len(pub.description)
    row: dict[str, Any] = {
        "publication_number": pub.publication_number,
        "country": pub.country,
        "doc_number": pub.doc_number,
        "kind": pub.kind,
        "doc_type": pub.doc_type,
        "stage": pub.stage,
        "application_number": pub.application_number,
        "family_id": pub.family_id,
        "priority_date": pub.priority_date,
        "filing_date": pub.filing_date,
        "publication_date": pub.publication_date,
        "grant_date": pub.grant_date,
        "title": title[1] if title else None,
        "title_lang": title[0] if title else None,
        "abstract": abstract[1] if abstract else None,
        "abstract_lang": abstract[0] if abstract else None,
        "titles": [{"lang": t.lang, "text": t.text} for t in pub.titles if t.text] or None,
        "abstracts": [{"lang": t.lang, "text": t.text} for t in pub.abstracts if t.text] or None,
        "claims": claims or None,
        "claims_lang": pub.claims_lang,
        "claims_count": len(claims) if claims else None,
        "independent_claims": independent or None,
        "description": pub.description,
        "description_length": desc_len,
        "term_extension_days": pub.term_extension_days,
        "source_status": pub.source_status,
        "extras": json.dumps(pub.extras, ensure_ascii=False, sort_keys=True) if pub.extras else None,
    }
    number = pub.publication_number
    children: dict[str, list[dict[str, Any]]] = {
        "parties": [
            {
                "publication_number": number,
                "role": p.role,
                "sequence": p.sequence or i,
                "name": p.name,
                "name_harmonized": group_key(p.role, p.name, p.name_harmonized),
                "country": p.country,
                "kind": p.kind,
                "address": p.address,
            }
            for i, p in enumerate(pub.parties)
        ],
        "classifications": [
            {
                "publication_number": number,
                "scheme": c.scheme,
                "sequence": c.sequence or i,
                "symbol": c.symbol,
                "is_main": c.is_main,
                "version": c.version,
            }
            for i, c in enumerate(pub.classifications)
        ],
        "priorities": [
            {
                "publication_number": number,
                "sequence": p.sequence or i,
                "country": p.country,
                "number": p.number,
                "date": p.date,
            }
            for i, p in enumerate(pub.priorities)
        ],
        "citations": [
            {
                "publication_number": number,
                "sequence": c.sequence or i,
                "is_npl": c.is_npl,
                "cited_number": c.cited_number,
                "cited_number_raw": c.cited_number_raw,
                "npl_text": c.npl_text,
                "category": c.category,
                "origin": c.origin,
                "cited_date": c.cited_date,
            }
            for i, c in enumerate(pub.citations)
        ],
    }
    row["source_rank"] = rank
    row["record_hash"] = content_hash({"p": row, "c": children})
    return PublicationRows(row, children)


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
