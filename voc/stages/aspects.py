"""aspects: the sentiment towards each touchpoint a clause mentions.

A clause that names two touchpoints often judges them differently ("Tasty but
expensive", "good food and ok service", "Sushi wasn't anything special for the price"):
its one sentiment score is right for neither. For such clauses this stage cuts the text
into short pieces (at contrast words, commas, "and", "with", "for" ...), reads each
piece's touchpoint and sentiment in one extra encoder pass over those pieces only, and
gives each touchpoint the opinion-weighted sentiment of the pieces that are about it.
A clause with one touchpoint keeps its own score, so most text costs nothing.

Off by default (``aspects.enabled``): on SemEval-2014 restaurant sentences it did not beat
the clause's own score (benchmarks/results/aspect_polarity.json); with it off every tag
takes its clause's score, and the splitting of clauses at new predications (segment) is
what gives two aspects of one sentence two polarities. ``spans`` also tags the pieces of
every clause (recall on multi-aspect sentences, at the cost of a second pass over them).

Output: ``sentences.touchpoint_sentiment``, a list of scores in [-1, 1] aligned with
``sentences.touchpoints``, which the drivers, priorities and report read as the
sentiment of that clause towards that touchpoint.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from voc.stages.base import Corpus, Stage

#: opinion (sum of 1 - P(neutral)) a touchpoint's pieces need to decide its sentiment alone;
#: below it the clause's own score weighs in with this weight
MIN_OPINION = 0.3

_PIECE_CUT = re.compile(
    r"\s*[,;:()\u2013\u2014]\s*|\s+-\s+|\s+(?=\b(?:but|however|although|though|whereas|while|yet|except|"
    r"and|with|for|plus|unlike|compared to)\b)", re.I)


def split_pieces(text: str) -> list[str]:
    """Short pieces of a clause, each likely about one thing ("Tasty" / "but expensive")."""
    return [p for p in (q.strip(" .!?") for q in _PIECE_CUT.split(text)) if p and re.search(r"[a-z]", p, re.I)]


class AspectSentimentStage(Stage):
    """Sentiment per (clause, touchpoint) for clauses tagged with two or more touchpoints.

    ``min_share`` is how much of a piece's touchpoint probability (among the clause's
    touchpoints) makes it about that touchpoint; pieces about none of them are ignored,
    and a touchpoint no piece is about keeps the clause's score. ``spans`` (which implies
    re-scoring) also adds the touchpoints a piece reaches ``span_threshold`` for.
    """

    name = "aspects"
    learns = False
    requires: ClassVar[tuple[str, ...]] = ("sentences.touchpoints", "sentences.sentiment_score")
    assigns: ClassVar[tuple[str, ...]] = ("sentences.touchpoint_sentiment",)

    def __init__(self, enabled: bool = False, min_share: float = 0.5, max_clauses: int = 50_000,
                 spans: bool = False, span_threshold: float = 0.5) -> None:
        self.enabled = enabled
        self.spans = spans
        self.span_threshold = span_threshold
        self.min_share = min_share
        self.max_clauses = max_clauses
        self._touchpoints: Any = None
        self._sentiment: Any = None

    def bind(self, touchpoints: Any, sentiment: Any) -> "AspectSentimentStage":
        """The fitted touchpoint stage (to tag pieces) and the sentiment stage (its model
        scores them); voc.Analyzer binds them."""
        self._touchpoints, self._sentiment = touchpoints, sentiment
        return self

    def transform(self, corpus: Corpus) -> Corpus:
        sents = corpus.sentences.copy()
        if sents.empty or "touchpoints" not in sents:
            corpus.sentences = sents
            return corpus
        tags = [list(t) if isinstance(t, (list, tuple, np.ndarray)) else [] for t in sents["touchpoints"]]
        base = sents["sentiment_score"].astype(float).to_numpy()  # already rounded by the sentiment stage
        out = [[float(base[i])] * len(t) for i, t in enumerate(tags)]
        multi = [i for i, t in enumerate(tags) if len(t) >= 2 or self.spans][: self.max_clauses]
        rescored = 0
        if (self.enabled or self.spans) and multi and self._touchpoints is not None and self._sentiment is not None:
            texts = sents["text"].astype(str).tolist()
            pieces = {i: split_pieces(texts[i]) for i in multi}
            pieces = {i: p for i, p in pieces.items() if len(p) >= 2}
            flat = [p for ps in pieces.values() for p in ps]
            if flat:
                tp_proba, sent_proba = self._read(flat)
                names = list(self._touchpoints.taxonomy_.names)
                at = 0
                for i, ps in pieces.items():
                    rows = slice(at, at + len(ps))
                    at += len(ps)
                    if self.spans:
                        found = {names[j] for j in np.flatnonzero((tp_proba[rows, :-1] >= self.span_threshold).any(0))}
                        tags[i] = tags[i] + sorted(found - set(tags[i]) - {"none"})
                    if not tags[i]:
                        continue
                    out[i] = [round(v, 6) for v in
                              self._per_touchpoint(tags[i], names, tp_proba[rows], sent_proba[rows], base[i])]
                    rescored += 1
        if self.spans:
            sents["touchpoints"] = pd.Series(tags, index=sents.index, dtype=object)
            by_doc = sents.groupby("doc_id", sort=False)["touchpoints"].agg(lambda c: sorted({t for ts in c for t in ts}))
            corpus.docs = corpus.docs.assign(touchpoints=[by_doc.get(d, []) for d in corpus.docs["doc_id"]])
        sents["touchpoint_sentiment"] = pd.Series(out, index=sents.index, dtype=object)
        corpus.sentences = sents
        corpus.meta["aspects"] = {"multi_touchpoint_clauses": len(multi), "rescored": rescored}
        return corpus

    def _read(self, pieces: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Touchpoint probabilities and sentiment probabilities of ``pieces`` (one pass)."""
        tp = self._touchpoints
        head = self._sentiment.head()
        layer_head = tp.head()
        heads = [h for h in (head, layer_head) if h is not None]
        result = tp.text_encoder().encode(pieces, heads=heads)
        sent_proba = (result.head_outputs[0] if head is not None
                      else np.asarray(self._sentiment.model_.predict_proba(pieces)))
        states = result.head_outputs[-1] if layer_head is not None else None
        return tp.predict_proba(pieces, result.embeddings, states), np.asarray(sent_proba, dtype=float)

    def _per_touchpoint(self, tags: list[str], names: list[str], tp_proba: np.ndarray, sent_proba: np.ndarray,
                        fallback: float) -> list[float]:
        cols = [names.index(t) for t in tags]
        p = tp_proba[:, cols]
        share = p / np.maximum(p.sum(axis=1, keepdims=True), 1e-9)
        score = sent_proba[:, 2] - sent_proba[:, 0]
        weight = 1.0 - sent_proba[:, 1]  # opinionated pieces speak for the touchpoint
        owner = share.argmax(axis=1)
        about = share.max(axis=1) >= self.min_share
        values = []
        for j in range(len(tags)):
            m = about & (owner == j)
            w = weight[m].sum()
            # pieces that voice an opinion speak for the touchpoint; a bare "the food"
            # (neutral, slightly positive in any model) must not outvote its clause
            values.append(float(score[m] @ weight[m] / w) if w >= MIN_OPINION else
                          float((score[m] @ weight[m] + MIN_OPINION * fallback) / (w + MIN_OPINION)))
        return values
