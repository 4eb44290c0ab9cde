"""Adapting sentiment to the analysed file: weak labels from extreme scores, cross-fitted."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from voc.sentiment.adapt import CorpusAdapter, score_labels


def test_score_labels_take_the_extremes_of_the_range() -> None:
    nps = np.array([0, 2, 3, 6, 8, 9, 10, np.nan])
    assert score_labels(nps, (0, 10)).tolist() == [-1, -1, 0, 0, 0, 1, 1, 0]
    stars = np.array([1, 2, 3, 4, 5])
    assert score_labels(stars, (1, 5)).tolist() == [-1, -1, 0, 0, 1]
    assert score_labels(stars, (1, 5), higher_is_better=False).tolist() == [1, 0, 0, -1, -1]  # e.g. CES
    assert score_labels(np.array([3.0, 7.0, 5.0]), (None, None)).tolist() == [-1, 1, 0]  # observed range
    assert score_labels(np.array([np.nan, np.nan]), (0, 10)).tolist() == [0, 0]


def _corpus(n_docs: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[str], dict[str, int]]:
    """Two clauses per document; a direction in embedding space carries the polarity the
    model misses (its probabilities are uninformative), and the score follows it."""
    rng = np.random.default_rng(seed)
    docs = [f"d{i}" for i in range(n_docs)]
    polarity = rng.choice([-1, 1], n_docs)
    ids = [d for d in docs for _ in range(2)]
    emb = rng.normal(size=(2 * n_docs, 16))
    emb[:, 0] += 2.0 * np.repeat(polarity, 2)
    proba = np.tile([0.4, 0.2, 0.4], (2 * n_docs, 1))
    return proba, emb, ids, dict(zip(docs, polarity.tolist()))


def test_scores_mode_learns_what_the_model_misses() -> None:
    proba, emb, ids, labels = _corpus()
    out = CorpusAdapter(mode="scores").transform(proba, emb, ids, labels)
    truth = np.array([labels[d] for d in ids])
    assert ((out[:, 2] - out[:, 0] > 0) == (truth > 0)).mean() > 0.9
    np.testing.assert_allclose(out[:, 1], proba[:, 1])  # neutrality stays the model's
    np.testing.assert_allclose(out.sum(axis=1), 1.0)


def test_a_documents_own_score_never_labels_its_own_clauses() -> None:
    """The guard against sentiment echoing the score: flipping one document's score changes
    nothing about that document's adapted sentiment (its fold never trains on it)."""
    proba, emb, ids, labels = _corpus()
    base = CorpusAdapter(mode="scores").transform(proba, emb, ids, labels)
    flipped = CorpusAdapter(mode="scores").transform(proba, emb, ids, {**labels, "d7": -labels["d7"]})
    rows = [i for i, d in enumerate(ids) if d == "d7"]
    np.testing.assert_allclose(flipped[rows], base[rows])
    assert not np.allclose(flipped, base)  # the flip does reach the other folds


def test_too_few_weak_labels_keep_the_model() -> None:
    proba, emb, ids, labels = _corpus(n_docs=20)
    out = CorpusAdapter(mode="scores").transform(proba, emb, ids, labels)
    np.testing.assert_allclose(out, proba)


def test_the_pipeline_option() -> None:
    import voc

    rng = np.random.default_rng(0)
    good = ["Love it, works perfectly.", "Great quality and fast shipping.", "Excellent, would buy again."]
    bad = ["Broke after two days.", "Terrible, asked for a refund.", "Never arrived, nobody answers."]
    texts = [good[i % 3] + f" Order {i}." if s >= 9 else bad[i % 3] + f" Order {i}."
             for i, s in enumerate(rng.choice([0, 1, 2, 9, 10], 300))]
    scores = [10 if t.split(" Order")[0] in good else 1 for t in texts]
    frame = pd.DataFrame({"text": texts, "nps": scores})
    mapping = voc.ColumnMapping(text="text", scores=[voc.ScoreSpec("nps", "nps")])
    run = voc.Analyzer(mapping=mapping, overrides=["sentiment.adapt=scores"]).fit_transform(frame).run
    assert run["stages"]["sentiment"]["adapt"]["mode"] == "scores"
    with pytest.raises(voc.errors.ConfigError, match="adapt"):
        voc.Analyzer(mapping=mapping, overrides=["sentiment.adapt=sometimes"]).fit_transform(frame)
