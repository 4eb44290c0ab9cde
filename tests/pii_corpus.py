"""Seeded synthetic corpus for measuring PII redaction recall and false positives.

Each item is a customer-feedback-like text built from fragments whose offsets are
recorded, so the evaluation knows exactly where every PII value and every ordinary
number sits. A PII value counts as redacted only if none of its letters/digits survive;
an ordinary number counts as a false positive if any of its characters were redacted.
Used by tests/test_pii.py and benchmarks/pii_redaction.py.
"""

from __future__ import annotations

import random
import re
import string
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

PII_KINDS = ("email", "url", "card", "iban", "phone", "address")


@dataclass(frozen=True)
class Span:
    kind: str  # a PII kind, or a negative category ("order_id", "price", ...)
    fmt: str  # finer label: phone format, card brand, IBAN country, ...
    value: str
    start: int
    end: int


@dataclass(frozen=True)
class Item:
    text: str
    pii: tuple[Span, ...]
    negatives: tuple[Span, ...]


# ------------------------------------------------------------------------ value makers
FIRST = ["john", "maria", "li", "ahmed", "sofia", "lukas", "chloe", "raj", "emma", "jose", "ana", "tom", "olga"]
LAST = ["smith", "garcia", "wang", "khan", "rossi", "muller", "martin", "patel", "dupont", "silva", "brown", "sato"]
DOMAINS = ["gmail.com", "outlook.fr", "example.co.uk", "mail.acme-corp.com", "yahoo.de", "proton.me", "uni-bonn.de",
           "web.in"]
NAMES = ["Baker", "Pennsylvania", "Elm", "Oak", "Maple", "Church", "High", "Station", "King", "Victoria", "Mill",
         "Park", "Cedar", "Washington", "Lake", "Sunset", "Queens", "Abbey"]
EN_TYPES = ["Street", "St", "Avenue", "Ave", "Road", "Rd", "Boulevard", "Blvd", "Lane", "Drive", "Court", "Place",
            "Terrace", "Way", "Close", "Crescent", "Square"]
FR_NAMES = ["la Paix", "Rivoli", "Victor Hugo", "la République", "Gambetta", "Jean Jaurès", "Montmartre", "Lafayette"]
DE_NAMES = ["Haupt", "Bahnhof", "Schiller", "Goethe", "Linden", "Kirch", "Garten", "Berg"]


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def _luhn_check_digit(body: str) -> str:
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c)
        if i % 2 == 0:  # these positions are doubled once the check digit is appended
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def _luhn_ok(digits: str) -> bool:
    return _luhn_check_digit(digits[:-1]) == digits[-1]


def _group(digits: str, sizes: list[int], sep: str) -> str:
    out, i = [], 0
    for s in sizes:
        out.append(digits[i : i + s])
        i += s
    if i < len(digits):
        out.append(digits[i:])
    return sep.join(p for p in out if p)


CARD_BRANDS = {  # brand: (prefixes, length)
    "visa16": (["4"], 16), "visa13": (["4"], 13), "visa19": (["4"], 19),
    "mastercard": (["51", "53", "55", "2221", "2720"], 16),
    "amex": (["34", "37"], 15), "discover": (["6011", "65"], 16), "jcb": (["3528", "3589"], 16), "diners": (["36"], 14),
}


def make_card(rng: random.Random) -> tuple[str, str]:
    brand = rng.choice(list(CARD_BRANDS))
    prefixes, n = CARD_BRANDS[brand]
    body = rng.choice(prefixes)
    body += _digits(rng, n - 1 - len(body))
    digits = body + _luhn_check_digit(body)
    style = rng.choice(["space", "dash", "plain"])
    if style == "plain":
        return digits, brand
    sep = " " if style == "space" else "-"
    sizes = {15: [4, 6, 5], 14: [4, 6, 4]}.get(n, [4, 4, 4, 4])
    return _group(digits, sizes, sep), brand


