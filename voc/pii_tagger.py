"""A learned second opinion on people's names: a logistic model over each capitalised word.

The rules of :mod:`voc.pii_names` take a name only where a cue introduces it ("Hi Olivia,",
"agent Sukhdeep", "-Tara"). Customers also name people with no such cue: "Carlton was
amazing", "love Stevie!", "specially to Carlton", "Nancy at gate 4 rocks". A hand-written
rule for each of those overfits the texts it was read on (the held-out figure fell from
0.90 to 0.73 recall), so this model weighs what a candidate word offers instead: what kind
of word it is (a listed first name, surname, ordinary word, brand or place), its shape, the
words and marks around it, where it stands in the text, and whether a rule took it. It is
trained on hand-labelled tweets (models/train_names.py; every text through the benchmark
deny-list first) and ships as a table of feature weights (models/names/tagger.json), so it
costs a dictionary lookup per feature and needs no model download.

A word is a candidate when it is capitalised, in capitals, a listed first name written in
lower case, or signs a reply after "^"; @handles, #hashtags, placeholders and the words
voc/data/pii_names.yaml lists as brands, places or no names never are.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from voc.pii_names import (
    _GREET, _HONORIFIC, _ROLE, COMMON, NO, PLACE, _first_words, _possessive, first_names, surnames, word_kind)

#: words, @handles, #hashtags, [PLACEHOLDERS], and single marks
_TOK = re.compile(r"\[[A-Z_]+(?:-[0-9a-f]+)?\]|[@#][\w]+|[^\W\d_](?:[\w]|['\u2019\-](?=\w))*|\d+|[^\w\s]")
_END_MARKS = frozenset(".!?")
_SIGN_MARKS = frozenset("^-~*/\u2013\u2014")


def _shape(tok: str) -> str:
    if tok.isupper():
        return "X" if len(tok) == 1 else ("XX" if len(tok) <= 4 else "XXXXX")
    if tok[0].isupper():
        return "Xx" if tok[1:].islower() or not any(c.isupper() for c in tok[1:]) else "XxX"
    return "x" if tok.isalpha() else "x-"


def _is_word(tok: str) -> bool:
    return tok[0].isalpha()


def tokens(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group(0)) for m in _TOK.finditer(text)]


def _candidate(tok: str, signed: bool) -> bool:
    """Capitalised, a listed first name, or any word right after a "^" ("^kl" signs a reply)."""
    if not _is_word(tok):
        return False
    word = _possessive(tok)
    return signed or word[0].isupper() or word.lower() in first_names()


def _ctx(tok: str | None) -> str:
    if tok is None:
        return "<none>"
    if tok[0] in "@#":
        return tok[0] + "h"
    if tok.startswith("["):
        return tok
    return tok.lower() if _is_word(tok) else tok


@lru_cache(maxsize=1)
def _classes() -> dict[str, str]:
    """Context words by what they do before a name: the cue words of voc.pii_names."""
    out: dict[str, str] = {}
    for cls, pattern in (("role", _ROLE), ("hon", _HONORIFIC), ("greet", _GREET)):
        for w in _first_words(pattern):
            out.setdefault(w, cls)
    for w in ("to", "with", "from", "by", "for", "ask", "asked", "told", "called", "named", "help"):
        out.setdefault(w, "prep")
    for w in ("was", "is", "were", "did", "has", "had", "helped", "went", "made", "rocks", "rocked", "said", "told",
              "called", "gave", "got", "took", "deserves", "who", "will", "does", "handled", "found", "answered"):
        out.setdefault("+" + w, "verb")
    return out


@lru_cache(maxsize=1)
def _airports() -> tuple[frozenset[str], frozenset[tuple[str, str]]]:
    """Lower-cased words of the names, cities and regions of the world's IATA airports (the
    pinned ``airportsdata`` package, MIT), and consecutive word pairs of names and cities."""
    try:
        import airportsdata
    except ImportError:  # pragma: no cover - a pinned dependency
        return frozenset(), frozenset()
    words: set[str] = set()
    pairs: set[tuple[str, str]] = set()
    for row in airportsdata.load("IATA").values():
        for field in (row["city"], row["name"], row["subd"]):
            found = [w.lower() for w in re.findall(r"[^\W\d_]+", field)]
            words.update(found)
            if field is not row["subd"]:
                pairs.update(zip(found, found[1:]))
    return frozenset(words), frozenset(pairs)


def places() -> frozenset[str]:
    """Words of airports' and cities' names: "Logan", "Reagan", "Preston", "Charlotte". A
    feature the model weighs, not a block list: many are also first names."""
    return _airports()[0]


def place_pairs() -> frozenset[tuple[str, str]]:
    """Two running words of an airport's or city's name ("john wayne", "st paul", "san jose")."""
    return _airports()[1]


def _in_place_name(toks: Sequence[tuple[int, int, str]], i: int) -> bool:
    """Token ``i`` and the word before or after it (a "." between allowed: "St. Paul") make
    two words of an airport's or city's name: "John Wayne gate agents", "Minneapolis St. Paul"."""
    words = [j for j in range(max(0, i - 2), min(len(toks), i + 3)) if _is_word(toks[j][2])]
    k = words.index(i)
    low = _possessive(toks[i][2]).lower()
    pairs = place_pairs()
    for j, before in ((k - 1, True), (k + 1, False)):
        if not 0 <= j < len(words):
            continue
        gap = abs(words[j] - i)
        if gap > 2 or (gap == 2 and toks[(words[j] + i) // 2][2] != "."):
            continue
        other = toks[words[j]][2]
        o = _possessive(other).lower()
        if other[0].isupper() and ((o, low) if before else (low, o)) in pairs:
            return True
    return False


def _cls(tok: str | None, after: bool) -> str:
    if tok is None:
        return "end" if after else "start"
    if not _is_word(tok):
        return tok if tok[0] in "@#[" or len(tok) == 1 else "x"
    return _classes().get(("+" if after else "") + tok.lower(), "cap" if tok[0].isupper() else "low")


def features(text: str, toks: Sequence[tuple[int, int, str]], i: int, rule: bool) -> list[str]:
    """The features of token ``i`` of ``text`` (``rule``: a rule of voc.pii_names took it)."""
    s, e, tok = toks[i]
    word = _possessive(tok)
    poss = word != tok
    low = word.lower()
    kind = word_kind(word)
    prev = [toks[j][2] for j in (i - 1, i - 2) if j >= 0] + [None, None]
    nxt = [toks[j][2] for j in (i + 1, i + 2) if j < len(toks)] + [None, None]
    p1, p2, n1, n2 = _ctx(prev[0]), _ctx(prev[1]), _ctx(nxt[0]), _ctx(nxt[1])
    shape = _shape(word)
    lead = all(t[2][0] in "@#." for t in toks[:i])  # only handles before it
    opens = lead or (prev[0] is not None and prev[0] in _END_MARKS) or (prev[0] == "\n")
    rest = [t for t in toks[i + 1:] if _is_word(t[2])]
    f = ["bias", f"k={kind}", f"s={shape}", f"k|s={kind}|{shape}", f"len={min(len(word), 9)}", f"w={low}",
         f"p1={p1}", f"p2={p2}", f"n1={n1}", f"n2={n2}", f"p2p1={p2}|{p1}", f"n1n2={n1}|{n2}",
         f"k|p1={kind}|{p1}", f"k|n1={kind}|{n1}"]
    c1, d1 = _cls(prev[0], False), _cls(nxt[0], True)
    f += [f"c1={c1}", f"d1={d1}", f"c1d1={c1}|{d1}", f"k|c1={kind}|{c1}", f"k|d1={kind}|{d1}",
          f"k|c1d1={kind}|{c1}|{d1}", f"c2c1={_cls(prev[1], False)}|{c1}"]
    if toks[0][2][0] == "@":  # a reply: agents greet and thank the customer they answer
        f += [f"reply|k={kind}", f"reply|c1d1={c1}|{d1}", f"reply|k|c1={kind}|{c1}"]
    if d1 in (",", "!", "?", ".", "end") and c1 in (",", "greet"):
        f.append(f"addressed|k={kind}")
    if low in surnames():
        f.append("surname")
    if low in places():
        f += ["place", f"place|k={kind}"]
    if poss:
        f.append("poss")
    if lead:
        f.append("lead")
    if opens:
        f.append(f"opens|k={kind}")
    if not rest:
        f.append(f"last|k={kind}")
    if len(rest) <= 2:
        f.append("near_end")
    if rule:
        f += ["rule", f"rule|k={kind}"]
    if s > 0 and text[s - 1] in _SIGN_MARKS or (s > 1 and text[s - 1] == " " and text[s - 2] in _SIGN_MARKS):
        f.append("marked")
    for side, t in (("p", prev[0]), ("n", nxt[0])):
        if t is not None and _is_word(t) and t[0].isupper():
            k2 = word_kind(_possessive(t))
            f.append(f"{side}cap={k2 if k2 not in (NO, COMMON) else 'c'}")
    if i + 1 < len(toks) and toks[i + 1][0] == e and nxt[0] is not None and not _is_word(nxt[0]):
        f.append(f"glued={nxt[0]}")
    return f


def candidates(text: str) -> tuple[list[tuple[int, int, str]], list[int]]:
    toks = tokens(text)
    return toks, [i for i, t in enumerate(toks) if _candidate(t[2], i > 0 and toks[i - 1][2] == "^")]


def _covered(spans: Sequence[tuple[int, int]], s: int, e: int) -> bool:
    return any(a < e and s < b for a, b in spans)


class NameTagger:
    """P(a candidate word is part of a person's name), from a weight per feature."""

    def __init__(self, weights: dict[str, float] | None = None, threshold: float = 0.5,
                 meta: dict[str, Any] | None = None) -> None:
        self.weights = weights or {}
        self.threshold = threshold
        self.meta = meta or {}

    # ------------------------------------------------------------------ training
    @staticmethod
    def examples(text: str, rule_spans: Sequence[tuple[int, int]], gold: Sequence[tuple[int, int, str]] | None = None
                 ) -> Iterable[tuple[list[str], int | None, int, int]]:
        """(features, label, start, end) per candidate; label 1 inside a ``person`` or
        ``initials`` span, 0 outside any, None on a ``public`` one (left out of training)."""
        toks, cand = candidates(text)
        for i in cand:
            s, e, tok = toks[i]
            word = _possessive(tok)
            signed = i > 0 and toks[i - 1][2] == "^"
            if word_kind(word) in (NO, PLACE) and not signed or _in_place_name(toks, i) \
                    or text[max(0, s - 2):s] in (":-", ";-"):
                continue  # brands, places, function words: the rules' to take after a strong cue, never the tagger's
            e = s + len(word)
            label: int | None = None
            if gold is not None:
                hit = [lab for a, b, lab in gold if a < e and s < b]
                label = None if hit and all(h == "public" for h in hit) else int(bool(hit))
            yield features(text, toks, i, _covered(rule_spans, s, e)), label, s, e

    def fit(self, items: Sequence[tuple[str, Sequence[tuple[int, int]], Sequence[tuple[int, int, str]]]],
            c: float = 1.0) -> "NameTagger":
        """Fit on (text, rule spans, gold spans) triples with scikit-learn's logistic regression."""
        from sklearn.feature_extraction import DictVectorizer
        from sklearn.linear_model import LogisticRegression

        X, y = [], []
        for text, rules, gold in items:
            for f, label, _, _ in self.examples(text, rules, gold):
                if label is not None:
                    X.append(dict.fromkeys(f, 1.0))
                    y.append(label)
        vec = DictVectorizer()
        model = LogisticRegression(C=c, max_iter=2000).fit(vec.fit_transform(X), y)
        names = vec.get_feature_names_out()
        self.weights = {n: round(float(w), 4) for n, w in zip(names, model.coef_[0]) if abs(w) >= 1e-4}
        self.weights["bias"] = round(self.weights.get("bias", 0.0) + float(model.intercept_[0]), 4)
        return self

    # ------------------------------------------------------------------ inference
    def proba(self, f: Iterable[str]) -> float:
        w = self.weights
        z = sum(w.get(x, 0.0) for x in f)
        return 1.0 / (1.0 + math.exp(-z))

    def spans(self, text: str, rule_spans: Sequence[tuple[int, int]] = ()) -> list[tuple[int, int]]:
        """The candidate words it takes for names (adjacent ones joined)."""
        out: list[tuple[int, int]] = []
        for f, _, s, e in self.examples(text, rule_spans):
            if self.proba(f) >= self.threshold:
                if out and text[out[-1][1]:s] == " ":
                    out[-1] = (out[-1][0], e)
                else:
                    out.append((s, e))
        return out

    # ------------------------------------------------------------------ storage
    def save(self, path: str | Path) -> None:
        body = {"threshold": self.threshold, "meta": self.meta, "weights": dict(sorted(self.weights.items()))}
        Path(path).write_text(json.dumps(body, indent=0, ensure_ascii=False) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> "NameTagger":
        body = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(body["weights"], body["threshold"], body.get("meta"))


@lru_cache(maxsize=1)
def shipped() -> NameTagger | None:
    """The tagger in models/names/tagger.json, or None when it is absent."""
    from voc.config import resource_path

    p = resource_path("models", "names", "tagger.json")
    return NameTagger.load(p) if p.exists() else None
