"""USPTO Patent Public Search (PPUBS) responses: the biblio search JSON (``{"patents": […]}``) and the
document JSON (a list of full documents).

Each patent → :class:`Publication`: number from ``guid`` (``US-11803561-B1``), kind, publication date, application
number and filing date, title, abstract/description/claims when the document JSON carries them (HTML stripped),
CPC (``cpcInventiveFlattened`` first symbol main, ``cpcAdditionalFlattened``), IPC (``ipcCodeFlattened``), USPC
(``uspcFullClassificationFlattened``), assignees (role ``assignee``), applicants, inventors (``inventorsName``;
the biblio search gives only ``inventorsShort`` "Name et al.", kept in extras), examiners into extras, US and
foreign references (``urpn``, ``foreignRef*``; origin unknown: PPUBS does not mark examiner citations).

Family: ``familyIdentifierCur``. For older documents it is the 8-digit EPO DOCDB simple-family id (e.g.
26732223 for US6103599A, the same number Espacenet shows); for recent ones PPUBS puts a 13-digit number of its
own (``1000000503593``), which is no DOCDB id. The first kind → ``FamilyMember(family_type="docdb")`` and
``Publication.family_id``; the second → ``family_type="source"`` (kept, so members can still be grouped, but not
joined with DOCDB families from other sources) and ``extras["source_family_id"]``.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from typing import Any, ClassVar

from patnav.i18n import N_
from patnav.ingest.base import ReadItem, Reason, Rejected, Source, reason_of
from patnav.ingest.readers._epo_common import claims_from_texts, make_party, ymd
from patnav.model.dates import DateParseError
from patnav.model.numbers import PatentNumberError, normalize_application_number, parse_publication_number
from patnav.model.records import Citation, Classification, FamilyMember, LocalizedText, Publication

_TAG = re.compile(r"<[^>]+>")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_CPC = re.compile(r"^([A-HY]\d\d[A-Z])\s*(\d{1,4})\s*/\s*(\d{1,6})")
_NULLS = {"", "N/A", "NULL", "[]"}
#: DOCDB family ids are (so far) at most 9 digits; PPUBS's own surrogate ids are 13 digits.
_DOCDB_FAMILY_MAX_DIGITS = 9


def _strip_html(value: str | None) -> str | None:
    if not value:
        return None
    text = _TAG.sub("", _BR.sub("\n", value))
    text = html.unescape(text)
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r"\n\s*\n+", "\n", text).strip()
    return text or None


def _list(v: Any) -> list[str]:
    if v is None:
        return []
    items = v if isinstance(v, list) else [v]
    return [str(i).strip() for i in items if str(i).strip() not in _NULLS]


def _symbol(raw: str) -> str | None:
    m = _CPC.match(raw.strip().upper())
    return f"{m[1]} {int(m[2])}/{m[3]}" if m else None


class UsptoPublicSearchReader:
    """USPTO Patent Public Search (PPUBS) biblio and document JSON."""

    name: ClassVar[str] = "uspto-public-search"
    version: ClassVar[str] = "1.0"
    rank: ClassVar[int] = 20
    description: ClassVar[str] = "USPTO Patent Public Search (PPUBS) search/document JSON"

    def sniff(self, head: bytes, filename: str) -> float:
        if head.lstrip()[:1] not in (b"{", b"["):
            return 0.0
        if b'"guid"' in head and (b'"familyIdentifierCur"' in head or b'"publicationReferenceDocumentNumber"' in head):
            return 0.95
        if b'"patents"' in head and b'"numberOfFamilies"' in head:
            return 0.9
        return 0.0

    def read(self, source: Source) -> Iterator[ReadItem]:
        data = source.read_whole()
        try:
            obj = json.loads(data)
        except ValueError as exc:
            yield Rejected(
                source.name,
                Reason(N_("not valid JSON: {problem}"), problem=str(exc)),
                "json",
                data[:200].decode("utf-8", "replace"),
            )
            return
        docs = obj.get("patents") or obj.get("docs") or [] if isinstance(obj, dict) else obj
        for i, doc in enumerate(docs, start=1):
            position = f"{source.name}#patents[{i}]"
            if not isinstance(doc, dict):
                yield Rejected(position, Reason(N_("expected a JSON object")), "patent")
                continue
            yield from self._document(doc, position)

    def _document(self, d: dict[str, Any], position: str) -> Iterator[ReadItem]:
        raw = (d.get("guid") or "").strip()
        try:
            if raw:
                pn = parse_publication_number(raw.replace("-", " "))
            else:
                kind = (_list(d.get("kindCode")) or [""])[0]
                pn = parse_publication_number(f"US{d.get('publicationReferenceDocumentNumber') or ''}{kind}")
        except PatentNumberError as exc:
            yield Rejected(position, reason_of(exc), "guid", json.dumps({"guid": raw})[:300])
            return
        try:
            pub_date = ymd(d.get("datePublished"))
            filing = ymd((_list(d.get("applicationFilingDate")) or [None])[0])
        except DateParseError as exc:
            yield Rejected(position, reason_of(exc), "datePublished", raw)
            return
        kind = pn.kind or ""
        pub = Publication(
            publication_number=str(pn),
            country=pn.country,
            doc_number=pn.number,
            kind=pn.kind,
            doc_type="design" if pn.number.startswith("D") else "plant" if pn.number.startswith("PP") else "invention",
            stage="application" if d.get("type") == "US-PGPUB" or kind.startswith("A1") else "grant",
            publication_date=pub_date,
            filing_date=filing,
        )
        if pub.stage == "grant":
            pub.grant_date = pub_date
        app = d.get("applicationNumber")
        if app:
            try:
                pub.application_number = normalize_application_number(f"US{app}", default_country="US")
            except (PatentNumberError, ValueError):
                pub.extras["application_number_raw"] = str(app)
        if d.get("inventionTitle"):
            pub.titles.append(LocalizedText("en", _strip_html(d["inventionTitle"]) or d["inventionTitle"]))
        abstract = _strip_html(d.get("abstractHtml"))
        if abstract:
            pub.abstracts.append(LocalizedText("en", abstract))
        description = _strip_html(" ".join(filter(None, (d.get("briefHtml"), d.get("descriptionHtml")))))
        if description:
            pub.description = description
            pub.description_length = len(description)
        if d.get("claimsHtml"):
            blocks = re.split(r"<br\s*/?>\s*(?=\d{1,3}\s*\.\s)", d["claimsHtml"])
            pub.claims = claims_from_texts(_strip_html(b) or "" for b in blocks)
            pub.claims_lang = "en"

        seq = 0
        inventive = [s for s in (d.get("cpcInventiveFlattened") or "").split(";") if s.strip()]
        additional = [s for s in (d.get("cpcAdditionalFlattened") or "").split(";") if s.strip()]
        seen: set[tuple[str, str]] = set()
        for i, raw_sym in enumerate(inventive + additional):
            sym = _symbol(raw_sym)
            if sym and ("CPC", sym) not in seen:
                seen.add(("CPC", sym))
                seq += 1
                pub.classifications.append(Classification("CPC", sym, i == 0, None, seq))
        for i, raw_sym in enumerate(s for s in (d.get("ipcCodeFlattened") or "").split(";") if s.strip()):
            sym = _symbol(raw_sym)
            if sym and ("IPC", sym) not in seen:
                seen.add(("IPC", sym))
                seq += 1
                pub.classifications.append(Classification("IPC", sym, i == 0, None, seq))
        uspc = [s for s in (d.get("uspcFullClassificationFlattened") or "").split(";") if s.strip()]
        for i, sym in enumerate(uspc):
            seq += 1
            pub.classifications.append(Classification("USPC", sym.strip(), i == 0, None, seq))

        countries = _list(d.get("assigneeCountry"))
        for i, name in enumerate(_list(d.get("assigneeName")), start=1):
            country = countries[i - 1] if i - 1 < len(countries) else None
            pub.parties.append(make_party("assignee", name, country=country, sequence=i))
        for i, name in enumerate(_list(d.get("applicantName")), start=1):
            pub.parties.append(make_party("applicant", name, sequence=i))
        inv_countries = _list(d.get("inventorCountry"))
        for i, name in enumerate(_list(d.get("inventorsName")), start=1):
            display = " ".join(reversed([p.strip() for p in name.split(";", 1)])) if ";" in name else name
            country = inv_countries[i - 1] if i - 1 < len(inv_countries) else None
            pub.parties.append(make_party("inventor", display, country=country, sequence=i))
        if d.get("inventorsShort") and not d.get("inventorsName"):
            pub.extras["inventors_short"] = str(d["inventorsShort"])
        for key, extra in (("primaryExaminer", "primary_examiner"), ("mainClassificationCode", "uspc_main")):
            if d.get(key):
                pub.extras[extra] = str(d[key])

        cseq = 0
        for ref in _list(d.get("urpn")):
            cseq += 1
            try:
                number = str(parse_publication_number(f"US{ref}"))
            except PatentNumberError:
                number = None
            pub.citations.append(Citation(False, number, ref, sequence=cseq))
        f_countries = _list(d.get("foreignRefCountryCode"))
        for i, ref in enumerate(_list(d.get("foreignRefPatentNumber"))):
            cc = f_countries[i] if i < len(f_countries) else ""
            cseq += 1
            try:
                number = str(parse_publication_number(f"{cc}{ref.replace(' ', '')}"))
            except PatentNumberError:
                number = None
            pub.citations.append(Citation(False, number, f"{cc} {ref}".strip(), sequence=cseq))
        for ref in _list(d.get("otherRefPub")):
            cseq += 1
            pub.citations.append(Citation(True, npl_text=html.unescape(ref), sequence=cseq))

        family_raw = str(d.get("familyIdentifierCurStr") or d.get("familyIdentifierCur") or "").strip()
        family_type = None
        if family_raw.isdigit():
            if len(family_raw) <= _DOCDB_FAMILY_MAX_DIGITS:
                pub.family_id, family_type = family_raw, "docdb"
            else:
                pub.extras["source_family_id"] = family_raw
                family_type = "source"
        yield pub
        if family_type:
            yield FamilyMember(family_raw, family_type, pub.publication_number, pub.application_number)  # type: ignore[arg-type]
