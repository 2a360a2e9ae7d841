"""Party names (applicants, assignees, inventors): fold, harmonise, classify and split.

Every analysis of "who" groups parties by a key. Sources spell one organisation many ways
("International Business Machines Corporation", "International Business Machines Corp.", "IBM",
"国际商业机器公司"), full-width and half-width, with legal forms in Chinese, Japanese, Korean, English
and German. :func:`harmonize_name` gives the grouping key shown to users; :class:`NameHarmonizer` adds an
alias table (a built-in one in ``name_aliases.yaml``, plus the user's) on top of it.

Multi-valued cells (``;``, ``；``, ``|``, newlines and commas) are split by :func:`split_names`, which keeps
"Pavilion Technologies, Inc." and "David Russell Williams, Jr." whole.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from typing import Literal

__all__ = [
    "NameHarmonizer",
    "PartyKind",
    "fold_text",
    "harmonize_name",
    "load_builtin_aliases",
    "party_kind",
    "split_names",
]

PartyKind = Literal["company", "university", "institute", "individual", "government", "hospital", "unknown"]

_WS_RE = re.compile(r"\s+")


def fold_text(text: str) -> str:
    """NFKC-fold (full-width → half-width, ㈱ → (株)), collapse whitespace runs to one space, strip."""
    return _WS_RE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


# ------------------------------------------------------------------------------------------- harmonisation

_CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\u1100-\u11ff\u3130-\u318f"
_CJK_SPACE_RE = re.compile(rf"(?<=[{_CJK}]) (?=[{_CJK}])")
_CJK_CHAR_RE = re.compile(rf"[{_CJK}]")
_HAN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_HANGUL_RE = re.compile(r"[\uac00-\ud7af]")
_AMP_RE = re.compile(r"\s+&\s+")
# "Searete Llc, A Limited Liability Corporation Of The State Of Delaware", "Buzzmetrics, Ltd An Israel Corporation"
_ENTITY_CLAUSE_RE = re.compile(
    r"[\s,]+(?:A|AN)\s+(?:[A-Z]+\s+){0,4}?(?:CORPORATION|COMPANY|CORPORATE|PARTNERSHIP)(?:\s+(?:OF|IN|UNDER)\s.*)?$"
)
_CO_RE = re.compile(r"^C\s*/\s*O\s+")  # "c/o Facebook, Inc."
_TRAILING_ACRONYM_RE = re.compile(r"^(?P<head>.*\S)\s*[(<]\s*(?P<acr>[A-Z]{2,8})\s*[)>]$")
_PUNCT_RE = re.compile(r"[^\w&+\s]|_")
_SINGLE_LETTERS_RE = re.compile(r"(?<![\w&])(?:[A-Z] ){1,}[A-Z](?![\w&])")

# Legal forms (already upper-cased and punctuation-free) removed from the end of a Latin name.
_LATIN_SUFFIXES: tuple[tuple[str, ...], ...] = tuple(
    tuple(s.split())
    for s in sorted(
        {
            "CO LTD",
            "CO LIMITED",
            "CO INC",
            "CO",
            "COMPANY",
            "COMPANY LIMITED",
            "LTD",
            "LIMITED",
            "INC",
            "INCORPORATED",
            "INCORP",
            "CORP",
            "CORPORATION",
            "LLC",
            "LLP",
            "LP",
            "PLC",
            "PUBLIC LIMITED COMPANY",
            "GMBH",
            "AG",
            "KG",
            "GMBH AND CO KG",
            "GMBH AND CO",
            "GMBH CO KG",
            "SE",
            "SA",
            "SPA",
            "SAS",
            "SARL",
            "SRL",
            "SL",
            "NV",
            "BV",
            "BVBA",
            "OY",
            "OYJ",
            "AB",
            "PUBL",
            "AS",
            "PTY",
            "PTY LTD",
            "PTE",
            "PTE LTD",
            "KK",
            "KABUSHIKI KAISHA",
            "AKTIENGESELLSCHAFT",
            "ULC",
            "UG",
            "SP ZOO",
            "SA DE CV",
            "DE CV",
            "SEC",
            "AND",
            "OHG",
            "EV",
            "APS",
            "ASA",
            "KGAA",
            "SCA",
            "CV",
            "PLLC",
            "PC",
        },
        key=lambda s: -len(s.split()),
    )
)
_LATIN_PREFIXES: tuple[tuple[str, ...], ...] = (("KABUSHIKI", "KAISHA"), ("THE",))
# CJK legal forms (and Katakana/Hangul/Cyrillic transliterations of Latin ones), removed at either end.
_CJK_FORMS: tuple[str, ...] = tuple(
    sorted(
        {
            "股份有限公司",
            "有限责任公司",
            "有限責任公司",
            "有限公司",
            "集团公司",
            "集團公司",
            "控股集团",
            "集团",
            "集團",
            "公司",
            "株式会社",
            "(株)",
            "有限会社",
            "(有)",
            "合同会社",
            "合資会社",
            "合名会社",
            "独立行政法人",
            "国立研究開発法人",
            "国立大学法人",
            "学校法人",
            "一般財団法人",
            "公益財団法人",
            "一般社団法人",
            "財団法人",
            "社団法人",
            "주식회사",
            "(주)",
            "유한회사",
            "(유)",
            "インコーポレイテッド",
            "インコーポレーテッド",
            "コーポレーション",
            "カンパニー",
            "リミテッド",
            "ゲーエムベーハー",
            "アクチエンゲゼルシャフト",
            "アクチェンゲゼルシャフト",
            "エルエルシー",
            "ナムローゼフェンノートシャップ",
            "코포레이션",
            "인코포레이티드",
            "컴퍼니",
            "리미티드",
            "КОРПОРЕЙШН",
            "ИНКОРПОРЕЙТЕД",
            "ЛИМИТЕД",
        },
        key=len,
        reverse=True,
    )
)
_LEGAL_ANYWHERE_RE = re.compile(r"(?:有限公司|有限责任公司|有限責任公司|株式会社|\(株\)|有限会社|주식회사|\(주\)|公司)")


def _initials_match(acronym: str, head: str) -> bool:
    """Whether ``acronym`` is built from the initial letters of ``head``'s words (in order, some skipped)."""
    initials = "".join(w[0] for w in head.split() if w[:1].isalpha())
    it = iter(initials)
    return len(acronym) >= 2 and all(ch in it for ch in acronym)


