"""Technical effects and the technology–effect matrix (GB/T 39551.5: 技术功效矩阵 and white space).

A technology–effect matrix crosses *what* a set's inventions are (rows: IPC main groups, or any grouping the
caller supplies, e.g. topic clusters) with *what they achieve* (columns: effect categories such as accuracy,
cost, speed). Each cell counts the families that do both, with the phrases that say so; an empty cell in a row
that does state effects is the "white space" a navigation report points at.

Effects are read from the abstract (every language given) and the first claim, by a rule/lexicon method that
keeps the phrase as written as evidence (:func:`extract_effects`):

* a *change*: a trigger and an object of the lexicon within a short window, in either order ("improves the
  classification accuracy", "power consumption can be reduced", 提高了识别精度, 成本大大降低, 精度を向上させる,
  消費電力を低減), kept only when the direction suits the object: up + a good thing (accuracy), down + a bad
  thing (cost, errors), or a neutral trigger (improve, 改善); "increase the cost" is not an effect;
* a *property* phrase on its own ("high-speed", "low-cost", "robust", 低成本, 小型化, 高精度に), unless negated.

English triggers match by Snowball stem (one entry covers improve/improved/improvement), objects and
properties by exact words (so the neural-network "weights" are not "weight"); an object directly followed by a
word like "function" or "signal" is a computed quantity ("cost function", "error signal") and is skipped.
Chinese and Japanese are matched on characters after NFKC and Traditional → Simplified folding, with windows
in characters that never cross a clause's punctuation. The lexicon is a versioned YAML file
(``lexicons/effects-v1.yaml``: hand-made from patent-drafting conventions, ``verified: false``); a user may
pass their own file of the same layout.

Measured on the real PatentsView neural-network abstracts (``tests/test_analysis_effects.py``): 22.8 % of
the 3,522 abstracts state an effect by these rules; most describe structure and operation ("a neural network
comprising …") and name no advantage, which is why the matrix reports ``families_with_effect`` and leaves rows
that state nothing out of the white space. On 40 abstracts read by hand the category-level precision is
0.92–0.95 and the recall 0.85–0.95 (the first 20 were used while writing the lexicon, the second 20 only to
check it).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from patnav.analysis._sql import with_set
from patnav.analysis.patent_set import PatentSet, register_patent_set
from patnav.analysis.technology import classification_codes
from patnav.engine.base import Engine
from patnav.indicators.rules import Rule, RuleError, read_rule
from patnav.model.language import script_language

LEXICON_DIR = Path(__file__).with_name("lexicons")
DEFAULT_LEXICON = "effects-v1"

EffectRule = Literal["change", "property"]
Source = Literal["abstract", "claim"]
Polarity = Literal["up", "down", "any"]


@dataclass(frozen=True, slots=True)
class Effect:
    """One effect stated in a text: its ``category`` (a lexicon code), the ``phrase`` as written and where it
    is (``start``/``end`` offsets into the text), which ``rule`` found it (``change`` or ``property``) and the
    language rules applied (``en``, ``zh``, ``ja``)."""

    category: str
    phrase: str
    start: int
    end: int
    rule: EffectRule
    lang: str


@dataclass(frozen=True, slots=True)
class _Language:
    """One language's compiled lexicon (private: the YAML file is the public form)."""

    code: str
    window_after: int
    window_before: int
    triggers: Mapping[str, Polarity]  # English: stem → polarity; CJK: word → polarity
    objects: Mapping[str, tuple[str, bool]]  # phrase (words joined by " " for English) → (category, good)
    properties: Mapping[str, str]  # phrase → category
    blocked_next: frozenset[str]
    blocked_prev: frozenset[str]
    property_blocked_next: frozenset[str]  # a property directly followed by one is a name ("compact disk")
    negators: frozenset[str]
    forward_only: frozenset[str]  # trigger words that only ever precede their object ("greater speed")
    forward_only_window: int  # … within this many words, never across a comma or a conjunction
    longest: int  # English: the most words in an object or property
    first_words: frozenset[str]  # English: the first words of objects and properties (a fast pre-check)


@dataclass(frozen=True)
class Lexicon:
    """A loaded effect lexicon: its ``version``, a ``label`` for reports (``effects/effects-v1 (unverified)``),
    where it comes from, the ``categories`` in column order, and the compiled rules per language."""

    version: str
    label: str
    source: str
    verified: bool
    categories: tuple[str, ...]
    path: Path | None
    languages: Mapping[str, _Language]


