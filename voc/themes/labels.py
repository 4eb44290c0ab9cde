"""Readable theme labels: class-based TF-IDF over spaCy noun chunks and lemmas.

Terms are lemmatised noun chunks ("new card"), content lemmas ("arrive") and adjacent
content-lemma pairs ("run small"), counted once per sentence. c-TF-IDF (as in
BERTopic) scores a term high when it is frequent in one theme and rare in the others;
we then prefer a short phrase over a lone word and never give two themes one label.
Only the sentences nearest each centroid are parsed, so labelling costs the same at
3k and 200k sentences.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

_CONTENT = {"NOUN", "PROPN", "VERB", "ADJ"}
_JUNK = re.compile(r"^[@#]|https?:|www\.|[\[\]<>{}|_=/\\]|\d")
_MAX_WORDS = 3
# spaCy's stop list holds content words that name real customer topics ("top up",
# "phone call", "full refund", "back order"); keep them as terms.
_NOT_STOP = {"top", "bottom", "call", "full", "empty", "back", "front", "show", "side", "name", "move", "amount",
             "part", "bill", "first", "last", "fifteen", "twenty", "hundred"}


def _ok(tok) -> bool:  # type: ignore[no-untyped-def]
    low = tok.text.lower()
    return (tok.is_alpha and (not tok.is_stop or low in _NOT_STOP) and len(low) > 1 and not _JUNK.search(low))


def _lemma(tok) -> str:  # type: ignore[no-untyped-def]
    """Lower-case lemma; gerunds keep their surface form (the rule lemmatizer turns
    "pending" into "pende", and "missing item" reads better than "miss item")."""
    return tok.text.lower() if tok.tag_ == "VBG" else tok.lemma_.lower()


def sentence_terms(doc) -> set[str]:  # type: ignore[no-untyped-def]
    """Distinct candidate terms of one parsed sentence."""
    terms: set[str] = set()
    toks = [t for t in doc]
    for i, tok in enumerate(toks):
        if _ok(tok) and tok.pos_ in _CONTENT:
            terms.add(_lemma(tok))
            if i + 1 < len(toks) and _ok(toks[i + 1]) and toks[i + 1].pos_ in _CONTENT:
                terms.add(f"{_lemma(tok)} {_lemma(toks[i + 1])}")
    try:
        chunks = list(doc.noun_chunks)
    except ValueError:  # no parser in this pipeline
        chunks = []
    for chunk in chunks:
        words = [_lemma(t) for t in chunk if _ok(t)]
        if 2 <= len(words) <= _MAX_WORDS:
            terms.add(" ".join(words))
    return terms


def extract_terms(texts: Sequence[str]) -> list[set[str]]:
    """Parse ``texts`` with the shared full spaCy pipeline (tagger, parser, lemmatizer)."""
    from voc.nlp import load_spacy

    nlp = load_spacy("full")
    return [sentence_terms(doc) for doc in nlp.pipe(texts, batch_size=256)]


def ctfidf(term_sets: Sequence[Sequence[set[str]]]) -> list[list[tuple[str, float]]]:
    """Ranked (term, score) per class; ``term_sets[c]`` holds the class's sentences."""
    counts = [Counter(t for terms in cls for t in terms) for cls in term_sets]
    total = Counter()
    for c in counts:
        total.update(c)
    avg = max(1.0, sum(sum(c.values()) for c in counts) / max(1, len(counts)))
    ranked = []
    for c, cls in zip(counts, term_sets):
        size = max(1, len(cls))
        # support: a term in one sentence only is noise, whatever its idf
        scored = [(t, (n / size) * math.log(1 + avg / total[t])) for t, n in c.items() if n >= min(2, size)]
        scored.sort(key=lambda ts: (-ts[1], ts[0]))
        ranked.append(scored)
    return ranked


def _label_candidates(ranked: list[tuple[str, float]], n: int = 10) -> list[str]:
    """Best phrase first when it scores within a third of the best single term: a
    phrase ("late delivery") says more than a word ("delivery") or a word pair."""
    if not ranked:
        return []
    top = ranked[0][1]
    phrases = [t for t, s in ranked[:n] if " " in t and s >= 0.33 * top]
    words = [t for t, _ in ranked[:n] if " " not in t]
    cands = list(phrases)
    pair = [w for i, w in enumerate(words) if all(_stem(w) != _stem(v) for v in words[:i])][:2]
    if len(pair) == 2:
        cands.append(f"{pair[0]} / {pair[1]}")
    cands += [t for t, _ in ranked[:n] if t not in cands]
    return cands


def _stem(word: str) -> str:
    """Crude key so "decline"/"declining" or "verify"/"verifying" count once."""
    return word[:5] if len(word) > 5 else word


def keywords_of(ranked: list[tuple[str, float]], k: int = 8) -> list[str]:
    """Top terms, skipping a word already contained in a higher-ranked phrase or a
    variant of a word already kept."""
    out: list[str] = []
    for term, _ in ranked:
        if any(term in kept.split() for kept in out if " " in kept):
            continue
        if " " not in term and any(_stem(term) == _stem(kept) for kept in out if " " not in kept):
            continue
        out.append(term)
        if len(out) == k:
            break
    return out


def unique_labels(ranked: list[list[tuple[str, float]]], taken: Sequence[str] = ()) -> list[str]:
    """One distinct label per class, bigger classes (earlier in the list) choose first."""
    used = {t.lower() for t in taken}
    labels = []
    for i, r in enumerate(ranked):
        label = next((c for c in _label_candidates(r) if c not in used), None)
        if label is None:
            base = r[0][0] if r else "theme"
            label = next(f"{base} ({j})" for j in range(2, 10_000) if f"{base} ({j})" not in used)
        used.add(label)
        labels.append(label)
    return labels


def representatives(x: np.ndarray, centroid: np.ndarray, texts: Sequence[str], k: int) -> list[int]:
    """Indices of the ``k`` rows nearest ``centroid`` with distinct texts."""
    order = np.argsort(-(x @ centroid), kind="stable")
    seen: set[str] = set()
    out: list[int] = []
    for i in order:
        key = texts[i].strip().lower()
        if key in seen:
            continue
        seen.add(key)
        out.append(int(i))
        if len(out) == k:
            break
    return out
