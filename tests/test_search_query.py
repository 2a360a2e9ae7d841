"""The search language: every construct, error positions (caret columns), filters and terms."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from patnav.search.query import (
    And,
    Compare,
    Filters,
    MatchTerm,
    Not,
    Or,
    Phrase,
    QuerySyntaxError,
    Range,
    Term,
    class_prefixes,
    date_bounds,
    filters_of,
    normalize_class_symbol,
    parse_query,
    split_query,
    terms_of,
    to_text,
)


def test_bare_terms_are_anded() -> None:
    assert parse_query("neural network") == And((Term(None, "neural"), Term(None, "network")))
    assert parse_query("neural") == Term(None, "neural")


@pytest.mark.parametrize("op", ["AND", "&&", "与"])
def test_and(op: str) -> None:
    assert parse_query(f"a {op} b") == And((Term(None, "a"), Term(None, "b")))


@pytest.mark.parametrize("op", ["OR", "||", "或"])
def test_or(op: str) -> None:
    assert parse_query(f"a {op} b c") == Or((Term(None, "a"), And((Term(None, "b"), Term(None, "c")))))


@pytest.mark.parametrize("text", ["a NOT b", "a -b", "a AND NOT b", "a 非 b", "a !b"])
def test_not(text: str) -> None:
    assert parse_query(text) == And((Term(None, "a"), Not(Term(None, "b"))))


def test_chinese_operator_chars_inside_words_are_text() -> None:
    assert parse_query("非晶硅") == Term(None, "非晶硅")  # 非 only an operator when standing alone


def test_parentheses_and_precedence() -> None:
    assert parse_query("(a OR b) AND c") == And((Or((Term(None, "a"), Term(None, "b"))), Term(None, "c")))
    assert parse_query("a OR b AND c") == Or((Term(None, "a"), And((Term(None, "b"), Term(None, "c")))))


def test_fields_and_aliases() -> None:
    assert parse_query("ti:robot") == Term("ti", "robot")
    assert parse_query("TITLE:robot") == Term("ti", "robot")
    assert parse_query("ab:x cl:y desc:z tac:w") == And(
        (Term("ab", "x"), Term("cl", "y"), Term("desc", "z"), Term("tac", "w"))
    )
    assert parse_query("pa:IBM in:王飞跃") == And((Term("pa", "IBM"), Term("in", "王飞跃")))


def test_field_group() -> None:
    assert parse_query("ti:(neural network)") == And((Term("ti", "neural"), Term("ti", "network")))
    assert parse_query('ti:(a OR "b c")') == Or((Term("ti", "a"), Phrase("ti", "b c")))
    assert parse_query("ti:(a ab:b)") == And((Term("ti", "a"), Term("ab", "b")))


def test_phrase_and_proximity() -> None:
    assert parse_query('"neural network"') == Phrase(None, "neural network")
    assert parse_query('"neural network"~5') == Phrase(None, "neural network", 5)
    assert parse_query('ab:"say \\"hi\\""') == Phrase("ab", 'say "hi"')


def test_wildcards() -> None:
    q = parse_query("neur* colo?r")
    assert q == And((Term(None, "neur*"), Term(None, "colo?r")))
    assert all(t.is_wildcard for t in q.items)  # type: ignore[union-attr]


def test_dates() -> None:
    assert parse_query("pd:[2005 TO 2012]") == Range("pd", "2005", "2012")
    assert parse_query("ad:[20050101 TO 20121231]") == Range("ad", "20050101", "20121231")
    assert parse_query("prd:{2005 TO *]") == Range("prd", "2005", None, include_low=False)
    assert parse_query("pd>=2015") == Compare("pd", ">=", "2015")
    assert parse_query("pd:>=2015") == Compare("pd", ">=", "2015")
    assert parse_query("pd:2015") == Term("pd", "2015")
    assert parse_query("pd:(2015 OR 2017)") == Or((Term("pd", "2015"), Term("pd", "2017")))


def test_keyword_fields() -> None:
    q = parse_query('ipc:G06N3 cpc:"G06N 3/08" pn:US-7197497-B2 cc:CN kind:B2 status:active type:实用新型')
    assert q == And(
        (
            Term("ipc", "G06N3"),
            Phrase("cpc", "G06N 3/08"),
            Term("pn", "US-7197497-B2"),
            Term("cc", "CN"),
            Term("kind", "B2"),
            Term("status", "active"),
            Term("type", "实用新型"),
        )
    )


def test_full_width_syntax() -> None:
    assert parse_query("ti：（神经网络 或 深度学习）") == Or((Term("ti", "神经网络"), Term("ti", "深度学习")))


def _err(text: str) -> QuerySyntaxError:
    with pytest.raises(QuerySyntaxError) as info:
        parse_query(text)
    return info.value


@pytest.mark.parametrize(
    ("text", "column", "words"),
    [
        ("ti:(neural network", 18, "missing ')'"),
        ("neural AND", 10, "needs a term"),
        ("a AND OR b", 6, "needs a term"),
        ("foo:bar", 0, "unknown field"),
        ('ti:"neural network', 3, "unclosed quote"),
        ("pd:[2005 2012]", 4, "a range is written"),
        ("pd:[2005 TO 2012", 3, "unclosed range"),
        ("pd:neural", 3, "not a date"),
        ("pd:[2005 TO 2099-13]", 12, "not a valid date"),
        ("ti:[2005 TO 2012]", 3, "ranges are for dates"),
        ("ipc:XYZ", 4, "IPC/CPC"),
        ("cc:CHN", 3, "2-letter"),
        ("a )", 2, "unbalanced ')'"),
        ("", 0, "empty query"),
        ('"x"~', 3, "number of words"),
        ("ti:", 3, "needs a value"),
        ("x OR", 4, "needs a term"),
        ("pn:hello", 3, "pn:"),
        ("OR a", 0, "needs a term before"),
        ("pd>=x", 4, "not a date"),
    ],
)
def test_error_positions(text: str, column: int, words: str) -> None:
    e = _err(text)
    assert e.position == column, str(e)
    assert words in e.message
    if text:
        caret_line = str(e).splitlines()[-1]
        assert caret_line.index("^") - 2 == column  # the caret sits under the column that went wrong


def test_caret_counts_wide_characters() -> None:
    e = _err("神经 AND")
    assert e.position == 6
    assert str(e).splitlines()[-1] == "  " + " " * 8 + "^"  # 神经 take two columns each


def test_to_text_round_trip_examples() -> None:
    for text in [
        'ti:(neural network) AND pd:[2005 TO 2012] OR NOT (pa:IBM cc:US) "a b"~3 neur*',
        "ipc:G06N3 -cc:CN pd>=2015 prd:{2005 TO *}",
    ]:
        q = parse_query(text)
        assert parse_query(to_text(q)) == q


def test_filters_and_split() -> None:
    q = parse_query("ti:(neural network) AND pd:[2005 TO 2012] cc:(CN OR JP) ipc:G06N3 pa:IBM NOT kind:U")
    text_part, filters = split_query(q)
    assert text_part == And((Term("ti", "neural"), Term("ti", "network")))
    assert filters.date_ranges() == {"pd": (20050101, 20121231)}
    assert filters.values("cc") == ["CN", "JP"]
    assert filters.values("ipc") == ["G06N3"]
    doc = {
        "publication_date": dt.date(2010, 5, 1),
        "country": "CN",
        "kind": "A",
        "ipc": ["G06N 3/08"],
        "applicants": ["International Business Machines Corporation"],
    }
    assert filters.matches(doc)
    assert not filters.matches(doc | {"country": "US"})
    assert not filters.matches(doc | {"kind": "U"})
    assert not filters.matches(doc | {"ipc": ["G06N 30/00"]})
    assert not filters.matches(doc | {"publication_date": dt.date(2013, 1, 1)})
    assert filters.matches(doc | {"applicants": ["国际商业机器公司"]})  # harmonised through the alias table
    # a filter OR-ed with text is not a filter
    assert not filters_of("ti:robot OR cc:CN")
    assert isinstance(filters_of("cc:CN"), Filters)


def test_terms_of() -> None:
    got = terms_of('ti:(neural network) "deep learning"~2 NOT bad neur* pa:IBM pd:2015')
    assert got == [
        MatchTerm("ti", "neural"),
        MatchTerm("ti", "network"),
        MatchTerm("tac", "deep learning", "phrase", 2),
        MatchTerm("tac", "neur*", "wildcard"),
        MatchTerm("pa", "IBM"),
    ]


def test_class_symbols_and_dates() -> None:
    assert normalize_class_symbol("G06N 3/08") == "G06N3/08"
    assert normalize_class_symbol("g06n0003080000") == "G06N3/08"
    assert normalize_class_symbol("G06N 003/08") == "G06N3/08"
    assert normalize_class_symbol("hello") is None
    assert class_prefixes("G06N 3/08") == ["G", "G06", "G06N", "G06N3", "G06N3/08"]
    assert date_bounds("2012") == (20120101, 20121231)
    assert date_bounds("2012-02") == (20120201, 20120229)


# ------------------------------------------------------------------------------------------ properties

_word = st.text(alphabet="abcxyz019神经网络データ", min_size=1, max_size=6)
_field = st.sampled_from([None, "ti", "ab", "cl", "tac", "pa", "in"])
_leaf = st.one_of(
    st.builds(Term, _field, _word),
    st.builds(Term, _field, _word.map(lambda w: w + "*")),
    st.builds(
        Phrase, _field, st.text(alphabet='ab "\\神', min_size=1, max_size=8).filter(str.strip), st.integers(0, 9)
    ),
    st.builds(
        Range,
        st.sampled_from(["pd", "ad", "prd"]),
        st.sampled_from([None, "2005", "201203"]),
        st.sampled_from([None, "2012", "20121231"]),
        st.booleans(),
        st.booleans(),
    ),
    st.builds(Compare, st.just("pd"), st.sampled_from([">=", ">", "<=", "<"]), st.sampled_from(["2015", "2015-03"])),
    st.builds(Term, st.just("ipc"), st.sampled_from(["G", "G06", "G06N3", "G06N3/08"])),
    st.builds(Term, st.just("cc"), st.sampled_from(["CN", "US"])),
)
_ast = st.recursive(
    _leaf,
    lambda inner: st.one_of(
        st.builds(lambda xs: And(tuple(xs)), st.lists(inner, min_size=2, max_size=3)),
        st.builds(lambda xs: Or(tuple(xs)), st.lists(inner, min_size=2, max_size=3)),
        st.builds(Not, inner),
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(_ast)
def test_printed_ast_reparses_equal(q) -> None:  # type: ignore[no-untyped-def]
    assert parse_query(to_text(q)) == q


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('ab 神:()"[]{}~*?-!&|<>=TOANDORNOT与或非ti pd 2015 ：（）')), max_size=30))
def test_any_text_raises_only_syntax_errors(text: str) -> None:
    try:
        q = parse_query(text)
    except QuerySyntaxError as e:
        assert 0 <= e.position <= len(text)
        return
    assert parse_query(to_text(q)) == q


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_arbitrary_unicode_raises_only_syntax_errors(text: str) -> None:
    with contextlib.suppress(QuerySyntaxError):
        parse_query(text)
