"""The reader contract: what a source-format module must provide to feed the corpus.

A reader turns one source (a byte stream with a display name) into canonical records
(:mod:`patnav.model.records`) and :class:`Rejected` items for records it could not use. It never
raises for one bad record: it yields a ``Rejected`` naming the position, the field and the reason, and
goes on. It may raise :class:`SourceError` only when the source as a whole is unreadable (then the
loader quarantines the rest of the file with that reason, keeping what was read before).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, ClassVar, Protocol, runtime_checkable

from patnav.model.reasons import Reason, reason_of
from patnav.model.records import Record

__all__ = ["NotRecognisedError", "ReadItem", "Reader", "Reason", "Rejected", "Source", "SourceError", "reason_of"]


@dataclass(slots=True)
class Rejected:
    """A record that could not be loaded: where it was in its source, which field failed and why.

    ``reason`` is a :class:`~patnav.model.reasons.Reason`: English text made from an ``N_``-marked template and
    its values (``Reason(N_("not valid JSON: {problem}"), problem=…)``, or :func:`reason_of` for a normaliser's
    error), so the quarantine can show it in the reader's language. A plain string still works (it is stored
    and shown as written, in English).
    """

    position: str
    reason: str
    field: str | None = None
    raw: str | None = None


ReadItem = Record | Rejected


class SourceError(Exception):
    """The source as a whole cannot be read (not one record): truncated archive, unknown encoding, …"""


class NotRecognisedError(SourceError):
    """On a closer look the source is not this reader's format (e.g. an XLSX whose header fits no mapping).

    Raised before any record is yielded; the loader then reports the file as not loaded, with this
    message, instead of quarantining it.
    """


@dataclass(slots=True)
class Source:
    """A named byte stream: a file on disk or a member of an archive (``archive.zip!member.xml``)."""

    name: str
    open: Callable[[], BinaryIO]
    size: int | None = None
    #: The file on disk whose bytes are exactly this source's (None for a compressed file or an archive
    #: member): a loader's worker processes can then read their documents' byte ranges from it directly.
    file: str | None = None

    def read_whole(self, limit: int = 512 << 20) -> bytes:
        """The whole source as one document (an API response, one XML file), gunzipped if it is gzip.

        For formats that hold one record set per file; a source over ``limit`` bytes is refused with a
        :class:`SourceError` rather than read into memory (streaming readers never call this).
        """
        with self.open() as fh:
            data = fh.read(limit + 1)
        if len(data) > limit:
            raise SourceError(f"{self.name}: larger than {limit >> 20} MB; this format is read whole, split the file")
        if data[:2] == b"\x1f\x8b":
            import gzip

            data = gzip.decompress(data)
        return data

    def head(self, n: int = 65536) -> bytes:
        """The first ``n`` bytes (decompressed), for sniffing."""
        with self.open() as fh:
            return fh.read(n)


@runtime_checkable
class Reader(Protocol):
    """A source-format reader.

    ``name`` is what ``--format`` takes; ``version`` is written into the provenance of every row the
    reader produced, so bumping it marks which rows came from which parsing logic. ``rank`` orders
    sources by richness when two describe the same publication (full text 30 > office API 20 >
    database export 10): a richer source's fields win over a poorer one's, whatever the load order.
    """

    name: ClassVar[str]
    version: ClassVar[str]
    rank: ClassVar[int]
    description: ClassVar[str]

    def sniff(self, head: bytes, filename: str) -> float:
        """Confidence in [0, 1] that this reader understands a source starting with ``head``."""
        ...

    def read(self, source: Source) -> Iterator[ReadItem]:
        """Yield records and rejections, streaming: never hold the whole source in memory."""
        ...
