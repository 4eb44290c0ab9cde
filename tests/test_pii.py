"""PII redaction: unit cases per kind, numbers that must survive, and recall/false
positives on the seeded corpus of tests/pii_corpus.py."""

from __future__ import annotations

import time

import pandas as pd
import pytest

from voc.errors import ConfigError
from voc.pii import KINDS, Redactor, iban_valid, luhn_valid, redact

try:
    from tests.pii_corpus import Item, build_corpus, evaluate, redacted_spans
except ImportError:  # tests/ is not a package: pytest put tests/ itself on sys.path
    from pii_corpus import Item, build_corpus, evaluate, redacted_spans  # type: ignore[no-redef]

ALL = Redactor(KINDS)  # the default kinds today; explicit so the tests outlive a default change

# Bounds the corpus test enforces (also stated in benchmarks/pii_redaction.py's output).
MIN_RECALL = {"email": 0.99, "card": 0.99, "iban": 0.99, "url": 0.99, "phone": 0.95, "address": 0.95}
MAX_FP_RATE_ORDINARY_NUMBERS = 0.005


def framed(value: str) -> str:
    return f"Hi, about my refund: {value} thanks."


# ----------------------------------------------------------------------------- cards
@pytest.mark.parametrize(
    "card",
    ["4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111", "5555 5555 5555 4444", "2221 0000 0000 0009",
     "3782 822463 10005", "378282246310005", "6011 1111 1111 1117", "3056 930902 5904", "4222222222222",
     "3530 1113 3330 0000", "4000 0000 0000 0000 006"],
)
def test_luhn_valid_cards_are_redacted(card: str) -> None:
    assert redact(framed(card)) == framed("[CARD]")


@pytest.mark.parametrize(
    "number",
    ["4111 1111 1111 1112", "4111111111111112", "1234 5678 9012 3456", "5555-5555-5555-4445", "378282246310006",
     "9111111111111111", "1111111111111117"],  # last two pass Luhn but no card starts with 9 or 1
)
def test_non_luhn_or_non_card_numbers_survive(number: str) -> None:
    assert redact(framed(number)) == framed(number)


def test_card_followed_by_expiry_keeps_the_expiry() -> None:
    assert redact("card 4111 1111 1111 1111 12/27") == "card [CARD] 12/27"


def test_luhn_function() -> None:
    assert luhn_valid("79927398713") and not luhn_valid("79927398710")
    assert not luhn_valid("") and not luhn_valid("4111-1111")


# ----------------------------------------------------------------------------- IBANs
VALID_IBANS = [
    "DE89 3704 0044 0532 0130 00", "DE89370400440532013000", "GB82 WEST 1234 5698 7654 32", "GB82WEST12345698765432",
    "FR14 2004 1010 0505 0001 3M02 606", "NL91 ABNA 0417 1643 00", "BE68 5390 0754 7034", "CH93 0076 2011 6238 5295 7",
    "ES91 2100 0418 4502 0005 1332", "IT60 X054 2811 1010 0000 0123 456", "NO93 8601 1117 947",
    "de89370400440532013000", "DE 89 3704 0044 0532 0130 00",
]


@pytest.mark.parametrize("iban", VALID_IBANS)
def test_valid_ibans_are_redacted(iban: str) -> None:
    assert iban_valid(iban)
    assert redact(framed(iban)) == framed("[IBAN]")


@pytest.mark.parametrize(
    "iban",
    ["DE88 3704 0044 0532 0130 00", "GB83 WEST 1234 5698 7654 32", "NL92ABNA0417164300",  # wrong check digits
     "FR15 2004 1010 0505 0001 3M02 606",
     "DE89 3704 0044 0532 0130 0", "XX89 3704 0044 0532 0130 00"],  # too short, unknown country
)
def test_invalid_ibans_are_not_redacted_as_ibans(iban: str) -> None:
    assert not iban_valid(iban)
    assert Redactor(["iban"]).redact(framed(iban)) == framed(iban)
    assert "[IBAN]" not in redact(framed(iban))


def test_iban_does_not_swallow_a_following_word_or_iban() -> None:
    out = redact("IBANs DE89370400440532013000 GB82WEST12345698765432 THANKS")
    assert out == "IBANs [IBAN] [IBAN] THANKS"


