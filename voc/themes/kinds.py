"""Feedback, general sentiment or context: what kind of remark each sentence is.

Real feedback mixes remarks about something (an aspect and an opinion of it: "the
fabric is see-through", "refund takes weeks", "how do I top up?") with general
sentiment that names nothing ("love it", "would not recommend", "worst experience
ever") and context (greetings, sign-offs, thanks, what was ordered for whom, restating
the score). Only the first can be an issue to fix or a strength to protect; the other two
are counted in two reserved buckets and never ranked.

The rule is lexical on purpose: it costs microseconds per sentence (a parse would cost
more than the whole theme fit at 200k sentences), it reads the same in every domain,
and it is explainable to an analyst. A sentence is **context** when it matches a
greeting / sign-off / thanks / score pattern, or when no word is left once stop words,
generic words (thing, experience, order, buy, go...) and generic evaluations (great,
love, terrible, recommend...) are removed and it is not clearly polar; it is **general**
when nothing is left but it is clearly positive or negative; otherwise **feedback**.
Specific opinion words ("late", "rude", "thin", "delayed", "crashes") are kept on
purpose: "delayed again!" names an issue without naming its aspect.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voc.errors import ModelLoadError

FEEDBACK, GENERAL, CONTEXT = "feedback", "general", "context"
KINDS = (FEEDBACK, GENERAL, CONTEXT)

_WORD = re.compile(r"[a-z][a-z'’]*")
# whole-sentence patterns: nothing in them can name an aspect
_CONTEXT = re.compile(
    r"^\W*(?:(?:hi|hello|hey|dear|good (?:morning|afternoon|evening)|greetings|to whom it may concern)\b[\w\s,!.]{0,25}"
    r"|(?:many |kind |best |warm )?(?:thanks?|thank you|thx|ty|cheers|regards|sincerely|best wishes)\b[\w\s,!.]{0,30}"
    r"|(?:have a (?:nice|good|great) (?:day|one|weekend|evening))\W*"
    r"|(?:keep (?:it|up)\b.*)|(?:that'?s (?:it|all))\W*|(?:n/?a|none|nothing|no comments?|nil)\W*"
    r"|(?:i (?:gave|give|scored|rated)|(?:my )?(?:score|rating) (?:is|of|was))\b[\w\s]{0,25}\d+\b.*)$",
    re.I)
# order narration: what was bought, for whom or when, and nothing said of it ("Ordered a
# tablecloth for my mum.", "I bought this in black"); :data:`_SAID` marks a sentence that goes on
_NARRATION = re.compile(
    r"^\W*(?:(?:i|we|my \w+)\s+)?(?:(?:have|had|just|recently|finally|also|first)\s+)*"
    r"(?:ordered|bought|purchased|picked up|pre-?ordered)\b([\w\s'&£$€.,-]{0,60})$", re.I)
_SAID = re.compile(r"\b(?:but|because|though|although|which|that|it|they|she|he|never|not|no|was|were|is|are|"
                   r"has|had|still|yet|only|too|so|very|if|when|why|how|what|arrived|came|\w+ed)\b|n't"
                   r"|\band\b(?!\s+(?:a|an|some|two|three|a few|matching)\b)|[?!]", re.I)
_CAPITALISED = re.compile(r"(?<=[a-z,;:] )[A-Z][a-z]+")
_LOWER_WORD = re.compile(r"\b[a-z][a-z]+\b")
_AMOUNT = re.compile(r"[$£€¥]\s?\d|\d\s?(?:usd|eur|gbp|dollars?|euros?|pounds?)\b", re.I)
_ELONGATED = re.compile(r"([a-z])\1{2,}")  # "sooo" -> "so"
_CANT_WAIT = re.compile(r"\bcan(?:no|')?t wait\b|\bcannot wait\b", re.I)
#: words that say how much someone liked something, but not what
GENERIC_OPINION = frozenset("""
good great nice fine ok okay alright love loved loves loving like liked likes hate hated hates awesome amazing
excellent fantastic wonderful terrible horrible awful bad worst best better worse perfect perfectly disappointed
disappointing disappointment happy unhappy satisfied dissatisfied unsatisfied pleased impressed recommend
recommended recommending recommendation highly definitely favorite favourite favorites enjoy enjoyed enjoying adore
adored glad sad poor superb outstanding incredible lovely fabulous brilliant super cool pathetic ridiculous
unacceptable useless wow thanks thank thankful grateful shame sucks suck sucked crap garbage joke fail worth
waste regret regrets mistake overall totally absolutely really very so much quite pretty extremely truly simply
definitely certainly seriously honestly literally ever never always again nothing everything anything
something happier disappoint disappoints impressive pleasure pleasant unpleasant beautiful gorgeous stunning
exceptional decent mediocre average solid notch stars star rating rate rated score scored review reviews
reviewed yes no wonderfully absolutely fantastic lol haha omg hope hoping hopefully wish sure surely kind sorry blast fun
worthy worth worthwhile memorable unforgettable heaven gem treat delight delightful disaster nightmare fan fans
adorable winner meh keeper classic staple likely unlikely higher lower fix fixed

