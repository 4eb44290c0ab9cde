"""People's names through a whole `voc analyze` run, as a user runs it (issue #24).

    python benchmarks/pii_names_end_to_end.py [--labels tests/data/pii_names_fresh_a.jsonl]

Writes the raw held-out tweets (their original text from ../shared/data: no PII redacted)
to a temporary CSV, runs ``voc analyze`` on it, and counts the labelled ``person`` names
whose exact string is still in the outputs: in the name's own document (documents.parquet),
in any sentence of that document (sentences.parquet), and anywhere in themes.csv,
priorities.csv, the report or run.json, where a word that is a name in one tweet may be an
ordinary word or a city in another. Full names (two words or more) are counted apart.
Counts only: no tweet text or name is written. Results: benchmarks/results/pii_names_end_to_end.json.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.pii_names_eval import load_gold, raw_texts  # noqa: E402


def _present(name: str, text: str) -> bool:
    return re.search(r"(?<![\w@#])" + re.escape(name) + r"(?!\w)", text) is not None


def main() -> None:
    import pandas as pd

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--labels", type=Path, default=REPO / "tests" / "data" / "pii_names_fresh_a.jsonl")
    ap.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "pii_names_end_to_end.json")
    args = ap.parse_args()
    items = load_gold(args.labels, args.data_dir)
    raw = raw_texts(args.data_dir, {it["id"] for it in items})
    with tempfile.TemporaryDirectory() as tmp:
        csv, out = Path(tmp) / "tweets.csv", Path(tmp) / "out"
        ids = [it["id"] for it in items]
        pd.DataFrame({"id": ids, "text": [raw[i] for i in ids]}).to_csv(csv, index=False)
        subprocess.run([sys.executable, "-m", "voc", "analyze", str(csv), "--text-col", "text", "--id-col", "id",
                        "--out", str(out), "-q"], check=True, cwd=REPO, capture_output=True)
        docs = pd.read_parquet(out / "documents.parquet").set_index("doc_id")["text"].astype(str)
        sents = pd.read_parquet(out / "sentences.parquet").groupby("doc_id")["text"].apply(lambda s: "\n".join(s))
        rest = "\n".join((out / f).read_text(encoding="utf-8", errors="ignore")
                         for f in ("themes.csv", "priorities.csv", "report.html", "run.json") if (out / f).exists())
    counts = {"names": 0, "full_names": 0, "in_own_document": 0, "full_in_own_document": 0,
              "in_own_sentences": 0, "anywhere_in_themes_priorities_report_run": 0}
    for it in items:
        for s, e, label in it["names"]:
            if label != "person":
                continue
            name, full = it["text"][s:e], " " in it["text"][s:e]
            counts["names"] += 1
            counts["full_names"] += full
            own = _present(name, docs.get(it["id"], ""))
            counts["in_own_document"] += own
            counts["full_in_own_document"] += own and full
            counts["in_own_sentences"] += _present(name, sents.get(it["id"], ""))
            counts["anywhere_in_themes_priorities_report_run"] += _present(name, rest)
    result = {"command": "python benchmarks/pii_names_end_to_end.py", "labels": str(args.labels.relative_to(REPO)),
              "texts": len(items), **counts,
              "left_share": round(counts["in_own_document"] / max(counts["names"], 1), 3)}
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
