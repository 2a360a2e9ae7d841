"""Every user-visible string in the code has a zh-CN and a ja translation, and the CLI speaks them."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir

from patnav.i18n import catalogue, gettext, normalize_lang

SRC = Path(__file__).resolve().parents[1] / "src" / "patnav"


def _msgids() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(SRC),
        method_map=[("**.py", "python")],
        keywords={"_": None, "gettext": None, "g": None, "N_": None},
    ):
        if isinstance(message, str) and message:
            found.add(message)
    # Babel's extractor does not look inside f-strings: f"{_('Rules')}: …" must be translated too
    inner = re.compile(r"""\b[_g]\((?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\)""")
    for path in SRC.rglob("*.py"):
        for match in inner.finditer(path.read_text(encoding="utf-8")):
            text = match.group(1) if match.group(1) is not None else match.group(2)
            if text and "{" not in text:
                found.add(text.encode().decode("unicode_escape") if "\\" in text else text)
    # the web platform: error messages raised as AppError(status, code, message), and the page templates
    for path in (SRC / "app").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "AppError" and len(node.args) > 2:
                message = node.args[2]
                if isinstance(message, ast.Constant) and isinstance(message.value, str):
                    found.add(message.value)
    # t("…") and me.t("…") (the reader's language on the web), found with the syntax tree: Babel 2.19's extractor
    # also takes a variable named t followed by strings (t["lang"], t[0] == '"') for a call
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and node.args
                and (getattr(node.func, "id", None) == "t" or getattr(node.func, "attr", None) == "t")
            ):
                message = node.args[0]
                if isinstance(message, ast.Constant) and isinstance(message.value, str) and message.value:
                    found.add(message.value)
    in_template = re.compile(r"""\b_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")
    for path in (SRC / "app" / "templates").rglob("*.j2"):
        for match in in_template.finditer(path.read_text(encoding="utf-8")):
            found.add(match.group(1) if match.group(1) is not None else match.group(2))
    # codes shown translated: roles, job kinds and statuses, the legal statuses of the search facet
    from patnav.app.models import JobStatus, Role
    from patnav.app.tasks import TASKS
    from patnav.indicators.status import STATUSES

    found.update(STATUSES)
    found.update(r.value for r in Role)
    found.update(s.value for s in JobStatus)
    found.update(TASKS)
    return found


@pytest.mark.parametrize("lang", ["zh_CN", "ja"])
def test_every_visible_string_is_translated(lang: str) -> None:
    ids = _msgids()
    assert len(ids) > 50
    missing = sorted(i for i in ids if i not in catalogue(lang))
    assert missing == [], f"{len(missing)} strings lack a {lang} translation: {missing[:10]}"


@pytest.mark.parametrize("lang", ["zh_CN", "ja"])
def test_placeholders_survive_translation(lang: str) -> None:
    import re

    field = re.compile(r"\{[^}]*\}")
    for msgid, text in catalogue(lang).items():
        assert sorted(field.findall(msgid)) == sorted(field.findall(text)), (lang, msgid, text)


def test_language_is_chosen_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert normalize_lang("zh-CN") == normalize_lang("zh_CN.UTF-8") == "zh_CN"
    assert normalize_lang("ja_JP.UTF-8") == "ja"
    assert normalize_lang("C") == "en"
    assert gettext("Load report", "zh_CN") == "加载报告"
    assert gettext("Load report", "en") == "Load report"
    monkeypatch.setenv("PATNAV_LANG", "ja")
    from patnav.i18n import current_lang

    assert current_lang() == "ja"


def test_cli_errors_speak_the_users_language(tmp_path: Path) -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "patnav.cli", "corpus", "show", "US7197497B2", "--corpus", str(tmp_path / "none")],
        capture_output=True,
        text=True,
        env={"PATNAV_LANG": "zh_CN", "PATH": "/usr/bin:/bin"},
    )
    assert out.returncode == 2
    assert "错误" in out.stderr and "Traceback" not in out.stderr


def test_cli_help_in_japanese() -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "PATNAV_LANG": "ja", "COLUMNS": "200"}
    out = subprocess.run([sys.executable, "-m", "patnav.cli", "--help"], capture_output=True, text=True, env=env)
    assert out.returncode == 0
    assert "産業特許ナビゲーション" in out.stdout


@pytest.mark.parametrize("lang", ["zh_CN", "ja"])
def test_reader_descriptions_are_translated(lang: str) -> None:
    """`patnav formats` shows each reader's description through the catalogue."""
    from patnav.ingest.registry import readers

    missing = [r.description for r in readers().values() if r.description not in catalogue(lang)]
    assert missing == []