def _strip_forms(s: str) -> str:
    """Remove legal forms at both ends until nothing changes."""
    while True:
        before = s
        for form in _CJK_FORMS:
            if s.endswith(form) and len(s) > len(form):
                s = s[: -len(form)].rstrip()
            if s.startswith(form) and len(s) > len(form):
                s = s[len(form) :].lstrip()
        tokens = s.split()
        for suffix in _LATIN_SUFFIXES:
            n = len(suffix)
            if len(tokens) > n and tuple(tokens[-n:]) == suffix:
                tokens = tokens[:-n]
                break
        for prefix in _LATIN_PREFIXES:
            n = len(prefix)
            if len(tokens) > n and tuple(tokens[:n]) == prefix:
                tokens = tokens[n:]
        s = " ".join(tokens)
        if s == before:
            return s


def _normalise(text: str) -> str:
    """Fold, upper-case and normalise punctuation, without removing legal forms."""
    s = fold_text(text)
    if "&" in s and ";" in s:
        s = fold_text(html.unescape(s))
    s = unicodedata.normalize("NFKC", s.upper())
    s = _CO_RE.sub("", s)
    s = _ENTITY_CLAUSE_RE.sub("", s)
    s = s.replace("(株)", " 株式会社 ").replace("(주)", " 주식회사 ").replace("(有)", " 有限会社 ")
    s = s.replace("(유)", " 유한회사 ")
    m = _TRAILING_ACRONYM_RE.match(s)
    if m and _initials_match(m["acr"], _PUNCT_RE.sub(" ", m["head"])):
        s = m["head"]
    s = _AMP_RE.sub(" AND ", s)
    s = s.replace(".", "")  # "E.I." -> "EI", "Co." -> "CO", "A9.Com" -> "A9COM"
    s = _PUNCT_RE.sub(" ", s)
    s = _WS_RE.sub(" ", s).strip()
    s = _SINGLE_LETTERS_RE.sub(lambda m: m[0].replace(" ", ""), s)  # "U S PHILIPS" -> "US PHILIPS"
    return _CJK_SPACE_RE.sub("", s)  # "林 瑾" -> "林瑾", "マイクロソフト コーポレーション" -> one word


def _harmonize_once(name: str) -> str:
    base = _normalise(name)
    key = _strip_forms(base)
    if key:
        return key
    return base or fold_text(name)


@lru_cache(maxsize=262144)
def harmonize_name(name: str) -> str:
    """The grouping key of a party name: folded, upper-cased, punctuation normalised, legal forms removed.

    ``"Samsung Electronics Co., Ltd."`` → ``"SAMSUNG ELECTRONICS"``, ``"华为技术有限公司"`` → ``"华为技术"``,
    ``"株式会社東芝"`` → ``"東芝"``, ``"The Boeing Company"`` → ``"BOEING"``. A name that is nothing but a legal
    form keeps it (``"Ltd."`` → ``"LTD"``). Idempotent; never raises on a string.
    """
    if not isinstance(name, str):
        return ""
    key = _harmonize_once(name)
    for _ in range(4):  # reach a fixed point so harmonize_name(harmonize_name(x)) == harmonize_name(x)
        again = _harmonize_once(key)
        if again == key:
            break
        key = again
    return key


