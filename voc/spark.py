"""Scale-out scoring on Apache Spark (``pip install voc[spark]``; Spark needs Java 17).

Themes are fitted on one machine (``voc analyze`` on a sample); scoring then runs
everywhere: :func:`score` maps a saved model over a Spark DataFrame with
``mapInPandas``, so each Python worker loads the model once (cached per process, reused
across tasks) and scores Arrow batches of rows. The result has an explicit schema, the
same document columns as local scoring into a store (:func:`document_columns`), and the
same values: keys are SHA-256 content hashes, never Python's per-process ``hash()``.

Conversation roles and outcomes (customer, thread, reply_to, author_role, opened, closed,
``--outcome`` columns) are carried like local scoring writes them. A thread is never derived
from ``reply_to`` here: the message answered may sit in another partition.

Each batch is validated like a local file: rows with an empty text (and, within one
batch, repeated ids) are left out, since they are not documents; ``voc score`` run
locally lists them with reasons. Ids repeated across batches are not checked: Spark
has no global order to say which one comes first.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from voc.errors import SparkUnavailable, UnknownColumn
from voc.io.mapping import ColumnMapping

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

log = logging.getLogger("voc")

#: Scored columns after the mapped input columns, in order (as in the store's documents).
SCORED = [("text_original", "string"), ("language", "string"), ("language_score", "double"),
          ("analysed", "boolean"), ("read_by", "string"), ("sentiment", "string"), ("sentiment_score", "double"),
          ("sentiment_mix", "string"), ("n_negative", "long"), ("n_positive", "long"),
          ("theme_ids", "array<long>"), ("theme_labels", "array<string>"), ("touchpoints", "array<string>"),
          ("effort", "boolean")]
KEYS = [("doc_id", "string"), ("content_hash", "string"), ("model_fingerprint", "string"), ("text", "string")]

# one model per Python worker process and model (Spark reuses workers across tasks)
_MODELS: dict[tuple[str, str, str, bool], Any] = {}


def _require_pyspark() -> Any:
    try:
        import pyspark
    except ImportError as exc:
        raise SparkUnavailable("the Spark engine needs pyspark: pip install 'voc[spark]' (and Java 17)") from exc
    return pyspark


def session(master: str | None = None, app_name: str = "voc-score",
            conf: dict[str, str] | None = None) -> "SparkSession":
    """The active SparkSession (under spark-submit), or a new one on ``master`` (default
    ``local[*]``) with the settings this needs on one machine: workers run this
    interpreter, the driver binds to 127.0.0.1, no UI port."""
    _require_pyspark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None and master is None:
        return active
    if master is None and os.environ.get("PYSPARK_GATEWAY_PORT"):
        # under spark-submit: the master and every setting come from spark-submit
        try:
            return SparkSession.builder.appName(app_name).getOrCreate()
        except Exception as exc:  # noqa: BLE001
            raise SparkUnavailable(f"cannot start Spark under spark-submit ({type(exc).__name__}: {exc})") from exc
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    master = master or os.environ.get("VOC_SPARK_MASTER", "local[*]")
    if master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = (SparkSession.builder.master(master).appName(app_name)
               .config("spark.ui.enabled", "false")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true"))
    if master.startswith("local"):
        builder = builder.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
    for k, v in (conf or {}).items():
        builder = builder.config(k, v)
    try:
        return builder.getOrCreate()
    except Exception as exc:  # noqa: BLE001 - typically no Java: say so in one line
        raise SparkUnavailable(f"cannot start Spark on {master!r} ({type(exc).__name__}: {exc}); Spark needs "
                               "Java 17 (`java -version`) and JAVA_HOME") from exc


def _find(name: str, columns: list[str]) -> str | None:
    if name in columns:
        return name
    folded = [c for c in columns if c.strip().casefold() == name.strip().casefold()]
    return folded[0] if len(folded) == 1 else None


def document_columns(mapping: ColumnMapping, input_types: dict[str, str]) -> list[tuple[str, str]]:
    """(name, Spark SQL type) of the scored document columns for an input with columns
    ``input_types`` (name → Spark type): keys and text, the mapped input columns the input
    has (date, channel, segments, scores, kept columns, conversation roles, outcomes), then
    the scored columns."""
    cols = list(input_types)
    out = list(KEYS)
    if mapping.date and _find(mapping.date, cols):
        out.append(("date", "timestamp_ntz"))
    if mapping.channel and _find(mapping.channel, cols):
        out.append(("channel", "string"))
    out += [(s, "string") for s in mapping.segments if _find(s, cols)]
    out += [(sp.label, "double") for sp in mapping.scores if _find(sp.column, cols)]
    for k in mapping.keep:
        c = _find(k, cols)
        if c:
            out.append((k, input_types[c]))
    # conversations: ids as text (pseudonymised like doc ids when PII is redacted), ticket times,
    # outcomes as numbers (1/0 for a binary one), in the order local scoring writes them
    for role in ("customer", "thread", "reply_to", "author_role", "opened", "closed"):
        c = getattr(mapping, role)
        if c and _find(c, cols):
            out.append((role, "timestamp_ntz" if role in ("opened", "closed") else "string"))
    out += [(o.name, "double") for o in mapping.outcomes if _find(o.column, cols)]
    return out + SCORED


def schema(mapping: ColumnMapping, input_schema: "StructType") -> "StructType":
    """The explicit output schema of :func:`score` for an input schema."""
    from pyspark.sql.types import StructType, _parse_datatype_string

    types = {f.name: f.dataType.simpleString() for f in input_schema.fields}
    struct = StructType()
    for name, t in document_columns(mapping, types):
        struct = struct.add(name, _parse_datatype_string(t), nullable=True)
    return struct


def _worker_model(model_path: str, fingerprint: str, threads: int, mapping: dict[str, Any] | None = None,
                  cache: bool = False, overrides: tuple[str, ...] = ()) -> Any:
    key = (model_path, fingerprint, repr(mapping), cache, tuple(overrides))
    if key not in _MODELS:
        import torch

        torch.set_num_threads(max(1, threads))  # Spark starts Python workers with one thread
        path = model_path
        if not Path(path).is_dir():  # shipped with addFile (ship_model=True)
            from pyspark import SparkFiles

            path = SparkFiles.get(Path(model_path).name)
        from voc.store.scoring import prepare_model

        analyzer, _, _ = prepare_model(path, ColumnMapping.from_dict(mapping) if mapping else None, overrides)
        embed = analyzer.stages_.get("embed")
        if embed is not None and hasattr(embed, "cache"):
            embed.cache = cache  # a per-executor embedding cache rarely pays off for bulk new data
            if hasattr(embed, "num_threads"):
                embed.num_threads = max(1, threads)
        _MODELS[key] = analyzer
    return _MODELS[key]


def score_batches(batches: Iterator[pd.DataFrame], model_path: str, fingerprint: str, columns: list[str],
                  threads: int = 1, mapping: dict[str, Any] | None = None,
                  cache: bool = False, overrides: tuple[str, ...] = ()) -> Iterator[pd.DataFrame]:
    """The function ``mapInPandas`` runs: each pandas batch → its scored documents."""
    analyzer = None
    for pdf in batches:
        if len(pdf) == 0:
            continue
        if analyzer is None:
            analyzer = _worker_model(model_path, fingerprint, threads, mapping, cache, overrides)
        docs = score_frame(analyzer, fingerprint, pdf)
        if len(docs):
            yield docs.reindex(columns=columns)


def score_frame(analyzer: Any, fingerprint: str, pdf: pd.DataFrame) -> pd.DataFrame:
    """Score one in-memory batch like a local chunk: validate, key, transform. Returns the
    document rows (rejected rows are left out)."""
    from voc.errors import EmptyInput
    from voc.io import frame_to_feedback
    from voc.store.duckdb import DROP
    from voc.store.keys import assign_keys

    mapping = analyzer.mapping
    try:
        ingest = frame_to_feedback(pdf, mapping, missing_optional="ignore")
    except EmptyInput:
        return pd.DataFrame()
    if ingest.frame.empty:
        return pd.DataFrame()
    has_id = bool(mapping is not None and mapping.id and _find(mapping.id, [str(c) for c in pdf.columns]))
    frame = assign_keys(ingest.frame, has_id)
    if not has_id:
        frame = frame[~frame["doc_id"].duplicated(keep="first")].reset_index(drop=True)
    hashes = frame.set_index("doc_id")["content_hash"]
    ingest.frame = frame.drop(columns=["content_hash"])
    docs = analyzer.transform(ingest).documents
    docs = docs.drop(columns=[c for c in (*DROP, "line") if c in docs.columns]).reset_index(drop=True)
    docs.insert(1, "content_hash", hashes.reindex(docs["doc_id"]).to_numpy())
    docs.insert(2, "model_fingerprint", fingerprint)
    for c in ("theme_ids", "theme_labels", "touchpoints"):
        if c in docs:
            docs[c] = [list(v) if v is not None else None for v in docs[c]]
    return docs


def score(df: "DataFrame", model_path: str | Path, spark: "SparkSession | None" = None, *,
          mapping: ColumnMapping | None = None, torch_threads: int | None = None,
          ship_model: bool = False, cache: bool = False, overrides: list[str] | tuple[str, ...] = ()) -> "DataFrame":
    """Score a Spark DataFrame of feedback with a saved model; returns a Spark DataFrame
    of scored documents (schema: :func:`schema`). Lazy, like any transformation.

    ``model_path`` must be readable by every executor (a shared file system), or pass
    ``ship_model=True`` to send it with ``SparkContext.addFile``. ``torch_threads``
    defaults to ``spark.task.cpus``. ``mapping`` overrides the model's column mapping.
    ``cache=True`` lets each executor keep voc's on-disk embedding cache (off by default:
    it lives in the executor's home directory and bulk new data rarely repeats).
    ``overrides`` change how the model runs (``language.analyse=[en]``)."""
    _require_pyspark()
    from voc.store.keys import model_fingerprint

    model_dir = Path(model_path)
    spark = spark or df.sparkSession
    fingerprint = model_fingerprint(model_dir)
    if not (model_dir / "meta.json").is_file():
        from voc.errors import ModelLoadError

        raise ModelLoadError(f"{str(model_dir)!r} is not a voc model directory (no meta.json)")
    saved = model_dir / "mapping.json"
    m = mapping or (ColumnMapping.from_dict(json.loads(saved.read_text(encoding="utf-8"))) if saved.is_file()
                    else ColumnMapping())
    cols = [f.name for f in df.schema.fields]
    text = _find(m.text, cols)
    if text is None:
        raise UnknownColumn(m.text, cols, role="text column", path="the Spark DataFrame")
    out_schema = schema(m, df.schema)
    threads = torch_threads or int(spark.conf.get("spark.task.cpus", "1") or 1)
    path = str(model_dir.resolve())
    if ship_model:
        spark.sparkContext.addFile(path, recursive=True)
        path = model_dir.name
    names = out_schema.fieldNames()
    m_dict = mapping.to_dict() if mapping is not None else None
    extra = tuple(overrides)

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        return score_batches(batches, path, fingerprint, names, threads, m_dict, cache, extra)

    return df.mapInPandas(run, schema=out_schema)


def score_parquet(input: str | Path, model_path: str | Path, out: str | Path, *,
                  mapping: ColumnMapping | None = None, master: str | None = None,
                  overrides: list[str] | tuple[str, ...] = ()) -> int:
    """``voc score --engine spark``: read ``input`` (Parquet), score, write ``out`` (a
    Parquet directory, replaced if it exists). Returns the number of scored documents."""
    if not Path(input).exists():
        from voc.errors import InputFileNotFound

        raise InputFileNotFound(f"input {str(input)!r} not found")
    spark = session(master)
    df = spark.read.parquet(str(input))
    scored = score(df, model_path, spark, mapping=mapping, overrides=overrides)
    scored.write.mode("overwrite").parquet(str(out))
    return int(spark.read.parquet(str(out)).count())