def make_noncard16(rng: random.Random) -> str:
    """16 digits that fail Luhn, printed like a card number or as one run."""
    while True:
        d = rng.choice("123456789") + _digits(rng, 15)
        if not _luhn_ok(d):
            break
    return _group(d, [4, 4, 4, 4], rng.choice([" ", "-"])) if rng.random() < 0.5 else d


IBAN_BBAN = {  # country: BBAN layout, n = digit, a = upper letter, c = alnum
    "DE": "n" * 18, "GB": "aaaa" + "n" * 14, "FR": "n" * 10 + "c" * 11 + "nn", "ES": "n" * 20,
    "IT": "a" + "n" * 10 + "c" * 12,
    "NL": "aaaa" + "n" * 10, "BE": "n" * 12, "CH": "n" * 5 + "c" * 12, "AT": "n" * 16, "PL": "n" * 24, "PT": "n" * 21,
    "IE": "aaaa" + "n" * 14, "SE": "n" * 20, "DK": "n" * 14, "NO": "n" * 11, "LU": "nnn" + "c" * 13,
}


def _mod97(s: str) -> int:
    return int("".join(str(int(c, 36)) for c in s)) % 97


def make_iban(rng: random.Random, valid: bool = True) -> tuple[str, str]:
    cc = rng.choice(list(IBAN_BBAN))
    pools = {"n": string.digits, "a": string.ascii_uppercase, "c": string.digits + string.ascii_uppercase}
    bban = "".join(rng.choice(pools[k]) for k in IBAN_BBAN[cc])
    check = 98 - _mod97(bban + cc + "00")
    if not valid:
        check = (check - 2 + rng.randint(1, 96)) % 97 + 2  # any other value in 2..98
    iban = f"{cc}{check:02d}{bban}"
    r = rng.random()
    if r < 0.6:
        return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4)), cc
    return (iban.lower() if r > 0.95 else iban), cc


def make_phone(rng: random.Random) -> tuple[str, str]:
    d = lambda n: _digits(rng, n)  # noqa: E731
    a = rng.choice(["555", str(rng.randint(201, 989))])
    fr = ["0" + rng.choice("1234567")] + [d(2) for _ in range(4)]
    mob = rng.choice("6789") + d(9)
    fmts: dict[str, list[str]] = {
        "us_paren": [f"({a}) {d(3)}-{d(4)}", f"({a}){d(3)}-{d(4)}"],
        "us_dash": [f"{a}-{d(3)}-{d(4)}", f"{a}-{d(3)}-{d(4)} ext. {d(2)}"],
        "us_dot_space": [f"{a}.{d(3)}.{d(4)}", f"{a} {d(3)} {d(4)}"],
        "us_plus1": [f"+1 {a} {d(3)} {d(4)}", f"+1-{a}-{d(3)}-{d(4)}", f"+1 ({a}) {d(3)}-{d(4)}", f"+1{a}{d(7)}"],
        "us_tollfree": [f"1-800-{d(3)}-{d(4)}", f"1 (888) {d(3)}-{d(4)}"],
        "us_keyword": [f"{a}{d(7)}"],  # a bare run: only a keyword before it marks it as a phone
        "uk_london": [f"020 7946 {d(4)}", f"+44 20 7946 {d(4)}", f"(020) 7946 {d(4)}", f"+44 (0)20 7946 {d(4)}",
                      f"020-7946-{d(4)}"],
        "uk_mobile": [f"07700 900{d(3)}", f"+44 7700 900{d(3)}", f"07{d(3)}{d(6)}", f"+447700900{d(3)}",
                      f"07700-900-{d(3)}"],
        "uk_geo": [f"0161 496 {d(4)}", f"01632 960{d(3)}"],
        "fr": [" ".join(fr), ".".join(fr), "-".join(fr), "".join(fr), "+33 " + " ".join([fr[0][1]] + fr[1:]),
               "+33 (0)" + " ".join([fr[0][1]] + fr[1:]), "+33" + "".join(fr)[1:]],
        "de": [f"+49 30 {d(8)}", f"030 {d(8)}", f"030/{d(8)}", f"0171 {d(7)}", f"+49 (0)30 {d(7)}", f"+49 171 {d(7)}",
               f"089 {d(3)} {d(4)}", f"+49-30-{d(8)}", f"0049 30 {d(8)}", f"(030) {d(7)}", f"030-{d(8)}"],
        "in": [f"+91 {mob[:5]} {mob[5:]}", f"{mob[:5]} {mob[5:]}", f"+91-{mob}", f"+91 {mob[:5]}-{mob[5:]}",
               f"0{mob[:5]} {mob[5:]}"],
        "intl": [f"+61 2 {d(4)} {d(4)}", f"+81 3-{d(4)}-{d(4)}", f"+86 138 {d(4)} {d(4)}",
                 f"+34 612 {d(2)} {d(2)} {d(2)}",
                 f"+39 06 {d(4)} {d(4)}", f"+31 20 {d(3)} {d(4)}", f"+55 11 9{d(4)}-{d(4)}", f"+27 21 {d(3)} {d(4)}",
                 f"0044 20 7946 {d(4)}", f"(+44) 20 7946 {d(4)}", f"+353 1 {d(3)} {d(4)}", f"+65 6{d(3)} {d(4)}",
                 f"+852 2{d(3)} {d(4)}", f"+41 44 {d(3)} {d(2)} {d(2)}", f"+7 (495) {d(3)}-{d(2)}-{d(2)}"],
    }
    fmt = rng.choice(list(fmts))
    return rng.choice(fmts[fmt]), fmt


