"""Curated themes: a taxonomy users write in YAML, matched before discovery.

Each theme becomes a few prototype vectors (its "name: description", each example, and
its keywords) in the same embedding space as the sentences; a sentence belongs to the
curated theme whose best prototype is most similar, if that similarity clears a
threshold. Prototypes are stored in the saved model so ``transform`` never re-encodes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from voc.errors import ConfigError, InputFileNotFound


@dataclass
class CuratedTheme:
    name: str
    description: str = ""
    examples: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)

    def prototype_texts(self) -> list[str]:
        head = f"{self.name}: {self.description}" if self.description else self.name
        texts = [head] + [e for e in self.examples if e.strip()]
        if self.keywords:
            texts.append(", ".join(self.keywords))
        return texts


def _as_list(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ConfigError(f"{where} must be a string or a list of strings, got {type(value).__name__}")


def load_curated(spec: str | Path | Sequence[dict[str, Any]]) -> list[CuratedTheme]:
    """Read themes from a YAML file (a top-level ``themes:`` list or a bare list) or
    take them as a list of dicts with ``name``, ``description``, ``examples``, ``keywords``."""
    where = "curated themes"
    if isinstance(spec, (str, Path)):
        import yaml

        path = Path(spec)
        if not path.is_file():
            raise InputFileNotFound(f"curated themes file {str(path)!r} does not exist; "
                                    "see configs/themes.example.yaml for the format")
        where = str(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            pos = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            raise ConfigError(f"{where}:{pos} is not valid YAML: {exc}") from exc
        if isinstance(data, dict):
            data = data.get("themes")
    else:
        data = list(spec)
    if not isinstance(data, list):
        raise ConfigError(f"{where}: expected a list of themes (or a 'themes:' key holding one)")
    themes: list[CuratedTheme] = []
    seen: set[str] = set()
    for i, item in enumerate(data):
        if not isinstance(item, dict) or not str(item.get("name", "")).strip():
            raise ConfigError(f"{where}: theme #{i + 1} needs at least a 'name'")
        unknown = set(item) - {"name", "description", "examples", "keywords"}
        if unknown:
            raise ConfigError(f"{where}: theme {item['name']!r} has unknown keys {sorted(unknown)}; "
                              "allowed: name, description, examples, keywords")
        name = str(item["name"]).strip()
        if name.lower() in seen:
            raise ConfigError(f"{where}: theme name {name!r} appears twice; names must be unique")
        seen.add(name.lower())
        themes.append(CuratedTheme(name=name, description=str(item.get("description") or "").strip(),
                                   examples=_as_list(item.get("examples"), f"{where}: {name!r} examples"),
                                   keywords=_as_list(item.get("keywords"), f"{where}: {name!r} keywords")))
    return themes


def encode_prototypes(themes: Sequence[CuratedTheme], encoder: str, cache_dir: str | None = None,
                      backend: str = "onnx") -> tuple[np.ndarray, np.ndarray]:
    """Prototype vectors and, per row, the index of the theme it belongs to (encoded with
    the run's ``cache_dir`` and ``backend``, see :func:`voc.encoder.text_encoder`)."""
    from voc.encoder import text_encoder

    texts: list[str] = []
    owner: list[int] = []
    for i, theme in enumerate(themes):
        for t in theme.prototype_texts():
            texts.append(t)
            owner.append(i)
    emb = (text_encoder(encoder, cache_dir=cache_dir, backend=backend).encode(texts).embeddings if texts
           else np.zeros((0, 384), dtype=np.float32))
    return emb.astype(np.float32), np.asarray(owner, dtype=np.int64)
