"""Reading a store back: an :class:`~voc.pipeline.Analysis` for the report, and exports."""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from voc.errors import StoreError
from voc.store.duckdb import Store, _now

log = logging.getLogger("voc")

EXPORT_TABLES = ("documents", "sentences", "themes", "runs", "rejects")
HISTORY_TABLES = ("documents_history", "sentences_history")


def _open(store: str | Path | Store) -> tuple[Store, bool]:
    if isinstance(store, Store):
        return store, False
    return Store(store, read_only=True).open(), True


def _drivers(docs: pd.DataFrame, sents: pd.DataFrame, record: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """Drivers, priorities and trends over the stored documents, with the drivers settings
    of the model that scored them (the same stage ``voc analyze`` runs)."""
    from voc.io.mapping import ColumnMapping
    from voc.stages.base import Corpus
    from voc.stages.drivers import DriversStage

    config = record.get("config") or {}
    mapping = ColumnMapping.from_dict(record["mapping"]) if record.get("mapping") else ColumnMapping()
    params = dict(config.get("drivers") or {})
    params.setdefault("random_state", config.get("seed", 0))
    params["scores"] = [s for s in mapping.scores if s.label in docs.columns]
    corpus = Corpus(docs=docs.reset_index(drop=True), sentences=sents.reset_index(drop=True))
    corpus.meta["scores"] = params["scores"]
    corpus.meta["segments"] = [s for s in mapping.segments if s in docs.columns]
    try:
        out = DriversStage(**params).transform(corpus)
    except Exception as exc:  # noqa: BLE001 - a report without driver tables beats no report
        log.warning("drivers could not be computed from the store (%s: %s); the report has no driver tables",
                    type(exc).__name__, exc)
        return {}
    return dict(out.tables)


def _customers(docs: pd.DataFrame, themes: pd.DataFrame, record: dict[str, Any]
               ) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """The customer, conversation and outcome tables over the stored documents, as
    ``voc analyze`` builds them (nothing when the model maps no customer, thread, ticket
    times or outcome): a store read by a report or an export has them too."""
    from voc.customers.summary import conversation_tables
    from voc.io.mapping import ColumnMapping

    mapping = ColumnMapping.from_dict(record["mapping"]) if record.get("mapping") else ColumnMapping()
    outcomes = [o for o in mapping.outcomes if o.name in docs.columns]
    config = record.get("config") or {}
    try:
        return conversation_tables(docs.reset_index(drop=True), themes,
                                   [s.label for s in mapping.scores if s.label in docs.columns],
                                   (config.get("customers") or {}).get("repeat_days", 7), outcomes,
                                   [s for s in mapping.segments if s in docs.columns])
    except Exception as exc:  # noqa: BLE001 - a report without customer tables beats no report
        log.warning("customer tables could not be computed from the store (%s: %s)", type(exc).__name__, exc)
        return {}, {}


def analysis_from_store(store: str | Path | Store, since: str | dt.date | dt.datetime | None = None,
                        drivers: bool = True) -> Any:
    """The current version of every stored document (fed back ``since`` a date, by the
    feedback's own date when it has one, else by when it was scored) as an Analysis:
    documents, sentences, the themes of the current model, and drivers/priorities/trends
    recomputed over those documents with the drivers stage."""
    from voc.pipeline import Analysis, versions

    st, owned = _open(store)
    try:
        docs = st.documents(since)
        if docs.empty:
            where = f" since {since}" if since is not None else ""
            raise StoreError(f"store {st.path} holds no documents{where}; score some with "
                             f"`voc score INPUT --model MODEL --store {st.path}`")
        sents = st.sentences(since)
        fp = st.current_model()
        models = docs["model_fingerprint"].value_counts()
        if len(models) > 1:
            log.warning("store %s: documents were scored by %d models (%s); themes are those of the current "
                        "model %s; rescore older documents with it for one consistent theme set", st.path,
                        len(models), ", ".join(f"{k}: {v}" for k, v in models.items()), fp)
        record = st.model_record(fp) if fp else {}
        themes = st.themes(fp)
        runs = st.runs()
        n_rejected = int(runs["rejected"].sum()) if len(runs) else 0
        last = runs.iloc[-1].to_dict() if len(runs) else {}
        import json

        last_meta = json.loads(last["meta"]) if isinstance(last.get("meta"), str) else {}
        run = {
            "voc_run": _now().isoformat(timespec="seconds"),
            "mode": "store",
            "store": {"path": str(st.path), "since": None if since is None else str(since), "runs": len(runs),
                      "model_fingerprint": fp, "models": {str(k): int(v) for k, v in models.items()},
                      **st.summary()},
            "versions": versions(),
            "config": record.get("config"),
            "mapping": record.get("mapping"),
            "counts": {"rows_read": int(runs["rows_read"].sum()) if len(runs) else 0,
                       "accepted": int(runs["accepted"].sum()) if len(runs) else 0,
                       "rejected": n_rejected, "documents": len(docs), "sentences": len(sents),
                       "themes": len(themes)},
            "stages": (last_meta or {}).get("stages") or {},
        }
        tables = _drivers(docs, sents, record) if drivers else {}
        customer_tables, customer_meta = _customers(docs, themes, record)
        tables.update(customer_tables)
        run["stages"] = {**run["stages"], **customer_meta}
        rejects = st.rejects()
        return Analysis(documents=docs, sentences=sents, themes=themes, tables=tables,
                        rejects=rejects.drop(columns=["run_id"]) if len(rejects) else rejects, run=run)
    finally:
        if owned:
            st.close()


def _guarded(st: Store, sql: str, params: list[Any]) -> str:
    """``sql`` with its text columns defused for spreadsheets (see ``voc._formula``)."""
    from voc._formula import guard_sql

    cols = st.con.execute(f"DESCRIBE ({sql})", params).fetchall()
    text = ['"' + str(c[0]).replace('"', '""') + '"' for c in cols if str(c[1]) == "VARCHAR"]
    if not text:
        return sql
    return f"SELECT * REPLACE ({', '.join(f'{guard_sql(c)} AS {c}' for c in text)}) FROM ({sql})"


#: tables derived from the stored documents when the model maps customers, threads, ticket times or outcomes
CUSTOMER_TABLES = ("customers", "threads", "repeat_contacts", "service_times", "resolution_times", "outcomes")


def _export_customers(st: Store, out: Path, fmt: str, since: Any, wanted: tuple[str, ...]) -> dict[str, Path]:
    """The customer tables, rebuilt from the stored documents as ``voc analyze`` builds
    them. Unlike the streamed tables they need the documents in memory, so they are
    computed only when the model maps customer roles or outcomes."""
    from voc._formula import guard_frame
    from voc.outputs import _listify, atomic_write

    record = st.model_record(st.current_model()) if st.current_model() else {}
    mapping = record.get("mapping") or {}
    if not (any(mapping.get(r) for r in ("customer", "thread", "reply_to", "opened")) or mapping.get("outcomes")):
        return {}
    docs = st.documents(since)
    tables, _ = _customers(docs, st.themes(st.current_model()), record)
    written = {}
    for name in wanted:
        if name not in tables:
            continue
        target = out / f"{name}.{fmt}"
        frame = _listify(tables[name])
        if "key" in frame.columns:  # issue ids beside touchpoint names: one text column, as in the CSV
            frame["key"] = frame["key"].astype(str)
        if fmt == "csv":
            atomic_write(target, lambda p, f=frame: guard_frame(f).to_csv(p, index=False))
        else:
            atomic_write(target, lambda p, f=frame: f.to_parquet(p, index=False))
        written[name] = target
    return written


def export_store(store: str | Path | Store, out_dir: str | Path, format: str = "parquet",
                 since: str | dt.date | dt.datetime | None = None, history: bool = False,
                 run_id: int | None = None, tables: tuple[str, ...] | None = None) -> dict[str, Path]:
    """Write the current documents, sentences, themes (of the current model), runs and
    rejects as ``DIR/<table>.parquet`` or ``.csv`` (with ``history``, the superseded
    versions too; with ``run_id``, only what that run wrote; ``tables`` picks some), and,
    when the model maps customers, threads, ticket times or outcomes, the customer tables
    rebuilt from the stored documents (:data:`CUSTOMER_TABLES`). DuckDB streams each table to
    a temporary name that is renamed into place: memory stays bounded, readers never see
    a half-written file."""
    fmt = format.lower()
    if fmt not in ("parquet", "csv"):
        raise StoreError(f"export format {format!r} is not supported; use parquet or csv")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    st, owned = _open(store)
    try:
        if not st.has_table("documents"):
            if run_id is None:
                raise StoreError(f"store {st.path} holds no documents yet; nothing to export")
            return {}  # a first run that rejected every row: nothing of it to export
        where, params = st._since_clause(since)
        if run_id is not None:
            where = (where + " AND" if where else " WHERE") + " run_id = ?"
            params = [*params, run_id]
        fp = st.current_model()
        queries: dict[str, tuple[str, list[Any]]] = {
            "documents": (f"SELECT * FROM documents{where} ORDER BY run_id, source_file, line, doc_id", params),
            "sentences": (f"SELECT s.* FROM sentences s WHERE s.doc_id IN (SELECT doc_id FROM documents{where}) "
                          "ORDER BY s.doc_id, s.sentence_id", params),
            "themes": ("SELECT * FROM themes WHERE model_fingerprint = ? ORDER BY theme_id", [fp]),
            "runs": ("SELECT * FROM runs ORDER BY run_id", []),
            "rejects": ("SELECT * FROM rejects" + ("" if run_id is None else " WHERE run_id = ?")
                        + " ORDER BY run_id, source, line", [] if run_id is None else [run_id]),
        }
        if history:
            for t in HISTORY_TABLES:
                if st.has_table(t):
                    queries[t] = (f"SELECT * FROM {t} ORDER BY doc_id, version", [])
        if tables is not None:
            unknown = sorted(set(tables) - set(queries) - set(CUSTOMER_TABLES))
            if unknown:
                raise StoreError(f"unknown table(s) {unknown}; choose from {sorted([*queries, *CUSTOMER_TABLES])}")
            queries = {k: v for k, v in queries.items() if k in tables}
        written: dict[str, Path] = {}
        options = "FORMAT parquet, COMPRESSION zstd" if fmt == "parquet" else "FORMAT csv, HEADER true"
        from voc.outputs import default_mode

        for name, (sql, p) in queries.items():
            target = out / f"{name}.{fmt}"
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=out)
            os.close(fd)
            try:
                if hasattr(st, "export_query"):  # PostgreSQL: streamed through a server-side cursor
                    st.export_query(sql, p, Path(tmp), fmt)
                else:
                    literal = "'" + tmp.replace("'", "''") + "'"
                    if fmt == "csv":
                        sql = _guarded(st, sql, p)
                    st.con.execute(f"COPY ({sql}) TO {literal} ({options})", p)
                os.chmod(tmp, default_mode())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            written[name] = target
        wanted = CUSTOMER_TABLES if tables is None else tuple(t for t in CUSTOMER_TABLES if t in tables)
        if wanted and run_id is None:
            written.update(_export_customers(st, out, fmt, since, wanted))
        return written
    finally:
        if owned:
            st.close()
