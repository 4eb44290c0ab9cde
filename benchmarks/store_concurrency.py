"""Issue #24: readers while `voc score` writes a store, the embedded file and PostgreSQL.

    .venv/bin/python benchmarks/store_concurrency.py [--docs 10000] [--chunksize 1000] [--repo DIR]
    .venv/bin/python benchmarks/store_concurrency.py --backends duckdb      # the file only

Fits a model on the bundled sample (``make_feedback(2000)``), generates ``--docs`` new
documents (``make_feedback``, another seed) and scores them with ``voc score --store``
three times into fresh stores: alone, then with readers running the whole time, the way a
team's tools read a store while the nightly job writes it:

* ``voc export --store S --out DIR`` in a loop (a script, a report job), one process each;
* ``voc.Store(S, read_only=True)`` opened, read and closed every 0.2 s (a notebook,
  ``voc report --store``), each read checking what a half-written chunk would break
  (documents, the runs' counts and the sentences' versions agree);
* a plain client every 0.2 s without any retry (a BI tool): ``duckdb.connect(S,
  read_only=True)``, or a ``psycopg`` connection counting the documents.

The PostgreSQL runs go to a throw-away cluster of Debian's ``postgresql`` on a unix socket
(tests/store/pgserver.py; ``fsync`` left on), a fresh schema per run. Reported per backend:
reads attempted and failed per kind (reads before the writer created the store are counted
apart), the writer's time alone and with readers (the ratio; on 2 cores the readers' own
processes take CPU from the writer), its seconds in the store and I/O beside the model's,
documents per second. The model scores with its embedding cache off, so every run encodes. ``--repo`` points at another checkout of voc to measure it
the same way (e.g. the commit before readers were let in; the file only). Results:
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
from typing import Any

REPO = Path(__file__).resolve().parents[1]

READER = textwrap.dedent("""
    import json, sys, time
    kind, store, stop = sys.argv[1], sys.argv[2], sys.argv[3]
    import os
    attempted = failed = not_yet = 0
    errors = {}
    sizes = set()
    NOT_YET = ("does not exist", "holds no documents yet", "holds no voc store", "UndefinedTable",
               "Cannot open database")
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
            elif store.startswith("postgresql://"):
                import psycopg
                url, schema = store.split("&schema=")
                with psycopg.connect(url) as con:
                    con.execute(f"SELECT count(*) FROM {schema}.runs").fetchall()
            else:
                import duckdb
                con = duckdb.connect(store, read_only=True)
                con.execute("SELECT count(*) FROM runs").fetchall()
                con.close()
        except Exception as exc:
            text = type(exc).__name__ + ": " + str(exc)
            if any(m in text for m in NOT_YET):  # the writer has not created the store yet: not a failure
                attempted -= 1
                not_yet += 1
            else:
                failed += 1
                errors[text[:100]] = errors.get(text[:100], 0) + 1
        time.sleep(0.2)
    print(json.dumps({"attempted": attempted, "failed": failed, "errors": errors, "distinct_states": len(sizes),
                      "before_the_store_existed": not_yet}))
