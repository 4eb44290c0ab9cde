"""The store file itself: one writer at a time with a clear error, keys, schema."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pandas as pd
import pytest

from voc.errors import StoreError, StoreLocked, StoreNotFound
from voc.store import Store, content_hashes, model_fingerprint

HOLD = textwrap.dedent("""
    import sys, time
    from voc.store import Store
    store = Store(sys.argv[1]).open()
    if len(sys.argv) > 2:
        store.con  # keep the file open, as a writer does only during a batch's transaction
    print("ready", flush=True)
    sys.stdin.read()
""")


def test_second_writer_gets_a_clear_lock_error_and_readers_read_meanwhile(tmp_path):
    path = tmp_path / "s.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreLocked) as info:
            Store(path).open()
        msg = str(info.value)
        assert str(path) in msg and "locked by another writer" in msg and f"process {holder.pid}" in msg
        assert msg.count("\n") == 0 and "duckdb.org" not in msg
        with Store(path, read_only=True, wait=0) as reader:  # the writer holds the file only while it writes
            assert reader.summary()["runs"] == 0
    finally:
        holder.communicate("")
    with Store(path) as st:  # released when the holder exits
        assert st.summary()["runs"] == 0


def test_a_reader_waits_for_a_write_then_says_what_holds_it(tmp_path):
    path = tmp_path / "s.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path), "keep-open"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        t0 = time.monotonic()
        with pytest.raises(StoreLocked, match=r"waited 0.5 s; set VOC_STORE_WAIT"):
            Store(path, read_only=True, wait=0.5).open()
        assert 0.4 < time.monotonic() - t0 < 5
    finally:
        holder.communicate("")
    with Store(path, read_only=True, wait=0) as reader:  # the write is over
        assert reader.summary()["runs"] == 0


def test_second_writer_in_the_same_process(tmp_path):
    path = tmp_path / "s.duckdb"
    with Store(path):
        with pytest.raises(StoreLocked, match="this process"):
            Store(path).open()
    with Store(path):  # closing released it
        pass


def test_cli_second_writer_exits_2_with_one_line(tmp_path, model_dir, make_input):
    from typer.testing import CliRunner

    from voc.cli import app

    path = tmp_path / "s.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        res = CliRunner().invoke(app, ["score", str(make_input(5)), "--model", str(model_dir), "--store", str(path)])
    finally:
        holder.communicate("")
    assert res.exit_code == 2, res.output
    assert "E011" in res.output and "locked" in res.output and "Traceback" not in res.output


def test_read_only_needs_an_existing_voc_store(tmp_path):
    with pytest.raises(StoreNotFound, match="does not exist"):
        Store(tmp_path / "missing.duckdb", read_only=True).open()
    not_voc = tmp_path / "other.duckdb"
    import duckdb

    duckdb.connect(str(not_voc)).close()
    with pytest.raises(StoreError, match="not a voc store"):
        Store(not_voc, read_only=True).open()
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError):
        Store(junk).open()


def test_content_hash_is_stable_and_ignores_position():
    a = pd.DataFrame({"doc_id": ["x", "y"], "text": ["Late  delivery", "Great"], "line": [2, 3],
                      "nps": [3.0, float("nan")], "date": pd.to_datetime(["2025-01-01", None])})
    b = a.iloc[::-1].assign(line=[10, 11], text=["Great", "Late delivery"])
    assert content_hashes(a) == content_hashes(b)[::-1]
    # a corrected score is a new version; a hash never depends on the process (no hash())
    assert content_hashes(a.assign(nps=[4.0, float("nan")]))[0] != content_hashes(a)[0]
    assert len(content_hashes(a)[0]) == 32
    one = pd.DataFrame({"doc_id": ["x"], "text": ["Late delivery"], "line": [1]})
    code = ("import pandas as pd; from voc.store import content_hashes; "
            "print(content_hashes(pd.DataFrame({'doc_id': ['x'], 'text': ['Late delivery'], 'line': [1]}))[0])")
    import os

    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert other.stdout.strip() == content_hashes(one)[0]


def test_model_fingerprint_ignores_the_save_time(model_dir, tmp_path):
    import json
    import shutil

    copy = tmp_path / "m"
    shutil.copytree(model_dir, copy)
    meta = json.loads((copy / "meta.json").read_text())
    meta["created"] = "1999-01-01T00:00:00+00:00"
    (copy / "meta.json").write_text(json.dumps(meta))
    assert model_fingerprint(copy) == model_fingerprint(model_dir)
    (copy / "themes" / "state.json").write_text("{}")
    assert model_fingerprint(copy) != model_fingerprint(model_dir)


def test_themes_keep_aspects_issues_and_older_stores_gain_the_columns(tmp_path, model_dir, make_input):
    """The store's themes table holds kind / polarity / label support / hidden, and a store
    written before those columns existed gets them on the next write (reads of it still work)."""
    import duckdb

    from voc.store.scoring import score

    old = tmp_path / "old.duckdb"
    con = duckdb.connect(str(old))
    con.execute("""CREATE TABLE themes (model_fingerprint VARCHAR, theme_id BIGINT, label VARCHAR,
        keywords VARCHAR[], size BIGINT, examples VARCHAR[], parent_id BIGINT, curated BOOLEAN, level BIGINT)""")
    con.close()
    score(make_input(40), model_dir, old)
    with Store(old, read_only=True) as st:
        t = st.themes()
    assert {"kind", "polarity", "label_support", "hidden"} <= set(t.columns)
    assert {"issue", "aspect", "general", "context"} <= set(t["kind"])
    assert set(t.loc[t["kind"] == "issue", "polarity"]) <= {"negative", "neutral", "positive"}
