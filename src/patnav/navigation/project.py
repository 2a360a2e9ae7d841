"""A navigation project is a YAML file anyone can read, edit, version and re-run: the same file over the same
data gives the same report.

Types follow GB/T 39551 parts 2–6: ``regional`` (regional planning), ``industry`` (industrial planning),
``enterprise`` (business operation), ``rnd`` (R&D activities), ``talent`` (talent management).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

TYPES = ("regional", "industry", "enterprise", "rnd", "talent")
LANGS = ("zh_CN", "ja", "en")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class _Loader(yaml.SafeLoader):
    """YAML without implicit dates: ``as_of`` is parsed here, so a bad date names its field."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class ProjectError(ValueError):
    """A project file is malformed or a project does not exist; the message names the file and the field."""


@dataclass
class Project:
    """One navigation project.

    ``query`` (the query language of ``patnav search``) and/or ``seeds`` (publication numbers) define the
    patent set; ``expand`` grows it from the seeds (``family``, ``citations``, ``ipc`` — over-represented
    classification codes); ``sample_file`` is a hand-checked CSV (``publication_number,relevant``) from which
    the report states precision (GB/T 39551 asks for the set's recall and precision). ``as_of`` is the data
    cut-off (default: the latest publication date in the set). ``competitors`` name the enterprises an
    ``enterprise`` project benchmarks against ``client`` (the enterprise itself, as its applicant name reads);
    ``proposal`` is the idea text an ``rnd`` project starts from. ``industry_file`` (``regional``) is a CSV of the
    region's industry structure the report matches the region's patents against: columns ``nace2`` (a NACE
    Rev.2 code, division such as ``26`` or ``C26`` or finer such as ``26.1``), ``value`` (value added, output or
    employment, any unit: shares are computed) and optionally ``label``; paths are relative to the project file.
    """

    name: str
    type: str
    title: str = ""
    query: str | None = None
    seeds: list[str] = field(default_factory=list)
    expand: list[str] = field(default_factory=list)
    region: str | None = None
    lang: str = "zh_CN"
    as_of: dt.date | None = None
    competitors: list[str] = field(default_factory=list)
    proposal: str | None = None
    sample_file: str | None = None
    rules: dict[str, str] = field(default_factory=dict)
    top: int = 15
    client: str = ""
    question: str = ""
    denoise: float | None = None
    industry_file: str | None = None

    def to_yaml(self) -> str:
        data: dict[str, Any] = {k: v for k, v in asdict(self).items() if v not in (None, "", [], {})}
        data["name"], data["type"] = self.name, self.type
        if self.as_of:
            data["as_of"] = self.as_of.isoformat()
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def projects_dir() -> Path:
    """Where projects live: ``PATNAV_PROJECTS``, else ``var/projects``."""
    return Path(os.environ.get("PATNAV_PROJECTS", "var/projects"))


def project_path(name_or_path: str | Path, folder: Path | None = None) -> Path:
    """A project's file: the path given, or ``<projects>/<name>.yaml``."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        return candidate
    return (folder or projects_dir()) / f"{name_or_path}.yaml"


def validate(project: Project, where: str = "project") -> Project:
    """Check every field; raise :class:`ProjectError` naming the field."""
    if not _NAME.fullmatch(project.name):
        raise ProjectError(f"{where}: name {project.name!r}: use letters, digits, '.', '_' or '-' (max 64)")
    if project.type not in TYPES:
        raise ProjectError(f"{where}: type {project.type!r}: choose one of {', '.join(TYPES)}")
    if project.lang not in LANGS:
        raise ProjectError(f"{where}: lang {project.lang!r}: choose one of {', '.join(LANGS)}")
    if not project.query and not project.seeds:
        raise ProjectError(f"{where}: give a query, seeds, or both, to define the patent set")
    unknown = set(project.expand) - {"family", "citations", "ipc"}
    if unknown:
        raise ProjectError(f"{where}: expand {sorted(unknown)}: choose from family, citations, ipc")
    if project.top < 1:
        raise ProjectError(f"{where}: top must be at least 1")
    if project.denoise is not None and not 0 < project.denoise <= 10:
        raise ProjectError(f"{where}: denoise {project.denoise!r}: a number of deviations above 0 and at most 10")
    if project.type == "rnd" and not project.proposal and not project.seeds:
        raise ProjectError(f"{where}: an rnd project needs a proposal text or seed patents")
    return project


def load_project(path: Path) -> Project:
    """Read and validate a project file."""
    if not path.is_file():
        raise ProjectError(f"no project file {path} (create one with `patnav project new`)")
    return parse_project(path.read_text(encoding="utf-8"), str(path))


def parse_project(text: str, where: str = "project") -> Project:
    """A project from the text of its YAML file (``where`` names it in messages); validated."""
    try:
        data = yaml.load(text, Loader=_Loader) or {}
    except (yaml.YAMLError, ValueError) as exc:
        raise ProjectError(f"{where}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ProjectError(f"{where}: a project file is a mapping of fields")
    known = set(Project.__dataclass_fields__)
    unknown = sorted(str(k) for k in set(data) - known)
    if unknown:
        raise ProjectError(f"{where}: unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    for key in ("name", "type"):
        if key not in data:
            raise ProjectError(f"{where}: missing {key}")
    as_of = data.get("as_of")
    if isinstance(as_of, str):
        try:
            data["as_of"] = dt.date.fromisoformat(as_of)
        except ValueError as exc:
            raise ProjectError(f"{where}: as_of {as_of!r} is not a date (YYYY-MM-DD)") from exc
    for key in ("seeds", "expand", "competitors"):
        if key in data and data[key] is not None:
            if not isinstance(data[key], list) or not all(isinstance(x, str | int) for x in data[key]):
                raise ProjectError(f"{where}: {key} must be a list of texts")
            data[key] = [str(x) for x in data[key]]
    for key in ("title", "query", "region", "lang", "proposal", "sample_file", "client", "question", "industry_file"):
        if data.get(key) is not None and not isinstance(data[key], str | int | float):
            raise ProjectError(f"{where}: {key} must be a text")
    if data.get("rules") is not None and not isinstance(data["rules"], dict):
        raise ProjectError(f"{where}: rules must be a mapping of rule name to version")
    if (
        "top" in data
        and data["top"] is not None
        and (isinstance(data["top"], bool) or not isinstance(data["top"], int))
    ):
        raise ProjectError(f"{where}: top must be a whole number")
    try:
        project = Project(**{k: v for k, v in data.items() if v is not None})
    except TypeError as exc:
        raise ProjectError(f"{where}: {exc}") from exc
    project.name, project.type = str(project.name), str(project.type)
    for key in ("title", "client", "question"):
        setattr(project, key, str(getattr(project, key)))
    for key in ("query", "region", "proposal", "sample_file", "industry_file"):
        value = getattr(project, key)
        setattr(project, key, str(value) if value is not None else None)
    return validate(project, where)


def save_project(project: Project, path: Path) -> Path:
    validate(project, str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(project.to_yaml(), encoding="utf-8")
    return path
