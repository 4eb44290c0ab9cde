"""Issue #21: how many bytes report.html takes, where they go, and what the lighter report saves.

    .venv/bin/python benchmarks/report_size.py      # ~3 min (embedding cache on: bytes, not speed)

Three runs: the bundled sample (``voc.datasets.make_feedback(n=2000, random_state=0)``, as
``make demo``), 10,000 airline tweets and the 12,459 customer <-> brand support tweets with
customers and reply links, whose report has the Customers section and its Sankey
(``../shared/data``). For each, the same analysis
is rendered twice in this process: as voc renders it now (the cartesian plotly.js bundle
when every chart is cartesian, each chart's template trimmed to its trace types) and as it
rendered before (plotly's full bundle, the whole ``plotly_white`` template in every chart).
Reported: bytes of each page, and of the current page the plotly.js bundle, the charts'
JSON (of which templates) and the rest (tables, text, CSS). Goals: < 2 MB for the sample,
< 3 MB for 10k documents. Results: ``benchmarks/results/report_size.json``.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DATA = REPO.parent / "shared" / "data"


def _objects(text: str, key: str) -> int:
    """Bytes of every JSON object that follows ``"key":`` in ``text`` (brace matching)."""
    total = 0
    for m in re.finditer(f'"{key}":', text):
        i = text.index("{", m.end())
        depth = 0
        for k in range(i, len(text)):
            depth += {"{": 1, "}": -1}.get(text[k], 0)
            if depth == 0:
                total += k - i + 1
                break
    return total


def measure(analysis: Any) -> dict[str, Any]:
    from plotly.offline import get_plotlyjs

    from voc.report import charts
    from voc.report.html import build_report

    now = build_report(analysis)
    bundle = charts.plotly_bundle(now)
    rest = now.replace(bundle, "")
    chart_json = sum(len(m) for m in re.findall(r"Plotly\.newPlot\(.*?\)\s*\};?", rest, flags=re.S))
    keep_template, keep_bundle = charts._template, charts.plotly_bundle
    try:  # as before: full bundle, whole template per chart
        charts._template = lambda types: "plotly_white"  # type: ignore[assignment]
        charts.plotly_bundle = lambda page: get_plotlyjs()  # type: ignore[assignment]
        before = build_report(analysis)
    finally:
        charts._template, charts.plotly_bundle = keep_template, keep_bundle
    return {"bytes_now": len(now.encode()), "bytes_before": len(before.encode()),
            "now_over_before": round(len(now) / len(before), 3),
            "bundle": next((kind for _, kind, _ in charts._BUNDLES
                            if bundle.startswith(f"/**\n* plotly.js ({kind} - minified)")), "full"),
            "now_breakdown": {"plotly_js": len(bundle.encode()), "charts_json": chart_json,
                              "chart_templates": _objects(rest, "template"),
                              "rest": len(rest.encode()) - chart_json},
            "charts": now.count("Plotly.newPlot")}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "report_size.json")
    args = ap.parse_args(argv)
    import voc
    from voc.datasets import make_feedback

    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    res: dict[str, Any] = {"command": "python benchmarks/report_size.py", "voc_commit": commit,
                           "goals": {"sample": 2_000_000, "10k_documents": 3_000_000}}
    mapping = voc.ColumnMapping(text="text", id="id", date="date", channel="channel", segments=["segment"],
                                scores=[voc.ScoreSpec("nps", "nps"), voc.ScoreSpec("stars", "stars"),
                                        voc.ScoreSpec("csat", "csat")])
    sample = voc.Analyzer(mapping=mapping).fit_transform(make_feedback(n=2000, random_state=0))
    res["sample_2000"] = measure(sample)
    print(json.dumps(res["sample_2000"]), flush=True)
    path = DATA / "twitter_us_airline_sentiment" / "Tweets.csv"
    if path.exists():
        raw = pd.read_csv(path).sample(n=10_000, random_state=0)
        tweets = pd.DataFrame({"id": raw["tweet_id"].astype(str), "text": raw["text"],
                               "date": raw["tweet_created"], "channel": raw["airline"]})
        m = voc.ColumnMapping(text="text", id="id", date="date", channel="channel")
        res["airline_10000"] = measure(voc.Analyzer(mapping=m).fit_transform(tweets))
        print(json.dumps(res["airline_10000"]), flush=True)
    else:
        res["airline_10000"] = {"skipped": f"not found: {path}"}
    path = DATA / "customer_support_twitter" / "twcs_subset.csv"
    if path.exists():  # the mapping of benchmarks/conversations.py
        raw = pd.read_csv(path, dtype=str)
        m = voc.ColumnMapping(text="text", id="tweet_id", date="created_at", customer="author_id",
                              reply_to="in_response_to_tweet_id", author_role="inbound")
        res["support_threads_12459"] = measure(voc.Analyzer(mapping=m).fit_transform(raw))
        print(json.dumps(res["support_threads_12459"]), flush=True)
    else:
        res["support_threads_12459"] = {"skipped": f"not found: {path}"}
    res["goals_met"] = (res["sample_2000"]["bytes_now"] < 2_000_000
                        and res["airline_10000"].get("bytes_now", 0) < 3_000_000
                        and res["support_threads_12459"].get("bytes_now", 0) < 3_000_000)
    args.out.write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out.relative_to(REPO)}; goals met: {res['goals_met']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
