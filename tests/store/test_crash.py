"""Crash safety: a writer killed with SIGKILL at a random moment leaves a readable,
consistent store (every batch is all-or-nothing), and a rerun completes the job with
every document exactly once.

Two harnesses: the real ``voc score`` CLI (slow to start: it loads the model) and a
writer that replays pre-scored batches through the same ``Store`` code, so many kills
are cheap and most of them land while a batch is being written or committed."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

import voc
from voc.store import Store, export_store

REPLAY = textwrap.dedent("""
    import random, sys, time
    import pandas as pd
    from voc.store import Store

    store, docs_path, sents_path, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    batches = int(sys.argv[5]) if len(sys.argv) > 5 else 0  # 0: until killed
    pause = float(sys.argv[6]) if len(sys.argv) > 6 else 0.0  # seconds "scoring" each chunk, the file closed
    docs, sents = pd.read_parquet(docs_path), pd.read_parquet(sents_path)
    rng = random.Random(seed)
    with Store(store) as st:
        run = st.begin_run(command="replay", input=None, model_path=None, fingerprint="fp", chunksize=None)
        print("ready", flush=True)
        done = 0
        while not batches or done < batches:
            time.sleep(pause)
            batch = docs.sample(n=25, random_state=rng.randrange(10**6)).reset_index(drop=True)
            batch["content_hash"] = [f"{rng.random():.17f}" for _ in range(len(batch))]  # always a new version
            plan = st.plan(batch, "fp")
            batch["version"] = plan["version"].to_numpy().astype("int32")
            batch["run_id"], batch["model_fingerprint"] = run, "fp"
            s = sents[sents["doc_id"].isin(batch["doc_id"])].drop(columns=["version"])
            s = s.merge(batch[["doc_id", "version"]], on="doc_id")
            st.write_batch(run, batch, s, None, {"new": int((plan["status"] == "new").sum()),
                                                 "rescored": int((plan["status"] == "rescored").sum()),
                                                 "sentences": len(s), "chunks": 1})
            done += 1
        st.finish_run(run)
    print("done", flush=True)
""")


def check_consistent(path: Path | str, replay: bool = False) -> pd.DataFrame:
    """Open the store and check every invariant a half-written batch would break."""
    with Store(path, read_only=True) as st:
        docs = st.documents()
        assert docs["doc_id"].is_unique, "a document is stored twice"
        runs = st.runs()
        assert int(runs["new"].sum()) == len(docs), "run counts disagree with the documents written"
        if st.has_table("sentences"):
            sv = st.query("SELECT DISTINCT doc_id, version FROM sentences")
            merged = sv.merge(docs[["doc_id", "version"]], on="doc_id", how="left", suffixes=("", "_doc"))
            assert merged["version_doc"].notna().all(), "sentences of a document that is not there"
            assert (merged["version"] == merged["version_doc"]).all(), "sentences of another version"
        if replay and st.has_table("documents_history"):
            hist = st.query("SELECT doc_id, count(*) AS n FROM documents_history GROUP BY doc_id")
            assert int(runs["rescored"].sum()) == int(hist["n"].sum())
            v = docs.set_index("doc_id")["version"]
            assert (v.reindex(hist["doc_id"]).to_numpy() == hist["n"].to_numpy() + 1).all()
    return docs


@pytest.fixture(scope="module")
def scored_tables(model_dir, make_input, tmp_path_factory) -> tuple[Path, Path]:
    """Real scored documents and sentences to replay (one scoring run)."""
    root = tmp_path_factory.mktemp("replay")
    voc.score(make_input(60, seed=3), model_dir, root / "seed.duckdb")
    written = export_store(root / "seed.duckdb", root, tables=("documents", "sentences"))
    return written["documents"], written["sentences"]


def replay_kills(store: Path | str, tables: tuple[Path, Path], kills: int, seed: int) -> int:
    rng = random.Random(seed)
    landed = 0
    for i in range(kills):
        proc = subprocess.Popen([sys.executable, "-c", REPLAY, str(store), str(tables[0]), str(tables[1]),
                                 str(seed * 1000 + i)], stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 1.0))
        landed += proc.poll() is None
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        check_consistent(store, replay=True)
    return landed


def test_store_survives_sigkill_mid_batch(scored_tables, store_target):
    store = store_target  # the embedded file and PostgreSQL alike
    assert replay_kills(store, scored_tables, kills=5, seed=1) == 5
    with Store(store) as st:  # the next writer marks the killed runs as aborted
        assert set(st.runs()["status"]) == {"aborted"}
        assert st.summary()["history"] > 0  # kills landed after versions had been superseded


@pytest.mark.slow
def test_store_survives_25_sigkills(scored_tables, tmp_path):
    store = tmp_path / "s.duckdb"
    assert replay_kills(store, scored_tables, kills=25, seed=2) == 25
    check_consistent(store, replay=True)


def score_kills(model_dir: Path, src: Path, store: Path | str, kills: int, seed: int) -> int:
    """Start `voc score` and SIGKILL it while it scores (after a random chunk began or was
    written, plus a random delay); returns how many kills hit a live process."""
    rng = random.Random(seed)
    landed = 0
    cmd = [sys.executable, "-m", "voc", "score", str(src), "--model", str(model_dir), "--store", str(store),
           "--chunksize", "3", "-v"]
    for _ in range(kills):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        assert proc.stderr is not None
        marker = rng.choice(["stage clean", "stage touchpoints"])
        target, seen = rng.randint(1, 3), 0
        for line in proc.stderr:
            seen += marker in line
            if seen >= target:
                time.sleep(rng.uniform(0.0, 0.3))
                break
        landed += proc.poll() is None
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        check_consistent(store)
    return landed


def _rerun_completes(model_dir: Path, src: Path, store: Path | str) -> None:
    done = subprocess.run([sys.executable, "-m", "voc", "score", str(src), "--model", str(model_dir), "--store",
                           str(store), "--chunksize", "3"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    docs = check_consistent(store)
    expected = pd.read_csv(src)["id"]
    assert sorted(docs["doc_id"]) == sorted(expected)  # every document exactly once
    with Store(store, read_only=True) as st:
        runs = st.runs()
        assert runs["status"].iloc[-1] == "completed" and "running" not in set(runs["status"])


def test_voc_score_killed_mid_run_then_rerun_completes(model_dir, make_input, store_target):
    src, store = make_input(12, seed=5), store_target
    assert score_kills(model_dir, src, store, kills=1, seed=3) == 1
    _rerun_completes(model_dir, src, store)


@pytest.mark.slow
def test_voc_score_killed_5_times(model_dir, make_input, tmp_path):
    src, store = make_input(60, seed=6), tmp_path / "s.duckdb"
    assert score_kills(model_dir, src, store, kills=5, seed=4) >= 4
    _rerun_completes(model_dir, src, store)
