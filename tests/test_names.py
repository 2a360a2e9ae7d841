"""Party names: harmonisation keys, kinds of party, splitting multi-valued cells (on real export names)."""

from __future__ import annotations

import csv
import gzip
import re
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from patnav.ingest.names import NameHarmonizer, fold_text, harmonize_name, party_kind, split_names


def _export_rows(shared_data: Path) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for path in sorted((shared_data / "google-patents-export").glob("*.csv")):
        with path.open(encoding="utf-8") as fh:
            next(fh)  # "search URL:" line
            rows.extend(csv.DictReader(fh))
    return rows


@pytest.fixture(scope="module")
def export_assignees(shared_data: Path) -> set[str]:
    return {name for row in _export_rows(shared_data) for name in split_names(row["assignee"])}


def test_fold_text() -> None:
    assert fold_text("  ＳＡＭＳＵＮＧ　 Ｅｌｅｃｔｒｏｎｉｃｓ \n") == "SAMSUNG Electronics"
    assert fold_text("㈱東芝") == "(株)東芝"


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Samsung Electronics Co., Ltd.", "SAMSUNG ELECTRONICS"),
        ("SAMSUNG ELECTRONICS CO LTD", "SAMSUNG ELECTRONICS"),
        ("Ｓａｍｓｕｎｇ Ｅｌｅｃｔｒｏｎｉｃｓ Ｃｏ．， Ｌｔｄ．", "SAMSUNG ELECTRONICS"),
        ("华为技术有限公司", "华为技术"),
        ("上海电气集团股份有限公司", "上海电气"),
        ("小米科技有限责任公司", "小米科技"),
        ("株式会社東芝", "東芝"),
        ("㈱東芝", "東芝"),
        ("(株)東芝", "東芝"),
        ("ファナック株式会社", "ファナック"),
        ("有限会社ABC", "ABC"),
        ("주식회사 사람과사람들", "사람과사람들"),
        ("(주)한국플랫폼서비스기술", "한국플랫폼서비스기술"),
        ("디아이티 주식회사", "디아이티"),
        ("Pavilion Technologies, Inc.", "PAVILION TECHNOLOGIES"),
        ("Adobe Systems Incorporated", "ADOBE SYSTEMS"),
        ("The Boeing Company", "BOEING"),
        ("Google LLC", "GOOGLE"),
        ("Google, Inc.", "GOOGLE"),
        ("Barnhill Technologies, L.L.C.", "BARNHILL TECHNOLOGIES"),
        ("British Telecommunications Public Limited Company", "BRITISH TELECOMMUNICATIONS"),
        ("Siemens Aktiengesellschaft", "SIEMENS"),
        ("Siemens AG", "SIEMENS"),
        ("Robert Bosch GmbH", "ROBERT BOSCH"),
        ("Micro-Epsilon Messtechnik Gmbh & Co. Kg", "MICRO EPSILON MESSTECHNIK"),
        ("Telefonica S.A.", "TELEFONICA"),
        (
            "Cselt - Centro Studi E Laboratori Telecomunicazioni S.P.A.",
            "CSELT CENTRO STUDI E LABORATORI TELECOMUNICAZIONI",
        ),
        (
            "Cselt-Centro Studi E Laboratori Telecomunicazioni S.P.A.",
            "CSELT CENTRO STUDI E LABORATORI TELECOMUNICAZIONI",
        ),
        ("Koninklijke Philips Electronics N.V.", "KONINKLIJKE PHILIPS ELECTRONICS"),
        ("Msc Intellectual Properties B.V.", "MSC INTELLECTUAL PROPERTIES"),
        ("Tatu Ylonen Oy Ltd", "TATU YLONEN"),
        ("Pacesetter Ab", "PACESETTER"),
        ("Intellix A/S", "INTELLIX"),
        ("Mts Consulting Pty Limited", "MTS CONSULTING"),
        ("Canon Kabushiki Kaisha", "CANON"),
        ("Kabushiki Kaisha Toshiba", "TOSHIBA"),
        ("E. I. Du Pont De Nemours & Co. (Inc.)", "EI DU PONT DE NEMOURS"),
        ("E.I. Du Pont De Nemours And Company", "EI DU PONT DE NEMOURS"),
        ("AT&amp;T Corp.", "AT&T"),
        ("Deere & Company", "DEERE"),
        ("Searete Llc, A Limited Liability Corporation Of The State Of Delaware", "SEARETE"),
        ("Buzzmetrics, Ltd An Israel Corporation", "BUZZMETRICS"),
        ("c/o Facebook, Inc.", "FACEBOOK"),
        ("Ecole Polytechnique Federale De Lausanne (Epfl)", "ECOLE POLYTECHNIQUE FEDERALE DE LAUSANNE"),
        ("グーグル、インコーポレイテッド", "グーグル"),
        ("Майкрософт Корпорейшн", "МАЙКРОСОФТ"),
        ("林  瑾", "林瑾"),
        ("Ltd.", "LTD"),
        ("", ""),
    ],
)
def test_harmonize_name(name: str, key: str) -> None:
    assert harmonize_name(name) == key


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("清华大学", "university"),
        ("中国人民解放军海军航空工程学院", "university"),
        ("Massachusetts Institute Of Technology", "university"),
        ("The Regents Of The University Of California", "university"),
        ("Universität Stuttgart", "university"),
        ("Université de Sherbrooke", "university"),
        ("전남대학교산학협력단", "university"),
        ("中国科学院自动化研究所", "institute"),
        ("中国电子科技集团公司第五十四研究所", "institute"),
        ("Industrial Technology Research Institute", "institute"),
        ("Fraunhofer-Gesellschaft zur Förderung der angewandten Forschung e.V.", "institute"),
        ("Centre National De La Recherche Scientifique (CNRS)", "institute"),
        ("Argonne National Laboratory", "institute"),
        ("한국해양과학기술원", "institute"),
        ("The Memorial Hospital", "hospital"),
        ("北京协和医院", "hospital"),
        ("The United States Of America As Represented By The Secretary Of The Navy", "government"),
        ("Ministry Of International Trade & Industry", "government"),
        ("中华人民共和国工业和信息化部", "government"),
        ("国家知识产权局", "government"),
        ("Microsoft Corporation", "company"),
        ("Searete Llc, A Limited Liability Corporation Of The State Of Delaware", "company"),
        ("华为技术有限公司", "company"),
        ("ファナック株式会社", "company"),
        ("주식회사 사람과사람들", "company"),
        ("Nec Research Institute, Inc.", "company"),
        ("Alex Nugent", "individual"),
        ("Eric Jon Hartman", "individual"),
        ("Harris Henry M.", "individual"),
        ("Thaler; Stephen L.", "individual"),
        ("刘建生", "individual"),
        ("隆 森江", "individual"),
        ("Honeywell", "unknown"),
        ("", "unknown"),
    ],
)
def test_party_kind(name: str, kind: str) -> None:
    assert party_kind(name) == kind


