"""The user's financials table for the action-plan KPI: one row per enterprise and year.

The KPI (:mod:`patnav.indicators.kpi`) divides patents by money, so every figure read here decides a result: a
cell that is not a number, a money column in an unknown unit, or a missing name column raises
:class:`FinancialsError` naming the file, the row and the column, instead of being skipped.

Accepted: CSV/TSV (any encoding :func:`patnav.ingest.text_source.iter_table` detects) and XLSX (first sheet),
with English or Chinese headers (``企业名称``, ``年度``, ``营业收入``, ``营业利润``/``利润总额``/``利润``, ``从业人员``,
``研发费用``, ``行业``, ``地区``, ``规模以上``…; see :data:`HEADER_ALIASES`). Money is in yuan unless the header
names a unit: ``营业收入(万元)``, ``营业收入（亿元）``, ``revenue (10k CNY)``, ``operating_revenue_cny``; a cell may
carry its own Chinese unit (``1.2亿``, ``3,000万元``) when its header names none. Amounts are parsed as decimals
and scaled exactly (``1.23`` 万元 is 12,300 yuan, not 12,300.000000000002).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Literal, cast

__all__ = [
    "HEADER_ALIASES",
    "Enterprise",
    "FinancialsError",
    "FinancialsField",
    "map_header",
    "parse_amount",
    "parse_flag",
    "parse_year",
    "read_financials",
    "unit_multiplier",
]

FinancialsField = Literal[
    "name", "year", "operating_revenue", "operating_profit", "employees", "rnd_spending", "industry", "region",
    "above_scale",
]  # fmt: skip

#: Header spellings per field, folded (lower case; spaces, brackets and punctuation removed). When several
#: columns of a table give one field, the one whose spelling comes first here wins (营业利润 over 利润总额 over 利润);
#: two columns with the same spelling are an error.
HEADER_ALIASES: dict[FinancialsField, tuple[str, ...]] = {
    "name": ("name", "enterprisename", "enterprise", "companyname", "company", "firmname", "firm", "企业名称",
             "企业名", "公司名称", "单位名称", "名称", "企业", "公司", "applicant", "申请人"),
    "year": ("year", "fiscalyear", "fy", "年份", "年度", "统计年度", "会计年度"),
    "operating_revenue": ("operatingrevenue", "营业收入", "totaloperatingrevenue", "营业总收入", "revenue",
                          "totalrevenue", "mainbusinessrevenue", "主营业务收入", "turnover", "sales", "营收"),
    "operating_profit": ("operatingprofit", "营业利润", "totalprofit", "利润总额", "profit", "利润"),
    "employees": ("employees", "numberofemployees", "employeecount", "employee", "staff", "headcount", "从业人员",
                  "从业人员数", "从业人员平均人数", "从业人员期末人数", "员工人数", "员工数", "职工人数"),
    "rnd_spending": ("rndspending", "rnd", "rdspending", "rd", "rdexpenditure", "rdexpenses", "rdexpense",
                     "researchanddevelopment", "researchanddevelopmentspending", "研发投入", "研发费用", "研发经费",
                     "研发支出", "研发经费支出", "rd经费支出", "rd投入"),
    "industry": ("industry", "sector", "行业", "所属行业", "行业类别", "行业分类", "行业名称"),
    "region": ("region", "province", "city", "area", "地区", "区域", "所属地区", "所在地区", "省份", "城市"),
    "above_scale": ("abovescale", "abovedesignatedsize", "abovescaleflag", "规模以上", "规上", "规模以上企业",
                    "规上企业", "是否规上", "是否规模以上", "是否规上企业", "是否规模以上企业"),
}  # fmt: skip

_MONEY: frozenset[str] = frozenset({"operating_revenue", "operating_profit", "rnd_spending"})
_REQUIRED_ANY: tuple[FinancialsField, ...] = ("operating_revenue", "operating_profit")

#: Currency words removed from a unit before its scale is looked up (longest first).
_CURRENCY = ("人民币", "rmb", "cny", "yuan", "元", "¥")
#: Scale words of a money unit → how many yuan one unit is.
_SCALES: dict[str, Decimal] = {
    "": Decimal(1),
    "千": Decimal(10**3), "k": Decimal(10**3), "1k": Decimal(10**3), "thousand": Decimal(10**3),
    "thousands": Decimal(10**3), "1000": Decimal(10**3),
    "万": Decimal(10**4), "10k": Decimal(10**4), "10thousand": Decimal(10**4), "tenthousand": Decimal(10**4),
    "10000": Decimal(10**4),
    "百万": Decimal(10**6), "m": Decimal(10**6), "mn": Decimal(10**6), "mio": Decimal(10**6),
    "million": Decimal(10**6), "millions": Decimal(10**6), "1m": Decimal(10**6),
    "千万": Decimal(10**7), "10m": Decimal(10**7), "10mn": Decimal(10**7), "10million": Decimal(10**7),
    "亿": Decimal(10**8), "100m": Decimal(10**8), "100mn": Decimal(10**8), "100million": Decimal(10**8),
    "hundredmillion": Decimal(10**8),
    "十亿": Decimal(10**9), "bn": Decimal(10**9), "1bn": Decimal(10**9), "billion": Decimal(10**9),
}  # fmt: skip
#: Units of a head-count column.
_PERSONS: dict[str, Decimal] = {
    "": Decimal(1), "人": Decimal(1), "persons": Decimal(1), "people": Decimal(1), "person": Decimal(1),
    "万人": Decimal(10**4),
}  # fmt: skip
#: Units a money cell may carry itself (``1.2亿``), longest first.
_CELL_UNITS: tuple[tuple[str, Decimal], ...] = tuple(
    sorted(
        ((u, _SCALES[u.removesuffix("元")]) for u in ("十亿元", "十亿", "亿元", "亿", "千万元", "千万", "百万元",
                                                     "百万", "万元", "万", "千元", "元")),
        key=lambda item: -len(item[0]),
    )
)  # fmt: skip

_MISSING = frozenset({"", "-", "--", "—", "——", "–", "/", "n/a", "na", "null", "none", "nan", "不适用", "无"})
_NUMBER_RE = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?")
_UNIT_FOLD_RE = re.compile(r"[\s_\-.,]")
_SEPARATORS = (",", " ", "'", "_")
_HEADER_UNIT_RE = re.compile(r"^(?P<base>.*?)[(\[【](?P<unit>[^()\[\]【】]*)[)\]】]$")
_FOLD_RE = re.compile(r"[^0-9a-z\u3400-\u4dbf\u4e00-\u9fff]")
_YEAR_RE = re.compile(r"(?:fy)?(\d{4})(?:年度?)?")
_TRUE = frozenset({"1", "true", "yes", "y", "t", "是", "规上", "规模以上", "√", "✓"})
_FALSE = frozenset({"0", "false", "no", "n", "f", "否", "规下", "规模以下", "×", "✗"})


class FinancialsError(ValueError):
    """The financials table cannot be used as it is; the message names the file, and the row and column.

    ``problems`` lists every bad cell found (up to :data:`MAX_PROBLEMS`), so a table is corrected in one go."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]


