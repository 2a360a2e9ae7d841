"""The report model: what a navigation report says, independent of the format it is delivered in.

A report is a list of sections; a section holds blocks. Every table and chart carries the data behind it
(for the XLSX annex) and the query or computation that made it (for provenance). Text is already in the
report's language when the model is built; renderers only lay it out.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal


@dataclass
class Paragraph:
    """Running text; ``figures`` are the numbers it quotes, kept so a reader can trace them."""

    text: str
    kind: Literal["paragraph"] = "paragraph"
    figures: dict[str, Any] = field(default_factory=dict)


@dataclass
class KeyFigures:
    """A row of headline numbers (label → formatted value)."""

    items: list[tuple[str, str]]
    kind: Literal["figures"] = "figures"


@dataclass
class Table:
    """A table: column headings, rows of cells (strings or numbers), a caption and where it came from."""

    columns: list[str]
    rows: list[list[Any]]
    caption: str = ""
    source: str = ""
    sql: str = ""  # the statements that made it, with their parameters (filled by the runner)
    kind: Literal["table"] = "table"


@dataclass
class Chart:
    """A Vega-Lite v5 chart; ``data`` are the rows it draws (also written to the XLSX annex)."""

    spec: dict[str, Any]
    caption: str = ""
    source: str = ""
    data: list[dict[str, Any]] = field(default_factory=list)
    sql: str = ""  # the statements that made it, with their parameters (filled by the runner)
    height_hint: int = 320
    kind: Literal["chart"] = "chart"


@dataclass
class Note:
    """A caveat or limitation the reader must see (placeholders, truncated years, estimates)."""

    text: str
    kind: Literal["note"] = "note"


Block = Paragraph | KeyFigures | Table | Chart | Note


@dataclass
class Section:
    """A numbered section of the report."""

    id: str
    title: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Report:
    """A whole report: title, language, provenance and sections."""

    title: str
    lang: str
    subtitle: str = ""
    provenance: list[tuple[str, str]] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)

    def charts(self) -> list[tuple[Section, Chart]]:
        return [(s, b) for s in self.sections for b in s.blocks if isinstance(b, Chart)]

    def tables(self) -> list[tuple[Section, Table]]:
        return [(s, b) for s in self.sections for b in s.blocks if isinstance(b, Table)]

    def to_json(self) -> str:
        """The model as JSON (kept with each run, so a refresh can say what changed)."""
        return json.dumps(asdict(self), ensure_ascii=False, default=str, indent=1)

    @classmethod
    def from_json(cls, text: str) -> Report:
        raw = json.loads(text)
        kinds = {"paragraph": Paragraph, "figures": KeyFigures, "table": Table, "chart": Chart, "note": Note}
        sections = []
        for s in raw["sections"]:
            blocks = []
            for b in s["blocks"]:
                kind = b.pop("kind")
                if kind == "figures":
                    b["items"] = [tuple(i) for i in b["items"]]
                blocks.append(kinds[kind](**b))
            sections.append(Section(s["id"], s["title"], blocks))
        return cls(
            title=raw["title"],
            lang=raw["lang"],
            subtitle=raw.get("subtitle", ""),
            provenance=[tuple(p) for p in raw.get("provenance", [])],
            sections=sections,
            summary=raw.get("summary", {}),
        )
