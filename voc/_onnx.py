"""ONNX Runtime back-ends of the shared encoder (``embed.backend: onnx | onnx-int8``).

The graph is exported from the packaged MiniLM weights on first use, into the cache
directory (``<cache dir>/onnx/``), with ``torch.onnx.export(..., dynamo=False)``:
nothing is downloaded and no ONNX file travels with voc. Besides the last hidden
state the graph outputs the hidden states of the layers heads branch off (layer 1 for
the sentiment model), so heads still ride on the one pass. ``onnx-int8`` is ONNX
Runtime's dynamic int8 quantisation of that graph (weights int8, activations
quantised per batch). Files are named by the weights' sha256, so new weights export
anew; they are written to a temporary name and renamed, so concurrent runs are safe.

``onnx`` is the default: on 3,905 tweet sentences it gave the same embeddings as
torch (mean cosine 1.0) and the same sentiment and theme labels, and it is faster,
by little on an idle machine and by several times when other jobs share the cores
(benchmarks/throughput.py, ``scoring``). Where onnxruntime or the export is unavailable voc warns
and runs torch (:func:`resolve_backend`).
"""

from __future__ import annotations

import logging
import os
import tempfile
import warnings
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from voc.errors import ConfigError, ModelLoadError

log = logging.getLogger("voc")

BACKENDS = ("torch", "onnx", "onnx-int8")
OPSET = 17


def check_backend(backend: str) -> None:
    if backend not in BACKENDS:
        raise ConfigError(f"embed.backend {backend!r} is not one of {', '.join(BACKENDS)}")
    if backend != "torch":
        try:
            import onnxruntime  # noqa: F401
        except ImportError as exc:
            raise ConfigError(f"embed.backend {backend!r} needs onnxruntime: pip install onnxruntime==1.32.0 "
                              "(or set embed.backend=torch)") from exc


def resolve_backend(requested: str, model_dir: str, weights_sha: str, cache_dir: Path,
                    layers: Sequence[int]) -> str:
    """The back-end that will actually run: ``requested``, or torch (with a warning)
    when ONNX Runtime is not installed or the graph cannot be exported. A name that
    is not a back-end stays an error."""
    if requested not in BACKENDS:
        check_backend(requested)
    if requested == "torch":
        return requested
    try:
        check_backend(requested)
        ensure_model(model_dir, weights_sha, cache_dir, layers, int8=requested == "onnx-int8")
    except (ConfigError, ModelLoadError) as exc:
        same = "the same vectors, more slowly" if requested == "onnx" else "slightly different vectors"
        log.warning("embed.backend=%s is unavailable (%s); falling back to torch (%s)", requested, exc, same)
        return "torch"
    return requested


def onnx_path(cache_dir: Path, weights_sha: str, layers: Sequence[int], int8: bool) -> Path:
    tag = "".join(f"-h{k}" for k in layers)
    return cache_dir / "onnx" / f"minilm-{weights_sha[:16]}{tag}{'-int8' if int8 else ''}.onnx"


def export(model_dir: str, target: Path, layers: Sequence[int]) -> Path:
    """Export the HF model at ``model_dir`` (fp32) to ``target``; outputs
    ``last_hidden_state`` then ``hidden_<k>`` for each k in ``layers``."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(model_dir, local_files_only=True, attn_implementation="eager")
    model.eval()
    layers = tuple(layers)

    class _Wrap(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.m = model

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            out = self.m(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids,
                         output_hidden_states=bool(layers))
            return (out.last_hidden_state, *(out.hidden_states[k] for k in layers))

    names = ["last_hidden_state", *(f"hidden_{k}" for k in layers)]
    dummy = torch.ones((2, 8), dtype=torch.long)
    axes = {n: {0: "batch", 1: "seq"} for n in ("input_ids", "attention_mask", "token_type_ids", *names)}
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer warnings about shape-dependent branches
            torch.onnx.export(_Wrap(), (dummy, dummy, torch.zeros_like(dummy)), tmp, dynamo=False,
                              input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=names,
                              dynamic_axes=axes, opset_version=OPSET, do_constant_folding=True)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    log.info("exported the encoder to ONNX: %s", target)
    return target


def quantize(source: Path, target: Path) -> Path:
    """Dynamic int8 quantisation (ONNX Runtime) of ``source`` into ``target``."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        logging.disable(logging.WARNING)  # onnxruntime logs a pre-processing hint to the root logger
        try:
            # per-channel weight scales: mean cosine to fp32 0.99 (per-tensor: 0.96, MODELS.md)
            quantize_dynamic(str(source), tmp, weight_type=QuantType.QInt8, per_channel=True)
        finally:
            logging.disable(logging.NOTSET)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    log.info("quantised the ONNX encoder to int8: %s", target)
    return target


def ensure_model(model_dir: str, weights_sha: str, cache_dir: Path, layers: Sequence[int], int8: bool) -> Path:
    fp32 = onnx_path(cache_dir, weights_sha, layers, int8=False)
    try:
        if not fp32.exists():
            export(model_dir, fp32, layers)
        if not int8:
            return fp32
        q = onnx_path(cache_dir, weights_sha, layers, int8=True)
        if not q.exists():
            quantize(fp32, q)
        return q
    except ImportError as exc:
        raise ConfigError("the ONNX back-end needs onnxruntime and onnx: "
                          f"pip install onnxruntime==1.32.0 onnx==1.23.2 ({exc})") from exc
    except OSError as exc:
        raise ModelLoadError(f"cannot write the ONNX encoder under {cache_dir}: {exc}; "
                             "set embed.cache_dir to a writable directory or embed.backend=torch") from exc


def head_runner(head: Any, cache_dir: Path, num_threads: int | None) -> Any:
    """``(hidden, mask) -> outputs`` in ONNX Runtime for a head that can export itself
    (``export_onnx``) and has a fingerprint, else None (the head runs in torch). The
    graph is cached as ``onnx/head-<fingerprint>.onnx``; a failed export only logs."""
    from voc.cache import head_fingerprint

    fp = head_fingerprint(head)
    if fp is None or not hasattr(head, "export_onnx"):
        return None
    target = cache_dir / "onnx" / f"head-{fp}.onnx"
    if not target.exists():
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            os.close(fd)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    head.export_onnx(tmp)
                os.chmod(tmp, 0o644)
                os.replace(tmp, target)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        except Exception as exc:  # noqa: BLE001 - the torch path still works
            log.warning("could not export the %s head to ONNX (%s); it runs in torch", type(head).__name__, exc)
            return None
    sess = session(str(target), num_threads)

    def run_head(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return sess.run(None, {"hidden": np.ascontiguousarray(hidden, dtype=np.float32), "mask": mask})[0]

    return run_head


@lru_cache(maxsize=4)
def session(path: str, num_threads: int | None) -> Any:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if num_threads:
        opts.intra_op_num_threads = int(num_threads)
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    # idle worker threads would otherwise spin after each run, taking the cores from
    # whatever runs between batches (torch heads, tokenization)
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return ort.InferenceSession(path, sess_options=opts, providers=["CPUExecutionProvider"])
    except Exception as exc:  # noqa: BLE001 - a corrupt export is one voc error
        raise ModelLoadError(f"cannot load the ONNX encoder {path}: {exc}; delete it to re-export") from exc


def run(sess: Any, input_ids: np.ndarray, attention_mask: np.ndarray) -> list[np.ndarray]:
    return sess.run(None, {"input_ids": input_ids, "attention_mask": attention_mask,
                           "token_type_ids": np.zeros_like(input_ids)})