#: Bad cells listed before a financials table is refused (the rest are counted).
MAX_PROBLEMS = 50


@dataclass(frozen=True, slots=True)
class Enterprise:
    """One enterprise's figures for one year, in yuan (``None`` where the table leaves the cell empty).

    ``year`` is None when the table has no year column (its figures are then taken for any requested year);
    ``above_scale`` is the table's 规模以上 flag, None when the table does not say. ``row`` is where the row
    is in the file (for messages; not part of equality).
    """

    name: str
    year: int | None = None
    operating_revenue_cny: float | None = None
    operating_profit_cny: float | None = None
    employees: int | None = None
    rnd_spending_cny: float | None = None
    industry: str | None = None
    region: str | None = None
    above_scale: bool | None = None
    row: str = field(default="", compare=False)


# ------------------------------------------------------------------------------------------------ parsing


def _fold(text: str) -> str:
    """Lower case, NFKC, with spaces and punctuation removed: the form header spellings are compared in."""
    return _FOLD_RE.sub("", unicodedata.normalize("NFKC", text).lower())


def unit_multiplier(unit: str, *, persons: bool = False) -> Decimal:
    """How many yuan (``persons``: people) one unit named ``unit`` is: ``"万元"`` → 10000, ``"100m CNY"`` → 10**8.

    Raises :class:`ValueError` for a unit it does not know (another currency, a percentage…).
    """
    folded = _UNIT_FOLD_RE.sub("", unicodedata.normalize("NFKC", unit).lower())
    if persons:
        if folded in _PERSONS:
            return _PERSONS[folded]
        raise ValueError(f"unknown unit {unit!r} for a head count (use 人 or persons)")
    scale = folded
    for word in _CURRENCY:
        scale = scale.replace(word, "")
    if scale in _SCALES:
        return _SCALES[scale]
    raise ValueError(
        f"unknown money unit {unit!r} (use 元, 千元, 万元, 百万元, 亿元, or CNY, 10k CNY, m CNY, 100m CNY)"
    )


