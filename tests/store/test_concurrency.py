"""Readers while a writer writes (the embedded file and PostgreSQL, the same tests): they
never fail and never see part of a batch; the one writer is not held up by them beyond
their reads."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from tests.store.test_crash import REPLAY, check_consistent, scored_tables  # noqa: F401  (fixture)
from voc.store import Store, export_store


def test_readers_never_fail_and_never_see_half_a_batch_while_the_writer_writes(scored_tables, store_target,  # noqa: F811
                                                                              tmp_path):
    store = store_target  # the embedded file and PostgreSQL alike
    writer = subprocess.Popen([sys.executable, "-c", REPLAY, str(store), str(scored_tables[0]),
                               str(scored_tables[1]), "0", "40", "0.05"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
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
    writer = subprocess.Popen([sys.executable, "-c", REPLAY, str(store), str(scored_tables[0]),
                               str(scored_tables[1]), "0", "3", "0.05"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    try:
        time.sleep(3.0)
        assert writer.poll() is None  # waiting for the reader to close, not failed
    finally:
        reader.close()
    out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0 and "done" in out, err
    check_consistent(Path(store), replay=True)
