"""On-disk cache of encoder outputs, so rescoring text voc has already seen costs a
lookup instead of a transformer pass.

One SQLite file per *namespace* under ``<cache dir>/embeddings/``. A namespace is
everything that changes the numbers: the encoder weights (sha256), ``max_length`` and
the back-end (onnx-int8 gives different vectors than torch). Inside it a row is keyed
by the sha1 of the text and holds the float32 embedding bytes, exactly as computed, so
a hit returns bit-identical vectors.

Heads (the sentiment model reads layer 1 of the same pass) are cached too, in a second
table keyed by (text sha1, head fingerprint): without them every pipeline run would
still need the pass for the heads, and the cache would save nothing. A head that
cannot be fingerprinted (no ``cache_key`` and no torch ``net_``) switches the cache off
for that call rather than risk serving another model's probabilities.

SQLite because it ships with Python, is safe with several processes writing (WAL, a
busy timeout) and needs no compaction; a cache that cannot be opened (read-only home,
full disk) only logs a warning: it never fails a run.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger("voc")

_CHUNK = 500  # SQLite's default limit on bound parameters is 999 (older builds)
_FINGERPRINTS: dict[int, tuple[Any, Any, str | None]] = {}


def default_cache_dir() -> Path:
    """``$VOC_CACHE_DIR``, else ``$XDG_CACHE_HOME/voc``, else ``~/.cache/voc``."""
    env = os.environ.get("VOC_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "voc"


def resolve_cache_dir(cache_dir: str | Path | None) -> Path:
    return Path(cache_dir).expanduser() if cache_dir else default_cache_dir()


def text_key(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).digest()


def namespace(model_sha256: str, max_length: int, backend: str) -> str:
    return hashlib.sha256(f"{model_sha256}|{int(max_length)}|{backend}".encode()).hexdigest()[:20]


def head_fingerprint(head: Any) -> str | None:
    """A string that changes whenever the head's outputs could: ``head.cache_key`` if the
    head defines one, else a hash of its class, branch layer, temperature and weights.
    ``None`` when the head offers neither (then nothing is cached for it)."""
    net = getattr(head, "net_", None)
    cached = _FINGERPRINTS.get(id(head))
    if cached is not None and cached[0] is head and cached[1] is net:  # refitting replaces net_
        return cached[2]
    fp: str | None
    key = getattr(head, "cache_key", None)
    if isinstance(key, str) and key:
        fp = key
    else:
        if net is None or not hasattr(net, "state_dict"):
            fp = None
        else:
            h = hashlib.sha256()
            h.update(f"{type(head).__qualname__}|{getattr(head, 'branch_layer', '')}|"
                     f"{getattr(head, 'temperature_', '')}".encode())
            for name, tensor in sorted(net.state_dict().items()):
                h.update(name.encode())
                h.update(tensor.detach().cpu().contiguous().float().numpy().tobytes())
            fp = h.hexdigest()[:20]
    _FINGERPRINTS[id(head)] = (head, net, fp)
    return fp


class EmbeddingCache:
    """Embeddings (and head outputs) of one namespace, keyed by text hash."""

    def __init__(self, directory: str | Path, space: str, dim: int) -> None:
        self.directory = Path(directory)
        self.space = space
        self.dim = dim
        self._conn: sqlite3.Connection | None = None
        self._broken = False

    @property
    def path(self) -> Path:
        return self.directory / "embeddings" / f"{self.space}.sqlite"

    def _db(self) -> sqlite3.Connection | None:
        if self._conn is not None or self._broken:
            return self._conn
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("CREATE TABLE IF NOT EXISTS vec (k BLOB PRIMARY KEY, v BLOB NOT NULL, "
                         "t INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID")
            conn.execute("CREATE TABLE IF NOT EXISTS head (h TEXT NOT NULL, k BLOB NOT NULL, v BLOB NOT NULL, "
                         "PRIMARY KEY (h, k)) WITHOUT ROWID")
            self._conn = conn
        except (OSError, sqlite3.Error) as exc:
            log.warning("embedding cache disabled: cannot open %s (%s)", self.path, exc)
            self._broken = True
        return self._conn

    def get(self, keys: Sequence[bytes], heads: Sequence[str]
            ) -> tuple[np.ndarray, np.ndarray, list[np.ndarray], np.ndarray]:
        """``(hit, embeddings, head_outputs, truncated)``: ``hit[i]`` is true when the
        embedding and every head's output for ``keys[i]`` are stored; other rows are zeros.
        ``truncated[i]``: the text lost tokens to ``max_length`` when it was encoded."""
        n = len(keys)
        hit = np.zeros(n, dtype=bool)
        trunc = np.zeros(n, dtype=bool)
        emb = np.zeros((n, self.dim), dtype=np.float32)
        outs: list[np.ndarray | None] = [None] * len(heads)
        db = self._db()
        if db is None or n == 0:
            return hit, emb, [np.zeros((n, 0), np.float32) for _ in heads], trunc
        pos = {k: i for i, k in enumerate(keys)}
        try:
            found = np.zeros(n, dtype=bool)
            for start in range(0, n, _CHUNK):
                chunk = keys[start:start + _CHUNK]
                q = f"SELECT k, v, t FROM vec WHERE k IN ({','.join('?' * len(chunk))})"
                for k, v, t in db.execute(q, chunk):
                    i = pos[k]
                    emb[i] = np.frombuffer(v, dtype=np.float32)
                    trunc[i] = bool(t)
                    found[i] = True
            for j, h in enumerate(heads):
                got = np.zeros(n, dtype=bool)
                arr: np.ndarray | None = None
                for start in range(0, n, _CHUNK):
                    chunk = keys[start:start + _CHUNK]
                    q = f"SELECT k, v FROM head WHERE h = ? AND k IN ({','.join('?' * len(chunk))})"
                    for k, v in db.execute(q, [h, *chunk]):
                        row = np.frombuffer(v, dtype=np.float32)
                        if arr is None:
                            arr = np.zeros((n, row.size), dtype=np.float32)
                        i = pos[k]
                        arr[i] = row
                        got[i] = True
                found &= got
                outs[j] = arr
            hit = found
        except sqlite3.Error as exc:
            log.warning("embedding cache read failed (%s); encoding everything", exc)
            hit[:] = False
        return hit, emb, [o if o is not None else np.zeros((n, 0), np.float32) for o in outs], trunc

    def put(self, keys: Sequence[bytes], emb: np.ndarray, heads: Sequence[str],
            head_outputs: Sequence[np.ndarray], truncated: np.ndarray | None = None) -> None:
        db = self._db()
        if db is None or not len(keys):
            return
        emb = np.ascontiguousarray(emb, dtype=np.float32)
        try:
            db.execute("BEGIN")
            flags = np.zeros(len(keys), bool) if truncated is None else np.asarray(truncated, bool)
            db.executemany("INSERT OR REPLACE INTO vec (k, v, t) VALUES (?, ?, ?)",
                           ((k, emb[i].tobytes(), int(flags[i])) for i, k in enumerate(keys)))
            for h, arr in zip(heads, head_outputs, strict=True):
                a = np.ascontiguousarray(arr, dtype=np.float32)
                db.executemany("INSERT OR REPLACE INTO head (h, k, v) VALUES (?, ?, ?)",
                               ((h, k, a[i].tobytes()) for i, k in enumerate(keys)))
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            try:
                db.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            log.warning("embedding cache write failed (%s); results are unaffected", exc)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


_OPEN: dict[tuple[str, str], EmbeddingCache] = {}


def open_cache(directory: str | Path, space: str, dim: int) -> EmbeddingCache:
    """One cache object (one connection) per (directory, namespace) per process."""
    key = (str(Path(directory).resolve()), space)
    c = _OPEN.get(key)
    if c is None:
        c = _OPEN[key] = EmbeddingCache(directory, space, dim)
    return c


# --- housekeeping (``voc cache info`` / ``voc cache clear``) ---------------------------
def _files(db: Path) -> list[Path]:
    """A namespace's SQLite file and its WAL/shared-memory companions."""
    return [p for p in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")) if p.exists()]


def _count(db: Path, table: str) -> int:
    try:
        conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return 0  # a namespace another process is creating, or not a cache file


def cache_info(directory: str | Path | None = None) -> dict[str, Any]:
    """What the cache holds: per namespace its embeddings (``rows``), head outputs and bytes
    on disk (WAL included), plus the ONNX exports kept next to it."""
    root = resolve_cache_dir(directory)
    spaces = []
    for db in sorted((root / "embeddings").glob("*.sqlite")):
        files = _files(db)
        spaces.append({"namespace": db.stem, "rows": _count(db, "vec"), "head_rows": _count(db, "head"),
                       "bytes": sum(p.stat().st_size for p in files),
                       "modified": max(p.stat().st_mtime for p in files)})
    onnx = [p for p in (root / "onnx").glob("*") if p.is_file()]
    return {"directory": str(root), "namespaces": spaces, "rows": sum(s["rows"] for s in spaces),
            "bytes": sum(s["bytes"] for s in spaces), "onnx_files": len(onnx),
            "onnx_bytes": sum(p.stat().st_size for p in onnx)}


def clear_cache(directory: str | Path | None = None, older_than_days: float | None = None,
                onnx: bool = False) -> dict[str, int]:
    """Delete the embedding namespaces (with ``older_than_days``: those not written for that
    long) and, with ``onnx``, the ONNX exports. Safe while voc runs elsewhere: a writer that
    loses its file only loses cache hits, never results."""
    import time

    root = resolve_cache_dir(directory)
    cutoff = None if older_than_days is None else time.time() - older_than_days * 86400
    removed = freed = 0
    for db in sorted((root / "embeddings").glob("*.sqlite")):
        files = _files(db)
        if cutoff is not None and max(p.stat().st_mtime for p in files) >= cutoff:
            continue
        for key, c in list(_OPEN.items()):
            if c.path == db:
                c.close()
                del _OPEN[key]
        for p in files:
            freed += p.stat().st_size
            p.unlink(missing_ok=True)
        removed += 1
    if onnx:
        for p in (root / "onnx").glob("*"):
            if p.is_file() and (cutoff is None or p.stat().st_mtime < cutoff):
                freed += p.stat().st_size
                p.unlink(missing_ok=True)
    return {"namespaces": removed, "bytes": freed}
