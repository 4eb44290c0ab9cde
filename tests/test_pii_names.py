"""The `person` PII kind: people's names found by the context that introduces them, and
brands, places, months and ordinary words left alone (voc/pii_names.py)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pandas as pd
import pytest

from voc.pii import DEFAULT_KINDS, Redactor, pseudonym, redact, redact_fields
from voc.pii_names import find_names, first_names, is_name_value

try:
    from tests.conftest import shared_path
    from tests.pii_names_eval import BRANDS_AND_PLACES, GOLD, brand_hits, load_gold, score
except ImportError:  # tests/ is not a package: pytest put tests/ itself on sys.path
    from conftest import shared_path  # type: ignore[no-redef]
    from pii_names_eval import BRANDS_AND_PLACES, GOLD, brand_hits, load_gold, score  # type: ignore[no-redef]

pytestmark = pytest.mark.skipif(not first_names(), reason="faker (the first-name list) is not installed")

NO_NAMES = Redactor([k for k in DEFAULT_KINDS if k != "person"])


def test_person_is_a_default_kind() -> None:
    assert "person" in DEFAULT_KINDS
    assert redact("Hi Olivia, your refund is on its way") == "Hi [PERSON], your refund is on its way"
    assert NO_NAMES.redact("Hi Olivia, your refund is on its way") == "Hi Olivia, your refund is on its way"


def test_the_kind_s_earlier_name_is_still_accepted() -> None:
    """Configs written before the kind was called ``person`` list it as ``name``."""
    text, counts = Redactor(["email", "name"]).redact_with_counts("Hi Olivia, mail olivia@example.com")
    assert text == "Hi [PERSON], mail [EMAIL]" and counts == {"email": 1, "person": 1}


@pytest.mark.parametrize("text,expected", [
    # greetings and thank-yous
    ("Hi Olivia, I have responded to your DM.", "Hi [PERSON], I have responded to your DM."),
    ("Hi Victor! Sure, we can help.", "Hi [PERSON]! Sure, we can help."),
    ("@820715 Hey, Yash. We're sorry you feel that way.", "@820715 Hey, [PERSON]. We're sorry you feel that way."),
    ("Thanks Mark, that worked", "Thanks [PERSON], that worked"),
    ("Good evening Luke! I would like to help.", "Good evening [PERSON]! I would like to help."),
    ("Hi Tanuj, try resetting the preferences", "Hi [PERSON], try resetting the preferences"),  # not a listed name
    # introductions
    ("my name is Clarita Jaramillo and I need help", "my name is [PERSON] and I need help"),
    ("hi my name is Kevin Hollie in ABQ", "hi my name is [PERSON] in ABQ"),
    ("I'm Kevin from Kenya, would you help", "I'm [PERSON] from Kenya, would you help"),
    # role words
    ("Slow agent Sukhdeep caused us to miss our flt.", "Slow agent [PERSON] caused us to miss our flt."),
    ("flight attendant April was #amazing!", "flight attendant [PERSON] was #amazing!"),
    ("our flight attendant Dallas who was amazing", "our flight attendant [PERSON] who was amazing"),
    ("@united OKC ticket agent Roger McLarren LESS than helpful", "@united OKC ticket agent [PERSON] LESS than helpful"),
    ("agents Rachel Wong and Marisol Pimentel were great", "agents [PERSON] and [PERSON] were great"),
    ("Big thanks to Ms. Winston for assisting me", "Big thanks to Ms. [PERSON] for assisting me"),
    ("a lady named Gabrielle (if I remember correctly)", "a lady named [PERSON] (if I remember correctly)"),
    ("my wife Sarah called too", "my wife [PERSON] called too"),
    # thank-you and contact phrases
    ("@united thanks to Lea in the Chicago office", "@united thanks to [PERSON] in the Chicago office"),
    ("speak with Wendell Holton in the Dallas office", "speak with [PERSON] in the Dallas office"),
    ("Props to Parizad at checkin in Sacramento", "Props to [PERSON] at checkin in Sacramento"),
    ("Shavon at customer service desk in Charlotte was fantastic", "[PERSON] at customer service desk in Charlotte was fantastic"),
    # agent signatures
    ("Thanks for your patience. ^Davina", "Thanks for your patience. ^[PERSON]"),
    ("Please DM us. ^Tanuj [URL]", "Please DM us. ^[PERSON] [URL]"),
    ("You're so welcome. -Sarah", "You're so welcome. -[PERSON]"),
    ("See you onboard ~Tom", "See you onboard ~[PERSON]"),
    ("Send us a DM. *JS", "Send us a DM. *[PERSON]"),
    ("Send us a DM. *AlissaFast", "Send us a DM. *[PERSON]"),
    ("Thanks ^AB", "Thanks ^[PERSON]"),
    ("give us a shout /GN", "give us a shout /[PERSON]"),
    ("Thanks - Craig 2/2", "Thanks - [PERSON] 2/2"),
    ("Regards,\nNeha L", "Regards,\n[PERSON]"),
    ("any discomfort on board. Phil.", "any discomfort on board. [PERSON]."),
    # addressed by name
    ("So sorry for the delays, Denise. We will help.", "So sorry for the delays, [PERSON]. We will help."),
    ("Denise, we're glad we could help", "[PERSON], we're glad we could help"),
])
def test_names_in_context_are_redacted(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text", [
    "Hey Delta, my flight to JFK was delayed again",
    "Thanks United for the upgrade!",
    "@united thanks United I understand that.",
    "Hi, Virgin! I'm on hold for 40-50 minutes",
    "Hey Southwest, Vegas was fun",
    "Thanks JetBlue! Kudos to JetBlue social media team",
    "Thanks to Austin for a lovely stay",
    "Hi Austin! Hello Denver!",
    "Spoke to Dell Tech, but no answer",
    "Thanks Alexa, thanks Siri",
    "Hi team, the WiFi on my iPhone is broken",
    "Hi there! Dear customer, thanks",
    "Hi all, thanks again",
    "Dear Sir, Hello everyone",
    "Hi Guys, what is the last bus",
    "I flew in April to Austin and back in June.",
    "Thanks Will you help me?",
    "Thanks! Will do",
    "There is a grace period. Joy to the world.",
    "Thanks for Tuesdays. See you Monday!",
    "Cancelled Flight. I'm Late Flight now",
    "This is Truly Superb. It's Christmas. It's Chrome.",
    "Customer Service is the worst. Prime Video works.",
    "my last name is misspelled! What can I do?",
    "hats off to Admiral Lounge attendant @ YYZ",
    "Please come to Minneapolis St. Paul!",
    "stuck trying to get to Costa Rica from PHL today",
    "JetBlue Airways Hits New High (JBLU) - StreetWise Report [URL]",
    "Great service -FAIL",
    "NOW I DO! :-D",
    "Mail [EMAIL] or call [PHONE] about order 123456",
])
def test_brands_places_months_and_words_survive(text: str) -> None:
    assert redact(text) == NO_NAMES.redact(text)


def test_a_name_is_one_placeholder_and_possessives_stay() -> None:
    assert redact("thanks to Karen Salisbury's help") .count("[PERSON]") == 1
    assert redact("thanks to Lea's help") == "thanks to [PERSON]'s help"
    assert redact(redact("Hi Olivia, ^AB")) == redact("Hi Olivia, ^AB")  # idempotent


def test_counts() -> None:
    out, counts = Redactor().redact_with_counts("Hi Olivia, agent Sukhdeep will call. ^AB")
    assert out == "Hi [PERSON], agent [PERSON] will call. ^[PERSON]"
    assert counts["person"] == 3


def test_ids_that_are_names_are_pseudonymised_and_labels_redacted() -> None:
    frame = pd.DataFrame({"doc_id": ["Olivia Smith", "clarita.jaramillo", "FB-000042", "agent-7"],
                          "text": ["a", "b", "c", "d"],
                          "segment": ["Olivia Smith", "Premium", "Jordan", "Hi Victor!"]})
    out, counts = redact_fields(frame, ["segment"])
    assert out["doc_id"].tolist() == [pseudonym("Olivia Smith"), pseudonym("clarita.jaramillo"), "FB-000042", "agent-7"]
    assert out["segment"].tolist() == ["[PERSON]", "Premium", "Jordan", "Hi [PERSON]!"]
    assert counts == {"ids": 2, "labels": 2}
    kept, _ = redact_fields(frame, ["segment"], NO_NAMES)
    assert kept["doc_id"].tolist()[:2] == ["Olivia Smith", "clarita.jaramillo"]


@pytest.mark.parametrize("value,expected", [
    ("Olivia Smith", True), ("olivia_smith_2024", True), ("Sukhdeep Singh", True), ("Olivia", False),
    ("New York", False), ("Customer Service", False), ("Mobile App", False), ("FB-000042", False), ("", False),
])
def test_is_name_value(value: str, expected: bool) -> None:
    assert is_name_value(value) is expected


def test_clean_stage_without_the_name_kind_keeps_names() -> None:
    from voc.stages.base import Corpus
    from voc.stages.clean import CleanStage

    docs = pd.DataFrame({"doc_id": ["1"], "text": ["Hi Olivia, agent Sukhdeep was great"]})
    on = CleanStage().transform(Corpus(docs=docs.copy())).docs["text"].iloc[0]
    off = CleanStage(pii_kinds=[k for k in DEFAULT_KINDS if k != "person"]).transform(Corpus(docs=docs.copy()))
    assert on == "Hi [PERSON], agent [PERSON] was great"
    assert off.docs["text"].iloc[0] == "Hi Olivia, agent Sukhdeep was great"


@pytest.mark.parametrize(("text", "expected"), [
    ("The gate was chaos. Kelvin Ostrowski fixed it in minutes.", "The gate was chaos. [PERSON] fixed it in minutes."),
    ("Ask for Marisol Pimentel at the desk", "Ask for [PERSON] at the desk"),
    ("Thanks so much Kelvin Ostrowski for the help", "Thanks so much [PERSON] for the help"),
    ("So it was Marisol Pimentel again", "So it was [PERSON] again"),
    ("Flew Virgin America to Austin Texas last week", None),
    ("Chase Sapphire card declined again", None),
    ("Grace Period ends tomorrow", None),
    ("Delta Comfort seats are great", None),
    ("Lost my bag at Newark Liberty", None),
    ("Ordered the Victoria Plum set", None),
    ("Jordan Brand shoes arrived late", None),
    ("Santa Monica store was closed", None),
    ("Flying to Santo Domingo next week", None),
])
def test_a_full_name_needs_no_cue_but_brands_and_places_stay(text: str, expected: str | None) -> None:
    """A listed first name followed by a surname-like word is a person without any cue
    (measured over all shared tweets: 91 full names taken, no brand or place)."""
    assert redact(text) == (text if expected is None else expected)


@pytest.mark.parametrize(("text", "expected"), [
    ("@SouthwestAir Kelsey at the gate was wonderful", "@SouthwestAir [PERSON] at the gate was wonderful"),
    ("@united Marisol P. did a great job on flight 88", "@united [PERSON] did a great job on flight 88"),
    ("@united Delta is better than you", None),
    ("@JetBlue Will you refund me?", None),
    ("@AmericanAir Austin is freezing today", None),
    ("@Apple Siri is useless in the car", None),
    ("Very disappointed in Alex the supervisor today", "Very disappointed in [PERSON] the supervisor today"),
    ("Got great help from Jim today", "Got great help from [PERSON] today"),
    ("@Delta John Wayne gate agents need training", None),
    ("The gate agent was rude", None),
])
def test_a_first_name_opening_a_post_as_its_subject(text: str, expected: str | None) -> None:
    """"@airline Karen with customer service was great": a listed first name opening a post,
    then what a person did or where they were, is a person (35 more across all shared tweets)."""
    assert redact(text) == (text if expected is None else expected)


# ----------------------------------------------------------------------------- labelled tweets
def test_the_labelled_set_is_what_the_scorer_expects() -> None:
    items = load_gold()
    assert len(items) == 500 and {i["source"] for i in items} == {"support", "airline"}
    names = [n for i in items for n in i["names"]]
    assert sum(n[2] == "person" for n in names) >= 90 and sum(n[2] == "initials" for n in names) >= 90
    for it in items:  # spans point at words
        for s, e, _ in it["names"]:
            assert it["text"][s:e].strip() == it["text"][s:e] and it["text"][s].isalnum()


def test_the_fresh_sample_is_labelled_twice_on_the_same_texts() -> None:
    """tests/data/pii_names_fresh_{a,b}.jsonl: 500 other held-out tweets, two independent
    passes (benchmarks/pii_names_agreement.py), none of them in the first sample."""
    from tests.pii_names_eval import load_gold as load

    data = Path(__file__).parent / "data"
    a, b = load(data / "pii_names_fresh_a.jsonl"), load(data / "pii_names_fresh_b.jsonl")
    assert len(a) == 500 and [i["id"] for i in a] == [i["id"] for i in b]
    assert [i["sha256"] for i in a] == [i["sha256"] for i in b]
    assert not {i["id"] for i in a} & {i["id"] for i in load_gold()}
    assert {i["source"] for i in a} == {"support", "airline"}


def test_the_second_pass_labels_the_same_texts() -> None:
    """tests/data/pii_names_pass2.jsonl (a second annotator, benchmarks/pii_names_agreement.py)
    labels the very texts of the first pass: same ids, same hashes, spans on words."""
    from tests.pii_names_eval import load_gold as load

    first = load_gold()
    second = load(Path(__file__).parent / "data" / "pii_names_pass2.jsonl")
    assert [i["id"] for i in second] == [i["id"] for i in first]
    assert [i["sha256"] for i in second] == [i["sha256"] for i in first]
    for it in second:
        for s, e, label in it["names"]:
            assert label in ("person", "initials", "public") and it["text"][s:e].strip() == it["text"][s:e] != ""


def test_the_scorer_can_fail() -> None:
    items = load_gold()
    assert score(lambda t: [], items)["recall_person"] == 0
    everything = score(lambda t: [(0, len(t))], items)
    assert everything["recall_all"] == 1 and everything["name_free_touched_share"] == 1


def test_recall_and_precision_on_the_held_out_tweets() -> None:
    """The fresh held-out sample (tests/data/pii_names_fresh_a.jsonl; never trained on, its
    misses never read): rules + tagger measured person recall 0.926, initials 1.00,
    precision 0.950, 2.3% of name-free tweets touched (benchmarks/results/pii_names_agreement.json).
    The bounds are voc's targets."""
    res = score(find_names, load_gold(GOLD.parent / "pii_names_fresh_a.jsonl"))
    assert res["recall_person"] >= 0.90
    assert res["recall_initials"] >= 0.95
    assert res["precision"] >= 0.90
    assert res["name_free_touched_share"] <= 0.05