# -- the lexicon ----------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=100_000)
def _stem(word: str) -> str:
    return str(_stemmer().stemWord(word))


def _en_words(phrase: str) -> str:
    """An English lexicon phrase as the space-joined lower-case words the matcher compares (hyphens ignored)."""
    return " ".join(_EN_WORD.findall(phrase.lower()))


def _compile_language(code: str, spec: Mapping[str, Any], categories: tuple[str, ...], path: Path | None) -> _Language:
    def words(values: Iterable[Any]) -> list[str]:
        return [str(v) for v in values or []]

    english = code == "en"
    triggers: dict[str, Polarity] = {}
    for polarity in ("up", "down", "any"):
        for word in words((spec.get("triggers") or {}).get(polarity)):
            key = _stem(word.lower()) if english else _fold(word, code)
            triggers[key] = polarity  # type: ignore[assignment]
    objects: dict[str, tuple[str, bool]] = {}
    properties: dict[str, str] = {}
    for category, entry in (spec.get("objects") or {}).items():
        if category not in categories:
            raise RuleError(f"{path}: object category {category!r} ({code}) is not among the categories")
        for good, key in ((True, "good"), (False, "bad")):
            for phrase in words((entry or {}).get(key)):
                objects[_en_words(phrase) if english else _fold(phrase, code)] = (str(category), good)
    for category, phrases in (spec.get("properties") or {}).items():
        if category not in categories:
            raise RuleError(f"{path}: property category {category!r} ({code}) is not among the categories")
        for phrase in words(phrases):
            properties[_en_words(phrase) if english else _fold(phrase, code)] = str(category)
    objects.pop("", None)
    properties.pop("", None)
    longest = max((len(k.split()) for k in (*objects, *properties)), default=1) if english else 0
    fold = (lambda w: w.lower()) if english else (lambda w: _fold(w, code))
    return _Language(
        code=code,
        window_after=int(spec.get("window_after", 5)),
        window_before=int(spec.get("window_before", 4)),
        triggers=triggers,
        objects=objects,
        properties=properties,
        blocked_next=frozenset(fold(w) for w in words(spec.get("blocked_next"))),
        blocked_prev=frozenset(fold(w) for w in words(spec.get("blocked_prev"))),
        property_blocked_next=frozenset(fold(w) for w in words(spec.get("property_blocked_next"))),
        negators=frozenset(fold(w) for w in words(spec.get("negators"))),
        forward_only=frozenset(fold(w) for w in words(spec.get("forward_only"))),
        forward_only_window=int(spec.get("forward_only_window", 2)),
        longest=longest,
        first_words=frozenset(k.split()[0] for k in (*objects, *properties)) if english else frozenset(),
    )


def load_lexicon(lexicon: str | Path | None = None) -> Lexicon:
    """The effect lexicon: a built-in version by name (default ``effects-v1``) or a YAML file of the same layout.

    The file is a rule file (:func:`patnav.indicators.rules.read_rule`: ``domain``, ``version``, ``source``,
    ``verified`` …) whose ``params`` hold ``categories`` and, per language code, ``triggers`` (``up``,
    ``down``, ``any``), ``objects`` (per category, ``good`` and ``bad`` things), ``properties``, the windows
    and the blocked words. Raises :class:`~patnav.indicators.rules.RuleError` naming the file when malformed.
    """
    return _load(str(lexicon) if lexicon is not None else DEFAULT_LEXICON)


@lru_cache(maxsize=8)
def _load(name: str) -> Lexicon:
    path = Path(name)
    if not path.suffix:
        path = LEXICON_DIR / f"{name}.yaml"
        if not path.is_file():
            known = ", ".join(sorted(p.stem for p in LEXICON_DIR.glob("*.yaml")))
            raise RuleError(f"no effect lexicon {name!r}; built-in: {known}")
    rule: Rule = read_rule(path)
    if rule.domain != "effects":
        raise RuleError(f"{path}: domain must be 'effects', not {rule.domain!r}")
    categories = tuple(str(c) for c in rule.param("categories"))
    languages = rule.param("languages")
    if not isinstance(languages, Mapping) or not languages:
        raise RuleError(f"{path}: params.languages must map language codes to their rules")
    compiled = {str(code): _compile_language(str(code), spec, categories, path) for code, spec in languages.items()}
    return Lexicon(rule.version, rule.label, rule.source, rule.verified, categories, path, compiled)


