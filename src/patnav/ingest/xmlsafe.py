"""Parsing XML from untrusted files without expanding entities or touching the network.

Office bulk XML declares a DTD by name but never needs it loaded; a document that declares its own
entities in an internal subset is refused (that is how billion-laughs and external-entity attacks
arrive), rather than parsed with the entities left unexpanded.
"""

from __future__ import annotations

import re

from lxml import etree

_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
_DOCTYPE_SUBSET = re.compile(rb"<!DOCTYPE[^>\[]*\[(.*?)\]\s*>", re.DOTALL)


class UnsafeXMLError(ValueError):
    """The document declares entities (an entity bomb or an external entity): refused, not expanded."""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


_PARSER = _parser()


def check_safe(data: bytes) -> None:
    """Raise :class:`UnsafeXMLError` when the prolog declares entities of its own."""
    head = data[:65536]
    match = _DOCTYPE_SUBSET.search(head)
    if match and _ENTITY_DECL.search(match.group(1)):
        raise UnsafeXMLError("the XML declares entities in its DOCTYPE (entity expansion or external entity)")
    if _ENTITY_DECL.search(head) and b"<!DOCTYPE" in head:
        raise UnsafeXMLError("the XML declares entities in its DOCTYPE (entity expansion or external entity)")


def parse_document(data: bytes) -> etree._Element:
    """Parse one XML document safely; raises ``UnsafeXMLError`` or ``lxml.etree.XMLSyntaxError``."""
    check_safe(data)
    return etree.fromstring(data, _PARSER)
