"""From topic clusters to aspect › issue: polarity-coherent issues, aspects above them,
and the labels an analyst would write for both.

A discovered cluster (a "leaf") groups sentences about one topic, praise and complaint
alike: "so soft" sits next to "thin and see-through". An issue is one leaf × one
polarity side (negative, neutral, positive), so a pain point is a negative issue and a
strength a positive one. A side too small to stand alone joins the leaf's neutral issue
(or its largest), never the opposite polarity when it can be avoided. Aspects group
leaves by the noun their sentences are about, then fold the smallest into the nearest
by centroid and touchpoints (:func:`noun_aspects`), 8-25 by default.

Labels: aspects are the noun (or "noun & noun") most of their sentences name among the
most distinctive (c-TF-IDF over the head nouns of each aspect's representative
sentences, :func:`aspect_labels`); issues are the
opinion phrase (``voc.themes.phrases``) most distinctive of the issue, else a topic
phrase, else the aspect, as "other <noun> complaints" / "other <noun> praise" for a polar
issue that has no phrase of its own. Every label passes :mod:`voc.themes.lint`; its
support (the share of the issue's representative sentences that carry its key) is
recorded beside it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from voc.themes import labels as lab
from voc.themes.cluster import normalize
from voc.themes.kinds import GENERIC_OPINION
from voc.themes.lint import check_labels, normal_form
from voc.themes.phrases import SentencePhrases, sentence_phrases

SIDES = ("negative", "neutral", "positive")
_SUFFIX = {"negative": "complaints", "positive": "praise", "neutral": "questions"}
_SUFFIX_WORDS = {"problem", "complaint", "praise", "question", "remark", "other"}
#: nouns that name a kind of remark, not a thing: never the subject of a fallback label
_SAYING_NOUNS = {"complaint", "problem", "issue", "praise", "question", "remark", "comment", "feedback", "review"}


def side_of(sentiment: Sequence[str] | None, n: int, proba: np.ndarray | None = None,
            lean: float = 0.4) -> np.ndarray:
    """0 negative, 1 neutral, 2 positive per sentence (neutral without sentiment). With
    ``proba`` (negative, neutral, positive), a neutral sentence whose negative (positive)
    probability is at least ``lean`` and above the other joins that side: "the back is a
    lot longer than the pic shows" is a complaint said flatly, and a neutral issue beside
    the pain point would split one complaint in two; flat narration ("I ordered it in
    black") stays neutral."""
    if sentiment is None:
        return np.ones(n, dtype=np.int64)
    code = {"negative": 0, "neutral": 1, "positive": 2}
    out = np.asarray([code.get(str(s), 1) for s in sentiment], dtype=np.int64)
    if proba is not None and len(proba) == n and lean < 1:
        p = np.nan_to_num(np.asarray(proba, dtype=np.float64))
        flat = out == 1
        out[flat & (p[:, 0] >= lean) & (p[:, 0] > p[:, 2])] = 0
        out[flat & (p[:, 2] >= lean) & (p[:, 2] > p[:, 0])] = 2
    return out


def form_issues(leaf: np.ndarray, side: np.ndarray, n_leaves: int, min_size: int,
                split: bool = True) -> np.ndarray:
    """(n_leaves × 3) issue key per (leaf, side): ``leaf * 3 + kept side``. A side
    with fewer than ``min_size`` sentences joins the leaf's neutral issue when there is
    one, else the leaf's largest side; without ``split`` each leaf is one issue."""
    counts = np.zeros((n_leaves, 3), dtype=np.int64)
    ok = leaf >= 0
    np.add.at(counts, (leaf[ok], side[ok]), 1)
    out = np.zeros((n_leaves, 3), dtype=np.int64)
    for lf in range(n_leaves):
        c = counts[lf]
        if not split:
            out[lf] = lf * 3 + int(np.argmax(c))
            continue
        kept = [s for s in range(3) if c[s] >= min_size] or [int(np.argmax(c))]
        fold = 1 if 1 in kept else max(kept, key=lambda s: (c[s], -s))
        for s in range(3):
            out[lf, s] = lf * 3 + (s if s in kept else fold)
    return out


def aspect_groups(centroids: np.ndarray, n_top: int | None, lo: int, hi: int) -> np.ndarray:
    """Aspect index per cluster: Ward groups of the cluster centroids, ``n_top`` of them
    when asked, else about 1.5 √clusters held between ``lo`` and ``hi``. Ward, not
    average linkage: average linkage let one broad topic swallow the rest (the airline
    tweets' "flight" aspect held 41% of feedback)."""
    k = centroids.shape[0]
    if k <= 1:
        return np.zeros(k, dtype=np.int64)
    n = n_top if n_top is not None else int(np.clip(round(1.5 * np.sqrt(k)), lo, hi))
    n = max(1, min(n, k))
    from scipy.cluster.hierarchy import fcluster, linkage

    groups = fcluster(linkage(centroids.astype(np.float64), method="ward"), t=n, criterion="maxclust")
    _, first = np.unique(groups, return_index=True)  # number by first appearance: no scipy internals
    order = {g: i for i, g in enumerate(groups[np.sort(first)])}
    return np.asarray([order[g] for g in groups], dtype=np.int64)


def noun_aspects(ranked: list[list[tuple[str, float]]], shares: list[dict[str, float]], centroids: np.ndarray,
                 sizes: np.ndarray, limit: int, min_share: float = 0.2, journey: np.ndarray | None = None,
                 journey_weight: float = 0.5, founder_share: float = 0.4) -> tuple[np.ndarray, list[str | None]] | None:
    """Aspects as what the sentences are about: each cluster joins the aspect of its most
    distinctive noun (c-TF-IDF ``ranked`` over clusters; "size" over "dress" in a
    clothing cluster that says "the dress runs small") that at least ``min_share`` of
    its sentences name; clusters without one join the nearest aspect, and the smallest
    aspects are folded into their nearest until at most ``limit`` remain.

    "Nearest" is the centroid cosine plus ``journey_weight`` × the overlap of the two
    touchpoint profiles (``journey``: per cluster, the share of its sentences tagged with
    each touchpoint, "none" left out): centroids alone put "waited an hour on hold" beside
    late parcels (both are waits) and duplicate charges beside checkout errors. Where the
    taxonomy does not fit the data, profiles are near zero and centroids decide.

    Returns (aspect index per cluster, founding noun per aspect, or None for an aspect
    whose founding clusters hold less than ``founder_share`` of it: the noun would name
    a part, and the label is chosen from all its sentences), or None when no cluster has
    a noun (then centroids alone decide, :func:`aspect_groups`)."""
    k = centroids.shape[0]
    head: list[str | None] = []
    for r, sh in zip(ranked, shares):
        head.append(next((t for t, _ in r if sh.get(t, 0.0) >= min_share), None))
    names = sorted({h for h in head if h is not None}, key=lambda h: -sum(sizes[i] for i in range(k) if head[i] == h))
    if not names:
        return None
    members = {h: [i for i in range(k) if head[i] == h] for h in names}
    founders = {h: list(m) for h, m in members.items()}
    prof = np.zeros((k, 0)) if journey is None else np.asarray(journey, dtype=np.float64).reshape(k, -1)

    def centre(idx: list[int]) -> np.ndarray:  # size-weighted, as the stage's own centroids
        return normalize((centroids[idx] * sizes[idx, None]).sum(axis=0, keepdims=True))[0]

    def profile(idx: list[int]) -> np.ndarray:
        return (prof[idx] * sizes[idx, None]).sum(axis=0) / max(float(sizes[idx].sum()), 1e-12)

    def nearest(cands: list[str], vec: np.ndarray, prof_: np.ndarray) -> str:
        sim = np.stack([centre(members[h]) for h in cands]) @ vec
        if prof.shape[1]:
            sim = sim + journey_weight * (np.stack([profile(members[h]) for h in cands]) @ prof_)
        return cands[int(np.argmax(sim))]

    for i in range(k):  # clusters with no noun of their own: nearest aspect
        if head[i] is None:
            members[nearest(names, centroids[i], prof[i])].append(i)
    while len(names) > max(1, limit):
        size = {h: float(sizes[members[h]].sum()) for h in names}
        small = min(names, key=lambda h: (size[h], h))
        rest = [h for h in names if h != small]
        into = nearest(rest, centre(members[small]), profile(members[small]))
        members[into] += members.pop(small)
        names = rest
    group = np.zeros(k, dtype=np.int64)
    order = sorted(names, key=lambda h: (-float(sizes[members[h]].sum()), h))
    for g, h in enumerate(order):
        group[members[h]] = g
    named = [h if sizes[founders[h]].sum() >= founder_share * sizes[members[h]].sum() else None for h in order]
    return group, named


@dataclass
class Parsed:
    terms: list[set[str]]  # c-TF-IDF terms (voc.themes.labels)
    phrases: list[SentencePhrases]


def parse(texts: Sequence[str], cache: dict[str, Any] | None = None) -> tuple[Parsed, dict[str, str]]:
    """One spaCy pass over ``texts`` (texts in ``cache`` are not parsed again): topic
    terms, opinion phrases and aspect nouns, and the written form of every key."""
    from voc.nlp import load_spacy

    cache = {} if cache is None else cache
    todo = [t for t in dict.fromkeys(texts) if t not in cache]
    if todo:
        nlp = load_spacy("full")
        for text, doc in zip(todo, nlp.pipe(todo, batch_size=64)):
            seen: dict[str, Counter] = {}
            terms = lab.sentence_terms(doc, seen)
            phrases = sentence_phrases(doc, seen)
            cache[text] = (terms, phrases, [(k, f) for k, c in seen.items() for f in c.elements()])
    surfaces: dict[str, Counter] = {}
    for text in texts:
        for key, form in cache[text][2]:
            surfaces.setdefault(key, Counter())[form] += 1
    return Parsed([cache[t][0] for t in texts], [cache[t][1] for t in texts]), lab.display_forms(surfaces)


class LabelChooser:
    """Picks distinct labels that pass the label rule; lint results are cached so each
    candidate is tagged once."""

    def __init__(self, taken: Sequence[str] = ()) -> None:
        self.used = {normal_form(t) for t in taken}
        self._ok: dict[tuple[str, str], bool] = {}

    def prime(self, candidates: Sequence[str], kind: str) -> None:
        todo = sorted({c for c in candidates if (c, kind) not in self._ok})
        for c, problems in zip(todo, check_labels(todo, [kind] * len(todo))):
            self._ok[(c, kind)] = not problems

    def passes(self, label: str, kind: str) -> bool:
        self.prime([label], kind)
        return self._ok[(label, kind)]

    def take(self, candidates: Sequence[str], kind: str) -> str | None:
        self.prime(candidates, kind)
        for c in candidates:
            if self._ok.get((c, kind)) and normal_form(c) not in self.used:
                self.used.add(normal_form(c))
                return c
        return None

    def force(self, base: str) -> str:
        label = base
        j = 2
        while normal_form(label) in self.used:
            label, j = f"{base} ({j})", j + 1
        self.used.add(normal_form(label))
        return label



def _ranked_keys(ranked: list[tuple[str, float]], n: int, min_share: float) -> list[str]:
    if not ranked:
        return []
    top = ranked[0][1]
    return [t for t, s in ranked[:n] if s >= min_share * top]


def aspect_labels(noun_sets: Sequence[Sequence[set[str]]], display: dict[str, str], chooser: LabelChooser,
                  preferred: Sequence[str | None] | None = None, pair: float = 0.5) -> list[str]:
    """One noun-phrase label per aspect ("fabric", "sizing & fit"), bigger aspects first
    (the caller orders them); ``preferred`` is the noun an aspect was founded on.

    Nouns are ranked by c-TF-IDF over their heads ("linen shirt" counts as "shirt"), so
    the label is the thing most of the aspect's sentences name ("prices" over "sale",
    which fewer name more distinctively): of its four most distinctive nouns, the most
    named. When no noun dominates (the second is named at least ``pair`` times as often as
    the first, and by a tenth of the sentences), the aspect is about both and says so
    ("colour & fabric", "waist & pants"); an aspect founded on a noun keeps it ("fit", not
    "fit & tts")."""
    heads = [[{a.split()[-1] for a in st} for st in sets] for sets in noun_sets]
    ranked, phrase_ranked = lab.ctfidf(heads), lab.ctfidf(noun_sets)
    out = []
    for i, r in enumerate(ranked):
        keys = [k for k in _ranked_keys(r, 8, 0.2) if k not in _SAYING_NOUNS]
        keys += [k for k in _ranked_keys(phrase_ranked[i], 8, 0.2) if not set(k.split()) & _SAYING_NOUNS
                 and k not in keys]
        shown = [display.get(k, k) for k in keys]
        cands = list(shown)
        pref = preferred[i] if preferred is not None and i < len(preferred) else None
        if pref and not set(pref.split()) & _SAYING_NOUNS:  # an aspect is a thing, not "complaint"
            cands.insert(0, display.get(pref, pref))
        cover = Counter(h for st in heads[i] for h in st)
        top = sorted((k for k in keys[:4] if " " not in k), key=lambda k: -cover[k])
        at = 0 if pref is None else 1
        if top:
            cands.insert(at, display.get(top[0], top[0]))
        if len(top) >= 2 and cover[top[1]] >= max(pair * cover[top[0]], 0.1 * len(heads[i])):
            cands.insert(at, f"{display.get(top[0], top[0])} & {display.get(top[1], top[1])}")
        label = chooser.take(cands, "aspect")
        out.append(label or chooser.force(shown[0] if shown else "other feedback"))
    return out


def issue_candidates(opinions: list[tuple[str, float]], nouns: list[tuple[str, float]], share: dict[str, float],
                     side: str, min_share: float = 0.1,
                     noun_share: float = 0.2) -> tuple[list[str], list[str], list[str]]:
    """(opinion keys, noun keys) an issue's label may come from, best first: its most
    distinctive opinion phrases that at least ``min_share`` of its sentences carry
    (``share``) and that do not contradict its side, those about its main noun first,
    then its most distinctive nouns that at least ``noun_share`` carry: a fallback label
    says what the issue is about, and a noun a few sentences name ("tent" in "looked
    like a tent on me") would name a part of it. Those rarer nouns come third, spares for
    a neutral issue whose aspect's fallback label is taken too ("account remarks (5)")."""
    op = [k for k in _ranked_keys(opinions, 15, 0.0) if share.get(k, 0.0) >= min_share and agrees(k, side)]
    nn = [k for k in _ranked_keys(nouns, 10, 0.0) if share.get(k, 0.0) >= min_share
          and not set(k.split()) & _SAYING_NOUNS]  # "other complaint praise" says nothing
    if nn:  # a phrase about the issue's own main noun first: "refund takes weeks" over "received return"
        head = nn[0].split()[-1]
        op = [k for k in op if head in k.split()] + [k for k in op if head not in k.split()]
    return (op, [k for k in nn if share.get(k, 0.0) >= noun_share],
            [k for k in nn if share.get(k, 0.0) < noun_share])


def _fallback(noun: str, side: str, questions: float) -> str:
    """The label of an issue no phrase names: its sentences say varied things about one
    noun, and the label says so ("other dress complaints") rather than promise one
    problem ("dress problems") a product team would look for and not find."""
    if side == "neutral":
        return f"{noun} {'questions' if questions >= 0.4 else 'remarks'}"
    return f"other {noun} {_SUFFIX[side]}"


def drop_lone_other(labels: dict[int, str], parents: dict[int, int], sides: dict[int, str],
                    chooser: LabelChooser) -> dict[int, str]:
    """"other X complaints" says there are named complaints beside it; where its aspect
    has none of the same polarity, the label loses its "other" ("destinationdragons
    praise"), unless that would break the label rule or repeat another label."""
    named = {(parents[i], sides[i]) for i, lab in labels.items() if not lab.startswith("other ")}
    out = dict(labels)
    lone = [i for i, lab in labels.items() if lab.startswith("other ") and (parents[i], sides[i]) not in named
            and sides[i] != "neutral"]
    chooser.prime([labels[i][len("other "):] for i in lone], "issue")
    for i in lone:
        plain = labels[i][len("other "):]  # only if it passes the rule: "wine list praise" reads as a list
        if chooser.passes(plain, "issue") and normal_form(plain) not in chooser.used:
            chooser.used.discard(normal_form(labels[i]))
            chooser.used.add(normal_form(plain))
            out[i] = plain
    return out


def label_strings(op: list[str], nn: list[str], side: str, questions: float, display: dict[str, str],
                  spare: Sequence[str] = ()) -> list[str]:
    """Every string :func:`issue_label` may test for these candidates (to lint them in one pass)."""
    return [display.get(k, k) for k in op] + [_fallback(display.get(k, k), side, questions) for k in [*nn, *spare]]


def issue_label(op: list[str], nn: list[str], side: str, aspect: str, display: dict[str, str],
                chooser: LabelChooser, questions: float, spare: Sequence[str] = ()) -> tuple[str, str | None]:
    """(label, key it came from) for one issue, from :func:`issue_candidates`: the first
    opinion phrase that passes the label rule and is not taken, else "other <noun>
    complaints" / "other <noun> praise" ("<noun> questions" or "<noun> remarks" on a
    neutral issue), else the same with the aspect (key None: the label is the aspect's);
    a neutral issue then tries a ``spare`` noun before the aspect's with a number ("(2)")."""
    label = chooser.take([display.get(k, k) for k in op], "issue")
    if label is not None:
        return label, op[[display.get(k, k) for k in op].index(label)]
    cands = [_fallback(display.get(k, k), side, questions) for k in nn]
    label = chooser.take(cands, "issue")
    if label is not None:
        return label, nn[cands.index(label)]
    # an aspect named for two things ("design & sale") lends its first: "other design & sale complaints" reads as a list
    own = _fallback(aspect.split(" & ")[0], side, questions)
    if side == "neutral":  # neutral issues never merge: a spare noun names them apart before a number does
        if chooser.take([own], "issue") is not None:
            return own, None
        cands = [_fallback(display.get(k, k), side, questions) for k in spare]
        label = chooser.take(cands, "issue")
        if label is not None:
            return label, list(spare)[cands.index(label)]
    # a polar "other X complaints (2)" is merged into its namesake as a near-duplicate (table.build_table):
    # one grab-bag per aspect and side
    return chooser.force(own), None


#: complaint words VADER has no entry for ("cheap", "thin", "late"): they count as negative
_NEGATIVE_WORDS = {"cheap", "thin", "late", "slow", "small", "tight", "crush", "crushed", "flimsy", "itchy", "scratchy",
                   "sheer", "faded", "shrink", "shrank", "pill", "pilling", "delay", "delayed", "cancel", "cancelled",
                   "overprice", "overpriced", "pricey", "expensive", "noisy", "loud", "dirty", "cold", "stale", "bland",
                   "rude", "missing", "lose", "lost", "break", "broken", "damage", "damaged", "wrong", "invalid",
                   "crash", "crashing", "freeze", "error", "charge", "twice", "boxy", "baggy", "huge"}


def agrees(key: str, side: str) -> bool:
    """False when a phrase's own words point the other way than its issue ("love dress"
    on a negative issue: "I really wanted to love this dress"). VADER's lexicon gives
    each word's sign; a negation flips it."""
    if side == "neutral":
        return True
    from voc.sentiment.lexicon import vader_lexicon

    lex = vader_lexicon()
    words = key.split()
    tone = sum(lex.get(w, -1.0 if w in _NEGATIVE_WORDS else 0.0) for w in words)
    if any(w in {"not", "never", "no"} for w in words):
        tone = -tone
    return tone == 0 or (tone > 0) == (side == "positive")


def merge_key(label: str, aspect: int, polarity: str) -> tuple[int, str, str]:
    """Issues with one merge key are one issue: the same polarity and labels that differ
    only in generic praise or blame ("great quality", "nice quality", "good quality"),
    in the fallback words ("other", "complaints", "praise", "questions") or a "(2)"
    ("other website complaints" and "other website complaints (2)"), within one aspect:
    across aspects, like words can name two things ("card" under top-ups and under card
    delivery)."""
    words = [w for w in normal_form(label).split() if w not in GENERIC_OPINION and w not in _SUFFIX_WORDS
             and not w.isdigit()]
    return aspect, polarity, " ".join(words) or normal_form(label)


def support(key: str | None, members: Sequence[int], parsed: Parsed) -> float:
    """Share of ``members`` (indices into ``parsed``) whose terms or phrases hold ``key``."""
    if key is None or not members:
        return 0.0
    hit = sum(1 for i in members if key in parsed.phrases[i].opinions or key in parsed.terms[i]
              or key in parsed.phrases[i].aspects)
    return round(hit / len(members), 4)
