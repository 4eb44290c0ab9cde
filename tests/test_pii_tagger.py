"""The learned name tagger (voc/pii_tagger.py, models/names/tagger.json)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from voc.pii_names import find_names, first_names
from voc.pii_tagger import NameTagger, places, shipped

try:
    from tests.conftest import shared_path
except ImportError:  # tests/ is not a package
    from conftest import shared_path  # type: ignore[no-redef]

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(not first_names(), reason="faker (the first-name list) is not installed")


def _taken(text: str) -> list[str]:
    return [text[s:e] for s, e in find_names(text)]


def test_the_tagger_ships_small_with_its_card() -> None:
    path = REPO / "models" / "names" / "tagger.json"
    assert path.stat().st_size < 10 * 2**20
    assert (REPO / "models" / "names" / "MODEL_CARD.md").exists()
    tagger = shipped()
    assert tagger is not None and 0 < tagger.threshold < 1 and len(tagger.weights) > 1000
    assert tagger.meta["denied_by_denylist"] == 0 and tagger.meta["texts"] >= 4700
    assert places(), "airportsdata (the place feature) is a pinned dependency"


@pytest.mark.parametrize("text, name", [
    ("Had a great flight with Clarence and Frank! Those two made my day", "Clarence"),
    ("Big thanks to the crew today, especially Marcus who found my bag", "Marcus"),
    ("The lady at the counter, Tamika, was wonderful", "Tamika"),
    ("Our driver Kwame was late and Julie in support never called back", "Julie"),
    ("@Comcast I spoke to someone yesterday, Brandon, who promised a refund", "Brandon"),
])
def test_names_no_cue_introduces_are_taken(text: str, name: str) -> None:
    rules = [text[s:e] for s, e in find_names(text, learned=False)]
    assert name not in rules  # no rule's cue: the tagger's find
    assert name in _taken(text)


def test_a_name_the_tagger_takes_keeps_its_surname() -> None:
    text = "The lady at the counter, Tamika Rowe, was wonderful"
    tagger = shipped()
    assert tagger is not None and find_names(text, learned=False) == []  # no rule takes it
    assert [text[s:e] for s, e in tagger.spans(text)] == ["Tamika"]  # the tagger alone: the first name only
    assert _taken(text) == ["Tamika Rowe"]


@pytest.mark.parametrize("text", [
    "Thanks Alexa, thanks Siri",
    "I live at [ADDRESS], London. 5 stars otherwise!",
    "Please come to Minneapolis St. Paul!",
    "@Delta John Wayne gate agents need training",
    "NOW I DO! :-D",
    "My flight from San Jose to Austin was delayed again",
    "Ordered the Prime bundle from Amazon, arrived Monday in Charlotte",
])
def test_brands_places_and_marks_are_never_the_taggers(text: str) -> None:
    assert _taken(text) == []


@pytest.mark.parametrize("text, taken_if_english", [
    ("Guten Morgen! Die Lieferung war wieder zu spät, Sie sollten das ändern.", "Sie"),
    ("@amazon_es Pero nadie contesta. Lo siento pero no vuelvo a comprar.", "Pero"),
    ("@ikea_es Esa mesa llegó rota. Lo peor es que nadie responde.", "Lo"),
])
def test_the_english_tagger_leaves_other_languages_alone(text: str, taken_if_english: str) -> None:
    """It learned English: on German or Spanish it takes capitalised function words.
    Texts the language identifier calls another language get the cue rules only."""
    tagger = shipped()
    assert tagger is not None
    assert taken_if_english in [text[s:e] for s, e in tagger.spans(text)]  # what the gate prevents
    assert find_names(text) == find_names(text, learned=False) == []


def test_a_tagger_fits_saves_and_loads(tmp_path: Path) -> None:
    items = [("Hi there, Maria was great at the desk", [], [(10, 15, "person")]),
             ("The Desk was great", [], []),
             ("Thanks Maria!", [(7, 12)], [(7, 12, "person")]),
             ("Great Service today", [], [])] * 5
    tagger = NameTagger(threshold=0.5).fit(items)
    assert tagger.spans("Hi there, Maria was great at the desk") == [(10, 15)]
    assert tagger.spans("Great Service today") == []
    tagger.save(tmp_path / "t.json")
    again = NameTagger.load(tmp_path / "t.json")
    assert again.weights == tagger.weights and again.threshold == 0.5


@pytest.mark.slow
def test_the_training_script_reproduces_the_shipped_tagger(tmp_path: Path) -> None:
    shared_path("customer_support_twitter", "twcs_subset.csv")
    shared_path("twitter_us_airline_sentiment", "Tweets.csv")
    out = tmp_path / "tagger.json"
    subprocess.run([sys.executable, str(REPO / "models" / "train_names.py"), "--out", str(out)], check=True,
                   capture_output=True)
    new, old = json.loads(out.read_text()), json.loads((REPO / "models" / "names" / "tagger.json").read_text())
    assert new["threshold"] == old["threshold"] and new["meta"]["cv"] == old["meta"]["cv"]
    assert new["weights"].keys() == old["weights"].keys()
    assert max(abs(new["weights"][k] - old["weights"][k]) for k in old["weights"]) < 0.01
