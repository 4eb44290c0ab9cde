"""Do two processes fit the same themes on the same input? (README: "Same input, same themes")

    python benchmarks/determinism.py            # 3 fresh processes, writes benchmarks/results/determinism.json
    python benchmarks/determinism.py --runs 5

Each run fits ``voc.datasets.make_feedback(n=600, random_state=1, effect_scale=2.0)`` (the
test suite's sample) in a fresh Python process and records hashes of what the stages
before themes produced (embeddings, sentiment probabilities, sentence kinds), of UMAP's
layout of the first 1,500 sentence embeddings, and of the final theme ids, with the number
of density clusters and issues. Identical hashes mean identical results.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "results" / "determinism.json"

WORKER = r"""
import hashlib, json, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
from voc.datasets import make_feedback
from voc.io.mapping import ColumnMapping, ScoreSpec
from voc.pipeline import Analyzer
from voc.themes import cluster

def h(a):
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()[:12]

frame = make_feedback(n=600, random_state=1, effect_scale=2.0)
mapping = ColumnMapping(text="text", id="id", date="date", channel="channel", segments=["segment"],
                        scores=[ScoreSpec("nps", "nps")])
analyzer = Analyzer(mapping=mapping)
seen = {}
stage = analyzer._build()["themes"]
fit = stage.fit

def spy(corpus):
    seen["embeddings"] = h(np.asarray(corpus.embeddings, np.float32))
    seen["sentiment_proba"] = h(corpus.sentences[["p_negative", "p_neutral", "p_positive"]].to_numpy(np.float32))
    seen["umap_layout"] = h(cluster.reduce(np.asarray(corpus.embeddings, np.float32)[:1500], 0).astype(np.float32))
    return fit(corpus)

stage.fit = spy
analysis = analyzer.fit_transform(frame)
info = analysis.run["stages"]["themes"]
seen.update(kinds=h(analysis.sentences["kind"].astype(str).str.cat(sep="|").encode()),
            theme_ids=h(analysis.sentences["theme_id"].to_numpy(np.int64)),
            n_density_clusters=info.get("n_density_clusters"), n_issues=info.get("n_issues"))
print(json.dumps(seen))
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    runs = []
    for i in range(args.runs):
        done = subprocess.run([sys.executable, "-c", WORKER, str(REPO)], capture_output=True, text=True, check=True)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"run {i + 1}: {runs[-1]}", flush=True)
    same = {k: len({json.dumps(r[k]) for r in runs}) == 1 for k in runs[0]}
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    res = {"command": "python benchmarks/determinism.py --runs %d" % args.runs, "voc_commit": commit,
           "sample": "make_feedback(n=600, random_state=1, effect_scale=2.0)", "runs": runs, "identical": same}
    args.out.write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(same))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