def make_email(rng: random.Random) -> tuple[str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    local = rng.choice([f"{first}.{last}", f"{first[0]}{last}{rng.randint(1, 99)}", f"{first}_{last}+orders",
                        f"{last}.{first}", "josé.garcía", f"{first}.o'{last}", f"{first.upper()}.{last.upper()}",
                        f"{last}{rng.randint(1970, 2005)}"])
    return f"{local}@{rng.choice(DOMAINS)}", "email"


def make_url(rng: random.Random) -> tuple[str, str]:
    tok = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(rng.randint(12, 32)))
    host = rng.choice(["shop.example.com", "accounts.acme.io", "track.parcel-co.de", "help.example.org"])
    return rng.choice([
        f"https://{host}/reset?token={tok}",
        f"https://{host}/orders/{_digits(rng, 9)}?uid={_digits(rng, 6)}&sig={tok}",
        f"http://{host}/unsubscribe?email={rng.choice(FIRST)}%40gmail.com",
        f"www.{host}/account/{tok}",
        f"{host}/t/{tok}",
        f"HTTPS://{host.upper()}/R/{tok}",
        f"https://{host}/survey?id={_digits(rng, 8)}&lang=en#q3",
    ]), "url"


def make_address(rng: random.Random) -> tuple[str, str]:
    style = rng.choice(["en", "en", "en", "fr", "de"])
    if style == "en":
        num = rng.choice([str(rng.randint(1, 2500)), f"{rng.randint(1, 300)}{rng.choice('AB')}"])
        name = " ".join(rng.sample(NAMES, rng.choice([1, 1, 2])))
        extra = rng.choice(["", "", " NW", ", Apt 4B", " SE", ", Suite 200"])
        return f"{num} {name} {rng.choice(EN_TYPES)}{extra}", "en"
    if style == "fr":
        voie = rng.choice(["rue", "avenue", "boulevard", "place"])
        name = rng.choice(FR_NAMES)
        return f"{rng.randint(1, 180)} {voie} {'de ' if name[0].islower() else ''}{name}", "fr"
    name = rng.choice(DE_NAMES)
    return rng.choice([f"{name}straße {rng.randint(1, 120)}", f"{name}str. {rng.randint(1, 99)}a",
                       f"Berliner Straße {rng.randint(1, 200)}"]), "de"


