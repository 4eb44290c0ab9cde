"""The PostgreSQL store: the embedded store's tables, keys, history, runs and rejects in a
schema of a PostgreSQL database, for a team whose dashboards (Metabase, Superset, Power BI,
Tableau) and analysts read one shared database.

``Store("postgresql://user@host/db")`` (also ``?schema=NAME``, default ``voc``) gives this
store wherever voc takes a store: ``voc score/report/export --store``, ``voc.score``,
``voc.Store``, ``analysis_from_store``. What differs from the embedded file, and why:

* One writer at a time is a PostgreSQL advisory lock on the schema, held by the writer's
  session for the whole run (a second writer gets E011 naming the holder's PID and host;
  a killed writer's session ends and the lock with it). Readers are never blocked: they
  read the last committed batch (MVCC), each reader one consistent snapshot from its first
  query until it closes, so a report never mixes two batches.
* A batch is one transaction, as in the file: superseded versions move to the history
  tables, the new ones are bulk-loaded with ``COPY`` (never row-by-row ``INSERT``s).
* Credentials come from the URL, ``PGPASSWORD``, ``~/.pgpass`` or a service file (libpq's
  own rules); the password is masked (``***``) in every message, log line, ``run.json``
  and report: :attr:`path` is the masked URL. Column names come from users' files, so
  every identifier is quoted by psycopg (``sql.Identifier``), every value a parameter.
* Views a dashboard wants: ``current_documents``; ``issue_weekly`` and
  ``touchpoint_weekly`` (documents and mean sentiment per week and issue / touchpoint).
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np
import pandas as pd
import pyarrow as pa

from voc.errors import ConfigError, StoreError, StoreLocked, StoreNotFound
from voc.store.duckdb import _DDL, _THEME_ADDED, RUN_COUNTS, SCHEMA_VERSION, Store, _now, to_arrow

log = logging.getLogger("voc")

PREFIXES = ("postgresql://", "postgres://")


def is_postgres(target: Any) -> bool:
    return isinstance(target, str) and target.lower().startswith(PREFIXES)


def _password(url: str) -> str | None:
    parts = urlsplit(url)
    return parts.password or dict(parse_qsl(parts.query)).get("password")


def mask(url: str) -> str:
    """``url`` with its password (in the user part or a ``password=`` parameter) as ``***``."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.split(':', 1)[0]}:***@{host}"
    query = urlencode([(k, "***" if k == "password" else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)],
                      safe="/:")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _pg_type(t: pa.DataType) -> str:
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return _pg_type(t.value_type) + "[]"
    if pa.types.is_boolean(t):
        return "BOOLEAN"
    if pa.types.is_integer(t):
        return "INTEGER" if t.bit_width <= 32 else "BIGINT"
    if pa.types.is_floating(t):
        return "DOUBLE PRECISION"
    if pa.types.is_timestamp(t):
        return "TIMESTAMP"
    if pa.types.is_date(t):
        return "DATE"
    return "TEXT"


