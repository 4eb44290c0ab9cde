"""Issue #24: readers while `voc score` writes a store.

    .venv/bin/python benchmarks/store_concurrency.py [--docs 10000] [--chunksize 1000] [--repo DIR]

Fits a model on the bundled sample (``make_feedback(2000)``), generates ``--docs`` new
documents (``make_feedback``, another seed) and scores them with ``voc score --store``
three times into fresh stores: alone, then with readers running the whole time, the way a
team's tools read a store while the nightly job writes it:

* ``voc export --store S --out DIR`` in a loop (a script, a report job), one process each;
* ``voc.Store(S, read_only=True)`` opened, read and closed every 0.2 s (a notebook,
  ``voc report --store``), each read checking what a half-written chunk would break
  (documents, the runs' counts and the sentences' versions agree);
* a plain ``duckdb.connect(S, read_only=True)`` every 0.2 s without any retry (a BI tool).

Reported: reads attempted and failed per kind, the writer's time alone and with readers
(the ratio), documents per second. ``--repo`` points at another checkout of voc to measure
it the same way (e.g. the commit before readers were let in). Results:
``benchmarks/results/store_concurrency.json`` (or ``--out``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

READER = textwrap.dedent("""
    import json, sys, time
    kind, store, stop = sys.argv[1], sys.argv[2], sys.argv[3]
    import os
    attempted = failed = 0
    errors = {}
    sizes = set()
    while not os.path.exists(stop):
        attempted += 1
        try:
            if kind == "store":
                from voc.store import Store
                with Store(store, read_only=True) as st:
                    if st.has_table("documents"):
                        n = int(st.query("SELECT count(*) AS n FROM documents")["n"].iat[0])
                        new = int(st.query("SELECT coalesce(sum(new), 0) AS n FROM runs")["n"].iat[0])
                        bad = int(st.query(
                            "SELECT count(*) AS n FROM (SELECT DISTINCT doc_id, version FROM sentences) s "
                            "LEFT JOIN documents d USING (doc_id) WHERE d.version IS DISTINCT FROM s.version"
                        )["n"].iat[0])
                        assert n == new and bad == 0, f"half a chunk: {n} documents, runs say {new}, {bad} orphans"
                        sizes.add(n)
            else:
                import duckdb
                con = duckdb.connect(store, read_only=True)
                con.execute("SELECT count(*) FROM runs").fetchall()
                con.close()
        except Exception as exc:
            failed += 1
            key = type(exc).__name__ + ": " + str(exc)[:80]
            errors[key] = errors.get(key, 0) + 1
        time.sleep(0.2)
    print(json.dumps({"attempted": attempted, "failed": failed, "errors": errors, "distinct_states": len(sizes)}))
""")


def _voc(repo: Path) -> list[str]:
    return [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(repo)!r}); from voc.cli import app; app()"]


def export_loop(repo: Path, store: Path, out: Path, stop: Path) -> dict:
    attempted = failed = 0
    errors: dict[str, int] = {}
    while not stop.exists():
        attempted += 1
        res = subprocess.run([*_voc(repo), "export", "--store", str(store), "--out", str(out / str(attempted))],
                             capture_output=True, text=True, check=False)
        if res.returncode != 0:
            failed += 1
            said = (res.stdout + res.stderr).strip()
            key = said.splitlines()[-1][:100] if said else "?"
            errors[key] = errors.get(key, 0) + 1
        time.sleep(1.0)
    return {"attempted": attempted, "failed": failed, "errors": errors}


def score(repo: Path, model: Path, src: Path, store: Path, chunksize: int) -> float:
    t0 = time.perf_counter()
    res = subprocess.run([*_voc(repo), "score", str(src), "--model", str(model), "--store", str(store),
                          "--chunksize", str(chunksize), "-q"], capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise SystemExit(f"voc score failed: {res.stdout[-1000:]} {res.stderr[-2000:]}")
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=10_000)
    ap.add_argument("--chunksize", type=int, default=1_000)
    ap.add_argument("--repo", type=Path, default=REPO, help="the voc checkout to measure")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "store_concurrency.json")
    args = ap.parse_args(argv)
    repo = args.repo.resolve()
    sys.path.insert(0, str(repo))
    import threading

    import voc
    from voc.datasets import make_feedback

    commit = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    tmp = Path(tempfile.mkdtemp(prefix="voc-store-concurrency-"))
    mapping = voc.ColumnMapping(text="text", id="id", date="date", channel="channel")
    analyzer = voc.Analyzer(mapping=mapping)
    analyzer.fit_transform(make_feedback(n=2000, random_state=0))
    model = analyzer.to_disk(tmp / "model")
    src = tmp / "new.csv"
    new = make_feedback(n=args.docs, random_state=11)
    new["id"] = [f"N{i:06d}" for i in range(len(new))]
    new[["id", "text", "date", "channel"]].to_csv(src, index=False)

    score(repo, model, src, tmp / "warm.duckdb", args.chunksize)  # warm-up: one-time exports and caches
    alone = score(repo, model, src, tmp / "alone.duckdb", args.chunksize)
    store = tmp / "read.duckdb"
    stop = tmp / "stop"
    env = {**os.environ, "PYTHONPATH": str(repo)}
    readers = {k: subprocess.Popen([sys.executable, "-c", READER, k, str(store), str(stop)], stdout=subprocess.PIPE,
                                   text=True, env=env) for k in ("store", "plain_duckdb")}
    exports: dict = {}
    t = threading.Thread(target=lambda: exports.update(export_loop(repo, store, tmp / "exports", stop)))
    t.start()
    with_readers = score(repo, model, src, store, args.chunksize)
    stop.touch()
    t.join()
    reads = {k: json.loads(p.communicate()[0]) for k, p in readers.items()}
    reads["voc_export"] = exports
    res = {
        "command": "python benchmarks/store_concurrency.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "voc_commit": commit, "documents": args.docs, "chunksize": args.chunksize,
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "writer_seconds_alone": round(alone, 1), "writer_seconds_with_readers": round(with_readers, 1),
        "writer_slowdown": round(with_readers / alone, 3),
        "docs_per_second_alone": round(args.docs / alone, 1),
        "reads": reads,
        "failed_reads_voc": reads["store"]["failed"] + reads["voc_export"]["failed"],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(res, indent=2))
    import shutil

    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