PII_MAKERS = {"email": make_email, "url": make_url, "card": make_card, "iban": lambda r: make_iban(r, True),
              "phone": make_phone, "address": make_address}


def _ordinary(kind: str, r: random.Random) -> str:
    """An ordinary number of one category: these must survive redaction."""
    n, d = r.randint, lambda k: _digits(r, k)  # noqa: E731
    day, month = f"{n(1, 28):02d}", f"{n(1, 12):02d}"
    choices = {
        "order_id": [f"#{n(10**5, 10**10)}", str(n(10**8, 10**9)), f"ORD-2024-{d(6)}", f"no. {n(10**7, 10**8)}",
                     f"#{d(3)}-{d(7)}-{d(7)}"],
        "price": [f"${n(1, 9)},{d(3)}.{d(2)}", f"€{n(5, 500)}", f"£{n(1, 99)}.{d(2)}", f"{n(1, 9)}.{d(3)},00 €",
                  f"USD {n(1, 99)},{d(3)}", f"${n(5, 60)}.99/month"],
        "date": [f"2024-{month}-{day}", f"{day}/{month}/2024", f"{month}/{day}/2023", f"March {n(1, 28)}, 2024",
                 f"{day}.{month}.2024", f"2024/{month}/{day}", f"{day}-{month}-2024 {n(10, 23)}:{n(10, 59)}"],
        "time": [f"{n(0, 23):02d}:{n(0, 59):02d}", f"{n(1, 12)}:{n(10, 59)} am", f"{n(8, 11)}:00-{n(12, 18)}:00"],
        "year": [str(n(1995, 2025))],
        "quantity": [f"{n(2, 9)} x 500ml", f"{n(2, 40)} pcs", f"{n(1, 9)},000 units", f"{n(2, 24)} bottles"],
        "percentage": [f"{n(5, 90)}%", f"{n(1, 99)}.{n(1, 9)} %"],
        "version": [f"v{n(1, 9)}.{n(0, 20)}.{n(0, 9)}", f"iOS {n(14, 18)}.{n(0, 6)}.1", f"10.15.{n(1, 7)}",
                    f"4.12.0.{d(4)}", f"build {n(20, 24)}.{d(2)}.{d(4)}"],
        "zip": [str(n(10000, 99999)), f"{n(10000, 99999)}-{d(4)}", "75008", "10115", "SW1A 1AA"],
        "misc_number": ["1920x1080", f"{n(1, 30)}.5 kg", f"{n(2015, 2019)}-{n(2020, 2024)}", f"{n(1, 10)}/10",
                        f"1Z999AA1{d(10)}", f"INV-2024-{d(6)}", f"case {d(8)}", f"ticket 00{d(8)}",
                        f"{n(10, 99)}-{n(10, 99)} days", f"SKU {d(4)}-{d(4)}", f"ISBN 978-3-16-{d(6)}-0"],
    }
    if kind == "noncard16":
        return make_noncard16(r)
    if kind == "bad_iban":
        return make_iban(r, False)[0]
    return r.choice(choices[kind])


NEGATIVE_KINDS = ("order_id", "price", "date", "time", "year", "quantity", "percentage", "version", "zip",
                  "noncard16", "bad_iban", "misc_number")

#: Title-case phrases shaped like "number + Name + street word": the known weak spot of
#: address detection, measured separately from ordinary numbers.
ADDRESS_LOOKALIKES = [
    "Top 10 Best Street Food", "3 Great Way", "Windows 11 Home Drive", "2 Large Court shoes", "5 Star Place",
    "Route 66 Diner", "Level 3 Parking", "Gate 12 Terminal", "Chapter 11 Court filing", "Ocean's 11 Blu-ray",
    "Series 9 Apple Watch", "Galaxy S24 Ultra", "Windows 10 Pro", "Season 2 Episode 5", "Pixel 8 Pro", "Aisle 7",
    "Platform 9 Main Hall", "PS5 Slim Bundle", "Room 204 Tower Wing", "Model 3 Long Range",
]

