"""64-bit keys of publication numbers, shared by the text index and the vector store.

A filter can select hundreds of thousands of publications; passing that set from the text index to the
vector store as integers (a tantivy fast field, a numpy array) is far cheaper than as strings.
"""

from __future__ import annotations

import hashlib


def number_key(number: str) -> int:
    """A stable 64-bit key of a publication number (BLAKE2b, little-endian)."""
    return int.from_bytes(hashlib.blake2b(number.encode("utf-8"), digest_size=8).digest(), "little")