class _Con:
    """The psycopg connection with the embedded store's calling convention (``?``
    placeholders, ``execute(...).fetchall()``), so the queries both stores share are
    written once."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def execute(self, query: Any, params: list[Any] | tuple[Any, ...] | None = None) -> Any:
        if isinstance(query, str):
            query = query.replace("?", "%s")
        return self.conn.execute(query, params or None)

    def close(self) -> None:
        self.conn.close()


class PostgresStore(Store):
    """A voc store in a PostgreSQL schema (see the module docstring)."""

    def __init__(self, path: str | Path, read_only: bool = False, wait: float | None = None) -> None:
        url = str(path)
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        self.schema = dict(query).get("schema", "voc")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", self.schema):
            raise ConfigError(f"schema {self.schema!r}: use letters, digits and underscores")
        self._url = urlunsplit((parts.scheme, parts.netloc, parts.path,
                                urlencode([(k, v) for k, v in query if k != "schema"]), parts.fragment))
        super().__init__(mask(url), read_only=read_only, wait=wait)
        self._secret = _password(url)

    # --- connection, lock, schema ------------------------------------------------------
    def _clean(self, exc: BaseException) -> str:
        text = str(exc).strip().replace("\n", " ")
        if self._secret:
            text = text.replace(self._secret, "***")
        return text

    def open(self) -> "PostgresStore":
        if self._opened:
            return self
        try:
            import psycopg
        except ImportError as exc:
            raise ConfigError("a PostgreSQL store needs psycopg: pip install 'voc[postgres]'") from exc
        try:
            conn = psycopg.connect(self._url, autocommit=not self.read_only, application_name="voc",
                                   connect_timeout=10)
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to store {self.path}: {self._clean(exc)}") from None
        if self.read_only:  # one snapshot from the first query to close(): never two batches mixed
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
        self._con = _Con(conn)
        try:
            if self.read_only:
                if not self.has_table("voc_meta"):
                    raise StoreNotFound(f"store {self.path} holds no voc store (no {self.schema}.voc_meta table); "
                                        f"create it with `voc score INPUT --model MODEL --store URL`")
                self._con.execute(f'SET search_path TO "{self.schema}"')
            else:
                self._lock_writer()
                self._init_schema()
        except BaseException:
            self._con.close()
            self._con = None
            raise
        self._opened = True
        return self

    def _lock_writer(self) -> None:
        got = self._con.execute("SELECT pg_try_advisory_lock(hashtext(?))", [f"voc-store:{self.schema}"]).fetchall()
        if got[0][0]:
            return
        holder = self._con.execute(
            "SELECT a.pid, coalesce(a.client_hostname, host(a.client_addr), 'local socket') FROM pg_locks l "
            "JOIN pg_stat_activity a USING (pid) WHERE l.locktype = 'advisory' AND l.granted "
            "AND l.objid = (hashtext(?)::bigint & 4294967295)::oid LIMIT 1", [f"voc-store:{self.schema}"]).fetchall()
        who = f"server process {holder[0][0]} for {holder[0][1]} holds it" if holder else "another session holds it"
        raise StoreLocked(self._locked_message(self.path, who))

    def _init_schema(self) -> None:
        from psycopg import sql

        con = self._con
        with con.conn.transaction():
            con.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema)))
            con.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema)))
            for ddl in _DDL:
                con.execute(re.sub(r"\bDOUBLE\b", "DOUBLE PRECISION", ddl))
            for col, typ in _THEME_ADDED.items():
                typ = "DOUBLE PRECISION" if typ == "DOUBLE" else typ
                con.execute(sql.SQL("ALTER TABLE themes ADD COLUMN IF NOT EXISTS {} " + typ).format(sql.Identifier(col)))
            rows = con.execute("SELECT value FROM voc_meta WHERE key = 'schema_version'").fetchall()
            if not rows:
                con.execute("INSERT INTO voc_meta VALUES ('schema_version', ?), ('created', ?)",
                            [str(SCHEMA_VERSION), _now().isoformat(timespec="seconds")])
            elif int(rows[0][0]) > SCHEMA_VERSION:
                raise StoreError(f"store {self.path} has schema version {rows[0][0]}, newer than this voc "
                                 f"({SCHEMA_VERSION}); upgrade voc")
            # we hold the writer's lock, so a run still marked running died with its process
            con.execute("UPDATE runs SET status = 'aborted', error = coalesce(error, 'process ended before the run "
                        "finished; committed batches are kept, rerun to complete') WHERE status = 'running'")

    @property
    def con(self) -> Any:
        if self._con is None:
            self.open()
        return self._con

    @contextlib.contextmanager
    def _session(self) -> Iterator[Any]:
        yield self.con  # PostgreSQL readers are never blocked by the writer's session

    def release(self) -> None:
        """Nothing to do: readers of a PostgreSQL store do not wait for the writer."""

    def close(self) -> None:
        if self._con is not None:
            try:
                self._con.close()  # ends the session: its advisory lock, an open snapshot
            finally:
                self._con = None
        self._opened = False

    # --- small helpers ----------------------------------------------------------------
    def has_table(self, name: str) -> bool:
        return bool(self.con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND "
                                     "table_name = ?", [self.schema, name]).fetchall()[0][0])

    def columns(self, table: str) -> dict[str, str]:
        rows = self.con.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = ? "
                                "AND table_name = ? ORDER BY ordinal_position", [self.schema, table]).fetchall()
        return {r[0]: r[1] for r in rows}

    def query(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        cur = self.con.execute(sql, params or [])
        names = [d.name for d in cur.description] if cur.description else []
        return pd.DataFrame(cur.fetchall(), columns=names)

    def _append(self, table: str, frame: pd.DataFrame) -> None:
        """Bulk-load ``frame`` into ``table`` with COPY (its columns by name)."""
        from psycopg import sql

        data = to_arrow(frame)
        stmt = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c in data.column_names))
        cols = [data.column(i).to_pylist() for i in range(data.num_columns)]
        with self.con.conn.cursor() as cur, cur.copy(stmt) as cp:
            for row in zip(*cols, strict=True):
                cp.write_row(row)

    def _ensure_pg_table(self, table: str, frame: pd.DataFrame) -> bool:
        """Create ``table`` and its history from ``frame``'s columns, or add the ones it
        lacks. True when the table's columns changed (the views are then rebuilt)."""
        from psycopg import sql

        schema = to_arrow(frame).schema
        types = {name: _pg_type(typ) for name, typ in zip(schema.names, schema.types, strict=True)}
        if not self.has_table(table):
            cols = sql.SQL(", ").join(sql.SQL("{} " + t).format(sql.Identifier(c)) for c, t in types.items())
            self.con.execute(sql.SQL("CREATE TABLE {} ({})").format(sql.Identifier(table), cols))
            self.con.execute(sql.SQL("CREATE TABLE {} ({}, superseded_at TIMESTAMP, superseded_by_run BIGINT)")
                             .format(sql.Identifier(f"{table}_history"), cols))
            return True
        have = self.columns(table)
        added = False
        for c, t in types.items():
            if c not in have:
                log.info("store: adding column %s %s to %s", c, t, table)
                for name in (table, f"{table}_history"):
                    self.con.execute(sql.SQL("ALTER TABLE {} ADD COLUMN {} " + t).format(sql.Identifier(name),
                                                                                          sql.Identifier(c)))
                added = True
        return added

    def _views(self) -> None:
        """The views a dashboard reads, over the columns the documents table has."""
        cols = self.columns("documents")
        when = "coalesce(d.date::timestamp, d.scored_at)" if "date" in cols else "d.scored_at"
        sentiment = "avg(d.sentiment_score)" if "sentiment_score" in cols else "NULL::double precision"
        negative = ("avg((d.sentiment = 'negative')::int)::double precision" if "sentiment" in cols
                    else "NULL::double precision")
        self.con.execute("CREATE OR REPLACE VIEW current_documents AS SELECT * FROM documents")
        if "theme_ids" in cols:
            self.con.execute(
                f"CREATE OR REPLACE VIEW issue_weekly AS SELECT date_trunc('week', {when}) AS week, t.theme_id, "
                f"max(th.label) AS label, max(th.kind) AS kind, count(*) AS documents, {sentiment} AS mean_sentiment, "
                f"{negative} AS negative_share FROM documents d CROSS JOIN LATERAL unnest(d.theme_ids) AS t(theme_id) "
                "LEFT JOIN themes th ON th.model_fingerprint = d.model_fingerprint AND th.theme_id = t.theme_id "
                "GROUP BY 1, 2")
        if "touchpoints" in cols:
            self.con.execute(
                f"CREATE OR REPLACE VIEW touchpoint_weekly AS SELECT date_trunc('week', {when}) AS week, "
                f"tp.touchpoint, count(*) AS documents, {sentiment} AS mean_sentiment, {negative} AS negative_share "
                "FROM documents d CROSS JOIN LATERAL unnest(d.touchpoints) AS tp(touchpoint) GROUP BY 1, 2")

    # --- writing --------------------------------------------------------------------------
    def plan(self, keys: pd.DataFrame, fingerprint: str) -> pd.DataFrame:
        out = keys[["doc_id", "content_hash"]].copy()
        if not self.has_table("documents"):
            out["status"], out["version"] = "new", 1
            return out
        found = self.query("SELECT doc_id, content_hash AS old_hash, model_fingerprint AS old_model, version AS "
                           "old_version FROM documents WHERE doc_id = ANY(?)", [out["doc_id"].astype(str).tolist()])
        merged = out.merge(found, on="doc_id", how="left")
        seen = merged["old_hash"].notna()
        same = seen & (merged["old_hash"] == merged["content_hash"]) & (merged["old_model"] == fingerprint)
        merged["status"] = np.where(~seen, "new", np.where(same, "unchanged", "rescored"))
        merged["version"] = pd.to_numeric(merged["old_version"]).fillna(0).astype("int64") + 1
        return merged[["doc_id", "content_hash", "status", "version"]]

    def write_batch(self, run_id: int, documents: pd.DataFrame, sentences: pd.DataFrame,
                    rejects: pd.DataFrame | None, counts: dict[str, int]) -> None:
        import psycopg
        from psycopg import sql

        try:
            with self.con.conn.transaction():
                now = _now()
                if len(documents):
                    changed = self._ensure_pg_table("documents", documents)
                    if len(sentences):
                        self._ensure_pg_table("sentences", sentences)
                    ids = documents["doc_id"].astype(str).tolist()
                    for table in ("documents", "sentences"):
                        if not self.has_table(table):
                            continue
                        cols = sql.SQL(", ").join(sql.Identifier(c) for c in self.columns(table))
                        self.con.execute(sql.SQL("INSERT INTO {} ({}, superseded_at, superseded_by_run) SELECT {}, "
                                                 "%s, %s FROM {} WHERE doc_id = ANY(%s)").format(
                            sql.Identifier(f"{table}_history"), cols, cols, sql.Identifier(table)), [now, run_id, ids])
                        self.con.execute(sql.SQL("DELETE FROM {} WHERE doc_id = ANY(%s)").format(
                            sql.Identifier(table)), [ids])
                    self._append("documents", documents)
                    if len(sentences):
                        self._append("sentences", sentences)
                    if changed:
                        self._views()
                if rejects is not None and len(rejects):
                    r = rejects[["source", "line", "column", "reason", "record"]].copy()
                    r.insert(0, "run_id", run_id)
                    self._append("rejects", r)
                sets = ", ".join(f"{c} = {c} + ?" for c in RUN_COUNTS)
                self.con.execute(f"UPDATE runs SET {sets} WHERE run_id = ?",
                                 [int(counts.get(c, 0)) for c in RUN_COUNTS] + [run_id])
        except psycopg.Error as exc:
            raise StoreError(f"writing a batch to store {self.path} failed and was rolled back: "
                             f"{self._clean(exc)}") from exc

    # --- reading ----------------------------------------------------------------------
    def export_query(self, sql_text: str, params: list[Any], target: Path, fmt: str) -> None:
        """Stream a query's rows to ``target`` (Parquet or CSV) in blocks through a
        server-side cursor: memory stays bounded however large the table."""
        import pyarrow.parquet as pq

        from voc._formula import guard_frame

        conn = self.con.conn
        writer = None
        first = True
        with conn.cursor(name="voc_export") as cur:
            cur.execute(sql_text.replace("?", "%s"), params or None)
            names: list[str] | None = None
            while True:
                rows = cur.fetchmany(50_000)
                if names is None:
                    names = [d.name for d in cur.description]
                frame = pd.DataFrame(rows, columns=names)
                if fmt == "csv":
                    if len(frame) or first:
                        guard_frame(frame).to_csv(target, index=False, header=first, mode="w" if first else "a")
                else:
                    table = to_arrow(frame)
                    if writer is None:
                        writer = pq.ParquetWriter(target, table.schema, compression="zstd")
                    if len(frame):
                        writer.write_table(table.cast(writer.schema) if table.schema != writer.schema else table)
                first = False
                if not rows:
                    break
        if writer is not None:
            writer.close()
