"""What splitting clauses at each remark (``segment.split_aspects``) costs `voc analyze`,
and what the opt-in ``aspects.spans`` (tag and score the pieces of every clause) costs.

1,000 airline tweets (the throughput floor's data set) analysed with the aspect splitting
on and off (off = the contrast-only splitting with 3-word pieces it replaced), alternating
runs in fresh processes with the embedding cache off, so both see the same machine load.
Reports sentences and pipeline/stage seconds per run, the median ratio off / on
(> 1: the new default is faster) and spans / default (> 1: spans is slower).

    python benchmarks/segment_cost.py --reps 3     # ~3 min; writes results/segment_cost.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
SETTINGS = {"split_aspects": [], "contrast_only": ["segment.split_aspects=false", "segment.min_clause_words=3"],
            "spans": ["aspects.spans=true"]}


def run(csv: Path, out: Path, overrides: list[str]) -> dict[str, object]:
    cmd = [sys.executable, "-m", "voc", "analyze", str(csv), "--text-col", "text", "--id-col", "tweet_id",
           "--out", str(out), "-q", "--set", "embed.cache=false"]
    for o in overrides:
        cmd += ["--set", o]
    subprocess.run(cmd, check=True, capture_output=True)
    r = json.loads((out / "run.json").read_text(encoding="utf-8"))
    return {"sentences": r["counts"]["sentences"], "timings_s": r["timings_s"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "segment_cost.json")
    args = ap.parse_args()
    tweets = pd.read_csv(args.data_dir / "twitter_us_airline_sentiment" / "Tweets.csv").drop_duplicates("text")
    sample = tweets.sample(args.n, random_state=1)[["tweet_id", "text"]]
    runs: dict[str, list[dict[str, object]]] = {k: [] for k in SETTINGS}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        csv = tmp / "tweets.csv"
        sample.to_csv(csv, index=False)
        run(csv, tmp / "warmup", [])  # first run on a machine exports ONNX and compiles: not timed
        for rep in range(args.reps):
            for name, overrides in SETTINGS.items():
                runs[name].append(run(csv, tmp / f"{name}{rep}", overrides))
                print(name, json.dumps(runs[name][-1]), flush=True)
    total = {k: [r["timings_s"]["total"] for r in v] for k, v in runs.items()}  # type: ignore[index]
    result = {"n_tweets": args.n, "runs": runs,
              "median_total_s": {k: statistics.median(v) for k, v in total.items()},
              "ratio_contrast_only_over_split_aspects": round(statistics.median(total["contrast_only"]) /
                                                              statistics.median(total["split_aspects"]), 3),
              "ratio_spans_over_split_aspects": round(statistics.median(total["spans"]) /
                                                      statistics.median(total["split_aspects"]), 3)}
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}))


if __name__ == "__main__":
    main()
