"""Aspect and opinion phrases from spaCy's dependency parse, for labels an analyst would write.

An issue label is an aspect plus what customers say about it, in their words: "thin
fabric", "parcel arrived damaged", "refund takes weeks", "app crashes at login", "lost
luggage". Those phrases are read off the parse of each representative sentence:

- adjective modifying a noun: "soft fabric", "late delivery";
- a noun subject and its complement: "the staff was rude" → "rude staff"; "my parcel
  arrived damaged" → "parcel arrived damaged"; "it runs large" → "runs large";
- a noun subject and its verb (with negation, particle, object or one prepositional
  object): "order never arrived", "refund takes weeks", "app crashes at login",
  "upgrade was postponed" → "upgrade postponed";
- a verb and its object when the subject is a pronoun: "they lost my luggage" → "lost luggage".

Each phrase is counted under a lemma key (so "runs large" and "ran large" are one) and
shown in its most frequent written form. Aspects are the nouns (and noun compounds) the
sentences talk about, generic words aside.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from voc.themes.kinds import GENERIC_OPINION, GENERIC_WORDS
from voc.themes.labels import _JUNK, _lemma

_SUBJ = {"nsubj", "nsubjpass"}
_COMPLEMENT = {"acomp", "oprd", "attr", "xcomp"}
_MAX_WORDS = 5
#: nouns that are too generic to be an aspect but fine inside a phrase ("order never arrived")
#: adjectives that point or count rather than judge ("other night", "last visit", "few times")
_NOT_OPINION = {"other", "last", "next", "first", "second", "third", "same", "few", "many", "several", "own", "whole",
                "entire", "previous", "recent", "different", "certain", "such", "various", "main", "much", "more",
                "most", "less", "least", "only", "additional", "extra", "particular", "usual", "regular", "recent"}
_TIME = {"night", "nights", "evening", "evenings", "morning", "mornings", "afternoon", "weekend", "weekends", "lunchtime",
         "tonight", "yesterday", "today", "tomorrow", "christmas", "holiday", "holidays", "occasion", "birthday"}
_JUDGING_ADVERBS = {"late", "early", "twice", "again", "easily", "quickly", "slowly", "badly", "poorly", "well",
                    "perfectly", "fast", "immediately", "constantly", "repeatedly", "randomly", "wrong", "broken",
                    "damaged", "open", "apart", "off", "small", "large", "big", "short", "long", "true"}
_DEGREE = {"too", "very", "so", "really", "super", "extremely", "way", "quite", "rather", "bit", "slightly",
           "pretty", "overly", "incredibly", "not", "n't", "never", "less", "more"}
#: verbs that only carry another verb ("have to wait", "want to return"): no phrase of their own
_LIGHT = {"have", "do", "get", "want", "need", "try", "go", "come", "make", "let", "like", "love", "hate", "decide",
          "plan", "start", "keep", "begin", "continue", "wish", "hope", "expect", "seem_"}
#: verbs that link a subject to how it is ("feels cheap", "tastes bland", "looks great")
_LINKING = {"be", "seem", "look", "feel", "taste", "smell", "sound", "appear", "become", "stay", "remain"}
#: how long something took: "waited 45 minutes on the phone" is a long wait, not "waited minutes"
_DURATION = {"second", "minute", "hour", "day", "week", "month", "year", "age", "ages", "forever", "eternity"}
_WAIT = {"wait", "hold", "queue"}
_OBJECT_PRONOUNS = {"it", "them"}
_UNDO = {"return", "exchange", "refund", "cancel", "resend", "reorder"}
_NOBODY = {"nobody", "noone", "nothing", "none"}
_PRONOUN_PREPS = {"at", "on", "in", "for", "with", "after", "from", "to", "during"}
_PHRASE_NOUNS = {"order", "orders", "item", "items", "product", "products", "purchase", "time", "week", "weeks",
                 "day", "days", "month", "months", "hour", "hours", "minute", "minutes", "year", "years"}


@dataclass
class SentencePhrases:
    opinions: set[str] = field(default_factory=set)  # "thin fabric", "refund take week"
    aspects: set[str] = field(default_factory=set)  # "fabric", "broadband upgrade"


def _word_ok(tok) -> bool:  # type: ignore[no-untyped-def]
    low = tok.text.lower()
    return tok.is_alpha and len(low) > 1 and not _JUNK.search(low)


def _is_noun(tok, loose: bool = False) -> bool:  # type: ignore[no-untyped-def]
    """A common noun that can name an aspect (proper nouns name a place, a person or the
    business: who, not what); ``loose`` also admits the generic nouns a phrase may carry
    ("order never arrived", "refund takes weeks")."""
    return (tok.pos_ == "NOUN" and _word_ok(tok) and not tok.is_stop and tok.lower_ not in _TIME
            and tok.lower_ not in GENERIC_OPINION
            and (tok.lower_ not in GENERIC_WORDS or (loose and tok.lower_ in _PHRASE_NOUNS)))


def _noun_group(noun) -> list:  # type: ignore[no-untyped-def]
    """The noun with the compound nouns right before it ("broadband upgrade")."""
    comp = [c for c in noun.children if c.dep_ == "compound" and c.i < noun.i and _is_noun(c)]
    return sorted(comp + [noun], key=lambda t: t.i)[-3:]


def _add(out: set[str], surfaces: dict[str, Counter] | None, toks: list) -> None:  # type: ignore[type-arg]
    seen: set[int] = set()
    toks = [t for t in toks if not (t.i in seen or seen.add(t.i))]  # type: ignore[func-returns-value]
    if not 2 <= len(toks) <= _MAX_WORDS or not all(_word_ok(t) or t.dep_ in {"neg", "aux"} for t in toks):
        return
    if all(t.lower_ in GENERIC_OPINION or t.lower_ in GENERIC_WORDS or t.is_stop for t in toks
           if t.dep_ not in {"neg", "aux"}):
        return
    key = " ".join("not" if t.dep_ == "neg" else _lemma(t) for t in toks if t.dep_ != "aux")
    out.add(key)
    if surfaces is not None:
        surface = " ".join(t.text.lower() for t in toks).replace(" n't", "n't")
        surface = "not" + surface[3:] if surface.startswith("n't") else surface
        surfaces.setdefault(key, Counter())[surface] += 1


def _no(noun) -> list:  # type: ignore[no-untyped-def]
    """The "no" of "no one", "no explanation": dropping it says the opposite."""
    return [c for c in noun.children if c.dep_ == "det" and c.lower_ == "no"][:1]


def _prep_object(tok, preps: set[str]):  # type: ignore[no-untyped-def]
    """The noun of ``tok``'s first prepositional phrase with one of ``preps`` ("crashes at
    *login*", "waiting for *refund*"), or None."""
    prep = next((c for c in tok.children if c.dep_ == "prep" and c.lower_ in preps), None)
    return next((c for c in prep.children if c.dep_ == "pobj" and _is_noun(c)), None) if prep else None


