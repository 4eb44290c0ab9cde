"""Customer effort: does a sentence report the customer working to get something done
(repeat contacts, transfers, long waits, chasing)? Effort predicts churn better than
satisfaction does (the CES literature), so it is flagged next to touchpoints.

Rules, not a model: each pattern names a kind of effort, so a flag can be explained,
and precision stays high (an effort count users cannot trust is worse than none).
Embedding similarity to effort examples is available as an opt-in second signal.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

_NUM = r"(?:\d+|two|three|four|five|six|seven|eight|nine|ten|several|multiple|many|numerous|countless|a few|a dozen|dozens of|\d+\+?)"
_CONTACT = r"(?:call(?:s|ed|ing)?|phone call|e-?mail(?:s|ed|ing)?|message(?:s|d)?|chats?|tickets?|attempts?|tries|visits?|letters?|complaints?|dms?|tweets?|contacts?)"
_TIME = r"(?:minutes?|mins?|hours?|hrs?|days?|weeks?|months?)"

#: Effort kind -> regular expressions (matched on lower-cased text).
PATTERNS: dict[str, tuple[str, ...]] = {
    "repeat_contact": (
        rf"\b(?:call|phon|ring|rang|email|e-mail|contact|messag|chas|ask|tri|try|wr[io]t|complain|visit|went back|go back|been back|come back)\w* (?:\w+ ){{0,3}}{_NUM} times\b",
        rf"\b{_NUM} (?:\w+ )?{_CONTACT}\b",
        r"\b(?:second|third|fourth|fifth|sixth|\d+(?:st|nd|rd|th)) (?:call|email|attempt|complaint|letter|visit)\b",
        r"\b(?:second|third|fourth|fifth|sixth|\d+(?:st|nd|rd|th)) time (?:i'?ve |i have |i'?m |i am |i )?(?:call|contact|email|writ|wrote|ask|complain|chas|report|rais|tri|try|had to)",
        r"\b(?:again and again|over and over(?: again)?|time after time|time and again|every time i (?:call|ring|email|contact|phone|chat))\b",
        r"\b(?:keep|kept|keeps|still) (?:calling|emailing|messaging|ringing|phoning|contacting|chasing|getting told|being told|getting transferred|getting passed)\b",
        r"\bhad to (?:call|ring|phone|email|contact|write|message|go back|come back|return to|re-?explain|explain|repeat|ask again|re-?submit|re-?send|re-?enter|visit|chase)\b",
        r"\b(?:called|emailed|contacted|messaged|phoned|tweeted|wrote) (?:you |them |him |her |support |the \w+ )?(?:again|repeatedly|multiple times|several times|twice|three times)\b",
        r"\b(?:re-?explain|repeat(?:ed|ing)? (?:myself|my (?:story|issue|problem|details|complaint)))\b",
    ),
    "transferred": (
        r"\b(?:got |was |were |been |being |keep getting |kept getting )?(?:transferred|passed|bounced|shuffled|shunted|redirected) (?:me |us |my call |him |her )?(?:around|between|from|back and forth|to (?:another|a different|someone else))",
        r"\btransferred (?:\w+ )?(?:times|again|twice)\b",
        r"\b(?:run-?around|ran around|passing the buck|pass(?:ed)? me around|sent me (?:back and forth|from one))\b",
        r"\b(?:no one|nobody) (?:seems to |could |can |would |will )?(?:know|help|take responsibility|own)",
    ),
    "long_wait": (
        rf"\b(?:on hold|hold(?:ing)?|wait(?:ed|ing)?|queued?|in (?:a |the )?(?:queue|line)) (?:for )?(?:over |more than |almost |nearly |about |around |at least |an? |\d+\+? |the (?:better|best) part of an? )?(?:\w+ )?{_TIME}\b",
        rf"\b(?:{_NUM}|an?) {_TIME} (?:on hold|in (?:the )?(?:queue|line)|wait(?:ing)?)\b",
        r"\b(?:still (?:waiting|haven'?t (?:heard|received|got(?:ten)?)|no (?:reply|response|answer|word|refund))|never (?:heard back|got (?:a |any )?(?:reply|response|call back|callback)))\b",
        r"\b(?:no one|nobody) (?:ever )?(?:got|gets|called|calls|wrote|writes|came|comes) back\b",
        r"\b(?:endless|forever|ages) (?:on hold|waiting|in (?:the )?queue)\b|\bon hold forever\b|\btook (?:forever|ages)\b",
        r"\bhold (?:times?|music)\b|\bwait(?:ing)? times?\b",
    ),
    "chasing": (
        r"\b(?:had|have|having) to (?:chase|follow up|keep (?:asking|calling|checking|chasing|reminding)|escalate|fight|beg|push|nag|jump through)",
        r"\b(?:chas(?:e|ed|ing) (?:them|it|this|up|you|the)|follow(?:ed|ing)? up (?:again|multiple|several|repeatedly|\d+|three|twice))",
        r"\bjump(?:ed|ing)? through (?:hoops|hoop)\b",
        r"\b(?:what a|such a|real|huge|total|major|big) (?:hassle|nightmare|headache|pain|ordeal|runaround)\b",
        r"\b(?:so much|too much) (?:hassle|effort|back and forth)\b|\bback and forth\b",
    ),
}

_COMPILED: dict[str, list[re.Pattern[str]]] = {k: [re.compile(p) for p in v] for k, v in PATTERNS.items()}
# one alternation for the yes/no flag: a single scan per sentence instead of one per pattern
_ANY = re.compile("|".join(f"(?:{p})" for pats in PATTERNS.values() for p in pats))

#: Sentences that describe effort, encoded as prototypes for the optional embedding signal.
EXAMPLES: tuple[str, ...] = (
    "I had to call three times before anyone helped me.",
    "I was transferred between departments and had to explain my problem again.",
    "I waited on hold for over an hour.",
    "I keep chasing them by email and still have no answer.",
    "I had to contact support several times to get a refund.",
    "It took weeks of back and forth to get this sorted.",
)


def effort_kinds(text: str) -> list[str]:
    """The effort kinds ``text`` reports (empty when none)."""
    low = text.lower()
    return [kind for kind, pats in _COMPILED.items() if any(p.search(low) for p in pats)]


def match_effort(texts: Sequence[str]) -> np.ndarray:
    """Boolean flag per text: the rules found an effort pattern."""
    return np.fromiter((_ANY.search(str(t).lower()) is not None for t in texts), dtype=bool, count=len(texts))
