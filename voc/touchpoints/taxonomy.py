"""Touchpoint taxonomies: plain YAML files users edit, loaded and checked here.

A taxonomy is a list of entries ``{name, description, keywords?, examples?, stage?,
catch_all?}``
(or a mapping with that list under ``touchpoints:``). Validation collects *every*
problem with its file, line and entry, so ``voc taxonomy check`` can show them all at
once; :func:`load_taxonomy` refuses a file with any problem, so a typo never turns
silently into a touchpoint that matches nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from voc.errors import ConfigError

#: Journey stages, in order. A touchpoint's ``stage`` must be one of these.
STAGES: tuple[str, ...] = ("awareness", "consideration", "purchase", "post-purchase", "advocacy")
#: The label of a sentence no touchpoint fits; it cannot be a touchpoint's name.
NONE = "none"
FIELDS = ("name", "description", "keywords", "examples", "stage", "catch_all")


@dataclass(frozen=True)
class Touchpoint:
    name: str
    description: str
    keywords: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    stage: str | None = None
    #: a "general" / "other" touchpoint: it also takes every sentence no other one claims
    catch_all: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "description": self.description}
        if self.keywords:
            out["keywords"] = list(self.keywords)
        if self.examples:
            out["examples"] = list(self.examples)
        if self.stage:
            out["stage"] = self.stage
        if self.catch_all:
            out["catch_all"] = True
        return out


@dataclass(frozen=True)
class Taxonomy:
    touchpoints: tuple[Touchpoint, ...]
    source: str = "<memory>"
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.touchpoints]

    def __len__(self) -> int:
        return len(self.touchpoints)

    def __iter__(self) -> Iterator[Touchpoint]:
        return iter(self.touchpoints)

    @property
    def catch_all(self) -> int | None:
        """Index of the catch-all touchpoint, if the taxonomy has one."""
        return next((j for j, t in enumerate(self.touchpoints) if t.catch_all), None)

    def to_entries(self) -> list[dict[str, Any]]:
        return [t.to_dict() for t in self.touchpoints]

    @classmethod
    def from_entries(cls, entries: list[dict[str, Any]], source: str = "<memory>") -> "Taxonomy":
        """Build a taxonomy from in-memory entries, with the same checks as a file."""
        problems = validate_entries(entries, source)
        if problems:
            raise ConfigError(_summary(source, problems))
        return cls(_entries(entries), source=source)


def normalize_keyword(keyword: str) -> str:
    """Keywords compare case- and space-insensitively ("Check out" == "check  out")."""
    return re.sub(r"\s+", " ", keyword.strip().lower())


def _entry(raw: dict[str, Any]) -> Touchpoint:
    return Touchpoint(
        name=str(raw["name"]).strip(),
        description=str(raw["description"]).strip(),
        keywords=tuple(str(k).strip() for k in raw.get("keywords") or () if str(k).strip()),
        examples=tuple(str(x).strip() for x in raw.get("examples") or () if str(x).strip()),
        stage=(str(raw["stage"]).strip().lower() if raw.get("stage") else None),
        catch_all=raw.get("catch_all") is True,
    )


#: A touchpoint named with one of these words ("Other", "General", "anecdotes/miscellaneous")
#: is the catch-all unless the file sets ``catch_all`` on some entry: users write such an
#: entry to collect what fits nowhere else, and rarely know the flag exists.
CATCH_ALL_WORDS = frozenset({"other", "others", "misc", "miscellaneous", "general"})


def _entries(raw: list[dict[str, Any]]) -> tuple[Touchpoint, ...]:
    """Touchpoints of validated entries, with the catch-all inferred from the names when
    no entry says which it is (exactly one name must qualify)."""
    out = [_entry(e) for e in raw]
    if any("catch_all" in e for e in raw):
        return tuple(out)
    named = [j for j, t in enumerate(out) if CATCH_ALL_WORDS & set(re.findall(r"[a-z]+", t.name.lower()))]
    if len(named) == 1:
        out[named[0]] = replace(out[named[0]], catch_all=True)
    return tuple(out)


# --- reading ------------------------------------------------------------------------
def _read(path: Path) -> tuple[Any, list[int | None]]:
    """Parse ``path``; also return the line of each top-level entry for messages."""
    if not path.is_file():
        raise ConfigError(f"taxonomy file {path} not found; pass a YAML file of touchpoint entries")
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from exc
    if isinstance(node, yaml.MappingNode):  # {touchpoints: [...]} form
        node = next((v for k, v in node.value if getattr(k, "value", None) == "touchpoints"), None)
    lines: list[int | None] = []
    if isinstance(node, yaml.SequenceNode):
        lines = [item.start_mark.line + 1 for item in node.value]
    return data, lines


def _entries_of(data: Any) -> list[Any] | None:
    if isinstance(data, dict) and "touchpoints" in data:
        data = data["touchpoints"]
    return data if isinstance(data, list) else None


def validate_entries(entries: Any, source: str = "<memory>", lines: list[int | None] | None = None) -> list[str]:
    """Every problem with ``entries``, one message each; [] when the taxonomy is fine."""
    if not isinstance(entries, list) or not entries:
        return [f"{source}: expected a non-empty list of touchpoint entries "
                "({name, description, keywords?, examples?, stage?, catch_all?}), optionally under 'touchpoints:'"]
    lines = lines or []
    problems: list[str] = []
    seen_names: dict[str, str] = {}
    keyword_owner: dict[str, str] = {}
    catch_all: str | None = None

    for i, raw in enumerate(entries):
        line = lines[i] if i < len(lines) else None
        where = f"{source}:{line}" if line else source
        if not isinstance(raw, dict):
            problems.append(f"{where}: entry {i + 1} is not a mapping with name and description")
            continue
        name = str(raw.get("name") or "").strip()
        label = f"entry {i + 1} ({name!r})" if name else f"entry {i + 1}"
        for key in raw:
            if key not in FIELDS:
                hint = next((f for f in FIELDS if f.startswith(str(key)[:4])), None)
                problems.append(f"{where}: {label}: unknown field {key!r}"
                                + (f" (did you mean {hint!r}?)" if hint else f"; fields are {', '.join(FIELDS)}"))
        if not name:
            problems.append(f"{where}: {label}: missing name")
        elif name.lower() == NONE:
            problems.append(f"{where}: {label}: {NONE!r} is reserved for sentences no touchpoint fits")
        elif name.lower() in seen_names:
            problems.append(f"{where}: {label}: duplicate name (also {seen_names[name.lower()]})")
        else:
            seen_names[name.lower()] = label
        if not isinstance(raw.get("description"), str) or not raw["description"].strip():
            problems.append(f"{where}: {label}: empty description; one sentence saying what the touchpoint "
                            "covers is what zero-shot tagging compares sentences to")
        for key in ("keywords", "examples"):
            value = raw.get(key)
            if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                problems.append(f"{where}: {label}: {key} must be a list of strings")
        if "catch_all" in raw:
            if not isinstance(raw["catch_all"], bool):
                problems.append(f"{where}: {label}: catch_all must be true or false")
            elif raw["catch_all"] and catch_all is not None:
                problems.append(f"{where}: {label}: only one touchpoint can be catch_all (also {catch_all})")
            elif raw["catch_all"]:
                catch_all = label
        stage = raw.get("stage")
        if stage is not None and str(stage).strip().lower() not in STAGES:
            problems.append(f"{where}: {label}: unknown stage {stage!r}; use one of {', '.join(STAGES)}")
        keywords = raw.get("keywords") if isinstance(raw.get("keywords"), list) else []
        own: set[str] = set()
        for kw in keywords:
            if not isinstance(kw, str):
                continue
            norm = normalize_keyword(kw)
            if not norm:
                problems.append(f"{where}: {label}: empty keyword")
            elif norm in own:
                problems.append(f"{where}: {label}: keyword {kw!r} listed twice")
            elif norm in keyword_owner:
                problems.append(f"{where}: {label}: keyword {kw!r} clashes with {keyword_owner[norm]}; "
                                "a keyword must point to one touchpoint")
            own.add(norm)
        for norm in own:
            keyword_owner.setdefault(norm, label)
    return problems


def check_taxonomy(path: str | Path) -> list[str]:
    """Problems in the taxonomy file at ``path`` (for ``voc taxonomy check``); [] when fine."""
    path = Path(path)
    try:
        data, lines = _read(path)
    except ConfigError as exc:
        return [exc.message]
    entries = _entries_of(data)
    if entries is None:
        return validate_entries(data, str(path))
    return validate_entries(entries, str(path), lines)


def load_taxonomy(path: str | Path) -> Taxonomy:
    """Read and validate a taxonomy file; raise :class:`ConfigError` listing its problems."""
    path = Path(path)
    data, lines = _read(path)
    entries = _entries_of(data)
    problems = validate_entries(entries if entries is not None else data, str(path), lines)
    if problems:
        raise ConfigError(_summary(str(path), problems))
    meta = {k: v for k, v in data.items() if k != "touchpoints"} if isinstance(data, dict) else {}
    return Taxonomy(_entries(entries or []), source=str(path), meta=meta)


def _summary(source: str, problems: list[str]) -> str:
    head = f"taxonomy {source} has {len(problems)} problem(s); run `voc taxonomy check {source}`:\n  "
    return head + "\n  ".join(problems[:10]) + ("\n  ..." if len(problems) > 10 else "")


def default_taxonomy_path() -> Path:
    """The shipped CX journey taxonomy (configs/touchpoints.yaml)."""
    return config_file("touchpoints.yaml")


def config_file(name: str) -> Path:
    """A file under the shipped ``configs/`` folder, wherever voc is installed."""
    try:  # the package's resource helper, when voc is installed with its configs
        from voc.config import resource_path

        found = Path(resource_path("configs", name))
        if found.exists():
            return found
    except (ImportError, AttributeError):
        pass
    here = Path(__file__).resolve()
    for candidate in (here.parents[2] / "configs" / name, here.parents[1] / "configs" / name):
        if candidate.exists():
            return candidate
    return here.parents[2] / "configs" / name