def _add_key(out: set[str], surfaces: dict[str, Counter] | None, key: str, surface: str) -> None:
    out.add(key)
    if surfaces is not None:
        surfaces.setdefault(key, Counter())[surface] += 1


def _duration(tok) -> bool:  # type: ignore[no-untyped-def]
    """Whether ``tok`` is told how long it lasted: "waited 45 minutes", "for an hour", "forever"."""
    for c in tok.children:
        if c.dep_ in {"dobj", "npadvmod", "advmod"} and c.lemma_.lower() in _DURATION:
            return True
        if c.dep_ == "prep" and c.lower_ == "for" and any(g.dep_ == "pobj" and g.lemma_.lower() in _DURATION
                                                            for g in c.children):
            return True
    return False


def _long_wait(tok, res: SentencePhrases, surfaces: dict[str, Counter] | None) -> bool:  # type: ignore[no-untyped-def]
    """A wait with its length said ("I waited 45 minutes on the phone", "I was on hold for
    an hour") is a long wait, where it happened kept: the number is the customer's
    evidence, the issue is the wait."""
    on = [g for c in tok.children if c.dep_ == "prep" and c.lower_ in {"on", "in"}
          for g in c.children if g.dep_ == "pobj" and g.pos_ == "NOUN" and g.lemma_.lower() not in _DURATION]
    if tok.lemma_ == "be":
        if not any(g.lower_ == "hold" for g in on) or not _duration(tok):
            return False
        _add_key(res.opinions, surfaces, "long wait on hold", "long wait on hold")
        return True
    if tok.lemma_ not in _WAIT or not _duration(tok):
        return False
    if on and _word_ok(on[0]):
        where = on[0].lower_
        _add_key(res.opinions, surfaces, f"long wait on {_lemma(on[0])}",
                 f"long wait on {where}" if where == "hold" else f"long wait on the {where}")
    else:
        _add_key(res.opinions, surfaces, "long wait", "long wait")
    return True


