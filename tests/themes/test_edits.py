"""Theme edits (voc.themes.edits): the file and its errors, each operation, transform ==
fit after edits, the saved-model round trip, and edits that survive a refit.

The real encoder embeds the theme stage tests' ~120 sentences about five topics once per
module; a word list gives them a sentiment, so issues split by polarity as on real data.
One unedited fit is shared; each test applies its edits to a copy."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.stages.test_themes import TEXTS, TRUTH, _corpus, emb, interleaved  # noqa: F401 (emb: fixture)
from voc.errors import ThemeEditsError
from voc.stages.base import Corpus
from voc.stages.themes import ThemeStage
from voc.themes.edits import (EDIT_IDS, apply_edits, check_edits, derived_id, keyword_pattern, load_edits,
                              theme_tree)

REPO = Path(__file__).resolve().parents[2]
_POSITIVE = re.compile(r"friendly|helpful|kind\b|great|perfect|lovely|patient|knowledgeable|true to size|"
                       r"flattering|cute|solved", re.I)


def _with_sentiment(c: Corpus) -> Corpus:
    c.sentences["sentiment"] = ["positive" if _POSITIVE.search(t) else "negative" for t in c.sentences["text"]]
    return c


@pytest.fixture(scope="module")
def corpus(emb: np.ndarray) -> Corpus:
    return _with_sentiment(interleaved(emb))


@pytest.fixture(scope="module")
def plain(corpus: Corpus) -> ThemeStage:
    return ThemeStage(random_state=0).fit(corpus)


@pytest.fixture(scope="module")
def ids(plain: ThemeStage, corpus: Corpus) -> dict[str, int]:
    """Issue id by the topic most of its sentences are about (negative issues), and each
    topic's aspect id."""
    truth = np.array([TRUTH[TEXTS.index(t)] for t in corpus.sentences["text"]])
    t = plain.themes_
    out: dict[str, int] = {}
    for r in t[t["kind"] == "issue"].sort_values("size", ascending=False).itertuples():
        topic = pd.Series(truth[plain.labels_ == r.theme_id]).mode()[0]
        key = topic if r.polarity == "negative" else f"{topic}+"
        out.setdefault(key, int(r.theme_id))
        out.setdefault(f"aspect:{topic}", int(r.parent_id))
    return out


def _edited(plain: ThemeStage, corpus: Corpus, edits: object) -> ThemeStage:
    """A copy of the shared fit with ``edits`` applied as fit applies them."""
    stage = copy.deepcopy(plain)
    apply_edits(stage, edits, corpus.sentences["text"].tolist(), fresh=True)
    return stage


def _row(stage: ThemeStage, tid: int) -> pd.Series:
    t = stage.themes_
    return t[t["theme_id"] == tid].iloc[0]


# --- the file -----------------------------------------------------------------------------
def test_example_file_parses_with_lines() -> None:
    edits = load_edits(REPO / "configs" / "theme_edits.example.yaml")
    assert [e.op for e in edits] == ["rename", "merge", "split", "split", "move", "move", "hide"]
    assert all(e.line for e in edits) and [e.index for e in edits] == list(range(1, 8))
    merge = edits.items[1]
    assert merge.ids == (14, 15) and merge.target == 12
    assert edits.items[3].keywords == ("late delivery", "delayed")
    assert edits.items[5].label == "refunds & returns" and edits.items[5].target is None


@pytest.mark.parametrize("body, needles", [
    ("edits:\n  - rename: {id: 1, label: a}\n  - delete: {id: 2}\n",
     ["edit 2 (line 3)", "unknown operation 'delete'", "rename, merge, split, move, hide"]),
    ("edits:\n  - split: {id: 1, keyword: '', label: b}\n", ["edit 1 (line 2)", "keyword is empty"]),
    ("edits:\n  - split: {id: 1, keywords: [a, '  '], label: b}\n", ["keyword is empty"]),
    ("edits:\n  - rename: {id: 1, lable: a}\n", ["unknown field(s) ['lable']", "fields: id, label"]),
    ("edits:\n  - rename: {id: one, label: a}\n", ["id must be a theme id"]),
    ("edits:\n  - merge: {ids: [3, 4], into: 3}\n", ["3 is both merged away"]),
    ("edits:\n  - move: {id: 3}\n", ["move needs either to"]),
    ("edits:\n  - rename: {id: 1, label: a\n", ["line 3", "not valid YAML"]),
    ("themes:\n  - rename: {id: 1, label: a}\n", ["unknown top-level key(s) ['themes']"]),
    ("edits:\n  - rename: {id: 1, label: a}\n    merge: {ids: [2], into: 1}\n", ["each edit is one operation"]),
])
def test_invalid_files_name_the_file_edit_and_line(tmp_path: Path, body: str, needles: list[str]) -> None:
    f = tmp_path / "my_edits.yaml"
    f.write_text(body, encoding="utf-8")
    with pytest.raises(ThemeEditsError) as exc:
        load_edits(f)
    msg = str(exc.value)
    assert msg.startswith("[E014]") and "my_edits.yaml" in msg
    for n in needles:
        assert n in msg, msg


