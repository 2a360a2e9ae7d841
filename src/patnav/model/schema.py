"""Arrow schemas of the corpus tables: the one definition the store, the engines and exports share.

Every table carries the provenance columns (source file, position in it, reader and its version, load time), so
any figure can be traced back to the file and record it came from.
"""

from __future__ import annotations

import pyarrow as pa

PROVENANCE: list[pa.Field] = [
    pa.field("source_file", pa.string()),
    pa.field("source_position", pa.string()),
    pa.field("reader", pa.string()),
    pa.field("reader_version", pa.string()),
    pa.field("loaded_at", pa.timestamp("us", tz="UTC")),
]

_TEXT = pa.struct([pa.field("lang", pa.string()), pa.field("text", pa.string())])
_CLAIM = pa.struct(
    [pa.field("number", pa.int32()), pa.field("text", pa.string()), pa.field("depends_on", pa.list_(pa.int32()))]
)


def _schema(fields: list[pa.Field]) -> pa.Schema:
    return pa.schema(fields + PROVENANCE)


PUBLICATIONS = _schema(
    [
        pa.field("publication_number", pa.string(), nullable=False),
        pa.field("country", pa.string()),
        pa.field("doc_number", pa.string()),
        pa.field("kind", pa.string()),
        pa.field("doc_type", pa.string()),
        pa.field("stage", pa.string()),
        pa.field("application_number", pa.string()),
        pa.field("family_id", pa.string()),
        pa.field("priority_date", pa.date32()),
        pa.field("filing_date", pa.date32()),
        pa.field("publication_date", pa.date32()),
        pa.field("grant_date", pa.date32()),
        pa.field("title", pa.string()),
        pa.field("title_lang", pa.string()),
        pa.field("abstract", pa.string()),
        pa.field("abstract_lang", pa.string()),
        pa.field("titles", pa.list_(_TEXT)),
        pa.field("abstracts", pa.list_(_TEXT)),
        pa.field("claims", pa.list_(_CLAIM)),
        pa.field("claims_lang", pa.string()),
        pa.field("claims_count", pa.int32()),
        pa.field("independent_claims", pa.list_(pa.string())),
        pa.field("description", pa.string()),
        pa.field("description_length", pa.int64()),
        pa.field("term_extension_days", pa.int32()),
        pa.field("source_status", pa.string()),
        pa.field("extras", pa.string()),
        pa.field("source_rank", pa.int8()),
        pa.field("record_hash", pa.string()),
    ]
)

PARTIES = _schema(
    [
        pa.field("publication_number", pa.string(), nullable=False),
        pa.field("role", pa.string()),
        pa.field("sequence", pa.int32()),
        pa.field("name", pa.string()),
        pa.field("name_harmonized", pa.string()),
        pa.field("country", pa.string()),
        pa.field("kind", pa.string()),
        pa.field("address", pa.string()),
    ]
)

CLASSIFICATIONS = _schema(
    [
        pa.field("publication_number", pa.string(), nullable=False),
        pa.field("scheme", pa.string()),
        pa.field("sequence", pa.int32()),
        pa.field("symbol", pa.string()),
        pa.field("is_main", pa.bool_()),
        pa.field("version", pa.string()),
    ]
)

PRIORITIES = _schema(
    [
        pa.field("publication_number", pa.string(), nullable=False),
        pa.field("sequence", pa.int32()),
        pa.field("country", pa.string()),
        pa.field("number", pa.string()),
        pa.field("date", pa.date32()),
    ]
)

CITATIONS = _schema(
    [
        pa.field("publication_number", pa.string(), nullable=False),
        pa.field("sequence", pa.int32()),
        pa.field("is_npl", pa.bool_()),
        pa.field("cited_number", pa.string()),
        pa.field("cited_number_raw", pa.string()),
        pa.field("npl_text", pa.string()),
        pa.field("category", pa.string()),
        pa.field("origin", pa.string()),
        pa.field("cited_date", pa.date32()),
    ]
)

