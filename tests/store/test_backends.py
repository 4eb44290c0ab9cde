"""What both stores promise beyond scoring (the same tests for the embedded file and
PostgreSQL): one writer at a time with E011 while readers read, column names from users'
files are only names; and what only the server store has: a password never printed, the
views a dashboard reads."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

import voc
from voc.errors import StoreError, StoreLocked
from voc.store import Store, analysis_from_store, export_store

HOLD = textwrap.dedent("""
    import sys
    from voc.store import Store
    store = Store(sys.argv[1]).open()
    print("ready", flush=True)
    sys.stdin.read()
""")


def test_one_writer_at_a_time_while_readers_read(store_target, model_dir, make_input):
    voc.score(make_input(8), model_dir, store_target)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, store_target], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreLocked, match="locked by another writer") as info:
            voc.score(make_input(8), model_dir, store_target)
        assert info.value.code == "E011" and "\n" not in str(info.value)
        with Store(store_target, read_only=True, wait=0) as reader:
            assert len(reader.documents()) == 8
    finally:
        holder.communicate("")
    assert voc.score(make_input(8), model_dir, store_target).unchanged == 8  # the lock went with the holder


HOSTILE = 'x"; drop table documents; --'


def test_a_column_named_like_sql_is_just_a_column(store_target, model_dir, make_input, tmp_path):
    frame = pd.read_csv(make_input(10))
    frame[HOSTILE] = ["a", "b"] * 5
    frame["it's"] = range(10)
    src = tmp_path / "hostile.csv"
    frame.to_csv(src, index=False)
    mapping = voc.ColumnMapping(text="text", id="id", date="date", segments=[HOSTILE, "it's"])
    s = voc.score(src, model_dir, store_target, mapping=mapping)
    assert s.new == 10
    with Store(store_target, read_only=True) as st:
        docs = st.documents()
        assert len(docs) == 10 and docs[HOSTILE].tolist() == ["a", "b"] * 5
        assert st.has_table("documents") and st.summary()["documents"] == 10
    written = export_store(store_target, tmp_path / "out", format="csv")
    assert HOSTILE in pd.read_csv(written["documents"]).columns


SECRET = "Sup3r-S3cret!pw"


def test_a_password_is_never_printed(pg_server, model_dir, make_input, tmp_path, caplog):
    """The server trusts the socket, so any password connects: the URL carries one, and it
    must appear in no message, log line, file or table voc writes."""
    from typer.testing import CliRunner

    from voc.cli import app

    base = pg_server.url.replace("postgres@", f"postgres:{SECRET}@")
    url = f"{base}&schema=secrets"
    caplog.set_level(logging.DEBUG, logger="voc")
    runner = CliRunner()
    outputs = []
    res = runner.invoke(app, ["score", str(make_input(12)), "--model", str(model_dir), "--store", url,
                              "--out", str(tmp_path / "run"), "-v"])
    assert res.exit_code == 0, res.output
    outputs.append(res.output)
    for args in (["report", "--store", url, "--out", str(tmp_path / "r.html")],
                 ["export", "--store", url, "--out", str(tmp_path / "exp"), "--format", "csv"]):
        res = runner.invoke(app, args)
        assert res.exit_code == 0, res.output
        outputs.append(res.output)
    broken = base.replace(str(pg_server.root), str(tmp_path / "no-server-here")) + "&schema=secrets"
    res = runner.invoke(app, ["export", "--store", broken, "--out", str(tmp_path / "x")])
    assert res.exit_code != 0 and "***" in res.output
    outputs.append(res.output)
    with pytest.raises(StoreError) as info:
        Store(broken, read_only=True).open()
    outputs.append(str(info.value))
    texts = [*outputs, caplog.text, *(p.read_text(encoding="utf-8", errors="replace")
                                       for p in tmp_path.rglob("*") if p.is_file() and p.suffix in (".json", ".csv",
                                                                                                     ".html"))]
    with Store(url, read_only=True) as st:
        texts.append(st.runs().to_json(date_format="iso"))
        assert st.path.count("***") == 1
    assert "postgres:***@" in outputs[0]  # the store is named, masked
    assert not [t[:200] for t in texts if SECRET in t]
    assert SECRET not in json.dumps(json.loads((tmp_path / "run" / "run.json").read_text()))


def test_the_views_a_dashboard_reads(pg_server, model_dir, make_input):
    url = f"{pg_server.url}&schema=views"
    voc.score(make_input(30), model_dir, url)
    with Store(url, read_only=True) as st:
        current = st.query("SELECT count(*) AS n FROM current_documents")["n"].iat[0]
        issues = st.query("SELECT * FROM issue_weekly")
        tps = st.query("SELECT * FROM touchpoint_weekly")
        docs = st.documents()
    assert current == 30
    assert {"week", "theme_id", "label", "documents", "mean_sentiment", "negative_share"} <= set(issues.columns)
    assert issues["documents"].sum() == docs["theme_ids"].map(len).sum()
    assert tps["documents"].sum() == docs["touchpoints"].map(len).sum()
    analysis = analysis_from_store(url)  # what voc report reads
    assert len(analysis.documents) == 30 and not analysis.themes.empty
