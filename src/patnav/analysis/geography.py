"""Where a set is filed and where its applicants come from (GB/T 39551: "patent landscape: geography").

``geography(engine, patent_set)`` gives:

* publications and families per office (the publishing country or organisation: US, CN, EP, WO…);
* publications and families per applicant country (``parties.country`` of the applicants, same applicant rule
  as :mod:`patnav.analysis.players`), and how many have no applicant country at all;
* flows from applicant country to office: documents published at the office naming an applicant from the
  country, and families with an applicant from the country and a member at the office (a family-level flow
  also catches members whose own record lacks the applicant's country);
* overseas layout per applicant country: the share of its families with a member at any other office.

Regional and international offices (EP, WO, EA…) count as foreign to every country. Families are seen through
the members in the set: a member the set does not contain does not count (analyse a set with all family
members for a complete picture of layout).
"""

from __future__ import annotations

from dataclasses import dataclass

from patnav.analysis._sql import with_set
from patnav.analysis.patent_set import PatentSet, register_patent_set
from patnav.engine.base import Engine


@dataclass(frozen=True, slots=True)
class CountryCount:
    """One office or applicant country: its ``documents`` and ``families`` and their shares.

    For offices, shares are of all documents and families of the set (document shares add up to 1; family shares
    can add up to more, a family spans offices). For applicant countries, shares are of the documents and
    families that name an applicant country (they can add up to more than 1 with co-applicants from several
    countries).
    """

    country: str
    documents: int
    families: int
    document_share: float
    family_share: float


@dataclass(frozen=True, slots=True)
class Flow:
    """Applicant country → office: ``documents`` published at ``office`` naming an applicant from
    ``applicant_country``, and ``families`` with such an applicant and a member at ``office``."""

    applicant_country: str
    office: str
    documents: int
    families: int


@dataclass(frozen=True, slots=True)
class OverseasLayout:
    """The families with an applicant from ``country``, how many have a member at another office
    (``families_abroad``), their ``share_abroad``, and how many ``foreign_offices`` they reach."""

    country: str
    families: int
    families_abroad: int
    share_abroad: float
    foreign_offices: int


@dataclass(frozen=True, slots=True)
class Geography:
    """The geography of a set.

    ``documents``/``families`` of the set; ``offices`` and ``applicant_countries`` ordered by families, then
    documents (both desc), then code; ``with_applicant_country_*`` count what names at least one applicant
    country (the rest have none recorded); ``flows`` ordered by families, documents (desc), then codes;
    ``overseas`` ordered by families (desc), then country.
    """

    documents: int
    families: int
    offices: tuple[CountryCount, ...]
    applicant_countries: tuple[CountryCount, ...]
    with_applicant_country_documents: int
    with_applicant_country_families: int
    flows: tuple[Flow, ...]
    overseas: tuple[OverseasLayout, ...]


_CTES = (
    # (publication, family, applicant country) for every applicant with a country
    (
        "ac",
        "SELECT DISTINCT a.publication_number, p.fam, a.country"
        " FROM app a JOIN pubs p ON p.publication_number = a.publication_number WHERE a.country IS NOT NULL",
    ),
    ("fc", "SELECT DISTINCT fam, country FROM ac"),
    ("fo", "SELECT DISTINCT fam, office FROM pubs WHERE office IS NOT NULL"),
)

_COUNTS = """
        SELECT 'office' AS dim, office AS code, count(*) AS documents, count(DISTINCT fam) AS families
        FROM pubs WHERE office IS NOT NULL GROUP BY office
        UNION ALL
        SELECT 'applicant_country' AS dim, country AS code, count(DISTINCT publication_number) AS documents,
               count(DISTINCT fam) AS families
        FROM ac GROUP BY country
        UNION ALL
        SELECT 'set' AS dim, CAST(NULL AS STRING) AS code, count(*) AS documents, count(DISTINCT fam) AS families
        FROM pubs
        UNION ALL
        SELECT 'with_applicant_country' AS dim, CAST(NULL AS STRING) AS code,
               count(DISTINCT publication_number) AS documents, count(DISTINCT fam) AS families
        FROM ac"""

# family-level pairs include every publication-level pair (a publication's pair is its family's), so the
# document counts can be joined onto the family counts
_FLOWS = """
        SELECT ff.country, ff.office, coalesce(df.documents, 0) AS documents, ff.families
        FROM (SELECT fc.country, fo.office, count(*) AS families
              FROM fc JOIN fo ON fo.fam = fc.fam GROUP BY fc.country, fo.office) ff
        LEFT JOIN (SELECT ac.country, p.office, count(DISTINCT p.publication_number) AS documents
                   FROM ac JOIN pubs p ON p.publication_number = ac.publication_number
                   WHERE p.office IS NOT NULL GROUP BY ac.country, p.office) df
          ON df.country = ff.country AND df.office = ff.office"""

_OVERSEAS = """
        SELECT fc.country, count(DISTINCT fc.fam) AS families,
               count(DISTINCT CASE WHEN fo.office <> fc.country THEN fc.fam END) AS abroad,
               count(DISTINCT CASE WHEN fo.office <> fc.country THEN fo.office END) AS foreign_offices
        FROM fc LEFT JOIN fo ON fo.fam = fc.fam
        GROUP BY fc.country"""


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def geography(engine: Engine, patent_set: PatentSet | None = None) -> Geography:
    """Offices, applicant countries, flows and overseas layout of ``patent_set`` (default: the whole corpus)."""
    table = register_patent_set(engine, patent_set)
    head = with_set(table, *_CTES)
    counts: dict[str, list[tuple[str | None, int, int]]] = {}
    for dim, code, docs, fams in engine.rows(head + _COUNTS):
        counts.setdefault(str(dim), []).append((code, int(docs), int(fams)))
    ((_, documents, families),) = counts["set"]
    ((_, known_docs, known_fams),) = counts["with_applicant_country"]

    def ranked(dim: str, doc_total: int, fam_total: int) -> tuple[CountryCount, ...]:
        rows = [
            CountryCount(str(code), d, f, _ratio(d, doc_total), _ratio(f, fam_total))
            for code, d, f in counts.get(dim, [])
        ]
        return tuple(sorted(rows, key=lambda c: (-c.families, -c.documents, c.country)))

    flows = [Flow(str(c), str(o), int(d), int(f)) for c, o, d, f in engine.rows(head + _FLOWS)]
    flows.sort(key=lambda x: (-x.families, -x.documents, x.applicant_country, x.office))
    overseas = [
        OverseasLayout(str(c), int(f), int(a), _ratio(int(a), int(f)), int(n))
        for c, f, a, n in engine.rows(head + _OVERSEAS)
    ]
    overseas.sort(key=lambda x: (-x.families, x.country))
    return Geography(
        documents=documents,
        families=families,
        offices=ranked("office", documents, families),
        applicant_countries=ranked("applicant_country", known_docs, known_fams),
        with_applicant_country_documents=known_docs,
        with_applicant_country_families=known_fams,
        flows=tuple(flows),
        overseas=tuple(overseas),
    )