def test_missing_file_and_empty_file(tmp_path: Path) -> None:
    with pytest.raises(ThemeEditsError, match="does not exist.*theme_edits.example.yaml"):
        load_edits(tmp_path / "nope.yaml")
    (tmp_path / "empty.yaml").write_text("edits:\n", encoding="utf-8")
    assert len(load_edits(tmp_path / "empty.yaml")) == 0


def test_keyword_pattern_is_case_insensitive_whole_words() -> None:
    rx = re.compile(keyword_pattern(["late", "see-through", "money back"]))
    assert rx.search("It arrived LATE.") and rx.search("so See-through!") and rx.search("my money   back")
    assert not rx.search("the latest update") and not rx.search("translate this") and not rx.search("see-throughs")


# --- errors against a model --------------------------------------------------------------------
def test_errors_against_the_model(plain: ThemeStage, ids: dict[str, int]) -> None:
    d, r, a = ids["delivery"], ids["refund"], ids["aspect:delivery"]

    def err(edits: list[dict[str, object]]) -> str:
        with pytest.raises(ThemeEditsError) as exc:
            check_edits(plain, edits)
        return str(exc.value)

    assert "id 999 is not a theme of this model" in err([{"rename": {"id": 999, "label": "x"}}])
    assert "voc themes" in err([{"hide": {"id": 999}}])
    msg = err([{"move": {"id": a, "to": d}}])  # an aspect moved into an issue
    assert f"aspect {a}" in msg and "is an aspect, not an issue" in msg
    assert "is an issue, not an aspect" in err([{"move": {"id": d, "to": r}}])
    assert f"aspect {a} 'delivery' cannot merge into issue {d}" in err([{"merge": {"ids": [a], "into": d}}])
    msg = err([{"merge": {"ids": [r], "into": d}}, {"merge": {"ids": [d], "into": r}}])
    assert "edit 2" in msg and "merge cycle" in msg and f"{d} -> {r} -> {d}" in msg
    msg = err([{"merge": {"ids": [r], "into": d}}, {"rename": {"id": r, "label": "x"}}])
    assert f"id {r} was merged into {d} by edit 1" in msg
    assert "is a general bucket" in err([{"hide": {"id": -2}}])
    assert "unassigned" in err([{"rename": {"id": -1, "label": "x"}}])
    label = str(_row(plain, r)["label"])
    assert "already" in err([{"rename": {"id": d, "label": label.upper()}}])
    assert "only an issue splits" in err([{"split": {"id": a, "keyword": "late", "label": "x"}}])


# --- each operation --------------------------------------------------------------------------
def test_rename(plain: ThemeStage, corpus: Corpus, ids: dict[str, int]) -> None:
    d = ids["delivery"]
    stage = _edited(plain, corpus, [{"rename": {"id": d, "label": "parcel arrives late"}}])
    assert _row(stage, d)["label"] == "parcel arrives late" and np.isnan(_row(stage, d)["label_support"])
    out = stage.transform(corpus)
    assert set(out.sentences.loc[out.sentences["theme_id"] == d, "theme_label"]) == {"parcel arrives late"}
    assert any("parcel arrives late" in labels for labels in out.docs["theme_labels"])
    a = ids["aspect:delivery"]
    stage = _edited(plain, corpus, [{"rename": {"id": a, "label": "shipping"}}])
    assert set(stage.transform(corpus).sentences.loc[lambda s: s["aspect_id"] == a, "aspect_label"]) == {"shipping"}


