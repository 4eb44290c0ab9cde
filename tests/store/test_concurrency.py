"""Readers while a writer writes (the embedded file and PostgreSQL, the same tests): they
never fail and never see part of a batch; the one writer is not held up by them beyond
their reads."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

from tests.store.test_crash import check_consistent, scored_tables  # noqa: F401  (fixture)
from voc.store import Store, export_store

WRITER = textwrap.dedent("""
    import random, sys, time
    import pandas as pd
    from voc.store import Store

    store, docs_path, sents_path, batches = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    docs, sents = pd.read_parquet(docs_path), pd.read_parquet(sents_path)
    rng = random.Random(0)
    with Store(store) as st:
        run = st.begin_run(command="replay", input=None, model_path=None, fingerprint="fp", chunksize=None)
        print("ready", flush=True)
        for _ in range(batches):
            time.sleep(0.05)  # scoring the next chunk, with the file closed
            batch = docs.sample(n=25, random_state=rng.randrange(10**6)).reset_index(drop=True)
            batch["content_hash"] = [f"{rng.random():.17f}" for _ in range(len(batch))]
            plan = st.plan(batch, "fp")
            batch["version"] = plan["version"].to_numpy().astype("int32")
            batch["run_id"], batch["model_fingerprint"] = run, "fp"
            s = sents[sents["doc_id"].isin(batch["doc_id"])].drop(columns=["version"])
            s = s.merge(batch[["doc_id", "version"]], on="doc_id")
            st.write_batch(run, batch, s, None, {"new": int((plan["status"] == "new").sum()),
                                                 "rescored": int((plan["status"] == "rescored").sum()),
                                                 "sentences": len(s), "chunks": 1})
        st.finish_run(run)
    print("done", flush=True)
""")


def test_readers_never_fail_and_never_see_half_a_batch_while_the_writer_writes(scored_tables, store_target,  # noqa: F811
                                                                              tmp_path):
    store = store_target  # the embedded file and PostgreSQL alike
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(store), str(scored_tables[0]),
                               str(scored_tables[1]), "40"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
    reads, seen, failures = 0, set(), []
    while writer.poll() is None:
        try:
            docs = check_consistent(store, replay=True)  # read-only, every invariant of a whole batch
            seen.add(len(docs))
            if reads % 5 == 0 and len(docs):  # (an empty store has nothing to export: a clear error)
                export_store(store, tmp_path / f"export{reads}", tables=("documents",))
            reads += 1
        except Exception as exc:  # noqa: BLE001 - any failed read is what the test counts
            failures.append(repr(exc))
    out, err = writer.communicate()
    assert writer.returncode == 0 and "done" in out, err
    assert failures == [] and reads >= 10, (reads, failures[:3])
    assert len(seen) > 1  # the reads saw the store grow batch by batch
    with Store(store, read_only=True) as st:
        runs = st.runs()
        assert runs["status"].tolist() == ["completed"] and int(runs["chunks"].iat[0]) == 40


def test_a_reader_holding_the_store_makes_the_writer_wait_not_fail(scored_tables, tmp_path):  # noqa: F811
    store = tmp_path / "s.duckdb"
    with Store(store):  # create it
        pass
    reader = Store(store, read_only=True).open()  # holds the file open
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(store), str(scored_tables[0]),
                               str(scored_tables[1]), "3"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    try:
        time.sleep(3.0)
        assert writer.poll() is None  # waiting for the reader to close, not failed
    finally:
        reader.close()
    out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0 and "done" in out, err
    check_consistent(Path(store), replay=True)
