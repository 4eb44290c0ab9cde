"""make_feedback: deterministic, well-typed, realistic, and its planted answer key is recoverable."""

from __future__ import annotations

import re
import time

import numpy as np
import pandas as pd
import pytest

from voc.datasets import CHANNELS, PLANTED_THEMES, SEGMENTS, make_feedback
from voc.errors import ConfigError

KEYS = list(PLANTED_THEMES)
COLUMNS = ["id", "date", "channel", "text", "nps", "stars", "csat", "segment"]
TOP_NPS = [k for k, s in PLANTED_THEMES.items() if abs(s["nps_effect"]) >= 1.5]


@pytest.fixture(scope="module")
def sample() -> tuple[pd.DataFrame, pd.DataFrame]:
    return make_feedback(2000, 0, return_truth=True)


@pytest.fixture(scope="module")
def big() -> tuple[pd.DataFrame, pd.DataFrame]:
    return make_feedback(6000, 1, return_truth=True)


def _mentions(truth: pd.DataFrame) -> np.ndarray:
    """(rows, themes) bool matrix of planted mentions."""
    return np.array([[k in row for k in KEYS] for row in truth["themes"]], dtype=bool).reshape(len(truth), len(KEYS))


def _mention_delta(frame: pd.DataFrame, truth: pd.DataFrame, score: str) -> pd.Series:
    """Mean score of rows mentioning a theme minus rows that do not (rows carrying the score only)."""
    rows = frame[score].notna().to_numpy()
    y = frame.loc[rows, score].astype(float).to_numpy()
    m = _mentions(truth[rows])
    return pd.Series(
        [y[m[:, j]].mean() - y[~m[:, j]].mean() if 5 <= m[:, j].sum() else np.nan for j in range(len(KEYS))],
        index=KEYS,
    )


# -- determinism and API ----------------------------------------------------------------------

def test_same_seed_same_frame() -> None:
    a, ta = make_feedback(500, 42, return_truth=True)
    b, tb = make_feedback(500, 42, return_truth=True)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(ta, tb)


def test_other_seed_other_frame() -> None:
    a = make_feedback(300, 1)
    b = make_feedback(300, 2)
    assert (a["text"] != b["text"]).mean() > 0.9


def test_random_state_none_and_plain_frame() -> None:
    frame = make_feedback(50, None)
    assert isinstance(frame, pd.DataFrame) and len(frame) == 50


def test_empty() -> None:
    frame, truth = make_feedback(0, return_truth=True)
    assert list(frame.columns) == COLUMNS and len(frame) == 0 and len(truth) == 0
    assert str(frame["nps"].dtype) == "Int64"


@pytest.mark.parametrize("kwargs", [{"n": -1}, {"n": 2.5}, {"months": 0}, {"start": "not a date"},
                                    {"effect_scale": -1.0}, {"effect_scale": float("nan")}, {"effect_scale": True}])
def test_bad_arguments(kwargs: dict) -> None:
    with pytest.raises(ConfigError):
        make_feedback(**{"n": 10, **kwargs})


# -- columns, types, ranges -------------------------------------------------------------------

