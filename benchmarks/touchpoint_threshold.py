"""The touchpoint threshold (0.3) against 0.25, zero-shot, on the three tasks of
benchmarks/touchpoints.py (same corpora, taxonomies and scoring): clauses got shorter
with the aspect splitting and a lower threshold helped the multi-aspect SemEval
sentences in benchmarks/aspect_polarity.py; this checks the other tasks before any
change of default.

    python benchmarks/touchpoint_threshold.py     # ~2 min; writes results/touchpoint_threshold.json
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import touchpoints as tb  # noqa: E402

OUT = tb.REPO / "benchmarks" / "results" / "touchpoint_threshold.json"


def main() -> None:
    cache = Path(tempfile.gettempdir())
    results: dict[str, dict[str, object]] = {}
    for name in tb.TASKS:
        texts, emb, gold, _, scored, taxonomy = tb._task(name, tb.DEFAULT_DATA, cache)
        corpus = tb.corpus_of([texts[i] for i in scored], emb[scored]) if name == "semeval" else tb.corpus_of(texts, emb)
        results[name] = {"catch_all": taxonomy.names[taxonomy.catch_all] if taxonomy.catch_all is not None else None}
        for threshold in (0.3, 0.25):
            stage = tb.TouchpointStage(taxonomy=taxonomy, threshold=threshold).fit(corpus)
            pred, _ = tb.tag(stage, [texts[i] for i in scored], emb[scored])
            f1 = tb.f1_scores([gold[i] for i in scored], pred, taxonomy.names)
            results[name][str(threshold)] = {"micro_f1": f1["micro_f1"], "macro_f1": f1["macro_f1"]}
        print(name, json.dumps(results[name]), flush=True)
    OUT.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