def test_merge_folds_sentences_into_the_survivor(plain: ThemeStage, corpus: Corpus, ids: dict[str, int]) -> None:
    s, p = ids["staff"], ids["staff+"]
    stage = _edited(plain, corpus, [{"merge": {"ids": [p], "into": s}}])
    assert p not in set(stage.themes_["theme_id"]) and p not in stage.issue_of_leaf_
    assert _row(stage, s)["size"] == _row(plain, s)["size"] + _row(plain, p)["size"]
    got = stage.transform(corpus).sentences["theme_id"].to_numpy()
    was = plain.labels_
    assert (got[np.isin(was, [s, p])] == s).all() and (got[~np.isin(was, [s, p])] == was[~np.isin(was, [s, p])]).all()
    # aspects merge too: the issues of the one merged away move under the survivor
    a, b = ids["aspect:delivery"], ids["aspect:refund"]
    stage = _edited(plain, corpus, [{"merge": {"ids": [b], "into": a}}])
    assert b not in set(stage.themes_["theme_id"]) and _row(stage, ids["refund"])["parent_id"] == a
    assert _row(stage, a)["size"] == _row(plain, a)["size"] + _row(plain, b)["size"]


def test_split_moves_the_keyword_sentences_to_a_new_stable_id(plain: ThemeStage, corpus: Corpus,
                                                              ids: dict[str, int]) -> None:
    d = ids["delivery"]
    edits = [{"split": {"id": d, "keyword": "late", "label": "late delivery"}}]
    stage = _edited(plain, corpus, edits)
    new = derived_id("split", d, "late")
    assert EDIT_IDS[0] <= new < EDIT_IDS[1]
    assert stage.edit_info_["created"] == {"edit 1": new}
    row = _row(stage, new)
    assert row["label"] == "late delivery" and row["kind"] == "issue" and row["parent_id"] == _row(plain, d)["parent_id"]
    texts = corpus.sentences["text"].to_numpy()
    rx = re.compile(keyword_pattern(["late"]))
    got = stage.transform(corpus).sentences["theme_id"].to_numpy()
    hit = np.array([bool(rx.search(t)) for t in texts])
    assert ((plain.labels_ == d) & hit).sum() >= 3
    np.testing.assert_array_equal(got == new, (plain.labels_ == d) & hit)
    assert row["size"] == (got == new).sum() and _row(stage, d)["size"] == (got == d).sum()
    assert all(rx.search(x) for x in row["examples"]) and not any(rx.search(x) for x in _row(stage, d)["examples"])
    # the same edit on another fit gets the same id; under another aspect when told
    other = _edited(plain, corpus, [{"split": {"id": d, "keyword": "LATE", "label": "late",
                                               "aspect": ids["aspect:refund"]}}])
    assert _row(other, new)["parent_id"] == ids["aspect:refund"]


def test_move_to_an_aspect_and_to_a_new_one(plain: ThemeStage, corpus: Corpus, ids: dict[str, int]) -> None:
    d, r, a_r = ids["delivery"], ids["refund"], ids["aspect:refund"]
    stage = _edited(plain, corpus, [{"move": {"id": d, "to": a_r}}])
    assert _row(stage, d)["parent_id"] == a_r
    assert _row(stage, a_r)["size"] == _row(plain, a_r)["size"] + _row(plain, d)["size"]
    assert ids["aspect:delivery"] not in set(stage.themes_["theme_id"])  # left without issues
    out = stage.transform(corpus).sentences
    assert set(out.loc[out["theme_id"] == d, "aspect_id"]) == {a_r}
    stage = _edited(plain, corpus, [{"move": {"ids": [d], "new_aspect": "Orders"}},
                                    {"move": {"id": r, "new_aspect": "orders"}}])  # the same new aspect
    new = derived_id("aspect", "orders")
    row = _row(stage, new)
    assert row["kind"] == "aspect" and row["label"] == "Orders" and row["level"] == 1
    assert _row(stage, d)["parent_id"] == new == _row(stage, r)["parent_id"]
    assert row["size"] == _row(plain, d)["size"] + _row(plain, r)["size"]
    assert set(stage.transform(corpus).sentences.loc[lambda s: s["theme_id"] == r, "aspect_label"]) == {"Orders"}


def test_hide_keeps_the_theme_and_its_sentences(plain: ThemeStage, corpus: Corpus, ids: dict[str, int]) -> None:
    d, a = ids["delivery"], ids["aspect:staff"]
    stage = _edited(plain, corpus, [{"hide": {"ids": [d, a]}}])
    hidden = set(stage.themes_.loc[stage.themes_["hidden"], "theme_id"])
    staff = set(stage.themes_.loc[stage.themes_["parent_id"] == a, "theme_id"])
    assert hidden == {d, a} | staff and len(staff) >= 1  # an aspect hides its issues
    out = stage.transform(corpus)
    np.testing.assert_array_equal(out.sentences["theme_id"].to_numpy(), plain.labels_)
    assert out.meta["themes"]["hidden"] == sorted(hidden)
    assert len(stage.themes_) == len(plain.themes_)


