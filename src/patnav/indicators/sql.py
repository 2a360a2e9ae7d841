"""The SQL of every indicator step, in the engine's portable subset (one text for DuckDB and Spark).

Conventions: dates are compared as ``yyyymmdd`` integers (``YMD(d)``), because date arithmetic is spelled
differently on each engine; IPC symbols are compared in compact form (spaces removed); a cited number is
resolved to a loaded publication by its exact key, else by country + number without the kind code (the
earliest such publication: the family's first publication the citation most likely means). Steps that several
indicators share (classes, citation links) are materialised once and registered back into the engine as
``ind_*`` tables.
"""

from __future__ import annotations


def ymd(column: str) -> str:
    """``column`` (a date) as a ``yyyymmdd`` integer expression."""
    return f"(year({column}) * 10000 + month({column}) * 100 + day({column}))"


#: the kind-code suffix of a canonical number (``A1``, ``B2``, ``S``, ``U``): stripped to match without kind
KIND_SUFFIX = "[A-Z][0-9]?$"

PUBLICATIONS = f"""
SELECT publication_number, country, doc_number, kind, doc_type, stage, application_number,
       coalesce(family_id, publication_number) AS family_key, family_id IS NOT NULL AS family_known,
       priority_date, filing_date, publication_date, grant_date, claims_count, term_extension_days,
       {ymd("publication_date")} AS pub_ymd
FROM publications
"""

#: distinct IPC subclasses (first 4 characters) and compact symbols per publication; CPC stands in for a
#: publication that has no IPC (CPC subclasses coincide with IPC ones at this level)
CLASSES = """
WITH cls AS (
  SELECT publication_number, scheme, replace(trim(symbol), ' ', '') AS sym,
         coalesce(is_main, false) AS is_main, coalesce(sequence, 0) AS seq
  FROM classifications
  WHERE scheme IN ('IPC', 'CPC') AND nullif(trim(symbol), '') IS NOT NULL
),
ipc AS (
  SELECT publication_number, sym, is_main, seq FROM cls WHERE scheme = 'IPC'
  UNION ALL
  SELECT publication_number, sym, is_main, seq FROM cls
  WHERE scheme = 'CPC' AND publication_number NOT IN (SELECT publication_number FROM cls WHERE scheme = 'IPC')
)
SELECT publication_number, sym, substr(sym, 1, 4) AS cls,
       min(CASE WHEN is_main THEN 0 ELSE 1 END) AS not_main, min(seq) AS seq
FROM ipc GROUP BY publication_number, sym
"""

#: per publication: its technology field (of the main symbol: flagged main, else first listed) and how many
#: distinct fields its symbols fall in; ``ref_wipo`` is the WIPO concordance (longest prefix wins)
FIELDS = """
WITH m AS (
  SELECT c.publication_number, c.sym, c.not_main, c.seq, r.code,
         row_number() OVER (PARTITION BY c.publication_number, c.sym ORDER BY length(r.prefix) DESC, r.code) AS rn
  FROM ind_symbols c JOIN ref_wipo r ON r.subclass = c.cls AND substr(c.sym, 1, length(r.prefix)) = r.prefix
),
best AS (SELECT publication_number, sym, not_main, seq, code FROM m WHERE rn = 1),
ranked AS (
  SELECT publication_number, code,
         row_number() OVER (PARTITION BY publication_number ORDER BY not_main, seq, sym) AS rn
  FROM best
)
SELECT r.publication_number, CAST(r.code AS BIGINT) AS tech_field, n.fields
FROM ranked r JOIN (SELECT publication_number, count(DISTINCT code) AS fields FROM best GROUP BY publication_number) n
  ON n.publication_number = r.publication_number
WHERE r.rn = 1
"""

SCOPE = """
SELECT publication_number, count(DISTINCT cls) AS patent_scope FROM ind_symbols GROUP BY publication_number
"""