@pytest.mark.parametrize(
    ("cell", "names"),
    [
        ("Pavilion Technologies, Inc.", ["Pavilion Technologies, Inc."]),
        ("Samsung Electronics Co., Ltd.", ["Samsung Electronics Co., Ltd."]),
        (
            "Eric Jon Hartman, Carsten Peterson, Stephen Piche",
            ["Eric Jon Hartman", "Carsten Peterson", "Stephen Piche"],
        ),
        (
            "David Russell Williams, Jr., Luke Robert Gutzwiller",
            ["David Russell Williams, Jr.", "Luke Robert Gutzwiller"],
        ),
        ("John Smith, III, Jane Doe", ["John Smith, III", "Jane Doe"]),
        ("Hitachi, Ltd., Hitachi Engineering Co., Ltd.", ["Hitachi, Ltd.", "Hitachi Engineering Co., Ltd."]),
        ("At&T Intellectual Property I, L.P.", ["At&T Intellectual Property I, L.P."]),
        ("Telefonaktiebolaget Lm Ericsson (Publ)", ["Telefonaktiebolaget Lm Ericsson (Publ)"]),
        (
            "Searete Llc, A Limited Liability Corporation Of The State Of Delaware",
            ["Searete Llc, A Limited Liability Corporation Of The State Of Delaware"],
        ),
        ("Rutgers, The State University Of New Jersey", ["Rutgers, The State University Of New Jersey"]),
        (
            "Consolidated Edison Company Of New York, The Trustees Of Columbia University In The City Of New York",
            ["Consolidated Edison Company Of New York", "The Trustees Of Columbia University In The City Of New York"],
        ),
        (
            "浙江大学;浙江中控研究院有限公司;中控科技集团有限公司",
            ["浙江大学", "浙江中控研究院有限公司", "中控科技集团有限公司"],
        ),
        ("鲁润泽;林  瑾;张风琴", ["鲁润泽", "林 瑾", "张风琴"]),
        ("北京奇虎科技有限公司, 奇智软件（北京）有限公司", ["北京奇虎科技有限公司", "奇智软件（北京）有限公司"]),
        ("张三，李四；王五|赵六\n钱七;;孙八", ["张三", "李四", "王五", "赵六", "钱七", "孙八"]),
        ("西安交通大学;", ["西安交通大学"]),
        (
            "Francone; Frank D., Nordin; Peter, Banzhaf; Wolfgang",
            ["Frank D. Francone", "Peter Nordin", "Wolfgang Banzhaf"],
        ),
        ("Batten, Jr.; George W.", ["George W. Batten, Jr."]),
        ("", []),
        ("  ", []),
    ],
)
def test_split_names(cell: str, names: list[str]) -> None:
    assert split_names(cell) == names