# -- matching -------------------------------------------------------------------------------------------------

#: English words (letters and digits; a hyphen or an apostrophe splits words, so "high-speed" is two words)
_EN_WORD = re.compile(r"[a-z0-9]+")
#: English tokens: words and the punctuation that matters (a hyphen, quote or apostrophe is not a token)
_EN_TOKEN = re.compile(r"[A-Za-z0-9]+|[.;:!?()\[\]{},]")
_EN_BREAK = frozenset(".;:!?()[]{}")
_EN_CONJUNCTIONS = frozenset({"and", "or", "but", "while", "whereas", "thereby", "which", "so"})
#: punctuation a Chinese or Japanese window never crosses (the enumeration comma 、 may be crossed: lists)
_CJK_BREAK = re.compile(r"[，。；：！？,.;:!?（）()「」『』【】\[\]\n]")


def _fold(text: str, lang: str) -> str:
    """NFKC and lower case; Chinese also Traditional → Simplified (only when the length stays, so offsets hold)."""
    t = unicodedata.normalize("NFKC", text).lower()
    if lang == "zh":
        from patnav.search.analysis import to_simplified

        s = to_simplified(t)
        if len(s) == len(t):
            t = s
    return t


def _accept(polarity: Polarity, good: bool) -> bool:
    return polarity == "any" or (polarity == "up") == good


@dataclass(slots=True)
class _Span:
    """A match in unit positions (words for English, characters otherwise) and in characters."""

    first: int
    last: int  # exclusive
    start: int
    end: int
    key: str
    word: str = ""


def _pair(
    rules: _Language,
    objects: list[_Span],
    triggers: list[_Span],
    gap: Any,
    prefer_before: bool,
) -> list[tuple[_Span, _Span]]:
    """Each object with a trigger whose direction suits it: the nearest trigger before the object (at most
    ``window_after`` units between) or the nearest after it (at most ``window_before``), the one on the
    ``prefer_before`` side tried first. ``gap(a, b, trigger_first)`` is the number of units between spans ``a``
    and ``b`` (``a`` first), or None when they cannot belong together (a clause break lies between them)."""
    out = []
    for obj in objects:
        _, good = rules.objects[obj.key]
        before = max((t for t in triggers if t.last <= obj.first), key=lambda t: t.last, default=None)
        after = min(
            (t for t in triggers if t.first >= obj.last and t.word not in rules.forward_only),
            key=lambda t: t.first,
            default=None,
        )
        sides = []
        if before is not None and (g := gap(before, obj, True)) is not None and g <= rules.window_after:
            sides.append(before)
        if after is not None and (g := gap(obj, after, False)) is not None and g <= rules.window_before:
            sides.append(after)
        if not prefer_before:
            sides.reverse()
        chosen = next((t for t in sides if _accept(rules.triggers[t.key], good)), None)
        if chosen is not None:
            out.append((obj, chosen))
    return out


