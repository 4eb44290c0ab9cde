"""Incremental scoring into the store (the embedded file and PostgreSQL, the same tests): idempotent,
versioned, chunked, rejects kept."""

from __future__ import annotations

import pandas as pd
import pytest

import voc
from voc.store import Store, analysis_from_store, export_store


def test_same_file_twice_adds_nothing_and_runs_no_model(store_target, model_dir, make_input, tmp_path, transform_spy):
    src = make_input(30)
    store = store_target
    first = voc.score(src, model_dir, store, chunksize=16)
    assert (first.new, first.unchanged, first.rescored, first.rejected) == (30, 0, 0, 0)
    assert first.chunks == 2 and first.max_chunk_rows <= 16
    assert sum(transform_spy) == 30
    transform_spy.clear()

    second = voc.score(src, model_dir, store, chunksize=16)
    assert (second.new, second.rescored, second.unchanged) == (0, 0, 30)
    assert transform_spy == []  # unchanged documents are filtered out before any model runs
    with Store(store, read_only=True) as st:
        docs = st.documents()
        runs = st.runs()
        assert len(docs) == 30 and docs["doc_id"].is_unique
        assert set(docs["version"]) == {1}
        assert list(runs["status"]) == ["completed", "completed"]
        assert list(runs["new"]) == [30, 0] and list(runs["unchanged"]) == [0, 30]
        assert st.history().empty
        sents = st.sentences()
        assert set(sents["doc_id"]) == set(docs["doc_id"])
        themes = st.themes()
        assert len(themes) and set(docs["model_fingerprint"]) == {first.model_fingerprint}


def test_changed_text_is_rescored_and_old_version_kept(store_target, model_dir, make_input, tmp_path, transform_spy):
    src = make_input(30)
    store = store_target
    voc.score(src, model_dir, store)
    frame = pd.read_csv(src)
    changed = frame.copy()
    changed.loc[[0, 5], "text"] = ["The parcel arrived two weeks late and damaged.", "Lovely soft towels, thanks!"]
    extra = frame.iloc[[1]].assign(id="NEW-1", text="Checkout kept failing on the app.")
    edited = tmp_path / "edited.csv"
    pd.concat([changed, extra]).to_csv(edited, index=False)
    transform_spy.clear()

    s = voc.score(edited, model_dir, store)
    assert (s.new, s.rescored, s.unchanged) == (1, 2, 28)
    assert sum(transform_spy) == 3
    ids = [frame.loc[0, "id"], frame.loc[5, "id"]]
    with Store(store, read_only=True) as st:
        docs = st.documents().set_index("doc_id")
        assert len(docs) == 31
        assert docs.loc[ids[0], "version"] == 2 and docs.loc[ids[0], "text"].startswith("The parcel arrived")
        hist = st.history()
        assert sorted(hist["doc_id"]) == sorted(ids)
        assert set(hist["version"]) == {1} and set(hist["superseded_by_run"]) == {2}
        old = hist.set_index("doc_id").loc[ids[0], "text"]
        assert old == frame.loc[0, "text"]
        # sentences follow the document: current ones for version 2, old ones in history
        sents = st.query("SELECT doc_id, version FROM sentences WHERE doc_id = ?", [ids[0]])
        assert set(sents["version"]) == {2}
        old_sents = st.query("SELECT version FROM sentences_history WHERE doc_id = ?", [ids[0]])
        assert len(old_sents) and set(old_sents["version"]) == {1}

    again = voc.score(edited, model_dir, store)  # and the edited file is now idempotent too
    assert (again.new, again.rescored, again.unchanged) == (0, 0, 31)


def test_without_id_rows_are_keyed_by_content(store_target, model_dir, make_input, tmp_path):
    frame = pd.read_csv(make_input(12)).drop(columns=["id"])
    a = tmp_path / "export-monday.csv"
    frame.to_csv(a, index=False)
    store = store_target
    s1 = voc.score(a, model_dir, store)
    assert s1.new == 12
    # the next export: other file name, rows reordered, one exact duplicate row, one new row
    b = tmp_path / "export-tuesday.csv"
    extra = frame.iloc[[0]].assign(text="Refund still not processed after a month.")
    pd.concat([frame.iloc[::-1], frame.iloc[[3]], extra]).to_csv(b, index=False)
    s2 = voc.score(b, model_dir, store)
    assert (s2.new, s2.unchanged, s2.duplicates, s2.rescored) == (1, 12, 1, 0)
    with Store(store, read_only=True) as st:
        docs = st.documents()
        assert len(docs) == 13 and docs["doc_id"].str.startswith("h:").all()


