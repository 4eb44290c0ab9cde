"""Adapt sentence sentiment to the file being analysed (opt-in: ``sentiment.adapt``).

A team's feedback is rarely in the domains voc's model was trained on. Most exports
carry a score beside the text, and every export carries thousands of sentences the
model is already sure about; either can teach a small correction on top of the model:

* ``scores``: a document with an extreme score (the bottom quarter of its range, e.g.
  NPS 0-2 or 1-2 stars, or the top tenth, NPS 9-10 or 5 stars) lends its polarity to its
  opinionated clauses (P(neutral) < 0.5) as weak negative / positive labels;
* ``pseudo``: clauses the model scores with probability >= ``confidence`` keep that label.

A logistic regression on [sentence embedding, the model's log-probabilities] learns from
those labels and replaces the model's positive-vs-negative split (``scores``; P(neutral)
and the clauses the model calls neutral stay the model's) or its three classes (``pseudo``).

**Guard against echoing the score.** The drivers regress the score on themes and their
sentiment, so sentiment must not be learned from the very score it is compared with.
Every adaptation is cross-fitted: documents are split into ``folds`` groups and a
document's clauses are re-scored by a correction trained only on the *other* groups'
documents; its own score never labels its own text. ``benchmarks/sentiment_adapt.py``
measures the effect on sources the model never saw and whether it inflates the
sentiment-score correlation.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

log = logging.getLogger("voc")

Mode = Literal["off", "scores", "pseudo", "auto"]
LOW_SHARE, HIGH_SHARE = 0.25, 0.9  # extreme scores: the bottom quarter, the top tenth of the range


def score_labels(values: np.ndarray, bounds: tuple[float | None, float | None],
                 higher_is_better: bool = True) -> np.ndarray:
    """-1 / +1 for documents with an extreme score, 0 otherwise (NaN scores: 0). Without
    declared bounds the observed range is used."""
    x = np.asarray(values, dtype=float)
    lo, hi = bounds
    finite = x[np.isfinite(x)]
    if not len(finite):
        return np.zeros(len(x), dtype=int)
    lo = float(np.min(finite)) if lo is None else float(lo)
    hi = float(np.max(finite)) if hi is None else float(hi)
    if hi <= lo:
        return np.zeros(len(x), dtype=int)
    z = (x - lo) / (hi - lo)
    if not higher_is_better:
        z = 1.0 - z
    out = np.where(z <= LOW_SHARE, -1, np.where(z >= HIGH_SHARE, 1, 0))
    return np.where(np.isfinite(x), out, 0).astype(int)


class CorpusAdapter:
    """Cross-fitted correction of sentiment probabilities on one corpus.

    Parameters
    ----------
    mode: ``scores`` (weak labels from extreme document scores), ``pseudo`` (confident
        predictions), ``auto`` (scores when given, else pseudo) or ``off``.
    folds: document groups for cross-fitting (see the module docstring).
    min_labels: fewer weak labels per class than this in the training folds and the
        fold keeps the model's probabilities.
    """

    def __init__(self, mode: Mode = "auto", folds: int = 5, min_labels: int = 50, confidence: float = 0.9,
                 c: float = 1.0, max_rows: int = 50_000, random_state: int = 0) -> None:
        self.mode = mode
        self.folds = folds
        self.min_labels = min_labels
        self.confidence = confidence
        self.c = c
        self.max_rows = max_rows
        self.random_state = random_state
        self.report_: dict[str, Any] = {}

    def transform(self, proba: np.ndarray, embeddings: np.ndarray, doc_ids: Sequence[Any],
                  doc_labels: dict[Any, int] | None = None) -> np.ndarray:
        """Adapted (n, 3) probabilities for sentences with ``proba`` and ``embeddings``;
        ``doc_labels`` maps a document id to -1 / 0 / +1 (:func:`score_labels`)."""
        proba = np.asarray(proba, dtype=np.float64)
        mode = self.mode
        if mode == "auto":
            mode = "scores" if doc_labels and any(v != 0 for v in doc_labels.values()) else "pseudo"
        self.report_ = {"mode": mode, "folds_adapted": 0}
        if mode == "off" or len(proba) == 0:
            return proba
        x = np.hstack([np.asarray(embeddings, dtype=np.float64), np.log(np.clip(proba, 1e-6, 1.0))])
        docs = np.asarray(list(doc_ids), dtype=object)
        uniq, group = np.unique(docs.astype(str), return_inverse=True)
        fold = np.random.default_rng(self.random_state).permutation(len(uniq))[group] % max(self.folds, 2)
        if mode == "scores":
            lab = np.array([(doc_labels or {}).get(d, 0) for d in docs], dtype=int)
            y = np.where(proba[:, 1] < 0.5, lab, 0)  # opinionated clauses of extreme documents
            classes = (-1, 1)
        else:
            conf = proba.max(axis=1) >= self.confidence
            y = np.where(conf, proba.argmax(axis=1) - 1, 9)  # -1 / 0 / +1, 9 = unlabeled
            classes = (-1, 0, 1)
        out = proba.copy()
        n_labels = 0
        for k in range(max(self.folds, 2)):
            test = fold == k
            train = ~test & np.isin(y, classes)
            counts = [int((y[train] == c).sum()) for c in classes]
            if not test.any() or min(counts) < self.min_labels:
                continue
            idx = np.flatnonzero(train)
            if len(idx) > self.max_rows:
                idx = np.random.default_rng(self.random_state + k).choice(idx, self.max_rows, replace=False)
            model = _fit(x[idx], y[idx], self.c, self.random_state)
            if mode == "scores":
                # only the split of the polar mass moves, and only where the model did not
                # call the clause neutral: weak labels from scores say nothing about neutrality
                rows = np.flatnonzero(test)
                rows = rows[proba[rows, 1] < proba[rows][:, [0, 2]].max(axis=1)]
                p = model.predict_proba(x[rows])
                polar = 1.0 - proba[rows, 1]
                out[rows, 0], out[rows, 2] = polar * p[:, 0], polar * p[:, 1]
            else:
                out[test] = model.predict_proba(x[test])
            n_labels += len(idx)
            self.report_["folds_adapted"] += 1
        self.report_["training_rows_per_fold"] = round(n_labels / max(self.report_["folds_adapted"], 1))
        return out


def _fit(x: np.ndarray, y: np.ndarray, c: float, seed: int) -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000, random_state=seed)).fit(x, y)
