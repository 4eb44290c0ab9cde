"""The output contract scripts rely on: the files ``voc analyze`` writes.

Every file is written to a temporary name and renamed into place, so a crash never
leaves a half-written output where a reader could pick it up. CSV cells a spreadsheet
would run as a formula get a leading ``'`` (see ``voc._formula``); Parquet stays raw.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from voc._formula import guard_frame, unguard_frame

if TYPE_CHECKING:
    from voc.pipeline import Analysis, Analyzer

log = logging.getLogger("voc")

DOC_COLUMNS = ["doc_id", "text", "sentiment", "sentiment_score", "sentiment_mix", "theme_ids", "theme_labels",
               "touchpoints", "effort"]
SENTENCE_COLUMNS = ["doc_id", "sentence_id", "sentence_index", "text", "sentiment", "sentiment_score", "p_negative",
                    "p_neutral", "p_positive", "theme_id", "theme_label", "theme_score", "touchpoint", "touchpoints",
                    "touchpoint_sentiment", "touchpoint_score", "effort"]


def default_mode(directory: bool = False) -> int:
    """Permissions a plain ``open()``/``mkdir()`` would give (temp files default to 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    return (0o777 if directory else 0o666) & ~umask


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` then rename ``tmp`` over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, default_mode())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _ordered(frame: pd.DataFrame, first: list[str]) -> pd.DataFrame:
    cols = [c for c in first if c in frame.columns] + [c for c in frame.columns if c not in first]
    return frame[cols]


def theme_table(analysis: "Analysis") -> pd.DataFrame:
    """themes.csv: the learned themes with their volume and sentiment in this data."""
    themes = analysis.themes.copy()
    sents = analysis.sentences
    n_docs = max(len(analysis.documents), 1)
    if themes.empty:
        return pd.DataFrame(columns=["theme_id", "label", "keywords", "sentences", "documents", "share",
                                     "mean_sentiment", "negative_share", "examples"])
    themes = themes.drop(columns=[c for c in ("sentences", "documents", "share", "mean_sentiment", "negative_share")
                                  if c in themes])
    if "theme_id" in sents and len(sents):
        def stats_by(key: str) -> pd.DataFrame:
            g = sents[sents[key] != -1].groupby(key)
            return pd.DataFrame({
                "sentences": g.size(),
                "documents": g["doc_id"].nunique(),
                "mean_sentiment": g["sentiment_score"].mean().round(4) if "sentiment_score" in sents else np.nan,
                "negative_share": g["sentiment"].apply(lambda s: float((s == "negative").mean())).round(4)
                if "sentiment" in sents else np.nan,
            })

        stats = stats_by("theme_id")  # issues, curated themes and the two buckets (-2, -3)
        if "aspect_id" in sents:  # an aspect holds the sentences of its issues
            stats = stats.combine_first(stats_by("aspect_id"))
        themes = themes.merge(stats, left_on="theme_id", right_index=True, how="left")
    for c in ("sentences", "documents"):
        themes[c] = themes.get(c, pd.Series(0, index=themes.index)).fillna(0).astype(int)
    themes["share"] = (themes["documents"] / n_docs).round(4)
    for c in ("keywords", "examples"):
        if c in themes:
            themes[c] = themes[c].map(lambda v: " | ".join(map(str, v)) if isinstance(v, (list, tuple, np.ndarray))
                                      else v)
    if "parent_id" in themes:
        label_of = dict(zip(themes["theme_id"], themes["label"]))
        themes["aspect"] = [label_of.get(p, "") if p >= 0 else "" for p in themes["parent_id"]]
    first = ["theme_id", "label", "kind", "aspect", "polarity", "parent_id", "keywords", "sentences", "documents",
             "share", "mean_sentiment", "negative_share", "label_support", "size", "curated", "hidden", "examples"]
    return _ordered(themes.sort_values(["documents", "theme_id"], ascending=[False, True]), first)


def _listify(frame: pd.DataFrame) -> pd.DataFrame:
    """Parquet wants list columns as lists, not numpy arrays or tuples."""
    out = frame.copy()
    for c in out.columns:
        if out[c].dtype == object and len(out) and isinstance(out[c].iloc[0], (tuple, np.ndarray)):
            out[c] = out[c].map(lambda v: list(v) if isinstance(v, (tuple, np.ndarray)) else v)
    return out


def write_outputs(analysis: "Analysis", out: Path, analyzer: "Analyzer | None" = None, report: bool = True) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    docs = _ordered(_listify(analysis.documents), DOC_COLUMNS)
    sents = _ordered(_listify(analysis.sentences), SENTENCE_COLUMNS)
    atomic_write(out / "documents.parquet", lambda p: docs.to_parquet(p, index=False))
    atomic_write(out / "sentences.parquet", lambda p: sents.to_parquet(p, index=False))
    themes = theme_table(analysis)
    atomic_write(out / "themes.csv", lambda p: guard_frame(themes).to_csv(p, index=False))
    for name in ("drivers", "priorities", "trends"):
        table = analysis.tables.get(name, pd.DataFrame())
        atomic_write(out / f"{name}.csv", lambda p, t=table: guard_frame(_listify(t)).to_csv(p, index=False))
    extra: dict[str, str] = {}
    for path in (out / "repeat_contacts.csv", out / "service_times.csv", out / "resolution_times.csv",
                 out / "outcomes.csv",
                 out / "customers.parquet", out / "threads.parquet"):  # only with conversation roles or outcomes
        table = analysis.tables.get(path.stem)
        if table is None:
            path.unlink(missing_ok=True)  # a rerun without them must not leave an old table
            continue
        if path.suffix == ".csv":
            atomic_write(path, lambda p, t=table: guard_frame(t).to_csv(p, index=False))
        else:
            atomic_write(path, lambda p, t=table: _listify(t).to_parquet(p, index=False))
        extra[path.stem] = path.name
    rejects = analysis.rejects if len(analysis.rejects.columns) else pd.DataFrame(
        columns=["source", "line", "column", "reason", "record"])
    atomic_write(out / "rejects.csv", lambda p: guard_frame(rejects).to_csv(p, index=False))
    files: dict[str, Any] = {}
    if analyzer is not None and analyzer.fitted_:
        analyzer.to_disk(out / "model")
        files["model"] = "model"
    if report:
        from voc.report import write_excel, write_report

        write_report(analysis, out / "report.html", themes=themes)
        write_excel(analysis, out / "themes.xlsx", themes=themes)
        files["report"] = "report.html"
        files["themes_xlsx"] = "themes.xlsx"
    run = dict(analysis.run)
    run["outputs"] = {**files, "documents": "documents.parquet", "sentences": "sentences.parquet",
                      "themes": "themes.csv", "drivers": "drivers.csv", "priorities": "priorities.csv",
                      "trends": "trends.csv", "rejects": "rejects.csv", **extra}
    atomic_write(out / "run.json", lambda p: p.write_text(json.dumps(run, indent=2, default=str), encoding="utf-8"))
    return out


def load_analysis(out_dir: Path) -> "Analysis":
    """Read back an output directory written by ``write_outputs`` (for ``voc report``)."""
    from voc.errors import InputFileNotFound
    from voc.pipeline import Analysis

    out_dir = Path(out_dir)
    needed = ["documents.parquet", "sentences.parquet", "run.json"]
    missing = [n for n in needed if not (out_dir / n).is_file()]
    if missing:
        raise InputFileNotFound(f"{str(out_dir)!r} is not a voc output directory (missing {', '.join(missing)}); "
                                "run `voc analyze INPUT --out DIR` first")

    def csv(name: str) -> pd.DataFrame:
        p = out_dir / name
        if not p.is_file() or p.stat().st_size == 0:
            return pd.DataFrame()
        try:
            return unguard_frame(pd.read_csv(p))
        except pd.errors.EmptyDataError:
            return pd.DataFrame()

    themes = csv("themes.csv")
    for c in ("keywords", "examples"):
        if c in themes:
            themes[c] = themes[c].fillna("").map(lambda v: [x for x in str(v).split(" | ") if x])
    return Analysis(
        documents=pd.read_parquet(out_dir / "documents.parquet"),
        sentences=pd.read_parquet(out_dir / "sentences.parquet"),
        themes=themes,
        tables={**{name: csv(f"{name}.csv") for name in ("drivers", "priorities", "trends")},
                **{name: pd.read_parquet(out_dir / f"{name}.parquet") for name in ("customers", "threads")
                   if (out_dir / f"{name}.parquet").is_file()},
                **{name: csv(f"{name}.csv") for name in ("repeat_contacts", "service_times", "resolution_times",
                                                         "outcomes")
                   if (out_dir / f"{name}.csv").is_file()}},
        rejects=csv("rejects.csv"),
        run=json.loads((out_dir / "run.json").read_text(encoding="utf-8")),
    )