# ---------------------------------------------------------------------------------------- real data


IBM_VARIANTS_IN_EXPORT = [
    "International Business Machines Corporation",
    "International Business Machines Corp.",
    "International Business Machines, Inc.",
    "Inernational Business Machines Corporation",
    "国际商业机器公司",
]


def test_ibm_variants_collapse_in_real_export(export_assignees: set[str]) -> None:
    assert set(IBM_VARIANTS_IN_EXPORT) <= export_assignees, "the real export should contain these spellings"
    h = NameHarmonizer()
    keys = {h.key(n) for n in [*IBM_VARIANTS_IN_EXPORT, "Ibm", "IBM", "IBM Corp", "IBM Corp."]}
    assert len(keys) == 1
    ibm = keys.pop()
    found = {n for n in export_assignees if h.key(n) == ibm}
    assert found == set(IBM_VARIANTS_IN_EXPORT)


@pytest.mark.parametrize(
    "variants",
    [
        ["Google Inc.", "Google, Inc.", "Google LLC", "グーグル、インコーポレイテッド"],
        [
            "Microsoft Corporation",
            "Microsoft Corp.",
            "Microsoft Technology Licensing, Llc",
            "Майкрософт Корпорейшн",
            "마이크로소프트 코포레이션",
        ],
        ["Siemens Aktiengesellschaft", "Siemens AG", "Siemens Corporation"],
        ["Samsung Electronics Co., Ltd.", "삼성전자주식회사", "三星电子株式会社"],
        ["Fujitsu Limited", "Fujitsu Ltd", "富士通株式会社"],
        ["Kabushiki Kaisha Toshiba", "Toshiba Corp", "株式会社東芝"],
        ["Mitsubishi Denki Kabushiki Kaisha", "Mirsubishi Denki Kabushiki Kaisha"],
        ["Beijing Kuangshi Technology Co., Ltd.", "Beijing Kuangshi Technology Co.,Ltd.", "北京旷视科技有限公司"],
        [
            "E. I. Du Pont De Nemours & Co. (Inc.)",
            "E. I. Du Pont De Nemours & Co., Inc.",
            "E. I. Du Pont De Nemours And Co., Inc.",
            "E. I. Du Pont De Nemours And Company",
            "E.I. Du Pont De Nemours & Co., Inc.",
        ],
    ],
)
def test_spelling_variants_collapse(variants: list[str]) -> None:
    h = NameHarmonizer()
    assert len({h.key(v) for v in variants}) == 1, {v: h.key(v) for v in variants}


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("International Business Machines Corporation", "Intel Corporation"),
        ("华为技术有限公司", "华为终端有限公司"),
        ("Siemens Aktiengesellschaft", "Siemens Healthcare Gmbh"),
        ("北京大学", "北京交通大学"),
        ("Sony Corporation", "Sony Electronics Inc."),
        ("Microsoft Corporation", "Motorola, Inc."),
        ("Google Inc.", "Microsoft Corporation"),
        ("At&T Corp.", "At&T Bell Laboratories"),
    ],
)
def test_distinct_organisations_stay_distinct(a: str, b: str) -> None:
    h = NameHarmonizer()
    assert h.key(a) != h.key(b)


