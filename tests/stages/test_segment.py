import pandas as pd
import pytest

from voc.stages.base import Corpus
from voc.stages.segment import SegmentStage, split_clauses


@pytest.mark.parametrize(("sentence", "expected"), [
    ("Love the dress but the zip broke", ["Love the dress", "but the zip broke"]),
    ("Great but pricey", ["Great but pricey"]),  # too short to split
    ("The food was great; the service, however, was slow", ["The food was great", "the service, however, was slow"]),
    ("I love it, although it runs small", ["I love it", "although it runs small"]),
    ("Nothing to split here at all", ["Nothing to split here at all"]),
    # one aspect per clause: new predications, opening concessive clauses, opinion lists
    ("The food is great, service is ok.", ["The food is great", "service is ok."]),
    ("The food was great and the staff were rude.", ["The food was great", "the staff were rude."]),
    ("Great food but the staff were rude", ["Great food", "but the staff were rude"]),
    ("While we enjoyed the food, it was far too loud", ["While we enjoyed the food", "it was far too loud"]),
    ("Great food, rude staff, slow kitchen", ["Great food", "rude staff", "slow kitchen"]),
    ("I ordered the soup and it was cold", ["I ordered the soup and it was cold"]),  # a pronoun refers back
    ("The staff were friendly and helpful", ["The staff were friendly and helpful"]),
    ("Cheap, fast, and friendly", ["Cheap, fast, and friendly"]),
])
def test_split_clauses(sentence, expected):
    assert split_clauses(sentence) == expected


def test_segment_stage_sentences_and_clauses():
    docs = pd.DataFrame({"doc_id": ["d1", "d2", "d3"],
                         "text": ["Delivery took two weeks. Love the product but the box was crushed!", "", "ok"]})
    corpus = SegmentStage().transform(Corpus(docs=docs))
    s = corpus.sentences
    assert s[s.doc_id == "d1"]["text"].tolist() == ["Delivery took two weeks.", "Love the product",
                                                   "but the box was crushed!"]
    assert s[s.doc_id == "d1"]["sentence_id"].tolist() == [0, 1, 2]
    assert s[s.doc_id == "d1"]["sentence_index"].tolist() == [0, 1, 1]
    assert "d2" not in set(s.doc_id)  # empty text: no sentences, but the document stays
    assert s[s.doc_id == "d3"]["text"].tolist() == ["ok"]
    assert corpus.meta["segment"]["docs_without_text"] == 1


def test_segment_stage_without_clause_split():
    docs = pd.DataFrame({"doc_id": ["d1"], "text": ["Love the product but the box was crushed"]})
    corpus = SegmentStage(split_clauses=False).transform(Corpus(docs=docs))
    assert corpus.sentences["text"].tolist() == ["Love the product but the box was crushed"]


@pytest.mark.parametrize("variant", ["senter", "blank"])
def test_pii_placeholders_never_split_a_sentence(variant: str) -> None:
    """Regression: "delayed [URL] thanks" came out as "delayed [" + "URL] thanks", and
    "URL]" then formed a theme of its own in the airline tweets."""
    from voc.nlp import load_spacy

    nlp = load_spacy(variant)
    for text in ("@united my flight is delayed [URL] thanks", "@JetBlue [URL] lol", "Check this [URL]"):
        assert [s.text for s in nlp(text).sents] == [text]
    assert [s.text for s in nlp("Mail me at [EMAIL]. The box was crushed!").sents] == [
        "Mail me at [EMAIL].", "The box was crushed!"]


@pytest.mark.parametrize(("text", "expected"), [
    ("@united ok thanks", "ok thanks"),
    ("@united @AmericanAir: my bag is lost", "my bag is lost"),
    (".@JetBlue great crew", "great crew"),
    ("@united", "@united"),  # nothing else: kept as written
    ("thanks @united for nothing", "thanks @united for nothing"),
])
def test_leading_mentions_are_dropped(text: str, expected: str) -> None:
    from voc.stages.segment import strip_mentions

    assert strip_mentions(text) == expected


def test_segment_stage_strips_mentions_unless_told_not_to() -> None:
    docs = pd.DataFrame({"doc_id": ["t1"], "text": ["@united ok thanks. @united my bag is lost"]})
    on = SegmentStage().transform(Corpus(docs=docs)).sentences["text"].tolist()
    off = SegmentStage(strip_mentions=False).transform(Corpus(docs=docs)).sentences["text"].tolist()
    assert on == ["ok thanks.", "my bag is lost"]
    assert off[0].startswith("@united")


def test_aspect_splitting_can_be_turned_off() -> None:
    assert split_clauses("The food is great, service is ok.", aspects=False) == ["The food is great, service is ok."]