def test_rejects_are_kept_in_the_store_and_csv(store_target, model_dir, make_input, tmp_path):
    frame = pd.read_csv(make_input(10))
    frame.loc[2, "text"] = "   "
    frame["nps"] = frame["nps"].astype("object")
    frame.loc[4, "nps"] = 42
    src = tmp_path / "bad.csv"
    frame.to_csv(src, index=False)
    store = store_target
    s = voc.score(src, model_dir, store, chunksize=3, rejects_csv=tmp_path / "out" / "rejects.csv")
    assert (s.rows_read, s.accepted, s.rejected, s.new) == (10, 8, 2, 8)
    csv = pd.read_csv(tmp_path / "out" / "rejects.csv")
    assert sorted(csv["line"]) == [4, 6]
    with Store(store, read_only=True) as st:
        rej = st.rejects()
        assert sorted(rej["line"]) == [4, 6] and set(rej["run_id"]) == {s.run_id}
        assert any("empty text" in r for r in rej["reason"])
        assert st.runs()["rejected"].tolist() == [2]


def test_another_model_rescores_what_it_is_given(store_target, model_dir, make_input, tmp_path):
    import shutil

    src = make_input(8)
    store = store_target
    voc.score(src, model_dir, store)
    other = tmp_path / "model-v2"
    shutil.copytree(model_dir, other)
    (other / "config.json").write_text((other / "config.json").read_text() + "\n", encoding="utf-8")
    s = voc.score(src, other, store)
    assert (s.new, s.rescored, s.unchanged) == (0, 8, 0)
    with Store(store, read_only=True) as st:
        assert st.summary()["models"] == 2
        assert set(st.documents()["model_fingerprint"]) == {s.model_fingerprint}
        assert st.current_model() == s.model_fingerprint


def test_analysis_and_export_from_store(store_target, model_dir, make_input, tmp_path):
    src = make_input(30)
    store = store_target
    voc.score(src, model_dir, store)
    analysis = analysis_from_store(store)
    assert len(analysis.documents) == 30 and len(analysis.sentences) >= 30
    assert not analysis.themes.empty and analysis.run["counts"]["documents"] == 30
    assert "drivers" in analysis.tables  # recomputed over the stored documents
    dates = pd.to_datetime(pd.read_csv(src)["date"])
    cut = dates.sort_values().iloc[20]
    recent = analysis_from_store(store, since=str(cut.date()), drivers=False)
    assert len(recent.documents) == int((dates >= cut).sum())

    for fmt in ("parquet", "csv"):
        written = export_store(store, tmp_path / fmt, format=fmt)
        assert set(written) == {"documents", "sentences", "themes", "runs", "rejects"}
        docs = pd.read_parquet(written["documents"]) if fmt == "parquet" else pd.read_csv(written["documents"])
        assert len(docs) == 30 and docs["doc_id"].is_unique
    with pytest.raises(voc.VocError, match="format"):
        export_store(store, tmp_path / "x", format="xlsx")


def test_python_api_takes_a_dataframe_and_a_fitted_analyzer(store_target, fitted, model_dir, make_input, tmp_path):
    analyzer = fitted[0]
    frame = pd.read_csv(make_input(10))
    store = store_target
    s = voc.score(frame, analyzer, store, chunksize=4)
    assert (s.new, s.chunks) == (10, 3)
    assert "drivers" in analyzer.stages_  # the caller's Analyzer is left as it was
    with Store(store, read_only=True) as st:
        assert sorted(st.documents()["line"]) == list(range(1, 11))


def test_a_fitted_analyzer_and_its_saved_directory_are_one_model(store_target, fitted, model_dir, make_input, tmp_path):
    frame = pd.read_csv(make_input(10))
    store = store_target
    s = voc.score(frame, fitted[0], store)
    again = voc.score(frame, model_dir, store)
    assert (again.new, again.unchanged) == (0, 10) and again.model_fingerprint == s.model_fingerprint
