"""A CheckList-style set of customer sentences (tests/data/checklist_aspects.csv), scored
through `voc analyze` with the default retail taxonomy, per phenomenon:

* ``aspect_pair``: one sentence, two touchpoints, often two polarities ("The dress is
  gorgeous but delivery took three weeks");
* ``intensifier``: "extremely slow", "slightly off", "could be better", "barely usable";
* ``negation``: "not late", "can't complain", "never got back to me";
* ``sarcasm``: "Great, another parcel lost by your courier".

For every (sentence, gold touchpoint): whether voc tagged it (recall) and the 3-class
accuracy of the polarity towards it (benchmarks/aspect_polarity.py's definitions: the
clauses tagged with it, neutral within +-0.2, the sentence's score when none is), beside
one polarity for the whole sentence. The sentences were written for this check, not drawn
from customers: read the figures per phenomenon, as a map of what voc gets wrong, not as
an accuracy on real feedback.

    python benchmarks/checklist.py        # ~1 min; writes benchmarks/results/checklist.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from aspect_polarity import REPO, SETTINGS, polarity, side  # noqa: E402

import voc  # noqa: E402

DATA = REPO / "tests" / "data" / "checklist_aspects.csv"


def load() -> pd.DataFrame:
    frame = pd.read_csv(DATA)
    frame["gold"] = [dict(a.split(":") for a in s.split(";")) for s in frame["aspects"]]
    frame["id"] = [f"c{i}" for i in range(len(frame))]
    return frame


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "checklist.json")
    args = ap.parse_args()
    frame = load()
    results: dict[str, object] = {"data": str(DATA.relative_to(REPO)), "n_sentences": len(frame),
                                  "taxonomy": "configs/touchpoints.yaml (default)"}
    with tempfile.TemporaryDirectory():
        for name in ("before", "default", "rescore"):
            overrides = [o for o in SETTINGS[name] if "@no_catch_all" not in o]
            analysis = voc.Analyzer(mapping=voc.ColumnMapping(text="text", id="id"),
                                    overrides=overrides).fit_transform(frame[["id", "text"]])
            docs = analysis.documents.set_index("doc_id")
            row = {}
            for phenomenon, part in frame.groupby("phenomenon", sort=False):
                p = polarity(part, analysis)
                recall = sum(t in (docs.loc[i, "touchpoints"] if i in docs.index else [])
                             for i, g in zip(part["id"], part["gold"]) for t in g) / p["n_pairs"]
                doc_right = sum(side(float(docs.loc[i, "sentiment_score"])) == pol
                                for i, g in zip(part["id"], part["gold"]) for pol in g.values()) / p["n_pairs"]
                row[phenomenon] = {"polarity_per_touchpoint": p["clause_mean"],
                                   "touchpoint_sentiment": p["touchpoint_sentiment"],
                                   "one_polarity": round(doc_right, 4), "touchpoint_recall": round(recall, 4),
                                   "n_pairs": p["n_pairs"]}
            results[name] = row
            print(name, json.dumps(row), flush=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
