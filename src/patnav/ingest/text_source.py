"""Text sources shared by every tabular reader: encoding detection, streaming CSV/TSV and XLSX rows.

Chinese tools write GBK/GB18030 or UTF-8 with a BOM, Japanese ones Shift_JIS or EUC-JP, old Excel cp1252.
:func:`detect_encoding` decides from the BOM, then from a UTF-8 check, then from charset-normalizer over a
bounded sample; when that is not confident it raises :class:`SourceError` naming the file and the candidates
instead of guessing. :func:`iter_table` streams the rows of a CSV/TSV (or an XLSX sheet) with the data-row and
line numbers a user can find in an editor, and turns broken rows (an unbalanced quote that swallowed the next
lines, a wrong number of columns, a NUL byte) into :class:`Rejected` items while reading on.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import shutil
import tempfile
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from patnav.i18n import N_
from patnav.ingest.base import NotRecognisedError, Reason, Rejected, Source, SourceError
from patnav.model.language import script_language

__all__ = [
    "SAMPLE_BYTES",
    "TableRow",
    "clean_header",
    "detect_encoding",
    "detect_lang",
    "is_xlsx",
    "iter_table",
    "sniff_delimiter",
]

#: How much of a file encoding detection looks at.
SAMPLE_BYTES = 1 << 20
#: The longest cell accepted (full-text exports carry whole descriptions); longer ones reject their row.
MAX_FIELD_CHARS = 16 * 1024 * 1024

#: Legacy encodings accepted from charset-normalizer, grouped into the codec that decodes the whole family
#: (GB18030 is a superset of GBK and GB2312, cp932 of Shift_JIS, Big5-HKSCS of Big5).
_FAMILIES: dict[str, str] = {
    "gb18030": "gb18030",
    "gbk": "gb18030",
    "gb2312": "gb18030",
    "hz": "gb18030",
    "big5": "big5hkscs",
    "big5hkscs": "big5hkscs",
    "cp950": "big5hkscs",
    "shift_jis": "cp932",
    "cp932": "cp932",
    "shift_jisx0213": "cp932",
    "euc_jp": "euc_jp",
    "euc_jis_2004": "euc_jp",
    "cp1252": "cp1252",
    "latin_1": "cp1252",
    "iso8859_15": "cp1252",
}
_CANDIDATES = ["gb18030", "big5", "shift_jis", "cp932", "euc_jp", "cp1252"]
#: charset-normalizer "chaos" above which a decoding is considered wrong.
_MAX_CHAOS = 0.2

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def detect_encoding(sample: bytes, name: str, *, complete: bool = False) -> str:
    """The Python codec to decode a file starting with ``sample`` (``complete``: the sample is the whole file).

    Raises :class:`SourceError` naming ``name`` and the candidates when the encoding cannot be told.
    """
    for bom, enc in _BOMS:
        if sample.startswith(bom):
            return enc
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=complete)
        return "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = f"not UTF-8 (byte 0x{sample[exc.start]:02x} at offset {exc.start})"
    # charset-normalizer is slow on big inputs; a few hundred kB decide as well as a megabyte.
    sample = sample[: SAMPLE_BYTES // 4] if len(sample) > SAMPLE_BYTES // 4 else sample
    if not complete:  # do not hand a character cut at the end of the sample to the detector
        sample = sample[: sample.rfind(b"\n") + 1] or sample
    from charset_normalizer import from_bytes

    results = [
        m
        for m in from_bytes(sample, cp_isolation=_CANDIDATES, explain=False)
        if m.encoding in _FAMILIES and m.chaos <= _MAX_CHAOS
    ]
    if not results:
        raise SourceError(
            f"{name}: cannot determine the text encoding ({utf8_error}; none of "
            f"{', '.join(_CANDIDATES)} decodes it cleanly); convert the file to UTF-8"
        )
    families = {_FAMILIES[m.encoding] for m in results}
    best = results[0]
    if len(families) > 1:
        # several encodings read it; accept the best only if it is clearly better than every other family
        rivals = [m for m in results[1:] if _FAMILIES[m.encoding] != _FAMILIES[best.encoding]]
        clear = all(
            best.chaos + 0.05 <= m.chaos or best.coherence >= m.coherence + 0.2 or str(best) == str(m) for m in rivals
        )
        if not clear:
            listed = ", ".join(f"{m.encoding} (chaos {m.chaos:.2f}, coherence {m.coherence:.2f})" for m in results[:5])
            raise SourceError(
                f"{name}: cannot determine the text encoding with confidence ({utf8_error}); candidates: "
                f"{listed}; convert the file to UTF-8"
            )
    return _FAMILIES[best.encoding]


# --------------------------------------------------------------------------------------------- language


def detect_lang(text: str | None, sample: int = 2000) -> str | None:
    """A rough language code from the script of the first ``sample`` characters (see model.language)."""
    return script_language(text, sample)


# --------------------------------------------------------------------------------------------- headers

_WS_RE = re.compile(r"\s+")
_HEADER_FOLD = str.maketrans({"（": "(", "）": ")", "\ufeff": "", "：": ":", "／": "/", "\u3000": " "})


def clean_header(text: str | None) -> str:
    """A header cell folded for matching: BOM and spaces removed, full-width brackets made half-width, lower case."""
    return _WS_RE.sub("", (text or "").translate(_HEADER_FOLD)).lower()


# --------------------------------------------------------------------------------------------- rows


@dataclass(slots=True)
class TableRow:
    """One data row: its 1-based number among data rows, the line(s) it spans, the header and its cells."""

    row: int
    line: int
    end_line: int
    header: list[str]
    values: list[str]
    sheet: str | None = None

    @property
    def position(self) -> str:
        if self.sheet is not None:
            return f"row {self.row} (sheet {self.sheet!r}, row {self.line})"
        lines = f"line {self.line}" if self.end_line == self.line else f"lines {self.line}-{self.end_line}"
        return f"row {self.row} ({lines})"

    def as_dict(self) -> dict[str, str]:
        return dict(zip(self.header, self.values, strict=False))


def sniff_delimiter(text: str) -> str:
    """Comma, tab or semicolon: whichever splits the header-looking lines of ``text`` into most columns."""
    best, best_count = ",", -1
    lines = [ln for ln in text.splitlines()[:10] if ln.strip()]
    for delim in (",", "\t", ";"):
        count = max((_count_outside_quotes(ln, delim) for ln in lines), default=0)
        if count > best_count:
            best, best_count = delim, count
    return best


def _count_outside_quotes(line: str, delim: str) -> int:
    n, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == delim and not quoted:
            n += 1
    return n


def is_xlsx(head: bytes, filename: str) -> bool:
    return head.startswith(b"PK\x03\x04") and filename.lower().endswith((".xlsx", ".xlsm", ""))


def iter_table(
    source: Source,
    *,
    is_header: Callable[[list[str]], bool] | None = None,
    max_preamble: int = 20,
    encoding: str | None = None,
) -> Iterator[TableRow | Rejected]:
    """Stream the data rows of a CSV/TSV/XLSX source.

    The header is the first non-empty row, or the first of the first ``max_preamble`` rows for which
    ``is_header`` is true (lines above it, e.g. Google's ``search URL:`` line, are skipped). Raises
    :class:`SourceError` for an undecidable encoding, a missing header or an old binary XLS file.
    """
    head = source.head(SAMPLE_BYTES)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise SourceError(f"{source.name}: an old binary Excel (XLS) file; save it as XLSX or CSV and load that")
    if head.startswith(b"PK\x03\x04"):
        yield from _iter_xlsx(source, is_header, max_preamble)
        return
    enc = encoding or detect_encoding(head, source.name, complete=len(head) < SAMPLE_BYTES)
    try:
        head_text = codecs.getincrementaldecoder(enc)(errors="replace").decode(head[:65536])
    except LookupError as exc:  # pragma: no cover - encoding given by a caller
        raise SourceError(f"{source.name}: unknown encoding {enc!r}") from exc
    delimiter = sniff_delimiter(head_text.lstrip("\ufeff"))
    raw = source.open()
    try:
        text = io.TextIOWrapper(raw, encoding=enc, newline="")
        yield from _iter_csv(text, source.name, enc, delimiter, is_header, max_preamble)
    finally:
        raw.close()


class _LineFeed:
    """The lines csv.reader pulls, numbered, remembered per record, with lines pushed back for re-reading."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines
        self.count = 0
        self.pushback: deque[tuple[int, str]] = deque()
        self.record: list[tuple[int, str]] = []

    def __iter__(self) -> _LineFeed:
        return self

    def __next__(self) -> str:
        if self.pushback:
            item = self.pushback.popleft()
        else:
            line = next(self._lines)
            self.count += 1
            item = (self.count, line)
        self.record.append(item)
        return item[1]

    def push_back(self, items: list[tuple[int, str]]) -> None:
        self.pushback.extendleft(reversed(items))


def _iter_csv(
    text: io.TextIOWrapper,
    name: str,
    enc: str,
    delimiter: str,
    is_header: Callable[[list[str]], bool] | None,
    max_preamble: int,
) -> Iterator[TableRow | Rejected]:
    feed = _LineFeed(iter(text))
    csv.field_size_limit(MAX_FIELD_CHARS)
    reader = csv.reader(feed, delimiter=delimiter, quotechar='"', doublequote=True, strict=False)
    header: list[str] | None = None
    seen = 0
    row_no = 0
    while True:
        feed.record = []
        try:
            cells = next(reader)
        except StopIteration:
            break
        except UnicodeDecodeError as exc:
            raise SourceError(
                f"{name}: bytes after line {feed.count} cannot be decoded as {enc} ({exc.reason}); "
                "the rows before were read"
            ) from exc
        except csv.Error as exc:
            record = feed.record
            if header is None:
                raise SourceError(f"{name}: cannot read the header line: {exc}") from exc
            row_no += 1
            first = record[0] if record else (feed.count, "")
            yield Rejected(
                position=f"row {row_no} (line {first[0]})",
                reason=Reason(
                    N_("unreadable CSV row ({problem}); reading on from line {line}"),
                    problem=str(exc),
                    line=first[0] + 1,
                ),
                raw=first[1][:500],
            )
            feed.push_back(record[1:])
            continue
        record = feed.record
        if not cells or all(not c.strip() for c in cells):
            continue
        if header is None:
            seen += 1
            if is_header is None or is_header(cells):
                header = [c.lstrip("\ufeff").strip() for c in cells]
                continue
            if seen >= max_preamble:
                raise NotRecognisedError(f"{name}: no header row recognised in the first {max_preamble} rows")
            continue
        row_no += 1
        first_line, last_line = record[0][0], record[-1][0]
        if len(cells) != len(header):
            position = f"row {row_no} (line {first_line})"
            if len(record) > 1 and '"' in record[0][1]:
                yield Rejected(
                    position=position,
                    reason=Reason(
                        N_(
                            "unbalanced quote: the row runs over lines {first}-{last} and has {cells} fields where "
                            "the header has {expected}; reading on from line {next}"
                        ),
                        first=first_line,
                        last=last_line,
                        cells=len(cells),
                        expected=len(header),
                        next=first_line + 1,
                    ),
                    raw=record[0][1][:500],
                )
                feed.push_back(record[1:])
            else:
                where = position if len(record) == 1 else f"row {row_no} (lines {first_line}-{last_line})"
                yield Rejected(
                    position=where,
                    reason=Reason(
                        N_("{cells} fields where the header has {expected}"), cells=len(cells), expected=len(header)
                    ),
                    raw="".join(line for _, line in record)[:500],
                )
            continue
        yield TableRow(row=row_no, line=first_line, end_line=last_line, header=header, values=cells)
    if header is None:
        raise NotRecognisedError(f"{name}: empty file, or no header row found")


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _seekable(source: Source) -> BinaryIO:
    raw = source.open()
    try:
        if raw.seekable():
            return raw
    except (AttributeError, OSError):
        pass
    spool = tempfile.SpooledTemporaryFile(max_size=64 << 20)  # archive members are not seekable
    with raw:
        shutil.copyfileobj(raw, spool)
    spool.seek(0)
    return spool  # type: ignore[return-value]


def _iter_xlsx(
    source: Source, is_header: Callable[[list[str]], bool] | None, max_preamble: int
) -> Iterator[TableRow | Rejected]:
    from openpyxl import load_workbook

    fh = _seekable(source)
    try:
        try:
            wb = load_workbook(fh, read_only=True, data_only=True)
        except Exception as exc:  # zipfile/openpyxl raise many kinds for a damaged workbook
            raise SourceError(f"{source.name}: not a readable XLSX workbook ({exc})") from exc
        try:
            ws = wb.worksheets[0]
            header: list[str] | None = None
            row_no = 0
            for sheet_row, values in enumerate(ws.iter_rows(values_only=True), start=1):
                cells = [_cell_text(v) for v in values]
                while cells and not cells[-1].strip():
                    cells.pop()
                if not cells:
                    continue
                if header is None:
                    if is_header is None or is_header(cells):
                        header = [c.lstrip("\ufeff").strip() for c in cells]
                    elif sheet_row >= max_preamble:
                        raise NotRecognisedError(
                            f"{source.name}: no header row recognised in the first {max_preamble} rows"
                        )
                    continue
                row_no += 1
                if len(cells) > len(header):
                    yield Rejected(
                        position=f"row {row_no} (sheet {ws.title!r}, row {sheet_row})",
                        reason=Reason(
                            N_("{cells} cells where the header has {expected}"), cells=len(cells), expected=len(header)
                        ),
                        raw="\t".join(cells)[:500],
                    )
                    continue
                cells += [""] * (len(header) - len(cells))
                yield TableRow(row_no, sheet_row, sheet_row, header, cells, sheet=ws.title)
            if header is None:
                raise NotRecognisedError(f"{source.name}: empty workbook, or no header row found")
        finally:
            wb.close()
    finally:
        fh.close()
