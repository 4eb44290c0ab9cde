"""Keyword matching for touchpoints: spaCy's tokenizer and PhraseMatcher on lower-case
tokens, with keywords expanded to their common inflections.

Why inflections instead of lemmas: lemmas need the tagger, which would cost more than
the rest of the stage on every sentence. Expanding "refund" to "refunds", "refunded",
"refunding" once, at build time, gets most of the benefit for free; over-generated
non-words never occur in text, so they cost nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from voc.touchpoints.taxonomy import Taxonomy, normalize_keyword

_VOWELS = set("aeiou")


def inflections(word: str) -> set[str]:
    """Plural / past / gerund forms of ``word`` (and its singular if it ends in s)."""
    w = word.lower()
    out = {w}
    if not w.isalpha() or len(w) < 3:
        return out
    if w.endswith("y") and w[-2] not in _VOWELS:
        out |= {w[:-1] + "ies", w[:-1] + "ied"}
    elif w.endswith(("s", "x", "z", "ch", "sh")):
        out.add(w + "es")
    else:
        out.add(w + "s")
    if w.endswith("e"):
        out.add(w[:-1] + "ing")
        if not w.endswith("ee"):  # "fee" must not become "feed"
            out.add(w + "d")
    else:
        out |= {w + "ed", w + "ing"}
        if len(w) <= 4 and w[-1] not in _VOWELS | {"w", "x", "y"} and w[-2] in _VOWELS and w[-3] not in _VOWELS:
            out |= {w + w[-1] + "ed", w + w[-1] + "ing"}  # ship -> shipped, shipping
    if w.endswith("ies") and len(w) > 4:
        out.add(w[:-3] + "y")
    elif w.endswith("es") and w[:-2].endswith(("s", "x", "z", "ch", "sh")):
        out.add(w[:-2])
    elif w.endswith("s") and not w.endswith("ss"):
        out.add(w[:-1])
    return out


def keyword_variants(keyword: str) -> set[str]:
    """Variants of a (possibly multi-word) keyword: the last word is inflected."""
    words = normalize_keyword(keyword).split(" ")
    return {" ".join([*words[:-1], form]) for form in inflections(words[-1])}


class KeywordMatcher:
    """Marks which touchpoints' keywords occur in each sentence."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        from spacy.matcher import PhraseMatcher

        from voc.nlp import load_spacy

        self._nlp = load_spacy("blank")
        self._matcher = PhraseMatcher(self._nlp.vocab, attr="LOWER")
        self.n_touchpoints = len(taxonomy)
        self._label_to_index: dict[int, int] = {}
        self.n_keywords = 0
        for j, tp in enumerate(taxonomy):
            variants = sorted({v for kw in tp.keywords for v in keyword_variants(kw)})
            if not variants:
                continue
            self.n_keywords += len(tp.keywords)
            key = f"tp{j}"
            self._matcher.add(key, [self._nlp.make_doc(v) for v in variants])
            self._label_to_index[self._nlp.vocab.strings[key]] = j

    def match(self, texts: Sequence[str], batch_size: int = 1000) -> np.ndarray:
        """(n_texts, n_touchpoints) boolean matrix of keyword hits."""
        hits = np.zeros((len(texts), self.n_touchpoints), dtype=bool)
        if not self._label_to_index or not len(texts):
            return hits
        for i, doc in enumerate(self._nlp.tokenizer.pipe((str(t) for t in texts), batch_size=batch_size)):
            for label, _start, _end in self._matcher(doc):
                hits[i, self._label_to_index[label]] = True
        return hits
