"""Touchpoints and polarity per aspect through `voc analyze`, as a user would run it.

SemEval-2014 restaurant sentences (../shared/data), each sentence one document, with a
taxonomy written from the category names and one-line descriptions
(benchmarks/taxonomies/semeval2014_restaurants.yaml):

1. ``test``: the 800 test sentences, touchpoint micro-F1 zero-shot and 5-shot (labels:
   5 train sentences per category, ``touchpoints.labels``, 3 draws).
2. ``multi_polarity``: every sentence (train and test) whose aspect categories carry two
   or more different polarities (no "conflict"): 153 sentences, 330 (sentence, category)
   pairs, the kind of sentence a one-score-per-sentence tool gets wrong. Touchpoint
   micro-F1, and 3-class accuracy of the polarity towards each gold category, two ways:
   ``clause_mean`` (the issue's definition: the mean ``sentiment_score`` of the clauses
   tagged with that category, neutral within +-0.2, the whole sentence's score when none
   is) and ``touchpoint_sentiment`` (the same with the per-touchpoint scores of the
   aspects stage), beside ``one_polarity`` (the sentence's score for every category).
   Caveat: voc's sentiment model trained on SemEval sentences whose polarities agree
   (including positive + neutral ones, some of which are in this subset) and the theme
   stage's kind head on SemEval train; read the figures as a comparison of settings.

Settings (``--set`` overrides): ``before`` = this issue's starting point (contrast
clauses only with 3+ words, no catch-all, no per-touchpoint scoring), ``default``, and
one change at a time.

    python benchmarks/aspect_polarity.py     # ~5 min on 2 cores; writes results/aspect_polarity.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import voc  # noqa: E402
from voc.touchpoints.mentions import touchpoint_mentions  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data"
TAXONOMY = REPO / "benchmarks" / "taxonomies" / "semeval2014_restaurants.yaml"
SETTINGS: dict[str, list[str]] = {
    "before": ["segment.split_aspects=false", "segment.min_clause_words=3", "aspects.enabled=false",
               "touchpoints.taxonomy=@no_catch_all"],
    "default": [],
    "no_catch_all": ["touchpoints.taxonomy=@no_catch_all"],
    "no_aspect_split": ["segment.split_aspects=false", "segment.min_clause_words=3"],
    "rescore": ["aspects.enabled=true"],
    "spans": ["aspects.spans=true"],
    "threshold_0.25": ["touchpoints.threshold=0.25"],
}


def load(data_dir: Path) -> pd.DataFrame:
    s = pd.read_csv(data_dir / "semeval2014_restaurants" / "sentences.csv")
    rows = [{"id": f"{r.split}-{str(r.sentence_id).strip()}", "split": r.split, "text": r.text,
             "gold": {c["category"]: c["polarity"] for c in json.loads(r.aspect_categories_json)}}
            for r in s.itertuples()]
    return pd.DataFrame(rows).drop_duplicates("text").reset_index(drop=True)


def analyse(frame: pd.DataFrame, overrides: list[str], tmp: Path) -> voc.Analysis:
    ov = [f"touchpoints.taxonomy={TAXONOMY}"]
    for o in overrides:
        if o.endswith("@no_catch_all"):
            import yaml

            entries = yaml.safe_load(TAXONOMY.read_text(encoding="utf-8"))
            path = tmp / "no_catch_all.yaml"
            path.write_text(yaml.safe_dump([{**e, "catch_all": False} for e in entries]), encoding="utf-8")
            o = f"touchpoints.taxonomy={path}"
        ov.append(o)
    mapping = voc.ColumnMapping(text="text", id="id")
    return voc.Analyzer(mapping=mapping, overrides=ov).fit_transform(frame[["id", "text"]])


def side(x: float) -> str:
    return "positive" if x > 0.2 else "negative" if x < -0.2 else "neutral"


def touchpoint_f1(frame: pd.DataFrame, docs: pd.DataFrame) -> dict[str, float]:
    pred = dict(zip(docs["doc_id"].astype(str), docs["touchpoints"]))
    tp = fp = fn = 0
    for i, gold in zip(frame["id"], frame["gold"]):
        p, g = set(pred.get(i, [])) - {"none"}, set(gold)
        tp, fp, fn = tp + len(p & g), fp + len(p - g), fn + len(g - p)
    return {"micro_f1": round(2 * tp / max(2 * tp + fp + fn, 1), 4), "precision": round(tp / max(tp + fp, 1), 4),
            "recall": round(tp / max(tp + fn, 1), 4)}


def polarity(frame: pd.DataFrame, analysis: voc.Analysis) -> dict[str, float]:
    docs, sents = analysis.documents, analysis.sentences
    whole = dict(zip(docs["doc_id"].astype(str), docs["sentiment_score"].astype(float)))
    tags = sents[["doc_id", "touchpoints", "sentiment_score"]].explode("touchpoints").dropna(subset=["touchpoints"])
    clause = tags.groupby([tags["doc_id"].astype(str), "touchpoints"])["sentiment_score"].mean()
    m = touchpoint_mentions(sents)
    per = m.groupby([m["doc_id"].astype(str), "touchpoint"])["sentiment_score"].mean()
    right = {"clause_mean": 0, "touchpoint_sentiment": 0, "one_polarity": 0}
    n = tagged = 0
    for i, gold in zip(frame["id"], frame["gold"]):
        doc = whole.get(i, 0.0)  # (a sentence read as another language has no score)
        doc = 0.0 if np.isnan(doc) else doc
        for cat, pol in gold.items():
            n += 1
            tagged += (i, cat) in clause.index
            right["clause_mean"] += side(float(clause.get((i, cat), doc))) == pol
            right["touchpoint_sentiment"] += side(float(per.get((i, cat), doc))) == pol
            right["one_polarity"] += side(doc) == pol
    return {**{k: round(v / n, 4) for k, v in right.items()}, "aspects_tagged": round(tagged / n, 4), "n_pairs": n}


def few_shot_labels(train: pd.DataFrame, k: int, seed: int, path: Path) -> Path:
    rng = np.random.default_rng(seed)
    rows = []
    for cat in sorted({c for g in train["gold"] for c in g}):
        pool = train[[cat in g and len(g) == 1 for g in train["gold"]]]
        for text in pool["text"].iloc[rng.choice(len(pool), k, replace=False)]:
            rows.append({"text": text, "touchpoint": cat})
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "aspect_polarity.json")
    ap.add_argument("--seeds", type=int, default=3)
    args = ap.parse_args()
    data = load(args.data_dir)
    test = data[data["split"] == "test"].reset_index(drop=True)
    train = data[data["split"] == "train"].reset_index(drop=True)
    multi = data[[len(g) >= 2 and len(set(g.values())) >= 2 and "conflict" not in g.values()
                  for g in data["gold"]]].reset_index(drop=True)
    results: dict[str, object] = {"data": {"test_sentences": len(test), "multi_polarity_sentences": len(multi)},
                                  "taxonomy": str(TAXONOMY.relative_to(REPO)), "settings": SETTINGS}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for name, overrides in SETTINGS.items():
            t0 = time.perf_counter()
            a_multi = analyse(multi, overrides, tmp)
            a_test = analyse(test, overrides, tmp)
            row = {"multi_polarity": {"touchpoints": touchpoint_f1(multi, a_multi.documents),
                                      "polarity": polarity(multi, a_multi)},
                   "test": {"touchpoints_zero_shot": touchpoint_f1(test, a_test.documents),
                            "polarity": polarity(test, a_test)}}
            if name in ("before", "default"):
                shots = [touchpoint_f1(test, analyse(test, overrides + [
                    f"touchpoints.labels={few_shot_labels(train, 5, seed, tmp / f'labels{seed}.csv')}"], tmp).documents)
                    ["micro_f1"] for seed in range(args.seeds)]
                row["test"]["touchpoints_5_shot"] = {"micro_f1": round(float(np.mean(shots)), 4),
                                                     "per_seed": shots}
            row["seconds"] = round(time.perf_counter() - t0, 1)
            results[name] = row
            print(name, json.dumps(row), flush=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
