"""sentiment: per clause and per document, from voc's trained model.

The model reads an intermediate layer of the shared encoder pass (it is attached to
the embed stage as a head), so it costs its own top layers only. If the artifact is
missing or broken, voc says so loudly and falls back to the VADER lexicon baseline.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from voc.errors import ConfigError
from voc.language import analysed_mask
from voc.language.stage import MULTILINGUAL_FEATURE
from voc.stages.base import Corpus, Stage

log = logging.getLogger("voc")

LABELS = np.array(["negative", "neutral", "positive"])
FEATURE = "sentiment_proba"


def resolve_sentiment_model(name: str) -> tuple[Any, str]:
    """(model, description) for ``name``: a folder under models/, a path, or ``lexicon``.
    Falling back to the lexicon is logged as a warning by the loader, never silent."""
    from voc.sentiment import LexiconSentiment, SentimentModel, load_sentiment_model, resolve_sentiment_path

    if name == "lexicon":
        return LexiconSentiment(), "lexicon (VADER baseline, by configuration)"
    path = resolve_sentiment_path(name)
    model = load_sentiment_model(path)
    if isinstance(model, SentimentModel):
        return model, f"trained ({path.name})"
    return model, f"lexicon fallback (could not load {path.name})"


def aggregate_documents(sentences: pd.DataFrame, doc_ids: pd.Series, weighting: str = "opinion",
                        whole: np.ndarray | None = None, truncated: np.ndarray | None = None) -> pd.DataFrame:
    """Document sentiment from its clauses, and from the whole document when it was read.

    * **score**: the clauses' scores averaged with weight sqrt(length) x (1 - P(neutral))
      (``weighting="opinion"``): a verdict ("returning it, the zip broke") counts more
      than a description ("I ordered a 6 in blue"), and a long clause more than a short
      one, but sub-linearly so one long description cannot drown the verdict.
      ``"length"`` weighs by length only (the earlier rule, kept for the benchmark).
      The document protocol of ``benchmarks/sentiment_eval.py`` compares the two.
    * **label**: a one-clause document has its clause's label. A longer one is neutral
      only when its neutral mass (clause probabilities weighted by sqrt(length), or by
      length with ``"length"``) is over twice its larger polar mass,
      else it follows the sign of the score: a review with a strong complaint and strong
      praise is not "neutral" because the two average out; it is reported as
      ``mixed`` in ``sentiment_mix`` instead.
    * **whole** (optional, (n_docs, 3) probabilities aligned with ``doc_ids``, NaN rows
      where a document was not read whole, from ``embed.document_pass``): a document
      the model read in one piece takes that reading's label and score. One longer
      than the encoder's window (``truncated``) was read only in part: its probabilities
      are averaged with the clause masses (the multi-clause rule above then decides).
    ``sentiment_mix`` always comes from the clauses.
    """
    if weighting not in ("opinion", "length"):
        raise ValueError(f"weighting must be 'opinion' or 'length', not {weighting!r}")
    if sentences.empty:
        out = pd.DataFrame({"doc_id": doc_ids})
    else:
        length = sentences["text"].str.len().clip(lower=1).astype(float).to_numpy()
        p = sentences[["p_negative", "p_neutral", "p_positive"]].to_numpy(dtype=np.float64)
        mass = np.sqrt(length) if weighting == "opinion" else length
        w = mass * (1.0 - p[:, 1]) if weighting == "opinion" else length
        frame = pd.DataFrame(p * mass[:, None], columns=["neg", "neu", "pos"])
        frame["mass"] = mass
        frame["polar"] = w * (p[:, 2] - p[:, 0])
        frame["w"] = w
        frame["n"] = 1
        frame["single"] = sentences["sentiment"].astype(str).to_numpy()
        frame["doc_id"] = sentences["doc_id"].to_numpy()
        frame["is_neg"] = (sentences["sentiment"] == "negative").to_numpy()
        frame["is_pos"] = (sentences["sentiment"] == "positive").to_numpy()
        g = frame.groupby("doc_id", sort=False).agg(
            neg=("neg", "sum"), neu=("neu", "sum"), pos=("pos", "sum"), mass=("mass", "sum"), polar=("polar", "sum"),
            w=("w", "sum"), n=("n", "sum"), single=("single", "first"), n_neg=("is_neg", "sum"),
            n_pos=("is_pos", "sum"))
        for c in ("neg", "neu", "pos"):
            g[c] = g[c] / g["mass"]
        g["score"] = g["polar"] / g["w"].clip(lower=1e-12)
        out = pd.DataFrame({"doc_id": doc_ids}).merge(g.reset_index(), on="doc_id", how="left")
    for c in ("neg", "neu", "pos", "score", "n", "single"):
        if c not in out:
            out[c] = np.nan
    has = out["neg"].notna()
    score = out["score"].to_numpy(dtype=np.float64, copy=True)
    masses = out[["neg", "neu", "pos"]].to_numpy(dtype=np.float64, copy=True)
    read = np.zeros(len(out), dtype=bool)
    if whole is not None:
        whole = np.asarray(whole, dtype=np.float64).reshape(len(out), 3)
        cut = np.zeros(len(out), dtype=bool) if truncated is None else np.asarray(truncated, dtype=bool)
        read = ~np.isnan(whole).any(axis=1) & has.to_numpy()
        blend = read & cut
        masses[blend] = 0.5 * whole[blend] + 0.5 * masses[blend]
        score[blend] = 0.5 * (whole[blend, 2] - whole[blend, 0]) + 0.5 * score[blend]
        read &= ~cut
        score[read] = whole[read, 2] - whole[read, 0]
    polar = np.where(score >= 0, "positive", "negative")
    label = np.where(masses[:, 1] > np.maximum(masses[:, 0], masses[:, 2]) * 2.0, "neutral", polar)
    label = np.where(out["n"] == 1, out["single"], label)
    if read.any():
        label[read] = LABELS[whole[read].argmax(axis=1)]
    label = np.where(has, label, "neutral")
    n_neg = out.get("n_neg", pd.Series(0, index=out.index)).fillna(0).astype(int)
    n_pos = out.get("n_pos", pd.Series(0, index=out.index)).fillna(0).astype(int)
    mix = np.where((n_neg > 0) & (n_pos > 0), "mixed", label)
    return pd.DataFrame({
        "doc_id": out["doc_id"],
        "sentiment": pd.Series(label, dtype="string"),
        "sentiment_score": pd.Series(score).fillna(0.0).astype(float).round(6),
        "sentiment_mix": pd.Series(mix, dtype="string"),
        "n_negative": n_neg.to_numpy(),
        "n_positive": n_pos.to_numpy(),
    })


class SentimentStage(Stage):
    name = "sentiment"
    requires: ClassVar[tuple[str, ...]] = ("sentences.text", "docs.doc_id")
    assigns: ClassVar[tuple[str, ...]] = (
        "sentences.sentiment", "sentences.sentiment_score", "sentences.p_negative", "sentences.p_neutral",
        "sentences.p_positive", "docs.sentiment", "docs.sentiment_score", "docs.sentiment_mix",
    )

    def __init__(self, model: str = "sentiment", neutral_margin: float = 0.0, adapt: str | bool = "off") -> None:
        self.model = model
        self.neutral_margin = neutral_margin
        adapt = {False: "off", None: "off", True: "auto"}.get(adapt, adapt)  # type: ignore[arg-type]  # YAML's off/on
        if adapt not in ("off", "scores", "pseudo", "auto"):
            raise ConfigError(f"sentiment.adapt must be off, scores, pseudo or auto, not {adapt!r}")
        self.adapt = adapt
        self.model_: Any = None
        self.description_: str | None = None

    def load(self) -> "SentimentStage":
        if self.model_ is None:
            self.model_, self.description_ = resolve_sentiment_model(self.model)
        return self

    feature = FEATURE  # where the shared pass puts the head's output

    def head(self) -> Any | None:
        """The model as a head of the shared encoder pass, if it is one."""
        self.load()
        return self.model_ if hasattr(self.model_, "branch_layer") else None

    def transform(self, corpus: Corpus) -> Corpus:
        self.load()
        sents = corpus.sentences.copy()
        proba = corpus.features.get(FEATURE)
        if proba is None or len(proba) != len(sents):
            proba = np.asarray(self.model_.predict_proba(sents["text"].astype("string").fillna("").tolist()),
                               dtype=np.float64).reshape(len(sents), 3)
        proba = np.asarray(proba, dtype=np.float64)
        other = corpus.features.get(MULTILINGUAL_FEATURE)  # sentences in other languages: their own head
        if other is not None and len(other) == len(sents):
            rows = ~np.isnan(other).any(axis=1)
            proba = proba.copy()
            proba[rows] = other[rows]
        adapted = self._adapt(corpus, sents, proba) if self.adapt != "off" else None
        if adapted is not None:
            proba = adapted
        adj = proba.copy()
        adj[:, 1] += self.neutral_margin
        sents["sentiment"] = pd.Series(LABELS[adj.argmax(1)] if len(sents) else [], dtype="string",
                                       index=sents.index)
        sents["sentiment_score"] = (proba[:, 2] - proba[:, 0]).round(6) if len(sents) else []
        for j, lab in enumerate(LABELS):
            sents[f"p_{lab}"] = proba[:, j].astype(np.float32) if len(sents) else []
        corpus.sentences = sents
        docs = corpus.docs.drop(columns=[c for c in ("sentiment", "sentiment_score", "sentiment_mix",
                                                     "n_negative", "n_positive") if c in corpus.docs])
        whole = corpus.doc_features.get(FEATURE)  # aligned with docs (embed.document_pass)
        agg = aggregate_documents(sents, docs["doc_id"], whole=whole, truncated=corpus.doc_features.get("truncated"))
        docs = docs.merge(agg, on="doc_id", how="left", validate="one_to_one")
        skipped = ~analysed_mask(docs)  # in a language no model reads: no sentiment, rather than "neutral"
        docs.loc[skipped, ["sentiment", "sentiment_mix"]] = pd.NA
        docs.loc[skipped, "sentiment_score"] = np.nan
        corpus.docs = docs
        corpus.meta["sentiment"] = {**corpus.meta.get("sentiment", {}), "model": self.description_,
                                    "doc_mix": corpus.docs["sentiment_mix"].value_counts().to_dict(),
                                    "documents_read_whole": 0 if whole is None else int((~np.isnan(whole).any(1)).sum())}
        return corpus

    def _adapt(self, corpus: Corpus, sents: pd.DataFrame, proba: np.ndarray) -> np.ndarray | None:
        """The file's own correction (voc.sentiment.adapt), cross-fitted by document; weak
        labels from the first mapped score when ``adapt`` is scores/auto and one exists."""
        from voc.drivers.scores import score_column
        from voc.io.mapping import ScoreSpec
        from voc.sentiment.adapt import CorpusAdapter, score_labels

        emb = corpus.embeddings
        if emb is None or len(emb) != len(sents) or not len(sents):
            return None
        doc_labels = None
        specs = [ScoreSpec.parse(x) if isinstance(x, str) else x for x in corpus.meta.get("scores", []) or []]
        for spec in specs if self.adapt in ("scores", "auto") else []:
            read = score_column(corpus.docs, spec)  # the values the drivers regress on, range-checked alike
            if read is not None:
                labels = score_labels(read[0], spec.bounds(), spec.higher_is_better)
                doc_labels = dict(zip(corpus.docs["doc_id"], labels.tolist()))
                break
        mode = "scores" if self.adapt == "scores" and doc_labels else self.adapt
        if mode == "scores" and not doc_labels:
            log.warning("sentiment.adapt=scores but no score column is mapped: sentiment is not adapted")
            return None
        adapter = CorpusAdapter(mode=mode)  # type: ignore[arg-type]
        out = adapter.transform(proba, emb, sents["doc_id"].tolist(), doc_labels)
        corpus.meta.setdefault("sentiment", {})["adapt"] = adapter.report_
        return out

    def to_disk(self, path: Path) -> None:
        """Copy the trained model into the saved model (small), so a model directory is
        self-contained even when it was trained on a user's own data."""
        super().to_disk(path)
        self.load()
        if hasattr(self.model_, "branch_layer") and hasattr(self.model_, "to_disk"):
            self.model_.to_disk(path / "model")

    def from_disk(self, path: Path) -> "SentimentStage":
        if (path / "model").is_dir():
            self.model = str(path / "model")
            self.model_ = None
        return self