def test_priorities_leave_hidden_themes_out() -> None:
    from voc.drivers.priorities import priority_list

    drivers = pd.DataFrame({"dimension": "theme", "key": ["1", "2", "3"], "label": ["a", "b", "c"], "score": "nps",
                            "kind": "nps", "metric": "nps", "higher_is_better": True, "volume": 10, "share": 0.1,
                            "impact": [-3.0, -2.0, 2.0], "impact_ci_low": [-4.0, -3.0, 1.0],
                            "impact_ci_high": [-2.0, -1.0, 3.0], "polarity": ["negative", "negative", "positive"]})
    assert list(priority_list(drivers)["key"]) == ["1", "2", "3"]
    assert list(priority_list(drivers, hidden=[1, 3])["key"]) == ["2"]


# --- order, transform == fit, persistence ------------------------------------------------------
def test_edits_apply_in_file_order(plain: ThemeStage, corpus: Corpus, ids: dict[str, int]) -> None:
    """Split the delivery issue by "order", then merge it into the refund issue: the refund
    sentences that say "order" stay in the refund issue. Merging first sends them along."""
    d, r = ids["delivery"], ids["refund"]
    split = {"split": {"id": d, "keyword": "order", "label": "order delays"}}
    new = derived_id("split", d, "order")
    rx = re.compile(keyword_pattern(["order"]))
    hit = np.array([bool(rx.search(t)) for t in corpus.sentences["text"]])
    assert ((plain.labels_ == r) & hit).any() and ((plain.labels_ == d) & hit).any()
    first = _edited(plain, corpus, [split, {"merge": {"ids": [d], "into": r}}])
    got = first.transform(corpus).sentences["theme_id"].to_numpy()
    np.testing.assert_array_equal(got == new, (plain.labels_ == d) & hit)
    assert (got[(plain.labels_ == r)] == r).all()
    later = _edited(plain, corpus, [{"merge": {"ids": [d], "into": r}},
                                    {"split": {"id": r, "keyword": "order", "label": "order delays"}}])
    got = later.transform(corpus).sentences["theme_id"].to_numpy()
    np.testing.assert_array_equal(got == derived_id("split", r, "order"), np.isin(plain.labels_, [d, r]) & hit)


@pytest.fixture(scope="module")
def all_edits(ids: dict[str, int]) -> list[dict[str, object]]:
    return [{"rename": {"id": ids["delivery"], "label": "parcel arrives late"}},
            {"split": {"id": ids["app"], "keywords": ["crashes", "crashing"], "label": "app crashes"}},
            {"merge": {"ids": [ids["staff+"]], "into": ids["staff"]}},
            {"move": {"id": ids["refund"], "new_aspect": "money"}},
            {"hide": {"id": ids["fit"]}}]


@pytest.fixture(scope="module")
def edited(corpus: Corpus, all_edits: list[dict[str, object]]) -> ThemeStage:
    return ThemeStage(random_state=0, edits=all_edits).fit(corpus)


def test_fit_with_edits_is_what_transform_gives(edited: ThemeStage, corpus: Corpus) -> None:
    stage = edited
    assert stage.fit_info_["edits"]["n_edits"] == 5 and not stage.fit_info_["edits"]["warnings"]
    out = stage.transform(corpus)
    np.testing.assert_array_equal(out.sentences["theme_id"].to_numpy(), stage.labels_)
    sizes = out.sentences["theme_id"].value_counts()
    issues = stage.themes_[stage.themes_["kind"] == "issue"]
    assert all(sizes.get(tid, 0) == size for tid, size in zip(issues["theme_id"], issues["size"]))
    assert set(out.sentences["theme_id"]) - {-1, -2, -3} <= set(issues["theme_id"])


def test_saved_model_keeps_its_edits(edited: ThemeStage, plain: ThemeStage, corpus: Corpus,
                                     all_edits: list[dict[str, object]], tmp_path: Path) -> None:
    stage = edited
    stage.to_disk(tmp_path / "themes")
    assert {p.suffix for p in (tmp_path / "themes").iterdir()} <= {".json", ".parquet", ".npy"}
    loaded = ThemeStage().from_disk(tmp_path / "themes")
    pd.testing.assert_frame_equal(loaded.themes_, stage.themes_)
    assert loaded.edits_ == stage.edits_
    pd.testing.assert_frame_equal(loaded.transform(corpus).sentences, stage.transform(corpus).sentences)
    # other edits replace them (starting from the model as fitted); none restore it
    unedited = plain
    apply_edits(loaded, [])
    pd.testing.assert_frame_equal(loaded.themes_, unedited.themes_)
    np.testing.assert_array_equal(loaded.transform(corpus).sentences["theme_id"], unedited.labels_)
    report = apply_edits(loaded, all_edits[:1])
    assert len(report.applied) == 1 and len(loaded.themes_) == len(unedited.themes_)


