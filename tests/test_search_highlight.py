"""The hit marker: what a user sees marked in a result list, and why a hit is said to match."""

from __future__ import annotations

from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from patnav.search.highlight import Marker

# English words whose stems differ from their spelling in the ways Porter's stemmer has (y → i, dropped e,
# doubled consonants), plus words that merely contain a stem ("interest" holds "est").
_WORDS = [
    "network", "Networks", "networking", "estimate", "estimating", "Estimation", "interest", "test",
    "tie", "tying", "ties", "lie", "lying", "happy", "happiness", "category", "categories", "plating",
    "plate", "slicing", "slice", "query", "querying", "run", "running", "runs", "neural", "Neurons",
    "a", "the", "of", "3D", "x2", "co", "cobalt", "etching", "etch", "relational", "relate",
]  # fmt: skip
_SEPS = [" ", ", ", "-", "_", " (", ") ", "/", ". ", "<", ">", " & ", "\n"]


def _terms(*texts: str) -> list[SimpleNamespace]:
    return [SimpleNamespace(text=t, kind="term") for t in texts]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(_WORDS), st.sampled_from(_SEPS)), min_size=1, max_size=40),
    st.lists(st.sampled_from(_WORDS), min_size=1, max_size=4),
)
def test_fast_ascii_path_marks_exactly_what_the_word_by_word_path_marks(
    pieces: list[tuple[str, str]], query: list[str]
) -> None:
    text = "".join(w + s for w, s in pieces)
    marker = Marker(_terms(*query))
    fast, fast_found = marker.spans(text)
    slow_found: set[str] = set()
    slow = marker._slow_spans(text, slow_found)  # the general path, which every language takes
    assert sorted(fast) == sorted(slow)
    assert fast_found == slow_found


def test_inflected_words_are_marked_and_the_text_is_escaped() -> None:
    marker = Marker(_terms("network", "estimating"))
    html, n, found = marker.mark("A <b>neural</b> Networks & estimation of networking costs")
    assert "<mark>Networks</mark>" in html and "<mark>networking</mark>" in html
    assert "<mark>estimation</mark>" in html and n == 3
    assert "&lt;b&gt;neural&lt;/b&gt;" in html and "&amp;" in html
    assert found == {"network", "estim"}


def test_the_window_starts_near_the_first_match_of_a_long_abstract() -> None:
    text = "filler words " * 60 + "the tieback connector " + "more filler " * 40
    html, n, _ = Marker(_terms("tieback")).mark(text, width=120)
    assert n == 1 and html.startswith("…") and html.endswith("…")
    assert "<mark>tieback</mark>" in html and len(html.replace("<mark>", "").replace("</mark>", "")) <= 122


def test_control_characters_in_the_text_cannot_forge_marks() -> None:
    html, n, _ = Marker(_terms("valve")).mark("a \x02valve\x03 and \x02b\x03 valve")
    assert html.count("<mark>") == n == 2 and "<mark>b</mark>" not in html


def test_cjk_terms_are_marked_in_traditional_and_simplified_text() -> None:
    marker = Marker(_terms("神经网络"))
    html, n, found = marker.mark("一种基于神經網絡的交通流预测方法")
    assert n == 1 and "<mark>神經網絡</mark>" in html
    assert marker.matched_terms(found, ()) == ["神经网络"]


def test_a_term_found_only_in_the_applicant_still_counts_as_matched() -> None:
    marker = Marker(_terms("valve", "Siemens"))
    _, _, found = marker.mark("A valve for pipes")
    assert marker.matched_terms(found, ("Siemens AG",)) == ["valve", "Siemens"]
    assert marker.matched_terms(found, (None,)) == ["valve"]


def test_wildcard_terms_mark_whole_words_their_pattern_matches() -> None:
    marker = Marker([SimpleNamespace(text="valv*", kind="wildcard"), SimpleNamespace(text="pipe", kind="term")])
    html, n, found = marker.mark("A Valve and two valves; no invalv word, a pipe")
    assert "<mark>Valve</mark>" in html and "<mark>valves</mark>" in html and "<mark>pipe</mark>" in html
    assert "invalv" in html and "<mark>invalv" not in html and n == 3
    assert marker.matched_terms(found, ()) == ["valv*", "pipe"]
    assert Marker([SimpleNamespace(text="te?t", kind="wildcard")]).mark("a test, a text, a tent")[1] == 3
    assert Marker([SimpleNamespace(text="神经*", kind="wildcard")]).mark("基于神經網絡的方法")[1] == 1


def test_a_wildcard_found_only_in_the_applicant_counts_as_matched() -> None:
    marker = Marker([SimpleNamespace(text="siem*", kind="wildcard")])
    _, n, found = marker.mark("A valve")
    assert n == 0 and marker.matched_terms(found, ("Siemens AG",)) == ["siem*"]