# ----------------------------------------------------------------------------- phones
@pytest.mark.parametrize(
    "phone",
    [
        "(555) 010-4477", "555-010-4477", "555.010.4477", "555 010 4477", "+1 555 010 4477", "+1 (555) 010-4477",
        "1-800-555-0199", "555-010-4477 ext. 12",  # US
        "+44 20 7946 0958", "020 7946 0958", "07700 900123", "(020) 7946 0958", "+44 (0)20 7946 0958",
        "07700900123",  # UK
        "+33 1 23 45 67 89", "01 23 45 67 89", "01.23.45.67.89", "+33 (0)1 23 45 67 89", "06 12 34 56 78",  # FR
        "+49 30 12345678", "030 12345678", "030/12345678", "0171 1234567", "+49 (0)30 1234567",  # DE
        "+91 98765 43210", "98765 43210", "+91-9876543210",  # IN
        "+61 2 9876 5432", "+81 3-1234-5678", "+86 138 0013 8000", "0044 20 7946 0958", "(+44) 20 7946 0958",
        "+7 (495) 123-45-67", "+447700900123",  # other international
    ],
)
def test_phone_formats_are_redacted(phone: str) -> None:
    assert redact(framed(phone)) == framed("[PHONE]")


def test_bare_digit_run_is_a_phone_only_after_a_phone_word() -> None:
    assert redact("Please call me on 5550104477.") == "Please call me on [PHONE]."
    assert redact("Mobile: 5550104477") == "Mobile: [PHONE]"
    assert redact("Order 5550104477 is late.") == "Order 5550104477 is late."
    assert redact("tap tel:+15550104477") == "tap tel:[PHONE]"
    assert redact("Call 020 7946 0958. Ticket 0027841130") == "Call [PHONE]. Ticket 0027841130"
    assert redact("please call us back!!! 5550104477") == "please call us back!!! [PHONE]"
    assert redact("Tel. 5550104477") == "Tel. [PHONE]"


# ----------------------------------------------------------------------------- emails and URLs
@pytest.mark.parametrize(
    "email",
    ["john.doe@example.com", "j_doe+orders@mail.example.co.uk", "JOHN@EXAMPLE.COM", "o'brien@example.ie",
     "josé.garcía@correo.es", "a1@b-c.io"],
)
def test_emails_are_redacted(email: str) -> None:
    assert redact(f"Write to {email}, please.") == "Write to [EMAIL], please."


def test_at_mentions_are_not_emails() -> None:
    assert redact("@BrandSupport your app crashed again") == "@BrandSupport your app crashed again"


@pytest.mark.parametrize(
    "url",
    ["https://shop.example.com/reset?token=Zx81kQ02pLm", "http://example.org/orders/123456789?uid=42&sig=abc",
     "www.example.com/account/8f3a9c", "bit.ly/3xYzAb9", "HTTPS://EXAMPLE.COM/R/TOKEN123", "https://example.com"],
)
def test_urls_are_redacted_whole(url: str) -> None:
    assert redact(f"The link ({url}) is broken.") == "The link ([URL]) is broken."


def test_url_holding_an_email_counts_once_as_url() -> None:
    assert Redactor().redact_with_counts("see https://x.com/unsub?email=john@x.com now") == (
        "see [URL] now", {"url": 1, "email": 0, "iban": 0, "card": 0, "phone": 0, "address": 0, "person": 0},
    )


# ----------------------------------------------------------------------------- addresses
@pytest.mark.parametrize(
    "address",
    ["221B Baker Street", "1600 Pennsylvania Ave NW", "10 Downing St", "350 5th Avenue", "742 Evergreen Terrace",
     "12 rue de la Paix", "Hauptstraße 5", "Berliner Straße 12", "1116 Victoria Way, Suite 200"],
)
def test_addresses_are_redacted(address: str) -> None:
    assert redact(f"Deliver to {address} next time.") == "Deliver to [ADDRESS] next time."
    assert Redactor(["phone"]).redact(f"Deliver to {address}.") == f"Deliver to {address}."


# ----------------------------------------------------------------------------- must survive
SURVIVORS = [
    "My order #123456789 never arrived.", "Order 987654321 and ORD-2024-001234.",
    "It cost $1,299.99 plus €49 shipping.",
    "Paid 1.299,00 € on 2024-03-15.", "Delivered 15/03/2024, ordered 03/01/2024, promised 15.03.2024.",
    "On March 3, 2024 at 14:30, or 9:45 am.", "Customer since 2019, 3 x 500ml bottles, 25% off, 12.5 % VAT.",
    "App v2.3.1 on iOS 17.4.1, macOS 10.15.7, build 4.12.0.1234.", "ZIP 94103 or 94103-1234, Paris 75008, SW1A 1AA.",
    "Ref 4111 1111 1111 1112 and 1234567890123456.", "Screen 1920x1080, 12.5 kg, rated 10/10, 2015-2024.",
    "Tracking 1Z999AA10123456784, invoice INV-2024-000123, ticket 0012345678.", "Between 10:00-12:00, 2-3 days.",
    "Revenue grew +15% to 1,000,000 units.", "ISBN 978-3-16-148410-0", "Top 10 reasons, 5 stars, 100 points.",
]


