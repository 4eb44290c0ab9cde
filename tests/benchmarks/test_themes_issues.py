"""The metric helpers of benchmarks/themes_issues.py on tiny inputs with known answers,
so the figures it commits can be trusted."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "themes_issues.py"


@pytest.fixture(scope="module")
def ti():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("themes_issues", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["themes_issues"] = module
    spec.loader.exec_module(module)
    return module


def test_share_and_outside_as_one(ti) -> None:  # type: ignore[no-untyped-def]
    assert ti.share([True, False, False, True]) == 0.5
    assert ti.share([]) is None
    assert ti.outside_as_one([3, -1, -2, -3, 0]).tolist() == [3, -1, -1, -1, 0]


def test_purity_counts_the_majority_of_each_cluster(ti) -> None:  # type: ignore[no-untyped-def]
    # cluster 0: p p n -> 2 right; cluster 1: n n -> 2 right; 4 of 5
    assert ti.purity([0, 0, 0, 1, 1], ["p", "p", "n", "n", "n"]) == 0.8
    assert ti.purity([], []) is None
    assert ti.purity([0, 0], ["p", "n"]) == 0.5  # a tie still counts one of the two


def test_polarity_purity_is_over_issues_and_reports_the_rest(ti) -> None:  # type: ignore[no-untyped-def]
    ids = [0, 0, 0, 1, 1, -1, -2]
    gold = ["p", "p", "n", "n", "n", "p", "n"]
    got = ti.polarity_purity(ids, gold)
    assert got["polarity_purity"] == 0.8
    assert got["n_in_issues"] == 5 and got["n"] == 7
    assert got["in_issue_share"] == round(5 / 7, 4)
    # -1 and -2 form one cluster {p, n}: 2 + 2 + 1 of 7
    assert got["polarity_purity_outside_as_one_cluster"] == round(5 / 7, 4)


def test_v_measure_puts_everything_outside_an_issue_in_one_cluster(ti) -> None:  # type: ignore[no-untyped-def]
    # general (-2) and context (-3) together hold class a: one cluster, so a perfect score
    assert ti.v_measure(["a", "a", "b", "b"], [-2, -3, 0, 0])["v_measure"] == 1.0
    # kept apart they would split class a: completeness < 1
    assert ti.v_measure(["a", "a", "b", "b"], [2, 3, 0, 0])["completeness"] < 1.0
    one = ti.v_measure(["a", "a", "b", "b"], [0, 0, 0, 0])
    assert one["v_measure"] == 0.0 and one["homogeneity"] == 0.0 and one["completeness"] == 1.0
    assert ti.v_measure([], [])["v_measure"] is None


def test_declared_polarity_agreement(ti) -> None:  # type: ignore[no-untyped-def]
    ids = [0, 0, 1, -1]
    gold = ["positive", "negative", "negative", "positive"]
    assert ti.declared_polarity_agreement(ids, gold, {0: "positive", 1: "Negative"}) == round(2 / 3, 4)
    assert ti.declared_polarity_agreement(ids, gold, None) is None


def test_doc_units_takes_the_longest_unit_and_the_first_on_ties(ti) -> None:  # type: ignore[no-untyped-def]
    s = pd.DataFrame({"doc_id": ["a", "a", "b", "b", "c"], "text": ["hi", "the zip broke", "abc", "xyz", "ok"],
                      "theme_id": [-3, 4, 7, 8, -1]})
    d = ti.doc_units(s)
    assert d.loc["a", "theme_id"] == 4 and d.loc["b", "theme_id"] == 7 and d.loc["c", "theme_id"] == -1
    assert d.loc["a", "n_units"] == 2 and set(d["kind"]) == {"feedback"}
    s["kind"] = ["context", "feedback", "feedback", "general", "feedback"]
    assert ti.doc_units(s).loc["b", "kind"] == "feedback"
    aligned = ti.docs_aligned(d, ["c", "a", "gone"])  # a rejected row counts as unassigned
    assert aligned.tolist() == [-1, 4, -1]


def test_theme_table_reads_both_interfaces(ti) -> None:  # type: ignore[no-untyped-def]
    old = pd.DataFrame({"theme_id": [0, 1, 2], "label": ["x", "y", "z"], "level": [0, 0, 1]})
    assert ti.theme_table(old)["kind"].tolist() == ["issue", "issue", "aspect"]
    new = old.assign(kind=["issue", "general", "aspect"], polarity=["negative", None, None])
    t = ti.theme_table(new)
    assert t["kind"].tolist() == ["issue", "general", "aspect"] and t["polarity"].iloc[0] == "negative"


def test_semeval_gold_classes(ti) -> None:  # type: ignore[no-untyped-def]
    def row(cats, terms=()):  # type: ignore[no-untyped-def]
        return {"aspect_categories_json": json.dumps([{"category": c, "polarity": p} for c, p in cats]),
                "aspect_terms_json": json.dumps([{"term": t, "polarity": "neutral"} for t in terms])}

    frame = pd.DataFrame([
        row([("food", "positive")], ["pizza"]),                      # single, opinion
        row([("anecdotes/miscellaneous", "neutral")]),               # no aspect, no opinion
        row([("anecdotes/miscellaneous", "negative")]),              # no aspect, general; single
        row([("food", "positive"), ("service", "negative")], ["x"]),  # opinion, not single
        row([("anecdotes/miscellaneous", "neutral")], ["dosa"]),     # has a term: not no-aspect
        row([("food", "neutral")], ["menu"]),                        # neither
        row([("anecdotes/miscellaneous", "conflict")]),              # no aspect, conflict
    ])
    g = ti.semeval_gold(frame)
    assert g["single"].tolist() == [True, False, True, False, False, False, False]
    assert g["gold"][0] == "food x positive" and g["polarity"][2] == "negative"
    assert g["no_aspect"].tolist() == [False, True, True, False, False, False, True]
    assert g["no_aspect_kind"].tolist() == ["", "no_opinion", "general", "", "", "", "conflict"]
    assert g["opinion"].tolist() == [True, False, False, True, False, False, False]


def test_bertopic_label_is_its_name_without_the_number(ti) -> None:  # type: ignore[no-untyped-def]
    assert ti.bertopic_label(["food", "good", "place", "great", "the"]) == "food good place great"
    assert ti.bertopic_label(["refund"]) == "refund"


def test_lint_summary_counts_failing_labels_by_kind(ti) -> None:  # type: ignore[no-untyped-def]
    summary, problems = ti.lint_summary(["price / value", "refund takes weeks", "delivery"],
                                        ["issue", "issue", "aspect"])
    assert [bool(p) for p in problems] == [True, False, False]
    assert summary["share_failing"] == round(1 / 3, 4)
    assert summary["by_kind"]["issue"] == {"n": 2, "share_failing": 0.5}
    assert summary["labels_with_problem"] == {"pair": 1}
    assert ti.problem_kind("cut off: ends with the verb 'took'") == "cut off"


def test_pain_points_take_the_aspect_from_the_stage_or_the_parent(ti) -> None:  # type: ignore[no-untyped-def]
    themes = pd.DataFrame({"theme_id": [0, 1, 5], "label": ["runs small", "see-through fabric", "sizing & fit"],
                           "level": [0, 0, 1], "parent_id": [5, -1, -1],
                           "examples": [["It runs small."], [], ["Order a size up."]]})
    pri = pd.DataFrame({"kind": ["pain", "strength", "pain"], "dimension": "theme", "rank": [2, 1, 1],
                        "key": ["1", "7", "0"], "label": ["see-through fabric", "x", "runs small"],
                        "volume": [10, 3, 20], "conservative_impact": [-0.01, 0.2, -0.05], "impact": -0.1,
                        "mean_sentiment": -0.5, "score": "stars", "metric": "mean"})
    got = ti.pain_points(SimpleNamespace(priorities=pri, themes=themes))
    assert [p["label"] for p in got] == ["runs small", "see-through fabric"]
    assert got[0]["aspect"] == "sizing & fit" and got[0]["example"] == "It runs small."
    assert got[1]["aspect"] is None and got[1]["example"] == ""
    got = ti.pain_points(SimpleNamespace(priorities=pri.assign(aspect_label="fabric"), themes=themes))
    assert got[0]["aspect"] == "fabric"
    md = ti.pain_points_markdown({"n_documents": 30, "voc": {"pain_points": got}}, "python x.py")
    assert "1. **runs small** (aspect: fabric): 20 reviews, impact -0.050 stars" in md
    assert "   > It runs small." in md
    assert ti.pain_points(SimpleNamespace(priorities=pd.DataFrame(), themes=themes)) == []


def test_skips_a_missing_data_set_with_a_reason(ti, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for key, (_, fn) in ti.SETS.items():
        got = fn(tmp_path, tmp_path, False)
        assert set(got) == {"skipped"} and "data not found" in got["skipped"], key


def test_polarity_purity_sees_mixed_issues(ti) -> None:  # type: ignore[no-untyped-def]
    """The shape of the issue's complaint: "fabric / soft" holds "so soft" and
    "see-through"; split by polarity, the same sentences are pure."""
    gold = np.array(["positive"] * 6 + ["negative"] * 4)
    mixed = np.zeros(10, dtype=np.int64)
    split = np.array([0] * 6 + [1] * 4)
    assert ti.polarity_purity(mixed, gold)["polarity_purity"] == 0.6
    assert ti.polarity_purity(split, gold)["polarity_purity"] == 1.0


@pytest.mark.slow
def test_semeval_section_runs_end_to_end(ti, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The SemEval section on its first 400 sentences (copied to a temp dir), voc only
    (BERTopic is not a test dependency): every figure is there and in range, whichever
    theme interface the pipeline has."""
    from tests.conftest import shared_path

    src = shared_path("semeval2014_restaurants", "sentences.csv")
    (tmp_path / "semeval2014_restaurants").mkdir()
    pd.read_csv(src).head(400).to_csv(tmp_path / "semeval2014_restaurants" / "sentences.csv", index=False)
    res = ti.semeval(tmp_path, tmp_path / "cache", with_bertopic=False)
    v = res["voc"]
    assert res["n_documents"] == v["n_documents"] == 400 and v["n_rejected"] == 0
    for key in ("polarity_purity", "v_measure", "no_aspect_in_issue", "opinion_in_buckets", "in_issue_share"):
        assert 0.0 <= v[key] <= 1.0, key
    assert 0.0 <= v["labels"]["share_failing"] <= 1.0 and v["n_issues"] > 0
    assert v["label_sample"] and all(s["kind"] in ("aspect", "issue") for s in v["label_sample"])
    assert "bertopic_defaults" not in res


