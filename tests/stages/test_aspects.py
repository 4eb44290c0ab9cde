"""The aspects stage: a clause that names two touchpoints gets a sentiment towards each."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from voc.stages.aspects import AspectSentimentStage, split_pieces
from voc.touchpoints.mentions import touchpoint_mentions
from voc.stages.base import Corpus
from voc.stages.sentiment import SentimentStage
from voc.stages.touchpoints import TouchpointStage
from voc.touchpoints.taxonomy import Taxonomy

RESTAURANT = [
    {"name": "food", "description": "the food and drinks: dishes, taste, quality and portions"},
    {"name": "service", "description": "the service: waiters and staff, their friendliness and speed"},
    {"name": "price", "description": "the prices: how expensive or cheap it is, value for money"},
]


@pytest.mark.parametrize(("text", "pieces"), [
    ("Tasty but expensive.", ["Tasty", "but expensive"]),
    ("Sushi wasn't anything spectacular for the price.", ["Sushi wasn't anything spectacular", "for the price"]),
    ("good food and ok service", ["good food", "and ok service"]),
    ("The food is great", ["The food is great"]),
])
def test_split_pieces(text: str, pieces: list[str]) -> None:
    assert split_pieces(text) == pieces


@pytest.fixture(scope="module")
def encode():
    from voc.encoder import Encoder

    enc = Encoder()
    return lambda texts: enc.encode(texts).embeddings


def test_each_touchpoint_gets_its_own_sentiment(encode) -> None:
    """Real models: "Tasty but expensive" praises the food and blames the price."""
    texts = ["Tasty but expensive.", "The food was delicious, the prices outrageous and the waiter rude.",
             "Lovely staff and great food."]
    sents = pd.DataFrame({"doc_id": [0, 1, 2], "sentence_id": [0, 0, 0], "text": texts})
    corpus = Corpus(docs=pd.DataFrame({"doc_id": [0, 1, 2], "text": texts}), sentences=sents, embeddings=encode(texts))
    sentiment = SentimentStage()
    corpus = sentiment.transform(corpus)
    touchpoints = TouchpointStage(taxonomy=Taxonomy.from_entries(RESTAURANT)).fit(corpus)
    corpus.sentences["touchpoints"] = [["food", "price"], ["food", "price", "service"], ["service", "food"]]
    out = AspectSentimentStage(enabled=True).bind(touchpoints, sentiment).transform(corpus).sentences
    scores = [dict(zip(t, v)) for t, v in zip(out["touchpoints"], out["touchpoint_sentiment"])]
    assert scores[0]["food"] > 0.2 and scores[0]["price"] < -0.2
    assert scores[1]["food"] > 0.2 and scores[1]["price"] < -0.2 and scores[1]["service"] < -0.2
    assert scores[2]["food"] > 0.2 and scores[2]["service"] > 0.2
    # off: every touchpoint takes the clause's own score
    off = AspectSentimentStage(enabled=False).bind(touchpoints, sentiment).transform(corpus).sentences
    assert all(len(set(v)) == 1 for v in off["touchpoint_sentiment"])


def test_touchpoint_mentions_explode_tags_with_their_sentiment() -> None:
    sents = pd.DataFrame({"doc_id": ["a", "a", "b"], "touchpoints": [["food", "price"], ["none"], []],
                          "touchpoint_sentiment": [[0.8, -0.6], [0.1], []], "sentiment_score": [0.3, 0.1, 0.0],
                          "sentiment": ["positive", "neutral", "neutral"]})
    m = touchpoint_mentions(sents)
    assert m.to_dict("records") == [
        {"doc_id": "a", "touchpoint": "food", "sentiment_score": 0.8, "sentiment": "positive"},
        {"doc_id": "a", "touchpoint": "price", "sentiment_score": -0.6, "sentiment": "negative"}]
    # older outputs without the column: each tag takes the clause's own sentiment
    m = touchpoint_mentions(sents.drop(columns="touchpoint_sentiment"))
    assert m["sentiment_score"].tolist() == [0.3, 0.3] and m["sentiment"].tolist() == ["positive", "positive"]
    assert touchpoint_mentions(pd.DataFrame()).empty


def test_the_pipeline_writes_touchpoint_sentiment() -> None:
    import voc

    frame = pd.DataFrame({"text": ["The food was delicious but the prices were outrageous.", "Rude waiter.",
                                   "Great pasta, fair prices."] * 3})
    analysis = voc.Analyzer(mapping=voc.ColumnMapping(text="text"),
                            config={"touchpoints": {"taxonomy": None}}).fit_transform(frame)
    s = analysis.sentences
    assert "touchpoint_sentiment" in s
    assert all(len(t) == len(v) for t, v in zip(s["touchpoints"], s["touchpoint_sentiment"]))
    assert np.isfinite([x for v in s["touchpoint_sentiment"] for x in v]).all()
