"""Publications laid out as Arrow tables for the store, stamped with their provenance.

Built where the records are read (a loader's worker process, or the writer itself for a small source) and
handed to :class:`~patnav.corpus.store.Corpus` whole. Free of the database, so worker processes need not
import it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import pyarrow as pa

from patnav.corpus.rows import CHILD_FIELDS, PUBLICATION_FIELDS, FlatPublication, PublicationRows
from patnav.model.schema import PROVENANCE, PUBLICATION_CHILDREN, TABLES


@dataclass(slots=True)
class Provenance:
    """Where a batch of rows came from: stamped on every row written."""

    source_file: str
    reader: str
    reader_version: str
    loaded_at: dt.datetime

    def stamp(self, row: dict[str, Any], position: str | None) -> dict[str, Any]:
        row["source_file"] = self.source_file
        row["source_position"] = position
        row["reader"] = self.reader
        row["reader_version"] = self.reader_version
        row["loaded_at"] = self.loaded_at
        return row


#: Columns holding long texts: handed to Arrow as UTF-8 bytes (encoding a ``str`` first is several times
#: cheaper than Arrow's own conversion of a long non-ASCII string), as binary viewed as text: bytes that
#: ``str.encode`` made are valid UTF-8, so Arrow need not check them again (a third of the cost of a description).
_LONG_TEXT = frozenset({"title", "abstract", "description", "npl_text", "independent_claims"})


def _long_text_array(values: list[Any], kind: pa.DataType) -> pa.Array:
    """``pa.array(values, kind)`` for a string or list-of-string column of long texts."""
    try:
        if pa.types.is_list(kind):
            item = kind.value_field
            if not pa.types.is_string(item.type):
                return pa.array(values, type=kind)
            encoded = [None if v is None else [t if t is None else t.encode() for t in v] for v in values]
            raw = pa.list_(pa.field(item.name, pa.binary(), item.nullable))
            return pa.array(encoded, type=raw).view(kind)
        if not pa.types.is_string(kind):
            return pa.array(values, type=kind)
        return pa.array([None if v is None else v.encode() for v in values], type=pa.binary()).view(kind)
    except (AttributeError, UnicodeEncodeError):  # not all text, or lone surrogates: let Arrow say what is wrong
        return pa.array(values, type=kind)


def table_from_rows(
    rows: Sequence[dict[str, Any]], schema: pa.Schema, fill: dict[str, pa.Array] | None = None
) -> pa.Table:
    """An Arrow table of ``rows`` (dicts) in ``schema``, built column by column; ``fill`` gives whole columns.

    Same result as ``pa.Table.from_pylist(rows, schema=schema)`` (missing keys are null), about twice as fast
    on publication rows.
    """
    fill = fill or {}
    columns: dict[str, list[Any]] = {}
    for f in schema:
        if f.name in fill:
            continue
        try:  # rows built by this package have every key: itemgetter is cheaper than get
            columns[f.name] = list(map(itemgetter(f.name), rows))
        except KeyError:
            columns[f.name] = [r.get(f.name) for r in rows]
    return _table(columns, schema, fill)


def _transpose(rows: Sequence[tuple[Any, ...]], width: int) -> list[Sequence[Any]]:
    """Rows of ``width`` values as ``width`` columns (empty columns when there are no rows)."""
    return list(zip(*rows, strict=True)) if rows else [()] * width


def _table(columns: dict[str, Sequence[Any]], schema: pa.Schema, fill: dict[str, pa.Array]) -> pa.Table:
    """An Arrow table in ``schema`` of value columns, ``fill`` giving the ready-made ones."""
    arrays = []
    for f in schema:
        if f.name in fill:
            arrays.append(fill[f.name])
        elif f.name in _LONG_TEXT:
            arrays.append(_long_text_array(list(columns[f.name]), f.type))
        else:
            arrays.append(pa.array(columns[f.name], type=f.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def provenance_columns(prov: Provenance, n: int, positions: pa.Array) -> dict[str, pa.Array]:
    """The provenance columns of ``n`` rows: ``prov`` repeated, and each row's position."""
    cols: dict[str, pa.Array] = {}
    for f in PROVENANCE:
        if f.name == "source_position":
            cols[f.name] = positions
        else:
            cols[f.name] = pa.repeat(pa.scalar(getattr(prov, f.name), f.type), n)
    return cols