def _en_effects(text: str, rules: _Language) -> list[Effect]:
    tokens = [(m.start(), m.end(), m.group()) for m in _EN_TOKEN.finditer(text)]
    words: list[tuple[int, int, str, int]] = []  # (start, end, lower-case word, clause)
    comma_before: list[bool] = []  # a comma directly before the word
    clause, comma = 0, False
    for start, end, tok in tokens:
        if tok in _EN_BREAK:
            clause += 1
        elif tok == ",":
            comma = True
        else:
            words.append((start, end, tok.lower(), clause))
            comma_before.append(comma)
            comma = False
    lower = [w[2] for w in words]

    def same_clause(a: int, b: int) -> bool:
        return words[a][3] == words[b][3]

    def phrase_at(i: int, table: Mapping[str, Any]) -> int:
        """Length (words) of the longest phrase of ``table`` starting at word ``i`` within one clause, or 0."""
        if lower[i] not in rules.first_words:
            return 0
        for n in range(min(rules.longest, len(words) - i), 0, -1):
            if same_clause(i, i + n - 1) and " ".join(lower[i : i + n]) in table:
                return n
        return 0

    # properties first: "low cost hardware" is one property, not the object "cost" waiting for a trigger
    found: list[Effect] = []
    in_property: set[int] = set()
    i = 0
    while i < len(words):
        n = phrase_at(i, rules.properties)
        if not n:
            i += 1
            continue
        after = i + n
        negated = i > 0 and same_clause(i - 1, i) and lower[i - 1] in rules.negators
        named = after < len(words) and same_clause(i, after) and lower[after] in rules.property_blocked_next
        if not negated and not named:
            start, end = words[i][0], words[after - 1][1]
            found.append(
                Effect(rules.properties[" ".join(lower[i:after])], text[start:end], start, end, "property", "en")
            )
        in_property.update(range(i, after))
        i = after

    objects: list[_Span] = []
    i = 0
    while i < len(words):
        n = phrase_at(i, rules.objects) if i not in in_property else 0
        if not n or any(k in in_property for k in range(i, i + n)):
            i += 1
            continue
        after = i + n
        blocked = (after < len(words) and same_clause(i, after) and lower[after] in rules.blocked_next) or (
            i > 0 and same_clause(i - 1, i) and lower[i - 1] in rules.blocked_prev
        )
        if not blocked:
            objects.append(_Span(i, after, words[i][0], words[after - 1][1], " ".join(lower[i:after])))
        i = after
    taken = in_property | {k for o in objects for k in range(o.first, o.last)}
    triggers = [
        _Span(k, k + 1, words[k][0], words[k][1], stem, lower[k])
        for k in range(len(words))
        if k not in taken and (stem := _stem(lower[k])) in rules.triggers
    ]

    def gap(a: _Span, b: _Span, trigger_first: bool) -> int | None:
        if not same_clause(a.first, b.last - 1):
            return None
        between = range(a.last, b.first)
        # ", and …", ", thereby …", ", but …" start a new clause in all but name
        if any(comma_before[k] and lower[k] in _EN_CONJUNCTIONS for k in between):
            return None
        if trigger_first:
            # "… is reduced and the cost …", "… is reduced, burdens …": the trigger closed its own phrase
            if between and (lower[a.last] in _EN_CONJUNCTIONS or comma_before[a.last]):
                return None
            # an adjective ("high", "lower") qualifies the noun right after it: "high degree of accuracy"
            if a.word in rules.forward_only and (
                len(between) > rules.forward_only_window
                or any(comma_before[k] or lower[k] in _EN_CONJUNCTIONS for k in (*between, b.first))
            ):
                return None
        elif b.first > a.last and lower[b.first - 1] in _EN_CONJUNCTIONS:
            return None  # "low performance and improve devices": the trigger opens a new, coordinated phrase
        return b.first - a.last

    for obj, trig in _pair(rules, objects, triggers, gap, prefer_before=True):
        start, end = min(obj.start, trig.start), max(obj.end, trig.end)
        found.append(Effect(rules.objects[obj.key][0], text[start:end], start, end, "change", "en"))
    return found


@lru_cache(maxsize=64)
def _alternation(words: frozenset[str]) -> re.Pattern[str] | None:
    if not words:
        return None
    return re.compile("|".join(re.escape(w) for w in sorted(words, key=lambda w: (-len(w), w))))


def _cjk_effects(text: str, rules: _Language) -> list[Effect]:
    folded = _fold(text, rules.code)
    source = text if len(folded) == len(text) else folded  # evidence as written whenever offsets hold

    def spans(table: Iterable[str]) -> list[_Span]:
        pattern = _alternation(frozenset(table))
        if pattern is None:
            return []
        return [_Span(m.start(), m.end(), m.start(), m.end(), m.group()) for m in pattern.finditer(folded)]

    def blocked(span: _Span) -> bool:
        nxt = any(folded.startswith(w, span.last) for w in rules.blocked_next)
        prv = any(folded.endswith(w, 0, span.first) for w in rules.blocked_prev)
        return nxt or prv

    def name(span: _Span) -> bool:
        return any(folded.startswith(w, span.last) for w in rules.property_blocked_next)

    objects = [o for o in spans(rules.objects) if not blocked(o)]
    triggers = [t for t in spans(rules.triggers) if not any(o.first < t.last and t.first < o.last for o in objects)]

    def gap(a: _Span, b: _Span, trigger_first: bool) -> int | None:
        between = folded[a.last : b.first]
        return None if _CJK_BREAK.search(between) else len(between)

    found: list[Effect] = []
    used: list[tuple[int, int]] = []
    for obj, trig in _pair(rules, objects, triggers, gap, prefer_before=rules.code != "ja"):
        start, end = min(obj.start, trig.start), max(obj.end, trig.end)
        found.append(Effect(rules.objects[obj.key][0], source[start:end], start, end, "change", rules.code))
        used.append((start, end))
    for prop in spans(rules.properties):
        if any(s < prop.end and prop.start < e for s, e in used):
            continue
        if any(folded.endswith(w, 0, prop.first) for w in rules.negators) or name(prop):
            continue
        found.append(
            Effect(
                rules.properties[prop.key], source[prop.start : prop.end], prop.start, prop.end, "property", rules.code
            )
        )
    return found


