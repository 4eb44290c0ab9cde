"""Stable keys: what makes a document "the same" across runs, files and machines.

Everything here is hashlib (SHA-256), never Python's ``hash()``, which is salted per
process: a key computed on a Spark worker, in tomorrow's nightly job or on another
machine must equal the one computed here today.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: Columns the validator adds that describe where a row was read, not what it says.
POSITION_COLUMNS = ("line", "duplicate_text")


def normalize_text(text: str) -> str:
    """Whitespace collapsed, nothing else: a re-export that re-wraps lines is the same
    document, a fixed typo or a changed case is a new version."""
    return " ".join(str(text).split())


def _canonical(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, np.generic):
        return _canonical(value.item())
    if isinstance(value, (pd.Timestamp,)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)  # 9 and 9.0 (an Int64 column read as float) are the same score
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_canonical(v) for v in value]
    return value


def content_hashes(frame: pd.DataFrame) -> list[str]:
    """One SHA-256 per row over the normalised text and every mapped input column
    (date, channel, segments, scores, kept columns), so a corrected score is a new
    version too. Row position (``line``) is left out: moving a row is not a change."""
    cols = sorted(c for c in frame.columns if c not in ("doc_id", "text", *POSITION_COLUMNS))
    texts = frame["text"].tolist()
    others = [frame[c].tolist() for c in cols]
    out = []
    for i, t in enumerate(texts):
        payload = {"text": normalize_text(t), **{c: _canonical(v[i]) for c, v in zip(cols, others)}}
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
        out.append(hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()[:32])
    return out


def assign_keys(frame: pd.DataFrame, has_id: bool) -> pd.DataFrame:
    """``frame`` (an ``IngestResult.frame``) with a ``content_hash`` column and, when the
    input has no id column, ``doc_id`` replaced by ``"h:" + content_hash`` (the reader's
    default id depends on the file name and line, which change from one export to the
    next). Without an id, identical rows are one document: map an id to keep them apart."""
    out = frame.copy()
    hashes = content_hashes(frame)
    if not has_id:
        out["doc_id"] = pd.Series(["h:" + h for h in hashes], index=out.index, dtype="str")
    out["content_hash"] = pd.Series(hashes, index=out.index, dtype="str")
    return out


def model_fingerprint(model_dir: str | Path) -> str:
    """SHA-256 over every file of a saved model directory (relative path + bytes), with
    the save timestamp left out of ``meta.json``, so the same fit saved twice has the same
    fingerprint and any change to what a stage learned gives a new one."""
    root = Path(model_dir)
    h = hashlib.sha256()
    for p in sorted(q for q in root.rglob("*") if q.is_file()):
        rel = p.relative_to(root).as_posix()
        data = p.read_bytes()
        if rel == "meta.json":
            meta = json.loads(data)
            meta.pop("created", None)
            data = json.dumps(meta, sort_keys=True).encode()
        h.update(rel.encode() + b"\0" + len(data).to_bytes(8, "little") + data)
    return h.hexdigest()[:16]