""".split())
#: words that name no particular aspect: the purchase, the visit, the people around it
GENERIC_WORDS = frozenset("""
thing things stuff product products item items purchase purchases purchased experience experiences place places
company store shop brand business time times day days today yesterday tonight week weeks month months year years
one ones lot lots way everyone anyone someone people guys guy friend friends family husband wife mom mum mother
dad father daughter son kids kid boyfriend girlfriend sister brother birthday anniversary occasion go going goes
gone went come comes coming came get gets getting got buy buying bought order ordered ordering orders try tried
trying visit visited visiting eat ate eating say said says think thought know knew make made want wanted keep
will would could should can may might must shall also just still even back first last next bit lil little thing
yet though although however well actually probably maybe already soon later now ever i'm i've i'd i'll it's
that's there's don't didn't doesn't won't can't isn't wasn't couldn't wouldn't gonna wanna restaurant
restaurants hotel hotels airline airlines spot joint establishment neighborhood neighbourhood town city area
guest guests customer customers reason reasons lot whole part deal lbs lb pounds inches inch cm kg ft
hour hours hr hrs min mins minute minutes second seconds world life url tweet tweets post posts
help helps helped helping assist please asap look looks looking looked happen happens happened let lets someone
anybody somebody update updates news soon problem problems issue issues ages rain tel lol honest
justice
""".split())
#: words that imply their aspect ("too small" is about fit, "late" about delivery, "rude" about
#: staff): a sentence holding one is feedback even when the kind head reads it as general
IMPLICIT_ASPECT = frozenset("""
small smaller big bigger large larger huge tiny short shorter long longer tight tighter loose looser baggy boxy
snug fit fits fitted fitting runs run ran size sizes sized sizing tts petite length wide narrow thin thinner thick
heavy light lightweight sheer itchy scratchy soft stiff stretchy comfortable uncomfortable comfy warm cold hot cool
late early slow slower fast faster quick quickly delayed delay delays cancelled canceled waiting wait waited hold
broken broke damaged defective faulty ripped torn stained missing lost wrong cheap cheaper expensive pricey
overpriced price priced cost costs value affordable noisy loud quiet dirty clean smelly rude friendly helpful
unhelpful attentive polite professional crowded busy spacious cramped fresh stale bland salty sweet spicy greasy
tasty delicious undercooked overcooked raw burnt crashes crash crashed glitchy buggy freezes error errors login
shrank shrunk faded fade pilled pilling unravel unraveled washed wash quality durable flimsy sturdy well-made
stretch stretchy stitching seams flattering unflattering snag snags snagged lining zipper zip buttons
""".split())
_STOP: frozenset[str] | None = None


def _stop_words() -> frozenset[str]:
    global _STOP
    if _STOP is None:
        from spacy.lang.en.stop_words import STOP_WORDS

        from voc.themes.labels import _NOT_STOP

        _STOP = frozenset(w for w in STOP_WORDS if w not in _NOT_STOP)
    return _STOP


def rare_names(texts: Sequence[str], min_count: int = 3, min_share: float = 0.001) -> frozenset[str]:
    """Capitalised words inside sentences that are rare in the corpus and never common in
    lower case: the name of a restaurant, a person, a street ("Casimir", "Chennai Garden")
    says who or where, not what. A capitalised word many sentences share names a product
    or a feature ("Mastercard", "Google Pay", "Prime"), and "Card" in "my Card" is the
    common word "card": both stay possible aspects."""
    caps: dict[str, int] = {}
    lower: dict[str, int] = {}
    for t in texts:
        t = str(t)
        for w in {m.group(0).lower() for m in _CAPITALISED.finditer(t)}:
            caps[w] = caps.get(w, 0) + 1
        for w in set(_LOWER_WORD.findall(t)):
            lower[w] = lower.get(w, 0) + 1
    cut = max(min_count, min_share * len(texts))
    return frozenset(w for w, c in caps.items() if c < cut and lower.get(w, 0) < cut)


def content_words(text: str, names: frozenset[str] = frozenset()) -> list[str]:
    """The words of ``text`` that could name what it is about (``names``: words that only
    name someone or somewhere, see :func:`rare_names`)."""
    stop = _stop_words()
    if names:  # drop only the capitalised occurrences: "Casimir" is a name, "casimir" would not be
        text = _CAPITALISED.sub(lambda m: " " if m.group(0).lower() in names else m.group(0), text)
    low = _ELONGATED.sub(r"\1", _CANT_WAIT.sub(" ", text.lower().replace("’", "'")))
    # an amount of money is what the remark is about ("I only got $20 when I asked for $100")
    out = ["<amount>"] if _AMOUNT.search(text) else []
    for w in _WORD.findall(low):
        w = w.strip("'")
        if len(w) < 3 or w in stop or w in GENERIC_OPINION or w in GENERIC_WORDS:
            continue
        base = w[:-1] if w.endswith("s") and not w.endswith("ss") and len(w) > 3 else w
        if base in GENERIC_OPINION or base in GENERIC_WORDS:
            continue
        out.append(w)
    return out


def lexical_features(texts: Sequence[str], proba: np.ndarray | None,
                     names: frozenset[str] | None = None) -> np.ndarray:
    """What the kind head reads beside the embedding: how many aspect words a sentence
    has (capped at 4), whether it has none, and its sentiment probabilities. ``names``
    defaults to the rare names of ``texts`` themselves (:func:`rare_names`)."""
    names = rare_names(texts) if names is None else names
    return _features([len(content_words(str(t), names)) for t in texts], proba)


def _features(n_words: Sequence[int], proba: np.ndarray | None) -> np.ndarray:
    cw = np.asarray(n_words, dtype=np.float32)
    p = proba if proba is not None else np.tile(np.asarray([[0.0, 1.0, 0.0]], np.float32), (len(cw), 1))
    return np.c_[np.minimum(cw, 4) / 4, (cw == 0).astype(np.float32), p].astype(np.float32)


@dataclass
class KindHead:
    """Logistic head over [embedding, lexical features] → P(the sentence names no aspect),
    trained by ``models/train_kinds.py`` (see its model card). A sentence goes to a
    bucket when it has no aspect word at all, or when the head is sure and it has at
    most one or two: the head alone reads strong tone as "no aspect" too often
    ("lost my luggage and ruined our holiday"), the word count keeps those."""

    coef: np.ndarray
    intercept: float
    rules: list[tuple[float, int]]  # (min probability, max aspect words) pairs, any one buckets

    @classmethod
    def load(cls, path: str | Path | None = None) -> "KindHead":
        from voc.config import resource_path

        f = Path(path) if path else resource_path("models", "kinds", "head.json")
        if f.is_dir():
            f = f / "head.json"
        if not f.is_file():
            raise ModelLoadError(f"kind head {str(f)!r} not found; models/train_kinds.py writes it")
        d = json.loads(f.read_text(encoding="utf-8"))
        return cls(np.asarray(d["coef"], np.float32), float(d["intercept"]),
                   [(float(p), int(n)) for p, n in d["rules"]])

    def proba(self, emb: np.ndarray, lex: np.ndarray) -> np.ndarray:
        z = np.c_[np.asarray(emb, np.float32), lex] @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))


def classify(texts: Sequence[str], proba: np.ndarray | None = None, embeddings: np.ndarray | None = None,
             head: KindHead | None = None, polar_margin: float = 0.5,
             names: frozenset[str] | None = None) -> np.ndarray:
    return classify_with_proba(texts, proba, embeddings, head, polar_margin, names)[0]


def classify_with_proba(texts: Sequence[str], proba: np.ndarray | None = None, embeddings: np.ndarray | None = None,
                        head: KindHead | None = None, polar_margin: float = 0.5,
                        names: frozenset[str] | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """``feedback``, ``general`` or ``context`` per sentence.

    ``proba`` (n × 3: negative, neutral, positive) decides whether a bucketed sentence is
    general sentiment (clearly polar: the larger polar probability is at least
    ``polar_margin``) or context; without it, bucketed sentences are context. With
    ``embeddings``, a ``head`` and ``proba``, the head's rules bucket sentences the word
    lists miss. ``names`` (capitalised words that only name someone or somewhere) default
    to the rare names of ``texts``; a fitted stage passes the set it learned, so a
    sentence's kind never depends on which other sentences share its batch.
    """
    n = len(texts)
    out = np.full(n, FEEDBACK, dtype=object)
    if n == 0:
        return out, None
    names = rare_names(texts) if names is None else names
    words = [content_words(str(t), names) for t in texts]  # once: the counts and the implicit-aspect guard
    n_words = np.asarray([len(w) for w in words])
    bucket = n_words == 0
    p = None
    # the head reads the sentiment model's probabilities: without them it is off its training
    # distribution (and overconfident), so only the word lists decide
    if head is not None and embeddings is not None and proba is not None:
        p = head.proba(embeddings, _features(n_words, proba))
        implicit = np.asarray([any(x in IMPLICIT_ASPECT for x in w) for w in words], bool)
        for min_p, max_words in head.rules:
            bucket |= (p >= min_p) & (n_words <= max_words) & ~implicit
    polar = (np.maximum(proba[:, 0], proba[:, 2]) >= polar_margin) if proba is not None else np.zeros(n, bool)
    out[bucket] = np.where(polar[bucket], GENERAL, CONTEXT)
    for i, text in enumerate(texts):
        t = str(text).strip()
        if not t or _CONTEXT.match(t) or (not polar[i] and is_narration(t, words[i])):
            out[i] = CONTEXT
    return out, p


def is_narration(text: str, words: Sequence[str] | None = None) -> bool:
    """An order told, nothing said of it: "Ordered a tablecloth for my mum." is context;
    "ordered a dress and it never came", "bought a size 10, too tight" are feedback."""
    m = _NARRATION.match(text.strip())
    if m is None or len(text.split()) > 14 or _SAID.search(m.group(1)):
        return False
    words = content_words(text) if words is None else words
    return not any(w in IMPLICIT_ASPECT for w in words)
