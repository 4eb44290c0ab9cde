"""Document sentiment from clause sentiment (voc.stages.sentiment.aggregate_documents)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from voc.stages.sentiment import LABELS, aggregate_documents


def clauses(rows: list[tuple[str, str, tuple[float, float, float]]]) -> pd.DataFrame:
    p = np.array([r[2] for r in rows])
    return pd.DataFrame({"doc_id": [r[0] for r in rows], "text": [r[1] for r in rows],
                         "p_negative": p[:, 0], "p_neutral": p[:, 1], "p_positive": p[:, 2],
                         "sentiment": LABELS[p.argmax(1)]})


def test_one_clause_document_keeps_its_clause_label_and_score() -> None:
    # polar mass 0.35 vs neutral 0.45: the multi-clause rule would call it negative
    s = clauses([("a", "The parcel came on Tuesday.", (0.35, 0.45, 0.20))])
    out = aggregate_documents(s, pd.Series(["a"]))
    assert out.loc[0, "sentiment"] == "neutral"
    assert out.loc[0, "sentiment_score"] == pytest.approx(-0.15)


def test_descriptions_do_not_drown_the_verdict() -> None:
    """A long factual clause leaning slightly positive and a short, clear complaint: by
    length alone the description wins; weighted by opinion the complaint does."""
    s = clauses([("a", "I ordered the blue one in a size six after reading all of the reviews on the site", (0.05, 0.80, 0.15)),
                 ("a", "it fell apart in a week", (0.90, 0.05, 0.05))])
    doc = pd.Series(["a"])
    assert aggregate_documents(s, doc, weighting="length").loc[0, "sentiment"] == "neutral"
    opinion = aggregate_documents(s, doc)
    assert opinion.loc[0, "sentiment"] == "negative"
    assert opinion.loc[0, "sentiment_score"] < -0.5


def test_strong_praise_and_complaint_is_mixed_not_neutral() -> None:
    s = clauses([("a", "I love the colour and the fabric", (0.02, 0.08, 0.90)),
                 ("a", "but the zip broke on day two", (0.92, 0.05, 0.03))])
    out = aggregate_documents(s, pd.Series(["a"]))
    assert out.loc[0, "sentiment"] in {"negative", "positive"}
    assert out.loc[0, "sentiment_mix"] == "mixed"
    assert (out.loc[0, "n_negative"], out.loc[0, "n_positive"]) == (1, 1)


def test_mostly_neutral_document_is_neutral() -> None:
    s = clauses([("a", "Order 123 was placed on Monday", (0.05, 0.9, 0.05)),
                 ("a", "It was shipped from the Leeds depot", (0.04, 0.9, 0.06)),
                 ("a", "fine", (0.1, 0.5, 0.4))])
    assert aggregate_documents(s, pd.Series(["a"])).loc[0, "sentiment"] == "neutral"


def test_documents_without_clauses_are_neutral_and_order_is_kept() -> None:
    s = clauses([("b", "Terrible.", (0.9, 0.05, 0.05))])
    out = aggregate_documents(s, pd.Series(["a", "b", "c"]))
    assert out["doc_id"].tolist() == ["a", "b", "c"]
    assert out["sentiment"].tolist() == ["neutral", "negative", "neutral"]
    assert out["sentiment_score"].tolist()[0] == 0.0
    empty = aggregate_documents(s.iloc[:0], pd.Series(["a"]))
    assert empty["sentiment"].tolist() == ["neutral"]


def test_unknown_weighting_is_refused() -> None:
    with pytest.raises(ValueError, match="weighting"):
        aggregate_documents(clauses([("a", "x", (0.3, 0.3, 0.4))]), pd.Series(["a"]), weighting="max")


def test_a_document_read_whole_takes_that_reading() -> None:
    """Clauses alone say positive (a long polite opener); the whole-document reading says
    negative; it wins, while the mix still comes from the clauses."""
    s = clauses([("a", "The staff were lovely and the shop is beautiful", (0.05, 0.15, 0.80)),
                 ("a", "sadly the coat I bought is not what I hoped", (0.55, 0.30, 0.15)),
                 ("b", "Fine.", (0.1, 0.6, 0.3))])
    whole = np.array([[0.70, 0.20, 0.10], [np.nan, np.nan, np.nan]])
    without = aggregate_documents(s, pd.Series(["a", "b"]))
    out = aggregate_documents(s, pd.Series(["a", "b"]), whole=whole)
    assert without.loc[0, "sentiment"] == "positive"
    assert out.loc[0, "sentiment"] == "negative"
    assert out.loc[0, "sentiment_score"] == pytest.approx(-0.6)
    assert out.loc[0, "sentiment_mix"] == "mixed"
    assert out.loc[1].to_dict() == without.loc[1].to_dict()  # not read whole: clauses decide


def test_a_truncated_reading_is_blended_with_the_clauses() -> None:
    s = clauses([("a", "The staff were lovely and the shop is beautiful", (0.05, 0.15, 0.80)),
                 ("a", "sadly the coat I bought is not what I hoped", (0.55, 0.30, 0.15))])
    whole = np.array([[0.70, 0.20, 0.10]])
    clause_score = aggregate_documents(s, pd.Series(["a"])).loc[0, "sentiment_score"]
    out = aggregate_documents(s, pd.Series(["a"]), whole=whole, truncated=np.array([True]))
    assert out.loc[0, "sentiment_score"] == pytest.approx(0.5 * -0.6 + 0.5 * clause_score, abs=1e-6)
