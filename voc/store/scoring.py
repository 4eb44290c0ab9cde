"""Incremental batch scoring: new feedback, a saved model, a store.

``score(input, model, store)`` reads the input in chunks (bounded memory), keys every
row (its id, or a content hash), asks the store which rows it already holds in the same
version scored by the same model, runs the model on the rest only, and writes each chunk
in one transaction. Re-scoring the same file adds nothing and runs no model.
"""

from __future__ import annotations

import csv
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from voc._formula import guard
from voc.io import REJECT_COLUMNS, IngestResult, iter_feedback
from voc.io.mapping import ColumnMapping
from voc.store.duckdb import DROP, Store, _now
from voc.store.keys import assign_keys, model_fingerprint

if TYPE_CHECKING:
    from voc.io.presets import PresetResult

log = logging.getLogger("voc")

DEFAULT_CHUNKSIZE = 10_000


@dataclass
class ScoreSummary:
    """What one scoring run did (also in the store's ``runs`` table under ``run_id``)."""

    run_id: int
    store: str
    model_fingerprint: str
    rows_read: int = 0
    accepted: int = 0
    rejected: int = 0
    new: int = 0
    rescored: int = 0
    unchanged: int = 0
    duplicates: int = 0
    sentences: int = 0
    chunks: int = 0
    seconds: float = 0.0
    scored_seconds: float = 0.0
    max_chunk_rows: int = 0
    rejects_path: str | None = None
    timings_s: dict[str, float] = field(default_factory=dict)

    @property
    def scored(self) -> int:
        """Documents the model ran on (new + rescored)."""
        return self.new + self.rescored

    @property
    def docs_per_second(self) -> float:
        return self.scored / self.seconds if self.seconds else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "scored": self.scored, "docs_per_second": round(self.docs_per_second, 2)}


def prepare_model(model: Any, mapping: ColumnMapping | None = None,
                  overrides: list[str] | tuple[str, ...] = ()) -> tuple[Any, str, str | None]:
    """(analyzer, fingerprint, model path) from a model directory or a fitted Analyzer.

    The drivers stage is left out: its tables describe a whole data set, not a batch, and
    ``voc report --store`` recomputes them over the stored documents. ``overrides``
    (``language.analyse=[en]``) change how a saved model runs."""
    import copy

    from voc.pipeline import Analyzer, load

    if isinstance(model, Analyzer):
        with tempfile.TemporaryDirectory(prefix="voc-model-") as tmp:
            fingerprint = model_fingerprint(model.to_disk(Path(tmp) / "model"))
        analyzer = copy.copy(model)  # the caller's Analyzer keeps its drivers stage
        if mapping is not None:
            analyzer.mapping = mapping
        if overrides:  # a fitted Analyzer keeps its stages; only how it reads languages changes
            from voc.config import apply_overrides
            from voc.language import LanguageStage

            config = apply_overrides(model._build() and model.config_ or {}, list(overrides))
            analyzer.stages_ = {**(model.stages_ or {}), "language": LanguageStage(**config.get("language", {}))}
        path = None
    else:
        path = str(model)
        analyzer = load(model, mapping=mapping, overrides=overrides)
        fingerprint = model_fingerprint(model)
    stages = analyzer._build()
    analyzer.stages_ = {k: v for k, v in stages.items() if k != "drivers"}
    return analyzer, fingerprint, path


def frame_chunks(frame: pd.DataFrame, mapping: ColumnMapping | None, chunksize: int) -> Iterator[IngestResult]:
    """A DataFrame in memory validated chunk by chunk like a file (global line numbers =
    1-based row positions; ids and texts checked across chunks)."""
    from voc.errors import EmptyInput
    from voc.io.validate import Validator

    if len(frame) == 0:
        raise EmptyInput("the DataFrame has no rows: nothing to score")
    validator = Validator(mapping, "<dataframe>", missing_optional="ignore")
    for start in range(0, len(frame), chunksize):
        part = frame.iloc[start:start + chunksize]
        result = validator.run(part, np.arange(start + 1, start + len(part) + 1))
        result.stats.update({"format": "dataframe", "path": None})
        yield result


def preset_chunks(read: "PresetResult", mapping: ColumnMapping | None, name: str,
                  chunksize: int) -> Iterator[IngestResult]:
    """An export read by a preset, validated chunk by chunk with its export lines; the
    records the preset could not read are the first chunk's rejects."""
    from voc.io.validate import Validator

    validator = Validator(mapping, name, missing_optional="ignore")
    for k, start in enumerate(range(0, max(len(read.frame), 1), chunksize)):
        part = read.frame.iloc[start:start + chunksize]
        result = validator.run(part, read.lines[start:start + chunksize], read.rejects if k == 0 else ())
        result.stats.update({"preset_notes": read.notes} if k == 0 else {})
        yield result


