"""spaCy runs with only the components voc uses; dropping the others must not change
what they produce (regression: the segment stage once loaded tok2vec, which senter
never reads, for a 5-10x slowdown)."""

from __future__ import annotations

import spacy

from voc.nlp import SENTER_EXCLUDE, SPACY_MODEL, load_spacy

TEXTS = ["Love the dress. The zip broke after one wear!! Support never answered", "ok\n\nfine. really fine",
         "Flight delayed 3 hrs. @united you lost my bag... again. Thanks for nothing."]


def test_senter_variant_loads_no_component_it_does_not_use():
    names = load_spacy("senter").pipe_names
    assert "senter" in names and not set(names) & set(SENTER_EXCLUDE)


def test_senter_without_tok2vec_splits_like_the_model_with_it():
    with_t2v = spacy.load(SPACY_MODEL, exclude=["tagger", "parser", "attribute_ruler", "lemmatizer", "ner"])
    with_t2v.enable_pipe("senter")
    fast = load_spacy("senter")
    for a, b in zip(with_t2v.pipe(TEXTS), fast.pipe(TEXTS), strict=True):
        assert [s.text for s in a.sents] == [s.text for s in b.sents]