def test_the_rules_alone_miss_what_the_tagger_finds() -> None:
    """The tagger is what lifts recall: without it (learned=False) the same sample loses
    names (rules alone measured person recall 0.73 on it)."""
    items = load_gold(GOLD.parent / "pii_names_fresh_a.jsonl")
    rules = score(lambda t: find_names(t, learned=False), items)
    both = score(find_names, items)
    assert rules["recall_person"] + 0.1 <= both["recall_person"]


def test_no_brand_or_place_in_the_labelled_tweets_is_redacted() -> None:
    rx = re.compile(r"(?<![\w@#])(" + "|".join(map(re.escape, BRANDS_AND_PLACES)) + r")(?![\w])")
    seen = 0
    for it in load_gold():
        pred = find_names(it["text"])
        for m in rx.finditer(it["text"]):
            if any(s <= m.start() < e for s, e, _ in it["names"]):
                continue  # "TY- Charlotte" signs a reply: a person
            seen += 1
            assert not any(s < m.end() and m.start() < e for s, e in pred), (m.group(1), it["text"])
    assert seen >= 100


def test_no_brand_or_place_redacted_in_the_shared_tweets() -> None:
    """All ~27k support and airline tweets: the only brand/place words taken are agents
    and crew who carry them as names (hand-checked: "- Georgia", "^Jordan", "TY- Charlotte",
    "flight attendant Dallas", "flight attendant April")."""
    support = pd.read_csv(shared_path("customer_support_twitter", "twcs_subset.csv"), dtype=str)["text"]
    airline = pd.read_csv(shared_path("twitter_us_airline_sentiment", "Tweets.csv"), dtype=str)["text"]
    texts = pd.concat([support, airline]).dropna().drop_duplicates().map(NO_NAMES.redact).tolist()
    hits = brand_hits(find_names, texts)
    assert hits.pop("_occurrences") > 3000
    assert set(hits) <= {"Georgia", "Jordan", "Charlotte", "Dallas", "April"} and sum(hits.values()) <= 15, hits