#: one row per (citing, cited) pair of loaded publications; ``xy`` = 1 when any citation of the pair has a
#: search-report category in :xy (built by :func:`links`)
_LINKS = f"""
WITH pub AS (
  SELECT publication_number, country || doc_number AS bare, publication_date,
         coalesce(family_id, publication_number) AS fam, {ymd("publication_date")} AS pub_ymd
  FROM publications
),
cited AS (SELECT DISTINCT cited_number FROM citations WHERE NOT is_npl AND cited_number IS NOT NULL),
exact AS (
  SELECT c.cited_number, p.publication_number AS target FROM cited c JOIN pub p ON p.publication_number = c.cited_number
),
cand AS (
  SELECT c.cited_number, p.publication_number AS target, p.publication_date
  FROM (SELECT cited_number FROM cited WHERE cited_number NOT IN (SELECT cited_number FROM exact)) c
  JOIN pub p ON p.bare = regexp_replace(c.cited_number, '{KIND_SUFFIX}', '')
),
resolved AS (
  SELECT cited_number, target FROM exact
  UNION ALL
  SELECT cited_number, target FROM (
    SELECT cited_number, target,
           row_number() OVER (PARTITION BY cited_number ORDER BY publication_date NULLS LAST, target) AS rn
    FROM cand) r
  WHERE rn = 1
),
pairs AS (
  SELECT c.publication_number AS citing, r.target AS cited, max(__XY__) AS xy
  FROM citations c JOIN resolved r ON r.cited_number = c.cited_number
  WHERE NOT c.is_npl AND c.publication_number <> r.target
  GROUP BY c.publication_number, r.target
)
SELECT pr.citing, pr.cited, pr.xy, a.fam AS citing_fam, a.pub_ymd AS citing_ymd, b.pub_ymd AS cited_ymd
FROM pairs pr JOIN pub a ON a.publication_number = pr.citing JOIN pub b ON b.publication_number = pr.cited
"""


def links(xy_categories: list[str]) -> str:
    """The citation-links query; ``xy_categories`` are single letters (checked), matched in lists like ``Y,A``."""
    letters = [c.strip().upper() for c in xy_categories]
    if not letters or not all(len(c) == 1 and c.isalpha() for c in letters):
        raise ValueError(f"search-report categories must be single letters, not {xy_categories!r}")
    cat = "upper(replace(coalesce(c.category, ''), ' ', ''))"
    tests = " OR ".join(
        f"{cat} = '{c}' OR {cat} LIKE '{c},%' OR {cat} LIKE '%,{c}' OR {cat} LIKE '%,{c},%'" for c in letters
    )
    return _LINKS.replace("__XY__", f"CASE WHEN {tests} THEN 1 ELSE 0 END")


def forward(windows: list[int]) -> str:
    """Forward citations per cited publication: distinct citing families, in total and within each window of
    years after the cited publication's publication date (X/Y-only variants too)."""
    cols = []
    for w in windows:
        w = int(w)
        cols.append(f"sum(CASE WHEN ymd <= cited_ymd + {w * 10000} THEN 1 ELSE 0 END) AS fwd_cits{w}")
        cols.append(f"sum(CASE WHEN xy_ymd <= cited_ymd + {w * 10000} THEN 1 ELSE 0 END) AS fwd_cits{w}_xy")
    return f"""
WITH f AS (
  SELECT cited, citing_fam, min(citing_ymd) AS ymd, min(CASE WHEN xy = 1 THEN citing_ymd END) AS xy_ymd,
         min(cited_ymd) AS cited_ymd
  FROM ind_links WHERE citing_ymd >= cited_ymd GROUP BY cited, citing_fam
)
SELECT cited AS publication_number, count(*) AS fwd_cits, {", ".join(cols)}
FROM f GROUP BY cited
"""


