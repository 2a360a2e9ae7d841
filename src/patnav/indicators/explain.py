"""What each indicator means, in words a user reads next to its value (translated), and the raw inputs behind
one publication's figures (the citing patents, the family members, the classes), fetched through the engine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from patnav.engine.base import Engine
from patnav.i18n import _
from patnav.indicators.sql import KIND_SUFFIX


def definitions() -> dict[str, str]:
    """Indicator column → one-line definition (in the user's language)."""
    return {
        "filing_year": _("Year of the filing date; with the technology field it makes the cohort."),
        "tech_field": _("WIPO technology field (35 fields) of the main IPC symbol."),
        "many_field": _("The IPC symbols fall in more than one technology field."),
        "cohort_size": _("Publications in the same cohort (filing year × technology field)."),
        "cohort_truncated": _("Members of the cohort cannot all have complete citation windows yet."),
        "status": _("Legal status on the as-of date, from legal events or estimated from the statutory term."),
        "status_estimated": _("No legal events: the status follows from dates and the statutory term alone."),
        "status_basis": _(
            "What decided the status: legal_events, statutory_term, term_upper_bound (filing date unknown),"
            " filing_date or none."
        ),
        "status_date": _("Date of the event or term end that decided the status."),
        "expiry_date": _("Statutory expiry (term from the rule, plus any US term adjustment)."),
        "remaining_term_days": _("Days from the as-of date to the expiry date, for a patent in force."),
        "maintenance_years": _("Years from the filing date to the as-of date (in force) or to the end of the right."),
        "renewal": _("Whole years the patent was kept in force, where legal events show it."),
        "patent_scope": _("Distinct IPC subclasses (4 characters) assigned (OECD patent scope)."),
        "family_size": _("Distinct patent offices in the family (WO excluded); 1 when no family data is loaded."),
        "family_known": _("Family data was loaded for this publication."),
        "grant_lag_days": _("Days from filing to grant."),
        "grant_lag_index": _("1 − grant lag ÷ the longest grant lag in the cohort (faster grants score higher)."),
        "bwd_cits": _("Patent documents this publication cites."),
        "npl_cits": _("Non-patent literature this publication cites."),
        "claims": _("Number of claims."),
        "fwd_cits": _("Citing families among the loaded publications, at any time."),
        "fwd_cits5": _("Citing families within 5 years after publication."),
        "fwd_cits5_xy": _("As fwd_cits5, counting only X/Y search-report citations."),
        "fwd_cits7": _("Citing families within 7 years after publication."),
        "fwd_cits7_xy": _("As fwd_cits7, counting only X/Y search-report citations."),
        "fwd_truncated5": _("The 5-year window has not closed on the as-of date."),
        "fwd_truncated7": _("The 7-year window has not closed on the as-of date."),
        "breakthrough": _("Forward citations (5 years) in the top 1% of the cohort."),
        "breakthrough_xy": _("X/Y forward citations (5 years) in the top 1% of the cohort."),
        "generality": _("1 − Herfindahl index of the IPC subclasses of citing patents (small-count corrected)."),
        "originality": _("1 − Herfindahl index of the IPC subclasses of cited patents (small-count corrected)."),
        "radicalness": _("Share of the cited patents' IPC subclasses that the patent itself does not have."),
        "quality_index_4": _("Mean of forward citations, family size, claims and generality, each ÷ cohort maximum."),
        "quality_index_6": _("quality_index_4's components plus backward citations and the grant-lag index."),
        "high_value": _("CNIPA high-value invention patent: in force and meeting at least one category."),
        "hv_sei": _("High-value category: IPC maps to a strategic emerging industry."),
        "hv_overseas": _("High-value category: a family member is granted at a foreign office."),
        "hv_maintenance": _("High-value category: maintained for more than 10 years."),
        "hv_pledge": _("High-value category: pledged for at least the threshold amount."),
        "hv_award": _("High-value category: won a national S&T award or a China Patent Award."),
        "hv_evidence": _("What set the high-value categories."),
    }


@dataclass(frozen=True, slots=True)
class Inputs:
    """The raw rows behind one publication's citation, family and class indicators."""

    citing: list[tuple[str, Any]]
    cited: list[tuple[str, Any]]
    family: list[str]
    subclasses: list[str]


def inputs(engine: Engine, number: str, limit: int = 50) -> Inputs:
    """Citing and cited loaded publications (with publication dates), family members and IPC subclasses."""
    bare = f"regexp_replace(c.cited_number, '{KIND_SUFFIX}', '')"
    found = engine.rows("SELECT country || doc_number FROM publications WHERE publication_number = :n", {"n": number})
    # The prefix test spares the regular expression nearly every citation (a third of the page's time before).
    citing = (
        engine.rows(
            f"""SELECT DISTINCT c.publication_number, p.publication_date FROM citations c
                JOIN publications p ON p.publication_number = c.publication_number
                WHERE NOT c.is_npl AND c.publication_number <> :n
                  AND (c.cited_number = :n OR (c.cited_number LIKE :prefix AND {bare} = :bare))
                ORDER BY p.publication_date NULLS LAST, c.publication_number LIMIT {int(limit)}""",
            {"n": number, "bare": found[0][0], "prefix": f"{found[0][0]}%"},
        )
        if found and found[0][0]
        else []
    )
    cited = engine.rows(
        f"""SELECT DISTINCT coalesce(cited_number, cited_number_raw) AS cited, category FROM citations
            WHERE publication_number = :n AND NOT is_npl
            ORDER BY cited NULLS LAST, category NULLS LAST LIMIT {int(limit)}""",
        {"n": number},
    )
    family = [
        r[0]
        for r in engine.rows(
            """SELECT DISTINCT m.publication_number FROM (
                 SELECT family_id AS fam, publication_number FROM publications WHERE family_id IS NOT NULL
                 UNION SELECT family_id, publication_number FROM families WHERE family_type = 'docdb') m
               WHERE m.fam IN (SELECT family_id FROM publications WHERE publication_number = :n
                               UNION SELECT family_id FROM families WHERE publication_number = :n
                                 AND family_type = 'docdb')
               ORDER BY m.publication_number""",
            {"n": number},
        )
    ]
    subclasses = [
        r[0]
        for r in engine.rows(
            """SELECT DISTINCT substr(replace(trim(symbol), ' ', ''), 1, 4) AS s FROM classifications
               WHERE publication_number = :n AND scheme IN ('IPC', 'CPC') ORDER BY s""",
            {"n": number},
        )
    ]
    return Inputs(citing, cited, family, subclasses)