def test_columns_and_types(sample: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    frame, _ = sample
    assert list(frame.columns) == COLUMNS
    assert frame["id"].is_unique and frame["id"].iloc[0] == "FB-000001" and frame["id"].iloc[-1] == "FB-002000"
    assert frame["id"].str.fullmatch(r"FB-\d{6}").all()
    assert pd.api.types.is_datetime64_any_dtype(frame["date"])
    for col in ("nps", "stars", "csat"):
        assert str(frame[col].dtype) == "Int64", col
    assert set(frame["channel"]) == set(CHANNELS)
    assert set(frame["segment"]) == set(SEGMENTS)
    assert frame["text"].map(lambda t: isinstance(t, str) and t.strip() != "").all()


@pytest.mark.parametrize("score,channel,lo,hi", [("nps", "survey", 0, 10), ("stars", "review", 1, 5), ("csat", "ticket", 1, 5)])
def test_scores_only_on_their_channel_and_in_range(sample, score: str, channel: str, lo: int, hi: int) -> None:
    frame, _ = sample
    on = frame["channel"] == channel
    assert frame.loc[on, score].notna().all()
    assert frame.loc[~on, score].isna().all()
    values = frame.loc[on, score].astype(int)
    assert values.between(lo, hi).all()
    assert values.nunique() >= (hi - lo + 1) - 1  # the scale is used, not collapsed onto one value


def test_channel_and_segment_mix(sample) -> None:
    frame, _ = sample
    share = frame["channel"].value_counts(normalize=True)
    assert (share > 0.08).all() and share["survey"] > 0.25
    assert 0.15 < (frame["segment"] == "member").mean() < 0.45


def test_nps_looks_like_real_nps(sample) -> None:
    frame, _ = sample
    nps = frame["nps"].dropna().astype(int)
    promoters, detractors = (nps >= 9).mean(), (nps <= 6).mean()
    assert 0.2 < promoters < 0.6 and 0.15 < detractors < 0.6
    assert 3.6 < frame["stars"].dropna().astype(float).mean() < 4.6


# -- dates and trends -------------------------------------------------------------------------

def test_dates_span_the_period(sample) -> None:
    frame, _ = sample
    d = frame["date"]
    assert d.is_monotonic_increasing
    assert d.min() >= pd.Timestamp("2025-11-01") and d.max() < pd.Timestamp("2026-11-01")
    per_month = d.dt.to_period("M").value_counts()
    assert len(per_month) == 12 and per_month.min() > 0.04 * len(frame)


def test_start_and_months() -> None:
    frame = make_feedback(300, 0, start="2024-01-15", months=3)
    assert frame["date"].min() >= pd.Timestamp("2024-01-15") and frame["date"].max() < pd.Timestamp("2024-04-15")


def test_planted_trends(big) -> None:
    frame, truth = big
    late = frame["date"] >= frame["date"].min() + (frame["date"].max() - frame["date"].min()) / 2
    m = pd.DataFrame(_mentions(truth), columns=KEYS)
    early_share, late_share = m[~late.to_numpy()].mean(), m[late.to_numpy()].mean()
    for key, spec in PLANTED_THEMES.items():
        if spec["trend"] >= 0.9:
            assert late_share[key] > 1.3 * early_share[key], key
        elif spec["trend"] <= -0.9:
            assert late_share[key] < 0.75 * early_share[key], key
    assert any(s["trend"] > 0 for s in PLANTED_THEMES.values()) and any(s["trend"] < 0 for s in PLANTED_THEMES.values())


# -- realism ----------------------------------------------------------------------------------

def test_text_diversity(sample) -> None:
    frame, _ = sample
    text = frame["text"]
    assert text.nunique() / len(text) >= 0.95
    vocab = {w for t in text for w in re.findall(r"[a-z']+", t.lower())}
    assert len(vocab) >= 800
    lengths = text.str.len()
    assert (lengths < 25).mean() > 0.02 and (text.str.count(r"[.!?](?:\s|$)") >= 4).mean() > 0.05


def test_multi_topic_and_themeless_share(sample) -> None:
    _, truth = sample
    k = truth["themes"].str.len()
    assert k.max() == 3
    assert 0.2 <= (k >= 2).mean() <= 0.5
    assert 0.05 <= (k == 0).mean() <= 0.25


def test_channel_styles(sample) -> None:
    frame, _ = sample
    by = frame.groupby("channel")["text"]
    med = by.apply(lambda s: s.str.len().median())
    assert med["social"] < med["survey"] < med["review"] and med["social"] < med["ticket"]
    tickets = frame.loc[frame["channel"] == "ticket", "text"]
    assert tickets.str.contains(r"^(?:hi|hello|good morning|dear)", case=False).mean() > 0.5
    assert tickets.str.contains(r"\?").mean() > 0.05  # some plain questions ("where is my order ...?")
    social = frame.loc[frame["channel"] == "social", "text"]
    assert social.str.contains(r"@\w+|#\w+").mean() > 0.2


def test_surface_noise(sample) -> None:
    frame, _ = sample
    text = frame["text"]
    emoji = text.str.contains(r"[\U0001F300-\U0001FAFF\u2600-\u27BF]")
    assert 0.03 < emoji.mean() < 0.3
    letters = text.str.replace(r"[^A-Za-z]", "", regex=True)
    assert (letters.str.len() > 10).sum() > 0
    assert ((letters == letters.str.lower()) & (letters.str.len() > 10)).mean() > 0.03  # all lower-case
    assert ((letters == letters.str.upper()) & (letters.str.len() > 10)).mean() > 0.003  # SHOUTING
    assert text.str.contains(r"\b(?:not|no|never|nobody|can't|couldn't|won't|hasn't)\b", case=False).mean() > 0.1


def test_text_matches_planted_theme(sample) -> None:
    """The answer key is about the text: documents planted with a theme talk about it."""
    frame, truth = sample
    cues = {
        "late_delivery": r"deliver|arriv|parcel|order|wait|took|ship|tracking|late|turned up",
        "double_charged": r"charg|bill|payment|statement|took",
        "helpful_agent": r"help|agent|support|service|team|sorted|resolved|chat|phone",
        "refund_slow": r"refund|money back",
        "sizing_small": r"siz|small|tight|short|tiny|fit",
    }
    m = pd.DataFrame(_mentions(truth), columns=KEYS)
    for key, pattern in cues.items():
        docs = frame.loc[m[key].to_numpy(), "text"]
        assert len(docs) > 20 and docs.str.contains(pattern, case=False).mean() > 0.85, key


def test_fake_pii(big) -> None:
    frame, truth = big
    has = truth["pii"].str.len() > 0
    assert 0.01 < has.mean() < 0.1
    text = frame["text"]
    patterns = {
        "email": r"\b[a-z]+\.[a-z]+@example\.(?:com|org|net)\b",
        "phone": r"\+44 20 7946 0\d{3}|07700 900\d{3}|\(555\) 01\d-\d{4}|\+1 555 01\d \d{4}",
        "card": r"\b\d{4} \d{4} \d{4} \d{4}\b",
    }
    for kind, pattern in patterns.items():
        planted = truth["pii"].map(lambda kinds, k=kind: k in kinds).to_numpy()
        assert planted.sum() > 5, kind
        found = text.str.contains(pattern, case=False).to_numpy()
        assert found[planted].all(), kind
        assert found[~has.to_numpy()].mean() < 0.001, kind  # no PII where none was planted
    cards = text.str.extractall(r"(\d{4} \d{4} \d{4} \d{4})")[0]
    assert set(cards) <= {"4111 1111 1111 1111", "4242 4242 4242 4242", "5555 5555 5555 4444", "4000 0566 5566 5556"}
    assert frame.loc[has.to_numpy(), "channel"].value_counts().idxmax() == "ticket"


# -- answer key -------------------------------------------------------------------------------

def test_planted_themes_schema() -> None:
    assert 15 <= len(PLANTED_THEMES) <= 21
    touchpoints = {s["touchpoint"] for s in PLANTED_THEMES.values()}
    assert {"website_app", "checkout", "billing", "delivery", "product", "support", "returns", "account", "loyalty"} <= touchpoints
    for key, s in PLANTED_THEMES.items():
        assert s["polarity"] in ("positive", "negative"), key
        for effect in ("nps_effect", "stars_effect", "csat_effect"):
            assert isinstance(s[effect], float) and np.sign(s[effect]) == (1 if s["polarity"] == "positive" else -1), key
    assert PLANTED_THEMES["late_delivery"]["nps_effect"] == min(s["nps_effect"] for s in PLANTED_THEMES.values())


def test_truth_frame(sample) -> None:
    frame, truth = sample
    assert list(truth.columns) == ["id", "themes", "touchpoints", "sentiment", "pii"]
    assert truth["id"].equals(frame["id"])
    for themes, touchpoints in zip(truth["themes"], truth["touchpoints"]):
        assert len(set(themes)) == len(themes) and set(themes) <= set(PLANTED_THEMES)
        assert touchpoints == [PLANTED_THEMES[t]["touchpoint"] for t in themes]
        assert not ({"late_delivery", "fast_delivery"} <= set(themes))  # contradictions are not planted
    assert set(truth["sentiment"]) == {"negative", "neutral", "positive"}
    assert (truth["sentiment"] == "neutral").mean() < 0.3


def test_sentiment_label_agrees_with_scores(sample) -> None:
    frame, truth = sample
    for score in ("nps", "stars", "csat"):
        rows = frame[score].notna()
        means = frame.loc[rows, score].astype(float).groupby(truth.loc[rows, "sentiment"]).mean()
        assert means["negative"] < means["neutral"] < means["positive"], score


def test_planted_nps_effects_have_the_right_sign(sample) -> None:
    frame, truth = sample
    delta = _mention_delta(frame, truth, "nps")
    for key in TOP_NPS:
        assert np.sign(delta[key]) == np.sign(PLANTED_THEMES[key]["nps_effect"]), (key, delta[key])
        assert abs(delta[key]) > 0.5, (key, delta[key])


@pytest.mark.parametrize("score,min_rho", [("nps", 0.8), ("stars", 0.7), ("csat", 0.6)])
def test_mention_delta_ranks_like_the_planted_effects(sample, score: str, min_rho: float) -> None:
    frame, truth = sample
    delta = _mention_delta(frame, truth, score)
    planted = pd.Series({k: s[f"{score}_effect"] for k, s in PLANTED_THEMES.items()})
    ok = delta.notna()
    assert ok.sum() >= 15
    assert delta[ok].corr(planted[ok], method="spearman") >= min_rho


def test_regression_recovers_the_top_drivers(sample) -> None:
    """A plain OLS driver analysis on 2000 rows finds the strongest planted NPS drivers."""
    frame, truth = sample
    rows = frame["nps"].notna().to_numpy()
    x = np.column_stack([_mentions(truth[rows]), np.ones(rows.sum())]).astype(float)
    beta = pd.Series(np.linalg.lstsq(x, frame.loc[rows, "nps"].astype(float), rcond=None)[0][:-1], index=KEYS)
    planted = pd.Series({k: s["nps_effect"] for k, s in PLANTED_THEMES.items()})
    assert beta.idxmin() == "late_delivery"
    top5 = set(planted.abs().nlargest(5).index)
    assert len(top5 & set(beta.abs().nlargest(8).index)) >= 4
    assert (np.sign(beta) == np.sign(planted)).mean() >= 0.9


def test_effect_scale_changes_the_scores_only(sample) -> None:
    """effect_scale strengthens the planted effects (the test suite's small sample uses it)
    and leaves texts, structure and the answer key exactly as they were."""
    frame, truth = sample
    scaled, scaled_truth = make_feedback(2000, 0, effect_scale=2.0, return_truth=True)
    pd.testing.assert_frame_equal(scaled_truth, truth)
    others = [c for c in COLUMNS if c not in ("nps", "stars", "csat")]
    pd.testing.assert_frame_equal(scaled[others], frame[others])
    for score in ("nps", "stars", "csat"):
        pd.testing.assert_series_equal(scaled[score].isna(), frame[score].isna())
        base, strong = _mention_delta(frame, truth, score), _mention_delta(scaled, truth, score)
        top = [k for k in KEYS if abs(PLANTED_THEMES[k][f"{score}_effect"]) >= 0.5 and pd.notna(base[k])]
        assert (strong[top].abs() > base[top].abs()).mean() >= 0.8, score


def test_generation_is_fast() -> None:
    make_feedback(100, 0)  # warm the phrase-bank cache
    t0 = time.perf_counter()
    make_feedback(20_000, 3)
    assert time.perf_counter() - t0 < 4.0  # target is >= 20k docs/s; lenient for busy CI machines