BACKWARD = """
SELECT publication_number,
       count(DISTINCT CASE WHEN NOT is_npl THEN coalesce(cited_number, cited_number_raw) END) AS bwd_cits,
       sum(CASE WHEN is_npl THEN 1 ELSE 0 END) AS npl_cits
FROM citations GROUP BY publication_number
"""

#: Herfindahl inputs of the class distribution over a publication's citing (``forward``) or cited
#: (``backward``) patents: each such patent spreads CLASS_SCALE over its subclasses (``ind_classes.w``, integer
#: weights, so sums are exact and the two engines agree to the bit); ``patents`` = those with classes.
#: ``ind_links`` holds each (citing, cited) pair once.
_DIVERSITY = """
WITH pairs AS (SELECT __SELF__ AS p, __OTHER__ AS q FROM ind_links),
w AS (
  SELECT pr.p, c.cls, sum(c.w) AS n
  FROM pairs pr JOIN ind_classes c ON c.publication_number = pr.q
  GROUP BY pr.p, c.cls
),
cnt AS (SELECT pr.p, count(*) AS patents FROM pairs pr JOIN ind_class_counts k ON k.publication_number = pr.q
        GROUP BY pr.p)
SELECT w.p AS publication_number, sum(w.n * w.n) AS sumsq, sum(w.n) AS total, min(cnt.patents) AS patents
FROM w JOIN cnt ON cnt.p = w.p GROUP BY w.p
"""

#: lcm(1..12): a patent with up to 12 subclasses splits its weight exactly
CLASS_SCALE = 27720


def diversity(direction: str) -> str:
    """Generality (``forward``: classes of citing patents) or originality (``backward``: of cited patents)."""
    self_col, other_col = {"forward": ("cited", "citing"), "backward": ("citing", "cited")}[direction]
    return _DIVERSITY.replace("__SELF__", self_col).replace("__OTHER__", other_col)


#: radicalness: of the subclass assignments of the patents p cites, how many lie outside p's own subclasses
RADICALNESS = """
WITH pairs AS (SELECT citing, cited FROM ind_links
               WHERE citing IN (SELECT publication_number FROM ind_class_counts))
SELECT pr.citing AS publication_number, count(*) AS assignments,
       sum(CASE WHEN own.cls IS NULL THEN 1 ELSE 0 END) AS outside
FROM pairs pr JOIN ind_classes c ON c.publication_number = pr.cited
LEFT JOIN ind_classes own ON own.publication_number = pr.citing AND own.cls = c.cls
GROUP BY pr.citing
"""

#: family members: publications sharing a family id, and DOCDB family rows (members need not be loaded);
#: ``family_size`` counts distinct offices (WO is not an office that grants); ``overseas_grant`` is a member at
#: another office that is granted (loaded as a grant, or its kind code is a grant kind of that office)
FAMILY = """
WITH docdb AS (SELECT family_id AS fam, publication_number AS member FROM families WHERE family_type = 'docdb'),
pf AS (
  SELECT p.publication_number, p.country, coalesce(p.family_id, d.fam) AS fam
  FROM publications p
  LEFT JOIN (SELECT member, min(fam) AS fam FROM docdb GROUP BY member) d ON d.member = p.publication_number
),
members AS (
  SELECT fam, publication_number AS member FROM pf WHERE fam IS NOT NULL
  UNION
  SELECT fam, member FROM docdb
),
m AS (
  SELECT m.fam, m.member, substr(m.member, 1, 2) AS office,
         regexp_extract(m.member, '([A-Z][0-9]?)$', 1) AS kind, p.stage
  FROM members m LEFT JOIN publications p ON p.publication_number = m.member
),
offices AS (SELECT fam, count(DISTINCT office) AS offices FROM m WHERE office <> 'WO' GROUP BY fam)
SELECT pf.publication_number, o.offices AS family_size,
       min(CASE WHEN g.kind IS NOT NULL OR m.stage = 'grant' THEN m.member END) AS overseas_grant
FROM pf
JOIN offices o ON o.fam = pf.fam
LEFT JOIN m ON m.fam = pf.fam AND m.office <> pf.country AND m.office <> 'WO'
LEFT JOIN ref_granted_kinds g ON g.office = m.office AND g.kind = m.kind
GROUP BY pf.publication_number, o.offices
"""