# -------------------------------------------------------------------------------------------- kind of party

_HOSPITAL_RE = re.compile(r"医院|醫院|病院|병원|HOSPITAL|KLINIKUM|\bCLINIC\b|HÔPITAL|HOPITAL|OSPEDALE")
_UNIVERSITY_RE = re.compile(
    r"大学|大學|大学校|학교|대학|산학협력단|UNIVERSIT|COLLEGE|HOCHSCHULE|INSTITUTE OF TECHNOLOGY|POLYTECHNI|"
    r"ECOLE|ÉCOLE|TECHNION|\bETH\b|REGENTS"
)
_ACADEMY_RE = re.compile(r"科学院|科學院|工程院|ACADEMY OF SCIENCES")
_COLLEGE_CJK_RE = re.compile(r"学院|學院")
_GOVERNMENT_RE = re.compile(
    r"UNITED STATES OF AMERICA|GOVERNMENT|MINISTRY|MINISTER\b|SECRETARY OF|HER MAJESTY|HIS MAJESTY|"
    r"DEPARTMENT OF|\bAGENCY\b|ADMINISTRATION|\bCOMMONWEALTH\b|BUNDESREPUBLIK|REPUBLIC|"
    r"委员会|委員会|政府|人民解放军|省厅|国家知识产权局|총국|부처|정부|省$|[局部厅處处]$"
)
_INSTITUTE_RE = re.compile(
    r"研究院|研究所|研究中心|研究センター|実験室|实验室|研究機構|機構|연구원|연구소|기술원|과학원|"
    r"INSTITUT|LABORATOR|NATIONAL LAB|RESEARCH COUNCIL|RESEARCH CENTER|RESEARCH CENTRE|FORSCHUNG"
)
# Public research organisations: institutes whatever legal form their name carries.
_PUBLIC_RESEARCH_RE = re.compile(
    r"FRAUNHOFER|\bCNRS\b|CENTRE NATIONAL DE LA RECHERCHE|MAX[\s-]PLANCK|\bCSIR\b|CSIRO|\bINRIA\b|\bINSERM\b|"
    r"COMMISSARIAT A L|\bTNO\b|COUNCIL OF SCIENTIFIC|BATTELLE|\bSRI INTERNATIONAL\b|HELMHOLTZ|LEIBNIZ|"
    r"ELECTRONICS AND TELECOMMUNICATIONS RESEARCH INSTITUTE|AGENCY FOR SCIENCE, TECHNOLOGY AND RESEARCH|"
    r"科学院|研究院$|研究所$|产业技术研究院|独立行政法人|国立研究開発法人"
)
_COMPANY_WORDS_RE = re.compile(
    r"\b(?:TECHNOLOG|SYSTEMS?\b|SOFTWARE|SOLUTIONS|SERVICES|ELECTRONICS|ELECTRIC\b|INDUSTR|HOLDINGS?\b|"
    r"GROUP\b|NETWORKS?\b|INTERNATIONAL\b|ENTERPRISES?\b|ANALYTICS|LABS?\b|DEVICES|MEDIA\b|PHARMA|"
    r"MOTORS?\b|BANK\b|CAPITAL\b|VENTURES|CONSULT|DIGITAL|COMMUNICATIONS|COMPUTER|DATA\b|ENERGY|"
    r"INSTRUMENTS|PRODUCTS|MANUFACTUR|ASSOCIATES|PARTNERS|TRUST\b|FOUNDATION|INTELLECTUAL PROPERTY|"
    r"LICENSING|PATENT|GLOBAL|AEROSPACE|AIRCRAFT|SCIENTIFIC|MEDICAL|HEALTH|BIO|GENOMICS|ROBOTICS|DYNAMICS|"
    r"AUTOMATION|SECURITY|SEMICONDUCTOR|TELECOM|TELEGRAPH|TELEPHONE|RESEARCH)"
)
_CJK_ORG_RE = re.compile(
    r"公司|会社|會社|株式|企业|企業|工厂|工場|工业|工業|科技|技术|技術|电子|電子|电气|電気|集团|中心|协会|協会|"
    r"基金|银行|銀行|事务所|事務所|商事|商会|控股|实业|股份|医药|製薬|センター|ラボ|회사|전자|그룹|재단|"
    r"[ァ-ヴ]{5,}"
)
_PERSON_TOKEN_RE = re.compile(r"^(?:[A-Z][A-Z'’\-]*[A-Z]|[A-Z]|(?:JR|SR|II|III|IV))\.?$")
_HAN_NAME_RE = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff]{2,4}$")
_HANGUL_NAME_RE = re.compile(r"^[\uac00-\ud7af]{2,4}$")
_JP_SPACED_NAME_RE = re.compile(r"^[\u3040-\u30ff\u4e00-\u9fff]{1,4} [\u3040-\u30ff\u4e00-\u9fff]{1,4}$")