def test_names_cost_little() -> None:
    texts = [it["text"] for it in load_gold()] * 4
    find_names(texts[0])  # word lists load once
    t0 = time.perf_counter()
    for t in texts:
        find_names(t)
    per_text = (time.perf_counter() - t0) / len(texts)
    assert per_text < 1e-3, f"{per_text * 1e6:.0f} µs per text"  # measured ~50-130 µs on 2 busy cores


def test_the_readme_way_to_turn_names_off() -> None:
    from voc.config import apply_overrides
    from voc.stages.base import Corpus
    from voc.stages.clean import CleanStage

    cfg = apply_overrides({"clean": {"pii_kinds": list(DEFAULT_KINDS)}},
                          ["clean.pii_kinds=[email,url,card,iban,phone,address]"])
    stage = CleanStage(pii_kinds=cfg["clean"]["pii_kinds"])
    docs = pd.DataFrame({"doc_id": ["1"], "text": ["Hi Olivia, mail me at olivia@example.com"]})
    assert stage.transform(Corpus(docs=docs)).docs["text"].iloc[0] == "Hi Olivia, mail me at [EMAIL]"


def test_a_brand_greeted_like_a_person_is_kept_when_the_batch_shows_it_is_a_brand() -> None:
    """Regression: the demo feedback's "Hi Fernbrook," lost the shop's name. A word the
    batch also uses where no cue introduces it ("ordered from Fernbrook") is no person."""
    texts = pd.Series(["Hi Fernbrook, my parcel is late. Thanks, Priya", "I ordered from Fernbrook twice",
                       "Fernbrook delivery was quick", "@fernbrook where is my order", "Hi Tanuj, thanks for the help"])
    out, counts = Redactor().redact_series(texts)
    assert out.tolist() == ["Hi Fernbrook, my parcel is late. Thanks, [PERSON]", "I ordered from Fernbrook twice",
                            "Fernbrook delivery was quick", "@fernbrook where is my order", "Hi [PERSON], thanks for the help"]
    assert counts["person"] == 2
    alone, _ = Redactor().redact_series(texts[:1])  # one text shows nothing: the greeting wins
    assert alone.tolist() == ["Hi [PERSON], my parcel is late. Thanks, [PERSON]"]
    kept, _ = Redactor(keep_words=["Fernbrook"]).redact_series(texts[:1])  # clean.pii_keep
    assert kept.tolist() == ["Hi Fernbrook, my parcel is late. Thanks, [PERSON]"]
    assert Redactor(keep_words=["fernbrook"]).redact("Hi Fernbrook, hi Olivia!") == "Hi Fernbrook, hi [PERSON]!"
