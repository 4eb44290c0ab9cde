"""Touchpoint mentions: one row per (clause, touchpoint tag), with the sentiment towards
that touchpoint (``sentences.touchpoint_sentiment``, from :mod:`voc.stages.aspects`). What
the drivers and the report count as a touchpoint's sentiment, in one place."""

from __future__ import annotations

import numpy as np
import pandas as pd


def touchpoint_mentions(sentences: pd.DataFrame) -> pd.DataFrame:
    """One row per (clause, touchpoint) it is tagged with: ``doc_id``, ``touchpoint``,
    ``sentiment_score`` (towards that touchpoint) and ``sentiment`` (the clause's label,
    or the score's side when the stage re-scored it: beyond +-0.2 positive/negative).
    What drivers and the report count as a touchpoint's sentiment. Empty when the
    sentences carry no touchpoints."""
    cols = ["doc_id", "touchpoint", "sentiment_score", "sentiment"]
    if sentences is None or sentences.empty or not {"doc_id", "touchpoints", "sentiment_score"} <= set(sentences):
        return pd.DataFrame(columns=cols)
    own = sentences["sentiment_score"].astype(float).to_numpy()
    labels = (sentences["sentiment"].astype("string").fillna("neutral").to_numpy() if "sentiment" in sentences
              else np.where(own > 0.2, "positive", np.where(own < -0.2, "negative", "neutral")))
    per = sentences["touchpoint_sentiment"] if "touchpoint_sentiment" in sentences else pd.Series(None, index=sentences.index)
    rows = []
    for doc, tags, scores, s, lab in zip(sentences["doc_id"], sentences["touchpoints"], per, own, labels):
        if not isinstance(tags, (list, tuple, np.ndarray)):
            continue
        scores = list(scores) if isinstance(scores, (list, tuple, np.ndarray)) and len(scores) == len(tags) else [s] * len(tags)
        for t, v in zip(tags, scores):
            if t == "none" or v is None or np.isnan(v):
                continue
            side = lab if v == s else ("positive" if v > 0.2 else "negative" if v < -0.2 else "neutral")
            rows.append((doc, str(t), float(v), str(side)))
    return pd.DataFrame(rows, columns=cols)