@lru_cache(maxsize=65536)
def party_kind(name: str) -> PartyKind:
    """Classify a party name: company, university, institute, hospital, government, individual or unknown.

    Rules run in that order of strength: hospital words; university words; academies of sciences;
    government phrases ("United States of America as represented by", ministries, CJK names ending in
    局/部/委员会); public research organisations and institutes; a legal form (→ company); a personal-looking
    name (Latin "First Last" or "Last; First" with 2-4 tokens and no organisation words, 2-4 Han or Hangul
    characters) → individual; company words → company; else unknown.
    """
    if not isinstance(name, str):
        return "unknown"
    s = fold_text(name).upper()
    if not s:
        return "unknown"
    if _HOSPITAL_RE.search(s):
        return "hospital"
    if _ACADEMY_RE.search(s) and not _UNIVERSITY_RE.search(s):
        return "institute"
    if _UNIVERSITY_RE.search(s) or _COLLEGE_CJK_RE.search(s):
        return "university"
    if _PUBLIC_RESEARCH_RE.search(s):
        return "institute"
    normalised = _normalise(s).removeprefix("THE ")
    has_legal = _LEGAL_ANYWHERE_RE.search(s) is not None or _strip_forms(normalised) != normalised
    if _GOVERNMENT_RE.search(s) and not has_legal:
        return "government"
    if _INSTITUTE_RE.search(s) and not (has_legal and not re.search(r"研究所$|研究院$|INSTITUTE$", s)):
        return "institute"
    if has_legal:
        return "company"
    if _is_personal(s):
        return "individual"
    if _COMPANY_WORDS_RE.search(s) or _CJK_ORG_RE.search(s):
        return "company"
    return "unknown"


def _is_personal(s: str) -> bool:
    compact = s.replace(" ", "")
    if _HAN_RE.search(s) or _HANGUL_RE.search(s) or _CJK_CHAR_RE.search(s):
        if _CJK_ORG_RE.search(s):
            return False
        return bool(_HAN_NAME_RE.match(compact) or _HANGUL_NAME_RE.match(compact) or _JP_SPACED_NAME_RE.match(s))
    if _COMPANY_WORDS_RE.search(s) or "&" in s or re.search(r"\bAND\b|\bOF\b|\bTHE\b|\d", s):
        return False
    tokens = s.replace(";", " ").replace(",", " ").split()
    if not 2 <= len(tokens) <= 5:
        return False
    return all(_PERSON_TOKEN_RE.match(t) for t in tokens)


# ------------------------------------------------------------------------------------------------ splitting

_HARD_SEP_RE = re.compile(r"[;；|\n\r]+")
_COMMA_SPLIT_RE = re.compile(r"(\s*[,，]\s*)")
# What may follow a comma inside one name: a legal form, a generational suffix, an entity clause.
_PROTECTED_RE = re.compile(
    r"^(?:INC|INCORPORATED|LTD|LIMITED|LLC|L\.\s?L\.\s?C|LLP|L\.\s?L\.\s?P|L\.?\s?P|LP|PLC|P\.?C|PLLC|CO|CORP|"
    r"CORPORATION|COMPANY|N\.\s?V|NV|S\.\s?A|SA|S\.\s?P\.\s?A|SPA|SAS|S\.\s?L|SL|B\.\s?V|BV|GMBH|AG|KG|SE|OY|AB|"
    r"A/S|AS|PTY|PTE|KK|K\.\s?K|ULC|JR|SR|II|III|IV|ESQ|PH\.?\s?D|M\.?\s?D|"
    r"A\s+BODY\s+CORPORATE|AN?\s+(?:[A-Z]+\s+){0,4}(?:CORPORATION|COMPANY|PARTNERSHIP)(?:\s+(?:OF|IN|UNDER)\s.*)?)\b\.?"
    r"(?:\s*(?:\(PUBL\)|LTD\.?|INC\.?|LIMITED|KG))?\.?\s*$",
    re.IGNORECASE,
)
_THE_RE = re.compile(r"^THE\s", re.IGNORECASE)
_LATIN_CELL_RE = re.compile(r"^[\x00-\x7f\u00c0-\u024f]*$")
_INVERTED_RE = re.compile(r"^[^;]+;\s*[^;]+$")