@pytest.mark.parametrize("text", SURVIVORS)
def test_ordinary_numbers_survive(text: str) -> None:
    assert ALL.redact(text) == text


# ----------------------------------------------------------------------------- API behaviour
def test_counts_and_kinds() -> None:
    text = "Mail a@b.com or c@d.org, call +44 20 7946 0958, card 4111111111111111."
    out, counts = Redactor().redact_with_counts(text)
    assert out == "Mail [EMAIL] or [EMAIL], call [PHONE], card [CARD]."
    assert counts == {"url": 0, "email": 2, "iban": 0, "card": 1, "phone": 1, "address": 0, "person": 0}
    assert Redactor(["email"]).redact(text) == "Mail [EMAIL] or [EMAIL], call +44 20 7946 0958, card 4111111111111111."


def test_unknown_kind_is_a_config_error() -> None:
    r = Redactor(["email", "ssn"])  # __init__ only stores
    with pytest.raises(ConfigError, match="ssn"):
        r.redact("x")


def test_redact_series_keeps_index_and_missing_values() -> None:
    texts = ["call 020 7946 0958", None, "call 020 7946 0958", "fine, thanks"]
    s = pd.Series(texts, index=[10, 11, 12, 13], name="text")
    out, counts = Redactor().redact_series(s)
    assert out.tolist()[0] == "call [PHONE]" and out.tolist()[2] == "call [PHONE]" and out.tolist()[3] == "fine, thanks"
    assert pd.isna(out.tolist()[1])
    assert list(out.index) == [10, 11, 12, 13] and out.name == "text"
    assert counts["phone"] == 2 and sum(counts.values()) == 2


def test_redaction_is_idempotent_and_empty_safe() -> None:
    assert redact("") == ""
    once = ALL.redact("Call 020 7946 0958 or mail a@b.com, IBAN DE89370400440532013000, 221B Baker Street")
    assert ALL.redact(once) == once and "[ADDRESS]" in once


@pytest.mark.parametrize(
    "text",
    ["1 " * 5000, "+1" + " 1" * 5000, "a" * 10000 + "@", "9" * 20000, "12-" * 5000, "a.a" * 3000 + "@b" + ".c" * 3000,
     "(+1) (2) " * 2000, "12 " + "Ab " * 5000, "0 1 2 3 4 5 6 7 8 9 " * 1000],
)
def test_no_catastrophic_backtracking(text: str) -> None:
    start = time.perf_counter()
    ALL.redact(text)
    assert time.perf_counter() - start < 2.0  # linear inputs of ~10-20k chars take ~10 ms


# ----------------------------------------------------------------------------- corpus
@pytest.fixture(scope="module")
def corpus() -> list[Item]:
    return build_corpus()


def test_corpus_is_deterministic_and_spans_are_exact(corpus: list[Item]) -> None:
    assert len(corpus) >= 1000
    assert [it.text for it in corpus[:50]] == [it.text for it in build_corpus()[:50]]
    kinds = {s.kind for it in corpus for s in it.pii}
    assert kinds == {"email", "url", "card", "iban", "phone", "address"}
    for it in corpus:
        for s in it.pii + it.negatives:
            assert it.text[s.start : s.end] == s.value


def test_evaluation_can_fail(corpus: list[Item]) -> None:
    """The metrics are not vacuous: doing nothing has zero recall, and blanking every
    digit is caught as false positives."""
    import re

    nothing = evaluate(lambda t: t, corpus)
    assert all(v == 0.0 for v in nothing["recall"].values())
    digits = evaluate(lambda t: re.sub(r"\d+", "[PHONE]", t), corpus)
    assert digits["fp_rate_ordinary_numbers"] > 0.9
    assert redacted_spans("a 12 b", "a [CARD] b") == [(2, 4, "[CARD]")]


def test_corpus_recall_and_false_positives(corpus: list[Item]) -> None:
    result = evaluate(redact, corpus)
    for kind, bound in MIN_RECALL.items():
        assert result["recall"][kind] >= bound, (kind, result["misses"])
    assert result["fp_rate_ordinary_numbers"] <= MAX_FP_RATE_ORDINARY_NUMBERS, result["false_positives"]
    assert result["clean_texts_changed"] == 0.0
    assert result["bad_iban_redacted_as_iban"] == 0.0
