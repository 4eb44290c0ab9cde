"""The embedded store: one DuckDB file that nightly scoring writes and reports read.

Tables (``voc export`` hands them to other tools):

* ``documents``: the current version of every document, keyed by ``doc_id`` (the input's
  id, or ``h:`` + a content hash when it has none), with ``version``, ``content_hash``,
  ``model_fingerprint``, ``run_id``, ``scored_at``, ``source_file``, ``line``, the scored
  columns (the same as ``documents.parquet``) and the mapped input columns.
* ``sentences``: the clauses of the current versions (``doc_id``, ``version``, ...).
* ``documents_history`` / ``sentences_history``: every superseded version, with
  ``superseded_at`` and ``superseded_by_run``.
* ``models`` and ``themes``: each model that scored into the store (fingerprint, path,
  config, mapping) and its themes, keyed by ``(model_fingerprint, theme_id)``.
* ``runs``: what ran, when, on which input with which model, the counts and how it
  ended (``running``/``completed``/``failed``/``aborted``); ``rejects``: every rejected
  input row with its run, source line and reason.

Every batch is written in one transaction, so a crash (even SIGKILL) mid-batch leaves the
store as it was after the previous batch. Only DuckDB's built-in Parquet/CSV support is
used: no extension is ever installed.

Readers and the writer. DuckDB lets one process open a file at a time when one of them
writes, so a writer that kept the file open for a whole nightly run would lock every
report, export, notebook and BI tool out for hours. The writer therefore holds the file
only while it writes: it opens it for a batch's transaction (and the run's bookkeeping)
and closes it again, and scores the next chunk with the file closed. Readers open the file
read-only and, should a batch's transaction be under way, retry for up to ``wait`` seconds
(``VOC_STORE_WAIT``, default 30), so they see the last committed batch and never part of
one. One writer at a time is a separate lock: an exclusive ``flock`` on ``<store>.lock``
held for the whole run (the system drops it when the process dies, even by SIGKILL), so a
second writer gets :class:`~voc.errors.StoreLocked` naming the holder at once. A reader
that keeps the store open makes the writer wait for it (up to ``VOC_STORE_WRITER_WAIT``,
default 600 s): read, then close (``with Store(path, read_only=True) as st: ...``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from voc.errors import StoreError, StoreLocked, StoreNotFound

log = logging.getLogger("voc")

SCHEMA_VERSION = 1
#: Columns the store adds in front of the scored document columns.
DOC_META = ["doc_id", "version", "content_hash", "model_fingerprint", "run_id", "scored_at", "source_file",
            "line"]
#: List columns and their element types (DuckDB cannot infer a type from empty lists).
LIST_TYPES = {"theme_ids": pa.int64(), "theme_labels": pa.string(), "touchpoints": pa.string(),
              "keywords": pa.string(), "examples": pa.string(), "touchpoint_sentiment": pa.float64()}
#: Columns never stored: model inputs that carry no information once scored.
DROP = ("duplicate_text",)
THEME_COLUMNS = ["theme_id", "label", "keywords", "size", "examples", "parent_id", "curated", "level", "kind",
                 "polarity", "label_support", "hidden"]
#: theme columns added after the first schema (aspect › issue, edits): added to older stores on open
_THEME_ADDED = {"kind": "VARCHAR", "polarity": "VARCHAR", "label_support": "DOUBLE", "hidden": "BOOLEAN"}
RUN_COUNTS = ["rows_read", "accepted", "rejected", "new", "rescored", "unchanged", "duplicates", "sentences", "chunks"]

_DDL = [
    "CREATE TABLE IF NOT EXISTS voc_meta (key VARCHAR, value VARCHAR)",
    """CREATE TABLE IF NOT EXISTS models (model_fingerprint VARCHAR, model_path VARCHAR, created VARCHAR,
        registered_at TIMESTAMP, first_run BIGINT, config VARCHAR, mapping VARCHAR, versions VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS themes (model_fingerprint VARCHAR, theme_id BIGINT, label VARCHAR,
        keywords VARCHAR[], size BIGINT, examples VARCHAR[], parent_id BIGINT, curated BOOLEAN, level BIGINT)""",
    """CREATE TABLE IF NOT EXISTS runs (run_id BIGINT, status VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP,
        command VARCHAR, input VARCHAR, input_bytes BIGINT, model_path VARCHAR, model_fingerprint VARCHAR,
        voc_version VARCHAR, host VARCHAR, pid BIGINT, chunksize BIGINT, rows_read BIGINT, accepted BIGINT,
        rejected BIGINT, new BIGINT, rescored BIGINT, unchanged BIGINT, duplicates BIGINT, sentences BIGINT,
        chunks BIGINT, seconds DOUBLE, error VARCHAR, meta VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS rejects (run_id BIGINT, source VARCHAR, line BIGINT, "column" VARCHAR,
        reason VARCHAR, record VARCHAR)""",
]

# DuckDB shares one database instance per file within a process, so its file lock does not
# stop a second writer in the same process; this registry does.
_WRITERS: dict[str, int] = {}
_WRITERS_LOCK = threading.Lock()


#: seconds a reader waits for a batch's transaction to end, and a writer for readers to close
READER_WAIT = 30.0
WRITER_WAIT = 600.0


def _wait(env: str, default: float) -> float:
    try:
        return float(os.environ.get(env, default))
    except ValueError:
        return default


class _WriterLock:
    """One writer at a time, across processes: an exclusive ``flock`` on ``<store>.lock``,
    held for the whole run and released by the system when the process ends however it
    ends; the holder's PID and host are written in the file for the message a second
    writer gets."""

    def __init__(self, store: Path) -> None:
        self.path = store.with_name(store.name + ".lock")
        self._fh: IO[str] | None = None

    def acquire(self) -> str | None:
        """None when acquired, else who holds it ("process 123 on host")."""
        try:
            import fcntl
        except ImportError:  # no flock (Windows): DuckDB's own file lock is the only guard
            return None
        fh = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.seek(0)
            holder = fh.read().strip()
            fh.close()
            return holder or "another process"
        import socket

        fh.seek(0)
        fh.truncate()
        fh.write(f"process {os.getpid()} on {socket.gethostname()}")
        fh.flush()
        self._fh = fh
        return None

    def release(self) -> None:
        if self._fh is not None:
            try:
                self._fh.close()  # closing drops the flock
            finally:
                self._fh = None


def _busy(exc: Exception) -> bool:
    """DuckDB refused the file because another connection holds it (another process's
    lock, or this process's connection with another read-only setting)."""
    msg = str(exc).lower()
    return "lock" in msg or "different configuration" in msg


def _briefly(method: Any) -> Any:
    """Run a writer's method on a connection opened for it and closed after it (unless one
    was already open): the writer holds the file only while it writes."""
    import functools

    @functools.wraps(method)
    def run(self: "Store", *args: Any, **kwargs: Any) -> Any:
        with self._session():
            return method(self, *args, **kwargs)

    return run


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _q(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def to_arrow(frame: pd.DataFrame) -> pa.Table:
    """A DataFrame as an Arrow table with the types the store wants: typed lists (also
    when every list is empty), microsecond timestamps, plain strings."""
    cols: dict[str, pa.Array] = {}
    for c in frame.columns:
        s = frame[c]
        if c in LIST_TYPES:
            values = [list(v) if isinstance(v, (list, tuple, np.ndarray)) else None for v in s.tolist()]
            if LIST_TYPES[c] == pa.int64():
                values = [None if v is None else [int(x) for x in v] for v in values]
            elif LIST_TYPES[c] == pa.float64():
                values = [None if v is None else [float(x) for x in v] for v in values]
            else:
                values = [None if v is None else [str(x) for x in v] for v in values]
            cols[c] = pa.array(values, type=pa.list_(LIST_TYPES[c]))
            continue
        arr = pa.Array.from_pandas(s)
        if pa.types.is_timestamp(arr.type):
            arr = arr.cast(pa.timestamp("us"), safe=False)
        elif pa.types.is_large_string(arr.type) or pa.types.is_string_view(arr.type):
            arr = arr.cast(pa.string())
        elif pa.types.is_null(arr.type):
            arr = arr.cast(pa.string())
        cols[str(c)] = arr
    return pa.table(cols)


class Store:
    """A voc store in one DuckDB file.

    ``Store(path)`` only remembers where. A writer (``open()`` or ``with Store(path) as
    store:``) takes the one-writer lock, creates the tables, and then holds the file only
    while it writes (see the module docstring); ``close()`` drops the lock. A reader
    (``read_only=True``) opens the file read-only, waiting up to ``wait`` seconds for a
    batch being written, and holds it until ``close()``.
    """

    def __new__(cls, path: str | Path | None = None, *args: Any, **kwargs: Any) -> "Store":
        """``Store("postgresql://...")`` is a :class:`~voc.store.postgres.PostgresStore`."""
        if cls is Store and isinstance(path, str) and path.lower().startswith(("postgresql://", "postgres://")):
            from voc.store.postgres import PostgresStore

            return super().__new__(PostgresStore)
        return super().__new__(cls)

    def __init__(self, path: str | Path, read_only: bool = False, wait: float | None = None) -> None:
        self.path = path
        self.read_only = read_only
        self.wait = wait
        self._con: Any = None
        self._key: str | None = None
        self._lock: _WriterLock | None = None
        self._opened = False

    # --- opening and locking ----------------------------------------------------------
    def __enter__(self) -> "Store":
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def con(self) -> Any:
        """The DuckDB connection, opened (and for a writer, held until :meth:`release`) on use."""
        if self._con is None:
            if not self._opened:
                self.open()
            if self._con is None:
                self._con = self._connect()
        return self._con

    def _resolved(self) -> Path:
        return Path(self.path).expanduser()

    def open(self) -> "Store":
        if self._opened:
            return self
        path = self._resolved()
        if self.read_only and not path.is_file():
            raise StoreNotFound(f"store {str(path)!r} does not exist; create it with "
                                f"`voc score INPUT --model MODEL --store {path}`")
        if path.is_dir():
            raise StoreError(f"store {str(path)!r} is a directory; pass a file name such as feedback.duckdb")
        path.parent.mkdir(parents=True, exist_ok=True)
        if not self.read_only:
            self._take_writer_lock(path)
        try:
            self._con = self._connect()
            if not self.read_only:
                self._init_schema()
            else:
                self._check_schema()
        except BaseException:
            self.close()
            raise
        self._opened = True
        if not self.read_only:
            self.release()  # readers may read until the first batch is written
        return self

    def _take_writer_lock(self, path: Path) -> None:
        key = os.path.realpath(path)
        with _WRITERS_LOCK:
            if key in _WRITERS:
                raise StoreLocked(self._locked_message(path, f"this process (PID {os.getpid()}) already has it "
                                                             "open for writing"))
            lock = _WriterLock(path)
            holder = lock.acquire()
            if holder is not None:
                raise StoreLocked(self._locked_message(path, f"{holder} holds it"))
            _WRITERS[key] = os.getpid()
            self._key, self._lock = key, lock

    def _connect(self) -> Any:
        """Open the file, retrying while another connection holds it: a reader waits for the
        writer's batch transaction, the writer for readers to close (bounded waits)."""
        import duckdb

        path = self._resolved()
        wait = self.wait if self.wait is not None else (
            _wait("VOC_STORE_WAIT", READER_WAIT) if self.read_only else _wait("VOC_STORE_WRITER_WAIT", WRITER_WAIT))
        deadline = time.monotonic() + max(wait, 0.0)
        pause = 0.02
        while True:
            try:
                return duckdb.connect(str(path), read_only=self.read_only,
                                      config={"autoinstall_known_extensions": False,
                                              "autoload_known_extensions": False})
            except (duckdb.IOException, duckdb.ConnectionException) as exc:
                if not _busy(exc):
                    raise StoreError(f"cannot open store {str(path)!r}: {exc}") from None
                if time.monotonic() >= deadline:
                    holder = re.search(r"PID (\d+)", str(exc))
                    who = f"process {holder.group(1)} holds it" if holder else "another process holds it"
                    if self.read_only:
                        raise StoreLocked(self._locked_message(path, who) + f" (waited {wait:g} s; set "
                                          "VOC_STORE_WAIT to wait longer)") from None
                    raise StoreLocked(f"store {str(path)!r} is held open by a reader ({who}) for more than "
                                      f"{wait:g} s; close it (readers should read and close), or set "
                                      "VOC_STORE_WRITER_WAIT") from None
                time.sleep(pause)
                pause = min(pause * 2, 0.25)
            except duckdb.Error as exc:
                raise StoreError(f"{str(path)!r} is not a voc store (DuckDB cannot open it: {exc})") from None

    @contextlib.contextmanager
    def _session(self) -> Iterator[Any]:
        """The connection for one write (a batch, the run's bookkeeping), closed after it when
        it was opened for it: the writer holds the file only while it writes."""
        held = self._con is not None
        con = self.con
        try:
            yield con
        finally:
            if not held and not self.read_only:
                self.release()

    def _locked_message(self, path: str | Path, who: str) -> str:
        return (f"store {str(path)!r} is locked by another writer ({who}): one writer at a time. Wait for that "
                f"`voc score` to finish, or score into another store; reports can read the store meanwhile")

    def release(self) -> None:
        """Close the file (a writer keeps its one-writer lock): readers can open it."""
        if self._con is not None:
            try:
                self._con.close()
            finally:
                self._con = None

    def close(self) -> None:
        self.release()
        self._opened = False
        if self._key is not None:
            with _WRITERS_LOCK:
                _WRITERS.pop(self._key, None)
            self._key = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def _init_schema(self) -> None:
        con = self._con
        con.execute("BEGIN TRANSACTION")
        for ddl in _DDL:
            con.execute(ddl)
        for col, typ in _THEME_ADDED.items():
            con.execute(f"ALTER TABLE themes ADD COLUMN IF NOT EXISTS {_q(col)} {typ}")
        rows = con.execute("SELECT value FROM voc_meta WHERE key = 'schema_version'").fetchall()
        row = rows[0] if rows else None
        if row is None:
            con.execute("INSERT INTO voc_meta VALUES ('schema_version', ?), ('created', ?)",
                        [str(SCHEMA_VERSION), _now().isoformat(timespec="seconds")])
        elif int(row[0]) > SCHEMA_VERSION:
            con.execute("ROLLBACK")
            raise StoreError(f"store {self.path} has schema version {row[0]}, newer than this voc "
                             f"({SCHEMA_VERSION}); upgrade voc")
        # we hold the write lock, so a run still marked running died with its process
        con.execute("UPDATE runs SET status = 'aborted', error = coalesce(error, 'process ended before the run "
                    "finished; committed batches are kept, rerun to complete') WHERE status = 'running'")
        con.execute("COMMIT")

    def _check_schema(self) -> None:
        if not self.has_table("voc_meta"):
            raise StoreError(f"{self.path} is a DuckDB file but not a voc store (no voc_meta table)")

    # --- small helpers ----------------------------------------------------------------
    def has_table(self, name: str) -> bool:
        return bool(self.con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                                     [name]).fetchall()[0][0])

    def columns(self, table: str) -> dict[str, str]:
        rows = self.con.execute("SELECT column_name, data_type FROM information_schema.columns "
                                "WHERE table_name = ? ORDER BY ordinal_position", [table]).fetchall()
        return {r[0]: r[1] for r in rows}

    def query(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        """Run a read query and return a DataFrame (``store.query("SELECT ...")``)."""
        return self.con.execute(sql, params or []).df()

    def _ensure_table(self, table: str, batch: str, extra: dict[str, str] | None = None) -> None:
        """Create ``table`` (and its history) from the registered ``batch``'s columns, or add the
        columns ``batch`` has and ``table`` lacks. Runs inside the caller's transaction."""
        con = self.con
        described = con.execute(f"DESCRIBE SELECT * FROM {batch}").fetchall()
        types = {r[0]: r[1] for r in described}
        history = f"{table}_history"
        if not self.has_table(table):
            cols = ", ".join(f"{_q(c)} {t}" for c, t in types.items())
            con.execute(f"CREATE TABLE {table} ({cols})")
            hist_extra = ", superseded_at TIMESTAMP, superseded_by_run BIGINT"
            con.execute(f"CREATE TABLE {history} ({cols}{hist_extra})")
            return
        have = self.columns(table)
        for c, t in types.items():
            if c not in have:
                log.info("store: adding column %s %s to %s", c, t, table)
                con.execute(f"ALTER TABLE {table} ADD COLUMN {_q(c)} {t}")
                con.execute(f"ALTER TABLE {history} ADD COLUMN {_q(c)} {t}")

    # --- runs and models --------------------------------------------------------------
    def register_model(self, fingerprint: str, model_path: str | Path, analyzer: Any, run_id: int) -> None:
        """Record a model and its themes the first time it scores into this store."""
        con = self.con
        if con.execute("SELECT count(*) FROM models WHERE model_fingerprint = ?", [fingerprint]).fetchall()[0][0]:
            return
        meta_file = Path(model_path) / "meta.json"
        created = json.loads(meta_file.read_text(encoding="utf-8")).get("created") if meta_file.is_file() else None
        from voc.pipeline import versions

        con.execute("INSERT INTO models VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
            fingerprint, str(model_path), created, _now(), run_id,
            json.dumps(analyzer.config_, default=str),
            json.dumps(analyzer.mapping.to_dict() if analyzer.mapping else None), json.dumps(versions())])
        themes = getattr(analyzer.stages_["themes"], "themes_", None)
        if themes is not None and len(themes):
            t = themes[[c for c in THEME_COLUMNS if c in themes.columns]].copy()
            t.insert(0, "model_fingerprint", fingerprint)
            self._append("themes", t)

    def _append(self, table: str, frame: pd.DataFrame) -> None:
        """Insert ``frame``'s rows into ``table`` by column name (the PostgreSQL store COPYs)."""
        self.con.register("_voc_append", to_arrow(frame))
        try:
            self.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _voc_append")
        finally:
            self.con.unregister("_voc_append")

    @_briefly
    def begin_run(self, *, command: str, input: str | Path | None, model_path: str | Path | None,
                  fingerprint: str | None, chunksize: int | None, analyzer: Any = None) -> int:
        """Insert a ``running`` run (committed at once, so a killed run is visible as aborted)."""
        import socket

        from voc import __version__

        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            run_id = int(con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM runs").fetchall()[0][0])
            size = Path(input).stat().st_size if input is not None and Path(input).is_file() else None
            con.execute(
                "INSERT INTO runs (run_id, status, started_at, command, input, input_bytes, model_path, "
                "model_fingerprint, voc_version, host, pid, chunksize, rows_read, accepted, rejected, new, rescored, "
                "unchanged, duplicates, sentences, chunks) VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                "0, 0, 0, 0, 0, 0, 0, 0, 0)",
                [run_id, _now(), command, None if input is None else str(input), size,
                 None if model_path is None else str(model_path), fingerprint, __version__, socket.gethostname(),
                 os.getpid(), chunksize])
            if analyzer is not None and fingerprint is not None and model_path is not None:
                self.register_model(fingerprint, model_path, analyzer, run_id)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return run_id

    @_briefly
    def finish_run(self, run_id: int, status: str = "completed", error: str | None = None,
                   meta: dict[str, Any] | None = None, seconds: float | None = None) -> None:
        self.con.execute("UPDATE runs SET status = ?, finished_at = ?, error = ?, seconds = ?, "
                         "meta = coalesce(?, meta) WHERE run_id = ?",
                         [status, _now(), error, seconds, None if meta is None else json.dumps(meta, default=str),
                          run_id])

    # --- scoring: what is new, and writing a batch ------------------------------------
    @_briefly
    def plan(self, keys: pd.DataFrame, fingerprint: str) -> pd.DataFrame:
        """For ``keys`` (doc_id, content_hash): ``status`` new / unchanged / rescored and the
        ``version`` to write. A document scored by another model counts as changed."""
        out = keys[["doc_id", "content_hash"]].copy()
        if not self.has_table("documents"):
            out["status"], out["version"] = "new", 1
            return out
        con = self.con
        con.register("_voc_keys", to_arrow(out))
        try:
            found = con.execute("SELECT k.doc_id, d.content_hash AS old_hash, d.model_fingerprint AS old_model, "
                                "d.version AS old_version FROM _voc_keys k JOIN documents d USING (doc_id)").df()
        finally:
            con.unregister("_voc_keys")
        merged = out.merge(found, on="doc_id", how="left")
        seen = merged["old_hash"].notna()
        same = seen & (merged["old_hash"] == merged["content_hash"]) & (merged["old_model"] == fingerprint)
        merged["status"] = np.where(~seen, "new", np.where(same, "unchanged", "rescored"))
        merged["version"] = merged["old_version"].fillna(0).astype("int64") + 1
        return merged[["doc_id", "content_hash", "status", "version"]]

    @_briefly
    def write_batch(self, run_id: int, documents: pd.DataFrame, sentences: pd.DataFrame,
                    rejects: pd.DataFrame | None, counts: dict[str, int]) -> None:
        """Write one scored batch in one transaction: move the versions it supersedes to the
        history tables, insert the new versions and their sentences, the batch's rejects and
        its counts on the run. All of it lands, or (on any error or a crash) none of it."""
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            now = _now()
            if len(documents):
                con.register("_voc_docs", to_arrow(documents))
                self._ensure_table("documents", "_voc_docs")
                ids = "(SELECT doc_id FROM _voc_docs)"
                if len(sentences):
                    con.register("_voc_sents", to_arrow(sentences))
                    self._ensure_table("sentences", "_voc_sents")
                for table in ("documents", "sentences"):
                    if not self.has_table(table):
                        continue
                    con.execute(f"INSERT INTO {table}_history BY NAME SELECT *, ?::TIMESTAMP AS superseded_at, "
                                f"?::BIGINT AS superseded_by_run FROM {table} WHERE doc_id IN {ids}", [now, run_id])
                    con.execute(f"DELETE FROM {table} WHERE doc_id IN {ids}")
                con.execute("INSERT INTO documents BY NAME SELECT * FROM _voc_docs")
                if len(sentences):
                    con.execute("INSERT INTO sentences BY NAME SELECT * FROM _voc_sents")
            if rejects is not None and len(rejects):
                r = rejects[["source", "line", "column", "reason", "record"]].copy()
                r.insert(0, "run_id", run_id)
                con.register("_voc_rejects", to_arrow(r))
                con.execute("INSERT INTO rejects BY NAME SELECT * FROM _voc_rejects")
            sets = ", ".join(f"{c} = {c} + ?" for c in RUN_COUNTS)
            con.execute(f"UPDATE runs SET {sets} WHERE run_id = ?",
                        [int(counts.get(c, 0)) for c in RUN_COUNTS] + [run_id])
            con.execute("COMMIT")
        except BaseException as exc:
            try:
                con.execute("ROLLBACK")
            except Exception:  # noqa: BLE001 - the connection may be gone; the transaction is lost either way
                pass
            import duckdb

            if isinstance(exc, duckdb.Error):
                raise StoreError(f"writing a batch to store {self.path} failed and was rolled back: {exc}") from exc
            raise
        finally:
            for name in ("_voc_docs", "_voc_sents", "_voc_rejects"):
                try:
                    con.unregister(name)
                except Exception:  # noqa: BLE001 - not registered in this batch
                    pass

    # --- reading ----------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        """Counts for a quick look: documents, sentences, history versions, runs, models."""
        def count(table: str) -> int:
            return int(self.con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]) if self.has_table(table) else 0

        return {"documents": count("documents"), "sentences": count("sentences"),
                "history": count("documents_history"), "runs": count("runs"), "models": count("models"),
                "rejects": count("rejects")}

    def _since_clause(self, since: str | dt.date | dt.datetime | None) -> tuple[str, list[Any]]:
        if since is None:
            return "", []
        try:
            ts = pd.Timestamp(since)
        except (ValueError, TypeError) as exc:
            raise StoreError(f"--since {since!r} is not a date; use YYYY-MM-DD") from exc
        if ts.tzinfo is not None:
            ts = ts.tz_convert("UTC").tz_localize(None)
        # the feedback's own date when the input mapped one, else when it was scored
        field = "coalesce(CAST(date AS TIMESTAMP), scored_at)" if "date" in self.columns("documents") else "scored_at"
        return f" WHERE {field} >= ?", [ts.to_pydatetime()]

    def documents(self, since: str | dt.date | dt.datetime | None = None) -> pd.DataFrame:
        if not self.has_table("documents"):
            return pd.DataFrame(columns=DOC_META)
        where, params = self._since_clause(since)
        return self.query(f"SELECT * FROM documents{where} ORDER BY run_id, source_file, line, doc_id", params)

    def sentences(self, since: str | dt.date | dt.datetime | None = None) -> pd.DataFrame:
        if not self.has_table("sentences"):
            return pd.DataFrame(columns=["doc_id", "version", "sentence_id", "text"])
        where, params = self._since_clause(since)
        sql = "SELECT s.* FROM sentences s"
        if where:
            sql += f" WHERE s.doc_id IN (SELECT doc_id FROM documents{where})"
        return self.query(sql + " ORDER BY s.doc_id, s.sentence_id", params)

    def themes(self, fingerprint: str | None = None) -> pd.DataFrame:
        fp = fingerprint or self.current_model()
        if fp is None:
            return pd.DataFrame(columns=THEME_COLUMNS)
        cols = [c for c in THEME_COLUMNS if c in self.columns("themes")]  # a read-only store may predate a column
        t = self.query(f"SELECT {', '.join(cols)} FROM themes WHERE model_fingerprint = ? ORDER BY theme_id", [fp])
        for c in ("keywords", "examples"):
            t[c] = [list(v) if isinstance(v, (list, tuple, np.ndarray)) else [] for v in t[c]]
        return t

    def current_model(self) -> str | None:
        """The fingerprint of the model of the latest run that wrote documents (else any run)."""
        rows = self.con.execute("SELECT model_fingerprint FROM runs WHERE model_fingerprint IS NOT NULL "
                                "ORDER BY (new + rescored > 0) DESC, run_id DESC LIMIT 1").fetchall()
        return str(rows[0][0]) if rows else None

    def model_record(self, fingerprint: str) -> dict[str, Any]:
        rows = self.query("SELECT * FROM models WHERE model_fingerprint = ?", [fingerprint])
        if rows.empty:
            return {}
        rec = rows.iloc[0].to_dict()
        for k in ("config", "mapping", "versions"):
            rec[k] = json.loads(rec[k]) if isinstance(rec.get(k), str) else None
        return rec

    def runs(self) -> pd.DataFrame:
        return self.query("SELECT * FROM runs ORDER BY run_id")

    def rejects(self, run_id: int | None = None) -> pd.DataFrame:
        if run_id is None:
            return self.query("SELECT * FROM rejects ORDER BY run_id, source, line")
        return self.query("SELECT * FROM rejects WHERE run_id = ? ORDER BY source, line", [run_id])

    def history(self, doc_id: str | None = None) -> pd.DataFrame:
        """Superseded versions (all, or of one document), oldest first."""
        if not self.has_table("documents_history"):
            return pd.DataFrame(columns=[*DOC_META, "superseded_at", "superseded_by_run"])
        if doc_id is None:
            return self.query("SELECT * FROM documents_history ORDER BY doc_id, version")
        return self.query("SELECT * FROM documents_history WHERE doc_id = ? ORDER BY version", [doc_id])