PII_FRAMES = {
    "email": ["You can reach me at {v} if you need more details.", "My account email is {v}, please update it.",
              "I sent the receipt to {v} twice!", "Contact: {v}", "(write to {v})"],
    "url": ["The reset link {v} does not work.", "see {v}.", "Tracking page ({v}) is broken.", "Link: {v}"],
    "card": ["I was charged twice on my card {v}.", "Card used: {v} exp 12/27", "please refund to {v}",
             "My Visa {v} was declined at checkout."],
    "iban": ["Please refund to my account {v}.", "IBAN: {v}", "Bank details {v} (BIC DEUTDEFF)",
             "wire it to {v} thanks"],
    "phone": ["Call me back on {v} after 5pm.", "My number is {v}.", "I tried calling {v} three times.", "Tel: {v}",
              "Reach me at {v} or by email.", "They called me from {v} at 2am!"],
    "address": ["Deliver to {v} next time.", "The courier left it at {v} instead of at my door.",
                "I live at {v}, London.", "The store at {v} was closed."],
}
KEYWORD_FRAMES = ["Please call me on {v}.", "my cell is {v}", "Phone: {v}", "Mobile {v} (evenings)"]
NEG_FRAMES = ["My order {v} never arrived.", "I paid {v} for it.", "It came on {v} which is too late.",
              "Reference {v} in your system.", "The figure {v} on the invoice is right.", "It says {v} on the box."]
OPENERS = ["", "Hi team, ", "Honestly, ", "Update: ", "Not happy. ", "Great service overall. "]
CLOSERS = ["", " Thanks.", " Please fix this.", " Would not recommend.", " 5 stars otherwise!"]


def build_corpus(n: int = 1200, seed: int = 20240315) -> list[Item]:
    """``n`` texts: about 80% hold 1-2 PII values plus 0-2 ordinary numbers, the rest
    only ordinary numbers (which must come back unchanged)."""
    rng = random.Random(seed)
    items: list[Item] = []
    for i in range(n):
        parts: list[str | tuple[str, str, str]] = [rng.choice(OPENERS)]
        with_pii = i % 5 != 4
        pii_kinds = rng.sample(PII_KINDS, rng.choice([1, 1, 2])) if with_pii else []
        neg_kinds = rng.sample(NEGATIVE_KINDS, rng.choice([0, 1, 2] if with_pii else [1, 2, 3]))
        sentences: list[list[str | tuple[str, str, str]]] = []
        for k in pii_kinds:
            value, fmt = PII_MAKERS[k](rng)
            frames = KEYWORD_FRAMES if fmt == "us_keyword" else PII_FRAMES[k]
            sentences.append(_framed(rng.choice(frames), (k, fmt, value)))
        for k in neg_kinds:
            sentences.append(_framed(rng.choice(NEG_FRAMES), (k, k, _ordinary(k, rng))))
        if not with_pii and i % 10 == 4:
            sentences.append(_framed("I searched for {v} on your site.", ("address_lookalike", "title_case",
                                                                        rng.choice(ADDRESS_LOOKALIKES))))
        rng.shuffle(sentences)
        for j, s in enumerate(sentences):
            parts.extend(([" "] if j else []) + s)
        parts.append(rng.choice(CLOSERS))
        items.append(_assemble(parts))
    return items


def _framed(frame: str, slot: tuple[str, str, str]) -> list[str | tuple[str, str, str]]:
    before, after = frame.split("{v}")
    return [before, slot, after]


def _assemble(parts: list[str | tuple[str, str, str]]) -> Item:
    text, pii, neg = "", [], []
    for p in parts:
        if isinstance(p, str):
            text += p
            continue
        kind, fmt, value = p
        span = Span(kind, fmt, value, len(text), len(text) + len(value))
        (pii if kind in PII_KINDS else neg).append(span)
        text += value
    return Item(text, tuple(pii), tuple(neg))


# ------------------------------------------------------------------------ evaluation
_PLACEHOLDER = re.compile(r"\[(?:EMAIL|URL|IBAN|CARD|PHONE|ADDRESS)\]")


