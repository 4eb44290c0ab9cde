"""Benchmark of PII redaction (voc.pii): recall per kind and false positives on the
seeded synthetic corpus of tests/pii_corpus.py, throughput, and -- when the shared
data sets are present -- what redaction does to ~56k real reviews, tweets and queries.

    python benchmarks/pii_redaction.py                  # writes benchmarks/results/pii_redaction.json
    python benchmarks/pii_redaction.py --data-dir DIR   # another copy of the shared data sets
    python benchmarks/pii_redaction.py --n 5000         # a bigger corpus

Throughput is the best of several passes (the machine may be shared); the real-data
section reports counts only, never the texts, so no personal data lands in the results.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
sys.path.insert(0, str(REPO))

from tests.pii_corpus import build_corpus, evaluate  # noqa: E402
from voc.pii import DEFAULT_KINDS, Redactor  # noqa: E402

# The bounds tests/test_pii.py enforces on the same corpus.
BOUNDS = {"min_recall": {"email": 0.99, "card": 0.99, "iban": 0.99, "url": 0.99, "phone": 0.95, "address": 0.95},
          "max_fp_rate_ordinary_numbers": 0.005}


def machine() -> dict[str, object]:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {"python": platform.python_version(), "platform": platform.platform(), "machine": platform.machine(),
            "processor": platform.processor() or None, "cpus": os.cpu_count(), "load_avg_1min": load}


def best_rate(fn: Callable[[str], object], texts: list[str], repeats: int = 5) -> dict[str, float]:
    """Texts per second and microseconds per text, best of ``repeats`` passes."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for t in texts:
            fn(t)
        best = min(best, time.perf_counter() - t0)
    return {"texts_per_s": round(len(texts) / best), "us_per_text": round(best / len(texts) * 1e6, 2),
            "mean_chars": round(sum(map(len, texts)) / len(texts), 1)}


def real_data(data_dir: Path, redactor: Redactor) -> dict[str, object] | None:
    import pandas as pd

    sources = {
        "banking77": [("banking77/train.csv", "text"), ("banking77/test.csv", "text")],
        "twitter_us_airline_sentiment": [("twitter_us_airline_sentiment/Tweets.csv", "text")],
        "womens_ecommerce_clothing_reviews": [
            ("womens_ecommerce_clothing_reviews/Womens Clothing E-Commerce Reviews.csv", "Review Text")],
        "semeval2014_restaurants": [("semeval2014_restaurants/sentences.csv", "text")],
        "tweeteval_sentiment_val": [("tweeteval_sentiment_val/val.csv", "text")],
    }
    out: dict[str, object] = {}
    for name, files in sources.items():
        paths = [(data_dir / f, col) for f, col in files]
        if not all(p.exists() for p, _ in paths):
            continue
        texts = pd.concat([pd.read_csv(p)[col] for p, col in paths]).dropna().astype(str).reset_index(drop=True)
        redacted, counts = redactor.redact_series(texts)
        out[name] = {"texts": len(texts), "texts_changed": int((redacted != texts).sum()), "counts": counts,
                     "throughput": best_rate(redactor.redact, texts.tolist(), repeats=3)}
    return out or None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1200, help="corpus size (the tests use 1200)")
    ap.add_argument("--seed", type=int, default=20240315)
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "pii_redaction.json")
    args = ap.parse_args()

    t0 = time.time()
    items = build_corpus(args.n, args.seed)
    redactor = Redactor()
    ev = evaluate(redactor.redact, items, keep_failures=10)
    texts = [it.text for it in items]
    clean = [it.text for it in items if not it.pii]

    import pandas as pd

    series = pd.Series(texts)
    t1 = time.perf_counter()
    redactor.redact_series(series)
    series_s = time.perf_counter() - t1

    results: dict[str, object] = {
        "machine": machine(),
        "kinds": list(DEFAULT_KINDS),
        "corpus": {"texts": len(items), "seed": args.seed, "pii_values": sum(ev["support"].values()),
                   "ordinary_numbers": ev["ordinary_numbers"]},
        "bounds": BOUNDS,
        "recall": ev["recall"],
        "support": ev["support"],
        "recall_by_format": ev["recall_by_format"],
        "fp_rate_ordinary_numbers": ev["fp_rate_ordinary_numbers"],
        "fp_rate_by_category": ev["fp_rate_by_category"],
        "support_by_category": ev["support_by_category"],
        "bad_iban_redacted_as_iban": ev["bad_iban_redacted_as_iban"],
        "clean_texts_changed": ev["clean_texts_changed"],
        "misses": ev["misses"],  # synthetic values only
        "false_positives": ev["false_positives"],
        "throughput": {
            "corpus_pii_dense": best_rate(redactor.redact, texts),
            "corpus_no_pii": best_rate(redactor.redact, clean),
            "corpus_with_counts": best_rate(redactor.redact_with_counts, texts),
            "redact_series_texts_per_s": round(len(texts) / series_s),
        },
        "real_data": real_data(args.data_dir, redactor),
    }
    results["seconds"] = round(time.time() - t0, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    shown = {k: results[k] for k in ("recall", "fp_rate_ordinary_numbers", "throughput")}
    print(json.dumps(shown, indent=2))
    print(f"wrote {args.out.relative_to(REPO) if args.out.is_relative_to(REPO) else args.out}")


if __name__ == "__main__":
    main()