def map_header(header: str) -> tuple[FinancialsField, Decimal, int] | None:
    """Which field a header gives, the multiplier its unit implies, and the spelling's priority (0 = best).

    ``"营业收入(万元)"`` → ``("operating_revenue", 10000, 1)``; None when the header is none of the fields.
    Raises :class:`ValueError` when it names a field with a unit that cannot be used (``营业收入(美元)``).
    """
    from patnav.ingest.text_source import clean_header

    cleaned = clean_header(header)
    unit: str | None = None
    m = _HEADER_UNIT_RE.match(cleaned)
    if m and m["base"]:
        cleaned, unit = m["base"], m["unit"]
    base = _fold(cleaned)
    if not base:
        return None
    candidates: list[tuple[FinancialsField, int, str]] = []  # (field, priority, unit written after the spelling)
    for name, spellings in HEADER_ALIASES.items():
        for priority, spelling in enumerate(spellings):
            if base == spelling:
                candidates.append((name, priority, ""))
            elif base.startswith(spelling) and name in _MONEY | {"employees"} and unit is None:
                candidates.append((name, priority, base[len(spelling) :]))  # "营业收入万元", "revenuecny"
    exact = [c for c in candidates if not c[2]]
    for name, priority, suffix in exact or sorted(candidates, key=lambda c: -len(c[2])):
        if name in _MONEY or name == "employees":
            written = unit if unit is not None else suffix
            try:
                return name, unit_multiplier(written, persons=name == "employees"), priority
            except ValueError:
                if exact or unit is not None:
                    raise
                continue  # "收入增长率": a prefix followed by something that is not a unit is not this field
        return name, Decimal(1), priority
    return None


def parse_amount(text: str, multiplier: Decimal = Decimal(1)) -> float | None:
    """An amount in yuan from a cell written in units of ``multiplier`` yuan; None for an empty cell or a dash.

    Accepts thousands separators (``1,234,567.8``, ``1 234 567``, ``1'234``; a separator that does not group
    thousands is refused as ambiguous), full-width digits, a leading ``¥``/``CNY``/``RMB``, accounting negatives
    ``(1,234)``, scientific notation, and a Chinese unit at the end (``1.2亿``, ``3000万元``) when ``multiplier``
    is 1. Raises :class:`ValueError` saying why otherwise.
    """
    s = unicodedata.normalize("NFKC", text).strip().lower()
    if s in _MISSING:
        return None
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1].strip()
    sign = ""
    for _ in range(2):  # "-¥5" and "¥-5"
        if s[:1] in ("+", "-") and not sign:
            sign, s = s[0], s[1:].strip()
        for prefix in ("人民币", "rmb", "cny", "¥"):
            if s.startswith(prefix):
                s = s[len(prefix) :].strip()
    for unit, scale in _CELL_UNITS:
        if s.endswith(unit) and len(s) > len(unit):
            if multiplier != 1:
                raise ValueError(f"{text!r} names a unit ({unit}) and so does its column header")
            s, multiplier = s[: -len(unit)].strip(), multiplier * scale
            break
    separators = {c for c in _SEPARATORS if c in s}
    if separators:
        sep = separators.pop()
        if separators or not re.fullmatch(rf"\d{{1,3}}(?:{re.escape(sep)}\d{{3}})+(?:\.\d*)?", s):
            raise ValueError(f"{text!r} is not a number (separators must group thousands; write decimals with '.')")
        s = s.replace(sep, "")
    if not _NUMBER_RE.fullmatch(s):
        raise ValueError(f"{text!r} is not a number")
    try:
        value = Decimal(sign + s) * multiplier
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only valid decimals
        raise ValueError(f"{text!r} is not a number") from exc
    result = float(-value if negative else value)
    if not math.isfinite(result):
        raise ValueError(f"{text!r} is out of range")
    return result


def parse_year(text: str) -> int | None:
    """A year from ``2024``, ``2024年``, ``2024年度``, ``FY2024`` or ``2024.0``; None when empty."""
    s = unicodedata.normalize("NFKC", text).strip().lower().replace(" ", "")
    if s in _MISSING:
        return None
    s = s.removesuffix(".0")
    m = _YEAR_RE.fullmatch(s)
    if not m or not 1900 <= int(m[1]) <= 2200:
        raise ValueError(f"{text!r} is not a year")
    return int(m[1])


def parse_flag(text: str) -> bool | None:
    """The above-scale flag: yes/no, true/false, 1/0, 是/否, 规上/规下, √/×; None when empty."""
    s = unicodedata.normalize("NFKC", text).strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    if s in _MISSING:
        return None
    raise ValueError(f"{text!r} is not yes/no (是/否, true/false, 1/0)")


# ------------------------------------------------------------------------------------------------ reading


def _money(text: str, multiplier: Decimal) -> float | None:
    return parse_amount(text, multiplier)


def _positive_money(text: str, multiplier: Decimal) -> float | None:
    value = parse_amount(text, multiplier)
    if value is not None and value < 0:
        raise ValueError(f"{text!r} is negative")
    return value


def _persons(text: str, multiplier: Decimal) -> int | None:
    value = parse_amount(text, multiplier)
    if value is not None and (value < 0 or not value.is_integer()):
        raise ValueError(f"{text!r} is not a whole number of people")
    return None if value is None else int(value)


