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


def sentence_terms(doc, surfaces: dict[str, Counter] | None = None) -> set[str]:  # type: ignore[no-untyped-def]
    """Distinct candidate terms (lemma keys) of one parsed sentence. With ``surfaces``,
    also count how each term was written ("run small" ← "runs small"), so labels can
    show the words customers used while counting their variants as one term."""
    terms: dict[str, str] = {}
    toks = [t for t in doc]
    for i, tok in enumerate(toks):
        if _ok(tok) and tok.pos_ in _CONTENT:
            terms.setdefault(_lemma(tok), tok.text.lower())
            if i + 1 < len(toks) and _ok(toks[i + 1]) and toks[i + 1].pos_ in _CONTENT:
                terms.setdefault(f"{_lemma(tok)} {_lemma(toks[i + 1])}", f"{tok.text} {toks[i + 1].text}".lower())
    try:
        chunks = list(doc.noun_chunks)
    except ValueError:  # no parser in this pipeline
        chunks = []
    for chunk in chunks:
        kept = [t for t in chunk if _ok(t)]
        if 2 <= len(kept) <= _MAX_WORDS:
            terms.setdefault(" ".join(_lemma(t) for t in kept), " ".join(t.text.lower() for t in kept))
    if surfaces is not None:
        for key, surface in terms.items():
            surfaces.setdefault(key, Counter())[surface] += 1
    return set(terms)


def extract_terms(texts: Sequence[str], surfaces: dict[str, Counter] | None = None) -> list[set[str]]:
    """Parse ``texts`` with the shared full spaCy pipeline (tagger, parser, lemmatizer);
    ``surfaces`` (filled in place) records the written forms of every term."""
    from voc.nlp import load_spacy

    nlp = load_spacy("full")
    return [sentence_terms(doc, surfaces) for doc in nlp.pipe(texts, batch_size=64)]


def display_forms(surfaces: dict[str, Counter]) -> dict[str, str]:
    """Most frequent written form of each term (ties: alphabetical, for determinism)."""
    return {key: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] for key, c in surfaces.items()}


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


def keywords_of(ranked: list[tuple[str, float]], k: int = 8, display: dict[str, str] | None = None) -> list[str]:
    """Top terms, skipping a word already contained in a higher-ranked phrase or a
    variant of a word already kept; shown in their written form when ``display`` is given."""
    out = _keyword_terms(ranked, k)
    return [display.get(t, t) for t in out] if display else out


def _keyword_terms(ranked: list[tuple[str, float]], k: int) -> list[str]:
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


_WORD = re.compile(r"[^\W\d_]", re.UNICODE)


def fallback_label(examples: Sequence[str]) -> str:
    """A label for a theme without a recurring term (thanks, sign-offs, emoji): its
    shortest typical sentence, quoted, or "emoji only"; readers see what it holds."""
    texts = [e.strip() for e in examples if e and e.strip()]
    if texts and not any(_WORD.search(t) for t in texts):
        return "emoji only"
    worded = sorted((t for t in texts if _WORD.search(t)), key=lambda t: (len(t), t))
    if not worded:
        return "theme"
    short = re.sub(r"[\s!?.…]+$", "", worded[0])
    short = short if len(short) <= 40 else short[:37].rsplit(" ", 1)[0] + "…"
    return f"“{short}”"


def unique_labels(ranked: list[list[tuple[str, float]]], taken: Sequence[str] = (),
                  display: dict[str, str] | None = None,
                  examples: Sequence[Sequence[str]] | None = None) -> list[str]:
    """One distinct label per class, bigger classes (earlier in the list) choose first.

    ``display`` maps lemma terms to their written form (a pair "a / b" maps each side);
    ``examples`` (per class) name a class that has no terms at all."""
    show = display or {}

    def shown(term: str) -> str:
        return " / ".join(show.get(part, part) for part in term.split(" / "))

    used = {t.lower() for t in taken}
    labels = []
    for i, r in enumerate(ranked):
        label = next((shown(c) for c in _label_candidates(r) if shown(c).lower() not in used), None)
        if label is None:
            base = shown(r[0][0]) if r else fallback_label(examples[i] if examples else [])
            label = base if base.lower() not in used else next(
                f"{base} ({j})" for j in range(2, 10_000) if f"{base} ({j})".lower() not in used)
        used.add(label.lower())
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


def other_language_labels(themes: "pd.DataFrame", theme_ids: np.ndarray, texts: Sequence[str],
                          languages: Sequence[str], majority: float = 0.5, n_words: int = 2) -> dict[int, str]:
    """New labels for issue themes whose sentences are mostly (> ``majority``) in languages
    other than English: their own most distinctive words (c-TF-IDF against every other
    theme's sentences, the language's spaCy stop words removed) and the languages, e.g.
    "livraison / colis (French)". The English parse behind other labels reads nothing of
    such a theme, so its few English members would otherwise name it ("email remarks")."""
    import pandas as pd
    from spacy.util import get_lang_class

    from voc.language import language_name

    ids = np.asarray(theme_ids)
    langs = pd.Series(list(languages), dtype="string").fillna("und")
    other = ~langs.isin(["en", "und"]).to_numpy()
    stops: dict[str, set[str]] = {}

    def words(text: str, code: str) -> set[str]:
        if code not in stops:
            try:
                stops[code] = set(get_lang_class(code).Defaults.stop_words)
            except Exception:  # noqa: BLE001 - a language spaCy has no class for: no stop list
                stops[code] = set()
        toks = re.findall(r"[^\W\d_]{3,}", re.sub(r"https?://\S+|[@#]\w+", " ", text.lower()))
        return {t for t in toks if t not in stops[code] and t not in ("user", "http", "https")}

    bags = {int(t): Counter() for t in np.unique(ids[ids >= 0])}
    for t, text, code in zip(ids, texts, langs):
        if t >= 0:
            bags[int(t)].update(words(str(text), str(code)))
    df = Counter()
    for bag in bags.values():
        df.update(set(bag))
    out: dict[int, str] = {}
    taken = set(themes["label"].astype(str))
    for _, row in themes[themes["kind"].astype(str) == "issue"].iterrows():
        t = int(row["theme_id"])
        members = ids == t
        if not members.any() or other[members].mean() <= majority:
            continue
        bag = bags.get(t, Counter())
        score = {w: c * math.log(1 + len(bags) / df[w]) for w, c in bag.items() if c >= 2}
        top = [w for w, _ in sorted(score.items(), key=lambda kv: (-kv[1], kv[0]))[:n_words]]
        share = langs[members & other].value_counts(normalize=True)
        names = [language_name(str(c)) for c, v in share.items() if v >= 0.15][:3] or [language_name(str(share.index[0]))]
        base = (" / ".join(top) if top else "feedback") + f" ({', '.join(names)})"
        label, k = base, 2
        while label in taken:
            label, k = f"{base} ({k})", k + 1
        taken.add(label)
        out[t] = label
    return out
