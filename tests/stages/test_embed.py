"""The embed stage's encoder: cache hits are exact, the cache key covers everything
that changes the numbers, back-ends are chosen by config and agree with torch.
No timings here: speed claims live in benchmarks/throughput.py."""

from __future__ import annotations

import numpy as np
import pytest

from voc import encoder as enc_mod
from voc.encoder import Encoder
from voc.errors import ConfigError

TEXTS = [
    "The delivery was late and support never answered.",
    "Love the dress but the zip broke after one wear.",
    "Great staff at the check-in desk.",
    "Great staff at the check-in desk.",  # duplicate: encoded once, returned twice
    "",
    "refund " * 200,  # longer than max_length: truncated
]


@pytest.fixture(scope="module")
def head():  # type: ignore[no-untyped-def]
    from voc.stages.sentiment import resolve_sentiment_model

    model, desc = resolve_sentiment_model("sentiment")
    if not hasattr(model, "branch_layer"):
        pytest.skip(f"the trained sentiment model is not available ({desc})")
    return model


@pytest.fixture(scope="module")
def plain(head):  # type: ignore[no-untyped-def]
    """Reference: torch, no cache."""
    return Encoder(max_length=32).encode(TEXTS, heads=[head])


def _no_pass(*args, **kwargs):  # type: ignore[no-untyped-def]
    raise AssertionError("the transformer ran although every text was cached")


def test_cache_hit_returns_identical_embeddings_and_head_outputs(tmp_path, head, plain, monkeypatch):
    e = Encoder(max_length=32, cache=True, cache_dir=tmp_path)
    first = e.encode(TEXTS, heads=[head])
    assert first.n_cached == 0 and first.n_encoded == len(set(TEXTS))
    np.testing.assert_allclose(first.embeddings, plain.embeddings, atol=1e-5)
    monkeypatch.setattr(Encoder, "_runner", _no_pass)
    second = e.encode(TEXTS, heads=[head])
    assert second.n_cached == len(TEXTS) and second.n_encoded == 0
    assert np.array_equal(second.embeddings, first.embeddings)
    assert np.array_equal(second.head_outputs[0], first.head_outputs[0])
    assert second.n_truncated == first.n_truncated == 1


def test_partial_hit_encodes_only_new_texts(tmp_path, head, plain):
    e = Encoder(max_length=32, cache=True, cache_dir=tmp_path)
    e.encode(TEXTS[:2], heads=[head])
    r = e.encode(TEXTS, heads=[head])
    assert r.n_cached == 2 and r.n_encoded == len(set(TEXTS)) - 2
    np.testing.assert_allclose(r.embeddings, plain.embeddings, atol=1e-5)
    np.testing.assert_allclose(r.head_outputs[0], plain.head_outputs[0], atol=1e-5)


@pytest.mark.parametrize("cached", [False, True])
def test_results_placed_into_longer_arrays(tmp_path, head, plain, cached, monkeypatch):
    """``rows``/``n_rows`` put each text's outputs at its row of a longer zero array (the
    embed stage fills the other rows from the multilingual model), cache hits included."""
    monkeypatch.setattr(enc_mod, "_PLACE_BLOCK", 2)  # several placement blocks
    e = Encoder(max_length=32, cache=cached, cache_dir=tmp_path)
    rows = np.array([9, 0, 4, 2, 7, 5])
    r = e.encode(TEXTS, heads=[head], rows=rows, n_rows=10)
    assert r.embeddings.shape == (10, plain.embeddings.shape[1]) and len(r.truncated) == 10
    np.testing.assert_allclose(r.embeddings[rows], plain.embeddings, atol=1e-5)
    np.testing.assert_allclose(r.head_outputs[0][rows], plain.head_outputs[0], atol=1e-5)
    rest = np.setdiff1d(np.arange(10), rows)
    assert not r.embeddings[rest].any() and not r.head_outputs[0][rest].any() and not r.truncated[rest].any()
    assert r.truncated[rows].tolist() == plain.truncated.tolist()
    empty = e.encode([], heads=[head], rows=np.zeros(0, np.int64), n_rows=3)
    assert empty.embeddings.shape[0] == 3 and empty.head_outputs[0].shape[0] == 3
    with pytest.raises(ValueError, match="rows"):
        e.encode(TEXTS, rows=rows[:2], n_rows=10)