def _uses_input_ids(mapping: ColumnMapping | None, chunk: IngestResult, source: str) -> bool:
    """Whether ``doc_id`` came from the input's id column (rather than the reader's
    file:line:text hash, used when the mapped id column is absent from this input)."""
    if mapping is None or not mapping.id or chunk.frame.empty:
        return False
    from voc.io.validate import _doc_ids

    first = chunk.frame.iloc[:1]
    default = _doc_ids(Path(source).name, first["line"].to_numpy(), first["text"])
    return str(first["doc_id"].iloc[0]) != default[0]


class _RejectsCsv:
    """rejects.csv written row by row to a temporary name and renamed into place at the end."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.fh: Any = None
        self.writer: Any = None
        self.tmp: str | None = None

    def add(self, rejects: pd.DataFrame) -> None:
        if self.path is None:
            return
        if self.fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, self.tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
            self.fh = os.fdopen(fd, "w", encoding="utf-8", newline="")
            self.writer = csv.writer(self.fh)
            self.writer.writerow(REJECT_COLUMNS)
        for row in rejects[REJECT_COLUMNS].itertuples(index=False):
            self.writer.writerow([guard(v) for v in row])

    def close(self, ok: bool) -> None:
        if self.path is None:
            return
        if self.fh is None:
            self.add(pd.DataFrame(columns=REJECT_COLUMNS))
        self.fh.close()
        from voc.outputs import default_mode

        if ok:
            os.chmod(self.tmp, default_mode())  # type: ignore[arg-type]
            os.replace(self.tmp, self.path)  # type: ignore[arg-type]
        else:
            Path(self.tmp).unlink(missing_ok=True)  # type: ignore[arg-type]


def score(input: str | Path | pd.DataFrame, model: Any, store: str | Path | Store, *, mapping: ColumnMapping | None = None,
          chunksize: int = DEFAULT_CHUNKSIZE, rejects_csv: str | Path | None = None,
          progress: Callable[[dict[str, Any]], None] | None = None,
          embed_progress: Callable[[str, int, int], None] | None = None,
          format: str | None = None, encoding: str | None = None, delimiter: str | None = None,
          sheet: str | int | None = None, overrides: list[str] | tuple[str, ...] = (),
          preset: str | None = None) -> ScoreSummary:
    """Score ``input`` (a file or a DataFrame) with ``model`` (a saved model directory or a
    fitted Analyzer) into ``store`` (a DuckDB file, a ``postgresql://`` URL, or a
    :class:`Store`), chunk by chunk; see the module docstring.

    ``progress`` is called after every chunk with the running counts; ``embed_progress``
    is the Analyzer's per-stage progress inside a chunk. ``preset`` reads ``input`` in a
    tool's export layout (voc.io.presets), rejects keeping their export lines. Raises
    :class:`~voc.errors.VocError` for unreadable input, an unloadable model or a locked store; the run is then recorded
    as failed (or, if the process is killed, as aborted when the store is next opened)."""
    read_preset = None
    if preset is not None:  # an export read whole in its tool's layout (voc.io.presets), then scored in chunks
        from voc.io import presets

        if isinstance(input, pd.DataFrame):
            from voc.errors import ConfigError

            raise ConfigError("preset= reads an export file; a DataFrame is already a table")
        read_preset = presets.read(input, preset, mapping)
        mapping = read_preset.mapping
    owned = not isinstance(store, Store)
    st = Store(store) if owned else store
    rejects_out = _RejectsCsv(Path(rejects_csv) if rejects_csv else None)
    t_start = time.perf_counter()
    st.open()  # first: a locked store fails before seconds of model loading
    try:
        analyzer, fingerprint, model_path = prepare_model(model, mapping, overrides)
        analyzer.progress = embed_progress
        run_id = st.begin_run(command="score", input="<dataframe>" if isinstance(input, pd.DataFrame) else input,
                              model_path=model_path, fingerprint=fingerprint,
                              chunksize=chunksize, analyzer=analyzer)
        summary = ScoreSummary(run_id=run_id, store=str(st.path), model_fingerprint=fingerprint,
                               rejects_path=str(rejects_csv) if rejects_csv else None)
        meta: dict[str, Any] = {}
        try:
            if read_preset is not None:
                chunks = preset_chunks(read_preset, analyzer.mapping, Path(input).name, chunksize)
                source = str(input)
            elif isinstance(input, pd.DataFrame):
                chunks = frame_chunks(input, analyzer.mapping, chunksize)
                source = "<dataframe>"
            else:
                chunks = iter_feedback(input, analyzer.mapping, chunksize=chunksize, format=format,
                                       encoding=encoding, delimiter=delimiter, sheet=sheet, missing_optional="ignore")
                source = str(input)
            has_id: bool | None = None
            for chunk in chunks:
                if has_id is None and not chunk.frame.empty:
                    has_id = _uses_input_ids(analyzer.mapping, chunk, source)
                    if analyzer.mapping is not None and analyzer.mapping.id and not has_id:
                        log.warning("input has no id column %r: documents are keyed by a hash of their content",
                                    analyzer.mapping.id)
                meta = _score_chunk(st, analyzer, fingerprint, run_id, chunk, bool(has_id), Path(source).name,
                                    summary) or meta
                rejects_out.add(chunk.rejects)
                summary.seconds = round(time.perf_counter() - t_start, 3)
                if progress is not None:
                    progress(summary.to_dict())
        except BaseException as exc:
            status = "failed"
            reason = "interrupted" if isinstance(exc, KeyboardInterrupt) else f"{type(exc).__name__}: {exc}"
            try:
                st.finish_run(run_id, status, error=reason, seconds=time.perf_counter() - t_start)
            finally:
                rejects_out.close(ok=False)
            raise
        summary.seconds = round(time.perf_counter() - t_start, 3)
        st.finish_run(run_id, "completed", meta={"stages": meta, "summary": summary.to_dict()},
                      seconds=summary.seconds)
        rejects_out.close(ok=True)
        log.info("scored %d new and %d changed documents (%d unchanged, %d rejected) in %.1fs", summary.new,
                 summary.rescored, summary.unchanged, summary.rejected, summary.seconds)
        return summary
    finally:
        if owned:
            st.close()


def _score_chunk(st: Store, analyzer: Any, fingerprint: str, run_id: int, chunk: IngestResult, has_id: bool,
                 source: str, summary: ScoreSummary) -> dict[str, Any] | None:
    """Plan, score and write one chunk; update ``summary``. Returns the stages' meta."""
    counts = {"rows_read": int(chunk.stats.get("rows_read", len(chunk.frame) + len(chunk.rejects))),
              "accepted": len(chunk.frame), "rejected": len(chunk.rejects), "chunks": 1}
    frame = chunk.frame
    clean = (analyzer.stages_ or {}).get("clean")
    if len(frame) and clean is not None and hasattr(clean, "protect_fields"):  # key by the ids outputs show
        segments = list(analyzer.mapping.segments) if analyzer.mapping is not None else []
        frame = clean.protect_fields(frame, segments)[0]
    frame = assign_keys(frame, has_id) if len(frame) else frame
    docs = sents = pd.DataFrame()
    meta = None
    if len(frame):
        dup = frame["doc_id"].duplicated(keep="first")  # identical rows without an id: one document
        counts["duplicates"] = int(dup.sum())
        frame = frame[~dup]
        plan = st.plan(frame, fingerprint)
        todo_mask = (plan["status"] != "unchanged").to_numpy()
        counts["unchanged"] = int((~todo_mask).sum())
        counts["new"] = int((plan["status"] == "new").sum())
        counts["rescored"] = int((plan["status"] == "rescored").sum())
        todo = frame[todo_mask].reset_index(drop=True)
        if len(todo):
            t0 = time.perf_counter()
            ingest = IngestResult(todo.drop(columns=["content_hash"]), chunk.rejects.iloc[0:0], dict(chunk.stats))
            analysis = analyzer.transform(ingest)
            summary.scored_seconds += time.perf_counter() - t0
            for k, v in analysis.run.get("timings_s", {}).items():
                summary.timings_s[k] = round(summary.timings_s.get(k, 0.0) + v, 3)
            meta = analysis.run.get("stages")
            info = plan[todo_mask].set_index("doc_id")
            docs = analysis.documents.drop(columns=[c for c in DROP if c in analysis.documents.columns])
            docs = docs.reset_index(drop=True)
            ids = docs["doc_id"]
            docs.insert(1, "version", info["version"].reindex(ids).to_numpy().astype("int32"))
            docs.insert(2, "content_hash", info["content_hash"].reindex(ids).to_numpy())
            docs.insert(3, "model_fingerprint", fingerprint)
            docs.insert(4, "run_id", run_id)
            docs.insert(5, "scored_at", pd.Timestamp(_now()))
            docs.insert(6, "source_file", source)
            sents = analysis.sentences.reset_index(drop=True).copy()
            sents.insert(1, "version", info["version"].reindex(sents["doc_id"]).to_numpy().astype("int32"))
            counts["sentences"] = len(sents)
    st.write_batch(run_id, docs, sents, chunk.rejects, counts)
    summary.max_chunk_rows = max(summary.max_chunk_rows, counts["rows_read"])
    for k in ("rows_read", "accepted", "rejected", "new", "rescored", "unchanged", "duplicates", "sentences",
              "chunks"):
        setattr(summary, k, getattr(summary, k) + int(counts.get(k, 0)))
    return meta
