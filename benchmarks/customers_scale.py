"""The customer layer at scale: 1M messages from 200k customers through voc's customer,
conversation and outcome tables, timed, with peak memory.

Issue #20 asks for a million messages from 200k customers "through voc analyze with
customers and outcomes". The language stages cost the same per document with or without
customers (``benchmarks/throughput.py`` measures them), so this script measures what the
customer roles add: ``voc.customers.summary.conversation_tables`` (customers.parquet,
repeat contacts, threads and first responses, resolution times, outcomes.csv) on a
documents table shaped exactly as the pipeline hands it over (ids, dates, channels, issue
ids and touchpoints per message, author roles, threads, ticket times, churn and value).
The data are generated (seeded); nothing is read from ``../shared``.

    python benchmarks/customers_scale.py [--messages 1000000] [--customers 200000]
    python benchmarks/customers_scale.py --analyze 100000      # + voc analyze end to end

``--analyze N`` also runs ``voc analyze`` in a fresh process, cold (no embedding cache), on N
generated messages (``voc.datasets.make_feedback`` texts) from N/5 customers with every
conversation role and two outcomes, and reports its time, per-stage timings, peak memory
and the time extrapolated linearly to 1M messages (stated as such: the encoder's cost is
linear in sentences, themes fit on a fixed 10,000-sentence sample). Results go to
``customers_scale_analyze_N.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SEED = 0


def documents(n: int, n_customers: int, n_issues: int = 120, seed: int = SEED) -> pd.DataFrame:
    """``n`` messages from ``n_customers`` customers: 80% theirs (1-3 issues and touchpoints
    each), 20% agent replies in the same threads; a quarter of tickets still open; customers
    who raised issue 0, 1 or 2 churn at 0.4, the others at 0.1."""
    rng = np.random.default_rng(seed)
    customer = rng.integers(0, n_customers, n)
    thread = customer * 8 + rng.integers(0, 3, n)  # a few threads per customer
    start = pd.Timestamp("2025-01-01")
    date = start + pd.to_timedelta(rng.integers(0, 365 * 24 * 60, n), unit="min")
    agent = rng.random(n) < 0.2
    k = rng.integers(1, 4, n)
    issues = rng.integers(0, n_issues, (n, 3))
    touch = np.array(["delivery", "refunds", "website & app", "billing", "support", "product quality"])
    tps = rng.integers(0, len(touch), (n, 3))
    docs = pd.DataFrame({
        "doc_id": [f"m{i}" for i in range(n)], "line": np.arange(2, n + 2), "date": date,
        "channel": rng.choice(["email", "chat", "phone", "social"], n), "customer": [f"c{c}" for c in customer],
        "thread": [f"t{t}" for t in thread], "author_role": np.where(agent, "agent", "customer"),
        "analysed": ~agent, "language": "en",
        "theme_ids": [list(r[:j]) if not a else [] for r, j, a in zip(issues, k, agent)],
        "touchpoints": [list(touch[r[:j]]) if not a else [] for r, j, a in zip(tps, k, agent)],
        "sentiment_score": np.where(agent, np.nan, rng.normal(0, 0.5, n)),
        "effort": rng.random(n) < 0.05, "plan": rng.choice(["basic", "gold"], n),
    })
    opened = docs.groupby("thread")["date"].transform("min")
    docs["opened"] = opened
    closed = opened + pd.to_timedelta(rng.exponential(30, n), unit="h")
    still_open = (pd.util.hash_array(docs["thread"].to_numpy()) % 4) == 0
    docs["closed"] = closed.where(~still_open)
    # churn is the customer's: those who raised a planted issue (0, 1 or 2) churn at 0.4, the rest at 0.1
    planted = pd.Series([any(i in (0, 1, 2) for i in ids) for ids in docs["theme_ids"]]).groupby(customer).any()
    churned = rng.random(len(planted)) < np.where(planted.to_numpy(), 0.4, 0.1)
    docs["churned"] = pd.Series(churned.astype(float), index=planted.index).reindex(customer).to_numpy()
    docs["value"] = pd.Series(rng.lognormal(6, 1, len(planted)), index=planted.index).reindex(customer).to_numpy()
    return docs


def analyze_file(n: int, path: Path) -> pd.DataFrame:
    """``n`` messages as a ticket export: make_feedback texts, customers, threads, author
    roles, ticket times, a churn flag and a value per customer (from :func:`documents`)."""
    from voc.datasets import make_feedback

    d = documents(n, max(1, n // 5))
    texts = make_feedback(n=n, random_state=SEED)["text"].to_numpy()
    replies = np.array(["Sorry to hear that, could you DM us your order number?",
                        "Thanks for reaching out, we're on it.",
                        "We've refunded the charge; it can take 3-5 working days.", "Please try reinstalling the app."])
    agent = (d["author_role"] == "agent").to_numpy()
    texts = np.where(agent, replies[np.arange(n) % len(replies)], texts)
    out = pd.DataFrame({"id": d["doc_id"], "text": texts, "date": d["date"], "channel": d["channel"],
                        "customer": d["customer"], "thread": d["thread"], "role": d["author_role"],
                        "opened": d["opened"], "closed": d["closed"],
                        "churned": np.where(d["churned"] > 0, "yes", "no"), "value": d["value"].round(2)})
    out.to_csv(path, index=False)
    return out


def run_analyze(n: int, out: Path) -> None:
    import tempfile

    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True,
                            text=True).stdout.strip()  # before the run: the code measured
    tmp = Path(tempfile.mkdtemp(prefix="voc-customers-scale-"))
    src = tmp / "tickets.csv"
    t0 = time.perf_counter()
    analyze_file(n, src)
    gen_s = time.perf_counter() - t0
    cmd = [sys.executable, "-m", "voc", "analyze", str(src), "--out", str(tmp / "out"), "--text-col", "text",
           "--id-col", "id", "--date-col", "date", "--channel-col", "channel",
           "--conversation", "customer=customer", "--conversation", "thread=thread",
           "--conversation", "author_role=role", "--conversation", "opened=opened", "--conversation", "closed=closed",
           "--outcome", "churned=churned:binary", "--outcome", "value=value:number", "--set", "embed.cache=false", "-q"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"voc analyze failed ({proc.returncode}): {proc.stderr[-2000:]}")
    peak = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)  # voc analyze: the largest child
    run = json.loads((tmp / "out" / "run.json").read_text(encoding="utf-8"))
    t = run["timings_s"]
    outcomes = pd.read_csv(tmp / "out" / "outcomes.csv")
    res = {"about": "voc analyze end to end on a generated ticket export with every conversation role and two "
                    "outcomes, cold (embed.cache=false), in a fresh process",
           "command": "python benchmarks/customers_scale.py " + " ".join(sys.argv[1:]), "seed": SEED,
           "voc_commit": commit, "machine": {"platform": platform.platform(), "cpus": __import__("os").cpu_count(),
                                             "load_avg_after": [round(x, 2) for x in __import__("os").getloadavg()]},
           "messages": n, "customers": int(n // 5), "generate_s": round(gen_s, 1),
           "process_wall_s": round(wall, 1), "peak_rss_mb": peak, "counts": run["counts"], "timings_s": t,
           "stage_share": {k: round(v / t["total"], 3) for k, v in t.items() if k != "total"},
           "customer_tables": {k: v for k, v in run["stages"].items() if k in ("customers", "outcomes", "threads",
                                                                              "resolution")},
           **({"extrapolated_1m_messages_hours": round(wall * 1_000_000 / n / 3600, 2),
               "extrapolation_note": "linear in messages (the encoder dominates; theme fitting is capped); not measured"}
              if n < 1_000_000 else {"hours": round(wall / 3600, 2)}),
           "outcome_rows": int(len(outcomes)),
           "outcome_note": "churn is planted on the generator's issue ids, not on the text voc reads, so which issues "
                           "voc finds churn-prone here means nothing; customers_scale.json checks the planted ones"}
    out.write_text(json.dumps(res, indent=2, default=str) + "\n", encoding="utf-8")
    print(json.dumps({k: res.get(k) for k in ("messages", "process_wall_s", "peak_rss_mb",
                                               "extrapolated_1m_messages_hours")}))
    import shutil

    shutil.rmtree(tmp, ignore_errors=True)


def peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--customers", type=int, default=200_000)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "customers_scale.json")
    ap.add_argument("--analyze", type=int, default=0, metavar="N",
                    help="run voc analyze end to end on N generated messages instead (customers_scale_analyze_N.json)")
    args = ap.parse_args()
    if args.analyze:
        run_analyze(args.analyze, args.out.with_name(f"customers_scale_analyze_{args.analyze}.json"))
        return
    from voc.customers.outcomes import OutcomeSpec
    from voc.customers.summary import conversation_tables

    t0 = time.perf_counter()
    docs = documents(args.messages, args.customers)
    gen_s = time.perf_counter() - t0
    themes = pd.DataFrame({"theme_id": np.arange(120), "label": [f"issue {i}" for i in range(120)]})
    mem_before = peak_mb()
    t0 = time.perf_counter()
    tables, meta = conversation_tables(docs, themes, [], 7.0,
                                       [OutcomeSpec("churned", "churned", "binary"),
                                        OutcomeSpec("value", "value", "number")], ["plan"])
    secs = time.perf_counter() - t0
    top = tables["outcomes"].query("outcome == 'churned' and dimension == 'issue'").sort_values(
        "difference", ascending=False).head(3)
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    res = {
        "about": "voc.customers.summary.conversation_tables on generated documents shaped as the pipeline's "
                 "(see the module docstring); the language stages are measured by benchmarks/throughput.py",
        "command": "python benchmarks/customers_scale.py " + " ".join(sys.argv[1:]),
        "seed": SEED, "voc_commit": commit,
        "machine": {"platform": platform.platform(), "python": platform.python_version(),
                    "cpus": __import__("os").cpu_count()},
        "messages": args.messages, "customers_in_data": int(docs["customer"].nunique()),
        "threads": int(docs["thread"].nunique()), "generate_s": round(gen_s, 1),
        "conversation_tables_s": round(secs, 1), "peak_rss_mb_after_generating": mem_before,
        "peak_rss_mb": peak_mb(),
        "rows": {k: int(len(v)) for k, v in tables.items()},
        "planted_churn_issues": [0, 1, 2],
        "top_churn_issues_found": top["key"].astype(int).tolist(),
        "stages": {k: v for k, v in meta.items() if k in ("threads", "resolution")},
    }
    args.out.write_text(json.dumps(res, indent=2, default=str) + "\n", encoding="utf-8")
    print(json.dumps({k: res[k] for k in ("messages", "customers_in_data", "conversation_tables_s", "peak_rss_mb",
                                           "top_churn_issues_found")}))


if __name__ == "__main__":
    main()
