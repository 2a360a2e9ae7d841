"""Versioned, sourced rules: every threshold, term, weight and concordance an indicator uses.

A rule is one YAML file ``<domain>/<version>.yaml`` holding ``domain``, ``version``, ``title``, ``source``,
``effective_from``, ``verified`` (was the number seen in the primary text?), ``placeholder`` (a stand-in for a
table we could not obtain; every output that uses it says so), ``default`` (the version used when none is
named), ``notes`` and ``params`` (the numbers themselves). The built-in rules ship in this package; a user adds
or replaces versions by putting files of the same layout in a folder named by ``PATNAV_RULES_DIR`` (or passed
as ``extra_dirs``): a user file with the same domain and version wins over the built-in one.

Why files and not code: policy changes (the 15th Five-Year Plan drops a high-value category; a concordance
gets its official version) become a new file a reviewer can read, not a code change, and every report prints
the versions it used.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

BUILTIN_DIR = Path(__file__).with_name("rules")

_REQUIRED = ("domain", "version", "title", "source", "effective_from", "verified")


class RuleError(ValueError):
    """A rule file is malformed, or a requested rule does not exist (the message names the file or the choices)."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One version of one rule domain, with where its numbers come from and how sure they are."""

    domain: str
    version: str
    title: str
    source: str
    effective_from: dt.date
    verified: bool
    placeholder: bool = False
    default: bool = False
    notes: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def label(self) -> str:
        """``domain/version`` with the caveats a reader must see next to any figure that used the rule."""
        caveats = [c for c, on in (("placeholder", self.placeholder), ("unverified", not self.verified)) if on]
        return f"{self.domain}/{self.version}" + (f" ({', '.join(caveats)})" if caveats else "")

    def param(self, name: str) -> Any:
        """A parameter by dotted name (``"terms.CN.utility_model"``); raises :class:`RuleError` naming the file."""
        node: Any = self.params
        for part in name.split("."):
            if not isinstance(node, Mapping) or part not in node:
                raise RuleError(f"rule {self.domain}/{self.version} ({self.path}) has no parameter {name!r}")
            node = node[part]
        return node


def rule_dirs(extra_dirs: Iterable[Path | str] = ()) -> list[Path]:
    """Where rules are looked up, lowest priority first: built-in, then ``PATNAV_RULES_DIR``, then ``extra_dirs``."""
    dirs = [BUILTIN_DIR]
    env = os.environ.get("PATNAV_RULES_DIR")
    if env:
        dirs += [Path(p) for p in env.split(os.pathsep) if p]
    dirs += [Path(p) for p in extra_dirs]
    return dirs


def read_rule(path: Path) -> Rule:
    """Parse one rule file; a missing key or a wrong type raises :class:`RuleError` naming the file and key."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, ValueError) as exc:  # PyYAML raises ValueError for dates like 2020-13-01
        raise RuleError(f"{path}: cannot read rule file: {exc}") from exc
    if not isinstance(data, dict):
        raise RuleError(f"{path}: a rule file must be a mapping")
    missing = [k for k in _REQUIRED if k not in data]
    if missing:
        raise RuleError(f"{path}: missing {', '.join(missing)}")
    effective = data["effective_from"]
    if isinstance(effective, str):
        try:
            effective = dt.date.fromisoformat(effective)
        except ValueError as exc:
            raise RuleError(f"{path}: effective_from {effective!r} is not an ISO date") from exc
    if not isinstance(effective, dt.date):
        raise RuleError(f"{path}: effective_from must be a date")
    params = data.get("params") or {}
    if not isinstance(params, dict):
        raise RuleError(f"{path}: params must be a mapping")
    for key in ("verified", "placeholder", "default"):
        if key in data and not isinstance(data[key], bool):
            raise RuleError(f"{path}: {key} must be true or false")
    return Rule(
        domain=str(data["domain"]),
        version=str(data["version"]),
        title=str(data["title"]),
        source=str(data["source"]).strip(),
        effective_from=effective,
        verified=data["verified"],
        placeholder=bool(data.get("placeholder", False)),
        default=bool(data.get("default", False)),
        notes=str(data.get("notes") or "").strip(),
        params=params,
        path=path,
    )


def available_rules(domain: str | None = None, extra_dirs: Iterable[Path | str] = ()) -> list[Rule]:
    """Every rule version (user files replacing built-in ones of the same domain/version), sorted."""
    found: dict[tuple[str, str], Rule] = {}
    for folder in rule_dirs(extra_dirs):
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*/*.yaml")):
            rule = read_rule(path)
            if rule.domain != path.parent.name:
                raise RuleError(f"{path}: domain {rule.domain!r} does not match its folder {path.parent.name!r}")
            found[(rule.domain, rule.version)] = rule
    rules = [r for r in found.values() if domain is None or r.domain == domain]
    return sorted(rules, key=lambda r: (r.domain, r.effective_from, r.version))


def load_rule(domain: str, version: str | None = None, extra_dirs: Iterable[Path | str] = ()) -> Rule:
    """The rule ``domain/version``; without a version, the one marked default (else the latest effective)."""
    rules = available_rules(domain, extra_dirs)
    if not rules:
        raise RuleError(f"no rules for {domain!r}; domains: {', '.join(sorted({r.domain for r in available_rules()}))}")
    if version is None:
        defaults = [r for r in rules if r.default]
        return defaults[-1] if defaults else rules[-1]
    for rule in rules:
        if rule.version == version:
            return rule
    raise RuleError(f"no rule {domain}/{version}; versions: {', '.join(r.version for r in rules)}")