def sentence_phrases(doc, surfaces: dict[str, Counter] | None = None) -> SentencePhrases:  # type: ignore[no-untyped-def]
    """Opinion phrases and aspect terms of one parsed sentence (``surfaces`` records
    written forms, filled in place)."""
    res = SentencePhrases()
    for tok in doc:
        if _is_noun(tok):
            group = _noun_group(tok)
            res.aspects.add(" ".join(_lemma(t) for t in group))
            if surfaces is not None and len(group) > 1:
                key = " ".join(_lemma(t) for t in group)
                surfaces.setdefault(key, Counter())[" ".join(t.text.lower() for t in group)] += 1
            elif surfaces is not None:
                surfaces.setdefault(_lemma(tok), Counter())[tok.text.lower()] += 1
        # adjective on a noun: "soft fabric"
        if tok.pos_ == "ADJ" and tok.dep_ == "amod" and _is_noun(tok.head) and tok.lower_ not in _NOT_OPINION:
            _add(res.opinions, surfaces, [tok] + _noun_group(tok.head))
        # how "it" is, with its degree or negation: "too large", "very thin", "not flattering"
        # (the aspect beside the issue says what "it" is: "size › too large")
        if tok.pos_ == "ADJ" and (tok.dep_ == "ROOT" or (tok.dep_ in {"acomp", "attr"} and tok.head.lemma_ in _LINKING
                                  and not any(c.dep_ in _SUBJ and _is_noun(c, loose=True)
                                              for c in tok.head.children))) and tok.lower_ not in GENERIC_OPINION:
            deg = [c for c in tok.children if c.dep_ in {"advmod", "neg"} and c.lower_ in _DEGREE and c.i < tok.i]
            deg += [c for c in tok.head.children if c.dep_ == "neg"] if tok.dep_ != "ROOT" else []
            if deg:  # a negation stays beside the degree: "not too big" is not "too big"
                nots = [c for c in deg if c.dep_ == "neg" or c.lower_ in {"not", "never"}][:1]
                _add(res.opinions, surfaces, sorted(nots + [c for c in deg if c not in nots][-1:], key=lambda t: t.i)
                     + [tok])
        if tok.pos_ not in {"VERB", "AUX"}:
            continue
        subj = next((c for c in tok.children if c.dep_ in _SUBJ), None)
        # a negation is kept with what it negates ("didn't receive refund", "never arrived"):
        # "receive refund" alone would say the opposite of the sentence
        neg = [c for c in tok.children if c.dep_ == "neg"]
        if any(n.lower_ == "n't" for n in neg):
            neg = [c for c in tok.children if c.dep_ == "aux" and c.i < tok.i][-1:] + neg
        # a complement that is a verb phrase ("can't wait to wear", "want to return") is its
        # own clause, not how the subject is: only adjectives and participles qualify
        noun_subj = subj is not None and _is_noun(subj, loose=True)
        if subj is not None and (subj.lower_ in _NOBODY or _no(subj)):  # "nobody replies to my emails",
            neg = neg + _no(subj) + [subj]                                  # "no one answered": no reply
        # a participle clause completes a noun subject ("parcel arrived damaged"); after a
        # pronoun it is another action ("washed it and line dried")
        comp = next((c for c in tok.children if (c.dep_ in _COMPLEMENT and (c.pos_ == "ADJ" or c.tag_ == "VBN"))
                     or (noun_subj and c.dep_ == "advcl" and c.tag_ == "VBN")), None)
        if _long_wait(tok, res, surfaces):
            continue
        # something that keeps going wrong: "checkout kept erroring", "the app keeps crashing"
        again = next((c for c in tok.children if c.dep_ == "xcomp" and c.tag_ == "VBG"), None)
        if tok.lemma_ == "keep" and again is not None and _word_ok(again):
            _add(res.opinions, surfaces, (_noun_group(subj) if noun_subj else []) + neg + [tok, again])
            continue
        if comp is not None and tok.lemma_ not in _LIGHT:
            if tok.pos_ == "AUX" or tok.lemma_ == "be" or (tok.lemma_ in _LINKING and noun_subj):
                if noun_subj and comp.pos_ == "ADJ" and comp.lower_ not in _NOT_OPINION:
                    deg = [c for c in comp.children if c.dep_ == "advmod" and c.lower_ in _DEGREE and c.i < comp.i]
                    if deg or neg:  # "the dress is too long" -> "dress too long" (not "long dress")
                        _add(res.opinions, surfaces, _noun_group(subj) + (neg or deg[-1:]) + [comp])
                    else:  # "the staff was rude" -> "rude staff"
                        _add(res.opinions, surfaces, [comp] + _noun_group(subj))
            else:  # "parcel arrived damaged", "runs large"
                _add(res.opinions, surfaces, (_noun_group(subj) if noun_subj else []) + neg + [tok, comp])
            continue
        if tok.pos_ != "VERB" or tok.lemma_ in {"be", "have", "do", "get"}:
            continue
        obj = next((c for c in tok.children if c.dep_ == "dobj" and _is_noun(c, loose=True)), None)
        prt = [c for c in tok.children if c.dep_ == "prt"]
        pobj = _prep_object(tok, {"at", "on", "in"}) if obj is None else None
        # how it happened, when the adverb judges ("arrived late", "billed twice", "broke easily")
        adv = [c for c in tok.children if c.dep_ == "advmod" and c.pos_ == "ADV" and c.i > tok.i
               and c.lower_ in _JUDGING_ADVERBS]
        judged = [c for c in obj.children if c.dep_ == "amod" and c.pos_ == "ADJ"
                  and c.lower_ not in _NOT_OPINION] if obj is not None else []
        if noun_subj:  # "refund takes weeks", "order never arrived", "app crashes at login"
            if judged and not neg:
                continue  # "my bank shows a duplicate charge": the judged object ("duplicate charge") is the issue
            tail = [obj] if obj is not None else ([pobj.head, pobj] if pobj is not None else adv[:1])
            _add(res.opinions, surfaces, _noun_group(subj) + neg + [tok] + prt + tail)
        elif obj is not None:  # "they lost my luggage" -> "lost luggage"; "expect better quality"
            _add(res.opinions, surfaces, neg + [tok] + prt + (_no(obj) or judged[:1]) + _noun_group(obj))
        elif tok.lemma_ not in _LIGHT:  # a pronoun (or no) subject: what happened to "it" or to "me"
            _pronoun_phrase(tok, neg, prt, adv, res, surfaces)
    return res


