"""The label rule: what a theme label may not look like, as code.

A CX lead reads labels, not clusters. An aspect is a short noun phrase ("sizing & fit",
"delivery", "front desk"); an issue is an aspect plus what customers say about it in
their words ("parcel arrived damaged", "refund takes weeks"). Labels that break the
rule are the ones a reader cannot act on: word pairs ("likely / recommend"), quoted
verbatims, one vague word ("let", "asap", "looks"), phrases cut off after a verb or a
function word ("delivery took", "dress hit", "checkout kept"), near-sentences, or two
themes with one name. :func:`label_problems` names each break; the theme stage only
emits labels it passes, and ``benchmarks/themes_issues.py`` reports the share that fail.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

#: verbs that need what follows them: a label ending in one was cut off ("delivery took")
_NEEDS_OBJECT = {"take", "keep", "send", "hit", "get", "make", "give", "put", "say", "tell", "let", "have", "do",
                 "be", "seem", "look", "feel", "want", "need", "try", "go", "use", "find", "call", "ask", "pay",
                 "buy", "order", "bring", "become", "leave", "start", "stop", "help", "show", "mean", "think",
                 "know", "see", "like", "love", "hate", "wish", "hope", "expect", "provide", "offer", "run", "fit",
                 "hold", "turn", "come", "end", "set"}
#: words that name nothing on their own (as a whole label, or as an aspect)
VAGUE = {"let", "asap", "look", "looks", "excellent", "good", "great", "nice", "bad", "terrible", "awesome", "ok",
         "okay", "fine", "love", "like", "hate", "thanks", "thank", "please", "time", "thing", "things", "way", "lot",
         "one", "day", "today", "yesterday", "everything", "anything", "nothing", "something", "stuff", "people",
         "guys", "issue", "issues", "problem", "problems", "experience", "happen", "happens", "try", "want", "need",
         "recommend", "likely", "really", "well", "much", "still", "even", "back", "real", "life", "week", "kind",
         "regards", "hi", "hello", "hey", "yes", "no", "got", "get", "make", "made", "going", "go", "know", "say",
         "said", "tell", "told", "use", "used", "help", "best", "better", "worst", "amazing", "perfect", "happy",
         "last", "next", "first", "month", "year", "hour", "minute", "ago", "tonight", "morning", "hope", "wish",
         "dear", "sir", "madam", "sincerely", "cheers", "sure", "definitely", "totally", "absolutely", "very", "so",
         "just", "overall",
         "it", "them"}
_FUNCTION_POS = {"DET", "ADP", "CCONJ", "SCONJ", "PRON", "AUX", "PART", "INTJ", "PUNCT"}
_QUOTES = "\"'“”‘’«»"
MAX_WORDS = 6


def _tag(labels: Sequence[str]) -> list[list[tuple[str, str, str, str]]]:
    """(text, lemma, pos, tag) per token of each label, from the shared full pipeline."""
    from voc.nlp import load_spacy

    nlp = load_spacy("full")
    return [[(t.text.lower(), t.lemma_.lower(), t.pos_, t.tag_) for t in doc] for doc in nlp.pipe(labels)]


def label_problems(label: str, kind: str = "issue",
                   tokens: list[tuple[str, str, str, str]] | None = None) -> list[str]:
    """The ways ``label`` breaks the rule for a theme of ``kind`` (``issue`` or
    ``aspect``); empty when it passes. ``tokens`` (text, lemma, pos, tag) skips parsing."""
    text = label.strip()
    out: list[str] = []
    if not text:
        return ["empty"]
    if "/" in text:
        out.append("pair: names two things ('a / b')")
    if text[0] in _QUOTES or text[-1] in _QUOTES or text.endswith("…"):
        out.append("verbatim: a quoted sentence is not a label")
    if "[" in text:
        out.append("placeholder: redacted text in a label")
    words = re.findall(r"[^\W_]+(?:['’&-][^\W_]+)*|&", text)
    if len(words) > MAX_WORDS:
        out.append(f"too long: more than {MAX_WORDS} words reads as a sentence")
    content = [w.lower() for w in words if w != "&"]
    if kind == "issue" and len(content) < 2:
        out.append("one word: an issue names an aspect and what is said about it")
    if content and all(w in VAGUE for w in content):
        out.append("vague: no word names what customers talk about")
    toks = tokens if tokens is not None else _tag([text])[0]
    toks = [t for t in toks if t[2] != "PUNCT"]
    if toks:
        last = toks[-1]
        # "return it", "sending it back": a verb's object pronoun ends a phrase, not a cut-off one
        said_of_it = last[0] in {"it", "them"} and len(toks) > 1 and toks[-2][2] == "VERB"
        if last[2] in _FUNCTION_POS and last[0] != "&" and not said_of_it and last[3] != "RP":
            out.append(f"cut off: ends with the function word {last[0]!r}")
        elif last[2] in {"VERB", "AUX"} and last[1] in _NEEDS_OBJECT:
            out.append(f"cut off: ends with the verb {last[0]!r}, which needs what follows it")
        if toks[0][2] in {"CCONJ", "SCONJ", "ADP"} or (toks[0][2] == "DET" and len(toks) > 1):
            out.append(f"cut off: starts with {toks[0][0]!r}")
        if kind == "aspect" and "&" not in text and last[2] not in {"NOUN", "PROPN"} and last[3] != "VBG":
            out.append("not a noun phrase: an aspect names a thing")
        nouns = sum(t[2] in {"NOUN", "PROPN"} for t in toks)
        if nouns == len(toks) and nouns >= (3 if kind == "issue" else 4):
            out.append("keyword list: names things and says nothing about them ('tuna shrimp fish salmon')")
    return out


def check_labels(labels: Sequence[str], kinds: Sequence[str] | None = None) -> list[list[str]]:
    """:func:`label_problems` for many labels at once (one spaCy pass), plus duplicates:
    two labels that read alike (case, punctuation and plural aside) both fail."""
    kinds = list(kinds) if kinds is not None else ["issue"] * len(labels)
    # an aspect is tagged as the noun phrase it must be ("the fit"): alone, "fit" reads as a verb
    framed = _tag([("the " if k == "aspect" else "") + (str(x).strip() or "-") for x, k in zip(labels, kinds)])
    parsed = [toks[1:] if k == "aspect" else toks for toks, k in zip(framed, kinds)]
    out = [label_problems(str(lab), k, toks) for lab, k, toks in zip(labels, kinds, parsed)]
    seen: dict[str, int] = {}
    for i, lab in enumerate(labels):
        key = normal_form(str(lab))
        if key in seen:
            for j in (seen[key], i):
                if "duplicate: another theme has this label" not in out[j]:
                    out[j].append("duplicate: another theme has this label")
        else:
            seen[key] = i
    return out


def normal_form(label: str) -> str:
    """Case, punctuation and a plural -s aside: "Late deliveries." ~ "late delivery"."""
    words = re.findall(r"[^\W_]+", label.lower())

    def singular(w: str) -> str:
        if len(w) > 4 and w.endswith("ies"):
            return w[:-3] + "y"
        return w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w

    return " ".join(singular(w) for w in words)


def passes(label: str, kind: str = "issue") -> bool:
    return not label_problems(label, kind)
