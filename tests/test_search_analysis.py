"""Text analysis: language detection, folding, segmentation and stemming.

There is no real Chinese or Japanese patent full text in the shared data, so the sentences below are
HAND-WRITTEN fixtures (marked as such); names come from the real Google Patents exports.
"""

from __future__ import annotations

import pytest

from patnav.search.analysis import analyze_for_index, cjk_bigrams, detect_lang, fold, tokens


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("トヨタ自動車株式会社", "ja"),  # kana → Japanese
        ("重庆大学", "zh"),  # Han without kana → Chinese (real applicant, Google export CN row)
        ("삼성전자주식회사", "ko"),
        ("Neural network", "en"),
        ("12345", None),
        ("", None),
    ],
)
def test_detect_lang(text: str, lang: str | None) -> None:
    assert detect_lang(text) == lang


def test_declared_language_wins() -> None:
    assert detect_lang("株式会社東芝", "ja") == "ja"
    assert detect_lang("株式会社東芝") == "zh"  # by script alone kanji-only is read as Chinese
    assert detect_lang("text", "zh-CN") == "zh"


def test_fold_full_width_case_and_traditional() -> None:
    assert fold("ＡＢＣ１２３　Ｎｅｕｒａｌ") == "abc123 neural"
    assert fold("國際商業機器公司") == "国际商业机器公司"
    assert fold("神經網絡") == "神经网络"
    assert fold("株式会社東芝", "ja") == "株式会社東芝"  # Japanese kanji are not simplified


def test_english_stemming_and_stopwords() -> None:
    assert tokens("The Neural Networks for Learning") == ["neural", "network", "learn"]
    assert tokens("ｎｅｕｒａｌ ＮＥＴＷＯＲＫＳ") == ["neural", "network"]  # full-width folded first
    assert tokens("Müller-type device") == ["muller", "type", "devic"]


def test_chinese_segmentation_hand_written() -> None:
    # HAND-WRITTEN sentence (not from a patent): "a deep-learning image recognition method and device".
    doc = tokens("一种基于深度学习的图像识别方法及装置，包括卷积神经网络", "zh")
    assert {"深度", "学习", "图像识别", "神经网络", "卷积", "方法", "装置"} <= set(doc)
    assert "一种" not in doc and "的" not in doc and "，" not in doc
    # search mode at index time adds the words inside long words; the query is cut in accurate mode
    assert {"神经", "网络"} <= set(doc)
    assert tokens("神经网络", query=True) == ["神经网络"]
    assert set(tokens("神经网络", query=True)) <= set(doc)


def test_traditional_chinese_meets_simplified() -> None:
    # HAND-WRITTEN: the same words in Traditional and Simplified script analyse alike.
    assert tokens("神經網絡的訓練方法") == tokens("神经网络的训练方法")
    assert cjk_bigrams("國際") == cjk_bigrams("国际") == ["国际"]


def test_japanese_mode_c_plus_a_hand_written() -> None:
    # HAND-WRITTEN sentence: "an image recognition device using artificial intelligence".
    doc = tokens("人工知能を用いた画像認識装置")
    assert doc[:3] == ["人工知能", "人工", "知能"]  # mode C unit, then its mode A parts
    assert "用いる" in doc  # normalized form
    assert "を" not in doc and "た" not in doc  # particles and auxiliaries dropped
    assert tokens("人工知能", "ja", query=True) == ["人工知能"]
    assert tokens("トヨタ自動車株式会社") == ["トヨタ自動車", "トヨタ", "自動車", "株式会社", "株式", "会社"]


def test_mixed_script_text() -> None:
    # HAND-WRITTEN: Latin words inside Chinese text go through the English pipeline.
    assert tokens("基于CNN的Networks识别", "zh")[:2] == ["基于", "cnn"]
    assert "network" in tokens("基于CNN的Networks识别", "zh")


def test_cjk_bigrams() -> None:
    assert cjk_bigrams("神经网络") == ["神经", "经网", "网络"]
    assert cjk_bigrams("钢 AI 神经") == ["钢", "神经"]
    assert cjk_bigrams("only latin") == []
    assert cjk_bigrams("ｸﾞｰｸﾞﾙ") == ["グー", "ーグ", "グル"]  # half-width katakana folded


def test_korean_names_kept_whole() -> None:
    assert tokens("삼성전자주식회사") == ["삼성전자주식회사"]
    assert cjk_bigrams("삼성전자")[:2] == ["삼성", "성전"]


def test_analyze_for_index_is_space_joined() -> None:
    toks, cjk = analyze_for_index("深度学习 Neural", "zh")
    assert toks.split() == ["深度", "学习", "neural"]
    assert cjk == "深度 度学 学习"
    assert analyze_for_index(None) == ("", "")
