"""Theme stage: determinism, transform == fit, saved-model round trip, curated themes,
unique labels, stable ids across refits, hierarchy and tiny corpora.

The real encoder embeds ~120 hand-written sentences about five topics once per module;
one UMAP/HDBSCAN fit is shared by most tests (the first fit in a process pays numba's
compilation)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import shared_path
from voc.errors import ConfigError, NotFittedError
from voc.stages.base import Corpus
from voc.stages.themes import ThemeStage
from voc.themes.curated import load_curated

REPO = Path(__file__).resolve().parents[2]

TOPICS: dict[str, list[str]] = {
    "delivery": [
        "My package arrived two weeks late.", "The parcel still has not been delivered.",
        "Delivery took much longer than promised.", "My order is late again.",
        "The courier never showed up with my parcel.", "Shipping was really slow.",
        "I have been waiting ten days for my delivery.", "The tracking says delivered but nothing arrived.",
        "My order was supposed to arrive on Monday and it is now Friday.", "The package was delayed for a week.",
        "Where is my order? It is very late.", "Slow shipping, took almost a month.",
        "The delivery date kept getting pushed back.", "Parcel arrived late and the box was crushed.",
        "Still waiting for my shipment to arrive.", "The delivery driver left my package at the wrong house.",
        "It took three weeks for the order to be delivered.", "My parcel is stuck in transit.",
        "Late delivery, very disappointed.", "Shipping delays ruined my gift plans.",
        "The order arrived a week after the estimated date.", "The parcel got lost by the courier.",
        "Expected delivery was yesterday and still no package.", "Why is my delivery taking so long?",
    ],
    "refund": [
        "I still have not received my refund.", "They refused to give me my money back.",
        "The refund took over a month to process.", "I returned the item but got no refund.",
        "How long does a refund take?", "I want a refund for this order.",
        "My refund request was ignored.", "They charged me twice and will not refund the extra payment.",
        "Still waiting for my money back after the return.", "The refund amount was wrong.",
        "I was promised a refund that never came.", "Refund was denied without explanation.",
        "Please refund my payment, the product was faulty.", "They only gave me store credit instead of a refund.",
        "I got charged for a cancelled order and want my money back.", "The return was accepted but the refund is missing.",
        "Refunds take forever with this company.", "I asked for a refund three weeks ago.",
        "No refund yet for my returned shoes.", "My bank shows no refund from them.",
        "Getting my money back was impossible.", "The refund was only partial.",
        "Requesting a full refund for the damaged item.", "They keep delaying my refund.",
    ],
    "app": [
        "The app keeps crashing when I open it.", "I cannot log in to the app.",
        "The website is down again.", "The app freezes on the checkout page.",
        "Password reset email never arrives.", "The app logs me out every few minutes.",
        "Error message when I try to sign in.", "The mobile app is very slow to load.",
        "The checkout page crashes on my phone.", "Login fails with an unknown error.",
        "The latest app update broke everything.", "I can't open the app after the update.",
        "The site keeps timing out.", "Two factor authentication code never comes through.",
        "The app crashes whenever I add something to the cart.", "I get a blank screen when I launch the app.",
        "The website will not load on my browser.", "My account is locked and I can't sign in.",
        "The app is buggy and unusable.", "Search in the app does not work.",
        "Page keeps reloading and losing my cart.", "The app drains my battery and crashes.",
        "Cannot reset my password on the website.", "The login button does nothing.",
    ],
    "staff": [
        "The customer service agent was very rude.", "Support hung up on me.",
        "The staff were friendly and helpful.", "The agent on the phone was dismissive.",
        "Customer support never answers my emails.", "The representative was incredibly unhelpful.",
        "I waited an hour on hold to speak to someone.", "The support team was very kind.",
        "Nobody in customer service could answer my question.", "The agent was patient and solved my issue.",
        "The call center staff were impolite.", "Customer service kept transferring me around.",
        "The support person was condescending.", "The chat agent gave me wrong information.",
        "Great service from the support agent Anna.", "Their customer service is terrible.",
        "The staff member shouted at me.", "Support took days to reply to my message.",
        "The helpdesk agent was really knowledgeable.", "Customer care ignored my complaint.",
        "The agent was rude and unprofessional.", "I had a lovely chat with customer support.",
        "Service reps were not trained at all.", "The manager apologised for the rude staff.",
    ],
    "fit": [
        "The dress runs small, order a size up.", "These jeans are too tight.",
        "The shirt fits perfectly.", "The shoes are half a size too small.",
        "The sweater is huge, size down.", "Sleeves are way too long.",
        "The fit is very boxy.", "The pants are too short for me.",
        "The jacket is too big in the shoulders.", "Runs large, I would recommend a smaller size.",
        "The waist is too loose.", "True to size and very flattering.",
        "The top is too tight across the chest.", "Size medium fits like a small.",
        "The skirt is shorter than expected.", "These boots run narrow.",
        "The dress is too long for petite women.", "Perfect fit, exactly my size.",
        "The coat is snug around the arms.", "The bra cups are too small.",
        "Sizing is inconsistent between colors.", "The blouse fits loosely.",
        "The leggings are too tight at the waist.", "The hoodie is oversized but cute.",
    ],
}
TEXTS = [t for ts in TOPICS.values() for t in ts]
TRUTH = np.array([name for name, ts in TOPICS.items() for _ in ts])


def _corpus(texts: list[str], emb: np.ndarray, per_doc: int = 2) -> Corpus:
    n = len(texts)
    doc = np.arange(n) // per_doc
    sents = pd.DataFrame({"doc_id": doc, "sentence_id": np.arange(n), "text": texts})
    docs = pd.DataFrame({"doc_id": np.unique(doc)})
    return Corpus(docs=docs, sentences=sents, embeddings=emb)


@pytest.fixture(scope="module")
def emb() -> np.ndarray:
    from voc.encoder import Encoder

    return Encoder().encode(TEXTS).embeddings


def interleaved(emb: np.ndarray) -> Corpus:
    """The topics interleaved, so one document mixes two themes."""
    order = np.argsort(np.arange(len(TEXTS)) % 24, kind="stable")
    return _corpus([TEXTS[i] for i in order], emb[order])


@pytest.fixture(scope="module")
def corpus(emb: np.ndarray) -> Corpus:
    return interleaved(emb)


@pytest.fixture(scope="module")
def fitted(corpus: Corpus) -> ThemeStage:
    return ThemeStage(random_state=0).fit(corpus)


def _truth_of(corpus: Corpus) -> np.ndarray:
    return np.array([TRUTH[TEXTS.index(t)] for t in corpus.sentences["text"]])


def test_finds_the_topics_with_few_outliers(fitted: ThemeStage, corpus: Corpus) -> None:
    from sklearn.metrics import v_measure_score

    out = fitted.transform(corpus)
    ids = out.sentences["theme_id"].to_numpy()
    assert 3 <= (fitted.themes_["level"] == 0).sum() <= 10
    assert (ids < 0).mean() <= 0.10
    assert v_measure_score(_truth_of(corpus), ids) >= 0.6
    assert set(out.sentences.loc[ids < 0, "theme_label"]) <= {"unassigned"}
    assert out.meta["themes"]["n_sentences"] == len(ids)


def test_transform_on_fitting_data_reproduces_fit(fitted: ThemeStage, corpus: Corpus) -> None:
    out = fitted.transform(corpus)
    np.testing.assert_array_equal(out.sentences["theme_id"].to_numpy(), fitted.labels_)
    sizes = out.sentences["theme_id"].value_counts()
    leaves = fitted.themes_[fitted.themes_["level"] == 0]
    for tid, size in zip(leaves["theme_id"], leaves["size"]):
        assert sizes.get(tid, 0) == size


def test_assignment_in_blocks_is_assignment_at_once(fitted: ThemeStage, corpus: Corpus, monkeypatch) -> None:
    """Large files are assigned a block of sentences at a time (memory): the same themes
    and scores wherever the blocks fall."""
    from voc.themes import cluster

    whole = fitted.transform(corpus).sentences
    monkeypatch.setattr(cluster, "_CHUNK", 4)
    monkeypatch.setattr("voc.themes.stage._VOTE_BLOCK", 8)
    blocks = fitted.transform(corpus).sentences
    assert len(corpus.sentences) > 8 and (whole["theme_id"] >= 0).any()
    np.testing.assert_array_equal(blocks["theme_id"].to_numpy(), whole["theme_id"].to_numpy())
    np.testing.assert_allclose(blocks["theme_score"].to_numpy(), whole["theme_score"].to_numpy(), rtol=1e-6)


def test_table_labels_keywords_examples(fitted: ThemeStage) -> None:
    t = fitted.themes_
    assert {"theme_id", "label", "keywords", "size", "examples", "parent_id", "curated"} <= set(t.columns)
    assert t["label"].is_unique and t["theme_id"].is_unique
    assert "unassigned" not in set(t["label"])
    assert fitted.centroids_.shape == (len(t), 384)
    for _, row in t.iterrows():
        assert row["label"].strip()
        if row["kind"] in ("general", "context"):  # the reserved buckets (ids -2, -3) have no keywords
            assert row["theme_id"] in (-2, -3) and row["level"] == 0
            continue
        assert len(row["keywords"]) >= 1
        assert min(3, row["size"]) <= len(row["examples"]) <= 5
        assert len(set(row["examples"])) == len(row["examples"])


def test_doc_theme_ids_are_sorted_distinct_sentence_themes(fitted: ThemeStage, corpus: Corpus) -> None:
    out = fitted.transform(corpus)
    s = out.sentences
    label_of = dict(zip(fitted.themes_["theme_id"], fitted.themes_["label"]))
    for _, doc in out.docs.iterrows():
        expected = sorted({int(i) for i in s.loc[s["doc_id"] == doc["doc_id"], "theme_id"] if i >= 0})
        assert list(doc["theme_ids"]) == expected
        assert list(doc["theme_labels"]) == [label_of[i] for i in expected]


def test_same_seed_same_themes(fitted: ThemeStage, corpus: Corpus) -> None:
    again = ThemeStage(random_state=0).fit(corpus)
    pd.testing.assert_frame_equal(again.themes_, fitted.themes_)
    np.testing.assert_array_equal(again.centroids_, fitted.centroids_)
    np.testing.assert_array_equal(again.labels_, fitted.labels_)


def test_round_trip_reproduces_assignments(fitted: ThemeStage, corpus: Corpus, tmp_path: Path) -> None:
    fitted.to_disk(tmp_path / "themes")
    files = {p.suffix for p in (tmp_path / "themes").iterdir()}
    assert files <= {".json", ".parquet", ".npy"}  # plain formats, no pickles
    loaded = ThemeStage().from_disk(tmp_path / "themes")
    pd.testing.assert_frame_equal(loaded.themes_, fitted.themes_)
    a = fitted.transform(corpus).sentences
    b = loaded.transform(corpus).sentences
    pd.testing.assert_frame_equal(a, b)


def test_unfitted_transform_raises(corpus: Corpus) -> None:
    with pytest.raises(NotFittedError):
        ThemeStage().transform(corpus)


def test_curated_theme_claims_its_sentences_first(corpus: Corpus) -> None:
    curated = [{"name": "late delivery", "description": "the parcel or order arrived late or never arrived",
                "examples": ["My package is two weeks late.", "Still waiting for my order to arrive."]}]
    stage = ThemeStage(curated=curated, random_state=0).fit(corpus)
    t = stage.themes_
    row = t[t["curated"]]
    assert list(row["label"]) == ["late delivery"] and list(row["theme_id"]) == [0]
    ids = stage.transform(corpus).sentences["theme_id"].to_numpy()
    truth = _truth_of(corpus)
    assert (ids[truth == "delivery"] == 0).mean() >= 0.6
    assert (ids[truth != "delivery"] == 0).mean() <= 0.05
    # discovery ran on the leftovers: no discovered theme is mostly about delivery
    for tid in t.loc[~t["curated"] & (t["kind"] == "issue"), "theme_id"]:
        assert (truth[ids == tid] == "delivery").mean() < 0.5


def test_curated_yaml_example_parses_and_bad_files_fail(tmp_path: Path) -> None:
    themes = load_curated(REPO / "configs" / "themes.example.yaml")
    assert [t.name for t in themes][:2] == ["late delivery", "rude support agent"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("themes:\n  - description: no name here\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        load_curated(bad)
    bad.write_text("themes: [\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        load_curated(bad)


def test_refit_keeps_ids_of_persisting_themes(fitted: ThemeStage, corpus: Corpus, emb: np.ndarray,
                                               tmp_path: Path) -> None:
    # new data: same topics minus "fit", other order and other documents
    keep = [i for i, t in enumerate(TEXTS) if TRUTH[i] != "fit"]
    rng = np.random.default_rng(7)
    keep = list(rng.permutation(keep))
    new = _corpus([TEXTS[i] for i in keep], emb[keep], per_doc=3)
    fitted.to_disk(tmp_path / "ref")
    refit = ThemeStage(random_state=0, reference=tmp_path / "ref").fit(new)

    old_truth, new_truth = _truth_of(corpus), _truth_of(new)

    def topic_of(stage: ThemeStage, truth: np.ndarray) -> dict[int, str]:
        return {int(tid): pd.Series(truth[stage.labels_ == tid]).mode()[0]
                for tid in stage.themes_.loc[stage.themes_["kind"] == "issue", "theme_id"] if (stage.labels_ == tid).any()}

    old_topics, new_topics = topic_of(fitted, old_truth), topic_of(refit, new_truth)
    changes = refit.fit_info_["changes"]["issues"]
    assert changes["kept"], "no theme kept its id"
    for tid in changes["kept"]:
        assert new_topics[tid] == old_topics[tid]  # same id, same meaning
    gone_topics = {old_topics[t] for t in changes["gone"] if t in old_topics}
    assert "fit" in gone_topics
    assert all(t >= fitted.next_id_ for t in changes["new"])  # ids never recycled


def test_n_themes_limits_top_level(corpus: Corpus) -> None:
    stage = ThemeStage(n_themes=2, random_state=0).fit(corpus)
    t = stage.themes_
    top = t[t["kind"] == "aspect"]
    assert len(top) <= 2 < (t["kind"] == "issue").sum()
    assert set(t.loc[t["kind"] == "issue", "parent_id"]) <= set(top["theme_id"]) | {-1}
    parents = t[t["level"] == 1]
    assert all(p["size"] == t.loc[t["parent_id"] == p["theme_id"], "size"].sum() for _, p in parents.iterrows())


@pytest.mark.parametrize("n", [0, 1, 5])
def test_tiny_corpus(emb: np.ndarray, n: int) -> None:
    c = _corpus(TEXTS[:n], emb[:n])
    stage = ThemeStage().fit(c)
    out = stage.transform(c)
    assert len(out.sentences) == n and "theme_id" in out.sentences
    assert out.meta["themes"]["n_sentences"] == n
    assert (out.sentences["theme_id"] == -1).sum() == out.meta["themes"]["n_unassigned"]


@pytest.mark.slow
def test_banking77_quality_on_shared_data() -> None:
    """Real labels, skipped where ../shared/data is absent: 15 intents of Banking77 test."""
    from sklearn.metrics import v_measure_score

    from voc.encoder import Encoder

    df = pd.read_csv(shared_path("banking77", "test.csv"))
    keep = sorted(df["category"].unique())[:15]
    df = df[df["category"].isin(keep)].reset_index(drop=True)
    c = _corpus(df["text"].tolist(), Encoder().encode(df["text"].tolist()).embeddings, per_doc=1)
    ids = ThemeStage(random_state=0).fit_transform(c).sentences["theme_id"].to_numpy()
    assert (ids < 0).mean() <= 0.05
    assert v_measure_score(df["category"], ids) >= 0.7


def test_labels_show_written_forms_and_name_termless_themes() -> None:
    """Regression: labels read "run small"/"arrive damage" (lemmas) and themes of
    thanks or emoji were called "theme (2)"."""
    from collections import Counter

    from voc.themes import labels

    surfaces = {"run small": Counter({"runs small": 5, "run small": 1}), "arrive damage": Counter({"arrived damaged": 3})}
    display = labels.display_forms(surfaces)
    ranked = [[("run small", 1.0)], [("arrive damage", 1.0)], [], []]
    got = labels.unique_labels(ranked, display=display,
                               examples=[[], [], ["👌", "💀💀"], ["Keep it up!!", "Please keep it up, thanks."]])
    assert got == ["runs small", "arrived damaged", "emoji only", "“Keep it up”"]
    assert len(set(labels.unique_labels([[], []], examples=[["Thanks!"], ["Thanks."]]))) == 2


def test_exact_knn_matches_brute_force_neighbours() -> None:
    """UMAP gets voc's own kNN graph instead of building a pynndescent index: it must
    be the true cosine graph, with each row itself first even beside a duplicate."""
    from sklearn.neighbors import NearestNeighbors

    from voc.themes.cluster import exact_knn

    x = np.random.default_rng(0).normal(size=(2500, 48)).astype(np.float32)
    x[7] = x[5]
    idx, dist = exact_knn(x, 10)
    ref_dist, ref_idx = NearestNeighbors(n_neighbors=10, metric="cosine", algorithm="brute").fit(x).kneighbors(x)
    assert (idx[:, 0] == np.arange(len(x))).all()
    assert idx[5, 1] == 7 and idx[7, 1] == 5 and dist[5, 1] == pytest.approx(0.0, abs=1e-6)
    assert np.mean(idx == ref_idx) > 0.995  # only float ties may swap
    np.testing.assert_allclose(np.sort(dist, axis=1), np.sort(ref_dist, axis=1), atol=1e-5)


def test_knn_vote_and_centroids_agree_with_a_plain_loop() -> None:
    from voc.themes.cluster import centroids_of, knn_vote, normalize

    rng = np.random.default_rng(1)
    x = normalize(rng.normal(size=(300, 16)))
    ref, lab = x[:120], rng.integers(0, 4, 120)
    votes = knn_vote(x, ref, lab, 5, 4)
    for i in (0, 57, 299):
        nearest = np.argsort(-(ref @ x[i]), kind="stable")[:5]
        counts = np.bincount(lab[nearest], minlength=4)
        assert counts[votes[i]] == counts.max()
    labels = rng.integers(-1, 4, 300)
    cents, counts = centroids_of(x, labels, 4)
    for j in range(4):
        assert counts[j] == (labels == j).sum()
        np.testing.assert_allclose(cents[j], normalize(x[labels == j].sum(0, keepdims=True))[0], atol=1e-6)
