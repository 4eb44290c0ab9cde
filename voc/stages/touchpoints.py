"""Touchpoints: which step of the customer journey each sentence is about, from a
taxonomy file users edit, plus a customer-effort flag.

Zero-shot (no labels): nearest-prototype cosine between the shared sentence embedding
and each touchpoint's description and example sentences, plus keyword hits, as a
softmax over ``touchpoints + [none]``. Few-shot (a few labeled sentences): a softmax
classifier over the same embeddings, trained on the labels *and* the taxonomy's own
descriptions/examples, so touchpoints without labels still work. Then, when ``fit`` sees
a corpus of 50+ sentences, one round of self-training on it: one-vs-rest logistic
regressions on the corpus's own pseudo-labels (with labels: each weighted by how sure
the seed is of it), anchored by the prototypes and labels (multi-label, and learns how
customers phrase each touchpoint). The learned heads read the sentence embedding joined
to the mean-pooled states of encoder layer 3 (the stage's :meth:`head`, run inside the
shared pass): they keep more of the words than the last layer. On corpora of 1,000+
sentences a word view (voc.touchpoints.lexical: tf-idf one-vs-rest, trained on that
head's decisions) is averaged in; it catches touchpoints a sentence mentions in passing.
Only the taxonomy texts and labeled examples are encoded; corpus sentences reuse the
shared pass.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from voc._paths import split_traced, traced
from voc.encoder import LayerMeanPool
from voc.language.multilingual import encode_any_language
from voc.errors import ConfigError, ModelLoadError, PipelineError
from voc.stages.base import Corpus, Stage
from voc.touchpoints import effort as effort_rules
from voc.touchpoints.keywords import KeywordMatcher
from voc.touchpoints.lexical import LexicalView
from voc.touchpoints.model import (
    decide,
    few_shot_proba,
    fit_softmax,
    initial_proba,
    ovr_proba,
    prototype_similarity,
    sample_rows,
    self_train,
    zero_shot_proba,
)
from voc.touchpoints.taxonomy import NONE, Taxonomy, default_taxonomy_path, load_taxonomy

log = logging.getLogger("voc")

#: Defaults measured on SemEval-2014 restaurants *train* (see benchmarks/touchpoints.py).
DEFAULT_THRESHOLD = 0.3
TEMPERATURE = 0.05          # cosine units per logit unit in zero-shot mode
FLOOR = 0.15                # zero-shot "none" logit, as a cosine: below this, nothing fits
KEYWORD_LOGIT = 2.0         # a keyword hit multiplies a touchpoint's odds by e^2
FEW_SHOT_C = 100.0          # softmax over a handful of labels: little regularisation
SELF_TRAIN_C = 1.0          # one-vs-rest over thousands of pseudo-labels: more
ANCHOR_WEIGHT = 20.0        # a prototype or labeled sentence counts as 20 pseudo-labels
MIN_SELF_TRAIN = 50         # smaller corpora keep the prototype/softmax scorer
MAX_SELF_TRAIN = 10_000     # pseudo-labeled rows sampled from larger corpora
MIN_LEXICAL = 1_000         # the word view needs a corpus: on 300-600 sentences it cost F1
LEXICAL_C = 1.0             # the word view's one-vs-rest regularisation
LEXICAL_WEIGHT = 0.5        # its share of the averaged probability
LAYER = 3                   # encoder layer whose mean-pooled states join the sentence embedding
LAYER_WEIGHT = 0.7          # their weight in the joined vector (the embedding's is 1)
PREDICT_BLOCK = 20_000      # sentences scored at a time (bounds the stage's memory on large files)


class TouchpointStage(Stage):
    """Tag sentences with touchpoints (multi-label, "none" allowed) and effort."""

    name = "touchpoints"
    learns = True
    requires = ("sentences.text", "embeddings")
    assigns = ("sentences.touchpoints", "sentences.touchpoint", "sentences.touchpoint_score", "sentences.effort",
               "docs.touchpoints", "docs.effort")

    def __init__(self, taxonomy: str | Path | Taxonomy | None = None, threshold: float | None = None,
                 encoder: str | None = None, keywords: bool = True, floor: float = FLOOR,
                 temperature: float = TEMPERATURE, c: float = FEW_SHOT_C, self_train: bool = True,
                 effort_similarity: float | None = None, random_state: int | None = 0,
                 labels: str | Path | None = None, lexical: bool = True, layer: int | None = LAYER) -> None:
        self.taxonomy = taxonomy
        self.labels = labels
        self.threshold = threshold
        self.encoder = encoder
        self.keywords = keywords
        self.floor = floor
        self.temperature = temperature
        self.c = c
        self.self_train = self_train
        self.lexical = lexical
        self.layer = layer
        self.effort_similarity = effort_similarity
        self.random_state = random_state

    # --- fitting -----------------------------------------------------------------------
    def fit(self, corpus: Corpus | None = None, labeled: pd.DataFrame | None = None) -> "TouchpointStage":
        """Zero-shot when ``labeled`` is None; otherwise few-shot from its ``text`` and
        ``touchpoint`` columns (one row per label; "none" marks off-taxonomy sentences).
        ``labels`` (a CSV/YAML path with those columns) gives the CLI the same few-shot path."""
        if labeled is None and self.labels:
            labeled = _read_labels(Path(self.labels))
        if isinstance(self.taxonomy, Taxonomy):
            self.taxonomy_ = self.taxonomy
        else:
            path = Path(self.taxonomy if self.taxonomy is not None else default_taxonomy_path())
            # named portably with its SHA-256: the name reaches run.json and the saved model
            self.taxonomy_ = dataclasses.replace(load_taxonomy(path), source=traced(path))
        proto_texts, owner = _prototype_texts(self.taxonomy_)
        extra = list(effort_rules.EXAMPLES) if self.effort_similarity is not None else []
        label_texts, label_sets = self._labels(labeled) if labeled is not None else ([], [])
        self.layer_ = self.layer
        has_corpus = corpus is not None and corpus.embeddings is not None and len(corpus.embeddings) > 0
        corpus_states = self._corpus_states(corpus) if has_corpus and self.layer_ is not None else None
        embedded, states = self._encode([*proto_texts, *extra, *label_texts], corpus, corpus_states)
        if states is not None:  # centred on the corpus: the layer's mean direction says nothing
            self.layer_mean_ = (corpus_states if corpus_states is not None else states).mean(axis=0)
        n_p, n_e = len(proto_texts), len(extra)
        joined = self._join(embedded, states)
        self.prototypes_ = embedded[:n_p]  # similarity stays in the embedding's cosine units (floor, temperature)
        self.prototype_owner_ = np.asarray(owner, dtype=np.int64)
        self.effort_prototypes_ = embedded[n_p:n_p + n_e]
        self.coef_: np.ndarray | None = None
        self.intercept_: np.ndarray | None = None
        self.head_ = "prototype"
        self.lexical_: LexicalView | None = None
        self._matcher = None
        self._hits_cache: tuple[list[str], np.ndarray] | None = None
        k = len(self.taxonomy_)
        anchors = np.vstack([joined[:n_p], joined[n_p + n_e:]])  # what the learned heads train on
        anchor_sets = [[int(j)] for j in owner] + label_sets
        if labeled is not None:
            self.coef_, self.intercept_ = fit_softmax(anchors, anchor_sets, k + 1, self.c, self.random_state)
            self.head_ = "softmax"
        n_corpus = 0 if corpus is None or corpus.embeddings is None else len(corpus.embeddings)
        if self.self_train and n_corpus >= MIN_SELF_TRAIN:
            assert corpus is not None and corpus.embeddings is not None
            # only the rows self-training learns from are joined: the whole corpus's joined
            # vectors (3 KB a sentence) were the stage's peak on large files
            rows = sample_rows(n_corpus, MAX_SELF_TRAIN, self.random_state)
            x = self._join(corpus.embeddings[rows], None if corpus_states is None else corpus_states[rows])
            corpus_texts = corpus.sentences["text"].astype(str).tolist()
            hits = self._keyword_hits(corpus_texts)[rows]  # all rows' hits stay cached for transform
            texts = [corpus_texts[i] for i in rows]
            # the seed compares joined vectors too: measured better on all three benchmark tasks
            # than the embedding's cosines (the prototype-only scorer below keeps those: its
            # floor is calibrated in them, and without self-training nothing re-learns it)
            sim = prototype_similarity(x, joined[:n_p], self.prototype_owner_, k)
            seed = initial_proba(sim, hits, self.temperature, self.floor, KEYWORD_LOGIT,
                                 x, self.coef_, self.intercept_)  # the learned heads read the joined vector
            labels = np.zeros((len(anchor_sets), k), dtype=bool)
            for i, js in enumerate(anchor_sets):
                labels[i, [j for j in js if j < k]] = True
            self.coef_, self.intercept_ = self_train(x, seed, anchors, labels, ANCHOR_WEIGHT, SELF_TRAIN_C,
                                                     MAX_SELF_TRAIN, self.random_state,
                                                     confidence_weighted=labeled is not None)
            self.head_ = "one-vs-rest"
            if self.lexical and n_corpus >= MIN_LEXICAL:
                # the same rows self_train learned from, labeled by the head it just fitted
                decided = ovr_proba(x, self.coef_, self.intercept_, hits, KEYWORD_LOGIT)[:, :k]
                threshold = self.threshold if self.threshold is not None else DEFAULT_THRESHOLD
                self.lexical_ = LexicalView(LEXICAL_C, self.random_state).fit(
                    texts, decided >= threshold, [*proto_texts, *label_texts], labels, ANCHOR_WEIGHT)
        self.mode_ = "few-shot" if labeled is not None else "zero-shot"
        log.info("touchpoints: %s, %d touchpoints from %s", self.mode_, len(self.taxonomy_), self.taxonomy_.source)
        return self

    def _labels(self, labeled: pd.DataFrame) -> tuple[list[str], list[list[int]]]:
        missing = {"text", "touchpoint"} - set(labeled.columns)
        if missing:
            raise ConfigError(f"labeled examples need columns 'text' and 'touchpoint'; missing {sorted(missing)}")
        index = {n.lower(): j for j, n in enumerate(self.taxonomy_.names)}
        none = len(index)
        grouped: dict[str, set[int]] = {}
        unknown: set[str] = set()
        for text, tp in zip(labeled["text"].astype(str), labeled["touchpoint"], strict=True):
            name = NONE if tp is None or (isinstance(tp, float) and np.isnan(tp)) else str(tp).strip().lower()
            if name != NONE and name not in index:
                unknown.add(str(tp))
                continue
            grouped.setdefault(text, set()).add(index.get(name, none))
        if unknown:
            raise ConfigError(f"labeled examples use touchpoints not in {self.taxonomy_.source}: "
                              f"{', '.join(sorted(unknown)[:10])}; known: {', '.join(self.taxonomy_.names)}")
        # a sentence with real touchpoints is not also "none"
        sets = [sorted(s - {none}) if len(s) > 1 else sorted(s) for s in grouped.values()]
        return list(grouped), sets

    def _encode(self, texts: list[str], corpus: Corpus | None,
                corpus_states: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
        """Embed taxonomy texts and labels (and pool their layer states), reusing the
        corpus's rows for sentences already encoded (labels often come from the corpus)."""
        known: dict[str, int] = {}
        if corpus is not None and corpus.embeddings is not None and "text" in corpus.sentences:
            known = {t: i for i, t in enumerate(corpus.sentences["text"].astype(str))}
        todo = [t for t in dict.fromkeys(texts) if t not in known]
        heads = [LayerMeanPool(self.layer_)] if self.layer_ is not None else []
        if todo:  # descriptions may be written in any language voc reads
            new, new_states = encode_any_language(todo, self.text_encoder(), self.layer_, "touchpoint text")
        else:
            new, new_states = np.zeros((0, 0), np.float32), None
        at = {t: i for i, t in enumerate(todo)}
        dim = new.shape[1] if todo else corpus.embeddings.shape[1]  # type: ignore[union-attr]
        out = np.zeros((len(texts), dim), dtype=np.float32)
        states = np.zeros((len(texts), dim), dtype=np.float32) if heads else None
        for i, t in enumerate(texts):
            fresh = t in at
            out[i] = new[at[t]] if fresh else corpus.embeddings[known[t]]  # type: ignore[union-attr]
            if states is not None:
                states[i] = new_states[at[t]] if fresh else corpus_states[known[t]]  # type: ignore[index]
        return out, states

    def text_encoder(self):  # type: ignore[no-untyped-def]
        """The encoder this stage embeds with (the run's, unless ``encoder`` is set): the
        aspects stage embeds clause pieces through it so they land in the same space."""
        from voc.encoder import text_encoder

        rt = self.encoder_runtime
        return text_encoder(self.encoder or rt["model"], rt["cache_dir"], rt["backend"])

    # --- the layer states joined to the embedding ------------------------------------------
    @property
    def feature(self) -> str:
        """Where the shared pass puts this stage's head output (``corpus.features``)."""
        return f"layer{self._layer()}_mean"

    def _layer(self) -> int | None:
        return self.layer_ if hasattr(self, "mode_") else self.layer  # a fitted stage keeps its own

    def head(self) -> LayerMeanPool | None:
        """The head the embed stage runs for this stage: layer ``layer``'s mean-pooled
        states. Joined to the embedding they lifted micro-F1 on all three benchmark
        tasks (``layer_study`` in benchmarks/results/touchpoints.json): layer 3 keeps
        more of the words than the last layer, which the sentence objective shaped."""
        layer = self._layer()
        return None if layer is None else LayerMeanPool(layer)

    def _corpus_states(self, corpus: Corpus) -> np.ndarray:
        """The layer states of the corpus's sentences: from the shared pass, or encoded
        here (loudly: a second pass) when the corpus was built without them."""
        arr = corpus.features.get(self.feature)
        if arr is not None and len(arr) == len(corpus.sentences):
            return arr
        return self._encode_states(corpus.sentences["text"].astype(str).tolist())

    def _encode_states(self, texts: list[str]) -> np.ndarray:
        """The fallback when the shared pass did not run :meth:`head`: a second pass, so say so."""
        log.warning("touchpoints: %s was not computed in the shared pass (attach TouchpointStage.head() to the "
                    "embed stage, as voc.Analyzer does); encoding %d sentences again for it", self.feature, len(texts))
        return self.text_encoder().encode(texts, heads=[LayerMeanPool(self.layer_)]).head_outputs[0]  # type: ignore[arg-type]

    def _join(self, embeddings: np.ndarray, states: np.ndarray | None) -> np.ndarray:
        """[embedding, w * centred unit layer states], unit length; the embedding alone
        when the stage has no layer."""
        if self.layer_ is None or states is None:
            return embeddings
        # in place, into one preallocated array: the same float32 operations in the same order
        # as [e, w * z / |z|] / |.|, without three more n x 768 temporaries (6 KB per sentence
        # at the stage's peak: 0.9 GB on 131k sentences)
        emb = np.asarray(embeddings, dtype=np.float32)
        d = emb.shape[1]
        out = np.empty((emb.shape[0], d + np.shape(states)[1]), dtype=np.float32)
        out[:, :d] = emb
        z = out[:, d:]
        np.subtract(np.asarray(states, dtype=np.float32), self.layer_mean_, out=z, casting="unsafe")
        z /= np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-9)
        z *= LAYER_WEIGHT
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
        return out

    # --- scoring -----------------------------------------------------------------------
    def predict_proba(self, texts: list[str], embeddings: np.ndarray,
                      layer_states: np.ndarray | None = None) -> np.ndarray:
        """(n, k+1) probabilities over the taxonomy's touchpoints and, last, "none".
        ``layer_states``: the sentences' output of :meth:`head` (encoded here if omitted)."""
        self.check_fitted("mode_")
        dim = self.prototypes_.shape[1]
        if embeddings.shape[1] != dim:
            raise PipelineError(f"touchpoints: sentence embeddings have {embeddings.shape[1]} dimensions but the "
                                f"taxonomy was encoded with {dim}; use the same encoder")
        hits = self._keyword_hits(texts)
        if self.coef_ is not None and self.layer_ is not None and layer_states is None:
            layer_states = self._encode_states(texts) if texts else np.zeros((0, dim), np.float32)
        # scored a block at a time: the joined vectors and the word view's matrices of a whole
        # large file (3 KB a sentence and more) would be the run's peak
        spans = [(a, a + PREDICT_BLOCK) for a in range(0, max(len(texts), 1), PREDICT_BLOCK)]
        return np.vstack([self._proba(texts[a:b], embeddings[a:b], None if layer_states is None else layer_states[a:b],
                                      hits[a:b]) for a, b in spans])

    def _proba(self, texts: list[str], embeddings: np.ndarray, layer_states: np.ndarray | None,
               hits: np.ndarray) -> np.ndarray:
        """:meth:`predict_proba` of one block of rows."""
        joined = (self._join(embeddings, layer_states) if self.coef_ is not None and self.layer_ is not None
                  else embeddings)  # the learned heads read the joined vector
        if self.head_ == "one-vs-rest" and self.coef_ is not None and self.intercept_ is not None:
            proba = ovr_proba(joined, self.coef_, self.intercept_, hits, KEYWORD_LOGIT)
            if self.lexical_ is not None and len(texts):
                k = proba.shape[1] - 1
                tp = (1 - LEXICAL_WEIGHT) * proba[:, :k] + LEXICAL_WEIGHT * self.lexical_.predict_proba(texts)
                proba = np.hstack([tp, 1.0 - tp.max(axis=1, keepdims=True)])
            return proba
        if self.coef_ is not None and self.intercept_ is not None:
            return few_shot_proba(joined, self.coef_, self.intercept_, hits, KEYWORD_LOGIT)
        sim = prototype_similarity(embeddings, self.prototypes_, self.prototype_owner_, len(self.taxonomy_))
        return zero_shot_proba(sim, hits, self.temperature, self.floor, KEYWORD_LOGIT)

    def _keyword_hits(self, texts: list[str]) -> np.ndarray:
        if not self.keywords:
            return np.zeros((len(texts), len(self.taxonomy_)), dtype=bool)
        # fit_transform tokenizes the same corpus twice otherwise; the comparison is cheap
        cached = getattr(self, "_hits_cache", None)
        if cached is not None and cached[0] == texts:
            return cached[1]
        if getattr(self, "_matcher", None) is None:
            self._matcher = KeywordMatcher(self.taxonomy_)
        hits = self._matcher.match(texts)
        self._hits_cache = (list(texts), hits)
        return hits

    def effort_flags(self, texts: list[str], embeddings: np.ndarray) -> np.ndarray:
        flags = effort_rules.match_effort(texts)
        if self.effort_similarity is not None and len(self.effort_prototypes_):
            flags |= (embeddings @ self.effort_prototypes_.T).max(axis=1) >= self.effort_similarity
        return flags

    def transform(self, corpus: Corpus) -> Corpus:
        self.check_fitted("mode_")
        sents = corpus.sentences.copy()
        texts = sents["text"].astype(str).tolist()
        emb = corpus.embeddings if corpus.embeddings is not None else np.zeros((0, self.prototypes_.shape[1]))
        if len(texts) != len(emb):
            raise PipelineError(f"touchpoints: {len(texts)} sentences but {len(emb)} embeddings; "
                                "run the embed stage on the same sentences")
        names = self.taxonomy_.names
        threshold = self.threshold if self.threshold is not None else DEFAULT_THRESHOLD
        states = corpus.features.get(self.feature) if self.layer_ is not None else None
        if states is not None and len(states) != len(texts):
            states = None
        tags, primary, score = (decide(self.predict_proba(texts, emb, states), threshold, self.taxonomy_.catch_all,
                                       opinion=_opinionated(sents))
                                if texts else ([], [], []))
        sents["touchpoints"] = pd.Series([[names[j] for j in t] for t in tags], index=sents.index, dtype=object)
        sents["touchpoint"] = [names[j] if j >= 0 else NONE for j in primary]
        sents["touchpoint_score"] = np.asarray(score, dtype=np.float64)
        sents["effort"] = self.effort_flags(texts, emb) if texts else np.zeros(0, dtype=bool)
        docs = corpus.docs.copy()
        by_doc = sents.groupby("doc_id", sort=False)
        tp_sets = by_doc["touchpoints"].agg(lambda col: sorted({t for ts in col for t in ts}))
        effort_any = by_doc["effort"].any()
        docs["touchpoints"] = pd.Series([tp_sets.get(d, []) for d in docs["doc_id"]], index=docs.index, dtype=object)
        docs["effort"] = [bool(effort_any.get(d, False)) for d in docs["doc_id"]]
        corpus.sentences, corpus.docs = sents, docs
        counts = sents["touchpoint"].value_counts()
        corpus.meta.setdefault("touchpoints", {}).update({
            "mode": self.mode_, "head": self.head_, "word_view": self.lexical_ is not None, "layer": self.layer_,
            **dict(zip(("taxonomy", "taxonomy_sha256"), split_traced(self.taxonomy_.source))), "threshold": threshold,
            "none_share": float(counts.get(NONE, 0) / max(len(sents), 1)), "effort_sentences": int(sents["effort"].sum()),
        })
        return corpus

    # --- persistence ---------------------------------------------------------------------
    def to_disk(self, path: Path) -> None:
        self.check_fitted("mode_")
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        params = self.get_params()
        if isinstance(params["taxonomy"], Taxonomy):  # the entries are saved in state.json
            params["taxonomy"] = params["taxonomy"].source
        (path / "params.json").write_text(json.dumps(params, indent=2, default=str), encoding="utf-8")
        state: dict[str, Any] = {"mode": self.mode_, "head": self.head_, "taxonomy_source": self.taxonomy_.source,
                                 "taxonomy": self.taxonomy_.to_entries(), "layer": self.layer_}
        (path / "state.json").write_text(json.dumps(state, indent=2), encoding="utf-8")
        np.save(path / "prototypes.npy", self.prototypes_)
        np.save(path / "prototype_owner.npy", self.prototype_owner_)
        np.save(path / "effort_prototypes.npy", self.effort_prototypes_)
        if self.layer_ is not None:
            np.save(path / "layer_mean.npy", self.layer_mean_)
        if self.coef_ is not None and self.intercept_ is not None:
            np.save(path / "coef.npy", self.coef_)
            np.save(path / "intercept.npy", self.intercept_)
        if self.lexical_ is not None:
            vocabulary, arrays = self.lexical_.state()
            (path / "lexical_vocabulary.json").write_text(json.dumps(vocabulary, ensure_ascii=False), encoding="utf-8")
            np.savez(path / "lexical.npz", **arrays)

    def from_disk(self, path: Path) -> "TouchpointStage":
        path = Path(path)
        try:
            params = json.loads((path / "params.json").read_text(encoding="utf-8"))
            state = json.loads((path / "state.json").read_text(encoding="utf-8"))
            prototypes = np.load(path / "prototypes.npy", allow_pickle=False)
            owner = np.load(path / "prototype_owner.npy", allow_pickle=False)
            effort_protos = np.load(path / "effort_prototypes.npy", allow_pickle=False)
            few = (path / "coef.npy").exists()
            coef = np.load(path / "coef.npy", allow_pickle=False) if few else None
            intercept = np.load(path / "intercept.npy", allow_pickle=False) if few else None
            layer = state.get("layer")  # models saved before the layer states have none
            layer_mean = np.load(path / "layer_mean.npy", allow_pickle=False) if layer is not None else None
            lexical = None
            if (path / "lexical.npz").exists():  # models saved before the word view have none
                with np.load(path / "lexical.npz", allow_pickle=False) as arrays:
                    lexical = LexicalView.from_state(
                        json.loads((path / "lexical_vocabulary.json").read_text(encoding="utf-8")), dict(arrays))
        except (OSError, ValueError, KeyError) as exc:
            raise ModelLoadError(f"cannot load the touchpoints stage from {path}: {exc}") from exc
        for key, value in params.items():
            if key in self.get_params():
                setattr(self, key, value)
        self.taxonomy_ = Taxonomy.from_entries(state["taxonomy"], source=state.get("taxonomy_source", str(path)))
        self.prototypes_, self.prototype_owner_, self.effort_prototypes_ = prototypes, owner, effort_protos
        self.coef_, self.intercept_ = coef, intercept
        self.lexical_ = lexical
        self.layer_ = layer
        if layer_mean is not None:
            self.layer_mean_ = layer_mean
        self.mode_, self.head_ = state["mode"], state["head"]
        self._matcher = None
        self._hits_cache = None
        return self


