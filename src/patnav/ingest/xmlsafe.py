"""Parsing XML from untrusted files without expanding entities or touching the network.

Office bulk XML declares a DTD by name but never needs it loaded; a document that declares its own
entities in an internal subset is refused (that is how billion-laughs and external-entity attacks
arrive), rather than parsed with the entities left unexpanded.
"""

from __future__ import annotations

import re

from lxml import etree

from patnav.i18n import N_
from patnav.model.reasons import Reason

_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
_DOCTYPE_SUBSET = re.compile(rb"<!DOCTYPE[^>\[]*\[(.*?)\]\s*>", re.DOTALL)


#: Why such a document is refused (translatable; the reason a rejected record shows).
ENTITIES_REFUSED = N_("the XML declares entities in its DOCTYPE (entity expansion or external entity)")


class UnsafeXMLError(ValueError):
    """The document declares entities (an entity bomb or an external entity): refused, not expanded.

    ``message`` is the reason as a translatable :class:`Reason` (the same English text as ``str(exc)``).
    """

    def __init__(self, reason: str = ENTITIES_REFUSED) -> None:
        self.message = reason if isinstance(reason, Reason) else Reason(reason)
        super().__init__(str(self.message))


def _parser(*, recover: bool = False) -> etree.XMLParser:
    return etree.XMLParser(
        recover=recover,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


_PARSER = _parser()
_RECOVER_PARSER = _parser(recover=True)


def check_safe(data: bytes) -> None:
    """Raise :class:`UnsafeXMLError` when the prolog declares entities of its own."""
    head = data[:65536]
    match = _DOCTYPE_SUBSET.search(head)
    if match and _ENTITY_DECL.search(match.group(1)):
        raise UnsafeXMLError(ENTITIES_REFUSED)
    if _ENTITY_DECL.search(head) and b"<!DOCTYPE" in head:
        raise UnsafeXMLError(ENTITIES_REFUSED)


def parse_document(data: bytes, *, recover: bool = False) -> etree._Element:
    """Parse one XML document safely; raises ``UnsafeXMLError`` or ``lxml.etree.XMLSyntaxError``.

    ``recover`` lets libxml2 repair a malformed document (a bare ``&``, a broken tag) instead of failing; the
    same safety settings apply either way.
    """
    check_safe(data)
    root = etree.fromstring(data, _RECOVER_PARSER if recover else _PARSER)
    if root is None:
        raise etree.XMLSyntaxError("nothing could be recovered from the document", None, 0, 0)
    return root