def extract_effects(text: str | None, lang: str | None = None, lexicon: Lexicon | None = None) -> tuple[Effect, ...]:
    """The effects stated in ``text``, in order of position (see the module docstring for the rules).

    ``lang`` is the text's declared language; when the lexicon has no rules for it (or none is given) the
    script decides (kana → Japanese, Han → Chinese, Latin → English). A language without rules yields nothing.
    """
    if not text or not text.strip():
        return ()
    lexicon = lexicon or load_lexicon()
    code = (lang or "").strip().lower().replace("_", "-").split("-")[0]
    if code not in lexicon.languages:
        code = script_language(text) or ""
    rules = lexicon.languages.get(code)
    if rules is None:
        return ()
    found = _en_effects(text, rules) if code == "en" else _cjk_effects(text, rules)
    return tuple(sorted(found, key=lambda e: (e.start, e.end, e.category)))


# -- the matrix -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Evidence:
    """A phrase that put a family in a cell: the ``publication_number`` and ``source`` (``abstract`` or
    ``claim``) it was read from, and the ``phrase`` as written."""

    publication_number: str
    source: Source
    phrase: str


@dataclass(frozen=True, slots=True)
class Cell:
    """One non-empty cell: the ``families`` with ``technology`` that state ``effect``, and up to
    ``evidence_per_cell`` phrases (by publication number, then position)."""

    technology: str
    effect: str
    families: int
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True, slots=True)
class AxisTotal:
    """A row or column of the matrix: its ``code``, the ``families`` in it, and how many of them state any
    effect at all (rows; for a column both are the families stating the effect)."""

    code: str
    families: int
    families_with_effect: int


@dataclass(frozen=True, slots=True)
class EffectMatrix:
    """The technology–effect matrix of a set.

    ``lexicon`` is the lexicon's label (printed next to the matrix); ``axis`` says what the rows are
    (``ipc_main_group`` or ``mapping``). ``documents``/``families`` of the set; ``documents_with_text`` have an
    abstract or a first claim; ``documents_with_effect``/``families_with_effect`` state at least one effect;
    ``families_without_technology`` state an effect but have no row (no IPC/CPC, or missing from the mapping).
    ``technologies`` are the rows (the ``top`` with most families stating an effect, then most families, then
    code), ``effects`` the columns (every category of the lexicon, in its order); ``cells`` the non-empty cells
    (row order, then column order); ``white_space`` the empty cells of rows in which some family states an
    effect: a row where no family states any effect says nothing about gaps, so its cells are not white space.
    """

    lexicon: str
    axis: Literal["ipc_main_group", "mapping"]
    documents: int
    families: int
    documents_with_text: int
    documents_with_effect: int
    families_with_effect: int
    families_without_technology: int
    technologies: tuple[AxisTotal, ...]
    effects: tuple[AxisTotal, ...]
    cells: tuple[Cell, ...]
    white_space: tuple[tuple[str, str], ...]

    def cell(self, technology: str, effect: str) -> Cell | None:
        """The cell at (``technology``, ``effect``), or None when it is empty or not in the matrix."""
        for c in self.cells:
            if c.technology == technology and c.effect == effect:
                return c
        return None


_TEXTS = """
        SELECT p.publication_number, p.fam, x.abstract, x.abstract_lang, x.abstracts, x.claims, x.claims_lang
        FROM pubs p JOIN publications x ON x.publication_number = p.publication_number"""


def _texts(
    abstract: str | None, abstract_lang: str | None, abstracts: Any, claims: Any, claims_lang: str | None
) -> list[tuple[Source, str, str | None]]:
    """(source, text, language) of a publication: every abstract (each language once), then the first claim."""
    out: list[tuple[Source, str, str | None]] = []
    seen: set[str] = set()
    for item in abstracts or []:
        text = (item or {}).get("text")
        if text and text.strip() and text not in seen:
            seen.add(text)
            out.append(("abstract", text, item.get("lang")))
    if abstract and abstract.strip() and abstract not in seen:
        out.append(("abstract", abstract, abstract_lang))
    numbered = [
        (c.get("number") is None, c.get("number") or 0, i, c.get("text")) for i, c in enumerate(claims or []) if c
    ]
    if numbered:
        first = min(numbered)[3]  # claim 1 (the lowest number; the first listed when unnumbered)
        if first and first.strip():
            out.append(("claim", first, claims_lang))
    return out


