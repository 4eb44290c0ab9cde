import numpy as np
import pandas as pd
import pytest

from voc.drivers.scores import nps
from voc.io.mapping import ScoreSpec
from voc.stages.base import Corpus
from voc.stages.drivers import DRIVER_COLUMNS, DriversStage, membership

NPS = ScoreSpec("nps", "nps")


def _docs(n=1200, seed=0, dates=True):
    rng = np.random.default_rng(seed)
    m = rng.random((n, 4)) < [0.1, 0.2, 0.3, 0.15]
    latent = 8 + m @ np.array([-3.0, -1.5, 1.0, 0.0]) + rng.normal(0, 1.5, n)
    sent = np.tanh((latent - 7.5) / 2)
    docs = pd.DataFrame({
        "doc_id": range(n), "text": "x",
        "theme_ids": [[int(j) for j in np.flatnonzero(r)] or [-1] for r in m],
        "theme_labels": [[f"t{j}" for j in np.flatnonzero(r)] or ["(none)"] for r in m],
        "touchpoints": [["delivery"] if r[0] else (["support"] if r[1] else []) for r in m],
        "sentiment_score": sent,
        "sentiment": np.where(sent < -0.3, "negative", np.where(sent > 0.3, "positive", "neutral")),
        "nps": np.where(rng.random(n) < 0.2, np.nan, np.clip(np.round(latent), 0, 10)),
        "channel": rng.choice(["email", "web"], n),
        "region": rng.choice(["north", "south"], n),
    })
    if dates:
        docs["date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D")
    return docs


def _run(docs, scores=(NPS,), **kw):
    corpus = Corpus(docs=docs, meta={"scores": list(scores), "segments": ["region"]})
    return DriversStage(n_boot=kw.pop("n_boot", 20), **kw).transform(corpus)


def test_contract_tables_and_columns():
    c = _run(_docs())
    d = c.tables["drivers"]
    assert list(d.columns) == DRIVER_COLUMNS
    assert set(d["dimension"]) == {"theme", "touchpoint"}
    assert len(d[d["dimension"] == "theme"]) == 4  # the -1 "no theme" id is not a theme
    assert set(d[d["dimension"] == "touchpoint"]["key"]) == {"delivery", "support"}
    theme = d[d["dimension"] == "theme"].set_index("key")
    assert theme.loc["0", "impact_ci_high"] < 0 < theme.loc["2", "impact_ci_low"]
    assert theme.loc["0", "rank"] == 1  # the largest planted effect ranks first
    assert theme.loc["0", "touchpoint"] == "delivery"
    p = c.tables["priorities"]
    assert p[p["kind"] == "pain"].iloc[0]["key"] == "0" and p[p["kind"] == "strength"].iloc[0]["key"] == "2"
    assert {"period", "volume", "share", "mean_sentiment", "score_nps", "emerging"} <= set(c.tables["trends"].columns)
    assert c.meta["drivers"]["keydriver"]["nps/theme"]["controls"] == ["channel=web", "region=south"]


def test_drivers_match_independent_recomputation_from_documents():
    docs = _docs(seed=4)
    d = _run(docs).tables["drivers"]
    x = docs["nps"].to_numpy()
    for _, row in d[d["dimension"] == "theme"].iterrows():
        has = docs["theme_ids"].map(lambda ids: int(row["key"]) in ids).to_numpy()
        assert row["impact"] == pytest.approx(nps(x) - nps(x[~has]), abs=1e-9)
        assert row["mention_delta"] == pytest.approx(nps(x[has]) - nps(x[~has]), abs=1e-9)
        assert row["volume"] == has.sum() and row["all_mean"] == pytest.approx(nps(x), abs=1e-9)


def test_no_scores_still_gives_volume_sentiment_and_priorities():
    c = _run(_docs(), scores=())
    d = c.tables["drivers"]
    assert d["score"].isna().all() and d["volume"].gt(0).all()
    assert not c.tables["priorities"].empty and set(c.tables["priorities"]["score"]) == {"sentiment"}
    assert any("no usable score" in note for note in c.meta["drivers"]["notes"])