FAMILIES = _schema(
    [
        pa.field("family_id", pa.string(), nullable=False),
        pa.field("family_type", pa.string()),
        pa.field("publication_number", pa.string(), nullable=False),
        pa.field("application_number", pa.string()),
        pa.field("priority_date", pa.date32()),
        pa.field("record_hash", pa.string()),
    ]
)

LEGAL_EVENTS = _schema(
    [
        pa.field("publication_number", pa.string(), nullable=False),
        pa.field("event_date", pa.date32()),
        pa.field("authority", pa.string()),
        pa.field("code", pa.string()),
        pa.field("description", pa.string()),
        pa.field("inpadoc_class", pa.string()),
        pa.field("status_effect", pa.string()),
        pa.field("sequence", pa.int32()),
        pa.field("record_hash", pa.string()),
    ]
)

TRANSACTIONS = _schema(
    [
        pa.field("transaction_id", pa.string(), nullable=False),
        pa.field("kind", pa.string()),
        pa.field("conveyance", pa.string()),
        pa.field("recorded_date", pa.date32()),
        pa.field("executed_date", pa.date32()),
        pa.field("assignors", pa.list_(pa.string())),
        pa.field("assignees", pa.list_(pa.string())),
        pa.field("record_number", pa.string()),
        pa.field("amount", pa.float64()),
        pa.field("currency", pa.string()),
        pa.field("record_hash", pa.string()),
    ]
)

TRANSACTION_PATENTS = _schema(
    [
        pa.field("transaction_id", pa.string(), nullable=False),
        pa.field("publication_number", pa.string()),
        pa.field("application_number", pa.string()),
    ]
)

LEGAL_EVENT_CODES = _schema(
    [
        pa.field("authority", pa.string(), nullable=False),
        pa.field("code", pa.string(), nullable=False),
        pa.field("description", pa.string()),
        pa.field("inpadoc_class", pa.string()),
        pa.field("status_effect", pa.string()),
        pa.field("valid_from", pa.date32()),
        pa.field("record_hash", pa.string()),
    ]
)

QUARANTINE = pa.schema(
    [
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("position", pa.string()),
        pa.field("field", pa.string()),
        pa.field("reason", pa.string()),
        pa.field("raw", pa.string()),
        pa.field("reader", pa.string()),
        pa.field("reader_version", pa.string()),
        pa.field("loaded_at", pa.timestamp("us", tz="UTC")),
        # the reason as a translatable template (an N_-marked msgid) and its values as JSON; NULL in rows written
        # before these columns existed, which show their English ``reason`` (``patnav.model.reasons``)
        pa.field("reason_id", pa.string()),
        pa.field("reason_params", pa.string()),
    ]
)

#: Columns added to a table after corpora were written without them: added on opening for writing (NULL in old
#: rows); readers of an old corpus opened read-only select NULL in their place.
ADDED_COLUMNS: dict[str, tuple[str, ...]] = {"quarantine": ("reason_id", "reason_params")}

#: table name → schema; the order is the order tables are created and exported in.
TABLES: dict[str, pa.Schema] = {
    "publications": PUBLICATIONS,
    "parties": PARTIES,
    "classifications": CLASSIFICATIONS,
    "priorities": PRIORITIES,
    "citations": CITATIONS,
    "families": FAMILIES,
    "legal_events": LEGAL_EVENTS,
    "legal_event_codes": LEGAL_EVENT_CODES,
    "transactions": TRANSACTIONS,
    "transaction_patents": TRANSACTION_PATENTS,
    "quarantine": QUARANTINE,
}

#: tables of records that stand on their own, with the columns that identify a record in each.
KEYED_TABLES: dict[str, tuple[str, ...]] = {
    "legal_events": ("publication_number", "authority", "code", "event_date", "sequence"),
    "families": ("family_id", "family_type", "publication_number"),
    "legal_event_codes": ("authority", "code"),
    "transactions": ("transaction_id",),
}

#: child tables of a publication: replaced together with it.
PUBLICATION_CHILDREN: tuple[str, ...] = ("parties", "classifications", "priorities", "citations")
