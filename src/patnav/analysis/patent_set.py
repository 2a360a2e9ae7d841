"""Patent sets: which publications an analysis looks at.

A navigation report analyses a *patent set*: the result of a search, a list a client handed over, or the whole
corpus. Here a set is a list of canonical publication numbers with a label and a note of how it was made (for
the report's "data scope" section). To query it, the set is registered in the engine as a one-column Arrow table
(``publication_number``); every analysis restricts the corpus to it with ``… IN (SELECT publication_number
FROM <table>)``. The whole corpus needs no table: its name is ``publications`` itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

import pyarrow as pa

from patnav.analysis._sql import CORPUS_TABLE, pubs_cte
from patnav.analysis._tables import register_named
from patnav.engine.base import Engine
from patnav.model.numbers import PatentNumberError, normalize_publication_number

#: engines → set tables already registered in them (names are content hashes, so a name means one content)


@dataclass(frozen=True, slots=True)
class PatentSet:
    """A set of publications to analyse.

    ``numbers`` are canonical publication numbers (``US7197497B2``); ``None`` means the whole corpus.
    ``label`` names the set for a report (``"neural networks"``); ``origin`` says how it was made (a search
    query, a file name, ``"corpus"``), so a report can state its data scope. ``unparsed`` keeps what
    :meth:`of` could not read as a publication number, so a bad line in a client's list is reported, not lost.
    """

    numbers: frozenset[str] | None = None
    label: str = ""
    origin: str = ""
    unparsed: tuple[str, ...] = ()

    @classmethod
    def whole_corpus(cls, label: str = "corpus") -> PatentSet:
        """The set of every publication in the corpus."""
        return cls(None, label, "corpus")

    @classmethod
    def of(cls, numbers: Iterable[str], *, label: str = "", origin: str = "", normalize: bool = True) -> PatentSet:
        """A set of the given publication numbers (duplicates and blanks dropped).

        With ``normalize`` (the default) each number is put in canonical form first (``US 7,197,497 B2`` →
        ``US7197497B2``), and a number that cannot be read lands in ``unparsed``; without it numbers are only
        stripped (use that for numbers that come from the corpus itself).
        """
        found: set[str] = set()
        unparsed: list[str] = []
        for raw in numbers:
            text = raw.strip()
            if not text:
                continue
            if normalize:
                try:
                    text = normalize_publication_number(text)
                except PatentNumberError:
                    unparsed.append(text)
                    continue
            found.add(text)
        return cls(frozenset(found), label, origin, tuple(dict.fromkeys(unparsed)))

    @property
    def is_corpus(self) -> bool:
        """True for the whole corpus."""
        return self.numbers is None

    @property
    def table_name(self) -> str:
        """The name the set is registered under: ``publications`` for the whole corpus, else one derived from
        the numbers (the same numbers always give the same name, different numbers a different one)."""
        if self.numbers is None:
            return CORPUS_TABLE
        digest = hashlib.sha256("\n".join(sorted(self.numbers)).encode()).hexdigest()
        return f"patent_set_{digest[:20]}"

    def to_arrow(self) -> pa.Table:
        """The set as a one-column Arrow table (``publication_number``, sorted); raises for the whole corpus."""
        if self.numbers is None:
            raise ValueError("the whole corpus is not a list of numbers")
        return pa.table({"publication_number": pa.array(sorted(self.numbers), pa.string())})


def register_patent_set(engine: Engine, patent_set: PatentSet | None) -> str:
    """Make ``patent_set`` queryable in ``engine`` and return the name of its table.

    ``None`` or the whole corpus returns ``publications`` and registers nothing. Registering the same set in
    the same engine again is free (remembered per engine).
    """
    if patent_set is None or patent_set.numbers is None:
        return CORPUS_TABLE
    return register_named(engine, patent_set.table_name, patent_set.to_arrow)


@dataclass(frozen=True, slots=True)
class PatentSetSize:
    """How much of a set the corpus holds: ``numbers`` asked for (``None`` for the whole corpus), the
    ``documents`` found, and the ``families`` they belong to."""

    numbers: int | None
    documents: int
    families: int

    @property
    def not_found(self) -> int:
        """Numbers of the set that are not in the corpus (0 for the whole corpus)."""
        return 0 if self.numbers is None else self.numbers - self.documents


def patent_set_size(engine: Engine, patent_set: PatentSet | None = None) -> PatentSetSize:
    """The documents and families of ``patent_set`` (default: the whole corpus) that the corpus holds."""
    table = register_patent_set(engine, patent_set)
    ((documents, families),) = engine.rows(
        f"WITH pubs AS ({pubs_cte(table)}) SELECT count(*), count(DISTINCT fam) FROM pubs"
    )
    numbers = None if patent_set is None or patent_set.numbers is None else len(patent_set.numbers)
    return PatentSetSize(numbers, int(documents), int(families))