def _split_commas(segment: str) -> list[str]:
    pieces = _COMMA_SPLIT_RE.split(segment)
    parts: list[str] = [pieces[0]]
    for i in range(1, len(pieces), 2):
        sep, nxt = pieces[i], pieces[i + 1]
        prev = parts[-1]
        glue = bool(_PROTECTED_RE.match(nxt.split(";")[0].strip()))
        if not glue and _THE_RE.match(nxt.strip()):
            head = prev.split()
            # "Rutgers, The State University ...", "Board Of Regents, The University Of Texas System"
            glue = 0 < len(head) <= 3 and not _PROTECTED_RE.match(head[-1]) and "," not in prev
        if glue:
            parts[-1] = prev + sep + nxt
        else:
            parts.append(nxt)
    return parts


def split_names(cell: str) -> list[str]:
    """Split a multi-valued name cell into names, in order, without empty parts.

    Separators: ``;`` ``；`` ``|`` line breaks, and commas (``,`` ``，``) except before a legal form or a
    generational suffix ("Pavilion Technologies, Inc.", "Samsung Electronics Co., Ltd.",
    "David Russell Williams, Jr."). USPTO "Last; First" lists ("Francone; Frank D., Nordin; Peter") come
    back as "First Last". Each name is whitespace-collapsed and stripped; characters are not otherwise
    changed (harmonisation is :func:`harmonize_name`'s job).
    """
    if not isinstance(cell, str) or not cell.strip():
        return []
    text = cell.strip()
    if ";" in text and "；" not in text and _LATIN_CELL_RE.match(text) and "\n" not in text and "|" not in text:
        persons = [p for p in _split_commas(text) if p.strip()]
        if persons and all(_INVERTED_RE.match(p) for p in persons):
            out = []
            for p in persons:
                last, _, first = p.partition(";")
                out.append(_WS_RE.sub(" ", f"{first.strip()} {last.strip()}").strip())
            return out
    names: list[str] = []
    for segment in _HARD_SEP_RE.split(text):
        for part in _split_commas(segment):
            part = _WS_RE.sub(" ", part).strip()
            if part:
                names.append(part)
    return names


# ------------------------------------------------------------------------------------------------- aliases


@lru_cache(maxsize=1)
def load_builtin_aliases() -> dict[str, str]:
    """The built-in alias table (``name_aliases.yaml``) as harmonised name → harmonised group key."""
    import yaml

    raw = yaml.safe_load(resources.files("patnav.ingest").joinpath("name_aliases.yaml").read_text("utf-8"))
    table: dict[str, str] = {}
    for group, variants in (raw or {}).get("groups", {}).items():
        key = harmonize_name(str(group))
        for variant in variants or []:
            table[harmonize_name(str(variant))] = key
    return table


class NameHarmonizer:
    """Groups spelling variants of one organisation: :func:`harmonize_name` plus alias tables.

    ``aliases`` maps a name (any spelling; it is harmonised on the way in) to a group key; it is applied on
    top of the built-in table in ``name_aliases.yaml`` (pass ``builtin=False`` to leave that out). A
    trailing acronym in brackets that matches the name's initials ("... De Lausanne (Epfl)") is dropped by
    :func:`harmonize_name` already; other acronyms (IBM) come from the alias tables.
    """

    def __init__(self, aliases: Mapping[str, str] | None = None, *, builtin: bool = True) -> None:
        table = dict(load_builtin_aliases()) if builtin else {}
        for variant, group in (aliases or {}).items():
            table[harmonize_name(variant)] = harmonize_name(group)
        # Resolve chains (A -> B, B -> C) once, so key() is one dictionary lookup.
        for variant in list(table):
            seen = {variant}
            target = table[variant]
            while target in table and table[target] != target and target not in seen:
                seen.add(target)
                target = table[target]
            table[variant] = target
        self._aliases = table
        self._cache: dict[str, str] = {}

    @property
    def aliases(self) -> Mapping[str, str]:
        """The resolved alias table (harmonised variant → group key)."""
        return self._aliases

    def key(self, name: str) -> str:
        """The group key of ``name``: harmonised, then mapped through the alias tables."""
        cached = self._cache.get(name)
        if cached is not None:
            return cached
        h = harmonize_name(name)
        result = self._aliases.get(h, h)
        if len(self._cache) < 500_000:
            self._cache[name] = result
        return result