def test_voc_summary_reads_the_aspect_issue_interface(ti) -> None:  # type: ignore[no-untyped-def]
    """Issue 17's interface: buckets -2/-3 in theme_id, themes.kind and polarity; the
    buckets' rows are counted but their labels are not linted."""
    sents = pd.DataFrame({"doc_id": ["a", "a", "b", "c", "d"],
                          "text": ["Hi there", "The fabric is see-through", "Love it", "Thanks", "Runs small"],
                          "theme_id": [-3, 0, -2, -3, 1],
                          "kind": ["context", "feedback", "general", "context", "feedback"],
                          "aspect_id": [-1, 5, -1, -1, 6]})
    themes = pd.DataFrame({"theme_id": [0, 1, 5, 6, -2, -3],
                           "label": ["see-through fabric", "runs small", "fabric", "sizing & fit", "general",
                                     "context"],
                           "kind": ["issue", "issue", "aspect", "aspect", "general", "context"],
                           "polarity": ["negative", "negative", None, None, None, None],
                           "level": [0, 0, 1, 1, 0, 0], "parent_id": [5, 6, -1, -1, -1, -1],
                           "size": [1, 1, 1, 1, 1, 2]})
    analysis = SimpleNamespace(sentences=sents, themes=themes, rejects=pd.DataFrame(),
                               run={"timings_s": {"themes": 1.0, "embed": 3.0, "total": 4.0}})
    out, docs = ti.voc_summary(analysis, 4.2, [])
    assert out["n_aspects"] == 2 and out["n_issues"] == 2
    assert out["labels"]["n_labels"] == 4  # the two buckets are left out
    assert out["interface"] == {"sentences.kind": True, "sentences.aspect_id": True, "themes.kind": True,
                                "themes.polarity": True}
    assert out["units"]["general"] == 0.2 and out["units"]["context"] == 0.4 and out["units"]["in_issue"] == 0.4
    assert out["units"]["kind"]["context"] == 0.4
    assert out["documents"] == {"in_issue": 0.5, "in_buckets": 0.5, "unassigned": 0.0}
    assert out["themes_share_of_stage_time"] == 0.25
    issue = next(s for s in out["label_sample"] if s["label"] == "runs small")
    assert issue["aspect"] == "sizing & fit"
    assert docs.loc["a", "theme_id"] == 0 and docs.loc["a", "kind"] == "feedback"
    assert ti.issue_polarity(analysis)[0] == "negative"