#: decisive legal events, attached to every publication of the same application (country + number)
EVENTS = """
WITH e AS (
  SELECT e.publication_number, e.event_date, e.authority, e.code, e.description,
         coalesce(e.status_effect, c.status_effect) AS effect
  FROM legal_events e LEFT JOIN legal_event_codes c ON c.authority = e.authority AND c.code = e.code
),
pub AS (SELECT publication_number, country || doc_number AS bare FROM publications)
SELECT p.publication_number, e.event_date, e.effect, e.authority, e.code, e.description
FROM e JOIN pub a ON a.publication_number = e.publication_number
JOIN pub p ON p.bare = a.bare
WHERE e.effect IN ('grant', 'lapse', 'expiry', 'revocation', 'withdrawal', 'reinstatement')
"""

#: every legal event at all (for "was the status estimated?"): how many a publication's application has
EVENT_COUNTS = """
WITH pub AS (SELECT publication_number, country || doc_number AS bare FROM publications)
SELECT p.publication_number, count(*) AS events
FROM legal_events e JOIN pub a ON a.publication_number = e.publication_number JOIN pub p ON p.bare = a.bare
GROUP BY p.publication_number
"""

#: pledges: security interests recorded against the patent (transactions) and user-supplied pledge rows;
#: the largest amount in CNY and how many records there are
PLEDGES = """
WITH t AS (
  SELECT tp.publication_number, t.transaction_id AS record, t.amount, t.currency
  FROM transactions t JOIN transaction_patents tp ON tp.transaction_id = t.transaction_id
  WHERE t.kind IN ('security_interest', 'pledge') AND tp.publication_number IS NOT NULL
  UNION ALL
  SELECT publication_number, record, amount_cny AS amount, 'CNY' AS currency FROM ref_pledges
)
SELECT publication_number, count(*) AS pledges,
       max(CASE WHEN currency = 'CNY' THEN amount END) AS pledge_cny,
       min(record) AS pledge_record
FROM t GROUP BY publication_number
"""

AWARDS = """
SELECT publication_number, min(award || CASE WHEN level IS NULL THEN '' ELSE ' ' || level END
                                || CASE WHEN year IS NULL THEN '' ELSE ' ' || CAST(year AS STRING) END) AS award
FROM ref_awards GROUP BY publication_number
"""

#: industry shares: each publication's distinct industry codes under a scheme, honouring exclusion rules
INDUSTRIES = """
WITH m AS (
  SELECT DISTINCT c.publication_number, r.code
  FROM ind_symbols c JOIN ref_industry r ON r.subclass = c.cls AND substr(c.sym, 1, length(r.prefix)) = r.prefix
  WHERE r.not_with IS NULL
     OR NOT EXISTS (SELECT 1 FROM ind_symbols x WHERE x.publication_number = c.publication_number
                    AND substr(x.sym, 1, length(r.not_with)) = r.not_with)
     OR EXISTS (SELECT 1 FROM ind_symbols y WHERE y.publication_number = c.publication_number
                AND substr(y.sym, 1, length(r.unless_with)) = r.unless_with)
)
SELECT publication_number, code, count(*) OVER (PARTITION BY publication_number) AS codes FROM m
"""

#: the strategic-emerging-industry evidence: the first symbol (and its category) that maps
SEI = """
SELECT publication_number, min(sym || ' → ' || code) AS sei FROM (
  SELECT c.publication_number, c.sym, r.code
  FROM ind_symbols c JOIN ref_sei r ON r.subclass = c.cls AND substr(c.sym, 1, length(r.prefix)) = r.prefix
) m GROUP BY publication_number
"""
