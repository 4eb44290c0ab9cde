"""Issue #21: ``voc evaluate`` on the shared labeled sets, its figures checked against
scikit-learn's on the same predictions.

    .venv/bin/python benchmarks/evaluate.py          # ~5 min on 2 cores

For each set a model is fitted on one part (``voc.Analyzer.fit``, as ``voc analyze`` does)
and ``voc.evaluate`` grades it on rows it did not see, exactly as a user's labeled file:

* airline tweets: 2,000 fit, 1,000 graded; sentiment = ``airline_sentiment``, theme =
  ``negativereason`` (negative tweets only; the others are unlabeled for themes);
* SemEval-2014 restaurant sentences: fit on the train split with the restaurant taxonomy
  (``configs/taxonomies/restaurant.yaml``), graded on the test split; sentiment = the
  polarity where all of a sentence's categories agree; touchpoints = its categories through
  a label map (``anecdotes/miscellaneous`` → none); theme = the single category;
* women's clothing reviews: 1,500 fit, 1,000 graded; sentiment = ``Rating`` (1-5).

The script then recomputes accuracy, macro-F1, the confusion matrix, touchpoint micro-F1 and
V-measure from ``predictions.csv``'s columns with scikit-learn, in code that shares nothing
with ``voc.evaluate``, and records whether each figure is equal. Results:
``benchmarks/results/evaluate.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DATA = REPO.parent / "shared" / "data"
SEED = 0
SENTIMENTS = ["negative", "neutral", "positive"]
SEMEVAL_MAP = {"food": "food", "service": "service", "price": "price", "ambience": "ambience",
               "anecdotes/miscellaneous": "none"}


def sklearn_check(ev: Any) -> dict[str, Any]:
    """voc.evaluate's figures against scikit-learn on the predictions it wrote."""
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, v_measure_score

    p = ev.predictions
    out: dict[str, Any] = {}
    if ev.sentiment:
        s = p.dropna(subset=["sentiment_label", "sentiment_voc"])
        s = s[s["sentiment_voc"].isin(SENTIMENTS)]
        acc = round(accuracy_score(s["sentiment_label"], s["sentiment_voc"]), 4)
        f1 = round(f1_score(s["sentiment_label"], s["sentiment_voc"], labels=SENTIMENTS, average="macro",
                            zero_division=0), 4)
        cm = confusion_matrix(s["sentiment_label"], s["sentiment_voc"], labels=SENTIMENTS).tolist()
        out["sentiment"] = {"accuracy": [ev.sentiment["accuracy"], acc], "macro_f1": [ev.sentiment["macro_f1"], f1],
                            "confusion_equal": ev.sentiment["confusion"]["matrix"] == cm,
                            "equal": ev.sentiment["accuracy"] == acc and ev.sentiment["macro_f1"] == f1
                            and ev.sentiment["confusion"]["matrix"] == cm}
    if ev.touchpoints:
        t = p[p["touchpoints_label"].notna()]
        names = sorted({n for c in ("touchpoints_label", "touchpoints_voc") for v in t[c].fillna("")
                        for n in str(v).split(";") if n})
        y = np.asarray([[n in str(v).split(";") for n in names] for v in t["touchpoints_label"].fillna("")])
        yp = np.asarray([[n in str(v).split(";") for n in names] for v in t["touchpoints_voc"].fillna("")])
        micro = round(f1_score(y, yp, average="micro", zero_division=0), 4)
        out["touchpoints"] = {"micro_f1": [ev.touchpoints["micro_f1"], micro],
                              "equal": ev.touchpoints["micro_f1"] == micro}
    if ev.themes:
        t = p[p["theme_label"].notna() & (p["theme_label"].astype(str) != "")]
        v = round(v_measure_score(t["theme_label"].astype(str), t["theme_voc"].astype(str)), 4)
        out["themes"] = {"v_measure": [ev.themes["v_measure"], v], "equal": ev.themes["v_measure"] == v}
    out["all_equal"] = all(x["equal"] for x in out.values() if isinstance(x, dict))
    return out


def summary(ev: Any, seconds: float) -> dict[str, Any]:
    keep = ("n", "accuracy", "accuracy_interval", "macro_f1", "macro_f1_interval", "micro_f1", "micro_f1_interval",
            "macro_f1", "v_measure", "v_measure_interval", "homogeneity", "completeness", "your_labels", "voc_themes",
            "unlabeled", "unlabeled_or_unscored")
    part = {k: {x: v for x, v in getattr(ev, k).items() if x in keep} for k in ("sentiment", "touchpoints", "themes")
            if getattr(ev, k)}
    if ev.themes:
        part["themes"]["mixed_themes"] = len(ev.themes["mixed_themes"])
    return {"rows": ev.n_rows, "rejected": ev.n_rejected, "evaluate_seconds": round(seconds, 1), **part,
            "sklearn": sklearn_check(ev)}


