"""Issue #24: two independent labelling passes of the 500 name-labelled tweets, how far
they agree, and voc's name finder scored against each.

    .venv/bin/python benchmarks/pii_names_agreement.py [--data-dir ../shared/data]

Pass 1 is tests/data/pii_names_gold.jsonl (by the engineer who wrote the rules, before
running them on these texts); pass 2 is tests/data/pii_names_pass2.jsonl, labelled by a
second annotator who saw the texts only (not pass 1, not voc's output), with the same
guideline (tests/pii_names_eval.py). Both files hold ids, text hashes and spans; the texts
are read from ../shared/data. Reported: for ``person`` and ``initials`` spans, the number
each pass marked, agreement as F1 of one pass against the other with spans matched when
they overlap and when they are identical, Cohen's kappa over texts (has a private name or
not), the label confusion on overlapping spans, every disagreement (tweet id and span: no shared
text is written); then
voc's recall per label, precision and name-free texts touched against each pass (the
scorer of tests/pii_names_eval.py). The same for a fresh sample when its two passes are
there (tests/data/pii_names_fresh_{a,b}.jsonl: 500 other held-out tweets, drawn with
``pii_names_sample.py --seed 25 --exclude tests/data/pii_names_gold.jsonl`` and labelled
twice before any rule was looked at on them): the held-out figure. Results: ``benchmarks/results/pii_names_agreement.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.pii_names_eval import GOLD, load_gold, score  # noqa: E402

PASS2 = REPO / "tests" / "data" / "pii_names_pass2.jsonl"
FRESH = (REPO / "tests" / "data" / "pii_names_fresh_a.jsonl", REPO / "tests" / "data" / "pii_names_fresh_b.jsonl")
PRIVATE = ("person", "initials")


def _spans(item: dict) -> list[tuple[int, int, str]]:  # type: ignore[type-arg]
    return [(int(s), int(e), str(lab)) for s, e, lab in item["names"] if lab in PRIVATE]


def agreement(a: list[dict], b: list[dict]) -> dict:  # type: ignore[type-arg]
    """How far two passes over the same texts agree on private names."""
    exact = overlap_a = overlap_b = 0
    n_a = n_b = 0
    labels: dict[str, int] = {}
    both = only_a = only_b = neither = 0
    disagreements = []
    for x, y in zip(a, b, strict=True):
        sa, sb = _spans(x), _spans(y)
        n_a, n_b = n_a + len(sa), n_b + len(sb)
        exact += len({(s, e) for s, e, _ in sa} & {(s, e) for s, e, _ in sb})
        for s, e, lab in sa:
            hit = [lb for s2, e2, lb in sb if s < e2 and s2 < e]
            overlap_a += bool(hit)
            if hit:
                labels[f"{lab}/{hit[0]}"] = labels.get(f"{lab}/{hit[0]}", 0) + 1
            else:
                disagreements.append({"only_in": "pass 1", "id": x["id"], "span": [s, e], "label": lab})
        for s, e, lab in sb:
            hit = any(s < e2 and s2 < e for s2, e2, _ in sa)
            overlap_b += hit
            if not hit:
                disagreements.append({"only_in": "pass 2", "id": y["id"], "span": [s, e], "label": lab})
        has_a, has_b = bool(sa), bool(sb)
        both += has_a and has_b
        only_a += has_a and not has_b
        only_b += has_b and not has_a
        neither += not has_a and not has_b
    n = both + only_a + only_b + neither
    p_o = (both + neither) / n
    p_e = ((both + only_a) * (both + only_b) + (neither + only_b) * (neither + only_a)) / n ** 2
    f1 = (lambda p, r: round(2 * p * r / (p + r), 3) if p + r else 0.0)
    return {"spans_pass1": n_a, "spans_pass2": n_b,
            "f1_overlap": f1(overlap_b / max(n_b, 1), overlap_a / max(n_a, 1)),
            "f1_exact": f1(exact / max(n_b, 1), exact / max(n_a, 1)),
            "texts": {"both": both, "pass1_only": only_a, "pass2_only": only_b, "neither": neither},
            "kappa_texts_with_a_name": round((p_o - p_e) / (1 - p_e), 3) if p_e < 1 else 1.0,
            "labels_on_overlapping_spans": dict(sorted(labels.items())),
            "disagreements": disagreements}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "pii_names_agreement.json")
    args = ap.parse_args()
    from voc.pii_names import find_names

    one = load_gold(GOLD, data_dir=args.data_dir)
    two = load_gold(PASS2, data_dir=args.data_dir)
    res = {"command": "python benchmarks/pii_names_agreement.py", "texts": len(one),
           "voc_commit": subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True,
                                        text=True).stdout.strip(),
           "agreement": agreement(one, two),
           "voc_vs_pass1": score(find_names, one), "voc_vs_pass2": score(find_names, two)}
    for src in ("support", "airline"):
        res[f"voc_vs_pass2_{src}"] = score(find_names, [i for i in two if i["source"] == src])
    if FRESH[0].exists() and FRESH[1].exists():  # a second sample no rule was written after (held out)
        a, b = (load_gold(f, data_dir=args.data_dir) for f in FRESH)
        res["fresh"] = {"about": "500 other tweets of the held-out half (pii_names_sample.py --seed 25 --exclude the "
                                 "first sample), labelled twice independently before any rule was looked at on them",
                        "agreement": agreement(a, b), "voc_vs_pass_a": score(find_names, a),
                        "voc_vs_pass_b": score(find_names, b)}
        for src in ("support", "airline"):
            res["fresh"][f"voc_vs_pass_a_{src}"] = score(find_names, [i for i in a if i["source"] == src])
    args.out.write_text(json.dumps(res, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in res["agreement"].items() if k != "disagreements"}, indent=2))
    keys = ("recall_person", "recall_initials", "recall_all", "precision", "name_free_touched_share")
    for k in ("voc_vs_pass1", "voc_vs_pass2"):
        print(k, {m: res[k][m] for m in keys})
    if "fresh" in res:
        print("fresh", {k: v for k, v in res["fresh"]["agreement"].items() if k != "disagreements"})
        for k in ("voc_vs_pass_a", "voc_vs_pass_b"):
            print("fresh", k, {m: res["fresh"][k][m] for m in keys})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