def _pronoun_phrase(tok, neg: list, prt: list, adv: list, res: SentencePhrases,  # type: ignore[no-untyped-def]
                    surfaces: dict[str, Counter] | None) -> None:
    """Phrases of a verb whose subject is a pronoun: the aspect beside the issue says what
    "it" is. "I'm sending it back", "I am going to return it" → "sending it back",
    "return it"; "it fell apart", "it shrank in the wash", "still waiting for my refund" →
    "fell apart", "shrank in wash", "waiting for refund"; "I got transferred three times" →
    "got transferred"."""
    pron = next((c for c in tok.children if c.dep_ == "dobj" and c.lower_ in _OBJECT_PRONOUNS), None)
    back = [c for c in tok.children if c.dep_ == "advmod" and c.lower_ in {"back", "off", "out", "away"}]
    if pron is not None:  # what was done with "it" says something when it undoes the purchase
        if prt or back or tok.lemma_ in _UNDO:  # ("washed it" does not: the issue is what followed)
            _add(res.opinions, surfaces, neg + [tok, pron] + (prt or back)[:1])
        return
    if any(c.dep_ == "dobj" for c in tok.children):
        return  # an object that names nothing ("explain everything")
    passive = [c for c in tok.children if c.dep_ == "auxpass" and c.lemma_ in {"get", "be"}]
    tail = prt or adv[:1] or back[:1]
    if not tail:
        pobj = _prep_object(tok, _PRONOUN_PREPS)
        tail = [pobj.head, pobj] if pobj is not None else []
    # "waiting for one to be reversed": an infinitive's passive names no one and nothing
    infinitive = any(c.dep_ == "aux" and c.lower_ == "to" for c in tok.children)
    if tail or (passive and tok.tag_ == "VBN" and not infinitive):
        _add(res.opinions, surfaces, passive[:1] + neg + [tok] + tail)


def parse_phrases(texts: list[str], surfaces: dict[str, Counter] | None = None) -> list[SentencePhrases]:
    from voc.nlp import load_spacy

    nlp = load_spacy("full")
    return [sentence_phrases(doc, surfaces) for doc in nlp.pipe(texts, batch_size=64)]
