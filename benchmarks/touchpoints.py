"""Benchmark of the touchpoints stage.

1. SemEval-2014 restaurants, test split, aspect-category detection (5 categories,
   multi-label): zero-shot from a taxonomy of category names + one-line descriptions
   only, and few-shot with 5 and 20 labeled *train* sentences per category (mean and
   std over seeds). Micro/macro-F1.
2. Airline tweets (negative, with a reason): the default online-retail taxonomy,
   per-touchpoint precision/recall for the reasons that map to it, and the effort flag
   against ``longlines``; plus an airline taxonomy written from the reason names.
3. Effort rules: precision/recall on the hand-written sentences in
   tests/stages/test_touchpoints.py.

    python benchmarks/touchpoints.py                  # writes benchmarks/results/touchpoints.json
    python benchmarks/touchpoints.py --data-dir DIR   # another copy of the shared data
    python benchmarks/touchpoints.py --seeds 10

Embeddings are cached under ``--cache-dir`` (default: the system temp dir).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
sys.path.insert(0, str(REPO))

from voc.stages.base import Corpus  # noqa: E402
from voc.stages.touchpoints import TouchpointStage  # noqa: E402
from voc.touchpoints.taxonomy import Taxonomy  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from themes import embed_cached  # noqa: E402  (one cache for both benchmarks)

# Written from the category names and a one-line description each, nothing else.
SEMEVAL_TAXONOMY = [
    {"name": "food", "description": "the food and drinks: dishes, menu, taste, quality and portions"},
    {"name": "service", "description": "the service: waiters and staff, their friendliness, attentiveness and speed"},
    {"name": "price", "description": "the prices: how expensive or cheap it is and the value for money"},
    {"name": "ambience", "description": "the ambience: atmosphere, decor, music, noise and seating"},
    {"name": "anecdotes/miscellaneous", "description": "anecdotes and general remarks about the restaurant or the visit"},
]

# Airline complaint reasons, from the reason names and a one-line description each.
AIRLINE_TAXONOMY = [
    {"name": "Late Flight", "description": "the flight was late or delayed"},
    {"name": "Cancelled Flight", "description": "the flight was cancelled"},
    {"name": "Lost Luggage", "description": "luggage or bags that were lost or delayed"},
    {"name": "Damaged Luggage", "description": "luggage or bags that were damaged"},
    {"name": "Customer Service Issue", "description": "problems with customer service, agents and phone support"},
    {"name": "Flight Booking Problems", "description": "problems booking, changing or paying for a flight"},
    {"name": "Bad Flight", "description": "a bad flight experience: seats, wifi, food, comfort on board"},
    {"name": "Flight Attendant Complaints", "description": "complaints about flight attendants and cabin crew"},
    {"name": "longlines", "description": "long lines and queues at the airport"},
]

# negativereason -> default-taxonomy touchpoint. "direct": the reason is that
# touchpoint; "analogy": a retail touchpoint standing in for an airline one.
AIRLINE_TO_DEFAULT = {
    "Customer Service Issue": ("customer support", "direct"),
    "Flight Booking Problems": ("purchase & checkout", "direct"),
    "Bad Flight": ("product quality & use", "analogy"),
    "Lost Luggage": ("delivery", "analogy"),
    "Damaged Luggage": ("delivery", "analogy"),
    "Late Flight": ("delivery", "analogy"),
}


# --- helpers ---------------------------------------------------------------------------
def corpus_of(texts: list[str], emb: np.ndarray) -> Corpus:
    n = len(texts)
    sents = pd.DataFrame({"doc_id": np.arange(n), "sentence_id": 0, "text": texts})
    return Corpus(docs=pd.DataFrame({"doc_id": np.arange(n)}), sentences=sents, embeddings=emb)


def tag(stage: TouchpointStage, texts: list[str], emb: np.ndarray) -> tuple[list[list[str]], float]:
    """Tags per sentence and transform time per 1,000 sentences."""
    t0 = time.perf_counter()
    out = stage.transform(corpus_of(texts, emb)).sentences["touchpoints"].tolist()
    return out, (time.perf_counter() - t0) * 1000 / max(len(texts), 1) * 1000


def f1_scores(gold: list[set[str]], pred: list[list[str]], labels: list[str]) -> dict[str, object]:
    tp = np.zeros(len(labels))
    fp = np.zeros(len(labels))
    fn = np.zeros(len(labels))
    for g, p in zip(gold, pred, strict=True):
        for j, lab in enumerate(labels):
            tp[j] += lab in g and lab in p
            fp[j] += lab not in g and lab in p
            fn[j] += lab in g and lab not in p
    prec = tp / np.maximum(tp + fp, 1)
    rec = tp / np.maximum(tp + fn, 1)
    f1 = 2 * prec * rec / np.maximum(prec + rec, 1e-12)
    micro_p = tp.sum() / max(tp.sum() + fp.sum(), 1)
    micro_r = tp.sum() / max(tp.sum() + fn.sum(), 1)
    return {
        "micro_f1": round(float(2 * micro_p * micro_r / max(micro_p + micro_r, 1e-12)), 4),
        "macro_f1": round(float(f1.mean()), 4),
        "micro_precision": round(float(micro_p), 4), "micro_recall": round(float(micro_r), 4),
        "per_label": {lab: {"precision": round(float(prec[j]), 3), "recall": round(float(rec[j]), 3),
                            "f1": round(float(f1[j]), 3), "support": int(tp[j] + fn[j])}
                      for j, lab in enumerate(labels)},
    }


def sample_labeled(texts: list[str], gold: list[set[str]], labels: list[str], k: int, seed: int) -> pd.DataFrame:
    """k sentences per category (a sentence brings all its labels), as a user would
    label a handful of examples of each touchpoint."""
    rng = np.random.default_rng(seed)
    chosen: set[int] = set()
    for lab in labels:
        pool = [i for i, g in enumerate(gold) if lab in g and i not in chosen]
        chosen.update(int(i) for i in rng.choice(pool, size=min(k, len(pool)), replace=False))
    rows = [(texts[i], lab) for i in sorted(chosen) for lab in sorted(gold[i])]
    return pd.DataFrame(rows, columns=["text", "touchpoint"])


# --- SemEval ---------------------------------------------------------------------------
def semeval(data_dir: Path, cache_dir: Path, seeds: int) -> dict[str, object]:
    df = pd.read_csv(data_dir / "semeval2014_restaurants" / "sentences.csv")
    gold_all = [{c["category"] for c in json.loads(j)} for j in df["aspect_categories_json"]]
    labels = [e["name"] for e in SEMEVAL_TAXONOMY]
    test = (df["split"] == "test").to_numpy()
    texts = df["text"].astype(str).tolist()
    emb = embed_cached(texts, cache_dir)
    te = np.flatnonzero(test)
    tr = np.flatnonzero(~test)
    te_texts, te_emb, te_gold = [texts[i] for i in te], emb[te], [gold_all[i] for i in te]
    tr_texts, tr_gold = [texts[i] for i in tr], [gold_all[i] for i in tr]
    taxonomy = Taxonomy.from_entries(SEMEVAL_TAXONOMY, source="semeval-names+descriptions")

    out: dict[str, object] = {"n_test_sentences": len(te), "taxonomy": SEMEVAL_TAXONOMY}
    t0 = time.perf_counter()
    stage = TouchpointStage(taxonomy=taxonomy).fit(corpus_of(te_texts, te_emb))
    fit_s = time.perf_counter() - t0
    pred, ms = tag(stage, te_texts, te_emb)
    out["zero_shot"] = {**f1_scores(te_gold, pred, labels), "ms_per_1k_sentences": round(ms, 1),
                        "fit_seconds": round(fit_s, 2),
                        "none_share": round(float(np.mean([not p for p in pred])), 4)}
    # corpus of train sentences + test: labels come from train, the corpus reuses its embeddings
    full = corpus_of(texts, emb)
    for k in (5, 20):
        runs = []
        for seed in range(seeds):
            labeled = sample_labeled(tr_texts, tr_gold, labels, k, seed)
            st = TouchpointStage(taxonomy=taxonomy, random_state=seed).fit(full, labeled=labeled)
            pred, _ = tag(st, te_texts, te_emb)
            runs.append(f1_scores(te_gold, pred, labels))
        micro = [r["micro_f1"] for r in runs]
        macro = [r["macro_f1"] for r in runs]
        out[f"few_shot_{k}"] = {
            "seeds": seeds, "labeled_sentences_per_category": k,
            "micro_f1": round(float(np.mean(micro)), 4), "micro_f1_std": round(float(np.std(micro)), 4),
            "macro_f1": round(float(np.mean(macro)), 4), "macro_f1_std": round(float(np.std(macro)), 4),
            "per_label_seed0": runs[0]["per_label"],
        }
    # context, not a voc mode: the ceiling of a linear probe on these frozen embeddings
    # with all 3,041 labeled train sentences (one-vs-rest logistic regression, C=1)
    from sklearn.linear_model import LogisticRegression

    y_tr = np.array([[lab in g for lab in labels] for g in tr_gold])
    probs = np.column_stack([LogisticRegression(C=1.0, max_iter=2000).fit(emb[tr], y_tr[:, j]).predict_proba(te_emb)[:, 1]
                             for j in range(len(labels))])
    pred = [[labels[j] for j in range(len(labels)) if p[j] >= 0.4 or j == p.argmax()] for p in probs]
    ceiling = f1_scores(te_gold, pred, labels)
    out["linear_probe_full_train"] = {"micro_f1": ceiling["micro_f1"], "macro_f1": ceiling["macro_f1"],
                                      "note": "all train labels, threshold 0.4 + argmax; an upper bound for "
                                              "any classifier on the shared MiniLM embeddings"}
    return out


# --- airline ---------------------------------------------------------------------------
def airline(data_dir: Path, cache_dir: Path) -> dict[str, object]:
    df = pd.read_csv(data_dir / "twitter_us_airline_sentiment" / "Tweets.csv")
    df = df[(df["airline_sentiment"] == "negative") & df["negativereason"].notna()]
    emb = embed_cached(df["text"].astype(str).tolist(), cache_dir)  # same cache as the themes benchmark
    keep_rows = ~df["tweet_id"].duplicated().to_numpy()
    df, emb = df[keep_rows], emb[keep_rows]
    texts = df["text"].astype(str).tolist()
    reasons = df["negativereason"].astype(str).tolist()
    out: dict[str, object] = {"n_tweets": len(texts), "mapping": {k: list(v) for k, v in AIRLINE_TO_DEFAULT.items()},
                              "unmapped_reasons": sorted(set(reasons) - set(AIRLINE_TO_DEFAULT))}

    stage = TouchpointStage().fit(corpus_of(texts, emb))
    result = stage.transform(corpus_of(texts, emb)).sentences
    pred = result["touchpoints"].tolist()
    per: dict[str, object] = {}
    for tp in sorted({v[0] for v in AIRLINE_TO_DEFAULT.values()}):
        gold = np.array([AIRLINE_TO_DEFAULT.get(r, ("",))[0] == tp for r in reasons])
        hit = np.array([tp in p for p in pred])
        per[tp] = {"precision": round(float((gold & hit).sum() / max(hit.sum(), 1)), 3),
                   "recall": round(float((gold & hit).sum() / max(gold.sum(), 1)), 3),
                   "support": int(gold.sum()), "tagged": int(hit.sum())}
    out["default_taxonomy"] = per
    by_reason = pd.crosstab(pd.Series(reasons, name="reason"), result["touchpoint"].to_numpy())
    out["default_taxonomy_primary_by_reason"] = {r: row[row > 0].sort_values(ascending=False).to_dict()
                                                 for r, row in by_reason.iterrows()}
    effort = result["effort"].to_numpy()
    longlines = np.array([r == "longlines" for r in reasons])
    out["effort"] = {"flagged_share": round(float(effort.mean()), 4),
                     "recall_on_longlines": round(float(effort[longlines].mean()), 3),
                     "flagged_share_by_reason": {r: round(float(effort[np.array(reasons) == r].mean()), 3)
                                                 for r in sorted(set(reasons))}}

    # the same procedure as SemEval: a taxonomy from the reason names, zero-shot
    labels = [e["name"] for e in AIRLINE_TAXONOMY]
    stage = TouchpointStage(taxonomy=Taxonomy.from_entries(AIRLINE_TAXONOMY, source="airline-reasons")).fit(
        corpus_of(texts, emb))
    keep = [i for i, r in enumerate(reasons) if r != "Can't Tell"]
    pred, _ = tag(stage, [texts[i] for i in keep], emb[keep])
    out["reason_taxonomy_zero_shot"] = f1_scores([{reasons[i]} for i in keep], pred, labels)
    out["reason_taxonomy_zero_shot"]["note"] = "tweets labeled Can't Tell left out"
    return out


# --- effort ----------------------------------------------------------------------------
def effort_set() -> dict[str, object]:
    from voc.touchpoints.effort import match_effort

    from tests.stages.test_touchpoints import EFFORT_NEGATIVE, EFFORT_POSITIVE

    pos = match_effort(EFFORT_POSITIVE)
    neg = match_effort(EFFORT_NEGATIVE)
    tp, fp = int(pos.sum()), int(neg.sum())
    return {"n_effort": len(EFFORT_POSITIVE), "n_other": len(EFFORT_NEGATIVE),
            "precision": round(tp / max(tp + fp, 1), 3), "recall": round(tp / len(EFFORT_POSITIVE), 3)}


def machine() -> dict[str, object]:
    import sklearn
    import torch

    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "torch": torch.__version__, "sklearn": sklearn.__version__, "torch_threads": torch.get_num_threads(),
            "note": "2 shared cores; another model was training at the same time, so timings are pessimistic"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "voc_bench_cache")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "touchpoints.json")
    args = ap.parse_args()
    t0 = time.time()
    results: dict[str, object] = {"machine": machine()}
    results["semeval2014_restaurants"] = semeval(args.data_dir, args.cache_dir, args.seeds)
    results["airline_negative_tweets"] = airline(args.data_dir, args.cache_dir)
    results["effort_handwritten"] = effort_set()
    results["seconds"] = round(time.time() - t0, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    s = results["semeval2014_restaurants"]
    print(f"SemEval zero-shot micro-F1 {s['zero_shot']['micro_f1']}, 5-shot {s['few_shot_5']['micro_f1']}, "  # type: ignore[index]
          f"20-shot {s['few_shot_20']['micro_f1']}; wrote {args.out}")  # type: ignore[index]


if __name__ == "__main__":
    main()