def test_job_progress_lines_are_shown_in_the_readers_language() -> None:
    """Background jobs write their progress in English; the page shows it translated, names kept."""
    from patnav.app.pages import progress_text

    assert progress_text("full-text index", "zh_CN") == gettext("full-text index", "zh_CN") != "full-text index"
    assert progress_text("embedding (multilingual-e5-small)", "ja") == gettext("embedding ({model})", "ja").format(
        model="multilingual-e5-small"
    )
    head = progress_text("indicators: legal_status", "zh_CN")
    assert head.startswith(gettext("indicators", "zh_CN") + ": ") and head.endswith("legal_status")
    assert progress_text("gp-search-deep-learning.csv · 1,200", "ja") == "gp-search-deep-learning.csv · 1,200"
    assert progress_text("full-text index", "en") == "full-text index" and progress_text(None, "ja") == ""


# -- quarantine reasons ------------------------------------------------------------------------------------------

#: Where rejected records and their reasons are made: the readers, the normalisers whose errors become reasons, the
#: loader (a file that breaks off) and the XML guard.
REASON_SOURCES = [SRC / "ingest", SRC / "model", SRC / "corpus" / "loader.py"]


def _python_files() -> list[Path]:
    return [p for root in REASON_SOURCES for p in ([root] if root.is_file() else sorted(root.rglob("*.py")))]


def _n_template(node: ast.AST) -> str | None:
    """The msgid of ``N_("…")`` (implicitly concatenated literals included), else None."""
    if (
        isinstance(node, ast.Call)
        and getattr(node.func, "id", None) == "N_"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ):
        return str(node.args[0].value)
    return None


def _reason_templates() -> dict[str, str]:
    """Every template a rejection reason can be made from: ``Reason(N_("…"), …)`` and the ``N_`` reasons handed to
    the normalisers' errors (``raise PatentNumberError(text, N_("…"))``), each with where it is written."""
    found: dict[str, str] = {}
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and (template := _n_template(node)) is not None:
                found.setdefault(template, f"{path.relative_to(SRC)}:{node.lineno}")
    return found


def test_every_rejection_reason_is_a_translatable_template() -> None:
    """A ``Rejected`` reason is a Reason (a template and its values) or one passed on, never a bare or f-string:
    a new call site written as ``Rejected(pos, f"…{exc}")`` or ``str(exc)`` fails here."""
    bad = []
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Rejected"):
                continue
            reason = node.args[1] if len(node.args) > 1 else next(k.value for k in node.keywords if k.arg == "reason")
            ok = isinstance(reason, ast.Name | ast.Attribute) or (
                isinstance(reason, ast.Call) and getattr(reason.func, "id", None) in ("Reason", "reason_of")
            )
            if not ok:
                bad.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert bad == []


@pytest.mark.parametrize("lang", ["zh_CN", "ja"])
def test_every_rejection_reason_template_is_translated(lang: str) -> None:
    templates = _reason_templates()
    assert len(templates) > 50  # the readers', loader's and normalisers' reasons
    missing = {t: where for t, where in templates.items() if t not in catalogue(lang)}
    assert missing == {}


@pytest.mark.parametrize("lang", ["zh_CN", "ja"])
def test_normaliser_errors_read_in_the_users_language_and_stay_english_as_text(lang: str) -> None:
    """A number or a date that cannot be read: ``str(exc)`` is the English message it always was; its ``message``
    renders the template and every nested one in ``lang``, with the input kept as written."""
    from patnav.model.dates import DateParseError, parse_date
    from patnav.model.numbers import PatentNumberError, parse_application_number, parse_publication_number

    pub, app, date = parse_publication_number, parse_application_number, parse_date
    cases: list[tuple[Any, str, str, str]] = [
        (pub, "XX123", "'XX123' is not a patent number: 'XX' is not a WIPO ST.3 office code", "XX123"),
        (pub, "US123456789", "'US123456789' is not a patent number: a US grant has 1 to 8 digits, "
         "a pre-grant publication 11", "US123456789"),
        (app, "CN201510756373.5", "'CN201510756373.5' is not an application number: wrong check digit '5', "
         "CNIPA's check digit for 201510756373 is '6'", "201510756373"),
        (date, "2015-02-30", "'2015-02-30' is not a date: no such day (day is out of range for month)", "2015-02-30"),
        (date, "03/04/2015", "'03/04/2015' is not a date: month/day order unknown: 2015-03-04 (MDY) or 2015-04-03 "
         "(DMY); pass order='MDY' or order='DMY'", "2015-04-03"),
    ]  # fmt: skip
    for parse, text, english, kept in cases:
        with pytest.raises((PatentNumberError, DateParseError)) as info:
            parse(text)
        assert str(info.value) == english
        shown = info.value.message.text(lang)
        assert kept in shown and shown != english
        assert not re.search(r"\b(is not|digits|office code|check digit|no such day|order unknown)\b", shown), shown
