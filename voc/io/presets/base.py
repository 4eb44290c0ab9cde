"""What every preset shares: its result, the export's records with their lines, and the
user's own mapping winning over the preset's choices."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from voc.errors import ConfigError, EmptyInput
from voc.io.mapping import ColumnMapping


@dataclass
class PresetResult:
    """One document per row of ``frame`` (``line``: the export line it came from)."""

    frame: pd.DataFrame
    mapping: ColumnMapping
    lines: np.ndarray
    notes: list[str] = field(default_factory=list)
    rejects: list[dict[str, Any]] = field(default_factory=list)  # records voc could not read, with their line


def json_head(path: Path, size: int = 65536) -> bytes:
    """The first bytes of a JSON export, for detection (empty when it is not one or unreadable)."""
    if path.suffix.lower() not in (".json", ".jsonl", ".ndjson"):
        return b""
    try:
        with open(path, "rb") as f:
            return f.read(size)
    except OSError:
        return b""


def records(path: Path) -> tuple[pd.DataFrame, np.ndarray, list[dict[str, Any]]]:
    """The export's records as text cells (header rows included), the line each starts on,
    and the records whose field count differs from the first row's, as rejects."""
    from voc.io.readers import read_records
    from voc.io.validate import reject_row

    rows, starts = read_records(path)
    if not rows:
        raise EmptyInput(f"{path.name} is empty: no rows to analyse")
    width = len(rows[0])
    keep = [i for i, r in enumerate(rows) if len(r) == width]
    rejects = [reject_row(path.name, starts[i], None, f"expected {width} fields, found {len(rows[i])}",
                          ",".join(rows[i])) for i in range(len(rows)) if len(rows[i]) != width]
    return pd.DataFrame([rows[i] for i in keep], dtype=str), np.asarray([starts[i] for i in keep]), rejects


def header_table(path: Path, required: set[str], tool: str, how: str) -> tuple[pd.DataFrame, np.ndarray,
                                                                               list[dict[str, Any]]]:
    """A one-header-row export as a frame of text cells named by its header (cells
    stripped), the line of each record, and the rejects; a clear error naming what is
    missing when the header lacks ``required``."""
    raw, starts, rejects = records(path)
    head = [str(c).strip() for c in raw.iloc[0]]
    missing = sorted(required - set(head))
    if missing:
        raise ConfigError(f"{path.name} is not a {tool} export: no column {', '.join(map(repr, missing))}; {how}")
    body = raw.iloc[1:].reset_index(drop=True)
    if body.empty:
        raise EmptyInput(f"{path.name} has its header row and no rows")
    body.columns = pd.Index(head)
    body = body.loc[:, ~body.columns.duplicated()]
    return body.apply(lambda c: c.astype(str).str.strip()), starts[1:], rejects


def json_records(path: Path, tool: str) -> list[tuple[int, Any]]:
    """The JSON values of a file that holds one (an object or an array) or one per line
    (newline-delimited), each with the line it starts on; a line that is not JSON is an
    error naming it (an export cut short is not analysed in part)."""
    from voc.io.readers import read_text

    text = read_text(path)
    if not text.strip():
        raise EmptyInput(f"{path.name} is empty: no {tool} records")
    try:
        return [(1, json.loads(text))]
    except json.JSONDecodeError:
        pass
    out = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append((n, json.loads(line)))
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path.name} line {n}: not JSON ({exc.msg}); a {tool} export is one JSON document or "
                              "one JSON record per line") from exc
    return out


def override(m: ColumnMapping, user: ColumnMapping | None) -> ColumnMapping:
    """The user's explicit choices win: scores, segments, date and channel they named."""
    if user is None:
        return m
    if user.scores:
        m.scores = list(user.scores)
    if user.segments:
        m.segments = list(dict.fromkeys([*m.segments, *user.segments]))
    for role in ("date", "channel"):
        if getattr(user, role):
            setattr(m, role, getattr(user, role))
    return m
