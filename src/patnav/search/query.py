"""The search language patent searchers know from Espacenet and CNIPA, parsed to a small typed AST.

Grammar (operators upper case; a bare term searches title + abstract + claims, ``tac``)::

    query    := or EOF
    or       := and (("OR" | "||" | "或") and)*
    and      := unary ((("AND" | "&&" | "与")? unary)*          -- juxtaposition is AND
    unary    := ("NOT" | "!" | "非" | "-") unary | primary
    primary  := "(" or ")" | FIELD ":" value | term | phrase
    value    := "(" or ")"          -- a field group: every term inside gets the field (ti:(neural network))
              | phrase | term | range | (">=" | ">" | "<=" | "<") date
    phrase   := '"' text '"' ("~" N)?                     -- "~N": proximity, N words apart at most
    range    := ("[" | "{") (date | "*") "TO" (date | "*") ("]" | "}")

Fields: ``ti ab cl desc tac`` (text), ``pa`` (applicant, as written and harmonised), ``in`` (inventor),
``ipc``/``cpc`` (prefix match: ``ipc:G06N3`` finds G06N 3/08), ``pn`` (any written form of a publication
number), ``pd ad prd gd`` (publication / application / priority / grant date: ``pd:2015``, ``pd:[2005 TO 2012]``,
``pd:[20050101 TO 20121231]``, ``pd>=2015``), ``cc`` (country), ``kind``, ``status``, ``type`` (document type).
Terms may hold wildcards (``neur*``, ``colo?r``). Full-width punctuation (``ti：（神经网络）``) is read as its
ASCII form. Errors raise :class:`QuerySyntaxError` with the 0-based column where the query went wrong.

The AST never becomes text for a store: :mod:`patnav.search.text_index` compiles it to tantivy query objects,
and :class:`Filters` evaluates the structured part in Python for the vector side.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from patnav.model.numbers import PatentNumberError, normalize_publication_number

__all__ = [
    "DATE_FIELDS",
    "FIELD_ALIASES",
    "FILTER_FIELDS",
    "TEXT_FIELDS",
    "And",
    "Compare",
    "Filters",
    "MatchTerm",
    "Not",
    "Or",
    "Phrase",
    "Query",
    "QuerySyntaxError",
    "Range",
    "Term",
    "class_prefixes",
    "date_bounds",
    "filters_of",
    "normalize_class_symbol",
    "normalize_doc_type",
    "parse_query",
    "split_query",
    "terms_of",
    "to_text",
]

# ----------------------------------------------------------------------------------------------------- AST


@dataclass(frozen=True, slots=True)
class Term:
    """One word in a field (``None``: the default field, title + abstract + claims). May hold ``*``/``?``."""

    field: str | None
    text: str

    @property
    def is_wildcard(self) -> bool:
        return "*" in self.text or "?" in self.text


@dataclass(frozen=True, slots=True)
class Phrase:
    """Words in order; ``slop`` > 0 allows that many positions of play (``"neural network"~5``)."""

    field: str | None
    text: str
    slop: int = 0


@dataclass(frozen=True, slots=True)
class Range:
    """A date range as written (``None`` bound: open); bounds are inclusive unless ``{}`` was used."""

    field: str
    low: str | None
    high: str | None
    include_low: bool = True
    include_high: bool = True


@dataclass(frozen=True, slots=True)
class Compare:
    """``pd>=2015``: a one-sided date range."""

    field: str
    op: str
    value: str


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Query, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Query, ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: Query


Query = Term | Phrase | Range | Compare | And | Or | Not

TEXT_FIELDS: frozenset[str] = frozenset({"ti", "ab", "cl", "desc", "tac"})
DATE_FIELDS: frozenset[str] = frozenset({"pd", "ad", "prd", "gd"})
#: Fields whose clauses are structured filters (applied the same way by the text and the vector side).
FILTER_FIELDS: frozenset[str] = frozenset(
    {"pa", "in", "ipc", "cpc", "pn", "cc", "kind", "status", "type"} | DATE_FIELDS
)
ALL_FIELDS: frozenset[str] = TEXT_FIELDS | FILTER_FIELDS

#: Accepted spellings of field names (case-insensitive) → canonical name.
FIELD_ALIASES: dict[str, str] = {name: name for name in ALL_FIELDS} | {
    "title": "ti",
    "abstract": "ab",
    "claims": "cl",
    "claim": "cl",
    "description": "desc",
    "txt": "tac",
    "ap": "pa",
    "applicant": "pa",
    "assignee": "pa",
    "inventor": "in",
    "pr": "prd",
    "country": "cc",
    "kd": "kind",
    "doctype": "type",
}

_OPERATORS = {"AND": "AND", "&&": "AND", "与": "AND", "OR": "OR", "||": "OR", "或": "OR", "NOT": "NOT", "非": "NOT"}
_CMP_OPS = (">=", "<=", ">", "<")

# ------------------------------------------------------------------------------------------------- errors


class QuerySyntaxError(ValueError):
    """A query that cannot be read; ``position`` is the 0-based column where it went wrong.

    ``str(error)`` shows the message, then the query with a caret under that column.
    """

    def __init__(self, message: str, position: int, query: str = "") -> None:
        self.message = message
        self.position = position
        self.query = query
        super().__init__(self.render())

    def render(self) -> str:
        if not self.query:
            return f"{self.message} (at column {self.position + 1})"
        one_line = self.query.replace("\n", " ").replace("\t", " ")
        # East Asian wide characters take two columns in a terminal: pad the caret accordingly.
        pad = sum(2 if _is_wide(c) else 1 for c in one_line[: self.position])
        return f"{self.message} (at column {self.position + 1})\n  {one_line}\n  {' ' * pad}^"


def _is_wide(c: str) -> bool:
    import unicodedata

    return unicodedata.east_asian_width(c) in ("W", "F")


# ------------------------------------------------------------------------------------------------- lexing

# Full-width and CJK punctuation read as ASCII; one character for one, so error columns stay right.
_FULLWIDTH = {chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)} | {
    "\u3000": " ",
    "\u201c": '"',
    "\u201d": '"',
    "\u300c": '"',
    "\u300d": '"',
}
_FOLD_TABLE = str.maketrans(_FULLWIDTH)
_SPECIAL = set('()"[]{}:<>=')
_RANGE_BODY_RE = re.compile(r"\s*(?P<low>\S+)\s+TO\s+(?P<high>\S+)\s*", re.I)


@dataclass(slots=True)
class _Tok:
    kind: str  # LP RP AND OR NOT FIELD WORD PHRASE RANGE CMP EOF
    pos: int
    text: str = ""
    slop: int = 0
    low: str | None = None
    high: str | None = None
    include_low: bool = True
    include_high: bool = True
    end: int = 0


def _lex(raw: str, q: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(q)

    def err(msg: str, pos: int) -> QuerySyntaxError:
        return QuerySyntaxError(msg, pos, raw)

    while i < n:
        c = q[i]
        if c.isspace():
            i += 1
            continue
        if c == "(":
            toks.append(_Tok("LP", i, end=i + 1))
            i += 1
        elif c == ")":
            toks.append(_Tok("RP", i, end=i + 1))
            i += 1
        elif c == '"':
            start = i
            i += 1
            buf: list[str] = []
            while i < n and q[i] != '"':
                if q[i] == "\\" and i + 1 < n:
                    i += 1
                buf.append(q[i])
                i += 1
            if i >= n:
                raise err("unclosed quote: a phrase needs a closing '\"'", start)
            i += 1
            text = "".join(buf)
            if not text.strip():
                raise err("empty phrase", start)
            slop = 0
            if i < n and q[i] == "~":
                j = i + 1
                while j < n and q[j] in "0123456789":
                    j += 1
                if j == i + 1:
                    raise err("'~' after a phrase needs a number of words, e.g. \"neural network\"~5", i)
                slop = int(q[i + 1 : j])
                if slop > 1000:
                    raise err("proximity above 1000 words", i)
                i = j
            toks.append(_Tok("PHRASE", start, text=text, slop=slop, end=i))
        elif c in "[{":
            start = i
            close = "]" if c == "[" else "}"
            j = i + 1
            while j < n and q[j] not in "]}":
                j += 1
            if j >= n:
                raise err(f"unclosed range: expected '{close}'", start)
            m = _RANGE_BODY_RE.fullmatch(q, i + 1, j)
            if m is None:
                raise err("a range is written [low TO high], e.g. pd:[2005 TO 2012]", i + 1)
            low, high = (None if p == "*" else p for p in (m["low"], m["high"]))
            toks.append(
                _Tok(
                    "RANGE",
                    start,
                    low=low,
                    high=high,
                    include_low=c == "[",
                    include_high=q[j] == "]",
                    end=j + 1,
                    slop=m.start("high"),
                    text=str(m.start("low")),
                )
            )
            i = j + 1
        elif q.startswith("&&", i) or q.startswith("||", i):
            toks.append(_Tok(_OPERATORS[q[i : i + 2]], i, end=i + 2))
            i += 2
        elif c == "!" and i + 1 < n and not q[i + 1].isspace():
            toks.append(_Tok("NOT", i, end=i + 1))
            i += 1
        elif c in "<>":
            op = q[i : i + 2] if q.startswith((">=", "<="), i) else c
            toks.append(_Tok("CMP", i, text=op, end=i + len(op)))
            i += len(op)
        elif c in ":=]}":
            raise err(f"unexpected '{c}'", i)
        elif c in "-+" and i + 1 < n and not q[i + 1].isspace() and q[i + 1] not in ")":
            if c == "-":
                toks.append(_Tok("NOT", i, end=i + 1))
            i += 1  # '+' (required) is the default already
        else:
            start = i
            while i < n and not q[i].isspace() and q[i] not in _SPECIAL:
                i += 1
            word = q[start:i]
            if i < n and q[i] in ":=<>":
                name = FIELD_ALIASES.get(word.lower())
                if name is None:
                    known = " ".join(sorted(ALL_FIELDS))
                    raise err(f"unknown field '{word}' (fields: {known})", start)
                if q[i] in ":=":
                    i += 1
                toks.append(_Tok("FIELD", start, text=name, end=i))
            elif word in _OPERATORS:
                toks.append(_Tok(_OPERATORS[word], start, text=word, end=i))
            else:
                toks.append(_Tok("WORD", start, text=word, end=i))
    toks.append(_Tok("EOF", n, end=n))
    return toks


# ------------------------------------------------------------------------------------------------ parsing

_STARTS_UNARY = {"LP", "FIELD", "WORD", "PHRASE", "NOT", "RANGE", "CMP"}


class _Parser:
    def __init__(self, raw: str) -> None:
        self.raw = raw
        self.toks = _lex(raw, raw.translate(_FOLD_TABLE))
        self.i = 0

    def err(self, msg: str, pos: int) -> QuerySyntaxError:
        return QuerySyntaxError(msg, pos, self.raw)

    @property
    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        t = self.toks[self.i]
        self.i += 1
        return t

    def parse(self) -> Query:
        if self.peek.kind == "EOF":
            raise self.err("empty query", 0)
        q = self.parse_or(None)
        t = self.peek
        if t.kind == "RP":
            raise self.err("unbalanced ')': no '(' opens it", t.pos)
        if t.kind != "EOF":  # pragma: no cover - every other token starts a unary or an operator
            raise self.err(f"unexpected '{self.raw[t.pos : t.end]}'", t.pos)
        return q

    def parse_or(self, df: str | None) -> Query:
        items = [self.parse_and(df)]
        while self.peek.kind == "OR":
            op = self.take()
            self.expect_operand(op)
            items.append(self.parse_and(df))
        return items[0] if len(items) == 1 else Or(tuple(items))

    def parse_and(self, df: str | None) -> Query:
        items = [self.parse_unary(df)]
        while True:
            t = self.peek
            if t.kind == "AND":
                self.take()
                self.expect_operand(t)
                items.append(self.parse_unary(df))
            elif t.kind in _STARTS_UNARY:
                items.append(self.parse_unary(df))
            else:
                break
        return items[0] if len(items) == 1 else And(tuple(items))

    def expect_operand(self, op: _Tok) -> None:
        t = self.peek
        name = self.raw[op.pos : op.end]
        if t.kind == "EOF":
            raise self.err(f"'{name}' needs a term after it", t.pos)
        if t.kind in ("AND", "OR", "RP"):
            raise self.err(f"'{name}' needs a term after it, found '{self.raw[t.pos : t.end]}'", t.pos)

    def parse_unary(self, df: str | None) -> Query:
        t = self.peek
        if t.kind == "NOT":
            self.take()
            self.expect_operand(t)
            return Not(self.parse_unary(df))
        return self.parse_primary(df)

    def parse_primary(self, df: str | None) -> Query:
        t = self.take()
        if t.kind == "LP":
            q = self.parse_or(df)
            self.close(t)
            return q
        if t.kind == "FIELD":
            return self.parse_value(t.text, t)
        if t.kind == "WORD":
            return self.make_term(df, t)
        if t.kind == "PHRASE":
            return self.make_phrase(df, t)
        if t.kind in ("RANGE", "CMP"):
            if df in DATE_FIELDS:
                return self.parse_value(df, t, inherited=True)
            raise self.err("a range needs a date field before it, e.g. pd:[2005 TO 2012] or pd>=2015", t.pos)
        if t.kind == "EOF":
            raise self.err("the query ends where a term was expected", t.pos)
        if t.kind == "RP":
            raise self.err("unexpected ')': a term was expected", t.pos)
        raise self.err(f"'{self.raw[t.pos : t.end]}' needs a term before it", t.pos)

    def close(self, lp: _Tok) -> None:
        t = self.peek
        if t.kind != "RP":
            raise self.err(f"missing ')' to close the '(' at column {lp.pos + 1}", t.pos)
        self.take()

    def parse_value(self, name: str, ftok: _Tok, *, inherited: bool = False) -> Query:
        t = ftok if inherited else self.take()
        if t.kind == "LP":
            q = self.parse_or(name)
            self.close(t)
            return q
        if t.kind == "WORD":
            return self.make_term(name, t)
        if t.kind == "PHRASE":
            return self.make_phrase(name, t)
        if t.kind == "RANGE":
            if name not in DATE_FIELDS:
                raise self.err(f"{name}: takes no range; ranges are for dates (pd ad prd gd)", t.pos)
            for bound, pos in ((t.low, int(t.text)), (t.high, t.slop)):
                if bound is not None:
                    self.check_date(bound, pos)
            return Range(name, t.low, t.high, t.include_low, t.include_high)
        if t.kind == "CMP":
            if name not in DATE_FIELDS:
                raise self.err(f"{name}: takes no comparison; comparisons are for dates (pd ad prd gd)", t.pos)
            v = self.take()
            if v.kind != "WORD":
                raise self.err(f"'{t.text}' needs a date after it, e.g. pd{t.text}2015", v.pos)
            self.check_date(v.text, v.pos)
            return Compare(name, t.text, v.text)
        raise self.err(f"'{name}:' needs a value after it", t.pos)

    def check_date(self, text: str, pos: int) -> None:
        try:
            date_bounds(text)
        except ValueError as exc:
            raise self.err(str(exc), pos) from None

    def make_term(self, name: str | None, t: _Tok) -> Term:
        text = t.text
        if text.strip("*?") == "":
            raise self.err("a wildcard needs at least one character, e.g. neur*", t.pos)
        if name in DATE_FIELDS:
            self.check_date(text, t.pos)
        elif name in ("ipc", "cpc"):
            if normalize_class_symbol(text.rstrip("*?")) is None:
                raise self.err(f"{text!r} is not an IPC/CPC symbol or prefix (e.g. G06N, G06N3, G06N3/08)", t.pos)
        elif name == "pn":
            try:
                normalize_publication_number(text)
            except PatentNumberError as exc:
                raise self.err(f"pn: {exc.reason}", t.pos) from None
        elif name == "cc":
            if not re.fullmatch(r"[A-Za-z]{2}", text):
                raise self.err("cc: takes a 2-letter office code (CN, US, EP, WO, JP …)", t.pos)
        elif name == "kind":
            if not re.fullmatch(r"[A-Za-z]\d?", text):
                raise self.err("kind: takes a kind code: a letter and an optional digit (A, B1, U)", t.pos)
        elif name == "type" and normalize_doc_type(text) is None:
            raise self.err(f"type: unknown document type {text!r} (invention, utility_model, design, plant)", t.pos)
        return Term(name, text)

    def make_phrase(self, name: str | None, t: _Tok) -> Phrase:
        if name in DATE_FIELDS:
            raise self.err(f"{name}: takes a date, not a phrase", t.pos)
        if name in ("ipc", "cpc") and normalize_class_symbol(t.text) is None:
            raise self.err(f'{t.text!r} is not an IPC/CPC symbol (e.g. "G06N 3/08")', t.pos)
        if name == "pn":
            try:
                normalize_publication_number(t.text)
            except PatentNumberError as exc:
                raise self.err(f"pn: {exc.reason}", t.pos) from None
        return Phrase(name, t.text, t.slop)


def parse_query(text: str) -> Query:
    """Parse a search query to its AST; raises :class:`QuerySyntaxError` (and nothing else) on bad input."""
    if not isinstance(text, str):
        raise QuerySyntaxError("a query is a string", 0)
    if len(text) > 10_000:
        raise QuerySyntaxError("query longer than 10,000 characters", 10_000, text[:200])
    parser = _Parser(text)
    try:
        return parser.parse()
    except RecursionError:
        raise QuerySyntaxError("query nested too deeply", 0, text) from None


# ----------------------------------------------------------------------------------------------- printing


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_text(q: Query) -> str:
    """The query written back in the language; ``parse_query(to_text(q)) == q`` for every parsed query."""
    if isinstance(q, Term):
        return f"{q.field}:{q.text}" if q.field else q.text
    if isinstance(q, Phrase):
        body = _quote(q.text) + (f"~{q.slop}" if q.slop else "")
        return f"{q.field}:{body}" if q.field else body
    if isinstance(q, Range):
        lo = "[" if q.include_low else "{"
        hi = "]" if q.include_high else "}"
        return f"{q.field}:{lo}{q.low or '*'} TO {q.high or '*'}{hi}"
    if isinstance(q, Compare):
        return f"{q.field}{q.op}{q.value}"
    if isinstance(q, Not):
        return "NOT " + _wrap(q.item)
    if isinstance(q, And):
        return " AND ".join(_wrap(i) for i in q.items)
    if isinstance(q, Or):
        return " OR ".join(_wrap(i) for i in q.items)
    raise TypeError(f"not a query node: {q!r}")


def _wrap(q: Query) -> str:
    return f"({to_text(q)})" if isinstance(q, And | Or) else to_text(q)


# ------------------------------------------------------------------------------------ values of the fields

_DATE_RE = re.compile(r"^(\d{4})(?:[-./]?(\d{2})(?:[-./]?(\d{2}))?)?$")


def date_bounds(text: str) -> tuple[int, int]:
    """The first and last day a written date covers, as yyyymmdd integers.

    ``2015`` → (20150101, 20151231); ``201503`` / ``2015-03`` → the month; ``20150315`` / ``2015-03-15`` → the day.
    Raises ValueError with a readable reason.
    """
    m = _DATE_RE.match(text.strip())
    if not m:
        raise ValueError(f"{text!r} is not a date: write 2015, 201503, 20150315 or 2015-03-15")
    y, mo, d = int(m[1]), m[2], m[3]
    try:
        if mo is None:
            first, last = dt.date(y, 1, 1), dt.date(y, 12, 31)
        elif d is None:
            first = dt.date(y, int(mo), 1)
            nxt = dt.date(y + (first.month == 12), first.month % 12 + 1, 1)
            last = nxt - dt.timedelta(days=1)
        else:
            first = last = dt.date(y, int(mo), int(d))
    except ValueError:
        raise ValueError(f"{text!r} is not a valid date") from None
    if y < 1700:
        raise ValueError(f"{text!r}: year before 1700")
    return _ymd(first), _ymd(last)


def _ymd(d: dt.date) -> int:
    return d.year * 10000 + d.month * 100 + d.day


def _shift(ymd: int, days: int) -> int:
    try:
        d = dt.date(ymd // 10000, ymd // 100 % 100, ymd % 100) + dt.timedelta(days=days)
    except OverflowError:
        return ymd
    return _ymd(d)


def date_interval(q: Term | Range | Compare) -> tuple[int | None, int | None]:
    """The inclusive yyyymmdd interval a date clause covers (``None``: open on that side)."""
    if isinstance(q, Term):
        return date_bounds(q.text)
    if isinstance(q, Range):
        lo = hi = None
        if q.low is not None:
            a, b = date_bounds(q.low)
            lo = a if q.include_low else _shift(b, 1)
        if q.high is not None:
            a, b = date_bounds(q.high)
            hi = b if q.include_high else _shift(a, -1)
        return lo, hi
    a, b = date_bounds(q.value)
    return {
        ">=": (a, None),
        ">": (_shift(b, 1), None),
        "<=": (None, b),
        "<": (None, _shift(a, -1)),
    }[q.op]


_CLASS_RE = re.compile(r"^([A-HY])(?:(\d{2})(?:([A-Z])(?:(\d{1,4})(?:/(\d{1,6}))?)?)?)?$")
_CLASS_LONG_RE = re.compile(r"^([A-HY]\d{2}[A-Z])(\d{4})(\d{6})$")


def normalize_class_symbol(text: str) -> str | None:
    """An IPC/CPC symbol or prefix in compact form: ``"G06N 3/08"`` → ``"G06N3/08"``, ``"g06n"`` → ``"G06N"``.

    The 14-character long form (``G06N0003080000``) and leading zeros of the main group are read too.
    ``None`` when the text is not a symbol.
    """
    s = re.sub(r"[\s\-]+", "", text.upper())
    long = _CLASS_LONG_RE.match(s)
    if long:
        sub = long[3].rstrip("0")
        s = f"{long[1]}{int(long[2])}/{sub.ljust(2, '0')}"
    m = _CLASS_RE.match(s)
    if not m:
        return None
    out = m[1] + (m[2] or "") + (m[3] or "")
    if m[4] is not None:
        out += str(int(m[4]))
        if m[5] is not None:
            out += "/" + m[5]
    return out


def class_prefixes(symbol: str) -> list[str]:
    """Every hierarchical prefix of a symbol: ``G06N 3/08`` → ``G, G06, G06N, G06N3, G06N3/08``."""
    s = normalize_class_symbol(symbol)
    if s is None:
        return []
    out = [s[0]]
    if len(s) >= 3:
        out.append(s[:3])
    if len(s) >= 4:
        out.append(s[:4])
    if len(s) > 4:
        group = s.split("/")[0]
        out.append(group)
        if "/" in s:
            out.append(s)
    return out


_DOC_TYPES = {
    "invention": "invention",
    "patent": "invention",
    "发明": "invention",
    "發明": "invention",
    "utility_model": "utility_model",
    "utility": "utility_model",
    "utilitymodel": "utility_model",
    "实用新型": "utility_model",
    "實用新型": "utility_model",
    "実用新案": "utility_model",
    "design": "design",
    "外观设计": "design",
    "外觀設計": "design",
    "意匠": "design",
    "plant": "plant",
    "other": "other",
}


def normalize_doc_type(text: str) -> str | None:
    """``utility`` / ``实用新型`` → ``utility_model`` …; ``None`` for an unknown type."""
    return _DOC_TYPES.get(text.strip().lower().replace("-", "_"))


# ------------------------------------------------------------------------------------ filters and terms


def _fields(q: Query) -> set[str | None]:
    if isinstance(q, Term | Phrase | Range | Compare):
        return {q.field}
    if isinstance(q, Not):
        return _fields(q.item)
    return set().union(*(_fields(i) for i in q.items))


def _is_filter(q: Query) -> bool:
    return _fields(q) <= FILTER_FIELDS


@dataclass(frozen=True, slots=True)
class Filters:
    """The structured part of a query: clauses over filter fields, all of which must hold.

    ``matches(doc)`` evaluates them on one publication given as a mapping with any of the keys
    ``publication_number``, ``country``, ``kind``, ``doc_type``, ``source_status`` (str),
    ``publication_date``/``filing_date``/``priority_date``/``grant_date`` (date or yyyymmdd int),
    ``ipc``/``cpc``/``applicants``/``inventors`` (lists of str). Applicant names are compared the way the
    text index compares them (words as written, or the harmonised key).
    """

    clauses: tuple[Query, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.clauses)

    @property
    def query(self) -> Query | None:
        """The clauses as one query (``None`` when there are none)."""
        if not self.clauses:
            return None
        return self.clauses[0] if len(self.clauses) == 1 else And(self.clauses)

    def date_ranges(self) -> dict[str, tuple[int | None, int | None]]:
        """Date fields restricted by plain (non-OR, non-NOT) clauses → their intersected yyyymmdd interval."""
        out: dict[str, tuple[int | None, int | None]] = {}
        for c in self.clauses:
            if isinstance(c, Term | Range | Compare) and c.field in DATE_FIELDS:
                lo, hi = date_interval(c)
                old_lo, old_hi = out.get(c.field, (None, None))
                lo = lo if old_lo is None else (old_lo if lo is None else max(lo, old_lo))
                hi = hi if old_hi is None else (old_hi if hi is None else min(hi, old_hi))
                out[c.field] = (lo, hi)
        return out

    def values(self, field_name: str) -> list[str]:
        """The values a plain clause or an OR of plain clauses allows for a field (``cc:(CN OR JP)``)."""
        out: list[str] = []
        for c in self.clauses:
            leaves = c.items if isinstance(c, Or) else (c,)
            if all(isinstance(x, Term | Phrase) and x.field == field_name for x in leaves):
                out.extend(x.text for x in leaves)  # type: ignore[union-attr]
        return out

    def matches(self, doc: Mapping[str, Any]) -> bool:
        return all(_eval(c, doc) for c in self.clauses)


_DATE_KEYS = {"pd": "publication_date", "ad": "filing_date", "prd": "priority_date", "gd": "grant_date"}


def _as_ymd(v: Any) -> int | None:
    if v is None:
        return None
    if isinstance(v, dt.date):
        return _ymd(v)
    if isinstance(v, int):
        return v
    try:
        return date_bounds(str(v))[0]
    except ValueError:
        return None


def _eval(q: Query, doc: Mapping[str, Any]) -> bool:
    if isinstance(q, And):
        return all(_eval(i, doc) for i in q.items)
    if isinstance(q, Or):
        return any(_eval(i, doc) for i in q.items)
    if isinstance(q, Not):
        return not _eval(q.item, doc)
    f = q.field
    if isinstance(q, Range | Compare) or f in DATE_FIELDS:
        value = _as_ymd(doc.get(_DATE_KEYS[f or ""]))
        if value is None:
            return False
        lo, hi = date_interval(q)  # type: ignore[arg-type]
        return (lo is None or value >= lo) and (hi is None or value <= hi)
    text = q.text  # type: ignore[union-attr]
    if f in ("ipc", "cpc"):
        want = normalize_class_symbol(text.rstrip("*?")) or ""
        have = [p for s in doc.get(f) or () for p in class_prefixes(s)]
        if isinstance(q, Term) and q.is_wildcard:
            rx = _wild_regex(text)
            return any(rx.fullmatch(p) for p in have)
        return want in have
    if f == "pn":
        num = str(doc.get("publication_number") or "")
        want = normalize_publication_number(text)
        return num == want or (num.startswith(want) and len(num) - len(want) <= 2)
    if f in ("cc", "kind"):
        key = "country" if f == "cc" else "kind"
        return str(doc.get(key) or "").upper() == text.upper()
    if f == "type":
        return doc.get("doc_type") == normalize_doc_type(text)
    if f == "status":
        return str(doc.get("source_status") or "").lower() == text.lower()
    if f in ("pa", "in"):
        return _name_matches(q, doc.get("applicants" if f == "pa" else "inventors") or ())
    return False


def _wild_regex(text: str) -> re.Pattern[str]:
    s = re.sub(r"[\s\-]+", "", text.upper())
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in s))


def _name_matches(q: Term | Phrase, names: Iterable[str]) -> bool:
    from patnav.search.analysis import tokens

    want = tokens(q.text, query=True)
    if not want:
        return False
    key = _harmonized_keys(q.text)
    for name in names:
        if _harmonized_keys(name) & key:
            return True
        have = tokens(name)
        if isinstance(q, Phrase) or len(want) > 1:
            if any(have[i : i + len(want)] == want for i in range(len(have) - len(want) + 1)):
                return True
        elif isinstance(q, Term) and q.is_wildcard:
            rx = _wild_regex(q.text.lower())
            if any(rx.fullmatch(h.upper()) for h in have):
                return True
        elif want[0] in have:
            return True
    return False


def _harmonized_keys(name: str) -> set[str]:
    from patnav.ingest.names import harmonize_name

    return {harmonize_name(name), _harmonizer().key(name)} - {""}


_HARMONIZER: list[Any] = []


def _harmonizer() -> Any:
    if not _HARMONIZER:
        from patnav.ingest.names import NameHarmonizer

        _HARMONIZER.append(NameHarmonizer())
    return _HARMONIZER[0]


def split_query(q: Query) -> tuple[Query | None, Filters]:
    """(the text part, the filter part) of a query: top-level AND clauses over filter fields only are filters.

    A filter inside an OR with text (``ti:robot OR cc:CN``) is not a filter: it stays in the text part.
    """
    items = q.items if isinstance(q, And) else (q,)
    filters = tuple(i for i in items if _is_filter(i))
    rest = tuple(i for i in items if not _is_filter(i))
    text_part: Query | None = None
    if rest:
        text_part = rest[0] if len(rest) == 1 else And(rest)
    return text_part, Filters(filters)


def filters_of(q: Query | str) -> Filters:
    """The structured filter part of a query (dates, country, IPC/CPC, applicant, kind, status, type)."""
    return split_query(parse_query(q) if isinstance(q, str) else q)[1]


@dataclass(frozen=True, slots=True)
class MatchTerm:
    """A positive search term, for highlighting and for explaining why a hit matched."""

    field: str  # tac, ti, ab, cl, desc, pa, in
    text: str
    kind: str = "term"  # term, phrase, wildcard
    slop: int = 0


def terms_of(q: Query | str) -> list[MatchTerm]:
    """The words and phrases a query looks for in text and names (negated ones left out), in order."""
    q = parse_query(q) if isinstance(q, str) else q
    out: list[MatchTerm] = []

    def walk(node: Query, negated: bool) -> None:
        if isinstance(node, Not):
            walk(node.item, not negated)
        elif isinstance(node, And | Or):
            for i in node.items:
                walk(i, negated)
        elif not negated and isinstance(node, Term | Phrase):
            f = node.field or "tac"
            if f in TEXT_FIELDS or f in ("pa", "in"):
                if isinstance(node, Phrase):
                    out.append(MatchTerm(f, node.text, "phrase", node.slop))
                else:
                    out.append(MatchTerm(f, node.text, "wildcard" if node.is_wildcard else "term"))

    walk(q, False)
    return list(dict.fromkeys(out))


def walk_query(q: Query, visit: Callable[[Query], None]) -> None:
    """Call ``visit`` on every node, parents first."""
    visit(q)
    if isinstance(q, Not):
        walk_query(q.item, visit)
    elif isinstance(q, And | Or):
        for i in q.items:
            walk_query(i, visit)
