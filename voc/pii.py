"""Redact personal data from customer text before any model or report sees it.

Feedback gets emailed and shared, and enterprise buyers audit what leaves a pipeline:
the redacted text is the only text every later stage and every output shows.

Pure regex plus cheap checksums, no dependencies: each kind has a precompiled pattern
that is deliberately narrow (grouping shapes, not "any run of digits") and a validator
(Luhn for cards, mod-97 and per-country length for IBANs, digit counts for phones),
because ordinary numbers -- order ids, prices, dates, versions, ZIP codes -- must
survive: an analyst who cannot see "order #123456789" cannot act on the feedback.
Cheap substring/digit gates skip a kind's regex for texts that cannot contain it,
which is most feedback.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from voc.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

PLACEHOLDERS: dict[str, str] = {
    "email": "[EMAIL]",
    "url": "[URL]",
    "iban": "[IBAN]",
    "card": "[CARD]",
    "phone": "[PHONE]",
    "address": "[ADDRESS]",
    "person": "[PERSON]",
}
#: Order in which kinds are applied, whatever order the caller lists them in: URLs
#: before emails (a URL may hold an address), IBANs before cards and phones (an IBAN's
#: digit groups would otherwise be half-eaten as a card or a phone number). Names last:
#: an e-mail address or URL that holds a name is already one placeholder.
KINDS: tuple[str, ...] = ("url", "email", "iban", "card", "phone", "address", "person")
#: Addresses are on by default: on ~56k real reviews, tweets and banking queries every
#: [ADDRESS] hit was a street address. Their weak spot is title-case phrases shaped like
#: one ("Top 10 Best Street Food"); benchmarks/pii_redaction.py measures both.
#: Names (voc/pii_names.py) are found by the context that introduces them ("Hi Olivia,",
#: "agent Sukhdeep", "^Davina") and by a learned tagger (voc/pii_tagger.py);
#: benchmarks/pii_redaction.py measures them on held-out hand-labelled support and airline tweets.
DEFAULT_KINDS: tuple[str, ...] = ("email", "url", "card", "iban", "phone", "address", "person")
#: earlier names of kinds, still accepted in configs and ``--set clean.pii_kinds=[...]``
ALIASES: dict[str, str] = {"name": "person"}

_SP = r"[ \u00a0\u202f]"  # space, no-break space, narrow no-break space (French typography)
_SEP = r"[ \u00a0\u202f.\-\u2010-\u2013]"  # ... dot, hyphen, typographic hyphens/dashes
_DIGIT_RUN = re.compile(r"\d+")


# --------------------------------------------------------------------------- checksums
_LUHN_DOUBLE = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def luhn_valid(digits: str) -> bool:
    """Luhn checksum of a digit string; 9 in 10 random digit strings fail it, which is
    what keeps 16-digit order ids from being redacted as cards."""
    if not digits.isdigit():
        return False
    odd = sum(int(c) for c in digits[-1::-2])
    even = sum(_LUHN_DOUBLE[int(c)] for c in digits[-2::-2])
    return (odd + even) % 10 == 0


# Per-country IBAN lengths (SWIFT IBAN registry). Only listed countries are recognised.
_IBAN_LENGTHS: dict[str, int] = {
    item[:2]: int(item[2:])
    for item in (
        "AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 "
        "DE22 DJ27 DK18 DO28 EE20 EG29 ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 "
        "GT28 HR21 HU28 IE22 IL23 IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 "
        "LV21 LY25 MC27 MD24 ME22 MK19 MN20 MR27 MT31 MU30 NI28 NL18 NO15 OM23 PK24 PL28 "
        "PS29 PT25 QA29 RO24 RS22 RU33 SA24 SC31 SD18 SE24 SI19 SK24 SM27 SO23 ST25 SV28 "
        "TL23 TN24 TR26 UA29 VA22 VG24 XK20 YE30"
    ).split()
}


def iban_valid(candidate: str) -> bool:
    """ISO 13616 check: known country, that country's length, mod-97 == 1. Spaces and
    dashes are ignored; a random string passes the checksum 1 time in 97."""
    s = re.sub(r"[\s\-]", "", candidate).upper()
    if len(s) < 15 or _IBAN_LENGTHS.get(s[:2]) != len(s) or not s[2:4].isdigit() or not s.isalnum():
        return False
    rearranged = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


# --------------------------------------------------------------------------- patterns
_EMAIL = re.compile(  # local part (o'brien too) @ labels . alphabetic TLD
    r"(?<![\w.%+\-'])[\w.%+\-]+(?:'[\w.%+\-]+)*@(?:[^\W_](?:[\w\-]*[^\W_])?\.)+[^\W\d_]{2,24}(?![\w\-@])"
)

_TLDS = "com|net|org|io|co|app|dev|info|biz|me|us|uk|de|fr|in|eu|ly|gl|gg|ai|xyz|tv|shop|store|site|link"
_URL = re.compile(r"(?:\b(?:https?|ftp)://|(?<![@\w.\-/])www\.)[^\s<>\"'`]*", re.IGNORECASE)
_BARE_URL = re.compile(rf"(?<![@\w.\-/])(?:[a-z0-9\-]+\.)+(?:{_TLDS})/[^\s<>\"'`]*", re.IGNORECASE)  # bit.ly/x
_BARE_URL_GATE = re.compile(rf"\.(?:{_TLDS})/")
_URL_TRAIL = ".,;:!?'\"]}>"



def _iban_pattern() -> re.Pattern[str]:
    """One alternative per IBAN length, so a match stops exactly where that country's
    IBAN ends instead of swallowing a following word or a second IBAN."""
    by_len: dict[int, list[str]] = {}
    for cc, n in _IBAN_LENGTHS.items():
        by_len.setdefault(n, []).append(cc)
    shapes = (rf"(?:{'|'.join(sorted(ccs))}) ?\d\d(?:[ \-]?[A-Z0-9]){{{n - 4}}}" for n, ccs in sorted(by_len.items()))
    return re.compile(r"(?<!\w)(?=[A-Za-z]{2} ?\d\d)(?:" + "|".join(shapes) + r")(?![A-Za-z0-9])", re.IGNORECASE)


_IBAN = _iban_pattern()

# Cards: contiguous 13-19 digits, or printed groups (4-4-4-4[-3], 4-6-5 Amex, 4-6-4
# Diners). First digit 2-6: the issuer ranges of Visa, Mastercard, Amex, Discover, JCB,
# Diners, UnionPay and Maestro; ids starting 0/1/7/8/9 are left alone. The look-behinds
# keep a match from starting inside a grouped number (an IBAN with a bad checksum).
_CARD = re.compile(
    r"[2-6](?<![\w.][2-6])(?<!\d,[2-6])(?<!\d[ \-][2-6])(?:"
    r"\d{12,18}"
    r"|\d{3}(?P<s1>[ \-])\d{4}(?P=s1)\d{4}(?P=s1)\d{1,4}(?:(?P=s1)\d{1,3})?"
    r"|(?<=3)\d{3}(?P<s2>[ \-])\d{6}(?P=s2)\d{4,5}"
    r")(?![\w]|[.,]\d)"
)

# Phones, by shape. Each alternative is narrow on purpose; the callback checks digit
# counts. Dates (2024-03-15, 15/03/2024), ZIP+4 (94103-1234), prices and versions do not
# have these shapes or digit counts. The first character is consumed up front and each
# shape checks it with a look-behind: a pattern that starts with a character class lets
# re jump from digit to digit instead of trying every position of the text (3-5x faster).
_PHONE = re.compile(
    rf"""
    [\d+(](?<![\w+\#/\-][\d+(])(?<!\d,[\d+(])(?<!\d[ .\-][\d+(])(?<!\d\.[\d+(])   # not inside another number
    (?:
      (?P<intl>(?:(?<=\()\+|(?<=\+)|(?<=[0(])0(?=[1-9]\d{{0,2}}{_SEP}))[1-9]\d{{0,2}}\)?  # +CC / 00CC
         (?:{_SEP}?\(0\))?                                                     # +33 (0)1 ...
         (?:\)?{_SEP}{{0,2}}\(?\d{{1,12}}(?!\d)\)?){{1,6}})
    | (?P<us>(?<=1){_SEP}(?:\(\d{{3}}\){_SP}?\d{{3}}{_SEP}\d{{4}}|\d{{3}}(?P<uss>{_SEP})\d{{3}}(?P=uss)\d{{4}})  # 1-800
           |(?<=\()\d{{3}}\){_SP}?\d{{3}}{_SEP}\d{{4}}                                     # (555) 010-4477
           |(?<=\d)\d{{2}}(?P<uss2>{_SEP})\d{{3}}(?P=uss2)\d{{4}})                          # 555-010-4477
    | (?P<nat>(?<=0)[1-9]\d{{0,4}}(?P<ns>[ \u00a0\u202f.\-/])\d{{2,8}}(?:(?P=ns)\d{{2,8}}){{0,4}})  # 020 7946 0958
    | (?P<natp>(?<=\()0\d{{1,4}}\){_SP}?\d{{2,8}}(?:{_SEP}\d{{2,8}}){{0,3}})                 # (020) 7946 0958
    | (?P<natc>(?<=0)[1-9]\d{{8,10}})                                                     # 07700900123
    | (?P<inl>(?<=[6-9])\d{{4}}[ \-]\d{{5}})                                              # 98765 43210
    )
    (?P<ext>{_SP}*(?i:ext\.?|extension|x){_SP}*\d{{1,5}})?
    (?![\w]|[.,\-/]\d)
    """,
    re.VERBOSE,
)
# A bare 10-11 digit run is a phone only right after a phone word ("call me on
# 5550104477") or if it is a North American toll-free number (18004337300).
# Digit-led (runs are rare, so this is cheap); the callback looks back for the word.
_BARE_RUN = re.compile(r"\d(?<![\w+#./\-]\d)(?<!\d,\d)\d{9,10}(?![\w]|[.,\-/]\d)")
_PHONE_WORD = re.compile(
    r"(?<!\[)(?i:\b(?:phone|tel|telephone|mobile|cell|cellphone|whatsapp|sms|fax|call|text\s+me|ring\s+me|reach\s+me)\b)"
    r"[^\d\n#\[]{0,25}$"  # no placeholder in between: "Call [PHONE]. Ticket 0027841130"
)
_TOLL_FREE = re.compile(r"1?8(?:00|33|44|55|66|77|88)\d{7}")

# Street addresses: number + capitalised name + street type (EN), number + voie + name
# (FR), name+straße + number (DE). Capitalisation and the street-type word carry the
# precision; "10 Best Street Food" style title case is the known false positive.
_ST_TYPE = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|Terrace|Way|"
    r"Close|Crescent|Parkway|Pkwy|Highway|Hwy|Square|Sq|Circle|Cir|Row|Mews|Gardens)"
)
_ADDRESS_EN = re.compile(
    rf"\d(?<!\w\d)\d{{0,4}}[A-Za-z]?(?:[\-/]\d{{1,5}}[A-Za-z]?)?,?{_SP}+"
    rf"(?:(?:[A-Z][A-Za-z'\u2019\-]+|\d{{1,3}}(?:st|nd|rd|th)|[NSEW]\.?){_SP}+){{1,3}}{_ST_TYPE}\b\.?"
    rf"(?:{_SP}+(?:NE|NW|SE|SW|N|S|E|W)\b)?"
    rf"(?:,?{_SP}+(?:Apt|Apartment|Suite|Ste|Unit|Flat)\.?{_SP}*\#?\w{{1,5}}\b)?"
)
_ADDRESS_FR = re.compile(
    rf"\d(?<!\w\d)\d{{0,3}}(?:{_SP}?(?:bis|ter))?,?{_SP}+"
    rf"(?i:rue|avenue|av\.|boulevard|bd|place|chemin|all[ée]e|impasse|quai|route){_SP}+"
    rf"(?:(?:de|du|des|la|le|les|l['\u2019]|d['\u2019]){_SP}*){{0,3}}"
    rf"[A-ZÀ-Ý][\w'\u2019\-]+(?:{_SP}+[A-ZÀ-Ý][\w'\u2019\-]+){{0,3}}"
)
_ADDRESS_DE = re.compile(
    rf"[A-ZÄÖÜ](?<!\w[A-ZÄÖÜ])"
    rf"(?:[a-zäöüß\-]+(?:straße|strasse|str\.|weg|platz|allee|gasse)(?:{_SP}+|(?<=\.))"
    rf"|[a-zäöüß]+{_SP}+(?:Straße|Strasse|Str\.|Weg|Platz|Allee|Gasse){_SP}+)\d{{1,4}}[a-z]?\b"
)

# Gates: a step's regex runs only if the text could hold a match. They, and the patterns
# above, are digit-led where possible: Python's re then skips straight to digits, which
# are rare in prose, instead of trying a match at every letter.
_NUM_GATE = re.compile(r"\d(?:\D{0,3}\d){5}")  # >= 6 digits close together
_ANY_DIGIT = re.compile(r"\d")
_EMAIL_GATE = re.compile(r"@[\w\-]+\.[^\W\d_]")
_IBAN_GATE = re.compile(r"\d(?:(?<=[A-Za-z]{2}\d)|(?<=[A-Z]{2} \d))\d")


# --------------------------------------------------------------------------- callbacks
def _url_repl(m: re.Match[str]) -> str:
    s = m.group(0)
    end = len(s)
    while end and (s[end - 1] in _URL_TRAIL or (s[end - 1] == ")" and s.count("(", 0, end) < s.count(")", 0, end))):
        end -= 1
    return "[URL]" + s[end:]


def _iban_repl(m: re.Match[str]) -> str:
    return "[IBAN]" if iban_valid(m.group(0)) else m.group(0)


def _card_repl(m: re.Match[str]) -> str:
    """Try the whole match, then drop trailing groups: '4111 1111 1111 1111 12/25' is a
    card followed by an expiry month, not an 18-digit number."""
    s = m.group(0)
    runs = list(_DIGIT_RUN.finditer(s))
    for k in range(len(runs), 0, -1):
        digits = "".join(r.group(0) for r in runs[:k])
        if len(digits) < 13:
            break
        if len(digits) <= 19 and luhn_valid(digits):
            return "[CARD]" + s[runs[k - 1].end() :]
    return s


_PHONE_SHAPES = ("intl", "us", "nat", "natp", "natc", "inl")


def _phone_repl(m: re.Match[str]) -> str:
    full = m.group(0)
    body = full[: m.start("ext") - m.start()] if m.group("ext") else full  # "ext. 12" goes with it
    shape = next(g for g in _PHONE_SHAPES if m.group(g) is not None)
    if shape in ("us", "natc", "inl"):  # the pattern fixes the digit count
        return "[PHONE]"
    if shape != "intl":  # national formats with a trunk 0: 10-12 digits
        return "[PHONE]" if 10 <= sum(c.isdigit() for c in body) <= 12 else full
    # E.164: 8-15 digits, not counting a trunk "(0)" or a "00" dialling prefix; a "00"
    # number needs 9, so "0016 964012" (a bag tag) is not 00 + 16 + phone.
    prefix = 2 if body.lstrip("(").startswith("00") else 0
    skip = prefix + (1 if "(0)" in body else 0)
    total, cut = 0, len(body)
    for r in _DIGIT_RUN.finditer(body):
        if total + len(r.group(0)) - skip > 15:  # trailing digits that cannot belong to it
            cut = r.start()
            break
        total += len(r.group(0))
    if total - skip < 8 + prefix // 2:
        return full
    if cut == len(body):
        return "[PHONE]"
    kept = body[:cut].rstrip(" \u00a0\u202f.-(")
    return "[PHONE]" + full[len(kept) :]


def _phone_kw_repl(m: re.Match[str]) -> str:
    before = m.string[max(0, m.start() - 45) : m.start()]
    return "[PHONE]" if _TOLL_FREE.fullmatch(m.group(0)) or _PHONE_WORD.search(before) else m.group(0)


def _const(placeholder: str) -> Callable[[re.Match[str]], str]:
    return lambda m: placeholder


def _has_email_chars(text: str) -> bool:
    return "@" in text and _EMAIL_GATE.search(text) is not None  # not for bare @mentions


def _has_scheme_or_www(text: str) -> bool:
    return "://" in text or "www" in text or "WWW" in text


def _redact_names(text: str, keep: frozenset[str] = frozenset(), learned: bool = True) -> str:
    from voc.pii_names import redact_names

    return redact_names(text, keep, learned=learned)


_Gate = Callable[[str], bool]
# (gate, regex, replacement) or (gate, function of the whole text, None)
_Step = tuple[_Gate, "re.Pattern[str] | Callable[[str], str]", "Callable[[re.Match[str]], str] | None"]
_has_digit_cluster: _Gate = lambda t: _NUM_GATE.search(t) is not None  # noqa: E731
_has_iban_start: _Gate = lambda t: _IBAN_GATE.search(t) is not None  # noqa: E731
_has_digit: _Gate = lambda t: _ANY_DIGIT.search(t) is not None  # noqa: E731
_has_bare_url: _Gate = lambda t: _BARE_URL_GATE.search(t) is not None  # noqa: E731
_always: _Gate = lambda t: True  # noqa: E731  (voc.pii_names has its own gate)

# kind -> (gate, regex, replacement) steps; a gate is a cheap test that lets most texts
# skip the regex.
_PASSES: dict[str, tuple[_Step, ...]] = {
    "url": ((_has_scheme_or_www, _URL, _url_repl), (_has_bare_url, _BARE_URL, _url_repl)),
    "email": ((_has_email_chars, _EMAIL, _const("[EMAIL]")),),
    "iban": ((_has_iban_start, _IBAN, _iban_repl),),
    "card": ((_has_digit_cluster, _CARD, _card_repl),),
    "phone": ((_has_digit_cluster, _PHONE, _phone_repl), (_has_digit_cluster, _BARE_RUN, _phone_kw_repl)),
    "address": ((_has_digit, _ADDRESS_EN, _const("[ADDRESS]")), (_has_digit, _ADDRESS_FR, _const("[ADDRESS]")),
                (_has_digit, _ADDRESS_DE, _const("[ADDRESS]"))),
    "person": ((_always, _redact_names, None),),
}


# --------------------------------------------------------------------------- API
class Redactor:
    """Replace PII with ``[EMAIL]``, ``[URL]``, ``[CARD]``, ``[IBAN]``, ``[PHONE]``,
    ``[ADDRESS]``, ``[PERSON]``. Kinds always run in :data:`KINDS` order, whatever order is given."""

    def __init__(self, kinds: Sequence[str] = DEFAULT_KINDS, keep_words: Sequence[str] = (),
                 name_tagger: bool = True) -> None:
        self.kinds = kinds
        self.keep_words = keep_words
        self.name_tagger = name_tagger  # names no cue introduces, by voc.pii_tagger (False: the cue rules only)
        self._passes: list[tuple[str, tuple[_Step, ...]]] | None = None

    def _keep(self) -> frozenset[str]:
        """Words never redacted as names (``keep_words``: your brand, a product that
        looks like a first name), lower-cased."""
        return frozenset(str(w).lower() for w in (self.keep_words or ()))

    def _get_passes(self) -> list[tuple[str, tuple[_Step, ...]]]:
        if self._passes is None:
            kinds = [self.kinds] if isinstance(self.kinds, str) else list(self.kinds)
            kinds = [ALIASES.get(k, k) for k in kinds]
            unknown = [k for k in kinds if k not in _PASSES]
            if unknown:
                raise ConfigError(f"unknown PII kind(s) {unknown}; known kinds: {', '.join(KINDS)}")
            self._passes = [(k, _PASSES[k]) for k in KINDS if k in kinds]
        return self._passes

    def holds_name(self, value: str) -> bool:
        """With the ``person`` kind on: is the whole of ``value`` a person's name ("Olivia
        Smith", "olivia.smith")? For ids and labels, where no greeting or role word says so."""
        if not any(k == "person" for k, _ in self._get_passes()):
            return False
        from voc.pii_names import is_name_value

        return is_name_value(value)

    def redact(self, text: str) -> str:
        """Redacted copy of ``text``."""
        return self._run(text, None)

    def redact_with_counts(self, text: str) -> tuple[str, dict[str, int]]:
        """Redacted text and how many values of each enabled kind were replaced (zeros
        included, so callers can sum without key checks)."""
        counts = {k: 0 for k, _ in self._get_passes()}
        return self._run(text, counts), counts

    def _run(self, text: str, counts: dict[str, int] | None) -> str:
        gates: dict[_Gate, bool] = {}  # card and phone share a gate: test it once
        for kind, steps in self._get_passes():
            for gate, rx, repl in steps:
                ok = gates.get(gate)
                if ok is None:
                    ok = gates[gate] = gate(text)
                if not ok:
                    continue
                if repl is not None:
                    new = rx.sub(repl, text)  # type: ignore[union-attr]
                else:
                    new = rx(text, self._keep(), self.name_tagger)  # type: ignore[operator,call-arg]
                if counts is not None and new != text:
                    ph = PLACEHOLDERS[kind]
                    counts[kind] += new.count(ph) - text.count(ph)
                text = new
        return text

    def redact_series(self, s: pd.Series) -> tuple[pd.Series, dict[str, int]]:
        """Redact every string of ``s`` (non-strings such as NaN pass through), with
        total counts. Duplicate texts -- common in feedback ("Great!") -- are redacted
        once; the index, name and dtype of ``s`` are kept."""
        import pandas as pd

        totals = {p[0]: 0 for p in self._get_passes()}
        if "person" in totals:
            return self._redact_series_with_names(s, totals)
        cache: dict[str, tuple[str, dict[str, int]]] = {}
        out: list[object] = []
        for v in s.tolist():
            if not isinstance(v, str):
                out.append(v)
                continue
            hit = cache.get(v)
            if hit is None:
                hit = cache[v] = self.redact_with_counts(v)
            out.append(hit[0])
            for k, n in hit[1].items():
                if n:
                    totals[k] += n
        return pd.Series(out, index=s.index, name=s.name, dtype=s.dtype), totals

    def _redact_series_with_names(self, s: "pd.Series", totals: dict[str, int]) -> tuple["pd.Series", dict[str, int]]:
        """Names over a whole batch: words the batch shows to be brands or places
        (:func:`voc.pii_names.corpus_keep`: "Hi Fernbrook," where the feedback also says
        "ordered from Fernbrook") are kept, with ``keep_words``."""
        import pandas as pd

        from voc.pii_names import corpus_keep, find_names, replace_spans

        others = Redactor([k for k, _ in self._get_passes() if k != "person"])
        keep = self._keep()
        values = s.tolist()
        first: dict[str, tuple[str, dict[str, int], list[tuple[int, int]]]] = {}
        for v in values:
            if isinstance(v, str) and v not in first:
                text, counts = others.redact_with_counts(v)
                first[v] = (text, counts, find_names(text, keep, learned=self.name_tagger))
        guard = corpus_keep([(t, sp) for t, _, sp in first.values()])
        done: dict[str, tuple[str, int]] = {}
        for v, (text, _, spans) in first.items():
            if guard:
                from voc.pii_names import _first_word

                spans = [(a, b) for a, b in spans if _first_word(text, a) not in guard]
            done[v] = (replace_spans(text, spans) if spans else text, len(spans))
        out: list[object] = []
        for v in values:
            if not isinstance(v, str):
                out.append(v)
                continue
            text, n_names = done[v]
            out.append(text)
            for k, n in first[v][1].items():
                totals[k] += n
            totals["person"] += n_names
        return pd.Series(out, index=s.index, name=s.name, dtype=s.dtype), totals


_DEFAULT = Redactor()


def redact(text: str) -> str:
    """Redact ``text`` with the default kinds."""
    return _DEFAULT.redact(text)


# --------------------------------------------------------------------------- ids and labels
#: A pseudonymised id: ``id-`` + the first 16 hex digits of the SHA-256 of the raw id
#: (64 bits: no collision in practice even across millions of ids, which would merge
#: two customers' documents in the store).
PSEUDONYM = re.compile(r"id-[0-9a-f]{16}")


def pseudonym(value: str) -> str:
    """The stable stand-in for an id that holds personal data. Plain SHA-256 on purpose:
    whoever has the original export can recompute it and join (``hashlib.sha256(id.encode())``)."""
    import hashlib

    return "id-" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:16]


#: Columns holding ids that are pseudonymised alike, so a reply still points at its parent
#: and a customer's messages stay linked: a document's id, its customer, thread and parent.
ID_COLUMNS = ("doc_id", "customer", "thread", "reply_to")


def redact_fields(frame: "pd.DataFrame", labels: Sequence[str], redactor: Redactor | None = None
                  ) -> tuple["pd.DataFrame", dict[str, int]]:
    """``frame`` with each id (:data:`ID_COLUMNS`) holding personal data replaced by its
    :func:`pseudonym` (ids without any kept as they are) and the ``labels`` columns
    (channel, segments) redacted like text, and a label that is a whole person's name
    replaced by ``[PERSON]``. Idempotent, so ingest and the clean stage
    can both apply it: a pseudonym is never pseudonymised again."""
    import pandas as pd

    red = redactor or _DEFAULT
    out = frame.copy()
    counts = {"ids": 0, "labels": 0}
    ids = [c for c in ID_COLUMNS if c in out]
    if ids and len(out):
        mapping = {}
        for v in pd.unique(pd.concat([out[c].dropna() for c in ids], ignore_index=True)).tolist():
            s = str(v)
            if not PSEUDONYM.fullmatch(s) and (red.redact(s) != s or red.holds_name(s)):
                mapping[v] = pseudonym(s)
        if mapping:
            for c in ids:
                hit = out[c].isin(list(mapping))
                counts["ids"] += int(hit.sum()) if c == "doc_id" else 0
                if hit.any():
                    out[c] = out[c].map(lambda v: mapping.get(v, v)).astype(frame[c].dtype)
    for c in labels:
        if c in out and len(out):
            redacted, n = red.redact_series(out[c])
            counts["labels"] += sum(n.values())
            whole = redacted.map(lambda v: isinstance(v, str) and red.holds_name(v)).astype(bool)
            if whole.any():  # a segment that is a person's name ("agent: Olivia Smith")
                counts["labels"] += int(whole.sum())
                redacted = redacted.where(~whole, PLACEHOLDERS["person"])
            out[c] = redacted
    return out, counts