@dataclass(slots=True)
class PreparedPublications:
    """Publications already flattened, hashed and laid out as Arrow tables (e.g. by a loader worker process).

    ``tables`` has the ``publications`` table and each child table, provenance columns filled; ``numbers`` and
    ``hashes`` are the publication numbers and record hashes in row order; ``owners`` gives, for each row of a
    child table, the row of its publication.
    """

    numbers: list[str]
    hashes: list[str]
    tables: dict[str, pa.Table] = field(default_factory=dict)
    owners: dict[str, list[int]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.numbers)

    @staticmethod
    def build(
        batch: Sequence[FlatPublication], prov: Provenance, positions: Sequence[str | None] | pa.Array
    ) -> PreparedPublications:
        """Lay out flattened publications (``positions``: one per publication) as tables stamped with ``prov``."""
        pos = positions if isinstance(positions, pa.Array) else pa.array(positions, pa.string())
        n = len(batch)
        numbers = [b.values[0] for b in batch]
        hashes = [b.record_hash for b in batch]
        columns = dict(
            zip(PUBLICATION_FIELDS, _transpose([b.values for b in batch], len(PUBLICATION_FIELDS)), strict=True)
        )
        columns["source_rank"] = [b.rank for b in batch]
        columns["record_hash"] = hashes
        tables = {"publications": _table(columns, TABLES["publications"], provenance_columns(prov, n, pos))}
        owners: dict[str, list[int]] = {}
        for k, child in enumerate(PUBLICATION_CHILDREN):
            rows: list[tuple[Any, ...]] = []
            owner: list[int] = []
            for i, b in enumerate(batch):
                kids = b.children[k]
                if kids:
                    rows.extend(kids)
                    owner.extend([i] * len(kids))
            fields = CHILD_FIELDS[child]
            columns = dict(zip(fields, _transpose(rows, len(fields)), strict=True))
            columns["publication_number"] = [numbers[i] for i in owner]
            fill = provenance_columns(prov, len(rows), pos.take(pa.array(owner, pa.int32())))
            tables[child] = _table(columns, TABLES[child], fill)
            owners[child] = owner
        return PreparedPublications(numbers, hashes, tables, owners)

    def with_positions(self, positions: pa.Array) -> PreparedPublications:
        """The same publications with their ``source_position`` replaced (one position per publication)."""
        tables: dict[str, pa.Table] = {}
        for name, table in self.tables.items():
            pos = positions if name == "publications" else positions.take(pa.array(self.owners[name], pa.int32()))
            i = table.schema.get_field_index("source_position")
            tables[name] = table.set_column(i, table.schema.field(i), pos)
        return PreparedPublications(self.numbers, self.hashes, tables, self.owners)

    @staticmethod
    def concat(parts: Sequence[PreparedPublications]) -> PreparedPublications:
        if len(parts) == 1:
            return parts[0]
        owners: dict[str, list[int]] = {name: [] for name in parts[0].owners}
        offset = 0
        for p in parts:
            for name, own in p.owners.items():
                owners[name].extend(i + offset for i in own)
            offset += len(p)
        return PreparedPublications(
            [n for p in parts for n in p.numbers],
            [h for p in parts for h in p.hashes],
            {name: pa.concat_tables([p.tables[name] for p in parts]) for name in parts[0].tables},
            owners,
        )

    def to_rows(self) -> list[PublicationRows]:
        """Back to one :class:`PublicationRows` per publication (for the merge path, which works on dicts)."""
        pubs = self.tables["publications"].to_pylist()
        out = [PublicationRows(r, {c: [] for c in PUBLICATION_CHILDREN}) for r in pubs]
        for child in PUBLICATION_CHILDREN:
            for i, r in zip(self.owners[child], self.tables[child].to_pylist(), strict=True):
                out[i].children[child].append(r)
        return out