def test_cache_invalidates_when_max_length_or_model_weights_change(tmp_path, head, monkeypatch):
    Encoder(max_length=32, cache=True, cache_dir=tmp_path).encode(TEXTS, heads=[head])
    assert Encoder(max_length=16, cache=True, cache_dir=tmp_path).encode(TEXTS, heads=[head]).n_cached == 0
    monkeypatch.setattr(enc_mod, "weights_sha256", lambda name=None: "0" * 64)
    assert Encoder(max_length=32, cache=True, cache_dir=tmp_path).encode(TEXTS, heads=[head]).n_cached == 0


def test_head_outputs_are_keyed_by_the_head(tmp_path, head):
    class Other:
        branch_layer = 4
        cache_key = "other-head-v1"

        def forward_hidden(self, hidden, mask):  # type: ignore[no-untyped-def]
            return np.ones((hidden.shape[0], 2), dtype=np.float32)

    e = Encoder(max_length=32, cache=True, cache_dir=tmp_path)
    e.encode(TEXTS, heads=[head])
    r = e.encode(TEXTS, heads=[Other()])  # embeddings are stored, this head's outputs are not
    assert r.n_cached == 0 and r.head_outputs[0].shape == (len(TEXTS), 2)
    assert e.encode(TEXTS, heads=[Other()]).n_cached == len(TEXTS)


def test_head_without_fingerprint_bypasses_the_cache(tmp_path):
    class Anonymous:
        branch_layer = 4

        def forward_hidden(self, hidden, mask):  # type: ignore[no-untyped-def]
            return np.zeros((hidden.shape[0], 1), dtype=np.float32)

    e = Encoder(max_length=32, cache=True, cache_dir=tmp_path)
    e.encode(TEXTS, heads=[Anonymous()])
    assert e.encode(TEXTS, heads=[Anonymous()]).n_cached == 0


def test_truncation_matches_sentence_transformers(plain):
    """voc cuts and pads batches itself; the vectors must be SentenceTransformer's."""
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(enc_mod.model_path()), device="cpu")
    st.max_seq_length = 32
    ref = st.encode(TEXTS, batch_size=4, normalize_embeddings=True)
    assert float((ref * plain.embeddings).sum(1).min()) > 0.9999


def test_config_selects_the_backend_and_rejects_unknown_ones(tmp_path):
    import pandas as pd

    import voc
    from voc.stages.base import Corpus

    a = voc.Analyzer(overrides=["embed.backend=onnx", f"embed.cache_dir={tmp_path}", "embed.cache=false"])
    stage = a._build()["embed"]
    assert stage.encoder.backend == "onnx" and stage.encoder.cache is False
    assert str(stage.encoder.cache_dir) == str(tmp_path)
    bad = voc.Analyzer(overrides=["embed.backend=tensorrt"])._build()["embed"]
    corpus = Corpus(docs=pd.DataFrame({"doc_id": [0], "text": ["x"]}),
                    sentences=pd.DataFrame({"doc_id": [0], "sentence_id": [0], "text": ["x"]}))
    with pytest.raises(ConfigError, match="torch, onnx, onnx-int8"):
        bad.transform(corpus)


@pytest.mark.slow
@pytest.mark.parametrize("backend,min_cos", [("onnx", 0.9999), ("onnx-int8", 0.95)])
def test_onnx_backend_agrees_with_torch(tmp_path_factory, head, plain, backend, min_cos):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    cache = tmp_path_factory.getbasetemp() / "onnx-cache"  # one export for both cases
    r = Encoder(max_length=32, backend=backend, cache_dir=cache).encode(TEXTS, heads=[head])
    cos = (r.embeddings * plain.embeddings).sum(1)
    assert float(cos.mean()) > min_cos, cos
    if backend == "onnx":
        np.testing.assert_allclose(r.head_outputs[0], plain.head_outputs[0], atol=1e-4)
        assert (r.head_outputs[0].argmax(1) == plain.head_outputs[0].argmax(1)).all()


def _one_sentence_corpus():  # type: ignore[no-untyped-def]
    import pandas as pd

    from voc.stages.base import Corpus

    return Corpus(docs=pd.DataFrame({"doc_id": [0], "text": ["The zip broke."]}),
                  sentences=pd.DataFrame({"doc_id": [0], "sentence_id": [0], "text": ["The zip broke."]}))


