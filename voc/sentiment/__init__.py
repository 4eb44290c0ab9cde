"""Sentence sentiment: voc's trained encoder head, with VADER as a loud fallback.

Pipeline use::

    model = load_sentiment_model()            # shipped model, or LexiconSentiment + warning
    if isinstance(model, SentimentModel):     # shares the embedding pass
        res = Encoder().encode(texts, heads=[model]); proba = res.head_outputs[0]
    else:
        proba = model.predict_proba(texts)
    score = sentiment_score(proba)            # P(pos) - P(neg) in [-1, 1]
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from voc.errors import ModelLoadError
from voc.sentiment.lexicon import LexiconSentiment
from voc.sentiment.model import LABELS, SentimentModel, sentiment_score

log = logging.getLogger("voc")

# models/sentiment at the repository root; VOC_SENTIMENT_MODEL overrides it.
DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[2] / "models" / "sentiment"

__all__ = ["LABELS", "DEFAULT_MODEL_DIR", "LexiconSentiment", "SentimentModel", "load_sentiment_model",
           "resolve_sentiment_path", "sentiment_score"]


def resolve_sentiment_path(name: str) -> Path:
    """A model folder: ``name`` itself when it is a directory, else a folder under models/
    (``"sentiment"`` is the shipped model)."""
    from voc.config import resource_path

    return Path(name) if Path(name).is_dir() else resource_path("models", name)


def load_sentiment_model(path: str | Path | None = None, fallback: bool = True) -> SentimentModel | LexiconSentiment:
    """The trained model from ``path`` (default: the shipped one). If it is missing or
    unreadable, log a WARNING and return :class:`LexiconSentiment` (VADER), which is
    much worse on complaints; with ``fallback=False`` raise :class:`ModelLoadError`."""
    target = Path(path or os.environ.get("VOC_SENTIMENT_MODEL") or DEFAULT_MODEL_DIR)
    try:
        return SentimentModel.from_disk(target)
    except ModelLoadError as exc:
        if not fallback:
            raise
        log.warning("sentiment model unavailable (%s); FALLING BACK to the VADER lexicon, which misreads "
                    "complaints - sentiment quality is degraded", exc)
        return LexiconSentiment()