def fit(frame: pd.DataFrame, overrides: list[str]) -> Any:
    import voc

    return voc.Analyzer(mapping=voc.ColumnMapping(text="text"), overrides=overrides).fit(frame)


def grade(labels: pd.DataFrame, model: Any, **kw: Any) -> tuple[Any, float]:
    import voc

    t0 = time.perf_counter()
    ev = voc.evaluate(labels, model, **kw)
    return ev, time.perf_counter() - t0


def airline() -> dict[str, Any]:
    path = DATA / "twitter_us_airline_sentiment" / "Tweets.csv"
    if not path.exists():
        return {"skipped": f"not found: {path}"}
    raw = pd.read_csv(path).sample(frac=1.0, random_state=SEED)
    train, test = raw.iloc[:2000], raw.iloc[2000:3000]
    model = fit(pd.DataFrame({"text": train["text"]}), [])
    labels = pd.DataFrame({"text": test["text"], "sentiment": test["airline_sentiment"],
                           "theme": test["negativereason"]})
    ev, secs = grade(labels, model)
    return {"fit_rows": len(train), **summary(ev, secs)}


def semeval() -> dict[str, Any]:
    path = DATA / "semeval2014_restaurants" / "sentences.csv"
    if not path.exists():
        return {"skipped": f"not found: {path}"}
    raw = pd.read_csv(path)
    rows = []
    for text, split, cats in zip(raw["text"], raw["split"], raw["aspect_categories_json"]):
        c = json.loads(cats)
        pols = {x["polarity"] for x in c}
        names = sorted({x["category"] for x in c})
        rows.append({"text": text, "split": split,
                     "sentiment": next(iter(pols)) if len(pols) == 1 and pols <= set(SENTIMENTS) else None,
                     "touchpoints": ";".join(names), "theme": names[0] if len(names) == 1 else None})
    frame = pd.DataFrame(rows)
    taxonomy = str(REPO / "configs" / "taxonomies" / "restaurant.yaml")
    model = fit(frame[frame["split"] == "train"][["text"]], [f"touchpoints.taxonomy={taxonomy}",
                                                               "segment.split_clauses=false"])
    test = frame[frame["split"] == "test"].drop(columns=["split"])
    ev, secs = grade(test, model, label_map={"touchpoints": SEMEVAL_MAP})
    return {"fit_rows": int((frame["split"] == "train").sum()), "label_map": {"touchpoints": SEMEVAL_MAP},
            **summary(ev, secs)}


def clothing() -> dict[str, Any]:
    path = DATA / "womens_ecommerce_clothing_reviews" / "Womens Clothing E-Commerce Reviews.csv"
    if not path.exists():
        return {"skipped": f"not found: {path}"}
    raw = pd.read_csv(path)
    raw = raw[raw["Review Text"].fillna("").str.strip() != ""].sample(n=2500, random_state=SEED)
    train, test = raw.iloc[:1500], raw.iloc[1500:]
    model = fit(pd.DataFrame({"text": train["Review Text"]}), [])
    ev, secs = grade(pd.DataFrame({"text": test["Review Text"], "rating": test["Rating"]}), model,
                     sentiment="rating")
    return {"fit_rows": len(train), **summary(ev, secs)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "evaluate.json")
    args = ap.parse_args(argv)
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    res: dict[str, Any] = {"command": "python benchmarks/evaluate.py", "voc_commit": commit, "seed": SEED,
                           "machine": {"platform": platform.platform(), "cpus": 2}}
    t0 = time.perf_counter()
    for name, fn in (("airline_tweets", airline), ("semeval2014_restaurants", semeval),
                     ("womens_clothing_reviews", clothing)):
        print(f"[evaluate] {name} ...", flush=True)
        res[name] = fn()
        print(json.dumps(res[name].get("sklearn", res[name]))[:400], flush=True)
    res["all_equal_to_sklearn"] = all(v["sklearn"]["all_equal"] for v in res.values()
                                      if isinstance(v, dict) and "sklearn" in v)
    res["total_seconds"] = round(time.perf_counter() - t0, 1)
    args.out.write_text(json.dumps(res, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"wrote {args.out.relative_to(REPO)}; all equal to sklearn: {res['all_equal_to_sklearn']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
