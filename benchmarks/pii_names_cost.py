"""What the learned name tagger costs `voc analyze` (issue #24: throughput within 5%).

    python benchmarks/pii_names_cost.py [--n 3000] [--reps 2]

``voc analyze`` (cold: embedding cache off, a fresh process each run, as a user runs it) on
N shared airline tweets with the name tagger on (the default) and off
(``clean.pii_name_tagger=false``: the cue rules only), runs alternated so a busy machine
weighs on both alike. Reports docs/s (best and median of ``--reps`` runs of each), the
clean stage's seconds (run.json) and the tagger's share of the run: the clean stage's
extra seconds over the whole run's (the direct cost, which run-to-run noise of a few
seconds on a shared machine does not blur). Results: benchmarks/results/pii_names_cost.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from throughput import DEFAULT_DATA, analyze, sample_docs  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "pii_names_cost.json")
    args = ap.parse_args()
    runs: dict[str, list[dict]] = {"tagger_on": [], "tagger_off": []}  # type: ignore[type-arg]
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "airline.csv"
        sample_docs(args.data_dir, "airline_tweets", args.n).to_csv(csv, index=False)
        for rep in range(args.reps):
            for mode, extra in (("tagger_on", ()), ("tagger_off", ("--set", "clean.pii_name_tagger=false"))):
                out = Path(tmp) / f"{mode}-{rep}"
                res = analyze(csv, out, *extra)
                run = json.loads((out / "run.json").read_text())
                timings = run.get("timings_s", {})
                names = run.get("stages", {}).get("clean", {}).get("pii_redacted", {}).get("person")
                wall = res["process_wall_s"]
                runs[mode].append({"wall_s": wall, "docs_per_s": round(args.n / wall, 1), "clean_s": timings.get("clean"),
                                   "names_redacted": names, "load_avg_before": res["load_avg_before"]})
                print(mode, runs[mode][-1], flush=True)
    best = {m: max(r["docs_per_s"] for r in rs) for m, rs in runs.items()}
    median = {m: statistics.median(r["docs_per_s"] for r in rs) for m, rs in runs.items()}
    clean = {m: statistics.median(r["clean_s"] for r in rs) for m, rs in runs.items()}
    wall_off = statistics.median(r["wall_s"] for r in runs["tagger_off"])
    result = {"command": f"python benchmarks/pii_names_cost.py --n {args.n} --reps {args.reps}", "docs": args.n,
              "machine": platform.machine(), "runs": runs, "best_docs_per_s": best, "median_docs_per_s": median,
              "throughput_ratio_on_over_off_best": round(best["tagger_on"] / best["tagger_off"], 3),
              "throughput_ratio_on_over_off_median": round(median["tagger_on"] / median["tagger_off"], 3),
              "median_clean_stage_s": clean,
              "tagger_share_of_run": round((clean["tagger_on"] - clean["tagger_off"]) / wall_off, 4)}
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: result[k] for k in ("best_docs_per_s", "median_docs_per_s", "throughput_ratio_on_over_off_best",
                                             "throughput_ratio_on_over_off_median", "tagger_share_of_run")}))


if __name__ == "__main__":
    main()