def _opinionated(sents: pd.DataFrame) -> np.ndarray | None:
    """Which sentences voice an opinion (the catch-all takes those, not context such as
    "The rest of the dim sum" or "We went on Friday"): not classed ``context`` by the
    themes stage and not read as neutral by the sentiment stage. None when neither ran."""
    if "kind" not in sents and "p_neutral" not in sents:
        return None
    keep = np.ones(len(sents), dtype=bool)
    if "kind" in sents:
        keep &= (sents["kind"].astype("string").fillna("") != "context").to_numpy()
    if "p_neutral" in sents:
        keep &= sents["p_neutral"].fillna(1.0).to_numpy(dtype=float) < 0.5
    return keep


def _prototype_texts(taxonomy: Taxonomy) -> tuple[list[str], list[int]]:
    """One "name: description" text per touchpoint plus each example sentence."""
    texts: list[str] = []
    owner: list[int] = []
    for j, tp in enumerate(taxonomy):
        texts.append(f"{tp.name}: {tp.description}")
        owner.append(j)
        for ex in tp.examples:
            texts.append(ex)
            owner.append(j)
    return texts, owner


def _read_labels(path: Path) -> pd.DataFrame:
    """Labeled touchpoint examples from a CSV (columns text, touchpoint) or a YAML list of
    ``{text, touchpoint}`` entries."""
    if not path.is_file():
        raise ConfigError(f"touchpoint labels file {str(path)!r} not found")
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        frame = pd.DataFrame(yaml.safe_load(path.read_text(encoding="utf-8")) or [])
    else:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    if frame.empty:
        raise ConfigError(f"touchpoint labels file {str(path)!r} has no rows")
    return frame