""")


def _voc(repo: Path) -> list[str]:
    return [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(repo)!r}); from voc.cli import app; app()"]


def export_loop(repo: Path, store: str, out: Path, stop: Path) -> dict:
    attempted = failed = not_yet = 0
    errors: dict[str, int] = {}
    while not stop.exists():
        attempted += 1
        res = subprocess.run([*_voc(repo), "export", "--store", str(store), "--out", str(out / str(attempted))],
                             capture_output=True, text=True, check=False)
        said = (res.stdout + res.stderr).strip()
        if res.returncode != 0 and any(m in said for m in ("does not exist", "holds no documents yet",
                                                           "holds no voc store")):
            attempted -= 1  # the writer has not written its first chunk yet: not a failure
            not_yet += 1
        elif res.returncode != 0:
            failed += 1
            key = said.splitlines()[-1][:100] if said else "?"
            errors[key] = errors.get(key, 0) + 1
        time.sleep(1.0)
    return {"attempted": attempted, "failed": failed, "errors": errors, "before_the_store_existed": not_yet}


def score(repo: Path, model: Path, src: Path, store: str, chunksize: int, out: Path) -> dict:
    """``voc score`` into ``store``: wall seconds, and from its run.json the seconds spent
    scoring (the model) and the rest (reading, keys, the store's writes)."""
    t0 = time.perf_counter()
    res = subprocess.run([*_voc(repo), "score", str(src), "--model", str(model), "--store", store,
                          "--chunksize", str(chunksize), "--out", str(out), "-q"], capture_output=True, text=True,
                         check=False)
    wall = time.perf_counter() - t0
    if res.returncode != 0:
        raise SystemExit(f"voc score failed: {res.stdout[-1000:]} {res.stderr[-2000:]}")
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    return {"wall_s": round(wall, 1), "run_s": run.get("seconds"), "model_s": round(run.get("scored_seconds", 0), 1),
            "store_and_io_s": round(run["seconds"] - run.get("scored_seconds", 0), 1) if "seconds" in run else None}


def measure(repo: Path, model: Path, src: Path, target: Any, args: argparse.Namespace, tmp: Path) -> dict:
    """One backend: the writer alone, then with readers; ``target(name)`` -> a fresh store."""
    import threading

    score(repo, model, src, target("warm"), args.chunksize, tmp / "o-warm")  # one-time exports and caches
    alone = score(repo, model, src, target("alone"), args.chunksize, tmp / "o-alone")
    store = target("read")
    stop = tmp / "stop"
    stop.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": str(repo)}
    readers = {k: subprocess.Popen([sys.executable, "-c", READER, k, store, str(stop)], stdout=subprocess.PIPE,
                                   text=True, env=env) for k in ("store", "plain_client")}
    exports: dict = {}
    t = threading.Thread(target=lambda: exports.update(export_loop(repo, store, tmp / "exports", stop)))
    t.start()
    with_readers = score(repo, model, src, store, args.chunksize, tmp / "o-read")
    stop.touch()
    t.join()
    reads = {k: json.loads(p.communicate()[0]) for k, p in readers.items()}
    reads["voc_export"] = exports
    return {"writer_alone": alone, "writer_with_readers": with_readers,
            "writer_slowdown": round(with_readers["wall_s"] / alone["wall_s"], 3),
            "docs_per_second_alone": round(args.docs / alone["wall_s"], 1),
            "reads": reads, "failed_reads_through_voc": reads["store"]["failed"] + reads["voc_export"]["failed"]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=10_000)
    ap.add_argument("--chunksize", type=int, default=1_000)
    ap.add_argument("--repo", type=Path, default=REPO, help="the voc checkout to measure")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "store_concurrency.json")
    ap.add_argument("--backends", nargs="+", default=["duckdb", "postgres"], choices=["duckdb", "postgres"])
    args = ap.parse_args(argv)
    repo = args.repo.resolve()
    sys.path.insert(0, str(repo))
    import voc
    from voc.datasets import make_feedback

    commit = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    tmp = Path(tempfile.mkdtemp(prefix="voc-store-concurrency-"))
    mapping = voc.ColumnMapping(text="text", id="id", date="date", channel="channel")
    analyzer = voc.Analyzer(mapping=mapping, overrides=["embed.cache=false"])  # every run encodes: real timing
    analyzer.fit_transform(make_feedback(n=2000, random_state=0))
    model = analyzer.to_disk(tmp / "model")
    src = tmp / "new.csv"
    new = make_feedback(n=args.docs, random_state=11)
    new["id"] = [f"N{i:06d}" for i in range(len(new))]
    new[["id", "text", "date", "channel"]].to_csv(src, index=False)

    res: dict[str, Any] = {
        "command": "python benchmarks/store_concurrency.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "voc_commit": commit, "documents": args.docs, "chunksize": args.chunksize,
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()}}
    if "duckdb" in args.backends:
        res["duckdb"] = measure(repo, model, src, lambda name: str(tmp / f"{name}.duckdb"), args, tmp)
        print(json.dumps(res["duckdb"]), flush=True)
    if "postgres" in args.backends:
        sys.path.insert(0, str(REPO))
        from tests.store.pgserver import Server

        server = Server(fsync=True).start()
        try:
            res["postgres"] = measure(repo, model, src, lambda name: f"{server.url}&schema={name}", args, tmp)
        finally:
            server.stop()
        print(json.dumps(res["postgres"]), flush=True)
    if "duckdb" in res and "postgres" in res:
        res["postgres_over_duckdb_store_seconds"] = round(
            res["postgres"]["writer_alone"]["store_and_io_s"] / res["duckdb"]["writer_alone"]["store_and_io_s"], 3)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(res, indent=2))
    import shutil

    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