def effect_matrix(
    engine: Engine,
    patent_set: PatentSet | None = None,
    *,
    technologies: Mapping[str, str | Iterable[str]] | None = None,
    lexicon: Lexicon | str | Path | None = None,
    top: int = 20,
    evidence_per_cell: int = 3,
    use_claims: bool = True,
) -> EffectMatrix:
    """The technology–effect matrix of ``patent_set`` (default: the whole corpus); see :class:`EffectMatrix`.

    Rows are IPC main groups (CPC standing in for a publication without IPC), or ``technologies``: a mapping
    from publication number to one label or several (cluster ids, technology branches of a project); a
    family's technologies and effects are those of its members in the set. ``lexicon`` is a loaded lexicon, a
    built-in version or a file (default ``effects-v1``); ``use_claims`` also reads each first claim.
    """
    if top < 0 or evidence_per_cell < 0:
        raise ValueError("top and evidence_per_cell must be ≥ 0")
    lex = lexicon if isinstance(lexicon, Lexicon) else load_lexicon(lexicon)
    table = register_patent_set(engine, patent_set)
    rows = engine.rows(with_set(table) + _TEXTS)

    family_of: dict[str, str] = {}
    # family → category → (publication, source order, position, evidence): sorted, the evidence order is stable
    fam_effects: dict[str, dict[str, list[tuple[str, int, int, Evidence]]]] = defaultdict(lambda: defaultdict(list))
    with_text = with_effect = 0
    for number, fam, abstract, abstract_lang, abstracts, claims, claims_lang in rows:
        number, fam = str(number), str(fam)
        family_of[number] = fam
        texts = _texts(abstract, abstract_lang, abstracts, claims if use_claims else None, claims_lang)
        if texts:
            with_text += 1
        stated = False
        for source, text, lang in texts:
            for effect in extract_effects(text, lang, lex):
                stated = True
                order = 0 if source == "abstract" else 1
                evidence = Evidence(number, source, effect.phrase)
                fam_effects[fam][effect.category].append((number, order, effect.start, evidence))
        with_effect += stated

    if technologies is None:
        axis: Literal["ipc_main_group", "mapping"] = "ipc_main_group"
        per_doc: Mapping[str, tuple[str, ...]] = classification_codes(engine, patent_set, level="main_group")
    else:
        axis = "mapping"
        per_doc = {k: (v,) if isinstance(v, str) else tuple(v) for k, v in technologies.items()}
    fam_techs: dict[str, set[str]] = defaultdict(set)
    for number, fam in family_of.items():
        fam_techs[fam].update(per_doc.get(number, ()))

    row_families: dict[str, set[str]] = defaultdict(set)
    for fam, techs in fam_techs.items():
        for t in techs:
            row_families[t].add(fam)
    totals = [AxisTotal(t, len(f), sum(1 for x in f if x in fam_effects)) for t, f in row_families.items()]
    totals.sort(key=lambda r: (-r.families_with_effect, -r.families, r.code))
    rows_out = tuple(totals[:top])
    stating = {c: sum(1 for f in fam_effects.values() if c in f) for c in lex.categories}
    columns = tuple(AxisTotal(c, stating[c], stating[c]) for c in lex.categories)
    cells: list[Cell] = []
    white: list[tuple[str, str]] = []
    for row in rows_out:
        for category in lex.categories:
            fams = sorted(f for f in row_families[row.code] if category in fam_effects.get(f, {}))
            if fams:
                found = sorted(e for f in fams for e in fam_effects[f][category])
                evidence = tuple(dict.fromkeys(e for *_, e in found))[:evidence_per_cell]
                cells.append(Cell(row.code, category, len(fams), evidence))
            elif row.families_with_effect:
                white.append((row.code, category))
    families = set(family_of.values())
    return EffectMatrix(
        lexicon=lex.label,
        axis=axis,
        documents=len(family_of),
        families=len(families),
        documents_with_text=with_text,
        documents_with_effect=with_effect,
        families_with_effect=len(fam_effects),
        families_without_technology=sum(1 for f in fam_effects if not fam_techs.get(f)),
        technologies=rows_out,
        effects=columns,
        cells=tuple(cells),
        white_space=tuple(white),
    )
