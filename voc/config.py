"""Pipeline configuration is data: a YAML file (``configs/default.yaml``) with one
section per stage, plus dotted overrides from the command line
(``--set themes.n_themes=12``), after spaCy's config system."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from voc.errors import ConfigError

_PKG = Path(__file__).resolve().parent


def resource_path(*parts: str) -> Path:
    """Path of a file shipped with voc (``configs/…`` or ``models/…``): inside the
    wheel under ``voc/_data``, or at the repository root in an editable install."""
    for base in (_PKG / "_data", _PKG.parent):
        p = base.joinpath(*parts)
        if p.exists():
            return p
    return _PKG.parent.joinpath(*parts)


def default_config() -> dict[str, Any]:
    return load_config(resource_path("configs", "default.yaml"))


def load_config(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config file {str(p)!r} not found")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {p.name} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"config file {p.name}: expected a mapping of sections")
    return data


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``override`` into a copy of ``base``."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def apply_overrides(config: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``section.key=value`` strings; values are parsed as YAML (so 12, true,
    null and [a, b] mean what they look like)."""
    out = copy.deepcopy(config)
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"override {item!r}: expected section.key=value, e.g. themes.n_themes=12")
        dotted, _, raw = item.partition("=")
        keys = [k for k in dotted.strip().split(".") if k]
        if len(keys) < 2:
            raise ConfigError(f"override {item!r}: name a section and a key, e.g. themes.min_cluster_size=15")
        if keys[0] not in out:
            raise ConfigError(f"override {item!r}: unknown section {keys[0]!r}; sections: {sorted(out)}")
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError:
            value = raw
        node = out
        for k in keys[:-1]:
            if not isinstance(node.get(k), dict):
                node[k] = {}
            node = node[k]
        node[keys[-1]] = value
    return out