def test_onnx_is_the_default_and_run_meta_names_the_engine_that_ran(tmp_path):
    pytest.importorskip("onnxruntime")
    import voc

    stage = voc.Analyzer(overrides=[f"embed.cache_dir={tmp_path}"])._build()["embed"]
    assert stage.backend == "onnx"
    out = stage.transform(_one_sentence_corpus())
    assert out.meta["embed"]["backend"] == "onnx" and out.embeddings.shape == (1, 384)


def test_missing_onnxruntime_falls_back_to_torch_loudly(tmp_path, monkeypatch, caplog):
    """Without ONNX Runtime (or a writable export) the run goes on with torch, says
    so in the log, and run.json records torch: never a silent switch."""
    from voc import _onnx
    from voc.stages.embed import EmbedStage

    def missing(backend: str) -> None:
        raise ConfigError("embed.backend 'onnx' needs onnxruntime")

    monkeypatch.setattr(_onnx, "check_backend", missing)
    with caplog.at_level("WARNING", logger="voc"):
        out = EmbedStage(backend="onnx", cache=False, cache_dir=str(tmp_path)).transform(_one_sentence_corpus())
    assert out.meta["embed"]["backend"] == "torch"
    assert any("falling back to torch" in r.getMessage() for r in caplog.records)
    ref = Encoder().encode(["The zip broke."]).embeddings
    np.testing.assert_allclose(out.embeddings, ref, atol=1e-6)


@pytest.mark.slow
def test_onnx_backend_runs_the_sentiment_branch_in_onnx_runtime_too(tmp_path, head, plain):
    """The branch layers cost about as much as the ONNX pass when run in torch; exported,
    they run in ONNX Runtime with the same probabilities. A head that cannot export
    itself still runs, in torch."""
    pytest.importorskip("onnxruntime")

    class TorchOnly:
        branch_layer = head.branch_layer
        cache_key = "torch-only-test-head"

        def forward_hidden(self, hidden, mask):  # type: ignore[no-untyped-def]
            return head.forward_hidden(hidden, mask)

    r = Encoder(max_length=32, backend="onnx", cache_dir=tmp_path).encode(TEXTS, heads=[head, TorchOnly()])
    assert len(list((tmp_path / "onnx").glob("head-*.onnx"))) == 1
    np.testing.assert_allclose(r.head_outputs[0], plain.head_outputs[0], atol=1e-5)
    np.testing.assert_allclose(r.head_outputs[1], plain.head_outputs[0], atol=1e-5)


def test_heads_also_read_multi_clause_documents_whole(tmp_path, head):
    """With the document pass, each document of two or more clauses is read by the
    heads in one piece (aligned with docs, NaN for one-clause documents, whose clause
    is the whole); without it nothing is run on documents."""
    import pandas as pd

    from voc.stages.base import Corpus
    from voc.stages.embed import EmbedStage
    from voc.stages.segment import SegmentStage

    long = "The jacket looks great and the colour is lovely. " * 20 + "But it fell apart."
    docs = pd.DataFrame({"doc_id": ["a", "b", "c"],
                         "text": ["Terrible support.", "Love the fit, but the zip broke after a week.", long]})

    def run(document_pass: bool) -> Corpus:
        corpus = SegmentStage().transform(Corpus(docs=docs.copy()))
        stage = EmbedStage(backend="torch", cache=False, cache_dir=str(tmp_path), document_pass=document_pass)
        stage.attach("sentiment_proba", head)
        return stage.transform(corpus)

    out = run(True)
    whole = out.doc_features["sentiment_proba"]
    assert whole.shape == (3, 3) and np.isnan(whole[0]).all()
    ref = Encoder().encode(docs["text"].tolist()[1:], heads=[head]).head_outputs[0]
    np.testing.assert_allclose(whole[1:], ref, atol=1e-5)
    assert out.doc_features["truncated"].tolist() == [False, False, True]
    assert out.meta["embed"]["documents_read_whole"] == 2 and out.meta["embed"]["documents_truncated"] == 1
    assert out.features["sentiment_proba"].shape == (len(out.sentences), 3)
    assert run(False).doc_features == {}