def _text(text: str, multiplier: Decimal) -> str | None:
    return unicodedata.normalize("NFKC", text).strip() or None


_PARSERS: dict[FinancialsField, Callable[[str, Decimal], object]] = {
    "name": _text,
    "year": lambda text, _: parse_year(text),
    "operating_revenue": _positive_money,
    "operating_profit": _money,
    "employees": _persons,
    "rnd_spending": _positive_money,
    "industry": _text,
    "region": _text,
    "above_scale": lambda text, _: parse_flag(text),
}


def _columns(path: Path, header: list[str]) -> dict[FinancialsField, tuple[int, Decimal, str]]:
    """The column index, multiplier and header text of each field present in ``header``."""
    best: dict[FinancialsField, tuple[int, int, Decimal, str]] = {}
    for index, text in enumerate(header):
        try:
            mapped = map_header(text)
        except ValueError as exc:
            raise FinancialsError(f"{path}, column {text!r}: {exc}") from exc
        if mapped is None:
            continue
        name, multiplier, priority = mapped
        if name in best:
            if best[name][0] == priority:
                raise FinancialsError(
                    f"{path}: columns {best[name][3]!r} and {text!r} both give {name.replace('_', ' ')}; keep one"
                )
            if best[name][0] < priority:
                continue
        best[name] = (priority, index, multiplier, text)
    found = ", ".join(repr(h) for h in header)
    if "name" not in best:
        raise FinancialsError(f"{path}: no enterprise name column (企业名称 / name); columns found: {found}")
    if not any(f in best for f in _REQUIRED_ANY):
        raise FinancialsError(
            f"{path}: no operating revenue or profit column (营业收入 / 利润, operating revenue / profit); "
            f"columns found: {found}"
        )
    return {name: (index, multiplier, text) for name, (_, index, multiplier, text) in best.items()}


def read_financials(path: Path | str) -> list[Enterprise]:
    """The enterprises of a CSV/TSV/XLSX financials table, in file order.

    Raises :class:`FinancialsError` for a missing file, a missing name or money column (listing the columns
    found), and, all together, for every unreadable row, empty name, cell that is not a number / year / yes-no,
    or negative revenue, R&D spending or head count (naming the file, the row and the column). Profit may be
    negative.
    """
    from patnav.ingest.base import Rejected, Source, SourceError
    from patnav.ingest.text_source import iter_table

    path = Path(path)
    if not path.is_file():
        raise FinancialsError(f"{path}: financials table not found")
    source = Source(str(path), lambda: path.open("rb"), path.stat().st_size)
    columns: dict[FinancialsField, tuple[int, Decimal, str]] | None = None
    out: list[Enterprise] = []
    problems: list[str] = []
    bad = 0
    try:
        for row in iter_table(source):
            if isinstance(row, Rejected):
                bad += 1
                problems.append(f"{path}, {row.position}: {row.reason}")
                continue
            if columns is None:
                columns = _columns(path, row.header)
            values: dict[str, object] = {}
            wrong: list[str] = []
            for name, (index, multiplier, header) in columns.items():
                text = row.values[index] if index < len(row.values) else ""
                try:
                    values[name] = _PARSERS[name](text, multiplier)
                except ValueError as exc:
                    wrong.append(f"{path}, {row.position}, column {header!r}: {exc}")
            if not wrong and values["name"] is None:
                wrong.append(f"{path}, {row.position}, column {columns['name'][2]!r}: empty enterprise name")
            if wrong:  # every bad cell of every row is reported together: one round of corrections
                bad += 1
                problems.extend(wrong)
                continue
            out.append(
                Enterprise(
                    name=cast(str, values["name"]),
                    year=cast(int | None, values.get("year")),
                    operating_revenue_cny=cast(float | None, values.get("operating_revenue")),
                    operating_profit_cny=cast(float | None, values.get("operating_profit")),
                    employees=cast(int | None, values.get("employees")),
                    rnd_spending_cny=cast(float | None, values.get("rnd_spending")),
                    industry=cast(str | None, values.get("industry")),
                    region=cast(str | None, values.get("region")),
                    above_scale=cast(bool | None, values.get("above_scale")),
                    row=row.position,
                )
            )
    except SourceError as exc:
        raise FinancialsError(f"{path}: {exc}") from exc
    if problems:
        # A KPI over part of a table would misstate the totals: the table is refused, with every reason.
        shown = problems[:MAX_PROBLEMS]
        more = f"\n… and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
        head = f"{path}: {bad} row(s) cannot be used:\n" if bad > 1 else ""
        raise FinancialsError(head + "\n".join(shown) + more, problems)
    if columns is None:
        raise FinancialsError(f"{path}: no rows")
    return out
