"""The canonical records every reader produces and every analysis reads.

One shape for all sources: a reader turns its format into these dataclasses and nothing else.
Numbers are canonical strings from :mod:`patnav.model.numbers`, dates are :class:`datetime.date`,
text keeps its language code (ISO 639-1, e.g. ``en``, ``zh``, ``ja``, ``de``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

DocType = Literal["invention", "utility_model", "design", "plant", "other"]
Stage = Literal["application", "grant", "search_report", "correction", "other"]
PartyRole = Literal["applicant", "assignee", "owner", "inventor", "agent", "examiner"]
PartyKind = Literal["company", "university", "institute", "individual", "government", "hospital", "unknown"]
ClassScheme = Literal["IPC", "CPC", "USPC", "LOCARNO", "FI", "FTERM", "NATIONAL"]
CitationOrigin = Literal["examiner", "applicant", "search_report", "opposition", "third_party", "unknown"]
TransactionKind = Literal[
    "assignment", "licence", "security_interest", "release", "merger", "change_of_name", "correction", "other"
]


@dataclass(slots=True)
class LocalizedText:
    """A text with the language it is written in (EP titles come in de, en and fr at once)."""

    lang: str | None
    text: str


@dataclass(slots=True)
class Party:
    """An applicant, assignee/owner or inventor as written, with its harmonised grouping key."""

    role: PartyRole
    name: str
    name_harmonized: str | None = None
    country: str | None = None
    kind: PartyKind = "unknown"
    address: str | None = None
    sequence: int = 0


@dataclass(slots=True)
class Classification:
    """One classification symbol in normalised form (``G06N 3/08`` for IPC/CPC, ``706/15`` for USPC)."""

    scheme: ClassScheme
    symbol: str
    is_main: bool = False
    version: str | None = None
    sequence: int = 0


@dataclass(slots=True)
class Priority:
    """A priority claim: the earlier application this publication claims the date of."""

    country: str | None
    number: str
    date: dt.date | None
    sequence: int = 0


@dataclass(slots=True)
class Citation:
    """A reference cited by this publication: another patent (normalised number) or non-patent literature."""

    is_npl: bool
    cited_number: str | None = None
    cited_number_raw: str | None = None
    npl_text: str | None = None
    category: str | None = None
    origin: CitationOrigin = "unknown"
    cited_date: dt.date | None = None
    sequence: int = 0


@dataclass(slots=True)
class Claim:
    """One claim; ``depends_on`` lists the claims it refers to (empty for an independent claim)."""

    number: int
    text: str
    depends_on: list[int] = field(default_factory=list)

    @property
    def independent(self) -> bool:
        return not self.depends_on


@dataclass(slots=True)
class Publication:
    """One published patent document (an application publication or a grant), keyed by its canonical number."""

    publication_number: str
    country: str
    doc_number: str
    kind: str | None = None
    doc_type: DocType = "invention"
    stage: Stage = "grant"
    application_number: str | None = None
    family_id: str | None = None
    priority_date: dt.date | None = None
    filing_date: dt.date | None = None
    publication_date: dt.date | None = None
    grant_date: dt.date | None = None
    titles: list[LocalizedText] = field(default_factory=list)
    abstracts: list[LocalizedText] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    claims_lang: str | None = None
    description: str | None = None
    description_length: int | None = None
    term_extension_days: int | None = None
    parties: list[Party] = field(default_factory=list)
    classifications: list[Classification] = field(default_factory=list)
    priorities: list[Priority] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    source_status: str | None = None
    extras: dict[str, str] = field(default_factory=dict)

    def title(self, prefer: tuple[str, ...] = ("en", "zh", "ja")) -> str | None:
        """The title in the first preferred language present, else the first one."""
        return _pick(self.titles, prefer)

    def abstract(self, prefer: tuple[str, ...] = ("en", "zh", "ja")) -> str | None:
        return _pick(self.abstracts, prefer)


@dataclass(slots=True)
class LegalEvent:
    """A legal event from an office or INPADOC: the raw code with its class and the status it implies."""

    publication_number: str
    event_date: dt.date | None
    authority: str | None
    code: str
    description: str | None = None
    inpadoc_class: str | None = None
    status_effect: str | None = None
    sequence: int = 0


@dataclass(slots=True)
class FamilyMember:
    """Membership of a publication in a patent family (DOCDB simple or INPADOC extended)."""

    family_id: str
    family_type: Literal["docdb", "inpadoc", "source"]
    publication_number: str
    application_number: str | None = None
    priority_date: dt.date | None = None


@dataclass(slots=True)
class Transaction:
    """A recorded change of rights over patents: assignment, licence, security interest (pledge), release…"""

    transaction_id: str
    kind: TransactionKind
    conveyance: str | None
    recorded_date: dt.date | None
    executed_date: dt.date | None
    assignors: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    publication_numbers: list[str] = field(default_factory=list)
    application_numbers: list[str] = field(default_factory=list)
    record_number: str | None = None
    amount: float | None = None
    currency: str | None = None


@dataclass(slots=True)
class LegalEventCode:
    """One row of the INPADOC legal-event code table: what an office's event code means and its class."""

    authority: str
    code: str
    description: str | None
    inpadoc_class: str | None
    status_effect: str | None = None
    valid_from: dt.date | None = None


Record = Publication | LegalEvent | FamilyMember | Transaction | LegalEventCode


def _pick(texts: list[LocalizedText], prefer: tuple[str, ...]) -> str | None:
    for lang in prefer:
        for t in texts:
            if t.lang == lang and t.text:
                return t.text
    for t in texts:
        if t.text:
            return t.text
    return None