@pytest.mark.parametrize("ci", ["analytic", "bootstrap"])
def test_tiny_corpus_one_channel_no_dates(ci):
    docs = _docs(n=5, dates=False).assign(channel="email")
    c = _run(docs, ci=ci)
    assert set(c.tables) == {"drivers", "priorities", "trends"}
    assert c.tables["trends"].empty


def test_missing_score_column_and_out_of_range_values_are_noted():
    docs = _docs(n=300)
    docs.loc[:4, "nps"] = 42
    c = _run(docs, scores=(NPS, ScoreSpec("csat", "csat")))
    notes = " ".join(c.meta["drivers"]["notes"])
    assert "outside the declared range" in notes and "'csat'" in notes
    assert set(c.tables["drivers"]["score"].dropna()) == {"nps"}


def test_lower_is_better_score_flips_priorities():
    docs = _docs(seed=2)
    docs["wait"] = 10 - docs["nps"]  # a cost-like score: lower is better
    c = _run(docs, scores=(ScoreSpec("wait", "custom", 0, 10, higher_is_better=False),))
    p = c.tables["priorities"]
    pain = p[p["kind"] == "pain"].iloc[0]
    assert pain["key"] == "0" and pain["impact"] > 0 and pain["conservative_impact"] > 0


def test_membership_ignores_missing_and_negative_ids():
    keys, m = membership(pd.Series([[3, 1], None, [-1], np.array([1])]))
    assert keys == [1, 3]
    assert m.tolist() == [[True, True], [False, False], [False, False], [True, False]]


def test_on_make_feedback_planted_themes():
    datasets = pytest.importorskip("voc.datasets")
    frame, truth = datasets.make_feedback(3000, random_state=0, return_truth=True)
    keys = list(datasets.PLANTED_THEMES)
    docs = frame.rename(columns={"id": "doc_id"}).assign(
        theme_ids=[[keys.index(k) for k in row] for row in truth["themes"]], theme_labels=truth["themes"],
        touchpoints=truth["touchpoints"], sentiment=truth["sentiment"],
        sentiment_score=truth["sentiment"].map({"negative": -0.7, "neutral": 0.0, "positive": 0.7}))
    scores = [ScoreSpec("nps", "nps"), ScoreSpec("stars", "stars"), ScoreSpec("csat", "csat")]
    c = DriversStage(n_boot=20).transform(Corpus(docs=docs, meta={"scores": scores, "segments": ["segment"]}))
    d = c.tables["drivers"]
    theme = d[(d["dimension"] == "theme") & (d["score"] == "nps")]
    planted = theme["key"].map(lambda k: datasets.PLANTED_THEMES[keys[int(k)]]["nps_effect"])
    assert theme["coef"].corr(planted, method="spearman") > 0.85
    late = theme[theme["label"] == "late_delivery"].iloc[0]
    assert late["impact_ci_high"] < 0 and late["trend"] == "rising"


def test_segment_tables_repeat_driver_rows_per_level():
    docs = _docs(n=1500, seed=6)
    c = _run(docs, segment_tables=True)
    d = c.tables["drivers"]
    assert set(d["segment"]) == {"all", "channel=email", "channel=web", "region=north", "region=south"}
    email = d[(d["segment"] == "channel=email") & (d["dimension"] == "theme")].set_index("key")
    x = docs.loc[docs["channel"] == "email", "nps"].to_numpy()
    has = docs.loc[docs["channel"] == "email", "theme_ids"].map(lambda ids: 0 in ids).to_numpy()
    assert email.loc["0", "impact"] == pytest.approx(nps(x) - nps(x[~has]), abs=1e-9)
    assert email.loc["0", "n"] == (docs["channel"] == "email").sum()
    pri = c.tables["priorities"]
    assert set(pri.columns) >= {"kind", "score_kind", "rank"} and len(pri) <= 2 * 10  # whole population only