def redacted_spans(original: str, redacted: str) -> list[tuple[int, int, str]]:
    """(start, end, placeholder) for each span of ``original`` that ``redacted`` replaced.

    Redaction only swaps substrings for placeholders, so the literal text between
    placeholders anchors each replaced span."""
    pieces = _PLACEHOLDER.split(redacted)
    m = re.fullmatch("(.+?)".join(re.escape(p) for p in pieces), original, re.DOTALL)
    if m is None:
        raise ValueError(f"redaction changed text outside placeholders: {original!r} -> {redacted!r}")
    names = _PLACEHOLDER.findall(redacted)
    return [(*m.span(g), names[g - 1]) for g in range(1, len(pieces))]


def _covered(span: Span, text: str, cut: list[tuple[int, int, str]]) -> tuple[bool, set[str]]:
    """(every letter/digit of span redacted, placeholders that cover any of its characters)."""
    alnum = [i for i in range(span.start, span.end) if text[i].isalnum()]
    full = all(any(a <= i < b for a, b, _ in cut) for i in alnum)
    return full, {p for a, b, p in cut if a < span.end and b > span.start}


#: Negative categories that are not "ordinary numbers": an IBAN with a wrong checksum is
#: still bank data (redacting it as a phone is harmless; as [IBAN] it is a validator bug),
#: and address look-alikes measure the opt-in address kind.
NOT_ORDINARY = ("bad_iban", "address_lookalike")


def evaluate(redact: Callable[[str], str], items: list[Item], keep_failures: int = 20) -> dict:
    """Recall per PII kind and per format, false-positive rates per negative category."""
    found: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_fmt: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    neg: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    bad_iban_as_iban = clean_changed = clean_total = 0
    misses: list[dict[str, str]] = []
    false_pos: list[dict[str, str]] = []
    for it in items:
        out = redact(it.text)
        cut = redacted_spans(it.text, out)
        for s in it.pii:
            ok = _covered(s, it.text, cut)[0]
            for key, table in ((s.kind, found), (f"{s.kind}:{s.fmt}", by_fmt)):
                table[key][0] += ok
                table[key][1] += 1
            if not ok and len(misses) < keep_failures:
                misses.append({"kind": s.kind, "value": s.value, "output": out})
        for s in it.negatives:
            hit = _covered(s, it.text, cut)[1]
            neg[s.kind][0] += bool(hit)
            neg[s.kind][1] += 1
            bad_iban_as_iban += s.kind == "bad_iban" and "[IBAN]" in hit
            if hit and len(false_pos) < keep_failures:
                false_pos.append({"category": s.kind, "value": s.value, "output": out})
        if not it.pii and all(s.kind not in NOT_ORDINARY for s in it.negatives):
            clean_total += 1
            clean_changed += out != it.text
    ordinary = [v for k, v in neg.items() if k not in NOT_ORDINARY]
    fp_hits, fp_total = sum(v[0] for v in ordinary), sum(v[1] for v in ordinary)
    rate = lambda hit, total: round(hit / total, 4) if total else 0.0  # noqa: E731
    return {
        "recall": {k: rate(*v) for k, v in sorted(found.items())},
        "support": {k: v[1] for k, v in sorted(found.items())},
        "recall_by_format": {k: rate(*v) for k, v in sorted(by_fmt.items())},
        "fp_rate_ordinary_numbers": rate(fp_hits, fp_total),
        "ordinary_numbers": fp_total,
        "fp_rate_by_category": {k: rate(*v) for k, v in sorted(neg.items())},
        "support_by_category": {k: v[1] for k, v in sorted(neg.items())},
        "bad_iban_redacted_as_iban": rate(bad_iban_as_iban, neg["bad_iban"][1]),
        "clean_texts_changed": rate(clean_changed, clean_total),
        "clean_texts": clean_total,
        "misses": misses,
        "false_positives": false_pos,
    }