def test_a_model_saved_before_edits_loads_unedited(plain: ThemeStage, corpus: Corpus, tmp_path: Path) -> None:
    plain.to_disk(tmp_path / "themes")
    (tmp_path / "themes" / "edits.json").unlink()  # what an older voc wrote
    loaded = ThemeStage().from_disk(tmp_path / "themes")
    assert not loaded.themes_["hidden"].any() and len(loaded.edits_) == 0
    np.testing.assert_array_equal(loaded.transform(corpus).sentences["theme_id"], plain.labels_)


def test_a_model_saved_before_sentences_leaned_routes_them_as_fitted(plain: ThemeStage, tmp_path: Path) -> None:
    plain.to_disk(tmp_path / "themes")
    params = tmp_path / "themes" / "params.json"
    saved = json.loads(params.read_text())
    assert saved["lean"] == plain.lean == 0.4
    del saved["lean"]  # what an older voc wrote: neutral sentences never leaned
    params.write_text(json.dumps(saved))
    assert ThemeStage().from_disk(tmp_path / "themes").lean == 1.0


def test_tree_lists_aspects_with_their_issues(edited: ThemeStage, all_edits: list[dict[str, object]]) -> None:
    stage = edited
    tree = theme_tree(stage)
    issues = [i for a in tree for i in a["issues"]]
    assert {i["theme_id"] for i in issues} == set(stage.themes_.loc[stage.themes_["kind"] == "issue", "theme_id"])
    money = next(a for a in tree if a["label"] == "money")
    assert [i["label"] for i in money["issues"]] == [_row(stage, all_edits[3]["move"]["id"])["label"]]
    assert [a["kind"] for a in tree[-2:]] == ["general", "context"]
    assert any(i["hidden"] for i in issues)


# --- refits ---------------------------------------------------------------------------------
def test_rename_and_merge_survive_a_refit(plain: ThemeStage, corpus: Corpus, emb: np.ndarray, ids: dict[str, int],
                                          tmp_path: Path) -> None:
    """The same topics minus "fit", other documents and order: the refit matches ids to
    the first fit's (as fitted, before its edits) and the edits hold on them; the edit on
    the "fit" issue, gone now, is a warning. BERTopic's set_topic_labels / merge_topics
    would be lost here."""
    d, s, p, f = ids["delivery"], ids["staff"], ids["staff+"], ids["fit"]
    edits = [{"rename": {"id": d, "label": "parcel arrives late"}}, {"merge": {"ids": [p], "into": s}},
             {"hide": {"id": f}}]
    ThemeStage(random_state=0, edits=edits).fit(corpus).to_disk(tmp_path / "m1")
    keep = list(np.random.default_rng(7).permutation([i for i in range(len(TEXTS)) if TRUTH[i] != "fit"]))
    new = _with_sentiment(_corpus([TEXTS[i] for i in keep], emb[keep], per_doc=3))
    raw = ThemeStage(random_state=0, reference=tmp_path / "m1", edits=[]).fit(new)
    assert {d, s, p} <= set(raw.fit_info_["changes"]["issues"]["kept"]) and f in raw.fit_info_["changes"]["issues"]["gone"]
    assert _row(raw, d)["label"] != "parcel arrives late"
    for refit in (ThemeStage(random_state=0, reference=tmp_path / "m1", edits=edits).fit(new),
                  ThemeStage(random_state=0, reference=tmp_path / "m1").fit(new)):  # the model's own edits carry over
        assert _row(refit, d)["label"] == "parcel arrives late"
        assert p not in set(refit.themes_["theme_id"])
        np.testing.assert_array_equal(refit.labels_[np.isin(raw.labels_, [s, p])], s)
        warnings = refit.fit_info_["edits"]["warnings"]
        assert len(warnings) == 1 and f"id {f} is not among the refit's themes" in warnings[0]
        np.testing.assert_array_equal(refit.transform(new).sentences["theme_id"], refit.labels_)