def test_real_export_does_not_over_collapse(export_assignees: set[str]) -> None:
    """Groups of several raw spellings only form where the spellings share their leading word (or an alias)."""
    h = NameHarmonizer()
    groups: dict[str, set[str]] = defaultdict(set)
    for name in export_assignees:
        groups[h.key(name)].add(name)
    assert len(groups) > 0.8 * len(export_assignees)
    aliased = set(h.aliases.values())
    for key, names in groups.items():
        if len(names) > 1 and key not in aliased:
            firsts = {re.sub(r"[^A-Z0-9]", "", harmonize_name(n).split(" ")[0]) for n in names}
            assert len(firsts) == 1, names


def test_real_uspto_orgnames_harmonise(shared_data: Path) -> None:
    orgs: set[str] = set()
    for path in sorted((shared_data / "uspto-grant-xml").glob("ipg*.xml.gz")):
        with gzip.open(path, "rt", encoding="utf-8", errors="replace") as fh:
            orgs.update(re.findall(r"<orgname>([^<]+)</orgname>", fh.read()))
    assert len(orgs) > 100
    for org in orgs:
        key = harmonize_name(org)
        assert key and harmonize_name(key) == key
    assert harmonize_name("The Procter &#x26; Gamble Company") == "PROCTER AND GAMBLE"


def test_user_aliases_apply_on_top() -> None:
    h = NameHarmonizer({"Megvii": "北京旷视科技有限公司"})
    assert h.key("MEGVII Inc.") == h.key("Beijing Kuangshi Technology Co., Ltd.") == h.key("北京旷视科技有限公司")
    plain = NameHarmonizer(builtin=False)
    assert plain.key("IBM") == "IBM"


def test_party_kinds_on_real_names(shared_data: Path) -> None:
    kinds: dict[str, int] = defaultdict(int)
    for row in _export_rows(shared_data):
        for name in split_names(row["assignee"]):
            kinds[party_kind(name)] += 1
    assert kinds["company"] > kinds["individual"] > 0
    assert kinds["university"] > 50 and kinds["government"] > 10


# ----------------------------------------------------------------------------------------- properties

_NAMEISH = st.text(
    alphabet=st.sampled_from(list("abcXYZ .,&-()（）;；|'/\n株式会社有限公司集团ＡＢ１２ 주식회사インコーポレイテッド"))
    | st.characters(),
    max_size=40,
)


@given(_NAMEISH)
def test_harmonize_is_idempotent_and_total(text: str) -> None:
    key = harmonize_name(text)
    assert isinstance(key, str)
    assert harmonize_name(key) == key


@given(_NAMEISH)
def test_party_kind_is_total(text: str) -> None:
    assert party_kind(text) in {"company", "university", "institute", "individual", "government", "hospital", "unknown"}


def _chars(s: str) -> list[str]:
    return [c for c in s if not c.isspace() and c not in ",，;；|"]


@given(_NAMEISH)
def test_split_names_keeps_every_character(cell: str) -> None:
    parts = split_names(cell)
    pool = _chars(cell)
    got = _chars("".join(parts))
    for c in set(got):
        assert got.count(c) <= pool.count(c)
    if ";" not in cell:  # outside the "Last; First" rewrite the order is kept too
        assert got == pool


def test_performance() -> None:
    import time

    names = [f"Company Number {i} Co., Ltd." for i in range(20000)]
    t = time.perf_counter()
    for n in names:
        harmonize_name(n)
    assert time.perf_counter() - t < 2.0
